"""Writes of PMT episodes: enrolment, cancellation and end, outcomes, delivery logs.

Locking: see interventions.services_pmt (recipient, then lines in primary-key order, then episode).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from children.models import Child, Person
from children.partitions import ensure_partitions
from convergence.models import User
from convergence.scoping import can_read, scope_for_user
from interventions import pmt
from interventions import selectors_pmt as sel
from interventions.models import (
    PMT_PERSON_CATEGORIES,
    BudgetLine,
    Disbursement,
    PMTDeliveryLog,
    PMTEnrolment,
    PMTFunding,
    PMTOutcome,
    PMTProgramme,
    PMTRate,
    PMTReservation,
)
from interventions.partitions import PMT_DELIVERY_LOG
from interventions.services_pmt.permissions import can_enrol, rupiah

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


# Outcomes of episodes finished this many days ago are recomputed nightly: the "after" measurement may
# be taken up to pmt.OUTCOME_WINDOW_DAYS after the end and is often entered (or imported) weeks later.
OUTCOME_REFRESH_DAYS = 90


# Episodes whose outcomes are recomputed per pair of queries (measurements, visits): bounds memory.
OUTCOME_BATCH = 1000


INELIGIBLE: dict[str, StrOrPromise] = {
    pmt.NO_MEASUREMENT: gettext_lazy("Anak belum pernah diukur sebelum tanggal mulai."),
    pmt.NOT_GIZI_KURANG: gettext_lazy("Status BB/TB terakhir anak bukan gizi kurang atau gizi buruk."),
    pmt.NOT_BB_KURANG: gettext_lazy("Status BB/U terakhir anak bukan BB kurang atau BB sangat kurang."),
    pmt.NOT_DUA_T: gettext_lazy("Penimbangan terakhir anak bukan 2T (tidak naik dua kali berturut-turut)."),
    pmt.NOT_BADUTA: gettext_lazy("Anak sudah berumur 24 bulan atau lebih (bukan baduta)."),
    pmt.NOT_STUNTED: gettext_lazy("Status TB/U terakhir anak bukan pendek atau sangat pendek."),
    pmt.NOT_KEK: gettext_lazy("Ibu tidak sedang hamil dengan status KEK."),
    pmt.NOT_BREASTFEEDING: gettext_lazy(
        "Ibu tidak melahirkan bayi hidup dalam 6 bulan terakhir (bukan ibu menyusui)."
    ),
}


# What an episode's outcome holds, recomputed as later measurements arrive (API shows the same fields).
OUTCOME_FIELDS = (
    "measured_before_on",
    "measured_after_on",
    "weight_before_kg",
    "weight_after_kg",
    "weight_gain_kg",
    "z_change",
    "lila_before_cm",
    "lila_after_cm",
    "lila_change_cm",
    "recovered",
    "computed_on",
)


def pmt_rate_for(*, programme: PMTProgramme, on: datetime.date) -> PMTRate:
    """The kabupaten's own rate valid on `on`, else the default one."""
    rates = PMTRate.objects.filter(category=programme.category, valid_from__lte=on).order_by("-valid_from")
    rate = rates.filter(kabupaten=programme.kabupaten).first() or rates.filter(kabupaten__isnull=True).first()
    if rate is None:
        raise ValidationError({"programme": [_("Tarif PMT untuk kategori ini belum ditetapkan.")]})
    return rate


def _eligibility(programme: PMTProgramme, recipient: Child | Person, start: datetime.date) -> str | None:
    for_mothers = programme.category in PMT_PERSON_CATEGORIES
    if for_mothers and isinstance(recipient, Person):
        reason = pmt.mother_ineligibility(
            programme.category, sel.mother_status_on(person=recipient, on=start)
        )
    elif not for_mothers and isinstance(recipient, Child):
        reason = pmt.child_ineligibility(programme.category, sel.child_status_on(child=recipient, on=start))
    else:
        raise TypeError(f"a {programme.category} programme does not enrol a {type(recipient).__name__}")
    return str(INELIGIBLE[reason]) if reason else None


def _lock_lines(line_ids: list[int]) -> dict[int, BudgetLine]:
    """Lock the lines in primary-key order (see the module docstring) and return them by id."""
    return {
        line.pk: line
        for line in BudgetLine.objects.select_for_update().filter(pk__in=line_ids).order_by("pk")
    }


def _shares_error(fundings: list[PMTFunding]) -> str | None:
    if not fundings:
        return _("Program ini belum dibiayai baris anggaran.")
    total = sum((f.share_percent for f in fundings), Decimal(0))
    if total != 100:
        return _("Porsi pendanaan program berjumlah %(total)s%%, harus 100%%.") % {"total": total}
    return None


