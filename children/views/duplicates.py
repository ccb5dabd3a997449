"""The likely-duplicate review queue: compare two records side by side, merge them or dismiss the pair."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from children import duplicates
from children.access import can_merge, kk_for_display, nik_for_display
from children.audit import record_access
from children.duplicates_scan import duplicates_scan_request
from children.models import Child, DuplicateCandidate, Keluarga, Person, RecordAccess
from convergence.http import AuthenticatedHttpRequest
from convergence.models import User

PAGE_SIZE = 25


class DecisionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("gabung", gettext_lazy("Gabung")), ("bukan_duplikat", gettext_lazy("Bukan duplikat"))]
    )
    survivor = forms.TypedChoiceField(
        label=gettext_lazy("Data yang dipertahankan"),
        choices=[],
        coerce=int,
        required=False,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=gettext_lazy("Catatan"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args: object, candidate: DuplicateCandidate, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        a, b = _records(candidate)
        survivor = self.fields["survivor"]
        if not isinstance(survivor, forms.ChoiceField):
            raise TypeError("survivor is a choice field")
        survivor.choices = [
            (record.pk, f"{_label(record)} ({_('nomor data')} {record.pk})") for record in (a, b) if record
        ]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("action") == "gabung" and not data.get("survivor"):
            self.add_error("survivor", _("Pilih data yang dipertahankan."))
        return data


Record = Child | Person | Keluarga


def _label(record: Record) -> str:
    return record.head_name if isinstance(record, Keluarga) else record.name


def _records(candidate: DuplicateCandidate) -> tuple[Record | None, Record | None]:
    if candidate.kind == DuplicateCandidate.Kind.CHILD:
        return candidate.child_a, candidate.child_b
    if candidate.kind == DuplicateCandidate.Kind.KELUARGA:
        return candidate.keluarga_a, None
    return candidate.person_a, candidate.person_b


def _side(user: User, record: Record | None, measurements: int | None) -> dict[str, object] | None:
    if record is None:
        return None
    if isinstance(record, Keluarga):
        return {"record": record, "family": True, "kk": kk_for_display(user, record.kk_encrypted)}
    side: dict[str, object] = {
        "record": record,
        "nik": nik_for_display(user, record.nik_encrypted),
    }
    if isinstance(record, Child):
        side["mother"] = record.mother.name if record.mother else record.mother_name
        side["measurements"] = measurements or 0
    return side


def _pair(user: User, candidate: DuplicateCandidate) -> dict[str, object]:
    a, b = _records(candidate)
    return {
        "candidate": candidate,
        "a": _side(user, a, getattr(candidate, "child_a_measurements", None)),
        "b": _side(user, b, getattr(candidate, "child_b_measurements", None)),
    }


def _log_reads(request: AuthenticatedHttpRequest, pairs: list[dict[str, object]]) -> None:
    kinds = {
        Child: RecordAccess.Kind.CHILD,
        Person: RecordAccess.Kind.PERSON,
        Keluarga: RecordAccess.Kind.KELUARGA,
    }
    ids: dict[str, list[int]] = {kind: [] for kind in kinds.values()}
    for pair in pairs:
        for side in (pair["a"], pair["b"]):
            if side:
                record = side["record"]  # type: ignore[index]
                ids[kinds[type(record)]].append(record.pk)
    for kind, pks in ids.items():
        if len(pairs) == 1:
            record_access(
                user=request.user,
                kind=kind,
                object_ids=pks,
                channel=RecordAccess.Channel.PAGE,
                path=request.path,
            )
        elif pks:
            record_access(
                user=request.user,
                kind=kind,
                count=len(pks),
                channel=RecordAccess.Channel.PAGE,
                path=request.path,
            )


@login_required
def duplicate_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    candidates = duplicates.duplicate_list_for_user(user=request.user)
    page = Paginator(candidates, PAGE_SIZE).get_page(request.GET.get("page"))
    pairs = [_pair(request.user, candidate) for candidate in page]
    _log_reads(request, pairs)
    context = {"page": page, "pairs": pairs, "can_merge": can_merge(request.user)}
    return render(request, "children/duplicates/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def duplicate_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    try:
        candidate = duplicates.duplicate_get_for_user(user=request.user, pk=pk)
    except DuplicateCandidate.DoesNotExist:
        raise Http404 from None
    form = DecisionForm(request.POST or None, candidate=candidate)
    if request.method == "POST":
        if not can_merge(request.user):
            raise PermissionDenied
        if form.is_valid():
            try:
                _decide(request, candidate, form.cleaned_data)
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                return redirect("children:duplicate-list")
    pair = _pair(request.user, candidate)
    _log_reads(request, [pair])
    context = {**pair, "form": form, "can_merge": can_merge(request.user)}
    return render(request, "children/duplicates/detail.html", context, status=400 if form.errors else 200)


def _decide(request: AuthenticatedHttpRequest, candidate: DuplicateCandidate, data: dict[str, Any]) -> None:
    user = request.user
    if data["action"] == "gabung":
        duplicates.duplicate_merge(user=user, candidate=candidate, survivor_id=data["survivor"])
        messages.success(request, _("Data digabung; riwayat penggabungan disimpan."))
    else:
        duplicates.duplicate_dismiss(user=user, candidate=candidate, note=str(data["note"]))
        messages.success(request, _("Pasangan ditandai bukan duplikat."))


@login_required
@require_http_methods(["POST"])
def duplicate_scan(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Scan the registry of the user's scope for likely duplicates now (puskesmas officer, Bappeda)."""
    found = duplicates_scan_request(user=request.user)
    messages.success(request, _("Pemindaian dijadwalkan."))
    if found is not None:
        messages.info(
            request, _("Pemindaian selesai: %(count)s calon duplikat baru masuk antrean.") % {"count": found}
        )
    return redirect("children:duplicate-list")


urlpatterns = [
    path("duplikat/", duplicate_list, name="duplicate-list"),
    path("duplikat/pindai/", duplicate_scan, name="duplicate-scan"),
    path("duplikat/<int:pk>/", duplicate_detail, name="duplicate-detail"),
]
