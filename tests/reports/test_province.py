"""The province dashboard and the national overview: figures against a hand computation, access for
every role, no personal data, the cache against a recompute, the query count.

Fixture (August 2025, kabupaten summary rows): 35.10 BANYUWANGI 30 of 150 measured stunted (200
registered); 35.11 BONDOWOSO 20 of 400 (500 registered); 36.01 PANDEGLANG in province 36, 12 of 40
(80 registered). Province 35 path: 20% in 2024, 16% in 2026 (18% in 2025 on the straight line);
national path (migration 0002): 14% in 2024, 14.2% in 2029 (14.04% in 2025).
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from children import pii
from convergence.models import AssessmentGrade, Region, Role, User
from convergence.province import assessment_grade_save
from interventions.models import Disbursement
from interventions.services_pmt import budget_line_create
from reports import province
from reports.models import PrevalenceSummary, ProvincialTarget, RegionMap
from reports.services import periods_for_months, prevalence_recompute
from tests.factories import ChildFactory, DistrictFixture, RegionFactory, UserFactory
from tests.reports.test_dashboard import _measure

AUG, SEP, JUL = datetime.date(2025, 8, 1), datetime.date(2025, 9, 1), datetime.date(2025, 7, 1)
Row = PrevalenceSummary


def _row(region: Region, period: datetime.date, **counts: int) -> PrevalenceSummary:
    return Row.objects.create(
        level=Row.Level.KABUPATEN, region=region, period_kind="M", period=period, **counts
    )


@pytest.fixture
def provinces(district: DistrictFixture) -> DistrictFixture:
    d = district
    banten = RegionFactory(code="36", name="BANTEN", level="provinsi")
    pandeglang = RegionFactory(code="36.01", name="PANDEGLANG", level="kabupaten", parent=banten)
    UserFactory(username="bappeda_banten", role=Role.BAPPEDA_PROVINSI, provinsi=banten)
    # 35.10: stunting 30/150 (10 sangat pendek + 20 pendek), wasting 12/150, underweight 15/150.
    _row(
        d.kabupaten, AUG, registered=200, measured=150, haz_sangat_pendek=10, haz_pendek=20, haz_normal=115,
        haz_tinggi=5, whz_gizi_buruk=3, whz_gizi_kurang=9, whz_gizi_baik=130, whz_berisiko_gizi_lebih=8,
        waz_sangat_kurang=5, waz_kurang=10, waz_normal=135,
    )  # fmt: skip
    _row(d.other_kabupaten, AUG, registered=500, measured=400, haz_pendek=20, haz_normal=380, whz_gizi_baik=400,
         waz_normal=400)  # fmt: skip
    _row(pandeglang, AUG, registered=80, measured=40, haz_pendek=12, haz_normal=28)
    # July complete too; September still being weighed (10 of 700 measured): not the default.
    _row(d.kabupaten, JUL, registered=200, measured=140, haz_pendek=28, haz_normal=112)
    _row(d.other_kabupaten, JUL, registered=500, measured=380, haz_pendek=19, haz_normal=361)
    _row(d.kabupaten, SEP, registered=200, measured=10, haz_pendek=5, haz_normal=5)
    _row(d.other_kabupaten, SEP, registered=500, measured=0)
    # Desa and kecamatan rows must never reach the province's figures.
    Row.objects.create(level=Row.Level.DESA, region=d.desa_a1, period_kind="M", period=AUG, registered=9,
                       measured=9, haz_pendek=9)  # fmt: skip
    ProvincialTarget.objects.create(
        provinsi=d.provinsi, year=2024, stunting_pct=Decimal("20.00"), source="RPJMD"
    )
    ProvincialTarget.objects.create(
        provinsi=d.provinsi, year=2026, stunting_pct=Decimal("16.00"), source="RPJMD"
    )
    for year, code, grade in [(2024, "1.1", "A"), (2024, "1.2", "B"), (2025, "1.1", "A"), (2025, "1.2", "A"),
                              (2025, "2.1", "C")]:  # fmt: skip
        AssessmentGrade.objects.create(kabupaten=d.kabupaten, year=year, indicator_code=code, indicator_text="x",
                                       grade=grade)  # fmt: skip
    for code, grade in [("1.1", "B"), ("1.2", "D")]:
        AssessmentGrade.objects.create(kabupaten=d.other_kabupaten, year=2024, indicator_code=code,
                                       indicator_text="x", grade=grade)  # fmt: skip
    admin = d.users["bappeda_admin"]
    line = budget_line_create(user=admin, kabupaten=d.kabupaten, year=2025, source="dak", name="PMT lokal",
                              allocated=Decimal("1000000000"), opd=d.dinkes)  # fmt: skip
    old = budget_line_create(user=admin, kabupaten=d.kabupaten, year=2024, source="dak", name="PMT 2024",
                             allocated=Decimal("5000000"), opd=d.dinkes)  # fmt: skip
    for budget_line, amount, status in [
        (line, "200000000", Disbursement.Status.APPROVED),
        (line, "50000000", Disbursement.Status.APPROVED),
        (line, "70000000", Disbursement.Status.PENDING),  # not approved: not absorbed
        (old, "5000000", Disbursement.Status.APPROVED),  # another year
    ]:
        Disbursement.objects.create(budget_line=budget_line, amount=Decimal(amount), status=status,
                                    paid_on=datetime.date(2025, 8, 20), payee="Katering Sehat",
                                    recorded_by=admin)  # fmt: skip
    return d


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _page(d: DistrictFixture, username: str = "bappeda_prov", code: str = "35") -> province.AreaDashboard:
    from convergence.models import User

    return province.area_dashboard(
        user=User.objects.get(username=username),
        code=code,
        requested_month=None,
        today=datetime.date(2025, 10, 5),
    )


def _rounded(share) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    return (round(share.pct, 4), round(share.low, 4), round(share.high, 4))


def test_it_sums_counts_and_judges_each_kabupaten_against_both_paths(provinces: DistrictFixture) -> None:
    page = _page(provinces)
    assert page.month == AUG  # September (10 of 700 measured) is not complete
    assert page.period.complete is True
    assert (page.period.measured, page.period.registered) == (550, 700)
    rows = {r.code: r for r in page.rows}
    assert list(rows) == ["35.10", "35.11"]  # ranked: the highest prevalence first
    banyuwangi, bondowoso = rows["35.10"], rows["35.11"]
    assert [r.rank for r in page.rows] == [1, 2]
    # Wilson 95% intervals computed by hand (z = 1.959964).
    assert _rounded(banyuwangi.figure.stunting) == (20.0, 14.3841, 27.1141)
    assert _rounded(banyuwangi.figure.wasting) == (8.0, 4.6354, 13.4621)
    assert _rounded(banyuwangi.figure.underweight) == (10.0, 6.1541, 15.8435)
    assert round(banyuwangi.figure.coverage.pct, 4) == 75.0
    assert _rounded(bondowoso.figure.stunting) == (5.0, 3.2597, 7.5964)
    # The province: 50 of 550 children, not the mean of 20% and 5%.
    assert _rounded(page.total.figure.stunting) == (9.0909, 6.9637, 11.7856)
    assert (page.total.figure.measured, page.total.figure.registered) == (550, 700)
    # Paths in 2025: provincial 18 (between 20 in 2024 and 16 in 2026), national 14.04.
    assert banyuwangi.provincial.target_pct == pytest.approx(18.0)
    assert banyuwangi.national.target_pct == pytest.approx(14.04)
    assert (banyuwangi.provincial.verdict, banyuwangi.national.verdict) == ("belum_pasti", "di_atas")
    assert (bondowoso.provincial.verdict, bondowoso.national.verdict) == ("di_bawah", "di_bawah")
    assert (page.total.provincial.verdict, page.total.national.verdict) == ("di_bawah", "di_bawah")


def test_it_counts_the_latest_grades_and_the_absorption_in_decimal(provinces: DistrictFixture) -> None:
    page = _page(provinces)
    rows = {r.code: r for r in page.rows}
    assert rows["35.10"].grades == province.Grades(2025, a=2, b=0, c=1, d=0)
    assert rows["35.11"].grades == province.Grades(2024, a=0, b=1, c=0, d=1)
    assert page.total.grades == province.Grades(None, a=2, b=1, c=1, d=1)
    money = rows["35.10"].money
    assert (money.year, money.allocated, money.disbursed) == (
        2025,
        Decimal("1000000000"),
        Decimal("250000000"),
    )
    assert money.absorption_percent == Decimal("25.0")
    assert isinstance(money.absorption_percent, Decimal)
    assert rows["35.11"].money == province.Money(2025, Decimal(0), Decimal(0), None)
    assert page.total.money == province.Money(
        2025, Decimal("1000000000"), Decimal("250000000"), Decimal("25.0")
    )


def test_the_national_view_sums_each_province(provinces: DistrictFixture) -> None:
    page = _page(provinces, username="pemantau_nasional", code=None)  # type: ignore[arg-type]
    rows = {r.code: r for r in page.rows}
    assert list(rows) == ["36", "35"]  # 36: 30%, 35: 9.09%
    assert _rounded(rows["35"].figure.stunting) == (9.0909, 6.9637, 11.7856)
    assert _rounded(rows["36"].figure.stunting) == (30.0, 18.0748, 45.43)
    assert rows["35"].provincial.verdict == "di_bawah"
    assert rows["36"].provincial.target_pct is None  # Banten set no path
    assert rows["35"].href == reverse("reports:province-dashboard", args=["35"])
    assert rows["35"].money.absorption_percent == Decimal("25.0")
    # 62 of 590 children in the nation.
    assert page.total.figure.stunting.numerator == 62
    assert page.total.figure.measured == 590


@pytest.mark.parametrize(
    ("username", "code", "status"),
    [
        ("bappeda_prov", "35", 200),
        ("bappeda_prov", "36", 404),  # another province
        ("bappeda_banten", "35", 404),
        ("bappeda_banten", "36", 200),
        ("pemantau_nasional", "35", 200),
        ("pemantau_nasional", "36", 200),
        ("pemantau_nasional", "99", 404),  # unknown
        ("pemantau_nasional", "35.10", 404),  # a kabupaten is not a province
        ("bappeda", "35", 403),
        ("bupati", "35", 403),
        ("dinkes", "35", 403),
        ("pkm_pesanggaran", "35", 403),
        ("kader_mawar", "35", 403),
        ("kpm_siliragung", "35", 403),
        ("tanpa_peran", "35", 403),
    ],
)
def test_who_opens_a_province(provinces: DistrictFixture, username: str, code: str, status: int) -> None:
    from convergence.models import User

    client = _client(User.objects.get(username=username))
    assert client.get(reverse("reports:province-dashboard", args=[code])).status_code == status
    assert client.get(reverse("province-dashboard", args=[code])).status_code == status


@pytest.mark.parametrize(
    ("username", "status", "codes"),
    [
        ("pemantau_nasional", 200, ["35", "36"]),
        ("bappeda_prov", 403, None),
        ("bappeda_banten", 403, None),
        ("bappeda", 403, None),
        ("kader_mawar", 403, None),
    ],
)
def test_who_opens_the_national_page_and_the_province_list(
    provinces: DistrictFixture, username: str, status: int, codes: list[str] | None
) -> None:
    from convergence.models import User

    client = _client(User.objects.get(username=username))
    assert client.get(reverse("reports:national-dashboard")).status_code == status
    listing = client.get(reverse("province-dashboard-list"))
    if codes is not None:
        assert [p["code"] for p in listing.json()] == codes
    elif username.startswith("bappeda_"):
        # The provincial role lists its own province only.
        assert listing.status_code == 200
    else:
        assert listing.status_code == 403


def test_the_provincial_role_lists_its_own_province(provinces: DistrictFixture) -> None:
    listing = _client(provinces.users["bappeda_provinsi"]).get(reverse("province-dashboard-list"))
    assert listing.status_code == 200
    assert listing.json() == [
        {
            "code": "35",
            "name": "JAWA TIMUR",
            "page_url": "/dasbor/provinsi/35/",
            "api_url": "/api/v1/province-dashboard/35/",
        }
    ]


def test_a_superuser_reads_every_province_and_the_nation(provinces: DistrictFixture) -> None:
    client = _client(UserFactory(username="root", is_superuser=True, is_staff=True))
    assert client.get(reverse("reports:province-dashboard", args=["36"])).status_code == 200
    assert client.get(reverse("reports:national-dashboard")).status_code == 200


def test_no_name_or_nik_reaches_the_page_or_the_api(provinces: DistrictFixture) -> None:
    d = provinces
    nik = "3510014105230001"
    child = ChildFactory(
        posyandu=d.posyandu_a1,
        birth_date=datetime.date(2023, 5, 1),
        name="Siti Rahmawati",
        mother_name="Dewi Lestari",
        address="Jl. Kenanga 7",
        nik_encrypted=pii.encrypt(nik),
        nik_hash=pii.nik_hash(nik),
    )
    client = _client(d.users["bappeda_provinsi"])
    page = client.get(reverse("reports:province-dashboard", args=["35"])).content.decode()
    api = client.get(reverse("province-dashboard", args=["35"])).content.decode()
    national = _client(d.users["nasional"]).get(reverse("reports:national-dashboard")).content.decode()
    for text in (page, api, national):
        for secret in (
            child.name,
            nik,
            child.mother_name,
            child.address,
            "Katering Sehat",
            d.desa_a1.name,
            d.posyandu_a1.name,
            "PMT lokal",
        ):
            assert secret
            assert secret not in text
    assert "BANYUWANGI" in page
    assert "BANYUWANGI" in api


def test_the_api_carries_the_same_figures(provinces: DistrictFixture) -> None:
    data = _client(provinces.users["bappeda_provinsi"]).get(reverse("province-dashboard", args=["35"])).json()
    assert data["provinsi"] == "35"
    assert data["period"]["month"] == "2025-08-01"
    assert data["period"]["complete"] is True
    total = data["total"]
    assert total["figure"]["stunting"] == {
        "numerator": 50, "denominator": 550, "pct": 9.09, "low": 6.96, "high": 11.79,
    }  # fmt: skip
    assert (total["figure"]["measured"], total["figure"]["registered"]) == (550, 700)
    assert total["money"] == {
        "year": 2025, "allocated": "1000000000", "disbursed": "250000000", "absorption_percent": "25.0"
    }  # fmt: skip
    first = data["rows"][0]
    assert (first["code"], first["rank"], first["name"]) == ("35.10", 1, "Kabupaten BANYUWANGI")
    assert first["provincial"] == {
        "target_pct": 18.0,
        "verdict": "belum_pasti",
        "label": "Belum pasti (SK 95% memuat target)",
    }
    assert first["national"]["verdict"] == "di_atas"
    assert first["grades"] == {"year": 2025, "a": 2, "b": 0, "c": 1, "d": 0}
    assert data["provincial_path"] == [{"year": 2024, "pct": 20.0}, {"year": 2026, "pct": 16.0}]


def test_a_recompute_shows_at_once_and_a_second_reader_costs_no_assembly(
    provinces: DistrictFixture, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks
) -> None:
    d = provinces
    client = _client(d.users["bappeda_provinsi"])
    url = reverse("reports:province-dashboard", args=["35"])
    assert 'data-total-stunting="9.09"' in client.get(url).content.decode()
    api_url = reverse("province-dashboard", args=["35"])
    assert client.get(api_url).json()["total"]["figure"]["stunting"]["numerator"] == 50
    assemblies: list[object] = []
    real = province._area_dashboard
    monkeypatch.setattr(province, "_area_dashboard", lambda **kw: assemblies.append(kw) or real(**kw))
    reader = _client(d.users["nasional"])
    reader.get(reverse("reports:province-dashboard", args=["35"]))
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url)
    assert again.status_code == 200
    assert assemblies == []  # every reader of the province shares one assembly
    # The session, the user, its province, the province asked for: nothing of the page itself.
    assert len(queries) == 4, [q["sql"] for q in queries.captured_queries]
    # Bondowoso's August recomputed from four children measured there, two of them stunted (pendek):
    # the province is now 32 of 154.
    for haz in (1, 1, 2, 2):
        child = ChildFactory(posyandu=d.other_posyandu, birth_date=datetime.date(2023, 5, 1))
        _measure(child, datetime.date(2025, 8, 12), haz)
    with django_capture_on_commit_callbacks(execute=True):
        prevalence_recompute(kabupaten=d.other_kabupaten, periods=periods_for_months([AUG]))
    assert 'data-total-stunting="20.78"' in client.get(url).content.decode()
    api = client.get(api_url).json()
    assert api["total"]["figure"]["stunting"]["numerator"] == 32
    assert api["total"]["figure"]["measured"] == 154


def test_the_assembly_takes_a_fixed_number_of_queries(provinces: DistrictFixture) -> None:
    from convergence.models import User

    user = User.objects.get(username="bappeda_prov")

    def assemble() -> int:
        with CaptureQueriesContext(connection) as queries:
            province._area_dashboard(
                user=user,
                kind="provinsi",
                code="35",
                name="x",
                requested=None,
                today=datetime.date(2025, 10, 5),
            )
        return len(queries)

    assemble()  # the reader's scope, read once per request
    before = assemble()
    # Ten more kabupaten with rows, grades and a map: not one query more.
    for n in range(20, 30):
        kab = RegionFactory(code=f"35.{n}", name=f"KAB {n}", level="kabupaten", parent=provinces.provinsi)
        _row(kab, AUG, registered=10, measured=10, haz_pendek=1, haz_normal=9)
        AssessmentGrade.objects.create(
            kabupaten=kab, year=2025, indicator_code="1.1", indicator_text="x", grade="B"
        )
    assert assemble() == before


def _square(code: str, lon: float, lat: float) -> dict:
    # Quarter degrees: exact in binary, so the expected outline is exact too.
    ring = [[lon, lat], [lon + 0.25, lat], [lon + 0.25, lat + 0.25], [lon, lat + 0.25], [lon, lat]]
    return {
        "type": "Feature",
        "properties": {"code": code, "name": code},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def test_the_map_serves_kabupaten_outlines_only_and_lists_those_without(provinces: DistrictFixture) -> None:
    d = provinces
    RegionMap.objects.create(
        kabupaten=d.kabupaten,
        geojson={"type": "FeatureCollection", "features": [
            _square(d.desa_a1.code, 114.0, -8.5), _square(d.desa_a2.code, 114.25, -8.5),
        ]},
        code_property="kode",
        feature_count=2,
    )  # fmt: skip
    client = _client(d.users["bappeda_provinsi"])
    page = province.area_dashboard(
        user=d.users["bappeda_provinsi"], code="35", requested_month=None, today=datetime.date(2025, 10, 5)
    )
    assert page.map is not None
    assert [u.code for u in page.map.unmapped] == ["35.11"]
    assert page.map.data()["units"]["35.10"]["href"] == "#kab-35-10"
    response = client.get(page.map.geometry_url)
    assert response.status_code == 200
    geometry = response.json()
    assert [f["properties"] for f in geometry["features"]] == [{"code": "35.10", "name": "BANYUWANGI"}]
    # The two desa squares dissolved into one outline: their shared edge is gone.
    assert geometry["features"][0]["geometry"] == {
        "type": "MultiPolygon",
        "coordinates": [
            [
                [
                    [114.0, -8.5],
                    [114.25, -8.5],
                    [114.5, -8.5],
                    [114.5, -8.25],
                    [114.25, -8.25],
                    [114.0, -8.25],
                    [114.0, -8.5],
                ]
            ]
        ],
    }
    assert d.desa_a1.code not in response.content.decode()
    # An old version is sent on; another province's user gets a 404.
    old = client.get(reverse("reports:province-map-geometry", args=["35", "0" * 20]))
    assert old.status_code == 302
    outsider = _client(UserFactory(username="prov_banten2", role=Role.BAPPEDA_PROVINSI,
                                   provinsi=Region.objects.get(code="36")))  # fmt: skip
    assert outsider.get(page.map.geometry_url).status_code == 404
    assert _client(d.users["bappeda_admin"]).get(page.map.geometry_url).status_code == 403


def test_the_table_sorts_by_name_coverage_and_absorption(provinces: DistrictFixture) -> None:
    page = _page(provinces)
    assert [r.code for r in province.sorted_rows(page.rows, "nama")] == ["35.10", "35.11"]
    assert [r.code for r in province.sorted_rows(page.rows, "cakupan")] == ["35.11", "35.10"]  # 80% > 75%
    assert [r.code for r in province.sorted_rows(page.rows, "serapan")] == ["35.10", "35.11"]
    html = (
        _client(provinces.users["bappeda_provinsi"]).get("/dasbor/provinsi/35/?urut=cakupan").content.decode()
    )
    assert html.index('data-area="35.11"') < html.index('data-area="35.10"')


def test_the_api_answers_its_documented_schema(provinces: DistrictFixture) -> None:
    from drf_spectacular.generators import SchemaGenerator
    from rest_framework.test import APIClient

    from convergence.models import User
    from tests.api.test_response_schemas import Checker

    checker = Checker(SchemaGenerator().get_schema(request=None, public=True))
    detail, listing = "/api/v1/province-dashboard/{code}/", "/api/v1/province-dashboard/"
    for username in ("bappeda_prov", "pemantau_nasional", "bappeda", "kader_mawar"):
        client = APIClient(HTTP_ACCEPT_LANGUAGE="id")
        client.force_authenticate(User.objects.get(username=username))
        for code in ("35", "36", "99"):
            checker.check(
                username,
                detail,
                detail.replace("{code}", code),
                client.get(f"/api/v1/province-dashboard/{code}/"),
            )
        checker.check(username, listing, listing, client.get(listing))
    # A province without any summary row (every figure null) answers its schema too.
    client = APIClient(HTTP_ACCEPT_LANGUAGE="id")
    client.force_authenticate(User.objects.get(username="pemantau_nasional"))
    PrevalenceSummary.objects.all().delete()
    checker.check(
        "nasional",
        detail,
        "/api/v1/province-dashboard/35/",
        client.get("/api/v1/province-dashboard/35/?period=2024-01"),
    )
    assert checker.mismatches == []
    # 200s: bappeda_prov 35 + list; the national role 35, 36 + list; and the empty province.
    assert checker.ok == 6


# --- grades and targets saved while the page is cached ----------------------------------------------


def _cell(html: str, area: str, attribute: str) -> str:
    """The `data-<attribute>` of the table row of `area` (a kabupaten or province code, or "total")."""
    found = re.search(rf'<tr data-area="{re.escape(area)}">.*?data-{attribute}="([^"]*)"', html, re.DOTALL)
    assert found is not None, (area, attribute)
    return found.group(1)


def _counting_assemblies(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    codes: list[str] = []
    real = province._area_dashboard
    monkeypatch.setattr(province, "_area_dashboard", lambda **kw: codes.append(kw["code"]) or real(**kw))
    return codes


def test_a_grade_saved_or_deleted_shows_at_once_and_only_its_province_assembles_again(
    provinces: DistrictFixture, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks
) -> None:
    d = provinces
    page = reverse("reports:province-dashboard", args=["35"])
    national = reverse("reports:national-dashboard")
    api = reverse("province-dashboard", args=["35"])
    client, reader = _client(d.users["bappeda_provinsi"]), _client(d.users["nasional"])
    # Bondowoso's latest grades are 2024's B and D; the province's, Banyuwangi's 2025 ones with them.
    assert _cell(client.get(page).content.decode(), "35.11", "grades") == "0/1/0/1"
    assert _cell(reader.get(national).content.decode(), "35", "grades") == "2/1/1/1"
    assert client.get(api).json()["rows"][1]["grades"] == {"year": 2024, "a": 0, "b": 1, "c": 0, "d": 1}
    assemblies = _counting_assemblies(monkeypatch)
    # Banten grades its own kabupaten: province 35's page is still the cached one.
    with django_capture_on_commit_callbacks(execute=True):
        assessment_grade_save(
            user=User.objects.get(username="bappeda_banten"),
            kabupaten=Region.objects.get(code="36.01"),
            year=2025,
            indicator_code="1.1",
            grade="B",
        )
    client.get(page)
    assert assemblies == []
    with django_capture_on_commit_callbacks(execute=True):
        grade = assessment_grade_save(
            user=d.users["bappeda_provinsi"],
            kabupaten=d.other_kabupaten,
            year=2025,
            indicator_code="1.1",
            grade="A",
        )
    assert _cell(client.get(page).content.decode(), "35.11", "grades") == "1/0/0/0"
    assert client.get(api).json()["rows"][1]["grades"] == {"year": 2025, "a": 1, "b": 0, "c": 0, "d": 0}
    assert _cell(reader.get(national).content.decode(), "35", "grades") == "3/0/1/0"
    assert assemblies == ["35", "nasional"]
    with django_capture_on_commit_callbacks(execute=True):
        grade.delete()
    assert _cell(client.get(page).content.decode(), "35.11", "grades") == "0/1/0/1"
    assert _cell(reader.get(national).content.decode(), "35", "grades") == "2/1/1/1"


def test_a_target_saved_on_its_page_shows_at_once_on_both_dashboards(
    provinces: DistrictFixture, django_capture_on_commit_callbacks
) -> None:
    d = provinces
    page = reverse("reports:province-dashboard", args=["35"])
    national = reverse("reports:national-dashboard")
    api = reverse("province-dashboard", args=["35"])
    client, reader = _client(d.users["bappeda_provinsi"]), _client(d.users["nasional"])
    # 2025 lies on the straight line between 20% (2024) and 16% (2026).
    assert _cell(client.get(page).content.decode(), "total", "target-pct") == "18.00"
    assert _cell(reader.get(national).content.decode(), "35", "target-pct") == "18.00"
    assert client.get(api).json()["provincial_path"] == [
        {"year": 2024, "pct": 20.0},
        {"year": 2026, "pct": 16.0},
    ]
    with django_capture_on_commit_callbacks(execute=True):
        saved = client.post(
            reverse("reports:province-targets", args=["35"]),
            {"year": "2025", "stunting_pct": "17,25", "source": "RPJMD"},
        )
    assert saved.status_code == 302
    assert _cell(client.get(page).content.decode(), "total", "target-pct") == "17.25"
    assert _cell(reader.get(national).content.decode(), "35", "target-pct") == "17.25"
    assert client.get(api).json()["provincial_path"] == [
        {"year": 2024, "pct": 20.0},
        {"year": 2025, "pct": 17.25},
        {"year": 2026, "pct": 16.0},
    ]


def test_a_target_deleted_in_the_admin_shows_at_once(
    provinces: DistrictFixture, django_capture_on_commit_callbacks
) -> None:
    d = provinces
    page = reverse("reports:province-dashboard", args=["35"])
    staff = UserFactory(
        username="bappeda_prov_staf", role=Role.BAPPEDA_PROVINSI, provinsi=d.provinsi, is_staff=True
    )
    client = _client(staff)
    assert _cell(client.get(page).content.decode(), "total", "target-pct") == "18.00"
    target = ProvincialTarget.objects.get(provinsi=d.provinsi, year=2024)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:reports_provincialtarget_delete", args=[target.pk]), {"post": "yes"}
        )
    assert response.status_code == 302
    assert list(ProvincialTarget.objects.values_list("year", flat=True)) == [2026]
    # Only 2026's 16% is left: the path is never extrapolated, so 2025 has no target.
    assert _cell(client.get(page).content.decode(), "total", "target-pct") == ""


def test_the_area_version_is_one_cache_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.cache import cache

    from reports import locks

    calls: list[tuple[str, object]] = []

    class Spy:
        def __getattr__(self, name: str) -> object:
            method = getattr(cache, name)
            return lambda *args, **kwargs: calls.append((name, args[0])) or method(*args, **kwargs)

    monkeypatch.setattr(locks, "cache", Spy())
    before = locks.area_versions(["35.10", "35.11", "36.01"])
    assert calls == [
        (
            "get_many",
            [
                "reports:summaries:35.10",
                "reports:summaries:35.11",
                "reports:summaries:36.01",
                "reports:province-figures:35",
                "reports:province-figures:36",
            ],
        )
    ]
    assert locks.area_versions(["35.10", "35.11", "36.01"]) == before
