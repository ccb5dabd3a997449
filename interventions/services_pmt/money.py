"""Writes of PMT money: budget lines and their revisions, disbursements and their approval.

Locking: see interventions.services_pmt (the lines are locked before their totals are recomputed).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from convergence.models import OPD, Region, User
from interventions import selectors_pmt as sel
from interventions.models import (
    BudgetLine,
    BudgetRevision,
    Disbursement,
    FundingSource,
    PMTEnrolment,
)
from interventions.services_pmt.permissions import _check_line, rupiah

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
