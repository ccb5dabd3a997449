"""PMT money pages: budget lines (create, revise) with their ledger, disbursements (request, approve or
reject by a second officer, reverse) and the approval queue.

The same services as the API (interventions.services_pmt) decide every write and every permission; the
pages read through interventions.selectors_pmt (out of scope: 404). Roles without PMT money (a kader,
no role) get 403. Every form is sent once (interventions.submissions): a second submit of the same
rendered form shows the first result. Every page showing money shows its ledger reconciling.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from convergence.http import AuthenticatedHttpRequest
from convergence.models import OPD, Region, User
from convergence.scoping import restrict, scope_for_user
from convergence.search import desa_label
from convergence.selectors import desa_list_for_user
from interventions import selectors_pmt as sel
from interventions import services_pmt as svc
from interventions.forms_pmt import (
    BudgetLineForm,
    DecisionForm,
    DisbursementForm,
    ReversalForm,
    RevisionForm,
)
from interventions.models import BudgetLine, Disbursement, FundingSource, PMTEnrolment, PMTSubmission
from interventions.submissions import KeyReused, submission_run
from interventions.templatetags.pmt import rupiah

PAGE_SIZES = (10, 25, 50, 100)
# The line page holds two forms: their element ids differ (the field names stay those of the API).
REVISION_IDS, DISBURSEMENT_IDS = "revisi-%s", "pencairan-%s"
DEFAULT_PAGE_SIZE = 25


# --- helpers shared by the PMT pages -------------------------------------------------------------------


def require_money(request: AuthenticatedHttpRequest) -> None:
    if not svc.can_see_pmt_money(request.user):
        raise PermissionDenied


def paged(request: AuthenticatedHttpRequest, rows: QuerySet[Any] | list[Any]) -> tuple[Page, str, int]:
    """The page asked for by `halaman` and `per_halaman` (server side), and the query string of the
    other parameters for the page links."""
    size_text = request.GET.get("per_halaman", "")
    size = int(size_text) if size_text.isdigit() and int(size_text) in PAGE_SIZES else DEFAULT_PAGE_SIZE
    page = Paginator(rows, size).get_page(request.GET.get("halaman"))
    params = request.GET.copy()
    params.pop("halaman", None)
    return page, params.urlencode(), size


def search_text(request: AuthenticatedHttpRequest, name: str) -> str:
    return request.GET.get(name, "").strip()[:80]


def form_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's ValidationError on the form: a field the form has, else at the top."""
    if hasattr(error, "error_dict"):
        for field, items in error.message_dict.items():
            form.add_error(field if field in form.fields else None, items)
    else:
        form.add_error(None, error.messages)


def send_once(
    request: AuthenticatedHttpRequest,
    form: forms.Form,
    *,
    operation: str,
    run: Callable[[], Model],
    result_url: Callable[[Any], str],
    success: Callable[[Any], str],
    denied: str | None = None,
) -> HttpResponse | None:
    """Run the form's operation once for its token and redirect to its result; None when the form
    has errors to show (the token was not used, the corrected form may be sent again). With `denied`,
    a refusal of what the form chose (a holder, a line) is shown on the form instead of a 403."""
    try:
        done = submission_run(
            user=request.user,
            channel=PMTSubmission.Channel.PAGE,
            key=form.cleaned_data["token"],
            operation=operation,
            run=run,
            result_url=result_url,
        )
    except KeyReused:
        form.add_error(None, _("Formulir ini sudah dipakai untuk hal lain. Muat ulang halaman."))
        return None
    except ValidationError as error:
        form_errors(form, error)
        return None
    except PermissionDenied:
        if denied is None:
            raise
        form.add_error(None, denied)
        return None
    if done.replayed:
        messages.info(
            request,
            _("Formulir ini sudah terkirim sebelumnya; hasilnya ditampilkan, tidak dicatat dua kali."),
        )
    else:
        messages.success(request, success(done.result))
    return redirect(done.claim.result_url)


def opd_choices(user: User) -> list[tuple[int, str]]:
    return [(o.pk, str(o)) for o in restrict(OPD.objects.order_by("short_name"), user)]


