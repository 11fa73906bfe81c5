"""A request goal's best schedule by HiGHS' MIP solver, on the same model CP-SAT searches.

Where teams span cap groups the network of :mod:`solver.flow` only relaxes the rules, and
CP-SAT's search for a schedule at a request goal's bound can go on for long (measured on
generated 60,000's part of 383 employees: no schedule at the bound in 20 s). The linear
relaxation of that model is tight there, and HiGHS' MIP solver, its root LP solved by the
interior point method (IPX), finds the schedule at the bound and proves it in 1.3 s (8 s of its
default simplex). So such parts ask it, on the CP-SAT model's own constraints (every one linear):
its schedule is checked against the model before it is taken, and its dual bound, when it proves
one, bounds the goal.
"""
from __future__ import annotations

import math
import os
import threading
from typing import NamedTuple

import highspy
import numpy as np
from ortools.sat.python import cp_model

_HUGE = 2 ** 60          # CP-SAT's domains use ±(2^63 − 1) for "unbounded"
_banner = threading.Lock()
_quiet = [False]


def _highs():
    """A Highs instance, silent (its first construction in a process prints a banner on stdout,
    which is the CLI's: that write goes to /dev/null)."""
    with _banner:
        if _quiet[0]:
            return highspy.Highs()
        saved = os.dup(1)
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.close(devnull)
            h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _quiet[0] = True
        return h


def best(model: cp_model.CpModel, variables: list, weights: list[int], seconds: float,
         seed: int = 0, start: np.ndarray | None = None) -> tuple[str, np.ndarray | None, int | None]:
    """Maximize ``Σ weights × variables`` over the model's schedules for at most ``seconds``.

    Returns (status, the values of the model's variables or None, an upper bound of the sum or
    None); status is "OPTIMAL" (the values reach the bound), "FEASIBLE", "INFEASIBLE" or
    "UNKNOWN". With no variables, any schedule of the model (a check). Not asked ("UNKNOWN") when
    the model states anything but linear constraints. Values are returned only when they keep every
    constraint and domain of the model exactly (:func:`keeps`: HiGHS works within tolerances).

    ``start``, values of every variable of the model that keep it, is HiGHS' first incumbent: its
    rounding heuristics then need not find one (measured on generated 60,000 with rule 6: a part
    of 236 employees proven in 0.13 s from the optimum against 6.6 s from nothing; one of 148 in
    0.17 s from a schedule 25% below the optimum against 1.4 s)."""
    loaded = _load(model, variables, weights, seconds, seed, integer=True)
    if loaded is None:
        return "UNKNOWN", None, None
    h, cost = loaded.highs, loaded.cost
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_lp_solver", "ipx")
    if start is not None and len(start) == len(loaded.lo):
        given = highspy.HighsSolution()
        given.col_value = np.asarray(start, dtype=float).tolist()
        given.value_valid = True
        h.setSolution(given)
    h.run()
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kInfeasible:
        return "INFEASIBLE", None, None
    info = h.getInfo()
    bound = _floored(info.mip_dual_bound)
    if info.primal_solution_status != 2:           # kSolutionStatusFeasible
        return "UNKNOWN", None, bound
    x = np.rint(np.asarray(h.getSolution().col_value)).astype(np.int64)
    if not _keeps(loaded, x):
        return "UNKNOWN", None, bound
    found = int(np.dot(np.rint(cost).astype(np.int64), x))
    if status == highspy.HighsModelStatus.kOptimal and bound is not None and found >= bound:
        return "OPTIMAL", x, found
    return "FEASIBLE", x, bound


def relaxed(model: cp_model.CpModel, variables: list, weights: list[int], seconds: float,
            seed: int = 0) -> tuple[str, np.ndarray | None, int | None]:
    """As :func:`best`, by the linear relaxation alone (dual simplex): "INFEASIBLE" when the
    relaxation is (then so is the model); "OPTIMAL" with its values when its optimal vertex is
    integral (a schedule of the model, and no schedule does better); else "UNKNOWN" with the
    relaxation's bound, rounded down. Measured on generated 60,000's 101 hardest parts (teams
    across cap groups): goal wfh's vertex integral in 100, 16 ms a solve against CP-SAT's 140 ms.
    Its values, too, are checked exactly (:func:`keeps`)."""
    loaded = _load(model, variables, weights, seconds, seed, integer=False)
    if loaded is None:
        return "UNKNOWN", None, None
    h = loaded.highs
    h.setOptionValue("solver", "simplex")
    h.run()
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kInfeasible:
        return "INFEASIBLE", None, None
    if status != highspy.HighsModelStatus.kOptimal:
        return "UNKNOWN", None, None
    bound = _floored(h.getInfo().objective_function_value)
    x = np.asarray(h.getSolution().col_value)
    rounded = np.rint(x)
    if bound is None or (np.abs(x - rounded) > 1e-6).any() or not _keeps(loaded, rounded.astype(np.int64)):
        return "UNKNOWN", None, bound
    return "OPTIMAL", rounded.astype(np.int64), bound


def _floored(value: float) -> int | None:
    """An objective's bound from HiGHS, rounded down (within its tolerance); None when it has none."""
    return math.floor(value + 1e-6) if math.isfinite(value) and abs(value) < _HUGE else None


