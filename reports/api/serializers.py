"""Serializers of the reports API: summary rows read as figures, the year table, survey figures and the
district's target rule.

Percentages are computed when read (reports/selectors.figure_of), never stored: a row is serialised
from its `Figure`, whose sources are the row's counts and the five proportions.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from convergence.api.serializers import RegionCodeField
from convergence.choices import serializer_choices_limit
from convergence.models import Region, User
from convergence.scoping import restrict, scope_for_user
from reports.models import PrevalenceSummary, SurveyFigure, TargetRule

YEAR_MIN, YEAR_MAX = 2000, 2100


# drf-spectacular names an enum component after its field, and `level` and `source` already name other
# apps' choice sets (a new one would rename theirs): these list their values in the description.
@extend_schema_field({"type": "string", "description": " | ".join(PrevalenceSummary.Level.values)})
class LevelField(serializers.ChoiceField):
    pass


@extend_schema_field({"type": "string", "description": " | ".join(SurveyFigure.Source.values)})
class SourceField(serializers.ChoiceField):
    pass


class PercentField(serializers.FloatField):
    """A percentage as the e-PPGBM tables show it: two decimals; null when nobody was counted."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    # drf-stubs type FloatField's representation as str; DRF returns the float.
    def to_representation(self, value: float) -> float:  # type: ignore[override]
        return round(float(value), 2)


class _FigureFields(serializers.Serializer):
    """The five proportions of a `reports.selectors.Figure`, each with its 95% Wilson interval."""

    stunting_pct = PercentField(source="stunting.pct", help_text="stunting (TB/U < -2 SD), %")
    stunting_low = PercentField(
        source="stunting.low", help_text="stunting (TB/U < -2 SD): 95% CI, lower bound"
    )
    stunting_high = PercentField(
        source="stunting.high", help_text="stunting (TB/U < -2 SD): 95% CI, upper bound"
    )
    wasting_pct = PercentField(source="wasting.pct", help_text="wasting (BB/TB < -2 SD), %")
    wasting_low = PercentField(source="wasting.low", help_text="wasting (BB/TB < -2 SD): 95% CI, lower bound")
    wasting_high = PercentField(
        source="wasting.high", help_text="wasting (BB/TB < -2 SD): 95% CI, upper bound"
    )
    underweight_pct = PercentField(source="underweight.pct", help_text="underweight (BB/U < -2 SD), %")
    underweight_low = PercentField(
        source="underweight.low", help_text="underweight (BB/U < -2 SD): 95% CI, lower bound"
    )
    underweight_high = PercentField(
        source="underweight.high", help_text="underweight (BB/U < -2 SD): 95% CI, upper bound"
    )
    overweight_pct = PercentField(source="overweight.pct", help_text="overweight (BB/TB > +2 SD), %")
    overweight_low = PercentField(
        source="overweight.low", help_text="overweight (BB/TB > +2 SD): 95% CI, lower bound"
    )
    overweight_high = PercentField(
        source="overweight.high", help_text="overweight (BB/TB > +2 SD): 95% CI, upper bound"
    )
    coverage_pct = PercentField(source="coverage.pct", help_text="coverage (measured / registered), %")
    coverage_low = PercentField(
        source="coverage.low", help_text="coverage (measured / registered): 95% CI, lower bound"
    )
    coverage_high = PercentField(
        source="coverage.high", help_text="coverage (measured / registered): 95% CI, upper bound"
    )


