"""The dashboard map's geometry: served apart from the page, versioned, cached by the browser."""

from __future__ import annotations

import gzip
import json

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from reports import dashboard
from reports.models import RegionMap
from tests.factories import DistrictFixture

ROLES = ["bappeda_admin", "pimpinan", "opd_officer", "puskesmas_officer", "kader", "kpm", "no_role"]


def _square(code: str, lon: float) -> dict:
    ring = [[lon, -8.5], [lon + 0.1, -8.5], [lon + 0.1, -8.4], [lon, -8.5]]
    return {
        "type": "Feature",
        "properties": {"code": code, "name": f"DESA {code}"},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def mapped(district: DistrictFixture) -> DistrictFixture:
    """The kabupaten's map: desa A1 and B1 as squares."""
    RegionMap.objects.create(
        kabupaten=district.kabupaten,
        geojson={
            "type": "FeatureCollection",
            "features": [_square("35.10.01.2001", 114.1), _square("35.10.02.2001", 114.3)],
        },
        code_property="kode",
        feature_count=2,
    )
    return district


def _geometry_url(client: Client) -> str:
    page = client.get(reverse("reports:dashboard"))
    assert page.status_code == 200
    return str(page.context["data"]["map"]["geometry"])


def test_it_keeps_the_polygons_out_of_the_page(mapped: DistrictFixture) -> None:
    client = _client(mapped.users["pimpinan"])
    page = client.get(reverse("reports:dashboard"))
    html = page.content.decode()
    assert 'id="desa-map"' in html
    assert "coordinates" not in html
    assert "114.1" not in html
    url = page.context["data"]["map"]["geometry"]
    version = dashboard.map_geometry(
        dashboard.region_map_meta(user=mapped.users["pimpinan"], kabupaten=mapped.kabupaten)
    ).version  # type: ignore[arg-type]
    assert url == reverse("reports:map-geometry", args=[version])


def test_it_serves_the_geometry_gzipped_with_a_long_cache(mapped: DistrictFixture) -> None:
    client = _client(mapped.users["pimpinan"])
    url = _geometry_url(client)
    response = client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert response["Content-Type"] == "application/geo+json"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Accept-Encoding" in response["Vary"]
    body = json.loads(gzip.decompress(response.content))
    assert [f["properties"] for f in body["features"]] == [
        {"code": "35.10.01.2001", "name": "DESA 35.10.01.2001"},
        {"code": "35.10.02.2001", "name": "DESA 35.10.02.2001"},
    ]
    assert response["ETag"] == f'"{url.rsplit("/", 1)[1].removesuffix(".geojson")}"'
    plain = client.get(url)
    assert "Content-Encoding" not in plain
    assert json.loads(plain.content) == body


def test_it_answers_304_to_a_browser_that_holds_the_version(mapped: DistrictFixture) -> None:
    client = _client(mapped.users["pimpinan"])
    url = _geometry_url(client)
    etag = client.get(url)["ETag"]
    response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert client.get(url, HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_it_changes_the_version_when_the_geometry_changes(mapped: DistrictFixture) -> None:
    client = _client(mapped.users["bappeda_admin"])
    before = _geometry_url(client)
    region_map = RegionMap.objects.get()
    region_map.geojson["features"][0]["geometry"]["coordinates"][0][0] = [114.15, -8.5]
    region_map.save()
    cache.clear()  # the page itself is cached until the summaries change; the geometry URL is not
    after = _geometry_url(client)
    assert after != before
    # A page assembled before the upload is sent on to the current geometry.
    moved = client.get(before)
    assert (moved.status_code, moved["Location"]) == (302, after)
    assert "no-cache" in moved["Cache-Control"]


def test_it_keeps_the_version_when_nothing_changed(mapped: DistrictFixture) -> None:
    client = _client(mapped.users["bappeda_admin"])
    before = _geometry_url(client)
    cache.clear()
    assert _geometry_url(client) == before


@pytest.mark.parametrize("role", ROLES)
def test_only_the_dashboard_readers_get_the_geometry(mapped: DistrictFixture, role: str) -> None:
    url = _geometry_url(_client(mapped.users["pimpinan"]))
    response = _client(mapped.users[role]).get(url)
    assert response.status_code == (200 if role in {"bappeda_admin", "pimpinan"} else 403)


def test_an_anonymous_reader_is_sent_to_the_login(mapped: DistrictFixture) -> None:
    url = _geometry_url(_client(mapped.users["pimpinan"]))
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_district_without_a_map_has_no_geometry(district: DistrictFixture) -> None:
    client = _client(district.users["pimpinan"])
    assert client.get(reverse("reports:dashboard")).context["data"]["map"] is None
    assert client.get(reverse("reports:map-geometry", args=["abc"])).status_code == 404
