"""Every operation of the API, generated from its own OpenAPI schema, against a small measured district.

Requests go to the WSGI application in the test's transaction (rolled back after each operation), once
as Bappeda and once as a kader, each with a DRF token. The checks: no 5xx answer, and every answer with a documented status matches
its documented body. Every error answer is the API's one problem body (convergence.api.errors), documented for
the statuses each operation can give (convergence.api.schema), so error bodies are checked too.

Generation is seeded and derandomized, with a few examples per operation, so a run is reproducible and
the file stays within a few minutes on a small machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections, transaction
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from config.wsgi import application
from tests.api.data import measure_district
from tests.factories import build_district

SEED = 7
EXAMPLES_PER_OPERATION = 6

# Operations left out of the run, each with the reason (fix them, then remove them from here).
EXCLUDED: dict[str, str] = {}


def _schema() -> schemathesis.BaseSchema:
    document = SchemaGenerator().get_schema(request=None, public=True)
    schema = schemathesis.openapi.from_dict(document)
    schema.app = application
    schema.config.seed = SEED
    schema.config.phases.update(phases=["examples", "fuzzing"])
    schema.config.generation.update(
        max_examples=EXAMPLES_PER_OPERATION, deterministic=True, no_shrink=True, database="none"
    )
    if EXCLUDED:
        schema = schema.exclude(operation_id=list(EXCLUDED))
    return schema


schema = _schema()


@pytest.fixture(scope="module", params=["bappeda_admin", "kader"])
def token(request: pytest.FixtureRequest, django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    """The district, its measurements and summaries, built once for the module and rolled back after.

    Each operation's test runs in a savepoint inside this transaction (pytest-django's `db`), so what a
    generated POST, PATCH or DELETE writes is gone before the next operation.
    """
    # Requests go straight to the WSGI app, whose request signals would close the test's connection
    # (and its transaction); Django's own test client disconnects them the same way.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        with django_db_blocker.unblock(), transaction.atomic():
            district = measure_district(build_district())
            yield Token.objects.create(user=district.users[request.param]).key
            transaction.set_rollback(True)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_to_its_schema(case: schemathesis.Case, token: str, db: None) -> None:
    # identity: GZipMiddleware compresses what the client accepts, and the WSGI transport hands the
    # checks the body as sent; compression is tested on its own (tests/convergence/test_compression.py).
    case.call_and_validate(
        headers={"Authorization": f"Token {token}", "Accept-Encoding": "identity"},
        checks=[not_a_server_error, response_schema_conformance],
    )
