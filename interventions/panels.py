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


def measurement_referral_actions(user: User, measurements: list[Measurement]) -> dict[int, ChildPanel]:
    """The "Rujuk" button under each result with alerts that `user` may refer, or a link to the child's
    open referral; a fixed number of queries for any number of results."""
    alerted = [m for m in measurements if measurement_alerts(m)]
    if not alerted:
        return {}
    children = Child.objects.select_related("desa").in_bulk({m.child_id for m in alerted})
    by_child = services_referral.growth_referral_interventions(children=children.values())
    referable = access.referable_children(user, children.values(), by_child)
    existing = services_referral.growth_referrals_open(child_ids=referable, interventions=by_child)
    return {
        m.pk: ChildPanel(
            "interventions/_result_referral.html", {"measurement": m, "existing": existing.get(m.child_id)}
        )
        for m in alerted
        if m.child_id in referable
    }
