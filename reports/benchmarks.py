"""`python manage.py bench api`: the dashboard and the prevalence API under load, against computing the
same figures from the measurements on every request.

Served: gunicorn (sync workers, DEBUG off) on 127.0.0.1 with the current DATABASE_URL, loaded by
locust (headless, requirements-bench.txt) with 50 users for 2 minutes by default; each user waits
0.5-1.5 s between requests and mixes:

- the desa figures of a kecamatan for a month (`prevalence/?level=desa&within=...`),
- every kecamatan's figures for a month (`prevalence/?level=kecamatan&...`),
- the year table with its targets of the kabupaten or a kecamatan (`prevalence/targets/?region=...`),
- the August table of a desa (`prevalence/targets/?region=...&month=8`),
- the district head's dashboard (`dasbor/`), as the kabupaten's Bappeda admin.

The API calls use the demo API client's token; the dashboard a session created for the bench and
deleted after it, as is a token created when the demo has none.

Baseline, in the same run: the same API requests (a sample drawn from the same mix) answered without
the summary tables: for each region and period one ORM query per index (the latest valid TB/U, BB/TB
and BB/U of each child living there, counted by category) plus the registered count, as a view reading
the measurements would do. They are timed one at a time in this process, after the load (no
contention, no HTTP), so the baseline is flattered; the ratio is baseline p95 / served p95 of every
request, the dashboard included.

Options: `--users N`, `--seconds S` (or BENCH_USERS, BENCH_SECONDS in the environment); BENCH_DASHBOARD=0
leaves the dashboard out, to see the API alone under the same load.
"""

from __future__ import annotations

import csv
import datetime
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import connection
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils.module_loading import import_string

from convergence.benchmarking import BenchResult, benchmark
from convergence.codes import Level
from convergence.models import Region, Role, User
from reports import compute
from reports.models import PrevalenceSummary

DEFAULT_USERS = 50
DEFAULT_SECONDS = 120
BASELINE_SAMPLE = 40
BASELINE_BUDGET_S = 60.0
TARGET_P95_MS = 300.0

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
        self.api = {"Authorization": "Token " + PLAN["token"]}
        self.client.cookies.set(PLAN["session_cookie"], PLAN["session"])

    def _month(self):
        return self.rng.choice(PLAN["months"])

    @task(3)
    def desa_of_a_kecamatan(self):
        month = self._month()
        params = {"level": "desa", "within": self.rng.choice(PLAN["kecamatan"]), "period_kind": "M",
                  "period_from": month, "period_to": month}
        self.client.get("/api/v1/prevalence/", params=params, headers=self.api, name="prevalence desa")

    @task(2)
    def every_kecamatan(self):
        month = self._month()
        params = {"level": "kecamatan", "period_kind": "M", "period_from": month, "period_to": month}
        self.client.get("/api/v1/prevalence/", params=params, headers=self.api, name="prevalence kecamatan")

    @task(2)
    def year_table(self):
        region = self.rng.choice([PLAN["kabupaten"], *PLAN["kecamatan"]])
        self.client.get("/api/v1/prevalence/targets/", params={"region": region}, headers=self.api,
                        name="targets")

    @task(1)
    def august_of_a_desa(self):
        params = {"region": self.rng.choice(PLAN["desa"]), "month": 8}
        self.client.get("/api/v1/prevalence/targets/", params=params, headers=self.api, name="targets desa")

    @task(2)
    def dashboard(self):
        if PLAN["dashboard"]:
            self.client.get("/dasbor/", name="dasbor")

    @task(1)
    def dashboard_api(self):
        # Bappeda's session: the token's demo client is an OPD officer, whom the dashboard refuses.
        if PLAN["dashboard"]:
            self.client.get("/api/v1/dashboard/", name="dashboard api")
"""


@dataclass(frozen=True)
class Stats:
    name: str
    requests: int
    failures: int
    p50_ms: float
    p95_ms: float
    rps: float


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, headers: dict[str, str] | None = None) -> int:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 (our own http://127.0.0.1 URLs)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback only)
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def _wait_until_up(base: str, server: subprocess.Popen, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited at start-up; see its output above")
        try:
            if _get(f"{base}/healthz") == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer /healthz within a minute")


def _bench_kabupaten() -> Region:
    """The kabupaten with the most summary rows (the seeded demo district)."""
    row = (
        PrevalenceSummary.objects.filter(level=PrevalenceSummary.Level.KABUPATEN)
        .values("region_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    if row is None:
        raise RuntimeError(
            "bench api needs prevalence summaries: run `python manage.py seed_demo` (or recompute_prevalence)"
        )
    return Region.objects.get(pk=row["region_id"])


def bench_session(user: User) -> Any:
    """A saved session logged in as `user` (the caller deletes it after the load)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    # The first backend that loads users from the session (axes' comes first and does not).
    store[BACKEND_SESSION_KEY] = next(
        path for path in settings.AUTHENTICATION_BACKENDS if hasattr(import_string(path), "get_user")
    )
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return store


