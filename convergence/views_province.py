"""The provincial role's work pages: the penilaian kinerja of its kabupaten (its target path: reports).

Reads and writes go through convergence.province: roles without provinces get a 403, a province or
kabupaten outside the user's area a 404; the national role reads. Writes answer with a redirect (PRG).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from convergence import province as service
from convergence.actions import ASSESSMENT_INDICATORS
from convergence.http import AuthenticatedHttpRequest
from convergence.models import AssessmentGrade, Region
from convergence.paging import paginate

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class GradeForm(forms.Form):
    indicator_code = forms.ChoiceField(
        choices=[(row.code, row.code) for row in ASSESSMENT_INDICATORS], widget=forms.HiddenInput
    )
    grade = forms.ChoiceField(label=gettext_lazy("Nilai"), choices=AssessmentGrade.Grade.choices)
    notes = forms.CharField(
        label=gettext_lazy("Catatan"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    assessed_on = forms.DateField(label=gettext_lazy("Tanggal penilaian"), widget=DATE_WIDGET)


def _apply_errors(form: forms.Form, error: ValidationError) -> None:
    for name, errors in error.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


@login_required
@require_http_methods(["GET"])
def province_index(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The provinces of the user's area with their kabupaten; the provincial role goes to its own."""
    groups = service.kabupaten_by_province_for_user(user=request.user)
    if len(groups) == 1:
        return redirect("convergence:province-assessment", code=groups[0][0].code, year=_this_year())
    return render(request, "convergence/province/index.html", {"groups": groups, "year": _this_year()})


def _this_year() -> int:
    return timezone.localdate().year


@login_required
@require_http_methods(["GET"])
def province_assessment(request: AuthenticatedHttpRequest, code: str, year: int) -> HttpResponse:
    provinsi = service.province_get_for_user(user=request.user, code=code)
    paged = paginate(request, service.kabupaten_list(provinsi=provinsi))
    context = {
        "provinsi": provinsi,
        "year": year,
        "rows": service.assessment_grid(
            user=request.user, kabupaten=paged.rows, year=year, today=timezone.localdate()
        ),
        "paged": paged,
        "indicators": ASSESSMENT_INDICATORS,
    }
    return render(request, "convergence/province/assessment.html", context)


def _grade_form(code: str, **kwargs: Any) -> GradeForm:
    # One form per indicator on the page: ids told apart by the indicator, the field names shared.
    return GradeForm(auto_id=f"id_{code.replace('.', '_')}_%s", **kwargs)


def _kabupaten_page(
    request: AuthenticatedHttpRequest,
    provinsi: Region,
    kabupaten: Region,
    year: int,
    *,
    failed: tuple[str, GradeForm] | None = None,
) -> HttpResponse:
    can_grade = service.can_grade(request.user, kabupaten)
    actions = service.assessment_kabupaten(
        user=request.user, kabupaten=kabupaten, year=year, today=timezone.localdate()
    )
    forms_by_code: dict[str, GradeForm] = {}
    for action in actions if can_grade else []:
        for row in action.grades:
            code, grade = row.indicator.code, row.grade
            initial: dict[str, Any] = {"indicator_code": code, "assessed_on": timezone.localdate()}
            if grade is not None:
                initial |= {"grade": grade.grade, "notes": grade.notes, "assessed_on": grade.assessed_on}
            forms_by_code[code] = _grade_form(code, initial=initial)
    if failed is not None:
        forms_by_code[failed[0]] = failed[1]
    context = {
        "provinsi": provinsi,
        "kabupaten": kabupaten,
        "year": year,
        "actions": [
            (action, [(row, forms_by_code.get(row.indicator.code)) for row in action.grades])
            for action in actions
        ],
        "can_grade": can_grade,
    }
    return render(request, "convergence/province/kabupaten.html", context, status=400 if failed else 200)


@login_required
@require_http_methods(["GET", "POST"])
def province_assessment_kabupaten(
    request: AuthenticatedHttpRequest, code: str, year: int, kab_code: str
) -> HttpResponse:
    provinsi = service.province_get_for_user(user=request.user, code=code)
    kabupaten = service.kabupaten_get_for_user(user=request.user, provinsi=provinsi, code=kab_code)
    if request.method == "GET":
        return _kabupaten_page(request, provinsi, kabupaten, year)
    if not service.can_grade(request.user, kabupaten):
        raise PermissionDenied
    indicator_code = request.POST.get("indicator_code", "")
    form = _grade_form(indicator_code, data=request.POST)
    if form.is_valid():
        try:
            service.assessment_grade_save(
                user=request.user, kabupaten=kabupaten, year=year, **form.cleaned_data
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(
                request,
                _("Nilai indikator %(code)s untuk %(name)s tersimpan.")
                % {"code": indicator_code, "name": kabupaten.display_name},
            )
            return redirect(
                "convergence:province-assessment-kabupaten", code=code, year=year, kab_code=kab_code
            )
    return _kabupaten_page(request, provinsi, kabupaten, year, failed=(indicator_code, form))


urlpatterns = [
    path("provinsi/", province_index, name="province-index"),
    path("provinsi/<str:code>/penilaian/<int:year>/", province_assessment, name="province-assessment"),
    path(
        "provinsi/<str:code>/penilaian/<int:year>/<str:kab_code>/",
        province_assessment_kabupaten,
        name="province-assessment-kabupaten",
    ),
]
