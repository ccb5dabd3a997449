"""Bulk import of deliveries from an OPD sheet: dry run, apply, idempotency, row errors, OPD restriction."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from children.services import keluarga_save
from interventions import imports
from interventions.models import Delivery, Referral
from tests.interventions.conftest import KK_BUDI, NIK, TODAY, Village

HEADER = "Kode Intervensi;NIK;Nomor KK;Nama;Tanggal;Jumlah;Satuan;Sumber Dana;Unit Pelaksana\n"


def _sheet(*lines: str) -> list[tuple[int, dict]]:
    return imports.read_rows(
        io.BytesIO((HEADER + "".join(f"{line}\n" for line in lines)).encode()), "pmt.csv"
    )


def _run(village: Village, user_key: str, rows: list, commit: bool) -> imports.ImportReport:
    user = village.district.users.get(user_key, village.pupr_officer)
    return imports.delivery_import(user=user, rows=rows, commit=commit, today=TODAY)


DINKES_SHEET = (
    f"PMT-GK;{NIK['ayu']};;Ayu;05/12/2025;2,5;kg;DAK;Puskesmas Pesanggaran",
    f"MPASI;{NIK['eko']};;Eko;2025-12-06;1;;APBD;",
    f"TTD;{NIK['ema']};;Ema;2025-06-01;30;tablet;apbd;",  # already recorded by the fixture
    f"AIR;;{KK_BUDI};Budi;2025-12-01;1;;APBD;",  # a PUPR intervention
    "TTD;3510019999999999;;Siapa;2025-12-01;30;;APBD;",  # unknown NIK
    f"PMT-GK;{NIK['ayu']};;Ayu;2026-02-01;x;;Hibah;",  # future date, bad number, unknown fund
    f"PMT-GK;{NIK['ayu']};;Ayu;05/12/2025;2,5;kg;DAK;",  # repeated in the file
)


def test_a_dry_run_reports_every_row_and_writes_nothing(delivered: Village) -> None:
    before = Delivery.objects.count()
    report = _run(delivered, "opd_officer", _sheet(*DINKES_SHEET), commit=False)
    assert [(row.row_number, row.status, row.messages) for row in report.rows] == [
        (2, "baru", []),
        (3, "baru", []),
        (4, "sudah ada", []),
        (5, "ditolak", ["Intervensi ini bukan milik OPD Anda."]),
        (6, "ditolak", ["NIK tidak ditemukan di wilayah kerja Anda."]),
        (
            7,
            "ditolak",
            [
                "Tanggal penyaluran tidak boleh di masa depan.",
                "Jumlah bukan angka.",
                "Sumber dana tidak dikenal.",
            ],
        ),
        (8, "sudah ada", []),
    ]
    assert (report.applied, report.created_count, report.unchanged_count, report.rejected_count) == (
        False,
        2,
        2,
        3,
    )
    assert Delivery.objects.count() == before


def test_apply_creates_the_valid_rows_once(delivered: Village) -> None:
    before = Delivery.objects.count()
    report = _run(delivered, "opd_officer", _sheet(*DINKES_SHEET), commit=True)
    assert (report.applied, report.created_count) == (True, 2)
    assert Delivery.objects.count() == before + 2
    pmt = Delivery.objects.get(intervention__code="PMT-GK")
    assert (pmt.child_id, str(pmt.quantity), pmt.unit, pmt.funding_source, pmt.provider_unit, pmt.source) == (
        delivered.children["ayu"].pk,
        "2.50",
        "kg",
        "dak",
        "Puskesmas Pesanggaran",
        "import",
    )
    assert pmt.history.count() == 1
    again = _run(delivered, "opd_officer", _sheet(*DINKES_SHEET), commit=True)
    assert (again.created_count, again.unchanged_count, again.rejected_count) == (0, 4, 3)
    assert Delivery.objects.count() == before + 2


def test_an_import_closes_the_referrals_it_answers(delivered: Village) -> None:
    referral = Referral.objects.create(
        intervention=delivered.interventions["AIR"],
        opd=delivered.district.pupr,
        keluarga=delivered.families["tono"],
        desa=delivered.district.desa_a1,
        reason="-",
        due_date=datetime.date(2026, 1, 1),
        created_by=delivered.district.users["bappeda_admin"],
    )
    tono_kk = "3510010101200009"
    keluarga_save(user=None, keluarga=delivered.families["tono"], kk_number=tono_kk)
    report = _run(
        delivered, "pupr", _sheet(f"AIR;;{tono_kk};Tono;2025-12-10;1;sambungan;Dana Desa;"), commit=True
    )
    assert report.created_count == 1
    referral.refresh_from_db()
    assert (referral.status, referral.delivery.keluarga_id) == ("selesai", delivered.families["tono"].pk)


def test_it_reads_cells_our_exports_escaped_as_they_were_written() -> None:
    # "'" is dropped only before a character a spreadsheet would run as a formula.
    assert _sheet("'+PMT;'3510;;'=SUM(1);2025-12-01;'-1;kg;APBD;'Puskesmas") == [
        (
            2,
            {
                "code": "+PMT",
                "nik": "'3510",
                "kk": "",
                "name": "=SUM(1)",
                "date": "2025-12-01",
                "quantity": "-1",
                "unit": "kg",
                "funding": "APBD",
                "provider": "'Puskesmas",
            },
        )
    ]


def test_it_rejects_a_file_without_the_header() -> None:
    with pytest.raises(imports.UnreadableFile):
        imports.read_rows(io.BytesIO(b"a,b,c\n1,2,3\n"), "x.csv")
    with pytest.raises(imports.UnreadableFile):
        imports.read_rows(io.BytesIO(b""), "x.pdf")


def test_the_command_dry_runs_then_commits(delivered: Village, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "pmt.csv"
    path.write_text(HEADER + f"MPASI;{NIK['eko']};;Eko;2025-12-06;1;;APBD;\n", encoding="utf-8")
    out = io.StringIO()
    call_command("import_deliveries", str(path), "--user", "dinkes", stdout=out)
    assert out.getvalue().strip().endswith("Uji coba: 1 baru, 0 sudah ada, 0 ditolak.")
    assert not Delivery.objects.filter(child=delivered.children["eko"]).exists()
    call_command("import_deliveries", str(path), "--user", "dinkes", "--commit", stdout=io.StringIO())
    assert Delivery.objects.filter(child=delivered.children["eko"]).count() == 1
    with pytest.raises(CommandError):
        call_command("import_deliveries", str(path), "--user", "tidak-ada")


def test_it_reads_a_utf16_sheet_and_rejects_a_row_with_a_nul_byte(delivered: Village) -> None:
    text = (
        HEADER
        + f"MPASI;{NIK['eko']};;Eko;2025-12-06;1;;APBD;\n"
        + f"MPASI;{NIK['ayu']};;A\x00yu;2025-12-06;1;;APBD;\n"
    )
    rows = imports.read_rows(io.BytesIO(text.encode("utf-16")), "pmt.csv")
    report = _run(delivered, "opd_officer", rows, commit=False)
    assert [
        (row.row_number, row.status, row.name, [imports.message_text(m) for m in row.messages])
        for row in report.rows
    ] == [
        (2, "baru", "Eko", []),
        (3, "ditolak", "Ayu", ["Kolom Nama berisi karakter kontrol U+0000; hapus karakter itu dari berkas."]),
    ]


def test_it_refuses_sheets_over_the_limits_before_parsing(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.children import hostile

    with pytest.raises(imports.UnreadableFile) as bomb:
        imports.read_rows(hostile.huge_cell(tmp_path).open("rb"), "pmt.xlsx")
    assert (
        bomb.value.message
        == "Bagian %(member)s berkas .xlsx memampat %(found)s kali; batasnya %(limit)s kali (bom zip)."
    )
    settings.IMPORT_MAX_COLUMNS = 10
    wide = (HEADER.rstrip("\n") + ";x" * 5 + "\n").encode()
    with pytest.raises(imports.UnreadableFile) as columns:
        imports.read_rows(io.BytesIO(wide), "pmt.csv")
    assert (columns.value.message, columns.value.params) == (
        "Berkas berisi %(found)s kolom; batasnya %(limit)s kolom.",
        {"found": 14, "limit": 10},
    )
    settings.IMPORT_MAX_ROWS = 3
    many = (HEADER + f"MPASI;{NIK['eko']};;Eko;2025-12-06;1;;APBD;\n" * 3).encode()
    with pytest.raises(imports.UnreadableFile) as rows:
        imports.read_rows(io.BytesIO(many), "pmt.csv")
    assert (rows.value.message, rows.value.params) == (
        "Berkas berisi lebih dari %(limit)s baris.",
        {"limit": 3},
    )
