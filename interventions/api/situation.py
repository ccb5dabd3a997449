"""API of the Aksi 1 situation analysis (per-desa rows with scores) and Bappeda's lokus weights.

Rows hold counts only; which desa a caller sees follows interventions.situation. The weights are read
by every role of the kabupaten and written by its Bappeda admins (full_clean on every write).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import URLPattern, URLResolver, include, path
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from convergence.api.conditional import ConditionalMixin
from convergence.http import AuthenticatedRequest
from convergence.models import Region, Role
from convergence.scoping import restrict, scope_for_user
from interventions import compute
from interventions.models import LokusWeights
from interventions.situation import DesaRow, SituationAnalysis, situation_analysis_for_user


class SituationQuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    kabupaten = serializers.CharField(required=False, allow_blank=True, help_text="Hanya untuk superuser.")


class LokusWeightsSerializer(serializers.ModelSerializer):
    kabupaten: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )

    class Meta:
        model = LokusWeights
        fields = [
            "id",
            "kabupaten",
            "year",
            "weight_prevalence",
            "weight_cases",
            "weight_coverage_gap",
            "weight_families_at_risk",
            "weight_measurement_gap",
            "lokus_count",
            "note",
        ]
        # Uniqueness of (kabupaten, year) is checked by full_clean with the kabupaten set by the view.
        validators: list[Any] = []

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        instance = self.instance or LokusWeights(kabupaten=self.context["kabupaten"])
        for key, value in attrs.items():
            setattr(instance, key, value)
        instance.full_clean()
        return attrs


class WeightsWrite(BasePermission):
    """Every role of the kabupaten reads its weights; its Bappeda admins (and superusers) write them."""

    def has_permission(self, request: Request, view: Any) -> bool:
        scope = scope_for_user(request.user)
        if request.method in SAFE_METHODS:
            return not scope.is_empty
        return scope.is_superuser or scope.role == Role.BAPPEDA_ADMIN


class LokusWeightsViewSet(ConditionalMixin, viewsets.ModelViewSet):
    """Bappeda's yearly weights of the lokus score (one row per kabupaten and year)."""

    serializer_class = LokusWeightsSerializer
    permission_classes = [IsAuthenticated, WeightsWrite]
    filterset_fields = ["year"]

    def get_queryset(self) -> QuerySet[LokusWeights]:
        return restrict(LokusWeights.objects.select_related("kabupaten"), self.request.user).order_by(
            "kabupaten__code", "-year"
        )

    def _kabupaten(self) -> Region | None:
        code = scope_for_user(self.request.user).kabupaten_code
        return Region.objects.filter(code=code).first() if code else None

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if self.request.method == "POST":
            kabupaten = self._kabupaten()
            if kabupaten is None:
                raise serializers.ValidationError({"kabupaten": ["Pengguna tidak terikat pada kabupaten."]})
            context["kabupaten"] = kabupaten
        return context

    def perform_create(self, serializer: Any) -> None:
        serializer.save(kabupaten=serializer.context["kabupaten"])


def _coverage(analysis: SituationAnalysis, row: DesaRow) -> dict[str, Any]:
    codes = {indicator.pk: indicator.code for indicator in analysis.indicators}
    return {
        codes[indicator_id]: {
            "numerator": cell.numerator,
            "denominator": cell.denominator,
            "percent": cell.percent,
        }
        for indicator_id, cell in sorted(row.coverage.items(), key=lambda item: codes[item[0]])
    }


def _row(analysis: SituationAnalysis, row: DesaRow) -> dict[str, Any]:
    return {
        "desa": row.desa.code,
        "name": row.desa.name,
        "kecamatan": row.desa.parent.name if row.desa.parent else "",
        "puskesmas": row.desa.puskesmas.name if row.desa.puskesmas else "",
        "registered": row.registered,
        "measured": row.measured,
        "measurement_coverage": row.measurement_coverage,
        "valid_haz": row.valid_haz,
        "severely_stunted": row.severely_stunted,
        "stunted": row.stunted,
        "stunting": row.stunting,
        "prevalence": row.prevalence,
        "wasted": row.wasted,
        "severely_wasted": row.severely_wasted,
        "families": row.families,
        "families_at_risk": row.families_at_risk,
        "families_at_risk_share": row.families_at_risk_share,
        "coverage": _coverage(analysis, row),
        "mean_coverage": row.mean_coverage,
        "score": round(row.score, 4),
        "rank": row.rank,
        "recommended": row.recommended,
        "is_lokus": row.is_lokus,
    }


class SituationAnalysisView(APIView):
    """The Aksi 1 situation analysis of the caller's kabupaten: per-desa counts, coverage, score and rank."""

    request: AuthenticatedRequest

    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[SituationQuerySerializer], responses=dict)
    def get(self, request: AuthenticatedRequest) -> Response:
        query = SituationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        analysis = situation_analysis_for_user(
            user=request.user,
            year=query.validated_data["year"],
            today=timezone.localdate(),
            kabupaten_code=query.validated_data.get("kabupaten", ""),
        )
        return Response(
            {
                "kabupaten": analysis.kabupaten.code,
                "year": analysis.year,
                "reference_day": analysis.on,
                "weights": {
                    **{name: analysis.weights.values[name] for name in compute.LOKUS_CRITERIA},
                    "lokus_count": analysis.weights.lokus_count,
                    "is_default": analysis.weights.is_default,
                },
                "desa_count": analysis.desa_count,
                "indicators_with_data": sorted(
                    indicator.code
                    for indicator in analysis.indicators
                    if indicator.pk in analysis.indicators_with_data
                ),
                "rows": [_row(analysis, row) for row in analysis.rows],
            }
        )


# No root view: the interventions router above provides the API root.
router = SimpleRouter()
router.register("lokus-weights", LokusWeightsViewSet, basename="lokus-weights")

urlpatterns: list[URLPattern | URLResolver] = [
    path("situation-analysis/", SituationAnalysisView.as_view(), name="intervention-situation-analysis"),
    path("", include(router.urls)),
]
