"""NIK protection: AES-GCM encryption at rest, a keyed hash for exact look-up, masking for display.

The ciphertext is "v1.<key id>.<base64(nonce + ciphertext)>"; the key id lets older keys in
settings.PII_ENCRYPTION_KEYS keep decrypting after a rotation. The hash is HMAC-SHA256 under a
separate key, so equal NIKs can be found without decrypting and a dump cannot be brute-forced
over the (small) NIK space without the key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from collections.abc import Iterable
from functools import cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

_VERSION = "v1"


def _key_bytes(key: str) -> bytes:
    return base64.urlsafe_b64decode(key.encode())


def _key_id(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:8]


@cache
def _ciphers(keys: tuple[str, ...]) -> tuple[tuple[str, AESGCM], dict[str, AESGCM]]:
    by_id = {}
    for key in keys:
        raw = _key_bytes(key)
        by_id[_key_id(raw)] = AESGCM(raw)
    current_raw = _key_bytes(keys[0])
    return (_key_id(current_raw), by_id[_key_id(current_raw)]), by_id


@cache
def _hash_key(key: str) -> bytes:
    return _key_bytes(key)


def encrypt(plaintext: str) -> str:
    """Ciphertext of `plaintext` under the current key ("" stays "")."""
    if not plaintext:
        return ""
    (key_id, cipher), _ = _ciphers(tuple(settings.PII_ENCRYPTION_KEYS))
    nonce = os.urandom(12)
    sealed = cipher.encrypt(nonce, plaintext.encode(), None)
    return f"{_VERSION}.{key_id}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def encrypt_many(values: Iterable[str]) -> list[str]:
    """encrypt() over a batch (the bulk import path): one key lookup, one nonce read per value."""
    (key_id, cipher), _ = _ciphers(tuple(settings.PII_ENCRYPTION_KEYS))
    prefix = f"{_VERSION}.{key_id}."
    out = []
    for value in values:
        if not value:
            out.append("")
            continue
        nonce = os.urandom(12)
        out.append(
            prefix + base64.urlsafe_b64encode(nonce + cipher.encrypt(nonce, value.encode(), None)).decode()
        )
    return out


def decrypt(token: str) -> str:
    """Plaintext of a ciphertext made by encrypt(); "" for ""; ValueError when no key opens it."""
    if not token:
        return ""
    version, key_id, body = token.split(".", 2)
    if version != _VERSION:
        raise ValueError("unknown PII ciphertext version")
    _, by_id = _ciphers(tuple(settings.PII_ENCRYPTION_KEYS))
    cipher = by_id.get(key_id)
    if cipher is None:
        raise ValueError("no configured key decrypts this value")
    data = base64.urlsafe_b64decode(body.encode())
    return cipher.decrypt(data[:12], data[12:], None).decode()


_FILE_MAGIC = b"KSPII1"


def encrypt_bytes(data: bytes) -> bytes:
    """A whole file sealed under the current key: magic, key id, nonce, then AES-GCM ciphertext."""
    (key_id, cipher), _ = _ciphers(tuple(settings.PII_ENCRYPTION_KEYS))
    nonce = os.urandom(12)
    return _FILE_MAGIC + key_id.encode() + nonce + cipher.encrypt(nonce, data, None)


def decrypt_bytes(sealed: bytes) -> bytes:
    """The plaintext of encrypt_bytes(); ValueError when it is not such a file or no key opens it."""
    if not sealed.startswith(_FILE_MAGIC):
        raise ValueError("not an encrypted file")
    body = sealed[len(_FILE_MAGIC) :]
    key_id, nonce, ciphertext = body[:8].decode(), body[8:20], body[20:]
    _, by_id = _ciphers(tuple(settings.PII_ENCRYPTION_KEYS))
    cipher = by_id.get(key_id)
    if cipher is None:
        raise ValueError("no configured key decrypts this file")
    return cipher.decrypt(nonce, ciphertext, None)


def nik_hash(nik: str) -> str:
    """Keyed hash (64 hex characters) of a normalised 16-digit NIK or KK; "" for ""."""
    if not nik:
        return ""
    return hmac.new(_hash_key(settings.PII_HASH_KEY), nik.encode(), hashlib.sha256).hexdigest()


def nik_hash_many(values: Iterable[str]) -> list[str]:
    """nik_hash() over a batch: the key is set up once and its HMAC state copied per value (the same
    digest, a third of the work)."""
    keyed = hmac.new(_hash_key(settings.PII_HASH_KEY), digestmod=hashlib.sha256)
    out = []
    for value in values:
        if value:
            mac = keyed.copy()
            mac.update(value.encode())
            out.append(mac.hexdigest())
        else:
            out.append("")
    return out


# The first six digits of a NIK or KK are the code of the kecamatan that issued it: a region these roles
# see anyway. The rest (birth date, serial) is what identifies the person, and is never shown.
REGION_DIGITS = 6
MASK = "•"


def mask_identifier(number: str) -> str:
    """The one masking rule for NIK and KK numbers: the region part, then a dot for every other digit.

    Anything that is not a 16-digit number (a damaged cell, an already masked value) shows no digit.
    """
    if not number:
        return ""
    if len(number) == 16 and number.isdigit():
        return number[:REGION_DIGITS] + MASK * (16 - REGION_DIGITS)
    return MASK * len(number)


# 16 digits standing alone: a NIK or KK number (a card or account number is masked just the same).
_SIXTEEN_DIGITS = re.compile(r"(?<!\d)\d{16}(?!\d)")


def redact_identifiers(text: str) -> str:
    """`text` with every 16-digit number masked by mask_identifier (log lines, error texts)."""
    return _SIXTEEN_DIGITS.sub(lambda match: mask_identifier(match.group()), text)
