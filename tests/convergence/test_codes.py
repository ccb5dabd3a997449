from __future__ import annotations

import pytest

from convergence.codes import Level, check_region_code, level_of_code


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("35", Level.PROVINSI),
        ("35.10", Level.KABUPATEN),
        ("35.78", Level.KOTA),
        ("35.10.01", Level.KECAMATAN),
        ("35.10.01.2001", Level.DESA),
        ("11.01.01.2001", Level.DESA),
        ("91.05.03.3004", Level.DESA),  # desa adat
        ("35.78.01.1001", Level.KELURAHAN),
    ],
)
def test_it_accepts_good_codes(code: str, level: Level) -> None:
    assert check_region_code(code, level) is None
    assert level_of_code(code) == (Level.DESA if code == "91.05.03.3004" else level)


@pytest.mark.parametrize(
    ("code", "level", "message"),
    [
        (
            "3510",
            Level.KABUPATEN,
            "Kode kabupaten '3510' tidak valid: format yang benar pp.kk (angka, dipisah titik).",
        ),
        (
            "35.1",
            Level.KABUPATEN,
            "Kode kabupaten '35.1' tidak valid: format yang benar pp.kk (angka, dipisah titik).",
        ),
        (
            "35.75",
            Level.KABUPATEN,
            "Kode kabupaten '35.75' tidak valid: nomor kabupaten harus 01-69 (71-99 untuk kota).",
        ),
        ("35.10", Level.KOTA, "Kode kota '35.10' tidak valid: nomor kota harus 71-99."),
        ("00", Level.PROVINSI, "Kode provinsi '00' tidak boleh 00."),
        (
            "35.10.00",
            Level.KECAMATAN,
            "Kode kecamatan '35.10.00' tidak valid: nomor kecamatan tidak boleh 00.",
        ),
        (
            "35.10.01.1001",
            Level.DESA,
            "Kode desa '35.10.01.1001' tidak valid: digit pertama nomor desa harus 2 (desa) atau 3 (desa adat).",
        ),
        (
            "35.10.01.2001",
            Level.KELURAHAN,
            "Kode kelurahan '35.10.01.2001' tidak valid: digit pertama nomor kelurahan harus 1.",
        ),
        ("35.10.01.2000", Level.DESA, "Kode desa '35.10.01.2000' tidak valid: nomor urut 000."),
        (
            "3510012001",
            Level.DESA,
            "Kode desa '3510012001' tidak valid: format yang benar pp.kk.cc.dddd (angka, dipisah titik).",
        ),
        ("P 01", Level.POSYANDU, "Kode posyandu 'P 01' tidak valid: gunakan 1-20 huruf/angka (boleh . _ -)."),
    ],
)
def test_it_refuses_bad_codes_with_the_reason(code: str, level: Level, message: str) -> None:
    error = check_region_code(code, level)
    assert error is not None
    assert error.message % error.params == message


def test_it_refuses_a_code_outside_its_parent() -> None:
    error = check_region_code("35.10.01.2001", Level.DESA, "35.10.02")
    assert error is not None
    assert error.message % error.params == "Kode '35.10.01.2001' tidak berada di bawah induknya '35.10.02'."


def test_it_knows_no_level_for_garbage() -> None:
    assert level_of_code("abc") is None
