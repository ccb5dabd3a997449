"""Django validation errors as DRF's: one translation for every API of the project."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, serializers
from rest_framework.exceptions import ErrorDetail


def field_errors(error: DjangoValidationError) -> dict[str, list[str]]:
    """The messages by field, DRF's `non_field_errors` for the model-wide ones."""
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if name == NON_FIELD_ERRORS else name): messages
            for name, messages in error.message_dict.items()
        }
    return {"non_field_errors": error.messages}


@contextmanager
def service_errors() -> Iterator[None]:
    """The services' (and full_clean's) Django ValidationError as DRF's 400, by field."""
    try:
        yield
    except DjangoValidationError as error:
        raise serializers.ValidationError(field_errors(error)) from error


class RateLimited(exceptions.Throttled):
    """429 with Retry-After and only our message (DRF's Throttled appends an untranslated sentence)."""

    def __init__(self, *, wait: int, detail: str) -> None:
        super().__init__(wait=wait)
        self.detail = ErrorDetail(detail, code=self.default_code)
