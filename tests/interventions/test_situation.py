"""The Aksi 1 situation analysis: hand-checked kabupaten, page, API, Master Ansit workbook, command.

Kabupaten 35.10 in 2025 (reference day 31-12-2025):

SUMBERAGUNG (A1): Ani (pendek in March, normal in September: not stunted), Beni (sangat pendek and
gizi kurang in April, WHO-flagged in October: the April values count), Cici (pendek, gizi buruk), Dedi
(never measured). Registered 4, measured 3, TB/U sah 3, sangat pendek 1, pendek 1: 2 cases, 66.7 %.
Families 2, at risk 1 (50 %).
SILIRAGUNG (A2): Eka (pendek), Fajar (normal), Gita (pendek, measured in 2024 only: not measured),
Hadi (WHO-flagged only: measured, no valid TB/U). Registered 4, measured 3, TB/U sah 2, 1 case, 50 %.
Families 4, at risk 3 (75 %).
SAMBIMULYO (B1): Indra (normal), Joko (pendek, moved away after the measurement: a case of the year,
not registered). Registered 1, measured 1, TB/U sah 2, 1 case, 50 %. No family.
BONDOWOSO's stunted child never shows.

Indicators: IK17 (PANTAU, every balita) delivered to Ani, Beni, Eka, Indra (and Cici in 2024):
A1 2/4, A2 1/4, B1 1/1. IK24 (DAMPING, families at risk) delivered to A1's at-risk family: A1 1/1,
A2 0/3, B1 0/0 (no data). An intervention with no indicator (KELAS) feeds nothing.
Mean coverage A1 75, A2 12.5, B1 100: coverage gaps 25, 87.5, 0.

Normalised (min-max): prevalence A1 1, A2 0, B1 0; cases A1 1, A2 0, B1 0; coverage gap
A1 25/87.5, A2 1, B1 0; families at risk A1 0, A2 1, B1 unknown (0); measurement gap A1 1, A2 1, B1 0.
Default weights 0.4/0.3/0.2/0.1/0: A1 0.4 + 0.3 + 0.2 x 25/87.5 = 0.757143, A2 0.2 + 0.1 = 0.3, B1 0.
"""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from children.models import Child, Keluarga, Measurement
from convergence.models import DesaLokus, Posyandu, Region, Role, User
from interventions.models import Delivery, Indicator, Intervention, LokusWeights
from interventions.situation import situation_analysis
from tests.factories import (
    DistrictFixture,
    PosyanduFactory,
    PuskesmasFactory,
    RegionFactory,
    UserFactory,
)

TODAY = datetime.date(2026, 3, 1)
YEAR = 2025
A1, A2, B1 = "35.10.01.2001", "35.10.01.2002", "35.10.02.2001"


def _child(posyandu: Posyandu, name: str, birth: datetime.date, status: str = "aktif") -> Child:
    return Child.objects.create(
        name=name, sex="L", birth_date=birth, posyandu=posyandu, desa=posyandu.desa, status=status
    )


def _measure(child: Child, day: datetime.date, haz: int, whz: int = 2) -> None:
    Measurement.objects.create(
        child=child,
        posyandu=child.posyandu,
        measured_on=day,
        age_days=(day - child.birth_date).days,
        haz_category=haz,
        whz_category=whz,
    )


def _intervention(
    district: DistrictFixture, code: str, group: str, rule: str, indicator: str | None
) -> Intervention:
    return Intervention.objects.create(
        kabupaten=district.kabupaten,
        code=code,
        name=f"Intervensi {code}",
        kind="spesifik",
        target_group=group,
        opd=district.dinkes,
        unit="paket",
        eligibility_rule=rule,
        indicator=Indicator.objects.get(code=indicator) if indicator else None,
        valid_from=datetime.date(2024, 1, 1),
    )


