"""Kemendagri region codes (kode wilayah), Permendagri 58/2021 structure, dotted form.

Pure functions: no Django imports. Codes are strings, never integers (leading zeros matter).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


def gettext_noop(message: str) -> str:
    """Marks a message for translation (makemessages extracts it); the Django layer translates it."""
    return message


class Level(StrEnum):
    PROVINSI = "provinsi"
    KABUPATEN = "kabupaten"
    KOTA = "kota"
    KECAMATAN = "kecamatan"
    DESA = "desa"
    KELURAHAN = "kelurahan"
    PUSKESMAS = "puskesmas"
    POSYANDU = "posyandu"


REGION_LEVELS = (Level.PROVINSI, Level.KABUPATEN, Level.KOTA, Level.KECAMATAN, Level.DESA, Level.KELURAHAN)
DESA_LEVELS = (Level.DESA, Level.KELURAHAN)
KABUPATEN_LEVELS = (Level.KABUPATEN, Level.KOTA)

# The level a region's parent must have.
PARENT_LEVELS: dict[Level, tuple[Level, ...]] = {
    Level.PROVINSI: (),
    Level.KABUPATEN: (Level.PROVINSI,),
    Level.KOTA: (Level.PROVINSI,),
    Level.KECAMATAN: KABUPATEN_LEVELS,
    Level.DESA: (Level.KECAMATAN,),
    Level.KELURAHAN: (Level.KECAMATAN,),
    Level.PUSKESMAS: (Level.KECAMATAN,),
    Level.POSYANDU: DESA_LEVELS,
}

_PATTERNS = {
    Level.PROVINSI: re.compile(r"^\d{2}$"),
    Level.KABUPATEN: re.compile(r"^\d{2}\.\d{2}$"),
    Level.KOTA: re.compile(r"^\d{2}\.\d{2}$"),
    Level.KECAMATAN: re.compile(r"^\d{2}\.\d{2}\.\d{2}$"),
    Level.DESA: re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$"),
    Level.KELURAHAN: re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$"),
}
_SHAPES = {
    Level.PROVINSI: "pp",
    Level.KABUPATEN: "pp.kk",
    Level.KOTA: "pp.kk",
    Level.KECAMATAN: "pp.kk.cc",
    Level.DESA: "pp.kk.cc.dddd",
    Level.KELURAHAN: "pp.kk.cc.dddd",
}
# Puskesmas and posyandu carry local codes, unique under their parent.
LOCAL_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$")


@dataclass(frozen=True)
class CodeError:
    """Why a code is invalid: a message template (Indonesian msgid) and its parameters."""

    message: str
    params: dict[str, str]


def level_of_code(code: str) -> Level | None:
    """Guess the level of a dotted Kemendagri code from its shape (2/5/8/13 characters)."""
    for level in (Level.PROVINSI, Level.KABUPATEN, Level.KECAMATAN, Level.DESA):
        if _PATTERNS[level].match(code):
            if level is Level.KABUPATEN and int(code[3:5]) >= 71:
                return Level.KOTA
            if level is Level.DESA and code[9] == "1":
                return Level.KELURAHAN
            return level
    return None


def check_region_code(code: str, level: Level, parent_code: str | None = None) -> CodeError | None:
    """Validate `code` for `level` (and against `parent_code`); None when valid."""
    if level in (Level.PUSKESMAS, Level.POSYANDU):
        if not LOCAL_CODE.match(code):
            return CodeError(
                gettext_noop(
                    "Kode %(level)s '%(code)s' tidak valid: gunakan 1-20 huruf/angka (boleh . _ -)."
                ),
                {"level": level.value, "code": code},
            )
        return None
    if not _PATTERNS[level].match(code):
        return CodeError(
            gettext_noop(
                "Kode %(level)s '%(code)s' tidak valid: format yang benar %(shape)s (angka, dipisah titik)."
            ),
            {"level": level.value, "code": code, "shape": _SHAPES[level]},
        )
    parts = code.split(".")
    if parts[0] == "00":
        return CodeError(gettext_noop("Kode provinsi '%(code)s' tidak boleh 00."), {"code": parts[0]})
    if level in KABUPATEN_LEVELS:
        number = int(parts[1])
        if level is Level.KABUPATEN and not 1 <= number <= 69:
            return CodeError(
                gettext_noop(
                    "Kode kabupaten '%(code)s' tidak valid: nomor kabupaten harus 01-69 (71-99 untuk kota)."
                ),
                {"code": code},
            )
        if level is Level.KOTA and not 71 <= number <= 99:
            return CodeError(
                gettext_noop("Kode kota '%(code)s' tidak valid: nomor kota harus 71-99."), {"code": code}
            )
    if level is Level.KECAMATAN and parts[2] == "00":
        return CodeError(
            gettext_noop("Kode kecamatan '%(code)s' tidak valid: nomor kecamatan tidak boleh 00."),
            {"code": code},
        )
    if level in DESA_LEVELS:
        first = parts[3][0]
        if level is Level.KELURAHAN and first != "1":
            return CodeError(
                gettext_noop("Kode kelurahan '%(code)s' tidak valid: digit pertama nomor kelurahan harus 1."),
                {"code": code},
            )
        if level is Level.DESA and first not in "23":
            return CodeError(
                gettext_noop(
                    "Kode desa '%(code)s' tidak valid: digit pertama nomor desa harus 2 (desa) atau 3 (desa adat)."
                ),
                {"code": code},
            )
        if parts[3][1:] == "000":
            return CodeError(
                gettext_noop("Kode %(level)s '%(code)s' tidak valid: nomor urut 000."),
                {"level": level.value, "code": code},
            )
    if parent_code is not None and not code.startswith(parent_code + "."):
        return CodeError(
            gettext_noop("Kode '%(code)s' tidak berada di bawah induknya '%(parent)s'."),
            {"code": code, "parent": parent_code},
        )
    return None


# Official names already carry the level ("Kabupaten Banyuwangi", "Kota Surabaya"); older lists did
# not ("BANYUWANGI"). The level word is printed only when the name does not start with it.
_LEVEL_WORDS: dict[Level, tuple[str, re.Pattern[str]]] = {
    Level.PROVINSI: ("Provinsi", re.compile(r"^(provinsi|prov\.)(\s|$)", re.IGNORECASE)),
    Level.KABUPATEN: ("Kabupaten", re.compile(r"^(kabupaten\b|kab\.|kab\b)", re.IGNORECASE)),
    Level.KOTA: ("Kota", re.compile(r"^kota\b", re.IGNORECASE)),
    Level.KECAMATAN: ("Kecamatan", re.compile(r"^(kecamatan\b|kec\.|kec\b)", re.IGNORECASE)),
    Level.DESA: ("Desa", re.compile(r"^desa\b", re.IGNORECASE)),
    Level.KELURAHAN: ("Kelurahan", re.compile(r"^(kelurahan\b|kel\.|kel\b)", re.IGNORECASE)),
    Level.PUSKESMAS: ("Puskesmas", re.compile(r"^(puskesmas\b|pkm\b)", re.IGNORECASE)),
    Level.POSYANDU: ("Posyandu", re.compile(r"^posyandu\b", re.IGNORECASE)),
}


def name_with_level(name: str, level: Level | str, word: str | None = None) -> str:
    """`name` with its level word in front, unless the name already starts with it.

    'Banyuwangi' -> 'Kabupaten Banyuwangi'; 'Kabupaten Banyuwangi', 'KAB. BANYUWANGI' unchanged.
    `word` is the (translated) level word to print; the Indonesian one by default.
    """
    default, pattern = _LEVEL_WORDS[Level(level)]
    if pattern.match(name.strip()):
        return name
    return f"{word or default} {name}"
