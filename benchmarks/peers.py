"""What a planner's analyst would use instead of giliran, for the scale benchmark.

- :func:`solve_highs`: a plain MIP of the rules in HiGHS (highspy), one binary per
  free employee-day, goals solved in order with the previous goal's value fixed.
- :func:`solve_plain_cpsat`: the same model in CP-SAT as the OR-Tools examples write
  it: one Boolean per employee-day, one sum per cap group, team and rule; 2 workers.
- :func:`hand_rotation`: the spreadsheet rotation: each team split in two halves that
  stay home on alternating working days; scored by the checker (:func:`score_roster`).

Both models state rules 1–8 and 10 of SPEC §2 (team days, rule 9, are not modelled:
the scale instances have none) and the goals of §3 in the instance's order, with
fairness as ``min z`` subject to ``z·P_g ≥ ±(P_g·W_e − p_e·W_g)``, ``W_g`` a variable.
The rules' data (who is present, fixed cells, each cap's and team's limit) comes from
:func:`solver.data.compile_instance`, so every model keeps the same rules.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pandas as pd

from models import Instance
from solver.data import WFH, ProblemData, compile_instance

FAIRNESS_SCALE = 1000        # CP-SAT's z is in thousandths of a day


@dataclass
class Cells:
    """The free cells (present, not fixed) numbered 0..n-1, and the fixed WFH ones as constants."""

    index: np.ndarray            # [E, D] int64: the cell's number, -1 when not free
    fixed_wfh: np.ndarray        # [E, D] bool: present and fixed to WFH (a must request)
    count: int

    @classmethod
    def of(cls, data: ProblemData) -> "Cells":
        free = data.present & (data.forced < 0)
        index = np.full(free.shape, -1, dtype=np.int64)
        index[free] = np.arange(int(free.sum()))
        return cls(index, data.present & (data.forced == WFH), int(free.sum()))


@dataclass
class Rules:
    """Every hard rule as ``sum(WFH cells) ≤ upper``, ``≥ lower`` or two cells equal (`together` pairs)."""

    rows: list[tuple[np.ndarray, int]] = field(default_factory=list)       # sum ≤ upper
    least: list[tuple[np.ndarray, int]] = field(default_factory=list)      # sum ≥ lower
    equal: list[tuple[int, int]] = field(default_factory=list)     # cells that must be equal
    infeasible: bool = False

    def at_most(self, ids: np.ndarray, constant: int, limit: int) -> None:
        ids = ids[ids >= 0]
        upper = limit - constant
        if upper < 0:
            self.infeasible = True
        elif upper < len(ids):
            self.rows.append((ids, upper))

    def at_least(self, ids: np.ndarray, constant: int, limit: int) -> None:
        ids = ids[ids >= 0]
        lower = limit - constant
        if lower > len(ids):
            self.infeasible = True
        elif lower > 0:
            self.least.append((ids, lower))


def plain_rules(data: ProblemData, cells: Cells) -> Rules:
    """Rules 3, 4, 6, 7, 8 and 10 as sums over cells (1, 2 and 5 are the cells fixed or absent)."""
    if any(t.days_per_week for t in data.teams):
        raise NotImplementedError("the peer models do not state team days (rule 9)")
    rules = Rules()
    idx, const = cells.index, cells.fixed_wfh
    for g in data.cap_groups:                                   # rule 3
        sub, fixed = idx[g.members], const[g.members].sum(axis=0)
        for d in range(data.n_days):
            rules.at_most(sub[:, d], int(fixed[d]), int(g.limit[d]))
    for t in data.teams:                                        # rule 4
        if not len(t.members):
            continue
        sub, fixed = idx[t.members], const[t.members].sum(axis=0)
        for d in np.flatnonzero(t.need > 0):
            rules.at_most(sub[:, d], int(fixed[d]), int(t.present[d] - t.need[d]))
    k = data.max_consecutive_wfh
    m = data.min_wfo_per_week
    for e in range(data.n_employees):
        days = np.flatnonzero(data.present[e])
        if k is not None:                                       # rule 6: any k + 1 present days in a row
            for s in range(len(days) - k):
                window = days[s:s + k + 1]
                rules.at_most(idx[e, window], int(const[e, window].sum()), k)
        if m:                                                   # rule 7
            for w in np.unique(data.weeks[days]):
                week = days[data.weeks[days] == w]
                rules.at_most(idx[e, week], int(const[e, week].sum()), len(week) - min(m, len(week)))
    for o in data.offices:                                      # rule 8: WFO ≤ desks
        pres = data.present[o.members].sum(axis=0)
        for d in range(data.n_days):                            # WFH ≥ present − desks
            rules.at_least(idx[o.members, d], int(const[o.members, d].sum()), int(pres[d]) - o.desks)
    for a, b, rule in data.pairs:                               # rule 10
        for d in np.flatnonzero(data.present[a] & data.present[b]):
            ia, ib = int(idx[a, d]), int(idx[b, d])
            ca, cb = int(const[a, d]), int(const[b, d])
            if rule == "cover":
                rules.at_most(np.array([ia, ib]), ca + cb, 1)
            elif ia >= 0 and ib >= 0:
                rules.equal.append((ia, ib))
            elif ia >= 0 or ib >= 0:
                free, other = (ia, cb) if ia >= 0 else (ib, ca)
                rules.at_most(np.array([free]), 0, other)
                rules.at_least(np.array([free]), 0, other)
            elif ca != cb:
                rules.infeasible = True
    return rules


def _fairness_terms(data: ProblemData, cells: Cells):
    """Per fairness group: P_g, the employees' (p_e, free cells, fixed WFH days) and the group's fixed WFH."""
    groups = []
    for g in data.fairness_groups:
        rows = []
        for e, p in zip(g.members, g.present_days):
            ids = cells.index[e]
            rows.append((int(p), ids[ids >= 0], int(cells.fixed_wfh[e].sum())))
        groups.append((g.total_present, rows, sum(r[2] for r in rows)))
    return groups


def _preference_terms(data: ProblemData, cells: Cells):
    """(cell, weight) for free cells (a WFO request: −weight, its constant added), and the constant."""
    terms, constant = [], 0
    for e, d, mode, w in data.prefer:
        i = int(cells.index[e, d])
        if i < 0:
            constant += w if (int(data.forced[e, d]) == mode) else 0
        elif mode == WFH:
            terms.append((i, w))
        else:
            terms.append((i, -w))
            constant += w
    return terms, constant


def deviation(data: ProblemData, grid: np.ndarray) -> Fraction:
    """SPEC §3's max deviation of a grid (1 WFH, 0 WFO, −1 leave), exactly."""
    worst = Fraction(0)
    for g in data.fairness_groups:
        if not g.total_present:
            continue
        w = (grid[g.members] == 1).sum(axis=1)
        rate = Fraction(int(w.sum()), g.total_present)
        for we, p in zip(w, g.present_days):
            worst = max(worst, abs(int(we) - rate * int(p)))
    return worst


