"""The import's worker thread: it prepares the batches in order, hands its errors to the importer's
thread, never queries the database, speaks the caller's language and stops when the importer stops."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator

import pytest
from django.db import connection
from django.utils import translation

from children.imports.overlap import Ahead, DatabaseRefused, Lap, Prepare, Prepared, prepared_here
from children.imports.pipeline import import_rows
from children.imports.readers import Row, UnreadableFile
from children.imports.rows import BatchIssues
from children.models import Child, Measurement
from tests.children.test_import_pipeline import csv_text, row
from tests.factories import DistrictFixture


def numbered_batches(*sizes: int) -> Iterator[list[Row]]:
    number = 2
    for size in sizes:
        yield [(number + i, [f"cell {number + i}"]) for i in range(size)]
        number += size


def prepare_recording(seen: list[tuple[str, str | None]]) -> Prepare:
    def prepare(batch: list[Row], lap: Lap) -> Prepared:
        seen.append((threading.current_thread().name, translation.get_language()))
        lap("parse")
        return Prepared(batch, [], [], {}, BatchIssues(), lap)

    return prepare


def drain(ahead: Ahead, got: list[int]) -> None:
    """Take every prepared batch (its first row number into `got`), then stop the worker."""
    try:
        got.extend(prepared.batch[0][0] for prepared in ahead)
    finally:
        ahead.close()


def test_the_worker_prepares_every_batch_in_order_in_its_own_thread() -> None:
    seen: list[tuple[str, str | None]] = []
    ahead = Ahead(numbered_batches(3, 2, 1), prepare_recording(seen))
    try:
        got = [[number for number, _cells in prepared.batch] for prepared in ahead]
    finally:
        ahead.close()

    assert got == [[2, 3, 4], [5, 6], [7]]
    assert [name for name, _language in seen] == ["import-prepare"] * 3
    here = [[n for n, _c in p.batch] for p in prepared_here(numbered_batches(3, 2, 1), prepare_recording([]))]
    assert here == got


def test_the_worker_speaks_the_language_of_the_importers_thread() -> None:
    seen: list[tuple[str, str | None]] = []
    with translation.override("en"):
        ahead = Ahead(numbered_batches(1), prepare_recording(seen))
        try:
            list(ahead)
        finally:
            ahead.close()

    assert seen == [("import-prepare", "en")]


def test_a_reading_error_in_the_worker_is_raised_in_the_importers_thread() -> None:
    def failing() -> Iterator[list[Row]]:
        yield [(2, ["ok"])]
        raise UnreadableFile("Berkas kosong")

    ahead = Ahead(failing(), prepare_recording([]))
    got: list[int] = []
    with pytest.raises(UnreadableFile):
        drain(ahead, got)
    assert got == [2]
    assert not ahead.thread.is_alive()


@pytest.mark.django_db
def test_the_worker_refuses_every_query() -> None:
    def querying(batch: list[Row], lap: Lap) -> Prepared:
        Child.objects.count()
        return Prepared(batch, [], [], {}, BatchIssues(), lap)

    ahead = Ahead(numbered_batches(1), querying)
    with pytest.raises(DatabaseRefused, match="worker thread sent a query"):
        drain(ahead, [])
    # The importer's own connection is untouched.
    assert Child.objects.count() == 0


def test_closing_early_stops_the_worker() -> None:
    ahead = Ahead(numbered_batches(*[1] * 50), prepare_recording([]))
    first = next(iter(ahead))
    ahead.close()

    assert first.batch == [(2, ["cell 2"])]
    assert not ahead.thread.is_alive()


def test_each_prepared_batch_carries_its_steps_times() -> None:
    prepared = list(prepared_here(numbered_batches(2), prepare_recording([])))

    assert [sorted(p.lap.wall) for p in prepared] == [["parse", "read"]]
    assert all(seconds >= 0 for seconds in prepared[0].lap.wall.values())
    assert all(seconds >= 0 for seconds in prepared[0].lap.cpu.values())


def test_an_import_through_the_worker_reports_in_english_and_writes_on_the_callers_connection(
    district: DistrictFixture,
) -> None:
    bad = row(Nama="", JK="X", Berat="80")
    with translation.override("en"):
        report = import_rows(
            source=io.StringIO(csv_text([row(), bad])),
            file_name="register.csv",
            user=district.users["bappeda_admin"],
            commit=True,
            batch_size=1,
            overlap=True,
        )

    assert report.batches == 2
    assert [(n, f, m) for n, _a, f, m in report.issues] == [
        (3, "Nama", "Name is required"),
        (3, "JK", "Sex must be L or P"),
        (3, "Berat", "Weight 80 kg outside the possible range (0.5-50 kg)"),
    ]
    assert Measurement.objects.filter(child__posyandu=district.posyandu_a1).count() == 1
    assert report.seconds["parse"] > 0
    assert report.cpu_seconds["parse"] >= 0
    assert connection.in_atomic_block  # the test's transaction: the rows above were written in it
