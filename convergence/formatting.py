"""How numbers and months read on pages, in the active language: Indonesian groups thousands with a dot
and names months ("16.972", "November 2026"); English writes "16,972" and "November 2026"."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils.formats import date_format, number_format


def month_name(day: datetime.date) -> str:
    """The month of `day` as readers say it: 'November 2026' (the locale's YEAR_MONTH_FORMAT)."""
    return date_format(day, "YEAR_MONTH_FORMAT")


def fixed(value: float | Decimal, places: int) -> str:
    """`value` with `places` decimals in the active language: -0.14 -> '-0,14' in Indonesian.

    Rounded as f"{value:.{places}f}" rounds (number_format alone would cut the digits off, not round).
    """
    return number_format(Decimal(f"{value:.{places}f}"), places)


def count(value: int) -> str:
    """A count with its thousands grouped, whatever USE_THOUSAND_SEPARATOR says: 16.972 in Indonesian.

    Grouping stays off project-wide because years, ids and codes are integers too ("2.026" would be wrong).
    """
    return number_format(value, 0, force_grouping=True)
