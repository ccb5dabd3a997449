"""seed_demo steps: the standard intervention catalogue, a year of deliveries with realistic gaps, and
referrals in every state.

Coverage differs by intervention as field reports describe: TTD reaches most pregnant women, PMT about
60 % of those eligible, clean-water connections about 30 % of stunted children's families lacking it,
PKH about half of the eligible poor families. Everything is drawn from the step's own generator.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import numpy as np
from django.core.management.base import OutputWrapper
from django.utils.translation import gettext as _

from convergence.demo import DemoDistrict, DemoScale, demo_cleanup, demo_step, step_rng
from convergence.models import Region, Role
from interventions import eligibility as rules
from interventions.catalogue import catalogue_load
from interventions.models import Delivery, FundingSource, Intervention, Referral
from interventions.selectors import population_load

INSERT_BATCH = 5000
# Share of the eligible targets that received the intervention this year.
COVERAGE = {
    "TTD-BUMIL": 0.85,
    "PMT-BUMIL-KEK": 0.6,
    "ASI-EKSKLUSIF": 0.7,
    "MPASI": 0.7,
    "IDL": 0.8,
    "TL-GIZI-BURUK": 0.75,
    "PMT-BALITA-GK": 0.6,
    "KUNJUNGAN-STUNTING": 0.5,
    "AIR-MINUM": 0.3,
    "JAMBAN": 0.25,
    "PKH": 0.5,
    "BPNT": 0.45,
    "JKN-ANAK": 0.4,
    "AKTA-LAHIR": 0.55,
    "PENDAMPINGAN-TPK": 0.65,
    "GEMARIKAN": 0.3,
    "PEKARANGAN": 0.2,
    "TTD-REMAJA": 0.6,
    "HB-REMAJA": 0.5,
}
QUANTITY = {"tablet": 30, "kg": 4, "rupiah": 750000}
FUNDING = {
    "PUPR": FundingSource.DAK,
    "DINSOS": FundingSource.APBN,
    "DINKES": FundingSource.DAK,
    "PERTANIAN": FundingSource.DANA_DESA,
}
REFERRALS_PER_STATE = 10


@demo_step(200, "intervensi")
def seed_interventions(
    *, rng_seed: int, scale: DemoScale, district: DemoDistrict, out: OutputWrapper
) -> None:
    """The catalogue, then deliveries to a share of each intervention's eligible targets this year."""
    catalogue_load(kabupaten=district.kabupaten)
    generator = np.random.default_rng(step_rng(rng_seed, "intervensi").randrange(2**32))
    today = district.today
    start = datetime.date(today.year, 1, 1)
    span_days = max((today - start).days, 1)
    desa = Region.objects.filter(
        code__startswith=f"{district.kabupaten.code}.", level__in=["desa", "kelurahan"]
    )
    population = population_load(desa=desa, on=today)
    interventions = list(Intervention.objects.filter(kabupaten=district.kabupaten).select_related("opd"))
    deliveries: list[Delivery] = []
    gaps: list[tuple[Intervention, str, int, int]] = []
    for item in sorted(interventions, key=lambda row: row.code):
        rows = rules.eligible(
            population, group=item.target_group, rule=item.eligibility_rule, params=item.rule_params
        )
        got = generator.random(len(rows.subject_id)) < COVERAGE.get(item.code, 0.5)
        days = generator.integers(0, span_days, size=len(rows.subject_id))
        for subject_id, desa_id, received, day in zip(
            rows.subject_id.tolist(), rows.desa_id.tolist(), got.tolist(), days.tolist(), strict=True
        ):
            if not received:
                gaps.append((item, rows.kind, subject_id, desa_id))
                continue
            deliveries.append(
                _delivery(item, rows.kind, subject_id, desa_id, start + datetime.timedelta(days=day))
            )
    Delivery.objects.bulk_create(deliveries, batch_size=INSERT_BATCH)
    referrals = _referrals(district, gaps, generator, today)
    district.count(_("Intervensi"), len(interventions))
    district.count(_("Penyaluran intervensi"), len(deliveries) + referrals)


def _delivery(item: Intervention, kind: str, subject_id: int, desa_id: int, day: datetime.date) -> Delivery:
    return Delivery(
        intervention=item,
        opd_id=item.opd_id,
        child_id=subject_id if kind == rules.CHILD else None,
        person_id=subject_id if kind == rules.PERSON else None,
        keluarga_id=subject_id if kind == rules.FAMILY else None,
        desa_id=desa_id,
        delivered_on=day,
        quantity=Decimal(QUANTITY.get(item.unit, 1)),
        unit=item.unit,
        funding_source=FUNDING.get(item.opd.code, FundingSource.APBD),
        source=Delivery.Source.DEMO,
    )


def _referrals(
    district: DemoDistrict,
    gaps: list[tuple[Intervention, str, int, int]],
    generator: np.random.Generator,
    today: datetime.date,
) -> int:
    """Referrals from a sample of gaps in every state; the "selesai" ones with the delivery that closed them."""
    creator = next((user for user in district.users.values() if user.role == Role.BAPPEDA_ADMIN), None)
    if creator is None or not gaps:
        return 0
    states = [
        Referral.Status.OPEN,
        Referral.Status.IN_PROGRESS,
        Referral.Status.CANCELLED,
        Referral.Status.DONE,
    ]
    picks = generator.choice(len(gaps), size=min(len(gaps), REFERRALS_PER_STATE * len(states)), replace=False)
    closing: list[tuple[Referral, Delivery]] = []
    referrals: list[Referral] = []
    for n, index in enumerate(sorted(picks.tolist())):
        item, kind, subject_id, desa_id = gaps[index]
        status = states[n % len(states)]
        referral = Referral(
            intervention=item,
            opd_id=item.opd_id,
            child_id=subject_id if kind == rules.CHILD else None,
            person_id=subject_id if kind == rules.PERSON else None,
            keluarga_id=subject_id if kind == rules.FAMILY else None,
            desa_id=desa_id,
            reason=rules.RULES[item.eligibility_rule].label,
            status=Referral.Status.OPEN if status == Referral.Status.DONE else status,
            due_date=today + datetime.timedelta(days=int(generator.integers(-10, 45))),
            created_by=creator,
        )
        referrals.append(referral)
        if status == Referral.Status.DONE:
            closing.append((referral, _delivery(item, kind, subject_id, desa_id, today)))
    Referral.objects.bulk_create(referrals)
    Delivery.objects.bulk_create([delivery for _, delivery in closing])
    for referral, delivery in closing:
        referral.status = Referral.Status.DONE
        referral.delivery = delivery
    Referral.objects.bulk_update([referral for referral, _ in closing], ["status", "delivery"])
    return len(closing)


@demo_cleanup(200, "intervensi")
def delete_interventions(*, kabupaten: Region, out: OutputWrapper) -> None:
    """Referrals, deliveries and interventions of the kabupaten (with their history), in FK order."""
    Referral.history.filter(opd__kabupaten=kabupaten).delete()
    Referral.objects.filter(opd__kabupaten=kabupaten).delete()
    Delivery.history.filter(opd__kabupaten=kabupaten).delete()
    Delivery.objects.filter(opd__kabupaten=kabupaten).delete()
    Intervention.history.filter(kabupaten=kabupaten).delete()
    Intervention.objects.filter(kabupaten=kabupaten).delete()


# The PMT step lives in its own module; the demo registry only discovers <app>/demo.py.
from interventions import demo_pmt  # noqa: E402, F401
