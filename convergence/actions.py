"""The eight convergence actions (Aksi Konvergensi 1-8) and the standard OPD catalogue, as data.

Pure module: no Django imports. The action names are fixed names in two generations (Bappenas 2018
pedoman and the later Kemendagri/Bangda wording, which changed Aksi 4 and 5); the person in charge
follows the 2021 Bangda training deck and is only a default: the district assigns its own PIC OPD per
year. Deadlines are deliberately absent: the schedule of the pedoman is not confirmed and districts
hold the actions at different months, so planned dates are entered per year.
"""

from __future__ import annotations

from dataclasses import dataclass

from convergence.codes import gettext_noop

ACTION_NUMBERS = tuple(range(1, 9))


@dataclass(frozen=True)
class RequiredOutput:
    """An output an action must (required=True) or may produce; `code` is unique inside the action."""

    code: str
    title: str
    required: bool = True


@dataclass(frozen=True)
class ActionDefinition:
    number: int
    label_2018: str
    label_kemendagri: str
    pic_opd_code: str
    outputs: tuple[RequiredOutput, ...]


ACTIONS: tuple[ActionDefinition, ...] = (
    ActionDefinition(
        1,
        gettext_noop("Analisis Situasi Program Penurunan Stunting"),
        gettext_noop("Analisis Situasi"),
        "BAPPEDA",
        (
            RequiredOutput("lokus", gettext_noop("Rekomendasi desa lokus")),
            RequiredOutput("intervensi", gettext_noop("Rekomendasi kegiatan/intervensi prioritas")),
            RequiredOutput("peta", gettext_noop("Peta sebaran stunting dan cakupan layanan"), required=False),
        ),
    ),
    ActionDefinition(
        2,
        gettext_noop("Penyusunan Rencana Kegiatan"),
        gettext_noop("Penyusunan Rencana Kegiatan"),
        "BAPPEDA",
        (
            RequiredOutput("rancangan", gettext_noop("Rancangan rencana kegiatan terintegrasi")),
            RequiredOutput(
                "matriks", gettext_noop("Matriks kendali integrasi dalam RKPD/Renja dan KUA-PPAS/APBD")
            ),
        ),
    ),
    ActionDefinition(
        3,
        gettext_noop("Rembuk Stunting"),
        gettext_noop("Rembuk Stunting Kabupaten/Kota"),
        "BAPPEDA",
        (
            RequiredOutput("komitmen", gettext_noop("Komitmen publik yang ditandatangani")),
            RequiredOutput("kesepakatan", gettext_noop("Kesepakatan rencana kegiatan")),
        ),
    ),
    ActionDefinition(
        4,
        gettext_noop("Peraturan Bupati/Wali Kota tentang Peran Desa"),
        gettext_noop("Peraturan Bupati/Wali Kota tentang Percepatan Penurunan Stunting"),
        "DPMD",
        (RequiredOutput("perbup", gettext_noop("Perbup/Perwali yang ditetapkan")),),
    ),
    ActionDefinition(
        5,
        gettext_noop("Pembinaan Kader Pembangunan Manusia (KPM)"),
        gettext_noop("Pembinaan Pelaku dan Pemerintahan Desa/Kelurahan"),
        "DPMD",
        (
            RequiredOutput("pembinaan", gettext_noop("Laporan pembinaan KPM dan pemerintah desa")),
            RequiredOutput("cakupan", gettext_noop("Cakupan rumah tangga 1000 HPK (scorecard desa)")),
        ),
    ),
    ActionDefinition(
        6,
        gettext_noop("Sistem Manajemen Data Stunting"),
        gettext_noop("Sistem Manajemen Data Stunting"),
        "BAPPEDA",
        (
            RequiredOutput("kesenjangan", gettext_noop("Analisis kesenjangan data")),
            RequiredOutput("perbaikan", gettext_noop("Rencana perbaikan sistem manajemen data")),
        ),
    ),
    ActionDefinition(
        7,
        gettext_noop("Pengukuran dan Publikasi Stunting"),
        gettext_noop("Pengukuran dan Publikasi Data Stunting"),
        "DINKES",
        (
            RequiredOutput("pengukuran", gettext_noop("Data hasil pengukuran per desa dan puskesmas")),
            RequiredOutput("publikasi", gettext_noop("Publikasi data stunting")),
        ),
    ),
    ActionDefinition(
        8,
        gettext_noop("Reviu Kinerja Tahunan"),
        gettext_noop("Reviu Kinerja Tahunan"),
        "BAPPEDA",
        (RequiredOutput("reviu", gettext_noop("Laporan reviu kinerja tahunan")),),
    ),
)

