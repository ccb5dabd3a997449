"""A corpus of hostile register files, generated at test time (the repository stays small).

Each maker writes one file into a folder and returns its path. The zip bomb and the huge cell are real:
their sheets expand to 1 GB and 419 MB, written in chunks through zipfile so neither is ever held whole
(about a second each on a laptop).
"""

from __future__ import annotations

import random
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

from tests.children.test_import_pages import child_row, register_csv  # the register rows of the page tests

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
    'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"'
    '/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
    '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
    '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
    '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
    '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
    '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
_SHEET_START = (
    b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
    b'spreadsheetml/2006/main"><sheetData>'
)
_SHEET_END = b"</sheetData></worksheet>"
MB = 1024 * 1024


def _column(number: int) -> str:
    name = ""
    while number:
        number, rest = divmod(number - 1, 26)
        name = chr(65 + rest) + name
    return name


def _xlsx(path: Path, parts: dict[str, Callable[[zipfile.ZipFile, str], None] | bytes]) -> Path:
    # Level 1: a repeated chunk still packs ~300:1, and a gigabyte is written in about a second.
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        for name, content in parts.items():
            if callable(content):
                content(archive, name)
            else:
                archive.writestr(name, content)
    return path


def _streamed(start: bytes, chunk: bytes, repeat: int, end: bytes) -> Callable[[zipfile.ZipFile, str], None]:
    def write(archive: zipfile.ZipFile, name: str) -> None:
        with archive.open(name, "w") as member:
            member.write(start)
            for _ in range(repeat):
                member.write(chunk)
            member.write(end)

    return write


def xls_far_cell(folder: Path) -> Path:
    """A 9 KB binary .xls whose title cell sits at IV65536: calamine would build 16.7 million cells."""
    data = (Path(__file__).parent / "data" / "eppgbm_download.xls").read_bytes()
    at = data.index(struct.pack("<HHHH", 0x00FD, 10, 0, 0))  # LABELSST at A1
    path = folder / "jauh.xls"
    path.write_bytes(data[:at] + struct.pack("<HHHH", 0x00FD, 10, 65_535, 255) + data[at + 8 :])
    return path


def html_unclosed_comment(folder: Path) -> Path:
    """An HTML .xls of 40 MB whose comment never closes: the parser would rescan it at every chunk."""
    path = folder / "komentar.xls"
    with path.open("wb") as out:
        out.write(b"<html><body><table><tr><td>NIK</td></tr><!--")
        for _ in range(40):
            out.write(b"x" * MB)
    return path


def empty(folder: Path) -> Path:
    path = folder / "kosong.xlsx"
    path.write_bytes(b"")
    return path


def random_bytes(folder: Path) -> Path:
    path = folder / "acak.xlsx"
    path.write_bytes(random.Random(7).randbytes(64 * 1024))
    return path


def zip_bomb(folder: Path) -> Path:
    """A few MB on disk, a 1 GB sheet of one repeated row."""
    row = b'<row><c t="inlineStr"><is><t>' + b"A" * 1000 + b"</t></is></c></row>"
    chunk = row * (MB // len(row))
    return _xlsx(
        folder / "bom-zip.xlsx",
        {"xl/worksheets/sheet1.xml": _streamed(_SHEET_START, chunk, 1025, _SHEET_END)},
    )


def wide(folder: Path) -> Path:
    """One header row of 100,000 columns."""
    cells = b"".join(
        b'<c r="%s1" t="inlineStr"><is><t>K%d</t></is></c>' % (_column(i).encode(), i)
        for i in range(1, 100_001)
    )
    sheet = _SHEET_START + b'<row r="1">' + cells + b"</row>" + _SHEET_END
    return _xlsx(folder / "lebar.xlsx", {"xl/worksheets/sheet1.xml": sheet})


def huge_cell(folder: Path) -> Path:
    """A 400 KB file whose one shared string is 419 MB."""
    strings = _streamed(
        b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        b'2006/main" count="1" uniqueCount="1"><si><t>',
        b"A" * MB,
        419,
        b"</t></si></sst>",
    )
    sheet = _SHEET_START + b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>' + _SHEET_END
    return _xlsx(
        folder / "sel-raksasa.xlsx", {"xl/sharedStrings.xml": strings, "xl/worksheets/sheet1.xml": sheet}
    )


def utf16(folder: Path) -> Path:
    """Excel's "Unicode text": UTF-16 LE with a BOM, tab-separated; read like any other register."""
    text = register_csv([child_row("Dewi Ayu"), child_row("Gita Lestari")]).decode().replace(",", "\t")
    path = folder / "utf16.csv"
    path.write_bytes(text.encode("utf-16"))
    return path


def nul_bytes(folder: Path) -> Path:
    path = folder / "nul.csv"
    path.write_bytes(register_csv([child_row("Dewi Ayu"), child_row("Gita\x00Lestari")]))
    return path


def formula_names(folder: Path) -> Path:
    rows = [child_row('=HYPERLINK("http://contoh.test","klik")'), child_row("@SUM(1+1)")]
    path = folder / "rumus.csv"
    path.write_bytes(register_csv(rows))
    return path
