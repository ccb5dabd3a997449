"""The rule table of a measurement: one table, and every way in (the import's columns, measurement_record,
the API and the database's check constraints) refuses and accepts the same values."""

from __future__ import annotations

import datetime
import io
import json
from decimal import Decimal

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from children import rules
from children.imports.pipeline import import_rows
from children.models import Measurement
from children.services import measurement_record
from tests.children.test_import_pipeline import HEADER, csv_text, row
from tests.factories import ChildFactory, DistrictFixture
from tests.problems import field_errors

TODAY = datetime.date(2026, 1, 20)
DAY = datetime.date(2026, 1, 5)
BORN = datetime.date(2024, 3, 10)  # Budi of tests.children.test_import_pipeline.row()
FILE_COLUMNS = {
    "weight_kg": "Berat",
    "height_cm": "Tinggi",
    "lila_cm": "LiLA",
    "head_circumference_cm": "Lingkar Kepala",
    "pmt_kg": "PMT Diterima (kg)",
}
VALID = {"weight_kg": Decimal("10.20"), "height_cm": Decimal("80.5")}
STEP = {
    "weight_kg": "0.01",
    "height_cm": "0.1",
    "lila_cm": "0.1",
    "head_circumference_cm": "0.1",
    "pmt_kg": "0.01",
}


def cases() -> list[tuple[rules.RangeRule, Decimal, bool]]:
    """(rule, value, refused): each bound (accepted) and one step beyond it (refused), for every rule."""
    found = []
    for rule in rules.MEASUREMENT_RULES:
        step = Decimal(STEP[rule.field])
        found += [
            (rule, rule.low, False),
            (rule, rule.high, False),
            (rule, rule.low - step, True),
            (rule, rule.high + step, True),
        ]
    return found


def test_every_measurement_field_of_the_import_has_a_rule_and_a_file_column() -> None:
    assert [rule.field for rule in rules.MEASUREMENT_RULES] == list(FILE_COLUMNS)
    assert len({rule.code for rule in rules.MEASUREMENT_RULES}) == len(rules.MEASUREMENT_RULES)


def test_violations_marks_the_rows_outside_each_rule_over_whole_columns() -> None:
    found = rules.violations(
        {
            "weight_kg": np.array([0.49, 0.5, 50.0, 50.01, np.nan]),
            "pmt_kg": np.array([-5.0, 0.0, 100.0, 100.5, np.nan]),
        }
    )
    by_field = {rule.field: mask.tolist() for rule, mask in found.items()}
    assert by_field == {
        "weight_kg": [True, False, False, True, False],
        "pmt_kg": [True, False, False, True, False],
    }


def test_measurement_errors_is_the_same_table_on_a_batch_of_one() -> None:
    assert rules.measurement_errors(
        {"weight_kg": Decimal("90"), "pmt_kg": Decimal("-5"), "lila_cm": None}
    ) == {
        "weight_kg": ["Berat 90 kg di luar rentang yang mungkin (0,5-50 kg)"],
        "pmt_kg": ["PMT diterima -5 kg di luar rentang yang mungkin (0-100 kg)"],
    }
    assert rules.measurement_errors({"weight_kg": Decimal("9.5"), "height_cm": None}) == {}


def test_rules_as_data_is_json_with_exact_bounds_and_a_message_per_rule() -> None:
    data = json.loads(json.dumps(rules.rules_as_data()))
    assert data[0] == {
        "code": "weight_kg_range",
        "field": "weight_kg",
        "low": "0.5",
        "high": "50",
        "message": "Berat %(value)s kg di luar rentang yang mungkin (0,5-50 kg)",
    }
    assert [(d["field"], Decimal(d["low"]), Decimal(d["high"])) for d in data] == [
        (rule.field, rule.low, rule.high) for rule in rules.MEASUREMENT_RULES
    ]


