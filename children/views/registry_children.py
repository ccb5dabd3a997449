"""Registry pages of children: the list, the registration (with its likely-duplicate step) and the edit.

Before a new child is saved, the children the review queue would pair it with (children.registration)
are shown: the user opens the one it is, or saves it as new (the pairs are then queued for review). A
match outside the user's scope is not named. The confirmation carries a one-time token, so a repeated
submission does not register the child twice.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from children import registration, services
from children import selectors_registry as selectors
from children.forms.registry import ChildForm, apply_service_errors
from children.models import Child, DuplicateCandidate, RecordAccess
from children.views.registry_common import (
    form_page,
    int_param,
    list_context,
    log_access,
    page_of,
    refuse_number_search,
    require_scope,
    require_writer,
    warn_nik,
)
from convergence.http import AuthenticatedHttpRequest

# The value of the confirmation step's "save as new" button.
DECISION_NEW = "baru"


@login_required
@require_http_methods(["GET"])
def child_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_scope(request)
    if (refused := refuse_number_search(request)) is not None:
        return refused
    filters = selectors.ChildFilters(
        q=request.GET.get("q", ""),
        posyandu_id=int_param(request, "posyandu"),
        desa_id=int_param(request, "desa"),
        status=request.GET.get("status", "") if request.GET.get("status") in Child.Status.values else "",
        sex=request.GET.get("jk", "") if request.GET.get("jk") in ("L", "P") else "",
        age_band=request.GET.get("umur", ""),
    )
    page = page_of(
        request, selectors.child_list_for_user(user=request.user, filters=filters, today=timezone.localdate())
    )
    log_access(request, RecordAccess.Kind.CHILD, count=len(page.object_list))
    context = list_context(
        request,
        page,
        filters=filters,
        posyandu_list=selectors.posyandu_choices_for_user(user=request.user),
        desa_list=selectors.desa_choices_for_user(user=request.user),
        status_choices=Child.Status.choices,
        age_bands=list(selectors.AGE_BANDS),
    )
    return render(request, "children/registry/child_list.html", context)


def _child_form(request: AuthenticatedHttpRequest, child: Child | None) -> ChildForm:
    return ChildForm(
        request.POST or None,
        instance=child,
        posyandu=selectors.posyandu_choices_for_user(user=request.user),
        mothers=selectors.mother_choices_for_user(user=request.user),
        keluarga=selectors.keluarga_choices_for_user(user=request.user),
        editing=child is not None,
    )


def _child_fields(form: ChildForm) -> tuple[str, dict[str, Any]]:
    fields = dict(form.cleaned_data)
    nik = fields.pop("nik")
    fields["desa"] = fields["posyandu"].desa
    return nik, fields


def _create_page(
    request: AuthenticatedHttpRequest,
    form: ChildForm,
    matches: registration.ChildMatches | None = None,
) -> HttpResponse:
    context: dict[str, Any] = {
        "form": form,
        "title": _("Daftarkan anak"),
        "cancel_url": reverse("children:child-list"),
    }
    if matches is not None:
        Reason = DuplicateCandidate.Reason
        context["matches"] = [(child, Reason(matches.reasons[child.pk]).label) for child in matches.in_scope]
        context["outside_scope"] = matches.outside_scope
        context["token"] = registration.registration_token_issue(user=request.user)
        log_access(request, RecordAccess.Kind.CHILD, ids=[child.pk for child in matches.in_scope])
    return render(request, "children/registry/child_create.html", context)


def _matches(request: AuthenticatedHttpRequest, fields: dict[str, Any]) -> registration.ChildMatches:
    return registration.child_registration_matches(
        user=request.user,
        name=fields["name"],
        sex=fields["sex"],
        birth_date=fields["birth_date"],
        desa_id=fields["desa"].pk,
        mother=fields.get("mother"),
        mother_name=fields.get("mother_name") or "",
    )


def _save_new(request: AuthenticatedHttpRequest, form: ChildForm, *, token: str) -> HttpResponse:
    nik, fields = _child_fields(form)
    try:
        result = services.child_save(user=request.user, nik=nik, **fields)
    except ValidationError as error:
        apply_service_errors(form, error)
        return _create_page(request, form)
    if token:
        registration.registration_token_done(user=request.user, token=token, child_id=result.obj.pk)
        messages.info(
            request, _("Anak disimpan sebagai anak baru; data yang mirip dikirim ke antrean tinjauan.")
        )
    warn_nik(request, result.warnings)
    messages.success(request, _("Anak tersimpan."))
    return redirect("children:child-detail", pk=result.obj.pk)


def _repeated(request: AuthenticatedHttpRequest, token: str) -> HttpResponse:
    """A confirmation whose token was used already: open what it saved, never save again."""
    child_id = registration.registration_token_child(user=request.user, token=token)
    if child_id is not None:
        messages.info(request, _("Formulir ini sudah dikirim; anak sudah tersimpan."))
        return redirect("children:child-detail", pk=child_id)
    messages.warning(request, _("Formulir ini sudah dikirim. Periksa daftar anak sebelum mendaftarkan lagi."))
    return redirect("children:child-list")


@login_required
@require_http_methods(["GET", "POST"])
def child_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_writer(request)
    form = _child_form(request, None)
    if request.method != "POST" or not form.is_valid():
        return _create_page(request, form)
    if request.POST.get("keputusan") == DECISION_NEW:
        token = request.POST.get("token", "")
        if not registration.registration_token_use(user=request.user, token=token):
            return _repeated(request, token)
        return _save_new(request, form, token=token)
    matches = _matches(request, _child_fields(form)[1])
    if matches.any:
        return _create_page(request, form, matches)
    return _save_new(request, form, token="")


@login_required
@require_http_methods(["GET", "POST"])
def child_update(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    child = selectors.child_get_for_user(user=request.user, pk=pk)
    require_writer(request)
    form = _child_form(request, child)
    if request.method == "POST" and form.is_valid():
        nik, fields = _child_fields(form)
        try:
            result = services.child_save(user=request.user, child=child, nik=nik or None, **fields)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            warn_nik(request, result.warnings)
            messages.success(request, _("Anak tersimpan."))
            return redirect("children:child-detail", pk=child.pk)
    cancel = reverse("children:child-detail", kwargs={"pk": child.pk})
    return form_page(request, form, title=_("Ubah data %(name)s") % {"name": child.name}, cancel=cancel)


urlpatterns = [
    path("anak/", child_list, name="child-list"),
    path("anak/baru/", child_create, name="child-create"),
    path("anak/<int:pk>/ubah/", child_update, name="child-update"),
]
