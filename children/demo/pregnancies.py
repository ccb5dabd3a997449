"""seed_demo step 110: pregnancies (finished and ongoing) with their antenatal visits."""

from __future__ import annotations

import datetime
from datetime import date
from typing import Any

import numpy as np
from django.core.management.base import OutputWrapper
from django.utils.translation import gettext as _

from children.compute import keluarga_is_at_risk, pregnancy_status
from children.demo.bulk import insert_objects
from children.demo.common import (
    ADULT_NIK_SHARE,
    DUSUN,
    FATHER_NAMES,
    FATHER_SECOND,
    HB_MEAN_G_DL,
    HB_SD_G_DL,
    LILA_MEAN_CM,
    LILA_SD_CM,
    MONTHS_OF_AGE,
    MOTHER_BORN,
    MOTHER_NAMES,
    MOTHER_SECOND,
    PREGNANCIES_PER_CHILD,
    PREGNANT_EXISTING_MOTHER_SHARE,
    REASON_ORDER,
    SERIAL_PREGNANCY,
    TTD_PER_VISIT,
    _encrypted,
    _household_conditions,
    _household_reasons,
    _kecamatan6,
    _kk_numbers,
    _names,
    _phones,
    _registry_numbers,
    _risk_reasons,
    _rng,
)
from children.models import (
    Child,
    Keluarga,
    Person,
    Pregnancy,
    PregnancyVisit,
)
from convergence.demo import DemoDistrict, DemoScale, demo_step

# --- Pregnancies -----------------------------------------------------------------------------------------

PLACES = ("Posyandu", "Puskesmas", "Bidan desa")
OTHER_RISKS = [
    Pregnancy.RiskFactor.HYPERTENSION_HISTORY.value,
    Pregnancy.RiskFactor.CHRONIC_DISEASE.value,
    Pregnancy.RiskFactor.BAD_OBSTETRIC_HISTORY.value,
    Pregnancy.RiskFactor.COMPLICATED_DELIVERY.value,
]
FOUR_T_FLAGS = frozenset({"terlalu_muda", "terlalu_tua", "terlalu_banyak", "terlalu_dekat", "terlalu_jauh"})


def _years(n: np.ndarray | float) -> np.ndarray:
    return np.round(np.asarray(n) * 365.25).astype("timedelta64[D]")


def _plan_visits(
    rng: np.random.Generator,
    *,
    lmp: date,
    last_day: date,
    pre_weight_kg: float,
    lila_cm: float,
    hb_g_dl: float,
    hypertensive: bool,
    place: str,
) -> list[PregnancyVisit]:
    """Antenatal visits from the first contact (week 6-16) about every 3-6 weeks up to `last_day`."""
    visits: list[PregnancyVisit] = []
    week = int(rng.integers(6, 17))
    interval = int(rng.integers(3, 7))
    while week <= 40:
        day = lmp + datetime.timedelta(days=7 * week + int(rng.integers(0, 3)))
        if day > last_day:
            break
        first = not visits
        gain = max(0, week - 12) * 0.42
        visits.append(
            PregnancyVisit(
                visit_date=day,
                is_anc=True,
                weight_kg=round(pre_weight_kg + gain + float(rng.normal(0.0, 0.5)), 1),
                lila_cm=round(lila_cm + float(rng.normal(0.0, 0.2)), 1)
                if first or rng.random() < 0.4
                else None,
                hb_g_dl=round(hb_g_dl + float(rng.normal(0.0, 0.3)), 1)
                if first or rng.random() < 0.3
                else None,
                systolic_mmhg=int(rng.normal(112, 9) + (30 if hypertensive and week > 20 else 0)),
                diastolic_mmhg=int(rng.normal(72, 7) + (20 if hypertensive and week > 20 else 0)),
                ttd_tablets=int(rng.choice([TTD_PER_VISIT, TTD_PER_VISIT, TTD_PER_VISIT, 15, 0])),
                place=place,
            )
        )
        week += interval
    return visits


