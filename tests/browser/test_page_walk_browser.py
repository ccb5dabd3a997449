"""Every menu entry of every role of the demo, on a laptop and on a phone.

The demo district is seeded at a reduced scale that still makes every list long (dozens of desa, hundreds
of posyandu, thousands of children). Each demo user signs in, the links of the rendered menu are
collected, and each page must be at most 8,000 px tall at 1280 px wide and must not overflow a 360 px
wide screen sideways (a wide table scrolls inside its own container). All failures are listed together.
"""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.utils.module_loading import autodiscover_modules
from playwright.sync_api import Page

from convergence import demo
from convergence.demo.users import demo_password
from tests.browser.conftest import NewContext, log_in

pytestmark = pytest.mark.browser

SEED = 2026
# A tenth of the small demo's children over a third of its desa: every list of the demo is long (more
# rows than any page shows at once), and the seeding stays within a few tens of seconds.
WALK_SCALE = demo.DemoScale(
    name="walk",
    kecamatan_count=6,
    desa_total=70,
    kelurahan_count=2,
    posyandu_per_desa=(3, 6),
    children_total=1_500,
    months_of_history=13,
)
# One demo user per role (the second OPD officer too: the gap list differs per agency); the API
# client has no pages of its own.
WALKERS = ("bappeda", "bupati", "dinkes", "pupr", "puskesmas", "kader", "kpm")
MAX_HEIGHT_PX = 8_000
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}


@pytest.fixture
def demo_district(transactional_db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    autodiscover_modules("demo")
    monkeypatch.setitem(demo.SCALES, WALK_SCALE.name, WALK_SCALE)
    call_command("seed_demo", "--seed", str(SEED), "--scale", WALK_SCALE.name, stdout=io.StringIO())


def menu_links(page: Page) -> list[str]:
    """The paths of the rendered menu's links, in menu order, each once."""
    hrefs = page.eval_on_selector_all("#menu-utama a[href]", "links => links.map((a) => a.href)")
    paths = []
    for href in hrefs:
        parts = urlsplit(href)
        paths.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return list(dict.fromkeys(paths))


def measure(page: Page, url: str) -> list[str]:
    """The problems of one page: its status, its height on a laptop, its width on a phone."""
    problems = []
    page.set_viewport_size(LAPTOP)
    response = page.goto(url)
    # The API documentation builds itself from the schema it fetches: measured once built. (The other
    # menu pages draw from what they carry.)
    if page.locator("#swagger-ui").count():
        page.wait_for_load_state("networkidle")
    status = response.status if response is not None else 0
    if status != 200:
        problems.append(f"status {status}")
    height = page.evaluate("() => document.documentElement.scrollHeight")
    if height > MAX_HEIGHT_PX:
        problems.append(f"{height} px tall at 1280 px (max {MAX_HEIGHT_PX})")
    # Loaded again on the phone, as a phone would (a chart sized on a laptop may keep its width).
    page.set_viewport_size(PHONE)
    page.goto(url)
    scroll_width, client_width = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    if scroll_width > client_width:
        problems.append(f"{scroll_width} px wide in a {client_width} px phone screen")
    return problems


def test_it_keeps_every_menu_page_of_every_role_short_and_within_a_phone_screen(
    new_context: NewContext, demo_district: None
) -> None:
    failures: list[str] = []
    visited: dict[str, list[str]] = {}
    for username in WALKERS:
        page = new_context(viewport=LAPTOP).new_page()
        log_in(page, username=username, password=demo_password(seed=SEED, username=username))
        links = menu_links(page)
        visited[username] = links
        for url in links:
            failures += [f"{username} {url}: {problem}" for problem in measure(page, url)]
        page.context.close()

    # The walk reached each role's own pages (the menu differs per role).
    assert "/dasbor/" in visited["bupati"]
    assert any(url.startswith("/posyandu/") for url in visited["kader"])
    assert "/admin/" in visited["bappeda"]
    assert not failures, "\n".join(failures)
