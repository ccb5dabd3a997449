"""Honest defaults: the latest complete month, units with too few children apart, targets beside the
headline, the bupati's first screen, on the pages, the API and the public page."""

from __future__ import annotations

import datetime
from decimal import Decimal

import numpy as np
import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from convergence.navigation import menu_for_user
from reports import compute, dashboard, views_dashboard
from reports.models import DashboardRule, PrevalenceSummary, TargetRule
from reports.selectors import figure_of, latest_complete_month
from tests.factories import PASSWORD, DistrictFixture
from tests.problems import field_errors

Row = PrevalenceSummary
SEP, OCT, NOV, DEC = (datetime.date(2026, m, 1) for m in (9, 10, 11, 12))
REGISTERED = 10369
# The district of the issue: November 76.5% measured, December (five days old) 2.6%.
MEASURED = {SEP: 7260, OCT: 7570, NOV: 7932, DEC: 268}


def _month(number: int) -> int:
    """2026-`number` as compute.latest_complete counts months."""
    return 2026 * 12 + number - 1


# --- compute.latest_complete (pure) --------------------------------------------------------------------


def test_it_steps_back_over_incomplete_months() -> None:
    found = compute.latest_complete(
        np.array([_month(9), _month(10), _month(11), _month(12)]),
        np.array([7260, 7570, 7932, 268]),
        np.array([REGISTERED] * 4),
        share_of_best_pct=60.0,
    )
    assert (found.index, found.complete) == (2, True)
    assert found.threshold_pct == pytest.approx(0.6 * 100 * 7932 / REGISTERED)


def test_it_takes_the_best_coverage_of_the_last_twelve_months_only() -> None:
    # January 2025 (100%) is more than 12 months before December 2026: the best is November's 50%.
    months = np.array([2025 * 12, _month(11), _month(12)])
    found = compute.latest_complete(
        months, np.array([100, 50, 31]), np.array([100, 100, 100]), share_of_best_pct=60.0
    )
    assert (found.index, found.complete, found.threshold_pct) == (2, True, 30.0)


def test_an_absolute_floor_may_leave_no_month_complete() -> None:
    found = compute.latest_complete(
        np.array([_month(10), _month(11), _month(12)]),
        np.array([70, 76, 3]),
        np.array([100, 100, 100]),
        share_of_best_pct=60.0,
        min_coverage_pct=80.0,
    )
    assert (found.index, found.complete, found.threshold_pct) == (2, False, 80.0)


def test_it_skips_trailing_months_without_any_child_measured() -> None:
    found = compute.latest_complete(
        np.array([_month(10), _month(11), _month(12)]),
        np.array([70, 76, 0]),
        np.array([100, 100, 100]),
        share_of_best_pct=60.0,
    )
    assert (found.index, found.complete) == (1, True)


def test_no_month_with_data_gives_no_month() -> None:
    found = compute.latest_complete(
        np.array([_month(12)]), np.array([0]), np.array([100]), share_of_best_pct=60.0
    )
    assert (found.index, found.complete, found.threshold_pct) == (None, False, None)


# --- the selector -------------------------------------------------------------------------------------


def _summary(level: str, region, period: datetime.date, measured: int, stunted: int, registered: int) -> Row:  # type: ignore[no-untyped-def]
    return Row.objects.create(
        level=level,
        region=region,
        period_kind=Row.PeriodKind.MONTH,
        period=period,
        registered=registered,
        measured=measured,
        haz_pendek=stunted,
        haz_normal=measured - stunted,
        whz_gizi_baik=measured,
        waz_normal=measured,
    )


