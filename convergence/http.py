"""Request types for views that only a logged-in user reaches.

Django and DRF type `request.user` as `User | AnonymousUser`; behind `login_required`, `LoginRequiredMixin`
or an `IsAuthenticated` permission it is always a `User`. Annotating such a view's request with these
types says so once, instead of a cast or an ignore at every `request.user`. They are annotations only: at
run time the request is Django's or DRF's own object.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from rest_framework.request import Request

from convergence.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """The request of a page behind `login_required` / `LoginRequiredMixin`."""

    user: User


class AuthenticatedRequest(Request):
    """The request of an API view whose permission classes require a logged-in user."""

    user: User


def request_user(request: HttpRequest | Request) -> User:
    """The logged-in user of a request whose view signature is fixed by its base class (admin, DRF hooks).

    PermissionDenied for an anonymous request: reaching here without a login is a wiring mistake, and a
    403 is the safe answer to it.
    """
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user
