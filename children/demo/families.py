"""Families and mothers of the demo children, planned before the children are inserted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from children.compute import keluarga_is_at_risk
from children.demo.common import (
    ADULT_NIK_SHARE,
    CHILD_NIK_SHARE,
    DUSUN,
    FATHER_NAMES,
    FATHER_SECOND,
    MIN_SIBLING_GAP_DAYS,
    MONTHS_OF_AGE,
    MOTHER_BORN,
    MOTHER_NAMES,
    MOTHER_SECOND,
    SERIAL_FAMILIES,
    SIBLING_SHARE,
    WITHOUT_KELUARGA,
    _encrypted,
    _household_conditions,
    _household_reasons,
    _kecamatan6,
    _kk_numbers,
    _names,
    _phones,
    _registry_numbers,
    _risk_reasons,
)
from children.models import (
    Keluarga,
    Person,
)
from convergence.models import Posyandu


@dataclass
class _Families:
    """Families and mothers of the step-100 children, planned before the children are inserted."""

    family_of_child: np.ndarray  # index into the families, -1 for children without a Keluarga
    keluarga: list[Keluarga]
    mothers: list[Person]
    father_name: list[str]
    mother_name: list[str]
    birth_order: np.ndarray
    child_nik: np.ndarray  # "" when the child has no NIK yet
    has_birth_certificate: np.ndarray
    has_jkn: np.ndarray
    gestational_age_weeks: np.ndarray
    early_breastfeeding: list[bool | None]


def _plan_families(
    *,
    rng: np.random.Generator,
    owner: np.ndarray,
    birth: np.ndarray,
    sex: np.ndarray,
    haz_own: np.ndarray,
    burden: np.ndarray,
    posyandu: list[Posyandu],
    desa_codes: dict[int, str],
    today: date,
) -> _Families:
    """Group the children into families (siblings at the same posyandu), draw their households and mothers."""
    n = owner.size
    root, family_of_child, eldest, members, youngest, sibling_gap = _pair_siblings(
        rng, owner, birth, len(posyandu)
    )
    f = eldest.size
    # A family's poverty follows its children's stunting a little, and the desa's burden.
    latent = -0.4 * haz_own[eldest] + 0.8 * (burden[eldest] - 1.0) + rng.normal(0.0, 0.9, f)
    poorness = np.argsort(np.argsort(latent)) / max(f - 1, 1)
    conditions = _household_conditions(rng, poorness)
    older_outside = rng.choice(5, f, p=[0.38, 0.33, 0.17, 0.08, 0.04])
    first_order = older_outside + 1
    birth_order = first_order[family_of_child] + (root != np.arange(n)).astype(np.int64)
    mother_birth, four_t = _mothers(
        rng, birth[youngest], older_outside, first_order + members - 1, sibling_gap
    )
    child_age = (np.datetime64(today) - birth).astype(np.int64)
    reasons = _family_reasons(
        conditions, four_t, child_age < 731, child_age < MONTHS_OF_AGE * 30.4375, family_of_child
    )
    with_card = rng.random(f) >= WITHOUT_KELUARGA
    family_posyandu = owner[eldest]
    desa_id = np.array([posyandu[i].desa_id for i in family_posyandu])
    kecamatan6 = np.array([_kecamatan6(desa_codes[int(d)]) for d in desa_id])
    details = _card_details(
        rng, with_card, kecamatan6, birth[eldest], today, [posyandu[i] for i in family_posyandu]
    )
    child_has_nik, has_jkn, has_certificate = _child_documents(
        rng, poorness[family_of_child], child_age, conditions["jkn"][family_of_child]
    )
    all_niks = _registry_numbers(
        np.concatenate([kecamatan6[family_of_child], kecamatan6]),
        np.concatenate([birth, mother_birth]),
        np.concatenate([sex == "P", np.ones(f, dtype=bool)]),
        SERIAL_FAMILIES,
    )
    child_nik = np.where(child_has_nik, all_niks[:n], "")
    mother_nik = np.where(details["mother_nik_wanted"], all_niks[n:], "")
    mother_encrypted, mother_hash = _encrypted(list(mother_nik[with_card]))

    keluarga, mothers, card_index = _family_rows(
        with_card,
        {
            **details,
            **conditions,
            "desa_id": desa_id,
            "reasons": reasons,
            "mother_birth": mother_birth,
            "mother_encrypted": mother_encrypted,
            "mother_hash": mother_hash,
        },
    )
    early = rng.random(n)
    return _Families(
        family_of_child=card_index[family_of_child],
        keluarga=keluarga,
        mothers=mothers,
        father_name=[details["head_name"][i] for i in family_of_child],
        mother_name=[details["mother_name"][i] for i in family_of_child],
        birth_order=birth_order,
        child_nik=child_nik,
        has_birth_certificate=has_certificate,
        has_jkn=has_jkn,
        gestational_age_weeks=np.clip(np.round(rng.normal(38.8, 1.5, n)), 30, 42).astype(np.int64),
        early_breastfeeding=[None if x < 0.1 else bool(x < 0.75) for x in early],
    )


def _pair_siblings(
    rng: np.random.Generator, owner: np.ndarray, birth: np.ndarray, posyandu_count: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Families of the children: each child's root (its eldest sibling), family index, and per family
    its eldest and youngest child, member count and the days between them (10,000 for one child)."""
    n = owner.size
    # Siblings: within a posyandu, the k-th oldest child may share a mother with the k-th of the younger half.
    order = np.lexsort((birth.astype(np.int64), owner))
    sorted_owner = owner[order]
    start = np.searchsorted(sorted_owner, sorted_owner)
    size = np.bincount(owner, minlength=posyandu_count)[sorted_owner]
    rank = np.arange(n) - start
    half = size // 2
    older = rank < half
    partner_position = np.where(older, np.arange(n) + half, np.arange(n))
    partner = order[np.minimum(partner_position, n - 1)]
    me = order
    gap = (birth[partner] - birth[me]).astype(np.int64)
    paired = older & (rng.random(n) < SIBLING_SHARE) & (gap >= MIN_SIBLING_GAP_DAYS)
    root = np.arange(n)
    root[partner[paired]] = me[paired]
    roots, family_of_child = np.unique(root, return_inverse=True)
    f = roots.size
    members = np.bincount(family_of_child, minlength=f)
    youngest = np.full(f, -1)
    # Children are visited in birth order, so the last write per family is its youngest child.
    by_birth = np.argsort(birth, kind="stable")
    youngest[family_of_child[by_birth]] = by_birth
    eldest = roots
    sibling_gap = np.where(members > 1, (birth[youngest] - birth[eldest]).astype(np.int64), 10_000)
    return root, family_of_child, eldest, members, youngest, sibling_gap


