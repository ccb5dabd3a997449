"""Reads of the registry pages (families, children, persons, pregnancies, adolescent girls), scoped.

Every queryset reaches a user through convergence.scoping.restrict; a row outside the scope is a 404.
Name search only: a NIK or KK number is looked up by its keyed hash (`nik_find_for_user`), never by a
query-string filter.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from children import identity, pii
from children.models import (
    AdolescentGirl,
    AdolescentTTD,
    Child,
    Keluarga,
    Person,
    Pregnancy,
    PregnancyVisit,
)
from convergence.models import Posyandu, Region, User
from convergence.scoping import restrict
from convergence.selectors import desa_list_for_user, posyandu_list_for_user

PAGE_SIZE = 50
TTD_WINDOW_WEEKS = 52

# Age bands of the child list (months, inclusive lower and exclusive upper), as in SKDN (Format F2).
AGE_BANDS = {
    "0-5": (0, 6),
    "6-11": (6, 12),
    "12-23": (12, 24),
    "24-35": (24, 36),
    "36-59": (36, 60),
}


def _get(queryset: QuerySet, pk: int):
    row = queryset.filter(pk=pk).first()
    if row is None:
        raise Http404
    return row


def _name_search(queryset: QuerySet, field: str, q: str) -> QuerySet:
    q = q.strip()
    if not q:
        return queryset
    # A number typed into the name box is never used as a filter: NIKs are found through the NIK form.
    if any(ch.isdigit() for ch in q):
        return queryset.none()
    return queryset.filter(**{f"{field}__icontains": q})


# Families ---------------------------------------------------------------------------------------------


def keluarga_list_for_user(*, user: User, q: str = "", desa_id: int | None = None) -> QuerySet[Keluarga]:
    families = restrict(Keluarga.objects.select_related("desa"), user)
    if desa_id:
        families = families.filter(desa_id=desa_id)
    return _name_search(families, "head_name", q).order_by("head_name", "pk")


def keluarga_get_for_user(*, user: User, pk: int) -> Keluarga:
    return _get(keluarga_list_for_user(user=user), pk)


def keluarga_members(*, user: User, keluarga: Keluarga) -> tuple[list[Person], list[Child]]:
    """The family's persons and children the user may read (a kader sees the children of her posyandu)."""
    persons = list(restrict(Person.objects.filter(keluarga=keluarga), user).order_by("birth_date", "pk"))
    children = list(
        restrict(Child.objects.filter(keluarga=keluarga).select_related("posyandu"), user).order_by(
            "birth_date", "pk"
        )
    )
    return persons, children


# Children ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChildFilters:
    q: str = ""
    posyandu_id: int | None = None
    desa_id: int | None = None
    status: str = ""
    sex: str = ""
    age_band: str = ""


def _months_ago(today: datetime.date, months: int) -> datetime.date:
    total = today.year * 12 + today.month - 1 - months
    year, month = divmod(total, 12)
    return datetime.date(year, month + 1, min(today.day, calendar.monthrange(year, month + 1)[1]))


def child_list_for_user(*, user: User, filters: ChildFilters, today: datetime.date) -> QuerySet[Child]:
    children = restrict(
        Child.objects.select_related("posyandu", "desa", "keluarga", "mother"),
        user,
    )
    if filters.posyandu_id:
        children = children.filter(posyandu_id=filters.posyandu_id)
    if filters.desa_id:
        children = children.filter(desa_id=filters.desa_id)
    if filters.status:
        children = children.filter(status=filters.status)
    if filters.sex:
        children = children.filter(sex=filters.sex)
    if filters.age_band in AGE_BANDS:
        low, high = AGE_BANDS[filters.age_band]
        children = children.filter(
            birth_date__lte=_months_ago(today, low), birth_date__gt=_months_ago(today, high)
        )
    return _name_search(children, "name", filters.q).order_by("name", "pk")


def child_get_for_user(*, user: User, pk: int) -> Child:
    return _get(restrict(Child.objects.select_related("posyandu", "desa", "keluarga", "mother"), user), pk)


# Persons ------------------------------------------------------------------------------------------------


def person_list_for_user(*, user: User, q: str = "", desa_id: int | None = None) -> QuerySet[Person]:
    persons = restrict(Person.objects.select_related("desa", "keluarga"), user)
    if desa_id:
        persons = persons.filter(desa_id=desa_id)
    return _name_search(persons, "name", q).order_by("name", "pk")


def person_get_for_user(*, user: User, pk: int) -> Person:
    return _get(person_list_for_user(user=user), pk)


@dataclass(frozen=True)
class PersonRecord:
    children: list[Child]
    pregnancies: list[Pregnancy]
    adolescent: AdolescentGirl | None


def person_record(*, user: User, person: Person) -> PersonRecord:
    """Her children and pregnancies the user may read, and her adolescent (TTD) record if any."""
    children = list(
        restrict(Child.objects.filter(mother=person).select_related("posyandu"), user).order_by("birth_date")
    )
    pregnancies = list(
        restrict(Pregnancy.objects.filter(mother=person).select_related("newborn"), user).order_by(
            "-lmp_date"
        )
    )
    adolescent = AdolescentGirl.objects.filter(person=person).first()
    return PersonRecord(children=children, pregnancies=pregnancies, adolescent=adolescent)


