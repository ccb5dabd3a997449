"""The situation analysis as a Master Analisis Situasi workbook (.xlsx): one row per desa.

Sheet "Data Desa": the Data Sasaran figures, the coverage of each of the 29 indicators (numerator,
denominator, percent; "-" where the system holds no data for the indicator, with a note on its
header), the score, the rank and the recommendation. Sheet "Bobot dan Metode": the weights of the
year and how the score is computed. Sheet "Indikator": the indicator definitions and whether the
system computes them. Counts only: the workbook holds no personal data; names of desa and indicators
are written as string cells through convergence.spreadsheets.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font

from convergence.spreadsheets import xlsx_append, xlsx_bytes
from interventions import compute
from interventions.situation import DesaRow, SituationAnalysis

NO_DATA = "-"


def criterion_labels() -> dict[str, str]:
    return {
        "prevalence": _("Prevalensi stunting (%)"),
        "cases": _("Jumlah kasus stunting"),
        "coverage_gap": _("Kesenjangan cakupan layanan (100 - rata-rata cakupan indikator)"),
        "families_at_risk": _("Proporsi keluarga berisiko stunting (%)"),
        "measurement_gap": _("Balita terdaftar belum diukur (100 - cakupan pengukuran)"),
    }


def _desa_columns() -> list[str]:
    return [
        _("Kode desa"),
        _("Desa/kelurahan"),
        _("Kecamatan"),
        _("Puskesmas"),
        _("Jumlah balita terdaftar"),
        _("Balita diukur"),
        _("Cakupan pengukuran (%)"),
        _("Balita dengan TB/U sah"),
        _("Sangat pendek"),
        _("Pendek"),
        _("Stunting (n)"),
        _("Prevalensi stunting (%)"),
        _("Gizi kurang"),
        _("Gizi buruk"),
        _("Jumlah keluarga"),
        _("Keluarga berisiko stunting"),
        _("Keluarga berisiko stunting (%)"),
    ]


def header(analysis: SituationAnalysis) -> list[str]:
    """The header row of the desa sheet."""
    columns = _desa_columns()
    for indicator in analysis.indicators:
        columns += [
            _("%(code)s pembilang") % {"code": indicator.code},
            _("%(code)s penyebut") % {"code": indicator.code},
            _("%(code)s cakupan (%%)") % {"code": indicator.code},
        ]
    return [
        *columns,
        _("Rata-rata cakupan indikator (%)"),
        _("Skor"),
        _("Peringkat"),
        _("Rekomendasi lokus"),
        _("Lokus (SK) tahun ini"),
    ]


def _value(value: float | None) -> Any:
    return NO_DATA if value is None else value


def _yes(value: bool) -> str:
    return _("Ya") if value else _("Tidak")


def desa_row(analysis: SituationAnalysis, row: DesaRow) -> list[Any]:
    """The cells of one desa, in the order of `header`."""
    desa = row.desa
    cells: list[Any] = [
        desa.code,
        desa.name,
        desa.parent.name if desa.parent else "",
        desa.puskesmas.name if desa.puskesmas else "",
        row.registered,
        row.measured,
        _value(row.measurement_coverage),
        row.valid_haz,
        row.severely_stunted,
        row.stunted,
        row.stunting,
        _value(row.prevalence),
        row.wasted,
        row.severely_wasted,
        row.families,
        row.families_at_risk,
        _value(row.families_at_risk_share),
    ]
    for indicator in analysis.indicators:
        coverage = row.coverage.get(indicator.pk)
        if coverage is None:
            cells += [NO_DATA, NO_DATA, NO_DATA]
        else:
            cells += [coverage.numerator, coverage.denominator, _value(coverage.percent)]
    return [
        *cells,
        _value(row.mean_coverage),
        round(row.score, 4),
        row.rank,
        _yes(row.recommended),
        _yes(row.is_lokus),
    ]


def method_lines(analysis: SituationAnalysis) -> list[str]:
    """How the analysis and the score are computed, one sentence a line."""
    weights = analysis.weights
    lines = [
        _("Skor desa = jumlah (bobot x nilai kriteria yang dinormalisasi 0-1 antar desa kabupaten)."),
        _(
            "Normalisasi min-maks: (nilai - minimum) / (maksimum - minimum); kolom yang sama di semua desa "
            "dan nilai yang tidak ada bernilai 0."
        ),
        _("Peringkat menurun menurut skor; skor sama: jumlah kasus lebih banyak, lalu kode desa."),
        _("Rekomendasi lokus: %(count)d desa dengan peringkat teratas.") % {"count": weights.lokus_count},
        _(
            "Prevalensi: balita yang diukur dalam periode dengan TB/U sah (bukan flag WHO); tiap anak "
            "dihitung sekali menurut pengukuran sah terakhirnya dalam periode."
        ),
        _(
            "Cakupan pengukuran: balita aktif 0-59 bulan terdaftar pada tanggal acuan yang diukur minimal "
            "sekali dalam periode."
        ),
        _(
            "Cakupan indikator: layanan diterima / layanan seharusnya dari intervensi yang dipetakan ke "
            "indikator; '-' berarti sistem belum punya data untuk indikator itu (bukan 0)."
        ),
    ]
    if weights.is_default:
        lines.insert(
            0,
            _("Bappeda belum menetapkan bobot untuk tahun %(year)d: dipakai bobot bawaan.")
            % {"year": analysis.year},
        )
    return lines


def workbook_bytes(analysis: SituationAnalysis) -> bytes:
    """The Master Ansit workbook of the analysis (rows by desa code)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Data Desa"
    names = header(analysis)
    xlsx_append(sheet, names)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    first_indicator_column = len(_desa_columns()) + 1
    for i, indicator in enumerate(analysis.indicators):
        if indicator.pk not in analysis.indicators_with_data:
            cell = sheet.cell(row=1, column=first_indicator_column + 3 * i)
            cell.comment = Comment(
                _("Tidak ada data di sistem: belum ada intervensi yang dipetakan ke indikator ini."),
                _("Konvergensi Stunting"),
            )
    for row in sorted(analysis.rows, key=lambda item: item.desa.code):
        xlsx_append(sheet, desa_row(analysis, row))
    sheet.freeze_panes = "C2"

    method = book.create_sheet("Bobot dan Metode")
    xlsx_append(method, [_("Kabupaten/kota"), analysis.kabupaten.display_name, analysis.kabupaten.code])
    xlsx_append(method, [_("Tahun"), analysis.year])
    xlsx_append(method, [_("Tanggal acuan"), analysis.on.isoformat()])
    xlsx_append(
        method,
        [
            _("Sumber bobot"),
            _("Bobot bawaan (belum ditetapkan Bappeda)")
            if analysis.weights.is_default
            else _("Ditetapkan Bappeda"),
        ],
    )
    xlsx_append(method, [])
    xlsx_append(method, [_("Kriteria"), _("Bobot")])
    labels = criterion_labels()
    for name in compute.LOKUS_CRITERIA:
        xlsx_append(method, [labels[name], analysis.weights.values[name]])
    xlsx_append(method, [_("Jumlah desa lokus yang direkomendasikan"), analysis.weights.lokus_count])
    xlsx_append(method, [])
    xlsx_append(method, [_("Metode")])
    for line in method_lines(analysis):
        xlsx_append(method, [line])

    indicators = book.create_sheet("Indikator")
    xlsx_append(
        indicators,
        [
            _("Kode"),
            _("Indikator"),
            _("Jenis"),
            _("Sasaran"),
            _("Pembilang"),
            _("Penyebut"),
            _("Data di sistem"),
        ],
    )
    for indicator in analysis.indicators:
        xlsx_append(
            indicators,
            [
                indicator.code,
                indicator.name,
                indicator.get_kind_display(),
                indicator.get_target_group_display(),
                indicator.numerator,
                indicator.denominator,
                _("Dihitung dari penyaluran intervensi")
                if indicator.pk in analysis.indicators_with_data
                else _("Tidak ada data (belum ada intervensi yang dipetakan)"),
            ],
        )
    return xlsx_bytes(book)
