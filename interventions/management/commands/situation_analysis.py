"""Write the Aksi 1 situation analysis of a kabupaten as a Master Ansit workbook and print the top desa."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from convergence.models import Region
from interventions.ansit import workbook_bytes
from interventions.situation import KABUPATEN_LEVEL_VALUES, kabupaten_with_desa, situation_analysis


class Command(BaseCommand):
    help = (
        "Analisis situasi (Aksi 1) satu kabupaten/kota: prevalensi, cakupan indikator dan peringkat lokus "
        "per desa, ditulis sebagai berkas Master Ansit (.xlsx)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, required=True, help="Tahun analisis, mis. 2025")
        parser.add_argument("-o", "--output", required=True, help="Berkas .xlsx yang ditulis")
        parser.add_argument(
            "--kabupaten", default="", help="Kode kabupaten/kota (bawaan: satu-satunya yang punya desa)"
        )
        parser.add_argument("--top", type=int, default=None, help="Jumlah desa teratas yang dicetak")

    def handle(
        self, *args: Any, year: int, output: str, kabupaten: str, top: int | None, **options: Any
    ) -> None:
        if not 2000 <= year <= 2100:
            raise CommandError(_("Tahun %(year)d di luar rentang 2000-2100.") % {"year": year})
        region = self._kabupaten(kabupaten)
        analysis = situation_analysis(kabupaten=region, year=year, today=timezone.localdate())
        Path(output).write_bytes(workbook_bytes(analysis))
        count = analysis.weights.lokus_count if top is None else top
        if analysis.weights.is_default:
            self.stdout.write(_("Bobot bawaan dipakai: Bappeda belum menetapkan bobot tahun ini."))
        self.stdout.write(
            _("Desa lokus yang direkomendasikan, %(name)s %(year)d:") % {"name": region.name, "year": year}
        )
        for row in analysis.rows[: max(count, 0)]:
            prevalence = "-" if row.prevalence is None else f"{row.prevalence}%"
            self.stdout.write(
                f"{row.rank:>3}. {row.desa.code} {row.desa.name}: "
                + _("skor %(score).4f, stunting %(cases)d, prevalensi %(prevalence)s")
                % {"score": row.score, "cases": row.stunting, "prevalence": prevalence}
            )
        self.stdout.write(
            _("%(rows)d baris desa ditulis ke %(path)s.") % {"rows": len(analysis.rows), "path": output}
        )

    def _kabupaten(self, code: str) -> Region:
        if code:
            region = Region.objects.filter(code=code, level__in=KABUPATEN_LEVEL_VALUES).first()
            if region is None:
                raise CommandError(_("Kabupaten/kota %(code)s tidak ditemukan.") % {"code": code})
            return region
        candidates = kabupaten_with_desa()
        if len(candidates) != 1:
            raise CommandError(
                _("Ada %(n)d kabupaten/kota dengan desa: pilih satu dengan --kabupaten.")
                % {"n": len(candidates)}
            )
        return candidates[0]
