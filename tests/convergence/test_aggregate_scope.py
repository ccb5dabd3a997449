"""What the aggregate roles (Bappeda provinsi, nasional) may read, model by model.

Every model with a scope_q is classified here by hand. A model holding names of people, or a kabupaten's
own running below its published figures, restricts to nothing for both roles: the query is empty before
it reaches the database, whatever rows exist. A new scoped model fails the classification test with its
name until someone decides what the province and the nation may read of it, so a model with names
cannot open to them by accident.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import EmptyResultSet
from django.db import models, transaction
from django.test.utils import override_settings

from children import models as c
from convergence import models as v
from convergence.models.tombstones import Tombstone
from convergence.scoping import restrict, scope_for_user
from convergence.tombstones import _KINDS
from interventions import models as i
from interventions.models_imports import DeliveryImportJob
from reports import models as r
from reports.models_maps import RegionMap
from reports.models_quality import DataQualitySummary
from tests.api.probe_world import HOME, PROVINCE_OF, World, build_world
from tests.factories import build_district

# Rows naming people (registry, services by name, money paid to a named payee, files of names, team
# members, meeting attendees, village workers): never.
NAMED_RECORDS: set[type[models.Model]] = {
    c.Keluarga,
    c.Person,
    c.Child,
    c.Measurement,
    c.Pregnancy,
    c.PregnancyVisit,
    c.AdolescentGirl,
    c.AdolescentTTD,
    c.DuplicateCandidate,
    c.MergeLog,
    c.ImportJob,
    DeliveryImportJob,
    i.Delivery,
    i.Referral,
    i.PMTEnrolment,
    i.PMTDeliveryLog,
    i.PMTReservation,
    i.Disbursement,
    v.TeamMember,
    v.Attendance,
    v.FieldWorker,
}
# A kabupaten's own running, below the figures the province reads: its posyandu and desa lokus, its
# money lines, its agencies, catalogue, maps and rules, its teams and meetings, posyandu data quality.
KABUPATEN_OWN: set[type[models.Model]] = {
    v.Posyandu,
    v.DesaLokus,
    v.OPD,
    v.Team,
    v.Meeting,
    v.FollowUp,
    i.BudgetLine,
    i.BudgetRevision,
    i.Intervention,
    i.PMTProgramme,
    i.LokusWeights,
    RegionMap,
    r.DashboardRule,
    DataQualitySummary,
}
# Read inside the role's area (its province, or every province): what the province grades and follows.
AREA: set[type[models.Model]] = {
    v.Region,
    v.Puskesmas,
    v.ConvergenceAction,
    v.ActionOutput,
    v.EvidenceDocument,
    v.AssessmentGrade,
    r.TargetRule,
    r.SurveyFigure,
    r.ProvincialTarget,
    r.PrevalenceSummary,  # kabupaten and kecamatan figures only
}
# National reference data: the catalogue, and the national rows of targets and PMT rates.
NATIONAL: set[type[models.Model]] = {i.Indicator, i.IndicatorTarget, i.PMTRate}
OWN_ACCOUNT: set[type[models.Model]] = {v.User}
# The changes feed's tombstones: each kind follows the rule of the model it records.
BY_KIND: set[type[models.Model]] = {Tombstone}
CLASSES = {
    "NAMED_RECORDS": NAMED_RECORDS,
    "KABUPATEN_OWN": KABUPATEN_OWN,
    "AREA": AREA,
    "NATIONAL": NATIONAL,
    "OWN_ACCOUNT": OWN_ACCOUNT,
    "BY_KIND": BY_KIND,
}
AGGREGATE_PERSONAS = ["bappeda_provinsi", "nasional", "bappeda_provinsi@36"]


def _scoped_models() -> set[type[models.Model]]:
    return {model for model in apps.get_models() if hasattr(model, "scope_q")}


def _name(model: type[models.Model]) -> str:
    return f"{model._meta.app_label}.{model.__name__}"


def _asks_nothing(queryset: models.QuerySet[Any]) -> bool:
    """Whether the queryset is empty by its filter alone (Django answers it without a query)."""
    try:
        queryset.query.get_compiler(queryset.db).as_sql()
    except EmptyResultSet:
        return True
    return False


@pytest.fixture(scope="module")
def world(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """The scope probe's world (tests/api/probe_world.py), built once and rolled back after."""
    media = tmp_path_factory.mktemp("media")
    with override_settings(MEDIA_ROOT=str(media)), django_db_blocker.unblock(), transaction.atomic():
        yield build_world(build_district())
        transaction.set_rollback(True)


