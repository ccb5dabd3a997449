"""Limits on uploaded spreadsheets and text files, checked before any parser touches them.

A hostile .xlsx is a ZIP whose members expand a thousandfold, declare less than they hold, or place two
cells a million rows and thousands of columns apart: python-calamine then allocates the whole rectangle
(32 bytes a cell) at once and the process aborts. So an .xlsx is first opened with zipfile here: the
size and compression ratio every member declares, then every member decompressed in 1 MB chunks (never
held whole) to measure what it really holds, its texts checked for length and its worksheets for the
farthest row and column any cell names. Only then may calamine read it. Text (CSV, GeoJSON) is decoded
from its BOM (UTF-8, UTF-16, UTF-32), else as UTF-8 when it is valid, else as Windows-1252, and CSV rows
are read line by line under the same limits on rows, columns and cells.

Pure apart from UploadLimits.from_settings and refusal_text: callers pass the limits in.
"""

from __future__ import annotations

import codecs
import io
import re
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import numpy as np


def gettext_noop(message: str) -> str:
    return message


TOO_LARGE = gettext_noop("Berkas berukuran %(found_bytes)s; batasnya %(limit_bytes)s.")
EMPTY = gettext_noop("Berkas kosong")
NOT_XLSX = gettext_noop("Berkas tidak dapat dibaca sebagai %(kind)s")
TOO_MANY_MEMBERS = gettext_noop("Berkas .xlsx berisi %(found)s bagian; batasnya %(limit)s.")
UNCOMPRESSED_TOO_LARGE = gettext_noop(
    "Isi berkas .xlsx setelah dibuka berukuran %(found_bytes)s; batasnya %(limit_bytes)s."
)
RATIO_TOO_HIGH = gettext_noop(
    "Bagian %(member)s berkas .xlsx memampat %(found)s kali; batasnya %(limit)s kali (bom zip)."
)
SIZE_MISMATCH = gettext_noop(
    "Bagian %(member)s berkas .xlsx berisi lebih banyak data daripada yang tertulis (bom zip)."
)
COMPRESSION_UNSUPPORTED = gettext_noop("Bagian %(member)s berkas .xlsx memakai kompresi yang tidak didukung.")
CELL_WITHOUT_ADDRESS = gettext_noop(
    "Lembar %(member)s berisi sel tanpa alamat (atribut r); simpan ulang dengan Excel."
)
TOO_MANY_ROWS = gettext_noop("Berkas berisi %(found)s baris; batasnya %(limit)s baris.")
TOO_MANY_COLUMNS = gettext_noop("Berkas berisi %(found)s kolom; batasnya %(limit)s kolom.")
SHEET_TOO_LARGE = gettext_noop(
    "Lembar berukuran %(rows)s baris × %(columns)s kolom = %(found)s sel; batasnya %(limit)s sel."
)
CELL_TOO_LONG = gettext_noop("Satu sel berisi %(found)s karakter; batasnya %(limit)s karakter per sel.")
CELL_TOO_LONG_AT_LEAST = gettext_noop(
    "Satu sel berisi lebih dari %(found)s karakter; batasnya %(limit)s karakter per sel."
)
TOO_MANY_ROWS_AT_LEAST = gettext_noop("Berkas berisi lebih dari %(limit)s baris.")
LINE_TOO_LONG = gettext_noop(
    "Baris %(row)s lebih dari %(found)s karakter: melebihi %(columns)s kolom × %(limit)s karakter per sel."
)

# A register workbook has 10-30 parts; zipfile builds an object per member before anything can be
# checked, so the count is read from the archive's end record first (a 50 MB ZIP may list a million).
MAX_XLSX_MEMBERS = 1_000
# Members this small cannot hurt whatever their ratio (styles and empty sheets compress 200:1).
RATIO_FREE_BYTES = 1 << 20
CHUNK_BYTES = 1 << 20
_EOCD = struct.Struct("<4s4H2LH")
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")


