"""Cell parsers for imported registers: Indonesian dates, decimals with a comma, JK, Cara Ukur, NIK.

Pure (no Django): messages are marked with a local gettext_noop and translated by the pipeline.
Cells arrive as CSV text or as .xlsx values (numbers, dates, datetimes), so every parser takes both.
"""

from __future__ import annotations

import datetime
import re

from children import identity


def gettext_noop(message: str) -> str:
    return message


DATE_UNREADABLE = gettext_noop("Tanggal tidak terbaca (contoh yang benar: 12/01/2024 atau 12 Januari 2024)")
DATE_IMPOSSIBLE = gettext_noop("Tanggal tidak ada di kalender")
NUMBER_UNREADABLE = gettext_noop("Bukan angka")
SEX_UNREADABLE = gettext_noop("Jenis kelamin harus L atau P")
POSITION_UNREADABLE = gettext_noop("Cara ukur harus Berdiri atau Telentang")

_MONTHS = {
    "januari": 1,
    "jan": 1,
    "februari": 2,
    "pebruari": 2,
    "feb": 2,
    "peb": 2,
    "maret": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "mei": 5,
    "may": 5,
    "juni": 6,
    "jun": 6,
    "juli": 7,
    "jul": 7,
    "agustus": 8,
    "agu": 8,
    "agt": 8,
    "ags": 8,
    "aug": 8,
    "august": 8,
    "september": 9,
    "sep": 9,
    "sept": 9,
    "oktober": 10,
    "okt": 10,
    "oct": 10,
    "october": 10,
    "november": 11,
    "nopember": 11,
    "nov": 11,
    "nop": 11,
    "desember": 12,
    "des": 12,
    "dec": 12,
    "december": 12,
    "january": 1,
    "february": 2,
    "march": 3,
    "june": 6,
    "july": 7,
}

# Excel counts days from 1899-12-30 (the 1900 leap-year bug folded in); 2958465 is 9999-12-31.
_EXCEL_EPOCH = datetime.date(1899, 12, 30)
_EXCEL_MAX_SERIAL = 2958465

_NUMERIC = re.compile(r"^(\d{1,4})[/\-.](\d{1,2})[/\-.](\d{1,4})$")
_WORDS = re.compile(r"^(\d{1,2})[\s\-/.]+([a-z]+)\.?[\s\-/.]+(\d{2}|\d{4})$")
_TIME_SUFFIX = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")


def _year(text: str) -> int:
    year = int(text)
    if len(text) <= 2:
        # Two-digit years in registers of children under five are this century.
        year += 2000 if year < 70 else 1900
    return year


def _make(year: int, month: int, day: int) -> tuple[datetime.date | None, str]:
    try:
        return datetime.date(year, month, day), ""
    except ValueError:
        return None, DATE_IMPOSSIBLE


def _from_serial(serial: float) -> tuple[datetime.date | None, str]:
    if not 1 <= serial <= _EXCEL_MAX_SERIAL:
        return None, DATE_UNREADABLE
    return _EXCEL_EPOCH + datetime.timedelta(days=int(serial)), ""


def parse_date_text(text: str) -> tuple[datetime.date | None, str]:
    """(date, "") or (None, message) for one text: dd/mm/yyyy, dd-mm-yyyy, yyyy-mm-dd, "12 Januari 2024",
    "12 Jan 2024", "12-Agu-24", or an Excel serial number written as text ("45321")."""
    text = _TIME_SUFFIX.sub("", text.strip()).strip().lower()
    if not text:
        return None, ""
    match = _NUMERIC.match(text)
    if match:
        first, second, third = match.groups()
        if len(first) == 4:  # yyyy-mm-dd
            return _make(int(first), int(second), int(third))
        if len(third) in (2, 4):  # dd/mm/yyyy, the Indonesian order (never mm/dd)
            return _make(_year(third), int(second), int(first))
        return None, DATE_UNREADABLE
    match = _WORDS.match(text)
    if match:
        day, month_word, year = match.groups()
        month = _MONTHS.get(month_word)
        if month is None:
            return None, DATE_UNREADABLE
        return _make(_year(year), month, int(day))
    if text.isdigit() and 4 <= len(text) <= 7:
        return _from_serial(int(text))
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        return None, DATE_UNREADABLE
    return _from_serial(number)


