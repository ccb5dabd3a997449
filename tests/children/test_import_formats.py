"""e-PPGBM's download as served and as users re-save it: HTML .xls, binary .xls, `;` CSV, short rows.

The download's layout (domain.md 3.2b): a title row, then 37 headers with No, Total Pengukuran, Kelas Ibu
Balita, MBG and Detail around the export's columns; some rows lack the Total Pengukuran cell. Names and
NIKs are made up. `data/eppgbm_download.xls` is `data/eppgbm_download.csv` converted by LibreOffice
(data/README.md): a real BIFF8 workbook, its short row padded with a blank last cell as a sheet shows it.
"""

from __future__ import annotations

import datetime
import html
import io
from collections.abc import Sequence
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from children.imports.services import import_file
from children.models import Child, ImportJob, Measurement
from tests.children.test_import_pipeline import HEADER as EXPORT_HEADER
from tests.children.test_import_pipeline import NIK_BUDI, NIK_SITI, SITI, counts
from tests.children.test_import_pipeline import row as export_row
from tests.factories import DistrictFixture

DATA = Path(__file__).parent / "data"
TITLE = "Daftar Anak Berdasarkan Status Gizi - Januari 2026"
HEADER = [
    "No", "NIK", "Nama", "JK", "Tgl Lahir", "BB Lahir", "TB Lahir", "Nama Ortu", "Prov", "Kab/Kota", "Kec",
    "Pukesmas", "Desa/Kel", "Posyandu", "RT", "RW", "Alamat", "Total Pengukuran", "Usia Saat Ukur",
    "Tanggal Pengukuran", "Berat", "Tinggi", "Cara Ukur", "LiLA", "BB/U", "ZS BB/U", "TB/U", "ZS TB/U", "BB/TB",
    "ZS BB/TB", "Naik Berat Badan", "Jml Vit A", "KPSP", "KIA", "Kelas Ibu Balita", "MBG", "Detail",
]  # fmt: skip
SHIFTED = (
    "Sel Total Pengukuran tidak ada di baris ini (36 sel, baris judul 37): sel sesudahnya dibaca bergeser "
    "satu kolom ke kanan."
)


def child(**values: str) -> dict[str, str]:
    base = {
        "No": "1",
        "NIK": NIK_BUDI,
        "Nama": "BUDI SANTOSO",
        "JK": "L",
        "Tgl Lahir": "10-03-2024",
        "BB Lahir": "3,1",
        "TB Lahir": "49",
        "Nama Ortu": "SRI WAHYUNI",
        "Prov": "JAWA TIMUR",
        "Kab/Kota": "BANYUWANGI",
        "Kec": "PESANGGARAN",
        "Pukesmas": "PESANGGARAN",
        "Desa/Kel": "SUMBERAGUNG",
        "Posyandu": "MAWAR",
        "RT": "001",
        "RW": "002",
        "Alamat": "DUSUN KRAJAN",
        "Total Pengukuran": "3",
        "Usia Saat Ukur": "1 Tahun - 9 Bulan - 26 Hari",
        "Tanggal Pengukuran": "05-01-2026",
        "Berat": "10,2",
        "Tinggi": "80,5",
        "Cara Ukur": "Berdiri",
        "LiLA": "14,5",
        "BB/U": "Berat Badan Normal",
        "ZS BB/U": "-1,23",
        "TB/U": "Normal",
        "ZS TB/U": "-1,62",
        "BB/TB": "Gizi Baik",
        "ZS BB/TB": "-0,55",
        "Naik Berat Badan": "N",
        "Jml Vit A": "1",
        "KIA": "Ya",
        "Kelas Ibu Balita": "Tidak",
        "MBG": "Ya",
        "Detail": "Detail",
    }
    base.update(values)
    return base


SITI_DOWNLOAD = child(
    No="2",
    NIK=NIK_SITI,
    Nama="SITI AMINAH",
    JK="P",
    RT="003",
    **{
        "Tgl Lahir": "15-06-2024",
        "Usia Saat Ukur": "1 Tahun - 6 Bulan - 21 Hari",
        "Berat": "9,1",
        "Tinggi": "76",
        "Cara Ukur": "Telentang",
        "Total Pengukuran": "2",
    },
)


