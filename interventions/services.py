"""Writes of the interventions app: deliveries (closing the referrals they answer) and referrals.

Who writes (interventions.access): deliveries are recorded by an OPD officer for his own OPD's
interventions and by Bappeda for any; referrals are opened by Bappeda, the owner OPD, puskesmas
officers and KPM in their area, and moved along by Bappeda or the owner OPD.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from children.models import Child, Keluarga, Person
from convergence.models import User
from convergence.scoping import can_read, restrict
from interventions import access
from interventions import eligibility as rules
from interventions.models import Delivery, FundingSource, Intervention, Referral, SubjectKind


@dataclass
class DeliveryResult:
    delivery: Delivery
    created: bool
    closed_referrals: list[int] = field(default_factory=list)


def subject_fields(subject: Model) -> dict[str, Model | None]:
    """{"child": ..., "person": ..., "keluarga": ...} with exactly one set."""
    return {
        "child": subject if isinstance(subject, Child) else None,
        "person": subject if isinstance(subject, Person) else None,
        "keluarga": subject if isinstance(subject, Keluarga) else None,
    }


def subject_kind_of(subject: Model) -> str:
    if isinstance(subject, Child):
        return SubjectKind.CHILD
    if isinstance(subject, Person):
        return SubjectKind.PERSON
    return SubjectKind.KELUARGA


def _check_subject(*, user: User, intervention: Intervention, subject: Model) -> None:
    if subject_kind_of(subject) != rules.SUBJECT_KIND[intervention.target_group]:
        raise ValidationError(
            {
                "subject": _("Sasaran intervensi ini adalah %(group)s.")
                % {"group": intervention.get_target_group_display()}
            }
        )
    # The subject must be one the user may read, in the intervention's kabupaten.
    if not can_read(user, subject) or not subject.desa.code.startswith(f"{intervention.kabupaten.code}."):  # type: ignore[attr-defined]
        raise ValidationError({"subject": _("Sasaran tidak ditemukan di wilayah kerja Anda.")})


def _close_referrals(*, delivery: Delivery) -> list[int]:
    """Close the open referrals this delivery answers (same intervention, same subject)."""
    # The two empty subject columns match as IS NULL: the same subject, whichever kind it is.
    subject = {
        "child_id": delivery.child_id,
        "person_id": delivery.person_id,
        "keluarga_id": delivery.keluarga_id,
    }
    open_referrals = Referral.objects.select_for_update().filter(
        intervention_id=delivery.intervention_id,
        **subject,
        status__in=Referral.OPEN_STATUSES,
    )
    ids = list(open_referrals.values_list("pk", flat=True))
    now = timezone.now()
    for referral in Referral.objects.filter(pk__in=ids):
        referral.status = Referral.Status.DONE
        referral.delivery = delivery
        referral.closed_at = now
        referral.save(update_fields=["status", "delivery", "closed_at"])
    return ids


def delivery_record(
    *,
    user: User,
    intervention: Intervention,
    subject: Model,
    delivered_on: datetime.date,
    quantity: Decimal = Decimal(1),
    unit: str = "",
    funding_source: str = FundingSource.APBD,
    provider_unit: str = "",
    source: str = Delivery.Source.MANUAL,
    today: datetime.date | None = None,
) -> DeliveryResult:
    """Record that `subject` received `intervention` on `delivered_on`; close the referrals it answers.

    Idempotent: a second record of the same intervention, subject and day returns the first one
    unchanged (created=False). PermissionDenied when the user may not record this intervention.
    """
    access.check_delivery_write(user, intervention)
    today = today or timezone.localdate()
    _check_subject(user=user, intervention=intervention, subject=subject)
    errors: dict[str, list[str]] = {}
    if delivered_on > today:
        errors.setdefault("delivered_on", []).append(_("Tanggal penyaluran tidak boleh di masa depan."))
    elif not intervention.is_valid_between(delivered_on, delivered_on):
        errors.setdefault("delivered_on", []).append(_("Intervensi tidak berlaku pada tanggal ini."))
    if quantity is None or quantity <= 0:
        errors.setdefault("quantity", []).append(_("Jumlah harus lebih dari nol."))
    if funding_source not in FundingSource.values:
        errors.setdefault("funding_source", []).append(_("Sumber dana tidak dikenal."))
    if errors:
        raise ValidationError(errors)
    subject_of = subject_fields(subject)
    key = {"intervention": intervention, "delivered_on": delivered_on, **subject_of}
    with transaction.atomic():
        existing = Delivery.objects.filter(**key).first()
        if existing is not None:
            return DeliveryResult(delivery=existing, created=False)
        delivery = Delivery(
            **key,
            opd_id=intervention.opd_id,
            desa_id=subject.desa_id,  # type: ignore[attr-defined]
            quantity=quantity,
            unit=unit or intervention.unit,
            funding_source=funding_source,
            provider_unit=provider_unit,
            source=source,
            recorded_by=user,
        )
        try:
            # A concurrent identical record loses on the unique constraint and gets the winner's row.
            with transaction.atomic():
                delivery.save()
        except IntegrityError:
            return DeliveryResult(delivery=Delivery.objects.get(**key), created=False)
        closed = _close_referrals(delivery=delivery)
    return DeliveryResult(delivery=delivery, created=True, closed_referrals=closed)


def referral_create(
    *,
    user: User,
    intervention: Intervention,
    subject: Model,
    reason: str,
    due_date: datetime.date,
    assigned_to: User | None = None,
    note: str = "",
    today: datetime.date | None = None,
) -> Referral:
    """Refer `subject` to the OPD responsible for `intervention`; one open referral per intervention and subject."""
    access.check_referral_create(user, intervention)
    return referral_insert(
        user=user,
        intervention=intervention,
        subject=subject,
        reason=reason,
        due_date=due_date,
        assigned_to=assigned_to,
        note=note,
        today=today,
    )


def referral_insert(
    *,
    user: User,
    intervention: Intervention,
    subject: Model,
    reason: str,
    due_date: datetime.date,
    assigned_to: User | None = None,
    note: str = "",
    today: datetime.date | None = None,
) -> Referral:
    """referral_create once the caller has checked that `user` may create this referral (the role rule
    differs by entry point: interventions.access); the subject is still checked against `user`'s scope."""
    today = today or timezone.localdate()
    _check_subject(user=user, intervention=intervention, subject=subject)
    if due_date < today:
        raise ValidationError({"due_date": _("Batas waktu tidak boleh sebelum hari ini.")})
    if assigned_to is not None and assigned_to.opd_id != intervention.opd_id:
        raise ValidationError({"assigned_to": _("Petugas harus dari OPD penanggung jawab intervensi.")})
    subject_of = subject_fields(subject)
    with transaction.atomic():
        already = Referral.objects.filter(
            intervention=intervention, status__in=Referral.OPEN_STATUSES, **subject_of
        ).exists()
        if already:
            raise ValidationError(_("Sasaran ini sudah punya rujukan terbuka untuk intervensi ini."))
        referral = Referral(
            intervention=intervention,
            opd_id=intervention.opd_id,
            desa_id=subject.desa_id,  # type: ignore[attr-defined]
            reason=reason or rules.RULES[intervention.eligibility_rule].label,
            due_date=due_date,
            created_by=user,
            assigned_to=assigned_to,
            note=note,
            **subject_of,
        )
        referral.full_clean(exclude=["created_by", "opd", "delivery"])
        referral.save()
    return referral


