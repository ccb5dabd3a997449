"""Regions a newer official list dropped: kept with their history, offered no more, labelled where shown."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from children.forms.registry import KeluargaForm
from children.models import Measurement
from children.selectors_registry import desa_choices_for_user, posyandu_choices_for_user
from children.services import child_save, keluarga_save
from convergence.codes import Level, name_with_level
from convergence.models import Puskesmas, Region
from reports.dashboard import unit_ranking
from reports.models import PrevalenceSummary
from tests.factories import ChildFactory, DistrictFixture, KeluargaFactory
from tests.problems import field_errors

RETIRED = "(tidak berlaku)"


def retire(region: Region) -> Region:
    region.retired_at = timezone.now()
    region.save(update_fields=["retired_at"])
    return region


@pytest.mark.parametrize(
    ("name", "level", "shown"),
    [
        ("Banyuwangi", Level.KABUPATEN, "Kabupaten Banyuwangi"),
        ("Kabupaten Banyuwangi", Level.KABUPATEN, "Kabupaten Banyuwangi"),
        ("KABUPATEN BANYUWANGI", Level.KABUPATEN, "KABUPATEN BANYUWANGI"),
        ("Kab. Banyuwangi", Level.KABUPATEN, "Kab. Banyuwangi"),
        ("Kab Banyuwangi", Level.KABUPATEN, "Kab Banyuwangi"),
        ("Kabanjahe", Level.KABUPATEN, "Kabupaten Kabanjahe"),
        ("Surabaya", Level.KOTA, "Kota Surabaya"),
        ("Kota Surabaya", Level.KOTA, "Kota Surabaya"),
        ("Kotabaru", Level.KOTA, "Kota Kotabaru"),
        ("Pesanggaran", Level.KECAMATAN, "Kecamatan Pesanggaran"),
        ("Kec. Pesanggaran", Level.KECAMATAN, "Kec. Pesanggaran"),
        ("Sumberagung", Level.DESA, "Desa Sumberagung"),
        ("desa Sumberagung", Level.DESA, "desa Sumberagung"),
        ("Kel. Kepatihan", Level.KELURAHAN, "Kel. Kepatihan"),
        ("Kepatihan", Level.KELURAHAN, "Kelurahan Kepatihan"),
        ("Jawa Timur", Level.PROVINSI, "Provinsi Jawa Timur"),
        ("Puskesmas Pesanggaran", Level.PUSKESMAS, "Puskesmas Pesanggaran"),
        ("Pesanggaran", Level.PUSKESMAS, "Puskesmas Pesanggaran"),
    ],
)
def test_it_prints_the_level_word_once_whether_the_name_carries_it_or_not(
    name: str, level: Level, shown: str
) -> None:
    assert name_with_level(name, level) == shown


def test_it_uses_the_rule_for_regions_and_puskesmas_alike() -> None:
    with translation.override("id"):
        assert str(Region(name="Kabupaten Banyuwangi", level="kabupaten")) == "Kabupaten Banyuwangi"
        assert str(Region(name="BANYUWANGI", level="kabupaten")) == "Kabupaten BANYUWANGI"
        assert Region(name="Kota Sorong", level="kota").display_name == "Kota Sorong"
        assert str(Puskesmas(name="Puskesmas Pesanggaran")) == "Puskesmas Pesanggaran"
        retired = Region(name="Siliragung", level="desa", retired_at=timezone.now())
        assert (str(retired), retired.name_label) == (
            "Desa Siliragung (tidak berlaku)",
            "Siliragung (tidak berlaku)",
        )


def test_its_pages_print_the_official_name_once(district: DistrictFixture) -> None:
    district.kabupaten.name = "Kabupaten Banyuwangi"
    district.kabupaten.save(update_fields=["name"])
    client = Client(HTTP_ACCEPT_LANGUAGE="id")
    client.force_login(district.users["bappeda_admin"])
    html = client.get(reverse("convergence:region-detail", args=[district.kabupaten.code])).content.decode()
    assert "<h1>Kabupaten Banyuwangi</h1>" in html
    assert "Kabupaten Kabupaten" not in html
    dashboard = client.get(reverse("reports:dashboard"))
    assert dashboard.status_code == 200
    assert "Kabupaten Banyuwangi" in dashboard.content.decode()
    assert "Kabupaten Kabupaten" not in dashboard.content.decode()


def test_its_own_page_and_its_parents_list_label_a_retired_desa(district: DistrictFixture) -> None:
    retire(district.desa_a2)
    client = Client(HTTP_ACCEPT_LANGUAGE="id")
    client.force_login(district.users["bappeda_admin"])
    page = client.get(reverse("convergence:region-detail", args=[district.desa_a2.code]))
    assert page.status_code == 200
    assert f"<h1>Desa SILIRAGUNG {RETIRED}</h1>" in page.content.decode()
    parent = client.get(
        reverse("convergence:region-detail", args=[district.kecamatan_a.code])
    ).content.decode()
    assert f">SILIRAGUNG {RETIRED}</a>" in parent
    assert ">SUMBERAGUNG</a>" in parent


def test_pickers_leave_a_retired_desa_out_but_an_edited_record_keeps_its_own(
    district: DistrictFixture,
) -> None:
    retire(district.desa_a2)
    bappeda = district.users["bappeda_admin"]
    assert [d.code for d in desa_choices_for_user(user=bappeda)] == ["35.10.01.2001", "35.10.02.2001"]
    assert [p.name for p in posyandu_choices_for_user(user=bappeda)] == ["Mawar", "Melati", "Kenanga"]
    new = KeluargaForm(desa=desa_choices_for_user(user=bappeda), editing=False)
    assert [d.code for d in new.fields["desa"].queryset] == ["35.10.01.2001", "35.10.02.2001"]
    family = KeluargaFactory(desa=district.desa_a2, head_name="Slamet")
    edit = KeluargaForm(instance=family, desa=desa_choices_for_user(user=bappeda), editing=True)
    assert [d.code for d in edit.fields["desa"].queryset] == [
        "35.10.01.2001",
        "35.10.01.2002",
        "35.10.02.2001",
    ]


def test_services_refuse_a_retired_desa_for_a_new_record_but_keep_the_old_ones(
    district: DistrictFixture,
) -> None:
    family = KeluargaFactory(desa=district.desa_a2, head_name="Slamet")
    retire(district.desa_a2)
    with translation.override("id"), pytest.raises(ValidationError) as refused:
        keluarga_save(user=None, head_name="Baru", desa=district.desa_a2)
    assert refused.value.message_dict == {
        "desa": [
            "Desa SILIRAGUNG tidak berlaku lagi dalam daftar wilayah Kemendagri; pilih desa/kelurahan yang berlaku."
        ]
    }
    with pytest.raises(ValidationError):
        child_save(
            user=None,
            name="Bayi",
            sex="L",
            birth_date=datetime.date(2024, 5, 1),
            posyandu=district.posyandu_a2,
        )
    with pytest.raises(ValidationError):
        keluarga_save(user=None, keluarga=KeluargaFactory(desa=district.desa_a1), desa=district.desa_a2)
    # A record already there is still changed in place.
    keluarga_save(user=None, keluarga=family, head_name="Slamet Riyadi")
    family.refresh_from_db()
    assert (family.head_name, family.desa_id) == ("Slamet Riyadi", district.desa_a2.pk)


def test_the_api_refuses_a_retired_desa_for_a_new_family(district: DistrictFixture) -> None:
    family = KeluargaFactory(desa=district.desa_a2, head_name="Slamet")
    retire(district.desa_a2)
    api = APIClient(HTTP_ACCEPT_LANGUAGE="id")
    api.force_authenticate(district.users["bappeda_admin"])
    response = api.post(
        "/api/v1/keluarga/", {"head_name": "Baru", "desa": district.desa_a2.code}, format="json"
    )
    assert response.status_code == 400
    assert list(field_errors(response)) == ["desa"]
    kept = api.patch(
        f"/api/v1/keluarga/{family.pk}/",
        {"head_name": "Slamet R", "desa": district.desa_a2.code},
        format="json",
    )
    assert kept.status_code == 200


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/keluarga/", {"head_name": "Baru"}),
        ("/api/v1/persons/", {"name": "Sari", "sex": "P"}),
        (
            "/api/v1/budget-lines/",
            {"year": 2025, "funding_source": "dana_desa", "name": "PMT", "allocated": "1"},
        ),
        ("/api/v1/survey-figures/", {"year": 2024, "source": "SKI", "stunting_pct": "20.00"}),
        ("/api/v1/meetings/", {"title": "Rembuk", "kind": "rembuk_stunting", "held_on": "2025-03-01"}),
    ],
)
def test_every_region_a_client_writes_refuses_a_retired_one_by_its_code(
    district: DistrictFixture, path: str, body: dict[str, str]
) -> None:
    field = "region" if path.endswith(("survey-figures/", "meetings/")) else "desa"
    retire(district.desa_a2)
    api = APIClient(HTTP_ACCEPT_LANGUAGE="id")
    api.force_authenticate(district.users["bappeda_admin"])
    before = api.get(path).json()["count"]
    response = api.post(path, {**body, field: district.desa_a2.code}, format="json")
    assert (response.status_code, field_errors(response)) == (
        400,
        {field: ["Wilayah 35.10.01.2002 sudah tidak berlaku."]},
    )
    assert api.get(path).json()["count"] == before


def test_rankings_skip_a_retired_desa(district: DistrictFixture) -> None:
    retire(district.desa_a2)
    rows = unit_ranking(
        user=district.users["bappeda_admin"], within=district.kabupaten, level="desa", month=None
    )
    assert [row.code for row in rows] == ["35.10.01.2001", "35.10.02.2001"]


def test_a_child_in_a_retired_desa_still_shows_and_counts_in_the_past(district: DistrictFixture) -> None:
    # 4 measured in August 2024 at Siliragung, 1 of them stunted (pendek): 25.00%.
    for i, category in enumerate([1, 2, 2, 2]):
        child = ChildFactory(
            name=f"Anak {i}", posyandu=district.posyandu_a2, birth_date=datetime.date(2022, 1, 1)
        )
        day = datetime.date(2024, 8, 10)
        Measurement.objects.create(
            child=child,
            posyandu=district.posyandu_a2,
            measured_on=day,
            age_days=(day - child.birth_date).days,
            haz_category=category,
            waz_category=2,
            whz_category=2,
        )
    retire(district.desa_a2)
    call_command("recompute_prevalence", "--region", district.kabupaten.code, stdout=StringIO())
    year = PrevalenceSummary.objects.get(
        level="kabupaten", period_kind="Y", period=datetime.date(2024, 1, 1), region=district.kabupaten
    )
    assert (year.measured, year.haz_pendek) == (4, 1)
    client = Client(HTTP_ACCEPT_LANGUAGE="id")
    client.force_login(district.users["bappeda_admin"])
    listed = client.get(reverse("children:child-list")).context["rows"]
    assert sorted(c.name for c in listed) == ["Anak 0", "Anak 1", "Anak 2", "Anak 3"]
    table = StringIO()
    with translation.override("id"):
        call_command("prevalence", district.desa_a2.code, "--year", "2024", stdout=table)
    assert table.getvalue().splitlines()[0].startswith(f"Desa SILIRAGUNG {RETIRED} (35.10.01.2002)")
