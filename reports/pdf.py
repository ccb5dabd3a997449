"""The Aksi 7 publication as a PDF (fpdf2: pure Python, no system library).

Written with the PDF core font Helvetica, which every PDF reader has, so nothing is embedded and no
font file is needed on the server. Core fonts cover Latin-1 only: text is reduced to it (Indonesian
needs nothing more; a character outside it prints as "?").
"""

from __future__ import annotations

import itertools
import math
from decimal import Decimal

from django.utils.translation import gettext as _
from fpdf import FPDF

from convergence.formatting import count, fixed

from .publication import Cell, Publication, notes, value_header

FONT = "Helvetica"
LABEL_WIDTH_MM = 62
VALUE_WIDTH_MM = 28


class PublicationPDF(FPDF):
    """Landscape A4 with "Halaman n dari N" in every page's footer (N filled in when the file is written)."""

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(FONT, size=8)
        page = _("Halaman %(page)s dari %(pages)s") % {
            "page": self.page_no(),
            "pages": self.str_alias_nb_pages,
        }
        self.cell(0, 5, latin1(page), align="C")


# The yearly trend: a line per series over the years of the target table.
CHART_WIDTH_MM = 150
CHART_HEIGHT_MM = 45
CHART_LEFT_MM = 14  # room for the axis labels


def chart_top(values: list[float | None]) -> float:
    """The top of the percentage axis: the highest value rounded up to a multiple of 5 (at least 5)."""
    highest = max((v for v in values if v is not None), default=0.0)
    return float(max(5, math.ceil(highest / 5) * 5))


def chart_points(
    values: list[float | None], *, top: float, width_mm: float, height_mm: float
) -> list[tuple[float, float] | None]:
    """(x, y) in mm from the chart's top-left corner, one per year (None without a value); y grows down."""
    step = width_mm / max(len(values) - 1, 1)
    return [None if v is None else (i * step, height_mm * (1 - v / top)) for i, v in enumerate(values)]


def _polyline(pdf: FPDF, points: list[tuple[float, float] | None], x0: float, y0: float) -> None:
    """Lines between consecutive years with values; a year without one breaks the line."""
    for start, end in itertools.pairwise(points):
        if start is not None and end is not None:
            pdf.line(x0 + start[0], y0 + start[1], x0 + end[0], y0 + end[1])


