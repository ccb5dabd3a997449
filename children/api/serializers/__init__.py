"""Serializers of the registry API. They only parse and present: every write goes through children.services.

Related records are chosen among the ones the caller may read (an id outside the scope reads as "does not
exist", never as "forbidden"); the NIK is write-only plaintext in and nik_for_display out.
"""

from children.api.serializers.duplicates import (
    DismissRequestSerializer,
    DuplicateCandidateSerializer,
    DuplicateChildSerializer,
    DuplicateKeluargaSerializer,
    DuplicateRecordSerializer,
    MergeLogSerializer,
    MergeRequestSerializer,
)
from children.api.serializers.fields import (
    DesaField,
    NIKField,
    ScopedPrimaryKeyRelatedField,
    WarningsMixin,
    _ScopedMixin,
)
from children.api.serializers.maternal import (
    AdolescentGirlSerializer,
    AdolescentTTDSerializer,
    PregnancySerializer,
    PregnancyVisitSerializer,
)
from children.api.serializers.measurements import (
    SYNC_MAX_ENTRIES,
    CategoriesField,
    MeasurementConflictSerializer,
    MeasurementRecordSerializer,
    MeasurementSyncEntrySerializer,
    MeasurementSyncResultSerializer,
    MeasurementSyncSerializer,
    StatusCategoriesSerializer,
    StatusCategorySerializer,
    SyncEntriesField,
    WeightGainField,
    WeightGainSerializer,
)
from children.api.serializers.registry import (
    ChildSerializer,
    KeluargaSerializer,
    NIKLookupSerializer,
    PersonSerializer,
)

__all__ = [
    "SYNC_MAX_ENTRIES",
    "AdolescentGirlSerializer",
    "AdolescentTTDSerializer",
    "CategoriesField",
    "ChildSerializer",
    "DesaField",
    "DismissRequestSerializer",
    "DuplicateCandidateSerializer",
    "DuplicateChildSerializer",
    "DuplicateKeluargaSerializer",
    "DuplicateRecordSerializer",
    "KeluargaSerializer",
    "MeasurementConflictSerializer",
    "MeasurementRecordSerializer",
    "MeasurementSyncEntrySerializer",
    "MeasurementSyncResultSerializer",
    "MeasurementSyncSerializer",
    "MergeLogSerializer",
    "MergeRequestSerializer",
    "NIKField",
    "NIKLookupSerializer",
    "PersonSerializer",
    "PregnancySerializer",
    "PregnancyVisitSerializer",
    "ScopedPrimaryKeyRelatedField",
    "StatusCategoriesSerializer",
    "StatusCategorySerializer",
    "SyncEntriesField",
    "WarningsMixin",
    "WeightGainField",
    "WeightGainSerializer",
    "_ScopedMixin",
]
