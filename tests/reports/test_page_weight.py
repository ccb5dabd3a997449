"""Every dashboard-like page weighs under 300 KB compressed on a district the size of Banyuwangi
(25 kecamatan, 250 desa, a year of summaries) with a realistically detailed desa map: the polygons
travel apart, once, in their own cached file, never inside a page (the issue saw 779 KB of HTML)."""

from __future__ import annotations

import datetime
import gzip
import math

import pytest
from django.test import Client
from django.urls import reverse

from convergence.models import Posyandu, Region
from reports.models import PrevalenceSummary, RegionMap
from tests.factories import DistrictFixture

Row = PrevalenceSummary
KECAMATAN = 25
DESA_PER_KECAMATAN = 10
VERTICES_PER_DESA = 600  # a desa boundary digitised from 1:25.000 maps (BIG) has hundreds of vertices
MONTHS = [datetime.date(2025, month, 1) for month in range(1, 13)]
LIMIT_BYTES = 300 * 1024


def _ring(n: int, lon: float, lat: float) -> list[list[float]]:
    """A wobbly closed ring of `n` vertices around (lon, lat), 5 decimals as stored."""
    points = [
        [
            round(lon + 0.02 * (1 + 0.1 * math.sin(7 * k)) * math.cos(2 * math.pi * k / n), 5),
            round(lat + 0.02 * (1 + 0.1 * math.cos(5 * k)) * math.sin(2 * math.pi * k / n), 5),
        ]
        for k in range(n)
    ]
    return [*points, points[0]]


def _row(
    region: Region,
    level: str,
    period: datetime.date,
    kecamatan: Region | None,
    scale: int,
    kind: str = Row.PeriodKind.MONTH,
) -> Row:
    measured = 40 * scale
    return Row(
        level=level,
        region=region,
        kecamatan=kecamatan,
        period_kind=kind,
        period=period,
        registered=50 * scale,
        measured=measured,
        haz_pendek=measured // 5,
        haz_normal=measured - measured // 5,
        waz_normal=measured,
        whz_gizi_baik=measured,
    )


@pytest.fixture
def banyuwangi(district: DistrictFixture) -> DistrictFixture:
    """Kabupaten 35.10 grown to 25 kecamatan of 10 desa, each with a posyandu, a year of monthly
    summaries at every level, and a map of 250 polygons of VERTICES_PER_DESA vertices."""
    kabupaten = district.kabupaten
    kecamatan = Region.objects.bulk_create(
        Region(code=f"35.10.{n:02d}", name=f"KECAMATAN {n}", level="kecamatan", parent=kabupaten)
        for n in range(11, 11 + KECAMATAN)
    )
    desa = Region.objects.bulk_create(
        Region(code=f"{kec.code}.{2000 + n}", name=f"DESA {kec.code[-2:]}-{n}", level="desa", parent=kec)
        for kec in kecamatan
        for n in range(1, 1 + DESA_PER_KECAMATAN)
    )
    Posyandu.objects.bulk_create(
        Posyandu(desa=d, code="P01", name=f"Posyandu {d.name}", target_balita=50) for d in desa
    )
    by_code = {k.code: k for k in kecamatan}
    rows = []
    for period in MONTHS:
        rows.append(_row(kabupaten, Row.Level.KABUPATEN, period, None, len(desa)))
        rows += [_row(k, Row.Level.KECAMATAN, period, k, DESA_PER_KECAMATAN) for k in kecamatan]
        rows += [_row(d, Row.Level.DESA, period, by_code[d.code[:8]], 1) for d in desa]
    year, kind = MONTHS[0], Row.PeriodKind.YEAR  # the year's rows: the public page publishes them
    rows.append(_row(kabupaten, Row.Level.KABUPATEN, year, None, len(desa), kind))
    rows += [_row(k, Row.Level.KECAMATAN, year, k, DESA_PER_KECAMATAN, kind) for k in kecamatan]
    rows += [_row(d, Row.Level.DESA, year, by_code[d.code[:8]], 1, kind) for d in desa]
    Row.objects.bulk_create(rows)
    features = [
        {
            "type": "Feature",
            "properties": {"code": d.code, "name": d.name},
            "geometry": {
                "type": "Polygon",
                "coordinates": [_ring(VERTICES_PER_DESA, 114.0 + 0.05 * (n % 20), -8.0 - 0.05 * (n // 20))],
            },
        }
        for n, d in enumerate(desa)
    ]
    RegionMap.objects.create(
        kabupaten=kabupaten,
        geojson={"type": "FeatureCollection", "features": features},
        code_property="kode",
        feature_count=len(features),
    )
    return district


def _compressed_size(client: Client, url: str) -> int:
    response = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200, url
    body = response.content
    if response.get("Content-Encoding") != "gzip":  # under 200 bytes Django sends it plain
        body = gzip.compress(body)
    return len(body)


def test_every_dashboard_page_is_under_300_kb_compressed(banyuwangi: DistrictFixture) -> None:
    d = banyuwangi
    bappeda = Client()
    bappeda.force_login(d.users["bappeda_admin"])
    dashboard = bappeda.get(reverse("reports:dashboard"), HTTP_ACCEPT_ENCODING="identity")
    html = dashboard.content.decode()
    assert html.count('data-unit="35.10.') >= 20  # the rankings are full: a realistic page
    assert "coordinates" not in html
    geometry_url = dashboard.context["data"]["map"]["geometry"]
    geometry = bappeda.get(geometry_url, HTTP_ACCEPT_ENCODING="gzip")
    raw = gzip.decompress(geometry.content)
    # The map is realistically heavy (about as large as the page), yet apart from every page.
    assert len(raw) > 2_000_000
    assert len(geometry.content) < len(raw) / 2

    posyandu = Posyandu.objects.filter(desa__code="35.10.11.2001").get()
    pages = {
        "dashboard": reverse("reports:dashboard"),
        "drill-down kabupaten": reverse("reports:bappeda"),
        "drill-down kecamatan": reverse("reports:region-dashboard", args=["35.10.11"]),
        "drill-down desa": reverse("reports:region-dashboard", args=["35.10.11.2001"]),
        "drill-down posyandu": reverse("reports:posyandu-dashboard", args=[posyandu.pk]),
        "ranking kecamatan": f"{reverse('reports:ranking')}?tingkat=kecamatan",
        "ranking desa": f"{reverse('reports:ranking')}?tingkat=desa",
        "kualitas-data": reverse("reports:data-quality"),
        "PMT": reverse("interventions:pmt-report", args=[2025]),
        "public": reverse("reports:publication", kwargs={"code": "35.10", "year": 2025}),
    }
    sizes = {name: _compressed_size(bappeda, url) for name, url in pages.items()}
    assert {name: size for name, size in sizes.items() if size >= LIMIT_BYTES} == {}
    # Without the geometry the head page is a small fraction of the limit.
    assert sizes["dashboard"] < LIMIT_BYTES / 4, sizes
