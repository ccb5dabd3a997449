"""Models of the interventions app, one module per domain area; every model is importable from here."""

from interventions.models.catalogue import (
    NOTHING,
    SUBJECT_KIND_OF_GROUP,
    Indicator,
    IndicatorTarget,
    Intervention,
    Kind,
    LokusWeights,
    SubjectKind,
    TargetGroup,
    _kabupaten_q,
)
from interventions.models.delivery import (
    Delivery,
    FundingSource,
    Referral,
    SubjectMixin,
    _one_subject,
    _subject_q,
)
from interventions.models.money import (
    RUPIAH,
    BudgetLine,
    BudgetRevision,
    _budget_line_q,
    _DecimalSize,
)
from interventions.models.pmt import (
    PMT_PERSON_CATEGORIES,
    Disbursement,
    PMTCategory,
    PMTDeliveryLog,
    PMTEnrolment,
    PMTFunding,
    PMTOutcome,
    PMTProgramme,
    PMTRate,
    PMTReservation,
    PMTSubmission,
)

# The delivery spreadsheet imports live in their own module; imported here so that Django registers them.
from interventions.models_imports import DeliveryImportJob

__all__ = [
    "NOTHING",
    "PMT_PERSON_CATEGORIES",
    "RUPIAH",
    "SUBJECT_KIND_OF_GROUP",
    "BudgetLine",
    "BudgetRevision",
    "Delivery",
    "DeliveryImportJob",
    "Disbursement",
    "FundingSource",
    "Indicator",
    "IndicatorTarget",
    "Intervention",
    "Kind",
    "LokusWeights",
    "PMTCategory",
    "PMTDeliveryLog",
    "PMTEnrolment",
    "PMTFunding",
    "PMTOutcome",
    "PMTProgramme",
    "PMTRate",
    "PMTReservation",
    "PMTSubmission",
    "Referral",
    "SubjectKind",
    "SubjectMixin",
    "TargetGroup",
    "_DecimalSize",
    "_budget_line_q",
    "_kabupaten_q",
    "_one_subject",
    "_subject_q",
]
