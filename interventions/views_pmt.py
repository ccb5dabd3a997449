"""PMT report pages: absorption and programme outcomes of a year, recipients by name, .xlsx export.

Every role with a scope sees what its scope holds (interventions.pmt_reports reads through
convergence.scoping.restrict); a user without a role gets a 403. Lists naming recipients are read-logged.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from children.audit import record_access
from children.models import RecordAccess
from convergence.db_router import replica_safe
from convergence.http import AuthenticatedHttpRequest
from convergence.paging import paginate
from convergence.scoping import scope_for_user
from interventions import pmt_reports, pmt_xlsx
from interventions import selectors_pmt as sel
from interventions import services_pmt as svc
from interventions.forms_pmt import FinishForm
from interventions.views_pmt_money import send_once


def _require_scope(request: HttpRequest) -> None:
    if scope_for_user(request.user).is_empty:
        raise PermissionDenied


def _log(request: AuthenticatedHttpRequest, count: int, channel: str = RecordAccess.Channel.PAGE) -> None:
    record_access(
        user=request.user,
        kind=RecordAccess.Kind.CHILD,
        count=count,
        channel=channel,
        path=request.path,
    )


@login_required
@require_http_methods(["GET"])
def pmt_report_current(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_scope(request)
    return redirect("interventions:pmt-report", year=timezone.localdate().year)


@replica_safe
@login_required
@require_http_methods(["GET"])
def pmt_report(request: AuthenticatedHttpRequest, year: int) -> HttpResponse:
    _require_scope(request)
    user = request.user
    context = {
        "year": year,
        "absorption": pmt_reports.pmt_absorption(user=user, year=year),
        "programmes": pmt_reports.pmt_programme_report(user=user, year=year),
    }
    return render(request, "interventions/pmt/report.html", context)


@replica_safe
@login_required
@require_http_methods(["GET"])
def pmt_recipients(request: AuthenticatedHttpRequest, year: int) -> HttpResponse:
    _require_scope(request)
    value = request.GET.get("posyandu", "")
    posyandu_id = int(value) if value.isdigit() else None
    rows, choices = pmt_reports.pmt_recipients(
        user=request.user,
        year=year,
        posyandu_id=posyandu_id,
    )
    pager = paginate(request, rows)
    _log(request, len(pager.rows))  # only the page shown is read
    # Programmes whose episodes the user may finish (few per year: one check each, not one per row).
    programmes = {r.enrolment.programme_id: r.enrolment.programme for r in pager.rows}
    finishable = {pk for pk, p in programmes.items() if svc.can_enrol(request.user, p)}
    context = {
        "year": year,
        "rows": pager.rows,
        "pager": pager,
        "choices": choices,
        "posyandu_id": posyandu_id,
        "finishable": finishable,
    }
    return render(request, "interventions/pmt/recipients.html", context)


@replica_safe
@login_required
@require_http_methods(["GET"])
def pmt_report_xlsx(request: AuthenticatedHttpRequest, year: int) -> HttpResponse:
    _require_scope(request)
    user = request.user
    absorption = pmt_reports.pmt_absorption(user=user, year=year)
    programmes = pmt_reports.pmt_programme_report(user=user, year=year)
    rows, _choices = pmt_reports.pmt_recipients(user=user, year=year)
    _log(request, len(rows), RecordAccess.Channel.EXPORT)
    response = HttpResponse(
        pmt_xlsx.workbook_bytes(absorption, programmes, rows),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="laporan-pmt-{year}.xlsx"'
    return response


@login_required
@require_http_methods(["POST"])
def pmt_enrolment_finish(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Finish an episode today, or on the date sent (at most its planned last day), once per form
    token; then go back."""
    _require_scope(request)
    user = request.user
    enrolment = sel.pmt_enrolment_list_for_user(user=user).filter(pk=pk).first()
    if enrolment is None:
        raise Http404
    if not svc.can_enrol(user, enrolment.programme):
        raise PermissionDenied
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("interventions:pmt-recipients", args=[enrolment.programme.year])
    form = FinishForm(request.POST)
    if form.is_valid():
        response = send_once(
            request,
            form,
            operation="pmt_enrolment_finish",
            run=lambda: svc.pmt_enrolment_finish(
                user=user,
                enrolment=enrolment,
                today=timezone.localdate(),
                finished_on=form.cleaned_data.get("finished_on"),
            ),
            result_url=lambda _row: target,
            success=lambda _row: _("Episode PMT %(name)s selesai.") % {"name": enrolment.recipient},
        )
        if response is not None:
            return response
    messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect(target)


urlpatterns = [
    path("pmt/", pmt_report_current, name="pmt-report-current"),
    path("pmt/<int:year>/", pmt_report, name="pmt-report"),
    path("pmt/<int:year>/penerima/", pmt_recipients, name="pmt-recipients"),
    path("pmt/<int:year>/laporan.xlsx", pmt_report_xlsx, name="pmt-report-xlsx"),
    path("pmt/episode/<int:pk>/selesai/", pmt_enrolment_finish, name="pmt-enrolment-finish"),
]
