"""The interventions section of the child page (registered in InterventionsConfig.ready)."""

from __future__ import annotations

from children.models import Child
from children.panels import ChildPanel
from convergence.models import User
from convergence.scoping import restrict
from interventions.models import Delivery


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
