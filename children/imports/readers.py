"""Streaming readers of .csv and .xlsx registers: header row detection, then rows in batches.

Every limit of convergence.uploads applies before parsing: an .xlsx is inspected (sizes, ratios, sheet
extent, cell length) before python-calamine reads its first sheet; a CSV is decoded from its BOM
(UTF-8, UTF-16, UTF-32), else as UTF-8, else Windows-1252 (old Excel versions), read line by line with
its delimiter sniffed between ",", ";" and tab, and every row checked for columns and cell length as it
is read. Neither holds more than one batch of parsed rows in Python at a time. Cells our own exports
escaped against formula injection are read back as written (convergence.spreadsheets). Pure: no Django.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import IO, Any

from children.imports.layout import MISSING_COLUMNS, HeaderMatch, looks_like_header, match_header
from convergence import uploads
from convergence.spreadsheets import spreadsheet_unescape_row
from convergence.uploads import UploadLimits
from convergence.uploads import UploadRefused as UnreadableFile


def gettext_noop(message: str) -> str:
    return message


EXTENSIONS = (".csv", ".xlsx")
# Title rows (district name, period) sometimes sit above the table; the header is looked for this far.
HEADER_SEARCH_ROWS = 20

UNSUPPORTED = gettext_noop("Hanya berkas .csv atau .xlsx yang dapat diimpor")
EMPTY = uploads.EMPTY
UNREADABLE = uploads.NOT_XLSX  # "Berkas tidak dapat dibaca sebagai %(kind)s"

__all__ = ["UnreadableFile", "open_table"]  # UnreadableFile: any refusal, with its msgid and params


Row = tuple[int, Sequence[Any]]  # (row number as a spreadsheet shows it, cells)


@dataclass
class Table:
    header: HeaderMatch
    header_row: int
    rows: Iterator[Row]
    estimated_rows: int  # data rows, for the progress bar (exact for .xlsx, lines for .csv)


def extension(file_name: str) -> str:
    return Path(file_name).suffix.lower()


def batches(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    while batch := list(islice(rows, size)):
        yield batch


def _binary(source: str | os.PathLike[str] | IO[Any]) -> tuple[IO[bytes], bool]:
    if isinstance(source, str | os.PathLike):
        return open(source, "rb"), True  # noqa: SIM115 - closed by the caller's context
    if hasattr(source, "seek"):
        source.seek(0)
    return source, False  # type: ignore[return-value]


def _is_blank(cells: Sequence[Any]) -> bool:
    try:
        return not "".join(cells).strip()  # CSV rows: all text, one C call
    except TypeError:
        return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def _find_header(numbered: Iterator[Row]) -> tuple[HeaderMatch, int]:
    first_seen: HeaderMatch | None = None
    for number, cells in islice(numbered, HEADER_SEARCH_ROWS):
        if _is_blank(cells):
            continue
        cells = [uploads.CONTROL_CHARACTERS.sub("", c) if isinstance(c, str) else c for c in cells]
        if looks_like_header(cells):
            return match_header(cells), number
        first_seen = first_seen or match_header(cells)
    if first_seen is None:
        raise UnreadableFile(EMPTY)
    raise UnreadableFile(MISSING_COLUMNS, {"columns": ", ".join(first_seen.missing)})


def _count_lines(handle: IO[bytes]) -> int:
    lines = 0
    while block := handle.read(1 << 20):
        lines += block.count(b"\n")
    handle.seek(0)
    return lines


def _checked(rows: Iterator[Row], limits: UploadLimits) -> Iterator[Row]:
    check = uploads.check_row
    for number, cells in rows:
        check(number, cells, limits)  # type: ignore[arg-type]
        yield number, cells


def _delimiter(first_line: str) -> str:
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    if "\t" in first_line and first_line.count("\t") > first_line.count(delimiter):
        delimiter = "\t"
    return delimiter


@contextmanager
def _csv_table(source: str | os.PathLike[str] | IO[Any], limits: UploadLimits) -> Iterator[Table]:
    handle, owned = _binary(source)
    try:
        if isinstance(handle.read(0), str):  # a text stream (tests, StringIO)
            text: IO[str] = handle  # type: ignore[assignment]
            lines = text.read().count("\n")
        else:
            uploads.check_size(uploads.source_size(handle), limits)
            lines = _count_lines(handle)
            text, _encoding = uploads.open_text(handle, limits)
        text.seek(0)
        first_line = next(uploads.bounded_lines(text, limits), "")
        text.seek(0)
        reader = csv.reader(uploads.bounded_lines(text, limits), delimiter=_delimiter(first_line))
        # Our own exports escape text a spreadsheet would run as a formula ("'=..."): read it back as
        # written, so a re-imported export changes nothing.
        numbered: Iterator[Row] = _checked(enumerate(map(spreadsheet_unescape_row, reader), start=1), limits)
        header, header_row = _find_header(numbered)
        rows = (row for row in numbered if not _is_blank(row[1]))
        yield Table(
            header=header, header_row=header_row, rows=rows, estimated_rows=max(0, lines - header_row)
        )
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            raise UnreadableFile(
                uploads.CELL_TOO_LONG_AT_LEAST,
                {"found": csv.field_size_limit(), "limit": limits.max_cell_chars},
            ) from error
        raise UnreadableFile(UNREADABLE, {"kind": "CSV"}) from error
    finally:
        if owned:
            handle.close()


@contextmanager
def _xlsx_table(source: str | os.PathLike[str] | IO[Any], limits: UploadLimits) -> Iterator[Table]:
    from python_calamine import CalamineError, CalamineWorkbook

    handle, owned = _binary(source)
    try:
        uploads.check_xlsx(handle, limits)  # before calamine allocates anything
        try:
            workbook = CalamineWorkbook.from_filelike(handle)
            sheet = workbook.get_sheet_by_index(0)
        except (CalamineError, ValueError, OSError) as error:
            raise UnreadableFile(UNREADABLE, {"kind": "Excel (.xlsx)"}) from error
        start = sheet.start[0] if sheet.start else 0
        uploads.check_extent(rows=start + sheet.height, columns=sheet.width, limits=limits)
        # Escaped text also comes back from a CSV export that Excel saved as .xlsx.
        rows_read = map(spreadsheet_unescape_row, sheet.iter_rows())
        numbered: Iterator[Row] = enumerate(rows_read, start=start + 1)
        header, header_row = _find_header(numbered)
        rows = (row for row in numbered if not _is_blank(row[1]))
        yield Table(
            header=header,
            header_row=header_row,
            rows=rows,
            estimated_rows=max(0, start + sheet.height - header_row),
        )
    finally:
        if owned:
            handle.close()


@contextmanager
def open_table(
    source: str | os.PathLike[str] | IO[Any], file_name: str, limits: UploadLimits | None = None
) -> Iterator[Table]:
    """The table of a .csv/.xlsx register; UnreadableFile when it is neither, empty, has no header or
    exceeds a limit (default: UploadLimits(); the rows are checked as they are read)."""
    kind = extension(file_name)
    if kind not in EXTENSIONS:
        raise UnreadableFile(UNSUPPORTED)
    opener = _csv_table if kind == ".csv" else _xlsx_table
    with opener(source, limits or UploadLimits()) as table:
        yield table
