"""Log filters. A NIK is personal data (UU 27/2022) and must never reach a log line."""

from __future__ import annotations

import logging
import re

# 16 digits standing alone: a NIK or KK number (also a raw card or account number: masked just the same).
_SIXTEEN_DIGITS = re.compile(r"(?<!\d)\d{16}(?!\d)")


def redact(text: str) -> str:
    return _SIXTEEN_DIGITS.sub("[NIK disamarkan]", text)


class RedactNIKFilter(logging.Filter):
    """Replaces 16-digit numbers in the formatted message (and exception text) of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
