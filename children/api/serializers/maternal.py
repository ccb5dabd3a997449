"""Serializers of pregnancies with their ANC visits, and of adolescent girls with their iron tablets (TTD)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from children.api.serializers.fields import ScopedPrimaryKeyRelatedField
from children.models import (
    AdolescentGirl,
    AdolescentTTD,
    Child,
    Person,
    Pregnancy,
    PregnancyVisit,
)
from convergence.models import Posyandu, Region

# --- pregnancies --------------------------------------------------------------------------------------


class PregnancyVisitSerializer(serializers.ModelSerializer):
    class Meta:
        model = PregnancyVisit
        fields = [
            "id",
            "visit_date",
            "is_anc",
            "weight_kg",
            "lila_cm",
            "hb_g_dl",
            "systolic_mmhg",
            "diastolic_mmhg",
            "ttd_tablets",
            "place",
            "notes",
            "created_at",
        ]
        read_only_fields = ["created_at"]
        validators: list[Any] = []


class PregnancySerializer(serializers.ModelSerializer):
    mother = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all())
    posyandu = ScopedPrimaryKeyRelatedField(queryset=Posyandu.objects.all(), required=False, allow_null=True)
    newborn = ScopedPrimaryKeyRelatedField(queryset=Child.objects.all(), required=False, allow_null=True)
    desa: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    risk_history = serializers.ListField(
        child=serializers.ChoiceField(choices=Pregnancy.RiskFactor.choices), required=False
    )
    visits = PregnancyVisitSerializer(many=True, read_only=True)

    class Meta:
        model = Pregnancy
        fields = [
            "id",
            "mother",
            "desa",
            "posyandu",
            "lmp_date",
            "expected_delivery_date",
            "gravida",
            "parity",
            "abortus",
            "last_delivery_date",
            "height_cm",
            "pre_pregnancy_weight_kg",
            "risk_history",
            "outcome",
            "delivery_date",
            "newborn",
            "postnatal_visits",
            "ttd_total",
            "anc_visits",
            "is_kek",
            "is_anaemic",
            "is_high_risk",
            "risk_flags",
            "visits",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "ttd_total",
            "anc_visits",
            "is_kek",
            "is_anaemic",
            "is_high_risk",
            "risk_flags",
            "created_at",
            "updated_at",
        ]


# --- adolescent girls ---------------------------------------------------------------------------------


class AdolescentGirlSerializer(serializers.ModelSerializer):
    person = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all())
    name = serializers.CharField(source="person.name", read_only=True)
    birth_date = serializers.DateField(source="person.birth_date", read_only=True, allow_null=True)
    desa = serializers.CharField(source="person.desa.code", read_only=True)

    class Meta:
        model = AdolescentGirl
        fields = [
            "id",
            "person",
            "name",
            "birth_date",
            "desa",
            "school_name",
            "school_class",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class AdolescentTTDSerializer(serializers.ModelSerializer):
    girl = ScopedPrimaryKeyRelatedField(queryset=AdolescentGirl.objects.all())

    class Meta:
        model = AdolescentTTD
        fields = ["id", "girl", "week_start", "tablets", "given_at", "created_at"]
        read_only_fields = ["created_at"]
        # A week already recorded is corrected by the service, not refused as a duplicate.
        validators: list = []
