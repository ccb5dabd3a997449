"""The likely-duplicate queue and audited merges of the registries (one person, one record).

Exact NIK/KK matches are refused at entry (children.services); what comes here is likely only: a child
with the same mother, birth date and sex, or a similar name born the same day in the same desa; a
person with a similar name born the same day in the same desa. One exception: when the record holding
the number lies outside the scope of whoever tried to register it, that record alone is queued with
who tried (the refusal does not name it), for someone who sees it to sort out. A puskesmas officer or Bappeda reviews
each pair and either merges it (every row pointing at the removed record moves to the survivor, the
removed record's fields are kept in a MergeLog) or dismisses it, and a dismissed pair is never queued
again.
"""

from children.duplicates.finding import (
    ChildKey,
    Kind,
    Pair,
    PersonKey,
    Reason,
    Status,
    _child_keys,
    _pairs_in_groups,
    _queue,
    _same_mother,
    child_pair,
    duplicate_report_outside_scope,
    duplicates_find_for_child,
    duplicates_find_for_person,
    duplicates_report_from_import,
    person_pair,
)
from children.duplicates.merge import (
    _NOT_FILLED,
    _adolescent_merge,
    _check_reviewer,
    _decimal,
    _fill_blanks,
    _has_field,
    _is_blank,
    _lock_candidate,
    _lock_pair,
    _measurements_regrow,
    _repoint_candidates,
    _repoint_relations,
    _resolve,
    _snapshot,
    _take_nik,
    child_merge,
    duplicate_dismiss,
    duplicate_merge,
    person_merge,
)
from children.duplicates.selectors import (
    _measurement_count,
    duplicate_get_for_user,
    duplicate_list_for_user,
    merge_log_list_for_user,
)

__all__ = [
    "_NOT_FILLED",
    "ChildKey",
    "Kind",
    "Pair",
    "PersonKey",
    "Reason",
    "Status",
    "_adolescent_merge",
    "_check_reviewer",
    "_child_keys",
    "_decimal",
    "_fill_blanks",
    "_has_field",
    "_is_blank",
    "_lock_candidate",
    "_lock_pair",
    "_measurement_count",
    "_measurements_regrow",
    "_pairs_in_groups",
    "_queue",
    "_repoint_candidates",
    "_repoint_relations",
    "_resolve",
    "_same_mother",
    "_snapshot",
    "_take_nik",
    "child_merge",
    "child_pair",
    "duplicate_dismiss",
    "duplicate_get_for_user",
    "duplicate_list_for_user",
    "duplicate_merge",
    "duplicate_report_outside_scope",
    "duplicates_find_for_child",
    "duplicates_find_for_person",
    "duplicates_report_from_import",
    "merge_log_list_for_user",
    "person_merge",
    "person_pair",
]
