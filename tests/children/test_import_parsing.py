"""Cell parsers and header matching of the e-PPGBM import: pure, no database."""

from __future__ import annotations

import datetime

import pytest

from children.imports import parsing
from children.imports.layout import looks_like_header, match_header, normalise_header, template_headers

TODAY = datetime.date(2026, 11, 23)
BOY_2024 = "3510011003240001"  # kecamatan 35.10.01, boy born 10-03-2024, serial 0001


@pytest.mark.parametrize(
    ("cell", "nik"),
    [
        (BOY_2024, BOY_2024),
        (3510011003240001, BOY_2024),  # an Excel number cell
        (3510011003240001.0, BOY_2024),  # the same, read as a float (below 2**53: exact)
        ("'3510011003240001", BOY_2024),  # the apostrophe that forces text in Excel
        ("3510011003240001.0", BOY_2024),  # a number cell saved to CSV
        (" 3510 0110 0324 0001 ", BOY_2024),
        ("3510015003240002", "3510015003240002"),  # a girl: day + 40
        ("", ""),
        (None, ""),
    ],
)
def test_it_recovers_nik_cells(cell: object, nik: str) -> None:
    check = parsing.parse_nik(cell, today=TODAY)
    assert (check.nik, check.error) == (nik, "")


@pytest.mark.parametrize(
    ("cell", "error"),
    [
        (
            "3.51001E+15",
            "NIK/KK dalam notasi ilmiah (mis. 3.51E+15): angka terakhirnya hilang; tulis ulang sebagai teks",
        ),
        (
            "3,51001E+15",
            "NIK/KK dalam notasi ilmiah (mis. 3.51E+15): angka terakhirnya hilang; tulis ulang sebagai teks",
        ),
        (
            3.51001103240001e16,
            "NIK/KK rusak karena disimpan sebagai angka oleh Excel; tulis ulang sebagai teks",
        ),
        ("351001100324001", "NIK/KK harus tepat 16 angka"),  # 15 digits
        ("35100110032400012", "NIK/KK harus tepat 16 angka"),  # 17 digits
        ("9910011003240001", "NIK diawali kode provinsi yang tidak dikenal"),
        ("3500011003240001", "NIK memuat kode kabupaten/kecamatan yang tidak sah"),
        ("3510013203240001", "NIK memuat tanggal lahir yang tidak ada (perempuan: tanggal + 40)"),  # day 32
        ("3510017203240001", "NIK memuat tanggal lahir yang tidak ada (perempuan: tanggal + 40)"),  # day 72
        ("3510013002240001", "NIK memuat tanggal lahir yang tidak ada (perempuan: tanggal + 40)"),  # 30 Feb
        (
            "3510017002240001",
            "NIK memuat tanggal lahir yang tidak ada (perempuan: tanggal + 40)",
        ),  # 30 Feb, girl
        ("3510011012260001", "NIK memuat tanggal lahir di masa depan"),  # 10-12-2026
        ("3510011003240000", "NIK memuat nomor urut 0000"),
    ],
)
def test_it_rejects_bad_nik_variants(cell: object, error: str) -> None:
    assert parsing.parse_nik(cell, today=TODAY).error == error


def test_it_reads_sex_and_birth_date_from_a_girls_nik() -> None:
    check = parsing.parse_nik("3510015506240002", today=TODAY)
    assert (check.sex, check.birth_date) == ("P", datetime.date(2024, 6, 15))


@pytest.mark.parametrize(
    ("cell", "day"),
    [
        ("12/01/2024", datetime.date(2024, 1, 12)),
        ("12-01-2024", datetime.date(2024, 1, 12)),
        ("12.01.2024", datetime.date(2024, 1, 12)),
        ("2024-01-12", datetime.date(2024, 1, 12)),
        ("2024-01-12 00:00:00", datetime.date(2024, 1, 12)),
        ("12 Januari 2024", datetime.date(2024, 1, 12)),
        ("12 januari 2024", datetime.date(2024, 1, 12)),
        ("12 Jan 2024", datetime.date(2024, 1, 12)),
        ("1 Pebruari 2024", datetime.date(2024, 2, 1)),
        ("12-Agu-24", datetime.date(2024, 8, 12)),
        ("12 Agustus 2024", datetime.date(2024, 8, 12)),
        ("3 Mei 2025", datetime.date(2025, 5, 3)),
        ("31 Des 2023", datetime.date(2023, 12, 31)),
        ("5 Okt 2024", datetime.date(2024, 10, 5)),
        ("7 Nop 2024", datetime.date(2024, 11, 7)),
        ("45306", datetime.date(2024, 1, 15)),  # an Excel serial written to CSV
        (45306, datetime.date(2024, 1, 15)),  # an Excel serial cell
        (45306.0, datetime.date(2024, 1, 15)),
        (datetime.datetime(2024, 1, 12, 0, 0), datetime.date(2024, 1, 12)),
        (datetime.date(2024, 1, 12), datetime.date(2024, 1, 12)),
        ("", None),
        (None, None),
    ],
)
def test_it_parses_indonesian_dates(cell: object, day: datetime.date | None) -> None:
    assert parsing.parse_date(cell) == (day, "")


