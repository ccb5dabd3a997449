"""The measurements of `bench province` in one database of N seeded kabupaten (reports/bench_province.py
runs this in a process of its own, with that database's DATABASE_URL).

Every write is inside a transaction rolled back (`rolled_back`), so the database stays as seeded and a
later run (`--reuse`) measures the same data. The figures come back as a `Figures` in a JSON file.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse

from children.models import Child, Measurement
from convergence.benchmarking import rolled_back
from convergence.demo import PROVINSI_CODE, district_kabupaten_all
from convergence.models import Region, Role, User

from . import services
from .locks import summaries_changed
from .models import PrevalenceSummary

RECOMPUTE_REPEATS = 2  # best of: the machine is shared
IMPORT_RUNS = 2  # one-thread csv imports, best of

# Every user reads the dashboard API and the page in turn, 0.5-1.5 s apart, as bench api's readers.
LOCUSTFILE = """
import itertools
import json
import os
import random

from locust import HttpUser, between, task

PLAN = json.loads(open(os.environ["BENCH_API_PLAN"]).read())
SEEDS = itertools.count(PLAN["seed"])


class Reader(HttpUser):
    wait_time = between(0.5, 1.5)

    def on_start(self):
        self.rng = random.Random(next(SEEDS))

    @task
    def read(self):
        target = self.rng.choice(PLAN["targets"])
        self.client.get(target["url"], headers={"Cookie": target["cookie"]}, name=target["name"])
"""


@dataclass(frozen=True)
class Target:
    """What the load reads: a label naming what it is (the closing table prints it), a path, a reader."""

    name: str
    url: str
    reader: str  # username


@dataclass
class Figures:
    """One database's figures (seconds unless named otherwise)."""

    kabupaten: int
    measurements: list[int]  # per kabupaten, by code
    recompute_all_s: float  # full recompute of every kabupaten, one after the other
    recompute_one_s: float  # the first kabupaten alone, the others loaded
    load_before: list[float]
    load_after: list[float]
    refresh_s: list[float] = field(default_factory=list)  # one incremental refresh per sample
    refresh_read: list[int] = field(default_factory=list)  # measurements each refresh read
    import_rows: int = 0
    import_s: float = 0.0
    web: dict[str, dict[str, float]] = field(default_factory=dict)  # target name -> stats
    web_note: str = ""
    seed_s: float | None = None  # set by the caller when it seeded the database
    # Per-kabupaten full recompute of every round (the caller's interleaved rounds; the figure is the best).
    rounds_s: list[float] = field(default_factory=list)

    @property
    def recompute_per_kabupaten_s(self) -> float:
        return self.recompute_all_s / self.kabupaten

    @property
    def import_rows_per_s(self) -> float:
        return self.import_rows / self.import_s if self.import_s else 0.0


def _kabupaten_rows(kabupaten: Region) -> Q:
    return Q(region=kabupaten) | Q(region__code__startswith=f"{kabupaten.code}.")


def recompute_times(kabupaten: list[Region]) -> tuple[float, float]:
    """(every kabupaten, the first alone): full recomputes from empty summaries, best of
    RECOMPUTE_REPEATS each, alternated; rolled back."""
    every: list[float] = []
    first: list[float] = []
    for _ in range(RECOMPUTE_REPEATS):
        for subset, found in ((kabupaten, every), (kabupaten[:1], first)):
            with rolled_back():
                rows = Q(pk__in=[])
                for region in subset:
                    rows |= _kabupaten_rows(region)
                PrevalenceSummary.objects.filter(rows).delete()
                started = time.perf_counter()
                for region in subset:
                    services.prevalence_recompute(kabupaten=region, quality=False)
                found.append(time.perf_counter() - started)
    return min(every), min(first)


