"""Reading the API's one error body (convergence.api.errors) in tests."""

from __future__ import annotations

from typing import Any


def field_errors(response: Any) -> dict[str, list[str]]:
    """The problem body's per-field messages as {field: [detail, ...]}, after checking its shape."""
    body = response.json()
    assert set(body) >= {"type", "title", "status", "code", "detail"}, body
    assert body["status"] == response.status_code
    out: dict[str, list[str]] = {}
    for error in body.get("errors", []):
        out.setdefault(error["field"], []).append(error["detail"])
    return out
