"""The incremental refresh rewrites only the desa and posyandu a change touches, and still equals a
full recompute after every kind of change: new, deleted and re-graded measurements, a child weighed at
another desa's posyandu, a child moving desa."""

from __future__ import annotations

import datetime
import random

import pytest
from django.utils import timezone

from children.models import Child, Measurement
from reports import compute, quality
from reports.models import PrevalenceSummary
from reports.models_quality import DataQualitySummary
from reports.services import prevalence_recompute, prevalence_refresh
from tests.factories import ChildFactory

Row = PrevalenceSummary
FLAGGED = compute.FLAGGED
DAYS = [datetime.date(2025, month, day) for month in range(1, 13) for day in (3, 17)]


def _prevalence() -> dict[tuple, tuple]:
    key = ["level", "region_id", "posyandu_id", "period_kind", "period"]
    return {r[:5]: r[5:] for r in Row.objects.values_list(*key, *compute.COUNT_COLUMNS, "kecamatan_id")}


def _quality() -> dict[tuple, tuple]:
    key = ["kind", "posyandu_id", "measurer_id", "period"]
    values = [*quality.COUNT_COLUMNS, "registered", "measured", "kecamatan_id"]
    return {r[:4]: r[4:] for r in DataQualitySummary.objects.values_list(*key, *values)}


def _stored() -> tuple[dict, dict]:
    return _prevalence(), _quality()


def _differences(incremental: tuple[dict, dict], full: tuple[dict, dict]) -> list[tuple]:
    """(key, incremental, full) of every row that differs."""
    return [
        (key, mine.get(key), theirs.get(key))
        for mine, theirs in zip(incremental, full, strict=True)
        for key in sorted(set(mine) | set(theirs), key=repr)
        if mine.get(key) != theirs.get(key)
    ]


def _full(kabupaten) -> tuple[dict, dict]:
    """The summaries a full recompute from empty writes."""
    Row.objects.all().delete()
    DataQualitySummary.objects.all().delete()
    prevalence_recompute(kabupaten=kabupaten)
    return _stored()


def _categories(rng: random.Random) -> dict[str, int]:
    def one() -> int:
        return rng.choice([0, 1, 2, 2, 2, 3, FLAGGED])

    return {"haz_category": one(), "waz_category": one(), "whz_category": one()}


def _measure(child: Child, day: datetime.date, posyandu, rng: random.Random) -> Measurement:
    return Measurement.objects.create(
        child=child,
        posyandu=posyandu,
        measured_on=day,
        age_days=(day - child.birth_date).days,
        **_categories(rng),
    )


def _children(d, *, elsewhere: float) -> None:
    """Children of three desa in two kecamatan; a share `elsewhere` of the weighings happen at a
    posyandu drawn at random (another desa's, or another kecamatan's)."""
    rng = random.Random(20251205)
    posyandu = [d.posyandu_a1, d.posyandu_a1_second, d.posyandu_a2, d.posyandu_b1]
    for n in range(36):
        home = posyandu[n % len(posyandu)]
        child = ChildFactory(posyandu=home, birth_date=datetime.date(2021 + n % 4, 1 + n % 12, 1 + n % 27))
        for day in rng.sample(DAYS, rng.randint(0, 6)):
            if 0 <= (day - child.birth_date).days < 1826:
                _measure(child, day, rng.choice(posyandu) if rng.random() < elsewhere else home, rng)


@pytest.fixture
def village(district):
    _children(district, elsewhere=0.2)
    return district


@pytest.fixture
def at_home(district):
    _children(district, elsewhere=0.0)
    return district


def _a_change(d, rng: random.Random) -> tuple[set, set, set]:
    """One random change, and what the registry announces for it: (desa, posyandu, months)."""
    posyandu = [d.posyandu_a1, d.posyandu_a1_second, d.posyandu_a2, d.posyandu_b1]
    kind = rng.choice(["add", "delete", "grade", "elsewhere", "move"])
    if kind == "move":
        child = rng.choice(list(Child.objects.order_by("pk")))
        before = (child.desa_id, child.posyandu_id)
        child.posyandu = rng.choice([p for p in posyandu if p.pk != child.posyandu_id])
        child.desa = child.posyandu.desa
        child.save()
        # as the registry announces a move: every month from the birth to this one
        months, month = set(), child.birth_date.replace(day=1)
        while month <= timezone.localdate():
            months.add(month)
            month = (month + datetime.timedelta(days=32)).replace(day=1)
        return {before[0], child.desa_id}, {before[1], child.posyandu_id}, months
    if kind in ("delete", "grade"):
        m = rng.choice(list(Measurement.objects.select_related("child").order_by("pk")))
        if kind == "delete":
            m.delete()
        else:
            Measurement.objects.filter(pk=m.pk).update(**_categories(rng))
        return {m.child.desa_id}, {m.posyandu_id}, {m.measured_on.replace(day=1)}
    child = rng.choice(list(Child.objects.order_by("pk")))
    taken = set(child.measurements.values_list("measured_on", flat=True))
    day = rng.choice([day for day in DAYS if day not in taken and day > child.birth_date])
    where = child.posyandu if kind == "add" else rng.choice(posyandu)
    _measure(child, day, where, rng)
    return {child.desa_id}, {where.pk}, {day.replace(day=1)}


def test_it_equals_a_full_recompute_after_every_kind_of_change(village) -> None:
    d = village
    rng = random.Random(7)
    prevalence_recompute(kabupaten=d.kabupaten)
    for step in range(24):
        desa, posyandu, months = _a_change(d, rng)
        prevalence_refresh(desa_ids=desa, posyandu_ids=posyandu, months=months)
        incremental = _stored()
        full = _full(d.kabupaten)
        assert _differences(incremental, full) == [], f"step {step}: {desa, posyandu, months}"


def test_it_reads_only_the_children_of_the_desa_touched(at_home) -> None:
    d = at_home
    prevalence_recompute(kabupaten=d.kabupaten)
    child = Child.objects.filter(posyandu=d.posyandu_b1).order_by("pk").first()
    assert child is not None
    day = next(day for day in DAYS if not child.measurements.filter(measured_on=day).exists())
    Measurement.objects.create(
        child=child, posyandu=d.posyandu_b1, measured_on=day, age_days=(day - child.birth_date).days
    )
    started = timezone.now()
    (result,) = prevalence_refresh(desa_ids=[d.desa_b1.pk], posyandu_ids=[d.posyandu_b1.pk], months=[day])
    # the balita measurements of the year of desa B1's children, and no other
    year = Measurement.objects.filter(measured_on__year=day.year, age_days__lt=compute.AGE_LIMIT_DAYS)
    assert result.measurements == year.filter(child__desa=d.desa_b1).count() < year.count()
    assert result.written > 0
    # the other kecamatan's rows were not rewritten
    assert Row.objects.filter(kecamatan_id=d.kecamatan_b.pk, computed_at__gte=started).exists()
    assert not Row.objects.filter(kecamatan_id=d.kecamatan_a.pk, computed_at__gte=started).exists()


def test_the_bench_finds_nothing_left_for_the_chunk_recompute(at_home) -> None:
    from reports import bench_refresh

    d = at_home
    prevalence_recompute(kabupaten=d.kabupaten)
    before = _stored()
    for changed in Measurement.objects.select_related("child__desa", "posyandu__desa").order_by("pk")[:3]:
        sample = bench_refresh._one(d.kabupaten, changed)
        assert min(sample.refresh_s, sample.chunk_s) > 0
        assert sample.read > 0
        assert sample.chunk_changed == 0
    assert _stored() == before  # each sample is rolled back