class UploadRefused(Exception):
    """An upload exceeds a limit or cannot be read; `message` is a gettext_noop msgid, `params` its values.

    Params whose name ends in `_bytes` are sizes, other ints are counts (see refusal_text).
    """

    def __init__(self, message: str, params: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.params = params or {}


@dataclass(frozen=True)
class UploadLimits:
    max_upload_bytes: int = 50 * 1024 * 1024
    max_uncompressed_bytes: int = 500 * 1024 * 1024
    max_compression_ratio: int = 100
    max_rows: int = 1_000_000
    max_columns: int = 200
    max_cell_chars: int = 10_000
    max_sheet_cells: int = 10_000_000

    @classmethod
    def from_settings(cls) -> UploadLimits:
        from django.conf import settings

        return cls(
            max_upload_bytes=settings.IMPORT_MAX_UPLOAD_BYTES,
            max_uncompressed_bytes=settings.IMPORT_MAX_UNCOMPRESSED_BYTES,
            max_compression_ratio=settings.IMPORT_MAX_COMPRESSION_RATIO,
            max_rows=settings.IMPORT_MAX_ROWS,
            max_columns=settings.IMPORT_MAX_COLUMNS,
            max_cell_chars=settings.IMPORT_MAX_CELL_CHARS,
            max_sheet_cells=settings.IMPORT_MAX_SHEET_CELLS,
        )


def refusal_text(error: UploadRefused) -> str:
    """The refusal in the active language, sizes as "50,0 MB" and counts grouped as "1.000.000"."""
    from django.template.defaultfilters import filesizeformat
    from django.utils.formats import number_format
    from django.utils.translation import gettext

    params = {
        key: filesizeformat(value)
        if key.endswith("_bytes")
        else number_format(value, force_grouping=True)
        if isinstance(value, int)
        else value
        for key, value in error.params.items()
    }
    return gettext(error.message) % params if params else gettext(error.message)


def source_size(handle: IO[bytes]) -> int:
    position = handle.tell()
    size = handle.seek(0, io.SEEK_END)
    handle.seek(position)
    return size


def check_size(size: int, limits: UploadLimits) -> None:
    """The compressed size, before anything reads the file (cheap: the request may call it too)."""
    if size > limits.max_upload_bytes:
        raise UploadRefused(TOO_LARGE, {"found_bytes": size, "limit_bytes": limits.max_upload_bytes})
    if size == 0:
        raise UploadRefused(EMPTY)


# .xlsx ------------------------------------------------------------------------------------------------


def zip_member_count(handle: IO[bytes], size: int) -> int:
    """Entries in the ZIP's end-of-central-directory record (its last 22 bytes plus a comment)."""
    tail_size = min(size, _EOCD.size + 0xFFFF)
    handle.seek(size - tail_size)
    tail = handle.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _EOCD.size:
        raise UploadRefused(NOT_XLSX, {"kind": "Excel (.xlsx)"})
    fields = _EOCD.unpack_from(tail, at)
    # 0xFFFF marks ZIP64, which no spreadsheet under the upload limit needs: counted as too many.
    return fields[4] if fields[4] != 0xFFFF else MAX_XLSX_MEMBERS + 1


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number


# Every spreadsheet writer starts a cell with `<c r="B7"`: the fast path finds every such reference of a
# chunk with numpy (positions of the tag, then its letters and digits gathered column-wise) and takes the
# highest row and column over all of them, in any order, with no object per cell. A chunk with a cell
# written otherwise (a namespace prefix, r after other attributes, no r, lower-case letters) is read
# cell by cell instead.
_CELL_ANY = re.compile(rb"<(?:[\w.-]+:)?c(?=[\s/>])([^>]*)>")
_REFERENCE = re.compile(rb"""(?:^|\s)r\s*=\s*["']([A-Za-z]{1,4})([0-9]{1,12})["']""")
# Control characters a cell may not hold (tab, line feed and carriage return are text): PostgreSQL refuses
# NUL in text and JSON, and none of them belongs in a register.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A reference has at most 4 letters and 12 digits; a row number past 9 digits is refused anyway.
_LETTERS, _DIGITS = 4, 12


def _tag_starts(segment: bytes) -> tuple[np.ndarray, np.ndarray]:
    """The segment as bytes (padded with zeros past its end) and the positions of its `<`."""
    data = np.frombuffer(segment + bytes(_PADDING), dtype=np.uint8)
    return data, np.flatnonzero(data[: len(segment)] == ord("<"))


_PADDING = 8 + _LETTERS + _DIGITS
_SPACE = (ord(" "), ord("\t"), ord("\n"), ord("\r"))


def _cell_extent(data: np.ndarray, tags: np.ndarray) -> tuple[int, int] | None:
    """(highest row, highest column) of the cells among `tags`, or None when a cell is not written
    `<c r="A1"` with upper-case letters, digits and a closing quote (the caller reads those one by one)."""
    cells = tags[data[tags + 1] == ord("c")]
    after = data[cells + 2]
    cells = cells[np.isin(after, (*_SPACE, ord("/"), ord(">")))]
    if not len(cells):
        return 0, 0
    for offset, expected in enumerate(b' r="', start=2):
        if not (data[cells + offset] == expected).all():
            return None
    columns = _number_run(data, cells + 6, "AZ", 1, _LETTERS)  # A = 1, Z = 26, AA = 27
    if columns is None:
        return None
    rows = _number_run(data, cells + 6 + columns[1], "09", 0, _DIGITS)
    # Each reference ends at its first non-digit, which must close the attribute.
    if rows is None or not (data[cells + 6 + columns[1] + rows[1]] == ord('"')).all():
        return None
    return int(rows[0].max()), int(columns[0].max())


def _number_run(
    data: np.ndarray, at: np.ndarray, span: str, first_value: int, most: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """At each position of `at`, the run of characters span[0]..span[1] read as a number (the first
    character worth `first_value`, base the span's width) and the run's length; None when a run is
    empty or longer than `most`."""
    low, high = ord(span[0]), ord(span[1])
    value = np.zeros(len(at), dtype=np.int64)
    length = np.zeros(len(at), dtype=np.int64)
    inside = np.ones(len(at), dtype=bool)
    for offset in range(most + 1):
        cell = data[at + offset].astype(np.int64)
        inside &= (cell >= low) & (cell <= high)
        if offset == 0 and not inside.all():
            return None
        if not inside.any():
            return value, length
        if offset == most:
            return None
        value = np.where(inside, value * (high - low + 1) + cell - low + first_value, value)
        length += inside
    return value, length


class _SheetScan:
    """The farthest row and column named by the cells of one worksheet, chunk by chunk."""

    def __init__(self, member: str) -> None:
        self.member = member
        self.rows = 0
        self.columns = 0

    def feed(self, segment: bytes, data: np.ndarray, tags: np.ndarray) -> None:
        # A namespace prefix (`<x:c`) is rare: those chunks are read cell by cell.
        found = None if b":c" in segment else _cell_extent(data, tags)
        if found is not None:
            self.rows, self.columns = max(self.rows, found[0]), max(self.columns, found[1])
            return
        for attributes in _CELL_ANY.findall(segment):
            reference = _REFERENCE.search(attributes)
            if reference is None:
                raise UploadRefused(CELL_WITHOUT_ADDRESS, {"member": self.member})
            self.columns = max(self.columns, _column_number(reference[1]))
            self.rows = max(self.rows, int(reference[2]))


def _long_text(segment: bytes, tags: np.ndarray, limits: UploadLimits) -> None:
    """Any text between two tags longer than the cell limit (bytes >= characters: only a gap between
    two `<` that long is read again, by the exact pattern)."""
    limit = limits.max_cell_chars
    if len(segment) <= limit + 1:
        return
    if len(tags) and int(np.diff(tags, prepend=-1, append=len(segment)).max()) <= limit + 1:
        return
    for found in re.finditer(rb">([^<]{%d,})" % (limit + 1), segment):
        import html

        length = len(html.unescape(found[1].decode("utf-8", "replace")))
        if length > limit:
            raise UploadRefused(CELL_TOO_LONG, {"found": length, "limit": limit})


def _member_chunks(handle: IO[bytes], info: Any) -> Iterator[bytes]:
    """The decompressed data of a ZIP member in chunks, refused when it holds more than it declares.

    zipfile would stop at the declared size; calamine's reader would not, so the stream is inflated
    here to its real end.
    """
    handle.seek(info.header_offset)
    header = handle.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        raise UploadRefused(NOT_XLSX, {"kind": "Excel (.xlsx)"})
    fields = _LOCAL_HEADER.unpack(header)
    handle.seek(info.header_offset + _LOCAL_HEADER.size + fields[-2] + fields[-1])
    if info.compress_type not in (0, 8):  # stored, deflate: what every spreadsheet writer uses
        raise UploadRefused(COMPRESSION_UNSUPPORTED, {"member": info.filename})
    inflate = zlib.decompressobj(-zlib.MAX_WBITS) if info.compress_type == 8 else None
    left, produced = info.compress_size, 0
    while left > 0:
        raw = handle.read(min(CHUNK_BYTES, left))
        if not raw:
            break
        left -= len(raw)
        data = raw if inflate is None else inflate.decompress(raw, CHUNK_BYTES)
        while True:
            produced += len(data)
            if produced > info.file_size:
                raise UploadRefused(SIZE_MISMATCH, {"member": info.filename})
            yield data
            if inflate is None or not inflate.unconsumed_tail:
                break
            data = inflate.decompress(inflate.unconsumed_tail, CHUNK_BYTES)
    if inflate is not None:
        rest = inflate.flush()
        if rest and produced + len(rest) > info.file_size:
            raise UploadRefused(SIZE_MISMATCH, {"member": info.filename})


def _scan_member(handle: IO[bytes], info: Any, limits: UploadLimits) -> _SheetScan | None:
    name = info.filename
    sheet = _SheetScan(name) if name.startswith("xl/worksheets/") and name.endswith(".xml") else None
    carry = b""
    for data in _member_chunks(handle, info):
        buffer = carry + data
        cut = buffer.rfind(b"<")
        if cut < 0:
            cut = len(buffer)
        segment, carry = buffer[:cut], buffer[cut:]
        array, tags = _tag_starts(segment)
        _long_text(segment, tags, limits)
        if sheet is not None:
            sheet.feed(segment, array, tags)
        # One tag or text longer than any cell may be (10 bytes for the longest XML escape of a
        # character): refused here rather than carried on growing.
        if len(carry) > 10 * limits.max_cell_chars + 4096:
            found = len(carry[carry.find(b">") + 1 :].decode("utf-8", "replace"))
            raise UploadRefused(CELL_TOO_LONG_AT_LEAST, {"found": found, "limit": limits.max_cell_chars})
    array, tags = _tag_starts(carry)
    _long_text(carry, tags, limits)
    if sheet is not None:
        sheet.feed(carry, array, tags)
    return sheet


def check_xlsx(handle: IO[bytes], limits: UploadLimits) -> None:
    """Refuse an .xlsx before a reader opens it: archive, sizes, ratios, sheet extent, cell length.

    Reads the whole file once, decompressing in chunks (memory stays within a few MB); leaves the
    handle at its start.
    """
    import zipfile

    size = source_size(handle)
    check_size(size, limits)
    members = zip_member_count(handle, size)
    if members > MAX_XLSX_MEMBERS:
        raise UploadRefused(TOO_MANY_MEMBERS, {"found": members, "limit": MAX_XLSX_MEMBERS})
    handle.seek(0)
    try:
        infos = zipfile.ZipFile(handle).infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        raise UploadRefused(NOT_XLSX, {"kind": "Excel (.xlsx)"}) from error
    total = sum(info.file_size for info in infos)
    if total > limits.max_uncompressed_bytes:
        raise UploadRefused(
            UNCOMPRESSED_TOO_LARGE, {"found_bytes": total, "limit_bytes": limits.max_uncompressed_bytes}
        )
    for info in infos:
        ratio = info.file_size // max(info.compress_size, 1)
        if info.file_size > RATIO_FREE_BYTES and ratio > limits.max_compression_ratio:
            raise UploadRefused(
                RATIO_TOO_HIGH,
                {"member": info.filename, "found": ratio, "limit": limits.max_compression_ratio},
            )
    for info in infos:
        sheet = _scan_member(handle, info, limits)
        if sheet is not None:
            check_extent(rows=sheet.rows, columns=sheet.columns, limits=limits)
    handle.seek(0)


def check_extent(*, rows: int, columns: int, limits: UploadLimits) -> None:
    """Rows, columns and the rectangle a reader would allocate for them."""
    if rows > limits.max_rows:
        raise UploadRefused(TOO_MANY_ROWS, {"found": rows, "limit": limits.max_rows})
    if columns > limits.max_columns:
        raise UploadRefused(TOO_MANY_COLUMNS, {"found": columns, "limit": limits.max_columns})
    if rows * columns > limits.max_sheet_cells:
        raise UploadRefused(
            SHEET_TOO_LARGE,
            {"rows": rows, "columns": columns, "found": rows * columns, "limit": limits.max_sheet_cells},
        )


# Text --------------------------------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def text_encoding(head: bytes) -> str:
    """The encoding of a text file from its first bytes: a BOM, else UTF-8 when valid, else Windows-1252.

    UTF-16 without a BOM (every other byte NUL in ASCII text) is recognised too: Excel's "Unicode text"
    writes a BOM, other tools do not.
    """
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    sample = head[:4096]
    if len(sample) >= 4 and sample.count(0) * 3 >= len(sample):
        if sample[1::2].count(0) * 4 >= len(sample[1::2]) * 3:
            return "utf-16-le"
        if sample[0::2].count(0) * 4 >= len(sample[0::2]) * 3:
            return "utf-16-be"
    try:
        # A multi-byte character may be cut at the block end: decode incrementally.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def open_text(handle: IO[bytes], limits: UploadLimits) -> tuple[IO[str], str]:
    """The upload as text (size checked, encoding detected); undecodable bytes become U+FFFD."""
    check_size(source_size(handle), limits)
    handle.seek(0)
    head = handle.read(1 << 16)
    if not head.strip():
        raise UploadRefused(EMPTY)
    encoding = text_encoding(head)
    handle.seek(0)
    return io.TextIOWrapper(handle, encoding=encoding, errors="replace", newline=""), encoding


def bounded_lines(text: IO[str], limits: UploadLimits) -> Iterator[str]:
    """Physical lines, none longer than a row within the limits (readline never reads more than that)."""
    cap = limits.max_columns * (limits.max_cell_chars + 3) + 2  # quotes and delimiter per cell
    number = 0
    while line := text.readline(cap):
        number += 1
        if len(line) == cap and not line.endswith(("\n", "\r")):
            raise UploadRefused(
                LINE_TOO_LONG,
                {"row": number, "found": cap, "columns": limits.max_columns, "limit": limits.max_cell_chars},
            )
        yield line


def check_row(number: int, cells: list[str], limits: UploadLimits) -> None:
    """Columns, cell length and row count of one CSV row (all text)."""
    if number > limits.max_rows:
        raise UploadRefused(TOO_MANY_ROWS_AT_LEAST, {"limit": limits.max_rows})
    if len(cells) > limits.max_columns:
        raise UploadRefused(TOO_MANY_COLUMNS, {"found": len(cells), "limit": limits.max_columns})
    if cells and (longest := max(map(len, cells))) > limits.max_cell_chars:
        raise UploadRefused(CELL_TOO_LONG, {"found": longest, "limit": limits.max_cell_chars})
