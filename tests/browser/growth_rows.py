"""Deterministic random measurements for comparing the browser's GrowthEngine with the server's engine.

`random_rows` draws children of 0-60 months (and a few past the tables or before birth), both sexes, lying,
standing and unknown positions, weights and heights from plausible to extreme (beyond +/-3 SD, where the
restricted LMS method applies, and past the WHO flags), oedema, arm and head circumferences, PMT, and
earlier weighings for N/T/2T/O/B (some exactly at the minimum gain). `server_expectations` computes what
the server stores for each row, through the functions measurement_record and the weight-gain refresh use.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import numpy as np

from children import compute, rules
from children.growth import tables
from children.growth.weight_gain import NOT_ASSESSED, KBMTable, completed_months

DAY = datetime.timedelta(days=1)
FIRST_DAY = datetime.date(2023, 1, 1)
LAST_DAY = datetime.date(2025, 12, 31)
# Ages every run holds: the first and last day of the tables, the 9- and 24-month switches, both sides.
EDGE_AGES = (0, 1, 90, 91, 273, 274, 275, 729, 730, 731, 732, 1855, 1856, 1857, 2000, -1)
# Adjusted lengths at the ends of the weight-for-length (45-110 cm) and weight-for-height (65-120 cm) tables.
EDGE_HEIGHTS = (44.3, 44.9, 45.0, 64.9, 65.0, 109.3, 110.0, 110.1, 119.9, 120.0, 120.1, 120.7)


@dataclass(frozen=True)
class KBMVersion:
    valid_from: datetime.date
    rows: tuple[tuple[int, int, int], ...]

    def table(self) -> KBMTable:
        array = np.array(self.rows, dtype=np.int64)
        return KBMTable(age_month_from=array[:, 0], age_month_to=array[:, 1], min_gain_g=array[:, 2])


KBM_VERSIONS = (
    KBMVersion(
        datetime.date(2020, 1, 1),
        (
            (1, 1, 800),
            (2, 2, 900),
            (3, 3, 800),
            (4, 4, 600),
            (5, 5, 500),
            (6, 6, 400),
            (7, 10, 300),
            (11, 60, 200),
        ),
    ),
    # A later version, so that the version in force on the day matters (rows from mid-2024 use it).
    KBMVersion(datetime.date(2024, 7, 1), ((1, 2, 850), (3, 5, 550), (6, 11, 350), (12, 59, 250))),
)


def kbm_in_force(day: datetime.date) -> KBMVersion:
    return [version for version in KBM_VERSIONS if version.valid_from <= day][-1]


def _median(name: str, sex: int, key: int) -> float:
    table = tables.table(name)
    key = min(max(key, table.key_min), table.key_min + table.rows - 1)
    return float(table.m[table.row(sex=sex, key=key)])


def _month_before(day: datetime.date) -> datetime.date:
    first = day.replace(day=1) - DAY
    return first.replace(day=min(day.day, 28))


def _weight(rng: np.random.Generator, sex: int, age: int) -> float | None:
    draw = rng.random()
    if draw < 0.04:
        return None
    if draw < 0.06:
        return float(rng.choice([0.0, 0.3, 0.49, 0.5, 50.0, 50.01, 55.0]))  # past the rule table's bounds
    median = _median("wfa", sex, age)
    # Mostly within a few SD; one row in five from a third of the median to two and a half times it.
    factor = rng.uniform(0.33, 2.5) if draw < 0.26 else float(np.exp(rng.normal(0.0, 0.14)))
    return round(max(median * factor, 0.01), 2)


def _height(rng: np.random.Generator, sex: int, age: int) -> float | None:
    draw = rng.random()
    if draw < 0.04:
        return None
    if draw < 0.08:
        return float(rng.choice(EDGE_HEIGHTS))
    if draw < 0.09:
        return float(rng.choice([0.0, 25.0, 29.9, 30.0, 140.0, 140.1]))
    median = _median("lhfa", sex, age)
    factor = rng.uniform(0.7, 1.3) if draw < 0.25 else 1.0 + rng.normal(0.0, 0.045)
    return round(median * factor, 1)


def _optional(rng: np.random.Generator, share: float, value: float) -> float | None:
    return round(value, 1) if rng.random() < share else None


def _previous(
    rng: np.random.Generator,
    *,
    birth: datetime.date,
    day: datetime.date,
    weight: float | None,
    age_months: int,
) -> tuple[list[dict[str, Any]], bool]:
    """Earlier weighings of the child and whether the last carries a stored status (the server's code)."""
    if weight is None or weight <= 0.5:
        return [], False
    draw = rng.random()
    if draw < 0.2:
        return [], False  # B: first weighing
    if draw < 0.4:
        # Last month, exactly at the minimum gain of the version in force, or a gram short of it.
        lookup = kbm_in_force(day).table().by_month()
        grams = int(lookup[min(age_months, lookup.size - 1)]) if age_months >= 0 else -1
        earlier = _month_before(day)
        if grams < 0 or earlier < birth:
            return [], False
        short = int(rng.integers(0, 2))
        previous = round(weight - (grams + short) / 1000, 2)
        if previous <= 0:
            return [], False
        return [{"measured_on": earlier.isoformat(), "weight_kg": previous}], False
    count = int(rng.integers(1, 5))
    offsets = sorted({int(x) for x in rng.integers(1, 130, size=count)})
    weighings = []
    current = weight
    for offset in offsets:
        earlier = day - offset * DAY
        if earlier < birth:
            break
        current = round(current - float(rng.integers(-40, 120)) / 100 * 0.5, 2)
        if current <= 0.5:
            break
        weighings.append({"measured_on": earlier.isoformat(), "weight_kg": current})
    stored = bool(weighings) and rng.random() < 0.5
    if stored:
        weighings[0]["weight_gain"] = int(rng.choice([0, 1, 2, 3, 4, -1]))
    if rng.random() < 0.15:
        # A later weighing: the entry corrects a past day. Its KBM version is the one of the last day.
        later = day + int(rng.integers(1, 400)) * DAY
        weighings.append({"measured_on": later.isoformat(), "weight_kg": round(weight + 0.3, 2)})
    rng.shuffle(weighings)  # the engine takes them in any order
    return weighings, stored


def random_rows(n: int, *, seed: int) -> list[dict[str, Any]]:
    """n rows {"entry": {...}, "previous": [...]} of GrowthEngine.assess, the same for the same seed."""
    rng = np.random.default_rng(seed)
    span = (LAST_DAY - FIRST_DAY).days
    rows = []
    for i in range(n):
        sex = int(rng.integers(1, 3))
        age = EDGE_AGES[i] if i < len(EDGE_AGES) else int(rng.integers(0, tables.AGE_DAYS_MAX + 1))
        if i % 500 == 7:
            age = int(rng.choice(EDGE_AGES))
        day = FIRST_DAY + int(rng.integers(0, span + 1)) * DAY
        birth = day - age * DAY
        draw = rng.random()
        position = "" if draw < 0.05 else ("H" if draw < 0.5 else "L")
        weight = _weight(rng, sex, age)
        months = int(completed_months(birth, day))
        previous, _stored = _previous(rng, birth=birth, day=day, weight=weight, age_months=months)
        entry = {
            "sex": "L" if sex == tables.SEX_MALE else "P",
            "birth_date": birth.isoformat(),
            "measured_on": day.isoformat(),
            "weight_kg": weight,
            "height_cm": _height(rng, sex, age),
            "position": position,
            "oedema": bool(rng.random() < 0.03),
            "lila_cm": _optional(
                rng, 0.3, rng.uniform(4.0, 36.0) if rng.random() < 0.1 else rng.uniform(10, 19)
            ),
            "head_circumference_cm": _optional(
                rng,
                0.3,
                rng.uniform(18.0, 62.0)
                if rng.random() < 0.1
                else _median("hcfa", sex, age) * rng.normal(1, 0.05),
            ),
            "pmt_kg": _optional(rng, 0.05, rng.choice([0.0, 1.5, 100.0, 120.0])),
        }
        rows.append({"entry": entry, "previous": previous})
    return rows


def _nan(values: list[float | None]) -> np.ndarray:
    return np.array([np.nan if value is None else value for value in values], dtype=np.float64)


def _weight_gain(rows: list[dict[str, Any]]) -> np.ndarray:
    """The status the server's refresh gives each entry (compute.weight_gain_run, with the KBM version in
    force on the child's last weighing, as children_weight_gain_refresh chooses it)."""
    status = np.full(len(rows), NOT_ASSESSED, dtype=np.int8)
    for version in KBM_VERSIONS:
        keys, births, days, weights, entry_at = [], [], [], [], []
        seeds: list[tuple[float, int, int]] = []  # the stored last weighing: (weight, month index, status)
        rows_here = []
        for i, row in enumerate(rows):
            entry = row["entry"]
            last_day = max(p["measured_on"] for p in [*row["previous"], entry])
            if entry["weight_kg"] is None or kbm_in_force(datetime.date.fromisoformat(last_day)) != version:
                continue
            # The server's refresh recomputes from the entry's day on, from the weighing before it.
            chain = sorted(
                (p for p in row["previous"] if p["measured_on"] < entry["measured_on"]),
                key=lambda p: p["measured_on"],
            )
            if chain and "weight_gain" in chain[-1]:
                # The server keeps the stored status of the weighing before and computes the entry alone.
                last = chain[-1]
                month = compute.month_index(np.array([last["measured_on"]], dtype="datetime64[D]"))[0]
                seeds.append((last["weight_kg"], int(month), last["weight_gain"]))
                chain = []
            else:
                seeds.append((np.nan, -1, NOT_ASSESSED))
            for weighing in [*chain, entry]:
                keys.append(i)
                births.append(entry["birth_date"])
                days.append(weighing["measured_on"])
                weights.append(weighing["weight_kg"])
                entry_at.append(weighing is entry)
            rows_here.append(i)
        if not keys:
            continue
        seed_of = dict(zip(rows_here, seeds, strict=True))
        key_array = np.array(keys, dtype=np.int64)
        result = compute.weight_gain_run(
            child_key=key_array,
            birth_date=np.array(births, dtype="datetime64[D]"),
            measured_on=np.array(days, dtype="datetime64[D]"),
            weight_kg=np.array(weights, dtype=np.float64),
            previous=compute.PreviousWeighing(
                weight_kg=np.array([seed_of[k][0] for k in keys], dtype=np.float64),
                month_index=np.array([seed_of[k][1] for k in keys], dtype=np.int64),
                status=np.array([seed_of[k][2] for k in keys], dtype=np.int8),
            ),
            kbm=version.table(),
        )
        for k, is_entry in enumerate(entry_at):
            if is_entry:
                status[keys[k]] = result[k]
    return status


def _rule_checks(rows: list[dict[str, Any]], age_days: np.ndarray) -> list[tuple[list[list[str]], list[str]]]:
    """Per row: [[code, message]] of the refused values (rule table and position rule), and notice codes."""
    entries = [row["entry"] for row in rows]
    columns = {field: _nan([entry.get(field) for entry in entries]) for field in rules.MEASUREMENT_FIELDS}
    broken = rules.violations(columns)
    out = []
    for i, entry in enumerate(entries):
        found = [
            [rule.code, rule.text(entry[rule.field])]
            for rule, rows_broken in broken.items()
            if rows_broken[i]
        ]
        position = rules.position_errors(
            position=entry["position"], age_days=int(age_days[i]), has_height=entry["height_cm"] is not None
        )
        found += [[rules.POSITION_RULE.code, message] for message in position.get("position", [])]
        notices = (
            ["standing_adjusted"]
            if rules.POSITION_RULE.adjusts(position=entry["position"], age_days=int(age_days[i]))
            else []
        )
        out.append((found, notices))
    return out


def server_expectations(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """What the server computes for each row: the columns of compute.measurement_growth_columns (the
    function measurement_record stores from), completed months, N/T/2T and the rule table's verdicts."""
    entries = [row["entry"] for row in rows]
    births = np.array([entry["birth_date"] for entry in entries], dtype="datetime64[D]")
    days = np.array([entry["measured_on"] for entry in entries], dtype="datetime64[D]")
    age_days = (days - births).astype(np.int64)
    columns = compute.measurement_growth_columns(
        sex=np.array([entry["sex"] for entry in entries]),
        age_days=age_days,
        weight_kg=_nan([entry["weight_kg"] for entry in entries]),
        height_cm=_nan([entry["height_cm"] for entry in entries]),
        position=np.array([entry["position"] for entry in entries]),
        oedema=np.array([entry["oedema"] for entry in entries]),
        head_circumference_cm=_nan([entry["head_circumference_cm"] for entry in entries]),
        lila_cm=_nan([entry["lila_cm"] for entry in entries]),
    )
    return {
        "age_days": age_days,
        "age_months": completed_months(births, days),
        "columns": columns,
        "weight_gain": _weight_gain(rows),
        "rules": _rule_checks(rows, age_days),
    }
