"""The installable offline posyandu day: the web app manifest, the service worker and the phone's data.

The data endpoint gives the children due of one posyandu (no NIK, no address) to those who enter their
measurements there, and to no one else.
"""

from __future__ import annotations

import datetime
import json
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from children import pii
from children.models import Child
from children.services import measurement_record
from convergence.models import Role
from tests.factories import ChildFactory, DistrictFixture, UserFactory

NIK = "3510015003240001"


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _data_url(district: DistrictFixture, posyandu_pk: int | None = None) -> str:
    today = timezone.localdate()
    return reverse(
        "children:posyandu-offline-data",
        args=[posyandu_pk or district.posyandu_a1.pk, today.year, today.month],
    )


def _ayu(district: DistrictFixture) -> Child:
    today = timezone.localdate()
    ayu = ChildFactory(
        name="Ayu Lestari",
        sex="P",
        birth_date=today - datetime.timedelta(days=400),
        posyandu=district.posyandu_a1,
        address="Dusun Krajan RT 01",
        nik_encrypted=pii.encrypt(NIK),
        nik_hash=pii.nik_hash(NIK),
    )
    measurement_record(
        user=None,
        child=ayu,
        measured_on=today - datetime.timedelta(days=35),
        weight_kg=Decimal("8.6"),
        height_cm=Decimal("68.8"),
        position="L",
    )
    return ayu


def test_it_gives_the_kader_her_childrens_minimum_with_their_last_measurement(
    district: DistrictFixture,
) -> None:
    ayu = _ayu(district)
    ChildFactory(name="Di posyandu lain", posyandu=district.posyandu_a1_second)

    response = _client(district.users["kader"]).get(_data_url(district))

    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    body = response.json()
    assert body["posyandu"] == {"id": district.posyandu_a1.pk, "name": "Mawar"}
    (child,) = body["children"]
    assert set(child) == {"id", "name", "sex", "birth_date", "posyandu", "previous", "current"}
    assert (child["id"], child["name"], child["sex"], child["birth_date"]) == (
        ayu.pk,
        "Ayu Lestari",
        "P",
        ayu.birth_date.isoformat(),
    )
    previous = child["previous"]
    assert (
        previous["weight_kg"],
        previous["height_cm"],
        previous["position"],
        previous["weight_gain"],
        previous["weight_gain_letter"],
    ) == ("8.60", "68.8", "L", 4, "B")
    assert set(previous["indices"]) == {"waz", "haz", "whz", "baz"}
    assert child["current"] is None
    text = response.content.decode()
    assert NIK not in text
    assert "Krajan" not in text


def test_a_kader_of_another_posyandu_gets_none_of_them(district: DistrictFixture) -> None:
    _ayu(district)
    other = UserFactory(username="kader_melati", role=Role.KADER, posyandu=district.posyandu_a1_second)

    mine = _client(other).get(_data_url(district, district.posyandu_a1_second.pk))
    theirs = _client(other).get(_data_url(district))

    assert (mine.status_code, mine.json()["children"]) == (200, [])
    assert theirs.status_code == 404
    assert "Ayu" not in theirs.content.decode()


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("puskesmas_officer", 200),
        ("bappeda_admin", 200),
        ("kpm", 404),
        ("pimpinan", 403),
        ("opd_officer", 403),
    ],
)
def test_each_role_gets_the_data_only_where_it_enters_measurements(
    district: DistrictFixture, role: str, status: int
) -> None:
    _ayu(district)
    response = _client(district.users[role]).get(_data_url(district))
    assert response.status_code == status
    assert ("Ayu Lestari" in response.content.decode()) is (status == 200)


def test_an_anonymous_visitor_is_sent_to_the_login(district: DistrictFixture) -> None:
    _ayu(district)
    response = Client().get(_data_url(district))
    assert (response.status_code, response["Location"].split("?")[0]) == (302, reverse("login"))


