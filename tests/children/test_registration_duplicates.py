"""Registering a child: likely duplicates shown before saving, named only within the user's scope."""

from __future__ import annotations

import datetime

from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from children.models import Child, DuplicateCandidate
from tests.factories import ChildFactory, DistrictFixture

BORN = datetime.date(2024, 3, 10)


def kader_client(district: DistrictFixture) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="id")
    client.force_login(district.users["kader"])
    return client


def child_post(district: DistrictFixture, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Budi Santoso",
        "nik": "",
        "sex": "L",
        "birth_date": BORN.isoformat(),
        "posyandu": district.posyandu_a1.pk,
        "mother_name": "Siti",
    }
    data.update(overrides)
    return data


def test_it_shows_an_in_scope_match_by_name_before_saving(district: DistrictFixture) -> None:
    known = ChildFactory(name="Budi Santosa", birth_date=BORN, posyandu=district.posyandu_a1)
    response = kader_client(district).post(reverse("children:child-create"), child_post(district))
    assert response.status_code == 200
    assert Child.objects.count() == 1
    page = response.content.decode()
    assert "Mungkin anak ini sudah terdaftar" in page
    assert "Budi Santosa" in page
    assert reverse("children:child-detail", kwargs={"pk": known.pk}) in page
    assert 'name="keputusan" value="baru"' in page
    assert response.context["token"]
    assert "di luar wilayah Anda" not in page


def test_it_opens_the_existing_child_when_it_is_the_same(district: DistrictFixture) -> None:
    known = ChildFactory(name="Budi Santosa", birth_date=BORN, posyandu=district.posyandu_a1)
    client = kader_client(district)
    page = client.post(reverse("children:child-create"), child_post(district)).content.decode()
    link = reverse("children:child-detail", kwargs={"pk": known.pk})
    assert f'href="{link}"' in page
    opened = client.get(link)
    assert opened.status_code == 200
    assert opened.context["child"] == known
    assert Child.objects.count() == 1
    assert DuplicateCandidate.objects.count() == 0


def test_it_saves_as_new_once_and_queues_the_pair(district: DistrictFixture) -> None:
    known = ChildFactory(name="Budi Santosa", birth_date=BORN, posyandu=district.posyandu_a1)
    client = kader_client(district)
    token = client.post(reverse("children:child-create"), child_post(district)).context["token"]
    confirmed = child_post(district, keputusan="baru", token=token)
    first = client.post(reverse("children:child-create"), confirmed)
    new = Child.objects.exclude(pk=known.pk).get()
    assert first.status_code == 302
    assert first["Location"] == reverse("children:child-detail", kwargs={"pk": new.pk})
    again = client.post(reverse("children:child-create"), confirmed)
    assert again.status_code == 302
    assert again["Location"] == reverse("children:child-detail", kwargs={"pk": new.pk})
    assert Child.objects.count() == 2
    queued = DuplicateCandidate.objects.get()
    assert (queued.kind, queued.child_a_id, queued.child_b_id, queued.status) == (
        DuplicateCandidate.Kind.CHILD,
        known.pk,
        new.pk,
        DuplicateCandidate.Status.OPEN,
    )
    assert queued.reason == DuplicateCandidate.Reason.SIMILAR_NAME_BIRTH_DATE


def test_it_refuses_save_as_new_without_a_token(district: DistrictFixture) -> None:
    ChildFactory(name="Budi Santosa", birth_date=BORN, posyandu=district.posyandu_a1)
    response = kader_client(district).post(
        reverse("children:child-create"), child_post(district, keputusan="baru", token="made-up")
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("children:child-list")
    assert Child.objects.count() == 1
    assert DuplicateCandidate.objects.count() == 0


def test_it_does_not_name_a_match_outside_her_posyandu_but_queues_it(district: DistrictFixture) -> None:
    # Same desa, the other posyandu: the review queue's rule holds, the kader does not see that child.
    other = ChildFactory(
        name="Budi Santosa", birth_date=BORN, posyandu=district.posyandu_a1_second, mother_name="Rina"
    )
    client = kader_client(district)
    response = client.post(reverse("children:child-create"), child_post(district))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Ada data anak yang mirip di luar wilayah Anda" in page
    assert "Budi Santosa" not in page
    assert "Melati" not in page
    assert reverse("children:child-detail", kwargs={"pk": other.pk}) not in page
    assert response.context["matches"] == []
    saved = client.post(
        reverse("children:child-create"),
        child_post(district, keputusan="baru", token=response.context["token"]),
    )
    new = Child.objects.exclude(pk=other.pk).get()
    assert saved["Location"] == reverse("children:child-detail", kwargs={"pk": new.pk})
    queued = DuplicateCandidate.objects.get()
    assert (queued.child_a_id, queued.child_b_id, queued.desa_id) == (other.pk, new.pk, district.desa_a1.pk)


def test_it_saves_at_once_without_a_likely_duplicate(district: DistrictFixture) -> None:
    ChildFactory(name="Ahmad Fauzi", birth_date=BORN, posyandu=district.posyandu_a1, mother_name="Rina")
    response = kader_client(district).post(reverse("children:child-create"), child_post(district))
    assert response.status_code == 302
    assert Child.objects.count() == 2
    assert DuplicateCandidate.objects.count() == 0


def test_it_uses_the_same_mother_rule_as_the_queue(district: DistrictFixture) -> None:
    # Another name, same mother (written on the register), birth date and sex: the queue's first rule.
    known = ChildFactory(name="Ahmad", birth_date=BORN, posyandu=district.posyandu_a1, mother_name="Siti")
    response = kader_client(district).post(reverse("children:child-create"), child_post(district))
    assert response.status_code == 200
    assert [child for child, _reason in response.context["matches"]] == [known]
    assert "Ibu, tanggal lahir dan jenis kelamin sama" in response.content.decode()


# The API: the child is created, its likely duplicates come back as warnings -------------------------------


def _api_create(district: DistrictFixture) -> dict[str, object]:
    api = APIClient()
    api.force_authenticate(district.users["kader"])
    body = {
        "name": "Budi Santoso",
        "sex": "L",
        "birth_date": BORN.isoformat(),
        "posyandu": district.posyandu_a1.pk,
    }
    response = api.post("/api/v1/children/", body, format="json")
    assert response.status_code == 201
    payload: dict[str, object] = response.json()
    return payload


def test_the_api_warns_with_the_ids_of_matches_in_scope(district: DistrictFixture) -> None:
    known = ChildFactory(name="Budi Santosa", birth_date=BORN, posyandu=district.posyandu_a1)
    body = _api_create(district)
    assert body["warnings"] == [
        f"Kemungkinan duplikat, dikirim ke antrean tinjauan: anak nomor data {known.pk}."
    ]
    queued = DuplicateCandidate.objects.get()
    assert (queued.child_a_id, queued.child_b_id) == (known.pk, body["id"])


def test_the_api_counts_a_match_outside_scope_without_its_id(district: DistrictFixture) -> None:
    other = ChildFactory(name="Budi Santosa", birth_date=BORN, posyandu=district.posyandu_a1_second)
    body = _api_create(district)
    assert body["warnings"] == [
        "Ada data anak yang mirip di luar wilayah Anda; kasus ini dikirim ke antrean tinjauan duplikat."
    ]
    queued = DuplicateCandidate.objects.get()
    assert (queued.child_a_id, queued.child_b_id) == (other.pk, body["id"])
