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
