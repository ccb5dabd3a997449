"""NIK, KK and name rules of children.identity (pure: no database)."""

from __future__ import annotations

import datetime

import pytest

from children import identity

TODAY = datetime.date(2026, 11, 23)


@pytest.mark.parametrize(
    ("value", "nik", "birth_date", "sex"),
    [
        ("3510011703240001", "3510011703240001", datetime.date(2024, 3, 17), "L"),
        ("3510015703240002", "3510015703240002", datetime.date(2024, 3, 17), "P"),
        (3510015703240002, "3510015703240002", datetime.date(2024, 3, 17), "P"),
        (3510015703240002.0, "3510015703240002", datetime.date(2024, 3, 17), "P"),
        ("3510015703240002.0", "3510015703240002", datetime.date(2024, 3, 17), "P"),
        ("'3510015703240002", "3510015703240002", datetime.date(2024, 3, 17), "P"),
        (" 3510 0157 0324 0002 ", "3510015703240002", datetime.date(2024, 3, 17), "P"),
        ("3510014101990003", "3510014101990003", datetime.date(1999, 1, 1), "P"),
    ],
)
def test_it_accepts_and_normalises_valid_niks(
    value: object, nik: str, birth_date: datetime.date, sex: str
) -> None:
    check = identity.check_nik(value, today=TODAY)
    assert (check.nik, check.error, check.birth_date, check.sex) == (nik, "", birth_date, sex)
    assert check.ok


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("3.51002E+15", "notasi ilmiah"),
        ("3,51002E+15", "notasi ilmiah"),
        (9.51001170324e15, "Excel"),  # past 2**53: digits lost
        ("351001170324001", "16 angka"),  # 15 digits
        ("35100117032400012", "16 angka"),
        ("35100A1703240001", "16 angka"),
        ("9910011703240001", "provinsi"),
        ("0010011703240001", "provinsi"),
        ("3500011703240001", "kabupaten/kecamatan"),
        ("3510013203240001", "tidak ada"),  # day 32
        ("3510017203240001", "tidak ada"),  # day 72 (women: 41-71)
        ("3510013002240001", "tidak ada"),  # 30 February
        ("3510011713240001", "tidak ada"),  # month 13
        ("3510010112260001", "masa depan"),  # 1 December 2026, after TODAY
        ("3510011703240000", "0000"),
        (True, "16 angka"),
    ],
)
def test_it_rejects_bad_niks_with_a_reason(value: object, fragment: str) -> None:
    check = identity.check_nik(value, today=TODAY)
    assert check.nik == ""
    assert fragment in check.error


@pytest.mark.parametrize("value", [None, "", "-", "  "])
def test_an_empty_nik_is_no_error(value: object) -> None:
    assert identity.check_nik(value, today=TODAY) == identity.NIKCheck()


def test_the_birth_date_hint_resolves_the_century() -> None:
    hinted = identity.check_nik("3510010101250001", today=TODAY, birth_date_hint=datetime.date(1925, 1, 1))
    assert hinted.birth_date == datetime.date(1925, 1, 1)
    assert identity.check_nik("3510010101250001", today=TODAY).birth_date == datetime.date(2025, 1, 1)


def test_it_warns_when_sex_or_birth_date_disagree() -> None:
    check = identity.check_nik("3510015703240002", today=TODAY)
    assert identity.nik_warnings(check, sex="P", birth_date=datetime.date(2024, 3, 17)) == []
    assert identity.nik_warnings(check, sex="L", birth_date=datetime.date(2024, 3, 18)) == [
        "Jenis kelamin menurut NIK berbeda dengan data",
        "Tanggal lahir menurut NIK berbeda dengan data",
    ]


@pytest.mark.parametrize(
    ("value", "digits", "fragment"),
    [
        ("3510012301150004", "3510012301150004", ""),
        ("3510013201150004", "", "tidak ada"),
        ("9910012301150004", "", "provinsi"),
        ("3510010112260004", "", "masa depan"),
        ("", "", ""),
    ],
)
def test_kk_numbers(value: str, digits: str, fragment: str) -> None:
    result, error = identity.check_kk(value, today=TODAY)
    assert result == digits
    assert (fragment in error) if fragment else error == ""


def test_names_are_normalised_and_compared() -> None:
    assert identity.normalise_name("By. Ny. Siti  Aminah") == "SITI AMINAH"
    assert identity.normalise_name("Muh. Rizky") == "MUH RIZKY"
    assert identity.name_similarity("Siti Aminah", "SITI AMINAH") == 1.0
    assert identity.name_similarity("Aminah Siti", "Siti Aminah") == 1.0
    assert identity.name_similarity("Muhammad Rizki", "Muhamad Rizky") >= identity.SIMILAR_NAME_THRESHOLD
    assert identity.name_similarity("Budi Santoso", "Dewi Lestari") < identity.SIMILAR_NAME_THRESHOLD
    assert identity.name_similarity("", "Dewi") == 0.0
