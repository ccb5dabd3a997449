"""Exports: the e-PPGBM layout (page, command), the registry resources, the register template; scope and read log."""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from openpyxl import load_workbook

from children import exports
from children.growth import classify
from children.imports import layout
from children.models import Child, Measurement, RecordAccess
from children.services import child_save, keluarga_save, measurement_record
from convergence.scoping import scope_for_user
from tests.convergence.test_spreadsheets import xlsx_stored
from tests.factories import ChildFactory, DistrictFixture, KeluargaFactory, UserFactory

NIK = "3510011003240001"  # kecamatan 35.10.01, born 10-03-2024, a boy
MASKED = "351001••••••••••"  # the region part only: never the birth date or serial
MEASURED_ON = datetime.date(2025, 3, 15)
TODAY = datetime.date(2025, 6, 1)


@dataclass
class Registry:
    child: Child
    measurement: Measurement
    other: Child  # at the second posyandu of the same desa
    far: Child  # in kecamatan B


def build_registry(district: DistrictFixture) -> Registry:
    """Budi (with NIK, measured once) at Posyandu Mawar; one measured child each at Melati and Kenanga."""
    child = child_save(
        user=None,
        nik=NIK,
        today=TODAY,
        name="Budi Santoso",
        sex="L",
        birth_date=datetime.date(2024, 3, 10),
        birth_weight_kg=Decimal("3.10"),
        birth_length_cm=Decimal("49.5"),
        mother_name="Siti Aminah",
        posyandu=district.posyandu_a1,
        rt="001",
        rw="002",
        address="Jl. Mawar 5",
    ).obj
    measurement = measurement_record(
        user=None,
        child=child,
        measured_on=MEASURED_ON,
        weight_kg=Decimal("9.50"),
        height_cm=Decimal("75.0"),
        position="L",
        lila_cm=Decimal("14.0"),
        vitamin_a=True,
        today=TODAY,
    ).measurement
    other = ChildFactory(posyandu=district.posyandu_a1_second, name="Citra")
    far = ChildFactory(posyandu=district.posyandu_b1, name="Dewi")
    for kid in (other, far):
        measurement_record(
            user=None,
            child=kid,
            measured_on=MEASURED_ON,
            weight_kg=Decimal("10.00"),
            height_cm=Decimal("80.0"),
            position="L",
            today=TODAY,
        )
    return Registry(child=child, measurement=measurement, other=other, far=far)


def expected_row(registry: Registry, nik: str) -> list[object]:
    m = registry.measurement
    return [
        nik,
        "Budi Santoso",
        "L",
        datetime.date(2024, 3, 10),
        Decimal("3.10"),
        Decimal("49.5"),
        "Siti Aminah",
        "JAWA TIMUR",
        "BANYUWANGI",
        "PESANGGARAN",
        "Pesanggaran",
        "SUMBERAGUNG",
        "Mawar",
        "001",
        "002",
        "Jl. Mawar 5",
        "1 Tahun - 0 Bulan - 5 Hari",
        MEASURED_ON,
        Decimal("9.50"),
        Decimal("75.0"),
        "Telentang",
        Decimal("14.0"),
        classify.BBU_LABELS_ID[m.waz_category],
        round(m.waz, 2),
        classify.TBU_LABELS_ID[m.haz_category],
        round(m.haz, 2),
        classify.GIZI_LABELS_ID[m.whz_category],
        round(m.whz, 2),
        "B",
        "",
        1,
        "",
        "Ya",
    ]


def _login(district: DistrictFixture, role: str) -> Client:
    client = Client()
    client.force_login(district.users[role])
    return client


def test_it_writes_the_e_ppgbm_columns_in_the_order_the_importer_reads() -> None:
    assert list(exports.EPPGBM_HEADERS) == [column.header for column in layout.EPPGBM_COLUMNS]
    assert exports.TEMPLATE_HEADERS[0] == "Kode Desa"


def test_it_streams_a_known_childs_row_with_the_full_nik_for_the_kader(district: DistrictFixture) -> None:
    registry = build_registry(district)
    rows = list(exports.eppgbm_rows_for_user(user=district.users["kader"]))
    assert rows == [expected_row(registry, NIK)]


