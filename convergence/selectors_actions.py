"""Reads of the convergence actions, TPPS, meetings and follow-ups: the yearly board and the flags.

Everything goes through convergence.scoping.restrict (a row of another kabupaten is a 404).

Flags the field studies ask for (late or missing OPD reports, different people sent to each meeting):

- An action is *late* when its planned end has passed (`planned_end < today`) and it is not `selesai`.
- An output is *missing* when it is required and not done; a done output without any evidence document
  is listed apart ("tanpa bukti"), since the province grades on uploaded documents.
- Attendance of an OPD over a set of meetings (see `attendance_stats`).
- A follow-up is *overdue* when it is open and its due date is before `today`.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from convergence.actions import ACTIONS
from convergence.codes import KABUPATEN_LEVELS
from convergence.models import (
    OPD,
    ActionOutput,
    AssessmentGrade,
    Attendance,
    ConvergenceAction,
    EvidenceDocument,
    FieldWorker,
    FollowUp,
    Meeting,
    Region,
    Team,
    User,
)
from convergence.scoping import restrict, scope_for_user

# An OPD "sends a different person each time" when, over at least this many attendances...
CHANGING_PERSON_MIN_ATTENDED = 3
# ...the distinct people it sent are more than this share of its attendances (4 visits by 3 people: 0.75).
CHANGING_PERSON_RATIO = 0.5
# An OPD is "often absent" when invited at least this many times and attending less than this share.
OFTEN_ABSENT_MIN_INVITED = 3
OFTEN_ABSENT_RATE = 0.5


# --- lookups ------------------------------------------------------------------------------------------


def kabupaten_for_user(*, user: User) -> Region | None:
    """The kabupaten/kota whose convergence the user works on (a superuser: the first one)."""
    scope = scope_for_user(user)
    kabupaten = Region.objects.filter(level__in=[level.value for level in KABUPATEN_LEVELS])
    if scope.is_superuser:
        return kabupaten.order_by("code").first()
    if scope.is_empty or not scope.kabupaten_prefix:
        return None
    return kabupaten.filter(code=scope.kabupaten_prefix).first()


def action_list_for_user(
    *, user: User, year: int | None = None, number: int | None = None
) -> QuerySet[ConvergenceAction]:
    actions = restrict(ConvergenceAction.objects.select_related("kabupaten", "pic_opd"), user)
    if year is not None:
        actions = actions.filter(year=year)
    if number is not None:
        actions = actions.filter(number=number)
    return actions.order_by("kabupaten__code", "-year", "number")


def action_get_for_user(*, user: User, year: int, number: int) -> ConvergenceAction:
    kabupaten = kabupaten_for_user(user=user)
    action = action_list_for_user(user=user, year=year, number=number).filter(kabupaten=kabupaten).first()
    if action is None:
        raise Http404
    return action


def action_outputs(*, action: ConvergenceAction) -> list[ActionOutput]:
    """The outputs of an action with their evidence documents (two queries)."""
    return list(
        action.outputs.order_by("pk").prefetch_related(
            Prefetch("evidence", queryset=EvidenceDocument.objects.order_by("uploaded_at", "pk"))
        )
    )


def output_list_for_user(*, user: User) -> QuerySet[ActionOutput]:
    return restrict(ActionOutput.objects.select_related("action__kabupaten"), user).order_by(
        "action_id", "pk"
    )


def output_get_for_user(*, user: User, pk: int) -> ActionOutput:
    output = output_list_for_user(user=user).filter(pk=pk).first()
    if output is None:
        raise Http404
    return output


def evidence_list_for_user(*, user: User) -> QuerySet[EvidenceDocument]:
    return restrict(EvidenceDocument.objects.select_related("output__action__kabupaten"), user).order_by(
        "output_id", "uploaded_at", "pk"
    )


def evidence_get_for_user(*, user: User, pk: int) -> EvidenceDocument:
    document = evidence_list_for_user(user=user).filter(pk=pk).first()
    if document is None:
        raise Http404
    return document


def assessment_list_for_user(*, user: User, year: int | None = None) -> QuerySet[AssessmentGrade]:
    grades = restrict(AssessmentGrade.objects.select_related("kabupaten"), user)
    if year is not None:
        grades = grades.filter(year=year)
    return grades.order_by("kabupaten__code", "-year", "indicator_code")


def team_list_for_user(*, user: User) -> QuerySet[Team]:
    return restrict(Team.objects.select_related("region"), user).order_by("region__code", "-period_start")


def team_get_for_user(*, user: User, pk: int) -> Team:
    team = team_list_for_user(user=user).prefetch_related("members__opd").filter(pk=pk).first()
    if team is None:
        raise Http404
    return team


def field_worker_list_for_user(*, user: User, kind: str | None = None) -> QuerySet[FieldWorker]:
    workers = restrict(FieldWorker.objects.select_related("desa"), user)
    if kind:
        workers = workers.filter(kind=kind)
    return workers.order_by("desa__code", "kind", "name")


def meeting_list_for_user(
    *, user: User, year: int | None = None, kind: str | None = None, level: str | None = None
) -> QuerySet[Meeting]:
    meetings = restrict(Meeting.objects.select_related("region", "action"), user)
    if year is not None:
        meetings = meetings.filter(held_on__year=year)
    if kind:
        meetings = meetings.filter(kind=kind)
    if level:
        meetings = meetings.filter(region__level=level)
    return meetings.annotate(
        present_count=Count("attendances", filter=Q(attendances__present=True), distinct=True),
        open_follow_ups=Count(
            "follow_ups", filter=Q(follow_ups__status=FollowUp.Status.TERBUKA), distinct=True
        ),
    ).order_by("-held_on", "-pk")


def meeting_get_for_user(*, user: User, pk: int) -> Meeting:
    meeting = (
        restrict(Meeting.objects.select_related("kabupaten", "region", "action"), user).filter(pk=pk).first()
    )
    if meeting is None:
        raise Http404
    return meeting


def attendance_list_for_user(*, user: User) -> QuerySet[Attendance]:
    return restrict(Attendance.objects.select_related("meeting__kabupaten", "opd"), user).order_by(
        "meeting_id", "opd_id"
    )


def follow_up_list_for_user(*, user: User) -> QuerySet[FollowUp]:
    return restrict(FollowUp.objects.select_related("meeting__kabupaten", "owner_opd"), user).order_by(
        "due_date", "pk"
    )


def opd_for_kabupaten(*, kabupaten: Region) -> list[OPD]:
    return list(OPD.objects.filter(kabupaten=kabupaten).order_by("-is_leading_sector", "short_name"))


# --- attendance flags (pure over facts) ---------------------------------------------------------------


@dataclass(frozen=True)
class AttendanceFact:
    """One OPD at one meeting: invited, and its attendance row if any (present None: no row)."""

    opd_id: int
    meeting_id: int
    present: bool | None
    attendee_name: str = ""


@dataclass
class OPDAttendance:
    """Attendance of one OPD over a set of meetings.

    invited: meetings it was invited to (an attendance row counts as an invitation);
    attended: meetings with present=True; absent = invited - attended (a row with present=False or no
    row at all); rate = attended / invited (None when never invited); distinct_attendees: distinct
    people among the attendances, names compared case-insensitively with spaces collapsed.
    changes_person: attended >= CHANGING_PERSON_MIN_ATTENDED and distinct_attendees / attended >
    CHANGING_PERSON_RATIO (3 attendances by 2 people: 0.67, flagged; 4 by 2: 0.5, not flagged).
    often_absent: invited >= OFTEN_ABSENT_MIN_INVITED and rate < OFTEN_ABSENT_RATE.
    """

    opd_id: int
    invited: int = 0
    attended: int = 0
    attendees: list[str] = field(default_factory=list)

    @property
    def absent(self) -> int:
        return self.invited - self.attended

    @property
    def rate(self) -> float | None:
        return self.attended / self.invited if self.invited else None

    @property
    def distinct_attendees(self) -> int:
        return len({" ".join(name.split()).casefold() for name in self.attendees})

    @property
    def changes_person(self) -> bool:
        return (
            self.attended >= CHANGING_PERSON_MIN_ATTENDED
            and self.distinct_attendees / self.attended > CHANGING_PERSON_RATIO
        )

    @property
    def often_absent(self) -> bool:
        rate = self.rate
        return self.invited >= OFTEN_ABSENT_MIN_INVITED and rate is not None and rate < OFTEN_ABSENT_RATE


def attendance_stats(facts: Iterable[AttendanceFact]) -> dict[int, OPDAttendance]:
    """Per OPD id, its attendance over the meetings of `facts` (one fact per OPD and meeting)."""
    stats: dict[int, OPDAttendance] = {}
    for fact in facts:
        row = stats.setdefault(fact.opd_id, OPDAttendance(opd_id=fact.opd_id))
        row.invited += 1
        if fact.present:
            row.attended += 1
            row.attendees.append(fact.attendee_name)
    return stats


def attendance_facts(*, meetings: QuerySet[Meeting]) -> list[AttendanceFact]:
    """One fact per (meeting, OPD) invited or with an attendance row; two queries."""
    meeting_ids = list(meetings.values_list("pk", flat=True))
    rows = {
        (meeting_id, opd_id): (present, name)
        for meeting_id, opd_id, present, name in Attendance.objects.filter(
            meeting_id__in=meeting_ids
        ).values_list("meeting_id", "opd_id", "present", "attendee_name")
    }
    pairs = set(rows) | set(
        Meeting.invited.through.objects.filter(meeting_id__in=meeting_ids).values_list("meeting_id", "opd_id")
    )
    facts = []
    for meeting_id, opd_id in sorted(pairs):
        present, name = rows.get((meeting_id, opd_id), (None, ""))
        facts.append(
            AttendanceFact(opd_id=opd_id, meeting_id=meeting_id, present=present, attendee_name=name)
        )
    return facts


def opd_attendance_for_year(
    *, user: User, kabupaten: Region, year: int, kind: str | None = None
) -> dict[int, OPDAttendance]:
    """Attendance per OPD id over the kabupaten's meetings of `year` (of one kind, or all)."""
    meetings = meeting_list_for_user(user=user, year=year, kind=kind).filter(kabupaten=kabupaten)
    return attendance_stats(attendance_facts(meetings=meetings))


