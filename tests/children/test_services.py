"""Registry writes: measurements with their checks, NIK rules across registries, families, pregnancies."""

from __future__ import annotations

import datetime
import logging
from decimal import Decimal

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from children import compute, duplicates, pii
from children.growth import classify
from children.growth.weight_gain import B_BARU, DUA_T, NAIK, O_TIDAK_DITIMBANG_BULAN_LALU, TIDAK_NAIK
from children.models import Child, DuplicateCandidate, Keluarga, Measurement, Person, Pregnancy
from children.services import (
    MeasurementOutcome,
    NeedsConfirmation,
    adolescent_register_person,
    child_save,
    keluarga_save,
    measurement_record,
    person_save,
    pregnancy_save,
    pregnancy_visit_record,
)
from config.logging import RedactNIKFilter
from tests.factories import ChildFactory, DistrictFixture, PersonFactory

TODAY = datetime.date(2026, 11, 23)
D = Decimal


def _record(district: DistrictFixture, child: Child, day: datetime.date, weight: str, height: str, **kw):  # type: ignore[no-untyped-def]
    return measurement_record(
        user=district.users["kader"],
        child=child,
        measured_on=day,
        weight_kg=D(weight),
        height_cm=D(height),
        position=kw.pop("position", "L"),
        today=TODAY,
        **kw,
    )


def test_it_stores_the_engine_z_scores_and_categories(district: DistrictFixture) -> None:
    child = ChildFactory(posyandu=district.posyandu_a1, sex="L", birth_date=datetime.date(2025, 5, 10))
    result = _record(district, child, datetime.date(2026, 11, 10), "8.6", "74.0")
    m = result.measurement
    expected = compute.measurement_growth_columns(
        sex=np.array(["L"]),
        age_days=np.array([549]),
        weight_kg=np.array([8.6]),
        height_cm=np.array([74.0]),
        position=np.array(["L"]),
        oedema=np.array([False]),
    )
    assert result.created
    assert m.age_days == 549
    assert (m.waz, m.haz, m.whz, m.baz) == tuple(float(expected[k][0]) for k in ("waz", "haz", "whz", "baz"))
    assert m.haz_category == int(expected["haz_category"][0])
    assert m.weight_gain == B_BARU
    assert m.measured_by == district.users["kader"]
    assert m.history.count() == 1


def test_weight_gain_runs_through_months_and_is_refreshed_for_later_weighings(
    district: DistrictFixture,
) -> None:
    child = ChildFactory(posyandu=district.posyandu_a1, sex="P", birth_date=datetime.date(2026, 1, 5))
    _record(district, child, datetime.date(2026, 8, 5), "7.0", "64.0")
    assert (
        _record(district, child, datetime.date(2026, 9, 5), "7.1", "65.0").measurement.weight_gain
        == TIDAK_NAIK
    )
    assert (
        _record(district, child, datetime.date(2026, 10, 5), "7.2", "66.0").measurement.weight_gain == DUA_T
    )
    assert (
        _record(district, child, datetime.date(2026, 11, 20), "8.0", "67.0").measurement.weight_gain == NAIK
    )
    # A correction of September (now a good gain) changes October's status too.
    september = child.measurements.get(measured_on=datetime.date(2026, 9, 5))
    corrected = _record(district, child, datetime.date(2026, 9, 5), "7.6", "65.0", corrects=september.pk)
    assert (corrected.outcome, corrected.measurement.pk) == (MeasurementOutcome.CORRECTED, september.pk)
    statuses = list(child.measurements.order_by("measured_on").values_list("weight_gain", flat=True))
    assert statuses == [B_BARU, NAIK, TIDAK_NAIK, NAIK]
    assert child.measurements.count() == 4
    other = ChildFactory(posyandu=district.posyandu_a1, sex="P", birth_date=datetime.date(2026, 1, 5))
    _record(district, other, datetime.date(2026, 7, 5), "6.8", "63.0")
    assert _record(district, other, datetime.date(2026, 9, 5), "7.5", "65.0").measurement.weight_gain == (
        O_TIDAK_DITIMBANG_BULAN_LALU
    )


@pytest.mark.parametrize(
    ("day", "field", "message"),
    [
        (datetime.date(2026, 11, 24), "measured_on", "Tanggal pengukuran tidak boleh di masa depan."),
        (datetime.date(2024, 3, 9), "measured_on", "Tanggal pengukuran sebelum tanggal lahir anak."),
    ],
)
def test_impossible_dates_are_refused(
    district: DistrictFixture, day: datetime.date, field: str, message: str
) -> None:
    child = ChildFactory(posyandu=district.posyandu_a1)
    with pytest.raises(ValidationError) as caught:
        _record(district, child, day, "9.0", "75.0")
    assert caught.value.message_dict == {field: [message]}
    assert Measurement.objects.count() == 0


