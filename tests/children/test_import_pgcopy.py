"""COPY text of the bulk import: NULLs, NaN, booleans, escapes, lines."""

from __future__ import annotations

import datetime

import numpy as np

from children.imports.pgcopy import copy_data, copy_lines, text_column


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
