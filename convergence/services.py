"""Writes of the convergence backbone: regions, puskesmas, posyandu."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from convergence.codes import DESA_LEVELS, PARENT_LEVELS, REGION_LEVELS, Level, check_region_code
from convergence.models import Posyandu, Puskesmas, Region
from convergence.names import GENERATED_CODE_PREFIX, generated_code_next, place_name_key

REGION_CSV_COLUMNS = ["code", "name", "level", "parent_code"]
# The example posyandu of the posyandu list template (a region list holding only posyandu rows).
POSYANDU_LIST_EXAMPLE = ("P01", "Mawar", "posyandu")


class RegionLoadError(Exception):
    """The file was refused; `errors` lists every bad row, and nothing was saved."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class RegionLoadResult:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(sum(self.created.values()) or sum(self.updated.values()))


@dataclass(frozen=True)
class _Row:
    line: int
    code: str
    name: str
    level: Level
    parent_code: str


class _RowErrors:
    """Errors collected over a whole file, reported in line order."""

    def __init__(self) -> None:
        self._items: list[tuple[int, str]] = []

    def add(self, line: int, message: str, **params: object) -> None:
        self._items.append((line, _("Baris %(line)d: ") % {"line": line} + _(message) % params))

    def sorted(self) -> list[str]:
        return [text for _line, text in sorted(self._items, key=lambda item: item[0])]


def _parse_region_rows(text: str, errors: _RowErrors) -> list[_Row]:
    reader = csv.reader(io.StringIO(text))
    rows: list[_Row] = []
    header = next(reader, None)
    if header is None or [h.strip().lower() for h in header] != REGION_CSV_COLUMNS:
        errors.add(1, gettext_noop("kolom harus tepat %(columns)s."), columns=",".join(REGION_CSV_COLUMNS))
        return []
    known_levels = {level.value for level in Level}
    for line, values in enumerate(reader, start=2):
        if not any(value.strip() for value in values):
            continue
        if len(values) != len(REGION_CSV_COLUMNS):
            errors.add(line, gettext_noop("harus ada 4 kolom, ditemukan %(count)d."), count=len(values))
            continue
        code, name, level, parent_code = (value.strip() for value in values)
        if level.lower() not in known_levels:
            errors.add(
                line,
                gettext_noop("tingkat '%(level)s' tidak dikenal (pilih: %(levels)s)."),
                level=level,
                levels=", ".join(sorted(known_levels)),
            )
            continue
        if not name:
            errors.add(line, gettext_noop("nama kosong."))
            continue
        rows.append(_Row(line, code, name, Level(level.lower()), parent_code))
    return rows


def _check_rows(rows: list[_Row], errors: _RowErrors) -> None:
    """Check codes, duplicates and parents of every row; all errors at once."""
    in_file: dict[str, _Row] = {}
    local_keys: set[tuple[Level, str, str]] = set()
    parent_codes = {row.parent_code for row in rows if row.parent_code}
    in_db = dict(
        Region.objects.filter(code__in=parent_codes | {r.code for r in rows}).values_list("code", "level")
    )
    for row in rows:
        error = check_region_code(row.code, row.level, row.parent_code or None)
        if error is not None:
            errors.add(row.line, error.message, **error.params)
            continue
        if row.level in REGION_LEVELS:
            if row.code in in_file:
                errors.add(
                    row.line,
                    gettext_noop("kode '%(code)s' sudah ada di baris %(first)d."),
                    code=row.code,
                    first=in_file[row.code].line,
                )
                continue
            if in_db.get(row.code) not in (None, row.level.value):
                errors.add(
                    row.line,
                    gettext_noop("kode '%(code)s' sudah terdaftar sebagai %(level)s."),
                    code=row.code,
                    level=in_db[row.code],
                )
                continue
            in_file[row.code] = row
        else:
            key = (row.level, row.parent_code, row.code.upper())
            if key in local_keys:
                errors.add(
                    row.line,
                    gettext_noop("kode %(level)s '%(code)s' ganda di bawah '%(parent)s'."),
                    level=row.level.value,
                    code=row.code,
                    parent=row.parent_code,
                )
                continue
            local_keys.add(key)
    for row in rows:
        allowed = PARENT_LEVELS[row.level]
        if not allowed:
            if row.parent_code:
                errors.add(row.line, gettext_noop("provinsi tidak boleh punya induk."))
            continue
        if not row.parent_code:
            errors.add(
                row.line, gettext_noop("parent_code wajib diisi untuk %(level)s."), level=row.level.value
            )
            continue
        parent_level = (
            in_file[row.parent_code].level if row.parent_code in in_file else in_db.get(row.parent_code)
        )
        if parent_level is None:
            errors.add(
                row.line,
                gettext_noop("induk '%(parent)s' tidak ditemukan di berkas maupun di basis data."),
                parent=row.parent_code,
            )
        elif parent_level not in allowed:
            errors.add(
                row.line,
                gettext_noop("induk %(level)s harus %(allowed)s, bukan %(parent_level)s."),
                level=row.level.value,
                allowed="/".join(level.value for level in allowed),
                parent_level=parent_level,
            )