def test_missing_values_and_out_of_range_values_name_the_field(district: DistrictFixture) -> None:
    child = ChildFactory(posyandu=district.posyandu_a1)
    with pytest.raises(ValidationError) as caught:
        measurement_record(
            user=None, child=child, measured_on=TODAY, weight_kg=None, height_cm=None, today=TODAY
        )
    assert caught.value.message_dict == {"weight_kg": ["Isi berat atau panjang/tinggi badan."]}
    with pytest.raises(ValidationError) as caught:
        measurement_record(
            user=None, child=child, measured_on=TODAY, weight_kg=D("90"), height_cm=D("80"), today=TODAY
        )
    assert caught.value.message_dict == {
        "position": ["Pilih cara ukur: telentang atau berdiri."],
        "weight_kg": ["Berat 90 kg di luar rentang yang mungkin (0,5-50 kg)"],
    }


def test_who_flagged_values_need_a_confirmed_remeasurement(district: DistrictFixture) -> None:
    child = ChildFactory(posyandu=district.posyandu_a1, birth_date=datetime.date(2025, 11, 1))
    with pytest.raises(NeedsConfirmation) as caught:
        _record(district, child, datetime.date(2026, 11, 2), "25.0", "75.0")
    assert "di luar batas wajar WHO" in caught.value.messages[0]
    assert Measurement.objects.count() == 0
    saved = _record(district, child, datetime.date(2026, 11, 2), "25.0", "75.0", remeasure_confirmed=True)
    assert saved.measurement.remeasure_confirmed
    assert saved.measurement.waz_category == classify.FLAGGED


def test_a_shrinking_height_needs_confirmation(district: DistrictFixture) -> None:
    child = ChildFactory(posyandu=district.posyandu_a1, birth_date=datetime.date(2025, 5, 1))
    _record(district, child, datetime.date(2026, 10, 1), "9.0", "76.0")
    with pytest.raises(NeedsConfirmation) as caught:
        _record(district, child, datetime.date(2026, 11, 1), "9.2", "74.4")
    assert caught.value.messages == [
        "Panjang/tinggi turun 1.6 cm sejak 01-10-2026 (batas 1.5 cm): ukur ulang."
    ]
    # 1.5 cm exactly is within measuring error.
    assert _record(district, child, datetime.date(2026, 11, 1), "9.2", "74.5").created


@pytest.mark.parametrize("role", ["pimpinan", "opd_officer", "no_role"])
def test_read_only_roles_cannot_record(district: DistrictFixture, role: str) -> None:
    child = ChildFactory(posyandu=district.posyandu_a1)
    with pytest.raises(PermissionDenied):
        measurement_record(
            user=district.users[role],
            child=child,
            measured_on=TODAY,
            weight_kg=D("9"),
            height_cm=None,
            today=TODAY,
        )
    assert Measurement.objects.count() == 0


def test_a_kader_cannot_record_for_another_posyandu(district: DistrictFixture) -> None:
    child = ChildFactory(posyandu=district.posyandu_a2)
    with pytest.raises(PermissionDenied):
        _record(district, child, datetime.date(2026, 11, 1), "9.0", "75.0")


def test_a_nik_is_stored_encrypted_and_refused_twice_across_registries(district: DistrictFixture) -> None:
    kader = district.users["kader"]
    result = child_save(
        user=kader,
        nik="3510015703240002",
        today=TODAY,
        name="Siti",
        sex="P",
        birth_date=datetime.date(2024, 3, 17),
        posyandu=district.posyandu_a1,
    )
    child = result.obj
    assert result.warnings == []
    assert child.desa == district.desa_a1
    assert child.nik_hash == pii.nik_hash("3510015703240002")
    assert pii.decrypt(child.nik_encrypted) == "3510015703240002"
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM children_child")
        dump = repr(cursor.fetchall())
        cursor.execute("SELECT * FROM children_historicalchild")
        dump += repr(cursor.fetchall())
    assert "3510015703240002" not in dump
    with pytest.raises(ValidationError) as caught:
        person_save(user=kader, nik="3510015703240002", today=TODAY, name="X", sex="P", desa=district.desa_a1)
    assert caught.value.message_dict == {
        "nik": [f"NIK ini sudah terdaftar: anak Siti di SUMBERAGUNG (nomor data {child.pk})."]
    }
    assert Person.objects.count() == 0


