"""`python manage.py zscores INPUT -o OUTPUT`: WHO z-scores and Permenkes categories for a CSV or .xlsx file."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from children.growth.batch import OUTPUT_COLUMNS, MissingColumns, column_index, compute_rows
from convergence import spreadsheets

# Rows per engine call: large enough that numpy dominates, small enough that a district-wide export
# of a few hundred thousand rows streams through in constant memory.
CHUNK_ROWS = 20_000


class Command(BaseCommand):
    help = (
        "Hitung z-score WHO (BB/U, TB/U, BB/TB, IMT/U) dan kategori Permenkes 2/2020 untuk file CSV atau .xlsx. "
        "Kolom: sex, age_days atau birth_date + measure_date, weight_kg, height_cm, measured, oedema (opsional)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("input", help="file input (.csv atau .xlsx)")
        parser.add_argument("-o", "--output", required=True, help="file output (.csv atau .xlsx)")

    def handle(self, *args: Any, **options: Any) -> None:
        source, target = Path(options["input"]), Path(options["output"])
        for path in (source, target):
            if path.suffix.lower() not in (".csv", ".xlsx"):
                raise CommandError(f"{path.name}: hanya .csv atau .xlsx yang didukung")
        if not source.exists():
            raise CommandError(f"{source}: file tidak ditemukan")
        rows = _read_xlsx(source) if source.suffix.lower() == ".xlsx" else _read_csv(source)
        header = list(next(rows, []))
        try:
            positions = column_index(header)
        except MissingColumns as missing:
            raise CommandError(f"kolom wajib tidak ada: {missing}") from missing
        out_header = [*header, *OUTPUT_COLUMNS]
        tally = _Tally()
        with open(target, "wb") as handle:
            if target.suffix.lower() == ".xlsx":
                output_rows = _numeric(_computed(positions, rows), len(header), float, tally)
                count = spreadsheets.xlsx_write(handle, out_header, output_rows, title="zscores")
            else:
                # Decimal keeps the text's four decimals and is written as a number, not as text.
                output_rows = _numeric(_computed(positions, rows), len(header), Decimal, tally)
                count = spreadsheets.csv_write(handle, out_header, output_rows)
        self.stdout.write(f"{count} baris dihitung, {tally.bad} dengan kesalahan -> {target}")


def _computed(positions: dict[str, int], rows: Iterator[Sequence[object]]) -> Iterator[list[object]]:
    while chunk := list(islice(rows, CHUNK_ROWS)):
        yield from compute_rows(positions, chunk)


def _read_csv(path: Path) -> Iterator[Sequence[object]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        sample = handle.read(4096)
        handle.seek(0)
        try:
            dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        # A CSV this application wrote holds "'=..." for a text that looked like a formula.
        yield from map(spreadsheets.spreadsheet_unescape_row, csv.reader(handle, dialect))


def _read_xlsx(path: Path) -> Iterator[Sequence[object]]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        for row in workbook.worksheets[0].iter_rows(values_only=True):
            yield ["" if cell is None else cell for cell in row]
    finally:
        workbook.close()


@dataclass
class _Tally:
    bad: int = 0


def _numeric(
    rows: Iterator[list[object]], first_z: int, number: Callable[[str], object], tally: _Tally
) -> Iterator[list[object]]:
    """The rows with waz, haz, whz, baz as numbers (blank: None), so the writers keep them numeric."""
    for row in rows:
        for position in range(first_z, first_z + 4):
            row[position] = number(row[position]) if row[position] != "" else None  # type: ignore[arg-type]
        tally.bad += bool(row[-1])
        yield row
