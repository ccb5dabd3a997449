"""convergence.names: the one key place names are compared by, display names, generated codes."""

from __future__ import annotations

import pytest

from convergence.names import generated_code_next, place_display_name, place_name_key


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("SUMBERAGUNG", "sumberagung"),
        ("Desa Sumber-Agung", "sumberagung"),
        ("desa  sumber agung ", "sumberagung"),
        ("Kelurahan Sumber Agung", "sumberagung"),
        ("Kel.Sumber Agung", "sumberagung"),
        ("KEL. SUMBER AGUNG", "sumberagung"),
        ("Kecamatan Pesanggaran", "pesanggaran"),
        ("Kec. Pesanggaran", "pesanggaran"),
        ("Kabupaten Banyuwangi", "banyuwangi"),
        ("Kab. Banyuwangi", "banyuwangi"),
        ("UPTD Puskesmas Cluring", "cluring"),
        ("UPT. PUSKESMAS Cluring", "cluring"),
        ("PKM Cluring", "cluring"),
        ("Posyandu Mawar I", "mawari"),
        ("Desa Desa Baru", "baru"),
        # A level word only at the start and as a whole word: these names keep their letters.
        ("Kabat", "kabat"),
        ("Kec. Kabat", "kabat"),
        ("Kelapa Dua", "kelapadua"),
        ("Desapura", "desapura"),
        ("Sukadesa", "sukadesa"),
        ("Kota Lama", "kotalama"),
        # Nothing but the level word: kept, so the key is never empty.
        ("Desa", "desa"),
        ("", ""),
        (None, ""),
    ],
)
def test_it_compares_names_without_case_spacing_punctuation_or_level(written: object, key: str) -> None:
    assert place_name_key(written) == key


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("Posyandu  Mawar I", "Mawar I"),
        ("UPTD Puskesmas Cluring", "Cluring"),
        ("MELATI 2", "MELATI 2"),
        ("Posyandu", "Posyandu"),
    ],
)
def test_it_stores_the_written_name_without_its_level(written: str, shown: str) -> None:
    assert place_display_name(written) == shown


def test_it_generates_the_first_free_code_under_a_parent() -> None:
    assert generated_code_next([]) == "IMP-001"
    assert generated_code_next(["P01", "IMP-001", "imp-002", "IMP-004"]) == "IMP-003"
