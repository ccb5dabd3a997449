"""Reads of the posyandu-day page, the child page and the SKDN report, always through the access scope.

Each list is a fixed number of queries whatever the number of children: children in one query, their
measurements in one more, then numpy (children.skdn, children.growth_charts) does the rest.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models import OuterRef, Q, Subquery
from django.http import Http404
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from children import growth_charts, skdn
from children.growth import classify, weight_gain
from children.growth.weight_gain import completed_months
from children.models import Child, Measurement
from convergence.formatting import fixed
from convergence.models import Posyandu, User
from convergence.scoping import restrict

# The posyandu day of a month, when the page is not for the current month: the middle of the month
# (posyandu meet on one fixed day between the 5th and the 25th; the 15th keeps ages within a half month).
POSYANDU_DAY_OF_MONTH = 15
# Children are "lying" (panjang badan) under 24 months, Permenkes 2/2020 (domain.md 2.2).
LYING_UNTIL_MONTHS = 24
# Completed months of a balita: 0-59.
MAX_AGE_MONTHS = skdn.MAX_AGE_MONTHS
# A generous first cut in SQL (61 months of days); the exact completed-month rule is applied in numpy.
_BIRTH_WINDOW_DAYS = 61 * 31

INDICES = (("waz", _("BB/U")), ("haz", _("TB/U")), ("whz", _("BB/TB")), ("baz", _("IMT/U")))


def month_bounds(*, year: int, month: int) -> tuple[datetime.date, datetime.date]:
    """First and last day of a calendar month."""
    return datetime.date(year, month, 1), datetime.date(year, month, calendar.monthrange(year, month)[1])


def posyandu_day(*, year: int, month: int, today: datetime.date) -> datetime.date:
    """The day ages are counted on for a month's page: today in the current month, else the 15th."""
    if (today.year, today.month) == (year, month):
        return today
    return datetime.date(year, month, POSYANDU_DAY_OF_MONTH)


def _is_english() -> bool:
    return (get_language() or "id").startswith("en")


def category_label(index: str, code: int) -> str:
    """The Permenkes 2/2020 label of a stored category code, in the active language."""
    labels_id, labels_en = classify.LABELS[index]
    return (labels_en if _is_english() else labels_id).get(code, "-")


def weight_gain_label(code: int) -> str:
    return (weight_gain.LABELS_EN if _is_english() else weight_gain.LABELS_ID).get(code, "-")


@dataclass(frozen=True)
class IndexStatus:
    index: str
    label: str
    z: str  # two decimals in the active language ("-0,96" in Indonesian), or "-"
    category: str
    # "problem" below the normal band (or above it for BB/TB, IMT/U), "problem severe" in the most severe
    # band, "flag" for a WHO flag, else "".
    tone: str


@dataclass(frozen=True)
class Alert:
    """A result a kader must act on, said in words (the page adds colour, never colour alone)."""

    code: str  # "2t", "bgm", "flag" or "severe-<index>"
    text: str


@dataclass(frozen=True)
class MeasurementStatus:
    """A measurement as the pages show it: z-scores to two decimals, category labels and N/T/2T/O/B."""

    measurement: Measurement
    indices: list[IndexStatus]
    gain_code: str
    gain_label: str
    age_months: int | None = None  # completed months on the measuring day, when the birth date was given
    alerts: tuple[Alert, ...] = ()


_PROBLEM = {
    "waz": {classify.BBU_SANGAT_KURANG, classify.BBU_KURANG},
    "haz": {classify.TBU_SANGAT_PENDEK, classify.TBU_PENDEK},
    "whz": {classify.GIZI_BURUK, classify.GIZI_KURANG, classify.GIZI_LEBIH, classify.OBESITAS},
    "baz": {classify.GIZI_BURUK, classify.GIZI_KURANG, classify.GIZI_LEBIH, classify.OBESITAS},
}


# The most severe category of each index ("sangat pendek", "sangat kurang", "gizi buruk").
_SEVERE = {
    "waz": classify.BBU_SANGAT_KURANG,
    "haz": classify.TBU_SANGAT_PENDEK,
    "whz": classify.GIZI_BURUK,
    "baz": classify.GIZI_BURUK,
}


