"""The registry API: scoped like the pages, writes through the services, NIK never in URLs, reads logged."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from children import pii
from children.models import (
    AdolescentGirl,
    AdolescentTTD,
    Child,
    DuplicateCandidate,
    Keluarga,
    Measurement,
    MergeLog,
    Pregnancy,
    RecordAccess,
)
from children.services import child_save
from tests.factories import ChildFactory, DistrictFixture, KeluargaFactory, PersonFactory
from tests.problems import field_errors

BORN = datetime.date(2024, 3, 10)
NIK_BOY = "3510011003240001"


def _api(district: DistrictFixture, role: str) -> APIClient:
    api = APIClient()
    api.force_authenticate(district.users[role])
    return api


def _children_everywhere(district: DistrictFixture) -> None:
    for posyandu in (
        district.posyandu_a1,
        district.posyandu_a1_second,
        district.posyandu_a2,
        district.posyandu_b1,
        district.other_posyandu,
    ):
        ChildFactory(name=f"Anak {posyandu.name}", posyandu=posyandu)


VISIBLE_CHILDREN = {
    "bappeda_admin": ["Anggrek", "Kenanga", "Mawar", "Melati"],
    "pimpinan": ["Anggrek", "Kenanga", "Mawar", "Melati"],
    "opd_officer": ["Anggrek", "Kenanga", "Mawar", "Melati"],
    "puskesmas_officer": ["Anggrek", "Mawar", "Melati"],
    "kader": ["Mawar"],
    "kpm": ["Anggrek"],
    "no_role": [],
}


@pytest.mark.parametrize("role", list(VISIBLE_CHILDREN))
def test_each_role_lists_the_children_of_its_unit(district: DistrictFixture, role: str) -> None:
    _children_everywhere(district)
    rows = _api(district, role).get("/api/v1/children/").json()["results"]
    assert [row["name"] for row in rows] == [f"Anak {name}" for name in VISIBLE_CHILDREN[role]]
    outside = Child.objects.get(posyandu=district.other_posyandu)
    assert _api(district, role).get(f"/api/v1/children/{outside.pk}/").status_code == 404


def test_a_kader_registers_a_child_and_sees_its_nik(district: DistrictFixture) -> None:
    response = _api(district, "kader").post(
        "/api/v1/children/",
        {
            "name": "Budi",
            "sex": "L",
            "birth_date": "2024-03-10",
            "posyandu": district.posyandu_a1.pk,
            "nik": NIK_BOY,
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["nik"], body["desa"], body["warnings"]) == (NIK_BOY, "35.10.01.2001", [])
    child = Child.objects.get()
    assert (child.nik_hash, child.history.get().history_user) == (
        pii.nik_hash(NIK_BOY),
        district.users["kader"],
    )


def test_a_duplicate_nik_is_refused_with_a_pointer_to_the_record(district: DistrictFixture) -> None:
    first = child_save(
        user=None, name="Budi", sex="L", birth_date=BORN, posyandu=district.posyandu_a1, nik=NIK_BOY
    ).obj
    response = _api(district, "kader").post(
        "/api/v1/children/",
        {
            "name": "Budi",
            "sex": "L",
            "birth_date": "2024-03-10",
            "posyandu": district.posyandu_a1.pk,
            "nik": NIK_BOY,
        },
        format="json",
    )
    assert response.status_code == 400
    assert field_errors(response) == {
        "nik": [f"NIK ini sudah terdaftar: anak Budi di SUMBERAGUNG (nomor data {first.pk})."]
    }
    assert Child.objects.count() == 1


def test_a_nik_registered_outside_the_scope_is_refused_without_a_name_and_queued(
    district: DistrictFixture,
) -> None:
    bunga = child_save(
        user=None, name="Bunga Pratama", sex="P", birth_date=BORN, posyandu=district.posyandu_b1, nik=NIK_BOY
    ).obj
    response = _api(district, "kader").post(
        "/api/v1/children/",
        {
            "name": "Bunga",
            "sex": "P",
            "birth_date": "2024-03-10",
            "posyandu": district.posyandu_a1.pk,
            "nik": NIK_BOY,
        },
        format="json",
    )
    assert response.status_code == 400
    assert field_errors(response) == {
        "nik": [
            "NIK ini sudah terdaftar pada data di luar wilayah Anda; kasus ini dikirim ke antrean tinjauan "
            "duplikat."
        ]
    }
    assert Child.objects.count() == 1
    queue = _api(district, "bappeda_admin").get("/api/v1/duplicates/").json()["results"]
    assert [
        (
            row["kind"],
            row["reason"],
            row["child_a"]["id"],
            row["child_b"],
            row["reported_by"],
            row["reported_by_name"],
        )
        for row in queue
    ] == [("anak", "nik_luar_wilayah", bunga.pk, None, district.users["kader"].pk, "kader_mawar")]


def test_a_kk_number_registered_outside_the_scope_is_refused_without_a_name(
    district: DistrictFixture,
) -> None:
    family = KeluargaFactory(desa=district.desa_b1, head_name="Slamet", kk_number="3510010101200001")
    response = _api(district, "kpm").post(
        "/api/v1/keluarga/",
        {"kk_number": "3510010101200001", "head_name": "Lain", "desa": district.desa_a2.code},
        format="json",
    )
    assert (response.status_code, field_errors(response)) == (
        400,
        {
            "kk_number": [
                "Nomor KK ini sudah terdaftar pada data di luar wilayah Anda; kasus ini dikirim ke antrean "
                "tinjauan duplikat."
            ]
        },
    )
    queue = _api(district, "bappeda_admin").get("/api/v1/duplicates/").json()["results"]
    assert [
        (row["kind"], row["keluarga_a"], row["reported_by"], row["reported_by_name"]) for row in queue
    ] == [
        (
            "keluarga",
            {"id": family.pk, "head_name": "Slamet", "desa": "35.10.02.2001"},
            district.users["kpm"].pk,
            "kpm_siliragung",
        )
    ]


@pytest.mark.parametrize("role", ["opd_officer", "pimpinan", "no_role"])
def test_read_only_roles_cannot_write_and_nothing_changes(district: DistrictFixture, role: str) -> None:
    child = ChildFactory(name="Budi", posyandu=district.posyandu_a1)
    api = _api(district, role)
    created = api.post(
        "/api/v1/children/",
        {"name": "X", "sex": "L", "birth_date": "2024-03-10", "posyandu": district.posyandu_a1.pk},
        format="json",
    )
    changed = api.patch(f"/api/v1/children/{child.pk}/", {"name": "Y"}, format="json")
    measured = api.post(
        "/api/v1/measurements/",
        {"child": child.pk, "measured_on": "2025-03-10", "weight_kg": "9.5"},
        format="json",
    )
    family = api.post("/api/v1/keluarga/", {"head_name": "Z", "desa": "35.10.01.2001"}, format="json")
    assert [created.status_code, changed.status_code, measured.status_code, family.status_code] == [403] * 4
    assert list(Child.objects.values_list("name", flat=True)) == ["Budi"]
    assert (Measurement.objects.count(), Keluarga.objects.count()) == (0, 0)


def test_a_kader_cannot_change_or_reference_a_record_outside_her_posyandu(district: DistrictFixture) -> None:
    other = ChildFactory(name="Budi", posyandu=district.posyandu_a1_second)
    api = _api(district, "kader")
    assert api.patch(f"/api/v1/children/{other.pk}/", {"name": "Y"}, format="json").status_code == 404
    response = api.post(
        "/api/v1/measurements/",
        {"child": other.pk, "measured_on": "2025-03-10", "weight_kg": "9.5"},
        format="json",
    )
    assert response.status_code == 400
    assert list(field_errors(response)) == ["child"]
    other.refresh_from_db()
    assert (other.name, Measurement.objects.count()) == ("Budi", 0)


def test_the_nik_is_masked_for_roles_without_need(district: DistrictFixture) -> None:
    child = child_save(
        user=None, name="Budi", sex="L", birth_date=BORN, posyandu=district.posyandu_a2, nik=NIK_BOY
    ).obj
    assert _api(district, "kpm").get(f"/api/v1/children/{child.pk}/").json()["nik"] == "351001••••••••••"
    assert _api(district, "puskesmas_officer").get(f"/api/v1/children/{child.pk}/").json()["nik"] == NIK_BOY


def test_lookup_by_nik_answers_only_inside_the_scope_and_the_same_way_otherwise(
    district: DistrictFixture,
) -> None:
    child = child_save(
        user=None, name="Budi", sex="L", birth_date=BORN, posyandu=district.posyandu_a1, nik=NIK_BOY
    ).obj
    found = _api(district, "kader").post("/api/v1/children/lookup/", {"nik": NIK_BOY}, format="json")
    assert (found.status_code, [row["id"] for row in found.json()]) == (200, [child.pk])
    elsewhere = _api(district, "kpm").post("/api/v1/children/lookup/", {"nik": NIK_BOY}, format="json")
    unknown = _api(district, "kpm").post(
        "/api/v1/children/lookup/", {"nik": "3510011003240002"}, format="json"
    )
    assert (elsewhere.status_code, elsewhere.json()) == (unknown.status_code, unknown.json()) == (200, [])
    # A read-only role may look up too (it is a read).
    assert len(_api(district, "pimpinan").post("/api/v1/children/lookup/", {"nik": NIK_BOY}).json()) == 1
    assert RecordAccess.objects.filter(kind="anak", object_id=child.pk, channel="api").count() == 2


def test_reads_are_logged_one_row_per_record_or_per_list(district: DistrictFixture) -> None:
    _children_everywhere(district)
    child = Child.objects.get(posyandu=district.posyandu_a1)
    api = _api(district, "puskesmas_officer")
    api.get("/api/v1/children/?name=anak")
    api.get(f"/api/v1/children/{child.pk}/")
    assert list(
        RecordAccess.objects.order_by("pk").values_list("kind", "object_id", "record_count", "path")
    ) == [
        ("anak", None, 3, "/api/v1/children/"),
        ("anak", child.pk, 1, f"/api/v1/children/{child.pk}/"),
    ]


def test_children_filters(district: DistrictFixture) -> None:
    _children_everywhere(district)
    ChildFactory(name="Siti", sex="P", posyandu=district.posyandu_a1, birth_date=datetime.date(2022, 1, 1))
    api = _api(district, "bappeda_admin")

    def names(query: dict[str, object]) -> list[str]:
        return [row["name"] for row in api.get("/api/v1/children/", query).json()["results"]]

    assert names({"desa": "35.10.01.2001"}) == ["Anak Mawar", "Anak Melati", "Siti"]
    assert names({"posyandu": district.posyandu_a1.pk, "sex": "P"}) == ["Siti"]
    assert names({"birth_date_before": "2023-01-01"}) == ["Siti"]
    assert names({"name": "keNAN"}) == ["Anak Kenanga"]
    # A posyandu outside the scope filters to nothing rather than revealing whether it exists.
    assert names({"posyandu": district.other_posyandu.pk}) == []


def test_a_measurement_returns_its_z_scores_categories_and_weight_gain(district: DistrictFixture) -> None:
    child = ChildFactory(posyandu=district.posyandu_a1, birth_date=BORN)
    response = _api(district, "kader").post(
        "/api/v1/measurements/",
        {
            "child": child.pk,
            "measured_on": "2025-03-10",
            "weight_kg": "9.60",
            "height_cm": "75.0",
            "position": "L",
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    stored = Measurement.objects.get()
    assert (body["id"], body["age_days"], body["adjusted_height_cm"], body["posyandu"]) == (
        stored.pk,
        365,
        "75.0",
        district.posyandu_a1.pk,
    )
    assert [body[name] for name in ("waz", "haz", "whz", "baz")] == [
        stored.waz,
        stored.haz,
        stored.whz,
        stored.baz,
    ]
    assert body["categories"]["haz"] == {"code": stored.haz_category, "label": "Normal"}
    assert body["categories"]["waz"] == {"code": 2, "label": "Berat badan normal"}
    assert body["weight_gain"] == {"code": "B", "label": "Baru pertama kali ditimbang"}
    assert (body["error_flags"], body["source"]) == (0, "api")


def test_an_implausible_measurement_needs_confirmation_then_is_stored(district: DistrictFixture) -> None:
    child = ChildFactory(posyandu=district.posyandu_a1, birth_date=BORN)
    api = _api(district, "kader")
    data = {"child": child.pk, "measured_on": "2025-03-10", "weight_kg": "30.0"}
    first = api.post("/api/v1/measurements/", data, format="json")
    assert first.status_code == 400
    assert first.json()["code"] == "needs_confirmation"
    assert len(field_errors(first)["remeasure_confirmed"]) == 1
    assert Measurement.objects.count() == 0
    again = api.post("/api/v1/measurements/", {**data, "remeasure_confirmed": True}, format="json")
    assert (again.status_code, again.json()["remeasure_confirmed"]) == (201, True)
    # Other values for the same day are a conflict: the stored one is shown, nothing is overwritten.
    other = api.post("/api/v1/measurements/", {**data, "weight_kg": "9.6"}, format="json")
    assert (other.status_code, other.json()["code"], other.json()["existing"]["weight_kg"]) == (
        409,
        "conflict",
        "30.00",
    )
    assert Measurement.objects.get().weight_kg == Decimal("30.00")


def test_measurement_field_errors_keep_the_field_names(district: DistrictFixture) -> None:
    child = ChildFactory(posyandu=district.posyandu_a1, birth_date=BORN)
    response = _api(district, "kader").post(
        "/api/v1/measurements/",
        {"child": child.pk, "measured_on": "2024-01-01", "height_cm": "60"},
        format="json",
    )
    assert response.status_code == 400
    assert sorted(field_errors(response)) == ["measured_on", "position"]


def _count_queries(api: APIClient, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert api.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", ["/api/v1/children/", "/api/v1/measurements/"])
def test_lists_take_the_same_number_of_queries_for_one_or_three_rows(
    district: DistrictFixture, url: str
) -> None:
    api = _api(district, "puskesmas_officer")
    api.get(url)  # the first request of a user also loads its scope

    def add(n: int) -> None:
        for _ in range(n):
            child = ChildFactory(posyandu=district.posyandu_a1, mother=PersonFactory(desa=district.desa_a1))
            Measurement.objects.create(
                child=child,
                posyandu=district.posyandu_a1,
                measured_on=datetime.date(2025, 1, 5),
                age_days=301,
            )

    add(1)
    one = _count_queries(api, url)
    add(2)
    three = _count_queries(api, url)
    assert (Child.objects.count(), one) == (3, three)


def test_pregnancies_record_visits_and_compute_kek(district: DistrictFixture) -> None:
    mother = PersonFactory(desa=district.desa_a1, birth_date=datetime.date(1995, 5, 17))
    api = _api(district, "puskesmas_officer")
    created = api.post(
        "/api/v1/pregnancies/", {"mother": mother.pk, "lmp_date": "2025-01-01", "gravida": 1}, format="json"
    )
    assert created.status_code == 201
    pk = created.json()["id"]
    assert (created.json()["expected_delivery_date"], created.json()["desa"]) == (
        "2025-10-08",
        "35.10.01.2001",
    )
    visit = api.post(
        f"/api/v1/pregnancies/{pk}/visits/",
        {"visit_date": "2025-02-01", "lila_cm": "22.0", "ttd_tablets": 30},
        format="json",
    )
    assert visit.status_code == 201
    body = api.get(f"/api/v1/pregnancies/{pk}/").json()
    assert (body["is_kek"], body["ttd_total"], [v["visit_date"] for v in body["visits"]]) == (
        True,
        30,
        ["2025-02-01"],
    )
    assert [row["id"] for row in api.get("/api/v1/pregnancies/", {"is_kek": "true"}).json()["results"]] == [
        pk
    ]
    assert api.get("/api/v1/pregnancies/", {"is_kek": "false"}).json()["results"] == []
    refused = _api(district, "pimpinan").post(
        f"/api/v1/pregnancies/{pk}/visits/", {"visit_date": "2025-03-01"}, format="json"
    )
    assert (refused.status_code, Pregnancy.objects.get().visits.count()) == (403, 1)


def test_a_family_with_a_registered_kk_is_refused(district: DistrictFixture) -> None:
    api = _api(district, "kpm")
    kk = "3510011201200003"
    first = api.post("/api/v1/keluarga/", {"head_name": "Slamet", "desa": "35.10.01.2002", "kk_number": kk})
    assert first.status_code == 201
    second = api.post("/api/v1/keluarga/", {"head_name": "Slamet", "desa": "35.10.01.2002", "kk_number": kk})
    assert second.status_code == 400
    assert list(field_errors(second)) == ["kk_number"]
    outside = api.post("/api/v1/keluarga/", {"head_name": "Joko", "desa": "35.10.01.2001"})
    assert (outside.status_code, list(field_errors(outside))) == (400, ["desa"])
    assert Keluarga.objects.count() == 1


def _pair(district: DistrictFixture) -> tuple[Child, Child, DuplicateCandidate]:
    first = child_save(
        user=None, name="Muhammad Rizky", sex="L", birth_date=BORN, posyandu=district.posyandu_a1
    ).obj
    second = child_save(
        user=None, name="Muhamad Rizki", sex="L", birth_date=BORN, posyandu=district.posyandu_a1
    ).obj
    return first, second, DuplicateCandidate.objects.get()  # type: ignore[return-value]


def test_a_puskesmas_officer_merges_a_pair_through_the_api(district: DistrictFixture) -> None:
    first, second, candidate = _pair(district)
    api = _api(district, "puskesmas_officer")
    listed = api.get("/api/v1/duplicates/", {"status": "terbuka"}).json()["results"]
    assert [(row["id"], row["child_a"]["id"], row["child_b"]["id"]) for row in listed] == [
        (candidate.pk, first.pk, second.pk)
    ]
    response = api.post(f"/api/v1/duplicates/{candidate.pk}/merge/", {"survivor": second.pk}, format="json")
    assert response.status_code == 201
    assert (response.json()["survivor_child"], response.json()["removed_id"]) == (second.pk, first.pk)
    assert list(Child.objects.values_list("pk", flat=True)) == [second.pk]
    assert [row["id"] for row in api.get("/api/v1/merges/").json()["results"]] == [MergeLog.objects.get().pk]


@pytest.mark.parametrize("role", ["kader", "opd_officer", "pimpinan"])
def test_roles_that_do_not_review_cannot_merge_or_dismiss_through_the_api(
    district: DistrictFixture, role: str
) -> None:
    first, _second, candidate = _pair(district)
    api = _api(district, role)
    merged = api.post(f"/api/v1/duplicates/{candidate.pk}/merge/", {"survivor": first.pk}, format="json")
    dismissed = api.post(f"/api/v1/duplicates/{candidate.pk}/dismiss/", {"note": "x"}, format="json")
    assert (merged.status_code, dismissed.status_code) == (403, 403)
    assert (Child.objects.count(), DuplicateCandidate.objects.get().status) == (2, "terbuka")


def test_a_pair_outside_the_scope_is_404_through_the_api(district: DistrictFixture) -> None:
    first = child_save(
        user=None, name="Muhammad Rizky", sex="L", birth_date=BORN, posyandu=district.posyandu_b1
    ).obj
    child_save(user=None, name="Muhamad Rizki", sex="L", birth_date=BORN, posyandu=district.posyandu_b1)
    candidate = DuplicateCandidate.objects.get()
    api = _api(district, "puskesmas_officer")
    assert api.get(f"/api/v1/duplicates/{candidate.pk}/").status_code == 404
    response = api.post(f"/api/v1/duplicates/{candidate.pk}/merge/", {"survivor": first.pk}, format="json")
    assert (response.status_code, Child.objects.count()) == (404, 2)


def test_bappeda_dismisses_a_pair_through_the_api(district: DistrictFixture) -> None:
    _, _, candidate = _pair(district)
    response = _api(district, "bappeda_admin").post(
        f"/api/v1/duplicates/{candidate.pk}/dismiss/", {"note": "Kembar"}, format="json"
    )
    assert (response.status_code, response.json()["status"], response.json()["note"]) == (
        200,
        "bukan_duplikat",
        "Kembar",
    )


@pytest.mark.django_db
def test_the_schema_lists_the_registry_endpoints() -> None:
    paths = APIClient().get("/api/schema/", {"format": "json"}).json()["paths"]
    for path in (
        "/api/v1/keluarga/",
        "/api/v1/children/",
        "/api/v1/children/lookup/",
        "/api/v1/persons/lookup/",
        "/api/v1/measurements/",
        "/api/v1/pregnancies/{id}/visits/",
        "/api/v1/adolescent-girls/",
        "/api/v1/adolescent-ttd/",
        "/api/v1/duplicates/{id}/merge/",
        "/api/v1/duplicates/{id}/dismiss/",
    ):
        assert path in paths
    assert "delete" not in paths["/api/v1/children/{id}/"]


# Desa each role sees (by name) in every registry list; kader sees her desa for desa-scoped rows.
VISIBLE_DESA = {
    "bappeda_admin": ["SAMBIMULYO", "SILIRAGUNG", "SUMBERAGUNG"],
    "pimpinan": ["SAMBIMULYO", "SILIRAGUNG", "SUMBERAGUNG"],
    "opd_officer": ["SAMBIMULYO", "SILIRAGUNG", "SUMBERAGUNG"],
    "puskesmas_officer": ["SILIRAGUNG", "SUMBERAGUNG"],
    "kader": ["SUMBERAGUNG"],
    "kpm": ["SILIRAGUNG"],
    "no_role": [],
}


@pytest.mark.parametrize("role", list(VISIBLE_DESA))
def test_each_registry_list_is_scoped_to_the_roles_unit(district: DistrictFixture, role: str) -> None:
    for desa, posyandu in (
        (district.desa_a1, district.posyandu_a1),
        (district.desa_a2, district.posyandu_a2),
        (district.desa_b1, district.posyandu_b1),
        (district.other_desa, district.other_posyandu),
    ):
        keluarga = KeluargaFactory(desa=desa, head_name=desa.name)
        mother = PersonFactory(desa=desa, name=desa.name)
        child = ChildFactory(posyandu=posyandu, name=desa.name, keluarga=keluarga)
        Measurement.objects.create(
            child=child, posyandu=posyandu, measured_on=datetime.date(2025, 1, 5), age_days=301
        )
        Pregnancy.objects.create(mother=mother, desa=desa, posyandu=posyandu)
        girl = AdolescentGirl.objects.create(person=PersonFactory(desa=desa, name=f"Remaja {desa.name}"))
        AdolescentTTD.objects.create(girl=girl, week_start=datetime.date(2025, 1, 6))
        twin = ChildFactory(posyandu=posyandu, name=f"{desa.name} kembar")
        DuplicateCandidate.objects.create(
            kind="anak", child_a=child, child_b=twin, desa=desa, reason="nama_mirip_tgl_lahir"
        )
    api = _api(district, role)
    region = {
        d.pk: d.name for d in (district.desa_a1, district.desa_a2, district.desa_b1, district.other_desa)
    }
    by_code = {
        d.code: d.name for d in (district.desa_a1, district.desa_a2, district.desa_b1, district.other_desa)
    }

    def listed(url: str) -> list[dict[str, object]]:
        response = api.get(url)
        assert response.status_code == 200, url
        return response.json()["results"]

    expected = VISIBLE_DESA[role]
    assert sorted(by_code[row["desa"]] for row in listed("/api/v1/keluarga/")) == expected
    assert (
        sorted(row["name"] for row in listed("/api/v1/persons/") if not row["name"].startswith("Remaja"))
        == expected
    )
    assert sorted(by_code[row["desa"]] for row in listed("/api/v1/pregnancies/")) == expected
    assert (
        sorted(region[Child.objects.get(pk=row["child"]).desa_id] for row in listed("/api/v1/measurements/"))
        == expected
    )
    assert sorted(by_code[row["desa"]] for row in listed("/api/v1/adolescent-girls/")) == expected
    girls = {g.pk: g.person.desa.name for g in AdolescentGirl.objects.select_related("person__desa")}
    assert sorted(girls[row["girl"]] for row in listed("/api/v1/adolescent-ttd/")) == expected
    assert sorted(by_code[row["desa"]] for row in listed("/api/v1/duplicates/")) == expected


def test_persons_lookup_by_nik(district: DistrictFixture) -> None:
    from children.services import person_save

    nik = "3510015705950001"  # a woman born 17-05-1995
    person = person_save(
        user=None, name="Siti", sex="P", birth_date=datetime.date(1995, 5, 17), desa=district.desa_a1, nik=nik
    ).obj
    rows = (
        _api(district, "puskesmas_officer")
        .post("/api/v1/persons/lookup/", {"nik": nik}, format="json")
        .json()
    )
    assert [(row["id"], row["nik"]) for row in rows] == [(person.pk, nik)]
    assert _api(district, "kpm").post("/api/v1/persons/lookup/", {"nik": nik}, format="json").json() == []
