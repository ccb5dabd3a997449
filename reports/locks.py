"""The lock a summary writer takes for its chunk, and the versions readers cache against."""

from __future__ import annotations

import hashlib
import uuid

from django.core.cache import cache
from django.db import connection, transaction

from convergence.models import AssessmentGrade


def lock(key: str) -> None:
    """Serialise writers of one chunk (PostgreSQL advisory lock, released at commit).

    SQLite serialises writers itself.
    """
    if connection.vendor != "postgresql":
        return
    number = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [number])


def _version_key(kabupaten_code: str) -> str:
    return f"reports:summaries:{kabupaten_code}"


def summaries_version(kabupaten_code: str) -> str:
    """Changes whenever a recompute writes a summary row of the kabupaten: pages cache against it."""
    return cache.get(_version_key(kabupaten_code)) or "0"


def _province_key(provinsi_code: str) -> str:
    return f"reports:province-figures:{provinsi_code}"


def area_versions(kabupaten_codes: list[str]) -> str:
    """One version for an area of many kabupaten (a province, the nation): changes when a summary of any
    of them is rewritten, or a grade or the target path of any of their provinces is saved.

    One cache round trip whatever the number of kabupaten."""
    provinces = sorted({code.split(".")[0] for code in kabupaten_codes})
    keys = [_version_key(code) for code in kabupaten_codes] + [_province_key(code) for code in provinces]
    found = cache.get_many(keys)
    joined = ",".join(f"{key}={found.get(key) or '0'}" for key in keys)
    return hashlib.blake2b(joined.encode(), digest_size=10).hexdigest()


def summaries_changed(kabupaten_code: str) -> None:
    """A new version once the writing transaction commits (readers never cache uncommitted rows)."""
    transaction.on_commit(lambda: cache.set(_version_key(kabupaten_code), uuid.uuid4().hex, None))


def province_figures_changed(provinsi_code: str) -> None:
    """A grade of one of the province's kabupaten or its target path was saved: a new version of the
    province's figures once the transaction commits (the province and national dashboards read it)."""
    transaction.on_commit(lambda: cache.set(_province_key(provinsi_code), uuid.uuid4().hex, None))


def assessment_grade_changed(sender: type, instance: AssessmentGrade, **kwargs: object) -> None:
    """post_save/post_delete of an AssessmentGrade (connected in ReportsConfig.ready): the grades are the
    convergence app's, which may not call into reports."""
    province_figures_changed(instance.kabupaten.code.split(".")[0])
