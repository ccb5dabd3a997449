"""The district's uploaded desa map: checking an upload, storing it, and serving its geometry."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from convergence.codes import DESA_LEVELS
from convergence.formatting import fixed
from convergence.models import Region, User
from convergence.scoping import restrict
from convergence.uploads import text_encoding

from .dashboard_access import check_map_upload
from .dashboard_rankings import RankRow
from .models import RegionMap


def map_data(*, region_map: RegionMap | None, desa_rows: list[RankRow]) -> dict[str, Any] | None:
    """Each desa's colour class, title and link, and the URL of the map's geometry; None without a map.

    The polygons are not in the page: the browser fetches them once per map version and keeps them.
    """
    if region_map is None:
        return None
    units = {}
    for row in desa_rows:
        pct = row.pct
        value = _("tanpa data") if pct is None else f"{fixed(pct, 2)}%"
        units[row.code] = {
            "css": row.css,
            "title": f"{row.name}: {value}",
            "href": reverse("reports:region-dashboard", args=[row.url_code]),
        }
    return {"geometry": map_geometry_url(region_map), "units": units}


# --- the map's geometry, served apart -----------------------------------------------------------------

# The geometry of one upload never changes under its version: a browser or proxy keeps it for a year.
GEOMETRY_MAX_AGE_S = 365 * 24 * 3600
# The serialised and compressed file is kept in the cache for a day after last use (a few hundred KB).
GEOMETRY_CACHE_S = 24 * 3600


@dataclass(frozen=True)
class MapGeometry:
    """One upload's polygons as the page fetches them: GeoJSON text, gzipped too, and its version."""

    version: str
    body: bytes
    gzipped: bytes


def _geometry_cache_key(region_map: RegionMap) -> str:
    # uploaded_at changes on every save of the row (auto_now): a new upload, a new key.
    return f"reports:map-geometry:{region_map.pk}:{region_map.uploaded_at.isoformat()}"


def map_geometry(region_map: RegionMap) -> MapGeometry:
    """The map's polygons (properties: the desa code and name only) and a version that is the hash of
    the kabupaten, the region set (codes, names) and the coordinates: a changed map, a new version.

    Built once per upload and cached; reads the row's geojson only on a cache miss.
    """
    key = _geometry_cache_key(region_map)
    found = cache.get(key)
    if isinstance(found, MapGeometry):
        return found
    geojson = RegionMap.objects.values_list("geojson", flat=True).get(pk=region_map.pk)
    features = [
        {
            "type": "Feature",
            "properties": {"code": f["properties"]["code"], "name": f["properties"]["name"]},
            "geometry": f["geometry"],
        }
        for f in geojson.get("features", [])
    ]
    geometry = versioned_geometry(
        {"type": "FeatureCollection", "kabupaten": region_map.kabupaten.code, "features": features}
    )
    cache.set(key, geometry, GEOMETRY_CACHE_S)
    return geometry