class PrevalenceSerializer(_FigureFields):
    """One summary row (a unit and a period): its counts and the prevalences with their intervals."""

    id = serializers.IntegerField(source="row.id", read_only=True)
    level = LevelField(source="row.level", choices=PrevalenceSummary.Level.choices, read_only=True)
    region = serializers.CharField(
        source="row.region.code",
        read_only=True,
        help_text="the region's Kemendagri code; for posyandu rows, their desa",
    )
    region_name = serializers.CharField(source="row.region.name", read_only=True)
    posyandu = serializers.IntegerField(source="row.posyandu_id", read_only=True, allow_null=True)
    posyandu_name = serializers.CharField(source="row.posyandu.name", read_only=True, allow_null=True)
    period_kind = serializers.ChoiceField(
        source="row.period_kind", choices=PrevalenceSummary.PeriodKind.choices, read_only=True
    )
    period = serializers.DateField(
        source="row.period", read_only=True, help_text="first day of the month or of the year"
    )
    updated_at = serializers.DateTimeField(
        source="row.computed_at",
        read_only=True,
        help_text="when the row was computed; a recompute replaces a changed row with a new id",
    )
    registered = serializers.IntegerField(source="row.registered", read_only=True)
    measured = serializers.IntegerField(source="row.measured", read_only=True)
    haz_flagged = serializers.IntegerField(source="row.haz_flagged", read_only=True)
    haz_sangat_pendek = serializers.IntegerField(source="row.haz_sangat_pendek", read_only=True)
    haz_pendek = serializers.IntegerField(source="row.haz_pendek", read_only=True)
    haz_normal = serializers.IntegerField(source="row.haz_normal", read_only=True)
    haz_tinggi = serializers.IntegerField(source="row.haz_tinggi", read_only=True)
    haz_counted = serializers.IntegerField(source="row.haz_counted", read_only=True)
    stunted = serializers.IntegerField(source="row.stunted", read_only=True)
    waz_flagged = serializers.IntegerField(source="row.waz_flagged", read_only=True)
    waz_sangat_kurang = serializers.IntegerField(source="row.waz_sangat_kurang", read_only=True)
    waz_kurang = serializers.IntegerField(source="row.waz_kurang", read_only=True)
    waz_normal = serializers.IntegerField(source="row.waz_normal", read_only=True)
    waz_risiko_lebih = serializers.IntegerField(source="row.waz_risiko_lebih", read_only=True)
    waz_counted = serializers.IntegerField(source="row.waz_counted", read_only=True)
    whz_flagged = serializers.IntegerField(source="row.whz_flagged", read_only=True)
    whz_gizi_buruk = serializers.IntegerField(source="row.whz_gizi_buruk", read_only=True)
    whz_gizi_kurang = serializers.IntegerField(source="row.whz_gizi_kurang", read_only=True)
    whz_gizi_baik = serializers.IntegerField(source="row.whz_gizi_baik", read_only=True)
    whz_berisiko_gizi_lebih = serializers.IntegerField(source="row.whz_berisiko_gizi_lebih", read_only=True)
    whz_gizi_lebih = serializers.IntegerField(source="row.whz_gizi_lebih", read_only=True)
    whz_obesitas = serializers.IntegerField(source="row.whz_obesitas", read_only=True)
    whz_counted = serializers.IntegerField(source="row.whz_counted", read_only=True)
    computed_at = serializers.DateTimeField(source="row.computed_at", read_only=True)


class TargetRuleSerializer(serializers.ModelSerializer):
    kabupaten: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    baseline_year = serializers.IntegerField(
        min_value=YEAR_MIN, max_value=YEAR_MAX, allow_null=True, required=False
    )
    target_year = serializers.IntegerField(
        min_value=YEAR_MIN, max_value=YEAR_MAX, allow_null=True, required=False
    )

    class Meta:
        model = TargetRule
        fields = [
            "id",
            "kabupaten",
            "regulation",
            "baseline_year",
            "min_reduction_points",
            "target_year",
            "target_pct",
        ]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        instance = self.instance
        baseline = attrs.get("baseline_year", instance.baseline_year if instance else None)
        target = attrs.get("target_year", instance.target_year if instance else None)
        if baseline is not None and target is not None and target < baseline:
            raise serializers.ValidationError(
                {"target_year": _("Tahun target tidak boleh sebelum tahun dasar.")}
            )
        return attrs


def survey_regions_for_user(user: User) -> QuerySet[Region]:
    """Regions a survey figure may be recorded for: the user's kabupaten and the regions inside it."""
    regions = restrict(Region.objects.all(), user)
    scope = scope_for_user(user)
    if scope.is_superuser:
        return regions
    kab = scope.kabupaten_prefix or ""
    return regions.filter(Q(code=kab) | Q(code__startswith=f"{kab}."))


class SurveyFigureSerializer(serializers.ModelSerializer):
    region = RegionCodeField(queryset=Region.objects.none(), help_text="region code")
    region_name = serializers.CharField(source="region.name", read_only=True)
    year = serializers.IntegerField(min_value=YEAR_MIN, max_value=YEAR_MAX)
    source = SourceField(choices=SurveyFigure.Source.choices)  # type: ignore[assignment]  # a field named like Field.source

    class Meta:
        model = SurveyFigure
        fields = [
            "id",
            "region",
            "region_name",
            "year",
            "source",
            "stunting_pct",
            "wasting_pct",
            "underweight_pct",
            "note",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            serializer_choices_limit(self, "region", survey_regions_for_user(request.user))


class SurveySummarySerializer(serializers.ModelSerializer):
    source = SourceField(choices=SurveyFigure.Source.choices, read_only=True)  # type: ignore[assignment]  # a field named like Field.source

    class Meta:
        model = SurveyFigure
        fields = ["year", "source", "stunting_pct", "wasting_pct", "underweight_pct", "note"]


class YearRowSerializer(serializers.Serializer):
    """A year of the e-PPGBM year table with the district and national target path."""

    year = serializers.IntegerField(source="target.year", read_only=True)
    period = serializers.DateField(source="figure.row.period", read_only=True)
    registered = serializers.IntegerField(source="figure.row.registered", read_only=True)
    measured = serializers.IntegerField(source="figure.row.measured", read_only=True)
    haz_counted = serializers.IntegerField(source="figure.row.haz_counted", read_only=True)
    stunted = serializers.IntegerField(source="figure.row.stunted", read_only=True)
    stunting_pct = PercentField(source="figure.stunting.pct", help_text="stunting (TB/U < -2 SD), %")
    stunting_low = PercentField(source="figure.stunting.low", help_text="stunting: 95% CI, lower bound")
    stunting_high = PercentField(source="figure.stunting.high", help_text="stunting: 95% CI, upper bound")
    change_points = PercentField(
        source="target.change_points", help_text="change from the previous year with data"
    )
    status = serializers.CharField(
        source="target.status", read_only=True, help_text="Turun | Naik | Tetap | ''"
    )
    target_pct = PercentField(source="target.target_pct", help_text="the district's target path (%)")
    national_pct = PercentField(source="target.national_pct", help_text="the national target (%)")
    on_course = serializers.BooleanField(source="target.on_course", read_only=True, allow_null=True)
    aarr_achieved = PercentField(
        source="target.aarr_achieved",
        help_text="average annual rate of reduction since the baseline year (%)",
    )
    aarr_required = PercentField(
        source="target.aarr_required", help_text="AARR needed to reach the district target (%)"
    )
    points_required = PercentField(
        source="target.points_required", help_text="points a year needed to reach the district target"
    )


class YearTableSerializer(serializers.Serializer):
    region = serializers.CharField(
        source="region.code", read_only=True, help_text="the region's Kemendagri code"
    )
    region_name = serializers.CharField(source="region.name", read_only=True)
    level = serializers.CharField(source="region.level", read_only=True)
    month = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="the month read in each year; null: the whole year"
    )
    rule = TargetRuleSerializer(read_only=True, allow_null=True)
    rows = YearRowSerializer(many=True, read_only=True)
    surveys = SurveySummarySerializer(many=True, read_only=True)
    computed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    source = serializers.SerializerMethodField()  # type: ignore[assignment]  # a field named like Field.source

    def get_source(self, table: Any) -> str:
        from reports.selectors import SOURCE_ROUTINE

        return str(SOURCE_ROUTINE)


