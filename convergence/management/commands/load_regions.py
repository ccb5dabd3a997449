from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from convergence.services import RegionLoadError, regions_load


class Command(BaseCommand):
    help = "Load the official region list (CSV columns code,name,level,parent_code); all rows or none."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--retire-missing",
            action="store_true",
            help=(
                "Retire the regions (provinsi to desa/kelurahan) under the file's provinsi and kabupaten "
                "that the file no longer lists; they are kept with their history."
            ),
        )

    def handle(self, *args: Any, file: Path, retire_missing: bool = False, **options: Any) -> None:
        try:
            text = file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(_("Berkas tidak dapat dibaca: %(error)s") % {"error": error}) from error
        try:
            result = regions_load(text=text, retire_missing=retire_missing)
        except RegionLoadError as error:
            for line in error.errors:
                self.stderr.write(line)
            raise CommandError(
                _("%(count)d baris salah; tidak ada yang dimuat.") % {"count": len(error.errors)}
            ) from error
        counters = (
            (_("dibuat"), result.created),
            (_("diperbarui"), result.updated),
            (_("berlaku kembali"), result.restored),
            (_("tidak berlaku lagi"), result.retired),
        )
        for label, counter in counters:
            for level, count in sorted(counter.items()):
                self.stdout.write(f"{level}: {count} {label}")
        self.stdout.write(_("%(count)d baris tidak berubah.") % {"count": result.unchanged})
