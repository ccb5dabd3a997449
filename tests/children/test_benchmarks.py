"""`bench growth` closes on what it measured: the rows it ran and what the baseline was timed on."""

from __future__ import annotations

import re

from children.benchmarks import run


def test_the_growth_closing_line_names_its_rows_and_its_baseline() -> None:
    result = run(out=None, rows=3_000, seed=7)
    line = result.closing_line("growth")
    peer = r"anthro \(pure Python\) on 2,000 of them|bare lookup of the same 3,000 rows"
    assert re.fullmatch(
        rf"bench growth: [\d,]+ rows/s over 3,000 random measurements \([\d.]+x vs ({peer})\)", line
    )
    assert result.details[0] == "rows: 3,000 random measurements (seed 7), best of 3, one thread"
