"""Writes of the convergence actions, TPPS, meetings, attendance and follow-ups.

Who may write (the rows themselves are readable by every role of the kabupaten):
- Bappeda (bappeda_admin), the leading sector and secretariat, writes everything of its kabupaten;
- an OPD officer writes only what belongs to his agency: the actions it is PIC of (status, dates,
  outputs, evidence), its own attendance rows and the follow-ups it owns;
- the district head (pimpinan), puskesmas, kader and KPM read only;
- the assessment grades are the province's: convergence.province writes them.
Refusals raise PermissionDenied (403); callers fetch rows through the scoped selectors first, so a row of
another kabupaten is a 404 before it gets here.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from convergence.actions import ACTIONS, opd_catalogue_defaults
from convergence.codes import DESA_LEVELS, KABUPATEN_LEVELS, Level
from convergence.evidence import evidence_check, stored_name
from convergence.models import (
    OPD,
    ActionOutput,
    Attendance,
    ConvergenceAction,
    EvidenceDocument,
    FollowUp,
    Meeting,
    Region,
    Role,
    User,
)
from convergence.scoping import scope_for_user

AnyUser = User | AnonymousUser

MEETING_LEVELS = (*KABUPATEN_LEVELS, Level.KECAMATAN, *DESA_LEVELS)


# --- permissions --------------------------------------------------------------------------------------


def can_edit_convergence(user: AnyUser, *, kabupaten_code: str, opd_id: int | None = None) -> bool:
    """Whether `user` may change a row of `kabupaten_code` belonging to `opd_id` (None: Bappeda's only)."""
    scope = scope_for_user(user)
    if scope.is_superuser:
        return True
    if scope.is_empty or scope.kabupaten_prefix != kabupaten_code:
        return False
    if scope.role == Role.BAPPEDA_ADMIN:
        return True
    return scope.role == Role.OPD_OFFICER and opd_id is not None and opd_id == scope.opd_id


def check_edit_convergence(user: AnyUser, *, kabupaten_code: str, opd_id: int | None = None) -> None:
    if not can_edit_convergence(user, kabupaten_code=kabupaten_code, opd_id=opd_id):
        raise PermissionDenied


def can_edit_action(user: AnyUser, action: ConvergenceAction) -> bool:
    return can_edit_convergence(user, kabupaten_code=action.kabupaten.code, opd_id=action.pic_opd_id)


def can_manage_meetings(user: AnyUser, *, kabupaten_code: str) -> bool:
    """Creating meetings and follow-ups: Bappeda facilitates the coordination meetings."""
    return can_edit_convergence(user, kabupaten_code=kabupaten_code)


def _full_clean(obj: Any, *, exclude: Iterable[str] = ()) -> None:
    obj.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)


# --- OPD ----------------------------------------------------------------------------------------------


def opd_catalogue_load(*, kabupaten: Region) -> list[OPD]:
    """Create the standard OPD of `kabupaten` that are missing (by code); idempotent. Returns the new rows."""
    existing = set(OPD.objects.filter(kabupaten=kabupaten).values_list("code", flat=True))
    missing = [row for row in opd_catalogue_defaults() if row.code not in existing]
    return OPD.objects.bulk_create(
        OPD(
            kabupaten=kabupaten,
            code=row.code,
            name=row.name,
            short_name=row.short_name,
            tupoksi=row.tupoksi,
            is_leading_sector=row.is_leading_sector,
        )
        for row in missing
    )


def opd_save(
    *,
    user: AnyUser,
    kabupaten: Region,
    opd: OPD | None = None,
    code: str,
    name: str,
    short_name: str,
    tupoksi: str = "",
    is_leading_sector: bool = False,
) -> OPD:
    """Create or update an agency of `kabupaten` (Bappeda only); codes are unique in the kabupaten."""
    check_edit_convergence(user, kabupaten_code=kabupaten.code)
    if opd is not None and opd.kabupaten_id != kabupaten.pk:
        raise PermissionDenied
    clash = OPD.objects.filter(kabupaten=kabupaten, code=code)
    if opd is not None:
        clash = clash.exclude(pk=opd.pk)
    if clash.exists():
        raise ValidationError({"code": [_("Kode OPD ini sudah dipakai di kabupaten ini.")]})
    row = opd or OPD(kabupaten=kabupaten)
    row.code, row.name, row.short_name = code, name, short_name
    row.tupoksi, row.is_leading_sector = tupoksi, is_leading_sector
    _full_clean(row)
    row.save()
    return row


# --- actions ------------------------------------------------------------------------------------------


