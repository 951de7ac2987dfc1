"""Tables as linear systems: secondary suppression and controlled rounding.

A table with margins is a set of cells tied by additive relations: every total is the
sum of its components along one dimension. Whoever reads a table with some cells
withheld knows the published cells, the relations and that counts and magnitudes are
not negative; with a linear programme they get, for each withheld cell, the interval
of values consistent with what was published (the *attacker's* problem). A withheld
cell is recoverable when that interval is a single point.

Secondary suppression chooses additional cells to withhold so that no withheld cell is
recoverable, at the least cost (by default the cells' values: small cells are cheaper
to lose than large ones). It is solved as a mixed-integer programme with HiGHS (through
SciPy): the master problem asks that every relation containing a withheld cell contain
at least one other; each solution is then attacked with the linear programme above, and
a solution that leaves a cell recoverable is cut off and the master solved again. This
is the exact approach of Fischetti and Salazar that tau-Argus' "optimal" and sdcTable's
``"OPT"`` methods follow, with the simplest valid cut.

Linked tables (tables that share margins) are protected together by linking them into
one system: cells with the same identity are the same unknown.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from scipy.optimize import LinearConstraint

# Widths below this (relative to the table's largest value) count as a single point:
# the LP solver's own tolerance is about 1e-9.
_RELATIVE_TOLERANCE = 1e-7

CellId = Hashable


@dataclass(frozen=True)
class LinearTable:
    """Cells with their values and the additive relations between them.

    Attributes
    ----------
    cells
        The cells' identities, in order; every array is indexed like this.
    values
        The cells' (non-negative) values, in the table's unit.
    relations
        ``(total, components)`` pairs of indexes: ``values[total] == sum(values[components])``.
    """

    cells: tuple[CellId, ...]
    values: np.ndarray
    relations: tuple[tuple[int, tuple[int, ...]], ...]
    index: Mapping[CellId, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        values = np.asarray(self.values, dtype=np.float64)
        if values.shape != (len(self.cells),):
            raise ValueError("give one value per cell")
        if np.any(values < 0) or not np.all(np.isfinite(values)):
            raise ValueError("cell values must be finite and not negative")
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "index", {cell: i for i, cell in enumerate(self.cells)})
        if len(self.index) != len(self.cells):
            raise ValueError("a cell is listed twice")

    @classmethod
    def from_hierarchies(
        cls,
        values: Mapping[tuple[str, ...], float],
        hierarchies: Sequence[Mapping[str, str | None]],
        *,
        dimensions: Sequence[str] | None = None,
        totals: Collection[str] = (),
    ) -> LinearTable:
        """A table keyed by one code per dimension, with each dimension's hierarchy.

        Parameters
        ----------
        values
            ``{(code, code, ...): value}``; a key absent is an empty cell (zero).
        hierarchies
            One mapping per dimension, ``{code: parent code or None}``: a code with
            children is their total (``"_T"`` the sum of every county).
        dimensions
            Names of the dimensions. With names, a cell's identity is the set of its
            ``(dimension, code)`` pairs without the top totals, so that tables sharing
            margins can be `link`-ed; without, the identity is the key itself.
        totals
            Codes that always stand for "every category" (the office's ``_T``), left out
            of identities even in a table that has only that code of the dimension.
        """
        k = len(hierarchies)
        children: list[dict[str, list[str]]] = []
        for hierarchy in hierarchies:
            tree: dict[str, list[str]] = {}
            for code, parent in hierarchy.items():
                if parent is not None:
                    tree.setdefault(parent, []).append(code)
            children.append(tree)
        keys = [tuple(key) for key in values]
        for key in keys:
            if len(key) != k:
                raise ValueError(f"cell {key!r} does not have {k} codes")
        roots = [
            {
                code
                for code, parent in h.items()
                if parent is None and (code in children[d] or code in totals)
            }
            for d, h in enumerate(hierarchies)
        ]

        def identity(key: tuple[str, ...]) -> CellId:
            if dimensions is None:
                return key
            return frozenset(
                (dimensions[d], code) for d, code in enumerate(key) if code not in roots[d]
            )

        position = {key: i for i, key in enumerate(keys)}
        relations: list[tuple[int, tuple[int, ...]]] = []
        for key in keys:
            for d in range(k):
                kids = children[d].get(key[d])
                if not kids:
                    continue
                components = tuple(
                    position[part]
                    for part in ((*key[:d], kid, *key[d + 1 :]) for kid in kids)
                    if part in position
                )
                if components:
                    relations.append((position[key], components))
        return cls(
            cells=tuple(identity(key) for key in keys),
            values=np.array([float(values[key]) for key in keys]),
            relations=tuple(relations),
        )

    def suppressed_ids(self, suppressed: Iterable[int]) -> set[CellId]:
        """The identities of the cells at the given indexes."""
        return {self.cells[i] for i in suppressed}


def link(*tables: LinearTable) -> LinearTable:
    """One system of several tables: cells with the same identity become one unknown.

    The tables must agree on the values of the cells they share (their common margins).
    """
    cells: list[CellId] = []
    values: list[float] = []
    where: dict[CellId, int] = {}
    relations: set[tuple[int, tuple[int, ...]]] = set()
    for table in tables:
        local: list[int] = []
        for cell, value in zip(table.cells, table.values, strict=True):
            if cell in where:
                if not np.isclose(values[where[cell]], value):
                    raise ValueError(f"linked tables disagree on the shared cell {cell!r}")
            else:
                where[cell] = len(cells)
                cells.append(cell)
                values.append(float(value))
            local.append(where[cell])
        for total, components in table.relations:
            relations.add((local[total], tuple(sorted(local[c] for c in components))))
    return LinearTable(
        cells=tuple(cells), values=np.array(values), relations=tuple(sorted(relations))
    )


def _tolerance(table: LinearTable) -> float:
    scale = float(table.values.max()) if table.values.size else 1.0
    return _RELATIVE_TOLERANCE * max(scale, 1.0)


def intervals(table: LinearTable, suppressed: Iterable[int]) -> dict[int, tuple[float, float]]:
    """For each withheld cell, the smallest and largest value consistent with the rest.

    The attacker's linear programmes: every published value and every relation is
    known, and no cell is negative. An upper bound of ``inf`` means unbounded.
    """
    # scipy is imported when a table is first protected, not when a web process loads
    from scipy.optimize import linprog
    from scipy.sparse import csr_array, lil_array

    hidden = sorted(set(suppressed))
    if not hidden:
        return {}
    column = {cell: j for j, cell in enumerate(hidden)}
    rows: list[dict[int, float]] = []
    rhs: list[float] = []
    for total, components in table.relations:
        members = [(total, -1.0), *((c, 1.0) for c in components)]
        if not any(m in column for m, _ in members):
            continue
        row: dict[int, float] = {}
        known = 0.0
        for cell, sign in members:
            if cell in column:
                row[column[cell]] = row.get(column[cell], 0.0) + sign
            else:
                known -= sign * table.values[cell]
        rows.append(row)
        rhs.append(known)
    n = len(hidden)
    a_eq = lil_array((len(rows), n))
    for r, row in enumerate(rows):
        for j, coefficient in row.items():
            a_eq[r, j] = coefficient
    a_csr = csr_array(a_eq) if rows else None
    b_eq = np.array(rhs) if rows else None
    result: dict[int, tuple[float, float]] = {}
    for j, cell in enumerate(hidden):
        c = np.zeros(n)
        c[j] = 1.0
        bounds = [(0.0, None)] * n
        low = linprog(c, A_eq=a_csr, b_eq=b_eq, bounds=bounds, method="highs")
        high = linprog(-c, A_eq=a_csr, b_eq=b_eq, bounds=bounds, method="highs")
        if low.status != 0:
            raise ValueError(f"the published table is inconsistent at cell {table.cells[cell]!r}")
        upper = float("inf") if high.status == 3 else -float(high.fun)
        result[cell] = (float(low.fun), upper)
    return result


def recoverable(
    table: LinearTable,
    suppressed: Iterable[int],
    *,
    protection: Mapping[int, float] | None = None,
) -> list[int]:
    """The withheld cells whose interval is too narrow.

    A cell's interval must be wider than a point, and at least ``protection[cell]``
    wide when a protection level (in the table's unit) is asked for that cell.
    """
    tolerance = _tolerance(table)
    protection = protection or {}
    return [
        cell
        for cell, (low, high) in intervals(table, suppressed).items()
        if high - low <= max(tolerance, protection.get(cell, 0.0) - tolerance)
    ]


def _determined_by_equations(table: LinearTable, hidden: Sequence[int]) -> list[int]:
    """The withheld cells that the relations alone pin down (no bounds needed).

    A cell is free exactly when some vector of the null space of the relations,
    restricted to the withheld cells, moves it. When every withheld cell's true value
    is above zero, the true table plus a small step along such a vector is another
    table consistent with everything published, so these are then the only
    recoverable cells and no linear programme is needed.
    """
    column = {cell: j for j, cell in enumerate(hidden)}
    rows = []
    for total, components in table.relations:
        if total not in column and not any(c in column for c in components):
            continue
        row = np.zeros(len(hidden))
        if total in column:
            row[column[total]] -= 1.0
        for c in components:
            if c in column:
                row[column[c]] += 1.0
        rows.append(row)
    if not rows:
        return []
    matrix = np.array(rows)
    _, singular, vt = np.linalg.svd(matrix)
    rank = int(np.sum(singular > 1e-9 * max(1.0, float(singular.max(initial=0.0)))))
    null_space = vt[rank:]
    if null_space.shape[0] == 0:
        return list(hidden)
    movement = np.abs(null_space).max(axis=0)
    return [cell for cell, j in column.items() if movement[j] <= 1e-9]


def _equation_cuts(table: LinearTable, chosen: set[int], cells: Sequence[int]) -> list[np.ndarray]:
    """Cuts for withheld ``cells`` that the relations determine under ``chosen``.

    Some combination of relations gives such a cell from published cells only. As
    long as no cell of those relations outside ``chosen`` is withheld, the same
    combination still gives it (dropping withheld cells only adds published ones), so
    a protecting pattern that withholds the cell must withhold one of those: each cut
    reads ``sum(s_j for j in those cells outside chosen) - s_cell >= 0`` (last column:
    the constant, zero here).
    """
    hidden = sorted(chosen)
    column = {c: j for j, c in enumerate(hidden)}
    involved = [
        (total, components)
        for total, components in table.relations
        if total in column or any(c in column for c in components)
    ]
    matrix = np.zeros((len(involved), len(hidden)))
    for r, (total, components) in enumerate(involved):
        if total in column:
            matrix[r, column[total]] -= 1.0
        for c in components:
            if c in column:
                matrix[r, column[c]] += 1.0
    # One pseudo-inverse for every cell: its column j combines the relations into e_j.
    combinations = np.linalg.pinv(matrix.T)
    n = len(table.cells)
    cuts = []
    for cell in cells:
        cut = np.zeros(n + 1)
        for row in np.flatnonzero(np.abs(combinations[:, column[cell]]) > 1e-9).tolist():
            total, components = involved[row]
            for member in (total, *components):
                if member not in chosen:
                    cut[member] = 1.0
        cut[cell] -= 1.0
        cuts.append(cut)
    return cuts


class SuppressionFailed(ValueError):
    """No suppression pattern protects the sensitive cells (or the search gave up)."""


def secondary_suppression(
    table: LinearTable,
    primary: Iterable[int],
    *,
    cost: np.ndarray | None = None,
    protection: Mapping[int, float] | None = None,
    allow_empty: bool = False,
    published: Iterable[int] = (),
    max_rounds: int = 200,
) -> set[int]:
    """The cheapest set of cells to withhold, containing ``primary``, that protects them.

    Parameters
    ----------
    table
        The table (or linked tables).
    primary
        Indexes of the sensitive cells.
    cost
        Cost of withholding each cell; by default its value plus one (small cells are
        preferred, and among equal values fewer cells).
    protection
        Optional minimum width, in the table's unit, of the interval of each sensitive
        cell (tau-Argus' protection levels); otherwise any width above a point.
    allow_empty
        Whether empty (zero) cells may be withheld as secondary cells. Off by default,
        as in sdcTable: readers often know which cells are empty.
    published
        Cells that must stay published: those another table already shows, when
        linked tables are protected one at a time.
    max_rounds
        Bound on master-problem solutions tried.

    Returns
    -------
    set of int
        Indexes of every withheld cell (primary and secondary).
    """
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import csr_array, lil_array

    primary_set = set(primary)
    n = len(table.cells)
    if not primary_set:
        return set()
    cost = table.values + 1.0 if cost is None else np.asarray(cost, dtype=np.float64)
    lower = np.zeros(n)
    upper = np.ones(n)
    lower[list(primary_set)] = 1.0
    if not allow_empty:
        upper[(table.values == 0) & ~np.isin(np.arange(n), list(primary_set))] = 0.0
    fixed = list(set(published) - primary_set)
    upper[fixed] = 0.0
    rows = lil_array((sum(len(c) + 1 for _, c in table.relations), n))
    r = 0
    for total, components in table.relations:
        members = [total, *components]
        for i in members:
            # if cell i is withheld, another member of the same relation is too
            for j in members:
                rows[r, j] = -1.0 if j == i else 1.0
            r += 1
    constraints: list[LinearConstraint] = []
    if r:
        constraints.append(LinearConstraint(csr_array(rows), lb=0.0, ub=np.inf))
    cuts: list[np.ndarray] = []
    for _ in range(max_rounds):
        all_constraints = list(constraints)
        if cuts:
            stacked = np.vstack(cuts)
            # the last column is a constant term, moved to the bound
            all_constraints.append(LinearConstraint(stacked[:, :n], lb=-stacked[:, n], ub=np.inf))
        solution = milp(
            cost,
            integrality=np.ones(n),
            bounds=Bounds(lower, upper),
            constraints=all_constraints,
        )
        if solution.status != 0 or solution.x is None:
            raise SuppressionFailed("no pattern of withheld cells protects the sensitive cells")
        chosen = {int(i) for i in np.flatnonzero(solution.x > 0.5)}
        if protection is None and all(table.values[i] > 0 for i in chosen):
            exposed = _determined_by_equations(table, sorted(chosen))
            if not exposed:
                return chosen
            cuts += _equation_cuts(table, chosen, exposed)
            continue
        if not recoverable(table, chosen, protection=protection):
            return chosen
        # Any subset of a failing pattern fails too: ask for a cell outside it
        # (sum over cells outside the pattern >= 1, written as >= 0 with a constant).
        cut = np.ones(n + 1)
        cut[list(chosen)] = 0.0
        cut[n] = -1.0
        cuts.append(cut)
    raise SuppressionFailed(f"no protecting pattern found in {max_rounds} rounds")


def controlled_rounding(table: LinearTable, *, base: int) -> np.ndarray:
    """Round every cell to a multiple of ``base`` so that totals still add up.

    Zero-restricted: a cell already a multiple of ``base`` keeps its value, others go
    to the multiple just below or just above. The total absolute change is minimised.
    Always possible for two-way tables; `ValueError` when a larger table has no such
    rounding.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    if base < 1:
        raise ValueError("the rounding base must be a positive integer")
    floor = np.floor(table.values / base) * base
    remainder = table.values - floor
    free = remainder > 0
    n = len(table.cells)
    # rounded = floor + base * up; |rounded - value| = remainder + up * (base - 2 remainder)
    cost = np.where(free, base - 2 * remainder, 0.0)
    rows = np.zeros((len(table.relations), n))
    rhs = np.zeros(len(table.relations))
    for r, (total, components) in enumerate(table.relations):
        rows[r, total] -= base
        rhs[r] += floor[total]
        for c in components:
            rows[r, c] += base
            rhs[r] -= floor[c]
    constraints = [LinearConstraint(rows, lb=rhs, ub=rhs)] if len(rhs) else []
    solution = milp(
        cost,
        integrality=np.ones(n),
        bounds=Bounds(np.zeros(n), free.astype(float)),
        constraints=constraints,
    )
    if solution.status != 0 or solution.x is None:
        raise ValueError(f"this table has no controlled rounding to base {base}")
    rounded: np.ndarray = floor + base * np.round(solution.x)
    return rounded
