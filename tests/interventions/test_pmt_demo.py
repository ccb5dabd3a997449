"""The seed_demo PMT step on the hand-checked desa: money reconciles on every line, cleanup removes it."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

from django.core.management.base import OutputWrapper

from convergence.demo import SCALES, DemoDistrict
from interventions import selectors_pmt as sel
from interventions.demo_pmt import delete_pmt, seed_pmt
from interventions.models import BudgetLine, Disbursement, PMTDeliveryLog, PMTEnrolment
from tests.interventions.conftest import TODAY, Village


def _run(village: Village, seed: int) -> DemoDistrict:
    demo = DemoDistrict(today=TODAY)
    demo.kabupaten = village.district.kabupaten
    demo.opd = {"DINKES": village.district.dinkes}
    demo.users = {user.username: user for user in village.district.users.values()}
    seed_pmt(rng_seed=seed, scale=SCALES["small"], district=demo, out=OutputWrapper(StringIO()))
    return demo


def test_it_seeds_pmt_money_that_reconciles(village: Village) -> None:
    _run(village, seed=3)
    # Ayu (wasted on 5-11-2025) and Ema (KEK) are the only targets; each is reached with p = 0.7.
    assert PMTEnrolment.objects.count() >= 1
    assert BudgetLine.objects.count() == 5  # DAK, APBD at Dinkes; Dana Desa of the 3 desa
    for line in BudgetLine.objects.all():
        totals = sel.budget_line_totals(line=line)
        assert totals.disbursed <= totals.committed <= totals.allocated
    dak = BudgetLine.objects.get(source="dak")
    assert dak.revisions.get().new_allocated == dak.allocated
    for enrolment in PMTEnrolment.objects.all():
        assert enrolment.cost == enrolment.days * enrolment.daily_rate
        assert sum(enrolment.delivery_logs.values_list("days_delivered", flat=True)) <= enrolment.days
        assert sel.enrolment_paid(enrolment=enrolment) <= enrolment.cost
    # Every approved row was approved by someone other than its maker.
    for row in Disbursement.objects.filter(status="disetujui"):
        assert row.approved_by_id != row.recorded_by_id
    assert Disbursement.objects.filter(budget_line__source="dana_desa").values_list(
        "amount", flat=True
    ).distinct().get() == Decimal(15_000_000)


def test_its_cleanup_removes_every_pmt_row(village: Village) -> None:
    _run(village, seed=3)
    delete_pmt(kabupaten=village.district.kabupaten, out=OutputWrapper(StringIO()))
    assert (BudgetLine.objects.count(), PMTEnrolment.objects.count(), PMTDeliveryLog.objects.count()) == (
        0,
        0,
        0,
    )
