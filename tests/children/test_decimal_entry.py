"""Numbers as kader type them: "8,9" and "8.9" are the same weight, "8,9,1" is refused by name, and stored
values come back with the decimal comma in Indonesian."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django import forms
from django.test import Client
from django.urls import reverse
from django.utils import translation

from children.forms.registry import ChildForm, PregnancyVisitForm
from children.models import Child, Measurement
from children.services import measurement_record
from convergence.formfields import LocalizedDecimalField, decimal_text_parse
from tests.factories import ChildFactory, DistrictFixture

BORN = datetime.date(2024, 3, 10)
FETCH = {"HTTP_X_REQUESTED_WITH": "fetch"}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("8,9", Decimal("8.9")),
        ("8.9", Decimal("8.9")),
        (" 12,25 ", Decimal("12.25")),
        ("9", Decimal("9")),
        ("8,9,1", None),
        ("8.9.1", None),
        ("1.234,5", None),
        ("8,", None),
        (",9", None),
        ("-8,9", None),
        ("8 9", None),
        ("abc", None),
    ],
)
def test_decimal_text_parse_takes_one_comma_or_point(text: str, value: Decimal | None) -> None:
    assert decimal_text_parse(text) == value


def test_the_field_refuses_several_separators_with_a_message_naming_it() -> None:
    field = LocalizedDecimalField(label="Berat (kg)", required=False, max_digits=5, decimal_places=2)

    with translation.override("id"), pytest.raises(forms.ValidationError) as refused:
        field.clean("8,9,1")

    assert refused.value.messages == [
        "Berat (kg): tulis angka dengan satu tanda desimal (koma atau titik), misalnya 8,9."
    ]
    assert refused.value.error_list[0].code == "separators"
    assert field.clean("8,9") == Decimal("8.9")
    assert field.clean("") is None


def test_the_field_keeps_the_digit_limits_of_its_column() -> None:
    field = LocalizedDecimalField(label="Berat (kg)", max_digits=5, decimal_places=2)

    with translation.override("id"), pytest.raises(forms.ValidationError) as refused:
        field.clean("8,905")

    assert refused.value.error_list[0].code == "max_decimal_places"


def test_the_field_draws_a_decimal_text_input_in_the_language_of_the_request() -> None:
    field = LocalizedDecimalField(label="Berat (kg)", max_digits=5, decimal_places=2)

    class Entry(forms.Form):
        weight = field

    with translation.override("id"):
        indonesian = str(Entry(initial={"weight": Decimal("9.60")})["weight"])
    with translation.override("en"):
        english = str(Entry(initial={"weight": Decimal("9.60")})["weight"])

    assert 'type="text"' in indonesian
    assert 'inputmode="decimal"' in indonesian
    assert 'pattern="[0-9]+([,.][0-9]+)?"' in indonesian
    assert 'value="9,60"' in indonesian
    assert 'value="9.60"' in english
    assert "step=" not in indonesian
    assert 'data-decimal-message="Berat (kg): tulis angka dengan satu tanda desimal' in indonesian


def test_the_registry_forms_take_their_decimals_the_same_way() -> None:
    assert isinstance(ChildForm.base_fields["birth_weight_kg"], LocalizedDecimalField)
    assert isinstance(PregnancyVisitForm.base_fields["hb_g_dl"], LocalizedDecimalField)


# The posyandu day page


@pytest.fixture
def budi(district: DistrictFixture) -> Child:
    return ChildFactory(name="Budi Santoso", sex="L", birth_date=BORN, posyandu=district.posyandu_a1)


def kader(district: DistrictFixture) -> Client:
    client = Client()
    client.force_login(district.users["kader"])
    return client


def page_url(district: DistrictFixture) -> str:
    return reverse("children:posyandu-day", args=[district.posyandu_a1.pk, 2025, 6])


def entry(child: Child, **values: str) -> dict[str, str]:
    data = {"measured_on": "2025-06-14", "weight_kg": "9.6", "height_cm": "72.0", "position": "L", **values}
    return {"child": str(child.pk), **{f"c{child.pk}-{name}": value for name, value in data.items() if value}}


@pytest.mark.parametrize("typed", ["8,9", "8.9"])
def test_a_weight_typed_with_a_comma_or_a_point_is_stored_as_eight_point_nine(
    district: DistrictFixture, budi: Child, typed: str
) -> None:
    response = kader(district).post(page_url(district), entry(budi, weight_kg=typed, height_cm="72,5"))

    assert response.status_code == 302
    stored = Measurement.objects.get()
    assert (stored.weight_kg, stored.height_cm) == (Decimal("8.90"), Decimal("72.5"))


def test_a_weight_with_two_separators_is_refused_next_to_the_field(
    district: DistrictFixture, budi: Child
) -> None:
    response = kader(district).post(page_url(district), entry(budi, weight_kg="8,9,1"), **FETCH)

    assert response.status_code == 422
    assert Measurement.objects.count() == 0
    message = "Berat (kg): tulis angka dengan satu tanda desimal (koma atau titik), misalnya 8,9."
    assert f'<ul class="errorlist" id="id_c{budi.pk}-weight_kg_error"><li>{message}</li></ul>' in (
        response.content.decode()
    )
    # What she typed comes back for correction.
    assert f'name="c{budi.pk}-weight_kg" value="8,9,1"' in response.content.decode()


def test_the_page_offers_decimal_text_inputs_and_shows_stored_values_with_a_comma(
    district: DistrictFixture, budi: Child
) -> None:
    measurement_record(
        user=None,
        child=budi,
        measured_on=datetime.date(2025, 6, 14),
        weight_kg=Decimal("8.9"),
        height_cm=Decimal("72.5"),
        position="L",
    )
    client = kader(district)

    html = client.get(page_url(district)).content.decode()

    for name in ("weight_kg", "height_cm", "lila_cm", "head_circumference_cm"):
        assert f'<input type="text" name="c{budi.pk}-{name}"' in html
    assert html.count('inputmode="decimal"') == 4
    assert 'type="number"' not in html
    assert f'name="c{budi.pk}-weight_kg" value="8,90"' in html
    assert f'name="c{budi.pk}-height_cm" value="72,5"' in html
    assert "8,90 kg, 72,5 cm" in html

    client.cookies["django_language"] = "en"
    english = client.get(page_url(district)).content.decode()

    assert f'name="c{budi.pk}-weight_kg" value="8.90"' in english
    assert "8.90 kg, 72.5 cm" in english
