"""`python manage.py bench import`: a 100,000-row e-PPGBM .csv end to end into the database.

Parse, validate, resolve posyandu and identities, compute z-scores and N/T, write (COPY on PostgreSQL),
and check the foreign keys (the pipeline checks them batch by batch, so they are inside the timing),
timed inside a transaction that is rolled back (the bench leaves the database as it found it), next to
the same rows' first 1,000 through a django-import-export ModelResource imported row by row (z-scores
per row through children.compute with n = 1), scaled to rows per second. The csv import runs
IMPORT_RUNS times in turn (_MODES): the default (one thread; a batch's last UPDATE and its deferred
foreign-key checks are sent in pipeline mode and run on the server while the next batch is read), every
statement waited for when sent (what that overlap gains), the default again, and read, parse and the
growth engine a batch ahead in a worker thread. The machine may be shared: each run prints the load
average and its CPU seconds; the headline is the best default run. Each run prints the wall-clock and
CPU seconds of every step: read (pyarrow's CSV reader, python-calamine), parse (columns to typed
arrays), validate (the rule table and every cell's check), resolve, compute, write and commit (the wait
for the statements sent in pipeline mode); read, parse, validate and the growth engine run a batch
ahead in the worker thread when it is on, the rest in the importer's. On PostgreSQL it also prints what
the constraints cost: the foreign-key checks as the run that waits for every statement times them, and
the rows the import wrote copied again into a bare temporary table of the same shape and into one with
the same indexes (the unique NIK hash among them). Also reads and imports the same rows as .xlsx, written
as Excel saves a workbook (shared strings, a blank no cell; XlsxWriter from requirements-bench.txt),
best of XLSX_RUNS, with the workbook's opening timed apart, and with
`--million` streams a million-row file in a fresh process (so its peak memory, VmHWM, is the
import's own and not the benchmark's). Needs the demo district: run `python manage.py seed_demo` first.

Repeatable: a rolled-back import leaves dead tuples and index entries behind, which slowed the next
run by up to 2x. Before each timed import the touched tables get a VACUUM ANALYZE (outside the
transaction, not timed), so every run starts from the same state.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from children.bench_import_data import (
    IMPORT_DEFAULT_ROWS,
    import_inputs,
    synthetic_rows,
    write_csv,
    write_csv_streamed,
    write_xlsx,
)
from convergence.benchmarking import BenchResult, benchmark, rolled_back

IMPORT_PEER_SAMPLE = 1_000
IMPORT_RUNS = 4
XLSX_RUNS = 2
MILLION = 1_000_000


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: kilobytes


def _own_peak_mb() -> float:
    """The peak resident memory of this process's own address space (VmHWM, Linux). ru_maxrss would
    also count the parent's pages resident when it forked the process that became this one (Linux keeps
    the larger across exec): a process spawned by the bench reported the bench's own size."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            lines = status.read().splitlines()
    except OSError:  # not Linux
        lines = []
    peaks = [int(line.split()[1]) / 1024.0 for line in lines if line.startswith("VmHWM:")]  # kB
    return peaks[0] if peaks else _peak_rss_mb()


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


@dataclass
class Timed:
    """One timed import: wall and process CPU seconds (both threads), its report, queries, and on
    PostgreSQL the COPY of its rows into bare and indexed temporary tables (seconds per table)."""

    seconds: float
    cpu: float
    report: Any
    queries: int
    load_before: str
    load_after: str
    copies: dict[str, tuple[int, float, float]] = field(default_factory=dict)
    overlap: bool = False
    pipelined: bool = True


def _timed_import(
    path: Any, user: Any, *, copies: bool = False, overlap: bool = False, pipelined: bool = True
) -> Timed:
    """import_file(commit=True) inside a rolled-back transaction, timed.

    Queries are counted by an execute wrapper (keeping their SQL, as CaptureQueriesContext does,
    would itself hold megabytes of IN lists and distort the memory figure).
    """
    from django.db import connection

    from children.imports.services import import_file

    result: dict[str, Any] = {"queries": 0}

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        result["queries"] += 1
        return execute(sql, params, many, context)

    _vacuum()
    load_before = _load()
    with rolled_back():
        first_ids = _next_ids() if copies else {}
        with connection.execute_wrapper(count):
            start, cpu = time.perf_counter(), time.process_time()
            report = import_file(
                source=path, file_name=str(path), user=user, commit=True, overlap=overlap, pipelined=pipelined
            )
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        load_after = _load()
        copied = _copy_again(first_ids) if copies else {}
    return Timed(seconds, cpu, report, result["queries"], load_before, load_after, copied, overlap, pipelined)


