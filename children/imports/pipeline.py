"""The bulk import of an e-PPGBM register: per batch, validate -> resolve -> compute -> plan/write.

Each batch costs a constant number of queries whatever its size: children by NIK hash, persons by NIK
hash, identity candidates, the measurements already stored for the batch's days, each child's last
weighing and height before the batch, then (commit) one id reservation and one COPY/executemany per
table. Lookups built once per import (posyandu by name and desa code, the uploader's scope, the KBM
table) are dicts, never a query per row.

Bulk writes bypass `save()`, so simple_history keeps no historical rows for them: the audit of a bulk
change is the ImportJob (who uploaded which file, when, the per-row report) together with
Measurement.import_job / Child.import_job on every row it created or changed.
"""

from __future__ import annotations

import datetime
import gc
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import compress
from json.encoder import encode_basestring as _json_text
from typing import IO, Any

import numpy as np
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from children import compute, identity, pii
from children.growth import classify
from children.growth.weight_gain import NOT_ASSESSED
from children.imports import parsing
from children.imports.layout import HeaderMatch
from children.imports.places import PlaceCells, PlaceFound, PlaceMaker
from children.imports.readers import RaggedCells, Row, ShiftedCells, batches, open_table
from children.models import Child, ImportJob, ImportRowIssue, Measurement, Person
from children.selectors import kbm_table_on
from children.services import MAX_HEIGHT_SHRINK_CM
from convergence import pgcopy
from convergence.models import Posyandu, Region, User
from convergence.names import place_name_key as _norm_place
from convergence.scoping import restrict, scope_for_user
from convergence.uploads import CONTROL_CHARACTERS, UploadLimits

# Rows per batch. 5,000 keeps every per-batch query's IN list well under SQLite's 32,766 variables and
# PostgreSQL's planner comfort zone, makes numpy's per-call overhead negligible (the growth engine
# reaches full speed from a few thousand rows), and bounds Python memory to a few MB of parsed rows;
# larger batches gained nothing measurable on the 100,000-row benchmark.
BATCH_SIZE = 5_000
# WHO growth standards end at 60 months (1856 days); older children leave the balita registry.
MAX_AGE_DAYS = 1856
LYING_UNDER_DAYS = 731  # PB (length, lying) under 24 months, TB (height, standing) from 24 months

ACTIONS = (
    "create_child",
    "update_child",
    "merge",
    "create_measurement",
    "update_measurement",
    "unchanged",
    "rejected",
    "warnings",
)

REJECTED = ImportRowIssue.Action.REJECTED.value
WARNING = ImportRowIssue.Action.WARNING.value
DUPLICATE = ImportRowIssue.Action.DUPLICATE.value

# (file field, Child field, low, high): child fields an import may fill or correct.
_CHILD_NUMBERS = (
    ("birth_weight_kg", 0.5, 7.0),
    ("birth_length_cm", 20.0, 65.0),
    ("birth_head_circumference_cm", 20.0, 45.0),
)
CHILD_UPDATE_FIELDS = (
    "birth_weight_kg",
    "birth_length_cm",
    "birth_head_circumference_cm",
    "birth_order",
    "gestational_age_weeks",
    "early_breastfeeding",
    "mother_name",
    "parent_phone",
    "rt",
    "rw",
    "address",
)
_CHILD_LOAD = ("id", "nik_hash", "name", "sex", "birth_date", "desa_id", "posyandu_id", *CHILD_UPDATE_FIELDS)
# Measurement inputs compared for idempotency (the rest is derived from them).
_MEASUREMENT_INPUTS = (
    "weight_kg",
    "height_cm",
    "position",
    "lila_cm",
    "head_circumference_cm",
    "pmt_kg",
    "vitamin_a",
    "posyandu_id",
)
_DECIMALS = {"weight_kg": 2, "height_cm": 1, "lila_cm": 1, "head_circumference_cm": 1, "pmt_kg": 2}
_DECIMALS_CHILD = {"birth_weight_kg": 2, "birth_length_cm": 1, "birth_head_circumference_cm": 1}
# Measurement values and their possible ranges (as in children.services.measurement_record).
_MEASURE_RANGES = (
    ("weight_kg", 0.5, 50.0),
    ("height_cm", 30.0, 140.0),
    ("lila_cm", 5.0, 35.0),
    ("head_circumference_cm", 20.0, 60.0),
    ("pmt_kg", 0.0, 100.0),
)
# (Child field, file field, max length)
_CHILD_TEXTS = (
    ("mother_name", "parent_name", 120),
    ("rt", "rt", 3),
    ("rw", "rw", 3),
    ("address", "address", 255),
    ("parent_phone", "parent_phone", 20),
)
# Columns holding NIK/KK numbers: masked in Measurement.raw.
_IDENTIFIER_KEYS = ("nik", "parent_nik", "kk_number")
_PARSED_KEYS = (
    "nik", "name", "sex", "birth_date", "measured_on", "weight_kg", "height_cm", "position", "lila_cm",
    "head_circumference_cm", "pmt_kg", "vitamin_a", "kec", "desa", "posyandu", "desa_code", "parent_name", "rt",
    "rw", "address", "birth_weight_kg", "birth_length_cm", "birth_head_circumference_cm", "birth_order",
    "gestational_age_weeks", "early_breastfeeding", "parent_phone", "kia", "puskesmas", "kab",
)  # fmt: skip
# The cells naming a row's place, in the order of places.PlaceCells.
_PLACE_KEYS = ("kec", "desa", "posyandu", "desa_code", "puskesmas", "kab")


# Measurement columns written by the import. _FOUND_COLUMNS need the batch's queries (the child's id,
# N/T from its previous weighing, the raw row kept for rows with warnings); the others are known from
# the file alone, so their COPY text is made while the writer thread sends the previous batch.
_FOUND_COLUMNS = ("child", "weight_gain", "raw")
_MEASUREMENT_UPDATE = (
    "posyandu", "age_days", "weight_kg", "height_cm", "position", "lila_cm", "head_circumference_cm", "vitamin_a",
    "pmt_received", "pmt_kg", "adjusted_height_cm", *compute.GROWTH_FIELDS, "error_flags", "source", "import_job",
    "import_row", "updated_at",
)  # fmt: skip
_MEASUREMENT_INSERT = (
    *_MEASUREMENT_UPDATE, "measured_on", "oedema", "remeasure_confirmed", "measured_by", "created_at"
)  # fmt: skip


_CHILD_INSERT = (
    "nik_encrypted", "nik_hash", "name", "sex", "birth_date", "posyandu", "desa", *CHILD_UPDATE_FIELDS,
    "birth_place", "father_name", "has_birth_certificate", "has_jkn", "has_kia_book", "status", "import_job",
    "created_at", "updated_at",
)  # fmt: skip


def _key64(nik_hash: str) -> int:
    """The first 64 bits of a NIK hash (HMAC-SHA256): unique enough to key a million rows in memory."""
    return int(nik_hash[:16], 16)


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else parsing.cell_text(value)


def _memo(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Cache a cell parser per distinct text: a register repeats few values (weights, JK, Cara Ukur)."""
    cache: dict[str, Any] = {}
    missing = object()

    def parse(value: Any) -> Any:
        if isinstance(value, str):
            found = cache.get(value, missing)
            if found is missing:
                found = cache[value] = function(value)
                if len(cache) > 100_000:  # free text never repeats: stop the cache growing
                    cache.clear()
            return found
        return function(value)

    return parse


class _Bad:
    """A cell the column-wise path leaves to the row-by-row check (an error or a warning)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "_BAD"


_BAD = _Bad()
_MEMO_TYPES = frozenset({str, type(None)})


class _Memo(dict):  # type: ignore[type-arg]
    """`function` of each distinct cell, computed once: `column()` maps a whole column in one C loop."""

    __slots__ = ("function",)

    def __init__(self, function: Callable[[Any], Any]) -> None:
        super().__init__()
        self.function = function

    def __missing__(self, key: Any) -> Any:
        value = self[key] = self.function(key)
        return value

    def column(self, cells: Sequence[Any]) -> list[Any]:
        if set(map(type, cells)) <= _MEMO_TYPES:
            return list(map(self.__getitem__, cells))
        # Numbers, dates and booleans from .xlsx: 1, 1.0 and True are equal keys, so no cache.
        function = self.function
        return [self[c] if type(c) is str else function(c) for c in cells]


# A name starting like a spreadsheet formula is kept as text (exports escape it), with a warning: it
# usually means the sheet held a formula's text instead of the name.
FORMULA_START = ("=", "+", "-", "@")


def _clean_name(value: Any) -> Any:
    if not isinstance(value, str) or value.startswith(FORMULA_START):
        return _BAD
    return value.strip()[:120] or _BAD


def _clean_text(limit: int) -> Callable[[Any], str]:
    def clean(value: Any) -> str:
        return _text(value)[:limit]

    return clean


class _NIKStems(dict):  # type: ignore[type-arg]
    """birth date -> the DDMMYY digits 7-12 of a NIK of that sex (women: day + 40)."""

    def __init__(self, offset: int) -> None:
        super().__init__()
        self.offset = offset

    def __missing__(self, day: datetime.date) -> str:
        stem = self[day] = f"{day.day + self.offset:02d}{day.month:02d}{day.year % 100:02d}"
        return stem


@dataclass
class ImportReport:
    """Counts per action, the reported issues (row, action, column, message) and the rows read."""

    summary: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ACTIONS, 0))
    issues: list[tuple[int, str, str, str]] = field(default_factory=list)
    # Headers of the file that no known format has, as written: their cells are not read.
    ignored_columns: list[str] = field(default_factory=list)
    issues_total: int = 0
    # Issues beyond settings.IMPORT_MAX_ISSUES_STORED (stored as ImportRowIssue, or kept in `issues`).
    issues_not_stored: int = 0
    rows_total: int = 0
    batches: int = 0
    # (child's desa, posyandu, month) of every row that writes a measurement or changes a child: the
    # prevalence of those places and months follows the apply (children.changes).
    changed: set[tuple[int | None, int | None, datetime.date]] = field(default_factory=set)
    # Wall-clock seconds per step of the main thread (read is the reader's share: CSV/xlsx parsing into
    # cells; prepare is the work that needs no query: parsing, NIK hashes, z-scores, COPY text, done
    # while the writer thread sends the previous batch; wait is the time spent waiting for the writer).
    seconds: dict[str, float] = field(
        default_factory=lambda: dict.fromkeys(("read", "prepare", "wait", "resolve", "compute", "write"), 0.0)
    )
    # With create_places: the puskesmas and posyandu planned (dry run) or created (apply), with the
    # number of rows naming each (places.NewPlace.as_dict).
    places: list[dict[str, Any]] = field(default_factory=list)
    # Children that rows matched only by identity while registered at another posyandu: the rows are
    # not imported and, on apply, each child is queued for review (children.duplicates).
    review_child_ids: set[int] = field(default_factory=set)


