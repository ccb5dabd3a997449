"""What the registry pages share: the scope and writer checks, the refused number search, paging, the
read log and the form page."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from children import selectors_registry as selectors
from children.access import can_write_registry
from children.audit import record_access
from children.models import RecordAccess
from convergence.http import AuthenticatedHttpRequest
from convergence.scoping import scope_for_user

FORM_TEMPLATE = "children/registry/form.html"


def require_scope(request: HttpRequest) -> None:
    if scope_for_user(request.user).is_empty:
        raise PermissionDenied


def require_writer(request: HttpRequest) -> None:
    if not can_write_registry(request.user):
        raise PermissionDenied


def refuse_number_search(request: HttpRequest) -> HttpResponse | None:
    """A number in a name search (a NIK or KK number) is never searched from a URL, where it would stay
    in access logs and browser history: drop it from the address and point to the NIK search (POST)."""
    if not any(ch.isdigit() for ch in request.GET.get("q", "")):
        return None
    messages.warning(
        request,
        _("Nomor tidak dicari lewat kotak nama. Cari NIK atau nomor KK di halaman Cari NIK."),
    )
    params = request.GET.copy()
    params.pop("q")
    params.pop("halaman", None)
    return redirect(f"{request.path}?{params.urlencode()}" if params else request.path)


def int_param(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() else None


def page_of(request: HttpRequest, queryset: QuerySet) -> Page:
    return Paginator(queryset, selectors.PAGE_SIZE).get_page(request.GET.get("halaman"))


def other_params(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("halaman", None)
    return params.urlencode()


def log_access(request: AuthenticatedHttpRequest, kind: str, ids: Iterable[int] = (), count: int = 0) -> None:
    record_access(
        user=request.user,
        kind=kind,
        object_ids=list(ids),
        count=count,
        channel=RecordAccess.Channel.PAGE,
        path=request.path,
    )


def warn_nik(request: HttpRequest, warnings: list[str]) -> None:
    for warning in warnings:
        messages.warning(request, _("Periksa NIK: %(warning)s.") % {"warning": warning})


def form_page(request: HttpRequest, form: Any, *, title: str, cancel: str, status: int = 200) -> HttpResponse:
    return render(request, FORM_TEMPLATE, {"form": form, "title": title, "cancel_url": cancel}, status=status)


def list_context(request: HttpRequest, page: Page, **extra: Any) -> dict[str, Any]:
    return {
        "page": page,
        "rows": page.object_list,
        "params": other_params(request),
        "q": request.GET.get("q", ""),
        "can_write": can_write_registry(request.user),
        **extra,
    }
