"""The referral of a measurement result to the puskesmas: the "Rujuk" button of a result with alerts.

A result that stands out (2T, BGM, a WHO flag, an index in its most severe category:
children.selectors_posyandu.measurement_alerts) is referred to the Dinas Kesehatan intervention the
puskesmas delivers for growth problems, tata laksana balita gizi buruk (catalogue code TL-GIZI-BURUK:
the puskesmas confirms the child's status and treats it). The reason is written from the result; the
posyandu and its puskesmas go into it too, the referral having no column for them. One open referral
per child: a second press finds the first.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from children.models import Child, Measurement
from children.selectors_posyandu import INDICES, category_label, measurement_alerts
from convergence.formatting import fixed
from convergence.models import User
from interventions import access, services
from interventions.models import Intervention, Referral

GROWTH_REFERRAL_CODE = "TL-GIZI-BURUK"
# A child the kader refers is seen at the puskesmas within the week (the next puskesmas day).
GROWTH_REFERRAL_DAYS = 7


@dataclass(frozen=True)
class GrowthReferral:
    referral: Referral
    created: bool


def growth_referral_intervention(*, child: Child) -> Intervention | None:
    """The kabupaten's intervention that growth referrals go to, or None when its catalogue lacks it."""
    kabupaten_code = child.desa.code[:5]
    return (
        Intervention.objects.filter(kabupaten__code=kabupaten_code, code=GROWTH_REFERRAL_CODE)
        .select_related("opd", "kabupaten")
        .first()
    )


def growth_referral_interventions(*, children: Iterable[Child]) -> dict[int, Intervention]:
    """growth_referral_intervention of each child (desa loaded), by child id, in one query; a child
    whose kabupaten lacks it is left out."""
    children = list(children)
    found = {
        item.kabupaten.code: item
        for item in Intervention.objects.filter(
            code=GROWTH_REFERRAL_CODE, kabupaten__code__in={child.desa.code[:5] for child in children}
        ).select_related("opd", "kabupaten")
    }
    return {child.pk: found[child.desa.code[:5]] for child in children if child.desa.code[:5] in found}


def growth_referrals_open(
    *, child_ids: Iterable[int], interventions: Mapping[int, Intervention]
) -> dict[int, Referral]:
    """The open growth referral of each child that has one, by child id, in one query."""
    child_ids = set(child_ids)
    if not child_ids:
        return {}
    rows = Referral.objects.filter(
        child_id__in=child_ids,
        intervention__in={interventions[pk].pk for pk in child_ids},
        status__in=Referral.OPEN_STATUSES,
    ).order_by("pk")
    found: dict[int, Referral] = {}
    for referral in rows:
        if referral.child_id is not None and referral.intervention_id == interventions[referral.child_id].pk:
            found.setdefault(referral.child_id, referral)
    return found


def _z_text(measurement: Measurement, index: str) -> str:
    z = getattr(measurement, index)
    return "" if z is None else f"{fixed(z, 2)} SD"


def referral_reason_for_measurement(*, measurement: Measurement) -> str:
    """The reason of a growth referral, in Indonesian whatever the page language: each alert of the
    result with its z-score, the measuring day, the posyandu and its puskesmas.

    "Sangat pendek (TB/U -3,40 SD), diukur 5 Desember 2026. Posyandu Mawar, Puskesmas Sumberagung."
    """
    with translation.override("id"):
        labels = dict(INDICES)
        parts = []
        for alert in measurement_alerts(measurement):
            if alert.code.startswith("severe-"):
                index = alert.code.removeprefix("severe-")
                code = getattr(measurement, f"{index}_category")
                parts.append(f"{category_label(index, code)} ({labels[index]} {_z_text(measurement, index)})")
            elif alert.code == "bgm":
                parts.append(f"{alert.text} ({labels['waz']} {_z_text(measurement, 'waz')})")
            else:
                parts.append(alert.text)
        day = formats.date_format(measurement.measured_on, "j F Y")
        reason = _("%(alerts)s, diukur %(day)s.") % {"alerts": "; ".join(parts), "day": day}
        posyandu = measurement.child.posyandu
        puskesmas = posyandu.desa.puskesmas
        place = _("Posyandu %(posyandu)s") % {"posyandu": posyandu.name}
        if puskesmas is not None:
            place += ", " + _("Puskesmas %(puskesmas)s") % {"puskesmas": puskesmas.name}
        return f"{reason} {place}."


def growth_referral_open(*, child: Child, intervention: Intervention) -> Referral | None:
    """The child's open growth referral, if any."""
    return Referral.objects.filter(
        intervention=intervention, child=child, status__in=Referral.OPEN_STATUSES
    ).first()


def referral_from_measurement(
    *, user: User, measurement: Measurement, today: datetime.date | None = None
) -> GrowthReferral:
    """Refer the child of `measurement` (a result with alerts) to the puskesmas, or find its open referral.

    A kader only for a child of her posyandu (interventions.access.can_refer_measurement). Locks the
    child row, so two presses at once make one referral.
    """
    child = measurement.child
    intervention = growth_referral_intervention(child=child)
    if intervention is None:
        raise ValidationError(
            _("Katalog intervensi kabupaten belum memuat tata laksana balita gizi buruk (%(code)s).")
            % {"code": GROWTH_REFERRAL_CODE}
        )
    access.check_refer_measurement(user, measurement, intervention)
    if not measurement_alerts(measurement):
        raise ValidationError(_("Hasil ini tidak perlu dirujuk: tidak ada yang perlu perhatian."))
    today = today or timezone.localdate()
    with transaction.atomic():
        Child.objects.select_for_update().filter(pk=child.pk).first()
        existing = growth_referral_open(child=child, intervention=intervention)
        if existing is not None:
            return GrowthReferral(existing, created=False)
        referral = services.referral_insert(
            user=user,
            intervention=intervention,
            subject=child,
            reason=referral_reason_for_measurement(measurement=measurement),
            due_date=today + datetime.timedelta(days=GROWTH_REFERRAL_DAYS),
        )
    return GrowthReferral(referral, created=True)