def test_nik_disagreeing_with_the_record_is_a_warning(district: DistrictFixture) -> None:
    result = child_save(
        user=district.users["kader"],
        nik="3510011703240001",
        today=TODAY,
        name="Budi",
        sex="P",
        birth_date=datetime.date(2024, 3, 18),
        posyandu=district.posyandu_a1,
    )
    assert result.warnings == [
        "Jenis kelamin menurut NIK berbeda dengan data",
        "Tanggal lahir menurut NIK berbeda dengan data",
    ]
    assert Child.objects.count() == 1


def test_an_invalid_nik_is_refused_with_its_reason(district: DistrictFixture) -> None:
    with pytest.raises(ValidationError) as caught:
        child_save(
            user=district.users["kader"],
            nik="3.51001E+15",
            today=TODAY,
            name="Budi",
            sex="L",
            birth_date=datetime.date(2024, 3, 17),
            posyandu=district.posyandu_a1,
        )
    assert "notasi ilmiah" in caught.value.message_dict["nik"][0]
    assert Child.objects.count() == 0


def test_a_kader_registers_children_only_at_her_posyandu(district: DistrictFixture) -> None:
    with pytest.raises(PermissionDenied):
        child_save(
            user=district.users["kader"],
            name="Budi",
            sex="L",
            birth_date=datetime.date(2024, 3, 17),
            posyandu=district.posyandu_a2,
            today=TODAY,
        )
    assert Child.objects.count() == 0


def test_kk_numbers_are_validated_and_unique(district: DistrictFixture) -> None:
    kpm = district.users["kpm"]
    family = keluarga_save(
        user=kpm, today=TODAY, kk_number="3510012301150004", head_name="Slamet", desa=district.desa_a2
    ).obj
    with pytest.raises(ValidationError) as caught:
        keluarga_save(
            user=kpm, today=TODAY, kk_number="3510012301150004", head_name="Lain", desa=district.desa_a2
        )
    assert caught.value.message_dict == {
        "kk_number": [
            f"Nomor KK ini sudah terdaftar: keluarga Slamet di SILIRAGUNG (nomor data {family.pk})."
        ]
    }
    with pytest.raises(ValidationError):
        keluarga_save(
            user=kpm, today=TODAY, kk_number="3510013201150004", head_name="Lain", desa=district.desa_a2
        )
    assert Keluarga.objects.count() == 1


def test_pregnancy_flags_follow_the_visits(district: DistrictFixture) -> None:
    mother = PersonFactory(
        desa=district.desa_a1, birth_date=datetime.date(2008, 2, 1), registered_posyandu=district.posyandu_a1
    )
    kader = district.users["kader"]
    pregnancy = pregnancy_save(
        user=kader, mother=mother, lmp_date=datetime.date(2026, 5, 1), gravida=1, parity=0
    )
    assert pregnancy.expected_delivery_date == datetime.date(2027, 2, 5)
    assert pregnancy.risk_flags == [compute.FLAG_TOO_YOUNG]
    pregnancy_visit_record(
        user=kader,
        pregnancy=pregnancy,
        visit_date=datetime.date(2026, 7, 1),
        lila_cm=D("22.9"),
        hb_g_dl=D("10.5"),
        ttd_tablets=30,
    )
    pregnancy.refresh_from_db()
    assert (pregnancy.is_kek, pregnancy.is_anaemic, pregnancy.ttd_total, pregnancy.anc_visits) == (
        True,
        True,
        30,
        1,
    )
    assert pregnancy.risk_flags == [compute.FLAG_KEK, compute.FLAG_ANAEMIA, compute.FLAG_TOO_YOUNG]
    pregnancy_visit_record(
        user=kader,
        pregnancy=pregnancy,
        visit_date=datetime.date(2026, 9, 1),
        lila_cm=D("23.5"),
        hb_g_dl=D("11.0"),
        ttd_tablets=60,
        systolic_mmhg=145,
        diastolic_mmhg=85,
    )
    pregnancy.refresh_from_db()
    assert (pregnancy.is_kek, pregnancy.is_anaemic, pregnancy.ttd_total, pregnancy.anc_visits) == (
        False,
        False,
        90,
        2,
    )
    assert pregnancy.risk_flags == [compute.FLAG_TOO_YOUNG, compute.FLAG_HYPERTENSION]
    assert pregnancy.is_high_risk
    with pytest.raises(ValidationError):
        pregnancy_save(user=kader, pregnancy=pregnancy, outcome=Pregnancy.Outcome.LIVE_BIRTH)


