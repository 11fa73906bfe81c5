"""The decision variables: one Boolean per present employee-day that is not fixed (True = WFH)."""
from __future__ import annotations

import numpy as np
from ortools.sat.python import cp_model

from .data import ComponentData


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
        n, D = present.shape
        self.present = present
        self.grid: list[list] = []
        self.free: list[tuple[int, int, cp_model.IntVar]] = []
        # per cell: -1 on leave, 0 or 1 when fixed, 2 when free
        self.fixed = np.where(present, np.where(forced >= 0, forced, 2), -1).astype(np.int8)
        for i in range(n):
            row: list = [None] * D
            for d in range(D):
                if not present[i, d]:
                    continue
                f = int(forced[i, d])
                if f >= 0:
                    row[d] = f
                else:
                    var = model.NewBoolVar(f"wfh_{i}_{d}")
                    row[d] = var
                    self.free.append((i, d, var))
            self.grid.append(row)
        self.employee_total: dict[int, cp_model.IntVar] = {}
        self._free_arrays: tuple | None = None

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
            cells = self.days_of(e)
            var = model.NewIntVar(0, len(cells), f"wfh_days_{e}")
            model.Add(var == sum(cells))
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
        rows, days, index = self._free()
        out = np.where(self.fixed == 2, 0, self.fixed).astype(np.int8)
        out[rows, days] = (np.asarray(values)[index] == 1).astype(np.int8)
        return out

    def _free(self) -> tuple:
        if self._free_arrays is None:
            self._free_arrays = (np.array([i for i, _, _ in self.free], dtype=np.int64),
                                 np.array([d for _, d, _ in self.free], dtype=np.int64),
                                 np.array([var.Index() for _, _, var in self.free], dtype=np.int64))
        return self._free_arrays

    def hint(self, model: cp_model.CpModel, solution: np.ndarray) -> None:
        """The solution as the model's hint (written in bulk: one AddHint per cell costs 10× more)."""
        rows, days, index = self._free()
        model.ClearHints()
        hint = model.Proto().solution_hint
        hint.vars.extend(index.tolist())
        hint.values.extend((solution[rows, days] == 1).astype(np.int64).tolist())
