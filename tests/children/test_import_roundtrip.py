"""Round trips: importing the application's own exports changes nothing, and a row matching only a
child of another posyandu goes to the duplicate queue instead of moving a measurement to it."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management.base import OutputWrapper
from django.db import transaction

from children import exports
from children.demo import seed_children
from children.imports.services import import_file
from children.models import Child, DuplicateCandidate, Measurement, RecordAccess
from children.services import measurement_record
from convergence.demo import SCALES, DemoDistrict
from convergence.models import Posyandu, User
from tests.factories import ChildFactory, DistrictFixture

TODAY = datetime.date(2026, 11, 23)
NOTHING = {"create_child": 0, "update_child": 0, "merge": 0, "create_measurement": 0, "update_measurement": 0}


def seed(district: DistrictFixture) -> None:
    """The demo's registry on the test district (children with and without NIK, two years of visits)."""
    demo = DemoDistrict(today=TODAY)
    demo.posyandu = [
        district.posyandu_a1,
        district.posyandu_a1_second,
        district.posyandu_a2,
        district.posyandu_b1,
    ]
    seed_children(rng_seed=7, scale=SCALES["small"], district=demo, out=OutputWrapper(StringIO()))


def export(user: User, fmt: str) -> bytes:
    target = io.BytesIO()
    exports.eppgbm_export(user=user, target=target, fmt=fmt, channel=RecordAccess.Channel.EXPORT)
    return target.getvalue()


def check(data: bytes, fmt: str, user: User, *, commit: bool = False) -> dict[str, int]:
    with transaction.atomic():
        report = import_file(source=io.BytesIO(data), file_name=f"ekspor.{fmt}", user=user, commit=commit)
    assert [issue for issue in report.issues if issue[1] != "peringatan"] == []
    return {key: report.summary[key] for key in (*NOTHING, "unchanged", "rejected")}


def placements() -> list[tuple[int, int, datetime.date, int | None]]:
    return list(
        Measurement.objects.order_by("pk").values_list("pk", "child_id", "measured_on", "posyandu_id")
    )


@pytest.mark.parametrize(
    ("exporter", "importer", "rows"),
    [
        ("bappeda_admin", "bappeda_admin", 2636),  # every NIK in full
        ("kader", "kader", 818),  # her posyandu, NIK in full
        ("pimpinan", "bappeda_admin", 2636),  # NIK masked: the identity rules decide
        ("puskesmas_officer", "puskesmas_officer", 1949),  # kecamatan A, NIK in full
    ],
)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_it_changes_nothing_when_importing_its_own_export(
    district: DistrictFixture, exporter: str, importer: str, rows: int, fmt: str
) -> None:
    seed(district)
    users = district.users
    data = export(users[exporter], fmt)
    before, children = placements(), Child.objects.count()

    summary = check(data, fmt, users[importer])

    assert summary == {**NOTHING, "unchanged": rows, "rejected": 0}
    assert placements() == before
    assert Child.objects.count() == children


def namesakes(district: DistrictFixture) -> tuple[Child, Child]:
    """Two girls named alike, born the same day to mothers of the same name, at Mawar and Melati."""
    twins = []
    for posyandu, weight in ((district.posyandu_a1, "8.10"), (district.posyandu_a1_second, "9.40")):
        child = ChildFactory(
            posyandu=posyandu,
            name="Ayu Lestari",
            sex="P",
            birth_date=datetime.date(2025, 5, 1),
            mother_name="Sri Wahyuni",
        )
        measurement_record(
            user=None,
            child=child,
            measured_on=datetime.date(2026, 2, 10),
            weight_kg=Decimal(weight),
            height_cm=Decimal("70.0"),
            position="L",
            today=TODAY,
        )
        twins.append(child)
    return twins[0], twins[1]


def test_it_keeps_each_namesakes_measurement_with_its_own_child(district: DistrictFixture) -> None:
    mawar, melati = namesakes(district)
    bappeda = district.users["bappeda_admin"]
    data = export(bappeda, "csv")
    before = placements()

    assert check(data, "csv", bappeda) == {**NOTHING, "unchanged": 2, "rejected": 0}
    assert check(data, "csv", bappeda, commit=True) == {**NOTHING, "unchanged": 2, "rejected": 0}

    assert placements() == before
    assert list(Measurement.objects.filter(child=mawar).values_list("weight_kg", flat=True)) == [
        Decimal("8.10")
    ]
    assert list(Measurement.objects.filter(child=melati).values_list("weight_kg", flat=True)) == [
        Decimal("9.40")
    ]
    assert (
        DuplicateCandidate.objects.filter(reason=DuplicateCandidate.Reason.IMPORT_OTHER_POSYANDU).count() == 0
    )


