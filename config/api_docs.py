"""The interactive API documentation (Swagger UI) under the Content-Security-Policy."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework.response import Response


class APIDocsView(SpectacularSwaggerSplitView):
    """Swagger UI with its start-up script served as a file (`?script`) and no inline style block."""

    template_name = "convergence/api_docs.html"

    @extend_schema(exclude=True)
    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Response:
        response = super().get(request, *args, **kwargs)
        # The start-up script carries the visitor's CSRF token: no other site may load it as a script.
        response["Cross-Origin-Resource-Policy"] = "same-origin"
        return response
