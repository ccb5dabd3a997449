"""PMT reports: absorption per line, source, holder and month; cost per recipient; recovery; recipients; .xlsx.

Hand-made case (2025): line A (Dinkes, DAK, Rp 2.000.000) funds a gizi kurang programme with two
56-day episodes at Rp 17.500, delivered in full and finished (Ayu of Mawar recovered, Bima of Anggrek
still wasted), Rp 600.000 paid on 10-03 for Ayu; line B (a desa, Dana Desa, Rp 500.000) paid
Rp 200.000 untied on 15-04.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from children.models import Child, RecordAccess
from convergence.models import Role, User
from interventions import pmt_reports
from interventions import services_pmt as svc
from interventions.models import BudgetLine, PMTProgramme
from tests.factories import ChildFactory, DistrictFixture, UserFactory
from tests.interventions.test_pmt import (
    START,
    make_line,
    make_programme,
    measure,
    second_bappeda,
    wasted_child,
)

TODAY = datetime.date(2025, 12, 31)


@dataclass
class Case:
    district: DistrictFixture
    line_a: BudgetLine
    line_b: BudgetLine


@pytest.fixture
def case(district: DistrictFixture) -> Case:
    line_a = make_line(district, Decimal(2_000_000))
    line_b = make_line(district, Decimal(500_000), desa=district.desa_a1)
    programme = make_programme(district, line_a)
    ayu = wasted_child(district)
    measure(ayu, datetime.date(2025, 5, 2), weight_kg=Decimal("8.00"), whz=-1.5, whz_category=2)
    bima = ChildFactory(posyandu=district.posyandu_a2, name="Bima", birth_date=datetime.date(2024, 2, 1))
    measure(bima, datetime.date(2025, 2, 21), weight_kg=Decimal("7.00"), whz=-2.4, whz_category=1)
    measure(bima, datetime.date(2025, 5, 3), weight_kg=Decimal("7.20"), whz=-2.2, whz_category=1)
    officer = district.users["opd_officer"]
    enrol_ayu = svc.pmt_enrol(user=officer, programme=programme, recipient=ayu, start_date=START)
    enrol_bima = svc.pmt_enrol(user=officer, programme=programme, recipient=bima, start_date=START)
    admin, checker = district.users["bappeda_admin"], second_bappeda(district)
    for line, amount, paid_on, enrolment in (
        (line_a, 600_000, datetime.date(2025, 3, 10), enrol_ayu),
        (line_b, 200_000, datetime.date(2025, 4, 15), None),
    ):
        payment = svc.disbursement_record(
            user=admin,
            budget_line=line,
            amount=Decimal(amount),
            payee="Katering Sehat",
            paid_on=paid_on,
            enrolment=enrolment,
        )
        svc.disbursement_approve(user=checker, disbursement=payment)
    for enrolment in (enrol_ayu, enrol_bima):
        svc.pmt_delivery_record(
            user=officer, enrolment=enrolment, delivered_on=START, days_delivered=56, food_form="matang"
        )
        svc.pmt_enrolment_finish(user=officer, enrolment=enrolment, today=TODAY)
    return Case(district, line_a, line_b)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_it_reports_absorption_per_line_source_holder_and_month(case: Case) -> None:
    report = pmt_reports.pmt_absorption(user=case.district.users["bappeda_admin"], year=2025)
    rows = {row.line.pk: row.totals for row in report.lines}
    a, b = rows[case.line_a.pk], rows[case.line_b.pk]
    assert (a.allocated, a.reserved, a.disbursed, a.available, a.absorption_percent) == (
        Decimal(2_000_000),
        Decimal(1_960_000),
        Decimal(600_000),
        Decimal(40_000),
        Decimal("30.0"),
    )
    assert (b.allocated, b.reserved, b.disbursed, b.available, b.absorption_percent) == (
        Decimal(500_000),
        Decimal(0),
        Decimal(200_000),
        Decimal(300_000),
        Decimal("40.0"),
    )
    assert [(m.month, m.disbursed) for m in report.by_month] == [
        (datetime.date(2025, 3, 1), Decimal(600_000)),
        (datetime.date(2025, 4, 1), Decimal(200_000)),
    ]
    holders = {g.key: (g.allocated, g.disbursed, g.absorption_percent) for g in report.by_holder}
    assert holders == {
        case.district.dinkes.short_name: (Decimal(2_000_000), Decimal(600_000), Decimal("30.0")),
        case.district.desa_a1.name: (Decimal(500_000), Decimal(200_000), Decimal("40.0")),
    }
    assert len(report.by_source) == 2
    total = report.total
    assert (total.allocated, total.disbursed, total.available, total.absorption_percent) == (
        Decimal(2_500_000),
        Decimal(800_000),
        Decimal(340_000),
        Decimal("32.0"),
    )


def test_it_reports_cost_per_recipient_and_recovery(case: Case) -> None:
    (row,) = pmt_reports.pmt_programme_report(user=case.district.users["bappeda_admin"], year=2025)
    o = row.outcome
    assert (row.episodes, row.recipients, row.total_cost, row.cost_per_recipient) == (
        2,
        2,
        Decimal(1_960_000),
        Decimal(980_000),
    )
    assert (o.assessed, o.recovered, o.recovery_rate_percent, o.cost_per_recovered) == (
        2,
        1,
        Decimal("50.0"),
        Decimal(1_960_000),
    )


def test_the_report_page_shows_the_figures(case: Case) -> None:
    client = _client(case.district.users["pimpinan"])
    assert client.get(reverse("interventions:pmt-report-current")).status_code == 302
    response = client.get(reverse("interventions:pmt-report", args=[2025]))
    assert response.status_code == 200
    assert response.context["absorption"].total.disbursed == Decimal(800_000)
    assert response.context["programmes"][0].cost_per_recipient == Decimal(980_000)
    assert reverse("interventions:pmt-report-xlsx", args=[2025]) in response.content.decode()


@pytest.mark.parametrize(
    ("role", "names"),
    [("bappeda_admin", ["Bima", "Ayu"]), ("kader", ["Ayu"]), ("kpm", ["Bima"]), ("other_kader", [])],
)
def test_the_recipients_page_names_only_the_scope(case: Case, role: str, names: list[str]) -> None:
    if role == "other_kader":
        user = UserFactory(username="kader_kenanga", role=Role.KADER, posyandu=case.district.posyandu_b1)
    else:
        user = case.district.users[role]
    url = reverse("interventions:pmt-recipients", args=[2025])
    response = _client(user).get(url)
    assert response.status_code == 200
    assert [row.name for row in response.context["rows"]] == names
    logs = [(r.kind, r.record_count, r.channel, r.path) for r in RecordAccess.objects.filter(user=user)]
    assert logs == ([("anak", len(names), "halaman", url)] if names else [])


def test_the_recipients_page_filters_a_posyandu_and_shows_the_outcome(case: Case) -> None:
    client = _client(case.district.users["bappeda_admin"])
    url = reverse("interventions:pmt-recipients", args=[2025])
    response = client.get(url, {"posyandu": case.district.posyandu_a1.pk})
    (row,) = response.context["rows"]
    assert (row.name, row.posyandu, row.enrolment.cost, row.recovered) == (
        "Ayu",
        "Mawar",
        Decimal(980_000),
        True,
    )


def test_a_user_without_a_role_gets_403(case: Case) -> None:
    client = _client(case.district.users["no_role"])
    for name in ("pmt-report", "pmt-recipients", "pmt-report-xlsx"):
        assert client.get(reverse(f"interventions:{name}", args=[2025])).status_code == 403
    assert not RecordAccess.objects.exists()


def test_the_xlsx_has_the_sheets_and_exact_rows(case: Case) -> None:
    response = _client(case.district.users["bappeda_admin"]).get(
        reverse("interventions:pmt-report-xlsx", args=[2025])
    )
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Serapan", "Per bulan", "Program", "Penerima"]
    months = [[c.value for c in row] for row in book["Per bulan"].iter_rows(min_row=2)]
    assert months == [["Maret 2025", 600_000], ["April 2025", 200_000]]
    assert book["Per bulan"]["B2"].number_format == "#,##0"
    people = [[c.value for c in row] for row in book["Penerima"].iter_rows(min_row=2)]
    ayu = next(row for row in people if row[1] == "Ayu")
    assert ayu[:3] + ayu[5:] == [
        "Mawar",
        "Ayu",
        "PMT gizi_kurang",
        56,
        980_000,
        "Selesai",
        datetime.datetime(2025, 4, 27),
        56,
        980_000,
        "ya",
    ]
    assert RecordAccess.objects.get(channel="ekspor").record_count == 2


def test_the_xlsx_writes_names_typed_by_users_as_string_cells_never_formulas(case: Case) -> None:
    Child.objects.filter(name="Ayu").update(name='=HYPERLINK("http://x","y")')
    PMTProgramme.objects.update(name="@SUM(1+1)")
    BudgetLine.objects.filter(pk=case.line_a.pk).update(name="+cmd", sub_activity_code="-2+3")
    response = _client(case.district.users["bappeda_admin"]).get(
        reverse("interventions:pmt-report-xlsx", args=[2025])
    )
    book = load_workbook(io.BytesIO(response.content))
    ayu = next(row for row in book["Penerima"].iter_rows(min_row=2) if row[0].value == "Mawar")
    assert [(cell.data_type, cell.value) for cell in ayu[1:3]] == [
        ("s", '=HYPERLINK("http://x","y")'),
        ("s", "@SUM(1+1)"),
    ]
    assert (ayu[6].data_type, ayu[6].value) == ("n", 980_000)
    line = next(row for row in book["Serapan"].iter_rows(min_row=2) if row[3].value == "+cmd")
    assert [(cell.data_type, cell.value) for cell in line[2:5]] == [
        ("s", "-2+3"),
        ("s", "+cmd"),
        ("n", 2_000_000),
    ]


def test_the_reports_read_each_table_once(case: Case, django_assert_num_queries: object) -> None:
    user = User.objects.get(pk=case.district.users["bappeda_admin"].pk)
    pmt_reports.pmt_absorption(user=user, year=2025)  # builds and caches the scope
    with django_assert_num_queries(4):  # type: ignore[operator]
        pmt_reports.pmt_absorption(user=user, year=2025)
    with django_assert_num_queries(2):  # type: ignore[operator]
        pmt_reports.pmt_programme_report(user=user, year=2025)