def refresh_times(kabupaten: list[Region], *, samples: int, seed: int) -> tuple[list[float], list[int]]:
    """Seconds and measurements read of the incremental refresh (prevalence and data quality, as the
    Celery task runs it) after one measurement of the latest month changed, `samples` times, the
    kabupaten taken in turn; each change rolled back."""
    rng = random.Random(seed)
    seconds: list[float] = []
    read: list[int] = []
    for i in range(samples):
        region = kabupaten[i % len(kabupaten)]
        inside = Measurement.objects.filter(posyandu__desa__parent__parent=region)
        last = inside.order_by("-measured_on").values_list("measured_on", flat=True).first()
        if last is None:
            raise RuntimeError(f"kabupaten {region.code} has no measurement")
        latest = inside.filter(measured_on__gte=last.replace(day=1)).order_by("pk")
        changed = latest.select_related("child")[rng.randrange(min(1000, latest.count()))]
        with rolled_back():
            Measurement.objects.filter(pk=changed.pk).update(haz_category=(changed.haz_category + 1) % 4)
            started = time.perf_counter()
            refreshed = services.prevalence_refresh(
                desa_ids=[changed.child.desa_id],
                posyandu_ids=[changed.posyandu_id] if changed.posyandu_id else [],
                months=[changed.measured_on],
            )
            seconds.append(time.perf_counter() - started)
        read.append(sum(r.measurements for r in refreshed))
    return seconds, read


def import_time(*, rows: int, seed: int) -> tuple[int, float]:
    """(rows, seconds) of the best one-thread import of a synthetic e-PPGBM csv into the first
    kabupaten (bench import's generator and timing: committed inside a transaction rolled back)."""
    from children.bench_import import _timed_import
    from children.bench_import_data import import_inputs, synthetic_rows, write_csv

    inputs = import_inputs(seed)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "eppgbm.csv"
        write_csv(path, synthetic_rows(rows, seed, inputs))
        runs = [_timed_import(path, inputs["user"]) for _ in range(IMPORT_RUNS)]
    best = min(runs, key=lambda timed: timed.seconds)
    return best.report.rows_total, best.seconds


def _reverse(name: str, *args: str) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def targets(*, provinsi_code: str, kabupaten: Region) -> tuple[list[Target], str]:
    """The province dashboard API and page, read by the provincial Bappeda user, when both exist in this
    build; else the kabupaten dashboard API and page, read by the first kabupaten's Bappeda admin.
    Each target's name says which it is; the note says why a fallback was taken."""
    province_user = (
        User.objects.filter(role=Role.BAPPEDA_PROVINSI, provinsi__code=provinsi_code, is_active=True)
        .order_by("pk")
        .first()
    )
    kabupaten_user = (
        User.objects.filter(role=Role.BAPPEDA_ADMIN, kabupaten=kabupaten, is_active=True)
        .order_by("pk")
        .first()
    )
    if kabupaten_user is None:
        raise RuntimeError(f"no Bappeda admin in {kabupaten.code}: seed the demo first")
    api = _reverse("province-dashboard", provinsi_code)
    page = _reverse("reports:province-dashboard", provinsi_code)
    if province_user is not None and api and page:
        return [
            Target("province dashboard API", api, province_user.username),
            Target("province dashboard page", page, province_user.username),
        ], ""
    missing = [
        what
        for what, found in (
            ("the province dashboard API (url province-dashboard)", api),
            ("the province dashboard page (url reports:province-dashboard)", page),
            (f"a bappeda_provinsi user of {provinsi_code}", province_user),
        )
        if not found
    ]
    note = f"not in this build: {'; '.join(missing)}: the kabupaten dashboard measured instead"
    return [
        Target("kabupaten dashboard API (fallback)", reverse("dashboard"), kabupaten_user.username),
        Target("kabupaten dashboard page (fallback)", reverse("reports:dashboard"), kabupaten_user.username),
    ], note