def _deliver(intervention: Intervention, subject: Child | Keluarga, day: datetime.date) -> None:
    Delivery.objects.create(
        intervention=intervention,
        opd=intervention.opd,
        child=subject if isinstance(subject, Child) else None,
        keluarga=subject if isinstance(subject, Keluarga) else None,
        desa=subject.desa,
        delivered_on=day,
        quantity=Decimal(1),
        unit="paket",
    )


@pytest.fixture
def kabupaten(district: DistrictFixture) -> DistrictFixture:
    d = datetime.date
    a1, a1b, a2, b1 = (
        district.posyandu_a1,
        district.posyandu_a1_second,
        district.posyandu_a2,
        district.posyandu_b1,
    )
    ani = _child(a1, "Ani", d(2024, 1, 10))
    _measure(ani, d(2025, 3, 1), haz=1)
    _measure(ani, d(2025, 9, 1), haz=2)
    beni = _child(a1b, "Beni", d(2023, 5, 5))
    _measure(beni, d(2025, 4, 1), haz=0, whz=1)
    _measure(beni, d(2025, 10, 1), haz=-2, whz=-2)
    cici = _child(a1, "Cici", d(2022, 6, 1))
    _measure(cici, d(2025, 6, 1), haz=1, whz=0)
    _child(a1, "Dedi", d(2025, 2, 1))
    eka = _child(a2, "Eka", d(2024, 2, 2))
    _measure(eka, d(2025, 5, 5), haz=1)
    _measure(_child(a2, "Fajar", d(2024, 3, 3)), d(2025, 5, 5), haz=2)
    _measure(_child(a2, "Gita", d(2023, 1, 1)), d(2024, 12, 20), haz=1)
    _measure(_child(a2, "Hadi", d(2022, 1, 1)), d(2025, 2, 2), haz=-2)
    indra = _child(b1, "Indra", d(2024, 1, 1))
    _measure(indra, d(2025, 7, 7), haz=2)
    _measure(_child(b1, "Joko", d(2024, 1, 1), status="pindah"), d(2025, 3, 3), haz=1)
    _measure(_child(district.other_posyandu, "Luar", d(2024, 1, 1)), d(2025, 3, 3), haz=0)
    at_risk_a1 = Keluarga.objects.create(head_name="K1", desa=district.desa_a1, at_risk=True)
    Keluarga.objects.create(head_name="K2", desa=district.desa_a1)
    for i in range(3):
        Keluarga.objects.create(head_name=f"K3{i}", desa=district.desa_a2, at_risk=True)
    Keluarga.objects.create(head_name="K4", desa=district.desa_a2)
    pantau = _intervention(district, "PANTAU", "balita", "semua", "IK17")
    damping = _intervention(district, "DAMPING", "keluarga", "keluarga_berisiko", "IK24")
    kelas = _intervention(district, "KELAS", "balita", "semua", None)
    for child in (ani, beni, eka, indra):
        _deliver(pantau, child, d(2025, 8, 1))
    _deliver(pantau, cici, d(2024, 8, 1))
    _deliver(damping, at_risk_a1, d(2025, 8, 1))
    _deliver(kelas, cici, d(2025, 8, 1))
    return district


def _rows(analysis) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {row.desa.code: row for row in analysis.rows}


# --- the analysis -------------------------------------------------------------------------------------


