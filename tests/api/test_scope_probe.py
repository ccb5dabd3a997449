"""Generated scope probes: every API operation of the OpenAPI schema, every page of the URL conf, the
exports and the admin, requested as every role on an object inside and one outside its sight.

The oracle is tests/api/probe_world.py (who may read each fixture object, written by hand) and WRITERS
below (who may write each model). A probe fails on: an out-of-sight id or name in an answer, an
out-of-sight object answering other than 404/403, an in-sight object answering 404, a write by a role
that may not write (or on an object out of its sight) answering other than 403/404/405 or changing a row,
any 5xx, and any endpoint or page the generator cannot map to a model (unless allow-listed below).
Every failure is collected, so one run shows them all. Each test counts its requests for the summary
line printed by tests/api/conftest.py.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from typing import Any

import openpyxl
import pytest
from django.contrib import admin
from django.db import models, transaction
from django.test import Client
from django.test.utils import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import translation
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from children import models as c
from children import offline
from convergence import models as v
from interventions import models as i
from reports import models as r
from reports.models_maps import RegionMap
from tests.api.conftest import PROBES
from tests.api.probe_world import ROLES, Area, Obj, World, build_world, role_of
from tests.factories import build_district

# API operations that address no stored object, each with the reason.
NON_OBJECT = {
    "/api/v1/": "the API root: the paths of the endpoints, the same for every caller",
    "/api/v1/auth/token/": "obtains a token for the caller's own credentials",
    "/api/v1/me/": "the caller's own profile",
    "/api/v1/growth/zscores/": "a calculator over the posted values; stores nothing",
    "/api/v1/children/lookup/": "NIK look-up (POST): answers only rows in scope (tests/children)",
    "/api/v1/persons/lookup/": "NIK look-up (POST): answers only rows in scope (tests/children)",
    "/api/v1/changes/": "records that no longer exist (deleted, merged): scoping in tests/children/test_api_changes.py",
}
# Aggregates and named reports without a model of their own: probed by the names in their answer.
AGGREGATES = {
    "/api/v1/ledger/",
    "/api/v1/gaps/",
    "/api/v1/situation-analysis/",
    "/api/v1/prevalence/targets/",
    "/api/v1/pmt-outcomes/",
    "/api/v1/dashboard/",
}


# Pages and API operations above the kabupaten, addressed by region codes: the province and national
# dashboards, the provincial assessment and the province's target path. Each maps its kwargs to the level
# of the code it takes ("provinsi", "kabupaten") or to a CONSTANTS key, and says who may read an area
# (probe_world.Area). They land with the province pages: until a name or path is in the URL conf its entry
# is not requested; once it is, every role requests it on an area in its sight and one outside.
def _aggregate(area: Area) -> frozenset[str]:
    return area.aggregate


def _province_public(area: Area) -> frozenset[str]:
    """The aggregate roles and every role of the province's kabupaten (ProvincialTarget.scope_q)."""
    return area.aggregate | area.local


def _national(area: Area) -> frozenset[str]:
    return frozenset({"nasional"})


AreaEntry = tuple[dict[str, str], Callable[[Area], frozenset[str]]]
AREA_PAGES: dict[str, AreaEntry] = {
    "reports:province-dashboard": ({"code": "provinsi"}, _aggregate),
    "reports:national-dashboard": ({}, _national),
    "convergence:province-assessment": ({"code": "provinsi", "year": "year"}, _aggregate),
    "convergence:province-assessment-kabupaten": (
        {"code": "provinsi", "year": "year", "kab_code": "kabupaten"},
        _aggregate,
    ),
    "reports:province-targets": ({"code": "provinsi"}, _province_public),
    # The province map's outlines under a version, as reports:map-geometry for the kabupaten map: the
    # version is a constant (an old one is sent on to the current one), the province its area's.
    "reports:province-map-geometry": ({"code": "provinsi", "version": "version"}, _aggregate),
}
AREA_API: dict[str, AreaEntry] = {
    # The provinces the caller may read: no code in the path, the codes in the answer.
    "/api/v1/province-dashboard/": ({}, _aggregate),
    "/api/v1/province-dashboard/{code}/": ({"code": "provinsi"}, _aggregate),
}

