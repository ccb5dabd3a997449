"""Property: after random inserts, edits, deletions and moves through the services, the stored
summaries equal a from-scratch count over the raw measurements for every unit and period."""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from decimal import Decimal

import pytest

from children import services as registry
from children.models import Child, Measurement
from reports.compute import AGE_LIMIT_DAYS, INDEX_COLUMNS
from reports.models import PrevalenceSummary
from reports.services import full_periods, prevalence_recompute
from tests.factories import ChildFactory

Row = PrevalenceSummary
TODAY = datetime.date(2025, 5, 20)


def _periods_of(day: datetime.date) -> list[tuple[str, datetime.date]]:
    return [("M", day.replace(day=1)), ("Y", day.replace(month=1, day=1))]


def _period_end(kind: str, start: datetime.date) -> datetime.date:
    if kind == "Y":
        return start.replace(month=12, day=31)
    return (start + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)


def expected_counts(kabupaten, periods: list[tuple[str, datetime.date]]) -> dict[tuple, dict[str, int]]:
    """The oracle: a plain group-by over the measurements and children, one dict per row key."""
    children = {c.pk: c for c in Child.objects.select_related("desa__parent")}
    desa_of_posyandu = {}
    rows = defaultdict(list)  # (child, kind, period) -> measurements sorted by day
    for m in Measurement.objects.select_related("posyandu__desa").order_by("measured_on", "pk"):
        desa_of_posyandu[m.posyandu_id] = m.posyandu.desa
        if m.age_days >= AGE_LIMIT_DAYS:
            continue
        for key in _periods_of(m.measured_on):
            if key in periods:
                rows[(m.child_id, *key)].append(m)
    out: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def units(child: Child, measurement: Measurement | None, posyandu_id: int | None) -> list[tuple]:
        desa = child.desa
        keys = [
            ("desa", desa.pk, None),
            ("kecamatan", desa.parent_id, None),
            ("kabupaten", kabupaten.pk, None),
        ]
        if posyandu_id is not None:
            region = measurement.posyandu.desa_id if measurement else child.posyandu.desa_id
            keys.append(("posyandu", region, posyandu_id))
        return keys

    measured_keys = set()
    for (child_id, kind, start), found in rows.items():
        child = children[child_id]
        latest = found[-1]
        measured_keys.add((child_id, kind, start))
        for unit in units(child, latest, latest.posyandu_id):
            out[(*unit[:1], unit[1], unit[2], kind, start)]["measured"] += 1
            out[(*unit[:1], unit[1], unit[2], kind, start)]["registered"] += 1
        for index, columns in INDEX_COLUMNS.items():
            valid = [m for m in found if getattr(m, f"{index}_category") >= 0]
            flagged = [m for m in found if getattr(m, f"{index}_category") == -2]
            if valid:
                pick, name = valid[-1], columns[getattr(valid[-1], f"{index}_category")]
            elif flagged:
                pick, name = flagged[-1], f"{index}_flagged"
            else:
                continue
            for unit in units(child, pick, pick.posyandu_id):
                out[(unit[0], unit[1], unit[2], kind, start)][name] += 1
    for child in children.values():
        if child.status != Child.Status.ACTIVE:
            continue
        for kind, start in periods:
            end = _period_end(kind, start)
            if (child.pk, kind, start) in measured_keys:
                continue
            if child.birth_date > end or (start - child.birth_date).days >= AGE_LIMIT_DAYS:
                continue
            for unit in units(child, None, child.posyandu_id):
                out[(unit[0], unit[1], unit[2], kind, start)]["registered"] += 1
    return {key: dict(value) for key, value in out.items()}


def stored_counts() -> dict[tuple, dict[str, int]]:
    from reports.compute import COUNT_COLUMNS

    result = {}
    for row in Row.objects.all():
        key = (row.level, row.region_id, row.posyandu_id, row.period_kind, row.period)
        result[key] = {name: getattr(row, name) for name in COUNT_COLUMNS if getattr(row, name)}
    return result


def _measure(rng: random.Random, child: Child, user) -> None:
    day = TODAY - datetime.timedelta(days=rng.randrange(0, 140))
    age_days = (day - child.birth_date).days
    if age_days < 0:
        return
    registry.measurement_record(
        user=user,
        child=child,
        measured_on=day,
        weight_kg=Decimal(rng.randrange(60, 160)) / 10,
        height_cm=Decimal(rng.randrange(600, 1000)) / 10,
        position="L" if age_days < 730 else "H",
        remeasure_confirmed=True,
        today=TODAY,
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_summaries_equal_a_group_by_after_random_changes(
    district, django_capture_on_commit_callbacks, seed, monkeypatch
) -> None:
    rng = random.Random(seed)
    d = district
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)
    posyandu = [d.posyandu_a1, d.posyandu_a1_second, d.posyandu_a2, d.posyandu_b1]
    children = [
        ChildFactory(
            posyandu=rng.choice(posyandu),
            birth_date=TODAY - datetime.timedelta(days=rng.randrange(30, 1900)),
            sex=rng.choice("LP"),
        )
        for _ in range(12)
    ]
    user = d.users["bappeda_admin"]
    for child in children:
        for _ in range(rng.randrange(0, 4)):
            _measure(rng, child, user)
    prevalence_recompute(kabupaten=d.kabupaten)
    for _ in range(25):
        op = rng.random()
        with django_capture_on_commit_callbacks(execute=True):
            if op < 0.5:
                _measure(rng, rng.choice(children), user)
            elif op < 0.8:
                existing = list(Measurement.objects.order_by("pk"))
                if existing:
                    registry.measurement_delete(user=user, measurement=rng.choice(existing))
            else:
                child = Child.objects.get(pk=rng.choice(children).pk)
                target = rng.choice(posyandu)
                registry.child_save(user=user, child=child, posyandu=target, desa=target.desa, today=TODAY)
    periods = full_periods(kabupaten=d.kabupaten, today=TODAY)
    keys = [
        (str(k), datetime.date(1970, 1, 1) + datetime.timedelta(days=int(s)))
        for k, s in zip(periods.kind, periods.start_day, strict=True)
    ]
    assert stored_counts() == expected_counts(d.kabupaten, keys)
