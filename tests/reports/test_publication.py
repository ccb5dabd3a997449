"""The public Aksi 7 publication (page, PDF, .xlsx) and the Aksi 8 performance review."""

from __future__ import annotations

import datetime
import io
import re
import zlib
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from convergence.models import Puskesmas, Region
from interventions.models import BudgetLine, Delivery, Disbursement, Indicator, IndicatorTarget, Intervention
from reports import pdf
from reports.models import PrevalenceSummary, SurveyFigure, TargetRule
from reports.publication import publication
from tests.factories import ChildFactory

Row = PrevalenceSummary
Y2024, Y2025 = datetime.date(2024, 1, 1), datetime.date(2025, 1, 1)


def _row(level: str, region, period: datetime.date, measured: int, stunted: int, **extra) -> Row:
    """A year row: `stunted` pendek, the rest normal; wasting/underweight as given (default 1 each)."""
    wasted, underweight = extra.pop("wasted", 1), extra.pop("underweight", 1)
    return Row.objects.create(
        level=level,
        region=region,
        period_kind="Y",
        period=period,
        registered=measured + 2,
        measured=measured,
        haz_pendek=stunted,
        haz_normal=measured - stunted,
        whz_gizi_kurang=wasted,
        whz_gizi_baik=measured - wasted,
        waz_kurang=underweight,
        waz_normal=measured - underweight,
        **extra,
    )


@pytest.fixture
def published(district):
    """2025: desa A1 has 3 children measured (suppressed), A2 20 (suppressed with it), B1 40."""
    d = district
    _row("desa", d.desa_a1, Y2025, 3, 1)
    _row("desa", d.desa_a2, Y2025, 20, 4)
    _row("desa", d.desa_b1, Y2025, 40, 8, wasted=3, underweight=5)
    _row("kabupaten", d.kabupaten, Y2025, 63, 13, wasted=5, underweight=7)
    _row("kabupaten", d.kabupaten, Y2024, 50, 12)
    Row.objects.create(
        level="posyandu", region=d.desa_a1, posyandu=d.posyandu_a1, period_kind="Y", period=Y2025, measured=3
    )
    _row("kabupaten", d.other_kabupaten, Y2025, 77, 30)
    TargetRule.objects.create(kabupaten=d.kabupaten, regulation="Perbup 68/2020", baseline_year=2024)
    SurveyFigure.objects.create(region=d.kabupaten, year=2024, source="SSGI", stunting_pct=Decimal("18.10"))
    ChildFactory(
        posyandu=d.posyandu_a1, name="Budi Rahasia", nik_hash="", birth_date=datetime.date(2023, 1, 1)
    )
    return d


def _url(name: str, d, year: int = 2025) -> str:
    return reverse(f"reports:{name}", kwargs={"code": d.kabupaten.code, "year": year})


def test_it_suppresses_the_small_desa_and_its_neighbour_and_keeps_the_totals(published) -> None:
    d = published
    item = publication(kabupaten=d.kabupaten, year=2025)
    assert [(c.name, c.shown()) for c in item.desa] == [
        ("SUMBERAGUNG", ["*", "*", None, "*", None, "*", None]),
        ("SILIRAGUNG", ["*", "*", None, "*", None, "*", None]),
        ("SAMBIMULYO", [40, 8, 20.0, 3, 7.5, 5, 12.5]),
    ]
    assert [(c.name, c.shown()) for c in item.puskesmas] == [
        ("Bangorejo", [40, 8, 20.0, 3, 7.5, 5, 12.5]),
        ("Pesanggaran", [23, 5, 21.74, 2, 8.7, 2, 8.7]),
    ]
    assert item.total.shown() == [63, 13, 20.63, 5, 7.94, 7, 11.11]
    assert item.suppressed_count == 2
    assert [(r.year, r.target.status, r.target.target_pct) for r in item.targets] == [
        (2024, "", 24.0),
        (2025, "Turun", 23.0),
    ]


