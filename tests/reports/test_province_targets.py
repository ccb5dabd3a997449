"""The provincial target path (RPJMD): entered only by the provincial Bappeda of that province, through the
service, the page, the API and the admin, read by the province's and the national role beside the
national path."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from convergence.models import Role
from reports import province_targets
from reports.models import NationalTarget, ProvincialTarget
from tests.convergence.province_fixtures import ProvinceWorld, build_province_world, client_for
from tests.factories import DistrictFixture, UserFactory
from tests.problems import field_errors


@pytest.fixture
def world(district: DistrictFixture) -> ProvinceWorld:
    # The national path comes with the migrations; set here so the test does not depend on them.
    NationalTarget.objects.update_or_create(year=2024, defaults={"stunting_pct": Decimal("14.00")})
    return build_province_world(district)


def targets() -> list[tuple[str, int, Decimal, str]]:
    return list(
        ProvincialTarget.objects.order_by("provinsi__code", "year").values_list(
            "provinsi__code", "year", "stunting_pct", "source"
        )
    )


def save(world: ProvinceWorld, role: str = "bappeda_provinsi", **fields: object) -> ProvincialTarget:
    values: dict[str, object] = {"year": 2025, "stunting_pct": Decimal("16.00"), "source": "RPJMD 2025-2029"}
    values.update(fields)
    return province_targets.provincial_target_save(
        user=world.users[role],
        provinsi=world.district.provinsi,
        **values,  # type: ignore[arg-type]
    )


def test_it_sets_and_changes_a_year_s_figure(world: ProvinceWorld) -> None:
    first = save(world)
    second = save(world, stunting_pct=Decimal("15.5"), source=" Perubahan RPJMD ")
    assert second.pk == first.pk
    assert targets() == [("35", 2025, Decimal("15.50"), "Perubahan RPJMD")]
    assert second.updated_by == world.users["bappeda_provinsi"]


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        (
            {"stunting_pct": Decimal("100.01")},
            {"stunting_pct": ["Target stunting harus antara 0 dan 100 persen."]},
        ),
        (
            {"stunting_pct": Decimal("-1")},
            {"stunting_pct": ["Target stunting harus antara 0 dan 100 persen."]},
        ),
        (
            {"stunting_pct": Decimal("NaN")},
            {"stunting_pct": ["Target stunting harus antara 0 dan 100 persen."]},
        ),
        (
            {"stunting_pct": Decimal("14.125")},
            {"stunting_pct": ["Target stunting paling banyak dua angka di belakang koma."]},
        ),
        ({"year": 1999}, {"year": ["Tahun target harus antara 2000 dan 2100."]}),
    ],
)
def test_it_refuses_values_out_of_range_naming_the_field(
    world: ProvinceWorld, fields: dict[str, object], errors: dict[str, list[str]]
) -> None:
    with pytest.raises(ValidationError) as error:
        save(world, **fields)
    assert error.value.message_dict == errors
    assert targets() == []


def test_it_takes_decimals_only(world: ProvinceWorld) -> None:
    with pytest.raises(TypeError):
        save(world, stunting_pct=16.0)
    assert targets() == []


@pytest.mark.parametrize(
    "role", ["nasional", "other_provinsi", "bappeda_admin", "pimpinan", "kader", "no_role"]
)
def test_only_the_province_s_own_bappeda_sets_its_path(world: ProvinceWorld, role: str) -> None:
    with pytest.raises(PermissionDenied):
        save(world, role)
    assert targets() == []


# The page ----------------------------------------------------------------------------------------------

URL = "/provinsi/35/target/"


def test_the_page_shows_the_path_with_the_national_figure_beside_it(world: ProvinceWorld) -> None:
    save(world, year=2024, stunting_pct=Decimal("18.00"))
    for role in ("bappeda_provinsi", "nasional"):
        response = client_for(world.users[role]).get(URL)
        assert response.status_code == 200
        rows = [
            (row.year, row.provincial.stunting_pct if row.provincial else None, row.national_pct)
            for row in response.context["path"]
        ]
        assert [row for row in rows if row[1] is not None] == [(2024, Decimal("18.00"), Decimal("14.00"))]
        html = response.content.decode()
        assert '<td data-testid="provincial">18,00</td>' in html
        assert '<td data-testid="national">14,00</td>' in html
        assert ('data-testid="target-form"' in html) is (role == "bappeda_provinsi")


def test_the_provincial_bappeda_enters_a_year_with_a_comma(world: ProvinceWorld) -> None:
    client = client_for(world.users["bappeda_provinsi"])
    response = client.post(URL, {"year": "2026", "stunting_pct": "14,5", "source": "RPJMD"})
    assert (response.status_code, response["Location"]) == (302, URL)
    assert targets() == [("35", 2026, Decimal("14.50"), "RPJMD")]
    page = client.get(URL).content.decode()
    assert "Target tahun 2026 tersimpan." in page
    # "Ubah" opens the form with the year's figure.
    form = client.get(URL, {"tahun": "2026"}).context["form"]
    assert (form.initial["year"], form.initial["stunting_pct"]) == (2026, Decimal("14.50"))


def test_a_wrong_figure_on_the_page_answers_400_naming_the_field(world: ProvinceWorld) -> None:
    response = client_for(world.users["bappeda_provinsi"]).post(URL, {"year": "2026", "stunting_pct": "140"})
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "stunting_pct": ["Target stunting harus antara 0 dan 100 persen."]
    }
    assert targets() == []


@pytest.mark.parametrize(
    ("role", "status"), [("nasional", 403), ("other_provinsi", 404), ("bappeda_admin", 403)]
)
def test_the_page_refuses_other_roles(world: ProvinceWorld, role: str, status: int) -> None:
    response = client_for(world.users[role]).post(URL, {"year": "2026", "stunting_pct": "14"})
    assert response.status_code == status
    assert targets() == []


# The API -----------------------------------------------------------------------------------------------


def api(world: ProvinceWorld, role: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(world.users[role])
    return client


def test_the_api_creates_then_changes_a_year_s_figure(world: ProvinceWorld) -> None:
    client = api(world, "bappeda_provinsi")
    body = {"provinsi": "35", "year": 2027, "stunting_pct": "13.00", "source": "RPJMD"}
    created = client.post("/api/v1/provincial-targets/", body, format="json")
    assert created.status_code == 201
    assert {key: created.json()[key] for key in ("provinsi", "year", "stunting_pct")} == {
        "provinsi": "35",
        "year": 2027,
        "stunting_pct": "13.00",
    }
    again = client.post("/api/v1/provincial-targets/", {**body, "stunting_pct": "12.50"}, format="json")
    assert (again.status_code, again.json()["id"]) == (201, created.json()["id"])
    patched = client.patch(
        f"/api/v1/provincial-targets/{created.json()['id']}/", {"source": "RPJMD perubahan"}, format="json"
    )
    assert patched.status_code == 200
    assert targets() == [("35", 2027, Decimal("12.50"), "RPJMD perubahan")]


def test_the_api_refuses_a_figure_out_of_range_by_field(world: ProvinceWorld) -> None:
    response = api(world, "bappeda_provinsi").post(
        "/api/v1/provincial-targets/",
        {"provinsi": "35", "year": 2027, "stunting_pct": "120.00"},
        format="json",
    )
    assert (response.status_code, field_errors(response)) == (
        400,
        {"stunting_pct": ["Isi bidang ini harus kurang atau sama dengan 100."]},
    )
    assert targets() == []


@pytest.mark.parametrize(
    "role", ["nasional", "other_provinsi", "bappeda_admin", "pimpinan", "opd_officer", "kader"]
)
def test_the_api_answers_403_to_every_other_role(world: ProvinceWorld, role: str) -> None:
    response = api(world, role).post(
        "/api/v1/provincial-targets/",
        {"provinsi": "35", "year": 2027, "stunting_pct": "13.00"},
        format="json",
    )
    assert response.status_code == 403
    assert targets() == []


def test_the_api_lists_the_paths_of_the_callers_area(world: ProvinceWorld) -> None:
    save(world, year=2025)
    province_targets.provincial_target_save(
        user=world.users["other_provinsi"],
        provinsi=world.other_provinsi,
        year=2025,
        stunting_pct=Decimal("20.00"),
    )

    def listed(role: str) -> list[tuple[str, int]]:
        rows = api(world, role).get("/api/v1/provincial-targets/").json()["results"]
        return [(row["provinsi"], row["year"]) for row in rows]

    assert listed("bappeda_provinsi") == [("35", 2025)]
    assert listed("other_provinsi") == [("36", 2025)]
    assert listed("nasional") == [("35", 2025), ("36", 2025)]
    # A kabupaten reads the path of its own province.
    assert listed("bappeda_admin") == [("35", 2025)]


# The admin ---------------------------------------------------------------------------------------------


def test_the_admin_lets_the_provincial_bappeda_enter_its_path_only(world: ProvinceWorld) -> None:
    staff = UserFactory(
        username="bappeda_prov_staff",
        role=Role.BAPPEDA_PROVINSI,
        provinsi=world.district.provinsi,
        is_staff=True,
    )
    client = client_for(staff)
    add = reverse("admin:reports_provincialtarget_add")
    form = client.get(add)
    assert form.status_code == 200
    assert [p.code for p in form.context["adminform"].form.fields["provinsi"].queryset] == ["35"]
    response = client.post(
        add,
        {"provinsi": world.district.provinsi.pk, "year": 2028, "stunting_pct": "12.00", "source": "RPJMD"},
    )
    assert response.status_code == 302
    assert targets() == [("35", 2028, Decimal("12.00"), "RPJMD")]
    assert ProvincialTarget.objects.get().updated_by == staff
    refused = client.post(add, {"provinsi": world.other_provinsi.pk, "year": 2028, "stunting_pct": "12.00"})
    assert refused.status_code == 200  # the province is not a choice
    assert targets() == [("35", 2028, Decimal("12.00"), "RPJMD")]
    # The kabupaten's Bappeda (staff) does not see the provincial path in the admin, nor change grades.
    bappeda = client_for(world.users["bappeda_admin"])
    assert bappeda.get(reverse("admin:reports_provincialtarget_changelist")).status_code == 403
    assert bappeda.get(reverse("admin:convergence_assessmentgrade_add")).status_code == 403
