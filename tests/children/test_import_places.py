"""Places from the file: `create_places` plans (dry run) and creates (apply) the puskesmas and posyandu
an e-PPGBM file names and the district lacks; desa and kecamatan are matched by name, never created."""

from __future__ import annotations

import io
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from children.imports.services import import_file
from children.models import Child, Measurement
from convergence.models import Posyandu, Puskesmas, Region
from tests.children.test_import_pages import child_row, register_csv
from tests.factories import DistrictFixture

# Columns of child_row: 8 Kab/Kota, 9 Kec, 10 Pukesmas, 11 Desa/Kel, 12 Posyandu.
KAB, KEC, PKM, DESA, POSYANDU = 8, 9, 10, 11, 12


def row(
    name: str, *, kec: str, desa: str, posyandu: str, puskesmas: str = "", kab: str = "BANYUWANGI"
) -> list[str]:
    cells = child_row(name)
    cells[KAB], cells[KEC], cells[PKM], cells[DESA], cells[POSYANDU] = kab, kec, puskesmas, desa, posyandu
    return cells


def places_snapshot() -> list[tuple[object, ...]]:
    return [
        *Puskesmas.objects.order_by("pk").values_list("kecamatan__code", "code", "name"),
        *Posyandu.objects.order_by("pk").values_list("desa__code", "code", "name"),
        *Region.objects.filter(level="desa").order_by("code").values_list("code", "puskesmas__code"),
    ]


@pytest.fixture
def bare_desa(district: DistrictFixture) -> Region:
    """A desa of kecamatan B with no puskesmas and no posyandu, as a Kemendagri list leaves it."""
    return Region.objects.create(
        code="35.10.02.2002", name="Kelurahan Sumber-Rejo", level="desa", parent=district.kecamatan_b
    )


def run(district: DistrictFixture, rows: list[list[str]], *, commit: bool, role: str = "bappeda_admin"):  # type: ignore[no-untyped-def]
    return import_file(
        source=io.BytesIO(register_csv(rows)),
        file_name="eppgbm.csv",
        user=district.users[role],
        commit=commit,
        create_places=True,
    )


FILE = [
    # Level prefixes, case and punctuation differ from the stored "Kelurahan Sumber-Rejo"/"BANGOREJO".
    row(
        "Ani",
        kec="Kec. Bangorejo",
        desa="DESA SUMBER REJO",
        posyandu="Posyandu Cempaka",
        puskesmas="UPTD Puskesmas Sumber Rejo",
    ),
    row(
        "Budi",
        kec="KECAMATAN BANGOREJO",
        desa="sumber-rejo",
        posyandu="CEMPAKA",
        puskesmas="Puskesmas Sumber Rejo",
    ),
    row("Citra", kec="bangorejo", desa="Kel. Sumberrejo", posyandu="Dahlia"),
    # An existing posyandu (Kenanga in Sambimulyo), with the existing puskesmas: nothing to create.
    row("Dewi", kec="Bangorejo", desa="Sambimulyo", posyandu="Kenanga", puskesmas="Bangorejo"),
    # No such desa in the kabupaten: rejected, naming the desa and kecamatan as written.
    row("Eko", kec="Kec. Bangorejo", desa="Desa Tanjung Sari", posyandu="Melati"),
    row("Fitri", kec="Kecamatan Purwoharjo", desa="SUMBERAGUNG", posyandu="Mawar"),
]

PLANNED = [
    {
        "level": "puskesmas",
        "name": "Sumber Rejo",
        "code": "",
        "parent": "BANGOREJO",
        "parent_code": "35.10.02",
        "rows": 2,
    },
    {
        "level": "posyandu",
        "name": "Cempaka",
        "code": "",
        "parent": "Kelurahan Sumber-Rejo",
        "parent_code": "35.10.02.2002",
        "rows": 2,
    },
    {
        "level": "posyandu",
        "name": "Dahlia",
        "code": "",
        "parent": "Kelurahan Sumber-Rejo",
        "parent_code": "35.10.02.2002",
        "rows": 1,
    },
]

REJECTED = [
    (
        6,
        "ditolak",
        "Desa/Kel",
        'Desa/Kel "Desa Tanjung Sari" di Kec "Kec. Bangorejo" tidak ditemukan di kabupaten Anda',
    ),
    (
        7,
        "ditolak",
        "Desa/Kel",
        'Desa/Kel "SUMBERAGUNG" di Kec "Kecamatan Purwoharjo" tidak ditemukan di kabupaten Anda',
    ),
]


def test_the_dry_run_lists_the_places_with_their_rows_and_creates_nothing(
    district: DistrictFixture, bare_desa: Region
) -> None:
    before = places_snapshot()
    report = run(district, FILE, commit=False)

    assert report.places == PLANNED
    assert (report.summary["create_child"], report.summary["create_measurement"]) == (4, 4)
    assert report.summary["rejected"] == 2
    assert [issue for issue in report.issues if issue[1] == "ditolak"] == REJECTED
    assert places_snapshot() == before
    assert Child.objects.count() == 0


