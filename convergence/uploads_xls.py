"""Limits on legacy binary .xls workbooks (OLE2 compound file, BIFF5/BIFF8), checked before calamine.

An .xls has no compressed parts, but calamine builds every sheet's whole rectangle of cells when it opens
the workbook, and gives every cell that shows a shared string its own copy of that string: two cells at
A1 and IV65536 of a 2 KB file ask for 16 million cells, and a million cells showing one 60,000-character
string for 120 GB. So the compound file is walked here (its sector tables, the Workbook stream) and every
cell record read for its row and column, and every shared-string cell for the length of its string,
before calamine is allowed to open it: the farthest row and column of each sheet and the text the cells
expand to (a character counted as a byte) are refused over the limits of UploadLimits (the cells of all
sheets together, as calamine holds them all at once). Memory: the Workbook stream once (at most the upload's size). Pure: no Django.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import IO

from convergence.uploads import (
    NOT_XLSX,
    UNCOMPRESSED_TOO_LARGE,
    UploadLimits,
    UploadRefused,
    check_extent,
    check_size,
    source_size,
)


def gettext_noop(message: str) -> str:
    return message


SHEETS_TOO_LARGE = gettext_noop(
    "Lembar-lembar berkas .xls bersama berisi %(found)s sel; batasnya %(limit)s sel."
)

OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_UNREADABLE = (NOT_XLSX, {"kind": "Excel (.xls)"})
_END = 0xFFFFFFFE  # ENDOFCHAIN; every value from 0xFFFFFFFA up marks a chain's end or a special sector
_HEADER = struct.Struct("<8s16x5H6x4xLL4xLLLLL")
# Cell records whose body starts with (row, column): FORMULA, LABELSST, NUMBER, RK, BLANK, BOOLERR,
# LABEL, RSTRING; MULRK and MULBLANK end with their last column.
_CELLS = frozenset({0x0006, 0x00FD, 0x0203, 0x027E, 0x0201, 0x0205, 0x0204, 0x00D6})
_MULTI = frozenset({0x00BD, 0x00BE})
_BOF, _EOF, _SST, _CONTINUE, _LABELSST, _DIMENSIONS = 0x0809, 0x000A, 0x00FC, 0x003C, 0x00FD, 0x0200


def is_ole2(head: bytes) -> bool:
    return head.startswith(OLE2_SIGNATURE)


def _unreadable() -> UploadRefused:
    return UploadRefused(*_UNREADABLE)


class _Compound:
    """Just enough of MS-CFB to read one stream: header, FAT (with DIFAT), directory, mini stream."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        if len(data) < 512 or not is_ole2(data):
            raise _unreadable()
        (_sig, _minor, _major, _order, shift, mini_shift, fat_count, directory_start, cutoff, minifat_start,
         minifat_count, difat_start, difat_count) = _HEADER.unpack_from(data)  # fmt: skip
        if shift not in (9, 12) or mini_shift != 6:
            raise _unreadable()
        self.size = 1 << shift
        self.sectors = max(0, (len(data) - 512) // self.size)
        self.cutoff = cutoff
        fat_sectors = list(struct.unpack_from("<109L", data, 76))
        per_sector = self.size // 4
        for sector in self._walk(
            difat_start, next_of=lambda s: self._u32(s, per_sector - 1), limit=difat_count
        ):
            fat_sectors.extend(struct.unpack_from(f"<{per_sector - 1}L", data, self._offset(sector)))
        fat_sectors = [s for s in fat_sectors[:fat_count] if s < _END - 4]
        self.fat: list[int] = []
        for sector in fat_sectors:
            self.fat.extend(struct.unpack_from(f"<{per_sector}L", data, self._offset(sector)))
        minifat = self._chained(minifat_start) if minifat_count else b""
        self.minifat = struct.unpack(f"<{len(minifat) // 4}L", minifat[: len(minifat) // 4 * 4])
        self.directory = self._chained(directory_start)

    def _offset(self, sector: int) -> int:
        if sector >= self.sectors:
            raise _unreadable()
        return 512 + sector * self.size

    def _u32(self, sector: int, index: int) -> int:
        return int(struct.unpack_from("<L", self.data, self._offset(sector) + 4 * index)[0])

    def _next(self, sector: int) -> int:
        return self.fat[sector] if sector < len(self.fat) else _END

    def _next_mini(self, sector: int) -> int:
        return self.minifat[sector] if sector < len(self.minifat) else _END

    def _walk(
        self, start: int, *, next_of: Callable[[int], int] | None = None, limit: int | None = None
    ) -> list[int]:
        """The sectors of a chain; a loop or a chain longer than the file (or `limit`) is refused."""
        chain: list[int] = []
        sector = start
        step = next_of or self._next
        bound = self.sectors if limit is None else limit
        while sector < _END - 4:
            chain.append(sector)
            if len(chain) > bound:
                raise _unreadable()
            sector = step(sector)
        return chain

    def _chained(self, start: int) -> bytes:
        return b"".join(self.data[self._offset(s) : self._offset(s) + self.size] for s in self._walk(start))

    def stream(self, names: tuple[str, ...]) -> bytes:
        """The stream of the first directory entry bearing one of `names` (case-insensitive)."""
        wanted = {name.lower() for name in names}
        entries = [self.directory[at : at + 128] for at in range(0, len(self.directory) - 127, 128)]
        if not entries:
            raise _unreadable()
        root_start = struct.unpack_from("<L", entries[0], 0x74)[0]
        for entry in entries:
            length = min(struct.unpack_from("<H", entry, 0x40)[0], 64)
            name = entry[: max(0, length - 2)].decode("utf-16-le", "replace").lower()
            if entry[0x42] != 2 or name not in wanted:
                continue
            start, size = struct.unpack_from("<LL", entry, 0x74)
            if size >= self.cutoff:
                return self._chained(start)[:size]
            mini = self._chained(root_start)
            chain = self._walk(start, next_of=self._next_mini, limit=len(mini) // 64)
            return b"".join(mini[s * 64 : s * 64 + 64] for s in chain)[:size]
        raise _unreadable()


class _SSTReader:
    """Steps through SST + CONTINUE bodies for the character count of each string."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces
        self.index = 0
        self.at = 8  # total and unique counts

    def _left(self) -> int:
        return len(self.pieces[self.index]) - self.at

    def _next_piece(self) -> bool:
        self.index += 1
        self.at = 0
        return self.index < len(self.pieces)

    def _read(self, count: int) -> bytes:
        out = b""
        while count:
            if self._left() <= 0 and not self._next_piece():
                raise _unreadable()
            part = self.pieces[self.index][self.at : self.at + count]
            self.at += len(part)
            count -= len(part)
            out += part
        return out

    def _skip_chars(self, chars: int, wide: bool) -> None:
        while chars:
            if self._left() <= 0:
                if not self._next_piece():
                    raise _unreadable()
                wide = bool(self._read(1)[0] & 1)  # a continued string restates its width
            take = min(chars, self._left() // (2 if wide else 1))
            if take == 0:
                raise _unreadable()
            self.at += take * (2 if wide else 1)
            chars -= take

    def lengths(self, count: int) -> list[int]:
        found: list[int] = []
        for _ in range(count):
            if self._left() <= 0 and not self._next_piece():
                break
            chars, flags = struct.unpack("<HB", self._read(3))
            runs = struct.unpack("<H", self._read(2))[0] if flags & 0x08 else 0
            phonetic = struct.unpack("<L", self._read(4))[0] if flags & 0x04 else 0
            self._skip_chars(chars, bool(flags & 0x01))
            self._skip_bytes(4 * runs + phonetic)
            found.append(chars)
        return found

    def _skip_bytes(self, count: int) -> None:
        while count:
            if self._left() <= 0 and not self._next_piece():
                raise _unreadable()
            take = min(count, self._left())
            self.at += take
            count -= take


def _records(stream: bytes) -> list[tuple[int, bytes]]:
    records = []
    at = 0
    while at + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, at)
        records.append((kind, stream[at + 4 : at + 4 + length]))
        at += 4 + length
    return records


def check_xls(handle: IO[bytes], limits: UploadLimits) -> None:
    """Refuse a binary .xls before a reader opens it: size, structure, sheet extents, expanded text.

    Leaves the handle at its start.
    """
    check_size(source_size(handle), limits)
    handle.seek(0)
    stream = _Compound(handle.read()).stream(("Workbook", "Book"))
    handle.seek(0)
    records = _records(stream)
    strings: list[int] = []
    extents: list[list[int]] = []  # [rows, columns] of each open substream (a chart nests in a sheet)
    cells_total = 0
    text_total = 0
    for index, (kind, body) in enumerate(records):
        if kind == _BOF:
            extents.append([0, 0])
        elif kind == _EOF and extents:
            rows, columns = extents.pop()
            check_extent(rows=rows, columns=columns, limits=limits)
            cells_total += rows * columns
            if cells_total > limits.max_sheet_cells:  # calamine holds every sheet at once
                raise UploadRefused(SHEETS_TOO_LARGE, {"found": cells_total, "limit": limits.max_sheet_cells})
        elif kind == _SST and len(body) >= 8:
            pieces = [body]
            for next_kind, next_body in records[index + 1 :]:
                if next_kind != _CONTINUE:
                    break
                pieces.append(next_body)
            strings = _SSTReader(pieces).lengths(struct.unpack_from("<L", body, 4)[0])
        elif not extents:
            continue
        elif kind in _CELLS and len(body) >= 4:
            row, column = struct.unpack_from("<HH", body)
            _reach(extents[-1], row + 1, column + 1)
            if kind == _LABELSST and len(body) >= 10:
                at = struct.unpack_from("<L", body, 6)[0]
                text_total += strings[at] if at < len(strings) else 0
                if text_total > limits.max_uncompressed_bytes:
                    raise UploadRefused(
                        UNCOMPRESSED_TOO_LARGE,
                        {"found_bytes": text_total, "limit_bytes": limits.max_uncompressed_bytes},
                    )
        elif kind in _MULTI and len(body) >= 6:
            row = struct.unpack_from("<H", body)[0]
            last = struct.unpack_from("<H", body, len(body) - 2)[0]
            _reach(extents[-1], row + 1, last + 1)
        elif kind == _DIMENSIONS and len(body) >= 12:
            _first_row, rows_end, _first_column, columns_end = struct.unpack_from("<LLHH", body)
            _reach(extents[-1], rows_end, columns_end)


def _reach(extent: list[int], rows: int, columns: int) -> None:
    extent[0] = max(extent[0], rows)
    extent[1] = max(extent[1], columns)
