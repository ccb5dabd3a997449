"""The seed_demo step of the interventions app, on the hand-checked desa's district."""

from __future__ import annotations

from io import StringIO

from django.core.management.base import OutputWrapper

from convergence.demo import SCALES, DemoDistrict
from interventions.demo import delete_interventions, seed_interventions
from interventions.models import Delivery, Intervention, Referral
from tests.interventions.conftest import TODAY, Village


def _run(village: Village, seed: int) -> list[tuple[object, ...]]:
    demo = DemoDistrict(today=TODAY)
    demo.kabupaten = village.district.kabupaten
    demo.users = {user.username: user for user in village.district.users.values()}
    seed_interventions(rng_seed=seed, scale=SCALES["small"], district=demo, out=OutputWrapper(StringIO()))
    return [
        *Delivery.objects.order_by(
            "intervention__code", "child_id", "person_id", "keluarga_id", "delivered_on"
        ).values_list(
            "intervention__code", "child_id", "person_id", "keluarga_id", "delivered_on", "quantity", "source"
        ),
        *Referral.objects.order_by("intervention__code", "child_id", "person_id", "keluarga_id").values_list(
            "intervention__code", "child_id", "person_id", "keluarga_id", "status", "delivery__delivered_on"
        ),
    ]


def test_it_seeds_deliveries_and_referrals_deterministically(village: Village) -> None:
    # The step loads the standard catalogue: the fixture's own short catalogue goes first.
    Intervention.objects.all().delete()
    first = _run(village, seed=7)
    # The catalogue's Dinkes, PUPR, Dinsos and DP3AP2KB interventions (the others' OPD are missing here).
    assert Intervention.objects.filter(code="AIR-MINUM").exists()
    assert Delivery.objects.filter(source="demo").count() > 0
    assert set(Referral.objects.values_list("status", flat=True)) <= {
        "terbuka",
        "diproses",
        "dibatalkan",
        "selesai",
    }
    assert all(
        referral.delivery is not None
        for referral in Referral.objects.filter(status="selesai").select_related("delivery")
    )
    delete_interventions(kabupaten=village.district.kabupaten, out=OutputWrapper(StringIO()))
    assert (Delivery.objects.count(), Referral.objects.count(), Intervention.objects.count()) == (0, 0, 0)
    assert _run(village, seed=7) == first
