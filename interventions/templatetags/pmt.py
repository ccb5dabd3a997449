"""Template helpers of the PMT pages: a one-time form token for forms rendered per row, and rupiah."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from interventions.submissions import submission_token

register = template.Library()


@register.simple_tag
def form_token() -> SafeString:
    """The hidden one-time token of a small form (approve, reject, finish): interventions.submissions."""
    return format_html('<input type="hidden" name="token" value="{}">', submission_token())


@register.filter
def rupiah(amount: Decimal | int | None) -> str:
    """Rp 1.500.000 in Indonesian (the active language's grouping); negative as -Rp 1.500.000."""
    if amount is None:
        return "-"
    magnitude = -amount if amount < 0 else amount
    text = _("Rp %(n)s") % {"n": number_format(magnitude, 0, force_grouping=True)}
    return f"-{text}" if amount < 0 else text
