"""seed_demo step: a year of PMT money traced to named recipients.

Budget lines (DAK non-fisik and APBD at Dinkes, Dana Desa of a few desa) with a mid-year refocusing
revision; a gizi-kurang programme enrolling wasted children the day after the weighing that found
them, until its line runs dry; an ibu-hamil-KEK programme funded 60/40 by an APBD and a DAK line,
enrolling KEK mothers the day after the visit that found them; weekly delivery logs; one payment per
episode recorded by Dinkes and approved by Bappeda (maker-checker), the running episodes' payments
still pending, and one corrected payment (a reversal). Episodes whose last day has passed are
finished, with their outcome stored: children's from the measurements the children step made,
mothers' from their visits plus the LiLA the midwife measures at the end of the episode. Rows are
bulk-inserted with the services' invariants kept by hand: no line commits more than its allocation.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from typing import Any

from django.core.management.base import OutputWrapper
from django.utils import timezone
from django.utils.translation import gettext as _

from children.models import Measurement, Pregnancy, PregnancyVisit
from children.partitions import PREGNANCY_VISIT, ensure_partitions
from convergence.demo import DemoDistrict, DemoScale, demo_cleanup, demo_step, step_rng
from convergence.models import Region, User
from interventions import pmt
from interventions.models import (
    BudgetLine,
    BudgetRevision,
    Disbursement,
    FundingSource,
    PMTCategory,
    PMTDeliveryLog,
    PMTEnrolment,
    PMTFunding,
    PMTProgramme,
    PMTRate,
    PMTReservation,
)
from interventions.partitions import PMT_DELIVERY_LOG
from interventions.services_pmt import pmt_outcomes_store

CHILD_RATE, MOTHER_RATE = Decimal(17_500), Decimal(21_500)
CHILD_DAYS, MOTHER_DAYS = 56, 120
ENROL_SHARE = 0.7  # share of the found targets the programme reaches
FUNDED_SHARE = Decimal("0.8")  # the line covers this share of what the found targets would cost
MOTHER_SHARES = [Decimal(60), Decimal(40)]  # APBD, DAK
# LiLA gained over a 120-day episode (cm): mean and spread, so that about half leave KEK.
LILA_GAIN_CM, LILA_GAIN_SD_CM = 1.2, 0.7


def _line(
    district: DemoDistrict, year: int, source: str, name: str, amount: Decimal, **holder: object
) -> BudgetLine:
    return BudgetLine.objects.create(
        kabupaten=district.kabupaten,
        year=year,
        source=source,
        name=name,
        allocated=amount,
        original_allocated=amount,
        programme_code="1.02.02",
        activity_code="1.02.02.2.02",
        sub_activity_code="1.02.02.2.02.0011",
        **holder,
    )


def _millions(amount: Decimal) -> Decimal:
    return (amount / 1_000_000).to_integral_value(rounding="ROUND_CEILING") * 1_000_000


@demo_step(210, "pmt")
def seed_pmt(*, rng_seed: int, scale: DemoScale, district: DemoDistrict, out: OutputWrapper) -> None:
    """Budget lines, PMT programmes, episodes, delivery logs and disbursements of the current year."""
    rng = step_rng(rng_seed, "pmt")
    today = district.today
    maker, checker = district.users["dinkes"], district.users["bappeda"]
    enrolments, lines_of = _child_episodes(rng, district)
    pregnancy_of = _mother_episodes(rng, district, enrolments, lines_of)
    for enrolment in enrolments:
        if enrolment.end_date < today:
            # Delivered in full (the weekly logs below): finished on its planned last day.
            enrolment.status = PMTEnrolment.Status.FINISHED
            enrolment.finished_on = enrolment.end_date
            enrolment.days_delivered = enrolment.days
    PMTEnrolment.objects.bulk_create(enrolments, batch_size=2000)
    PMTReservation.objects.bulk_create(
        (
            PMTReservation(enrolment=e, budget_line=line, amount=amount)
            for e in enrolments
            for line, amount in lines_of[id(e)]
        ),
        batch_size=5000,
    )
    logs, payments = _deliveries_and_payments(enrolments, lines_of, today, maker, checker)
    ensure_partitions(PMT_DELIVERY_LOG, {log.delivered_on.year for log in logs})
    PMTDeliveryLog.objects.bulk_create(logs, batch_size=5000)
    Disbursement.objects.bulk_create(payments, batch_size=2000)
    _one_reversal(district.kabupaten, maker, checker, today)
    finished = [e for e in enrolments if e.status == PMTEnrolment.Status.FINISHED]
    _evaluation_visits(rng, finished, pregnancy_of, today)
    pmt_outcomes_store(enrolments=finished, today=today)
    _dana_desa(district)
    district.count(_("Episode PMT"), len(enrolments))
    district.count(
        _("Pencairan PMT"), Disbursement.objects.filter(budget_line__kabupaten=district.kabupaten).count()
    )


Lines = dict[int, list[tuple[BudgetLine, Decimal]]]  # by id() of the enrolment


def _child_episodes(rng: random.Random, district: DemoDistrict) -> tuple[list[PMTEnrolment], Lines]:
    """The DAK line (revised in June) and the programme for wasted children, with their episodes (not
    yet saved) and the line each episode draws on."""
    today, year = district.today, district.today.year
    dinkes = district.opd["DINKES"]
    maker, checker = district.users["dinkes"], district.users["bappeda"]
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    in_kabupaten = {"child__desa__code__startswith": f"{district.kabupaten.code}."}
    # Wasted children: the first weighing of the year that found them, if there is room for 56 days.
    found: dict[int, tuple[datetime.date, int]] = {}
    for child_id, measured_on, desa_id in (
        Measurement.objects.filter(
            measured_on__gte=start,
            measured_on__lte=today - datetime.timedelta(days=2),
            whz_category__in=[pmt.WHZ_GIZI_BURUK, pmt.WHZ_GIZI_KURANG],
            **in_kabupaten,
        )
        .order_by("measured_on", "child_id")
        .values_list("child_id", "measured_on", "child__desa_id")
    ):
        found.setdefault(child_id, (measured_on + datetime.timedelta(days=1), desa_id))
    child_cost = pmt.episode_cost(days=CHILD_DAYS, daily_rate=CHILD_RATE)
    original = _millions(child_cost * len(found) * FUNDED_SHARE / Decimal("0.9")) or Decimal(1_000_000)
    dak = _line(
        district,
        year,
        FundingSource.DAK,
        _("PMT lokal balita gizi kurang (DAK non-fisik)"),
        original,
        opd=dinkes,
    )
    revised = _millions(original * Decimal("0.9"))
    BudgetRevision.objects.create(
        budget_line=dak,
        revised_on=datetime.date(year, 6, 30),
        previous_allocated=original,
        new_allocated=revised,
        reason=_("Refocusing anggaran semester II"),
        made_by=checker,
    )
    dak.allocated = revised
    dak.save(update_fields=["allocated"])
    gk = PMTProgramme.objects.create(
        kabupaten=district.kabupaten,
        year=year,
        name=_("PMT lokal balita gizi kurang %(year)s") % {"year": year},
        category=PMTCategory.GIZI_KURANG,
        starts_on=start,
        ends_on=end,
        opd=dinkes,
    )
    PMTFunding.objects.create(programme=gk, budget_line=dak)
    enrolments: list[PMTEnrolment] = []
    lines_of: Lines = {}
    left = revised
    for child_id, (day, desa_id) in sorted(found.items(), key=lambda item: (item[1][0], item[0])):
        if rng.random() >= ENROL_SHARE or child_cost > left:
            continue
        left -= child_cost
        enrolment = PMTEnrolment(
            programme=gk,
            child_id=child_id,
            desa_id=desa_id,
            start_date=day,
            days=CHILD_DAYS,
            daily_rate=CHILD_RATE,
            cost=child_cost,
            rate=_default_rate(PMTCategory.GIZI_KURANG, CHILD_DAYS, CHILD_RATE),
            enrolled_by=maker,
        )
        enrolments.append(enrolment)
        lines_of[id(enrolment)] = [(dak, child_cost)]
    return enrolments, lines_of


def _mother_episodes(
    rng: random.Random, district: DemoDistrict, enrolments: list[PMTEnrolment], lines_of: Lines
) -> dict[int, int]:
    """The two lines and the programme for KEK pregnant women, whose episodes (not yet saved) are added
    to `enrolments`; returns each enrolled mother's KEK pregnancy."""
    today, year = district.today, district.today.year
    dinkes = district.opd["DINKES"]
    maker = district.users["dinkes"]
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    # Ibu hamil KEK: ongoing KEK pregnancies, enrolled the day after the first visit of the year that
    # found the LiLA under 23.5 cm (or on a day of the year so far when no visit recorded it).
    kek = list(
        Pregnancy.objects.filter(
            is_kek=True,
            outcome=Pregnancy.Outcome.ONGOING,
            desa__code__startswith=f"{district.kabupaten.code}.",
        )
        .order_by("pk")
        .values_list("pk", "mother_id", "desa_id")
    )
    found_kek = _kek_found([row[0] for row in kek], start, today)
    mother_cost = pmt.episode_cost(days=MOTHER_DAYS, daily_rate=MOTHER_RATE)
    mother_total = mother_cost * len(kek)
    apbd = _line(
        district,
        year,
        FundingSource.APBD,
        _("PMT ibu hamil KEK (APBD)"),
        _millions(mother_total * MOTHER_SHARES[0] / 100) or Decimal(1_000_000),
        opd=dinkes,
    )
    dak_bumil = _line(
        district,
        year,
        FundingSource.DAK,
        _("PMT lokal ibu hamil KEK (DAK non-fisik)"),
        _millions(mother_total * MOTHER_SHARES[1] / 100) or Decimal(1_000_000),
        opd=dinkes,
    )
    bumil = PMTProgramme.objects.create(
        kabupaten=district.kabupaten,
        year=year,
        name=_("PMT ibu hamil KEK %(year)s") % {"year": year},
        category=PMTCategory.BUMIL_KEK,
        starts_on=start,
        ends_on=end,
        opd=dinkes,
    )
    for line, share in zip((apbd, dak_bumil), MOTHER_SHARES, strict=True):
        PMTFunding.objects.create(programme=bumil, budget_line=line, share_percent=share)
    mother_parts = pmt.split_cost(mother_cost, MOTHER_SHARES)
    span = max((today - start).days - 7, 1)
    pregnancy_of: dict[int, int] = {}  # mother id -> her KEK pregnancy
    for pregnancy_id, mother_id, desa_id in kek:
        if rng.random() >= ENROL_SHARE or mother_id in pregnancy_of:
            continue
        pregnancy_of[mother_id] = pregnancy_id
        enrolment = PMTEnrolment(
            programme=bumil,
            person_id=mother_id,
            desa_id=desa_id,
            start_date=found_kek.get(pregnancy_id) or start + datetime.timedelta(days=rng.randrange(span)),
            days=MOTHER_DAYS,
            daily_rate=MOTHER_RATE,
            cost=mother_cost,
            rate=_default_rate(PMTCategory.BUMIL_KEK, MOTHER_DAYS, MOTHER_RATE),
            enrolled_by=maker,
        )
        enrolments.append(enrolment)
        lines_of[id(enrolment)] = list(zip((apbd, dak_bumil), mother_parts, strict=True))
    return pregnancy_of


