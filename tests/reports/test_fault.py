"""Faults: a worker killed mid-recompute, and two beat schedulers firing the same night."""

from __future__ import annotations

import datetime
import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from children.models import Measurement
from reports.models import PrevalenceSummary, RecomputeChunk, RecomputeRun
from reports.services import prevalence_recompute, prevalence_schedule_all
from reports.tasks import prevalence_recompute_all
from tests.convergence.test_celery_worker import ROOT, database_url
from tests.factories import ChildFactory
from tests.reports.test_property import stored_counts

DAY = datetime.date(2025, 6, 1)


def _populate(district) -> None:
    d = district
    for i, posyandu in enumerate([d.posyandu_a1, d.posyandu_a2, d.posyandu_b1] * 4):
        child = ChildFactory(posyandu=posyandu, birth_date=datetime.date(2023, 1 + i % 12, 1))
        for month in (1, 2, 3):
            day = datetime.date(2025, month, 10)
            Measurement.objects.create(
                child=child,
                posyandu=posyandu,
                measured_on=day,
                age_days=(day - child.birth_date).days,
                haz_category=(i + month) % 4,
                waz_category=2,
                whz_category=(i * month) % 6,
            )


def _lock_number(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


def _start_worker(queue: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        # The chunks go to this test's own prevalence queue; without -Q the worker takes all of them.
        "CELERY_QUEUE_PREFIX": f"{queue}.",
        "CELERY_VISIBILITY_TIMEOUT": "2",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"{uuid.uuid4().hex[:8]}@%h",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_for(condition, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("timed out waiting for the worker")
        time.sleep(0.2)


def _needs_services() -> None:
    if connection.vendor != "postgresql" or not settings.CELERY_BROKER_URL:
        message = "needs DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL/REDIS_URL (Redis), as .ci/run sets"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_killed_mid_recompute_leaves_the_clean_result(district) -> None:
    _needs_services()
    _populate(district)
    prevalence_recompute(kabupaten=district.kabupaten)
    clean = stored_counts()
    assert clean
    PrevalenceSummary.objects.all().delete()
    queue = f"test-{uuid.uuid4().hex[:12]}"
    # Hold the kabupaten's lock: the worker writes its first kecamatan, then waits on the sums.
    holder = psycopg.connect(database_url(), autocommit=True)
    holder.execute("SELECT pg_advisory_lock(%s)", [_lock_number(f"prevalence:{district.kabupaten.pk}")])
    first = _start_worker(queue)
    second = None
    try:
        prevalence_recompute_all.apply_async(kwargs={"day": DAY.isoformat()}, queue=queue)
        _wait_for(lambda: PrevalenceSummary.objects.filter(level="kecamatan").exists())
        assert not PrevalenceSummary.objects.filter(level="kabupaten").exists()  # the worker is mid-way
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        holder.execute("SELECT pg_advisory_unlock(%s)", [_lock_number(f"prevalence:{district.kabupaten.pk}")])
        time.sleep(3)  # past the visibility timeout: the restarted worker takes the unacknowledged task back
        second = _start_worker(queue)
        _wait_for(lambda: not RecomputeChunk.objects.filter(done_at__isnull=True).exists())
        _wait_for(lambda: stored_counts() == clean, timeout=30)
    finally:
        holder.close()
        for worker in (first, second):
            if worker is not None and worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=30)
    assert stored_counts() == clean
    assert RecomputeRun.objects.filter(kabupaten=district.kabupaten).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_beats_firing_at_once_start_one_recompute(district) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("two schedulers racing need a database with concurrent writers (PostgreSQL, as in CI)")
    _populate(district)
    barrier = threading.Barrier(2)
    queued: list[int] = []

    def beat() -> None:
        try:
            barrier.wait(timeout=10)
            queued.append(prevalence_schedule_all(day=DAY))
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    # Three kecamatan have posyandu (two here, one in the kabupaten beside it): each queued once.
    assert sum(queued) == 3
    assert RecomputeRun.objects.filter(kabupaten=district.kabupaten, scheduled_for=DAY).count() == 1
    assert RecomputeRun.objects.filter(scheduled_for=DAY).count() == 2
    assert RecomputeChunk.objects.filter(done_at__isnull=False).count() == 3
    # The same night again (a beat restarted) queues nothing either.
    assert prevalence_schedule_all(day=DAY) == 0
