"""The kader's home page: this month's posyandu day, the children due and not weighed yet, and the open
referrals of her posyandu's children; only a kader with a posyandu has one."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from children.models import Child
from children.services import measurement_record
from interventions.models import Referral
from tests.factories import ChildFactory
from tests.interventions.conftest import Village


def client_for(village: Village, role: str) -> Client:
    client = Client()
    client.force_login(village.district.users[role])
    return client


def _referral(village: Village, child: Child, status: str = Referral.Status.OPEN) -> Referral:
    intervention = village.interventions["PMT-GK"]
    return Referral.objects.create(
        intervention=intervention,
        opd=intervention.opd,
        child=child,
        desa=child.desa,
        reason="BB/TB gizi kurang",
        due_date=timezone.localdate() + datetime.timedelta(days=14),
        status=status,
        created_by=village.district.users["bappeda_admin"],
    )


def test_a_kader_lands_on_todays_work_at_her_posyandu(village: Village) -> None:
    district = village.district
    today = timezone.localdate()
    born = today - datetime.timedelta(days=400)
    weighed = ChildFactory(name="Sudah Ditimbang", birth_date=born, posyandu=district.posyandu_a1)
    ChildFactory(name="Belum Satu", birth_date=born, posyandu=district.posyandu_a1)
    ChildFactory(name="Posyandu Lain", birth_date=born, posyandu=district.posyandu_a1_second)
    measurement_record(
        user=None,
        child=weighed,
        measured_on=today,
        weight_kg=Decimal("9.6"),
        height_cm=Decimal("75.0"),
        position="L",
    )
    due_before = Child.objects.filter(posyandu=district.posyandu_a1, status=Child.Status.ACTIVE).count()
    open_referral = _referral(village, weighed)
    _referral(village, weighed, status=Referral.Status.CANCELLED)
    other_posyandu_child = Child.objects.get(name="Posyandu Lain")
    _referral(village, other_posyandu_child)
    client = client_for(village, "kader")

    landing = client.get("/")
    page = client.get(reverse("children:kader-home"))

    assert (landing.status_code, landing["Location"]) == (302, reverse("children:kader-home"))
    assert page.status_code == 200
    html = page.content.decode()
    assert (page.context["due_count"], page.context["not_weighed_count"]) == (due_before, due_before - 1)
    assert f"<strong data-due>{due_before}</strong> anak umur 0-59 bulan perlu diukur bulan ini." in html
    assert f"<strong data-not-weighed>{due_before - 1}</strong> anak belum ditimbang." in html
    assert reverse("children:posyandu-day", args=[district.posyandu_a1.pk, today.year, today.month]) in html
    assert (
        reverse("children:posyandu-not-weighed", args=[district.posyandu_a1.pk, today.year, today.month])
        in html
    )
    # Only the open referral of her own posyandu's children.
    assert "1 rujukan anak posyandu ini belum selesai." in html
    assert reverse("interventions:referral-detail", args=[open_referral.pk]) in html
    assert "Posyandu Lain" not in html


@pytest.mark.parametrize("role", ["bappeda_admin", "puskesmas_officer", "pimpinan", "kpm", "no_role"])
def test_other_roles_have_no_kader_home(village: Village, role: str) -> None:
    assert client_for(village, role).get(reverse("children:kader-home")).status_code == 404
