"""The OpenAPI schema's error answers: the one problem body, documented once, referenced everywhere.

Each operation gets the error statuses it can really answer: 401 and 403 behind authentication, 404
with a path parameter, 400 for a body or query parameters, 409 on writes, 429 where a throttle applies. An operation may still override a status with @extend_schema.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from django.utils import translation
from drf_spectacular import generators
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from convergence.api.conditional import ConditionalMixin
from convergence.api.errors import NON_FIELD

# The language of the schema's texts (help_text, labels, enum labels are gettext_lazy): one schema for
# every client, whatever its Accept-Language, so generated class names and docs never change with it.
SCHEMA_LANGUAGE = "en"


class SchemaGenerator(generators.SchemaGenerator):
    """drf-spectacular's generator, in SCHEMA_LANGUAGE whatever the request's language."""

    def get_schema(self, request: Any = None, public: bool = False) -> dict[str, Any]:
        with translation.override(SCHEMA_LANGUAGE):
            return super().get_schema(request=request, public=public)


# Response headers of rate-limited operations (convergence.ratelimit.rate_limit_headers).
RATE_LIMIT_HEADERS = {
    "X-RateLimit-Limit": "Requests allowed in the current window.",
    "X-RateLimit-Remaining": "Requests left in the current window.",
    "X-RateLimit-Reset": "Seconds until the current window ends and the count starts again.",
}


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
    # A field named like Serializer.errors: the declared field wins at run time, the stubs see the property.
    errors = ProblemErrorSerializer(many=True, required=False)  # type: ignore[assignment]


_WRITES = {"POST", "PUT", "PATCH", "DELETE"}


_ACTION_VERBS = {
    "retrieve": "Retrieve",
    "create": "Create",
    "update": "Update",
    "partial_update": "Partially update",
    "destroy": "Delete",
}
_METHOD_VERBS = {"GET": "Retrieve", "POST": "Create", "PUT": "Update", "PATCH": "Partially update"}
_VERSION = re.compile(r"v[0-9]+")
_ACRONYMS = {"opd", "pmt", "ttd", "kk", "nik", "kpm", "tpk", "tpps", "api", "id"}


def _words(text: str) -> str:
    words = re.split(r"[-_\s]+", text.strip())
    return " ".join(word.upper() if word.lower() in _ACRONYMS else word for word in words if word)


def _a(noun: str) -> str:
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def _first_line(doc: str | None) -> str:
    """A docstring's first sentence when it is short enough for a summary."""
    line = (doc or "").strip().split("\n")[0].strip()
    sentence = re.split(r"(?<=[a-z])\. |[:;(]", line)[0].rstrip(". ")
    return sentence if 0 < len(sentence) <= 60 else ""


def rate_limited(view: Any) -> bool:
    """Whether a view (or its current action) is rate limited: DRF throttles, or `rate_limited_actions`."""
    return bool(view.get_throttles()) or getattr(view, "action", None) in getattr(
        view, "rate_limited_actions", ()
    )


ETAG_HEADER = {
    "schema": {"type": "string"},
    "description": "Strong validator of the record's detail representation for this caller; send it "
    "back in If-Match when writing the record, or in If-None-Match to revalidate a cached copy.",
}
_CONDITIONAL_WRITES = {"update", "partial_update", "destroy"}


