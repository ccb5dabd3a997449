"""PostgreSQL bulk transfer, shared by the registry import, the demo and the reports: COPY in, numpy out.

Writing: `COPY ... FROM STDIN (FORMAT csv)` data built by Arrow's CSV writer from the rows' columns,
with no Python call per value (psycopg's `write_row` makes one and a type dispatch per value), sent to
the server in one `write`; numpy columns of the reports go as binary COPY (`copy_binary`).

Reading: the rows of a query as one numpy array per column, from a single binary value (see
`fetch_columns`), with a row-by-row fallback on SQLite. Domain queries stay in their apps; this module
knows no model.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.csv as pa_csv
from django.db import connection
from psycopg.copy import LibpqWriter
from psycopg.pq import ExecStatus
from psycopg.waiting import Wait

# CSV COPY: the columns as one Arrow table written by Arrow's CSV writer (C++), no Python call per value.
# Text is always quoted and NULL never is, so PostgreSQL tells an empty text from a NULL.
CSV = "(FORMAT csv)"


def _csv_cell(value: Any) -> Any:
    """A value of a column Arrow cannot type as a whole (Decimal next to float...), as COPY CSV text."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _arrow_column(values: Sequence[Any] | np.ndarray) -> pa.Array:
    if isinstance(values, np.ndarray):
        return pa.array(values, from_pandas=True)  # NaN of a float array as NULL
    first = values[0]
    if first is not None and type(first) is not str and values.count(first) == len(values):
        # A constant (the job, the time stamp, a flag): formatted once; quoted text is still no NULL.
        return pa.array([_csv_cell(first)] * len(values), type=pa.string())
    try:
        column = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return pa.array([_csv_cell(value) for value in values], type=pa.string())
    if pa.types.is_null(column.type):
        return column.cast(pa.string())
    return column


def csv_data(columns: Sequence[Sequence[Any] | np.ndarray]) -> bytes:
    """The COPY ... (FORMAT csv) data of rows given as columns of equal length: None and NaN as NULL."""
    if not columns or not len(columns[0]):
        return b""
    table = pa.Table.from_arrays(
        [_arrow_column(c) for c in columns], names=[f"c{i}" for i in range(len(columns))]
    )
    sink = io.BytesIO()
    pa_csv.write_csv(
        table, sink, write_options=pa_csv.WriteOptions(include_header=False, quoting_style="needed")
    )
    return sink.getvalue()


def copy_rows(table: str, names: Sequence[str], columns: Sequence[Sequence[Any] | np.ndarray]) -> None:
    """Insert rows given as columns (in the order of `names`) into `table` with one COPY.

    Runs on Django's default connection, inside the caller's transaction; PostgreSQL only.
    """
    data = csv_data(columns)
    if not data:
        return
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN {CSV}") as copy,
    ):
        copy.write(data)


# A COPY whose result is collected later ------------------------------------------------------------------


def _end_sent(pgconn: Any) -> Any:
    """psycopg generator: send CopyDone and flush it, without reading the COPY's result."""
    while pgconn.put_copy_end(None) == 0:
        while not (yield Wait.W):
            continue
    while pgconn.flush() != 0:
        while not (yield Wait.W):
            continue


def _results(pgconn: Any) -> Any:
    """psycopg generator: every result up to the server's ReadyForQuery."""
    results: list[Any] = []
    while True:
        pgconn.consume_input()
        while pgconn.is_busy():
            while not (yield Wait.R):
                continue
            pgconn.consume_input()
        result = pgconn.get_result()
        if result is None:
            return results
        results.append(result)


class _EndNotWaited(LibpqWriter):
    """psycopg's COPY writer, except that the end of the data is sent and not waited for."""

    def finish(self, exc: BaseException | None = None) -> None:
        if exc is not None:
            super().finish(exc)
        else:
            self.connection.wait(_end_sent(self._pgconn))


