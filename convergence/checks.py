"""System checks of the deployment (`manage.py check --deploy`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}


def shared_cache_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Rate limits and lock-outs count in the default cache: each gunicorn worker would count alone."""
    if settings.CACHES["default"]["BACKEND"] not in PER_PROCESS_CACHES:
        return []
    return [
        checks.Warning(
            "The default cache is local to each process, so rate limits are counted per gunicorn worker.",
            hint="Set REDIS_URL so that every worker and host shares one cache.",
            id="convergence.W001",
        )
    ]


def register() -> None:
    checks.register(shared_cache_check, checks.Tags.security, deploy=True)
