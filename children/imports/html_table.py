"""Rows of an HTML table saved as .xls, read as a stream under the upload limits.

e-PPGBM serves its "Daftar Anak Berdasarkan Status Gizi" as an HTML page with the extension .xls; Excel
opens it as a sheet, one row per <tr> (and per line of text outside the table, such as a title). This
reader yields the same rows: the cells of each <tr> (<td> and <th>, a colspan repeated as blank cells,
whitespace collapsed as a browser shows it), text outside tables as one-cell rows, nested tables folded
into their cell. The standard library's parser is fed 64 KB at a time; only the rows of one chunk, one
cell and the parser's unfinished tag are ever held, each bounded by the limits. Pure: no Django.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import IO

from convergence import uploads
from convergence.uploads import UploadLimits, UploadRefused


def gettext_noop(message: str) -> str:
    return message


UNFINISHED_TAG = gettext_noop(
    "Berkas HTML berisi tag yang tidak ditutup sepanjang lebih dari %(found)s karakter."
)

CHUNK_CHARS = 1 << 16
# Tags after which Excel starts a new row for the text outside a table.
_BLOCK_TAGS = frozenset({"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "br", "caption", "title", "li"})
_SKIPPED_TAGS = frozenset({"script", "style", "head"})
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]{1,40})""", re.IGNORECASE)


def looks_like_html(head: bytes) -> bool:
    """True when the first bytes (BOM and whitespace aside) open an HTML document or table."""
    text = head.lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n").lower().replace(b"\x00", b"")
    if not text.startswith(b"<"):
        return False
    return any(mark in text[:4096] for mark in (b"<html", b"<!doctype html", b"<table", b"<meta", b"<tr"))


def html_encoding(head: bytes) -> str:
    """A BOM, else the page's <meta charset>, else UTF-8 when valid, else Windows-1252."""
    found = uploads.text_encoding(head)
    if found in ("utf-8-sig", "utf-16", "utf-32", "utf-16-le", "utf-16-be"):
        return found
    declared = _CHARSET.search(head)
    if declared is not None:
        try:
            return codecs.lookup(declared[1].decode("ascii")).name
        except LookupError:
            pass  # a charset Python does not know: fall back to the bytes' own evidence
    return found


class _TableRows(HTMLParser):
    def __init__(self, limits: UploadLimits) -> None:
        super().__init__(convert_charrefs=True)
        self.limits = limits
        self.done: list[list[str]] = []  # rows completed since the last chunk
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.cell_chars = 0
        self.span = 1
        self.loose: list[str] = []  # text outside any table, up to the next block
        self.loose_chars = 0
        self.depth = 0  # <table> nesting
        self.skipping = 0  # inside <script>, <style>, <head>
        # Whitespace may be collapsed away: the raw text of a cell is bounded more loosely.
        self.raw_cap = 4 * limits.max_cell_chars + 4096

    # Rows and cells -----------------------------------------------------------------------------------

    def _text(self, pieces: list[str]) -> str:
        text = " ".join("".join(pieces).split())
        if len(text) > self.limits.max_cell_chars:
            raise UploadRefused(
                uploads.CELL_TOO_LONG, {"found": len(text), "limit": self.limits.max_cell_chars}
            )
        return text

    def _squeeze(self, pieces: list[str]) -> str:
        """The text so far with its whitespace collapsed (refused when that is over the limit)."""
        raw = "".join(pieces)
        return self._text([raw]) + (" " if raw[-1:].isspace() else "")

    def _end_cell(self) -> None:
        if self.cell is None or self.row is None:
            return
        self.row.append(self._text(self.cell))
        if len(self.row) + self.span - 1 > self.limits.max_columns:
            found = len(self.row) + self.span - 1
            raise UploadRefused(uploads.TOO_MANY_COLUMNS, {"found": found, "limit": self.limits.max_columns})
        self.row.extend([""] * (self.span - 1))
        self.cell, self.cell_chars, self.span = None, 0, 1

    def _end_row(self) -> None:
        self._end_cell()
        if self.row is not None:
            self.done.append(self.row)
            self.row = None

    def _end_loose(self) -> None:
        if self.loose:
            text = self._text(self.loose)
            if text:
                self.done.append([text])
        self.loose, self.loose_chars = [], 0

    # Parser callbacks ---------------------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self.skipping += 1
            return
        if tag == "table":
            self.depth += 1
            if self.depth == 1:
                self._end_loose()
                return
        if self.depth == 0:
            if tag in _BLOCK_TAGS:
                self._end_loose()
            return
        if self.depth > 1:
            if tag in ("td", "th", "tr", "br"):
                self.handle_data(" ")  # a nested table's cells stay apart as words
            return
        if tag == "tr":
            self._end_row()
            self.row = []
        elif tag in ("td", "th"):
            self._end_cell()
            if self.row is None:
                self.row = []
            self.cell = []
            span = (dict(attrs).get("colspan") or "1").strip()
            self.span = max(1, int(span[:12])) if span.isdigit() else 1
        elif tag == "br":
            self.handle_data(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _SKIPPED_TAGS:  # <br/>, <img/>: no content to skip
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self.skipping = max(0, self.skipping - 1)
            return
        if tag == "table":
            if self.depth == 1:
                self._end_row()
            self.depth = max(0, self.depth - 1)
        elif self.depth == 0:
            if tag in _BLOCK_TAGS:
                self._end_loose()
        elif self.depth == 1:
            if tag in ("td", "th"):
                self._end_cell()
            elif tag == "tr":
                self._end_row()

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if self.cell is not None:
            self.cell.append(data)
            self.cell_chars += len(data)
            if self.cell_chars > self.raw_cap:
                self.cell = [self._squeeze(self.cell)]
                self.cell_chars = len(self.cell[0])
        elif self.depth == 0 and (self.loose or data.strip()):
            self.loose.append(data)
            self.loose_chars += len(data)
            if self.loose_chars > self.raw_cap:
                self.loose = [self._squeeze(self.loose)]
                self.loose_chars = len(self.loose[0])

    def finish(self) -> None:
        self.close()
        self._end_row()
        self._end_loose()


def html_rows(handle: IO[bytes], limits: UploadLimits) -> Iterator[list[str]]:
    """The rows of an HTML page as Excel shows them; UploadRefused over a limit (size checked first)."""
    uploads.check_size(uploads.source_size(handle), limits)
    handle.seek(0)
    head = handle.read(1 << 16)
    handle.seek(0)
    text = io.TextIOWrapper(handle, encoding=html_encoding(head), errors="replace", newline="")
    parser = _TableRows(limits)
    # An unclosed tag or comment stays in the parser's buffer and is scanned again at every chunk:
    # bounded, so a hostile page cannot make the parse quadratic.
    buffer_cap = 4 * limits.max_cell_chars + 4 * CHUNK_CHARS
    number = 0
    try:
        while chunk := text.read(CHUNK_CHARS):
            parser.feed(chunk)
            if len(parser.rawdata) > buffer_cap:
                raise UploadRefused(UNFINISHED_TAG, {"found": buffer_cap})
            for cells in parser.done:
                number += 1
                uploads.check_row(number, cells, limits)
                yield cells
            parser.done.clear()
        parser.finish()
        for cells in parser.done:
            number += 1
            uploads.check_row(number, cells, limits)
            yield cells
    finally:
        text.detach()
