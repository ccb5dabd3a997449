"""Writes of PMT money and episodes: budget lines and revisions, enrolments, delivery logs, disbursements.

Concurrency: every write that decides on a line's money (an enrolment reserving its cost, a revision,
the approval of a payment) first locks the BudgetLine row with SELECT ... FOR UPDATE inside one
transaction and recomputes the totals under that lock, so two requests racing for the last rupiah are
serialised and the second sees the first's reservation. An enrolment also locks its recipient's row
first (then the line: always this order, so two enrolments cannot deadlock), which serialises the
overlap check of one recipient across programmes.

Money rows (Disbursement) are insert-only: a correction is a reversing row; the only later write is
the approval decision, by a user other than the one who recorded the row (maker-checker).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from children.models import Child, Person
from convergence.models import OPD, Region, Role, User
from convergence.scoping import can_read, scope_for_user
from interventions import pmt
from interventions import selectors_pmt as sel
from interventions.models import (
    PMT_PERSON_CATEGORIES,
    BudgetLine,
    BudgetRevision,
    Disbursement,
    FundingSource,
    PMTDeliveryLog,
    PMTEnrolment,
    PMTProgramme,
    PMTRate,
)

INELIGIBLE: dict[str, str] = {  # type: ignore[dict-item]
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


def rupiah(amount: Decimal) -> str:
    """Rp 1.234.567 (Indonesian thousands separator)."""
    return "Rp " + f"{int(amount):,}".replace(",", ".")


# --- who may do what ---------------------------------------------------------------------------------


def can_manage_line(user: User, line: BudgetLine) -> bool:
    """Bappeda any line of its kabupaten, an OPD officer his OPD's lines, a KPM the lines of his desa."""
    scope = scope_for_user(user)
    if scope.is_superuser:
        return True
    if scope.role == Role.BAPPEDA_ADMIN:
        return scope.kabupaten_code == line.kabupaten.code
    if scope.role == Role.OPD_OFFICER:
        return line.opd_id is not None and line.opd_id == scope.opd_id
    if scope.role == Role.KPM:
        return line.desa_id is not None and line.desa_id == scope.desa_id
    return False


def _check_line(user: User, line: BudgetLine) -> None:
    if not can_manage_line(user, line):
        raise PermissionDenied


def can_enrol(user: User, programme: PMTProgramme) -> bool:
    """Bappeda, the programme's OPD officers and puskesmas officers (for recipients of their area)."""
    scope = scope_for_user(user)
    if scope.is_superuser:
        return True
    if scope.role == Role.BAPPEDA_ADMIN:
        return scope.kabupaten_code == programme.kabupaten.code
    if scope.role == Role.OPD_OFFICER:
        return programme.opd_id == scope.opd_id
    return scope.role == Role.PUSKESMAS_OFFICER and scope.kabupaten_prefix == programme.kabupaten.code


# --- budget lines ------------------------------------------------------------------------------------


def budget_line_create(
    *,
    user: User,
    kabupaten: Region,
    year: int,
    source: str,
    name: str,
    allocated: Decimal,
    opd: OPD | None = None,
    desa: Region | None = None,
    programme_code: str = "",
    activity_code: str = "",
    sub_activity_code: str = "",
) -> BudgetLine:
    """Create a budget line held by `opd` or `desa` (exactly one)."""
    line = BudgetLine(
        kabupaten=kabupaten,
        year=year,
        source=source,
        name=name,
        allocated=allocated,
        original_allocated=allocated,
        opd=opd,
        desa=desa,
        programme_code=programme_code,
        activity_code=activity_code,
        sub_activity_code=sub_activity_code,
    )
    errors: dict[str, list[str]] = {}
    if (opd is None) == (desa is None):
        errors["opd"] = [_("Baris anggaran dipegang oleh tepat satu OPD atau satu desa.")]
    if desa is not None and not desa.code.startswith(f"{kabupaten.code}."):
        errors["desa"] = [_("Desa tidak berada di kabupaten ini.")]
    if opd is not None and opd.kabupaten_id != kabupaten.pk:
        errors["opd"] = [_("OPD tidak berada di kabupaten ini.")]
    if allocated < 0:
        errors["allocated"] = [_("Pagu tidak boleh negatif.")]
    if source not in FundingSource.values:
        errors["source"] = [_("Sumber dana tidak dikenal.")]
    if errors:
        raise ValidationError(errors)
    _check_line(user, line)
    line.full_clean()
    line.save()
    return line


