"""PMT programme pages: rates, programmes with their funding shares, enrolment (from a child's or a
mother's page, from a posyandu, or from the programme) and finishing an episode.

Same services and rules as the API (interventions.services_pmt); every form is sent once
(interventions.submissions); the programme page shows the ledger of the lines funding it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from children.models import Child, Person, RecordAccess
from convergence.http import AuthenticatedHttpRequest
from convergence.models import OPD, Region
from convergence.scoping import restrict, scope_for_user
from interventions import selectors_pmt as sel
from interventions import services_pmt as svc
from interventions.audit import log_subject_reads
from interventions.forms_pmt import (
    ActiveForm,
    CancelForm,
    DeliveryLogForm,
    EnrolmentForm,
    FinishForm,
    ProgrammeForm,
    RateForm,
    RateUpdateForm,
)
from interventions.models import PMT_PERSON_CATEGORIES, BudgetLine, PMTEnrolment, PMTProgramme
from interventions.views_pmt_money import (
    PAGE_SIZES,
    line_label,
    paged,
    require_money,
    search_text,
    send_once,
)


def _kabupaten(request: AuthenticatedHttpRequest) -> Region:
    kabupaten = Region.objects.filter(code=scope_for_user(request.user).kabupaten_prefix or "").first()
    if kabupaten is None:
        raise Http404
    return kabupaten


# --- rates ---------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def rate_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The dated rates (defaults and the kabupaten's own); Bappeda adds a new dated row."""
    require_money(request)
    user = request.user
    scope = scope_for_user(user)
    kabupaten = Region.objects.filter(code=scope.kabupaten_prefix or "").first()
    can_add = kabupaten is not None and svc.can_manage_rates(user, kabupaten)
    form = None
    if can_add:
        form = RateForm(request.POST or None, initial={"valid_from": timezone.localdate()})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            response = send_once(
                request,
                form,
                operation="pmt_rate_create",
                run=lambda: svc.pmt_rate_create(
                    user=user,
                    kabupaten=kabupaten,
                    category=data["category"],
                    valid_from=data["valid_from"],
                    daily_rate=data["daily_rate"],
                    duration_days=data["duration_days"],
                    source=data["source"],
                ),
                result_url=lambda _r: reverse("interventions:pmt-rates"),
                success=lambda r: (
                    _("Tarif %(c)s berlaku mulai %(d)s tersimpan.")
                    % {"c": r.get_category_display(), "d": r.valid_from.strftime("%d-%m-%Y")}
                ),
            )
            if response is not None:
                return response
    elif request.method == "POST":
        raise PermissionDenied
    rates = sel.pmt_rate_list_for_user(user=user).select_related("kabupaten")
    page, params, size = paged(request, rates.order_by("category", "-valid_from", "pk"))
    context = {"page": page, "params": params, "page_size": size, "page_sizes": PAGE_SIZES, "form": form}
    return render(request, "interventions/pmt/rate_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def rate_update(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Correct a rate row no episode used yet (a used one is superseded by a new dated row instead)."""
    require_money(request)
    user = request.user
    rate = sel.pmt_rate_list_for_user(user=user).filter(pk=pk).first()
    if rate is None:
        raise Http404
    if not svc.can_manage_rates(user, rate.kabupaten):
        raise PermissionDenied
    initial = {key: getattr(rate, key) for key in ("valid_from", "daily_rate", "duration_days", "source")}
    form = RateUpdateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = data_without_token(form.cleaned_data)
        response = send_once(
            request,
            form,
            operation="pmt_rate_update",
            run=lambda: svc.pmt_rate_update(user=user, rate=rate, **changes),
            result_url=lambda _r: reverse("interventions:pmt-rates"),
            success=lambda r: (
                _("Tarif %(c)s berlaku mulai %(d)s tersimpan.")
                % {"c": r.get_category_display(), "d": r.valid_from.strftime("%d-%m-%Y")}
            ),
        )
        if response is not None:
            return response
    return render(request, "interventions/pmt/rate_form.html", {"form": form, "rate": rate})


# --- programmes ----------------------------------------------------------------------------------------


def _line_choices(
    request: AuthenticatedHttpRequest, search: str, selected: list[int]
) -> list[tuple[int, str]]:
    """Lines the user manages (of this year and the next) matching `search`, at most 50, plus the
    ones already picked."""
    user = request.user
    year = timezone.localdate().year
    rows = sel.budget_line_list_for_user(user=user).filter(year__in=[year, year + 1])
    found = rows.filter(name__icontains=search) if search else rows
    picked = list(found.order_by("year", "name", "pk")[: sel.CHOICES_LIMIT])
    picked += [line for line in rows.filter(pk__in=selected) if line not in picked]
    return [(line.pk, line_label(line)) for line in picked if svc.can_manage_line(user, line)]


def _opd_options(request: AuthenticatedHttpRequest) -> list[tuple[int, str]]:
    user = request.user
    scope = scope_for_user(user)
    opds = restrict(OPD.objects.order_by("short_name"), user)
    if scope.role != "bappeda_admin" and not scope.is_superuser:
        opds = opds.filter(pk=scope.opd_id) if scope.opd_id is not None else opds.none()
    return [(o.pk, str(o)) for o in opds]


@login_required
@require_http_methods(["GET"])
def programme_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_money(request)
    user = request.user
    programmes = sel.pmt_programme_list_for_user(user=user)
    year_text = request.GET.get("tahun", "")
    year = int(year_text) if year_text.isdigit() else timezone.localdate().year
    programmes = programmes.filter(year=year).order_by("name", "pk")
    page, params, size = paged(request, programmes)
    context = {
        "page": page,
        "params": params,
        "page_size": size,
        "page_sizes": PAGE_SIZES,
        "year": year,
        "can_create": svc.may_create_programmes(user) and not scope_for_user(user).is_read_only,
        "can_enrol": svc.may_enrol(user),
    }
    return render(request, "interventions/pmt/programme_list.html", context)


def _fundings(request: AuthenticatedHttpRequest, form: ProgrammeForm) -> list[tuple[BudgetLine, Decimal]]:
    lines = sel.budget_line_list_for_user(user=request.user)
    fundings = []
    for line_id, share in form.fundings():
        line = lines.filter(pk=line_id).first()
        if line is None:
            raise ValidationError({"fundings": [_("Baris anggaran tidak ditemukan.")]})
        fundings.append((line, share))
    return fundings


@login_required
@require_http_methods(["GET", "POST"])
def programme_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if not svc.can_see_pmt_money(user) or not svc.may_create_programmes(user):
        raise PermissionDenied
    kabupaten = _kabupaten(request)
    search = search_text(request, "cari_baris")
    selected = [int(request.POST.get(f"line_{n}", "") or 0) for n in (1, 2, 3)]
    form = ProgrammeForm(
        request.POST or None,
        opd_choices=_opd_options(request),
        line_choices=_line_choices(request, search, [pk for pk in selected if pk]),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def create() -> PMTProgramme:
            opd = restrict(OPD.objects.all(), user).filter(pk=data["opd"]).first()
            if opd is None:
                raise ValidationError({"opd": [_("OPD tidak ditemukan.")]})
            return svc.pmt_programme_create(
                user=user,
                kabupaten=kabupaten,
                year=data["year"],
                name=data["name"],
                category=data["category"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                opd=opd,
                fundings=_fundings(request, form),
            )

        response = send_once(
            request,
            form,
            operation="pmt_programme_create",
            run=create,
            result_url=lambda p: reverse("interventions:pmt-programme", args=[p.pk]),
            success=lambda p: _("Program %(name)s tersimpan.") % {"name": p.name},
            denied=_("Anda tidak boleh memakai baris anggaran atau OPD ini."),
        )
        if response is not None:
            return response
    return render(request, "interventions/pmt/programme_form.html", {"form": form, "search": search})


@login_required
@require_POST
def programme_active(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Open or close a programme to new episodes (the one change allowed once it has episodes)."""
    require_money(request)
    user = request.user
    programme = _programme_for(request, pk)
    if scope_for_user(user).is_read_only or not svc.can_manage_programme(
        user, kabupaten=programme.kabupaten, opd=programme.opd
    ):
        raise PermissionDenied
    form = ActiveForm(request.POST)
    page = reverse("interventions:pmt-programme", args=[programme.pk])
    if form.is_valid():
        active = form.cleaned_data["is_active"]
        response = send_once(
            request,
            form,
            operation="pmt_programme_update",
            run=lambda: svc.pmt_programme_update(user=user, programme=programme, is_active=active),
            result_url=lambda _p: page,
            success=lambda p: (
                (
                    _("Program %(name)s dibuka untuk episode baru.")
                    if p.is_active
                    else _("Program %(name)s ditutup untuk episode baru.")
                )
                % {"name": p.name}
            ),
        )
        if response is not None:
            return response
    messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect(page)


def _programme_for(request: AuthenticatedHttpRequest, pk: int) -> PMTProgramme:
    programme = sel.pmt_programme_list_for_user(user=request.user).filter(pk=pk).first()
    if programme is None:
        raise Http404
    return programme


@login_required
@require_http_methods(["GET"])
def programme_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_money(request)
    user = request.user
    programme = _programme_for(request, pk)
    fundings = sel.programme_fundings(programme=programme)
    lines = [f.budget_line for f in fundings]
    visible = set(
        sel.budget_line_list_for_user(user=user)
        .filter(pk__in=[x.pk for x in lines])
        .values_list("pk", flat=True)
    )
    ledgers = sel.budget_line_ledgers(lines=[line for line in lines if line.pk in visible])
    episodes = sel.pmt_enrolment_list_for_user(user=user).filter(programme=programme)
    page, params, size = paged(request, episodes.order_by("-start_date", "-pk"))
    context = {
        "programme": programme,
        "fundings": [(f, ledgers.get(f.budget_line_id)) for f in fundings],
        "total": sel.ledger_sum(list(ledgers.values())),
        "page": page,
        "params": params,
        "page_size": size,
        "page_sizes": PAGE_SIZES,
        "can_enrol": svc.can_enrol(user, programme),
        "can_manage": not scope_for_user(user).is_read_only
        and svc.can_manage_programme(user, kabupaten=programme.kabupaten, opd=programme.opd),
        # Edited only before its first episode (interventions:pmt-programme-update).
        "can_edit": not programme.enrolments.exists(),
    }
    return render(request, "interventions/pmt/programme_detail.html", context)


# --- enrolment -----------------------------------------------------------------------------------------


def _int(request: AuthenticatedHttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "") or request.POST.get(name, "")
    return int(value) if value.isdigit() else None


@login_required
@require_http_methods(["GET", "POST"])
def enrolment_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Enrol a child (`anak`) or a mother (`ibu`) in a programme; `posyandu` narrows the children, `cari`
    searches by name (at most 50 entries, each saying where the recipient lives)."""
    user = request.user
    if not svc.can_see_pmt_money(user) or not svc.may_enrol(user):
        raise PermissionDenied
    programmes = [
        p
        for p in sel.pmt_programme_list_for_user(user=user).filter(is_active=True).order_by("-year", "name")
        if svc.can_enrol(user, p)
    ]
    mothers = request.GET.get("sasaran", "") == "ibu" or _int(request, "ibu") is not None
    wanted = [p for p in programmes if (p.category in PMT_PERSON_CATEGORIES) == mothers]
    search, posyandu_id = search_text(request, "cari"), _int(request, "posyandu")
    chosen = _int(request, "ibu") if mothers else _int(request, "anak")
    posted = request.POST.get("recipient", "")
    if posted.isdigit():
        chosen = int(posted)
    if mothers:
        options = sel.person_choices_for_user(user=user, search=search)
        if chosen and all(pk != chosen for pk, _label in options):
            options += sel.person_choices_for_user(user=user, pk=chosen)
    else:
        options = sel.child_choices_for_user(user=user, search=search, posyandu_id=posyandu_id)
        if chosen and all(pk != chosen for pk, _label in options):
            options += sel.child_choices_for_user(user=user, pk=chosen)
    form = EnrolmentForm(
        request.POST or None,
        initial={"recipient": chosen, "programme": _int(request, "program")},
        programme_choices=[(p.pk, f"{p.name} ({p.get_category_display()}, {p.year})") for p in wanted],
        recipient_choices=options,
        mothers=mothers,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        programme = next((p for p in wanted if p.pk == data["programme"]), None)
        model = Person if mothers else Child
        recipient = restrict(model.objects.all(), user).filter(pk=data["recipient"]).first()
        if programme is None:
            form.add_error("programme", _("Program tidak ditemukan."))
        if recipient is None:
            form.add_error("recipient", _("Sasaran tidak ditemukan di wilayah kerja Anda."))
        if programme is not None and recipient is not None:
            response = send_once(
                request,
                form,
                operation="pmt_enrol",
                run=lambda: svc.pmt_enrol(
                    user=user, programme=programme, recipient=recipient, start_date=data["start_date"]
                ),
                result_url=lambda e: reverse("interventions:pmt-programme", args=[e.programme_id]),
                success=lambda e: (
                    _("%(name)s terdaftar di %(programme)s mulai %(d)s.")
                    % {
                        "name": e.recipient,
                        "programme": programme.name,
                        "d": e.start_date.strftime("%d-%m-%Y"),
                    }
                ),
            )
            if response is not None:
                return response
    context = {
        "form": form,
        "mothers": mothers,
        "search": search,
        "posyandu_id": posyandu_id,
        "programme_id": _int(request, "program"),
        "has_programmes": bool(wanted),
    }
    return render(request, "interventions/pmt/enrolment_form.html", context)


# --- one episode: deliveries, cancel, finish ------------------------------------------------------------


def _episode_for(request: AuthenticatedHttpRequest, pk: int) -> PMTEnrolment:
    enrolment = sel.pmt_enrolment_list_for_user(user=request.user).filter(pk=pk).first()
    if enrolment is None:
        raise Http404
    return enrolment


def _episode_page(
    request: AuthenticatedHttpRequest,
    enrolment: PMTEnrolment,
    *,
    delivery_form: DeliveryLogForm | None = None,
) -> HttpResponse:
    user = request.user
    scope = scope_for_user(user)
    may_deliver = not scope.is_read_only and enrolment.status == PMTEnrolment.Status.ACTIVE
    may_close = svc.can_enrol(user, enrolment.programme) and enrolment.status == PMTEnrolment.Status.ACTIVE
    if may_deliver and delivery_form is None:
        delivery_form = DeliveryLogForm(initial={"delivered_on": timezone.localdate(), "days_delivered": 7})
    log_subject_reads(
        user=user,
        kinds=["anak" if enrolment.child_id else "penduduk"],
        channel=RecordAccess.Channel.PAGE,
        path=request.path,
    )
    logs = list(enrolment.delivery_logs.order_by("delivered_on", "pk"))
    context = {
        "enrolment": enrolment,
        "logs": logs,
        "days_done": sum(log.days_delivered for log in logs),
        "delivery_form": delivery_form if may_deliver else None,
        "may_close": may_close,
        "finish_form": FinishForm(initial={"finished_on": min(timezone.localdate(), enrolment.end_date)})
        if may_close
        else None,
        "shows_money": svc.can_see_pmt_money(user),
    }
    return render(request, "interventions/pmt/episode_detail.html", context)


@login_required
@require_http_methods(["GET"])
def episode_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """An episode as everyone in its sight reads it (the kader who hands out the food included)."""
    if scope_for_user(request.user).is_empty:
        raise PermissionDenied
    return _episode_page(request, _episode_for(request, pk))


@login_required
@require_POST
def episode_delivery(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    scope = scope_for_user(user)
    if scope.is_empty or scope.is_read_only:
        raise PermissionDenied
    enrolment = _episode_for(request, pk)
    form = DeliveryLogForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        response = send_once(
            request,
            form,
            operation="pmt_delivery_record",
            run=lambda: svc.pmt_delivery_record(user=user, enrolment=enrolment, **data_without_token(data)),
            result_url=lambda _log: reverse("interventions:pmt-episode", args=[enrolment.pk]),
            success=lambda log: (
                _("Penyaluran %(n)s hari tanggal %(d)s dicatat.")
                % {"n": log.days_delivered, "d": log.delivered_on.strftime("%d-%m-%Y")}
            ),
        )
        if response is not None:
            return response
    return _episode_page(request, enrolment, delivery_form=form)


def data_without_token(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key != "token"}


@login_required
@require_POST
def episode_cancel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    if scope_for_user(user).is_empty:
        raise PermissionDenied
    enrolment = _episode_for(request, pk)
    if not svc.can_enrol(user, enrolment.programme):
        raise PermissionDenied
    form = CancelForm(request.POST)
    page = reverse("interventions:pmt-episode", args=[enrolment.pk])
    if form.is_valid():
        response = send_once(
            request,
            form,
            operation="pmt_enrolment_cancel",
            run=lambda: svc.pmt_enrolment_cancel(user=user, enrolment=enrolment),
            result_url=lambda _e: page,
            success=lambda _e: (
                _("Episode PMT %(name)s dibatalkan; biayanya kembali ke anggaran.")
                % {"name": enrolment.recipient}
            ),
        )
        if response is not None:
            return response
    messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect(page)


urlpatterns = [
    path("pmt/tarif/", rate_list, name="pmt-rates"),
    path("pmt/tarif/<int:pk>/ubah/", rate_update, name="pmt-rate-update"),
    path("pmt/program/", programme_list, name="pmt-programmes"),
    path("pmt/program/baru/", programme_create, name="pmt-programme-create"),
    path("pmt/program/<int:pk>/", programme_detail, name="pmt-programme"),
    path("pmt/program/<int:pk>/aktif/", programme_active, name="pmt-programme-active"),
    path("pmt/daftar/", enrolment_create, name="pmt-enrolment-create"),
    path("pmt/episode/<int:pk>/", episode_detail, name="pmt-episode"),
    path("pmt/episode/<int:pk>/penyaluran/", episode_delivery, name="pmt-episode-delivery"),
    path("pmt/episode/<int:pk>/batal/", episode_cancel, name="pmt-episode-cancel"),
]
