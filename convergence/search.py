"""Searchable choices: the posyandu and desa a user may choose, found by a few letters, each labelled
with where it is ("Posyandu Mawar — Desa Rejoagung, Kec. Sukamaju").

A district has hundreds of posyandu and desa: a select of all of them is unusable on a phone, so the
pages enhance their selects with a search field that asks these selectors, page by page. They read
through the same scoping as the lists (convergence.selectors): a kader finds her posyandu only.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import and_

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from convergence.codes import DESA_LEVELS, KABUPATEN_LEVELS, Level
from convergence.models import Posyandu, Region, User
from convergence.selectors import desa_list_for_user, posyandu_list_for_user, region_list_for_user

SEARCH_LIMIT = 20  # entries per answer: a phone screen of them
QUERY_MAX_CHARS = 80


@dataclass(frozen=True)
class Choice:
    value: int
    label: str


@dataclass(frozen=True)
class ChoicePage:
    results: list[Choice]
    more: bool  # a next page exists


def desa_label(desa: Region) -> str:
    """'Desa Rejoagung, Kec. Sukamaju' (the kecamatan from `desa.parent`, loaded by the caller)."""
    if desa.parent is None:
        return str(desa)
    return _("%(desa)s, Kec. %(kecamatan)s") % {"desa": desa, "kecamatan": desa.parent.name}


def posyandu_label(posyandu: Posyandu) -> str:
    """'Posyandu Mawar — Desa Rejoagung, Kec. Sukamaju'."""
    return f"{posyandu} — {desa_label(posyandu.desa)}"


def _words(query: str) -> list[str]:
    return query.strip()[:QUERY_MAX_CHARS].split()


def _page(rows: list[Choice], page: int) -> ChoicePage:
    return ChoicePage(rows[:SEARCH_LIMIT], more=len(rows) > SEARCH_LIMIT)


def posyandu_search(*, user: User, query: str, page: int = 1) -> ChoicePage:
    """The posyandu of the user's scope whose name or desa holds every word of `query`, by desa and code."""
    words = _words(query)
    rows: QuerySet[Posyandu] = posyandu_list_for_user(user=user).select_related("desa__parent")
    if words:
        rows = rows.filter(reduce(and_, (Q(name__icontains=w) | Q(desa__name__icontains=w) for w in words)))
    start = (max(page, 1) - 1) * SEARCH_LIMIT
    found = [Choice(p.pk, posyandu_label(p)) for p in rows[start : start + SEARCH_LIMIT + 1]]
    return _page(found, page)


def desa_search(*, user: User, query: str, page: int = 1) -> ChoicePage:
    """The desa/kelurahan of the user's scope whose name or kecamatan holds every word of `query`."""
    words = _words(query)
    rows = desa_list_for_user(user=user).select_related("parent").order_by("code")
    if words:
        rows = rows.filter(reduce(and_, (Q(name__icontains=w) | Q(parent__name__icontains=w) for w in words)))
    start = (max(page, 1) - 1) * SEARCH_LIMIT
    found = [Choice(d.pk, desa_label(d)) for d in rows[start : start + SEARCH_LIMIT + 1]]
    return _page(found, page)


# The levels a region search offers: where a meeting is held (convergence.services_actions.MEETING_LEVELS).
REGION_LEVELS = (*KABUPATEN_LEVELS, Level.KECAMATAN, *DESA_LEVELS)


def region_label(region: Region) -> str:
    """'Kabupaten Sukamaju', 'Kecamatan Sukamaju', or a desa with its kecamatan."""
    return desa_label(region) if region.level in DESA_LEVELS else str(region)


def region_search(*, user: User, query: str, page: int = 1) -> ChoicePage:
    """The kabupaten, kecamatan and desa of the user's scope whose name or parent holds every word."""
    words = _words(query)
    rows = (
        region_list_for_user(user=user)
        .filter(level__in=[level.value for level in REGION_LEVELS])
        .select_related("parent")
        .order_by("code")
    )
    if words:
        rows = rows.filter(reduce(and_, (Q(name__icontains=w) | Q(parent__name__icontains=w) for w in words)))
    start = (max(page, 1) - 1) * SEARCH_LIMIT
    found = [Choice(r.pk, region_label(r)) for r in rows[start : start + SEARCH_LIMIT + 1]]
    return _page(found, page)