class _Row:
    """One data row on its way through a batch (plain slots: 100,000 of them pass per import)."""

    __slots__ = (
        "number",
        "cells",
        "nik",
        "nik_hash",
        "name",
        "norm_name",
        "sex",
        "birth_date",
        "measured_on",
        "age_days",
        "values",
        "child_values",
        "posyandu_id",
        "desa_id",
        "warnings",
        "child_id",
        "child_action",
        "measurement_id",
        "existing",
        "keys",
        "index",
        "blank",
    )

    def __init__(self, number: int, cells: Sequence[Any]) -> None:
        self.number = number
        self.cells = cells
        self.warnings: list[tuple[str, str]] = []
        self.child_action = ""
        self.measurement_id: int | None = None
        self.existing: dict[str, Any] | None = None
        self.blank = False  # a register template row: a child and no measurement


def _sorted_keys(keys: Iterable[int], dtype: type = np.uint64) -> np.ndarray:
    return np.unique(np.fromiter(keys, dtype=dtype))


def _contains(sorted_keys: np.ndarray, keys: np.ndarray) -> list[bool]:
    """Which of `keys` are in `sorted_keys` (both uint64 or both int64)."""
    if not sorted_keys.size or not keys.size:
        return [False] * keys.size
    at = np.searchsorted(sorted_keys, keys).clip(max=sorted_keys.size - 1)
    return (sorted_keys[at] == keys).tolist()


def _place_key(desa_id: int, born: datetime.date) -> int:
    return desa_id * 4_000_000 + born.toordinal()  # ordinals of real dates stay below 3.7 million


def _array_text(values: Sequence[Any]) -> str:
    """A PostgreSQL array literal of ints or dates (no quoting needed)."""
    return "{" + ",".join(map(str, values)) + "}"


def _python(values: Sequence[Any] | np.ndarray) -> list[Any]:
    """A column as Python values for executemany: NaN of a float array as None."""
    if not isinstance(values, np.ndarray):
        return list(values)
    if values.dtype.kind == "f":
        return [None if x != x else x for x in values.tolist()]
    return values.tolist()


def _round(value: Any, places: int) -> float | None:
    return None if value is None else round(float(value), places)


