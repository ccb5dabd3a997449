"""SKDN: the arithmetic on a hand-checked posyandu of ten children, and the monthly page."""

from __future__ import annotations

import datetime

import numpy as np
import pytest
from django.test import Client
from django.urls import reverse

from children import skdn
from children.growth import classify
from children.growth.weight_gain import (
    B_BARU,
    DUA_T,
    NAIK,
    NOT_ASSESSED,
    O_TIDAK_DITIMBANG_BULAN_LALU,
    TIDAK_NAIK,
)
from children.models import Child, Measurement
from tests.factories import ChildFactory, DistrictFixture

SP, PD, NORMAL = classify.TBU_SANGAT_PENDEK, classify.TBU_PENDEK, classify.TBU_NORMAL
BURUK, KURANG, BAIK = classify.GIZI_BURUK, classify.GIZI_KURANG, classify.GIZI_BAIK
NONE = classify.NO_VALUE

# One row per child: age (completed months), sex, KMS/Buku KIA, weighed this month, gain code, TB/U, BB/TB.
POSYANDU = [
    (3, "L", True, True, B_BARU, NORMAL, BAIK),  # 1
    (4, "P", True, True, NAIK, PD, BAIK),  # 2
    (8, "L", False, True, TIDAK_NAIK, NORMAL, KURANG),  # 3
    (14, "P", True, False, NOT_ASSESSED, PD, NONE),  # 4: a height-only visit: not D, so not counted pendek
    (20, "L", True, True, DUA_T, SP, BURUK),  # 5
    (30, "P", True, True, O_TIDAK_DITIMBANG_BULAN_LALU, NORMAL, BAIK),  # 6
    (40, "L", False, False, NOT_ASSESSED, NONE, NONE),  # 7
    (59, "P", True, True, NAIK, PD, BAIK),  # 8
    (60, "L", True, True, NAIK, SP, BURUK),  # 9: five years old: not a balita any more
    (-1, "P", True, False, NOT_ASSESSED, NONE, NONE),  # 10: born after the reference day
]

# Written out by hand from the list above: per band 0-5, 6-11, 12-23, 24-35, 36-59 the cells L, P, L+P,
# then the totals L, P, L+P.
EXPECTED = {
    "S": [1, 1, 2, 1, 0, 1, 1, 1, 2, 0, 1, 1, 1, 1, 2, 4, 4, 8],
    "K": [1, 1, 2, 0, 0, 0, 1, 1, 2, 0, 1, 1, 0, 1, 1, 2, 4, 6],
    "D": [1, 1, 2, 1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 1, 3, 3, 6],
    "N": [0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 2, 2],
    "T": [0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1],
    "2T": [0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1],
    "O": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1],
    "B": [1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1],
    "sangat_pendek": [0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1],
    "pendek": [0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 2, 2],
    "gizi_buruk": [0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1],
    "gizi_kurang": [0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1],
}
# K/S = 6/8, D/S = 6/8, D/K = 6/6, N/D = 2/6.
EXPECTED_RATIOS = {"K/S": 75.0, "D/S": 75.0, "D/K": 100.0, "N/D": 33.3}


def test_it_counts_skdn_of_the_hand_checked_posyandu() -> None:
    columns = list(zip(*POSYANDU, strict=True))

    table = skdn.skdn_table(
        age_months=np.array(columns[0]),
        sex=np.array(columns[1]),
        has_kia_book=np.array(columns[2]),
        weighed=np.array(columns[3]),
        weight_gain_code=np.array(columns[4]),
        haz_category=np.array(columns[5]),
        whz_category=np.array(columns[6]),
    )

    assert {row: skdn.grid(table, row) for row in skdn.ROWS} == EXPECTED
    assert {name: table.ratio_percent(name) for name in skdn.RATIOS} == EXPECTED_RATIOS
    assert table.count("D", band=2, sex="L") == 1


def test_it_has_no_ratio_without_a_denominator() -> None:
    empty = np.zeros(0, dtype=np.int64)
    table = skdn.skdn_table(
        age_months=empty,
        sex=np.array([], dtype=str),
        has_kia_book=empty.astype(bool),
        weighed=empty.astype(bool),
        weight_gain_code=empty,
        haz_category=empty,
        whz_category=empty,
    )
    assert {name: table.ratio_percent(name) for name in skdn.RATIOS} == dict.fromkeys(skdn.RATIOS)
    assert skdn.grid(table, "S") == [0] * 18


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [(1, 3, 33.3), (2, 3, 66.7), (1, 8, 12.5), (1, 16, 6.3), (1, 2000, 0.1), (0, 5, 0.0), (3, 0, None)],
)
def test_it_rounds_percentages_half_up_to_one_decimal(
    numerator: int, denominator: int, expected: float | None
) -> None:
    assert skdn.percent(numerator, denominator) == expected


def test_it_bands_ages_in_completed_months() -> None:
    ages = np.array([-1, 0, 5, 6, 11, 12, 23, 24, 35, 36, 59, 60])
    assert skdn.age_band(ages).tolist() == [-1, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, -1]


