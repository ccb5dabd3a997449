"""Data quality: the pure sums and indicators, the stored rows after a recompute, page and API scoping."""

from __future__ import annotations

import datetime
import math
from decimal import Decimal

import numpy as np
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from children.models import Child, Measurement
from reports import quality
from reports.models_quality import DataQualitySummary
from reports.services import periods_for_months, prevalence_recompute
from reports.services_quality import quality_recompute
from tests.factories import ChildFactory

Row = DataQualitySummary
JAN, FEB = datetime.date(2025, 1, 1), datetime.date(2025, 2, 1)
NAN = float("nan")


# Pure computation ---------------------------------------------------------------------------------


def _frame(rows: list[tuple]) -> quality.QualityFrame:
    """rows: (child, day, posyandu, measured_by, height_mm, adjusted_mm, weight_dag, haz, whz, haz_c,
    waz_c, whz_c)."""
    columns = list(zip(*rows, strict=True))
    ints = [np.array(c, dtype=np.int64) for c in columns[:7]]
    return quality.QualityFrame(
        *ints,
        haz=np.array(columns[7], dtype=np.float64),
        whz=np.array(columns[8], dtype=np.float64),
        haz_category=np.array(columns[9], dtype=np.int8),
        waz_category=np.array(columns[10], dtype=np.int8),
        whz_category=np.array(columns[11], dtype=np.int8),
    )


HAND = _frame(
    [
        # child 1 at posyandu 7: 85.3 cm, 11.25 kg; then 83.7 cm (1.6 cm lower), 11.0 kg, WHZ flagged
        (1, 100, 7, 3, 853, 853, 1125, -1.0, 0.5, 2, 2, 2),
        (1, 130, 7, 3, 837, 837, 1100, -2.5, 5.5, 1, 2, -2),
        # child 2 at posyandu 7: 80.0 cm, no weight; then 78.5 cm (1.5 cm lower: not more than 1.5)
        (2, 101, 7, -1, 800, 800, -1, 1.0, NAN, 2, -1, -1),
        (2, 131, 7, -1, 785, 785, 1070, 0.0, -1.0, 2, 2, 2),
        # child 3 at posyandu 8: measured lying, 70.5 cm recorded and 69.8 adjusted; 400 days later
        # 60.0 cm: too long ago to compare
        (3, 100, 8, 3, 705, 698, 850, -6.5, 0.0, -2, 2, 2),
        (3, 500, 8, 3, 600, 600, 900, 0.5, 0.0, 2, 2, 2),
    ]
)


def test_it_adds_up_digits_flags_zscores_and_shrinks_per_key() -> None:
    keys = np.stack([HAND.posyandu, np.zeros(len(HAND), dtype=np.int64)], axis=1)
    sums = quality.quality_sums(HAND, keys, np.ones(len(HAND), dtype=bool))
    assert sums.keys.tolist() == [[7, 0], [8, 0]]
    c = {name: values.tolist() for name, values in sums.columns.items()}
    assert c["measurements"] == [4, 2]
    assert (c["haz_assessed"], c["haz_flagged"]) == ([4, 2], [0, 1])
    assert (c["waz_assessed"], c["waz_flagged"]) == ([3, 2], [0, 0])
    assert (c["whz_assessed"], c["whz_flagged"]) == ([3, 2], [1, 0])
    # heights 853, 837, 800, 785 | 705, 600 (as recorded, not adjusted)
    assert [c[f"height_d{d}"][0] for d in range(10)] == [1, 0, 0, 1, 0, 1, 0, 1, 0, 0]
    assert [c[f"height_d{d}"][1] for d in range(10)] == [1, 0, 0, 0, 0, 1, 0, 0, 0, 0]
    # weights 11.25 (0.1 kg digit 2), 11.00 (0), 10.70 (7) | 8.50 (5), 9.00 (0)
    assert [c[f"weight_d{d}"][0] for d in range(10)] == [1, 0, 1, 0, 0, 0, 0, 1, 0, 0]
    assert [c[f"weight_d{d}"][1] for d in range(10)] == [1, 0, 0, 0, 0, 1, 0, 0, 0, 0]
    # valid HAZ -1, -2.5, 1, 0 | 0.5 (the flagged -6.5 left out); valid WHZ 0.5, -1 | 0, 0
    assert (c["haz_n"], c["haz_sum"], c["haz_sumsq"]) == ([4, 1], [-2.5, 0.5], [8.25, 0.25])
    assert (c["whz_n"], c["whz_sum"], c["whz_sumsq"]) == ([2, 2], [-0.5, 0.0], [1.25, 0.0])
    # child 1 shrank 1.6 cm; child 2 1.5 cm (not more); child 3's earlier height is 400 days old
    assert (c["shrink_checked"], c["shrink_count"]) == ([2, 0], [1, 0])