def test_it_counts_prevalence_and_coverage_per_desa(kabupaten: DistrictFixture) -> None:
    analysis = situation_analysis(kabupaten=kabupaten.kabupaten, year=YEAR, today=TODAY)
    assert analysis.on == datetime.date(2025, 12, 31)
    rows = _rows(analysis)
    assert list(rows) == [A1, A2, B1]
    ik17, ik24 = Indicator.objects.get(code="IK17").pk, Indicator.objects.get(code="IK24").pk
    assert analysis.indicators_with_data == {ik17, ik24}
    facts = {
        code: (
            row.registered,
            row.measured,
            row.measurement_coverage,
            row.valid_haz,
            row.severely_stunted,
            row.stunted,
            row.stunting,
            row.prevalence,
            row.wasted,
            row.severely_wasted,
            row.families,
            row.families_at_risk,
            row.families_at_risk_share,
        )
        for code, row in rows.items()
    }
    assert facts == {
        A1: (4, 3, 75.0, 3, 1, 1, 2, 66.7, 1, 1, 2, 1, 50.0),
        A2: (4, 3, 75.0, 2, 0, 1, 1, 50.0, 0, 0, 4, 3, 75.0),
        B1: (1, 1, 100.0, 2, 0, 1, 1, 50.0, 0, 0, 0, 0, None),
    }
    coverage = {
        code: {key: (cell.numerator, cell.denominator, cell.percent) for key, cell in row.coverage.items()}
        for code, row in rows.items()
    }
    assert coverage == {
        A1: {ik17: (2, 4, 50.0), ik24: (1, 1, 100.0)},
        A2: {ik17: (1, 4, 25.0), ik24: (0, 3, 0.0)},
        B1: {ik17: (1, 1, 100.0), ik24: (0, 0, None)},
    }
    assert [rows[code].mean_coverage for code in (A1, A2, B1)] == [75.0, 12.5, 100.0]


def test_it_ranks_with_the_default_weights_when_bappeda_set_none(kabupaten: DistrictFixture) -> None:
    analysis = situation_analysis(kabupaten=kabupaten.kabupaten, year=YEAR, today=TODAY)
    assert analysis.weights.is_default is True
    assert analysis.weights.lokus_count == 10
    assert [(row.desa.code, round(row.score, 6), row.rank, row.recommended) for row in analysis.rows] == [
        (A1, 0.757143, 1, True),
        (A2, 0.3, 2, True),
        (B1, 0.0, 3, True),
    ]


def test_it_ranks_with_bappedas_weights_of_the_year(kabupaten: DistrictFixture) -> None:
    LokusWeights.objects.create(
        kabupaten=kabupaten.kabupaten,
        year=YEAR,
        weight_prevalence=Decimal("0"),
        weight_cases=Decimal("0"),
        weight_coverage_gap=Decimal("1"),
        weight_families_at_risk=Decimal("1"),
        weight_measurement_gap=Decimal("0"),
        lokus_count=1,
    )
    LokusWeights.objects.create(kabupaten=kabupaten.kabupaten, year=YEAR - 1, weight_cases=Decimal("5"))
    analysis = situation_analysis(kabupaten=kabupaten.kabupaten, year=YEAR, today=TODAY)
    assert analysis.weights.is_default is False
    # A2 1 + 1 = 2; A1 25/87.5 = 0.285714; B1 0.
    assert [(row.desa.code, round(row.score, 6), row.rank, row.recommended) for row in analysis.rows] == [
        (A2, 2.0, 1, True),
        (A1, 0.285714, 2, False),
        (B1, 0.0, 3, False),
    ]


def test_it_breaks_ties_by_cases_then_desa_code(kabupaten: DistrictFixture) -> None:
    # Families at risk only: A2 1; A1 and B1 both 0 (B1 unknown), A1 has more cases.
    LokusWeights.objects.create(
        kabupaten=kabupaten.kabupaten,
        year=YEAR,
        weight_prevalence=0,
        weight_cases=0,
        weight_coverage_gap=0,
        weight_families_at_risk=1,
        weight_measurement_gap=0,
    )
    analysis = situation_analysis(kabupaten=kabupaten.kabupaten, year=YEAR, today=TODAY)
    assert [(row.desa.code, row.score, row.rank) for row in analysis.rows] == [
        (A2, 1.0, 1),
        (A1, 0.0, 2),
        (B1, 0.0, 3),
    ]


