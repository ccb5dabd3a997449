"""The OPD catalogue through the API: Bappeda adds and edits agencies of its kabupaten, others read."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from convergence.models import OPD
from tests.factories import DistrictFixture, OPDFactory
from tests.problems import field_errors


def _api(district: DistrictFixture, role: str) -> APIClient:
    api = APIClient()
    api.force_authenticate(district.users[role])
    return api


def test_bappeda_adds_an_agency_and_edits_its_tasks(district: DistrictFixture) -> None:
    api = _api(district, "bappeda_admin")
    created = api.post(
        "/api/v1/opd/", {"code": "DINSOS", "name": "Dinas Sosial", "short_name": "Dinsos"}, format="json"
    )
    assert created.status_code == 201, created.content
    opd = OPD.objects.get(code="DINSOS")
    assert (opd.kabupaten, opd.name, opd.tupoksi) == (district.kabupaten, "Dinas Sosial", "")
    patched = api.patch(f"/api/v1/opd/{opd.pk}/", {"tupoksi": "Bantuan sosial PKH/BPNT"}, format="json")
    assert patched.status_code == 200
    opd.refresh_from_db()
    assert (opd.name, opd.tupoksi) == ("Dinas Sosial", "Bantuan sosial PKH/BPNT")


def test_a_code_already_used_in_the_kabupaten_is_refused_by_field(district: DistrictFixture) -> None:
    response = _api(district, "bappeda_admin").post(
        "/api/v1/opd/", {"code": "PUPR", "name": "Lain", "short_name": "Lain"}, format="json"
    )
    assert (response.status_code, field_errors(response)) == (
        400,
        {"code": ["Kode OPD ini sudah dipakai di kabupaten ini."]},
    )
    assert OPD.objects.filter(code="PUPR").count() == 1


@pytest.mark.parametrize("role", ["pimpinan", "opd_officer", "puskesmas_officer", "kader"])
def test_other_roles_cannot_add_or_edit(district: DistrictFixture, role: str) -> None:
    api = _api(district, role)
    assert (
        api.post("/api/v1/opd/", {"code": "X", "name": "X", "short_name": "X"}, format="json").status_code
        == 403
    )
    response = api.patch(f"/api/v1/opd/{district.pupr.pk}/", {"name": "Diganti"}, format="json")
    assert response.status_code in (403, 404)
    district.pupr.refresh_from_db()
    assert district.pupr.name == "Dinas PUPR"
    assert not OPD.objects.filter(code="X").exists()


def test_an_agency_of_another_kabupaten_is_not_found(district: DistrictFixture) -> None:
    other = OPDFactory(kabupaten=district.other_kabupaten, code="DINKES", name="Dinkes lain")
    response = _api(district, "bappeda_admin").patch(f"/api/v1/opd/{other.pk}/", {"name": "X"}, format="json")
    assert response.status_code == 404
