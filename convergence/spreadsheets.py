"""The .csv and .xlsx files the application writes, safe from formula injection, and the inverse rule.

Spreadsheet programs read a text cell that starts with = + - @, a tab or a carriage return as a formula
(OWASP "CSV injection"): a child registered as =HYPERLINK("http://x","y") would become a live link
in the file a kader opens. Every export goes through this module, so:

- CSV: such a text gets a leading apostrophe, the mark Excel, LibreOffice and Google Sheets take for
  "this is text". The text "-5" is escaped too (it is text, not a number); numbers, Decimals and
  dates are written as values, so a negative number stays a number.
- .xlsx: the text is kept exactly as it is in a string cell (openpyxl would otherwise store "=..." as a
  formula and "#N/A" as an error). A string cell is never evaluated on opening; the escaped ones also
  carry Excel's own quote-prefix style (what typing a leading ' produces), so editing the cell in
  Excel keeps it text instead of turning it into a formula. XML turns a carriage return into a line
  feed, in this cell as in any other: harmless here, since a string cell is not a formula.

The importers read every cell through `spreadsheet_unescape`, so a CSV export re-imports unchanged.
Pure: no Django (the import readers use it too); openpyxl is imported where a workbook is written.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openpyxl.cell import Cell

FORMULA_STARTS = frozenset("=+-@\t\r")
ESCAPE = "'"
DATE_FORMAT = "dd-mm-yyyy"
TEXT_FORMAT = "@"

_is_text = str.__instancecheck__  # a C-level isinstance(value, str) for filter()


def _formula_like(text: str) -> bool:
    # Leading apostrophes are looked through, so a text that itself starts with "'=" is escaped too
    # and `spreadsheet_unescape` gives back exactly what was written, whatever the text.
    return text.lstrip(ESCAPE)[:1] in FORMULA_STARTS


def spreadsheet_safe(value: Any) -> Any:
    """`value` as a CSV cell: a text a spreadsheet would read as a formula gets a leading "'".

    Anything that is not a text (numbers, Decimals, dates, None) is returned unchanged.
    """
    if isinstance(value, str) and _formula_like(value):
        return ESCAPE + value
    return value


def spreadsheet_unescape(value: Any) -> Any:
    """The inverse of `spreadsheet_safe`: "'=SUM(1)" reads "=SUM(1)"; "'Aisyah" and "'3510..." stay."""
    if isinstance(value, str) and value[:1] == ESCAPE and _formula_like(value[1:]):
        return value[1:]
    return value


def spreadsheet_unescape_row(cells: Sequence[Any]) -> Sequence[Any]:
    """The cells of one imported row through `spreadsheet_unescape`; the same object without any "'".

    A register has up to a million rows: one scan in C passes over the rows without any apostrophe.
    """
    try:
        text = "".join(cells)
    except TypeError:  # .xlsx rows mix in numbers and dates
        text = "".join(filter(_is_text, cells))
    if ESCAPE not in text:
        return cells
    return [spreadsheet_unescape(cell) for cell in cells]


# CSV ----------------------------------------------------------------------------------------------


def _csv_value(value: Any) -> Any:
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return value
    return "" if value is None else spreadsheet_safe(str(value))


def csv_write(target: IO[bytes], header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> int:
    """Write UTF-8 with a BOM (so Excel reads the names right); texts quoted and escaped, numbers not.

    Returns the number of data rows. Quoting every text cell quotes the NIK: a reader that honours
    quotes keeps it a string. Dates are written ISO (yyyy-mm-dd). `target` is left open.
    """
    stream = io.TextIOWrapper(target, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv.writer(stream, quoting=csv.QUOTE_NONNUMERIC)
    writer.writerow([_csv_value(value) for value in header])
    count = 0
    for row in rows:
        writer.writerow([_csv_value(value) for value in row])
        count += 1
    stream.flush()
    stream.detach()  # leave `target` open for the caller
    return count


def csv_bytes(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    """`csv_write` into memory, for files small enough to answer in one response."""
    target = io.BytesIO()
    csv_write(target, header, rows)
    return target.getvalue()


# .xlsx --------------------------------------------------------------------------------------------


def xlsx_cell(sheet: Any, value: Any, *, text: bool = False) -> Cell:
    """One cell of `sheet` (write-only or not): a text as a string cell, never a formula or an error.

    `text=True` writes the value as text in the text format "@", so Excel keeps a NIK's 16 digits and
    leading zeros; dates get the format dd-mm-yyyy; numbers stay numbers.
    """
    from openpyxl.cell import WriteOnlyCell

    if text:
        value = "" if value is None else str(value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
        if _formula_like(value):
            cell.quotePrefix = True
    if text:
        cell.number_format = TEXT_FORMAT
    elif isinstance(value, datetime.date):
        cell.number_format = DATE_FORMAT
    return cell


def xlsx_append(sheet: Any, values: Iterable[Any], *, text_columns: frozenset[int] = frozenset()) -> None:
    """Append one row of `values` to `sheet` through `xlsx_cell` (`text_columns`: 0-based, kept text)."""
    sheet.append([xlsx_cell(sheet, value, text=i in text_columns) for i, value in enumerate(values)])


def xlsx_write(
    target: IO[bytes] | str,
    header: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    text_columns: Iterable[int] = (),
    title: str = "Data",
) -> int:
    """Write one sheet (openpyxl write-only: rows are not kept in memory); returns the number of data rows."""
    from openpyxl import Workbook

    text = frozenset(text_columns)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    xlsx_append(sheet, header)
    count = 0
    for row in rows:
        xlsx_append(sheet, row, text_columns=text)
        count += 1
    workbook.save(target)
    return count


def xlsx_bytes(workbook: Any) -> bytes:
    """A workbook built with `xlsx_append` as the bytes of an .xlsx file."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
