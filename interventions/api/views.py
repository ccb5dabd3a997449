"""The interventions REST API: catalogue, targets, deliveries, referrals, the ledger and gap lists.

Querysets go through convergence.scoping.restrict (a row outside the scope is a 404; an OPD officer's
lists hold only his OPD's rows); writes go through interventions.services, never serializer.save().
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import ValidationError
from rest_framework.views import APIView

from children.models import RecordAccess
from convergence.api.conditional import ConditionalMixin, NoDeleteViewSet
from convergence.api.errors import Conflict
from convergence.http import AuthenticatedRequest
from convergence.models import OPD, Region, Role
from convergence.scoping import restrict, scope_for_user
from interventions import access, selectors, services
from interventions.api import serializers
from interventions.audit import log_subject_reads
from interventions.models import Delivery, IndicatorTarget, Intervention, Referral


class HasScope(BasePermission):
    """Every scoped role reads; the read-only roles (pimpinan, the province and national roles) write
    nothing here, refused before the body is read: a body naming rows out of their sight would otherwise
    answer 400 where the bupati's answers 403."""

    def has_permission(self, request: Request, view: Any) -> bool:
        scope = scope_for_user(request.user)
        if scope.is_empty:
            return False
        return request.method in SAFE_METHODS or not scope.is_read_only


class IndicatorViewSet(ConditionalMixin, viewsets.ReadOnlyModelViewSet):
    """The national indicator catalogue (29 coverage indicators)."""

    request: AuthenticatedRequest

    serializer_class = serializers.IndicatorSerializer
    permission_classes = [IsAuthenticated, HasScope]
    filterset_fields = ["kind", "target_group"]

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.indicator_list_for_user(user=self.request.user)


class TargetWrite(BasePermission):
    """Everyone reads targets; Bappeda sets its kabupaten's (national ones are read-only here)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        scope = scope_for_user(request.user)
        if request.method in SAFE_METHODS:
            return not scope.is_empty
        return scope.role == Role.BAPPEDA_ADMIN

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        return request.method in SAFE_METHODS or obj.kabupaten_id is not None


class IndicatorTargetViewSet(NoDeleteViewSet):
    """Yearly targets: national defaults and the kabupaten's own (which take precedence)."""

    request: AuthenticatedRequest

    serializer_class = serializers.IndicatorTargetSerializer
    permission_classes = [IsAuthenticated, TargetWrite]
    filterset_fields = ["year"]

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.indicator_target_list_for_user(user=self.request.user)

    def perform_create(self, serializer: Any) -> None:
        kabupaten = Region.objects.get(code=scope_for_user(self.request.user).kabupaten_code)
        _check_target_is_new(serializer.validated_data, kabupaten=kabupaten, instance=None)
        serializer.save(kabupaten=kabupaten)

    def perform_update(self, serializer: Any) -> None:
        instance = serializer.instance
        _check_target_is_new(serializer.validated_data, kabupaten=instance.kabupaten, instance=instance)
        serializer.save()


def _check_target_is_new(
    data: dict[str, Any], *, kabupaten: Region, instance: IndicatorTarget | None
) -> None:
    """409 when the kabupaten already has a target for that indicator and year (one per year)."""
    indicator = data.get("indicator", getattr(instance, "indicator", None))
    year = data.get("year", getattr(instance, "year", None))
    if year is None:  # no year, no clash (the serializer asks for one)
        return
    clash = IndicatorTarget.objects.filter(indicator=indicator, kabupaten=kabupaten, year=year)
    if instance is not None:
        clash = clash.exclude(pk=instance.pk)
    if clash.exists():
        raise Conflict(_("Target untuk indikator dan tahun ini sudah ada."))


class InterventionViewSet(ConditionalMixin, viewsets.ReadOnlyModelViewSet):
    """The kabupaten's intervention catalogue (edited by Bappeda in the admin)."""

    request: AuthenticatedRequest

    serializer_class = serializers.InterventionSerializer
    permission_classes = [IsAuthenticated, HasScope]
    filterset_fields = ["target_group", "kind", "is_active"]

    def get_queryset(self) -> QuerySet[Intervention]:
        return selectors.intervention_list_for_user(user=self.request.user)


class _SubjectListMixin:
    request: AuthenticatedRequest

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)  # type: ignore[misc]
        rows = response.data["results"] if isinstance(response.data, dict) else response.data
        log_subject_reads(
            user=self.request.user,
            kinds=[row["subject_kind"] for row in rows],
            channel=RecordAccess.Channel.API,
            path=request.path,
        )
        return response


