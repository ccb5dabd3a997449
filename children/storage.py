"""Uploaded registers at rest: sealed with the personal-data key, opened in memory by the import job.

An e-PPGBM export or a posyandu register holds NIK, names and birth dates in plaintext. The copy kept for
the dry run and the apply is encrypted (children.pii.encrypt_bytes), so a copy of the media volume or a
backup holds no readable personal data; files are deleted after IMPORT_FILE_RETENTION_DAYS.
"""

from __future__ import annotations

import io

from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage

from children import pii


class EncryptedFileSystemStorage(FileSystemStorage):
    """FileSystemStorage whose files are AES-GCM sealed on disk and plain when opened."""

    def _save(self, name: str, content: File) -> str:
        content.seek(0)
        sealed = pii.encrypt_bytes(content.read())
        # Django's storage hooks _save/_open are private and absent from its type stubs.
        return super()._save(name, ContentFile(sealed))  # type: ignore[misc]

    def _open(self, name: str, mode: str = "rb") -> File:
        if "w" in mode or "a" in mode or "+" in mode:
            raise ValueError("encrypted uploads are written through save() only")
        with super()._open(name, "rb") as handle:  # type: ignore[misc]
            plain = pii.decrypt_bytes(handle.read())
        return File(io.BytesIO(plain) if "b" in mode else io.StringIO(plain.decode()), name=name)


def import_storage() -> EncryptedFileSystemStorage:
    """The storage of ImportJob.file (a callable, so that settings are read at run time)."""
    return EncryptedFileSystemStorage()
