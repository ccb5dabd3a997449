"""PMT money and episodes: eligibility, overlap, budget exhaustion, maker-checker, reversal, reconciliation."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from children.models import Child, Measurement, Person, Pregnancy
from convergence.models import Role, User
from interventions import selectors_pmt as sel
from interventions import services_pmt as svc
from interventions.models import (
    BudgetLine,
    BudgetRevision,
    Disbursement,
    PMTCategory,
    PMTEnrolment,
    PMTFunding,
    PMTProgramme,
    PMTRate,
)
from tests.factories import ChildFactory, DistrictFixture, PersonFactory, UserFactory

START = datetime.date(2025, 3, 3)
GIZI_KURANG_COST = Decimal(980_000)  # 56 days x Rp 17,500


def measure(child: Child, on: datetime.date, **fields: object) -> Measurement:
    return Measurement.objects.create(
        child=child,
        posyandu=child.posyandu,
        measured_on=on,
        age_days=(on - child.birth_date).days,
        **fields,  # type: ignore[arg-type]
    )


def wasted_child(district: DistrictFixture, name: str = "Ayu") -> Child:
    child = ChildFactory(posyandu=district.posyandu_a1, name=name, birth_date=datetime.date(2024, 1, 10))
    measure(child, datetime.date(2025, 2, 20), weight_kg=Decimal("7.10"), whz=-2.5, whz_category=1)
    return child


def make_line(district: DistrictFixture, allocated: Decimal, **holder: object) -> BudgetLine:
    holder = holder or {"opd": district.dinkes}
    return svc.budget_line_create(
        user=district.users["bappeda_admin"],
        kabupaten=district.kabupaten,
        year=2025,
        source="dak" if "opd" in holder else "dana_desa",
        name="PMT lokal balita",
        allocated=allocated,
        sub_activity_code="1.02.02.2.02.0011",
        **holder,  # type: ignore[arg-type]
    )


def make_programme(
    district: DistrictFixture, line: BudgetLine, category: str = PMTCategory.GIZI_KURANG
) -> PMTProgramme:
    programme = PMTProgramme.objects.create(
        kabupaten=district.kabupaten,
        year=2025,
        name=f"PMT {category}",
        category=category,
        starts_on=datetime.date(2025, 1, 1),
        ends_on=datetime.date(2025, 12, 31),
        opd=district.dinkes,
    )
    PMTFunding.objects.create(programme=programme, budget_line=line)
    return programme


def second_bappeda(district: DistrictFixture) -> User:
    return UserFactory(username="bappeda_kedua", role=Role.BAPPEDA_ADMIN, kabupaten=district.kabupaten)


def test_it_seeds_the_default_rates(db: None) -> None:
    rates = {r.category: (r.duration_days, r.daily_rate) for r in PMTRate.objects.filter(kabupaten=None)}
    assert rates == {
        "gizi_kurang": (56, Decimal(17500)),
        "bb_kurang": (14, Decimal(17500)),
        "dua_t": (14, Decimal(17500)),
        "bumil_kek": (120, Decimal(21500)),
        "ibu_menyusui": (120, Decimal(21500)),
        "baduta_stunting": (56, Decimal(17500)),
    }


def test_it_enrols_and_reserves_days_times_rate(district: DistrictFixture) -> None:
    line = make_line(district, Decimal(1_000_000))
    programme = make_programme(district, line)
    enrolment = svc.pmt_enrol(
        user=district.users["opd_officer"],
        programme=programme,
        recipient=wasted_child(district),
        start_date=START,
    )
    assert (enrolment.days, enrolment.daily_rate, enrolment.cost) == (56, Decimal(17500), GIZI_KURANG_COST)
    assert enrolment.end_date == datetime.date(2025, 4, 27)
    assert enrolment.desa == district.desa_a1
    totals = sel.budget_line_totals(line=line)
    assert (totals.reserved, totals.disbursed, totals.available) == (GIZI_KURANG_COST, 0, Decimal(20_000))


def test_it_uses_the_kabupaten_rate_over_the_default(district: DistrictFixture) -> None:
    PMTRate.objects.create(
        kabupaten=district.kabupaten,
        category=PMTCategory.GIZI_KURANG,
        valid_from=datetime.date(2025, 1, 1),
        daily_rate=Decimal(15000),
        duration_days=56,
    )
    programme = make_programme(district, make_line(district, Decimal(1_000_000)))
    enrolment = svc.pmt_enrol(
        user=district.users["bappeda_admin"],
        programme=programme,
        recipient=wasted_child(district),
        start_date=START,
    )
    assert enrolment.cost == Decimal(840_000)


@pytest.mark.parametrize(
    ("category", "fields", "age_birth", "reason"),
    [
        (PMTCategory.GIZI_KURANG, {"whz_category": 2}, datetime.date(2024, 1, 10), "bukan gizi kurang"),
        (PMTCategory.BB_KURANG, {"waz_category": 2}, datetime.date(2024, 1, 10), "bukan BB kurang"),
        (PMTCategory.DUA_T, {"weight_gain": 1}, datetime.date(2024, 1, 10), "bukan 2T"),
        (PMTCategory.BADUTA_STUNTING, {"haz_category": 2}, datetime.date(2024, 1, 10), "bukan pendek"),
        (PMTCategory.BADUTA_STUNTING, {"haz_category": 1}, datetime.date(2022, 1, 10), "bukan baduta"),
    ],
)
def test_it_refuses_an_ineligible_child_naming_the_criterion(
    district: DistrictFixture, category: str, fields: dict[str, int], age_birth: datetime.date, reason: str
) -> None:
    programme = make_programme(district, make_line(district, Decimal(5_000_000)), category)
    child = ChildFactory(posyandu=district.posyandu_a1, birth_date=age_birth)
    measure(child, datetime.date(2025, 2, 20), weight_kg=Decimal("9.0"), **fields)
    with pytest.raises(ValidationError) as error:
        svc.pmt_enrol(
            user=district.users["bappeda_admin"], programme=programme, recipient=child, start_date=START
        )
    assert reason in error.value.message_dict["recipient"][0]
    assert PMTEnrolment.objects.count() == 0


@pytest.mark.parametrize(
    ("category", "fields"),
    [
        (PMTCategory.GIZI_KURANG, {"whz_category": 0}),
        (PMTCategory.BB_KURANG, {"waz_category": 1}),
        (PMTCategory.DUA_T, {"weight_gain": 2}),
        (PMTCategory.BADUTA_STUNTING, {"haz_category": 0}),
    ],
)
def test_it_accepts_an_eligible_child(
    district: DistrictFixture, category: str, fields: dict[str, int]
) -> None:
    programme = make_programme(district, make_line(district, Decimal(5_000_000)), category)
    child = ChildFactory(posyandu=district.posyandu_a1, birth_date=datetime.date(2024, 1, 10))
    measure(child, datetime.date(2025, 2, 20), weight_kg=Decimal("9.0"), **fields)
    svc.pmt_enrol(
        user=district.users["bappeda_admin"], programme=programme, recipient=child, start_date=START
    )
    assert PMTEnrolment.objects.get().child == child


def test_it_uses_the_latest_valid_category_before_the_start(district: DistrictFixture) -> None:
    programme = make_programme(district, make_line(district, Decimal(5_000_000)))
    child = wasted_child(district)
    measure(child, datetime.date(2025, 3, 1), weight_kg=Decimal("7.9"), whz_category=2)  # recovered since
    with pytest.raises(ValidationError):
        svc.pmt_enrol(
            user=district.users["bappeda_admin"], programme=programme, recipient=child, start_date=START
        )


def test_it_checks_the_mother_categories(district: DistrictFixture) -> None:
    line = make_line(district, Decimal(10_000_000))
    kek = make_programme(district, line, PMTCategory.BUMIL_KEK)
    menyusui = make_programme(district, line, PMTCategory.IBU_MENYUSUI)
    ema, fani = (
        PersonFactory(desa=district.desa_a1, name="Ema"),
        PersonFactory(desa=district.desa_a1, name="Fani"),
    )
    Pregnancy.objects.create(mother=ema, desa=district.desa_a1, is_kek=True)
    Pregnancy.objects.create(
        mother=fani, desa=district.desa_a1, outcome="lahir_hidup", delivery_date=datetime.date(2025, 1, 5)
    )
    admin = district.users["bappeda_admin"]
    assert svc.pmt_enrol(user=admin, programme=kek, recipient=ema, start_date=START).cost == Decimal(
        2_580_000
    )
    assert svc.pmt_enrol(user=admin, programme=menyusui, recipient=fani, start_date=START).person == fani
    with pytest.raises(ValidationError) as error:
        svc.pmt_enrol(user=admin, programme=kek, recipient=fani, start_date=START)
    assert error.value.message_dict == {"recipient": ["Ibu tidak sedang hamil dengan status KEK."]}
    with pytest.raises(ValidationError) as error:
        svc.pmt_enrol(user=admin, programme=menyusui, recipient=ema, start_date=START)
    assert "bukan ibu menyusui" in error.value.message_dict["recipient"][0]


def test_it_refuses_an_overlapping_episode_and_a_second_in_the_programme(district: DistrictFixture) -> None:
    line = make_line(district, Decimal(5_000_000))
    first, second = make_programme(district, line), make_programme(district, line)
    child = wasted_child(district)
    admin = district.users["bappeda_admin"]
    svc.pmt_enrol(user=admin, programme=first, recipient=child, start_date=START)
    with pytest.raises(ValidationError) as error:
        svc.pmt_enrol(user=admin, programme=second, recipient=child, start_date=datetime.date(2025, 4, 27))
    assert error.value.message_dict == {
        "recipient": ["Sasaran sudah terdaftar pada episode PMT kategori ini yang tumpang tindih."]
    }
    with pytest.raises(ValidationError) as error:
        svc.pmt_enrol(user=admin, programme=first, recipient=child, start_date=datetime.date(2025, 6, 1))
    assert error.value.message_dict == {"recipient": ["Sasaran sudah terdaftar pada program ini."]}
    # The day after the first episode ends, a new one in another programme is fine.
    svc.pmt_enrol(user=admin, programme=second, recipient=child, start_date=datetime.date(2025, 4, 28))
    assert PMTEnrolment.objects.count() == 2


def test_it_refuses_an_enrolment_when_the_line_has_not_enough_left(district: DistrictFixture) -> None:
    line = make_line(district, Decimal(1_500_000))
    programme = make_programme(district, line)
    admin = district.users["bappeda_admin"]
    svc.pmt_enrol(user=admin, programme=programme, recipient=wasted_child(district, "Ayu"), start_date=START)
    with pytest.raises(ValidationError) as error:
        svc.pmt_enrol(
            user=admin, programme=programme, recipient=wasted_child(district, "Bima"), start_date=START
        )
    assert error.value.message_dict == {
        "budget_line": ["Sisa anggaran PMT lokal balita tidak cukup: perlu Rp 980.000, tersisa Rp 520.000."]
    }
    assert PMTEnrolment.objects.count() == 1


def test_it_refuses_roles_that_may_not_enrol(district: DistrictFixture) -> None:
    programme = make_programme(district, make_line(district, Decimal(5_000_000)))
    child = wasted_child(district)
    for role in ("pimpinan", "kader", "kpm", "no_role"):
        with pytest.raises(PermissionDenied):
            svc.pmt_enrol(user=district.users[role], programme=programme, recipient=child, start_date=START)
    assert PMTEnrolment.objects.count() == 0


def test_it_revises_an_allocation_but_not_below_what_is_committed(district: DistrictFixture) -> None:
    line = make_line(district, Decimal(2_000_000))
    programme = make_programme(district, line)
    admin = district.users["bappeda_admin"]
    svc.pmt_enrol(user=admin, programme=programme, recipient=wasted_child(district), start_date=START)
    with pytest.raises(ValidationError) as error:
        svc.budget_line_revise(
            user=admin, line=line, new_allocated=Decimal(900_000), reason="Refocusing", revised_on=START
        )
    assert error.value.message_dict == {
        "new_allocated": ["Pagu baru Rp 900.000 lebih kecil dari yang sudah terpakai Rp 980.000."]
    }
    with pytest.raises(ValidationError):
        svc.budget_line_revise(
            user=admin, line=line, new_allocated=Decimal(1_000_000), reason=" ", revised_on=START
        )
    revision = svc.budget_line_revise(
        user=admin, line=line, new_allocated=Decimal(1_000_000), reason="Refocusing COVID", revised_on=START
    )
    line.refresh_from_db()
    assert (line.original_allocated, line.allocated) == (Decimal(2_000_000), Decimal(1_000_000))
    assert (revision.previous_allocated, revision.new_allocated) == (Decimal(2_000_000), Decimal(1_000_000))
    assert BudgetRevision.objects.count() == 1


def test_it_enforces_maker_checker(district: DistrictFixture) -> None:
    line = make_line(district, Decimal(1_000_000))
    admin, checker = district.users["bappeda_admin"], second_bappeda(district)
    payment = svc.disbursement_record(
        user=admin, budget_line=line, amount=Decimal(300_000), payee="Katering Sehat", paid_on=START
    )
    with pytest.raises(PermissionDenied):
        svc.disbursement_approve(user=admin, disbursement=payment)
    payment.refresh_from_db()
    assert (payment.status, payment.approved_by) == ("menunggu", None)
    with pytest.raises(PermissionDenied):  # pimpinan reads only
        svc.disbursement_approve(user=district.users["pimpinan"], disbursement=payment)
    approved = svc.disbursement_approve(user=checker, disbursement=payment)
    assert (approved.status, approved.approved_by) == ("disetujui", checker)
    with pytest.raises(ValidationError):
        svc.disbursement_approve(user=district.users["opd_officer"], disbursement=payment)
    assert sel.budget_line_totals(line=line).disbursed == Decimal(300_000)


def test_it_reverses_a_payment_once_and_reconciles(district: DistrictFixture) -> None:
    line = make_line(district, Decimal(1_000_000))
    maker, checker = district.users["opd_officer"], second_bappeda(district)
    payment = svc.disbursement_record(
        user=maker, budget_line=line, amount=Decimal(400_000), payee="Katering Sehat", paid_on=START
    )
    with pytest.raises(ValidationError):  # a pending payment is rejected, not reversed
        svc.disbursement_reverse(user=maker, disbursement=payment, paid_on=START, note="salah")
    svc.disbursement_approve(user=checker, disbursement=payment)
    reversal = svc.disbursement_reverse(
        user=maker, disbursement=payment, paid_on=START, note="Salah penerima"
    )
    assert (reversal.kind, reversal.amount, reversal.reverses, reversal.status) == (
        "pembalikan",
        Decimal(-400_000),
        payment,
        "menunggu",
    )
    with pytest.raises(ValidationError) as error:
        svc.disbursement_reverse(user=maker, disbursement=payment, paid_on=START, note="lagi")
    assert error.value.message_dict == {"reverses": ["Pembayaran ini sudah dibalik."]}
    assert sel.budget_line_totals(line=line).disbursed == Decimal(400_000)
    svc.disbursement_approve(user=checker, disbursement=reversal)
    totals = sel.budget_line_totals(line=line)
    assert (totals.disbursed, totals.committed, totals.available) == (0, 0, Decimal(1_000_000))
    amounts = sorted(Disbursement.objects.values_list("amount", flat=True))
    assert amounts == [Decimal(-400_000), Decimal(400_000)]


def test_it_keeps_disbursed_within_the_allocation_after_a_sequence(district: DistrictFixture) -> None:
    line = make_line(district, Decimal(1_500_000))
    programme = make_programme(district, line)
    maker, checker = district.users["opd_officer"], second_bappeda(district)
    enrolment = svc.pmt_enrol(
        user=maker, programme=programme, recipient=wasted_child(district), start_date=START
    )

    def pay(amount: int, enrolment: PMTEnrolment | None = None) -> Disbursement:
        row = svc.disbursement_record(
            user=maker,
            budget_line=line,
            amount=Decimal(amount),
            payee="Kader",
            paid_on=START,
            enrolment=enrolment,
        )
        return svc.disbursement_approve(user=checker, disbursement=row)

    pay(500_000, enrolment)
    pay(480_000, enrolment)
    with pytest.raises(ValidationError) as error:  # the episode is fully paid
        pay(1, enrolment)
    assert error.value.message_dict == {
        "amount": ["Pembayaran melebihi biaya episode: diminta Rp 1, tersisa Rp 0."]
    }
    pay(520_000)  # the rest of the line, untied to an episode
    with pytest.raises(ValidationError) as error:
        pay(1)
    assert error.value.message_dict == {
        "amount": ["Sisa anggaran PMT lokal balita tidak cukup: perlu Rp 1, tersisa Rp 0."]
    }
    with pytest.raises(ValidationError):  # nothing left for an episode either
        svc.pmt_enrol(
            user=maker, programme=programme, recipient=wasted_child(district, "Bima"), start_date=START
        )
    totals = sel.budget_line_totals(line=line)
    assert (totals.allocated, totals.reserved, totals.disbursed, totals.available) == (
        Decimal(1_500_000),
        GIZI_KURANG_COST,
        Decimal(1_500_000),
        0,
    )
    assert totals.absorption_percent == Decimal("100.0")
    assert totals.disbursed <= totals.committed <= totals.allocated
    assert [m.disbursed for m in sel.budget_line_monthly(line=line)] == [Decimal(1_500_000)]


def test_it_refuses_at_approval_a_pending_payment_that_no_longer_fits(district: DistrictFixture) -> None:
    line = make_line(district, Decimal(1_000_000))
    maker, checker = district.users["opd_officer"], second_bappeda(district)
    first = svc.disbursement_record(
        user=maker, budget_line=line, amount=Decimal(700_000), payee="A", paid_on=START
    )
    second = svc.disbursement_record(
        user=maker, budget_line=line, amount=Decimal(700_000), payee="B", paid_on=START
    )
    svc.disbursement_approve(user=checker, disbursement=second)
    with pytest.raises(ValidationError) as error:
        svc.disbursement_approve(user=checker, disbursement=first)
    assert error.value.message_dict == {
        "amount": ["Sisa anggaran PMT lokal balita tidak cukup: perlu Rp 700.000, tersisa Rp 300.000."]
    }
    first.refresh_from_db()
    assert first.status == "menunggu"
    assert sel.budget_line_totals(line=line).disbursed == Decimal(700_000)


def test_it_refuses_to_cancel_a_paid_episode_and_frees_an_unpaid_one(district: DistrictFixture) -> None:
    line = make_line(district, Decimal(1_000_000))
    programme = make_programme(district, line)
    admin = district.users["bappeda_admin"]
    enrolment = svc.pmt_enrol(
        user=admin, programme=programme, recipient=wasted_child(district), start_date=START
    )
    svc.pmt_enrolment_cancel(user=admin, enrolment=enrolment)
    assert sel.budget_line_totals(line=line).available == Decimal(1_000_000)


def test_it_logs_deliveries_within_the_episode(district: DistrictFixture) -> None:
    programme = make_programme(district, make_line(district, Decimal(1_000_000)), PMTCategory.GIZI_KURANG)
    enrolment = svc.pmt_enrol(
        user=district.users["bappeda_admin"],
        programme=programme,
        recipient=wasted_child(district),
        start_date=START,
    )
    kader = district.users["kader"]
    log = svc.pmt_delivery_record(
        user=kader,
        enrolment=enrolment,
        delivered_on=START,
        days_delivered=50,
        food_form="matang",
        delivered_by="Bu Sri",
    )
    assert (log.days_delivered, log.recorded_by) == (50, kader)
    with pytest.raises(ValidationError) as error:
        svc.pmt_delivery_record(
            user=kader,
            enrolment=enrolment,
            delivered_on=datetime.date(2025, 3, 10),
            days_delivered=7,
            food_form="matang",
        )
    assert error.value.message_dict == {"days_delivered": ["Melebihi lama episode: sisa 6 hari."]}
    with pytest.raises(PermissionDenied):
        svc.pmt_delivery_record(
            user=district.users["pimpinan"],
            enrolment=enrolment,
            delivered_on=START,
            days_delivered=1,
            food_form="matang",
        )


def test_a_budget_line_has_exactly_one_holder(district: DistrictFixture) -> None:
    with pytest.raises(ValidationError):
        make_line(district, Decimal(1), opd=district.dinkes, desa=district.desa_a1)
    assert BudgetLine.objects.count() == 0


def test_person_recipient_in_a_child_programme_is_refused(district: DistrictFixture) -> None:
    programme = make_programme(district, make_line(district, Decimal(1_000_000)))
    person: Person = PersonFactory(desa=district.desa_a1)
    with pytest.raises(ValidationError) as error:
        svc.pmt_enrol(
            user=district.users["bappeda_admin"], programme=programme, recipient=person, start_date=START
        )
    assert error.value.message_dict == {"recipient": ["Sasaran program ini adalah Balita gizi kurang."]}