def mother_choices_for_user(*, user: User) -> QuerySet[Person]:
    return restrict(Person.objects.filter(sex="P").select_related("desa"), user).order_by("name", "pk")


def keluarga_choices_for_user(*, user: User) -> QuerySet[Keluarga]:
    return restrict(Keluarga.objects.select_related("desa"), user).order_by("head_name", "pk")


def desa_choices_for_user(*, user: User) -> QuerySet[Region]:
    """The desa a record may be placed in: retired desa keep their records but are offered no more."""
    return desa_list_for_user(user=user).active().select_related("parent").order_by("code")


def posyandu_choices_for_user(*, user: User) -> QuerySet[Posyandu]:
    return posyandu_list_for_user(user=user).filter(desa__retired_at__isnull=True)


# NIK look-up ---------------------------------------------------------------------------------------------


def nik_find_for_user(*, user: User, nik: str, today: datetime.date) -> Child | Person | Keluarga | None:
    """The child or person in the user's scope holding NIK `nik`, else the family with that KK number;
    None when invalid, unknown or out of scope."""
    digits, error = identity.recover_digits(nik)
    if error or not digits:
        return None
    digest = pii.nik_hash(digits)
    child = restrict(Child.objects.filter(nik_hash=digest), user).first()
    if child is not None:
        return child
    person = restrict(Person.objects.filter(nik_hash=digest), user).first()
    if person is not None:
        return person
    return restrict(Keluarga.objects.filter(kk_hash=digest), user).first()


# Pregnancies --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PregnancyFilters:
    q: str = ""
    desa_id: int | None = None
    outcome: str = ""
    kek: bool = False
    anaemia: bool = False
    high_risk: bool = False


def pregnancy_list_for_user(*, user: User, filters: PregnancyFilters) -> QuerySet[Pregnancy]:
    pregnancies = restrict(Pregnancy.objects.select_related("mother", "desa", "posyandu", "newborn"), user)
    if filters.desa_id:
        pregnancies = pregnancies.filter(desa_id=filters.desa_id)
    if filters.outcome:
        pregnancies = pregnancies.filter(outcome=filters.outcome)
    if filters.kek:
        pregnancies = pregnancies.filter(is_kek=True)
    if filters.anaemia:
        pregnancies = pregnancies.filter(is_anaemic=True)
    if filters.high_risk:
        pregnancies = pregnancies.filter(is_high_risk=True)
    return _name_search(pregnancies, "mother__name", filters.q).order_by("-lmp_date", "pk")


def pregnancy_get_for_user(*, user: User, pk: int) -> Pregnancy:
    return _get(pregnancy_list_for_user(user=user, filters=PregnancyFilters()), pk)


def pregnancy_visits(*, pregnancy: Pregnancy) -> list[PregnancyVisit]:
    return list(pregnancy.visits.order_by("visit_date"))


def newborn_choices_for_user(*, user: User) -> QuerySet[Child]:
    return restrict(Child.objects.select_related("desa"), user).order_by("-birth_date", "pk")


# Adolescent girls ----------------------------------------------------------------------------------------


def week_start(day: datetime.date) -> datetime.date:
    """The Monday of the week of `day`."""
    return day - datetime.timedelta(days=day.weekday())


def ttd_window(today: datetime.date) -> list[datetime.date]:
    """The Mondays of the last 52 weeks, this week included, oldest first."""
    monday = week_start(today)
    return [monday - datetime.timedelta(weeks=k) for k in range(TTD_WINDOW_WEEKS - 1, -1, -1)]


def adolescent_list_for_user(*, user: User, q: str = "", today: datetime.date) -> QuerySet[AdolescentGirl]:
    """Girls in scope with `weeks_taken`: weeks with a TTD in the last 52 weeks (this one included)."""
    since = ttd_window(today)[0]
    girls = restrict(AdolescentGirl.objects.select_related("person", "person__desa"), user).annotate(
        weeks_taken=Count("ttd", filter=Q(ttd__week_start__gte=since, ttd__tablets__gt=0))
    )
    return _name_search(girls, "person__name", q).order_by("person__name", "pk")


def adolescent_get_for_user(*, user: User, pk: int) -> AdolescentGirl:
    return _get(restrict(AdolescentGirl.objects.select_related("person", "person__desa"), user), pk)


@dataclass(frozen=True)
class TTDWeek:
    week_start: datetime.date
    tablets: int


def adolescent_ttd_grid(*, girl: AdolescentGirl, today: datetime.date) -> list[TTDWeek]:
    """One entry per week of the last 52 (oldest first) with the tablets taken that week (0 = none)."""
    weeks = ttd_window(today)
    taken = dict(
        AdolescentTTD.objects.filter(girl=girl, week_start__gte=weeks[0]).values_list("week_start", "tablets")
    )
    return [TTDWeek(week_start=week, tablets=taken.get(week, 0)) for week in weeks]


def adolescent_person_choices_for_user(*, user: User) -> QuerySet[Person]:
    """Girls and women in scope not yet registered as adolescent girls."""
    return mother_choices_for_user(user=user).filter(adolescent__isnull=True)
