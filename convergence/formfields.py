"""Form fields shared by the apps' pages."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.db import models
from django.utils import formats
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

# Digits with at most one decimal separator, comma or point: what a kader may type ("8,9", "8.9", "9").
DECIMAL_PATTERN = r"[0-9]+([,.][0-9]+)?"
_DECIMAL_RE = re.compile(rf"^{DECIMAL_PATTERN}$")
_SEPARATORS = re.compile(r"[,.]")


def decimal_text_parse(text: str) -> Decimal | None:
    """A typed number as a Decimal, the comma or the point as decimal separator; None when the text is not
    digits with at most one separator ("8,9,1", "1.234,5", "8,"). Spaces around it are ignored."""
    text = text.strip()
    if not _DECIMAL_RE.fullmatch(text):
        return None
    return Decimal(_SEPARATORS.sub(".", text))


class LocalizedDecimalField(forms.DecimalField):
    """A decimal typed on a phone: a text input (a number input drops the comma, so "8,9" became 89)
    with the decimal keyboard, accepting "8,9" and "8.9" whatever the language, refusing several
    separators with a message naming the field, and showing its value with the language's separator."""

    default_error_messages = {
        "separators": _("%(field)s: tulis angka dengan satu tanda desimal (koma atau titik), misalnya 8,9."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.TextInput)
        super().__init__(**kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        # No min/max/step: those belong to number inputs, and the bounds are the rule table's. The message
        # is lazy: fields are built at import, the page is drawn in the request's language.
        message = lazy(self._separators_message, str)()
        return {
            "inputmode": "decimal",
            "pattern": DECIMAL_PATTERN,
            "autocomplete": "off",
            "title": message,
            "data-decimal": "",
            "data-decimal-message": message,
        }

    def _separators_message(self) -> str:
        return str(self.error_messages["separators"]) % {"field": self.label or ""}

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):
            return value
        parsed = decimal_text_parse(str(value))
        if parsed is None:
            raise forms.ValidationError(
                self.error_messages["separators"], code="separators", params={"field": self.label or ""}
            )
        return parsed

    def prepare_value(self, value: Any) -> Any:
        # A stored or initial number is shown as the language writes it ("8,9" in Indonesian); what the
        # kader typed (a string) comes back unchanged.
        if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
            return formats.number_format(value, use_l10n=True)
        return value


def localized_decimals(db_field: models.Field, **kwargs: Any) -> forms.Field | None:
    """A ModelForm's `Meta.formfield_callback`: its decimal fields become LocalizedDecimalField."""
    if isinstance(db_field, models.DecimalField):
        return db_field.formfield(form_class=LocalizedDecimalField, **kwargs)
    return db_field.formfield(**kwargs)