def desa_choices(user: User, search: str, selected: int | None = None) -> list[tuple[int, str]]:
    """Desa of the user's scope matching `search` (at most 50), each with its kecamatan."""
    rows = desa_list_for_user(user=user).select_related("parent")
    found = rows.filter(name__icontains=search) if search else rows
    picked = list(found.order_by("name", "code")[: sel.CHOICES_LIMIT])
    if selected and all(d.pk != selected for d in picked):
        picked += list(rows.filter(pk=selected))
    return [(d.pk, desa_label(d)) for d in picked]


def line_label(line: BudgetLine) -> str:
    # A line belongs to an OPD or to a desa (a constraint): one of the two is set.
    holder = line.opd.short_name if line.opd is not None else line.desa.name if line.desa is not None else ""
    return f"{line.year} · {line.name} · {holder} · {line.get_source_display()}"


# --- budget lines --------------------------------------------------------------------------------------


def _line_list_filters(request: AuthenticatedHttpRequest) -> tuple[QuerySet[BudgetLine], dict[str, Any]]:
    lines = sel.budget_line_list_for_user(user=request.user)
    year_text = request.GET.get("tahun", "")
    year = int(year_text) if year_text.isdigit() else timezone.localdate().year
    lines = lines.filter(year=year)
    source = request.GET.get("sumber", "")
    if source in FundingSource.values:
        lines = lines.filter(source=source)
    search = search_text(request, "cari")
    if search:
        lines = lines.filter(
            Q(name__icontains=search)
            | Q(sub_activity_code__icontains=search)
            | Q(desa__name__icontains=search)
            | Q(opd__short_name__icontains=search)
        )
    return lines.order_by("name", "pk"), {"year": year, "source": source, "search": search}


@login_required
@require_http_methods(["GET"])
def budget_line_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_money(request)
    lines, filters = _line_list_filters(request)
    page, params, size = paged(request, lines)
    rows = list(page.object_list)
    ledgers = sel.budget_line_ledgers(lines=rows)
    context = {
        **filters,
        "page": page,
        "params": params,
        "page_size": size,
        "page_sizes": PAGE_SIZES,
        "rows": [(line, ledgers[line.pk]) for line in rows],
        "total": sel.budget_line_ledger_total(lines=lines),
        "sources": FundingSource.choices,
        "can_create": svc.may_create_budget_lines(request.user),
    }
    return render(request, "interventions/pmt/budget_line_list.html", context)


def _holder(user: User, form: BudgetLineForm) -> tuple[OPD | None, Region | None]:
    """The OPD or desa the form names, each read through the user's scope (else a form error)."""
    opd = desa = None
    if form.cleaned_data.get("opd"):
        opd = restrict(OPD.objects.all(), user).filter(pk=form.cleaned_data["opd"]).first()
        if opd is None:
            raise ValidationError({"opd": [_("OPD tidak ditemukan.")]})
    if form.cleaned_data.get("desa"):
        desa = desa_list_for_user(user=user).filter(pk=form.cleaned_data["desa"]).first()
        if desa is None:
            raise ValidationError({"desa": [_("Desa tidak ditemukan.")]})
    return opd, desa


@login_required
@require_http_methods(["GET", "POST"])
def budget_line_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if not svc.can_see_pmt_money(user) or not svc.may_create_budget_lines(user):
        raise PermissionDenied
    scope = scope_for_user(user)
    kabupaten = Region.objects.filter(code=scope.kabupaten_prefix or "").first()
    if kabupaten is None:
        raise Http404
    search = search_text(request, "cari_desa")
    posted = request.POST.get("desa", "")
    form = BudgetLineForm(
        request.POST or None,
        opd_choices=opd_choices(user),
        desa_choices=desa_choices(user, search, int(posted) if posted.isdigit() else None),
    )
    if request.method == "POST" and form.is_valid():

        def create() -> BudgetLine:
            opd, desa = _holder(user, form)
            data = {k: form.cleaned_data[k] for k in ("year", "source", "name", "allocated")}
            codes = ("programme_code", "activity_code", "sub_activity_code")
            return svc.budget_line_create(
                user=user,
                kabupaten=kabupaten,
                opd=opd,
                desa=desa,
                **data,
                **{k: form.cleaned_data[k] for k in codes},
            )

        response = send_once(
            request,
            form,
            operation="budget_line_create",
            run=create,
            result_url=lambda line: reverse("interventions:pmt-budget-line", args=[line.pk]),
            success=lambda line: _("Baris anggaran %(name)s tersimpan.") % {"name": line.name},
            denied=_("Anda tidak boleh mengelola baris anggaran pemegang ini."),
        )
        if response is not None:
            return response
    return render(request, "interventions/pmt/budget_line_form.html", {"form": form, "search": search})


