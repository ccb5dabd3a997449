"""Key rotation for personal data at rest: every NIK, KK number and stored upload under the current keys.

After a new key is put first in PII_ENCRYPTION_KEYS (old keys kept after it to decrypt), or a new
PII_HASH_KEY is set, `pii_rekey` rewrites each ciphertext under the first key and each keyed hash under
the hash key, history tables included. Once it has run, the old keys can be removed from the settings.
"""

from __future__ import annotations

from django.db import models, transaction

from children import pii
from children.models import Child, ImportJob, Keluarga, Person

BATCH = 2_000

# (model, encrypted field, hash field): the live tables and their django-simple-history copies.
_COLUMNS: list[tuple[type[models.Model], str, str]] = [
    (Child, "nik_encrypted", "nik_hash"),
    (Person, "nik_encrypted", "nik_hash"),
    (Keluarga, "kk_encrypted", "kk_hash"),
]


def _tables() -> list[tuple[type[models.Model], str, str]]:
    tables = []
    for model, encrypted, hashed in _COLUMNS:
        tables.append((model, encrypted, hashed))
        tables.append((model.history.model, encrypted, hashed))  # type: ignore[attr-defined]
    return tables


def _rekey_table(model: type[models.Model], encrypted: str, hashed: str) -> int:
    rows = model._default_manager.exclude(**{encrypted: ""}).order_by("pk").only(encrypted, hashed)
    count, batch = 0, []
    for row in rows.iterator(chunk_size=BATCH):
        plain = pii.decrypt(getattr(row, encrypted))
        setattr(row, encrypted, pii.encrypt(plain))
        setattr(row, hashed, pii.nik_hash(plain))
        batch.append(row)
        if len(batch) == BATCH:
            model._default_manager.bulk_update(batch, [encrypted, hashed])
            count, batch = count + len(batch), []
    model._default_manager.bulk_update(batch, [encrypted, hashed])
    return count + len(batch)


# Models whose `file` is sealed by children.storage (with a `file_deleted_at`): ImportJob, and those of
# higher apps, which register at start-up (children never imports them).
_SEALED_UPLOADS: list[type[models.Model]] = [ImportJob]


def sealed_uploads_register(model: type[models.Model]) -> None:
    """Have pii_rekey reseal the stored uploads of `model` too (called from an AppConfig.ready)."""
    if model not in _SEALED_UPLOADS:
        _SEALED_UPLOADS.append(model)


def _reseal_uploads() -> int:
    count = 0
    for model in _SEALED_UPLOADS:
        jobs = model._default_manager.exclude(file="").filter(file_deleted_at__isnull=True)
        for job in jobs.iterator():
            storage = job.file.storage  # type: ignore[attr-defined]
            name = job.file.name  # type: ignore[attr-defined]
            if not storage.exists(name):
                continue
            with storage.open(name, "rb") as handle:
                plain = handle.read()
            with open(storage.path(name), "wb") as handle:
                handle.write(pii.encrypt_bytes(plain))
            count += 1
    return count


def pii_rekey() -> dict[str, int]:
    """Rewrite every NIK/KK ciphertext and hash, and every stored upload, under the current keys.

    One transaction per table: a failure leaves each table either all old or all new, both readable
    while the old keys stay in PII_ENCRYPTION_KEYS. Returns the rows rewritten per table.
    """
    counts = {}
    for model, encrypted, hashed in _tables():
        with transaction.atomic():
            counts[model._meta.db_table] = _rekey_table(model, encrypted, hashed)
    counts["uploads"] = _reseal_uploads()
    return counts