def _import(district: DistrictFixture, field: str, value: Decimal) -> tuple[int, list[tuple]]:
    """(rows rejected, issues) of a dry run of Budi's row with `value` in the field's column."""
    values = {FILE_COLUMNS[name]: str(number) for name, number in VALID.items()}
    values[FILE_COLUMNS[field]] = str(value)
    text = csv_text([row(**values)], header=[*HEADER, "Lingkar Kepala"])
    with transaction.atomic():
        report = import_rows(
            source=io.StringIO(text),
            file_name="r.csv",
            user=district.users["bappeda_admin"],
            commit=False,
            today=TODAY,
        )
    return report.summary["rejected"], [issue for issue in report.issues if issue[1] == "ditolak"]


def _record(child, field: str, value: Decimal) -> list[str]:  # type: ignore[no-untyped-def]
    """measurement_record's messages for the field (none when stored)."""
    try:
        measurement_record(
            user=None,
            child=child,
            measured_on=DAY,
            position="H",
            remeasure_confirmed=True,  # WHO flags ask for a re-measurement; the rule table refuses
            today=TODAY,
            **{**VALID, field: value},
        )
    except ValidationError as error:
        return error.message_dict.get(field, [])
    return []


def _api(district: DistrictFixture, child, field: str, value: Decimal) -> tuple[int, list[str]]:  # type: ignore[no-untyped-def]
    api = APIClient()
    api.force_authenticate(district.users["kader"])
    data = {name: str(number) for name, number in {**VALID, field: value}.items()}
    data.update(child=child.pk, measured_on="2026-01-06", position="H", remeasure_confirmed=True)
    response = api.post("/api/v1/measurements/", data, format="json")
    return response.status_code, field_errors(response).get(field, []) if response.status_code == 400 else []


def _database_refuses(measurement: Measurement, field: str, value: Decimal) -> bool:
    try:
        with transaction.atomic():
            Measurement.objects.filter(pk=measurement.pk).update(**{field: value})
    except IntegrityError:
        return True
    return False


@pytest.mark.parametrize(("rule", "value", "refused"), cases(), ids=lambda v: str(getattr(v, "code", v)))
def test_the_import_the_service_the_api_and_the_database_agree(
    district: DistrictFixture, rule: rules.RangeRule, value: Decimal, refused: bool
) -> None:
    child = ChildFactory(posyandu=district.posyandu_a1, name="Anak Lain", birth_date=BORN)
    message = rule.text(value)

    rejected, issues = _import(district, rule.field, value)
    recorded = _record(child, rule.field, value)
    status, api_errors = _api(district, child, rule.field, value)
    stored = Measurement.objects.filter(child=child).first()

    if refused:
        assert (rejected, issues) == (1, [(2, "ditolak", FILE_COLUMNS[rule.field], message)])
        assert recorded == [message]
        assert (status, api_errors) == (400, [message])
        assert stored is None
        stored = measurement_record(
            user=None,
            child=child,
            measured_on=DAY,
            position="H",
            remeasure_confirmed=True,
            today=TODAY,
            **VALID,
        ).measurement
        assert _database_refuses(stored, rule.field, value) is True
        stored.refresh_from_db()
        assert getattr(stored, rule.field) == VALID.get(rule.field)
    else:
        assert (rejected, issues) == (0, [])
        assert recorded == []
        assert (status, api_errors) == (201, [])
        assert stored is not None
        assert _database_refuses(stored, rule.field, value) is False


def test_a_negative_pmt_is_refused_by_measurement_record(district: DistrictFixture) -> None:
    child = ChildFactory(posyandu=district.posyandu_a1, birth_date=BORN)
    with pytest.raises(ValidationError) as raised:
        measurement_record(
            user=None, child=child, measured_on=DAY, pmt_kg=Decimal("-5"), today=TODAY, **VALID, position="H"
        )
    assert raised.value.message_dict == {
        "pmt_kg": ["PMT diterima -5 kg di luar rentang yang mungkin (0-100 kg)"]
    }
    assert Measurement.objects.count() == 0