def _kek_found(
    pregnancy_ids: list[int], start: datetime.date, today: datetime.date
) -> dict[int, datetime.date]:
    """The day after the first visit since `start` (up to two days ago) that measured a LiLA under
    23.5 cm, by pregnancy."""
    found_kek: dict[int, datetime.date] = {}
    for pregnancy_id, visit_date in (
        PregnancyVisit.objects.filter(
            pregnancy_id__in=pregnancy_ids,
            visit_date__gte=start,
            visit_date__lte=today - datetime.timedelta(days=2),
            lila_cm__lt=pmt.KEK_LILA_CM,
        )
        .order_by("visit_date", "pk")
        .values_list("pregnancy_id", "visit_date")
    ):
        found_kek.setdefault(pregnancy_id, visit_date + datetime.timedelta(days=1))
    return found_kek


def _dana_desa(district: DemoDistrict) -> None:
    """Dana Desa lines of the first three desa, half spent on cooking classes and local-food PMT."""
    today, year = district.today, district.today.year
    maker, checker = district.users["dinkes"], district.users["bappeda"]
    desa_list = list(
        Region.objects.filter(code__startswith=f"{district.kabupaten.code}.", level="desa").order_by("code")[
            :3
        ]
    )
    for desa in desa_list:
        line = _line(
            district,
            year,
            FundingSource.DANA_DESA,
            _("PMT lokal desa (Dana Desa)"),
            Decimal(30_000_000),
            desa=desa,
        )
        Disbursement.objects.create(
            budget_line=line,
            paid_on=min(today, datetime.date(year, 3, 15)),
            payee=_("TP-PKK %(desa)s") % {"desa": desa.name.title()},
            amount=Decimal(15_000_000),
            status=Disbursement.Status.APPROVED,
            recorded_by=maker,
            approved_by=checker,
            decided_at=timezone.now(),
        )


