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
import json
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from children import compute, identity, pii
from children.growth import classify
from children.growth.weight_gain import NOT_ASSESSED
from children.imports import parsing
from children.imports.layout import HeaderMatch, normalise_header
from children.imports.readers import Row, batches, open_table
from children.models import Child, ImportJob, ImportRowIssue, Measurement, Person
from children.selectors import kbm_table_on
from children.services import MAX_HEIGHT_SHRINK_CM
from convergence.models import Posyandu, Region, User
from convergence.scoping import restrict, scope_for_user

# Rows per batch. 5,000 keeps every per-batch query's IN list well under SQLite's 32,766 variables and
# PostgreSQL's planner comfort zone, makes numpy's per-call overhead negligible (the growth engine
# reaches full speed from a few thousand rows), and bounds Python memory to a few MB of parsed rows;
# larger batches gained nothing measurable on the 100,000-row benchmark.
BATCH_SIZE = 5_000
# The command prints at most this many issues (the job path stores every one as an ImportRowIssue).
MAX_REPORTED_ISSUES = 1_000
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
    "gestational_age_weeks", "early_breastfeeding", "parent_phone", "kia",
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


@dataclass
class ImportReport:
    """Counts per action, the reported issues (row, action, column, message) and the rows read."""

    summary: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ACTIONS, 0))
    issues: list[tuple[int, str, str, str]] = field(default_factory=list)
    issues_total: int = 0
    rows_total: int = 0
    batches: int = 0
    # Wall-clock seconds per step (read is the reader's share: CSV/xlsx parsing into cells).
    seconds: dict[str, float] = field(
        default_factory=lambda: dict.fromkeys(("read", "parse", "resolve", "compute", "write"), 0.0)
    )


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
    )

    def __init__(self, number: int, cells: Sequence[Any]) -> None:
        self.number = number
        self.cells = cells
        self.warnings: list[tuple[str, str]] = []
        self.child_action = ""
        self.measurement_id: int | None = None
        self.existing: dict[str, Any] | None = None


_PLACE_PREFIX = re.compile(r"^\s*(posyandu|kecamatan|kelurahan|desa|kec|kel)\b\.?", re.IGNORECASE)


def _norm_place(text: object) -> str:
    """Place names compared without case, spaces, punctuation and a leading "Posyandu", "Desa", "Kec."."""
    return normalise_header(_PLACE_PREFIX.sub("", str(text or "")))


def _round(value: Any, places: int) -> float | None:
    return None if value is None else round(float(value), places)


