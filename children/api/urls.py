from django.urls import path

from children.api.growth import ZScoreCalculatorView

urlpatterns = [
    path("growth/zscores/", ZScoreCalculatorView.as_view(), name="growth-zscores"),
]
