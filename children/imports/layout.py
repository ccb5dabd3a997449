"""Columns of the e-PPGBM export (domain.md 3.2), its 2025 variant, its download as served (3.2b), and
the posyandu register template.

Headers are matched after normalisation (case, spaces and punctuation ignored), so "Tgl Lahir",
"TGL_LAHIR" and "tgl. lahir" are one column; each field also lists the spellings seen in exports
("Pukesmas" is how e-PPGBM itself spells it). Columns of these formats that the import does not use
(No, Total Pengukuran, Detail, Kelas Ibu Balita, MBG, the computed BB/U...) are known and pass silently;
a header no format has is reported once per file as ignored (a misspelt "Tgl Lahr" shows up there).
Pure: no Django.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass


def gettext_noop(message: str) -> str:
    return message


@dataclass(frozen=True)
class Column:
    key: str  # the field name used by the pipeline
    header: str  # the header as the e-PPGBM export (or our template) writes it
    aliases: tuple[str, ...] = ()


# The e-PPGBM export, in its order (domain.md 3.2). The computed columns (Usia Saat Ukur, BB/U, ZS ...)
# are read but never trusted: the engine recomputes them.
EPPGBM_COLUMNS: tuple[Column, ...] = (
    Column("nik", "NIK", ("NIK Anak", "No NIK")),
    Column("name", "Nama", ("Nama Anak", "Nama Balita")),
    Column("sex", "JK", ("Jenis Kelamin", "L/P")),
    Column("birth_date", "Tgl Lahir", ("Tanggal Lahir", "Tgl. Lahir")),
    Column("birth_weight_kg", "BB Lahir", ("Berat Lahir", "BB Lahir (kg)")),
    Column("birth_length_cm", "TB Lahir", ("PB Lahir", "Panjang Lahir", "TB Lahir (cm)")),
    Column("parent_name", "Nama Ortu", ("Nama Orang Tua", "Nama Ibu")),
    Column("prov", "Prov", ("Provinsi",)),
    Column("kab", "Kab/Kota", ("Kabupaten", "Kabupaten/Kota")),
    Column("kec", "Kec", ("Kecamatan",)),
    Column("puskesmas", "Pukesmas", ("Puskesmas",)),
    Column("desa", "Desa/Kel", ("Desa", "Kelurahan", "Desa/Kelurahan")),
    Column("posyandu", "Posyandu", ("Nama Posyandu",)),
    Column("rt", "RT"),
    Column("rw", "RW"),
    Column("address", "Alamat"),
    Column("age_text", "Usia Saat Ukur"),
    Column("measured_on", "Tanggal Pengukuran", ("Tgl Pengukuran", "Tanggal Ukur", "Tgl Ukur")),
    Column("weight_kg", "Berat", ("BB", "Berat Badan", "Berat (kg)")),
    Column("height_cm", "Tinggi", ("TB", "Tinggi Badan", "Tinggi (cm)", "Panjang/Tinggi")),
    Column("position", "Cara Ukur"),
    Column("lila_cm", "LiLA", ("Lingkar Lengan", "LILA (cm)")),
    Column("bbu", "BB/U"),
    Column("zs_bbu", "ZS BB/U"),
    Column("tbu", "TB/U"),
    Column("zs_tbu", "ZS TB/U"),
    Column("bbtb", "BB/TB"),
    Column("zs_bbtb", "ZS BB/TB"),
    Column("weight_gain_text", "Naik Berat Badan"),
    Column("pmt_kg", "PMT Diterima (kg)", ("PMT Diterima",)),
    Column("vitamin_a", "Jml Vit A", ("Vitamin A", "Vit A")),
    Column("kpsp", "KPSP"),
    Column("kia", "KIA", ("Buku KIA", "KMS/Buku KIA")),
)

# Added by the 2025 registry variant; optional, filled into the child's record when present.
EPPGBM_2025_COLUMNS: tuple[Column, ...] = (
    Column("kk_number", "Nomor KK", ("No KK",)),
    Column("birth_order", "Anak Ke"),
    Column("parent_nik", "NIK Orang Tua", ("NIK Ortu",)),
    Column("parent_phone", "No HP Orang Tua", ("No HP Ortu", "Nomor HP Orang Tua")),
    Column("gestational_age_weeks", "Usia Kehamilan (minggu)", ("Usia Kehamilan",)),
    Column("birth_head_circumference_cm", "Lingkar Kepala Lahir (cm)", ("Lingkar Kepala Lahir",)),
    Column("early_breastfeeding", "IMD"),
    Column("kelas_ibu_balita", "Kelas Ibu Balita"),
    Column("mbg", "MBG"),
)

# The download e-PPGBM serves ("Daftar Anak Berdasarkan Status Gizi") adds these around the export's
# columns: a row number, the child's count of measurements and a link. Known, so never reported as
# ignored; Total Pengukuran also locates the cell some of its rows lack (readers.align_rows).
EPPGBM_DOWNLOAD_COLUMNS: tuple[Column, ...] = (
    Column("row_no", "No", ("No.", "No Urut", "Nomor")),
    Column("total_measurements", "Total Pengukuran", ("Jumlah Pengukuran",)),
    Column("detail", "Detail", ("Aksi",)),
)

# Posyandu templates (not the export) also carry a head circumference per visit.
OPTIONAL_COLUMNS: tuple[Column, ...] = (
    Column("head_circumference_cm", "Lingkar Kepala", ("Lingkar Kepala (cm)", "LK")),
)

# The register template the application offers: the e-PPGBM layout plus the Kemendagri desa code, so a
# posyandu is found without relying on how names are spelled.
DESA_CODE_COLUMN = Column("desa_code", "Kode Desa", ("Kode Wilayah Desa", "Kode Desa/Kel"))

TEMPLATE_COLUMNS: tuple[Column, ...] = (
    *[c for c in EPPGBM_COLUMNS if not c.key.startswith(("bbu", "zs_", "tbu", "bbtb"))],
    DESA_CODE_COLUMN,
)

ALL_COLUMNS: tuple[Column, ...] = (
    *EPPGBM_COLUMNS,
    *EPPGBM_2025_COLUMNS,
    *EPPGBM_DOWNLOAD_COLUMNS,
    *OPTIONAL_COLUMNS,
    DESA_CODE_COLUMN,
)

# Without these a row cannot be placed: who, born when, measured when, where.
REQUIRED_KEYS = ("name", "sex", "birth_date", "measured_on", "posyandu")

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def normalise_header(text: object) -> str:
    """'Tgl. Lahir ' -> 'tgllahir': lower case, letters and digits only."""
    return _NOT_ALNUM.sub("", str(text or "").lower())


_BY_HEADER: dict[str, str] = {}
for _column in ALL_COLUMNS:
    for _spelling in (_column.header, *_column.aliases):
        _BY_HEADER.setdefault(normalise_header(_spelling), _column.key)


@dataclass(frozen=True)
class HeaderMatch:
    """Where each known field sits in the file's header row, and the header text as written."""

    positions: dict[str, int]
    # Every header cell as written, up to the last non-blank one (for the raw values and error reports).
    headers: tuple[str, ...]
    cells: int = 0  # cells of the header row as read, blank ones past its end included

    @property
    def missing(self) -> list[str]:
        return [key for key in REQUIRED_KEYS if key not in self.positions]

    @property
    def missing_headers(self) -> list[str]:
        """The required columns the row lacks, named as the e-PPGBM export writes them."""
        return [COLUMN_BY_KEY[key].header for key in self.missing]

    @property
    def ignored(self) -> list[str]:
        """Non-blank headers of no known format, as written, once each in file order."""
        return list(
            dict.fromkeys(
                header for header in self.headers if header and normalise_header(header) not in _BY_HEADER
            )
        )

    def header_of(self, key: str) -> str:
        position = self.positions.get(key)
        if position is None:
            return COLUMN_BY_KEY[key].header
        return self.headers[position]


COLUMN_BY_KEY = {column.key: column for column in ALL_COLUMNS}


def match_header(cells: Sequence[object]) -> HeaderMatch:
    """Map the known fields to their positions in a header row (the first spelling found wins)."""
    positions: dict[str, int] = {}
    for index, cell in enumerate(cells):
        key = _BY_HEADER.get(normalise_header(cell))
        if key is not None and key not in positions:
            positions[key] = index
    headers = [str(c if c is not None else "").strip() for c in cells]
    while headers and not headers[-1]:
        headers.pop()  # trailing blank cells (a sheet or a CSV wider than its table) are no columns
    return HeaderMatch(positions=positions, headers=tuple(headers), cells=len(cells))


def looks_like_header(cells: Sequence[object]) -> bool:
    """True when a row holds at least the required headers (used to skip title rows above the table)."""
    keys = {_BY_HEADER.get(normalise_header(cell)) for cell in cells}
    return all(key in keys for key in REQUIRED_KEYS)


def template_headers() -> list[str]:
    """Header row of the posyandu register template offered for download."""
    return [column.header for column in TEMPLATE_COLUMNS]


MISSING_COLUMNS = gettext_noop("Kolom wajib tidak ditemukan: %(columns)s")
