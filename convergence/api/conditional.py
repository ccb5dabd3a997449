"""Conditional requests on the API's detail endpoints: ETag, If-None-Match (304) and If-Match (412).

The ETag is a strong validator of the record's detail representation: a hash of the detail serializer's
output for this caller, so it changes whenever anything the client reads changes, and it works alike for
models with and without an `updated_at` (a timestamp would miss a change in a related row the detail
shows). A PUT, PATCH or DELETE carrying an If-Match that names no current ETag answers 412 and changes
nothing; the check and the write run in one transaction with the row locked, so two clients holding the
same ETag cannot both win. Writes without If-Match work as before; clients should send it.

The representation depends on the caller (a NIK masked or not by role), so the ETag does too, and an
ETag only ever matches for the caller that read it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponseBase
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from convergence.api.errors import PreconditionFailed

CONDITIONAL_WRITES = frozenset({"PUT", "PATCH", "DELETE"})
READS = frozenset({"GET", "HEAD"})


def representation_etag(data: Any) -> str:
    """The quoted strong ETag of a serialized representation (sorted-key JSON, SHA-256, 32 hex digits)."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
    return '"' + hashlib.sha256(canonical.encode()).hexdigest()[:32] + '"'


def etag_list(header: str | None) -> list[str] | None:
    """The entity tags of an If-Match/If-None-Match header; None without the header, ["*"] for `*`.

    Weak tags (W/"...") never match a strong comparison, so they are kept with their prefix.
    """
    if header is None or not header.strip():
        return None
    return [tag.strip() for tag in header.split(",") if tag.strip()]


class ConditionalMixin:
    """For a GenericAPIView with a detail route: ETag on the detail GET, 304 on a matching If-None-Match,
    412 on a PUT/PATCH/DELETE whose If-Match names another version. First in the bases of every viewset
    with a `retrieve` (tests/api/test_conditional.py walks the URLconf to hold that)."""

    _etag_object: Any = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method in CONDITIONAL_WRITES and request.headers.get("If-Match"):
            # The check and the write in one transaction, the row locked by get_object below: no lost update.
            with transaction.atomic():
                return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    def detail_etag(self, instance: Any) -> str:
        """The ETag of `instance` as the detail GET would show it to this caller."""
        # A viewset's action name, or None (absent on a plain view): put back exactly as it was.
        action: Any = getattr(self, "action", None)
        self.action = "retrieve"
        try:
            data = self.get_serializer(instance).data  # type: ignore[attr-defined]
        finally:
            self.action = action
        return representation_etag(data)

    def get_object(self) -> Any:
        instance = super().get_object()  # type: ignore[misc]
        request: Request = self.request  # type: ignore[attr-defined]
        if_match = etag_list(request.headers.get("If-Match"))
        if request.method in CONDITIONAL_WRITES and if_match is not None and self._etag_object is None:
            # Lock the row, then read it again: the version compared is the one the write will change.
            model = type(instance)
            model._default_manager.select_for_update().filter(pk=instance.pk).exists()
            instance = super().get_object()  # type: ignore[misc]
            if "*" not in if_match and self.detail_etag(instance) not in if_match:
                raise PreconditionFailed()
        self._etag_object = instance
        return instance

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        if self._etag_object is None or getattr(self, "action", None) not in (
            "retrieve",
            "update",
            "partial_update",
        ):
            return response
        if response.status_code != status.HTTP_200_OK or not isinstance(response, Response):
            return response
        if request.method in READS:
            etag = representation_etag(response.data)
            if_none_match = etag_list(request.headers.get("If-None-Match"))
            if if_none_match is not None and ("*" in if_none_match or etag in if_none_match):
                not_modified = Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
                return super().finalize_response(request, not_modified, *args, **kwargs)  # type: ignore[misc]
        else:
            # The record as written, read again (a service may have changed more than the serializer saw).
            fresh = self.get_queryset().filter(pk=self._etag_object.pk).first()  # type: ignore[attr-defined]
            if fresh is None:
                return response
            etag = self.detail_etag(fresh)
        response["ETag"] = etag
        return response


class NoDeleteViewSet(
    ConditionalMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """List, read (with ETags), create and update; records that are kept, never deleted through the API
    (targets, rates, programmes, agencies, the registry)."""