def test_four_terlalu() -> None:
    status = compute.pregnancy_status(
        mother_birth_date=datetime.date(1988, 1, 1),
        lmp_date=datetime.date(2026, 3, 1),
        parity=4,
        last_delivery_date=datetime.date(2025, 1, 1),
        risk_history=[],
        visits=[],
        today=datetime.date(2026, 5, 1),
    )
    assert status.risk_flags == [compute.FLAG_TOO_OLD, compute.FLAG_TOO_MANY, compute.FLAG_TOO_CLOSE]
    far = compute.pregnancy_status(
        mother_birth_date=datetime.date(1995, 1, 1),
        lmp_date=datetime.date(2026, 3, 1),
        parity=1,
        last_delivery_date=datetime.date(2015, 1, 1),
        risk_history=["riwayat_hipertensi"],
        visits=[],
        today=datetime.date(2026, 5, 1),
    )
    assert (far.risk_flags, far.is_high_risk) == ([compute.FLAG_TOO_FAR], True)


def test_it_counts_ages_and_spacing_to_the_given_day_when_the_lmp_is_unknown() -> None:
    def flags(today: datetime.date) -> list[str]:
        return compute.pregnancy_status(
            mother_birth_date=datetime.date(2006, 6, 1),
            lmp_date=None,
            parity=1,
            last_delivery_date=datetime.date(2024, 7, 1),
            risk_history=[],
            visits=[],
            today=today,
        ).risk_flags

    # Under 20 and under two years since the last delivery on 2026-05-31; neither on 2026-07-02.
    assert flags(datetime.date(2026, 5, 31)) == [compute.FLAG_TOO_YOUNG, compute.FLAG_TOO_CLOSE]
    assert flags(datetime.date(2026, 7, 2)) == []


def test_pii_ciphertext_round_trips_and_rotates(settings) -> None:  # type: ignore[no-untyped-def]
    token = pii.encrypt("3510015703240002")
    assert token.startswith("v1.")
    assert "3510015703240002" not in token
    assert pii.encrypt("3510015703240002") != token  # random nonce
    assert pii.decrypt(token) == "3510015703240002"
    old = settings.PII_ENCRYPTION_KEYS[0]
    settings.PII_ENCRYPTION_KEYS = ["A" * 43 + "=", old]
    assert pii.decrypt(token) == "3510015703240002"
    assert pii.decrypt(pii.encrypt("x")) == "x"
    settings.PII_ENCRYPTION_KEYS = ["A" * 43 + "="]
    with pytest.raises(ValueError, match="no configured key decrypts this value"):
        pii.decrypt(token)
    assert pii.encrypt_many(["", "1"])[0] == ""
    assert pii.nik_hash_many(["3510015703240002"]) == [pii.nik_hash("3510015703240002")]
    assert pii.mask_identifier("3510015703240002") == "351001••••••••••"
    assert pii.mask_identifier("35100157032400") == "••••••••••••••"


def test_log_lines_never_carry_a_nik() -> None:
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "lookup %s failed", ("3510015703240002",), None
    )
    RedactNIKFilter().filter(record)
    assert record.getMessage() == "lookup 351001•••••••••• failed"
    try:
        raise ValueError("NIK 3510015703240002 bad")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", None, sys.exc_info())
    RedactNIKFilter().filter(record)
    assert "3510015703240002" not in record.exc_text


def test_the_at_risk_flag_follows_the_reasons_whoever_sets_them(district: DistrictFixture) -> None:
    kpm = district.users["kpm"]
    family = keluarga_save(
        user=kpm,
        today=TODAY,
        head_name="Slamet",
        desa=district.desa_a2,
        at_risk=False,
        at_risk_reasons=["ada_baduta", "air_tidak_layak"],
    ).obj
    assert family.at_risk is True
    keluarga_save(user=kpm, keluarga=family, today=TODAY, at_risk_reasons=["ada_baduta"])
    family.refresh_from_db()
    assert family.at_risk is False
    assert compute.age_years(datetime.date(2008, 2, 29), datetime.date(2026, 2, 28)) == 17


# Numbers registered outside the user's scope -------------------------------------------------------------

