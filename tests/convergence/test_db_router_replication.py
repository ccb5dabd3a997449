"""Read replicas against a real streaming replica: a second PostgreSQL cluster fed by the first.

The test starts both clusters itself (tests/convergence/pg_clusters.py), then runs
tests/convergence/replica_read_suite.py in a process configured with DATABASE_URL and
DATABASE_REPLICA_URL, as production is. It needs PostgreSQL's server programs (initdb, pg_ctl,
pg_basebackup); without them it is skipped, except in CI (CI=true), where it fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.convergence.pg_clusters import StreamingPair, server_bindir

ROOT = Path(__file__).resolve().parents[2]
# Variables of the surrounding run that would point the suite elsewhere.
CLEARED = ("DATABASE_URL", "DATABASE_REPLICA_URL", "REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")
SIGN_IN = ["convergence_user", "django_session"]
TOKEN_SIGN_IN = ["authtoken_token", "convergence_user"]


@pytest.fixture
def streaming_pair() -> Iterator[StreamingPair]:
    bindir = server_bindir()
    if bindir is None:
        message = "PostgreSQL server programs (initdb, pg_ctl, pg_basebackup) not found"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    pair = StreamingPair(bindir)
    try:
        pair.start()
        yield pair
    finally:
        pair.stop()


def read_suite(pair: StreamingPair) -> dict:
    pair.create_database("stunting")
    env = {key: value for key, value in os.environ.items() if key not in CLEARED}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": pair.url(pair.primary_port, "stunting"),
            "DATABASE_REPLICA_URL": pair.url(pair.replica_port, "stunting"),
            "VAR_DIR": str(pair.root / "var"),
            "STATIC_MANIFEST": "false",
        }
    )
    result = subprocess.run(
        [sys.executable, "-m", "tests.convergence.replica_read_suite"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-4000:] + pair.log("primary") + pair.log("replica")
    return json.loads(result.stdout.splitlines()[-1])


@pytest.mark.replica
def test_reads_go_to_the_streaming_replica_and_writers_read_their_writes_on_the_primary(
    streaming_pair: StreamingPair,
) -> None:
    result = read_suite(streaming_pair)
    assert result["in_recovery"] == {"default": False, "replica_1": True}
    assert result["replica_reads"] == ["replica_1", True]
    on_replica = {"replica_queries": True, "status": 200}
    assert result["reads"] == {
        "dashboard": {**on_replica, "primary_tables": SIGN_IN},
        "drill-down": {**on_replica, "primary_tables": SIGN_IN},
        "public page": {**on_replica, "primary_tables": []},
        "public xlsx": {**on_replica, "primary_tables": []},
        "api regions": {**on_replica, "primary_tables": TOKEN_SIGN_IN},
        # The child list logs who read it (children.audit): that write goes to the primary.
        "api children": {
            **on_replica,
            "primary_tables": ["authtoken_token", "children_recordaccess", "convergence_user"],
        },
        "api prevalence": {**on_replica, "primary_tables": TOKEN_SIGN_IN},
        # The registry read on the replica; the read log written on the primary.
        "export": {**on_replica, "primary_tables": ["children_recordaccess", *SIGN_IN]},
        # Not marked: the action board reads the primary only.
        "not replica-safe": {
            "status": 200,
            "replica_queries": False,
            "primary_tables": [
                "convergence_assessmentgrade",
                "convergence_attendance",
                "convergence_convergenceaction",
                "convergence_followup",
                "convergence_meeting",
                "convergence_opd",
                "convergence_region",
                *SIGN_IN,
            ],
        },
    }
    assert result["export command"] == {
        "replica_queries": True,
        "primary_tables": ["children_recordaccess", "convergence_user"],
    }
    # Replay paused. The writers (a session and an API token) read the primary and see what they wrote;
    # the bupati and the public read the replica's past.
    assert result["lag"] == {
        "survey posted": 201,
        "rate posted": 201,
        "writer's dashboard": {
            "status": 200,
            "replica_queries": False,
            "surveys shown": ["SKI-2024", "SSGI-2025"],
        },
        "bupati's dashboard": {"status": 200, "replica_queries": True, "surveys shown": ["SKI-2024"]},
        "public page": {**on_replica, "primary_tables": []},
        "token's rates": {"status": 200, "replica_queries": False, "count": 7},
        "bupati's rates": {"status": 200, "replica_queries": True, "count": 6},
    }
    # Replay resumed: the replica has the write.
    assert result["caught up"] == {"status": 200, "replica_queries": True, "count": 7}