def test_it_compares_with_the_lokus_of_the_year(kabupaten: DistrictFixture) -> None:
    LokusWeights.objects.create(kabupaten=kabupaten.kabupaten, year=YEAR, lokus_count=1)
    DesaLokus.objects.create(desa=kabupaten.desa_a2, year=YEAR)
    DesaLokus.objects.create(desa=kabupaten.desa_a1, year=YEAR)
    DesaLokus.objects.create(desa=kabupaten.desa_b1, year=YEAR - 1)
    analysis = situation_analysis(kabupaten=kabupaten.kabupaten, year=YEAR, today=TODAY)
    assert [row.desa.code for row in analysis.lokus_recommended] == [A1]
    assert [row.desa.code for row in analysis.lokus_not_recommended] == [A2]
    assert analysis.recommended_not_lokus == []


def test_flagged_values_stay_out_of_prevalence(kabupaten: DistrictFixture) -> None:
    beni = Child.objects.get(name="Beni")
    Measurement.objects.filter(child=beni).update(haz_category=-2, whz_category=-2)
    rows = _rows(situation_analysis(kabupaten=kabupaten.kabupaten, year=YEAR, today=TODAY))
    # Beni is still measured, but no longer in the prevalence: 1 case (Cici) of 2 valid.
    assert (rows[A1].measured, rows[A1].valid_haz, rows[A1].stunting, rows[A1].prevalence) == (3, 2, 1, 50.0)
    assert (rows[A1].wasted, rows[A1].severely_wasted) == (0, 1)


# --- the workbook and the command ---------------------------------------------------------------------


def _workbook(content: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(content))


def test_the_workbook_has_one_row_per_desa(kabupaten: DistrictFixture) -> None:
    from interventions.ansit import workbook_bytes

    book = _workbook(
        workbook_bytes(situation_analysis(kabupaten=kabupaten.kabupaten, year=YEAR, today=TODAY))
    )
    assert book.sheetnames == ["Data Desa", "Bobot dan Metode", "Indikator"]
    sheet = book["Data Desa"]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 4
    header = list(rows[0])
    assert header[:17] == [
        "Kode desa",
        "Desa/kelurahan",
        "Kecamatan",
        "Puskesmas",
        "Jumlah balita terdaftar",
        "Balita diukur",
        "Cakupan pengukuran (%)",
        "Balita dengan TB/U sah",
        "Sangat pendek",
        "Pendek",
        "Stunting (n)",
        "Prevalensi stunting (%)",
        "Gizi kurang",
        "Gizi buruk",
        "Jumlah keluarga",
        "Keluarga berisiko stunting",
        "Keluarga berisiko stunting (%)",
    ]
    assert header[17:20] == ["IK01 pembilang", "IK01 penyebut", "IK01 cakupan (%)"]
    assert len(header) == 17 + 29 * 3 + 5
    assert header[-5:] == [
        "Rata-rata cakupan indikator (%)",
        "Skor",
        "Peringkat",
        "Rekomendasi lokus",
        "Lokus (SK) tahun ini",
    ]
    a1 = dict(zip(header, rows[1], strict=True))
    assert list(rows[1][:17]) == [
        A1,
        "SUMBERAGUNG",
        "PESANGGARAN",
        "Pesanggaran",
        4,
        3,
        75,
        3,
        1,
        1,
        2,
        66.7,
        1,
        1,
        2,
        1,
        50,
    ]
    assert (a1["IK17 pembilang"], a1["IK17 penyebut"], a1["IK17 cakupan (%)"]) == (2, 4, 50)
    assert (a1["IK24 pembilang"], a1["IK24 penyebut"], a1["IK24 cakupan (%)"]) == (1, 1, 100)
    assert (a1["IK01 pembilang"], a1["IK01 penyebut"], a1["IK01 cakupan (%)"]) == ("-", "-", "-")
    assert list(rows[1][-5:]) == [75, 0.7571, 1, "Ya", "Tidak"]
    b1 = dict(zip(header, rows[3], strict=True))
    assert (b1["IK24 penyebut"], b1["IK24 cakupan (%)"], b1["Keluarga berisiko stunting (%)"]) == (
        0,
        "-",
        "-",
    )
    assert sheet.cell(row=1, column=18).comment is not None
    method = [row[0] for row in book["Bobot dan Metode"].iter_rows(values_only=True)]
    assert "Sumber bobot" in method
    assert book["Bobot dan Metode"]["B4"].value == "Bobot bawaan (belum ditetapkan Bappeda)"
    indicators = list(book["Indikator"].iter_rows(values_only=True))
    assert len(indicators) == 30
    assert indicators[17][0] == "IK17"
    assert indicators[17][6] == "Dihitung dari penyaluran intervensi"


