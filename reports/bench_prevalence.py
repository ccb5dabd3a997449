"""`python manage.py bench prevalence`: the summaries' full and incremental recompute against a
per-region ORM loop computing the same counts, on the seeded demo district; `bench quality`: the
data-quality summaries.

Run it on PostgreSQL after `seed_demo --scale large`. The full recompute rewrites every row (the
summaries are emptied first, inside a transaction rolled back afterwards, so the database is left
as it was); the incremental refresh follows one posyandu's month after one measurement changed.

With `--history-years N` (and always for `bench quality`, ten years by default) the demo's
measurements are moved back to span N years, and the closing line compares the recompute from empty
with the same measurements spread over five years (or as seeded, for five years or less), both
timed in the same run: a longer history should cost what its measurements cost, not its months.
"""

from __future__ import annotations

import datetime
import random
import time
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, F, Max, Min, Q, Window
from django.db.models.functions import RowNumber, TruncMonth
from django.test.utils import CaptureQueriesContext

from children.models import Measurement
from children.partitions import ensure_measurement_partitions
from convergence import pgcopy
from convergence.benchmarking import BenchResult, benchmark, rolled_back
from convergence.codes import Level
from convergence.models import Posyandu, Region, User

from . import compute, services
from .models import PrevalenceSummary
from .models_quality import DataQualitySummary

SAMPLE_UNIT_MONTHS = 60
MILLION = 1_000_000


def _orm_counts(unit_q: Q, start: datetime.date, end: datetime.date) -> dict[str, int]:
    """The baseline: one unit-month the way a per-region loop would do it, latest measurement per
    child by a window function, then one COUNT per category."""
    latest = (
        Measurement.objects.filter(
            unit_q, measured_on__gte=start, measured_on__lte=end, age_days__lt=compute.AGE_LIMIT_DAYS
        )
        .annotate(rank=Window(RowNumber(), partition_by=[F("child_id")], order_by=F("measured_on").desc()))
        .filter(rank=1)
    )
    counts: dict[str, Any] = {"measured": Count("pk")}
    for index, columns in compute.INDEX_COLUMNS.items():
        counts[f"{index}_flagged"] = Count("pk", filter=Q(**{f"{index}_category": -2}))
        for code, name in enumerate(columns):
            counts[name] = Count("pk", filter=Q(**{f"{index}_category": code}))
    return latest.aggregate(**counts)


def _unit_months(kabupaten: Region, months: list[datetime.date]) -> list[tuple[Q, datetime.date]]:
    units: list[Q] = [Q(child__desa__parent__parent=kabupaten)]
    units += [Q(child__desa__parent_id=k) for k in services.kecamatan_of(kabupaten)]
    units += [
        Q(child__desa_id=d)
        for d in Region.objects.filter(
            parent__parent=kabupaten, level__in=[Level.DESA, Level.KELURAHAN]
        ).values_list("id", flat=True)
    ]
    units += [
        Q(posyandu_id=p)
        for p in Posyandu.objects.filter(desa__parent__parent=kabupaten).values_list("id", flat=True)
    ]
    return [(unit, month) for unit in units for month in months]


def _end_of(month: datetime.date) -> datetime.date:
    return (month + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)


@benchmark(
    "prevalence",
    help_text="full and incremental recompute of the prevalence summaries vs a per-region ORM loop",
)
def run_prevalence(*, out: Any, seed: int, history_years: int | None = None, **options: Any) -> BenchResult:
    from convergence.demo import district_kabupaten

    kabupaten = district_kabupaten()
    if kabupaten is None:
        raise RuntimeError("seed the demo district first: python manage.py seed_demo --scale large")
    if not history_years:
        return _run(kabupaten, seed, None)
    with rolled_back():
        _spread_history(history_years)
        # Summaries current for the spread data, as a district's would be, before timing.
        services.prevalence_recompute(kabupaten=kabupaten, quality=False)
        result = _run(kabupaten, seed, history_years)
    spread, baseline = compare_spreads(kabupaten, history_years, quality=False)
    details = [
        *result.details,
        result.closing_line("prevalence").replace("bench prevalence: ", "per-region ORM loop comparison: "),
    ]
    return history_closing(
        spread, baseline, what="full recompute", scale=_scale_name(spread.kecamatan), details=details
    )


BASELINE_YEARS = 5
REPEATS = 3


