"""`manage.py zscores`: the batch calculator keeps rows and columns, adds results, explains bad rows."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook, load_workbook

HEADER = ["id", "sex", "birth_date", "measure_date", "weight_kg", "height_cm", "measured", "oedema"]
ROWS = [
    ["a1", "L", "2023-01-01", "2024-01-01", "8.5", "72.3", "telentang", ""],
    ["a2", "P", "2023-01-01", "2022-01-01", "8,5", "72.3", "L", ""],
    ["a3", "F", "2024-01-01", "2024-03-01", "5", "60", "berdiri", ""],
    ["a4", "M", "2023-01-01", "2024-01-01", "abc", "72.3", "H", ""],
    ["a5", "P", "01/06/2023", "01/06/2024", "7.0", "68.0", "L", "ya"],
]
ADDED = [
    "waz",
    "haz",
    "whz",
    "baz",
    "flag_waz",
    "flag_haz",
    "flag_whz",
    "flag_baz",
    "bbu",
    "tbu",
    "bbtb",
    "imtu",
    "error",
]


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def test_it_keeps_every_input_column_and_row_and_adds_the_results(tmp_path: Path) -> None:
    _write_csv(tmp_path / "in.csv", HEADER, ROWS)

    call_command("zscores", str(tmp_path / "in.csv"), "-o", str(tmp_path / "out.csv"))

    with open(tmp_path / "out.csv", newline="", encoding="utf-8-sig") as handle:
        assert next(csv.reader(handle)) == HEADER + ADDED
    out = _read_csv(tmp_path / "out.csv")
    assert [row["id"] for row in out] == ["a1", "a2", "a3", "a4", "a5"]
    assert [[row[c] for c in HEADER] for row in out] == ROWS
    first = out[0]
    assert (first["waz"], first["haz"], first["whz"], first["baz"]) == (
        "-1.1530",
        "-1.4475",
        "-0.6101",
        "-0.4094",
    )
    assert (first["bbu"], first["tbu"], first["bbtb"], first["imtu"], first["error"]) == (
        "Berat badan normal",
        "Normal",
        "Gizi baik (normal)",
        "Gizi baik (normal)",
        "",
    )
    assert (first["flag_waz"], first["flag_haz"], first["flag_whz"], first["flag_baz"]) == (
        "0",
        "0",
        "0",
        "0",
    )


def test_it_gives_the_reason_of_each_bad_row_and_computes_what_it_can(tmp_path: Path) -> None:
    _write_csv(tmp_path / "in.csv", HEADER, ROWS)

    call_command("zscores", str(tmp_path / "in.csv"), "-o", str(tmp_path / "out.csv"))

    out = _read_csv(tmp_path / "out.csv")
    assert [row["error"] for row in out] == [
        "",
        "umur negatif",
        "tinggi berdiri di bawah 9 bulan: ukur telentang",
        "berat tidak valid",
        "",
    ]
    assert (out[1]["waz"], out[1]["haz"], out[1]["tbu"]) == ("", "", "")
    assert out[2]["waz"] != ""
    assert out[2]["haz"] == ""
    assert out[3]["waz"] == ""
    assert out[3]["haz"] != ""
    # a5: oedema — no weight indices, counted as gizi buruk
    assert (out[4]["waz"], out[4]["whz"], out[4]["baz"], out[4]["bbtb"]) == ("", "", "", "Gizi buruk")


def test_it_accepts_age_days_instead_of_dates(tmp_path: Path) -> None:
    _write_csv(
        tmp_path / "in.csv",
        ["sex", "age_days", "weight_kg", "height_cm", "measured"],
        [["L", "365", "8.5", "72.3", "L"], ["L", "-3", "8.5", "72.3", "L"]],
    )

    call_command("zscores", str(tmp_path / "in.csv"), "-o", str(tmp_path / "out.csv"))

    out = _read_csv(tmp_path / "out.csv")
    assert [row["waz"] for row in out] == ["-1.1530", ""]
    assert out[1]["error"] == "umur negatif"


def test_it_reads_and_writes_excel_workbooks(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(["a1", "L", "2023-01-01", "2024-01-01", 8.5, 72.3, "telentang", None])
    workbook.save(tmp_path / "in.xlsx")

    call_command("zscores", str(tmp_path / "in.xlsx"), "-o", str(tmp_path / "out.xlsx"))

    rows = list(load_workbook(tmp_path / "out.xlsx").active.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER + ADDED
    assert rows[1][len(HEADER)] == pytest.approx(-1.153, abs=5e-5)
    assert rows[1][len(HEADER) + 9] == "Normal"


def test_it_refuses_a_file_without_the_required_columns(tmp_path: Path) -> None:
    _write_csv(tmp_path / "in.csv", ["sex", "weight_kg"], [["L", "8"]])

    with pytest.raises(CommandError, match="kolom wajib tidak ada: height_cm, age_days"):
        call_command("zscores", str(tmp_path / "in.csv"), "-o", str(tmp_path / "out.csv"))


def test_it_escapes_text_a_spreadsheet_would_run_and_keeps_z_scores_numbers(tmp_path: Path) -> None:
    _write_csv(tmp_path / "in.csv", HEADER, [['=HYPERLINK("http://x","y")', *ROWS[0][1:]]])

    call_command("zscores", str(tmp_path / "in.csv"), "-o", str(tmp_path / "out.csv"))

    line = (tmp_path / "out.csv").read_text(encoding="utf-8-sig").splitlines()[1]
    assert line.startswith('"\'=HYPERLINK(""http://x"",""y"")","L","2023-01-01",')
    assert ',-1.1530,-1.4475,-0.6101,-0.4094,"0","0","0","0","Berat badan normal",' in line


def test_it_writes_such_text_as_a_string_cell_in_a_workbook(tmp_path: Path) -> None:
    _write_csv(tmp_path / "in.csv", HEADER, [["=SUM(1+1)", *ROWS[0][1:]]])

    call_command("zscores", str(tmp_path / "in.csv"), "-o", str(tmp_path / "out.xlsx"))

    row = next(iter(load_workbook(tmp_path / "out.xlsx").active.iter_rows(min_row=2)))
    assert (row[0].data_type, row[0].value) == ("s", "=SUM(1+1)")
    assert (row[len(HEADER)].data_type, row[len(HEADER)].value) == ("n", -1.153)
