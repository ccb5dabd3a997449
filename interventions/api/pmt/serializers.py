"""Serializers of the PMT REST API. They only parse and present: every write goes through
interventions.services_pmt.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from children.models import Child, Person
from convergence.api.filtering import ID_RANGE
from convergence.api.serializers import OPDLabels, RegionCodeField
from convergence.models import OPD, Region
from interventions import services_pmt as svc
from interventions.api.serializers import ScopedPrimaryKeyRelatedField
from interventions.models import (
    BudgetLine,
    Disbursement,
    FundingSource,
    PMTDeliveryLog,
    PMTEnrolment,
    PMTFunding,
    PMTOutcome,
    PMTProgramme,
    PMTRate,
    PMTReservation,
)


class BudgetLineSerializer(OPDLabels, serializers.ModelSerializer):
    funding_source = serializers.ChoiceField(choices=FundingSource.choices, source="source")
    opd = ScopedPrimaryKeyRelatedField(queryset=OPD.objects.all(), required=False, allow_null=True)
    desa = RegionCodeField(required=False, allow_null=True)
    allocated = serializers.DecimalField(max_digits=15, decimal_places=0, min_value=0)
    original_allocated = serializers.DecimalField(max_digits=15, decimal_places=0, read_only=True)

    class Meta:
        model = BudgetLine
        fields = [
            "id",
            "year",
            "funding_source",
            "opd",
            "opd_code",
            "opd_name",
            "desa",
            "programme_code",
            "activity_code",
            "sub_activity_code",
            "name",
            "original_allocated",
            "allocated",
            "updated_at",
        ]


class BudgetRevisionSerializer(serializers.Serializer):
    new_allocated = serializers.DecimalField(max_digits=15, decimal_places=0, min_value=0)
    reason = serializers.CharField()
    revised_on = serializers.DateField()


class MonthSerializer(serializers.Serializer):
    month = serializers.DateField()
    disbursed = serializers.DecimalField(max_digits=15, decimal_places=0)


class AbsorptionSerializer(serializers.Serializer):
    allocated = serializers.DecimalField(max_digits=15, decimal_places=0)
    reserved = serializers.DecimalField(max_digits=15, decimal_places=0)
    disbursed = serializers.DecimalField(max_digits=15, decimal_places=0)
    committed = serializers.DecimalField(max_digits=15, decimal_places=0)
    available = serializers.DecimalField(max_digits=15, decimal_places=0)
    absorption_percent = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    months = MonthSerializer(many=True)


class PMTRateSerializer(serializers.ModelSerializer):
    kabupaten: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    daily_rate = serializers.DecimalField(max_digits=15, decimal_places=0, min_value=1)
    used = serializers.SerializerMethodField()

    class Meta:
        model = PMTRate
        fields = [
            "id",
            "kabupaten",
            "category",
            "valid_from",
            "daily_rate",
            "duration_days",
            "source",
            "used",
        ]
        read_only_fields = ["kabupaten"]
        validators: list[Any] = []  # the service checks "once per day" (and the constraint backs it)

    def get_used(self, obj: PMTRate) -> bool:
        """Whether an episode uses this rate (then it is superseded by a new row, never edited)."""
        used = getattr(obj, "used", None)  # annotated by the viewset's queryset: no query per row
        return bool(used) if used is not None else obj.enrolments.exists()


class PMTFundingSerializer(serializers.ModelSerializer):
    budget_line = ScopedPrimaryKeyRelatedField(queryset=BudgetLine.objects.all())
    share_percent = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100)

    class Meta:
        model = PMTFunding
        fields = ["budget_line", "share_percent"]


class PMTProgrammeSerializer(OPDLabels, serializers.ModelSerializer):
    opd = ScopedPrimaryKeyRelatedField(queryset=OPD.objects.all())
    budget_lines = serializers.SerializerMethodField()
    fundings = PMTFundingSerializer(many=True)

    class Meta:
        model = PMTProgramme
        fields = [
            "id",
            "year",
            "name",
            "category",
            "starts_on",
            "ends_on",
            "opd",
            "opd_code",
            "opd_name",
            "budget_lines",
            "fundings",
            "is_active",
        ]

    def get_budget_lines(self, obj: PMTProgramme) -> list[int]:
        # Served by the prefetch of the selector: no query per row.
        return [funding.budget_line_id for funding in obj.fundings.all()]


class PMTReservationSerializer(serializers.ModelSerializer):
    class Meta:
        model = PMTReservation
        fields = ["budget_line", "amount", "released"]


class PMTOutcomeSerializer(serializers.ModelSerializer):
    class Meta:
        model = PMTOutcome
        fields = list(svc.OUTCOME_FIELDS)


class PMTEnrolmentSerializer(serializers.ModelSerializer):
    child = serializers.PrimaryKeyRelatedField(queryset=Child.objects.all(), required=False, allow_null=True)
    person = serializers.PrimaryKeyRelatedField(
        queryset=Person.objects.all(), required=False, allow_null=True
    )
    programme = ScopedPrimaryKeyRelatedField(queryset=PMTProgramme.objects.all())
    recipient_name = serializers.SerializerMethodField()
    # The recipient child's posyandu (none for a mother's episode).
    posyandu = serializers.IntegerField(source="child.posyandu_id", read_only=True, allow_null=True)
    posyandu_name = serializers.CharField(source="child.posyandu.name", read_only=True, allow_null=True)
    desa: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    enrolment_status = serializers.CharField(source="status", read_only=True)
    reservations = PMTReservationSerializer(many=True, read_only=True)
    outcome = PMTOutcomeSerializer(read_only=True, allow_null=True)

    class Meta:
        model = PMTEnrolment
        fields = [
            "id",
            "programme",
            "child",
            "person",
            "recipient_name",
            "posyandu",
            "posyandu_name",
            "desa",
            "start_date",
            "end_date",
            "days",
            "daily_rate",
            "cost",
            "reservations",
            "enrolment_status",
            "finished_on",
            "days_delivered",
            "outcome",
            "updated_at",
        ]
        read_only_fields = ["desa", "end_date", "days", "daily_rate", "cost", "finished_on", "days_delivered"]
        # The service checks "once per programme" (and the database constraint backs it).
        validators: list[Any] = []

    def get_recipient_name(self, obj: PMTEnrolment) -> str:
        return str(obj.recipient)


class PMTFinishSerializer(serializers.Serializer):
    finished_on = serializers.DateField(
        required=False, help_text="Default: today, at most the planned last day."
    )


class PMTDeliverySerializer(serializers.ModelSerializer):
    enrolment = ScopedPrimaryKeyRelatedField(queryset=PMTEnrolment.objects.all())

    class Meta:
        model = PMTDeliveryLog
        fields = ["id", "enrolment", "delivered_on", "days_delivered", "food_form", "delivered_by"]
        validators: list[Any] = []  # checked by the service


class DisbursementSerializer(serializers.ModelSerializer):
    budget_line = ScopedPrimaryKeyRelatedField(queryset=BudgetLine.objects.all())
    enrolment = ScopedPrimaryKeyRelatedField(
        queryset=PMTEnrolment.objects.all(), required=False, allow_null=True
    )
    amount = serializers.DecimalField(max_digits=15, decimal_places=0)
    # Plain text: "kind"/"status" enums of other models would collide in the schema.
    disbursement_kind = serializers.CharField(source="kind", read_only=True)
    disbursement_status = serializers.CharField(source="status", read_only=True)

    class Meta:
        model = Disbursement
        fields = [
            "id",
            "budget_line",
            "enrolment",
            "disbursement_kind",
            "reverses",
            "paid_on",
            "payee",
            "amount",
            "note",
            "disbursement_status",
            "recorded_by",
            "approved_by",
            "decided_at",
            "updated_at",
        ]
        read_only_fields = ["reverses", "recorded_by", "approved_by", "decided_at"]


class ReversalSerializer(serializers.Serializer):
    paid_on = serializers.DateField()
    note = serializers.CharField()


class OutcomeRowSerializer(serializers.Serializer):
    enrolment = serializers.IntegerField(source="enrolment.pk")
    recipient_name = serializers.CharField(source="enrolment.recipient")
    start_date = serializers.DateField(source="enrolment.start_date")
    finished_on = serializers.DateField(source="enrolment.finished_on")
    days_delivered = serializers.IntegerField(source="enrolment.days_delivered")
    cost = serializers.DecimalField(max_digits=15, decimal_places=0, source="enrolment.cost")
    outcome = PMTOutcomeSerializer(allow_null=True)


class ProgrammeOutcomeSerializer(serializers.Serializer):
    finished = serializers.IntegerField()
    assessed = serializers.IntegerField()
    recovered = serializers.IntegerField()
    recovery_rate_percent = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    total_cost = serializers.DecimalField(max_digits=15, decimal_places=0)
    cost_per_recovered = serializers.DecimalField(max_digits=15, decimal_places=0, allow_null=True)
    episodes = OutcomeRowSerializer(many=True)


class PMTOutcomeQuerySerializer(serializers.Serializer):
    programme = serializers.IntegerField(min_value=1, max_value=ID_RANGE[1])
