"""measurement_record_batch ends every entry as measurement_record ends it sent alone, in the same order."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from children.models import Child, Measurement
from children.services import (
    MeasurementEntry,
    MeasurementOutcome,
    MeasurementResult,
    _measurements_insert,
    measurement_record,
    measurement_record_batch,
)
from tests.factories import ChildFactory, DistrictFixture

TODAY = datetime.date(2025, 8, 1)
BORN = datetime.date(2024, 3, 10)
JUNE, JULY = datetime.date(2025, 6, 14), datetime.date(2025, 7, 10)
D = Decimal
STORED = (
    "measured_on",
    "age_days",
    "weight_kg",
    "height_cm",
    "adjusted_height_cm",
    "waz",
    "haz",
    "whz",
    "baz",
)
STORED += ("waz_category", "haz_category", "whz_category", "baz_category", "weight_gain", "error_flags")
STORED += ("remeasure_confirmed",)


def _twin(district: DistrictFixture, name: str) -> list[Child]:
    """Four children, each weighed in May (76.0 cm lying)."""
    children = [
        ChildFactory(name=f"{name} {i}", posyandu=district.posyandu_a1, birth_date=BORN, sex="LP"[i % 2])
        for i in range(4)
    ]
    for child in children:
        measurement_record(
            user=None,
            child=child,
            measured_on=datetime.date(2025, 5, 14),
            weight_kg=D("9.5"),
            height_cm=D("76.0"),
            position="L",
            today=TODAY,
        )
    return children


def _entries(children: list[Child]) -> list[MeasurementEntry]:
    july = uuid.uuid4()

    def entry(child: int, day: datetime.date, weight: str, height: str | None, **kw: Any) -> MeasurementEntry:
        return MeasurementEntry(
            child=children[child],
            measured_on=day,
            weight_kg=D(weight),
            height_cm=D(height) if height else None,
            position="L" if height else "",
            client_id=kw.pop("client_id", uuid.uuid4()),
            **kw,
        )

    return [
        entry(0, JUNE, "9.6", "74.0"),  # 2 cm shorter than in May: needs a confirmed re-measurement
        entry(1, JUNE, "9.6", "76.5"),
        entry(1, JULY, "9.8", "77.0", client_id=july),  # its N/T follows June's entry of the same batch
        entry(1, JUNE, "9.7", "76.5"),  # the day holds another entry of this batch: a conflict
        entry(1, JUNE, "9.6", "76.5"),  # the same values: a duplicate
        entry(2, JUNE, "30.0", None),  # WHO flag
        entry(2, JUNE, "30.0", None, remeasure_confirmed=True),
        entry(3, datetime.date(2025, 8, 2), "9.9", None),  # in the future
        entry(1, JULY, "9.8", "77.0", client_id=july),  # resent: the row the first one made
        entry(3, JUNE, "91", "200"),  # out of range, by field
    ]


def _ending(result: MeasurementResult | ValidationError, children: list[Child]) -> tuple[Any, ...]:
    if isinstance(result, ValidationError):
        return ("refused", type(result).__name__, result.messages)
    m = result.measurement
    return (result.outcome, children.index(m.child), *(getattr(m, name) for name in STORED))


def _stored(children: list[Child]) -> list[tuple[Any, ...]]:
    rows = Measurement.objects.filter(child__in=children).order_by("child_id", "measured_on")
    return [(children.index(m.child), *(getattr(m, name) for name in STORED)) for m in rows]


def test_a_batch_ends_each_entry_as_one_by_one_would(district: DistrictFixture) -> None:
    alone, together = _twin(district, "Sendiri"), _twin(district, "Bersama")
    user = district.users["kader"]
    one_by_one: list[MeasurementResult | ValidationError] = []
    for entry in _entries(alone):
        values = {name: getattr(entry, name) for name in entry.__dataclass_fields__}
        try:
            one_by_one.append(measurement_record(user=user, today=TODAY, **values))
        except ValidationError as error:
            one_by_one.append(error)

    batch = measurement_record_batch(user=user, entries=_entries(together), today=TODAY)

    endings = [_ending(result, together) for result in batch]
    assert endings == [_ending(result, alone) for result in one_by_one]
    assert [e[0] for e in endings] == [
        "refused",
        MeasurementOutcome.CREATED,
        MeasurementOutcome.CREATED,
        MeasurementOutcome.CONFLICT,
        MeasurementOutcome.DUPLICATE,
        "refused",
        MeasurementOutcome.CREATED,
        "refused",
        MeasurementOutcome.DUPLICATE,
        "refused",
    ]
    assert endings[0][1:] == (
        "NeedsConfirmation",
        ["Panjang/tinggi turun 2.0 cm sejak 14-05-2025 (batas 1.5 cm): ukur ulang."],
    )
    assert _stored(together) == _stored(alone)
    assert Measurement.objects.filter(child__in=together).count() == 4 + 3


def test_a_batch_with_a_child_outside_the_scope_is_refused_whole(district: DistrictFixture) -> None:
    mine = ChildFactory(posyandu=district.posyandu_a1, birth_date=BORN)
    elsewhere = ChildFactory(posyandu=district.posyandu_b1, birth_date=BORN)
    entries = [
        MeasurementEntry(child=child, measured_on=JUNE, weight_kg=D("9.6"), client_id=uuid.uuid4())
        for child in (mine, elsewhere)
    ]
    with pytest.raises(PermissionDenied):
        measurement_record_batch(user=district.users["kader"], entries=entries, today=TODAY)
    assert Measurement.objects.count() == 0


def test_a_client_id_of_another_childs_measurement_is_refused(district: DistrictFixture) -> None:
    first, second = (ChildFactory(posyandu=district.posyandu_a1, birth_date=BORN) for _ in range(2))
    client_id = uuid.uuid4()
    made = measurement_record(
        user=None, child=first, measured_on=JUNE, weight_kg=D("9.6"), height_cm=None, client_id=client_id
    )
    with pytest.raises(ValidationError) as caught:
        measurement_record(
            user=None, child=second, measured_on=JUNE, weight_kg=D("9.6"), height_cm=None, client_id=client_id
        )
    assert caught.value.message_dict == {
        "client_id": ["client_id ini sudah dipakai untuk pengukuran anak lain."]
    }
    assert list(Measurement.objects.values_list("pk", flat=True)) == [made.measurement.pk]


def test_an_insert_losing_to_a_writer_that_does_not_lock_answers_that_writers_row(
    district: DistrictFixture,
) -> None:
    first, second = (ChildFactory(posyandu=district.posyandu_a1, birth_date=BORN) for _ in range(2))
    winner = measurement_record(user=None, child=first, measured_on=JUNE, weight_kg=D("9.6"), height_cm=None)
    rows = [
        Measurement(
            child=child, posyandu=district.posyandu_a1, measured_on=JUNE, age_days=461, weight_kg=D("9.9")
        )
        for child in (first, second)
    ]
    landed = _measurements_insert(rows, user=None)
    assert landed[0].pk == winner.measurement.pk
    assert landed[1] is rows[1]
    assert sorted(Measurement.objects.values_list("child_id", "weight_kg")) == [
        (first.pk, D("9.60")),
        (second.pk, D("9.90")),
    ]
