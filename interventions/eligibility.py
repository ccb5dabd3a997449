"""Eligibility rules: who in a target group should receive an intervention, as pure functions over arrays.

An intervention names one rule (`Intervention.eligibility_rule`) and its parameters (`rule_params`);
which rule and which parameters are data edited by Bappeda, how a rule is evaluated is code here.
A rule gets the population of a whole region at once (`Population`, loaded by
interventions.selectors.population_load in a handful of queries) and the row indices of the target
group, and returns a boolean mask over those rows. No Django, no ORM, no I/O.

Parameters every child rule understands: `min_age_months` and `max_age_months` (completed months on
the reference day) narrow the group's own band (baduta 0-23, balita 0-59), e.g. ASI eksklusif 0-5,
MP-ASI 6-23.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from children.growth import classify


def gettext_noop(message: str) -> str:
    return message


# Target groups and subject kinds (the values of interventions.models.TargetGroup / SubjectKind).
REMAJA_PUTRI, CATIN, IBU_HAMIL, BADUTA, BALITA, KELUARGA = (
    "remaja_putri",
    "catin",
    "ibu_hamil",
    "baduta",
    "balita",
    "keluarga",
)
CHILD, PERSON, FAMILY = "anak", "penduduk", "keluarga"
CHILD_GROUPS = frozenset({BADUTA, BALITA})
PERSON_GROUPS = frozenset({REMAJA_PUTRI, CATIN, IBU_HAMIL})
ALL_GROUPS = frozenset({REMAJA_PUTRI, CATIN, IBU_HAMIL, BADUTA, BALITA, KELUARGA})
SUBJECT_KIND = {
    REMAJA_PUTRI: PERSON,
    CATIN: PERSON,
    IBU_HAMIL: PERSON,
    BADUTA: CHILD,
    BALITA: CHILD,
    KELUARGA: FAMILY,
}
# Completed months, inclusive.
AGE_BAND = {BADUTA: (0, 23), BALITA: (0, 59)}

STUNTED = (classify.TBU_SANGAT_PENDEK, classify.TBU_PENDEK)
# Water/latrine of a family: 1 safe, 0 not safe, -1 not surveyed (never counted as lacking).
SAFE, UNSAFE, UNKNOWN = 1, 0, -1


def _ints(values: Any = ()) -> np.ndarray:
    return np.asarray(values, dtype=np.int64)


def _bools(values: Any = ()) -> np.ndarray:
    return np.asarray(values, dtype=bool)


@dataclass(frozen=True)
class Children:
    """Active children 0-59 months on the reference day; category codes of their latest valid measurement."""

    id: np.ndarray = field(default_factory=_ints)
    desa_id: np.ndarray = field(default_factory=_ints)
    keluarga_id: np.ndarray = field(default_factory=_ints)  # 0 when the child has no family card
    age_months: np.ndarray = field(default_factory=_ints)
    haz_category: np.ndarray = field(default_factory=_ints)  # -1 when none in the last 12 months
    whz_category: np.ndarray = field(default_factory=_ints)
    has_birth_certificate: np.ndarray = field(default_factory=_bools)
    has_jkn: np.ndarray = field(default_factory=_bools)


@dataclass(frozen=True)
class Pregnancies:
    """Ongoing pregnancies; the subject is the mother (a Person)."""

    person_id: np.ndarray = field(default_factory=_ints)
    desa_id: np.ndarray = field(default_factory=_ints)
    is_kek: np.ndarray = field(default_factory=_bools)
    is_anaemic: np.ndarray = field(default_factory=_bools)


@dataclass(frozen=True)
class Girls:
    """Adolescent girls followed for weekly TTD."""

    person_id: np.ndarray = field(default_factory=_ints)
    desa_id: np.ndarray = field(default_factory=_ints)


@dataclass(frozen=True)
class Families:
    id: np.ndarray = field(default_factory=_ints)
    desa_id: np.ndarray = field(default_factory=_ints)
    water: np.ndarray = field(default_factory=_ints)  # SAFE / UNSAFE / UNKNOWN
    latrine: np.ndarray = field(default_factory=_ints)
    receives_pkh: np.ndarray = field(default_factory=_bools)
    receives_bpnt: np.ndarray = field(default_factory=_bools)
    at_risk: np.ndarray = field(default_factory=_bools)
    poor: np.ndarray = field(default_factory=_bools)


@dataclass(frozen=True)
class Population:
    children: Children = field(default_factory=Children)
    pregnancies: Pregnancies = field(default_factory=Pregnancies)
    girls: Girls = field(default_factory=Girls)
    families: Families = field(default_factory=Families)


@dataclass(frozen=True)
class GroupRows:
    """The members of a target group: subject ids and desa, and their row indices in the source table."""

    kind: str
    index: np.ndarray
    subject_id: np.ndarray
    desa_id: np.ndarray


def group_rows(population: Population, group: str, params: Mapping[str, Any] | None = None) -> GroupRows:
    """The members of `group` (children narrowed by the age parameters)."""
    params = params or {}
    if group in CHILD_GROUPS:
        low, high = AGE_BAND[group]
        low = max(low, int(params.get("min_age_months", low)))
        high = min(high, int(params.get("max_age_months", high)))
        table = population.children
        index = np.flatnonzero((table.age_months >= low) & (table.age_months <= high))
        return GroupRows(CHILD, index, table.id[index], table.desa_id[index])
    if group == IBU_HAMIL:
        preg = population.pregnancies
        index = np.arange(len(preg.person_id))
        return GroupRows(PERSON, index, preg.person_id, preg.desa_id)
    if group == REMAJA_PUTRI:
        girls = population.girls
        index = np.arange(len(girls.person_id))
        return GroupRows(PERSON, index, girls.person_id, girls.desa_id)
    if group == KELUARGA:
        families = population.families
        index = np.arange(len(families.id))
        return GroupRows(FAMILY, index, families.id, families.desa_id)
    # Catin: the registry holds no engaged couples yet, so nobody is due.
    return GroupRows(PERSON, _ints(), _ints(), _ints())


RuleFunction = Callable[[Population, GroupRows, Mapping[str, Any]], np.ndarray]


@dataclass(frozen=True)
class Rule:
    name: str
    label: str
    description: str
    groups: frozenset[str]
    function: RuleFunction


RULES: dict[str, Rule] = {}


def _rule(
    name: str, label: str, description: str, groups: frozenset[str]
) -> Callable[[RuleFunction], RuleFunction]:
    def register(function: RuleFunction) -> RuleFunction:
        RULES[name] = Rule(name, label, description, groups, function)
        return function

    return register


def _stunted_family_ids(population: Population) -> np.ndarray:
    children = population.children
    stunted = np.isin(children.haz_category, STUNTED) & (children.keluarga_id > 0)
    return np.unique(children.keluarga_id[stunted])


def _family_has_stunted_child(population: Population, rows: GroupRows) -> np.ndarray:
    return np.isin(rows.subject_id, _stunted_family_ids(population))


@_rule(
    "semua",
    gettext_noop("Semua sasaran"),
    gettext_noop("Setiap anggota kelompok sasaran (anak dalam rentang umur yang ditetapkan)."),
    ALL_GROUPS,
)
def everyone(population: Population, rows: GroupRows, params: Mapping[str, Any]) -> np.ndarray:
    return np.ones(len(rows.index), dtype=bool)


for _alias, _group, _label in (
    ("baduta_semua", BADUTA, gettext_noop("Semua baduta")),
    ("ibu_hamil_semua", IBU_HAMIL, gettext_noop("Semua ibu hamil")),
    ("remaja_putri_semua", REMAJA_PUTRI, gettext_noop("Semua remaja putri")),
):
    RULES[_alias] = Rule(
        _alias, _label, gettext_noop("Setiap anggota kelompok sasaran."), frozenset({_group}), everyone
    )


@_rule(
    "balita_stunting",
    gettext_noop("Anak stunting"),
    gettext_noop("TB/U pendek atau sangat pendek pada pengukuran sah terakhir (12 bulan terakhir)."),
    CHILD_GROUPS,
)
def child_stunted(population: Population, rows: GroupRows, params: Mapping[str, Any]) -> np.ndarray:
    return np.isin(population.children.haz_category[rows.index], STUNTED)


@_rule(
    "balita_gizi_kurang",
    gettext_noop("Anak gizi kurang"),
    gettext_noop("BB/TB gizi kurang pada pengukuran sah terakhir (12 bulan terakhir)."),
    CHILD_GROUPS,
)
def child_wasted(population: Population, rows: GroupRows, params: Mapping[str, Any]) -> np.ndarray:
    return population.children.whz_category[rows.index] == classify.GIZI_KURANG


@_rule(
    "balita_gizi_buruk",
    gettext_noop("Anak gizi buruk"),
    gettext_noop("BB/TB gizi buruk pada pengukuran sah terakhir (12 bulan terakhir)."),
    CHILD_GROUPS,
)
def child_severely_wasted(population: Population, rows: GroupRows, params: Mapping[str, Any]) -> np.ndarray:
    return population.children.whz_category[rows.index] == classify.GIZI_BURUK


@_rule(
    "anak_tanpa_akta",
    gettext_noop("Anak tanpa akta kelahiran"),
    gettext_noop("Anak yang belum tercatat punya akta kelahiran."),
    CHILD_GROUPS,
)
def child_without_certificate(
    population: Population, rows: GroupRows, params: Mapping[str, Any]
) -> np.ndarray:
    return ~population.children.has_birth_certificate[rows.index]


@_rule(
    "anak_tanpa_jkn",
    gettext_noop("Anak tanpa JKN"),
    gettext_noop("Anak yang belum tercatat punya JKN."),
    CHILD_GROUPS,
)
def child_without_jkn(population: Population, rows: GroupRows, params: Mapping[str, Any]) -> np.ndarray:
    return ~population.children.has_jkn[rows.index]


@_rule(
    "ibu_hamil_kek",
    gettext_noop("Ibu hamil KEK"),
    gettext_noop("Ibu hamil dengan LiLA < 23,5 cm pada kunjungan (status KEK kehamilan)."),
    frozenset({IBU_HAMIL}),
)
def pregnant_kek(population: Population, rows: GroupRows, params: Mapping[str, Any]) -> np.ndarray:
    return population.pregnancies.is_kek[rows.index]


@_rule(
    "ibu_hamil_anemia",
    gettext_noop("Ibu hamil anemia"),
    gettext_noop("Ibu hamil dengan Hb < 11 g/dL pada kunjungan (status anemia kehamilan)."),
    frozenset({IBU_HAMIL}),
)
def pregnant_anaemic(population: Population, rows: GroupRows, params: Mapping[str, Any]) -> np.ndarray:
    return population.pregnancies.is_anaemic[rows.index]


@_rule(
    "keluarga_berisiko",
    gettext_noop("Keluarga berisiko stunting"),
    gettext_noop("Keluarga yang ditandai berisiko stunting (kriteria BKKBN)."),
    frozenset({KELUARGA}),
)
def family_at_risk(population: Population, rows: GroupRows, params: Mapping[str, Any]) -> np.ndarray:
    return population.families.at_risk[rows.index]


@_rule(
    "keluarga_anak_stunting_tanpa_air_layak",
    gettext_noop("Keluarga anak stunting tanpa air minum layak"),
    gettext_noop(
        "Keluarga dengan anak stunting yang sumber air minumnya tercatat tidak layak (belum didata tidak dihitung)."
    ),
    frozenset({KELUARGA}),
)
def family_stunted_unsafe_water(
    population: Population, rows: GroupRows, params: Mapping[str, Any]
) -> np.ndarray:
    return _family_has_stunted_child(population, rows) & (population.families.water[rows.index] == UNSAFE)


@_rule(
    "keluarga_anak_stunting_tanpa_jamban_layak",
    gettext_noop("Keluarga anak stunting tanpa jamban layak"),
    gettext_noop(
        "Keluarga dengan anak stunting yang jambannya tercatat tidak layak (belum didata tidak dihitung)."
    ),
    frozenset({KELUARGA}),
)
def family_stunted_unsafe_latrine(
    population: Population, rows: GroupRows, params: Mapping[str, Any]
) -> np.ndarray:
    return _family_has_stunted_child(population, rows) & (population.families.latrine[rows.index] == UNSAFE)


@_rule(
    "keluarga_miskin_anak_stunting_tanpa_bansos",
    gettext_noop("Keluarga miskin anak stunting tanpa bansos"),
    gettext_noop(
        "Keluarga miskin (alasan berisiko 'miskin' atau JKN PBI) dengan anak stunting yang belum menerima "
        "bansos; parameter program: 'pkh', 'bpnt' atau 'semua' (belum menerima keduanya, bawaan)."
    ),
    frozenset({KELUARGA}),
)
def family_poor_stunted_without_aid(
    population: Population, rows: GroupRows, params: Mapping[str, Any]
) -> np.ndarray:
    families = population.families
    program = params.get("program", "semua")
    if program == "pkh":
        lacking = ~families.receives_pkh[rows.index]
    elif program == "bpnt":
        lacking = ~families.receives_bpnt[rows.index]
    else:
        lacking = ~families.receives_pkh[rows.index] & ~families.receives_bpnt[rows.index]
    return _family_has_stunted_child(population, rows) & families.poor[rows.index] & lacking


def rule_problem(rule: str, group: str, params: Mapping[str, Any]) -> str:
    """Why `rule` with `params` cannot serve `group` ("" when it can); an untranslated message."""
    found = RULES.get(rule)
    if found is None:
        return gettext_noop("Aturan kelayakan tidak dikenal.")
    if group not in found.groups:
        return gettext_noop("Aturan kelayakan ini tidak berlaku untuk kelompok sasaran tersebut.")
    if not isinstance(params, Mapping):
        return gettext_noop("Parameter aturan harus berupa objek JSON.")
    for key in ("min_age_months", "max_age_months"):
        if key in params and (group not in CHILD_GROUPS or not isinstance(params[key], int)):
            return gettext_noop("Parameter umur hanya untuk sasaran anak dan harus bilangan bulat.")
    if "program" in params and params["program"] not in ("pkh", "bpnt", "semua"):
        return gettext_noop("Parameter program harus 'pkh', 'bpnt' atau 'semua'.")
    return ""


def eligible(population: Population, *, group: str, rule: str, params: Mapping[str, Any]) -> GroupRows:
    """The members of `group` the rule selects (subject ids and desa ids)."""
    rows = group_rows(population, group, params)
    mask = RULES[rule].function(population, rows, params)
    return GroupRows(rows.kind, rows.index[mask], rows.subject_id[mask], rows.desa_id[mask])
