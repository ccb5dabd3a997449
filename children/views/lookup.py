"""The NIK/KK search page: POST only, so the number never travels in a URL (nor in an access log).

Each look-up counts against the user's look-up limit shared with the API (children.access.lookup_allow)
and is logged, hit or miss (children.audit.record_lookup).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from children import selectors_registry as selectors
from children.access import lookup_allow, lookup_refused_message
from children.audit import record_lookup
from children.forms.registry import NIKSearchForm
from children.models import Child, Keluarga, Person, RecordAccess
from convergence.http import AuthenticatedHttpRequest
from convergence.scoping import scope_for_user

TEMPLATE = "children/registry/nik_search.html"
DETAIL_PAGES = {
    Child: "children:child-detail",
    Person: "children:person-detail",
    Keluarga: "children:keluarga-detail",
}


@login_required
@require_http_methods(["GET", "POST"])
def nik_search(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Find a child or person by NIK, or a family by KK number, in the user's scope."""
    if scope_for_user(request.user).is_empty:
        raise PermissionDenied
    if request.method != "POST":
        return render(request, TEMPLATE, {"form": NIKSearchForm()})
    verdict = lookup_allow(user=request.user)
    if not verdict.allowed:
        context = {"form": NIKSearchForm(), "refused": lookup_refused_message(verdict)}
        response = render(request, TEMPLATE, context, status=429)
        response["Retry-After"] = str(verdict.retry_after)
        return response
    form = NIKSearchForm(request.POST)
    if not form.is_valid():
        return render(request, TEMPLATE, {"form": form}, status=400)
    found = selectors.nik_find_for_user(
        user=request.user, nik=form.cleaned_data["nik"], today=timezone.localdate()
    )
    record_lookup(
        user=request.user,
        results=0 if found is None else 1,
        channel=RecordAccess.Channel.PAGE,
        path=request.path,
    )
    if found is not None:
        return redirect(DETAIL_PAGES[type(found)], pk=found.pk)
    return render(request, TEMPLATE, {"form": NIKSearchForm(), "not_found": True})


urlpatterns = [path("cari-nik/", nik_search, name="nik-search")]