def test_the_page_needs_no_login_and_shows_the_suppressed_cells(published) -> None:
    d = published
    response = Client().get(_url("publication", d))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-code="{d.desa_a1.code}" data-suppressed' in html
    assert f'data-code="{d.desa_a2.code}" data-suppressed' in html
    assert f'data-code="{d.desa_b1.code}">' in html
    assert "20,00%" in html  # SAMBIMULYO's stunting
    assert "Data rutin posyandu (penimbangan), dihitung aplikasi ini" in html
    assert "01-01-2025" in html
    assert "31-12-2025" in html
    assert "SSGI" in html
    assert "Survei (dikutip dari laporan resmi survei" in html


def test_the_page_shows_no_personal_data_nor_anything_below_desa(published) -> None:
    html = Client().get(_url("publication", published)).content.decode()
    for private in ("Budi Rahasia", "Mawar", "Melati", "Anggrek", "Kenanga", "NIK:", "BONDOWOSO"):
        assert private not in html


def test_the_index_goes_to_the_latest_year_of_the_only_kabupaten(published) -> None:
    Row.objects.filter(region=published.other_kabupaten).delete()
    response = Client().get(reverse("reports:publication-index"))
    assert response.status_code == 302
    assert response["Location"] == _url("publication", published)


def test_the_index_lists_several_kabupaten(published) -> None:
    response = Client().get(reverse("reports:publication-index"))
    assert response.status_code == 200
    assert [name for name in ("BANYUWANGI", "BONDOWOSO") if name in response.content.decode()] == [
        "BANYUWANGI",
        "BONDOWOSO",
    ]


@pytest.mark.parametrize(("code", "year"), [("35.10", 2023), ("35.99", 2025), ("35.10.01", 2025)])
def test_an_unpublished_kabupaten_or_year_is_404(published, code, year) -> None:
    response = Client().get(reverse("reports:publication", kwargs={"code": code, "year": year}))
    assert response.status_code == 404


def _pdf_text(content: bytes) -> str:
    """The text of every (Flate-compressed or plain) content stream of a PDF."""
    parts = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S):
        try:
            parts.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            parts.append(stream.decode("latin-1"))
    return "".join(parts)


def test_the_pdf_is_a_pdf_with_the_suppressed_table(published) -> None:
    response = Client().get(_url("publication-pdf", published))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="publikasi-stunting-35.10-2025.pdf"'
    content = response.content
    assert content.startswith(b"%PDF-")
    assert content.rstrip().endswith(b"%%EOF")
    text = _pdf_text(content)
    for expected in ("SAMBIMULYO", "SUMBERAGUNG", "Pesanggaran", "(*)", "(20,00)", "(63)", "BANYUWANGI"):
        assert expected in text
    assert "(23)" in text  # the Pesanggaran area total is published
    assert "(20)" not in text  # SILIRAGUNG's measured count is not
    assert "Mawar" not in text


def test_the_xlsx_holds_the_same_suppressed_table(published) -> None:
    response = Client().get(_url("publication-xlsx", published))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Per desa", "Per puskesmas", "Target", "Keterangan"]
    rows = [list(r) for r in book["Per desa"].iter_rows(values_only=True)]
    assert rows == [
        [
            "Kode wilayah",
            "Desa/kelurahan",
            "Wilayah puskesmas",
            "Balita diukur",
            "Stunting (n)",
            "Stunting (%)",
            "Wasting (n)",
            "Wasting (%)",
            "Underweight (n)",
            "Underweight (%)",
        ],
        ["35.10.01.2001", "SUMBERAGUNG", "Pesanggaran", "*", "*", None, "*", None, "*", None],
        ["35.10.01.2002", "SILIRAGUNG", "Pesanggaran", "*", "*", None, "*", None, "*", None],
        ["35.10.02.2001", "SAMBIMULYO", "Bangorejo", 40, 8, 20.0, 3, 7.5, 5, 12.5],
        ["35.10", "BANYUWANGI", None, 63, 13, 20.63, 5, 7.94, 7, 11.11],
    ]
    areas = [list(r) for r in book["Per puskesmas"].iter_rows(values_only=True)][1:]
    assert areas == [
        ["Bangorejo", 40, 8, 20.0, 3, 7.5, 5, 12.5],
        ["Pesanggaran", 23, 5, 21.74, 2, 8.7, 2, 8.7],
        ["BANYUWANGI", 63, 13, 20.63, 5, 7.94, 7, 11.11],
    ]


