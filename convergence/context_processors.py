from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from convergence.navigation import menu_for_user


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The menu of the signed-in user's role."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"menu": []}
    return {"menu": menu_for_user(user)}