def measurement_alerts(measurement: Measurement) -> tuple[Alert, ...]:
    """What stands out in a result: 2T, BGM, a WHO flag and each index in its most severe category."""
    alerts = []
    if measurement.weight_gain == weight_gain.DUA_T:
        alerts.append(Alert("2t", str(_("2T: berat tidak naik 2 kali berturut-turut"))))
    # Below the KMS red line: BB/U under -3 SD, the "sangat kurang" band of Permenkes 2/2020.
    if measurement.waz_category == classify.BBU_SANGAT_KURANG:
        alerts.append(Alert("bgm", str(_("BGM: berat di bawah garis merah"))))
    if any(getattr(measurement, f"{index}_category") == classify.FLAGGED for index, _label in INDICES):
        alerts.append(Alert("flag", str(_("Nilai di luar batas WHO: periksa alat dan ukur ulang"))))
    for index, label in INDICES:
        code = getattr(measurement, f"{index}_category")
        if code == _SEVERE[index] and not (index == "waz" and code == classify.BBU_SANGAT_KURANG):
            alerts.append(Alert(f"severe-{index}", f"{label}: {category_label(index, code)}"))
    return tuple(alerts)


def measurement_status(
    measurement: Measurement, *, birth_date: datetime.date | None = None
) -> MeasurementStatus:
    """The display values of one stored measurement (no query)."""
    indices = []
    for index, label in INDICES:
        z = getattr(measurement, index)
        code = getattr(measurement, f"{index}_category")
        tone = (
            "flag"
            if code == classify.FLAGGED
            else "problem severe"
            if code == _SEVERE[index]
            else "problem"
            if code in _PROBLEM[index]
            else ""
        )
        indices.append(
            IndexStatus(
                index=index,
                label=str(label),
                z="-" if z is None else fixed(z, 2),
                category=category_label(index, code),
                tone=tone,
            )
        )
    return MeasurementStatus(
        measurement=measurement,
        indices=indices,
        gain_code=weight_gain.CODES.get(measurement.weight_gain, "-"),
        gain_label=weight_gain_label(measurement.weight_gain),
        age_months=None if birth_date is None else int(completed_months(birth_date, measurement.measured_on)),
        alerts=measurement_alerts(measurement),
    )


# The posyandu day ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueRow:
    """One child of the posyandu-day list: age on the posyandu day and the last measurements."""

    child: Child
    age_months: int
    default_position: str
    previous: MeasurementStatus | None  # the last measurement before the month
    current: MeasurementStatus | None  # the last measurement in the month


def posyandu_day_rows(
    *,
    user: User,
    posyandu: Posyandu,
    year: int,
    month: int,
    today: datetime.date,
    child_ids: list[int] | None = None,
) -> list[DueRow]:
    """The children due at `posyandu` in a month: aktif, 0-59 completed months on the posyandu day, by name.

    With `child_ids`, just those children of the posyandu (age not checked: the row of a child just
    measured). Two queries whatever the number of children.
    """
    first, last = month_bounds(year=year, month=month)
    day = posyandu_day(year=year, month=month, today=today)
    previous_pk = (
        Measurement.objects.filter(child=OuterRef("pk"), measured_on__lt=first)
        .order_by("-measured_on")
        .values("pk")[:1]
    )
    children = restrict(Child.objects.filter(posyandu=posyandu, status=Child.Status.ACTIVE), user).annotate(
        previous_pk=Subquery(previous_pk)
    )
    if child_ids is not None:
        children = children.filter(pk__in=child_ids)
    else:
        children = children.filter(
            birth_date__lte=day, birth_date__gte=day - datetime.timedelta(days=_BIRTH_WINDOW_DAYS)
        )
    child_list = list(children.order_by("name", "pk"))
    if not child_list:
        return []
    ages = completed_months(
        np.array([c.birth_date for c in child_list], dtype="datetime64[D]"), np.datetime64(day)
    )
    if child_ids is None:
        keep = (ages >= 0) & (ages <= MAX_AGE_MONTHS)
        child_list = [c for c, k in zip(child_list, keep, strict=True) if k]
        ages = ages[keep]
    previous_ids = [c.previous_pk for c in child_list if c.previous_pk is not None]
    measurements = Measurement.objects.filter(
        Q(pk__in=previous_ids) | Q(child__in=[c.pk for c in child_list], measured_on__range=(first, last))
    ).order_by("measured_on")
    previous: dict[int, Measurement] = {}
    current: dict[int, Measurement] = {}
    for m in measurements:
        (current if m.measured_on >= first else previous)[m.child_id] = m  # later days overwrite
    return [
        DueRow(
            child=child,
            age_months=int(age),
            default_position=Measurement.Position.LYING
            if age < LYING_UNTIL_MONTHS
            else Measurement.Position.STANDING,
            previous=measurement_status(previous[child.pk]) if child.pk in previous else None,
            current=measurement_status(current[child.pk]) if child.pk in current else None,
        )
        for child, age in zip(child_list, ages, strict=True)
    ]


