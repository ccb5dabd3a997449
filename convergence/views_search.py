"""JSON answers of the searchable selects (static/convergence/searchable.js): `?q=` words, `halaman` page.

`{"results": [{"value": 12, "label": "Posyandu Mawar — Desa Rejoagung, Kec. Sukamaju"}], "more": false}`,
at most convergence.search.SEARCH_LIMIT entries, only those of the user's scope.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET

from convergence import search
from convergence.http import AuthenticatedHttpRequest
from convergence.models import User

Search = Callable[..., search.ChoicePage]


def choices_answer(request: AuthenticatedHttpRequest, find: Search) -> tuple[JsonResponse, search.ChoicePage]:
    """Run `find` for the request's `q` and `halaman`; its JSON answer, and what it found."""
    page_text = request.GET.get("halaman", "")
    page = int(page_text) if page_text.isdigit() and 0 < int(page_text) < 10_000 else 1
    user: User = request.user
    found = find(user=user, query=request.GET.get("q", ""), page=page)
    response = JsonResponse({"results": [asdict(choice) for choice in found.results], "more": found.more})
    response["Cache-Control"] = "private, no-store"
    return response, found


@login_required
@require_GET
def posyandu_choices(request: AuthenticatedHttpRequest) -> JsonResponse:
    return choices_answer(request, search.posyandu_search)[0]


@login_required
@require_GET
def desa_choices(request: AuthenticatedHttpRequest) -> JsonResponse:
    return choices_answer(request, search.desa_search)[0]


@login_required
@require_GET
def region_choices(request: AuthenticatedHttpRequest) -> JsonResponse:
    return choices_answer(request, search.region_search)[0]


urlpatterns: list[URLPattern] = [
    path("cari/posyandu/", posyandu_choices, name="search-posyandu"),
    path("cari/desa/", desa_choices, name="search-desa"),
    path("cari/wilayah/", region_choices, name="search-region"),
]
