"""Finishing PMT episodes: days delivered, the unspent reservation given back, the stored outcome,
idempotence (the page, the API and the nightly task), scoping.

Ayu (wasted, 20-2-2025) is enrolled on 3-3-2025 for 56 days (Rp 980.000, planned last day 27-4)
on a Dinkes line of Rp 1.000.000.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from convergence.models import Role
from interventions import selectors_pmt as sel
from interventions import services_pmt as svc
from interventions.models import PMTEnrolment, PMTOutcome, PMTReservation
from interventions.tasks import pmt_finish_due
from tests.factories import DistrictFixture, UserFactory
from tests.interventions.test_pmt import (
    START,
    make_line,
    make_programme,
    measure,
    second_bappeda,
    wasted_child,
)

TODAY = datetime.date(2025, 5, 15)
PLANNED_END = datetime.date(2025, 4, 27)


def enrol_ayu(district: DistrictFixture, allocated: int = 1_000_000) -> PMTEnrolment:
    line = make_line(district, Decimal(allocated))
    return svc.pmt_enrol(
        user=district.users["bappeda_admin"],
        programme=make_programme(district, line),
        recipient=wasted_child(district),
        start_date=START,
    )


def deliver(district: DistrictFixture, enrolment: PMTEnrolment, *days: tuple[datetime.date, int]) -> None:
    for day, n in days:
        svc.pmt_delivery_record(
            user=district.users["kader"],
            enrolment=enrolment,
            delivered_on=day,
            days_delivered=n,
            food_form="matang",
        )


def pay(district: DistrictFixture, enrolment: PMTEnrolment, amount: int) -> None:
    line = enrolment.reservations.get().budget_line
    row = svc.disbursement_record(
        user=district.users["opd_officer"],
        budget_line=line,
        amount=Decimal(amount),
        payee="Katering Sehat",
        paid_on=START,
        enrolment=enrolment,
    )
    svc.disbursement_approve(user=second_bappeda(district), disbursement=row)


def snapshot(enrolment: PMTEnrolment) -> tuple[object, ...]:
    row = PMTEnrolment.objects.get(pk=enrolment.pk)
    outcome = PMTOutcome.objects.filter(enrolment=row).values_list("computed_on", "recovered").first()
    released = tuple(row.reservations.order_by("budget_line_id").values_list("released", flat=True))
    return row.status, row.finished_on, row.days_delivered, row.finished_by_id, released, outcome


def test_it_finishes_early_giving_back_what_was_not_delivered(district: DistrictFixture) -> None:
    enrolment = enrol_ayu(district)
    deliver(district, enrolment, (START, 14), (datetime.date(2025, 3, 17), 14))
    pay(district, enrolment, 300_000)
    measure(enrolment.child, datetime.date(2025, 4, 5), weight_kg=Decimal("7.80"), whz=-1.8, whz_category=2)
    officer = district.users["opd_officer"]
    finished = svc.pmt_enrolment_finish(
        user=officer, enrolment=enrolment, today=TODAY, finished_on=datetime.date(2025, 3, 30)
    )
    assert (finished.status, finished.finished_on, finished.days_delivered, finished.finished_by) == (
        "selesai",
        datetime.date(2025, 3, 30),
        28,
        officer,
    )
    # 28 of 56 days delivered: Rp 490.000 kept (more than the Rp 300.000 paid), Rp 490.000 back.
    reservation = PMTReservation.objects.get(enrolment=enrolment)
    assert (reservation.amount, reservation.released, reservation.held) == (
        Decimal(980_000),
        Decimal(490_000),
        Decimal(490_000),
    )
    totals = sel.budget_line_totals(line=reservation.budget_line)
    assert (totals.reserved, totals.disbursed, totals.committed, totals.available) == (
        Decimal(490_000),
        Decimal(300_000),
        Decimal(490_000),
        Decimal(510_000),
    )
    assert totals.disbursed <= totals.committed <= totals.allocated
    outcome = PMTOutcome.objects.get(enrolment=enrolment)
    assert (
        outcome.measured_before_on,
        outcome.measured_after_on,
        outcome.weight_gain_kg,
        outcome.z_change,
        outcome.recovered,
        outcome.computed_on,
    ) == (datetime.date(2025, 2, 20), datetime.date(2025, 4, 5), Decimal("0.70"), 0.7, True, TODAY)


def test_finishing_twice_changes_nothing(district: DistrictFixture) -> None:
    enrolment = enrol_ayu(district)
    deliver(district, enrolment, (START, 56))
    svc.pmt_enrolment_finish(user=district.users["opd_officer"], enrolment=enrolment, today=TODAY)
    before = snapshot(enrolment)
    assert before[:5] == ("selesai", PLANNED_END, 56, district.users["opd_officer"].pk, (Decimal(0),))
    again = svc.pmt_enrolment_finish(
        user=district.users["bappeda_admin"],
        enrolment=enrolment,
        today=TODAY + datetime.timedelta(days=3),
        finished_on=datetime.date(2025, 4, 1),
    )
    assert again.status == "selesai"
    assert snapshot(enrolment) == before
    assert PMTOutcome.objects.count() == 1


def test_an_episode_paid_beyond_its_deliveries_keeps_what_was_paid(district: DistrictFixture) -> None:
    enrolment = enrol_ayu(district)
    deliver(district, enrolment, (START, 14))
    pay(district, enrolment, 980_000)
    svc.pmt_enrolment_finish(user=district.users["opd_officer"], enrolment=enrolment, today=TODAY)
    reservation = PMTReservation.objects.get(enrolment=enrolment)
    assert (reservation.released, reservation.held) == (Decimal(0), Decimal(980_000))
    # The overpayment is corrected by a reversal; what it frees stays with the episode for a re-payment.
    totals = sel.budget_line_totals(line=reservation.budget_line)
    assert (totals.reserved, totals.disbursed, totals.available) == (
        Decimal(980_000),
        Decimal(980_000),
        20_000,
    )


def test_an_undelivered_episode_gives_everything_back(district: DistrictFixture) -> None:
    enrolment = enrol_ayu(district)
    svc.pmt_enrolment_finish(user=None, enrolment=enrolment, today=TODAY)
    assert snapshot(enrolment)[:5] == ("selesai", PLANNED_END, 0, None, (Decimal(980_000),))
    assert sel.budget_line_totals(line=enrolment.reservations.get().budget_line).available == Decimal(
        1_000_000
    )


@pytest.mark.parametrize(
    ("finished_on", "message"),
    [
        (datetime.date(2025, 3, 2), "Tanggal selesai harus di antara tanggal mulai episode dan hari ini."),
        (datetime.date(2025, 4, 28), "Tanggal selesai harus di antara tanggal mulai episode dan hari ini."),
        (datetime.date(2025, 3, 9), "Tanggal selesai tidak boleh sebelum penyaluran terakhir."),
    ],
)
def test_it_refuses_a_finish_date_outside_the_episode(
    district: DistrictFixture, finished_on: datetime.date, message: str
) -> None:
    enrolment = enrol_ayu(district)
    deliver(district, enrolment, (datetime.date(2025, 3, 10), 7))
    with pytest.raises(ValidationError) as error:
        svc.pmt_enrolment_finish(
            user=district.users["opd_officer"], enrolment=enrolment, today=TODAY, finished_on=finished_on
        )
    assert error.value.message_dict == {"finished_on": [message]}
    assert snapshot(enrolment) == ("aktif", None, None, None, (Decimal(0),), None)


def test_a_finished_episode_takes_no_delivery_and_no_cancellation(district: DistrictFixture) -> None:
    enrolment = enrol_ayu(district)
    svc.pmt_enrolment_finish(
        user=district.users["opd_officer"], enrolment=enrolment, today=TODAY, finished_on=START
    )
    with pytest.raises(ValidationError) as error:
        deliver(district, enrolment, (START, 1))
    assert error.value.message_dict == {"enrolment": ["Episode sudah selesai atau dibatalkan."]}
    with pytest.raises(ValidationError) as error:
        svc.pmt_enrolment_cancel(user=district.users["opd_officer"], enrolment=enrolment)
    assert error.value.message_dict == {"status": ["Episode yang sudah selesai tidak dapat dibatalkan."]}
    cancelled = enrol_ayu(district)
    svc.pmt_enrolment_cancel(user=district.users["opd_officer"], enrolment=cancelled)
    with pytest.raises(ValidationError):
        svc.pmt_enrolment_finish(user=district.users["opd_officer"], enrolment=cancelled, today=TODAY)
    assert PMTEnrolment.objects.get(pk=cancelled.pk).status == "dibatalkan"


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("bappeda_admin", True),
        ("opd_officer", True),  # Dinkes runs the programme
        ("puskesmas_officer", True),  # Ayu lives in its area
        ("pimpinan", False),
        ("kader", False),
        ("kpm", False),
        ("no_role", False),
        ("pupr_officer", False),
        ("other_bappeda", False),
    ],
)
def test_only_who_may_enrol_may_finish(district: DistrictFixture, role: str, allowed: bool) -> None:
    enrolment = enrol_ayu(district)
    if role == "pupr_officer":
        user = UserFactory(username="pupr", role=Role.OPD_OFFICER, opd=district.pupr)
    elif role == "other_bappeda":
        user = UserFactory(
            username="bappeda_bws", role=Role.BAPPEDA_ADMIN, kabupaten=district.other_kabupaten
        )
    else:
        user = district.users[role]
    if allowed:
        assert svc.pmt_enrolment_finish(user=user, enrolment=enrolment, today=TODAY).status == "selesai"
        return
    with pytest.raises(PermissionDenied):
        svc.pmt_enrolment_finish(user=user, enrolment=enrolment, today=TODAY)
    assert snapshot(enrolment) == ("aktif", None, None, None, (Decimal(0),), None)


def test_the_nightly_task_finishes_due_episodes_once_and_refreshes_outcomes(
    district: DistrictFixture,
) -> None:
    due = enrol_ayu(district, allocated=2_000_000)
    deliver(district, due, (START, 56))
    running = svc.pmt_enrol(
        user=district.users["bappeda_admin"],
        programme=due.programme,
        recipient=wasted_child(district, "Bima"),
        start_date=datetime.date(2025, 3, 10),  # last day 4-5-2025
    )
    assert pmt_finish_due(today="2025-05-04") == {"finished": 1, "refreshed": 1}
    assert snapshot(due)[:5] == ("selesai", PLANNED_END, 56, None, (Decimal(0),))
    assert PMTOutcome.objects.get(enrolment=due).recovered is None  # not measured after the end yet
    assert PMTEnrolment.objects.get(pk=running.pk).status == "aktif"
    first = snapshot(due)
    assert pmt_finish_due(today="2025-05-04") == {"finished": 0, "refreshed": 1}
    assert snapshot(due) == first
    # A measurement entered late (within 30 days of the end) is picked up by the next night's run.
    measure(due.child, datetime.date(2025, 5, 3), weight_kg=Decimal("8.00"), whz=-1.5, whz_category=2)
    assert pmt_finish_due(today="2025-05-06") == {"finished": 1, "refreshed": 2}
    outcome = PMTOutcome.objects.get(enrolment=due)
    assert (outcome.measured_after_on, outcome.recovered, outcome.computed_on) == (
        datetime.date(2025, 5, 3),
        True,
        datetime.date(2025, 5, 6),
    )
    assert PMTEnrolment.objects.get(pk=running.pk).finished_on == datetime.date(2025, 5, 4)


def test_the_recipients_page_finishes_an_episode(district: DistrictFixture) -> None:
    enrolment = enrol_ayu(district)
    url = reverse("interventions:pmt-enrolment-finish", args=[enrolment.pk])
    page = reverse("interventions:pmt-recipients", args=[2025])
    officer = Client()
    officer.force_login(district.users["opd_officer"])
    assert url in officer.get(page).content.decode()
    assert officer.get(url).status_code == 405
    kader = Client()
    kader.force_login(district.users["kader"])
    assert url not in kader.get(page).content.decode()
    assert kader.post(url).status_code == 403
    kpm = Client()
    kpm.force_login(district.users["kpm"])  # SILIRAGUNG: Ayu is not in its area
    assert kpm.post(url).status_code == 404
    assert PMTEnrolment.objects.get(pk=enrolment.pk).status == "aktif"
    response = officer.post(url, {"next": page, "token": "finish-token-0001"})
    assert (response.status_code, response["Location"]) == (302, page)
    assert PMTEnrolment.objects.get(pk=enrolment.pk).status == "selesai"
    again = officer.post(url, {"next": "https://example.org/", "token": "finish-token-0002"})
    assert again["Location"] == page
