"""Searchable choices of people: persons (mothers, women, girls), children and families of the user's
scope, found by at least two letters of the name, each labelled with where the person lives ("Siti Aminah
— Desa Rejoagung, lahir 1995"; "KK Budi Santoso — Desa Rejoagung").

Names show as the registry lists show them to the same user (full names for the roles that may open the
registry: the scope decides who is found, never the label). A number typed finds nobody, as in the
lists: NIKs are looked up through the NIK form only.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from children import selectors_registry as selectors
from children.models import Child, Keluarga, Person
from convergence.models import User
from convergence.search import SEARCH_LIMIT, Choice, ChoicePage

MIN_CHARS = 2


def person_label(person: Person) -> str:
    where = person.desa.display_name if person.desa_id else "-"
    if person.birth_date is None:
        return f"{person.name} — {where}"
    return _("%(name)s — %(desa)s, lahir %(year)s") % {
        "name": person.name,
        "desa": where,
        "year": person.birth_date.year,
    }


def child_label(child: Child) -> str:
    where = child.desa.display_name if child.desa_id else "-"
    return _("%(name)s — %(desa)s, lahir %(year)s") % {
        "name": child.name,
        "desa": where,
        "year": child.birth_date.year,
    }


def keluarga_label(keluarga: Keluarga) -> str:
    where = keluarga.desa.display_name if keluarga.desa_id else "-"
    return _("KK %(name)s — %(desa)s") % {"name": keluarga.head_name, "desa": where}


def _window(page: int) -> tuple[int, int]:
    start = (max(page, 1) - 1) * SEARCH_LIMIT
    return start, start + SEARCH_LIMIT + 1


def person_search(*, user: User, query: str, page: int = 1) -> ChoicePage:
    """Persons of the user's scope whose name holds `query` (at least MIN_CHARS), by name."""
    query = query.strip()[:80]
    if len(query) < MIN_CHARS:
        return ChoicePage([], more=False)
    start, stop = _window(page)
    rows = selectors.person_list_for_user(user=user, q=query)[start:stop]
    found = [Choice(person.pk, person_label(person)) for person in rows]
    return ChoicePage(found[:SEARCH_LIMIT], more=len(found) > SEARCH_LIMIT)


def keluarga_search(*, user: User, query: str, page: int = 1) -> ChoicePage:
    """Families of the user's scope whose head's name holds `query` (at least MIN_CHARS), by name."""
    query = query.strip()[:80]
    if len(query) < MIN_CHARS:
        return ChoicePage([], more=False)
    start, stop = _window(page)
    rows = selectors.keluarga_list_for_user(user=user, q=query)[start:stop]
    found = [Choice(keluarga.pk, keluarga_label(keluarga)) for keluarga in rows]
    return ChoicePage(found[:SEARCH_LIMIT], more=len(found) > SEARCH_LIMIT)


def child_search(*, user: User, query: str, page: int = 1) -> ChoicePage:
    """Children of the user's scope (as the child list shows them) whose name holds every word of `query`.

    At least MIN_CHARS; by name. A word with a digit finds nobody, as in the list's name box.
    """
    query = query.strip()[:80]
    words = query.split()
    if len(query) < MIN_CHARS or any(ch.isdigit() for ch in query):
        return ChoicePage([], more=False)
    rows = selectors.child_list_for_user(
        user=user, filters=selectors.ChildFilters(), today=timezone.localdate()
    )
    for word in words:
        rows = rows.filter(name__icontains=word)
    start, stop = _window(page)
    found = [Choice(child.pk, child_label(child)) for child in rows[start:stop]]
    return ChoicePage(found[:SEARCH_LIMIT], more=len(found) > SEARCH_LIMIT)
