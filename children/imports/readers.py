"""Streaming readers of .csv and .xlsx registers: header row detection, then rows in batches.

A CSV is read with the csv module (delimiter sniffed between "," and ";", UTF-8 with or without BOM,
falling back to Latin-1 for files saved by old Excel versions); an .xlsx with python-calamine (first
sheet). Neither holds more than one batch of parsed rows in Python at a time. Cells our own exports
escaped against formula injection are read back as written (convergence.spreadsheets). Pure: no Django.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import IO, Any

from children.imports.layout import MISSING_COLUMNS, HeaderMatch, looks_like_header, match_header
from convergence.spreadsheets import spreadsheet_unescape_row


def gettext_noop(message: str) -> str:
    return message


EXTENSIONS = (".csv", ".xlsx")
# Title rows (district name, period) sometimes sit above the table; the header is looked for this far.
HEADER_SEARCH_ROWS = 20

UNSUPPORTED = gettext_noop("Hanya berkas .csv atau .xlsx yang dapat diimpor")
EMPTY = gettext_noop("Berkas kosong")
UNREADABLE = gettext_noop("Berkas tidak dapat dibaca sebagai %(kind)s")


class UnreadableFile(Exception):
    """The file cannot be imported at all; `message` is a gettext_noop msgid, `params` its values."""

    def __init__(self, message: str, params: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.params = params or {}


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


@contextmanager
def _csv_table(source: str | os.PathLike[str] | IO[Any]) -> Iterator[Table]:
    handle, owned = _binary(source)
    try:
        head = handle.read(1 << 16)
        if isinstance(head, str):  # a text stream (tests, StringIO)
            handle.seek(0)
            text: IO[str] = handle  # type: ignore[assignment]
            lines = head.count("\n")
        else:
            if not head.strip():
                raise UnreadableFile(EMPTY)
            try:
                # A multi-byte character may be cut at the block end: decode incrementally.
                codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)
                encoding = "utf-8-sig"
            except UnicodeDecodeError:
                encoding = "latin-1"
            handle.seek(0)
            lines = _count_lines(handle) if handle.seekable() else 0
            text = io.TextIOWrapper(handle, encoding=encoding, errors="replace", newline="")
        sample = head if isinstance(head, str) else head.decode("latin-1")
        first_line = sample.splitlines()[0] if sample.strip() else ""
        delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
        if "\t" in first_line and first_line.count("\t") > first_line.count(delimiter):
            delimiter = "\t"
        reader = csv.reader(text, delimiter=delimiter)
        # Our own exports escape text a spreadsheet would run as a formula ("'=..."): read it back as
        # written, so a re-imported export changes nothing.
        numbered: Iterator[Row] = enumerate(map(spreadsheet_unescape_row, reader), start=1)
        header, header_row = _find_header(numbered)
        rows = (row for row in numbered if not _is_blank(row[1]))
        yield Table(
            header=header, header_row=header_row, rows=rows, estimated_rows=max(0, lines - header_row)
        )
    except csv.Error as error:
        raise UnreadableFile(UNREADABLE, {"kind": "CSV"}) from error
    finally:
        if owned:
            handle.close()


@contextmanager
def _xlsx_table(source: str | os.PathLike[str] | IO[Any]) -> Iterator[Table]:
    from python_calamine import CalamineError, CalamineWorkbook

    handle, owned = _binary(source)
    try:
        try:
            workbook = CalamineWorkbook.from_filelike(handle)
            sheet = workbook.get_sheet_by_index(0)
        except (CalamineError, ValueError, OSError) as error:
            raise UnreadableFile(UNREADABLE, {"kind": "Excel (.xlsx)"}) from error
        start = sheet.start[0] if sheet.start else 0
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
def open_table(source: str | os.PathLike[str] | IO[Any], file_name: str) -> Iterator[Table]:
    """The table of a .csv/.xlsx register; UnreadableFile when it is neither, empty or has no header."""
    kind = extension(file_name)
    if kind not in EXTENSIONS:
        raise UnreadableFile(UNSUPPORTED)
    opener = _csv_table if kind == ".csv" else _xlsx_table
    with opener(source) as table:
        yield table