_COPIED_TABLES = ("children_child", "children_measurement")


def _next_ids() -> dict[str, int]:
    from django.db import connection

    if connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cursor:
        found = {}
        for table in _COPIED_TABLES:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")
            found[table] = cursor.fetchone()[0]
        return found


def _copy_again(first_ids: dict[str, int]) -> dict[str, tuple[int, float, float]]:
    """The rows the import inserted, copied again by COPY into a temporary table of the same columns
    without any index or constraint, then into one with the table's indexes and check constraints:
    (rows, bare seconds, indexed seconds) per table. Foreign keys are timed by the writer itself."""
    from django.db import connection

    found = {}
    with connection.cursor() as cursor:
        for table, first_id in first_ids.items():
            data = bytearray()
            with cursor.copy(f"COPY (SELECT * FROM {table} WHERE id >= {int(first_id)}) TO STDOUT") as copy:
                for block in copy:
                    data += block
            rows = data.count(b"\n")
            timings = []
            for suffix, like in (("bare", ""), ("indexed", " INCLUDING INDEXES INCLUDING CONSTRAINTS")):
                temp = f"bench_{table}_{suffix}"
                cursor.execute(f"CREATE TEMPORARY TABLE {temp} (LIKE {table}{like}) ON COMMIT DROP")
                started = time.perf_counter()
                with cursor.copy(f"COPY {temp} FROM STDIN") as copy:
                    copy.write(bytes(data))
                timings.append(time.perf_counter() - started)
            found[table] = (rows, timings[0], timings[1])
    return found


def _vacuum() -> None:
    """VACUUM ANALYZE the tables an import writes (PostgreSQL, autocommit: not in a transaction)."""
    from django.db import connection

    if connection.vendor != "postgresql" or not connection.get_autocommit():
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "VACUUM ANALYZE children_child, children_measurement, children_person, children_importrowissue"
        )


def _million_in_fresh_process(path: str, user_id: int) -> tuple[float, int, int, int, float]:
    """Run in a spawned process: (seconds, rows, batches, queries, peak RSS in MB) of the import.

    A million rows make a file over the default upload limit (about 190 MB against 50 MB) and, with its
    header, one row over the 1,000,000 rows counted by line: both limits are raised to the file's for
    this process only; every other limit applies as in production."""
    import django

    django.setup()
    from django.test.utils import override_settings

    from convergence.models import User

    size = max(os.path.getsize(path), 50 * 1024 * 1024)
    with override_settings(IMPORT_MAX_UPLOAD_BYTES=size, IMPORT_MAX_ROWS=MILLION + 1):
        timed = _timed_import(path, User.objects.get(pk=user_id))
    report = timed.report
    return timed.seconds, report.rows_total, report.batches, timed.queries, _own_peak_mb()


