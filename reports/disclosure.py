"""Small-cell suppression of a published table (Aksi 7). Pure: numpy only, no Django.

A table is a set of cells (one per unit: desa, puskesmas area, kabupaten), each with its size (the
children measured in the unit), and additive relations between them: a total equals the sum of its
members (a puskesmas area is the sum of its desa, the kabupaten the sum of the areas).

Primary suppression: a unit with 1 to `min_count - 1` children measured is not shown (its counts
become "<5", no percentage). A unit with no child measured has nothing to disclose and stays shown.

Secondary suppression: a suppressed cell must not be recoverable from the published ones by adding
and subtracting along the relations (a total minus its other members). A suppressed cell is
recoverable exactly when every solution of the relations gives it the same value, i.e. when its
coordinate is zero in every vector of the null space of the relations restricted to the suppressed
cells. While some suppressed cell is recoverable, the smallest published cell sharing a relation
with it is suppressed too: a member of the same relation (another desa of the area, another area of
the kabupaten), or a total only when no exposed cell has a published member left beside it.
Every column of a row (children measured, stunting, wasting, underweight counts) obeys the same
relations, so one pattern, decided on the children measured, protects them all.

Only exact recovery is prevented: the bounds an attacker could infer (a sum of two suppressed cells
under 10, say) are not audited, as in the usual practice of statistical offices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MIN_COUNT = 5  # no published cell describes fewer than 5 children
# Singular values below this count as zero: the relations have coefficients -1, 0, 1 only.
RANK_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Relation:
    """cell[total] == sum(cell[m] for m in members)."""

    total: int
    members: tuple[int, ...]


@dataclass(frozen=True)
class Suppression:
    """Per cell (same order as the sizes): suppressed for its own size, or to protect another."""

    primary: np.ndarray  # bool
    secondary: np.ndarray  # bool

    @property
    def suppressed(self) -> np.ndarray:
        return self.primary | self.secondary


def primary_suppression(sizes: Sequence[int] | np.ndarray, *, min_count: int = MIN_COUNT) -> np.ndarray:
    """Cells describing between 1 and `min_count - 1` children (bool array)."""
    values = np.asarray(sizes, dtype=np.int64)
    return (values > 0) & (values < min_count)


def _matrix(n_cells: int, relations: Sequence[Relation]) -> np.ndarray:
    """One row per relation: +1 for the total, -1 for each member (rows sum to zero on the cells)."""
    matrix = np.zeros((len(relations), n_cells), dtype=float)
    for i, relation in enumerate(relations):
        matrix[i, relation.total] = 1.0
        for member in relation.members:
            matrix[i, member] -= 1.0
    return matrix


def recoverable(suppressed: np.ndarray, relations: Sequence[Relation]) -> np.ndarray:
    """Suppressed cells whose value follows exactly from the published cells (bool, per cell)."""
    suppressed = np.asarray(suppressed, dtype=bool)
    result = np.zeros(len(suppressed), dtype=bool)
    unknown = np.flatnonzero(suppressed)
    if not len(unknown) or not relations:
        return result
    matrix = _matrix(len(suppressed), relations)[:, unknown]
    # Null space of the relations on the unknown cells: the right-singular vectors beyond the rank.
    _, singular, vt = np.linalg.svd(matrix)
    rank = int(np.sum(singular > RANK_TOLERANCE))
    null_space = vt[rank:]
    if len(null_space):
        determined = np.all(np.abs(null_space) <= RANK_TOLERANCE, axis=0)
    else:
        determined = np.ones(len(unknown), dtype=bool)
    result[unknown[determined]] = True
    return result


def _complement(
    cell: int, suppressed: np.ndarray, sizes: np.ndarray, relations: Sequence[Relation], *, totals: bool
) -> int:
    """A published cell sharing a relation with `cell`, to suppress so that `cell` stops being recoverable.

    With `totals` False: the smallest published member of a relation holding `cell` (units with
    children first, since a suppressed zero protects less); with `totals` True: the smallest published
    total of a relation `cell` is a member of. Ties go to the first cell; -1 when there is none.
    """
    found: set[int] = set()
    for relation in relations:
        if cell != relation.total and cell not in relation.members:
            continue
        if totals:
            if cell != relation.total and not suppressed[relation.total]:
                found.add(relation.total)
        else:
            found.update(m for m in relation.members if m != cell and not suppressed[m])
    if not found:
        return -1
    return min(found, key=lambda c: (sizes[c] == 0, sizes[c], c))


def suppress(
    sizes: Sequence[int] | np.ndarray, relations: Sequence[Relation], *, min_count: int = MIN_COUNT
) -> Suppression:
    """Primary and secondary suppression of a table of `sizes` (children per cell) and relations.

    Terminates: every round suppresses one more cell or stops.
    """
    values = np.asarray(sizes, dtype=np.int64)
    primary = primary_suppression(values, min_count=min_count)
    suppressed = primary.copy()
    while True:
        exposed = [int(cell) for cell in np.flatnonzero(recoverable(suppressed, relations))]
        # A member of the same relation first (a desa of the same area); a total only when no
        # exposed cell has a published member beside it, since a hidden total hides a whole area.
        candidates = (
            _complement(cell, suppressed, values, relations, totals=totals)
            for totals in (False, True)
            for cell in exposed
        )
        extra = next((c for c in candidates if c >= 0), -1)
        if extra < 0:
            break
        suppressed[extra] = True
    return Suppression(primary=primary, secondary=suppressed & ~primary)