def other_posyandu_file(district: DistrictFixture) -> bytes:
    """The district export with Mawar's girl written at Melati (where no child of that name is)."""
    text = export(district.users["bappeda_admin"], "csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    at = rows[0].index("Posyandu")
    rows[1][at] = "Melati"
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def test_it_queues_a_row_matching_only_a_child_of_another_posyandu(district: DistrictFixture) -> None:
    mawar, melati = namesakes(district)
    melati.delete()
    bappeda = district.users["bappeda_admin"]
    data = other_posyandu_file(district)
    before = placements()

    with transaction.atomic():
        dry = import_file(source=io.BytesIO(data), file_name="x.csv", user=bappeda, commit=False)
    assert dry.issues == [
        (
            2,
            "duplikat",
            "Posyandu",
            "Anak dengan nama, tanggal lahir dan jenis kelamin sama terdaftar di posyandu lain "
            f"(nomor data {mawar.pk}): baris tidak disimpan, periksa di antrean duplikat",
        )
    ]
    assert {k: dry.summary[k] for k in (*NOTHING, "rejected")} == {**NOTHING, "rejected": 1}
    assert DuplicateCandidate.objects.count() == 0  # a dry run queues nothing

    for _ in range(2):  # applied twice: one open case
        with transaction.atomic():
            import_file(source=io.BytesIO(data), file_name="x.csv", user=bappeda, commit=True)

    assert placements() == before
    assert Child.objects.count() == 1
    assert list(
        DuplicateCandidate.objects.values_list(
            "kind", "reason", "child_a_id", "child_b_id", "reported_by_id", "status"
        )
    ) == [("anak", "impor_posyandu_lain", mawar.pk, None, bappeda.pk, "terbuka")]


# The posyandu register template ------------------------------------------------------------------------


def template(user: User, posyandu: Posyandu, fmt: str) -> bytes:
    target = io.BytesIO()
    exports.register_template_export(user=user, posyandu=posyandu, target=target, fmt=fmt)
    return target.getvalue()


@pytest.mark.parametrize(
    ("role", "posyandu", "rows"),
    [("kader", "posyandu_a1", 53), ("bappeda_admin", "posyandu_b1", 57)],
)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_it_records_nothing_from_its_register_template_as_downloaded(
    district: DistrictFixture, role: str, posyandu: str, rows: int, fmt: str
) -> None:
    seed(district)
    user = district.users[role]
    data = template(user, getattr(district, posyandu), fmt)
    before, children = placements(), Child.objects.count()

    assert check(data, fmt, user) == {**NOTHING, "unchanged": rows, "rejected": 0}
    assert check(data, fmt, user, commit=True) == {**NOTHING, "unchanged": rows, "rejected": 0}

    assert placements() == before
    assert Child.objects.count() == children


def template_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def test_it_records_the_template_rows_that_carry_a_measurement(district: DistrictFixture) -> None:
    child = ChildFactory(
        posyandu=district.posyandu_a1, name="Budi Santoso", birth_date=datetime.date(2025, 1, 5)
    )
    ChildFactory(posyandu=district.posyandu_a1, name="Citra Dewi", birth_date=datetime.date(2025, 3, 9))
    kader = district.users["kader"]
    rows = template_rows(template(kader, district.posyandu_a1, "csv"))
    header = rows[0]
    budi = next(r for r in rows if r[header.index("Nama")] == "Budi Santoso")
    budi[header.index("Tanggal Pengukuran")] = "2026-11-10"
    budi[header.index("Berat")] = "9.5"

    with transaction.atomic():
        report = import_file(source=io.BytesIO(csv_bytes(rows)), file_name="t.csv", user=kader, commit=True)

    assert {key: report.summary[key] for key in (*NOTHING, "unchanged", "rejected")} == {
        **NOTHING,
        "create_measurement": 1,
        "unchanged": 1,
        "rejected": 0,
    }
    assert list(Measurement.objects.values_list("child_id", "measured_on", "weight_kg")) == [
        (child.pk, datetime.date(2026, 11, 10), Decimal("9.50"))
    ]


def test_it_rejects_a_template_row_of_an_unknown_child_without_a_measurement(
    district: DistrictFixture,
) -> None:
    ChildFactory(posyandu=district.posyandu_a1, name="Budi Santoso", birth_date=datetime.date(2025, 1, 5))
    kader = district.users["kader"]
    rows = template_rows(template(kader, district.posyandu_a1, "csv"))
    header = rows[0]
    stranger = list(rows[1])
    stranger[header.index("NIK")] = ""
    stranger[header.index("Nama")] = "Dewi Anggraini"
    rows.append(stranger)

    with transaction.atomic():
        report = import_file(source=io.BytesIO(csv_bytes(rows)), file_name="t.csv", user=kader, commit=True)

    assert report.issues == [
        (
            3,
            "ditolak",
            "Tanggal Pengukuran",
            "Anak belum terdaftar dan baris tidak berisi pengukuran: isi Tanggal Pengukuran dan "
            "Berat atau Tinggi",
        )
    ]
    assert {key: report.summary[key] for key in (*NOTHING, "unchanged", "rejected")} == {
        **NOTHING,
        "unchanged": 1,
        "rejected": 1,
    }
    assert Child.objects.count() == 1


def test_the_template_rows_without_a_measurement_keep_their_nik_warnings(district: DistrictFixture) -> None:
    ChildFactory(posyandu=district.posyandu_a1, name="Budi Santoso", birth_date=datetime.date(2025, 1, 5))
    ChildFactory(
        posyandu=district.posyandu_a1, name="Citra Dewi", sex="P", birth_date=datetime.date(2025, 3, 9)
    )
    kader = district.users["kader"]
    rows = template_rows(template(kader, district.posyandu_a1, "csv"))
    header = rows[0]
    at = header.index("NIK")
    header[at] = "NIK Anak"  # the file's own spelling of the column is what the issues name
    assert [row[header.index("Nama")] for row in rows[1:]] == ["Budi Santoso", "Citra Dewi"]
    assert [row[at] for row in rows[1:]] == ["", ""]  # registered without NIK
    # Filled in on paper: a boy's NIK born 10-03-2024 for Citra (a girl born 09-03-2025); Budi's a girl's.
    rows[1][at] = "3510014501250001"
    rows[2][at] = "3510011003240001"

    with transaction.atomic():
        report = import_file(source=io.BytesIO(csv_bytes(rows)), file_name="t.csv", user=kader, commit=False)

    assert report.issues == [
        (2, "peringatan", "NIK Anak", "Jenis kelamin menurut NIK berbeda dengan data"),
        (3, "peringatan", "NIK Anak", "Jenis kelamin menurut NIK berbeda dengan data"),
        (3, "peringatan", "NIK Anak", "Tanggal lahir menurut NIK berbeda dengan data"),
    ]
    assert {key: report.summary[key] for key in (*NOTHING, "unchanged", "rejected", "warnings")} == {
        **NOTHING,
        "unchanged": 2,
        "rejected": 0,
        "warnings": 3,
    }


def test_a_template_row_with_a_malformed_nik_is_rejected_naming_the_column(district: DistrictFixture) -> None:
    ChildFactory(posyandu=district.posyandu_a1, name="Budi Santoso", birth_date=datetime.date(2025, 1, 5))
    kader = district.users["kader"]
    rows = template_rows(template(kader, district.posyandu_a1, "csv"))
    rows[0][rows[0].index("NIK")] = "NIK Anak"
    rows[1][rows[0].index("NIK Anak")] = "9910011003240001"

    with transaction.atomic():
        report = import_file(source=io.BytesIO(csv_bytes(rows)), file_name="t.csv", user=kader, commit=False)

    assert report.issues == [(2, "ditolak", "NIK Anak", "NIK diawali kode provinsi yang tidak dikenal")]


# A child who moved desa --------------------------------------------------------------------------------


def test_it_finds_a_child_measured_at_a_posyandu_of_another_desa(district: DistrictFixture) -> None:
    child = ChildFactory(
        posyandu=district.posyandu_a1, name="Ayu Lestari", sex="P", birth_date=datetime.date(2025, 5, 1)
    )
    measurement_record(
        user=None,
        child=child,
        measured_on=datetime.date(2026, 2, 10),
        weight_kg=Decimal("8.10"),
        height_cm=Decimal("70.0"),
        position="L",
        today=TODAY,
    )
    Measurement.objects.update(posyandu=district.posyandu_b1)  # weighed in desa B, registered in desa A
    bappeda = district.users["bappeda_admin"]
    before, children = placements(), Child.objects.count()

    for exporter in ("bappeda_admin", "pimpinan"):  # NIK in full, then masked
        data = export(district.users[exporter], "csv")
        assert check(data, "csv", bappeda) == {**NOTHING, "unchanged": 1, "rejected": 0}
        assert check(data, "csv", bappeda, commit=True) == {**NOTHING, "unchanged": 1, "rejected": 0}

    assert placements() == before
    assert Child.objects.count() == children
