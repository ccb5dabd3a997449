"""The packaged WHO LMS tables: checksums, shape, and agreement with WHO's published SD tables."""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pytest

from children.growth import tables

# SD3neg, SD2neg, SD1neg, SD0, SD1, SD2, SD3 as printed in WHO's z-score expanded tables
# (wfa/lhfa by day, wfl/wfh keyed here in mm).
WHO_PUBLISHED_SD = [
    ("wfa", 1, 0, (2.08, 2.459, 2.881, 3.346, 3.859, 4.419, 5.031)),
    ("wfa", 1, 365, (6.926, 7.741, 8.644, 9.646, 10.755, 11.983, 13.341)),
    ("wfa", 1, 730, (8.63, 9.67, 10.838, 12.148, 13.62, 15.272, 17.128)),
    ("wfa", 1, 1856, (12.459, 14.175, 16.171, 18.497, 21.218, 24.411, 28.171)),
    ("wfa", 2, 0, (2.033, 2.395, 2.794, 3.232, 3.711, 4.23, 4.793)),
    ("wfa", 2, 1095, (9.608, 10.802, 12.199, 13.846, 15.798, 18.131, 20.942)),
    ("wfa", 2, 1826, (12.053, 13.742, 15.767, 18.218, 21.213, 24.914, 29.545)),
    ("lhfa", 1, 0, (44.205, 46.098, 47.991, 49.884, 51.777, 53.67, 55.564)),
    ("lhfa", 1, 730, (78.638, 81.693, 84.747, 87.802, 90.856, 93.911, 96.966)),
    ("lhfa", 1, 731, (77.961, 81.017, 84.074, 87.13, 90.187, 93.243, 96.3)),
    ("lhfa", 1, 1826, (96.058, 100.692, 105.326, 109.959, 114.593, 119.227, 123.86)),
    ("lhfa", 2, 730, (76.725, 79.95, 83.175, 86.401, 89.626, 92.851, 96.077)),
    ("lhfa", 2, 731, (76.049, 79.276, 82.503, 85.73, 88.957, 92.184, 95.411)),
    ("lhfa", 2, 1856, (95.562, 100.353, 105.144, 109.935, 114.726, 119.517, 124.308)),
    ("wfl", 1, 450, (1.877, 2.043, 2.23, 2.441, 2.68, 2.951, 3.261)),
    ("wfl", 1, 805, (8.302, 8.97, 9.712, 10.54, 11.467, 12.507, 13.679)),
    ("wfl", 2, 649, (5.441, 5.917, 6.453, 7.058, 7.745, 8.527, 9.424)),
    ("wfl", 2, 1100, (14.025, 15.289, 16.715, 18.332, 20.174, 22.283, 24.708)),
    ("wfh", 1, 650, (5.868, 6.335, 6.854, 7.433, 8.079, 8.804, 9.619)),
    ("wfh", 1, 926, (10.709, 11.543, 12.467, 13.494, 14.639, 15.919, 17.355)),
    ("wfh", 2, 1003, (11.811, 12.842, 14.001, 15.311, 16.796, 18.488, 20.426)),
    ("wfh", 2, 1200, (17.256, 18.878, 20.719, 22.817, 25.222, 27.991, 31.199)),
]


def _provenance_checksums() -> dict[str, str]:
    text = (tables.DATA_DIR / "PROVENANCE.md").read_text(encoding="utf-8")
    return {name: digest for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+\.csv)$", text, re.MULTILINE)}


def test_it_lists_a_checksum_for_every_table_file() -> None:
    assert sorted(_provenance_checksums()) == sorted(filename for filename, *_ in tables.TABLE_FILES.values())


@pytest.mark.parametrize("filename", sorted(filename for filename, *_ in tables.TABLE_FILES.values()))
def test_it_ships_table_files_matching_their_recorded_checksum(filename: str) -> None:
    digest = hashlib.sha256((tables.DATA_DIR / filename).read_bytes()).hexdigest()

    assert digest == _provenance_checksums()[filename]


@pytest.mark.parametrize(
    ("name", "key_min", "rows"),
    [
        ("wfa", 0, 1857),
        ("lhfa", 0, 1857),
        ("bfa", 0, 1857),
        ("hcfa", 0, 1857),
        ("acfa", 91, 1766),
        ("wfl", 450, 651),
        ("wfh", 650, 551),
    ],
)
def test_it_loads_every_row_of_both_sexes(name: str, key_min: int, rows: int) -> None:
    table = tables.all_tables()[name]

    assert (table.key_min, table.rows, table.l.shape, table.m.shape, table.s.shape) == (
        key_min,
        rows,
        (2 * rows,),
        (2 * rows,),
        (2 * rows,),
    )
    assert not np.isnan(table.m).any()


def test_it_keeps_full_precision_l_m_s() -> None:
    wfa = tables.table("wfa")
    boy_birth = wfa.row(sex=1, key=0)
    girl_birth = wfa.row(sex=2, key=0)

    assert (wfa.l[boy_birth], wfa.m[boy_birth], wfa.s[boy_birth]) == (0.3487, 3.3464, 0.14602)
    assert (wfa.l[girl_birth], wfa.m[girl_birth], wfa.s[girl_birth]) == (0.3809, 3.2322, 0.14171)


@pytest.mark.parametrize(("name", "sex", "key", "published"), WHO_PUBLISHED_SD)
def test_it_reproduces_who_published_sd_lines_to_their_last_decimal(
    name: str, sex: int, key: int, published: tuple[float, ...]
) -> None:
    table = tables.table(name)
    row = table.row(sex=sex, key=key)
    ours = [float(table.sd_line(z)[row]) for z in (-3, -2, -1, 0, 1, 2, 3)]

    assert max(abs(a - b) for a, b in zip(ours, published, strict=True)) <= 0.0005 + 1e-9


def test_it_matches_the_permenkes_figures_for_boys_at_birth() -> None:
    wfa = tables.table("wfa")
    row = wfa.row(sex=1, key=0)

    assert [round(float(wfa.sd_line(z)[row]), 1) for z in (-3, -2, 0)] == [2.1, 2.5, 3.3]


def test_it_refuses_keys_outside_a_table() -> None:
    with pytest.raises(KeyError):
        tables.table("acfa").row(sex=1, key=90)