@pytest.fixture
def weighing(district: DistrictFixture) -> DistrictFixture:
    """Kabupaten months September to December 2026; kecamatan A with 12 children measured in November,
    kecamatan B with 3 (2 stunted: 66.67%, the issue's "first" kecamatan); December 268 of 10369."""
    d = district
    for month, measured in MEASURED.items():
        _summary(Row.Level.KABUPATEN, d.kabupaten, month, measured, measured // 5, REGISTERED)
    _summary(Row.Level.KECAMATAN, d.kecamatan_a, NOV, 12, 3, 20)
    _summary(Row.Level.KECAMATAN, d.kecamatan_b, NOV, 3, 2, 30)
    _summary(Row.Level.KECAMATAN, d.kecamatan_a, DEC, 2, 2, 20)
    return d


def test_the_selector_opens_on_the_latest_complete_month(weighing: DistrictFixture) -> None:
    choice = latest_complete_month(kabupaten=weighing.kabupaten)
    assert (choice.month, choice.complete, choice.latest_complete) == (NOV, True, NOV)
    assert (choice.measured, choice.registered) == (7932, REGISTERED)


def test_a_chosen_incomplete_month_says_so_with_its_coverage(weighing: DistrictFixture) -> None:
    choice = latest_complete_month(kabupaten=weighing.kabupaten, requested=DEC)
    assert (choice.month, choice.complete, choice.latest_complete) == (DEC, False, NOV)
    assert choice.incomplete_months == frozenset({DEC})
    assert round(choice.coverage_pct or 0, 1) == 2.6


def test_the_threshold_is_the_districts(weighing: DistrictFixture) -> None:
    d = weighing
    DashboardRule.objects.create(kabupaten=d.kabupaten, complete_share_of_best_pct=Decimal("3.00"))
    assert latest_complete_month(kabupaten=d.kabupaten).month == DEC
    # Another district's rule changes nothing here.
    DashboardRule.objects.filter(kabupaten=d.kabupaten).delete()
    DashboardRule.objects.create(kabupaten=d.other_kabupaten, complete_share_of_best_pct=Decimal("1.00"))
    assert latest_complete_month(kabupaten=d.kabupaten).month == NOV


def test_without_a_complete_month_it_shows_the_latest_with_data_labelled(weighing: DistrictFixture) -> None:
    d = weighing
    DashboardRule.objects.create(kabupaten=d.kabupaten, complete_min_coverage_pct=Decimal("90.00"))
    choice = latest_complete_month(kabupaten=d.kabupaten)
    assert (choice.month, choice.complete, choice.latest_complete, choice.threshold_pct) == (
        DEC,
        False,
        None,
        90.0,
    )
    html = _client(d.users["pimpinan"]).get(reverse("reports:dashboard")).content.decode()
    assert 'data-period-incomplete="2026-12"' in html
    assert "Belum ada bulan yang lengkap; ditampilkan bulan terakhir yang berisi data." in html


# --- the dashboard page -------------------------------------------------------------------------------


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_the_dashboard_opens_on_the_latest_complete_month(weighing: DistrictFixture) -> None:
    response = _client(weighing.users["pimpinan"]).get(reverse("reports:dashboard"))
    page = response.context["page"]
    assert (page.month, page.period.complete) == (NOV, True)
    html = response.content.decode()
    assert 'data-period-complete="2026-11"' in html
    assert "Periode November 2026 lengkap: diukur 76,5% (7.932 dari 10.369 balita terdaftar)." in html
    assert "data-period-incomplete" not in html


def test_a_chosen_incomplete_month_is_labelled_with_its_coverage(weighing: DistrictFixture) -> None:
    response = _client(weighing.users["bappeda_admin"]).get(
        reverse("reports:dashboard"), {"periode": "2026-12"}
    )
    assert response.context["page"].month == DEC
    html = response.content.decode()
    assert 'data-period-incomplete="2026-12"' in html
    assert "Periode belum lengkap: diukur 2,6%" in html
    assert "Periode lengkap terakhir: November 2026." in html
    assert '<option value="2026-12" selected>Desember 2026 (belum lengkap)</option>' in html
    assert '<option value="2026-11">November 2026</option>' in html


def test_the_region_page_opens_on_the_districts_complete_month(weighing: DistrictFixture) -> None:
    d = weighing
    client = _client(d.users["bappeda_admin"])
    response = client.get(reverse("reports:region-dashboard", args=[d.kecamatan_a.code]))
    assert (response.context["page"].month, response.context["page"].period.complete) == (NOV, True)
    chosen = client.get(
        reverse("reports:region-dashboard", args=[d.kecamatan_a.code]), {"periode": "2026-12"}
    )
    assert chosen.context["page"].month == DEC
    assert 'data-period-incomplete="2026-12"' in chosen.content.decode()


def test_units_with_too_few_children_are_listed_apart(weighing: DistrictFixture) -> None:
    d = weighing
    response = _client(d.users["pimpinan"]).get(reverse("reports:dashboard"))
    ranking = response.context["page"].kecamatan_ranking
    assert [r.code for r in ranking.ranked] == [d.kecamatan_a.code]
    assert [r.code for r in ranking.insufficient] == [d.kecamatan_b.code]
    assert ranking.min_measured == 10
    html = response.content.decode()
    assert "Data belum cukup (kurang dari 10 balita diukur): 1 wilayah tidak diperingkat" in html
    # Every desa has no figure in November: none is ranked, all three are listed apart.
    assert [r.code for r in response.context["page"].desa_ranking.insufficient] == [
        d.desa_a1.code,
        d.desa_a2.code,
        d.desa_b1.code,
    ]


def test_the_minimum_to_rank_is_the_districts(weighing: DistrictFixture) -> None:
    d = weighing
    DashboardRule.objects.create(kabupaten=d.kabupaten, min_measured_to_rank=3)
    ranking = _client(d.users["pimpinan"]).get(reverse("reports:dashboard")).context["page"].kecamatan_ranking
    assert [r.code for r in ranking.ranked] == [d.kecamatan_b.code, d.kecamatan_a.code]
    assert ranking.insufficient == []


def _rank_row(code: str, stunted: int, measured: int) -> dashboard.RankRow:
    row = Row(
        level=Row.Level.DESA, period=NOV, measured=measured, haz_pendek=stunted, haz_normal=measured - stunted
    )
    return dashboard.RankRow(name=code, code=code, figure=figure_of(row), css="")


def test_the_ranking_shows_the_top_and_bottom_ten_of_a_long_list() -> None:
    rows = [_rank_row(f"35.10.01.{2001 + i}", stunted=25 - i, measured=50) for i in range(25)]
    rows.append(_rank_row("35.10.01.2100", stunted=5, measured=9))
    ranking = dashboard.ranking_split(rows, level="desa", min_measured=10)
    assert ranking.is_cut
    assert [r.code for r in ranking.top] == [f"35.10.01.{2001 + i}" for i in range(10)]
    assert [r.code for r in ranking.bottom] == [f"35.10.01.{2001 + i}" for i in range(15, 25)]
    assert ranking.bottom_start == 15
    assert [r.code for r in ranking.insufficient] == ["35.10.01.2100"]


def test_a_short_ranking_is_shown_whole() -> None:
    rows = [_rank_row(f"35.10.01.{2001 + i}", stunted=20 - i, measured=50) for i in range(20)]
    ranking = dashboard.ranking_split(rows, level="desa", min_measured=10)
    assert (ranking.is_cut, len(ranking.top), ranking.bottom) == (False, 20, [])


def test_the_targets_stand_beside_the_headline(weighing: DistrictFixture) -> None:
    d = weighing
    TargetRule.objects.create(kabupaten=d.kabupaten, target_year=2029, target_pct=Decimal("12.50"))
    response = _client(d.users["pimpinan"]).get(reverse("reports:dashboard"))
    targets = response.context["page"].targets
    # No year row in 2026 for a district path: the regulation's own target; the national path's 2029.
    assert (targets.district_year, targets.district_pct) == (2029, 12.5)
    assert (targets.national_year, targets.national_pct) == (2029, 14.2)
    html = response.content.decode()
    assert (
        '<div data-target="district" data-pct="12.50"><dt>Target daerah 2029</dt><dd>12,50%</dd></div>'
        in html
    )
    assert (
        '<div data-target="national" data-pct="14.20"><dt>Target nasional 2029 (RPJMN)</dt><dd>14,20%</dd></div>'
        in html
    )


def test_the_trend_marks_incomplete_months(weighing: DistrictFixture) -> None:
    data = _client(weighing.users["pimpinan"]).get(reverse("reports:dashboard")).context["data"]
    assert [(m["month"], m["complete"]) for m in data["trend"]["months"]] == [
        ("2026-09", True),
        ("2026-10", True),
        ("2026-11", True),
        ("2026-12", False),
    ]


# --- the full ranking page ----------------------------------------------------------------------------


@pytest.fixture
def desa_rows(weighing: DistrictFixture) -> DistrictFixture:
    d = weighing
    for desa, stunted in ((d.desa_a1, 6), (d.desa_a2, 2), (d.desa_b1, 4)):
        _summary(Row.Level.DESA, desa, NOV, 20, stunted, 25)
    return d


def test_the_full_ranking_is_paged(desa_rows: DistrictFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    d = desa_rows
    monkeypatch.setattr(views_dashboard, "RANKING_PAGE_SIZE", 2)
    client = _client(d.users["bappeda_admin"])
    first = client.get(reverse("reports:ranking"), {"tingkat": "desa"})
    assert first.context["page"].month == NOV
    assert [r.code for r in first.context["rows"].object_list] == [d.desa_a1.code, d.desa_b1.code]
    second = client.get(reverse("reports:ranking"), {"tingkat": "desa", "periode": "2026-11", "halaman": 2})
    assert [r.code for r in second.context["rows"].object_list] == [d.desa_a2.code]
    html = second.content.decode()
    assert f'<tr data-unit="{d.desa_a2.code}" data-pct="10.00">\n    <td>3</td>' in html
    assert "?tingkat=desa&amp;periode=2026-11&amp;halaman=1" in html


def test_the_dashboard_links_to_the_full_ranking(desa_rows: DistrictFixture) -> None:
    html = _client(desa_rows.users["pimpinan"]).get(reverse("reports:dashboard")).content.decode()
    assert 'href="/dasbor/peringkat/?tingkat=desa&amp;periode=2026-11" data-full-ranking="desa"' in html
    assert "Lihat peringkat lengkap (3 wilayah diperingkat)" in html


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
def test_the_full_ranking_is_for_the_district_head_and_bappeda(
    desa_rows: DistrictFixture, role: str, status: int
) -> None:
    response = _client(desa_rows.users[role]).get(reverse("reports:ranking"), {"tingkat": "kecamatan"})
    assert response.status_code == status


def test_the_full_ranking_refuses_another_level(desa_rows: DistrictFixture) -> None:
    response = _client(desa_rows.users["pimpinan"]).get(reverse("reports:ranking"), {"tingkat": "posyandu"})
    assert response.status_code == 404


# --- the API ------------------------------------------------------------------------------------------


def _api(user) -> APIClient:  # type: ignore[no-untyped-def]
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_the_api_defaults_to_the_latest_complete_month(weighing: DistrictFixture) -> None:
    d = weighing
    body = _api(d.users["pimpinan"]).get("/api/v1/dashboard/").json()
    assert body["period"] == {
        "month": "2026-11-01",
        "measured": 7932,
        "registered": REGISTERED,
        "coverage_pct": 76.5,
        "complete": True,
        "threshold_pct": 45.9,
        "latest_complete": "2026-11-01",
    }
    assert body["stunting_pct"] == round(100 * (7932 // 5) / 7932, 2)
    assert body["kecamatan_ranking"]["min_measured"] == 10
    assert [u["code"] for u in body["kecamatan_ranking"]["ranked"]] == [d.kecamatan_a.code]
    assert [u["code"] for u in body["kecamatan_ranking"]["insufficient"]] == [d.kecamatan_b.code]
    assert body["kabupaten"] == d.kabupaten.code


def test_the_api_reads_a_chosen_incomplete_month(weighing: DistrictFixture) -> None:
    body = _api(weighing.users["bappeda_admin"]).get("/api/v1/dashboard/", {"period": "2026-12"}).json()
    assert (body["period"]["month"], body["period"]["complete"], body["period"]["coverage_pct"]) == (
        "2026-12-01",
        False,
        2.58,
    )


@pytest.mark.parametrize("role", ["opd_officer", "puskesmas_officer", "kader", "kpm", "no_role"])
def test_the_api_dashboard_is_refused_to_other_roles(weighing: DistrictFixture, role: str) -> None:
    response = _api(weighing.users[role]).get("/api/v1/dashboard/")
    assert response.status_code == 403
    assert field_errors(response) == {}


def test_the_api_refuses_a_malformed_period(weighing: DistrictFixture) -> None:
    response = _api(weighing.users["pimpinan"]).get("/api/v1/dashboard/", {"period": "12-2026"})
    assert response.status_code == 400
    assert list(field_errors(response)) == ["period"]


# --- the bupati's first screen ------------------------------------------------------------------------


def test_the_bupati_lands_on_his_dashboard(weighing: DistrictFixture) -> None:
    response = _client(weighing.users["pimpinan"]).get("/")
    assert (response.status_code, response["Location"]) == (302, reverse("reports:dashboard"))


def test_the_bupati_lands_there_after_login(weighing: DistrictFixture) -> None:
    response = Client().post(
        reverse("login"), {"username": weighing.users["pimpinan"].username, "password": PASSWORD}, follow=True
    )
    assert [url for url, _status in response.redirect_chain] == ["/", reverse("reports:dashboard")]


@pytest.mark.parametrize("role", ["bappeda_admin", "opd_officer"])
def test_other_roles_keep_their_home_page(weighing: DistrictFixture, role: str) -> None:
    assert _client(weighing.users[role]).get("/").status_code == 200


@pytest.mark.parametrize(
    ("role", "second"),
    [("pimpinan", "Dasbor pimpinan"), ("bappeda_admin", "Dasbor pimpinan"), ("kader", "Hari posyandu")],
)
def test_the_dashboard_heads_the_menu(weighing: DistrictFixture, role: str, second: str) -> None:
    assert [str(item.label) for item in menu_for_user(weighing.users[role])][:2] == ["Beranda", second]


# --- the public page ----------------------------------------------------------------------------------


@pytest.fixture
def published(weighing: DistrictFixture) -> DistrictFixture:
    d = weighing
    for year, measured in ((2025, 9000), (2026, 9500)):
        Row.objects.create(
            level=Row.Level.KABUPATEN,
            region=d.kabupaten,
            period_kind=Row.PeriodKind.YEAR,
            period=datetime.date(year, 1, 1),
            registered=REGISTERED,
            measured=measured,
            haz_pendek=measured // 5,
            haz_normal=measured - measured // 5,
        )
    return d


def test_the_public_page_opens_on_the_latest_complete_year(published: DistrictFixture) -> None:
    response = Client().get(reverse("reports:publication-index"))
    assert response["Location"] == reverse("reports:publication", args=[published.kabupaten.code, 2025])
    html = Client().get(response["Location"]).content.decode()
    assert 'data-period-complete="2025"' in html
    assert "Target nasional 2029 (RPJMN): 14,20%." in html


def test_the_public_page_labels_the_running_year(published: DistrictFixture) -> None:
    html = (
        Client().get(reverse("reports:publication", args=[published.kabupaten.code, 2026])).content.decode()
    )
    assert 'data-period-incomplete="2026"' in html
    assert "Periode belum lengkap: diukur 91,6%" in html
    assert "Periode lengkap terakhir: November 2026." in html
