"""PMT absorption summed per kabupaten for the province and national dashboards: approved money of the
year only, Decimal rupiah, and only the caller's area."""

from __future__ import annotations

import datetime
from decimal import Decimal

from interventions.models import Disbursement
from interventions.selectors_absorption import KabupatenAbsorption, pmt_absorption_by_kabupaten
from interventions.services_pmt import budget_line_create
from tests.factories import DistrictFixture, RegionFactory, UserFactory


def _lines(d: DistrictFixture) -> None:
    admin = d.users["bappeda_admin"]
    line = budget_line_create(
        user=admin, kabupaten=d.kabupaten, year=2025, source="dak", name="PMT", allocated=Decimal("300"),
        opd=d.dinkes,
    )  # fmt: skip
    for amount, status in [("100", Disbursement.Status.APPROVED), ("50", Disbursement.Status.REJECTED)]:
        Disbursement.objects.create(
            budget_line=line, amount=Decimal(amount), status=status, paid_on=datetime.date(2025, 3, 1),
            payee="x", recorded_by=admin,
        )  # fmt: skip
    banten = RegionFactory(code="36", name="BANTEN", level="provinsi")
    pandeglang = RegionFactory(code="36.01", name="PANDEGLANG", level="kabupaten", parent=banten)
    superuser = UserFactory(username="root", is_superuser=True)
    budget_line_create(
        user=superuser, kabupaten=pandeglang, year=2025, source="apbd", name="PMT", allocated=Decimal("70"),
        desa=RegionFactory(code="36.01.01.2001", name="X", level="desa",
                           parent=RegionFactory(code="36.01.01", name="K", level="kecamatan", parent=pandeglang)),
    )  # fmt: skip


def test_it_sums_the_approved_money_of_the_year_per_kabupaten(district: DistrictFixture) -> None:
    _lines(district)
    found = pmt_absorption_by_kabupaten(user=district.users["bappeda_provinsi"], year=2025)
    assert found == {"35.10": KabupatenAbsorption(Decimal("300"), Decimal("100"))}
    assert found["35.10"].absorption_percent == Decimal("33.3")
    assert pmt_absorption_by_kabupaten(user=district.users["bappeda_provinsi"], year=2024) == {}


def test_each_role_sums_its_own_area(district: DistrictFixture) -> None:
    _lines(district)
    national = pmt_absorption_by_kabupaten(user=district.users["nasional"], year=2025)
    assert national == {
        "35.10": KabupatenAbsorption(Decimal("300"), Decimal("100")),
        "36.01": KabupatenAbsorption(Decimal("70"), Decimal("0")),
    }
    assert list(
        pmt_absorption_by_kabupaten(user=district.users["nasional"], year=2025, within_code="36")
    ) == ["36.01"]
    assert list(pmt_absorption_by_kabupaten(user=district.users["bappeda_admin"], year=2025)) == ["35.10"]
    assert pmt_absorption_by_kabupaten(user=district.users["no_role"], year=2025) == {}
    assert pmt_absorption_by_kabupaten(user=district.users["kader"], year=2025) == {}
