"""The upload limits (convergence.uploads): .xlsx inspection, text encodings, CSV rows. No database."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from convergence import uploads
from convergence.uploads import UploadLimits, UploadRefused, check_xlsx, text_encoding
from tests.children.hostile import _SHEET_END, _SHEET_START, _xlsx

LIMITS = UploadLimits()


def _sheet(cells: bytes) -> bytes:
    return _SHEET_START + cells + _SHEET_END


def _refusal(content: bytes | io.BytesIO, limits: UploadLimits = LIMITS) -> tuple[str, dict]:
    handle = content if isinstance(content, io.BytesIO) else io.BytesIO(content)
    with pytest.raises(UploadRefused) as refused:
        check_xlsx(handle, limits)
    return refused.value.message, refused.value.params


@pytest.fixture
def folder(tmp_path):  # type: ignore[no-untyped-def]
    return tmp_path


def test_a_plain_workbook_passes_and_is_left_rewound(folder) -> None:  # type: ignore[no-untyped-def]
    rows = b"".join(
        b'<row r="%d"><c r="A%d"><v>1</v></c><c r="AD%d"><v>2</v></c></row>' % (n, n, n)
        for n in range(1, 5000)
    )
    handle = io.BytesIO(_xlsx(folder / "ok.xlsx", {"xl/worksheets/sheet1.xml": _sheet(rows)}).read_bytes())
    check_xlsx(handle, LIMITS)
    assert handle.tell() == 0


def test_two_far_apart_cells_are_refused_before_the_reader_allocates_their_rectangle(folder) -> None:  # type: ignore[no-untyped-def]
    cells = b'<row r="1"><c r="A1"><v>1</v></c></row><row r="400000"><c r="GR400000"><v>1</v></c></row>'
    path = _xlsx(folder / "jarang.xlsx", {"xl/worksheets/sheet1.xml": _sheet(cells)})
    assert _refusal(path.read_bytes()) == (
        uploads.SHEET_TOO_LARGE,
        {"rows": 400_000, "columns": 200, "found": 80_000_000, "limit": 10_000_000},
    )


@pytest.mark.parametrize(
    "cell",
    [
        b'<x:c r="XFD7"><x:v>1</x:v></x:c>',  # a namespace prefix
        b'<c s="1" r="XFD7"><v>1</v></c>',  # r after another attribute
        b'<c r="XFD0000007"><v>1</v></c>',  # leading zeros
    ],
)
def test_a_cell_written_unusually_is_still_located(folder, cell: bytes) -> None:  # type: ignore[no-untyped-def]
    path = _xlsx(
        folder / "aneh.xlsx", {"xl/worksheets/sheet1.xml": _sheet(b'<row r="7">' + cell + b"</row>")}
    )
    assert _refusal(path.read_bytes()) == (uploads.TOO_MANY_COLUMNS, {"found": 16_384, "limit": 200})


def test_a_cell_without_an_address_is_refused(folder) -> None:  # type: ignore[no-untyped-def]
    path = _xlsx(folder / "tanpa-r.xlsx", {"xl/worksheets/sheet1.xml": _sheet(b"<row><c><v>1</v></c></row>")})
    assert _refusal(path.read_bytes()) == (
        uploads.CELL_WITHOUT_ADDRESS,
        {"member": "xl/worksheets/sheet1.xml"},
    )


def test_a_long_shared_string_is_refused_with_its_length(folder) -> None:  # type: ignore[no-untyped-def]
    strings = b"<sst><si><t>" + "é".encode() * 10_001 + b"</t></si></sst>"
    path = _xlsx(folder / "panjang.xlsx", {"xl/sharedStrings.xml": strings})
    assert _refusal(path.read_bytes()) == (uploads.CELL_TOO_LONG, {"found": 10_001, "limit": 10_000})


def test_text_under_the_limit_in_characters_passes_though_longer_in_bytes(folder) -> None:  # type: ignore[no-untyped-def]
    strings = b"<sst><si><t>" + "é".encode() * 9_000 + b"&amp;" * 900 + b"</t></si></sst>"
    check_xlsx(
        io.BytesIO(_xlsx(folder / "aksen.xlsx", {"xl/sharedStrings.xml": strings}).read_bytes()), LIMITS
    )


def test_a_member_holding_more_than_it_declares_is_refused(folder) -> None:  # type: ignore[no-untyped-def]
    data = bytearray(_xlsx(folder / "bohong.xlsx", {"xl/worksheets/sheet1.xml": _sheet(b"")}).read_bytes())
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("xl/worksheets/sheet1.xml")
    # Shrink the size the central directory declares, as a hostile writer would.
    name = info.filename.encode()
    central = data.find(b"PK\x01\x02")
    while data[central + 46 : central + 46 + len(name)] != name:
        central = data.find(b"PK\x01\x02", central + 4)
    struct.pack_into("<L", data, central + 24, info.file_size - 10)
    assert _refusal(bytes(data)) == (uploads.SIZE_MISMATCH, {"member": "xl/worksheets/sheet1.xml"})


def test_an_archive_listing_too_many_members_is_refused_before_zipfile_reads_them(folder) -> None:  # type: ignore[no-untyped-def]
    path = folder / "banyak.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for number in range(1_001):
            archive.writestr(f"x/{number}", b"")
    assert _refusal(path.read_bytes()) == (uploads.TOO_MANY_MEMBERS, {"found": 1_001, "limit": 1_000})


def test_random_bytes_and_too_large_files_are_refused() -> None:
    assert _refusal(b"PK\x03\x04" + b"\x00" * 100) == (uploads.NOT_XLSX, {"kind": "Excel (.xlsx)"})
    small = UploadLimits(max_upload_bytes=10)
    assert _refusal(b"x" * 11, small) == (uploads.TOO_LARGE, {"found_bytes": 11, "limit_bytes": 10})


@pytest.mark.parametrize(
    ("head", "encoding"),
    [
        ("Nama;Berat\n".encode("utf-8-sig"), "utf-8-sig"),
        (b"Nama;Berat\n", "utf-8"),
        ("Nama;Berat\n".encode("utf-16"), "utf-16"),
        ("Nama;Berat\n".encode("utf-16-be"), "utf-16-be"),
        ("Nama;Berat\n".encode("utf-16-le"), "utf-16-le"),
        ("Nama;Berat\n".encode("utf-32"), "utf-32"),
        ("Désa;Berat\n".encode("cp1252"), "cp1252"),
        (b"Gita\x00Lestari;8,2\n", "utf-8"),  # a stray NUL is text: the row is rejected later
    ],
)
def test_text_encoding_from_the_bom_or_the_bytes(head: bytes, encoding: str) -> None:
    assert text_encoding(head) == encoding


def test_a_csv_line_longer_than_any_row_within_the_limits_is_refused_while_reading() -> None:
    limits = UploadLimits(max_columns=10, max_cell_chars=300)
    text, _encoding = uploads.open_text(io.BytesIO(b"a,b\n" + b"x" * 5_000 + b"\n"), limits)
    lines = uploads.bounded_lines(text, limits)
    assert next(lines) == "a,b\n"
    with pytest.raises(UploadRefused) as refused:
        next(lines)
    assert (refused.value.message, refused.value.params) == (
        uploads.LINE_TOO_LONG,
        {"row": 2, "found": 3_032, "columns": 10, "limit": 300},
    )


def test_refusal_text_formats_sizes_and_counts_in_indonesian() -> None:
    error = UploadRefused(uploads.TOO_MANY_ROWS, {"found": 1_200_000, "limit": 1_000_000})
    assert uploads.refusal_text(error) == "Berkas berisi 1.200.000 baris; batasnya 1.000.000 baris."
    size = UploadRefused(
        uploads.TOO_LARGE, {"found_bytes": 60 * 1024 * 1024, "limit_bytes": 50 * 1024 * 1024}
    )
    assert uploads.refusal_text(size) == "Berkas berukuran 60,0\xa0MB; batasnya 50,0\xa0MB."


def _cells_one_by_one(segment: bytes) -> tuple[int, int]:
    """The extent as the cell-by-cell path reads it (the reference for the vectorised scan)."""
    rows = columns = 0
    for attributes in uploads._CELL_ANY.findall(segment):
        reference = uploads._REFERENCE.search(attributes)
        assert reference is not None
        columns = max(columns, uploads._column_number(reference[1]))
        rows = max(rows, int(reference[2]))
    return rows, columns


def test_the_vectorised_scan_finds_the_extent_the_cell_by_cell_reading_finds_in_any_order() -> None:
    import random

    generator = random.Random(20261205)
    for _ in range(500):
        cells = [
            b'<c r="%s%d" t="s"><v>3</v></c>'
            % (
                "".join(generator.choice("ABXZ") for _ in range(generator.randint(1, 3))).encode(),
                generator.randint(1, 10 ** generator.randint(1, 7)),
            )
            for _ in range(generator.randint(1, 40))
        ]
        segment = b"".join(cells)
        data, tags = uploads._tag_starts(segment)
        assert uploads._cell_extent(data, tags) == _cells_one_by_one(segment)


@pytest.mark.parametrize(
    "segment",
    [
        b'<c r="a1"><v>1</v></c>',  # lower-case letters
        b'<c r="A1 "><v>1</v></c>',  # no closing quote after the digits
        b"<c><v>1</v></c>",  # no reference
        b'<c  r="A1"/>',  # r after two spaces
        b'<c r="ABCDE1"/>',  # five letters
    ],
)
def test_the_vectorised_scan_leaves_a_cell_written_otherwise_to_the_cell_by_cell_reading(
    segment: bytes,
) -> None:
    data, tags = uploads._tag_starts(segment)
    assert uploads._cell_extent(data, tags) is None
