"""PMT REST API: budget lines (revisions, absorption), rates and programmes (create, edit), episodes
(enrol, cancel, finish), delivery logs, disbursements (record, approve, reject, reverse) and programme
outcomes.

Querysets go through interventions.selectors_pmt (scoped: a row outside the scope is a 404); every
write goes through interventions.services_pmt (a read-only role gets 403). Money rows have no
PUT/PATCH/DELETE: a correction is a reversal. A rate used by an episode is not edited: a new dated
row supersedes it; a programme is edited only before its first episode.
"""

from __future__ import annotations

from typing import Any, cast

import django_filters
from django.db.models import QuerySet
from django.http import Http404
from django.urls import include, path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.views import APIView

from children.models import Child, Person, RecordAccess
from convergence.api.conditional import ConditionalMixin
from convergence.api.errors import Conflict
from convergence.api.filtering import ID_RANGE, FilterSet, IdFilter
from convergence.api.serializers import OPDLabels, RegionCodeField
from convergence.http import AuthenticatedRequest
from convergence.models import OPD, Region
from convergence.scoping import restrict, scope_for_user
from interventions import selectors_pmt as sel
from interventions import services_pmt as svc
from interventions.api.serializers import ScopedPrimaryKeyRelatedField
from interventions.api.views import HasScope
from interventions.audit import log_subject_reads
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
    PMTSubmission,
)
from interventions.submissions import KEY_MAX_LENGTH, KeyReused, request_fingerprint, submission_run

IDEMPOTENCY_HEADER = "Idempotency-Key"

# --- serializers -------------------------------------------------------------------------------------


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


# --- viewsets ----------------------------------------------------------------------------------------


# Filter names are the field names of the answers (`funding_source`, `disbursement_kind`, ...).
class BudgetLineFilter(FilterSet):
    funding_source = django_filters.ChoiceFilter(field_name="source", choices=FundingSource.choices)

    class Meta:
        model = BudgetLine
        fields = ["year", "funding_source", "opd", "desa"]


class DisbursementFilter(FilterSet):
    disbursement_kind = django_filters.ChoiceFilter(field_name="kind", choices=Disbursement.Kind.choices)
    disbursement_status = django_filters.ChoiceFilter(
        field_name="status", choices=Disbursement.Status.choices
    )

    class Meta:
        model = Disbursement
        fields = ["budget_line", "enrolment", "disbursement_kind", "disbursement_status"]


