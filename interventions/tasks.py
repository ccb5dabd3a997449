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


@shared_task(name="interventions.pmt_submissions_expire", acks_late=True, time_limit=600)
def pmt_submissions_expire() -> int:
    """Forget the form tokens and Idempotency-Keys older than submissions.RETENTION_DAYS (nightly)."""
    from django.utils import timezone

    from interventions.submissions import RETENTION_DAYS, submissions_expire

    deleted = submissions_expire(before=timezone.now() - datetime.timedelta(days=RETENTION_DAYS))
    logger.info("pmt_submissions_expire: %s claims deleted", deleted)
    return deleted


# An OPD sheet is a few thousand rows; a sheet at IMPORT_MAX_ROWS takes minutes, well within this.
IMPORT_TIME_LIMIT_S = 3600


@shared_task(name="interventions.delivery_import_check", acks_late=True, time_limit=IMPORT_TIME_LIMIT_S)
def delivery_import_check(*, job_id: int) -> None:
    """Dry run of an uploaded delivery sheet (interventions.imports_jobs.delivery_import_job_check)."""
    from interventions.imports_jobs import delivery_import_job_check

    delivery_import_job_check(job_id=job_id)
    logger.info("delivery_import_check %s done", job_id)


@shared_task(name="interventions.delivery_import_apply", acks_late=True, time_limit=IMPORT_TIME_LIMIT_S)
def delivery_import_apply(*, job_id: int, user_id: int) -> None:
    """Apply a checked delivery sheet in one transaction; an applied job is left alone."""
    from convergence.models import User
    from interventions.imports_jobs import delivery_import_job_apply

    delivery_import_job_apply(job_id=job_id, user=User.objects.get(pk=user_id))
    logger.info("delivery_import_apply %s done", job_id)


@shared_task(name="interventions.delivery_import_files_expire", acks_late=True, time_limit=600)
def delivery_import_files_expire() -> int:
    """Delete uploaded delivery sheets past their retention (imports_jobs.delivery_import_files_expire)."""
    from interventions.imports_jobs import delivery_import_files_expire as expire

    count = expire()
    logger.info("delivery_import_files_expire: %s files deleted", count)
    return count
