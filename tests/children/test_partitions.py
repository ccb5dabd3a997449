"""Measurements partitioned by year on PostgreSQL: the rebuilt table, partitions made on demand (import,
entry, the daily job), the keys that must hold across years, and detaching a year for archiving."""

from __future__ import annotations

import datetime
import io
import uuid
from collections.abc import Iterator
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.utils import timezone

from children import partitions
from children.models import Child, Measurement
from children.partitions import (
    PartitionError,
    attach_partition,
    detach_partition,
    ensure_measurement_partitions,
    partitions_status,
)
from children.services import (
    adolescent_register,
    adolescent_ttd_record,
    measurement_record,
    pregnancy_save,
    pregnancy_visit_record,
)
from children.tasks import measurement_partitions_ahead
from convergence.models import Region, Role
from tests.children.test_import_end_to_end import REGION_LIST, SUKAMAJU, measured_row
from tests.children.test_import_pages import register_csv
from tests.factories import ChildFactory, DistrictFixture, PersonFactory, UserFactory

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="only PostgreSQL partitions the measurement table"
)
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="the embedded default's behaviour")

TABLE = "children_measurement"


@pytest.fixture(autouse=True)
def forget_partitions() -> Iterator[None]:
    """Each test starts (and leaves) with no remembered years: tests drop and detach years."""
    partitions.partitions_forget()
    yield
    partitions.partitions_forget()


