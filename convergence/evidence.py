"""Checks on uploaded evidence documents: type by extension and by content, size, digest, stored name.

A file is accepted only when its extension and its first bytes agree on one of the allowed types, so a
renamed executable or an HTML page called `.pdf` is refused. Office files are ZIP containers: a DOCX
must hold `word/`, an XLSX `xl/`.
"""

from __future__ import annotations

import hashlib
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from convergence.uploads import MAX_XLSX_MEMBERS, UploadRefused, zip_member_count

# Scanned berita acara, signed decrees of several pages and phone photos are 1-6 MB; 10 MB leaves room
# for a long scanned Perbup while keeping an upload well inside the web server's request limit and the
# district server's disk (documents are kept for the provincial assessment, year after year).
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024

_PDF = b"%PDF-"
_JPEG = b"\xff\xd8\xff"
_PNG = b"\x89PNG\r\n\x1a\n"
_ZIP = b"PK\x03\x04"

# extension -> (magic prefix, folder an Office ZIP must contain or "")
ALLOWED_TYPES: dict[str, tuple[bytes, str]] = {
    ".pdf": (_PDF, ""),
    ".jpg": (_JPEG, ""),
    ".jpeg": (_JPEG, ""),
    ".png": (_PNG, ""),
    ".docx": (_ZIP, "word/"),
    ".xlsx": (_ZIP, "xl/"),
}
CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class CheckedEvidence:
    extension: str
    size_bytes: int
    sha256: str
    original_name: str


def _refuse(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


def _allowed_list() -> str:
    return "PDF, JPG, PNG, DOCX, XLSX"


def _zip_has_folder(upload: UploadedFile, folder: str) -> bool:
    upload.seek(0)
    try:
        # zipfile builds an object per listed member: an archive listing a million is refused first.
        if zip_member_count(upload, upload.size or 0) > MAX_XLSX_MEMBERS:
            return False
        upload.seek(0)
        with zipfile.ZipFile(upload) as archive:
            return any(name.startswith(folder) for name in archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, UploadRefused):
        return False
    finally:
        upload.seek(0)


def evidence_check(*, upload: UploadedFile) -> CheckedEvidence:
    """Validate an uploaded evidence file; ValidationError on the field "file" when it is refused.

    Reads the file once for its SHA-256 (in chunks: an upload may be on disk) and leaves it rewound.
    """
    original_name = PurePath(upload.name or "").name[:200]
    extension = PurePath(original_name).suffix.lower()
    if extension not in ALLOWED_TYPES:
        raise _refuse(_("Jenis berkas tidak diizinkan. Pilih berkas %(types)s.") % {"types": _allowed_list()})
    size = upload.size or 0
    if size > MAX_EVIDENCE_BYTES:
        raise _refuse(
            _("Berkas terlalu besar (%(size)s); batasnya %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(MAX_EVIDENCE_BYTES)}
        )
    if size == 0:
        raise _refuse(_("Berkas kosong."))
    magic, folder = ALLOWED_TYPES[extension]
    upload.seek(0)
    head = upload.read(len(magic))
    upload.seek(0)
    if head != magic or (folder and not _zip_has_folder(upload, folder)):
        raise _refuse(
            _("Isi berkas tidak sesuai dengan jenisnya (%(extension)s).")
            % {"extension": extension.lstrip(".")}
        )
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedEvidence(
        extension=extension, size_bytes=size, sha256=digest.hexdigest(), original_name=original_name
    )


def stored_name(extension: str) -> str:
    """A random file name with the checked extension; the user's name is kept only in the database."""
    return f"{uuid.uuid4().hex}{extension}"
