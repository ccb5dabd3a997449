"""GET /api/v1/data-quality/: data-quality indicators per posyandu or recording user and month.

Read from the stored sums (reports/quality.py computes the indicators), scoped like the page:
puskesmas officers read their puskesmas's posyandu, Bappeda admins their kabupaten, superusers all;
every other role gets a 403.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from convergence.api.filtering import ID_RANGE
from convergence.codes import Level
from convergence.http import AuthenticatedRequest
from convergence.models import Region, User
from reports import quality
from reports.models_quality import DataQualitySummary
from reports.selectors_quality import QualityLine, can_read_quality, month_range, parse_month, quality_lines

Row = DataQualitySummary


class QualityReaders(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return can_read_quality(request.user)


def _month(value: str) -> None:
    if parse_month(value) is None:
        raise serializers.ValidationError("YYYY-MM")


class DataQualityQuerySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Row.Kind.choices, default=Row.Kind.POSYANDU)
    posyandu = serializers.IntegerField(
        required=False, min_value=1, max_value=ID_RANGE[1], help_text="Id posyandu."
    )
    kecamatan = serializers.CharField(required=False, help_text="Kode kecamatan, mis. 35.10.01.")
    month_from = serializers.CharField(required=False, validators=[_month], help_text="YYYY-MM")
    month_to = serializers.CharField(required=False, validators=[_month], help_text="YYYY-MM")
    per_month = serializers.BooleanField(
        default=True, help_text="Satu baris per bulan (bawaan) atau satu baris untuk seluruh rentang."
    )


class DigitsSerializer(serializers.Serializer):
    n = serializers.IntegerField()
    counts = serializers.ListField(child=serializers.IntegerField(), help_text="Angka terakhir 0-9.")
    dps = serializers.FloatField(allow_null=True, help_text="Digit preference score 0-100.")
    chi2 = serializers.FloatField(allow_null=True)
    p_value = serializers.FloatField(allow_null=True)
    share_0_5 = serializers.FloatField(allow_null=True, help_text="Persen nilai berakhiran 0 atau 5.")


class DataQualityLineSerializer(serializers.Serializer):
    kind = serializers.CharField()
    posyandu = serializers.IntegerField(allow_null=True)
    posyandu_code = serializers.CharField(allow_null=True)
    posyandu_name = serializers.CharField(allow_null=True)
    desa = serializers.CharField(allow_null=True, help_text="Kemendagri code of the posyandu's desa")
    kecamatan = serializers.CharField(
        allow_null=True, help_text="Kemendagri code of the posyandu's kecamatan"
    )
    measurer = serializers.IntegerField(allow_null=True, help_text="id of the recording user")
    measurer_name = serializers.CharField(allow_null=True)
    period = serializers.DateField(allow_null=True)
    measurements = serializers.IntegerField()
    flagged = serializers.IntegerField()
    assessed = serializers.IntegerField()
    flagged_pct = serializers.FloatField(allow_null=True)
    height_digits = DigitsSerializer()
    weight_digits = DigitsSerializer()
    haz_n = serializers.IntegerField()
    haz_mean = serializers.FloatField(allow_null=True)
    haz_sd = serializers.FloatField(allow_null=True)
    whz_n = serializers.IntegerField()
    whz_mean = serializers.FloatField(allow_null=True)
    whz_sd = serializers.FloatField(allow_null=True)
    shrink_checked = serializers.IntegerField()
    shrink_count = serializers.IntegerField()
    registered = serializers.IntegerField(allow_null=True)
    measured = serializers.IntegerField(allow_null=True)
    missing = serializers.IntegerField(allow_null=True)
    measured_pct = serializers.FloatField(allow_null=True)
    issues = serializers.ListField(child=serializers.ChoiceField(choices=quality.ISSUE_CODES))


def _digits(d: quality.DigitPreference) -> dict[str, Any]:
    return {
        "n": d.n,
        "counts": list(d.counts),
        "dps": d.dps,
        "chi2": d.chi2,
        "p_value": d.p_value,
        "share_0_5": d.share(0, 5),
    }


def line_data(line: QualityLine) -> dict[str, Any]:
    i = line.indicators
    posyandu = line.posyandu
    desa = posyandu.desa.code if posyandu is not None else None
    return {
        "kind": line.kind,
        "posyandu": posyandu.pk if posyandu is not None else None,
        "posyandu_code": posyandu.code if posyandu is not None else None,
        "posyandu_name": posyandu.name if posyandu is not None else None,
        "desa": desa,
        # A desa code is its kecamatan's code and one more part (Permendagri 58/2021).
        "kecamatan": desa.rsplit(".", 1)[0] if desa else None,
        "measurer": line.measurer_id,
        "measurer_name": line.measurer_name if line.measurer_id is not None else None,
        "period": line.period,
        "measurements": i.measurements,
        "flagged": i.flagged,
        "assessed": i.assessed,
        "flagged_pct": i.flagged_pct,
        "height_digits": _digits(i.height),
        "weight_digits": _digits(i.weight),
        "haz_n": i.haz_n,
        "haz_mean": i.haz_mean,
        "haz_sd": i.haz_sd,
        "whz_n": i.whz_n,
        "whz_mean": i.whz_mean,
        "whz_sd": i.whz_sd,
        "shrink_checked": i.shrink_checked,
        "shrink_count": i.shrink_count,
        "registered": i.registered,
        "measured": i.measured,
        "missing": i.missing,
        "measured_pct": i.measured_pct,
        "issues": list(i.issues),
    }


class DataQualityViewSet(viewsets.GenericViewSet):
    """Data-quality indicators per posyandu (or recording user) and month, or over the whole range
    with `per_month=false`; by default the three months up to the latest with data."""

    request: AuthenticatedRequest

    permission_classes = [IsAuthenticated, QualityReaders]
    serializer_class = DataQualityLineSerializer
    queryset = DataQualitySummary.objects.none()  # for the schema; list() reads through the selectors

    @extend_schema(parameters=[DataQualityQuerySerializer], responses=DataQualityLineSerializer(many=True))
    def list(self, request: Request) -> Response:
        query = DataQualityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        user: User = self.request.user
        month_from, month_to = month_range(
            user=user,
            month_from=parse_month(params.get("month_from")),
            month_to=parse_month(params.get("month_to")),
            today=timezone.localdate(),
        )
        kecamatan = None
        if params.get("kecamatan"):
            kecamatan = Region.objects.filter(code=params["kecamatan"], level=Level.KECAMATAN).first()
        lines: list[QualityLine] = []
        if kecamatan is not None or not params.get("kecamatan"):
            lines = quality_lines(
                user=user,
                kind=params["kind"],
                month_from=month_from,
                month_to=month_to,
                kecamatan=kecamatan,
                posyandu_id=params.get("posyandu"),
                by_month=params["per_month"],
            )
        # DRF's paginators page any sequence; the stubs only say QuerySet.
        page: list[QualityLine] | None = self.paginate_queryset(lines)  # type: ignore[arg-type]
        rows = page if page is not None else lines
        data = self.get_serializer([line_data(line) for line in rows], many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)
