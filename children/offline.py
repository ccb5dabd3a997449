"""The growth engine's reference data and the measurement rules as JSON documents, for the offline posyandu page.

The page computes z-scores, Permenkes categories and N/T/2T on the phone (static/children/growth_engine.js)
from two documents built here, never from a copy kept by hand:

- the growth document: the WHO LMS tables exactly as children.growth.tables loads them from
  children/growth/data/, with the engine's constants (ages, length ranges, the 0.7 cm adjustment, WHO
  flag limits, category band edges, error bits, weight-gain codes) read from the engine's modules;
- the rules document: the plausibility table and the position rule of children.rules in the active
  language, the KBM versions of the database, and the labels the page shows.

Each is addressed by a version, the first hex digits of the SHA-256 of its exact bytes, so that a service
worker may keep it for good and asks for another only when the manifest names another version.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.utils.translation import get_language

from children import rules
from children.growth import classify, codes, tables, weight_gain, zscore
from children.selectors import kbm_table_on, kbm_versions
from children.selectors_posyandu import INDICES, category_label, weight_gain_label
from children.services import MAX_HEIGHT_SHRINK_CM

# Bumped when the shape of a document changes, so that a page can refuse a document it cannot read.
DOCUMENT_FORMAT = 1
VERSION_LENGTH = 16  # hex digits of SHA-256: 64 bits, ample to tell one content from another

# The languages a rules document exists in (its messages and labels are translated).
LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)

# The Measurement.position codes (children.compute.measurement_growth_columns maps them the same way).
POSITION_CODES = {"L": codes.MEASURED_LYING, "H": codes.MEASURED_STANDING}


@dataclass(frozen=True)
class Document:
    """A JSON document as served: its exact bytes and their content version."""

    content: bytes
    version: str


def language_code(language: str | None) -> str:
    """One of LANGUAGES for an active language such as "en-us" (its base), the default otherwise."""
    base = (language or "").split("-")[0]
    return base if base in LANGUAGES else settings.LANGUAGE_CODE


def document_of(data: Any) -> Document:
    """The canonical bytes of `data` (sorted keys, no spaces, UTF-8) and their version."""
    content = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    raw = content.encode("utf-8")
    return Document(content=raw, version=hashlib.sha256(raw).hexdigest()[:VERSION_LENGTH])


def _table_data(table: tables.LMSTable) -> dict[str, Any]:
    # Python's float repr is the shortest text that reads back as the same double, in JavaScript too.
    return {
        "key_min": table.key_min,
        "rows": table.rows,
        "l": table.l.tolist(),
        "m": table.m.tolist(),
        "s": table.s.tolist(),
    }


def _codes_data() -> dict[str, Any]:
    """The engine's codes: category bands and their edges, error bits, weight-gain codes and letters."""
    return {
        "categories": {
            "no_value": classify.NO_VALUE,
            "flagged": classify.FLAGGED,
            "edges": {
                "waz": [list(edge) for edge in classify.BBU_EDGES],
                "haz": [list(edge) for edge in classify.TBU_EDGES],
                "whz": [list(edge) for edge in classify.GIZI_EDGES],
                "baz": [list(edge) for edge in classify.GIZI_EDGES],
            },
            # Bilateral pitting oedema: the lowest band of the weight-based indices.
            "oedema": {
                "waz": classify.BBU_SANGAT_KURANG,
                "whz": classify.GIZI_BURUK,
                "baz": classify.GIZI_BURUK,
            },
        },
        "errors": {
            "sex": codes.ERROR_SEX,
            "age_negative": codes.ERROR_AGE_NEGATIVE,
            "age_over": codes.ERROR_AGE_OVER,
            "weight": codes.ERROR_WEIGHT,
            "height": codes.ERROR_HEIGHT,
            "measured": codes.ERROR_MEASURED,
            "standing_under_9_months": codes.ERROR_STANDING_UNDER_9_MONTHS,
            "age_missing": codes.ERROR_AGE_MISSING,
            "head": codes.ERROR_HEAD,
            "arm": codes.ERROR_ARM,
            "oedema": codes.ERROR_OEDEMA,
        },
        "weight_gain": {
            "codes": {
                "not_assessed": weight_gain.NOT_ASSESSED,
                "naik": weight_gain.NAIK,
                "tidak_naik": weight_gain.TIDAK_NAIK,
                "dua_t": weight_gain.DUA_T,
                "o": weight_gain.O_TIDAK_DITIMBANG_BULAN_LALU,
                "b": weight_gain.B_BARU,
            },
            "letters": {str(code): letter for code, letter in weight_gain.CODES.items()},
        },
    }


