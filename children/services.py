"""Writes of the registries. Every page, API endpoint, import and task goes through these functions.

Z-scores always come from the one vectorised engine (children.compute); identity rules from
children.identity; the NIK is stored only through children.pii.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, NoReturn, TypeVar

import numpy as np
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from children import compute, identity, pii
from children.access import check_registry_write
from children.changes import measurements_changed
from children.growth import classify
from children.growth.weight_gain import NOT_ASSESSED
from children.models import (
    AdolescentGirl,
    AdolescentTTD,
    Child,
    Keluarga,
    Measurement,
    Person,
    Pregnancy,
    PregnancyVisit,
)
from children.selectors import kbm_table_on
from convergence.models import User
from convergence.scoping import can_read, scope_for_user
from convergence.services import region_check_active

# A height that drops by more than this since the last visit is a measuring error (or a new child).
MAX_HEIGHT_SHRINK_CM = 1.5


class NeedsConfirmation(ValidationError):
    """Implausible but possible values: saved only when the kader confirms she measured again."""


@dataclass
class MeasurementResult:
    measurement: Measurement
    created: bool
    warnings: list[str] = field(default_factory=list)


def _nan(value: Decimal | float | None) -> float:
    return float("nan") if value is None else float(value)


def _none(value: Any) -> Any:
    number = value.item() if isinstance(value, np.generic) else value
    if isinstance(number, float) and np.isnan(number):
        return None
    return number


def _implausible(
    *,
    child: Child,
    measured_on: datetime.date,
    columns: dict[str, np.ndarray],
    adjusted_height_cm: float | None,
    exclude_pk: int | None,
) -> list[str]:
    problems = []
    if bool(columns["flagged"][0]):
        flagged = [
            label
            for label, name in (
                (_("BB/U"), "waz_category"),
                (_("TB/U"), "haz_category"),
                (_("BB/TB"), "whz_category"),
                (_("IMT/U"), "baz_category"),
            )
            if int(columns[name][0]) == classify.FLAGGED
        ]
        problems.append(
            _("Nilai di luar batas wajar WHO (%(indices)s): periksa alat dan ukur ulang.")
            % {"indices": ", ".join(str(x) for x in flagged) or _("lingkar kepala/LiLA")}
        )
    if adjusted_height_cm is not None:
        before = Measurement.objects.filter(
            child=child, measured_on__lt=measured_on, adjusted_height_cm__isnull=False
        )
        if exclude_pk is not None:
            before = before.exclude(pk=exclude_pk)
        earlier = before.order_by("-measured_on").values_list("adjusted_height_cm", "measured_on").first()
        drop = float(earlier[0]) - adjusted_height_cm if earlier and earlier[0] is not None else None
        if earlier is not None and drop is not None and drop > MAX_HEIGHT_SHRINK_CM:
            problems.append(
                _("Panjang/tinggi turun %(drop).1f cm sejak %(day)s (batas %(limit).1f cm): ukur ulang.")
                % {
                    "drop": drop,
                    "day": earlier[1].strftime("%d-%m-%Y"),
                    "limit": MAX_HEIGHT_SHRINK_CM,
                }
            )
    return problems


def measurement_record(
    *,
    user: User | None,
    child: Child,
    measured_on: datetime.date,
    weight_kg: Decimal | None,
    height_cm: Decimal | None,
    position: str = "",
    oedema: bool = False,
    lila_cm: Decimal | None = None,
    head_circumference_cm: Decimal | None = None,
    vitamin_a: bool = False,
    pmt_received: bool = False,
    pmt_kg: Decimal | None = None,
    remeasure_confirmed: bool = False,
    source: str = Measurement.Source.MANUAL,
    today: datetime.date | None = None,
) -> MeasurementResult:
    """Record (or correct) the child's measurement of one day, with z-scores, category and N/T/2T.

    Raises ValidationError (dict by field) for impossible input and NeedsConfirmation for WHO-flagged
    values or a height shrinking by more than 1.5 cm, unless `remeasure_confirmed`. The weight-gain
    status of the child's later weighings is recomputed, since it depends on this one.
    """
    if user is not None:
        check_registry_write(user, child)
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}
    if measured_on > today:
        errors["measured_on"] = [_("Tanggal pengukuran tidak boleh di masa depan.")]
    elif measured_on < child.birth_date:
        errors["measured_on"] = [_("Tanggal pengukuran sebelum tanggal lahir anak.")]
    if weight_kg is None and height_cm is None:
        errors["weight_kg"] = [_("Isi berat atau panjang/tinggi badan.")]
    if height_cm is not None and not position:
        errors["position"] = [_("Pilih cara ukur: telentang atau berdiri.")]
    for name, value, low, high in (
        ("weight_kg", weight_kg, Decimal("0.5"), Decimal("50")),
        ("height_cm", height_cm, Decimal("30"), Decimal("140")),
        ("lila_cm", lila_cm, Decimal("5"), Decimal("35")),
        ("head_circumference_cm", head_circumference_cm, Decimal("20"), Decimal("60")),
    ):
        if value is not None and not low <= value <= high:
            errors.setdefault(name, []).append(
                _("Nilai %(value)s di luar rentang yang mungkin (%(low)s-%(high)s).")
                % {"value": value, "low": low, "high": high}
            )
    if errors:
        raise ValidationError(errors)

    age_days = (measured_on - child.birth_date).days
    columns = compute.measurement_growth_columns(
        sex=np.array([child.sex]),
        age_days=np.array([age_days]),
        weight_kg=np.array([_nan(weight_kg)]),
        height_cm=np.array([_nan(height_cm)]),
        position=np.array([position]),
        oedema=np.array([oedema]),
        head_circumference_cm=np.array([_nan(head_circumference_cm)]),
        lila_cm=np.array([_nan(lila_cm)]),
    )
    adjusted = _none(columns["adjusted_height_cm"][0])
    adjusted = None if adjusted is None else round(adjusted, 1)
    existing = Measurement.objects.filter(child=child, measured_on=measured_on).first()
    if not remeasure_confirmed:
        problems = _implausible(
            child=child,
            measured_on=measured_on,
            columns=columns,
            adjusted_height_cm=adjusted,
            exclude_pk=existing.pk if existing else None,
        )
        if problems:
            raise NeedsConfirmation(problems, code="needs_confirmation")

    values = {
        "posyandu_id": child.posyandu_id,
        "age_days": age_days,
        "weight_kg": weight_kg,
        "height_cm": height_cm,
        "position": position if height_cm is not None else "",
        "oedema": oedema,
        "lila_cm": lila_cm,
        "head_circumference_cm": head_circumference_cm,
        "vitamin_a": vitamin_a,
        "pmt_received": pmt_received or pmt_kg is not None,
        "pmt_kg": pmt_kg,
        "adjusted_height_cm": adjusted,
        "error_flags": int(columns["error"][0]),
        "remeasure_confirmed": remeasure_confirmed,
        "source": source,
        **{name: _none(columns[name][0]) for name in compute.GROWTH_FIELDS},
    }
    with transaction.atomic():
        child = Child.objects.select_for_update().get(pk=child.pk)  # serialises a child's weighings
        measurement = existing or Measurement(child=child, measured_on=measured_on, measured_by=user)
        for name, value in values.items():
            setattr(measurement, name, value)
        if user is not None:
            measurement._history_user = user  # type: ignore[attr-defined]
        measurement.save()
        child_weight_gain_refresh(child=child, since=measured_on)
        measurement.refresh_from_db()
        measurements_changed(
            desa_ids=[child.desa_id],
            posyandu_ids=[child.posyandu_id, existing.posyandu_id if existing else None],
            days=[measured_on],
        )
    return MeasurementResult(measurement=measurement, created=existing is None)


def measurement_delete(*, user: User | None, measurement: Measurement) -> None:
    """Delete a measurement entered by mistake (kept in the history with its user); the child's later
    N/T statuses and the prevalence of its month follow."""
    child = measurement.child
    if user is not None:
        check_registry_write(user, child)
    with transaction.atomic():
        child = Child.objects.select_for_update().get(pk=child.pk)
        if user is not None:
            measurement._history_user = user  # type: ignore[attr-defined]
        measured_on, posyandu_id = measurement.measured_on, measurement.posyandu_id
        measurement.delete()
        child_weight_gain_refresh(child=child, since=measured_on)
        measurements_changed(desa_ids=[child.desa_id], posyandu_ids=[posyandu_id], days=[measured_on])


def child_weight_gain_refresh(*, child: Child, since: datetime.date) -> None:
    """Recompute N/T/2T/O/B of the child's weighings from `since` on (each depends on the one before)."""
    rows = [
        (pk, day, weight_kg, gain)
        for pk, day, weight_kg, gain in Measurement.objects.filter(child=child, weight_kg__isnull=False)
        .order_by("measured_on")
        .values_list("pk", "measured_on", "weight_kg", "weight_gain")
        if weight_kg is not None  # always (the filter): said again for the type checker
    ]
    start = next((i for i, row in enumerate(rows) if row[1] >= since), None)
    if start is None:
        return
    before = rows[start - 1] if start > 0 else None
    todo = rows[start:]
    n = len(todo)
    previous = compute.PreviousWeighing(
        weight_kg=np.full(n, float(before[2]) if before else np.nan),
        month_index=np.full(
            n, compute.month_index(np.array([before[1]], dtype="datetime64[D]"))[0] if before else -1
        ),
        status=np.full(n, before[3] if before else NOT_ASSESSED, dtype=np.int8),
    )
    status = compute.weight_gain_run(
        child_key=np.zeros(n, dtype=np.int64),
        birth_date=np.full(n, np.datetime64(child.birth_date, "D")),
        measured_on=np.array([row[1] for row in todo], dtype="datetime64[D]"),
        weight_kg=np.array([float(row[2]) for row in todo]),
        previous=previous,
        kbm=kbm_table_on(day=todo[-1][1]),
    )
    now = timezone.now()
    changed = [
        Measurement(pk=row[0], weight_gain=int(code), updated_at=now)
        for row, code in zip(todo, status, strict=True)
        if row[3] != code
    ]
    # bulk_update skips auto_now: updated_at is what API clients sync by.
    Measurement.objects.bulk_update(changed, ["weight_gain", "updated_at"])