def _default_rate(category: str, days: int, daily_rate: Decimal) -> PMTRate | None:
    """The national default row the demo's days and rate come from (None if it was changed)."""
    return (
        PMTRate.objects.filter(kabupaten=None, category=category, duration_days=days, daily_rate=daily_rate)
        .order_by("-valid_from")
        .first()
    )


def _evaluation_visits(
    rng: random.Random, finished: list[PMTEnrolment], pregnancy_of: dict[int, int], today: datetime.date
) -> None:
    """The LiLA a midwife measures a few days after a mother's episode: her latest LiLA plus a gain."""
    mothers = [e for e in finished if e.person_id]
    latest: dict[int, tuple[datetime.date, Decimal, Decimal | None]] = {}
    for pregnancy_id, visit_date, lila_cm, weight_kg in (
        PregnancyVisit.objects.filter(pregnancy_id__in=pregnancy_of.values(), lila_cm__isnull=False)
        .order_by("visit_date", "pk")
        .values_list("pregnancy_id", "visit_date", "lila_cm", "weight_kg")
    ):
        if lila_cm is not None:  # always (the filter): said again for the type checker
            latest[pregnancy_id] = (visit_date, lila_cm, weight_kg)
    visits = []
    for enrolment in mothers:
        pregnancy_id = pregnancy_of[enrolment.person_id]  # type: ignore[index]
        day = min(enrolment.end_date + datetime.timedelta(days=rng.randrange(1, 8)), today)
        last_day, lila, weight = latest.get(pregnancy_id, (day, Decimal("22.5"), None))
        gain = Decimal(str(round(max(rng.gauss(LILA_GAIN_CM, LILA_GAIN_SD_CM), 0.0), 1)))
        # About 0.42 kg a week in the second half of pregnancy, as the children step plans visits.
        weight_gain = Decimal(str(round(0.42 * (day - last_day).days / 7, 1)))
        visits.append(
            PregnancyVisit(
                pregnancy_id=pregnancy_id,
                visit_date=day,
                is_anc=True,
                lila_cm=lila + gain,
                weight_kg=weight + weight_gain if weight is not None else None,
                notes=_("Evaluasi akhir PMT"),
            )
        )
    ensure_partitions(PREGNANCY_VISIT, {visit.visit_date.year for visit in visits})
    # A visit already recorded that day stays as it was (once per day per pregnancy).
    PregnancyVisit.objects.bulk_create(visits, ignore_conflicts=True)


