"""Streaming readers of .csv, .xls and .xlsx registers: header row detection, then rows in batches.

A workbook is told by its first bytes, not its extension: a ZIP is an .xlsx, an OLE2 compound file a
binary .xls, and an HTML page an HTML table saved as .xls (how e-PPGBM serves its download). Every limit
of convergence.uploads applies before parsing: an .xlsx is inspected (sizes, ratios, sheet extent, cell
length) and a binary .xls walked (sheet extents, expanded text: convergence.uploads_xls) before
python-calamine reads its first sheet; a CSV is decoded from its BOM (UTF-8, UTF-16, UTF-32), else as
UTF-8, else Windows-1252 (old Excel versions), read line by line with its delimiter sniffed between ",",
";" and tab, and every row checked for columns and cell length as it is read; an HTML table likewise
(children.imports.html_table). None holds more than one batch of parsed rows in Python at a time. Cells
our own exports escaped against formula injection are read back as written (convergence.spreadsheets).

Rows are lined up with the header (align_rows): e-PPGBM's download lacks the Total Pengukuran cell in
some rows, which are put back in place (ShiftedCells); in a CSV or an HTML table, any other row whose
cell count differs from the header's is passed on as RaggedCells, for the pipeline to reject by line.
Pure: no Django.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import IO, Any

import pyarrow as pa

from children.imports.batch import Batch, CsvSource, SheetSource, csv_batches, row_batches, sheet_batches
from children.imports.html_table import html_rows, looks_like_html
from children.imports.layout import MISSING_COLUMNS, HeaderMatch, looks_like_header, match_header
from convergence import uploads, uploads_xls
from convergence.spreadsheets import spreadsheet_unescape_row
from convergence.uploads import UploadLimits
from convergence.uploads import UploadRefused as UnreadableFile


def gettext_noop(message: str) -> str:
    return message


EXTENSIONS = (".csv", ".xls", ".xlsx")
# Title rows (district name, period) sometimes sit above the table; the header is looked for this far.
HEADER_SEARCH_ROWS = 20

UNSUPPORTED = gettext_noop("Hanya berkas .csv, .xls atau .xlsx yang dapat diimpor")
EMPTY = uploads.EMPTY
UNREADABLE = uploads.NOT_XLSX  # "Berkas tidak dapat dibaca sebagai %(kind)s"

__all__ = [
    "RaggedCells",
    "ShiftedCells",
    "UnreadableFile",
    "open_table",
]  # UnreadableFile: any refusal, with its msgid and params


Row = tuple[int, Sequence[Any]]  # (row number as a spreadsheet shows it, cells)


@dataclass
class Table:
    header: HeaderMatch
    header_row: int
    # The data rows in batches of up to `size` (columns: children.imports.batch).
    batches: Callable[[int], Iterator[Batch]]
    estimated_rows: int  # data rows, for the progress bar (exact for sheets, lines for .csv, <tr> for HTML)

    @property
    def rows(self) -> Iterator[Row]:
        """The data rows one by one, as Python cells (tests, tools; the import reads `batches`)."""
        for batch in self.batches(ROWS_PER_READ):
            for k, number in enumerate(batch.numbers):
                yield number, batch.cells(k)


# Rows per batch read when none is asked for (Table.rows).
ROWS_PER_READ = 5_000


def _rows_table(header: HeaderMatch, header_row: int, rows: Iterator[Row], estimated_rows: int) -> Table:
    """A table whose rows come one by one (a sheet, an HTML table): batched, then made columns."""
    width = len(header.headers)

    def batches(size: int) -> Iterator[Batch]:
        return row_batches(rows, size, width, (ShiftedCells, RaggedCells))

    return Table(header=header, header_row=header_row, batches=batches, estimated_rows=estimated_rows)


def extension(file_name: str) -> str:
    return Path(file_name).suffix.lower()


def _binary(source: str | os.PathLike[str] | IO[Any]) -> tuple[IO[bytes], bool]:
    if isinstance(source, str | os.PathLike):
        return open(source, "rb"), True
    if hasattr(source, "seek"):
        source.seek(0)
    return source, False


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
    raise UnreadableFile(MISSING_COLUMNS, {"columns": ", ".join(first_seen.missing_headers)})


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


class ShiftedCells(list):
    """A row read with its missing Total Pengukuran cell put back as a blank; `found`: the cells it had."""

    found = 0


class RaggedCells(list):
    """A row whose cells do not line up with the header's (CSV, HTML); `found`: the cells it has."""

    found = 0