class _Importer:
    def __init__(
        self,
        *,
        user: User,
        commit: bool,
        job: ImportJob | None,
        today: datetime.date,
        create_places: bool = False,
    ) -> None:
        self.user = user
        self.commit = commit
        self.job = job
        self.today = today
        self.now = timezone.now()
        self.report = ImportReport()
        self.max_issues: int = settings.IMPORT_MAX_ISSUES_STORED
        self.issues_kept = 0
        self.parse_date = parsing.DateParser()
        self.decimal = _memo(parsing.parse_decimal)
        self.sex_of = _memo(parsing.parse_sex)
        self.position_of = _memo(parsing.parse_position)
        self.bool_of = _memo(parsing.parse_bool)
        self.postgres = connection.vendor == "postgresql"
        self._load_places()
        self.ops: list[tuple[str, bytes | None]] = []  # the batch's writes, for the writer (PostgreSQL)
        self.writer = _Writer(connection.connection) if self.postgres else None
        self.places = (
            PlaceMaker(
                kabupaten_prefix=scope_for_user(user).kabupaten_prefix,
                commit=commit,
                before_write=self._writer_idle,
            )
            if create_places
            else None
        )
        self.kbm = kbm_table_on(day=today)
        # The first 64 bits of every NIK hash in the registries, loaded once: a batch then queries only
        # the NIKs that may be there, instead of probing the indexes with thousands of new ones. Sorted
        # numpy arrays: 8 bytes a child (a Python set of ints takes ~60), so a district of a million
        # children costs 8 MB.
        self.child_niks = _sorted_keys(
            _key64(h)
            for h in Child.objects.exclude(nik_hash="")
            .order_by()
            .values_list("nik_hash", flat=True)
            .iterator(10_000)
        )
        self.person_niks = _sorted_keys(
            _key64(h)
            for h in Person.objects.exclude(nik_hash="")
            .order_by()
            .values_list("nik_hash", flat=True)
            .iterator(10_000)
        )
        # (desa, birth date) of the registry's children, likewise: identity candidates are looked up
        # only for the rows whose desa and birth date some child of the registry shares.
        self.child_places = _sorted_keys(
            (
                _place_key(desa_id, born)
                for desa_id, born in Child.objects.values_list("desa_id", "birth_date")
                .distinct()
                .iterator(10_000)
                if desa_id is not None and born is not None
            ),
            np.int64,
        )
        # Children created by this import, found again by later rows (also across batches of a dry run,
        # where nothing is in the database): 64-bit keys keep a million-row file within memory.
        self.new_by_nik: dict[int, int] = {}
        self.new_by_identity: dict[int, int] = {}
        # Ids reserved for new children only grow, so "created by this import" is an id comparison
        # (no set of a million ids): negative in a dry run, from the first reserved id on in an apply.
        self.first_new_id: int | None = None
        self.changed_children: set[int] = set()
        self.next_temp_id = -1
        # (child, day) -> row number of the row that recorded it, for "Baris ganda".
        self.seen: dict[int, int] = {}
        # Column-wise parse caches, kept across batches (dates, weights, places repeat).
        self.column_memo: dict[str, _Memo] = {}
        self.nik_stems = {"L": _NIKStems(0), "P": _NIKStems(40)}
        # The batch's measurement COPY lines without _FOUND_COLUMNS, by row index (PostgreSQL apply).
        self.measurement_text: list[str] = []
        self.child_text: dict[int, str | None] = {}
        self.child_sequence = ""
        if self.postgres and commit:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [Child._meta.db_table])
                self.child_sequence = cursor.fetchone()[0]

    # Lookups built once -----------------------------------------------------------------------------

    def _load_places(self) -> None:
        scope = scope_for_user(self.user)
        prefix = scope.kabupaten_prefix
        posyandu = Posyandu.objects.filter(is_active=True)
        if prefix:
            posyandu = posyandu.filter(desa__code__startswith=f"{prefix}.")
        by_names: dict[tuple[str, str, str], list[tuple[int, int]]] = {}
        by_desa: dict[tuple[str, str], list[tuple[int, int]]] = {}
        by_code: dict[tuple[str, str], list[tuple[int, int]]] = {}
        for pk, name, desa_id, desa_name, desa_code, kec_name in posyandu.values_list(
            "id", "name", "desa_id", "desa__name", "desa__code", "desa__parent__name"
        ):
            entry = (pk, desa_id)
            name_key = _norm_place(name)
            by_names.setdefault((_norm_place(kec_name), _norm_place(desa_name), name_key), []).append(entry)
            by_desa.setdefault((_norm_place(desa_name), name_key), []).append(entry)
            by_code.setdefault((desa_code.replace(".", ""), name_key), []).append(entry)
        self.posyandu_by_names = by_names
        self.posyandu_by_desa = by_desa
        self.posyandu_by_code = by_code
        self.allowed_posyandu = set(restrict(Posyandu.objects.all(), self.user).values_list("id", flat=True))
        self.allowed_desa = set(
            restrict(Region.objects.filter(level__in=["desa", "kelurahan"]), self.user).values_list(
                "id", flat=True
            )
        )
        self.kader_posyandu = scope.posyandu_id if scope.role == "kader" else None
        self.posyandu_cache: dict[PlaceCells, PlaceFound] = {}

    def _writer_idle(self) -> None:
        """Wait for the batch in flight: an ORM write (a new posyandu) must not share the connection."""
        if self.writer is not None:
            self.writer.wait()

    def _posyandu(self, cells: PlaceCells) -> PlaceFound:
        """((posyandu id, desa id), "", "") or (None, message, column key); cached per distinct spelling
        of (kec, desa, posyandu, desa code, puskesmas, kab): a file has few."""
        found = self.posyandu_cache.get(cells)
        if found is None:
            found = self.posyandu_cache[cells] = self._posyandu_find(cells)
        return found

    def _posyandu_find(self, cells: PlaceCells) -> PlaceFound:
        kec, desa, name, desa_code = cells[:4]
        found, message, existing = self._posyandu_lookup(kec, desa, name, desa_code)
        if self.places is not None:
            if found is not None:
                self.places.existing(cells, found[1])
            elif not existing:
                return self.places.missing(cells)
        return found, message, "posyandu"

    def _posyandu_lookup(
        self, kec: str, desa: str, name: str, desa_code: str
    ) -> tuple[tuple[int, int] | None, str, bool]:
        """(posyandu id, desa id) or None with the message, and whether some posyandu of that name exists
        (ambiguous or out of scope: never created from the file then)."""
        name_key = _norm_place(name)
        if desa_code:
            found = self.posyandu_by_code.get((desa_code.replace(".", "").strip(), name_key))
        elif kec:
            found = self.posyandu_by_names.get((_norm_place(kec), _norm_place(desa), name_key))
        else:
            found = self.posyandu_by_desa.get((_norm_place(desa), name_key))
        if not found:
            message = _("Posyandu tidak ditemukan di kabupaten Anda: periksa Kec, Desa/Kel dan Posyandu")
            return None, message, False
        if len(found) > 1:
            return None, _("Nama posyandu tidak unik di desa ini: gunakan templat dengan Kode Desa"), True
        if found[0][0] not in self.allowed_posyandu:
            return None, _("Posyandu di luar wilayah Anda"), True
        return found[0], "", False

    def _child_in_scope(self, posyandu_id: int, desa_id: int) -> bool:
        if self.kader_posyandu is not None:
            return posyandu_id == self.kader_posyandu
        return desa_id in self.allowed_desa

    # Reporting ----------------------------------------------------------------------------------------

    def _issue(self, number: int, action: str, column: str, message: str, pending: list[tuple]) -> None:
        report = self.report
        report.issues_total += 1
        if action == WARNING:
            report.summary["warnings"] += 1
        pending.append((number, action, column[:60], message))

    def _keep_issues(self, pending: list[tuple]) -> None:
        """Store (job) or keep (command) a batch's issues in row order up to the cap; count the rest.

        Batches come in row order, so the issues kept are the file's first ones.
        """
        report = self.report
        pending.sort(key=lambda issue: issue[0])
        room = max(0, self.max_issues - self.issues_kept)
        kept = pending[:room]
        report.issues_not_stored += len(pending) - len(kept)
        self.issues_kept += len(kept)
        if not kept:
            return
        if self.job is None:
            report.issues.extend(kept)
            return
        self._insert(
            ImportRowIssue,
            ("job", "row_number", "action", "field", "message"),
            [[self.job.pk] * len(kept), *(list(column) for column in zip(*kept, strict=True))],
        )

    def _aligned(self, batch: list[Row], header: HeaderMatch, pending: list[tuple]) -> list[Row]:
        """Reject the rows whose cells do not line up with the header; warn about the rows read with
        their missing Total Pengukuran cell put back (readers.align_rows marked both)."""
        kinds = set(map(type, [cells for _number, cells in batch]))
        if RaggedCells not in kinds and ShiftedCells not in kinds:
            return batch
        kept: list[Row] = []
        expected = len(header.headers)
        for number, cells in batch:
            if type(cells) is RaggedCells:
                self.report.summary["rejected"] += 1
                message = _(
                    "Jumlah kolom tidak cocok: baris ini berisi %(found)s sel, baris judul %(expected)s."
                )
                self._issue(
                    number, REJECTED, "", message % {"found": cells.found, "expected": expected}, pending
                )
                continue
            if type(cells) is ShiftedCells:
                message = _(
                    "Sel %(column)s tidak ada di baris ini (%(found)s sel, baris judul %(expected)s): "
                    "sel sesudahnya dibaca bergeser satu kolom ke kanan."
                )
                column = header.header_of("total_measurements")
                values = {"column": column, "found": cells.found, "expected": expected}
                self._issue(number, WARNING, column, message % values, pending)
            kept.append((number, cells))
        return kept

    def _without_control_characters(
        self, batch: list[Row], header: HeaderMatch, pending: list[tuple]
    ) -> list[Row]:
        """Reject the rows holding a control character (NUL...): PostgreSQL would refuse them at apply."""
        try:
            text = "".join([cell for _number, cells in batch for cell in cells])
        except TypeError:  # .xlsx rows mix numbers and dates with text
            text = "".join([cell for _number, cells in batch for cell in cells if type(cell) is str])
        if CONTROL_CHARACTERS.search(text) is None:
            return batch
        kept: list[Row] = []
        for number, cells in batch:
            for index, cell in enumerate(cells):
                found = CONTROL_CHARACTERS.search(cell) if type(cell) is str else None
                if found is not None:
                    column = header.headers[index] if index < len(header.headers) else f"#{index + 1}"
                    self.report.summary["rejected"] += 1
                    message = _("Sel berisi karakter kontrol %(code)s; hapus karakter itu dari berkas.")
                    self._issue(
                        number, REJECTED, column, message % {"code": f"U+{ord(found[0]):04X}"}, pending
                    )
                    break
            else:
                kept.append((number, cells))
        return kept

    # Step 1: parse and validate -------------------------------------------------------------------------

    def _parse(self, batch: list[Row], header: HeaderMatch, pending: list[tuple]) -> list[_Row]:
        """Parse and validate the cells of a batch; rejected rows are reported, the others returned.

        Column by column first: each distinct cell text of a column is parsed once (a register repeats
        its dates, weights, places), and a row whose every cell is valid and raises no warning is built
        from those results. Any other row (an error or a warning, ~5% of a register) goes through
        `_parse_rows`, the cell-by-cell check that writes the messages, so both paths agree by design.
        """
        batch = self._without_control_characters(self._aligned(batch, header, pending), header, pending)
        if not batch:
            return []
        width = len(header.headers)
        table: list[list[Any]] = []
        for _number, raw_cells in batch:
            cells = list(raw_cells[:width])
            cells.extend([None] * (width + 1 - len(cells)))
            table.append(cells)
        columns = list(zip(*table, strict=True))
        at = {key: header.positions.get(key, width) for key in _PARSED_KEYS}
        memo = self.column_memo
        bad = _BAD

        def column(key: str, parse: Callable[[Any], Any], per_batch: bool = False) -> list[Any]:
            cache = _Memo(parse) if per_batch else memo.setdefault(key, _Memo(parse))
            if len(cache) > 100_000:  # free text never repeats: stop the cache growing
                cache.clear()
            return cache.column(columns[at[key]])

        names = column("name", _clean_name, per_batch=True)
        sexes = column("sex", self._sex_ok)
        births = column("birth_date", self._date_ok)
        days = column("measured_on", self._date_ok)
        niks = columns[at["nik"]]
        measures = [
            (key, column(key, self._measure_ok(key, low, high))) for key, low, high in _MEASURE_RANGES
        ]
        positions = column("position", self._position_ok)
        vitamins = column("vitamin_a", self._vitamin)
        place_cache = memo.setdefault("place", _Memo(self._place_ok))
        place_columns = [columns[at[key]] for key in _PLACE_KEYS]
        if all(set(map(type, cells)) <= _MEMO_TYPES for cells in place_columns):
            places = list(map(place_cache.__getitem__, zip(*place_columns, strict=True)))
        else:
            places = list(map(self._place_ok, zip(*place_columns, strict=True)))
        if self.places is not None:
            self.places.count_rows(zip(*place_columns, strict=True), _text)
        texts = [(name, column(key, _clean_text(limit))) for name, key, limit in _CHILD_TEXTS]
        child_numbers = [
            (key, column(key, self._child_number_ok(key, low, high))) for key, low, high in _CHILD_NUMBERS
        ]
        whole = [
            ("birth_order", column("birth_order", self._whole_number(1, 30))),
            ("gestational_age_weeks", column("gestational_age_weeks", self._whole_number(20, 45))),
        ]
        breastfeeding = column("early_breastfeeding", self.bool_of)
        kia = column("kia", self._kia)
        norm_cache = memo.setdefault("norm_name", _Memo(identity.normalise_name))
        if len(norm_cache) > 100_000:
            norm_cache.clear()
        stems = self.nik_stems
        provinces = identity.PROVINCE_CODES

        good: list[_Row] = []
        for k, (number, _cells) in enumerate(batch):
            cells = table[k]
            name, sex, birth_date, measured_on, place = names[k], sexes[k], births[k], days[k], places[k]
            if name is bad or sex is bad or birth_date is bad or measured_on is bad or place is bad:
                good.extend(self._parse_rows([(number, cells)], header, pending))
                continue
            age_days = (measured_on - birth_date).days
            nik = niks[k]
            if nik is None or nik == "" or parsing.is_masked_nik(nik):
                nik = ""
            elif not (
                type(nik) is str
                and len(nik) == 16
                and nik.isdecimal()
                and nik[:2] in provinces
                and nik[2:4] != "00"
                and nik[4:6] != "00"
                and nik[12:] != "0000"
                and nik[6:12] == stems[sex][birth_date]
            ):
                nik = bad  # anything but a NIK agreeing with JK and Tgl Lahir is checked row by row
            values = {key: found[k] for key, found in measures}
            weight, height = values["weight_kg"], values["height_cm"]
            position = positions[k] if height is not None else ""
            if (
                nik is bad
                or not 0 <= age_days <= MAX_AGE_DAYS
                or bad in values.values()
                or (weight is None and height is None)
                or position is bad
                or (height is not None and not position)
            ):
                good.extend(self._parse_rows([(number, cells)], header, pending))
                continue
            child = {name_: found[k] for name_, found in texts}
            for key, found in child_numbers:
                child[key] = found[k]
            if bad in child.values():
                good.extend(self._parse_rows([(number, cells)], header, pending))
                continue
            for key, found in whole:
                child[key] = found[k]
            child["early_breastfeeding"] = breastfeeding[k]
            child["has_kia_book"] = kia[k]
            values["position"] = position
            values["vitamin_a"] = vitamins[k]
            values["posyandu_id"] = place[0]
            row = _Row(number, cells)
            row.name, row.sex, row.birth_date, row.measured_on, row.age_days = (
                name,
                sex,
                birth_date,
                measured_on,
                age_days,
            )
            row.nik = nik
            row.posyandu_id, row.desa_id = place
            row.values = values
            row.child_values = child
            row.norm_name = norm_cache[name]
            good.append(row)
        return good

    # Cell checks of the column-wise path: the value when the cell is valid and raises no warning,
    # _BAD otherwise (the row then goes through _parse_rows, which says why).

    def _sex_ok(self, value: Any) -> Any:
        sex, error = parsing.parse_sex(value)
        return _BAD if error else sex

    def _date_ok(self, value: Any) -> Any:
        day, error = self.parse_date(value)
        return _BAD if error or day is None or day > self.today else day

    def _measure_ok(self, key: str, low: float, high: float) -> Callable[[Any], Any]:
        places = _DECIMALS[key]

        def check(value: Any) -> Any:
            number, error = parsing.parse_decimal(value)
            if error or (number is not None and not low <= number <= high):
                return _BAD
            return None if number is None else round(number, places)

        return check

    def _child_number_ok(self, key: str, low: float, high: float) -> Callable[[Any], Any]:
        places = _DECIMALS_CHILD[key]

        def check(value: Any) -> Any:
            number, error = parsing.parse_decimal(value)
            if error or (number is not None and not low <= number <= high):
                return _BAD
            return None if number is None else round(number, places)

        return check

    @staticmethod
    def _whole_number(low: int, high: int) -> Callable[[Any], int | None]:
        def check(value: Any) -> int | None:
            number, error = parsing.parse_decimal(value)
            ok = not error and number is not None and low <= number <= high
            return int(number) if ok else None  # type: ignore[arg-type]

        return check

    def _position_ok(self, value: Any) -> Any:
        position, error = parsing.parse_position(value)
        return _BAD if error else position

    def _vitamin(self, value: Any) -> bool:
        count, error = parsing.parse_decimal(value)
        return bool(count) if not error else bool(parsing.parse_bool(value))

    def _kia(self, value: Any) -> bool:
        kia = parsing.parse_bool(value)
        return True if kia is None else kia

    def _place_ok(self, cells: tuple[Any, ...]) -> Any:
        texts: PlaceCells = tuple(map(_text, cells))  # type: ignore[assignment]
        if not texts[2]:
            return _BAD
        found, _error, _column = self._posyandu(texts)
        return _BAD if found is None else found

    def _parse_rows(self, batch: list[Row], header: HeaderMatch, pending: list[tuple]) -> list[_Row]:
        """Parse and validate rows cell by cell; rejected rows are reported, the others returned."""
        width = len(header.headers)
        # Missing columns point at one extra None cell appended to every row.
        at = {key: header.positions.get(key, width) for key in _PARSED_KEYS}
        label = header.header_of
        today = self.today
        parse_date, decimal, sex_of, position_of, bool_of = (
            self.parse_date,
            self.decimal,
            self.sex_of,
            self.position_of,
            self.bool_of,
        )
        i_nik, i_name, i_sex, i_birth, i_day = (
            at["nik"],
            at["name"],
            at["sex"],
            at["birth_date"],
            at["measured_on"],
        )
        i_position, i_vitamin, i_posyandu = at["position"], at["vitamin_a"], at["posyandu"]
        i_places = [at[key] for key in _PLACE_KEYS]
        measures = [(key, at[key], low, high) for key, low, high in _MEASURE_RANGES]
        child_numbers = [(key, at[key], low, high) for key, low, high in _CHILD_NUMBERS]
        child_texts = [(name, at[key], limit) for name, key, limit in _CHILD_TEXTS]
        i_order, i_gestation, i_imd, i_kia = (
            at["birth_order"],
            at["gestational_age_weeks"],
            at["early_breastfeeding"],
            at["kia"],
        )
        good: list[_Row] = []
        for number, raw_cells in batch:
            cells = list(raw_cells[:width])
            cells.extend([None] * (width + 1 - len(cells)))
            row = _Row(number, cells)
            errors: list[tuple[str, str]] = []
            name = cells[i_name]
            row.name = name.strip()[:120] if isinstance(name, str) else parsing.cell_text(name)[:120]
            if not row.name:
                errors.append(("name", _("Nama wajib diisi")))
            elif row.name.startswith(FORMULA_START):
                row.warnings.append(
                    ("name", _("Nama diawali tanda rumus (=, +, -, @): disimpan sebagai teks biasa"))
                )
            row.sex, error = sex_of(cells[i_sex])
            if error:
                errors.append(("sex", _(error)))
            birth_date, error = parse_date(cells[i_birth])
            if error:
                errors.append(("birth_date", _(error)))
            elif birth_date is None:
                errors.append(("birth_date", _("Tanggal lahir wajib diisi")))
            elif birth_date > today:
                errors.append(("birth_date", _("Tanggal lahir tidak boleh di masa depan")))
            row.birth_date = birth_date
            measured_on, error = parse_date(cells[i_day])
            row.measured_on = measured_on
            row.age_days = age_days = 0
            row.blank = False
            day_missing = -1  # where the "required" error goes, unless the row carries no measurement
            if error:
                errors.append(("measured_on", _(error)))
            elif measured_on is None:
                day_missing = len(errors)
            elif measured_on > today:
                errors.append(("measured_on", _("Tanggal pengukuran tidak boleh di masa depan")))
            elif birth_date is not None and birth_date <= today:
                row.age_days = age_days = (measured_on - birth_date).days
                if age_days < 0:
                    errors.append(("measured_on", _("Tanggal pengukuran sebelum tanggal lahir anak")))
                elif age_days > MAX_AGE_DAYS:
                    errors.append(("measured_on", _("Anak berumur lebih dari 60 bulan saat diukur")))

            nik_cell = cells[i_nik]
            if nik_cell is None or nik_cell == "":
                row.nik = ""
            else:
                check = parsing.parse_nik(nik_cell, today=today, birth_date_hint=birth_date)
                row.nik = check.nik
                if check.error:
                    errors.append(("nik", _(check.error)))
                elif check.ok:
                    for warning in identity.nik_warnings(check, sex=row.sex, birth_date=birth_date):
                        row.warnings.append(("nik", _(warning)))

            values: dict[str, Any] = {}
            for key, index, low, high in measures:
                number_value, error = decimal(cells[index])
                if error:
                    errors.append((key, _(error)))
                elif number_value is not None and not low <= number_value <= high:
                    errors.append(
                        (
                            key,
                            _("Nilai %(value)s di luar rentang yang mungkin (%(low)s-%(high)s)")
                            % {"value": f"{number_value:g}", "low": f"{low:g}", "high": f"{high:g}"},
                        )
                    )
                    number_value = None
                values[key] = None if number_value is None else round(number_value, _DECIMALS[key])
            if day_missing >= 0:
                # A register template row as downloaded (no day, no measure): nothing to record. It is
                # matched to its child in _resolve, and rejected only when no such child is registered.
                row.blank = (
                    not any(k in values for k, _m in errors[day_missing:])
                    and all(value is None for value in values.values())
                    and _text(cells[i_position]) == ""
                    and _text(cells[i_vitamin]) == ""
                )
                if not row.blank:
                    errors.insert(day_missing, ("measured_on", _("Tanggal pengukuran wajib diisi")))
            if (
                not row.blank
                and values["weight_kg"] is None
                and values["height_cm"] is None
                and not any(k in ("weight_kg", "height_cm") for k, _m in errors)
            ):
                errors.append(
                    (
                        "weight_kg",
                        _("Isi %(weight)s atau %(height)s")
                        % {"weight": label("weight_kg"), "height": label("height_cm")},
                    )
                )
            position, error = position_of(cells[i_position])
            if error:
                errors.append(("position", _(error)))
            if values["height_cm"] is None:
                position = ""
            elif not position and not error:
                position = "L" if age_days < LYING_UNDER_DAYS else "H"
                row.warnings.append(
                    (
                        "position",
                        _("Cara ukur kosong: dianggap %(position)s menurut umur")
                        % {"position": _("telentang") if position == "L" else _("berdiri")},
                    )
                )
            values["position"] = position
            vitamin = cells[i_vitamin]
            vitamin_count, error = decimal(vitamin)
            values["vitamin_a"] = bool(vitamin_count) if not error else bool(bool_of(vitamin))

            posyandu_name = _text(cells[i_posyandu])
            values["posyandu_id"] = None
            if not posyandu_name:
                errors.append(("posyandu", _("Posyandu wajib diisi")))
            else:
                place_cells: PlaceCells = tuple(_text(cells[i]) for i in i_places)  # type: ignore[assignment]
                found, error, column = self._posyandu(place_cells)
                if found is None:
                    errors.append((column, error))
                else:
                    row.posyandu_id, row.desa_id = found
                    values["posyandu_id"] = row.posyandu_id

            if errors:
                self.report.summary["rejected"] += 1
                for key, message in errors:
                    self._issue(number, REJECTED, label(key), message, pending)
                continue

            child: dict[str, Any] = {name: _text(cells[index])[:limit] for name, index, limit in child_texts}
            for key, index, low, high in child_numbers:
                number_value, error = decimal(cells[index])
                if error or (number_value is not None and not low <= number_value <= high):
                    row.warnings.append((key, _("Nilai diabaikan: di luar rentang yang mungkin")))
                    number_value = None
                child[key] = None if number_value is None else round(number_value, _DECIMALS_CHILD[key])
            for key, index, low, high in (
                ("birth_order", i_order, 1, 30),
                ("gestational_age_weeks", i_gestation, 20, 45),
            ):
                number_value, error = decimal(cells[index])
                ok = not error and number_value is not None and low <= number_value <= high
                child[key] = int(number_value) if ok else None  # type: ignore[arg-type]
            child["early_breastfeeding"] = bool_of(cells[i_imd])
            kia = bool_of(cells[i_kia])
            child["has_kia_book"] = True if kia is None else kia
            row.child_values = child
            row.values = values
            row.norm_name = identity.normalise_name(row.name)
            (self.blank_rows if row.blank else good).append(row)
        return good

    # Step 2: identities ---------------------------------------------------------------------------------

    def _identity_key(self, desa_id: int, norm_name: str, birth_date: datetime.date, sex: str) -> int:
        return hash((desa_id, norm_name, birth_date.toordinal(), sex))

    def _hash(self, rows: list[_Row]) -> None:
        """The NIK hash of each row (no query: runs while the writer sends the previous batch)."""
        niks = [row.nik for row in rows if row.nik]
        hashes = iter(pii.nik_hash_many(niks))
        for row in rows:
            row.nik_hash = next(hashes) if row.nik else ""

    def _best_candidate(self, found: list[dict[str, Any]], row: _Row) -> dict[str, Any]:
        """Of the children sharing a row's desa, name, birth date and sex: the one at the row's posyandu,
        else one the importer may see, else the first (which is then refused as outside the scope)."""
        return min(
            found,
            key=lambda child: (
                child["posyandu_id"] != row.posyandu_id,
                not self._child_in_scope(child["posyandu_id"], child["desa_id"]),
                child["id"],
            ),
        )

    def _posyandu_seen(
        self, rows: list[_Row], candidates: dict[int, list[dict[str, Any]]]
    ) -> set[tuple[int, int]]:
        """(child, posyandu) of the stored measurements of identity candidates registered elsewhere
        than the row's posyandu: a child weighed at a posyandu before (then moved) is still known there.
        One query, only when a batch has such rows."""
        wanted: dict[int, set[int]] = {}
        for row in rows:
            for child in candidates.get(
                self._identity_key(row.desa_id, row.norm_name, row.birth_date, row.sex), ()
            ):
                if child["posyandu_id"] != row.posyandu_id:
                    wanted.setdefault(child["id"], set()).add(row.posyandu_id)
        if not wanted:
            return set()
        posyandu_ids = set().union(*wanted.values())
        return set(
            Measurement.objects.filter(child_id__in=list(wanted), posyandu_id__in=posyandu_ids)
            .order_by()
            .values_list("child_id", "posyandu_id")
            .distinct()
        )

    @staticmethod
    def _visit_key(row: _Row) -> int:
        return hash((row.posyandu_id, row.measured_on, row.norm_name, row.birth_date, row.sex))

    def _visits_matching(self, rows: list[_Row]) -> dict[int, dict[str, Any]]:
        """Children with a stored measurement at a row's (posyandu, day) under the row's identity (name,
        birth date, sex), by _visit_key: a child weighed at a posyandu of another desa than her own is
        found where she was weighed. One query, only when a batch has rows without a full NIK."""
        wanted = [row for row in rows if row.measured_on is not None]
        if not wanted:
            return {}
        fields = [f"child__{name}" for name in _CHILD_LOAD]
        found = (
            Measurement.objects.filter(
                posyandu_id__in={row.posyandu_id for row in wanted},
                measured_on__in={row.measured_on for row in wanted},
                child__birth_date__in={row.birth_date for row in wanted},
            )
            .order_by()
            .values_list("posyandu_id", "measured_on", *fields)
        )
        visits: dict[int, dict[str, Any]] = {}
        ambiguous: set[int] = set()
        for posyandu_id, measured_on, *values in found:
            child = dict(zip(_CHILD_LOAD, values, strict=True))
            key = hash(
                (
                    posyandu_id,
                    measured_on,
                    identity.normalise_name(child["name"]),
                    child["birth_date"],
                    child["sex"],
                )
            )
            if visits.setdefault(key, child)["id"] != child["id"]:
                ambiguous.add(key)
        # Two namesakes weighed at one posyandu on one day: left to the identity rules.
        for key in ambiguous:
            del visits[key]
        return visits

    def _resolve(self, rows: list[_Row], pending: list[tuple]) -> tuple[list[_Row], list[_Row]]:
        """Child of each row; returns (accepted rows, new children's first rows).

        The NIK decides when the file carries it in full; else the identity rules (desa, normalised
        name, birth date, sex), preferring the child at the row's posyandu. A row whose only identity
        match is a child of another posyandu (never weighed at the row's) is not attached to it: that
        would move a measurement between two children who may be namesakes. It is reported as a
        duplicate candidate and the child queued for review on apply."""
        # Only NIKs the registry may hold are looked up (most NIKs of a register are new ones).
        hashes = [row.nik_hash for row in rows if row.nik_hash]
        keys = np.fromiter(map(_key64, hashes), dtype=np.uint64, count=len(hashes))
        # A child's visits follow one another in a register: each NIK is looked up once.
        wanted_children = list(dict.fromkeys(compress(hashes, _contains(self.child_niks, keys))))
        wanted_persons = list(dict.fromkeys(compress(hashes, _contains(self.person_niks, keys))))
        by_hash: dict[str, dict[str, Any]] = {}
        persons: dict[str, tuple[int, str, str]] = {}
        if wanted_children:
            by_hash = {
                c["nik_hash"]: c
                for c in Child.objects.filter(nik_hash__in=wanted_children).values(*_CHILD_LOAD)
            }
        if wanted_persons:
            holders = Person.objects.filter(nik_hash__in=wanted_persons)
            # Named in the row's issue only when the importer may open the person (UU 27/2022).
            visible = set(restrict(holders, self.user).values_list("id", flat=True))
            persons = {
                h: (pk, name, desa) if pk in visible else (pk, "", "")
                for pk, name, desa, h in holders.values_list("id", "name", "desa__name", "nik_hash")
            }
        candidates: dict[int, list[dict[str, Any]]] = {}
        look = [row for row in rows if row.nik_hash not in by_hash]
        if look:
            if self.postgres:
                places = np.fromiter(
                    (_place_key(row.desa_id, row.birth_date) for row in look), dtype=np.int64, count=len(look)
                )
                # The query runs even when no pair is left: a constant number of queries per batch.
                pairs = {
                    (row.desa_id, row.birth_date)
                    for row in compress(look, _contains(self.child_places, places))
                }
                found = self._rows_matching(Child, _CHILD_LOAD, ("desa_id", "birth_date"), pairs)
            else:
                pairs = {(row.desa_id, row.birth_date) for row in look}
                found = Child.objects.filter(
                    desa_id__in={p[0] for p in pairs}, birth_date__in={p[1] for p in pairs}
                ).values(*_CHILD_LOAD)
            for child in found:
                key = self._identity_key(
                    child["desa_id"],
                    identity.normalise_name(child["name"]),
                    child["birth_date"],
                    child["sex"],
                )
                candidates.setdefault(key, []).append(child)
        seen_at = self._posyandu_seen(look, candidates) if candidates else set()
        visits = self._visits_matching([row for row in look if not row.nik_hash])

        accepted: list[_Row] = []
        new_rows: list[_Row] = []
        summary = self.report.summary
        for row in rows:
            nik_key = _key64(row.nik_hash) if row.nik_hash else 0
            identity_key = self._identity_key(row.desa_id, row.norm_name, row.birth_date, row.sex)
            child: dict[str, Any] | None = None
            child_id = 0
            action = ""
            problem: tuple[str, str, str] | None = None
            if nik_key and nik_key in self.new_by_nik:
                child_id = self.new_by_nik[nik_key]
            elif row.nik_hash in by_hash:
                child = by_hash[row.nik_hash]
            elif row.nik_hash in persons:
                pk, name, desa = persons[row.nik_hash]
                problem = (
                    REJECTED,
                    "nik",
                    _("NIK milik penduduk lain: %(name)s di %(desa)s (nomor data %(pk)s)")
                    % {"name": name, "desa": desa, "pk": pk}
                    if name
                    else _("NIK milik penduduk lain di luar wilayah Anda"),
                )
            elif identity_key in self.new_by_identity:
                child_id = self.new_by_identity[identity_key]
            elif visits and self._visit_key(row) in visits:
                child = visits[self._visit_key(row)]
            elif identity_key in candidates:
                child = self._best_candidate(candidates[identity_key], row)
                if (
                    child["posyandu_id"] != row.posyandu_id
                    and (child["id"], row.posyandu_id) not in seen_at
                    and not self._is_created(child["id"])
                ):
                    problem = self._elsewhere(child, row)
                elif row.nik_hash and child["nik_hash"] and child["nik_hash"] != row.nik_hash:
                    problem = (
                        DUPLICATE,
                        "nik",
                        _(
                            "Anak dengan nama, tanggal lahir dan jenis kelamin sama sudah terdaftar "
                            "dengan NIK lain (nomor data %(pk)s): periksa di antrean duplikat"
                        )
                        % {"pk": child["id"]},
                    )
                elif row.nik_hash and not child["nik_hash"]:
                    action = "merge"
            if row.blank:
                self._settle_blank(row, child, child_id, problem, pending)
                continue
            if problem is None and child is not None:
                child_id = child["id"]
                if self._is_created(child_id):
                    child = None
                elif not self._child_in_scope(child["posyandu_id"], child["desa_id"]):
                    problem = self._elsewhere(child, row)
            if problem is not None:
                summary["rejected"] += 1
                action_code, key, message = problem
                self._issue(row.number, action_code, self._label(key), message, pending)
                continue
            if not child_id:
                child_id = self.next_temp_id
                self.next_temp_id -= 1
                action = "create_child"
                row.keys = (nik_key, identity_key)
                new_rows.append(row)
                if nik_key:
                    self.new_by_nik[nik_key] = child_id
                self.new_by_identity[identity_key] = child_id
            seen_key = child_id * 1_000_000 + row.measured_on.toordinal()
            first = self.seen.get(seen_key)
            if first is not None:
                summary["rejected"] += 1
                self._issue(
                    row.number,
                    REJECTED,
                    self._label("measured_on"),
                    _("Baris ganda untuk anak dan tanggal yang sama (baris %(row)s)") % {"row": first},
                    pending,
                )
                continue
            self.seen[seen_key] = row.number
            row.child_id = child_id
            if child is not None:
                changes = self._child_changes(child, row)
                if action == "merge":
                    changes["nik"] = row.nik
                    # Later rows bringing this NIK (under another spelling of the name) find the child.
                    self.new_by_nik[nik_key] = child_id
                elif changes:
                    action = "update_child"
                row.existing = {"child": child, "changes": changes} if changes else None
                if changes:
                    if child_id in self.changed_children:
                        action = ""  # counted once per child (a later row of the same child)
                    self.changed_children.add(child_id)
            row.child_action = action
            accepted.append(row)
        return accepted, new_rows

    def _elsewhere(self, child: dict[str, Any], row: _Row) -> tuple[str, str, str]:
        """The duplicate issue of a row whose child is registered at another posyandu or outside the
        importer's scope: the row is not imported and, on apply, the child is queued for review.

        Attaching the row could move a measurement between namesakes, and a child outside the scope is
        never changed; the message names the child only to a role that may open it (UU 27/2022)."""
        if not row.blank:  # a row without a measurement moves nothing: no review
            self.report.review_child_ids.add(child["id"])
        if self._child_in_scope(child["posyandu_id"], child["desa_id"]):
            message = _(
                "Anak dengan nama, tanggal lahir dan jenis kelamin sama terdaftar di posyandu "
                "lain (nomor data %(pk)s): baris tidak disimpan, periksa di antrean duplikat"
            ) % {"pk": child["id"]}
            return DUPLICATE, "posyandu", message
        message = _(
            "Data anak dengan identitas yang sama sudah ada di luar wilayah Anda: baris tidak disimpan "
            "dan kasusnya dikirim ke antrean duplikat untuk diperiksa"
        )
        return DUPLICATE, "nik" if row.nik_hash else "posyandu", message

    def _settle_blank(
        self,
        row: _Row,
        child: dict[str, Any] | None,
        child_id: int,
        problem: tuple[str, str, str] | None,
        pending: list[tuple],
    ) -> None:
        """A row without a measurement (the register template as downloaded): unchanged when it names
        a child registered in the importer's scope (or created earlier in the file), else rejected."""
        summary = self.report.summary
        if problem is None or problem[0] != REJECTED:
            problem = None
            if child is None and not child_id:
                problem = (
                    REJECTED,
                    "measured_on",
                    _(
                        "Anak belum terdaftar dan baris tidak berisi pengukuran: isi %(day)s dan "
                        "%(weight)s atau %(height)s"
                    )
                    % {
                        "day": self._label("measured_on"),
                        "weight": self._label("weight_kg"),
                        "height": self._label("height_cm"),
                    },
                )
            elif (
                child is not None
                and not self._is_created(child["id"])
                and not self._child_in_scope(child["posyandu_id"], child["desa_id"])
            ):
                problem = (
                    REJECTED,
                    "nik" if row.nik_hash else "name",
                    _("Anak terdaftar di luar wilayah Anda"),
                )
        if problem is None:
            summary["unchanged"] += 1
            # Its own warnings still stand (a NIK disagreeing with JK or Tgl Lahir): the template is how
            # a posyandu checks its register.
            for key, message in row.warnings:
                self._issue(row.number, WARNING, self._label(key), message, pending)
            return
        summary["rejected"] += 1
        self._issue(row.number, problem[0], self._label(problem[1]), problem[2], pending)

    def _label(self, key: str) -> str:
        return self.header.header_of(key)

    @staticmethod
    def _child_changes(child: dict[str, Any], row: _Row) -> dict[str, Any]:
        """Fields the file fills or corrects; a blank cell never blanks a field of the registry."""
        changes = {}
        for name in CHILD_UPDATE_FIELDS:
            new = row.child_values.get(name)
            if new is None or new == "":
                continue
            old = child[name]
            if name in _DECIMALS_CHILD:
                old = _round(old, _DECIMALS_CHILD[name])
            if old != new:
                changes[name] = new
        return changes

    # Step 3: measurements already stored, previous weighing --------------------------------------------

    def _plan_measurements(self, rows: list[_Row]) -> list[_Row]:
        """Sets measurement_id/merged values; returns the rows whose measurement is written."""
        existing_ids = {
            row.child_id for row in rows if row.child_id > 0 and not self._is_created(row.child_id)
        }
        stored: dict[tuple[int, datetime.date], dict[str, Any]] = {}
        if existing_ids:
            load = ("id", "child_id", "measured_on", *_MEASUREMENT_INPUTS)
            if self.postgres:
                pairs = {(row.child_id, row.measured_on) for row in rows if row.child_id in existing_ids}
                found = self._rows_matching(Measurement, load, ("child_id", "measured_on"), pairs)
            else:
                found = Measurement.objects.filter(
                    child_id__in=existing_ids, measured_on__in={row.measured_on for row in rows}
                ).values(*load)
            for m in found:
                stored[(m["child_id"], m["measured_on"])] = m
        summary = self.report.summary
        write: list[_Row] = []
        for row in rows:
            old = stored.get((row.child_id, row.measured_on))
            child_changes = row.existing["changes"] if row.existing else {}
            if old is None:
                summary["create_measurement"] += 1
                write.append(row)
            else:
                merged = dict(row.values)
                changed = False
                for name in _MEASUREMENT_INPUTS:
                    before = old[name]
                    if name in _DECIMALS:
                        before = _round(before, _DECIMALS[name])
                    new = merged[name]
                    if new is None or new == "" or (name == "vitamin_a" and not new):
                        merged[name] = before
                    elif new != before:
                        changed = True
                if changed:
                    row.values = merged
                    row.measurement_id = old["id"]
                    summary["update_measurement"] += 1
                    write.append(row)
                elif not child_changes and not row.child_action:
                    summary["unchanged"] += 1
            if row.child_action:
                summary[row.child_action] += 1
        changed = self.report.changed
        for row in write:
            changed.add((row.desa_id, row.posyandu_id, row.measured_on.replace(day=1)))
        for row in rows:
            if row.child_action:
                changed.add((row.desa_id, row.posyandu_id, row.measured_on.replace(day=1)))
        return write

    def _previous(
        self, rows: list[_Row]
    ) -> dict[int, tuple[float, int, int, float | None, datetime.date | None]]:
        """Per child: (last weight, its month index, its N/T status, last adjusted height, its day).

        The last weighing before the child's earliest day in the batch, in one query for the batch.
        """
        cutoff: dict[int, datetime.date] = {}
        for row in rows:
            if row.child_id > 0:
                day = cutoff.get(row.child_id)
                if day is None or row.measured_on < day:
                    cutoff[row.child_id] = row.measured_on
        result: dict[int, tuple[float, int, int, float | None, datetime.date | None]] = {}
        if not cutoff:
            return result
        ids, days = list(cutoff), [cutoff[i] for i in cutoff]
        if self.postgres:
            with connection.cursor() as cursor:
                cursor.execute(
                    """
                    SELECT k.child_id, w.measured_on, w.weight_kg, w.weight_gain, h.measured_on,
                           h.adjusted_height_cm
                    FROM unnest(%s::text::bigint[], %s::text::date[]) AS k(child_id, cutoff)
                    LEFT JOIN LATERAL (
                        SELECT m.measured_on, m.weight_kg, m.weight_gain FROM children_measurement m
                        WHERE m.child_id = k.child_id AND m.measured_on < k.cutoff
                          AND m.weight_kg IS NOT NULL
                        ORDER BY m.measured_on DESC LIMIT 1) w ON true
                    LEFT JOIN LATERAL (
                        SELECT m.measured_on, m.adjusted_height_cm FROM children_measurement m
                        WHERE m.child_id = k.child_id AND m.measured_on < k.cutoff
                          AND m.adjusted_height_cm IS NOT NULL
                        ORDER BY m.measured_on DESC LIMIT 1) h ON true
                    WHERE w.measured_on IS NOT NULL OR h.measured_on IS NOT NULL
                    """,
                    [_array_text(ids), _array_text(days)],
                )
                fetched = cursor.fetchall()
        else:
            # SQLite (development, tests): the earlier rows of the batch's children, picked in Python.
            latest = max(days)
            weighed: dict[int, tuple] = {}
            measured: dict[int, tuple] = {}
            for child_id, day, weight, gain, height in (
                Measurement.objects.filter(child_id__in=ids, measured_on__lt=latest)
                .order_by("child_id", "measured_on")
                .values_list("child_id", "measured_on", "weight_kg", "weight_gain", "adjusted_height_cm")
            ):
                if day >= cutoff[child_id]:
                    continue
                if weight is not None:
                    weighed[child_id] = (day, weight, gain)
                if height is not None:
                    measured[child_id] = (day, height)
            fetched = [
                (i, *weighed.get(i, (None, None, None)), *measured.get(i, (None, None)))
                for i in set(weighed) | set(measured)
            ]
        for child_id, w_day, weight, gain, h_day, height in fetched:
            month = (w_day.year - 1970) * 12 + w_day.month - 1 if w_day is not None else -1
            result[child_id] = (
                float("nan") if weight is None else float(weight),
                month,
                NOT_ASSESSED if gain is None else int(gain),
                None if height is None else float(height),
                h_day,
            )
        return result

    # Step 4: compute ------------------------------------------------------------------------------------

    def _growth(self, rows: list[_Row]) -> dict[str, np.ndarray]:
        """Adjusted height, z-scores, categories, error bits and WHO flags of the rows' values, shape (n,)
        each. Needs no query: for a batch it runs while the writer thread sends the previous one."""
        n = len(rows)
        values = [row.values for row in rows]

        def column(name: str) -> np.ndarray:
            return np.array([np.nan if v[name] is None else v[name] for v in values], dtype=np.float64)

        return compute.measurement_growth_columns(
            sex=np.array([row.sex for row in rows]),
            age_days=np.fromiter((row.age_days for row in rows), dtype=np.int64, count=n),
            weight_kg=column("weight_kg"),
            height_cm=column("height_cm"),
            position=np.array([v["position"] for v in values]),
            oedema=np.zeros(n, dtype=bool),
            head_circumference_cm=column("head_circumference_cm"),
            lila_cm=column("lila_cm"),
        )

    def _compute(
        self, rows: list[_Row], growth: dict[str, np.ndarray], previous: dict
    ) -> dict[str, np.ndarray]:
        """The growth columns of the rows written (taken from the batch's `growth`, recomputed for the
        updates, whose values were merged with the stored ones), N/T chained from each child's previous
        weighing, and the warnings of WHO flags and shrinking lengths."""
        n = len(rows)
        take = np.fromiter((row.index for row in rows), dtype=np.intp, count=n)
        columns = {name: array[take] for name, array in growth.items()}
        merged = [i for i, row in enumerate(rows) if row.measurement_id is not None]
        if merged:
            again = self._growth([rows[i] for i in merged])
            for name, array in again.items():
                columns[name][merged] = array
        weight = np.array(
            [np.nan if row.values["weight_kg"] is None else row.values["weight_kg"] for row in rows],
            dtype=np.float64,
        )
        # N/T/2T/O/B over the weighed rows, chained per child from its last weighing before the batch.
        weighed = np.flatnonzero(~np.isnan(weight))
        gain = np.full(n, NOT_ASSESSED, dtype=np.int8)
        if weighed.size:
            missing = (float("nan"), -1, NOT_ASSESSED, None, None)
            before = [previous.get(rows[i].child_id, missing) for i in weighed]
            gain[weighed] = compute.weight_gain_run(
                child_key=np.fromiter(
                    (rows[i].child_id for i in weighed), dtype=np.int64, count=weighed.size
                ),
                birth_date=np.array([rows[i].birth_date for i in weighed], dtype="datetime64[D]"),
                measured_on=np.array([rows[i].measured_on for i in weighed], dtype="datetime64[D]"),
                weight_kg=weight[weighed],
                previous=compute.PreviousWeighing(
                    weight_kg=np.array([b[0] for b in before], dtype=np.float64),
                    month_index=np.array([b[1] for b in before], dtype=np.int64),
                    status=np.array([b[2] for b in before], dtype=np.int8),
                ),
                kbm=self.kbm,
            )
        columns["weight_gain"] = gain
        flagged = np.flatnonzero(columns["flagged"])
        labels = ((_("BB/U"), "waz_category"), (_("TB/U"), "haz_category"), (_("BB/TB"), "whz_category"),
                  (_("IMT/U"), "baz_category"))  # fmt: skip
        for i in flagged:
            indices = [label for label, name in labels if int(columns[name][i]) == classify.FLAGGED]
            rows[i].warnings.append(
                (
                    "weight_kg",
                    _("Nilai di luar batas wajar WHO (%(indices)s): periksa alat dan ukur ulang.")
                    % {"indices": ", ".join(indices) or _("lingkar kepala/LiLA")},
                )
            )
        adjusted = columns["adjusted_height_cm"]
        for i, row in enumerate(rows):
            before = previous.get(row.child_id)
            if before is None or before[3] is None or np.isnan(adjusted[i]):
                continue
            drop = before[3] - float(adjusted[i])
            if drop > MAX_HEIGHT_SHRINK_CM:
                row.warnings.append(
                    (
                        "height_cm",
                        _(
                            "Panjang/tinggi turun %(drop).1f cm sejak %(day)s (batas %(limit).1f cm): ukur ulang."
                        )
                        % {
                            "drop": drop,
                            "day": before[4].strftime("%d-%m-%Y"),
                            "limit": MAX_HEIGHT_SHRINK_CM,
                        },
                    )
                )
        return columns

    # Step 5: write --------------------------------------------------------------------------------------

    def _insert(
        self, model: type, columns: Sequence[str], values: Sequence[Sequence[Any] | np.ndarray]
    ) -> None:
        """INSERT rows given column by column: one COPY on PostgreSQL (queued for the writer thread),
        one executemany elsewhere. Float arrays may hold NaN for NULL."""
        if not len(values[0]):
            return
        table = model._meta.db_table
        names = ", ".join(model._meta.get_field(c).column for c in columns)
        if self.postgres:
            self.ops.append((f"COPY {table} ({names}) FROM STDIN", pgcopy.copy_data(values)))
            return
        marks = ", ".join(["%s"] * len(columns))
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({marks})",
                list(zip(*map(_python, values), strict=True)),
            )

    def _update(
        self,
        model: type,
        columns: Sequence[str],
        values: Sequence[Sequence[Any] | np.ndarray],
        keep_when_null: Sequence[str] = (),
    ) -> None:
        """UPDATE rows by id (the last column): COPY into a temporary table and one UPDATE ... FROM on
        PostgreSQL (queued for the writer thread), one executemany elsewhere. `keep_when_null` columns
        keep their value where given None."""
        if not len(values[0]):
            return
        table = model._meta.db_table
        names = [model._meta.get_field(c).column for c in columns]

        def target(name: str, value: str) -> str:
            return (
                f"{name} = COALESCE({value}, {table}.{name})"
                if name in keep_when_null
                else f"{name} = {value}"
            )

        if self.postgres:
            temp = f"import_update_{table}"
            sets = ", ".join(target(n, f"v.{n}") for n in names)
            self.ops += [
                (
                    f"CREATE TEMPORARY TABLE {temp} ON COMMIT DROP AS "
                    f"SELECT {', '.join(names)}, id FROM {table} WITH NO DATA",
                    None,
                ),
                (f"COPY {temp} ({', '.join(names)}, id) FROM STDIN", pgcopy.copy_data(values)),
                (f"UPDATE {table} SET {sets} FROM {temp} AS v WHERE {table}.id = v.id", None),
                (f"DROP TABLE {temp}", None),
            ]
            return
        sets = ", ".join(target(n, "%s") for n in names)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET {sets} WHERE id = %s", list(zip(*map(_python, values), strict=True))
            )

    def _rows_matching(
        self, model: type, load: Sequence[str], keys: tuple[str, str], pairs: set[tuple[Any, Any]]
    ) -> list[dict[str, Any]]:
        """PostgreSQL: rows whose (keys) equal one of `pairs`, by index look-ups (a join to unnest())."""
        table = model._meta.db_table
        fields = [model._meta.get_field(k) for k in keys]
        first, second = zip(*pairs, strict=True) if pairs else ((), ())
        columns = ", ".join(f"t.{model._meta.get_field(name).column}" for name in load)
        types = [f.db_type(connection) if not f.is_relation else "bigint" for f in fields]
        with connection.cursor() as cursor:
            # Arrays sent as their text form ("{1,2,3}"): one string per array instead of psycopg
            # adapting thousands of elements one by one.
            cursor.execute(
                f"SELECT {columns} FROM {table} t "
                f"JOIN unnest(%s::text::{types[0]}[], %s::text::{types[1]}[]) AS k(a, b) "
                f"ON t.{fields[0].column} = k.a AND t.{fields[1].column} = k.b",
                [_array_text(first), _array_text(second)],
            )
            return [dict(zip(load, values, strict=True)) for values in cursor.fetchall()]

    def _reserve_ids(self, count: int) -> list[int]:
        with connection.cursor() as cursor:
            if self.postgres:
                # The sequence as a constant (pg_get_serial_sequence() in the query ran once per id).
                cursor.execute(
                    "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [self.child_sequence, count]
                )
                return [r[0] for r in cursor.fetchall()]
            # SQLite writes hold the database lock for the transaction: max(id) + n cannot be taken twice.
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {Child._meta.db_table}")
            start = cursor.fetchone()[0] + 1
            return list(range(start, start + count))

    def _date(self, day: datetime.date) -> Any:
        return day if self.postgres else day.isoformat()

    def _stamp(self) -> Any:
        return self.now if self.postgres else connection.ops.adapt_datetimefield_value(self.now)

    def _is_created(self, child_id: int) -> bool:
        return child_id < 0 or (self.first_new_id is not None and child_id >= self.first_new_id)

    def _assign_ids(self, new_rows: list[_Row], rows: list[_Row]) -> None:
        """Replace the temporary (negative) ids of this batch's new children by reserved database ids."""
        real = self._reserve_ids(len(new_rows))
        if self.first_new_id is None:
            self.first_new_id = min(real)
        mapping = dict(zip((row.child_id for row in new_rows), real, strict=True))
        for row in new_rows:
            nik_key, identity_key = row.keys
            if nik_key:
                self.new_by_nik[nik_key] = mapping[row.child_id]
            self.new_by_identity[identity_key] = mapping[row.child_id]
        for row in rows:
            if row.child_id < 0:
                day = row.measured_on.toordinal()
                first = self.seen.pop(row.child_id * 1_000_000 + day)
                row.child_id = mapping[row.child_id]
                self.seen[row.child_id * 1_000_000 + day] = first

    def _write(
        self, new_rows: list[_Row], rows: list[_Row], write: list[_Row], columns: dict, header: HeaderMatch
    ) -> None:
        """Queue the batch's writes: new children, new and changed measurements, changed children."""
        stamp = self._stamp()
        job_id = self.job.pk if self.job else None
        if new_rows and self.postgres:
            # The rest of each line was made by _prepare_text, before the batch's queries.
            text = self.child_text
            missing = [row for row in new_rows if text[row.index] is None]
            for row, line in zip(missing, pgcopy.copy_lines(self._child_values(missing)), strict=True):
                text[row.index] = line
            ids = pgcopy.text_column([row.child_id for row in new_rows])
            data = "\n".join([f"{pk}\t{text[row.index]}" for pk, row in zip(ids, new_rows, strict=True)])
            self.ops.append(
                (
                    f"COPY {Child._meta.db_table} (id, {self._column_names(Child, _CHILD_INSERT)}) FROM STDIN",
                    (data + "\n").encode(),
                )
            )
        elif new_rows:
            self._insert(
                Child,
                ("id", *_CHILD_INSERT),
                [[row.child_id for row in new_rows], *self._child_values(new_rows)],
            )

        # Measurements: the raw row for those a reviewer reads again (a warning, or stored data changed).
        raw: list[str | None] = [None] * len(write)
        keep = [
            i for i, row in enumerate(write) if row.warnings or row.measurement_id is not None or row.existing
        ]
        for i, text in zip(keep, self._raw_json([write[i] for i in keep], header), strict=True):
            raw[i] = text
        inserted = [i for i, row in enumerate(write) if row.measurement_id is None]
        updated = [i for i, row in enumerate(write) if row.measurement_id is not None]
        if inserted:
            rows_ = [write[i] for i in inserted]
            take = np.asarray(inserted, dtype=np.intp)
            found = (
                [row.child_id for row in rows_],
                columns["weight_gain"][take],
                [raw[i] for i in inserted],
            )
            if self.postgres:
                # The rest of each line was made by _prepare_text, before the batch's queries.
                lines = pgcopy.copy_lines(found)
                text = self.measurement_text
                data = "\n".join(
                    [f"{line}\t{text[row.index]}" for line, row in zip(lines, rows_, strict=True)]
                )
                self.ops.append(
                    (
                        f"COPY {Measurement._meta.db_table} ({self._column_names(Measurement, _FOUND_COLUMNS)}, "
                        f"{self._column_names(Measurement, _MEASUREMENT_INSERT)}) FROM STDIN",
                        (data + "\n").encode(),
                    )
                )
            else:
                self._insert(
                    Measurement,
                    (*_FOUND_COLUMNS, *_MEASUREMENT_INSERT),
                    [
                        *found,
                        *self._measurement_values(
                            rows_, {k: v[take] for k, v in columns.items()}, insert=True
                        ),
                    ],
                )
        if updated:
            rows_ = [write[i] for i in updated]
            take = np.asarray(updated, dtype=np.intp)
            self._update(
                Measurement,
                (*_FOUND_COLUMNS[1:], *_MEASUREMENT_UPDATE),
                [
                    columns["weight_gain"][take],
                    [raw[i] for i in updated],
                    *self._measurement_values(rows_, {k: v[take] for k, v in columns.items()}, insert=False),
                    [row.measurement_id for row in rows_],
                ],
            )

        child_updates = []
        for row in rows:
            if not row.existing:
                continue
            child, changes = row.existing["child"], row.existing["changes"]
            merged = {name: changes.get(name, child[name]) for name in CHILD_UPDATE_FIELDS}
            nik = changes.get("nik")
            child_updates.append(
                (
                    *(merged[name] for name in CHILD_UPDATE_FIELDS),
                    pii.encrypt(nik) if nik else None,
                    pii.nik_hash(nik) if nik else child["nik_hash"],
                    job_id,
                    stamp,
                    child["id"],
                )
            )
        # Children without a new NIK keep their ciphertext (None -> COALESCE keeps the column).
        if child_updates:
            self._update(
                Child,
                (*CHILD_UPDATE_FIELDS, "nik_encrypted", "nik_hash", "import_job", "updated_at"),
                [list(column) for column in zip(*child_updates, strict=True)],
                keep_when_null=("nik_encrypted",),
            )

    def _prepare_text(self, rows: list[_Row], growth: dict[str, np.ndarray]) -> None:
        """PostgreSQL apply: the COPY lines of each row's measurement and of its child (were it new),
        without the columns the batch's queries decide (ids, N/T, raw). Made while the writer thread
        sends the previous batch; the lines of rows that turn out not to need them are dropped."""
        if not rows:  # every row of the batch rejected: no growth columns to write
            self.measurement_text, self.child_text = [], {}
            return
        self.measurement_text = pgcopy.copy_lines(self._measurement_values(rows, growth, insert=True))
        # A child line (and its NIK's encryption) only for rows that may bring a new child: not those
        # whose NIK the registry already holds.
        hashes = [row.nik_hash for row in rows if row.nik_hash]
        keys = np.fromiter(map(_key64, hashes), dtype=np.uint64, count=len(hashes))
        known = iter(_contains(self.child_niks, keys))
        maybe_new = [row for row in rows if not row.nik_hash or not next(known)]
        self.child_text = dict.fromkeys(range(len(rows)))
        for row, line in zip(maybe_new, pgcopy.copy_lines(self._child_values(maybe_new)), strict=True):
            self.child_text[row.index] = line

    def _child_values(self, rows: list[_Row]) -> list[Sequence[Any]]:
        """The columns _CHILD_INSERT of a new child for each row (all known before any query)."""
        n = len(rows)
        child_values = [row.child_values for row in rows]
        stamp = self._stamp()
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
            [Child.Status.ACTIVE.value] * n, [self.job.pk if self.job else None] * n, [stamp] * n, [stamp] * n,
        ]  # fmt: skip

    def _measurement_values(
        self, rows: list[_Row], columns: dict[str, np.ndarray], *, insert: bool
    ) -> list[Sequence[Any] | np.ndarray]:
        """The columns _MEASUREMENT_INSERT (or _MEASUREMENT_UPDATE) of the rows: all known before any
        query, given the rows' growth columns."""
        values = [row.values for row in rows]
        m = len(rows)
        pmt = [v["pmt_kg"] for v in values]
        stamp = self._stamp()
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
            [self.job.pk if self.job else None] * m,
            [row.number for row in rows],
            [stamp] * m,
        ]
        if insert:
            out += [
                [self._date(row.measured_on) for row in rows],
                [False] * m,
                [False] * m,
                [self.user.pk] * m,
                [stamp] * m,
            ]
        return out

    @staticmethod
    def _column_names(model: type, fields: Sequence[str]) -> str:
        return ", ".join(model._meta.get_field(name).column for name in fields)

    def _raw_json(self, rows: list[_Row], header: HeaderMatch) -> list[str]:
        """Measurement.raw of each row: {header: cell as written} over its non-blank cells, NIK and KK
        numbers masked. Built a column at a time: each distinct cell of a column is JSON-encoded once."""
        if not rows:
            return []
        headers = header.headers
        identifiers = {header.positions[k] for k in _IDENTIFIER_KEYS if k in header.positions}
        cells = list(zip(*(row.cells for row in rows), strict=True))
        pieces = []
        for index, title in enumerate(headers):
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

            pieces.append(_Memo(piece).column(cells[index]))
        return ["{" + ", ".join(filter(None, parts)) + "}" for parts in zip(*pieces, strict=True)]

    # The batch --------------------------------------------------------------------------------------------

    def run_batch(self, batch: list[Row], header: HeaderMatch) -> None:
        """One batch: parse, compute z-scores and make the measurements' COPY text (while the writer may
        still send the previous batch), then wait for the writer, resolve, plan, chain N/T, and hand
        this batch's writes to the writer."""
        self.header = header
        self.ops = []
        clock = self.report.seconds
        pending: list[tuple] = []
        started = time.perf_counter()
        self.blank_rows: list[_Row] = []
        parsed = self._parse(batch, header, pending)
        self._hash(parsed + self.blank_rows)
        for index, row in enumerate(parsed):
            row.index = index
        growth = self._growth(parsed) if parsed else {}
        if self.postgres and self.commit:
            self._prepare_text(parsed, growth)
        lap = time.perf_counter()
        clock["prepare"] += lap - started
        # Every query below must see the previous batch's rows (its children's last weighing).
        if self.writer is not None:
            self.writer.wait()
        started, lap = lap, time.perf_counter()
        clock["wait"] += lap - started
        accepted, new_rows = self._resolve(parsed + self.blank_rows, pending)
        write = self._plan_measurements(accepted)
        if self.commit and new_rows:
            self._assign_ids(new_rows, accepted)
        started, lap = lap, time.perf_counter()
        clock["resolve"] += lap - started
        previous = self._previous(write)
        columns = self._compute(write, growth, previous) if write else {}
        for row in accepted:
            for key, message in row.warnings:
                self._issue(row.number, WARNING, self._label(key), message, pending)
        started, lap = lap, time.perf_counter()
        clock["compute"] += lap - started
        if self.commit and (write or new_rows or any(row.existing for row in accepted)):
            self._write(new_rows, accepted, write, columns, header)
        if pending:
            self._keep_issues(pending)
        if self.ops:
            if self.commit:
                # The foreign keys are DEFERRABLE INITIALLY DEFERRED: checked here, batch by batch in
                # the writer thread (overlapping the next batch's parsing), instead of all at COMMIT,
                # which also keeps PostgreSQL's queue of pending checks to one batch.
                self.ops += [("SET CONSTRAINTS ALL IMMEDIATE", None), ("SET CONSTRAINTS ALL DEFERRED", None)]
            assert self.writer is not None
            self.writer.submit(self.ops)
        clock["write"] += time.perf_counter() - lap


