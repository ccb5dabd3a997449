"""seed_demo step 100: named children 0-59 months, their families and 24 months of measurements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from math import erf, sqrt

import numpy as np
from django.core.management.base import OutputWrapper
from django.utils.translation import gettext as _

from children import growth
from children.compute import GROWTH_FIELDS, measurement_growth_columns
from children.demo.bulk import insert_columns, insert_objects, reserve_ids
from children.demo.common import (
    FIRST_NAMES_L,
    FIRST_NAMES_P,
    MONTHS_OF_AGE,
    PARTICIPATION,
    SECOND_NAMES,
    _encrypted,
    _month_start,
    _rng,
)
from children.demo.families import _Families, _plan_families
from children.growth.weight_gain import B_BARU, completed_months, weight_gain_status
from children.models import (
    Child,
    Keluarga,
    Measurement,
    Person,
)
from children.selectors import kbm_table_on
from convergence.demo import DemoDistrict, DemoScale, demo_step
from convergence.models import Posyandu


@dataclass(frozen=True)
class _Births:
    """The children drawn for the posyandu, one entry per child (arrays of length n)."""

    owner: np.ndarray  # index into district.posyandu
    birth: np.ndarray  # datetime64[D]
    sex: np.ndarray  # "L" / "P"
    burden: np.ndarray  # the desa's relative stunting burden
    haz_own: np.ndarray  # the child's own HAZ and WHZ levels
    whz_own: np.ndarray
    names: np.ndarray
    birth_weight_kg: np.ndarray
    birth_length_cm: np.ndarray


def _draw_births(rng: np.random.Generator, scale: DemoScale, district: DemoDistrict) -> _Births:
    """Children born over the 59 months before the history window up to today, per posyandu."""
    history = scale.months_of_history
    first_month = _month_start(district.today, history - 1)
    posyandu = district.posyandu
    target = np.array([p.target_balita for p in posyandu], dtype=np.float64)
    # Births per posyandu per month keep today's 0-59-month count near the posyandu's target.
    births_per_month = target / MONTHS_OF_AGE
    span_months = MONTHS_OF_AGE + history - 1
    counts = rng.poisson(births_per_month * span_months)
    owner = np.repeat(np.arange(len(posyandu)), counts)
    n = owner.size
    earliest = _month_start(first_month, MONTHS_OF_AGE - 1)
    span_days = (district.today - earliest).days
    birth = np.datetime64(earliest) + rng.integers(0, span_days, n).astype("timedelta64[D]")
    sex = np.where(rng.random(n) < 0.51, "L", "P")
    burden = np.array([district.desa_burden.get(p.desa.code, 1.0) for p in posyandu])[owner]
    # A child's own HAZ and WHZ level; the desa burden shifts HAZ so lokus desa look like lokus.
    haz_own = rng.normal(0.0, 1.05, n) - 0.35 * (burden - 1.0)
    whz_own = rng.normal(-0.35, 0.95, n)
    first = rng.choice(FIRST_NAMES_L, n)
    first = np.where(sex == "P", rng.choice(FIRST_NAMES_P, n), first)
    names = np.char.add(np.char.add(first.astype(str), " "), rng.choice(SECOND_NAMES, n))
    return _Births(
        owner=owner,
        birth=birth,
        sex=sex,
        burden=burden,
        haz_own=haz_own,
        whz_own=whz_own,
        names=names,
        birth_weight_kg=np.round(rng.normal(3.1, 0.45, n), 2),
        birth_length_cm=np.round(rng.normal(48.5, 2.0, n), 1),
    )


def _insert_children(births: _Births, families: _Families, posyandu: list[Posyandu]) -> np.ndarray:
    """Insert the families, their mothers and the children; returns the children's ids."""
    insert_objects(Keluarga, families.keluarga)
    for card, mother in zip(families.keluarga, families.mothers, strict=True):
        mother.keluarga = card
    insert_objects(Person, families.mothers)
    nik_encrypted, nik_hash = _encrypted(list(families.child_nik))
    n = births.owner.size
    family = families.family_of_child
    keluarga: list[Keluarga | None] = [families.keluarga[f] if f >= 0 else None for f in family.tolist()]
    child_ids = np.array(reserve_ids(Child, n), dtype=np.int64)
    insert_columns(
        Child,
        {
            "id": child_ids,
            "name": births.names.astype(str),
            "sex": births.sex.astype(str),
            "birth_date": births.birth,
            "birth_order": families.birth_order.astype(np.int64),
            "birth_weight_kg": births.birth_weight_kg,
            "birth_length_cm": births.birth_length_cm,
            "gestational_age_weeks": families.gestational_age_weeks.astype(np.int64),
            "early_breastfeeding": families.early_breastfeeding,
            "posyandu_id": [posyandu[i].pk for i in births.owner.tolist()],
            "desa_id": [posyandu[i].desa_id for i in births.owner.tolist()],
            "keluarga_id": [k.pk if k is not None else None for k in keluarga],
            "mother_id": [families.mothers[f].pk if f >= 0 else None for f in family.tolist()],
            "mother_name": families.mother_name,
            "father_name": families.father_name,
            "address": [k.address if k is not None else "" for k in keluarga],
            "rt": [k.rt if k is not None else "" for k in keluarga],
            "rw": [k.rw if k is not None else "" for k in keluarga],
            "has_birth_certificate": families.has_birth_certificate.astype(bool),
            "has_jkn": families.has_jkn.astype(bool),
            "nik_encrypted": nik_encrypted,
            "nik_hash": nik_hash,
        },
    )
    return child_ids


