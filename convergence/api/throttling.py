"""Rate-limit headers on the API's rate-limited operations (the token endpoint, the NIK/KK look-ups)."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from convergence.ratelimit import Verdict, rate_limit_headers

_VERDICT = "_rate_limit_verdict"


def verdict_remember(*, request: Request, verdict: Verdict) -> None:
    """Keep the request's counted event for its response headers (also on a 429)."""
    setattr(request._request, _VERDICT, verdict)


class RateLimitHeadersMixin:
    """Adds X-RateLimit-* to every answer of a request whose event was counted (verdict_remember)."""

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        verdict = getattr(request._request, _VERDICT, None)
        if verdict is not None:
            for name, value in rate_limit_headers(verdict).items():
                response[name] = value
        return response
