"""Template filters for counts and months: convergence.formatting, for every app's pages."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django import template

from convergence import formatting

register = template.Library()


@register.filter
def month(day: datetime.date | None) -> str:
    """{{ period|month }} -> 'November 2026'; empty for no month."""
    return formatting.month_name(day) if day else ""


@register.filter
def count(value: int | None) -> str:
    """{{ measured|count }} -> '16.972'; an en dash for no value."""
    return "–" if value is None else formatting.count(value)


@register.filter
def fixed(value: float | Decimal | str | None, places: int = 1) -> str:
    """{{ target.stunting_pct|fixed:2 }} -> '14,00' in Indonesian; an en dash for no value (a missing
    row's field reaches the filter as an empty string)."""
    if value is None or value == "":
        return "–"
    return formatting.fixed(Decimal(value) if isinstance(value, str) else value, int(places))