@dataclass(frozen=True)
class AttendanceRow:
    """One OPD at one meeting, with its attendance over the meeting's year."""

    opd: OPD
    invited: bool
    present: bool | None  # None: invited but nothing recorded (counts as absent)
    attendee_name: str
    attendee_jabatan: str
    year: OPDAttendance

    @property
    def absent(self) -> bool:
        return not self.present


def meeting_attendance(*, user: User, meeting: Meeting) -> list[AttendanceRow]:
    """Every OPD of the kabupaten at `meeting`: invited or not, present, absent or not recorded."""
    records = {row.opd_id: row for row in meeting.attendances.all()}
    invited = set(meeting.invited.values_list("pk", flat=True)) | set(records)
    yearly = opd_attendance_for_year(user=user, kabupaten=meeting.kabupaten, year=meeting.held_on.year)
    rows = []
    for opd in opd_for_kabupaten(kabupaten=meeting.kabupaten):
        record = records.get(opd.pk)
        rows.append(
            AttendanceRow(
                opd=opd,
                invited=opd.pk in invited,
                present=record.present if record else None,
                attendee_name=record.attendee_name if record else "",
                attendee_jabatan=record.attendee_jabatan if record else "",
                year=yearly.get(opd.pk, OPDAttendance(opd_id=opd.pk)),
            )
        )
    return rows