def keeps(model: cp_model.CpModel, values: np.ndarray) -> bool:
    """Do these values of the model's variables keep every one of its constraints and domains? In
    integer arithmetic, exactly (no tolerance): what HiGHS' values pass before :func:`best` and
    :func:`relaxed` return them (the same verdict as CP-SAT's check of the model, far cheaper: no
    copy of the model, no presolve). False when the model states anything but linear constraints."""
    proto = model.Proto()
    loaded = _Loaded(None, None, *_domains(proto), _rows(model, proto))
    return loaded.rows is not None and _keeps(loaded, np.asarray(values, dtype=np.int64))


class _Loaded(NamedTuple):
    highs: highspy.Highs | None
    cost: np.ndarray | None
    lo: np.ndarray           # per variable: its domain's first value
    hi: np.ndarray           # and its last
    holes: list              # (variable, its domain) where the domain has holes
    rows: tuple | None       # see _rows


def _domains(proto) -> tuple[np.ndarray, np.ndarray, list]:
    domains = [v.domain for v in proto.variables]     # (the proto's fields take no negative index)
    lo = np.array([d[0] for d in domains], dtype=np.int64)
    hi = np.array([d[len(d) - 1] for d in domains], dtype=np.int64)
    holes = [(k, list(d)) for k, d in enumerate(domains) if len(d) > 2]
    return lo, hi, holes


def _keeps(loaded: _Loaded, x: np.ndarray) -> bool:
    if len(x) != len(loaded.lo) or ((x < loaded.lo) | (x > loaded.hi)).any():
        return False
    for k, d in loaded.holes:
        if not any(d[j] <= x[k] <= d[j + 1] for j in range(0, len(d), 2)):
            return False
    lower, upper, starts, columns, coeffs = loaded.rows
    if not lower:
        return True
    counts = np.diff(np.asarray(starts[:len(lower) + 1], dtype=np.int64))
    sums = np.zeros(len(lower), dtype=np.int64)
    np.add.at(sums, np.repeat(np.arange(len(lower)), counts),
              np.asarray(coeffs, dtype=np.int64) * x[np.asarray(columns, dtype=np.int64)])
    low = np.array([v if math.isfinite(v) else -_HUGE for v in lower], dtype=np.int64)
    high = np.array([v if math.isfinite(v) else _HUGE for v in upper], dtype=np.int64)
    return bool(((sums >= low) & (sums <= high)).all())


def _load(model: cp_model.CpModel, variables: list, weights: list[int], seconds: float, seed: int,
          integer: bool) -> _Loaded | None:
    """A silent Highs instance holding the model (its variables integer or not) and the objective
    ``max Σ weights × variables``, with the objective's costs per variable and what :func:`_keeps`
    reads; None when the model states anything but linear constraints or there is no time."""
    if seconds <= 0:
        return None
    proto = model.Proto()
    rows = _rows(model, proto)
    if rows is None:
        return None
    lower, upper, starts, columns, values = rows
    index = np.array([v.Index() for v in variables], dtype=np.int64)
    if len(index) and index.min() < 0:
        return None
    n = len(proto.variables)
    lo, hi, holes = _domains(proto)
    cost = np.zeros(n)
    np.add.at(cost, index, np.asarray(weights, dtype=float))

    h = _highs()
    for option, value in (("output_flag", False), ("time_limit", float(seconds)), ("threads", 1),
                          ("random_seed", int(seed) % 2**31)):
        h.setOptionValue(option, value)
    h.addVars(n, lo.astype(float), hi.astype(float))
    h.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
    if integer:
        h.changeColsIntegrality(n, np.arange(n, dtype=np.int32),
                                np.full(n, highspy.HighsVarType.kInteger.value, dtype=np.uint8))
    h.addRows(len(lower), np.array(lower, dtype=float), np.array(upper, dtype=float), len(columns),
              np.array(starts[:len(lower)], dtype=np.int32), np.array(columns, dtype=np.int32),
              np.array(values, dtype=float))
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    return _Loaded(h, cost, lo, hi, holes, rows)


def _rows(model: cp_model.CpModel, proto) -> tuple | None:
    """The model's constraints as HiGHS rows (lower, upper, starts, columns, values), or None if one
    is not a plain linear constraint. Kept on the model and extended by the constraints added since
    the last call (a part's model only grows: its searches add constraints and change variables'
    domains, never a constraint already there; measured: 0.09 s a call on a part of 383 employees)."""
    kept = model.__dict__.get("_giliran_rows")
    count = len(proto.constraints)
    if kept is None or kept[0] > count:
        kept = [0, [], [], [0], [], [], True]
    done, lower, upper, starts, columns, values, ok = kept
    for k in range(done, count):
        c = proto.constraints[k]
        if not c.has_linear() or len(c.enforcement_literal):
            ok = False
            break
        linear = c.linear
        domain = linear.domain          # (no negative index: see best)
        low, high = domain[0], domain[len(domain) - 1]
        lower.append(low if low > -_HUGE else -highspy.kHighsInf)
        upper.append(high if high < _HUGE else highspy.kHighsInf)
        columns.extend(linear.vars)
        values.extend(linear.coeffs)
        starts.append(len(columns))
    model.__dict__["_giliran_rows"] = [count, lower, upper, starts, columns, values, ok]
    return (lower, upper, starts, columns, values) if ok else None