class _Importer:
    def __init__(self, *, user: User, commit: bool, job: ImportJob | None, today: datetime.date) -> None:
        self.user = user
        self.commit = commit
        self.job = job
        self.today = today
        self.now = timezone.now()
        self.report = ImportReport()
        self.parse_date = parsing.DateParser()
        self.decimal = _memo(parsing.parse_decimal)
        self.sex_of = _memo(parsing.parse_sex)
        self.position_of = _memo(parsing.parse_position)
        self.bool_of = _memo(parsing.parse_bool)
        self.postgres = connection.vendor == "postgresql"
        self._load_places()
        self.kbm = kbm_table_on(day=today)
        # The first 64 bits of every NIK hash in the registries, loaded once: a batch then queries only
        # the NIKs that may be there, instead of probing the indexes with thousands of new ones.
        self.child_niks = {
            _key64(h)
            for h in Child.objects.exclude(nik_hash="").values_list("nik_hash", flat=True).iterator(10_000)
        }
        self.person_niks = {
            _key64(h)
            for h in Person.objects.exclude(nik_hash="").values_list("nik_hash", flat=True).iterator(10_000)
        }
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
        self.posyandu_cache: dict[tuple[str, str, str, str], tuple[tuple[int, int] | None, str]] = {}

    def _posyandu(self, kec: str, desa: str, name: str, desa_code: str) -> tuple[tuple[int, int] | None, str]:
        """(posyandu id, desa id) or (None, message); cached per distinct spelling (a file has few)."""
        key = (kec, desa, name, desa_code)
        found = self.posyandu_cache.get(key)
        if found is None:
            found = self.posyandu_cache[key] = self._posyandu_lookup(kec, desa, name, desa_code)
        return found

    def _posyandu_lookup(
        self, kec: str, desa: str, name: str, desa_code: str
    ) -> tuple[tuple[int, int] | None, str]:
        name_key = _norm_place(name)
        if desa_code:
            found = self.posyandu_by_code.get((desa_code.replace(".", "").strip(), name_key))
        elif kec:
            found = self.posyandu_by_names.get((_norm_place(kec), _norm_place(desa), name_key))
        else:
            found = self.posyandu_by_desa.get((_norm_place(desa), name_key))
        if not found:
            return None, _("Posyandu tidak ditemukan di kabupaten Anda: periksa Kec, Desa/Kel dan Posyandu")
        if len(found) > 1:
            return None, _("Nama posyandu tidak unik di desa ini: gunakan templat dengan Kode Desa")
        if found[0][0] not in self.allowed_posyandu:
            return None, _("Posyandu di luar wilayah Anda")
        return found[0], ""

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
        if self.job is not None:
            pending.append((self.job.pk, number, action, column[:60], message))
        elif len(report.issues) < MAX_REPORTED_ISSUES:
            report.issues.append((number, action, column, message))

    # Step 1: parse and validate -------------------------------------------------------------------------

    def _parse(self, batch: list[Row], header: HeaderMatch, pending: list[tuple]) -> list[_Row]:
        """Parse and validate the cells of a batch; rejected rows are reported, the others returned."""
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
        i_kec, i_desa, i_code = at["kec"], at["desa"], at["desa_code"]
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
            if error:
                errors.append(("measured_on", _(error)))
            elif measured_on is None:
                errors.append(("measured_on", _("Tanggal pengukuran wajib diisi")))
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
            if (
                values["weight_kg"] is None
                and values["height_cm"] is None
                and not any(k in ("weight_kg", "height_cm") for k, _m in errors)
            ):
                errors.append(("weight_kg", _("Isi Berat atau Tinggi")))
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
                found, error = self._posyandu(
                    _text(cells[i_kec]), _text(cells[i_desa]), posyandu_name, _text(cells[i_code])
                )
                if found is None:
                    errors.append(("posyandu", error))
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
            good.append(row)
        return good

    # Step 2: identities ---------------------------------------------------------------------------------

    def _identity_key(self, desa_id: int, norm_name: str, birth_date: datetime.date, sex: str) -> int:
        return hash((desa_id, norm_name, birth_date.toordinal(), sex))

    def _resolve(self, rows: list[_Row], pending: list[tuple]) -> tuple[list[_Row], list[_Row]]:
        """Child of each row; returns (accepted rows, new children's first rows)."""
        niks = [row.nik for row in rows if row.nik]
        hashes = iter(pii.nik_hash_many(niks))
        for row in rows:
            row.nik_hash = next(hashes) if row.nik else ""
        # Only NIKs the registry may hold are looked up (most NIKs of a register are new ones).
        wanted_children = [h for h in (row.nik_hash for row in rows) if h and _key64(h) in self.child_niks]
        wanted_persons = [h for h in (row.nik_hash for row in rows) if h and _key64(h) in self.person_niks]
        by_hash: dict[str, dict[str, Any]] = {}
        persons: dict[str, tuple[int, str, str]] = {}
        if wanted_children:
            by_hash = {
                c["nik_hash"]: c
                for c in Child.objects.filter(nik_hash__in=wanted_children).values(*_CHILD_LOAD)
            }
        if wanted_persons:
            persons = {
                h: (pk, name, desa)
                for pk, name, desa, h in Person.objects.filter(nik_hash__in=wanted_persons).values_list(
                    "id", "name", "desa__name", "nik_hash"
                )
            }
        candidates: dict[int, list[dict[str, Any]]] = {}
        look = [row for row in rows if row.nik_hash not in by_hash]
        if look:
            pairs = {(row.desa_id, row.birth_date) for row in look}
            if self.postgres:
                found = self._rows_matching(Child, _CHILD_LOAD, ("desa_id", "birth_date"), pairs)
            else:
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
                    % {"name": name, "desa": desa, "pk": pk},
                )
            elif identity_key in self.new_by_identity:
                child_id = self.new_by_identity[identity_key]
            elif identity_key in candidates:
                child = candidates[identity_key][0]
                if row.nik_hash and child["nik_hash"] and child["nik_hash"] != row.nik_hash:
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
            if problem is None and child is not None:
                child_id = child["id"]
                if self._is_created(child_id):
                    child = None
                elif not self._child_in_scope(child["posyandu_id"], child["desa_id"]):
                    problem = (
                        REJECTED,
                        "nik" if row.nik_hash else "name",
                        _("Anak terdaftar di luar wilayah Anda"),
                    )
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
                    FROM unnest(%s::bigint[], %s::date[]) AS k(child_id, cutoff)
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
                    [ids, days],
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

    def _compute(self, rows: list[_Row], previous: dict) -> dict[str, np.ndarray]:
        n = len(rows)
        values = [row.values for row in rows]

        def column(name: str) -> np.ndarray:
            return np.array([np.nan if v[name] is None else v[name] for v in values], dtype=np.float64)

        sex = np.array([row.sex for row in rows])
        age_days = np.fromiter((row.age_days for row in rows), dtype=np.int64, count=n)
        weight = column("weight_kg")
        columns = compute.measurement_growth_columns(
            sex=sex,
            age_days=age_days,
            weight_kg=weight,
            height_cm=column("height_cm"),
            position=np.array([v["position"] for v in values]),
            oedema=np.zeros(n, dtype=bool),
            head_circumference_cm=column("head_circumference_cm"),
            lila_cm=column("lila_cm"),
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

    def _insert(self, model: type, columns: Sequence[str], rows: list[tuple]) -> None:
        if not rows:
            return
        table = model._meta.db_table
        names = ", ".join(model._meta.get_field(c).column for c in columns)
        with connection.cursor() as cursor:
            if self.postgres:
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)

    def _update(
        self, model: type, columns: Sequence[str], rows: list[tuple], keep_when_null: Sequence[str] = ()
    ) -> None:
        """UPDATE rows by id (the last value of each tuple): one statement over unnest()ed arrays on
        PostgreSQL, one executemany elsewhere. `keep_when_null` columns keep their value where given None."""
        if not rows:
            return
        table = model._meta.db_table
        fields = [model._meta.get_field(c) for c in columns]
        names = [f.column for f in fields]

        def target(name: str, value: str) -> str:
            return (
                f"{name} = COALESCE({value}, {table}.{name})"
                if name in keep_when_null
                else f"{name} = {value}"
            )

        with connection.cursor() as cursor:
            if self.postgres:
                # COPY into a temporary table, then one UPDATE ... FROM: the values travel through
                # psycopg's C copy path instead of being rendered as SQL array literals.
                temp = f"import_update_{table}"
                cursor.execute(
                    f"CREATE TEMPORARY TABLE {temp} ON COMMIT DROP AS "
                    f"SELECT {', '.join(names)}, id FROM {table} WITH NO DATA"
                )
                with cursor.cursor.copy(f"COPY {temp} ({', '.join(names)}, id) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                sets = ", ".join(target(n, f"v.{n}") for n in names)
                cursor.execute(f"UPDATE {table} SET {sets} FROM {temp} AS v WHERE {table}.id = v.id")
                cursor.execute(f"DROP TABLE {temp}")
            else:
                sets = ", ".join(target(n, "%s") for n in names)
                cursor.executemany(f"UPDATE {table} SET {sets} WHERE id = %s", rows)

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
            cursor.execute(
                f"SELECT {columns} FROM {table} t JOIN unnest(%s::{types[0]}[], %s::{types[1]}[]) AS k(a, b) "
                f"ON t.{fields[0].column} = k.a AND t.{fields[1].column} = k.b",
                [list(first), list(second)],
            )
            return [dict(zip(load, values, strict=True)) for values in cursor.fetchall()]

    def _reserve_ids(self, count: int) -> list[int]:
        with connection.cursor() as cursor:
            if self.postgres:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [Child._meta.db_table, count],
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
        stamp = self._stamp()
        job_id = self.job.pk if self.job else None
        niks = [row.nik for row in new_rows]
        encrypted, hashes = pii.encrypt_many(niks), pii.nik_hash_many(niks)
        child_columns = (
            "id", "nik_encrypted", "nik_hash", "name", "sex", "birth_date", "posyandu", "desa", *CHILD_UPDATE_FIELDS,
            "birth_place", "father_name", "has_birth_certificate", "has_jkn", "has_kia_book", "status",
            "import_job", "created_at", "updated_at",
        )  # fmt: skip
        self._insert(
            Child,
            child_columns,
            [
                (
                    row.child_id, encrypted[i], hashes[i], row.name, row.sex, self._date(row.birth_date),
                    row.posyandu_id, row.desa_id,
                    *(row.child_values[name] for name in CHILD_UPDATE_FIELDS),
                    "", "", False, False, row.child_values["has_kia_book"], Child.Status.ACTIVE.value,
                    job_id, stamp, stamp,
                )
                for i, row in enumerate(new_rows)
            ],
        )  # fmt: skip

        headers = header.headers
        dumps = json.JSONEncoder(ensure_ascii=False).encode
        cell_text = parsing.cell_text
        growth = [columns[name] for name in compute.GROWTH_FIELDS]
        growth_lists = [g.tolist() for g in growth]
        adjusted = np.round(columns["adjusted_height_cm"], 1).tolist()
        error = columns["error"].tolist()
        gain = columns["weight_gain"].tolist()
        user_id = self.user.pk
        source = Measurement.Source.IMPORT.value
        identifiers = [header.positions[k] for k in _IDENTIFIER_KEYS if k in header.positions]
        inserts, updates = [], []
        for i, row in enumerate(write):
            v = row.values
            cells = row.cells
            if identifiers:
                # NIK and KK numbers never reach the database in plaintext, not even as raw values.
                cells = list(cells)
                for index in identifiers:
                    if cells[index] not in (None, ""):
                        cells[index] = pii.mask_nik(cell_text(cells[index]))
            raw = dumps(
                {
                    h: c if type(c) is str else cell_text(c)
                    for h, c in zip(headers, cells, strict=False)
                    if c is not None and c != ""
                }
            )
            derived = [None if x != x else x for x in (g[i] for g in growth_lists)]
            adj = adjusted[i]
            common = (
                row.age_days, v["weight_kg"], v["height_cm"], v["position"], v["lila_cm"],
                v["head_circumference_cm"], v["vitamin_a"], v["pmt_kg"] is not None, v["pmt_kg"],
                None if adj != adj else adj, *derived, gain[i], error[i], source, raw, job_id,
            )  # fmt: skip
            if row.measurement_id is None:
                inserts.append(
                    (row.child_id, v["posyandu_id"], self._date(row.measured_on), *common, False, False, user_id,
                     stamp, stamp)
                )  # fmt: skip
            else:
                updates.append((v["posyandu_id"], *common, stamp, row.measurement_id))
        shared = (
            "age_days", "weight_kg", "height_cm", "position", "lila_cm", "head_circumference_cm", "vitamin_a",
            "pmt_received", "pmt_kg", "adjusted_height_cm", *compute.GROWTH_FIELDS, "weight_gain", "error_flags",
            "source", "raw", "import_job",
        )  # fmt: skip
        self._insert(
            Measurement,
            ("child", "posyandu", "measured_on", *shared, "oedema", "remeasure_confirmed", "measured_by",
             "created_at", "updated_at"),
        inserts)  # fmt: skip
        self._update(Measurement, ("posyandu", *shared, "updated_at"), updates)

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
        self._update(
            Child,
            (*CHILD_UPDATE_FIELDS, "nik_encrypted", "nik_hash", "import_job", "updated_at"),
            child_updates,
            keep_when_null=("nik_encrypted",),
        )

    # The batch --------------------------------------------------------------------------------------------

    def run_batch(self, batch: list[Row], header: HeaderMatch) -> None:
        self.header = header
        clock = self.report.seconds
        pending: list[tuple] = []
        started = time.perf_counter()
        parsed = self._parse(batch, header, pending)
        lap = time.perf_counter()
        clock["parse"] += lap - started
        accepted, new_rows = self._resolve(parsed, pending)
        write = self._plan_measurements(accepted)
        if self.commit and new_rows:
            self._assign_ids(new_rows, accepted)
        started, lap = lap, time.perf_counter()
        clock["resolve"] += lap - started
        previous = self._previous(write)
        columns = self._compute(write, previous) if write else {}
        for row in accepted:
            for key, message in row.warnings:
                self._issue(row.number, WARNING, self._label(key), message, pending)
        started, lap = lap, time.perf_counter()
        clock["compute"] += lap - started
        if self.commit and (write or new_rows or any(row.existing for row in accepted)):
            self._write(new_rows, accepted, write, columns, header)
        if pending and self.job is not None:
            pending.sort(key=lambda issue: issue[1])
            self._insert(ImportRowIssue, ("job", "row_number", "action", "field", "message"), pending)
        clock["write"] += time.perf_counter() - lap


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
) -> ImportReport:
    """Run the pipeline over a file; writes only when `commit` (the caller holds the transaction).

    `progress(rows_done, rows_total_estimate)` is called after every batch. Raises readers.UnreadableFile.
    """
    importer = _Importer(user=user, commit=commit, job=job, today=today or timezone.localdate())
    report = importer.report
    with open_table(source, file_name) as table:
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
    report.issues.sort(key=lambda issue: issue[0])
    return report
