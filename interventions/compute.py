"""The convergence ledger and gap lists as pure functions over a region's population and deliveries.

The ledger follows the KPM scorecard (Scorecard Konvergensi Desa, table 4): for each priority target
(a child 0-23 months, a pregnant woman, a family at risk of stunting) the services it should have
received (the package: active interventions of its target group whose rule selects it) and those it
did receive (a delivery of that intervention to it in the period);
tingkat konvergensi = services received / services due x 100. Higher levels add counts, never
average rates. No Django, no ORM, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from interventions import eligibility as rules

# Ledger target kinds, in the order of the scorecard.
TARGET_BADUTA, TARGET_IBU_HAMIL, TARGET_KELUARGA = "baduta", "ibu_hamil", "keluarga"
TARGET_KINDS = (TARGET_BADUTA, TARGET_IBU_HAMIL, TARGET_KELUARGA)
BADUTA_MAX_AGE_MONTHS = 23


@dataclass(frozen=True)
class InterventionSpec:
    id: int
    target_group: str
    rule: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Delivered:
    """Deliveries of the period: intervention, subject kind (rules.CHILD/PERSON/FAMILY) and subject id."""

    intervention_id: np.ndarray
    kind: np.ndarray
    subject_id: np.ndarray

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[int, str, int]]) -> Delivered:
        data = list(rows)
        return cls(
            intervention_id=np.array([row[0] for row in data], dtype=np.int64),
            kind=np.array([row[1] for row in data], dtype=object),
            subject_id=np.array([row[2] for row in data], dtype=np.int64),
        )


@dataclass(frozen=True)
class Services:
    """One row per service due: (target kind, subject, desa, intervention) and whether it was received."""

    target: np.ndarray
    kind: np.ndarray
    subject_id: np.ndarray
    desa_id: np.ndarray
    intervention_id: np.ndarray
    received: np.ndarray

    def __len__(self) -> int:
        return len(self.subject_id)


@dataclass
class Counts:
    """Due and received services of a region, per target kind."""

    due: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TARGET_KINDS, 0))
    received: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TARGET_KINDS, 0))

    @property
    def due_total(self) -> int:
        return sum(self.due.values())

    @property
    def received_total(self) -> int:
        return sum(self.received.values())

    def rate(self, target: str | None = None) -> float | None:
        """Received / due x 100, one decimal; None when nothing was due."""
        due = self.due_total if target is None else self.due[target]
        received = self.received_total if target is None else self.received[target]
        return None if not due else round(100.0 * received / due, 1)

    def add(self, other: Counts) -> None:
        for target in TARGET_KINDS:
            self.due[target] += other.due[target]
            self.received[target] += other.received[target]


def _received(delivered: Delivered, intervention_id: int, kind: str, subject_id: np.ndarray) -> np.ndarray:
    mine = (delivered.intervention_id == intervention_id) & (delivered.kind == kind)
    return np.isin(subject_id, delivered.subject_id[mine])


def _concat(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.array([], dtype=dtype)


def _services(
    population: rules.Population,
    interventions: Sequence[InterventionSpec],
    delivered: Delivered,
    *,
    priority_only: bool,
) -> Services:
    target, kind, subject, desa, intervention, received = [], [], [], [], [], []
    children = population.children
    families = population.families
    for spec in interventions:
        rows = rules.eligible(population, group=spec.target_group, rule=spec.rule, params=spec.params)
        if spec.target_group in rules.CHILD_GROUPS:
            label = TARGET_BADUTA
            keep = children.age_months[rows.index] <= BADUTA_MAX_AGE_MONTHS
        elif spec.target_group == rules.IBU_HAMIL:
            label = TARGET_IBU_HAMIL
            keep = np.ones(len(rows.index), dtype=bool)
        elif spec.target_group == rules.KELUARGA:
            label = TARGET_KELUARGA
            keep = families.at_risk[rows.index]
        else:
            # Adolescent girls and catin are outside the scorecard's priority targets.
            label = rules.SUBJECT_KIND[spec.target_group]
            keep = np.zeros(len(rows.index), dtype=bool)
        if priority_only:
            ids, desa_ids = rows.subject_id[keep], rows.desa_id[keep]
        else:
            ids, desa_ids = rows.subject_id, rows.desa_id
            label = label if spec.target_group not in (rules.REMAJA_PUTRI, rules.CATIN) else spec.target_group
        target.append(np.full(len(ids), label, dtype=object))
        kind.append(np.full(len(ids), rows.kind, dtype=object))
        subject.append(ids)
        desa.append(desa_ids)
        intervention.append(np.full(len(ids), spec.id, dtype=np.int64))
        received.append(_received(delivered, spec.id, rows.kind, ids))
    return Services(
        target=_concat(target, object),
        kind=_concat(kind, object),
        subject_id=_concat(subject, np.int64),
        desa_id=_concat(desa, np.int64),
        intervention_id=_concat(intervention, np.int64),
        received=_concat(received, bool),
    )


def ledger_services(
    population: rules.Population, interventions: Sequence[InterventionSpec], delivered: Delivered
) -> Services:
    """The services due to the priority targets of `population` and whether each was received."""
    return _services(population, interventions, delivered, priority_only=True)


def gap_services(
    population: rules.Population, interventions: Sequence[InterventionSpec], delivered: Delivered
) -> Services:
    """Every subject an intervention's rule selects (priority or not) that has not received it."""
    services = _services(population, interventions, delivered, priority_only=False)
    missing = ~services.received
    return Services(
        target=services.target[missing],
        kind=services.kind[missing],
        subject_id=services.subject_id[missing],
        desa_id=services.desa_id[missing],
        intervention_id=services.intervention_id[missing],
        received=services.received[missing],
    )


