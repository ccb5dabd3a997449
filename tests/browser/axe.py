"""axe-core in the browser tests: the pinned npm file (package.json) injected into the page under test.

The page's Content-Security-Policy refuses injected scripts: open the context with
`new_context(bypass_csp=True)` (see tests/browser/conftest.py). Without node_modules/axe-core (`npm ci`)
the audit skips, except under CI, where it fails.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page

AXE_FILE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
SEVERE = ("serious", "critical")

RUN_AXE = """async (severe) => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations
    .filter((v) => severe.includes(v.impact))
    .map((v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}"""


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_FILE.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{AXE_FILE} is missing: run `npm ci`")
        pytest.skip("axe-core is not installed (npm ci)")
    return AXE_FILE.read_text()


def severe_violations(page: Page, source: str) -> list[str]:
    """The serious and critical axe-core violations of the page as it is now, one line each."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=source)
    return page.evaluate(RUN_AXE, list(SEVERE))
