"""The HTML table reader on its own: rows as Excel shows them, encodings, and every limit while streaming."""

from __future__ import annotations

import io

import pytest

from children.imports.html_table import UNFINISHED_TAG, html_encoding, html_rows, looks_like_html
from convergence import uploads
from convergence.uploads import UploadLimits, UploadRefused


def rows(page: str | bytes, limits: UploadLimits | None = None) -> list[list[str]]:
    data = page.encode() if isinstance(page, str) else page
    return list(html_rows(io.BytesIO(data), limits or UploadLimits()))


def refusal(page: str, limits: UploadLimits) -> tuple[str, dict[str, object]]:
    with pytest.raises(UploadRefused) as refused:
        rows(page, limits)
    return refused.value.message, refused.value.params


def test_it_reads_rows_as_excel_shows_them() -> None:
    page = """<html><head><title>x</title><style>td { color: red }</style>
    <script>var a = "<tr><td>no</td></tr>";</script></head><body>
    <h3>Daftar Anak   Berdasarkan
      Status Gizi</h3>
    <table>
      <tr><th colspan="3">Judul</th></tr>
      <tr>
        <td> Budi&nbsp;Santoso </td><td>10,2</td>
        <td>Jl.&amp;Gang<br>Mawar</td>
      </tr>
      <tr><td>a<table><tr><td>dalam</td><td>tabel</td></tr></table></td><td>b</td>
      <tr></tr>
    </table></body></html>"""

    assert rows(page) == [
        ["Daftar Anak Berdasarkan Status Gizi"],
        ["Judul", "", ""],
        ["Budi Santoso", "10,2", "Jl.&Gang Mawar"],
        ["a dalam tabel", "b"],
        [],
    ]


@pytest.mark.parametrize(
    ("head", "encoding"),
    [
        (b'\xef\xbb\xbf<table><meta charset="windows-1252">', "utf-8-sig"),
        ('<meta charset="windows-1252"><table>'.encode("utf-16"), "utf-16"),
        (b'<html><meta http-equiv="Content-Type" content="text/html; charset=windows-1252">', "cp1252"),
        (b"<table><tr><td>\xc3\x89lan</td>", "utf-8"),
        (b"<table><tr><td>\xc9lan</td>", "cp1252"),
    ],
)
def test_it_takes_the_encoding_from_the_bom_the_meta_or_the_bytes(head: bytes, encoding: str) -> None:
    assert looks_like_html(head)
    assert html_encoding(head) == encoding


def test_it_tells_a_page_from_a_csv_or_a_workbook() -> None:
    assert looks_like_html(b"\r\n  <!DOCTYPE html><html>")
    assert not looks_like_html(b"NIK;Nama;JK\n")
    assert not looks_like_html(b"PK\x03\x04")
    assert not looks_like_html(b'<?xml version="1.0"?><Workbook>')


def test_a_colspan_over_the_column_limit_is_refused_before_its_cells_exist() -> None:
    page = '<table><tr><td>a</td><td colspan="100000000000">b</td></tr></table>'

    assert refusal(page, UploadLimits()) == (uploads.TOO_MANY_COLUMNS, {"found": 100000000001, "limit": 200})


def test_a_cell_over_the_length_limit_is_refused_with_its_length() -> None:
    page = "<table><tr><td>" + "x" * 30 + "</td></tr></table>"

    assert refusal(page, UploadLimits(max_cell_chars=20)) == (
        uploads.CELL_TOO_LONG,
        {"found": 30, "limit": 20},
    )


def test_whitespace_collapsed_away_does_not_count_against_a_cell() -> None:
    page = "<table><tr><td>" + "x " + " " * 200_000 + "y</td></tr></table>"

    assert rows(page, UploadLimits(max_cell_chars=20)) == [["x y"]]


def test_an_unclosed_tag_is_refused_instead_of_being_scanned_again_at_every_chunk() -> None:
    page = "<table><tr><td>a</td></tr><!--" + "x" * 2_000_000

    assert refusal(page, UploadLimits(max_cell_chars=100)) == (UNFINISHED_TAG, {"found": 262544})


def test_rows_over_the_limit_are_refused_while_reading() -> None:
    page = "<table>" + "<tr><td>1</td></tr>" * 4 + "</table>"

    assert refusal(page, UploadLimits(max_rows=3)) == (uploads.TOO_MANY_ROWS_AT_LEAST, {"limit": 3})


def test_an_empty_page_and_a_large_one_are_refused_by_their_size() -> None:
    assert refusal("", UploadLimits()) == (uploads.EMPTY, {})
    assert refusal("<table>" + " " * 200, UploadLimits(max_upload_bytes=100))[0] == uploads.TOO_LARGE
