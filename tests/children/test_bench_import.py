"""`bench import`'s pieces: its synthetic register and the per-step breakdown of a timed import."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

from children.bench_import import _step_lines, _timed_import
from children.bench_import_data import synthetic_rows
from children.imports.layout import EPPGBM_COLUMNS
from tests.children.test_import_pipeline import SITI, csv_text, row
from tests.factories import DistrictFixture

NIK_BUDI = "3510011003240001"
INPUTS = {
    "posyandu": [
        (1, "Mawar", "SUMBERAGUNG", "PESANGGARAN", "35.10.01", 11),
        (2, "Melati", "SILIRAGUNG", "PESANGGARAN", "35.10.01", 12),
    ],
    "children": [
        (7, "Budi Santoso", "L", datetime.date(2024, 3, 10), 1, "token"),
        (8, "Siti Aminah", "P", datetime.date(2023, 6, 15), 2, ""),
    ],
    "niks": {7: NIK_BUDI},
    "today": datetime.date(2026, 1, 20),
}
COLUMN = {c.key: i for i, c in enumerate(EPPGBM_COLUMNS)}


def test_the_synthetic_register_is_the_same_for_a_seed_and_sorted_by_posyandu() -> None:
    rows = synthetic_rows(300, 5, INPUTS)

    assert rows == synthetic_rows(300, 5, INPUTS)
    assert rows != synthetic_rows(300, 6, INPUTS)
    assert len(rows) == 300
    assert {len(cells) for cells in rows} == {len(EPPGBM_COLUMNS)}
    places = [cells[COLUMN["posyandu"]] for cells in rows]
    assert places == sorted(places, key=["Mawar", "Melati"].index)
    # 40% are weighings of the registered children, four a month each, alternating between them.
    budi = [cells for cells in rows if cells[COLUMN["name"]] == "Budi Santoso"]
    siti = [cells for cells in rows if cells[COLUMN["name"]] == "Siti Aminah"]
    assert (len(budi), len(siti)) == (60, 60)
    assert {cells[COLUMN["nik"]] for cells in budi} == {NIK_BUDI}
    assert {cells[COLUMN["birth_date"]] for cells in budi} == {"10/03/2024"}
    # Days 2, 9, 16 and 23 before today, then the same a cycle of 28 days earlier, 15 cycles.
    days = {
        (INPUTS["today"] - datetime.timedelta(days=offset + 28 * cycle)).strftime("%d/%m/%Y")  # type: ignore[operator]
        for offset in (2, 9, 16, 23)
        for cycle in range(15)
    }
    assert {cells[COLUMN["measured_on"]] for cells in budi} == days


def test_a_timed_import_prints_each_steps_wall_and_cpu_seconds(
    district: DistrictFixture, tmp_path: Path
) -> None:
    path = tmp_path / "register.csv"
    path.write_text(csv_text([row(), SITI, row(Berat="80", NIK="")]), encoding="utf-8")

    timed = _timed_import(path, district.users["bappeda_admin"], overlap=True)
    lines = _step_lines(timed)

    assert timed.report.rows_total == 3
    assert timed.report.summary["rejected"] == 1
    assert timed.copies == {}  # SQLite: no COPY
    assert re.fullmatch(
        r"steps \(threads overlap: .* CPU of the process [\d.]+ s, of the steps [\d.]+ s\):", lines[0]
    )
    steps = [line.split()[:2] for line in lines[2:9]]
    assert steps == [
        ["read", "worker"],
        ["parse", "worker"],
        ["validate", "worker"],
        ["resolve", "importer"],
        ["compute", "both"],
        ["write", "importer"],
        ["commit", "importer"],
    ]
    assert lines[9].startswith("  the importer waited for the worker's next batch: ")
    assert lines[10].startswith("  of write and commit, in the database's statements ")
    assert lines[11].startswith("per 100,000 rows: Python CPU ")
    assert re.fullmatch(
        r"ceiling set by Python's CPU alone .*: [\d,]+ rows/s; the process had \d+% of a core", lines[12]
    )
