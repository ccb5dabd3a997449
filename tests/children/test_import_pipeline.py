"""The import pipeline on small hand-made e-PPGBM registers: dry run, apply, idempotency, scope, jobs."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from children import compute, pii
from children.imports import resolve
from children.imports.pipeline import import_rows
from children.imports.services import (
    import_file,
    import_job_apply,
    import_job_create,
    import_job_progress,
    import_progress_key,
)
from children.models import Child, DuplicateCandidate, ImportJob, ImportRowIssue, Measurement
from children.services import person_save
from children.tasks import import_apply
from convergence.scoping import scope_for_user
from tests.factories import ChildFactory, DistrictFixture

HEADER = [
    "NIK", "Nama", "JK", "Tgl Lahir", "BB Lahir", "TB Lahir", "Nama Ortu", "Prov", "Kab/Kota", "Kec",
    "Pukesmas", "Desa/Kel", "Posyandu", "RT", "RW", "Alamat", "Usia Saat Ukur", "Tanggal Pengukuran",
    "Berat", "Tinggi", "Cara Ukur", "LiLA", "BB/U", "ZS BB/U", "TB/U", "ZS TB/U", "BB/TB", "ZS BB/TB",
    "Naik Berat Badan", "PMT Diterima (kg)", "Jml Vit A", "KPSP", "KIA",
]  # fmt: skip

# Posyandu Mawar in SUMBERAGUNG, kecamatan PESANGGARAN (tests.factories.build_district).
MAWAR = {"Kec": "PESANGGARAN", "Desa/Kel": "SUMBERAGUNG", "Posyandu": "Mawar"}
MELATI = {"Kec": "PESANGGARAN", "Desa/Kel": "SUMBERAGUNG", "Posyandu": "Melati"}
ANGGREK = {"Kec": "PESANGGARAN", "Desa/Kel": "SILIRAGUNG", "Posyandu": "Anggrek"}
KENANGA = {"Kec": "BANGOREJO", "Desa/Kel": "SAMBIMULYO", "Posyandu": "Kenanga"}

# Boy born 10-03-2024 registered in kecamatan 35.10.01; girl born 15-06-2024 (day + 40).
NIK_BUDI = "3510011003240001"
NIK_SITI = "3510015506240002"


def row(**values: str) -> dict[str, str]:
    base = {
        "NIK": NIK_BUDI,
        "Nama": "Budi Santoso",
        "JK": "L",
        "Tgl Lahir": "10/03/2024",
        "Nama Ortu": "Sri Wahyuni",
        "Prov": "JAWA TIMUR",
        "Kab/Kota": "BANYUWANGI",
        **MAWAR,
        "Pukesmas": "Pesanggaran",
        "RT": "001",
        "RW": "002",
        "Tanggal Pengukuran": "05/01/2026",
        "Berat": "10,2",
        "Tinggi": "80.5",
        "Cara Ukur": "Berdiri",
    }
    base.update(values)
    return base


def csv_text(rows: Sequence[dict[str, str]], header: Sequence[str] = HEADER, delimiter: str = ",") -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    for values in rows:
        writer.writerow([values.get(name, "") for name in header])
    return out.getvalue()


def xlsx_bytes(rows: Sequence[Sequence[object]], header: Sequence[str] = HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for values in rows:
        sheet.append(list(values))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def run(text: str, user: Any, *, commit: bool, name: str = "register.csv", **kwargs: Any) -> Any:
    return import_file(source=io.StringIO(text), file_name=name, user=user, commit=commit, **kwargs)


def counts(**nonzero: int) -> dict[str, int]:
    base = dict.fromkeys(
        (
            "create_child",
            "update_child",
            "merge",
            "create_measurement",
            "update_measurement",
            "unchanged",
            "rejected",
            "warnings",
        ),
        0,
    )
    return {**base, **nonzero}


SITI = row(
    NIK=NIK_SITI, Nama="Siti Aminah", JK="P", **{"Tgl Lahir": "15 Juni 2024", "Berat": "9.1", "Tinggi": "76"}
)


# Dry run ---------------------------------------------------------------------------------------------


def test_it_checks_a_register_without_writing_anything(district: DistrictFixture) -> None:
    bad = row(NIK="3.51001E+15", Nama="Andi")
    report = run(csv_text([row(), SITI, bad]), district.users["bappeda_admin"], commit=False)

    assert report.summary == counts(create_child=2, create_measurement=2, rejected=1)
    assert report.rows_total == 3
    assert report.issues == [
        (
            4,
            "ditolak",
            "NIK",
            "NIK/KK dalam notasi ilmiah (mis. 3.51E+15): angka terakhirnya hilang; tulis ulang sebagai teks",
        )
    ]
    assert Child.objects.count() == 0
    assert Measurement.objects.count() == 0


def test_it_reports_every_problem_of_a_rejected_row_with_its_column(district: DistrictFixture) -> None:
    bad = row(
        NIK="3510013202240001",  # 32 February
        Nama="",
        JK="X",
        **{"Tanggal Pengukuran": "12-Agu-27", "Berat": "80", "Tinggi": "", "Posyandu": "Tulip"},
    )
    report = run(csv_text([row(), bad]), district.users["bappeda_admin"], commit=False)

    assert report.summary == counts(create_child=1, create_measurement=1, rejected=1)
    assert [(n, a, f) for n, a, f, _m in report.issues] == [
        (3, "ditolak", "Nama"),
        (3, "ditolak", "JK"),
        (3, "ditolak", "Tanggal Pengukuran"),
        (3, "ditolak", "NIK"),
        (3, "ditolak", "Berat"),
        (3, "ditolak", "Posyandu"),
    ]
    messages = [m for *_rest, m in report.issues]
    assert messages == [
        "Nama wajib diisi",
        "Jenis kelamin harus L atau P",
        "Tanggal pengukuran tidak boleh di masa depan",
        "NIK memuat tanggal lahir yang tidak ada (perempuan: tanggal + 40)",
        "Berat 80 kg di luar rentang yang mungkin (0,5-50 kg)",
        "Posyandu tidak ditemukan di kabupaten Anda: periksa Kec, Desa/Kel dan Posyandu",
    ]


@pytest.mark.parametrize(
    ("values", "column", "message"),
    [
        ({"Tgl Lahir": "01/01/2020"}, "Tanggal Pengukuran", "Anak berumur lebih dari 60 bulan saat diukur"),
        (
            {"Tanggal Pengukuran": "01/01/2024"},
            "Tanggal Pengukuran",
            "Tanggal pengukuran sebelum tanggal lahir anak",
        ),
        ({"Tgl Lahir": "30/02/2024"}, "Tgl Lahir", "Tanggal tidak ada di kalender"),
        (
            {"Tgl Lahir": "kemarin"},
            "Tgl Lahir",
            "Tanggal tidak terbaca (contoh yang benar: 12/01/2024 atau 12 Januari 2024)",
        ),
        ({"Tgl Lahir": "01/01/2099", "NIK": ""}, "Tgl Lahir", "Tanggal lahir tidak boleh di masa depan"),
        ({"Tinggi": "150"}, "Tinggi", "Panjang/tinggi 150 cm di luar rentang yang mungkin (30-140 cm)"),
        ({"Berat": "0,3"}, "Berat", "Berat 0,3 kg di luar rentang yang mungkin (0,5-50 kg)"),
        ({"LiLA": "40"}, "LiLA", "LiLA 40 cm di luar rentang yang mungkin (5-35 cm)"),
        ({"Berat": "", "Tinggi": ""}, "Berat", "Isi Berat atau Tinggi"),
        ({"Berat": "sepuluh"}, "Berat", "Bukan angka"),
        ({"Cara Ukur": "duduk"}, "Cara Ukur", "Cara ukur harus Berdiri atau Telentang"),
        ({"NIK": "351001100324001"}, "NIK", "NIK/KK harus tepat 16 angka"),
        ({"NIK": "9910011003240001"}, "NIK", "NIK diawali kode provinsi yang tidak dikenal"),
        (
            {"NIK": "3510017203240001"},
            "NIK",
            "NIK memuat tanggal lahir yang tidak ada (perempuan: tanggal + 40)",
        ),
        ({"NIK": "3510011003240000"}, "NIK", "NIK memuat nomor urut 0000"),
        ({"Posyandu": ""}, "Posyandu", "Posyandu wajib diisi"),
    ],
)
def test_it_rejects_each_invalid_value(
    district: DistrictFixture, values: dict[str, str], column: str, message: str
) -> None:
    report = run(csv_text([row(**values)]), district.users["bappeda_admin"], commit=False)

    assert report.summary["rejected"] == 1
    assert (2, "ditolak", column, message) in report.issues


def test_it_warns_about_nik_mismatch_and_missing_position(district: DistrictFixture) -> None:
    # A NIK of a girl born 10-03-2024 on a boy's row; no Cara Ukur at 22 months (lying assumed).
    report = run(
        csv_text([row(NIK="3510015003240001", **{"Cara Ukur": ""})]),
        district.users["bappeda_admin"],
        commit=True,
    )

    assert report.summary == counts(create_child=1, create_measurement=1, warnings=2)
    assert report.issues == [
        (2, "peringatan", "NIK", "Jenis kelamin menurut NIK berbeda dengan data"),
        (2, "peringatan", "Cara Ukur", "Cara ukur kosong: dianggap telentang menurut umur"),
    ]
    assert Measurement.objects.get().position == "L"


def test_it_keeps_the_raw_row_of_rows_with_a_warning_or_a_change(district: DistrictFixture) -> None:
    admin = district.users["bappeda_admin"]
    run(csv_text([row(), SITI]), admin, commit=True)
    # Budi: a new visit without Cara Ukur (a warning); Siti: her weighing of 05-01 corrected.
    later = row(**{"Cara Ukur": "", "Tanggal Pengukuran": "12/01/2026"})

    run(csv_text([later, {**SITI, "Berat": "9,3"}]), admin, commit=True)

    stored = {
        (m.child.name, m.measured_on): (m.raw, m.import_row)
        for m in Measurement.objects.select_related("child")
    }
    assert stored[("Budi Santoso", datetime.date(2026, 1, 5))] == (None, 2)
    warned, warned_row = stored[("Budi Santoso", datetime.date(2026, 1, 12))]
    assert warned_row == 2
    assert warned["NIK"] == "351001••••••••••"  # never the NIK in plaintext
    assert (warned["Berat"], "Cara Ukur" in warned) == ("10,2", False)  # blank cells are left out
    changed, changed_row = stored[("Siti Aminah", datetime.date(2026, 1, 5))]
    assert (changed["Berat"], changed["Tgl Lahir"], changed_row) == ("9,3", "15 Juni 2024", 3)


# Apply and idempotency ------------------------------------------------------------------------------------


def test_it_applies_the_exact_children_and_measurements(district: DistrictFixture) -> None:
    admin = district.users["bappeda_admin"]
    report = run(csv_text([row(**{"LiLA": "14,5"}), SITI]), admin, commit=True)

    assert report.summary == counts(create_child=2, create_measurement=2)
    budi, siti = Child.objects.order_by("name")
    assert (budi.name, budi.sex, budi.birth_date, budi.posyandu, budi.desa) == (
        "Budi Santoso",
        "L",
        datetime.date(2024, 3, 10),
        district.posyandu_a1,
        district.desa_a1,
    )
    assert (budi.mother_name, budi.rt, budi.rw) == ("Sri Wahyuni", "001", "002")
    assert budi.nik_hash == pii.nik_hash(NIK_BUDI)
    assert pii.decrypt(budi.nik_encrypted) == NIK_BUDI
    assert NIK_BUDI not in budi.nik_encrypted
    assert siti.birth_date == datetime.date(2024, 6, 15)

    measured = Measurement.objects.get(child=budi)
    assert (
        measured.measured_on,
        measured.weight_kg,
        measured.height_cm,
        measured.position,
        measured.lila_cm,
    ) == (
        datetime.date(2026, 1, 5),
        Decimal("10.20"),
        Decimal("80.5"),
        "H",
        Decimal("14.5"),
    )
    assert (measured.source, measured.measured_by, measured.age_days) == ("import", admin, 666)
    # A clean row keeps no copy of itself: its file row is referenced by (import_job, import_row).
    assert (measured.raw, measured.import_row) == (None, 2)
    expected = compute.measurement_growth_columns(
        sex=np.array(["L"]),
        age_days=np.array([666]),
        weight_kg=np.array([10.2]),
        height_cm=np.array([80.5]),
        position=np.array(["H"]),
        oedema=np.array([False]),
        lila_cm=np.array([14.5]),
    )
    for name in compute.GROWTH_FIELDS:
        value = expected[name][0].item()
        assert getattr(measured, name) == (None if value != value else value), name
    assert measured.adjusted_height_cm == Decimal("81.2")
    assert measured.error_flags == int(expected["error"][0])
    assert measured.weight_gain == 4  # B: first weighing


def test_it_creates_children_whose_nik_looked_registered_before_the_queries(
    district: DistrictFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The registry's NIKs are kept as 64-bit keys: a key may match a NIK the registry lacks. Such a row
    # is resolved as new by its batch's queries, and its child is still written in full.
    monkeypatch.setattr(resolve, "contains", lambda keys_sorted, keys: [True] * keys.size)

    report = run(csv_text([row(), SITI]), district.users["bappeda_admin"], commit=True)

    assert report.summary == counts(create_child=2, create_measurement=2)
    children = Child.objects.order_by("name")
    assert [(c.name, pii.decrypt(c.nik_encrypted), c.posyandu) for c in children] == [
        ("Budi Santoso", NIK_BUDI, district.posyandu_a1),
        ("Siti Aminah", NIK_SITI, district.posyandu_a1),
    ]
    assert Measurement.objects.filter(child__in=children).count() == 2


def test_it_changes_nothing_when_the_same_file_is_imported_again(district: DistrictFixture) -> None:
    admin = district.users["bappeda_admin"]
    text = csv_text([row(), SITI, row(NIK="123")])
    run(text, admin, commit=True)
    before = list(Measurement.objects.order_by("pk").values())
    children_before = list(Child.objects.order_by("pk").values())

    again = run(text, admin, commit=True)

    assert again.summary == counts(unchanged=2, rejected=1)
    assert list(Measurement.objects.order_by("pk").values()) == before
    assert list(Child.objects.order_by("pk").values()) == children_before


def test_it_updates_a_changed_measurement_and_fills_blank_child_fields(district: DistrictFixture) -> None:
    admin = district.users["bappeda_admin"]
    run(csv_text([row()]), admin, commit=True)
    changed = row(Berat="10,6", Alamat="Dusun Krajan", **{"BB Lahir": "3,1", "Nama Ortu": "", "RT": ""})

    report = run(csv_text([changed]), admin, commit=True)

    assert report.summary == counts(update_child=1, update_measurement=1)
    child = Child.objects.get()
    assert (child.address, child.birth_weight_kg, child.mother_name, child.rt) == (
        "Dusun Krajan",
        Decimal("3.10"),
        "Sri Wahyuni",  # a blank cell never blanks the registry
        "001",
    )
    assert Measurement.objects.get().weight_kg == Decimal("10.60")
    assert Measurement.objects.count() == 1


def test_it_merges_a_child_registered_without_nik(district: DistrictFixture) -> None:
    child = ChildFactory(
        posyandu=district.posyandu_a1, name="BUDI SANTOSO", birth_date=datetime.date(2024, 3, 10), sex="L"
    )

    report = run(csv_text([row(Nama="By. Budi Santoso")]), district.users["bappeda_admin"], commit=True)

    assert report.summary == counts(merge=1, create_measurement=1)
    child.refresh_from_db()
    assert child.nik_hash == pii.nik_hash(NIK_BUDI)
    assert Child.objects.count() == 1
    assert Measurement.objects.get().child == child


def test_it_finds_a_merged_child_by_nik_in_later_batches(district: DistrictFixture) -> None:
    child = ChildFactory(
        posyandu=district.posyandu_a1, name="Budi Santoso", birth_date=datetime.date(2024, 3, 10)
    )
    rows = [row(), row(Nama="Budy Santoso", **{"Tanggal Pengukuran": "05/02/2026"})]

    report = import_rows(
        source=io.StringIO(csv_text(rows)),
        file_name="r.csv",
        user=district.users["bappeda_admin"],
        commit=True,
        batch_size=1,
    )

    assert report.summary == counts(merge=1, create_measurement=2)
    assert list(Measurement.objects.values_list("child", flat=True)) == [child.pk, child.pk]
    assert Child.objects.count() == 1


def test_the_changes_of_a_childs_rows_in_one_batch_are_folded_in_file_order(
    district: DistrictFixture,
) -> None:
    user = district.users["bappeda_admin"]
    run(csv_text([row()]), user, commit=True)  # Budi, RT 001 and RW 002
    rows = [
        row(RT="003", RW="004", Alamat="Dusun Krajan", **{"Tanggal Pengukuran": "05/02/2026"}),
        row(RT="005", **{"Tanggal Pengukuran": "05/03/2026"}),  # a later RT; RW 002 and no address
    ]

    report = run(csv_text(rows), user, commit=True)

    assert report.summary == counts(update_child=1, create_measurement=2)
    budi = Child.objects.get()
    assert (budi.rt, budi.rw, budi.address) == ("005", "004", "Dusun Krajan")


def test_it_finds_a_child_without_nik_by_identity(district: DistrictFixture) -> None:
    child = ChildFactory(
        posyandu=district.posyandu_a1, name="Budi Santoso", birth_date=datetime.date(2024, 3, 10)
    )

    report = run(csv_text([row(NIK="", **{"Nama Ortu": ""})]), district.users["bappeda_admin"], commit=True)

    assert report.summary == counts(update_child=1, create_measurement=1)  # RT/RW filled in
    assert Measurement.objects.get().child == child


def test_it_rejects_the_nik_of_a_person(district: DistrictFixture) -> None:
    mother = person_save(
        user=None, nik="3510015505950003", name="Sri Wahyuni", sex="P", birth_date=datetime.date(1995, 5, 15),
        desa=district.desa_a1,
    ).obj  # fmt: skip

    report = run(
        csv_text([row(NIK="3510015505950003", **{"Tgl Lahir": "15/05/2024"})]),
        district.users["bappeda_admin"],
        commit=True,
    )

    assert report.summary["rejected"] == 1
    assert report.issues[-1] == (
        2,
        "ditolak",
        "NIK",
        f"NIK milik penduduk lain: Sri Wahyuni di SUMBERAGUNG (nomor data {mother.pk})",
    )
    assert Child.objects.count() == 0
    assert Measurement.objects.count() == 0


def test_it_rejects_the_nik_of_a_person_outside_the_scope_without_naming_her(
    district: DistrictFixture,
) -> None:
    person_save(
        user=None, nik="3510015505950003", name="Sri Wahyuni", sex="P", birth_date=datetime.date(1995, 5, 15),
        desa=district.desa_b1,
    )  # fmt: skip

    report = run(
        csv_text([row(NIK="3510015505950003", **{"Tgl Lahir": "15/05/2024"})]),
        district.users["puskesmas_officer"],
        commit=True,
    )

    assert report.issues[-1] == (2, "ditolak", "NIK", "NIK milik penduduk lain di luar wilayah Anda")
    assert Child.objects.count() == 0


def test_it_rejects_a_second_row_for_the_same_child_and_day(district: DistrictFixture) -> None:
    report = run(csv_text([row(), SITI, row(Berat="11")]), district.users["bappeda_admin"], commit=True)

    assert report.summary == counts(create_child=2, create_measurement=2, rejected=1)
    assert report.issues == [
        (4, "ditolak", "Tanggal Pengukuran", "Baris ganda untuk anak dan tanggal yang sama (baris 2)")
    ]
    assert Measurement.objects.get(child__name="Budi Santoso").weight_kg == Decimal("10.20")


def test_it_links_later_visits_of_a_new_child_and_chains_weight_gain(district: DistrictFixture) -> None:
    rows = [row(**{"Tanggal Pengukuran": "05/01/2026", "Berat": "10,2"}),
            row(**{"Tanggal Pengukuran": "05/02/2026", "Berat": "10,6"})]  # fmt: skip

    report = import_rows(
        source=io.StringIO(csv_text(rows)),
        file_name="r.csv",
        user=district.users["bappeda_admin"],
        commit=True,
        batch_size=1,
    )

    assert report.summary == counts(create_child=1, create_measurement=2)
    assert report.batches == 2
    assert Child.objects.count() == 1
    assert list(Measurement.objects.order_by("measured_on").values_list("weight_gain", flat=True)) == [4, 0]


def test_it_warns_about_a_shrinking_height_and_a_who_flag(district: DistrictFixture) -> None:
    admin = district.users["bappeda_admin"]
    run(csv_text([row()]), admin, commit=True)
    later = row(**{"Tanggal Pengukuran": "05/02/2026", "Tinggi": "78,0", "Berat": "30"})

    report = run(csv_text([later]), admin, commit=True)

    assert report.summary == counts(create_measurement=1, warnings=2)
    assert report.issues == [
        (
            2,
            "peringatan",
            "Berat",
            "Nilai di luar batas wajar WHO (BB/U, BB/TB, IMT/U): periksa alat dan ukur ulang.",
        ),
        (
            2,
            "peringatan",
            "Tinggi",
            "Panjang/tinggi turun 2.5 cm sejak 05-01-2026 (batas 1.5 cm): ukur ulang.",
        ),
    ]
    assert Measurement.objects.get(measured_on=datetime.date(2026, 2, 5)).waz_category == -2  # WHO flag


def test_it_reads_an_xlsx_with_numbers_dates_and_damaged_nik(district: DistrictFixture) -> None:
    def cells(nik: object, name: str, born: object, day: object, sex: str = "L") -> list[object]:
        values = {**row(NIK="", Nama=name, JK=sex), "Tgl Lahir": born, "Tanggal Pengukuran": day}
        values["NIK"] = nik
        return [values.get(h, "") for h in HEADER]

    content = xlsx_bytes(
        [
            cells(
                3510011003240001, "Budi Santoso", datetime.datetime(2024, 3, 10), datetime.date(2026, 1, 5)
            ),
            cells(
                3510015506240002.0, "Siti Aminah", 45458, "05-01-2026", "Perempuan"
            ),  # Excel serial 45458 = 15-06-2024
            cells("3.51001E+15", "Andi", "10/03/2024", "05/01/2026"),
        ]
    )
    siti = {**SITI}
    report = import_file(
        source=io.BytesIO(content),
        file_name="register.xlsx",
        user=district.users["bappeda_admin"],
        commit=True,
    )

    assert report.summary == counts(create_child=2, create_measurement=2, rejected=1)
    assert [i[0] for i in report.issues] == [4]
    assert sorted(Child.objects.values_list("name", "birth_date")) == [
        ("Budi Santoso", datetime.date(2024, 3, 10)),
        ("Siti Aminah", datetime.date(2024, 6, 15)),
    ]
    assert Child.objects.get(name="Siti Aminah").nik_hash == pii.nik_hash(siti["NIK"])


def test_it_reads_semicolon_csv_in_latin1_with_title_rows(district: DistrictFixture) -> None:
    text = "Laporan e-PPGBM;;\n\n" + csv_text([row(Nama="Budi Santoso Élan")], delimiter=";")
    report = import_file(
        source=io.BytesIO(text.encode("latin-1")),
        file_name="register.csv",
        user=district.users["bappeda_admin"],
        commit=True,
    )

    assert report.summary == counts(create_child=1, create_measurement=1)
    assert Child.objects.get().name == "Budi Santoso Élan"


def test_it_resolves_posyandu_by_desa_code_in_the_register_template(district: DistrictFixture) -> None:
    header = [*HEADER, "Kode Desa"]
    values = row(Kec="", **{"Desa/Kel": "", "Posyandu": "POSYANDU MELATI", "Kode Desa": "35.10.01.2001"})

    run(csv_text([values], header=header), district.users["bappeda_admin"], commit=True)

    assert Child.objects.get().posyandu == district.posyandu_a1_second


def test_it_refuses_a_file_that_is_not_a_register(district: DistrictFixture) -> None:
    with pytest.raises(ValidationError) as refused:
        run("a,b\n1,2\n", district.users["bappeda_admin"], commit=False)
    assert refused.value.message_dict == {
        "file": ["Kolom wajib tidak ditemukan: Nama, JK, Tgl Lahir, Tanggal Pengukuran, Posyandu"]
    }
    with pytest.raises(ValidationError):
        run("", district.users["bappeda_admin"], commit=False, name="register.txt")


# Scope ----------------------------------------------------------------------------------------------------

ACCEPTED_POSYANDU = {
    "bappeda_admin": ["Anggrek", "Kenanga", "Mawar"],
    "puskesmas_officer": ["Anggrek", "Mawar"],
    "kader": ["Mawar"],
    "kpm": ["Anggrek"],
}


@pytest.mark.parametrize("role", [*ACCEPTED_POSYANDU, "opd_officer", "pimpinan", "no_role"])
def test_it_imports_only_rows_inside_the_uploaders_scope(district: DistrictFixture, role: str) -> None:
    rows = [
        row(NIK="", Nama=f"Anak {place['Posyandu']}", **place)
        for place in (
            MAWAR,
            ANGGREK,
            KENANGA,
            {"Kec": "MAESAN", "Desa/Kel": "GAMBANGAN", "Posyandu": "Dahlia"},
        )
    ]
    user = district.users[role]
    if role not in ACCEPTED_POSYANDU:
        with pytest.raises(PermissionDenied):
            run(csv_text(rows), user, commit=True)
        assert Child.objects.count() == 0
        return

    report = run(csv_text(rows), user, commit=True)

    accepted = ACCEPTED_POSYANDU[role]
    assert sorted(Child.objects.values_list("posyandu__name", flat=True)) == accepted
    assert report.summary["rejected"] == 4 - len(accepted)
    outside = [m for n, a, f, m in report.issues if m == "Posyandu di luar wilayah Anda"]
    assert len(outside) == 3 - len(accepted)  # Dahlia lies in another kabupaten: not found at all


def test_it_queues_a_child_registered_outside_the_scope_for_review(district: DistrictFixture) -> None:
    # The NIK belongs to a child of Anggrek (another desa); the kader of Mawar reports him at Mawar.
    run(csv_text([row(**ANGGREK)]), district.users["bappeda_admin"], commit=True)
    child = Child.objects.get()

    report = run(
        csv_text([row(**{"Tanggal Pengukuran": "05/02/2026"})]), district.users["kader"], commit=True
    )

    assert report.issues == [
        (
            2,
            "duplikat",
            "NIK",
            "Data anak dengan identitas yang sama sudah ada di luar wilayah Anda: baris tidak disimpan "
            "dan kasusnya dikirim ke antrean duplikat untuk diperiksa",
        )
    ]
    assert Measurement.objects.count() == 1
    assert list(DuplicateCandidate.objects.values_list("reason", "child_a_id", "reported_by_id")) == [
        ("impor_posyandu_lain", child.pk, district.users["kader"].pk)
    ]


# Queries per batch ---------------------------------------------------------------------------------------


def _queries(text: str, user: Any, batch_size: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        import_rows(
            source=io.StringIO(text), file_name="r.csv", user=user, commit=True, batch_size=batch_size
        )
    return len(queries)


def _register(n: int, first_serial: int) -> str:
    """n new children born in 2024, NIK serials from `first_serial` (files never share a child)."""
    rows = []
    for i in range(n):
        day = datetime.date(2024, 1, 1) + datetime.timedelta(days=i % 300)
        serial = first_serial + i
        nik = f"351001{day:%d%m%y}{serial:04d}"
        name = "Anak " + "".join(chr(ord("a") + int(d)) for d in str(serial))  # names match without digits
        rows.append(row(NIK=nik, Nama=name, **{"Tgl Lahir": f"{day:%d/%m/%Y}"}))
    return csv_text(rows)


def test_it_runs_a_constant_number_of_queries_per_batch(district: DistrictFixture) -> None:
    admin = district.users["bappeda_admin"]
    scope_for_user(admin)  # the user's scope is cached after its first query
    small = _queries(_register(3, 1), admin, batch_size=100)
    large = _queries(_register(60, 100), admin, batch_size=100)
    # The same file again: every child found (by NIK), every measurement unchanged.
    again = _queries(_register(60, 100), admin, batch_size=100)

    assert small == large
    assert again <= large
    # Each further batch adds the same few queries, whatever its rows.
    one, two, three = (_queries(_register(60 * k, 1000 * k), admin, batch_size=60) for k in (1, 2, 3))
    assert three - two == two - one <= 8


# Jobs, tasks and progress -----------------------------------------------------------------------------------


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path)


def test_it_checks_and_applies_a_job_through_the_tasks(
    district: DistrictFixture, media: None, django_capture_on_commit_callbacks: Any
) -> None:
    admin = district.users["bappeda_admin"]
    upload = SimpleUploadedFile("januari.csv", csv_text([row(), SITI, row(NIK="1")]).encode())
    with django_capture_on_commit_callbacks(execute=True):
        job = import_job_create(user=admin, uploaded_file=upload)

    job.refresh_from_db()
    assert (job.status, job.rows_total, job.scope_code, job.original_name) == (
        ImportJob.Status.CHECKED,
        3,
        "35.10.",
        "januari.csv",
    )
    assert job.summary == counts(create_child=2, create_measurement=2, rejected=1)
    assert list(job.issues.values_list("row_number", "action", "field")) == [(4, "ditolak", "NIK")]
    assert Child.objects.count() == 0
    assert import_job_progress(job)["percent"] == 100

    import_apply.delay(job_id=job.pk, user_id=admin.pk)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.APPLIED
    assert job.summary == counts(create_child=2, create_measurement=2, rejected=1)
    assert set(Measurement.objects.values_list("import_job", flat=True)) == {job.pk}
    assert set(Child.objects.values_list("import_job", flat=True)) == {job.pk}
    assert ImportRowIssue.objects.filter(job=job).count() == 1
    applied = list(Measurement.objects.values())

    import_apply.delay(job_id=job.pk, user_id=admin.pk)  # delivered twice: nothing happens

    assert list(Measurement.objects.values()) == applied
    assert ImportRowIssue.objects.filter(job=job).count() == 1


def test_it_shows_progress_from_the_cache_while_a_job_runs(district: DistrictFixture, media: None) -> None:
    job = ImportJob.objects.create(
        original_name="a.csv",
        uploaded_by=district.users["kader"],
        status=ImportJob.Status.APPLYING,
        rows_total=200,
    )
    cache.set(import_progress_key(job.pk), {"status": job.status, "rows_done": 50, "rows_total": 200})

    assert import_job_progress(job) == {
        "status": ImportJob.Status.APPLYING,
        "rows_done": 50,
        "rows_total": 200,
        "percent": 25,
        "summary": {},
    }


def test_it_refuses_uploads_that_are_not_registers(district: DistrictFixture, media: None) -> None:
    admin = district.users["bappeda_admin"]
    with pytest.raises(ValidationError) as refused:
        import_job_create(user=admin, uploaded_file=SimpleUploadedFile("data.pdf", b"%PDF"))
    assert refused.value.message_dict == {"file": ["Hanya berkas .csv, .xls atau .xlsx yang dapat diimpor"]}
    with pytest.raises(ValidationError) as refused:
        import_job_create(user=admin, uploaded_file=SimpleUploadedFile("kosong.csv", b""))
    assert refused.value.message_dict == {"file": ["Berkas kosong"]}
    with pytest.raises(PermissionDenied):
        import_job_create(user=district.users["pimpinan"], uploaded_file=SimpleUploadedFile("a.csv", b"x"))
    assert ImportJob.objects.count() == 0


def test_it_marks_a_job_failed_when_its_file_cannot_be_read(
    district: DistrictFixture, media: None, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        job = import_job_create(
            user=district.users["kader"], uploaded_file=SimpleUploadedFile("a.csv", b"foo;bar\n1;2\n")
        )
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.error == "Kolom wajib tidak ditemukan: Nama, JK, Tgl Lahir, Tanggal Pengukuran, Posyandu"
    with pytest.raises(ValidationError):
        import_job_apply(job_id=job.pk, user=district.users["kader"])
