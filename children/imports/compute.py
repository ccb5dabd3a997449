"""Compute step of the bulk import: NIK hashes, the growth engine over a batch, N/T chained from each
child's previous weighing, and the warnings of WHO flags and shrinking lengths. No query."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

import numpy as np
from django.utils.translation import gettext as _

from children import compute, pii
from children.growth import classify
from children.growth.weight_gain import NOT_ASSESSED, KBMTable
from children.imports.plan import Previous
from children.imports.rows import ImportRow
from children.services import MAX_HEIGHT_SHRINK_CM

_MISSING: Previous = (float("nan"), -1, NOT_ASSESSED, None, None)


def hash_niks(rows: list[ImportRow]) -> None:
    """The NIK hash of each row ("" without a NIK)."""
    hashes = iter(pii.nik_hash_many([row.nik for row in rows if row.nik]))
    for row in rows:
        row.nik_hash = next(hashes) if row.nik else ""


def _column(rows: list[ImportRow], name: str) -> np.ndarray:
    return np.array(
        [np.nan if row.values[name] is None else row.values[name] for row in rows], dtype=np.float64
    )


_EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()


def _days(days: Iterable[datetime.date]) -> np.ndarray:
    """Dates as datetime64[D], by their ordinals (numpy converts date objects one by one, slowly)."""
    ordinals = np.fromiter((day.toordinal() for day in days), dtype=np.int64)
    return (ordinals - _EPOCH_ORDINAL).astype("datetime64[D]")


def growth(rows: list[ImportRow]) -> dict[str, np.ndarray]:
    """Adjusted height, z-scores, categories, error bits and WHO flags of the rows' values, shape (n,)."""
    n = len(rows)
    return compute.measurement_growth_columns(
        sex=np.array([row.sex for row in rows]),
        age_days=np.fromiter((row.age_days for row in rows), dtype=np.int64, count=n),
        weight_kg=_column(rows, "weight_kg"),
        height_cm=_column(rows, "height_cm"),
        position=np.array([row.values["position"] for row in rows]),
        oedema=np.zeros(n, dtype=bool),
        head_circumference_cm=_column(rows, "head_circumference_cm"),
        lila_cm=_column(rows, "lila_cm"),
    )


def weight_gain(rows: list[ImportRow], previous: dict[int, Previous], kbm: KBMTable) -> np.ndarray:
    """N/T/2T/O/B of each row (NOT_ASSESSED without a weight), chained per child from its last
    weighing before the batch; int8, shape (n,)."""
    weight = _column(rows, "weight_kg")
    weighed = np.flatnonzero(~np.isnan(weight))
    gain = np.full(len(rows), NOT_ASSESSED, dtype=np.int8)
    if not weighed.size:
        return gain
    before = [previous.get(rows[i].child_id, _MISSING) for i in weighed]
    gain[weighed] = compute.weight_gain_run(
        child_key=np.fromiter((rows[i].child_id for i in weighed), dtype=np.int64, count=weighed.size),
        birth_date=_days(rows[i].birth_date for i in weighed),
        measured_on=_days(rows[i].day for i in weighed),
        weight_kg=weight[weighed],
        previous=compute.PreviousWeighing(
            weight_kg=np.array([b[0] for b in before], dtype=np.float64),
            month_index=np.array([b[1] for b in before], dtype=np.int64),
            status=np.array([b[2] for b in before], dtype=np.int8),
        ),
        kbm=kbm,
    )
    return gain


def _warn_flags(rows: list[ImportRow], columns: dict[str, np.ndarray]) -> None:
    labels = (
        (_("BB/U"), "waz_category"),
        (_("TB/U"), "haz_category"),
        (_("BB/TB"), "whz_category"),
        (_("IMT/U"), "baz_category"),
    )
    for i in np.flatnonzero(columns["flagged"]):
        indices = [label for label, name in labels if int(columns[name][i]) == classify.FLAGGED]
        message = _("Nilai di luar batas wajar WHO (%(indices)s): periksa alat dan ukur ulang.") % {
            "indices": ", ".join(indices) or _("lingkar kepala/LiLA")
        }
        rows[i].warnings.append(("weight_kg", message))


def _warn_shrinking(rows: list[ImportRow], adjusted: np.ndarray, previous: dict[int, Previous]) -> None:
    for i, row in enumerate(rows):
        before = previous.get(row.child_id)
        if before is None or before[3] is None or before[4] is None or np.isnan(adjusted[i]):
            continue
        drop = before[3] - float(adjusted[i])
        if drop > MAX_HEIGHT_SHRINK_CM:
            message = _(
                "Panjang/tinggi turun %(drop).1f cm sejak %(day)s (batas %(limit).1f cm): ukur ulang."
            ) % {
                "drop": drop,
                "day": before[4].strftime("%d-%m-%Y"),
                "limit": MAX_HEIGHT_SHRINK_CM,
            }
            row.warnings.append(("height_cm", message))


def written_columns(
    rows: list[ImportRow], batch_growth: dict[str, np.ndarray], previous: dict[int, Previous], kbm: KBMTable
) -> dict[str, np.ndarray]:
    """The growth columns of the rows written (taken from the batch's growth by `row.index`,
    recomputed for the updates, whose values were merged with the stored ones), N/T as `weight_gain`,
    and the rows' warnings of WHO flags and shrinking lengths."""
    take = np.fromiter((row.index for row in rows), dtype=np.intp, count=len(rows))
    columns = {name: array[take] for name, array in batch_growth.items()}
    merged = [i for i, row in enumerate(rows) if row.measurement_id is not None]
    if merged:
        for name, array in growth([rows[i] for i in merged]).items():
            columns[name][merged] = array
    columns["weight_gain"] = weight_gain(rows, previous, kbm)
    _warn_flags(rows, columns)
    _warn_shrinking(rows, columns["adjusted_height_cm"], previous)
    return columns
