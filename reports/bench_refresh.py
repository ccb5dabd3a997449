"""`python manage.py bench refresh`: the incremental refresh after one measurement changed, against
recomputing the whole kecamatan chunk of the same months (what the refresh did before it followed
the desa and posyandu touched), on the seeded demo district.

Each sample changes one measurement of the latest month (inside a transaction rolled back), times the
refresh (prevalence and data-quality rows, as the Celery task runs it), then times the kecamatan
chunk recompute of the same months, which then finds nothing left to write (the refresh already wrote
what a recompute of the whole chunk computes; each sample line says so). Run it on PostgreSQL after
`seed_demo --scale large`; `--rows` sets the number of samples.
"""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass
from typing import Any

from django.db import connection

from children.models import Child, Measurement
from convergence.benchmarking import BenchResult, benchmark, rolled_back
from convergence.models import Region

from . import services
from .models import PrevalenceSummary

DEFAULT_SAMPLES = 15


@dataclass(frozen=True)
class Sample:
    refresh_s: float
    chunk_s: float
    read: int  # measurements the refresh read
    # Rows the chunk recompute still changed after the refresh: 0, but for children weighed in another
    # kecamatan, whose rows a chunk recompute (reading only its own posyandu's measurements of them)
    # counts differently from a full recompute; the refresh reads all of them, as a full recompute does.
    chunk_changed: int


def _one(kabupaten: Region, changed: Measurement) -> Sample:
    """Time the refresh after one change, then the kecamatan chunk recompute of the same months."""
    kecamatan = {changed.child.desa.parent_id, changed.posyandu.desa.parent_id} - {None}
    with rolled_back():
        Measurement.objects.filter(pk=changed.pk).update(haz_category=(changed.haz_category + 1) % 4)
        started = time.perf_counter()
        refreshed = services.prevalence_refresh(
            desa_ids=[changed.child.desa_id], posyandu_ids=[changed.posyandu_id], months=[changed.measured_on]
        )
        refresh_s = time.perf_counter() - started
        started = time.perf_counter()
        chunk = services.prevalence_recompute(
            kabupaten=kabupaten,
            kecamatan_ids=sorted(k for k in kecamatan if k is not None),
            periods=services.periods_for_months([changed.measured_on]),
        )
        chunk_s = time.perf_counter() - started
    return Sample(refresh_s, chunk_s, sum(r.measurements for r in refreshed), chunk.written + chunk.deleted)


@benchmark(
    "refresh",
    help_text="incremental refresh after one measurement changed vs recomputing its kecamatan chunk",
)
def run_refresh(*, out: Any, seed: int, rows: int | None = None, **options: Any) -> BenchResult:
    from convergence.demo import district_kabupaten

    kabupaten = district_kabupaten()
    if kabupaten is None:
        raise RuntimeError("seed the demo district first: python manage.py seed_demo --scale large")
    if connection.vendor == "postgresql":
        # The planner's statistics as autovacuum leaves them after a seed or an import.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Measurement._meta.db_table}, {Child._meta.db_table}")
    inside = Measurement.objects.filter(posyandu__desa__parent__parent=kabupaten)
    last = inside.order_by("-measured_on").values_list("measured_on", flat=True).first()
    if last is None:
        raise RuntimeError("the demo district has no measurement")
    latest = inside.filter(measured_on__gte=last.replace(day=1)).select_related(
        "child__desa", "posyandu__desa"
    )
    pks = list(latest.values_list("pk", flat=True).order_by("pk"))
    rng = random.Random(seed)
    chosen = rng.sample(pks, min(rows or DEFAULT_SAMPLES, len(pks)))
    total = inside.count()
    summaries = PrevalenceSummary.objects.filter(region__code__startswith=kabupaten.code).count()
    refresh, chunk, read = [], [], []
    for changed in latest.filter(pk__in=chosen).order_by("pk"):
        sample = _one(kabupaten, changed)
        refresh.append(sample.refresh_s)
        chunk.append(sample.chunk_s)
        read.append(sample.read)
        out.write(
            f"  {changed.posyandu.name} ({changed.measured_on:%Y-%m}): refresh {sample.refresh_s * 1000:,.0f} ms "
            f"({sample.read:,} measurements read), kecamatan chunk {sample.chunk_s * 1000:,.0f} ms "
            f"({sample.chunk_changed} rows left to change)"
        )
    median_refresh, median_chunk = statistics.median(refresh), statistics.median(chunk)
    return BenchResult(
        figure=median_refresh * 1000,
        unit=(
            f"ms median incremental refresh (prevalence + data quality) after one measurement of "
            f"{last:%Y-%m} changed, {len(refresh)} samples, max {max(refresh) * 1000:,.0f} ms, "
            f"median {statistics.median(read):,.0f} measurements read, in {kabupaten.name} "
            f"({total:,} measurements, {summaries:,} summary rows)"
        ),
        ratio=median_refresh / median_chunk if median_chunk else 0.0,
        baseline=f"recomputing the kecamatan chunk of the same months, median {median_chunk * 1000:,.0f} ms",
    )
