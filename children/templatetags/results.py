"""The actions later apps add under a measurement result (children.panels.result_actions)."""

from __future__ import annotations

from typing import Any

from django import template

from children.models import Measurement
from children.panels import ChildPanel, result_actions

register = template.Library()


@register.simple_tag(takes_context=True)
def measurement_actions(context: dict[str, Any], measurement: Measurement | None) -> list[ChildPanel]:
    """The actions the page's user may take on `measurement` (none without a logged-in user)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if measurement is None or user is None or not user.is_authenticated:
        return []
    return result_actions(user=user, measurement=measurement)
