"""The documents the offline posyandu page computes with: the WHO tables, the rules and their manifest.

Public, without a session: they hold no personal data (WHO's published tables, the regulation's bounds
and minimum weight gains, labels), and a service worker can then fetch them when it installs, even when
the kader's session has expired, without ever storing a login page in their place. The versioned
documents never change under their address (the version is the hash of their bytes), so they are cached
for a year as immutable; the manifest is revalidated on every use.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.http import require_GET

from children import offline

IMMUTABLE_MAX_AGE = 365 * 24 * 60 * 60
JSON_TYPE = "application/json"


def _json(content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type=JSON_TYPE)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _immutable(content: bytes) -> HttpResponse:
    response = _json(content)
    patch_cache_control(response, public=True, max_age=IMMUTABLE_MAX_AGE, immutable=True)
    return response


def _language(code: str) -> str:
    if code not in offline.LANGUAGES:
        raise Http404
    return code


@require_GET
def offline_manifest(request: HttpRequest) -> HttpResponse:
    """The current versions and addresses of the documents (and of the engine script), in the request's language."""
    language = offline.language_code(translation.get_language())
    tables = offline.growth_tables_document()
    rules = offline.rules_document()
    manifest = offline.document_of(
        {
            "format": offline.DOCUMENT_FORMAT,
            "language": language,
            "growth_tables": {
                "version": tables.version,
                "url": reverse("children:offline-growth-tables", args=[tables.version]),
            },
            "rules": {
                "version": rules.version,
                "url": reverse("children:offline-rules", args=[language, rules.version]),
            },
            "engine_script": static("children/growth_engine.js"),
        }
    )
    etag = f'"{manifest.version}"'
    if request.headers.get("If-None-Match") == etag:
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = _json(manifest.content)
    response["ETag"] = etag
    patch_cache_control(response, no_cache=True)
    patch_vary_headers(response, ("Accept-Language", "Cookie"))
    return response


@require_GET
def offline_growth_tables(request: HttpRequest, version: str) -> HttpResponse:
    """The growth document of this version; 404 once the tables hold other content (ask the manifest again)."""
    document = offline.growth_tables_document()
    if version != document.version:
        raise Http404
    return _immutable(document.content)


@require_GET
def offline_rules(request: HttpRequest, language: str, version: str) -> HttpResponse:
    """The rules document of this language and version; 404 once the rules (or the KBM table) changed."""
    with translation.override(_language(language)):
        document = offline.rules_document()
    if version != document.version:
        raise Http404
    return _immutable(document.content)


urlpatterns = [
    path("posyandu/offline/manifest.json", offline_manifest, name="offline-manifest"),
    path(
        "posyandu/offline/tabel-who/<str:version>.json", offline_growth_tables, name="offline-growth-tables"
    ),
    path("posyandu/offline/aturan/<str:language>/<str:version>.json", offline_rules, name="offline-rules"),
]
