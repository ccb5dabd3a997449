"""PMT episodes are scoped like the registry: a kader sees the children of her own posyandu only."""

from __future__ import annotations

from decimal import Decimal

from convergence.models import Role
from convergence.scoping import restrict
from interventions import services_pmt as svc
from interventions.models import PMTEnrolment
from tests.factories import DistrictFixture, UserFactory
from tests.interventions.test_pmt import START, make_line, make_programme, wasted_child


def test_a_kader_sees_the_episodes_of_her_posyandu_not_of_the_next_one(district: DistrictFixture) -> None:
    line = make_line(district, Decimal(5_000_000))
    programme = make_programme(district, line)
    child = wasted_child(district, "Ayu")  # posyandu Mawar (desa SUMBERAGUNG)
    svc.pmt_enrol(
        user=district.users["bappeda_admin"], programme=programme, recipient=child, start_date=START
    )
    melati = UserFactory(username="kader_melati", role=Role.KADER, posyandu=district.posyandu_a1_second)
    assert restrict(PMTEnrolment.objects.all(), district.users["kader"]).count() == 1
    assert restrict(PMTEnrolment.objects.all(), melati).count() == 0
    assert restrict(PMTEnrolment.objects.all(), district.users["kpm"]).count() == 0  # KPM of SILIRAGUNG
