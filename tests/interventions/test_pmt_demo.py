"""The seed_demo PMT step on the hand-checked desa: money reconciles on every line, cleanup removes it."""

from __future__ import annotations

import datetime
from decimal import Decimal
from io import StringIO

from django.core.management.base import OutputWrapper

from children.models import Child, Measurement, Pregnancy, PregnancyVisit
from convergence.demo import SCALES, DemoDistrict
from interventions import selectors_pmt as sel
from interventions.demo_pmt import delete_pmt, seed_pmt
from interventions.models import BudgetLine, Disbursement, PMTDeliveryLog, PMTEnrolment, PMTOutcome
from tests.interventions.conftest import TODAY, Village

SEED_REACHING_BOTH = 4  # a seed whose draws enrol both Gilang and Ema (each reached with p = 0.7)


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
    # DAK (balita), APBD and DAK (ibu hamil, 60/40) at Dinkes; Dana Desa of the 3 desa.
    assert BudgetLine.objects.count() == 6
    for line in BudgetLine.objects.all():
        totals = sel.budget_line_totals(line=line)
        assert totals.disbursed <= totals.committed <= totals.allocated
    dak = BudgetLine.objects.get(source="dak", revisions__isnull=False)
    assert dak.revisions.get().new_allocated == dak.allocated
    for enrolment in PMTEnrolment.objects.all():
        assert enrolment.cost == enrolment.days * enrolment.daily_rate
        assert sum(enrolment.reservations.values_list("amount", flat=True)) == enrolment.cost
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


def test_it_finishes_past_episodes_with_outcomes_for_children_and_mothers(village: Village) -> None:
    # Gilang, wasted on 1-3-2025, recovered by 10-5; Ema's KEK found at her visit of 1-2-2025.
    gilang = Child.objects.create(
        name="Gilang",
        sex="L",
        birth_date=datetime.date(2024, 1, 5),
        posyandu=village.district.posyandu_a1,
        desa=village.district.desa_a1,
    )
    for day, kg, whz, category in (
        (datetime.date(2025, 3, 1), "7.40", -2.4, 1),
        (datetime.date(2025, 5, 10), "8.30", -1.6, 2),
    ):
        Measurement.objects.create(
            child=gilang,
            posyandu=gilang.posyandu,
            measured_on=day,
            age_days=(day - gilang.birth_date).days,
            weight_kg=Decimal(kg),
            whz=whz,
            whz_category=category,
        )
    ema_pregnancy = Pregnancy.objects.get(mother=village.mothers["ema"])
    PregnancyVisit.objects.create(
        pregnancy=ema_pregnancy,
        visit_date=datetime.date(2025, 2, 1),
        weight_kg=Decimal("48.0"),
        lila_cm=Decimal("22.0"),
    )
    _run(village, seed=SEED_REACHING_BOTH)
    gilang_episode = PMTEnrolment.objects.get(child=gilang)
    ema_episode = PMTEnrolment.objects.get(person=village.mothers["ema"])
    assert (gilang_episode.start_date, gilang_episode.status, gilang_episode.finished_on) == (
        datetime.date(2025, 3, 2),
        "selesai",
        datetime.date(2025, 4, 26),
    )
    child_outcome = PMTOutcome.objects.get(enrolment=gilang_episode)
    assert (child_outcome.weight_gain_kg, child_outcome.z_change, child_outcome.recovered) == (
        Decimal("0.90"),
        0.8,
        True,
    )
    assert (ema_episode.start_date, ema_episode.status) == (datetime.date(2025, 2, 2), "selesai")
    mother_outcome = PMTOutcome.objects.get(enrolment=ema_episode)
    assert mother_outcome.lila_before_cm == Decimal("22.0")
    assert mother_outcome.lila_after_cm == mother_outcome.lila_before_cm + mother_outcome.lila_change_cm
    assert mother_outcome.recovered == (mother_outcome.lila_after_cm >= Decimal("23.5"))
    # Ema's episode is split 60/40 over the APBD and DAK lines and paid in full on each.
    assert sorted(ema_episode.reservations.values_list("amount", flat=True)) == [
        Decimal(1_032_000),
        Decimal(1_548_000),
    ]
    assert sel.enrolment_paid(enrolment=ema_episode) == Decimal(2_580_000)
