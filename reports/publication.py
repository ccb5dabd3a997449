"""The public Aksi 7 publication: stunting, wasting and underweight per desa and puskesmas area.

Public by design (Aksi 7, "Pengukuran dan Publikasi Stunting"): the page needs no login, so these
reads do not go through convergence.scoping. What keeps them safe instead:
- only the desa and kabupaten summary rows of one kabupaten are read (never posyandu rows, never a
  child, a name or a NIK): counts of children, nothing below desa;
- every desa, puskesmas-area and kabupaten cell passes reports.disclosure before it leaves this
  module: a unit with fewer than 5 children measured, and any unit that would let it be recomputed
  from a total, is published without counts or percentages.

Puskesmas-area figures are the sums of their desa rows (Region.puskesmas); desa not yet assigned to
a puskesmas form one area of their own. Every figure is labelled with its source: the routine data
computed by this application, and survey figures separately.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Max, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from convergence.codes import DESA_LEVELS, KABUPATEN_LEVELS
from convergence.formatting import count, fixed
from convergence.models import Region

from . import compute, disclosure
from .models import PrevalenceSummary, SurveyFigure
from .selectors import (
    SOURCE_ROUTINE,
    figure_of,
    latest_complete_month,
    national_path,
    target_rule_for,
    targets_by_year,
)

Row = PrevalenceSummary
DESA_LEVEL_VALUES = [level.value for level in DESA_LEVELS]
KABUPATEN_LEVEL_VALUES = [level.value for level in KABUPATEN_LEVELS]
SUPPRESSED = "*"
SOURCE_SURVEY = _("Survei (dikutip dari laporan resmi survei, bukan dihitung aplikasi ini)")
NO_AREA = _("Desa belum dipetakan ke puskesmas")


@dataclass(frozen=True)
class Counts:
    """Children counted in a unit for the year: measured, and per index its valid values and cases."""

    measured: int = 0
    haz_counted: int = 0
    stunted: int = 0
    whz_counted: int = 0
    wasted: int = 0
    waz_counted: int = 0
    underweight: int = 0

    @classmethod
    def of_row(cls, row: PrevalenceSummary) -> Counts:
        return cls(
            measured=row.measured,
            haz_counted=row.haz_counted,
            stunted=row.stunted,
            whz_counted=row.whz_counted,
            wasted=row.whz_gizi_buruk + row.whz_gizi_kurang,
            waz_counted=row.waz_counted,
            underweight=row.waz_sangat_kurang + row.waz_kurang,
        )

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(getattr(self, name) + getattr(other, name) for name in self.__dataclass_fields__))


@dataclass(frozen=True)
class Cell:
    """One published row. When `suppressed`, only the unit's name may be shown."""

    kind: str  # "desa", "puskesmas" or "kabupaten"
    code: str
    name: str
    area: str  # the puskesmas area of a desa; the kecamatan of a puskesmas
    counts: Counts
    suppressed: bool = False

    @property
    def stunting(self) -> compute.Proportion:
        return compute.wilson_interval(self.counts.stunted, self.counts.haz_counted)

    @property
    def wasting(self) -> compute.Proportion:
        return compute.wilson_interval(self.counts.wasted, self.counts.whz_counted)

    @property
    def underweight(self) -> compute.Proportion:
        return compute.wilson_interval(self.counts.underweight, self.counts.waz_counted)

    def shown(self) -> list[int | float | str | None]:
        """The published values: measured, then n and % of stunting, wasting, underweight.

        Suppressed cells give the marker for every count and None for every percentage.
        """
        if self.suppressed:
            return [SUPPRESSED, SUPPRESSED, None, SUPPRESSED, None, SUPPRESSED, None]
        values: list[int | float | str | None] = [self.counts.measured]
        for proportion in (self.stunting, self.wasting, self.underweight):
            values += [proportion.numerator, None if proportion.pct is None else round(proportion.pct, 2)]
        return values


@dataclass(frozen=True)
class TargetRow:
    year: int
    measured: int
    suppressed: bool
    target: compute.YearTarget


