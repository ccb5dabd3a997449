"""One parametrised test per role for every surface: pages, API, admin; denials change nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from convergence.models import Posyandu, Region
from convergence.scoping import check_can_edit, restrict
from tests.factories import DistrictFixture

DISTRICT_REGIONS = ["35", "35.10", "35.10.01", "35.10.01.2001", "35.10.01.2002", "35.10.02", "35.10.02.2001"]
VISIBLE_REGIONS = {
    "bappeda_admin": DISTRICT_REGIONS,
    "pimpinan": DISTRICT_REGIONS,
    "opd_officer": DISTRICT_REGIONS,
    "puskesmas_officer": ["35", "35.10", "35.10.01", "35.10.01.2001", "35.10.01.2002"],
    "kader": ["35", "35.10", "35.10.01", "35.10.01.2001"],
    "kpm": ["35", "35.10", "35.10.01", "35.10.01.2002"],
    "no_role": [],
}
VISIBLE_POSYANDU = {
    "bappeda_admin": ["Mawar", "Melati", "Anggrek", "Kenanga"],
    "pimpinan": ["Mawar", "Melati", "Anggrek", "Kenanga"],
    "opd_officer": ["Mawar", "Melati", "Anggrek", "Kenanga"],
    "puskesmas_officer": ["Mawar", "Melati", "Anggrek"],
    "kader": ["Mawar"],
    "kpm": ["Anggrek"],
    "no_role": [],
}
ROLES = list(VISIBLE_REGIONS)


def posyandu_names(district: DistrictFixture, role: str) -> list[str]:
    visible = restrict(Posyandu.objects.order_by("desa__code", "code"), district.users[role])
    return list(visible.values_list("name", flat=True))


def everything() -> list[tuple[object, ...]]:
    return [
        *Region.objects.order_by("code").values_list("code", "name", "parent_id", "puskesmas_id"),
        *Posyandu.objects.order_by("pk").values_list("pk", "name", "desa_id", "target_balita"),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_it_scopes_every_surface_to_the_role(district: DistrictFixture, role: str) -> None:
    user = district.users[role]
    # Selectors
    assert list(restrict(Region.objects.order_by("code"), user).values_list("code", flat=True)) == sorted(
        VISIBLE_REGIONS[role]
    )
    assert sorted(posyandu_names(district, role)) == sorted(VISIBLE_POSYANDU[role])

    # API, with the user's token
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    regions = api.get("/api/v1/regions/", {"page_size": 100}).json()
    assert [row["code"] for row in regions["results"]] == sorted(VISIBLE_REGIONS[role])
    posyandu = api.get("/api/v1/posyandu/").json()
    assert sorted(row["name"] for row in posyandu["results"]) == sorted(VISIBLE_POSYANDU[role])
    assert api.get("/api/v1/regions/35.11/").status_code == 404
    assert api.get(f"/api/v1/posyandu/{district.other_posyandu.pk}/").status_code == 404
    assert api.get("/api/v1/me/").json()["role"] == user.role

    # Pages
    web = Client()
    web.force_login(user)
    assert web.get("/wilayah/35.11/").status_code == 404
    assert web.get(f"/posyandu/{district.other_posyandu.pk}/").status_code == 404
    for code in VISIBLE_REGIONS[role]:
        assert web.get(f"/wilayah/{code}/").status_code == 200
    for code in set(DISTRICT_REGIONS) - set(VISIBLE_REGIONS[role]):
        assert web.get(f"/wilayah/{code}/").status_code == 404
    assert web.get(f"/posyandu/{district.posyandu_b1.pk}/").status_code == (
        200 if "Kenanga" in VISIBLE_POSYANDU[role] else 404
    )


@pytest.mark.parametrize("role", ROLES)
def test_it_changes_nothing_when_a_write_is_refused(district: DistrictFixture, role: str) -> None:
    user = district.users[role]
    before = everything()
    web = Client()
    web.force_login(user)
    admin_url = f"/admin/convergence/posyandu/{district.other_posyandu.pk}/change/"
    response = web.post(
        admin_url, {"desa": district.desa_a1.pk, "code": "X", "name": "Direbut", "target_balita": 1}
    )
    # Bappeda: the row is outside his scope, so the admin says it does not exist (redirect to the index);
    # everyone else is not an admin user and is sent to the admin login.
    assert response.status_code == 302
    expected = "/admin/" if role == "bappeda_admin" else "/admin/login/"
    assert response.url.startswith(expected)
    api = APIClient()
    api.force_authenticate(user)
    assert api.patch(f"/api/v1/posyandu/{district.posyandu_a1.pk}/", {"name": "X"}).status_code in (403, 405)
    assert api.post(
        "/api/v1/regions/", {"code": "35.10.09", "name": "X", "level": "kecamatan"}
    ).status_code in (
        403,
        405,
    )
    with pytest.raises(PermissionDenied):
        check_can_edit(user, district.other_posyandu)
    assert everything() == before


def test_it_lets_bappeda_edit_inside_the_kabupaten_through_the_admin(district: DistrictFixture) -> None:
    web = Client()
    web.force_login(district.users["bappeda_admin"])
    admin_url = f"/admin/convergence/posyandu/{district.posyandu_a1.pk}/change/"
    response = web.post(
        admin_url,
        {
            "desa": district.desa_a1.pk,
            "code": "P01",
            "name": "Mawar Merah",
            "rw": "",
            "target_balita": 41,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    district.posyandu_a1.refresh_from_db()
    assert (district.posyandu_a1.name, district.posyandu_a1.target_balita) == ("Mawar Merah", 41)


def test_it_keeps_the_district_head_read_only(district: DistrictFixture) -> None:
    with pytest.raises(PermissionDenied):
        check_can_edit(district.users["pimpinan"], district.posyandu_a1)
    check_can_edit(district.users["kader"], district.posyandu_a1)
    with pytest.raises(PermissionDenied):
        check_can_edit(district.users["kader"], district.posyandu_a1_second)


def test_it_hides_other_districts_from_the_bappeda_admin_changelist(district: DistrictFixture) -> None:
    web = Client()
    web.force_login(district.users["bappeda_admin"])
    page = web.get("/admin/convergence/posyandu/").content.decode()
    assert "Mawar" in page
    assert "Dahlia" not in page
    assert web.get(f"/admin/convergence/posyandu/{district.other_posyandu.pk}/change/").status_code == 302


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("bappeda_admin", [("35.10.01", 2, 3), ("35.10.02", 1, 1)]),
        ("puskesmas_officer", [("35.10.01", 2, 3)]),
        ("kader", [("35.10.01", 1, 1)]),
        ("kpm", [("35.10.01", 1, 1)]),
    ],
)
def test_it_counts_only_what_the_user_may_see(
    district: DistrictFixture, role: str, expected: list[tuple]
) -> None:
    from convergence.selectors import region_children_for_user

    rows = region_children_for_user(user=district.users[role], region=district.kabupaten)
    assert [(r.code, r.subregion_count, r.posyandu_count) for r in rows] == expected


def test_it_answers_outside_the_scope_with_a_translated_404_page(district: DistrictFixture) -> None:
    web = Client(HTTP_ACCEPT_LANGUAGE="id")
    web.force_login(district.users["kader"])
    response = web.get("/wilayah/35.10.02/")
    assert response.status_code == 404
    assert "Halaman tidak ditemukan" in response.content.decode()
