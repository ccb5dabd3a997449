"""The measurements a recompute reads are the same whichever way they are read: one scan of the period,
or by the posyandu index plus the children measured elsewhere (another kabupaten's posyandu)."""

from __future__ import annotations

import datetime

import numpy as np
import pytest

from children.models import Measurement
from reports import loaders, services
from reports.compute import MeasurementFrame
from tests.factories import ChildFactory, DistrictFixture

pytestmark = pytest.mark.django_db

FIRST, LAST = datetime.date(2025, 1, 1), datetime.date(2025, 12, 31)


def _measure(child, day: datetime.date, posyandu) -> None:
    Measurement.objects.create(
        child=child,
        posyandu=posyandu,
        measured_on=day,
        age_days=(day - child.birth_date).days,
        haz_category=2,
        waz_category=2,
        whz_category=2,
    )


def _rows(frame: MeasurementFrame) -> list[tuple[int, ...]]:
    table = np.stack([frame.child, frame.day, frame.posyandu, frame.desa, frame.haz, frame.waz, frame.whz], 1)
    return sorted(tuple(int(x) for x in row) for row in table)


@pytest.fixture
def measured(district: DistrictFixture) -> DistrictFixture:
    d = district
    at_home = ChildFactory(posyandu=d.posyandu_a1, birth_date=datetime.date(2023, 2, 1))
    _measure(at_home, datetime.date(2025, 3, 5), d.posyandu_a1)
    _measure(at_home, datetime.date(2025, 4, 5), d.posyandu_b1)  # another kecamatan's posyandu
    travels = ChildFactory(posyandu=d.posyandu_a2, birth_date=datetime.date(2022, 6, 1))
    _measure(travels, datetime.date(2025, 3, 6), d.posyandu_a2)
    _measure(travels, datetime.date(2025, 5, 6), d.other_posyandu)  # the kabupaten beside
    _measure(travels, datetime.date(2024, 6, 6), d.other_posyandu)  # before the period
    # Five years old in the period: the rows at the posyandu count toward "seen", none is read.
    older = ChildFactory(posyandu=d.posyandu_b1, birth_date=datetime.date(2020, 1, 10))
    _measure(older, datetime.date(2025, 2, 1), d.posyandu_b1)
    _measure(older, datetime.date(2025, 3, 1), d.other_posyandu)
    visitor = ChildFactory(posyandu=d.other_posyandu, birth_date=datetime.date(2024, 1, 1))
    _measure(visitor, datetime.date(2025, 7, 7), d.posyandu_a1)  # lives beside, weighed here
    _measure(visitor, datetime.date(2025, 8, 7), d.other_posyandu)
    return d


def test_both_ways_read_the_same_rows_of_a_kabupaten_and_of_one_kecamatan(measured: DistrictFixture) -> None:
    d = measured
    kecamatan = services.kecamatan_of(d.kabupaten)
    for ids in (kecamatan, kecamatan[:1], kecamatan[1:], services.kecamatan_of(d.other_kabupaten)):
        units = loaders.units_of(ids)
        scanned = loaders.measurement_frame(units=units, first_day=FIRST, last_day=LAST, selective=False)
        indexed = loaders.measurement_frame(units=units, first_day=FIRST, last_day=LAST, selective=True)
        assert _rows(indexed) == _rows(scanned)

    units = loaders.units_of(kecamatan)
    frame = loaders.measurement_frame(units=units, first_day=FIRST, last_day=LAST, selective=True)
    assert len(frame) == 5  # at_home 2, travels 2 in the period, the visitor's one here; not the older
    days = sorted(datetime.date(1970, 1, 1) + datetime.timedelta(days=int(day)) for day in frame.day)
    assert days == [datetime.date(2025, m, d) for m, d in ((3, 5), (3, 6), (4, 5), (5, 6), (7, 7))]


def test_the_scan_is_taken_when_the_units_hold_most_of_the_posyandu(
    measured: DistrictFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[str] = []
    fetch = loaders.fetch_columns

    def recorded(sql: str, params: list[object], kinds: list[str]) -> list[np.ndarray]:
        reads.append(sql)
        return fetch(sql, params, kinds)

    monkeypatch.setattr(loaders, "fetch_columns", recorded)
    units = loaders.units_of(services.kecamatan_of(measured.kabupaten))  # 4 of the 5 posyandu
    loaders.measurement_frame(units=units, first_day=FIRST, last_day=LAST)
    assert len(reads) == 1  # one scan
    reads.clear()
    beside = loaders.units_of(services.kecamatan_of(measured.other_kabupaten))  # 1 of 5
    loaders.measurement_frame(units=beside, first_day=FIRST, last_day=LAST)
    # The rows at the posyandu, the residents' desa and counts, the desa of the visitors weighed there
    # (two children of 35.10), the rows of the resident weighed in 35.10.
    assert len(reads) == 4
    assert "m.posyandu_id IN (" in reads[0]
    assert "count(*)" in reads[1]
    assert "c.id IN (" in reads[2]
    assert "NOT IN" in reads[3]