ACTIONS_BY_NUMBER: dict[int, ActionDefinition] = {action.number: action for action in ACTIONS}


def action_definition(number: int) -> ActionDefinition:
    """The definition of Aksi `number` (1-8); KeyError for any other number."""
    return ACTIONS_BY_NUMBER[number]


@dataclass(frozen=True)
class AssessmentIndicator:
    """An indicator of the province's penilaian kinerja of a kabupaten/kota, graded A-D per year."""

    code: str
    text: str
    action: int


# The indicators of the penilaian kinerja per aksi, worded after the Juknis Penilaian Kinerja (Kemendagri/
# Bappenas; the 2019-2021 forms, e.g. Lampung 2020 for 1.1 and 1.2). Year I of the rotation grades Aksi 1-4,
# year II Aksi 5-8 (domain 1.3); the codes are stored with each grade and never renumbered. The texts are
# the official Indonesian wording, kept as data (stored with each grade), not as interface strings.
ASSESSMENT_INDICATORS: tuple[AssessmentIndicator, ...] = (
    AssessmentIndicator(
        "1.1",
        "Kabupaten/kota menggunakan data sebaran stunting dan cakupan layanan untuk menentukan lokasi "
        "prioritas (desa lokus).",
        1,
    ),
    AssessmentIndicator(
        "1.2",
        "Kabupaten/kota menggunakan data cakupan layanan, hasil, dan pemetaan program untuk menentukan "
        "intervensi prioritas.",
        1,
    ),
    AssessmentIndicator(
        "2.1",
        "Rencana kegiatan memuat intervensi prioritas di lokasi prioritas dan terintegrasi dalam RKPD dan "
        "Renja OPD.",
        2,
    ),
    AssessmentIndicator(
        "2.2",
        "Kegiatan penurunan stunting teranggarkan dalam KUA-PPAS dan APBD (matriks kendali integrasi "
        "anggaran).",
        2,
    ),
    AssessmentIndicator(
        "3.1",
        "Rembuk stunting dihadiri OPD, DPRD, camat, kepala desa, dan unsur non-pemerintah serta "
        "menghasilkan komitmen publik yang ditandatangani.",
        3,
    ),
    AssessmentIndicator(
        "4.1",
        "Peraturan Bupati/Wali Kota tentang peran desa dalam percepatan penurunan stunting telah ditetapkan.",
        4,
    ),
    AssessmentIndicator(
        "5.1",
        "Kader Pembangunan Manusia (KPM) tersedia dan dibina di setiap desa/kelurahan, dan cakupan layanan "
        "rumah tangga 1000 HPK dipantau dengan scorecard desa.",
        5,
    ),
    AssessmentIndicator(
        "6.1",
        "Kabupaten/kota melakukan analisis kesenjangan data dan melaksanakan rencana perbaikan sistem "
        "manajemen data stunting.",
        6,
    ),
    AssessmentIndicator(
        "7.1",
        "Data hasil pengukuran pertumbuhan balita tersedia per desa dan puskesmas dan dipublikasikan.",
        7,
    ),
    AssessmentIndicator(
        "8.1",
        "Reviu kinerja tahunan dilaksanakan dan hasilnya dipakai untuk perbaikan perencanaan tahun "
        "berikutnya.",
        8,
    ),
)

