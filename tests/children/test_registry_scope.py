"""Children and measurements are scoped like every other model: one parametrised test per role."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from children.compute import measurement_growth_columns
from children.models import Child, Measurement
from convergence.scoping import restrict
from tests.factories import DistrictFixture

VISIBLE_CHILDREN = {
    "bappeda_admin": ["Anggrek", "Kenanga", "Mawar", "Melati"],
    "pimpinan": ["Anggrek", "Kenanga", "Mawar", "Melati"],
    "opd_officer": ["Anggrek", "Kenanga", "Mawar", "Melati"],
    "puskesmas_officer": ["Anggrek", "Mawar", "Melati"],
    "kader": ["Mawar"],
    "kpm": ["Anggrek"],
    "no_role": [],
}


@pytest.mark.parametrize("role", list(VISIBLE_CHILDREN))
def test_it_scopes_children_and_measurements(district: DistrictFixture, role: str) -> None:
    for posyandu in (
        district.posyandu_a1,
        district.posyandu_a1_second,
        district.posyandu_a2,
        district.posyandu_b1,
        district.other_posyandu,
    ):
        child = Child.objects.create(
            name=f"Anak {posyandu.name}",
            sex="P",
            birth_date=date(2025, 1, 1),
            posyandu=posyandu,
            desa=posyandu.desa,
        )
        Measurement.objects.create(child=child, posyandu=posyandu, measured_on=date(2026, 1, 5), age_days=369)
    user = district.users[role]
    children = restrict(Child.objects.order_by("name"), user).values_list("name", flat=True)
    assert list(children) == [f"Anak {name}" for name in VISIBLE_CHILDREN[role]]
    measured = restrict(Measurement.objects.order_by("child__name"), user).values_list(
        "child__name", flat=True
    )
    assert list(measured) == [f"Anak {name}" for name in VISIBLE_CHILDREN[role]]


def test_it_stores_the_engine_results_as_model_columns() -> None:
    # Measured lying from 731 days: 0.7 cm comes off before the tables are read.
    columns = measurement_growth_columns(
        sex=np.array(["P", "L"]),
        age_days=np.array([731, 100]),
        weight_kg=np.array([11.5, np.nan]),
        height_cm=np.array([86.4, 60.0]),
        position=np.array(["L", "H"]),
        oedema=np.array([False, False]),
    )
    assert columns["adjusted_height_cm"][0] == pytest.approx(85.7)
    assert np.isnan(columns["waz"][1])
    assert columns["waz_category"][1] == -1
    assert columns["error"][1] != 0  # standing before 9 months is refused
