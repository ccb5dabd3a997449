"""Writes of PMT money and episodes: budget lines and revisions, rates and programmes, enrolments and
their end, delivery logs, disbursements.

Concurrency: every write that decides on a line's money (an enrolment reserving its cost, finishing
or cancelling an episode, a revision, the approval of a payment) first locks the BudgetLine rows with
SELECT ... FOR UPDATE inside one transaction and recomputes the totals under that lock, so two
requests racing for the last rupiah are serialised and the second sees the first's reservation.
Lock order, always: the recipient's row (enrolment only), then the lines in primary-key order, then
the episode row (an enrolment also locks its programme and rate rows before the lines; the edits of
programmes and rates lock only their own row); so no two of these writes can deadlock. The recipient lock serialises the overlap
check of one recipient across programmes.

An episode's cost is split over the lines funding its programme by their shares (pmt.split_cost): one
PMTReservation per line, the parts adding up to the cost exactly. Finishing it gives back, per line,
what was neither delivered nor paid (pmt.released_parts).

Money rows (Disbursement) are insert-only: a correction is a reversing row; the only later write is
the approval decision, by a user other than the one who recorded the row (maker-checker).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

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
    PMTCategory,
    PMTDeliveryLog,
    PMTEnrolment,
    PMTFunding,
    PMTOutcome,
    PMTProgramme,
    PMTRate,
    PMTReservation,
)

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


# Roles that hold or oversee PMT money (pages): the kader's PMT work is the food she hands out.
PMT_MONEY_ROLES = frozenset(
    {Role.BAPPEDA_ADMIN, Role.PIMPINAN, Role.OPD_OFFICER, Role.PUSKESMAS_OFFICER, Role.KPM}
)


def can_see_pmt_money(user: User) -> bool:
    scope = scope_for_user(user)
    return scope.is_superuser or scope.role in PMT_MONEY_ROLES


def may_create_budget_lines(user: User) -> bool:
    """Whether the role holds lines at all (can_manage_line decides on each line)."""
    scope = scope_for_user(user)
    return (
        scope.is_superuser
        or scope.role == Role.BAPPEDA_ADMIN
        or (scope.role == Role.OPD_OFFICER and scope.opd_id is not None)
        or (scope.role == Role.KPM and scope.desa_id is not None)
    )


def may_enrol(user: User) -> bool:
    """Whether the role enrols recipients in some programme (can_enrol decides per programme)."""
    scope = scope_for_user(user)
    return scope.is_superuser or scope.role in (
        Role.BAPPEDA_ADMIN,
        Role.OPD_OFFICER,
        Role.PUSKESMAS_OFFICER,
    )


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
        locked.save(update_fields=["allocated", "updated_at"])
    line.allocated = new_allocated
    return revision


# --- rates and programmes (reference data) ------------------------------------------------------------


def can_manage_rates(user: User, kabupaten: Region | None) -> bool:
    """Bappeda its kabupaten's rates; the national defaults (no kabupaten) only a superuser."""
    scope = scope_for_user(user)
    if scope.is_superuser:
        return True
    return (
        kabupaten is not None and scope.role == Role.BAPPEDA_ADMIN and scope.kabupaten_code == kabupaten.code
    )


def _rate_errors(*, category: str, daily_rate: Decimal, duration_days: int) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if category not in PMTCategory.values:
        errors["category"] = [_("Kategori sasaran tidak dikenal.")]
    if daily_rate is None or daily_rate <= 0 or daily_rate != daily_rate.to_integral_value():
        errors["daily_rate"] = [_("Biaya per hari harus rupiah bulat lebih dari nol.")]
    if duration_days is None or duration_days < 1:
        errors["duration_days"] = [_("Lama paling sedikit 1 hari.")]
    return errors


def pmt_rate_create(
    *,
    user: User,
    kabupaten: Region | None,
    category: str,
    valid_from: datetime.date,
    daily_rate: Decimal,
    duration_days: int,
    source: str = "",
) -> PMTRate:
    """A new dated rate row from `valid_from` (a rate changes by a new row; episodes keep theirs)."""
    if not can_manage_rates(user, kabupaten):
        raise PermissionDenied
    errors = _rate_errors(category=category, daily_rate=daily_rate, duration_days=duration_days)
    if errors:
        raise ValidationError(errors)
    if PMTRate.objects.filter(kabupaten=kabupaten, category=category, valid_from=valid_from).exists():
        raise ValidationError({"valid_from": [_("Tarif kategori ini sudah ada untuk tanggal tersebut.")]})
    try:
        with transaction.atomic():
            return PMTRate.objects.create(
                kabupaten=kabupaten,
                category=category,
                valid_from=valid_from,
                daily_rate=daily_rate,
                duration_days=duration_days,
                source=source,
            )
    except IntegrityError as error:  # a concurrent twin
        raise ValidationError(
            {"valid_from": [_("Tarif kategori ini sudah ada untuk tanggal tersebut.")]}
        ) from error


