"""Browser tests: Debian's chromium driven by Playwright's sync API against pytest-django's live server.

Chromium comes from the distribution (`make test` installs it with apt when missing), never from
`playwright install`: districts run this on closed networks. Without chromium the browser tests skip,
except under CI (env `CI` set), where they fail so that a missing browser cannot pass unnoticed.

Screenshots go to var/test-artifacts/: one per key step, and one of every page open when a test fails.

Every page opened through `new_context` (and `page`) reports its Content-Security-Policy violations
into `csp_violations`, and a test with any violation fails at teardown: a page whose script or style
the policy blocks is broken even when the assertions still pass. A test that injects a script of its
own (axe-core and other audit tools) must open its context with `new_context(bypass_csp=True)`,
otherwise the policy blocks the injected script. `page.evaluate` is not subject to the policy, but
`page.wait_for_function` polls a plain expression through eval, which it refuses: pass it a function
("() => ...") instead.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    Playwright,
    sync_playwright,
)
from pytest_django.live_server_helper import LiveServer

from tests.factories import PASSWORD

DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
]
ARTIFACTS_DIR = Path(settings.BASE_DIR) / "var" / "test-artifacts"
# Long enough for a slow CI machine, short enough that a missing element fails within the suite budget.
TIMEOUT_MS = 10_000

Screenshot = Callable[[Page, str], Path]
NewContext = Callable[..., BrowserContext]

# Runs in every document before its own scripts (Playwright's init scripts are not subject to the page's
# policy) and hands each violation event to Python at once, so that none is lost when the page navigates.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCSPViolation([
    event.disposition, event.effectiveDirective, event.blockedURI || "-", document.location.pathname,
    (event.sourceFile || "-") + ":" + event.lineNumber, event.sample || "",
  ].join(" "));
});
"""


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _chromium_path() -> str | None:
    """CHROMIUM_PATH if set (it must then exist), else Debian's chromium, else chromium on PATH."""
    configured = os.environ.get("CHROMIUM_PATH", "").strip()
    if configured:
        if not (os.path.isfile(configured) and os.access(configured, os.X_OK)):
            pytest.fail(f"CHROMIUM_PATH={configured!r} is not an executable file", pytrace=False)
        return configured
    if os.access(DEFAULT_CHROMIUM, os.X_OK):
        return DEFAULT_CHROMIUM
    return shutil.which("chromium")


def _artifact_name(nodeid: str) -> str:
    """'tests/browser/test_x.py::test_y[kader]' -> 'test_x.py-test_y-kader'."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", nodeid.split("/")[-1]).strip("-")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The browser tests run last: from the first of them to the end of the run Playwright keeps an
    # event loop running in the main thread (see the `playwright` fixture), which no other test expects.
    browser_tests = [item for item in items if item.get_closest_marker("browser")]
    items[:] = [item for item in items if not item.get_closest_marker("browser")] + browser_tests


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    # Keeps each phase's report on the test item so that the `page` fixture knows whether it failed.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """var/test-artifacts/, emptied of the previous run's screenshots so that none is taken for new."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS_DIR.glob("*.png"):
        old.unlink()
    return ARTIFACTS_DIR


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    # Playwright's sync API runs an asyncio event loop in the test thread until it stops, so Django
    # takes the ORM calls of the tests themselves (fixtures, assertions) for calls from async code and
    # refuses them. They are plain synchronous calls (the live server answers the browser from its own
    # thread). The variable is set only while Playwright runs, so that subprocesses started by other
    # tests (`check --deploy` refuses it) never inherit it.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            yield playwright
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    executable = _chromium_path()
    if executable is None:
        message = (
            "chromium is not installed (looked at CHROMIUM_PATH, /usr/bin/chromium and PATH); "
            "install it with `apt-get install chromium` or run `make browser`"
        )
        if _in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return executable


@pytest.fixture(scope="session")
def browser(chromium_executable: str, playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def csp_violations() -> list[str]:
    """Content-Security-Policy violations of every page of the test, one line each, in order."""
    return []


def _listen_for_csp_violations(context: BrowserContext, violations: list[str]) -> None:
    """Collect the policy's violation events, and chromium's console lines about the policy."""

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            violations.append(f"console: {message.text}")

    context.expose_function("reportCSPViolation", lambda line: violations.append(f"event: {line}"))
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    context.on("console", on_console)


@pytest.fixture
def new_context(
    browser: Browser,
    live_server: LiveServer,
    request: pytest.FixtureRequest,
    artifacts_dir: Path,
    csp_violations: list[str],
) -> Iterator[NewContext]:
    """Open fresh browser profiles (no cookies) of an Indonesian-speaking user, on a laptop by default.

    Keyword arguments go to `Browser.new_context` (a phone: viewport, is_mobile, has_touch). When the
    test fails, every page still open is saved as <test>-failure[-n].png. Any Content-Security-Policy
    violation on any page fails the test at teardown.
    """
    contexts: list[BrowserContext] = []

    def open_context(**options: Any) -> BrowserContext:
        options = {"locale": "id-ID", "viewport": {"width": 1280, "height": 900}, **options}
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(TIMEOUT_MS)
        _listen_for_csp_violations(context, csp_violations)
        contexts.append(context)
        return context

    yield open_context
    report = getattr(request.node, "report_call", None)
    failed = report is not None and report.failed
    pages = [page for context in contexts for page in context.pages]
    for number, page in enumerate(pages if failed else []):
        suffix = f"-{number}" if number else ""
        path = artifacts_dir / f"{_artifact_name(request.node.nodeid)}-failure{suffix}.png"
        page.screenshot(path=path, full_page=True)
    for page in pages:
        # A round trip to each page delivers the events it sent before (violations of late scripts).
        with contextlib.suppress(Error):  # closed or crashed: nothing more to hear from it
            page.evaluate("0")
    for context in contexts:
        context.close()
    if csp_violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(csp_violations), pytrace=False)


@pytest.fixture
def page(new_context: NewContext) -> Page:
    return new_context().new_page()


@pytest.fixture
def screenshot(request: pytest.FixtureRequest, artifacts_dir: Path) -> Screenshot:
    """Save a full-page screenshot of a key step as var/test-artifacts/<test>-<step>.png."""
    prefix = _artifact_name(request.node.nodeid)

    def take(page: Page, step: str) -> Path:
        path = artifacts_dir / f"{prefix}-{step}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return take


def log_in(page: Page, *, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form, as a person would, and wait for the page that follows."""
    page.goto("/masuk/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


# The axe-core source as a fixture of every browser test (tests/browser/axe.py).
from tests.browser.axe import axe_source  # noqa: E402,F401
