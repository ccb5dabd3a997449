"""The Aksi 1 situation analysis of a kabupaten from the system's own data, and the lokus ranking.

Per desa: registered and measured balita, stunting cases and prevalence, wasting counts, families at
risk, and the coverage of each indicator the deliveries can measure; then the lokus score with
Bappeda's weights of the year (interventions.compute.lokus_scores). Everything is loaded for the whole
kabupaten at once in a fixed number of queries, whatever the number of desa, and holds counts only
(no names): the rows are the same for every role, a user sees the rows of the desa he may see.

Definitions (period: 1 January of the year to the reference day, 31 December or today while the year
runs):
- registered: active children 0-59 months on the reference day (as the ledger counts them);
- measured: registered children with at least one measurement in the period;
- prevalence: among children measured in the period with a valid TB/U (not WHO-flagged), those whose
  latest valid TB/U of the period is pendek or sangat pendek; each child counted once;
- gizi kurang/buruk: the same on the latest valid BB/TB of the period;
- indicator coverage: services received / services due of the interventions feeding the indicator
  (the ledger's eligibility rules, every selected subject, not only priority targets). An indicator no
  intervention feeds has no data ("-"), never 0.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import numpy as np
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from children.growth import classify
from children.models import Measurement
from convergence.codes import DESA_LEVELS, KABUPATEN_LEVELS
from convergence.models import DesaLokus, Region, User
from convergence.scoping import scope_for_user
from convergence.selectors import desa_list_for_user
from interventions import compute
from interventions import eligibility as rules
from interventions.models import Indicator, Intervention, LokusWeights
from interventions.selectors import Period, delivered_load, interventions_in_force, population_load

DESA_LEVEL_VALUES = [level.value for level in DESA_LEVELS]
KABUPATEN_LEVEL_VALUES = [level.value for level in KABUPATEN_LEVELS]
# LokusWeights field of each criterion of compute.LOKUS_CRITERIA.
WEIGHT_FIELD = {name: f"weight_{name}" for name in compute.LOKUS_CRITERIA}


@dataclass(frozen=True)
class Weights:
    values: dict[str, float]
    lokus_count: int
    is_default: bool
    row: LokusWeights | None = None


def lokus_weights_for(*, kabupaten: Region, year: int) -> Weights:
    """Bappeda's weights for the year, else compute.DEFAULT_LOKUS_WEIGHTS (one query)."""
    row = LokusWeights.objects.filter(kabupaten=kabupaten, year=year).first()
    if row is None:
        return Weights(
            values=dict(compute.DEFAULT_LOKUS_WEIGHTS),
            lokus_count=compute.DEFAULT_LOKUS_COUNT,
            is_default=True,
        )
    return Weights(
        values={name: float(getattr(row, WEIGHT_FIELD[name])) for name in compute.LOKUS_CRITERIA},
        lokus_count=row.lokus_count,
        is_default=False,
        row=row,
    )


def _specs(interventions: list[Intervention]) -> list[compute.InterventionSpec]:
    return [
        compute.InterventionSpec(
            id=item.pk,
            target_group=item.target_group,
            rule=item.eligibility_rule,
            params=item.rule_params or {},
        )
        for item in interventions
    ]


def _percent(numerator: int, denominator: int) -> float | None:
    return round(100.0 * numerator / denominator, 1) if denominator else None


@dataclass(frozen=True)
class Coverage:
    numerator: int
    denominator: int

    @property
    def percent(self) -> float | None:
        return _percent(self.numerator, self.denominator)


@dataclass
class DesaRow:
    desa: Region
    registered: int = 0
    measured: int = 0
    valid_haz: int = 0
    severely_stunted: int = 0
    stunted: int = 0
    wasted: int = 0
    severely_wasted: int = 0
    families: int = 0
    families_at_risk: int = 0
    # Indicator id -> coverage, for the indicators some intervention feeds (denominator may be 0).
    coverage: dict[int, Coverage] = field(default_factory=dict)
    score: float = 0.0
    rank: int = 0
    recommended: bool = False
    is_lokus: bool = False

    @property
    def stunting(self) -> int:
        return self.severely_stunted + self.stunted

    @property
    def prevalence(self) -> float | None:
        return _percent(self.stunting, self.valid_haz)

    @property
    def measurement_coverage(self) -> float | None:
        return _percent(self.measured, self.registered)

    @property
    def families_at_risk_share(self) -> float | None:
        return _percent(self.families_at_risk, self.families)

    @property
    def mean_coverage(self) -> float | None:
        """Mean of the indicator coverages that have a denominator in this desa (None without any)."""
        rates = [item.percent for item in self.coverage.values() if item.percent is not None]
        return round(sum(rates) / len(rates), 1) if rates else None

    @property
    def coverage_gap(self) -> float | None:
        mean = self.mean_coverage
        return None if mean is None else round(100.0 - mean, 1)

    @property
    def measurement_gap(self) -> float | None:
        coverage = self.measurement_coverage
        return None if coverage is None else round(100.0 - coverage, 1)

    @property
    def criteria(self) -> dict[str, float | None]:
        """The lokus criteria, unrounded (None when unknown)."""
        rates = [100.0 * c.numerator / c.denominator for c in self.coverage.values() if c.denominator]
        return {
            "prevalence": 100.0 * self.stunting / self.valid_haz if self.valid_haz else None,
            "cases": float(self.stunting),
            "coverage_gap": 100.0 - sum(rates) / len(rates) if rates else None,
            "families_at_risk": 100.0 * self.families_at_risk / self.families if self.families else None,
            "measurement_gap": 100.0 - 100.0 * self.measured / self.registered if self.registered else None,
        }


