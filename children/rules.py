"""The plausibility rules of a measurement, each written once: code, field, bounds and message.

Every way in applies the same table: the bulk import to whole columns (`violations`), the posyandu page,
the API and `measurement_record` to a batch of one (`measurement_errors`), the offline posyandu page
loads it as data (`rules_as_data`), and the database holds the same bounds as check constraints
(`check_constraints`, used by Measurement.Meta). A bound changes here and nowhere else (then a
migration carries it to the constraint).

The bounds are physical possibility for a child under five, not growth judgement: the WHO flags of the
growth engine (children.growth) ask for a re-measurement; these refuse the value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from django.db.models import CheckConstraint, Q
from django.utils import formats
from django.utils.translation import gettext, gettext_noop


@dataclass(frozen=True)
class RangeRule:
    """A value of `field` must lie in [low, high] (bounds included) when given."""

    code: str
    field: str
    low: Decimal
    high: Decimal
    # gettext_noop text naming the field, with %(value)s, %(low)s and %(high)s.
    message: str

    def text(self, value: Any) -> str:
        """The message for `value`, translated to the active language."""
        return gettext(self.message) % {
            "value": number_text(value),
            "low": number_text(self.low),
            "high": number_text(self.high),
        }


MEASUREMENT_RULES: tuple[RangeRule, ...] = (
    RangeRule(
        "weight_kg_range",
        "weight_kg",
        Decimal("0.5"),
        Decimal("50"),
        gettext_noop("Berat %(value)s kg di luar rentang yang mungkin (%(low)s-%(high)s kg)"),
    ),
    RangeRule(
        "height_cm_range",
        "height_cm",
        Decimal("30"),
        Decimal("140"),
        gettext_noop("Panjang/tinggi %(value)s cm di luar rentang yang mungkin (%(low)s-%(high)s cm)"),
    ),
    RangeRule(
        "lila_cm_range",
        "lila_cm",
        Decimal("5"),
        Decimal("35"),
        gettext_noop("LiLA %(value)s cm di luar rentang yang mungkin (%(low)s-%(high)s cm)"),
    ),
    RangeRule(
        "head_circumference_cm_range",
        "head_circumference_cm",
        Decimal("20"),
        Decimal("60"),
        gettext_noop("Lingkar kepala %(value)s cm di luar rentang yang mungkin (%(low)s-%(high)s cm)"),
    ),
    RangeRule(
        "pmt_kg_range",
        "pmt_kg",
        Decimal("0"),
        Decimal("100"),
        gettext_noop("PMT diterima %(value)s kg di luar rentang yang mungkin (%(low)s-%(high)s kg)"),
    ),
)
MEASUREMENT_FIELDS = tuple(rule.field for rule in MEASUREMENT_RULES)


def number_text(value: Any) -> str:
    """A number as a message shows it in the active language: no trailing zeros, the decimal comma in
    Indonesian ("0,5", "50", "95")."""
    return formats.number_format(Decimal(f"{float(value):g}"))


def violations(columns: Mapping[str, np.ndarray], rules: tuple[RangeRule, ...] = MEASUREMENT_RULES) -> dict:
    """{rule: bool array} of the rows whose value breaks the rule; `columns` maps a field to a float64
    array of shape (n,) with NaN for a missing value (never a violation). Fields absent are not checked."""
    found = {}
    for rule in rules:
        values = columns.get(rule.field)
        if values is None:
            continue
        with np.errstate(invalid="ignore"):
            found[rule] = (values < float(rule.low)) | (values > float(rule.high))
    return found


def measurement_errors(values: Mapping[str, Any]) -> dict[str, list[str]]:
    """{field: [translated message]} of one measurement's values (Decimal, float or None): the table
    applied to a batch of one, exactly as the import applies it to a column."""
    columns = {
        field: np.array([np.nan if values[field] is None else float(values[field])], dtype=np.float64)
        for field in MEASUREMENT_FIELDS
        if field in values
    }
    errors: dict[str, list[str]] = {}
    for rule, broken in violations(columns).items():
        if broken[0]:
            errors.setdefault(rule.field, []).append(rule.text(values[rule.field]))
    return errors


def rules_as_data(rules: tuple[RangeRule, ...] = MEASUREMENT_RULES) -> list[dict[str, Any]]:
    """The table as JSON-serialisable data for pages that check a value in the browser (the offline
    posyandu page): code, field, bounds as strings (exact decimals) and the message translated to the
    active language with its %(value)s placeholder left for the page."""
    return [
        {
            "code": rule.code,
            "field": rule.field,
            "low": str(rule.low),
            "high": str(rule.high),
            "message": gettext(rule.message)
            % {"value": "%(value)s", "low": number_text(rule.low), "high": number_text(rule.high)},
        }
        for rule in rules
    ]


def check_constraints(prefix: str, rules: tuple[RangeRule, ...] = MEASUREMENT_RULES) -> list[CheckConstraint]:
    """One database check constraint per rule, named `<prefix>_<code>`: NULL or within the bounds."""
    return [
        CheckConstraint(
            condition=Q(**{f"{rule.field}__isnull": True})
            | Q(**{f"{rule.field}__gte": rule.low, f"{rule.field}__lte": rule.high}),
            name=f"{prefix}_{rule.code}",
            violation_error_code=rule.code,
        )
        for rule in rules
    ]
