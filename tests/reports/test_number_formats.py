"""Numbers, money and months on the main pages read the Indonesian way: decimal comma, thousands dot,
month names. Every role opens every page of its menu on a district with data in the tens of thousands."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from children.models import Child
from children.services import measurement_record
from convergence.models import Posyandu, Region
from convergence.navigation import MenuItem, menu_for_user
from interventions.models import BudgetLine
from interventions.services_pmt import disbursement_approve, disbursement_record
from reports.models import PrevalenceSummary
from tests.factories import ChildFactory, DistrictFixture
from tests.interventions.test_pmt import make_line, second_bappeda

ROLES = ["bappeda_admin", "pimpinan", "opd_officer", "puskesmas_officer", "kader", "kpm"]
# Pages that are not ours to format: Django's admin and the API reference.
FOREIGN_PAGES = ("/admin/", "/api/")

# A date or a month written in digits, whole (not inside a word or a longer run of digits).
DATE_OR_MONTH = re.compile(
    r"(?<![\w.,-])(?:\d{2}-\d{2}-\d{4}|\d{4}-\d{2}-\d{2}|\d{4}-\d{2}|\d{2}-\d{4})(?![\w-])"
)
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# A number with the dots and commas inside it, whole; a minus sign may lead.
NUMBER = re.compile(r"(?<![\w.,])-?\d+(?:[.,]\d+)*")
THOUSANDS = re.compile(r"-?\d{1,3}(?:\.\d{3})+(?:,\d+)?")
DECIMAL_POINT = re.compile(r"-?\d+\.\d+")
# Indonesian times are written with a dot (Django's id TIME_FORMAT "G.i"): "pukul 14.30", "2026, 9.05".
TIME = re.compile(r"(?:pukul|\d{4},)\s+$")


class _Text(HTMLParser):
    """The text a reader sees: no tags, attributes, scripts or styles."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def _around(text: str, match: re.Match[str]) -> str:
    return text[max(0, match.start() - 30) : match.end() + 30]


def misformatted(text: str, codes: set[str]) -> list[tuple[str, str, str]]:
    """The numbers of `text` not written the Indonesian way: (what is wrong, the number, its context).

    Allowed: thousands groups (16.972), decimal commas (11,30), region codes (35.10, 35.10.01.2001: any
    run of two or more dots is a code), dates (05-12-2026), times after a date or "pukul" (14.30).
    Refused: a decimal point (-0.14), a month as digits (2026-12, 03-2026), a date in ISO order
    (2026-01-01), a number of five digits or more without its thousands dot (16972).
    """
    found: list[tuple[str, str, str]] = [
        ("month" if match.group().count("-") == 1 else "ISO date", match.group(), _around(text, match))
        for match in DATE_OR_MONTH.finditer(text)
        if match.group().count("-") == 1 or ISO_DATE.fullmatch(match.group())
    ]
    text = DATE_OR_MONTH.sub(" ", text)
    for match in NUMBER.finditer(text):
        token = match.group()
        context = _around(text, match)
        if token in codes or token.count(".") >= 2:
            continue
        if THOUSANDS.fullmatch(token):
            continue
        if DECIMAL_POINT.fullmatch(token) and not TIME.search(
            text[max(0, match.start() - 12) : match.start()]
        ):
            found.append(("decimal point", token, context))
            continue
        digits = token.split(",")[0]
        if "." not in digits and len(digits.lstrip("-")) >= 5:
            found.append(("no thousands dot", token, context))
    return found


def test_the_rule_refuses_what_the_issue_saw_and_keeps_codes_dates_and_times() -> None:
    seen = (
        "z -0.14; BB 11,30 (0.5-50) 16972 dari 35446 Rp 976.680.000 bulan 2026-12 dan 03-2026"
        " periode 2026-01-01 – 2026-08-31"
    )
    assert [(kind, token) for kind, token, _ in misformatted(seen, set())] == [
        ("month", "2026-12"),
        ("month", "03-2026"),
        ("ISO date", "2026-01-01"),
        ("ISO date", "2026-08-31"),
        ("decimal point", "-0.14"),
        ("decimal point", "0.5"),
        ("no thousands dot", "16972"),
        ("no thousands dot", "35446"),
    ]
    fine = (
        "Kab. 35.10 desa 35.10.01.2001 -0,14 11,30 16.972 dari 35.446 05-12-2026 5 Des 2026, 14.30 pukul 9.05"
    )
    assert misformatted(fine, {"35.10"}) == []


def _pages(items: list[MenuItem]) -> list[str]:
    urls = []
    for item in items:
        if item.url and not item.url.startswith(FOREIGN_PAGES):
            urls.append(item.url)
        urls += _pages(list(item.items))
    return list(dict.fromkeys(urls))


