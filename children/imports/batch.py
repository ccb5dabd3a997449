"""A batch of a register's data rows held column by column, and the CSV reader that makes them in C.

A `Batch` is what the read step hands to the parse step: the rows' numbers (as a spreadsheet shows
them) and one column per header cell, each a pyarrow string array (a CSV, or a sheet whose column is
all text) or a list of cells (numbers and dates from .xlsx, rows lined up in Python). Rows that
readers.align_rows marked (a missing Total Pengukuran cell put back, a ragged row) keep their mark.

`csv_batches` parses the lines of a CSV with pyarrow's reader, a batch at a time: each line is one
record there, so the rows' numbers are the lines'. A batch whose lines hold a quoted newline, and every
line whose cell count differs from the header row's (a blank line, a ragged or shifted row), is read by
Python's csv module as before and lined up by align_rows; both read RFC 4180 quoting with the delimiter
the reader sniffed. Pure: no Django.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from children.imports.layout import HeaderMatch
from convergence import uploads
from convergence.spreadsheets import ESCAPE, spreadsheet_unescape
from convergence.uploads import UploadLimits
from convergence.uploads import UploadRefused as UnreadableFile

Column: TypeAlias = "pa.Array | list[Any]"
Row = tuple[int, Sequence[Any]]


@dataclass
class Batch:
    """Data rows as columns: `numbers[k]` is row k's number, `columns[i][k]` its cell under header i.

    `marks`: row position -> (kind, cells found) of the rows align_rows marked (ShiftedCells,
    RaggedCells); `cells[k]` of such a row are its cells as read (a ragged row's may be any count)."""

    numbers: list[int]
    columns: list[Column]
    marks: dict[int, tuple[type, int]] = field(default_factory=dict)
    ragged: dict[int, list[Any]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.numbers)

    def cells(self, k: int) -> list[Any]:
        """Row k's cells as Python values (for the row-by-row check of the rows that need it)."""
        if k in self.ragged:
            return self.ragged[k]
        return [column[k].as_py() if isinstance(column, pa.Array) else column[k] for column in self.columns]

    def column(self, index: int) -> Column:
        """The column under header `index`; a missing one is a column of None."""
        if index < len(self.columns):
            return self.columns[index]
        return [None] * len(self.numbers)

    def taken(self, indices: Sequence[int]) -> list[list[Any]]:
        """The columns of rows `indices` as Python lists (raw values of the rows kept with them)."""
        at = np.asarray(indices, dtype=np.int64)
        out = []
        for column in self.columns:
            if isinstance(column, pa.Array):
                out.append(column.take(pa.array(at)).to_pylist())
            else:
                out.append([column[i] for i in indices])
        return out

    def select(self, keep: np.ndarray) -> Batch:
        """The rows where `keep` (bool) is true, marks carried over."""
        if keep.all():
            return self
        positions = np.flatnonzero(keep)
        new_at = {int(old): new for new, old in enumerate(positions.tolist())}
        columns: list[Column] = [
            column.filter(pa.array(keep)) if isinstance(column, pa.Array) else [column[i] for i in positions]
            for column in self.columns
        ]
        return Batch(
            numbers=[self.numbers[i] for i in positions],
            columns=columns,
            marks={new_at[k]: mark for k, mark in self.marks.items() if k in new_at},
            ragged={new_at[k]: cells for k, cells in self.ragged.items() if k in new_at},
        )


def as_arrow(cells: Sequence[Any]) -> Column:
    """A column as a pyarrow string array when every cell is text, else a list of the cells."""
    if set(map(type, cells)) == {str}:
        return pa.array(cells, type=pa.string())
    return list(cells)


def rows_batch(rows: list[Row], width: int, kinds: tuple[type, ...]) -> Batch:
    """A batch from rows of cells (a sheet, an HTML table, the Python path of a CSV); `kinds` are the
    mark classes of readers.align_rows."""
    marks: dict[int, tuple[type, int]] = {}
    ragged: dict[int, list[Any]] = {}
    for k, (_number, cells) in enumerate(rows):
        if type(cells) in kinds:
            marks[k] = (type(cells), cells.found)  # type: ignore[attr-defined]
            ragged[k] = list(cells)
    table = [cells for _number, cells in rows]
    if any(len(cells) != width for cells in table):  # a sheet's rows are as wide as the sheet
        table = [list(cells[:width]) + [None] * (width - len(cells)) for cells in table]
    columns: list[Column] = [as_arrow(column) for column in zip(*table, strict=True)]
    if not table:
        columns = [[] for _ in range(width)]
    return Batch(numbers=[number for number, _cells in rows], columns=columns, marks=marks, ragged=ragged)


def row_batches(rows: Iterator[Row], size: int, width: int, kinds: tuple[type, ...]) -> Iterator[Batch]:
    while chunk := list(islice(rows, size)):
        yield rows_batch(chunk, width, kinds)


# CSV through pyarrow ---------------------------------------------------------------------------------


def _unescaped(column: pa.Array) -> pa.Array:
    """Cells our own exports escaped against formula injection, read back as written (rare: a scan in C
    first)."""
    if not pc.any(pc.starts_with(column, ESCAPE)).as_py():
        return column
    return pa.array([spreadsheet_unescape(cell) for cell in column.to_pylist()], type=pa.string())


@dataclass
class CsvSource:
    """What csv_batches needs of an open CSV: its lines after the header row and how to read them."""

    lines: Iterator[str]
    first_number: int  # the number of the first line of `lines`
    delimiter: str
    header: HeaderMatch
    limits: UploadLimits
    # Python's path for the lines pyarrow's reader leaves: (rows of (number, cells)) -> lined-up rows.
    align: Callable[[Iterator[Row]], Iterator[Row]]
    kinds: tuple[type, ...]


def _csv_cells(line: str, number: int, source: CsvSource) -> list[Any]:
    cells = next(csv.reader([line], delimiter=source.delimiter), [])
    uploads.check_row(number, cells, source.limits)
    return [spreadsheet_unescape(cell) for cell in cells]


def _is_blank(cells: Sequence[Any]) -> bool:
    return not "".join(cells).strip()


def _python_batch(lines: list[str], first: int, source: CsvSource) -> tuple[Batch, int]:
    """A batch of lines holding a quoted newline, read record by record; (batch, records read)."""
    records = list(csv.reader(lines, delimiter=source.delimiter))
    rows: list[Row] = []
    for number, cells in enumerate(records, start=first):
        uploads.check_row(number, cells, source.limits)
        if not _is_blank(cells):
            rows.append((number, [spreadsheet_unescape(cell) for cell in cells]))
    return rows_batch(list(source.align(iter(rows))), len(source.header.headers), source.kinds), len(records)


def _arrow_table(lines: list[str], source: CsvSource, width: int) -> tuple[pa.Table, list[int]]:
    """The lines parsed by pyarrow (every line of `width` cells) and the 1-based lines it left."""
    left: list[int] = []

    def leave(row: Any) -> str:
        left.append(row.number)
        return "skip"

    names = [f"c{i}" for i in range(width)]
    data = "".join(lines).encode()
    table = pa_csv.read_csv(
        io.BytesIO(data),
        read_options=pa_csv.ReadOptions(column_names=names, use_threads=False, block_size=len(data) + 1),
        parse_options=pa_csv.ParseOptions(
            delimiter=source.delimiter, ignore_empty_lines=False, invalid_row_handler=leave
        ),
        convert_options=pa_csv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    return table, left


def _filled(column: pa.Array) -> pa.Array:
    return pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(column)), 0)


