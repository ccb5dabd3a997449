"""What the steps of the bulk import share: the row on its way through a batch, the report, the batch's
issues, the column tuples and the 64-bit keys that stand for NIK hashes and places in memory."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db.models import Field, Model

from children import compute
from children.imports import parsing
from children.models import ImportRowIssue

if TYPE_CHECKING:
    from children.imports.batch import Batch

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

# WHO growth standards end at 60 months (1856 days); older children leave the balita registry.
MAX_AGE_DAYS = 1856
LYING_UNDER_DAYS = 731  # PB (length, lying) under 24 months, TB (height, standing) from 24 months

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
CHILD_LOAD = ("id", "nik_hash", "name", "sex", "birth_date", "desa_id", "posyandu_id", *CHILD_UPDATE_FIELDS)
# Measurement inputs compared for idempotency (the rest is derived from them).
MEASUREMENT_INPUTS = (
    "weight_kg",
    "height_cm",
    "position",
    "lila_cm",
    "head_circumference_cm",
    "pmt_kg",
    "vitamin_a",
    "posyandu_id",
)
DECIMALS = {"weight_kg": 2, "height_cm": 1, "lila_cm": 1, "head_circumference_cm": 1, "pmt_kg": 2}
DECIMALS_CHILD = {"birth_weight_kg": 2, "birth_length_cm": 1, "birth_head_circumference_cm": 1}
# (Child field, file field, max length)
CHILD_TEXTS = (
    ("mother_name", "parent_name", 120),
    ("rt", "rt", 3),
    ("rw", "rw", 3),
    ("address", "address", 255),
    ("parent_phone", "parent_phone", 20),
)
# Columns holding NIK/KK numbers: masked in Measurement.raw.
IDENTIFIER_KEYS = ("nik", "parent_nik", "kk_number")
PARSED_KEYS = (
    "nik", "name", "sex", "birth_date", "measured_on", "weight_kg", "height_cm", "position", "lila_cm",
    "head_circumference_cm", "pmt_kg", "vitamin_a", "kec", "desa", "posyandu", "desa_code", "parent_name", "rt",
    "rw", "address", "birth_weight_kg", "birth_length_cm", "birth_head_circumference_cm", "birth_order",
    "gestational_age_weeks", "early_breastfeeding", "parent_phone", "kia", "puskesmas", "kab",
)  # fmt: skip
# The cells naming a row's place, in the order of places.PlaceCells.
PLACE_KEYS = ("kec", "desa", "posyandu", "desa_code", "puskesmas", "kab")

# Measurement columns written by the import. FOUND_COLUMNS need the batch's queries (the child's id,
# N/T from its previous weighing, the raw row kept for rows with warnings); the others are known from
# the file alone, so their COPY text is made before the batch's queries.
FOUND_COLUMNS = ("child", "weight_gain", "raw")
MEASUREMENT_UPDATE = (
    "posyandu", "age_days", "weight_kg", "height_cm", "position", "lila_cm", "head_circumference_cm", "vitamin_a",
    "pmt_received", "pmt_kg", "adjusted_height_cm", *compute.GROWTH_FIELDS, "error_flags", "source", "import_job",
    "import_row", "updated_at",
)  # fmt: skip
MEASUREMENT_INSERT = (
    *MEASUREMENT_UPDATE, "measured_on", "oedema", "remeasure_confirmed", "measured_by", "created_at"
)  # fmt: skip
CHILD_INSERT = (
    "nik_encrypted", "nik_hash", "name", "sex", "birth_date", "posyandu", "desa", *CHILD_UPDATE_FIELDS,
    "birth_place", "father_name", "has_birth_certificate", "has_jkn", "has_kia_book", "status", "import_job",
    "created_at", "updated_at",
)  # fmt: skip


STEPS = ("read", "parse", "validate", "resolve", "compute", "write", "commit")


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
    # Wall-clock seconds per step: read (the reader: CSV/xlsx into columns), parse (columns to typed
    # arrays), validate (the rule table and every cell's check, then the rows), resolve (places are looked up while parsing; here identities and
    # the measurements already stored), compute (NIK hashes, z-scores, N/T), write (COPY data and the
    # writes themselves), commit (the deferred foreign-key checks, batch by batch). Read, parse and the growth engine run in the worker thread (overlap.py), so
    # the steps' seconds add up to more than the import's when they overlap.
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STEPS, 0.0))
    # CPU seconds per step, of the thread it ran in (time.thread_time): wall minus CPU is waiting (for
    # the database in resolve and write; for the CPU itself on a loaded machine).
    cpu_seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STEPS, 0.0))
    # Seconds the importer's thread waited for the worker's next batch.
    waited_seconds: float = 0.0
    # Of the write step's seconds, those spent in the database's statements (COPY, UPDATE, checks).
    write_database_seconds: float = 0.0
    # Of the latter, the deferred foreign-key checks run batch by batch (PostgreSQL).
    write_constraint_seconds: float = 0.0
    # Of the same, reading a COPY's result after the next statement's data was built (PostgreSQL).
    write_copy_seconds: float = 0.0
    # With create_places: the puskesmas and posyandu planned (dry run) or created (apply), with the
    # number of rows naming each (places.NewPlace.as_dict).
    places: list[dict[str, Any]] = field(default_factory=list)
    # Children that rows matched only by identity while registered at another posyandu (or outside the
    # importer's scope): the rows are not imported and, on apply, each child is queued for review.
    review_child_ids: set[int] = field(default_factory=set)


class BatchIssues:
    """The issues of one batch, in the order found; counted into the report when the batch is kept."""

    __slots__ = ("pending", "rejected")

    def __init__(self) -> None:
        self.pending: list[tuple[int, str, str, str]] = []
        self.rejected = 0

    def add(self, number: int, action: str, column: str, message: str) -> None:
        self.pending.append((number, action, column[:60], message))

    def reject(self, number: int, errors: Iterable[tuple[str, str]]) -> None:
        """One rejected row and its (column as the file names it, message) errors."""
        self.rejected += 1
        for column, message in errors:
            self.add(number, REJECTED, column, message)


class ImportRow:
    """One data row on its way through a batch (plain slots: 100,000 of them pass per import)."""

    __slots__ = (
        "age_days",
        "at",
        "birth_date",
        "blank",
        "child_action",
        "child_id",
        "child_values",
        "desa_id",
        "existing",
        "index",
        "keys",
        "measured_on",
        "measurement_id",
        "name",
        "nik",
        "nik_hash",
        "norm_name",
        "number",
        "posyandu_id",
        "sex",
        "source",
        "values",
        "warnings",
    )
    # Set by the parse step (a row it keeps has a day of birth, a day and a place), the resolver
    # (child_id, keys) and the pipeline (index: the row's place in the batch's growth columns).
    name: str
    sex: str
    birth_date: datetime.date
    measured_on: datetime.date | None  # None only on a register template row (`blank`)
    age_days: int
    nik: str
    nik_hash: str
    norm_name: str
    posyandu_id: int
    desa_id: int
    values: dict[str, Any]
    child_values: dict[str, Any]
    child_id: int
    index: int
    keys: tuple[int, int]

    def __init__(self, number: int, source: Batch | None = None, at: int = 0) -> None:
        self.number = number
        # Where the row's cells are: row `at` of the parse step's batch (its raw values, write.raw_json).
        self.source = source
        self.at = at
        self.warnings: list[tuple[str, str]] = []
        self.child_action = ""
        self.measurement_id: int | None = None
        self.existing: dict[str, Any] | None = None
        self.blank = False  # a register template row: a child and no measurement

    @property
    def day(self) -> datetime.date:
        """The measurement day of a row that records one (every accepted row: blank ones never are)."""
        if self.measured_on is None:
            raise ValueError(f"row {self.number} has no measurement day")
        return self.measured_on


def model_field(model: type[Model], name: str) -> Field[Any, Any]:
    """The column `name` of `model`: the bulk path writes and reads columns, never a reverse relation."""
    found = model._meta.get_field(name)
    if not isinstance(found, Field):
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return found


def key64(nik_hash: str) -> int:
    """The first 64 bits of a NIK hash (HMAC-SHA256): unique enough to key a million rows in memory."""
    return int(nik_hash[:16], 16)


def sorted_keys(keys: Iterable[int], dtype: type = np.uint64) -> np.ndarray:
    return np.unique(np.fromiter(keys, dtype=dtype))


def contains(keys_sorted: np.ndarray, keys: np.ndarray) -> list[bool]:
    """Which of `keys` are in `keys_sorted` (both uint64 or both int64)."""
    if not keys_sorted.size or not keys.size:
        return [False] * keys.size
    at = np.searchsorted(keys_sorted, keys).clip(max=keys_sorted.size - 1)
    return (keys_sorted[at] == keys).tolist()


def place_key(desa_id: int, born: datetime.date) -> int:
    return desa_id * 4_000_000 + born.toordinal()  # ordinals of real dates stay below 3.7 million


def identity_key(desa_id: int, norm_name: str, birth_date: datetime.date, sex: str) -> int:
    return hash((desa_id, norm_name, birth_date.toordinal(), sex))


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else parsing.cell_text(value)


def rounded(value: Any, places: int) -> float | None:
    return None if value is None else round(float(value), places)