def _check_enrolment(
    *, user: User, programme: PMTProgramme, recipient: Child | Person, start_date: datetime.date
) -> None:
    """PermissionDenied, or a ValidationError naming the field, unless `user` may enrol `recipient` then."""
    if not can_enrol(user, programme):
        raise PermissionDenied
    wants_person = programme.category in PMT_PERSON_CATEGORIES
    if isinstance(recipient, Person) != wants_person:
        raise ValidationError(
            {"recipient": [_("Sasaran program ini adalah %(c)s.") % {"c": programme.get_category_display()}]}
        )
    if not can_read(user, recipient) or not recipient.desa.code.startswith(f"{programme.kabupaten.code}."):
        raise ValidationError({"recipient": [_("Sasaran tidak ditemukan di wilayah kerja Anda.")]})
    if not programme.is_active or not programme.starts_on <= start_date <= programme.ends_on:
        raise ValidationError({"start_date": [_("Tanggal mulai di luar periode program.")]})
    reason = _eligibility(programme, recipient, start_date)
    if reason:
        raise ValidationError({"recipient": [reason]})


def _check_room_for_parts(
    *, locked: dict[int, BudgetLine], fundings: list[PMTFunding], parts: list[Decimal]
) -> None:
    """ValidationError naming each locked line with less left than its part of the cost."""
    short = []
    for funding, part in zip(fundings, parts, strict=True):
        line = locked[funding.budget_line_id]
        available = sel.budget_line_totals(line=line).available
        if part > available:
            short.append(
                _("Sisa anggaran %(line)s tidak cukup: perlu %(need)s, tersisa %(left)s.")
                % {"line": line.name, "need": rupiah(part), "left": rupiah(available)}
            )
    if short:
        raise ValidationError({"budget_line": short})


def pmt_enrol(
    *,
    user: User,
    programme: PMTProgramme,
    recipient: Child | Person,
    start_date: datetime.date,
) -> PMTEnrolment:
    """Enrol a named recipient in a programme, reserving days x rate on the lines funding it.

    The cost is split over the programme's lines by their shares (pmt.split_cost, remainder to the
    last line). Refused (ValidationError naming the field) when the recipient is not eligible on
    `start_date`, already has an overlapping episode of the category, or any line has not enough left
    for its part (each such line named); then nothing is reserved anywhere.
    """
    _check_enrolment(user=user, programme=programme, recipient=recipient, start_date=start_date)
    child = recipient if isinstance(recipient, Child) else None
    person = recipient if isinstance(recipient, Person) else None
    with transaction.atomic():
        # Lock order: recipient, programme, rate, then lines (see the module docstring). The programme
        # and rate locks keep pmt_programme_update and pmt_rate_update from changing what is reserved.
        type(recipient).objects.select_for_update().filter(pk=recipient.pk).first()
        PMTProgramme.objects.select_for_update().filter(pk=programme.pk).first()
        fundings = sel.programme_fundings(programme=programme)
        problem = _shares_error(fundings)
        if problem:
            raise ValidationError({"budget_line": [problem]})
        rate = PMTRate.objects.select_for_update().get(pk=pmt_rate_for(programme=programme, on=start_date).pk)
        days, daily_rate = rate.duration_days, rate.daily_rate
        cost = pmt.episode_cost(days=days, daily_rate=daily_rate)
        parts = pmt.split_cost(cost, [f.share_percent for f in fundings])
        end = start_date + datetime.timedelta(days=days - 1)
        if sel.pmt_overlapping(
            category=programme.category, child=child, person=person, start=start_date, end=end
        ):
            raise ValidationError(
                {
                    "recipient": [
                        _("Sasaran sudah terdaftar pada episode PMT kategori ini yang tumpang tindih.")
                    ]
                }
            )
        if PMTEnrolment.objects.filter(programme=programme, child=child, person=person).exists():
            raise ValidationError({"recipient": [_("Sasaran sudah terdaftar pada program ini.")]})
        locked = _lock_lines([f.budget_line_id for f in fundings])
        _check_room_for_parts(locked=locked, fundings=fundings, parts=parts)
        try:
            with transaction.atomic():
                enrolment = PMTEnrolment.objects.create(
                    programme=programme,
                    child=child,
                    person=person,
                    desa=recipient.desa,
                    start_date=start_date,
                    days=days,
                    daily_rate=daily_rate,
                    cost=cost,
                    rate=rate,
                    enrolled_by=user,
                )
        except IntegrityError as error:
            raise ValidationError({"recipient": [_("Sasaran sudah terdaftar pada program ini.")]}) from error
        PMTReservation.objects.bulk_create(
            PMTReservation(enrolment=enrolment, budget_line=locked[f.budget_line_id], amount=part)
            for f, part in zip(fundings, parts, strict=True)
        )
    return enrolment


