"""Writes of growth measurements: one entry from a form, a batch from the sync API or an import
(the weight-gain statuses they change are refreshed by children.services.weight_gain).

Z-scores always come from the one vectorised engine (children.compute).
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

import numpy as np
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from children import compute, rules
from children.access import can_write_registry, check_registry_write
from children.changes import measurements_changed
from children.growth import classify
from children.models import (
    Child,
    Measurement,
)
from children.partitions import ensure_measurement_partitions
from children.services.weight_gain import child_weight_gain_refresh, children_weight_gain_refresh
from convergence.models import User
from convergence.scoping import check_can_edit, restrict
from convergence.tombstones import records_delete

# A height that drops by more than this since the last visit is a measuring error (or a new child).
MAX_HEIGHT_SHRINK_CM = 1.5


class NeedsConfirmation(ValidationError):
    """Implausible but possible values: saved only when the kader confirms she measured again."""


class MeasurementOutcome(StrEnum):
    """What recording an entry did: a new row, the row a resent entry made, or a clash left alone."""

    CREATED = "created"
    # The entry's client_id was recorded already, or the day holds the same values: nothing changed.
    DUPLICATE = "duplicate"
    # The day holds other values: nothing is overwritten; the caller shows both and the kader chooses.
    CONFLICT = "conflict"
    # The caller named the row it showed for correction (`corrects`) and its values were replaced.
    CORRECTED = "corrected"


@dataclass
class MeasurementResult:
    """The row an entry ended on (the new, corrected or existing one) and how."""

    measurement: Measurement
    outcome: MeasurementOutcome
    warnings: list[str] = field(default_factory=list)

    @property
    def created(self) -> bool:
        return self.outcome == MeasurementOutcome.CREATED


@dataclass(frozen=True)
class MeasurementEntry:
    """One child's measured values of one day, as a page, the API or an offline batch sends them.

    client_id: made by the sending device, so that a resent entry finds its row; corrects: the pk of
    the row a page showed for correction (only then are a day's stored values replaced).
    """

    child: Child
    measured_on: datetime.date
    weight_kg: Decimal | None = None
    height_cm: Decimal | None = None
    position: str = ""
    oedema: bool = False
    lila_cm: Decimal | None = None
    head_circumference_cm: Decimal | None = None
    vitamin_a: bool = False
    pmt_received: bool = False
    pmt_kg: Decimal | None = None
    remeasure_confirmed: bool = False
    client_id: uuid.UUID | None = None
    corrects: int | None = None

    def stored_values(self) -> dict[str, Any]:
        """The measured values as the row stores them: what "the same measurement" compares."""
        return {
            "weight_kg": self.weight_kg,
            "height_cm": self.height_cm,
            "position": self.position if self.height_cm is not None else "",
            "oedema": self.oedema,
            "lila_cm": self.lila_cm,
            "head_circumference_cm": self.head_circumference_cm,
            "vitamin_a": self.vitamin_a,
            "pmt_received": self.pmt_received or self.pmt_kg is not None,
            "pmt_kg": self.pmt_kg,
        }


def measurement_same_values(measurement: Measurement, entry: MeasurementEntry) -> bool:
    """True when the stored row holds exactly the entry's measured values (Decimal 9.6 == 9.60)."""
    return all(getattr(measurement, name) == value for name, value in entry.stored_values().items())


def _nan(value: Decimal | float | None) -> float:
    return float("nan") if value is None else float(value)


def _none(value: Any) -> Any:
    number = value.item() if isinstance(value, np.generic) else value
    if isinstance(number, float) and np.isnan(number):
        return None
    return number


def _entry_errors(entry: MeasurementEntry, *, child: Child, today: datetime.date) -> dict[str, list[str]]:
    """The impossible values of an entry, by field (empty when it may be recorded)."""
    errors: dict[str, list[str]] = {}
    if entry.measured_on > today:
        errors["measured_on"] = [_("Tanggal pengukuran tidak boleh di masa depan.")]
    elif entry.measured_on < child.birth_date:
        errors["measured_on"] = [_("Tanggal pengukuran sebelum tanggal lahir anak.")]
    if entry.weight_kg is None and entry.height_cm is None:
        errors["weight_kg"] = [_("Isi berat atau panjang/tinggi badan.")]
    if entry.height_cm is not None and not entry.position:
        errors["position"] = [_("Pilih cara ukur: telentang atau berdiri.")]
    # The plausibility bounds are the rule table's, as the import and the database apply them.
    measures = {
        "weight_kg": entry.weight_kg,
        "height_cm": entry.height_cm,
        "lila_cm": entry.lila_cm,
        "head_circumference_cm": entry.head_circumference_cm,
        "pmt_kg": entry.pmt_kg,
    }
    for name, messages in rules.measurement_errors(measures).items():
        errors.setdefault(name, []).extend(messages)
    age_days = (entry.measured_on - child.birth_date).days
    position = rules.position_errors(
        position=entry.position, age_days=age_days, has_height=entry.height_cm is not None
    )
    for name, messages in position.items():
        errors.setdefault(name, []).extend(messages)
    return errors


def _implausible(
    *,
    columns: dict[str, np.ndarray],
    row: int,
    adjusted_height_cm: float | None,
    earlier: tuple[float, datetime.date] | None,
) -> list[str]:
    """Why row `row` of the engine's columns needs a confirmed re-measurement (empty when it does not).

    earlier: the child's last (adjusted height, day) before this one, when it has one.
    """
    problems = []
    if bool(columns["flagged"][row]):
        flagged = [
            label
            for label, name in (
                (_("BB/U"), "waz_category"),
                (_("TB/U"), "haz_category"),
                (_("BB/TB"), "whz_category"),
                (_("IMT/U"), "baz_category"),
            )
            if int(columns[name][row]) == classify.FLAGGED
        ]
        problems.append(
            _("Nilai di luar batas wajar WHO (%(indices)s): periksa alat dan ukur ulang.")
            % {"indices": ", ".join(str(x) for x in flagged) or _("lingkar kepala/LiLA")}
        )
    if adjusted_height_cm is not None and earlier is not None:
        drop = earlier[0] - adjusted_height_cm
        if drop > MAX_HEIGHT_SHRINK_CM:
            problems.append(
                _("Panjang/tinggi turun %(drop).1f cm sejak %(day)s (batas %(limit).1f cm): ukur ulang.")
                % {"drop": drop, "day": earlier[1].strftime("%d-%m-%Y"), "limit": MAX_HEIGHT_SHRINK_CM}
            )
    return problems


def measurement_record(
    *,
    user: User | None,
    child: Child,
    measured_on: datetime.date,
    weight_kg: Decimal | None,
    height_cm: Decimal | None,
    position: str = "",
    oedema: bool = False,
    lila_cm: Decimal | None = None,
    head_circumference_cm: Decimal | None = None,
    vitamin_a: bool = False,
    pmt_received: bool = False,
    pmt_kg: Decimal | None = None,
    remeasure_confirmed: bool = False,
    client_id: uuid.UUID | None = None,
    corrects: int | None = None,
    source: str = Measurement.Source.MANUAL,
    today: datetime.date | None = None,
) -> MeasurementResult:
    """Record the child's measurement of one day, with z-scores, category and N/T/2T: a batch of one.

    The outcome says whether a row was created, or the entry was a duplicate (its client_id was
    recorded, or the day holds the same values) or a conflict (the day holds other values: nothing is
    overwritten), or a correction (`corrects` named the day's row). Raises ValidationError (dict by
    field) for impossible input and NeedsConfirmation for WHO-flagged values or a height shrinking by
    more than 1.5 cm, unless `remeasure_confirmed`; PermissionDenied outside the user's scope.
    """
    entry = MeasurementEntry(
        child=child,
        measured_on=measured_on,
        weight_kg=weight_kg,
        height_cm=height_cm,
        position=position,
        oedema=oedema,
        lila_cm=lila_cm,
        head_circumference_cm=head_circumference_cm,
        vitamin_a=vitamin_a,
        pmt_received=pmt_received,
        pmt_kg=pmt_kg,
        remeasure_confirmed=remeasure_confirmed,
        client_id=client_id,
        corrects=corrects,
    )
    (result,) = measurement_record_batch(user=user, entries=[entry], source=source, today=today)
    if isinstance(result, ValidationError):
        raise result
    return result


def _check_children_writable(user: User | None, child_ids: set[int]) -> None:
    """PermissionDenied unless `user` may write the registry rows of every one of these children."""
    if user is None:
        return
    if not can_write_registry(user):
        raise PermissionDenied
    check_can_edit(user)
    readable = set(restrict(Child.objects.filter(pk__in=child_ids), user).values_list("pk", flat=True))
    if readable != child_ids:
        raise PermissionDenied


def _earlier_height(
    heights: dict[datetime.date, float], day: datetime.date
) -> tuple[float, datetime.date] | None:
    before = [d for d in heights if d < day]
    if not before:
        return None
    last = max(before)
    return heights[last], last


@dataclass
class _Batch:
    """What a batch reads once under its children's locks, and the rows its entries stage."""

    children: dict[int, Child]
    by_client_id: dict[uuid.UUID | None, Measurement]
    by_day: dict[tuple[int, datetime.date], Measurement]
    heights: dict[int, dict[datetime.date, float]]
    new: dict[int, Measurement] = field(default_factory=dict)
    corrected: dict[int, Measurement] = field(default_factory=dict)
    corrected_from: dict[int, int] = field(
        default_factory=dict
    )  # the posyandu a corrected row counted in before


def measurement_record_batch(
    *,
    user: User | None,
    entries: Sequence[MeasurementEntry],
    source: str = Measurement.Source.MANUAL,
    today: datetime.date | None = None,
) -> list[MeasurementResult | ValidationError]:
    """Record a batch of entries (an offline posyandu day, a bulk API call): one result per entry, in order.

    Each entry ends as measurement_record would end it sent alone, in the batch's order: its result,
    or the ValidationError (NeedsConfirmation) it would raise. Resending a batch, whole or the rest of
    one cut off half way, adds no row: an entry whose client_id is recorded answers that row. Bulk:
    children locked, existing rows read and z-scores computed once for the batch, new rows inserted
    together, N/T/2T refreshed and the prevalence change announced once. Raises PermissionDenied when
    a child is outside the user's scope (callers resolve children through the scope first).
    """
    if not entries:
        return []
    today = today or timezone.localdate()
    child_ids = {entry.child.pk for entry in entries}
    _check_children_writable(user, child_ids)
    n = len(entries)
    results: list[MeasurementResult | ValidationError | None] = [None] * n
    with transaction.atomic():
        batch = _batch_read(entries=entries, child_ids=child_ids)
        children = batch.children
        errors = [_entry_errors(entry, child=children[entry.child.pk], today=today) for entry in entries]
        valid = [i for i in range(n) if not errors[i]]
        columns = _growth_columns([entries[i] for i in valid], children)
        row_of = {i: row for row, i in enumerate(valid)}
        for i, entry in enumerate(entries):
            results[i] = _entry_stage(
                i,
                entry,
                batch=batch,
                errors=errors[i],
                columns=columns,
                row_of=row_of,
                user=user,
                source=source,
            )
        _batch_write(entries=entries, batch=batch, results=results, user=user)
    # Every entry ended in exactly one branch above: a result or an error each.
    return [result for result in results if result is not None]


def _batch_read(*, entries: Sequence[MeasurementEntry], child_ids: set[int]) -> _Batch:
    """Lock the batch's children and read the rows its entries may meet (inside the batch's transaction)."""
    # Locking the children (in pk order: no deadlock between two batches) serialises the weighings
    # of a child: a concurrent resend waits here, then reads the row the first one made.
    children = {c.pk: c for c in Child.objects.select_for_update().filter(pk__in=child_ids).order_by("pk")}
    client_ids = [entry.client_id for entry in entries if entry.client_id is not None]
    by_client_id = {m.client_id: m for m in Measurement.objects.filter(client_id__in=client_ids)}
    days = {entry.measured_on for entry in entries}
    by_day = {
        (m.child_id, m.measured_on): m
        for m in Measurement.objects.filter(child_id__in=child_ids, measured_on__in=days)
    }
    heights: dict[int, dict[datetime.date, float]] = {pk: {} for pk in child_ids}
    for child_id, day, height in Measurement.objects.filter(
        child_id__in=child_ids, measured_on__lt=max(days), adjusted_height_cm__isnull=False
    ).values_list("child_id", "measured_on", "adjusted_height_cm"):
        if height is not None:  # always (the filter): said again for the type checker
            heights[child_id][day] = float(height)
    return _Batch(children=children, by_client_id=by_client_id, by_day=by_day, heights=heights)


def _entry_stage(
    i: int,
    entry: MeasurementEntry,
    *,
    batch: _Batch,
    errors: dict[str, list[str]],
    columns: dict[str, np.ndarray],
    row_of: dict[int, int],
    user: User | None,
    source: str,
) -> MeasurementResult | ValidationError | None:
    """The result of entry `i` when it ends without a write; None when its row is staged in `batch`."""
    child = batch.children[entry.child.pk]
    known = batch.by_client_id.get(entry.client_id) if entry.client_id is not None else None
    if known is not None:
        return (
            MeasurementResult(measurement=known, outcome=MeasurementOutcome.DUPLICATE)
            if known.child_id == child.pk
            else ValidationError(
                {"client_id": [_("client_id ini sudah dipakai untuk pengukuran anak lain.")]}
            )
        )
    if errors:
        return ValidationError(errors)
    row = row_of[i]
    existing = batch.by_day.get((child.pk, entry.measured_on))
    correcting = existing is not None and entry.corrects is not None and entry.corrects == existing.pk
    if existing is not None and not correcting:
        same = measurement_same_values(existing, entry)
        outcome = MeasurementOutcome.DUPLICATE if same else MeasurementOutcome.CONFLICT
        return MeasurementResult(measurement=existing, outcome=outcome)
    adjusted = _none(columns["adjusted_height_cm"][row])
    adjusted = None if adjusted is None else round(adjusted, 1)
    if not entry.remeasure_confirmed:
        problems = _implausible(
            columns=columns,
            row=row,
            adjusted_height_cm=adjusted,
            earlier=_earlier_height(batch.heights[child.pk], entry.measured_on),
        )
        if problems:
            return NeedsConfirmation(problems, code="needs_confirmation")
    if correcting and existing is not None:
        batch.corrected_from[i] = existing.posyandu_id
        measurement = existing
    else:
        measurement = Measurement(child=child, measured_on=entry.measured_on)
    _measurement_fill(
        measurement, entry=entry, child=child, columns=columns, row=row, adjusted=adjusted, source=source
    )
    if correcting:
        batch.corrected[i] = measurement
    else:
        measurement.measured_by = user
        measurement.client_id = entry.client_id
        batch.new[i] = measurement
        batch.by_day[(child.pk, entry.measured_on)] = measurement
        if entry.client_id is not None:
            batch.by_client_id[entry.client_id] = measurement
    if adjusted is not None:
        batch.heights[child.pk][entry.measured_on] = adjusted
    else:
        batch.heights[child.pk].pop(entry.measured_on, None)
    return None


def _batch_write(
    *,
    entries: Sequence[MeasurementEntry],
    batch: _Batch,
    results: list[MeasurementResult | ValidationError | None],
    user: User | None,
) -> None:
    """Write the staged rows, refresh N/T/2T, announce the change, and fill the results of the written."""
    corrected = batch.corrected
    for measurement in corrected.values():
        if user is not None:
            measurement._history_user = user  # type: ignore[attr-defined]
        measurement.save()
    pending = list(batch.new.items())
    # Only the validated rows' years: a mistyped date never makes a partition.
    ensure_measurement_partitions({m.measured_on.year for _, m in pending}, field="measured_on")
    landed = _measurements_insert([m for _, m in pending], user=user)
    written = dict(corrected)
    final: dict[int, Measurement] = {}  # id() of a row made here -> the row that stands for it
    for (i, measurement), stored in zip(pending, landed, strict=True):
        if stored is measurement:
            written[i] = measurement
        else:
            # Another writer (one that does not lock the child) recorded this entry or day first.
            final[id(measurement)] = stored
            same = stored.client_id == entries[i].client_id or measurement_same_values(stored, entries[i])
            outcome = MeasurementOutcome.DUPLICATE if same else MeasurementOutcome.CONFLICT
            results[i] = MeasurementResult(measurement=stored, outcome=outcome)
    since: dict[int, datetime.date] = {}
    for measurement in written.values():
        day = measurement.measured_on
        since[measurement.child_id] = min(day, since.get(measurement.child_id, day))
    children_weight_gain_refresh(since_by_child=since)
    fresh = Measurement.objects.in_bulk([m.pk for m in written.values()])
    for i, measurement in written.items():
        final[id(measurement)] = fresh[measurement.pk]
        outcome = MeasurementOutcome.CORRECTED if i in corrected else MeasurementOutcome.CREATED
        results[i] = MeasurementResult(measurement=fresh[measurement.pk], outcome=outcome)
    for result in results:
        # An entry repeating one made earlier in this batch answers that row as stored.
        if isinstance(result, MeasurementResult) and id(result.measurement) in final:
            result.measurement = final[id(result.measurement)]
    if written:
        measurements_changed(
            desa_ids={batch.children[m.child_id].desa_id for m in written.values()},
            posyandu_ids={m.posyandu_id for m in written.values()} | set(batch.corrected_from.values()),
            days={m.measured_on for m in written.values()},
        )


def _growth_columns(entries: list[MeasurementEntry], children: dict[int, Child]) -> dict[str, np.ndarray]:
    """The engine's columns (z-scores, categories, flags, adjusted length) for the entries, vectorised."""
    if not entries:
        return {}
    return compute.measurement_growth_columns(
        sex=np.array([children[e.child.pk].sex for e in entries]),
        age_days=np.array([(e.measured_on - children[e.child.pk].birth_date).days for e in entries]),
        weight_kg=np.array([_nan(e.weight_kg) for e in entries]),
        height_cm=np.array([_nan(e.height_cm) for e in entries]),
        position=np.array([e.position for e in entries]),
        oedema=np.array([e.oedema for e in entries]),
        head_circumference_cm=np.array([_nan(e.head_circumference_cm) for e in entries]),
        lila_cm=np.array([_nan(e.lila_cm) for e in entries]),
    )


def _measurement_fill(
    measurement: Measurement,
    *,
    entry: MeasurementEntry,
    child: Child,
    columns: dict[str, np.ndarray],
    row: int,
    adjusted: float | None,
    source: str,
) -> None:
    values = {
        "posyandu_id": child.posyandu_id,
        "age_days": (entry.measured_on - child.birth_date).days,
        **entry.stored_values(),
        "adjusted_height_cm": adjusted,
        "error_flags": int(columns["error"][row]),
        "remeasure_confirmed": entry.remeasure_confirmed,
        "source": source,
        **{name: _none(columns[name][row]) for name in compute.GROWTH_FIELDS},
    }
    for name, value in values.items():
        setattr(measurement, name, value)


def _measurements_insert(rows: list[Measurement], *, user: User | None) -> list[Measurement]:
    """Insert new rows with their history; each answer is the row itself or, when another writer
    recorded the same client_id or child and day first, that writer's row (never an IntegrityError)."""
    if not rows:
        return []
    try:
        with transaction.atomic():  # a savepoint: a unique clash undoes this insert, not the batch
            bulk_create_with_history(rows, Measurement, default_user=user)
        return rows
    except IntegrityError:
        pass  # another writer got there first for some row: find which, one row at a time
    landed = []
    for measurement in rows:
        measurement.pk = None
        measurement._history_user = user  # type: ignore[attr-defined]
        try:
            with transaction.atomic():
                measurement.save(force_insert=True)
            landed.append(measurement)
        except IntegrityError:
            measurement.pk = None
            clash = models.Q(child_id=measurement.child_id, measured_on=measurement.measured_on)
            if measurement.client_id is not None:
                clash |= models.Q(client_id=measurement.client_id)
            winner = Measurement.objects.filter(clash).order_by("pk").first()
            if winner is None:  # not a clash with another writer's row: a real error
                raise
            landed.append(winner)
    return landed


def measurement_delete(*, user: User | None, measurement: Measurement) -> None:
    """Delete a measurement entered by mistake (kept in the history with its user); the child's later
    N/T statuses and the prevalence of its month follow."""
    child = measurement.child
    if user is not None:
        check_registry_write(user, child)
    with transaction.atomic():
        child = Child.objects.select_for_update().get(pk=child.pk)
        if user is not None:
            measurement._history_user = user  # type: ignore[attr-defined]
        measured_on, posyandu_id = measurement.measured_on, measurement.posyandu_id
        records_delete([measurement])
        child_weight_gain_refresh(child=child, since=measured_on)
        measurements_changed(desa_ids=[child.desa_id], posyandu_ids=[posyandu_id], days=[measured_on])
