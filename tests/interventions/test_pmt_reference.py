"""PMT rates and programmes through the REST API: dated rates never edited once used, programmes
created by Bappeda or the OPD holding the lines and edited only before their first episode.
"""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from rest_framework.test import APIClient

from convergence.models import Role, User
from interventions import services_pmt as svc
from interventions.models import BudgetLine, PMTCategory, PMTFunding, PMTProgramme, PMTRate
from tests.factories import DistrictFixture, UserFactory
from tests.interventions.test_pmt import START, make_line, make_programme, wasted_child
from tests.problems import field_errors

RATE = {
    "category": "gizi_kurang",
    "valid_from": "2025-07-01",
    "daily_rate": "20000",
    "duration_days": 56,
    "source": "Perbup 12/2025",
}


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def kabupaten_rates(district: DistrictFixture) -> list[tuple[str, datetime.date, Decimal]]:
    return list(
        PMTRate.objects.filter(kabupaten=district.kabupaten)
        .order_by("valid_from")
        .values_list("category", "valid_from", "daily_rate")
    )


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("bappeda_admin", 201),
        ("pimpinan", 403),
        ("opd_officer", 403),
        ("puskesmas_officer", 403),
        ("kader", 403),
        ("kpm", 403),
        ("no_role", 403),
    ],
)
def test_only_bappeda_adds_a_dated_rate(district: DistrictFixture, role: str, status: int) -> None:
    response = api(district.users[role]).post("/api/v1/pmt-rates/", RATE, format="json")
    assert response.status_code == status
    if status == 201:
        assert response.json() == {
            "id": response.json()["id"],
            "kabupaten": district.kabupaten.code,
            **RATE,
            "used": False,
        }
        assert kabupaten_rates(district) == [("gizi_kurang", datetime.date(2025, 7, 1), Decimal(20_000))]
    else:
        assert kabupaten_rates(district) == []


def test_a_new_rate_applies_from_its_date_and_episodes_keep_theirs(district: DistrictFixture) -> None:
    client = api(district.users["bappeda_admin"])
    programme = make_programme(district, make_line(district, Decimal(10_000_000)))
    admin = district.users["bappeda_admin"]
    before = svc.pmt_enrol(
        user=admin, programme=programme, recipient=wasted_child(district, "Ayu"), start_date=START
    )
    assert client.post("/api/v1/pmt-rates/", RATE, format="json").status_code == 201
    after = svc.pmt_enrol(
        user=admin,
        programme=programme,
        recipient=wasted_child(district, "Bima"),
        start_date=datetime.date(2025, 7, 1),
    )
    before.refresh_from_db()
    assert (before.daily_rate, before.cost, after.daily_rate, after.cost) == (
        Decimal(17_500),
        Decimal(980_000),
        Decimal(20_000),
        Decimal(1_120_000),
    )
    twin = client.post("/api/v1/pmt-rates/", RATE, format="json")
    assert (twin.status_code, field_errors(twin)) == (
        400,
        {"valid_from": ["Tarif kategori ini sudah ada untuk tanggal tersebut."]},
    )


def test_a_used_rate_is_not_edited_but_an_unused_one_is(district: DistrictFixture) -> None:
    client = api(district.users["bappeda_admin"])
    created = client.post("/api/v1/pmt-rates/", RATE, format="json").json()
    url = f"/api/v1/pmt-rates/{created['id']}/"
    fixed = client.patch(url, {"daily_rate": "19000"}, format="json")
    assert (fixed.status_code, fixed.json()["daily_rate"]) == (200, "19000")
    assert field_errors(client.patch(url, {"category": "dua_t"}, format="json")) == {
        "category": ["Tidak dapat diubah."]
    }
    programme = make_programme(district, make_line(district, Decimal(5_000_000)))
    svc.pmt_enrol(
        user=district.users["bappeda_admin"],
        programme=programme,
        recipient=wasted_child(district),
        start_date=datetime.date(2025, 7, 2),
    )
    assert client.get(url).json()["used"] is True
    refused = client.patch(url, {"daily_rate": "25000"}, format="json")
    assert (refused.status_code, field_errors(refused)) == (
        400,
        {
            "non_field_errors": [
                "Tarif ini sudah dipakai episode PMT; tetapkan tarif baru dengan tanggal berlaku baru."
            ]
        },
    )
    assert PMTRate.objects.get(pk=created["id"]).daily_rate == Decimal(19_000)
    # The national defaults are read by everyone and changed by nobody through the API but a superuser.
    default = PMTRate.objects.get(kabupaten=None, category="gizi_kurang")
    assert (
        client.patch(f"/api/v1/pmt-rates/{default.pk}/", {"daily_rate": "1"}, format="json").status_code
        == 403
    )
    assert client.delete(url).status_code == 405


def programme_body(district: DistrictFixture, *fundings: tuple[BudgetLine, str]) -> dict[str, object]:
    return {
        "year": 2025,
        "name": "PMT lokal balita gizi kurang 2025",
        "category": "gizi_kurang",
        "starts_on": "2025-01-01",
        "ends_on": "2025-12-31",
        "opd": district.dinkes.pk,
        "fundings": [{"budget_line": line.pk, "share_percent": share} for line, share in fundings],
        "is_active": True,
    }