def _trend_chart(pdf: FPDF, item: Publication) -> None:
    """Stunting % of the kabupaten per year (solid) and the district target path (dashed)."""
    years = [row.year for row in item.targets]
    actual = [None if row.suppressed else row.target.actual_pct for row in item.targets]
    target = [row.target.target_pct for row in item.targets]
    if sum(v is not None for v in actual) < 2:
        return  # one point is no trend
    top = chart_top(actual + target)
    if pdf.will_page_break(CHART_HEIGHT_MM + 22):
        pdf.add_page()
    pdf.set_font(FONT, style="B", size=11)
    pdf.cell(text=latin1(_("Tren prevalensi stunting kabupaten (%)")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=7)
    x0, y0 = pdf.l_margin + CHART_LEFT_MM, pdf.get_y() + 4
    pdf.set_draw_color(120)
    pdf.line(x0, y0, x0, y0 + CHART_HEIGHT_MM)
    pdf.line(x0, y0 + CHART_HEIGHT_MM, x0 + CHART_WIDTH_MM, y0 + CHART_HEIGHT_MM)
    for share in (0.0, 0.5, 1.0):
        y = y0 + CHART_HEIGHT_MM * (1 - share)
        value = top * share
        pdf.text(pdf.l_margin, y + 1, fixed(value, 0 if value.is_integer() else 1))
    step = CHART_WIDTH_MM / max(len(years) - 1, 1)
    for i, year in enumerate(years):
        pdf.text(x0 + i * step - 3, y0 + CHART_HEIGHT_MM + 4, str(year))
    actual_points = chart_points(actual, top=top, width_mm=CHART_WIDTH_MM, height_mm=CHART_HEIGHT_MM)
    pdf.set_draw_color(170, 30, 30)
    pdf.set_line_width(0.6)
    _polyline(pdf, actual_points, x0, y0)
    for point, pct in zip(actual_points, actual, strict=True):
        if point is not None and pct is not None:
            pdf.text(x0 + point[0] + 1, y0 + point[1] - 1.5, fixed(pct, 2))
    if any(v is not None for v in target):
        pdf.set_draw_color(40, 90, 170)
        pdf.set_dash_pattern(dash=1.5, gap=1)
        _polyline(
            pdf, chart_points(target, top=top, width_mm=CHART_WIDTH_MM, height_mm=CHART_HEIGHT_MM), x0, y0
        )
        pdf.set_dash_pattern()
    pdf.set_line_width(0.2)
    pdf.set_draw_color(0)
    pdf.set_y(y0 + CHART_HEIGHT_MM + 7)
    pdf.cell(
        text=latin1(_("Garis penuh: prevalensi stunting; garis putus-putus: target daerah.")),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(4)


def latin1(text: object) -> str:
    return str(text).encode("latin-1", "replace").decode("latin-1")


def _shown(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float | Decimal):
        return fixed(value, 2)
    if isinstance(value, int):
        return count(value)
    return str(value)


def _table(pdf: FPDF, title: str, label: str, cells: list[Cell]) -> None:
    pdf.set_font(FONT, style="B", size=11)
    pdf.cell(text=latin1(title), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.set_font(FONT, size=8)
    widths = (LABEL_WIDTH_MM, *([VALUE_WIDTH_MM] * len(value_header())))
    align = ("LEFT", *(["RIGHT"] * len(value_header())))
    with pdf.table(col_widths=widths, text_align=align, width=sum(widths), align="LEFT") as table:
        header = table.row()
        for text in [label, *value_header()]:
            header.cell(latin1(text))
        for cell in cells:
            row = table.row()
            row.cell(latin1(cell.name))
            for value in cell.shown():
                row.cell(_shown(value))
    pdf.ln(4)


def publication_pdf(item: Publication) -> bytes:
    """Title, the puskesmas and desa tables with the kabupaten total, the target table and the notes."""
    pdf = PublicationPDF(orientation="L", format="A4")
    pdf.set_title(
        latin1(
            _("Publikasi data stunting %(name)s %(year)s")
            % {"name": item.kabupaten.display_name, "year": item.year}
        )
    )
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font(FONT, style="B", size=14)
    pdf.multi_cell(
        0,
        text=latin1(
            _("Publikasi data stunting (Aksi 7) %(name)s tahun %(year)s")
            % {"name": item.kabupaten.display_name, "year": item.year}
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    _table(pdf, _("Per wilayah puskesmas"), _("Puskesmas"), [*item.puskesmas, item.total])
    _table(pdf, _("Per desa/kelurahan"), _("Desa/kelurahan"), [*item.desa, item.total])
    if item.targets:
        pdf.set_font(FONT, style="B", size=11)
        pdf.cell(text=latin1(_("Prevalensi stunting kabupaten dan target")), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
        pdf.set_font(FONT, size=8)
        header = [
            _("Tahun"),
            _("Stunting (%)"),
            _("Perubahan (poin)"),
            _("Status"),
            _("Target daerah (%)"),
            _("Target nasional (%)"),
        ]
        with pdf.table(col_widths=[30] * len(header), width=30 * len(header), align="LEFT") as table:
            row = table.row()
            for text in header:
                row.cell(latin1(text))
            for target_row in item.targets:
                t = target_row.target
                row = table.row()
                for value in (
                    str(t.year),
                    _shown(None if t.actual_pct is None else round(t.actual_pct, 2)),
                    _shown(t.change_points),
                    t.status or "-",
                    _shown(None if t.target_pct is None else round(t.target_pct, 2)),
                    _shown(t.national_pct),
                ):
                    row.cell(latin1(value))
        pdf.ln(4)
    _trend_chart(pdf, item)
    if item.surveys:
        pdf.set_font(FONT, style="B", size=11)
        pdf.cell(text=latin1(_("Angka survei (bukan data aplikasi ini)")), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, size=8)
        for survey in item.surveys:
            pdf.cell(
                text=latin1(f"{survey.year} {survey.source}: stunting {survey.stunting_pct}%"),
                new_x="LMARGIN",
                new_y="NEXT",
            )
        pdf.ln(4)
    pdf.set_font(FONT, size=8)
    for line in notes(item):
        pdf.multi_cell(0, text=latin1(line), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
