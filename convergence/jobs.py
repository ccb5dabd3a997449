"""Queue a background job whose page follows its progress, after the current transaction commits.

With a broker (production, CI's worker tests) the job is a Celery message a worker picks up. On the
embedded default (no broker, CELERY_TASK_ALWAYS_EAGER) Celery would run it inside the request that
queued it, so the request would only answer once the job is over and its page's progress bar would
never move: with JOBS_IN_THREAD (the default there) the same task runs in a thread of the serving
process instead, the request answers at once, and the page polls the status the job updates as it goes.
The thread is only a stand-in for the missing worker: one job per dispatch, nothing queued or retried.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from celery import Task
from django.conf import settings
from django.db import connections, transaction

logger = logging.getLogger(__name__)


def _runs_in_thread(task: Task) -> bool:
    return bool(task.app.conf.task_always_eager) and bool(getattr(settings, "JOBS_IN_THREAD", False))


def _run(task: Task, kwargs: dict[str, Any]) -> None:
    try:
        task.apply(kwargs=kwargs, throw=True)
    except Exception:
        # The job records its own failure on its row; this is the log a worker would have written.
        logger.exception("background job %s failed", task.name)
    finally:
        # The thread's own database connection, opened by the job.
        connections.close_all()


def job_dispatch(task: Task, **kwargs: Any) -> None:
    """Send `task(**kwargs)` once the current transaction commits (at once outside one)."""

    def send() -> None:
        if _runs_in_thread(task):
            threading.Thread(target=_run, args=(task, kwargs), name=f"job {task.name}", daemon=True).start()
        else:
            task.delay(**kwargs)

    transaction.on_commit(send)
