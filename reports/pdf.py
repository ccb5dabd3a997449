"""The Aksi 7 publication as a PDF (fpdf2: pure Python, no system library).

Written with the PDF core font Helvetica, which every PDF reader has, so nothing is embedded and no
font file is needed on the server. Core fonts cover Latin-1 only: text is reduced to it (Indonesian
needs nothing more; a character outside it prints as "?").
"""

from __future__ import annotations

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