def not_weighed_rows(rows: list[DueRow]) -> list[DueRow]:
    """The children of a posyandu day not weighed yet this month (a length alone is not a weighing)."""
    return [row for row in rows if row.current is None or row.current.measurement.weight_kg is None]


def posyandu_child_for_user(*, user: User, posyandu: Posyandu, pk: int) -> Child:
    """An aktif child registered at `posyandu` and within the user's scope, or 404."""
    child = (
        restrict(Child.objects.filter(posyandu=posyandu, status=Child.Status.ACTIVE), user)
        .filter(pk=pk)
        .first()
    )
    if child is None:
        raise Http404
    return child


# The child page -----------------------------------------------------------------------------------


def child_get_for_user(*, user: User, pk: int) -> Child:
    """The child `pk` with its posyandu, desa, family and mother, or 404 outside the user's scope."""
    child = (
        restrict(Child.objects.all(), user)
        .select_related("posyandu", "posyandu__desa", "desa", "keluarga", "mother")
        .filter(pk=pk)
        .first()
    )
    if child is None:
        raise Http404
    return child


def child_measurement_list(*, child: Child) -> list[MeasurementStatus]:
    """The child's measurements, newest first, with their display values (one query)."""
    return [
        measurement_status(m, birth_date=child.birth_date)
        for m in child.measurements.order_by("-measured_on")
    ]


def child_chart_data(*, child: Child, today: datetime.date) -> dict[str, Any]:
    """The three charts' data for Chart.js: SD lines for the child's sex and the child's points.

    BB/PB (wfl) or BB/TB (wfh) is the one of the child's age today. Values rounded to 0.01.
    """
    rows = list(
        child.measurements.order_by("measured_on").values_list("age_days", "weight_kg", "adjusted_height_cm")
    )
    age_days = np.array([r[0] for r in rows], dtype=np.float64)
    weight = np.array([np.nan if r[1] is None else float(r[1]) for r in rows], dtype=np.float64)
    height = np.array([np.nan if r[2] is None else float(r[2]) for r in rows], dtype=np.float64)
    length_index = growth_charts.length_index_for_age((today - child.birth_date).days)
    charts = {}
    for index in ("wfa", "lhfa", length_index):
        curves = growth_charts.sd_curves(index=index, sex=child.sex)
        x, y = growth_charts.child_points(index=index, age_days=age_days, weight_kg=weight, height_cm=height)
        charts[index] = {
            "lines": {str(z): _points(curves.x, values) for z, values in curves.lines.items()},
            "child": _points(x, y),
        }
    return {"length_index": length_index, "charts": charts}


def _points(x: np.ndarray, y: np.ndarray) -> list[list[float]]:
    return np.round(np.column_stack([x, y]), 2).tolist()


# SKDN ---------------------------------------------------------------------------------------------


def skdn_reference_day(*, year: int, month: int) -> datetime.date:
    """Ages of the SKDN are counted on the month's last day: every balita of the month is in S."""
    return month_bounds(year=year, month=month)[1]


