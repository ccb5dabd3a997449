"""Load the standard intervention catalogue into a kabupaten (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from convergence.models import Region
from interventions.catalogue import catalogue_load


class Command(BaseCommand):
    help = "Muat katalog intervensi standar ke satu kabupaten/kota (aman dijalankan ulang)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kabupaten", required=True, help="Kode wilayah kabupaten/kota, mis. 35.10")

    def handle(self, *args: Any, kabupaten: str, **options: Any) -> None:
        region = Region.objects.filter(code=kabupaten, level__in=["kabupaten", "kota"]).first()
        if region is None:
            raise CommandError(_("Kabupaten/kota %(code)s tidak ditemukan.") % {"code": kabupaten})
        result = catalogue_load(kabupaten=region)
        self.stdout.write(
            _("Intervensi: %(created)d baru, %(updated)d diperbarui, %(unchanged)d tetap.")
            % {
                "created": len(result.created),
                "updated": len(result.updated),
                "unchanged": len(result.unchanged),
            }
        )
        for code, opd in result.skipped:
            self.stderr.write(
                _("Dilewati %(code)s: OPD %(opd)s belum ada di kabupaten ini.") % {"code": code, "opd": opd}
            )
