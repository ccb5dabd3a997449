"""`bench prevalence` closes on the run it measured: its count, scale and kecamatan, and an estimate named so."""

from __future__ import annotations

from reports.bench_prevalence import Loop, Measured, _scale_name, prevalence_closing

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
