"""The province's work on its kabupaten: the penilaian kinerja (grid, evidence, grades).

Who may do what:
- the provincial Bappeda (Role.BAPPEDA_PROVINSI) reads every kabupaten of its province in aggregate and is
  the only role that writes their grades;
- the national role reads every province the same way and writes nothing;
- a superuser does everything; every other role gets a 403 on these pages and writes.
A province or kabupaten outside the user's area is a 404. Nothing here reads a named record: actions,
outputs, evidence documents and grades only. The province's target path is the reports app's
(reports.province_targets): it sits with the other targets and the dashboards that compare with it.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from convergence.actions import (
    ACTIONS,
    ASSESSMENT_INDICATORS,
    ASSESSMENT_INDICATORS_BY_CODE,
    AssessmentIndicator,
)
from convergence.codes import KABUPATEN_LEVELS, Level
from convergence.models import (
    ActionOutput,
    AssessmentGrade,
    ConvergenceAction,
    EvidenceDocument,
    Region,
    Role,
    User,
)
from convergence.scoping import Scope, restrict, scope_for_user
from convergence.selectors_actions import action_is_late

AnyUser = User | AnonymousUser

_KABUPATEN = [str(level) for level in KABUPATEN_LEVELS]

# --- access -------------------------------------------------------------------------------------------


def _scope(user: AnyUser) -> Scope:
    scope = scope_for_user(user)
    if not (scope.is_superuser or scope.is_aggregate_only):
        raise PermissionDenied
    return scope


def province_list_for_user(*, user: AnyUser) -> QuerySet[Region]:
    """The provinces of the user's area (one for the provincial role, every one nationally), by code."""
    scope = _scope(user)
    return Region.objects.filter(scope.area_q(), level=Level.PROVINSI).order_by("code")


def province_get_for_user(*, user: AnyUser, code: str) -> Region:
    """The province `code`: PermissionDenied for roles without provinces, Http404 outside the area."""
    province = province_list_for_user(user=user).filter(code=code).first()
    if province is None:
        raise Http404
    return province


def kabupaten_list(*, provinsi: Region) -> QuerySet[Region]:
    """The current kabupaten and kota of `provinsi`, by code."""
    return Region.objects.active().filter(parent=provinsi, level__in=_KABUPATEN).order_by("code")


def kabupaten_by_province_for_user(*, user: AnyUser) -> list[tuple[Region, list[Region]]]:
    """Every kabupaten of the user's area grouped by province: its own province for the provincial role,
    all of them for the national role (two queries)."""
    provinces = list(province_list_for_user(user=user))
    rows = Region.objects.active().filter(parent__in=provinces, level__in=_KABUPATEN)
    grouped: dict[int, list[Region]] = {province.pk: [] for province in provinces}
    for kabupaten in rows.order_by("code"):
        grouped[kabupaten.parent_id].append(kabupaten)  # type: ignore[index]
    return [(province, grouped[province.pk]) for province in provinces]


def kabupaten_get_for_user(*, user: AnyUser, provinsi: Region, code: str) -> Region:
    """Kabupaten `code` of `provinsi` (already checked against the user's area); Http404 otherwise."""
    kabupaten = kabupaten_list(provinsi=provinsi).filter(code=code).first()
    if kabupaten is None or not _scope(user).covers_code(kabupaten.code):
        raise Http404
    return kabupaten


def can_grade(user: AnyUser, kabupaten: Region) -> bool:
    """Only the provincial Bappeda of the kabupaten's province (or a superuser) grades it."""
    scope = scope_for_user(user)
    if scope.is_superuser:
        return True
    return (
        scope.role == Role.BAPPEDA_PROVINSI
        and bool(scope.provinsi_code)
        and kabupaten.level in KABUPATEN_LEVELS
        and kabupaten.code.startswith(f"{scope.provinsi_code}.")
    )


# --- writes -------------------------------------------------------------------------------------------


@transaction.atomic
def assessment_grade_save(
    *,
    user: AnyUser,
    kabupaten: Region,
    year: int,
    indicator_code: str,
    grade: str,
    notes: str = "",
    assessed_on: datetime.date | None = None,
) -> AssessmentGrade:
    """Record the province's grade (A-D) of one indicator of `kabupaten` for `year`; one row per kabupaten,
    year and indicator (a second save replaces it). Only the provincial Bappeda of its province.

    The indicator's text is taken from the shared list (convergence.actions.ASSESSMENT_INDICATORS).
    """
    if not can_grade(user, kabupaten):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    if indicator_code not in ASSESSMENT_INDICATORS_BY_CODE:
        errors["indicator_code"] = [_("Indikator penilaian tidak dikenal.")]
    if grade not in AssessmentGrade.Grade.values:
        errors["grade"] = [_("Nilai harus A, B, C atau D.")]
    if errors:
        raise ValidationError(errors)
    indicator = ASSESSMENT_INDICATORS_BY_CODE[indicator_code]
    # Lock the row: two assessors saving the same indicator at once leave one grade, not an IntegrityError.
    row = (
        AssessmentGrade.objects.select_for_update()
        .filter(kabupaten=kabupaten, year=year, indicator_code=indicator_code)
        .first()
    )
    row = row or AssessmentGrade(kabupaten=kabupaten, year=year, indicator_code=indicator_code)
    row.indicator_text, row.grade, row.notes, row.assessed_on = (
        indicator.text,
        grade,
        notes.strip(),
        assessed_on,
    )
    row.full_clean(validate_unique=False, validate_constraints=False)
    row.save()
    return row


