"""Models of the children app, one module per domain area; every model is importable from here."""

from children.models.duplicates import (
    DuplicateCandidate,
    MergeLog,
)
from children.models.growth import (
    Measurement,
    MinimumWeightGain,
)
from children.models.imports import (
    ImportJob,
    ImportRowIssue,
)
from children.models.maternal import (
    AdolescentGirl,
    AdolescentTTD,
    Pregnancy,
    PregnancyVisit,
)
from children.models.registry import (
    AddressFields,
    Child,
    Keluarga,
    KKFields,
    NIKFields,
    Person,
    RecordAccess,
    Sex,
    _kader_keluarga_q,
    kader_sees,
)

__all__ = [
    "AddressFields",
    "AdolescentGirl",
    "AdolescentTTD",
    "Child",
    "DuplicateCandidate",
    "ImportJob",
    "ImportRowIssue",
    "KKFields",
    "Keluarga",
    "Measurement",
    "MergeLog",
    "MinimumWeightGain",
    "NIKFields",
    "Person",
    "Pregnancy",
    "PregnancyVisit",
    "RecordAccess",
    "Sex",
    "_kader_keluarga_q",
    "kader_sees",
]