@dataclass(frozen=True)
class Spread:
    """A full recompute from empty summaries, timed with the demo's measurements spread over `years`
    (None: as seeded, two years)."""

    years: int | None
    seconds: float
    measurements: int
    written: int
    kecamatan: int
    current_seconds: float | None = None  # the same recompute again, summaries current: nothing to write

    @property
    def rate(self) -> float:
        return self.measurements / self.seconds if self.seconds else 0.0


def spread_recompute(kabupaten: Region, years: int | None, *, quality: bool) -> Spread:
    """Seconds of a full recompute from empty of the prevalence summaries (or, with `quality`, of the
    data-quality summaries, the prevalence ones made current first: they read them), with the
    measurements spread over `years`; rolled back."""
    kecamatan_ids = services.kecamatan_of(kabupaten)
    with rolled_back():
        if years:
            _spread_history(years)
        if quality:
            services.prevalence_recompute(kabupaten=kabupaten, quality=False)
            DataQualitySummary.objects.filter(kecamatan_id__in=kecamatan_ids).delete()
            periods = services.full_periods(kabupaten=kabupaten)
            if periods is None:
                raise RuntimeError("the demo district has no measurements: python manage.py seed_demo")
            started = time.perf_counter()
            checked = services.quality_recompute_periods(
                kecamatan_ids=kecamatan_ids, periods=periods, full=True
            )
            seconds = time.perf_counter() - started
            if checked is None:
                raise RuntimeError("the demo district has no measurements: python manage.py seed_demo")
            return Spread(years, seconds, checked.measurements, checked.written, checked.chunks)
        PrevalenceSummary.objects.filter(
            Q(region=kabupaten) | Q(region__code__startswith=f"{kabupaten.code}.")
        ).delete()
        started = time.perf_counter()
        result = services.prevalence_recompute(kabupaten=kabupaten, quality=False)
        seconds = time.perf_counter() - started
        # The nightly case: the same work with the summaries current, nothing to write.
        started = time.perf_counter()
        services.prevalence_recompute(kabupaten=kabupaten, quality=False)
        current = time.perf_counter() - started
        return Spread(years, seconds, result.measurements, result.written, result.chunks, current)


def compare_spreads(kabupaten: Region, years: int, *, quality: bool) -> tuple[Spread, Spread]:
    """The recompute over `years` and over the baseline spread of the same measurements (five years,
    or the demo as seeded when `years` is five or less), alternated and the best of REPEATS kept of
    each: the machine's load moves both alike."""
    baseline_years = BASELINE_YEARS if years > BASELINE_YEARS else None
    runs: dict[int | None, list[Spread]] = {years: [], baseline_years: []}
    for _ in range(REPEATS):
        for spread in (years, baseline_years):
            runs[spread].append(spread_recompute(kabupaten, spread, quality=quality))
    best = {spread: min(found, key=lambda s: s.seconds) for spread, found in runs.items()}
    return best[years], best[baseline_years]


def history_closing(
    spread: Spread, baseline: Spread, *, what: str, scale: str, details: list[str]
) -> BenchResult:
    """The closing line of a history run: the recompute over the history against the same
    measurements over the baseline spread. The ratio is of times (1.0: the history costs nothing
    more per measurement; the rows written follow the months and are named)."""

    def over(s: Spread) -> str:
        return f"over {s.years} years" if s.years else "as seeded (2 years)"

    details.extend(
        f"{what} from empty, {s.measurements:,} measurements {over(s)}: {s.seconds * 1000:,.0f} ms "
        f"= {s.rate:,.0f} measurements/s ({s.written:,} rows written; best of {REPEATS}, alternated)"
        for s in (spread, baseline)
    )
    if spread.current_seconds is not None and baseline.current_seconds is not None:
        details.append(
            f"{what} again, summaries current (nothing to write): {spread.current_seconds * 1000:,.0f} ms "
            f"{over(spread)}, {baseline.current_seconds * 1000:,.0f} ms {over(baseline)} "
            f"({spread.current_seconds / baseline.current_seconds:.2f}x)"
        )
    return BenchResult(
        figure=spread.seconds * 1000,
        unit=(
            f"ms {what} from empty of {spread.measurements:,} measurements {over(spread)} "
            f"({scale}, {spread.kecamatan} kecamatan)"
        ),
        ratio=spread.seconds / baseline.seconds if baseline.seconds else 0.0,
        baseline=(
            f"the same measurements {over(baseline)}, {baseline.seconds * 1000:,.0f} ms "
            f"(time ratio; {spread.rate:,.0f} vs {baseline.rate:,.0f} measurements/s)"
        ),
        details=details,
    )


