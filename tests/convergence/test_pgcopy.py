"""The shared bulk helpers: COPY text (NULLs, NaN, booleans, escapes, lines) and numpy columns read back."""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np
import pytest
from django.db import connection

from children.models import Child
from convergence.models import Region
from convergence.pgcopy import (
    BinaryColumn,
    cast,
    copy_binary,
    copy_data,
    copy_lines,
    copy_rows,
    day_number,
    day_of,
    day_sql,
    fetch_columns,
    microseconds,
    text_column,
)
from tests.factories import ChildFactory, DistrictFixture


def test_it_writes_floats_with_blank_cells_and_nan_as_null() -> None:
    assert text_column([10.2, None, float("nan"), 0.1]) == ["10.2", "\\N", "\\N", "0.1"]
    assert text_column(np.array([1.5, np.nan])) == ["1.5", "\\N"]


def test_it_writes_booleans_ints_dates_and_constants() -> None:
    assert text_column([True, False, True]) == ["t", "f", "t"]
    assert text_column([3, 12]) == ["3", "12"]
    assert text_column(np.array([-1, 2], dtype=np.int8)) == ["-1", "2"]
    assert text_column([datetime.date(2026, 1, 5), datetime.date(2026, 2, 1)]) == ["2026-01-05", "2026-02-01"]
    assert text_column([None, None]) == ["\\N", "\\N"]


def test_it_escapes_text_and_leaves_raw_json_null_when_absent() -> None:
    assert text_column(["a\tb", "c\\d"]) == ["a\\tb", "c\\\\d"]
    assert text_column([None, '{"Berat": "10,2"}']) == ["\\N", '{"Berat": "10,2"}']


def test_it_joins_columns_into_lines() -> None:
    columns = [[1, 2], ["x", "y"], [None, 2.5]]

    assert copy_lines(columns) == ["1\tx\t\\N", "2\ty\t2.5"]
    assert copy_data(columns) == b"1\tx\t\\N\n2\ty\t2.5\n"
    assert (copy_lines([[]]), copy_data([[]])) == ([], b"")


def test_day_numbers_count_from_1970_both_ways() -> None:
    assert day_number(datetime.date(1970, 1, 1)) == 0
    assert day_number(datetime.date(2024, 3, 10)) == 19792
    assert day_of(19792) == datetime.date(2024, 3, 10)
    assert day_of(np.int64(-1)) == datetime.date(1969, 12, 31)


def test_it_reads_rows_as_numpy_columns_with_nulls_replaced(district: DistrictFixture) -> None:
    born = ChildFactory(posyandu=district.posyandu_a1, birth_date=datetime.date(2024, 3, 10))
    weighed = ChildFactory(
        posyandu=district.posyandu_a2, birth_date=datetime.date(2025, 1, 1), birth_weight_kg="3.15"
    )
    sql = (
        f"SELECT {cast('c.id', 'i8')}, {cast(day_sql('c.birth_date'), 'i4')}, "
        f"{cast('c.birth_weight_kg', 'f8', default='NaN')}, {cast('c.birth_order', 'i4', default='-1')} "
        f"FROM {Child._meta.db_table} c WHERE c.desa_id IN (%s, %s)"
    )
    ids, days, weights, orders = fetch_columns(
        sql, [district.desa_a1.id, district.desa_a2.id], ["i8", "i4", "f8", "i4"]
    )
    order = np.argsort(ids)
    assert ids[order].tolist() == sorted([born.id, weighed.id])
    assert days[order].tolist() == [19792, 20089]
    assert np.isnan(weights[order][0])
    assert weights[order][1] == 3.15
    assert orders.tolist() == [-1, -1]
    assert {column.dtype for column in (ids, days, orders)} == {np.dtype(np.int64)}
    assert weights.dtype == np.float64


def test_it_reads_no_rows_as_empty_columns(db: None) -> None:
    ids, days = fetch_columns(
        f"SELECT {cast('c.id', 'i8')}, {cast(day_sql('c.birth_date'), 'i4')} FROM {Child._meta.db_table} c",
        [],
        ["i8", "i4"],
    )
    assert (ids.tolist(), days.tolist()) == ([], [])


@pytest.mark.django_db
def test_it_inserts_columns_with_one_copy() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    copy_rows(
        Region._meta.db_table,
        ["code", "name", "level", "valid_from"],
        [
            ["91", "92"],
            ["PAPUA\tBARAT", "PAPUA"],
            ["provinsi", "provinsi"],
            [datetime.date(2026, 1, 5), None],
        ],
    )
    copy_rows(Region._meta.db_table, ["code", "name", "level"], [[], [], []])
    assert list(Region.objects.order_by("code").values_list("code", "name", "valid_from")) == [
        ("91", "PAPUA\tBARAT", datetime.date(2026, 1, 5)),
        ("92", "PAPUA", None),
    ]


@pytest.mark.django_db
def test_it_inserts_numpy_columns_with_one_binary_copy() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    moment = datetime.datetime(2026, 1, 5, 8, 30, 15, 123456, tzinfo=datetime.UTC)
    days = np.array([day_number(datetime.date(2026, 1, 5)), -1, day_number(datetime.date(1969, 12, 30))])
    copy_binary(
        Region._meta.db_table,
        [
            BinaryColumn("code", "text", np.array(["91", "92", "93"])),
            BinaryColumn("name", "text", np.array(["PAPUA BARAT", "PAPUA", "PAPUA"])),
            BinaryColumn("level", "text", np.array(["provinsi"] * 3)),
            BinaryColumn("valid_from", "date", days, null=days == -1),
            BinaryColumn("retired_at", "timestamptz", np.full(3, microseconds(moment)), null=days != -1),
        ],
    )
    copy_binary(Region._meta.db_table, [BinaryColumn("code", "text", np.array([], dtype=str))])
    assert list(Region.objects.order_by("code").values_list("code", "name", "valid_from", "retired_at")) == [
        ("91", "PAPUA BARAT", datetime.date(2026, 1, 5), None),
        ("92", "PAPUA", None, moment),
        ("93", "PAPUA", datetime.date(1969, 12, 30), None),
    ]


def test_reports_reach_the_bulk_helpers_through_convergence_only() -> None:
    root = Path(__file__).resolve().parents[2]
    reaching = sorted(
        str(path.relative_to(root))
        for path in (root / "reports").rglob("*.py")
        if "children.imports" in path.read_text()
    )
    assert reaching == []
