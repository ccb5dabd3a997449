"""The interventions section of the child page (registered in InterventionsConfig.ready)."""

from __future__ import annotations

from django.db.models import QuerySet

from children.models import Child, Measurement, Person
from children.panels import ChildPanel
from children.selectors_posyandu import measurement_alerts
from convergence.models import Posyandu, User
from convergence.scoping import restrict
from interventions import access, services_pmt, services_referral
from interventions.models import Delivery, PMTEnrolment, Referral


def child_deliveries_panel(user: User, child: Child) -> ChildPanel:
    """Deliveries to the child and to its family that `user` may see (an OPD officer: his OPD's)."""
    child_rows = restrict(Delivery.objects.filter(child=child), user)
    family_rows = (
        restrict(Delivery.objects.filter(keluarga_id=child.keluarga_id), user)
        if child.keluarga_id
        else Delivery.objects.none()
    )
    rows = (child_rows | family_rows).select_related("intervention", "opd").order_by("-delivered_on", "pk")
    return ChildPanel("interventions/_child_deliveries.html", {"deliveries": list(rows[:100])})


def _pmt_panel(user: User, episodes: QuerySet[PMTEnrolment], query: str) -> ChildPanel | None:
    """PMT episodes of a recipient `user` may see, and the enrolment link for roles that enrol."""
    rows = list(restrict(episodes, user).select_related("programme").order_by("-start_date", "-pk")[:20])
    may_enrol = services_pmt.can_see_pmt_money(user) and services_pmt.may_enrol(user)
    if not rows and not may_enrol:
        return None
    return ChildPanel(
        "interventions/pmt/_recipient_panel.html",
        {"episodes": rows, "enrol_query": query if may_enrol else ""},
    )


def child_pmt_panel(user: User, child: Child) -> ChildPanel | None:
    return _pmt_panel(user, PMTEnrolment.objects.filter(child=child), f"anak={child.pk}")


def person_pmt_panel(user: User, person: Person) -> ChildPanel | None:
    return _pmt_panel(user, PMTEnrolment.objects.filter(person=person), f"sasaran=ibu&ibu={person.pk}")


def posyandu_referrals_panel(user: User, posyandu: Posyandu) -> ChildPanel:
    """The open referrals of the posyandu's children that `user` may see, soonest due first."""
    rows = (
        restrict(Referral.objects.filter(child__posyandu=posyandu, status__in=Referral.OPEN_STATUSES), user)
        .select_related("intervention", "child")
        .order_by("due_date", "pk")
    )
    return ChildPanel(
        "interventions/_posyandu_referrals.html",
        {"referral_count": rows.count(), "referrals": list(rows[:10])},
    )


def measurement_referral_action(user: User, measurement: Measurement) -> ChildPanel | None:
    """The "Rujuk" button under a result with alerts, or a link to the child's open referral."""
    if not measurement_alerts(measurement):
        return None
    intervention = services_referral.growth_referral_intervention(child=measurement.child)
    if intervention is None or not access.can_refer_measurement(user, measurement, intervention):
        return None
    existing = services_referral.growth_referral_open(child=measurement.child, intervention=intervention)
    return ChildPanel(
        "interventions/_result_referral.html", {"measurement": measurement, "existing": existing}
    )
