"""The kader's posyandu day (the month's list of children and the entry of their measurements) and SKDN."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from children import rules, skdn
from children.access import can_write_registry, check_registry_write
from children.forms.measurement import MeasurementForm
from children.models import Child, Measurement
from children.panels import result_actions
from children.selectors_posyandu import (
    DueRow,
    month_bounds,
    not_weighed_rows,
    posyandu_child_for_user,
    posyandu_day,
    posyandu_day_rows,
    skdn_for_posyandu,
    skdn_reference_day,
)
from children.services import MeasurementOutcome, NeedsConfirmation, measurement_record
from children.views.pwa import offline_page_context
from convergence.http import AuthenticatedHttpRequest
from convergence.models import Posyandu
from convergence.selectors import posyandu_get_for_user

# Requests from static/children/posyandu_day.js carry this header and get the child's row back.
FETCH_HEADER = "X-Requested-With"
FETCH_VALUE = "fetch"
# 422 (not 200) for a refused entry, so that the script (and tests) can tell it from a saved one.
UNPROCESSABLE = 422
# The day holds other values: nothing was overwritten, the kader chooses (as the API's 409).
CONFLICT = 409

SKDN_LABELS = {
    skdn.ROW_S: _("S: balita terdaftar"),
    skdn.ROW_K: _("K: punya KMS/Buku KIA"),
    skdn.ROW_D: _("D: ditimbang bulan ini"),
    skdn.ROW_N: _("N: naik berat badan"),
    skdn.ROW_T: _("T: tidak naik"),
    skdn.ROW_2T: _("2T: tidak naik 2 kali berturut-turut"),
    skdn.ROW_O: _("O: tidak ditimbang bulan lalu"),
    skdn.ROW_B: _("B: baru pertama kali ditimbang"),
    skdn.ROW_SANGAT_PENDEK: _("TB/U sangat pendek"),
    skdn.ROW_PENDEK: _("TB/U pendek"),
    skdn.ROW_GIZI_BURUK: _("BB/TB gizi buruk"),
    skdn.ROW_GIZI_KURANG: _("BB/TB gizi kurang"),
}
RATIO_LABELS = {
    "K/S": _("Liputan program (K/S)"),
    "D/S": _("Partisipasi masyarakat (D/S)"),
    "D/K": _("Kelangsungan penimbangan (D/K)"),
    "N/D": _("Keberhasilan penimbangan (N/D)"),
}


def _month(year: int, month: int) -> tuple[datetime.date, datetime.date]:
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        raise Http404
    return month_bounds(year=year, month=month)


def _neighbours(first: datetime.date) -> dict[str, datetime.date]:
    previous = first - datetime.timedelta(days=1)
    following = first + datetime.timedelta(days=32)
    return {"previous_month": previous.replace(day=1), "next_month": following.replace(day=1)}


def _form(
    row: DueRow, *, day: datetime.date, first: datetime.date, last: datetime.date, data: Any = None
) -> MeasurementForm:
    # A child measured this month gets the stored values back, for correction of that row.
    current = row.current.measurement if row.current else None
    initial: dict[str, Any] = {"measured_on": day, "position": row.default_position}
    if current is not None:
        initial = {
            name: getattr(current, name)
            for name in MeasurementForm.base_fields
            if hasattr(current, name) and name != "client_id"
        }
        initial["position"] = current.position or row.default_position
        initial["remeasure_confirmed"] = False
        initial["corrects"] = current.pk
    initial["client_id"] = uuid.uuid4()
    return MeasurementForm(data, prefix=f"c{row.child.pk}", initial=initial, first_day=first, last_day=last)


def _form_day(form: MeasurementForm) -> datetime.date | None:
    """The measuring day the form holds: the cleaned one once checked, else its initial day."""
    if form.is_bound:
        return form.cleaned_data.get("measured_on") if hasattr(form, "cleaned_data") else None
    day = form.initial.get("measured_on")
    return day if isinstance(day, datetime.date) else None


def _position_hint(row: DueRow, form: MeasurementForm | None) -> str:
    """Under the position choice: the 0.7 cm WHO adds to a standing child under 24 months."""
    if form is None:
        return ""
    day = _form_day(form)
    position = form["position"].value() or ""
    if day is None or not rules.POSITION_RULE.adjusts(
        position=position, age_days=(day - row.child.birth_date).days
    ):
        return ""
    return rules.POSITION_RULE.adjusted_text()


def _result_note(row: DueRow) -> str:
    """Next to a saved result: the same 0.7 cm, when the engine added it."""
    current = row.current.measurement if row.current else None
    if current is None or current.age_days is None or current.height_cm is None:
        return ""
    if not rules.POSITION_RULE.adjusts(position=current.position, age_days=current.age_days):
        return ""
    return rules.POSITION_RULE.adjusted_text()


def _row_context(row: DueRow, form: MeasurementForm | None, **extra: Any) -> dict[str, Any]:
    return {
        "row": row,
        "form": form,
        "needs_confirmation": False,
        "saved": False,
        "conflict": None,
        "position_hint": _position_hint(row, form),
        "result_note": _result_note(row),
        **extra,
    }


def _conflict_form(
    request: HttpRequest, *, child: Child, existing: Measurement, first: datetime.date, last: datetime.date
) -> MeasurementForm:
    """The kader's values back, with the day's stored values in the message: saving again replaces them."""
    data = request.POST.copy()
    data[f"c{child.pk}-corrects"] = str(existing.pk)
    form = MeasurementForm(data, prefix=f"c{child.pk}", first_day=first, last_day=last)
    form.is_valid()
    form.add_error(
        None,
        _(
            "Anak ini sudah diukur pada %(day)s: %(weight)s kg, %(height)s cm (%(position)s). Nilai di bawah "
            "belum disimpan: tekan Ganti untuk menggantinya, atau biarkan data yang tersimpan."
        )
        % {
            "day": existing.measured_on.strftime("%d-%m-%Y"),
            "weight": number_format(existing.weight_kg) if existing.weight_kg is not None else "-",
            "height": number_format(existing.height_cm) if existing.height_cm is not None else "-",
            "position": existing.get_position_display() or "-",
        },
    )
    return form


def _action(posyandu: Posyandu, first: datetime.date) -> str:
    return reverse("children:posyandu-day", args=[posyandu.pk, first.year, first.month])


def _is_fetch(request: HttpRequest) -> bool:
    return request.headers.get(FETCH_HEADER) == FETCH_VALUE


@login_required
@require_GET
def posyandu_day_current(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The posyandu day of the current month."""
    posyandu = posyandu_get_for_user(user=request.user, pk=pk)
    today = timezone.localdate()
    return redirect("children:posyandu-day", pk=posyandu.pk, year=today.year, month=today.month)