def _derive(
    pregnancy: Pregnancy, visits: list[PregnancyVisit], mother_birth: date | None, today: date
) -> None:
    """Set the derived fields as children.services.pregnancy_refresh would, from the planned visits."""
    status = pregnancy_status(
        mother_birth_date=mother_birth,
        lmp_date=pregnancy.lmp_date,
        parity=pregnancy.parity,
        last_delivery_date=pregnancy.last_delivery_date,
        risk_history=pregnancy.risk_history,
        visits=[
            (
                v.is_anc,
                None if v.lila_cm is None else float(v.lila_cm),
                None if v.hb_g_dl is None else float(v.hb_g_dl),
                v.systolic_mmhg,
                v.diastolic_mmhg,
                v.ttd_tablets,
            )
            for v in visits
        ],
        today=today,
    )
    for name in ("ttd_total", "anc_visits", "is_kek", "is_anaemic", "is_high_risk", "risk_flags"):
        setattr(pregnancy, name, getattr(status, name))


def _risk_history(rng: np.random.Generator, height_cm: float) -> list[str]:
    history = [Pregnancy.RiskFactor.HEIGHT_UNDER_145.value] if height_cm < 145 else []
    if rng.random() < 0.08:
        history.append(str(rng.choice(OTHER_RISKS)))
    return history


