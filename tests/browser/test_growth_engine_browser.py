"""The phone's growth engine (static/children/growth_engine.js) gives what the server stores.

The engine is loaded in chromium from the served documents (manifest, WHO tables, rules) of the live
server, as the offline page loads it, and assesses 12,000 deterministic random rows in one call; the
server's engine computes the same rows through the functions measurement_record and the weight-gain
refresh use. Categories, flags, error bits, N/T/2T and the rules' verdicts must be equal; z-scores,
and the adjusted length within 0.001. The largest difference found is 3e-13 (BAZ): the same arithmetic on
the same doubles, apart from the last bits of log and expm1; the test holds it under 1e-9.
"""

from __future__ import annotations

import datetime
import math
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from django.utils import translation
from playwright.sync_api import Page

from children.growth import zscore
from children.models import Child, Measurement, MinimumWeightGain
from children.services import NeedsConfirmation, measurement_record
from convergence.formatting import fixed
from convergence.formfields import decimal_text_parse
from tests.browser.conftest import NewContext
from tests.browser.growth_rows import KBM_VERSIONS, random_rows, server_expectations
from tests.factories import ChildFactory, DistrictFixture

pytestmark = pytest.mark.browser
# The live server's tests are transactional: the migrations' rows (the KBM table) are restored after them.
LIVE_SERVER_DB = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ROWS = 12_000
SEED = 20_261_205
Z_TOLERANCE = 0.001
Z_KEYS = ("waz", "haz", "whz", "baz", "hcz", "acz")
CATEGORY_KEYS = ("waz_category", "haz_category", "whz_category", "baz_category")

# Loads the engine through the manifest, then assesses every row; the results come back as short arrays.
ASSESS_ALL = """
async (rows) => {
  await GrowthEngine.loadFrom("/posyandu/offline/manifest.json");
  return rows.map((row) => {
    const r = GrowthEngine.assess(row.entry, row.previous);
    return [
      r.age_days, r.age_months, r.adjusted_height_cm, r.bmi,
      ["waz", "haz", "whz", "baz", "hcz", "acz"].map((k) => r.zscores[k]),
      ["waz_category", "haz_category", "whz_category", "baz_category"].map((k) => r.categories[k]),
      ["waz", "haz", "whz", "baz", "hcz", "acz"].map((k) => r.flags[k]),
      r.flagged, r.error_flags, r.weight_gain,
      r.violations.map((v) => [v.code, v.message]), r.notices.map((n) => n.code),
      r.violations.map((v) => v.field),
    ];
  });
}
"""


def _kbm_reference_rows() -> None:
    """The KBM versions of growth_rows (the live server's flush removed the migrations' rows)."""
    MinimumWeightGain.objects.all().delete()
    MinimumWeightGain.objects.bulk_create(
        MinimumWeightGain(
            valid_from=version.valid_from,
            age_month_from=start,
            age_month_to=end,
            min_gain_g=grams,
            source="test",
        )
        for version in KBM_VERSIONS
        for start, end, grams in version.rows
    )


def _engine_page(new_context: NewContext) -> Page:
    """A page of the live server (the public sign-in page) with the engine script added as the page adds it."""
    page = new_context().new_page()
    page.goto("/masuk/")
    page.add_script_tag(url="/static/children/growth_engine.js")
    return page


def _difference(phone: float | None, server: float) -> float:
    """|phone - server|, 0 when both have no value, infinite when only one has."""
    if phone is None or math.isnan(server):
        return 0.0 if phone is None and math.isnan(server) else math.inf
    return abs(phone - server)


def _z_differences(results: list[list[Any]], columns: dict[str, np.ndarray]) -> dict[str, float]:
    largest = dict.fromkeys([*Z_KEYS, "adjusted_height_cm"], 0.0)
    for i, result in enumerate(results):
        for k, key in enumerate(Z_KEYS):
            largest[key] = max(largest[key], _difference(result[4][k], float(columns[key][i])))
        largest["adjusted_height_cm"] = max(
            largest["adjusted_height_cm"], _difference(result[2], float(columns["adjusted_height_cm"][i]))
        )
    return largest


