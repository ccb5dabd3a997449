"""The actions later apps add under a measurement result (children.panels.result_actions)."""

from __future__ import annotations

from typing import Any

from django import template

from children.models import Measurement
from children.panels import ChildPanel, result_actions

register = template.Library()


@register.simple_tag(takes_context=True)
def measurement_actions(context: dict[str, Any], measurement: Measurement | None) -> list[ChildPanel]:
    """The actions the page's user may take on `measurement` (none without a logged-in user).

    A list page computes them for all its rows at once (context "result_actions", from
    children.panels.result_actions); a page of one result lets the tag ask for that one.
    """
    if measurement is None:
        return []
    prepared = context.get("result_actions")
    if isinstance(prepared, dict):
        return list(prepared.get(measurement.pk, []))
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    return result_actions(user=user, measurements=[measurement]).get(measurement.pk, [])