def web_load(
    *, kabupaten: list[Region], users: int, seconds: int, seed: int
) -> tuple[dict[str, dict[str, float]], str]:
    """p50/p95 and counts per target under `users` locust users for `seconds` against gunicorn on this
    database; the summaries' cache versions are renewed first, so every run starts cold."""
    # reports.benchmarks registers this bench's module: imported here, not at the top, to avoid a cycle.
    from .benchmarks import _get, bench_session, locust_load, served

    chosen, note = targets(provinsi_code=PROVINSI_CODE, kabupaten=kabupaten[0])
    for region in kabupaten:
        summaries_changed(region.code)  # outside a transaction: at once
    sessions = {t.reader: bench_session(User.objects.get(username=t.reader)) for t in chosen}
    cookie = {reader: f"{settings.SESSION_COOKIE_NAME}={s.session_key}" for reader, s in sessions.items()}
    plan: dict[str, Any] = {
        "seed": seed,
        "targets": [{"name": t.name, "url": t.url, "cookie": cookie[t.reader]} for t in chosen],
    }
    try:
        with served() as (base, workers), tempfile.TemporaryDirectory() as folder:
            for target in plan["targets"]:
                status = _get(f"{base}{target['url']}", {"Cookie": target["cookie"]})
                if status != 200:
                    note = f"{note}; {target['name']} answered {status}".lstrip("; ")
            for _ in range(2 * workers):  # start-up of each worker is not load
                for target in plan["targets"]:
                    _get(f"{base}{target['url']}", {"Cookie": target["cookie"]})
            stats = locust_load(
                base=base, locustfile=LOCUSTFILE, plan=plan, users=users, seconds=seconds, folder=Path(folder)
            )
    finally:
        for store in sessions.values():
            store.delete()
    found = {
        name: {"requests": s.requests, "failures": s.failures, "p50_ms": s.p50_ms, "p95_ms": s.p95_ms}
        for name, s in stats.items()
        if name != "Aggregated"
    }
    return found, note


def measure(
    *,
    expected: int,
    seed: int,
    refresh_samples: int,
    import_rows: int,
    users: int,
    seconds: int,
    recompute_only: bool = False,
) -> Figures:
    """Every figure of `bench province` in this database, which must hold `expected` demo kabupaten
    (with `recompute_only`, the recomputes alone: one of the caller's interleaved rounds)."""
    if connection.vendor != "postgresql":
        raise RuntimeError("bench province measures PostgreSQL databases")
    kabupaten = district_kabupaten_all()
    if len(kabupaten) != expected:
        raise RuntimeError(f"{len(kabupaten)} demo kabupaten in this database, {expected} expected")
    load_before = list(os.getloadavg())
    with connection.cursor() as cursor:
        # The planner's statistics as autovacuum leaves them after a seed (the seed just committed).
        cursor.execute(f"ANALYZE {Measurement._meta.db_table}, {Child._meta.db_table}")
    per = dict(
        Measurement.objects.filter(posyandu__desa__parent__parent__in=kabupaten)
        .values_list("posyandu__desa__parent__parent_id")
        .annotate(n=Count("pk"))
        .values_list("posyandu__desa__parent__parent_id", "n")
    )
    all_s, one_s = recompute_times(kabupaten)
    if recompute_only:
        return Figures(
            kabupaten=len(kabupaten),
            measurements=[per.get(region.pk, 0) for region in kabupaten],
            recompute_all_s=all_s,
            recompute_one_s=one_s,
            load_before=load_before,
            load_after=list(os.getloadavg()),
        )
    refresh_s, refresh_read = refresh_times(kabupaten, samples=refresh_samples, seed=seed)
    rows, import_s = import_time(rows=import_rows, seed=seed) if import_rows else (0, 0.0)
    web: dict[str, dict[str, float]] = {}
    note = "not measured (--users 0)"
    if users:
        web, note = web_load(kabupaten=kabupaten, users=users, seconds=seconds, seed=seed)
    return Figures(
        kabupaten=len(kabupaten),
        measurements=[per.get(region.pk, 0) for region in kabupaten],
        recompute_all_s=all_s,
        recompute_one_s=one_s,
        refresh_s=refresh_s,
        refresh_read=refresh_read,
        import_rows=rows,
        import_s=import_s,
        load_before=load_before,
        load_after=list(os.getloadavg()),
        web=web,
        web_note=note,
    )


def main(result_path: str, options: str) -> None:
    """Entry point of the measuring process: the options as JSON, the figures written as JSON."""
    figures = measure(**json.loads(options))
    Path(result_path).write_text(json.dumps(asdict(figures)))


def figures_from(data: dict[str, Any]) -> Figures:
    return Figures(**data)


def median_refresh_s(figures: Figures) -> float:
    return statistics.median(figures.refresh_s)
