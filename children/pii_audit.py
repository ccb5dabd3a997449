"""Is any NIK or KK number readable in a database dump, a backup or the media folder?

The registry's own numbers are the reference: each is decrypted here and the files are scanned for it as
plain digits. Used by `pii_dump_check` (operators after a backup, and CI on the demo database).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from children import pii
from children.models import Child, Keluarga, Person

_SIXTEEN_DIGITS = re.compile(rb"(?<!\d)\d{16}(?!\d)")
CHUNK_BYTES = 8 * 1024 * 1024


def registry_identifiers() -> set[bytes]:
    """Every NIK and KK number of the registry, in plaintext (in memory only)."""
    found: set[bytes] = set()
    for model, column in ((Child, "nik_encrypted"), (Person, "nik_encrypted"), (Keluarga, "kk_encrypted")):
        values = model._default_manager.exclude(**{column: ""}).values_list(column, flat=True)
        found.update(pii.decrypt(value).encode() for value in values.iterator(chunk_size=5_000))
    return found


def plaintext_hits(path: Path, identifiers: set[bytes]) -> int:
    """How many registry numbers appear as plain digits in the file at `path` (streamed)."""
    hits, tail = 0, b""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            data = tail + chunk
            # A number starting in the last 16 bytes may go on in the next chunk: it is counted then.
            cut = max(0, len(data) - 16)
            hits += sum(
                1
                for match in _SIXTEEN_DIGITS.finditer(data)
                if match.start() < cut and match.group() in identifiers
            )
            tail = data[cut:]
        hits += sum(1 for match in _SIXTEEN_DIGITS.finditer(tail) if match.group() in identifiers)
    return hits


def files_under(paths: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        out.extend(sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path])
    return out
