"""The offline posyandu day's sync (and the API's bulk create of measurements): one result per entry.

Each entry is parsed with the single entry's fields, its child resolved for the whole batch through the
caller's scope, and the batch recorded by children.services.measurement_record_batch, so an entry
ends exactly as it would sent alone. Errors are the problem body's `errors` items, with the entry's
`index`.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import serializers

from children import services
from children.api.serializers import MeasurementRecordSerializer, MeasurementSyncEntrySerializer
from children.models import Child, Measurement
from convergence.api.errors import NON_FIELD, field_errors, problem_errors
from convergence.http import AuthenticatedRequest
from convergence.scoping import restrict

CREATED, DUPLICATE, CONFLICT, REJECTED = "created", "duplicate", "conflict", "rejected"


def service_error_detail(error: DjangoValidationError) -> dict[str, Any]:
    """A service's refusal as DRF error detail: by field, or `needs_confirmation` on remeasure_confirmed."""
    if isinstance(error, services.NeedsConfirmation):
        return {
            "remeasure_confirmed": [
                serializers.ErrorDetail(message, code="needs_confirmation") for message in error.messages
            ]
        }
    return field_errors(error)


def _rejected(index: int, client_id: Any, detail: Any) -> dict[str, Any]:
    return {
        "index": index,
        "client_id": client_id,
        "status": REJECTED,
        "errors": problem_errors(detail, index=index),
    }


def measurements_sync(*, request: AuthenticatedRequest, raw_entries: list[Any]) -> list[dict[str, Any]]:
    """Parse, scope and record a batch; the answer of each entry in order (see the module docstring)."""
    parser = MeasurementSyncEntrySerializer(context={"request": request})
    results: list[dict[str, Any] | None] = [None] * len(raw_entries)
    parsed: dict[int, dict[str, Any]] = {}
    for index, raw in enumerate(raw_entries):
        if not isinstance(raw, dict):
            message = _("Setiap entri harus berupa objek JSON.")
            detail = {NON_FIELD: [serializers.ErrorDetail(message, code="invalid")]}
            results[index] = _rejected(index, None, detail)
            continue
        try:
            parsed[index] = parser.run_validation(raw)
        except serializers.ValidationError as error:
            results[index] = _rejected(index, _client_id(raw), error.detail)

    child_ids = {data["child"] for data in parsed.values()}
    children = restrict(Child.objects.filter(pk__in=child_ids), request.user).in_bulk()
    entries: list[tuple[int, services.MeasurementEntry]] = []
    for index, data in parsed.items():
        child = children.get(data.pop("child"))
        if child is None:
            # Out of scope reads as "does not exist", as the single entry's child field answers.
            template = str(serializers.PrimaryKeyRelatedField.default_error_messages["does_not_exist"])
            missing = template.format(pk_value=raw_entries[index].get("child"))
            detail = {"child": [serializers.ErrorDetail(missing, code="does_not_exist")]}
            results[index] = _rejected(index, str(data["client_id"]), detail)
            continue
        entries.append((index, services.MeasurementEntry(child=child, **data)))

    recorded = services.measurement_record_batch(
        user=request.user,
        entries=[entry for _, entry in entries],
        source=Measurement.Source.API,
    )
    shown = [result.measurement for result in recorded if isinstance(result, services.MeasurementResult)]
    # One serializer pass for every row shown (no query per row).
    data_of = {
        id(measurement): data
        for measurement, data in zip(
            shown,
            MeasurementRecordSerializer(shown, many=True, context={"request": request}).data,
            strict=True,
        )
    }
    for (index, entry), result in zip(entries, recorded, strict=True):
        client_id = str(entry.client_id)
        if isinstance(result, DjangoValidationError):
            results[index] = _rejected(index, client_id, service_error_detail(result))
            continue
        status = {
            services.MeasurementOutcome.CREATED: CREATED,
            services.MeasurementOutcome.DUPLICATE: DUPLICATE,
            services.MeasurementOutcome.CONFLICT: CONFLICT,
        }[result.outcome]
        results[index] = {
            "index": index,
            "client_id": client_id,
            "status": status,
            "measurement": data_of[id(result.measurement)],
        }
    return [result for result in results if result is not None]


def _client_id(raw: Any) -> str | None:
    """The entry's client_id as sent, when it is one (echoed in a rejection so the device can match it)."""
    value = raw.get("client_id") if isinstance(raw, dict) else None
    try:
        return str(uuid.UUID(value)) if isinstance(value, str) else None
    except ValueError:
        return None