@transaction.atomic
def action_year_prepare(*, user: AnyUser, kabupaten: Region, year: int) -> list[ConvergenceAction]:
    """Create the eight actions of `year` with their outputs and default PIC OPD; idempotent (Bappeda).

    Existing actions and outputs are left as they are; missing outputs of existing actions are added.
    """
    check_edit_convergence(user, kabupaten_code=kabupaten.code)
    opd_by_code = {opd.code: opd for opd in OPD.objects.filter(kabupaten=kabupaten)}
    existing = {
        action.number: action for action in ConvergenceAction.objects.filter(kabupaten=kabupaten, year=year)
    }
    new = [
        ConvergenceAction(
            kabupaten=kabupaten,
            year=year,
            number=definition.number,
            pic_opd=opd_by_code.get(definition.pic_opd_code),
        )
        for definition in ACTIONS
        if definition.number not in existing
    ]
    ConvergenceAction.objects.bulk_create(new)
    actions = {**existing, **{action.number: action for action in new}}
    have = set(ActionOutput.objects.filter(action__in=actions.values()).values_list("action_id", "code"))
    ActionOutput.objects.bulk_create(
        ActionOutput(
            action=actions[definition.number],
            code=output.code,
            title=_(output.title),
            required=output.required,
        )
        for definition in ACTIONS
        for output in definition.outputs
        if (actions[definition.number].pk, output.code) not in have
    )
    return [actions[number] for number in sorted(actions)]


ACTION_FIELDS = ("status", "person_in_charge", "planned_start", "planned_end", "actual_start", "actual_end")


def action_update(*, user: AnyUser, action: ConvergenceAction, **fields: Any) -> ConvergenceAction:
    """Change status, dates or person in charge (Bappeda or the PIC OPD); the PIC OPD only by Bappeda.

    A finished action needs its actual end date: the board counts lateness from it.
    """
    check_edit_convergence(user, kabupaten_code=action.kabupaten.code, opd_id=action.pic_opd_id)
    unknown = set(fields) - {*ACTION_FIELDS, "pic_opd"}
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    if "pic_opd" in fields:
        check_edit_convergence(user, kabupaten_code=action.kabupaten.code)
        pic = fields["pic_opd"]
        if pic is not None and pic.kabupaten_id != action.kabupaten_id:
            raise ValidationError({"pic_opd": [_("OPD bukan dari kabupaten ini.")]})
    for name, value in fields.items():
        setattr(action, name, value)
    errors: dict[str, list[str]] = {}
    if action.status == ConvergenceAction.Status.SELESAI and action.actual_end is None:
        errors["actual_end"] = [_("Aksi yang selesai perlu tanggal realisasi selesai.")]
    for start, end in (("planned_start", "planned_end"), ("actual_start", "actual_end")):
        first, last = getattr(action, start), getattr(action, end)
        if first and last and last < first:
            errors[end] = [_("Tanggal selesai tidak boleh sebelum tanggal mulai.")]
    if errors:
        raise ValidationError(errors)
    _full_clean(action)
    action.save()
    return action


def action_output_set(
    *, user: AnyUser, output: ActionOutput, done: bool, done_on: datetime.date | None = None
) -> ActionOutput:
    """Mark an output done (on `done_on`, default today) or not done (Bappeda or the PIC OPD)."""
    action = output.action
    check_edit_convergence(user, kabupaten_code=action.kabupaten.code, opd_id=action.pic_opd_id)
    output.done = done
    output.done_on = (done_on or timezone.localdate()) if done else None
    output.save(update_fields=["done", "done_on"])
    return output


def evidence_upload(
    *, user: AnyUser, output: ActionOutput, upload: UploadedFile, doc_type: str
) -> EvidenceDocument:
    """Store an evidence document of `output` under a random name after checking its type and size.

    Bappeda or the PIC OPD. ValidationError on "file" (type, content, size) or "doc_type".
    """
    action = output.action
    check_edit_convergence(user, kabupaten_code=action.kabupaten.code, opd_id=action.pic_opd_id)
    if doc_type not in EvidenceDocument.DocType.values:
        raise ValidationError({"doc_type": [_("Jenis dokumen tidak dikenal.")]})
    checked = evidence_check(upload=upload)
    document = EvidenceDocument(
        output=output,
        original_name=checked.original_name,
        doc_type=doc_type,
        size_bytes=checked.size_bytes,
        sha256=checked.sha256,
        uploaded_by=user if isinstance(user, User) else None,
    )
    # FileField.save writes the file first; if the row then fails, the transaction rolls the row back and
    # on_commit never runs, so the orphan file is removed here.
    with transaction.atomic():
        document.file.save(stored_name(checked.extension), upload, save=False)
        try:
            document.save()
        except Exception:
            document.file.delete(save=False)
            raise
    return document


