"""Models of the convergence backbone, one module per domain area; every model is importable from here."""

from convergence.models.actions import (
    ActionOutput,
    AssessmentGrade,
    ConvergenceAction,
    EvidenceDocument,
    evidence_upload_to,
)
from convergence.models.meetings import (
    Attendance,
    FollowUp,
    Meeting,
)
from convergence.models.regions import (
    NOTHING,
    OPD,
    RETIRED_LABEL,
    DesaLokus,
    Posyandu,
    Puskesmas,
    Region,
    RegionQuerySet,
    ancestor_codes,
)
from convergence.models.teams import (
    FieldWorker,
    Team,
    TeamMember,
    _in_kabupaten,
)
from convergence.models.tombstones import (
    Tombstone,
)
from convergence.models.users import (
    Role,
    User,
)

__all__ = [
    "NOTHING",
    "OPD",
    "RETIRED_LABEL",
    "ActionOutput",
    "AssessmentGrade",
    "Attendance",
    "ConvergenceAction",
    "DesaLokus",
    "EvidenceDocument",
    "FieldWorker",
    "FollowUp",
    "Meeting",
    "Posyandu",
    "Puskesmas",
    "Region",
    "RegionQuerySet",
    "Role",
    "Team",
    "TeamMember",
    "Tombstone",
    "User",
    "_in_kabupaten",
    "ancestor_codes",
    "evidence_upload_to",
]