def test_it_classifies_every_scoped_model() -> None:
    scoped = _scoped_models()
    unclassified = sorted(_name(m) for m in scoped - set().union(*CLASSES.values()))
    assert unclassified == [], (
        f"{unclassified} define scope_q but say nothing about the province and national roles: add each "
        "to a class of tests/convergence/test_aggregate_scope.py (and make its scope_q state it)"
    )
    twice = sorted(_name(m) for m in scoped if sum(m in members for members in CLASSES.values()) > 1)
    assert twice == []
    gone = sorted(_name(m) for m in set().union(*CLASSES.values()) - scoped)
    assert gone == []


@pytest.mark.parametrize("persona", AGGREGATE_PERSONAS)
def test_it_closes_named_records_and_kabupaten_rows_to_the_aggregate_roles(
    world: World, db: None, persona: str
) -> None:
    user = world.users[persona]
    opened = sorted(
        _name(model)
        for model in sorted(NAMED_RECORDS | KABUPATEN_OWN, key=_name)
        if not _asks_nothing(restrict(model._default_manager.all(), user))
    )
    assert opened == []


@pytest.mark.parametrize("persona", AGGREGATE_PERSONAS)
def test_the_world_holds_rows_they_may_not_read(world: World, db: None, persona: str) -> None:
    """The closed models' rows of the probe world exist and stay out of sight (not an empty check)."""
    user = world.users[persona]
    closed = NAMED_RECORDS | KABUPATEN_OWN
    held = {o.model for o in world.objects if o.model in closed}
    assert sorted(_name(m) for m in closed - held) == []
    seen = sorted(_name(model) for model in held if restrict(model._default_manager.all(), user).exists())
    assert seen == []


@pytest.mark.parametrize("persona", AGGREGATE_PERSONAS)
def test_they_read_exactly_the_area_rows_of_the_oracle(world: World, db: None, persona: str) -> None:
    user = world.users[persona]
    wrong = {}
    for model in sorted(AREA | NATIONAL, key=_name):
        rows = world.of(model)
        provinces = {PROVINCE_OF[HOME[o.place]] for o in rows}
        # Area rows in both provinces (one side read, the other not); a national row anywhere.
        assert provinces == {"35", "36"} or (model in NATIONAL and rows), _name(model)
        pks = [o.pk for o in rows]
        read = set(restrict(model._default_manager.filter(pk__in=pks), user).values_list("pk", flat=True))
        expected = {o.pk for o in rows if persona in o.readers}
        if read != expected:
            wrong[_name(model)] = (sorted(read), sorted(expected))
    assert wrong == {}


@pytest.mark.parametrize("persona", AGGREGATE_PERSONAS)
def test_they_read_only_their_own_account(world: World, db: None, persona: str) -> None:
    user = world.users[persona]
    assert list(restrict(v.User.objects.all(), user)) == [user]


@pytest.mark.parametrize("persona", AGGREGATE_PERSONAS)
def test_tombstones_of_closed_kinds_ask_nothing(world: World, db: None, persona: str) -> None:
    """A deleted named record leaves no trace they may read; each kind is classified by its model."""
    scope = scope_for_user(world.users[persona])
    kinds = _KINDS  # every synced model registers its kind at start-up (AppConfig.ready)
    assert set(kinds) <= set().union(*CLASSES.values()) - BY_KIND
    opened = sorted(
        entry.kind
        for model, entry in kinds.items()
        if model in NAMED_RECORDS | KABUPATEN_OWN
        and not _asks_nothing(Tombstone.objects.filter(entry.scope_q(scope)))
    )
    assert opened == []