def cells_of(values: dict[str, str], header: Sequence[str], drop: Sequence[str] = ()) -> list[str]:
    return [values.get(name, "") for name in header if name not in drop]


def download_html(
    rows: Sequence[Sequence[str]], header: Sequence[str] = HEADER, *, charset: str = "utf-8"
) -> str:
    """The page as e-PPGBM serves it: a title row spanning the table, <th> headers, indented <td> cells,
    Excel's number-format styles, entities, a link in the Detail cell."""
    cell = "      <td style=\"mso-number-format:'\\@'\">{}</td>\n"
    out = [
        f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">',
        "<style>td { border: 1px solid #000 }</style></head><body>",
        '<table border="1">',
        f'  <tr><td colspan="{len(header)}"><b>{html.escape(TITLE)}</b></td></tr>',
        "  <tr>" + "".join(f"<th>{html.escape(name)}</th>" for name in header) + "</tr>",
    ]
    for row in rows:
        out.append("  <tr>\n")
        for value in row:
            text = '<a href="/balita/detail/1">Detail</a>' if value == "Detail" else html.escape(value)
            out.append(cell.format(text.replace(" - ", "&nbsp;-&nbsp;")))
        out.append("  </tr>\n")
    out.append("</table></body></html>")
    return "".join(out)


def run(content: bytes, name: str, user: Any, *, commit: bool = True) -> Any:
    return import_file(source=io.BytesIO(content), file_name=name, user=user, commit=commit)


def measured() -> list[tuple[str, datetime.date, Decimal, Decimal | None, str, str]]:
    return list(
        Measurement.objects.order_by("child__name").values_list(
            "child__name", "measured_on", "weight_kg", "height_cm", "position", "posyandu__name"
        )
    )


# The download as served ----------------------------------------------------------------------------------


def test_it_imports_the_html_download_with_its_title_row_and_decimal_commas(
    district: DistrictFixture,
) -> None:
    page = download_html([cells_of(child(), HEADER), cells_of(SITI_DOWNLOAD, HEADER)])

    report = run(page.encode(), "Daftar Anak.xls", district.users["bappeda_admin"])

    assert report.summary == counts(create_child=2, create_measurement=2)
    assert report.issues == []
    assert report.ignored_columns == []  # No, Total Pengukuran, Detail... are the download's own
    assert measured() == [
        ("BUDI SANTOSO", datetime.date(2026, 1, 5), Decimal("10.20"), Decimal("80.5"), "H", "Mawar"),
        ("SITI AMINAH", datetime.date(2026, 1, 5), Decimal("9.10"), Decimal("76.0"), "L", "Mawar"),
    ]
    assert Child.objects.get(name="BUDI SANTOSO").birth_weight_kg == Decimal("3.10")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "cp1252"])
def test_it_reads_the_html_download_in_each_encoding(district: DistrictFixture, encoding: str) -> None:
    charset = "windows-1252" if encoding == "cp1252" else "utf-8"
    page = download_html([cells_of(child(Nama="BUDI ÉLAN"), HEADER)], charset=charset)

    report = run(page.encode(encoding), "Daftar Anak.xls", district.users["bappeda_admin"])

    assert report.summary == counts(create_child=1, create_measurement=1)
    assert Child.objects.get().name == "BUDI ÉLAN"


def test_it_puts_back_the_missing_total_pengukuran_cell_with_a_warning(district: DistrictFixture) -> None:
    # Read as they stand, Siti's cells would give Tanggal Pengukuran "9,1" (before her birth) and Berat
    # 76 (out of range).
    page = download_html(
        [cells_of(child(), HEADER), cells_of(SITI_DOWNLOAD, HEADER, drop=["Total Pengukuran"])]
    )

    report = run(page.encode(), "Daftar Anak.xls", district.users["bappeda_admin"])

    assert report.summary == counts(create_child=2, create_measurement=2, warnings=1)
    assert report.issues == [(4, "peringatan", "Total Pengukuran", SHIFTED)]
    assert measured()[1] == (
        "SITI AMINAH",
        datetime.date(2026, 1, 5),
        Decimal("9.10"),
        Decimal("76.0"),
        "L",
        "Mawar",
    )


