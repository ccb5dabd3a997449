"""`python manage.py import_eppgbm FILE`: dry run by default, --commit applies, --user picks the uploader."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from children.models import Child, Measurement
from tests.factories import DistrictFixture, UserFactory

SAMPLE = Path(__file__).parent / "data" / "eppgbm_sample.csv"

EXPECTED_SUMMARY = [
    "baris dibaca: 4",
    "  create_child: 2",
    "  update_child: 0",
    "  merge: 0",
    "  create_measurement: 2",
    "  update_measurement: 0",
    "  unchanged: 0",
    "  rejected: 2",
    "  warnings: 0",
    "baris\ttindakan\tkolom\tpesan",
    "4\tditolak\tNIK\tNIK/KK dalam notasi ilmiah (mis. 3.51E+15): angka terakhirnya hilang; tulis ulang sebagai teks",
    "5\tditolak\tBerat\tBerat 95 kg di luar rentang yang mungkin (0,5-50 kg)",
]


def test_it_prints_the_dry_run_and_writes_nothing(district: DistrictFixture) -> None:
    out = StringIO()
    call_command("import_eppgbm", str(SAMPLE), stdout=out)

    lines = out.getvalue().splitlines()
    assert lines == [
        "Uji coba (tidak ada yang disimpan): eppgbm_sample.csv",
        *EXPECTED_SUMMARY,
        "Jalankan lagi dengan --commit untuk menerapkan.",
    ]
    assert Child.objects.count() == 0
    assert Measurement.objects.count() == 0


def test_it_applies_with_commit_and_then_finds_everything_unchanged(district: DistrictFixture) -> None:
    out = StringIO()
    call_command("import_eppgbm", str(SAMPLE), "--commit", "--user", "pkm_pesanggaran", stdout=out)

    assert out.getvalue().splitlines() == ["Diterapkan: eppgbm_sample.csv", *EXPECTED_SUMMARY]
    assert sorted(Child.objects.values_list("name", flat=True)) == ["Budi Santoso", "Siti Aminah"]
    assert Measurement.objects.count() == 2
    assert set(Measurement.objects.values_list("measured_by__username", flat=True)) == {"pkm_pesanggaran"}

    again = StringIO()
    call_command("import_eppgbm", str(SAMPLE), "--commit", stdout=again)
    assert "  unchanged: 2" in again.getvalue().splitlines()
    assert Measurement.objects.count() == 2


def test_it_needs_a_user_when_several_bappeda_admins_exist(district: DistrictFixture) -> None:
    UserFactory(username="bappeda2", role="bappeda_admin", kabupaten=district.kabupaten)
    with pytest.raises(CommandError, match="--user"):
        call_command("import_eppgbm", str(SAMPLE), stdout=StringIO())


def test_it_refuses_read_only_roles(district: DistrictFixture) -> None:
    with pytest.raises(CommandError, match="tidak boleh mengimpor"):
        call_command("import_eppgbm", str(SAMPLE), "--commit", "--user", "bupati", stdout=StringIO())
    assert Child.objects.count() == 0


def test_it_fails_when_the_file_cannot_be_read(district: DistrictFixture, tmp_path: Path) -> None:
    missing = tmp_path / "tidak-ada.csv"
    with pytest.raises(CommandError, match="berkas tidak ditemukan"):
        call_command("import_eppgbm", str(missing), stdout=StringIO())
    other = tmp_path / "catatan.txt"
    other.write_text("halo")
    with pytest.raises(CommandError, match=r"Hanya berkas \.csv, \.xls atau \.xlsx"):
        call_command("import_eppgbm", str(other), stdout=StringIO())
    empty = tmp_path / "kosong.csv"
    empty.write_bytes(b"")
    with pytest.raises(CommandError, match="Berkas kosong"):
        call_command("import_eppgbm", str(empty), stdout=StringIO())
