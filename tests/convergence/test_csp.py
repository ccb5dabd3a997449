"""The Content-Security-Policy header on pages, the API and the public page; templates hold no inline code."""

from __future__ import annotations

import datetime
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from rest_framework.test import APIClient

from reports.models import PrevalenceSummary
from tests.factories import DistrictFixture

ROOT = Path(__file__).resolve().parents[2]
POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    # The hash of django-simple-history's `style="border-top: 0"`.
    "style-src-attr": ["'unsafe-hashes'", "'sha256-XMXSevYjgSjXgRafBFDvtjwX+yyWLrxfso9DcNZ9UXM='"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def directives(header: str) -> dict[str, list[str]]:
    """ "a b; c d e" -> {"a": ["b"], "c": ["d", "e"]} (django-csp writes the directives in no fixed order)."""
    parts = [directive.split() for directive in header.split(";")]
    return {part[0]: part[1:] for part in parts if part}


@pytest.mark.django_db
def test_it_sends_the_policy_with_a_page(client: Client) -> None:
    response = client.get("/masuk/")

    assert response.status_code == 200
    assert directives(response["Content-Security-Policy"]) == POLICY
    assert "Content-Security-Policy-Report-Only" not in response


def test_it_sends_the_policy_with_an_api_response(district: DistrictFixture) -> None:
    api = APIClient()
    api.force_authenticate(district.users["kader"])

    response = api.get("/api/v1/me/")

    assert response.status_code == 200
    assert directives(response["Content-Security-Policy"]) == POLICY


def test_it_sends_the_policy_with_the_public_publication(client: Client, district: DistrictFixture) -> None:
    PrevalenceSummary.objects.create(
        level="kabupaten",
        region=district.kabupaten,
        period_kind="Y",
        period=datetime.date(2025, 1, 1),
        registered=40,
        measured=40,
        haz_pendek=8,
        haz_normal=32,
    )

    response = client.get("/publikasi/35.10/2025/")

    assert response.status_code == 200
    assert directives(response["Content-Security-Policy"]) == POLICY


@pytest.mark.django_db
def test_it_answers_a_failed_csrf_check_with_our_page_not_djangos_inline_styled_one() -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post("/masuk/", {"username": "kader_mawar", "password": "x"})

    assert response.status_code == 403
    assert directives(response["Content-Security-Policy"]) == POLICY
    assert "<h1>Verifikasi formulir gagal</h1>" in response.content.decode()
    assert "<style" not in response.content.decode()


@pytest.mark.django_db
def test_it_serves_the_api_docs_start_up_script_as_a_file_for_this_site_only(client: Client) -> None:
    page = client.get("/api/docs/")
    script = client.get("/api/docs/", {"script": ""})

    html = page.content.decode()
    assert page.status_code == 200
    assert directives(page["Content-Security-Policy"]) == POLICY
    # Every script is a file, and Swagger UI's frame styles come from our own style sheet.
    assert re.findall(r"<script([^>]*)>", html) == [
        ' src="/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"',
        ' src="/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-standalone-preset.js"',
        ' src="/api/docs/?script="',
    ]
    assert "<style" not in html
    assert '<link rel="stylesheet" href="/static/convergence/api_docs.css">' in html
    assert script.status_code == 200
    assert script["Content-Type"] == "application/javascript"
    assert "SwaggerUIBundle(" in script.content.decode()
    # The script holds the CSRF token: browsers refuse it to another site's <script src>.
    assert script["Cross-Origin-Resource-Policy"] == "same-origin"


# No inline script (data blocks are type="application/json"), event handler, javascript: URL or style.
INLINE_CODE = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*application/json)|\son[a-z]+\s*=|javascript:|<style|\sstyle\s*=",
    re.IGNORECASE,
)


def test_no_template_holds_inline_script_or_style() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / "templates").rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if INLINE_CODE.search(line)
    ]

    assert found == []


PROBE = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(hasattr(s, 'CONTENT_SECURITY_POLICY'), hasattr(s, 'CONTENT_SECURITY_POLICY_REPORT_ONLY'), "
    "s.CONTENT_SECURITY_POLICY_REPORT_ONLY['DIRECTIVES']['report-uri'])"
)


def run_settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    clean.update({"DJANGO_SETTINGS_MODULE": "config.settings", "VAR_DIR": str(tmp_path), **env})
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def test_it_switches_to_report_only_with_a_report_uri_from_the_environment(tmp_path: Path) -> None:
    result = run_settings(
        tmp_path, DJANGO_CSP_REPORT_ONLY="true", DJANGO_CSP_REPORT_URI="https://csp.example.go.id/lapor"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "https://csp.example.go.id/lapor"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DJANGO_CSP_REPORT_ONLY": "perhaps"}, "DJANGO_CSP_REPORT_ONLY must be one of true/false"),
        (
            {"DJANGO_CSP_REPORT_URI": "ftp://csp.example.go.id/"},
            "DJANGO_CSP_REPORT_URI must start with one of",
        ),
    ],
)
def test_it_refuses_malformed_policy_settings_at_start_up(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    result = run_settings(tmp_path, **env)

    assert result.returncode != 0
    assert message in result.stderr