def _lock_episode(enrolment: PMTEnrolment) -> PMTEnrolment:
    """Lock the episode's lines, then the episode row (module docstring order); return the fresh row."""
    _lock_lines(list(enrolment.reservations.values_list("budget_line_id", flat=True)))
    return PMTEnrolment.objects.select_for_update().select_related("programme").get(pk=enrolment.pk)


def pmt_enrolment_cancel(*, user: User, enrolment: PMTEnrolment) -> PMTEnrolment:
    """Cancel an active episode nothing was paid for; its reservations return to the lines."""
    if not can_enrol(user, enrolment.programme) or not can_read(user, enrolment):
        raise PermissionDenied
    with transaction.atomic():
        row = _lock_episode(enrolment)
        if row.status == PMTEnrolment.Status.FINISHED:
            raise ValidationError({"status": [_("Episode yang sudah selesai tidak dapat dibatalkan.")]})
        if row.disbursements.exclude(status=Disbursement.Status.REJECTED).exists():
            raise ValidationError(
                {"status": [_("Episode yang sudah memiliki pencairan tidak dapat dibatalkan.")]}
            )
        row.status = PMTEnrolment.Status.CANCELLED
        row.save(update_fields=["status", "updated_at"])
    enrolment.status = row.status
    return row


def pmt_enrolment_finish(
    *,
    user: User | None,
    enrolment: PMTEnrolment,
    today: datetime.date,
    finished_on: datetime.date | None = None,
) -> PMTEnrolment:
    """Close an episode: its last day, the days delivered (delivery logs), the unspent reservation given
    back, and its outcome computed and stored.

    `user` None is the nightly task: the episode ends on its planned last day. A user ends it on
    `finished_on` (default: today, at most the planned last day), not before its last delivery.
    Per line the reservation keeps max(its part of days delivered x rate, paid on it for the episode)
    (pmt.released_parts), so disbursed <= committed <= allocated still holds on every line.
    Idempotent: an episode already finished is returned unchanged. Locks: lines, then the episode.
    """
    if user is not None and (not can_enrol(user, enrolment.programme) or not can_read(user, enrolment)):
        raise PermissionDenied
    with transaction.atomic():
        row = _lock_episode(enrolment)
        if row.status == PMTEnrolment.Status.FINISHED:
            return row
        if row.status == PMTEnrolment.Status.CANCELLED:
            raise ValidationError({"status": [_("Episode sudah dibatalkan.")]})
        last_day = row.end_date if user is None else finished_on or min(today, row.end_date)
        logs = list(row.delivery_logs.values_list("delivered_on", "days_delivered"))
        if not row.start_date <= last_day <= min(today, row.end_date):
            raise ValidationError(
                {"finished_on": [_("Tanggal selesai harus di antara tanggal mulai episode dan hari ini.")]}
            )
        if logs and last_day < max(day for day, _n in logs):
            raise ValidationError(
                {"finished_on": [_("Tanggal selesai tidak boleh sebelum penyaluran terakhir.")]}
            )
        reservations = list(row.reservations.order_by("budget_line_id"))
        delivered = sum(n for _day, n in logs)
        paid = sel.enrolment_paid_by_line(enrolment=row)
        released = pmt.released_parts(
            reserved=[r.amount for r in reservations],
            actual=pmt.split_cost(
                pmt.episode_cost(days=delivered, daily_rate=row.daily_rate), [r.amount for r in reservations]
            ),
            paid=[paid.get(r.budget_line_id, Decimal(0)) for r in reservations],
        )
        for reservation, amount in zip(reservations, released, strict=True):
            reservation.released = amount
        PMTReservation.objects.bulk_update(reservations, ["released"])
        row.status = PMTEnrolment.Status.FINISHED
        row.finished_on = last_day
        row.days_delivered = delivered
        row.finished_by = user
        row.save(update_fields=["status", "finished_on", "days_delivered", "finished_by", "updated_at"])
        pmt_outcomes_store(enrolments=[row], today=today)
    return row


