"""Kabupaten outlines from their desa polygons, for the province map. Pure: no Django, no I/O.

A district's uploaded map is one GIS layer: neighbouring desa share their boundary vertices exactly
(coordinates are rounded once, on upload). Every edge two desa share is inside the kabupaten and
cancels out; the edges left are its outline, chained back into rings. Where two desa do not share an
edge exactly (a sliver, a gap), both edges stay: the outline shows the seam, it never loses land.
"""

from __future__ import annotations

import itertools
from typing import Any

Point = tuple[float, float]
Ring = list[Point]


def _polygon_rings(geometry: dict[str, Any]) -> list[list[Any]]:
    """Every ring (exteriors and holes) of a GeoJSON Polygon or MultiPolygon."""
    if geometry.get("type") == "Polygon":
        return list(geometry.get("coordinates") or [])
    return [ring for polygon in geometry.get("coordinates") or [] for ring in polygon]


def _edges(geometries: list[dict[str, Any]]) -> dict[tuple[Point, Point], int]:
    """Undirected edges (lower point first) with how often they occur over all rings."""
    seen: dict[tuple[Point, Point], int] = {}
    for geometry in geometries:
        for ring in _polygon_rings(geometry):
            points = [(float(p[0]), float(p[1])) for p in ring]
            for a, b in itertools.pairwise(points):
                if a != b:
                    key = (a, b) if a < b else (b, a)
                    seen[key] = seen.get(key, 0) + 1
    return seen


def _chain(edges: list[tuple[Point, Point]]) -> list[Ring]:
    """Closed rings walked through the edges; each edge used once. At a point where the outline
    touches itself any unused edge is taken: the rings stay closed, which is all the fill needs."""
    neighbours: dict[Point, list[Point]] = {}
    for a, b in edges:
        neighbours.setdefault(a, []).append(b)
        neighbours.setdefault(b, []).append(a)
    used: set[tuple[Point, Point]] = set()
    rings: list[Ring] = []
    for a, b in edges:
        if (a, b) in used:
            continue
        ring, current = [a], b
        used.add((a, b))
        while current != a:
            ring.append(current)
            step = next(
                (
                    n
                    for n in neighbours[current]
                    if ((current, n) if current < n else (n, current)) not in used
                ),
                None,
            )
            if step is None:  # an open chain (a broken upload): closed where it stops
                break
            used.add((current, step) if current < step else (step, current))
            current = step
        if len(ring) >= 3:
            rings.append([*ring, ring[0]])
    return rings


def _inside(point: Point, ring: Ring) -> bool:
    """Ray casting: whether `point` lies inside the closed `ring`."""
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _probe(ring: Ring) -> Point:
    """A point of the ring's first edge (its middle): off every other ring unless two rings touch."""
    (x1, y1), (x2, y2) = ring[0], ring[1]
    return ((x1 + x2) / 2, (y1 + y2) / 2)


def outline(geometries: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The outline of the union of `geometries` (desa Polygons/MultiPolygons) as a GeoJSON MultiPolygon:
    each ring inside an odd number of others is a hole of the smallest ring around it. None when
    nothing is left (no polygon given)."""
    edges = [key for key, times in _edges(geometries).items() if times % 2 == 1]
    rings = _chain(edges)
    if not rings:
        return None
    probes = [_probe(ring) for ring in rings]
    around = [
        [j for j, other in enumerate(rings) if j != i and _inside(probes[i], other)]
        for i in range(len(rings))
    ]
    depth = [len(a) for a in around]
    polygons: dict[int, list[Ring]] = {i: [ring] for i, ring in enumerate(rings) if depth[i] % 2 == 0}
    for i, ring in enumerate(rings):
        if depth[i] % 2 == 1:
            # The ring directly around a hole is the deepest of those around it.
            parent = max(around[i], key=lambda j: depth[j])
            polygons.setdefault(parent, [rings[parent]]).append(ring)
    return {
        "type": "MultiPolygon",
        "coordinates": [[[list(p) for p in r] for r in polygon] for _i, polygon in sorted(polygons.items())],
    }