@dataclass(frozen=True)
class YearCompleteness:
    """Whether a published year is complete: every month of it up to December counted as complete
    under the district's DashboardRule (reports.selectors.latest_complete_month)."""

    complete: bool
    measured: int
    registered: int
    latest_complete: datetime.date | None  # the district's latest complete month

    @property
    def coverage_pct(self) -> float | None:
        return 100.0 * self.measured / self.registered if self.registered else None


def year_is_complete(year: int, latest_complete: datetime.date | None) -> bool:
    return latest_complete is not None and (
        latest_complete.year > year or (latest_complete.year == year and latest_complete.month == 12)
    )


def default_year(*, kabupaten: Region) -> int | None:
    """The year the public page opens on: the latest complete one, else the latest with a figure."""
    years = publication_years(kabupaten=kabupaten)
    latest_complete = latest_complete_month(kabupaten=kabupaten).latest_complete
    complete = [year for year in years if year_is_complete(year, latest_complete)]
    return complete[0] if complete else (years[0] if years else None)


@dataclass(frozen=True)
class Publication:
    kabupaten: Region
    year: int
    period_start: datetime.date
    period_end: datetime.date
    total: Cell
    puskesmas: list[Cell]
    desa: list[Cell]
    targets: list[TargetRow]
    target_regulation: str
    surveys: list[SurveyFigure]
    computed_at: datetime.datetime | None
    completeness: YearCompleteness
    national_year: int | None  # the national target beside the headline: this year's, else the next
    national_pct: float | None
    min_count: int = disclosure.MIN_COUNT
    source = SOURCE_ROUTINE
    survey_source = SOURCE_SURVEY

    @property
    def running(self) -> bool:
        """The figures stop before the year's end: the running year, printed 's.d. <tanggal>'."""
        return self.period_end < datetime.date(self.year, 12, 31)

    @property
    def suppressed_count(self) -> int:
        return sum(cell.suppressed for cell in [self.total, *self.puskesmas, *self.desa])

    @property
    def target_row(self) -> TargetRow | None:
        return next((row for row in self.targets if row.year == self.year), None)


def _year_rows(kabupaten: Region) -> QuerySet[PrevalenceSummary]:
    return Row.objects.filter(
        level=Row.Level.KABUPATEN, region=kabupaten, period_kind=Row.PeriodKind.YEAR, posyandu__isnull=True
    )


def publication_kabupaten(*, code: str) -> Region:
    """The kabupaten/kota of `code` if it has a published year, else 404."""
    kabupaten = Region.objects.filter(code=code, level__in=KABUPATEN_LEVEL_VALUES).first()
    if kabupaten is None or not _year_rows(kabupaten).exists():
        raise Http404
    return kabupaten


def publication_years(*, kabupaten: Region) -> list[int]:
    """Years with a kabupaten figure, newest first."""
    return sorted({day.year for day in _year_rows(kabupaten).values_list("period", flat=True)}, reverse=True)


def publication_index() -> list[tuple[Region, int]]:
    """Every kabupaten/kota with a year figure and the year its page opens on (default_year)."""
    latest = dict(
        Row.objects.filter(level=Row.Level.KABUPATEN, period_kind=Row.PeriodKind.YEAR)
        .values("region_id")
        .annotate(last=Max("period"))
        .values_list("region_id", "last")
    )
    regions = Region.objects.filter(pk__in=list(latest)).order_by("code")
    return [(region, default_year(kabupaten=region) or latest[region.pk].year) for region in regions]


