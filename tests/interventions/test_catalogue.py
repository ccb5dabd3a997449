"""The indicator migration and the standard catalogue loader."""

from __future__ import annotations

import io
from decimal import Decimal

from django.core.management import call_command

from interventions.catalogue import catalogue_entries
from interventions.models import Indicator, IndicatorTarget, Intervention
from interventions.selectors import targets_for_year
from tests.factories import DistrictFixture


def test_the_migration_holds_the_29_coverage_indicators(db: None) -> None:
    assert Indicator.objects.count() == 29
    assert IndicatorTarget.objects.get(
        indicator__code="IK11", kabupaten=None, year=2024
    ).target_percent == Decimal("80.0")


def test_it_loads_the_catalogue_idempotently_and_skips_missing_opd(district: DistrictFixture) -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command("load_interventions", "--kabupaten", "35.10", stdout=out, stderr=err)
    _, entries = catalogue_entries()
    mine = [entry["code"] for entry in entries if entry["opd"] in ("DINKES", "PUPR")]
    assert sorted(Intervention.objects.values_list("code", flat=True)) == sorted(mine)
    assert out.getvalue().strip() == f"Intervensi: {len(mine)} baru, 0 diperbarui, 0 tetap."
    assert "Dilewati PKH: OPD DINSOS belum ada di kabupaten ini." in err.getvalue()
    again = io.StringIO()
    call_command("load_interventions", "--kabupaten", "35.10", stdout=again, stderr=io.StringIO())
    assert again.getvalue().strip() == f"Intervensi: 0 baru, 0 diperbarui, {len(mine)} tetap."


def test_a_kabupaten_target_overrides_the_national_one(district: DistrictFixture) -> None:
    ttd = Indicator.objects.get(code="IK11")
    IndicatorTarget.objects.create(
        indicator=ttd, kabupaten=district.kabupaten, year=2024, target_percent=Decimal("85")
    )
    assert targets_for_year(kabupaten=district.kabupaten, year=2024)[ttd.pk] == Decimal("85")
    assert targets_for_year(kabupaten=district.other_kabupaten, year=2024)[ttd.pk] == Decimal("80.0")