@login_required
@require_http_methods(["GET", "POST"])
def posyandu_day_page(request: AuthenticatedHttpRequest, pk: int, year: int, month: int) -> HttpResponse:
    """GET: the children due this month with an entry form each; POST: one child's measurement."""
    first, last = _month(year, month)
    posyandu = posyandu_get_for_user(user=request.user, pk=pk)
    if request.method == "POST":
        return _record(request, posyandu=posyandu, first=first, last=last)
    return _render_page(request, posyandu=posyandu, first=first, last=last)


def _render_page(
    request: AuthenticatedHttpRequest,
    *,
    posyandu: Posyandu,
    first: datetime.date,
    last: datetime.date,
    bound: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    today = timezone.localdate()
    day = posyandu_day(year=first.year, month=first.month, today=today)
    can_write = can_write_registry(request.user)
    rows = posyandu_day_rows(
        user=request.user, posyandu=posyandu, year=first.year, month=first.month, today=today
    )
    contexts = []
    for row in rows:
        if bound is not None and bound["child_pk"] == row.child.pk:
            contexts.append(
                _row_context(
                    row,
                    bound["form"],
                    needs_confirmation=bound["needs_confirmation"],
                    conflict=bound["conflict"],
                )
            )
        else:
            contexts.append(
                _row_context(row, _form(row, day=day, first=first, last=last) if can_write else None)
            )
    context = {
        "posyandu": posyandu,
        "month_start": first,
        "posyandu_day": day,
        "rows": contexts,
        "form_action": _action(posyandu, first),
        "can_write": can_write,
        "measured_count": sum(1 for row in rows if row.current is not None),
        "position_rule": rules.position_rule_as_data(),
        # The actions under the results with alerts (the referral), read for all rows at once.
        "result_actions": result_actions(
            user=request.user,
            measurements=[row.current.measurement for row in rows if row.current and row.current.alerts],
        ),
        **_neighbours(first),
        **(offline_page_context(posyandu=posyandu, first=first) if can_write else {}),
    }
    return render(request, "children/posyandu_day.html", context, status=status)


def _record(
    request: AuthenticatedHttpRequest, *, posyandu: Posyandu, first: datetime.date, last: datetime.date
) -> HttpResponse:
    check_registry_write(request.user, posyandu)
    try:
        child_pk = int(request.POST.get("child", ""))
    except ValueError:
        raise Http404 from None
    child = posyandu_child_for_user(user=request.user, posyandu=posyandu, pk=child_pk)
    form = MeasurementForm(request.POST, prefix=f"c{child.pk}", first_day=first, last_day=last)
    needs_confirmation = False
    conflict = None
    status = UNPROCESSABLE
    if form.is_valid():
        try:
            result = measurement_record(user=request.user, child=child, **form.service_kwargs())
        except NeedsConfirmation as error:
            needs_confirmation = True
            for message in error.messages:
                form.add_error(None, message)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                form.add_error(name if name in form.fields else None, messages)
        else:
            if result.outcome != MeasurementOutcome.CONFLICT:
                # A resent form (duplicate) shows the stored result like a first save.
                return _saved(request, posyandu=posyandu, child_pk=child.pk, first=first, last=last)
            conflict = result.measurement
            form = _conflict_form(request, child=child, existing=conflict, first=first, last=last)
            status = CONFLICT
    if not _is_fetch(request):
        bound = {
            "child_pk": child.pk,
            "form": form,
            "needs_confirmation": needs_confirmation,
            "conflict": conflict,
        }
        return _render_page(request, posyandu=posyandu, first=first, last=last, bound=bound, status=status)
    (row,) = posyandu_day_rows(
        user=request.user,
        posyandu=posyandu,
        year=first.year,
        month=first.month,
        today=timezone.localdate(),
        child_ids=[child.pk],
    )
    context = _row_context(
        row,
        form,
        needs_confirmation=needs_confirmation,
        conflict=conflict,
        form_action=_action(posyandu, first),
    )
    return render(request, "children/_child_row.html", context, status=status)


def _saved(
    request: AuthenticatedHttpRequest,
    *,
    posyandu: Posyandu,
    child_pk: int,
    first: datetime.date,
    last: datetime.date,
) -> HttpResponse:
    if not _is_fetch(request):
        return redirect(f"{_action(posyandu, first)}#anak-{child_pk}")
    today = timezone.localdate()
    (row,) = posyandu_day_rows(
        user=request.user,
        posyandu=posyandu,
        year=first.year,
        month=first.month,
        today=today,
        child_ids=[child_pk],
    )
    day = posyandu_day(year=first.year, month=first.month, today=today)
    form = _form(row, day=day, first=first, last=last)
    context = _row_context(row, form, saved=True, form_action=_action(posyandu, first))
    return render(request, "children/_child_row.html", context)


@login_required
@require_GET
def not_weighed_page(request: AuthenticatedHttpRequest, pk: int, year: int, month: int) -> HttpResponse:
    """The children of one posyandu not weighed yet in a month ("Belum ditimbang"), for the kader's
    follow-up visits, each with its last weighing and a link to its row on the posyandu day."""
    first, _last = _month(year, month)
    posyandu = posyandu_get_for_user(user=request.user, pk=pk)
    rows = posyandu_day_rows(
        user=request.user, posyandu=posyandu, year=year, month=month, today=timezone.localdate()
    )
    context = {
        "posyandu": posyandu,
        "month_start": first,
        "rows": not_weighed_rows(rows),
        "total": len(rows),
        **_neighbours(first),
    }
    return render(request, "children/not_weighed.html", context)


@login_required
@require_GET
def skdn_page(request: AuthenticatedHttpRequest, pk: int, year: int, month: int) -> HttpResponse:
    """The monthly SKDN report of one posyandu (Format F2), by age band and sex, with its ratios."""
    first, _last = _month(year, month)
    posyandu = posyandu_get_for_user(user=request.user, pk=pk)
    table = skdn_for_posyandu(user=request.user, posyandu=posyandu, year=year, month=month)
    context = {
        "posyandu": posyandu,
        "month_start": first,
        "reference_day": skdn_reference_day(year=year, month=month),
        "bands": [f"{low}-{high}" for low, high in skdn.AGE_BANDS],
        "sexes": skdn.SEXES,
        "rows": [(row, SKDN_LABELS[row], skdn.grid(table, row)) for row in skdn.ROWS],
        "ratios": [(name, RATIO_LABELS[name], table.ratio_percent(name)) for name in skdn.RATIOS],
        **_neighbours(first),
    }
    return render(request, "children/skdn.html", context)


urlpatterns = [
    path("posyandu/<int:pk>/penimbangan/", posyandu_day_current, name="posyandu-day-current"),
    path("posyandu/<int:pk>/penimbangan/<int:year>/<int:month>/", posyandu_day_page, name="posyandu-day"),
    path("posyandu/<int:pk>/skdn/<int:year>/<int:month>/", skdn_page, name="skdn"),
    path(
        "posyandu/<int:pk>/belum-ditimbang/<int:year>/<int:month>/",
        not_weighed_page,
        name="posyandu-not-weighed",
    ),
]
