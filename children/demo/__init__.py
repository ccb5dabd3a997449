"""seed_demo steps: families and mothers, named children 0-59 months with 24 months of posyandu
measurements, pregnancies with their antenatal visits, and adolescent girls with weekly TTD.

Heights and weights are drawn as z-scores and turned into centimetres and kilograms through the
WHO tables, so the demo's stunting prevalence is what it was made to be (about 27% falling to 21%),
then every measurement goes through the same engine as real entries. Families are drawn a little
poorer where children are shorter, so their water, latrine and social-protection data correlate
with stunting; pregnancies' derived flags come from children.compute like real entries.
"""

# The steps register themselves with convergence.demo when imported.
from children.demo.common import FIRST_NAMES_L, FIRST_NAMES_P, SECOND_NAMES
from children.demo.girls import delete_children, seed_adolescent_girls
from children.demo.pregnancies import seed_pregnancies
from children.demo.registry import seed_children

__all__ = [
    "FIRST_NAMES_L",
    "FIRST_NAMES_P",
    "SECOND_NAMES",
    "delete_children",
    "seed_adolescent_girls",
    "seed_children",
    "seed_pregnancies",
]