def _fetch(sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return list(cursor.fetchall())


def _attached(table: str = TABLE) -> set[int]:
    return {info.year for info in partitions_status() if info.attached and info.table == table}


def _drop(*years: int, table: str = TABLE) -> None:
    """Drop (empty) years inside the test's transaction: rolled back with it."""
    with connection.cursor() as cursor:
        for year in years:
            cursor.execute(f"DROP TABLE {table}_y{year}")
    partitions.partitions_forget()


def _partition_of(row: Model) -> str:
    sql = f"SELECT tableoid::regclass::text FROM {row._meta.db_table} WHERE id = %s"  # noqa: S608 - ours
    ((name,),) = _fetch(sql, [row.pk])
    return str(name)


def _measurement(child: Child, day: datetime.date, **values: object) -> Measurement:
    return Measurement.objects.create(
        child=child,
        posyandu=child.posyandu,
        measured_on=day,
        age_days=(day - child.birth_date).days,
        **values,
    )


@postgres_only
@pytest.mark.django_db
def test_it_rebuilt_the_table_by_year_keeping_its_keys_indexes_and_constraints() -> None:
    assert _fetch("SELECT partstrat, pg_get_partkeydef(partrelid) FROM pg_partitioned_table "
                  "WHERE partrelid = %s::regclass", [TABLE]) == [("r", "RANGE (measured_on)")]  # fmt: skip
    constraints = dict(_fetch("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = "
                              "%s::regclass AND contype IN ('p', 'u', 'f')", [TABLE]))  # fmt: skip
    assert constraints == {
        "children_measurement_pkey": "PRIMARY KEY (id, measured_on)",
        "measurement_once_per_child_and_day": "UNIQUE (child_id, measured_on)",
        "children_measurement_child_id_b19212fe_fk_children_child_id": (
            "FOREIGN KEY (child_id) REFERENCES children_child(id) DEFERRABLE INITIALLY DEFERRED"
        ),
        "children_measurement_posyandu_id_55673216_fk_convergen": (
            "FOREIGN KEY (posyandu_id) REFERENCES convergence_posyandu(id) DEFERRABLE INITIALLY DEFERRED"
        ),
    }
    checks = {name for (name,) in _fetch("SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass "
                                         "AND contype = 'c'", [TABLE])}  # fmt: skip
    assert checks == {
        "children_measurement_age_days_check",
        "children_measurement_import_row_check",
        "measurement_position",
        "measurement_weight_kg_range",
        "measurement_height_cm_range",
        "measurement_lila_cm_range",
        "measurement_head_circumference_cm_range",
        "measurement_pmt_kg_range",
    }
    indexes = {name for (name,) in _fetch("SELECT indexname FROM pg_indexes WHERE tablename = %s", [TABLE])}
    assert indexes == {
        "children_measurement_pkey",
        "measurement_once_per_child_and_day",
        "children_me_measure_6ff5bc_idx",
        "children_me_posyand_2d2754_idx",
        "children_measurement_import_job_id_3553bac4",
        "children_measurement_updated_at_252eb49d",
    }
    # client_id keeps its key (and its name) in the side table.
    assert _fetch("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                  "WHERE conrelid = 'children_measurement_client_id'::regclass") == [
        ("children_measurement_client_id_key", "PRIMARY KEY (client_id)")
    ]  # fmt: skip
    # Django still sees id as the primary key, fed by the table's own sequence.
    pk = Measurement._meta.pk
    assert pk is not None
    assert pk.name == "id"
    assert _fetch("SELECT pg_get_serial_sequence(%s, 'id')", [TABLE]) == [
        ("public.children_measurement_id_seq",)
    ]


@postgres_only
@pytest.mark.django_db
def test_it_creates_the_years_a_history_import_brings(tmp_path: Path) -> None:
    _drop(2014, 2025)
    regions = tmp_path / "wilayah.csv"
    regions.write_text(REGION_LIST, encoding="utf-8")
    call_command("load_regions", str(regions), stdout=StringIO())
    UserFactory(username="bappeda", role=Role.BAPPEDA_ADMIN, kabupaten=Region.objects.get(code="35.10"))
    born_old, born_new = datetime.date(2013, 2, 1), datetime.date(2024, 1, 15)
    rows = [
        measured_row("Anak Lama", "L", born_old, SUKAMAJU, "Desa Sukamaju", "Mawar", datetime.date(2014, 3, 5), "75.0"),
        measured_row("Anak Baru", "P", born_new, SUKAMAJU, "Desa Sukamaju", "Mawar", datetime.date(2025, 3, 5), "80.0"),
    ]  # fmt: skip
    path = tmp_path / "riwayat.csv"
    path.write_bytes(register_csv(rows))

    call_command(
        "import_eppgbm", str(path), "--create-posyandu", "--commit", "--user", "bappeda", stdout=StringIO()
    )

    assert {2014, 2025} <= _attached()
    landed = {m.child.name: _partition_of(m) for m in Measurement.objects.select_related("child")}
    assert landed == {"Anak Lama": f"{TABLE}_y2014", "Anak Baru": f"{TABLE}_y2025"}


@postgres_only
@pytest.mark.django_db
def test_measurement_record_creates_the_partition_of_a_year_without_one(district: DistrictFixture) -> None:
    _drop(2019)
    child = ChildFactory(posyandu=district.posyandu_a1, birth_date=datetime.date(2018, 6, 1))

    result = measurement_record(
        user=district.users["kader"],
        child=child,
        measured_on=datetime.date(2019, 3, 5),
        weight_kg=Decimal("7.9"),
        height_cm=Decimal("67.0"),
        position="L",
    )

    assert result.created
    assert 2019 in _attached()
    assert _partition_of(result.measurement) == f"{TABLE}_y2019"


@postgres_only
@pytest.mark.django_db
def test_pregnancy_visits_and_weekly_ttd_get_the_partition_of_their_year(district: DistrictFixture) -> None:
    _drop(2018, table="children_pregnancyvisit")
    _drop(2018, table="children_adolescentttd")
    kader = district.users["kader"]
    mother = PersonFactory(desa=district.desa_a1, registered_posyandu=district.posyandu_a1)
    pregnancy = pregnancy_save(user=kader, mother=mother, lmp_date=datetime.date(2018, 1, 10))
    girl = PersonFactory(
        desa=district.desa_a1, registered_posyandu=district.posyandu_a1, birth_date=datetime.date(2005, 3, 1)
    )
    adolescent = adolescent_register(user=kader, person=girl, today=datetime.date(2018, 3, 1))

    visit = pregnancy_visit_record(
        user=kader, pregnancy=pregnancy, visit_date=datetime.date(2018, 3, 2), lila_cm=Decimal("23.0")
    )
    ttd = adolescent_ttd_record(user=kader, girl=adolescent, week_start=datetime.date(2018, 3, 7), tablets=1)

    assert _partition_of(visit) == "children_pregnancyvisit_y2018"
    assert _partition_of(ttd) == "children_adolescentttd_y2018"
    assert (ttd.week_start, ttd.tablets) == (datetime.date(2018, 3, 5), 1)


@postgres_only
@pytest.mark.django_db
def test_the_visit_tables_were_rebuilt_by_year_with_their_keys() -> None:
    for table, key, unique in (
        ("children_pregnancyvisit", "visit_date", ("pregnancy_visit_once_per_day", "UNIQUE (pregnancy_id, visit_date)")),
        ("children_adolescentttd", "week_start", ("adolescent_ttd_once_per_week", "UNIQUE (girl_id, week_start)")),
    ):  # fmt: skip
        assert _fetch("SELECT pg_get_partkeydef(%s::regclass)", [table]) == [(f"RANGE ({key})",)]
        keys = set(_fetch("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                          "WHERE conrelid = %s::regclass AND contype IN ('p', 'u')", [table]))  # fmt: skip
        assert keys == {(f"{table}_pkey", f"PRIMARY KEY (id, {key})"), unique}


@postgres_only
@pytest.mark.django_db
def test_a_refused_entry_makes_no_partition(district: DistrictFixture) -> None:
    _drop(2019)
    child = ChildFactory(posyandu=district.posyandu_a1, birth_date=datetime.date(2018, 6, 1))

    with pytest.raises(Exception, match="berat"):
        measurement_record(
            user=district.users["kader"], child=child, measured_on=datetime.date(2019, 3, 5),
            weight_kg=None, height_cm=None,
        )  # fmt: skip

    assert 2019 not in _attached()


@postgres_only
@pytest.mark.django_db
def test_the_daily_job_creates_next_years_partition_ahead_and_then_does_nothing() -> None:
    next_year = timezone.localdate().year + 1
    _drop(next_year)

    _drop(next_year, table="children_adolescentttd")

    assert measurement_partitions_ahead.delay().get() == [next_year]
    assert measurement_partitions_ahead.delay().get() == []
    assert next_year in _attached()
    assert next_year in _attached("children_adolescentttd")


@postgres_only
@pytest.mark.django_db
def test_ensure_is_idempotent_and_needs_no_query_once_the_years_are_known(
    django_capture_on_commit_callbacks, django_assert_num_queries
) -> None:
    _drop(2012)
    with django_capture_on_commit_callbacks(execute=True):
        assert ensure_measurement_partitions([2012, 2013]) == [2012]
    assert ensure_measurement_partitions([2012, 2013]) == []
    with django_assert_num_queries(0):
        assert ensure_measurement_partitions([2013, 2012]) == []


@postgres_only
@pytest.mark.django_db
def test_a_rolled_back_partition_is_not_remembered() -> None:
    _drop(2012)
    created: list[int] = []

    def failing_writer() -> None:
        with transaction.atomic():
            created.extend(ensure_measurement_partitions([2012]))
            raise RuntimeError("the writer failed after making the partition")

    with pytest.raises(RuntimeError):
        failing_writer()

    assert created == [2012]

    assert 2012 not in _attached()
    assert ensure_measurement_partitions([2012]) == [2012]


@postgres_only
@pytest.mark.django_db
def test_a_year_outside_the_plausible_range_is_refused() -> None:
    with pytest.raises(PartitionError, match="20225"):
        ensure_measurement_partitions([20225])
    assert 20225 not in _attached()


@pytest.mark.django_db
def test_one_measurement_per_child_and_day_is_still_refused(district: DistrictFixture) -> None:
    child = ChildFactory(posyandu=district.posyandu_a1)
    _measurement(child, datetime.date(2025, 3, 5), weight_kg=Decimal("9.1"))

    with pytest.raises(IntegrityError), transaction.atomic():
        _measurement(child, datetime.date(2025, 3, 5), weight_kg=Decimal("9.4"))

    assert list(Measurement.objects.values_list("weight_kg", flat=True)) == [Decimal("9.10")]


@pytest.mark.django_db
def test_a_client_id_is_unique_across_years(district: DistrictFixture) -> None:
    first, second = ChildFactory(posyandu=district.posyandu_a1), ChildFactory(posyandu=district.posyandu_a1)
    client_id = uuid.uuid4()
    _measurement(first, datetime.date(2024, 11, 5), weight_kg=Decimal("8.0"), client_id=client_id)

    with pytest.raises(IntegrityError), transaction.atomic():
        _measurement(second, datetime.date(2025, 3, 5), weight_kg=Decimal("8.5"), client_id=client_id)

    assert list(Measurement.objects.values_list("child_id", "measured_on")) == [
        (first.pk, datetime.date(2024, 11, 5))
    ]


@postgres_only
@pytest.mark.django_db
def test_the_client_id_key_follows_a_row_moved_to_another_year_and_its_deletion(
    district: DistrictFixture,
) -> None:
    first, second = ChildFactory(posyandu=district.posyandu_a1), ChildFactory(posyandu=district.posyandu_a1)
    client_id = uuid.uuid4()
    moved = _measurement(first, datetime.date(2024, 12, 30), weight_kg=Decimal("8.0"), client_id=client_id)
    Measurement.objects.filter(pk=moved.pk).update(measured_on=datetime.date(2025, 1, 2))

    assert _partition_of(moved) == f"{TABLE}_y2025"
    assert _fetch("SELECT client_id, row_id FROM children_measurement_client_id") == [(client_id, moved.pk)]
    with pytest.raises(IntegrityError), transaction.atomic():
        _measurement(second, datetime.date(2024, 12, 30), weight_kg=Decimal("8.5"), client_id=client_id)

    Measurement.objects.filter(pk=moved.pk).delete()
    again = _measurement(second, datetime.date(2024, 12, 30), weight_kg=Decimal("8.5"), client_id=client_id)
    assert _fetch("SELECT client_id, row_id FROM children_measurement_client_id") == [(client_id, again.pk)]


@postgres_only
@pytest.mark.django_db
def test_detach_and_attach_keep_the_rows_readable(district: DistrictFixture) -> None:
    child = ChildFactory(posyandu=district.posyandu_a1, birth_date=datetime.date(2015, 6, 1))
    old = _measurement(child, datetime.date(2016, 4, 2), weight_kg=Decimal("9.0"))
    recent = _measurement(child, datetime.date(2017, 4, 2), weight_kg=Decimal("11.0"))

    detach_partition(2016)

    assert list(Measurement.objects.filter(child=child).values_list("pk", flat=True)) == [recent.pk]
    archived = f"SELECT id, weight_kg FROM {TABLE}_y2016"  # noqa: S608 - our table name
    assert _fetch(archived) == [(old.pk, Decimal("9.00"))]
    (info,) = [info for info in partitions_status() if info.year == 2016 and info.table == TABLE]
    assert (info.partition, info.attached) == (f"{TABLE}_y2016", False)
    # A detached (archived) year takes no rows: writing into it fails loudly until it is back.
    with pytest.raises(PartitionError, match="sedang diarsipkan"):
        ensure_measurement_partitions([2016])
    with pytest.raises(PartitionError, match="tidak sedang terpasang"):
        detach_partition(2016)

    attach_partition(2016)

    assert list(
        Measurement.objects.filter(child=child).order_by("measured_on").values_list("pk", flat=True)
    ) == [
        old.pk,
        recent.pk,
    ]
    assert 2016 in _attached()
    with pytest.raises(PartitionError, match="sudah terpasang"):
        attach_partition(2016)


@postgres_only
@pytest.mark.django_db
def test_the_command_lists_ensures_detaches_and_attaches_years() -> None:
    _drop(2010, 2011)

    out = StringIO()
    call_command("partitions", "--ensure", "2010..2011", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[:5] == [
        "children_measurement: partisi dibuat: 2010, 2011",
        "children_pregnancyvisit: partisi dibuat: tidak ada (semua sudah ada)",
        "children_adolescentttd: partisi dibuat: tidak ada (semua sudah ada)",
        "interventions_pmtdeliverylog: partisi dibuat: tidak ada (semua sudah ada)",
        "tabel                          tahun  status     baris (perkiraan)     ukuran",
    ]
    listed = {tuple(line.split()[:3]) for line in lines[5:]}
    assert {(TABLE, "2010", "terpasang"), ("children_adolescentttd", "2026", "terpasang")} <= listed

    out = StringIO()
    call_command("partitions", "--detach", "2010", stdout=out)
    assert out.getvalue().splitlines()[0] == f"Partisi dilepas: {TABLE}_y2010"
    assert (TABLE, "2010", "dilepas") in {tuple(line.split()[:3]) for line in out.getvalue().splitlines()}
    call_command("partitions", "--attach", "2010", stdout=StringIO())
    assert 2010 in _attached()

    with pytest.raises(CommandError, match="terbalik"):
        call_command("partitions", "--ensure", "2011..2010", stdout=StringIO())
    with pytest.raises(CommandError, match="sudah terpasang"):
        call_command("partitions", "--attach", "2010", stdout=StringIO())


@sqlite_only
@pytest.mark.django_db
def test_sqlite_keeps_one_plain_table_and_every_partition_call_does_nothing(
    district: DistrictFixture,
) -> None:
    assert ensure_measurement_partitions([2014, 2025]) == []
    assert partitions_status() == []
    detach_partition(2016)
    attach_partition(2016)
    child = ChildFactory(posyandu=district.posyandu_a1, birth_date=datetime.date(1999, 1, 1))
    _measurement(child, datetime.date(1999, 6, 1), weight_kg=Decimal("7.0"))
    assert Measurement.objects.count() == 1
    out = StringIO()
    call_command("partitions", stdout=out)
    assert out.getvalue() == "Tabel kunjungan hanya dipartisi di PostgreSQL; basis data ini tidak.\n"


@pytest.fixture
def archived_2016(district: DistrictFixture) -> Iterator[Child]:
    """A child measured in 2016, then 2016 detached (archived); attached again afterwards."""
    child = ChildFactory(posyandu=district.posyandu_a1, birth_date=datetime.date(2015, 6, 1))
    _measurement(child, datetime.date(2016, 4, 2), weight_kg=Decimal("9.0"))
    detach_partition(2016)
    yield child
    attach_partition(2016)


@postgres_only
@pytest.mark.django_db
def test_an_entry_into_an_archived_year_is_refused_with_its_reason_not_a_server_error(
    district: DistrictFixture, archived_2016: Child
) -> None:
    from django.test import Client
    from django.urls import reverse
    from rest_framework.test import APIClient

    child = archived_2016
    reason = "Data tahun 2016 sedang diarsipkan"

    kader = Client()
    kader.force_login(district.users["kader"])
    page = reverse("children:posyandu-day", args=[district.posyandu_a1.pk, 2016, 4])
    fields = {"measured_on": "2016-04-20", "weight_kg": "9,4", "height_cm": "80,0", "position": "H"}
    response = kader.post(
        page,
        {"child": str(child.pk), **{f"c{child.pk}-{name}": value for name, value in fields.items()}},
        HTTP_X_REQUESTED_WITH="fetch",
    )
    assert response.status_code == 422
    assert reason in response.content.decode()

    api = APIClient()
    api.force_authenticate(district.users["kader"])
    answer = api.post(
        "/api/v1/measurements/",
        {
            "child": child.pk,
            "measured_on": "2016-04-21",
            "weight_kg": "9.5",
            "height_cm": "80.5",
            "position": "H",
        },
        format="json",
    )
    assert answer.status_code == 400
    assert reason in str(answer.json())
    assert Measurement.objects.filter(child=child).count() == 0  # 2016 is archived: out of every query


@postgres_only
@pytest.mark.django_db
def test_an_import_refuses_the_rows_of_an_archived_year_one_by_one_and_keeps_the_others(
    district: DistrictFixture, archived_2016: Child
) -> None:
    from children.imports.pipeline import import_rows
    from tests.children.test_import_pipeline import csv_text, row

    archived = row(
        NIK="", Nama="Sari Dewi", JK="P", **{"Tgl Lahir": "10/03/2015", "Tanggal Pengukuran": "05/04/2016"}
    )
    text = csv_text([archived, row()])

    reports = [
        import_rows(
            source=io.StringIO(text), file_name="r.csv", user=district.users["bappeda_admin"], commit=commit
        )
        for commit in (False, True)  # the dry run says it too
    ]

    for report in reports:
        assert (report.summary["rejected"], report.summary["create_measurement"]) == (1, 1)
        [(number, _action, column, message)] = [issue for issue in report.issues if issue[1] == "ditolak"]
        assert (number, column) == (2, "Tanggal Pengukuran")
        assert message.startswith(
            "Data tahun 2016 sedang diarsipkan (partisi children_measurement_y2016 dilepas)"
        )
    assert not Child.objects.filter(name="Sari Dewi").exists()
    assert Measurement.objects.filter(measured_on__year=2026).count() == 1