def _credentials(kabupaten: Region) -> tuple[str, str, list[Any]]:
    """(token key, session key, rows to delete afterwards): the demo API client's token when there is one."""
    from rest_framework.authtoken.models import Token

    from convergence.demo import API_USERNAME

    created: list[Any] = []
    admin = (
        User.objects.filter(role=Role.BAPPEDA_ADMIN, kabupaten=kabupaten, is_active=True)
        .order_by("pk")
        .first()
    )
    if admin is None:
        raise RuntimeError(f"no Bappeda admin in {kabupaten.code}: seed the demo district first")
    token = Token.objects.filter(user__username=API_USERNAME, user__is_active=True).first()
    if token is None:
        token = Token.objects.filter(user=admin).first()
    if token is None:
        token = Token.objects.create(user=admin)
        created.append(token)
    store = bench_session(admin)
    created.append(store)
    return token.key, str(store.session_key), created


def _plan(kabupaten: Region, seed: int) -> dict[str, Any]:
    months = list(
        PrevalenceSummary.objects.filter(
            region=kabupaten, period_kind=PrevalenceSummary.PeriodKind.MONTH, measured__gt=0
        )
        .order_by("period")
        .values_list("period", flat=True)
    )
    kecamatan = list(
        Region.objects.filter(parent=kabupaten, level=Level.KECAMATAN)
        .order_by("code")
        .values_list("code", flat=True)
    )
    desa = list(
        Region.objects.filter(parent__parent=kabupaten, level__in=[Level.DESA, Level.KELURAHAN])
        .order_by("code")
        .values_list("code", flat=True)
    )
    return {
        "seed": seed,
        "kabupaten": kabupaten.code,
        "kecamatan": kecamatan,
        "desa": desa,
        "months": [m.isoformat() for m in months[-12:]],
    }


