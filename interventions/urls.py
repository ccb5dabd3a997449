"""Pages of the interventions app."""

from django.urls import path

from interventions import (
    views,
    views_pmt,
    views_pmt_money,
    views_pmt_programme_edit,
    views_pmt_programmes,
    views_referral,
    views_situation,
)

app_name = "interventions"

urlpatterns = [
    path("intervensi/", views.catalogue, name="catalogue"),
    path("intervensi/penyaluran/", views.delivery_list, name="delivery-list"),
    path("intervensi/penyaluran/baru/", views.delivery_create, name="delivery-create"),
    path("intervensi/penyaluran/impor/", views.delivery_import, name="delivery-import"),
    path(
        "intervensi/penyaluran/impor/<int:pk>/", views.delivery_import_detail, name="delivery-import-detail"
    ),
    path(
        "intervensi/penyaluran/impor/<int:pk>/terapkan/",
        views.delivery_import_apply,
        name="delivery-import-apply",
    ),
    path("intervensi/buku-konvergensi/", views.ledger, name="ledger"),
    path("intervensi/kesenjangan/", views.gap_list, name="gap-list"),
    path("intervensi/rujukan/", views.referral_list, name="referral-list"),
    path("intervensi/rujukan/baru/", views.referral_create, name="referral-create"),
    path("intervensi/rujukan/<int:pk>/", views.referral_detail, name="referral-detail"),
    *views_referral.urlpatterns,
    *views_situation.urlpatterns,
    *views_pmt.urlpatterns,
    *views_pmt_money.urlpatterns,
    *views_pmt_programmes.urlpatterns,
    *views_pmt_programme_edit.urlpatterns,
]
