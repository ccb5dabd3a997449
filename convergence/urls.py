from django.urls import path

from convergence import views, views_actions, views_province, views_search

app_name = "convergence"

urlpatterns = [
    path("wilayah/", views.region_home, name="region-home"),
    path("wilayah/<str:code>/", views.region_detail, name="region-detail"),
    path("posyandu/<int:pk>/", views.posyandu_detail, name="posyandu-detail"),
    *views_actions.urlpatterns,
    *views_search.urlpatterns,
    *views_province.urlpatterns,
]
