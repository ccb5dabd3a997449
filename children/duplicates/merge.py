"""Deciding on a queued pair: dismissing it, or merging the two records with an audit trail (MergeLog)."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from typing import Any

import numpy as np
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction
from django.db.models import (
    ForeignObjectRel,
    Min,
    Q,
)
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.models import HistoricalChanges

from children import compute
from children.access import can_merge, check_registry_write
from children.changes import measurements_changed
from children.duplicates.finding import Kind, Status
from children.models import (
    AdolescentGirl,
    AdolescentTTD,
    Child,
    DuplicateCandidate,
    Measurement,
    MergeLog,
    Person,
)
from convergence.models import User
from convergence.scoping import check_can_edit
from convergence.tombstones import records_delete

# Fields a merge never copies from the removed record: identity, bookkeeping, and the NIK pair (moved
# on its own because of the unique constraint).
_NOT_FILLED = frozenset({"id", "nik_encrypted", "nik_hash", "created_at", "updated_at", "import_job"})


def _check_reviewer(user: User, candidate: DuplicateCandidate | None) -> None:
    if not can_merge(user):
        raise PermissionDenied
    if candidate is not None:
        check_can_edit(user, candidate)


def duplicate_dismiss(*, user: User, candidate: DuplicateCandidate, note: str) -> DuplicateCandidate:
    """Mark an open pair "bukan duplikat" with the reviewer's note; it is never queued again."""
    _check_reviewer(user, candidate)
    note = note.strip()
    if not note:
        raise ValidationError({"note": [_("Tulis alasan mengapa keduanya bukan orang yang sama.")]})
    with transaction.atomic():
        candidate = DuplicateCandidate.objects.select_for_update().get(pk=candidate.pk)
        if candidate.status != Status.OPEN:
            raise ValidationError(_("Calon duplikat ini sudah ditinjau."), code="resolved")
        candidate.status = Status.DISMISSED
        candidate.resolved_by = user
        candidate.resolved_at = timezone.now()
        candidate.note = note
        candidate.save(update_fields=["status", "resolved_by", "resolved_at", "note"])
    return candidate


def _snapshot(obj: models.Model) -> dict[str, Any]:
    """Every concrete column of `obj` as JSON (the NIK only as its ciphertext, never the lookup hash)."""
    values = {
        field.attname: field.value_from_object(obj)
        for field in obj._meta.concrete_fields
        if field.attname != "nik_hash"
    }
    return json.loads(json.dumps(values, cls=DjangoJSONEncoder))


def _is_blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _fill_blanks(survivor: models.Model, removed: models.Model) -> list[str]:
    """Copy the removed record's values into the survivor's empty fields; the names of the fields filled."""
    filled = []
    for field in survivor._meta.concrete_fields:
        if field.name in _NOT_FILLED or field.primary_key:
            continue
        mine, theirs = getattr(survivor, field.attname), getattr(removed, field.attname)
        if _is_blank(mine) and not _is_blank(theirs):
            setattr(survivor, field.attname, theirs)
            filled.append(field.name)
    return filled


def _take_nik(survivor: Child | Person, removed: Child | Person) -> bool:
    """Give the survivor the removed record's NIK when it has none (cleared on the removed row first:
    the NIK hash is unique, and both rows exist until the end of the merge)."""
    if survivor.nik_hash or not removed.nik_hash:
        return False
    encrypted, digest = removed.nik_encrypted, removed.nik_hash
    type(removed).objects.filter(pk=removed.pk).update(nik_encrypted="", nik_hash="")
    removed.nik_encrypted, removed.nik_hash = "", ""
    survivor.nik_encrypted, survivor.nik_hash = encrypted, digest
    return True