REGISTRY = {c.Keluarga, c.Person, c.Child, c.Measurement, c.Pregnancy, c.PregnancyVisit}
REGISTRY |= {c.AdolescentGirl, c.AdolescentTTD, c.ImportJob}
GOVERNANCE = {v.Team, v.TeamMember, v.ConvergenceAction, v.ActionOutput, v.EvidenceDocument}
GOVERNANCE |= {v.Meeting, v.Attendance, v.FollowUp}
BAPPEDA_ONLY = {
    r.SurveyFigure,
    r.TargetRule,
    r.DashboardRule,
    i.LokusWeights,
    i.IndicatorTarget,
    i.PMTRate,
    v.OPD,
    RegionMap,
}
# Who may write each model (children.access, interventions.access, services_pmt, services_actions).
WRITERS: dict[type[models.Model], set[str]] = {
    **{m: {"bappeda_admin", "puskesmas_officer", "kader", "kpm"} for m in REGISTRY},
    **{m: {"bappeda_admin", "opd_officer"} for m in GOVERNANCE},
    **{m: {"bappeda_admin"} for m in BAPPEDA_ONLY},
    c.DuplicateCandidate: {"bappeda_admin", "puskesmas_officer"},
    i.Delivery: {"bappeda_admin", "opd_officer"},
    i.Referral: {"bappeda_admin", "opd_officer", "puskesmas_officer", "kpm"},
    i.BudgetLine: {"bappeda_admin", "opd_officer", "kpm"},
    i.Disbursement: {"bappeda_admin", "opd_officer", "kpm"},
    i.PMTProgramme: {"bappeda_admin", "opd_officer"},
    i.PMTEnrolment: {"bappeda_admin", "opd_officer", "puskesmas_officer"},
    # Food handed out is recorded by whoever hands it out, in sight of the episode.
    i.PMTDeliveryLog: {"bappeda_admin", "opd_officer", "puskesmas_officer", "kader", "kpm"},
    # A province's target path, by its Bappeda provinsi only (reports.province_targets).
    r.ProvincialTarget: {"bappeda_provinsi"},
    # The province grades its kabupaten (convergence.province.can_grade): its Bappeda provinsi only.
    v.AssessmentGrade: {"bappeda_provinsi"},
}
# Models whose create names its kabupaten or province in the body (a code), not in the URL: a writer's create
# is probed with the representation of an object in its sight (accepted) and of one outside (refused).
ADDRESSED_IN_BODY = {v.AssessmentGrade, r.ProvincialTarget}
# Operations moving a row along its workflow: fewer roles than the model's writers.
ACTION_WRITERS = {"/api/v1/referrals/{id}/status/": {"bappeda_admin", "opd_officer"}}
REFUSED = {403, 404, 405}
# Valid bodies for operations whose input is not the object's own representation: a refusal must come
# from the role or the scope, not from a malformed body.
BODIES: dict[str, dict[str, Any]] = {
    "/api/v1/budget-lines/{id}/revisions/": {
        "new_allocated": "9000000",
        "reason": "Uji",
        "revised_on": "2025-08-11",
    },
    "/api/v1/disbursements/{id}/reverse/": {"paid_on": "2025-08-12", "note": "Uji"},
    "/api/v1/pmt-enrolments/{id}/finish/": {},
    "/api/v1/pmt-enrolments/{id}/cancel/": {},
    "/api/v1/pmt-deliveries/": {"delivered_on": "2025-08-17"},
}


@pytest.fixture(scope="module")
def world(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """The probe district, built once for the module and rolled back after."""
    media = tmp_path_factory.mktemp("media")
    with override_settings(MEDIA_ROOT=str(media)), django_db_blocker.unblock(), transaction.atomic():
        yield build_world(build_district())
        transaction.set_rollback(True)


class Probe:
    """Requests as one role, collecting what went wrong instead of stopping at the first."""

    def __init__(self, world: World, channel: str, leaks: list[str]) -> None:
        self.world, self.channel, self.leaks = world, channel, leaks
        # The API's detail path of each model, to read an object's representation (write probes).
        self.detail_paths: dict[type[models.Model], str] = {}

    def api(self, role: str) -> APIClient:
        client = APIClient(HTTP_ACCEPT_LANGUAGE="id")
        if role in self.world.users:
            client.force_authenticate(self.world.users[role])
        return client

    def page(self, role: str) -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE="id")
        client.force_login(self.world.users[role])
        return client

    def send(self, client: Any, method: str, url: str, **kwargs: Any) -> Any:
        PROBES[self.channel] += 1
        response = getattr(client, method)(url, **kwargs)
        if response.status_code >= 500:
            self.leak(f"{method.upper()} {url}: {response.status_code}")
        return response

    def leak(self, message: str) -> None:
        PROBES["leaks"] += 1
        self.leaks.append(message)

    def names(self, role: str, what: str, text: str) -> None:
        shown = sorted(label for label in self.world.hidden_labels(role) if label in text)
        if shown:
            self.leak(f"{role} {what}: shows {shown}")


