"""Units of a region ranked by stunting prevalence, with their colour classes, and the desa grid."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from convergence.codes import DESA_LEVELS
from convergence.models import Posyandu, Region, User
from convergence.scoping import restrict
from convergence.selectors import region_list_for_user

from .models import PrevalenceSummary
from .selectors import (
    Figure,
    figure_of,
    summary_list,
)

Row = PrevalenceSummary

# Public-health significance of a stunting prevalence (WHO/UNICEF thresholds, de Onis et al. 2019,
# Public Health Nutrition 22(1)): the map and grid colour classes, lowest first.
PREVALENCE_CLASSES: tuple[tuple[float, str, Any], ...] = (
    (2.5, "prev-0", gettext_lazy("sangat rendah (< 2,5%)")),
    (10.0, "prev-1", gettext_lazy("rendah (2,5–< 10%)")),
    (20.0, "prev-2", gettext_lazy("sedang (10–< 20%)")),
    (30.0, "prev-3", gettext_lazy("tinggi (20–< 30%)")),
    (float("inf"), "prev-4", gettext_lazy("sangat tinggi (≥ 30%)")),
)
NO_DATA_CLASS = "prev-none"


def prevalence_class(pct: float | None) -> str:
    if pct is None:
        return NO_DATA_CLASS
    return next(css for upper, css, _label in PREVALENCE_CLASSES if pct < upper)


def legend() -> list[tuple[str, str]]:
    return [(css, str(label)) for _upper, css, label in PREVALENCE_CLASSES] + [
        (NO_DATA_CLASS, _("tanpa data"))
    ]


# --- rankings and the map ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RankRow:
    name: str
    code: str
    figure: Figure | None
    css: str
    url_code: str = ""  # the region page to drill into ("" for a posyandu)
    posyandu_id: int | None = None
    region_id: int | None = None

    @property
    def pct(self) -> float | None:
        return self.figure.stunting.pct if self.figure else None

    @property
    def measured(self) -> int:
        return self.figure.row.measured if self.figure else 0


# The first screen shows the highest and the lowest few; the whole list is one link away.
RANKING_SHOWN = 10


@dataclass(frozen=True)
class Ranking:
    """Units ranked by prevalence, and apart those with too few children measured to be ranked.

    A desa at 66.67% from 3 children is noise, not the district's worst desa: below the district's
    DashboardRule.min_measured_to_rank a unit is listed under "data belum cukup", by code.
    """

    level: str
    ranked: list[RankRow]
    insufficient: list[RankRow]
    min_measured: int
    shown: int = RANKING_SHOWN

    @property
    def is_cut(self) -> bool:
        return len(self.ranked) > 2 * self.shown

    @property
    def top(self) -> list[RankRow]:
        return self.ranked[: self.shown] if self.is_cut else self.ranked

    @property
    def bottom_start(self) -> int:
        """Rows ranked above the first of `bottom` (its rank minus one)."""
        return max(self.shown, len(self.ranked) - self.shown)

    @property
    def bottom(self) -> list[RankRow]:
        return self.ranked[self.bottom_start :] if self.is_cut else []


def ranking_split(rows: list[RankRow], *, level: str, min_measured: int) -> Ranking:
    """Split an ordered ranking: units with at least `min_measured` children measured keep their order."""
    return Ranking(
        level=level,
        ranked=[row for row in rows if row.pct is not None and row.measured >= min_measured],
        insufficient=sorted(
            (row for row in rows if row.pct is None or row.measured < min_measured), key=lambda r: r.code
        ),
        min_measured=min_measured,
    )


def _ranked(rows: list[RankRow]) -> list[RankRow]:
    """Highest prevalence first; units without a figure last, by code."""
    return sorted(rows, key=lambda r: (r.pct is None, -(r.pct or 0.0), r.code))


def unit_ranking(*, user: User, within: Region, level: str, month: datetime.date | None) -> list[RankRow]:
    """Every visible unit of `level` inside `within` with its figure of `month` (or none), ranked.

    Two queries whatever the number of units: the units, then their summary rows of the month.
    """
    figures: dict[tuple[int, int | None], Figure] = {}
    if month is not None:
        rows = summary_list(user=user, level=level, within=within, period_from=month, period_to=month)
        figures = {(row.region_id, row.posyandu_id): figure_of(row) for row in rows}
    units: list[RankRow] = []
    if level == Row.Level.POSYANDU:
        posyandu_qs = restrict(Posyandu.objects.filter(desa=within), user).order_by("code")
        for posyandu in posyandu_qs:
            figure = figures.get((within.pk, posyandu.pk))
            units.append(
                RankRow(
                    name=posyandu.name,
                    code=posyandu.code,
                    figure=figure,
                    css=prevalence_class(figure.stunting.pct if figure else None),
                    posyandu_id=posyandu.pk,
                    region_id=within.pk,
                )
            )
        return _ranked(units)
    levels = [lv.value for lv in DESA_LEVELS] if level == Row.Level.DESA else [level]
    # Retired regions are ranked no more; their measurements still count in the totals above them.
    regions = (
        region_list_for_user(user=user).active().filter(code__startswith=f"{within.code}.", level__in=levels)
    )
    for region in regions.order_by("code"):
        figure = figures.get((region.pk, None))
        units.append(
            RankRow(
                name=region.name,
                code=region.code,
                figure=figure,
                css=prevalence_class(figure.stunting.pct if figure else None),
                url_code=region.code,
                region_id=region.pk,
            )
        )
    return _ranked(units)


@dataclass(frozen=True)
class GridGroup:
    """One kecamatan of the schematic map: its desa tiles, by code."""

    name: str
    code: str
    tiles: list[RankRow]


def grid_groups(*, desa_rows: list[RankRow], kecamatan_rows: list[RankRow]) -> list[GridGroup]:
    by_kecamatan: dict[str, list[RankRow]] = {}
    for row in desa_rows:
        by_kecamatan.setdefault(row.code.rsplit(".", 1)[0], []).append(row)
    names = {row.code: row.name for row in kecamatan_rows}
    return [
        GridGroup(name=names.get(code, code), code=code, tiles=sorted(tiles, key=lambda r: r.code))
        for code, tiles in sorted(by_kecamatan.items())
    ]
