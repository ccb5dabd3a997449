"""The read and parse steps alone: a CSV into column batches (pyarrow), columns into typed arrays, and
the parse step's rows and rejections from a batch."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from children.imports import columns, validate
from children.imports.batch import rows_batch
from children.imports.layout import match_header
from children.imports.parse import Parser
from children.imports.readers import RaggedCells, ShiftedCells, open_table
from children.imports.resolve import PosyanduFinder
from children.imports.rows import BatchIssues
from tests.children.test_import_pipeline import HEADER, NIK_BUDI, NIK_SITI, csv_text, row
from tests.factories import DistrictFixture

TODAY = datetime.date(2026, 1, 20)


def _batches(text: str, size: int = 5_000) -> list:
    with open_table(io.BytesIO(text.encode()), "register.csv") as table:
        return list(table.batches(size))


# read --------------------------------------------------------------------------------------------------------


def test_it_reads_a_csv_into_text_columns_numbered_as_lines() -> None:
    text = csv_text([row(), row(Nama="Siti Aminah", NIK=NIK_SITI, JK="P")], delimiter=";")

    [batch] = _batches(text)

    assert batch.numbers == [2, 3]
    assert all(isinstance(column, pa.Array) for column in batch.columns)
    assert batch.columns[HEADER.index("Nama")].to_pylist() == ["Budi Santoso", "Siti Aminah"]
    assert batch.columns[HEADER.index("Berat")].to_pylist() == ["10,2", "10,2"]


def test_it_skips_blank_lines_and_keeps_the_numbers_of_the_lines_after_them() -> None:
    lines = csv_text([row(), row(Nama="Siti Aminah")]).splitlines(keepends=True)
    text = "".join([lines[0], lines[1], "\r\n", ",,,\r\n", lines[2]])

    batches = _batches(text)

    assert [batch.numbers for batch in batches] == [[2, 5]]
    assert batches[0].cells(1)[HEADER.index("Nama")] == "Siti Aminah"


def test_it_marks_a_ragged_row_in_row_order_and_numbers_batches_across_lines() -> None:
    lines = csv_text([row(), row(Nama="Ani"), row(Nama="Citra")]).splitlines(keepends=True)
    text = "".join([lines[0], lines[1], "1,2,3\r\n", lines[2], lines[3]])

    first, second = _batches(text, size=2)

    assert (first.numbers, first.marks) == ([2, 3], {1: (RaggedCells, 3)})
    assert first.cells(1) == ["1", "2", "3"]
    assert second.numbers == [4, 5]
    assert second.cells(1)[HEADER.index("Nama")] == "Citra"


def test_it_reads_a_quoted_newline_as_one_record_numbered_as_a_spreadsheet_does() -> None:
    text = csv_text([row(Alamat="Dusun Krajan\nRT 1"), row(Nama="Ani")])

    [batch] = _batches(text)

    assert batch.numbers == [2, 3]
    assert batch.cells(0)[HEADER.index("Alamat")] == "Dusun Krajan\nRT 1"
    assert batch.cells(1)[HEADER.index("Nama")] == "Ani"


def test_it_reads_back_text_our_exports_escaped() -> None:
    text = csv_text([row(Nama="'=Budi", Alamat="'Jalan")])

    [batch] = _batches(text)

    assert batch.cells(0)[HEADER.index("Nama")] == "=Budi"
    assert batch.cells(0)[HEADER.index("Alamat")] == "'Jalan"


# parse: columns to typed arrays, no database ---------------------------------------------------------------


def test_parsed_columns_are_typed_arrays_with_the_decimal_comma_read() -> None:
    weights = pa.array(["10,2", "12.5", "", "1.234,5", "abc", "10,2"])

    found = columns.parsed(weights, validate.measure_ok("weight_kg"))

    assert found.codes.tolist() == [0, 1, 2, 3, 4, 0]
    np.testing.assert_array_equal(found.floats(), [10.2, 12.5, np.nan, 1234.5, np.nan, 10.2])
    assert found.where(lambda value: value is validate.BAD).tolist() == [False] * 4 + [True, False]


def test_parsed_dates_are_day_numbers_and_unreadable_ones_have_none() -> None:
    days = ["05/01/2026", "2026-01-06", "31/02/2026", "", "7 Januari 2026"]

    found = columns.parsed(pa.array(days), validate.date_ok(validate.parsing.DateParser(), TODAY))

    expected = [datetime.date(2026, 1, 5), datetime.date(2026, 1, 6), None, None, datetime.date(2026, 1, 7)]
    numbers = [(d - datetime.date(1970, 1, 1)).days if d else columns.NO_DAY for d in expected]
    assert found.days().tolist() == numbers


def test_parsed_cells_of_a_sheet_keep_numbers_apart_from_text() -> None:
    cells = [1, 1.0, True, "1", None, 1]

    distinct, codes = columns.encode(cells)

    assert (distinct, codes.tolist()) == ([1, 1.0, True, "1", None], [0, 1, 2, 3, 4, 0])


def test_the_column_nik_check_agrees_with_the_cell_check() -> None:
    niks = [NIK_BUDI, NIK_SITI, "", "351001••••••••••", "3.51E+15", "3510011003240000", "3510014403240001"]
    sexes = ["L", "P", "L", "L", "L", "L", "L"]
    born = [datetime.date(2024, 3, 10), datetime.date(2024, 6, 15), *[datetime.date(2024, 3, 10)] * 5]
    days = np.array([(d - datetime.date(1970, 1, 1)).days for d in born], dtype=np.int64)
    stems = {"L": {}, "P": {}}  # type: dict[str, dict[datetime.date, str]]
    for sex, day in zip(sexes, born, strict=True):
        stems[sex][day] = f"{day.day + (40 if sex == 'P' else 0):02d}{day.month:02d}{day.year % 100:02d}"

    full, blank = columns.nik_ok(pa.array(niks), columns.nik_stems(np.array([s == "P" for s in sexes]), days))

    by_cell = [validate.nik_fast_ok(n, stems, s, d) for n, s, d in zip(niks, sexes, born, strict=True)]
    assert full.tolist() == [found not in ("", validate.BAD) for found in by_cell]
    assert blank.tolist() == [found == "" for found in by_cell]
    assert full.tolist() == [True, True, False, False, False, False, False]


# parse: a batch to rows --------------------------------------------------------------------------------------


@pytest.fixture
def parser(district: DistrictFixture) -> Parser:
    finder = PosyanduFinder(user=district.users["bappeda_admin"], places=None)
    return Parser(today=TODAY, finder=finder, places=None)


def test_parse_reports_a_bad_date_by_its_row_and_keeps_the_others(parser: Parser) -> None:
    [batch] = _batches(
        csv_text([row(), row(**{"Tanggal Pengukuran": "31/02/2026"}), row(Nama="Ani", Berat="9,75")])
    )
    issues = BatchIssues()

    good, blank = parser.parse(batch, match_header(HEADER), issues)

    assert [(r.number, r.name, r.values["weight_kg"], r.values["height_cm"]) for r in good] == [
        (2, "Budi Santoso", 10.2, 80.5),
        (4, "Ani", 9.75, 80.5),
    ]
    assert blank == []
    assert (issues.rejected, issues.pending) == (
        1,
        [(3, "ditolak", "Tanggal Pengukuran", "Tanggal tidak ada di kalender")],
    )


def test_parse_of_a_sheet_batch_gives_the_rows_of_the_same_csv(parser: Parser) -> None:
    rows = [row(), row(Nama="Ani", Berat="9,75", JK="X")]
    [from_csv] = _batches(csv_text(rows))
    cells = [[r.get(name, "") for name in HEADER] for r in rows]
    sheet_cells = [[9.75 if c == "9,75" else c for c in line] for line in cells]
    from_sheet = rows_batch(list(enumerate(sheet_cells, start=2)), len(HEADER), (ShiftedCells, RaggedCells))
    header = match_header(HEADER)
    results = []
    for batch in (from_csv, from_sheet):
        issues = BatchIssues()
        good, _blank = parser.parse(batch, header, issues)
        results.append(([(r.number, r.values, r.child_values) for r in good], issues.pending))

    assert results[0] == results[1]
    assert results[0][1] == [(3, "ditolak", "JK", "Jenis kelamin harus L atau P")]


# A register sheet with e-PPGBM's last two titles, and one valid row's cells under HEADER.
SHEET_HEADER = [*HEADER, "Total Pengukuran", "Usia Saat Ukur"]
PLAIN = [row().get(name, "") or None for name in HEADER]


def _sheet(path: Path, rows: list[list[object]]) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for cells in [SHEET_HEADER, *rows]:
        sheet.append(cells)
    workbook.save(path)
    return path


def test_a_sheet_is_read_by_column_with_its_blank_escaped_and_shifted_rows_as_row_by_row(
    tmp_path: Path,
) -> None:
    header, plain = SHEET_HEADER, PLAIN
    escaped = [*plain, 2, "1 Tahun - 10 Bulan"]
    escaped[HEADER.index("Nama")] = "'=SUM(1)"
    rows: list[list[object]] = [
        [*plain, 3, "1 Tahun - 9 Bulan"],
        [None] * len(header),  # a blank row
        escaped,
        [*plain, "1 Tahun - 11 Bulan", None],  # Total Pengukuran missing: cells moved left
    ]
    path = _sheet(tmp_path / "register.xlsx", rows)

    with open_table(path, "register.xlsx") as table:
        first, second = list(table.batches(2))

    # Batches of up to 2 of the sheet's rows: the blank row is read, then dropped.
    assert (first.numbers, second.numbers) == ([2], [4, 5])
    assert second.cells(0)[HEADER.index("Nama")] == "=SUM(1)"
    assert (first.marks, second.marks) == ({}, {1: (ShiftedCells, len(header) - 1)})
    assert second.cells(1)[len(HEADER) :] == ["", "1 Tahun - 11 Bulan"]
    assert first.cells(0)[len(HEADER) :] == [3, "1 Tahun - 9 Bulan"]


def test_a_shifted_row_of_a_sheet_wider_than_its_header_is_still_lined_up(tmp_path: Path) -> None:
    header, plain = SHEET_HEADER, PLAIN
    rows: list[list[object]] = [
        [*plain, 3, "1 Tahun - 9 Bulan", None, "catatan"],  # a note past the last title
        [*plain, "1 Tahun - 11 Bulan", None, None, None],  # Total Pengukuran missing
    ]
    path = _sheet(tmp_path / "register.xlsx", rows)

    with open_table(path, "register.xlsx") as table:
        [batch] = list(table.batches(10))

    assert batch.numbers == [2, 3]
    assert batch.marks == {1: (ShiftedCells, len(header) - 1)}
    assert batch.cells(1)[len(HEADER) :] == ["", "1 Tahun - 11 Bulan"]


def test_control_characters_are_found_in_text_columns_and_only_there() -> None:
    plain = pa.array(["Budi", "Ñoño", None, "Jl. Mawar\tNo. 2"])  # a tab is allowed
    with_nul = pa.array(["Budi", "Si\x00ti", "Ani\x1f", "é\x7f"])
    assert columns.with_control_characters([plain]).tolist() == [False] * 4
    assert columns.with_control_characters([plain, with_nul]).tolist() == [False, True, True, True]
    # A slice shares its parent's text buffer: a control byte outside the slice finds no row in it.
    assert columns.with_control_characters([with_nul.slice(0, 1)]).tolist() == [False]
    assert columns.with_control_characters([pa.array([1, 2]), pa.array([None, None])]).tolist() == [
        False,
        False,
    ]
    assert columns.with_control_characters([["Si\x00ti", 3, None]]).tolist() == [True, False, False]
