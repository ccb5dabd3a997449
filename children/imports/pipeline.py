"""The bulk import of an e-PPGBM register, batch by batch: read -> parse (and validate) -> resolve ->
plan -> compute -> write, one module per step.

Each batch costs a constant number of queries whatever its size: children by NIK hash, persons by NIK
hash, identity candidates, the measurements already stored for the batch's days, each child's last
weighing and height before the batch, then (commit) one id reservation and one COPY/executemany per
table. Lookups built once per import (posyandu by name and desa code, the uploader's scope, the KBM
table, the registry's NIK keys) are dicts and sorted arrays, never a query per row. The steps that need
no database (read, parse, NIK hashes, growth) can run a batch ahead in a worker thread (overlap.py,
`overlap=True`); every query and write runs in the caller's thread, on its connection and inside its transaction. No
process-wide setting is touched.
"""

from __future__ import annotations

import datetime
import os
import time
from collections.abc import Callable
from typing import IO, Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from children.imports import compute
from children.imports.batch import Batch
from children.imports.layout import HeaderMatch
from children.imports.overlap import Ahead, Lap, Prepared, prepared_here
from children.imports.parse import Parser
from children.imports.places import PlaceMaker
from children.imports.plan import plan_measurements, previous_weighing
from children.imports.readers import open_table
from children.imports.resolve import PosyanduFinder, Resolver
from children.imports.rows import ACTIONS, WARNING, BatchIssues, ImportReport, ImportRow
from children.imports.write import Writer
from children.models import ImportJob
from children.selectors import kbm_table_on
from convergence.models import User
from convergence.scoping import scope_for_user
from convergence.uploads import UploadLimits

# Rows per batch. 5,000 keeps every per-batch query's IN list well under SQLite's 32,766 variables and
# PostgreSQL's planner comfort zone, makes numpy's per-call overhead negligible (the growth engine
# reaches full speed from a few thousand rows), and bounds Python memory to a few MB of parsed rows;
# larger batches gained nothing measurable on the 100,000-row benchmark.
BATCH_SIZE = 5_000

__all__ = ["ACTIONS", "BATCH_SIZE", "ImportReport", "import_rows"]


class _Importer:
    """The steps of one import and the state they keep across batches."""

    def __init__(
        self, *, user: User, commit: bool, job: ImportJob | None, today: datetime.date, create_places: bool
    ) -> None:
        self.commit = commit
        self.job = job
        self.report = ImportReport()
        self.max_issues: int = settings.IMPORT_MAX_ISSUES_STORED
        self.issues_kept = 0
        places = None
        if create_places:
            places = PlaceMaker(kabupaten_prefix=scope_for_user(user).kabupaten_prefix, commit=commit)
        self.places = places
        postgres = connection.vendor == "postgresql"
        self.finder = PosyanduFinder(user=user, places=places)
        self.parser = Parser(today=today, finder=self.finder, places=places)
        self.resolver = Resolver(user=user, finder=self.finder, report=self.report, postgres=postgres)
        self.writer = Writer(user=user, job=job, now=timezone.now())
        self.kbm = kbm_table_on(day=today)
        self.postgres = postgres
        self.header: HeaderMatch  # set when the file's table is open

    def prepare(self, batch: Batch, lap: Lap) -> Prepared:
        """The steps of a batch that need no database: parse (and validate), NIK hashes, growth."""
        issues = BatchIssues()
        parsed, blank = self.parser.parse(batch, self.header, issues, lap)
        compute.hash_niks(parsed + blank)
        for index, row in enumerate(parsed):
            row.index = index
        growth = compute.growth(parsed) if parsed else {}
        lap("compute")
        return Prepared(batch, parsed, blank, growth, issues, lap)

    def apply(self, prepared: Prepared) -> None:
        """The steps of a batch that read or write the database: resolve, plan, N/T, write."""
        header, issues, lap = self.header, prepared.issues, Lap()
        # The last batch's UPDATE and foreign-key check ran while this batch was read and parsed: the
        # wait left.
        self.writer.settle()
        lap("commit")
        accepted, new_rows = self.resolver.resolve(prepared.parsed + prepared.blank, issues, header.header_of)
        write = plan_measurements(accepted, self.resolver, self.report)
        if self.commit and new_rows:
            self.writer.assign_ids(new_rows, accepted, self.resolver)
        lap("resolve")
        new_ids = frozenset(row.child_id for row in new_rows)
        previous = previous_weighing(write, postgres=self.postgres, new_ids=new_ids)
        columns = compute.written_columns(write, prepared.growth, previous, self.kbm) if write else {}
        self._warnings(accepted, issues, header)
        lap("compute")
        wrote = self.commit and (write or new_rows or any(row.existing for row in accepted))
        self._keep_issues(issues)  # first: the writer's last statements are not waited for
        if wrote:
            self.writer.write(new_rows, accepted, write, columns, header)
        lap("write")
        if wrote:
            # The deferred foreign-key checks, the work COMMIT would do, run batch by batch.
            self.writer.check_constraints()
            lap("commit")
        for done in (prepared.lap, lap):
            for step, seconds in done.wall.items():
                self.report.seconds[step] += seconds
                self.report.cpu_seconds[step] += done.cpu[step]
        self._database_seconds()

    def finish(self) -> None:
        """Wait for the last batch's foreign-key check; its wait is the commit step's."""
        lap = Lap()
        self.writer.settle()
        lap("commit")
        self.report.seconds["commit"] += lap.wall["commit"]
        self.report.cpu_seconds["commit"] += lap.cpu["commit"]
        self._database_seconds()

    def _database_seconds(self) -> None:
        report, writer = self.report, self.writer
        report.write_database_seconds = writer.database_seconds
        report.write_constraint_seconds = writer.constraint_seconds
        report.write_copy_seconds = writer.copy_seconds

    @staticmethod
    def _warnings(rows: list[ImportRow], issues: BatchIssues, header: HeaderMatch) -> None:
        for row in rows:
            for key, message in row.warnings:
                issues.add(row.number, WARNING, header.header_of(key), message)

    def _keep_issues(self, issues: BatchIssues) -> None:
        """Count a batch's issues; store (job) or keep (command) them in row order up to the cap.

        Batches come in row order, so the issues kept are the file's first ones."""
        report = self.report
        pending = issues.pending
        report.summary["rejected"] += issues.rejected
        report.summary["warnings"] += sum(1 for issue in pending if issue[1] == WARNING)
        report.issues_total += len(pending)
        pending.sort(key=lambda issue: issue[0])
        kept = pending[: max(0, self.max_issues - self.issues_kept)]
        report.issues_not_stored += len(pending) - len(kept)
        self.issues_kept += len(kept)
        if not kept:
            return
        if self.job is None:
            report.issues.extend(kept)
        else:
            self.writer.store_issues(kept)