class DeliveryViewSet(
    ConditionalMixin,
    _SubjectListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """By-name deliveries. An OPD officer lists and records only his OPD's; Bappeda any of the kabupaten's.

    POST is idempotent: the same intervention, subject and day answers 200 with the existing record.
    Recording a delivery closes the open referrals of that intervention and subject.
    """

    request: AuthenticatedRequest

    serializer_class = serializers.DeliverySerializer
    permission_classes = [IsAuthenticated, HasScope]
    filterset_fields = {"intervention": ["exact"], "delivered_on": ["gte", "lte"], "desa": ["exact"]}

    def get_queryset(self) -> QuerySet[Delivery]:
        return selectors.delivery_list_for_user(user=self.request.user)

    @extend_schema(responses={201: serializers.DeliverySerializer, 200: serializers.DeliverySerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        intervention = data.pop("intervention")
        if not access.can_record_delivery(self.request.user, intervention):
            raise PermissionDenied
        subject = services.subject_for_user(
            user=self.request.user,
            kind=data.pop("subject_kind"),
            pk=data.pop("subject_id"),
        )
        result = services.delivery_record(
            user=self.request.user,
            intervention=intervention,
            subject=subject,
            source=Delivery.Source.API,
            **data,
        )
        delivery = self.get_queryset().get(pk=result.delivery.pk)
        return Response(
            self.get_serializer(delivery).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


class ReferralViewSet(
    ConditionalMixin,
    _SubjectListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Referrals of named targets to the OPD whose intervention they lack; closed by the delivery."""

    request: AuthenticatedRequest

    serializer_class = serializers.ReferralSerializer
    permission_classes = [IsAuthenticated, HasScope]
    filterset_fields = ["status", "intervention"]

    def get_queryset(self) -> QuerySet[Referral]:
        return selectors.referral_list_for_user(user=self.request.user)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        intervention = data.pop("intervention")
        if not access.can_create_referral(self.request.user, intervention):
            raise PermissionDenied
        subject = services.subject_for_user(
            user=self.request.user,
            kind=data.pop("subject_kind"),
            pk=data.pop("subject_id"),
        )
        referral = services.referral_create(
            user=self.request.user,
            intervention=intervention,
            subject=subject,
            reason=data.get("reason", ""),
            due_date=data["due_date"],
            note=data.get("note", ""),
        )
        return Response(
            self.get_serializer(self.get_queryset().get(pk=referral.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=serializers.ReferralStatusSerializer, responses=serializers.ReferralSerializer)
    @action(detail=True, methods=["post"], url_path="status")
    def change_status(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        """Move the referral to diproses, back to terbuka, or to dibatalkan (selesai comes with a delivery)."""
        referral = self.get_object()
        if not access.can_manage_referral(request.user, referral):
            raise PermissionDenied
        serializer = serializers.ReferralStatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.referral_status_change(user=request.user, referral=referral, **serializer.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=referral.pk)).data)


class LedgerView(APIView):
    """The convergence ledger of a region and year: services due and received per desa, kecamatan, total."""

    request: AuthenticatedRequest

    permission_classes = [IsAuthenticated, HasScope]

    @extend_schema(parameters=[serializers.LedgerQuerySerializer], responses=serializers.LedgerSerializer)
    def get(self, request: AuthenticatedRequest) -> Response:
        query = serializers.LedgerQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        period = selectors.Period(year=query.validated_data["year"], month=query.validated_data.get("month"))
        ledger = selectors.ledger_for_user(
            user=request.user,
            region_code=query.validated_data["region"],
            period=period,
            today=timezone.localdate(),
        )
        return Response(
            {
                "region": ledger.region.code,
                "year": period.year,
                "month": period.month,
                "reference_day": ledger.on,
                "desa_rows": [serializers.region_row(row.region, row.counts) for row in ledger.rows],
                "kecamatan_rows": [
                    serializers.region_row(row.region, row.counts) for row in ledger.kecamatan
                ],
                "total": serializers.counts_data(ledger.total),
            }
        )


class GapView(APIView):
    """Named targets in the caller's area due one of the OPD's interventions and not yet given it."""

    request: AuthenticatedRequest

    permission_classes = [IsAuthenticated, HasScope]

    @extend_schema(
        parameters=[serializers.GapQuerySerializer], responses=serializers.GapSerializer(many=True)
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        query = serializers.GapQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        scope = scope_for_user(request.user)
        choices = selectors.gap_opd_choices_for_user(user=request.user)
        if scope.role == Role.OPD_OFFICER:
            opd = next((item for item in choices if item.pk == scope.opd_id), None)
        else:
            opd = next((item for item in choices if item.pk == query.validated_data.get("opd")), None)
        if opd is None:
            raise ValidationError({"opd": [_("OPD tidak ditemukan.")]})
        desa_id = None
        if query.validated_data.get("desa"):
            desa = restrict(Region.objects.filter(code=query.validated_data["desa"]), request.user).first()
            if desa is None:
                raise Http404
            desa_id = desa.pk
        rows = selectors.gap_list_for_user(
            user=request.user,
            opd=OPD.objects.select_related("kabupaten").get(pk=opd.pk),
            period=selectors.Period(year=query.validated_data["year"]),
            today=timezone.localdate(),
            desa_id=desa_id,
        )
        log_subject_reads(
            user=request.user,
            kinds=[row.kind for row in rows],
            channel=RecordAccess.Channel.API,
            path=request.path,
        )
        return Response(
            [
                {
                    "year": query.validated_data["year"],
                    "opd": opd.pk,
                    "opd_code": opd.code,
                    "opd_name": opd.name,
                    "intervention": row.intervention.pk,
                    "intervention_code": row.intervention.code,
                    "subject_kind": row.kind,
                    "subject_id": row.subject_id,
                    "subject_name": row.name,
                    "desa": row.desa.code,
                    "reason": row.reason,
                    "referral": row.referral.pk if row.referral else None,
                }
                for row in rows
            ]
        )
