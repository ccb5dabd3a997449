"""`python manage.py pii_rekey`: re-encrypt NIK, KK and stored uploads under the current keys (rotation)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from children.pii_rotation import pii_rekey


class Command(BaseCommand):
    help = (
        "Enkripsi ulang semua NIK, nomor KK dan berkas impor dengan kunci pertama PII_ENCRYPTION_KEYS, "
        "dan hitung ulang hash dengan PII_HASH_KEY. Jalankan setelah mengganti kunci (docs/privacy.md)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for table, count in pii_rekey().items():
            self.stdout.write(f"{table}: {count}")
