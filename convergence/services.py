"""Writes of the convergence backbone: regions, puskesmas, posyandu."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from convergence.codes import (
    DESA_LEVELS,
    KABUPATEN_LEVELS,
    PARENT_LEVELS,
    REGION_LEVELS,
    Level,
    check_region_code,
)
from convergence.models import Posyandu, Puskesmas, Region
from convergence.names import GENERATED_CODE_PREFIX, generated_code_next, place_name_key

REGION_CSV_COLUMNS = ["code", "name", "level", "parent_code"]
# The example posyandu of the posyandu list template (a region list holding only posyandu rows).
POSYANDU_LIST_EXAMPLE = ("P01", "Mawar", "posyandu")
# Rows per INSERT/UPDATE and codes per IN (...): well under SQLite's 32,766 bound variables.
_BATCH = 2000


class RegionLoadError(Exception):
    """The file was refused; `errors` lists every bad row, and nothing was saved."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class RegionLoadResult:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    # Regions the file no longer lists (retired) and retired ones it lists again (restored), per level.
    retired: dict[str, int] = field(default_factory=dict)
    restored: dict[str, int] = field(default_factory=dict)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        counters = (self.created, self.updated, self.retired, self.restored)
        return any(sum(counter.values()) for counter in counters)


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
    in_db = {
        code: level
        for code, _pk, _name, level, *_rest in _regions_by_code(parent_codes | {r.code for r in rows})
    }
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


def regions_load(*, text: str, retire_missing: bool = False) -> RegionLoadResult:
    """Load the official region list (CSV `code,name,level,parent_code`) all or nothing.

    Idempotent: reloading the same file changes nothing. A retired region the file lists is brought
    back. With `retire_missing`, the regions the file no longer lists are retired (see
    `_regions_retire_missing`). Bulk writes, level by level: a national list (about 91,600 rows) is a
    few hundred queries. Raises RegionLoadError listing every bad row.
    """
    errors = _RowErrors()
    rows = _parse_region_rows(text, errors)
    _check_rows(rows, errors)
    if messages := errors.sorted():
        raise RegionLoadError(messages)
    result = RegionLoadResult()
    with transaction.atomic():
        known = {
            code: _Known(pk, name, parent_id, retired_at)
            for code, pk, name, _level, parent_id, retired_at in _regions_by_code(
                {r.code for r in rows} | {r.parent_code for r in rows}
            )
        }
        for level in REGION_LEVELS:
            _upsert_regions([r for r in rows if r.level is level], level, known, result)
        if retire_missing:
            _regions_retire_missing(rows, result)
        new_puskesmas = _upsert_local(
            (r for r in rows if r.level is Level.PUSKESMAS), known, Puskesmas, "kecamatan", result
        )
        _upsert_local((r for r in rows if r.level is Level.POSYANDU), known, Posyandu, "desa", result)
        _assign_single_puskesmas(new_puskesmas)
    return result


@dataclass
class _Known:
    """A region already stored (or just created): what the upsert compares a row with."""

    pk: int
    name: str
    parent_id: int | None
    retired_at: datetime | None


def _regions_by_code(codes: set[str]) -> list[tuple[str, int, str, str, int | None, datetime | None]]:
    """(code, pk, name, level, parent_id, retired_at) of the regions with these codes, read in batches.

    Tuples, not model instances: a national list holds about 91,600 codes.
    """
    ordered = sorted(code for code in codes if code)
    found: list[tuple[str, int, str, str, int | None, datetime | None]] = []
    for start in range(0, len(ordered), _BATCH):
        found += (
            Region.objects.filter(code__in=ordered[start : start + _BATCH])
            .order_by()
            .values_list("code", "pk", "name", "level", "parent_id", "retired_at")
        )
    return found


def _bump(counter: dict[str, int], level: str, count: int = 1) -> None:
    if count:
        counter[level] = counter.get(level, 0) + count


def _upsert_regions(
    rows: list[_Row], level: Level, known: dict[str, _Known], result: RegionLoadResult
) -> None:
    """Create, rename, re-parent or bring back the regions of one level in bulk (parents come first)."""
    new: list[Region] = []
    changed: list[Region] = []
    for row in rows:
        parent_id = known[row.parent_code].pk if row.parent_code else None
        region = known.get(row.code)
        if region is None:
            new.append(Region(code=row.code, name=row.name, level=level.value, parent_id=parent_id))
            continue
        moved = region.name != row.name or region.parent_id != parent_id
        if not moved and region.retired_at is None:
            result.unchanged += 1
            continue
        if moved:
            _bump(result.updated, level.value)
        if region.retired_at is not None:
            _bump(result.restored, level.value)
        region.name, region.parent_id, region.retired_at = row.name, parent_id, None
        changed.append(Region(pk=region.pk, name=row.name, parent_id=parent_id, retired_at=None))
    # bulk_create sets the primary keys (PostgreSQL and SQLite 3.35+): the next level needs them.
    Region.objects.bulk_create(new, batch_size=_BATCH)
    Region.objects.bulk_update(changed, ["name", "parent", "retired_at"], batch_size=_BATCH)
    for created in new:
        known[created.code] = _Known(created.pk, created.name, created.parent_id, None)
    _bump(result.created, level.value, len(new))


