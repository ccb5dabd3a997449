"""Recompute the prevalence summaries of a region (default: every kabupaten with posyandu)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from convergence.codes import Level
from convergence.models import Region
from reports import services, tasks


class Command(BaseCommand):
    help = _(
        "Hitung ulang ringkasan prevalensi (antrekan ke worker Celery; tanpa broker langsung dijalankan)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--region", help=_("kode wilayah: kabupaten, kecamatan atau desa"))

    def handle(self, *args: Any, **options: Any) -> None:
        code = options["region"]
        if code:
            region = Region.objects.filter(code=code).first()
            if region is None:
                raise CommandError(_("Kode wilayah %(code)s tidak dikenal.") % {"code": code})
            if region.level == Level.PROVINSI:
                raise CommandError(_("Pilih kabupaten, kecamatan atau desa, bukan provinsi."))
            regions = [region]
        else:
            regions = list(
                Region.objects.filter(
                    level__in=[Level.KABUPATEN, Level.KOTA],
                    subregions__subregions__posyandu_set__isnull=False,
                ).distinct()
            )
        for region in regions:
            kecamatan_ids = self._kecamatan_ids(region)
            if settings.CELERY_TASK_ALWAYS_EAGER:
                for result in services.prevalence_recompute_region(region=region):
                    self.stdout.write(
                        _(
                            "%(region)s: %(chunks)d kecamatan, %(periods)d periode, %(measurements)d pengukuran; "
                            "%(written)d baris ditulis, %(deleted)d dihapus"
                        )
                        % {"region": region, **result.__dict__}
                    )
            else:
                for kecamatan_id in kecamatan_ids:
                    tasks.prevalence_recompute_chunk.delay(kecamatan_id=kecamatan_id)
                self.stdout.write(
                    _("%(region)s: %(count)d tugas kecamatan diantrekan.")
                    % {"region": region, "count": len(kecamatan_ids)}
                )

    def _kecamatan_ids(self, region: Region) -> list[int]:
        if region.level in (Level.KABUPATEN, Level.KOTA):
            return services.kecamatan_of(region)
        kecamatan_id = region.pk if region.level == Level.KECAMATAN else region.parent_id
        return [kecamatan_id] if kecamatan_id is not None else []