class AutoSchema(SpectacularAutoSchema):
    def _conditional(self) -> str | None:
        """ "read" or "write" on a detail operation of a view with ETags (convergence.api.conditional)."""
        if not isinstance(self.view, ConditionalMixin):
            return None
        action = getattr(self.view, "action", None)
        if action == "retrieve":
            return "read"
        return "write" if action in _CONDITIONAL_WRITES else None

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        conditional = self._conditional()
        if conditional == "read":
            parameters.append(
                OpenApiParameter(
                    "If-None-Match",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    description="ETags of a cached copy: 304 without a body when one is current.",
                )
            )
        elif conditional == "write":
            parameters.append(
                OpenApiParameter(
                    "If-Match",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    description="The ETag read with the record (or `*`). Recommended: a record changed "
                    "since then is not written and the answer is 412. Without it the write always applies.",
                )
            )
        return parameters

    def get_summary(self) -> str | None:
        """A short English phrase from the verb and the resource ("List children", "Retrieve a child")
        when the operation names none."""
        action = getattr(self.view, "action", None)
        path = " ".join(_words(token) for token in self._tokenize_path() if not _VERSION.fullmatch(token))
        basename = getattr(self.view, "basename", None)
        if action is None or basename is None:
            doc = _first_line(getattr(getattr(self.view, self.method.lower(), None), "__doc__", ""))
            return doc or f"{_METHOD_VERBS.get(self.method, 'Delete')} {path or 'the API root'}"
        singular = _words(basename)
        if action == "list":
            return f"List {path}"
        if action in _ACTION_VERBS:
            return f"{_ACTION_VERBS[action]} {_a(singular)}"
        doc = _first_line(getattr(getattr(self.view, action, None), "__doc__", ""))
        if " " in doc:
            return doc
        name = _words(action)
        if "{" not in self.path:
            return f"{name.capitalize()} ({path})"
        if self.method == "GET":
            return f"List the {name} of {_a(singular)}"
        return f"{name.capitalize()} {'of ' if ' ' in name else ''}{_a(singular)}"

    def get_filter_backends(self) -> list[Any]:
        # A custom action (a look-up, a record's visits) does not filter or sort its own answer.
        if getattr(self.view, "action", "list") not in ("list", None):
            return []
        return super().get_filter_backends()

    def get_auth(self) -> list[dict[str, Any]]:
        # A view without authentication (the token endpoint) needs none: no security requirement at all.
        if not self.view.get_authenticators():
            return []
        return super().get_auth()

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        # Say "public" explicitly (`security: []`): an absent requirement reads as "forgotten" to linters.
        if operation is not None and "security" not in operation:
            operation["security"] = []
        return operation

    def _get_response_headers_for_code(self, status_code: Any, direction: str = "response") -> dict[str, Any]:
        headers = super()._get_response_headers_for_code(status_code, direction)
        conditional = self._conditional()
        if str(status_code) in ("200", "304") and (
            conditional == "read" or (conditional == "write" and self.method != "DELETE")
        ):
            headers.setdefault("ETag", ETAG_HEADER)
        if rate_limited(self.view):
            for name, description in RATE_LIMIT_HEADERS.items():
                headers.setdefault(name, {"schema": {"type": "integer"}, "description": description})
        return headers

    def _error_statuses(self) -> list[str]:
        statuses = ["400"] if self.method in _WRITES or self.method == "GET" else []
        public = all(isinstance(permission, AllowAny) for permission in self.view.get_permissions())
        if not public:
            statuses += ["401", "403"]
        if "{" in self.path:
            statuses.append("404")
        if self.method in _WRITES and hasattr(self.view, "get_queryset"):
            statuses.append("409")
        if self._conditional() == "write":
            statuses.append("412")
        if rate_limited(self.view):
            statuses.append("429")
        return statuses

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        if self._conditional() == "read" and "304" not in responses:
            responses["304"] = {
                "headers": {"ETag": ETAG_HEADER},
                "description": "Not modified: the If-None-Match named the current ETag.",
            }
        for status_code in self._error_statuses():
            if status_code not in responses:
                responses[status_code] = self._get_response_for_code(ProblemSerializer, status_code)
        return responses


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"].rsplit("/", 1)[-1]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def postprocess_unused_components(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Drop schema components nothing refers to: COMPONENT_SPLIT_REQUEST writes a `*Request` twin of
    every nested serializer, also of read-only ones no request carries, and unused names mislead clients."""
    schemas = result.get("components", {}).get("schemas", {})
    used = set(_refs(result.get("paths", {})))
    pending = list(used)
    while pending:
        for name in _refs(schemas.get(pending.pop(), {})):
            if name not in used:
                used.add(name)
                pending.append(name)
    for name in [name for name in schemas if name not in used]:
        del schemas[name]
    return result
