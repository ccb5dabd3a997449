"""Messages appear where the eye is: a form sent back with an error opens and takes the focus."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import expect

from convergence import services_actions as services
from convergence.models import Attendance, Meeting
from tests.browser.conftest import NewContext, log_in
from tests.factories import DistrictFixture

pytestmark = pytest.mark.browser


def test_marking_present_without_a_name_opens_the_form_and_focuses_the_name(
    new_context: NewContext, district: DistrictFixture
) -> None:
    meeting = services.meeting_save(
        user=district.users["bappeda_admin"],
        region=district.kabupaten,
        kind=Meeting.Kind.PRA_AKSI,
        held_on=datetime.date(2025, 1, 10),
        title="Rapat pra aksi",
        invited=[district.dinkes],
    )
    page = new_context().new_page()
    log_in(page, username="bappeda")
    page.goto(f"/rapat/{meeting.pk}/")
    page.get_by_text("Catat kehadiran").click()
    page.locator("#id_opd").select_option(label=str(district.dinkes))
    page.locator("#id_present").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Simpan kehadiran").click()

    name = page.get_by_label("Nama yang hadir")
    expect(name).to_be_visible()
    expect(name).to_be_focused()
    expect(page.get_by_text("Isi nama orang yang hadir.")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Kehadiran belum tersimpan")
    assert not Attendance.objects.filter(meeting=meeting).exists()