def pmt_rate_update(*, user: User, rate: PMTRate, **changes: object) -> PMTRate:
    """Correct a rate row no episode has used yet (a used one is superseded by a new row instead).

    `changes`: any of valid_from, daily_rate, duration_days, source.
    """
    if not can_manage_rates(user, rate.kabupaten):
        raise PermissionDenied
    unknown = set(changes) - {"valid_from", "daily_rate", "duration_days", "source"}
    if unknown:
        raise ValidationError({key: [_("Tidak dapat diubah.")] for key in sorted(unknown)})
    with transaction.atomic():
        row = PMTRate.objects.select_for_update().get(pk=rate.pk)
        # pmt_enrol locks the rate it uses: no episode can take it between this check and the write.
        if row.enrolments.exists():
            raise ValidationError(
                {
                    "non_field_errors": [
                        _(
                            "Tarif ini sudah dipakai episode PMT; tetapkan tarif baru dengan tanggal berlaku baru."
                        )
                    ]
                }
            )
        for key, value in changes.items():
            setattr(row, key, value)
        errors = _rate_errors(
            category=row.category, daily_rate=row.daily_rate, duration_days=row.duration_days
        )
        if errors:
            raise ValidationError(errors)
        clash = PMTRate.objects.filter(
            kabupaten=row.kabupaten_id, category=row.category, valid_from=row.valid_from
        ).exclude(pk=row.pk)
        if clash.exists():
            raise ValidationError({"valid_from": [_("Tarif kategori ini sudah ada untuk tanggal tersebut.")]})
        row.save()
    return row


def may_create_programmes(user: User) -> bool:
    """Whether the user's role creates programmes at all (Bappeda, OPD officers), before any field."""
    scope = scope_for_user(user)
    return scope.is_superuser or scope.role in (Role.BAPPEDA_ADMIN, Role.OPD_OFFICER)


def can_manage_programme(user: User, *, kabupaten: Region, opd: OPD) -> bool:
    """Bappeda any programme of its kabupaten; an OPD officer the programmes his OPD runs."""
    scope = scope_for_user(user)
    if scope.is_superuser:
        return True
    if scope.role == Role.BAPPEDA_ADMIN:
        return scope.kabupaten_code == kabupaten.code
    return scope.role == Role.OPD_OFFICER and scope.opd_id == opd.pk