def _regions_retire_missing(rows: list[_Row], result: RegionLoadResult) -> None:
    """Retire the regions the file no longer lists, of the levels it carries, under its provinsi and kabupaten.

    Desa and kelurahan count as one level, as kabupaten and kota do (a kelurahan made a desa gets a new
    code). Puskesmas and posyandu are local and never retired here. A file covering one kabupaten
    that also lists its provinsi covers that whole provinsi: leave the provinsi row out of such a file.
    """
    groups = (KABUPATEN_LEVELS, (Level.KECAMATAN,), DESA_LEVELS)
    carried = {row.level for row in rows}
    listed = {row.code for row in rows if row.level in REGION_LEVELS}
    provinsi = {row.code for row in rows if row.level is Level.PROVINSI}
    kabupaten = {row.code for row in rows if row.level in KABUPATEN_LEVELS and row.code[:2] not in provinsi}
    if not provinsi | kabupaten:
        return
    under = Q()
    for code in sorted(provinsi | kabupaten):
        under |= Q(code__startswith=f"{code}.")
    levels = [level.value for group in groups if carried & set(group) for level in group]
    # Compared in Python: the codes of a national list are too many for one IN (...) clause.
    missing = [
        (pk, level)
        for pk, code, level in Region.objects.active()
        .filter(under, level__in=levels)
        .values_list("pk", "code", "level")
        if code not in listed
    ]
    now = timezone.now()
    for start in range(0, len(missing), _BATCH):
        batch = missing[start : start + _BATCH]
        Region.objects.filter(pk__in=[pk for pk, _level in batch]).update(retired_at=now)
    for _pk, level in missing:
        _bump(result.retired, level)


def _upsert_local(
    rows: Iterable[_Row],
    known: dict[str, _Known],
    model: type[Puskesmas] | type[Posyandu],
    parent_field: str,
    result: RegionLoadResult,
) -> list[Puskesmas | Posyandu]:
    rows = list(rows)
    parent_ids = {known[row.parent_code].pk for row in rows}
    siblings: dict[int, list[Puskesmas | Posyandu]] = {}
    for sibling in model.objects.filter(**{f"{parent_field}_id__in": parent_ids}).order_by("pk"):
        siblings.setdefault(getattr(sibling, f"{parent_field}_id"), []).append(sibling)
    existing = {(parent_id, unit.code): unit for parent_id, units in siblings.items() for unit in units}
    listed = {(known[row.parent_code].pk, row.code) for row in rows}
    created: list[Puskesmas | Posyandu] = []
    renamed: list[Puskesmas | Posyandu] = []
    for row in rows:
        parent_id = known[row.parent_code].pk
        obj = existing.get((parent_id, row.code))
        if obj is None:
            obj = _same_name_unlisted(siblings.get(parent_id, []), row.name, listed, parent_id)
            if obj is not None:
                # Created from an e-PPGBM file under a generated code (or re-coded): the official list
                # names it, so it takes the official code instead of becoming a second one.
                obj.code, obj.name = row.code, row.name
                existing[(parent_id, row.code)] = obj
                renamed.append(obj)
                continue
            created.append(model(**{f"{parent_field}_id": parent_id, "code": row.code, "name": row.name}))
        elif obj.name != row.name:
            obj.name = row.name
            renamed.append(obj)
        else:
            result.unchanged += 1
    model.objects.bulk_create(created, batch_size=_BATCH)  # type: ignore[arg-type]
    model.objects.bulk_update(renamed, ["code", "name"], batch_size=_BATCH)  # type: ignore[arg-type]
    level = Level.PUSKESMAS if model is Puskesmas else Level.POSYANDU
    _bump(result.created, level.value, len(created))
    _bump(result.updated, level.value, len(renamed))
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
        if not isinstance(puskesmas, Puskesmas):
            raise TypeError(f"not a puskesmas: {puskesmas!r}")
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


def region_check_active(*, region_id: int | None, field: str = "desa") -> None:
    """Refuse a retired region for a new record, or for a record moved there (ValidationError on `field`).

    Records already in a retired region keep it: history stays where it was recorded.
    """
    if region_id is None:
        return
    region = Region.objects.filter(pk=region_id, retired_at__isnull=False).first()
    if region is not None:
        raise ValidationError(
            {
                field: [
                    _(
                        "%(name)s tidak berlaku lagi dalam daftar wilayah Kemendagri; "
                        "pilih desa/kelurahan yang berlaku."
                    )
                    % {"name": region.display_name}
                ]
            },
            code="region_retired",
        )


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