def regions_load(*, text: str) -> RegionLoadResult:
    """Load the official region list (CSV `code,name,level,parent_code`) all or nothing.

    Idempotent: reloading the same file changes nothing. Raises RegionLoadError listing every bad row.
    """
    errors = _RowErrors()
    rows = _parse_region_rows(text, errors)
    _check_rows(rows, errors)
    if messages := errors.sorted():
        raise RegionLoadError(messages)
    result = RegionLoadResult()
    order = [Level.PROVINSI, Level.KABUPATEN, Level.KOTA, Level.KECAMATAN, Level.DESA, Level.KELURAHAN]
    with transaction.atomic():
        by_code = {
            region.code: region
            for region in Region.objects.filter(
                code__in={r.code for r in rows} | {r.parent_code for r in rows}
            )
        }
        for level in order:
            for row in (r for r in rows if r.level is level):
                _upsert_region(row, by_code, result)
        new_puskesmas = _upsert_local(
            (r for r in rows if r.level is Level.PUSKESMAS), by_code, Puskesmas, "kecamatan", result
        )
        _upsert_local((r for r in rows if r.level is Level.POSYANDU), by_code, Posyandu, "desa", result)
        _assign_single_puskesmas(new_puskesmas)
    return result


def _bump(counter: dict[str, int], level: str) -> None:
    counter[level] = counter.get(level, 0) + 1


def _upsert_region(row: _Row, by_code: dict[str, Region], result: RegionLoadResult) -> None:
    parent = by_code.get(row.parent_code) if row.parent_code else None
    region = by_code.get(row.code)
    if region is None:
        region = Region.objects.create(code=row.code, name=row.name, level=row.level.value, parent=parent)
        by_code[row.code] = region
        _bump(result.created, row.level.value)
    elif region.name != row.name or region.parent_id != (parent.pk if parent else None):
        region.name, region.parent = row.name, parent
        region.save(update_fields=["name", "parent"])
        _bump(result.updated, row.level.value)
    else:
        result.unchanged += 1


def _upsert_local(
    rows: Iterable[_Row],
    by_code: dict[str, Region],
    model: type[Puskesmas] | type[Posyandu],
    parent_field: str,
    result: RegionLoadResult,
) -> list[Puskesmas | Posyandu]:
    rows = list(rows)
    parent_ids = {by_code[row.parent_code].pk for row in rows}
    existing: dict[int, list[Puskesmas | Posyandu]] = {}
    for obj in model.objects.filter(**{f"{parent_field}_id__in": parent_ids}).order_by("pk"):
        existing.setdefault(getattr(obj, f"{parent_field}_id"), []).append(obj)
    listed = {(by_code[row.parent_code].pk, row.code) for row in rows}
    created: list[Puskesmas | Posyandu] = []
    for row in rows:
        parent = by_code[row.parent_code]
        siblings = existing.setdefault(parent.pk, [])
        obj = next((o for o in siblings if o.code == row.code), None)
        if obj is None:
            obj = _same_name_unlisted(siblings, row.name, listed, parent.pk)
            if obj is not None:
                # Created from an e-PPGBM file under a generated code (or re-coded): the official list
                # names it, so it takes the official code instead of becoming a second one.
                obj.code, obj.name = row.code, row.name
                obj.save(update_fields=["code", "name"])
                _bump(result.updated, row.level.value)
                continue
            obj = model.objects.create(**{parent_field: parent, "code": row.code, "name": row.name})
            siblings.append(obj)
            created.append(obj)
            _bump(result.created, row.level.value)
        elif obj.name != row.name:
            obj.name = row.name
            obj.save(update_fields=["name"])
            _bump(result.updated, row.level.value)
        else:
            result.unchanged += 1
    return created