def _repoint_relations(
    model: type[models.Model], survivor: models.Model, removed: models.Model, handled: set[str]
) -> dict[str, int]:
    """Point every row of another table that references `removed` at `survivor`.

    Walks the model's reverse relations generically, so a relation added later (interventions received,
    PMT episodes) moves too instead of being deleted with the removed record. History rows stay as they
    were written. Returns counts by "<app>.<model>.<field>".
    """
    moved: dict[str, int] = {}
    for relation in model._meta.get_fields(include_hidden=True):
        if not relation.auto_created or relation.concrete or relation.many_to_many:
            continue
        # What is left are reverse foreign keys and one-to-ones, each from a model class.
        if not isinstance(relation, ForeignObjectRel):
            continue
        related_model = relation.related_model
        if not isinstance(related_model, type) or issubclass(related_model, HistoricalChanges):
            continue
        name = relation.field.name
        key = f"{related_model._meta.label_lower}.{name}"
        if key in handled:
            continue
        rows = related_model._base_manager.filter(**{name: removed})
        if (
            relation.one_to_one
            and rows.exists()
            and related_model._base_manager.filter(**{name: survivor}).exists()
        ):
            raise ValidationError(
                _("Kedua data sama-sama punya %(what)s: gabungkan itu lebih dahulu.")
                % {"what": related_model._meta.verbose_name}
            )
        try:
            with transaction.atomic():
                touched = {"updated_at": timezone.now()} if _has_field(related_model, "updated_at") else {}
                count = rows.update(**{name: survivor}, **touched)
        except IntegrityError as error:
            raise ValidationError(
                _("Data %(what)s tidak dapat dipindahkan tanpa bentrok: periksa dahulu.")
                % {"what": related_model._meta.verbose_name_plural}
            ) from error
        if count:
            moved[key] = count
    return moved


def _repoint_candidates(
    *,
    kind: str,
    survivor: models.Model,
    removed: models.Model,
    current: DuplicateCandidate | None,
    user: User,
) -> int:
    """Move the removed record's other queue entries to the survivor (lower id first again)."""
    a_field, b_field = ("child_a_id", "child_b_id") if kind == Kind.CHILD else ("person_a_id", "person_b_id")
    others = DuplicateCandidate.objects.select_for_update().filter(
        Q(**{a_field: removed.pk}) | Q(**{b_field: removed.pk})
    )
    if current is not None:
        others = others.exclude(pk=current.pk)
    moved = 0
    for candidate in others:
        a, b = getattr(candidate, a_field), getattr(candidate, b_field)
        other = b if a == removed.pk else a
        if other == survivor.pk or other is None:
            # This very pair, merged without naming its queue entry.
            if candidate.status == Status.OPEN:
                candidate.status, candidate.resolved_by, candidate.resolved_at = (
                    Status.MERGED,
                    user,
                    timezone.now(),
                )
                candidate.save(update_fields=["status", "resolved_by", "resolved_at"])
            continue
        lo, hi = sorted((survivor.pk, other))
        if DuplicateCandidate.objects.filter(**{a_field: lo, b_field: hi}).exists():
            # The survivor is already paired with that record; an open copy of the pair adds nothing,
            # a decided one keeps its decision (its removed side becomes empty).
            if candidate.status == Status.OPEN:
                candidate.delete()
            continue
        setattr(candidate, a_field, lo)
        setattr(candidate, b_field, hi)
        candidate.save(update_fields=[a_field.removesuffix("_id"), b_field.removesuffix("_id")])
        moved += 1
    return moved


def _lock_pair(
    model: type[Child] | type[Person], survivor: Child | Person, removed: Child | Person
) -> tuple[Any, Any]:
    if survivor.pk == removed.pk:
        raise ValidationError(_("Pilih dua data yang berbeda."))
    # Locked in id order, so two merges touching the same records cannot deadlock.
    locked = {
        row.pk: row
        for row in model.objects.select_for_update().filter(pk__in=[survivor.pk, removed.pk]).order_by("pk")
    }
    if len(locked) != 2:
        raise ValidationError(_("Salah satu data sudah digabung atau dihapus."))
    return locked[survivor.pk], locked[removed.pk]


def _lock_candidate(
    candidate: DuplicateCandidate | None, kind: str, pair: set[int]
) -> DuplicateCandidate | None:
    if candidate is None:
        return None
    candidate = DuplicateCandidate.objects.select_for_update().get(pk=candidate.pk)
    if candidate.status != Status.OPEN:
        raise ValidationError(_("Calon duplikat ini sudah ditinjau."), code="resolved")
    ids = (
        {candidate.child_a_id, candidate.child_b_id}
        if kind == Kind.CHILD
        else {
            candidate.person_a_id,
            candidate.person_b_id,
        }
    )
    if candidate.kind != kind or ids != pair:
        raise ValidationError(_("Data yang dipertahankan harus salah satu dari pasangan ini."))
    return candidate