ELSEWHERE_NIK = "3510014107230001"
NIK_ELSEWHERE_MESSAGE = (
    "NIK ini sudah terdaftar pada data di luar wilayah Anda; kasus ini dikirim ke antrean tinjauan duplikat."
)


def _queued() -> list[tuple[str, str, int | None, int | None, int | None, str, str]]:
    return list(
        DuplicateCandidate.objects.order_by("pk").values_list(
            "kind",
            "reason",
            "child_a_id",
            "person_a_id",
            "keluarga_a_id",
            "reported_by__username",
            "desa__code",
        )
    )


def test_a_nik_held_outside_the_scope_is_refused_without_naming_the_record_and_queued(
    district: DistrictFixture,
) -> None:
    bunga = child_save(
        user=None,
        name="Bunga Pratama",
        sex="P",
        birth_date=datetime.date(2023, 7, 1),
        posyandu=district.posyandu_b1,
        nik=ELSEWHERE_NIK,
        today=TODAY,
    ).obj
    kader = district.users["kader"]
    for _attempt in range(2):
        with pytest.raises(ValidationError) as caught:
            child_save(
                user=kader,
                name="Bunga",
                sex="P",
                birth_date=datetime.date(2023, 7, 1),
                posyandu=district.posyandu_a1,
                nik=ELSEWHERE_NIK,
                today=TODAY,
            )
        assert caught.value.message_dict == {"nik": [NIK_ELSEWHERE_MESSAGE]}
    # One open case for the record and the kader, in the record's desa, for those who can see it.
    assert _queued() == [("anak", "nik_luar_wilayah", bunga.pk, None, None, "kader_mawar", "35.10.02.2001")]
    assert list(Child.objects.values_list("name", flat=True)) == ["Bunga Pratama"]
    bappeda_queue = duplicates.duplicate_list_for_user(user=district.users["bappeda_admin"])
    assert [candidate.child_a_id for candidate in bappeda_queue] == [bunga.pk]
    assert list(duplicates.duplicate_list_for_user(user=district.users["puskesmas_officer"])) == []


def test_a_nik_held_inside_the_scope_is_refused_with_a_pointer_and_not_queued(
    district: DistrictFixture,
) -> None:
    mother = person_save(
        user=None, nik=ELSEWHERE_NIK, name="Siti", sex="P", desa=district.desa_b1, today=TODAY
    ).obj
    with pytest.raises(ValidationError) as caught:
        person_save(
            user=district.users["bappeda_admin"], nik=ELSEWHERE_NIK, name="X", sex="P", desa=district.desa_a1
        )
    assert caught.value.message_dict == {
        "nik": [f"NIK ini sudah terdaftar: penduduk Siti di SAMBIMULYO (nomor data {mother.pk})."]
    }
    assert _queued() == []


def test_an_adolescent_registration_queues_a_nik_held_outside_the_scope(district: DistrictFixture) -> None:
    mother = person_save(
        user=None, nik=ELSEWHERE_NIK, name="Siti", sex="P", desa=district.desa_b1, today=TODAY
    ).obj
    with pytest.raises(ValidationError) as caught:
        adolescent_register_person(
            user=district.users["kpm"],
            nik=ELSEWHERE_NIK,
            name="Siti",
            birth_date=datetime.date(2012, 1, 1),
            desa=district.desa_a2,
            today=TODAY,
        )
    assert caught.value.message_dict == {"nik": [NIK_ELSEWHERE_MESSAGE]}
    assert _queued() == [
        ("penduduk", "nik_luar_wilayah", None, mother.pk, None, "kpm_siliragung", "35.10.02.2001")
    ]


def test_a_kk_number_held_outside_the_scope_is_refused_without_naming_the_family_and_queued(
    district: DistrictFixture,
) -> None:
    family = keluarga_save(
        user=None, today=TODAY, kk_number="3510012301150004", head_name="Slamet", desa=district.desa_b1
    ).obj
    with pytest.raises(ValidationError) as caught:
        keluarga_save(
            user=district.users["kpm"],
            today=TODAY,
            kk_number="3510012301150004",
            head_name="Lain",
            desa=district.desa_a2,
        )
    assert caught.value.message_dict == {
        "kk_number": [
            "Nomor KK ini sudah terdaftar pada data di luar wilayah Anda; kasus ini dikirim ke antrean "
            "tinjauan duplikat."
        ]
    }
    assert _queued() == [
        ("keluarga", "kk_luar_wilayah", None, None, family.pk, "kpm_siliragung", "35.10.02.2001")
    ]
    assert Keluarga.objects.count() == 1