# --- meetings -----------------------------------------------------------------------------------------


def _kabupaten_of(region: Region) -> Region:
    return Region.objects.get(code=region.code[:5])


@transaction.atomic
def meeting_save(
    *,
    user: AnyUser,
    meeting: Meeting | None = None,
    region: Region,
    kind: str,
    held_on: datetime.date,
    title: str,
    agenda: str = "",
    minutes: str = "",
    action: ConvergenceAction | None = None,
    invited: Iterable[OPD] = (),
) -> Meeting:
    """Create or update a meeting at the level of `region` (kabupaten, kecamatan or desa); Bappeda only."""
    if region.level not in MEETING_LEVELS:
        raise ValidationError({"region": [_("Rapat diadakan di tingkat kabupaten, kecamatan atau desa.")]})
    kabupaten = _kabupaten_of(region)
    check_edit_convergence(user, kabupaten_code=kabupaten.code)
    if meeting is not None and meeting.kabupaten_id != kabupaten.pk:
        raise PermissionDenied
    invited = list(invited)
    if any(opd.kabupaten_id != kabupaten.pk for opd in invited):
        raise ValidationError({"invited": [_("OPD bukan dari kabupaten ini.")]})
    if action is not None and action.kabupaten_id != kabupaten.pk:
        raise ValidationError({"action": [_("Aksi bukan dari kabupaten ini.")]})
    row = meeting or Meeting(kabupaten=kabupaten, created_by=user if isinstance(user, User) else None)
    row.region, row.kind, row.held_on, row.title = region, kind, held_on, title
    row.agenda, row.minutes, row.action = agenda, minutes, action
    _full_clean(row, exclude=["created_by", "invited"])
    row.save()
    row.invited.set(invited)
    return row


def attendance_record(
    *,
    user: AnyUser,
    meeting: Meeting,
    opd: OPD,
    present: bool,
    attendee_name: str = "",
    attendee_jabatan: str = "",
) -> Attendance:
    """Record whether `opd` came to `meeting` and who came (Bappeda, or the OPD's own officer).

    One row per meeting and OPD (updated in place); recording it also adds the OPD to the invited.
    """
    check_edit_convergence(user, kabupaten_code=meeting.kabupaten.code, opd_id=opd.pk)
    if opd.kabupaten_id != meeting.kabupaten_id:
        raise ValidationError({"opd": [_("OPD bukan dari kabupaten ini.")]})
    attendee_name = " ".join(attendee_name.split())
    if present and not attendee_name:
        raise ValidationError({"attendee_name": [_("Isi nama orang yang hadir.")]})
    with transaction.atomic():
        row, _created = Attendance.objects.update_or_create(
            meeting=meeting,
            opd=opd,
            defaults={
                "present": present,
                "attendee_name": attendee_name if present else "",
                "attendee_jabatan": attendee_jabatan.strip() if present else "",
            },
        )
        meeting.invited.add(opd)
    return row


def follow_up_create(
    *, user: AnyUser, meeting: Meeting, description: str, owner_opd: OPD, due_date: datetime.date
) -> FollowUp:
    """Add a follow-up item of `meeting` owned by `owner_opd` (Bappeda)."""
    check_edit_convergence(user, kabupaten_code=meeting.kabupaten.code)
    if owner_opd.kabupaten_id != meeting.kabupaten_id:
        raise ValidationError({"owner_opd": [_("OPD bukan dari kabupaten ini.")]})
    row = FollowUp(meeting=meeting, description=description.strip(), owner_opd=owner_opd, due_date=due_date)
    _full_clean(row)
    row.save()
    return row


def follow_up_update(
    *,
    user: AnyUser,
    follow_up: FollowUp,
    status: str,
    done_on: datetime.date | None = None,
    note: str | None = None,
) -> FollowUp:
    """Close or reopen a follow-up, with a note (Bappeda or the owner OPD); closing dates it today by default."""
    check_edit_convergence(
        user, kabupaten_code=follow_up.meeting.kabupaten.code, opd_id=follow_up.owner_opd_id
    )
    if status not in FollowUp.Status.values:
        raise ValidationError({"status": [_("Status tidak dikenal.")]})
    follow_up.status = status
    follow_up.done_on = (done_on or timezone.localdate()) if status == FollowUp.Status.SELESAI else None
    if note is not None:
        follow_up.note = note
    follow_up.save(update_fields=["status", "done_on", "note"])
    return follow_up
