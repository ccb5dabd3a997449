"""On the embedded default (no broker) an import runs in a thread of the serving process: the request that
queued it answers at once, and the status the page polls moves from "being applied" to "applied" with
its progress growing batch by batch."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from children.imports import services
from children.models import Child, ImportJob
from tests.children.test_import_pages import child_row, register_csv
from tests.factories import DistrictFixture

POLL_TIMEOUT_S = 60


@pytest.fixture
def threaded_jobs(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    settings.JOBS_IN_THREAD = True


class Gate:
    """Holds the job after each applied batch until the test has seen its progress (one step a poll)."""

    def __init__(self) -> None:
        self.steps = threading.Semaphore(0)

    def callback(self, job_id: int, status: str) -> Callable[[int, int], None]:
        report = ORIGINAL_CALLBACK(job_id, status)

        def gated(rows_done: int, rows_total: int) -> None:
            report(rows_done, rows_total)
            if status == ImportJob.Status.APPLYING and rows_done > 0:
                self.steps.acquire(timeout=POLL_TIMEOUT_S)

        return gated


ORIGINAL_CALLBACK = services._progress_callback


def wait_for(client: Client, job: ImportJob, done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    deadline = time.monotonic() + POLL_TIMEOUT_S
    while time.monotonic() < deadline:
        progress = client.get(f"/impor/{job.pk}/progres.json").json()
        if done(progress):
            return progress
        time.sleep(0.05)
    raise AssertionError(f"import {job.pk} did not get there in {POLL_TIMEOUT_S} s")


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the in-memory SQLite test database locks whole tables between connections, so the job's "
    "writes fail while the test polls (the embedded default's file database runs in WAL mode)",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_applied_import_answers_at_once_and_its_progress_grows_to_done(
    district: DistrictFixture, threaded_jobs: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate()
    monkeypatch.setattr(services, "_progress_callback", gate.callback)
    # One row a batch, so the three rows are three steps of the progress bar.
    monkeypatch.setattr(services, "import_rows", functools.partial(services.import_rows, batch_size=1))
    client = Client()
    client.force_login(district.users["kader"])
    rows = [child_row("Eka Putri"), child_row("Dewi Lestari"), child_row("Rina Wulan")]
    client.post(
        "/impor/", {"file": SimpleUploadedFile("register.csv", register_csv(rows), content_type="text/csv")}
    )
    job = ImportJob.objects.get()
    checked = wait_for(client, job, lambda p: p["status"] == ImportJob.Status.CHECKED)
    assert checked["summary"]["create_child"] == 3

    try:
        applied = client.post(f"/impor/{job.pk}/terapkan/")
        # The request answered while the job waits at the gate: the message says what the status says.
        # (The page itself is read once the job is done: the tests' in-memory SQLite locks the tables
        # the job writes until it commits, where the file database of the demo, in WAL mode, does not.)
        job.refresh_from_db()
        assert job.status == ImportJob.Status.APPLYING
        assert [str(m) for m in get_messages(applied.wsgi_request)] == [
            "Berkas diterima dan sedang diperiksa.",  # the upload's, not shown yet (no page was read)
            "Impor sedang diterapkan.",
        ]
        assert applied["Location"] == f"/impor/{job.pk}/"

        seen = []
        for step in (1, 2, 3):
            progress = wait_for(client, job, lambda p, step=step: p["rows_done"] >= step)
            seen.append((progress["status"], progress["rows_done"], progress["percent"]))
            gate.steps.release()
        assert seen == [
            (ImportJob.Status.APPLYING, 1, 33),
            (ImportJob.Status.APPLYING, 2, 67),
            (ImportJob.Status.APPLYING, 3, 100),
        ]
        done = wait_for(client, job, lambda p: p["status"] != ImportJob.Status.APPLYING)
    finally:
        gate.steps.release(10)  # a failed assertion must not leave the job waiting at the gate
        for thread in threading.enumerate():
            if thread.name.startswith("job "):
                thread.join(timeout=POLL_TIMEOUT_S)
    assert (done["status"], done["rows_done"], done["percent"]) == (ImportJob.Status.APPLIED, 3, 100)
    assert sorted(Child.objects.values_list("name", flat=True)) == ["Dewi Lestari", "Eka Putri", "Rina Wulan"]
    client.get(f"/impor/{job.pk}/")  # shows the messages queued above (read here, once the job is done)
    page = client.get(f"/impor/{job.pk}/").content.decode()
    assert 'data-testid="job-status">Selesai diterapkan<' in page
    assert 'data-active="1"' not in page
    assert "sedang diterapkan" not in page
