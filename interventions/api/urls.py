from django.urls import include, path
from rest_framework.routers import DefaultRouter

from interventions.api import situation, views

router = DefaultRouter()
router.include_root_view = False
router.register("indicators", views.IndicatorViewSet, basename="indicator")
router.register("indicator-targets", views.IndicatorTargetViewSet, basename="indicator-target")
router.register("interventions", views.InterventionViewSet, basename="intervention")
router.register("deliveries", views.DeliveryViewSet, basename="delivery")
router.register("referrals", views.ReferralViewSet, basename="referral")

urlpatterns = [
    path("ledger/", views.LedgerView.as_view(), name="intervention-ledger"),
    path("gaps/", views.GapView.as_view(), name="intervention-gaps"),
    path("", include(situation.urlpatterns)),
    path("", include("interventions.api.pmt")),
    path("", include(router.urls)),
]
