"""REST API of the province's work: assessment grades (penilaian kinerja).

Lists are scoped by convergence.scoping (a kabupaten reads its own grades, the province and national roles
their area). Writes go through convergence.province: only the provincial Bappeda writes, and only for its
own province; every other role gets a 403 before its data is read. The provinces' target paths are served
by reports.api.province_targets with the same permission (ProvinceWrite).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import mixins, serializers, viewsets
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.routers import DefaultRouter

from convergence import province
from convergence import selectors_actions as selectors
from convergence.actions import ASSESSMENT_INDICATORS
from convergence.api.conditional import ConditionalMixin
from convergence.codes import KABUPATEN_LEVELS
from convergence.http import AuthenticatedRequest
from convergence.models import AssessmentGrade, Region, Role
from convergence.scoping import scope_for_user


class ProvinceWrite(BasePermission):
    """Reads for every scoped user; writes only for the provincial Bappeda (the service says which rows)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        scope = scope_for_user(request.user)
        return scope.is_superuser or scope.role == Role.BAPPEDA_PROVINSI


class _Base(ConditionalMixin, viewsets.GenericViewSet):
    request: AuthenticatedRequest
    permission_classes = [IsAuthenticated, ProvinceWrite]


def _regions(*levels: str) -> QuerySet[Region]:
    # Region codes are public: a code outside the caller's province is refused by the service (403),
    # not reported as unknown.
    return Region.objects.filter(level__in=list(levels))


class AssessmentGradeSerializer(serializers.ModelSerializer):
    kabupaten: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(
        slug_field="code",
        queryset=_regions(*[str(level) for level in KABUPATEN_LEVELS]),
        help_text="Kode wilayah kabupaten/kota, e.g. 35.10",
    )
    indicator_code = serializers.ChoiceField(choices=[(row.code, row.code) for row in ASSESSMENT_INDICATORS])

    class Meta:
        model = AssessmentGrade
        fields = [
            "id",
            "kabupaten",
            "year",
            "indicator_code",
            "indicator_text",
            "grade",
            "notes",
            "assessed_on",
        ]
        # The text comes from the indicator list; the service upserts on (kabupaten, year, indicator).
        read_only_fields = ["indicator_text"]
        validators: list[Any] = []


class AssessmentGradeViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, _Base
):
    """Provincial assessment grades per indicator; POST records (or replaces) one grade of a kabupaten of
    the caller's province (the provincial Bappeda only)."""

    serializer_class = AssessmentGradeSerializer
    filterset_fields = {"year": ["exact"], "indicator_code": ["exact"], "kabupaten": ["exact"]}

    def get_queryset(self) -> QuerySet[AssessmentGrade]:
        return selectors.assessment_list_for_user(user=self.request.user)

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        serializer.instance = province.assessment_grade_save(
            user=self.request.user, **serializer.validated_data
        )


router = DefaultRouter()
router.include_root_view = False
router.register("assessment-grades", AssessmentGradeViewSet, basename="assessment-grade")