def _peer_resource() -> Any:
    """A django-import-export resource for the e-PPGBM layout, as one would write it: per row it finds
    the posyandu, finds or creates the child, computes the z-scores (n = 1) and saves the measurement."""
    from import_export import fields, resources

    from children import compute, identity, pii
    from children.imports.parsing import parse_date, parse_decimal, parse_position
    from children.models import Child, Measurement
    from convergence.models import Posyandu

    class EPPGBMResource(resources.ModelResource):
        child = fields.Field(attribute="child_id", column_name="child_id")
        posyandu = fields.Field(attribute="posyandu_id", column_name="posyandu_id")

        class Meta:
            model = Measurement
            fields = ("child", "posyandu", "measured_on", "age_days", "weight_kg", "height_cm", "position")
            import_id_fields = ("child", "measured_on")
            use_transactions = False
            skip_diff = True

        def before_import_row(self, row: Any, **kwargs: Any) -> None:
            posyandu = Posyandu.objects.select_related("desa").get(
                name=row["Posyandu"], desa__name=row["Desa/Kel"], desa__parent__name=row["Kec"]
            )
            born, _e = parse_date(row["Tgl Lahir"])
            day, _e = parse_date(row["Tanggal Pengukuran"])
            if born is None or day is None:
                raise ValueError("the benchmark file has every date")
            check = identity.check_nik(row["NIK"], today=day, birth_date_hint=born)
            if check.error:
                raise ValueError(check.error)
            child = Child.objects.filter(nik_hash=pii.nik_hash(check.nik)).first() if check.nik else None
            if child is None:
                child = Child.objects.filter(
                    desa=posyandu.desa, name=row["Nama"], birth_date=born, sex=row["JK"]
                ).first()
            if child is None:
                child = Child.objects.create(
                    name=row["Nama"], sex=row["JK"], birth_date=born, posyandu=posyandu, desa=posyandu.desa,
                    nik_encrypted=pii.encrypt(check.nik), nik_hash=pii.nik_hash(check.nik),
                )  # fmt: skip
            weight, _e = parse_decimal(row["Berat"])
            height, _e = parse_decimal(row["Tinggi"])
            position, _e = parse_position(row["Cara Ukur"])
            row.update(
                child_id=child.pk, posyandu_id=posyandu.pk, measured_on=day.isoformat(),
                age_days=(day - born).days, weight_kg=weight, height_cm=height, position=position,
            )  # fmt: skip
            row["_growth"] = compute.measurement_growth_columns(
                sex=np.array([child.sex]), age_days=np.array([(day - born).days]),
                weight_kg=np.array([weight if weight is not None else np.nan]),
                height_cm=np.array([height if height is not None else np.nan]),
                position=np.array([position]), oedema=np.array([False]),
            )  # fmt: skip

        def before_save_instance(self, instance: Any, row: Any, **kwargs: Any) -> None:
            columns = row["_growth"]
            for name in compute.GROWTH_FIELDS:
                value = columns[name][0].item()
                setattr(instance, name, None if value != value else value)
            adjusted = float(columns["adjusted_height_cm"][0])
            instance.adjusted_height_cm = None if adjusted != adjusted else round(adjusted, 1)
            instance.error_flags = int(columns["error"][0])
            instance.source = Measurement.Source.IMPORT

    return EPPGBMResource()


def _peer_rows_per_second_import(path: Any, sample: int) -> float:
    import csv

    import tablib

    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle, delimiter=";")
        header = next(reader)
        data = tablib.Dataset(headers=header)
        for cells in reader:
            if len(data) >= sample:
                break
            data.append(cells)
    resource = _peer_resource()
    elapsed = 0.0
    with rolled_back():
        start = time.perf_counter()
        resource.import_data(data, dry_run=False, raise_errors=False, use_transactions=False)
        elapsed = time.perf_counter() - start
    return sample / elapsed


# Where each step runs: the worker thread prepares the next batch while the importer writes this one.
_THREAD = {
    "read": "worker",
    "parse": "worker",
    "validate": "worker",
    "compute": "both",
    "resolve": "importer",
    "write": "importer",
    "commit": "importer",
}


def _step_lines(timed: Timed) -> list[str]:
    """Wall-clock and CPU seconds of each step (children.imports), the importer's wait for the worker,
    and the split between Python's CPU and the time the importer's thread waited on the database."""
    report, rows = timed.report, timed.report.rows_total
    wall_sum = sum(report.seconds.values())
    cpu_sum = sum(report.cpu_seconds.values())
    lines = [
        f"steps (threads overlap: wall of the steps {wall_sum:.2f} s for {timed.seconds:.2f} s end to end; "
        f"CPU of the process {timed.cpu:.2f} s, of the steps {cpu_sum:.2f} s):",
        "  step      thread      wall s  share   CPU s  wall-CPU s      rows/s (own wall)",
    ]
    for step, seconds in report.seconds.items():
        cpu = report.cpu_seconds[step]
        rate = rows / seconds if seconds else float("inf")
        lines.append(
            f"  {step:<9} {_THREAD[step] if timed.overlap else 'importer':<9} {seconds:7.2f}  {100 * seconds / max(wall_sum, 1e-9):4.1f}%"
            f"  {cpu:6.2f}  {seconds - cpu:10.2f}  {rate:>12,.0f}"
        )
    database = report.write_database_seconds
    resolve_wait = report.seconds["resolve"] - report.cpu_seconds["resolve"]
    per = 100_000 / max(rows, 1)
    lines += [
        f"  the importer waited for the worker's next batch: {report.waited_seconds:.2f} s",
        f"  of write and commit, in the database's statements (COPY, UPDATE, foreign-key checks): "
        f"{database:.2f} s, of which waiting for the statements sent in pipeline mode (the last UPDATE "
        f"and the deferred foreign-key checks; commit) {report.write_constraint_seconds:.2f} s, "
        "waiting for a COPY's result (read once the next statement's data is built) "
        f"{report.write_copy_seconds:.2f} s; building their data: "
        f"{report.seconds['write'] + report.seconds['commit'] - database:.2f} s",
        f"per 100,000 rows: Python CPU {cpu_sum * per:.2f} s (all steps, both threads); PostgreSQL side "
        f"{(database + max(resolve_wait, 0.0)) * per:.2f} s (the write statements' wall + resolve's wall "
        "minus its CPU: the importer thread waiting on its queries; on a loaded machine this includes "
        "waiting for a core)",
        f"ceiling set by Python's CPU alone (both threads share one GIL): {rows / max(cpu_sum, 1e-9):,.0f} "
        f"rows/s; the process had {100 * timed.cpu / max(timed.seconds, 1e-9):.0f}% of a core",
    ]
    for table, (copied, bare, indexed) in timed.copies.items():
        lines.append(
            f"  COPY of the {copied:,} {table} rows again: bare temporary table {bare:.2f} s, with the "
            f"table's indexes and checks {indexed:.2f} s (+{indexed - bare:.2f} s for the indexes)"
        )
    return lines


