"""Limits on binary .xls workbooks, checked before calamine opens them (convergence.uploads_xls).

The workbook is tests/children/data/eppgbm_download.xls (LibreOffice's BIFF8; 5 rows × 37 columns); the
hostile ones are it with one cell record's row and column rewritten, so calamine would build the whole
65,536 × 256 rectangle (about 1 GB) from a 9 KB file.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest

from convergence import uploads
from convergence.uploads import UploadLimits, UploadRefused
from convergence.uploads_xls import SHEETS_TOO_LARGE, check_xls

WORKBOOK = Path(__file__).parents[1] / "children" / "data" / "eppgbm_download.xls"


def refusal(data: bytes, limits: UploadLimits) -> tuple[str, dict[str, object]]:
    with pytest.raises(UploadRefused) as refused:
        check_xls(io.BytesIO(data), limits)
    return refused.value.message, refused.value.params


def _moved_cell(row: int, column: int) -> bytes:
    """The workbook with its first shared-string cell (the title, A1) moved to (row, column)."""
    data = WORKBOOK.read_bytes()
    at = data.index(struct.pack("<HHHH", 0x00FD, 10, 0, 0))
    return data[:at] + struct.pack("<HHHH", 0x00FD, 10, row, column) + data[at + 8 :]


def test_a_plain_workbook_passes_and_is_left_rewound() -> None:
    handle = io.BytesIO(WORKBOOK.read_bytes())

    check_xls(handle, UploadLimits(max_sheet_cells=5 * 37, max_columns=37, max_rows=5))

    assert handle.tell() == 0


def test_a_far_cell_is_refused_before_the_reader_allocates_its_rectangle() -> None:
    assert refusal(_moved_cell(65_535, 199), UploadLimits()) == (
        uploads.SHEET_TOO_LARGE,
        {"rows": 65_536, "columns": 200, "found": 13_107_200, "limit": 10_000_000},
    )
    assert refusal(_moved_cell(4, 255), UploadLimits()) == (
        uploads.TOO_MANY_COLUMNS,
        {"found": 256, "limit": 200},
    )


def test_the_cells_of_all_sheets_count_together() -> None:
    # LibreOffice writes one sheet: a limit under its 185 cells stands for several sheets' sum.
    assert refusal(WORKBOOK.read_bytes(), UploadLimits(max_sheet_cells=100))[0] == uploads.SHEET_TOO_LARGE
    assert (
        SHEETS_TOO_LARGE == "Lembar-lembar berkas .xls bersama berisi %(found)s sel; batasnya %(limit)s sel."
    )


def test_shared_strings_copied_into_every_cell_count_against_the_unpacked_size() -> None:
    # The title (50 characters) and 36 headers and the data's text: about 500 characters in all.
    message, params = refusal(WORKBOOK.read_bytes(), UploadLimits(max_uncompressed_bytes=100))

    assert message == uploads.UNCOMPRESSED_TOO_LARGE
    assert params["limit_bytes"] == 100


@pytest.mark.parametrize(
    "data",
    [
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,  # the signature alone
        WORKBOOK.read_bytes()[:1024],  # cut short
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 8,  # nonsense tables
    ],
)
def test_a_damaged_compound_file_is_refused_as_unreadable(data: bytes) -> None:
    assert refusal(data, UploadLimits()) == (uploads.NOT_XLSX, {"kind": "Excel (.xls)"})


def test_a_loop_in_the_sector_table_is_refused() -> None:
    data = bytearray(WORKBOOK.read_bytes())
    shift = struct.unpack_from("<H", data, 0x1E)[0]
    first_fat = struct.unpack_from("<L", data, 0x4C)[0]
    directory = struct.unpack_from("<L", data, 0x30)[0]
    # The directory's chain points back at itself.
    struct.pack_into("<L", data, 512 + (first_fat << shift) + 4 * directory, directory)

    assert refusal(bytes(data), UploadLimits()) == (uploads.NOT_XLSX, {"kind": "Excel (.xls)"})
