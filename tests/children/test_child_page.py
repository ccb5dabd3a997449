"""The child page: scoping, the read log, the NIK as each role may see it, and the growth-chart data."""

from __future__ import annotations

import datetime
from decimal import Decimal

import numpy as np
import pytest
from django.test import Client
from django.urls import reverse

from children import growth_charts
from children.models import Child, RecordAccess
from children.services import child_save, measurement_record
from tests.factories import DistrictFixture, PersonFactory

NIK = "3510011003240001"  # a boy born 10 March 2024 in kabupaten 35.10
MASKED = "351001••••••••••"


@pytest.fixture
def budi(district: DistrictFixture) -> Child:
    mother = PersonFactory(name="Siti Aminah", desa=district.desa_a1)
    child = child_save(
        user=None,
        nik=NIK,
        name="Budi Santoso",
        sex="L",
        birth_date=datetime.date(2024, 3, 10),
        posyandu=district.posyandu_a1,
        mother=mother,
        address="Jl. Melati 3",
        rt="001",
        rw="002",
    ).obj
    assert isinstance(child, Child)
    for day, weight, height, vitamin_a, pmt in (
        (datetime.date(2025, 5, 14), "9.1", "74.0", False, True),
        (datetime.date(2025, 6, 14), "9.6", "75.0", True, False),
    ):
        measurement_record(
            user=None,
            child=child,
            measured_on=day,
            weight_kg=Decimal(weight),
            height_cm=Decimal(height),
            position="L",
            vitamin_a=vitamin_a,
            pmt_received=pmt,
        )
    return child


def client_for(district: DistrictFixture, role: str) -> Client:
    client = Client()
    client.force_login(district.users[role])
    return client


# role -> (status, NIK shown)
ACCESS = {
    "bappeda_admin": (200, NIK),
    "puskesmas_officer": (200, NIK),
    "kader": (200, NIK),
    "pimpinan": (200, MASKED),
    "opd_officer": (200, MASKED),
    "kpm": (404, None),  # the child lives in SUMBERAGUNG, the KPM works in SILIRAGUNG
    "no_role": (404, None),
}


@pytest.mark.parametrize("role", list(ACCESS))
def test_it_scopes_the_child_page_and_shows_the_nik_as_the_role_may_see_it(
    district: DistrictFixture, budi: Child, role: str
) -> None:
    status, nik = ACCESS[role]
    client = client_for(district, role)

    page = client.get(reverse("children:child-detail", args=[budi.pk]))
    chart = client.get(reverse("children:child-chart-data", args=[budi.pk]))

    assert (page.status_code, chart.status_code) == (status, status)
    if nik is not None:
        assert f'<dd data-testid="nik">{nik}</dd>' in page.content.decode()
    if nik == MASKED:
        assert NIK not in page.content.decode()
    logged = RecordAccess.objects.filter(user=district.users[role]).count()
    assert logged == (
        3 if status == 200 else 0
    )  # the child and his mother on the page, the child in the JSON


def test_it_masks_the_nik_for_a_kpm_in_scope(district: DistrictFixture) -> None:
    child = child_save(
        user=None,
        nik=NIK,
        name="Anak Siliragung",
        sex="L",
        birth_date=datetime.date(2024, 3, 10),
        posyandu=district.posyandu_a2,
    ).obj

    html = client_for(district, "kpm").get(reverse("children:child-detail", args=[child.pk])).content.decode()

    assert f'<dd data-testid="nik">{MASKED}</dd>' in html


def test_it_logs_each_opening_of_the_page(district: DistrictFixture, budi: Child) -> None:
    path = reverse("children:child-detail", args=[budi.pk])

    client_for(district, "kader").get(f"{path}?cari=apa-saja")

    rows = list(
        RecordAccess.objects.order_by("pk").values_list(
            "user", "kind", "object_id", "record_count", "channel", "path"
        )
    )
    assert rows == [
        (district.users["kader"].pk, "anak", budi.pk, 1, "halaman", path),
        (district.users["kader"].pk, "penduduk", budi.mother_id, 1, "halaman", path),
    ]


def test_it_shows_identity_history_and_interventions(district: DistrictFixture, budi: Child) -> None:
    response = client_for(district, "kader").get(reverse("children:child-detail", args=[budi.pk]))

    html = response.content.decode()
    assert "<dd>10-03-2024</dd>" in html
    assert "<dd>Siti Aminah</dd>" in html
    assert "Jl. Melati 3, RT 001/RW 002, SUMBERAGUNG" in html
    assert [status.measurement.measured_on for status in response.context["measurements"]] == [
        datetime.date(2025, 6, 14),
        datetime.date(2025, 5, 14),
    ]
    assert [status.age_months for status in response.context["measurements"]] == [15, 14]
    assert [status.gain_code for status in response.context["measurements"]] == ["N", "B"]
    assert "<li>14-06-2025: vitamin A</li>" in html
    assert "<li>14-05-2025: PMT</li>" in html
    assert "/static/vendor/chartjs/chart.umd.min.js" in html


def test_it_sends_the_sd_lines_and_the_childs_points(district: DistrictFixture, budi: Child) -> None:
    data = client_for(district, "kader").get(reverse("children:child-chart-data", args=[budi.pk])).json()

    # Budi is over 24 months today: weight-for-height (wfh) is the table of his age.
    assert data["length_index"] == "wfh"
    assert sorted(data["charts"]) == ["lhfa", "wfa", "wfh"]
    wfa = data["charts"]["wfa"]
    assert sorted(wfa["lines"]) == ["-2", "-3", "0", "2", "3"]
    assert len(wfa["lines"]["0"]) == 61
    assert wfa["child"] == [[round(430 / 30.4375, 2), 9.1], [round(461 / 30.4375, 2), 9.6]]
    assert data["charts"]["lhfa"]["child"] == [[14.13, 74.0], [15.15, 75.0]]
    # Both measurements were under 24 months: none belongs on the weight-for-height chart.
    assert data["charts"]["wfh"]["child"] == []


def test_it_draws_the_who_sd_lines_of_the_tables() -> None:
    wfa_boys = growth_charts.sd_curves(index="wfa", sex="L")
    # Permenkes 2/2020 table, boys at birth: -3 SD 2.1 kg, -2 SD 2.5 kg, median 3.3 kg.
    assert [round(float(wfa_boys.lines[z][0]), 1) for z in (-3, -2, 0)] == [2.1, 2.5, 3.3]
    wfl_girls = growth_charts.sd_curves(index="wfl", sex="P")
    assert (wfl_girls.x[0], wfl_girls.x[-1], wfl_girls.x.size) == (45.0, 110.0, 131)
    # WHO weight-for-length, girls 45.0 cm: median 2.4607 kg.
    assert round(float(wfl_girls.lines[0][0]), 4) == 2.4607
    assert np.all(np.diff(np.stack([wfl_girls.lines[z] for z in growth_charts.SD_LINES]), axis=0) > 0)


def test_it_picks_the_length_table_of_the_age() -> None:
    assert growth_charts.length_index_for_age(730) == "wfl"
    assert growth_charts.length_index_for_age(731) == "wfh"
    x, y = growth_charts.child_points(
        index="wfl",
        age_days=np.array([100, 800, 200]),
        weight_kg=np.array([6.0, 12.0, np.nan]),
        height_cm=np.array([60.0, 85.0, 65.0]),
    )
    assert (x.tolist(), y.tolist()) == ([60.0], [6.0])
