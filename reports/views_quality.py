"""Pages of the reports app (filled in below)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
