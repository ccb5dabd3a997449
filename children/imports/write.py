"""Write step of the bulk import: new children, new and changed measurements, changed children and the
row issues, one statement per table and batch.

One interface, two databases: on PostgreSQL an INSERT is one COPY and an UPDATE a COPY into a temporary
table and one UPDATE ... FROM; on SQLite (development, tests) both are one executemany. The writer runs
in the importer's own thread on that thread's connection, inside the caller's transaction, and no other
thread ever touches it. On PostgreSQL a batch's last UPDATE ... FROM and its deferred foreign-key checks
are sent in pipeline mode and not waited for: the server runs them on its own core while the importer
reads and parses the next batch, and `settle()` collects their answers before any other statement.
A COPY's result is likewise read only when the connection is needed again, so the server stores one
table's rows while the importer builds the next table's data.
Bulk writes bypass `save()`, so simple_history keeps no historical rows for them: the audit of a bulk
change is the ImportJob together with Measurement.import_job / Child.import_job on every row it created
or changed.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from json.encoder import encode_basestring as _json_text
from typing import Any

import numpy as np
from django.db import connection
from django.db.models import Model

from children import compute, pii
from children.imports import parsing
from children.imports.layout import HeaderMatch
from children.imports.parse import Memo
from children.imports.resolve import Resolver
from children.imports.rows import (
    CHILD_INSERT,
    CHILD_UPDATE_FIELDS,
    FOUND_COLUMNS,
    IDENTIFIER_KEYS,
    MEASUREMENT_INSERT,
    MEASUREMENT_UPDATE,
    ImportRow,
    model_field,
)
from children.models import Child, ImportJob, ImportRowIssue, Measurement
from children.partitions import ensure_measurement_partitions
from convergence import pgcopy
from convergence.models import User


def _python(values: Sequence[Any] | np.ndarray) -> list[Any]:
    """A column as Python values for executemany: NaN of a float array as None."""
    if not isinstance(values, np.ndarray):
        return list(values)
    if values.dtype.kind == "f":
        return [None if x != x else x for x in values.tolist()]
    return values.tolist()


def _column_names(model: type[Model], fields: Sequence[str]) -> list[str]:
    return [model_field(model, name).column for name in fields]


def raw_json(rows: list[ImportRow], header: HeaderMatch) -> list[str]:
    """Measurement.raw of each row: {header: cell as written} over its non-blank cells, NIK and KK
    numbers masked. Built a column at a time: each distinct cell of a column is JSON-encoded once."""
    texts: list[str] = [""] * len(rows)
    groups: dict[int, list[int]] = {}
    for i, row in enumerate(rows):
        groups.setdefault(id(row.source), []).append(i)
    for members in groups.values():
        source = rows[members[0]].source
        if source is None:
            raise ValueError("a row written without its cells")
        columns = source.taken([rows[i].at for i in members])
        for i, text in zip(members, _raw_texts(columns, header), strict=True):
            texts[i] = text
    return texts


def _raw_texts(columns: list[list[Any]], header: HeaderMatch) -> list[str]:
    identifiers = {header.positions[k] for k in IDENTIFIER_KEYS if k in header.positions}
    pieces = []
    for index, title in enumerate(header.headers):
        key = _json_text(title) + ": "
        if index in identifiers:

            def piece(cell: Any, key: str = key) -> str:
                # NIK and KK numbers never reach the database in plaintext, not even as raw values.
                text = "" if cell is None or cell == "" else pii.mask_identifier(parsing.cell_text(cell))
                return key + _json_text(text) if text != "" else ""
        else:

            def piece(cell: Any, key: str = key) -> str:
                if cell is None or cell == "":
                    return ""
                return key + _json_text(cell if type(cell) is str else parsing.cell_text(cell))

        pieces.append(Memo(piece).column(columns[index]))
    return ["{" + ", ".join(filter(None, parts)) + "}" for parts in zip(*pieces, strict=True)]


class Writer:
    """Writes the batches of one import (apply only) and stores its row issues (a job's, also in a
    dry run)."""

    def __init__(self, *, user: User, job: ImportJob | None, now: datetime.datetime) -> None:
        self.user = user
        self.job_id = job.pk if job is not None else None
        self.postgres = connection.vendor == "postgresql"
        self.stamp = now if self.postgres else connection.ops.adapt_datetimefield_value(now)
        self.child_sequence = ""
        # Seconds spent in the database's statements (the rest of the write step builds their data).
        self.database_seconds = 0.0
        # Of those, the wait for the statements not waited for when sent (the last UPDATE, the deferred
        # foreign-key checks): what was left of them when the importer needed the connection again.
        self.constraint_seconds = 0.0
        # Of those, the wait for a COPY's result read after the next statement's data was built.
        self.copy_seconds = 0.0
        self._pending: Any = None  # psycopg's Pipeline of the statements in flight
        self._copy_sent: pgcopy.SentCopy | None = None  # a COPY whose result is not read yet
        self.pipelined = True  # False: wait for every statement when it is sent

    # The interface ----------------------------------------------------------------------------------------

    @contextmanager
    def in_use(self) -> Iterator[None]:
        """While the writer is in use, any query through Django's cursor (a look-up, a progress
        callback's, a savepoint) first reads the answers of the writer's statements still in flight."""

        def execute(run: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
            self.settle()
            return run(sql, params, many, context)

        with connection.execute_wrapper(execute):
            yield

    def insert(
        self, model: type[Model], columns: Sequence[str], values: Sequence[Sequence[Any] | np.ndarray]
    ) -> None:
        """INSERT rows given column by column (float arrays may hold NaN for NULL)."""
        if not len(values[0]):
            return
        table = model._meta.db_table
        names = ", ".join(_column_names(model, columns))
        if self.postgres:
            data = pgcopy.csv_data(values)  # built while the statement before may still run
            self.settle()
            self._copy(f"COPY {table} ({names}) FROM STDIN {pgcopy.CSV}", data)
            return
        self.settle()
        marks = ", ".join(["%s"] * len(columns))
        rows = list(zip(*map(_python, values), strict=True))
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
        self.database_seconds += time.perf_counter() - started

    def update(
        self,
        model: type[Model],
        columns: Sequence[str],
        values: Sequence[Sequence[Any] | np.ndarray],
        keep_when_null: Sequence[str] = (),
    ) -> None:
        """UPDATE rows by id (the last column of `values`); `keep_when_null` columns keep their value
        where given None."""
        if not len(values[0]):
            return
        table = model._meta.db_table
        names = _column_names(model, columns)
        keep = set(_column_names(model, keep_when_null))

        def target(name: str, value: str) -> str:
            return f"{name} = COALESCE({value}, {table}.{name})" if name in keep else f"{name} = {value}"

        if not self.postgres:
            self.settle()
            sets = ", ".join(target(n, "%s") for n in names)
            rows = list(zip(*map(_python, values), strict=True))
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.executemany(f"UPDATE {table} SET {sets} WHERE id = %s", rows)
            self.database_seconds += time.perf_counter() - started
            return
        temp = f"import_update_{table}"
        listed = ", ".join(names)
        data = pgcopy.csv_data(values)
        sets = ", ".join(target(n, f"v.{n}") for n in names)
        self.settle()
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {temp} ON COMMIT DROP AS SELECT {listed}, id FROM {table} WITH NO DATA"
            )
        self.database_seconds += time.perf_counter() - started
        self._copy(f"COPY {temp} ({listed}, id) FROM STDIN {pgcopy.CSV}", data)
        # The UPDATE itself is not waited for: it runs while the importer goes on (see settle).
        self._send(
            f"UPDATE {table} SET {sets} FROM {temp} AS v WHERE {table}.id = v.id", f"DROP TABLE {temp}"
        )

    def check_constraints(self) -> None:
        """PostgreSQL: check the batch's deferred foreign keys now, batch by batch, instead of all at
        COMMIT (which keeps the server's queue of pending checks to one batch).

        The check is sent in pipeline mode and not waited for: the server checks on its own core while
        the importer reads and parses the next batch. `settle()` waits for its answer (raising a
        violation as IntegrityError) and runs before the writer's or the resolver's next statement."""
        if self.postgres:
            self._send("SET CONSTRAINTS ALL IMMEDIATE", "SET CONSTRAINTS ALL DEFERRED")

    def _copy(self, statement: str, data: bytes) -> None:
        """COPY FROM STDIN, its result read by `settle()`: the server goes on with the rows while the
        importer builds the next statement's data."""
        started = time.perf_counter()
        with connection.wrap_database_errors, connection.cursor() as cursor:
            self._copy_sent = pgcopy.SentCopy(cursor.cursor, statement, data)
        self.database_seconds += time.perf_counter() - started
        if not self.pipelined:
            self.settle()

    def _send(self, *statements: str) -> None:
        """Send statements in pipeline mode without waiting for them (after those sent before)."""
        self._settle_copy()
        started = time.perf_counter()
        pipeline = self._pending
        if pipeline is None:
            pipeline = self._pending = connection.connection.pipeline()
            pipeline.__enter__()
        try:
            with connection.wrap_database_errors, connection.connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
        except Exception as exc:  # a violation may already be back while the next one is sent
            self._pending = None
            pipeline.__exit__(type(exc), exc, exc.__traceback__)
            raise
        finally:
            self.database_seconds += time.perf_counter() - started
        if not self.pipelined:
            self.settle()

    def settle(self, error: BaseException | None = None) -> None:
        """Wait for the statements sent in pipeline mode (if any): an error of theirs is raised here as
        Django's. With `error` (the import failed), end the pipeline without raising over it."""
        self._settle_copy(error)
        pending, self._pending = self._pending, None
        if pending is None:
            return
        with self._waiting("constraint_seconds"):
            pending.__exit__(type(error) if error else None, error, error.__traceback__ if error else None)

    def _settle_copy(self, error: BaseException | None = None) -> None:
        sent, self._copy_sent = self._copy_sent, None
        if sent is None:
            return
        try:
            with self._waiting("copy_seconds"):
                sent.wait()
        except Exception:
            if error is None:
                raise  # with `error`, the import's own failure is the one reported

    @contextmanager
    def _waiting(self, kind: str) -> Iterator[None]:
        """Time a wait for the server's answers (database seconds, and `kind`'s); errors as Django's."""
        started = time.perf_counter()
        try:
            with connection.wrap_database_errors:
                yield
        finally:
            seconds = time.perf_counter() - started
            self.database_seconds += seconds
            setattr(self, kind, getattr(self, kind) + seconds)

    def store_issues(self, kept: list[tuple[int, str, str, str]]) -> None:
        columns = [[self.job_id] * len(kept), *(list(column) for column in zip(*kept, strict=True))]
        self.insert(ImportRowIssue, ("job", "row_number", "action", "field", "message"), columns)

    # Ids of new children ------------------------------------------------------------------------------------

    def _reserve_ids(self, count: int) -> list[int]:
        with connection.cursor() as cursor:
            if self.postgres:
                if not self.child_sequence:
                    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [Child._meta.db_table])
                    self.child_sequence = cursor.fetchone()[0]
                # The sequence as a constant (pg_get_serial_sequence() in the query ran once per id).
                cursor.execute(
                    "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [self.child_sequence, count]
                )
                return [r[0] for r in cursor.fetchall()]
            # SQLite writes hold the database lock for the transaction: max(id) + n cannot be taken twice.
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {Child._meta.db_table}")
            start = cursor.fetchone()[0] + 1
            return list(range(start, start + count))

    def assign_ids(self, new_rows: list[ImportRow], rows: list[ImportRow], resolver: Resolver) -> None:
        """Replace the temporary (negative) ids of this batch's new children by reserved database ids."""
        real = self._reserve_ids(len(new_rows))
        if resolver.first_new_id is None:
            resolver.first_new_id = min(real)
        mapping = dict(zip((row.child_id for row in new_rows), real, strict=True))
        for row in new_rows:
            nik_key, identity_key = row.keys
            if nik_key:
                resolver.new_by_nik[nik_key] = mapping[row.child_id]
            resolver.new_by_identity[identity_key] = mapping[row.child_id]
        seen = resolver.seen
        for row in rows:
            if row.child_id < 0:
                day = row.day.toordinal()
                first = seen.pop(row.child_id * 1_000_000 + day)
                row.child_id = mapping[row.child_id]
                seen[row.child_id * 1_000_000 + day] = first

    # The batch ------------------------------------------------------------------------------------------------

    def write(
        self,
        new_rows: list[ImportRow],
        rows: list[ImportRow],
        write: list[ImportRow],
        columns: dict[str, np.ndarray],
        header: HeaderMatch,
    ) -> None:
        """The batch's writes: new children, new and changed measurements, changed children."""
        # A history file brings years the measurement table may have no partition for yet (PostgreSQL).
        ensure_measurement_partitions({row.day.year for row in write})
        if new_rows:
            child_ids = [row.child_id for row in new_rows]
            self.insert(Child, ("id", *CHILD_INSERT), [child_ids, *self._child_values(new_rows)])
        # The raw row for those a reviewer reads again (a warning, or stored data changed).
        raw: list[str | None] = [None] * len(write)
        keep = [
            i for i, row in enumerate(write) if row.warnings or row.measurement_id is not None or row.existing
        ]
        for i, text in zip(keep, raw_json([write[i] for i in keep], header), strict=True):
            raw[i] = text
        inserted = [i for i, row in enumerate(write) if row.measurement_id is None]
        updated = [i for i, row in enumerate(write) if row.measurement_id is not None]
        if inserted:
            take = np.asarray(inserted, dtype=np.intp)
            rows_ = [write[i] for i in inserted]
            found = (
                [row.child_id for row in rows_],
                columns["weight_gain"][take],
                [raw[i] for i in inserted],
            )
            values = self._measurement_values(rows_, {k: v[take] for k, v in columns.items()}, insert=True)
            self.insert(Measurement, (*FOUND_COLUMNS, *MEASUREMENT_INSERT), [*found, *values])
        if updated:
            take = np.asarray(updated, dtype=np.intp)
            rows_ = [write[i] for i in updated]
            values = self._measurement_values(rows_, {k: v[take] for k, v in columns.items()}, insert=False)
            ids = [row.measurement_id for row in rows_]
            found_: list[Sequence[Any] | np.ndarray] = [
                columns["weight_gain"][take],
                [raw[i] for i in updated],
            ]
            self.update(Measurement, (*FOUND_COLUMNS[1:], *MEASUREMENT_UPDATE), [*found_, *values, ids])
        self._update_children(rows)

    def _update_children(self, rows: list[ImportRow]) -> None:
        """One UPDATE row per changed child: the changes of its rows folded in file order (a later row
        wins a field both fill), as UPDATE ... FROM with two rows for one id keeps either."""
        folded: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
        for row in rows:
            if row.existing:
                child, changes = row.existing["child"], row.existing["changes"]
                if child["id"] in folded:
                    folded[child["id"]][1].update(changes)
                else:
                    folded[child["id"]] = (child, dict(changes))
        child_updates = []
        for child, changes in folded.values():
            nik = changes.get("nik")
            child_updates.append(
                (
                    *(changes.get(name, child[name]) for name in CHILD_UPDATE_FIELDS),
                    pii.encrypt(nik) if nik else None,
                    pii.nik_hash(nik) if nik else child["nik_hash"],
                    self.job_id,
                    self.stamp,
                    child["id"],
                )
            )
        # Children without a new NIK keep their ciphertext (None -> COALESCE keeps the column).
        if child_updates:
            self.update(
                Child,
                (*CHILD_UPDATE_FIELDS, "nik_encrypted", "nik_hash", "import_job", "updated_at"),
                [list(column) for column in zip(*child_updates, strict=True)],
                keep_when_null=("nik_encrypted",),
            )

    def _date(self, day: datetime.date) -> Any:
        return day if self.postgres else day.isoformat()

    def _child_values(self, rows: list[ImportRow]) -> list[Sequence[Any]]:
        """The columns CHILD_INSERT of a new child for each row."""
        n = len(rows)
        child_values = [row.child_values for row in rows]
        return [
            pii.encrypt_many([row.nik for row in rows]),
            [row.nik_hash for row in rows],
            [row.name for row in rows],
            [row.sex for row in rows],
            [self._date(row.birth_date) for row in rows],
            [row.posyandu_id for row in rows],
            [row.desa_id for row in rows],
            *([values[name] for values in child_values] for name in CHILD_UPDATE_FIELDS),
            [""] * n, [""] * n, [False] * n, [False] * n,
            [values["has_kia_book"] for values in child_values],
            [Child.Status.ACTIVE.value] * n, [self.job_id] * n, [self.stamp] * n, [self.stamp] * n,
        ]  # fmt: skip

    def _measurement_values(
        self, rows: list[ImportRow], columns: dict[str, np.ndarray], *, insert: bool
    ) -> list[Sequence[Any] | np.ndarray]:
        """The columns MEASUREMENT_INSERT (or MEASUREMENT_UPDATE) of the rows, given their growth columns."""
        values = [row.values for row in rows]
        m = len(rows)
        pmt = [v["pmt_kg"] for v in values]
        out: list[Sequence[Any] | np.ndarray] = [
            [v["posyandu_id"] for v in values],
            [row.age_days for row in rows],
            [v["weight_kg"] for v in values],
            [v["height_cm"] for v in values],
            [v["position"] for v in values],
            [v["lila_cm"] for v in values],
            [v["head_circumference_cm"] for v in values],
            [v["vitamin_a"] for v in values],
            [p is not None for p in pmt],
            pmt,
            np.round(columns["adjusted_height_cm"], 1),
            *(columns[name] for name in compute.GROWTH_FIELDS),
            columns["error"],
            [Measurement.Source.IMPORT.value] * m,
            [self.job_id] * m,
            [row.number for row in rows],
            [self.stamp] * m,
        ]
        if insert:
            days = [self._date(row.day) for row in rows]
            out += [days, [False] * m, [False] * m, [self.user.pk] * m, [self.stamp] * m]
        return out