def follow_up_is_overdue(follow_up: FollowUp, *, today: datetime.date) -> bool:
    return follow_up.status == FollowUp.Status.TERBUKA and follow_up.due_date < today


def follow_up_overdue_for_user(*, user: User, today: datetime.date) -> QuerySet[FollowUp]:
    """Open follow-ups whose due date is before `today`."""
    return follow_up_list_for_user(user=user).filter(status=FollowUp.Status.TERBUKA, due_date__lt=today)


# --- the yearly board ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardAction:
    number: int
    label_2018: str
    label_kemendagri: str
    action: ConvergenceAction | None  # None: not set up for the year ("belum dibuat")
    outputs_done: int
    outputs_total: int
    missing_required: list[str]
    without_evidence: list[str]
    evidence_count: int
    late: bool

    @property
    def state(self) -> str:
        """belum_dibuat, terlambat, or the stored status."""
        if self.action is None:
            return "belum_dibuat"
        return "terlambat" if self.late else self.action.status


@dataclass
class BoardOPD:
    opd: OPD
    actions: list[BoardAction] = field(default_factory=list)
    attendance: OPDAttendance | None = None
    overdue_follow_ups: int = 0
    open_follow_ups: int = 0


@dataclass(frozen=True)
class Board:
    kabupaten: Region
    year: int
    today: datetime.date
    actions: list[BoardAction]
    opd: list[BoardOPD]
    grades: list[AssessmentGrade]

    @property
    def prepared(self) -> bool:
        return all(row.action is not None for row in self.actions)


