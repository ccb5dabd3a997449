"""Breadcrumbs name each level ('Kecamatan PESANGGARAN > Desa SUMBERAGUNG'), not bare names."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import DistrictFixture

NAV = re.compile(r'<nav class="breadcrumbs"[^>]*>(.*?)</nav>', re.S)


def crumbs(html: str) -> list[str]:
    """The texts of the page's breadcrumb trail, in order."""
    match = NAV.search(html)
    assert match is not None
    return [part.strip() for part in re.findall(r">([^<]+)<", match.group(1)) if part.strip()]


def client_for(district: DistrictFixture, role: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="id")
    client.force_login(district.users[role])
    return client


def test_the_region_page_names_every_level(district: DistrictFixture) -> None:
    html = client_for(district, "bappeda_admin").get(
        reverse("convergence:region-detail", args=[district.desa_a1.code])
    )
    assert crumbs(html.content.decode()) == [
        "Provinsi JAWA TIMUR",
        "Kabupaten BANYUWANGI",
        "Kecamatan PESANGGARAN",
        "Desa SUMBERAGUNG",
    ]


def test_the_posyandu_page_names_every_level(district: DistrictFixture) -> None:
    html = client_for(district, "kader").get(
        reverse("convergence:posyandu-detail", args=[district.posyandu_a1.pk])
    )
    assert crumbs(html.content.decode())[-3:] == [
        "Kecamatan PESANGGARAN",
        "Desa SUMBERAGUNG",
        "Posyandu Mawar",
    ]


def test_a_retired_desa_keeps_its_mark_in_the_trail(district: DistrictFixture) -> None:
    district.desa_a2.retired_at = timezone.now()
    district.desa_a2.save(update_fields=["retired_at"])
    html = client_for(district, "bappeda_admin").get(
        reverse("convergence:region-detail", args=[district.desa_a2.code])
    )
    assert crumbs(html.content.decode())[-1] == "Desa SILIRAGUNG (tidak berlaku)"


@pytest.mark.parametrize("role", ["pimpinan", "bappeda_admin"])
def test_the_dashboard_of_a_desa_names_every_level(district: DistrictFixture, role: str) -> None:
    html = client_for(district, role).get(reverse("reports:region-dashboard", args=[district.desa_a1.code]))
    assert crumbs(html.content.decode()) == [
        "Kabupaten BANYUWANGI",
        "Kecamatan PESANGGARAN",
        "Desa SUMBERAGUNG",
    ]


def test_the_dashboard_of_a_posyandu_names_every_level(district: DistrictFixture) -> None:
    html = client_for(district, "pimpinan").get(
        reverse("reports:posyandu-dashboard", args=[district.posyandu_a1.pk])
    )
    assert crumbs(html.content.decode()) == [
        "Kabupaten BANYUWANGI",
        "Kecamatan PESANGGARAN",
        "Desa SUMBERAGUNG",
        "Posyandu Mawar",
    ]


def test_the_dashboard_of_a_desa_outside_the_kabupaten_is_not_found(district: DistrictFixture) -> None:
    response = client_for(district, "pimpinan").get(
        reverse("reports:region-dashboard", args=[district.other_desa.code])
    )
    assert response.status_code == 404