@dataclass
class PeerResult:
    name: str
    build_seconds: float
    goals: dict[str, dict] = field(default_factory=dict)   # goal -> value, bound, status, seconds
    wall: float = 0.0

    @property
    def status(self) -> str:
        states = [g["status"] for g in self.goals.values()]
        if states and all(s == "OPTIMAL" for s in states):
            return "OPTIMAL"
        if any(s == "INFEASIBLE" for s in states):
            return "INFEASIBLE"
        return "FEASIBLE" if states and states[0] in ("OPTIMAL", "FEASIBLE") else "UNKNOWN"


def _goal_list(data: ProblemData) -> list[str]:
    goals = list(data.instance.objective)
    unknown = set(goals) - {"wfh", "fairness", "preferences"}
    if unknown:
        raise NotImplementedError(f"the peer models do not state goal(s) {sorted(unknown)}")
    return goals


# ------------------------------------------------------------------------------------------- HiGHS
def solve_highs(instance: Instance, time_limit: float) -> PeerResult:
    """The plain MIP in HiGHS, goals in order, each with what is left of ``time_limit``."""
    import highspy

    t0 = time.perf_counter()
    data = compile_instance(instance)
    cells = Cells.of(data)
    rules = plain_rules(data, cells)
    goals = _goal_list(data)
    fair = _fairness_terms(data, cells) if "fairness" in goals else []
    n = cells.count
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 2)
    inf = highspy.kHighsInf
    # columns: the cells (binary), then z, then one W_g per fairness group
    h.addCols(n, np.zeros(n), np.zeros(n), np.ones(n), 0, np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))
    h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.full(n, 1, dtype=np.uint8))
    z = n
    extra = 1 + len(fair)
    h.addCols(extra, np.zeros(extra), np.zeros(extra), np.full(extra, inf), 0,
              np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))
    lower, upper, starts, index, value = [], [], [], [], []

    def row(ids, coefs, lo, hi):
        starts.append(sum(len(i) for i in index))
        index.append(np.asarray(ids, dtype=np.int32))
        value.append(np.asarray(coefs, dtype=np.float64))
        lower.append(lo)
        upper.append(hi)

    for ids, ub in rules.rows:
        row(ids, np.ones(len(ids)), -inf, ub)
    for ids, lb in rules.least:
        row(ids, np.ones(len(ids)), lb, inf)
    for a, b in rules.equal:
        row([a, b], [1.0, -1.0], 0, 0)
    for k, (P, members, fixed_g) in enumerate(fair):
        wg = z + 1 + k
        all_ids = np.concatenate([m[1] for m in members]) if members else np.zeros(0, np.int64)
        row(np.concatenate([[wg], all_ids]), np.concatenate([[1.0], -np.ones(len(all_ids))]), fixed_g, fixed_g)
        for p, ids, fixed_e in members:
            # z·P ≥ P·W_e − p·W_g  and  z·P ≥ p·W_g − P·W_e, with W_e = sum(ids) + fixed_e
            row(np.concatenate([[z, wg], ids]), np.concatenate([[P, p], -P * np.ones(len(ids))]), P * fixed_e, inf)
            row(np.concatenate([[z, wg], ids]), np.concatenate([[P, -p], P * np.ones(len(ids))]), -P * fixed_e, inf)
    if index:
        h.addRows(len(lower), np.array(lower), np.array(upper), int(sum(len(i) for i in index)),
                  np.array(starts, dtype=np.int32), np.concatenate(index), np.concatenate(value))
    if rules.infeasible:
        h.addRow(1, 1, 0, np.zeros(0, np.int32), np.zeros(0))
    result = PeerResult("HiGHS MIP", time.perf_counter() - t0)
    deadline = time.monotonic() + time_limit
    wfh_constant = int(cells.fixed_wfh.sum())
    pref_terms, pref_constant = _preference_terms(data, cells)
    all_cols = np.arange(n + extra, dtype=np.int32)
    for goal in goals:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        cost = np.zeros(n + extra)
        if goal == "wfh":
            cost[:n] = 1
            sense, constant, scale = highspy.ObjSense.kMaximize, wfh_constant, 1
        elif goal == "fairness":
            cost[z] = 1
            sense, constant, scale = highspy.ObjSense.kMinimize, 0, 1
        else:
            for i, w in pref_terms:
                cost[i] += w
            sense, constant, scale = highspy.ObjSense.kMaximize, pref_constant, data.weight_scale
        h.changeColsCost(len(all_cols), all_cols, cost)
        h.changeObjectiveSense(sense)
        h.setOptionValue("time_limit", float(left))
        g0 = time.perf_counter()
        h.run()
        status = h.modelStatusToString(h.getModelStatus())
        info = h.getInfo()
        seconds = time.perf_counter() - g0
        if info.primal_solution_status != 2:         # no feasible solution
            result.goals[goal] = {"value": None, "bound": None, "seconds": seconds,
                                  "status": "INFEASIBLE" if status == "Infeasible" else "UNKNOWN"}
            break
        objective = info.objective_function_value
        bound = info.mip_dual_bound
        optimal = status == "Optimal"
        result.goals[goal] = {"value": (objective + constant) / scale, "bound": (bound + constant) / scale,
                              "status": "OPTIMAL" if optimal else "FEASIBLE", "seconds": seconds}
        # keep the goal at the value reached (its optimum when proven) for the goals after it
        nz = np.flatnonzero(cost)
        if goal == "fairness":
            h.addRow(-inf, objective + 1e-9, 1, np.array([z], np.int32), np.array([1.0]))
            x = np.array(h.getSolution().col_value[:n]) > 0.5
            grid = np.where(data.present, 0, -1).astype(np.int8)
            grid[cells.fixed_wfh] = 1
            grid[cells.index >= 0] = x[cells.index[cells.index >= 0]]
            result.goals[goal]["value"] = float(deviation(data, grid))
        elif sense == highspy.ObjSense.kMaximize:
            h.addRow(round(objective) - 1e-6, inf, len(nz), nz.astype(np.int32), cost[nz])
    result.wall = time.perf_counter() - t0
    return result


