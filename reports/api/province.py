"""The province dashboard as JSON (`province-dashboard`) and the provinces the caller may read.

The same cached assembly as the page (reports.province); the province and national roles and
superusers only, every kabupaten role gets a 403, a province outside the caller's area a 404.
"""

from __future__ import annotations

import json

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from convergence.models import Region, User
from reports import compute, province
from reports.api.serializers import DashboardPeriodSerializer, DashboardQuerySerializer, PercentField

VERDICTS = [compute.VERDICT_BELOW, compute.VERDICT_UNSURE, compute.VERDICT_ABOVE, ""]


class ProportionSerializer(serializers.Serializer):
    numerator = serializers.IntegerField(read_only=True)
    denominator = serializers.IntegerField(read_only=True)
    pct = PercentField(help_text="numerator / denominator, %; null when the denominator is 0")
    low = PercentField(help_text="95% Wilson interval, lower bound")
    high = PercentField(help_text="95% Wilson interval, upper bound")


class AreaFigureSerializer(serializers.Serializer):
    registered = serializers.IntegerField(read_only=True, help_text="children registered (sum of kabupaten)")
    measured = serializers.IntegerField(read_only=True, help_text="children measured (sum of kabupaten)")
    stunting = ProportionSerializer(read_only=True, help_text="TB/U < -2 SD of the children counted for TB/U")
    wasting = ProportionSerializer(read_only=True, help_text="BB/TB < -2 SD")
    underweight = ProportionSerializer(read_only=True, help_text="BB/U < -2 SD")
    coverage = ProportionSerializer(read_only=True, help_text="measured / registered")


class VerdictSerializer(serializers.Serializer):
    target_pct = PercentField(help_text="the path's value for the year (straight line between entered years)")
    verdict = serializers.ChoiceField(
        choices=VERDICTS,
        read_only=True,
        help_text="di_bawah: the 95% interval at or under the target; di_atas: over it; "
        "belum_pasti: the interval holds the target; empty: no target or no figure",
    )
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]  # a field named like Field.label


class GradesSerializer(serializers.Serializer):
    year = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="null: units' latest years differ"
    )
    a = serializers.IntegerField(read_only=True)
    b = serializers.IntegerField(read_only=True)
    c = serializers.IntegerField(read_only=True)
    d = serializers.IntegerField(read_only=True)


class MoneySerializer(serializers.Serializer):
    year = serializers.IntegerField(read_only=True)
    allocated = serializers.DecimalField(
        max_digits=17, decimal_places=0, read_only=True, help_text="PMT pagu, Rp"
    )
    disbursed = serializers.DecimalField(
        max_digits=17, decimal_places=0, read_only=True, help_text="approved disbursements, Rp"
    )
    absorption_percent = serializers.DecimalField(
        max_digits=6, decimal_places=1, read_only=True, allow_null=True, help_text="disbursed / allocated, %"
    )


class AreaRowSerializer(serializers.Serializer):
    code = serializers.CharField(
        read_only=True, help_text="Kemendagri code of the kabupaten/kota or province"
    )
    name = serializers.CharField(read_only=True)
    rank = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="1: highest stunting prevalence"
    )
    complete = serializers.BooleanField(
        read_only=True, allow_null=True, help_text="the month is complete under the unit's own dashboard rule"
    )
    figure = AreaFigureSerializer(read_only=True)
    provincial = VerdictSerializer(read_only=True, help_text="against the provincial path")
    national = VerdictSerializer(read_only=True, help_text="against the national path (RPJMN)")
    grades = GradesSerializer(
        read_only=True, help_text="provincial assessment grades of the latest assessed year"
    )
    money = MoneySerializer(read_only=True, help_text="PMT absorption of the period's year")
    has_map = serializers.BooleanField(read_only=True)


class PathPointSerializer(serializers.Serializer):
    year = serializers.IntegerField(read_only=True)
    pct = PercentField()


class ProvinceDashboardSerializer(serializers.Serializer):
    """A province's kabupaten for one month: figures with intervals, verdicts, grades, PMT absorption."""

    provinsi = serializers.CharField(source="code", read_only=True, help_text="Kemendagri code")
    name = serializers.CharField(read_only=True)
    period = DashboardPeriodSerializer(read_only=True)
    year = serializers.IntegerField(read_only=True, help_text="the year of the targets and of PMT money")
    rows = AreaRowSerializer(many=True, read_only=True, help_text="per kabupaten/kota, ranked")
    total = AreaRowSerializer(read_only=True, help_text="the province: sums of counts")
    provincial_path = PathPointSerializer(
        source="provincial_points", many=True, read_only=True, help_text="the province's path as entered"
    )
    national_path = PathPointSerializer(
        source="national_points", many=True, read_only=True, help_text="the national path (RPJMN)"
    )
    source = serializers.CharField(source="source_routine", read_only=True)  # type: ignore[assignment]  # a field named like Field.source


class ProvinceSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    page_url = serializers.CharField(read_only=True, help_text="the province dashboard page")
    api_url = serializers.CharField(read_only=True, help_text="the province dashboard in JSON")


class ProvinceListView(APIView):
    """The provinces the caller may read: its own for the provincial role, every one for the national
    role and superusers. Kabupaten roles get a 403."""

    pagination_class = None

    @extend_schema(responses=ProvinceSerializer(many=True))
    def get(self, request: Request) -> Response:
        user: User = request.user  # type: ignore[assignment]
        rows = [_province(region) for region in province.province_list_for_user(user=user)]
        return Response(ProvinceSerializer(rows, many=True).data)


def _province(region: Region) -> dict[str, str]:
    return {
        "code": region.code,
        "name": region.name,
        "page_url": reverse("reports:province-dashboard", args=[region.code]),
        "api_url": reverse("province-dashboard", args=[region.code]),
    }


class ProvinceDashboardView(APIView):
    """A province's dashboard: by default the latest month complete for the province's sum (the period
    says its coverage and n); per kabupaten/kota and in total the prevalences with 95% intervals, the
    verdicts against the provincial and national paths, grades and PMT absorption. Aggregates only."""

    @extend_schema(parameters=[DashboardQuerySerializer], responses=ProvinceDashboardSerializer)
    def get(self, request: Request, code: str) -> Response:
        query = DashboardQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        user: User = request.user  # type: ignore[assignment]
        data = province.area_dashboard_part(
            user=user,
            code=code,
            requested_month=query.validated_data.get("period"),
            today=timezone.localdate(),
            part="api",
            # Cached as the JSON a client receives: a hit serialises nothing again.
            build=lambda page: json.loads(JSONRenderer().render(ProvinceDashboardSerializer(page).data)),
        )
        return Response(data)
