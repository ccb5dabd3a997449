"""Writes of PMT money and episodes: budget lines and revisions, rates and programmes, enrolments and
their end, delivery logs, disbursements.

Concurrency: every write that decides on a line's money (an enrolment reserving its cost, finishing
or cancelling an episode, a revision, the approval of a payment) first locks the BudgetLine rows with
SELECT ... FOR UPDATE inside one transaction and recomputes the totals under that lock, so two
requests racing for the last rupiah are serialised and the second sees the first's reservation.
Lock order, always: the recipient's row (enrolment only), then the lines in primary-key order, then
the episode row (an enrolment also locks its programme and rate rows before the lines; the edits of
programmes and rates lock only their own row); so no two of these writes can deadlock. The recipient lock serialises the overlap
check of one recipient across programmes.

An episode's cost is split over the lines funding its programme by their shares (pmt.split_cost): one
PMTReservation per line, the parts adding up to the cost exactly. Finishing it gives back, per line,
what was neither delivered nor paid (pmt.released_parts).

Money rows (Disbursement) are insert-only: a correction is a reversing row; the only later write is
the approval decision, by a user other than the one who recorded the row (maker-checker).

One module per responsibility (permissions, money, programmes, enrolment); every name is importable
from here.
"""

from interventions.services_pmt.enrolment import (
    INELIGIBLE,
    OUTCOME_BATCH,
    OUTCOME_FIELDS,
    OUTCOME_REFRESH_DAYS,
    _eligibility,
    _lock_episode,
    _lock_lines,
    _outcome_row,
    _shares_error,
    pmt_delivery_record,
    pmt_enrol,
    pmt_enrolment_cancel,
    pmt_enrolment_finish,
    pmt_enrolments_finish_due,
    pmt_outcomes_store,
    pmt_rate_for,
)
from interventions.services_pmt.money import (
    _check_room,
    _decide,
    budget_line_create,
    budget_line_revise,
    disbursement_approve,
    disbursement_record,
    disbursement_reject,
    disbursement_reverse,
)
from interventions.services_pmt.permissions import (
    PMT_MONEY_ROLES,
    _check_line,
    can_enrol,
    can_manage_line,
    can_see_pmt_money,
    may_create_budget_lines,
    may_enrol,
    rupiah,
)
from interventions.services_pmt.programmes import (
    PROGRAMME_FIELDS,
    _programme_errors,
    _rate_errors,
    _save_fundings,
    can_manage_programme,
    can_manage_rates,
    may_create_programmes,
    pmt_programme_create,
    pmt_programme_update,
    pmt_rate_create,
    pmt_rate_update,
)

__all__ = [
    "INELIGIBLE",
    "OUTCOME_BATCH",
    "OUTCOME_FIELDS",
    "OUTCOME_REFRESH_DAYS",
    "PMT_MONEY_ROLES",
    "PROGRAMME_FIELDS",
    "_check_line",
    "_check_room",
    "_decide",
    "_eligibility",
    "_lock_episode",
    "_lock_lines",
    "_outcome_row",
    "_programme_errors",
    "_rate_errors",
    "_save_fundings",
    "_shares_error",
    "budget_line_create",
    "budget_line_revise",
    "can_enrol",
    "can_manage_line",
    "can_manage_programme",
    "can_manage_rates",
    "can_see_pmt_money",
    "disbursement_approve",
    "disbursement_record",
    "disbursement_reject",
    "disbursement_reverse",
    "may_create_budget_lines",
    "may_create_programmes",
    "may_enrol",
    "pmt_delivery_record",
    "pmt_enrol",
    "pmt_enrolment_cancel",
    "pmt_enrolment_finish",
    "pmt_enrolments_finish_due",
    "pmt_outcomes_store",
    "pmt_programme_create",
    "pmt_programme_update",
    "pmt_rate_create",
    "pmt_rate_for",
    "pmt_rate_update",
    "rupiah",
]
