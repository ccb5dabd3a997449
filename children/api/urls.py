from django.urls import path

from children.api import imports, registry
from children.api.changes import ChangesView
from children.api.growth import ZScoreCalculatorView

urlpatterns = [
    path("changes/", ChangesView.as_view(), name="changes"),
    path("growth/zscores/", ZScoreCalculatorView.as_view(), name="growth-zscores"),
    *registry.urlpatterns,
    *imports.urlpatterns,
]
