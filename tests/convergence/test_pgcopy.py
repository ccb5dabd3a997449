"""The shared bulk helpers: COPY CSV data (NULLs, NaN, booleans, quoting) and numpy columns read back."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import psycopg
import pytest
from django.db import connection, transaction

from children.models import Child
from convergence.models import Region
from convergence.pgcopy import (
    CSV,
    BinaryColumn,
    SentCopy,
    cast,
    copy_binary,
    copy_rows,
    csv_data,
    day_number,
    day_of,
    day_sql,
    fetch_columns,
    microseconds,
)
from tests.factories import ChildFactory, DistrictFixture


def test_it_writes_floats_with_blank_cells_and_nan_as_null() -> None:
    assert csv_data([[10.2, None, float("nan"), 0.1]]) == b"10.2\n\n\n0.1\n"
    assert csv_data([np.array([1.5, np.nan])]) == b"1.5\n\n"


def test_it_writes_booleans_ints_dates_and_constants() -> None:
    assert csv_data([[True, False], [3, 12], [datetime.date(2026, 1, 5), datetime.date(2026, 2, 1)]]) == (
        b"true,3,2026-01-05\nfalse,12,2026-02-01\n"
    )
    assert csv_data([np.array([-1, 2], dtype=np.int8)]) == b"-1\n2\n"
    assert csv_data([[None, None]]) == b"\n\n"
    # A constant column is formatted once, as text: still never a NULL.
    assert csv_data([[False, False], [Decimal("9.10"), Decimal("9.10")]]) == b'"f","9.10"\n"f","9.10"\n'


def test_text_is_quoted_so_an_empty_text_is_no_null_and_tabs_and_quotes_survive() -> None:
    assert csv_data([["a\tb", "", None, 'say "hi"'], [1, 2, 3, 4]]) == (
        b'"a\tb",1\n"",2\n,3\n"say ""hi""",4\n'
    )
    assert csv_data([[]]) == b""


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
    copy_rows(Region._meta.db_table, ["code", "name", "level"], [["93"], [""], ["provinsi"]])
    copy_rows(Region._meta.db_table, ["code", "name", "level"], [[], [], []])
    assert list(Region.objects.order_by("code").values_list("code", "name", "valid_from")) == [
        ("91", "PAPUA\tBARAT", datetime.date(2026, 1, 5)),
        ("92", "PAPUA", None),
        ("93", "", None),  # an empty text stays text: no NULL in a NOT NULL column
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


_REGIONS = f"COPY {Region._meta.db_table} (code, name, level) FROM STDIN {CSV}"


@pytest.mark.django_db
def test_a_sent_copy_is_stored_by_the_server_and_its_result_read_later() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    with connection.cursor() as cursor:
        sent = SentCopy(cursor.cursor, _REGIONS, csv_data([["91", "92"], ["A", "B"], ["provinsi"] * 2]))
        assert cursor.connection.pgconn.transaction_status == psycopg.pq.TransactionStatus.ACTIVE
        sent.wait()  # the result read: the connection takes statements again
        assert cursor.connection.pgconn.transaction_status == psycopg.pq.TransactionStatus.INTRANS
    assert list(Region.objects.order_by("code").values_list("code", flat=True)) == ["91", "92"]


@pytest.mark.django_db
def test_a_sent_copy_raises_the_servers_error_when_its_result_is_read() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    copy_rows(Region._meta.db_table, ["code", "name", "level"], [["91"], ["A"], ["provinsi"]])
    with transaction.atomic(), connection.cursor() as cursor:
        sid = transaction.savepoint()
        sent = SentCopy(cursor.cursor, _REGIONS, csv_data([["91"], ["A again"], ["provinsi"]]))
        with pytest.raises(psycopg.errors.UniqueViolation):
            sent.wait()
        transaction.savepoint_rollback(sid)
    assert list(Region.objects.values_list("code", "name")) == [("91", "A")]


def test_reports_reach_the_bulk_helpers_through_convergence_only() -> None:
    root = Path(__file__).resolve().parents[2]
    reaching = sorted(
        str(path.relative_to(root))
        for path in (root / "reports").rglob("*.py")
        if "children.imports" in path.read_text()
    )
    assert reaching == []