def _family_rows(
    with_card: np.ndarray, drawn: dict[str, Any]
) -> tuple[list[Keluarga], list[Person], np.ndarray]:
    """The family cards and mothers of the families with a card; card_index maps families to cards."""
    f = with_card.size
    keluarga: list[Keluarga] = []
    mothers: list[Person] = []
    card_index = np.full(f, -1)
    kk_encrypted, kk_hash = _encrypted([str(drawn["kk"][i]) for i in np.flatnonzero(with_card)])
    for i in np.flatnonzero(with_card):
        address = f"Dusun {drawn['dusun'][i]}"
        card_index[i] = len(keluarga)
        keluarga.append(
            Keluarga(
                kk_encrypted=kk_encrypted[len(keluarga)],
                kk_hash=kk_hash[len(keluarga)],
                head_name=drawn["head_name"][i],
                desa_id=int(drawn["desa_id"][i]),
                address=address,
                rt=f"{drawn['rt'][i]:03d}",
                rw=f"{drawn['rw'][i]:03d}",
                water_source=str(drawn["water_source"][i]),
                latrine=str(drawn["latrine"][i]),
                jkn=str(drawn["jkn"][i]),
                receives_pkh=bool(drawn["receives_pkh"][i]),
                receives_bpnt=bool(drawn["receives_bpnt"][i]),
                at_risk=keluarga_is_at_risk(drawn["reasons"][i]),
                at_risk_reasons=drawn["reasons"][i],
            )
        )
        k = len(mothers)
        mothers.append(
            Person(
                name=drawn["mother_name"][i],
                sex="P",
                birth_date=drawn["mother_birth"][i].item(),
                desa_id=int(drawn["desa_id"][i]),
                address=address,
                rt=f"{drawn['rt'][i]:03d}",
                rw=f"{drawn['rw'][i]:03d}",
                phone=drawn["phone"][i],
                nik_encrypted=drawn["mother_encrypted"][k],
                nik_hash=drawn["mother_hash"][k],
            )
        )
    return keluarga, mothers, card_index