def _resolve(candidate: DuplicateCandidate | None, user: User) -> None:
    if candidate is None:
        return
    candidate.status = Status.MERGED
    candidate.resolved_by = user
    candidate.resolved_at = timezone.now()
    candidate.save(update_fields=["status", "resolved_by", "resolved_at"])


def _decimal(value: Decimal | None) -> float:
    return float("nan") if value is None else float(value)


def _measurements_regrow(*, child: Child, pks: list[int]) -> None:
    """Recompute age and z-scores of measurements moved to a child with another birth date or sex."""
    rows = list(Measurement.objects.filter(pk__in=pks).order_by("pk"))
    if not rows:
        return
    age = np.array([(m.measured_on - child.birth_date).days for m in rows])
    if (age < 0).any():
        raise ValidationError(
            {"birth_date": [_("Ada pengukuran sebelum tanggal lahir data yang dipertahankan.")]}
        )
    columns = compute.measurement_growth_columns(
        sex=np.full(len(rows), child.sex),
        age_days=age,
        weight_kg=np.array([_decimal(m.weight_kg) for m in rows]),
        height_cm=np.array([_decimal(m.height_cm) for m in rows]),
        position=np.array([m.position for m in rows]),
        oedema=np.array([m.oedema for m in rows]),
        head_circumference_cm=np.array([_decimal(m.head_circumference_cm) for m in rows]),
        lila_cm=np.array([_decimal(m.lila_cm) for m in rows]),
    )
    for i, measurement in enumerate(rows):
        measurement.age_days = int(age[i])
        adjusted = float(columns["adjusted_height_cm"][i])
        measurement.adjusted_height_cm = None if np.isnan(adjusted) else round(adjusted, 1)
        measurement.error_flags = int(columns["error"][i])
        for name in compute.GROWTH_FIELDS:
            value = columns[name][i].item()
            setattr(measurement, name, None if isinstance(value, float) and np.isnan(value) else value)
    now = timezone.now()
    for measurement in rows:
        measurement.updated_at = now  # bulk_update skips auto_now: API clients sync by it
    Measurement.objects.bulk_update(
        rows, ["age_days", "adjusted_height_cm", "error_flags", *compute.GROWTH_FIELDS, "updated_at"]
    )


def _has_field(model: type[models.Model], name: str) -> bool:
    return any(field.name == name for field in model._meta.concrete_fields)


def _measurements_move(
    *, user: User, survivor: Child, removed: Child, snapshot: dict[str, Any]
) -> tuple[dict[str, Any], datetime.date | None]:
    """Move the removed child's measurements to the survivor (both locked by the caller's transaction).

    On a day both have one, the survivor's stays and the removed one's values go to
    snapshot["measurements_conflicting"]. Returns the counts for MergeLog.moved and the earliest day moved.
    """
    placed = list(
        Measurement.objects.filter(child__in=[survivor, removed]).values_list("measured_on", "posyandu_id")
    )
    measurements_changed(
        desa_ids=[survivor.desa_id, removed.desa_id],
        posyandu_ids={posyandu for _, posyandu in placed},
        days=[day for day, _ in placed],
    )
    survivor_days = set(Measurement.objects.filter(child=survivor).values_list("measured_on", flat=True))
    conflicting = list(
        Measurement.objects.filter(child=removed, measured_on__in=survivor_days).order_by("measured_on")
    )
    snapshot["measurements_conflicting"] = [_snapshot(m) for m in conflicting]
    # A day both children were weighed keeps the survivor's measurement: the other merges into it.
    kept = dict(
        Measurement.objects.filter(
            child=survivor, measured_on__in=[m.measured_on for m in conflicting]
        ).values_list("measured_on", "pk")
    )
    for measurement in conflicting:
        measurement._history_user = user  # type: ignore[attr-defined]
    records_delete(conflicting, merged_into={(Measurement, m.pk): kept[m.measured_on] for m in conflicting})
    to_move = Measurement.objects.filter(child=removed)
    earliest = to_move.aggregate(day=Min("measured_on"))["day"]
    moved_ids = list(to_move.values_list("pk", flat=True))
    Measurement.objects.filter(pk__in=moved_ids).update(child=survivor, updated_at=timezone.now())
    if (survivor.birth_date, survivor.sex) != (removed.birth_date, removed.sex):
        _measurements_regrow(child=survivor, pks=moved_ids)
    moved: dict[str, Any] = {
        "measurements": len(moved_ids),
        "measurements_conflicting": len(conflicting),
    }
    return moved, earliest


