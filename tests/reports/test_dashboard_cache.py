"""The head dashboard under a room of readers: one assembly per version of the summaries, and never
a stale page or API answer after a recompute (the assembly's query count: test_dashboard)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports import dashboard
from reports.services import periods_for_months, prevalence_recompute
from tests.factories import ChildFactory, DistrictFixture
from tests.reports.test_dashboard import FEB, JAN, _measure, measured  # noqa: F401  (fixture)


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _headline(html: str) -> str:
    found = re.search(r'data-headline="([^"]*)"', html)
    assert found is not None
    return found.group(1)


def test_a_second_reader_costs_no_assembly(
    measured: DistrictFixture,  # noqa: F811 (the fixture imported above)
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = _client(measured.users["pimpinan"]).get(reverse("reports:dashboard"))
    assert first.status_code == 200
    assemblies: list[object] = []
    monkeypatch.setattr(dashboard, "_head_dashboard", lambda **kw: assemblies.append(kw))
    reader = _client(measured.users["bappeda_admin"])
    with CaptureQueriesContext(connection) as queries:
        again = reader.get(reverse("reports:dashboard"))
    assert again.status_code == 200
    assert assemblies == []
    assert _headline(again.content.decode()) == _headline(first.content.decode()) == "50.00"
    # The session, the user and its role, the reader's kabupaten: nothing of the page itself.
    assert len(queries) == 4, [q["sql"] for q in queries.captured_queries]


def test_a_recompute_shows_on_the_page_and_the_api_at_once(
    measured: DistrictFixture,  # noqa: F811
    django_capture_on_commit_callbacks,
) -> None:
    d = measured
    client = _client(d.users["pimpinan"])
    assert _headline(client.get(reverse("reports:dashboard")).content.decode()) == "50.00"
    assert client.get("/api/v1/dashboard/").json()["stunting_pct"] == 50.0
    # Four more children of desa A1 measured in February, none stunted: 3 of 10 stunted in the kabupaten.
    for _ in range(4):
        child = ChildFactory(posyandu=d.posyandu_a1, birth_date=datetime.date(2023, 5, 1))
        _measure(child, datetime.date(2025, 2, 10), 2)
    with django_capture_on_commit_callbacks(execute=True):
        prevalence_recompute(kabupaten=d.kabupaten, periods=periods_for_months([JAN, FEB]))
    assert _headline(client.get(reverse("reports:dashboard")).content.decode()) == "30.00"
    assert client.get("/api/v1/dashboard/").json()["stunting_pct"] == 30.0