@dataclass
class SituationAnalysis:
    kabupaten: Region
    year: int
    on: datetime.date
    weights: Weights
    indicators: list[Indicator]
    indicators_with_data: set[int]
    rows: list[DesaRow]  # by rank; only the desa the caller may see
    desa_count: int  # desa of the kabupaten (ranks run 1..desa_count)

    @property
    def lokus_recommended(self) -> list[DesaRow]:
        """Current lokus (DesaLokus of the year) that the ranking also recommends."""
        return [row for row in self.rows if row.is_lokus and row.recommended]

    @property
    def lokus_not_recommended(self) -> list[DesaRow]:
        return [row for row in self.rows if row.is_lokus and not row.recommended]

    @property
    def recommended_not_lokus(self) -> list[DesaRow]:
        return [row for row in self.rows if row.recommended and not row.is_lokus]

    @property
    def has_lokus(self) -> bool:
        return any(row.is_lokus for row in self.rows)

    def coverage_total(self, indicator_id: int) -> Coverage:
        """The indicator's coverage over the rows shown (counts added)."""
        cells = [row.coverage[indicator_id] for row in self.rows if indicator_id in row.coverage]
        return Coverage(sum(c.numerator for c in cells), sum(c.denominator for c in cells))


def _counts(keys: np.ndarray) -> dict[int, int]:
    values, counts = np.unique(np.asarray(keys, dtype=np.int64), return_counts=True)
    return dict(zip(values.tolist(), counts.tolist(), strict=True))


