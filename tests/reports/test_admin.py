"""Admin of the reports: scoped like every page; summaries read-only; the national path superuser-only."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from reports.models import NationalTarget, SurveyFigure, TargetRule


@pytest.fixture
def figures(district):
    mine = SurveyFigure.objects.create(
        region=district.kabupaten, year=2024, source="SSGI", stunting_pct=Decimal("27.9")
    )
    theirs = SurveyFigure.objects.create(
        region=district.other_kabupaten, year=2024, source="SSGI", stunting_pct=Decimal("30.1")
    )
    TargetRule.objects.create(kabupaten=district.kabupaten, regulation="Perbup 68/2020")
    return mine, theirs


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_bappeda_sees_and_edits_only_its_kabupaten(district, figures) -> None:
    mine, theirs = figures
    client = _client(district.users["bappeda_admin"])
    page = client.get("/admin/reports/surveyfigure/")
    assert page.status_code == 200
    assert "27.90" in page.content.decode()
    assert "30.10" not in page.content.decode()
    assert (
        client.get(f"/admin/reports/surveyfigure/{theirs.pk}/change/").status_code == 302
    )  # "does not exist"
    assert client.get(f"/admin/reports/surveyfigure/{mine.pk}/change/").status_code == 200


def test_summaries_are_read_only_and_the_national_path_is_for_superusers(district) -> None:
    client = _client(district.users["bappeda_admin"])
    assert client.get("/admin/reports/prevalencesummary/").status_code == 200
    assert client.get("/admin/reports/prevalencesummary/add/").status_code == 403
    target = NationalTarget.objects.get(year=2024)
    response = client.post(
        f"/admin/reports/nationaltarget/{target.pk}/change/", {"year": 2024, "stunting_pct": "10"}
    )
    assert response.status_code == 403
    target.refresh_from_db()
    assert target.stunting_pct == Decimal("14.00")


@pytest.mark.parametrize("role", ["pimpinan", "opd_officer", "puskesmas_officer", "kader", "kpm"])
def test_other_roles_have_no_reports_admin(district, figures, role) -> None:
    user = district.users[role]
    user.is_staff = True
    user.save()
    assert _client(user).get("/admin/reports/surveyfigure/").status_code == 403
