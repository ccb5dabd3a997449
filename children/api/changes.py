"""The changes feed: records that left the registry since a moment (deleted or merged), for clients that
sync with `updated_since` and must also drop what no longer exists."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from children.selectors import RecordChange, record_changes_for_user


class ChangesQuerySerializer(serializers.Serializer):
    since = serializers.DateTimeField(
        help_text="Changes after this moment (ISO 8601; without an offset, the district's time zone)."
    )


class RecordChangeSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The id the record had.")
    kind = serializers.ChoiceField(
        choices=["children", "persons", "measurements"], help_text="The API resource the record belonged to."
    )
    change = serializers.ChoiceField(choices=["deleted", "merged"])
    when = serializers.DateTimeField()
    merged_into = serializers.IntegerField(
        allow_null=True, help_text="For a merge, the id of the record of the same kind that kept its data."
    )


class ChangesView(GenericAPIView):
    """Deleted and merged records since a moment, oldest first, scoped like the records."""

    serializer_class = RecordChangeSerializer
    # A feed of records that no longer exist: no model queryset, so no list filters or ordering.
    filter_backends: list[Any] = []

    @extend_schema(
        operation_id="changes_list",
        summary="List deleted and merged records",
        description="Records that left the registry after `since`: measurements deleted, children and "
        "persons merged into another record. Together with `updated_since` on the lists, a client can "
        "sync incrementally. Pass the largest `when` already seen as the next `since`.",
        parameters=[ChangesQuerySerializer],
        responses={200: RecordChangeSerializer(many=True)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        query = ChangesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        since = query.validated_data["since"]
        if timezone.is_naive(since):
            since = timezone.make_aware(since)
        changes = record_changes_for_user(user=request.user, since=since)
        # DRF's paginators page any sequence; the stubs only say QuerySet.
        page: list[RecordChange] | None = self.paginate_queryset(changes)  # type: ignore[arg-type]
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
