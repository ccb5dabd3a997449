"""Place names as files write them: one key to compare them, and generated local codes. Pure: no Django.

e-PPGBM exports, Kemendagri lists and hand-made registers spell the same place differently
("Kec. Cluring", "KECAMATAN CLURING", "cluring"; "Desa Sumber-Agung", "SUMBERAGUNG"), so places are
compared by `place_name_key`, never by their text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# A leading level word, repeated ("UPTD Puskesmas", "Kec.", "Desa"). A word ends at a dot, a space or
# punctuation: "Kabat" and "Kelapa" keep their first letters. "Kota" is left alone: it starts many
# kelurahan names ("Kota Lama").
_LEVEL_PREFIX = re.compile(
    r"^(?:\W*(?:uptd?\W*puskesmas|puskesmas|pkm|posyandu|kabupaten|kab|kecamatan|kec|kelurahan|kel|desa)"
    r"(?![0-9a-z]))+\W*",
    re.IGNORECASE,
)
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")

# Local codes the application gives to a puskesmas or posyandu that a file named before any official
# list did: recognisable, and replaced by the official code when a list names the place (load_regions).
GENERATED_CODE_PREFIX = "IMP-"


def place_name_key(text: object) -> str:
    """'Kec. Sumber-Agung ' -> 'sumberagung': no level prefix, case, spacing or punctuation.

    The prefix is kept when nothing else is left ("Desa" alone stays "desa").
    """
    name = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    key = _NOT_ALNUM.sub("", _LEVEL_PREFIX.sub("", name))
    return key or _NOT_ALNUM.sub("", name)


def place_display_name(text: object, *, max_length: int = 120) -> str:
    """The name as written, without a leading level word ("Posyandu Mawar" -> "Mawar").

    Pages print the level before the name (`Posyandu.__str__`), so a stored prefix would show twice.
    """
    name = " ".join(unicodedata.normalize("NFKC", str(text or "")).split())
    stripped = _LEVEL_PREFIX.sub("", name).strip()
    return (stripped or name)[:max_length]


def generated_code_next(taken: Iterable[str]) -> str:
    """The first free 'IMP-001', 'IMP-002', ... among the codes `taken` under one parent."""
    used = {code.upper() for code in taken}
    number = 1
    while f"{GENERATED_CODE_PREFIX}{number:03d}" in used:
        number += 1
    return f"{GENERATED_CODE_PREFIX}{number:03d}"