def _outcome_row(enrolment: PMTEnrolment, outcome: pmt.Outcome, today: datetime.date) -> PMTOutcome:
    before, after = outcome.before, outcome.after
    return PMTOutcome(
        enrolment=enrolment,
        measured_before_on=before.measured_on if before else None,
        measured_after_on=after.measured_on if after else None,
        weight_before_kg=before.weight_kg if before else None,
        weight_after_kg=after.weight_kg if after else None,
        weight_gain_kg=outcome.weight_gain_kg,
        z_change=outcome.z_change,
        lila_before_cm=before.lila_cm if isinstance(before, pmt.MotherPoint) else None,
        lila_after_cm=after.lila_cm if isinstance(after, pmt.MotherPoint) else None,
        lila_change_cm=outcome.lila_change_cm,
        recovered=outcome.recovered,
        computed_on=today,
    )


def pmt_outcomes_store(*, enrolments: list[PMTEnrolment], today: datetime.date) -> int:
    """Compute (pmt.episode_outcome) and upsert the stored outcome of finished episodes (programme loaded).

    Three queries: measurements, visits, one upsert backed by the outcome's primary key.
    """
    outcomes = sel.episode_outcomes(enrolments=enrolments)
    rows = [_outcome_row(e, outcomes[e.pk], today) for e in enrolments]
    PMTOutcome.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["enrolment"],
        update_fields=list(OUTCOME_FIELDS),
    )
    return len(rows)


def pmt_enrolments_finish_due(*, today: datetime.date) -> tuple[int, int]:
    """Finish every active episode whose planned last day has passed, then recompute the outcomes of
    the episodes finished in the last OUTCOME_REFRESH_DAYS days. Returns (finished, refreshed).

    Idempotent (run nightly, possibly twice): a finished episode is left alone; one transaction per
    episode, so a failure leaves the others finished.
    """
    finished = 0
    for pk in sel.pmt_enrolments_due(today=today):
        enrolment = PMTEnrolment.objects.select_related("programme").get(pk=pk)
        pmt_enrolment_finish(user=None, enrolment=enrolment, today=today)
        finished += 1
    ids = sel.pmt_outcomes_open(today=today, days=OUTCOME_REFRESH_DAYS)
    refreshed = 0
    for i in range(0, len(ids), OUTCOME_BATCH):
        batch = list(
            PMTEnrolment.objects.select_related("programme").filter(pk__in=ids[i : i + OUTCOME_BATCH])
        )
        refreshed += pmt_outcomes_store(enrolments=batch, today=today)
    return finished, refreshed


def pmt_delivery_record(
    *,
    user: User,
    enrolment: PMTEnrolment,
    delivered_on: datetime.date,
    days_delivered: int,
    food_form: str,
    delivered_by: str = "",
) -> PMTDeliveryLog:
    """Log food delivered to an episode's recipient; never more days than the episode has."""
    scope = scope_for_user(user)
    if scope.is_empty or scope.is_read_only or not can_read(user, enrolment):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    if enrolment.status == PMTEnrolment.Status.CANCELLED:
        errors["enrolment"] = [_("Episode sudah dibatalkan.")]
    if not enrolment.start_date <= delivered_on <= enrolment.end_date:
        errors["delivered_on"] = [_("Tanggal di luar periode episode.")]
    if food_form not in PMTDeliveryLog.FoodForm.values:
        errors["food_form"] = [_("Bentuk makanan tidak dikenal.")]
    if days_delivered < 1:
        errors["days_delivered"] = [_("Jumlah hari paling sedikit 1.")]
    if errors:
        raise ValidationError(errors)
    ensure_partitions(PMT_DELIVERY_LOG, [delivered_on.year], field="delivered_on")
    with transaction.atomic():
        status = (
            PMTEnrolment.objects.select_for_update()
            .filter(pk=enrolment.pk)
            .values_list("status", flat=True)
            .get()
        )
        if status != PMTEnrolment.Status.ACTIVE:
            raise ValidationError({"enrolment": [_("Episode sudah selesai atau dibatalkan.")]})
        done = sum(enrolment.delivery_logs.values_list("days_delivered", flat=True))
        if done + days_delivered > enrolment.days:
            raise ValidationError(
                {
                    "days_delivered": [
                        _("Melebihi lama episode: sisa %(n)s hari.") % {"n": enrolment.days - done}
                    ]
                }
            )
        if enrolment.delivery_logs.filter(delivered_on=delivered_on).exists():
            raise ValidationError({"delivered_on": [_("Penyaluran pada tanggal ini sudah dicatat.")]})
        return PMTDeliveryLog.objects.create(
            enrolment=enrolment,
            delivered_on=delivered_on,
            days_delivered=days_delivered,
            food_form=food_form,
            delivered_by=delivered_by,
            recorded_by=user,
        )