def test_it_rejects_any_other_ragged_row_with_its_line(district: DistrictFixture) -> None:
    page = download_html(
        [
            cells_of(child(), HEADER, drop=["Total Pengukuran", "RT"]),  # 35 cells
            cells_of(
                SITI_DOWNLOAD, HEADER, drop=["LiLA"]
            ),  # 36, but the cell missing is not Total Pengukuran
            [*cells_of(child(Nama="ANDI", NIK=""), HEADER), "lebih"],  # 38
        ]
    )

    report = run(page.encode(), "Daftar Anak.xls", district.users["bappeda_admin"], commit=False)

    assert report.summary == counts(rejected=3)
    assert report.issues == [
        (3, "ditolak", "", "Jumlah kolom tidak cocok: baris ini berisi 35 sel, baris judul 37."),
        (4, "ditolak", "", "Jumlah kolom tidak cocok: baris ini berisi 36 sel, baris judul 37."),
        (5, "ditolak", "", "Jumlah kolom tidak cocok: baris ini berisi 38 sel, baris judul 37."),
    ]


def test_it_imports_a_binary_xls_with_a_short_row(district: DistrictFixture) -> None:
    report = run(
        (DATA / "eppgbm_download.xls").read_bytes(), "Daftar Anak.xls", district.users["bappeda_admin"]
    )

    assert report.summary == counts(create_child=3, create_measurement=3, warnings=1)
    assert report.issues == [(4, "peringatan", "Total Pengukuran", SHIFTED)]
    assert measured() == [
        ("ANDI PRATAMA", datetime.date(2026, 1, 5), Decimal("12.40"), Decimal("88.0"), "H", "Anggrek"),
        ("BUDI SANTOSO", datetime.date(2026, 1, 5), Decimal("10.20"), Decimal("80.5"), "H", "Mawar"),
        ("SITI AMINAH", datetime.date(2026, 1, 5), Decimal("9.10"), Decimal("76.0"), "L", "Mawar"),
    ]
    assert sorted(Child.objects.values_list("name", "birth_date")) == [
        ("ANDI PRATAMA", datetime.date(2023, 8, 20)),
        ("BUDI SANTOSO", datetime.date(2024, 3, 10)),
        ("SITI AMINAH", datetime.date(2024, 6, 15)),
    ]


def test_an_xlsx_saved_as_xls_and_an_html_saved_as_xlsx_are_told_by_their_content(
    district: DistrictFixture,
) -> None:
    page = download_html([cells_of(child(), HEADER)]).encode()

    report = run(page, "Daftar Anak.xlsx", district.users["bappeda_admin"], commit=False)

    assert report.summary == counts(create_child=1, create_measurement=1)


def test_it_reads_the_download_resaved_as_semicolon_csv_with_its_short_row_padded(
    district: DistrictFixture,
) -> None:
    # Excel pads every row of a sheet to its width: the short row ends with a blank cell instead.
    lines = [TITLE + ";" * 36, ";".join(HEADER), ";".join(cells_of(child(), HEADER))]
    lines.append(";".join([*cells_of(SITI_DOWNLOAD, HEADER, drop=["Total Pengukuran"]), ""]))
    text = "\r\n".join(lines) + "\r\n"

    report = run(text.encode("cp1252"), "Daftar Anak.csv", district.users["bappeda_admin"])

    assert report.summary == counts(create_child=2, create_measurement=2, warnings=1)
    assert report.issues == [(4, "peringatan", "Total Pengukuran", SHIFTED)]
    assert [row[2:4] for row in measured()] == [
        (Decimal("10.20"), Decimal("80.5")),
        (Decimal("9.10"), Decimal("76.0")),
    ]


