"""Serializers of measurements: one recorded entry, and the offline sync batch with its results."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from children.api.serializers.fields import ScopedPrimaryKeyRelatedField
from children.growth import classify, weight_gain
from children.models import (
    Child,
    Measurement,
)
from convergence.api.schema import ProblemErrorSerializer, ProblemSerializer

# More entries than a posyandu day holds; a larger backlog is sent in several batches.
SYNC_MAX_ENTRIES = 1000


class StatusCategorySerializer(serializers.Serializer):
    code = serializers.IntegerField(help_text=gettext_lazy("Kode kategori; -1 tidak dihitung, -2 flag WHO."))
    label = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.label


class StatusCategoriesSerializer(serializers.Serializer):
    waz = StatusCategorySerializer(help_text=gettext_lazy("BB/U"))
    haz = StatusCategorySerializer(help_text=gettext_lazy("PB/U atau TB/U"))
    whz = StatusCategorySerializer(help_text=gettext_lazy("BB/PB atau BB/TB"))
    baz = StatusCategorySerializer(help_text=gettext_lazy("IMT/U"))


class WeightGainSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=gettext_lazy("N, T, 2T, O, B, atau - (tidak dinilai)."))
    label = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.label


@extend_schema_field(StatusCategoriesSerializer)
class CategoriesField(serializers.Field):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, measurement: Measurement) -> dict[str, dict[str, Any]]:
        out = {}
        for name in ("waz", "haz", "whz", "baz"):
            code = getattr(measurement, f"{name}_category")
            labels = classify.LABELS[name][0]
            out[name] = {"code": code, "label": _(labels.get(code, labels[classify.NO_VALUE]))}
        return out


@extend_schema_field(WeightGainSerializer)
class WeightGainField(serializers.Field):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, code: int) -> dict[str, str]:
        code = code if code in weight_gain.CODES else weight_gain.NOT_ASSESSED
        return {"code": weight_gain.CODES[code], "label": _(weight_gain.LABELS_ID[code])}


class MeasurementRecordSerializer(serializers.ModelSerializer):
    child = ScopedPrimaryKeyRelatedField(queryset=Child.objects.all())
    client_id = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy(
            "UUID buatan perangkat untuk entri ini: entri yang dikirim ulang dengan client_id yang sama "
            "menjawab pengukuran yang sudah tercatat (200), tidak membuat baris kedua."
        ),
    )
    remeasure_confirmed = serializers.BooleanField(
        required=False,
        default=False,
        help_text=gettext_lazy("Kirim true bila nilai tak wajar sudah diukur ulang dan benar."),
    )
    categories = CategoriesField()
    weight_gain = WeightGainField()

    class Meta:
        model = Measurement
        fields = [
            "id",
            "child",
            "posyandu",
            "measured_on",
            "age_days",
            "weight_kg",
            "height_cm",
            "position",
            "oedema",
            "lila_cm",
            "head_circumference_cm",
            "vitamin_a",
            "pmt_received",
            "pmt_kg",
            "remeasure_confirmed",
            "client_id",
            "adjusted_height_cm",
            "waz",
            "haz",
            "whz",
            "baz",
            "hcz",
            "acz",
            "categories",
            "weight_gain",
            "error_flags",
            "source",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "posyandu",
            "age_days",
            "adjusted_height_cm",
            "waz",
            "haz",
            "whz",
            "baz",
            "hcz",
            "acz",
            "error_flags",
            "source",
            "created_at",
        ]
        # One measurement a child a day, one row a client_id: the service answers a second one (duplicate
        # or conflict), without a query per entry here.
        validators: list[Any] = []


class MeasurementSyncEntrySerializer(MeasurementRecordSerializer):
    """One entry of an offline batch: the fields of a single measurement, client_id required.

    The child is an id resolved for the whole batch at once through the caller's scope (a child outside
    it reads as "does not exist", as for a single entry).
    """

    child = serializers.IntegerField(min_value=1)  # type: ignore[assignment]
    client_id = serializers.UUIDField(
        help_text=gettext_lazy(
            "UUID buatan perangkat untuk entri ini; kirim ulang entri dengan UUID yang sama."
        )
    )

    class Meta(MeasurementRecordSerializer.Meta):
        fields = [
            "client_id",
            "child",
            "measured_on",
            "weight_kg",
            "height_cm",
            "position",
            "oedema",
            "lila_cm",
            "head_circumference_cm",
            "vitamin_a",
            "pmt_received",
            "pmt_kg",
            "remeasure_confirmed",
        ]
        read_only_fields: list[str] = []


@extend_schema_field(MeasurementSyncEntrySerializer(many=True))
class SyncEntriesField(serializers.ListField):
    """The batch's entries as sent: each is parsed on its own, so that one bad entry rejects only itself."""


class MeasurementSyncSerializer(serializers.Serializer):
    entries = SyncEntriesField(
        child=serializers.JSONField(),
        max_length=SYNC_MAX_ENTRIES,
        help_text=gettext_lazy("Entri pengukuran, paling banyak 1.000 dalam satu kiriman."),
    )


class MeasurementSyncResultSerializer(serializers.Serializer):
    """The answer to one entry of a batch."""

    index = serializers.IntegerField(help_text=gettext_lazy("Posisi entri dalam kiriman (mulai 0)."))
    client_id = serializers.UUIDField(allow_null=True)
    status = serializers.ChoiceField(
        choices=["created", "duplicate", "conflict", "rejected"],
        help_text=gettext_lazy(
            "created: tercatat; duplicate: client_id atau nilai yang sama sudah tercatat, tidak ada yang "
            "berubah; conflict: anak ini sudah punya pengukuran lain pada hari itu (measurement), tidak "
            "ditimpa; rejected: lihat errors."
        ),
    )
    measurement = MeasurementRecordSerializer(
        required=False,
        help_text=gettext_lazy(
            "Pengukuran yang tercatat (created, duplicate) atau yang sudah ada (conflict)."
        ),
    )
    # A field named like Serializer.errors: the declared field wins at run time, the stubs see the property.
    errors = ProblemErrorSerializer(many=True, required=False)  # type: ignore[assignment]


class MeasurementConflictSerializer(ProblemSerializer):
    """409 on a measurement: the child's day holds other values; `existing` is that measurement."""

    existing = MeasurementRecordSerializer()
