"""Pages of the reports app: dashboards, the public Aksi 7 page, data quality."""

from django.urls import URLPattern

from reports import views_dashboard, views_province, views_publication, views_quality

app_name = "reports"

urlpatterns: list[URLPattern] = [
    *views_dashboard.urlpatterns,
    *views_province.urlpatterns,
    *views_publication.urlpatterns,
    *views_quality.urlpatterns,
]
