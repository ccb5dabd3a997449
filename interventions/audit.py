"""Read-log of lists naming children, mothers and families (UU 27/2022), through children.audit."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from children.audit import record_access
from children.models import RecordAccess
from convergence.models import User
from interventions import eligibility as rules

KIND_OF_SUBJECT = {
    rules.CHILD: RecordAccess.Kind.CHILD,
    rules.PERSON: RecordAccess.Kind.PERSON,
    rules.FAMILY: RecordAccess.Kind.KELUARGA,
}


def log_subject_reads(*, user: User, kinds: Iterable[str], channel: str, path: str) -> None:
    """One read-log row per subject kind shown, with the number of records of that kind."""
    for kind, count in sorted(Counter(kinds).items()):
        record_access(user=user, kind=KIND_OF_SUBJECT[kind], count=count, channel=channel, path=path)