def child_merge(
    *, user: User, survivor: Child, removed: Child, candidate: DuplicateCandidate | None = None
) -> MergeLog:
    """Merge `removed` into `survivor` (puskesmas officer or Bappeda, both records in scope).

    Every measurement moves; on a day both have one, the survivor's stays and the removed one's values
    go to MergeLog.removed["measurements_conflicting"]. Every other row pointing at the removed child
    moves too (generic over the model's relations). The survivor's empty fields (NIK included) are
    filled from the removed record, its N/T statuses recomputed, and the removed child deleted with its
    history row credited to `user`. Locks both children for the transaction.
    """
    _check_reviewer(user, candidate)
    check_registry_write(user, survivor)
    check_registry_write(user, removed)
    from children.services import child_weight_gain_refresh

    with transaction.atomic():
        survivor, removed = _lock_pair(Child, survivor, removed)
        candidate = _lock_candidate(candidate, Kind.CHILD, {survivor.pk, removed.pk})
        snapshot = _snapshot(removed)

        moved, earliest = _measurements_move(user=user, survivor=survivor, removed=removed, snapshot=snapshot)
        moved.update(
            _repoint_relations(
                Child,
                survivor,
                removed,
                handled={
                    "children.measurement.child",
                    "children.duplicatecandidate.child_a",
                    "children.duplicatecandidate.child_b",
                    "children.mergelog.survivor_child",
                },
            )
        )
        moved["duplicate_candidates"] = _repoint_candidates(
            kind=Kind.CHILD, survivor=survivor, removed=removed, current=candidate, user=user
        )
        MergeLog.objects.filter(survivor_child=removed).update(survivor_child=survivor)
        moved["filled_fields"] = _fill_blanks(survivor, removed)
        if _take_nik(survivor, removed):
            moved["filled_fields"].append("nik")
        survivor._history_user = user  # type: ignore[attr-defined]
        survivor.save()
        if earliest is not None:
            child_weight_gain_refresh(child=survivor, since=earliest)
        log = MergeLog.objects.create(
            kind=Kind.CHILD,
            survivor_child=survivor,
            removed_id=removed.pk,
            removed=snapshot,
            moved=moved,
            candidate=candidate,
            desa_id=survivor.desa_id,
            merged_by=user,
        )
        removed._history_user = user  # type: ignore[attr-defined]
        records_delete([removed], merged_into={(Child, removed.pk): survivor.pk})
        _resolve(candidate, user)
    return log


def _adolescent_merge(*, survivor: Person, removed: Person, snapshot: dict[str, Any]) -> dict[str, int]:
    """Keep the survivor's adolescent record (taking the removed one's weekly TTD), or move the removed one."""
    theirs = AdolescentGirl.objects.filter(person=removed).first()
    if theirs is None:
        return {}
    mine = AdolescentGirl.objects.filter(person=survivor).first()
    if mine is None:
        AdolescentGirl.objects.filter(pk=theirs.pk).update(person=survivor, updated_at=timezone.now())
        return {"children.adolescentgirl.person": 1}
    weeks = set(AdolescentTTD.objects.filter(girl=mine).values_list("week_start", flat=True))
    conflicting = AdolescentTTD.objects.filter(girl=theirs, week_start__in=weeks).order_by("week_start")
    snapshot["adolescent"] = _snapshot(theirs)
    snapshot["adolescent_ttd_conflicting"] = [_snapshot(row) for row in conflicting]
    conflicting.delete()
    moved = AdolescentTTD.objects.filter(girl=theirs).update(girl=mine)
    filled = _fill_blanks(mine, theirs)
    if filled:
        mine.save(update_fields=[*filled, "updated_at"])
    return {"children.adolescentttd.girl": moved}


