"""PMT REST API: budget lines (revisions, absorption), rates and programmes (create, edit), episodes
(enrol, cancel, finish), delivery logs, disbursements (record, approve, reject, reverse) and programme
outcomes.

Querysets go through interventions.selectors_pmt (scoped: a row outside the scope is a 404); every
write goes through interventions.services_pmt (a read-only role gets 403). Money rows have no
PUT/PATCH/DELETE: a correction is a reversal. A rate used by an episode is not edited: a new dated
row supersedes it; a programme is edited only before its first episode.

The serializers and the views live in this package's modules; the routes are here.
"""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from interventions.api.pmt.views import (
    BudgetLineViewSet,
    DisbursementViewSet,
    PMTDeliveryViewSet,
    PMTEnrolmentViewSet,
    PMTOutcomeView,
    PMTProgrammeViewSet,
    PMTRateViewSet,
)

router = DefaultRouter()
router.include_root_view = False
router.register("budget-lines", BudgetLineViewSet, basename="budget-line")
router.register("pmt-rates", PMTRateViewSet, basename="pmt-rate")
router.register("pmt-programmes", PMTProgrammeViewSet, basename="pmt-programme")
router.register("pmt-enrolments", PMTEnrolmentViewSet, basename="pmt-enrolment")
router.register("pmt-deliveries", PMTDeliveryViewSet, basename="pmt-delivery")
router.register("disbursements", DisbursementViewSet, basename="disbursement")

urlpatterns = [
    path("pmt-outcomes/", PMTOutcomeView.as_view(), name="pmt-outcomes"),
    path("", include(router.urls)),
]
