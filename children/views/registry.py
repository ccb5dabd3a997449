"""Registry pages: families, persons, pregnancies, adolescent girls, NIK search.

Reads go through children.selectors_registry (scoped: out of scope is a 404), writes through
children.services (read-only roles get a 403). Every detail page logs
the read (UU 27/2022); a NIK or KK number is never put in a URL: the name searches refuse numbers and
point to the NIK search (children.views.lookup), a POST form.
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
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from children import compute, services
from children import selectors_registry as selectors
from children.access import can_write_registry, kk_for_display, nik_for_display
from children.forms.registry import (
    AdolescentForm,
    AdolescentTTDForm,
    KeluargaForm,
    PersonForm,
    PregnancyForm,
    PregnancyVisitForm,
    apply_service_errors,
)
from children.models import Keluarga, Person, Pregnancy, RecordAccess
from children.panels import person_panels
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

# What a visit usually gives: a month of tablets.
TTD_PER_VISIT = 30

# children.compute FLAG_* codes in words.
RISK_FLAG_LABELS = {
    compute.FLAG_KEK: gettext_lazy("KEK (LiLA < 23,5 cm)"),
    compute.FLAG_ANAEMIA: gettext_lazy("Anemia (Hb < 11 g/dL)"),
    compute.FLAG_TOO_YOUNG: gettext_lazy("Terlalu muda (< 20 tahun)"),
    compute.FLAG_TOO_OLD: gettext_lazy("Terlalu tua (> 35 tahun)"),
    compute.FLAG_TOO_MANY: gettext_lazy("Terlalu banyak anak (≥ 4)"),
    compute.FLAG_TOO_CLOSE: gettext_lazy("Terlalu dekat (< 2 tahun dari persalinan lalu)"),
    compute.FLAG_TOO_FAR: gettext_lazy("Terlalu jauh (> 10 tahun dari persalinan lalu)"),
    compute.FLAG_HYPERTENSION: gettext_lazy("Hipertensi (≥ 140/90)"),
}


# Families --------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def keluarga_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_scope(request)
    if (refused := refuse_number_search(request)) is not None:
        return refused
    families = selectors.keluarga_list_for_user(
        user=request.user, q=request.GET.get("q", ""), desa_id=int_param(request, "desa")
    )
    page = page_of(request, families)
    log_access(request, RecordAccess.Kind.KELUARGA, count=len(page.object_list))
    context = list_context(request, page, desa_list=selectors.desa_choices_for_user(user=request.user))
    context["desa_selected"] = int_param(request, "desa")
    return render(request, "children/registry/keluarga_list.html", context)


def _keluarga_form(request: AuthenticatedHttpRequest, keluarga: Keluarga | None) -> KeluargaForm:
    return KeluargaForm(
        request.POST or None,
        instance=keluarga,
        desa=selectors.desa_choices_for_user(user=request.user),
        editing=keluarga is not None,
    )


def _keluarga_fields(form: KeluargaForm) -> dict[str, Any]:
    fields = dict(form.cleaned_data)
    if form.instance.pk and not fields["kk_number"]:
        fields["kk_number"] = None  # blank while editing: the number stays as it is
    return fields


@login_required
@require_http_methods(["GET", "POST"])
def keluarga_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_writer(request)
    form = _keluarga_form(request, None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.keluarga_save(user=request.user, **_keluarga_fields(form))
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Keluarga tersimpan."))
            return redirect("children:keluarga-detail", pk=result.obj.pk)
    return form_page(request, form, title=_("Keluarga baru"), cancel=reverse("children:keluarga-list"))


@login_required
@require_http_methods(["GET", "POST"])
def keluarga_update(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    keluarga = selectors.keluarga_get_for_user(user=request.user, pk=pk)
    require_writer(request)
    form = _keluarga_form(request, keluarga)
    if request.method == "POST" and form.is_valid():
        try:
            services.keluarga_save(user=request.user, keluarga=keluarga, **_keluarga_fields(form))
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Keluarga tersimpan."))
            return redirect("children:keluarga-detail", pk=keluarga.pk)
    cancel = reverse("children:keluarga-detail", kwargs={"pk": keluarga.pk})
    return form_page(
        request, form, title=_("Ubah keluarga %(name)s") % {"name": keluarga.head_name}, cancel=cancel
    )


@login_required
@require_http_methods(["GET"])
def keluarga_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    keluarga = selectors.keluarga_get_for_user(user=request.user, pk=pk)
    persons, children = selectors.keluarga_members(user=request.user, keluarga=keluarga)
    log_access(request, RecordAccess.Kind.KELUARGA, ids=[keluarga.pk])
    context = {
        "keluarga": keluarga,
        "kk_number": kk_for_display(request.user, keluarga.kk_encrypted),
        "reasons": [Keluarga.AtRiskReason(reason).label for reason in keluarga.at_risk_reasons],
        "persons": persons,
        "children": children,
        "can_write": can_write_registry(request.user),
    }
    return render(request, "children/registry/keluarga_detail.html", context)


# Persons ---------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def person_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_scope(request)
    if (refused := refuse_number_search(request)) is not None:
        return refused
    persons = selectors.person_list_for_user(
        user=request.user, q=request.GET.get("q", ""), desa_id=int_param(request, "desa")
    )
    page = page_of(request, persons)
    log_access(request, RecordAccess.Kind.PERSON, count=len(page.object_list))
    return render(request, "children/registry/person_list.html", list_context(request, page))


def _person_form(request: AuthenticatedHttpRequest, person: Person | None) -> PersonForm:
    return PersonForm(
        request.POST or None,
        instance=person,
        desa=selectors.desa_choices_for_user(user=request.user),
        keluarga=selectors.keluarga_choices_for_user(user=request.user),
        editing=person is not None,
    )


@login_required
@require_http_methods(["GET", "POST"])
def person_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_writer(request)
    form = _person_form(request, None)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        nik = fields.pop("nik")
        try:
            result = services.person_save(user=request.user, nik=nik, **fields)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            warn_nik(request, result.warnings)
            messages.success(request, _("Penduduk tersimpan."))
            return redirect("children:person-detail", pk=result.obj.pk)
    return form_page(request, form, title=_("Penduduk baru"), cancel=reverse("children:person-list"))


@login_required
@require_http_methods(["GET", "POST"])
def person_update(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    person = selectors.person_get_for_user(user=request.user, pk=pk)
    require_writer(request)
    form = _person_form(request, person)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        nik = fields.pop("nik") or None
        try:
            result = services.person_save(user=request.user, person=person, nik=nik, **fields)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            warn_nik(request, result.warnings)
            messages.success(request, _("Penduduk tersimpan."))
            return redirect("children:person-detail", pk=person.pk)
    cancel = reverse("children:person-detail", kwargs={"pk": person.pk})
    return form_page(request, form, title=_("Ubah data %(name)s") % {"name": person.name}, cancel=cancel)


@login_required
@require_http_methods(["GET"])
def person_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    person = selectors.person_get_for_user(user=request.user, pk=pk)
    record = selectors.person_record(user=request.user, person=person)
    log_access(request, RecordAccess.Kind.PERSON, ids=[person.pk])
    context = {
        "person": person,
        "nik": nik_for_display(request.user, person.nik_encrypted),
        "record": record,
        "can_write": can_write_registry(request.user),
        "panels": person_panels(user=request.user, person=person),
    }
    return render(request, "children/registry/person_detail.html", context)


# Pregnancies -----------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def pregnancy_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_scope(request)
    if (refused := refuse_number_search(request)) is not None:
        return refused
    outcome = request.GET.get("hasil", "")
    filters = selectors.PregnancyFilters(
        q=request.GET.get("q", ""),
        desa_id=int_param(request, "desa"),
        outcome=outcome if outcome in Pregnancy.Outcome.values else "",
        kek=request.GET.get("kek") == "1",
        anaemia=request.GET.get("anemia") == "1",
        high_risk=request.GET.get("resti") == "1",
    )
    page = page_of(request, selectors.pregnancy_list_for_user(user=request.user, filters=filters))
    log_access(request, RecordAccess.Kind.PREGNANCY, count=len(page.object_list))
    context = list_context(
        request,
        page,
        filters=filters,
        desa_list=selectors.desa_choices_for_user(user=request.user),
        outcome_choices=Pregnancy.Outcome.choices,
    )
    return render(request, "children/registry/pregnancy_list.html", context)


def _pregnancy_form(request: AuthenticatedHttpRequest, pregnancy: Pregnancy | None) -> PregnancyForm:
    return PregnancyForm(
        request.POST or None,
        instance=pregnancy,
        mothers=selectors.mother_choices_for_user(user=request.user),
        posyandu=selectors.posyandu_choices_for_user(user=request.user),
        newborns=selectors.newborn_choices_for_user(user=request.user),
    )


@login_required
@require_http_methods(["GET", "POST"])
def pregnancy_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_writer(request)
    form = _pregnancy_form(request, None)
    if request.method == "POST" and form.is_valid():
        try:
            pregnancy = services.pregnancy_save(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Kehamilan tersimpan."))
            return redirect("children:pregnancy-detail", pk=pregnancy.pk)
    return form_page(request, form, title=_("Kehamilan baru"), cancel=reverse("children:pregnancy-list"))


@login_required
@require_http_methods(["GET", "POST"])
def pregnancy_update(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    pregnancy = selectors.pregnancy_get_for_user(user=request.user, pk=pk)
    require_writer(request)
    form = _pregnancy_form(request, pregnancy)
    if request.method == "POST" and form.is_valid():
        try:
            services.pregnancy_save(user=request.user, pregnancy=pregnancy, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Kehamilan tersimpan."))
            return redirect("children:pregnancy-detail", pk=pregnancy.pk)
    cancel = reverse("children:pregnancy-detail", kwargs={"pk": pregnancy.pk})
    return form_page(
        request, form, title=_("Ubah kehamilan %(name)s") % {"name": pregnancy.mother.name}, cancel=cancel
    )


def _pregnancy_page(
    request: AuthenticatedHttpRequest, pregnancy: Pregnancy, form: PregnancyVisitForm, status: int = 200
) -> HttpResponse:
    log_access(request, RecordAccess.Kind.PREGNANCY, ids=[pregnancy.pk])
    # The page shows the mother's registry record (her name): a read of her record too.
    log_access(request, RecordAccess.Kind.PERSON, ids=[pregnancy.mother_id])
    context = {
        "pregnancy": pregnancy,
        "visits": selectors.pregnancy_visits(pregnancy=pregnancy),
        "flags": [RISK_FLAG_LABELS.get(flag, flag) for flag in pregnancy.risk_flags],
        "history": [
            Pregnancy.RiskFactor(item).label
            for item in pregnancy.risk_history
            if item in Pregnancy.RiskFactor.values
        ],
        "ttd_target": compute.TTD_TARGET_TABLETS,
        "anc_target": compute.ANC_TARGET_VISITS,
        "visit_form": form,
        "can_write": can_write_registry(request.user),
    }
    return render(request, "children/registry/pregnancy_detail.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def pregnancy_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    pregnancy = selectors.pregnancy_get_for_user(user=request.user, pk=pk)
    form = PregnancyVisitForm(initial={"visit_date": timezone.localdate(), "ttd_tablets": TTD_PER_VISIT})
    return _pregnancy_page(request, pregnancy, form)


@login_required
@require_POST
def pregnancy_visit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    pregnancy = selectors.pregnancy_get_for_user(user=request.user, pk=pk)
    require_writer(request)
    form = PregnancyVisitForm(request.POST)
    if form.is_valid():
        fields = dict(form.cleaned_data)
        visit_date = fields.pop("visit_date")
        try:
            services.pregnancy_visit_record(
                user=request.user, pregnancy=pregnancy, visit_date=visit_date, **fields
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Kunjungan tersimpan."))
            return redirect("children:pregnancy-detail", pk=pregnancy.pk)
    return _pregnancy_page(request, pregnancy, form, status=400)


# Adolescent girls ------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def adolescent_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_scope(request)
    if (refused := refuse_number_search(request)) is not None:
        return refused
    girls = selectors.adolescent_list_for_user(
        user=request.user, q=request.GET.get("q", ""), today=timezone.localdate()
    )
    page = page_of(request, girls)
    log_access(request, RecordAccess.Kind.PERSON, count=len(page.object_list))
    context = list_context(request, page, weeks=selectors.TTD_WINDOW_WEEKS)
    return render(request, "children/registry/adolescent_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def adolescent_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_writer(request)
    form = AdolescentForm(
        request.POST or None,
        persons=selectors.adolescent_person_choices_for_user(user=request.user),
        desa=selectors.desa_choices_for_user(user=request.user),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        school = {"school_name": data["school_name"], "school_class": data["school_class"]}
        try:
            if data["person"] is not None:
                girl = services.adolescent_register(user=request.user, person=data["person"], **school)
                warnings: list[str] = []
            else:
                girl, warnings = services.adolescent_register_person(
                    user=request.user,
                    nik=data["nik"],
                    name=data["name"],
                    birth_date=data["birth_date"],
                    desa=data["desa"],
                    address=data["address"],
                    **school,
                )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            warn_nik(request, warnings)
            messages.success(request, _("Remaja putri tersimpan."))
            return redirect("children:adolescent-detail", pk=girl.pk)
    return form_page(
        request, form, title=_("Daftarkan remaja putri"), cancel=reverse("children:adolescent-list")
    )


def _adolescent_page(
    request: AuthenticatedHttpRequest, pk: int, form: AdolescentTTDForm, status: int = 200
) -> HttpResponse:
    girl = selectors.adolescent_get_for_user(user=request.user, pk=pk)
    log_access(request, RecordAccess.Kind.PERSON, ids=[girl.person_id])
    grid = selectors.adolescent_ttd_grid(girl=girl, today=timezone.localdate())
    context = {
        "girl": girl,
        "grid": grid,
        "weeks_taken": sum(1 for week in grid if week.tablets > 0),
        "weeks": len(grid),
        "ttd_form": form,
        "can_write": can_write_registry(request.user),
    }
    return render(request, "children/registry/adolescent_detail.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def adolescent_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    today = timezone.localdate()
    form = AdolescentTTDForm(initial={"week_start": selectors.week_start(today), "tablets": 1})
    return _adolescent_page(request, pk, form)


@login_required
@require_POST
def adolescent_ttd(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    girl = selectors.adolescent_get_for_user(user=request.user, pk=pk)
    require_writer(request)
    form = AdolescentTTDForm(request.POST)
    if form.is_valid():
        try:
            services.adolescent_ttd_record(user=request.user, girl=girl, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("TTD minggu ini tersimpan."))
            return redirect("children:adolescent-detail", pk=girl.pk)
    return _adolescent_page(request, pk, form, status=400)


urlpatterns = [
    path("keluarga/", keluarga_list, name="keluarga-list"),
    path("keluarga/baru/", keluarga_create, name="keluarga-create"),
    path("keluarga/<int:pk>/", keluarga_detail, name="keluarga-detail"),
    path("keluarga/<int:pk>/ubah/", keluarga_update, name="keluarga-update"),
    path("penduduk/", person_list, name="person-list"),
    path("penduduk/baru/", person_create, name="person-create"),
    path("penduduk/<int:pk>/", person_detail, name="person-detail"),
    path("penduduk/<int:pk>/ubah/", person_update, name="person-update"),
    path("kehamilan/", pregnancy_list, name="pregnancy-list"),
    path("kehamilan/baru/", pregnancy_create, name="pregnancy-create"),
    path("kehamilan/<int:pk>/", pregnancy_detail, name="pregnancy-detail"),
    path("kehamilan/<int:pk>/ubah/", pregnancy_update, name="pregnancy-update"),
    path("kehamilan/<int:pk>/kunjungan/", pregnancy_visit, name="pregnancy-visit"),
    path("remaja/", adolescent_list, name="adolescent-list"),
    path("remaja/baru/", adolescent_create, name="adolescent-create"),
    path("remaja/<int:pk>/", adolescent_detail, name="adolescent-detail"),
    path("remaja/<int:pk>/ttd/", adolescent_ttd, name="adolescent-ttd"),
]