# The csv runs in turn: the default (one thread, the last UPDATE and the foreign-key checks of a batch
# running on the server while the next batch is read), every statement waited for when sent, the
# default again, and read, parse and growth a batch ahead in a worker thread.
_MODES: tuple[tuple[str, dict[str, bool]], ...] = (
    ("default", {}),
    ("every statement waited for", {"pipelined": False}),
    ("default", {}),
    ("worker thread", {"overlap": True}),
)


def _mode_text(timed: Timed) -> str:
    if timed.overlap:
        return "read, parse and growth a batch ahead in a worker thread"
    if not timed.pipelined:
        return "one thread, every statement waited for when sent"
    return "one thread; a batch's last UPDATE and foreign-key checks run while the next batch is read"


def _csv_runs(path: Any, user: Any, runs: int) -> tuple[Timed, list[str]]:
    """The csv import `runs` times in the modes above; the best default run and the lines of every run."""
    from children.imports.pipeline import BATCH_SIZE

    best: dict[str, Timed] = {}
    lines: list[str] = []
    for run in range(1, runs + 1):
        mode, options = _MODES[(run - 1) % len(_MODES)]
        timed = _timed_import(path, user, copies=run == runs - 1, **options)
        report = timed.report
        rate = report.rows_total / timed.seconds
        lines += [
            f"csv run {run}/{runs}: {report.rows_total:,} rows in {timed.seconds:.2f} s = {rate:,.0f} rows/s "
            f"(commit inside a transaction rolled back afterwards; {_mode_text(timed)}); "
            f"load average {timed.load_before} before, "
            f"{timed.load_after} after",
            f"queries: {timed.queries} in {report.batches} batches of up to {BATCH_SIZE:,} rows "
            f"(= {timed.queries / max(report.batches, 1):.1f} per batch; statements through Django's "
            "cursor, COPY and those sent in pipeline mode apart)",
            *_step_lines(timed),
        ]
        if mode not in best or timed.seconds < best[mode].seconds:
            best[mode] = timed
    if "default" not in best:
        raise ValueError("bench import: at least one run")
    summary = best["default"].report.summary
    lines.insert(0, f"summary: {', '.join(f'{k} {v:,}' for k, v in summary.items())}")
    lines.append(
        "best run of each mode: "
        + "; ".join(
            f"{mode} {timed.report.rows_total / timed.seconds:,.0f} rows/s (process CPU {timed.cpu:.2f} s)"
            for mode, timed in best.items()
        )
    )
    return best["default"], lines


def _xlsx_open_seconds(path: Any) -> tuple[float, float]:
    """Seconds of the workbook's inspection (convergence.uploads.check_xlsx) and of python-calamine
    loading its first sheet: the opening the import does before its first batch."""
    from python_calamine import CalamineWorkbook

    from convergence.uploads import UploadLimits, check_xlsx

    with open(path, "rb") as handle:
        started = time.perf_counter()
        check_xlsx(handle, UploadLimits.from_settings())
        inspected = time.perf_counter()
        CalamineWorkbook.from_filelike(handle).get_sheet_by_index(0)
        return inspected - started, time.perf_counter() - inspected