def _targets(kabupaten: Region, year: int) -> tuple[list[TargetRow], str]:
    """The kabupaten's yearly path up to `year`, as reports.selectors.year_table computes it."""
    rows = list(_year_rows(kabupaten).filter(period__year__lte=year).order_by("period"))
    sizes = {row.period.year: row.measured for row in rows}
    hidden = {y for y, n in sizes.items() if disclosure.primary_suppression([n])[0]}
    figures = [figure_of(row) for row in rows]
    actual = {
        f.row.period.year: f.stunting.pct
        for f in figures
        if f.stunting.pct is not None and f.row.period.year not in hidden
    }
    rule = target_rule_for(kabupaten)
    targets = targets_by_year(rule=rule, actual=actual, years=list(sizes))
    return (
        [
            TargetRow(year=t.year, measured=sizes.get(t.year, 0), suppressed=t.year in hidden, target=t)
            for t in targets.values()
        ],
        rule.regulation if rule else "",
    )


def _cells(
    *,
    kabupaten: Region,
    desa_list: list[Region],
    summaries: dict[int, Counts],
    total_row: PrevalenceSummary,
) -> tuple[list[Cell], list[Cell], Cell]:
    """The desa, puskesmas-area and kabupaten cells, suppressed together (no query)."""
    areas: dict[int | None, list[int]] = {}
    for i, desa in enumerate(desa_list):
        areas.setdefault(desa.puskesmas_id, []).append(i)
    area_keys = sorted(
        areas,
        key=lambda key: (key is None, desa_list[areas[key][0]].puskesmas.name if key else ""),  # type: ignore[union-attr]
    )
    desa_counts = [summaries.get(d.pk, Counts()) for d in desa_list]
    area_counts = [sum((desa_counts[i] for i in areas[key]), Counts()) for key in area_keys]
    total_counts = Counts.of_row(total_row)

    # Cells: desa 0..n-1, areas n..n+m-1, the kabupaten last.
    n, m = len(desa_list), len(area_keys)
    relations = [
        disclosure.Relation(total=n + j, members=tuple(areas[key])) for j, key in enumerate(area_keys)
    ]
    relations.append(disclosure.Relation(total=n + m, members=tuple(range(n, n + m))))
    sizes = [c.measured for c in desa_counts] + [c.measured for c in area_counts] + [total_counts.measured]
    hidden = disclosure.suppress(sizes, relations).suppressed.tolist()

    def area_name(key: int | None) -> str:
        if key is None:
            return str(NO_AREA)
        return desa_list[areas[key][0]].puskesmas.name  # type: ignore[union-attr]

    desa_cells = [
        Cell(
            kind="desa",
            code=d.code,
            name=d.name,
            area=area_name(d.puskesmas_id),
            counts=desa_counts[i],
            suppressed=hidden[i],
        )
        for i, d in enumerate(desa_list)
    ]
    area_cells = [
        Cell(
            kind="puskesmas",
            code=desa_list[areas[key][0]].puskesmas.code if key else "",  # type: ignore[union-attr]
            name=area_name(key),
            area="",
            counts=area_counts[j],
            suppressed=hidden[n + j],
        )
        for j, key in enumerate(area_keys)
    ]
    total = Cell(
        kind="kabupaten",
        code=kabupaten.code,
        name=kabupaten.name,
        area="",
        counts=total_counts,
        suppressed=hidden[n + m],
    )
    return desa_cells, area_cells, total