def test_the_workbook_writes_names_as_string_cells_never_formulas(kabupaten: DistrictFixture) -> None:
    from interventions.ansit import workbook_bytes

    Region.objects.filter(code=A1).update(name='=HYPERLINK("http://x","y")')
    Region.objects.filter(code="35.10.01").update(name="@SUM(1+1)")
    book = _workbook(
        workbook_bytes(situation_analysis(kabupaten=kabupaten.kabupaten, year=YEAR, today=TODAY))
    )
    a1 = next(book["Data Desa"].iter_rows(min_row=2, max_row=2))
    assert [(cell.data_type, cell.value) for cell in a1[:5]] == [
        ("s", A1),
        ("s", '=HYPERLINK("http://x","y")'),
        ("s", "@SUM(1+1)"),
        ("s", "Pesanggaran"),
        ("n", 4),
    ]
    assert (a1[17].data_type, a1[17].value) == ("s", "-")  # no data: text, not a formula


def test_the_command_writes_the_workbook_and_prints_the_top(kabupaten: DistrictFixture, tmp_path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "ansit.xlsx"
    out = io.StringIO()
    call_command(
        "situation_analysis",
        "--year",
        str(YEAR),
        "-o",
        str(target),
        "--kabupaten",
        "35.10",
        "--top",
        "2",
        stdout=out,
    )
    lines = out.getvalue().splitlines()
    assert lines[0] == "Bobot bawaan dipakai: Bappeda belum menetapkan bobot tahun ini."
    assert lines[1] == "Desa lokus yang direkomendasikan, BANYUWANGI 2025:"
    assert lines[2].startswith(f"  1. {A1} SUMBERAGUNG: skor 0.7571, stunting 2, prevalensi 66.7%")
    assert lines[3].startswith(f"  2. {A2} SILIRAGUNG: skor 0.3000, stunting 1, prevalensi 50.0%")
    assert lines[4] == f"3 baris desa ditulis ke {target}."
    assert len(lines) == 5
    assert _workbook(target.read_bytes())["Data Desa"].max_row == 4


def test_the_command_wants_a_kabupaten_when_several_have_desa(kabupaten: DistrictFixture, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match="pilih satu dengan --kabupaten"):
        call_command("situation_analysis", "--year", str(YEAR), "-o", str(tmp_path / "x.xlsx"))
    with pytest.raises(CommandError, match=r"99\.99 tidak ditemukan"):
        call_command(
            "situation_analysis", "--year", str(YEAR), "-o", str(tmp_path / "x.xlsx"), "--kabupaten", "99.99"
        )
    assert not (tmp_path / "x.xlsx").exists()


# --- page and API, per role ---------------------------------------------------------------------------

# Desa rows each role sees: the ranking is kabupaten-wide, the rows follow the region scope.
VISIBLE = {
    "bappeda_admin": [A1, A2, B1],
    "pimpinan": [A1, A2, B1],
    "opd_officer": [A1, A2, B1],
    "puskesmas_officer": [A1, A2],
    "kader": [A1],
    "kpm": [A2],
}


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize("role", [*VISIBLE, "no_role"])
def test_the_page_and_api_show_each_role_its_desa(kabupaten: DistrictFixture, role: str) -> None:
    user = kabupaten.users[role]
    page = _client(user).get(reverse("interventions:situation-analysis", args=[YEAR]))
    api = _api(user).get("/api/v1/situation-analysis/", {"year": YEAR})
    xlsx = _client(user).get(reverse("interventions:situation-analysis-xlsx", args=[YEAR]))
    if role == "no_role":
        assert (page.status_code, api.status_code, xlsx.status_code) == (403, 403, 403)
        return
    assert (page.status_code, api.status_code, xlsx.status_code) == (200, 200, 200)
    html = page.content.decode()
    assert [code for code in (A1, A2, B1) if f'data-desa="{code}"' in html] == VISIBLE[role]
    assert "Bappeda belum menetapkan bobot untuk tahun 2025" in html
    assert "Ani" not in html
    body = api.json()
    assert [row["desa"] for row in body["rows"]] == VISIBLE[role]
    assert body["desa_count"] == 3
    ranks = {row["desa"]: row["rank"] for row in body["rows"]}
    assert ranks == {code: {A1: 1, A2: 2, B1: 3}[code] for code in VISIBLE[role]}
    sheet = _workbook(xlsx.content)["Data Desa"]
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == VISIBLE[role]
    assert xlsx["Content-Disposition"] == 'attachment; filename="master-ansit-35.10-2025.xlsx"'


def test_the_api_row_holds_counts_coverage_and_score(kabupaten: DistrictFixture) -> None:
    body = _api(kabupaten.users["bappeda_admin"]).get("/api/v1/situation-analysis/", {"year": YEAR}).json()
    assert body["weights"] == {
        "prevalence": 0.4,
        "cases": 0.3,
        "coverage_gap": 0.2,
        "families_at_risk": 0.1,
        "measurement_gap": 0.0,
        "lokus_count": 10,
        "is_default": True,
    }
    assert body["indicators_with_data"] == ["IK17", "IK24"]
    assert body["rows"][0] == {
        "desa": A1,
        "name": "SUMBERAGUNG",
        "kecamatan": "PESANGGARAN",
        "puskesmas": "Pesanggaran",
        "registered": 4,
        "measured": 3,
        "measurement_coverage": 75.0,
        "valid_haz": 3,
        "severely_stunted": 1,
        "stunted": 1,
        "stunting": 2,
        "prevalence": 66.7,
        "wasted": 1,
        "severely_wasted": 1,
        "families": 2,
        "families_at_risk": 1,
        "families_at_risk_share": 50.0,
        "coverage": {
            "IK17": {"numerator": 2, "denominator": 4, "percent": 50.0},
            "IK24": {"numerator": 1, "denominator": 1, "percent": 100.0},
        },
        "mean_coverage": 75.0,
        "score": 0.7571,
        "rank": 1,
        "recommended": True,
        "is_lokus": False,
    }


def test_the_page_redirects_to_the_current_year_and_refuses_odd_years(kabupaten: DistrictFixture) -> None:
    client = _client(kabupaten.users["bappeda_admin"])
    response = client.get(reverse("interventions:situation-current"))
    assert response.status_code == 302
    assert response["Location"].endswith(f"/analisis-situasi/{timezone.localdate().year}/")
    assert client.get("/analisis-situasi/1999/").status_code == 404
    api = _api(kabupaten.users["bappeda_admin"])
    assert api.get("/api/v1/situation-analysis/", {"year": 1999}).status_code == 400
    assert api.get("/api/v1/situation-analysis/").status_code == 400
    # Another kabupaten is not there for a district user.
    assert client.get("/analisis-situasi/2025/", {"kabupaten": "35.11"}).status_code == 404
    assert api.get("/api/v1/situation-analysis/", {"year": YEAR, "kabupaten": "35.11"}).status_code == 404


def test_a_login_is_required(kabupaten: DistrictFixture) -> None:
    response = Client().get(reverse("interventions:situation-analysis", args=[YEAR]))
    assert response.status_code == 302
    assert APIClient().get("/api/v1/situation-analysis/", {"year": YEAR}).status_code in (401, 403)


def test_a_superuser_picks_the_kabupaten(kabupaten: DistrictFixture) -> None:
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    body = _api(admin).get("/api/v1/situation-analysis/", {"year": YEAR, "kabupaten": "35.11"}).json()
    assert (body["kabupaten"], [row["desa"] for row in body["rows"]]) == ("35.11", ["35.11.01.2001"])
    assert body["rows"][0]["stunting"] == 1


# --- query count --------------------------------------------------------------------------------------


def _kabupaten_with(code: str, desa_count: int) -> User:
    provinsi = Region.objects.get(code="35")
    kab = RegionFactory(code=code, name=f"KAB {code}", level="kabupaten", parent=provinsi)
    kec = RegionFactory(code=f"{code}.01", name="KEC", level="kecamatan", parent=kab)
    puskesmas = PuskesmasFactory(kecamatan=kec)
    opd = Intervention._meta.get_field("opd").related_model.objects.create(
        kabupaten=kab, code="DINKES", name="Dinkes", short_name="Dinkes"
    )
    pantau = Intervention.objects.create(
        kabupaten=kab,
        code="PANTAU",
        name="Pantau",
        kind="spesifik",
        target_group="balita",
        opd=opd,
        unit="kali",
        indicator=Indicator.objects.get(code="IK17"),
        valid_from=datetime.date(2024, 1, 1),
    )
    for i in range(desa_count):
        desa = RegionFactory(code=f"{code}.01.{2001 + i}", level="desa", parent=kec, puskesmas=puskesmas)
        posyandu = PosyanduFactory(desa=desa)
        child = _child(posyandu, f"Anak {i}", datetime.date(2024, 1, 1))
        _measure(child, datetime.date(2025, 5, 1), haz=i % 3)
        Keluarga.objects.create(head_name=f"K{i}", desa=desa, at_risk=bool(i % 2))
        _deliver(pantau, child, datetime.date(2025, 6, 1))
        DesaLokus.objects.create(desa=desa, year=YEAR)
    return UserFactory(username=f"bappeda{code}", role=Role.BAPPEDA_ADMIN, kabupaten=kab)


def _queries(user: User) -> int:
    client = _client(user)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("interventions:situation-analysis", args=[YEAR])).status_code == 200
    return len(captured.captured_queries)


