"""The district head's dashboard, Bappeda's drill-down and the map upload: figures, sources, access."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from children.models import Child, Measurement
from convergence.models import Role
from reports import dashboard
from reports.models import PrevalenceSummary, RegionMap, SurveyFigure, TargetRule
from reports.selectors import figure_of
from reports.services import periods_for_months, prevalence_recompute
from tests.factories import (
    ChildFactory,
    DistrictFixture,
    PosyanduFactory,
    RegionFactory,
    UserFactory,
)

Row = PrevalenceSummary
JAN = datetime.date(2025, 1, 1)
FEB = datetime.date(2025, 2, 1)
ROLES = ["bappeda_admin", "pimpinan", "opd_officer", "puskesmas_officer", "kader", "kpm", "no_role"]


def _measure(child: Child, day: datetime.date, haz: int) -> Measurement:
    return Measurement.objects.create(
        child=child,
        posyandu=child.posyandu,
        measured_on=day,
        age_days=(day - child.birth_date).days,
        haz_category=haz,
        waz_category=2,
        whz_category=2,
    )


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _pct(row: PrevalenceSummary) -> str:
    value = figure_of(row).stunting.pct
    return "" if value is None else f"{value:.2f}"


@pytest.fixture
def measured(district: DistrictFixture) -> DistrictFixture:
    """Desa A1: 1 of 3 stunted in January, 2 of 3 in February; A2: 0 of 1; B1: 1 of 2 in February."""
    d = district
    a1 = [ChildFactory(posyandu=d.posyandu_a1, birth_date=datetime.date(2023, 5, 1)) for _ in range(3)]
    a2 = ChildFactory(posyandu=d.posyandu_a2, birth_date=datetime.date(2023, 6, 1))
    b1 = [ChildFactory(posyandu=d.posyandu_b1, birth_date=datetime.date(2023, 7, 1)) for _ in range(2)]
    for child, haz in zip(a1, [1, 2, 2], strict=True):
        _measure(child, datetime.date(2025, 1, 10), haz)
    for child, haz in zip(a1, [0, 1, 2], strict=True):
        _measure(child, datetime.date(2025, 2, 10), haz)
    _measure(a2, datetime.date(2025, 2, 11), 2)
    _measure(b1[0], datetime.date(2025, 2, 12), 1)
    _measure(b1[1], datetime.date(2025, 2, 12), 2)
    TargetRule.objects.create(
        kabupaten=d.kabupaten, regulation="Perbup Banyuwangi 68/2020", baseline_year=2025, target_pct=None
    )
    SurveyFigure.objects.create(region=d.kabupaten, year=2024, source="SSGI", stunting_pct=Decimal("21.50"))
    prevalence_recompute(kabupaten=d.kabupaten, periods=periods_for_months([JAN, FEB]))
    return d


def _row(level: str, region, period: datetime.date = FEB, posyandu=None) -> PrevalenceSummary:  # type: ignore[no-untyped-def]
    return Row.objects.get(
        level=level, region=region, posyandu=posyandu, period_kind=Row.PeriodKind.MONTH, period=period
    )


# --- the district head's dashboard -------------------------------------------------------------------


def test_it_shows_the_summaries_of_the_latest_month(measured: DistrictFixture) -> None:
    d = measured
    response = _client(d.users["pimpinan"]).get(reverse("reports:dashboard"))
    assert response.status_code == 200
    page = response.context["page"]
    assert page.month == FEB
    assert page.months == [FEB, JAN]
    kab = _row(Row.Level.KABUPATEN, d.kabupaten)
    assert (kab.measured, kab.stunted) == (6, 3)
    html = response.content.decode()
    assert f'data-headline="{_pct(kab)}"' in html
    assert _pct(kab) == "50.00"
    # a tie at 50% (2 of 4, 1 of 2): by code
    assert [(r.code, f"{r.pct:.2f}") for r in page.kecamatan] == [
        ("35.10.01", _pct(_row(Row.Level.KECAMATAN, d.kecamatan_a))),
        ("35.10.02", _pct(_row(Row.Level.KECAMATAN, d.kecamatan_b))),
    ]
    assert [(r.code, r.pct) for r in page.desa] == [
        ("35.10.01.2001", 100 * (2 / 3)),
        ("35.10.02.2001", 50.0),
        ("35.10.01.2002", 0.0),
    ]
    for desa in (d.desa_a1, d.desa_a2, d.desa_b1):
        assert f'data-unit="{desa.code}" data-pct="{_pct(_row(Row.Level.DESA, desa))}"' in html
    assert 'data-unit="35.10.01.2001" data-pct="66.67"' in html


def test_it_names_the_source_and_period_of_every_figure(measured: DistrictFixture) -> None:
    html = _client(measured.users["pimpinan"]).get(reverse("reports:dashboard")).content.decode()
    assert (
        html.count("Sumber: Data rutin posyandu (penimbangan), dihitung aplikasi ini; periode: Februari 2025")
        == 4
    )
    assert "periode: Januari 2025 – Februari 2025" in html  # the trend
    assert "Sumber: Aksi konvergensi yang dicatat Bappeda; periode: 2025" in html
    assert (
        "Sumber: Buku konvergensi (penyaluran intervensi per sasaran); diperbarui paling lama tiap 10 menit; periode: Januari 2025 – Februari 2025"
        in html
    )
    assert "Pagu dan pencairan PMT" in html
    assert 'data-survey="SSGI-2024"' in html
    assert "Angka survei (bukan data rutin)" in html


def test_it_shows_the_chosen_month(measured: DistrictFixture) -> None:
    d = measured
    response = _client(d.users["pimpinan"]).get(reverse("reports:dashboard"), {"periode": "2025-01"})
    assert response.context["page"].month == JAN
    assert f'data-headline="{_pct(_row(Row.Level.KABUPATEN, d.kabupaten, JAN))}"' in response.content.decode()
    assert "periode: Januari 2025</small>" in response.content.decode()


def test_it_falls_back_to_the_latest_month_for_an_unknown_period(measured: DistrictFixture) -> None:
    response = _client(measured.users["pimpinan"]).get(reverse("reports:dashboard"), {"periode": "2030-13"})
    assert response.context["page"].month == FEB


def test_it_gives_the_chart_the_summary_figures_and_the_paths(measured: DistrictFixture) -> None:
    d = measured
    data = _client(d.users["pimpinan"]).get(reverse("reports:dashboard")).context["data"]
    jan, feb = _row(Row.Level.KABUPATEN, d.kabupaten, JAN), _row(Row.Level.KABUPATEN, d.kabupaten)
    months = data["trend"]["months"]
    assert [(m["month"], m["label"], m["pct"], m["measured"]) for m in months] == [
        ("2025-01", "Januari 2025", round(figure_of(jan).stunting.pct, 2), 3),
        ("2025-02", "Februari 2025", round(figure_of(feb).stunting.pct, 2), 6),
    ]
    assert months[1]["text"] == f"{figure_of(feb).stunting.pct:.2f}".replace(".", ",")
    assert data["trend"]["ticks"] == [{"x": 2025.0, "label": "Jan 2025"}]
    assert months[1]["low"] == round(figure_of(feb).stunting.low, 2)
    assert months[1]["high"] == round(figure_of(feb).stunting.high, 2)
    year = Row.objects.get(level=Row.Level.KABUPATEN, period_kind=Row.PeriodKind.YEAR, period=JAN)
    assert data["trend"]["district"] == [
        {
            "x": 2025.5833,
            "y": round(figure_of(year).stunting.pct, 2),
            "label": "2025",
            "text": f"{figure_of(year).stunting.pct:.2f}".replace(".", ","),
        }
    ]
    assert data["trend"]["surveys"] == [{"x": 2024.5833, "y": 21.5, "label": "SSGI 2024", "text": "21,50"}]
    assert data["trend"]["national"] == []  # the national path of 2025 and before ends with 2024
    assert data["map"] is None


def test_it_draws_the_schematic_grid_without_a_map(measured: DistrictFixture) -> None:
    response = _client(measured.users["pimpinan"]).get(reverse("reports:dashboard"))
    page = response.context["page"]
    assert [(g.code, [t.code for t in g.tiles]) for g in page.grid] == [
        ("35.10.01", ["35.10.01.2001", "35.10.01.2002"]),
        ("35.10.02", ["35.10.02.2001"]),
    ]
    html = response.content.decode()
    assert 'class="tile prev-4" data-tile="35.10.01.2001"' in html
    assert 'class="tile prev-0" data-tile="35.10.01.2002"' in html
    assert 'id="desa-map"' not in html


def test_it_shows_the_eight_actions_with_their_state(measured: DistrictFixture) -> None:
    page = _client(measured.users["pimpinan"]).get(reverse("reports:dashboard")).context["page"]
    assert [(a.number, a.state) for a in page.actions] == [(n, "belum_dibuat") for n in range(1, 9)]


def _small_kabupaten(n_desa: int):  # type: ignore[no-untyped-def]
    provinsi = RegionFactory(code="36", name="BANTEN", level="provinsi")
    kabupaten = RegionFactory(code="36.01", name="PANDEGLANG", level="kabupaten", parent=provinsi)
    kecamatan = RegionFactory(code="36.01.01", name="SUMUR", level="kecamatan", parent=kabupaten)
    for number in range(n_desa):
        desa = RegionFactory(
            code=f"36.01.01.200{number + 1}", name=f"DESA {number}", level="desa", parent=kecamatan
        )
        posyandu = PosyanduFactory(desa=desa, code="P01", name=f"Posyandu {number}")
        child = ChildFactory(posyandu=posyandu, birth_date=datetime.date(2023, 5, 1))
        _measure(child, datetime.date(2025, 2, 10), 1)
    prevalence_recompute(kabupaten=kabupaten, periods=periods_for_months([FEB]))
    return UserFactory(username=f"bupati{n_desa}", role=Role.PIMPINAN, kabupaten=kabupaten)


@pytest.mark.parametrize("n_desa", [1, 3])
def test_the_dashboard_reads_a_fixed_number_of_queries(
    db: None, n_desa: int, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    user = _small_kabupaten(n_desa)
    client = _client(user)
    with django_assert_num_queries(30):
        response = client.get(reverse("reports:dashboard"))
    assert len(response.context["page"].desa) == n_desa


@pytest.mark.parametrize("n_desa", [1, 3])
def test_the_region_page_reads_a_fixed_number_of_queries(
    db: None, n_desa: int, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    user = _small_kabupaten(n_desa)
    client = _client(user)
    with django_assert_num_queries(16):
        response = client.get(reverse("reports:region-dashboard", args=["36.01.01"]))
    assert len(response.context["page"].subunits) == n_desa


# --- access -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("bappeda_admin", 200),
        ("pimpinan", 200),
        ("opd_officer", 403),
        ("puskesmas_officer", 403),
        ("kader", 403),
        ("kpm", 403),
        ("no_role", 403),
    ],
)
def test_the_head_dashboard_is_for_the_district_head_and_bappeda(
    measured: DistrictFixture, role: str, status: int
) -> None:
    assert _client(measured.users[role]).get(reverse("reports:dashboard")).status_code == status


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("bappeda_admin", 200),
        ("pimpinan", 200),
        ("opd_officer", 403),
        ("puskesmas_officer", 200),
        ("kader", 403),
        ("kpm", 403),
        ("no_role", 403),
    ],
)
def test_the_drilldown_is_for_bappeda_the_district_head_and_puskesmas(
    measured: DistrictFixture, role: str, status: int
) -> None:
    response = _client(measured.users[role]).get(reverse("reports:bappeda"))
    assert response.status_code == status


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("bappeda_admin", 200),
        ("pimpinan", 403),
        ("opd_officer", 403),
        ("puskesmas_officer", 403),
        ("kader", 403),
        ("kpm", 403),
        ("no_role", 403),
    ],
)
def test_only_bappeda_uploads_the_map(measured: DistrictFixture, role: str, status: int) -> None:
    client = _client(measured.users[role])
    assert client.get(reverse("reports:map-upload")).status_code == status
    every_desa = _collection(*(_square(code) for code, _name in DESA.values()))
    upload = SimpleUploadedFile("peta.geojson", json.dumps(every_desa).encode())
    response = client.post(reverse("reports:map-upload"), {"berkas": upload, "properti_kode": "kode"})
    assert response.status_code == (302 if status == 200 else 403)
    assert RegionMap.objects.count() == (1 if status == 200 else 0)


def test_a_puskesmas_officer_drills_his_kecamatan_only(measured: DistrictFixture) -> None:
    d = measured
    client = _client(d.users["puskesmas_officer"])
    home = client.get(reverse("reports:bappeda"))
    assert home.context["page"].region == d.kecamatan_a
    assert [r.code for r in home.context["page"].subunits] == ["35.10.01.2001", "35.10.01.2002"]
    assert client.get(reverse("reports:region-dashboard", args=["35.10"])).status_code == 403
    assert client.get(reverse("reports:region-dashboard", args=["35.10.02"])).status_code == 404
    assert client.get(reverse("reports:region-dashboard", args=["35.10.02.2001"])).status_code == 404
    assert client.get(reverse("reports:region-dashboard", args=["35.10.01.2002"])).status_code == 200


def test_bappeda_cannot_open_another_kabupaten(measured: DistrictFixture) -> None:
    client = _client(measured.users["bappeda_admin"])
    assert client.get(reverse("reports:region-dashboard", args=["35.11.01.2001"])).status_code == 404
    assert (
        client.get(reverse("reports:posyandu-dashboard", args=[measured.other_posyandu.pk])).status_code
        == 404
    )


# --- the drill-down -----------------------------------------------------------------------------------


def test_the_kabupaten_page_lists_kecamatan_and_the_year_table(measured: DistrictFixture) -> None:
    d = measured
    response = _client(d.users["bappeda_admin"]).get(reverse("reports:bappeda"))
    page = response.context["page"]
    assert page.region == d.kabupaten
    assert page.subunit_level == "kecamatan"
    year = Row.objects.get(level=Row.Level.KABUPATEN, period_kind=Row.PeriodKind.YEAR, period=JAN)
    assert [(r.target.year, r.figure.row.pk, r.target.status) for r in page.table.rows] == [
        (2025, year.pk, "")
    ]
    html = response.content.decode()
    assert '<tr data-year="2025">' in html
    assert f'data-pct="{_pct(year)}"' in html
    assert "Perbup Banyuwangi 68/2020" in html


def test_the_desa_page_lists_posyandu_and_links_names_for_bappeda(measured: DistrictFixture) -> None:
    d = measured
    response = _client(d.users["bappeda_admin"]).get(
        reverse("reports:region-dashboard", args=[d.desa_a1.code])
    )
    page = response.context["page"]
    assert [(r.name, r.figure is not None) for r in page.subunits] == [("Mawar", True), ("Melati", False)]
    html = response.content.decode()
    mawar = _row(Row.Level.POSYANDU, d.desa_a1, posyandu=d.posyandu_a1)
    assert f'data-unit="P01" data-pct="{_pct(mawar)}"' in html
    assert f"{reverse('interventions:gap-list')}?desa={d.desa_a1.pk}" in html
    assert f"{reverse('children:child-list')}?posyandu={d.posyandu_a1.pk}" in html


def test_the_district_head_sees_no_name_links(measured: DistrictFixture) -> None:
    d = measured
    html = (
        _client(d.users["pimpinan"])
        .get(reverse("reports:region-dashboard", args=[d.desa_a1.code]))
        .content.decode()
    )
    assert "?desa=" not in html
    assert "?posyandu=" not in html


def test_the_posyandu_page_shows_its_series(measured: DistrictFixture) -> None:
    d = measured
    response = _client(d.users["bappeda_admin"]).get(
        reverse("reports:posyandu-dashboard", args=[d.posyandu_a1.pk])
    )
    page = response.context["page"]
    assert [(f.row.period, f.row.measured) for f in page.series] == [(JAN, 3), (FEB, 3)]
    assert [r.target.year for r in page.years] == [2025]


# --- the map ------------------------------------------------------------------------------------------


def _square(code: object, *, prop: str = "kode", kind: str = "Polygon") -> dict:
    ring = [[114.1, -8.5], [114.2, -8.5], [114.2, -8.4], [114.1, -8.5]]
    coordinates = [ring] if kind == "Polygon" else [[ring]]
    return {
        "type": "Feature",
        "properties": {prop: code},
        "geometry": {"type": kind, "coordinates": coordinates},
    }


def _collection(*features: dict) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


DESA = {
    "3510012001": ("35.10.01.2001", "SUMBERAGUNG"),
    "3510012002": ("35.10.01.2002", "SILIRAGUNG"),
    "3510022001": ("35.10.02.2001", "SAMBIMULYO"),
}


def _check(data: object, prop: str = "kode") -> dashboard.MapCheck:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return dashboard.geojson_check(raw=raw, code_property=prop, desa=DESA)


def test_a_utf16_map_with_a_bom_is_read() -> None:
    data = _collection(_square("35.10.01.2001"))
    check = _check(json.dumps(data).encode("utf-16"))
    assert (check.errors, [f["properties"]["code"] for f in check.features]) == ([], ["35.10.01.2001"])


def test_a_map_matches_desa_by_code_in_any_spelling() -> None:
    check = _check(
        _collection(
            _square("35.10.01.2001", prop="KDEPUM"),
            _square(3510012002, prop="KDEPUM", kind="MultiPolygon"),
            _square("3599012001", prop="KDEPUM"),
        ),
        prop="",
    )
    assert check.errors == []
    assert check.code_property == "KDEPUM"
    assert [f["properties"] for f in check.features] == [
        {"code": "35.10.01.2001", "name": "SUMBERAGUNG"},
        {"code": "35.10.01.2002", "name": "SILIRAGUNG"},
    ]
    assert check.unmatched_features == ["fitur ke-3 (kode 3599012001)"]
    assert check.missing_desa == ["35.10.02.2001 SAMBIMULYO"]


@pytest.mark.parametrize(
    ("data", "prop", "errors"),
    [
        (b"{bukan json", "kode", ["Berkas bukan JSON yang sah."]),
        (b"[" * 100_000 + b"]" * 100_000, "kode", ["Berkas bukan JSON yang sah."]),
        (b"\x00" * 64, "kode", ["Berkas bukan JSON yang sah."]),
        ({"type": "Feature"}, "kode", ['Berkas harus berupa GeoJSON dengan type "FeatureCollection".']),
        (_collection(), "kode", ["FeatureCollection tidak berisi fitur."]),
        (
            _collection(
                {
                    "type": "Feature",
                    "properties": {"kode": "35.10.01.2001"},
                    "geometry": {"type": "LineString", "coordinates": [[1, 2], [3, 4]]},
                }
            ),
            "kode",
            ["Fitur ke-1: geometri LineString; harus Polygon atau MultiPolygon."],
        ),
        (
            _collection(
                {
                    "type": "Feature",
                    "properties": {"kode": "35.10.01.2001"},
                    "geometry": {"type": "Polygon", "coordinates": [[[500, 2], [3, 4]]]},
                }
            ),
            "kode",
            ["Fitur ke-1: koordinat tidak sah (harus bujur, lintang dalam derajat)."],
        ),
        (
            _collection(_square("35.10.01.2001", prop="nama")),
            "kode",
            ['Fitur ke-1: tidak punya properti "kode".'],
        ),
        (
            _collection(_square("35.10.01.2001"), _square("3510012001")),
            "kode",
            ["Kode 35.10.01.2001 muncul di fitur ke-1 dan ke-2."],
        ),
        (
            _collection(_square("35.11.01.2001")),
            "kode",
            ['Tidak satu pun fitur cocok dengan desa/kelurahan kabupaten ini (properti "kode").'],
        ),
        (
            _collection(_square("35.10.01.2001", prop="nama")),
            "",
            [
                "Tidak ada properti kode wilayah (dicoba: kode, KDEPUM, kode_desa, code, KODE, kd_desa). Isikan nama propertinya."
            ],
        ),
    ],
)
def test_a_map_is_refused_with_the_reason(data: object, prop: str, errors: list[str]) -> None:
    assert _check(data, prop).errors == errors


def test_an_uploaded_map_colours_the_desa_on_the_dashboard(measured: DistrictFixture) -> None:
    d = measured
    client = _client(d.users["bappeda_admin"])
    data = _collection(_square("35.10.01.2001"), _square("35.10.02.2001"), _square("35.10.09.2001"))
    upload = SimpleUploadedFile("peta.geojson", json.dumps(data).encode())
    response = client.post(reverse("reports:map-upload"), {"berkas": upload, "properti_kode": "kode"})
    assert response.status_code == 200  # the page stays to list what did not match
    html = response.content.decode()
    assert "fitur ke-3 (kode 35.10.09.2001)" in html
    assert "35.10.01.2002 SILIRAGUNG" in html
    stored = RegionMap.objects.get(kabupaten=d.kabupaten)
    assert (stored.feature_count, stored.code_property, stored.uploaded_by) == (
        2,
        "kode",
        d.users["bappeda_admin"],
    )

    dash = _client(d.users["pimpinan"]).get(reverse("reports:dashboard"))
    assert 'id="desa-map"' in dash.content.decode()
    units = dash.context["data"]["map"]["units"]
    assert units["35.10.01.2001"] == {
        "css": "prev-4",
        "title": "SUMBERAGUNG: 66,67%",
        "href": reverse("reports:region-dashboard", args=["35.10.01.2001"]),
    }
    geometry = _client(d.users["pimpinan"]).get(dash.context["data"]["map"]["geometry"])
    assert [f["properties"]["code"] for f in json.loads(geometry.content)["features"]] == [
        "35.10.01.2001",
        "35.10.02.2001",
    ]


def test_a_refused_map_keeps_the_previous_one(measured: DistrictFixture) -> None:
    d = measured
    client = _client(d.users["bappeda_admin"])
    upload = SimpleUploadedFile("peta.geojson", json.dumps(_collection(_square("35.10.01.2001"))).encode())
    client.post(reverse("reports:map-upload"), {"berkas": upload, "properti_kode": "kode"})
    bad = SimpleUploadedFile("peta.geojson", b'{"type": "Feature"}')
    response = client.post(reverse("reports:map-upload"), {"berkas": bad, "properti_kode": "kode"})
    assert response.status_code == 400
    assert "Berkas harus berupa GeoJSON" in response.content.decode()
    assert RegionMap.objects.get().feature_count == 1


def test_prevalence_classes_follow_the_who_thresholds() -> None:
    assert [
        dashboard.prevalence_class(v) for v in (None, 0.0, 2.49, 2.5, 9.99, 10, 19.99, 20, 29.99, 30, 100)
    ] == [
        "prev-none",
        "prev-0",
        "prev-0",
        "prev-1",
        "prev-1",
        "prev-2",
        "prev-2",
        "prev-3",
        "prev-3",
        "prev-4",
        "prev-4",
    ]