@pytest.mark.parametrize(
    ("role", "names", "nik"),
    [
        ("kader", ["Budi Santoso"], NIK),
        ("kpm", [], None),
        ("puskesmas_officer", ["Budi Santoso", "Citra"], NIK),
        ("pimpinan", ["Budi Santoso", "Citra", "Dewi"], MASKED),
        ("opd_officer", ["Budi Santoso", "Citra", "Dewi"], MASKED),
        ("bappeda_admin", ["Budi Santoso", "Citra", "Dewi"], NIK),
        ("no_role", [], None),
    ],
)
def test_it_exports_only_the_scope_and_masks_nik_for_roles_without_need(
    district: DistrictFixture, role: str, names: list[str], nik: str | None
) -> None:
    build_registry(district)
    rows = list(exports.eppgbm_rows_for_user(user=district.users[role]))
    assert [row[1] for row in rows] == names
    if nik is not None:
        assert rows[0][0] == nik


def test_it_masks_nik_for_a_kpm_in_her_desa(district: DistrictFixture) -> None:
    registry = build_registry(district)
    Child.objects.filter(pk=registry.child.pk).update(desa=district.desa_a2)
    rows = list(exports.eppgbm_rows_for_user(user=district.users["kpm"]))
    assert [(row[0], row[1]) for row in rows] == [(MASKED, "Budi Santoso")]


def test_it_filters_by_posyandu_desa_and_period(district: DistrictFixture) -> None:
    build_registry(district)
    user = district.users["bappeda_admin"]
    by_posyandu = exports.eppgbm_rows_for_user(user=user, posyandu=district.posyandu_a1_second)
    by_desa = exports.eppgbm_rows_for_user(user=user, desa=district.kecamatan_b)
    before = exports.eppgbm_rows_for_user(user=user, date_to=MEASURED_ON - datetime.timedelta(days=1))
    during = exports.eppgbm_rows_for_user(user=user, date_from=MEASURED_ON, date_to=MEASURED_ON)
    assert [row[1] for row in by_posyandu] == ["Citra"]
    assert [row[1] for row in by_desa] == ["Dewi"]
    assert list(before) == []
    assert len(list(during)) == 3


