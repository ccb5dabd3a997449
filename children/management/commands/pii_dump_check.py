"""`python manage.py pii_dump_check FILE_OR_DIR ...`: fail when a dump or folder holds a readable NIK or KK."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from children.pii_audit import files_under, plaintext_hits, registry_identifiers


class Command(BaseCommand):
    help = (
        "Periksa bahwa dump basis data, cadangan atau folder media tidak memuat NIK/nomor KK yang terbaca. "
        "Keluar dengan galat bila ada."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path, help="file dump (pg_dump) atau folder")

    def handle(self, *args: Any, **options: Any) -> None:
        identifiers = registry_identifiers()
        files = files_under(options["paths"])
        leaks = {path: hits for path in files if (hits := plaintext_hits(path, identifiers))}
        for path, hits in leaks.items():
            self.stderr.write(f"{path}: {hits} NIK/KK terbaca")
        if leaks:
            raise CommandError(f"{sum(leaks.values())} NIK/KK terbaca di {len(leaks)} file")
        self.stdout.write(f"pii_dump_check: 0 dari {len(identifiers)} NIK/KK terbaca di {len(files)} file")
