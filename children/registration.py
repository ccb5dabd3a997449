"""Registering a child: the likely duplicates shown before saving, and the one-time confirmation token.

The matches come from the review queue's own rules (children.duplicates.child_pair) applied to the child
not yet saved, over the same neighbourhood that duplicates_find_for_child compares after saving (born
the same day in its desa or to its mother): what the form shows is exactly what saving will queue.
A match the user may not read is counted, never named.
"""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Q
from django.utils.translation import gettext as _

from children import identity
from children.duplicates import ChildKey, _child_keys, child_pair
from children.models import Child, Person
from convergence.models import User
from convergence.scoping import restrict

# A confirmation step is answered within minutes; an hour leaves room for a slow phone.
TOKEN_SECONDS = 3600
# The pk of the child being registered, never a stored row's (ids start at 1).
_UNSAVED = 0


@dataclass(frozen=True)
class ChildMatches:
    """Likely duplicates of a child about to be registered: the readable ones, and a count of the rest."""

    in_scope: list[Child]
    reasons: dict[int, str]
    outside_scope: int

    @property
    def any(self) -> bool:
        return bool(self.in_scope) or self.outside_scope > 0


def child_registration_matches(
    *,
    user: User,
    name: str,
    sex: str,
    birth_date: datetime.date,
    desa_id: int,
    mother: Person | None,
    mother_name: str,
) -> ChildMatches:
    """The children a new child with these fields would be queued with as likely duplicates.

    Same neighbourhood and rule as children.duplicates.duplicates_find_for_child. `in_scope` holds the
    matches `user` may read (with desa and posyandu loaded), in id order; the others are only counted.
    """
    near = Q(desa_id=desa_id)
    if mother is not None:
        near |= Q(mother_id=mother.pk)
    new = ChildKey(
        pk=_UNSAVED,
        name=name,
        sex=sex,
        birth_date=birth_date,
        desa_id=desa_id,
        mother_id=None if mother is None else mother.pk,
        mother_name=identity.normalise_name(mother.name if mother is not None else mother_name),
    )
    reasons: dict[int, str] = {}
    for other in _child_keys(Child.objects.filter(near, birth_date=birth_date)):
        pair = child_pair(new, other)
        if pair is not None:
            reasons[other.pk] = pair.reason
    readable = list(
        restrict(Child.objects.filter(pk__in=reasons), user).select_related("desa", "posyandu").order_by("pk")
    )
    return ChildMatches(
        in_scope=readable,
        reasons={child.pk: reasons[child.pk] for child in readable},
        outside_scope=len(reasons) - len(readable),
    )


def _token_key(user: User, token: str) -> str:
    return f"children:registration:{user.pk}:{token}"


def registration_token_issue(*, user: User) -> str:
    """A one-time token for a confirmation step of `user` (valid TOKEN_SECONDS)."""
    token = secrets.token_urlsafe(16)
    cache.set(_token_key(user, token), "open", TOKEN_SECONDS)
    return token


def registration_token_use(*, user: User, token: str) -> bool:
    """Consume the token: True for the first submission only (deleting a key is atomic in the cache)."""
    return bool(token) and bool(cache.delete(_token_key(user, token)))


def registration_token_done(*, user: User, token: str, child_id: int) -> None:
    """Remember which child the token's submission saved, for a repeated submission to open it."""
    cache.set(_token_key(user, token) + ":child", child_id, TOKEN_SECONDS)


def registration_token_child(*, user: User, token: str) -> int | None:
    """The child a used token saved (None while it is being saved, or when unknown)."""
    value = cache.get(_token_key(user, token) + ":child") if token else None
    return value if isinstance(value, int) else None


def child_matches_warnings(matches: ChildMatches) -> list[str]:
    """The likely duplicates as warnings for an API client: the ids it may read, a count of the others."""
    warnings = []
    if matches.in_scope:
        warnings.append(
            _("Kemungkinan duplikat, dikirim ke antrean tinjauan: anak nomor data %(ids)s.")
            % {"ids": ", ".join(str(child.pk) for child in matches.in_scope)}
        )
    if matches.outside_scope:
        warnings.append(
            _(
                "Ada data anak yang mirip di luar wilayah Anda; kasus ini dikirim ke antrean tinjauan "
                "duplikat."
            )
        )
    return warnings