def test_it_reads_the_whole_export_in_one_query(district: DistrictFixture, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    build_registry(district)
    user = district.users["bappeda_admin"]
    scope_for_user(user)  # the user's scope is looked up once per request, before the export
    with django_assert_num_queries(1):
        rows = list(exports.eppgbm_rows_for_user(user=user))
    assert len(rows) == 3


def test_it_computes_e_ppgbm_ages_in_calendar_units() -> None:
    assert (
        exports.age_text(datetime.date(2024, 3, 10), datetime.date(2025, 3, 15))
        == "1 Tahun - 0 Bulan - 5 Hari"
    )
    assert (
        exports.age_text(datetime.date(2024, 1, 31), datetime.date(2024, 3, 1))
        == "0 Tahun - 1 Bulan - 1 Hari"
    )
    assert (
        exports.age_text(datetime.date(2024, 3, 10), datetime.date(2024, 3, 10))
        == "0 Tahun - 0 Bulan - 0 Hari"
    )


def test_the_page_downloads_xlsx_with_nik_as_text_and_logs_the_export(district: DistrictFixture) -> None:
    registry = build_registry(district)
    response = _login(district, "kader").get("/ekspor/", {"layout": "eppgbm", "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"] == exports.CONTENT_TYPES["xlsx"]
    assert response["Content-Disposition"].startswith('attachment; filename="eppgbm-')
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(exports.EPPGBM_HEADERS)
    assert rows[1][0] == NIK
    assert sheet["A2"].number_format == "@"
    assert sheet["A2"].data_type == "s"
    assert rows[1][1] == "Budi Santoso"
    assert rows[1][3].date() == registry.child.birth_date
    assert len(rows) == 2
    log = RecordAccess.objects.get()
    assert (log.user, log.kind, log.object_id, log.record_count, log.channel, log.path) == (
        district.users["kader"],
        RecordAccess.Kind.CHILD,
        None,
        1,
        RecordAccess.Channel.EXPORT,
        "/ekspor/",
    )


def test_the_page_downloads_csv_with_a_bom_and_the_nik_quoted(district: DistrictFixture) -> None:
    registry = build_registry(district)
    response = _login(district, "bappeda_admin").get(
        "/ekspor/", {"layout": "eppgbm", "format": "csv", "posyandu": district.posyandu_a1.pk}
    )
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    lines = body.decode("utf-8-sig").splitlines()
    assert lines[1].startswith(f'"{NIK}","Budi Santoso","L","2024-03-10",3.10,49.5,"Siti Aminah"')
    parsed = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert parsed[0] == list(exports.EPPGBM_HEADERS)
    assert parsed[1][17:21] == ["2025-03-15", "9.50", "75.0", "Telentang"]
    assert parsed[1][23] == str(round(registry.measurement.waz, 2))
    assert len(parsed) == 2


def test_the_page_exports_the_children_registry_through_the_resource(district: DistrictFixture) -> None:
    registry = build_registry(district)
    response = _login(district, "kader").get("/ekspor/", {"layout": "anak", "format": "csv"})
    parsed = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert parsed[0] == [
        "id",
        "NIK",
        "Nama",
        "JK",
        "Tgl Lahir",
        "Tempat Lahir",
        "BB Lahir",
        "TB Lahir",
        "Nama Ibu",
        "Nama Ayah",
        "Kode Desa",
        "Desa/Kel",
        "Posyandu",
        "RT",
        "RW",
        "Alamat",
        "KIA",
        "Status",
    ]
    assert [row[2] for row in parsed[1:]] == ["Budi Santoso"]
    assert parsed[1][:4] == [str(registry.child.pk), NIK, "Budi Santoso", "L"]
    assert parsed[1][10:13] == ["35.10.01.2001", "SUMBERAGUNG", "Mawar"]
    assert RecordAccess.objects.get().record_count == 1


def test_the_page_exports_families_with_the_kk_masked_for_pimpinan(district: DistrictFixture) -> None:
    keluarga_save(user=None, head_name="Slamet", desa=district.desa_a1, kk_number="3510010101200001")
    keluarga_save(user=None, head_name="Joko", desa=district.other_desa)
    response = _login(district, "pimpinan").get("/ekspor/", {"layout": "keluarga", "format": "xlsx"})
    rows = list(
        load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True)
    )
    assert rows[0][:3] == ("id", "Nomor KK", "Kepala Keluarga")
    assert [row[1:3] for row in rows[1:]] == [("351001••••••••••", "Slamet")]
    log = RecordAccess.objects.get()
    assert (log.kind, log.record_count) == (RecordAccess.Kind.KELUARGA, 1)


def test_the_page_shows_the_form_and_refuses_a_posyandu_outside_the_scope(district: DistrictFixture) -> None:
    client = _login(district, "kader")
    page = client.get("/ekspor/")
    assert page.status_code == 200
    assert b'data-testid="export-form"' in page.content
    outside = client.get(
        "/ekspor/", {"layout": "eppgbm", "format": "csv", "posyandu": district.posyandu_b1.pk}
    )
    assert outside.status_code == 400
    assert RecordAccess.objects.count() == 0


@pytest.mark.parametrize(("role", "status"), [("kader", 200), ("pimpinan", 200), ("no_role", 403)])
def test_the_export_page_answers_per_role(district: DistrictFixture, role: str, status: int) -> None:
    assert _login(district, role).get("/ekspor/").status_code == status


def test_the_template_lists_the_posyandus_children_with_empty_measurements(district: DistrictFixture) -> None:
    registry = build_registry(district)
    ChildFactory(posyandu=district.posyandu_a1, name="Andi", status=Child.Status.MOVED)
    response = _login(district, "kader").get(f"/impor/templat/{district.posyandu_a1.pk}.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(exports.TEMPLATE_HEADERS)
    assert len(rows) == 2
    row = rows[1]
    assert row[:3] == ("35.10.01.2001", NIK, "Budi Santoso")
    assert row[7:17] == (
        "Siti Aminah",
        "JAWA TIMUR",
        "BANYUWANGI",
        "PESANGGARAN",
        "Pesanggaran",
        "SUMBERAGUNG",
        "Mawar",
        "001",
        "002",
        "Jl. Mawar 5",
    )
    assert set(row[17:-1]) == {None}
    assert row[-1] == "Ya"
    assert sheet["B2"].number_format == "@"
    log = RecordAccess.objects.get()
    assert (log.user, log.record_count, log.channel) == (
        district.users["kader"],
        1,
        RecordAccess.Channel.EXPORT,
    )
    assert registry.child.pk


def test_the_template_leaves_the_nik_out_for_a_kpm(district: DistrictFixture) -> None:
    registry = build_registry(district)
    Child.objects.filter(pk=registry.child.pk).update(desa=district.desa_a2, posyandu=district.posyandu_a2)
    response = _login(district, "kpm").get(f"/impor/templat/{district.posyandu_a2.pk}.xlsx")
    rows = list(
        load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True)
    )
    assert rows[1][:3] == ("35.10.01.2002", None, "Budi Santoso")


def test_the_template_downloads_as_csv_with_the_nik_quoted(district: DistrictFixture) -> None:
    build_registry(district)
    response = _login(district, "kader").get(f"/impor/templat/{district.posyandu_a1.pk}.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(exports.TEMPLATE_HEADERS)
    assert rows[1][:3] == ["35.10.01.2001", NIK, "Budi Santoso"]
    assert f'"{NIK}"' in text
    assert RecordAccess.objects.count() == 1


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("kader", 200),
        ("kpm", 404),
        ("puskesmas_officer", 200),
        ("bappeda_admin", 200),
        ("pimpinan", 403),
        ("opd_officer", 403),
        ("no_role", 404),
    ],
)
def test_the_template_download_answers_per_role(district: DistrictFixture, role: str, status: int) -> None:
    build_registry(district)
    response = _login(district, role).get(f"/impor/templat/{district.posyandu_a1.pk}.xlsx")
    assert response.status_code == status
    assert RecordAccess.objects.count() == (1 if status == 200 else 0)


