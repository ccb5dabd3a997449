"""Celery entry points of the reports: thin wrappers taking ids, idempotent (they may run twice).

Every task here rewrites whole chunks in a transaction: with acks late and reject-on-worker-lost
(settings), a worker killed mid-way leaves the chunk untouched and the broker hands the task to
another worker, which writes the same rows.
"""

from __future__ import annotations

import datetime
import logging

from celery import shared_task

logger = logging.getLogger(__name__)

# A full kecamatan over five years takes seconds; the limit leaves room for a loaded database.
RECOMPUTE_TIME_LIMIT_S = 900


@shared_task(
    name="reports.prevalence_refresh",
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=RECOMPUTE_TIME_LIMIT_S,
)
def prevalence_refresh(*, desa_ids: list[int], posyandu_ids: list[int], months: list[str]) -> int:
    """Incremental refresh after measurements changed (months as ISO first days)."""
    from reports.services import prevalence_refresh as refresh

    results = refresh(
        desa_ids=desa_ids, posyandu_ids=posyandu_ids, months=[datetime.date.fromisoformat(m) for m in months]
    )
    written = sum(r.written for r in results)
    logger.info("prevalence_refresh: %s chunks, %s rows written", sum(r.chunks for r in results), written)
    return written


@shared_task(
    name="reports.prevalence_recompute_chunk",
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=RECOMPUTE_TIME_LIMIT_S,
)
def prevalence_recompute_chunk(*, kecamatan_id: int, run_id: int | None = None, recent: bool = False) -> int:
    """Recompute of one kecamatan (and the kabupaten sums): its whole history, or with `recent` (the
    nightly run) its last PREVALENCE_MONTHS months; marks the run's chunk done."""
    from reports.services import prevalence_recompute_kecamatan

    result = prevalence_recompute_kecamatan(kecamatan_id=kecamatan_id, run_id=run_id, recent=recent)
    logger.info("prevalence_recompute_chunk %s: %s rows written", kecamatan_id, result.written)
    return result.written


@shared_task(name="reports.prevalence_recompute_all", acks_late=True, time_limit=300)
def prevalence_recompute_all(*, day: str | None = None) -> int:
    """Nightly: one run per kabupaten and day (a second beat finds it taken), a chunk task per kecamatan."""
    from reports.services import prevalence_schedule_all

    queued = prevalence_schedule_all(day=datetime.date.fromisoformat(day) if day else None)
    logger.info("prevalence_recompute_all: %s chunks queued", queued)
    return queued