@LIVE_SERVER_DB
def test_the_phone_engine_gives_the_servers_results_on_twelve_thousand_random_rows(
    new_context: NewContext,
) -> None:
    _kbm_reference_rows()
    rows = random_rows(ROWS, seed=SEED)
    with translation.override("id"):
        expected = server_expectations(rows)
    page = _engine_page(new_context)

    results = page.evaluate(ASSESS_ALL, rows)

    assert len(results) == ROWS
    columns = expected["columns"]
    mismatches = []
    for i, result in enumerate(results):
        got = {
            "age_days": result[0],
            "age_months": result[1],
            "categories": result[5],
            "flags": result[6],
            "flagged": result[7],
            "error": result[8],
            "weight_gain": result[9],
            "violations": result[10],
            "notices": result[11],
        }
        want = {
            "age_days": int(expected["age_days"][i]),
            "age_months": int(expected["age_months"][i]),
            "categories": [int(columns[key][i]) for key in CATEGORY_KEYS],
            "flags": [
                bool(math.isnan(float(columns[key][i])) is False and _flag(key, float(columns[key][i])))
                for key in Z_KEYS
            ],
            "flagged": bool(columns["flagged"][i]),
            "error": int(columns["error"][i]),
            "weight_gain": int(expected["weight_gain"][i]),
            "violations": expected["rules"][i][0],
            "notices": expected["rules"][i][1],
        }
        if got != want:
            mismatches.append((i, rows[i], {k: (got[k], want[k]) for k in got if got[k] != want[k]}))
    assert mismatches[:5] == []
    largest = _z_differences(results, columns)
    assert max(largest.values()) <= Z_TOLERANCE, largest
    # What "within 0.001" amounts to: the two engines agree to the last few bits of a double.
    assert max(largest.values()) < 1e-9, largest


def _flag(key: str, z: float) -> bool:
    """The server's WHO flag of a z-score (zscore.zscores decides them on the same limits)."""
    if key == "waz":
        return z < zscore.WAZ_FLAG_LOW or z > zscore.WAZ_FLAG_HIGH
    limit = {
        "haz": zscore.HAZ_FLAG_ABS,
        "whz": zscore.WHZ_FLAG_ABS,
        "baz": zscore.BAZ_FLAG_ABS,
        "hcz": zscore.HCZ_FLAG_ABS,
        "acz": zscore.ACZ_FLAG_ABS,
    }[key]
    return abs(z) > limit


def test_the_rows_cover_the_edges_the_comparison_is_meant_to_check() -> None:
    rows = random_rows(ROWS, seed=SEED)
    with translation.override("id"):
        expected = server_expectations(rows)
    columns = expected["columns"]
    z = np.concatenate([columns[key] for key in ("waz", "whz", "baz")])
    codes = {int(code) for code in expected["weight_gain"]}
    violations = {code for found, _notices in expected["rules"] for code, _message in found}

    # Beyond +/-3 SD (the restricted LMS method), past the WHO flags, and every band of every index.
    assert (np.sum(z > 3.0), np.sum(z < -3.0)) > (200, 200)
    assert columns["flagged"].sum() > 100
    for key, bands in zip(CATEGORY_KEYS, (6, 6, 8, 8), strict=True):
        assert len(set(columns[key].tolist())) == bands, key
    assert codes == {-1, 0, 1, 2, 3, 4}
    assert violations == {
        "weight_kg_range",
        "height_cm_range",
        "lila_cm_range",
        "head_circumference_cm_range",
        "pmt_kg_range",
        "standing_under_9_months",
    }
    assert sum(1 for _found, notices in expected["rules"] if notices) > 1000
    assert {int(a) for a in expected["age_days"][:16]} >= {0, 273, 274, 730, 731, 1856, 1857, -1}


NUMBERS = ["8,9", "8.9", "8,9,1", "1.234,5", "8,", ",5", " 12,50 ", "", "9", "abc", "-1", "0,05"]
FORMATTED = [
    0.125,
    0.135,
    2.5,
    1.5,
    -2.5,
    -0.005,
    -0.001,
    -0.0,
    -1.2345,
    1e-7,
    12.0,
    -0.96,
    3.14159,
    1234567.891,
    0.0,
]


