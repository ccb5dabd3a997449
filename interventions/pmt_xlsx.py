"""The PMT report as an .xlsx workbook: sheets Serapan, Per bulan, Program, Penerima.

Rupiah are written as numbers with a "#,##0" format, percentages as numbers with one decimal, dates
as dd-mm-yyyy; texts (names typed by users) as string cells through convergence.spreadsheets.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from convergence.formatting import month_name
from convergence.spreadsheets import xlsx_append, xlsx_bytes
from interventions.pmt_reports import Absorption, ProgrammeRow, RecipientRow

RUPIAH_FORMAT = "#,##0"
PERCENT_FORMAT = "0.0"


def _append(
    sheet: Worksheet,
    values: list[object],
    rupiah: frozenset[int] = frozenset(),
    percent: frozenset[int] = frozenset(),
) -> None:
    xlsx_append(
        sheet, [int(v) if isinstance(v, Decimal) and i in rupiah else v for i, v in enumerate(values)]
    )
    row = sheet.max_row
    for i in rupiah:
        sheet.cell(row=row, column=i + 1).number_format = RUPIAH_FORMAT
    for i in percent:
        cell = sheet.cell(row=row, column=i + 1)
        if isinstance(cell.value, Decimal):
            cell.value = float(cell.value)
        cell.number_format = PERCENT_FORMAT


def workbook_bytes(
    absorption: Absorption, programmes: list[ProgrammeRow], recipients: list[RecipientRow]
) -> bytes:
    book = Workbook()
    _absorption_sheets(book, absorption)
    _programme_sheet(book, programmes)
    _recipient_sheet(book, recipients)
    return xlsx_bytes(book)


def _absorption_sheets(book: Workbook, absorption: Absorption) -> None:
    """Sheets Serapan (one row per budget line; the workbook's first sheet) and Per bulan."""
    lines = book.active
    lines.title = "Serapan"
    xlsx_append(
        lines,
        [
            _("Sumber dana"),
            _("Pemegang"),
            _("Kode sub kegiatan"),
            _("Nama"),
            _("Pagu (Rp)"),
            _("Dicadangkan (Rp)"),
            _("Dicairkan (Rp)"),
            _("Tersedia (Rp)"),
            _("Serapan (%)"),
        ],
    )
    for row in absorption.lines:
        t = row.totals
        _append(
            lines,
            [
                row.line.get_source_display(),
                row.holder,
                row.line.sub_activity_code,
                row.line.name,
                t.allocated,
                t.reserved,
                t.disbursed,
                t.available,
                t.absorption_percent,
            ],
            rupiah=frozenset({4, 5, 6, 7}),
            percent=frozenset({8}),
        )
    months = book.create_sheet("Per bulan")
    xlsx_append(months, [_("Bulan"), _("Dicairkan (Rp)")])
    for month in absorption.by_month:
        _append(months, [month_name(month.month), month.disbursed], rupiah=frozenset({1}))


def _programme_sheet(book: Workbook, programmes: list[ProgrammeRow]) -> None:
    """Sheet Program: one row per programme with its cost and outcome."""
    program = book.create_sheet("Program")
    xlsx_append(
        program,
        [
            _("Program"),
            _("Episode"),
            _("Penerima"),
            _("Biaya (Rp)"),
            _("Biaya per penerima (Rp)"),
            _("Dinilai"),
            _("Pulih"),
            _("Tingkat pemulihan (%)"),
            _("Biaya per penerima pulih (Rp)"),
        ],
    )
    for p in programmes:
        o = p.outcome
        _append(
            program,
            [
                p.programme.name,
                p.episodes,
                p.recipients,
                p.total_cost,
                p.cost_per_recipient,
                o.assessed,
                o.recovered,
                o.recovery_rate_percent,
                o.cost_per_recovered,
            ],
            rupiah=frozenset({3, 4, 8}),
            percent=frozenset({7}),
        )


def _recipient_sheet(book: Workbook, recipients: list[RecipientRow]) -> None:
    """Sheet Penerima: one row per episode."""
    people = book.create_sheet("Penerima")
    xlsx_append(
        people,
        [
            _("Posyandu"),
            _("Nama"),
            _("Program"),
            _("Kategori"),
            _("Mulai"),
            _("Hari"),
            _("Biaya (Rp)"),
            _("Status"),
            _("Selesai"),
            _("Hari tersalurkan"),
            _("Biaya terpakai (Rp)"),
            _("Pulih"),
        ],
    )
    outcome = {True: _("ya"), False: _("tidak"), None: _("belum dinilai")}
    for r in recipients:
        e = r.enrolment
        _append(
            people,
            [
                r.posyandu,
                r.name,
                e.programme.name,
                e.programme.get_category_display(),
                e.start_date,
                e.days,
                e.cost,
                e.get_status_display(),
                e.finished_on,
                e.days_delivered,
                r.kept,
                outcome[r.recovered],
            ],
            rupiah=frozenset({6, 10}),
        )
