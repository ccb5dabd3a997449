"""Registry pages: families, children, persons, pregnancies, adolescent girls and the NIK search."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from children import pii, services
from children.models import (
    AdolescentGirl,
    AdolescentTTD,
    Child,
    DuplicateCandidate,
    Keluarga,
    Person,
    Pregnancy,
    PregnancyVisit,
    RecordAccess,
)
from children.selectors_registry import week_start
from tests.factories import ChildFactory, DistrictFixture, KeluargaFactory, PersonFactory

# Women born 17-05-1995 (day + 40) and a boy born 10-03-2024, registered in kecamatan 35.10.01.
MOTHER_NIK = "3510015705950001"
BOY_NIK = "3510011003240001"
ROLES = ["bappeda_admin", "pimpinan", "opd_officer", "puskesmas_officer", "kader", "kpm", "no_role"]
WRITERS = {"bappeda_admin", "puskesmas_officer", "kader", "kpm"}
# Rows in desa A1 (posyandu Mawar): who reads them.
SEES_DESA_A1 = {"bappeda_admin", "pimpinan", "opd_officer", "puskesmas_officer", "kader"}


def client_for(district: DistrictFixture, role: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="id")
    client.force_login(district.users[role])
    return client


def mother_with_nik(district: DistrictFixture, nik: str = MOTHER_NIK) -> Person:
    result = services.person_save(
        user=None,
        nik=nik,
        name="Siti Aminah",
        sex="P",
        birth_date=datetime.date(1995, 5, 17),
        desa=district.desa_a1,
    )
    assert isinstance(result.obj, Person)
    return result.obj


def child_post(district: DistrictFixture, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Budi Santoso",
        "nik": "",
        "sex": "L",
        "birth_date": "2024-03-10",
        "posyandu": district.posyandu_a1.pk,
        "mother_name": "Siti",
        "has_kia_book": "on",
    }
    data.update(overrides)
    return data


# Lists --------------------------------------------------------------------------------------------------

LISTS = ["keluarga-list", "child-list", "person-list", "pregnancy-list", "adolescent-list", "nik-search"]


@pytest.mark.parametrize("role", ROLES)
def test_it_opens_the_lists_for_every_role_with_a_scope(district: DistrictFixture, role: str) -> None:
    client = client_for(district, role)
    statuses = {name: client.get(reverse(f"children:{name}")).status_code for name in LISTS}
    expected = 403 if role == "no_role" else 200
    assert statuses == dict.fromkeys(LISTS, expected)


def test_it_shows_create_buttons_only_to_writers(district: DistrictFixture) -> None:
    for role in ("pimpinan", "opd_officer", "kader"):
        html = client_for(district, role).get(reverse("children:child-list")).content.decode()
        assert (reverse("children:child-create") in html) == (role in WRITERS)


@pytest.mark.parametrize("role", ROLES)
def test_it_lists_only_the_children_in_scope(district: DistrictFixture, role: str) -> None:
    for posyandu in (
        district.posyandu_a1,
        district.posyandu_a2,
        district.posyandu_b1,
        district.other_posyandu,
    ):
        ChildFactory(posyandu=posyandu, name=f"Anak {posyandu.name}")
    response = client_for(district, role).get(reverse("children:child-list"))
    if role == "no_role":
        assert response.status_code == 403
        return
    names = [child.name for child in response.context["rows"]]
    expected = {
        "bappeda_admin": ["Anak Anggrek", "Anak Kenanga", "Anak Mawar"],
        "pimpinan": ["Anak Anggrek", "Anak Kenanga", "Anak Mawar"],
        "opd_officer": ["Anak Anggrek", "Anak Kenanga", "Anak Mawar"],
        "puskesmas_officer": ["Anak Anggrek", "Anak Mawar"],
        "kader": ["Anak Mawar"],
        "kpm": ["Anak Anggrek"],
    }
    assert names == expected[role]


def test_it_filters_children_by_sex_age_band_and_name(district: DistrictFixture) -> None:
    today = timezone.localdate()
    ChildFactory(
        posyandu=district.posyandu_a1, name="Ani", sex="P", birth_date=today - datetime.timedelta(days=100)
    )
    ChildFactory(
        posyandu=district.posyandu_a1, name="Budi", sex="L", birth_date=today - datetime.timedelta(days=100)
    )
    ChildFactory(
        posyandu=district.posyandu_a1, name="Citra", sex="P", birth_date=today - datetime.timedelta(days=800)
    )
    client = client_for(district, "bappeda_admin")

    def names(params: dict[str, str]) -> list[str]:
        return [c.name for c in client.get(reverse("children:child-list"), params).context["rows"]]

    assert names({"jk": "P"}) == ["Ani", "Citra"]
    assert names({"umur": "0-5"}) == ["Ani", "Budi"]
    assert names({"umur": "24-35", "jk": "P"}) == ["Citra"]
    assert names({"q": "bud"}) == ["Budi"]
    # Digits typed into the name box never filter (a NIK is searched by POST only).
    assert client.get(reverse("children:child-list"), {"q": "3510"})["Location"] == "/anak/"


@pytest.mark.parametrize(
    ("name", "make"),
    [
        (
            "child-list",
            lambda d, i: ChildFactory(posyandu=d.posyandu_a1, mother=PersonFactory(desa=d.desa_a1)),
        ),
        ("keluarga-list", lambda d, i: KeluargaFactory(desa=d.desa_a1)),
        ("person-list", lambda d, i: PersonFactory(desa=d.desa_a1, keluarga=KeluargaFactory(desa=d.desa_a1))),
        (
            "pregnancy-list",
            lambda d, i: Pregnancy.objects.create(
                mother=PersonFactory(desa=d.desa_a1),
                desa=d.desa_a1,
                posyandu=d.posyandu_a1,
                lmp_date=datetime.date(2026, 5, 1),
            ),
        ),
        (
            "adolescent-list",
            lambda d, i: AdolescentGirl.objects.create(person=PersonFactory(desa=d.desa_a1)),
        ),
    ],
)
def test_it_lists_in_a_constant_number_of_queries(district: DistrictFixture, name: str, make: object) -> None:
    client = client_for(district, "bappeda_admin")
    counts = []
    for total in (1, 3):
        while len(client.get(reverse(f"children:{name}")).context["rows"]) < total:
            make(district, total)  # type: ignore[operator]
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(f"children:{name}"))
        assert len(response.context["rows"]) == total
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_it_logs_one_read_row_for_a_list_page(district: DistrictFixture) -> None:
    ChildFactory(posyandu=district.posyandu_a1)
    ChildFactory(posyandu=district.posyandu_a1)
    client_for(district, "kader").get(reverse("children:child-list"), {"q": "anak"})
    assert list(RecordAccess.objects.values_list("kind", "object_id", "record_count", "channel", "path")) == [
        ("anak", None, 2, "halaman", "/anak/")
    ]


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("keluarga-list", "/keluarga/"),
        ("child-list", "/anak/"),
        ("person-list", "/penduduk/"),
        ("pregnancy-list", "/kehamilan/"),
        ("adolescent-list", "/remaja/"),
    ],
)
def test_it_never_searches_a_number_from_the_address_and_points_to_the_nik_search(
    district: DistrictFixture, name: str, path: str
) -> None:
    client = client_for(district, "puskesmas_officer")
    response = client.get(
        reverse(f"children:{name}"), {"q": BOY_NIK, "desa": district.desa_a1.pk, "halaman": 2}
    )
    # Sent back without the number (other filters kept, page reset), before any row is read.
    assert (response.status_code, response["Location"]) == (302, f"{path}?desa={district.desa_a1.pk}")
    assert RecordAccess.objects.count() == 0
    page = client.get(response["Location"]).content.decode()
    assert "Nomor tidak dicari lewat kotak nama. Cari NIK atau nomor KK di halaman Cari NIK." in page
    assert BOY_NIK not in page
    # The name box itself refuses digits before anything is sent.
    assert 'name="q" value="" pattern="[^0-9]*"' in page


# Children: create and edit --------------------------------------------------------------------------------


def test_it_presets_the_kader_posyandu_and_registers_a_child(district: DistrictFixture) -> None:
    client = client_for(district, "kader")
    form = client.get(reverse("children:child-create")).context["form"]
    assert form.fields["posyandu"].initial == district.posyandu_a1
    assert list(form.fields["posyandu"].queryset) == [district.posyandu_a1]
    response = client.post(reverse("children:child-create"), child_post(district, nik=BOY_NIK))
    child = Child.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("children:child-detail", kwargs={"pk": child.pk})
    assert (child.name, child.posyandu, child.desa, child.has_nik) == (
        "Budi Santoso",
        district.posyandu_a1,
        district.desa_a1,
        True,
    )
    assert BOY_NIK not in response["Location"]


def test_it_refuses_a_child_at_another_posyandu_for_a_kader(district: DistrictFixture) -> None:
    response = client_for(district, "kader").post(
        reverse("children:child-create"), child_post(district, posyandu=district.posyandu_a1_second.pk)
    )
    assert response.status_code == 200
    assert "posyandu" in response.context["form"].errors
    assert Child.objects.count() == 0


@pytest.mark.parametrize(
    ("nik", "message"),
    [
        ("351001100324", "NIK/KK harus tepat 16 angka"),
        ("9910011003240001", "NIK diawali kode provinsi yang tidak dikenal"),
        ("3510013102240001", "NIK memuat tanggal lahir yang tidak ada (perempuan: tanggal + 40)"),
        ("3510011003240000", "NIK memuat nomor urut 0000"),
        (
            "3.51001E+15",
            "NIK/KK dalam notasi ilmiah (mis. 3.51E+15): angka terakhirnya hilang; tulis ulang sebagai teks",
        ),
    ],
)
def test_it_shows_an_invalid_nik_on_the_field(district: DistrictFixture, nik: str, message: str) -> None:
    response = client_for(district, "puskesmas_officer").post(
        reverse("children:child-create"), child_post(district, nik=nik)
    )
    assert response.status_code == 200
    assert response.context["form"].errors["nik"] == [message]
    assert Child.objects.count() == 0


def test_it_refuses_a_duplicate_nik_with_a_pointer_to_the_record(district: DistrictFixture) -> None:
    mother = mother_with_nik(district)
    response = client_for(district, "bappeda_admin").post(
        reverse("children:child-create"), child_post(district, nik=MOTHER_NIK, sex="P")
    )
    assert response.context["form"].errors["nik"] == [
        f"NIK ini sudah terdaftar: penduduk Siti Aminah di SUMBERAGUNG (nomor data {mother.pk})."
    ]
    assert Child.objects.count() == 0


def test_it_names_no_record_outside_the_scope_and_routes_the_case_to_the_review_queue(
    district: DistrictFixture,
) -> None:
    bunga = services.child_save(
        user=None,
        name="Bunga Pratama",
        sex="P",
        birth_date=datetime.date(2024, 3, 10),
        posyandu=district.posyandu_b1,
        nik="3510015003240001",
    ).obj
    response = client_for(district, "kader").post(
        reverse("children:child-create"), child_post(district, nik="3510015003240001", sex="P")
    )
    assert response.context["form"].errors["nik"] == [
        "NIK ini sudah terdaftar pada data di luar wilayah Anda; kasus ini dikirim ke antrean tinjauan duplikat."
    ]
    page = response.content.decode()
    assert "Bunga Pratama" not in page
    assert "SAMBIMULYO" not in page
    assert Child.objects.count() == 1
    # The reviewers who see the record find the case, with who tried to register the number.
    queue = client_for(district, "bappeda_admin").get(reverse("children:duplicate-list")).content.decode()
    assert "Bunga Pratama" in queue
    assert "NIK yang sama didaftarkan dari luar wilayah" in queue
    assert "Nomor yang sama didaftarkan oleh kader_mawar (Posyandu Mawar); pendaftarannya ditolak." in queue
    candidate = DuplicateCandidate.objects.get()
    assert (candidate.child_a_id, candidate.child_b_id) == (bunga.pk, None)
    detail = client_for(district, "bappeda_admin").get(
        reverse("children:duplicate-detail", args=[candidate.pk])
    )
    assert detail.status_code == 200


def test_it_shows_the_nik_warning_after_saving(district: DistrictFixture) -> None:
    # A girl's NIK (day + 40) for a child entered as a boy: saved, with a warning.
    response = client_for(district, "kader").post(
        reverse("children:child-create"), child_post(district, nik="3510015003240001"), follow=True
    )
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert "Periksa NIK: Jenis kelamin menurut NIK berbeda dengan data." in messages
    assert Child.objects.get().has_nik is True


@pytest.mark.parametrize("role", ["pimpinan", "opd_officer"])
def test_it_refuses_writes_by_read_only_roles_and_saves_nothing(district: DistrictFixture, role: str) -> None:
    child = ChildFactory(posyandu=district.posyandu_a1, name="Asli")
    client = client_for(district, role)
    assert client.get(reverse("children:child-create")).status_code == 403
    assert client.post(reverse("children:child-create"), child_post(district)).status_code == 403
    response = client.post(reverse("children:child-update", kwargs={"pk": child.pk}), child_post(district))
    assert response.status_code == 403
    assert (
        client.post(
            reverse("children:keluarga-create"), {"head_name": "X", "desa": district.desa_a1.pk}
        ).status_code
        == 403
    )
    assert list(Child.objects.values_list("name", flat=True)) == ["Asli"]
    assert Keluarga.objects.count() == 0


@pytest.mark.parametrize("role", ROLES)
def test_it_scopes_the_child_edit_page(district: DistrictFixture, role: str) -> None:
    child = ChildFactory(posyandu=district.posyandu_a1)
    status = (
        client_for(district, role).get(reverse("children:child-update", kwargs={"pk": child.pk})).status_code
    )
    expected = 200 if role in WRITERS and role != "kpm" else (403 if role in SEES_DESA_A1 else 404)
    assert status == expected


def test_it_edits_a_child_keeping_the_nik_when_left_blank(district: DistrictFixture) -> None:
    result = services.child_save(
        user=None,
        nik=BOY_NIK,
        name="Budi",
        sex="L",
        birth_date=datetime.date(2024, 3, 10),
        posyandu=district.posyandu_a1,
    )
    child = result.obj
    response = client_for(district, "kader").post(
        reverse("children:child-update", kwargs={"pk": child.pk}),
        child_post(district, name="Budi Baru", status="aktif"),
    )
    assert response.status_code == 302
    child.refresh_from_db()
    assert (child.name, child.has_nik) == ("Budi Baru", True)


# Families ----------------------------------------------------------------------------------------------


def test_it_registers_a_family_with_reasons_and_computes_the_flag(district: DistrictFixture) -> None:
    response = client_for(district, "kpm").post(
        reverse("children:keluarga-create"),
        {
            "kk_number": "3510010101200001",
            "head_name": "Agus Santoso",
            "desa": district.desa_a2.pk,
            "water_source": "permukaan",
            "at_risk_reasons": ["air_tidak_layak", "ada_balita"],
        },
    )
    keluarga = Keluarga.objects.get()
    assert response.status_code == 302
    assert (pii.decrypt(keluarga.kk_encrypted), keluarga.at_risk, keluarga.at_risk_reasons) == (
        "3510010101200001",
        True,
        ["air_tidak_layak", "ada_balita"],
    )


def test_it_refuses_a_duplicate_kk_with_a_pointer(district: DistrictFixture) -> None:
    first = KeluargaFactory(desa=district.desa_a1, head_name="Joko", kk_number="3510010101200001")
    response = client_for(district, "bappeda_admin").post(
        reverse("children:keluarga-create"),
        {"kk_number": "3510010101200001", "head_name": "Lain", "desa": district.desa_a1.pk},
    )
    assert response.context["form"].errors["kk_number"] == [
        f"Nomor KK ini sudah terdaftar: keluarga Joko di SUMBERAGUNG (nomor data {first.pk})."
    ]
    assert Keluarga.objects.count() == 1


@pytest.mark.parametrize("role", ROLES)
def test_it_scopes_the_family_page_and_logs_the_read(district: DistrictFixture, role: str) -> None:
    keluarga = KeluargaFactory(desa=district.desa_a1, kk_number="3510010101200001", water_source="permukaan")
    ChildFactory(posyandu=district.posyandu_a1, keluarga=keluarga, name="Anak Keluarga")
    response = client_for(district, role).get(reverse("children:keluarga-detail", kwargs={"pk": keluarga.pk}))
    assert response.status_code == (200 if role in SEES_DESA_A1 else 404)
    logged = list(RecordAccess.objects.values_list("kind", "object_id"))
    assert logged == ([("keluarga", keluarga.pk)] if role in SEES_DESA_A1 else [])
    if response.status_code == 200:
        html = response.content.decode()
        assert "Anak Keluarga" in html
        assert ("3510010101200001" in html) == (role in {"bappeda_admin", "puskesmas_officer", "kader"})


# Persons and NIK ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_it_masks_the_nik_for_roles_without_need(district: DistrictFixture, role: str) -> None:
    mother = mother_with_nik(district)
    ChildFactory(posyandu=district.posyandu_a1, mother=mother)  # in the kader's sight
    response = client_for(district, role).get(reverse("children:person-detail", kwargs={"pk": mother.pk}))
    assert response.status_code == (200 if role in SEES_DESA_A1 else 404)
    if response.status_code == 200:
        html = response.content.decode()
        assert (MOTHER_NIK in html) == (role in {"bappeda_admin", "puskesmas_officer", "kader"})
        if role in {"pimpinan", "opd_officer"}:
            assert MOTHER_NIK[:6] + "••••••••••" in html
        assert list(RecordAccess.objects.values_list("kind", "object_id", "user_id")) == [
            ("penduduk", mother.pk, district.users[role].pk)
        ]


def test_it_never_shows_the_full_nik_to_a_kpm(district: DistrictFixture) -> None:
    result = services.person_save(
        user=None,
        nik=MOTHER_NIK,
        name="Ibu A2",
        sex="P",
        birth_date=datetime.date(1995, 5, 17),
        desa=district.desa_a2,
    )
    html = (
        client_for(district, "kpm")
        .get(reverse("children:person-detail", kwargs={"pk": result.obj.pk}))
        .content.decode()
    )
    assert "Ibu A2" in html
    assert MOTHER_NIK not in html


def test_it_finds_a_person_by_nik_through_a_post(district: DistrictFixture) -> None:
    mother = mother_with_nik(district)
    ChildFactory(posyandu=district.posyandu_a1, mother=mother)  # in the kader's sight
    client = client_for(district, "kader")
    response = client.post(reverse("children:nik-search"), {"nik": MOTHER_NIK})
    assert response.status_code == 302
    assert response["Location"] == reverse("children:person-detail", kwargs={"pk": mother.pk})
    assert MOTHER_NIK not in response["Location"]


def test_it_says_not_found_alike_for_unknown_and_out_of_scope_niks(district: DistrictFixture) -> None:
    mother_with_nik(district)
    client = client_for(district, "kpm")
    out_of_scope = client.post(reverse("children:nik-search"), {"nik": MOTHER_NIK})
    unknown = client.post(reverse("children:nik-search"), {"nik": "3510015705950002"})
    for response in (out_of_scope, unknown):
        assert response.status_code == 200
        assert response.context["not_found"] is True
        assert "Tidak ditemukan di wilayah kerja Anda." in response.content.decode()
        assert MOTHER_NIK not in response.content.decode()


def test_it_registers_a_person_and_warns_about_her_nik(district: DistrictFixture) -> None:
    response = client_for(district, "kader").post(
        reverse("children:person-create"),
        {
            "nik": MOTHER_NIK,
            "name": "Siti",
            "sex": "P",
            "birth_date": "1995-06-17",
            "desa": district.desa_a1.pk,
        },
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == [
        "Periksa NIK: Tanggal lahir menurut NIK berbeda dengan data.",
        "Penduduk tersimpan.",
    ]
    assert Person.objects.get().has_nik is True


# Pregnancies -------------------------------------------------------------------------------------------


def pregnancy_of(mother: Person, district: DistrictFixture) -> Pregnancy:
    return services.pregnancy_save(
        user=None,
        mother=mother,
        posyandu=district.posyandu_a1,
        lmp_date=timezone.localdate() - datetime.timedelta(days=120),
    )


@pytest.mark.parametrize("role", ROLES)
def test_it_scopes_the_pregnancy_page_and_logs_her_record(district: DistrictFixture, role: str) -> None:
    pregnancy = pregnancy_of(mother_with_nik(district), district)
    response = client_for(district, role).get(
        reverse("children:pregnancy-detail", kwargs={"pk": pregnancy.pk})
    )
    visible = role in SEES_DESA_A1
    assert response.status_code == (200 if visible else 404)
    logged = sorted(RecordAccess.objects.values_list("kind", "object_id"))
    assert logged == (
        sorted([("kehamilan", pregnancy.pk), ("penduduk", pregnancy.mother_id)]) if visible else []
    )
    if visible:
        assert MOTHER_NIK not in response.content.decode()
        assert (
            reverse("children:pregnancy-visit", kwargs={"pk": pregnancy.pk}) in response.content.decode()
        ) == (role in WRITERS)


def test_it_records_a_visit_and_shows_kek_anaemia_and_ttd(district: DistrictFixture) -> None:
    pregnancy = pregnancy_of(mother_with_nik(district), district)
    client = client_for(district, "kader")
    response = client.post(
        reverse("children:pregnancy-visit", kwargs={"pk": pregnancy.pk}),
        {
            "visit_date": (timezone.localdate() - datetime.timedelta(days=7)).isoformat(),
            "is_anc": "on",
            "weight_kg": "55.0",
            "lila_cm": "22.9",
            "hb_g_dl": "10.2",
            "systolic_mmhg": "110",
            "diastolic_mmhg": "70",
            "ttd_tablets": "30",
        },
    )
    assert response.status_code == 302
    pregnancy.refresh_from_db()
    assert (pregnancy.is_kek, pregnancy.is_anaemic, pregnancy.ttd_total, pregnancy.anc_visits) == (
        True,
        True,
        30,
        1,
    )
    html = client.get(reverse("children:pregnancy-detail", kwargs={"pk": pregnancy.pk})).content.decode()
    assert "KEK (LiLA &lt; 23,5 cm)" in html
    assert "Anemia (Hb &lt; 11 g/dL)" in html
    assert '<progress value="30" max="90">' in html
    assert "30/90 tablet" in html


def test_it_refuses_a_visit_before_the_lmp_and_by_a_read_only_role(district: DistrictFixture) -> None:
    pregnancy = pregnancy_of(mother_with_nik(district), district)
    url = reverse("children:pregnancy-visit", kwargs={"pk": pregnancy.pk})
    early = (pregnancy.lmp_date - datetime.timedelta(days=3)).isoformat()
    response = client_for(district, "kader").post(url, {"visit_date": early, "ttd_tablets": "30"})
    assert response.status_code == 400
    assert response.context["visit_form"].errors["visit_date"] == ["Tanggal kunjungan sebelum HPHT."]
    assert (
        client_for(district, "pimpinan")
        .post(url, {"visit_date": timezone.localdate().isoformat(), "ttd_tablets": "30"})
        .status_code
        == 403
    )
    assert PregnancyVisit.objects.count() == 0


def test_it_registers_a_pregnancy_for_a_mother_in_scope(district: DistrictFixture) -> None:
    mother = mother_with_nik(district)
    response = client_for(district, "puskesmas_officer").post(
        reverse("children:pregnancy-create"),
        {
            "mother": mother.pk,
            "lmp_date": "2026-06-01",
            "gravida": "5",
            "parity": "4",
            "abortus": "0",
            "outcome": "berlangsung",
            "postnatal_visits": "0",
        },
    )
    pregnancy = Pregnancy.objects.get()
    assert response.status_code == 302
    assert (
        pregnancy.desa,
        pregnancy.expected_delivery_date,
        pregnancy.is_high_risk,
        pregnancy.risk_flags,
    ) == (
        district.desa_a1,
        datetime.date(2027, 3, 8),
        True,
        ["terlalu_banyak"],
    )


# Adolescent girls --------------------------------------------------------------------------------------


def test_it_registers_a_new_girl_and_records_her_weekly_tablet(district: DistrictFixture) -> None:
    client = client_for(district, "kpm")
    response = client.post(
        reverse("children:adolescent-create"),
        {
            "name": "Putri",
            "birth_date": "2012-01-05",
            "desa": district.desa_a2.pk,
            "school_name": "SMP Negeri 1",
            "school_class": "8",
        },
    )
    girl = AdolescentGirl.objects.get()
    assert response.status_code == 302
    assert (girl.person.name, girl.person.sex, girl.school_name) == ("Putri", "P", "SMP Negeri 1")
    monday = week_start(timezone.localdate())
    response = client.post(
        reverse("children:adolescent-ttd", kwargs={"pk": girl.pk}),
        {"week_start": monday.isoformat(), "tablets": "1", "given_at": "Sekolah"},
    )
    assert response.status_code == 302
    assert list(AdolescentTTD.objects.values_list("week_start", "tablets")) == [(monday, 1)]
    page = client.get(reverse("children:adolescent-list"))
    assert [(g.person.name, g.weeks_taken) for g in page.context["rows"]] == [("Putri", 1)]
    detail = client.get(reverse("children:adolescent-detail", kwargs={"pk": girl.pk}))
    assert detail.context["weeks_taken"] == 1
    assert len(detail.context["grid"]) == 52


def test_it_refuses_a_ttd_record_by_a_read_only_role(district: DistrictFixture) -> None:
    girl = AdolescentGirl.objects.create(
        person=PersonFactory(desa=district.desa_a1, birth_date=datetime.date(2012, 1, 1))
    )
    response = client_for(district, "opd_officer").post(
        reverse("children:adolescent-ttd", kwargs={"pk": girl.pk}),
        {"week_start": timezone.localdate().isoformat(), "tablets": "1"},
    )
    assert response.status_code == 403
    assert AdolescentTTD.objects.count() == 0


def test_it_refuses_an_adult_as_adolescent_girl(district: DistrictFixture) -> None:
    woman = PersonFactory(
        desa=district.desa_a1, birth_date=datetime.date(1990, 1, 1), registered_posyandu=district.posyandu_a1
    )
    response = client_for(district, "kader").post(reverse("children:adolescent-create"), {"person": woman.pk})
    assert response.status_code == 200
    today = timezone.localdate()
    age = today.year - 1990 - ((today.month, today.day) < (1, 1))
    assert response.context["form"].errors["person"] == [
        f"Umur {age} tahun: remaja putri berumur 10-19 tahun."
    ]
    assert AdolescentGirl.objects.count() == 0


def test_the_visit_form_parses_decimals(district: DistrictFixture) -> None:
    from children.forms.registry import PregnancyVisitForm

    form = PregnancyVisitForm({"visit_date": "2026-01-05", "lila_cm": "23.4", "ttd_tablets": "30"})
    assert form.is_valid()
    assert form.cleaned_data["lila_cm"] == Decimal("23.4")