class SentCopy:
    """A COPY ... FROM STDIN whose data and end are sent, its result not yet read.

    The server goes on with the rows while the caller builds its next statement's data; `wait()` reads
    the result (raising the COPY's error, such as a check or unique violation, as psycopg's) and must
    come before the connection's next statement: libpq refuses a command while one is in progress."""

    def __init__(self, cursor: Any, statement: str, data: bytes) -> None:
        self._connection = cursor.connection
        with cursor.copy(statement, writer=_EndNotWaited(cursor)) as copy:
            copy.write(data)

    def wait(self) -> None:
        raw = self._connection
        with raw.lock:
            results = raw.wait(_results(raw.pgconn))
        for result in results:
            if result.status != ExecStatus.COMMAND_OK:
                raise psycopg.errors.error_from_result(result, encoding=raw.info.encoding)


# Binary COPY: numpy columns written as PostgreSQL's own binary values, no text formatting on either
# side. Each kind is the column's exact type (binary COPY does not cast): value type and its numpy form.
BINARY_KINDS = {
    "int8": ">i8",
    "int4": ">i4",
    "float8": ">f8",
    "date": ">i4",  # given as day numbers (days since 1970-01-01), sent as days since 2000-01-01
    "timestamptz": ">i8",  # given as microseconds since 1970-01-01 UTC, sent since 2000-01-01
    "text": None,  # a numpy array of str with few distinct values (a level, a kind)
}
_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") * 2
_PG_EPOCH_DAYS = 10957  # 2000-01-01 as a day number
_PG_EPOCH_MICROSECONDS = _PG_EPOCH_DAYS * 86_400 * 1_000_000


@dataclass(frozen=True)
class BinaryColumn:
    """One column of `copy_binary`: its name, kind (BINARY_KINDS), values and where they are NULL."""

    name: str
    kind: str
    values: np.ndarray
    null: np.ndarray | None = None  # bool, True where NULL; None: no NULL


def copy_binary(table: str, columns: Sequence[BinaryColumn]) -> None:
    """Insert rows given as numpy columns into `table` with one binary COPY; PostgreSQL only.

    A row's bytes depend on its NULLs and text values only, so the rows are grouped by those (a
    summary table has a handful of such layouts) and each group is one numpy record array whose
    bytes are the COPY tuples as they are: no Python call per row or per value.
    """
    n = len(columns[0].values) if columns else 0
    if not n:
        return
    layout = np.zeros(n, dtype=np.int64)
    texts: dict[str, tuple[list[bytes], np.ndarray]] = {}
    for column in columns:
        if column.kind == "text":
            distinct, code = np.unique(column.values, return_inverse=True)
            texts[column.name] = ([str(v).encode() for v in distinct], code.reshape(-1))
            layout = layout * len(distinct) + code.reshape(-1)
        if column.null is not None:
            layout = layout * 2 + column.null.astype(np.int64)
    order = np.argsort(layout, kind="stable")
    starts = np.flatnonzero(np.r_[True, layout[order][1:] != layout[order][:-1]])
    parts = [_BINARY_HEADER]
    for start, end in zip(starts.tolist(), [*starts[1:].tolist(), n], strict=True):
        rows = order[start:end]
        first = rows[0]
        fields: list[tuple[str, str]] = [("count", ">i2")]
        values: dict[str, Any] = {"count": len(columns)}
        for i, column in enumerate(columns):
            fields.append((f"n{i}", ">i4"))
            if column.null is not None and column.null[first]:
                values[f"n{i}"] = -1
                continue
            dtype = BINARY_KINDS[column.kind]
            if dtype is None:  # text: its bytes, of the length the value has
                encoded = texts[column.name][0][texts[column.name][1][first]]
                fields.append((f"v{i}", f"S{len(encoded)}"))
                values[f"n{i}"], values[f"v{i}"] = len(encoded), encoded
                continue
            value = column.values[rows]
            if column.kind == "date":
                value = value - _PG_EPOCH_DAYS
            elif column.kind == "timestamptz":
                value = value - _PG_EPOCH_MICROSECONDS
            fields.append((f"v{i}", dtype))
            values[f"n{i}"], values[f"v{i}"] = np.dtype(dtype).itemsize, value
        record = np.empty(len(rows), dtype=np.dtype(fields))
        for name, value in values.items():
            record[name] = value
        parts.append(record.tobytes())
    parts.append(b"\xff\xff")
    names = ", ".join(column.name for column in columns)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)") as copy,
    ):
        copy.write(b"".join(parts))


