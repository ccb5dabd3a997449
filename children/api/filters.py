"""Query-string filters of the registry API. Ids are plain numbers (not choices validated against the
whole table), so a filter on a record outside the caller's scope answers an empty list, not an error
that would tell the record exists. There is no NIK filter: NIKs do not travel in URLs (see lookup/)."""

from __future__ import annotations

import django_filters

from children.models import Child, DuplicateCandidate, Keluarga, Measurement, Person, Pregnancy


class KeluargaFilter(django_filters.FilterSet):
    desa = django_filters.CharFilter(field_name="desa__code", label="desa code")

    class Meta:
        model = Keluarga
        fields = ["desa", "at_risk"]


class ChildFilter(django_filters.FilterSet):
    posyandu = django_filters.NumberFilter(field_name="posyandu")
    desa = django_filters.CharFilter(field_name="desa__code", label="desa code")
    birth_date = django_filters.DateFromToRangeFilter()
    name = django_filters.CharFilter(field_name="name", lookup_expr="icontains")

    class Meta:
        model = Child
        fields = ["posyandu", "desa", "birth_date", "sex", "status", "name"]


class PersonFilter(django_filters.FilterSet):
    desa = django_filters.CharFilter(field_name="desa__code", label="desa code")
    keluarga = django_filters.NumberFilter(field_name="keluarga")
    name = django_filters.CharFilter(field_name="name", lookup_expr="icontains")

    class Meta:
        model = Person
        fields = ["desa", "keluarga", "sex", "name"]


class MeasurementFilter(django_filters.FilterSet):
    child = django_filters.NumberFilter(field_name="child")
    posyandu = django_filters.NumberFilter(field_name="posyandu")
    measured_on = django_filters.DateFromToRangeFilter()

    class Meta:
        model = Measurement
        fields = ["child", "posyandu", "measured_on"]


class PregnancyFilter(django_filters.FilterSet):
    desa = django_filters.CharFilter(field_name="desa__code", label="desa code")
    mother = django_filters.NumberFilter(field_name="mother")

    class Meta:
        model = Pregnancy
        fields = ["desa", "mother", "outcome", "is_kek", "is_high_risk"]


class DuplicateFilter(django_filters.FilterSet):
    class Meta:
        model = DuplicateCandidate
        fields = ["kind", "status"]
