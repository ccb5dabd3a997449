"""`python manage.py bench province`: the per-kabupaten costs of a province of N kabupaten, N = 1, 2, 4.

For each N a PostgreSQL database on the same server, named after the current one plus `_prov<N>`, is
built with `seed_demo --kabupaten N` (migrated once, the others cloned from that empty schema, then
seeded each in a process of its own) and VACUUM ANALYZEd. In each, a separate process
(reports/bench_province_measure.py) measures:

- the full prevalence recompute of all N kabupaten from empty summaries (per kabupaten: total / N),
  and of the first kabupaten alone while the N are loaded;
- the incremental refresh after one measurement changed (prevalence and data quality, as the Celery
  task runs it): median and max of several samples, the kabupaten in turn;
- import rows/s of a synthetic e-PPGBM csv into the first kabupaten (bench import's generator);
- p95 of the province dashboard API and page under 50 locust users, as the provincial Bappeda user
  (the kabupaten dashboard and its Bappeda admin where this build has no province dashboard, labelled).

The recomputes are measured in rounds, the N's interleaved (N=1, 2, 4, N=1, 2, 4, ...), and the best
round of each N kept: on a shared machine the load moves every N alike, and the slowest round is
printed beside it as the noise. The table gives each figure per N with the ratio N=max/N=1 (costs per
unit of work: time per kabupaten, time per row, p95) against the 1.3x target, and the refresh
against 1 s. Load needs locust
(requirements-bench.txt) on the PYTHONPATH, as for `bench api`.

Options: `--rows` import rows (default 100,000; 0 leaves the import out), `--users` (default 50; 0 leaves
the load out), `--seconds` of load per N (default 60); in the environment BENCH_PROVINCE_N (default
"1,2,4"), BENCH_PROVINCE_SCALE (default "province", about 500,000 measurements a kabupaten),
BENCH_PROVINCE_REUSE=1 (keep a database already seeded for that N and scale), BENCH_PROVINCE_ROUNDS
(recompute rounds, default 3), BENCH_PROVINCE_SAMPLES (refresh samples, default 9).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from convergence.benchmarking import BenchResult, benchmark

from .bench_province_measure import Figures, figures_from

DEFAULT_COUNTS = (1, 2, 4)
DEFAULT_SCALE = "province"
DEFAULT_IMPORT_ROWS = 100_000
DEFAULT_USERS = 50
DEFAULT_SECONDS = 60
DEFAULT_SAMPLES = 9
DEFAULT_ROUNDS = 3
DEMO_SEED = 2026
FLAT = 1.3  # the N=4 cost per unit of work may be at most this times N=1's
REFRESH_TARGET_S = 1.0


@dataclass(frozen=True)
class Options:
    counts: tuple[int, ...]
    scale: str
    reuse: bool
    rounds: int
    samples: int
    import_rows: int
    users: int
    seconds: int
    seed: int


def options_from_env(*, rows: int | None, users: int | None, seconds: int | None, seed: int) -> Options:
    counts = tuple(
        int(n)
        for n in os.environ.get("BENCH_PROVINCE_N", ",".join(map(str, DEFAULT_COUNTS))).split(",")
        if n.strip()
    )
    if not counts or counts[0] != 1:
        raise RuntimeError("BENCH_PROVINCE_N must start with 1 (the baseline), e.g. 1,2,4")
    return Options(
        counts=counts,
        scale=os.environ.get("BENCH_PROVINCE_SCALE", DEFAULT_SCALE),
        reuse=os.environ.get("BENCH_PROVINCE_REUSE", "0") == "1",
        rounds=max(1, int(os.environ.get("BENCH_PROVINCE_ROUNDS", DEFAULT_ROUNDS))),
        samples=int(os.environ.get("BENCH_PROVINCE_SAMPLES", DEFAULT_SAMPLES)),
        import_rows=DEFAULT_IMPORT_ROWS if rows is None else rows,
        users=DEFAULT_USERS if users is None else users,
        seconds=seconds or DEFAULT_SECONDS,
        seed=seed,
    )


# --- the databases -----------------------------------------------------------------------------------


def _server(dbname: str) -> Any:
    """An autocommit connection to `dbname` on the current database's server (CREATE/DROP DATABASE
    cannot run inside the transaction a Django connection may be in)."""
    import psycopg

    s = connection.settings_dict
    return psycopg.connect(
        host=s["HOST"] or None,
        port=s["PORT"] or None,
        user=s["USER"] or None,
        password=s["PASSWORD"] or None,
        dbname=dbname,
        autocommit=True,
    )


def database_url(name: str) -> str:
    s = connection.settings_dict
    password = f":{quote(s['PASSWORD'], safe='')}" if s["PASSWORD"] else ""
    port = f":{s['PORT']}" if s["PORT"] else ""
    return f"postgres://{quote(s['USER'] or '', safe='')}{password}@{s['HOST'] or '127.0.0.1'}{port}/{name}"


def database_name(count: int) -> str:
    return f"{connection.settings_dict['NAME']}_prov{count}"


def marker(count: int, scale: str) -> str:
    """The comment a built database carries: what it was seeded with, so `--reuse` knows it."""
    return f"bench province: seed_demo --kabupaten {count} --scale {scale} --seed {DEMO_SEED}"


def _comment(name: str) -> str | None:
    with _server("postgres") as server:
        row = server.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
    return None if row is None else row[0]


def _env(name: str) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": database_url(name)}
    env.pop("DATABASE_REPLICA_URL", None)  # the replicas are the current database's, not this one's
    return env


def _manage(name: str, *args: str) -> str:
    done = subprocess.run(  # noqa: S603 (argv built here, no shell)
        [sys.executable, "manage.py", *args],
        env=_env(name),
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} in {name} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def build(counts: list[int], scale: str, write: Callable[[str], None]) -> dict[int, float]:
    """Create, migrate (once; the others cloned from the empty schema) and seed a database per N;
    seconds of each seed."""
    names = {count: database_name(count) for count in counts}
    first = None
    with _server("postgres") as server:
        for name in names.values():
            server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if first is None:
                server.execute(f'CREATE DATABASE "{name}"')
                started = time.perf_counter()
                _manage(name, "migrate", "--no-input", "-v", "0")
                write(f"{name}: migrated in {time.perf_counter() - started:.0f} s")
                first = name
            else:
                server.execute(f'CREATE DATABASE "{name}" TEMPLATE "{first}"')
    seeded = {}
    for count in names:
        name = names[count]
        started = time.perf_counter()
        _manage(name, "seed_demo", "--kabupaten", str(count), "--scale", scale, "--seed", str(DEMO_SEED))
        seeded[count] = time.perf_counter() - started
        with _server(name) as database:
            database.execute("VACUUM ANALYZE")
        with _server("postgres") as server:
            server.execute(f"COMMENT ON DATABASE \"{name}\" IS '{marker(count, scale)}'")
        write(f"{name}: seeded {count} kabupaten ({scale}) in {seeded[count]:.0f} s")
    return seeded


def measure_in(name: str, *, count: int, options: Options, recompute_only: bool = False) -> Figures:
    """Run bench_province_measure in a process of its own with `name`'s DATABASE_URL."""
    arguments = {
        "recompute_only": recompute_only,
        "expected": count,
        "seed": options.seed,
        "refresh_samples": options.samples,
        "import_rows": options.import_rows,
        "users": options.users,
        "seconds": options.seconds,
    }
    with tempfile.TemporaryDirectory() as folder:
        result = Path(folder) / "figures.json"
        code = (
            "import sys, django; django.setup(); from reports.bench_province_measure import main; "
            "main(sys.argv[1], sys.argv[2])"
        )
        done = subprocess.run(  # noqa: S603 (argv built here, no shell)
            [sys.executable, "-c", code, str(result), json.dumps(arguments)],
            env={**_env(name), "DJANGO_SETTINGS_MODULE": "config.settings"},
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            raise RuntimeError(f"measuring {name} failed:\n{done.stderr[-3000:]}")
        return figures_from(json.loads(result.read_text()))


# --- the table ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    label: str
    values: list[float | None]  # per run, in run order
    kind: str  # "cost" (ratio = N/N1), "rate" (ratio = N1/N: time per row), "refresh", "info"
    digits: int = 0


def _web_rows(runs: list[Figures]) -> list[Row]:
    names = sorted({name for run in runs for name in run.web})
    rows = []
    for name in names:
        rows.append(Row(f"{name} p95 (ms)", [_stat(run, name, "p95_ms") for run in runs], "cost"))
        rows.append(Row(f"{name} p50 (ms)", [_stat(run, name, "p50_ms") for run in runs], "info"))
        rows.append(Row(f"{name} requests", [_stat(run, name, "requests") for run in runs], "info"))
        rows.append(Row(f"{name} errors", [_stat(run, name, "failures") for run in runs], "info"))
    return rows


def _stat(run: Figures, name: str, key: str) -> float | None:
    found = run.web.get(name)
    return None if found is None else float(found[key])


def _median(values: list[float] | list[int], scale: float) -> float | None:
    return statistics.median(values) * scale if values else None


def rows_of(runs: list[Figures]) -> list[Row]:
    return [
        Row("measurements per kabupaten", [statistics.mean(r.measurements) for r in runs], "info"),
        Row(
            "seed per kabupaten (s)", [r.seed_s / r.kabupaten if r.seed_s else None for r in runs], "info", 1
        ),
        Row("full recompute per kabupaten (ms)", [r.recompute_per_kabupaten_s * 1000 for r in runs], "cost"),
        Row(
            "full recompute, slowest round (ms)",
            [max(r.rounds_s, default=0) * 1000 or None for r in runs],
            "info",
        ),
        Row("first kabupaten alone, N loaded (ms)", [r.recompute_one_s * 1000 for r in runs], "cost"),
        Row(
            "incremental refresh median (ms)",
            [statistics.median(r.refresh_s) * 1000 for r in runs],
            "refresh",
        ),
        Row("incremental refresh max (ms)", [max(r.refresh_s) * 1000 for r in runs], "refresh"),
        Row("refresh: measurements read (median)", [statistics.median(r.refresh_read) for r in runs], "info"),
        Row("import rows/s", [r.import_rows_per_s or None for r in runs], "rate"),
        *_web_rows(runs),
        Row("load average (1 min) at start", [r.load_before[0] for r in runs], "info", 2),
        Row("load average (1 min) at end", [r.load_after[0] for r in runs], "info", 2),
    ]


def ratio_of(row: Row, first: float | None, last: float | None) -> float | None:
    """The cost ratio of the last N to N=1 (for a rate: of time per row)."""
    if first is None or last is None or not first or not last:
        return None
    return first / last if row.kind == "rate" else last / first


def verdict(row: Row, ratio: float | None, values: list[float | None]) -> str:
    if row.kind == "refresh":
        measured = [v for v in values if v is not None]
        if not measured:
            return ""
        worst = max(measured)
        return f"{'met' if worst < REFRESH_TARGET_S * 1000 else 'NOT met'}: < 1 s at every N"
    if row.kind == "info" or ratio is None:
        return ""
    return f"{'flat' if ratio <= FLAT else 'NOT flat'} (target <= {FLAT}x)"


def table(runs: list[Figures], headers: list[str]) -> list[str]:
    """The figures per run, the ratio of the largest N to N=1 and its verdict."""
    last = max(range(len(runs)), key=lambda i: runs[i].kabupaten)
    width = 46
    lines = [
        f"{'figure':<{width}}" + "".join(f"{h:>12}" for h in headers) + f"{'ratio':>8}  verdict",
    ]
    for row in rows_of(runs):
        cells = "".join(f"{'-' if v is None else f'{v:,.{row.digits}f}':>12}" for v in row.values)
        ratio = ratio_of(row, row.values[0], row.values[last])
        shown = "" if ratio is None or row.kind == "info" else f"{ratio:.2f}x"
        lines.append(f"{row.label:<{width}}{cells}{shown:>8}  {verdict(row, ratio, row.values)}".rstrip())
    return lines


@benchmark(
    "province",
    help_text="per-kabupaten recompute, refresh, import and dashboard p95 at N = 1, 2, 4 seeded kabupaten",
)
def run_province(
    *,
    out: Any,
    seed: int,
    rows: int | None = None,
    users: int | None = None,
    seconds: int | None = None,
    **_: Any,
) -> BenchResult:
    """Figures per N and their N=max/N=1 ratios; the closing line is the per-kabupaten full recompute."""
    if connection.vendor != "postgresql":
        raise RuntimeError("bench province builds PostgreSQL databases: set DATABASE_URL")
    options = options_from_env(rows=rows, users=users, seconds=seconds, seed=seed)

    def write(line: str) -> None:
        out.write(line)
        out.flush()

    wanted = [
        n
        for n in options.counts
        if not options.reuse or _comment(database_name(n)) != marker(n, options.scale)
    ]
    seeded = build(wanted, options.scale, write) if wanted else {}
    for count in options.counts:
        if count not in wanted:
            # A database kept from an earlier run gets the migrations added since (nothing, usually).
            _manage(database_name(count), "migrate", "--no-input", "-v", "0")
            write(f"{database_name(count)}: reused, migrations applied")
    rounds: dict[int, list[tuple[float, float]]] = {count: [] for count in options.counts}
    for number in range(1, options.rounds):
        for count in options.counts:
            alone = measure_in(database_name(count), count=count, options=options, recompute_only=True)
            rounds[count].append((alone.recompute_all_s, alone.recompute_one_s))
            write(f"round {number}: N={count} recomputed (load average {alone.load_before[0]:.2f})")
    runs = []
    for count in options.counts:
        figures = measure_in(database_name(count), count=count, options=options)
        figures.seed_s = seeded.get(count)
        write(f"N={count}: measured in {database_name(count)} (load average {figures.load_before[0]:.2f})")
        found = [*rounds[count], (figures.recompute_all_s, figures.recompute_one_s)]
        figures.recompute_all_s = min(every for every, _ in found)
        figures.recompute_one_s = min(one for _, one in found)
        figures.rounds_s = [every / count for every, _ in found]
        runs.append(figures)
    return closing(runs, options)


def closing(runs: list[Figures], options: Options) -> BenchResult:
    headers = [f"N={run.kabupaten}" for run in runs]
    details = [
        f"database: {connection.settings_dict['NAME']}_prov<N> on the same server; scale {options.scale}, "
        f"recomputes best of {options.rounds} interleaved rounds, {options.samples} refresh samples, "
        f"{options.import_rows:,} import rows, {options.users} users for {options.seconds} s",
        *table(runs, headers),
    ]
    notes = sorted({run.web_note for run in runs if run.web_note})
    details += [f"load: {note}" for note in notes]
    first = runs[0]
    last = max(runs, key=lambda run: run.kabupaten)
    ratio = last.recompute_per_kabupaten_s / first.recompute_per_kabupaten_s
    details.append(
        "noise: per-kabupaten full recompute over the rounds, best-worst: "
        + ", ".join(
            f"N={run.kabupaten} {min(run.rounds_s) * 1000:,.0f}-{max(run.rounds_s) * 1000:,.0f} ms"
            for run in runs
        )
    )
    return BenchResult(
        figure=last.recompute_per_kabupaten_s * 1000,
        unit=(
            f"ms full recompute per kabupaten at N={last.kabupaten} "
            f"({statistics.mean(last.measurements):,.0f} measurements each)"
        ),
        ratio=ratio,
        baseline=(
            f"N=1, {first.recompute_per_kabupaten_s * 1000:,.0f} ms; ratio {ratio:.2f}, "
            f"{'flat' if ratio <= FLAT else 'NOT flat'} against {FLAT}x"
        ),
        details=details,
    )
