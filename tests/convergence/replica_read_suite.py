"""The read suite against a real streaming replica, run by test_db_router_replication in its own process.

    DATABASE_URL=<primary> DATABASE_REPLICA_URL=<replica> python -m tests.convergence.replica_read_suite

Migrates the primary, seeds a small measured district, then requests pages, API lists and exports and
records, for each, which database answered: the replica (counted on its connection) and the tables the
primary was asked about. Then it pauses the replica's replay, writes through the application and
records who sees the write. Prints one JSON object; the test asserts on it.
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
import time
from typing import Any

import django

TABLE = re.compile(r'(?:FROM|JOIN|INTO|UPDATE)\s+"(\w+)"')
NEW_SURVEY = {"region": "35.10", "year": 2025, "source": "SSGI", "stunting_pct": "19.80"}
SURVEY_MARK = re.compile(r'data-survey="([\w-]+)"')
RATE = {
    "category": "gizi_kurang",
    "valid_from": "2025-07-01",
    "daily_rate": "20000",
    "duration_days": 56,
    "source": "Perbup 12/2025",
}


def main() -> dict[str, Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections, router
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from rest_framework.authtoken.models import Token

    from convergence.db_router import replica_reads
    from convergence.models import Region
    from tests.api.data import measure_district
    from tests.factories import build_district

    # As the test suite does: hashing passwords at full strength would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    primary, replica = connections["default"], connections["replica_1"]

    def scalar(connection: Any, sql: str) -> Any:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()[0]

    def wait_for_replay(timeout_s: float = 30) -> None:
        target = scalar(primary, "SELECT pg_current_wal_lsn()")
        deadline = time.monotonic() + timeout_s
        while not scalar(replica, f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"):
            if time.monotonic() > deadline:
                raise RuntimeError("the replica did not catch up")
            time.sleep(0.05)

    def observe(
        client: Client, method: str, url: str, body: dict[str, str] | None = None, **extra: Any
    ) -> dict:
        with CaptureQueriesContext(replica) as on_replica, CaptureQueriesContext(primary) as on_primary:
            if method == "get":
                response = client.get(url, **extra)
            else:
                response = client.post(url, body, content_type="application/json", **extra)
        content = b"".join(response.streaming_content) if response.streaming else response.content
        return {
            "status": response.status_code,
            "replica_queries": len(on_replica) > 0,
            "primary_tables": sorted(
                {t for q in on_primary.captured_queries for t in TABLE.findall(q["sql"])}
            ),
            "content": content.decode(errors="replace"),
        }

    def brief(observed: dict) -> dict:
        return {key: value for key, value in observed.items() if key != "content"}

    call_command("migrate", interactive=False, verbosity=0, skip_checks=True)
    # The district's rows are written past the services that make a year's partition (tests/conftest.py).
    from django.utils import timezone

    from children.partitions import ensure_partitions, partitioned_tables

    for spec in partitioned_tables():
        ensure_partitions(spec, range(2000, timezone.localdate().year + 2))
    district = measure_district(build_district())
    bappeda, pimpinan = district.users["bappeda_admin"], district.users["pimpinan"]
    token = {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=bappeda).key}"}
    wait_for_replay()

    result: dict[str, Any] = {
        "in_recovery": {
            alias: scalar(connections[alias], "SELECT pg_is_in_recovery()")
            for alias in ("default", "replica_1")
        }
    }
    with replica_reads():
        alias = router.db_for_read(Region)
        result["replica_reads"] = [alias, scalar(connections[alias], "SELECT pg_is_in_recovery()")]

    writer, bupati = Client(), Client()
    writer.force_login(bappeda)
    bupati.force_login(pimpinan)
    reads = {
        "dashboard": observe(bupati, "get", "/dasbor/"),
        "drill-down": observe(writer, "get", "/dasbor/wilayah/35.10.01/"),
        "public page": observe(Client(), "get", "/publikasi/35.10/2025/"),
        "public xlsx": observe(Client(), "get", "/publikasi/35.10/2025/unduh.xlsx"),
        "api regions": observe(Client(), "get", "/api/v1/regions/", **token),
        "api children": observe(Client(), "get", "/api/v1/children/", **token),
        "api prevalence": observe(Client(), "get", "/api/v1/prevalence/", **token),
        "export": observe(writer, "get", "/ekspor/?layout=eppgbm&format=csv"),
        "not replica-safe": observe(writer, "get", "/aksi/2025/"),
    }
    result["reads"] = {name: brief(observed) for name, observed in reads.items()}
    with (
        tempfile.TemporaryDirectory() as folder,
        CaptureQueriesContext(replica) as on_replica,
        CaptureQueriesContext(primary) as on_primary,
    ):
        call_command(
            "export_eppgbm",
            "-o",
            f"{folder}/ukur.csv",
            "--user",
            bappeda.username,
            stdout=io.StringIO(),
        )
    result["export command"] = {
        "replica_queries": len(on_replica) > 0,
        "primary_tables": sorted({t for q in on_primary.captured_queries for t in TABLE.findall(q["sql"])}),
    }

    # Lag: the replica stops replaying; the writers must still see their writes, others see the past.
    scalar(replica, "SELECT pg_wal_replay_pause()::text")
    while scalar(replica, "SELECT pg_get_wal_replay_pause_state()") != "paused":
        time.sleep(0.05)
    lag: dict[str, Any] = {
        "survey posted": observe(writer, "post", "/api/v1/survey-figures/", NEW_SURVEY)["status"],
        "rate posted": observe(Client(), "post", "/api/v1/pmt-rates/", RATE, **token)["status"],
    }
    for name, client in {"writer's dashboard": writer, "bupati's dashboard": bupati}.items():
        observed = observe(client, "get", "/dasbor/")
        lag[name] = {
            "status": observed["status"],
            "replica_queries": observed["replica_queries"],
            "surveys shown": SURVEY_MARK.findall(observed["content"]),
        }
    lag["public page"] = brief(observe(Client(), "get", "/publikasi/35.10/2025/"))
    for name, (client, extra) in {"token's rates": (Client(), token), "bupati's rates": (bupati, {})}.items():
        observed = observe(client, "get", "/api/v1/pmt-rates/", **extra)
        lag[name] = {
            "status": observed["status"],
            "replica_queries": observed["replica_queries"],
            "count": json.loads(observed["content"])["count"],
        }
    result["lag"] = lag

    scalar(replica, "SELECT pg_wal_replay_resume()::text")
    wait_for_replay()
    # The replay position can pass a commit a moment before the standby shows its rows: wait for them.
    rates = "SELECT count(*) FROM interventions_pmtrate"
    deadline = time.monotonic() + 30
    while scalar(replica, rates) != scalar(primary, rates):
        if time.monotonic() > deadline:
            raise RuntimeError("the replica did not show the new rate")
        time.sleep(0.05)
    observed = observe(bupati, "get", "/api/v1/pmt-rates/")
    result["caught up"] = {
        "status": observed["status"],
        "replica_queries": observed["replica_queries"],
        "count": json.loads(observed["content"])["count"],
    }
    return result


if __name__ == "__main__":
    print(json.dumps(main()))
