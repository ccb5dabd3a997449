"""Identity rules of the registry, pure: NIK and KK validation, Excel damage recovery, name matching.

No Django here: messages are marked with a local gettext_noop and translated where they are shown.
NIK (domain.md 7.2): PPKKCC DDMMYY SSSS; DD + 40 for women; the region prefix is the kecamatan of
registration (which may be an old one, so a mismatch with the address is not an error).
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher


def gettext_noop(message: str) -> str:
    return message


# Kemendagri province codes (Kepmendagri 300.2.2-2138/2025: 38 provinces).
PROVINCE_CODES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "16",
        "17",
        "18",
        "19",
        "21",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "51",
        "52",
        "53",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "72",
        "73",
        "74",
        "75",
        "76",
        "81",
        "82",
        "91",
        "92",
        "93",
        "94",
        "95",
        "96",
    ]
)

# Above 2**53 a float no longer holds every integer: a 16-digit NIK read by Excel as a number
# survives only below it.
_FLOAT_EXACT_LIMIT = 2**53

_DIGITS = re.compile(r"\d{16}")
_SCIENTIFIC = re.compile(r"^\d(?:[.,]\d+)?[eE]\+?\d+$")
_TRAILING_ZEROS = re.compile(r"\d{16}\.0+")
_SEPARATORS = re.compile(r"[\s.\-]")


@dataclass(frozen=True)
class NIKCheck:
    """Result of checking one NIK: the normalised 16 digits, or an error (a gettext_noop message)."""

    nik: str = ""
    error: str = ""
    birth_date: datetime.date | None = None
    sex: str = ""  # "L"/"P" from the +40 rule

    @property
    def ok(self) -> bool:
        return bool(self.nik) and not self.error


def recover_digits(value: object) -> tuple[str, str]:
    """The 16-digit text of a NIK/KK cell as Excel or a CSV left it: (digits, error message or "").

    Recovers integers, floats below 2**53 and texts like "3510014107230001.0" or "'3510...";
    refuses scientific notation ("3.51001E+15": the last digits are gone) and numbers past 2**53.
    """
    if value is None:
        return "", ""
    if type(value) is str and len(value) == 16 and value.isdecimal():
        return value, ""  # the common case, as the _DIGITS check below would accept it (\d is Nd)
    if isinstance(value, bool):
        return "", gettext_noop("NIK/KK harus 16 angka")
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        if value != value or value <= 0:
            return "", gettext_noop("NIK/KK harus 16 angka")
        if value >= _FLOAT_EXACT_LIMIT or value != int(value):
            return "", gettext_noop(
                "NIK/KK rusak karena disimpan sebagai angka oleh Excel; tulis ulang sebagai teks"
            )
        text = str(int(value))
    else:
        text = str(value).strip().lstrip("'`").strip()
        if not text or text in {"-", "0"}:
            return "", ""
        if _SCIENTIFIC.match(text):
            return "", gettext_noop(
                "NIK/KK dalam notasi ilmiah (mis. 3.51E+15): angka terakhirnya hilang; tulis ulang sebagai teks"
            )
        text = _SEPARATORS.sub("", text) if not _TRAILING_ZEROS.fullmatch(text) else text.split(".")[0]
    if not _DIGITS.fullmatch(text):
        return "", gettext_noop("NIK/KK harus tepat 16 angka")
    return text, ""


def _century(two_digits: int, today: datetime.date, hint: datetime.date | None) -> int:
    if hint is not None and hint.year % 100 == two_digits:
        return hint.year - two_digits
    return 2000 if 2000 + two_digits <= today.year else 1900


def check_nik(
    value: object, *, today: datetime.date, birth_date_hint: datetime.date | None = None
) -> NIKCheck:
    """Check a NIK as entered: 16 digits, a known province, a real birth date (+40 for women), serial.

    Empty input is fine (NIK is optional) and gives NIKCheck(). `birth_date_hint` resolves the century.
    """
    digits, error = recover_digits(value)
    if error:
        return NIKCheck(error=error)
    if not digits:
        return NIKCheck()
    if digits[:2] not in PROVINCE_CODES:
        return NIKCheck(error=gettext_noop("NIK diawali kode provinsi yang tidak dikenal"))
    if digits[2:4] == "00" or digits[4:6] == "00":
        return NIKCheck(error=gettext_noop("NIK memuat kode kabupaten/kecamatan yang tidak sah"))
    day, month, year2 = int(digits[6:8]), int(digits[8:10]), int(digits[10:12])
    sex = "P" if day > 40 else "L"
    if sex == "P":
        day -= 40
    try:
        born = datetime.date(_century(year2, today, birth_date_hint) + year2, month, day)
    except ValueError:
        return NIKCheck(
            error=gettext_noop("NIK memuat tanggal lahir yang tidak ada (perempuan: tanggal + 40)")
        )
    if born > today:
        return NIKCheck(error=gettext_noop("NIK memuat tanggal lahir di masa depan"))
    if digits[12:] == "0000":
        return NIKCheck(error=gettext_noop("NIK memuat nomor urut 0000"))
    return NIKCheck(nik=digits, birth_date=born, sex=sex)


def nik_warnings(check: NIKCheck, *, sex: str, birth_date: datetime.date | None) -> list[str]:
    """Warnings (not errors) when the NIK disagrees with the record's sex or birth date."""
    warnings: list[str] = []
    if not check.ok:
        return warnings
    if sex and check.sex != sex:
        warnings.append(gettext_noop("Jenis kelamin menurut NIK berbeda dengan data"))
    if (
        birth_date is not None
        and check.birth_date is not None
        and (check.birth_date.day, check.birth_date.month, check.birth_date.year % 100)
        != (birth_date.day, birth_date.month, birth_date.year % 100)
    ):
        warnings.append(gettext_noop("Tanggal lahir menurut NIK berbeda dengan data"))
    return warnings


