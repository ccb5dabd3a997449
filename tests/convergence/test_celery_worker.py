"""A real Celery worker process, against Redis and the test PostgreSQL database."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone

from convergence.tasks import housekeeping

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"])
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker_queue() -> object:
    if connection.vendor != "postgresql" or not settings.CELERY_BROKER_URL:
        message = "needs DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL/REDIS_URL (Redis), as .ci/run sets"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    queue = f"test-{uuid.uuid4().hex[:12]}"
    env = {**os.environ, "DATABASE_URL": database_url()}
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"{queue}@%h",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield queue
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=30)
        print(output)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_runs_a_task_in_a_real_worker_process(worker_queue: str) -> None:
    now = timezone.now()
    Session.objects.create(session_key="a" * 32, session_data="x", expire_date=now - timedelta(days=1))
    Session.objects.create(session_key="b" * 32, session_data="x", expire_date=now + timedelta(days=1))
    result = housekeeping.apply_async(queue=worker_queue)
    assert result.get(timeout=60) == {"sessions": 1, "attempts": 0, "failure_logs": 0}
    assert list(Session.objects.values_list("session_key", flat=True)) == ["b" * 32]
    # Idempotent: running again deletes nothing more.
    assert housekeeping.apply_async(queue=worker_queue).get(timeout=60) == {
        "sessions": 0,
        "attempts": 0,
        "failure_logs": 0,
    }