def budget_line_revise(
    *, user: User, line: BudgetLine, new_allocated: Decimal, reason: str, revised_on: datetime.date
) -> BudgetRevision:
    """Change a line's allocation (refocusing), never below what is already committed on it."""
    _check_line(user, line)
    if not reason.strip():
        raise ValidationError({"reason": [_("Alasan revisi wajib diisi.")]})
    if new_allocated < 0:
        raise ValidationError({"new_allocated": [_("Pagu tidak boleh negatif.")]})
    with transaction.atomic():
        locked = BudgetLine.objects.select_for_update().get(pk=line.pk)
        totals = sel.budget_line_totals(line=locked)
        if new_allocated < totals.committed:
            raise ValidationError(
                {
                    "new_allocated": [
                        _("Pagu baru %(new)s lebih kecil dari yang sudah terpakai %(used)s.")
                        % {"new": rupiah(new_allocated), "used": rupiah(totals.committed)}
                    ]
                }
            )
        revision = BudgetRevision.objects.create(
            budget_line=locked,
            revised_on=revised_on,
            previous_allocated=locked.allocated,
            new_allocated=new_allocated,
            reason=reason.strip(),
            made_by=user,
        )
        locked.allocated = new_allocated
        locked.save(update_fields=["allocated"])
    line.allocated = new_allocated
    return revision


# --- enrolment ---------------------------------------------------------------------------------------


def pmt_rate_for(*, programme: PMTProgramme, on: datetime.date) -> PMTRate:
    """The kabupaten's own rate valid on `on`, else the default one."""
    rates = PMTRate.objects.filter(category=programme.category, valid_from__lte=on).order_by("-valid_from")
    rate = rates.filter(kabupaten=programme.kabupaten).first() or rates.filter(kabupaten__isnull=True).first()
    if rate is None:
        raise ValidationError({"programme": [_("Tarif PMT untuk kategori ini belum ditetapkan.")]})
    return rate


def _eligibility(programme: PMTProgramme, recipient: Child | Person, start: datetime.date) -> str | None:
    if programme.category in PMT_PERSON_CATEGORIES:
        assert isinstance(recipient, Person)
        reason = pmt.mother_ineligibility(
            programme.category, sel.mother_status_on(person=recipient, on=start)
        )
    else:
        assert isinstance(recipient, Child)
        reason = pmt.child_ineligibility(programme.category, sel.child_status_on(child=recipient, on=start))
    return str(INELIGIBLE[reason]) if reason else None


def pmt_enrol(
    *,
    user: User,
    programme: PMTProgramme,
    recipient: Child | Person,
    start_date: datetime.date,
    budget_line: BudgetLine | None = None,
) -> PMTEnrolment:
    """Enrol a named recipient in a programme, reserving days x rate on a budget line funding it.

    Refused (ValidationError naming the field) when the recipient is not eligible on `start_date`,
    already has an overlapping episode of the category, or the line has not enough left.
    """
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
    lines = list(programme.budget_lines.order_by("pk"))
    if budget_line is None:
        if len(lines) != 1:
            raise ValidationError({"budget_line": [_("Pilih baris anggaran yang membiayai program ini.")]})
        budget_line = lines[0]
    elif budget_line not in lines:
        raise ValidationError({"budget_line": [_("Baris anggaran ini tidak membiayai program ini.")]})
    reason = _eligibility(programme, recipient, start_date)
    if reason:
        raise ValidationError({"recipient": [reason]})
    rate = pmt_rate_for(programme=programme, on=start_date)
    days, daily_rate = rate.duration_days, rate.daily_rate
    cost = pmt.episode_cost(days=days, daily_rate=daily_rate)
    end = start_date + datetime.timedelta(days=days - 1)
    child = recipient if isinstance(recipient, Child) else None
    person = recipient if isinstance(recipient, Person) else None
    with transaction.atomic():
        # Lock order: recipient, then line (see the module docstring).
        type(recipient).objects.select_for_update().filter(pk=recipient.pk).first()
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
        locked = BudgetLine.objects.select_for_update().get(pk=budget_line.pk)
        totals = sel.budget_line_totals(line=locked)
        if cost > totals.available:
            raise ValidationError(
                {
                    "budget_line": [
                        _("Sisa anggaran %(line)s tidak cukup: perlu %(need)s, tersisa %(left)s.")
                        % {"line": locked.name, "need": rupiah(cost), "left": rupiah(totals.available)}
                    ]
                }
            )
        try:
            with transaction.atomic():
                return PMTEnrolment.objects.create(
                    programme=programme,
                    child=child,
                    person=person,
                    desa=recipient.desa,
                    start_date=start_date,
                    days=days,
                    daily_rate=daily_rate,
                    cost=cost,
                    budget_line=locked,
                    enrolled_by=user,
                )
        except IntegrityError as error:
            raise ValidationError({"recipient": [_("Sasaran sudah terdaftar pada program ini.")]}) from error


def pmt_enrolment_cancel(*, user: User, enrolment: PMTEnrolment) -> PMTEnrolment:
    """Cancel an episode nothing was paid for; its reservation returns to the line."""
    if not can_enrol(user, enrolment.programme) or not can_read(user, enrolment):
        raise PermissionDenied
    with transaction.atomic():
        BudgetLine.objects.select_for_update().get(pk=enrolment.budget_line_id)
        if enrolment.disbursements.exclude(status=Disbursement.Status.REJECTED).exists():
            raise ValidationError(
                {"status": [_("Episode yang sudah memiliki pencairan tidak dapat dibatalkan.")]}
            )
        enrolment.status = PMTEnrolment.Status.CANCELLED
        enrolment.save(update_fields=["status"])
    return enrolment


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
    with transaction.atomic():
        PMTEnrolment.objects.select_for_update().filter(pk=enrolment.pk).first()
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


