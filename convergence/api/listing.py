"""Listing conventions of the API: page size, ordering, and a 400 for query parameters it does not know.

The parameters an operation knows are the ones its OpenAPI operation documents (filters, pagination,
ordering, @extend_schema parameters), so what the schema says and what the server accepts cannot drift.

This module is imported while DRF defines APIView (DEFAULT_CONTENT_NEGOTIATION_CLASS): everything that
imports rest_framework.views is imported inside the functions.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import models
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from rest_framework import exceptions, filters, pagination
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request

MAX_PAGE_SIZE = 1000
# Always accepted: DRF's response format override (`?format=json`).
ALWAYS_KNOWN = frozenset({"format"})


class Pagination(pagination.PageNumberPagination):
    """Pages of PAGE_SIZE (50); `page_size` asks for 1 to 1,000, anything else is a 400 (a larger size is
    refused rather than capped: a client counting on its page size would otherwise miss rows)."""

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request: Request) -> int | None:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if size < 1:
            raise exceptions.ValidationError(
                {self.page_size_query_param: [_("Masukkan bilangan bulat positif.")]}, code="invalid"
            )
        if size > MAX_PAGE_SIZE:
            raise exceptions.ValidationError(
                {
                    self.page_size_query_param: [
                        _("Paling banyak %(max)s per halaman.") % {"max": MAX_PAGE_SIZE}
                    ]
                },
                code="max_value",
            )
        return size

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        # DRF writes OpenAPI 3.0's `nullable`; the schema is 3.1 (convergence.api.schema).
        paginated = super().get_paginated_response_schema(schema)
        for link in ("next", "previous"):
            paginated["properties"][link] = {"type": ["string", "null"], "format": "uri"}
        return paginated

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"] = {"type": "integer", "minimum": 1}
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = MAX_PAGE_SIZE
                parameter["description"] = (
                    f"Results per page (default {self.page_size}, at most {MAX_PAGE_SIZE})."
                )
        return parameters


def _sortable_column(model: type[models.Model], name: str) -> bool:
    """A plain column of `model`: no relation (a join), no long text or JSON, no encrypted or hashed
    value (its order would say something about the secret)."""
    try:
        field = model._meta.get_field(name)
    except Exception:  # FieldDoesNotExist, or a name with a lookup in it
        return False
    return (
        getattr(field, "concrete", False)
        and not field.is_relation
        and not isinstance(field, (models.BinaryField, models.JSONField, models.TextField))
        and not name.endswith(("_encrypted", "_hash"))
    )


class Ordering(filters.OrderingFilter):
    """`ordering=a,-b` on the columns a list shows: the view's `ordering_fields`, or by default the
    serializer's fields that are plain columns of the model (see _sortable_column). An unknown field is a 400; the view's own order breaks ties, then the id."""

    def get_default_valid_fields(
        self, queryset: QuerySet[Any] | None, view: Any, context: Mapping[str, Any] | None = None
    ) -> list[tuple[str, str]]:
        serializer_class = getattr(view, "get_serializer_class", lambda: None)()
        # The serializer's model, not the queryset's: the schema asks without one (scopes need a user).
        model = getattr(getattr(serializer_class, "Meta", None), "model", None)
        if serializer_class is None or model is None:
            return []
        fields = serializer_class(context=context or {}).fields
        return [
            (name, name)
            for name, field in fields.items()
            if not field.write_only and field.source == name and _sortable_column(model, name)
        ]

    def _valid_names(self, queryset: QuerySet[Any] | None, view: Any, request: Request | None) -> list[str]:
        # The schema asks without a queryset: get_default_valid_fields above takes None, the stubs do not.
        fields = self.get_valid_fields(queryset, view, {"request": request})  # type: ignore[arg-type]
        return sorted(item[0] for item in fields)

    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: Any) -> Sequence[str] | None:
        raw = request.query_params.get(self.ordering_param, "")
        terms = [term.strip() for term in raw.split(",") if term.strip()]
        if not terms:
            return self.get_default_ordering(view)
        valid = set(self._valid_names(queryset, view, request))
        unknown = [term for term in terms if term.removeprefix("-") not in valid]
        if unknown:
            raise exceptions.ValidationError(
                {
                    self.ordering_param: [
                        _("Tidak dapat mengurutkan menurut %(fields)s.") % {"fields": ", ".join(unknown)}
                    ]
                }
            )
        return terms

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        if not request.query_params.get(self.ordering_param, "").strip(","):
            return queryset
        terms = self.get_ordering(request, queryset, view) or ()
        # The view's own order after the requested one: pages stay stable on equal values.
        return queryset.order_by(*terms, *queryset.query.order_by, "pk")

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        names = self._valid_names(None, view, getattr(view, "request", None))
        if not names:
            return []
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "Comma-separated fields to sort by; a leading `-` sorts descending.",
                "schema": {
                    "type": "array",
                    "items": {"type": "string", "enum": [*names, *(f"-{name}" for name in names)]},
                },
                "style": "form",
                "explode": False,
            }
        ]


class UpdatedSince(filters.BaseFilterBackend):
    """`updated_since=<ISO datetime>` on the lists a client syncs incrementally: the rows changed after it.

    A view opts in with `updated_field` (its model's auto_now column, indexed). Deleted and merged records
    leave these lists without a trace: GET /api/v1/changes/ lists them.
    """

    param = "updated_since"

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        field = getattr(view, "updated_field", None)
        raw = request.query_params.get(self.param)
        if field is None or raw is None:
            return queryset
        # An unescaped `+` in a URL reads as a space.
        text = raw.strip().replace(" ", "+")
        try:
            since = parse_datetime(text)
            if since is not None:
                since = timezone.make_aware(since) if timezone.is_naive(since) else since
                since = since.astimezone(datetime.UTC)  # as the database compares it
        except (ValueError, OverflowError):  # no such moment (month 13), or out of range in UTC
            since = None
        if since is None:
            raise exceptions.ValidationError(
                {self.param: [_("Masukkan tanggal dan waktu ISO 8601, mis. 2025-03-10T08:00:00+07:00.")]}
            )
        return queryset.filter(**{f"{field}__gt": since})

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        if getattr(view, "updated_field", None) is None:
            return []
        return [
            {
                "name": self.param,
                "required": False,
                "in": "query",
                "description": "Only the records changed after this moment (ISO 8601; without an offset, "
                "the district's time zone). Pass the largest `updated_at` already seen; with "
                "`ordering=updated_at` where offered, pages follow the order of the changes.",
                "schema": {"type": "string", "format": "date-time"},
            }
        ]


_known_lock = threading.Lock()
_known: dict[tuple[Any, str], frozenset[str] | None] = {}


def known_query_parameters(request: Request, view: Any) -> frozenset[str] | None:
    """The query parameters the view's OpenAPI operation documents for this method; None for a view
    the schema leaves out. Computed once per view and method (the same code generates the schema)."""
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.plumbing import ComponentRegistry

    callback = request._request.resolver_match.func if request._request.resolver_match else None
    # Only the versioned API: the schema and docs views are not part of it.
    if callback is None or not request.path.startswith(reverse("api-root")):
        return None
    key = (callback, request.method or "GET")
    if key in _known:
        return _known[key]
    with _known_lock, GENERATOR_STATS.silence():
        # The generator keeps the view's @extend_schema schema alive (a weak proxy on the view).
        generator = SchemaGenerator()
        schema_view = generator.create_view(callback, key[1])
        schema_view.request = request
        operation = schema_view.schema.get_operation(
            request.path, "", "/api/v[0-9]+", key[1], ComponentRegistry()
        )
    names = (
        None
        if operation is None
        else frozenset(p["name"] for p in operation.get("parameters", []) if p["in"] == "query")
    )
    _known[key] = names
    return names


class KnownParametersNegotiation(DefaultContentNegotiation):
    """DRF's content negotiation, which every API view runs first, also refuses unknown query parameters.

    Here rather than in a filter backend: plain APIViews and custom actions never call the filter
    backends, and a view's own permission or throttle lists cannot leave this out.
    """

    def select_renderer(self, request: Request, renderers: Any, format_suffix: str | None = None) -> Any:
        view = request.parser_context.get("view") if request.parser_context else None
        if view is not None and request.query_params:
            known = known_query_parameters(request, view)
            if known is not None:
                unknown = sorted(set(request.query_params) - known - ALWAYS_KNOWN)
                if unknown:
                    raise exceptions.ValidationError(
                        {name: [_("Parameter tidak dikenal.")] for name in unknown}, code="unknown_parameter"
                    )
        return super().select_renderer(request, renderers, format_suffix)
