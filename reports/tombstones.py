"""Prevalence summary rows in the changes feed (convergence.tombstones): a recompute drops the rows of
units and periods that no longer have figures. Registered by ReportsConfig.ready()."""

from __future__ import annotations

from convergence.tombstones import Place, synced_kind_register
from reports.models import PrevalenceSummary


def register() -> None:
    # A tombstone keeps the row's region, level and posyandu under the same names, so the rows' own
    # rule (their unit and below, the aggregates above) scopes it.
    synced_kind_register(
        PrevalenceSummary,
        kind="prevalence",
        place=lambda row: Place(region_id=row.region_id, posyandu_id=row.posyandu_id, level=row.level),
        scope_q=PrevalenceSummary.scope_q,
    )