# Identity --------------------------------------------------------------------------------------------


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


# Pregnancies --------------------------------------------------------------------------------------


def pregnancy_save(*, user: User | None, pregnancy: Pregnancy | None = None, **fields: Any) -> Pregnancy:
    """Register or change a pregnancy episode; HPL defaults to HPHT + 280 days; derived flags refreshed."""
    created = pregnancy is None
    pregnancy = pregnancy or Pregnancy()
    if user is not None:
        check_registry_write(user, None if created else pregnancy)
    for name, value in fields.items():
        setattr(pregnancy, name, value)
    if pregnancy.mother_id and not pregnancy.desa_id:
        pregnancy.desa_id = pregnancy.mother.desa_id
    if pregnancy.lmp_date and not pregnancy.expected_delivery_date:
        pregnancy.expected_delivery_date = compute.expected_delivery_date(pregnancy.lmp_date)
    if pregnancy.mother_id and pregnancy.mother.sex != "P":
        raise ValidationError({"mother": [_("Ibu hamil harus perempuan.")]})
    if pregnancy.outcome != Pregnancy.Outcome.ONGOING and not pregnancy.delivery_date:
        raise ValidationError({"delivery_date": [_("Isi tanggal persalinan/keguguran.")]})
    if pregnancy.lmp_date and pregnancy.delivery_date and pregnancy.delivery_date < pregnancy.lmp_date:
        raise ValidationError({"delivery_date": [_("Tanggal persalinan sebelum HPHT.")]})
    with transaction.atomic():
        if user is not None and created:
            from convergence.scoping import check_can_edit

            check_can_edit(user, pregnancy.mother)
        _save(pregnancy, user)
        pregnancy_refresh(pregnancy=pregnancy)
    return pregnancy