def person_merge(
    *, user: User, survivor: Person, removed: Person, candidate: DuplicateCandidate | None = None
) -> MergeLog:
    """Merge person `removed` into `survivor`: children, pregnancies, adolescent TTD, family and NIK.

    Same rules as child_merge; the survivor keeps its own adolescent record and takes the removed one's
    weekly TTD rows (a week both have stays the survivor's and is kept in the log). Locks both persons.
    """
    _check_reviewer(user, candidate)
    check_registry_write(user, survivor)
    check_registry_write(user, removed)
    from children.services import pregnancy_refresh

    with transaction.atomic():
        survivor, removed = _lock_pair(Person, survivor, removed)
        candidate = _lock_candidate(candidate, Kind.PERSON, {survivor.pk, removed.pk})
        if survivor.sex != "P" and removed.pregnancies.exists():
            raise ValidationError(
                {"sex": [_("Data yang dipertahankan harus perempuan: ada data kehamilan.")]}
            )
        snapshot = _snapshot(removed)
        # Both adolescent records: the removed person's goes with her (cascade) into the survivor's.
        girls = dict(
            AdolescentGirl.objects.filter(person__in=[survivor, removed]).values_list("person_id", "pk")
        )
        moved: dict[str, Any] = _adolescent_merge(survivor=survivor, removed=removed, snapshot=snapshot)
        pregnancy_ids = list(removed.pregnancies.values_list("pk", flat=True))
        moved.update(
            _repoint_relations(
                Person,
                survivor,
                removed,
                handled={
                    "children.adolescentgirl.person",
                    "children.duplicatecandidate.person_a",
                    "children.duplicatecandidate.person_b",
                    "children.mergelog.survivor_person",
                },
            )
        )
        moved["duplicate_candidates"] = _repoint_candidates(
            kind=Kind.PERSON, survivor=survivor, removed=removed, current=candidate, user=user
        )
        MergeLog.objects.filter(survivor_person=removed).update(survivor_person=survivor)
        moved["filled_fields"] = _fill_blanks(survivor, removed)
        if _take_nik(survivor, removed):
            moved["filled_fields"].append("nik")
        survivor._history_user = user  # type: ignore[attr-defined]
        survivor.save()
        # The 4T risk flags depend on the mother's birth date.
        for pregnancy in survivor.pregnancies.filter(pk__in=pregnancy_ids).select_related("mother"):
            pregnancy_refresh(pregnancy=pregnancy)
        log = MergeLog.objects.create(
            kind=Kind.PERSON,
            survivor_person=survivor,
            removed_id=removed.pk,
            removed=snapshot,
            moved=moved,
            candidate=candidate,
            desa_id=survivor.desa_id,
            merged_by=user,
        )
        removed._history_user = user  # type: ignore[attr-defined]
        merged_into: dict[tuple[type[models.Model], int], int] = {(Person, removed.pk): survivor.pk}
        if removed.pk in girls and survivor.pk in girls:
            merged_into[(AdolescentGirl, girls[removed.pk])] = girls[survivor.pk]
        records_delete([removed], merged_into=merged_into)
        _resolve(candidate, user)
    return log


def duplicate_merge(*, user: User, candidate: DuplicateCandidate, survivor_id: int) -> MergeLog:
    """Merge the pair of `candidate`, keeping the record with id `survivor_id` (one of the two)."""
    _check_reviewer(user, candidate)
    if candidate.kind == Kind.CHILD:
        ids = (candidate.child_a_id, candidate.child_b_id)
    else:
        ids = (candidate.person_a_id, candidate.person_b_id)
    if survivor_id not in ids or None in ids:
        raise ValidationError(
            {"survivor": [_("Data yang dipertahankan harus salah satu dari pasangan ini.")]}
        )
    removed_id = ids[1] if survivor_id == ids[0] else ids[0]
    if candidate.kind == Kind.CHILD:
        children = Child.objects.in_bulk([survivor_id, removed_id])
        return child_merge(
            user=user, survivor=children[survivor_id], removed=children[removed_id], candidate=candidate
        )
    persons = Person.objects.in_bulk([survivor_id, removed_id])
    return person_merge(
        user=user, survivor=persons[survivor_id], removed=persons[removed_id], candidate=candidate
    )