def _to_align(table: pa.Table, header: HeaderMatch) -> np.ndarray:
    """Rows align_rows may change (a blank last column with text under Total Pengukuran): bool."""
    gap = header.positions.get("total_measurements")
    width = len(header.headers)
    if gap is None or gap >= width - 1 or not table.num_rows:
        return np.zeros(table.num_rows, dtype=bool)
    last_blank = pc.invert(_filled(table.column(width - 1).combine_chunks()))
    found = pc.and_(last_blank, _filled(table.column(gap).combine_chunks()))
    return found.to_numpy(zero_copy_only=False)


def _arrow_batch(lines: list[str], first: int, source: CsvSource) -> Batch:
    header, limits = source.header, source.limits
    if first + len(lines) - 1 > limits.max_rows:
        uploads.check_row(max(first, limits.max_rows + 1), [], limits)  # raises "too many rows"
    table, left = _arrow_table(lines, source, max(header.cells, 1))
    longest = max((pc.max(pc.utf8_length(c)).as_py() or 0 for c in table.columns), default=0)
    if longest > limits.max_cell_chars:
        raise UnreadableFile(uploads.CELL_TOO_LONG, {"found": longest, "limit": limits.max_cell_chars})
    width = len(header.headers)
    left_set = set(left)
    numbers = [first + i for i in range(len(lines)) if i + 1 not in left_set]
    keep = np.zeros(len(numbers), dtype=bool)
    for column in table.columns:
        keep |= _filled(column.combine_chunks()).to_numpy(zero_copy_only=False)
    to_align = _to_align(table, header) & keep
    columns: list[Column] = [_unescaped(table.column(i).combine_chunks()) for i in range(width)]
    batch = Batch(numbers=numbers, columns=columns).select(keep & ~to_align)
    if not left and not to_align.any():
        return batch
    # Lines pyarrow left (blank, ragged or shifted rows) and rows align_rows may change: Python's
    # path, then merged with the others in row order.
    odd: list[Row] = [(first + i - 1, _csv_cells(lines[i - 1], first + i - 1, source)) for i in left]
    whole = Batch(numbers=numbers, columns=columns)
    odd += [(numbers[k], whole.cells(k)) for k in np.flatnonzero(to_align).tolist()]
    aligned = list(source.align(iter(sorted(row for row in odd if not _is_blank_cells(row[1])))))
    rows = [(number, batch.cells(k)) for k, number in enumerate(batch.numbers)]
    return rows_batch(sorted([*rows, *aligned], key=lambda row: row[0]), width, source.kinds)