class _Plan:
    """The pregnancies being planned (and their visits), drawn in order from the step's generator."""

    def __init__(self, rng: np.random.Generator, district: DemoDistrict) -> None:
        self.rng = rng
        self.today = district.today
        self.today64 = np.datetime64(district.today)
        self.posyandu_name = {p.pk: p.name for p in district.posyandu}
        self.posyandu_desa = {p.pk: p.desa_id for p in district.posyandu}
        self.desa_code = {p.desa_id: p.desa.code for p in district.posyandu}
        self.pregnancies: list[Pregnancy] = []
        self.visits: list[list[PregnancyVisit]] = []

    def add(self, pregnancy: Pregnancy, mother_birth: date | None, last_day: date, place: str) -> None:
        height = round(float(self.rng.normal(152.0, 5.5)), 1)
        pregnancy.height_cm = height
        pre_weight_kg = round(float(np.clip(self.rng.normal(52.0, 8.5), 36.0, 95.0)), 1)
        pregnancy.pre_pregnancy_weight_kg = pre_weight_kg
        pregnancy.risk_history = _risk_history(self.rng, height)
        if pregnancy.lmp_date is None:
            raise ValueError("a demo pregnancy is dated by its LMP")
        planned = _plan_visits(
            self.rng,
            lmp=pregnancy.lmp_date,
            last_day=last_day,
            pre_weight_kg=pre_weight_kg,
            lila_cm=float(self.rng.normal(LILA_MEAN_CM, LILA_SD_CM)),
            hb_g_dl=float(self.rng.normal(HB_MEAN_G_DL, HB_SD_G_DL)),
            hypertensive=bool(self.rng.random() < 0.04),
            place=place,
        )
        _derive(pregnancy, planned, mother_birth, self.today)
        self.pregnancies.append(pregnancy)
        self.visits.append(planned)

    def finished(self, rows: list[tuple]) -> dict[int, tuple]:
        """Finished pregnancies: every baby under one year whose mother is in the registry; returns the
        youngest child of each registry mother (her birth date, the child's, its order, its posyandu)."""
        previous_birth: dict[int, date] = {}
        youngest: dict[int, tuple] = {}
        for pk, mother_id, mother_birth, birth_date, order, weeks, posyandu_id, _keluarga in rows:
            if (self.today - birth_date).days < 365:
                parity = max((order or 1) - 1, 0)
                last = previous_birth.get(mother_id)
                if last is None and parity > 0:
                    last = birth_date - datetime.timedelta(days=int(self.rng.integers(700, 2200)))
                lmp = birth_date - datetime.timedelta(days=7 * (weeks or 39))
                self.add(
                    Pregnancy(
                        mother_id=mother_id,
                        desa_id=self.posyandu_desa[posyandu_id],
                        posyandu_id=posyandu_id,
                        lmp_date=lmp,
                        expected_delivery_date=lmp + datetime.timedelta(days=280),
                        gravida=parity + 1 + int(self.rng.random() < 0.06),
                        parity=parity,
                        abortus=0,
                        last_delivery_date=last,
                        outcome=Pregnancy.Outcome.LIVE_BIRTH,
                        delivery_date=birth_date,
                        newborn_id=pk,
                        postnatal_visits=int(self.rng.choice([0, 1, 2, 3, 3])),
                    ),
                    mother_birth,
                    birth_date - datetime.timedelta(days=1),
                    f"{self.rng.choice(PLACES)} {self.posyandu_name[posyandu_id]}",
                )
            previous_birth[mother_id] = birth_date
            youngest[mother_id] = (mother_birth, birth_date, order or 1, posyandu_id)
        for pregnancy in self.pregnancies:
            pregnancy.gravida = max(pregnancy.gravida, pregnancy.parity + 1)
            pregnancy.abortus = pregnancy.gravida - pregnancy.parity - 1
        return youngest

    def ongoing_existing(
        self, alive: list[tuple], youngest: dict[int, tuple]
    ) -> tuple[list[int], np.ndarray, int]:
        """Ongoing pregnancies of mothers of the registry whose youngest is past 9 months; returns those
        mothers, the LMP draws (days before today) of every ongoing pregnancy and their target count."""
        target = round(len(alive) * PREGNANCIES_PER_CHILD)
        candidates = sorted(
            mother_id
            for mother_id, (mother_birth, birth_date, _order, _posyandu) in youngest.items()
            if (self.today - birth_date).days > 270
            and mother_birth is not None
            and (self.today - mother_birth).days < 42 * 365
        )
        existing = self.rng.choice(
            candidates, min(len(candidates), round(target * PREGNANT_EXISTING_MOTHER_SHARE)), replace=False
        )
        lmp_days = self.rng.integers(21, 275, target)
        for k, mother_id in enumerate(sorted(int(x) for x in existing)):
            mother_birth, birth_date, order, posyandu_id = youngest[mother_id]
            # Not conceived before the youngest child was three months old.
            lmp = self.today - datetime.timedelta(
                days=int(min(lmp_days[k], (self.today - birth_date).days - 90))
            )
            self.add(
                Pregnancy(
                    mother_id=mother_id,
                    desa_id=self.posyandu_desa[posyandu_id],
                    posyandu_id=posyandu_id,
                    lmp_date=lmp,
                    expected_delivery_date=lmp + datetime.timedelta(days=280),
                    gravida=order + 1,
                    parity=order,
                    last_delivery_date=birth_date,
                ),
                mother_birth,
                self.today,
                f"{self.rng.choice(PLACES)} {self.posyandu_name[posyandu_id]}",
            )
        return [int(x) for x in existing], lmp_days, target

    def new_women(
        self, alive: list[tuple], target: int, lmp_days: np.ndarray, already: int
    ) -> tuple[list[Keluarga], list[Person], dict[str, np.ndarray]]:
        """Ongoing pregnancies of women new to the registry, each with her family card; returns the
        cards, the women and their household risk columns."""
        new = target - already
        where = [alive[i] for i in self.rng.integers(0, len(alive), new)] if alive and new > 0 else []
        new = len(where)
        primigravida = self.rng.random(new) < 0.55
        age = np.where(primigravida, self.rng.uniform(19.0, 30.0, new), self.rng.uniform(21.0, 41.0, new))
        lmp64 = self.today64 - lmp_days[already : already + new].astype("timedelta64[D]")
        woman_birth = np.clip(
            lmp64 - _years(age), np.datetime64(MOTHER_BORN[0]), np.datetime64(MOTHER_BORN[1])
        )
        new_parity = np.where(primigravida, 0, self.rng.choice([1, 1, 1, 2, 2, 3, 4], new))
        desa_of = np.array([d for d, _p in where], dtype=np.int64)
        kecamatan6 = (
            np.array([_kecamatan6(self.desa_code[int(d)]) for d in desa_of])
            if new
            else np.array([], dtype=str)
        )
        niks = (
            _registry_numbers(kecamatan6, woman_birth, np.ones(new, dtype=bool), SERIAL_PREGNANCY)
            if new
            else np.array([], dtype=np.int64)
        )
        wants_nik = self.rng.random(new) < ADULT_NIK_SHARE
        encrypted, hashed = _encrypted(
            [str(nik) if ok else "" for nik, ok in zip(niks, wants_nik, strict=True)]
        )
        conditions = _household_conditions(self.rng, self.rng.random(new))
        household = _household_reasons(conditions)
        kk = (
            _kk_numbers(self.rng, kecamatan6, lmp64, self.today, SERIAL_PREGNANCY)
            if new
            else np.array([], dtype=np.int64)
        )
        kk_encrypted, kk_hash = _encrypted([str(number) for number in kk])
        heads = _names(self.rng, FATHER_NAMES, FATHER_SECOND, new)
        names = _names(self.rng, MOTHER_NAMES, MOTHER_SECOND, new)
        phones = _phones(self.rng, new, 0.75)
        drawn = {
            "kk_encrypted": kk_encrypted,
            "kk_hash": kk_hash,
            "head_name": heads,
            "name": names,
            "phone": phones,
            "nik_encrypted": encrypted,
            "nik_hash": hashed,
            "birth_date": woman_birth,
            "lmp": lmp64,
            "parity": new_parity,
            **conditions,
        }
        new_keluarga: list[Keluarga] = []
        new_women: list[Person] = []
        for i, (desa_id, posyandu_id) in enumerate(where):
            keluarga, woman = self._new_woman(drawn, i, desa_id, posyandu_id)
            new_keluarga.append(keluarga)
            new_women.append(woman)
        return new_keluarga, new_women, household

    def _new_woman(
        self, drawn: dict[str, Any], i: int, desa_id: int, posyandu_id: int
    ) -> tuple[Keluarga, Person]:
        """The i-th new woman, her family card and her pregnancy (her address drawn here, in order)."""
        rt, rw = f"{int(self.rng.integers(1, 13)):03d}", f"{int(self.rng.integers(1, 9)):03d}"
        address = f"Dusun {self.rng.choice(DUSUN)}"
        keluarga = Keluarga(
            kk_encrypted=drawn["kk_encrypted"][i],
            kk_hash=drawn["kk_hash"][i],
            head_name=drawn["head_name"][i],
            desa_id=desa_id,
            address=address,
            rt=rt,
            rw=rw,
            water_source=str(drawn["water_source"][i]),
            latrine=str(drawn["latrine"][i]),
            jkn=str(drawn["jkn"][i]),
            receives_pkh=bool(drawn["receives_pkh"][i]),
            receives_bpnt=bool(drawn["receives_bpnt"][i]),
        )
        woman = Person(
            name=drawn["name"][i],
            sex="P",
            birth_date=drawn["birth_date"][i].item(),
            desa_id=desa_id,
            address=address,
            rt=rt,
            rw=rw,
            phone=drawn["phone"][i],
            nik_encrypted=drawn["nik_encrypted"][i],
            nik_hash=drawn["nik_hash"][i],
        )
        lmp = drawn["lmp"][i].item()
        parity = int(drawn["parity"][i])
        self.add(
            Pregnancy(
                desa_id=desa_id,
                posyandu_id=posyandu_id,
                lmp_date=lmp,
                expected_delivery_date=lmp + datetime.timedelta(days=280),
                gravida=parity + 1,
                parity=parity,
                last_delivery_date=None
                if parity == 0
                else lmp - datetime.timedelta(days=int(self.rng.integers(450, 4200))),
            ),
            woman.birth_date,
            self.today,
            f"{self.rng.choice(PLACES)} {self.posyandu_name[posyandu_id]}",
        )
        return keluarga, woman


