"""Aggregates only: the province and national roles walk every page and API endpoint of the URL conf and
read no named record. Every answer is a 403/404, a redirect, or a page without a single name, NIK or KK
number of the seeded registry (children, families, mothers, pregnancies, deliveries, referrals)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from children import pii
from children.models import AdolescentGirl, Child, Keluarga, Person, Pregnancy
from convergence.models import Posyandu
from interventions import services as intervention_services
from interventions.models import Delivery
from tests.interventions.conftest import KK_BUDI, NIK, TODAY, Village, delivered, village  # noqa: F401

# Distinctive names, so a hit is a leak and not a word of the page.
SECRET_NAMES = [
    "Hartonokusumo Wibisono",
    "Sulastriningsih",
    "Keluarga Budi",
    "Keluarga Sari",
    "Keluarga Tono",
]
GIRL_NIK = "3510015505110004"
SECRETS = [*SECRET_NAMES, *NIK.values(), KK_BUDI, GIRL_NIK]
# A NIK or KK number: sixteen digits standing alone.
NIK_LIKE = re.compile(r"(?<![\w.])\d{16}(?![\w.])")
# Answers a page or endpoint may give these roles: refused, not found, not allowed, sent elsewhere, or
# (for the aggregates and the public pages) a page, checked for names below. 400: an API filter rejects
# the probing query parameter; never a 5xx.
ALLOWED = {200, 302, 400, 403, 404, 405}
# Not walked: sign-in and -out, the language switch, the admin (its own scope tests), the API docs.
SKIPPED = re.compile(r"^(masuk/|keluar/|i18n/|admin/|api/docs/|api/schema/)")
# The registry lists of the API: empty or refused for these roles.
REGISTRY_API = [
    "/api/v1/children/",
    "/api/v1/persons/",
    "/api/v1/keluarga/",
    "/api/v1/measurements/",
    "/api/v1/pregnancies/",
    "/api/v1/adolescent-girls/",
    "/api/v1/duplicates/",
    "/api/v1/deliveries/",
    "/api/v1/referrals/",
    "/api/v1/pmt-enrolments/",
]


def _walk(
    patterns: list[Any], prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = (
                f"{namespace}:{pattern.namespace}" if namespace and pattern.namespace else pattern.namespace
            )
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner or namespace)
        elif pattern.name:
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield prefix + str(pattern.pattern), name, pattern


def _kwarg_names(route: str) -> list[str]:
    return re.findall(r"<(?:\w+:)?(\w+)>", route) + re.findall(r"\(\?P<(\w+)>", route)


@pytest.fixture
def world(delivered: Village) -> dict[str, Any]:  # noqa: F811
    district = delivered.district
    desa = district.desa_a1
    child = Child.objects.create(
        name="Hartonokusumo Wibisono",
        sex="L",
        birth_date=datetime.date(2024, 3, 10),
        posyandu=district.posyandu_a1,
        desa=desa,
        keluarga=delivered.families["budi"],
    )
    girl = Person.objects.create(
        name="Sulastriningsih",
        sex="P",
        birth_date=datetime.date(2011, 5, 15),
        desa=desa,
        nik_hash=pii.nik_hash(GIRL_NIK),
        nik_encrypted=pii.encrypt(GIRL_NIK),
    )
    adolescent = AdolescentGirl.objects.create(person=girl, school_name="SMPN 1")
    referral = intervention_services.referral_create(
        user=district.users["bappeda_admin"],
        intervention=delivered.interventions["AIR"],
        subject=delivered.families["tono"],
        reason="Sumur tercemar",
        due_date=datetime.date(2026, 2, 1),
        today=TODAY,
    )
    ids = {
        *Child.objects.values_list("pk", flat=True),
        *Person.objects.values_list("pk", flat=True),
        *Keluarga.objects.values_list("pk", flat=True),
        *Pregnancy.objects.values_list("pk", flat=True),
        *Delivery.objects.values_list("pk", flat=True),
        adolescent.pk,
        referral.pk,
        child.pk,
    }
    return {"district": district, "ids": sorted(ids), "posyandu": Posyandu.objects.order_by("pk").first()}


def _urls(world: dict[str, Any]) -> Iterator[str]:
    """Every named URL of the URL conf, once per seeded id for those addressing a record."""
    district = world["district"]
    values: dict[str, list[Any]] = {
        "pk": world["ids"],
        "posyandu_pk": [world["posyandu"].pk],
        "code": ["35", "35.10", district.desa_a1.code],
        "kab_code": ["35.10"],
        "year": [2025],
        "month": [12],
        "number": [1],
        "version": ["1"],
        "language": ["id"],
    }
    for route, name, _pattern in _walk(get_resolver().url_patterns):
        if SKIPPED.match(route):
            continue
        names = _kwarg_names(route)
        if "format" in names:
            continue  # the same views as without the suffix
        if not names:
            yield reverse(name)
            continue
        first, *rest = names
        for value in values[first]:
            kwargs = {first: value, **{key: values[key][0] for key in rest}}
            yield reverse(name, kwargs=kwargs)


@pytest.mark.parametrize("role", ["bappeda_provinsi", "nasional"])
def test_no_name_or_nik_reaches_the_aggregate_roles_anywhere(world: dict[str, Any], role: str) -> None:
    user = world["district"].users[role]
    client = Client(HTTP_ACCEPT_LANGUAGE="id")
    client.force_login(user)
    leaks, failures, walked = [], [], 0
    for url in _urls(world):
        queries: list[dict[str, str]] = [{}]
        if "cari" in url or url.endswith(("/anak/", "/penduduk/", "/keluarga/", "/kehamilan/", "/remaja/")):
            # Searches and lists, asked for a seeded name and NIK.
            queries += [{"q": "Hartonokusumo"}, {"q": NIK["ayu"]}, {"nik": NIK["ayu"]}]
        for query in queries:
            response = client.get(url, query)
            walked += 1
            if response.status_code not in ALLOWED:
                failures.append((url, query, response.status_code))
            body = b"".join(response.streaming_content) if response.streaming else response.content
            text = body.decode("utf-8", errors="replace")
            # What the page echoes of the query (the search box, the pager links) is not a leak.
            sent = set(query.values())
            leaks += [(url, query, secret) for secret in SECRETS if secret in text and secret not in sent]
            leaks += [(url, query, number) for number in NIK_LIKE.findall(text) if number not in sent]
    assert (leaks, failures) == ([], [])
    assert walked > 150  # the walk reached the registry, interventions, reports and the API


@pytest.mark.parametrize("role", ["bappeda_provinsi", "nasional"])
def test_the_registry_lists_of_the_api_are_empty_or_refused(world: dict[str, Any], role: str) -> None:
    api = APIClient()
    api.force_authenticate(world["district"].users[role])
    answers = {}
    for url in REGISTRY_API:
        response = api.get(url)
        answers[url] = response.status_code if response.status_code != 200 else response.json()["count"]
    assert {url: answer for url, answer in answers.items() if answer not in (0, 403, 404)} == {}


@pytest.mark.parametrize("role", ["bappeda_provinsi", "nasional"])
def test_exports_give_the_aggregate_roles_no_name_or_nik(world: dict[str, Any], role: str) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="id")
    client.force_login(world["district"].users[role])
    for layout in ("eppgbm", "anak", "keluarga"):
        response = client.get(reverse("children:export"), {"layout": layout, "format": "csv"})
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode("utf-8", errors="replace")
        assert response.status_code in (200, 403, 404)
        assert ([secret for secret in SECRETS if secret in text], NIK_LIKE.findall(text)) == ([], [])