def test_the_xlsx_writes_region_names_as_string_cells_never_formulas(published) -> None:
    Region.objects.filter(pk=published.desa_b1.pk).update(name='=HYPERLINK("http://x","y")')
    Puskesmas.objects.filter(pk=published.puskesmas_b.pk).update(name="+cmd")
    response = Client().get(_url("publication-xlsx", published))
    sheet = load_workbook(io.BytesIO(response.content))["Per desa"]
    b1 = next(row for row in sheet.iter_rows(min_row=2) if row[0].value == "35.10.02.2001")
    assert [(cell.data_type, cell.value) for cell in b1[:5]] == [
        ("s", "35.10.02.2001"),
        ("s", '=HYPERLINK("http://x","y")'),
        ("s", "+cmd"),
        ("n", 40),
        ("n", 8),
    ]


# --- Aksi 8 performance review -------------------------------------------------------------------


@pytest.fixture
def reviewed(published):
    d = published
    indicator = Indicator.objects.create(
        code="IND17", name="Balita dipantau", kind="spesifik", target_group="balita"
    )
    IndicatorTarget.objects.create(indicator=indicator, year=2025, target_percent=Decimal("90.0"))
    weighing = Intervention.objects.create(
        kabupaten=d.kabupaten,
        code="GIZI-01",
        name="Pemantauan pertumbuhan",
        kind="spesifik",
        target_group="balita",
        opd=d.dinkes,
        indicator=indicator,
        unit="kali",
        valid_from=datetime.date(2024, 1, 1),
    )
    Intervention.objects.create(
        kabupaten=d.kabupaten,
        code="AIR-01",
        name="Sambungan air minum",
        kind="sensitif",
        target_group="keluarga",
        opd=d.pupr,
        unit="unit",
        valid_from=datetime.date(2024, 1, 1),
    )
    child = ChildFactory(posyandu=d.posyandu_a2, birth_date=datetime.date(2024, 6, 1))
    ChildFactory(posyandu=d.posyandu_a2, birth_date=datetime.date(2024, 7, 1))
    Delivery.objects.create(
        intervention=weighing,
        opd=d.dinkes,
        child=child,
        desa=d.desa_a2,
        delivered_on=datetime.date(2025, 3, 1),
        unit="kali",
    )
    for opd, allocated, paid in ((d.dinkes, 1_000_000, 250_000), (d.pupr, 2_000_000, 0)):
        line = BudgetLine.objects.create(
            kabupaten=d.kabupaten,
            year=2025,
            source="apbd",
            opd=opd,
            sub_activity_code=f"{opd.code}-1",
            name=f"Kegiatan {opd.short_name}",
            original_allocated=allocated,
            allocated=allocated,
        )
        if paid:
            Disbursement.objects.create(
                budget_line=line,
                paid_on=datetime.date(2025, 4, 1),
                payee="Penyedia",
                amount=paid,
                status="disetujui",
                recorded_by=d.users["bappeda_admin"],
                approved_by=d.users["pimpinan"],
            )
    return d


def _review(client_user, year: int = 2025):
    client = Client()
    client.force_login(client_user)
    return client.get(reverse("reports:performance-review", kwargs={"year": year}))


@pytest.mark.parametrize(
    ("role", "status", "sections"),
    [
        ("bappeda_admin", 200, ["DINKES", "PUPR"]),
        ("pimpinan", 200, ["DINKES", "PUPR"]),
        ("opd_officer", 200, ["DINKES"]),
        ("puskesmas_officer", 403, []),
        ("kader", 403, []),
        ("kpm", 403, []),
        ("no_role", 403, []),
    ],
)
def test_the_review_is_scoped_by_role(reviewed, role, status, sections) -> None:
    response = _review(reviewed.users[role])
    assert response.status_code == status
    html = response.content.decode() if status == 200 else ""
    assert [code for code in ("DINKES", "PUPR") if f'data-testid="opd-{code}"' in html] == sections


