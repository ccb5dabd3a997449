"""Query-string filters of the prevalence list, named as the fields of the answer (convergence.api.filtering):
region codes and posyandu ids are plain values (not choices checked against the whole table), so a
filter on a unit outside the caller's scope answers an empty list rather than telling that the unit
exists. `within` and `period_from`/`period_to` are documented listing parameters (containment, range)."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from convergence.api.filtering import FilterSet
from reports.models import PrevalenceSummary

Row = PrevalenceSummary


class PrevalenceFilter(FilterSet):
    level = django_filters.ChoiceFilter(choices=Row.Level.choices)
    region = django_filters.CharFilter(
        field_name="region__code", label="region code (for posyandu rows: their desa)"
    )
    within = django_filters.CharFilter(method="filter_within", label="region code: every unit inside it")
    period_kind = django_filters.ChoiceFilter(choices=Row.PeriodKind.choices)
    period_from = django_filters.DateFilter(field_name="period", lookup_expr="gte")
    period_to = django_filters.DateFilter(field_name="period", lookup_expr="lte")

    class Meta:
        model = Row
        fields = ["level", "region", "within", "period_kind", "period_from", "period_to", "posyandu"]

    def filter_within(self, queryset: QuerySet[Row], name: str, value: str) -> QuerySet[Row]:
        # A desa's posyandu rows carry the desa itself as region: they are inside it too.
        return queryset.filter(
            Q(region__code__startswith=f"{value}.") | Q(region__code=value, level=Row.Level.POSYANDU)
        )
