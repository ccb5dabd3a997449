from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from convergence.models import Posyandu, Puskesmas, Region

GOOD = """code,name,level,parent_code
35,JAWA TIMUR,provinsi,
35.10,BANYUWANGI,kabupaten,35
35.10.01,PESANGGARAN,kecamatan,35.10
35.10.01.2001,SUMBERAGUNG,desa,35.10.01
35.10.01.2002,SILIRAGUNG,desa,35.10.01
35.10.01.1001,PESANGGARAN KOTA,kelurahan,35.10.01
PKM01,Puskesmas Pesanggaran,puskesmas,35.10.01
P01,Mawar,posyandu,35.10.01.2001
P02,Melati,posyandu,35.10.01.2001
P01,Anggrek,posyandu,35.10.01.2002
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "wilayah.csv"
    path.write_text(text, encoding="utf-8")
    return path


def snapshot() -> list[tuple[object, ...]]:
    return [
        *Region.objects.order_by("code").values_list(
            "code", "name", "level", "parent__code", "puskesmas__code"
        ),
        *Puskesmas.objects.order_by("code").values_list("code", "name", "kecamatan__code"),
        *Posyandu.objects.order_by("desa__code", "code").values_list("code", "name", "desa__code"),
    ]


@pytest.mark.django_db
def test_it_loads_the_official_list_and_covers_desa_with_the_single_puskesmas(tmp_path: Path) -> None:
    call_command("load_regions", write(tmp_path, GOOD))
    assert Region.objects.count() == 6
    assert Puskesmas.objects.count() == 1
    assert Posyandu.objects.count() == 3
    assert set(
        Region.objects.filter(level__in=["desa", "kelurahan"]).values_list("puskesmas__code", flat=True)
    ) == {"PKM01"}
    assert Region.objects.get(code="35.10.01.2002").parent.code == "35.10.01"


@pytest.mark.django_db
def test_it_changes_nothing_when_the_same_file_is_loaded_again(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    path = write(tmp_path, GOOD)
    call_command("load_regions", path)
    before = snapshot()
    capsys.readouterr()
    with translation.override("id"):
        call_command("load_regions", path)
    assert snapshot() == before
    assert capsys.readouterr().out == "10 baris tidak berubah.\n"


@pytest.mark.django_db
def test_it_updates_a_renamed_region(tmp_path: Path) -> None:
    call_command("load_regions", write(tmp_path, GOOD))
    call_command("load_regions", write(tmp_path, GOOD.replace("SILIRAGUNG", "SILIR AGUNG")))
    assert Region.objects.get(code="35.10.01.2002").name == "SILIR AGUNG"


@pytest.mark.django_db
def test_it_reports_every_bad_row_with_its_line_and_loads_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    bad = GOOD + "\n".join(
        [
            "35.10.01.1002,SALAH,desa,35.10.01",
            "35.10.02.2001,YATIM,desa,35.10.02",
            "35.10.01.2001,GANDA,desa,35.10.01",
            "P01,Kembar,posyandu,35.10.01.2001",
            "PKM09,Salah Induk,puskesmas,35.10.01.2001",
            "35.10.03,,kecamatan,35.10",
            "35.10.04,X,dusun,35.10",
        ]
    )
    with (
        translation.override("id"),
        pytest.raises(CommandError, match=r"7 baris salah; tidak ada yang dimuat\."),
    ):
        call_command("load_regions", write(tmp_path, bad))
    assert capsys.readouterr().err.splitlines() == [
        "Baris 12: Kode desa '35.10.01.1002' tidak valid: digit pertama nomor desa harus 2 (desa) atau 3 (desa adat).",
        "Baris 13: induk '35.10.02' tidak ditemukan di berkas maupun di basis data.",
        "Baris 14: kode '35.10.01.2001' sudah ada di baris 5.",
        "Baris 15: kode posyandu 'P01' ganda di bawah '35.10.01.2001'.",
        "Baris 16: induk puskesmas harus kecamatan, bukan desa.",
        "Baris 17: nama kosong.",
        "Baris 18: tingkat 'dusun' tidak dikenal (pilih: desa, kabupaten, kecamatan, kelurahan, kota, "
        "posyandu, provinsi, puskesmas).",
    ]
    assert snapshot() == []


@pytest.mark.django_db
def test_it_refuses_a_file_with_the_wrong_columns(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    with translation.override("id"), pytest.raises(CommandError):
        call_command("load_regions", write(tmp_path, "kode,nama\n35,JAWA TIMUR\n"))
    assert capsys.readouterr().err == "Baris 1: kolom harus tepat code,name,level,parent_code.\n"
    assert Region.objects.count() == 0


@pytest.mark.django_db
def test_it_speaks_english_when_asked(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    with translation.override("en"), pytest.raises(CommandError):
        call_command("load_regions", write(tmp_path, "code,name,level,parent_code\n3510,X,kabupaten,35\n"))
    err = capsys.readouterr().err
    assert err.startswith("Line 2: ")
    assert "3510" in err


@pytest.mark.django_db
def test_a_posyandu_list_adopts_a_posyandu_of_the_same_name_under_an_unknown_code(tmp_path: Path) -> None:
    call_command("load_regions", write(tmp_path, GOOD))
    desa = Region.objects.get(code="35.10.01.2002")
    # Created from an e-PPGBM file before the official list was loaded.
    from_file = Posyandu.objects.create(desa=desa, code="IMP-001", name="Kenanga")
    both = Posyandu.objects.create(desa=desa, code="IMP-002", name="Dahlia")
    Posyandu.objects.create(desa=desa, code="P09", name="Dahlia")
    listed = "code,name,level,parent_code\nP02,POSYANDU KENANGA,posyandu,35.10.01.2002\nP03,Dahlia,posyandu,35.10.01.2002\nP09,Dahlia,posyandu,35.10.01.2002\n"

    call_command("load_regions", write(tmp_path, listed))

    assert list(desa.posyandu_set.order_by("pk").values_list("pk", "code", "name")) == [
        (Posyandu.objects.get(desa=desa, name="Anggrek").pk, "P01", "Anggrek"),
        (from_file.pk, "P02", "POSYANDU KENANGA"),
        # P09 is listed under its own code, so only the generated one can take P03.
        (both.pk, "P03", "Dahlia"),
        (Posyandu.objects.get(desa=desa, code="P09").pk, "P09", "Dahlia"),
    ]
    # Loading the list again changes nothing.
    before = snapshot()
    call_command("load_regions", write(tmp_path, listed))
    assert snapshot() == before


# A made-up list in the Kemendagri layout, as an older edition had it: two provinsi, a kabupaten
# that a later edition re-codes into a new provinsi (92.05 -> 96.01), a kecamatan later merged away.
LIST_2023 = """code,name,level,parent_code
35,Jawa Timur,provinsi,
35.10,Kabupaten Banyuwangi,kabupaten,35
35.10.01,Pesanggaran,kecamatan,35.10
35.10.01.2001,Sumberagung,desa,35.10.01
35.10.01.2002,Siliragung,desa,35.10.01
35.10.01.1001,Pesanggaran Kota,kelurahan,35.10.01
35.10.02,Bangorejo,kecamatan,35.10
35.10.02.2001,Sambimulyo,desa,35.10.02
92,Papua Barat,provinsi,
92.05,Kabupaten Sorong Lama,kabupaten,92
92.05.01,Aimas,kecamatan,92.05
92.05.01.2001,Malawili,desa,92.05.01
PKM01,Puskesmas Pesanggaran,puskesmas,35.10.01
P01,Mawar,posyandu,35.10.01.2002
"""

# The newer edition: 35.10.02 (with its desa) and 35.10.01.2002 are gone, 92.05 moved to 96.01.
LIST_2025 = """code,name,level,parent_code
35,Jawa Timur,provinsi,
35.10,Kabupaten Banyuwangi,kabupaten,35
35.10.01,Pesanggaran,kecamatan,35.10
35.10.01.2001,Sumberagung,desa,35.10.01
35.10.01.1001,Pesanggaran Kota,kelurahan,35.10.01
35.10.01.2003,Sumbermulyo,desa,35.10.01
92,Papua Barat,provinsi,
96,Papua Barat Daya,provinsi,
96.01,Kabupaten Sorong,kabupaten,96
96.01.01,Aimas,kecamatan,96.01
96.01.01.2001,Malawili,desa,96.01.01
"""


def retired_codes() -> list[str]:
    return list(
        Region.objects.filter(retired_at__isnull=False).order_by("code").values_list("code", flat=True)
    )


@pytest.mark.django_db
def test_it_retires_the_regions_a_newer_list_drops_and_reports_them_per_level(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    call_command("load_regions", write(tmp_path, LIST_2023))
    capsys.readouterr()
    with translation.override("id"):
        call_command("load_regions", write(tmp_path, LIST_2025), retire_missing=True)
    assert retired_codes() == [
        "35.10.01.2002",
        "35.10.02",
        "35.10.02.2001",
        "92.05",
        "92.05.01",
        "92.05.01.2001",
    ]
    # Kept, never deleted; puskesmas and posyandu are never retired by a region list.
    assert Region.objects.count() == 17
    assert Posyandu.objects.get(code="P01").desa.code == "35.10.01.2002"
    assert Region.objects.active().filter(level="provinsi").count() == 3
    assert capsys.readouterr().out.splitlines() == [
        "desa: 2 dibuat",
        "kabupaten: 1 dibuat",
        "kecamatan: 1 dibuat",
        "provinsi: 1 dibuat",
        "desa: 3 tidak berlaku lagi",
        "kabupaten: 1 tidak berlaku lagi",
        "kecamatan: 2 tidak berlaku lagi",
        "6 baris tidak berubah.",
    ]


@pytest.mark.django_db
def test_it_retires_nothing_without_the_flag_or_outside_the_files_provinsi_and_kabupaten(
    tmp_path: Path,
) -> None:
    call_command("load_regions", write(tmp_path, LIST_2023))
    call_command("load_regions", write(tmp_path, LIST_2025))
    assert retired_codes() == []
    # A list of one kabupaten, without its provinsi row: only that kabupaten's regions are compared.
    one_kabupaten = "\n".join(line for line in LIST_2025.splitlines() if line.startswith(("code", "35.10")))
    call_command("load_regions", write(tmp_path, one_kabupaten), retire_missing=True)
    assert retired_codes() == ["35.10.01.2002", "35.10.02", "35.10.02.2001"]


@pytest.mark.django_db
def test_it_brings_a_retired_region_back_when_a_list_carries_it_again(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    call_command("load_regions", write(tmp_path, LIST_2023))
    call_command("load_regions", write(tmp_path, LIST_2025), retire_missing=True)
    capsys.readouterr()
    with translation.override("id"):
        call_command("load_regions", write(tmp_path, LIST_2023), retire_missing=True)
    # Provinsi 96 is not in the older list: its regions are outside what that list can retire.
    assert retired_codes() == ["35.10.01.2003"]
    assert capsys.readouterr().out.splitlines() == [
        "desa: 3 berlaku kembali",
        "kabupaten: 1 berlaku kembali",
        "kecamatan: 2 berlaku kembali",
        "desa: 1 tidak berlaku lagi",
        "8 baris tidak berubah.",
    ]
