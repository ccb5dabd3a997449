"""The changes feed: records that left the synced lists since a moment (deleted or merged), for clients
that sync with `updated_since` and must also drop what no longer exists. Read from the tombstones the
services write with each deletion (convergence.tombstones)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from convergence.models import Tombstone
from convergence.tombstones import record_changes_for_user, synced_kinds


class ChangesQuerySerializer(serializers.Serializer):
    since = serializers.DateTimeField(
        help_text="Changes after this moment (ISO 8601; without an offset, the district's time zone)."
    )


class KindField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        # The kinds the apps registered at start-up: every list that takes `updated_since`.
        super().__init__(choices=synced_kinds(), **kwargs)


class RecordChangeSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="record_id", help_text="The id the record had.")
    kind = KindField(help_text="The API resource the record was listed in.")
    change = serializers.SerializerMethodField()
    when = serializers.DateTimeField(source="removed_at")
    merged_into = serializers.IntegerField(
        allow_null=True, help_text="For a merge, the id of the record of the same kind that kept its data."
    )

    class Meta:
        model = Tombstone
        fields = ["id", "kind", "change", "when", "merged_into"]

    @extend_schema_field(serializers.ChoiceField(choices=["deleted", "merged"]))
    def get_change(self, tombstone: Tombstone) -> str:
        return "merged" if tombstone.merged_into is not None else "deleted"


class ChangesView(GenericAPIView):
    """Deleted and merged records since a moment, oldest first, scoped like the records."""

    serializer_class = RecordChangeSerializer
    # A feed of records that no longer exist: no list filters or ordering of its own.
    filter_backends: list[Any] = []

    @extend_schema(
        operation_id="changes_list",
        summary="List deleted and merged records",
        description="Records that left a list taking `updated_since` after `since`: deleted, or merged "
        "into another record (`merged_into`), including prevalence rows a recompute dropped. Together "
        "with `updated_since` on the lists, a client can sync incrementally. Pass the largest `when` "
        "already seen as the next `since`.",
        parameters=[ChangesQuerySerializer],
        responses={200: RecordChangeSerializer(many=True)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        query = ChangesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        since = query.validated_data["since"]
        if timezone.is_naive(since):
            since = timezone.make_aware(since)
        page = self.paginate_queryset(record_changes_for_user(user=request.user, since=since))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
