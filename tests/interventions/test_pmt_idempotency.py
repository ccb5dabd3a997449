"""One disbursement per Idempotency-Key (API) or form token (page): repeats replay the first result.

The parallel tests send 20 identical requests at once through real connections; they run on
PostgreSQL only (CI sets DATABASE_URL), where a twin's claim waits on the unique index.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from convergence.models import User
from interventions.models import Disbursement, PMTSubmission
from tests.factories import DistrictFixture, build_district
from tests.interventions.test_pmt import make_line
from tests.problems import field_errors

URL = "/api/v1/disbursements/"


def api(user: User) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="id")
    client.force_authenticate(user)
    return client


def body(line_pk: int, amount: str = "250000") -> dict[str, Any]:
    return {"budget_line": line_pk, "amount": amount, "payee": "Katering Ibu Sri", "paid_on": "2025-04-01"}


def test_a_repeated_key_replays_the_first_disbursement(district: DistrictFixture) -> None:
    line = make_line(district, Decimal(1_000_000))
    client = api(district.users["bappeda_admin"])
    first = client.post(URL, body(line.pk), format="json", HTTP_IDEMPOTENCY_KEY="pay-001")
    again = client.post(URL, body(line.pk), format="json", HTTP_IDEMPOTENCY_KEY="pay-001")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Disbursement.objects.count() == 1


def test_a_key_reused_for_another_body_is_a_conflict(district: DistrictFixture) -> None:
    line = make_line(district, Decimal(1_000_000))
    client = api(district.users["bappeda_admin"])
    client.post(URL, body(line.pk), format="json", HTTP_IDEMPOTENCY_KEY="pay-001")
    response = client.post(URL, body(line.pk, "300000"), format="json", HTTP_IDEMPOTENCY_KEY="pay-001")
    assert response.status_code == 409
    assert (response.json()["code"], response.json()["detail"]) == (
        "conflict",
        "Idempotency-Key ini sudah dipakai untuk permintaan lain.",
    )
    assert list(Disbursement.objects.values_list("amount", flat=True)) == [Decimal(250_000)]


def test_a_refused_request_leaves_its_key_free(district: DistrictFixture) -> None:
    line = make_line(district, Decimal(100_000))
    client = api(district.users["bappeda_admin"])
    over = client.post(URL, body(line.pk, "150000"), format="json", HTTP_IDEMPOTENCY_KEY="pay-001")
    assert field_errors(over) == {
        "amount": ["Sisa anggaran PMT lokal balita tidak cukup: perlu Rp 150.000, tersisa Rp 100.000."]
    }
    assert PMTSubmission.objects.count() == 0
    fixed = client.post(
        URL, body(line.pk, "150000") | {"amount": "90000"}, format="json", HTTP_IDEMPOTENCY_KEY="pay-002"
    )
    assert fixed.status_code == 201


def test_keys_are_per_user_and_optional(district: DistrictFixture) -> None:
    line = make_line(district, Decimal(1_000_000))
    bappeda = api(district.users["bappeda_admin"])
    officer = api(district.users["opd_officer"])
    assert bappeda.post(URL, body(line.pk), format="json", HTTP_IDEMPOTENCY_KEY="k-1").status_code == 201
    assert officer.post(URL, body(line.pk), format="json", HTTP_IDEMPOTENCY_KEY="k-1").status_code == 201
    assert bappeda.post(URL, body(line.pk), format="json").status_code == 201
    assert bappeda.post(URL, body(line.pk), format="json").status_code == 201
    assert Disbursement.objects.count() == 4
    too_long = bappeda.post(URL, body(line.pk), format="json", HTTP_IDEMPOTENCY_KEY="k" * 65)
    assert field_errors(too_long) == {"Idempotency-Key": ["Paling banyak 64 karakter."]}


def test_a_kader_gets_403_with_a_key_and_nothing_is_claimed(district: DistrictFixture) -> None:
    line = make_line(district, Decimal(1_000_000), desa=district.desa_a1)
    response = api(district.users["kader"]).post(
        URL, body(line.pk), format="json", HTTP_IDEMPOTENCY_KEY="pay-001"
    )
    assert response.status_code == 403
    assert (Disbursement.objects.count(), PMTSubmission.objects.count()) == (0, 0)


def test_the_schema_documents_the_header(district: DistrictFixture) -> None:
    schema = Client().get("/api/schema/", {"format": "json"}).json()
    create = schema["paths"][URL]["post"]
    header = next(p for p in create["parameters"] if p["name"] == "Idempotency-Key")
    assert (header["in"], header.get("required", False)) == ("header", False)
    assert set(create["responses"]) >= {"200", "201"}


# --- twenty at once (PostgreSQL) -------------------------------------------------------------------------

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent claims are tested on PostgreSQL"
)


def _twenty(send: Callable[[], Any]) -> list[Any]:
    barrier = threading.Barrier(20)
    results: list[Any] = []

    def run() -> None:
        try:
            barrier.wait(timeout=20)
            results.append(send())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@on_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_parallel_api_requests_with_one_key_record_one_disbursement() -> None:
    district = build_district()
    line = make_line(district, Decimal(1_000_000))
    user = district.users["bappeda_admin"]

    def send() -> tuple[int, int]:
        response = api(user).post(URL, body(line.pk), format="json", HTTP_IDEMPOTENCY_KEY="twenty-1")
        return response.status_code, response.json()["id"]

    results = _twenty(send)
    assert sorted(code for code, _id in results) == [200] * 19 + [201]
    assert len({pk for _code, pk in results}) == 1
    assert Disbursement.objects.count() == 1


@on_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_parallel_submits_of_one_form_record_one_disbursement() -> None:
    district = build_district()
    line = make_line(district, Decimal(1_000_000))
    page = Client()
    page.force_login(district.users["bappeda_admin"])
    session = page.cookies
    url = reverse("interventions:pmt-disbursement-create", args=[line.pk])
    form = body(line.pk) | {"token": "twenty-form-token-1", "note": ""}

    def send() -> tuple[int, str]:
        client = Client()
        client.cookies = session
        response = client.post(url, form)
        return response.status_code, response["Location"]

    results = _twenty(send)
    assert results == [(302, reverse("interventions:pmt-budget-line", args=[line.pk]))] * 20
    assert Disbursement.objects.count() == 1


def test_the_nightly_task_forgets_month_old_keys_only(district: DistrictFixture) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from interventions.tasks import pmt_submissions_expire

    line = make_line(district, Decimal(1_000_000))
    client = api(district.users["bappeda_admin"])
    client.post(URL, body(line.pk), format="json", HTTP_IDEMPOTENCY_KEY="old")
    client.post(URL, body(line.pk), format="json", HTTP_IDEMPOTENCY_KEY="new")
    PMTSubmission.objects.filter(key="old").update(created_at=timezone.now() - timedelta(days=31))
    assert pmt_submissions_expire() == 1
    assert pmt_submissions_expire() == 0
    assert list(PMTSubmission.objects.values_list("key", flat=True)) == ["new"]
    assert Disbursement.objects.count() == 2
