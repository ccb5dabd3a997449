"""Reads from streaming replicas where a stale answer is harmless; everything else on the primary.

Policy (`DATABASE_REPLICA_URL`, `REPLICA_PIN_SECONDS`; README, Production):
- Writes, migrations and every read outside a replica context go to the primary (`default`).
- A replica context is opened by `ReplicaReadsMiddleware` for a GET or HEAD to a view that allows it
  (function views marked `@replica_safe`: dashboards, public pages, reports and exports; every API view
  unless it sets `replica_safe = False`), and by `replica_reads()` around a job or a command. One
  replica, chosen at random, serves the whole context, so a page never mixes two replicas' pasts.
- Inside a context the primary is still read when the request or job has written anything (it may read
  it back), inside `transaction.atomic()` (a transaction sees its own writes and holds its locks on the
  primary), and for the sign-in tables (sessions, users, tokens, failed logins: written by the very
  request that reads them).
- A replica lags the primary by up to a few seconds. After a write (a POST, PUT, PATCH or DELETE that
  succeeded, or was refused with 412 because the record had changed) the session or API token that
  wrote reads the primary for `REPLICA_PIN_SECONDS`, so the page it opens next shows its own write.
  Other users may see the state of a few seconds ago meanwhile.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model
from django.http import HttpRequest, HttpResponseBase
from rest_framework.views import APIView

READ_METHODS = frozenset({"GET", "HEAD"})
# Written by the request that reads them (sign-in, session, lock-out counters, the admin's log): a
# replica a second behind would sign a user out or forget a failed login.
PRIMARY_ONLY_APPS = frozenset({"auth", "authtoken", "axes", "sessions", "admin", "contenttypes"})
PIN_KEY_PREFIX = "replica-pin:"

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


@dataclass
class ReadContext:
    """Where the current request or job reads: `replica` (an alias) or the primary when None."""

    replica: str | None = None
    wrote: bool = False


_context: ContextVar[ReadContext | None] = ContextVar("replica_read_context", default=None)


def replica_safe(view: View) -> View:
    """Mark a function view whose GET/HEAD may read from a replica: it shows data and the page it
    renders needs nothing written in the last seconds (dashboards, public pages, reports, exports)."""
    view.replica_safe = True  # type: ignore[attr-defined]
    return view


def view_is_replica_safe(view_func: Callable[..., Any]) -> bool:
    """API views read from a replica unless they set `replica_safe = False`; other views only when marked."""
    view_class = getattr(view_func, "cls", None)  # what DRF's as_view() returns carries its class
    if isinstance(view_class, type) and issubclass(view_class, APIView):
        return bool(getattr(view_class, "replica_safe", True))
    return bool(getattr(view_func, "replica_safe", False))


def _pick_replica() -> str | None:
    replicas: list[str] = settings.REPLICA_DATABASES
    # Spreads the load over equal replicas; nothing secret depends on the draw.
    return random.choice(replicas) if replicas else None  # noqa: S311


# Statements that change the primary (or lock rows for a change): after one, the context reads the
# primary. Counted where they run, not where the router is asked: Django also asks db_for_write when a
# related object is merely assigned to an unsaved instance.
WRITE_VERBS = frozenset(
    {"INSERT", "UPDATE", "DELETE", "MERGE", "COPY", "CREATE", "DROP", "ALTER", "TRUNCATE", "LOCK"}
)


def _is_write(sql: str) -> bool:
    words = sql.lstrip(" (\n").split(None, 1)
    return (bool(words) and words[0].upper() in WRITE_VERBS) or " FOR UPDATE" in sql.upper()


def _note_writes(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
    read_context = _context.get()
    if read_context is not None and not read_context.wrote and _is_write(sql):
        read_context.wrote = True
    return execute(sql, params, many, context)


@contextmanager
def _read_context(context: ReadContext) -> Iterator[ReadContext]:
    token = _context.set(context)
    try:
        with connections[DEFAULT_DB_ALIAS].execute_wrapper(_note_writes):
            yield context
    finally:
        _context.reset(token)


@contextmanager
def replica_reads() -> Iterator[None]:
    """Let the reads of a job or command inside this block go to a replica (the rules above apply:
    after its first write, the block reads the primary). No replica configured: no change."""
    with _read_context(ReadContext(replica=_pick_replica())):
        yield


def _replica_now() -> str | None:
    """The replica the application's tables are read from now, or None for the primary."""
    context = _context.get()
    if context is None or context.replica is None or context.wrote:
        return None
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return None
    return context.replica


