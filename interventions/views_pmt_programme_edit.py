"""The page that edits a PMT programme (name, year, category, period, OPD, funding lines and shares).

The same service as the API's PUT/PATCH (interventions.services_pmt.pmt_programme_update): Bappeda any
programme of its kabupaten, an OPD officer the programmes of his OPD with lines he manages, and only
before the programme's first episode. The form is sent once (interventions.submissions).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from convergence.http import AuthenticatedHttpRequest
from convergence.models import OPD
from convergence.scoping import restrict, scope_for_user
from interventions import selectors_pmt as sel
from interventions import services_pmt as svc
from interventions.forms_pmt import FUNDING_ROWS, ProgrammeForm
from interventions.models import PMTProgramme
from interventions.views_pmt_money import require_money, search_text, send_once
from interventions.views_pmt_programmes import _fundings, _line_choices, _opd_options, _programme_for


def _initial(programme: PMTProgramme) -> dict[str, Any]:
    """The form's values from the programme and its funding rows (at most FUNDING_ROWS of them)."""
    initial: dict[str, Any] = {
        key: getattr(programme, key) for key in ("year", "name", "category", "starts_on", "ends_on")
    }
    initial["opd"] = programme.opd_id
    for n, funding in enumerate(sel.programme_fundings(programme=programme)[:FUNDING_ROWS], start=1):
        initial[f"line_{n}"] = funding.budget_line_id
        initial[f"share_{n}"] = funding.share_percent
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def programme_update(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Edit a programme that has no episode yet; one that has one is shown with the reason instead."""
    require_money(request)
    user = request.user
    programme = _programme_for(request, pk)
    if scope_for_user(user).is_read_only or not svc.can_manage_programme(
        user, kabupaten=programme.kabupaten, opd=programme.opd
    ):
        raise PermissionDenied
    locked = programme.enrolments.exists()
    initial = _initial(programme)
    search = search_text(request, "cari_baris")
    posted = [int(request.POST.get(f"line_{n}", "") or 0) for n in range(1, FUNDING_ROWS + 1)]
    current = [initial.get(f"line_{n}") or 0 for n in range(1, FUNDING_ROWS + 1)]
    form = ProgrammeForm(
        request.POST or None,
        initial=initial,
        opd_choices=_opd_options(request),
        line_choices=_line_choices(request, search, [pk for pk in (*posted, *current) if pk]),
    )
    if request.method == "POST" and not locked and form.is_valid():
        data = form.cleaned_data

        def update() -> PMTProgramme:
            opd = restrict(OPD.objects.all(), user).filter(pk=data["opd"]).first()
            if opd is None:
                raise ValidationError({"opd": [_("OPD tidak ditemukan.")]})
            return svc.pmt_programme_update(
                user=user,
                programme=programme,
                fundings=_fundings(request, form),
                year=data["year"],
                name=data["name"],
                category=data["category"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                opd=opd,
            )

        response = send_once(
            request,
            form,
            operation="pmt_programme_update",
            run=update,
            result_url=lambda p: reverse("interventions:pmt-programme", args=[p.pk]),
            success=lambda p: _("Perubahan program %(name)s tersimpan.") % {"name": p.name},
            denied=_("Anda tidak boleh memakai baris anggaran atau OPD ini."),
        )
        if response is not None:
            return response
    context = {"form": form, "search": search, "programme": programme, "locked": locked}
    status = 409 if request.method == "POST" and locked else 200
    return render(request, "interventions/pmt/programme_edit.html", context, status=status)


urlpatterns = [
    path("pmt/program/<int:pk>/ubah/", programme_update, name="pmt-programme-update"),
]