# --- the assessment grid ------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorGrade:
    indicator: AssessmentIndicator
    grade: AssessmentGrade | None  # None: belum dinilai


@dataclass(frozen=True)
class GridCell:
    """One action of one kabupaten in a year, counted (no record names)."""

    number: int
    state: str  # belum_dibuat, terlambat, or the action's status
    outputs_done: int
    outputs_total: int
    evidence_count: int
    grades: list[IndicatorGrade]


@dataclass(frozen=True)
class GridRow:
    kabupaten: Region
    cells: list[GridCell]

    @property
    def graded(self) -> int:
        return sum(1 for cell in self.cells for row in cell.grades if row.grade is not None)


def _state(action: ConvergenceAction | None, *, today: datetime.date) -> str:
    if action is None:
        return "belum_dibuat"
    return "terlambat" if action_is_late(action, today=today) else action.status


def _grades_by_kabupaten(
    *, user: AnyUser, kabupaten_ids: Sequence[int], year: int
) -> dict[tuple[int, str], AssessmentGrade]:
    grades = restrict(AssessmentGrade.objects.all(), user).filter(kabupaten_id__in=kabupaten_ids, year=year)
    return {(grade.kabupaten_id, grade.indicator_code): grade for grade in grades}


def _indicator_grades(
    grades: dict[tuple[int, str], AssessmentGrade], kabupaten_id: int, number: int
) -> list[IndicatorGrade]:
    return [
        IndicatorGrade(indicator, grades.get((kabupaten_id, indicator.code)))
        for indicator in ASSESSMENT_INDICATORS
        if indicator.action == number
    ]


def assessment_grid(
    *, user: AnyUser, kabupaten: Sequence[Region], year: int, today: datetime.date
) -> list[GridRow]:
    """Per kabupaten of `kabupaten` (a page of them), Aksi 1-8 of `year`: state, outputs done/total,
    evidence count and the grade per indicator. Two queries whatever the number of kabupaten."""
    _scope(user)
    ids = [row.pk for row in kabupaten]
    actions = {
        (action.kabupaten_id, action.number): action
        for action in restrict(ConvergenceAction.objects.all(), user)
        .filter(kabupaten_id__in=ids, year=year)
        .annotate(
            outputs_total=Count("outputs", distinct=True),
            outputs_done=Count("outputs", filter=Q(outputs__done=True), distinct=True),
            evidence_count=Count("outputs__evidence", distinct=True),
        )
    }
    grades = _grades_by_kabupaten(user=user, kabupaten_ids=ids, year=year)
    rows = []
    for region in kabupaten:
        cells = []
        for definition in ACTIONS:
            action = actions.get((region.pk, definition.number))
            cells.append(
                GridCell(
                    number=definition.number,
                    state=_state(action, today=today),
                    # The counts are annotated by the query above.
                    outputs_done=action.outputs_done if action else 0,
                    outputs_total=action.outputs_total if action else 0,
                    evidence_count=action.evidence_count if action else 0,
                    grades=_indicator_grades(grades, region.pk, definition.number),
                )
            )
        rows.append(GridRow(kabupaten=region, cells=cells))
    return rows


@dataclass(frozen=True)
class KabupatenAction:
    """One action of a kabupaten for the assessor: its outputs with their evidence, and its indicators."""

    number: int
    label_kemendagri: str
    state: str
    action: ConvergenceAction | None
    outputs: list[ActionOutput]
    grades: list[IndicatorGrade]


def assessment_kabupaten(
    *, user: AnyUser, kabupaten: Region, year: int, today: datetime.date
) -> list[KabupatenAction]:
    """Aksi 1-8 of `kabupaten` in `year` with outputs, evidence documents and grades (four queries)."""
    _scope(user)
    actions = {
        action.number: action
        for action in restrict(ConvergenceAction.objects.select_related("pic_opd"), user)
        .filter(kabupaten=kabupaten, year=year)
        .prefetch_related(
            Prefetch(
                "outputs",
                queryset=ActionOutput.objects.order_by("pk").prefetch_related(
                    Prefetch("evidence", queryset=EvidenceDocument.objects.order_by("uploaded_at", "pk"))
                ),
            )
        )
    }
    grades = _grades_by_kabupaten(user=user, kabupaten_ids=[kabupaten.pk], year=year)
    result = []
    for definition in ACTIONS:
        action = actions.get(definition.number)
        result.append(
            KabupatenAction(
                number=definition.number,
                label_kemendagri=definition.label_kemendagri,
                state=_state(action, today=today),
                action=action,
                outputs=list(action.outputs.all()) if action else [],
                grades=_indicator_grades(grades, kabupaten.pk, definition.number),
            )
        )
    return result
