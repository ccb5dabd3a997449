"""One PMT operation per submitted form token or API Idempotency-Key.

A page renders a fresh random token in a hidden field; the API client sends an `Idempotency-Key`
header. `submission_run` claims the key (a PMTSubmission row, unique per user, channel and key) in the
same transaction as the operation:

- the first submit inserts the claim, runs the operation and records its result (object id, page URL);
- a twin arriving while the first runs blocks on the unique index until the first commits (PostgreSQL),
  then fails its insert and replays the first result: never a second row;
- a submit after the first committed finds the claim and replays it without running anything;
- an operation that fails (ValidationError, PermissionDenied) rolls its claim back with it, so the
  corrected form is sent again under the same token.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import IntegrityError, models, transaction

from convergence.models import User
from interventions.models import PMTSubmission

T = TypeVar("T", bound=models.Model)

KEY_MAX_LENGTH = 64
# A retry comes within minutes, a reload within days: a month-old claim guards nothing any more.
RETENTION_DAYS = 30


def submission_token() -> str:
    """A fresh unguessable form token (32 URL-safe characters)."""
    return secrets.token_urlsafe(24)


def request_fingerprint(data: Any) -> str:
    """SHA-256 of the request body as canonical JSON (keys sorted), to tell a replay from a reused key."""
    text = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Submission(Generic[T]):
    claim: PMTSubmission
    result: T | None  # the row the operation wrote; None on a replay (read it by claim.object_id)
    replayed: bool


class KeyReused(Exception):
    """The key was already used by this user for a different request."""


def _claimed(*, user: User, channel: str, key: str) -> PMTSubmission | None:
    return PMTSubmission.objects.filter(user=user, channel=channel, key=key).first()


def submission_run(
    *,
    user: User,
    channel: str,
    key: str,
    operation: str,
    run: Callable[[], T],
    result_url: Callable[[T], str] = lambda _row: "",
    fingerprint: str = "",
) -> Submission[T]:
    """Run `run` once for (user, channel, key); a repeated key replays the first result.

    `operation` names what the key was used for (a token of one form is not replayed by another).
    Raises KeyReused when the stored claim is of another operation or another fingerprint.
    """

    def replay(claim: PMTSubmission) -> Submission[T]:
        if claim.operation != operation or (fingerprint and claim.fingerprint != fingerprint):
            raise KeyReused
        return Submission(claim, None, True)

    existing = _claimed(user=user, channel=channel, key=key)
    if existing is not None:
        return replay(existing)
    try:
        with transaction.atomic():
            # Claim first: a concurrent twin waits here on the unique index until this transaction ends.
            claim = PMTSubmission.objects.create(
                user=user, channel=channel, key=key, operation=operation, fingerprint=fingerprint
            )
            row = run()
            claim.object_id = row.pk
            claim.result_url = result_url(row)
            claim.save(update_fields=["object_id", "result_url"])
    except IntegrityError:
        # Our claim lost to a twin's that committed first; its result is ours to show.
        existing = _claimed(user=user, channel=channel, key=key)
        if existing is None:
            raise
        return replay(existing)
    return Submission(claim, row, False)


def submissions_expire(*, before: datetime.datetime) -> int:
    """Delete the claims made before `before` (their operations stay); returns how many. Idempotent."""
    deleted, _counts = PMTSubmission.objects.filter(created_at__lt=before).delete()
    return deleted