def import_rows(
    *,
    source: str | os.PathLike[str] | IO[Any],
    file_name: str,
    user: User,
    commit: bool,
    job: ImportJob | None = None,
    progress: Callable[[int, int], None] | None = None,
    today: datetime.date | None = None,
    batch_size: int = BATCH_SIZE,
    create_places: bool = False,
    overlap: bool = False,
    pipelined: bool = True,
) -> ImportReport:
    """Run the pipeline over a file; writes only when `commit` (the caller holds the transaction).

    `progress(rows_done, rows_total_estimate)` is called after every batch. `pipelined=False` waits for
    every statement when it is sent (bench import measures what the overlap gains). `create_places`: the
    posyandu and puskesmas the file names and the district lacks are planned or created (places.py).
    Raises readers.UnreadableFile (convergence.uploads.UploadRefused) when the file is unreadable or over
    a limit of the settings.
    """
    importer = _Importer(
        user=user, commit=commit, job=job, today=today or timezone.localdate(), create_places=create_places
    )
    importer.writer.pipelined = pipelined
    report = importer.report
    with open_table(source, file_name, UploadLimits.from_settings()) as table:
        report.ignored_columns = table.header.ignored
        importer.header = table.header
        if progress is not None:
            progress(0, table.estimated_rows)
        rows = table.batches(batch_size)
        # `overlap`: read, parse and the growth engine a batch ahead in a worker thread. Off by default:
        # on two cores shared with PostgreSQL it showed no consistent gain (the threads share one GIL,
        # and the importer's thread waits for it after each query); bench import times both ways.
        # Creating places writes while parsing: then every step runs in this thread.
        ahead = Ahead(rows, importer.prepare) if overlap and importer.places is None else None
        started = time.perf_counter()
        # Any other query (a progress callback's, a place created while parsing) first waits for the
        # writer's statements in flight (a COPY, the foreign-key check: Writer.in_use).
        try:
            with importer.writer.in_use():
                for prepared in ahead if ahead is not None else prepared_here(rows, importer.prepare):
                    if ahead is not None:  # this thread's wait for the worker (zero when it is ahead)
                        report.waited_seconds += time.perf_counter() - started
                    importer.apply(prepared)
                    report.rows_total += len(prepared.batch)
                    report.batches += 1
                    if progress is not None:
                        progress(report.rows_total, max(table.estimated_rows, report.rows_total))
                    started = time.perf_counter()
                importer.finish()
        except BaseException as error:
            importer.writer.settle(error)
            raise
        finally:
            if ahead is not None:
                ahead.close()
    if commit and report.review_child_ids:
        from children.duplicates import duplicates_report_from_import

        duplicates_report_from_import(child_ids=report.review_child_ids, reporter=user)
    report.issues.sort(key=lambda issue: issue[0])
    if importer.places is not None:
        report.places = importer.places.listing()
    return report