def publication(*, kabupaten: Region, year: int) -> Publication:
    """The published table of `kabupaten` for `year`, suppressed (a fixed number of queries).

    404 when the kabupaten has no figure for the year.
    """
    start = datetime.date(year, 1, 1)
    total_row = _year_rows(kabupaten).filter(period=start).first()
    if total_row is None:
        raise Http404
    desa_list = list(
        Region.objects.filter(level__in=DESA_LEVEL_VALUES, code__startswith=f"{kabupaten.code}.")
        .select_related("puskesmas")
        .order_by("code")
    )
    summaries = {
        row.region_id: Counts.of_row(row)
        for row in Row.objects.filter(
            level=Row.Level.DESA,
            region__in=[d.pk for d in desa_list],
            period_kind=Row.PeriodKind.YEAR,
            period=start,
            posyandu__isnull=True,
        )
    }
    desa_cells, area_cells, total = _cells(
        kabupaten=kabupaten, desa_list=desa_list, summaries=summaries, total_row=total_row
    )
    targets, regulation = _targets(kabupaten, year)
    national = national_path()
    later = [y for y in national if y >= year]
    national_year = min(later) if later else None
    latest_complete = latest_complete_month(kabupaten=kabupaten).latest_complete
    # The figures reach the day they were computed: within the running year that is not 31 December.
    computed_on = timezone.localdate(total_row.computed_at) if total_row.computed_at else timezone.localdate()
    return Publication(
        kabupaten=kabupaten,
        year=year,
        period_start=start,
        period_end=min(datetime.date(year, 12, 31), computed_on),
        total=total,
        puskesmas=area_cells,
        desa=desa_cells,
        targets=targets,
        target_regulation=regulation,
        surveys=list(
            SurveyFigure.objects.filter(region=kabupaten, year__lte=year).order_by("year", "source")
        ),
        computed_at=total_row.computed_at,
        completeness=YearCompleteness(
            complete=year_is_complete(year, latest_complete),
            measured=total_row.measured,
            registered=total_row.registered,
            latest_complete=latest_complete,
        ),
        national_year=national_year,
        national_pct=national.get(national_year) if national_year is not None else None,
    )


def value_header() -> list[str]:
    """Headers of Cell.shown(), in its order."""
    return [
        str(_("Balita diukur")),
        str(_("Stunting (n)")),
        str(_("Stunting (%)")),
        str(_("Wasting (n)")),
        str(_("Wasting (%)")),
        str(_("Underweight (n)")),
        str(_("Underweight (%)")),
    ]


def notes(item: Publication) -> list[str]:
    """Source, period, definitions and the suppression rule, as printed under every copy of the table."""
    dates = {"start": item.period_start.strftime("%d-%m-%Y"), "end": item.period_end.strftime("%d-%m-%Y")}
    if item.running:
        period = _(
            "Periode: %(start)s s.d. %(end)s (tahun berjalan); tiap anak dihitung sekali (pengukuran sah "
            "terakhir sampai tanggal itu)."
        )
    else:
        period = _(
            "Periode: %(start)s s.d. %(end)s; tiap anak dihitung sekali (pengukuran sah terakhir tahun itu)."
        )
    lines = [
        str(_("Sumber: %(source)s.") % {"source": item.source}),
        str(period % dates),
        str(
            _(
                "Stunting: TB/U atau PB/U < -2 SD; wasting: BB/TB atau BB/PB < -2 SD; underweight: "
                "BB/U < -2 SD (Permenkes 2/2020). Penyebut: balita yang diukur dengan nilai sah."
            )
        ),
        str(
            _(
                "Angka puskesmas adalah jumlah desa di wilayah kerjanya; angka kabupaten dihitung "
                "dari semua balita yang diukur di kabupaten."
            )
        ),
        str(
            _(
                "%(marker)s = tidak ditampilkan: wilayah dengan 1-%(max)s balita diukur, dan wilayah lain "
                "yang juga disembunyikan agar angka wilayah kecil tidak dapat dihitung dari total "
                "(mis. total puskesmas dikurangi desa lainnya)."
            )
            % {"marker": SUPPRESSED, "max": item.min_count - 1}
        ),
        str(_("Tanpa data pribadi: tidak ada nama, NIK, atau angka di bawah tingkat desa.")),
    ]
    if item.surveys:
        lines.append(str(_("Angka survei: %(source)s.") % {"source": item.survey_source}))
    return lines


def displayed(cells: list[Cell]) -> list[tuple[Cell, list[tuple[str, str]]]]:
    """Each cell with its (header, text) pairs as the page prints them: "12,34%", "1.234", "-", the marker."""
    header = value_header()
    result = []
    for cell in cells:
        texts = []
        for i, value in enumerate(cell.shown()):
            if value is None:
                text = "-"
            elif isinstance(value, float):
                text = f"{fixed(value, 2)}%"
            elif isinstance(value, int):
                text = count(value)
            else:
                text = str(value)
            texts.append((header[i], text))
        result.append((cell, texts))
    return result
