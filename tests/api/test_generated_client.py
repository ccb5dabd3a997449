"""A Python client generated from the served schema with openapi-python-client, as a client developer
would make one: every generated module imports, and a district workflow runs with the typed client only.

The generator runs locally (no network). Requests go to the WSGI application through httpx's
WSGITransport, in the test's transaction, so no server thread is needed.
"""

from __future__ import annotations

import datetime
import importlib
import json
import pkgutil
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from django.core import signals
from django.db import close_old_connections
from django.utils import timezone
from rest_framework.test import APIClient

from children.models import Child, Measurement
from config.wsgi import application
from interventions.models import BudgetLine
from reports.services import periods_for_months, prevalence_recompute
from tests.factories import PASSWORD, ChildFactory, DistrictFixture, build_district

PACKAGE = "stunting_api_client"
GENERATOR = Path(sys.executable).with_name("openapi-python-client")
BASE_URL = "http://testserver"


def _generate(schema: dict[str, Any], root: Path) -> Path:
    """The client package generated from `schema` under `root` (post hooks off: ruff is not needed)."""
    spec, config = root / "openapi.json", root / "config.json"
    spec.write_text(json.dumps(schema))
    config.write_text(json.dumps({"post_hooks": [], "project_name_override": PACKAGE}))
    package = root / "src" / PACKAGE
    result = subprocess.run(
        [
            GENERATOR,
            "generate",
            "--path",
            spec,
            "--output-path",
            package,
            "--meta",
            "none",
            "--config",
            config,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # The generator exits 0 but warns when it leaves an operation or a model out: that must not happen.
    assert (result.returncode, result.stderr, "Warning" in result.stdout) == (0, "", False), result.stdout
    return package


@pytest.fixture(scope="module")
def client_package(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ModuleType]:
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    package = _generate(response.json(), tmp_path_factory.mktemp("client"))
    sys.path.insert(0, str(package.parent))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(package.parent))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


@pytest.fixture
def wsgi_in_test_transaction() -> Iterator[None]:
    # The WSGI app's request signals would close the test's connection (and its transaction); Django's
    # own test client disconnects them the same way.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _last_complete_month(today: datetime.date) -> datetime.date:
    return (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def _district(today: datetime.date) -> tuple[DistrictFixture, list[Child]]:
    """Five children at Mawar weighed in the last complete month, its prevalence, a Dana Desa line."""
    d = build_district()
    month = _last_complete_month(today)
    children = [
        ChildFactory(posyandu=d.posyandu_a1, birth_date=today - datetime.timedelta(days=400 + 30 * n))
        for n in range(5)
    ]
    for n, child in enumerate(children):
        day = month + datetime.timedelta(days=9)
        Measurement.objects.create(
            child=child,
            posyandu=child.posyandu,
            measured_on=day,
            age_days=(day - child.birth_date).days,
            haz_category=0 if n < 2 else 2,
            waz_category=2,
            whz_category=2,
        )
    prevalence_recompute(kabupaten=d.kabupaten, periods=periods_for_months([month]))
    BudgetLine.objects.create(
        kabupaten=d.kabupaten,
        year=today.year,
        source="dana_desa",
        desa=d.desa_a1,
        name="PMT lokal Sumberagung",
        original_allocated=Decimal(12_000_000),
        allocated=Decimal(12_000_000),
    )
    return d, children


def test_every_generated_module_imports(client_package: ModuleType) -> None:
    names = [m.name for m in pkgutil.walk_packages(client_package.__path__, f"{PACKAGE}.")]
    failed = {}
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as error:
            failed[name] = repr(error)
    assert failed == {}
    # One module per operation of the schema, and the error type every operation answers with.
    assert f"{PACKAGE}.api.v1.v1_measurements_create" in names
    assert f"{PACKAGE}.models.problem" in names


@pytest.mark.django_db
def test_a_district_workflow_with_the_generated_client(
    client_package: ModuleType, wsgi_in_test_transaction: None
) -> None:
    today = timezone.localdate()
    d, children = _district(today)
    api = importlib.import_module(f"{PACKAGE}.api.v1")
    models = importlib.import_module(f"{PACKAGE}.models")
    client_mod = importlib.import_module(f"{PACKAGE}.client")

    def op(name: str) -> Any:
        return importlib.import_module(f"{api.__name__}.v1_{name}")

    transport = httpx.WSGITransport(app=application)
    public = client_mod.Client(base_url=BASE_URL, httpx_args={"transport": transport})
    token = op("auth_token_create").sync(
        client=public, body=models.AuthTokenRequest(username="bappeda", password=PASSWORD)
    )
    assert isinstance(token, models.Token)
    client = client_mod.AuthenticatedClient(
        base_url=BASE_URL, token=token.token, prefix="Token", httpx_args={"transport": transport}
    )

    regions = op("regions_list").sync(client=client, level=models.V1RegionsListLevel.DESA)
    assert isinstance(regions, models.PaginatedRegionList)
    assert [r.code for r in regions.results] == ["35.10.01.2001", "35.10.01.2002", "35.10.02.2001"]

    # A posyandu's children, two a page.
    seen, page, pages = [], 1, 0
    while page:
        listed = op("children_list").sync(client=client, posyandu=d.posyandu_a1.pk, page=page, page_size=2)
        assert isinstance(listed, models.PaginatedChildList)
        assert len(listed.results) <= 2
        seen += [child.id for child in listed.results]
        pages += 1
        page = page + 1 if listed.next_ else 0
    assert (pages, sorted(seen)) == (3, sorted(child.pk for child in children))

    body = models.MeasurementRecordRequest(
        child=children[0].pk,
        measured_on=today,
        weight_kg="9.20",
        height_cm="76.0",
        position=models.PositionEnum.L,
    )
    created = op("measurements_create").sync(client=client, body=body)
    assert isinstance(created, models.MeasurementRecord)
    read = op("measurements_retrieve").sync(id=created.id, client=client)
    assert isinstance(read, models.MeasurementRecord)
    assert (read.child, read.measured_on, read.weight_kg, read.height_cm) == (
        children[0].pk,
        today,
        "9.20",
        "76.0",
    )
    assert (read.haz, read.waz, read.whz) == (created.haz, created.waz, created.whz)
    assert all(isinstance(z, float) for z in (read.haz, read.waz, read.whz))

    month = _last_complete_month(today)
    prevalence = op("prevalence_list").sync(
        client=client,
        region=d.kabupaten.code,
        period_kind=models.V1PrevalenceListPeriodType.M,
        period_from=month,
        period_to=month,
    )
    assert isinstance(prevalence, models.PaginatedPrevalenceList)
    [kabupaten_row] = [row for row in prevalence.results if row.level == "kabupaten"]
    assert (kabupaten_row.period, kabupaten_row.measured, kabupaten_row.stunted) == (month, 5, 2)
    assert kabupaten_row.stunting_pct == 40.0

    lines = op("budget_lines_list").sync(client=client, year=today.year)
    assert isinstance(lines, models.PaginatedBudgetLineList)
    assert [(line.name, line.allocated) for line in lines.results] == [("PMT lokal Sumberagung", "12000000")]

    # Errors: the one problem body, parsed as the documented type.
    tomorrow = models.MeasurementRecordRequest(
        child=children[1].pk, measured_on=today + datetime.timedelta(days=1), weight_kg="9.00"
    )
    refused = op("measurements_create").sync_detailed(client=client, body=tomorrow)
    assert refused.status_code == 400
    assert isinstance(refused.parsed, models.Problem)
    assert (refused.parsed.status, refused.parsed.code) == (400, "invalid")
    assert [error.field for error in refused.parsed.errors] == ["measured_on"]
    missing = op("measurements_retrieve").sync_detailed(id=created.id + 1000, client=client)
    assert missing.status_code == 404
    assert isinstance(missing.parsed, models.Problem)
    assert (missing.parsed.status, missing.parsed.code) == (404, "not_found")