def test_a_csv_row_lines_up_with_its_header_row_or_is_rejected(district: DistrictFixture) -> None:
    # Excel wrote two blank header cells past the table; one row has a note in an unlabelled column.
    def line(values: list[str]) -> str:
        return ";".join(values)

    budi = [export_row().get(name, "") for name in EXPORT_HEADER]
    siti = [SITI.get(name, "") for name in EXPORT_HEADER]
    text = "\n".join(
        [
            line([*EXPORT_HEADER, "", ""]),
            line([*budi, "", "dirujuk"]),
            line(siti[:-2]),
            line([*siti, ""]),
        ]
    )

    report = run(text.encode(), "register.csv", district.users["bappeda_admin"], commit=False)

    assert report.summary == counts(create_child=2, create_measurement=2, rejected=1)
    assert report.issues == [
        (3, "ditolak", "", "Jumlah kolom tidak cocok: baris ini berisi 31 sel, baris judul 33.")
    ]


# Columns ---------------------------------------------------------------------------------------------------


def test_messages_name_the_columns_as_the_file_writes_them(district: DistrictFixture) -> None:
    header = [
        "Nama Balita",
        "Jenis Kelamin",
        "Tanggal Lahir",
        "Tgl Ukur",
        "BB",
        "TB",
        "Cara Ukur",
        "Desa",
        "Posyandu",
    ]
    rows = [
        ["Budi", "X", "10/03/2024", "05/01/2026", "10,2", "80,5", "Berdiri", "SUMBERAGUNG", "Mawar"],
        ["Siti", "P", "31/02/2024", "05/01/2026", "", "", "", "SUMBERAGUNG", "Mawar"],
    ]
    text = "\n".join(";".join(row) for row in [header, *rows]) + "\n"

    report = run(text.encode(), "register.csv", district.users["bappeda_admin"], commit=False)

    assert report.issues == [
        (2, "ditolak", "Jenis Kelamin", "Jenis kelamin harus L atau P"),
        (3, "ditolak", "Tanggal Lahir", "Tanggal tidak ada di kalender"),
        (3, "ditolak", "BB", "Isi BB atau TB"),
    ]


UNKNOWN = ["Catatan Kader", "Tgl Lahr"]


def _with_unknown_columns() -> bytes:
    header = [*HEADER[:5], "Tgl Lahr", *HEADER[5:], "Catatan Kader"]
    values = {**child(), "Tgl Lahr": "10-03-2024", "Catatan Kader": "rujuk"}
    return download_html([cells_of(values, header)], header=header).encode()


def test_unknown_columns_are_listed_once_by_the_command(district: DistrictFixture, tmp_path: Path) -> None:
    path = tmp_path / "Daftar Anak.xls"
    path.write_bytes(_with_unknown_columns())
    out = StringIO()

    call_command("import_eppgbm", str(path), stdout=out)

    assert out.getvalue().splitlines()[1:3] == ["baris dibaca: 1", "kolom diabaikan: Tgl Lahr, Catatan Kader"]


def test_unknown_columns_are_shown_on_the_job_page_and_in_the_api(
    district: DistrictFixture, django_capture_on_commit_callbacks, settings, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    client = Client()
    client.force_login(district.users["bappeda_admin"])
    upload = SimpleUploadedFile(
        "Daftar Anak.xls", _with_unknown_columns(), content_type="application/vnd.ms-excel"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/impor/", {"file": upload})
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert job.summary == {
        **counts(create_child=1, create_measurement=1),
        "ignored_columns": ["Tgl Lahr", "Catatan Kader"],
    }

    page = client.get(f"/impor/{job.pk}/").content.decode()
    assert (
        '<p data-testid="ignored-columns">Kolom yang tidak dikenal dan diabaikan: Tgl Lahr, Catatan Kader</p>'
        in page
    )
    api = APIClient()
    api.force_authenticate(district.users["bappeda_admin"])
    assert api.get(f"/api/v1/imports/{job.pk}/").json()["summary"]["ignored_columns"] == [
        "Tgl Lahr",
        "Catatan Kader",
    ]
