"""The steps of the bulk import that need no database (read, parse with its checks, NIK hashes, the
growth engine) run one batch ahead in a thread of their own, while the importer's thread resolves and
writes the batch before on its connection.

The two overlap where it pays: while the importer's thread waits for PostgreSQL (a COPY, the per-batch
look-ups, the foreign-key checks), the GIL is free and the next batch is read and parsed. The worker
never touches the database: a query from it raises (its thread's connection refuses every statement),
so it can neither open a second connection nor step outside the caller's transaction. It translates in
the caller's language (Django's active language is per thread). At most `depth` prepared batches wait
in the queue, so memory stays a few batches whatever the file's size. No process-wide setting is
touched.

Each step's wall-clock and CPU seconds (time.thread_time: this thread's CPU only) are measured where it
runs and handed over with the batch, so the report adds them up in one thread.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connections
from django.utils import translation

from children.imports.batch import Batch
from children.imports.rows import BatchIssues, ImportRow


@dataclass
class Lap:
    """Wall-clock and CPU seconds of each step, measured in one thread."""

    wall: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    _wall: float = field(default_factory=time.perf_counter)
    _cpu: float = field(default_factory=time.thread_time)

    def restart(self) -> None:
        self._wall, self._cpu = time.perf_counter(), time.thread_time()

    def __call__(self, step: str) -> None:
        """Charge the time since the last call (or restart) to `step`."""
        wall, cpu = time.perf_counter(), time.thread_time()
        self.wall[step] = self.wall.get(step, 0.0) + wall - self._wall
        self.cpu[step] = self.cpu.get(step, 0.0) + cpu - self._cpu
        self._wall, self._cpu = wall, cpu


@dataclass
class Prepared:
    """A batch after the steps that need no database."""

    batch: Batch
    parsed: list[ImportRow]
    blank: list[ImportRow]
    growth: dict[str, Any]
    issues: BatchIssues
    lap: Lap


Prepare = Callable[[Batch, Lap], Prepared]
_END = object()


class DatabaseRefused(RuntimeError):
    """A step meant to run without the database sent a query."""


def _refuse(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
    raise DatabaseRefused("the import's worker thread sent a query: " + sql[:60])


def prepared_here(batches: Iterator[Batch], prepare: Prepare) -> Iterator[Prepared]:
    """The batches prepared in the caller's thread, one at a time (when a step may write: places)."""
    while True:
        lap = Lap()
        batch = next(batches, None)
        lap("read")
        if batch is None:
            return
        yield prepare(batch, lap)


class Ahead:
    """Prepares the batches in a worker thread, `depth` ahead of the caller; iterate, then close()."""

    def __init__(self, batches: Iterator[Batch], prepare: Prepare, depth: int = 1) -> None:
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=self._run,
            args=(batches, prepare, translation.get_language()),
            name="import-prepare",
            daemon=True,
        )
        self.thread.start()

    def _run(self, batches: Iterator[Batch], prepare: Prepare, language: str | None) -> None:
        try:
            with translation.override(language), connections["default"].execute_wrapper(_refuse):
                for prepared in prepared_here(batches, prepare):
                    if not self._put(prepared):
                        return
            self._put(_END)
        except BaseException as error:  # handed to the caller's thread, raised there
            self._put(error)
        finally:
            connections.close_all()  # only this thread's (none was opened: every query is refused)

    def _put(self, item: Any) -> bool:
        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> Iterator[Prepared]:
        while True:
            item = self.queue.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        """Stop the worker (it ends at its next batch) and wait for it."""
        self.stop.set()
        self.thread.join()
