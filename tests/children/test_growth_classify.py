"""Permenkes 2/2020 categories on the unrounded z, at every band edge."""

from __future__ import annotations

import numpy as np
import pytest

from children.growth import classify, codes

EPS = 1e-9


def _one(function, z: float, flagged: bool = False) -> int:  # type: ignore[no-untyped-def]
    return int(function(np.array([z]), np.array([flagged]))[0])


@pytest.mark.parametrize(
    ("z", "category"),
    [
        (-3 - EPS, classify.BBU_SANGAT_KURANG),
        (-3.0, classify.BBU_KURANG),
        (-2 - EPS, classify.BBU_KURANG),
        (-2.0, classify.BBU_NORMAL),
        (1.0, classify.BBU_NORMAL),
        (1 + EPS, classify.BBU_RISIKO_LEBIH),
        (5.0, classify.BBU_RISIKO_LEBIH),
    ],
)
def test_it_puts_bbu_band_edges_where_the_regulation_does(z: float, category: int) -> None:
    assert _one(classify.bbu_category, z) == category


@pytest.mark.parametrize(
    ("z", "category"),
    [
        (-3 - EPS, classify.TBU_SANGAT_PENDEK),
        (-3.0, classify.TBU_PENDEK),
        (-2 - EPS, classify.TBU_PENDEK),
        (-2.0, classify.TBU_NORMAL),
        (3.0, classify.TBU_NORMAL),
        (3 + EPS, classify.TBU_TINGGI),
    ],
)
def test_it_puts_tbu_band_edges_where_the_regulation_does(z: float, category: int) -> None:
    assert _one(classify.tbu_category, z) == category


@pytest.mark.parametrize(
    ("z", "category"),
    [
        (-3 - EPS, classify.GIZI_BURUK),
        (-3.0, classify.GIZI_KURANG),
        (-2 - EPS, classify.GIZI_KURANG),
        (-2.0, classify.GIZI_BAIK),
        (1.0, classify.GIZI_BAIK),
        (1 + EPS, classify.BERISIKO_GIZI_LEBIH),
        (2.0, classify.BERISIKO_GIZI_LEBIH),
        (2 + EPS, classify.GIZI_LEBIH),
        (3.0, classify.GIZI_LEBIH),
        (3 + EPS, classify.OBESITAS),
    ],
)
def test_it_puts_gizi_band_edges_where_the_regulation_does(z: float, category: int) -> None:
    assert _one(classify.gizi_category, z) == category


def test_it_classifies_on_the_unrounded_z() -> None:
    # -2.004 shows as -2.00 when rounded, but it is below -2: pendek.
    assert _one(classify.tbu_category, -2.004) == classify.TBU_PENDEK


@pytest.mark.parametrize("function", [classify.bbu_category, classify.tbu_category, classify.gizi_category])
def test_it_marks_missing_and_flagged_values(function) -> None:  # type: ignore[no-untyped-def]
    assert _one(function, float("nan")) == classify.NO_VALUE
    assert _one(function, -7.0, flagged=True) == classify.FLAGGED


def test_it_counts_pendek_and_sangat_pendek_as_stunting() -> None:
    categories = np.array(
        [
            classify.TBU_SANGAT_PENDEK,
            classify.TBU_PENDEK,
            classify.TBU_NORMAL,
            classify.TBU_TINGGI,
            classify.FLAGGED,
            classify.NO_VALUE,
        ],
        dtype=np.int8,
    )

    assert classify.is_stunted(categories).tolist() == [True, True, False, False, False, False]


def test_it_labels_every_category_in_indonesian_and_english() -> None:
    assert classify.TBU_LABELS_ID[classify.TBU_PENDEK] == "Pendek"
    assert classify.TBU_LABELS_EN[classify.TBU_PENDEK] == "Stunted"
    assert classify.GIZI_LABELS_ID[classify.GIZI_BURUK] == "Gizi buruk"
    assert classify.GIZI_LABELS_EN[classify.GIZI_BURUK] == "Severely wasted"
    for labels_id, labels_en in classify.LABELS.values():
        assert labels_id.keys() == labels_en.keys()


def test_it_lists_the_reasons_of_a_row_error_in_a_fixed_order() -> None:
    error = codes.ERROR_WEIGHT | codes.ERROR_AGE_NEGATIVE

    assert classify.error_reasons(error) == ["umur negatif", "berat tidak valid"]
    assert classify.error_reasons(error, language="en") == ["negative age", "invalid weight"]
