"""Pure, vectorised computations of the registry: stored growth columns, weight-gain runs, pregnancy risk.

No Django, no ORM: selectors load arrays, these functions compute, services write. The same function
serves the posyandu-day form (n = 1), the import of a million rows and the demo.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from children import growth
from children.growth.weight_gain import B_BARU, KBMTable, completed_months, weight_gain_status

# Model field -> GrowthArrays attribute, for the z-scores and categories stored on a Measurement.
GROWTH_FIELDS = (
    "waz",
    "haz",
    "whz",
    "baz",
    "hcz",
    "acz",
    "waz_category",
    "haz_category",
    "whz_category",
    "baz_category",
)

# WHO flags: a z-score outside these limits is implausible (WHO Anthro / growth standards macro).
FLAG_ERRORS = (
    growth.codes.ERROR_WEIGHT | growth.codes.ERROR_HEIGHT | growth.codes.ERROR_HEAD | growth.codes.ERROR_ARM
)


def _nan_array(values: np.ndarray | None, n: int) -> np.ndarray:
    return np.full(n, np.nan) if values is None else np.asarray(values, dtype=np.float64)


def measurement_growth_columns(
    *,
    sex: np.ndarray,
    age_days: np.ndarray,
    weight_kg: np.ndarray,
    height_cm: np.ndarray,
    position: np.ndarray,
    oedema: np.ndarray,
    head_circumference_cm: np.ndarray | None = None,
    lila_cm: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Stored growth columns for n measurements (shape (n,) each): adjusted height, z-scores, categories.

    sex: "L"/"P"; position: "L" lying / "H" standing / "" unknown; weights, heights and circumferences
    NaN when missing. Also returns "error" (codes.ERROR_* bits) and "flagged" (a WHO flag on any index).
    """
    n = np.asarray(sex).shape[0]
    result = growth.zscores(
        sex=np.where(np.asarray(sex) == "P", growth.tables.SEX_FEMALE, growth.tables.SEX_MALE),
        age_days=age_days,
        weight_kg=weight_kg,
        height_cm=height_cm,
        measured=np.select(
            [position == "L", position == "H"],
            [growth.codes.MEASURED_LYING, growth.codes.MEASURED_STANDING],
            growth.codes.MEASURED_UNKNOWN,
        ),
        oedema=oedema,
        head_circumference_cm=_nan_array(head_circumference_cm, n),
        arm_circumference_cm=_nan_array(lila_cm, n),
    )
    columns = {name: getattr(result, name) for name in GROWTH_FIELDS}
    columns["adjusted_height_cm"] = result.length_mm / 10.0
    columns["error"] = result.error
    columns["flagged"] = (
        result.waz_flag
        | result.haz_flag
        | result.whz_flag
        | result.baz_flag
        | result.hcz_flag
        | result.acz_flag
    )
    return columns


@dataclass(frozen=True)
class PreviousWeighing:
    """The last weighing before a batch, per child (arrays aligned with the batch's child keys).

    month_index: calendar months since year 0 (year * 12 + month - 1), -1 when the child has none.
    """

    weight_kg: np.ndarray
    month_index: np.ndarray
    status: np.ndarray


def month_index(days: np.ndarray) -> np.ndarray:
    """Calendar month number (int64) of datetime64[D] dates: months since 1970-01."""
    return np.asarray(days, dtype="datetime64[D]").astype("datetime64[M]").astype(np.int64)


def weight_gain_run(
    *,
    child_key: np.ndarray,
    birth_date: np.ndarray,
    measured_on: np.ndarray,
    weight_kg: np.ndarray,
    previous: PreviousWeighing,
    kbm: KBMTable,
) -> np.ndarray:
    """N/T/2T/O/B code (int8) of each weighing of a batch, chaining weighings of one child in date order.

    child_key: int per row (the same child, the same key); birth_date, measured_on: datetime64[D];
    previous: each row's child's last weighing before the batch (its arrays are per row, the same
    for every row of a child). Several weighings in one calendar month are each compared to the
    last weighing of an earlier month (the caller stores one per day).
    """
    n = child_key.size
    status = np.full(n, B_BARU, dtype=np.int8)
    if n == 0:
        return status
    months = month_index(measured_on)
    age_months = completed_months(birth_date, measured_on)
    order = np.lexsort((np.asarray(measured_on, dtype="datetime64[D]").astype(np.int64), child_key))
    sorted_key = child_key[order]
    visit = np.arange(n) - np.searchsorted(sorted_key, sorted_key)
    prev_weight = np.asarray(previous.weight_kg, dtype=np.float64).copy()
    prev_month = np.asarray(previous.month_index, dtype=np.int64).copy()
    prev_status = np.asarray(previous.status, dtype=np.int8).copy()
    for k in range(int(visit.max()) + 1):
        here = order[visit == k]
        if k > 0:
            before = order[np.flatnonzero(visit == k) - 1]
            prev_weight[here] = weight_kg[before]
            prev_month[here] = months[before]
            prev_status[here] = status[before]
        gap = np.where(prev_month[here] < 0, -1, months[here] - prev_month[here])
        status[here] = weight_gain_status(
            age_months=age_months[here],
            weight_kg=weight_kg[here],
            previous_weight_kg=prev_weight[here],
            months_since_previous=gap,
            previous_status=prev_status[here],
            kbm=kbm,
        )
    return status