def test_the_review_needs_a_login(reviewed) -> None:
    response = Client().get(reverse("reports:performance-review", kwargs={"year": 2025}))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_review_figures(reviewed) -> None:
    from reports.performance import performance_review_for_user

    d = reviewed
    review = performance_review_for_user(
        user=d.users["bappeda_admin"], year=2025, today=datetime.date(2025, 12, 31)
    )
    dinkes, pupr = review.sections
    assert (dinkes.opd, pupr.opd) == (d.dinkes, d.pupr)
    [row] = dinkes.interventions
    assert (
        row.target_percent,
        row.realised.numerator,
        row.realised.denominator,
        row.deliveries,
        row.achieved,
    ) == (
        Decimal("90.0"),
        1,
        3,  # the three balita of the kabupaten, one weighed
        1,
        False,
    )
    assert (dinkes.allocated, dinkes.disbursed, dinkes.absorption_percent) == (
        Decimal(1_000_000),
        Decimal(250_000),
        Decimal("25.0"),
    )
    assert (pupr.allocated, pupr.disbursed, pupr.absorption_percent) == (
        Decimal(2_000_000),
        Decimal(0),
        Decimal("0.0"),
    )
    assert [r.realised for r in pupr.interventions] == [None]
    assert review.prevalence is not None
    assert (round(review.prevalence.target.actual_pct, 2), review.prevalence.target.status) == (
        20.63,
        "Turun",
    )
    assert review.all_sections is True


def test_the_opd_officer_exports_only_his_section(reviewed) -> None:
    client = Client()
    client.force_login(reviewed.users["opd_officer"])
    response = client.get(reverse("reports:performance-review-xlsx", kwargs={"year": 2025}))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Ringkasan", "Intervensi", "Anggaran"]
    budget = [list(r) for r in book["Anggaran"].iter_rows(values_only=True)]
    assert budget == [
        ["OPD", "Kode sub kegiatan", "Nama", "Pagu (Rp)", "Realisasi (Rp)", "Serapan (%)"],
        ["Dinkes", "DINKES-1", "Kegiatan Dinkes", 1000000, 250000, 25.0],
    ]
    interventions = [list(r)[:3] for r in book["Intervensi"].iter_rows(values_only=True)][1:]
    assert interventions == [["Dinkes", "GIZI-01", "Pemantauan pertumbuhan"]]


def test_the_review_xlsx_writes_names_as_string_cells_never_formulas(reviewed) -> None:
    BudgetLine.objects.filter(opd=reviewed.dinkes).update(name="=1+2")
    Intervention.objects.filter(code="GIZI-01").update(name='=HYPERLINK("http://x","y")')
    client = Client()
    client.force_login(reviewed.users["opd_officer"])
    book = load_workbook(
        io.BytesIO(client.get(reverse("reports:performance-review-xlsx", args=[2025])).content)
    )
    (line,) = book["Anggaran"].iter_rows(min_row=2)
    assert [(cell.data_type, cell.value) for cell in line] == [
        ("s", "Dinkes"),
        ("s", "DINKES-1"),
        ("s", "=1+2"),
        ("n", 1000000),
        ("n", 250000),
        ("n", 25.0),
    ]
    (weighing,) = book["Intervensi"].iter_rows(min_row=2)
    assert [(cell.data_type, cell.value) for cell in weighing[:3]] == [
        ("s", "Dinkes"),
        ("s", "GIZI-01"),
        ("s", '=HYPERLINK("http://x","y")'),
    ]


@pytest.mark.parametrize("role", ["kader", "kpm", "puskesmas_officer"])
def test_field_roles_cannot_export_the_review(reviewed, role) -> None:
    client = Client()
    client.force_login(reviewed.users[role])
    response = client.get(reverse("reports:performance-review-xlsx", kwargs={"year": 2025}))
    assert response.status_code == 403