def versioned_geometry(collection: dict[str, Any]) -> MapGeometry:
    """A FeatureCollection as the bytes served (compact JSON, keys sorted), gzipped, and their hash as
    the version in the URL, so a changed map is a new URL and an unchanged one stays cached."""
    body = json.dumps(collection, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()
    return MapGeometry(
        version=hashlib.sha256(body).hexdigest()[:20],
        body=body,
        # mtime=0: the same geometry compresses to the same bytes on every worker.
        gzipped=gzip.compress(body, compresslevel=9, mtime=0),
    )


def map_geometry_url(region_map: RegionMap) -> str:
    return reverse("reports:map-geometry", args=[map_geometry(region_map).version])


def region_map_meta(*, user: User, kabupaten: Region) -> RegionMap | None:
    """The kabupaten's map row without its (large) geojson column, for the page and the version."""
    return (
        restrict(RegionMap.objects.filter(kabupaten=kabupaten), user)
        .select_related("kabupaten")
        .defer("geojson")
        .first()
    )


# --- the uploaded map --------------------------------------------------------------------------------

CODE_PROPERTIES = ("kode", "KDEPUM", "kode_desa", "code", "KODE", "kd_desa")
POLYGONS = ("Polygon", "MultiPolygon")
# Coordinates are kept to 5 decimals (about 1 m): finer than any desa boundary drawn at this scale,
# and it keeps the page's map data small.
COORDINATE_DECIMALS = 5


def code_digits(value: object) -> str:
    """A Kemendagri code in any common spelling ('35.10.01.2001', '3510012001', 3510012001) as digits."""
    return re.sub(r"\D", "", str(value)) if value is not None else ""


@dataclass
class MapCheck:
    """What an uploaded GeoJSON holds for the kabupaten: matched features, and what did not match."""

    code_property: str = ""
    features: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    unmatched_features: list[str] = field(default_factory=list)  # "fitur ke-3 (kode 3510099999)"
    missing_desa: list[str] = field(default_factory=list)  # "35.10.02.2001 SAMBIMULYO"

    @property
    def is_valid(self) -> bool:
        return not self.errors


def _round_coordinates(value: Any) -> Any:
    if isinstance(value, list):
        return [_round_coordinates(item) for item in value]
    return round(float(value), COORDINATE_DECIMALS)


def _positions_ok(value: Any, depth: int) -> bool:
    """Polygon coordinates nest 3 deep (rings of [lon, lat]), MultiPolygon 4."""
    if not isinstance(value, list) or not value:
        return False
    if depth == 1:
        return (
            len(value) >= 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value[:2])
            and -180 <= value[0] <= 180
            and -90 <= value[1] <= 90
        )
    return all(_positions_ok(item, depth - 1) for item in value)


def _parse_collection(raw: bytes, check: MapCheck) -> list[Any] | None:
    """The features of an uploaded FeatureCollection, or None with the error added to `check`."""
    try:
        # GIS tools write UTF-8, some with a BOM; a few Windows tools UTF-16 (convergence.uploads).
        data = json.loads(raw.decode(text_encoding(raw[: 1 << 16]), "replace"))
    except (ValueError, RecursionError):  # RecursionError: arrays nested thousands deep
        check.errors.append(_("Berkas bukan JSON yang sah."))
        return None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        check.errors.append(_('Berkas harus berupa GeoJSON dengan type "FeatureCollection".'))
        return None
    features = data.get("features")
    if not isinstance(features, list) or not features:
        check.errors.append(_("FeatureCollection tidak berisi fitur."))
        return None
    return features


def _guess_code_property(properties: list[dict[str, Any]]) -> str:
    """The first of CODE_PROPERTIES that some feature carries ("" when none does)."""
    return next((name for name in CODE_PROPERTIES if any(name in props for props in properties)), "")


def _feature_geometry(feature: Any, number: int, check: MapCheck) -> dict[str, Any] | None:
    """A feature's polygon geometry when well formed, else None with the error added to `check`."""
    geometry = feature.get("geometry") if isinstance(feature, dict) else None
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if not isinstance(geometry, dict) or kind not in POLYGONS:
        check.errors.append(
            _("Fitur ke-%(n)s: geometri %(kind)s; harus Polygon atau MultiPolygon.")
            % {"n": number, "kind": kind or _("kosong")}
        )
        return None
    if not _positions_ok(geometry.get("coordinates"), 3 if kind == "Polygon" else 4):
        check.errors.append(
            _("Fitur ke-%(n)s: koordinat tidak sah (harus bujur, lintang dalam derajat).") % {"n": number}
        )
        return None
    return geometry


