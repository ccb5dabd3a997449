"""Reports API: prevalence per unit and period with 95% intervals, the year table with its target path,
survey figures and the district's target rule.

Everything reads the summary tables (never the measurements), scoped with convergence.scoping.restrict;
a row of another kabupaten is a 404. Survey figures and the target rule are written by Bappeda admins
(and superusers) only; every other role gets a 403.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from convergence.api.conditional import ConditionalMixin
from convergence.http import AuthenticatedRequest
from convergence.models import Role, User
from convergence.scoping import restrict, scope_for_user
from convergence.selectors import region_get_for_user
from reports import dashboard, selectors
from reports.api import filters
from reports.api import serializers as api_serializers
from reports.models import PrevalenceSummary, SurveyFigure, TargetRule


class BappedaWrite(BasePermission):
    """Reads for every scoped user; writes only for Bappeda admins and superusers."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        scope = scope_for_user(request.user)
        return scope.is_superuser or scope.role == Role.BAPPEDA_ADMIN


class PrevalenceViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Summary rows the caller may read, each with stunting, wasting, underweight and overweight
    prevalence, coverage and their 95% Wilson intervals (computed when read from the stored counts)."""

    serializer_class = api_serializers.PrevalenceSerializer
    filterset_class = filters.PrevalenceFilter
    updated_field = "computed_at"  # shown as updated_at: a row is written once, replaced when it changes

    def get_queryset(self) -> QuerySet[PrevalenceSummary]:
        return restrict(
            PrevalenceSummary.objects.select_related("region", "posyandu"), self.request.user
        ).order_by("period_kind", "period", "level", "region__code", "posyandu__code", "pk")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        data = self.get_serializer([selectors.figure_of(row) for row in rows], many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)


class YearTableView(APIView):
    """The e-PPGBM year table of a region: per year the children, TB/U counts, stunting % with its
    interval, change, Turun/Naik, the district target path and the national target; survey figures
    beside it. `month` reads that month of each year (e.g. 8, the August weighing) instead of the year."""

    request: AuthenticatedRequest

    @extend_schema(
        parameters=[api_serializers.YearTableQuerySerializer], responses=api_serializers.YearTableSerializer
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        query = api_serializers.YearTableQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        user: User = request.user
        region = region_get_for_user(user=user, code=query.validated_data["region"])
        table = selectors.year_table(
            user=user,
            region=region,
            up_to_year=query.validated_data.get("up_to_year"),
            month=query.validated_data.get("month"),
        )
        return Response(api_serializers.YearTableSerializer(table).data)


class DashboardView(APIView):
    """The district head's dashboard (pimpinan and Bappeda): by default the latest complete month, i.e.
    the latest whose coverage reaches the district's threshold; a chosen month says whether it is
    complete and its coverage. Units with fewer children measured than the district's minimum are
    listed apart, not ranked. Other roles get a 403."""

    @extend_schema(
        parameters=[api_serializers.DashboardQuerySerializer], responses=api_serializers.DashboardSerializer
    )
    def get(self, request: Request) -> Response:
        query = api_serializers.DashboardQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        user: User = request.user  # type: ignore[assignment]
        dashboard.check_dashboard_access(user)
        data = dashboard.head_dashboard_part(
            user=user,
            requested_month=query.validated_data.get("period"),
            today=timezone.localdate(),
            part="api",
            # Cached as the JSON a client receives (plain values): a hit serialises nothing again.
            build=lambda page: json.loads(
                JSONRenderer().render(api_serializers.DashboardSerializer(page).data)
            ),
        )
        return Response(data)


def _full_clean(instance: SurveyFigure | TargetRule) -> None:
    instance.full_clean()


class SurveyFigureViewSet(ConditionalMixin, viewsets.ModelViewSet):
    """Survey prevalences (SSGI, SKI, Riskesdas, ...) shown beside the routine figures; Bappeda records
    them for its kabupaten and the regions inside it."""

    serializer_class = api_serializers.SurveyFigureSerializer
    permission_classes = [IsAuthenticated, BappedaWrite]
    filterset_fields = ["region", "year", "source"]

    def get_queryset(self) -> QuerySet[SurveyFigure]:
        return restrict(SurveyFigure.objects.select_related("region"), self.request.user).order_by(
            "region__code", "year", "source", "pk"
        )

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        with transaction.atomic():
            figure = SurveyFigure(**serializer.validated_data)
            _full_clean(figure)
            figure.save()
        serializer.instance = figure

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        figure = serializer.instance
        if figure is None:  # UpdateModelMixin always passes the object
            raise TypeError("an update without an instance")
        with transaction.atomic():
            for key, value in serializer.validated_data.items():
                setattr(figure, key, value)
            _full_clean(figure)
            figure.save()


class TargetRuleViewSet(
    ConditionalMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The kabupaten's reduction rule (regulation, baseline year, minimum points a year, target);
    Bappeda edits it."""

    serializer_class = api_serializers.TargetRuleSerializer
    permission_classes = [IsAuthenticated, BappedaWrite]
    http_method_names = ["get", "put", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[TargetRule]:
        return restrict(TargetRule.objects.select_related("kabupaten"), self.request.user).order_by(
            "kabupaten__code"
        )

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        rule = serializer.instance
        if rule is None:  # UpdateModelMixin always passes the object
            raise TypeError("an update without an instance")
        with transaction.atomic():
            for key, value in serializer.validated_data.items():
                setattr(rule, key, value)
            _full_clean(rule)
            rule.save()
