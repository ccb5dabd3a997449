"""The installable offline posyandu day: the web app manifest, the service worker and the phone's data.

The service worker is served from the site's root (/sw.js) so that its scope covers the kader's pages;
its logic is static/children/service_worker.js, preceded by the list of the app shell's static URLs as
{% static %} names them (hashed in production), so that a new release changes the script and the
browser installs the new worker.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from children.access import can_write_registry
from children.selectors_posyandu import INDICES, posyandu_offline_data
from convergence.http import AuthenticatedHttpRequest
from convergence.models import Posyandu
from convergence.selectors import posyandu_get_for_user

SERVICE_WORKER_SOURCE = "children/service_worker.js"
# The static files the posyandu day needs without a connection, fetched when the worker installs (the
# engine's documents are kept by the worker when the page first loads them).
SHELL = (
    "vendor/pico/pico.min.css",
    "convergence/app.css",
    "convergence/app.js",
    "convergence/favicon.svg",
    "children/children.css",
    "children/offline_store.js",
    "children/growth_engine.js",
    "children/posyandu_offline.js",
    "children/posyandu_day.js",
)
# The growth engine's manifest (children/views/offline.py): fetched first, the last copy offline. Its
# versioned documents never change under their address: kept at first use.
ENGINE_MANIFEST = r"^/posyandu/offline/manifest\.json$"
ENGINE_DOCUMENTS = r"^/posyandu/offline/(tabel-who|aturan)/"
# The pages kept for use without a connection (anything else is never stored on the phone): the
# kader's home and the posyandu day of a month.
OFFLINE_PAGES = (r"^/kader/$", r"^/posyandu/\d+/penimbangan/\d+/\d+/$")
THEME_COLOUR = "#1d6b4f"  # the favicon's green
BACKGROUND_COLOUR = "#ffffff"


def _worker_source() -> str:
    # Read once per process in production; on every request while developing (DEBUG), so that an edit
    # of the script or the shell reaches the browser without a restart.
    return _read_worker_source() if settings.DEBUG else _cached_worker_source()


@functools.cache
def _cached_worker_source() -> str:
    return _read_worker_source()


def _read_worker_source() -> str:
    found = finders.find(SERVICE_WORKER_SOURCE)
    if not found or isinstance(found, list):
        raise LookupError(SERVICE_WORKER_SOURCE)
    with open(found, encoding="utf-8") as source:
        return source.read()


def _shell_version() -> str:
    return _read_shell_version() if settings.DEBUG else _cached_shell_version()


@functools.cache
def _cached_shell_version() -> str:
    return _read_shell_version()


def _read_shell_version() -> str:
    """Changes with any file of the shell (also without hashed names, as in development)."""
    digest = hashlib.sha256(_worker_source().encode())
    for name in SHELL:
        found = finders.find(name)
        if found and not isinstance(found, list):
            with open(found, "rb") as content:
                digest.update(content.read())
        digest.update(static(name).encode())
    return digest.hexdigest()[:16]


def offline_page_context(*, posyandu: Posyandu, first: datetime.date) -> dict[str, Any]:
    """What static/children/posyandu_day.js needs to work offline: addresses and its messages."""
    return {
        "offline_urls": {
            "service_worker": reverse("children:service-worker"),
            "data": reverse("children:posyandu-offline-data", args=[posyandu.pk, first.year, first.month]),
            "sync": reverse("measurement-sync"),
            "engine": reverse("children:offline-manifest"),
        },
        "offline_messages": {
            "offline": _("Tanpa sinyal: pengukuran disimpan di HP ini dan dikirim saat sinyal kembali."),
            "unsent": _("Belum terkirim"),
            "sending": _("Mengirim..."),
            "sent": _("Terkirim."),
            "not_sent": _("Belum terkirim: tidak ada sambungan. Dicoba lagi saat sinyal kembali."),
            "session": _("Sesi berakhir: masuk lagi untuk mengirim. Pengukuran tetap disimpan di HP ini."),
            "values": _("{day}: {weight} kg, {height} cm ({position})"),
            "phone_status": _("Status dihitung di HP ini; hasil server tampil setelah terkirim."),
            "no_engine": _("Status tampil setelah terkirim."),
            "discard": _("Buang"),
            "discard_confirm": _("Buang pengukuran ini? Pengukuran yang dibuang tidak akan dikirim."),
            "conflict": _(
                "Anak ini sudah punya pengukuran lain pada hari itu: {values}. Pengukuran Anda belum disimpan."
            ),
            "keep": _("Biarkan data tersimpan"),
            "replace": _("Ganti"),
            "confirm_remeasure": _("Sudah diukur ulang, kirim lagi"),
            "remeasure": _(
                "Nilai tidak wajar: periksa alat dan ukur ulang. Bila nilainya benar, tekan tombol di bawah."
            ),
            "gain": _("Naik BB"),
            "indices": {index: str(label) for index, label in INDICES},
        },
    }


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    """The web app manifest: the app opens on the kader's home, standalone, in the app's colours."""
    body = {
        "name": _("Konvergensi Stunting"),
        "short_name": _("Posyandu"),
        "description": _("Hari posyandu, juga tanpa sinyal."),
        "lang": "id",
        "start_url": reverse("children:kader-home"),
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [
            {
                "src": static("convergence/favicon.svg"),
                "sizes": "any",
                "type": "image/svg+xml",
                "purpose": "any",
            }
        ],
    }
    return JsonResponse(
        body, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False}
    )


@never_cache
@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker: its configuration (shell URLs, version, offline pages), then its logic."""
    config = {
        "version": _shell_version(),
        "shell": [static(name) for name in SHELL],
        "pages": list(OFFLINE_PAGES),
        "static_prefix": settings.STATIC_URL,
        "engine_manifest": ENGINE_MANIFEST,
        "engine_documents": ENGINE_DOCUMENTS,
    }
    body = f"self.OFFLINE_CONFIG = {json.dumps(config)};\n{_worker_source()}"
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    return response


@never_cache
@login_required
@require_GET
def offline_data(request: AuthenticatedHttpRequest, pk: int, year: int, month: int) -> JsonResponse:
    """The posyandu day's children and last measurements, kept on the phone of those who enter them."""
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        raise Http404
    posyandu = posyandu_get_for_user(user=request.user, pk=pk)
    if not can_write_registry(request.user):
        # Read-only roles never enter a measurement offline: nothing personal goes to their phone.
        raise PermissionDenied
    data = posyandu_offline_data(
        user=request.user, posyandu=posyandu, year=year, month=month, today=timezone.localdate()
    )
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


urlpatterns = [
    path("sw.js", service_worker, name="service-worker"),
    path("manifest.webmanifest", manifest, name="web-manifest"),
    path(
        "posyandu/<int:pk>/penimbangan/<int:year>/<int:month>/luring.json",
        offline_data,
        name="posyandu-offline-data",
    ),
]