def check_kk(value: object, *, today: datetime.date) -> tuple[str, str]:
    """Check a KK number: (normalised digits, error message or ""). Its date part is the issue date."""
    digits, error = recover_digits(value)
    if error or not digits:
        return "", error
    if digits[:2] not in PROVINCE_CODES:
        return "", gettext_noop("Nomor KK diawali kode provinsi yang tidak dikenal")
    day, month, year2 = int(digits[6:8]), int(digits[8:10]), int(digits[10:12])
    try:
        issued = datetime.date(_century(year2, today, None) + year2, month, day)
    except ValueError:
        return "", gettext_noop("Nomor KK memuat tanggal yang tidak ada")
    if issued > today:
        return "", gettext_noop("Nomor KK memuat tanggal di masa depan")
    return digits, ""


_TITLES = re.compile(r"\b(an|by|bayi|ny|nn|tn|sdr|sdri|alm|almh|h|hj|dr|ir)\b\.?", re.IGNORECASE)
_NOT_LETTERS = re.compile(r"[^A-Za-z ]+")


def normalise_name(name: str) -> str:
    """Upper-case letters only, titles ("By.", "An.", "Ny.") dropped, spaces collapsed: for matching."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = _TITLES.sub(" ", text)
    text = _NOT_LETTERS.sub(" ", text)
    return " ".join(text.upper().split())


def name_similarity(a: str, b: str) -> float:
    """Similarity in [0, 1] of two names after normalisation (word order ignored)."""
    left, right = normalise_name(a), normalise_name(b)
    if not left or not right:
        return 0.0
    if left == right:
        return 1.0
    ordered = SequenceMatcher(None, left, right).ratio()
    unordered = SequenceMatcher(None, " ".join(sorted(left.split())), " ".join(sorted(right.split()))).ratio()
    return max(ordered, unordered)


# Above this two names of children born the same day in one desa are queued as likely duplicates.
SIMILAR_NAME_THRESHOLD = 0.85
