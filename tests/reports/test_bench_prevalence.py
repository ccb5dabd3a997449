"""`bench prevalence` closes on the run it measured: its count, scale and kecamatan, and an estimate named so."""

from __future__ import annotations

from reports.bench_prevalence import Loop, Measured, Spread, _scale_name, history_closing, prevalence_closing

LOOP = Loop(sampled=60, unit_months=10_000, seconds_each=0.004)


def test_it_names_the_count_it_read_on_a_district_under_a_million() -> None:
    details: list[str] = []
    small = Measured(
        seconds=0.894,
        measurements=186_499,
        kecamatan=15,
        scale="small demo",
        all_measurements=186_499,
        all_seconds=0.894,
        all_kecamatan=15,
    )
    result = prevalence_closing(small, LOOP, incremental_s=0.2, prevalence_months=60, details=details)
    assert result.closing_line("prevalence") == (
        "bench prevalence: 894 ms full recompute of 186,499 measurements (small demo, 15 of 15 kecamatan) "
        "(48.5x vs per-region ORM loop estimated from 60 of 10,000 unit-months timed)"
    )
    assert details == [
        "per-region ORM loop: 60 of 10,000 unit-months timed, 4 ms each; estimated 43 s for every unit and "
        "month (and year)",
        "targets: full < 5 s over 1,000,000 measurements (not measured: the whole kabupaten reads 186,499 "
        "measurements (seed_demo --scale large for more); all 186,499: 0.89 s), incremental < 1 s (met); "
        "PREVALENCE_MONTHS=60",
    ]


def test_it_names_the_kecamatan_subset_and_the_scaling_of_the_baseline() -> None:
    details: list[str] = []
    large = Measured(
        seconds=4.2,
        measurements=1_050_000,
        kecamatan=9,
        scale="large demo",
        all_measurements=2_100_000,
        all_seconds=8.5,
        all_kecamatan=20,
    )
    result = prevalence_closing(large, LOOP, incremental_s=1.5, prevalence_months=60, details=details)
    assert result.closing_line("prevalence") == (
        "bench prevalence: 4,200 ms full recompute of 1,050,000 measurements (large demo, 9 of 20 kecamatan) "
        "(5.2x vs per-region ORM loop estimated from 60 of 10,000 unit-months timed, scaled by measurement count)"
    )
    assert details == [
        "per-region ORM loop: 60 of 10,000 unit-months timed, 4 ms each; estimated 43 s for every unit and "
        "month (and year), 22 s for the 1,050,000 measurements of the headline",
        "targets: full < 5 s over 1,000,000 measurements (met: 4.20 s over 1,050,000; all 2,100,000: 8.50 s), "
        "incremental < 1 s (NOT met); PREVALENCE_MONTHS=60",
    ]


def test_it_names_the_demo_scale_by_its_kecamatan_count() -> None:
    assert [_scale_name(15), _scale_name(20), _scale_name(7)] == ["small demo", "large demo", "demo"]


def test_a_history_run_closes_on_the_same_measurements_over_five_years() -> None:
    details: list[str] = []
    ten = Spread(
        years=10, seconds=3.2, measurements=186_499, written=145_125, kecamatan=15, current_seconds=1.1
    )
    five = Spread(
        years=5, seconds=2.5, measurements=186_499, written=87_359, kecamatan=15, current_seconds=1.0
    )
    result = history_closing(ten, five, what="full recompute", scale="small demo", details=details)
    assert result.closing_line("prevalence") == (
        "bench prevalence: 3,200 ms full recompute from empty of 186,499 measurements over 10 years "
        "(small demo, 15 kecamatan) (1.3x vs the same measurements over 5 years, 2,500 ms "
        "(time ratio; 58,281 vs 74,600 measurements/s))"
    )
    assert details == [
        "full recompute from empty, 186,499 measurements over 10 years: 3,200 ms = 58,281 measurements/s "
        "(145,125 rows written; best of 3, alternated)",
        "full recompute from empty, 186,499 measurements over 5 years: 2,500 ms = 74,600 measurements/s "
        "(87,359 rows written; best of 3, alternated)",
        "full recompute again, summaries current (nothing to write): 1,100 ms over 10 years, 1,000 ms over "
        "5 years (1.10x)",
    ]


def test_a_short_history_is_compared_with_the_demo_as_seeded() -> None:
    three = Spread(years=3, seconds=1.0, measurements=1_000, written=10, kecamatan=15)
    seeded = Spread(years=None, seconds=1.0, measurements=1_000, written=8, kecamatan=15)
    result = history_closing(three, seeded, what="data-quality recompute", scale="small demo", details=[])
    assert result.closing_line("quality") == (
        "bench quality: 1,000 ms data-quality recompute from empty of 1,000 measurements over 3 years "
        "(small demo, 15 kecamatan) (1.0x vs the same measurements as seeded (2 years), 1,000 ms "
        "(time ratio; 1,000 vs 1,000 measurements/s))"
    )