def _read_stats(prefix: Path) -> dict[str, Stats]:
    stats = {}
    with open(f"{prefix}_stats.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            if not int(row["Request Count"]):
                continue
            stats[row["Name"]] = Stats(
                name=row["Name"],
                requests=int(row["Request Count"]),
                failures=int(row["Failure Count"]),
                p50_ms=float(row["50%"]),
                p95_ms=float(row["95%"]),
                rps=float(row["Requests/s"]),
            )
    return stats


def _warm_up(base: str, plan: dict[str, Any], workers: int) -> None:
    """A few requests of each kind per worker first, so that start-up (URLconf, schema of the first
    queries) is not counted as load."""
    api = {"Authorization": f"Token {plan['token']}"}
    cookie = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={plan['session']}"}
    month = plan["months"][-1]
    for _ in range(2 * workers):
        _get(
            f"{base}/api/v1/prevalence/?level=kecamatan&period_kind=M&period_from={month}&period_to={month}",
            api,
        )
        _get(f"{base}/api/v1/prevalence/targets/?region={plan['kabupaten']}", api)
        if plan["dashboard"]:
            _get(f"{base}/dasbor/", cookie)
            _get(f"{base}/api/v1/dashboard/", cookie)


@contextmanager
def served() -> Iterator[tuple[str, int]]:
    """gunicorn (sync workers, DEBUG off) on a free loopback port with this process's environment (its
    DATABASE_URL): (base URL, workers) while the block runs."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    workers = 2 * (os.cpu_count() or 1) + 1
    # Static files are not part of the load: no collectstatic, no manifest (and no warning about it).
    env = {
        **os.environ,
        "DJANGO_DEBUG": "false",
        "STATIC_MANIFEST": "false",
        "PYTHONWARNINGS": "ignore:No directory at",
    }
    gunicorn = [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    gunicorn += ["--workers", str(workers), "--log-level", "warning"]
    server = subprocess.Popen(gunicorn, env=env, cwd=settings.BASE_DIR)  # noqa: S603 (argv built above, no shell)
    try:
        _wait_until_up(base, server)
        yield base, workers
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def locust_load(
    *, base: str, locustfile: str, plan: dict[str, Any], users: int, seconds: int, folder: Path
) -> dict[str, Stats]:
    """Run `locustfile` headless against `base` (the plan in BENCH_API_PLAN); its stats by name."""
    plan_path = folder / "plan.json"
    plan_path.write_text(json.dumps(plan))
    path = folder / "locustfile.py"
    path.write_text(locustfile)
    prefix = folder / "run"
    command = [sys.executable, "-m", "locust", "-f", str(path), "--headless", "--only-summary"]
    command += ["-u", str(users), "-r", str(max(1, users // 5)), "-t", f"{seconds}s"]
    command += ["--host", base, "--csv", str(prefix), "--loglevel", "ERROR", "--stop-timeout", "5"]
    # locust exits 1 when a request failed: the stats say which
    subprocess.run(  # noqa: S603 (argv built above, no shell)
        command, env={**os.environ, "BENCH_API_PLAN": str(plan_path)}, check=False, capture_output=True
    )
    return _read_stats(prefix)


def _serve_and_load(
    *, plan: dict[str, Any], users: int, seconds: int, folder: Path
) -> tuple[dict[str, Stats], int]:
    with served() as (base, workers):
        # The dashboard may not exist in every build: probe it once and leave it out if it answers 404.
        cookie = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={plan['session']}"}
        plan["dashboard"] = (
            os.environ.get("BENCH_DASHBOARD", "1") != "0" and _get(f"{base}/dasbor/", cookie) != 404
        )
        _warm_up(base, plan, workers)
        stats = locust_load(
            base=base, locustfile=LOCUSTFILE, plan=plan, users=users, seconds=seconds, folder=folder
        )
        return stats, workers


# --- the baseline: the same figures from the measurements ------------------------------------------------


def _latest_valid(children: Q, start: datetime.date, end: datetime.date, column: str) -> dict[str, int]:
    """Category counts of the latest valid value of `column` per child measured in [start, end)."""
    from children.models import Measurement

    in_period = Measurement.objects.filter(children, measured_on__gte=start, measured_on__lt=end)
    latest = (
        in_period.filter(**{f"{column}__gte": 0}, child_id=OuterRef("child_id"))
        .order_by("-measured_on", "-pk")
        .values("pk")[:1]
    )
    rows = (
        in_period.filter(**{f"{column}__gte": 0}, pk=Subquery(latest))
        .values(column)
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {str(row[column]): int(row["n"]) for row in rows}


def _on_the_fly(region_code: str, start: datetime.date, end: datetime.date) -> list[compute.Proportion]:
    """Stunting, wasting, underweight and coverage of children living in the region, from measurements."""
    from children.models import Child, Measurement

    children = Q(child__desa__code=region_code) | Q(child__desa__code__startswith=f"{region_code}.")
    haz = _latest_valid(children, start, end, "haz_category")
    whz = _latest_valid(children, start, end, "whz_category")
    waz = _latest_valid(children, start, end, "waz_category")
    living = Q(desa__code=region_code) | Q(desa__code__startswith=f"{region_code}.")
    registered = Child.objects.filter(living).count()
    measured = (
        Measurement.objects.filter(children, measured_on__gte=start, measured_on__lt=end)
        .values("child_id")
        .distinct()
        .count()
    )
    return [
        compute.wilson_interval(haz.get("0", 0) + haz.get("1", 0), sum(haz.values())),
        compute.wilson_interval(whz.get("0", 0) + whz.get("1", 0), sum(whz.values())),
        compute.wilson_interval(waz.get("0", 0) + waz.get("1", 0), sum(waz.values())),
        compute.wilson_interval(measured, registered),
    ]


def _month_span(month: str) -> tuple[datetime.date, datetime.date]:
    start = datetime.date.fromisoformat(month)
    end = (start.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return start, end


def _baseline_request(
    plan: dict[str, Any], rng: random.Random
) -> tuple[str, list[tuple[str, datetime.date, datetime.date]]]:
    """One request of the API mix, as the (region, period) figures it needs."""
    kind = rng.choices(["desa", "kecamatan", "targets", "targets desa"], weights=[3, 2, 2, 1])[0]
    years = sorted({m[:4] for m in plan["months"]})
    if kind == "desa":
        kecamatan = rng.choice(plan["kecamatan"])
        start, end = _month_span(rng.choice(plan["months"]))
        return kind, [(code, start, end) for code in plan["desa"] if code.startswith(f"{kecamatan}.")]
    if kind == "kecamatan":
        start, end = _month_span(rng.choice(plan["months"]))
        return kind, [(code, start, end) for code in plan["kecamatan"]]
    if kind == "targets":
        region = rng.choice([plan["kabupaten"], *plan["kecamatan"]])
        spans = [(datetime.date(int(y), 1, 1), datetime.date(int(y) + 1, 1, 1)) for y in years]
        return kind, [(region, start, end) for start, end in spans]
    desa = rng.choice(plan["desa"])
    return kind, [(desa, *_month_span(f"{y}-08-01")) for y in years]


def _baseline(plan: dict[str, Any], seed: int) -> tuple[list[float], int]:
    """Milliseconds per request of the sampled mix computed on the fly, within a time budget."""
    rng = random.Random(seed)
    timings: list[float] = []
    figures = 0
    started = time.monotonic()
    while len(timings) < BASELINE_SAMPLE and time.monotonic() - started < BASELINE_BUDGET_S:
        _, needed = _baseline_request(plan, rng)
        t0 = time.perf_counter()
        for region, start, end in needed:
            _on_the_fly(region, start, end)
        timings.append((time.perf_counter() - t0) * 1000)
        figures += len(needed)
    return timings, figures


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


@benchmark(
    "api", help_text="dashboard and prevalence API under load (locust + gunicorn) vs on-the-fly figures"
)
def run_api(
    *,
    out: Any,
    rows: int | None = None,
    seed: int,
    users: int | None = None,
    seconds: int | None = None,
    **_: Any,
) -> BenchResult:
    """p95 latency of the dashboard and prevalence API under load, with the on-the-fly baseline."""
    users = users or int(os.environ.get("BENCH_USERS", DEFAULT_USERS))
    seconds = seconds or int(os.environ.get("BENCH_SECONDS", DEFAULT_SECONDS))
    kabupaten = _bench_kabupaten()
    plan = _plan(kabupaten, seed)
    token, session, created = _credentials(kabupaten)
    plan.update(token=token, session=session, session_cookie=settings.SESSION_COOKIE_NAME)
    try:
        with tempfile.TemporaryDirectory() as folder:
            stats, workers = _serve_and_load(plan=plan, users=users, seconds=seconds, folder=Path(folder))
    finally:
        for row in created:
            row.delete()
    if "Aggregated" not in stats:
        raise RuntimeError("locust recorded no request")
    total = stats["Aggregated"]
    timings, figures = _baseline(plan, seed)
    base_p50, base_p95 = _p(timings, 0.50), _p(timings, 0.95)
    summaries = PrevalenceSummary.objects.filter(region__code__startswith=kabupaten.code).count()
    details = [
        f"database: {connection.vendor} {connection.settings_dict['NAME']}; kabupaten {kabupaten.code} "
        f"({len(plan['kecamatan'])} kecamatan, {len(plan['desa'])} desa, {summaries:,} summary rows)",
        f"served: gunicorn {workers} sync workers on 127.0.0.1, DEBUG off; locust {users} users, {seconds} s, "
        "0.5-1.5 s between requests",
    ]
    if not plan["dashboard"]:
        details.append("dasbor/: left out of the mix (BENCH_DASHBOARD=0, or 404 in this build)")
    for name, row in sorted(stats.items(), key=lambda item: item[0] == "Aggregated"):
        details.append(
            f"  {name:<22} {row.requests:>7,} requests  {row.failures:>4} errors  p50 {row.p50_ms:,.0f} ms  "
            f"p95 {row.p95_ms:,.0f} ms  {row.rps:,.1f} req/s"
        )
    details += [
        f"baseline (same API mix, figures from the measurements, one ORM query per index, region and period): "
        f"{len(timings)} requests, {figures} figures, p50 {base_p50:,.0f} ms, p95 {base_p95:,.0f} ms "
        "(sequential, no load: flattered)",
        f"target: p95 < {TARGET_P95_MS:.0f} ms and no errors: "
        + ("met" if total.p95_ms < TARGET_P95_MS and total.failures == 0 else "NOT met"),
        "ratio: baseline p95 / served p95 of every request (the dashboard included)",
    ]
    return BenchResult(
        figure=total.p95_ms,
        unit=f"ms p95 of {total.requests:,} requests ({users} users, {seconds} s)",
        ratio=base_p95 / total.p95_ms if total.p95_ms else 0.0,
        baseline=f"on-the-fly ORM figures p95 of {len(timings)} requests, sequential",
        details=details,
    )


# Registers `bench prevalence`, `bench refresh` and `bench province`.
from reports import bench_prevalence, bench_province, bench_refresh  # noqa: E402, F401
