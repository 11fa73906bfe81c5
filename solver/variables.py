"""The decision variables: one Boolean per present employee-day that is not fixed (True = WFH)."""
from __future__ import annotations

import numpy as np
from ortools.sat.python import cp_model
from ortools.util.python import sorted_interval_list

from .data import ComponentData


NO_LOWER, NO_UPPER = -2**63, 2**63 - 1      # a linear constraint's open ends, as CP-SAT writes them


def add_linear(model: cp_model.CpModel, indices: list[int], coeffs: list[int], lower: int, upper: int) -> None:
    """``lower ≤ Σ coeffs × variables ≤ upper`` for these variable indices, written into the model's
    proto at once: the same row ``model.Add`` makes of it (variables in index order), a third sooner
    (no expression objects)."""
    linear = model.Proto().constraints.add().linear
    linear.vars.extend(indices)
    linear.coeffs.extend(coeffs)
    linear.domain.extend((lower, upper))


class Variables:
    """The WFH cells of one component.

    ``cell(e, d)`` is a BoolVar, the constant 0 or 1 for a fixed cell (rule 2, must
    requests), or ``None`` on a leave day. ``e`` is a global employee index.
    """

    def __init__(self, model: cp_model.CpModel, comp: ComponentData):
        data = comp.data
        self.members = comp.members
        self.local = {int(g): i for i, g in enumerate(comp.members)}
        present = data.present[comp.members]
        forced = data.forced[comp.members]
        self.present = present
        # per cell: -1 on leave, 0 or 1 when fixed, 2 when free
        self.fixed = np.where(present, np.where(forced >= 0, forced, 2), -1).astype(np.int8)
        # one Boolean per free cell, row by row (unnamed: a name costs a third of its making)
        rows, days = np.nonzero(self.fixed == 2)
        proto, boolean = model.model_proto, sorted_interval_list.Domain(0, 1)
        first = len(model.Proto().variables)
        made = [cp_model.IntVar(proto).with_domain(boolean) for _ in range(len(rows))]
        grid = np.where(self.fixed >= 0, self.fixed, 0).astype(object)
        grid[self.fixed < 0] = None
        grid[rows, days] = made
        self.array = grid                  # the same cells as a numpy object array [row, day]
        self.index = np.full(self.fixed.shape, -1, dtype=np.int64)     # a free cell's variable index, else -1
        self.index[rows, days] = np.arange(first, first + len(made))       # made in order
        self.grid: list[list] = grid.tolist()
        self.free: list[tuple[int, int, cp_model.IntVar]] = list(zip(rows.tolist(), days.tolist(), made))
        self.employee_total: dict[int, cp_model.IntVar] = {}
        self._free_arrays = (rows, days, self.index[rows, days])      # free cells' rows, days, variables

    def rows(self, members) -> np.ndarray:
        """The local rows of these employees, in their order."""
        local = self.local
        return np.fromiter((local[int(e)] for e in members), dtype=np.int64, count=len(members))

    def cell(self, e: int, d: int):
        return self.grid[self.local[e]][d]

    def cells(self, members, d: int) -> list:
        """The WFH cells of these employees on day d (present ones only)."""
        grid, local = self.grid, self.local
        return [c for c in (grid[local[int(e)]][d] for e in members) if c is not None]

    def days_of(self, e: int) -> list:
        return [c for c in self.grid[self.local[e]] if c is not None]

    def total(self, model: cp_model.CpModel, e: int):
        """An integer variable equal to employee e's WFH days (created once)."""
        if e not in self.employee_total:
            i = self.local[e]
            var = model.NewIntVar(0, int((self.fixed[i] >= 0).sum()), f"wfh_days_{e}")
            # var == the sum of its cells, written into the proto at once (the same constraint as
            # model.Add makes of it: the free cells, then var; the cells fixed at home as the domain)
            free = self.index[i][self.index[i] >= 0].tolist()
            home = int((self.fixed[i] == 1).sum())
            add_linear(model, free + [var.Index()], [-1] * len(free) + [1], home, home)
            self.employee_total[e] = var
        return self.employee_total[e]

    def values(self, solver: cp_model.CpSolver) -> np.ndarray:
        """The solution as an int8 grid: 1 WFH, 0 WFO, -1 leave."""
        out = np.full(self.present.shape, -1, dtype=np.int8)
        for i, row in enumerate(self.grid):
            for d, c in enumerate(row):
                if c is None:
                    continue
                out[i, d] = c if isinstance(c, int) else int(solver.BooleanValue(c))
        return out

    def grid_of(self, values: np.ndarray) -> np.ndarray:
        """The schedule given by the values of the model's variables (indexed as in its proto)."""
        rows, days, index = self._free_arrays
        out = np.where(self.fixed == 2, 0, self.fixed).astype(np.int8)
        out[rows, days] = (np.asarray(values)[index] == 1).astype(np.int8)
        return out

    def hint(self, model: cp_model.CpModel, solution: np.ndarray) -> None:
        """The solution as the model's hint (written in bulk: one AddHint per cell costs 10× more)."""
        rows, days, index = self._free_arrays
        model.ClearHints()
        hint = model.Proto().solution_hint
        hint.vars.extend(index.tolist())
        hint.values.extend((solution[rows, days] == 1).astype(np.int64).tolist())
