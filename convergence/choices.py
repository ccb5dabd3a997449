"""Limit a form's or a serializer's choice field to a queryset (the user's scope), by field name.

`form.fields[name]` is typed as any field; these check that it is one that takes a queryset, so a renamed
or retyped field fails here by name instead of silently offering every row.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Model, QuerySet
from django.urls import reverse
from rest_framework import serializers


def form_choices_limit(form: forms.BaseForm, name: str, queryset: QuerySet[Any]) -> None:
    """Offer only `queryset` in the model choice field `name` of `form`."""
    field = form.fields[name]
    if not isinstance(field, forms.ModelChoiceField):
        raise TypeError(f"{type(form).__name__}.{name} is not a model choice field")
    field.queryset = queryset


def field_searchable(field: forms.Field, url_name: str, *, minimum: int) -> None:
    """Let `field` search the server with JavaScript (static/convergence/searchable.js): the JSON answers
    of `url_name` once `minimum` letters are typed. Without JavaScript the select or number box stays."""
    field.widget.attrs.update({"data-search-url": reverse(url_name), "data-search-min": str(minimum)})


def serializer_choices_limit(
    serializer: serializers.BaseSerializer[Any], name: str, queryset: QuerySet[Model]
) -> None:
    """Accept only `queryset` in the related field `name` of `serializer` (one or many)."""
    field = serializer.fields[name]  # type: ignore[attr-defined]
    if isinstance(field, serializers.ManyRelatedField):
        field = field.child_relation
    if not isinstance(field, serializers.RelatedField):
        raise TypeError(f"{type(serializer).__name__}.{name} is not a related field")
    field.queryset = queryset