def test_the_command_writes_the_scope_of_the_user_and_logs_it(
    district: DistrictFixture, tmp_path: Path
) -> None:
    registry = build_registry(district)
    target = tmp_path / "export.csv"
    out = io.StringIO()
    call_command("export_eppgbm", "-o", str(target), "--user", "kader_mawar", stdout=out)
    assert out.getvalue() == f"1 baris ditulis -> {target}\n"
    parsed = list(csv.reader(target.open(encoding="utf-8-sig")))
    assert parsed[1][:2] == [NIK, "Budi Santoso"]
    log = RecordAccess.objects.get()
    assert (log.user, log.record_count, log.path) == (district.users["kader"], 1, "manage.py export_eppgbm")
    assert registry.child.pk


def test_the_command_defaults_to_the_only_bappeda_admin_and_filters(
    district: DistrictFixture, tmp_path: Path
) -> None:
    build_registry(district)
    target = tmp_path / "export.xlsx"
    out = io.StringIO()
    call_command("export_eppgbm", "-o", str(target), "--desa", "35.10.02", "--from", "2025-03-01", stdout=out)
    assert out.getvalue() == f"1 baris ditulis -> {target}\n"
    rows = list(load_workbook(target).active.iter_rows(values_only=True))
    assert [row[1] for row in rows[1:]] == ["Dewi"]


def test_the_command_refuses_ambiguous_or_wrong_arguments(district: DistrictFixture, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"hanya \.xlsx atau \.csv"):
        call_command("export_eppgbm", "-o", str(tmp_path / "x.json"))
    with pytest.raises(CommandError, match=r"posyandu .* tidak ada dalam cakupan"):
        call_command(
            "export_eppgbm",
            "-o",
            str(tmp_path / "x.csv"),
            "--user",
            "kader_mawar",
            "--posyandu",
            str(district.posyandu_b1.pk),
        )
    UserFactory(username="bappeda2", role="bappeda_admin", kabupaten=district.kabupaten)
    with pytest.raises(CommandError, match="--user"):
        call_command("export_eppgbm", "-o", str(tmp_path / "x.csv"))
    assert not (tmp_path / "x.csv").exists()
    assert RecordAccess.objects.count() == 0


# --- formula injection ----------------------------------------------------------------------------

# Names a spreadsheet program would run as a formula, as a user may type them into the registry.
FORMULA_NAMES = ['=HYPERLINK("http://x","y")', "@SUM(1+1)", "+cmd", "-2+3", "\tAisyah", "\rCitra"]
MOTHER, ADDRESS = "@SUM(1+1)", "+cmd"


def formula_children(district: DistrictFixture) -> list[Child]:
    """One child per name of FORMULA_NAMES at Posyandu Mawar, measured light and short (negative z-scores)."""
    children = []
    for name in FORMULA_NAMES:
        child = ChildFactory(posyandu=district.posyandu_a1, name=name, mother_name=MOTHER, address=ADDRESS)
        measurement_record(
            user=None,
            child=child,
            measured_on=MEASURED_ON,
            weight_kg=Decimal("7.00"),
            height_cm=Decimal("70.0"),
            position="L",
            today=TODAY,
        )
        children.append(child)
    return children


