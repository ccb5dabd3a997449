"""Serializers of families, persons and children, and of the NIK/KK look-up."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from children.api.serializers.fields import DesaField, NIKField, ScopedPrimaryKeyRelatedField, WarningsMixin
from children.models import (
    Child,
    Keluarga,
    Person,
)
from convergence.models import Posyandu


class KeluargaSerializer(serializers.ModelSerializer):
    desa = DesaField()
    kk_number = NIKField(
        source="kk_encrypted",
        help_text=gettext_lazy(
            "Nomor KK 16 angka sebagai teks. Ditampilkan lengkap atau tersamar sesuai peran."
        ),
    )

    class Meta:
        model = Keluarga
        fields = [
            "id",
            "kk_number",
            "head_name",
            "desa",
            "address",
            "rt",
            "rw",
            "water_source",
            "latrine",
            "jkn",
            "receives_pkh",
            "receives_bpnt",
            "at_risk",
            "at_risk_reasons",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def validate_at_risk_reasons(self, value: Any) -> list[str]:
        allowed = set(Keluarga.AtRiskReason.values)
        if not isinstance(value, list) or any(item not in allowed for item in value):
            raise serializers.ValidationError(
                _("Alasan berisiko harus daftar dari: %(codes)s.") % {"codes": ", ".join(sorted(allowed))}
            )
        return value


class PersonSerializer(WarningsMixin, serializers.ModelSerializer):
    nik = NIKField()
    desa = DesaField()
    keluarga = ScopedPrimaryKeyRelatedField(queryset=Keluarga.objects.all(), required=False, allow_null=True)

    class Meta:
        model = Person
        fields = [
            "id",
            "nik",
            "name",
            "sex",
            "birth_date",
            "birth_place",
            "keluarga",
            "desa",
            "address",
            "rt",
            "rw",
            "phone",
            "created_at",
            "updated_at",
            "warnings",
        ]
        read_only_fields = ["created_at", "updated_at"]


class ChildSerializer(WarningsMixin, serializers.ModelSerializer):
    nik = NIKField()
    posyandu = ScopedPrimaryKeyRelatedField(queryset=Posyandu.objects.all())
    desa = DesaField(required=False, help_text=gettext_lazy("Kode desa alamat anak; kosong = desa posyandu."))
    mother = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all(), required=False, allow_null=True)
    keluarga = ScopedPrimaryKeyRelatedField(queryset=Keluarga.objects.all(), required=False, allow_null=True)

    class Meta:
        model = Child
        fields = [
            "id",
            "nik",
            "name",
            "sex",
            "birth_date",
            "birth_place",
            "birth_order",
            "birth_weight_kg",
            "birth_length_cm",
            "birth_head_circumference_cm",
            "gestational_age_weeks",
            "early_breastfeeding",
            "mother",
            "mother_name",
            "father_name",
            "parent_phone",
            "keluarga",
            "posyandu",
            "desa",
            "address",
            "rt",
            "rw",
            "has_birth_certificate",
            "has_jkn",
            "has_kia_book",
            "status",
            "created_at",
            "updated_at",
            "warnings",
        ]
        read_only_fields = ["created_at", "updated_at"]


class NIKLookupSerializer(serializers.Serializer):
    nik = serializers.CharField(max_length=32, help_text=gettext_lazy("NIK 16 angka yang dicari."))
