"""A second province beside the district fixture, and the provincial users, for the province tests."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.test import Client

from convergence import services_actions
from convergence.models import ActionOutput, ConvergenceAction, EvidenceDocument, Region, Role, User
from tests.factories import DistrictFixture, RegionFactory, UserFactory

YEAR = 2025


@dataclass
class ProvinceWorld:
    """Province 35 (the district fixture: kabupaten 35.10 with its eight actions of 2025, and 35.11) and
    province 36 with kabupaten 36.01 and its own provincial Bappeda."""

    district: DistrictFixture
    other_provinsi: Region
    other_kabupaten: Region
    evidence: EvidenceDocument
    users: dict[str, User]


def build_province_world(district: DistrictFixture) -> ProvinceWorld:
    other_provinsi = RegionFactory(code="36", name="BANTEN", level="provinsi")
    other_kabupaten = RegionFactory(code="36.01", name="PANDEGLANG", level="kabupaten", parent=other_provinsi)
    bappeda = district.users["bappeda_admin"]
    services_actions.opd_catalogue_load(kabupaten=district.kabupaten)
    actions = services_actions.action_year_prepare(user=bappeda, kabupaten=district.kabupaten, year=YEAR)
    ConvergenceAction.objects.filter(pk=actions[0].pk).update(
        status="selesai", actual_start=datetime.date(2025, 1, 10), actual_end=datetime.date(2025, 2, 10)
    )
    lokus = ActionOutput.objects.get(action=actions[0], code="lokus")
    ActionOutput.objects.filter(pk=lokus.pk).update(done=True, done_on=datetime.date(2025, 2, 10))
    evidence = EvidenceDocument.objects.create(
        output=lokus,
        file="evidence/2025/lokus.pdf",
        original_name="SK lokus 2025.pdf",
        doc_type="sk",
        size_bytes=15,
        sha256="",
    )
    users = {
        **district.users,
        "other_provinsi": UserFactory(
            username="bappeda_banten", role=Role.BAPPEDA_PROVINSI, provinsi=other_provinsi
        ),
    }
    return ProvinceWorld(district, other_provinsi, other_kabupaten, evidence, users)


def client_for(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="id")
    client.force_login(user)
    return client