def _fail_on(leaks: list[str]) -> None:
    assert leaks == [], f"{len(leaks)} leaks:\n" + "\n".join(leaks)


# --- API ---------------------------------------------------------------------------------------------


def _operations() -> list[tuple[str, str]]:
    document = SchemaGenerator().get_schema(request=None, public=True)
    methods = ("get", "post", "put", "patch", "delete")
    return [(path, method) for path, ops in document["paths"].items() for method in ops if method in methods]


def _view_class(path: str) -> Any:
    return resolve(re.sub(r"\{\w+\}", "1", path)).func.cls  # type: ignore[attr-defined]


def _model_of(path: str, probe: Probe) -> type[models.Model] | None:
    cls = _view_class(path)
    queryset = getattr(cls, "queryset", None)
    if queryset is not None:
        return queryset.model
    if not hasattr(cls, "get_queryset"):
        return None
    view = cls()
    view.request = probe.api("bappeda_admin").get("/").wsgi_request
    view.request.user = probe.world.district.users["bappeda_admin"]
    view.kwargs, view.format_kwarg, view.action = {}, None, "list"
    try:
        return view.get_queryset().model
    except Exception:  # an APIView without a queryset: no model to map
        return None


def _lookup(path: str) -> str | None:
    found = re.search(r"\{(\w+)\}", path)
    return found.group(1) if found else None


def _url(path: str, obj: Any) -> str:
    key = _lookup(path)
    value = obj.pk if key in ("id", "pk") else getattr(obj.model.objects.get(pk=obj.pk), key)
    return path.replace(f"{{{key}}}", str(value))


