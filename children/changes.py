"""Telling later apps that measurements changed, without the registry importing them.

Imports flow reports -> interventions -> children: the prevalence summaries must follow every
change to a measurement, so reports registers a listener here when its app is ready. Listeners run
after the transaction commits (never for a rolled-back change) and queue their own work.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import transaction


@dataclass(frozen=True)
class MeasurementChanges:
    """Where and when measurements changed: children's desa, posyandu, and first days of months."""

    desa_ids: frozenset[int]
    posyandu_ids: frozenset[int]
    months: frozenset[datetime.date]


Listener = Callable[[MeasurementChanges], None]
_LISTENERS: list[Listener] = []


def register_listener(listener: Listener) -> Listener:
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


def measurements_changed(
    *, desa_ids: Iterable[int | None], posyandu_ids: Iterable[int | None], days: Iterable[datetime.date]
) -> None:
    """Announce changed measurements once the surrounding transaction commits."""
    changes = MeasurementChanges(
        desa_ids=frozenset(d for d in desa_ids if d is not None),
        posyandu_ids=frozenset(p for p in posyandu_ids if p is not None),
        months=frozenset(day.replace(day=1) for day in days),
    )
    if not changes.months or not _LISTENERS:
        return

    def announce() -> None:
        for listener in _LISTENERS:
            listener(changes)

    transaction.on_commit(announce)