def _deliveries_and_payments(
    enrolments: list[PMTEnrolment],
    lines_of: dict[int, list[tuple[BudgetLine, Decimal]]],
    today: datetime.date,
    maker: User,
    checker: User,
) -> tuple[list[PMTDeliveryLog], list[Disbursement]]:
    logs: list[PMTDeliveryLog] = []
    payments: list[Disbursement] = []
    for enrolment in enrolments:
        day, delivered = enrolment.start_date, 0
        while delivered < enrolment.days and day <= today:
            days = min(7, enrolment.days - delivered)
            logs.append(
                PMTDeliveryLog(
                    enrolment=enrolment,
                    delivered_on=day,
                    days_delivered=days,
                    food_form=PMTDeliveryLog.FoodForm.COOKED,
                    delivered_by=_("Kader posyandu"),
                    recorded_by=maker,
                )
            )
            delivered += days
            day += datetime.timedelta(days=7)
        finished = enrolment.end_date < today
        # One payment per line funding the episode: its part in full once finished, half before.
        for line, amount in lines_of[id(enrolment)]:
            payments.append(
                Disbursement(
                    budget_line=line,
                    enrolment=enrolment,
                    paid_on=min(enrolment.end_date, today),
                    payee=_("Penyedia PMT lokal"),
                    amount=amount if finished else (amount / 2).to_integral_value(),
                    status=Disbursement.Status.APPROVED if finished else Disbursement.Status.PENDING,
                    recorded_by=maker,
                    approved_by=checker if finished else None,
                    decided_at=timezone.now() if finished else None,
                )
            )
    return logs, payments