# ------------------------------------------------------------------------------------- plain CP-SAT
def solve_plain_cpsat(instance: Instance, time_limit: float, workers: int = 2) -> PeerResult:
    """The plain CP-SAT model, goals in order, each hinted with the previous goal's solution."""
    from ortools.sat.python import cp_model

    t0 = time.perf_counter()
    data = compile_instance(instance)
    cells = Cells.of(data)
    rules = plain_rules(data, cells)
    goals = _goal_list(data)
    model = cp_model.CpModel()
    x = [model.NewBoolVar(f"wfh_{i}") for i in range(cells.count)]
    for ids, ub in rules.rows:
        model.Add(sum(x[i] for i in ids) <= ub)
    for ids, lb in rules.least:
        model.Add(sum(x[i] for i in ids) >= lb)
    for a, b in rules.equal:
        model.Add(x[a] == x[b])
    if rules.infeasible:
        model.AddBoolOr([])
    z = None
    if "fairness" in goals:
        S = FAIRNESS_SCALE
        z = model.NewIntVar(0, S * data.n_days, "z")
        for P, members, fixed_g in _fairness_terms(data, cells):
            w_g = model.NewIntVar(0, P, "w_g")
            model.Add(w_g == sum(x[i] for _, ids, _ in members for i in ids) + fixed_g)
            for p, ids, fixed_e in members:
                w_e = sum(x[i] for i in ids) + fixed_e
                model.Add(P * z >= S * (P * w_e - p * w_g))
                model.Add(P * z >= S * (p * w_g - P * w_e))
    result = PeerResult("plain CP-SAT", time.perf_counter() - t0)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    deadline = time.monotonic() + time_limit
    pref_terms, pref_constant = _preference_terms(data, cells)
    for goal in goals:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        if goal == "wfh":
            expr, constant, scale, maximize = sum(x), int(cells.fixed_wfh.sum()), 1, True
        elif goal == "fairness":
            expr, constant, scale, maximize = z, 0, FAIRNESS_SCALE, False
        else:
            expr = cp_model.LinearExpr.WeightedSum([x[i] for i, _ in pref_terms], [w for _, w in pref_terms])
            constant, scale, maximize = pref_constant, data.weight_scale, True
        model.Maximize(expr) if maximize else model.Minimize(expr)
        solver.parameters.max_time_in_seconds = left
        g0 = time.perf_counter()
        code = solver.Solve(model)
        seconds = time.perf_counter() - g0
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            result.goals[goal] = {"value": None, "bound": None, "seconds": seconds,
                                  "status": "INFEASIBLE" if code == cp_model.INFEASIBLE else "UNKNOWN"}
            break
        value, bound = solver.ObjectiveValue(), solver.BestObjectiveBound()
        result.goals[goal] = {"value": (value + constant) / scale, "bound": (bound + constant) / scale,
                              "status": "OPTIMAL" if code == cp_model.OPTIMAL else "FEASIBLE", "seconds": seconds}
        if goal == "fairness":
            grid = np.where(data.present, 0, -1).astype(np.int8)
            grid[cells.fixed_wfh] = 1
            free = cells.index >= 0
            grid[free] = np.array([solver.BooleanValue(v) for v in x], dtype=np.int8)[cells.index[free]]
            result.goals[goal]["value"] = float(deviation(data, grid))
        model.ClearHints()
        for v in x:
            model.AddHint(v, solver.BooleanValue(v))
        model.ClearObjective()
        model.Add(expr >= round(value)) if maximize else model.Add(expr <= round(value))
    result.wall = time.perf_counter() - t0
    return result