@pytest.mark.parametrize(
    ("cell", "error"),
    [
        ("30/02/2024", parsing.DATE_IMPOSSIBLE),
        ("32/01/2024", parsing.DATE_IMPOSSIBLE),
        ("12/13/2024", parsing.DATE_IMPOSSIBLE),  # never read as mm/dd
        ("12 Foo 2024", parsing.DATE_UNREADABLE),
        ("kemarin", parsing.DATE_UNREADABLE),
        (0, parsing.DATE_UNREADABLE),
        (True, parsing.DATE_UNREADABLE),
    ],
)
def test_it_refuses_impossible_and_unreadable_dates(cell: object, error: str) -> None:
    assert parsing.parse_date(cell) == (None, error)


def test_it_caches_dates_per_distinct_text() -> None:
    parse = parsing.DateParser()
    assert parse("12/01/2024") == (datetime.date(2024, 1, 12), "")
    assert parse("12/01/2024") is parse("12/01/2024")


@pytest.mark.parametrize(
    ("cell", "number"),
    [
        ("10,2", 10.2),
        ("10.2", 10.2),
        (" 9 ", 9.0),
        (12, 12.0),
        (7.25, 7.25),
        ("1.234,5", 1234.5),
        ("8,9", 8.9),
        ("1,234.5", 1234.5),
        ("1,234", 1.234),
        ("1.234", 1.234),
        ("", None),
        ("-", None),
    ],
)
def test_it_parses_decimals_with_comma_or_dot(cell: object, number: float | None) -> None:
    assert parsing.parse_decimal(cell) == (number, "")


def test_it_refuses_text_as_number() -> None:
    assert parsing.parse_decimal("sepuluh") == (None, parsing.NUMBER_UNREADABLE)
    assert parsing.parse_decimal("1,234,5") == (None, parsing.NUMBER_UNREADABLE)


@pytest.mark.parametrize(
    ("cell", "sex"),
    [
        ("L", "L"),
        ("l", "L"),
        ("Laki-laki", "L"),
        ("LAKI - LAKI", "L"),
        ("P", "P"),
        ("Perempuan", "P"),
        ("PR", "P"),
    ],
)
def test_it_reads_jk(cell: str, sex: str) -> None:
    assert parsing.parse_sex(cell) == (sex, "")


def test_it_refuses_unknown_jk() -> None:
    assert parsing.parse_sex("X") == ("", parsing.SEX_UNREADABLE)
    assert parsing.parse_sex("") == ("", parsing.SEX_UNREADABLE)


@pytest.mark.parametrize(
    ("cell", "position"),
    [
        ("Berdiri", "H"),
        ("Tinggi", "H"),
        ("Telentang", "L"),
        ("Terlentang", "L"),
        ("Tidur", "L"),
        ("Panjang", "L"),
        ("", ""),
    ],
)
def test_it_reads_cara_ukur(cell: str, position: str) -> None:
    assert parsing.parse_position(cell) == (position, "")


def test_it_refuses_unknown_cara_ukur() -> None:
    assert parsing.parse_position("duduk") == ("", parsing.POSITION_UNREADABLE)


def test_it_matches_headers_whatever_their_case_spaces_and_punctuation() -> None:
    header = match_header(
        ["nik", "NAMA", "J K", "tgl. lahir", "Puskesmas", "Desa / Kel", "posyandu", "TANGGAL_PENGUKURAN"]
    )
    assert header.positions == {
        "nik": 0,
        "name": 1,
        "sex": 2,
        "birth_date": 3,
        "puskesmas": 4,
        "desa": 5,
        "posyandu": 6,
        "measured_on": 7,
    }
    assert header.missing == []
    assert header.header_of("birth_date") == "tgl. lahir"
    assert match_header(["Pukesmas"]).positions == {"puskesmas": 0}
    assert normalise_header(" Tgl. Lahir ") == "tgllahir"


def test_it_tells_a_header_row_from_a_title_row() -> None:
    assert not looks_like_header(["Laporan e-PPGBM Kabupaten", "", ""])
    assert looks_like_header(["Nama", "JK", "Tgl Lahir", "Tanggal Pengukuran", "Posyandu"])


def test_it_offers_the_register_template_with_the_desa_code() -> None:
    headers = template_headers()
    assert headers[:4] == ["NIK", "Nama", "JK", "Tgl Lahir"]
    assert headers[-1] == "Kode Desa"
    assert "ZS BB/U" not in headers
    assert looks_like_header(headers)
