"""PMT money pages: budget lines, revisions, disbursements with maker-checker, reversal, rates,
programmes, enrolment and finishing; one operation per form token; paging; the ledger on every page;
who is turned away."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from convergence.models import Role, User
from convergence.navigation import menu_for_user
from interventions import selectors_pmt as sel
from interventions import services_pmt as svc
from interventions.models import (
    BudgetLine,
    BudgetRevision,
    Disbursement,
    PMTEnrolment,
    PMTFunding,
    PMTProgramme,
    PMTRate,
    PMTSubmission,
)
from tests.factories import DistrictFixture, PersonFactory, UserFactory
from tests.interventions.test_pmt import make_line, make_programme, second_bappeda, wasted_child

TOKEN = "token-abcdefghijklmnop"


def client_for(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="id")
    client.force_login(user)
    return client


def text(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined]


def notes(response: object) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]  # type: ignore[attr-defined]


def ledger_cells(html: str, testid: str = "ledger") -> dict[str, str]:
    """The figures of one ledger block of a page, by their data-ledger name."""
    block = html.split(f'data-testid="{testid}"', 1)[1].split("</section>", 1)[0]
    return {k: v for k, v in re.findall(r'data-ledger="(\w+)">([^<]*)<', block) if k != "check"}


def pay(
    district: DistrictFixture, line: BudgetLine, amount: int, payee: str = "Katering Ibu Sri"
) -> Disbursement:
    return svc.disbursement_record(
        user=district.users["bappeda_admin"],
        budget_line=line,
        amount=Decimal(amount),
        payee=payee,
        paid_on=datetime.date(2025, 4, 1),
    )


# --- budget lines ---------------------------------------------------------------------------------------


def test_it_creates_a_budget_line_once_per_form_token(district: DistrictFixture) -> None:
    bappeda = client_for(district.users["bappeda_admin"])
    url = reverse("interventions:pmt-budget-line-create")
    form = text(bappeda.get(url))
    token = re.search(r'name="token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    body = {
        "token": token,
        "year": "2025",
        "source": "dak",
        "opd": str(district.dinkes.pk),
        "name": "PMT lokal balita",
        "sub_activity_code": "1.02.02.2.02.0011",
        "allocated": "Rp 1.500.000",
    }
    first = bappeda.post(url, body)
    line = BudgetLine.objects.get()
    detail = reverse("interventions:pmt-budget-line", args=[line.pk])
    assert (first.status_code, first["Location"]) == (302, detail)
    assert (line.allocated, line.opd_id, line.source) == (Decimal(1_500_000), district.dinkes.pk, "dak")
    second = bappeda.post(url, body)
    assert (second.status_code, second["Location"]) == (302, detail)
    assert notes(second)[-1:] == [
        "Formulir ini sudah terkirim sebelumnya; hasilnya ditampilkan, tidak dicatat dua kali."
    ]
    assert BudgetLine.objects.count() == 1
    page = text(bappeda.get(detail))
    assert ledger_cells(page) == {
        "allocated": "Rp 1.500.000",
        "disbursed": "Rp 0",
        "tied": "Rp 0",
        "available": "Rp 1.500.000",
        "pending": "Rp 0",
        "absorption": "0,0%",
    }


def test_a_refused_form_keeps_its_token_and_shows_the_error_first(district: DistrictFixture) -> None:
    bappeda = client_for(district.users["bappeda_admin"])
    url = reverse("interventions:pmt-budget-line-create")
    body = {"token": TOKEN, "year": "2025", "source": "dak", "name": "PMT", "allocated": "1.000.000"}
    response = bappeda.post(url, body)  # neither an OPD nor a desa holds it
    html = text(response)
    assert response.status_code == 200
    assert 'role="alert" tabindex="-1" data-focus' in html
    assert "Baris anggaran dipegang oleh tepat satu OPD atau satu desa." in html
    assert PMTSubmission.objects.count() == 0
    body["desa"] = str(district.desa_a1.pk)
    assert bappeda.post(url, body).status_code == 302
    assert BudgetLine.objects.get().desa_id == district.desa_a1.pk


def test_a_holder_the_officer_may_not_manage_is_refused_on_the_form(district: DistrictFixture) -> None:
    officer = client_for(district.users["opd_officer"])
    url = reverse("interventions:pmt-budget-line-create")
    body = {"token": TOKEN, "year": "2025", "source": "dak", "name": "PMT", "allocated": "1.000.000"}
    response = officer.post(url, {**body, "desa": str(district.desa_a1.pk)})  # a desa's line, not his OPD's
    assert response.status_code == 200
    assert "Anda tidak boleh mengelola baris anggaran pemegang ini." in text(response)
    assert BudgetLine.objects.count() == 0
    assert PMTSubmission.objects.count() == 0


def test_the_desa_holder_is_a_searched_field_naming_its_kecamatan(district: DistrictFixture) -> None:
    bappeda = client_for(district.users["bappeda_admin"])
    html = text(bappeda.get(reverse("interventions:pmt-budget-line-create"), {"cari_desa": "agung"}))
    options = re.findall(
        r'<option value="\d+">([^<]+)</option>', html.split('name="desa"')[1].split("</select>")[0]
    )
    assert options == ["Desa SILIRAGUNG, Kec. PESANGGARAN", "Desa SUMBERAGUNG, Kec. PESANGGARAN"]


def test_the_budget_line_list_is_paged_on_the_server(district: DistrictFixture) -> None:
    for n in range(23):
        BudgetLine.objects.create(
            kabupaten=district.kabupaten,
            year=2025,
            source="apbd",
            opd=district.dinkes,
            name=f"PMT {n:02d}",
            allocated=Decimal(100_000),
            original_allocated=Decimal(100_000),
        )
    bappeda = client_for(district.users["bappeda_admin"])
    url = reverse("interventions:pmt-budget-lines")
    response = bappeda.get(url, {"tahun": "2025", "per_halaman": "10", "halaman": "3"})
    html = text(response)
    names = re.findall(r'">(PMT \d\d)</a>', html)
    assert names == ["PMT 20", "PMT 21", "PMT 22"]
    assert "Halaman 3 dari 3 (23 baris)" in html
    assert ledger_cells(html)["allocated"] == "Rp 2.300.000"
    assert 'href="?tahun=2025&amp;per_halaman=10&amp;halaman=2"' in html


# --- who is turned away ---------------------------------------------------------------------------------


PMT_PAGES = [
    ("interventions:pmt-budget-lines", []),
    ("interventions:pmt-budget-line-create", []),
    ("interventions:pmt-disbursement-list", []),
    ("interventions:pmt-rates", []),
    ("interventions:pmt-programmes", []),
    ("interventions:pmt-enrolment-create", []),
]


@pytest.mark.parametrize("role", ["kader", "no_role"])
def test_roles_without_pmt_money_get_403_and_no_menu_entry(district: DistrictFixture, role: str) -> None:
    line = make_line(district, Decimal(1_000_000), desa=district.desa_a1)  # the kader's own desa
    client = client_for(district.users[role])
    for name, args in [*PMT_PAGES, ("interventions:pmt-budget-line", [line.pk])]:
        assert client.get(reverse(name, args=args)).status_code == 403, name
    labels = [str(sub.label) for item in menu_for_user(district.users[role]) for sub in item.items]
    assert "Anggaran PMT" not in labels
    before = Disbursement.objects.count()
    body = {"token": TOKEN, "amount": "1000", "payee": "X", "paid_on": "2025-04-01"}
    response = client.post(reverse("interventions:pmt-disbursement-create", args=[line.pk]), body)
    assert (response.status_code, Disbursement.objects.count()) == (403, before)


def test_the_menu_lists_the_pmt_pages_for_bappeda(district: DistrictFixture) -> None:
    items = {
        str(sub.label): sub.url
        for item in menu_for_user(district.users["bappeda_admin"])
        for sub in item.items
    }
    assert items["Anggaran PMT"] == reverse("interventions:pmt-budget-lines")
    assert items["Pencairan PMT"] == reverse("interventions:pmt-disbursement-list")
    assert items["Program PMT"] == reverse("interventions:pmt-programmes")


def test_an_officer_of_another_opd_neither_sees_nor_pays_from_the_line(district: DistrictFixture) -> None:
    line = make_line(district, Decimal(1_000_000))  # Dinkes
    pupr = UserFactory(username="pupr", role=Role.OPD_OFFICER, opd=district.pupr)
    client = client_for(pupr)
    detail = reverse("interventions:pmt-budget-line", args=[line.pk])
    assert client.get(detail).status_code == 404
    body = {"token": TOKEN, "amount": "1000", "payee": "X", "paid_on": "2025-04-01"}
    assert (
        client.post(reverse("interventions:pmt-disbursement-create", args=[line.pk]), body).status_code == 404
    )
    assert "PMT lokal balita" not in text(
        client.get(reverse("interventions:pmt-budget-lines"), {"tahun": 2025})
    )
    dinkes = client_for(district.users["opd_officer"])
    assert dinkes.get(detail).status_code == 200
    assert Disbursement.objects.count() == 0


def test_the_district_head_reads_the_ledger_but_writes_nothing(district: DistrictFixture) -> None:
    line = make_line(district, Decimal(1_000_000))
    pending = pay(district, line, 250_000)
    head = client_for(district.users["pimpinan"])
    html = text(head.get(reverse("interventions:pmt-budget-line", args=[line.pk])))
    assert ledger_cells(html)["pending"] == "Rp 250.000"
    assert "Ajukan pencairan" not in html
    assert "Setujui" not in html
    response = head.post(
        reverse("interventions:pmt-disbursement-approve", args=[pending.pk]), {"token": TOKEN}
    )
    assert response.status_code == 403
    assert Disbursement.objects.get(pk=pending.pk).status == "menunggu"


# --- disbursements: maker-checker, reversal, double submission ----------------------------------------


def test_a_disbursement_from_request_to_approval_and_reversal_reconciles(district: DistrictFixture) -> None:
    line = make_line(district, Decimal(1_000_000))
    maker = client_for(district.users["bappeda_admin"])
    checker = client_for(second_bappeda(district))
    detail = reverse("interventions:pmt-budget-line", args=[line.pk])
    body = {
        "token": TOKEN,
        "amount": "400.000",
        "payee": "Katering Ibu Sri",
        "paid_on": "2025-04-01",
        "note": "",
    }
    created = maker.post(reverse("interventions:pmt-disbursement-create", args=[line.pk]), body)
    assert created["Location"] == detail
    assert (
        maker.post(reverse("interventions:pmt-disbursement-create", args=[line.pk]), body)["Location"]
        == detail
    )
    row = Disbursement.objects.get()
    assert (row.amount, row.status) == (Decimal(400_000), "menunggu")
    html = text(maker.get(detail))
    assert "Menunggu persetujuan petugas lain" in html
    assert reverse("interventions:pmt-disbursement-approve", args=[row.pk]) not in html
    own = maker.post(
        reverse("interventions:pmt-disbursement-approve", args=[row.pk]), {"token": "own-approval-token-1"}
    )
    assert notes(own) == ["Pencatat pencairan tidak boleh menyetujui atau menolaknya sendiri."]
    assert Disbursement.objects.get(pk=row.pk).status == "menunggu"
    approve = reverse("interventions:pmt-disbursement-approve", args=[row.pk])
    assert approve in text(checker.get(detail))
    assert checker.post(approve, {"token": "approve-token-00001"})["Location"] == detail
    assert Disbursement.objects.get(pk=row.pk).status == "disetujui"
    assert ledger_cells(text(checker.get(detail))) == {
        "allocated": "Rp 1.000.000",
        "disbursed": "Rp 400.000",
        "tied": "Rp 0",
        "available": "Rp 600.000",
        "pending": "Rp 0",
        "absorption": "40,0%",
    }
    assert (
        "<strong>Seimbang:</strong> pagu Rp 1.000.000 = dicairkan Rp 400.000 + terikat Rp 0 + sisa Rp 600.000."
        in text(checker.get(detail))
    )
    reverse_url = reverse("interventions:pmt-disbursement-reverse", args=[row.pk])
    reversal_body = {"token": "reverse-token-00001", "paid_on": "2025-04-10", "note": "Salah rekening"}
    assert checker.post(reverse_url, reversal_body)["Location"] == detail
    assert checker.post(reverse_url, reversal_body)["Location"] == detail  # the same form again
    reversal = Disbursement.objects.get(kind="pembalikan")
    assert (reversal.amount, reversal.status, reversal.reverses_id) == (Decimal(-400_000), "menunggu", row.pk)
    assert (
        maker.post(
            reverse("interventions:pmt-disbursement-approve", args=[reversal.pk]),
            {"token": "approve-token-00002"},
        ).status_code
        == 302
    )
    assert ledger_cells(text(maker.get(detail)))["disbursed"] == "Rp 0"
    assert ledger_cells(text(maker.get(detail)))["available"] == "Rp 1.000.000"
    assert Disbursement.objects.count() == 2


def test_a_payment_over_what_is_left_is_refused_in_the_open_section(district: DistrictFixture) -> None:
    line = make_line(district, Decimal(100_000))
    bappeda = client_for(district.users["bappeda_admin"])
    body = {"token": TOKEN, "amount": "150000", "payee": "Katering", "paid_on": "2025-04-01"}
    html = text(bappeda.post(reverse("interventions:pmt-disbursement-create", args=[line.pk]), body))
    assert '<details open id="pencairan-baru">' in html
    assert "Sisa anggaran PMT lokal balita tidak cukup: perlu Rp 150.000, tersisa Rp 100.000." in html
    assert Disbursement.objects.count() == 0


def test_the_queue_lists_pending_disbursements_for_a_second_officer(district: DistrictFixture) -> None:
    line = make_line(district, Decimal(1_000_000))
    row = pay(district, line, 100_000)
    checker = client_for(second_bappeda(district))
    queue = reverse("interventions:pmt-disbursement-list")
    html = text(checker.get(queue))
    assert f'data-disbursement="{row.pk}"' in html
    response = checker.post(
        reverse("interventions:pmt-disbursement-reject", args=[row.pk]), {"token": TOKEN, "next": queue}
    )
    assert response["Location"] == queue
    assert Disbursement.objects.get(pk=row.pk).status == "ditolak"
    assert f'data-disbursement="{row.pk}"' not in text(checker.get(queue))


# --- revisions ------------------------------------------------------------------------------------------


def test_it_revises_the_allocation_but_not_below_what_is_committed(district: DistrictFixture) -> None:
    line = make_line(district, Decimal(1_000_000))
    row = pay(district, line, 300_000)
    svc.disbursement_approve(user=second_bappeda(district), disbursement=row)
    bappeda = client_for(district.users["bappeda_admin"])
    url = reverse("interventions:pmt-budget-line-revise", args=[line.pk])
    body = {"token": TOKEN, "new_allocated": "200.000", "revised_on": "2025-06-01", "reason": "Refocusing"}
    html = text(bappeda.post(url, body))
    assert '<details open id="revisi">' in html
    assert "Pagu baru Rp 200.000 lebih kecil dari yang sudah terpakai Rp 300.000." in html
    body["new_allocated"] = "800.000"
    assert bappeda.post(url, body).status_code == 302
    assert bappeda.post(url, body).status_code == 302
    assert BudgetRevision.objects.count() == 1
    assert ledger_cells(text(bappeda.get(reverse("interventions:pmt-budget-line", args=[line.pk])))) == {
        "allocated": "Rp 800.000",
        "disbursed": "Rp 300.000",
        "tied": "Rp 0",
        "available": "Rp 500.000",
        "pending": "Rp 0",
        "absorption": "37,5%",
    }


# --- rates, programmes, enrolment, finish -------------------------------------------------------------


def test_bappeda_adds_a_rate_and_an_opd_officer_may_not(district: DistrictFixture) -> None:
    body = {
        "token": TOKEN,
        "category": "gizi_kurang",
        "valid_from": "2025-07-01",
        "daily_rate": "20.000",
        "duration_days": "56",
        "source": "Perbup",
    }
    url = reverse("interventions:pmt-rates")
    officer = client_for(district.users["opd_officer"])
    assert officer.post(url, body).status_code == 403
    bappeda = client_for(district.users["bappeda_admin"])
    assert bappeda.post(url, body)["Location"] == url
    assert bappeda.post(url, body)["Location"] == url
    rate = PMTRate.objects.get(kabupaten=district.kabupaten)
    assert (rate.daily_rate, rate.duration_days) == (Decimal(20_000), 56)
    assert "Rp 20.000" in text(bappeda.get(url))


def test_a_programme_is_created_with_its_funding_shares(district: DistrictFixture) -> None:
    dak = make_line(district, Decimal(1_000_000))
    apbd = make_line(district, Decimal(500_000))
    bappeda = client_for(district.users["bappeda_admin"])
    url = reverse("interventions:pmt-programme-create")
    body = {
        "token": TOKEN,
        "year": "2025",
        "name": "PMT balita 2025",
        "category": "gizi_kurang",
        "starts_on": "2025-01-01",
        "ends_on": "2025-12-31",
        "opd": str(district.dinkes.pk),
        "line_1": str(dak.pk),
        "share_1": "60",
        "line_2": str(apbd.pk),
        "share_2": "30",
    }
    assert "Porsi pendanaan program berjumlah 90" in text(bappeda.post(url, body))
    body["share_2"] = "40"
    response = bappeda.post(url, body)
    programme = PMTProgramme.objects.get()
    assert response["Location"] == reverse("interventions:pmt-programme", args=[programme.pk])
    assert bappeda.post(url, body)["Location"] == response["Location"]
    shares = sorted(PMTFunding.objects.values_list("budget_line_id", "share_percent"))
    assert shares == [(dak.pk, Decimal(60)), (apbd.pk, Decimal(40))]
    html = text(bappeda.get(response["Location"]))
    assert ledger_cells(html)["allocated"] == "Rp 1.500.000"
    kader = client_for(district.users["kader"])
    assert kader.post(url, body).status_code == 403


def test_a_child_is_enrolled_from_her_page_link_once(district: DistrictFixture) -> None:
    line = make_line(district, Decimal(2_000_000))
    programme = make_programme(district, line)
    ayu = wasted_child(district)
    officer = client_for(district.users["opd_officer"])
    url = reverse("interventions:pmt-enrolment-create")
    html = text(officer.get(url, {"anak": ayu.pk}))
    assert f'<option value="{ayu.pk}" selected>Ayu (10-01-2024), Mawar, SUMBERAGUNG</option>' in html
    body = {
        "token": TOKEN,
        "programme": str(programme.pk),
        "recipient": str(ayu.pk),
        "start_date": "2025-03-03",
    }
    first = officer.post(url, body)
    assert first["Location"] == reverse("interventions:pmt-programme", args=[programme.pk])
    assert officer.post(url, body)["Location"] == first["Location"]
    enrolment = PMTEnrolment.objects.get()
    assert (enrolment.child_id, enrolment.cost) == (ayu.pk, Decimal(980_000))
    page = text(officer.get(first["Location"]))
    assert ledger_cells(page) == {
        "allocated": "Rp 2.000.000",
        "disbursed": "Rp 0",
        "tied": "Rp 980.000",
        "available": "Rp 1.020.000",
        "pending": "Rp 0",
        "absorption": "0,0%",
    }
    kpm = client_for(district.users["kpm"])
    assert kpm.get(url).status_code == 403


def test_the_posyandu_search_lists_its_children_with_their_place(district: DistrictFixture) -> None:
    make_programme(district, make_line(district, Decimal(2_000_000)))
    wasted_child(district, "Ayu")
    wasted_child(district, "Bima")
    officer = client_for(district.users["puskesmas_officer"])
    html = text(
        officer.get(
            reverse("interventions:pmt-enrolment-create"),
            {"posyandu": district.posyandu_a1.pk, "cari": "bim"},
        )
    )
    options = re.findall(
        r"<option value=\"\d+\">([^<]+)</option>", html.split('name="recipient"')[1].split("</select>")[0]
    )
    assert options == ["Bima (10-01-2024), Mawar, SUMBERAGUNG"]


def test_the_recipient_and_the_desa_holder_search_the_whole_scope_with_javascript(
    district: DistrictFixture,
) -> None:
    make_programme(district, make_line(district, Decimal(2_000_000)))
    bappeda = client_for(district.users["bappeda_admin"])
    url = reverse("interventions:pmt-enrolment-create")
    children = text(bappeda.get(url))
    mothers = text(bappeda.get(url, {"sasaran": "ibu"}))
    line = text(bappeda.get(reverse("interventions:pmt-budget-line-create")))
    child_search, person_search = reverse("children:search-child"), reverse("children:search-person")
    assert f'name="recipient" data-search-url="{child_search}" data-search-min="2"' in children
    assert f'name="recipient" data-search-url="{person_search}" data-search-min="2"' in mothers
    assert f'name="desa" data-search-url="{reverse("convergence:search-desa")}" data-search-min="0"' in line
    for html in (children, mothers, line):
        assert "vendor/tom-select/tom-select.complete.min.js" in html


def test_finishing_an_episode_from_the_programme_page(district: DistrictFixture) -> None:
    line = make_line(district, Decimal(2_000_000))
    programme = make_programme(district, line)
    enrolment = svc.pmt_enrol(
        user=district.users["bappeda_admin"],
        programme=programme,
        recipient=wasted_child(district),
        start_date=datetime.date(2025, 3, 3),
    )
    officer = client_for(district.users["opd_officer"])
    page = reverse("interventions:pmt-programme", args=[programme.pk])
    finish = reverse("interventions:pmt-enrolment-finish", args=[enrolment.pk])
    assert finish in text(officer.get(page))
    response = officer.post(finish, {"token": TOKEN, "next": page})
    assert response["Location"] == page
    enrolment.refresh_from_db()
    # Nothing was delivered: the whole reservation goes back to the line.
    assert (enrolment.status, enrolment.days_delivered) == ("selesai", 0)
    assert ledger_cells(text(officer.get(page)))["tied"] == "Rp 0"
    assert sel.budget_line_totals(line=line).available == Decimal(2_000_000)


def test_the_child_mother_and_posyandu_pages_link_to_enrolment_for_enrollers(
    district: DistrictFixture,
) -> None:
    ayu = wasted_child(district)
    mother = PersonFactory(desa=district.desa_a1, name="Ema", sex="P")
    enrol = reverse("interventions:pmt-enrolment-create")
    pages = {
        f"{enrol}?anak={ayu.pk}": reverse("children:child-detail", args=[ayu.pk]),
        f"{enrol}?sasaran=ibu&amp;ibu={mother.pk}": reverse("children:person-detail", args=[mother.pk]),
        f"{enrol}?posyandu={district.posyandu_a1.pk}": reverse(
            "convergence:posyandu-detail", args=[district.posyandu_a1.pk]
        ),
    }
    officer = client_for(district.users["puskesmas_officer"])
    kader = client_for(district.users["kader"])
    for link, page in pages.items():
        assert link in text(officer.get(page)), page
        assert link not in text(kader.get(page)), page
    mother_form = text(officer.get(enrol, {"sasaran": "ibu", "ibu": mother.pk}))
    assert (
        f'<option value="{mother.pk}" selected>Ema ({mother.birth_date.year}), SUMBERAGUNG</option>'
        in mother_form
    )


def test_the_kader_logs_food_on_the_episode_page_once_and_an_officer_cancels(
    district: DistrictFixture,
) -> None:
    line = make_line(district, Decimal(2_000_000))
    programme = make_programme(district, line)
    ayu, bima = wasted_child(district, "Ayu"), wasted_child(district, "Bima")
    bappeda = district.users["bappeda_admin"]
    start = datetime.date(2025, 3, 3)
    fed = svc.pmt_enrol(user=bappeda, programme=programme, recipient=ayu, start_date=start)
    unfed = svc.pmt_enrol(user=bappeda, programme=programme, recipient=bima, start_date=start)
    kader = client_for(district.users["kader"])
    page = reverse("interventions:pmt-episode", args=[fed.pk])
    html = text(kader.get(page))
    assert "Catat penyaluran makanan" in html
    assert "Batalkan episode" not in html
    body = {"token": TOKEN, "delivered_on": "2025-03-10", "days_delivered": "7", "food_form": "matang"}
    delivery = reverse("interventions:pmt-episode-delivery", args=[fed.pk])
    assert kader.post(delivery, body)["Location"] == page
    assert kader.post(delivery, body)["Location"] == page
    assert list(fed.delivery_logs.values_list("days_delivered", flat=True)) == [7]
    assert "7 dari 56 hari" in text(kader.get(page))
    head = client_for(district.users["pimpinan"])
    assert head.post(delivery, body | {"token": "head-token-000001"}).status_code == 403
    assert (
        kader.post(reverse("interventions:pmt-episode-cancel", args=[unfed.pk]), {"token": TOKEN}).status_code
        == 403
    )
    officer = client_for(district.users["opd_officer"])
    cancel = reverse("interventions:pmt-episode-cancel", args=[unfed.pk])
    assert officer.post(cancel, {"token": TOKEN})["Location"] == reverse(
        "interventions:pmt-episode", args=[unfed.pk]
    )
    unfed.refresh_from_db()
    assert unfed.status == "dibatalkan"
    assert sel.budget_line_totals(line=line).available == Decimal(2_000_000 - 980_000)
    assert fed.delivery_logs.count() == 1


def test_bappeda_corrects_an_unused_rate_but_not_a_used_one(district: DistrictFixture) -> None:
    rate = PMTRate.objects.create(
        kabupaten=district.kabupaten,
        category="gizi_kurang",
        valid_from=datetime.date(2025, 1, 1),
        daily_rate=Decimal(17_500),
        duration_days=56,
    )
    bappeda = client_for(district.users["bappeda_admin"])
    url = reverse("interventions:pmt-rate-update", args=[rate.pk])
    body = {"token": TOKEN, "valid_from": "2025-01-01", "daily_rate": "18.000", "duration_days": "56"}
    assert client_for(district.users["opd_officer"]).post(url, body).status_code == 403
    assert bappeda.post(url, body)["Location"] == reverse("interventions:pmt-rates")
    rate.refresh_from_db()
    assert rate.daily_rate == Decimal(18_000)
    programme = make_programme(district, make_line(district, Decimal(2_000_000)))
    svc.pmt_enrol(
        user=district.users["bappeda_admin"],
        programme=programme,
        recipient=wasted_child(district),
        start_date=datetime.date(2025, 3, 3),
    )
    html = text(bappeda.post(url, body | {"token": "second-token-00001", "daily_rate": "19.000"}))
    assert "Tarif ini sudah dipakai episode PMT; tetapkan tarif baru dengan tanggal berlaku baru." in html
    rate.refresh_from_db()
    assert rate.daily_rate == Decimal(18_000)


def test_a_programme_is_closed_and_reopened_to_new_episodes(district: DistrictFixture) -> None:
    programme = make_programme(district, make_line(district, Decimal(2_000_000)))
    url = reverse("interventions:pmt-programme-active", args=[programme.pk])
    page = reverse("interventions:pmt-programme", args=[programme.pk])
    head = client_for(district.users["pimpinan"])
    assert head.post(url, {"token": TOKEN}).status_code == 403
    officer = client_for(district.users["opd_officer"])
    assert "Tutup untuk episode baru" in text(officer.get(page))
    assert officer.post(url, {"token": TOKEN})["Location"] == page
    programme.refresh_from_db()
    assert programme.is_active is False
    assert officer.post(url, {"token": "reopen-token-00001", "is_active": "on"})["Location"] == page
    programme.refresh_from_db()
    assert programme.is_active is True
