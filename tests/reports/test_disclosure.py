"""Small-cell suppression of the published table: primary, secondary, and no cell recoverable."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.disclosure import Relation, primary_suppression, recoverable, suppress


def _flags(array: np.ndarray) -> list[bool]:
    return [bool(v) for v in array]


def test_it_suppresses_units_of_one_to_four_children_but_not_empty_ones() -> None:
    assert _flags(primary_suppression([0, 1, 4, 5, 120])) == [False, True, True, False, False]


def test_it_honours_another_threshold() -> None:
    assert _flags(primary_suppression([3, 9, 10], min_count=10)) == [True, True, False]


def test_a_lone_suppressed_member_is_recoverable_from_its_total() -> None:
    # cells: a, b, total
    relations = [Relation(total=2, members=(0, 1))]
    assert _flags(recoverable(np.array([True, False, False]), relations)) == [True, False, False]
    assert _flags(recoverable(np.array([True, True, False]), relations)) == [False, False, False]


def test_it_suppresses_the_next_smallest_desa_of_the_area() -> None:
    # desa A=3, B=10, C=7 in area P=20; desa D=30 alone in area Q=30; kabupaten K=50.
    sizes = [3, 10, 7, 30, 20, 30, 50]
    relations = [
        Relation(total=4, members=(0, 1, 2)),
        Relation(total=5, members=(3,)),
        Relation(total=6, members=(4, 5)),
    ]
    result = suppress(sizes, relations)
    assert _flags(result.primary) == [True, False, False, False, False, False, False]
    assert _flags(result.secondary) == [False, False, True, False, False, False, False]
    assert not recoverable(result.suppressed, relations).any()


def test_two_small_desa_of_one_area_protect_each_other() -> None:
    sizes = [2, 3, 40, 45]
    relations = [Relation(total=3, members=(0, 1, 2))]
    result = suppress(sizes, relations)
    assert _flags(result.suppressed) == [True, True, False, False]
    assert _flags(result.secondary) == [False, False, False, False]


def test_a_suppressed_area_is_paired_with_another_area_and_its_desa() -> None:
    # desa A=3 alone in area P=3; desa D=30 alone in area Q=30; kabupaten K=33.
    sizes = [3, 30, 3, 30, 33]
    relations = [
        Relation(total=2, members=(0,)),
        Relation(total=3, members=(1,)),
        Relation(total=4, members=(2, 3)),
    ]
    result = suppress(sizes, relations)
    assert _flags(result.primary) == [True, False, True, False, False]
    assert _flags(result.secondary) == [False, True, False, True, False]
    assert not recoverable(result.suppressed, relations).any()


def test_a_desa_without_children_is_the_last_choice_of_complement() -> None:
    sizes = [3, 0, 8, 11]
    relations = [Relation(total=3, members=(0, 1, 2))]
    result = suppress(sizes, relations)
    assert _flags(result.suppressed) == [True, False, True, False]


def test_it_leaves_a_table_without_small_cells_alone() -> None:
    sizes = [5, 6, 11]
    result = suppress(sizes, [Relation(total=2, members=(0, 1))])
    assert _flags(result.suppressed) == [False, False, False]


def test_the_kabupaten_total_is_suppressed_when_it_is_small_itself() -> None:
    sizes = [1, 2, 3]
    result = suppress(sizes, [Relation(total=2, members=(0, 1))])
    assert _flags(result.primary) == [True, True, True]


@st.composite
def _tables(draw: st.DrawFn) -> tuple[list[int], list[Relation]]:
    """Random kabupaten: 1-4 areas of 1-5 desa each, sizes 0-40, totals the sums."""
    area_sizes = draw(st.lists(st.integers(1, 5), min_size=1, max_size=4))
    desa = [draw(st.lists(st.integers(0, 40), min_size=n, max_size=n)) for n in area_sizes]
    flat = [size for area in desa for size in area]
    n = len(flat)
    relations, start = [], 0
    for j, area in enumerate(desa):
        relations.append(Relation(total=n + j, members=tuple(range(start, start + len(area)))))
        start += len(area)
    m = len(desa)
    relations.append(Relation(total=n + m, members=tuple(range(n, n + m))))
    sizes = flat + [sum(area) for area in desa] + [sum(flat)]
    return sizes, relations


@settings(max_examples=150, deadline=None)
@given(_tables())
def test_no_suppressed_cell_can_be_recomputed_from_the_published_ones(
    table: tuple[list[int], list[Relation]],
) -> None:
    sizes, relations = table
    result = suppress(sizes, relations)
    primary = primary_suppression(sizes)
    assert _flags(result.primary) == _flags(primary)
    assert not (result.primary & result.secondary).any()
    assert not recoverable(result.suppressed, relations).any()