def _line_for(request: AuthenticatedHttpRequest, pk: int) -> BudgetLine:
    line = sel.budget_line_list_for_user(user=request.user).filter(pk=pk).first()
    if line is None:
        raise Http404
    return line


def enrolment_choices(line: BudgetLine, search: str, selected: int | None = None) -> list[tuple[int, str]]:
    """Episodes funded by the line (not cancelled) whose recipient's name matches, at most 50."""
    rows = (
        PMTEnrolment.objects.filter(reservations__budget_line=line)
        .exclude(status=PMTEnrolment.Status.CANCELLED)
        .select_related("child", "person", "desa", "programme")
    )
    found = rows
    if search:
        found = rows.filter(Q(child__name__icontains=search) | Q(person__name__icontains=search))
    picked = list(found.order_by("start_date", "pk")[: sel.CHOICES_LIMIT])
    if selected and all(e.pk != selected for e in picked):
        picked += list(rows.filter(pk=selected))
    return [
        (e.pk, f"{e.recipient}, {e.desa.name} · {e.programme.name} · {e.start_date:%d-%m-%Y}") for e in picked
    ]


def _line_page(
    request: AuthenticatedHttpRequest,
    line: BudgetLine,
    *,
    revision_form: RevisionForm | None = None,
    disbursement_form: DisbursementForm | None = None,
) -> HttpResponse:
    user = request.user
    can_manage = svc.can_manage_line(user, line) and not scope_for_user(user).is_read_only
    today = timezone.localdate()
    search = search_text(request, "cari_episode")
    posted = request.POST.get("enrolment", "")
    if can_manage:
        revision_form = revision_form or RevisionForm(initial={"revised_on": today}, auto_id=REVISION_IDS)
        disbursement_form = disbursement_form or DisbursementForm(
            initial={"paid_on": today},
            auto_id=DISBURSEMENT_IDS,
            enrolment_choices=enrolment_choices(line, search, int(posted) if posted.isdigit() else None),
        )
    disbursements = line.disbursements.select_related("enrolment", "recorded_by", "approved_by")
    page, params, size = paged(request, disbursements.order_by("-created_at", "-pk"))
    reversed_ids = set(
        line.disbursements.exclude(status=Disbursement.Status.REJECTED)
        .filter(reverses__isnull=False)
        .values_list("reverses_id", flat=True)
    )
    context = {
        "line": line,
        "ledger": sel.budget_line_ledgers(lines=[line])[line.pk],
        "revisions": line.revisions.select_related("made_by").order_by("-created_at", "-pk"),
        "page": page,
        "params": params,
        "page_size": size,
        "page_sizes": PAGE_SIZES,
        "reversed_ids": reversed_ids,
        "can_manage": can_manage,
        "revision_form": revision_form,
        "disbursement_form": disbursement_form,
        "search": search,
        "user_id": user.pk,
    }
    return render(request, "interventions/pmt/budget_line_detail.html", context)


@login_required
@require_http_methods(["GET"])
def budget_line_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_money(request)
    return _line_page(request, _line_for(request, pk))


def _check_manage(request: AuthenticatedHttpRequest, line: BudgetLine) -> None:
    user = request.user
    if scope_for_user(user).is_read_only or not svc.can_manage_line(user, line):
        raise PermissionDenied