def _programme_errors(
    *,
    user: User,
    kabupaten: Region,
    year: int,
    category: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    opd: OPD,
    fundings: list[tuple[BudgetLine, Decimal]],
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if category not in PMTCategory.values:
        errors["category"] = [_("Kategori sasaran tidak dikenal.")]
    if opd.kabupaten_id != kabupaten.pk:
        errors["opd"] = [_("OPD tidak berada di kabupaten ini.")]
    if starts_on > ends_on or starts_on.year != year or ends_on.year != year:
        errors["ends_on"] = [_("Periode program harus di dalam tahun program, mulai sebelum selesai.")]
    lines = [line for line, _share in fundings]
    if not fundings:
        errors["fundings"] = [_("Program harus dibiayai paling sedikit satu baris anggaran.")]
    elif len({line.pk for line in lines}) != len(lines):
        errors["fundings"] = [_("Satu baris anggaran hanya sekali per program.")]
    elif any(line.kabupaten_id != kabupaten.pk or line.year != year for line in lines):
        errors["fundings"] = [_("Baris anggaran harus dari kabupaten dan tahun program.")]
    elif any(share <= 0 or share > 100 or share != share.quantize(Decimal("0.01")) for _l, share in fundings):
        errors["fundings"] = [
            _("Porsi tiap baris anggaran lebih dari 0 dan paling banyak 100%, dua desimal.")
        ]
    else:
        problem = _shares_error([PMTFunding(share_percent=share) for _l, share in fundings])
        if problem:
            errors["fundings"] = [problem]
    return errors


def _save_fundings(programme: PMTProgramme, fundings: list[tuple[BudgetLine, Decimal]]) -> None:
    programme.fundings.all().delete()
    PMTFunding.objects.bulk_create(
        PMTFunding(programme=programme, budget_line=line, share_percent=share) for line, share in fundings
    )


def pmt_programme_create(
    *,
    user: User,
    kabupaten: Region,
    year: int,
    name: str,
    category: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    opd: OPD,
    fundings: list[tuple[BudgetLine, Decimal]],
    is_active: bool = True,
) -> PMTProgramme:
    """Create a programme funded by `fundings` (line, share %), shares adding up to 100 %.

    By Bappeda, or an OPD officer for his OPD; every funding line must be one the user manages.
    """
    if not can_manage_programme(user, kabupaten=kabupaten, opd=opd):
        raise PermissionDenied
    if any(not can_manage_line(user, line) for line, _share in fundings):
        raise PermissionDenied
    errors = _programme_errors(
        user=user,
        kabupaten=kabupaten,
        year=year,
        category=category,
        starts_on=starts_on,
        ends_on=ends_on,
        opd=opd,
        fundings=fundings,
    )
    if not name.strip():
        errors["name"] = [_("Nama program wajib diisi.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        programme = PMTProgramme.objects.create(
            kabupaten=kabupaten,
            year=year,
            name=name.strip(),
            category=category,
            starts_on=starts_on,
            ends_on=ends_on,
            opd=opd,
            is_active=is_active,
        )
        _save_fundings(programme, fundings)
    return programme


PROGRAMME_FIELDS = ("name", "category", "starts_on", "ends_on", "opd", "year")


def pmt_programme_update(
    *,
    user: User,
    programme: PMTProgramme,
    fundings: list[tuple[BudgetLine, Decimal]] | None = None,
    **changes: object,
) -> PMTProgramme:
    """Edit a programme before its first enrolment (after it, only `is_active` may change).

    `changes`: any of name, category, starts_on, ends_on, opd, year, is_active; `fundings` replaces
    the funding lines and shares. The programme row is locked (as pmt_enrol locks it before reading
    the fundings), so an enrolment cannot slip in between the check and the write.
    """
    if not can_manage_programme(user, kabupaten=programme.kabupaten, opd=programme.opd):
        raise PermissionDenied
    unknown = set(changes) - {*PROGRAMME_FIELDS, "is_active"}
    if unknown:
        raise ValidationError({key: [_("Tidak dapat diubah.")] for key in sorted(unknown)})
    with transaction.atomic():
        row = PMTProgramme.objects.select_for_update().select_related("kabupaten", "opd").get(pk=programme.pk)
        current = [(f.budget_line, f.share_percent) for f in sel.programme_fundings(programme=row)]
        structural = fundings is not None or any(
            getattr(row, key) != value for key, value in changes.items() if key != "is_active"
        )
        if structural and row.enrolments.exists():
            raise ValidationError(
                {"non_field_errors": [_("Program yang sudah memiliki episode tidak dapat diubah.")]}
            )
        for key, value in changes.items():
            setattr(row, key, value)
        if not can_manage_programme(user, kabupaten=row.kabupaten, opd=row.opd):
            raise PermissionDenied
        new_fundings = fundings if fundings is not None else current
        if fundings is not None and any(not can_manage_line(user, line) for line, _share in fundings):
            raise PermissionDenied
        errors = _programme_errors(
            user=user,
            kabupaten=row.kabupaten,
            year=row.year,
            category=row.category,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            opd=row.opd,
            fundings=new_fundings,
        )
        if not row.name.strip():
            errors["name"] = [_("Nama program wajib diisi.")]
        if errors:
            raise ValidationError(errors)
        row.save()
        if fundings is not None:
            _save_fundings(row, fundings)
    return row


# --- enrolment ---------------------------------------------------------------------------------------


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


# --- disbursements -----------------------------------------------------------------------------------


def _check_room(line: BudgetLine, enrolment: PMTEnrolment | None, amount: Decimal) -> None:
    """Refuse a payment that would break disbursed <= committed <= allocated (line locked by caller)."""
    if amount <= 0:
        return
    if enrolment is not None:
        # What the episode still holds on this line, less what was already paid from it.
        reservation = enrolment.reservations.get(budget_line=line)
        held = reservation.held if enrolment.status != PMTEnrolment.Status.CANCELLED else Decimal(0)
        left = held - sel.enrolment_paid(enrolment=enrolment, line=line)
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
        not enrolment.reservations.filter(budget_line=budget_line).exists()
        or enrolment.status == PMTEnrolment.Status.CANCELLED
    ):
        raise ValidationError({"enrolment": [_("Episode tidak dibiayai baris anggaran ini.")]})
    with transaction.atomic():
        locked = BudgetLine.objects.select_for_update().get(pk=budget_line.pk)
        if enrolment is not None:
            enrolment.refresh_from_db(fields=["status"])
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
        row.save(update_fields=["status", "approved_by", "decided_at", "updated_at"])
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
