"""Two enrolments racing for the last rupiah of a budget line: the row lock lets exactly one through.

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
from interventions.models import PMTCategory, PMTEnrolment, PMTRate
from tests.factories import build_district
from tests.interventions.test_pmt import START, make_line, make_programme, wasted_child

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
