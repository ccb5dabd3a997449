"""Each eligibility rule on small arrays, without a database."""

from __future__ import annotations

import numpy as np
import pytest

from interventions import eligibility as rules


def _population() -> rules.Population:
    return rules.Population(
        children=rules.Children(
            id=np.array([1, 2, 3, 4, 5]),
            desa_id=np.array([10, 10, 10, 11, 11]),
            keluarga_id=np.array([100, 101, 102, 0, 103]),
            age_months=np.array([3, 10, 30, 20, 59]),
            haz_category=np.array([-1, 0, 1, 2, 1]),
            whz_category=np.array([-1, 1, 0, 2, 2]),
            has_birth_certificate=np.array([False, True, True, False, True]),
            has_jkn=np.array([True, False, True, True, False]),
        ),
        pregnancies=rules.Pregnancies(
            person_id=np.array([7, 8, 9]),
            desa_id=np.array([10, 10, 11]),
            is_kek=np.array([True, False, False]),
            is_anaemic=np.array([False, True, True]),
        ),
        girls=rules.Girls(person_id=np.array([20, 21]), desa_id=np.array([10, 11])),
        families=rules.Families(
            id=np.array([100, 101, 102, 103, 104]),
            desa_id=np.array([10, 10, 10, 11, 11]),
            water=np.array([0, 0, -1, 1, 0]),
            latrine=np.array([1, 0, 0, -1, 0]),
            receives_pkh=np.array([False, False, False, True, False]),
            receives_bpnt=np.array([False, True, False, False, False]),
            at_risk=np.array([True, True, False, True, False]),
            poor=np.array([True, True, True, True, False]),
        ),
    )


@pytest.mark.parametrize(
    ("group", "rule", "params", "expected"),
    [
        ("baduta", "semua", {}, [1, 2, 4]),
        ("balita", "semua", {}, [1, 2, 3, 4, 5]),
        ("baduta", "baduta_semua", {"min_age_months": 6}, [2, 4]),
        ("baduta", "baduta_semua", {"max_age_months": 5}, [1]),
        ("balita", "balita_stunting", {}, [2, 3, 5]),
        ("baduta", "balita_stunting", {}, [2]),
        ("balita", "balita_gizi_kurang", {}, [2]),
        ("balita", "balita_gizi_buruk", {}, [3]),
        ("balita", "anak_tanpa_akta", {}, [1, 4]),
        ("balita", "anak_tanpa_jkn", {}, [2, 5]),
        ("ibu_hamil", "ibu_hamil_semua", {}, [7, 8, 9]),
        ("ibu_hamil", "ibu_hamil_kek", {}, [7]),
        ("ibu_hamil", "ibu_hamil_anemia", {}, [8, 9]),
        ("remaja_putri", "remaja_putri_semua", {}, [20, 21]),
        ("catin", "semua", {}, []),
        ("keluarga", "semua", {}, [100, 101, 102, 103, 104]),
        ("keluarga", "keluarga_berisiko", {}, [100, 101, 103]),
        # Stunted children live in 101, 102 and 103; 102's water was never surveyed, 103's is safe.
        ("keluarga", "keluarga_anak_stunting_tanpa_air_layak", {}, [101]),
        ("keluarga", "keluarga_anak_stunting_tanpa_jamban_layak", {}, [101, 102]),
        ("keluarga", "keluarga_miskin_anak_stunting_tanpa_bansos", {}, [102]),
        ("keluarga", "keluarga_miskin_anak_stunting_tanpa_bansos", {"program": "pkh"}, [101, 102]),
        ("keluarga", "keluarga_miskin_anak_stunting_tanpa_bansos", {"program": "bpnt"}, [102, 103]),
    ],
)
def test_it_selects_the_rules_targets(group: str, rule: str, params: dict, expected: list[int]) -> None:
    rows = rules.eligible(_population(), group=group, rule=rule, params=params)
    assert rows.subject_id.tolist() == expected
    assert rows.kind == rules.SUBJECT_KIND[group]


def test_it_documents_every_rule() -> None:
    assert all(rule.label and rule.description and rule.groups for rule in rules.RULES.values())


@pytest.mark.parametrize(
    ("rule", "group", "params", "problem"),
    [
        ("semua", "baduta", {"min_age_months": 6}, ""),
        ("tidak_ada", "baduta", {}, "Aturan kelayakan tidak dikenal."),
        (
            "ibu_hamil_kek",
            "baduta",
            {},
            "Aturan kelayakan ini tidak berlaku untuk kelompok sasaran tersebut.",
        ),
        (
            "semua",
            "keluarga",
            {"min_age_months": 6},
            "Parameter umur hanya untuk sasaran anak dan harus bilangan bulat.",
        ),
        (
            "keluarga_miskin_anak_stunting_tanpa_bansos",
            "keluarga",
            {"program": "blt"},
            "Parameter program harus 'pkh', 'bpnt' atau 'semua'.",
        ),
    ],
)
def test_it_checks_a_rule_against_its_group(rule: str, group: str, params: dict, problem: str) -> None:
    assert rules.rule_problem(rule, group, params) == problem