@benchmark(
    "quality",
    help_text="data-quality summaries recomputed from empty over a history (default 10 years) vs the "
    "same measurements over 5",
)
def run_quality(*, out: Any, seed: int, history_years: int | None = None, **options: Any) -> BenchResult:
    from convergence.demo import district_kabupaten

    kabupaten = district_kabupaten()
    if kabupaten is None:
        raise RuntimeError("seed the demo district first: python manage.py seed_demo")
    years = history_years or DEFAULT_QUALITY_YEARS
    measurements = Measurement.objects.filter(posyandu__desa__parent__parent=kabupaten).count()
    details = [f"database: {connection.vendor}; measurements in the kabupaten: {measurements:,}"]
    spread, baseline = compare_spreads(kabupaten, years, quality=True)
    return history_closing(
        spread,
        baseline,
        what="data-quality recompute",
        scale=_scale_name(len(services.kecamatan_of(kabupaten))),
        details=details,
    )


DEFAULT_QUALITY_YEARS = 10


def _spread_history(years: int) -> None:
    """Move children and their measurements back 2, 4, 6... years by child id, so the demo's two
    years of measurements span `years` (10: a fifth of the children each 0, 2, 4, 6, 8 years back)."""
    if connection.vendor != "postgresql":
        raise RuntimeError("--history-years needs PostgreSQL")
    groups = max(1, -(-years // 2))
    # Moved rows land in earlier years' partitions: they must exist first.
    first, last = Measurement.objects.aggregate(first=Min("measured_on"), last=Max("measured_on")).values()
    if first is not None and last is not None:
        ensure_measurement_partitions(range(first.year - 2 * (groups - 1), last.year + 1))
    with connection.cursor() as cursor:
        for k in range(1, groups):
            cursor.execute(
                "UPDATE children_child SET birth_date = birth_date - make_interval(years => %s) "
                "WHERE id %% %s = %s",
                [2 * k, groups, k],
            )
            cursor.execute(
                "UPDATE children_measurement m SET measured_on = measured_on - make_interval(years => %s) "
                "FROM children_child c WHERE m.child_id = c.id AND c.id %% %s = %s",
                [2 * k, groups, k],
            )


def _run(kabupaten: Region, seed: int, history_years: int | None) -> BenchResult:
    from django.conf import settings

    measurements = Measurement.objects.filter(posyandu__desa__parent__parent=kabupaten).count()
    details = [f"database: {connection.vendor}; measurements in the kabupaten: {measurements:,}"]
    periods = services.full_periods(kabupaten=kabupaten)
    if periods is None:
        raise RuntimeError("the kabupaten has no measurement: seed the demo district first")
    months, data_months = _months(periods)
    details.append(f"periods: {len(months)} months ({len(data_months)} with measurements) and their years")

    result, full_s = _full_recompute(kabupaten, periods, details)
    # The target is for 1,000,000 measurements: the first kecamatan holding at least that many (all of
    # them on a smaller district; the closing line then names the count it read).
    subset = _headline_kecamatan(kabupaten)
    with rolled_back():
        PrevalenceSummary.objects.filter(Q(kecamatan_id__in=subset) | Q(region=kabupaten)).delete()
        started = time.perf_counter()
        million = services.prevalence_recompute(kabupaten=kabupaten, kecamatan_ids=subset, quality=False)
        million_s = time.perf_counter() - started
    details.append(
        f"full recompute of {len(subset)} kecamatan holding {million.measurements:,} measurements: {million_s:.2f} s "
        f"({million.written:,} rows written)"
    )
    # The nightly run over unchanged data: the same work, nothing to write.
    started = time.perf_counter()
    again = services.prevalence_recompute(kabupaten=kabupaten, quality=False)
    details.append(
        f"full recompute, summaries already current: {time.perf_counter() - started:.2f} s ({again.written} rows written)"
    )

    # Incremental: one posyandu's month changes.
    rng = random.Random(seed)
    last_month = data_months[-1]
    incremental_s = _incremental(kabupaten, last_month, rng, details)
    details.append(_dashboard_reads(kabupaten, last_month))

    # Baseline: the per-region ORM loop on a sample of unit-months, scaled to all of them.
    everything = _unit_months(kabupaten, data_months)
    sample_size = min(SAMPLE_UNIT_MONTHS, len(everything))
    chosen = rng.sample(everything, sample_size)
    started = time.perf_counter()
    for unit_q, month in chosen:
        _orm_counts(unit_q, month, _end_of(month))
    per_unit_month = (time.perf_counter() - started) / sample_size
    kecamatan_count = len(services.kecamatan_of(kabupaten))
    return prevalence_closing(
        Measured(
            seconds=million_s,
            measurements=million.measurements,
            kecamatan=len(subset),
            scale=_scale_name(kecamatan_count),
            all_measurements=result.measurements,
            all_seconds=full_s,
            all_kecamatan=kecamatan_count,
            history_years=history_years,
        ),
        Loop(sampled=sample_size, unit_months=len(everything), seconds_each=per_unit_month),
        incremental_s=incremental_s,
        prevalence_months=settings.PREVALENCE_MONTHS,
        details=details,
    )


def _months(periods: compute.Periods) -> tuple[list[datetime.date], list[datetime.date]]:
    """The months of the full recompute, and those of them holding measurements (one query)."""
    months = sorted(
        {pgcopy.day_of(d) for d, k in zip(periods.start_day, periods.kind, strict=True) if k == "M"}
    )
    if not months:
        return [], []
    with_data = set(
        Measurement.objects.filter(measured_on__gte=months[0], measured_on__lte=_end_of(months[-1]))
        .annotate(month=TruncMonth("measured_on"))
        .values_list("month", flat=True)
        .distinct()
    )
    return months, [m for m in months if m in with_data]


def _full_recompute(
    kabupaten: Region, periods: compute.Periods, details: list[str]
) -> tuple[services.RecomputeResult, float]:
    """Full recompute from empty summaries, and the data-quality summaries after it; rolled back."""
    with rolled_back():
        PrevalenceSummary.objects.filter(
            Q(region=kabupaten) | Q(region__code__startswith=f"{kabupaten.code}.")
        ).delete()
        started = time.perf_counter()
        result = services.prevalence_recompute(kabupaten=kabupaten, quality=False)
        full_s = time.perf_counter() - started
        started = time.perf_counter()
        checked = services.quality_recompute_periods(
            kecamatan_ids=services.kecamatan_of(kabupaten), periods=periods, full=True
        )
        quality_s = time.perf_counter() - started
    details.append(
        f"full recompute: {full_s:.2f} s ({result.measurements:,} measurements read, {result.written:,} rows written, "
        f"{result.chunks} kecamatan, {result.periods} periods)"
    )
    details.append(
        f"data-quality summaries of the same months (a separate summary the same jobs refresh): {quality_s:.2f} s "
        f"({checked.measurements if checked else 0:,} measurements read)"
    )
    return result, full_s


def _incremental(
    kabupaten: Region, last_month: datetime.date, rng: random.Random, details: list[str]
) -> float:
    """Seconds of the refresh after one measurement of the last month changed (rolled back)."""
    sample = (
        Measurement.objects.filter(posyandu__desa__parent__parent=kabupaten, measured_on__gte=last_month)
        .select_related("child", "posyandu__desa")
        .order_by("pk")
    )
    changed = sample[rng.randrange(min(1000, sample.count()))]
    with rolled_back():
        Measurement.objects.filter(pk=changed.pk).update(haz_category=(changed.haz_category + 1) % 4)
        started = time.perf_counter()
        refreshed = services.prevalence_refresh(
            desa_ids=[changed.child.desa_id],
            posyandu_ids=[changed.posyandu_id],
            months=[changed.measured_on],
        )
        incremental_s = time.perf_counter() - started
    details.append(
        f"incremental refresh, prevalence and data quality (posyandu {changed.posyandu.name}, "
        f"{changed.measured_on:%Y-%m}): {incremental_s * 1000:.0f} ms "
        f"({sum(r.measurements for r in refreshed):,} measurements read, {sum(r.written for r in refreshed)} rows "
        "rewritten; `bench refresh` samples more changes)"
    )
    return incremental_s


def _dashboard_reads(kabupaten: Region, last_month: datetime.date) -> str:
    """The dashboard's reads touch the summaries only: the queries they make, and on which table."""
    from reports import selectors

    reader = User.objects.filter(is_superuser=True).first() or User(is_superuser=True)
    with CaptureQueriesContext(connection) as queries:
        selectors.region_series(user=reader, region=kabupaten)
        selectors.year_table(user=reader, region=kabupaten)
        list(
            selectors.summary_list(
                user=reader,
                level=PrevalenceSummary.Level.DESA,
                within=kabupaten,
                period_from=last_month,
                period_to=last_month,
            )
        )
    touched = [q["sql"] for q in queries.captured_queries if Measurement._meta.db_table in q["sql"]]
    return (
        f"dashboard reads: {len(queries.captured_queries)} queries, {len(touched)} on the measurements table"
    )


def _headline_kecamatan(kabupaten: Region) -> list[int]:
    """The first kecamatan holding at least 1,000,000 measurements together (all on a smaller district)."""
    per_kecamatan = dict(
        Measurement.objects.filter(posyandu__desa__parent__parent=kabupaten)
        .values_list("posyandu__desa__parent_id")
        .annotate(n=Count("pk"))
        .values_list("posyandu__desa__parent_id", "n")
    )
    subset, total = [], 0
    for kecamatan_id in services.kecamatan_of(kabupaten):
        if total >= MILLION:
            break
        subset.append(kecamatan_id)
        total += per_kecamatan.get(kecamatan_id, 0)
    return subset


def _scale_name(kecamatan_count: int) -> str:
    """The seed_demo scale whose kecamatan count the kabupaten has, else a plain "demo"."""
    from convergence.demo import SCALES

    names = [name for name, scale in SCALES.items() if scale.kecamatan_count == kecamatan_count]
    return f"{names[0]} demo" if names else "demo"


@dataclass(frozen=True)
class Measured:
    """The timed full recompute of the headline (`kecamatan` of the kabupaten), and of all of it."""

    seconds: float
    measurements: int
    kecamatan: int
    scale: str
    all_measurements: int
    all_seconds: float
    all_kecamatan: int
    history_years: int | None = None  # measurements spread over this many years (--history-years)


@dataclass(frozen=True)
class Loop:
    """The per-region ORM loop: `sampled` of `unit_months` timed, `seconds_each` on average."""

    sampled: int
    unit_months: int
    seconds_each: float

    def estimate_s(self, share: float) -> float:
        """The whole loop over a share of the measurements; years are unit-years on top (1/12 more)."""
        return self.seconds_each * self.unit_months * (1 + 1 / 12) * share


def prevalence_closing(
    measured: Measured, loop: Loop, *, incremental_s: float, prevalence_months: int, details: list[str]
) -> BenchResult:
    """The closing line names the run it reports: its measurement count, scale and kecamatan.

    The baseline is an estimate (a sample of unit-months timed, then scaled): its label says so.
    """
    share = measured.measurements / max(measured.all_measurements, 1)
    loop_s = loop.estimate_s(share)
    whole = measured.kecamatan == measured.all_kecamatan
    details.append(
        f"per-region ORM loop: {loop.sampled} of {loop.unit_months:,} unit-months timed, "
        f"{loop.seconds_each * 1000:.0f} ms each; estimated {loop.estimate_s(1.0):.0f} s for every unit and "
        f"month (and year)"
        + (
            ""
            if whole
            else f", {loop_s:.0f} s for the {measured.measurements:,} measurements of the headline"
        )
    )
    if measured.measurements >= MILLION:
        million_target = (
            f"{'met' if measured.seconds < 5 else 'NOT met'}: {measured.seconds:.2f} s over "
            f"{measured.measurements:,}"
        )
    else:
        million_target = (
            f"not measured: the whole kabupaten reads {measured.all_measurements:,} measurements "
            "(seed_demo --scale large for more)"
        )
    details.append(
        f"targets: full < 5 s over 1,000,000 measurements ({million_target}; all "
        f"{measured.all_measurements:,}: {measured.all_seconds:.2f} s), incremental < 1 s "
        f"({'met' if incremental_s < 1 else 'NOT met'}); PREVALENCE_MONTHS={prevalence_months}"
    )
    baseline = f"per-region ORM loop estimated from {loop.sampled} of {loop.unit_months:,} unit-months timed"
    if not whole:
        baseline += ", scaled by measurement count"
    return BenchResult(
        figure=measured.seconds * 1000,
        unit=(
            f"ms full recompute of {measured.measurements:,} measurements "
            + (f"over {measured.history_years} years " if measured.history_years else "")
            + f"({measured.scale}, {measured.kecamatan} of {measured.all_kecamatan} kecamatan)"
        ),
        ratio=loop_s / measured.seconds if measured.seconds else 0.0,
        baseline=baseline,
        details=details,
    )
