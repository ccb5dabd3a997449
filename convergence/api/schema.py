"""The OpenAPI schema's error answers: the one problem body, documented once, referenced everywhere.

Each operation gets the error statuses it can really answer: 401 and 403 behind authentication, 404
with a path parameter, 400 for a body or query parameters, 409 on writes, 429 where a throttle applies. An operation may still override a status with @extend_schema.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from convergence.api.errors import NON_FIELD


class ProblemErrorSerializer(serializers.Serializer):
    """One problem with one value."""

    field = serializers.CharField(help_text=f"Dotted path of the field; `{NON_FIELD}` for the whole item.")
    code = serializers.CharField(
        help_text="Stable code, e.g. required, invalid, max_value, needs_confirmation."
    )
    detail = serializers.CharField(help_text="The message, in the request's language.")
    index = serializers.IntegerField(required=False, help_text="Position of the item in a batch request.")


class ProblemSerializer(serializers.Serializer):
    """Every 4xx answer of the API (RFC 9457 problem details, with `code` and `errors`)."""

    type = serializers.CharField(help_text='Always "about:blank": `code` says what happened.')
    title = serializers.CharField(help_text="The HTTP status phrase.")
    status = serializers.IntegerField()
    code = serializers.CharField(
        help_text="invalid, needs_confirmation, not_authenticated, authentication_failed, permission_denied, "
        "not_found, method_not_allowed, conflict, precondition_failed, throttled, ..."
    )
    detail = serializers.CharField(help_text="What went wrong, in the request's language.")
    errors = ProblemErrorSerializer(many=True, required=False)


_WRITES = {"POST", "PUT", "PATCH", "DELETE"}


class AutoSchema(SpectacularAutoSchema):
    def _error_statuses(self) -> list[str]:
        statuses = ["400"] if self.method in _WRITES or self.method == "GET" else []
        public = all(isinstance(permission, AllowAny) for permission in self.view.get_permissions())
        if not public:
            statuses += ["401", "403"]
        if "{" in self.path:
            statuses.append("404")
        if self.method in _WRITES and hasattr(self.view, "get_queryset"):
            statuses.append("409")
        if self.view.get_throttles():
            statuses.append("429")
        return statuses

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for status_code in self._error_statuses():
            if status_code not in responses:
                responses[status_code] = self._get_response_for_code(ProblemSerializer, status_code)
        return responses