@pytest.fixture
def busy_district(district: DistrictFixture) -> DistrictFixture:
    """The test district with kabupaten figures in the tens of thousands, a weighed child of every
    registry page and a PMT budget line of Rp 976.680.000."""
    d = district
    today = timezone.localdate()
    for months_back, measured in ((2, 16972), (1, 17030)):
        first = (today.replace(day=1) - datetime.timedelta(days=28 * months_back)).replace(day=1)
        for level, region, scale in (
            (PrevalenceSummary.Level.KABUPATEN, d.kabupaten, 1),
            (PrevalenceSummary.Level.KECAMATAN, d.kecamatan_a, 1),
        ):
            PrevalenceSummary.objects.create(
                level=level,
                region=region,
                period_kind=PrevalenceSummary.PeriodKind.MONTH,
                period=first,
                registered=35446 // scale,
                measured=measured // scale,
                haz_pendek=measured // 7,
                haz_normal=measured - measured // 7,
                whz_gizi_baik=measured,
                waz_normal=measured,
            )
    for level, region in ((PrevalenceSummary.Level.KABUPATEN, d.kabupaten), ("desa", d.desa_a1)):
        PrevalenceSummary.objects.create(
            level=level,
            region=region,
            period_kind=PrevalenceSummary.PeriodKind.YEAR,
            period=today.replace(month=1, day=1),
            registered=35446,
            measured=17030,
            haz_pendek=2433,
            haz_normal=17030 - 2433,
            whz_gizi_baik=17030,
            waz_normal=17030,
        )
    child = ChildFactory(posyandu=d.posyandu_a1, birth_date=today - datetime.timedelta(days=400))
    measurement_record(
        user=None,
        child=child,
        measured_on=today - datetime.timedelta(days=3),
        weight_kg=Decimal("8.90"),
        height_cm=Decimal("74.3"),
        position="L",
    )
    line = make_line(d, Decimal("976680000"))
    payment = disbursement_record(
        user=d.users["opd_officer"],
        budget_line=line,
        amount=Decimal("12500000"),
        payee="Kader",
        paid_on=datetime.date(line.year, 3, 14),
    )
    disbursement_approve(user=second_bappeda(d), disbursement=payment)
    return d


def _detail_pages() -> list[str]:
    """Pages outside the menu: the weighed child, the PMT budget line and its year's report, the
    public publication, the drill-down at every level, the full rankings and the data quality page."""
    kabupaten = Region.objects.get(code="35.10")
    year = timezone.localdate().year
    line = BudgetLine.objects.get()
    return [
        reverse("reports:publication", kwargs={"code": kabupaten.code, "year": year}),
        reverse("children:child-detail", args=[Child.objects.get().pk]),
        reverse("interventions:pmt-budget-line", args=[line.pk]),
        reverse("interventions:pmt-report", args=[line.year]),
        reverse("reports:region-dashboard", args=["35.10"]),
        reverse("reports:region-dashboard", args=["35.10.01"]),
        reverse("reports:region-dashboard", args=["35.10.01.2001"]),
        reverse("reports:posyandu-dashboard", args=[Posyandu.objects.order_by("pk").first().pk]),  # type: ignore[union-attr]
        f"{reverse('reports:ranking')}?tingkat=kecamatan",
        f"{reverse('reports:ranking')}?tingkat=desa",
        reverse("reports:data-quality"),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_the_main_pages_write_numbers_the_indonesian_way(busy_district: DistrictFixture, role: str) -> None:
    user = busy_district.users[role]
    client = Client(HTTP_ACCEPT_LANGUAGE="id")
    client.force_login(user)
    # Region codes, also as the map page's help writes them without dots (3510012001).
    codes = set(Region.objects.values_list("code", flat=True))
    codes |= {code.replace(".", "") for code in codes}
    found: dict[str, list[tuple[str, str, str]]] = {}
    shown: list[str] = []
    pages = _pages(menu_for_user(user))
    assert len(pages) >= 5
    for url in [*pages, *_detail_pages()]:
        response = client.get(url, follow=True)
        if url not in pages and response.status_code in (403, 404):
            continue  # a record outside the role's scope or work
        assert response.status_code == 200, url
        text = visible_text(response.content.decode())
        shown.append(text)
        problems = misformatted(text, codes)
        if problems:
            found[url] = problems
    if role in ("bappeda_admin", "pimpinan"):  # the figures were there to be checked
        assert "17.030 dari 35.446" in " ".join(shown)
    if role == "bappeda_admin":
        assert "Rp 976.680.000" in " ".join(shown)
    if found:
        pytest.fail(
            "\n".join(
                f"{url}: {kind} {token!r} in {context!r}"
                for url, rows in found.items()
                for kind, token, context in rows
            )
        )


@pytest.mark.parametrize(
    ("language", "month_word", "tick_word", "figure"),
    [("id", "Agustus", "Okt", "15,65"), ("en", "August", "Oct", "15.65")],
)
def test_the_chart_and_the_period_speak_the_reader_language(
    busy_district: DistrictFixture, language: str, month_word: str, tick_word: str, figure: str
) -> None:
    """The trend's month names, axis ticks and tooltip figures come from the server in the reader's
    language, and the convergence period reads as months, not ISO dates."""
    today = timezone.localdate()
    PrevalenceSummary.objects.create(
        level=PrevalenceSummary.Level.KABUPATEN,
        region=busy_district.kabupaten,
        period_kind=PrevalenceSummary.PeriodKind.MONTH,
        period=datetime.date(today.year - 1, 8, 1),
        registered=35446,
        measured=17030,
        haz_pendek=2665,
        haz_normal=17030 - 2665,
        whz_gizi_baik=17030,
        waz_normal=17030,
    )
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(busy_district.users["pimpinan"])
    response = client.get(reverse("reports:dashboard"))
    trend = response.context["data"]["trend"]
    august = trend["months"][0]
    assert (august["month"], august["label"], august["text"]) == (
        f"{today.year - 1}-08",
        f"{month_word} {today.year - 1}",
        figure,
    )
    # August is the first month: the first tick is October (every third month is named).
    assert trend["ticks"][0] == {"x": round(today.year - 1 + 9 / 12, 4), "label": tick_word}
    assert all(t["label"].split()[0] in MONTH_ABBREVIATIONS[language] for t in trend["ticks"])
    page = response.context["page"]
    text = visible_text(response.content.decode())
    assert page.convergence_label in text
    assert not ISO_DATE.search(page.convergence_label)


MONTH_ABBREVIATIONS = {
    "id": {"Jan", "Apr", "Jul", "Okt"},
    "en": {"Jan", "Apr", "Jul", "Oct"},
}