def current_read_alias(model: type[Model]) -> str:
    """The database alias a read of `model` goes to now."""
    if model._meta.app_label in PRIMARY_ONLY_APPS or model._meta.label == settings.AUTH_USER_MODEL:
        return DEFAULT_DB_ALIAS
    return _replica_now() or DEFAULT_DB_ALIAS


def replica_cache_scope() -> str:
    """A part for the key under which something computed from the current reads is cached: "" on the
    primary; on a replica, the current window of REPLICA_PIN_SECONDS.

    A page assembled from a replica shows the replica's past: cached under the primary's key (say
    "summaries of version N") it would outlive the lag by the whole cache time. Keyed by the window,
    it is reused only as long as a replica read may be that old.
    """
    if _replica_now() is None:
        return ""
    return f"replica-{int(time.time()) // settings.REPLICA_PIN_SECONDS}"


class ReplicaRouter:
    """DATABASE_ROUTERS entry, installed when a replica is configured (config.settings)."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        return current_read_alias(model)

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        # What a request or job writes it may read back: _note_writes sends its later reads here too.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        # The replicas are copies of the primary: a row read from one relates to a row of another.
        same_database = {DEFAULT_DB_ALIAS, *settings.REPLICA_DATABASES}
        if obj1._state.db in same_database and obj2._state.db in same_database:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        # A replica replays the primary's changes; it cannot (and must not) be migrated itself.
        return db == DEFAULT_DB_ALIAS


def _pin_keys(credentials: list[str | None]) -> list[str]:
    """Cache keys of a session key or an Authorization header: hashed, never the secret itself."""
    return [PIN_KEY_PREFIX + hashlib.sha256(c.encode()).hexdigest() for c in credentials if c]


def is_pinned(request: HttpRequest) -> bool:
    """True while the session or API token of `request` wrote in the last REPLICA_PIN_SECONDS."""
    keys = _pin_keys(
        [request.COOKIES.get(settings.SESSION_COOKIE_NAME), request.headers.get("Authorization")]
    )
    return bool(keys) and bool(cache.get_many(keys))


def pin_to_primary(request: HttpRequest) -> None:
    """Send the next REPLICA_PIN_SECONDS of reads by this session or API token to the primary."""
    session = getattr(request, "session", None)
    # After a sign-in the session has a new key: the one the browser will send next.
    session_key = session.session_key if session is not None else None
    keys = _pin_keys([session_key, request.headers.get("Authorization")])
    if keys:
        cache.set_many(dict.fromkeys(keys, True), timeout=settings.REPLICA_PIN_SECONDS)


def _pins(request: HttpRequest, response: HttpResponseBase) -> bool:
    # 412: the client's copy was stale; the re-read it does next must show the version that won.
    return request.method not in READ_METHODS and (response.status_code < 400 or response.status_code == 412)


class ReplicaReadsMiddleware:
    """Open a read context per request: replica reads for a GET/HEAD to a replica-safe view, unless the
    caller is pinned to the primary; pin the caller after a write. Does nothing without a replica."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not settings.REPLICA_DATABASES:
            return self.get_response(request)
        with _read_context(ReadContext()):
            response = self.get_response(request)
        if _pins(request, response):
            pin_to_primary(request)
        return response

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> None:
        context = _context.get()
        if (
            context is not None
            and request.method in READ_METHODS
            and view_is_replica_safe(view_func)
            and not is_pinned(request)
        ):
            context.replica = _pick_replica()