ASSESSMENT_INDICATORS_BY_CODE: dict[str, AssessmentIndicator] = {
    indicator.code: indicator for indicator in ASSESSMENT_INDICATORS
}


@dataclass(frozen=True)
class OPDDefault:
    code: str
    name: str
    short_name: str
    tupoksi: str
    is_leading_sector: bool = False


def opd_catalogue_defaults() -> tuple[OPDDefault, ...]:
    """The agencies a kabupaten usually brings into the convergence, Bappeda leading (domain 4.5).

    Codes match those of the demo district; a district adds its other agencies itself.
    """
    return (
        OPDDefault(
            "BAPPEDA",
            "Badan Perencanaan Pembangunan Daerah",
            "Bappeda",
            "Koordinator dan sekretariat konvergensi: perencanaan, penganggaran, dan pengelolaan data stunting.",
            is_leading_sector=True,
        ),
        OPDDefault(
            "DINKES",
            "Dinas Kesehatan",
            "Dinkes",
            "Intervensi spesifik: e-PPGBM, PMT, tablet tambah darah, imunisasi, STBM.",
        ),
        OPDDefault("DINSOS", "Dinas Sosial", "Dinsos", "Perlindungan sosial: PKH, BPNT, PBI JKN."),
        OPDDefault("DISDIK", "Dinas Pendidikan", "Disdik", "Layanan PAUD dan kelas pengasuhan."),
        OPDDefault(
            "DP3AP2KB",
            "Dinas Pemberdayaan Perempuan, Perlindungan Anak, Pengendalian Penduduk dan Keluarga Berencana",
            "DP3AP2KB",
            "KB, Tim Pendamping Keluarga, pendampingan keluarga berisiko stunting, perlindungan perempuan dan anak.",
        ),
        OPDDefault(
            "PERTANIAN",
            "Dinas Pertanian",
            "Pertanian",
            "Akses pangan dan pemanfaatan pekarangan (KRPL) keluarga berisiko stunting.",
        ),
        OPDDefault(
            "DLH", "Dinas Lingkungan Hidup", "DLH", "Sanitasi lingkungan dan pengelolaan sampah rumah tangga."
        ),
        OPDDefault(
            "PUPR",
            "Dinas Pekerjaan Umum dan Penataan Ruang",
            "PUPR",
            "Air minum layak dan sanitasi layak (jamban, SPAL).",
        ),
        OPDDefault(
            "DPMD",
            "Dinas Pemberdayaan Masyarakat dan Desa",
            "PMD",
            "Pemerintahan desa, pembinaan KPM, penggunaan Dana Desa untuk konvergensi.",
        ),
        OPDDefault(
            "DISDUKCAPIL",
            "Dinas Kependudukan dan Pencatatan Sipil",
            "Disdukcapil",
            "NIK dan akta kelahiran anak.",
        ),
        OPDDefault(
            "PERIKANAN",
            "Dinas Perikanan",
            "Perikanan",
            "Promosi gemar makan ikan bagi keluarga berisiko stunting.",
        ),
        OPDDefault(
            "DKP",
            "Dinas Ketahanan Pangan",
            "Ketahanan Pangan",
            "Ketersediaan, akses, dan keanekaragaman pangan keluarga.",
        ),
        OPDDefault(
            "DISKOMINFO",
            "Dinas Komunikasi dan Informatika",
            "Diskominfo",
            "Publikasi dan kampanye perubahan perilaku tentang stunting.",
        ),
        # A vertical office of the ministry, not an OPD, yet a member of every TPPS through its KUA.
        OPDDefault(
            "KEMENAG",
            "Kantor Kementerian Agama",
            "Kemenag",
            "Bimbingan perkawinan dan pendampingan calon pengantin melalui KUA.",
        ),
    )
