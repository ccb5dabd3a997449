"""Import deliveries from an OPD spreadsheet as a user: a dry run unless --commit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from convergence.models import User
from convergence.uploads import refusal_text
from interventions.imports import REJECTED, UnreadableFile, delivery_import, message_text, read_rows


class Command(BaseCommand):
    help = "Impor penyaluran intervensi dari berkas .csv/.xlsx OPD (uji coba kecuali --commit)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument(
            "--user", required=True, help="Nama pengguna yang mengimpor (hak aksesnya berlaku)"
        )
        parser.add_argument("--commit", action="store_true", help="Simpan baris yang sah")

    def handle(self, *args: Any, file: str, user: str, commit: bool, **options: Any) -> None:
        account = User.objects.filter(username=user, is_active=True).first()
        if account is None:
            raise CommandError(_("Pengguna %(user)s tidak ditemukan.") % {"user": user})
        path = Path(file)
        try:
            with path.open("rb") as handle:
                rows = read_rows(handle, path.name)
        except UnreadableFile as error:
            raise CommandError(refusal_text(error)) from error
        except OSError as error:
            raise CommandError(str(error)) from error
        report = delivery_import(user=account, rows=rows, commit=commit)
        for row in report.rows:
            if row.status == REJECTED:
                reasons = "; ".join(message_text(message) for message in row.messages)
                self.stdout.write(
                    _("Baris %(row)d ditolak: %(reasons)s") % {"row": row.row_number, "reasons": reasons}
                )
        summary = report.summary
        self.stdout.write(
            _("%(mode)s: %(created)d baru, %(unchanged)d sudah ada, %(rejected)d ditolak.")
            % {
                "mode": _("Diterapkan") if report.applied else _("Uji coba"),
                "created": summary["baru"],
                "unchanged": summary["sudah ada"],
                "rejected": summary["ditolak"],
            }
        )