# --- disbursements -----------------------------------------------------------------------------------


def _check_room(line: BudgetLine, enrolment: PMTEnrolment | None, amount: Decimal) -> None:
    """Refuse a payment that would break disbursed <= committed <= allocated (line locked by caller)."""
    if amount <= 0:
        return
    if enrolment is not None:
        left = enrolment.cost - sel.enrolment_paid(enrolment=enrolment)
        if amount > left:
            raise ValidationError(
                {
                    "amount": [
                        _("Pembayaran melebihi biaya episode: diminta %(a)s, tersisa %(left)s.")
                        % {"a": rupiah(amount), "left": rupiah(left)}
                    ]
                }
            )
        return
    left = sel.budget_line_totals(line=line).available
    if amount > left:
        raise ValidationError(
            {
                "amount": [
                    _("Sisa anggaran %(line)s tidak cukup: perlu %(need)s, tersisa %(left)s.")
                    % {"line": line.name, "need": rupiah(amount), "left": rupiah(left)}
                ]
            }
        )


def disbursement_record(
    *,
    user: User,
    budget_line: BudgetLine,
    amount: Decimal,
    payee: str,
    paid_on: datetime.date,
    enrolment: PMTEnrolment | None = None,
    note: str = "",
) -> Disbursement:
    """Record a payment (waiting for approval by another officer)."""
    _check_line(user, budget_line)
    if amount is None or amount <= 0 or amount != amount.to_integral_value():
        raise ValidationError({"amount": [_("Jumlah harus rupiah bulat lebih dari nol.")]})
    if not payee.strip():
        raise ValidationError({"payee": [_("Penerima pembayaran wajib diisi.")]})
    if enrolment is not None and (
        enrolment.budget_line_id != budget_line.pk or enrolment.status == PMTEnrolment.Status.CANCELLED
    ):
        raise ValidationError({"enrolment": [_("Episode tidak dibiayai baris anggaran ini.")]})
    with transaction.atomic():
        locked = BudgetLine.objects.select_for_update().get(pk=budget_line.pk)
        _check_room(locked, enrolment, amount)
        return Disbursement.objects.create(
            budget_line=locked,
            enrolment=enrolment,
            amount=amount,
            payee=payee.strip(),
            paid_on=paid_on,
            note=note,
            recorded_by=user,
        )


def _decide(*, user: User, disbursement: Disbursement, status: str) -> Disbursement:
    _check_line(user, disbursement.budget_line)
    with transaction.atomic():
        line = BudgetLine.objects.select_for_update().get(pk=disbursement.budget_line_id)
        row = Disbursement.objects.select_for_update().get(pk=disbursement.pk)
        if row.status != Disbursement.Status.PENDING:
            raise ValidationError({"status": [_("Pencairan ini sudah diputuskan.")]})
        if row.recorded_by_id == user.pk:
            raise PermissionDenied(_("Pencatat pencairan tidak boleh menyetujui atau menolaknya sendiri."))
        if status == Disbursement.Status.APPROVED:
            _check_room(line, row.enrolment, row.amount)
        row.status = status
        row.approved_by = user
        row.decided_at = timezone.now()
        row.save(update_fields=["status", "approved_by", "decided_at"])
    return row


def disbursement_approve(*, user: User, disbursement: Disbursement) -> Disbursement:
    """Approve a pending disbursement: by an officer of the line other than the one who recorded it."""
    return _decide(user=user, disbursement=disbursement, status=Disbursement.Status.APPROVED)


def disbursement_reject(*, user: User, disbursement: Disbursement) -> Disbursement:
    return _decide(user=user, disbursement=disbursement, status=Disbursement.Status.REJECTED)


def disbursement_reverse(
    *, user: User, disbursement: Disbursement, paid_on: datetime.date, note: str
) -> Disbursement:
    """Record the reversal of an approved payment: amount negated, at most once, approved by another officer."""
    _check_line(user, disbursement.budget_line)
    if not note.strip():
        raise ValidationError({"note": [_("Alasan pembalikan wajib diisi.")]})
    with transaction.atomic():
        BudgetLine.objects.select_for_update().get(pk=disbursement.budget_line_id)
        original = Disbursement.objects.select_for_update().get(pk=disbursement.pk)
        if original.kind != Disbursement.Kind.PAYMENT or original.status != Disbursement.Status.APPROVED:
            raise ValidationError({"reverses": [_("Hanya pembayaran yang sudah disetujui dapat dibalik.")]})
        if original.reversals.exclude(status=Disbursement.Status.REJECTED).exists():
            raise ValidationError({"reverses": [_("Pembayaran ini sudah dibalik.")]})
        return Disbursement.objects.create(
            budget_line_id=original.budget_line_id,
            enrolment_id=original.enrolment_id,
            kind=Disbursement.Kind.REVERSAL,
            reverses=original,
            amount=-original.amount,
            payee=original.payee,
            paid_on=paid_on,
            note=note.strip(),
            recorded_by=user,
        )
