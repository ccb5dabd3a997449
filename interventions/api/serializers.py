"""Serializers of the interventions API: they parse and present; writes go through interventions.services."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from convergence.api.filtering import ID_RANGE
from convergence.api.serializers import OPDLabels
from convergence.models import OPD, Region
from convergence.scoping import restrict
from interventions.models import (
    Delivery,
    FundingSource,
    Indicator,
    IndicatorTarget,
    Intervention,
    Referral,
    SubjectKind,
)


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A related id chosen among the rows the caller may read (others read as "does not exist")."""

    def get_queryset(self) -> QuerySet[Any]:
        request = self.context.get("request")
        queryset = super().get_queryset()
        if queryset is None:
            raise TypeError(f"{self.field_name} has no queryset to scope")
        return restrict(queryset, request.user) if request is not None else queryset.none()


class IndicatorSerializer(serializers.ModelSerializer):
    # Plain text (spesifik/sensitif/esensial): "kind" enums of other apps would collide in the schema.
    kind = serializers.CharField(read_only=True)

    class Meta:
        model = Indicator
        fields = ["id", "code", "name", "kind", "target_group", "numerator", "denominator", "unit", "source"]


class IndicatorTargetSerializer(serializers.ModelSerializer):
    indicator: serializers.PrimaryKeyRelatedField[Indicator] = serializers.PrimaryKeyRelatedField(
        queryset=Indicator.objects.all()
    )
    indicator_code = serializers.CharField(source="indicator.code", read_only=True)
    kabupaten: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )

    class Meta:
        model = IndicatorTarget
        fields = ["id", "indicator", "indicator_code", "kabupaten", "year", "target_percent", "source"]


class InterventionSerializer(OPDLabels, serializers.ModelSerializer):
    kabupaten: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    opd: serializers.PrimaryKeyRelatedField[OPD] = serializers.PrimaryKeyRelatedField(read_only=True)
    indicator: serializers.PrimaryKeyRelatedField[Indicator] = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True
    )
    indicator_code = serializers.CharField(source="indicator.code", read_only=True, allow_null=True)
    # Plain text (spesifik/sensitif/esensial): "kind" enums of other apps would collide in the schema.
    kind = serializers.CharField(read_only=True)

    class Meta:
        model = Intervention
        fields = [
            "id",
            "kabupaten",
            "code",
            "name",
            "kind",
            "target_group",
            "opd",
            "opd_code",
            "opd_name",
            "indicator",
            "indicator_code",
            "unit",
            "eligibility_rule",
            "rule_params",
            "valid_from",
            "valid_to",
            "is_active",
        ]


class DeliverySerializer(OPDLabels, serializers.ModelSerializer):
    intervention = ScopedPrimaryKeyRelatedField(queryset=Intervention.objects.all())
    intervention_code = serializers.CharField(source="intervention.code", read_only=True)
    opd: serializers.PrimaryKeyRelatedField[OPD] = serializers.PrimaryKeyRelatedField(read_only=True)
    desa: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    subject_kind = serializers.ChoiceField(choices=SubjectKind.choices)
    subject_id = serializers.IntegerField(min_value=1)
    subject_name = serializers.CharField(read_only=True)
    quantity = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False)
    unit = serializers.CharField(max_length=20, required=False, allow_blank=True)
    funding_source = serializers.ChoiceField(choices=FundingSource.choices, required=False)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "intervention",
            "intervention_code",
            "opd",
            "opd_code",
            "opd_name",
            "subject_kind",
            "subject_id",
            "subject_name",
            "desa",
            "delivered_on",
            "quantity",
            "unit",
            "funding_source",
            "provider_unit",
            "source",
            "created_at",
        ]
        read_only_fields = ["source", "created_at"]


class ReferralSerializer(OPDLabels, serializers.ModelSerializer):
    intervention = ScopedPrimaryKeyRelatedField(queryset=Intervention.objects.all())
    intervention_code = serializers.CharField(source="intervention.code", read_only=True)
    opd: serializers.PrimaryKeyRelatedField[OPD] = serializers.PrimaryKeyRelatedField(read_only=True)
    desa: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    subject_kind = serializers.ChoiceField(choices=SubjectKind.choices)
    subject_id = serializers.IntegerField(min_value=1)
    subject_name = serializers.CharField(read_only=True)
    reason = serializers.CharField(required=False, allow_blank=True)

    class Meta:
        model = Referral
        fields = [
            "id",
            "intervention",
            "intervention_code",
            "opd",
            "opd_code",
            "opd_name",
            "subject_kind",
            "subject_id",
            "subject_name",
            "desa",
            "reason",
            "status",
            "due_date",
            "assigned_to",
            "delivery",
            "note",
            "created_at",
            "closed_at",
        ]
        read_only_fields = ["status", "assigned_to", "delivery", "created_at", "closed_at"]


class ReferralStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[
            (Referral.Status.OPEN, _("Terbuka")),
            (Referral.Status.IN_PROGRESS, _("Diproses")),
            (Referral.Status.CANCELLED, _("Dibatalkan")),
        ]
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")


class CountsSerializer(serializers.Serializer):
    due_baduta = serializers.IntegerField()
    received_baduta = serializers.IntegerField()
    due_ibu_hamil = serializers.IntegerField()
    received_ibu_hamil = serializers.IntegerField()
    due_keluarga = serializers.IntegerField()
    received_keluarga = serializers.IntegerField()
    due = serializers.IntegerField()
    received = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True, help_text=_("Layanan diterima / layanan seharusnya x 100"))


class LedgerRowSerializer(CountsSerializer):
    code = serializers.CharField()
    name = serializers.CharField()


class LedgerSerializer(serializers.Serializer):
    region = serializers.CharField()
    year = serializers.IntegerField()
    month = serializers.IntegerField(allow_null=True)
    reference_day = serializers.DateField()
    # Rows, not references: a property named after a region level is always a code.
    desa_rows = LedgerRowSerializer(many=True)
    kecamatan_rows = LedgerRowSerializer(many=True)
    total = CountsSerializer()


class LedgerQuerySerializer(serializers.Serializer):
    region = serializers.CharField(help_text=_("Kode wilayah desa, kecamatan atau kabupaten"))
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    month = serializers.IntegerField(min_value=1, max_value=12, required=False)


class GapQuerySerializer(serializers.Serializer):
    opd = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=ID_RANGE[1],
        help_text=_("Id OPD (Bappeda dan peran wilayah); petugas OPD selalu OPD-nya"),
    )
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    desa = serializers.CharField(required=False, help_text=_("Kode desa/kelurahan"))


class GapSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    opd = serializers.IntegerField()
    opd_code = serializers.CharField()
    opd_name = serializers.CharField()
    intervention = serializers.IntegerField()
    intervention_code = serializers.CharField()
    subject_kind = serializers.CharField()
    subject_id = serializers.IntegerField()
    subject_name = serializers.CharField()
    desa = serializers.CharField()
    reason = serializers.CharField()
    referral = serializers.IntegerField(allow_null=True)


def counts_data(counts: Any) -> dict[str, Any]:
    return {
        **{f"due_{target}": value for target, value in counts.due.items()},
        **{f"received_{target}": value for target, value in counts.received.items()},
        "due": counts.due_total,
        "received": counts.received_total,
        "rate": counts.rate(),
    }


def region_row(region: Region, counts: Any) -> dict[str, Any]:
    return {"code": region.code, "name": region.name, **counts_data(counts)}