@demo_step(100, "anak")
def seed_children(*, rng_seed: int, scale: DemoScale, district: DemoDistrict, out: OutputWrapper) -> None:
    """Children born over the 59 months before the history window up to today, their families and
    mothers, and their measurements."""
    rng = _rng(rng_seed, "anak")
    posyandu = district.posyandu
    births = _draw_births(rng, scale, district)
    # Families draw from their own stream: the children and measurements stay those of the seed.
    families = _plan_families(
        rng=_rng(rng_seed, "keluarga"),
        owner=births.owner,
        birth=births.birth,
        sex=births.sex,
        haz_own=births.haz_own,
        burden=births.burden,
        posyandu=posyandu,
        desa_codes={p.desa_id: p.desa.code for p in posyandu},
        today=district.today,
    )
    child_ids = _insert_children(births, families, posyandu)
    m = _seed_measurements(rng, scale, district, births, child_ids)
    n = births.owner.size
    alive = int(
        np.count_nonzero(
            (np.datetime64(district.today) - births.birth).astype(np.int64) < MONTHS_OF_AGE * 30.4375
        )
    )
    district.count(_("Anak 0-59 bulan (hari ini)"), alive)
    district.count(_("Anak terdaftar (termasuk yang sudah lewat 59 bulan)"), n)
    district.count(_("Pengukuran"), m)
    district.count(_("Keluarga"), len(families.keluarga))
    district.count(
        _("Keluarga berisiko stunting"), sum(1 for keluarga in families.keluarga if keluarga.at_risk)
    )
    district.count(_("Ibu (penduduk)"), len(families.mothers))
    district.count(_("Anak dengan NIK"), int(np.count_nonzero(families.child_nik != "")))


