"""The convergence ledger on the hand-checked desa (see conftest): exact counts and rates.

SUMBERAGUNG, 2025, due / received:
  anak 0-23 bulan: MPASI Ayu (got), MPASI Bima, PMT-GK Ayu            -> 3 / 1
  ibu hamil:       TTD Ema (got), TTD Fani (only 2024), PMT-KEK Ema (got) -> 3 / 2
  keluarga berisiko: AIR Budi (got), PKH Budi, TPK Budi, TPK Sari (got) -> 4 / 2
  total 10 / 5 = 50.0 %.  SILIRAGUNG: MPASI Eko -> 1 / 0 = 0.0 %.  SAMBIMULYO: nothing due.
Dodi (3 months) is not due MP-ASI; Citra (46 months) is no baduta; Tono's family is not at risk.
"""

from __future__ import annotations

import pytest

from interventions import compute, selectors
from tests.interventions.conftest import TODAY, Village

PERIOD = selectors.Period(year=2025)


def _ledger(village: Village, code: str, role: str = "bappeda_admin") -> selectors.Ledger:
    return selectors.ledger_for_user(
        user=village.district.users[role], region_code=code, period=PERIOD, today=TODAY
    )


def test_it_counts_the_hand_checked_desa(delivered: Village) -> None:
    ledger = _ledger(delivered, "35.10.01.2001")
    assert [row.region.name for row in ledger.rows] == ["SUMBERAGUNG"]
    counts = ledger.rows[0].counts
    assert counts.due == {"baduta": 3, "ibu_hamil": 3, "keluarga": 4}
    assert counts.received == {"baduta": 1, "ibu_hamil": 2, "keluarga": 2}
    assert (counts.due_total, counts.received_total, counts.rate()) == (10, 5, 50.0)
    assert (counts.rate("baduta"), counts.rate("ibu_hamil"), counts.rate("keluarga")) == (33.3, 66.7, 50.0)


def test_it_lists_each_targets_package(delivered: Village) -> None:
    ledger = _ledger(delivered, "35.10.01.2001")
    rows = selectors.ledger_package_rows(ledger=ledger)
    table = [
        (row.target, row.name, [(item.code, got) for item, got in row.items if got is not None])
        for row in rows
    ]
    assert table == [
        ("baduta", "Ayu", [("MPASI", True), ("PMT-GK", False)]),
        ("baduta", "Bima", [("MPASI", False)]),
        ("ibu_hamil", "Ema", [("PMT-KEK", True), ("TTD", True)]),
        ("ibu_hamil", "Fani", [("TTD", False)]),
        ("keluarga", "Keluarga Budi", [("AIR", True), ("PKH", False), ("TPK", False)]),
        ("keluarga", "Keluarga Sari", [("TPK", True)]),
    ]


def test_it_adds_counts_up_to_kecamatan_and_kabupaten(delivered: Village) -> None:
    ledger = _ledger(delivered, "35.10")
    by_desa = {
        row.region.name: (row.counts.due_total, row.counts.received_total, row.counts.rate())
        for row in ledger.rows
    }
    assert by_desa == {
        "SUMBERAGUNG": (10, 5, 50.0),
        "SILIRAGUNG": (1, 0, 0.0),
        "SAMBIMULYO": (0, 0, None),
    }
    by_kecamatan = {
        row.region.name: (row.counts.due_total, row.counts.received_total, row.counts.rate())
        for row in ledger.kecamatan
    }
    # A sum of counts, not a mean of rates: (50.0 + 0.0) / 2 would be 25.0.
    assert by_kecamatan == {"PESANGGARAN": (11, 5, 45.5), "BANGOREJO": (0, 0, None)}
    assert (ledger.total.due_total, ledger.total.received_total, ledger.total.rate()) == (11, 5, 45.5)


def test_it_counts_up_to_a_month(delivered: Village) -> None:
    ledger = selectors.ledger_for_user(
        user=delivered.district.users["bappeda_admin"],
        region_code="35.10.01.2001",
        period=selectors.Period(year=2025, month=6),
        today=TODAY,
    )
    # On 30-06-2025: Ayu is 3 months and not yet measured (so not known stunted: no AIR/PKH for Budi),
    # Dodi unborn, Bima 12 months; Fani not yet pregnant (HPHT 1-7-2025).
    counts = ledger.rows[0].counts
    assert counts.due == {"baduta": 1, "ibu_hamil": 2, "keluarga": 2}
    assert counts.received == {"baduta": 0, "ibu_hamil": 2, "keluarga": 1}


def test_it_limits_the_ledger_to_the_users_area(delivered: Village) -> None:
    ledger = _ledger(delivered, "35.10", role="kpm")
    assert [row.region.name for row in ledger.rows] == ["SILIRAGUNG"]
    assert ledger.total.due_total == 1


def test_it_answers_404_for_a_region_outside_the_scope(delivered: Village) -> None:
    from django.http import Http404

    with pytest.raises(Http404):
        _ledger(delivered, "35.10.02.2001", role="kpm")


def test_it_rates_nothing_when_nothing_is_due() -> None:
    assert compute.Counts().rate() is None
    assert compute.total([]).due_total == 0
