"""The growth engine against WHO's own tables and software output, and its policy edges."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

from children.growth import classify, codes, tables, zscore_one, zscores

MYSURVEY = Path(__file__).parent / "data" / "who_igrowup_mysurvey_z_st.csv"
Z_LEVELS = (-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0)
AGE_SPREAD = (0, 1, 45, 91, 200, 365, 600, 730, 731, 1000, 1500, 1826, 1856)


def _sd(name: str, sex: int, key: int, z: float) -> float:
    table = tables.table(name)
    return float(table.sd_line(z)[table.row(sex=sex, key=key)])


def _nan(values: list[str]) -> np.ndarray:
    return np.array([float(v) if v not in ("", "NA") else np.nan for v in values])


def test_it_reproduces_who_igrowup_output_for_its_example_survey() -> None:
    with open(MYSURVEY, newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = list(reader)

    def column(name: str) -> list[str]:
        return [row[header.index(name)] for row in rows]

    result = zscores(
        sex=_nan(column("GENDER")).astype(np.int8),
        age_days=_nan(column("age.days")),
        weight_kg=_nan(column("WEIGHT")),
        height_cm=_nan(column("HEIGHT")),
        measured=column("measure"),
        oedema=np.array([value == "y" for value in column("oedema")]),
        head_circumference_cm=_nan(column("HEAD")),
        arm_circumference_cm=_nan(column("MUAC")),
    )

    for ours, who in (
        ("haz", "zlen"),
        ("waz", "zwei"),
        ("whz", "zwfl"),
        ("baz", "zbmi"),
        ("hcz", "zhc"),
        ("acz", "zac"),
    ):
        expected = _nan(column(who))
        computed = getattr(result, ours)
        assert np.array_equal(np.isnan(computed), np.isnan(expected)), ours
        present = ~np.isnan(expected)
        assert np.array_equal(np.round(computed[present], 2), expected[present]), ours
    for ours, who in (("haz", "flen"), ("waz", "fwei"), ("whz", "fwfl"), ("baz", "fbmi")):
        expected = _nan(column(who))
        present = ~np.isnan(expected)
        assert np.array_equal(getattr(result, f"{ours}_flag")[present], expected[present] == 1), ours
    assert len(rows) == 498


@pytest.mark.parametrize("sex", [1, 2])
def test_it_round_trips_sd_lines_of_the_age_tables_to_their_z(sex: int) -> None:
    ages = np.repeat(AGE_SPREAD, len(Z_LEVELS))
    levels = np.tile(Z_LEVELS, len(AGE_SPREAD))
    height_cm = np.array([_sd("lhfa", sex, int(a), z) for a, z in zip(ages, levels, strict=True)])
    weight_kg = np.array([_sd("wfa", sex, int(a), z) for a, z in zip(ages, levels, strict=True)])
    head_cm = np.array([_sd("hcfa", sex, int(a), z) for a, z in zip(ages, levels, strict=True)])

    by_height = zscores(
        sex=np.full(ages.size, sex),
        age_days=ages,
        weight_kg=weight_kg,
        height_cm=height_cm,
        head_circumference_cm=head_cm,
    )

    assert np.abs(by_height.haz - levels).max() < 0.001
    assert np.abs(by_height.waz - levels).max() < 0.001
    assert np.abs(by_height.hcz - levels).max() < 0.001

    # BMI-for-age: a length of exactly 80.0 cm and the weight that gives the SD line's BMI.
    bmi = np.array([_sd("bfa", sex, int(a), z) for a, z in zip(ages, levels, strict=True)])
    by_bmi = zscores(
        sex=np.full(ages.size, sex), age_days=ages, weight_kg=bmi * 0.64, height_cm=np.full(ages.size, 80.0)
    )
    assert np.abs(by_bmi.baz - levels).max() < 0.001

    arm_ages = ages[ages >= 91]
    arm_levels = levels[ages >= 91]
    arm_cm = np.array([_sd("acfa", sex, int(a), z) for a, z in zip(arm_ages, arm_levels, strict=True)])
    by_arm = zscores(
        sex=np.full(arm_ages.size, sex),
        age_days=arm_ages,
        weight_kg=None,
        height_cm=None,
        arm_circumference_cm=arm_cm,
    )
    assert np.abs(by_arm.acz - arm_levels).max() < 0.001


@pytest.mark.parametrize(
    ("name", "age_days", "lengths_mm"),
    [("wfl", 300, (450, 451, 652, 805, 1000, 1100)), ("wfh", 1000, (650, 651, 873, 926, 1100, 1200))],
)
@pytest.mark.parametrize("sex", [1, 2])
def test_it_round_trips_sd_lines_of_the_length_tables_to_their_z(
    name: str, age_days: int, lengths_mm: tuple[int, ...], sex: int
) -> None:
    keys = np.repeat(lengths_mm, len(Z_LEVELS))
    levels = np.tile(Z_LEVELS, len(lengths_mm))
    weight_kg = np.array([_sd(name, sex, int(k), z) for k, z in zip(keys, levels, strict=True)])

    result = zscores(
        sex=np.full(keys.size, sex),
        age_days=np.full(keys.size, age_days),
        weight_kg=weight_kg,
        height_cm=keys / 10,
    )

    assert np.abs(result.whz - levels).max() < 0.001


def test_it_measures_beyond_three_sd_in_units_of_the_two_to_three_sd_interval() -> None:
    sd2, sd3 = _sd("wfa", 1, 1000, 2.0), _sd("wfa", 1, 1000, 3.0)
    sd2neg, sd3neg = _sd("wfa", 1, 1000, -2.0), _sd("wfa", 1, 1000, -3.0)

    high = zscore_one(sex=1, age_days=1000, weight_kg=sd3 + 0.5 * (sd3 - sd2))
    low = zscore_one(sex=1, age_days=1000, weight_kg=sd3neg - 0.5 * (sd2neg - sd3neg))

    assert high.waz == pytest.approx(3.5, abs=1e-12)
    assert low.waz == pytest.approx(-3.5, abs=1e-12)


def test_it_uses_plain_lms_for_haz_beyond_three_sd() -> None:
    table = tables.table("lhfa")
    row = table.row(sex=2, key=500)
    height_cm = float(table.m[row] * (1 + 4.0 * table.s[row]))

    assert zscore_one(sex=2, age_days=500, height_cm=height_cm).haz == pytest.approx(4.0, abs=1e-12)


@pytest.mark.parametrize(
    ("age_days", "measured", "height_cm", "length_cm"),
    [
        (0, "L", 50.0, 50.0),
        (730, "L", 80.0, 80.0),
        (730, "H", 80.0, 80.7),
        (731, "L", 80.0, 79.3),
        (731, "H", 80.0, 80.0),
        (1826, "L", 110.0, 109.3),
        (1856, "H", 110.0, 110.0),
        (1000, "", 90.0, 90.0),
    ],
)
def test_it_adjusts_for_position_by_age_alone(
    age_days: int, measured: str, height_cm: float, length_cm: float
) -> None:
    assert zscore_one(sex=1, age_days=age_days, height_cm=height_cm, measured=measured).length_cm == length_cm


def test_it_looks_up_the_length_table_by_day_with_the_switch_at_731() -> None:
    lhfa = tables.table("lhfa")
    at_730 = zscore_one(sex=1, age_days=730, height_cm=float(lhfa.m[lhfa.row(sex=1, key=730)]), measured="L")
    at_731 = zscore_one(sex=1, age_days=731, height_cm=float(lhfa.m[lhfa.row(sex=1, key=731)]), measured="H")

    assert (at_730.haz, at_731.haz) == (pytest.approx(0.0, abs=1e-12), pytest.approx(0.0, abs=1e-12))


@pytest.mark.parametrize(
    ("age_days", "error"),
    [(-1, codes.ERROR_AGE_NEGATIVE), (0, 0), (1856, 0), (1857, codes.ERROR_AGE_OVER)],
)
def test_it_accepts_days_zero_to_1856_only(age_days: int, error: int) -> None:
    result = zscore_one(sex=2, age_days=age_days, weight_kg=10.0)

    assert result.error == error
    assert (result.waz is None) == (error != 0)


@pytest.mark.parametrize(
    ("age_days", "measured", "height_cm", "table", "key_mm"),
    [
        (400, "L", 44.9, None, None),
        (400, "L", 45.0, "wfl", 450),
        (400, "L", 110.0, "wfl", 1100),
        (400, "L", 110.1, None, None),
        (400, "H", 44.2, None, None),  # 44.9 after +0.7
        (400, "H", 44.3, "wfl", 450),  # the float trap: 44.3 + 0.7 is exactly 45.0
        (400, "H", 109.3, "wfl", 1100),
        (400, "H", 109.4, None, None),
        (900, "H", 64.9, None, None),
        (900, "H", 65.0, "wfh", 650),
        (900, "H", 120.0, "wfh", 1200),
        (900, "H", 120.1, None, None),
        (900, "L", 65.6, None, None),  # 64.9 after -0.7
        (900, "L", 65.7, "wfh", 650),
        (900, "L", 120.7, "wfh", 1200),
        (900, "L", 120.8, None, None),
        (730, "L", 100.0, "wfl", 1000),
        (731, "H", 100.0, "wfh", 1000),
        (730, "L", 115.0, None, None),  # never the other table
        (731, "H", 60.0, None, None),
    ],
)
def test_it_takes_whz_from_the_table_of_the_age_within_its_range(
    age_days: int, measured: str, height_cm: float, table: str | None, key_mm: int | None
) -> None:
    weight_kg = (
        10.0 if table is None else float(tables.table(table).m[tables.table(table).row(sex=1, key=key_mm)])
    )

    result = zscore_one(sex=1, age_days=age_days, weight_kg=weight_kg, height_cm=height_cm, measured=measured)

    if table is None:
        assert (result.whz, result.whz_category) == (None, classify.NO_VALUE)
    else:
        assert result.whz == pytest.approx(0.0, abs=1e-12)
        assert result.length_cm == key_mm / 10


def test_it_refuses_a_standing_height_before_nine_months() -> None:
    refused = zscore_one(sex=1, age_days=273, weight_kg=8.0, height_cm=68.0, measured="berdiri")
    accepted = zscore_one(sex=1, age_days=274, weight_kg=8.0, height_cm=68.0, measured="berdiri")

    assert refused.errors == ("tinggi berdiri di bawah 9 bulan: ukur telentang",)
    assert (refused.haz, refused.whz, refused.baz, refused.length_cm) == (None, None, None, None)
    assert refused.waz == zscore_one(sex=1, age_days=273, weight_kg=8.0).waz
    assert accepted.error == 0
    assert accepted.length_cm == 68.7


def test_it_gives_no_weight_indices_under_oedema_and_counts_the_child_severely_wasted() -> None:
    result = zscore_one(sex=2, age_days=500, weight_kg=9.0, height_cm=76.0, measured="L", oedema=True)
    without = zscore_one(sex=2, age_days=500, weight_kg=9.0, height_cm=76.0, measured="L")

    assert (result.waz, result.whz, result.baz) == (None, None, None)
    assert (result.waz_category, result.whz_category, result.baz_category) == (
        classify.BBU_SANGAT_KURANG,
        classify.GIZI_BURUK,
        classify.GIZI_BURUK,
    )
    assert result.haz == without.haz
    assert (result.waz_flag, result.whz_flag, result.baz_flag) == (False, False, False)


@pytest.mark.parametrize(("z", "flagged"), [(-6.01, True), (-6.0, False), (5.0, False), (5.01, True)])
def test_it_flags_waz_below_minus_six_or_above_five(z: float, flagged: bool) -> None:
    sd2, sd3 = _sd("wfa", 1, 1500, 2.0), _sd("wfa", 1, 1500, 3.0)
    sd2neg, sd3neg = _sd("wfa", 1, 1500, -2.0), _sd("wfa", 1, 1500, -3.0)
    weight = sd3 + (z - 3) * (sd3 - sd2) if z > 0 else sd3neg + (z + 3) * (sd2neg - sd3neg)

    result = zscore_one(sex=1, age_days=1500, weight_kg=weight)

    assert result.waz == pytest.approx(z, abs=1e-9)
    assert result.waz_flag is flagged
    assert (result.waz_category == classify.FLAGGED) is flagged


@pytest.mark.parametrize(("z", "flagged"), [(-6.01, True), (-5.99, False), (5.99, False), (6.01, True)])
def test_it_flags_haz_beyond_six(z: float, flagged: bool) -> None:
    table = tables.table("lhfa")
    row = table.row(sex=2, key=1200)
    result = zscore_one(
        sex=2, age_days=1200, height_cm=float(table.m[row] * (1 + z * table.s[row])), measured="H"
    )

    assert result.haz_flag is flagged
    assert (result.haz_category == classify.FLAGGED) is flagged


@pytest.mark.parametrize(("z", "flagged"), [(-5.01, True), (-4.99, False), (4.99, False), (5.01, True)])
def test_it_flags_whz_and_baz_beyond_five(z: float, flagged: bool) -> None:
    sd2, sd3 = _sd("wfh", 2, 950, 2.0), _sd("wfh", 2, 950, 3.0)
    sd2neg, sd3neg = _sd("wfh", 2, 950, -2.0), _sd("wfh", 2, 950, -3.0)
    weight = sd3 + (z - 3) * (sd3 - sd2) if z > 0 else sd3neg + (z + 3) * (sd2neg - sd3neg)
    bmi2, bmi3 = _sd("bfa", 2, 1100, 2.0), _sd("bfa", 2, 1100, 3.0)
    bmi2neg, bmi3neg = _sd("bfa", 2, 1100, -2.0), _sd("bfa", 2, 1100, -3.0)
    bmi = bmi3 + (z - 3) * (bmi3 - bmi2) if z > 0 else bmi3neg + (z + 3) * (bmi2neg - bmi3neg)

    by_height = zscore_one(sex=2, age_days=1100, weight_kg=weight, height_cm=95.0, measured="H")
    by_bmi = zscore_one(sex=2, age_days=1100, weight_kg=bmi * 0.95**2, height_cm=95.0, measured="H")

    assert by_height.whz == pytest.approx(z, abs=1e-9)
    assert (by_height.whz_flag, by_bmi.baz_flag) == (flagged, flagged)


def test_it_reports_each_bad_value_and_blanks_only_what_depends_on_it() -> None:
    result = zscores(
        sex=["L", "X", "P", "P", "L"],
        age_days=[400.0, 400.0, np.nan, 400.0, 400.0],
        weight_kg=[9.0, 9.0, 9.0, -1.0, 9.0],
        height_cm=[75.0, 75.0, 75.0, 75.0, 0.0],
        measured=["telentang", "L", "L", "L", "tidur"],
    )

    assert result.error.tolist() == [
        0,
        codes.ERROR_SEX,
        codes.ERROR_AGE_MISSING,
        codes.ERROR_WEIGHT,
        codes.ERROR_HEIGHT | codes.ERROR_MEASURED,
    ]
    assert np.isnan(result.waz).tolist() == [False, True, True, True, False]
    assert np.isnan(result.haz).tolist() == [False, True, True, False, True]


def test_it_gives_the_scalar_wrapper_the_same_numbers_as_the_arrays() -> None:
    arrays = zscores(sex=[2], age_days=[640], weight_kg=[9.3], height_cm=[77.4], measured=[1], oedema=[False])
    one = zscore_one(sex="P", age_days=640, weight_kg=9.3, height_cm=77.4, measured="L")

    assert (one.waz, one.haz, one.whz, one.baz) == (
        float(arrays.waz[0]),
        float(arrays.haz[0]),
        float(arrays.whz[0]),
        float(arrays.baz[0]),
    )
    assert (one.waz_category, one.haz_category, one.whz_category, one.baz_category) == (
        int(arrays.waz_category[0]),
        int(arrays.haz_category[0]),
        int(arrays.whz_category[0]),
        int(arrays.baz_category[0]),
    )
    assert math.isclose(one.bmi or 0.0, 9.3 / 0.774**2, rel_tol=1e-12)