def _latest_valid(child_id: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Row positions of each child's latest valid (>= 0) value; rows sorted by child then day."""
    valid = np.flatnonzero(values >= 0)
    children = child_id[valid]
    last = np.r_[children[1:] != children[:-1], True] if len(children) else np.array([], dtype=bool)
    return valid[last]


def _measurements(
    *, desa: QuerySet[Region], start: datetime.date, on: datetime.date
) -> dict[str, np.ndarray]:
    """Measurements of the period of children of `desa`, sorted by child and day (one query)."""
    rows = list(
        Measurement.objects.filter(child__desa__in=desa, measured_on__gte=start, measured_on__lte=on)
        .order_by("child_id", "measured_on")
        .values_list("child_id", "child__desa_id", "haz_category", "whz_category")
    )
    return {
        "child_id": np.array([row[0] for row in rows], dtype=np.int64),
        "desa_id": np.array([row[1] for row in rows], dtype=np.int64),
        "haz": np.array([row[2] for row in rows], dtype=np.int64),
        "whz": np.array([row[3] for row in rows], dtype=np.int64),
    }


def _coverage_fill(
    *,
    rows: dict[int, DesaRow],
    population: rules.Population,
    desa: QuerySet[Region],
    kabupaten: Region,
    period: Period,
) -> set[int]:
    """Set each row's coverage of the indicators fed by the interventions in force; returns those indicators."""
    interventions = interventions_in_force(kabupaten_code=kabupaten.code, period=period)
    indicator_of = {item.pk: item.indicator_id for item in interventions if item.indicator_id}
    fed = [item for item in interventions if item.pk in indicator_of]
    if fed:
        delivered = delivered_load(desa=desa, period=period, intervention_ids=[item.pk for item in fed])
        services = compute.all_services(population, _specs(fed), delivered)
        for (indicator_id, desa_id), (due, got) in compute.counts_by_group_and_desa(
            services, indicator_of
        ).items():
            if desa_id in rows:
                rows[desa_id].coverage[indicator_id] = Coverage(got, due)
    indicators_with_data = set(indicator_of.values())
    for row in rows.values():
        for indicator_id in indicators_with_data:
            row.coverage.setdefault(indicator_id, Coverage(0, 0))
    return indicators_with_data


def situation_analysis(*, kabupaten: Region, year: int, today: datetime.date) -> SituationAnalysis:
    """The analysis of every desa of `kabupaten` for `year`, ranked for lokus (about a dozen queries).

    Unscoped: the ranking is kabupaten-wide; callers showing it to a user go through
    `situation_analysis_for_user`.
    """
    period = Period(year=year)
    on = period.reference_day(today)
    # A retired desa can be no lokus: the ranking covers the desa of the current official list.
    desa = Region.objects.active().filter(level__in=DESA_LEVEL_VALUES, code__startswith=f"{kabupaten.code}.")
    desa_list = list(desa.select_related("parent", "puskesmas").order_by("code"))
    rows = {item.pk: DesaRow(desa=item) for item in desa_list}

    population = population_load(desa=desa, on=on)
    children = population.children
    measured = _measurements(desa=desa, start=period.start, on=on)
    in_period = np.isin(children.id, measured["child_id"])
    haz_rows = _latest_valid(measured["child_id"], measured["haz"])
    whz_rows = _latest_valid(measured["child_id"], measured["whz"])
    haz_desa, haz = measured["desa_id"][haz_rows], measured["haz"][haz_rows]
    whz_desa, whz = measured["desa_id"][whz_rows], measured["whz"][whz_rows]
    families = population.families
    per_desa = {
        "registered": _counts(children.desa_id),
        "measured": _counts(children.desa_id[in_period]),
        "valid_haz": _counts(haz_desa),
        "severely_stunted": _counts(haz_desa[haz == classify.TBU_SANGAT_PENDEK]),
        "stunted": _counts(haz_desa[haz == classify.TBU_PENDEK]),
        "wasted": _counts(whz_desa[whz == classify.GIZI_KURANG]),
        "severely_wasted": _counts(whz_desa[whz == classify.GIZI_BURUK]),
        "families": _counts(families.desa_id),
        "families_at_risk": _counts(families.desa_id[families.at_risk]),
    }
    for name, counts in per_desa.items():
        for desa_id, count in counts.items():
            if desa_id in rows:
                setattr(rows[desa_id], name, count)

    indicators_with_data = _coverage_fill(
        rows=rows, population=population, desa=desa, kabupaten=kabupaten, period=period
    )

    weights = lokus_weights_for(kabupaten=kabupaten, year=year)
    ordered = [rows[item.pk] for item in desa_list]
    criteria = [row.criteria for row in ordered]
    ranking = compute.lokus_scores(
        {
            name: np.array([np.nan if c[name] is None else c[name] for c in criteria], dtype=float)
            for name in compute.LOKUS_CRITERIA
        },
        weights.values,
        cases=np.array([row.stunting for row in ordered], dtype=np.int64),
        codes=[row.desa.code for row in ordered],
        lokus_count=weights.lokus_count,
    )
    lokus = set(DesaLokus.objects.filter(desa__in=desa, year=year).values_list("desa_id", flat=True))
    for i, row in enumerate(ordered):
        row.score = float(ranking.score[i])
        row.rank = int(ranking.rank[i])
        row.recommended = bool(ranking.recommended[i])
        row.is_lokus = row.desa.pk in lokus
    return SituationAnalysis(
        kabupaten=kabupaten,
        year=year,
        on=on,
        weights=weights,
        indicators=list(Indicator.objects.order_by("code")),
        indicators_with_data=indicators_with_data,
        rows=sorted(ordered, key=lambda row: row.rank),
        desa_count=len(ordered),
    )


def kabupaten_with_desa() -> list[Region]:
    """Kabupaten/kota that have desa in the system (two queries)."""
    codes = set(
        Region.objects.filter(level__in=DESA_LEVEL_VALUES).values_list("parent__parent__code", flat=True)
    )
    return list(Region.objects.filter(code__in=codes, level__in=KABUPATEN_LEVEL_VALUES).order_by("code"))


def situation_kabupaten_for_user(*, user: User, code: str = "") -> Region:
    """The kabupaten whose analysis `user` reads: his own; a superuser's choice or the first with desa."""
    scope = scope_for_user(user)
    if scope.is_empty:
        raise PermissionDenied
    regions = Region.objects.filter(level__in=KABUPATEN_LEVEL_VALUES)
    if scope.is_superuser:
        found = regions.filter(code=code).first() if code else next(iter(kabupaten_with_desa()), None)
    else:
        found = regions.filter(code=scope.kabupaten_prefix).first()
        if code and found is not None and code != found.code:
            found = None
    if found is None:
        raise Http404
    return found


def situation_analysis_for_user(
    *, user: User, year: int, today: datetime.date, kabupaten_code: str = ""
) -> SituationAnalysis:
    """The kabupaten-wide analysis, showing only the desa rows `user` may see.

    Bappeda, pimpinan and OPD officers see every desa of the kabupaten (counts only, no names);
    a puskesmas officer the desa of his working area; a KPM or kader his own desa, each with its
    kabupaten-wide rank.
    """
    kabupaten = situation_kabupaten_for_user(user=user, code=kabupaten_code)
    analysis = situation_analysis(kabupaten=kabupaten, year=year, today=today)
    visible = set(
        desa_list_for_user(user=user)
        .filter(code__startswith=f"{kabupaten.code}.")
        .values_list("pk", flat=True)
    )
    analysis.rows = [row for row in analysis.rows if row.desa.pk in visible]
    return analysis
