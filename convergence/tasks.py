"""Celery entry points of the backbone: thin wrappers over services, idempotent."""

from __future__ import annotations

import logging

from celery import shared_task

from convergence import services

logger = logging.getLogger(__name__)


@shared_task(name="convergence.housekeeping", acks_late=True, time_limit=600)
def housekeeping() -> dict[str, int]:
    """Delete expired sessions and expired failed-login records; safe to run twice."""
    counts = services.housekeeping_run()
    logger.info("housekeeping: %s", counts)
    return counts
