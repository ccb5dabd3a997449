"""`bench province` at the tiny demo scale on PostgreSQL: it builds a database per N, measures each in a
process of its own, and closes on the per-kabupaten recompute ratio. Only the output's shape is
checked: the figures themselves are machine-dependent."""

from __future__ import annotations

import importlib.util
import io
import re
from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.db import connection

from reports import bench_province
from reports.bench_province_measure import Figures

pytestmark = pytest.mark.django_db


@pytest.fixture
def tiny_province(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    if connection.vendor != "postgresql":
        pytest.skip("bench province builds PostgreSQL databases")
    monkeypatch.setenv("BENCH_PROVINCE_N", "1,2")
    monkeypatch.setenv("BENCH_PROVINCE_SCALE", "tiny")
    monkeypatch.setenv("BENCH_PROVINCE_ROUNDS", "2")
    monkeypatch.setenv("BENCH_PROVINCE_SAMPLES", "2")
    yield
    with bench_province._server("postgres") as server:
        for count in (1, 2):
            server.execute(f'DROP DATABASE IF EXISTS "{bench_province.database_name(count)}" WITH (FORCE)')


def test_it_measures_each_n_in_its_own_database_and_closes_on_the_recompute_ratio(
    tiny_province: None,
) -> None:
    # Load with locust where it is installed (requirements-bench.txt); the table then has its rows.
    users = "3" if importlib.util.find_spec("locust") else "0"
    out = io.StringIO()
    call_command("bench", "province", "--rows", "300", "--users", users, "--seconds", "3", stdout=out)
    lines = out.getvalue().splitlines()

    name = connection.settings_dict["NAME"]
    assert f"{name}_prov1: seeded 1 kabupaten (tiny) in" in lines[1]
    assert [line.split(":")[0] for line in lines if line.startswith(("N=", "round"))] == [
        "round 1",
        "round 1",
        "N=1",
        "N=2",
    ]
    header = next(line for line in lines if line.startswith("figure"))
    assert header.split() == ["figure", "N=1", "N=2", "ratio", "verdict"]
    labels = [line[:46].strip() for line in lines[lines.index(header) + 1 :] if line[:1].isalpha()]
    assert labels[:9] == [
        "measurements per kabupaten",
        "seed per kabupaten (s)",
        "full recompute per kabupaten (ms)",
        "full recompute, slowest round (ms)",
        "first kabupaten alone, N loaded (ms)",
        "incremental refresh median (ms)",
        "incremental refresh max (ms)",
        "refresh: measurements read (median)",
        "import rows/s",
    ]
    if users != "0":
        assert (
            "kabupaten dashboard API (fallback) p95 (ms)" in labels
            or "province dashboard API p95 (ms)" in labels
        )
    recompute = next(line for line in lines if line.startswith("full recompute per kabupaten"))
    assert re.search(r"\d\.\d\dx  (flat|NOT flat) \(target <= 1\.3x\)$", recompute)
    refresh = next(line for line in lines if line.startswith("incremental refresh max"))
    assert re.search(r"(met|NOT met): < 1 s at every N$", refresh)
    # Both kabupaten of N=2 hold the same demo shape as the one of N=1.
    measured = next(line for line in lines if line.startswith("measurements per kabupaten")).split()[-2:]
    assert measured[0] == measured[1]
    assert re.fullmatch(
        r"bench province: [\d,]+ ms full recompute per kabupaten at N=2 \([\d,]+ measurements each\) "
        r"\(\d+\.\dx vs N=1, [\d,]+ ms; ratio \d+\.\d\d, (flat|NOT flat) against 1\.3x\)",
        lines[-1],
    )


def test_a_rate_is_compared_by_its_time_per_row_and_the_refresh_against_one_second() -> None:
    rate = bench_province.Row("import rows/s", [10_000.0, 8_000.0], "rate")
    cost = bench_province.Row("recompute (ms)", [1_000.0, 1_400.0], "cost")
    refresh = bench_province.Row("refresh max (ms)", [300.0, 1_200.0], "refresh")

    assert bench_province.ratio_of(rate, 10_000.0, 8_000.0) == 1.25
    assert bench_province.verdict(rate, 1.25, rate.values) == "flat (target <= 1.3x)"
    assert bench_province.ratio_of(cost, 1_000.0, 1_400.0) == 1.4
    assert bench_province.verdict(cost, 1.4, cost.values) == "NOT flat (target <= 1.3x)"
    assert bench_province.verdict(refresh, 4.0, refresh.values) == "NOT met: < 1 s at every N"


def test_the_table_names_the_fallback_it_measured() -> None:
    def run(kabupaten: int, recompute_s: float, slowest_s: float) -> Figures:
        return Figures(
            kabupaten=kabupaten,
            measurements=[500_000] * kabupaten,
            recompute_all_s=recompute_s * kabupaten,
            recompute_one_s=recompute_s,
            refresh_s=[0.2, 0.3, 0.4],
            refresh_read=[900, 1_000, 1_100],
            import_rows=100_000,
            import_s=10.0,
            load_before=[2.0, 2.0, 2.0],
            load_after=[2.5, 2.0, 2.0],
            web={
                "kabupaten dashboard API (fallback)": {
                    "requests": 10,
                    "failures": 0,
                    "p50_ms": 5,
                    "p95_ms": 9,
                }
            },
            web_note="not in this build: a bappeda_provinsi user of 35: the kabupaten dashboard measured instead",
            rounds_s=[recompute_s, slowest_s],
        )

    options = bench_province.Options(
        counts=(1, 4),
        scale="province",
        reuse=True,
        rounds=2,
        samples=3,
        import_rows=100_000,
        users=50,
        seconds=60,
        seed=1,
    )
    result = bench_province.closing([run(1, 2.0, 2.6), run(4, 2.2, 3.1)], options)

    assert result.closing_line("province") == (
        "bench province: 2,200 ms full recompute per kabupaten at N=4 (500,000 measurements each) "
        "(1.1x vs N=1, 2,000 ms; ratio 1.10, flat against 1.3x)"
    )
    assert result.details[-2:] == [
        "load: not in this build: a bappeda_provinsi user of 35: the kabupaten dashboard measured instead",
        "noise: per-kabupaten full recompute over the rounds, best-worst: N=1 2,000-2,600 ms, N=4 2,200-3,100 ms",
    ]
    header = result.details[1]
    assert header.split() == ["figure", "N=1", "N=4", "ratio", "verdict"]
    recompute = next(line for line in result.details if line.startswith("full recompute per kabupaten"))
    assert recompute.split() == [
        *["full", "recompute", "per", "kabupaten", "(ms)"],
        *["2,000", "2,200", "1.10x", "flat", "(target", "<=", "1.3x)"],
    ]
    import_rate = next(line for line in result.details if line.startswith("import rows/s"))
    assert import_rate.split()[-5:] == ["1.00x", "flat", "(target", "<=", "1.3x)"]
