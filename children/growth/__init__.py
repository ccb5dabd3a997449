"""The WHO 2006 growth engine: pure numpy, no Django, shared by the entry form, API, imports and jobs.

Public API: `zscores()` (vectorised) and `zscore_one()` (one measurement), the Permenkes 2/2020
categories in `classify`, the input codes and parsers in `codes`, the N/T/O/B/2T weight-gain rule in
`weight_gain`, and the LMS tables in `tables`.
"""

from . import classify, codes, tables, weight_gain
from .zscore import GrowthArrays, GrowthResult, zscore_one, zscores

__all__ = [
    "GrowthArrays",
    "GrowthResult",
    "classify",
    "codes",
    "tables",
    "weight_gain",
    "zscore_one",
    "zscores",
]
