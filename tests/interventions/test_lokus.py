"""The lokus scoring (pure) and Bappeda's yearly weights: model rules, API and admin per role."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from rest_framework.test import APIClient

from convergence.models import User
from interventions import compute
from interventions.models import LokusWeights
from tests.factories import DistrictFixture
from tests.problems import field_errors

NAN = np.nan


def _scores(criteria: dict[str, list[float]], weights: dict[str, float], cases: list[int], count: int = 10):  # type: ignore[no-untyped-def]
    codes = [f"35.10.01.200{i + 1}" for i in range(len(cases))]
    return compute.lokus_scores(
        {name: np.array(values, dtype=float) for name, values in criteria.items()},
        weights,
        cases=np.array(cases),
        codes=codes,
        lokus_count=count,
    )


def test_min_max_normalisation() -> None:
    assert compute.normalise_min_max(np.array([10.0, 20.0, 15.0])).tolist() == [0.0, 1.0, 0.5]
    assert compute.normalise_min_max(np.array([7.0, 7.0, 7.0])).tolist() == [0.0, 0.0, 0.0]
    assert compute.normalise_min_max(np.array([NAN, 4.0, 2.0])).tolist() == [0.0, 1.0, 0.0]
    assert compute.normalise_min_max(np.array([NAN, NAN])).tolist() == [0.0, 0.0]
    assert compute.normalise_min_max(np.array([])).tolist() == []


def test_it_sums_weighted_normalised_criteria() -> None:
    # Prevalence 10/30/20 -> 0, 1, 0.5; cases 4/2/0 -> 1, 0.5, 0.
    ranking = _scores(
        {"prevalence": [10.0, 30.0, 20.0], "cases": [4.0, 2.0, 0.0]},
        {"prevalence": 0.6, "cases": 0.4},
        cases=[4, 2, 0],
        count=2,
    )
    assert ranking.score.round(6).tolist() == [0.4, 0.8, 0.3]
    assert ranking.rank.tolist() == [2, 1, 3]
    assert ranking.recommended.tolist() == [True, True, False]


def test_ties_go_to_more_cases_then_the_lower_code() -> None:
    # Equal scores for all four; cases 1, 3, 3, 2: the two with 3 cases by code, then 2, then 1.
    ranking = _scores({"prevalence": [5.0, 5.0, 5.0, 5.0]}, {"prevalence": 1.0}, cases=[1, 3, 3, 2], count=1)
    assert ranking.score.tolist() == [0.0, 0.0, 0.0, 0.0]
    assert ranking.rank.tolist() == [4, 1, 2, 3]
    assert ranking.recommended.tolist() == [False, True, False, False]


def test_sums_of_the_same_terms_in_another_order_still_tie() -> None:
    # 0.1 + 0.2 and 0.2 + 0.1 differ in the last bit: rounding keeps them a tie, decided by code.
    ranking = _scores(
        {"prevalence": [0.0, 1.0, 0.0, 2.0], "cases": [1.0, 0.0, 0.0, 2.0]},
        {"prevalence": 0.2, "cases": 0.1},
        cases=[0, 0, 0, 0],
    )
    assert ranking.rank.tolist()[:2] == [3, 2]


def test_no_desa_gives_an_empty_ranking() -> None:
    ranking = _scores({}, compute.DEFAULT_LOKUS_WEIGHTS, cases=[])
    assert (ranking.score.tolist(), ranking.rank.tolist(), ranking.recommended.tolist()) == ([], [], [])


def test_the_default_weights() -> None:
    assert compute.DEFAULT_LOKUS_WEIGHTS == {
        "prevalence": 0.4,
        "cases": 0.3,
        "coverage_gap": 0.2,
        "families_at_risk": 0.1,
        "measurement_gap": 0.0,
    }
    assert compute.DEFAULT_LOKUS_COUNT == 10


# --- the model ----------------------------------------------------------------------------------------

ZERO = {
    "weight_prevalence": Decimal(0),
    "weight_cases": Decimal(0),
    "weight_coverage_gap": Decimal(0),
    "weight_families_at_risk": Decimal(0),
    "weight_measurement_gap": Decimal(0),
}


def test_weights_must_not_be_negative_or_all_zero(district: DistrictFixture) -> None:
    with pytest.raises(ValidationError, match="Paling sedikit satu bobot"):
        LokusWeights(kabupaten=district.kabupaten, year=2025, **ZERO).full_clean()
    with pytest.raises(ValidationError, match="tidak boleh negatif"):
        LokusWeights(kabupaten=district.kabupaten, year=2025, weight_cases=Decimal("-0.1")).full_clean()
    with transaction.atomic(), pytest.raises(IntegrityError):
        LokusWeights.objects.create(kabupaten=district.kabupaten, year=2025, **ZERO)
    with transaction.atomic(), pytest.raises(IntegrityError):
        LokusWeights.objects.create(kabupaten=district.kabupaten, year=2025, weight_cases=Decimal("-1"))
    LokusWeights.objects.create(kabupaten=district.kabupaten, year=2025)
    with transaction.atomic(), pytest.raises(IntegrityError):
        LokusWeights.objects.create(kabupaten=district.kabupaten, year=2025)
    assert LokusWeights.objects.count() == 1


# --- API ----------------------------------------------------------------------------------------------

BODY = {
    "year": 2026,
    "weight_prevalence": "0.50",
    "weight_cases": "0.50",
    "weight_coverage_gap": "0.00",
    "weight_families_at_risk": "0.00",
    "weight_measurement_gap": "0.00",
    "lokus_count": 5,
    "note": "Rapat Bappeda",
}


def _api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_bappeda_creates_and_edits_the_weights(district: DistrictFixture) -> None:
    client = _api(district.users["bappeda_admin"])
    created = client.post("/api/v1/lokus-weights/", BODY, format="json")
    assert created.status_code == 201
    assert created.json() == {"id": created.json()["id"], "kabupaten": "35.10", **BODY}
    row = LokusWeights.objects.get()
    assert (row.kabupaten_id, row.year, row.weight_prevalence, row.lokus_count) == (
        district.kabupaten.pk,
        2026,
        Decimal("0.50"),
        5,
    )
    again = client.post("/api/v1/lokus-weights/", BODY, format="json")
    assert again.status_code == 400
    zero = client.patch(
        f"/api/v1/lokus-weights/{row.pk}/", {"weight_prevalence": "0", "weight_cases": "0"}, format="json"
    )
    assert zero.status_code == 400
    assert field_errors(zero) == {"non_field_errors": ["Paling sedikit satu bobot harus lebih dari 0."]}
    negative = client.patch(f"/api/v1/lokus-weights/{row.pk}/", {"weight_cases": "-1"}, format="json")
    assert negative.status_code == 400
    changed = client.patch(f"/api/v1/lokus-weights/{row.pk}/", {"weight_cases": "0.25"}, format="json")
    assert changed.status_code == 200
    row.refresh_from_db()
    assert (row.weight_prevalence, row.weight_cases) == (Decimal("0.50"), Decimal("0.25"))
    assert LokusWeights.objects.count() == 1


@pytest.mark.parametrize("role", ["pimpinan", "opd_officer", "puskesmas_officer", "kader", "kpm", "no_role"])
def test_other_roles_only_read_the_weights(district: DistrictFixture, role: str) -> None:
    row = LokusWeights.objects.create(kabupaten=district.kabupaten, year=2025, note="asli")
    client = _api(district.users[role])
    listed = client.get("/api/v1/lokus-weights/")
    if role == "no_role":
        assert listed.status_code == 403
    else:
        assert listed.status_code == 200
        assert [item["year"] for item in listed.json()["results"]] == [2025]
    assert client.post("/api/v1/lokus-weights/", BODY, format="json").status_code == 403
    assert client.patch(f"/api/v1/lokus-weights/{row.pk}/", {"note": "x"}, format="json").status_code == 403
    assert client.delete(f"/api/v1/lokus-weights/{row.pk}/").status_code == 403
    row.refresh_from_db()
    assert (LokusWeights.objects.count(), row.note) == (1, "asli")


def test_another_kabupatens_weights_are_not_there(district: DistrictFixture) -> None:
    other = LokusWeights.objects.create(kabupaten=district.other_kabupaten, year=2025, note="lain")
    client = _api(district.users["bappeda_admin"])
    assert client.get("/api/v1/lokus-weights/").json()["results"] == []
    assert client.get(f"/api/v1/lokus-weights/{other.pk}/").status_code == 404
    assert client.patch(f"/api/v1/lokus-weights/{other.pk}/", {"note": "x"}, format="json").status_code == 404
    assert client.delete(f"/api/v1/lokus-weights/{other.pk}/").status_code == 404
    other.refresh_from_db()
    assert other.note == "lain"


def test_bappeda_edits_the_weights_in_the_admin(district: DistrictFixture) -> None:
    client = Client()
    client.force_login(district.users["bappeda_admin"])
    response = client.post(
        "/admin/interventions/lokusweights/add/",
        {
            "kabupaten": district.kabupaten.pk,
            "year": 2025,
            "weight_prevalence": "0.4",
            "weight_cases": "0.3",
            "weight_coverage_gap": "0.2",
            "weight_families_at_risk": "0.1",
            "weight_measurement_gap": "0",
            "lokus_count": 8,
            "note": "",
        },
    )
    assert response.status_code == 302
    assert LokusWeights.objects.get().lokus_count == 8
    refused = client.post(
        "/admin/interventions/lokusweights/add/",
        {"kabupaten": district.kabupaten.pk, "year": 2026, **dict.fromkeys(ZERO, "0"), "lokus_count": 8},
    )
    assert refused.status_code == 200
    assert "Paling sedikit satu bobot harus lebih dari 0." in refused.content.decode()
    assert LokusWeights.objects.count() == 1
    other = client.post(
        "/admin/interventions/lokusweights/add/",
        {
            "kabupaten": district.other_kabupaten.pk,
            "year": 2026,
            **dict.fromkeys(ZERO, "1"),
            "lokus_count": 8,
        },
    )
    assert other.status_code == 200
    assert LokusWeights.objects.count() == 1