def _is_blank_cells(cells: Sequence[Any]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def csv_batches(source: CsvSource, size: int) -> Iterator[Batch]:
    """The data rows of a CSV in batches of up to `size` lines (blank lines dropped)."""
    number = source.first_number
    lines_in = source.lines
    while lines := list(islice(lines_in, size)):
        joined = "".join(lines)
        if '"' in joined and any(line.count('"') % 2 for line in lines):
            # A quoted newline joins lines into one record: read on until the quotes balance, then
            # the batch by Python (whose numbers are records, as a spreadsheet shows them).
            while joined.count('"') % 2 and (more := next(lines_in, None)) is not None:
                lines.append(more)
                joined += more
            batch, records = _python_batch(lines, number, source)
            number += records
        else:
            batch = _arrow_batch(lines, number, source)
            number += len(lines)
        if len(batch):
            yield batch


# Sheets through python-calamine ---------------------------------------------------------------------------


def _cells_filled(column: Column) -> np.ndarray:
    """bool per row: the cell holds something (not None, not blank text)."""
    if isinstance(column, pa.Array):
        return _filled(column).to_numpy(zero_copy_only=False)
    return np.fromiter(
        (not (cell is None or (type(cell) is str and not cell.strip())) for cell in column),
        dtype=bool,
        count=len(column),
    )


def _column_unescaped(column: Column) -> Column:
    if isinstance(column, pa.Array):
        return _unescaped(column)
    return [spreadsheet_unescape(cell) for cell in column]


def _longest_text(column: Column) -> int:
    if isinstance(column, pa.Array):
        return pc.max(pc.utf8_length(column)).as_py() or 0
    return max((len(cell) for cell in column if type(cell) is str), default=0)


@dataclass
class SheetSource:
    """What sheet_batches needs of an open sheet: its rows after the header row and how to read them."""

    rows: Iterator[Sequence[Any]]  # python-calamine's rows, each as wide as the sheet
    first_number: int  # the number of the first of `rows`, as the spreadsheet shows it
    header: HeaderMatch
    # Python's path for the rows align_rows may change: (rows of (number, cells)) -> lined-up rows.
    align: Callable[[Iterator[Row]], Iterator[Row]]
    kinds: tuple[type, ...]
    max_cell_chars: int | None = None  # a binary .xls holds up to 65,535 characters a cell: checked


def sheet_batches(source: SheetSource, size: int) -> Iterator[Batch]:
    """The data rows of a sheet in batches of up to `size` rows, made column by column: blank rows
    dropped, cells our exports escaped read back, and only the rows align_rows may change (a blank last
    column with text under Total Pengukuran) lined up by it in Python."""
    width = len(source.header.headers)
    number = source.first_number
    while chunk := list(islice(source.rows, size)):
        numbers = list(range(number, number + len(chunk)))
        number += len(chunk)
        every = [as_arrow(column) for column in zip(*chunk, strict=True)]
        every += [[None] * len(chunk) for _ in range(width - len(every))]
        if source.max_cell_chars is not None:
            longest = max(map(_longest_text, every), default=0)
            if longest > source.max_cell_chars:
                raise UnreadableFile(
                    uploads.CELL_TOO_LONG, {"found": longest, "limit": source.max_cell_chars}
                )
        filled = [_cells_filled(column) for column in every]
        keep = np.logical_or.reduce(filled) if filled else np.zeros(len(chunk), dtype=bool)
        columns = [_column_unescaped(column) for column in every[:width]]
        to_align = np.zeros(len(chunk), dtype=bool)
        gap = source.header.positions.get("total_measurements")
        if gap is not None and gap < width - 1:
            beyond = np.logical_or.reduce(filled[width:]) if len(filled) > width else to_align
            to_align = keep & filled[gap] & ~filled[width - 1] & ~beyond
        whole = Batch(numbers=numbers, columns=columns)
        batch = whole.select(keep & ~to_align)
        if to_align.any():
            # With the cells past the header's last title, which align_rows checks are blank.
            sheet_wide = Batch(numbers=numbers, columns=[*columns, *every[width:]])
            odd = [(numbers[k], sheet_wide.cells(k)) for k in np.flatnonzero(to_align).tolist()]
            rows = [(n, batch.cells(k)) for k, n in enumerate(batch.numbers)]
            aligned = list(source.align(iter(odd)))
            batch = rows_batch(sorted([*rows, *aligned], key=lambda row: row[0]), width, source.kinds)
        if len(batch):
            yield batch