def test_bappeda_creates_a_programme_funded_by_two_lines(district: DistrictFixture) -> None:
    dinkes = make_line(district, Decimal(5_000_000))
    desa = make_line(district, Decimal(1_000_000), desa=district.desa_a1)
    client = api(district.users["bappeda_admin"])
    response = client.post(
        "/api/v1/pmt-programmes/", programme_body(district, (dinkes, "75"), (desa, "25")), format="json"
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["budget_lines"], response.json()["fundings"]) == (
        [dinkes.pk, desa.pk],
        [
            {"budget_line": dinkes.pk, "share_percent": "75.00"},
            {"budget_line": desa.pk, "share_percent": "25.00"},
        ],
    )
    wrong = client.post(
        "/api/v1/pmt-programmes/", programme_body(district, (dinkes, "75"), (desa, "20")), format="json"
    )
    assert (wrong.status_code, field_errors(wrong)) == (
        400,
        {"fundings": ["Porsi pendanaan program berjumlah 95.00%, harus 100%."]},
    )
    assert PMTProgramme.objects.count() == 1


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("opd_officer", 201),  # Dinkes, with its own line
        ("pimpinan", 403),
        ("puskesmas_officer", 403),
        ("kader", 403),
        ("kpm", 403),
        ("no_role", 403),
        ("pupr_officer", 400),  # the Dinkes line is not his to read: "not found"
    ],
)
def test_who_creates_a_programme(district: DistrictFixture, role: str, status: int) -> None:
    line = make_line(district, Decimal(5_000_000))
    user = (
        UserFactory(username="pupr", role=Role.OPD_OFFICER, opd=district.pupr)
        if role == "pupr_officer"
        else district.users[role]
    )
    response = api(user).post(
        "/api/v1/pmt-programmes/", programme_body(district, (line, "100")), format="json"
    )
    assert response.status_code == status
    assert PMTProgramme.objects.count() == (1 if status == 201 else 0)


def test_an_opd_officer_cannot_fund_from_another_holders_line(district: DistrictFixture) -> None:
    mine = make_line(district, Decimal(5_000_000))
    desa = make_line(district, Decimal(1_000_000), desa=district.desa_a1)
    # The desa's Dana Desa line is the desa's to commit: the service refuses it to the Dinkes officer.
    with pytest.raises(PermissionDenied):
        svc.pmt_programme_create(
            user=district.users["opd_officer"],
            kabupaten=district.kabupaten,
            year=2025,
            name="PMT",
            category=PMTCategory.GIZI_KURANG,
            starts_on=datetime.date(2025, 1, 1),
            ends_on=datetime.date(2025, 12, 31),
            opd=district.dinkes,
            fundings=[(mine, Decimal(50)), (desa, Decimal(50))],
        )
    assert PMTProgramme.objects.count() == 0


def test_a_programme_is_edited_only_before_its_first_episode(district: DistrictFixture) -> None:
    line = make_line(district, Decimal(5_000_000))
    other = make_line(district, Decimal(5_000_000))
    client = api(district.users["opd_officer"])
    created = client.post(
        "/api/v1/pmt-programmes/", programme_body(district, (line, "100")), format="json"
    ).json()
    url = f"/api/v1/pmt-programmes/{created['id']}/"
    edited = client.patch(
        url,
        {
            "name": "PMT balita",
            "fundings": [
                {"budget_line": line.pk, "share_percent": "50"},
                {"budget_line": other.pk, "share_percent": "50"},
            ],
        },
        format="json",
    )
    assert (edited.status_code, edited.json()["name"], edited.json()["budget_lines"]) == (
        200,
        "PMT balita",
        [line.pk, other.pk],
    )
    programme = PMTProgramme.objects.get(pk=created["id"])
    svc.pmt_enrol(
        user=district.users["opd_officer"],
        programme=programme,
        recipient=wasted_child(district),
        start_date=START,
    )
    refused = client.patch(url, {"name": "Lain", "starts_on": "2025-02-01"}, format="json")
    assert (refused.status_code, field_errors(refused)) == (
        400,
        {"non_field_errors": ["Program yang sudah memiliki episode tidak dapat diubah."]},
    )
    refused = client.patch(
        url, {"fundings": [{"budget_line": line.pk, "share_percent": "100"}]}, format="json"
    )
    assert refused.status_code == 400
    closed = client.patch(url, {"is_active": False}, format="json")
    assert (closed.status_code, closed.json()["is_active"]) == (200, False)
    programme.refresh_from_db()
    assert (programme.name, programme.starts_on, programme.is_active) == (
        "PMT balita",
        datetime.date(2025, 1, 1),
        False,
    )
    assert list(PMTFunding.objects.filter(programme=programme).values_list("share_percent", flat=True)) == [
        Decimal(50),
        Decimal(50),
    ]
    assert api(district.users["pimpinan"]).patch(url, {"is_active": True}, format="json").status_code == 403


def test_the_openapi_schema_stays_valid_without_warnings_from_the_pmt_api(db: None) -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command("spectacular", "--validate", stdout=out, stderr=err)
    assert [line for line in err.getvalue().splitlines() if "interventions" in line] == []
    schema = out.getvalue()
    assert "/api/v1/pmt-enrolments/{id}/finish/:" in schema
    assert "PMTFunding:" in schema
