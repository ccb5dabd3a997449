"""What the province and national dashboards show: an area's summed counts read as prevalences with
95% intervals, its verdicts against the target paths, its grades and PMT money, and the page itself."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from django.utils.translation import gettext_lazy

from convergence.formatting import month_name

from . import compute
from .dashboard_rankings import prevalence_class
from .dashboard_trend import series_period
from .province_map import ProvinceMap
from .selectors import SOURCE_ROUTINE, PeriodChoice

# The counts read from each kabupaten row, in this order (the columns of the count arrays).
COUNT_FIELDS = (
    "registered",
    "measured",
    "haz_sangat_pendek",
    "haz_pendek",
    "haz_normal",
    "haz_tinggi",
    "waz_sangat_kurang",
    "waz_kurang",
    "waz_normal",
    "waz_risiko_lebih",
    "whz_gizi_buruk",
    "whz_gizi_kurang",
    "whz_gizi_baik",
    "whz_berisiko_gizi_lebih",
    "whz_gizi_lebih",
    "whz_obesitas",
)
COUNT_INDEX = {name: i for i, name in enumerate(COUNT_FIELDS)}

# What a dashboard lists: the kabupaten of a province, or the provinces of the nation.
PROVINCE, NATIONAL = "provinsi", "nasional"

VERDICT_LABELS = {
    compute.VERDICT_BELOW: gettext_lazy("Di bawah target"),
    compute.VERDICT_UNSURE: gettext_lazy("Belum pasti (SK 95% memuat target)"),
    compute.VERDICT_ABOVE: gettext_lazy("Di atas target"),
    "": gettext_lazy("Tanpa target untuk tahun ini"),
}

# --- what the pages show ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaFigure:
    """Summed counts of an area for one month, read: prevalences and coverage with 95% intervals."""

    registered: int
    measured: int
    stunting: compute.Proportion
    wasting: compute.Proportion
    underweight: compute.Proportion
    coverage: compute.Proportion


def area_figure(counts: np.ndarray) -> AreaFigure:
    """The figure of one vector of COUNT_FIELDS counts."""
    c = [int(v) for v in counts]
    haz = sum(c[COUNT_INDEX[f]] for f in ("haz_sangat_pendek", "haz_pendek", "haz_normal", "haz_tinggi"))
    waz = sum(
        c[COUNT_INDEX[f]] for f in ("waz_sangat_kurang", "waz_kurang", "waz_normal", "waz_risiko_lebih")
    )
    whz = sum(c[COUNT_INDEX[f]] for f in COUNT_FIELDS if f.startswith("whz_"))
    return AreaFigure(
        registered=c[COUNT_INDEX["registered"]],
        measured=c[COUNT_INDEX["measured"]],
        stunting=compute.wilson_interval(
            c[COUNT_INDEX["haz_sangat_pendek"]] + c[COUNT_INDEX["haz_pendek"]], haz
        ),
        wasting=compute.wilson_interval(
            c[COUNT_INDEX["whz_gizi_buruk"]] + c[COUNT_INDEX["whz_gizi_kurang"]], whz
        ),
        underweight=compute.wilson_interval(
            c[COUNT_INDEX["waz_sangat_kurang"]] + c[COUNT_INDEX["waz_kurang"]], waz
        ),
        coverage=compute.wilson_interval(c[COUNT_INDEX["measured"]], c[COUNT_INDEX["registered"]]),
    )


@dataclass(frozen=True)
class Verdict:
    """A prevalence against one path: the path's value for the year and where the interval stands."""

    target_pct: float | None
    verdict: str  # compute.VERDICT_* or ""

    @property
    def label(self) -> str:
        return str(VERDICT_LABELS[self.verdict])


@dataclass(frozen=True)
class Grades:
    """Grade counts of the provincial assessment (penilaian kinerja) of one year (None: none yet)."""

    year: int | None
    a: int = 0
    b: int = 0
    c: int = 0
    d: int = 0

    @property
    def total(self) -> int:
        return self.a + self.b + self.c + self.d


@dataclass(frozen=True)
class Money:
    """PMT allocation and approved disbursements of a year, Decimal rupiah."""

    year: int
    allocated: Decimal
    disbursed: Decimal
    absorption_percent: Decimal | None


@dataclass(frozen=True)
class AreaRow:
    """One kabupaten of a province (or one province of the nation), or their total."""

    code: str
    name: str
    figure: AreaFigure
    complete: bool | None  # the month complete under the unit's own rule; None without data
    provincial: Verdict
    national: Verdict
    grades: Grades
    money: Money
    has_map: bool = False
    rank: int | None = None
    href: str = ""  # the kabupaten's panel on this page, or the province's dashboard

    @property
    def anchor(self) -> str:
        return "kab-" + self.code.replace(".", "-")

    @property
    def css(self) -> str:
        return prevalence_class(self.figure.stunting.pct)


@dataclass
class AreaDashboard:
    """The province dashboard (`kind` provinsi: rows per kabupaten) or the national one (per province)."""

    kind: str
    code: str
    name: str
    month: datetime.date | None
    months: list[datetime.date]
    period: PeriodChoice
    year: int
    rows: list[AreaRow]
    total: AreaRow
    trend: dict[str, Any]
    map: ProvinceMap | None
    provincial_path: dict[int, float]
    national_path: dict[int, float]
    provincial_sources: list[str]
    source_routine: str = field(default_factory=lambda: str(SOURCE_ROUTINE))
    cache_key: str = ""

    def data(self) -> dict[str, Any]:
        return {"trend": self.trend, "map": self.map.data() if self.map else None}

    @property
    def provincial_points(self) -> list[dict[str, float]]:
        return [{"year": year, "pct": pct} for year, pct in sorted(self.provincial_path.items())]

    @property
    def national_points(self) -> list[dict[str, float]]:
        return [{"year": year, "pct": pct} for year, pct in sorted(self.national_path.items())]

    @property
    def is_national(self) -> bool:
        return self.kind == NATIONAL

    @property
    def period_label(self) -> str:
        return month_name(self.month) if self.month else "–"

    @property
    def trend_period(self) -> str:
        return series_period(self.trend)
