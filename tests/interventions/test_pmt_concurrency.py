"""Races on a budget line's money: two enrolments for the last rupiah (of one line, or of one of the
lines of a shared programme) let exactly one through; two finishes of an episode give back once.

Needs real concurrent connections and SELECT ... FOR UPDATE, so it runs on PostgreSQL only (CI sets
DATABASE_URL); SQLite locks the whole database file and has no row locks to test.
"""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from interventions import selectors_pmt as sel
from interventions import services_pmt as svc
from interventions.models import PMTCategory, PMTEnrolment, PMTOutcome, PMTRate, PMTReservation
from tests.factories import build_district
from tests.interventions.test_pmt import START, make_line, make_programme, wasted_child
from tests.interventions.test_pmt_shares import shared_programme

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locking (SELECT ... FOR UPDATE) is tested on PostgreSQL"
)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_enrolments_against_the_last_rupiah_let_one_through() -> None:
    district = build_district()
    # Its own rate: the test must not depend on which reference rows an earlier transactional test left.
    PMTRate.objects.create(
        kabupaten=district.kabupaten,
        category=PMTCategory.GIZI_KURANG,
        valid_from=datetime.date(2025, 1, 1),
        daily_rate=Decimal(17_500),
        duration_days=56,
    )
    line = make_line(district, Decimal(980_000))  # exactly one 56-day episode at Rp 17,500
    programme = make_programme(district, line)
    children = [wasted_child(district, "Ayu"), wasted_child(district, "Bima")]
    user = district.users["bappeda_admin"]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def enrol(child_index: int) -> None:
        try:
            barrier.wait(timeout=10)
            svc.pmt_enrol(user=user, programme=programme, recipient=children[child_index], start_date=START)
            outcomes.append("ok")
        except ValidationError as error:
            outcomes.append(" ".join(error.messages))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=enrol, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == [
        "Sisa anggaran PMT lokal balita tidak cukup: perlu Rp 980.000, tersisa Rp 0.",
        "ok",
    ]
    assert PMTEnrolment.objects.count() == 1
    totals = sel.budget_line_totals(line=line)
    assert (totals.reserved, totals.available) == (Decimal(980_000), 0)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_enrolments_in_a_shared_programme_let_one_through_naming_the_short_line() -> None:
    district = build_district()
    PMTRate.objects.create(
        kabupaten=district.kabupaten,
        category=PMTCategory.GIZI_KURANG,
        valid_from=datetime.date(2025, 1, 1),
        daily_rate=Decimal(17_500),
        duration_days=56,
    )
    line_a = make_line(district, Decimal(5_000_000))  # room for both 60 % parts
    line_b = svc.budget_line_create(
        user=district.users["bappeda_admin"],
        kabupaten=district.kabupaten,
        year=2025,
        source="apbd",
        name="PMT APBD",
        allocated=Decimal(392_000),  # exactly one 40 % part
        opd=district.dinkes,
    )
    programme = shared_programme(district, [(line_a, "60"), (line_b, "40")])
    children = [wasted_child(district, "Ayu"), wasted_child(district, "Bima")]
    user = district.users["bappeda_admin"]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def enrol(child_index: int) -> None:
        try:
            barrier.wait(timeout=10)
            svc.pmt_enrol(user=user, programme=programme, recipient=children[child_index], start_date=START)
            outcomes.append("ok")
        except ValidationError as error:
            outcomes.append(" ".join(error.messages))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=enrol, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["Sisa anggaran PMT APBD tidak cukup: perlu Rp 392.000, tersisa Rp 0.", "ok"]
    assert PMTEnrolment.objects.count() == 1
    assert (sel.budget_line_totals(line=line_a).reserved, sel.budget_line_totals(line=line_b).available) == (
        Decimal(588_000),
        0,
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_finishes_give_back_once() -> None:
    district = build_district()
    PMTRate.objects.create(
        kabupaten=district.kabupaten,
        category=PMTCategory.GIZI_KURANG,
        valid_from=datetime.date(2025, 1, 1),
        daily_rate=Decimal(17_500),
        duration_days=56,
    )
    line = make_line(district, Decimal(980_000))
    user = district.users["bappeda_admin"]
    enrolment = svc.pmt_enrol(
        user=user,
        programme=make_programme(district, line),
        recipient=wasted_child(district),
        start_date=START,
    )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def finish() -> None:
        try:
            barrier.wait(timeout=10)
            row = svc.pmt_enrolment_finish(user=user, enrolment=enrolment, today=datetime.date(2025, 6, 1))
            outcomes.append(row.status)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=finish) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert outcomes == ["selesai", "selesai"]
    assert list(PMTReservation.objects.values_list("amount", "released")) == [
        (Decimal(980_000), Decimal(980_000))
    ]
    assert PMTOutcome.objects.count() == 1
    assert sel.budget_line_totals(line=line).available == Decimal(980_000)
