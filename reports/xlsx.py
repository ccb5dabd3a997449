"""The Aksi 7 publication and the Aksi 8 performance review as .xlsx workbooks.

Counts and rupiah are written as numbers, percentages as numbers with one or two decimals; a
suppressed cell holds the publication's marker, never its value. Texts (names of regions, OPD,
interventions) are written as string cells through convergence.spreadsheets.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from convergence.spreadsheets import xlsx_append, xlsx_bytes

from .performance import PerformanceReview
from .publication import Cell, Publication, notes, value_header

RUPIAH_FORMAT = "#,##0"
PERCENT_FORMAT = "0.00"


def _number(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    return value


def _cells(sheet: Worksheet, first: list[str], cells: list[Cell], label: object) -> None:
    xlsx_append(sheet, [*first, *value_header()])
    for cell in cells:
        xlsx_append(sheet, [*label(cell), *cell.shown()])  # type: ignore[operator]
        for column in (3, 5, 7):  # the percentages, after the label columns
            sheet.cell(row=sheet.max_row, column=len(first) + column).number_format = PERCENT_FORMAT


def publication_workbook(item: Publication) -> bytes:
    """Sheets: Per desa, Per puskesmas, Target, Keterangan."""
    book = Workbook()
    desa = book.active
    desa.title = "Per desa"
    _cells(
        desa,
        [_("Kode wilayah"), _("Desa/kelurahan"), _("Wilayah puskesmas")],
        [*item.desa, item.total],
        lambda c: [c.code, c.name, c.area],
    )
    areas = book.create_sheet("Per puskesmas")
    _cells(areas, [_("Puskesmas")], [*item.puskesmas, item.total], lambda c: [c.name])
    targets = book.create_sheet("Target")
    xlsx_append(
        targets,
        [
            _("Tahun"),
            _("Balita diukur"),
            _("Stunting (%)"),
            _("Perubahan (poin)"),
            _("Status"),
            _("Target daerah (%)"),
            _("Target nasional (%)"),
        ],
    )
    for row in item.targets:
        t = row.target
        xlsx_append(
            targets,
            [
                row.year,
                "*" if row.suppressed else row.measured,
                None if t.actual_pct is None else round(t.actual_pct, 2),
                t.change_points,
                t.status,
                None if t.target_pct is None else round(t.target_pct, 2),
                t.national_pct,
            ],
        )
    if item.surveys:
        xlsx_append(targets, [])
        xlsx_append(
            targets,
            [_("Angka survei"), _("Sumber"), _("Stunting (%)"), _("Wasting (%)"), _("Underweight (%)")],
        )
        for survey in item.surveys:
            xlsx_append(
                targets,
                [
                    survey.year,
                    survey.source,
                    _number(survey.stunting_pct),
                    _number(survey.wasting_pct),
                    _number(survey.underweight_pct),
                ],
            )
    about = book.create_sheet("Keterangan")
    xlsx_append(
        about,
        [
            _("Publikasi data stunting (Aksi 7) %(name)s %(year)s")
            % {"name": item.kabupaten.display_name, "year": item.year}
        ],
    )
    for line in notes(item):
        xlsx_append(about, [line])
    return xlsx_bytes(book)


def performance_workbook(review: PerformanceReview) -> bytes:
    """Sheets: Ringkasan (per OPD), Intervensi, Anggaran."""
    book = Workbook()
    _performance_summary_sheet(book, review)
    _performance_interventions_sheet(book, review)
    _performance_budget_sheet(book, review)
    return xlsx_bytes(book)


def _performance_summary_sheet(book: Workbook, review: PerformanceReview) -> None:
    """Sheet Ringkasan (the workbook's first): prevalence against target, convergence, one row per OPD."""
    summary = book.active
    summary.title = "Ringkasan"
    prevalence = review.prevalence
    xlsx_append(summary, [_("Reviu kinerja tahunan (Aksi 8)"), review.kabupaten.display_name, review.year])
    if prevalence is not None:
        t = prevalence.target
        xlsx_append(
            summary,
            [
                _("Prevalensi stunting (%)"),
                None if t.actual_pct is None else round(t.actual_pct, 2),
                _("Target daerah (%)"),
                None if t.target_pct is None else round(t.target_pct, 2),
                _("Sesuai target")
                if t.on_course
                else (_("Tidak sesuai target") if t.on_course is False else ""),
            ],
        )
    xlsx_append(summary, [_("Tingkat konvergensi (%)"), review.convergence.rate()])
    xlsx_append(summary, [])
    xlsx_append(
        summary,
        [
            _("OPD"),
            _("Intervensi"),
            _("Target tercapai"),
            _("Target dinilai"),
            _("Pagu (Rp)"),
            _("Realisasi (Rp)"),
            _("Serapan (%)"),
            _("Layanan seharusnya"),
            _("Layanan diterima"),
            _("Konvergensi (%)"),
        ],
    )
    for section in review.sections:
        xlsx_append(
            summary,
            [
                section.opd.short_name,
                len(section.interventions),
                section.targets_achieved,
                section.targets_assessed,
                int(section.allocated),
                int(section.disbursed),
                _number(section.absorption_percent),
                section.convergence.due,
                section.convergence.received,
                section.convergence.rate,
            ],
        )
        for column in (5, 6):
            summary.cell(row=summary.max_row, column=column).number_format = RUPIAH_FORMAT


def _performance_interventions_sheet(book: Workbook, review: PerformanceReview) -> None:
    """Sheet Intervensi: one row per intervention of each OPD, with its target and realisation."""
    interventions = book.create_sheet("Intervensi")
    xlsx_append(
        interventions,
        [
            _("OPD"),
            _("Kode"),
            _("Intervensi"),
            _("Indikator"),
            _("Target (%)"),
            _("Realisasi (%)"),
            _("Diterima / seharusnya"),
            _("Penyaluran"),
            _("Tercapai"),
        ],
    )
    for section in review.sections:
        for row in section.interventions:
            indicator = row.intervention.indicator
            xlsx_append(
                interventions,
                [
                    section.opd.short_name,
                    row.intervention.code,
                    row.intervention.name,
                    str(indicator) if indicator else "",
                    _number(row.target_percent),
                    row.realised.percent if row.realised else None,
                    f"{row.realised.numerator} / {row.realised.denominator}" if row.realised else "",
                    row.deliveries,
                    "" if row.achieved is None else (_("Ya") if row.achieved else _("Tidak")),
                ],
            )


def _performance_budget_sheet(book: Workbook, review: PerformanceReview) -> None:
    """Sheet Anggaran: one row per budget line of each OPD."""
    budget = book.create_sheet("Anggaran")
    xlsx_append(
        budget,
        [_("OPD"), _("Kode sub kegiatan"), _("Nama"), _("Pagu (Rp)"), _("Realisasi (Rp)"), _("Serapan (%)")],
    )
    for section in review.sections:
        for line in section.budget_lines:
            xlsx_append(
                budget,
                [
                    section.opd.short_name,
                    line.line.sub_activity_code,
                    line.line.name,
                    int(line.totals.allocated),
                    int(line.totals.disbursed),
                    _number(line.totals.absorption_percent),
                ],
            )
            for column in (4, 5):
                budget.cell(row=budget.max_row, column=column).number_format = RUPIAH_FORMAT