def _csv_cells(content: bytes) -> list[list[object]]:
    # QUOTE_NONNUMERIC on reading turns every unquoted cell into a float: numbers must come out unquoted.
    text = io.StringIO(content.decode("utf-8-sig"), newline="")
    return list(csv.reader(text, quoting=csv.QUOTE_NONNUMERIC))


def _escaped(texts: list[str]) -> list[str]:
    return sorted(f"'{text}" for text in texts)


def _download(district: DistrictFixture, role: str, **params: str) -> bytes:
    response = _login(district, role).get("/ekspor/", params)
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_the_e_ppgbm_csv_escapes_names_a_spreadsheet_would_run(district: DistrictFixture) -> None:
    formula_children(district)
    rows = _csv_cells(_download(district, "kader", layout="eppgbm", format="csv"))[1:]
    assert sorted(row[1] for row in rows) == _escaped(FORMULA_NAMES)  # type: ignore[type-var]
    assert {(row[6], row[15]) for row in rows} == {(f"'{MOTHER}", f"'{ADDRESS}")}
    # Numbers stay numbers: the weight and the negative z-scores are unquoted values, not escaped text.
    assert {row[18] for row in rows} == {7.0}
    assert {type(row[23]) for row in rows} == {float}
    assert max(row[23] for row in rows) < 0  # type: ignore[type-var]


def test_the_e_ppgbm_xlsx_keeps_such_names_exactly_in_string_cells(district: DistrictFixture) -> None:
    formula_children(district)
    content = _download(district, "kader", layout="eppgbm", format="xlsx")
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(min_row=2))
    assert sorted(row[1].value for row in rows) == sorted(xlsx_stored(name) for name in FORMULA_NAMES)
    assert {(row[1].data_type, row[6].data_type, row[15].data_type) for row in rows} == {("s", "s", "s")}
    assert {(row[6].value, row[15].value) for row in rows} == {(MOTHER, ADDRESS)}
    assert {(row[18].data_type, row[18].value) for row in rows} == {("n", 7)}
    assert {row[23].data_type for row in rows} == {"n"}
    assert max(row[23].value for row in rows) < 0


def test_the_children_registry_csv_escapes_names(district: DistrictFixture) -> None:
    formula_children(district)
    rows = _csv_cells(_download(district, "kader", layout="anak", format="csv"))[1:]
    assert sorted(row[2] for row in rows) == _escaped(FORMULA_NAMES)  # type: ignore[type-var]
    assert {(row[8], row[15]) for row in rows} == {(f"'{MOTHER}", f"'{ADDRESS}")}


def test_the_family_registry_xlsx_writes_such_names_as_string_cells(district: DistrictFixture) -> None:
    KeluargaFactory(desa=district.desa_a1, head_name=FORMULA_NAMES[0], address="-2+3")
    content = _download(district, "bappeda_admin", layout="keluarga", format="xlsx")
    (row,) = list(load_workbook(io.BytesIO(content)).active.iter_rows(min_row=2))
    assert (row[2].data_type, row[2].value) == ("s", FORMULA_NAMES[0])
    assert (row[7].data_type, row[7].value) == ("s", "-2+3")


def test_the_register_template_writes_such_names_as_string_cells(district: DistrictFixture) -> None:
    formula_children(district)
    response = _login(district, "kader").get(f"/impor/templat/{district.posyandu_a1.pk}.xlsx")
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(min_row=2))
    assert sorted(row[2].value for row in rows) == sorted(xlsx_stored(name) for name in FORMULA_NAMES)
    assert {(row[2].data_type, row[7].data_type, row[7].value) for row in rows} == {("s", "s", MOTHER)}


def test_the_command_escapes_such_names_in_csv(district: DistrictFixture, tmp_path: Path) -> None:
    formula_children(district)
    target = tmp_path / "export.csv"
    call_command("export_eppgbm", "-o", str(target), "--user", "kader_mawar", stdout=io.StringIO())
    rows = _csv_cells(target.read_bytes())[1:]
    assert sorted(row[1] for row in rows) == _escaped(FORMULA_NAMES)  # type: ignore[type-var]
