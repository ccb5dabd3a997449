"""Celery entry points of the registries: thin wrappers taking ids, idempotent (they may run twice)."""

from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger(__name__)

# A 1,000,000-row register takes about a minute on two cores; the limit leaves room for slow disks.
IMPORT_TIME_LIMIT_S = 3600


@shared_task(name="children.import_check", acks_late=True, time_limit=IMPORT_TIME_LIMIT_S)
def import_check(*, job_id: int) -> None:
    """Dry run of an uploaded register (children.imports.services.import_job_check)."""
    from children.imports.services import import_job_check

    import_job_check(job_id=job_id)
    logger.info("import_check %s done", job_id)


@shared_task(name="children.import_apply", acks_late=True, time_limit=IMPORT_TIME_LIMIT_S)
def import_apply(*, job_id: int, user_id: int) -> None:
    """Apply a checked register in one transaction; an applied job is left alone."""
    from children.imports.services import import_job_apply
    from convergence.models import User

    import_job_apply(job_id=job_id, user=User.objects.get(pk=user_id))
    logger.info("import_apply %s done", job_id)


@shared_task(name="children.import_files_expire", acks_late=True, time_limit=600)
def import_files_expire() -> int:
    """Delete uploaded registers past their retention (children.imports.services.import_files_expire)."""
    from children.imports.services import import_files_expire as expire

    count = expire()
    logger.info("import_files_expire: %s files deleted", count)
    return count


@shared_task(name="children.duplicates_scan", acks_late=True, time_limit=1800)
def duplicates_scan(*, desa_ids: list[int] | None = None) -> int:
    """Queue likely duplicates over the registry (or some desa); pairs already queued are left alone."""
    from children.duplicates_scan import duplicates_scan as scan

    found = scan(desa_ids=desa_ids)
    logger.info("duplicates_scan: %s new pairs", found)
    return found


@shared_task(name="children.measurement_partitions_ahead", acks_late=True, time_limit=600)
def measurement_partitions_ahead() -> list[int]:
    """Create this year's and next year's partitions of the per-visit tables (PostgreSQL: measurements,
    pregnancy visits, weekly TTD, PMT deliveries) before any row needs them.

    Daily and idempotent: a day with every year in place does nothing. Returns the years created in
    the measurement table (the others follow the same years).
    """
    from django.utils import timezone

    from children.partitions import MEASUREMENT, ensure_partitions, partitioned_tables

    year = timezone.localdate().year
    created = {spec.table: ensure_partitions(spec, [year, year + 1]) for spec in partitioned_tables()}
    logger.info("measurement_partitions_ahead: created %s", created)
    return created[MEASUREMENT.table]
