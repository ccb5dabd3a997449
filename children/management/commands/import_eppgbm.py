"""`python manage.py import_eppgbm FILE [--commit] [--user USERNAME] [--create-posyandu]`: the e-PPGBM
import for operators.

A dry run by default: prints the counts per action and the rejected rows (row, column, reason).
`--commit` applies the file in one transaction. `--create-posyandu` (Bappeda) also creates the
puskesmas and posyandu the file names and the district lacks, and lists them with their row counts. `--user` may be left out only when the database holds
exactly one active Bappeda admin (the usual single-district installation).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from children.imports.pipeline import ACTIONS
from children.imports.services import import_file, issues_not_shown_text
from convergence.models import Role, User


class Command(BaseCommand):
    help = "Impor berkas e-PPGBM (.csv/.xls/.xlsx): uji coba (default) atau --commit untuk menerapkan."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="berkas .csv, .xls atau .xlsx")
        parser.add_argument("--commit", action="store_true", help="terapkan (satu transaksi)")
        parser.add_argument(
            "--user", help="nama pengguna pengimpor (wajib bila admin Bappeda lebih dari satu)"
        )
        parser.add_argument(
            "--create-posyandu",
            action="store_true",
            help="buat puskesmas dan posyandu yang disebut berkas tetapi belum ada (admin Bappeda)",
        )

    def _user(self, username: str | None) -> User:
        if username:
            user = User.objects.filter(username=username, is_active=True).first()
            if user is None:
                raise CommandError(f"pengguna {username!r} tidak ditemukan atau tidak aktif")
            return user
        admins = list(User.objects.filter(role=Role.BAPPEDA_ADMIN, is_active=True)[:2])
        if len(admins) != 1:
            raise CommandError("sebutkan --user USERNAME (admin Bappeda tidak tunggal)")
        return admins[0]

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: berkas tidak ditemukan")
        user = self._user(options["user"])
        commit, create_places = options["commit"], options["create_posyandu"]
        try:
            with transaction.atomic():
                report = import_file(
                    source=path, file_name=path.name, user=user, commit=commit, create_places=create_places
                )
        except ValidationError as error:
            raise CommandError(f"{path.name}: {' '.join(error.messages)}") from error
        except PermissionDenied as error:
            if create_places:
                message = f"pengguna {user.username} tidak boleh membuat posyandu (hanya admin Bappeda)"
            else:
                message = f"pengguna {user.username} tidak boleh mengimpor data register"
            raise CommandError(message) from error

        self.stdout.write(f"{'Diterapkan' if commit else 'Uji coba (tidak ada yang disimpan)'}: {path.name}")
        self.stdout.write(f"baris dibaca: {report.rows_total}")
        if report.ignored_columns:
            self.stdout.write(f"kolom diabaikan: {', '.join(report.ignored_columns)}")
        for action in ACTIONS:
            self.stdout.write(f"  {action}: {report.summary[action]}")
        if create_places:
            self._places(report.places, commit)
        if report.issues:
            self.stdout.write("baris\ttindakan\tkolom\tpesan")
            for row_number, action, column, message in report.issues:
                self.stdout.write(f"{row_number}\t{action}\t{column}\t{message}")
        if report.issues_not_stored:
            self.stdout.write(issues_not_shown_text(report.issues_not_stored))
        if not commit:
            self.stdout.write("Jalankan lagi dengan --commit untuk menerapkan.")

    def _places(self, places: list[dict[str, Any]], commit: bool) -> None:
        self.stdout.write(f"{'tempat dibuat' if commit else 'tempat akan dibuat'}: {len(places)}")
        if places:
            self.stdout.write("tingkat\tnama\tkode\tinduk\tkode induk\tbaris")
        for place in places:
            self.stdout.write(
                "\t".join(
                    str(place[key]) for key in ("level", "name", "code", "parent", "parent_code", "rows")
                )
            )
