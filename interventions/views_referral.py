"""The "Rujuk" button of a measurement result: refer the child to the puskesmas (services_referral)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from children.models import Measurement
from convergence.http import AuthenticatedHttpRequest
from convergence.scoping import restrict
from interventions import services_referral


@login_required
@require_POST
def referral_from_measurement(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Refer the measured child (a result with alerts) or open its referral; a result the user cannot
    read is a 404, a child the user may not refer a 403."""
    measurement = get_object_or_404(
        restrict(Measurement.objects.select_related("child__desa", "child__posyandu__desa"), request.user),
        pk=pk,
    )
    try:
        found = services_referral.referral_from_measurement(user=request.user, measurement=measurement)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("children:child-detail", pk=measurement.child_id)
    if found.created:
        messages.success(request, _("Rujukan ke puskesmas dibuat."))
    else:
        messages.info(request, _("Anak ini sudah punya rujukan terbuka ke puskesmas."))
    return redirect("interventions:referral-detail", pk=found.referral.pk)


urlpatterns = [
    path(
        "intervensi/rujukan/pengukuran/<int:pk>/",
        referral_from_measurement,
        name="referral-from-measurement",
    ),
]
