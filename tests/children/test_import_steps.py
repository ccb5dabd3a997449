"""Each step of the bulk import alone: parse (with validate), resolve, plan, compute and write."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import numpy as np
import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from children import pii
from children.growth.weight_gain import NOT_ASSESSED, KBMTable
from children.imports import compute, parsing, validate
from children.imports.batch import rows_batch
from children.imports.layout import match_header
from children.imports.parse import Parser
from children.imports.plan import plan_measurements, previous_weighing
from children.imports.readers import RaggedCells, ShiftedCells
from children.imports.resolve import PosyanduFinder, Resolver
from children.imports.rows import BatchIssues, ImportReport, ImportRow
from children.imports.write import Writer
from children.models import Child, ImportJob, ImportRowIssue, Measurement
from children.services import measurement_record
from convergence.models import Region
from tests.children.test_import_pipeline import HEADER, NIK_BUDI, csv_text, row
from tests.factories import ChildFactory, DistrictFixture

TODAY = datetime.date(2026, 1, 20)
HEADER_MATCH = match_header(HEADER)


def cells(**values: str) -> list[str]:
    found = row(**values)
    return [found.get(name, "") for name in HEADER]


def parse(
    district: DistrictFixture, *rows: list[str]
) -> tuple[list[ImportRow], list[ImportRow], BatchIssues]:
    finder = PosyanduFinder(user=district.users["bappeda_admin"], places=None)
    issues = BatchIssues()
    parser = Parser(today=TODAY, finder=finder, places=None)
    batch = rows_batch(list(enumerate(rows, start=2)), len(HEADER_MATCH.headers), (ShiftedCells, RaggedCells))
    good, blank = parser.parse(batch, HEADER_MATCH, issues)
    return good, blank, issues


# validate: no database ------------------------------------------------------------------------------------


def test_validate_marks_the_rows_the_rule_table_or_the_parser_refuses() -> None:
    measures = {
        "weight_kg": [10.2, 80.0, None, validate.BAD],
        "height_cm": [80.5, 80.5, 150.0, None],
        "lila_cm": [None, None, None, None],
        "head_circumference_cm": [None, None, None, None],
        "pmt_kg": [None, -1.0, None, None],
    }
    assert validate.measure_violations(measures).tolist() == [False, True, True, True]


def test_validate_row_check_says_why_per_field() -> None:
    check = validate.RowCheck(today=TODAY, parse_date=parsing.DateParser(), label=str)
    values = check.measures({"weight_kg": "90", "height_cm": "abc", "pmt_kg": "2,5"}, parsing.parse_decimal)
    assert values == {"weight_kg": None, "height_cm": None, "pmt_kg": 2.5}
    assert [field for field, _message in check.errors] == ["weight_kg", "height_cm"]
    assert check.errors[0][1] == "Berat 90 kg di luar rentang yang mungkin (0,5-50 kg)"


# parse -------------------------------------------------------------------------------------------------------


def test_parse_types_a_clean_row_and_reports_a_bad_one(district: DistrictFixture) -> None:
    good, blank, issues = parse(district, cells(), cells(Berat="90", JK="X"))

    assert blank == []
    assert [(r.number, r.nik, r.name, r.sex, r.birth_date, r.measured_on) for r in good] == [
        (2, NIK_BUDI, "Budi Santoso", "L", datetime.date(2024, 3, 10), datetime.date(2026, 1, 5))
    ]
    assert (good[0].posyandu_id, good[0].desa_id) == (district.posyandu_a1.pk, district.desa_a1.pk)
    assert {k: good[0].values[k] for k in ("weight_kg", "height_cm", "position")} == {
        "weight_kg": 10.2,
        "height_cm": 80.5,
        "position": "H",
    }
    assert issues.rejected == 1
    assert issues.pending == [
        (3, "ditolak", "JK", "Jenis kelamin harus L atau P"),
        (3, "ditolak", "Berat", "Berat 90 kg di luar rentang yang mungkin (0,5-50 kg)"),
    ]


def test_parse_sets_a_template_row_without_a_measurement_apart(district: DistrictFixture) -> None:
    good, blank, issues = parse(
        district, cells(**{"Tanggal Pengukuran": "", "Berat": "", "Tinggi": "", "Cara Ukur": ""})
    )
    assert (good, [r.number for r in blank], issues.pending) == ([], [2], [])


# resolve and plan ----------------------------------------------------------------------------------------------


def resolver(district: DistrictFixture, report: ImportReport) -> Resolver:
    user = district.users["bappeda_admin"]
    return Resolver(user=user, finder=PosyanduFinder(user=user, places=None), report=report, postgres=False)


def test_resolve_finds_a_registered_child_by_nik_and_gives_a_new_one_a_temporary_id(
    district: DistrictFixture,
) -> None:
    budi = ChildFactory(
        posyandu=district.posyandu_a1,
        name="Budi Santoso",
        nik_encrypted=pii.encrypt(NIK_BUDI),
        nik_hash=pii.nik_hash(NIK_BUDI),
    )
    good, _blank, issues = parse(district, cells(), cells(NIK="", Nama="Siti Aminah", JK="P"))
    compute.hash_niks(good)
    report = ImportReport()

    accepted, new_rows = resolver(district, report).resolve(good, issues, str)

    assert [r.child_id for r in accepted] == [budi.pk, -1]
    assert [r.number for r in new_rows] == [3]
    assert [r.child_action for r in accepted] == [
        "update_child",
        "create_child",
    ]  # Budi's mother is filled in


def test_plan_leaves_an_unchanged_measurement_and_finds_the_previous_weighing(
    district: DistrictFixture,
) -> None:
    budi = ChildFactory(
        posyandu=district.posyandu_a1, name="Budi Santoso", birth_date=datetime.date(2024, 3, 10)
    )
    for day, weight in ((datetime.date(2025, 12, 5), "9.90"), (datetime.date(2026, 1, 5), "10.20")):
        measurement_record(
            user=None, child=budi, measured_on=day, weight_kg=Decimal(weight), height_cm=Decimal("80.5"),
            position="H", today=TODAY,
        )  # fmt: skip
    good, _blank, issues = parse(district, cells(NIK="", RT="", RW="", **{"Nama Ortu": ""}))
    compute.hash_niks(good)
    report = ImportReport()
    steps = resolver(district, report)
    accepted, _new = steps.resolve(good, issues, str)

    assert plan_measurements(accepted, steps, report) == []
    assert report.summary["unchanged"] == 1
    previous = previous_weighing(accepted, postgres=False)
    assert previous[budi.pk][0] == pytest.approx(9.9)
    assert previous[budi.pk][4] == datetime.date(2025, 12, 5)
    # A child the batch creates has no earlier weighing: not looked up.
    assert previous_weighing(accepted, postgres=False, new_ids=frozenset({budi.pk})) == {}


# compute: no query -----------------------------------------------------------------------------------------


def test_compute_chains_weight_gain_from_the_previous_weighing() -> None:
    rows = []
    for k, weight in enumerate((10.2, None)):
        r = ImportRow(2 + k, [])
        r.child_id, r.sex, r.age_days, r.index = 7, "L", 666 + k, k
        r.birth_date, r.measured_on = datetime.date(2024, 3, 10), datetime.date(2026, 1, 5 + k)
        r.values = {
            "weight_kg": weight,
            "height_cm": 80.5,
            "position": "H",
            "lila_cm": None,
            "head_circumference_cm": None,
        }
        rows.append(r)
    month = (2025 - 1970) * 12 + 11
    previous = {7: (9.9, month, 0, 80.0, datetime.date(2025, 12, 5))}
    kbm = KBMTable(age_month_from=np.array([11]), age_month_to=np.array([60]), min_gain_g=np.array([200]))

    columns = compute.written_columns(rows, compute.growth(rows), previous, kbm)

    assert columns["weight_gain"].tolist() == [0, NOT_ASSESSED]  # N (gain 300 g >= 200 g), then not weighed
    assert columns["adjusted_height_cm"].tolist() == [81.2, 81.2]  # standing under 24 months: +0.7 cm
    assert rows[0].warnings == []


# write -----------------------------------------------------------------------------------------------------------


def test_write_inserts_and_updates_through_one_interface(district: DistrictFixture) -> None:
    user = district.users["bappeda_admin"]
    job = ImportJob.objects.create(original_name="a.csv", uploaded_by=user, file="imports/a.csv")
    writer = Writer(user=user, job=job, now=timezone.now())

    with writer.in_use():
        writer.store_issues([(2, "ditolak", "Berat", "a"), (3, "peringatan", "NIK", "b")])
        child = ChildFactory(posyandu=district.posyandu_a1, mother_name="")
        writer.update(
            Child,
            ("mother_name", "nik_encrypted"),
            [["Sri"], [None], [child.pk]],
            keep_when_null=("nik_encrypted",),
        )
    writer.settle()

    assert list(
        ImportRowIssue.objects.order_by("row_number").values_list(
            "job", "row_number", "action", "field", "message"
        )
    ) == [
        (job.pk, 2, "ditolak", "Berat", "a"),
        (job.pk, 3, "peringatan", "NIK", "b"),
    ]
    child.refresh_from_db()
    assert (child.mother_name, child.nik_encrypted) == ("Sri", "")
    assert Measurement.objects.count() == 0


def _check_and_settle(writer: Writer) -> None:
    writer.check_constraints()  # sent, not waited for (unless the violation is back at once)
    writer.settle()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the check is sent in PostgreSQL's pipeline mode"
)
def test_the_foreign_key_check_runs_while_the_importer_goes_on_and_its_violation_is_raised(
    district: DistrictFixture,
) -> None:
    user = district.users["bappeda_admin"]
    writer = Writer(user=user, job=None, now=timezone.now())
    child = ChildFactory(posyandu=district.posyandu_a1)
    sid = transaction.savepoint()
    writer.update(Child, ("posyandu",), [[999_999_999], [child.pk]])
    with pytest.raises(IntegrityError):  # the server's answer: the posyandu does not exist
        _check_and_settle(writer)
    assert writer._pending is None
    transaction.savepoint_rollback(sid)
    child.refresh_from_db()
    assert child.posyandu_id == district.posyandu_a1.pk


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_a_copy_is_not_waited_for_and_its_violation_is_raised_before_the_next_statement(
    district: DistrictFixture,
) -> None:
    writer = Writer(user=district.users["bappeda_admin"], job=None, now=timezone.now())
    columns = ("code", "name", "level")
    sid = transaction.savepoint()
    writer.insert(Region, columns, [[district.desa_a1.code], ["AGAIN"], ["desa"]])  # a code taken
    assert writer._copy_sent is not None  # sent, its result not read
    with pytest.raises(IntegrityError):
        writer.settle()
    assert writer._copy_sent is None
    transaction.savepoint_rollback(sid)

    with writer.in_use():  # as during an import
        writer.insert(Region, columns, [["99"], ["NEW"], ["provinsi"]])
        assert writer._copy_sent is not None
        assert Region.objects.filter(code="99").count() == 1  # the query read the COPY's result first
    assert writer._copy_sent is None


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the check is sent in PostgreSQL's pipeline mode"
)
def test_a_query_during_the_import_waits_for_the_check_in_flight(
    district: DistrictFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from children.imports import pipeline

    waited: list[bool] = []
    settle = Writer.settle

    def recorded(self: Writer, error: BaseException | None = None) -> None:
        waited.append(self._pending is not None)
        settle(self, error)

    monkeypatch.setattr(Writer, "settle", recorded)
    queried: list[int] = []

    def progress(done: int, total: int) -> None:
        queried.append(Child.objects.count())  # a query between batches

    rows = [row(), row(**{"Tanggal Pengukuran": "05/02/2026"})]
    with transaction.atomic():
        report = pipeline.import_rows(
            source=io.StringIO(csv_text(rows)),
            file_name="a.csv",
            user=district.users["bappeda_admin"],
            commit=True,
            progress=progress,
            batch_size=1,
        )
    assert report.summary["create_measurement"] == 2
    assert queried[-1] == 1  # one child, measured twice
    assert any(waited)  # the progress query found a check in flight and waited for it first
