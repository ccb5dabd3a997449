"""Small integer codes shared by the growth engine: sex, measuring position and row errors (bit flags).

Also the parsers that turn what people type (M/F, L/P, L/H, telentang/berdiri, ya/tidak) into those
codes, vectorised over object arrays so that an import of a whole spreadsheet parses in one pass.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .tables import SEX_FEMALE, SEX_MALE

SEX_INVALID = 0

MEASURED_UNKNOWN = 0  # no position given: WHO assumes lying under 731 days, standing from 731 days
MEASURED_LYING = 1  # recumbent length (PB, telentang)
MEASURED_STANDING = 2  # standing height (TB, berdiri)
MEASURED_INVALID = -1

# Row errors, combined as bit flags in one uint16 per row; the message maps live in classify.py.
ERROR_SEX = 1
ERROR_AGE_NEGATIVE = 2
ERROR_AGE_OVER = 4  # older than the tables (1856 days)
ERROR_WEIGHT = 8
ERROR_HEIGHT = 16
ERROR_MEASURED = 32
ERROR_STANDING_UNDER_9_MONTHS = 64
ERROR_AGE_MISSING = 128
ERROR_HEAD = 256
ERROR_ARM = 512
ERROR_OEDEMA = 1024

ERROR_BITS = (
    ERROR_SEX,
    ERROR_AGE_MISSING,
    ERROR_AGE_NEGATIVE,
    ERROR_AGE_OVER,
    ERROR_WEIGHT,
    ERROR_HEIGHT,
    ERROR_MEASURED,
    ERROR_STANDING_UNDER_9_MONTHS,
    ERROR_HEAD,
    ERROR_ARM,
    ERROR_OEDEMA,
)

_SEX_WORDS = {
    "1": SEX_MALE,
    "m": SEX_MALE,
    "male": SEX_MALE,
    "l": SEX_MALE,
    "laki-laki": SEX_MALE,
    "lk": SEX_MALE,
    "2": SEX_FEMALE,
    "f": SEX_FEMALE,
    "female": SEX_FEMALE,
    "p": SEX_FEMALE,
    "perempuan": SEX_FEMALE,
    "pr": SEX_FEMALE,
}
_MEASURED_WORDS = {
    "": MEASURED_UNKNOWN,
    "l": MEASURED_LYING,
    "lying": MEASURED_LYING,
    "length": MEASURED_LYING,
    "telentang": MEASURED_LYING,
    "terlentang": MEASURED_LYING,
    "pb": MEASURED_LYING,
    "h": MEASURED_STANDING,
    "standing": MEASURED_STANDING,
    "height": MEASURED_STANDING,
    "berdiri": MEASURED_STANDING,
    "tb": MEASURED_STANDING,
}
_OEDEMA_WORDS = {
    "": False,
    "n": False,
    "no": False,
    "t": False,
    "tidak": False,
    "0": False,
    "false": False,
    "y": True,
    "yes": True,
    "ya": True,
    "1": True,
    "true": True,
}


def _words(values: Iterable[object]) -> list[str]:
    return ["" if value is None else str(value).strip().lower() for value in values]


def parse_sex(values: Iterable[object]) -> np.ndarray:
    """Sex codes (int8: 1 boys, 2 girls, 0 unreadable) from M/F, L/P, 1/2, male/female, laki-laki/perempuan."""
    return np.array([_SEX_WORDS.get(word, SEX_INVALID) for word in _words(values)], dtype=np.int8)


def parse_measured(values: Iterable[object]) -> np.ndarray:
    """Position codes (int8: 1 lying, 2 standing, 0 not given, -1 unreadable) from L/H, telentang/berdiri."""
    return np.array([_MEASURED_WORDS.get(word, MEASURED_INVALID) for word in _words(values)], dtype=np.int8)


def parse_oedema(values: Iterable[object]) -> tuple[np.ndarray, np.ndarray]:
    """(oedema, unreadable) bool arrays from y/n, ya/tidak, 1/0, true/false; blank means no oedema."""
    words = _words(values)
    oedema = np.array([_OEDEMA_WORDS.get(word, False) for word in words], dtype=bool)
    unreadable = np.array([word not in _OEDEMA_WORDS for word in words], dtype=bool)
    return oedema, unreadable
