"""PMT REST API: scoping per role, writes through the services, maker-checker, no edits of money rows."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from rest_framework.test import APIClient

from children.models import RecordAccess
from convergence.models import User
from interventions import services_pmt as svc
from interventions.models import BudgetLine, Disbursement, PMTCategory, PMTEnrolment
from tests.factories import DistrictFixture, OPDFactory
from tests.interventions.test_pmt import (
    START,
    make_line,
    make_programme,
    measure,
    second_bappeda,
    wasted_child,
)
from tests.problems import field_errors

# Lines: Dinkes (DAK), PUPR (APBD), Dana Desa of SUMBERAGUNG, of SILIRAGUNG, ADD of SAMBIMULYO, and a
# line of the neighbouring kabupaten.
VISIBLE_LINES = {
    "bappeda_admin": {"Dinkes", "PUPR", "SUMBERAGUNG", "SILIRAGUNG", "SAMBIMULYO"},
    "pimpinan": {"Dinkes", "PUPR", "SUMBERAGUNG", "SILIRAGUNG", "SAMBIMULYO"},
    "opd_officer": {"Dinkes"},
    "puskesmas_officer": {"SUMBERAGUNG", "SILIRAGUNG"},  # Puskesmas Pesanggaran's desa
    "kader": {"SUMBERAGUNG"},
    "kpm": {"SILIRAGUNG"},
}


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def lines(district: DistrictFixture) -> dict[str, BudgetLine]:
    def line(name: str, **holder: object) -> BudgetLine:
        return BudgetLine.objects.create(
            kabupaten=holder.pop("kabupaten", district.kabupaten),  # type: ignore[arg-type]
            year=2025,
            source="dana_desa" if "desa" in holder else "apbd",
            name=name,
            allocated=Decimal(1_000_000),
            original_allocated=Decimal(1_000_000),
            **holder,  # type: ignore[arg-type]
        )

    other_opd = OPDFactory(kabupaten=district.other_kabupaten, code="DINKES", short_name="Dinkes Bondowoso")
    return {
        "Dinkes": line("Dinkes", opd=district.dinkes),
        "PUPR": line("PUPR", opd=district.pupr),
        "SUMBERAGUNG": line("SUMBERAGUNG", desa=district.desa_a1),
        "SILIRAGUNG": line("SILIRAGUNG", desa=district.desa_a2),
        "SAMBIMULYO": line("SAMBIMULYO", desa=district.desa_b1),
        "BONDOWOSO": line("BONDOWOSO", opd=other_opd, kabupaten=district.other_kabupaten),
    }


@pytest.mark.parametrize("role", [*VISIBLE_LINES, "no_role"])
def test_it_scopes_budget_lines_per_role(
    district: DistrictFixture, lines: dict[str, BudgetLine], role: str
) -> None:
    response = api(district.users[role]).get("/api/v1/budget-lines/")
    if role == "no_role":
        assert response.status_code == 403
        return
    assert response.status_code == 200
    assert {row["name"] for row in response.json()["results"]} == VISIBLE_LINES[role]
    hidden = lines["BONDOWOSO"] if role in ("bappeda_admin", "pimpinan") else lines["PUPR"]
    assert api(district.users[role]).get(f"/api/v1/budget-lines/{hidden.pk}/").status_code == 404


def test_a_kpm_records_his_desa_line_and_a_kader_may_not(district: DistrictFixture) -> None:
    body = {
        "year": 2025,
        "funding_source": "dana_desa",
        "desa": district.desa_a2.code,
        "name": "PMT desa",
        "allocated": "5000000",
    }
    response = api(district.users["kpm"]).post("/api/v1/budget-lines/", body, format="json")
    assert response.status_code == 201
    assert (response.json()["allocated"], response.json()["original_allocated"]) == ("5000000", "5000000")
    assert (response.json()["desa"], response.json()["opd"], response.json()["opd_name"]) == (
        district.desa_a2.code,
        None,
        None,
    )
    kader_body = {**body, "desa": district.desa_a1.code}
    assert (
        api(district.users["kader"]).post("/api/v1/budget-lines/", kader_body, format="json").status_code
        == 403
    )
    assert (
        api(district.users["pimpinan"]).post("/api/v1/budget-lines/", kader_body, format="json").status_code
        == 403
    )
    assert list(BudgetLine.objects.values_list("name", flat=True)) == ["PMT desa"]


def test_it_revises_and_reports_absorption(district: DistrictFixture) -> None:
    line = make_line(district, Decimal(2_000_000))
    client = api(district.users["opd_officer"])
    response = client.post(
        f"/api/v1/budget-lines/{line.pk}/revisions/",
        {"new_allocated": "1500000", "reason": "Refocusing", "revised_on": "2025-06-01"},
        format="json",
    )
    assert (response.status_code, response.json()["allocated"]) == (200, "1500000")
    payment = svc.disbursement_record(
        user=district.users["opd_officer"],
        budget_line=line,
        amount=Decimal(300_000),
        payee="Katering",
        paid_on=START,
    )
    svc.disbursement_approve(user=district.users["bappeda_admin"], disbursement=payment)
    absorption = client.get(f"/api/v1/budget-lines/{line.pk}/absorption/").json()
    assert absorption == {
        "allocated": "1500000",
        "reserved": "0",
        "disbursed": "300000",
        "committed": "300000",
        "available": "1200000",
        "absorption_percent": "20.0",
        "months": [{"month": "2025-03-01", "disbursed": "300000"}],
    }


def test_it_enrols_through_the_service_and_answers_400_with_the_reason(district: DistrictFixture) -> None:
    line = make_line(district, Decimal(1_000_000))
    programme = make_programme(district, line)
    client = api(district.users["puskesmas_officer"])
    ayu, bima = wasted_child(district, "Ayu"), wasted_child(district, "Bima")
    body = {"programme": programme.pk, "child": ayu.pk, "start_date": "2025-03-03"}
    response = client.post("/api/v1/pmt-enrolments/", body, format="json")
    assert response.status_code == 201, response.json()
    assert {
        k: response.json()[k] for k in ("days", "daily_rate", "cost", "end_date", "enrolment_status")
    } == {
        "days": 56,
        "daily_rate": "17500",
        "cost": "980000",
        "end_date": "2025-04-27",
        "enrolment_status": "aktif",
    }
    response = client.post("/api/v1/pmt-enrolments/", {**body, "child": bima.pk}, format="json")
    assert response.status_code == 400
    assert field_errors(response) == {
        "budget_line": ["Sisa anggaran PMT lokal balita tidak cukup: perlu Rp 980.000, tersisa Rp 20.000."]
    }
    response = client.post("/api/v1/pmt-enrolments/", body, format="json")
    assert response.status_code == 400
    assert list(field_errors(response)) == ["recipient"]
    assert (
        api(district.users["pimpinan"])
        .post("/api/v1/pmt-enrolments/", {**body, "child": bima.pk}, format="json")
        .status_code
        == 403
    )
    assert PMTEnrolment.objects.count() == 1


def test_enrolment_lists_are_scoped_and_logged(district: DistrictFixture) -> None:
    programme = make_programme(district, make_line(district, Decimal(5_000_000)))
    svc.pmt_enrol(
        user=district.users["bappeda_admin"],
        programme=programme,
        recipient=wasted_child(district),
        start_date=START,
    )
    assert api(district.users["kpm"]).get("/api/v1/pmt-enrolments/").json()["count"] == 0
    response = api(district.users["kader"]).get("/api/v1/pmt-enrolments/")
    assert [
        (r["recipient_name"], r["posyandu"], r["posyandu_name"], r["desa"])
        for r in response.json()["results"]
    ] == [("Ayu", district.posyandu_a1.pk, "Mawar", district.desa_a1.code)]
    assert RecordAccess.objects.filter(user=district.users["kader"], kind="anak", record_count=1).count() == 1


def test_disbursements_follow_maker_checker_and_cannot_be_edited(district: DistrictFixture) -> None:
    line = make_line(district, Decimal(1_000_000))
    maker, checker = api(district.users["opd_officer"]), api(second_bappeda(district))
    response = maker.post(
        "/api/v1/disbursements/",
        {"budget_line": line.pk, "amount": "250000", "payee": "Katering Sehat", "paid_on": "2025-03-10"},
        format="json",
    )
    assert response.status_code == 201
    pk = response.json()["id"]
    assert maker.post(f"/api/v1/disbursements/{pk}/approve/").status_code == 403
    for method in ("put", "patch", "delete"):
        assert (
            getattr(maker, method)(f"/api/v1/disbursements/{pk}/", {"amount": "1"}, format="json").status_code
            == 405
        )
    approved = checker.post(f"/api/v1/disbursements/{pk}/approve/")
    assert (approved.status_code, approved.json()["disbursement_status"]) == (200, "disetujui")
    reversal = maker.post(
        f"/api/v1/disbursements/{pk}/reverse/", {"paid_on": "2025-03-11", "note": "Salah"}, format="json"
    )
    assert (reversal.status_code, reversal.json()["amount"], reversal.json()["reverses"]) == (
        201,
        "-250000",
        pk,
    )
    again = maker.post(
        f"/api/v1/disbursements/{pk}/reverse/", {"paid_on": "2025-03-11", "note": "Lagi"}, format="json"
    )
    assert field_errors(again) == {"reverses": ["Pembayaran ini sudah dibalik."]}
    assert sorted(Disbursement.objects.values_list("amount", "status")) == [
        (Decimal(-250_000), "menunggu"),
        (Decimal(250_000), "disetujui"),
    ]
    assert api(district.users["kpm"]).get(f"/api/v1/disbursements/{pk}/").status_code == 404


def test_it_logs_deliveries(district: DistrictFixture) -> None:
    programme = make_programme(district, make_line(district, Decimal(1_000_000)))
    enrolment = svc.pmt_enrol(
        user=district.users["bappeda_admin"],
        programme=programme,
        recipient=wasted_child(district),
        start_date=START,
    )
    body = {
        "enrolment": enrolment.pk,
        "delivered_on": "2025-03-03",
        "days_delivered": 7,
        "food_form": "matang",
    }
    assert (
        api(district.users["kader"]).post("/api/v1/pmt-deliveries/", body, format="json").status_code == 201
    )
    assert api(district.users["kpm"]).post("/api/v1/pmt-deliveries/", body, format="json").status_code == 400
    assert api(district.users["kader"]).get("/api/v1/pmt-deliveries/").json()["count"] == 1


def test_it_reports_programme_outcomes(district: DistrictFixture) -> None:
    programme = make_programme(district, make_line(district, Decimal(5_000_000)), PMTCategory.GIZI_KURANG)
    admin = district.users["bappeda_admin"]
    ayu, bima = wasted_child(district, "Ayu"), wasted_child(district, "Bima")
    measure(ayu, datetime.date(2025, 5, 2), weight_kg=Decimal("7.95"), whz=-1.7, whz_category=2)
    measure(bima, datetime.date(2025, 5, 2), weight_kg=Decimal("7.30"), whz=-2.3, whz_category=1)
    for child in (ayu, bima):
        enrolment = svc.pmt_enrol(user=admin, programme=programme, recipient=child, start_date=START)
        svc.pmt_delivery_record(
            user=admin, enrolment=enrolment, delivered_on=START, days_delivered=56, food_form="matang"
        )
    url = f"/api/v1/pmt-outcomes/?programme={programme.pk}"
    assert api(admin).get(url).json()["finished"] == 0  # nothing finished yet
    for enrolment in PMTEnrolment.objects.order_by("pk"):
        response = api(admin).post(
            f"/api/v1/pmt-enrolments/{enrolment.pk}/finish/", {"finished_on": "2025-04-27"}, format="json"
        )
        assert (response.status_code, response.json()["enrolment_status"]) == (200, "selesai")
    response = api(admin).get(url)
    assert response.status_code == 200
    data = response.json()
    assert {
        k: data[k]
        for k in (
            "finished",
            "assessed",
            "recovered",
            "recovery_rate_percent",
            "total_cost",
            "cost_per_recovered",
        )
    } == {
        "finished": 2,
        "assessed": 2,
        "recovered": 1,
        "recovery_rate_percent": "50.0",
        "total_cost": "1960000",
        "cost_per_recovered": "1960000",
    }
    assert [
        (
            e["recipient_name"],
            e["finished_on"],
            e["days_delivered"],
            e["outcome"]["weight_gain_kg"],
            e["outcome"]["z_change"],
            e["outcome"]["recovered"],
        )
        for e in data["episodes"]
    ] == [
        ("Ayu", "2025-04-27", 56, "0.85", 0.8, True),
        ("Bima", "2025-04-27", 56, "0.20", 0.2, False),
    ]
    assert api(district.users["kpm"]).get(url).json()["episodes"] == []


def test_the_admin_shows_money_rows_read_only(district: DistrictFixture) -> None:
    line = make_line(district, Decimal(1_000_000))
    svc.disbursement_record(
        user=district.users["opd_officer"], budget_line=line, amount=Decimal(1000), payee="A", paid_on=START
    )
    client = Client()
    client.force_login(district.users["bappeda_admin"])
    assert client.get("/admin/interventions/disbursement/").status_code == 200
    assert client.get("/admin/interventions/disbursement/add/").status_code == 403
    # Programmes change through the API's rules (shares adding up to 100, no edit after an episode).
    assert client.get("/admin/interventions/pmtprogramme/").status_code == 200
    assert client.get("/admin/interventions/pmtprogramme/add/").status_code == 403
