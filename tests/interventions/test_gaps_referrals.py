"""Gap lists per OPD, the delivery service and the referral life cycle on the hand-checked desa."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from convergence.models import OPD
from interventions import selectors, services
from interventions.models import Delivery, Referral
from tests.interventions.conftest import TODAY, Village

PERIOD = selectors.Period(year=2025)


def _gaps(village: Village, user_key: str | None, opd: OPD) -> list[tuple[str, str, str, str]]:
    user = village.district.users[user_key] if user_key else village.pupr_officer
    rows = selectors.gap_list_for_user(user=user, opd=opd, period=PERIOD, today=TODAY)
    return [(row.intervention.code, row.kind, row.name, row.desa.name) for row in rows]


def test_it_lists_stunted_childrens_families_without_safe_water_for_pupr(delivered: Village) -> None:
    # Budi's family got its connection in October; Tono's (not at risk, but a stunted child and river
    # water) is still due.
    assert _gaps(delivered, None, delivered.district.pupr) == [
        ("AIR", "keluarga", "Keluarga Tono", "SUMBERAGUNG")
    ]


def test_it_lists_poor_families_of_stunted_children_without_pkh_for_dinsos(delivered: Village) -> None:
    rows = selectors.gap_list_for_user(
        user=delivered.dinsos_officer, opd=delivered.dinsos, period=PERIOD, today=TODAY
    )
    assert [(row.intervention.code, row.name, row.reason, row.referral) for row in rows] == [
        ("PKH", "Keluarga Budi", "Keluarga miskin anak stunting tanpa bansos", None)
    ]


def test_it_limits_gaps_to_the_users_area(delivered: Village) -> None:
    dinkes = delivered.district.dinkes
    everything = _gaps(delivered, "bappeda_admin", dinkes)
    assert everything == [
        ("MPASI", "anak", "Bima", "SUMBERAGUNG"),
        ("MPASI", "anak", "Eko", "SILIRAGUNG"),
        ("PMT-GK", "anak", "Ayu", "SUMBERAGUNG"),
        ("TTD", "penduduk", "Fani", "SUMBERAGUNG"),
    ]
    assert _gaps(delivered, "kpm", dinkes) == [("MPASI", "anak", "Eko", "SILIRAGUNG")]


def test_it_refuses_another_opds_gap_list_to_an_opd_officer(delivered: Village) -> None:
    from django.http import Http404

    with pytest.raises(Http404):
        selectors.gap_list_for_user(
            user=delivered.district.users["opd_officer"], opd=delivered.dinsos, period=PERIOD, today=TODAY
        )


def test_it_closes_a_referral_when_the_delivery_is_recorded(delivered: Village) -> None:
    budi = delivered.families["budi"]
    pkh = delivered.interventions["PKH"]
    referral = services.referral_create(
        user=delivered.district.users["puskesmas_officer"],
        intervention=pkh,
        subject=budi,
        reason="",
        due_date=datetime.date(2026, 1, 31),
        today=TODAY,
    )
    assert (referral.status, referral.opd_id, referral.desa_id, referral.reason) == (
        "terbuka",
        delivered.dinsos.pk,
        budi.desa_id,
        "Keluarga miskin anak stunting tanpa bansos",
    )
    gap = selectors.gap_list_for_user(
        user=delivered.dinsos_officer, opd=delivered.dinsos, period=PERIOD, today=TODAY
    )
    assert [row.referral.pk for row in gap if row.referral] == [referral.pk]
    services.referral_status_change(user=delivered.dinsos_officer, referral=referral, status="diproses")
    result = services.delivery_record(
        user=delivered.dinsos_officer,
        intervention=pkh,
        subject=budi,
        delivered_on=datetime.date(2025, 12, 15),
        quantity=Decimal("750000"),
        funding_source="apbn",
        today=TODAY,
    )
    referral.refresh_from_db()
    assert (result.created, result.closed_referrals) == (True, [referral.pk])
    assert (referral.status, referral.delivery_id, referral.closed_at is not None) == (
        "selesai",
        result.delivery.pk,
        True,
    )
    assert (
        selectors.gap_list_for_user(
            user=delivered.dinsos_officer, opd=delivered.dinsos, period=PERIOD, today=TODAY
        )
        == []
    )
    with pytest.raises(ValidationError):
        services.referral_status_change(user=delivered.dinsos_officer, referral=referral, status="terbuka")


def test_it_cancels_a_referral_and_then_refuses_to_move_it(delivered: Village) -> None:
    referral = services.referral_create(
        user=delivered.district.users["bappeda_admin"],
        intervention=delivered.interventions["AIR"],
        subject=delivered.families["tono"],
        reason="Sumur tercemar",
        due_date=datetime.date(2026, 2, 1),
        today=TODAY,
    )
    with pytest.raises(ValidationError):
        services.referral_create(
            user=delivered.district.users["bappeda_admin"],
            intervention=delivered.interventions["AIR"],
            subject=delivered.families["tono"],
            reason="",
            due_date=datetime.date(2026, 2, 1),
            today=TODAY,
        )
    with pytest.raises(PermissionDenied):
        services.referral_status_change(user=delivered.dinsos_officer, referral=referral, status="dibatalkan")
    services.referral_status_change(
        user=delivered.pupr_officer, referral=referral, status="dibatalkan", note="Pindah"
    )
    referral.refresh_from_db()
    assert (referral.status, referral.note, referral.delivery_id) == ("dibatalkan", "Pindah", None)
    with pytest.raises(ValidationError):
        services.referral_status_change(user=delivered.pupr_officer, referral=referral, status="diproses")


@pytest.mark.parametrize("role", ["pimpinan", "kader"])
def test_it_refuses_referrals_from_read_only_roles(delivered: Village, role: str) -> None:
    with pytest.raises(PermissionDenied):
        services.referral_create(
            user=delivered.district.users[role],
            intervention=delivered.interventions["AIR"],
            subject=delivered.families["tono"],
            reason="",
            due_date=datetime.date(2026, 2, 1),
            today=TODAY,
        )
    assert Referral.objects.count() == 0


def test_it_records_a_delivery_once_per_day(delivered: Village) -> None:
    kwargs = {
        "user": delivered.district.users["opd_officer"],
        "intervention": delivered.interventions["PMT-GK"],
        "subject": delivered.children["ayu"],
        "delivered_on": datetime.date(2025, 12, 1),
        "quantity": Decimal("2.5"),
        "today": TODAY,
    }
    first = services.delivery_record(**kwargs)
    second = services.delivery_record(**kwargs)
    assert (first.created, second.created, second.delivery.pk) == (True, False, first.delivery.pk)
    assert (first.delivery.opd_id, first.delivery.unit, first.delivery.desa_id) == (
        delivered.district.dinkes.pk,
        "paket",
        delivered.district.desa_a1.pk,
    )


def test_it_refuses_a_delivery_of_another_opds_intervention(delivered: Village) -> None:
    before = Delivery.objects.count()
    with pytest.raises(PermissionDenied):
        services.delivery_record(
            user=delivered.district.users["opd_officer"],
            intervention=delivered.interventions["AIR"],
            subject=delivered.families["tono"],
            delivered_on=datetime.date(2025, 12, 1),
            today=TODAY,
        )
    assert Delivery.objects.count() == before


def test_it_refuses_a_subject_of_the_wrong_kind_and_future_dates(delivered: Village) -> None:
    user = delivered.district.users["bappeda_admin"]
    with pytest.raises(ValidationError) as wrong_kind:
        services.delivery_record(
            user=user,
            intervention=delivered.interventions["AIR"],
            subject=delivered.children["ayu"],
            delivered_on=datetime.date(2025, 12, 1),
            today=TODAY,
        )
    assert wrong_kind.value.message_dict == {"subject": ["Sasaran intervensi ini adalah Keluarga."]}
    with pytest.raises(ValidationError) as future:
        services.delivery_record(
            user=user,
            intervention=delivered.interventions["AIR"],
            subject=delivered.families["tono"],
            delivered_on=datetime.date(2026, 1, 2),
            quantity=Decimal(0),
            today=TODAY,
        )
    assert future.value.message_dict == {
        "delivered_on": ["Tanggal penyaluran tidak boleh di masa depan."],
        "quantity": ["Jumlah harus lebih dari nol."],
    }
