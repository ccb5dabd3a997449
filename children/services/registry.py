"""Writes of the registry's people: children, persons and families, with their NIK and KK numbers.

Identity rules come from children.identity; the NIK is stored only through children.pii.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any, Generic, NoReturn, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from children import compute, identity, pii
from children.access import check_registry_write
from children.changes import measurements_changed
from children.models import (
    Child,
    Keluarga,
    Person,
)
from convergence.models import User
from convergence.scoping import can_read, scope_for_user
from convergence.services import region_check_active

_Registered = TypeVar("_Registered", Child, Person, Keluarga)


@dataclass
class RegistrationResult(Generic[_Registered]):
    obj: _Registered
    created: bool
    warnings: list[str] = field(default_factory=list)


def nik_owner(*, nik: str, exclude: models.Model | None = None) -> Child | Person | None:
    """The child or person already holding this (normalised) NIK, across both registries."""
    digest = pii.nik_hash(nik)
    for model in (Child, Person):
        qs = model.objects.filter(nik_hash=digest)
        if exclude is not None and isinstance(exclude, model):
            qs = qs.exclude(pk=exclude.pk)
        found = qs.select_related("desa").first()
        if found is not None:
            return found
    return None


def refuse_taken_number(*, user: User | None, owner: Child | Person | Keluarga, field: str) -> NoReturn:
    """Refuse a NIK (`field` "nik") or KK number ("kk_number") that `owner` already holds.

    The message names the record only when `user` may open it; otherwise it says a record exists
    outside the user's scope, and the case goes to the duplicate review queue (written before the
    refusal: callers must not hold a transaction that the refusal rolls back).
    """
    from children.duplicates import duplicate_report_outside_scope

    is_kk = isinstance(owner, Keluarga)
    if user is None or can_read(user, owner):
        if isinstance(owner, Keluarga):
            message = _(
                "Nomor KK ini sudah terdaftar: keluarga %(name)s di %(desa)s (nomor data %(pk)s)."
            ) % {"name": owner.head_name, "desa": owner.desa.name, "pk": owner.pk}
        else:
            message = _("NIK ini sudah terdaftar: %(kind)s %(name)s di %(desa)s (nomor data %(pk)s).") % {
                "kind": _("anak") if isinstance(owner, Child) else _("penduduk"),
                "name": owner.name,
                "desa": owner.desa.name,
                "pk": owner.pk,
            }
    else:
        duplicate_report_outside_scope(record=owner, reporter=user)
        message = (
            _(
                "Nomor KK ini sudah terdaftar pada data di luar wilayah Anda; kasus ini dikirim ke antrean "
                "tinjauan duplikat."
            )
            if is_kk
            else _(
                "NIK ini sudah terdaftar pada data di luar wilayah Anda; kasus ini dikirim ke antrean "
                "tinjauan duplikat."
            )
        )
    raise ValidationError(
        {field: ValidationError(message, code="duplicate_kk" if is_kk else "duplicate_nik")}
    )


def _apply_nik(
    obj: Child | Person,
    nik: str | None,
    *,
    user: User | None,
    sex: str,
    birth_date: datetime.date | None,
    today: datetime.date,
) -> list[str]:
    """Validate `nik` (None = leave as is, "" = remove) and set the encrypted NIK and hash on `obj`."""
    if nik is None:
        return []
    check = identity.check_nik(nik, today=today, birth_date_hint=birth_date)
    if check.error:
        raise ValidationError({"nik": [_(check.error)]}, code="invalid_nik")
    if not check.nik:
        obj.nik_encrypted, obj.nik_hash = "", ""
        return []
    owner = nik_owner(nik=check.nik, exclude=obj if obj.pk else None)
    if owner is not None:
        refuse_taken_number(user=user, owner=owner, field="nik")
    obj.nik_encrypted, obj.nik_hash = pii.encrypt(check.nik), pii.nik_hash(check.nik)
    return [_(w) for w in identity.nik_warnings(check, sex=sex, birth_date=birth_date)]


def _registering_posyandu_id(user: User) -> int | None:
    """The kader's posyandu, kept on the families and persons she registers: her scope reaches them
    before a child of her posyandu links them (Keluarga.scope_q, Person.scope_q)."""
    scope = scope_for_user(user)
    return scope.posyandu_id if scope.is_kader else None


def _save(obj: models.Model, user: User | None, exclude: list[str] | None = None) -> None:
    _check_desa_active(obj)
    obj.full_clean(exclude=exclude)
    if user is not None:
        obj._history_user = user  # type: ignore[attr-defined]
    obj.save()


def _check_desa_active(obj: models.Model) -> None:
    """A new record, or one moved to another desa, may not be placed in a retired desa."""
    desa_id = getattr(obj, "desa_id", None)
    if desa_id is None:
        return
    if obj.pk is not None and type(obj)._default_manager.filter(pk=obj.pk, desa_id=desa_id).exists():
        return
    region_check_active(region_id=desa_id)


def child_save(
    *,
    user: User | None,
    child: Child | None = None,
    nik: str | None = None,
    today: datetime.date | None = None,
    **fields: Any,
) -> RegistrationResult[Child]:
    """Register a child (child=None) or change one; refuses a NIK already in the registry.

    Fields are Child model fields; `desa` defaults to the posyandu's desa. Returns NIK warnings (sex or
    birth date disagreeing with the NIK) and queues likely duplicates for review.
    """
    from children.duplicates import duplicates_find_for_child

    today = today or timezone.localdate()
    created = child is None
    child = child or Child()
    if user is not None:
        check_registry_write(user, None if created else child)
    before = None if created else Child.objects.filter(pk=child.pk).values(*PLACING_FIELDS).first()
    for name, value in fields.items():
        setattr(child, name, value)
    if child.posyandu_id and not child.desa_id:
        child.desa_id = child.posyandu.desa_id
    if child.birth_date and child.birth_date > today:
        raise ValidationError({"birth_date": [_("Tanggal lahir tidak boleh di masa depan.")]})
    # Outside the transaction: a number taken outside the user's scope is queued for review as it is refused.
    warnings = _apply_nik(child, nik, user=user, sex=child.sex, birth_date=child.birth_date, today=today)
    with transaction.atomic():
        if user is not None and created:
            # The new row must fall inside the user's own unit (a kader registers at her posyandu).
            from convergence.scoping import check_can_edit

            check_can_edit(user, child.posyandu)
        _save(child, user)
        duplicates_find_for_child(child=child)
        _announce_child_change(child=child, before=before, today=today)
    return RegistrationResult(obj=child, created=created, warnings=warnings)


# What places a child in the prevalence figures: where it lives and is weighed, its age, its status.
PLACING_FIELDS = ("desa_id", "posyandu_id", "birth_date", "status")


def _announce_child_change(*, child: Child, before: dict[str, Any] | None, today: datetime.date) -> None:
    """A new, moved, re-dated or closed child changes the registered counts of every month since its
    birth, at its old and its new place (the listeners keep only the months they summarise)."""
    after = {name: getattr(child, name) for name in PLACING_FIELDS}
    if before == after:
        return
    born = min(d for d in (after["birth_date"], (before or {}).get("birth_date")) if d is not None)
    days = [born]
    while days[-1] < today.replace(day=1):
        days.append((days[-1].replace(day=1) + datetime.timedelta(days=32)).replace(day=1))
    measurements_changed(
        desa_ids=[after["desa_id"], (before or {}).get("desa_id")],
        posyandu_ids=[after["posyandu_id"], (before or {}).get("posyandu_id")],
        days=days,
    )


def person_save(
    *,
    user: User | None,
    person: Person | None = None,
    nik: str | None = None,
    today: datetime.date | None = None,
    **fields: Any,
) -> RegistrationResult[Person]:
    """Register or change a person (mother, pregnant woman, adolescent girl); NIK rules as for children."""
    from children.duplicates import duplicates_find_for_person

    today = today or timezone.localdate()
    created = person is None
    person = person or Person()
    if user is not None:
        check_registry_write(user, None if created else person)
    for name, value in fields.items():
        setattr(person, name, value)
    if person.birth_date and person.birth_date > today:
        raise ValidationError({"birth_date": [_("Tanggal lahir tidak boleh di masa depan.")]})
    # Outside the transaction, as in child_save.
    warnings = _apply_nik(person, nik, user=user, sex=person.sex, birth_date=person.birth_date, today=today)
    with transaction.atomic():
        if user is not None and created:
            from convergence.scoping import check_can_edit

            check_can_edit(user, person.desa)
            person.registered_posyandu_id = _registering_posyandu_id(user)
        _save(person, user)
        duplicates_find_for_person(person=person)
    return RegistrationResult(obj=person, created=created, warnings=warnings)


def keluarga_save(
    *,
    user: User | None,
    keluarga: Keluarga | None = None,
    kk_number: str | None = None,
    today: datetime.date | None = None,
    **fields: Any,
) -> RegistrationResult[Keluarga]:
    """Register or change a family; a KK number already registered is refused with a pointer to it.

    `kk_number` is plaintext (None = leave as is, "" = remove); it is stored encrypted with a keyed hash.
    """
    today = today or timezone.localdate()
    created = keluarga is None
    keluarga = keluarga or Keluarga()
    if user is not None:
        check_registry_write(user, None if created else keluarga)
    for name, value in fields.items():
        setattr(keluarga, name, value)
    if "at_risk_reasons" in fields:
        # The flag follows BKKBN's rule over the reasons, whichever screen or client set them.
        keluarga.at_risk = compute.keluarga_is_at_risk(keluarga.at_risk_reasons)
    if kk_number is not None:
        _apply_kk(keluarga, kk_number, user=user, today=today)
    with transaction.atomic():
        if user is not None and created:
            from convergence.scoping import check_can_edit

            check_can_edit(user, keluarga.desa)
            keluarga.registered_posyandu_id = _registering_posyandu_id(user)
        _save(keluarga, user)
    return RegistrationResult(obj=keluarga, created=created)


def keluarga_by_kk(kk_number: str) -> Keluarga | None:
    """The family registered with that KK number (16 digits), found through its keyed hash."""
    return Keluarga.objects.filter(kk_hash=pii.nik_hash(kk_number)).select_related("desa").first()


def _apply_kk(keluarga: Keluarga, kk_number: str, *, user: User | None, today: datetime.date) -> None:
    """Validate `kk_number` and set the encrypted number and hash on `keluarga` ("" removes it)."""
    if not kk_number.strip():
        keluarga.kk_encrypted, keluarga.kk_hash = "", ""
        return
    digits, error = identity.check_kk(kk_number, today=today)
    if error:
        raise ValidationError({"kk_number": [_(error)]}, code="invalid_kk")
    other = keluarga_by_kk(digits)
    if other is not None and other.pk != keluarga.pk:
        refuse_taken_number(user=user, owner=other, field="kk_number")
    keluarga.kk_encrypted, keluarga.kk_hash = pii.encrypt(digits), pii.nik_hash(digits)