def action_is_late(action: ConvergenceAction, *, today: datetime.date) -> bool:
    return (
        action.planned_end is not None
        and action.planned_end < today
        and action.status != ConvergenceAction.Status.SELESAI
    )


def action_board(*, user: User, kabupaten: Region, year: int, today: datetime.date) -> Board:
    """The board of `year`: the eight actions, each OPD's actions, attendance and follow-ups, the grades.

    A constant number of queries whatever the number of actions, outputs, meetings and OPD.
    """
    actions = {
        action.number: action
        for action in action_list_for_user(user=user, year=year)
        .filter(kabupaten=kabupaten)
        .prefetch_related(
            Prefetch(
                "outputs",
                queryset=ActionOutput.objects.annotate(evidence_count=Count("evidence")).order_by("pk"),
            )
        )
    }
    board_actions = []
    for definition in ACTIONS:
        action = actions.get(definition.number)
        outputs = list(action.outputs.all()) if action else []
        board_actions.append(
            BoardAction(
                number=definition.number,
                label_2018=definition.label_2018,
                label_kemendagri=definition.label_kemendagri,
                action=action,
                outputs_done=sum(1 for output in outputs if output.done),
                outputs_total=len(outputs),
                missing_required=[output.title for output in outputs if output.required and not output.done],
                without_evidence=[
                    # evidence_count: annotated by the Prefetch above.
                    output.title
                    for output in outputs
                    if output.done and not output.evidence_count  # type: ignore[attr-defined]
                ],
                evidence_count=sum(output.evidence_count for output in outputs),  # type: ignore[attr-defined]
                late=action is not None and action_is_late(action, today=today),
            )
        )
    opd_rows = {opd.pk: BoardOPD(opd=opd) for opd in opd_for_kabupaten(kabupaten=kabupaten)}
    for row in board_actions:
        if row.action is not None and row.action.pic_opd_id in opd_rows:
            opd_rows[row.action.pic_opd_id].actions.append(row)
    for opd_id, stats in opd_attendance_for_year(user=user, kabupaten=kabupaten, year=year).items():
        if opd_id in opd_rows:
            opd_rows[opd_id].attendance = stats
    follow_ups: defaultdict[int, list[int]] = defaultdict(lambda: [0, 0])
    for owner_id, due_date in (
        follow_up_list_for_user(user=user)
        .filter(meeting__kabupaten=kabupaten, meeting__held_on__year=year, status=FollowUp.Status.TERBUKA)
        .values_list("owner_opd_id", "due_date")
    ):
        follow_ups[owner_id][0] += 1
        follow_ups[owner_id][1] += due_date < today
    for owner_id, (open_count, overdue) in follow_ups.items():
        if owner_id in opd_rows:
            opd_rows[owner_id].open_follow_ups, opd_rows[owner_id].overdue_follow_ups = open_count, overdue
    return Board(
        kabupaten=kabupaten,
        year=year,
        today=today,
        actions=board_actions,
        opd=list(opd_rows.values()),
        grades=list(assessment_list_for_user(user=user, year=year).filter(kabupaten=kabupaten)),
    )
