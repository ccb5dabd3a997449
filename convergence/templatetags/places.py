"""Template filters naming places as the searchable selects do: convergence.search, for every app's pages."""

from __future__ import annotations

from django import template

from convergence import search
from convergence.models import Region

register = template.Library()


@register.filter
def desa_label(desa: Region) -> str:
    """{{ desa|desa_label }} -> 'Desa Rejoagung, Kec. Sukamaju' (load the desa with its parent)."""
    return search.desa_label(desa)