class BudgetLineViewSet(
    ConditionalMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Budget lines: a desa sees its own (Dana Desa, ADD), an OPD its own, Bappeda the kabupaten's."""

    request: AuthenticatedRequest

    serializer_class = BudgetLineSerializer
    updated_field = "updated_at"
    permission_classes = [IsAuthenticated, HasScope]
    filterset_class = BudgetLineFilter

    def get_queryset(self) -> QuerySet[BudgetLine]:
        return sel.budget_line_list_for_user(user=self.request.user)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        code = scope_for_user(self.request.user).kabupaten_prefix
        kabupaten = Region.objects.filter(code=code).first()
        if kabupaten is None:
            raise Http404
        line = svc.budget_line_create(
            user=self.request.user, kabupaten=kabupaten, **serializer.validated_data
        )
        return Response(self.get_serializer(line).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=BudgetRevisionSerializer, responses=BudgetLineSerializer)
    @action(detail=True, methods=["post"])
    def revisions(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        """Revise the allocation (refocusing) with a reason; never below what is committed."""
        line = self.get_object()
        serializer = BudgetRevisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        svc.budget_line_revise(user=request.user, line=line, **serializer.validated_data)
        return Response(self.get_serializer(line).data)

    @extend_schema(responses=AbsorptionSerializer)
    @action(detail=True, methods=["get"])
    def absorption(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        """Allocated, reserved, disbursed, available and absorption of the line, with monthly disbursements."""
        line = self.get_object()
        totals = sel.budget_line_totals(line=line)
        data = {
            "allocated": totals.allocated,
            "reserved": totals.reserved,
            "disbursed": totals.disbursed,
            "committed": totals.committed,
            "available": totals.available,
            "absorption_percent": totals.absorption_percent,
            "months": [
                {"month": m.month, "disbursed": m.disbursed} for m in sel.budget_line_monthly(line=line)
            ],
        }
        return Response(AbsorptionSerializer(data).data)


def _kabupaten_of(request: Request) -> Region:
    code = scope_for_user(request.user).kabupaten_prefix
    kabupaten = Region.objects.filter(code=code).first() if code else None
    if kabupaten is None:
        raise Http404
    return kabupaten


class PMTRateViewSet(
    ConditionalMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Dated daily rates and durations per category (defaults and the kabupaten's own).

    POST adds a row of the caller's kabupaten from its `valid_from` (Bappeda); PUT/PATCH correct a row
    no episode used yet (400 otherwise: add a new dated row instead).
    """

    request: AuthenticatedRequest

    serializer_class = PMTRateSerializer
    permission_classes = [IsAuthenticated, HasScope]
    filterset_fields = ["category"]

    def get_queryset(self) -> QuerySet[PMTRate]:
        return sel.pmt_rate_list_for_user(user=self.request.user)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        scope = scope_for_user(self.request.user)
        kabupaten = None if scope.is_superuser and not scope.kabupaten_prefix else _kabupaten_of(request)
        rate = svc.pmt_rate_create(user=self.request.user, kabupaten=kabupaten, **serializer.validated_data)
        return Response(self.get_serializer(rate).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rate = self.get_object()
        serializer = self.get_serializer(rate, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        if changes.pop("category", rate.category) != rate.category:
            raise serializers.ValidationError({"category": ["Tidak dapat diubah."]})
        rate = svc.pmt_rate_update(user=self.request.user, rate=rate, **changes)
        return Response(self.get_serializer(rate).data)


def _fundings(data: list[dict[str, Any]]) -> list[tuple[BudgetLine, Any]]:
    return [(row["budget_line"], row["share_percent"]) for row in data]


class PMTProgrammeViewSet(
    ConditionalMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The kabupaten's PMT programmes and the budget lines funding them, with each line's share (%).

    POST creates (Bappeda, or an OPD officer for his OPD with his own lines); the shares add up to
    100. PUT/PATCH edit a programme before its first episode; after it only `is_active` changes.
    """

    request: AuthenticatedRequest

    serializer_class = PMTProgrammeSerializer
    permission_classes = [IsAuthenticated, HasScope]
    filterset_fields = ["year", "category", "is_active"]

    def get_queryset(self) -> QuerySet[PMTProgramme]:
        return sel.pmt_programme_list_for_user(user=self.request.user)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # A role that never creates programmes gets 403, not a 400 about lines it cannot see.
        if not svc.may_create_programmes(self.request.user):
            raise PermissionDenied
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        fundings = _fundings(data.pop("fundings"))
        programme = svc.pmt_programme_create(
            user=self.request.user,
            kabupaten=_kabupaten_of(request),
            fundings=fundings,
            **data,
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=programme.pk)).data, status=201)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        programme = self.get_object()
        if not svc.may_create_programmes(self.request.user):
            raise PermissionDenied
        serializer = self.get_serializer(programme, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        fundings = _fundings(changes.pop("fundings")) if "fundings" in changes else None
        svc.pmt_programme_update(user=self.request.user, programme=programme, fundings=fundings, **changes)
        return Response(self.get_serializer(self.get_queryset().get(pk=programme.pk)).data)


class PMTEnrolmentFilter(FilterSet):
    # The lines the episode's reservations draw on (`reservations[].budget_line` in the answer).
    budget_line = IdFilter(field_name="reservations__budget_line", distinct=True)
    enrolment_status = django_filters.ChoiceFilter(field_name="status", choices=PMTEnrolment.Status.choices)

    class Meta:
        model = PMTEnrolment
        fields = ["programme", "enrolment_status", "budget_line"]


def _log_recipients(request: AuthenticatedRequest, enrolments: list[PMTEnrolment]) -> None:
    log_subject_reads(
        user=request.user,
        kinds=["anak" if e.child_id else "penduduk" for e in enrolments],
        channel=RecordAccess.Channel.API,
        path=request.path,
    )


class PMTEnrolmentViewSet(
    ConditionalMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """PMT episodes by name. POST enrols (400 naming the field when ineligible, overlapping or over budget)."""

    request: AuthenticatedRequest

    serializer_class = PMTEnrolmentSerializer
    updated_field = "updated_at"
    permission_classes = [IsAuthenticated, HasScope]
    filterset_class = PMTEnrolmentFilter

    def get_queryset(self) -> QuerySet[PMTEnrolment]:
        return sel.pmt_enrolment_list_for_user(user=self.request.user)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = list(page if page is not None else queryset)
        _log_recipients(self.request, rows)
        data = self.get_serializer(rows, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        enrolment = self.get_object()
        _log_recipients(self.request, [enrolment])
        return Response(self.get_serializer(enrolment).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        recipient = data.get("child") or data.get("person")
        if recipient is None or (data.get("child") and data.get("person")):
            raise serializers.ValidationError({"child": ["Isi tepat satu: anak atau ibu."]})
        # A recipient outside the caller's area reads as "not found", never as a name check.
        if not restrict(type(recipient).objects.filter(pk=recipient.pk), self.request.user).exists():
            raise serializers.ValidationError(
                {"child" if data.get("child") else "person": ["Tidak ditemukan."]}
            )
        enrolment = svc.pmt_enrol(
            user=self.request.user,
            programme=data["programme"],
            recipient=recipient,
            start_date=data["start_date"],
        )
        return Response(self.get_serializer(enrolment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=PMTEnrolmentSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        """Cancel an episode nothing was paid for (its reservation returns to the line)."""
        enrolment = self.get_object()
        svc.pmt_enrolment_cancel(user=request.user, enrolment=enrolment)
        return Response(self.get_serializer(self.get_queryset().get(pk=enrolment.pk)).data)

    @extend_schema(request=PMTFinishSerializer, responses=PMTEnrolmentSerializer)
    @action(detail=True, methods=["post"])
    def finish(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        """Close an episode: days delivered, unspent reservation given back, outcome stored (idempotent)."""
        enrolment = self.get_object()
        serializer = PMTFinishSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        svc.pmt_enrolment_finish(
            user=request.user,
            enrolment=enrolment,
            today=timezone.localdate(),
            finished_on=serializer.validated_data.get("finished_on"),
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=enrolment.pk)).data)


class PMTDeliveryViewSet(
    ConditionalMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Daily or weekly delivery logs of PMT episodes."""

    request: AuthenticatedRequest

    serializer_class = PMTDeliverySerializer
    permission_classes = [IsAuthenticated, HasScope]
    filterset_fields = ["enrolment"]

    def get_queryset(self) -> QuerySet[PMTDeliveryLog]:
        return sel.pmt_delivery_list_for_user(user=self.request.user)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        log = svc.pmt_delivery_record(user=self.request.user, **serializer.validated_data)
        return Response(self.get_serializer(log).data, status=status.HTTP_201_CREATED)


class DisbursementViewSet(
    ConditionalMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Payments and reversals (insert-only). POST records; another officer approves or rejects."""

    request: AuthenticatedRequest

    serializer_class = DisbursementSerializer
    updated_field = "updated_at"
    permission_classes = [IsAuthenticated, HasScope]
    filterset_class = DisbursementFilter

    def get_queryset(self) -> QuerySet[Disbursement]:
        return sel.disbursement_list_for_user(user=self.request.user)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="Optional, at most 64 characters, unique per request the client means once. "
                "A repeat of the same key with the same body (a retry, a double click) records nothing "
                "and answers 200 with the disbursement the first request recorded, as it is now; the "
                "same key with another body answers 409.",
            )
        ],
        responses={201: DisbursementSerializer, 200: DisbursementSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data

        def record() -> Disbursement:
            return svc.disbursement_record(
                user=self.request.user,
                budget_line=data["budget_line"],
                enrolment=data.get("enrolment"),
                amount=data["amount"],
                payee=data["payee"],
                paid_on=data["paid_on"],
                note=data.get("note", ""),
            )

        key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
        if not key:
            return Response(self.get_serializer(record()).data, status=status.HTTP_201_CREATED)
        if len(key) > KEY_MAX_LENGTH:
            raise serializers.ValidationError(
                {IDEMPOTENCY_HEADER: [_("Paling banyak %(n)s karakter.") % {"n": KEY_MAX_LENGTH}]}
            )
        try:
            done = submission_run(
                user=self.request.user,
                channel=PMTSubmission.Channel.API,
                key=key,
                operation="disbursement_record",
                run=record,
                fingerprint=request_fingerprint(request.data),
            )
        except KeyReused:
            raise Conflict(_("Idempotency-Key ini sudah dipakai untuk permintaan lain.")) from None
        if done.replayed:
            # Set in the transaction that wrote the row: a replayed claim always holds its id.
            row = self.get_queryset().get(pk=cast(int, done.claim.object_id))
            return Response(self.get_serializer(row).data, status=status.HTTP_200_OK)
        return Response(self.get_serializer(done.result).data, status=status.HTTP_201_CREATED)

    def _decide(self, request: Request, decide: Any) -> Response:
        row = self.get_object()
        row = decide(user=request.user, disbursement=row)
        return Response(self.get_serializer(row).data)

    @extend_schema(request=None, responses=DisbursementSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        """Approve (not by the officer who recorded it)."""
        return self._decide(request, svc.disbursement_approve)

    @extend_schema(request=None, responses=DisbursementSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        return self._decide(request, svc.disbursement_reject)

    @extend_schema(request=ReversalSerializer, responses={201: DisbursementSerializer})
    @action(detail=True, methods=["post"])
    def reverse(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        """Record the reversal of an approved payment (amount negated), waiting for approval."""
        row = self.get_object()
        serializer = ReversalSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reversal = svc.disbursement_reverse(user=request.user, disbursement=row, **serializer.validated_data)
        return Response(self.get_serializer(reversal).data, status=status.HTTP_201_CREATED)


class PMTOutcomeQuerySerializer(serializers.Serializer):
    programme = serializers.IntegerField(min_value=1, max_value=ID_RANGE[1])


class PMTOutcomeView(APIView):
    """Stored outcomes of a programme's finished episodes (children: weight and z-score; mothers: weight
    and LiLA), recovery rate and cost per recovered recipient."""

    request: AuthenticatedRequest

    permission_classes = [IsAuthenticated, HasScope]

    @extend_schema(parameters=[PMTOutcomeQuerySerializer], responses=ProgrammeOutcomeSerializer)
    def get(self, request: AuthenticatedRequest) -> Response:
        query = PMTOutcomeQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        programme_id = query.validated_data["programme"]
        programme = sel.pmt_programme_list_for_user(user=request.user).filter(pk=programme_id).first()
        if programme is None:
            raise Http404
        episodes, summary = sel.pmt_programme_outcomes(programme=programme)
        # Only the episodes the caller may read (an area role sees its own area's recipients).
        visible = set(sel.pmt_enrolment_list_for_user(user=request.user).values_list("pk", flat=True))
        shown = [e for e in episodes if e.enrolment.pk in visible]
        _log_recipients(request, [e.enrolment for e in shown])
        data = {**summary.__dict__, "episodes": shown}
        return Response(ProgrammeOutcomeSerializer(data).data)


router = DefaultRouter()
router.include_root_view = False
router.register("budget-lines", BudgetLineViewSet, basename="budget-line")
router.register("pmt-rates", PMTRateViewSet, basename="pmt-rate")
router.register("pmt-programmes", PMTProgrammeViewSet, basename="pmt-programme")
router.register("pmt-enrolments", PMTEnrolmentViewSet, basename="pmt-enrolment")
router.register("pmt-deliveries", PMTDeliveryViewSet, basename="pmt-delivery")
router.register("disbursements", DisbursementViewSet, basename="disbursement")

urlpatterns = [
    path("pmt-outcomes/", PMTOutcomeView.as_view(), name="pmt-outcomes"),
    path("", include(router.urls)),
]