def _blank(cell: Any) -> bool:
    return cell is None or (type(cell) is str and not cell.strip())


def _is_count(cell: Any) -> bool:
    """True when a cell holds a count (as Total Pengukuran does), not the age text moved into its place."""
    if isinstance(cell, bool):
        return False
    if isinstance(cell, int | float):
        return float(cell).is_integer()
    return isinstance(cell, str) and cell.strip().isdigit()


def _marked(kind: type[ShiftedCells | RaggedCells], cells: list[Any], found: int) -> list[Any]:
    row = kind(cells)
    row.found = found
    return row


def align_rows(rows: Iterator[Row], header: HeaderMatch, *, counted: bool) -> Iterator[Row]:
    """The data rows lined up with the header.

    e-PPGBM's download drops the Total Pengukuran cell from some rows, so the cells after it sit one
    column to the left: a row one cell short whose cell under Total Pengukuran holds no count (the age
    text has moved there) gets a blank cell put back in its place (ShiftedCells). A sheet pads every
    row to its width, so there the short row shows as a blank last column. `counted`: the format keeps
    each row's own cell count (CSV, HTML), and any other row with more or fewer cells than the header
    (blank cells past its last title aside, or as many cells as its row) is RaggedCells.
    """
    width = len(header.headers)
    gap = header.positions.get("total_measurements")
    if gap is not None and gap >= width - 1:
        gap = None
    if gap is None and not counted:
        yield from rows  # a sheet of another layout: nothing to line up
        return
    for number, cells in rows:
        found = len(cells)
        if found > width and all(map(_blank, cells[width:])):
            found = width
        if gap is not None and (
            (found == width - 1 or (found == width and _blank(cells[width - 1])))
            and not _blank(cells[gap])
            and not _is_count(cells[gap])
        ):
            shifted = [*cells[:gap], "", *cells[gap : width - 1]]
            yield number, _marked(ShiftedCells, shifted, width - 1)
        elif counted and found != width and len(cells) != header.cells:
            yield number, _marked(RaggedCells, list(cells), len(cells))
        else:
            yield number, cells


@contextmanager
def _csv_table(source: str | os.PathLike[str] | IO[Any], limits: UploadLimits) -> Iterator[Table]:
    handle, owned = _binary(source)
    try:
        if isinstance(handle.read(0), str):  # a text stream (tests, StringIO)
            text: IO[str] = handle  # type: ignore[assignment]
            lines_total = text.read().count("\n")
        else:
            uploads.check_size(uploads.source_size(handle), limits)
            lines_total = _count_lines(handle)
            text, _encoding = uploads.open_text(handle, limits)
        text.seek(0)
        first_line = next(uploads.bounded_lines(text, limits), "")
        text.seek(0)
        lines = uploads.bounded_lines(text, limits)
        delimiter = _delimiter(first_line)
        reader = csv.reader(lines, delimiter=delimiter)
        # Our own exports escape text a spreadsheet would run as a formula ("'=..."): read it back as
        # written, so a re-imported export changes nothing.
        numbered: Iterator[Row] = _checked(enumerate(map(spreadsheet_unescape_row, reader), start=1), limits)
        header, header_row = _find_header(numbered)
        # The reader stops at the header's last line: the data rows are the lines after it.
        csv_source = CsvSource(
            lines=lines,
            first_number=header_row + 1,
            delimiter=delimiter,
            header=header,
            limits=limits,
            align=lambda rows: align_rows(rows, header, counted=True),
            kinds=(ShiftedCells, RaggedCells),
        )
        yield Table(
            header=header,
            header_row=header_row,
            batches=lambda size: csv_batches(csv_source, size),
            estimated_rows=max(0, lines_total - header_row),
        )
    except pa.ArrowInvalid as error:
        raise UnreadableFile(UNREADABLE, {"kind": "CSV"}) from error
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


def _long_text(rows: Iterator[Row], limits: UploadLimits) -> Iterator[Row]:
    """Text cells over the cell limit (a binary .xls holds up to 65,535 characters a cell)."""
    limit = limits.max_cell_chars
    for number, cells in rows:
        longest = max((len(cell) for cell in cells if type(cell) is str), default=0)
        if longest > limit:
            raise UnreadableFile(uploads.CELL_TOO_LONG, {"found": longest, "limit": limit})
        yield number, cells