def _family_reasons(
    conditions: dict[str, np.ndarray],
    four_t: np.ndarray,
    is_baduta: np.ndarray,
    is_balita: np.ndarray,
    family_of_child: np.ndarray,
) -> list[list[str]]:
    """Each family's at-risk reasons: its household's, "4 terlalu" and its children under two and five."""
    f = four_t.size
    baduta = np.zeros(f, dtype=bool)
    balita = np.zeros(f, dtype=bool)
    np.logical_or.at(baduta, family_of_child, is_baduta)
    np.logical_or.at(balita, family_of_child, is_balita)
    return _risk_reasons(
        {
            **_household_reasons(conditions),
            Keluarga.AtRiskReason.MOTHER_4T.value: four_t,
            Keluarga.AtRiskReason.HAS_BADUTA.value: baduta,
            Keluarga.AtRiskReason.HAS_BALITA.value: balita,
        }
    )


def _child_documents(
    rng: np.random.Generator, child_poor: np.ndarray, child_age: np.ndarray, jkn: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Whether each child has a NIK, a JKN card and a birth certificate.

    Children's NIKs: fewer in poorer families and among the newest babies (not yet on the KK).
    """
    n = child_poor.size
    nik_share = (CHILD_NIK_SHARE - 0.15 * child_poor) * np.where(child_age < 90, 0.5, 1.0)
    child_has_nik = rng.random(n) < nik_share
    has_jkn = rng.random(n) < np.select([np.isin(jkn, ["pbi", "non_pbi"]), jkn == "tidak"], [0.9, 0.08], 0.5)
    has_certificate = rng.random(n) < np.where(child_has_nik, 0.93, 0.25)
    return child_has_nik, has_jkn, has_certificate


def _card_details(
    rng: np.random.Generator,
    with_card: np.ndarray,
    kecamatan6: np.ndarray,
    eldest_birth: np.ndarray,
    today: date,
    family_posyandu: list[Posyandu],
) -> dict[str, Any]:
    """KK number, head and mother names, address, whether the mother's NIK is known, phone; per family."""
    f = with_card.size
    return {
        "kk": _kk_numbers(rng, kecamatan6, eldest_birth, today, SERIAL_FAMILIES),
        "head_name": _names(rng, FATHER_NAMES, FATHER_SECOND, f),
        "mother_name": _names(rng, MOTHER_NAMES, MOTHER_SECOND, f),
        "dusun": rng.choice(DUSUN, f),
        "rt": rng.integers(1, 13, f),
        "rw": [int(p.rw) if p.rw.isdigit() else 1 for p in family_posyandu],
        "mother_nik_wanted": with_card & (rng.random(f) < ADULT_NIK_SHARE),
        "phone": _phones(rng, f, 0.7),
    }


def _mothers(
    rng: np.random.Generator,
    youngest_birth: np.ndarray,
    older_outside: np.ndarray,
    youngest_order: np.ndarray,
    sibling_gap: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Each family's mother's birth date and whether she is "4 terlalu" (too young or old at her
    youngest's birth, too many children, too close together)."""
    mother_age = np.clip(rng.normal(27.5, 6.0, older_outside.size) + 2.0 * older_outside, 16.0, 44.0)
    mother_birth = youngest_birth - np.round(mother_age * 365.25).astype("timedelta64[D]")
    mother_birth = np.clip(mother_birth, np.datetime64(MOTHER_BORN[0]), np.datetime64(MOTHER_BORN[1]))
    age_at_youngest = (youngest_birth - mother_birth).astype(np.int64) / 365.25
    four_t = (age_at_youngest < 20) | (age_at_youngest > 35) | (youngest_order >= 4) | (sibling_gap < 730)
    return mother_birth, four_t