class DateParser:
    """parse_date with a cache per distinct text: a register holds few distinct dates, many rows."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[datetime.date | None, str]] = {}

    def __call__(self, value: object) -> tuple[datetime.date | None, str]:
        if value is None:
            return None, ""
        if isinstance(value, str):
            found = self._cache.get(value)
            if found is None:
                found = self._cache[value] = parse_date_text(value)
            return found
        return parse_date(value)


def parse_date(value: object) -> tuple[datetime.date | None, str]:
    """(date, "") or (None, message) for a cell: a date, a datetime, an Excel serial, or a text."""
    if value is None or value == "":
        return None, ""
    if isinstance(value, datetime.datetime):
        return value.date(), ""
    if isinstance(value, datetime.date):
        return value, ""
    if isinstance(value, bool):
        return None, DATE_UNREADABLE
    if isinstance(value, int | float):
        return _from_serial(float(value))
    return parse_date_text(str(value))


def parse_decimal(value: object) -> tuple[float | None, str]:
    """(number, "") or (None, message); "12,5" and "12.5" both read 12.5; blank is (None, "").

    With both separators the last one is the decimal point ("1.234,5" and "1,234.5" read 1234.5); a
    lone dot is always a decimal point, a lone comma too ("1,234" reads 1.234): registers write kg and
    cm, never thousands of them.
    """
    if value is None or isinstance(value, bool):
        return None, "" if value is None else NUMBER_UNREADABLE
    if isinstance(value, int | float):
        return (None, NUMBER_UNREADABLE) if value != value else (float(value), "")
    text = str(value).strip().replace(" ", "")
    if not text or text == "-":
        return None, ""
    if "," in text:
        if text.rfind(".") > text.rfind(","):
            text = text.replace(",", "")  # "1,234.5": comma for thousands
        else:
            text = text.replace(".", "").replace(",", ".")  # "1.234,5" or "12,5" (Indonesian)
    try:
        number = float(text)
    except ValueError:
        return None, NUMBER_UNREADABLE
    if number != number or number in (float("inf"), float("-inf")):
        return None, NUMBER_UNREADABLE
    return number, ""


_SEX = {
    "l": "L",
    "lk": "L",
    "laki": "L",
    "lakilaki": "L",
    "pria": "L",
    "m": "L",
    "male": "L",
    "1": "L",
    "p": "P",
    "pr": "P",
    "perempuan": "P",
    "wanita": "P",
    "f": "P",
    "female": "P",
    "2": "P",
}


def _word(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return re.sub(r"[^0-9a-z]", "", str(value).lower()) if value is not None else ""


def parse_sex(value: object) -> tuple[str, str]:
    """("L" or "P", "") or ("", message): L/P, Laki-laki/Perempuan, LK/PR, 1/2."""
    word = _word(value)
    if not word:
        return "", SEX_UNREADABLE
    sex = _SEX.get(word)
    return (sex, "") if sex else ("", SEX_UNREADABLE)


_POSITION = {
    "berdiri": "H",
    "tinggi": "H",
    "tinggibadan": "H",
    "tb": "H",
    "h": "H",
    "standing": "H",
    "telentang": "L",
    "terlentang": "L",
    "tidur": "L",
    "berbaring": "L",
    "panjang": "L",
    "panjangbadan": "L",
    "pb": "L",
    "l": "L",
    "lying": "L",
}


def parse_position(value: object) -> tuple[str, str]:
    """("H" standing / "L" lying / "" not given, "") or ("", message) for Cara Ukur."""
    word = _word(value)
    if not word:
        return "", ""
    position = _POSITION.get(word)
    return (position, "") if position else ("", POSITION_UNREADABLE)


_YES = frozenset({"ya", "y", "yes", "1", "true", "v", "ada", "punya"})
_NO = frozenset({"tidak", "t", "no", "n", "0", "false", "tidakada", "belum"})


def parse_bool(value: object) -> bool | None:
    """True/False from ya/tidak, 1/0, y/n; None when blank or unreadable."""
    word = _word(value)
    if word in _YES:
        return True
    if word in _NO:
        return False
    if word.isdigit():
        return int(word) > 0
    return None


# Characters standing for hidden digits: ours (children.pii.MASK) and the asterisk of other systems.
_MASKED_NIK = re.compile(r"[0-9]*[•*]+[0-9•*]*")


def is_masked_nik(value: object) -> bool:
    """Whether a cell is a NIK with hidden digits ("351001••••••••••", as exports show it to roles
    without the full number): it identifies nobody, so it counts as no NIK at all."""
    return isinstance(value, str) and _MASKED_NIK.fullmatch(value.strip().lstrip("'")) is not None


def parse_nik(
    value: object, *, today: datetime.date, birth_date_hint: datetime.date | None = None
) -> identity.NIKCheck:
    """The NIK check of children.identity on a cell as Excel or a CSV left it (numbers, "'3510...").

    Blank and masked cells are "no NIK" (an empty check), never a value or an error."""
    if isinstance(value, str) and (not value.strip() or is_masked_nik(value)):
        return identity.NIKCheck()
    return identity.check_nik(value, today=today, birth_date_hint=birth_date_hint)


def cell_text(value: object) -> str:
    """A cell as text for the raw values kept with a measurement (numbers without a trailing .0)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)
