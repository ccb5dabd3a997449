"""PostgreSQL `COPY ... FROM STDIN` data in text format, built a column at a time. Pure: no Django.

One conversion per column (a C-level map for the common types) and one `str.join` per row beat
psycopg's `write_row` (a Python call and a type dispatch per value) several times over on the bulk
import path; the whole batch then goes to the server in one `write`.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

NULL = "\\N"
_SPECIAL = re.compile(r"[\\\t\n\r]")
_FLOATS = frozenset({float, type(None)})


def _escape(text: str) -> str:
    """A text field: backslash, tab, newline and carriage return written as COPY escapes."""
    if _SPECIAL.search(text) is None:
        return text
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _field(value: Any) -> str:
    if value is None:
        return NULL
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return _escape(value)
    if isinstance(value, float):
        return NULL if value != value else repr(value)
    if isinstance(value, datetime.date):  # and datetime.datetime: ISO 8601 with its offset
        return value.isoformat()
    return str(value)  # int, Decimal


def text_column(values: Sequence[Any] | np.ndarray) -> list[str]:
    """Each value of a column as a COPY text field: None and NaN as NULL, booleans as t/f."""
    if isinstance(values, np.ndarray):
        items = values.tolist()
        if values.dtype.kind != "f":
            return list(map(str, items))
        fields = list(map(repr, items))
        for i in np.flatnonzero(np.isnan(values)).tolist():
            fields[i] = NULL
        return fields
    kinds = set(map(type, values))
    if len(kinds) == 1 and kinds != {str} and values.count(values[0]) == len(values):
        return [_field(values[0])] * len(values)  # a constant: the job, the time stamp, a flag
    if kinds == {str}:
        if _SPECIAL.search("".join(values)) is None:
            return list(values)
        return list(map(_escape, values))
    if kinds == {int}:
        return list(map(str, values))
    if kinds <= _FLOATS:  # parsed measurements: None for a blank cell
        fields = [NULL if value is None else repr(value) for value in values]
        if "nan" in fields:
            fields = [NULL if text == "nan" else text for text in fields]
        return fields
    if kinds == {bool}:
        return ["t" if value else "f" for value in values]
    if kinds == {datetime.date}:
        return list(map(datetime.date.isoformat, values))
    return list(map(_field, values))


def copy_lines(columns: Sequence[Sequence[Any] | np.ndarray]) -> list[str]:
    """The COPY text lines (without their newline) of rows given as columns of equal length."""
    if not columns or not len(columns[0]):
        return []
    fields = [text_column(column) for column in columns]
    return list(map("\t".join, zip(*fields, strict=True)))


def copy_data(columns: Sequence[Sequence[Any] | np.ndarray]) -> bytes:
    """The COPY text data of rows given as columns of equal length (one line per row)."""
    lines = copy_lines(columns)
    return ("\n".join(lines) + "\n").encode() if lines else b""