def _one_reversal(kabupaten: Region, maker: User, checker: User, today: datetime.date) -> None:
    """Correct one approved payment of the kabupaten (wrong provider): reverse it and pay again."""
    original = (
        Disbursement.objects.filter(
            budget_line__kabupaten=kabupaten, status=Disbursement.Status.APPROVED, enrolment__isnull=False
        )
        .order_by("pk")
        .first()
    )
    if original is None:
        return
    now = timezone.now()
    common: dict[str, Any] = {
        "budget_line_id": original.budget_line_id,
        "enrolment_id": original.enrolment_id,
        "paid_on": today,
    }
    Disbursement.objects.create(
        **common,
        kind=Disbursement.Kind.REVERSAL,
        reverses=original,
        payee=original.payee,
        amount=-original.amount,
        note=_("Salah penerima pembayaran"),
        status=Disbursement.Status.APPROVED,
        recorded_by=maker,
        approved_by=checker,
        decided_at=now,
    )
    Disbursement.objects.create(
        **common,
        payee=_("Penyedia PMT lokal (koreksi)"),
        amount=original.amount,
        status=Disbursement.Status.APPROVED,
        recorded_by=maker,
        approved_by=checker,
        decided_at=now,
    )


@demo_cleanup(210, "pmt")
def delete_pmt(*, kabupaten: Region, out: OutputWrapper) -> None:
    """PMT rows of the kabupaten, in FK order (reversals before the payments they reverse)."""
    Disbursement.objects.filter(budget_line__kabupaten=kabupaten, reverses__isnull=False).delete()
    Disbursement.objects.filter(budget_line__kabupaten=kabupaten).delete()
    PMTDeliveryLog.objects.filter(enrolment__programme__kabupaten=kabupaten).delete()
    PMTEnrolment.objects.filter(programme__kabupaten=kabupaten).delete()
    PMTProgramme.objects.filter(kabupaten=kabupaten).delete()
    BudgetRevision.objects.filter(budget_line__kabupaten=kabupaten).delete()
    BudgetLine.objects.filter(kabupaten=kabupaten).delete()
