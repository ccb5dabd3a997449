from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _

from convergence import demo


class Command(BaseCommand):
    help = (
        "Seed the synthetic demo kabupaten (deterministic for a given --seed) and print the demo logins; "
        "when it already exists, only print the logins again (use --reset to seed it anew)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
        parser.add_argument("--scale", choices=sorted(demo.SCALES), default="small")
        parser.add_argument(
            "--reset", action="store_true", help="delete the demo kabupaten and seed it again"
        )
        parser.add_argument(
            "--kabupaten",
            type=int,
            default=1,
            choices=range(1, demo.MAX_KABUPATEN + 1),
            metavar=f"1..{demo.MAX_KABUPATEN}",
            help="how many demo kabupaten of the province to seed (default 1; the first keeps the usual logins)",
        )

    def handle(
        self,
        *args: Any,
        seed: int,
        scale: str,
        reset: bool,
        kabupaten: int = 1,
        verbosity: int = 1,
        **options: Any,
    ) -> None:
        autodiscover_modules("demo")
        existing = demo.district_kabupaten()
        if existing is not None and not reset:
            self.stdout.write(
                _(
                    "Kabupaten demo %(name)s (%(code)s) sudah ada; data tidak diubah (pakai --reset untuk membuat ulang)."
                )
                % {"name": existing.name, "code": existing.code}
            )
            with transaction.atomic():
                refreshed = demo.logins_refresh(seed=seed)
            for username in refreshed.missing:
                self.stderr.write(
                    _("Pengguna demo %(username)s tidak ditemukan; pakai --reset untuk membuatnya lagi.")
                    % {"username": username}
                )
            self._print_logins(refreshed.logins, refreshed.api_token)
            return
        try:
            # All or nothing: a failing step leaves the database as it was, demo district included.
            with transaction.atomic():
                old = demo.district_kabupaten_all()
                for region in old:
                    demo.district_delete(kabupaten=region, out=self.stdout)
                if old:
                    self.stdout.write(_("Kabupaten demo lama dihapus."))
                districts = demo.province_seed(
                    seed=seed,
                    scale=demo.SCALES[scale],
                    today=timezone.localdate(),
                    out=self.stdout,
                    kabupaten_count=kabupaten,
                )
        except demo.DemoError as error:
            raise CommandError(str(error)) from error
        for district in districts:
            self._print_district(district, seed=seed, scale=scale, verbosity=verbosity)
        self._print_logins(
            [login for district in districts for login in district.logins], districts[0].api_token or None
        )

    def _print_district(self, district: demo.DemoDistrict, *, seed: int, scale: str, verbosity: int) -> None:
        self.stdout.write(
            _(
                "Kabupaten demo %(name)s (%(code)s) dibuat (seed %(seed)d, skala %(scale)s) dalam %(seconds).1f detik."
            )
            % {
                "name": district.kabupaten.name,
                "code": district.kabupaten.code,
                "seed": seed,
                "scale": scale,
                "seconds": sum(seconds for _name, seconds, _cpu in district.timings),
            }
        )
        width = max(len(label) for label, _value in district.summary)
        for label, value in district.summary:
            self.stdout.write(f"  {label.ljust(width)}  {value:>8}")
        if verbosity >= 2:
            self.stdout.write("")
            for name, seconds, cpu_seconds in district.timings:
                self.stdout.write(
                    "  "
                    + _("langkah %(name)s: %(seconds).1f detik (CPU %(cpu).1f detik)")
                    % {"name": name, "seconds": seconds, "cpu": cpu_seconds}
                )

    def _print_logins(self, logins: list[demo.DemoLogin], api_token: str | None) -> None:
        header = demo.DemoLogin(_("Pengguna"), _("Peran"), _("Unit"), _("Kata sandi"))
        rows = [header, *logins]
        widths = [max(len(getattr(row, name)) for row in rows) for name in ("username", "role", "unit")]
        self.stdout.write("")
        self.stdout.write(_("Akun demo (kata sandi hanya untuk demo, jangan dipakai di server produksi):"))
        for row in rows:
            cells = (row.username, row.role, row.unit)
            self.stdout.write(
                "  "
                + "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
                + "  "
                + row.password
            )
        if api_token:
            self.stdout.write("")
            self.stdout.write(
                _("Token API %(username)s: %(token)s (header: Authorization: Token %(token)s)")
                % {"username": demo.API_USERNAME, "token": api_token}
            )
