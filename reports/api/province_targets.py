"""REST API of the provinces' target paths (`/api/v1/provincial-targets/`).

Lists are scoped by convergence.scoping (a kabupaten reads its province's path, the province and national
roles their area). Writes go through reports.province_targets: only the provincial Bappeda writes, and
only for its own province; every other role gets a 403 before its data is read (ProvinceWrite, shared
with the assessment grades' API).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated

from convergence.api.conditional import NoDeleteViewSet
from convergence.api.province import ProvinceWrite
from convergence.codes import Level
from convergence.http import AuthenticatedRequest
from convergence.models import Region
from reports import province_targets as service
from reports.models import ProvincialTarget


class ProvincialTargetSerializer(serializers.ModelSerializer):
    # Region codes are public: a code outside the caller's province is refused by the service (403), not
    # reported as unknown.
    provinsi: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Region.objects.filter(level__in=[Level.PROVINSI]),
        help_text="Kode wilayah provinsi, e.g. 35",
    )
    year = serializers.IntegerField(min_value=service.TARGET_YEARS[0], max_value=service.TARGET_YEARS[1])
    stunting_pct = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal(0), max_value=Decimal(100), coerce_to_string=True
    )

    class Meta:
        model = ProvincialTarget
        fields = ["id", "provinsi", "year", "stunting_pct", "source", "updated_at"]
        read_only_fields = ["updated_at"]
        # One figure per province and year: POST on an existing year changes it (service upsert).
        validators: list[Any] = []


class ProvincialTargetViewSet(NoDeleteViewSet):
    """The provinces' stunting target paths (RPJMD, % per year). POST sets a year's figure (creating or
    changing it), PATCH changes one; the provincial Bappeda of that province only."""

    request: AuthenticatedRequest
    permission_classes = [IsAuthenticated, ProvinceWrite]
    serializer_class = ProvincialTargetSerializer
    filterset_fields = {"year": ["exact"], "provinsi": ["exact"]}
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[ProvincialTarget]:
        return service.provincial_target_list_for_user(user=self.request.user)

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        data = serializer.validated_data
        serializer.instance = service.provincial_target_save(
            user=self.request.user,
            provinsi=data["provinsi"],
            year=data["year"],
            stunting_pct=data["stunting_pct"],
            source=data.get("source", ""),
        )

    def perform_update(self, serializer: serializers.BaseSerializer[ProvincialTarget]) -> None:
        row = serializer.instance
        if row is None:  # UpdateModelMixin always passes the object
            raise TypeError("an update without an instance")
        data = serializer.validated_data
        if data.get("provinsi", row.provinsi) != row.provinsi or data.get("year", row.year) != row.year:
            raise serializers.ValidationError({"year": [_("Tahun dan provinsi target tidak dapat diubah.")]})
        serializer.instance = service.provincial_target_save(
            user=self.request.user,
            provinsi=row.provinsi,
            year=row.year,
            stunting_pct=data.get("stunting_pct", row.stunting_pct),
            source=data.get("source", row.source),
        )