def test_the_apply_creates_the_places_once_and_a_second_import_creates_none(
    district: DistrictFixture, bare_desa: Region
) -> None:
    report = run(district, FILE, commit=True)

    assert report.places == [
        {**PLANNED[0], "code": "IMP-001"},
        {**PLANNED[1], "code": "IMP-001"},
        {**PLANNED[2], "code": "IMP-002"},
    ]
    puskesmas = Puskesmas.objects.get(kecamatan=district.kecamatan_b, code="IMP-001")
    assert puskesmas.name == "Sumber Rejo"
    assert list(Posyandu.objects.filter(desa=bare_desa).order_by("code").values_list("code", "name")) == [
        ("IMP-001", "Cempaka"),
        ("IMP-002", "Dahlia"),
    ]
    # The file says which puskesmas serves the desa: it becomes its working area.
    bare_desa.refresh_from_db()
    assert bare_desa.puskesmas == puskesmas
    district.desa_b1.refresh_from_db()
    assert district.desa_b1.puskesmas == district.puskesmas_b
    assert sorted(Child.objects.values_list("name", "posyandu__name", "desa__code")) == [
        ("Ani", "Cempaka", "35.10.02.2002"),
        ("Budi", "Cempaka", "35.10.02.2002"),
        ("Citra", "Dahlia", "35.10.02.2002"),
        ("Dewi", "Kenanga", "35.10.02.2001"),
    ]
    assert Measurement.objects.count() == 4

    after = places_snapshot()
    again = run(district, FILE, commit=True)
    assert again.places == []
    assert again.summary["unchanged"] == 4
    assert places_snapshot() == after


def test_without_the_choice_unknown_places_are_rejected_as_before(
    district: DistrictFixture, bare_desa: Region
) -> None:
    report = import_file(
        source=io.BytesIO(register_csv(FILE[:1])),
        file_name="eppgbm.csv",
        user=district.users["bappeda_admin"],
        commit=True,
    )
    assert report.places == []
    assert report.issues == [
        (
            2,
            "ditolak",
            "Posyandu",
            "Posyandu tidak ditemukan di kabupaten Anda: periksa Kec, Desa/Kel dan Posyandu",
        )
    ]
    assert Posyandu.objects.filter(desa=bare_desa).count() == 0


def test_a_desa_of_another_kabupaten_is_not_matched(district: DistrictFixture) -> None:
    # GAMBANGAN lies in kabupaten 35.11: outside Bappeda 35.10's kabupaten.
    report = run(
        district, [row("Gita", kec="Maesan", desa="Gambangan", posyandu="Baru", kab="BONDOWOSO")], commit=True
    )
    assert report.places == []
    assert report.issues == [
        (2, "ditolak", "Desa/Kel", 'Desa/Kel "Gambangan" di Kec "Maesan" tidak ditemukan di kabupaten Anda')
    ]
    assert Posyandu.objects.filter(name="Baru").count() == 0


@pytest.mark.parametrize("role", ["pimpinan", "opd_officer", "puskesmas_officer", "kader", "kpm"])
def test_other_roles_may_not_create_places(district: DistrictFixture, bare_desa: Region, role: str) -> None:
    before = places_snapshot()
    with pytest.raises(PermissionDenied):
        run(district, FILE, commit=True, role=role)
    assert places_snapshot() == before
    assert Child.objects.count() == 0


def test_the_command_lists_the_places_and_refuses_other_roles(
    district: DistrictFixture, bare_desa: Region, tmp_path: Path
) -> None:
    path = tmp_path / "eppgbm.csv"
    path.write_bytes(register_csv(FILE[:3]))
    out = StringIO()
    call_command("import_eppgbm", str(path), "--create-posyandu", stdout=out)
    lines = out.getvalue().splitlines()
    start = lines.index("tempat akan dibuat: 3")
    assert lines[start : start + 5] == [
        "tempat akan dibuat: 3",
        "tingkat\tnama\tkode\tinduk\tkode induk\tbaris",
        "puskesmas\tSumber Rejo\t\tBANGOREJO\t35.10.02\t2",
        "posyandu\tCempaka\t\tKelurahan Sumber-Rejo\t35.10.02.2002\t2",
        "posyandu\tDahlia\t\tKelurahan Sumber-Rejo\t35.10.02.2002\t1",
    ]
    assert Posyandu.objects.filter(desa=bare_desa).count() == 0

    before = places_snapshot()
    with pytest.raises(CommandError) as refused:
        call_command("import_eppgbm", str(path), "--create-posyandu", "--commit", "--user", "pkm_pesanggaran")
    assert str(refused.value) == "pengguna pkm_pesanggaran tidak boleh membuat posyandu (hanya admin Bappeda)"
    assert places_snapshot() == before

    applied = StringIO()
    call_command("import_eppgbm", str(path), "--create-posyandu", "--commit", stdout=applied)
    assert "tempat dibuat: 3" in applied.getvalue().splitlines()
    assert Posyandu.objects.filter(desa=bare_desa).count() == 2