def _seed_measurements(
    rng: np.random.Generator, scale: DemoScale, district: DemoDistrict, births: _Births, child_ids: np.ndarray
) -> int:
    """A weighing day per posyandu each month; each child 0-59 months attends (PARTICIPATION) with a
    length and weight drawn from her own z-score levels, the period trend and the age effect. Returns
    the number of measurements inserted."""
    history = scale.months_of_history
    owner, birth = births.owner, births.birth
    posyandu_day = rng.integers(5, 26, len(district.posyandu))
    month_starts = np.array(
        [np.datetime64(_month_start(district.today, history - 1 - m)) for m in range(history)]
    )
    # Candidate (child, month) pairs, kept when the child is 0-59 months on the day and attends.
    n = owner.size
    child_index = np.repeat(np.arange(n), history)
    month_index = np.tile(np.arange(history), n)
    day = month_starts[month_index] + (posyandu_day[owner[child_index]] - 1).astype("timedelta64[D]")
    age_days = (day - birth[child_index]).astype(np.int64)
    keep = (age_days >= 0) & (age_days < MONTHS_OF_AGE * 30.4375) & (day <= np.datetime64(district.today))
    keep &= rng.random(keep.size) < PARTICIPATION
    child_index, month_index, day, age_days = child_index[keep], month_index[keep], day[keep], age_days[keep]
    m = child_index.size

    # Period trend: mean HAZ rises so prevalence falls from about 27% to about 21% over the history;
    # stunting accumulates over the first two years of life.
    start, end = scale.stunting_prevalence
    mean_start, mean_end = _mean_for(start), _mean_for(end)
    trend = mean_start + (month_index / max(history - 1, 1)) * (mean_end - mean_start)
    age_effect = -0.45 * (np.minimum(age_days, 731) / 731 - 0.75)
    haz = births.haz_own[child_index] + trend + age_effect + rng.normal(0.0, 0.12, m)
    whz = births.whz_own[child_index] + rng.normal(0.0, 0.3, m)
    sex_m = births.sex[child_index]
    sex_code = np.where(sex_m == "P", growth.tables.SEX_FEMALE, growth.tables.SEX_MALE)
    lhfa = growth.tables.table("lhfa")
    row = (sex_code - 1) * lhfa.rows + np.clip(age_days, 0, lhfa.rows - 1)
    length_true = lhfa.m[row] * (1.0 + lhfa.s[row] * haz)
    # Position as a posyandu takes it: lying under two years, standing after; 5% the other way.
    standing = (age_days >= 731) ^ (rng.random(m) < 0.05)
    standing &= age_days >= 274
    # The lhfa table is length before 731 days and height after: undo the adjustment the engine applies.
    measured_length = length_true + np.where(standing & (age_days < 731), -0.7, 0.0)
    measured_length += np.where(~standing & (age_days >= 731), 0.7, 0.0)
    height_cm = np.round(measured_length, 1)
    weight_kg = np.round(_weight_for(sex_code, age_days, length_true, whz), 1)
    position = np.where(standing, "H", "L")
    columns = measurement_growth_columns(
        sex=sex_m,
        age_days=age_days,
        weight_kg=weight_kg,
        height_cm=height_cm,
        position=position,
        oedema=np.zeros(m, dtype=bool),
    )
    status = _weight_gain(child_index, month_index, birth[child_index], day, weight_kg, district.today)
    posyandu_ids = np.array([p.pk for p in district.posyandu], dtype=np.int64)
    insert_columns(
        Measurement,
        {
            "child_id": child_ids[child_index],
            "posyandu_id": posyandu_ids[owner[child_index]],
            "measured_on": day,
            "age_days": age_days,
            "weight_kg": weight_kg,
            "height_cm": height_cm,
            "position": position.astype(str),
            # Python's round, as the row-by-row version had it (numpy's differs in the last digit at times).
            "adjusted_height_cm": [
                None if x != x else round(x, 1) for x in columns["adjusted_height_cm"].tolist()
            ],
            "weight_gain": status.astype(np.int64),
            "source": [Measurement.Source.DEMO.value] * m,
            **{name: columns[name] for name in GROWTH_FIELDS},
        },
    )
    return m


# Spread of HAZ across measured children: the child's own level (1.05), visit noise, age and desa effects.
HAZ_SPREAD = 1.12


def _mean_for(prevalence: float) -> float:
    """Mean HAZ that puts `prevalence` of children below -2 SD (inverse normal, by bisection)."""
    low, high = -4.0, 2.0
    for _step in range(60):
        middle = (low + high) / 2
        share = 0.5 * (1.0 + erf((-2.0 - middle) / HAZ_SPREAD / sqrt(2.0)))
        low, high = (middle, high) if share > prevalence else (low, middle)
    return (low + high) / 2


def _weight_for(
    sex_code: np.ndarray, age_days: np.ndarray, length_cm: np.ndarray, whz: np.ndarray
) -> np.ndarray:
    """Weight (kg) at weight-for-length/height z `whz`, on the WHO table that applies to the age."""
    weight = np.empty(age_days.size)
    length_mm = np.rint(length_cm * 10).astype(np.int64)
    z = np.clip(whz, -2.9, 2.9)
    for name, rows in (("wfl", age_days < 731), ("wfh", age_days >= 731)):
        table = growth.tables.table(name)
        index = (sex_code[rows] - 1) * table.rows + np.clip(
            length_mm[rows] - table.key_min, 0, table.rows - 1
        )
        l_, m_, s_ = table.l[index], table.m[index], table.s[index]
        weight[rows] = m_ * np.power(1.0 + l_ * s_ * z[rows], 1.0 / l_)
    return weight


def _weight_gain(
    child_index: np.ndarray,
    month_index: np.ndarray,
    birth: np.ndarray,
    day: np.ndarray,
    weight_kg: np.ndarray,
    today: date,
) -> np.ndarray:
    """N/T/2T/O/B per measurement, visit by visit (2T depends on the previous status)."""
    kbm = kbm_table_on(day=today)
    order = np.lexsort((month_index, child_index))
    status = np.full(child_index.size, B_BARU, dtype=np.int8)
    sorted_child = child_index[order]
    visit = np.arange(order.size) - np.searchsorted(sorted_child, sorted_child)
    age_months = completed_months(birth, day)
    for k in range(1, int(visit.max(initial=0)) + 1):
        here = order[visit == k]
        before = order[np.flatnonzero(visit == k) - 1]
        status[here] = weight_gain_status(
            age_months=age_months[here],
            weight_kg=weight_kg[here],
            previous_weight_kg=weight_kg[before],
            months_since_previous=month_index[here] - month_index[before],
            previous_status=status[before],
            kbm=kbm,
        )
    return status