def test_the_manifest_makes_the_app_installable_from_the_kader_home(client: Client) -> None:
    response = client.get(reverse("children:web-manifest"))
    assert response["Content-Type"] == "application/manifest+json"
    body = response.json()
    assert (body["name"], body["start_url"], body["display"], body["scope"]) == (
        "Konvergensi Stunting",
        "/kader/",
        "standalone",
        "/",
    )
    assert body["icons"] == [
        {"src": "/static/convergence/favicon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"}
    ]
    assert (body["theme_color"], body["background_color"]) == ("#1d6b4f", "#ffffff")


def test_the_service_worker_is_served_from_the_root_uncached_with_the_shell(client: Client) -> None:
    response = client.get("/sw.js")
    assert response["Content-Type"] == "application/javascript; charset=utf-8"
    assert "no-cache" in response["Cache-Control"]
    text = response.content.decode()
    first_line, rest = text.split("\n", 1)
    prefix = "self.OFFLINE_CONFIG = "
    assert first_line.startswith(prefix)
    config = json.loads(first_line.removeprefix(prefix).removesuffix(";"))
    assert "/static/children/posyandu_day.js" in config["shell"]
    assert "/static/children/offline_store.js" in config["shell"]
    # The worker's patterns name the pages and documents of the URL conf, and nothing else.
    day = reverse("children:posyandu-day", args=[12, 2026, 3])
    pages = [re.compile(pattern) for pattern in config["pages"]]
    kept = [
        url
        for url in (reverse("children:kader-home"), day, day + "x", "/anak/12/")
        if any(p.match(url) for p in pages)
    ]
    assert kept == ["/kader/", day]
    assert re.match(config["engine_manifest"], reverse("children:offline-manifest"))
    assert re.match(config["engine_documents"], reverse("children:offline-growth-tables", args=["abc"]))
    assert re.match(config["engine_documents"], reverse("children:offline-rules", args=["id", "abc"]))
    assert len(config["version"]) == 16
    assert 'self.addEventListener("fetch"' in rest
    # Every file of the shell exists: one missing file would stop the worker from installing.
    for url in config["shell"]:
        assert client.get(url).status_code == 200, url


def test_the_pages_link_the_manifest_and_the_posyandu_day_carries_the_offline_bar(
    district: DistrictFixture,
) -> None:
    today = timezone.localdate()
    kader = _client(district.users["kader"])
    day = kader.get(reverse("children:posyandu-day", args=[district.posyandu_a1.pk, today.year, today.month]))
    home = kader.get(reverse("children:kader-home"))
    text = day.content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in text
    assert 'data-sync-url="/api/v1/measurements/sync/"' in text
    assert f'data-data-url="{_data_url(district)}"' in text
    assert 'id="offline-messages"' in text
    assert 'data-service-worker="/sw.js"' in home.content.decode()
    assert "data-unsent-count" in home.content.decode()


def test_a_read_only_role_gets_no_offline_bar(district: DistrictFixture) -> None:
    today = timezone.localdate()
    response = _client(district.users["pimpinan"]).get(
        reverse("children:posyandu-day", args=[district.posyandu_a1.pk, today.year, today.month])
    )
    assert response.status_code == 200
    assert "data-offline" not in response.content.decode()
    assert "offline-messages" not in response.content.decode()


def _data_queries(district: DistrictFixture, n: int) -> int:
    today = timezone.localdate()
    ChildFactory.reset_sequence()
    for child in ChildFactory.create_batch(
        n, posyandu=district.posyandu_a1, birth_date=today - datetime.timedelta(days=400)
    ):
        measurement_record(
            user=None,
            child=child,
            measured_on=today - datetime.timedelta(days=35),
            weight_kg=Decimal("8.6"),
            height_cm=Decimal("68.8"),
            position="L",
        )
    Child.objects.exclude(pk__in=Child.objects.order_by("-pk")[:n].values("pk")).delete()
    client = _client(district.users["kader"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(_data_url(district))
    assert len(response.json()["children"]) == n
    return len(queries)


def test_the_data_takes_the_same_number_of_queries_for_one_or_three_children(
    district: DistrictFixture,
) -> None:
    assert _data_queries(district, 1) == _data_queries(district, 3)
