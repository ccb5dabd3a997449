"""Writes of the adolescent-girl registry: registering a girl and recording her weekly TTD.

Same conventions as children.services: keyword-only, the access check first, full_clean, one
transaction, the history user set on the row.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from children.access import check_registry_write
from children.models import AdolescentGirl, AdolescentTTD, Person
from convergence.models import User

# The guideline gives one tablet a week; during menstruation up to one a day for ten days.
MAX_TABLETS_PER_WEEK = 7
ADOLESCENT_AGE_YEARS = (10, 19)


def _age_years(birth_date: datetime.date, on: datetime.date) -> int:
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


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
        age = _age_years(person.birth_date, today)
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


def adolescent_ttd_record(
    *,
    user: User | None,
    girl: AdolescentGirl,
    week_start: datetime.date,
    tablets: int,
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
    **person_fields: object,
) -> tuple[AdolescentGirl, list[str]]:
    """Register a girl not yet in the registry: the person (NIK rules of person_save), then the girl.

    Returns the girl and the NIK warnings; both rows or neither are saved.
    """
    from children.services import person_save

    with transaction.atomic():
        result = person_save(user=user, nik=nik, today=today, sex="P", **person_fields)
        person = result.obj
        assert isinstance(person, Person)
        girl = adolescent_register(
            user=user, person=person, school_name=school_name, school_class=school_class, today=today
        )
    return girl, result.warnings