def _rows(body: Any) -> list[dict[str, Any]]:
    rows = body.get("results", body) if isinstance(body, dict) else body
    return [row for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []


def _list_probe(probe: Probe, path: str, model: type[models.Model] | None, role: str) -> None:
    response = probe.send(probe.api(role), "get", path)
    probe.names(role, f"GET {path}", response.content.decode())
    if model is None or response.status_code != 200:
        return
    key = "code" if model is v.Region else "id"
    hidden = {
        (o.pk if key == "id" else model.objects.get(pk=o.pk).code)
        for o in probe.world.of(model)
        if role not in o.readers
    }
    shown = sorted(str(row.get(key)) for row in _rows(response.json()) if row.get(key) in hidden)
    if shown:
        probe.leak(f"{role} GET {path}: out-of-sight {model.__name__} {shown}")


def _detail_probe(probe: Probe, path: str, model: type[models.Model], role: str) -> None:
    for obj, allowed in (
        (probe.world.inside(model, role), {200, 403}),
        (probe.world.outside(model, role), {404, 403}),
    ):
        if obj is None:
            continue
        url = _url(path, obj)
        response = probe.send(probe.api(role), "get", url)
        probe.names(role, f"GET {url}", response.content.decode())
        if response.status_code not in allowed:
            sight = "in" if 200 in allowed else "out of"
            probe.leak(f"{role} GET {url} ({sight} sight): {response.status_code}")


def _snapshot(model: type[models.Model]) -> list[dict[str, Any]]:
    return list(model._default_manager.order_by("pk").values())


def _write_probe(probe: Probe, path: str, method: str, model: type[models.Model], role: str) -> None:
    """A role that may not write, or a writer on an object out of its sight: refused, nothing changed. A
    writer's create of a model addressed in the body: accepted in its sight."""
    writers = ACTION_WRITERS.get(path, WRITERS.get(model, {"bappeda_admin"}))
    detail = _lookup(path) is not None
    targets: list[tuple[Obj | None, bool]] = []
    if role_of(role) not in writers:
        targets.append((probe.world.inside(model, role) or probe.world.of(model)[0], False))
    elif detail:
        targets.append((probe.world.outside(model, role), False))
    elif model in ADDRESSED_IN_BODY and method == "post":
        targets += [(probe.world.inside(model, role), True), (probe.world.outside(model, role), False)]
    for obj, may in targets:
        if obj is None:
            continue
        url = _url(path, obj) if detail else path
        body = _representation(probe, model, obj) if path not in BODIES or BODIES[path] else {}
        body.update(BODIES.get(path, {}))
        before = _snapshot(model)
        with transaction.atomic():
            response = probe.send(probe.api(role), method, url, data=body, format="json")
            changed = _snapshot(model) != before
            transaction.set_rollback(True)
        if may and response.status_code not in (200, 201):
            probe.leak(f"{role} {method.upper()} {url} (in sight): {response.status_code}, refused")
        elif not may and (response.status_code not in REFUSED or changed):
            probe.leak(f"{role} {method.upper()} {url}: {response.status_code}, changed={changed}")


def _representation(probe: Probe, model: type[models.Model], obj: Any) -> dict[str, Any]:
    """The object as its kabupaten's Bappeda reads it through the API (a plausible body for a write),
    without its id; as another of its readers when no kabupaten Bappeda reads it (a province's rows)."""
    path = probe.detail_paths.get(model)
    if path is None:
        return {}
    readers = sorted(obj.readers, key=lambda r: (role_of(r) != "bappeda_admin", r)) or ["bappeda_admin"]
    response = probe.api(readers[0]).get(_url(path, obj))
    body = response.json() if response.status_code == 200 else {}
    return {k: value for k, value in body.items() if k != "id"} if isinstance(body, dict) else {}


def _area_targets(world: World, entry: AreaEntry) -> list[tuple[dict[str, Any], frozenset[str]]]:
    """The kwargs of each distinct address of an area endpoint, with the roles that may read it."""
    kwargs, readers = entry
    found: dict[tuple[tuple[str, Any], ...], set[str]] = {}
    for area in world.areas:
        levels = {"provinsi": area.provinsi, "kabupaten": area.kabupaten}
        values = {key: levels.get(level, CONSTANTS.get(level)) for key, level in kwargs.items()}
        found.setdefault(tuple(values.items()), set()).update(readers(area))
    return [(dict(key), frozenset(roles)) for key, roles in found.items()]


def _area_probe(probe: Probe, entry: AreaEntry, role: str, url_of: Callable[[dict[str, Any]], str]) -> None:
    """An area endpoint as `role`: an address in its sight, and one outside (refused, nothing shown)."""
    targets = _area_targets(probe.world, entry)
    inside = next((kwargs for kwargs, readers in targets if role in readers), None)
    outside = next((kwargs for kwargs, readers in targets if role not in readers), None)
    is_api = url_of(inside or outside or {}).startswith("/api/")
    client = probe.api(role) if is_api else probe.page(role)
    for kwargs, allowed in (
        (inside, {200, 403} if is_api else {200, 302, 403, 405}),
        (outside, {403, 404} if is_api else {302, 403, 404}),
    ):
        if kwargs is None:
            continue
        url = url_of(kwargs)
        response = probe.send(client, "get", url)
        if response.status_code not in allowed:
            sight = "in" if 200 in allowed else "out of"
            probe.leak(f"{role} GET {url} ({sight} sight): {response.status_code}")
        if response.status_code == 200:
            probe.names(role, f"GET {url}", _text(response))
        if response.status_code == 200 and is_api:
            _area_codes(probe, entry, role, url, response.json())


def _area_codes(probe: Probe, entry: AreaEntry, role: str, url: str, body: Any) -> None:
    """The rows of an area answer (a list, or a dashboard's rows) name no province or kabupaten of an area
    outside the role's sight."""
    rows = body if isinstance(body, list) else body.get("rows", []) if isinstance(body, dict) else []
    seen = {a.provinsi for a in probe.world.areas if role in entry[1](a)}
    seen |= {a.kabupaten for a in probe.world.areas if role in entry[1](a)}
    hidden = {code for a in probe.world.areas for code in (a.provinsi, a.kabupaten)} - seen
    shown = sorted(
        str(row.get("code")) for row in rows if isinstance(row, dict) and row.get("code") in hidden
    )
    if shown:
        probe.leak(f"{role} GET {url}: out-of-sight areas {shown}")


def _api_url(path: str) -> Callable[[dict[str, Any]], str]:
    def url_of(kwargs: dict[str, Any]) -> str:
        url = path
        for key, value in kwargs.items():
            url = url.replace(f"{{{key}}}", str(value))
        return url

    return url_of


def test_every_api_operation_keeps_to_the_scope(world: World, db: None) -> None:
    probe = Probe(world, "api", [])
    operations = _operations()
    models_of = {path: _model_of(path, probe) for path, _ in operations}
    for path, model in reversed(models_of.items()):
        if model is not None and re.fullmatch(r"/api/v1/[\w-]+/\{\w+\}/", path):
            probe.detail_paths[model] = path
    for path, method in operations:
        model = models_of[path]
        if path in NON_OBJECT:
            continue
        if path in AREA_API:
            for role in ROLES if method == "get" else ():
                _area_probe(probe, AREA_API[path], role, _api_url(path))
            continue
        if model is None and path not in AGGREGATES:
            probe.leak(f"{method.upper()} {path}: no model to probe (map it or allow-list it)")
            continue
        if model is not None and not world.of(model):
            probe.leak(f"{path}: the probe district holds no {model.__name__}")
            continue
        for role in ROLES:
            if method == "get" and _lookup(path) is None:
                _list_probe(probe, path, model, role)
            elif method == "get":
                _detail_probe(probe, path, model, role)  # type: ignore[arg-type]
            elif model is not None:
                _write_probe(probe, path, method, model, role)
    _fail_on(probe.leaks)


# --- pages, exports and the admin -----------------------------------------------------------------------

# The model each page's object kwarg (pk, code, posyandu_pk) addresses, by URL name.
PAGE_MODELS: dict[str, type[models.Model]] = {
    "convergence:region-detail": v.Region,
    "convergence:posyandu-detail": v.Posyandu,
    "convergence:output-update": v.ActionOutput,
    "convergence:evidence-upload": v.ActionOutput,
    "convergence:evidence-download": v.EvidenceDocument,
    "convergence:meeting-detail": v.Meeting,
    "convergence:attendance-record": v.Meeting,
    "convergence:follow-up-create": v.Meeting,
    "convergence:follow-up-update": v.FollowUp,
    "convergence:team-detail": v.Team,
    "children:posyandu-day-current": v.Posyandu,
    "children:posyandu-day": v.Posyandu,
    "children:skdn": v.Posyandu,
    "children:posyandu-not-weighed": v.Posyandu,
    "children:posyandu-offline-data": v.Posyandu,
    "children:child-detail": c.Child,
    "children:child-chart-data": c.Child,
    "children:child-update": c.Child,
    "children:keluarga-detail": c.Keluarga,
    "children:keluarga-update": c.Keluarga,
    "children:person-detail": c.Person,
    "children:person-update": c.Person,
    "children:pregnancy-detail": c.Pregnancy,
    "children:pregnancy-update": c.Pregnancy,
    "children:pregnancy-visit": c.Pregnancy,
    "children:adolescent-detail": c.AdolescentGirl,
    "children:adolescent-ttd": c.AdolescentGirl,
    "children:duplicate-detail": c.DuplicateCandidate,
    "children:import-detail": c.ImportJob,
    "children:import-apply": c.ImportJob,
    "children:import-progress": c.ImportJob,
    "children:import-issues-csv": c.ImportJob,
    "children:register-template": v.Posyandu,
    "children:register-template-csv": v.Posyandu,
    "interventions:referral-detail": i.Referral,
    "interventions:referral-from-measurement": c.Measurement,
    "interventions:delivery-import-detail": i.DeliveryImportJob,
    "interventions:delivery-import-apply": i.DeliveryImportJob,
    "interventions:pmt-enrolment-finish": i.PMTEnrolment,
    "interventions:pmt-budget-line": i.BudgetLine,
    "interventions:pmt-budget-line-revise": i.BudgetLine,
    "interventions:pmt-disbursement-create": i.BudgetLine,
    "interventions:pmt-disbursement-approve": i.Disbursement,
    "interventions:pmt-disbursement-reject": i.Disbursement,
    "interventions:pmt-disbursement-reverse": i.Disbursement,
    "interventions:pmt-programme": i.PMTProgramme,
    "interventions:pmt-programme-active": i.PMTProgramme,
    "interventions:pmt-programme-update": i.PMTProgramme,
    "interventions:pmt-rate-update": i.PMTRate,
    "interventions:pmt-episode": i.PMTEnrolment,
    "interventions:pmt-episode-delivery": i.PMTEnrolment,
    "interventions:pmt-episode-cancel": i.PMTEnrolment,
    "reports:region-dashboard": v.Region,
    "reports:posyandu-dashboard": v.Posyandu,
}
# Public pages (the Aksi 7 publication, counts under 5 suppressed): every kabupaten's may be read.
PUBLIC = {"reports:publication", "reports:publication-pdf", "reports:publication-xlsx"}
# The offline page's documents (WHO tables, rules, their manifest): public, no personal data.
PUBLIC |= {"children:offline-manifest", "children:offline-growth-tables", "children:offline-rules"}
# Kwargs that address no stored object: the period or the action number of the user's own kabupaten,
# the language of an offline document, the version of the map's geometry (an old version is sent on
# to the current one).
CONSTANTS = {"year": 2025, "month": 8, "number": 1, "language": "id", "version": "0"}
OBJECT_KWARGS = {"pk", "code", "posyandu_pk"}
NOT_APP_PAGES = ("admin/", "api/", "i18n/", "masuk/", "keluar/", "healthz")


def _pages() -> list[tuple[str, list[str]]]:
    """(URL name, kwarg names) of every page of the apps, walked from the URL conf."""
    found: list[tuple[str, list[str]]] = []

    def walk(patterns: list[Any], prefix: str, namespace: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(
                    pattern.url_patterns,
                    route,
                    f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace,
                )
            elif isinstance(pattern, URLPattern) and pattern.name and not route.startswith(NOT_APP_PAGES):
                found.append((namespace + pattern.name, list(getattr(pattern.pattern, "converters", {}))))

    walk(get_resolver().url_patterns, "", "")
    return found


def _text(response: Any) -> str:
    """What a reader sees of an answer: the HTML/JSON/CSV text, or the cells of a spreadsheet."""
    kind = response.get("Content-Type", "")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if "spreadsheetml" in kind:
        book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
        return "\n".join(
            str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row
        )
    if "pdf" in kind:
        return ""  # compressed streams: the publication is aggregated and public
    return body.decode(errors="replace")


def _document_version(name: str) -> str:
    """The current version of an offline document, so that the probe reads the document itself."""
    if name == "children:offline-growth-tables":
        return offline.growth_tables_document().version
    with translation.override(CONSTANTS["language"]):
        return offline.rules_document().version


def _page_kwargs(name: str, kwargs: list[str], obj: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in kwargs:
        if key == "version" and name.startswith("children:offline-"):
            values[key] = _document_version(name)
        elif key in CONSTANTS:
            values[key] = CONSTANTS[key]
        elif key == "code":
            values[key] = obj.model.objects.get(pk=obj.pk).code if obj else "35.10"
        else:
            values[key] = obj.pk
    return values


def _page_probe(probe: Probe, name: str, kwargs: list[str], role: str) -> None:
    if name in AREA_PAGES:
        entry = AREA_PAGES[name]
        if set(entry[0]) != set(kwargs):
            probe.leak(f"page {name}: AREA_PAGES says {sorted(entry[0])}, the URL conf {kwargs}")
        else:
            _area_probe(probe, entry, role, lambda values: reverse(name, kwargs=values))
        return
    model = PAGE_MODELS.get(name)
    if name in PUBLIC or not (set(kwargs) & OBJECT_KWARGS):
        targets = [(None, None)]
    elif model is None:
        probe.leak(f"page {name}: no model for its {kwargs} (add it to PAGE_MODELS)")
        return
    else:
        targets = [
            (probe.world.inside(model, role), {200, 302, 403, 405}),
            (probe.world.outside(model, role), {403, 404, 405}),
        ]
    client = probe.page(role)
    for obj, allowed in targets:
        if allowed is not None and obj is None:
            continue
        url = reverse(name, kwargs=_page_kwargs(name, kwargs, obj))
        response = probe.send(client, "get", url)
        if allowed is not None and response.status_code not in allowed:
            probe.leak(
                f"{role} GET {url} ({'in' if 200 in allowed else 'out of'} sight): {response.status_code}"
            )
        if response.status_code == 200:
            probe.names(role, f"GET {url}", _text(response))


def test_every_page_keeps_to_the_scope(world: World, db: None) -> None:
    probe = Probe(world, "pages", [])
    for name, kwargs in _pages():
        for role in ROLES:
            _page_probe(probe, name, kwargs, role)
    _fail_on(probe.leaks)


def test_exports_hold_only_rows_in_sight(world: World, db: None) -> None:
    probe = Probe(world, "exports", [])
    for role in ROLES:
        client = probe.page(role)
        for layout in ("eppgbm", "anak", "keluarga"):
            for fmt in ("csv", "xlsx"):
                response = probe.send(
                    client, "get", reverse("children:export"), data={"layout": layout, "format": fmt}
                )
                if response.status_code == 200:
                    probe.names(role, f"export {layout}.{fmt}", _text(response))
    _fail_on(probe.leaks)


# The admin of a province's rows is its Bappeda provinsi (staff): the kabupaten Bappeda reads the target
# path on its page (reports:province-targets) and does not open it in the admin (reports.admin).
ADMIN_ROLE = {r.ProvincialTarget: "bappeda_provinsi"}


def test_the_admin_keeps_to_the_scope(world: World, db: None) -> None:
    """The admin lists and change pages of each kabupaten's Bappeda (of each province's Bappeda provinsi
    for the models in ADMIN_ROLE); every other role is turned away."""
    probe = Probe(world, "admin", [])
    for model in list(admin.site._registry):
        if not hasattr(model, "scope_q") or not world.of(model):
            continue
        admins = [role for role in ROLES if role_of(role) == ADMIN_ROLE.get(model, "bappeda_admin")]
        info = (model._meta.app_label, model._meta.model_name)
        changelist_url = reverse("admin:{}_{}_changelist".format(*info))
        for bappeda in admins:
            client = probe.page(bappeda)
            changelist = probe.send(client, "get", changelist_url)
            probe.names(bappeda, f"admin {model.__name__} list", _text(changelist))
            inside, outside = world.inside(model, bappeda), world.outside(model, bappeda)
            for obj, allowed in ((inside, {200}), (outside, {302, 404})):
                if obj is None:
                    continue
                url = reverse("admin:{}_{}_change".format(*info), args=[obj.pk])
                response = probe.send(client, "get", url)
                if response.status_code not in allowed:
                    probe.leak(f"{bappeda} GET {url}: {response.status_code}")
        for role in ROLES:
            if role not in admins and probe.send(probe.page(role), "get", changelist_url).status_code == 200:
                probe.leak(f"{role} reads the admin list of {model.__name__}")
    _fail_on(probe.leaks)


def test_area_endpoints_address_each_province_for_its_readers(world: World, db: None) -> None:
    """The oracle of the area table (requested once its pages land): each address and who reads it."""
    national = AREA_PAGES["reports:national-dashboard"]
    assert _area_targets(world, national) == [({}, frozenset({"nasional"}))]
    dashboard = AREA_PAGES["reports:province-dashboard"]
    assert _area_targets(world, dashboard) == [
        ({"code": "35"}, frozenset({"bappeda_provinsi", "nasional"})),
        ({"code": "36"}, frozenset({"bappeda_provinsi@36", "nasional"})),
    ]
    kabupaten = _area_targets(world, AREA_PAGES["convergence:province-assessment-kabupaten"])
    assert [values["kab_code"] for values, _ in kabupaten] == ["35.10", "35.11", "36.01"]
    path = _area_targets(world, AREA_PAGES["reports:province-targets"])
    targets = {values["code"]: readers for values, readers in path}
    assert targets["35"] >= {"kader", "kader@35.11", "bappeda_provinsi"}
    assert "bappeda_provinsi@36" not in targets["35"]