# The same posyandu in the database, for June 2025 (ages on 30 June 2025).
BIRTH_DATES = [
    datetime.date(2025, 3, 15),  # 3 months
    datetime.date(2025, 2, 10),  # 4
    datetime.date(2024, 10, 1),  # 8
    datetime.date(2024, 4, 1),  # 14
    datetime.date(2023, 10, 20),  # 20
    datetime.date(2022, 12, 5),  # 30
    datetime.date(2022, 2, 1),  # 40
    datetime.date(2020, 7, 1),  # 59 months and 29 days
    datetime.date(2020, 6, 30),  # 60 months exactly
    datetime.date(2025, 7, 2),  # born after the month
]


def build_posyandu(district: DistrictFixture) -> list[Child]:
    children = []
    for number, (birth, row) in enumerate(zip(BIRTH_DATES, POSYANDU, strict=True), start=1):
        _age, sex, kia, weighed, code, haz, whz = row
        child = ChildFactory(
            name=f"Anak {number:02d}",
            sex=sex,
            birth_date=birth,
            has_kia_book=kia,
            posyandu=district.posyandu_a1,
        )
        children.append(child)
        if weighed or haz != NONE:
            Measurement.objects.create(
                child=child,
                posyandu=district.posyandu_a1,
                measured_on=datetime.date(2025, 6, 12),
                age_days=max(0, (datetime.date(2025, 6, 12) - birth).days),
                weight_kg=8 if weighed else None,
                height_cm=70,
                weight_gain=code,
                haz_category=haz,
                whz_category=whz,
            )
    # Noise the report must ignore: a later weighing the same month (no status of its own), a May
    # weighing, a child who moved away, and a child of the other posyandu of the desa.
    Measurement.objects.create(
        child=children[1],
        posyandu=district.posyandu_a1,
        measured_on=datetime.date(2025, 6, 20),
        age_days=130,
        weight_kg=8,
        weight_gain=NOT_ASSESSED,
        haz_category=PD,
    )
    Measurement.objects.create(
        child=children[6],
        posyandu=district.posyandu_a1,
        measured_on=datetime.date(2025, 5, 31),
        age_days=1215,
        weight_kg=14,
    )
    moved = ChildFactory(name="Pindah", birth_date=datetime.date(2024, 1, 1), posyandu=district.posyandu_a1)
    Child.objects.filter(pk=moved.pk).update(status=Child.Status.MOVED)
    Measurement.objects.create(
        child=moved,
        posyandu=district.posyandu_a1,
        measured_on=datetime.date(2025, 6, 12),
        age_days=528,
        weight_kg=10,
    )
    ChildFactory(name="Lain", birth_date=datetime.date(2024, 1, 1), posyandu=district.posyandu_a1_second)
    return children


def test_it_shows_the_hand_checked_skdn_on_the_page(district: DistrictFixture) -> None:
    build_posyandu(district)
    client = Client()
    client.force_login(district.users["kader"])
    url = reverse("children:skdn", args=[district.posyandu_a1.pk, 2025, 6])

    response = client.get(url)

    assert response.status_code == 200
    assert {code: cells for code, _label, cells in response.context["rows"]} == EXPECTED
    html = response.content.decode()
    # Shown with the Indonesian decimal comma.
    for name, value in (("K/S", "75,0"), ("D/S", "75,0"), ("D/K", "100,0"), ("N/D", "33,3")):
        assert f'<td data-ratio="{name}">{value}%</td>' in html
    assert '<tr data-row="S"><th scope="row">S: balita terdaftar</th><td>1</td><td>1</td><td>2</td>' in html


def test_it_shows_a_dash_for_ratios_of_an_empty_month(district: DistrictFixture) -> None:
    client = Client()
    client.force_login(district.users["kader"])

    html = client.get(reverse("children:skdn", args=[district.posyandu_a1.pk, 2025, 6])).content.decode()

    for name in skdn.RATIOS:
        assert f'<td data-ratio="{name}">-</td>' in html


SKDN_ACCESS = {
    "bappeda_admin": 200,
    "pimpinan": 200,
    "opd_officer": 200,
    "puskesmas_officer": 200,
    "kader": 200,
    "kpm": 404,
    "no_role": 404,
}


@pytest.mark.parametrize("role", list(SKDN_ACCESS))
def test_it_scopes_the_skdn_page_by_role(district: DistrictFixture, role: str) -> None:
    build_posyandu(district)
    client = Client()
    client.force_login(district.users[role])

    response = client.get(reverse("children:skdn", args=[district.posyandu_a1.pk, 2025, 6]))

    assert response.status_code == SKDN_ACCESS[role]
    if response.status_code == 200:
        assert {code: cells for code, _label, cells in response.context["rows"]}["S"] == EXPECTED["S"]


def test_it_reads_the_skdn_in_the_same_number_of_queries_for_one_and_ten_children(
    district: DistrictFixture, django_assert_num_queries: object
) -> None:
    client = Client()
    client.force_login(district.users["kader"])
    url = reverse("children:skdn", args=[district.posyandu_a1.pk, 2025, 6])
    ChildFactory(name="Satu", birth_date=datetime.date(2024, 1, 1), posyandu=district.posyandu_a1)
    client.get(url)
    # Session, user, the kader's scope, the posyandu, the children, their weighings of the month.
    with django_assert_num_queries(6):  # type: ignore[operator]
        client.get(url)
    build_posyandu(district)
    with django_assert_num_queries(6):  # type: ignore[operator]
        client.get(url)