def _million_line(folder: Any, seed: int, inputs: dict[str, Any], user: Any) -> str:
    import multiprocessing
    from pathlib import Path

    big = Path(folder) / "eppgbm_million.csv"
    write_csv_streamed(big, MILLION, seed + 1, inputs)
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        seconds, rows, batches, queries, rss = pool.apply(_million_in_fresh_process, (str(big), user.pk))
    return (
        f"csv 1,000,000 rows streamed: {seconds:.1f} s = {rows / seconds:,.0f} rows/s, "
        f"{queries / max(batches, 1):.1f} queries per batch, peak memory of a fresh process "
        f"(VmHWM, Django and numpy included) {rss:,.0f} MB (limit 512 MB)"
    )


@benchmark(
    "import", help_text="e-PPGBM import: 100,000-row .csv end to end vs django-import-export row by row"
)
def run_import(
    *, out: Any, rows: int | None, seed: int, million: bool = False, **options: Any
) -> BenchResult:
    """Rows per second of the bulk import (PostgreSQL COPY path), the peer's rate, and peak memory."""
    import tempfile
    from pathlib import Path

    from django.db import connection

    n = rows or IMPORT_DEFAULT_ROWS
    details = [f"database: {connection.vendor}; load average (1, 5, 15 min) at the start: {_load()}"]
    if connection.vendor != "postgresql":
        details.append("note: not PostgreSQL (no COPY); figures are for development only")
    inputs = import_inputs(seed)
    user = inputs["user"]
    with tempfile.TemporaryDirectory() as folder:
        csv_path = Path(folder) / "eppgbm.csv"
        xlsx_path = Path(folder) / "eppgbm.xlsx"
        if n > IMPORT_DEFAULT_ROWS:
            write_csv_streamed(csv_path, n, seed, inputs)
            generated = synthetic_rows(IMPORT_DEFAULT_ROWS, seed, inputs)
        else:
            generated = synthetic_rows(n, seed, inputs)
            write_csv(csv_path, generated)
        write_xlsx(xlsx_path, generated)
        # Not kept through the timed runs: a worker importing a file holds no such list, and its 100,000
        # row lists made every full garbage collection of the import walk them (about 1 s more).
        del generated
        rss_before = _peak_rss_mb()
        best, lines = _csv_runs(csv_path, user, IMPORT_RUNS)
        report = best.report
        rate = report.rows_total / best.seconds
        details += [
            *lines,
            f"peak memory (ru_maxrss of the process): {_peak_rss_mb():,.0f} MB, "
            f"+{_peak_rss_mb() - rss_before:,.0f} MB during the csv imports",
        ]
        peer_sample = min(IMPORT_PEER_SAMPLE, n)
        peer_rate = _peer_rows_per_second_import(csv_path, peer_sample)
        details.append(
            f"peer django-import-export ModelResource, row by row: {peer_sample:,} rows timed, "
            f"{peer_rate:,.0f} rows/s (at that rate: {n / peer_rate:,.0f} s for {n:,} rows)"
        )
        inspect, load = _xlsx_open_seconds(xlsx_path)
        xlsx = min(
            (_timed_import(xlsx_path, user) for _ in range(XLSX_RUNS)), key=lambda timed: timed.seconds
        )
        details += [
            f"xlsx: {xlsx.report.rows_total:,} rows read (python-calamine) and imported in {xlsx.seconds:.2f} s "
            f"= {xlsx.report.rows_total / xlsx.seconds:,.0f} rows/s (target < 10 s; best of {XLSX_RUNS}), "
            f"process CPU {xlsx.cpu:.2f} s; opening the workbook before the first batch, timed apart: "
            f"inspection (sizes, ratios, sheet extent, cell length) {inspect:.2f} s, python-calamine "
            f"loading the sheet {load:.2f} s; load average {xlsx.load_after}; "
            f"peak memory (ru_maxrss) {_peak_rss_mb():,.0f} MB",
            *_step_lines(xlsx),
        ]
        # Last: a rolled-back million rows leave the tables' pages behind (vacuumed, not returned), which
        # slowed the look-ups of an import run after them.
        if million and n < MILLION:
            details.append(_million_line(folder, seed, inputs, user))
    details.append(f"bulk / row by row: {rate / peer_rate:,.1f}x")
    return BenchResult(
        figure=rate,
        unit=f"rows/s importing {report.rows_total:,} csv rows end to end on {connection.vendor} "
        f"(constraints kept; best of {sum(mode == 'default' for mode, _ in _MODES)} default runs)",
        ratio=rate / peer_rate,
        baseline=f"django-import-export row by row on {peer_sample:,} of them",
        details=details,
    )