def counts_by_desa(services: Services) -> dict[int, Counts]:
    """Due and received counts per desa id and target kind."""
    result: dict[int, Counts] = {}
    for target in TARGET_KINDS:
        mine = services.target == target
        desa_ids, due = np.unique(services.desa_id[mine], return_counts=True)
        received = np.bincount(
            np.searchsorted(desa_ids, services.desa_id[mine & services.received]), minlength=len(desa_ids)
        )
        for desa_id, n_due, n_received in zip(
            desa_ids.tolist(), due.tolist(), received.tolist(), strict=True
        ):
            counts = result.setdefault(desa_id, Counts())
            counts.due[target] = n_due
            counts.received[target] = n_received
    return result


def total(counts: Iterable[Counts]) -> Counts:
    """The sum of the counts (a kecamatan's or kabupaten's rate is not the mean of its desa rates)."""
    result = Counts()
    for item in counts:
        result.add(item)
    return result


# --- Aksi 1: indicator coverage and lokus scoring -----------------------------------------------------


def all_services(
    population: rules.Population, interventions: Sequence[InterventionSpec], delivered: Delivered
) -> Services:
    """Every subject an intervention's rule selects (priority target or not) and whether it received it."""
    return _services(population, interventions, delivered, priority_only=False)


def counts_by_group_and_desa(
    services: Services, group_of_intervention: Mapping[int, int]
) -> dict[tuple[int, int], tuple[int, int]]:
    """(due, received) per (group id, desa id), interventions grouped by `group_of_intervention`.

    Used with the indicator of each intervention: an indicator served by two interventions adds the
    services of both (counts are added, never rates averaged). Interventions without a group are left out.
    """
    result: dict[tuple[int, int], tuple[int, int]] = {}
    for intervention_id, desa_id, received in zip(
        services.intervention_id.tolist(), services.desa_id.tolist(), services.received.tolist(), strict=True
    ):
        group = group_of_intervention.get(intervention_id)
        if group is None:
            continue
        due, got = result.get((group, desa_id), (0, 0))
        result[(group, desa_id)] = (due + 1, got + int(received))
    return result


# Criteria of the lokus score, in the order of LokusWeights' fields.
LOKUS_CRITERIA = ("prevalence", "cases", "coverage_gap", "families_at_risk", "measurement_gap")
# Used when Bappeda has set no weights for the year; they are a starting point, not a regulation.
DEFAULT_LOKUS_WEIGHTS: dict[str, float] = {
    "prevalence": 0.4,
    "cases": 0.3,
    "coverage_gap": 0.2,
    "families_at_risk": 0.1,
    "measurement_gap": 0.0,
}
DEFAULT_LOKUS_COUNT = 10


def normalise_min_max(values: np.ndarray) -> np.ndarray:
    """(v - min) / (max - min) over the known values; a constant column and unknown (NaN) values give 0."""
    values = np.asarray(values, dtype=float)
    result = np.zeros(len(values), dtype=float)
    known = ~np.isnan(values)
    if not known.any():
        return result
    low, high = values[known].min(), values[known].max()
    if high > low:
        result[known] = (values[known] - low) / (high - low)
    return result


@dataclass(frozen=True)
class LokusRanking:
    """Per desa (in the input order): normalised criteria, score, rank (1 = highest) and recommendation."""

    normalised: dict[str, np.ndarray]
    score: np.ndarray
    rank: np.ndarray
    recommended: np.ndarray


def lokus_scores(
    criteria: Mapping[str, np.ndarray],
    weights: Mapping[str, float],
    *,
    cases: np.ndarray,
    codes: Sequence[str],
    lokus_count: int,
) -> LokusRanking:
    """Rank the desa of a kabupaten for lokus: sum of weight x min-max normalised criterion.

    `criteria` maps each LOKUS_CRITERIA name to one float per desa (NaN when unknown: scores 0).
    Ties on the score go to the higher case count, then the lower desa code. The first `lokus_count`
    desa are recommended.
    """
    n = len(codes)
    normalised = {name: normalise_min_max(criteria.get(name, np.full(n, np.nan))) for name in LOKUS_CRITERIA}
    score = np.zeros(n, dtype=float)
    for name in LOKUS_CRITERIA:
        score += float(weights.get(name, 0.0)) * normalised[name]
    # Rounded for the comparison only, so that sums of the same terms in another order still tie.
    rounded = np.round(score, 9)
    cases_list = np.asarray(cases, dtype=np.int64).tolist()
    order = sorted(range(n), key=lambda i: (-rounded[i], -cases_list[i], codes[i]))
    rank = np.zeros(n, dtype=np.int64)
    rank[np.array(order, dtype=np.int64)] = np.arange(1, n + 1)
    return LokusRanking(
        normalised=normalised, score=score, rank=rank, recommended=rank <= max(lokus_count, 0)
    )