@LIVE_SERVER_DB
def test_the_phone_reads_and_writes_numbers_as_the_server_does(new_context: NewContext) -> None:
    page = _engine_page(new_context)

    parsed = page.evaluate(
        "(texts) => texts.map((t) => { const x = GrowthEngine.parseDecimal(t); "
        "return x === null ? 'empty' : Number.isNaN(x) ? 'refused' : x; })",
        NUMBERS,
    )
    written = page.evaluate(
        "(xs) => ['id', 'en'].map((l) => xs.map((x) => [0, 1, 2, 4].map((p) => GrowthEngine.formatDecimal(x, p, l))))",
        FORMATTED,
    )

    expected_parsed = []
    for text in NUMBERS:
        value = decimal_text_parse(text)
        expected_parsed.append("empty" if not text.strip() else "refused" if value is None else float(value))
    assert parsed == expected_parsed
    expected_written = []
    for language in ("id", "en"):
        with translation.override(language):
            expected_written.append([[fixed(x, places) for places in (0, 1, 2, 4)] for x in FORMATTED])
    assert written == expected_written


@LIVE_SERVER_DB
def test_a_measurement_recorded_by_the_server_is_what_the_phone_showed(
    new_context: NewContext, district: DistrictFixture
) -> None:
    _kbm_reference_rows()
    today = datetime.date(2025, 11, 20)
    ayu = ChildFactory(
        name="Ayu Lestari", sex="P", birth_date=datetime.date(2024, 10, 3), posyandu=district.posyandu_a1
    )
    weighings = [
        (datetime.date(2025, 8, 14), Decimal("8.10"), Decimal("70.2"), "L"),
        (
            datetime.date(2025, 9, 12),
            Decimal("8.30"),
            Decimal("71.0"),
            "L",
        ),  # +200 g at 11 months: T (KBM 350)
        (datetime.date(2025, 10, 15), Decimal("8.40"), Decimal("71.6"), "H"),  # T again: 2T
    ]
    for day, weight, height, position in weighings:
        measurement_record(
            user=None,
            child=ayu,
            measured_on=day,
            weight_kg=weight,
            height_cm=height,
            position=position,
            today=today,
        )
    stored = list(Measurement.objects.filter(child=ayu).order_by("measured_on"))
    page = _engine_page(new_context)
    entry = {
        "sex": ayu.sex,
        "birth_date": ayu.birth_date.isoformat(),
        "measured_on": "2025-11-20",
        "weight_kg": "8,75",
        "height_cm": "72,4",
        "position": "H",
        "oedema": False,
        "lila_cm": 14.1,
        "head_circumference_cm": None,
        "pmt_kg": None,
    }
    previous = [
        {
            "measured_on": m.measured_on.isoformat(),
            "weight_kg": float(m.weight_kg or 0),
            "adjusted_height_cm": float(m.adjusted_height_cm or 0),
        }
        for m in stored
    ]
    shrunk = {**entry, "height_cm": 70.0}  # 70.7 cm adjusted, 1.6 cm below October's 72.3

    shown, shown_shrunk = page.evaluate(
        "async ([entry, shrunk, previous]) => { await GrowthEngine.loadFrom('/posyandu/offline/manifest.json');"
        " return [GrowthEngine.assess(entry, previous), GrowthEngine.assess(shrunk, previous)]; }",
        [entry, shrunk, previous],
    )
    with pytest.raises(NeedsConfirmation):
        measurement_record(
            user=None,
            child=ayu,
            measured_on=datetime.date(2025, 11, 20),
            weight_kg=Decimal("8.75"),
            height_cm=Decimal("70.0"),
            position="H",
            today=today,
        )
    result = measurement_record(
        user=None,
        child=Child.objects.get(pk=ayu.pk),
        measured_on=datetime.date(2025, 11, 20),
        weight_kg=Decimal("8.75"),
        height_cm=Decimal("72.4"),
        position="H",
        lila_cm=Decimal("14.1"),
        today=today,
    )

    row = Measurement.objects.get(pk=result.measurement.pk)
    assert [m.weight_gain for m in stored] == [4, 1, 2]
    assert shown["weight_gain"] == row.weight_gain == 0  # +350 g at 13 months: N (KBM 250 from July 2024)
    assert shown["categories"] == {key: getattr(row, key) for key in CATEGORY_KEYS}
    assert shown["error_flags"] == row.error_flags
    # Standing at 13 months: the engine adds 0.7 cm on both sides.
    assert Decimal(str(shown["adjusted_height_cm"])) == row.adjusted_height_cm == Decimal("73.1")
    for key in Z_KEYS:
        assert (
            _difference(shown["zscores"][key], math.nan if getattr(row, key) is None else getattr(row, key))
            < 1e-9
        )
    assert [n["code"] for n in shown["notices"]] == ["standing_adjusted"]
    assert shown["violations"] == []
    assert (shown["remeasure"], shown_shrunk["remeasure"]) == ([], ["height_shrink"])
