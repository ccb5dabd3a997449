"""Reads of the likely-duplicate queue and of the merge log, scoped to the reviewer."""

from __future__ import annotations

from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from children.duplicates.finding import Kind, Status
from children.models import (
    Child,
    DuplicateCandidate,
    Keluarga,
    Measurement,
    MergeLog,
    Person,
)
from convergence.models import User
from convergence.scoping import restrict


def _measurement_count(field: str) -> Coalesce:
    counts = (
        Measurement.objects.filter(child=OuterRef(field))
        .order_by()
        .values("child")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


def duplicate_list_for_user(*, user: User, status: str | None = Status.OPEN) -> QuerySet[DuplicateCandidate]:
    """Candidates in the user's scope whose both records the user may read, with what a review shows.

    Each row carries the two records (with desa, posyandu and mother) and `child_a_measurements` /
    `child_b_measurements` counts; a constant number of queries whatever the number of rows.
    """
    visible_children = restrict(Child.objects.all(), user).values("pk")
    visible_persons = restrict(Person.objects.all(), user).values("pk")
    visible_keluarga = restrict(Keluarga.objects.all(), user).values("pk")
    both_visible = (
        Q(kind=Kind.CHILD, child_a__in=visible_children)
        & (Q(child_b__isnull=True) | Q(child_b__in=visible_children))
        | Q(kind=Kind.PERSON, person_a__in=visible_persons)
        & (Q(person_b__isnull=True) | Q(person_b__in=visible_persons))
        | Q(kind=Kind.KELUARGA, keluarga_a__in=visible_keluarga)
    )
    candidates = restrict(DuplicateCandidate.objects.all(), user).filter(both_visible)
    if status:
        candidates = candidates.filter(status=status)
    return (
        candidates.select_related(
            "desa",
            "resolved_by",
            "child_a__desa",
            "child_a__posyandu",
            "child_a__mother",
            "child_b__desa",
            "child_b__posyandu",
            "child_b__mother",
            "person_a__desa",
            "person_a__keluarga",
            "person_b__desa",
            "person_b__keluarga",
            "keluarga_a__desa",
            "reported_by__posyandu",
        )
        .annotate(
            child_a_measurements=_measurement_count("child_a"),
            child_b_measurements=_measurement_count("child_b"),
        )
        .order_by("status", "-created_at", "-pk")
    )


def duplicate_get_for_user(*, user: User, pk: int) -> DuplicateCandidate:
    """One candidate (any status) the user may review; DuplicateCandidate.DoesNotExist otherwise."""
    return duplicate_list_for_user(user=user, status=None).get(pk=pk)


def merge_log_list_for_user(*, user: User) -> QuerySet[MergeLog]:
    return restrict(MergeLog.objects.select_related("desa", "merged_by"), user)
