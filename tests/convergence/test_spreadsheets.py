"""Formula injection: the escaping rule, its inverse, and the CSV and .xlsx writers every export uses."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from convergence.spreadsheets import (
    csv_bytes,
    spreadsheet_safe,
    spreadsheet_unescape,
    spreadsheet_unescape_row,
    xlsx_append,
    xlsx_bytes,
    xlsx_write,
)

# Texts a spreadsheet program would run as a formula (or, for tab and CR, start one).
FORMULAS = ['=HYPERLINK("http://x","y")', "@SUM(1+1)", "+cmd", "-2+3", "\tAisyah", "\rAisyah", "-5"]


@pytest.mark.parametrize("text", FORMULAS)
def test_it_prefixes_an_apostrophe_to_text_a_spreadsheet_would_run(text: str) -> None:
    assert spreadsheet_safe(text) == "'" + text


@pytest.mark.parametrize(
    "value",
    [
        -5,
        -2.5,
        Decimal("-1.10"),
        0,
        True,
        None,
        datetime.date(2025, 3, 15),
        datetime.datetime(2025, 3, 15, 8, 0),
        "",
        "Aisyah",
        "'Aisyah",
        "Ma'ruf",
        "3510011003240001",
        "'3510011003240001",
        "Jl. Mawar 5 = RT 1",
    ],
)
def test_it_leaves_numbers_dates_and_harmless_text_alone(value: object) -> None:
    assert spreadsheet_safe(value) is value


def test_it_escapes_a_text_that_already_starts_with_an_apostrophe_before_a_formula() -> None:
    # Without this, "'=x" would be read back as "=x": the inverse must give back every text as written.
    assert spreadsheet_safe("'=x") == "''=x"
    assert spreadsheet_safe("''+y") == "'''+y"


@pytest.mark.parametrize(
    "text",
    [*FORMULAS, "'=x", "''+y", "'", "''", "'Aisyah", "=", "-", "@", "Aisyah", "", "'3510011003240001"],
)
def test_it_reads_its_own_escaping_back_as_written(text: str) -> None:
    assert spreadsheet_unescape(spreadsheet_safe(text)) == text


def test_it_strips_the_apostrophe_only_before_an_escaped_character() -> None:
    assert spreadsheet_unescape("'=SUM(1)") == "=SUM(1)"
    assert spreadsheet_unescape("'-5") == "-5"
    assert spreadsheet_unescape("'\tAisyah") == "\tAisyah"
    assert spreadsheet_unescape("'Aisyah") == "'Aisyah"
    assert spreadsheet_unescape("'3510011003240001") == "'3510011003240001"
    assert spreadsheet_unescape("'") == "'"
    assert spreadsheet_unescape(-5) == -5
    assert spreadsheet_unescape(None) is None


def test_it_hands_back_a_row_without_any_apostrophe_as_the_same_object() -> None:
    text_row = ["Budi", "9.50", ""]
    mixed_row = ["Budi", 9.5, None, datetime.datetime(2025, 3, 15)]
    assert spreadsheet_unescape_row(text_row) is text_row
    assert spreadsheet_unescape_row(mixed_row) is mixed_row
    assert spreadsheet_unescape_row(["'=SUM(1)", "Ma'ruf", "'Aisyah"]) == ["=SUM(1)", "Ma'ruf", "'Aisyah"]
    assert spreadsheet_unescape_row(["'+cmd", 9.5, None]) == ["+cmd", 9.5, None]


def test_the_csv_writer_escapes_text_and_keeps_numbers_numbers() -> None:
    content = csv_bytes(
        ["Nama", "Z", "Berat", "Tanggal", "Teks", "Kosong"],
        [
            ['=HYPERLINK("http://x","y")', -1.5, Decimal("-2.30"), datetime.date(2025, 3, 15), "-5", None],
            ["\rA", 3, Decimal("9.50"), datetime.datetime(2025, 3, 15, 8, 0), "'Aisyah", ""],
        ],
    )
    assert content == (
        b"\xef\xbb\xbf"
        b'"Nama","Z","Berat","Tanggal","Teks","Kosong"\r\n'
        b'"\'=HYPERLINK(""http://x"",""y"")",-1.5,-2.30,"2025-03-15","\'-5",""\r\n'
        b'"\'\rA",3,9.50,"2025-03-15T08:00:00","\'Aisyah",""\r\n'
    )


def xlsx_stored(text: str) -> str:
    """`text` as an .xlsx holds it: XML turns a carriage return into a line feed (convergence.spreadsheets)."""
    return text.replace("\r", "\n")


def test_the_xlsx_writer_keeps_text_exactly_in_string_cells() -> None:
    target = io.BytesIO()
    row = [*FORMULAS, "#N/A", "Aisyah", -1.5, Decimal("9.50"), datetime.date(2025, 3, 15)]
    count = xlsx_write(target, [f"k{i}" for i in range(len(row))], [row], text_columns=[1])
    sheet = load_workbook(io.BytesIO(target.getvalue())).active
    cells = next(iter(sheet.iter_rows(min_row=2)))
    assert count == 1
    texts = cells[: len(FORMULAS) + 2]
    assert [cell.data_type for cell in texts] == ["s"] * (len(FORMULAS) + 2)
    assert [cell.value for cell in texts] == [xlsx_stored(text) for text in [*FORMULAS, "#N/A", "Aisyah"]]
    # Excel's own mark of a typed leading ', so editing the cell keeps it text.
    assert [cell.quotePrefix for cell in texts] == [True] * len(FORMULAS) + [False, False]
    assert cells[1].number_format == "@"
    numbers = cells[len(FORMULAS) + 2 :]
    assert [(cell.data_type, cell.value) for cell in numbers] == [
        ("n", -1.5),
        ("n", 9.5),
        ("d", datetime.datetime(2025, 3, 15)),
    ]
    assert numbers[2].number_format == "dd-mm-yyyy"


def test_xlsx_append_writes_string_cells_in_an_ordinary_workbook() -> None:
    book = Workbook()
    xlsx_append(book.active, ["=1+1", "@A1", -3])
    xlsx_append(book.active, [])
    sheet = load_workbook(io.BytesIO(xlsx_bytes(book))).active
    cells = next(iter(sheet.iter_rows()))
    assert [(cell.data_type, cell.value) for cell in cells] == [
        ("s", "=1+1"),
        ("s", "@A1"),
        ("n", -3),
    ]
