"""Celery entry points of the interventions app: thin wrappers taking primitives, idempotent."""

from __future__ import annotations

import datetime
import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="interventions.pmt_finish_due", acks_late=True, time_limit=1800)
def pmt_finish_due(*, today: str | None = None) -> dict[str, int]:
    """Finish the PMT episodes whose planned last day has passed and refresh recent outcomes (nightly).

    `today` (ISO date) defaults to the local date. Running it twice finishes nothing twice.
    """
    from django.utils import timezone

    from interventions.services_pmt import pmt_enrolments_finish_due

    day = datetime.date.fromisoformat(today) if today else timezone.localdate()
    finished, refreshed = pmt_enrolments_finish_due(today=day)
    logger.info("pmt_finish_due %s: %s finished, %s outcomes refreshed", day, finished, refreshed)
    return {"finished": finished, "refreshed": refreshed}
