"""seed_demo step: named children 0-59 months and 24 months of posyandu measurements.

Heights and weights are drawn as z-scores and turned into centimetres and kilograms through the
WHO tables, so the demo's stunting prevalence is what it was made to be (about 27% falling to 21%),
then every measurement goes through the same engine as real entries.
"""

from __future__ import annotations

from datetime import date
from math import erf, sqrt

import numpy as np
from django.core.management.base import OutputWrapper
from django.utils.translation import gettext as _

from children import growth
from children.compute import GROWTH_FIELDS, measurement_growth_columns
from children.growth.weight_gain import B_BARU, completed_months, weight_gain_status
from children.models import Child, Measurement
from children.selectors import kbm_table_on
from convergence.demo import DemoDistrict, DemoScale, demo_cleanup, demo_step, step_rng
from convergence.models import Region

FIRST_NAMES_L = "Ahmad Budi Dimas Eko Fajar Galih Hendra Ilham Joko Kevin Lutfi Muhammad Nanda Oki Putra Rizky Satria Teguh Wahyu Yusuf Arif Bagas Dafa Farhan".split()
FIRST_NAMES_P = "Aisyah Bunga Citra Dewi Eka Fitri Gita Hana Intan Jihan Kirana Lestari Maya Nabila Putri Rina Salsabila Tiara Ulfa Wulan Yuni Zahra Aulia Dinda".split()
SECOND_NAMES = "Pratama Saputra Wijaya Kurniawan Hidayat Santoso Setiawan Nugroho Rahmawati Lestari Maharani Ramadhani Firmansyah Wibowo Anggraini Permata".split()
PARTICIPATION = 0.78  # share of children weighed in a month (D/S), as reported for active posyandu
MONTHS_OF_AGE = 60
INSERT_BATCH = 5000


def _month_start(day: date, back: int) -> date:
    months = day.year * 12 + day.month - 1 - back
    return date(months // 12, months % 12 + 1, 1)


@demo_step(100, "anak")
def seed_children(*, rng_seed: int, scale: DemoScale, district: DemoDistrict, out: OutputWrapper) -> None:
    """Children born over the 59 months before the history window up to today, and their measurements."""
    rng = np.random.default_rng(step_rng(rng_seed, "anak").getrandbits(64))
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
    children = [
        Child(
            name=str(names[i]),
            sex=str(sex[i]),
            birth_date=birth[i].item(),
            birth_weight_kg=round(float(rng.normal(3.1, 0.45)), 2),
            birth_length_cm=round(float(rng.normal(48.5, 2.0)), 1),
            posyandu=posyandu[owner[i]],
            desa_id=posyandu[owner[i]].desa_id,
        )
        for i in range(n)
    ]
    Child.objects.bulk_create(children, batch_size=INSERT_BATCH)
    child_ids = np.array([c.pk for c in children])

    # One weighing day per posyandu each month.
    posyandu_day = rng.integers(5, 26, len(posyandu))
    month_starts = np.array(
        [np.datetime64(_month_start(district.today, history - 1 - m)) for m in range(history)]
    )
    # Candidate (child, month) pairs, kept when the child is 0-59 months on the day and attends.
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
    haz = haz_own[child_index] + trend + age_effect + rng.normal(0.0, 0.12, m)
    whz = whz_own[child_index] + rng.normal(0.0, 0.3, m)
    sex_m = sex[child_index]
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
    oedema = np.zeros(m, dtype=bool)
    columns = measurement_growth_columns(
        sex=sex_m,
        age_days=age_days,
        weight_kg=weight_kg,
        height_cm=height_cm,
        position=position,
        oedema=oedema,
    )
    status = _weight_gain(child_index, month_index, birth[child_index], day, weight_kg, district.today)

    rows = [
        Measurement(
            child_id=int(child_ids[child_index[k]]),
            posyandu_id=posyandu[owner[child_index[k]]].pk,
            measured_on=day[k].item(),
            age_days=int(age_days[k]),
            weight_kg=float(weight_kg[k]),
            height_cm=float(height_cm[k]),
            position=str(position[k]),
            adjusted_height_cm=_or_none(round(float(columns["adjusted_height_cm"][k]), 1)),
            weight_gain=int(status[k]),
            source=Measurement.Source.DEMO,
            **{name: _or_none(columns[name][k]) for name in GROWTH_FIELDS},
        )
        for k in range(m)
    ]
    Measurement.objects.bulk_create(rows, batch_size=INSERT_BATCH)
    alive = int(
        np.count_nonzero((np.datetime64(district.today) - birth).astype(np.int64) < MONTHS_OF_AGE * 30.4375)
    )
    district.count(_("Anak 0-59 bulan (hari ini)"), alive)
    district.count(_("Anak terdaftar (termasuk yang sudah lewat 59 bulan)"), n)
    district.count(_("Pengukuran"), m)


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


def _or_none(value: float | int | np.generic) -> float | int | None:
    number = value.item() if isinstance(value, np.generic) else value
    if isinstance(number, float) and np.isnan(number):
        return None
    return number


@demo_cleanup(100, "anak")
def delete_children(*, kabupaten: Region, out: OutputWrapper) -> None:
    inside = f"{kabupaten.code}."
    Measurement.objects.filter(posyandu__desa__code__startswith=inside).delete()
    Child.objects.filter(desa__code__startswith=inside).delete()
    Child.history.filter(desa__code__startswith=inside).delete()
