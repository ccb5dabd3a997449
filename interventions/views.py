"""Pages of the interventions app: catalogue, deliveries (list, form, import), ledger, gaps, referrals.

Reads through interventions.selectors (scoped: out of scope is a 404), writes through
interventions.services (a role that may not write gets a 403). NIKs are only ever POSTed, never put
in a URL; lists naming children, mothers or families are read-logged.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from children.access import lookup_allow, lookup_refused_message
from children.audit import record_lookup
from children.models import RecordAccess
from convergence.http import AuthenticatedHttpRequest
from convergence.models import OPD
from convergence.paging import paginate
from convergence.scoping import scope_for_user
from convergence.selectors import desa_list_for_user, region_home_for_user
from convergence.uploads import UploadRefused, refusal_text
from interventions import access, compute, imports, imports_jobs, selectors, services
from interventions.audit import log_subject_reads
from interventions.forms import DeliveryForm, ImportForm, ReferralCreateForm, ReferralStatusForm
from interventions.models import Referral

TARGET_LABELS = {
    compute.TARGET_BADUTA: gettext_lazy("Anak 0-23 bulan"),
    compute.TARGET_IBU_HAMIL: gettext_lazy("Ibu hamil"),
    compute.TARGET_KELUARGA: gettext_lazy("Keluarga berisiko"),
}
REFERRAL_DAYS = 30


def _require_scope(request: HttpRequest) -> None:
    if scope_for_user(request.user).is_empty:
        raise PermissionDenied


def _int(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() else None


def _year(request: HttpRequest) -> int:
    year = _int(request, "tahun")
    return year if year and 2000 <= year <= 2100 else timezone.localdate().year


def _log(request: AuthenticatedHttpRequest, kinds: list[str]) -> None:
    log_subject_reads(
        user=request.user,
        kinds=kinds,
        channel=RecordAccess.Channel.PAGE,
        path=request.path,
    )


@login_required
@require_http_methods(["GET"])
def catalogue(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_scope(request)
    year = _year(request)
    rows = selectors.catalogue_for_user(user=request.user, year=year)
    return render(request, "interventions/catalogue.html", {"rows": rows, "year": year})


@login_required
@require_http_methods(["GET"])
def delivery_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_scope(request)
    filters = selectors.DeliveryFilters(
        intervention_id=_int(request, "intervensi"), desa_id=_int(request, "desa")
    )
    deliveries = selectors.delivery_list_for_user(user=request.user, filters=filters)
    page = Paginator(deliveries, selectors.PAGE_SIZE).get_page(request.GET.get("halaman"))
    _log(request, [row.subject_kind for row in page.object_list])
    params = request.GET.copy()
    params.pop("halaman", None)
    context = {
        "page": page,
        "rows": page.object_list,
        "params": params.urlencode(),
        "interventions": selectors.intervention_list_for_user(user=request.user),
        "intervention_selected": filters.intervention_id,
        "can_record": access.can_record_delivery(request.user),
    }
    return render(request, "interventions/delivery_list.html", context)


def _prefill(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    """Initial values from a gap or referral link (ids only, never a NIK)."""
    initial: dict[str, Any] = {"delivered_on": timezone.localdate()}
    referral_id = _int(request, "rujukan")
    if referral_id:
        referral = selectors.referral_get_for_user(user=request.user, pk=referral_id)
        initial.update(
            intervention=referral.intervention_id,
            subject_kind=referral.subject_kind,
            subject_id=referral.subject_id,
        )
    elif _int(request, "sasaran"):
        initial.update(
            intervention=_int(request, "intervensi"),
            subject_kind=request.GET.get("jenis", ""),
            subject_id=_int(request, "sasaran"),
        )
    return initial


class LookupRefused(Exception):
    """The user has used up the NIK/KK look-ups of the moment."""


def _subject_by_number(request: AuthenticatedHttpRequest, *, nik: str, kk_number: str) -> Any:
    """The child, person or family found by NIK or KK number: one look-up counted against the user's
    limit (shared with the NIK search) and logged, hit or miss."""
    verdict = lookup_allow(user=request.user)
    if not verdict.allowed:
        raise LookupRefused(lookup_refused_message(verdict))
    found = selectors.subject_find_for_user(
        user=request.user,
        nik=nik,
        kk_number=kk_number,
    )
    record_lookup(
        user=request.user,
        results=0 if found is None else 1,
        channel=RecordAccess.Channel.PAGE,
        path=request.path,
    )
    if found is None:
        raise ValidationError({"nik": _("Sasaran tidak ditemukan di wilayah kerja Anda.")})
    return found


@login_required
@require_http_methods(["GET", "POST"])
def delivery_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not access.can_record_delivery(request.user):
        raise PermissionDenied
    interventions = selectors.writable_interventions_for_user(user=request.user)
    form = DeliveryForm(request.POST or None, initial=_prefill(request), interventions=interventions)
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data.get("subject_id"):
                subject = services.subject_for_user(
                    user=request.user,
                    kind=data["subject_kind"],
                    pk=data["subject_id"],
                )
            else:
                subject = _subject_by_number(request, nik=data["nik"], kk_number=data["kk_number"])
            result = services.delivery_record(
                user=request.user,
                intervention=data["intervention"],
                subject=subject,
                delivered_on=data["delivered_on"],
                quantity=data["quantity"],
                unit=data["unit"],
                funding_source=data["funding_source"],
                provider_unit=data["provider_unit"],
            )
        except LookupRefused as refused:
            form.add_error("nik", str(refused))
            status = 429
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            if result.created:
                messages.success(request, _("Penyaluran tersimpan."))
            else:
                messages.info(request, _("Penyaluran ini sudah tercatat sebelumnya."))
            if result.closed_referrals:
                messages.success(request, _("Rujukan terkait ditutup."))
            return redirect("interventions:delivery-list")
    return render(request, "interventions/delivery_form.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def delivery_import(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Upload an OPD sheet (stored, checked by a job: this request never opens it) and the recent jobs."""
    if not access.can_record_delivery(request.user):
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = imports_jobs.delivery_import_job_create(
                user=request.user,
                uploaded_file=form.cleaned_data["file"],
            )
        except ValidationError as error:
            for message in error.message_dict.get("file", error.messages):
                form.add_error("file", message)
        else:
            return redirect("interventions:delivery-import-detail", pk=job.pk)
    jobs = imports_jobs.delivery_import_job_list_for_user(user=request.user)
    return render(
        request,
        "interventions/delivery_import.html",
        {"form": form, "jobs": jobs},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET"])
def delivery_import_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A job's status (the page reloads itself while it runs), then its report and the apply button."""
    job = imports_jobs.delivery_import_job_get_for_user(user=request.user, pk=pk)
    error = job.error
    rows = [
        {**row, "messages": [imports.message_text(message) for message in row["messages"]]}
        for row in job.rows
    ]
    context = {
        "job": job,
        "rows": rows,
        "summary": {
            "created": job.summary.get(imports.CREATED, 0),
            "unchanged": job.summary.get(imports.UNCHANGED, 0),
            "rejected": job.summary.get(imports.REJECTED, 0),
        },
        "error": refusal_text(UploadRefused(error["message"], error["params"])) if error else "",
        "may_apply": job.status == job.Status.CHECKED
        and job.file_deleted_at is None
        and access.can_record_delivery(request.user),
    }
    return render(request, "interventions/delivery_import_detail.html", context)


@login_required
@require_POST
def delivery_import_apply(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    job = imports_jobs.delivery_import_job_get_for_user(user=request.user, pk=pk)
    try:
        imports_jobs.delivery_import_job_apply_queue(user=request.user, job=job)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect("interventions:delivery-import-detail", pk=job.pk)


@login_required
@require_http_methods(["GET"])
def ledger(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_scope(request)
    home = region_home_for_user(user=request.user)
    code = request.GET.get("wilayah") or (home.code if home else "")
    month = _int(request, "bulan")
    period = selectors.Period(year=_year(request), month=month if month and 1 <= month <= 12 else None)
    if not code:
        raise Http404
    result = selectors.ledger_for_user(
        user=request.user,
        region_code=code,
        period=period,
        today=timezone.localdate(),
    )
    package = []
    if result.region.is_desa_level:
        package = selectors.ledger_package_rows(ledger=result)
    # A desa's package lists its people, a larger region its desa: either is paged.
    pager = paginate(request, package if result.region.is_desa_level else result.rows)
    if result.region.is_desa_level:
        _log(request, [_subject_kind(row.target) for row in pager.rows])
    context = {
        "ledger": result,
        "package": package,
        "pager": pager,
        "target_labels": TARGET_LABELS,
        "year": period.year,
        "month": period.month,
        "months": range(1, 13),
    }
    return render(request, "interventions/ledger.html", context)


def _subject_kind(target: str) -> str:
    return {compute.TARGET_BADUTA: "anak", compute.TARGET_IBU_HAMIL: "penduduk"}.get(target, "keluarga")


@login_required
@require_http_methods(["GET"])
def gap_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_scope(request)
    choices = selectors.gap_opd_choices_for_user(user=request.user)
    chosen = _int(request, "opd")
    opd_choice = next((item for item in choices if item.pk == chosen), None) or (
        choices[0] if len(choices) == 1 else None
    )
    rows: list[selectors.GapRow] = []
    year = _year(request)
    if opd_choice is not None:
        opd = OPD.objects.select_related("kabupaten").get(pk=opd_choice.pk)
        rows = selectors.gap_list_for_user(
            user=request.user,
            opd=opd,
            period=selectors.Period(year=year),
            today=timezone.localdate(),
            desa_id=_int(request, "desa"),
        )
    pager = paginate(request, rows)
    if opd_choice is not None:
        # Only the rows of the page shown are read.
        _log(request, [row.kind for row in pager.rows])
    context = {
        "choices": choices,
        "opd": opd_choice,
        "rows": pager.rows,
        "pager": pager,
        "year": year,
        "desa_list": desa_list_for_user(user=request.user).select_related("parent").order_by("code"),
        "desa_selected": _int(request, "desa"),
        "can_refer": access.can_create_referral(request.user),
        "can_record": access.can_record_delivery(request.user),
        "due_date": timezone.localdate() + datetime.timedelta(days=REFERRAL_DAYS),
    }
    return render(request, "interventions/gap_list.html", context)


@login_required
@require_http_methods(["GET"])
def referral_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_scope(request)
    status = request.GET.get("status", "")
    referrals = selectors.referral_list_for_user(user=request.user, status=status)
    page = Paginator(referrals, selectors.PAGE_SIZE).get_page(request.GET.get("halaman"))
    _log(request, [row.subject_kind for row in page.object_list])
    params = request.GET.copy()
    params.pop("halaman", None)
    context = {
        "page": page,
        "rows": page.object_list,
        "params": params.urlencode(),
        "status": status,
        "statuses": Referral.Status.choices,
    }
    return render(request, "interventions/referral_list.html", context)


@login_required
@require_POST
def referral_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ReferralCreateForm(request.POST)
    if not form.is_valid():
        raise Http404
    data = form.cleaned_data
    intervention = selectors.intervention_get_for_user(user=request.user, pk=data["intervention"])
    try:
        subject = services.subject_for_user(
            user=request.user,
            kind=data["subject_kind"],
            pk=data["subject_id"],
        )
        referral = services.referral_create(
            user=request.user,
            intervention=intervention,
            subject=subject,
            reason="",
            due_date=data["due_date"],
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(reverse("interventions:gap-list") + f"?opd={intervention.opd_id}")
    messages.success(request, _("Rujukan dibuat."))
    return redirect("interventions:referral-detail", pk=referral.pk)


@login_required
@require_http_methods(["GET", "POST"])
def referral_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    referral = selectors.referral_get_for_user(user=request.user, pk=pk)
    can_manage = access.can_manage_referral(request.user, referral)
    form = ReferralStatusForm(request.POST or None)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.referral_status_change(
                    user=request.user,
                    referral=referral,
                    status=form.cleaned_data["status"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                for message in error.messages:
                    messages.error(request, message)
            else:
                messages.success(request, _("Status rujukan diperbarui."))
            return redirect("interventions:referral-detail", pk=referral.pk)
    _log(request, [referral.subject_kind])
    context = {
        "referral": referral,
        "form": form,
        "can_manage": can_manage and referral.is_open,
        "can_record": referral.is_open and access.can_record_delivery(request.user, referral.intervention),
    }
    return render(request, "interventions/referral_detail.html", context)