def pregnancy_visit_record(
    *, user: User | None, pregnancy: Pregnancy, visit_date: datetime.date, **fields: Any
) -> PregnancyVisit:
    """Record (or correct) the visit of one day and refresh the pregnancy's KEK/anaemia/TTD/ANC state."""
    if user is not None:
        check_registry_write(user, pregnancy)
    if visit_date > timezone.localdate():
        raise ValidationError({"visit_date": [_("Tanggal kunjungan tidak boleh di masa depan.")]})
    if pregnancy.lmp_date and visit_date < pregnancy.lmp_date:
        raise ValidationError({"visit_date": [_("Tanggal kunjungan sebelum HPHT.")]})
    with transaction.atomic():
        visit = PregnancyVisit.objects.filter(
            pregnancy=pregnancy, visit_date=visit_date
        ).first() or PregnancyVisit(pregnancy=pregnancy, visit_date=visit_date, recorded_by=user)
        for name, value in fields.items():
            setattr(visit, name, value)
        _save(visit, user)
        pregnancy_refresh(pregnancy=pregnancy)
    return visit


def pregnancy_refresh(*, pregnancy: Pregnancy) -> None:
    """Store the derived state (TTD total, ANC count, KEK, anaemia, risk flags) computed from the visits."""
    visits = pregnancy.visits.order_by("visit_date").values_list(
        "is_anc", "lila_cm", "hb_g_dl", "systolic_mmhg", "diastolic_mmhg", "ttd_tablets"
    )
    status = compute.pregnancy_status(
        mother_birth_date=pregnancy.mother.birth_date,
        lmp_date=pregnancy.lmp_date,
        parity=pregnancy.parity,
        last_delivery_date=pregnancy.last_delivery_date,
        risk_history=pregnancy.risk_history,
        visits=[
            (anc, None if lila is None else float(lila), None if hb is None else float(hb), sys_, dia, ttd)
            for anc, lila, hb, sys_, dia, ttd in visits
        ],
        today=timezone.localdate(),
    )
    Pregnancy.objects.filter(pk=pregnancy.pk).update(
        ttd_total=status.ttd_total,
        anc_visits=status.anc_visits,
        is_kek=status.is_kek,
        is_anaemic=status.is_anaemic,
        is_high_risk=status.is_high_risk,
        risk_flags=status.risk_flags,
        updated_at=timezone.now(),  # update() skips auto_now: API clients sync by it
    )
    for name in ("ttd_total", "anc_visits", "is_kek", "is_anaemic", "is_high_risk", "risk_flags"):
        setattr(pregnancy, name, getattr(status, name))


