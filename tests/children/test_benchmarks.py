"""`bench growth` closes on what it measured: the rows it ran and what the baseline was timed on."""

from __future__ import annotations

import re

import pytest

from children.benchmarks import run, run_sync
from children.models import Measurement


def test_the_growth_closing_line_names_its_rows_and_its_baseline() -> None:
    result = run(out=None, rows=3_000, seed=7)
    line = result.closing_line("growth")
    peer = r"anthro \(pure Python\) on 2,000 of them|bare lookup of the same 3,000 rows"
    assert re.fullmatch(
        rf"bench growth: [\d,]+ rows/s over 3,000 random measurements \([\d.]+x vs ({peer})\)", line
    )
    assert result.details[0] == "rows: 3,000 random measurements (seed 7), best of 3, one thread"


@pytest.mark.django_db
def test_the_sync_closing_line_names_what_it_measured_and_leaves_nothing_behind() -> None:
    result = run_sync(out=None, rows=20, seed=7)
    line = result.closing_line("sync")
    assert re.fullmatch(
        r"bench sync: [\d,]+ ms for 20 entries in one batch over HTTP on \w+ "
        r"\([\d.]+x vs the same 20 entries sent one by one \([\d.]+ s\)\)",
        line,
    )
    assert result.details[-1] == "rows made: 40 (expected 40)"
    assert Measurement.objects.count() == 0
