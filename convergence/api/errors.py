"""The API's one error body, and the translation of Django's errors into DRF's.

Every 4xx answer of the API is a problem details object (RFC 9457):

    {"type": "about:blank", "title": "Bad Request", "status": 400, "code": "invalid",
     "detail": "Data yang dikirim tidak valid.",
     "errors": [{"field": "weight_kg", "code": "max_value", "detail": "...", "index": 3}]}

`code` is stable and meant for programs; `detail` (and each error's `detail`) is in the request's
language. `errors` lists per-field problems, `field` as a dotted path (`visits.2.hb`), `index` the item's
position when a batch was sent. The services raise Django's ValidationError, the views DRF's
exceptions: the handler below turns both into this shape, so no view builds an error body by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, status
from rest_framework.exceptions import ErrorDetail
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

NON_FIELD = "non_field_errors"


class Conflict(exceptions.APIException):
    """409: the request is valid but clashes with a record that exists (a unique rule, a same-day entry)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "Data bertentangan dengan data yang sudah ada."

    def __init__(self, detail: Any = None, code: str | None = None, *, extra: dict[str, Any] | None = None):
        super().__init__(detail, code)
        # Extension members of the problem body (RFC 9457 section 3.2), e.g. the record clashed with.
        self.extra = extra or {}


class PreconditionFailed(exceptions.APIException):
    """412: If-Match named another version of the record than the current one."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"
    default_detail = "Data telah berubah sejak Anda membacanya."


def field_errors(error: DjangoValidationError) -> dict[str, list[ErrorDetail]]:
    """The messages by field (`non_field_errors` for the model-wide ones), each keeping its code."""

    def details(errors: list[DjangoValidationError]) -> list[ErrorDetail]:
        return [
            ErrorDetail(message, code=item.code or "invalid") for item in errors for message in item.messages
        ]

    if hasattr(error, "error_dict"):
        return {
            (NON_FIELD if name == NON_FIELD_ERRORS else name): details(errors)
            for name, errors in error.error_dict.items()
        }
    return {NON_FIELD: details(error.error_list)}


def _flatten(detail: Any, path: tuple[str, ...], index: int | None) -> Iterator[dict[str, Any]]:
    """DRF's nested error detail as a flat list of {field, code, detail[, index]}.

    A list of dicts is a batch (top level: the item's `index`) or a nested list (a path step).
    """
    if isinstance(detail, dict):
        for key, value in detail.items():
            yield from _flatten(value, (*path, str(key)), index)
        return
    if isinstance(detail, list) and any(isinstance(item, (dict, list)) for item in detail):
        for position, item in enumerate(detail):
            if not item:
                continue
            if path or index is not None:
                yield from _flatten(item, (*path, str(position)), index)
            else:
                yield from _flatten(item, path, position)
        return
    for leaf in detail if isinstance(detail, list) else [detail]:
        entry: dict[str, Any] = {
            "field": ".".join(NON_FIELD if step == NON_FIELD_ERRORS else step for step in path) or NON_FIELD,
            "code": str(getattr(leaf, "code", None) or "invalid"),
            "detail": str(leaf),
        }
        if index is not None:
            entry["index"] = index
        yield entry


def problem_errors(detail: Any, *, index: int | None = None) -> list[dict[str, Any]]:
    """DRF error detail as the problem body's `errors` list; `index` marks the item of a batch."""
    return list(_flatten(detail, (), index))


def problem(
    *, status_code: int, code: str, detail: str, errors: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The body of an error answer (RFC 9457 problem details with `code` and `errors`)."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status_code).phrase,
        "status": status_code,
        "code": code,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return body


def _as_drf(exc: Exception) -> Exception:
    if isinstance(exc, DjangoValidationError):
        return serializers.ValidationError(field_errors(exc))
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, IntegrityError):
        # A unique or check constraint the validation did not see (a race): never a 500.
        return Conflict()
    return exc


def _code_and_detail(exc: exceptions.APIException, errors: list[dict[str, Any]]) -> tuple[str, str]:
    if isinstance(exc, exceptions.ValidationError):
        codes = {error["code"] for error in errors}
        code = codes.pop() if len(codes) == 1 and codes <= {"needs_confirmation"} else "invalid"
        if len(errors) == 1:
            return code, errors[0]["detail"]
        return code, _("Data yang dikirim tidak valid.")
    full = exc.get_codes()
    code = full if isinstance(full, str) else exc.default_code
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.default_detail)
    return str(code), str(_(detail))


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every error the API answers in the one problem shape."""
    exc = _as_drf(exc)
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    errors = list(_flatten(exc.detail, (), None)) if isinstance(exc, exceptions.ValidationError) else []
    code, detail = _code_and_detail(exc, errors)
    response.data = problem(status_code=response.status_code, code=code, detail=detail, errors=errors)
    response.data.update(getattr(exc, "extra", {}))
    return response


class RateLimited(exceptions.Throttled):
    """429 with Retry-After and only our message (DRF's Throttled appends an untranslated sentence)."""

    def __init__(self, *, wait: int, detail: str) -> None:
        super().__init__(wait=wait)
        self.detail = ErrorDetail(detail, code=self.default_code)