def growth_tables_data() -> dict[str, Any]:
    """The growth engine's LMS tables and constants as JSON-serialisable data (no language, no database).

    Each table's l, m and s hold 2 * rows values, boys then girls, at index (sex - 1) * rows + key -
    key_min, the key being the age in days or the length in whole millimetres (tables.LMSTable).
    """
    return {
        "format": DOCUMENT_FORMAT,
        "tables": {name: _table_data(table) for name, table in tables.all_tables().items()},
        "constants": {
            "sex_male": tables.SEX_MALE,
            "sex_female": tables.SEX_FEMALE,
            "age_days_max": tables.AGE_DAYS_MAX,
            "acfa_age_days_min": tables.ACFA_AGE_DAYS_MIN,
            "wfl_length_mm": [tables.WFL_LENGTH_MM_MIN, tables.WFL_LENGTH_MM_MAX],
            "wfh_height_mm": [tables.WFH_HEIGHT_MM_MIN, tables.WFH_HEIGHT_MM_MAX],
            "length_to_height_age_days": zscore.LENGTH_TO_HEIGHT_AGE_DAYS,
            "standing_min_age_days": zscore.STANDING_MIN_AGE_DAYS,
            "position_adjustment_mm": zscore.POSITION_ADJUSTMENT_MM,
        },
        "positions": POSITION_CODES,
        "measured": {
            "unknown": codes.MEASURED_UNKNOWN,
            "lying": codes.MEASURED_LYING,
            "standing": codes.MEASURED_STANDING,
        },
        # [low, high]: a z below low or above high is flagged (WHO implausible values).
        "flags": {
            "waz": [zscore.WAZ_FLAG_LOW, zscore.WAZ_FLAG_HIGH],
            "haz": [-zscore.HAZ_FLAG_ABS, zscore.HAZ_FLAG_ABS],
            "whz": [-zscore.WHZ_FLAG_ABS, zscore.WHZ_FLAG_ABS],
            "baz": [-zscore.BAZ_FLAG_ABS, zscore.BAZ_FLAG_ABS],
            "hcz": [-zscore.HCZ_FLAG_ABS, zscore.HCZ_FLAG_ABS],
            "acz": [-zscore.ACZ_FLAG_ABS, zscore.ACZ_FLAG_ABS],
        },
        **_codes_data(),
    }


@cache
def growth_tables_document() -> Document:
    """The growth document, built once per process (the tables do not change while it runs)."""
    return document_of(growth_tables_data())


def _kbm_data() -> list[dict[str, Any]]:
    versions = []
    for valid_from in kbm_versions():
        table = kbm_table_on(day=valid_from)
        rows = zip(table.age_month_from, table.age_month_to, table.min_gain_g, strict=True)
        versions.append(
            {
                "valid_from": valid_from.isoformat(),
                "rows": [[int(start), int(end), int(grams)] for start, end, grams in rows],
            }
        )
    return versions


def _labels() -> dict[str, Any]:
    return {
        "indices": {index: str(label) for index, label in INDICES},
        "categories": {
            index: {str(code): category_label(index, code) for code in classify.LABELS[index][0]}
            for index in classify.LABELS
        },
        "weight_gain": {str(code): weight_gain_label(code) for code in weight_gain.CODES},
    }


def rules_data() -> dict[str, Any]:
    """The rules the page applies, in the active language: range rules (children.rules.rules_as_data),
    the position rule, the KBM table's versions (oldest first), the height drop that asks for a
    re-measurement (as measurement_record asks) and the labels of categories and N/T/2T."""
    return {
        "format": DOCUMENT_FORMAT,
        "language": language_code(get_language()),
        "measurement_rules": rules.rules_as_data(),
        "position_rule": rules.position_rule_as_data(),
        "kbm": _kbm_data(),
        # A height this much below the child's last adjusted height asks for a confirmed re-measurement.
        "max_height_shrink_cm": MAX_HEIGHT_SHRINK_CM,
        "labels": _labels(),
    }


def rules_document() -> Document:
    """The rules document of the active language and the database's KBM versions (a few small queries)."""
    return document_of(rules_data())
