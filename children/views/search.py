"""JSON answers of the searchable person, child and family selects (convergence.views_search for the format).

Each answer names people: it is logged as a read of the records it lists, as the registry lists are.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET

from children import search
from children.audit import record_access
from children.models import RecordAccess
from convergence.http import AuthenticatedHttpRequest
from convergence.views_search import Search, choices_answer


def _logged(request: AuthenticatedHttpRequest, find: Search, kind: str) -> JsonResponse:
    response, found = choices_answer(request, find)
    if found.results:
        record_access(
            user=request.user,
            kind=kind,
            object_ids=[choice.value for choice in found.results],
            count=len(found.results),
            channel=RecordAccess.Channel.PAGE,
            path=request.path,
        )
    return response


@login_required
@require_GET
def person_choices(request: AuthenticatedHttpRequest) -> JsonResponse:
    return _logged(request, search.person_search, RecordAccess.Kind.PERSON)


@login_required
@require_GET
def child_choices(request: AuthenticatedHttpRequest) -> JsonResponse:
    return _logged(request, search.child_search, RecordAccess.Kind.CHILD)


@login_required
@require_GET
def keluarga_choices(request: AuthenticatedHttpRequest) -> JsonResponse:
    return _logged(request, search.keluarga_search, RecordAccess.Kind.KELUARGA)


urlpatterns: list[URLPattern] = [
    path("cari/penduduk/", person_choices, name="search-person"),
    path("cari/anak/", child_choices, name="search-child"),
    path("cari/keluarga/", keluarga_choices, name="search-keluarga"),
]