def test_it_leaves_out_rows_not_included() -> None:
    keys = np.stack([HAND.measured_by, HAND.posyandu], axis=1)
    sums = quality.quality_sums(HAND, keys, HAND.measured_by >= 0)
    assert sums.keys.tolist() == [[3, 7], [3, 8]]
    assert sums.columns["measurements"].tolist() == [2, 2]
    # the shrink is still found against a row of another key
    assert sums.columns["shrink_count"].tolist() == [1, 0]


def test_digit_preference_score_by_hand() -> None:
    uniform = quality.digit_preference([5] * 10)
    assert (uniform.n, uniform.dps, uniform.chi2, uniform.p_value) == (50, 0.0, 0.0, 1.0)
    same = quality.digit_preference([20, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    assert (same.dps, same.chi2) == (100.0, 180.0)  # chi2 = 9 n
    # expected 1 per digit: chi2 = 2^2 + 1 + 1 = 6; DPS = 100 sqrt(6 / 90)
    some = quality.digit_preference([3, 1, 1, 1, 1, 1, 1, 1, 0, 0])
    assert some.chi2 == 6.0
    assert some.dps == pytest.approx(100 * math.sqrt(6 / 90))
    assert some.share(0, 5) == 40.0
    assert quality.digit_preference([0] * 10).dps is None


def test_chi_square_tail_matches_the_tables() -> None:
    assert quality.chi2_sf(16.919, 9) == pytest.approx(0.05, abs=1e-5)
    assert quality.chi2_sf(21.666, 9) == pytest.approx(0.01, abs=1e-5)
    assert quality.chi2_sf(3.841, 1) == pytest.approx(0.05, abs=1e-4)
    assert quality.chi2_sf(5.991, 2) == pytest.approx(0.05, abs=1e-4)


def test_standard_deviation_from_sums() -> None:
    assert quality.standard_deviation(3, 0.0, 2.0) == 1.0  # -1, 0, 1
    assert quality.standard_deviation(1, 1.0, 1.0) is None


def _sums(**values: float) -> dict[str, float]:
    sums: dict[str, float] = dict.fromkeys(quality.SUM_COLUMNS, 0)
    sums.update(values)
    return sums


@pytest.mark.parametrize(
    ("digits", "issue"),
    [
        ({"d0": 60}, "height_whole_cm"),
        ({"d0": 15, "d5": 15, "d1": 5, "d2": 5, "d3": 5, "d4": 5}, "height_half_cm"),
        ({"d3": 30, "d7": 30}, "height_digits"),
        ({"d0": 6, "d1": 6, "d2": 6, "d3": 6, "d4": 6, "d5": 6, "d6": 6, "d7": 6, "d8": 6, "d9": 6}, None),
        ({"d0": 40}, None),  # fewer than 50 values: not judged
    ],
)
def test_it_names_the_kind_of_rounding(digits: dict[str, int], issue: str | None) -> None:
    result = quality.indicators(_sums(**{f"height_{k}": v for k, v in digits.items()}))
    assert result.issues == ((issue,) if issue else ())


def test_it_marks_sd_flags_shrinks_and_missing() -> None:
    # 40 valid HAZ with SD 1.5 (values +-1.5 around 0), 40 WHZ with SD 0.5; 1 flagged of 30 values
    n = 40
    sd_haz = math.sqrt((n * 1.5**2) / (n - 1))
    result = quality.indicators(
        _sums(
            haz_n=n,
            haz_sum=0.0,
            haz_sumsq=n * 1.5**2,
            whz_n=n,
            whz_sum=0.0,
            whz_sumsq=n * 0.5**2,
            haz_assessed=10,
            waz_assessed=10,
            whz_assessed=10,
            whz_flagged=1,
            shrink_checked=4,
            shrink_count=1,
        ),
        registered=20,
        measured=17,
    )
    assert result.haz_sd == pytest.approx(sd_haz)
    assert result.flagged_pct == pytest.approx(100 / 30)
    assert (result.missing, result.measured_pct) == (3, 85.0)
    assert result.issues == ("flagged", "haz_sd_high", "whz_sd_low", "shrink", "missing")


# Stored rows --------------------------------------------------------------------------------------


def _measure(
    child: Child,
    day: datetime.date,
    *,
    height: str,
    weight: str,
    haz: float | None,
    whz: float | None,
    haz_c: int = 2,
    whz_c: int = 2,
    adjusted: str | None = None,
    by=None,
    source: str = Measurement.Source.MANUAL,
    posyandu=None,
) -> Measurement:
    return Measurement.objects.create(
        child=child,
        posyandu=posyandu or child.posyandu,
        measured_on=day,
        age_days=(day - child.birth_date).days,
        height_cm=Decimal(height),
        adjusted_height_cm=Decimal(adjusted or height),
        weight_kg=Decimal(weight),
        haz=haz,
        whz=whz,
        haz_category=haz_c,
        waz_category=2,
        whz_category=whz_c,
        measured_by=by,
        source=source,
    )


@pytest.fixture
def measured(district):
    d = district
    kader, officer = d.users["kader"], d.users["puskesmas_officer"]
    a = ChildFactory(posyandu=d.posyandu_a1, birth_date=datetime.date(2023, 5, 1))
    b = ChildFactory(posyandu=d.posyandu_a1, birth_date=datetime.date(2023, 6, 1))
    c = ChildFactory(posyandu=d.posyandu_a2, birth_date=datetime.date(2024, 1, 1))
    e = ChildFactory(posyandu=d.posyandu_b1, birth_date=datetime.date(2022, 1, 1))
    ChildFactory(posyandu=d.posyandu_b1, birth_date=datetime.date(2024, 2, 1))  # never measured
    _measure(a, datetime.date(2025, 1, 10), height="85.0", weight="11.00", haz=-1.0, whz=0.5, by=kader)
    # 2 cm shorter a month later, and a WHZ beyond the WHO limit
    _measure(
        a,
        datetime.date(2025, 2, 10),
        height="83.0",
        weight="11.20",
        haz=-2.5,
        whz=5.5,
        haz_c=1,
        whz_c=-2,
        by=kader,
    )
    # imported: the uploader is not who measured
    _measure(
        b,
        datetime.date(2025, 1, 11),
        height="80.3",
        weight="10.45",
        haz=0.0,
        whz=-1.0,
        by=officer,
        source=Measurement.Source.IMPORT,
    )
    _measure(
        c,
        datetime.date(2025, 1, 12),
        height="70.5",
        weight="8.50",
        haz=None,
        whz=None,
        haz_c=-1,
        whz_c=-1,
        by=kader,
    )
    _measure(e, datetime.date(2025, 1, 13), height="95.0", weight="14.00", haz=1.0, whz=1.0)
    return d


def _digits(row: Row, prefix: str) -> list[int]:
    return [getattr(row, f"{prefix}_d{d}") for d in range(10)]


def _recompute(d) -> None:
    prevalence_recompute(kabupaten=d.kabupaten, periods=periods_for_months([JAN, FEB]))


def test_it_stores_the_sums_per_posyandu_and_measurer(measured) -> None:
    d = measured
    _recompute(d)
    kader = d.users["kader"]
    a1_jan = Row.objects.get(kind="posyandu", posyandu=d.posyandu_a1, period=JAN)
    assert a1_jan.kecamatan_id == d.kecamatan_a.pk
    assert (a1_jan.measurements, a1_jan.registered, a1_jan.measured) == (2, 2, 2)
    assert _digits(a1_jan, "height") == [1, 0, 0, 1, 0, 0, 0, 0, 0, 0]  # 85.0, 80.3
    assert _digits(a1_jan, "weight") == [1, 0, 0, 0, 1, 0, 0, 0, 0, 0]  # 11.00, 10.45
    assert (a1_jan.haz_n, a1_jan.haz_sum, a1_jan.haz_sumsq) == (2, -1.0, 1.0)
    assert (a1_jan.whz_n, a1_jan.whz_sum, a1_jan.whz_sumsq) == (2, -0.5, 1.25)
    a1_feb = Row.objects.get(kind="posyandu", posyandu=d.posyandu_a1, period=FEB)
    assert (a1_feb.measurements, a1_feb.whz_assessed, a1_feb.whz_flagged, a1_feb.whz_n) == (1, 1, 1, 0)
    assert (a1_feb.shrink_checked, a1_feb.shrink_count, a1_feb.registered, a1_feb.measured) == (1, 1, 2, 1)
    # months without a measurement still show the children registered and not measured
    b1_feb = Row.objects.get(kind="posyandu", posyandu=d.posyandu_b1, period=FEB)
    assert (b1_feb.measurements, b1_feb.registered, b1_feb.measured) == (0, 2, 0)
    b1_jan = Row.objects.get(kind="posyandu", posyandu=d.posyandu_b1, period=JAN)
    assert (b1_jan.measurements, b1_jan.kecamatan_id, b1_jan.registered, b1_jan.measured) == (
        1,
        d.kecamatan_b.pk,
        2,
        1,
    )
    measurer = {
        (r.posyandu_id, r.period): (r.measurements, r.shrink_count, r.registered)
        for r in Row.objects.filter(kind="measurer", measurer=kader)
    }
    assert measurer == {
        (d.posyandu_a1.pk, JAN): (1, 0, None),
        (d.posyandu_a2.pk, JAN): (1, 0, None),
        (d.posyandu_a1.pk, FEB): (1, 1, None),
    }
    assert not Row.objects.filter(kind="measurer").exclude(measurer=kader).exists()


def test_a_second_recompute_changes_nothing(measured) -> None:
    d = measured
    _recompute(d)
    before = {r.pk: r.computed_at for r in Row.objects.all()}
    ids = [d.kecamatan_a.pk, d.kecamatan_b.pk]
    again = quality_recompute(
        kecamatan_ids=ids, first_day=JAN, last_day=datetime.date(2025, 2, 28), full=False
    )
    assert (again.chunks, again.measurements, again.written, again.deleted) == (2, 5, 0, 0)
    assert {r.pk: r.computed_at for r in Row.objects.all()} == before


def test_a_changed_measurement_rewrites_its_rows_only(measured) -> None:
    d = measured
    _recompute(d)
    untouched = set(Row.objects.exclude(posyandu=d.posyandu_b1, period=JAN).values_list("pk", flat=True))
    Measurement.objects.filter(child__posyandu=d.posyandu_b1).update(height_cm=Decimal("95.5"))
    result = quality_recompute(
        kecamatan_ids=[d.kecamatan_a.pk, d.kecamatan_b.pk],
        first_day=JAN,
        last_day=datetime.date(2025, 2, 28),
        full=True,
    )
    assert (result.written, result.deleted) == (1, 1)
    assert untouched <= set(Row.objects.values_list("pk", flat=True))
    b1_jan = Row.objects.get(kind="posyandu", posyandu=d.posyandu_b1, period=JAN)
    assert _digits(b1_jan, "height") == [0, 0, 0, 0, 0, 1, 0, 0, 0, 0]


def test_a_month_recompute_compares_with_the_month_before(measured) -> None:
    """February alone still finds the shrink against January's height (loaded for the comparison)."""
    d = measured
    _recompute(d)
    Row.objects.all().delete()
    quality_recompute(
        kecamatan_ids=[d.kecamatan_a.pk], first_day=FEB, last_day=datetime.date(2025, 2, 28), full=False
    )
    assert set(Row.objects.values_list("period", flat=True)) == {FEB}
    a1_feb = Row.objects.get(kind="posyandu", posyandu=d.posyandu_a1, period=FEB)
    assert (a1_feb.shrink_checked, a1_feb.shrink_count) == (1, 1)


# Page and API -------------------------------------------------------------------------------------

URL = reverse("reports:data-quality")
API = reverse("data-quality-list")
QUERY = {"dari": "2025-01", "sampai": "2025-02"}
API_QUERY = {"month_from": "2025-01", "month_to": "2025-02"}


@pytest.mark.parametrize(
    ("role", "posyandu"),
    [
        ("bappeda_admin", {"posyandu_a1", "posyandu_a2", "posyandu_b1"}),
        ("puskesmas_officer", {"posyandu_a1", "posyandu_a2"}),
    ],
)
def test_the_page_lists_the_posyandu_of_the_users_area(client, measured, role, posyandu) -> None:
    d = measured
    _recompute(d)
    client.force_login(d.users[role])
    response = client.get(URL, QUERY)
    assert response.status_code == 200
    lines = response.context["posyandu_lines"]
    assert {line.posyandu.pk for line, _marks, _texts in lines} == {getattr(d, p).pk for p in posyandu}
    assert [line.measurer_name for line, _marks, _texts in response.context["measurer_lines"]] == [
        "kader_mawar"
    ]
    a1 = next(item for item in lines if item[0].posyandu == d.posyandu_a1)
    line, marks, texts = a1
    assert line.indicators.issues == ("flagged", "shrink", "missing")
    assert (marks["flagged"], marks["shrink"], marks["missing"], marks["height"]) == (True, True, True, False)
    assert texts[1].startswith("1 pengukuran mencatat anak lebih pendek lebih dari 1,5 cm")
    skdn = reverse("children:skdn", args=[d.posyandu_a1.pk, 2025, 2])
    assert f'href="{skdn}"' in response.content.decode()


def test_bappeda_filters_on_a_kecamatan(client, measured) -> None:
    d = measured
    _recompute(d)
    client.force_login(d.users["bappeda_admin"])
    response = client.get(URL, {**QUERY, "kecamatan": d.kecamatan_b.code})
    assert [line.posyandu for line, _m, _t in response.context["posyandu_lines"]] == [d.posyandu_b1]
    assert response.context["measurer_lines"] == []


@pytest.mark.parametrize("role", ["kader", "kpm", "opd_officer", "pimpinan", "no_role"])
def test_other_roles_get_a_403(client, measured, role) -> None:
    d = measured
    client.force_login(d.users[role])
    assert client.get(URL, QUERY).status_code == 403
    api = APIClient()
    api.force_authenticate(d.users[role])
    assert api.get(API, API_QUERY).status_code == 403


def test_anonymous_users_are_sent_to_log_in(client, db) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert APIClient().get(API).status_code in (401, 403)


@pytest.mark.parametrize(
    ("role", "posyandu"),
    [
        ("bappeda_admin", ["posyandu_a1", "posyandu_a2", "posyandu_b1"]),
        ("puskesmas_officer", ["posyandu_a1", "posyandu_a2"]),
    ],
)
def test_the_api_lists_lines_per_posyandu_and_month_in_scope(measured, role, posyandu) -> None:
    d = measured
    _recompute(d)
    api = APIClient()
    api.force_authenticate(d.users[role])
    response = api.get(API, {**API_QUERY, "per_month": "false"})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["posyandu"], r["posyandu_code"], r["desa"], r["kecamatan"]) for r in results] == [
        (getattr(d, p).pk, getattr(d, p).code, getattr(d, p).desa.code, getattr(d, p).desa.parent.code)
        for p in posyandu
    ]
    a1 = results[0]
    assert (a1["measurements"], a1["registered"], a1["measured"], a1["missing"]) == (3, 4, 3, 1)
    assert a1["height_digits"]["counts"] == [2, 0, 0, 1, 0, 0, 0, 0, 0, 0]
    assert (a1["shrink_checked"], a1["shrink_count"], a1["issues"]) == (
        1,
        1,
        ["flagged", "shrink", "missing"],
    )


