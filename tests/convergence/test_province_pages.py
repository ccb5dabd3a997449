"""The province pages: the assessment grid, the kabupaten page with its evidence, who reaches them, the
home page and the menu of the province and national roles."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from convergence import province
from convergence.navigation import menu_for_user
from tests.convergence.province_fixtures import YEAR, ProvinceWorld, build_province_world, client_for
from tests.factories import DistrictFixture, RegionFactory

KABUPATEN_ROLES = ["bappeda_admin", "pimpinan", "opd_officer", "puskesmas_officer", "kader", "kpm", "no_role"]


@pytest.fixture
def world(district: DistrictFixture, settings: object, tmp_path: Path) -> ProvinceWorld:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]
    (tmp_path / "evidence" / "2025").mkdir(parents=True)
    (tmp_path / "evidence" / "2025" / "lokus.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    return build_province_world(district)


def grid_url(code: str = "35", year: int = YEAR) -> str:
    return reverse("convergence:province-assessment", kwargs={"code": code, "year": year})


def test_the_grid_shows_each_kabupaten_s_actions_outputs_evidence_and_grades(world: ProvinceWorld) -> None:
    province.assessment_grade_save(
        user=world.users["bappeda_provinsi"],
        kabupaten=world.district.kabupaten,
        year=YEAR,
        indicator_code="1.2",
        grade="B",
    )
    response = client_for(world.users["bappeda_provinsi"]).get(grid_url())
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row.kabupaten.code for row in rows] == ["35.10", "35.11"]
    banyuwangi, bondowoso = rows
    first = banyuwangi.cells[0]
    assert (first.number, first.state, first.outputs_done, first.outputs_total, first.evidence_count) == (
        1,
        "selesai",
        1,
        3,
        1,
    )
    assert [(row.indicator.code, row.grade.grade if row.grade else None) for row in first.grades] == [
        ("1.1", None),
        ("1.2", "B"),
    ]
    assert [cell.state for cell in banyuwangi.cells[1:]] == ["belum_mulai"] * 7
    assert [cell.state for cell in bondowoso.cells] == ["belum_dibuat"] * 8
    assert (banyuwangi.graded, bondowoso.graded) == (1, 0)
    html = response.content.decode()
    assert 'href="/provinsi/35/penilaian/2024/"' in html
    assert 'href="/provinsi/35/penilaian/2026/"' in html
    assert 'href="/provinsi/35/penilaian/2025/35.10/"' in html
    assert html.count("belum dinilai") == 2 * 10 - 1


def test_the_grid_queries_stay_the_same_for_one_kabupaten_and_three(world: ProvinceWorld) -> None:
    client = client_for(world.users["bappeda_provinsi"])
    client.get(grid_url())  # warm the session and the user's scope
    with CaptureQueriesContext(connection) as two:
        client.get(grid_url())
    provinsi = world.district.provinsi
    RegionFactory(code="35.12", name="JEMBER", level="kabupaten", parent=provinsi)
    RegionFactory(code="35.13", name="LUMAJANG", level="kabupaten", parent=provinsi)
    with CaptureQueriesContext(connection) as four:
        response = client.get(grid_url())
    assert len(response.context["rows"]) == 4
    assert len(four.captured_queries) == len(two.captured_queries)


def test_the_grid_is_paged(world: ProvinceWorld) -> None:
    response = client_for(world.users["nasional"]).get(grid_url(), {"per_halaman": 1, "halaman": 2})
    assert [row.kabupaten.code for row in response.context["rows"]] == ["35.11"]


def test_the_kabupaten_page_links_the_evidence_to_the_scoped_download(world: ProvinceWorld) -> None:
    url = reverse(
        "convergence:province-assessment-kabupaten", kwargs={"code": "35", "year": YEAR, "kab_code": "35.10"}
    )
    download = reverse("convergence:evidence-download", args=[world.evidence.pk])
    for role in ("bappeda_provinsi", "nasional"):
        client = client_for(world.users[role])
        page = client.get(url)
        assert page.status_code == 200
        assert f'href="{download}"' in page.content.decode()
        file = client.get(download)
        assert (role, file.status_code, b"".join(file.streaming_content)) == (role, 200, b"%PDF-1.4\n%%EOF\n")
    # Another province's Bappeda reaches neither the page nor the file.
    other = client_for(world.users["other_provinsi"])
    assert (other.get(url).status_code, other.get(download).status_code) == (404, 404)


@pytest.mark.parametrize("role", KABUPATEN_ROLES)
def test_roles_without_provinces_get_403_on_every_province_page(world: ProvinceWorld, role: str) -> None:
    client = client_for(world.users[role])
    urls = [
        reverse("convergence:province-index"),
        grid_url(),
        reverse(
            "convergence:province-assessment-kabupaten",
            kwargs={"code": "35", "year": YEAR, "kab_code": "35.10"},
        ),
        reverse("reports:province-targets", kwargs={"code": "35"}),
    ]
    assert [client.get(url).status_code for url in urls] == [403, 403, 403, 403]


def test_a_province_or_kabupaten_outside_the_area_is_404(world: ProvinceWorld) -> None:
    client = client_for(world.users["bappeda_provinsi"])
    assert client.get(grid_url("36")).status_code == 404
    assert client.get(reverse("reports:province-targets", kwargs={"code": "36"})).status_code == 404
    assert client.get(grid_url("99")).status_code == 404
    # A kabupaten code of another province under its own province's address.
    wrong = reverse(
        "convergence:province-assessment-kabupaten", kwargs={"code": "35", "year": YEAR, "kab_code": "36.01"}
    )
    assert client.get(wrong).status_code == 404


def test_the_national_role_reads_every_province(world: ProvinceWorld) -> None:
    client = client_for(world.users["nasional"])
    assert client.get(grid_url("35")).status_code == 200
    other = client.get(grid_url("36"))
    assert [row.kabupaten.code for row in other.context["rows"]] == ["36.01"]
    index = client.get(reverse("convergence:province-index"))
    assert [(p.code, [k.code for k in kabupaten]) for p, kabupaten in index.context["groups"]] == [
        ("35", ["35.10", "35.11"]),
        ("36", ["36.01"]),
    ]


def test_the_index_sends_the_provincial_bappeda_to_its_own_grid(world: ProvinceWorld) -> None:
    response = client_for(world.users["bappeda_provinsi"]).get(reverse("convergence:province-index"))
    assert (response.status_code, response["Location"]) == (302, grid_url("35", timezone.localdate().year))


def test_home_sends_the_aggregate_roles_to_their_dashboard_or_their_work(world: ProvinceWorld) -> None:
    expected = {
        "bappeda_provinsi": "/dasbor/provinsi/35/",
        "nasional": "/dasbor/nasional/",
    }
    fallback = {
        "bappeda_provinsi": grid_url("35", timezone.localdate().year),
        "nasional": reverse("convergence:province-index"),
    }
    for role in expected:
        response = client_for(world.users[role]).get(reverse("home"))
        assert response.status_code == 302
        # Until the reports app has the province dashboards, the assessment work is the home page.
        assert response["Location"] in (expected[role], fallback[role])


def test_the_menu_of_the_aggregate_roles_has_no_registry_pmt_or_meetings(world: ProvinceWorld) -> None:
    for role, targets in (
        ("bappeda_provinsi", "/provinsi/35/target/"),
        ("nasional", reverse("convergence:province-index")),
    ):
        menu = menu_for_user(world.users[role])
        labels = [str(item.label) for item in menu]
        assert all(not item.items for item in menu)
        assert labels[0] == "Beranda"
        assert labels[-2:] == ["Penilaian kinerja", "Target provinsi"]
        assert set(labels[1:-2]) <= {"Dasbor provinsi", "Dasbor nasional"}
        assert menu[-1].url == targets
    page = client_for(world.users["bappeda_provinsi"]).get(grid_url()).content.decode()
    for absent in ("/anak/", "/keluarga/", "/pmt/", "/rapat/", "/kehamilan/", "/remaja/"):
        assert f'href="{absent}' not in page
