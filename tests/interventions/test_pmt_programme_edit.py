"""The page that edits a PMT programme: the API's service behind a form sent once, only before the
programme's first episode, and only for those who manage the programme."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from convergence.models import Role
from interventions import services_pmt as svc
from interventions.models import PMTFunding, PMTProgramme, PMTSubmission
from tests.factories import DistrictFixture, UserFactory
from tests.interventions.test_pmt import make_line, make_programme, wasted_child
from tests.interventions.test_pmt_pages import client_for, notes, text

TOKEN = "token-programme-edit-0001"


def snapshot(programme: PMTProgramme) -> tuple[object, ...]:
    programme.refresh_from_db()
    shares = sorted(programme.fundings.values_list("budget_line_id", "share_percent"))
    return (programme.name, programme.starts_on, programme.ends_on, programme.opd_id, shares)


def body(programme: PMTProgramme, **fields: str) -> dict[str, str]:
    values = {
        "token": TOKEN,
        "year": "2025",
        "name": programme.name,
        "category": programme.category,
        "starts_on": "2025-01-01",
        "ends_on": "2025-12-31",
        "opd": str(programme.opd_id),
    }
    return {**values, **fields}


def test_bappeda_edits_the_name_period_and_shares_once_per_form_token(district: DistrictFixture) -> None:
    dak = make_line(district, Decimal(1_000_000))
    apbd = make_line(district, Decimal(500_000))
    programme = make_programme(district, dak)
    bappeda = client_for(district.users["bappeda_admin"])
    url = reverse("interventions:pmt-programme-update", args=[programme.pk])
    page = reverse("interventions:pmt-programme", args=[programme.pk])

    form = text(bappeda.get(url))
    assert 'value="PMT gizi_kurang"' in form
    assert re.search(r'name="token" value="[^"]{16,}"', form)
    assert url in text(bappeda.get(page))

    edit = body(
        programme,
        name="PMT balita semester 2",
        starts_on="2025-07-01",
        line_1=str(dak.pk),
        share_1="70",
        line_2=str(apbd.pk),
        share_2="20",
    )
    refused = bappeda.post(url, edit)
    assert refused.status_code == 200
    assert "Porsi pendanaan program berjumlah 90" in text(refused)
    assert snapshot(programme)[0] == "PMT gizi_kurang"

    edit["share_2"] = "30"
    first = bappeda.post(url, edit)
    assert first["Location"] == page
    assert notes(first) == ["Perubahan program PMT balita semester 2 tersimpan."]
    assert snapshot(programme) == (
        "PMT balita semester 2",
        datetime.date(2025, 7, 1),
        datetime.date(2025, 12, 31),
        district.dinkes.pk,
        [(dak.pk, Decimal(70)), (apbd.pk, Decimal(30))],
    )
    # The same form sent again (a double click, a reload) replays the first result.
    edit["name"] = "Nama lain"
    again = bappeda.post(url, edit)
    assert again["Location"] == page
    assert notes(again)[-1] == (
        "Formulir ini sudah terkirim sebelumnya; hasilnya ditampilkan, tidak dicatat dua kali."
    )
    assert snapshot(programme)[0] == "PMT balita semester 2"
    assert PMTSubmission.objects.filter(operation="pmt_programme_update").count() == 1


@pytest.mark.parametrize("role", ["pimpinan", "kader", "kpm", "puskesmas_officer"])
def test_roles_that_do_not_manage_the_programme_get_403_and_nothing_changes(
    district: DistrictFixture, role: str
) -> None:
    programme = make_programme(district, make_line(district, Decimal(1_000_000)))
    before = snapshot(programme)
    client = client_for(district.users[role])
    url = reverse("interventions:pmt-programme-update", args=[programme.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, body(programme, name="Diubah")).status_code == 403
    assert snapshot(programme) == before


def test_an_officer_of_another_opd_is_turned_away_and_the_own_opd_officer_edits(
    district: DistrictFixture,
) -> None:
    line = make_line(district, Decimal(1_000_000))
    programme = make_programme(district, line)
    before = snapshot(programme)
    pupr = UserFactory(username="pupr", role=Role.OPD_OFFICER, opd=district.pupr)
    url = reverse("interventions:pmt-programme-update", args=[programme.pk])
    edit = body(programme, name="PMT Dinkes", line_1=str(line.pk), share_1="100")
    assert client_for(pupr).post(url, edit).status_code == 403
    assert snapshot(programme) == before

    dinkes = client_for(district.users["opd_officer"])
    assert dinkes.post(url, edit)["Location"] == reverse("interventions:pmt-programme", args=[programme.pk])
    assert snapshot(programme)[0] == "PMT Dinkes"


def test_a_programme_of_another_kabupaten_is_not_found(district: DistrictFixture) -> None:
    programme = make_programme(district, make_line(district, Decimal(1_000_000)))
    other = UserFactory(username="bappeda_lain", role=Role.BAPPEDA_ADMIN, kabupaten=district.other_kabupaten)
    url = reverse("interventions:pmt-programme-update", args=[programme.pk])
    assert client_for(other).get(url).status_code == 404


def test_a_programme_with_an_episode_is_not_edited(district: DistrictFixture) -> None:
    line = make_line(district, Decimal(2_000_000))
    programme = make_programme(district, line)
    svc.pmt_enrol(
        user=district.users["bappeda_admin"],
        programme=programme,
        recipient=wasted_child(district),
        start_date=datetime.date(2025, 3, 3),
    )
    before = snapshot(programme)
    bappeda = client_for(district.users["bappeda_admin"])
    url = reverse("interventions:pmt-programme-update", args=[programme.pk])
    assert 'data-testid="locked"' in text(bappeda.get(url))
    assert url not in text(bappeda.get(reverse("interventions:pmt-programme", args=[programme.pk])))
    refused = bappeda.post(url, body(programme, name="Diubah", line_1=str(line.pk), share_1="100"))
    assert refused.status_code == 409
    assert snapshot(programme) == before
    assert PMTFunding.objects.filter(programme=programme).count() == 1
