"""A programme funded by several budget lines: each episode's cost split by the funding shares.

Line A (Dinkes, DAK) funds 60 %, line B (Dinkes, APBD) 40 % of a gizi kurang programme; a 56-day
episode at Rp 17.500 costs Rp 980.000: Rp 588.000 on A, Rp 392.000 on B.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from interventions import selectors_pmt as sel
from interventions import services_pmt as svc
from interventions.models import (
    BudgetLine,
    PMTCategory,
    PMTEnrolment,
    PMTFunding,
    PMTProgramme,
    PMTReservation,
)
from tests.factories import DistrictFixture
from tests.interventions.test_pmt import START, make_line, second_bappeda, wasted_child


def shared_programme(
    district: DistrictFixture, shares: list[tuple[BudgetLine, str]], category: str = PMTCategory.GIZI_KURANG
) -> PMTProgramme:
    programme = PMTProgramme.objects.create(
        kabupaten=district.kabupaten,
        year=2025,
        name="PMT bersama",
        category=category,
        starts_on=datetime.date(2025, 1, 1),
        ends_on=datetime.date(2025, 12, 31),
        opd=district.dinkes,
    )
    for line, share in shares:
        PMTFunding.objects.create(programme=programme, budget_line=line, share_percent=Decimal(share))
    return programme


def two_lines(district: DistrictFixture, a: int, b: int) -> tuple[BudgetLine, BudgetLine]:
    line_a = make_line(district, Decimal(a))
    line_b = svc.budget_line_create(
        user=district.users["bappeda_admin"],
        kabupaten=district.kabupaten,
        year=2025,
        source="apbd",
        name="PMT APBD",
        allocated=Decimal(b),
        opd=district.dinkes,
    )
    return line_a, line_b


def held(line: BudgetLine) -> Decimal:
    return sel.budget_line_totals(line=line).reserved


def test_it_splits_the_reservation_by_the_shares(district: DistrictFixture) -> None:
    line_a, line_b = two_lines(district, 1_000_000, 1_000_000)
    programme = shared_programme(district, [(line_a, "60"), (line_b, "40")])
    enrolment = svc.pmt_enrol(
        user=district.users["opd_officer"],
        programme=programme,
        recipient=wasted_child(district),
        start_date=START,
    )
    assert list(enrolment.reservations.values_list("budget_line__name", "amount")) == [
        ("PMT lokal balita", Decimal(588_000)),
        ("PMT APBD", Decimal(392_000)),
    ]
    assert (held(line_a), held(line_b)) == (Decimal(588_000), Decimal(392_000))


def test_thirds_add_up_to_the_cost_with_the_remainder_on_the_last_line(district: DistrictFixture) -> None:
    lines = [make_line(district, Decimal(1_000_000)) for _ in range(3)]
    programme = shared_programme(district, [(lines[0], "33.33"), (lines[1], "33.33"), (lines[2], "33.34")])
    enrolment = svc.pmt_enrol(
        user=district.users["bappeda_admin"],
        programme=programme,
        recipient=wasted_child(district),
        start_date=START,
    )
    parts = list(enrolment.reservations.order_by("budget_line_id").values_list("amount", flat=True))
    assert parts == [Decimal(326_634), Decimal(326_634), Decimal(326_732)]
    assert sum(parts) == enrolment.cost == Decimal(980_000)


def test_it_refuses_naming_the_line_without_room_and_reserves_nothing(district: DistrictFixture) -> None:
    line_a, line_b = two_lines(district, 5_000_000, 500_000)
    programme = shared_programme(district, [(line_a, "60"), (line_b, "40")])
    admin = district.users["bappeda_admin"]
    svc.pmt_enrol(user=admin, programme=programme, recipient=wasted_child(district, "Ayu"), start_date=START)
    with pytest.raises(ValidationError) as error:
        svc.pmt_enrol(
            user=admin, programme=programme, recipient=wasted_child(district, "Bima"), start_date=START
        )
    assert error.value.message_dict == {
        "budget_line": ["Sisa anggaran PMT APBD tidak cukup: perlu Rp 392.000, tersisa Rp 108.000."]
    }
    assert PMTEnrolment.objects.count() == 1
    assert (held(line_a), held(line_b)) == (Decimal(588_000), Decimal(392_000))


def test_it_names_every_line_without_room(district: DistrictFixture) -> None:
    line_a, line_b = two_lines(district, 500_000, 300_000)
    programme = shared_programme(district, [(line_a, "60"), (line_b, "40")])
    with pytest.raises(ValidationError) as error:
        svc.pmt_enrol(
            user=district.users["bappeda_admin"],
            programme=programme,
            recipient=wasted_child(district),
            start_date=START,
        )
    assert error.value.message_dict == {
        "budget_line": [
            "Sisa anggaran PMT lokal balita tidak cukup: perlu Rp 588.000, tersisa Rp 500.000.",
            "Sisa anggaran PMT APBD tidak cukup: perlu Rp 392.000, tersisa Rp 300.000.",
        ]
    }
    assert PMTReservation.objects.count() == 0


def test_it_refuses_shares_that_do_not_add_up_to_100(district: DistrictFixture) -> None:
    line_a, line_b = two_lines(district, 1_000_000, 1_000_000)
    programme = shared_programme(district, [(line_a, "60"), (line_b, "30")])
    with pytest.raises(ValidationError) as error:
        svc.pmt_enrol(
            user=district.users["bappeda_admin"],
            programme=programme,
            recipient=wasted_child(district),
            start_date=START,
        )
    assert error.value.message_dict == {
        "budget_line": ["Porsi pendanaan program berjumlah 90.00%, harus 100%."]
    }
    assert PMTEnrolment.objects.count() == 0


def test_payments_for_an_episode_stay_within_each_lines_part(district: DistrictFixture) -> None:
    line_a, line_b = two_lines(district, 1_000_000, 1_000_000)
    other = make_line(district, Decimal(1_000_000))
    programme = shared_programme(district, [(line_a, "60"), (line_b, "40")])
    enrolment = svc.pmt_enrol(
        user=district.users["bappeda_admin"],
        programme=programme,
        recipient=wasted_child(district),
        start_date=START,
    )
    maker, checker = district.users["opd_officer"], second_bappeda(district)

    def pay(line: BudgetLine, amount: int) -> None:
        row = svc.disbursement_record(
            user=maker,
            budget_line=line,
            amount=Decimal(amount),
            payee="Katering",
            paid_on=START,
            enrolment=enrolment,
        )
        svc.disbursement_approve(user=checker, disbursement=row)

    pay(line_b, 392_000)
    with pytest.raises(ValidationError) as error:
        pay(line_b, 1)
    assert error.value.message_dict == {
        "amount": ["Pembayaran melebihi biaya episode: diminta Rp 1, tersisa Rp 0."]
    }
    with pytest.raises(ValidationError) as error:
        pay(other, 1)
    assert error.value.message_dict == {"enrolment": ["Episode tidak dibiayai baris anggaran ini."]}
    pay(line_a, 588_000)
    assert sel.enrolment_paid(enrolment=enrolment) == enrolment.cost
    # Finished after 28 of 56 days, both lines already paid in full: nothing goes back.
    svc.pmt_delivery_record(
        user=maker, enrolment=enrolment, delivered_on=START, days_delivered=28, food_form="matang"
    )
    svc.pmt_enrolment_finish(user=maker, enrolment=enrolment, today=datetime.date(2025, 5, 1))
    assert list(enrolment.reservations.values_list("released", flat=True)) == [0, 0]
    for line in (line_a, line_b):
        totals = sel.budget_line_totals(line=line)
        assert totals.disbursed == totals.committed <= totals.allocated


def test_finishing_gives_back_each_lines_unspent_part(district: DistrictFixture) -> None:
    line_a, line_b = two_lines(district, 1_000_000, 1_000_000)
    programme = shared_programme(district, [(line_a, "60"), (line_b, "40")])
    officer = district.users["opd_officer"]
    enrolment = svc.pmt_enrol(
        user=officer, programme=programme, recipient=wasted_child(district), start_date=START
    )
    svc.pmt_delivery_record(
        user=officer, enrolment=enrolment, delivered_on=START, days_delivered=21, food_form="matang"
    )
    svc.pmt_enrolment_finish(user=officer, enrolment=enrolment, today=datetime.date(2025, 5, 1))
    # 21 days x Rp 17.500 = Rp 367.500 kept: Rp 220.500 on A, Rp 147.000 on B.
    assert list(enrolment.reservations.values_list("amount", "released")) == [
        (Decimal(588_000), Decimal(367_500)),
        (Decimal(392_000), Decimal(245_000)),
    ]
    assert (held(line_a), held(line_b)) == (Decimal(220_500), Decimal(147_000))


def test_the_api_shows_the_reservations_and_filters_by_line(district: DistrictFixture) -> None:
    line_a, line_b = two_lines(district, 1_000_000, 1_000_000)
    programme = shared_programme(district, [(line_a, "60"), (line_b, "40")])
    client = APIClient()
    client.force_authenticate(district.users["opd_officer"])
    response = client.post(
        "/api/v1/pmt-enrolments/",
        {"programme": programme.pk, "child": wasted_child(district).pk, "start_date": "2025-03-03"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["reservations"] == [
        {"budget_line": line_a.pk, "amount": "588000", "released": "0"},
        {"budget_line": line_b.pk, "amount": "392000", "released": "0"},
    ]
    listed = client.get(f"/api/v1/pmt-enrolments/?budget_line={line_b.pk}").json()
    assert [row["id"] for row in listed["results"]] == [response.json()["id"]]
    programme_row = client.get(f"/api/v1/pmt-programmes/{programme.pk}/").json()
    assert programme_row["fundings"] == [
        {"budget_line": line_a.pk, "share_percent": "60.00"},
        {"budget_line": line_b.pk, "share_percent": "40.00"},
    ]
