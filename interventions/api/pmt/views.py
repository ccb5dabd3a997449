"""Viewsets of the PMT REST API (see interventions.api.pmt for the rules they follow)."""

from __future__ import annotations

from typing import Any, cast

import django_filters
from django.db.models import QuerySet
from django.http import Http404
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
from rest_framework.views import APIView

from children.models import RecordAccess
from convergence.api.conditional import ConditionalMixin, NoDeleteViewSet
from convergence.api.errors import Conflict
from convergence.api.filtering import FilterSet, IdFilter
from convergence.http import AuthenticatedRequest
from convergence.models import Region
from convergence.scoping import restrict, scope_for_user
from interventions import selectors_pmt as sel
from interventions import services_pmt as svc
from interventions.api.pmt.serializers import (
    AbsorptionSerializer,
    BudgetLineSerializer,
    BudgetRevisionSerializer,
    DisbursementSerializer,
    PMTDeliverySerializer,
    PMTEnrolmentSerializer,
    PMTFinishSerializer,
    PMTOutcomeQuerySerializer,
    PMTProgrammeSerializer,
    PMTRateSerializer,
    ProgrammeOutcomeSerializer,
    ReversalSerializer,
)
from interventions.api.views import HasScope
from interventions.audit import log_subject_reads
from interventions.models import (
    BudgetLine,
    Disbursement,
    FundingSource,
    PMTDeliveryLog,
    PMTEnrolment,
    PMTProgramme,
    PMTRate,
    PMTSubmission,
)
from interventions.submissions import KEY_MAX_LENGTH, KeyReused, request_fingerprint, submission_run

IDEMPOTENCY_HEADER = "Idempotency-Key"


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


class PMTRateViewSet(NoDeleteViewSet):
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


class PMTProgrammeViewSet(NoDeleteViewSet):
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
