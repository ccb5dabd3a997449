"""`python manage.py partitions`: the yearly partitions of the per-visit tables on PostgreSQL.

Without options: one line a table and year (attached or detached, estimated rows, size).
`--ensure 2014..2026` creates the missing years (before loading a long history), `--detach 2016` takes a
year out of the table for archiving (pg_dump it, then drop it), `--attach 2016` puts a detached or
restored year back. `--table` names the table (default children_measurement; --ensure: every table).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from children.partitions import (
    MEASUREMENT,
    PartitionError,
    attach_partition,
    detach_partition,
    ensure_partitions,
    partitioned_tables,
    partitions_status,
    table_spec,
)


def _years(text: str) -> list[int]:
    """`2016` or `2014..2026` (both ends included)."""
    first, _dots, last = text.partition("..")
    try:
        start, end = int(first), int(last or first)
    except ValueError as error:
        raise CommandError(f"tahun tidak valid: {text!r} (contoh: 2016 atau 2014..2026)") from error
    if end < start:
        raise CommandError(f"rentang tahun terbalik: {text!r}")
    return list(range(start, end + 1))


def _size(size_bytes: int) -> str:
    size = float(size_bytes)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


class Command(BaseCommand):
    help = (
        "Partisi tahunan tabel kunjungan (PostgreSQL: pengukuran, kunjungan kehamilan, TTD remaja, PMT): "
        "daftar, buat, lepas (arsip) dan pasang kembali."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--ensure", metavar="TAHUN..TAHUN", help="buat partisi tahun yang belum ada")
        action.add_argument("--detach", metavar="TAHUN", type=int, help="lepas partisi satu tahun (arsip)")
        action.add_argument("--attach", metavar="TAHUN", type=int, help="pasang kembali partisi satu tahun")
        parser.add_argument(
            "--table",
            choices=[spec.table for spec in partitioned_tables()],
            help="tabel (bawaan: children_measurement; --ensure: semua tabel)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            self.stdout.write("Tabel kunjungan hanya dipartisi di PostgreSQL; basis data ini tidak.")
            return
        chosen = table_spec(options["table"]) if options["table"] else None
        try:
            if options["ensure"]:
                years = _years(options["ensure"])
                for spec in [chosen] if chosen else partitioned_tables():
                    created = ensure_partitions(spec, years)
                    made = ", ".join(str(year) for year in created) or "tidak ada (semua sudah ada)"
                    self.stdout.write(f"{spec.table}: partisi dibuat: {made}")
            elif options["detach"] is not None:
                spec = chosen or MEASUREMENT
                detach_partition(options["detach"], spec=spec)
                self.stdout.write(f"Partisi dilepas: {spec.partition(options['detach'])}")
            elif options["attach"] is not None:
                spec = chosen or MEASUREMENT
                attach_partition(options["attach"], spec=spec)
                self.stdout.write(f"Partisi dipasang kembali: {spec.partition(options['attach'])}")
        except PartitionError as error:
            raise CommandError(str(error)) from error
        self._list()

    def _list(self) -> None:
        self.stdout.write(
            f"{'tabel':<30} {'tahun':<6} {'status':<9} {'baris (perkiraan)':>18} {'ukuran':>10}"
        )
        for info in partitions_status():
            rows = "-" if info.rows_estimate is None else f"{info.rows_estimate:,}".replace(",", ".")
            status = "terpasang" if info.attached else "dilepas"
            line = f"{info.table:<30} {info.year:<6} {status:<9} {rows:>18} {_size(info.size_bytes):>10}"
            self.stdout.write(line)