# Adolescent girls -------------------------------------------------------------------------------------

# The guideline gives one tablet a week; during menstruation up to one a day for ten days.
MAX_TABLETS_PER_WEEK = 7
ADOLESCENT_AGE_YEARS = (10, 19)


def adolescent_register(
    *,
    user: User | None,
    person: Person,
    school_name: str = "",
    school_class: str = "",
    today: datetime.date | None = None,
) -> AdolescentGirl:
    """Register `person` as an adolescent girl (remaja putri) followed for weekly TTD.

    Refuses boys, girls outside 10-19 years (when the birth date is known) and a second registration.
    """
    if user is not None:
        check_registry_write(user, person)
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}
    if person.sex != "P":
        errors["person"] = [_("Remaja putri harus perempuan.")]
    elif person.birth_date is not None:
        age = compute.age_years(person.birth_date, today)
        if not ADOLESCENT_AGE_YEARS[0] <= age <= ADOLESCENT_AGE_YEARS[1]:
            errors["person"] = [
                _("Umur %(age)d tahun: remaja putri berumur %(low)d-%(high)d tahun.")
                % {"age": age, "low": ADOLESCENT_AGE_YEARS[0], "high": ADOLESCENT_AGE_YEARS[1]}
            ]
    if AdolescentGirl.objects.filter(person=person).exists():
        errors["person"] = [_("Penduduk ini sudah terdaftar sebagai remaja putri.")]
    if errors:
        raise ValidationError(errors)
    girl = AdolescentGirl(person=person, school_name=school_name.strip(), school_class=school_class.strip())
    with transaction.atomic():
        girl.full_clean()
        if user is not None:
            girl._history_user = user  # type: ignore[attr-defined]
        girl.save()
    return girl