# ------------------------------------------------------------------------------------ hand rotation
def hand_rotation(instance: Instance) -> pd.DataFrame:
    """The spreadsheet rotation: each team in two halves, half A home on even working days, half B
    on odd ones; essential staff and categories capped at 0 always in; leave as leave."""
    days = instance.working_days
    nips = [e.nip for e in instance.employees]
    index = {nip: i for i, nip in enumerate(nips)}
    E, D = len(nips), len(days)
    on_leave = np.zeros((E, D), dtype=bool)
    ords = np.array([d.toordinal() for d in days])
    for lv in instance.leave:
        lo = np.searchsorted(ords, lv.start.toordinal(), side="left")
        hi = np.searchsorted(ords, lv.end.toordinal(), side="right")
        on_leave[index[lv.nip], lo:hi] = True
    # half of each team (or, without a team, of each unit), in the order of the employee table
    half = np.zeros(E, dtype=np.int64)
    seen: dict[str, int] = {}
    sizes: dict[str, int] = {}
    for e in instance.employees:
        key = e.team or f"unit:{e.unit}"
        sizes[key] = sizes.get(key, 0) + 1
    for i, e in enumerate(instance.employees):
        key = e.team or f"unit:{e.unit}"
        half[i] = 0 if seen.get(key, 0) < math.ceil(sizes[key] / 2) else 1
        seen[key] = seen.get(key, 0) + 1
    home = (np.arange(D)[None, :] % 2) == half[:, None]
    cap_zero = {c: np.array([instance.cap(c, d) == 0 for d in days]) for c in instance.categories}
    for i, e in enumerate(instance.employees):
        if e.essential:
            home[i] = False
        else:
            home[i] &= ~cap_zero[e.category]
    modes = np.where(on_leave, "LEAVE", np.where(home, "WFH", "WFO"))
    return pd.DataFrame({"nip": np.repeat(np.array(nips, dtype=object), D),
                         "date": np.tile(np.array(days, dtype=object), E),
                         "mode": modes.ravel()})


def score_roster(instance: Instance, roster: pd.DataFrame) -> dict:
    """The checker's verdict on a roster: violations (by rule), WFH days and max fairness deviation."""
    from solver.check import check

    t0 = time.perf_counter()
    checked = check(instance, roster)
    return {"violations": len(checked.violations), "by_rule": {k: v for k, v in checked.counts().items() if v},
            "wfh_days": checked.figures["wfh_days"], "fairness": float(checked.figures["fairness_max_dev_days"]),
            "check_seconds": time.perf_counter() - t0}