@login_required
@require_POST
def budget_line_revise(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_money(request)
    line = _line_for(request, pk)
    _check_manage(request, line)
    form = RevisionForm(request.POST, auto_id=REVISION_IDS)
    if form.is_valid():
        response = send_once(
            request,
            form,
            operation="budget_line_revise",
            run=lambda: svc.budget_line_revise(
                user=request.user,
                line=line,
                new_allocated=form.cleaned_data["new_allocated"],
                reason=form.cleaned_data["reason"],
                revised_on=form.cleaned_data["revised_on"],
            ),
            result_url=lambda _r: reverse("interventions:pmt-budget-line", args=[line.pk]),
            success=lambda r: _("Pagu direvisi menjadi %(n)s.") % {"n": rupiah(r.new_allocated)},
        )
        if response is not None:
            return response
    line.refresh_from_db()
    return _line_page(request, line, revision_form=form)


@login_required
@require_POST
def disbursement_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_money(request)
    line = _line_for(request, pk)
    _check_manage(request, line)
    posted = request.POST.get("enrolment", "")
    form = DisbursementForm(
        request.POST,
        auto_id=DISBURSEMENT_IDS,
        enrolment_choices=enrolment_choices(line, "", int(posted) if posted.isdigit() else None),
    )
    if form.is_valid():
        data = form.cleaned_data
        enrolment = None
        if data.get("enrolment"):
            enrolment = (
                sel.pmt_enrolment_list_for_user(user=request.user).filter(pk=data["enrolment"]).first()
            )
            if enrolment is None:
                form.add_error("enrolment", _("Episode tidak ditemukan."))
        if form.is_valid():
            response = send_once(
                request,
                form,
                operation="disbursement_record",
                run=lambda: svc.disbursement_record(
                    user=request.user,
                    budget_line=line,
                    amount=data["amount"],
                    payee=data["payee"],
                    paid_on=data["paid_on"],
                    enrolment=enrolment,
                    note=data["note"],
                ),
                result_url=lambda _row: reverse("interventions:pmt-budget-line", args=[line.pk]),
                success=lambda row: (
                    _("Pencairan %(n)s dicatat dan menunggu persetujuan petugas lain.")
                    % {"n": rupiah(row.amount)}
                ),
            )
            if response is not None:
                return response
    return _line_page(request, line, disbursement_form=form)


# --- disbursements: the approval queue, decisions, reversal --------------------------------------------


def _disbursement_for(request: AuthenticatedHttpRequest, pk: int) -> Disbursement:
    row = (
        sel.disbursement_list_for_user(user=request.user)
        .select_related("budget_line__kabupaten", "budget_line__opd", "budget_line__desa")
        .filter(pk=pk)
        .first()
    )
    if row is None:
        raise Http404
    return row


STATUS_FILTERS = dict(Disbursement.Status.choices)


@login_required
@require_http_methods(["GET"])
def disbursement_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Disbursements in the user's scope, waiting ones first by default (the approval queue)."""
    require_money(request)
    user = request.user
    status = request.GET.get("status", Disbursement.Status.PENDING)
    rows = sel.disbursement_list_for_user(user=user).select_related(
        "budget_line__opd", "budget_line__desa", "enrolment__child", "enrolment__person", "recorded_by"
    )
    if status in STATUS_FILTERS:
        rows = rows.filter(status=status)
    page, params, size = paged(request, rows.order_by("-created_at", "-pk"))
    line_ids = {row.budget_line_id for row in page.object_list}
    lines = list(sel.budget_line_list_for_user(user=user).filter(pk__in=line_ids))
    manageable = {line.pk for line in lines if svc.can_manage_line(user, line)}
    if scope_for_user(user).is_read_only:
        manageable = set()
    reversed_ids = set(
        Disbursement.objects.filter(reverses__in=[row.pk for row in page.object_list])
        .exclude(status=Disbursement.Status.REJECTED)
        .values_list("reverses_id", flat=True)
    )
    context = {
        "page": page,
        "params": params,
        "page_size": size,
        "page_sizes": PAGE_SIZES,
        "reversed_ids": reversed_ids,
        "status": status,
        "statuses": Disbursement.Status.choices,
        "manageable": manageable,
        "user_id": user.pk,
        "total": sel.budget_line_ledger_total(lines=sel.budget_line_list_for_user(user=user)),
    }
    return render(request, "interventions/pmt/disbursement_list.html", context)


def _back(request: AuthenticatedHttpRequest, row: Disbursement) -> str:
    target = request.POST.get("next", "")
    allowed = (reverse("interventions:pmt-disbursement-list"), reverse("interventions:pmt-budget-lines"))
    if target.startswith(allowed) and "//" not in target:
        return target
    return reverse("interventions:pmt-budget-line", args=[row.budget_line_id])


def _decide(request: AuthenticatedHttpRequest, pk: int, *, approve: bool) -> HttpResponse:
    require_money(request)
    row = _disbursement_for(request, pk)
    _check_manage(request, row.budget_line)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Formulir tidak lengkap. Muat ulang halaman lalu coba lagi."))
        return redirect(_back(request, row))
    if row.recorded_by_id == request.user.pk:
        # Maker-checker: the service refuses too; the page says why instead of a bare 403.
        messages.error(request, _("Pencatat pencairan tidak boleh menyetujui atau menolaknya sendiri."))
        return redirect(_back(request, row))
    decide = svc.disbursement_approve if approve else svc.disbursement_reject
    back = _back(request, row)
    response = send_once(
        request,
        form,
        operation="disbursement_approve" if approve else "disbursement_reject",
        run=lambda: decide(user=request.user, disbursement=row),
        result_url=lambda _r: back,
        success=lambda r: (
            (_("Pencairan %(n)s disetujui.") if approve else _("Pencairan %(n)s ditolak."))
            % {"n": rupiah(r.amount)}
        ),
    )
    if response is None:
        messages.error(
            request,
            " ".join(str(e) for e in form.non_field_errors())
            or " ".join(str(e) for errors in form.errors.values() for e in errors),
        )
        return redirect(back)
    return response


@login_required
@require_POST
def disbursement_approve(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, approve=True)


@login_required
@require_POST
def disbursement_reject(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, approve=False)


@login_required
@require_http_methods(["GET", "POST"])
def disbursement_reverse(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_money(request)
    row = _disbursement_for(request, pk)
    _check_manage(request, row.budget_line)
    form = ReversalForm(request.POST or None, initial={"paid_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        response = send_once(
            request,
            form,
            operation="disbursement_reverse",
            run=lambda: svc.disbursement_reverse(
                user=request.user,
                disbursement=row,
                paid_on=form.cleaned_data["paid_on"],
                note=form.cleaned_data["note"],
            ),
            result_url=lambda _r: reverse("interventions:pmt-budget-line", args=[row.budget_line_id]),
            success=lambda r: (
                _("Pembalikan %(n)s dicatat dan menunggu persetujuan petugas lain.")
                % {"n": rupiah(-r.amount)}
            ),
        )
        if response is not None:
            return response
    line = row.budget_line
    context = {
        "row": row,
        "form": form,
        "line": line,
        "ledger": sel.budget_line_ledgers(lines=[line])[line.pk],
    }
    return render(request, "interventions/pmt/disbursement_reverse.html", context)


urlpatterns = [
    path("pmt/anggaran/", budget_line_list, name="pmt-budget-lines"),
    path("pmt/anggaran/baru/", budget_line_create, name="pmt-budget-line-create"),
    path("pmt/anggaran/<int:pk>/", budget_line_detail, name="pmt-budget-line"),
    path("pmt/anggaran/<int:pk>/revisi/", budget_line_revise, name="pmt-budget-line-revise"),
    path("pmt/anggaran/<int:pk>/pencairan/", disbursement_create, name="pmt-disbursement-create"),
    path("pmt/pencairan/", disbursement_list, name="pmt-disbursement-list"),
    path("pmt/pencairan/<int:pk>/setujui/", disbursement_approve, name="pmt-disbursement-approve"),
    path("pmt/pencairan/<int:pk>/tolak/", disbursement_reject, name="pmt-disbursement-reject"),
    path("pmt/pencairan/<int:pk>/balik/", disbursement_reverse, name="pmt-disbursement-reverse"),
]