def adolescent_update(
    *,
    user: User | None,
    girl: AdolescentGirl,
    school_name: str | None = None,
    school_class: str | None = None,
    **_: Any,
) -> AdolescentGirl:
    """Change the school of a registered girl (the person's own data changes through person_save)."""
    if user is not None:
        check_registry_write(user, girl)
    if school_name is not None:
        girl.school_name = school_name.strip()
    if school_class is not None:
        girl.school_class = school_class.strip()
    _save(girl, user)
    return girl


def adolescent_ttd_record(
    *,
    user: User | None,
    girl: AdolescentGirl,
    week_start: datetime.date,
    tablets: int = 1,
    given_at: str = "",
    today: datetime.date | None = None,
) -> AdolescentTTD:
    """Record (or correct) the tablets a girl took in the week starting `week_start` (moved to its Monday).

    tablets = 0 removes the week's record. Refuses future weeks and more than 7 tablets a week.
    """
    if user is not None:
        check_registry_write(user, girl)
    today = today or timezone.localdate()
    monday = week_start - datetime.timedelta(days=week_start.weekday())
    if monday > today:
        raise ValidationError({"week_start": [_("Minggu ini belum dimulai.")]})
    if not 0 <= tablets <= MAX_TABLETS_PER_WEEK:
        raise ValidationError(
            {"tablets": [_("Jumlah tablet seminggu 0-%(max)d.") % {"max": MAX_TABLETS_PER_WEEK}]}
        )
    with transaction.atomic():
        # The row of a week is unique (girl, week_start): lock it so two kader saving at once do not clash.
        record = AdolescentTTD.objects.select_for_update().filter(girl=girl, week_start=monday).first()
        if tablets == 0:
            if record is not None:
                record.delete()
            return AdolescentTTD(girl=girl, week_start=monday, tablets=0, given_at=given_at)
        record = record or AdolescentTTD(girl=girl, week_start=monday, recorded_by=user)
        record.tablets = tablets
        record.given_at = given_at.strip()
        record.full_clean()
        record.save()
    return record


def adolescent_register_person(
    *,
    user: User | None,
    nik: str,
    school_name: str = "",
    school_class: str = "",
    today: datetime.date | None = None,
    **person_fields: Any,
) -> tuple[AdolescentGirl, list[str]]:
    """Register a girl not yet in the registry: the person (NIK rules of person_save), then the girl.

    Returns the girl and the NIK warnings; both rows or neither are saved.
    """
    # A NIK taken outside the user's scope is refused (and queued) before the transaction opens.
    check = identity.check_nik(nik, today=today or timezone.localdate())
    if check.nik and (owner := nik_owner(nik=check.nik)) is not None:
        refuse_taken_number(user=user, owner=owner, field="nik")
    with transaction.atomic():
        result = person_save(user=user, nik=nik, today=today, sex="P", **person_fields)
        person = result.obj
        girl = adolescent_register(
            user=user, person=person, school_name=school_name, school_class=school_class, today=today
        )
    return girl, result.warnings
