"""seed_demo step 120 (adolescent girls with weekly TTD) and the registry's cleanup for --reset."""

from __future__ import annotations

import datetime

import numpy as np
from django.core.management.base import OutputWrapper
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from children.demo.bulk import insert_columns, insert_objects
from children.demo.common import (
    ADULT_NIK_SHARE,
    DUSUN,
    FIRST_NAMES_P,
    GIRLS_PER_CHILD,
    MONTHS_OF_AGE,
    SECOND_NAMES,
    SERIAL_GIRLS,
    TTD_ADHERENCE,
    TTD_WEEKS,
    _encrypted,
    _kecamatan6,
    _names,
    _registry_numbers,
    _rng,
)
from children.models import (
    AdolescentGirl,
    AdolescentTTD,
    Child,
    DuplicateCandidate,
    ImportJob,
    Keluarga,
    Measurement,
    MergeLog,
    Person,
    Pregnancy,
    PregnancyVisit,
    RecordAccess,
)
from convergence.demo import DemoDistrict, DemoScale, demo_cleanup, demo_step
from convergence.models import Region, User

# --- Adolescent girls ----------------------------------------------------------------------------------

JUNIOR_SCHOOLS = ("SMP Negeri 1", "SMP Negeri 2", "MTs Negeri")
SENIOR_SCHOOLS = ("SMA Negeri 1", "SMK Negeri 1", "MA Negeri")
OUT_OF_SCHOOL_PLACE = "Posyandu remaja"


@demo_step(120, "remaja")
def seed_adolescent_girls(
    *, rng_seed: int, scale: DemoScale, district: DemoDistrict, out: OutputWrapper
) -> None:
    """Girls 12-18 (about a third as many as the balita), at school or not, with 52 weeks of TTD."""
    rng = _rng(rng_seed, "remaja")
    today = district.today
    today64 = np.datetime64(today)
    desa_ids = sorted({p.desa_id for p in district.posyandu})
    regions = {
        pk: (code, kecamatan.title())
        for pk, code, kecamatan in Region.objects.filter(pk__in=desa_ids).values_list(
            "pk", "code", "parent__name"
        )
    }
    alive_since = today - datetime.timedelta(days=int(MONTHS_OF_AGE * 30.4375))
    alive = list(
        Child.objects.filter(desa_id__in=desa_ids, birth_date__gt=alive_since)
        .order_by("pk")
        .values_list(
            "desa_id",
            "keluarga_id",
            "mother__birth_date",
            "keluarga__address",
            "keluarga__rt",
            "keluarga__rw",
        )
    )
    g = round(len(alive) * GIRLS_PER_CHILD)
    if g == 0:
        return
    picked = [alive[i] for i in rng.integers(0, len(alive), g)]
    birth = today64 - rng.integers(12 * 365 + 3, 19 * 365 - 3, g).astype("timedelta64[D]")
    age_years = (today64 - birth).astype(np.int64) / 365.25
    # About half are the elder daughters of a family of the registry (their mother old enough).
    joins = rng.random(g) < 0.5
    desa_of = np.array([row[0] for row in picked])
    niks = _registry_numbers(
        np.array([_kecamatan6(regions[int(d)][0]) for d in desa_of]),
        birth,
        np.ones(g, dtype=bool),
        SERIAL_GIRLS,
    )
    wants_nik = rng.random(g) < ADULT_NIK_SHARE
    encrypted, hashed = _encrypted([str(nik) if ok else "" for nik, ok in zip(niks, wants_nik, strict=True)])
    names = _names(rng, FIRST_NAMES_P, SECOND_NAMES, g)
    in_school = rng.random(g) < np.where(age_years >= 18, 0.55, 0.93)
    junior = age_years < 15
    school_type = np.where(junior, rng.choice(JUNIOR_SCHOOLS, g), rng.choice(SENIOR_SCHOOLS, g))
    school_class = np.where(
        junior,
        np.clip(7 + (age_years - 12).astype(int), 7, 9),
        np.clip(10 + (age_years - 15).astype(int), 10, 12),
    )
    girls = _insert_girls(
        picked, birth, joins, names, encrypted, hashed, in_school, school_type, school_class, regions
    )
    rows = _insert_ttd(rng, today, girls, in_school)
    district.count(_("Remaja putri"), g)
    district.count(_("TTD remaja putri (tablet mingguan)"), rows)