def _same_name_unlisted(
    siblings: list[Puskesmas | Posyandu], name: str, listed: set[tuple[int, str]], parent_id: int
) -> Puskesmas | Posyandu | None:
    """The one place under the parent with this name (place_name_key) whose code the file does not list.

    Several such places: the one with a generated code, else none (a new place is created).
    """
    key = place_name_key(name)
    matches = [o for o in siblings if place_name_key(o.name) == key and (parent_id, o.code) not in listed]
    if len(matches) > 1:
        matches = [o for o in matches if o.code.upper().startswith(GENERATED_CODE_PREFIX)]
    return matches[0] if len(matches) == 1 else None


def _assign_single_puskesmas(new_puskesmas: list[Puskesmas | Posyandu]) -> None:
    """A kecamatan with one puskesmas: that puskesmas covers its desa not yet assigned.

    Kecamatan with several puskesmas have their coverage set by Bappeda in the admin.
    """
    for puskesmas in new_puskesmas:
        assert isinstance(puskesmas, Puskesmas)
        if Puskesmas.objects.filter(kecamatan_id=puskesmas.kecamatan_id).count() == 1:
            Region.objects.filter(
                parent_id=puskesmas.kecamatan_id,
                level__in=[level.value for level in DESA_LEVELS],
                puskesmas__isnull=True,
            ).update(puskesmas=puskesmas)


def puskesmas_create_named(*, kecamatan_id: int, name: str) -> Puskesmas:
    """A puskesmas named by an imported file, under its kecamatan with a generated local code.

    The caller holds the transaction; the kecamatan row is locked so two imports cannot take one code.
    """
    Region.objects.select_for_update().filter(pk=kecamatan_id).first()
    taken = Puskesmas.objects.filter(kecamatan_id=kecamatan_id).values_list("code", flat=True)
    return Puskesmas.objects.create(kecamatan_id=kecamatan_id, code=generated_code_next(taken), name=name)


def posyandu_create_named(*, desa_id: int, name: str) -> Posyandu:
    """A posyandu named by an imported file, under its desa with a generated local code.

    The caller holds the transaction; the desa row is locked so two imports cannot take one code.
    """
    Region.objects.select_for_update().filter(pk=desa_id).first()
    taken = Posyandu.objects.filter(desa_id=desa_id).values_list("code", flat=True)
    return Posyandu.objects.create(desa_id=desa_id, code=generated_code_next(taken), name=name)


def desa_puskesmas_link(*, desa_id: int, puskesmas_id: int) -> bool:
    """Put a desa without a puskesmas into the working area of `puskesmas_id`; True when it changed.

    A desa already covered keeps its puskesmas: coverage set by Bappeda is never overwritten.
    """
    return bool(Region.objects.filter(pk=desa_id, puskesmas__isnull=True).update(puskesmas_id=puskesmas_id))


def housekeeping_run() -> dict[str, int]:
    """Delete expired sessions and failed-login records older than the lock-out period.

    Sessions hold who is signed in; keeping them past expiry only grows the table.
    """
    now = timezone.now()
    sessions, _ = Session.objects.filter(expire_date__lt=now).delete()
    cooloff = timedelta(hours=float(settings.AXES_COOLOFF_TIME))
    attempts, _ = AccessAttempt.objects.filter(attempt_time__lt=now - cooloff).delete()
    failures, _ = AccessFailureLog.objects.filter(attempt_time__lt=now - timedelta(days=90)).delete()
    return {"sessions": sessions, "attempts": attempts, "failure_logs": failures}