class YearTableQuerySerializer(serializers.Serializer):
    region = serializers.CharField(max_length=20, help_text="region code (kabupaten, kecamatan or desa)")
    month = serializers.IntegerField(
        min_value=1,
        max_value=12,
        required=False,
        help_text="read this month of each year (e.g. 8 for August) instead of the whole year",
    )
    up_to_year = serializers.IntegerField(min_value=YEAR_MIN, max_value=YEAR_MAX, required=False)


class DashboardPeriodSerializer(serializers.Serializer):
    """The month shown, its coverage and whether it counts as complete under the district's rule."""

    month = serializers.DateField(read_only=True, allow_null=True, help_text="first day of the month shown")
    measured = serializers.IntegerField(read_only=True, help_text="children measured in the kabupaten")
    registered = serializers.IntegerField(read_only=True, help_text="children registered in the kabupaten")
    coverage_pct = PercentField(help_text="measured / registered, %")
    complete = serializers.BooleanField(
        read_only=True, help_text="the coverage reaches the district's threshold for a complete month"
    )
    threshold_pct = PercentField(help_text="the coverage a month needs to count as complete, %")
    latest_complete = serializers.DateField(
        read_only=True, allow_null=True, help_text="the latest complete month: the default period"
    )


class DashboardTargetsSerializer(serializers.Serializer):
    district_year = serializers.IntegerField(read_only=True, allow_null=True)
    district_pct = PercentField(help_text="the district's target for district_year, %")
    national_year = serializers.IntegerField(read_only=True, allow_null=True)
    national_pct = PercentField(help_text="the national (RPJMN) target for national_year, %")
    regulation = serializers.CharField(read_only=True)


class DashboardUnitSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    measured = serializers.IntegerField(read_only=True)
    stunting_pct = PercentField(source="pct", help_text="stunting (TB/U < -2 SD), %")


class DashboardRankingSerializer(serializers.Serializer):
    min_measured = serializers.IntegerField(
        read_only=True, help_text="units with fewer children measured are not ranked"
    )
    ranked = DashboardUnitSerializer(many=True, read_only=True, help_text="highest prevalence first")
    insufficient = DashboardUnitSerializer(
        many=True, read_only=True, help_text="data belum cukup: fewer than min_measured children measured"
    )


class DashboardSerializer(serializers.Serializer):
    """The district head's dashboard: its period, the headline with its targets, the rankings."""

    kabupaten = serializers.CharField(source="kabupaten.code", read_only=True, help_text="Kemendagri code")
    kabupaten_name = serializers.CharField(source="kabupaten.name", read_only=True)
    period = DashboardPeriodSerializer(read_only=True)
    stunting_pct = PercentField(source="figure.stunting.pct", help_text="stunting (TB/U < -2 SD), %")
    stunting_low = PercentField(source="figure.stunting.low", help_text="stunting: 95% CI, lower bound")
    stunting_high = PercentField(source="figure.stunting.high", help_text="stunting: 95% CI, upper bound")
    targets = DashboardTargetsSerializer(read_only=True)
    kecamatan_ranking = DashboardRankingSerializer(read_only=True)
    desa_ranking = DashboardRankingSerializer(read_only=True)
    source = serializers.CharField(source="source_routine", read_only=True)  # type: ignore[assignment]  # a field named like Field.source


class DashboardQuerySerializer(serializers.Serializer):
    period = serializers.RegexField(
        r"^\d{4}-\d{2}$",
        required=False,
        help_text="YYYY-MM; without it (or for a month without data), the latest complete month",
    )
