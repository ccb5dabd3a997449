"""Writes of pregnancies with their ANC visits, and of adolescent girls with their iron tablets (TTD)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from children import compute, identity
from children.access import check_registry_write
from children.models import (
    AdolescentGirl,
    AdolescentTTD,
    Person,
    Pregnancy,
    PregnancyVisit,
)
from children.partitions import ADOLESCENT_TTD, PREGNANCY_VISIT, ensure_partitions
from children.services.registry import _save, nik_owner, person_save, refuse_taken_number
from convergence.models import User


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
    ensure_partitions(PREGNANCY_VISIT, [visit_date.year], field="visit_date")
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
    ensure_partitions(ADOLESCENT_TTD, [monday.year], field="week_start")
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
