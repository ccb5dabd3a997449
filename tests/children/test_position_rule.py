"""How a length is taken: a baby under 9 months measured standing is stopped at every entry (page, API,
sync), and a standing child of 9-24 months is accepted with the 0.7 cm WHO adds said on the page."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from children import rules
from children.growth import zscore
from children.models import Child, Measurement
from children.services import measurement_record
from tests.factories import ChildFactory, DistrictFixture

DAY = datetime.date(2025, 6, 14)
REFUSED = "Bayi di bawah 9 bulan diukur telentang, bukan berdiri: pilih Telentang."
ADJUSTED = "Anak di bawah 24 bulan diukur berdiri: 0,7 cm ditambahkan ke tingginya, seperti aturan WHO."


def born_days_before(days: int) -> datetime.date:
    return DAY - datetime.timedelta(days=days)


def test_the_rule_uses_the_growth_engines_ages_and_the_models_position_code() -> None:
    rule = rules.POSITION_RULE
    assert rule.standing == Measurement.Position.STANDING
    assert (rule.standing_min_age_days, rule.length_until_age_days) == (274, 731)
    assert rule.standing_min_age_days == zscore.STANDING_MIN_AGE_DAYS
    assert rule.adjustment_cm == Decimal("0.7")


@pytest.mark.parametrize(
    ("position", "age_days", "has_height", "refused"),
    [
        ("H", 273, True, True),
        ("H", 0, True, True),
        ("H", 274, True, False),
        ("L", 100, True, False),
        ("H", 100, False, False),  # a weight alone: nothing was measured standing
        ("", 100, True, False),  # no position: the "choose a position" error says it
    ],
)
def test_position_errors_refuse_a_standing_height_before_day_274(
    position: str, age_days: int, has_height: bool, refused: bool
) -> None:
    with translation.override("id"):
        errors = rules.position_errors(position=position, age_days=age_days, has_height=has_height)
    assert errors == ({"position": [REFUSED]} if refused else {})


@pytest.mark.parametrize(("age_days", "adjusts"), [(273, False), (274, True), (730, True), (731, False)])
def test_the_engine_adds_the_adjustment_between_9_and_24_months(age_days: int, adjusts: bool) -> None:
    assert rules.POSITION_RULE.adjusts(position="H", age_days=age_days) is adjusts
    assert rules.POSITION_RULE.adjusts(position="L", age_days=age_days) is False


def test_the_rule_as_data_carries_translated_messages() -> None:
    with translation.override("id"):
        data = rules.position_rule_as_data()
    assert data == {
        "code": "standing_under_9_months",
        "field": "position",
        "standing": "H",
        "standing_min_age_days": 274,
        "length_until_age_days": 731,
        "message": REFUSED,
        "adjusted_message": ADJUSTED,
    }


def test_the_service_refuses_a_standing_infant_and_records_nothing(district: DistrictFixture) -> None:
    baby = ChildFactory(birth_date=born_days_before(150), posyandu=district.posyandu_a1)

    with translation.override("id"), pytest.raises(ValidationError) as refused:
        measurement_record(
            user=None,
            child=baby,
            measured_on=DAY,
            weight_kg=Decimal("6.5"),
            height_cm=Decimal("63.0"),
            position="H",
        )

    assert refused.value.message_dict == {"position": [REFUSED]}
    assert Measurement.objects.count() == 0


def _api(district: DistrictFixture) -> APIClient:
    api = APIClient()
    api.force_authenticate(district.users["kader"])
    return api


def _body(child: Child, **values: Any) -> dict[str, Any]:
    return {
        "client_id": str(uuid.uuid4()),
        "child": child.pk,
        "measured_on": DAY.isoformat(),
        "weight_kg": "6.5",
        "height_cm": "63.0",
        "position": "H",
        **values,
    }


def test_the_api_and_the_sync_refuse_it_with_the_problem_body(district: DistrictFixture) -> None:
    baby = ChildFactory(birth_date=born_days_before(150), posyandu=district.posyandu_a1)
    api = _api(district)

    single = api.post("/api/v1/measurements/", _body(baby), format="json", HTTP_ACCEPT_LANGUAGE="id")
    synced = api.post(
        "/api/v1/measurements/sync/", {"entries": [_body(baby)]}, format="json", HTTP_ACCEPT_LANGUAGE="id"
    )

    assert single.status_code == 400
    assert {"type", "title", "status", "code", "detail"} <= single.json().keys()
    assert [(e["field"], e["detail"]) for e in single.json()["errors"]] == [("position", REFUSED)]
    (result,) = synced.json()
    assert result["status"] == "rejected"
    assert [(e["field"], e["detail"], e["index"]) for e in result["errors"]] == [("position", REFUSED, 0)]
    assert Measurement.objects.count() == 0


# The posyandu day page


def kader(district: DistrictFixture) -> Client:
    client = Client()
    client.force_login(district.users["kader"])
    return client


def page_url(district: DistrictFixture) -> str:
    return reverse("children:posyandu-day", args=[district.posyandu_a1.pk, 2025, 6])


def entry(child: Child, **values: str) -> dict[str, str]:
    data = {
        "measured_on": DAY.isoformat(),
        "weight_kg": "6,5",
        "height_cm": "63,0",
        "position": "H",
        **values,
    }
    return {"child": str(child.pk), **{f"c{child.pk}-{name}": value for name, value in data.items() if value}}


def test_the_page_stops_a_standing_infant_next_to_the_position(district: DistrictFixture) -> None:
    baby = ChildFactory(birth_date=born_days_before(150), posyandu=district.posyandu_a1)

    response = kader(district).post(page_url(district), entry(baby), HTTP_X_REQUESTED_WITH="fetch")

    assert response.status_code == 422
    assert f'<ul class="errorlist" id="id_c{baby.pk}-position_error"><li>{REFUSED}</li></ul>' in (
        response.content.decode()
    )
    assert Measurement.objects.count() == 0


def test_the_page_accepts_a_standing_toddler_and_says_the_adjustment(district: DistrictFixture) -> None:
    toddler = ChildFactory(birth_date=born_days_before(450), posyandu=district.posyandu_a1)
    client = kader(district)

    refused_elsewhere = client.post(
        page_url(district), entry(toddler, weight_kg="9,9,1"), HTTP_X_REQUESTED_WITH="fetch"
    )
    saved = client.post(page_url(district), entry(toddler, weight_kg="9,6", height_cm="76,0"))
    html = client.get(page_url(district)).content.decode()

    # Before saving, the bound row already says what standing means at her age.
    assert f'<p class="position-note" data-position-hint aria-live="polite">{ADJUSTED}</p>' in (
        refused_elsewhere.content.decode()
    )
    assert saved.status_code == 302
    stored = Measurement.objects.get()
    assert (stored.position, stored.height_cm, stored.adjusted_height_cm) == (
        "H",
        Decimal("76.0"),
        Decimal("76.7"),
    )
    assert f'<p class="position-note" data-result-note>{ADJUSTED}</p>' in html
    # The page carries the rule for its script, and each form the child's birth date.
    assert 'id="position-rule"' in html
    assert f'data-birth-date="{toddler.birth_date:%Y-%m-%d}"' in html


def test_no_note_for_a_lying_length_or_a_child_over_24_months(district: DistrictFixture) -> None:
    lying = ChildFactory(birth_date=born_days_before(450), posyandu=district.posyandu_a1)
    older = ChildFactory(birth_date=born_days_before(1000), posyandu=district.posyandu_a1)
    client = kader(district)

    client.post(page_url(district), entry(lying, weight_kg="9,6", height_cm="76,0", position="L"))
    client.post(page_url(district), entry(older, weight_kg="12,0", height_cm="88,0"))
    html = client.get(page_url(district)).content.decode()

    assert Measurement.objects.count() == 2
    assert "data-result-note" not in html
    assert f">{ADJUSTED}</p>" not in html