# Manual moves; "selesai" comes only with a delivery (delivery_record).
TRANSITIONS: dict[str, set[str]] = {
    Referral.Status.OPEN: {Referral.Status.IN_PROGRESS, Referral.Status.CANCELLED},
    Referral.Status.IN_PROGRESS: {Referral.Status.OPEN, Referral.Status.CANCELLED},
}


def referral_status_change(*, user: User, referral: Referral, status: str, note: str = "") -> Referral:
    """Move an open referral to diproses/terbuka/dibatalkan; a closed one cannot move."""
    access.check_referral_manage(user, referral)
    if status not in TRANSITIONS.get(referral.status, set()):
        raise ValidationError({"status": _("Perubahan status ini tidak diizinkan.")})
    with transaction.atomic():
        locked = Referral.objects.select_for_update().get(pk=referral.pk)
        if status not in TRANSITIONS.get(locked.status, set()):
            raise ValidationError({"status": _("Perubahan status ini tidak diizinkan.")})
        locked.status = status
        if note:
            locked.note = f"{locked.note}\n{note}".strip()
        if status == Referral.Status.CANCELLED:
            locked.closed_at = timezone.now()
        locked.save(update_fields=["status", "note", "closed_at"])
    return locked


def subject_for_user(*, user: User, kind: str, pk: int) -> Model:
    """The child, person or family `pk` if the user may read it; a ValidationError on `subject` otherwise."""
    models: dict[str, type[Child] | type[Person] | type[Keluarga]] = {
        SubjectKind.CHILD: Child,
        SubjectKind.PERSON: Person,
        SubjectKind.KELUARGA: Keluarga,
    }
    model = models.get(kind)
    if model is None:
        raise ValidationError({"subject": _("Jenis sasaran tidak dikenal.")})
    subject = restrict(model.objects.select_related("desa").filter(pk=pk), user).first()
    if subject is None:
        raise ValidationError({"subject": _("Sasaran tidak ditemukan di wilayah kerja Anda.")})
    return subject