def test_the_page_query_count_does_not_grow_with_the_desa(district: DistrictFixture) -> None:
    small, large = _kabupaten_with("35.12", 2), _kabupaten_with("35.13", 4)
    assert _queries(small) == _queries(large)


def test_the_page_shows_the_weights_of_the_year_and_the_lokus_comparison(kabupaten: DistrictFixture) -> None:
    LokusWeights.objects.create(kabupaten=kabupaten.kabupaten, year=YEAR, lokus_count=1)
    DesaLokus.objects.create(desa=kabupaten.desa_a2, year=YEAR)
    html = (
        _client(kabupaten.users["pimpinan"])
        .get(reverse("interventions:situation-analysis", args=[YEAR]))
        .content.decode()
    )
    assert "Bappeda belum menetapkan bobot" not in html
    comparison = html[html.index('data-testid="lokus-comparison"') :]
    comparison = comparison[: comparison.index("</ul>")]
    assert "Lokus yang juga direkomendasikan: -</li>" in comparison
    assert "Lokus yang tidak direkomendasikan: SILIRAGUNG</li>" in comparison
    assert "Direkomendasikan tetapi belum lokus: SUMBERAGUNG</li>" in comparison
    assert "IK01 Remaja putri yang mengonsumsi tablet tambah darah" in html
    assert "- (belum ada data di sistem)" in html
