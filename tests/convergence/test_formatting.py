"""Counts, fixed decimals and months in the active language (convergence.formatting and its filters)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.template import Context, Template
from django.utils import translation

from convergence.formatting import count, fixed, month_name

NOVEMBER = datetime.date(2026, 11, 30)


def test_it_writes_indonesian_numbers_and_months() -> None:
    with translation.override("id"):
        assert (count(16972), count(976680000), count(-35446)) == ("16.972", "976.680.000", "-35.446")
        assert (fixed(-0.14, 2), fixed(11.3, 2), fixed(Decimal("0.5"), 1)) == ("-0,14", "11,30", "0,5")
        assert (month_name(NOVEMBER), month_name(datetime.date(2026, 12, 1))) == (
            "November 2026",
            "Desember 2026",
        )


def test_it_writes_english_numbers_and_months() -> None:
    with translation.override("en"):
        assert (count(16972), fixed(-0.14, 2), month_name(datetime.date(2026, 3, 1))) == (
            "16,972",
            "-0.14",
            "March 2026",
        )


def test_it_rounds_as_python_rounds_instead_of_cutting_digits() -> None:
    with translation.override("id"):
        assert (fixed(-2.876, 2), fixed(0.999, 2), fixed(2.0, 2)) == ("-2,88", "1,00", "2,00")


def test_the_filters_leave_a_dash_or_nothing_for_no_value() -> None:
    template = Template(
        "{% load formatting %}[{{ n|count }}] [{{ none|count }}] [{{ day|month }}] [{{ none|month }}]"
    )
    with translation.override("id"):
        rendered = template.render(Context({"n": 10369, "none": None, "day": NOVEMBER}))
    assert rendered == "[10.369] [–] [November 2026] []"
