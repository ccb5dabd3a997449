"""Query-string filters of the API: one rule for references, one bound for numbers.

- A filter is named as the field of the answer it filters and takes the same form as that field: a region
  (provinsi to desa/kelurahan, a meeting's region, a region's parent) by its Kemendagri code, any other
  record (posyandu, puskesmas, OPD, child, ...) by its id.
- Ids are plain numbers, not choices checked against the whole table: a filter on a record outside the
  caller's scope answers an empty list rather than telling that the record exists.
- Every integer filter is bounded like its column, so a number the database cannot hold (or one that is
  not a whole number) is a 400 naming the parameter, never an overflow in the query.

`FilterSet` applies this to the filters it generates from `Meta.fields` (and to a view's
`filterset_fields`, through `Filtering`); a declared filter uses `IdFilter`/`IntegerFilter` itself.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.drainage import set_override

from convergence.models import Region

# The id columns are BigAutoField; the generic ranges (PostgreSQL's) bound every integer column.
ID_RANGE = BaseDatabaseOperations.integer_field_ranges["BigAutoField"]


def column_range(field: models.Field[Any, Any]) -> tuple[int, int]:
    """The values an integer column holds, as PostgreSQL declares it (SQLite holds the widest)."""
    return BaseDatabaseOperations.integer_field_ranges.get(field.get_internal_type(), ID_RANGE)


class IntegerFilter(django_filters.NumberFilter):
    """A whole number within `column`'s range (or `min_value`..`max_value`); anything else is a 400."""

    field_class = forms.IntegerField

    def __init__(
        self,
        *args: Any,
        column: models.Field[Any, Any] | None = None,
        min_value: int | None = None,
        max_value: int | None = None,
        **kwargs: Any,
    ) -> None:
        if column is not None:
            min_value, max_value = column_range(column)
        if min_value is None or max_value is None:
            raise TypeError("IntegerFilter needs a column or both bounds")
        super().__init__(*args, min_value=min_value, max_value=max_value, **kwargs)
        set_override(self, "field", {"type": "integer", "minimum": min_value, "maximum": max_value})


class IdFilter(IntegerFilter):
    """A record by its id: 1 up to the id column's largest value."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, min_value=1, max_value=ID_RANGE[1], **kwargs)


class FilterSet(django_filters.FilterSet):
    """Generates region filters by code, other relations by id, integer columns within their range."""

    @classmethod
    def filter_for_field(
        cls, field: models.Field[Any, Any], field_name: str, lookup_expr: str | None = None
    ) -> django_filters.Filter:
        lookup = lookup_expr or "exact"
        if field.is_relation and field.related_model is Region:
            return django_filters.CharFilter(
                field_name=f"{field_name}__code", lookup_expr=lookup, label="Kemendagri region code"
            )
        if field.is_relation or isinstance(field, models.AutoField):
            return IdFilter(field_name=field_name, lookup_expr=lookup)
        if isinstance(field, models.IntegerField) and not field.choices:
            return IntegerFilter(field_name=field_name, lookup_expr=lookup, column=field)
        return super().filter_for_field(field, field_name, lookup_expr)


class Filtering(DjangoFilterBackend):
    """django-filter's backend, generating a view's `filterset_fields` with the FilterSet above."""

    filterset_base = FilterSet
