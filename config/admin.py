"""The admin site: its sign-in form obeys the same failed-login limit per address as the sign-in page."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest, HttpResponse


class AdminSite(admin.AdminSite):
    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        from convergence.ratelimit import login_address_check
        from convergence.views import too_many_attempts

        if request.method == "POST":
            verdict = login_address_check(request)
            if not verdict.allowed:
                return too_many_attempts(request, verdict)
        return super().login(request, extra_context)


class LimitedAdminConfig(AdminConfig):
    default_site = "config.admin.AdminSite"