def _pdf_lines(content: bytes) -> list[str]:
    """Each text object (BT ... ET) of the PDF as one line: its Tj strings joined, escapes undone."""
    lines = []
    for block in re.findall(r"BT (.*?) ET", _pdf_text(content), re.S):
        strings = re.findall(r"\(((?:\\.|[^\\)])*)\) Tj", block)
        lines.append("".join(re.sub(r"\\(.)", r"\1", part) for part in strings))
    return [line for line in lines if line]


def test_every_pdf_page_says_its_number_and_how_many_there_are(published) -> None:
    content = Client().get(_url("publication-pdf", published)).content
    pages = len(re.findall(rb"/Type /Page\b", content))
    footers = [line for line in _pdf_lines(content) if line.startswith("Halaman ")]
    assert pages >= 1
    assert footers == [f"Halaman {n} dari {pages}" for n in range(1, pages + 1)]


def test_a_past_year_runs_to_the_end_of_december(published) -> None:
    item = publication(kabupaten=published.kabupaten, year=2025)
    assert (item.period_start, item.period_end, item.running) == (Y2025, datetime.date(2025, 12, 31), False)
    html = Client().get(_url("publication", published)).content.decode()
    assert '<span data-testid="period">01-01-2025 – 31-12-2025</span>' in html


def test_the_running_year_runs_to_the_day_its_figures_were_computed(published) -> None:
    d = published
    computed = datetime.datetime(2026, 12, 5, 9, 30, tzinfo=datetime.UTC)  # 16.30 in Jakarta
    for level, region, measured in (("desa", d.desa_b1, 40), ("kabupaten", d.kabupaten, 40)):
        row = _row(level, region, datetime.date(2026, 1, 1), measured, 6)
        Row.objects.filter(pk=row.pk).update(computed_at=computed)  # auto_now sets it on save
    item = publication(kabupaten=d.kabupaten, year=2026)
    assert (item.period_end, item.running) == (datetime.date(2026, 12, 5), True)

    html = Client().get(_url("publication", d, year=2026)).content.decode()
    assert '<span data-testid="period">01-01-2026 s.d. 05-12-2026 (tahun berjalan)</span>' in html
    assert "31-12-2026" not in html
    lines = _pdf_lines(Client().get(_url("publication-pdf", d, year=2026)).content)
    assert [line for line in lines if line.startswith("Periode:")] == [
        "Periode: 01-01-2026 s.d. 05-12-2026 (tahun berjalan); tiap anak dihitung sekali (pengukuran sah "
        "terakhir sampai tanggal itu)."
    ]
    assert not [line for line in lines if "31-12-2026" in line]


def test_the_chart_scales_each_year_into_its_box() -> None:
    assert pdf.chart_top([24.0, 20.63, None, 23.0]) == 25.0
    assert pdf.chart_top([None, 3.2]) == 5.0
    assert pdf.chart_points([25.0, None, 12.5, 0.0], top=25.0, width_mm=150, height_mm=50) == [
        (0.0, 0.0),
        None,
        (100.0, 25.0),
        (150.0, 50.0),
    ]


def test_the_pdf_draws_the_yearly_trend_with_its_values(published) -> None:
    content = Client().get(_url("publication-pdf", published)).content
    lines = _pdf_lines(content)
    at = lines.index("Tren prevalensi stunting kabupaten (%)")
    # Axis 0/12,5/25 (the top rounded up from 24,00), the years, the two values with decimal commas.
    assert lines[at + 1 : at + 8] == ["0", "12,5", "25", "2024", "2025", "24,00", "20,63"]
    assert "Garis penuh: prevalensi stunting; garis putus-putus: target daerah." in lines


def test_one_year_draws_no_trend(published) -> None:
    Row.objects.filter(region=published.kabupaten, period=Y2024).delete()
    assert "Tren prevalensi stunting kabupaten (%)" not in _pdf_lines(
        Client().get(_url("publication-pdf", published)).content
    )
