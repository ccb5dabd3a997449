"""Rate limits in the shared cache: failed logins per address across usernames, the API token endpoint,
and the client address behind trusted proxies."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, RequestFactory, override_settings
from rest_framework.test import APIClient

from config.env import Rate, parse_rate
from convergence.ratelimit import client_address, rate_limit_hit
from tests.factories import PASSWORD, UserFactory

ROOT = Path(__file__).resolve().parents[2]


def test_it_reads_rates_with_a_period_length() -> None:
    assert parse_rate("30/10min") == Rate(30, 600)
    assert parse_rate("20/min") == Rate(20, 60)
    assert parse_rate("60/hour") == Rate(60, 3600)
    for bad in ("30", "0/min", "30/0min", "x/min", "30/week"):
        with pytest.raises(ValueError, match=re.escape(bad)):
            parse_rate(bad)


def test_it_ships_limits_loose_enough_for_kader_sharing_a_mobile_address() -> None:
    assert Rate(30, 600) == settings.LOGIN_FAILURE_ADDRESS_RATE
    assert Rate(20, 60) == settings.TOKEN_RATE
    assert Rate(60, 3600) == settings.NIK_LOOKUP_RATE


@override_settings(TRUSTED_PROXIES=["10.0.0.5", "172.16.0.0/12"])
def test_it_believes_x_forwarded_for_only_from_a_trusted_proxy() -> None:
    factory = RequestFactory()
    # From the proxy: the nearest hop that is not a proxy; the client's own claims further left are ignored.
    behind = factory.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4, 36.80.1.2, 172.18.0.3")
    assert client_address(behind) == "36.80.1.2"
    # Straight from the internet: the header is the client's own invention.
    direct = factory.get("/", REMOTE_ADDR="36.80.9.9", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_address(direct) == "36.80.9.9"
    # A malformed hop stops the walk at the last proxy that wrote a valid one.
    garbled = factory.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="bukan-alamat")
    assert client_address(garbled) == "10.0.0.5"


def test_it_ignores_x_forwarded_for_without_trusted_proxies() -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="36.80.9.9", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_address(request) == "36.80.9.9"


@pytest.mark.django_db
def test_it_refuses_an_address_after_30_failed_logins_across_usernames() -> None:
    UserFactory(username="kader_melati")
    client = Client(HTTP_ACCEPT_LANGUAGE="id", REMOTE_ADDR="36.80.1.2")
    for n in range(30):
        response = client.post("/masuk/", {"username": f"tebakan{n}", "password": "salah"})
        assert response.status_code == 200
    # Even the right password waits: the address is guessing.
    refused = client.post("/masuk/", {"username": "kader_melati", "password": PASSWORD})
    assert refused.status_code == 429
    assert 590 <= int(refused["Retry-After"]) <= 600
    assert (
        "Terlalu banyak percobaan masuk yang gagal dari alamat ini. Coba lagi dalam 10 menit."
        in refused.content.decode()
    )
    assert "_auth_user_id" not in client.session
    # Another address (another puskesmas) is not affected.
    other = Client(REMOTE_ADDR="36.80.7.7").post(
        "/masuk/", {"username": "kader_melati", "password": PASSWORD}
    )
    assert other.status_code == 302


@pytest.mark.django_db
def test_it_counts_failed_token_requests_and_admin_logins_with_the_page(db: None) -> None:
    UserFactory(username="kader_melati")
    api = APIClient(HTTP_ACCEPT_LANGUAGE="id", REMOTE_ADDR="36.80.1.2")
    page = Client(HTTP_ACCEPT_LANGUAGE="id", REMOTE_ADDR="36.80.1.2")
    for n in range(10):
        assert page.post("/masuk/", {"username": f"a{n}", "password": "salah"}).status_code == 200
        assert page.post("/admin/login/", {"username": f"b{n}", "password": "salah"}).status_code == 200
        assert api.post("/api/v1/auth/token/", {"username": f"c{n}", "password": "salah"}).status_code == 400
    refused = api.post("/api/v1/auth/token/", {"username": "kader_melati", "password": PASSWORD})
    assert refused.status_code == 429
    assert 590 <= int(refused["Retry-After"]) <= 600
    assert (refused.json()["code"], refused.json()["detail"]) == (
        "throttled",
        "Terlalu banyak percobaan masuk yang gagal dari alamat ini. Coba lagi nanti.",
    )
    assert page.post("/admin/login/", {"username": "kader_melati", "password": PASSWORD}).status_code == 429


@pytest.mark.django_db
def test_it_limits_token_requests_per_address_whatever_x_forwarded_for_says() -> None:
    UserFactory(username="klien_api")
    api = APIClient(REMOTE_ADDR="36.80.1.2")
    for n in range(20):
        response = api.post(
            "/api/v1/auth/token/",
            {"username": "klien_api", "password": PASSWORD},
            HTTP_X_FORWARDED_FOR=f"10.9.{n}.1",
        )
        assert response.status_code == 200
    refused = api.post(
        "/api/v1/auth/token/",
        {"username": "klien_api", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="10.9.99.1",
    )
    assert refused.status_code == 429
    assert 50 <= int(refused["Retry-After"]) <= 60
    assert (
        APIClient(REMOTE_ADDR="36.80.7.7")
        .post("/api/v1/auth/token/", {"username": "klien_api", "password": PASSWORD})
        .status_code
        == 200
    )


def test_it_counts_once_per_event_and_reopens_after_the_window() -> None:
    rate = Rate(2, 60)
    assert [rate_limit_hit(scope="t", ident="x", rate=rate).allowed for _ in range(3)] == [True, True, False]
    assert rate_limit_hit(scope="t", ident="y", rate=rate).allowed is True


COUNT_IN_A_PROCESS = (
    "import sys, django; django.setup(); from config.env import Rate; "
    "from convergence.ratelimit import rate_limit_hit; "
    "print(*[rate_limit_hit(scope='proc', ident=sys.argv[1], rate=Rate(3, 60)).allowed for _ in range(2)])"
)


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs the Redis of production (REDIS_URL)")
def test_it_shares_one_count_between_processes_through_redis() -> None:
    ident = uuid.uuid4().hex
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    outputs = [
        subprocess.run(
            [sys.executable, "-c", COUNT_IN_A_PROCESS, ident],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.split()
        for _ in range(2)
    ]
    # Three allowed in all: the second process sees the first one's two.
    assert outputs == [["True", "True"], ["True", "False"]]