def _insert_new_families(
    plan: _Plan, new_keluarga: list[Keluarga], new_women: list[Person], household: dict[str, np.ndarray]
) -> None:
    """The new women's family cards (with their risk reasons) and the women, before their pregnancies."""
    new = len(new_women)
    new_pregnancies = plan.pregnancies[len(plan.pregnancies) - new :] if new else []
    for i, (keluarga, pregnancy) in enumerate(zip(new_keluarga, new_pregnancies, strict=True)):
        keluarga.at_risk_reasons = _risk_reasons(
            {
                **{name: values[i : i + 1] for name, values in household.items()},
                Keluarga.AtRiskReason.MOTHER_4T.value: np.array(
                    [bool(FOUR_T_FLAGS & set(pregnancy.risk_flags))]
                ),
                Keluarga.AtRiskReason.HAS_PREGNANT.value: np.array([True]),
            }
        )[0]
        keluarga.at_risk = keluarga_is_at_risk(keluarga.at_risk_reasons)
    insert_objects(Keluarga, new_keluarga)
    for keluarga, woman in zip(new_keluarga, new_women, strict=True):
        woman.keluarga = keluarga
    insert_objects(Person, new_women)
    for woman, pregnancy in zip(new_women, new_pregnancies, strict=True):
        pregnancy.mother = woman


