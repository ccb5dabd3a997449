"""The plausibility rules of a measurement, each written once: code, field, bounds and message.

Every way in applies the same table: the bulk import to whole columns (`violations`), the posyandu page,
the API and `measurement_record` to a batch of one (`measurement_errors`), the offline posyandu page
loads it as data (`rules_as_data`), and the database holds the same bounds as check constraints
(`check_constraints`, used by Measurement.Meta). A bound changes here and nowhere else (then a
migration carries it to the constraint).

The position rule (`POSITION_RULE`) says how a length is taken at which age; the service applies it to every
entry (`position_errors`) and the posyandu page reads it as data (`position_rule_as_data`).

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

from children.growth import zscore


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


@dataclass(frozen=True)
class PositionRule:
    """How a length or height is taken, by age in days on the measuring day. A standing height before
    `standing_min_age_days` is refused (a baby cannot stand straight on the board); before
    `length_until_age_days` a standing height is accepted and the growth engine adds `adjustment_cm`,
    as WHO does. The ages and the adjustment are the engine's own (children.growth.zscore)."""

    code: str
    field: str
    standing: str
    standing_min_age_days: int
    length_until_age_days: int
    adjustment_cm: Decimal
    message: str  # gettext_noop text: why a standing infant is refused
    adjusted_message: str  # gettext_noop text with %(cm)s: what the engine does to a standing toddler

    def refuses(self, *, position: str, age_days: int) -> bool:
        return position == self.standing and age_days < self.standing_min_age_days

    def adjusts(self, *, position: str, age_days: int) -> bool:
        return (
            position == self.standing and self.standing_min_age_days <= age_days < self.length_until_age_days
        )

    def adjusted_text(self) -> str:
        return gettext(self.adjusted_message) % {"cm": number_text(self.adjustment_cm)}


POSITION_RULE = PositionRule(
    code="standing_under_9_months",
    field="position",
    standing="H",  # Measurement.Position.STANDING (this module sits below the models)
    standing_min_age_days=zscore.STANDING_MIN_AGE_DAYS,
    length_until_age_days=zscore.LENGTH_TO_HEIGHT_AGE_DAYS,
    adjustment_cm=Decimal(zscore.POSITION_ADJUSTMENT_MM) / 10,
    message=gettext_noop("Bayi di bawah 9 bulan diukur telentang, bukan berdiri: pilih Telentang."),
    adjusted_message=gettext_noop(
        "Anak di bawah 24 bulan diukur berdiri: %(cm)s cm ditambahkan ke tingginya, seperti aturan WHO."
    ),
)


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


def position_errors(*, position: str, age_days: int, has_height: bool) -> dict[str, list[str]]:
    """{field: [translated message]} when a height was taken standing too young (empty otherwise)."""
    rule = POSITION_RULE
    if has_height and rule.refuses(position=position, age_days=age_days):
        return {rule.field: [gettext(rule.message)]}
    return {}


def position_rule_as_data(rule: PositionRule = POSITION_RULE) -> dict[str, Any]:
    """The position rule as data for a page that checks it in the browser, messages translated."""
    return {
        "code": rule.code,
        "field": rule.field,
        "standing": rule.standing,
        "standing_min_age_days": rule.standing_min_age_days,
        "length_until_age_days": rule.length_until_age_days,
        "message": gettext(rule.message),
        "adjusted_message": rule.adjusted_text(),
    }


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