class _Writer:
    """Sends each batch's COPY data and statements to PostgreSQL from one background thread.

    The server ingests batch N (and the thread waits on the socket, releasing the GIL) while the main
    thread reads and parses batch N+1; at most one batch is in flight, so memory stays bounded. The
    thread uses the main thread's connection, inside its transaction: the main thread waits for the
    writer before its next query (psycopg also serialises calls on one connection).
    """

    def __init__(self, raw_connection: Any) -> None:
        self.connection = raw_connection
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-writer")
        self.future: Future[None] | None = None

    def _run(self, ops: list[tuple[str, bytes | None]]) -> None:
        with self.connection.cursor() as cursor:
            for sql, data in ops:
                if data is None:
                    cursor.execute(sql)
                else:
                    with cursor.copy(sql) as copy:
                        copy.write(data)

    def submit(self, ops: list[tuple[str, bytes | None]]) -> None:
        self.wait()
        self.future = self.pool.submit(self._run, ops)

    def wait(self) -> None:
        """Block until the batch in flight is written; re-raises its error."""
        future, self.future = self.future, None
        if future is not None:
            future.result()

    def close(self) -> None:
        """Wait for the batch in flight (its error, if any, is raised by wait()) and stop the thread."""
        try:
            if self.future is not None:
                self.future.exception()
        finally:
            self.pool.shutdown(wait=True)


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
) -> ImportReport:
    """Run the pipeline over a file; writes only when `commit` (the caller holds the transaction).

    `progress(rows_done, rows_total_estimate)` is called after every batch. `create_places`: the
    posyandu and puskesmas the file names and the district lacks are planned or created (places.py). Raises readers.UnreadableFile
    (convergence.uploads.UploadRefused) when the file is unreadable or over a limit of the settings.
    """
    importer = _Importer(
        user=user, commit=commit, job=job, today=today or timezone.localdate(), create_places=create_places
    )
    report = importer.report
    # A batch allocates a few million short-lived objects (cells, rows, dicts): with the default
    # thresholds the cyclic collector would scan the whole heap, Django's objects included, many
    # times a batch. None of the import's objects form cycles, so collections are made rarer.
    thresholds, switch = gc.get_threshold(), sys.getswitchinterval()
    gc.set_threshold(max(thresholds[0], 100_000), *thresholds[1:])
    if importer.writer is not None:
        # The writer thread needs the GIL back each time the socket accepts more COPY data; with the
        # default 5 ms switch interval it idles behind the parsing thread.
        sys.setswitchinterval(min(switch, 0.0005))
    try:
        with open_table(source, file_name, UploadLimits.from_settings()) as table:
            report.ignored_columns = table.header.ignored
            if progress is not None:
                progress(0, table.estimated_rows)
            rows = batches(table.rows, batch_size)
            while True:
                started = time.perf_counter()
                batch = next(rows, None)
                report.seconds["read"] += time.perf_counter() - started
                if batch is None:
                    break
                importer.run_batch(batch, table.header)
                report.rows_total += len(batch)
                report.batches += 1
                if progress is not None:
                    progress(report.rows_total, max(table.estimated_rows, report.rows_total))
        if importer.writer is not None:
            started = time.perf_counter()
            importer.writer.wait()
            report.seconds["wait"] += time.perf_counter() - started
    finally:
        if importer.writer is not None:
            importer.writer.close()
        gc.set_threshold(*thresholds)
        sys.setswitchinterval(switch)
    if commit and report.review_child_ids:
        from children.duplicates import duplicates_report_from_import

        duplicates_report_from_import(child_ids=report.review_child_ids, reporter=user)
    report.issues.sort(key=lambda issue: issue[0])
    if importer.places is not None:
        report.places = importer.places.listing()
    return report
