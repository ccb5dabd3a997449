"""Read replicas: which database each read and write goes to (convergence.db_router).

The routing tests need no database. The request tests give the test database a second alias,
`replica_1`, on a connection of its own, so the queries a replica would answer are counted apart from
the primary's; they commit (transactional tests), as a replica only ever sees committed rows.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.db import DEFAULT_DB_ALIAS, connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import load_backend
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from children.models import Child, RecordAccess
from convergence.db_router import (
    ReplicaReadsMiddleware,
    ReplicaRouter,
    replica_cache_scope,
    replica_reads,
    replica_safe,
    view_is_replica_safe,
)
from convergence.models import Region, User
from interventions.models import PMTRate
from reports.models import SurveyFigure
from tests.factories import ChildFactory, DistrictFixture

ROUTER = "convergence.db_router.ReplicaRouter"
RATE = {
    "category": "gizi_kurang",
    "valid_from": "2025-07-01",
    "daily_rate": "20000",
    "duration_days": 56,
    "source": "Perbup 12/2025",
}
# Read on the primary by every signed-in request, whatever the page: the session and the user.
SIGN_IN_TABLES = {"django_session", "convergence_user"}


@pytest.fixture
def one_replica(settings: Any) -> None:
    settings.REPLICA_DATABASES = ["replica_1"]
    settings.DATABASE_ROUTERS = [ROUTER]


def test_it_reads_from_the_replica_only_inside_a_replica_context(one_replica: None) -> None:
    assert router.db_for_read(Region) == DEFAULT_DB_ALIAS
    with replica_reads():
        assert router.db_for_read(Region) == "replica_1"
        assert router.db_for_read(Child) == "replica_1"
    assert router.db_for_read(Region) == DEFAULT_DB_ALIAS


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_writes_to_the_primary_and_then_reads_its_own_writes_there(one_replica: None) -> None:
    with replica_reads():
        assert router.db_for_read(SurveyFigure) == "replica_1"
        assert router.db_for_write(SurveyFigure) == DEFAULT_DB_ALIAS
        # Asking where a write would go, or assigning a relation to an unsaved row, writes nothing.
        SurveyFigure(region=Region(code="35", name="JAWA TIMUR"))
        assert router.db_for_read(SurveyFigure) == "replica_1"
        Region.objects.filter(pk=-1).update(name="")
        # The block may read back what it wrote: the primary from now on, for every model.
        assert router.db_for_read(SurveyFigure) == DEFAULT_DB_ALIAS
        assert router.db_for_read(Region) == DEFAULT_DB_ALIAS
    with replica_reads():
        assert router.db_for_read(Region) == "replica_1"
    assert router.db_for_write(Region) == DEFAULT_DB_ALIAS


def test_it_keeps_sign_in_sessions_users_tokens_and_lock_outs_on_the_primary(one_replica: None) -> None:
    from axes.models import AccessAttempt
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    with replica_reads():
        assert {
            model.__name__: router.db_for_read(model)
            for model in (Session, User, Token, AccessAttempt, LogEntry, ContentType, Region)
        } == {
            "Session": "default",
            "User": "default",
            "Token": "default",
            "AccessAttempt": "default",
            "LogEntry": "default",
            "ContentType": "default",
            "Region": "replica_1",
        }


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_reads_the_primary_inside_a_transaction(one_replica: None) -> None:
    with replica_reads():
        with transaction.atomic():
            assert router.db_for_read(Region) == DEFAULT_DB_ALIAS
        assert router.db_for_read(Region) == "replica_1"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_what_is_cached_from_a_replica_is_keyed_by_the_lag_window(one_replica: Any, settings: Any) -> None:
    settings.REPLICA_PIN_SECONDS = 10
    assert replica_cache_scope() == ""
    with replica_reads():
        assert replica_cache_scope() == f"replica-{int(time.time()) // 10}"
        Region.objects.filter(pk=-1).update(name="")
        assert replica_cache_scope() == ""


def test_it_reads_the_primary_when_no_replica_is_configured(settings: Any) -> None:
    settings.REPLICA_DATABASES = []
    settings.DATABASE_ROUTERS = [ROUTER]
    with replica_reads():
        assert router.db_for_read(Region) == DEFAULT_DB_ALIAS


def test_it_spreads_contexts_over_the_replicas_and_keeps_one_per_context(settings: Any) -> None:
    settings.REPLICA_DATABASES = ["replica_1", "replica_2"]
    settings.DATABASE_ROUTERS = [ROUTER]
    seen = set()
    for _ in range(60):
        with replica_reads():
            first = router.db_for_read(Region)
            assert router.db_for_read(Child) == first
            seen.add(first)
    assert seen == {"replica_1", "replica_2"}


def test_it_migrates_only_the_primary_and_relates_rows_of_any_copy(one_replica: None) -> None:
    routing = ReplicaRouter()
    assert routing.allow_migrate(DEFAULT_DB_ALIAS, "children") is True
    assert routing.allow_migrate("replica_1", "children") is False
    from_replica, from_primary = Region(code="35"), Region(code="35.10")
    from_replica._state.db, from_primary._state.db = "replica_1", DEFAULT_DB_ALIAS
    assert routing.allow_relation(from_replica, from_primary) is True
    from_primary._state.db = "elsewhere"
    assert routing.allow_relation(from_replica, from_primary) is None


def test_views_opt_in_and_api_views_opt_out() -> None:
    from children.api.registry import ChildViewSet
    from reports.views_dashboard import head_dashboard, map_upload

    @replica_safe
    def page(request: object) -> object:
        return request

    class ReadsThePrimary(ChildViewSet):
        replica_safe = False

    assert view_is_replica_safe(page) is True
    assert view_is_replica_safe(head_dashboard) is True
    assert view_is_replica_safe(map_upload) is False
    assert view_is_replica_safe(ChildViewSet.as_view({"get": "list"})) is True
    assert view_is_replica_safe(ReadsThePrimary.as_view({"get": "list"})) is False


def test_the_middleware_changes_nothing_without_a_replica(settings: Any) -> None:
    settings.REPLICA_DATABASES = []
    seen = []

    def view(request: object) -> object:
        seen.append(router.db_for_read(Region))
        return "response"

    assert ReplicaReadsMiddleware(view)("request") == "response"  # type: ignore[arg-type]
    assert seen == [DEFAULT_DB_ALIAS]


# Requests against a second connection to the test database.

TABLE = re.compile(r'(?:FROM|JOIN|INTO|UPDATE)\s+"(\w+)"')


def tables(queries: CaptureQueriesContext) -> set[str]:
    return {table for query in queries.captured_queries for table in TABLE.findall(query["sql"])}


class Spy:
    """The queries each database answered during a request."""

    def __init__(self, replica: BaseDatabaseWrapper) -> None:
        self.replica = replica

    def get(self, client: Client, url: str, **extra: str) -> tuple[int, int, set[str]]:
        """(status, queries on the replica, tables the primary read or wrote)."""
        with (
            CaptureQueriesContext(self.replica) as on_replica,
            CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary,
        ):
            response = client.get(url, **extra)  # type: ignore[arg-type]
        return response.status_code, len(on_replica), tables(on_primary)


@pytest.fixture
def replica(
    one_replica: None, settings: Any, django_db_serialized_rollback: None, transactional_db: None
) -> Iterator[Spy]:
    primary = connections[DEFAULT_DB_ALIAS]
    # A connection of its own to the test database, made here rather than in DATABASES so that the
    # rest of the suite never sees the alias.
    connection = load_backend(primary.settings_dict["ENGINE"]).DatabaseWrapper(
        {**primary.settings_dict}, alias="replica_1"
    )
    connections["replica_1"] = connection
    try:
        yield Spy(connection)
    finally:
        connection.close()
        del connections["replica_1"]


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_dashboards_public_pages_exports_and_api_lists_read_the_replica(
    replica: Spy, district: DistrictFixture
) -> None:
    ChildFactory(posyandu=district.posyandu_a1)
    bappeda = signed_in(district.users["bappeda_admin"])
    token = Token.objects.create(user=district.users["bappeda_admin"])
    status, replica_queries, primary_tables = replica.get(bappeda, "/dasbor/")
    assert (status, replica_queries > 0, primary_tables) == (200, True, SIGN_IN_TABLES)
    status, replica_queries, primary_tables = replica.get(Client(), "/publikasi/")
    assert (status, replica_queries > 0, primary_tables) == (200, True, set())
    status, replica_queries, primary_tables = replica.get(
        Client(), "/api/v1/regions/", HTTP_AUTHORIZATION=f"Token {token.key}"
    )
    assert (status, replica_queries > 0, primary_tables) == (
        200,
        True,
        {"authtoken_token", "convergence_user"},
    )
    # The export reads the registry on the replica, then logs itself in the read log on the primary.
    status, replica_queries, primary_tables = replica.get(bappeda, "/ekspor/?layout=anak&format=csv")
    assert (status, replica_queries > 0, primary_tables) == (
        200,
        True,
        SIGN_IN_TABLES | {"children_recordaccess"},
    )
    assert (
        RecordAccess.objects.using(DEFAULT_DB_ALIAS).filter(channel=RecordAccess.Channel.EXPORT).count() == 1
    )


def test_pages_not_marked_and_writes_use_the_primary_only(replica: Spy, district: DistrictFixture) -> None:
    bappeda = signed_in(district.users["bappeda_admin"])
    status, replica_queries, _ = replica.get(bappeda, "/aksi/", follow=True)  # type: ignore[arg-type]
    assert (status, replica_queries) == (200, 0)
    with CaptureQueriesContext(replica.replica) as on_replica:
        response = bappeda.post("/api/v1/pmt-rates/", RATE, content_type="application/json")
    assert (response.status_code, len(on_replica)) == (201, 0)


def test_a_writer_reads_the_primary_for_the_pin_seconds_and_others_the_replica(
    replica: Spy, district: DistrictFixture, settings: Any
) -> None:
    settings.REPLICA_PIN_SECONDS = 1
    writer = signed_in(district.users["bappeda_admin"])
    other = signed_in(district.users["pimpinan"])
    response = writer.post("/api/v1/pmt-rates/", RATE, content_type="application/json")
    assert response.status_code == 201
    status, replica_queries, primary_tables = replica.get(writer, "/api/v1/pmt-rates/")
    assert (status, replica_queries, "interventions_pmtrate" in primary_tables) == (200, 0, True)
    assert replica.get(writer, "/dasbor/")[:2] == (200, 0)
    assert replica.get(other, "/dasbor/")[1] > 0
    assert replica.get(Client(), "/publikasi/")[1] > 0
    time.sleep(1.2)
    assert replica.get(writer, "/dasbor/")[1] > 0


def test_a_token_client_is_pinned_by_its_token_and_a_refused_write_pins_nobody(
    replica: Spy, district: DistrictFixture
) -> None:
    token = Token.objects.create(user=district.users["bappeda_admin"])
    header = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    rates_before = PMTRate.objects.count()  # the default rates of the data migration
    refused = Client().post(
        "/api/v1/pmt-rates/", {"category": "?"}, content_type="application/json", **header
    )
    assert refused.status_code == 400
    assert replica.get(Client(), "/api/v1/pmt-rates/", **header)[1] > 0
    created = Client().post("/api/v1/pmt-rates/", RATE, content_type="application/json", **header)
    assert created.status_code == 201
    assert replica.get(Client(), "/api/v1/pmt-rates/", **header)[:2] == (200, 0)
    assert PMTRate.objects.count() == rates_before + 1


def test_a_write_refused_as_stale_pins_the_client_so_its_re_read_sees_the_winner(
    replica: Spy, district: DistrictFixture
) -> None:
    writer = signed_in(district.users["bappeda_admin"])
    created = writer.post("/api/v1/pmt-rates/", RATE, content_type="application/json").json()
    url = f"/api/v1/pmt-rates/{created['id']}/"
    other = signed_in(district.users["bappeda_admin"])
    stale = other.patch(url, {"daily_rate": "19000"}, content_type="application/json", HTTP_IF_MATCH='"0"')
    assert stale.status_code == 412
    assert replica.get(other, url)[:2] == (200, 0)
