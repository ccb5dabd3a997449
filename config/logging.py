"""Log filters. A NIK is personal data (UU 27/2022) and must never reach a log line."""

from __future__ import annotations

import logging

from children.pii import redact_identifiers as redact


class RedactNIKFilter(logging.Filter):
    """Masks 16-digit numbers in the message and exception text of every record.

    The mask is children.pii.mask_identifier: the one rule for NIK and KK numbers.
    """

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