def microseconds(moment: datetime.datetime) -> int:
    """Microseconds since 1970-01-01 UTC of an aware datetime (a `timestamptz` column's value)."""
    return (moment - datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)) // datetime.timedelta(microseconds=1)


# Days as integers: dates through numpy cost a Python object each, day numbers cost nothing.
EPOCH = datetime.date(1970, 1, 1)


def day_number(day: datetime.date) -> int:
    """Days since 1970-01-01, the unit of `day_sql` columns."""
    return (day - EPOCH).days


def day_of(number: int) -> datetime.date:
    """The date of a day number (inverse of `day_number`)."""
    return EPOCH + datetime.timedelta(days=int(number))


def day_sql(column: str) -> str:
    """SQL for a date column as days since 1970-01-01 (cast it with kind "i4")."""
    if connection.vendor == "postgresql":
        return f"({column} - DATE '1970-01-01')"
    return f"CAST(julianday({column}) - 2440587.5 AS INTEGER)"


# Column kinds of fetch_columns: SQL type to cast to, PostgreSQL binary send function, numpy types.
KINDS = {
    "i8": ("bigint", "int8send", ">i8", np.int64),
    "i4": ("integer", "int4send", ">i4", np.int64),
    "f8": ("double precision", "float8send", ">f8", np.float64),
}


def cast(expression: str, kind: str, *, default: str | None = None) -> str:
    """`expression` cast to the kind's type, NULL replaced by `default` (a SQL literal)."""
    if default is not None:
        if kind == "f8" and default == "NaN":
            if connection.vendor != "postgresql":
                return expression  # SQLite: NULL becomes NaN in numpy
            default = "'NaN'::double precision"
        expression = f"COALESCE({expression}, {default})"
    return f"CAST({expression} AS {KINDS[kind][0]})"


def fetch_columns(sql: str, params: Sequence[Any], kinds: Sequence[str]) -> list[np.ndarray]:
    """The rows of `sql` as one numpy array per column, in no particular order (sort in numpy).

    On PostgreSQL the result comes back as ONE bytea, the big-endian binary values of every row
    concatenated by `string_agg(int8send(...) || ...)`, which numpy reads in place: a million rows in a
    fraction of a second, where fetching them as rows (tuples, or COPY messages) costs a Python call
    per row. The query must return no NULL (COALESCE to -1 or NaN) and each column must have the
    kind's type (`cast` it).
    """
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            rows = cursor.fetchall()
        table = np.array(rows, dtype=np.float64).reshape(-1, len(kinds))
        return [table[:, i].astype(KINDS[kind][3]) for i, kind in enumerate(kinds)]
    names = [f"c{i}" for i in range(len(kinds))]
    # One aggregate over each row's values concatenated: the columns cannot come back out of step.
    record = " || ".join(f"{KINDS[kind][1]}(q.{name})" for kind, name in zip(kinds, names, strict=True))
    wrapped = f"SELECT string_agg({record}, '') FROM ({sql}) AS q({', '.join(names)})"
    row_type = np.dtype([(name, KINDS[kind][2]) for kind, name in zip(kinds, names, strict=True)])
    connection.ensure_connection()
    # A server-side-binding cursor: Django's client-side cursors cannot return binary results.
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(wrapped, list(params), binary=True)
        row = cursor.fetchone()
    blob = row[0] if row else None
    rows = np.frombuffer(blob or b"", dtype=row_type)
    return [rows[name].astype(KINDS[kind][3]) for kind, name in zip(kinds, names, strict=True)]