@contextmanager
def _sheet_table(handle: IO[bytes], limits: UploadLimits, *, kind: str) -> Iterator[Table]:
    """The first sheet of an .xlsx or a binary .xls through python-calamine, once the limits are met."""
    from python_calamine import CalamineError, CalamineWorkbook

    label = "Excel (.xlsx)" if kind == "xlsx" else "Excel (.xls)"
    # Before calamine allocates anything.
    (uploads.check_xlsx if kind == "xlsx" else uploads_xls.check_xls)(handle, limits)
    try:
        workbook = CalamineWorkbook.from_filelike(handle)
        sheet = workbook.get_sheet_by_index(0)
    except (CalamineError, ValueError, OSError) as error:
        raise UnreadableFile(UNREADABLE, {"kind": label}) from error
    start = sheet.start[0] if sheet.start else 0
    uploads.check_extent(rows=start + sheet.height, columns=sheet.width, limits=limits)
    # Escaped text also comes back from a CSV export that Excel saved as .xlsx.
    sheet_rows = sheet.iter_rows()
    numbered: Iterator[Row] = enumerate(map(spreadsheet_unescape_row, sheet_rows), start=start + 1)
    if kind == "xls":
        numbered = _long_text(numbered, limits)
    header, header_row = _find_header(numbered)
    # The search stops at the header row: the data rows are the sheet's rows after it, read by column.
    sheet_source = SheetSource(
        rows=sheet_rows,
        first_number=header_row + 1,
        header=header,
        align=lambda rows: align_rows(rows, header, counted=False),
        kinds=(ShiftedCells, RaggedCells),
        max_cell_chars=limits.max_cell_chars if kind == "xls" else None,
    )
    yield Table(
        header=header,
        header_row=header_row,
        batches=lambda size: sheet_batches(sheet_source, size),
        estimated_rows=max(0, start + sheet.height - header_row),
    )


def _count_table_rows(handle: IO[bytes]) -> int:
    rows = 0
    while block := handle.read(1 << 20):
        rows += block.lower().count(b"<tr")
    handle.seek(0)
    return rows


@contextmanager
def _html_table(handle: IO[bytes], limits: UploadLimits) -> Iterator[Table]:
    """An HTML table saved as .xls (e-PPGBM's download), its rows numbered as Excel shows them."""
    uploads.check_size(uploads.source_size(handle), limits)
    estimate = _count_table_rows(handle)
    rows_read = map(spreadsheet_unescape_row, html_rows(handle, limits))
    numbered: Iterator[Row] = enumerate(rows_read, start=1)
    header, header_row = _find_header(numbered)
    rows = align_rows((row for row in numbered if not _is_blank(row[1])), header, counted=True)
    yield _rows_table(header, header_row, rows, max(0, estimate - header_row))


def _workbook_kind(handle: IO[bytes], file_name: str) -> str:
    """xlsx, xls or html from the first bytes of a workbook upload (its extension may be either)."""
    head = handle.read(1 << 12)
    handle.seek(0)
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if uploads_xls.is_ole2(head):
        return "xls"
    if looks_like_html(head):
        return "html"
    if extension(file_name) == ".xlsx":
        return "xlsx"  # refused by its checks with the .xlsx message
    raise UnreadableFile(UNREADABLE, {"kind": "Excel (.xls)"})


@contextmanager
def open_table(
    source: str | os.PathLike[str] | IO[Any], file_name: str, limits: UploadLimits | None = None
) -> Iterator[Table]:
    """The table of a .csv/.xls/.xlsx register; UnreadableFile when it is none of them, empty, has no
    header or exceeds a limit (default: UploadLimits(); the rows are checked as they are read)."""
    limits = limits or UploadLimits()
    if extension(file_name) not in EXTENSIONS:
        raise UnreadableFile(UNSUPPORTED)
    if extension(file_name) == ".csv":
        with _csv_table(source, limits) as table:
            yield table
        return
    handle, owned = _binary(source)
    try:
        uploads.check_size(uploads.source_size(handle), limits)
        kind = _workbook_kind(handle, file_name)
        opener = _html_table(handle, limits) if kind == "html" else _sheet_table(handle, limits, kind=kind)
        with opener as table:
            yield table
    finally:
        if owned:
            handle.close()
