"""Finding likely duplicates and putting them in the review queue (children.duplicates)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Q,
    QuerySet,
)

from children import identity
from children.models import (
    Child,
    DuplicateCandidate,
    Keluarga,
    Person,
)
from convergence.models import User

Kind = DuplicateCandidate.Kind


Reason = DuplicateCandidate.Reason


Status = DuplicateCandidate.Status


@dataclass(frozen=True)
class ChildKey:
    """What the child rules compare; `mother_name` is normalised (the registry mother's name when linked)."""

    pk: int
    name: str
    sex: str
    birth_date: datetime.date
    desa_id: int
    mother_id: int | None
    mother_name: str


@dataclass(frozen=True)
class PersonKey:
    pk: int
    name: str
    birth_date: datetime.date
    desa_id: int


@dataclass(frozen=True)
class Pair:
    """A likely duplicate, lower id first."""

    a: int
    b: int
    desa_id: int
    reason: str
    similarity: float


def _child_keys(queryset: QuerySet[Child]) -> list[ChildKey]:
    rows = queryset.values_list(
        "pk", "name", "sex", "birth_date", "desa_id", "mother_id", "mother_name", "mother__name"
    )
    return [
        ChildKey(pk, name, sex, birth_date, desa_id, mother_id, identity.normalise_name(linked or written))
        for pk, name, sex, birth_date, desa_id, mother_id, written, linked in rows.iterator(chunk_size=2000)
    ]


def _same_mother(x: ChildKey, y: ChildKey) -> bool:
    if x.mother_id is not None and y.mother_id is not None:
        return x.mother_id == y.mother_id
    # Without a registry mother on both sides, the name written on the register decides, within a desa.
    return x.desa_id == y.desa_id and bool(x.mother_name) and x.mother_name == y.mother_name


def child_pair(x: ChildKey, y: ChildKey) -> Pair | None:
    """The pair of two children if a duplicate rule holds (same mother first), else None."""
    if x.pk == y.pk or x.birth_date != y.birth_date:
        return None
    lo, hi = (x, y) if x.pk < y.pk else (y, x)
    similarity = round(identity.name_similarity(x.name, y.name), 3)
    if x.sex == y.sex and _same_mother(x, y):
        return Pair(lo.pk, hi.pk, lo.desa_id, Reason.SAME_MOTHER_BIRTH_DATE_SEX, similarity)
    if x.desa_id == y.desa_id and similarity >= identity.SIMILAR_NAME_THRESHOLD:
        return Pair(lo.pk, hi.pk, lo.desa_id, Reason.SIMILAR_NAME_BIRTH_DATE, similarity)
    return None


def person_pair(x: PersonKey, y: PersonKey) -> Pair | None:
    if x.pk == y.pk or x.birth_date != y.birth_date or x.desa_id != y.desa_id:
        return None
    similarity = round(identity.name_similarity(x.name, y.name), 3)
    if similarity < identity.SIMILAR_NAME_THRESHOLD:
        return None
    return Pair(min(x.pk, y.pk), max(x.pk, y.pk), x.desa_id, Reason.SIMILAR_NAME_BIRTH_DATE, similarity)


def _pairs_in_groups(groups: Iterable[list[Any]], match: Any) -> dict[tuple[int, int], Pair]:
    found: dict[tuple[int, int], Pair] = {}
    for group in groups:
        for i, x in enumerate(group):
            for y in group[i + 1 :]:
                pair = match(x, y)
                if pair is None:
                    continue
                known = found.get((pair.a, pair.b))
                if known is None or pair.reason == Reason.SAME_MOTHER_BIRTH_DATE_SEX:
                    found[(pair.a, pair.b)] = pair
    return found


def _queue(kind: str, pairs: Iterable[Pair]) -> int:
    """Insert the pairs not queued before (in any status: a dismissed pair stays dismissed)."""
    pairs = list(pairs)
    if not pairs:
        return 0
    a_field, b_field = ("child_a_id", "child_b_id") if kind == Kind.CHILD else ("person_a_id", "person_b_id")
    known = set(
        DuplicateCandidate.objects.filter(
            **{f"{a_field}__in": {p.a for p in pairs}, f"{b_field}__in": {p.b for p in pairs}}
        ).values_list(a_field, b_field)
    )
    new = [
        DuplicateCandidate(
            kind=kind,
            desa_id=p.desa_id,
            reason=p.reason,
            similarity=p.similarity,
            **{a_field: p.a, b_field: p.b},
        )
        for p in pairs
        if (p.a, p.b) not in known
    ]
    # A concurrent finder may insert the same pair: the unique constraint keeps one.
    DuplicateCandidate.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def duplicates_find_for_child(*, child: Child) -> None:
    """Queue likely duplicates of `child` for review (children born the same day in its desa or to its mother)."""
    if child.pk is None:
        return
    near = Q(desa_id=child.desa_id)
    if child.mother_id is not None:
        near |= Q(mother_id=child.mother_id)
    keys = _child_keys(Child.objects.filter(near, birth_date=child.birth_date))
    me = next((key for key in keys if key.pk == child.pk), None)
    if me is None:
        return
    _queue(Kind.CHILD, [p for p in (child_pair(me, other) for other in keys) if p is not None])


def duplicates_find_for_person(*, person: Person) -> None:
    """Queue likely duplicates of `person` for review (similar name, same birth date, same desa)."""
    if person.pk is None or person.birth_date is None:
        return
    rows = Person.objects.filter(desa_id=person.desa_id, birth_date=person.birth_date).values_list(
        "pk", "name", "birth_date", "desa_id"
    )
    # Every row has the person's birth date (the filter above); it is passed as known, not as nullable.
    keys = [PersonKey(pk, name, person.birth_date, desa_id) for pk, name, _born, desa_id in rows]
    me = next((key for key in keys if key.pk == person.pk), None)
    if me is None:
        return
    _queue(Kind.PERSON, [p for p in (person_pair(me, other) for other in keys) if p is not None])


def duplicate_report_outside_scope(*, record: Child | Person | Keluarga, reporter: User) -> None:
    """Queue `record` for review: `reporter`, whose scope does not hold it, tried to register its NIK
    (child, person) or KK number (family) and was refused. The case sits in the record's desa, for its
    puskesmas officer and Bappeda; one open case per record and reporter."""
    if isinstance(record, Keluarga):
        kind, field, reason = Kind.KELUARGA, "keluarga_a", Reason.KK_OUTSIDE_SCOPE
    elif isinstance(record, Child):
        kind, field, reason = Kind.CHILD, "child_a", Reason.NIK_OUTSIDE_SCOPE
    else:
        kind, field, reason = Kind.PERSON, "person_a", Reason.NIK_OUTSIDE_SCOPE
    DuplicateCandidate.objects.get_or_create(
        kind=kind,
        reason=reason,
        status=Status.OPEN,
        reported_by=reporter,
        **{field: record},
        defaults={"desa_id": record.desa_id, "similarity": 1.0},
    )


def duplicates_report_from_import(*, child_ids: Iterable[int], reporter: User) -> int:
    """Queue each child an import row of `reporter` matched only by identity at another posyandu (the
    row was not imported); one open case per child and reporter. Returns the number of cases queued."""
    child_ids = set(child_ids)
    open_already = set(
        DuplicateCandidate.objects.filter(
            reason=Reason.IMPORT_OTHER_POSYANDU,
            status=Status.OPEN,
            reported_by=reporter,
            child_a_id__in=child_ids,
        ).values_list("child_a_id", flat=True)
    )
    new = [
        DuplicateCandidate(
            kind=Kind.CHILD,
            reason=Reason.IMPORT_OTHER_POSYANDU,
            child_a_id=pk,
            desa_id=desa_id,
            reported_by=reporter,
            similarity=1.0,
        )
        for pk, desa_id in Child.objects.filter(pk__in=child_ids - open_already).values_list("pk", "desa_id")
    ]
    DuplicateCandidate.objects.bulk_create(new)
    return len(new)