def _insert_girls(
    picked: list[tuple],
    birth: np.ndarray,
    joins: np.ndarray,
    names: list[str],
    encrypted: list[str],
    hashed: list[str],
    in_school: np.ndarray,
    school_type: np.ndarray,
    school_class: np.ndarray,
    regions: dict[int, tuple[str, str]],
) -> list[AdolescentGirl]:
    """The girls as persons (the elder daughters of a registry family live at its address)."""
    persons: list[Person] = []
    girls: list[AdolescentGirl] = []
    for i, (desa_id, keluarga_id, mother_birth, address, rt, rw) in enumerate(picked):
        girl_birth = birth[i].item()
        family = (
            keluarga_id
            if joins[i]
            and keluarga_id is not None
            and mother_birth is not None
            and (girl_birth - mother_birth).days >= 16 * 365
            else None
        )
        persons.append(
            Person(
                name=names[i],
                sex="P",
                birth_date=girl_birth,
                desa_id=desa_id,
                keluarga_id=family,
                address=address if family else f"Dusun {DUSUN[i % len(DUSUN)]}",
                rt=rt if family else f"{1 + i % 12:03d}",
                rw=rw if family else f"{1 + i % 8:03d}",
                nik_encrypted=encrypted[i],
                nik_hash=hashed[i],
            )
        )
        girls.append(
            AdolescentGirl(
                school_name=f"{school_type[i]} {regions[desa_id][1]}" if in_school[i] else "",
                school_class=str(school_class[i]) if in_school[i] else "",
            )
        )
    insert_objects(Person, persons)
    for person, girl in zip(persons, girls, strict=True):
        girl.person = person
    insert_objects(AdolescentGirl, girls)
    return girls


def _insert_ttd(
    rng: np.random.Generator, today: datetime.date, girls: list[AdolescentGirl], in_school: np.ndarray
) -> int:
    """Weekly TTD over the 52 weeks before this one; girls out of school are reached less often."""
    g = len(girls)
    monday = today - datetime.timedelta(days=today.weekday())
    weeks = np.array(
        [monday - datetime.timedelta(weeks=k) for k in range(TTD_WEEKS, 0, -1)], dtype="datetime64[D]"
    )
    adherence = rng.uniform(*TTD_ADHERENCE, g) * np.where(in_school, 1.0, 0.6)
    taken = rng.random((g, TTD_WEEKS)) < adherence[:, None]
    girl_index, week_index = np.nonzero(taken)
    girl_ids = np.array([girl.pk for girl in girls], dtype=np.int64)
    places = np.array([girl.school_name or OUT_OF_SCHOOL_PLACE for girl in girls], dtype=object)
    insert_columns(
        AdolescentTTD,
        {
            "girl_id": girl_ids[girl_index],
            "week_start": weeks[week_index],
            "tablets": np.ones(girl_index.size, dtype=np.int64),
            "given_at": places[girl_index],
        },
    )
    return int(girl_index.size)


def _purge(queryset: QuerySet) -> None:
    # One DELETE statement: no per-row signals, so no "deleted" history row per demo row and no
    # loading of a few hundred thousand rows into memory. Callers delete in foreign-key order.
    queryset._raw_delete(queryset.db)


@demo_cleanup(100, "anak")
def delete_children(*, kabupaten: Region, out: OutputWrapper) -> None:
    """Delete the kabupaten's registry rows and their history, the rows pointing at others first.

    Reads logged and jobs uploaded by the kabupaten's users go too: they protect the users the
    backbone's cleanup deletes next.
    """
    inside = f"{kabupaten.code}."
    in_kabupaten = {"desa__code__startswith": inside}
    users = User.objects.filter(
        Q(kabupaten=kabupaten)
        | Q(opd__kabupaten=kabupaten)
        | Q(puskesmas__kecamatan__parent=kabupaten)
        | Q(desa__code__startswith=inside)
        | Q(posyandu__desa__code__startswith=inside)
    )
    RecordAccess.objects.filter(user__in=users).delete()
    MergeLog.objects.filter(Q(**in_kabupaten) | Q(merged_by__in=users)).delete()
    DuplicateCandidate.objects.filter(**in_kabupaten).delete()
    _purge(AdolescentTTD.objects.filter(girl__person__desa__code__startswith=inside))
    _purge(AdolescentGirl.history.filter(person__desa__code__startswith=inside))
    _purge(AdolescentGirl.objects.filter(person__desa__code__startswith=inside))
    _purge(PregnancyVisit.history.filter(pregnancy__desa__code__startswith=inside))
    _purge(PregnancyVisit.objects.filter(pregnancy__desa__code__startswith=inside))
    _purge(Pregnancy.history.filter(**in_kabupaten))
    _purge(Pregnancy.objects.filter(**in_kabupaten))
    _purge(Measurement.history.filter(posyandu__desa__code__startswith=inside))
    _purge(Measurement.objects.filter(posyandu__desa__code__startswith=inside))
    _purge(Child.history.filter(**in_kabupaten))
    _purge(Child.objects.filter(**in_kabupaten))
    _purge(Person.history.filter(**in_kabupaten))
    _purge(Person.objects.filter(**in_kabupaten))
    _purge(Keluarga.history.filter(**in_kabupaten))
    _purge(Keluarga.objects.filter(**in_kabupaten))
    ImportJob.objects.filter(Q(uploaded_by__in=users) | Q(scope_code__startswith=inside)).delete()
