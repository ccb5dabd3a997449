"""Pages of the eight actions (yearly board, action detail, evidence), meetings and TPPS.

Reads go through convergence.selectors_actions (a row of another kabupaten is a 404), writes through
convergence.services_actions (read-only roles get a 403). Evidence files are streamed by
`evidence_download` after the scope check, never from MEDIA_URL.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from convergence import selectors_actions as selectors
from convergence import services_actions as services
from convergence.choices import form_choices_limit
from convergence.evidence import CONTENT_TYPES
from convergence.http import AuthenticatedHttpRequest
from convergence.models import (
    OPD,
    ConvergenceAction,
    EvidenceDocument,
    FieldWorker,
    FollowUp,
    Meeting,
    Region,
    User,
)
from convergence.paging import paginate
from convergence.scoping import restrict, scope_for_user
from convergence.search import region_label

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


# --- forms --------------------------------------------------------------------------------------------


class ActionForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=ConvergenceAction.Status.choices)
    person_in_charge = forms.CharField(label=gettext_lazy("Penanggung jawab"), max_length=120, required=False)
    planned_start = forms.DateField(label=gettext_lazy("Rencana mulai"), required=False, widget=DATE_WIDGET)
    planned_end = forms.DateField(label=gettext_lazy("Rencana selesai"), required=False, widget=DATE_WIDGET)
    actual_start = forms.DateField(label=gettext_lazy("Realisasi mulai"), required=False, widget=DATE_WIDGET)
    actual_end = forms.DateField(label=gettext_lazy("Realisasi selesai"), required=False, widget=DATE_WIDGET)


class EvidenceForm(forms.Form):
    doc_type = forms.ChoiceField(
        label=gettext_lazy("Jenis dokumen"), choices=EvidenceDocument.DocType.choices
    )
    file = forms.FileField(label=gettext_lazy("Berkas (PDF, JPG, PNG, DOCX, XLSX; maks. 10 MB)"))


class MeetingForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Judul"), max_length=200)
    kind = forms.ChoiceField(label=gettext_lazy("Jenis rapat"), choices=Meeting.Kind.choices)
    region = forms.ModelChoiceField(
        label=gettext_lazy("Wilayah (tingkat rapat)"), queryset=Region.objects.none()
    )
    held_on = forms.DateField(label=gettext_lazy("Tanggal"), widget=DATE_WIDGET)
    action = forms.ModelChoiceField(
        label=gettext_lazy("Aksi terkait"), queryset=ConvergenceAction.objects.none(), required=False
    )
    invited = forms.ModelMultipleChoiceField(
        label=gettext_lazy("OPD yang diundang"),
        queryset=OPD.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    agenda = forms.CharField(
        label=gettext_lazy("Agenda"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    minutes = forms.CharField(
        label=gettext_lazy("Notulen"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )

    def __init__(self, *args: Any, user: User, kabupaten: Region, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        regions = restrict(Region.objects.all(), user).filter(code__startswith=kabupaten.code)
        form_choices_limit(
            self,
            "region",
            regions.filter(level__in=list(services.MEETING_LEVELS)).select_related("parent").order_by("code"),
        )
        # Without JavaScript a desa option says its kecamatan, as the search answers do.
        self.fields["region"].label_from_instance = region_label  # type: ignore[attr-defined]
        # Every desa of the district is a choice: with JavaScript the select searches as one types.
        self.fields["region"].widget.attrs["data-search-url"] = reverse("convergence:search-region")
        form_choices_limit(
            self, "action", selectors.action_list_for_user(user=user).filter(kabupaten=kabupaten)
        )
        form_choices_limit(self, "invited", OPD.objects.filter(kabupaten=kabupaten).order_by("short_name"))


class AttendanceForm(forms.Form):
    opd = forms.ModelChoiceField(label=gettext_lazy("OPD"), queryset=OPD.objects.none())
    present = forms.BooleanField(label=gettext_lazy("Hadir"), required=False)
    attendee_name = forms.CharField(label=gettext_lazy("Nama yang hadir"), max_length=120, required=False)
    attendee_jabatan = forms.CharField(label=gettext_lazy("Jabatan"), max_length=160, required=False)

    def __init__(self, *args: Any, opd: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        form_choices_limit(self, "opd", opd)


class FollowUpForm(forms.Form):
    description = forms.CharField(
        label=gettext_lazy("Tindak lanjut"), widget=forms.Textarea(attrs={"rows": 2})
    )
    owner_opd = forms.ModelChoiceField(label=gettext_lazy("OPD pelaksana"), queryset=OPD.objects.none())
    due_date = forms.DateField(label=gettext_lazy("Batas waktu"), widget=DATE_WIDGET)

    def __init__(self, *args: Any, kabupaten: Region, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        form_choices_limit(self, "owner_opd", OPD.objects.filter(kabupaten=kabupaten).order_by("short_name"))


def _apply_errors(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _kabupaten(request: AuthenticatedHttpRequest) -> Region:
    kabupaten = selectors.kabupaten_for_user(user=request.user)
    if kabupaten is None:
        raise PermissionDenied
    return kabupaten


def _int_param(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() else None


# --- actions ------------------------------------------------------------------------------------------


@login_required
def action_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    return redirect("convergence:action-board", year=timezone.localdate().year)


@login_required
@require_http_methods(["GET"])
def action_board(request: AuthenticatedHttpRequest, year: int) -> HttpResponse:
    kabupaten = _kabupaten(request)
    board = selectors.action_board(
        user=request.user,
        kabupaten=kabupaten,
        year=year,
        today=timezone.localdate(),
    )
    context = {
        "board": board,
        "can_prepare": services.can_edit_convergence(request.user, kabupaten_code=kabupaten.code),
        "previous_year": year - 1,
        "next_year": year + 1,
    }
    return render(request, "convergence/actions/board.html", context)


@login_required
@require_POST
def action_prepare(request: AuthenticatedHttpRequest, year: int) -> HttpResponse:
    services.action_year_prepare(user=request.user, kabupaten=_kabupaten(request), year=year)
    messages.success(request, _("Delapan aksi tahun %(year)d siap diisi.") % {"year": year})
    return redirect("convergence:action-board", year=year)


def _detail_page(
    request: HttpRequest,
    action: ConvergenceAction,
    *,
    action_form: ActionForm | None = None,
    evidence_form: EvidenceForm | None = None,
    evidence_output_id: int | None = None,
    status: int = 200,
) -> HttpResponse:
    can_edit = services.can_edit_action(request.user, action)
    initial = {name: getattr(action, name) for name in services.ACTION_FIELDS}
    context = {
        "action": action,
        "outputs": selectors.action_outputs(action=action),
        "meetings": action.meetings.select_related("region").order_by("-held_on"),
        "late": selectors.action_is_late(action, today=timezone.localdate()),
        "can_edit": can_edit,
        "action_form": action_form or ActionForm(initial=initial),
        "evidence_form": evidence_form or EvidenceForm(),
        "evidence_output_id": evidence_output_id,
    }
    return render(request, "convergence/actions/detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def action_detail(request: AuthenticatedHttpRequest, year: int, number: int) -> HttpResponse:
    action = selectors.action_get_for_user(user=request.user, year=year, number=number)
    if request.method == "GET":
        return _detail_page(request, action)
    if not services.can_edit_action(request.user, action):
        raise PermissionDenied
    form = ActionForm(request.POST)
    if form.is_valid():
        try:
            services.action_update(user=request.user, action=action, **form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Aksi tersimpan."))
            return redirect("convergence:action-detail", year=year, number=number)
    action.refresh_from_db()
    return _detail_page(request, action, action_form=form, status=400)


@login_required
@require_POST
def output_update(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    output = selectors.output_get_for_user(user=request.user, pk=pk)
    services.action_output_set(user=request.user, output=output, done=request.POST.get("done") == "1")
    return redirect("convergence:action-detail", year=output.action.year, number=output.action.number)


@login_required
@require_POST
def evidence_upload(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    output = selectors.output_get_for_user(user=request.user, pk=pk)
    action = output.action
    if not services.can_edit_action(request.user, action):
        raise PermissionDenied
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.evidence_upload(
                user=request.user,
                output=output,
                upload=form.cleaned_data["file"],
                doc_type=form.cleaned_data["doc_type"],
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Dokumen bukti tersimpan."))
            return redirect("convergence:action-detail", year=action.year, number=action.number)
    return _detail_page(request, action, evidence_form=form, evidence_output_id=output.pk, status=400)


@login_required
@require_http_methods(["GET"])
def evidence_download(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    document = selectors.evidence_get_for_user(user=request.user, pk=pk)
    extension = "." + document.file.name.rsplit(".", 1)[-1].lower()
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=document.original_name,
        content_type=CONTENT_TYPES.get(extension, "application/octet-stream"),
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- meetings -----------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def meeting_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    kabupaten = _kabupaten(request)
    year = _int_param(request, "tahun") or timezone.localdate().year
    kind = request.GET.get("jenis", "")
    level = request.GET.get("tingkat", "")
    meetings = selectors.meeting_list_for_user(
        user=request.user,
        year=year,
        kind=kind if kind in Meeting.Kind.values else None,
        level=level if level in Region.LevelChoices.values else None,
    ).filter(kabupaten=kabupaten)
    context = {
        "meetings": meetings,
        "year": year,
        "kind": kind,
        "level": level,
        "kinds": Meeting.Kind.choices,
        "levels": [
            (value, label) for value, label in Region.LevelChoices.choices if value in services.MEETING_LEVELS
        ],
        "can_create": services.can_manage_meetings(request.user, kabupaten_code=kabupaten.code),
    }
    return render(request, "convergence/meetings/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def meeting_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    kabupaten = _kabupaten(request)
    if not services.can_manage_meetings(request.user, kabupaten_code=kabupaten.code):
        raise PermissionDenied
    form = MeetingForm(request.POST or None, user=request.user, kabupaten=kabupaten)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_save(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Rapat tersimpan."))
            return redirect("convergence:meeting-detail", pk=meeting.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "convergence/meetings/form.html", {"form": form, "title": _("Rapat baru")}, status=status
    )


def _meeting_page(
    request: AuthenticatedHttpRequest,
    meeting: Meeting,
    *,
    attendance_form: AttendanceForm | None = None,
    follow_up_form: FollowUpForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user: User = request.user
    scope = scope_for_user(user)
    today = timezone.localdate()
    manage = services.can_manage_meetings(user, kabupaten_code=meeting.kabupaten.code)
    # Bappeda records every OPD's attendance; an OPD officer records his own agency's.
    recordable = OPD.objects.filter(kabupaten=meeting.kabupaten).order_by("short_name")
    if not manage:
        recordable = recordable.filter(pk=scope.opd_id) if scope.opd_id else recordable.none()
    follow_ups = [
        (
            row,
            selectors.follow_up_is_overdue(row, today=today),
            services.can_edit_convergence(
                user, kabupaten_code=meeting.kabupaten.code, opd_id=row.owner_opd_id
            ),
        )
        for row in meeting.follow_ups.select_related("owner_opd").order_by("due_date", "pk")
    ]
    context = {
        "meeting": meeting,
        "attendance": selectors.meeting_attendance(user=user, meeting=meeting),
        "follow_ups": follow_ups,
        "can_manage": manage,
        "can_record": recordable.exists(),
        "attendance_form": attendance_form or AttendanceForm(opd=recordable),
        "follow_up_form": follow_up_form or FollowUpForm(kabupaten=meeting.kabupaten),
        "statuses": FollowUp.Status,
    }
    return render(request, "convergence/meetings/detail.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def meeting_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_get_for_user(user=request.user, pk=pk)
    return _meeting_page(request, meeting)


@login_required
@require_POST
def attendance_record(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_get_for_user(user=request.user, pk=pk)
    form = AttendanceForm(request.POST, opd=OPD.objects.filter(kabupaten=meeting.kabupaten))
    if form.is_valid():
        try:
            services.attendance_record(user=request.user, meeting=meeting, **form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Kehadiran tersimpan."))
            return redirect("convergence:meeting-detail", pk=meeting.pk)
    return _meeting_page(request, meeting, attendance_form=form, status=400)


@login_required
@require_POST
def follow_up_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_get_for_user(user=request.user, pk=pk)
    if not services.can_manage_meetings(request.user, kabupaten_code=meeting.kabupaten.code):
        raise PermissionDenied
    form = FollowUpForm(request.POST, kabupaten=meeting.kabupaten)
    if form.is_valid():
        try:
            services.follow_up_create(user=request.user, meeting=meeting, **form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Tindak lanjut tersimpan."))
            return redirect("convergence:meeting-detail", pk=meeting.pk)
    return _meeting_page(request, meeting, follow_up_form=form, status=400)


@login_required
@require_POST
def follow_up_update(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    follow_up = selectors.follow_up_list_for_user(user=request.user).filter(pk=pk).first()
    if follow_up is None:
        raise Http404
    status = request.POST.get("status", "")
    try:
        services.follow_up_update(user=request.user, follow_up=follow_up, status=status)
    except ValidationError:
        messages.error(request, _("Status tidak dikenal."))
    return redirect("convergence:meeting-detail", pk=follow_up.meeting_id)


# --- TPPS and rosters ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def team_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    _kabupaten(request)
    kind = request.GET.get("jenis", "")
    workers = selectors.field_worker_list_for_user(
        user=request.user,
        kind=kind if kind in FieldWorker.Kind.values else None,
    )
    teams = paginate(request, selectors.team_list_for_user(user=request.user), prefix="tim_")
    worker_pages = paginate(request, workers)
    context = {
        "teams": teams.rows,
        "team_pager": teams,
        "workers": worker_pages.rows,
        "worker_pager": worker_pages,
        "kind": kind,
        "kinds": FieldWorker.Kind.choices,
    }
    return render(request, "convergence/actions/team_list.html", context)


@login_required
@require_http_methods(["GET"])
def team_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    team = selectors.team_get_for_user(user=request.user, pk=pk)
    return render(request, "convergence/actions/team_detail.html", {"team": team})


urlpatterns = [
    path("aksi/", action_home, name="action-home"),
    path("aksi/<int:year>/", action_board, name="action-board"),
    path("aksi/<int:year>/siapkan/", action_prepare, name="action-prepare"),
    path("aksi/<int:year>/<int:number>/", action_detail, name="action-detail"),
    path("aksi/keluaran/<int:pk>/", output_update, name="output-update"),
    path("aksi/keluaran/<int:pk>/dokumen/", evidence_upload, name="evidence-upload"),
    path("aksi/dokumen/<int:pk>/", evidence_download, name="evidence-download"),
    path("rapat/", meeting_list, name="meeting-list"),
    path("rapat/baru/", meeting_create, name="meeting-create"),
    path("rapat/<int:pk>/", meeting_detail, name="meeting-detail"),
    path("rapat/<int:pk>/kehadiran/", attendance_record, name="attendance-record"),
    path("rapat/<int:pk>/tindak-lanjut/", follow_up_create, name="follow-up-create"),
    path("rapat/tindak-lanjut/<int:pk>/", follow_up_update, name="follow-up-update"),
    path("tpps/", team_list, name="team-list"),
    path("tpps/<int:pk>/", team_detail, name="team-detail"),
]
