from django.urls import include, path
from rest_framework.routers import DefaultRouter

from convergence.api import province, views

router = DefaultRouter()
router.include_root_view = False  # the root is APIRootView, which lists every app's endpoints
router.register("regions", views.RegionViewSet, basename="region")
router.register("puskesmas", views.PuskesmasViewSet, basename="puskesmas")
router.register("posyandu", views.PosyanduViewSet, basename="posyandu")
router.register("opd", views.OPDViewSet, basename="opd")

urlpatterns = [
    path("", views.APIRootView.as_view(), name="api-root"),
    path("auth/token/", views.ObtainTokenView.as_view(), name="api-token"),
    path("me/", views.ProfileView.as_view(), name="api-me"),
    path("", include(router.urls)),
    path("", include("convergence.api.actions")),
    path("", include(province.router.urls)),
]
