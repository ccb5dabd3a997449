"""Everything under /api/v1/."""

from django.urls import include, path

urlpatterns = [
    path("", include("convergence.api.urls")),
    path("", include("children.api.urls")),
    path("", include("interventions.api.urls")),
    path("", include("reports.api.urls")),
]
