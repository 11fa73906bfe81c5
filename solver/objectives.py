"""The goals of SPEC §3 as CP-SAT expressions, one function per goal.

``wfh``, ``wfh_km`` and ``preferences`` are sums (maximized); ``fairness`` is a max
deviation (minimized) searched over candidate values, see :mod:`solver.fairness`.
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from ortools.sat.python import cp_model

from .data import WFH, ComponentData
from .variables import NO_LOWER, NO_UPPER, Variables, add_linear

SUM_GOALS = ("wfh", "wfh_km", "preferences", "stability")


def _weighted(pairs) -> tuple[list, list, int]:
    variables, weights, constant = [], [], 0
    for cell, w in pairs:
        if isinstance(cell, int):
            constant += cell * w
        elif w:
            variables.append(cell)
            weights.append(w)
    return variables, weights, constant


def wfh(comp: ComponentData, cells: Variables):
    """Goal `wfh`: WFH employee-days (to maximize)."""
    return _weighted((c, 1) for row in cells.grid for c in row if c is not None)


def wfh_km(comp: ComponentData, cells: Variables):
    """Goal `wfh_km`: round-trip km avoided, 2 × commute_km per WFH day, scaled to integers."""
    km = comp.data.km
    return _weighted((c, int(km[e])) for e, row in zip(comp.members, cells.grid) for c in row if c is not None)


def preferences(comp: ComponentData, cells: Variables):
    """Goal `preferences`: weight of prefer requests met (a WFO request is met by 1 − cell)."""
    return _requests_met(comp.prefer, cells)


def stability(comp: ComponentData, cells: Variables):
    """Goal `stability` (re-planning): later employee-days kept as the previous schedule had them."""
    return _requests_met(comp.keep, cells)


def _requests_met(requests, cells: Variables):
    variables, weights, constant = [], [], 0
    for e, d, mode, weight in requests:
        c = cells.cell(e, d)
        if mode == WFH:
            terms = [(c, weight)]
        else:
            constant += weight
            terms = [(c, -weight)]
        v, w, k = _weighted(terms)
        variables += v
        weights += w
        constant += k
    return variables, weights, constant


def goal_expression(goal: str, comp: ComponentData, cells: Variables):
    """(variables, weights, constant) of a sum goal."""
    return {"wfh": wfh, "wfh_km": wfh_km, "preferences": preferences, "stability": stability}[goal](comp, cells)


def goal_scale(goal: str, data) -> int:
    """What the integer objective is multiplied by (km and weights may be decimals)."""
    if goal == "wfh_km":
        return data.km_scale
    if goal == "preferences":
        return data.weight_scale
    return 1


class Deviation:
    """The arithmetic of goal `fairness` (SPEC §3, §7.4) over a component's fairness groups.

    Employee e's deviation is |P_g × W_e − p_e × W_g| / P_g, so "max deviation ≤ z"
    means every group's integer M_g = max_e |P_g W_e − p_e W_g| is ≤ floor(z × P_g).
    """

    def __init__(self, comp: ComponentData):
        self.groups = [g for g in comp.fairness_groups if g.total_present > 0]

    def limits_at_most(self, z: Fraction) -> list[int]:
        """M_g for 'max deviation ≤ z'."""
        return [math.floor(z * g.total_present) for g in self.groups]

    def limits_below(self, z: Fraction) -> list[int]:
        """M_g for 'max deviation < z'."""
        return [-(-z.numerator * g.total_present // z.denominator) - 1 for g in self.groups]

    def deviation(self, grid: np.ndarray, local: dict[int, int]) -> Fraction:
        """The max deviation of a solution (grid rows by local index)."""
        worst = Fraction(0)
        for g in self.groups:
            W = np.array([int((grid[local[int(e)]] == 1).sum()) for e in g.members], dtype=np.int64)
            W_g = int(W.sum())
            num = np.abs(g.total_present * W - g.present_days * W_g).max(initial=0)
            worst = max(worst, Fraction(int(num), g.total_present))
        return worst

    def guess(self, grid: np.ndarray, local: dict[int, int]) -> Fraction:
        """A lower bound when group totals are fixed: each share's distance to the nearest integer."""
        best = Fraction(0)
        for g in self.groups:
            W_g = sum(int((grid[local[int(e)]] == 1).sum()) for e in g.members)
            P = g.total_present
            for p in np.unique(g.present_days):
                r = (int(p) * W_g) % P  # t_e = q + r/P
                best = max(best, Fraction(min(r, P - r), P))
        return best

    def employee_bounds(self, limits: list[int], grid: np.ndarray, local: dict[int, int], n: int):
        """Per local employee, [lower, upper] on WFH days for these limits, group totals as in grid."""
        lower = np.zeros(n, dtype=np.int64)
        upper = np.full(n, 10**9, dtype=np.int64)
        for g, M in zip(self.groups, limits):
            rows = np.array([local[int(e)] for e in g.members], dtype=np.int64)
            W_g = int((grid[rows] == 1).sum())
            P = g.total_present
            num = g.present_days * W_g
            lower[rows] = -((-(num - M)) // P)      # ceil((p W − M) / P)
            upper[rows] = (num + M) // P            # floor((p W + M) / P)
        return np.maximum(lower, 0), upper


class Fairness(Deviation):
    """Goal `fairness` in the CP-SAT model: for every fairness group g and member e,
    |P_g × W_e − p_e × W_g| ≤ M_g, where M_g's upper bound is set per probe.
    """

    def __init__(self, model: cp_model.CpModel, comp: ComponentData, cells: Variables):
        super().__init__(comp)
        self.model = model
        self.bounds: list[cp_model.IntVar] = []
        self.group_totals: list[cp_model.IntVar] = []
        for g in self.groups:
            P = g.total_present
            totals = [cells.total(model, int(e)) for e in g.members]
            W_g = model.NewIntVar(0, P, f"wfh_group_{g.key}")
            model.Add(W_g == cp_model.LinearExpr.Sum(totals))
            self.group_totals.append(W_g)
            top = int(P * max(int(g.present_days.max()), 1))
            M = model.NewIntVar(0, top, f"fair_{g.key}")
            # P W_e − p W_g ≤ M and ≥ −M, written into the proto at once (the same constraints as
            # model.Add makes of them, a third sooner)
            w_g, m = W_g.Index(), M.Index()
            for W_e, p in zip(totals, g.present_days):
                if p == 0:
                    continue
                add_linear(model, [W_e.Index(), w_g, m], [P, -int(p), -1], NO_LOWER, 0)
                add_linear(model, [W_e.Index(), w_g, m], [P, -int(p), 1], 0, NO_UPPER)
            self.bounds.append(M)
        self.top = [int(self.model.Proto().variables[M.Index()].domain[1]) for M in self.bounds]

    def limit(self, limits: list[int]) -> None:
        """Set each group's M_g upper bound (the probe)."""
        proto = self.model.Proto()
        for M, top, lim in zip(self.bounds, self.top, limits):
            proto.variables[M.Index()].domain[1] = int(max(0, min(top, lim)))

    def fix_totals(self, grid: np.ndarray, local: dict[int, int]) -> None:
        """State what the network proved: every schedule optimal so far gives each group this total."""
        for g, W_g in zip(self.groups, self.group_totals):
            self.model.Add(W_g == int(sum(int((grid[local[int(e)]] == 1).sum()) for e in g.members)))