def test_the_api_filters_by_posyandu_kind_and_month(measured) -> None:
    d = measured
    _recompute(d)
    api = APIClient()
    api.force_authenticate(d.users["puskesmas_officer"])
    response = api.get(API, {**API_QUERY, "posyandu": d.posyandu_a1.pk})
    assert [(r["posyandu"], r["period"]) for r in response.json()["results"]] == [
        (d.posyandu_a1.pk, "2025-01-01"),
        (d.posyandu_a1.pk, "2025-02-01"),
    ]
    # a posyandu outside the officer's puskesmas answers an empty list
    response = api.get(API, {**API_QUERY, "posyandu": d.posyandu_b1.pk})
    assert response.json()["results"] == []
    response = api.get(API, {**API_QUERY, "kind": "measurer", "per_month": "false"})
    (line,) = response.json()["results"]
    assert (line["measurer"], line["measurer_name"], line["measurements"], line["posyandu"]) == (
        d.users["kader"].pk,
        "kader_mawar",
        3,
        None,
    )
    response = api.get(API, {"kecamatan": d.kecamatan_b.code, **API_QUERY})
    assert response.json()["results"] == []
    assert api.get(API, {"month_from": "2025-13"}).status_code == 400


def test_unique_rows_equals_numpys_unique_over_rows() -> None:
    keys = np.random.default_rng(7).integers(-3, 40, size=(5000, 3))
    unique, slot = quality.unique_rows(keys)
    expected, inverse = np.unique(keys, axis=0, return_inverse=True)
    assert unique.tolist() == expected.tolist()
    assert slot.tolist() == inverse.reshape(-1).tolist()
    none, no_slot = quality.unique_rows(np.zeros((0, 2), dtype=np.int64))
    assert (none.shape, no_slot.tolist()) == ((0, 2), [])
