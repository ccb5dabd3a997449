"""The standard intervention catalogue (interventions/data/catalogue.json) loaded into a kabupaten.

Idempotent: an intervention is matched by (kabupaten, code) and its fields brought back to the file's;
one whose OPD the kabupaten does not have is skipped and reported (the OPD list is the backbone's).
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from convergence.models import OPD, Region
from interventions import eligibility as rules
from interventions.models import Indicator, Intervention

CATALOGUE_PATH = Path(__file__).resolve().parent / "data" / "catalogue.json"


@dataclass
class CatalogueLoadResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (code, missing OPD code)


def catalogue_entries(path: Path = CATALOGUE_PATH) -> tuple[datetime.date, list[dict[str, Any]]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return datetime.date.fromisoformat(data["valid_from"]), data["interventions"]


def catalogue_load(*, kabupaten: Region, path: Path = CATALOGUE_PATH) -> CatalogueLoadResult:
    """Create or update the kabupaten's interventions from the catalogue file, in one transaction."""
    valid_from, entries = catalogue_entries(path)
    opd_by_code = {opd.code: opd for opd in OPD.objects.filter(kabupaten=kabupaten)}
    indicators = {item.code: item for item in Indicator.objects.all()}
    existing = {item.code: item for item in Intervention.objects.filter(kabupaten=kabupaten)}
    result = CatalogueLoadResult()
    with transaction.atomic():
        for entry in entries:
            problem = rules.rule_problem(entry["rule"], entry["target_group"], entry["params"])
            if problem:
                raise ValueError(f"{entry['code']}: {problem}")
            opd = opd_by_code.get(entry["opd"])
            if opd is None:
                result.skipped.append((entry["code"], entry["opd"]))
                continue
            values = {
                "name": entry["name"],
                "kind": entry["kind"],
                "target_group": entry["target_group"],
                "opd": opd,
                "indicator": indicators.get(entry["indicator"]) if entry["indicator"] else None,
                "unit": entry["unit"],
                "eligibility_rule": entry["rule"],
                "rule_params": entry["params"],
            }
            current = existing.get(entry["code"])
            if current is None:
                Intervention.objects.create(
                    kabupaten=kabupaten, code=entry["code"], valid_from=valid_from, **values
                )
                result.created.append(entry["code"])
                continue
            changed = [name for name, value in values.items() if getattr(current, name) != value]
            if changed:
                for name in changed:
                    setattr(current, name, values[name])
                current.save()
                result.updated.append(entry["code"])
            else:
                result.unchanged.append(entry["code"])
    return result