def _flag_pregnant_families(pregnant: list[Pregnancy]) -> None:
    """The families of registry mothers now pregnant gain "ada ibu hamil" (and "4 terlalu" when it applies)."""
    pregnant_mothers = [p.mother_id for p in pregnant]
    flags_of = {p.mother_id: p.risk_flags for p in pregnant}
    families = Keluarga.objects.filter(members__pk__in=pregnant_mothers).values_list(
        "pk", "at_risk_reasons", "members__pk"
    )
    changed = []
    for pk, reasons, mother_id in families:
        found = set(reasons) | {Keluarga.AtRiskReason.HAS_PREGNANT.value}
        if FOUR_T_FLAGS & set(flags_of.get(mother_id, [])):
            found.add(Keluarga.AtRiskReason.MOTHER_4T.value)
        ordered = [reason for reason in REASON_ORDER if reason in found]
        changed.append(Keluarga(pk=pk, at_risk_reasons=ordered, at_risk=keluarga_is_at_risk(ordered)))
    Keluarga.objects.bulk_update(changed, ["at_risk_reasons", "at_risk"], batch_size=1000)


def _load(district: DemoDistrict) -> tuple[list[tuple], list[tuple]]:
    """(desa, posyandu) of each child alive today, and the children of registry mothers by mother."""
    today = district.today
    desa_ids = sorted({p.desa_id for p in district.posyandu})
    alive_since = today - datetime.timedelta(days=int(MONTHS_OF_AGE * 30.4375))
    alive = list(
        Child.objects.filter(desa_id__in=desa_ids, birth_date__gt=alive_since)
        .order_by("pk")
        .values_list("desa_id", "posyandu_id")
    )
    rows = list(
        Child.objects.filter(desa_id__in=desa_ids, mother__isnull=False)
        .order_by("mother_id", "birth_date", "pk")
        .values_list(
            "pk",
            "mother_id",
            "mother__birth_date",
            "birth_date",
            "birth_order",
            "gestational_age_weeks",
            "posyandu_id",
            "keluarga_id",
        )
    )
    return alive, rows


@demo_step(110, "kehamilan")
def seed_pregnancies(*, rng_seed: int, scale: DemoScale, district: DemoDistrict, out: OutputWrapper) -> None:
    """Finished pregnancies of the babies under one year, and ongoing ones (about one per five balita).

    About a third of the pregnant women are mothers already in the registry; the others are new to it,
    each with her own family card.
    """
    plan = _Plan(_rng(rng_seed, "kehamilan"), district)
    alive, rows = _load(district)
    youngest = plan.finished(rows)
    finished = len(plan.pregnancies)
    pregnant_mothers, lmp_days, target = plan.ongoing_existing(alive, youngest)
    new_keluarga, new_women, household = plan.new_women(alive, target, lmp_days, len(pregnant_mothers))
    _insert_new_families(plan, new_keluarga, new_women, household)
    _flag_pregnant_families(plan.pregnancies[finished : finished + len(pregnant_mothers)])
    pregnancies, visits = plan.pregnancies, plan.visits
    insert_objects(Pregnancy, pregnancies)
    rows_visits = []
    for pregnancy, planned in zip(pregnancies, visits, strict=True):
        for visit in planned:
            visit.pregnancy = pregnancy
            rows_visits.append(visit)
    insert_objects(PregnancyVisit, rows_visits)
    ongoing = pregnancies[finished:]
    district.count(_("Kehamilan berlangsung"), len(ongoing))
    district.count(_("Kehamilan selesai (bayi tercatat)"), finished)
    district.count(_("Kunjungan kehamilan"), len(rows_visits))
    district.count(_("Ibu hamil KEK"), sum(1 for p in ongoing if p.is_kek))
    district.count(_("Ibu hamil anemia"), sum(1 for p in ongoing if p.is_anaemic))
    district.count(_("Ibu hamil risiko tinggi"), sum(1 for p in ongoing if p.is_high_risk))
