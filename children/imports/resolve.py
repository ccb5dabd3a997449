"""Resolve step of the bulk import: the posyandu a row names (dicts built once per import) and the child
a row is about (a constant number of queries per batch).

The NIK decides when the file carries it in full; else the identity rules (desa, normalised name, birth
date, sex), preferring the child at the row's posyandu. A row whose only identity match is a child of
another posyandu (never weighed at the row's), or a child outside the importer's scope, is not attached
to it: that would move a measurement between two children who may be namesakes, or change a record the
importer may not. It is reported as a duplicate candidate and the child queued for review on apply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import compress
from typing import Any

import numpy as np
from django.db import connection
from django.db.models import Model
from django.utils.translation import gettext as _

from children import identity
from children.imports.places import PlaceCells, PlaceFound, PlaceMaker
from children.imports.rows import (
    CHILD_LOAD,
    CHILD_UPDATE_FIELDS,
    DECIMALS_CHILD,
    DUPLICATE,
    REJECTED,
    WARNING,
    BatchIssues,
    ImportReport,
    ImportRow,
    contains,
    identity_key,
    key64,
    model_field,
    place_key,
    rounded,
    sorted_keys,
)
from children.models import Child, Measurement, Person
from children.partitions import archived_years
from convergence.models import Posyandu, Region, User
from convergence.names import place_name_key
from convergence.scoping import restrict, scope_for_user

Problem = tuple[str, str, str]  # (action, file field, message)


def array_text(values: Sequence[Any]) -> str:
    """A PostgreSQL array literal of ints or dates (no quoting needed)."""
    return "{" + ",".join(map(str, values)) + "}"


def rows_matching(
    model: type[Model], load: Sequence[str], keys: tuple[str, str], pairs: set[tuple[Any, Any]]
) -> list[dict[str, Any]]:
    """PostgreSQL: rows whose (keys) equal one of `pairs`, by index look-ups (a join to unnest())."""
    table = model._meta.db_table
    fields = [model_field(model, k) for k in keys]
    first, second = zip(*pairs, strict=True) if pairs else ((), ())
    columns = ", ".join(f"t.{model_field(model, name).column}" for name in load)
    types = [f.db_type(connection) if not f.is_relation else "bigint" for f in fields]
    with connection.cursor() as cursor:
        # Arrays sent as their text form ("{1,2,3}"): one string per array instead of psycopg
        # adapting thousands of elements one by one.
        cursor.execute(
            f"SELECT {columns} FROM {table} t "
            f"JOIN unnest(%s::text::{types[0]}[], %s::text::{types[1]}[]) AS k(a, b) "
            f"ON t.{fields[0].column} = k.a AND t.{fields[1].column} = k.b",
            [array_text(first), array_text(second)],
        )
        return [dict(zip(load, values, strict=True)) for values in cursor.fetchall()]


class PosyanduFinder:
    """The posyandu of a row's place names, and whether a child lies in the importer's scope."""

    def __init__(self, *, user: User, places: PlaceMaker | None) -> None:
        scope = scope_for_user(user)
        posyandu = Posyandu.objects.filter(is_active=True)
        if scope.kabupaten_prefix:
            posyandu = posyandu.filter(desa__code__startswith=f"{scope.kabupaten_prefix}.")
        self.by_names: dict[tuple[str, str, str], list[tuple[int, int]]] = {}
        self.by_desa: dict[tuple[str, str], list[tuple[int, int]]] = {}
        self.by_code: dict[tuple[str, str], list[tuple[int, int]]] = {}
        for pk, name, desa_id, desa_name, desa_code, kec_name in posyandu.values_list(
            "id", "name", "desa_id", "desa__name", "desa__code", "desa__parent__name"
        ):
            entry = (pk, desa_id)
            name_key = place_name_key(name)
            kec_key, desa_key = place_name_key(kec_name), place_name_key(desa_name)
            self.by_names.setdefault((kec_key, desa_key, name_key), []).append(entry)
            self.by_desa.setdefault((desa_key, name_key), []).append(entry)
            self.by_code.setdefault((desa_code.replace(".", ""), name_key), []).append(entry)
        self.allowed_posyandu = set(restrict(Posyandu.objects.all(), user).values_list("id", flat=True))
        desa = Region.objects.filter(level__in=["desa", "kelurahan"])
        self.allowed_desa = set(restrict(desa, user).values_list("id", flat=True))
        self.kader_posyandu = scope.posyandu_id if scope.role == "kader" else None
        self.places = places
        self.cache: dict[PlaceCells, PlaceFound] = {}

    def find(self, cells: PlaceCells) -> PlaceFound:
        """((posyandu id, desa id), "", "") or (None, message, column key); cached per distinct spelling
        of (kec, desa, posyandu, desa code, puskesmas, kab): a file has few."""
        found = self.cache.get(cells)
        if found is None:
            found = self.cache[cells] = self._find(cells)
        return found

    def _find(self, cells: PlaceCells) -> PlaceFound:
        kec, desa, name, desa_code = cells[:4]
        found, message, existing = self._lookup(kec, desa, name, desa_code)
        if self.places is not None:
            if found is not None:
                self.places.existing(cells, found[1])
            elif not existing:
                return self.places.missing(cells)
        return found, message, "posyandu"

    def _lookup(
        self, kec: str, desa: str, name: str, desa_code: str
    ) -> tuple[tuple[int, int] | None, str, bool]:
        """(posyandu id, desa id) or None with the message, and whether some posyandu of that name exists
        (ambiguous or out of scope: never created from the file then)."""
        name_key = place_name_key(name)
        if desa_code:
            found = self.by_code.get((desa_code.replace(".", "").strip(), name_key))
        elif kec:
            found = self.by_names.get((place_name_key(kec), place_name_key(desa), name_key))
        else:
            found = self.by_desa.get((place_name_key(desa), name_key))
        if not found:
            message = _("Posyandu tidak ditemukan di kabupaten Anda: periksa Kec, Desa/Kel dan Posyandu")
            return None, message, False
        if len(found) > 1:
            return None, _("Nama posyandu tidak unik di desa ini: gunakan templat dengan Kode Desa"), True
        if found[0][0] not in self.allowed_posyandu:
            return None, _("Posyandu di luar wilayah Anda"), True
        return found[0], "", False

    def child_in_scope(self, posyandu_id: int, desa_id: int) -> bool:
        if self.kader_posyandu is not None:
            return posyandu_id == self.kader_posyandu
        return desa_id in self.allowed_desa


@dataclass
class _Found:
    """What a batch's queries found: children by NIK hash, persons holding a NIK, identity candidates,
    (child, posyandu) pairs already weighed there, and children by their stored visit."""

    by_hash: dict[str, dict[str, Any]] = field(default_factory=dict)
    persons: dict[str, tuple[int, str, str]] = field(default_factory=dict)
    candidates: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    seen_at: set[tuple[int, int]] = field(default_factory=set)
    visits: dict[int, dict[str, Any]] = field(default_factory=dict)


@dataclass
class _Match:
    child: dict[str, Any] | None = None
    child_id: int = 0
    action: str = ""
    problem: Problem | None = None


def _visit_key(row: ImportRow) -> int:
    return hash((row.posyandu_id, row.measured_on, row.norm_name, row.birth_date, row.sex))


class Resolver:
    """Finds the child of each row; remembers the children this import creates, across batches."""

    def __init__(self, *, user: User, finder: PosyanduFinder, report: ImportReport, postgres: bool) -> None:
        self.user = user
        self.finder = finder
        self.report = report
        self.postgres = postgres
        # Years archived (their partition detached): their rows are refused one by one, in the dry run too.
        self.archived = archived_years()
        # The first 64 bits of every NIK hash in the registries, loaded once: a batch then queries only
        # the NIKs that may be there. Sorted numpy arrays: 8 bytes a child, 8 MB for a million.
        self.child_niks = sorted_keys(key64(h) for h in self._hashes(Child))
        self.person_niks = sorted_keys(key64(h) for h in self._hashes(Person))
        # (desa, birth date) of the registry's children, likewise: identity candidates are looked up
        # only for the rows whose desa and birth date some child of the registry shares.
        pairs = Child.objects.values_list("desa_id", "birth_date").distinct().iterator(10_000)
        self.child_places = sorted_keys(
            (place_key(desa_id, born) for desa_id, born in pairs if desa_id is not None and born is not None),
            np.int64,
        )
        # Children created by this import, found again by later rows (also across batches of a dry run,
        # where nothing is in the database): 64-bit keys keep a million-row file within memory.
        self.new_by_nik: dict[int, int] = {}
        self.new_by_identity: dict[int, int] = {}
        # Ids reserved for new children only grow, so "created by this import" is an id comparison:
        # negative in a dry run, from the first reserved id on in an apply.
        self.first_new_id: int | None = None
        self.changed_children: set[int] = set()
        self.next_temp_id = -1
        # (child, day) -> row number of the row that recorded it, for "Baris ganda".
        self.seen: dict[int, int] = {}
        self.label = str

    @staticmethod
    def _hashes(model: type[Child] | type[Person]) -> Any:
        return (
            model.objects.exclude(nik_hash="").order_by().values_list("nik_hash", flat=True).iterator(10_000)
        )

    def is_created(self, child_id: int) -> bool:
        return child_id < 0 or (self.first_new_id is not None and child_id >= self.first_new_id)

    # Queries ----------------------------------------------------------------------------------------------

    def _found(self, rows: list[ImportRow]) -> _Found:
        found = _Found()
        # Only NIKs the registry may hold are looked up (most NIKs of a register are new ones).
        hashes = [row.nik_hash for row in rows if row.nik_hash]
        keys = np.fromiter(map(key64, hashes), dtype=np.uint64, count=len(hashes))
        # A child's visits follow one another in a register: each NIK is looked up once.
        wanted_children = list(dict.fromkeys(compress(hashes, contains(self.child_niks, keys))))
        wanted_persons = list(dict.fromkeys(compress(hashes, contains(self.person_niks, keys))))
        if wanted_children:
            children = Child.objects.filter(nik_hash__in=wanted_children).values(*CHILD_LOAD)
            found.by_hash = {c["nik_hash"]: c for c in children}
        if wanted_persons:
            holders = Person.objects.filter(nik_hash__in=wanted_persons)
            # Named in the row's issue only when the importer may open the person (UU 27/2022).
            visible = set(restrict(holders, self.user).values_list("id", flat=True))
            found.persons = {
                h: (pk, name, desa) if pk in visible else (pk, "", "")
                for pk, name, desa, h in holders.values_list("id", "name", "desa__name", "nik_hash")
            }
        look = [row for row in rows if row.nik_hash not in found.by_hash]
        if look:
            found.candidates = self._candidates(look)
        if found.candidates:
            found.seen_at = self._posyandu_seen(look, found.candidates)
        found.visits = self._visits_matching([row for row in look if not row.nik_hash])
        return found

    def _candidates(self, look: list[ImportRow]) -> dict[int, list[dict[str, Any]]]:
        if self.postgres:
            places = np.fromiter(
                (place_key(row.desa_id, row.birth_date) for row in look), dtype=np.int64, count=len(look)
            )
            # The query runs even when no pair is left: a constant number of queries per batch.
            pairs = {
                (row.desa_id, row.birth_date) for row in compress(look, contains(self.child_places, places))
            }
            found: Any = rows_matching(Child, CHILD_LOAD, ("desa_id", "birth_date"), pairs)
        else:
            pairs = {(row.desa_id, row.birth_date) for row in look}
            found = Child.objects.filter(
                desa_id__in={p[0] for p in pairs}, birth_date__in={p[1] for p in pairs}
            ).values(*CHILD_LOAD)
        candidates: dict[int, list[dict[str, Any]]] = {}
        for child in found:
            key = identity_key(
                child["desa_id"], identity.normalise_name(child["name"]), child["birth_date"], child["sex"]
            )
            candidates.setdefault(key, []).append(child)
        return candidates

    def _posyandu_seen(
        self, rows: list[ImportRow], candidates: dict[int, list[dict[str, Any]]]
    ) -> set[tuple[int, int]]:
        """(child, posyandu) of the stored measurements of identity candidates registered elsewhere
        than the row's posyandu: a child weighed at a posyandu before (then moved) is still known there.
        One query, only when a batch has such rows."""
        wanted: dict[int, set[int]] = {}
        for row in rows:
            for child in candidates.get(
                identity_key(row.desa_id, row.norm_name, row.birth_date, row.sex), ()
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

    def _visits_matching(self, rows: list[ImportRow]) -> dict[int, dict[str, Any]]:
        """Children with a stored measurement at a row's (posyandu, day) under the row's identity (name,
        birth date, sex), by _visit_key: a child weighed at a posyandu of another desa than her own is
        found where she was weighed. One query, only when a batch has rows without a full NIK."""
        wanted = [row for row in rows if row.measured_on is not None]
        if not wanted:
            return {}
        found = (
            Measurement.objects.filter(
                posyandu_id__in={row.posyandu_id for row in wanted},
                measured_on__in={row.measured_on for row in wanted},
                child__birth_date__in={row.birth_date for row in wanted},
            )
            .order_by()
            .values_list("posyandu_id", "measured_on", *(f"child__{name}" for name in CHILD_LOAD))
        )
        visits: dict[int, dict[str, Any]] = {}
        ambiguous: set[int] = set()
        for posyandu_id, measured_on, *values in found:
            child = dict(zip(CHILD_LOAD, values, strict=True))
            norm = identity.normalise_name(child["name"])
            key = hash((posyandu_id, measured_on, norm, child["birth_date"], child["sex"]))
            if visits.setdefault(key, child)["id"] != child["id"]:
                ambiguous.add(key)
        # Two namesakes weighed at one posyandu on one day: left to the identity rules.
        for key in ambiguous:
            del visits[key]
        return visits

    # Matching ---------------------------------------------------------------------------------------------

    def resolve(
        self, rows: list[ImportRow], issues: BatchIssues, label: Any
    ) -> tuple[list[ImportRow], list[ImportRow]]:
        """Child of each row; returns (accepted rows, new children's first rows). Template rows without
        a measurement (`row.blank`) are settled here: unchanged or rejected, never accepted."""
        self.label = label
        found = self._found(rows)
        accepted: list[ImportRow] = []
        new_rows: list[ImportRow] = []
        for row in rows:
            match = self._match(row, found)
            if row.blank:
                self._settle_blank(row, match, issues)
            elif self._accept(row, match, issues, new_rows):
                accepted.append(row)
        return accepted, new_rows

    def _match(self, row: ImportRow, found: _Found) -> _Match:
        nik_key = key64(row.nik_hash) if row.nik_hash else 0
        key = identity_key(row.desa_id, row.norm_name, row.birth_date, row.sex)
        match = _Match()
        if nik_key and nik_key in self.new_by_nik:
            match.child_id = self.new_by_nik[nik_key]
        elif row.nik_hash in found.by_hash:
            match.child = found.by_hash[row.nik_hash]
        elif row.nik_hash in found.persons:
            pk, name, desa = found.persons[row.nik_hash]
            message = (
                _("NIK milik penduduk lain: %(name)s di %(desa)s (nomor data %(pk)s)")
                % {"name": name, "desa": desa, "pk": pk}
                if name
                else _("NIK milik penduduk lain di luar wilayah Anda")
            )
            match.problem = (REJECTED, "nik", message)
        elif key in self.new_by_identity:
            match.child_id = self.new_by_identity[key]
        elif found.visits and _visit_key(row) in found.visits:
            match.child = found.visits[_visit_key(row)]
        elif key in found.candidates:
            self._match_candidate(row, found, key, match)
        return match

    def _match_candidate(self, row: ImportRow, found: _Found, key: int, match: _Match) -> None:
        """Of the children sharing a row's desa, name, birth date and sex: the one at the row's posyandu,
        else one the importer may see, else the first."""
        child = match.child = min(
            found.candidates[key],
            key=lambda c: (
                c["posyandu_id"] != row.posyandu_id,
                not self.finder.child_in_scope(c["posyandu_id"], c["desa_id"]),
                c["id"],
            ),
        )
        if (
            child["posyandu_id"] != row.posyandu_id
            and (child["id"], row.posyandu_id) not in found.seen_at
            and not self.is_created(child["id"])
        ):
            match.problem = self._elsewhere(child, row)
        elif row.nik_hash and child["nik_hash"] and child["nik_hash"] != row.nik_hash:
            message = _(
                "Anak dengan nama, tanggal lahir dan jenis kelamin sama sudah terdaftar "
                "dengan NIK lain (nomor data %(pk)s): periksa di antrean duplikat"
            ) % {"pk": child["id"]}
            match.problem = (DUPLICATE, "nik", message)
        elif row.nik_hash and not child["nik_hash"]:
            match.action = "merge"

    def _elsewhere(self, child: dict[str, Any], row: ImportRow) -> Problem:
        """The duplicate issue of a row whose child is registered at another posyandu or outside the
        importer's scope: the row is not imported and, on apply, the child is queued for review.

        Attaching the row could move a measurement between namesakes, and a child outside the scope is
        never changed; the message names the child only to a role that may open it (UU 27/2022)."""
        if not row.blank:  # a row without a measurement moves nothing: no review
            self.report.review_child_ids.add(child["id"])
        if self.finder.child_in_scope(child["posyandu_id"], child["desa_id"]):
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

    def _accept(self, row: ImportRow, match: _Match, issues: BatchIssues, new_rows: list[ImportRow]) -> bool:
        """Whether the row goes on to be written (else its issue is reported); sets its child."""
        child, child_id, action, problem = match.child, match.child_id, match.action, match.problem
        if row.day.year in self.archived:
            problem = (REJECTED, "measured_on", self.archived[row.day.year])
        if problem is None and child is not None:
            child_id = child["id"]
            if self.is_created(child_id):
                child = None
            elif not self.finder.child_in_scope(child["posyandu_id"], child["desa_id"]):
                problem = self._elsewhere(child, row)
        if problem is not None:
            issues.rejected += 1
            issues.add(row.number, problem[0], self.label(problem[1]), problem[2])
            return False
        if not child_id:
            child_id = self._new_child(row, new_rows)
            action = "create_child"
        seen_key = child_id * 1_000_000 + row.day.toordinal()
        first = self.seen.get(seen_key)
        if first is not None:
            message = _("Baris ganda untuk anak dan tanggal yang sama (baris %(row)s)") % {"row": first}
            issues.reject(row.number, [(self.label("measured_on"), message)])
            return False
        self.seen[seen_key] = row.number
        row.child_id = child_id
        if child is not None:
            action = self._changes(row, child, action)
        row.child_action = action
        return True

    def _new_child(self, row: ImportRow, new_rows: list[ImportRow]) -> int:
        nik_key = key64(row.nik_hash) if row.nik_hash else 0
        key = identity_key(row.desa_id, row.norm_name, row.birth_date, row.sex)
        child_id = self.next_temp_id
        self.next_temp_id -= 1
        row.keys = (nik_key, key)
        new_rows.append(row)
        if nik_key:
            self.new_by_nik[nik_key] = child_id
        self.new_by_identity[key] = child_id
        return child_id

    def _changes(self, row: ImportRow, child: dict[str, Any], action: str) -> str:
        """Record what the row changes of a stored child; returns the row's child action."""
        changes = child_changes(child, row)
        if action == "merge":
            changes["nik"] = row.nik
            # Later rows bringing this NIK (under another spelling of the name) find the child.
            self.new_by_nik[key64(row.nik_hash)] = row.child_id
        elif changes:
            action = "update_child"
        row.existing = {"child": child, "changes": changes} if changes else None
        if changes:
            if row.child_id in self.changed_children:
                action = ""  # counted once per child (a later row of the same child)
            self.changed_children.add(row.child_id)
        return action

    def _settle_blank(self, row: ImportRow, match: _Match, issues: BatchIssues) -> None:
        """A row without a measurement (the register template as downloaded): unchanged when it names
        a child registered in the importer's scope (or created earlier in the file), else rejected."""
        problem = match.problem
        child = match.child
        if problem is None or problem[0] != REJECTED:
            problem = None
            if child is None and not match.child_id:
                message = _(
                    "Anak belum terdaftar dan baris tidak berisi pengukuran: isi %(day)s dan "
                    "%(weight)s atau %(height)s"
                ) % {
                    "day": self.label("measured_on"),
                    "weight": self.label("weight_kg"),
                    "height": self.label("height_cm"),
                }
                problem = (REJECTED, "measured_on", message)
            elif (
                child is not None
                and not self.is_created(child["id"])
                and not self.finder.child_in_scope(child["posyandu_id"], child["desa_id"])
            ):
                problem = (
                    REJECTED,
                    "nik" if row.nik_hash else "name",
                    _("Anak terdaftar di luar wilayah Anda"),
                )
        if problem is not None:
            issues.rejected += 1
            issues.add(row.number, problem[0], self.label(problem[1]), problem[2])
            return
        self.report.summary["unchanged"] += 1
        # Its own warnings still stand (a NIK disagreeing with JK or Tgl Lahir): the template is how
        # a posyandu checks its register.
        for key, message in row.warnings:
            issues.add(row.number, WARNING, self.label(key), message)


def child_changes(child: dict[str, Any], row: ImportRow) -> dict[str, Any]:
    """Fields the file fills or corrects; a blank cell never blanks a field of the registry."""
    changes = {}
    for name in CHILD_UPDATE_FIELDS:
        new = row.child_values.get(name)
        if new is None or new == "":
            continue
        old = child[name]
        if name in DECIMALS_CHILD:
            old = rounded(old, DECIMALS_CHILD[name])
        if old != new:
            changes[name] = new
    return changes
