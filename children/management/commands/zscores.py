"""`python manage.py zscores INPUT -o OUTPUT`: WHO z-scores and Permenkes categories for a CSV or .xlsx file."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from children.growth.batch import OUTPUT_COLUMNS, MissingColumns, column_index, compute_rows

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
        output_rows = _computed(positions, rows)
        out_header = [*header, *OUTPUT_COLUMNS]
        if target.suffix.lower() == ".xlsx":
            count, bad = _write_xlsx(target, out_header, output_rows)
        else:
            count, bad = _write_csv(target, out_header, output_rows)
        self.stdout.write(f"{count} baris dihitung, {bad} dengan kesalahan -> {target}")


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
        yield from csv.reader(handle, dialect)


def _read_xlsx(path: Path) -> Iterator[Sequence[object]]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        for row in workbook.worksheets[0].iter_rows(values_only=True):
            yield ["" if cell is None else cell for cell in row]
    finally:
        workbook.close()


def _write_csv(path: Path, header: list[object], rows: Iterator[list[object]]) -> tuple[int, int]:
    count = bad = 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
            bad += bool(row[-1])
    return count, bad


def _write_xlsx(path: Path, header: list[object], rows: Iterator[list[object]]) -> tuple[int, int]:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("zscores")
    sheet.append(header)
    first_z = len(header) - len(OUTPUT_COLUMNS)  # waz, haz, whz, baz are stored as numbers in a workbook
    count = bad = 0
    for row in rows:
        for position in range(first_z, first_z + 4):
            row[position] = float(row[position]) if row[position] != "" else None
        sheet.append(row)
        count += 1
        bad += bool(row[-1])
    workbook.save(path)
    return count, bad