# Pregnancy risk (domain.md section 5): KEK LiLA < 23.5 cm, anaemia Hb < 11 g/dL, "4 terlalu".
KEK_LILA_CM = 23.5
ANAEMIA_HB_G_DL = 11.0
TTD_TARGET_TABLETS = 90
ANC_TARGET_VISITS = 4
HYPERTENSION_MMHG = (140, 90)

FLAG_KEK = "kek"
FLAG_ANAEMIA = "anemia"
FLAG_TOO_YOUNG = "terlalu_muda"  # under 20 at conception
FLAG_TOO_OLD = "terlalu_tua"  # over 35
FLAG_TOO_MANY = "terlalu_banyak"  # 4 or more children already
FLAG_TOO_CLOSE = "terlalu_dekat"  # under 2 years since the last delivery
FLAG_TOO_FAR = "terlalu_jauh"  # over 10 years since the last delivery
FLAG_HYPERTENSION = "hipertensi"


@dataclass(frozen=True)
class PregnancyStatus:
    ttd_total: int
    anc_visits: int
    is_kek: bool
    is_anaemic: bool
    risk_flags: list[str]
    is_high_risk: bool


def pregnancy_status(
    *,
    mother_birth_date: datetime.date | None,
    lmp_date: datetime.date | None,
    parity: int,
    last_delivery_date: datetime.date | None,
    risk_history: Iterable[str],
    visits: Iterable[tuple[bool, float | None, float | None, int | None, int | None, int]],
    today: datetime.date,
) -> PregnancyStatus:
    """Derived state of a pregnancy from its visits and history.

    Ages and birth spacing count to the LMP, or to `today` (the district's date) when it is unknown.

    visits: (is_anc, lila_cm, hb_g_dl, systolic_mmhg, diastolic_mmhg, ttd_tablets) per visit, in date
    order. KEK and anaemia follow the latest measured value (a treated anaemia clears the flag).
    """
    ttd = anc = 0
    lila = hb = None
    hypertension = False
    for is_anc, visit_lila, visit_hb, systolic, diastolic, tablets in visits:
        ttd += tablets
        anc += 1 if is_anc else 0
        lila = visit_lila if visit_lila is not None else lila
        hb = visit_hb if visit_hb is not None else hb
        if (systolic or 0) >= HYPERTENSION_MMHG[0] or (diastolic or 0) >= HYPERTENSION_MMHG[1]:
            hypertension = True
    is_kek = lila is not None and lila < KEK_LILA_CM
    is_anaemic = hb is not None and hb < ANAEMIA_HB_G_DL
    flags = []
    if is_kek:
        flags.append(FLAG_KEK)
    if is_anaemic:
        flags.append(FLAG_ANAEMIA)
    reference = lmp_date or today
    if mother_birth_date is not None:
        age = (
            reference.year
            - mother_birth_date.year
            - ((reference.month, reference.day) < (mother_birth_date.month, mother_birth_date.day))
        )
        if age < 20:
            flags.append(FLAG_TOO_YOUNG)
        elif age > 35:
            flags.append(FLAG_TOO_OLD)
    if parity >= 4:
        flags.append(FLAG_TOO_MANY)
    if last_delivery_date is not None:
        years = (reference - last_delivery_date).days / 365.25
        if years < 2:
            flags.append(FLAG_TOO_CLOSE)
        elif years > 10:
            flags.append(FLAG_TOO_FAR)
    if hypertension:
        flags.append(FLAG_HYPERTENSION)
    history = list(risk_history)
    return PregnancyStatus(
        ttd_total=ttd,
        anc_visits=anc,
        is_kek=is_kek,
        is_anaemic=is_anaemic,
        risk_flags=flags,
        is_high_risk=bool(flags or history),
    )


def age_years(birth_date: datetime.date, on: datetime.date) -> int:
    """Completed years of age on `on`."""
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


# BKKBN: a family at risk of stunting has a target (baduta, balita, pregnant woman) and a risk factor.
# The codes are Keluarga.AtRiskReason values.
AT_RISK_TARGETS = frozenset({"ada_baduta", "ada_balita", "ada_ibu_hamil"})


def keluarga_is_at_risk(reasons: Iterable[str]) -> bool:
    """True when the reasons hold a target (baduta, balita, pregnant woman) and at least one risk factor."""
    found = {str(reason) for reason in reasons}
    return bool(found & AT_RISK_TARGETS) and bool(found - AT_RISK_TARGETS)


def expected_delivery_date(lmp_date: datetime.date) -> datetime.date:
    """HPL by Naegele's rule: HPHT + 280 days."""
    return lmp_date + datetime.timedelta(days=280)
