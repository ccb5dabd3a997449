from django.urls import path

from children import views

app_name = "children"

urlpatterns = [
    path("panduan/zscore/", views.zscore_method, name="zscore-method"),
]
