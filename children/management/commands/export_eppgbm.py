"""`python manage.py export_eppgbm -o FILE`: the measurements in the e-PPGBM layout, as .xlsx or .csv.

The export is scoped like a download from the page: to the registry `--user` may read, with NIK in
full only when that user's role needs it. Without `--user` the command runs as the kabupaten's
Bappeda admin when exactly one active one exists, and refuses otherwise (a run must always have a
reader for the access log). Logged in the read log as an export.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from children import exports
from children.models import RecordAccess
from convergence.db_router import replica_reads
from convergence.models import Region, Role, User
from convergence.selectors import posyandu_list_for_user


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError as error:
        raise CommandError(f"{text}: tanggal harus YYYY-MM-DD") from error


class Command(BaseCommand):
    help = (
        "Ekspor pengukuran dalam format e-PPGBM ke .xlsx atau .csv (format dari ekstensi FILE), "
        "dibatasi pada cakupan --user (default: satu-satunya admin Bappeda yang aktif)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("-o", "--output", required=True, help="file output (.xlsx atau .csv)")
        parser.add_argument("--user", help="nama pengguna yang cakupannya dipakai")
        parser.add_argument("--posyandu", type=int, help="id posyandu")
        parser.add_argument("--desa", help="kode Kemendagri desa/kelurahan (atau wilayah di atasnya)")
        parser.add_argument("--from", dest="date_from", type=_date, help="diukur sejak (YYYY-MM-DD)")
        parser.add_argument("--to", dest="date_to", type=_date, help="diukur sampai (YYYY-MM-DD)")

    def handle(self, *args: Any, **options: Any) -> None:
        target = Path(options["output"])
        fmt = target.suffix.lower().lstrip(".")
        if fmt not in (exports.Format.XLSX, exports.Format.CSV):
            raise CommandError(f"{target.name}: hanya .xlsx atau .csv yang didukung")
        user = self._user(options["user"])
        filters = exports.ExportFilter(
            posyandu=self._posyandu(user, options["posyandu"]),
            desa=self._desa(options["desa"]),
            date_from=options["date_from"],
            date_to=options["date_to"],
        )
        # A long read of the whole registry: on a replica when one is configured (the read log after it
        # goes to the primary).
        with open(target, "wb") as handle, replica_reads():
            count = exports.eppgbm_export(
                user=user,
                target=handle,
                fmt=fmt,
                filters=filters,
                channel=RecordAccess.Channel.EXPORT,
                path="manage.py export_eppgbm",
            )
        self.stdout.write(f"{count} baris ditulis -> {target}")

    def _user(self, username: str | None) -> User:
        if username:
            user = User.objects.filter(username=username, is_active=True).first()
            if user is None:
                raise CommandError(f"{username}: pengguna tidak ditemukan atau tidak aktif")
            return user
        admins = list(User.objects.filter(role=Role.BAPPEDA_ADMIN, is_active=True)[:2])
        if len(admins) != 1:
            raise CommandError("pilih pengguna dengan --user (tidak tepat satu admin Bappeda aktif)")
        return admins[0]

    def _posyandu(self, user: User, pk: int | None) -> Any:
        if pk is None:
            return None
        posyandu = posyandu_list_for_user(user=user).filter(pk=pk).first()
        if posyandu is None:
            raise CommandError(f"posyandu {pk} tidak ada dalam cakupan pengguna")
        return posyandu

    def _desa(self, code: str | None) -> Region | None:
        if not code:
            return None
        region = Region.objects.filter(code=code).first()
        if region is None:
            raise CommandError(f"{code}: kode wilayah tidak dikenal")
        return region