def _match_feature(
    *,
    number: int,
    props: dict[str, Any],
    geometry: dict[str, Any],
    check: MapCheck,
    desa: dict[str, tuple[str, str]],
    seen: dict[str, int],
) -> None:
    """Keep one well-formed feature under its desa's dotted code, or record why it was not kept."""
    code_property = check.code_property
    if code_property not in props:
        check.errors.append(
            _('Fitur ke-%(n)s: tidak punya properti "%(property)s".')
            % {"n": number, "property": code_property}
        )
        return
    digits = code_digits(props[code_property])
    if digits not in desa:
        check.unmatched_features.append(
            _("fitur ke-%(n)s (kode %(code)s)") % {"n": number, "code": props[code_property]}
        )
        return
    if digits in seen:
        check.errors.append(
            _("Kode %(code)s muncul di fitur ke-%(first)s dan ke-%(n)s.")
            % {"code": desa[digits][0], "first": seen[digits], "n": number}
        )
        return
    seen[digits] = number
    code, name = desa[digits]
    check.features.append(
        {
            "type": "Feature",
            "properties": {"code": code, "name": name},
            "geometry": {
                "type": geometry["type"],
                "coordinates": _round_coordinates(geometry["coordinates"]),
            },
        }
    )


def geojson_check(*, raw: bytes, code_property: str, desa: dict[str, tuple[str, str]]) -> MapCheck:
    """Check an uploaded file against the kabupaten's desa (`desa`: code digits -> (code, name)).

    Errors stop the upload: not a GeoJSON FeatureCollection, a geometry other than a polygon, no code
    property, a code twice, or no feature matching a desa. Features outside the kabupaten and desa
    without a feature are reported but do not stop it (a map may lag a new desa).
    """
    check = MapCheck()
    features = _parse_collection(raw, check)
    if features is None:
        return check
    properties = [f.get("properties") or {} if isinstance(f, dict) else {} for f in features]
    check.code_property = code_property or _guess_code_property(properties)
    if not check.code_property:
        check.errors.append(
            _("Tidak ada properti kode wilayah (dicoba: %(names)s). Isikan nama propertinya.")
            % {"names": ", ".join(CODE_PROPERTIES)}
        )
        return check
    seen: dict[str, int] = {}
    for number, (feature, props) in enumerate(zip(features, properties, strict=True), start=1):
        geometry = _feature_geometry(feature, number, check)
        if geometry is not None:
            _match_feature(number=number, props=props, geometry=geometry, check=check, desa=desa, seen=seen)
    check.missing_desa = [
        f"{code} {name}" for digits, (code, name) in sorted(desa.items()) if digits not in seen
    ]
    if not check.errors and not check.features:
        check.errors.append(
            _('Tidak satu pun fitur cocok dengan desa/kelurahan kabupaten ini (properti "%(property)s").')
            % {"property": check.code_property}
        )
    return check


def map_desa(*, kabupaten: Region) -> dict[str, tuple[str, str]]:
    """The kabupaten's desa/kelurahan by code digits (one query)."""
    desa: QuerySet[Region] = Region.objects.filter(
        code__startswith=f"{kabupaten.code}.", level__in=[lv.value for lv in DESA_LEVELS]
    )
    return {code_digits(code): (code, name) for code, name in desa.values_list("code", "name")}


def region_map_save(*, user: User, kabupaten: Region, check: MapCheck) -> RegionMap:
    """Store a checked map as the kabupaten's (replacing the previous one)."""
    check_map_upload(user)
    if not check.is_valid:
        raise ValueError("the map did not pass geojson_check")
    with transaction.atomic():
        region_map, _created = RegionMap.objects.update_or_create(
            kabupaten=kabupaten,
            defaults={
                "geojson": {"type": "FeatureCollection", "features": check.features},
                "code_property": check.code_property,
                "feature_count": len(check.features),
                "uploaded_by": user,
            },
        )
    return region_map


def region_map_for(*, user: User, kabupaten: Region) -> RegionMap | None:
    return restrict(RegionMap.objects.filter(kabupaten=kabupaten), user).first()
