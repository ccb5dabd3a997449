"""Query-string filters of the registry API, named as the fields of the answer and taking the same
form (convergence.api.filtering): a desa by its Kemendagri code, any other record by its id. There is no
NIK filter: NIKs do not travel in URLs (see lookup/)."""

from __future__ import annotations

import django_filters

from children.models import (
    AdolescentGirl,
    Child,
    DuplicateCandidate,
    Keluarga,
    Measurement,
    Person,
    Pregnancy,
)
from convergence.api.filtering import FilterSet


class KeluargaFilter(FilterSet):
    class Meta:
        model = Keluarga
        fields = ["desa", "at_risk"]


class ChildFilter(FilterSet):
    birth_date = django_filters.DateFromToRangeFilter()
    name = django_filters.CharFilter(field_name="name", lookup_expr="icontains")

    class Meta:
        model = Child
        fields = ["posyandu", "desa", "birth_date", "sex", "status", "name"]


class PersonFilter(FilterSet):
    name = django_filters.CharFilter(field_name="name", lookup_expr="icontains")

    class Meta:
        model = Person
        fields = ["desa", "keluarga", "sex", "name"]


class MeasurementFilter(FilterSet):
    measured_on = django_filters.DateFromToRangeFilter()

    class Meta:
        model = Measurement
        fields = ["child", "posyandu", "measured_on"]


class PregnancyFilter(FilterSet):
    class Meta:
        model = Pregnancy
        fields = ["desa", "mother", "outcome", "is_kek", "is_high_risk"]


class AdolescentGirlFilter(FilterSet):
    # The girl's desa is her person's: the answer shows it as `desa`.
    desa = django_filters.CharFilter(field_name="person__desa__code", label="Kemendagri region code")
    school_name = django_filters.CharFilter(field_name="school_name", lookup_expr="icontains")

    class Meta:
        model = AdolescentGirl
        fields = ["person", "desa", "school_name"]


class DuplicateFilter(FilterSet):
    class Meta:
        model = DuplicateCandidate
        fields = ["kind", "status"]