def skdn_for_posyandu(*, user: User, posyandu: Posyandu, year: int, month: int) -> skdn.SKDNTable:
    """The SKDN table of `posyandu` for a month (two queries): children registered there, weighings of the month.

    Per child the month's first weighing gives N/T/2T/O/B (a later one the same month has no status)
    and the month's last measurement the TB/U and BB/TB categories.
    """
    first, last = month_bounds(year=year, month=month)
    children = list(
        restrict(Child.objects.filter(posyandu=posyandu, status=Child.Status.ACTIVE), user)
        .filter(birth_date__lte=last, birth_date__gte=last - datetime.timedelta(days=_BIRTH_WINDOW_DAYS))
        .order_by("pk")
        .values_list("pk", "birth_date", "sex", "has_kia_book")
    )
    n = len(children)
    index = {row[0]: i for i, row in enumerate(children)}
    weighed = np.zeros(n, dtype=bool)
    gain = np.full(n, weight_gain.NOT_ASSESSED, dtype=np.int64)
    haz = np.full(n, classify.NO_VALUE, dtype=np.int64)
    whz = np.full(n, classify.NO_VALUE, dtype=np.int64)
    rows = (
        Measurement.objects.filter(child__in=list(index), measured_on__range=(first, last))
        .order_by("measured_on")
        .values_list("child_id", "weight_kg", "weight_gain", "haz_category", "whz_category")
    )
    for child_id, weight_kg, code, haz_code, whz_code in rows:
        i = index[child_id]
        haz[i], whz[i] = haz_code, whz_code
        if weight_kg is not None and not weighed[i]:
            weighed[i], gain[i] = True, code
    birth = np.array([row[1] for row in children], dtype="datetime64[D]")
    return skdn.skdn_table(
        age_months=completed_months(birth, np.datetime64(last)) if n else np.zeros(0, dtype=np.int64),
        sex=np.array([row[2] for row in children], dtype=object),
        has_kia_book=np.array([row[3] for row in children], dtype=bool),
        weighed=weighed,
        weight_gain_code=gain,
        haz_category=haz,
        whz_category=whz,
    )


# The offline posyandu day ------------------------------------------------------------------------


def _offline_measurement(status: MeasurementStatus | None) -> dict[str, Any] | None:
    """A stored measurement as the phone keeps it: its values and the server's statuses, nothing else."""
    if status is None:
        return None
    m = status.measurement
    return {
        "id": m.pk,
        "measured_on": m.measured_on.isoformat(),
        "weight_kg": None if m.weight_kg is None else str(m.weight_kg),
        "height_cm": None if m.height_cm is None else str(m.height_cm),
        "position": m.position,
        "adjusted_height_cm": None if m.adjusted_height_cm is None else str(m.adjusted_height_cm),
        "oedema": m.oedema,
        "weight_gain": m.weight_gain,  # the stored code (static/children/growth_engine.js reads it)
        "weight_gain_letter": status.gain_code,
        "indices": {i.index: {"z": i.z, "category": i.category, "tone": i.tone} for i in status.indices},
    }


def posyandu_offline_data(
    *, user: User, posyandu: Posyandu, year: int, month: int, today: datetime.date
) -> dict[str, Any]:
    """What the phone keeps for the offline posyandu day of a month: the posyandu, its children due
    (id, name, sex, birth date: no NIK, no address) and their last measurements with the server's
    statuses. Scoped like the page (posyandu_day_rows); two queries."""
    rows = posyandu_day_rows(user=user, posyandu=posyandu, year=year, month=month, today=today)
    return {
        "posyandu": {"id": posyandu.pk, "name": posyandu.name},
        "month": f"{year:04d}-{month:02d}",
        "posyandu_day": posyandu_day(year=year, month=month, today=today).isoformat(),
        "children": [
            {
                "id": row.child.pk,
                "name": row.child.name,
                "sex": row.child.sex,
                "birth_date": row.child.birth_date.isoformat(),
                "posyandu": posyandu.pk,
                "previous": _offline_measurement(row.previous),
                "current": _offline_measurement(row.current),
            }
            for row in rows
        ],
    }
