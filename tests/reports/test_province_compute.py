"""The pure parts of the province dashboard: sums per group, a path's value for a year, the verdict
from a 95% interval, and kabupaten outlines dissolved from desa polygons. No database."""

from __future__ import annotations

import numpy as np

from reports import compute
from reports.dissolve import outline


def _square(x: float, y: float, size: float = 1.0) -> dict:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def test_it_sums_counts_per_group_not_percentages() -> None:
    counts = np.array([[150, 30], [400, 20], [40, 12]], dtype=np.int64)
    summed = compute.sum_by_group(counts, np.array([0, 0, 1]), 2)
    assert summed.tolist() == [[550, 50], [40, 12]]


def test_a_path_is_read_on_the_straight_line_between_entered_years() -> None:
    path = {2024: 20.0, 2026: 16.0, 2029: 14.2}
    assert compute.path_value(path, 2024) == 20.0
    assert compute.path_value(path, 2025) == 18.0
    assert compute.path_value(path, 2027) == 16.0 - 1.8 / 3
    assert compute.path_value(path, 2023) is None  # before the first entered year: none invented
    assert compute.path_value(path, 2030) is None
    assert compute.path_value({}, 2025) is None


def test_the_interval_decides_the_verdict() -> None:
    # 30 of 150: 20.00% (14.38-27.11)
    share = compute.wilson_interval(30, 150)
    assert compute.path_verdict(share, 30.0) == compute.VERDICT_BELOW
    assert compute.path_verdict(share, 27.2) == compute.VERDICT_BELOW
    assert compute.path_verdict(share, 18.0) == compute.VERDICT_UNSURE
    assert (
        compute.path_verdict(share, 22.0) == compute.VERDICT_UNSURE
    )  # the point is above, the interval holds it
    assert compute.path_verdict(share, 14.04) == compute.VERDICT_ABOVE
    assert compute.path_verdict(share, None) == ""
    assert compute.path_verdict(compute.wilson_interval(0, 0), 18.0) == ""


def test_shared_desa_edges_dissolve_into_the_kabupaten_outline() -> None:
    assert outline([_square(0, 0), _square(1, 0)]) == {
        "type": "MultiPolygon",
        "coordinates": [
            [[[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [2.0, 1.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]]]
        ],
    }


def test_a_ring_of_desa_keeps_its_hole_and_an_island_stays_apart() -> None:
    ring_of_eight = [_square(x, y) for x in range(3) for y in range(3) if (x, y) != (1, 1)]
    shape = outline([*ring_of_eight, _square(10, 10)])
    assert shape is not None
    polygons = shape["coordinates"]
    assert len(polygons) == 2
    exterior, hole = polygons[0]
    assert sorted(map(tuple, exterior[:-1])) == sorted(
        [(0.0, 0.0), (1.0, 0.0), (2.0, 0.0), (3.0, 0.0), (3.0, 1.0), (3.0, 2.0),
         (3.0, 3.0), (2.0, 3.0), (1.0, 3.0), (0.0, 3.0), (0.0, 2.0), (0.0, 1.0)]
    )  # fmt: skip
    assert sorted(map(tuple, hole[:-1])) == [(1.0, 1.0), (1.0, 2.0), (2.0, 1.0), (2.0, 2.0)]
    assert polygons[1] == [[[10.0, 10.0], [11.0, 10.0], [11.0, 11.0], [10.0, 11.0], [10.0, 10.0]]]


def test_a_multipolygon_desa_and_no_desa_at_all() -> None:
    multi = {
        "type": "MultiPolygon",
        "coordinates": [_square(0, 0)["coordinates"], _square(1, 0)["coordinates"]],
    }
    shape = outline([multi])
    assert shape is not None
    assert len(shape["coordinates"]) == 1
    assert outline([]) is None
