"""The province map: each kabupaten's outline dissolved from its uploaded desa map (reports.dissolve),
served apart from the page under a version, like the kabupaten's desa map (reports.dashboard_map).

Only the kabupaten outlines leave the server, with the kabupaten's code and name: no desa boundary.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.urls import reverse
from django.utils.translation import gettext as _

from convergence.formatting import fixed

from .dashboard_map import GEOMETRY_CACHE_S, MapGeometry, versioned_geometry
from .dissolve import outline
from .models import RegionMap


@dataclass(frozen=True)
class MapUnit:
    code: str
    name: str
    pct: float | None
    css: str
    href: str


@dataclass(frozen=True)
class ProvinceMap:
    """The map block of the province page: where the outlines are, how each kabupaten is coloured and
    linked, and the kabupaten without an uploaded map (listed, never hidden)."""

    geometry_url: str | None
    units: list[MapUnit]
    unmapped: list[MapUnit]

    def data(self) -> dict[str, Any]:
        units = {}
        for unit in self.units:
            value = _("tanpa data") if unit.pct is None else f"{fixed(unit.pct, 2)}%"
            units[unit.code] = {"css": unit.css, "title": f"{unit.name}: {value}", "href": unit.href}
        return {"geometry": self.geometry_url, "units": units}


def map_uploads(*, kabupaten_codes: list[str]) -> dict[str, datetime.datetime]:
    """When each kabupaten's map was last uploaded (one query, without the geojson column).

    The province reads no desa figure from it, only the outline built from it."""
    rows = RegionMap.objects.filter(kabupaten__code__in=kabupaten_codes).values_list(
        "kabupaten__code", "uploaded_at"
    )
    return dict(rows)


def _cache_key(province_code: str, uploads: dict[str, datetime.datetime]) -> str:
    stamp = ",".join(f"{code}@{at.isoformat()}" for code, at in sorted(uploads.items()))
    digest = hashlib.blake2b(stamp.encode(), digest_size=10).hexdigest()
    return f"reports:province-geometry:{province_code}:{digest}"


def province_geometry(*, province_code: str, uploads: dict[str, datetime.datetime]) -> MapGeometry | None:
    """The outlines of the kabupaten with a map (properties: code and name), built once per set of
    uploads and cached; None when no kabupaten of the province has one."""
    if not uploads:
        return None
    key = _cache_key(province_code, uploads)
    found = cache.get(key)
    if isinstance(found, MapGeometry):
        return found
    features = []
    rows = RegionMap.objects.filter(kabupaten__code__in=list(uploads)).values_list(
        "kabupaten__code", "kabupaten__name", "geojson"
    )
    for code, name, geojson in sorted(rows):
        shape = outline([f["geometry"] for f in (geojson or {}).get("features", [])])
        if shape is not None:
            features.append(
                {"type": "Feature", "properties": {"code": code, "name": name}, "geometry": shape}
            )
    geometry = versioned_geometry(
        {"type": "FeatureCollection", "provinsi": province_code, "features": features}
    )
    cache.set(key, geometry, GEOMETRY_CACHE_S)
    return geometry


def province_map(
    *, province_code: str, units: list[MapUnit], uploads: dict[str, datetime.datetime]
) -> ProvinceMap:
    geometry = province_geometry(province_code=province_code, uploads=uploads)
    url = (
        reverse("reports:province-map-geometry", args=[province_code, geometry.version])
        if geometry is not None
        else None
    )
    return ProvinceMap(
        geometry_url=url,
        units=units,
        unmapped=[unit for unit in units if unit.code not in uploads],
    )
