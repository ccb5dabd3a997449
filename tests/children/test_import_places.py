"""Places from the file: `create_places` plans (dry run) and creates (apply) the puskesmas and posyandu
an e-PPGBM file names and the district lacks; desa and kecamatan are matched by name, never created."""

from __future__ import annotations

import io
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.test import APIClient

from children.imports.services import import_file
from children.models import Child, ImportJob, Measurement
from convergence.models import Posyandu, Puskesmas, Region
from tests.children.test_import_pages import child_row, register_csv
from tests.factories import DistrictFixture


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path


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


def _page(district: DistrictFixture, role: str) -> Client:
    client = Client()
    client.force_login(district.users[role])
    return client


def test_the_import_page_offers_the_choice_to_bappeda_and_lists_the_places(
    district: DistrictFixture, bare_desa: Region, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    client = _page(district, "bappeda_admin")
    page = client.get("/impor/")
    assert "create_posyandu" in page.context["form"].fields
    assert b'data-testid="posyandu-list-template"' in page.content
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/impor/",
            {"file": SimpleUploadedFile("eppgbm.csv", register_csv(FILE)), "create_posyandu": "on"},
        )
    job = ImportJob.objects.get()
    assert (job.create_places, job.status, job.summary["places"]) == (True, ImportJob.Status.CHECKED, PLANNED)
    detail = client.get(f"/impor/{job.pk}/")
    assert detail.context["places"] == PLANNED
    assert b'data-testid="places"' in detail.content

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/impor/{job.pk}/terapkan/")
    job.refresh_from_db()
    assert job.status == ImportJob.Status.APPLIED
    assert [(p["level"], p["code"], p["rows"]) for p in job.summary["places"]] == [
        ("puskesmas", "IMP-001", 2),
        ("posyandu", "IMP-001", 2),
        ("posyandu", "IMP-002", 1),
    ]
    assert Posyandu.objects.filter(desa=bare_desa).count() == 2


def test_other_roles_do_not_see_the_choice_and_cannot_post_it(
    district: DistrictFixture, bare_desa: Region, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    before = places_snapshot()
    client = _page(district, "puskesmas_officer")
    page = client.get("/impor/")
    assert "create_posyandu" not in page.context["form"].fields
    assert b'data-testid="posyandu-list-template"' not in page.content
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/impor/",
            {"file": SimpleUploadedFile("eppgbm.csv", register_csv(FILE)), "create_posyandu": "on"},
        )
    job = ImportJob.objects.get()
    assert (job.create_places, "places" in job.summary) == (False, False)
    assert places_snapshot() == before


def _api(district: DistrictFixture, role: str) -> APIClient:
    api = APIClient()
    api.force_authenticate(district.users[role])
    return api


def test_the_api_takes_the_choice_from_bappeda_and_refuses_it_to_other_roles(
    district: DistrictFixture, bare_desa: Region, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    body = {"file": SimpleUploadedFile("eppgbm.csv", register_csv(FILE)), "create_posyandu": "true"}
    refused = _api(district, "kader").post("/api/v1/imports/", body, format="multipart")
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    assert ImportJob.objects.count() == 0

    api = _api(district, "bappeda_admin")
    body["file"] = SimpleUploadedFile("eppgbm.csv", register_csv(FILE))
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post("/api/v1/imports/", body, format="multipart")
    assert created.status_code == 202
    detail = api.get(f"/api/v1/imports/{created.json()['id']}/").json()
    # In the API the parent region is its code, its name a label.
    planned = [{**place, "parent": place["parent_code"], "parent_name": place["parent"]} for place in PLANNED]
    assert (detail["create_posyandu"], [dict(place) for place in detail["summary"]["places"]]) == (
        True,
        [
            {key: place[key] for key in ("level", "name", "code", "parent", "parent_name", "rows")}
            for place in planned
        ],
    )


def test_bappeda_downloads_the_posyandu_list_template_and_it_adopts_created_posyandu(
    district: DistrictFixture, bare_desa: Region, tmp_path: Path
) -> None:
    assert _page(district, "kader").get("/impor/templat-posyandu.csv").status_code == 403
    response = _page(district, "bappeda_admin").get("/impor/templat-posyandu.csv")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="daftar-posyandu.csv"'
    text = response.content.decode("utf-8-sig")
    assert text.splitlines() == [
        '"code","name","level","parent_code"',
        '"P01","Mawar","posyandu","35.10.01.2001"',
    ]

    run(district, FILE[:3], commit=True)
    created = Posyandu.objects.get(desa=bare_desa, name="Cempaka")
    # The official list, as filled in from the template, names the created posyandu with its own code.
    official = tmp_path / "posyandu.csv"
    header = text.splitlines()[0]
    official.write_text(f'{header}\n"P07","Posyandu CEMPAKA","posyandu","35.10.02.2002"\n', encoding="utf-8")
    out = StringIO()
    call_command("load_regions", str(official), stdout=out)
    assert out.getvalue().splitlines() == ["posyandu: 1 diperbarui", "0 baris tidak berubah."]
    assert list(
        Posyandu.objects.filter(desa=bare_desa).order_by("code").values_list("pk", "code", "name")
    ) == [
        (Posyandu.objects.get(desa=bare_desa, name="Dahlia").pk, "IMP-002", "Dahlia"),
        (created.pk, "P07", "Posyandu CEMPAKA"),
    ]
