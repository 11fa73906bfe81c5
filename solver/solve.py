"""The lexicographic search: decomposition into independent components, one CP-SAT model
each, solved goal by goal, then merged and re-checked by the independent checker.

Why it is fast (see ../shared/MEASURED.md):
- components that no rule links are solved apart (and in parallel processes);
- offices shared by components are first left out and only linked when the merged
  schedule breaks their desk limit (a relaxation's optimum that keeps the left-out
  rule is optimal for the whole, lexicographically too);
- fairness is a search over candidate deviations, each a feasibility question with
  one bound per group, starting from the nearest-integer lower bound;
- each solve is hinted with the previous goal's optimum.
"""
from __future__ import annotations

import copy
import hashlib
import math
import multiprocessing
import os
import pickle
import signal
import threading
import time
from pathlib import Path
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from models import Instance
from models.result import GoalResult, Result

from .constraints import add_constraints
from . import flow, lp, shares
from .data import WFH, ComponentData, ProblemData, compile_instance, components, split, without_idle_caps
from .objectives import Deviation, Fairness, goal_expression, goal_scale
from .variables import Variables


SHARES_FIRST = False     # tests: take solver.shares wherever it applies, before the network's shortcuts
SHARES_SHARE = 0.25      # of a part's time left: the shares' search for preferences (a search at the bound follows)
SHARES_MOST = 2.0        # seconds at most (measured: 0.3 s found a bundled part's schedule; 14 s found nothing on generated 10,000's part of 300)


# Set by SIGINT/SIGTERM during a solve: searches stop and keep their best schedule. Made before any
# fork, so the component processes share it.
class _StopFlag:
    """A flag in shared memory, set without a lock, so a signal handler can set it safely
    whatever the interrupted code holds."""

    def __init__(self):
        self._value = multiprocessing.RawValue("b", 0)

    def set(self) -> None:
        self._value.value = 1

    def clear(self) -> None:
        self._value.value = 0

    def is_set(self) -> bool:
        return bool(self._value.value)


_STOP = _StopFlag()
REACH_SHARE = 0.8        # of a part's time left: the search for a schedule at a request goal's upper bound
REACH_QUICK = 0.25       # seconds: the first such searches, which mostly prove a bound out of reach
REACH_QUICK_MIXED = 0.05  # seconds: the same where teams span cap groups or rule 6 holds (HiGHS' MIP comes soon
                          # after: measured on generated 60,000, 20 parts ran 0.25 s out where HiGHS then took 0.05-0.5 s;
                          # preferences 20.0 s -> 16.3 s; with rule 6, 0.25 s found nothing in 7 of 7 parts sampled)
RUN_ROUNDS = 6           # rule 6's office days chosen on a network's schedule, then on one without its runs too long
PLAIN_SHARE = 0.5        # of a long such search: last, without the LP's cuts (see _probe)
CUTS_MOST = 5.0          # seconds: the most the cuts take of a long such search (measured: 17 s of them found nothing where 8 s without did)
REACH_DROPS = 8          # such searches proven out of reach before CP-SAT is asked for a bound of its own
FIRST_PASS_LEAST = 1.0  # seconds: the least a part gets in the first pass (parts still open run again; measured on
                        # generated 60,000: at 0.5 s, 11 parts needed 0.55-0.65 s and ran again from their start)
OFFICE_RESERVE = 0.2     # of the time: kept by the first round for parts an office's broken desks link
STALL_SHARE = 0.1        # of a part's time left: the shares' first fairness check, then CP-SAT's model half the rest (_fair_by_shares)
EXPLAIN_MOST = 10.0      # seconds: the most an infeasible part's explanation takes (issue 4: ≤ 10 s)
EXPLAIN_LEAST = 1.0      # seconds: what it gets when the search used the whole time limit
CHECK_SHARE = 0.5        # of a part's time left: HiGHS' turn at a fairness check (_check_by_mip)
LP_SHARE = 0.25          # of a part's time left: the linear relaxation's turn at goal wfh (_wfh_by_lp)
MIP_SHARE = 0.75         # of a part's time left: HiGHS' search for a request goal's optimum (_by_mip)
TEAM_DAY_SHARE = 0.3     # of a part's time left: moving team days to meet more requests (_restricted_best)


class ScheduleRejected(RuntimeError):
    """The independent checker found a broken rule in a schedule the solver made (a bug)."""


@dataclass
class GoalOutcome:
    value: int | Fraction
    bound: int | Fraction
    proven: bool


@dataclass
class ComponentOutcome:
    status: str                                   # OPTIMAL, FEASIBLE, INFEASIBLE, UNKNOWN
    grid: np.ndarray | None = None                # [members, days] int8: 1 WFH, 0 WFO, -1 leave
    goals: dict[str, GoalOutcome] = field(default_factory=dict)
    seconds: float = 0.0
    build_seconds: float = 0.0
    # fairness kept within this figure, set by the other parts (not the part's own least deviation):
    # the goals after fairness are optimal among the part's schedules within it
    capped: Fraction | None = None


@dataclass
class Settings:
    time_limit: float = 60.0
    workers: int = 1
    seed: int = 0
    log: bool = False
    scheduler: str | None = None      # a Dask distributed scheduler address, or None for this machine


class _Progress(cp_model.CpSolverSolutionCallback):
    """CP-SAT's solution callback: each better solution's value and the bound, at most 5 times a second."""

    def __init__(self, report: Callable[[str, float, float], None], goal: str, constant: int, scale: int):
        super().__init__()
        self.report, self.goal, self.constant, self.scale = report, goal, constant, scale
        self.last = 0.0

    def on_solution_callback(self) -> None:
        now = time.monotonic()
        if now - self.last >= 0.2:
            self.last = now
            self.report(self.goal, (self.ObjectiveValue() + self.constant) / self.scale,
                        (self.BestObjectiveBound() + self.constant) / self.scale)


def _status(code) -> str:
    return {cp_model.OPTIMAL: "OPTIMAL", cp_model.FEASIBLE: "FEASIBLE",
            cp_model.INFEASIBLE: "INFEASIBLE", cp_model.MODEL_INVALID: "INVALID"}.get(code, "UNKNOWN")


class _Search:
    """One component's model and the solver runs on it."""

    def __init__(self, comp: ComponentData, settings: Settings, deadline: float):
        t0 = time.perf_counter()
        self.comp = comp
        self.local = {int(e): i for i, e in enumerate(comp.members)}
        # the CP-SAT model is built only when a search needs it: networks settle most parts alone
        self._model: cp_model.CpModel | None = None
        self._known: list[tuple[str, int]] = []        # sum goals held at a value
        self._limits: list[int] | None = None          # fairness: each group's M_g bound
        self._totals: np.ndarray | None = None         # fairness: a schedule whose group totals are fixed
        self.dev: Deviation | None = None
        if "fairness" in comp.data.objective and comp.fairness_groups:
            self.dev = Deviation(comp)
        self.solver = cp_model.CpSolver()
        p = self.solver.parameters
        p.num_workers = 1            # deterministic, whatever the machine; parallelism is across components
        p.linearization_level = 2    # the cuts prove team and cap sums far sooner (measured: 0.05 s vs > 20 s)
        p.random_seed = settings.seed
        p.log_search_progress = settings.log
        self.deadline = deadline
        self.report: Callable[[str, float, float], None] | None = None   # live progress: goal, value, bound
        self.solution: np.ndarray | None = None
        objective = comp.data.objective
        self.flow = None
        if objective[0] == "wfh":
            self.flow = flow.build(comp)
        self.flow_state: str | None = None   # "exact": the network holds every rule and goal so far
        self.restricted = None               # a network whose schedules keep every rule (see flow.restrict)
        self.cost_goals: list = []           # request goals the network's costs keep at their optimum
        self.previous = _previous_grid(comp) if comp.keep else None
        self.start: np.ndarray | None = None  # a schedule that keeps every rule, given by the caller
        self.target: Fraction | None = None   # fairness: a deviation that is good enough (see least_deviation)
        self._shares = None                  # solver.shares.SharedRooms, False when it does not apply
        self.proven: dict[str, bool] = {}    # goal → proven optimal so far
        self._arrays: dict = {}              # request lists as arrays (_request_arrays)
        self.bounds: dict[str, int] = {}     # request goal → HiGHS' upper bound (_by_mip)
        self._mip_asked: set[str] = set()
        self.seed = settings.seed
        n = len(comp.members)
        self.flow_bounds = (np.zeros(n, dtype=np.int64), np.full(n, 10**9, dtype=np.int64))
        self.build_seconds = time.perf_counter() - t0

    # ------------------------------------------------------------------ the CP-SAT model, on demand
    def _ensure_model(self) -> None:
        if self._model is not None:
            return
        t0 = time.perf_counter()
        self._model = cp_model.CpModel()
        self._cells = Variables(self._model, self.comp)
        add_constraints(self._model, self.comp, self._cells)
        self._fairness = Fairness(self._model, self.comp, self._cells) if self.dev is not None else None
        for goal, value in self._known:
            self._hold(goal, value)
        if self._totals is not None:
            self._fairness.fix_totals(self._totals, self.local)
        if self._limits is not None:
            self._fairness.limit(self._limits)
        self.build_seconds += time.perf_counter() - t0

    @property
    def model(self) -> cp_model.CpModel:
        self._ensure_model()
        return self._model

    @property
    def cells(self) -> Variables:
        self._ensure_model()
        return self._cells

    def _hold(self, goal: str, value: int) -> None:
        variables, weights, constant = goal_expression(goal, self.comp, self._cells)
        if variables:
            self._model.Add(cp_model.LinearExpr.WeightedSum(variables, weights) >= value - constant)

    def _limit(self, limits: list[int]) -> None:
        """Fairness: every group's M_g ≤ its limit from now on (until the next call)."""
        self._limits = list(limits)
        if self._model is not None and self._fairness is not None:
            self._fairness.limit(self._limits)

    def _fix_totals(self, grid: np.ndarray) -> None:
        self._totals = grid
        if self._model is not None and self._fairness is not None:
            self._fairness.fix_totals(grid, self.local)

    def run(self, callback: cp_model.CpSolverSolutionCallback | None = None, model: cp_model.CpModel | None = None,
            seconds: float | None = None) -> str:
        """Solve the model as it stands (objective or none), or ``model`` (a copy of it with more
        constraints), for at most ``seconds``; keep the solution. Returns the status."""
        left = self.deadline - time.monotonic()
        if left <= 0 or _STOP.is_set():
            return "UNKNOWN"
        self.solver.parameters.max_time_in_seconds = left if seconds is None else min(left, seconds)
        model = self.model if model is None else model
        if self.solution is not None:
            self.cells.hint(model, self.solution)
        elif self.start is not None:          # an earlier run's schedule
            self.cells.hint(model, self.start)
        elif self.previous is not None:       # re-planning: the previous schedule is the first guess
            self.cells.hint(model, self.previous)
        done = threading.Event()

        def watch():                          # Ctrl-C or SIGTERM: end the search, keep its best
            while not done.wait(0.1):
                if _STOP.is_set():
                    self.solver.StopSearch()
                    return

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        try:
            status = _status(self.solver.Solve(model, callback))
        finally:
            done.set()
        if status in ("OPTIMAL", "FEASIBLE"):
            self.solution = self.cells.values(self.solver)
        return status

    def maximize(self, goal: str, known: int | None = None) -> tuple[str, GoalOutcome | None]:
        """A sum goal: optimize it and keep it at its optimum (or at ``known``) from now on."""
        net = self.flow
        if goal == "wfh" and net is not None and known is not None:
            most = net.max_flow + int(net.constant_wfh.sum())
            if known == most:
                self.flow_state = "exact" if net.exact else "relaxed"
                if net.exact:
                    self.solution = net.max_flow_grid
        elif goal == "wfh" and net is not None:
            most = net.max_flow + int(net.constant_wfh.sum())
            if net.exact:   # the network holds every rule: its maximum is the optimum
                self.flow_state = "exact"
                self.solution = net.max_flow_grid
                return self._maximize(goal, most)
            grid = self._most_at_hand(net, most)
            if grid is not None:         # the network's maximum, reached by a schedule that keeps every rule
                self.solution = grid
                self.flow_state = "relaxed"
                return self._maximize(goal, most)
            # (rule 6 only: on parts whose teams span cap groups, CP-SAT's schedule is a fairer start;
            # measured on generated 10,000's part of 300: fairness within its target in 0.4 s, 3.7 s after HiGHS')
            found = self._wfh_by_lp()
            if found is None and self.comp.data.max_consecutive_wfh is not None:
                found = self._wfh_by_mip()
            if found is not None:
                self.flow_state = "relaxed" if found == most else None
                return self._maximize(goal, found)
            status, outcome = self._maximize(goal, None)
            self.flow_state = "relaxed" if outcome is not None and outcome.value == most else None
            return status, outcome
        requests = _requests(self.comp, goal)
        if goal == "preferences" and requests and known is None and (self._shares or self._may_share()):
            # a schedule at the bound first (measured: 0.9 s where the shares' search took 14 s)
            reached = self._reach(goal, requests, None, quick=True) if not SHARES_FIRST else None
            if reached is not None:
                return self._maximize(goal, reached)
            done = self._best_by_shares(goal, requests, SHARES_SHARE)
            if done is not None:
                return done
        bound = None                     # an upper bound of a request goal, if one is known
        if requests and self.flow_state is not None and known is None:
            # the network's best is the optimum when it holds every rule, else an upper bound;
            # goals met the same way before stay at their optimum through lexicographic costs
            goals = self.cost_goals + [requests]
            grid = net.cheapest(self._lex_costs(net, goals), *self.flow_bounds)
            if grid is not None:
                best = self._preferences_met(grid, requests)
                if self.flow_state == "exact":
                    self.solution = grid
                    self.cost_goals.append(requests)
                    return self._maximize(goal, best)
                costs = self._lex_costs(net, goals)
                repaired = self._runs_kept(net, costs, grid, self.flow_bounds)
                if repaired is not None and _cost(costs, net, repaired) == _cost(costs, net, grid):
                    # as good as the relaxed best on every goal so far
                    self.solution = repaired
                    self.cost_goals.append(requests)
                    return self._maximize(goal, best)
                if self.restricted is None:          # shape a restriction after the relaxed best
                    for restricted in flow.restrictions(self.comp, net, grid):
                        if restricted.max_flow == net.max_flow:
                            candidate = restricted.cheapest(self._lex_costs(restricted, goals), *self.flow_bounds)
                            if restricted.keeps_every_rule(candidate):
                                self.restricted = restricted
                                break
                if self.restricted is not None:      # a schedule that keeps every rule and reaches the bound
                    candidate = self.restricted.cheapest(self._lex_costs(self.restricted, goals), *self.flow_bounds)
                    if self.restricted.keeps_every_rule(candidate):
                        self.solution = candidate
                        if self._preferences_met(candidate, requests) == best:
                            self.cost_goals.append(requests)
                            return self._maximize(goal, best)
                variables, weights, constant = goal_expression(goal, self.comp, self.cells)
                if variables:
                    self.model.Add(cp_model.LinearExpr.WeightedSum(variables, weights) <= best - constant)
                    bound = best
        if goal != "wfh":
            self.flow_state = None       # the network no longer states every goal met so far
        if requests and known is None:
            known = self._reach(goal, requests, bound)
        return self._maximize(goal, known)

    def _runs_kept(self, net, costs: np.ndarray, grid: np.ndarray, bounds) -> np.ndarray | None:
        """Rule 6 on a network's best schedule ``grid`` (of cell ``costs``, employee totals within
        ``bounds``), where rule 6 and desks are all the network leaves out: office days chosen so
        that every k + 1 present days in a row have one, and the network closed on them. Returns the
        closed network's best schedule if it has the network's most WFH days and keeps every rule,
        else None. When its cost is ``grid``'s, no schedule of the network does better.

        Of the best schedules, the one shaped after is steered (a lesser cost) off each employee's
        weeks' last days, or first days for every other employee, so that few runs cross a weekend;
        each window keeps one of its office days, and a window at home throughout gets the office
        day that costs least and keeps the network's maximum. (Measured on generated 60,000 with
        rule 6: the relaxed bound of goal preferences reached in 32 of 32 sampled parts this applies
        to, in 1–17 ms, where a network restricted after the fairness schedule met 56 of 71, and
        HiGHS' MIP took 0.1–0.9 s a part.)"""
        k = self.comp.data.max_consecutive_wfh
        if k is None or not net.nested or not net.checkable:
            return None
        rows, days = net.cell_index[:, 0], net.cell_index[:, 1]
        tie = _weekend_ties(self.comp)[rows, days]
        steer = costs                                   # the costs the schedules are shaped with
        if (int(np.abs(costs).sum()) + 1) * (int(tie.sum()) + 1) < 2**62:
            steered = net.cheapest(costs * (int(tie.sum()) + 1) + tie, *bounds)
            if steered is not None and _cost(costs, net, steered) == _cost(costs, net, grid):
                grid, steer = steered, costs * (int(tie.sum()) + 1) + tie
        movable = np.zeros(grid.shape, dtype=bool)
        movable[rows, days] = True
        home = net.home if net.home is not None else np.zeros(grid.shape, dtype=bool)
        cell_cost = np.zeros(grid.shape, dtype=np.int64)
        cell_cost[rows, days] = costs
        most = net.max_flow
        lazy = np.zeros(grid.shape, dtype=bool)         # office days kept where runs were too long
        for _ in range(RUN_ROUNDS):
            # each choice keeps the maximum with the office days chosen before it
            forbid = _office_days(self.comp, grid, movable & ~lazy, home, cell_cost, k,
                                  lambda cells: net.most_closed(cells | lazy) == most)
            if forbid is not None:
                closed = net.closed(forbid | lazy)
                found = closed.cheapest(costs, *bounds) if closed.max_flow == most else None
                if found is not None and net.keeps_every_rule(found):
                    return found
            # else (a window with no such day, or one kept later lowered the maximum): an office day
            # in each run too long, and the best schedule without them shaped after
            for r, window in _long_runs(grid, k):
                _office_day(r, [d for d in window if movable[r, d] and not lazy[r, d]], cell_cost, lazy,
                            lambda cells: net.most_closed(cells) == most)
            grid = net.closed(lazy).cheapest(steer, *bounds)
            if grid is None:
                return None
        return None

    def _runs_best(self, requests) -> np.ndarray | None:
        """Rule 6's office days (_runs_kept) on the best schedule for ``requests`` of a network
        restricted after the current schedule but for rule 6 (teams across cap groups share their
        rooms out as it does), if the model allows it (every goal so far held). Not proven by itself:
        it is HiGHS' first incumbent, and the optimum when it meets the bound. (Measured on generated
        60,000 with rule 6, parts of 161, 177 and 236 employees: the optimum in 0.3–0.7 s, where HiGHS'
        MIP took 1.7–6.6 s from the fairness schedule; the part of 383: 465 of its bound 469, where
        the fairness schedule met 337.)"""
        comp, n = self.comp, len(self.comp.members)
        if comp.data.max_consecutive_wfh is None or self.flow is None or self.solution is None:
            return None
        bounds = self.flow_bounds
        if self.dev is not None and self._limits is not None:
            bounds = self.dev.employee_bounds(self._limits, self.solution, self.local, n)
        wfh_days = int((self.solution == 1).sum())
        found = []
        for restricted in flow.restrictions(comp, self.flow, self.solution, runs=False):
            if restricted.max_flow + int(restricted.constant_wfh.sum()) != wfh_days:
                continue
            costs = self._lex_costs(restricted, [requests])
            grid = restricted.cheapest(costs, *bounds)
            if grid is not None:
                found.append(self._runs_kept(restricted, costs, grid, bounds))
        best = self._best_of(requests, *found)
        return best if best is not None and self.allows(best) else None

    def _reach(self, goal: str, requests: list, bound: int | None, quick: bool = False) -> int | None:
        """A request goal's optimum when a schedule meets its upper bound: ``bound`` (the network's),
        else every request; None when none is found in time.

        First the schedules at hand (``_at_hand``). Then a copy of the model that must meet the
        bound, which finds such a schedule far sooner than maximizing does (measured on the bundled
        instance's hardest parts: 0.5 s against 16 s, 8 s against 21 s). A copy proven infeasible
        lowers the bound by one; after REACH_DROPS of them without a bound of the network's, a
        short CP-SAT search gives its own. First such copies get REACH_QUICK seconds each, which
        proves most bounds out of reach at once; then the best schedule of a network restricted
        after the current one (``_restricted_best``) may meet the bound; then the copies get
        REACH_SHARE of the time left each, and one cut short ends the search (maximizing follows).
        With ``quick``, the short steps alone. The best schedule found is kept."""
        variables, weights, constant = goal_expression(goal, self.comp, self.cells)
        if not variables:
            return None
        expr = cp_model.LinearExpr.WeightedSum(variables, weights)
        own = bound is None                  # no bound of the network's: CP-SAT's own may be asked for
        if bound is None:
            bound = constant + sum(w for w in weights if w > 0)
        bound = self._bounded(goal, bound)
        at_hand = self._at_hand(requests, bound)
        quick_seconds = REACH_QUICK_MIXED if self.flow is not None and (
            self.flow.mixed or self.comp.data.max_consecutive_wfh is not None) else REACH_QUICK
        drops = 0
        for short in (True,) if quick else (True, False):
            while True:
                if at_hand is not None and at_hand[0] >= bound:
                    self.solution = at_hand[1]
                    return bound
                left = self.deadline - time.monotonic()
                if left <= 0:
                    return None
                status = self._probe(expr >= bound - constant, min(left * REACH_SHARE, quick_seconds if short else left),
                                     plain_later=not short)
                if status in ("OPTIMAL", "FEASIBLE"):
                    return bound
                if status != "INFEASIBLE":
                    break
                bound = self._bounded(goal, bound - 1)
                self.model.Add(expr <= bound - constant)
                drops += 1
                if own and drops == REACH_DROPS:     # far from every request: CP-SAT's bound, from a short search
                    own = False
                    self.model.Maximize(expr)
                    status = self.run(seconds=min(left * REACH_SHARE, REACH_QUICK))
                    self.model.ClearObjective()
                    if status == "INFEASIBLE":
                        return None
                    if status in ("OPTIMAL", "FEASIBLE"):      # (a search with no schedule has no bound)
                        found = int(round(self.solver.ObjectiveValue()))
                        bound = min(bound, constant + int(math.floor(self.solver.BestObjectiveBound() + 1e-6)))
                        if status == "OPTIMAL" or found + constant >= bound:
                            return found + constant
            if short:
                grid = self._best_of(requests, self._restricted_best(requests, bound), self._runs_best(requests))
                if goal == "stability" and self.previous is not None and (
                        grid is None or self._preferences_met(grid, requests) < bound):
                    grid = self._best_of(requests, grid, self._restricted_best(requests, bound, after=self.previous))
                met = -1 if grid is None else self._preferences_met(grid, requests)
                if met >= 0 and (self.solution is None or met >= self._preferences_met(self.solution, requests)):
                    self.solution = grid
                if met >= bound:
                    return bound
                if goal not in self._mip_asked:       # once a goal: the shares' search may come between
                    self._mip_asked.add(goal)
                    found, bound = self._by_mip(goal, requests, bound)
                    if found is not None:
                        return found
                    if self.solution is not None and self._preferences_met(self.solution, requests) >= bound:
                        return bound
        return None

    def _bounded(self, goal: str, bound: int) -> int:
        """A proven upper bound of a request goal, kept for the goal's outcome should its search run
        out of time (the least of those known)."""
        self.bounds[goal] = min(self.bounds.get(goal, bound), bound)
        return self.bounds[goal]

    def _check_by_mip(self) -> str | None:
        """The model as it stands (a fairness check) by HiGHS' MIP solver, for CHECK_SHARE of the time
        left: "FEASIBLE" (its schedule, which the model allows, kept), "INFEASIBLE", or None when it
        gives no answer (CP-SAT's turn). Measured on generated 60,000 with rule 6: fairness took 75%
        of CP-SAT's time there, 10 of 60 parts unproven in 5 s."""
        status, values, _ = lp.best(self.model, [], [], CHECK_SHARE * max(self.deadline - time.monotonic(), 0),
                                    self.seed)
        if status == "INFEASIBLE":
            return status
        if values is not None:                 # (lp keeps the model's every constraint: checked there)
            self.solution = self.cells.grid_of(values)
            return "FEASIBLE"
        return None

    def _wfh_by_lp(self) -> int | None:
        """Goal `wfh` by the model's linear relaxation (:func:`solver.lp.relaxed`), for LP_SHARE of
        the time left: its optimum when the relaxation's optimal vertex is integral and a schedule
        the model allows (kept), else None."""
        variables, weights, _ = goal_expression("wfh", self.comp, self.cells)
        status, values, _ = lp.relaxed(self.model, variables, weights,
                                       LP_SHARE * max(self.deadline - time.monotonic(), 0), self.seed)
        if status != "OPTIMAL":
            return None
        self.solution = grid = self.cells.grid_of(values)
        return int((grid == 1).sum())

    def _wfh_by_mip(self) -> int | None:
        """Goal `wfh` by HiGHS' MIP solver on the model, for MIP_SHARE of the time left: its optimum
        if HiGHS proves one with a schedule the model allows (kept), else None (a schedule it found
        is kept as CP-SAT's first guess). Measured on generated 60,000 with rule 6: its parts of 383
        and 123 employees proven in 1.7 s and 0.5 s, where CP-SAT had no proof in 18 s."""
        variables, weights, _ = goal_expression("wfh", self.comp, self.cells)
        status, values, _ = lp.best(self.model, variables, weights,
                                    MIP_SHARE * max(self.deadline - time.monotonic(), 0), self.seed)
        if values is None:
            return None
        grid = self.cells.grid_of(values)
        if self.solution is None or (grid == 1).sum() > (self.solution == 1).sum():
            self.solution = grid
        return int((grid == 1).sum()) if status == "OPTIMAL" else None

    def _by_mip(self, goal: str, requests, bound: int) -> tuple[int | None, int]:
        """A request goal by HiGHS' MIP solver on the model (:mod:`solver.lp`), for MIP_SHARE of the
        time left: (the optimum if it proves one, else None; the bound, lowered to its dual bound).
        Its schedule is taken when the model allows it and it meets more than the one at hand."""
        variables, weights, constant = goal_expression(goal, self.comp, self.cells)
        # the schedule at hand is HiGHS' first incumbent (see lp.best)
        start = self._values_of(self.solution) if self.solution is not None else None
        # (HiGHS may overrun its limit: measured 3.2 s against 1.8 s on generated 60,000's part of 189)
        status, values, upper = lp.best(self.model, variables, weights,
                                        MIP_SHARE * max(self.deadline - time.monotonic(), 0), self.seed, start)
        if status == "INFEASIBLE":
            return None, bound
        if values is not None:
            grid = self.cells.grid_of(values)
            met = self._preferences_met(grid, requests)
            if self.solution is None or met > self._preferences_met(self.solution, requests):
                self.solution = grid
                if status == "OPTIMAL" or met >= bound:
                    return met, bound
        if upper is not None and upper + constant < bound:
            bound = upper + constant
            self.model.Add(cp_model.LinearExpr.WeightedSum(variables, weights) <= upper)
            self.bounds[goal] = bound
        return None, bound

    def _at_hand(self, requests, bound: int) -> tuple[int, np.ndarray] | None:
        """The schedule at hand that meets the most ``requests``, and how much it meets: re-planning's
        previous one if it still keeps every rule and goal so far, and the best schedules of the
        network restricted after the current one and after the previous one, their team days kept
        (each a max flow and a min-cost flow)."""
        grids = [self._restricted_best(requests, bound, moves=False)]
        if self.previous is not None:
            grids.append(self.previous if self.allows(self.previous) else None)
            grids.append(self._restricted_best(requests, bound, moves=False, after=self.previous))
        best = self._best_of(requests, *grids)
        return None if best is None else (self._preferences_met(best, requests), best)

    def _most_at_hand(self, net, most: int) -> np.ndarray | None:
        """A schedule with the relaxed network's ``most`` WFH days that keeps every rule, if one is at
        hand: re-planning's previous one, else a max flow of a network restricted after the relaxed
        one's (cheaper than CP-SAT's search, and that maximum is an upper bound)."""
        if self.previous is not None and int((self.previous == 1).sum()) == most and self.allows(self.previous):
            return self.previous
        # with teams across cap groups its only rule outside the network, a restricted network states
        # every rule (the model's check is left out: it builds the model, which most such parts never
        # need); team days, pairs, desks and rule 6 are checked against the model
        only_mixed = not _unnested_rules(self.comp)
        for grid in flow.schedules_at_most(self.comp, net):
            if only_mixed or self.allows(grid):
                return grid
        return self._most_by_team_days(net, most)

    def _most_by_team_days(self, net, most: int) -> np.ndarray | None:
        """Team days to choose moved (as in _restricted_best) until a network with them closed
        reaches the relaxed ``most`` WFH days with a schedule that keeps every rule, for
        TEAM_DAY_SHARE of the time left; None if not (or with teams across cap groups). A schedule
        that keeps every rule with fewer is kept as the search's first guess."""
        comp = self.comp
        if net.mixed or not any(t.open_weeks for t in comp.teams):
            return None
        open_days = flow.restrict(comp, net, net.max_flow_grid, team_days={})
        if open_days is None:
            return None
        team_days = flow.team_days_of(comp, net, net.max_flow_grid)
        home = (net.max_flow_grid == 1)
        # a team day on d sends to the office those of the team the relaxed maximum has at home on d
        blocked = {(ti, w): {d: int(home[net.team_rows[ti], d].sum())
                             for d in comp.teams[ti].week_candidates(comp.data, w)} for ti, w in team_days}
        constant = int(open_days.constant_wfh.sum())

        def reach(days):
            closed = open_days.closed_on(days)
            return None if closed is None else (closed.max_flow + constant, closed)

        stop = time.monotonic() + TEAM_DAY_SHARE * max(self.deadline - time.monotonic(), 0)
        (best, closed), _ = _climb(team_days, blocked, reach, reach(team_days) or (-1, None), most, stop)
        if closed is not None and closed.keeps_every_rule(closed.max_flow_grid) and self.allows(closed.max_flow_grid):
            if best == most:
                return closed.max_flow_grid
            self.solution = closed.max_flow_grid     # not proven the most: CP-SAT's first guess
        return None

    def _best_of(self, requests, *grids) -> np.ndarray | None:
        """Of these schedules (None for none), the first that meets the most ``requests``."""
        found = [g for g in grids if g is not None]
        return max(found, key=lambda g: self._preferences_met(g, requests), default=None)

    def _probe(self, constraint, seconds: float, plain_later: bool = False) -> str:
        """Search a copy of the model with one more ``constraint``, for at most ``seconds``; keep
        the schedule found. Returns the status. With ``plain_later``, the last PLAIN_SHARE of the
        time searches without the LP's cuts (linearization level 0): on some parts that finds a
        schedule at a request goal's bound far sooner (measured: 7.8 s against 23 s on one of 300
        employees), on others only the cuts do (2 s against over 5.5 s on one of 60)."""
        probe = self.model.Clone()
        probe.Add(constraint)
        if not plain_later:
            return self.run(model=probe, seconds=seconds)
        t0 = time.monotonic()
        status = self.run(model=probe, seconds=min(seconds * (1 - PLAIN_SHARE), CUTS_MOST))
        if status != "UNKNOWN":
            return status
        level = self.solver.parameters.linearization_level
        self.solver.parameters.linearization_level = 0
        try:
            return self.run(model=probe, seconds=seconds - (time.monotonic() - t0))
        finally:
            self.solver.parameters.linearization_level = level

    def _restricted_best(self, requests, bound: int, moves: bool = True,
                         after: np.ndarray | None = None) -> np.ndarray | None:
        """The schedule that meets ``requests`` best in a network restricted after the current one
        (its team days, its pairs' days, its shares of rooms), if it keeps every rule and every goal
        reached so far; else None. Team days to choose are then moved (see _team_day_moves) while
        that meets more requests, up to ``bound``, for TEAM_DAY_SHARE of the time left: the network
        states every other rule, so a choice of team days costs a max flow and a min-cost flow.
        Without ``moves``, the schedule's team days stay. With ``after``, the network is restricted
        after that schedule instead (re-planning: the previous one)."""
        if self.flow is None or self.solution is None or self.flow.exact:
            return None
        shape = self.solution if after is None else after
        comp, net, n = self.comp, self.flow, len(self.comp.members)
        bounds = self.flow_bounds
        if self.dev is not None and self._limits is not None:
            bounds = self.dev.employee_bounds(self._limits, self.solution, self.local, n)
        wfh_days = int((self.solution == 1).sum())

        # without teams across cap groups, team days are the only cells that change: close them in one
        # network restricted after the schedule (a max flow and a min-cost flow a choice)
        open_days = None if net.mixed else flow.restrict(comp, net, shape, team_days={})
        open_costs = None if open_days is None else self._lex_costs(open_days, [requests])

        def networks(team_days):
            if open_days is None:
                yield from flow.restrictions(comp, net, shape, team_days)
                return
            closed = open_days.closed_on(team_days)
            if closed is not None:
                yield closed

        def best_in(team_days):
            found = None
            for restricted in networks(team_days):
                if restricted.max_flow + int(restricted.constant_wfh.sum()) != wfh_days:
                    continue
                costs = open_costs if open_days is not None else self._lex_costs(restricted, [requests])
                grid = restricted.cheapest(costs, *bounds)
                if grid is not None and restricted.keeps_every_rule(grid):
                    met = self._preferences_met(grid, requests)
                    if found is None or met > found[0]:
                        found = (met, grid)
            return found

        team_days = flow.team_days_of(comp, net, shape)
        best = best_in(team_days)
        if best is None:
            return None
        if moves:
            stop = time.monotonic() + TEAM_DAY_SHARE * max(self.deadline - time.monotonic(), 0)
            best, team_days = _climb(team_days, self._blocked(requests, team_days), best_in, best, bound, stop)
        return best[1] if self.allows(best[1]) else None

    def _blocked(self, requests, team_days: dict) -> dict:
        """Per (team, open week) and candidate day: the weight of WFH requests its members made for
        that day, which a team day there would leave unmet."""
        on_day: dict[tuple[int, int], int] = {}
        for e, d, mode, weight in requests:
            if mode == WFH:
                on_day[(self.local[e], d)] = on_day.get((self.local[e], d), 0) + weight
        out = {}
        for (ti, w) in team_days:
            rows = self.flow.team_rows[ti]
            out[(ti, w)] = {d: sum(on_day.get((int(r), d), 0) for r in rows)
                            for d in self.comp.teams[ti].week_candidates(self.comp.data, w)}
        return out

    def _lex_costs(self, net, goals: list) -> np.ndarray:
        """One cost per network cell that ranks schedules by the goals in order (earlier ones dominate)."""
        total = np.zeros(len(net.cell_index), dtype=np.int64)
        for requests in goals:
            costs = self._preference_costs(net, requests)
            total = total * (int(np.abs(costs).sum()) + 1) + costs
        return total

    def _preference_costs(self, net, requests) -> np.ndarray:
        """Per free cell of the network: − weight of a WFH request met, + weight of a WFO one lost."""
        rows, days, modes, weights = self._request_arrays(requests)
        position = np.full((len(self.comp.members), len(self.comp.data.days)), -1, dtype=np.int64)
        position[net.cell_index[:, 0], net.cell_index[:, 1]] = np.arange(len(net.cell_index))
        k = position[rows, days]
        on = k >= 0
        costs = np.zeros(len(net.cell_index), dtype=np.int64)
        np.add.at(costs, k[on], np.where(modes[on] == WFH, -weights[on], weights[on]))
        return costs

    def _preferences_met(self, grid: np.ndarray, requests) -> int:
        rows, days, modes, weights = self._request_arrays(requests)
        return int(weights[grid[rows, days] == modes].sum())

    def _request_arrays(self, requests) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Requests ``(employee, day, mode, weight)`` as arrays (local rows, days, modes, weights), kept per list."""
        kept = self._arrays.get(id(requests))
        if kept is None or kept[0] is not requests:
            table = np.array([(self.local[e], d, m, w) for e, d, m, w in requests], dtype=np.int64).reshape(-1, 4)
            kept = self._arrays[id(requests)] = (requests, tuple(table.T))
        return kept[1]

    def _maximize(self, goal: str, known: int | None) -> tuple[str, GoalOutcome | None]:
        if known is not None:
            self._known.append((goal, known))
            if self._model is not None:
                self._hold(goal, known)
            return "OPTIMAL", GoalOutcome(known, known, True)
        if _requests(self.comp, goal) == []:      # no request to meet (and no need of the model to say so)
            return "OPTIMAL", GoalOutcome(0, 0, True)
        variables, weights, constant = goal_expression(goal, self.comp, self.cells)
        expr = cp_model.LinearExpr.WeightedSum(variables, weights) if variables else 0
        if not variables:
            return "OPTIMAL", GoalOutcome(constant, constant, True)
        self.model.Maximize(expr)
        callback = _Progress(self.report, goal, constant, goal_scale(goal, self.comp.data)) if self.report else None
        status = self.run(callback)
        self.model.ClearObjective()
        if status in ("OPTIMAL", "FEASIBLE"):
            value = int(round(self.solver.ObjectiveValue()))
            bound = min(int(math.floor(self.solver.BestObjectiveBound() + 1e-6)) + constant,
                        self.bounds.get(goal, 2**62))
            self._known.append((goal, value + constant))
            self.model.Add(expr >= value)
            return status, GoalOutcome(value + constant, bound, status == "OPTIMAL" or value + constant >= bound)
        requests = _requests(self.comp, goal)
        if status == "UNKNOWN" and self.solution is not None and requests:
            # out of time with a schedule that keeps every goal so far: its value, held, and no bound
            value = self._preferences_met(self.solution, requests)
            self._known.append((goal, value))
            self.model.Add(expr >= value - constant)
            bound = self.bounds.get(goal)
            return "FEASIBLE", GoalOutcome(value, bound, bound is not None and value >= bound)
        return status, None

    def feasible(self) -> str:
        if self.solution is not None:
            return "FEASIBLE"
        return self.run()

    def fallback(self) -> np.ndarray | None:
        """Out of time or stopped before any search found a schedule: one that keeps every rule, if
        one is at hand (not optimal). Re-planning: the previous schedule, when the changed instance
        still allows it (a new leave day may leave too few present under a cap). Else a max flow of
        a restricted network (re-planning: the one that keeps most days), its runs of WFH cut to
        rule 6's length, if it keeps every rule."""
        if self.previous is not None and self.allows(self.previous):
            return self.previous
        net = self.flow if self.flow is not None else flow.build(self.comp)
        if net is None:
            return None
        for restricted in flow.restrictions(self.comp, net, net.max_flow_grid):
            candidates = [restricted.max_flow_grid]
            if self.comp.keep:
                candidates.insert(0, restricted.cheapest(self._lex_costs(restricted, [self.comp.keep]),
                                                         *self.flow_bounds))
            for grid in candidates:
                if grid is None:
                    continue
                if restricted.keeps_every_rule(grid):
                    return grid
                if self.comp.data.max_consecutive_wfh is not None:
                    grid = _cut_runs(grid, self.comp.data.forced[self.comp.members],
                                     self.comp.data.max_consecutive_wfh)
                    if self.allows(grid):
                        return grid
        return None

    def allows(self, grid: np.ndarray) -> bool:
        """Does this schedule of the part keep every rule of the model? (A copy of the model with
        every cell fixed to it: the presolve decides at once.)"""
        return self._values_of(grid) is not None

    def _values_of(self, grid: np.ndarray) -> np.ndarray | None:
        """The values of every variable of the model (in its order) with the cells at this schedule,
        the others completed by CP-SAT; None when the model does not allow the schedule."""
        cells = self.cells
        if not ((cells.fixed == grid) | ((cells.fixed == 2) & (grid >= 0))).all():   # fixed cells and leave days
            return None
        model = self.model.clone()
        model.ClearObjective()
        cells.hint(model, grid)
        solver = cp_model.CpSolver()
        solver.parameters.fix_variables_to_their_hinted_value = True
        solver.parameters.num_workers = 1
        solver.parameters.max_time_in_seconds = 10.0
        if _status(solver.Solve(model)) not in ("OPTIMAL", "FEASIBLE"):
            return None
        return np.asarray(solver.ResponseProto().solution, dtype=np.int64)

    def minimize_deviation(self, cap: Fraction | None, goals_before: tuple[str, ...]) -> tuple[str, GoalOutcome | None]:
        """Goal `fairness`: the least max deviation, by probing candidate values.

        With ``cap`` (the max deviation already reached by another component), just
        keep every group within it: that is what lexicographic optimality asks here.
        """
        fair = self.dev
        if fair is None or not fair.groups:
            return "OPTIMAL", GoalOutcome(Fraction(0), Fraction(0), True)
        if cap is not None:
            self._limit(fair.limits_at_most(cap))
            net, local, n = self.flow, self.local, len(self.comp.members)
            if self.flow_state is not None and net.totals_fixed:
                self.flow_bounds = fair.employee_bounds(fair.limits_at_most(cap), net.max_flow_grid, local, n)
                grid = net.within(*self.flow_bounds)
                if grid is not None and self.flow_state == "exact":
                    self.solution = grid
                    value = fair.deviation(grid, local)
                    return "OPTIMAL", GoalOutcome(value, value, True)
                if grid is not None:
                    restricted, candidate = self._restriction(grid)
                    if restricted is not None and restricted.keeps_every_rule(candidate):
                        self.restricted = restricted
                        self.solution = candidate
                        value = fair.deviation(candidate, local)
                        return "OPTIMAL", GoalOutcome(value, value, True)
            else:
                self.flow_state = None
            status = self._check_by_mip() or self.run()
            if status not in ("OPTIMAL", "FEASIBLE"):
                return status, None
            value = fair.deviation(self.solution, self.local)
            return "OPTIMAL", GoalOutcome(value, value, True)
        local = self.local
        n = len(self.comp.members)
        lower = None
        net = self.flow
        if self.cost_goals and self.flow_state == "exact":
            self.flow_state = "relaxed"     # the network's max flows do not all keep the goals met by costs
        if self.flow_state is not None and not net.totals_fixed:
            self.flow_state = None      # fairness is then CP-SAT's alone, and the network no longer follows
        if SHARES_FIRST and self._shared_rooms(goals_before) is not None:
            return self._fair_by_shares(fair, guess=None)
        if self.flow_state is not None:
            self._fix_totals(net.max_flow_grid)
            # the network's optimum: exact when it holds every rule so far, else a proven lower bound
            def probe_flow(limits):
                grid = net.within(*fair.employee_bounds(limits, net.max_flow_grid, local, n))
                return ("FEASIBLE", grid) if grid is not None else ("INFEASIBLE", None)

            start = net.max_flow_grid
            z, grid, bound, proven = least_deviation(fair, start, local, probe_flow, guess=fair.guess(start, local))
            if proven:
                within = fair.limits_at_most(self._within(z))
                self.flow_bounds = fair.employee_bounds(within, net.max_flow_grid, local, n)
                self._limit(within)
                if self.flow_state == "exact":
                    self.solution = grid
                    return "OPTIMAL", GoalOutcome(z, z, True)
                # a restriction of the network that keeps every rule may reach the bound: then it is optimal
                restricted, candidate = self._restriction(grid) if not self.cost_goals else (None, None)
                if candidate is not None:
                    grid = candidate
                    if restricted.keeps_every_rule(candidate):
                        self.restricted = restricted
                        self.solution = candidate
                        value = fair.deviation(candidate, local)    # above z only within a target
                        return "OPTIMAL", GoalOutcome(value, z, value == z)
                if self._shared_rooms(goals_before) is not None:
                    return self._fair_by_shares(fair, guess=z, least=z)
                # restricted networks shaped after schedules that keep every rule may come within it
                if self.solution is None and self.start is not None:
                    self.solution = self.start
                self._fairer_start(fair, goals_before)
                if self.solution is not None and fair.deviation(self.solution, local) <= self._within(z):
                    value = fair.deviation(self.solution, local)
                    return "OPTIMAL", GoalOutcome(value, z, value == z)
                status = self._check_by_mip() or self.run_hinted(grid)
                if status in ("OPTIMAL", "FEASIBLE"):
                    value = fair.deviation(self.solution, local)   # above z only within a target
                    return "OPTIMAL", GoalOutcome(value, z, value == z)
                if status != "INFEASIBLE":       # out of time: keep the best we have (see above), with the bound
                    value = fair.deviation(self.solution, local)
                    self._limit(fair.limits_at_most(value))
                    self.flow_bounds = fair.employee_bounds(fair.limits_at_most(value), net.max_flow_grid, local, n)
                    return "FEASIBLE", GoalOutcome(value, z, False)
                lower = z
                self.flow_bounds = (np.zeros(n, dtype=np.int64), np.full(n, 10**9, dtype=np.int64))
        if lower is None and self._shared_rooms(goals_before) is not None:
            return self._fair_by_shares(fair, guess=None)
        status = self.feasible()
        if status not in ("OPTIMAL", "FEASIBLE"):
            return status, None
        self._fairer_start(fair, goals_before)

        def probe_model(limits):
            self._limit(limits)
            status = self._check_by_mip() or self.run()
            return status, (self.solution if status in ("OPTIMAL", "FEASIBLE") else None)

        guess = None if lower is not None else fair.guess(self.solution, local)
        step = self._fairness_step()
        best, grid, bound, proven = least_deviation(fair, self.solution, local, probe_model, guess=guess, lower=lower,
                                                    on_step=step, target=self.target)
        self.solution = grid
        self._limit(fair.limits_at_most(self._within(best)))
        if self.flow_state is not None:
            self.flow_bounds = fair.employee_bounds(fair.limits_at_most(self._within(best)), net.max_flow_grid,
                                                    local, n)
        return ("OPTIMAL" if proven else "FEASIBLE"), GoalOutcome(best, bound, proven)

    def _within(self, best: Fraction) -> Fraction:
        """The deviation later goals keep within: the one found, or the target when it is larger
        (another part's deviation, which the whole schedule has anyway)."""
        return best if self.target is None else max(best, self.target)

    def _fairness_step(self):
        """least_deviation's ``on_step`` for live progress (None when nobody listens)."""
        if self.report is None:
            return None
        return lambda best, low: self.report("fairness", float(best), float(low or 0))

    def _wfh_flow(self) -> int | None:
        """Goal `wfh`'s value held so far, less the fixed WFH days: what a network's flow must carry."""
        wfh = [v for g, v in self._known if g == "wfh"]
        return wfh[0] - int(self.flow.constant_wfh.sum()) if wfh else None

    def _shared_rooms(self, goals_before: tuple[str, ...]):
        """The exact search over shared-out team rooms (:mod:`solver.shares`), when it applies: the part
        breaks the network only by teams across cap groups, and goal `wfh` alone comes first, proven."""
        if self._shares is None:
            self._shares = False
            if goals_before == ("wfh",) and self.proven.get("wfh") and self._wfh_flow() is not None \
                    and shares.applies(self.flow):
                grid = self.solution if self.solution is not None else self.flow.max_flow_grid
                found = shares.SharedRooms(self.comp, self.flow, grid, self._wfh_flow(), self.dev.groups,
                                           seed=self.seed)
                self._shares = found if found.ok else False
        return self._shares or None

    def _fair_by_shares(self, fair, guess: Fraction | None,
                        least: Fraction | None = None) -> tuple[str, GoalOutcome | None]:
        """Goal `fairness` by :mod:`solver.shares`' checks; ``least``: the network's proven least
        deviation, if known.

        With ``least`` or a target, the master of the first check (at ``least``, or at the target)
        can go on adding cuts for long where a search on the model of every rule finds a schedule at
        once (measured on generated 60,000's part of 40: no answer from the master in 20 s, CP-SAT's
        in 0.4 s; on its part of 123 at the target, none from the master in 2 s, HiGHS' in 0.9 s). So
        that check gets ``STALL_SHARE`` of the time left, then HiGHS' MIP half of the rest, then
        CP-SAT half of the rest, then the master. (Without either, on the same instance's 215 such
        parts at 3 s each, CP-SAT's turns cost more than they found: one part's deviation went from
        0.70 to 10.62.)
        """
        rooms = self._shares
        local = self.local
        self._fairer_start(fair, ("wfh",))     # a fair start from restricted networks: cheap, and kept if time runs out
        start = self.solution
        if start is None:
            status, start = rooms.check(fair.limits_at_most(Fraction(10**9)), self.deadline)
            if start is None:
                return status, None
        first = [least is not None or self.target is not None]

        def probe(limits):
            if first[0]:
                first[0] = False
                slice_ = STALL_SHARE * max(self.deadline - time.monotonic(), 0)
                status, grid = rooms.check(limits, time.monotonic() + slice_)
                if status != "UNKNOWN" or _STOP.is_set():
                    return status, grid
                self._limit(limits)
                status = self._check_by_mip()
                if status == "INFEASIBLE":
                    return status, None
                if status == "FEASIBLE":
                    return status, self.solution
                status = self.run(seconds=0.5 * max(self.deadline - time.monotonic(), 0))
                if status in ("OPTIMAL", "FEASIBLE"):
                    return "FEASIBLE", self.solution
                if status == "INFEASIBLE":
                    return status, None
            return rooms.check(limits, self.deadline)

        if guess is None:
            guess = fair.guess(start, local)
        step = self._fairness_step()
        best, grid, bound, proven = least_deviation(fair, start, local, probe, guess=guess, on_step=step,
                                                    target=self.target, least=least)
        self.solution = grid
        self.flow_state = None           # later goals are CP-SAT's, within the fairness found
        self._limit(fair.limits_at_most(self._within(best)))
        return ("OPTIMAL" if proven else "FEASIBLE"), GoalOutcome(best, bound, proven)

    def _may_share(self) -> bool:
        """Goal `preferences` by :mod:`solver.shares` after a fairness proven some other way: for parts
        the network relaxes only by teams across cap groups and by pairs."""
        return (self.flow is not None and not self.flow.exact and bool(self.comp.pairs) and self.dev is not None
                and self.solution is not None and self.proven.get("wfh", False) and self._wfh_flow() is not None
                and self.proven.get("fairness", False))

    def _best_by_shares(self, goal: str, requests, share: float) -> tuple[str, GoalOutcome] | None:
        """Goal `preferences` right after a fairness found by :mod:`solver.shares`: the same search,
        with the requesting employees kept day by day in its master, for ``share`` of the time left
        (SHARES_MOST seconds at most)."""
        objective = list(self.comp.data.objective)
        if objective[:objective.index(goal)] != ["wfh", "fairness"] or self._limits is None:
            return None
        rooms = shares.SharedRooms(self.comp, self.flow, self.solution, self._wfh_flow(), self.dev.groups,
                                   seed=self.seed, requests=requests, pairs=True)
        if not rooms.ok:
            return None
        now = time.monotonic()
        status, grid, bound = rooms.best(self._limits, now + min(share * max(self.deadline - now, 0), SHARES_MOST))
        if grid is None:
            return None
        free = {(int(i), int(d)) for i, d in rooms.net.cell_index}
        fixed = sum(w for e, d, mode, w in requests
                    if (self.local[e], d) not in free and grid[self.local[e], d] == mode)
        value = self._preferences_met(grid, requests)
        self.solution = grid
        if status == "OPTIMAL":
            return self._maximize(goal, value)
        self._known.append((goal, value))
        if self._model is not None:
            self._hold(goal, value)
        return "FEASIBLE", GoalOutcome(value, max(value, bound + fixed), False)

    def _fairer_start(self, fair, goals_before: tuple[str, ...]) -> None:
        """Start the fairness search from the fairest schedule of a restricted network (one that keeps
        every rule), when it is fairer than the current schedule."""
        net = self.flow
        # (the relaxed network's group totals may vary when teams span cap groups; a restricted
        # network shares such a team's room out per group, so its totals are fixed: checked below)
        if net is None or goals_before != ("wfh",) or self.solution is None:
            return
        local = self.local
        wfh_days = int((self.solution == 1).sum())
        # shaped after the current schedule, the restriction holds it, so it reaches the same WFH days
        best = fair.deviation(self.solution, local)
        shapes = [(net.max_flow_grid, "proportional"), (net.max_flow_grid, "daily")]
        for _ in range(12):                   # re-shaped after each better schedule while it improves
            shapes.insert(0, (self.solution, "proportional"))
            before = best
            best = self._fairer_within(fair, shapes, wfh_days, best)
            shapes = []
            if best >= before:
                break

    def _fairer_within(self, fair, shapes, wfh_days: int, best: Fraction) -> Fraction:
        net, local, n = self.flow, self.local, len(self.comp.members)
        for shape, share_out in shapes:
            restricted = flow.restrict(self.comp, net, shape, share_out)
            if restricted is None or not restricted.checkable or not restricted.totals_fixed \
                    or restricted.max_flow + int(restricted.constant_wfh.sum()) < wfh_days:
                continue

            def probe(limits):
                grid = restricted.within(*fair.employee_bounds(limits, restricted.max_flow_grid, local, n))
                return ("FEASIBLE", grid) if grid is not None else ("INFEASIBLE", None)

            start = restricted.max_flow_grid
            z, grid, _, _ = least_deviation(fair, start, local, probe, guess=fair.guess(start, local))
            more = int((grid == 1).sum()) - int((self.solution == 1).sum())
            # better lexicographically: more WFH days (when `wfh` is not proven yet), else fairer
            if restricted.keeps_every_rule(grid) and (more > 0 or (more == 0 and z < best)):
                self.solution, best = grid, z
        return best

    def _restriction(self, grid: np.ndarray):
        """A network that keeps every rule and a schedule in it within the current bounds, if found."""
        for restricted in flow.restrictions(self.comp, self.flow, grid):
            if restricted.max_flow == self.flow.max_flow:
                candidate = restricted.within(*self.flow_bounds)
                if candidate is not None:
                    return restricted, candidate
        return None, None

    def run_hinted(self, grid: np.ndarray) -> str:
        saved = self.solution
        self.solution = grid
        status = self.run()
        if status not in ("OPTIMAL", "FEASIBLE"):
            self.solution = saved
        return status


def _climb(team_days: dict, blocked: dict, evaluate, best: tuple, bound: int, stop: float) -> tuple[tuple, dict]:
    """Move team days (``_team_day_moves``) while a move scores higher, up to ``bound`` or the time
    ``stop``: ``evaluate(team_days)`` gives (score, what it found) or None; ``best`` is that of
    ``team_days``. Returns the best (score, found) and its team days."""
    moved, at = True, 0
    while moved and best[0] < bound:
        moved = False
        for where, trial in _team_day_moves(team_days, blocked, at):
            if time.monotonic() >= stop:
                return best, team_days
            found = evaluate(trial)
            if found is not None and found[0] > best[0]:
                best, team_days, moved, at = found, trial, True, where
                break
    return best, team_days


def _team_day_moves(team_days: dict, blocked: dict, at: int = 0):
    """The team-day choices next to ``team_days``, each with the place of the (team, week) it
    changes: one team's day moved to another of its week's candidates (off the days that block the
    most requests first, onto those that block the fewest), then two teams of one week swapping
    days (which leaves each day's room as it was). Both start at place ``at`` (where the last move
    was made) and go round."""
    keys = sorted(team_days)
    order = keys[at:] + keys[:at]
    for key in order:
        days = team_days[key]
        for day in sorted(days, key=lambda d: (-blocked[key][d], d)):
            for other in sorted(blocked[key], key=lambda d: (blocked[key][d], d)):
                if other not in days:
                    yield keys.index(key), {**team_days, key: sorted(set(days) - {day} | {other})}
    for a in order:
        for b in keys[keys.index(a) + 1:]:
            if a[1] != b[1]:
                continue
            for day_a in team_days[a]:
                for day_b in team_days[b]:
                    if (day_a != day_b and day_b in blocked[a] and day_a in blocked[b]
                            and day_b not in team_days[a] and day_a not in team_days[b]):
                        yield keys.index(a), {**team_days, a: sorted(set(team_days[a]) - {day_a} | {day_b}),
                                              b: sorted(set(team_days[b]) - {day_b} | {day_a})}


def least_deviation(dev, start: np.ndarray, local: dict[int, int], probe, guess: Fraction | None = None,
                    lower: Fraction | None = None, on_step=None, target: Fraction | None = None,
                    least: Fraction | None = None):
    """Search the least max deviation over candidate values (SPEC §3 `fairness`).

    ``probe(limits)`` answers "is there a schedule with every group's M_g ≤ limit?" with
    (status, grid). ``lower``, if given, is proven: no schedule has deviation ≤ lower.
    ``least``, if given, is proven too: no schedule has deviation below it.
    ``on_step(best, lower)``, if given, hears of each probe's outcome (live progress).
    ``target``, if given, is good enough: the search probes it first and stops once within it.
    Returns (best deviation, its grid, proven lower bound, proven).
    """
    best = dev.deviation(start, local)
    best_grid = start
    probe_at = guess if target is None or target >= best else target

    def bound():
        return max(b for b in (lower, least, Fraction(0)) if b is not None)

    while True:
        if target is not None and best <= target:
            return best, best_grid, bound(), bound() >= best
        if least is not None and best <= least:
            return best, best_grid, best, True
        below = dev.limits_below(best)
        if min(below, default=-1) < 0:          # nothing is below a deviation of 0
            return best, best_grid, best, True
        if lower is not None and all(lo >= b for lo, b in zip(dev.limits_at_most(lower), below)):
            return best, best_grid, best, True
        floor_limits = dev.limits_at_most(lower) if lower is not None else None
        if probe_at is not None and probe_at < best and dev.limits_at_most(probe_at) != floor_limits:
            limits, z = dev.limits_at_most(probe_at), probe_at
        else:
            limits, z = below, None
        status, grid = probe(limits)
        if status in ("OPTIMAL", "FEASIBLE"):
            best, best_grid = dev.deviation(grid, local), grid
            probe_at = (lower + best) / 2 if lower is not None else None
        elif status == "INFEASIBLE":
            if z is None:
                return best, best_grid, best, True
            lower = z
            probe_at = (lower + best) / 2
        else:
            return best, best_grid, bound(), False
        if on_step is not None:
            on_step(best, lower)


def solve_component(comp: ComponentData, settings: Settings, deadline: tuple[float, float],
                    fairness_cap: Fraction | None = None, known: dict | None = None,
                    start: np.ndarray | None = None, target: Fraction | None = None,
                    report: Callable[[str, float, float], None] | None = None) -> ComponentOutcome:
    """Solve one component lexicographically over the instance's goals.

    ``deadline`` is (seconds this component may take, the run's wall-clock deadline);
    ``start``, a schedule of the part that keeps every rule (an earlier run's), is the searches'
    first guess; ``target``, a deviation the whole schedule has anyway (other parts'), is good
    enough for goal fairness, and later goals are optimized within it; ``report(goal, value,
    bound)``, if given, hears of the search's progress.
    """
    t0 = time.perf_counter()
    deadline = min(time.monotonic() + deadline[0], deadline[1])
    search = _Search(comp, settings, deadline)
    search.report = report
    search.start = start
    search.target = target
    if known and start is not None:
        search.solution = start      # it keeps every rule and the goals' known values
    outcome = ComponentOutcome("OPTIMAL", build_seconds=search.build_seconds)
    known = known or {}
    for goal in comp.data.objective:
        if goal == "fairness":
            before = comp.data.objective
            status, result = search.minimize_deviation(fairness_cap, tuple(before[:before.index("fairness")]))
        else:
            status, result = search.maximize(goal, known.get(goal))
        if result is None:
            outcome.status = "INFEASIBLE" if status == "INFEASIBLE" else ("FEASIBLE" if search.solution is not None else "UNKNOWN")
            break
        outcome.goals[goal] = result
        search.proven[goal] = bool(result.proven)
        if goal == "fairness" and target is not None and result.value <= target:
            outcome.capped = target
        if report is not None:
            scale = 1 if goal == "fairness" else goal_scale(goal, comp.data)
            report(goal, float(Fraction(result.value) / scale),
                   None if result.bound is None else float(Fraction(result.bound) / scale))
        if status != "OPTIMAL":
            outcome.status = "FEASIBLE"
    if outcome.status != "INFEASIBLE" and search.solution is None:
        status = search.feasible()
        if status == "INFEASIBLE":
            outcome.status = "INFEASIBLE"
        elif search.solution is None:
            outcome.status = "UNKNOWN"
    if outcome.status not in ("INFEASIBLE", "UNKNOWN") and len(outcome.goals) < len(comp.data.objective):
        outcome.status = "FEASIBLE"
    if outcome.status == "UNKNOWN" and search.solution is None:
        search.solution = search.fallback()
        if search.solution is not None:
            outcome.status = "FEASIBLE"
            outcome.goals = {}               # it reaches none of the goals' values found so far
    outcome.grid = search.solution if outcome.status != "INFEASIBLE" else None
    outcome.build_seconds = search.build_seconds
    outcome.seconds = time.perf_counter() - t0
    return outcome


# ------------------------------------------------------------------------------ running components
_SHARED: dict = {}


def _worker_signals() -> None:
    """Component processes: Ctrl-C reaches them through the shared stop flag; SIGTERM (the pool's
    own way to end them) ends them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _dynamic_share(deadline: tuple, not_started: int, workers: int) -> tuple[float, float]:
    """A job whose budget is ``None`` gets, when it starts, its part of the time left: the not-started
    jobs and the other running ones share the workers until the deadline."""
    share, end = deadline
    if share is not None:
        return deadline
    return (end - time.monotonic()) * workers / max(1, not_started + workers - 1), end


def _run_shared(args) -> ComponentOutcome:
    i, deadline, cap, known, start, target = args
    left = _SHARED.get("left")
    if left is not None and deadline[0] is None:
        with left.get_lock():
            n = left.value
            left.value -= 1
        deadline = _dynamic_share(deadline, n, _SHARED["workers"])
    events = _SHARED.get("events")
    report = (lambda goal, value, bound: events.put((i, goal, value, bound))) if events is not None else None
    return solve_component(_SHARED["comps"][i], _SHARED["settings"], deadline, cap, known, start, target, report)


def _run_all(comps: list[ComponentData], jobs: list[tuple], settings: Settings,
             on_done: Callable[[int, ComponentOutcome], None] | None = None,
             on_event: Callable[[int, str, float, float], None] | None = None,
             later: set[int] = frozenset()) -> dict[int, ComponentOutcome]:
    """Solve the listed components (``(index, deadline, cap, known, start, target)``), in processes when asked.

    With budgets set as each job starts, the components in ``later`` (expected to be slow) start
    after the others, so that the quick ones do not count against their share.

    ``on_event(index, goal, value, bound)`` hears of each part's progress as it happens (from the
    component processes through a queue); the Dask path reports only finished parts.
    """
    results: dict[int, ComponentOutcome] = {}
    workers = max(1, min(settings.workers, len(jobs)))
    if settings.scheduler and jobs:
        from .distributed import run_on_dask

        even = [(j[0], (_dynamic_share(j[1], len(jobs) - workers + 1, workers)), *j[2:]) for j in jobs]
        return run_on_dask(settings.scheduler, comps, even, settings, on_done)
    # with budgets set as each job starts (None), smallest first, so that what the quick ones leave
    # goes to the big ones, except that the slow ones (``later``) go biggest first among themselves (they
    # share what is left, and the longest should not start last: measured on generated 60,000's second
    # pass, 4 parts of 1.4-3.1 s); with fixed budgets in processes, biggest first, so the long ones do
    # not start last; one after another, as listed
    dynamic = any(j[1][0] is None for j in jobs)

    def size(j):
        n = len(comps[j[0]].members)
        return (j[0] in later, -n if j[0] in later else n, j[0])
    if workers == 1 or "fork" not in multiprocessing.get_all_start_methods():
        if dynamic:
            jobs = sorted(jobs, key=size)
        for k, job in enumerate(jobs):
            report = (lambda i: lambda goal, value, bound: on_event(i, goal, value, bound))(job[0]) if on_event else None
            budget = _dynamic_share(job[1], len(jobs) - k, 1)
            results[job[0]] = solve_component(comps[job[0]], settings, budget, *job[2:], report=report)
            if on_done:
                on_done(job[0], results[job[0]])
        return results
    context = multiprocessing.get_context("fork")
    _SHARED["comps"], _SHARED["settings"] = comps, settings
    _SHARED["left"], _SHARED["workers"] = context.Value("i", len(jobs)), workers
    events = _SHARED["events"] = context.SimpleQueue() if on_event else None
    reader = None
    if events is not None:
        def read():
            while (item := events.get()) is not None:
                on_event(*item)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
    order = sorted(jobs, key=size) if dynamic else sorted(jobs, key=lambda j: (-len(comps[j[0]].members), j[0]))
    try:
        with context.Pool(workers, initializer=_worker_signals) as pool:
            for job, outcome in zip(order, pool.imap(_run_shared, order)):
                results[job[0]] = outcome
                if on_done:
                    on_done(job[0], outcome)
    finally:
        if reader is not None:
            events.put(None)
            reader.join(timeout=5)
        _SHARED.clear()
    return results


# ------------------------------------------------------------------------------ the public entry
def solve(instance: Instance, time_limit: float = 60.0, workers: int | None = None, seed: int = 0,
          log: bool = False, progress: Callable[[dict], None] | None = None, check: bool = True,
          scheduler: str | None = None, previous: pd.DataFrame | None = None, replan_from=None,
          stability: str = "last", checkpoint: str | Path | None = None, resume: bool = False,
          relax: tuple[str, ...] = (), reuse: dict | None = None) -> Result:
    """Solve an instance to lexicographic optimality (SPEC §3).

    Parameters
    ----------
    instance
        The validated instance.
    time_limit
        Wall-clock seconds for the whole search.
    workers
        Processes solving components in parallel (default: the machine's cores). The
        schedule does not depend on it.
    seed
        CP-SAT's random seed; the same instance and seed give the same schedule.
    log
        Show CP-SAT's search log.
    progress
        Called with ``{"done": k, "total": n, "elapsed": s}`` as components finish, and with
        ``{"part": i, "goal": g, "value": v, "bound": b, "done": k, "total": n, "elapsed": s}``
        as part i's search finds a better schedule or a tighter bound for goal g (values in the
        goal's own units; CP-SAT's solution callback and each fairness probe report them).
    check
        Re-check the schedule with the independent checker (refuses a broken one).
    scheduler
        Address of a Dask distributed scheduler (``tcp://host:port``): the components are
        solved on its workers instead of local processes.
    previous, replan_from, stability
        Re-planning: keep every day before ``replan_from`` as ``previous`` (a schedule
        ``nip, date, mode``) has it, and change as few later employee-days as possible,
        after the instance's goals (``stability="last"``) or before them (``"first"``).
    checkpoint, resume
        A folder where each finished component is kept as it completes; with ``resume``,
        components found there are not solved again (a run cut short picks up where it was).
    reuse
        A dict the caller keeps between solves (what-if variants): each part proven OPTIMAL
        is kept in it under its content (:func:`solver.data.fingerprint`), seed and goals,
        and a later solve takes such a part from it instead of solving it again. So are, under
        the fairness floors they ran within as well, a first pass's run of a part that is not
        plain (its bound is proven; its schedule is where the second pass starts) and a second
        pass's run that settled the part (every goal proven within the floor). Their goal values
        do not depend on the time they were given; a schedule among equally good ones may.
        ``details["reused"]`` counts the parts taken from it. Not used with ``relax``.

    Ctrl-C (SIGINT) or SIGTERM stops the search: each part keeps its best schedule so far
    and the result is FEASIBLE (or UNKNOWN when some part has none yet).

    ``details["part_seconds"]`` sums the seconds of every part's search (over processes, so it
    can exceed the wall time): the work done, which reused parts do not add to.

    With ``relax`` (rule families: coverage, requests, weekly, consecutive, desks,
    teamdays, pairs) the closest schedule instead, status RELAXED: see :mod:`solver.relax`.
    """
    if relax:
        from .relax import solve_relaxed

        return solve_relaxed(instance, relax, time_limit=time_limit, workers=workers, seed=seed)
    _STOP.clear()
    handlers = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            handlers[sig] = signal.signal(sig, lambda *_: _STOP.set())
    try:
        return _solve(instance, time_limit, workers, seed, log, progress, check, scheduler, previous,
                      replan_from, stability, checkpoint, resume, reuse)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def _solve(instance, time_limit, workers, seed, log, progress, check, scheduler, previous, replan_from,
           stability, checkpoint, resume, reuse) -> Result:
    from .check import check as check_roster
    from .data import fingerprint

    t_start = time.monotonic()
    # leave time to merge, check and return the schedule within the limit
    deadline = t_start + max(0.5 * time_limit, 0.93 * time_limit - 0.5)
    settings = Settings(time_limit, workers or os.cpu_count() or 1, seed, log, scheduler)
    t0 = time.perf_counter()
    data = compile_instance(instance, previous, replan_from, stability)
    build_seconds = time.perf_counter() - t0
    details: dict = {}
    if data.conflicts:
        return Result("INFEASIBLE", None, solve_seconds=time.monotonic() - t_start, build_seconds=build_seconds,
                      infeasibility=[c.as_dict() for c in data.conflicts])

    objective = data.objective
    stated = data                       # the caps as the instance states them, for explanations
    details["part_seconds"] = 0.0       # the parts' searches, summed (a measure of the work, not the wall)

    def run_all(*args, **kwargs):
        outcomes = _run_all(*args, **kwargs)
        details["part_seconds"] += sum(o.seconds for o in outcomes.values())
        return outcomes

    data = without_idle_caps(data)
    links: list[np.ndarray] = []
    cache: dict[bytes, ComponentOutcome] = {}
    reused: set[bytes] = set()
    while True:
        parts = components(data, link_offices=False, extra_links=links)
        comps = split(data, parts)
        keys = [p.tobytes() for p in parts]
        store = _Checkpoint(checkpoint, instance, data, seed) if checkpoint else None
        if store and resume:
            for k in keys:
                if k not in cache and (kept := store.load(k)) is not None:
                    cache[k] = kept
        # parts proven by an earlier solve with the same content (what-if variants) are not solved again
        content = {k: (fingerprint(c), seed, objective) for k, c in zip(keys, comps)
                   if reuse is not None and k not in cache}
        for k, shared in content.items():
            if (kept := reuse.get(shared)) is not None:
                cache[k] = _taken(kept)
                reused.add(k)
        if reuse is not None:
            details["reused"] = sum(k in reused for k in keys)
        todo = [i for i, k in enumerate(keys) if k not in cache]
        done_count = [len(parts) - len(todo)]

        early = [None]      # the first pass's floor for the parts that are not plain (below)

        def on_done(i, outcome):
            if store and outcome.status == "OPTIMAL" and outcome.capped is None:
                store.save(keys[i], outcome)
            elif store and _kept_within(outcome, early[0], objective):
                store.save(keys[i] + _floor_tag(early[0]), outcome)
            done_count[0] += 1
            if progress:
                progress({"done": done_count[0], "total": len(parts), "elapsed": time.monotonic() - t_start})

        def on_event(i, goal, value, bound):
            progress({"part": i + 1, "goal": goal, "value": value, "bound": bound, "done": done_count[0],
                      "total": len(parts), "elapsed": time.monotonic() - t_start})

        on_event = on_event if progress else None

        # an office whose members are in several parts links them only once its desks are broken (below),
        # and then the linked parts run again: the first round leaves them OFFICE_RESERVE of the time
        end = deadline
        if not links and _offices_span(data, parts):
            end = deadline - OFFICE_RESERVE * (deadline - time.monotonic())
        # first every component with a fair share of the time, then the unproven ones with what is left
        share = max(FIRST_PASS_LEAST, (end - time.monotonic()) * settings.workers / max(1, len(todo)) / 2)
        # parts whose rules the network states (the quick ones) go first; the largest of their fairness
        # bounds is then a floor the others need only come within (known before they start, so runs
        # stay reproducible)
        plain = {i for i, c in enumerate(comps) if "fairness" not in objective or _plain(c)}
        first = run_all(comps, [(i, (share, end), None, None, None, None) for i in todo if i in plain],
                        settings, on_done, on_event)
        early[0] = None if len(plain) == len(comps) else \
            _fairness_floor(objective, [first[i] if i in first else cache[keys[i]] for i in plain])
        rest = [i for i in todo if i not in plain]
        # the others' networks may prove a higher floor before they start (measured on generated
        # 60,000: 6.72 where the plain parts' was 3.90, and 1.9 s for 514 parts on 2 workers)
        # (every such part's, solved now or not: the floor must not depend on what was reused)
        early[0], setter = _network_floor(comps, [i for i in range(len(comps)) if i not in plain], settings,
                                          early[0])
        if early[0] is not None:        # kept by an earlier run within the same floor: as if solved now
            for i in list(rest):
                kept = store.load(keys[i] + _floor_tag(early[0])) if store and resume else None
                if kept is None and reuse is not None and (kept := reuse.get(content[keys[i]] + (early[0],))):
                    kept = _taken(kept)
                    reused.add(keys[i])
                if kept is not None:
                    first[i] = kept
                    rest.remove(i)
            if reuse is not None:
                details["reused"] = sum(k in reused for k in keys)
        first.update(run_all(comps, [(i, (share, end), None, None, None, None if i == setter else early[0])
                                     for i in rest], settings, on_done, on_event))
        if reuse is not None:           # the first pass's proofs: a part's own, whatever the others do
            for i, outcome in first.items():
                if outcome.status == "OPTIMAL" and outcome.capped is None:
                    reuse[content[keys[i]]] = copy.deepcopy(outcome)
                elif i in rest and outcome.grid is not None and outcome.status != "INFEASIBLE":
                    # its bound is proven; its schedule, if not proven, is the second pass's start
                    reuse[content[keys[i]] + (early[0],)] = copy.deepcopy(outcome)
        # the largest deviation is at least every part's bound: an unproven part need only come within
        # the largest bound (then that is the optimum), and its later goals are optimized within it;
        # so are those of a proven part below it (else they are optimal only within its own deviation)
        def current_outcomes():         # each part's outcome so far: this round's run, else the kept one
            return [first[i] if i in first else cache[k] for i, k in enumerate(keys)]

        current = current_outcomes()
        floor = _fairness_floor(objective, current)
        # a part kept within the floor, its later goals proven there, is done
        again = [i for i, o in first.items() if o.status in ("FEASIBLE", "UNKNOWN") and not _settled(comps[i], o, floor, objective)]
        if again and floor is not None and objective.index("fairness") < len(objective) - 1:
            for i, o in enumerate(current):
                if o.status == "OPTIMAL" and comps[i].fairness_groups and o.goals["fairness"].value < floor \
                        and o.capped != floor:
                    if _at_most_anyway(comps[i], o, objective):
                        o.capped = floor          # no deviation lets its later goals do better
                        continue
                    first.setdefault(i, o)
                    again.append(i)
        if reuse is not None:           # settled by an earlier variant's second pass within the same floors
            for i in list(again):
                if keys[i] in content and (kept := reuse.get(content[keys[i]] + (early[0], floor))) is not None:
                    first[i] = _taken(kept)
                    reused.add(keys[i])
                    again.remove(i)
            details["reused"] = sum(k in reused for k in keys)
        second = list(again)
        for round_ in range(2):
            until, kept = end, None
            if round_ and end < deadline and not _broken_offices(data, _merged(data, comps, current_outcomes())):
                # the time kept for parts an office's desks link, while none is broken: this round's, if
                # its schedules do not break one either (else they are dropped)
                until, kept = deadline, {i: first[i] for i in again}
            if not again or until - time.monotonic() <= 1:
                break
            # each gets its part of what is left when it starts (time a quick one leaves goes to the rest);
            # the time left after that goes to the parts still open, from where they are
            # a goal wfh the first pass proved is held (measured: DPPAPP's proof took 0.6 s again), its
            # schedule the start
            jobs = [(i, (None, until), None, _proven_wfh(first[i], objective), first[i].grid
                     if _proven_before(first[i], objective) is not None else None, _target(first[i], floor))
                    for i in again]
            unproven = {i for i in again if first[i].status != "OPTIMAL"}
            for i, outcome in run_all(comps, jobs, settings, on_event=on_event, later=unproven).items():
                if outcome.grid is None:
                    continue
                _keep_bound(outcome, first[i], objective)
                if _better(outcome, first[i], objective, floor):
                    first[i] = outcome
            if kept is not None and _broken_offices(data, _merged(data, comps, current_outcomes())):
                first.update(kept)
            again = [i for i in again if first[i].status != "OPTIMAL" and not _settled(comps[i], first[i], floor, objective)]
        if reuse is not None:
            for i in second:
                if keys[i] in content and (first[i].status == "OPTIMAL" or _settled(comps[i], first[i], floor, objective)):
                    reuse[content[keys[i]] + (early[0], floor)] = copy.deepcopy(first[i])
        for i, outcome in first.items():
            cache[keys[i]] = outcome
        outcomes = [cache[k] for k in keys]
        if any(o.status == "INFEASIBLE" for o in outcomes):
            return _infeasible(stated, split(stated, parts), outcomes, t_start, build_seconds, time_limit)
        if any(o.grid is None for o in outcomes):
            return Result("UNKNOWN", None, solve_seconds=time.monotonic() - t_start, build_seconds=build_seconds)

        # a later goal is optimized among schedules within the worst component's deviation, by the parts
        # not yet kept within it (only once that figure is proven: a worst figure not known to be
        # optimal must not make the fairer parts less fair)
        worst = _proven_worst(objective, outcomes)
        if worst is not None and objective.index("fairness") < len(objective) - 1:
            redo = [(i, (end - time.monotonic(), end), worst, _proven_before(o, objective), o.grid, None)
                    for i, o in enumerate(outcomes)
                    if o.goals["fairness"].value < worst and o.capped != worst and comps[i].fairness_groups
                    and _proven_before(o, objective) is not None]
            for i, outcome in run_all(comps, redo, settings).items():
                own = outcomes[i].goals["fairness"]
                if outcome.grid is None or outcome.status != "OPTIMAL":
                    # the part keeps its own fairer schedule: valid, but later goals are not proven
                    for goal in objective[objective.index("fairness") + 1:]:
                        if goal in outcomes[i].goals:
                            outcomes[i].goals[goal] = GoalOutcome(outcomes[i].goals[goal].value, None, False)
                    continue
                outcome.goals["fairness"] = own           # its own least deviation is still the figure
                outcome.capped = worst
                outcomes[i] = outcome

        grid = _merged(data, comps, outcomes)
        broken = _broken_offices(data, grid)
        if not broken:
            break
        links.extend(o.members for o in broken)

    goals = _combine_goals(data, outcomes)
    # a part kept within the proven largest deviation need not prove its own (its goals say what is proven)
    status = "OPTIMAL" if all(o.status == "OPTIMAL" or o.capped is not None for o in outcomes) \
        and all(g.proven for g in goals) else "FEASIBLE"
    if _STOP.is_set():
        status = "FEASIBLE"
        details["interrupted"] = True
    schedule = schedule_frame(data, grid)
    details["components"] = len(parts)
    details["part_seconds"] = round(details["part_seconds"], 3)
    # the parts' building, summed over the worker processes that did it (build_seconds adds the main
    # process's compiling to it)
    part_build = sum(o.build_seconds for o in outcomes)
    details["part_build_seconds"] = round(part_build, 3)
    details["team_days"] = _team_days(data, grid)
    result = Result(status, schedule, goals=goals, solve_seconds=time.monotonic() - t_start,
                    build_seconds=build_seconds + part_build, details=details)
    if check:
        checked = check_roster(instance, schedule)
        if not checked.ok:
            first = checked.violations[0]
            raise ScheduleRejected(f"the solver made a schedule that breaks rule {first.rule} ({first.rule_name}): "
                                   f"{first.message}; this is a bug, nothing was written")
        result.kpis = checked.figures
        # a goal's value is the schedule's own figure, whatever each component reported
        figure = {"wfh": "wfh_days", "wfh_km": "commute_km_avoided", "fairness": "fairness_max_dev_days",
                  "preferences": "preferences_met_weight"}
        for g in result.goals:
            if g.goal in figure:
                g.value = float(checked.figures[figure[g.goal]])
    if data.replan_from is not None:
        kept = sum(1 for e, d, mode, _ in data.keep if grid[e, d] == mode)
        changed = sorted({data.instance.employees[e].nip for e, d, mode, _ in data.keep if grid[e, d] != mode})
        details["replan"] = {"from": str(replan_from), "days_changed": len(data.keep) - kept,
                             "days_kept": kept, "employees_affected": changed}
        for g in result.goals:
            if g.goal == "stability":
                g.value = float(kept)
    return result


class _Checkpoint:
    """Finished components of a run, kept on disk so that the same run can resume."""

    def __init__(self, folder, instance: Instance, data: ProblemData, seed: int):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        salt = hashlib.sha256()
        salt.update(instance.model_dump_json().encode())
        salt.update(repr((seed, data.objective, data.replan_from, sorted(data.keep))).encode())
        self.salt = salt.hexdigest()

    def _path(self, key: bytes) -> Path:
        return self.folder / (hashlib.sha256(self.salt.encode() + key).hexdigest()[:32] + ".pickle")

    def load(self, key: bytes) -> ComponentOutcome | None:
        try:
            with open(self._path(key), "rb") as f:
                return pickle.load(f)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            return None

    def save(self, key: bytes, outcome: ComponentOutcome) -> None:
        path = self._path(key)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as f:
            pickle.dump(outcome, f)
        os.replace(tmp, path)


def _previous_grid(comp: ComponentData) -> np.ndarray:
    """Re-planning: the previous schedule of a part (past days and must requests as fixed, later days as kept)."""
    data = comp.data
    grid = np.where(data.present[comp.members], 0, -1).astype(np.int8)
    fixed = data.forced[comp.members]
    grid[fixed == 1] = 1
    local = {int(e): i for i, e in enumerate(comp.members)}
    for e, d, mode, _ in comp.keep:
        grid[local[e], d] = mode
    return grid


def _weekend_ties(comp: ComponentData) -> np.ndarray:
    """Per [employee, day] of the part: 1 on each week's last present day (even rows) or first one
    (odd rows), else 0; a lesser cost that keeps runs of WFH from crossing weekends."""
    data = comp.data
    present = data.present[comp.members]
    tie = np.zeros(present.shape, dtype=np.int64)
    for r, row in enumerate(present):
        ds = np.flatnonzero(row)
        if len(ds):
            turn = data.weeks[ds[1:]] != data.weeks[ds[:-1]]
            tie[r, ds[np.r_[turn, True]] if r % 2 == 0 else ds[np.r_[True, turn]]] = 1
    return tie


def _long_runs(grid: np.ndarray, k: int) -> list[tuple[int, list[int]]]:
    """Per run of more than ``k`` WFH days in ``grid`` (leave days neither count nor break a run, as
    in rule 6), each k + 1 days in a row of it that have no day in common: (row, those days)."""
    out = []
    for r in np.flatnonzero((grid == 1).sum(axis=1) > k):
        run: list[int] = []
        for d in np.flatnonzero(grid[r] >= 0):
            run = run + [int(d)] if grid[r, d] == 1 else []
            if len(run) > k:
                out.append((int(r), run))
                run = []
    return out


def _cost(costs: np.ndarray, net, grid: np.ndarray) -> int:
    """A schedule's total of the network's cell costs."""
    return int(costs[grid[net.cell_index[:, 0], net.cell_index[:, 1]] == 1].sum())


def _office_days(comp: ComponentData, grid: np.ndarray, movable: np.ndarray, home: np.ndarray,
                 cell_cost: np.ndarray, k: int, keeps) -> np.ndarray | None:
    """Cells to keep at the office so that every k + 1 present days in a row (leave days skipped, as
    in rule 6) have an office day (flow.office_days): per window without a fixed one, the last day
    ``grid`` has in the office, else the ``movable`` cell of highest ``cell_cost`` (the latest of
    equals) for which ``keeps(cells)`` holds. None when a window has none. Cells neither movable nor
    fixed at ``home`` (nor by a must request) are office days in every schedule."""
    present = comp.data.present[comp.members]
    forced = comp.data.forced[comp.members]
    forbid = np.zeros(grid.shape, dtype=bool)
    office = present & ((forced == 0) | ((forced < 0) & ~movable & ~home))    # at the office in every schedule
    return forbid if flow.office_days(grid, present, office, movable, k, forbid,
                                      lambda r, window: _office_day(r, window, cell_cost, forbid, keeps)) else None


def _office_day(r: int, window: list[int], cell_cost: np.ndarray, cells: np.ndarray, keeps) -> int | None:
    """Of row ``r``'s days ``window``, the one of highest ``cell_cost`` (the latest of equals) whose
    cell, set in the mask ``cells``, keeps ``keeps(cells)``: kept set, and returned; None if none does."""
    for d in sorted(window, key=lambda d: (-cell_cost[r, d], -d)):
        cells[r, d] = True
        if keeps(cells):
            return d
        cells[r, d] = False
    return None


def _cut_runs(grid: np.ndarray, forced: np.ndarray, k: int) -> np.ndarray:
    """The schedule with each run of more than ``k`` WFH days cut by a day at the office: the last
    free cell of the k + 1 days that make it too long (the day itself may be a must-WFH day); leave
    days neither count nor break a run, as in rule 6. More WFO keeps the caps, team minimums and
    weekly WFO; desks, together pairs and runs of fixed WFH days alone are for the caller to check."""
    out = grid.copy()
    for i, row in enumerate(out):
        run: list[int] = []                  # the present days of the current run of WFH
        for d in np.flatnonzero(row >= 0):
            if row[d] != 1:
                run = []
                continue
            run.append(int(d))
            if len(run) > k:
                free = [x for x in run[-(k + 1):] if forced[i, x] < 0]
                if free:
                    row[free[-1]] = 0
                    run = run[run.index(free[-1]) + 1:]
    return out


def _better(new: ComponentOutcome, old: ComponentOutcome, objective, floor: Fraction | None = None) -> bool:
    """Is the new outcome lexicographically at least as good (more goals proven, then better values)?
    With ``floor`` (a bound on the whole schedule's largest deviation), deviations below it are as
    good as it."""
    if old.grid is None:
        return True
    for goal in objective:
        a, b = new.goals.get(goal), old.goals.get(goal)
        if a is None and b is None:
            break
        if a is None or b is None:
            return a is not None
        x, y = a.value, b.value
        if goal == "fairness" and floor is not None:
            x, y = max(x, floor), max(y, floor)
        if x != y:
            return (x < y) if goal == "fairness" else (x > y)
    # the same values: the one with more goals proven (a later, longer run when they tie); within a
    # floor, a part's own least deviation need not be proven
    proven = lambda o: sum(bool(g.proven) for goal, g in o.goals.items()   # noqa: E731
                           if floor is None or goal != "fairness")
    return proven(new) >= proven(old)


def _taken(kept: ComponentOutcome) -> ComponentOutcome:
    """A copy of an outcome kept for what-if reuse (the run may change its copy's goals), costing no time."""
    taken = copy.deepcopy(kept)
    taken.seconds = taken.build_seconds = 0.0
    return taken


def _kept_within(outcome: ComponentOutcome, floor: Fraction | None, objective) -> bool:
    """A first-pass run kept within ``floor`` with every other goal proven: what a run of the same
    part within the same floor gives again (so it may be kept for one)."""
    return (floor is not None and outcome.capped == floor and outcome.grid is not None
            and all(g in outcome.goals and (g == "fairness" or outcome.goals[g].proven) for g in objective))


def _floor_tag(floor: Fraction) -> bytes:
    return b"|within " + str(floor).encode()


def _requests(comp: ComponentData, goal: str) -> list | None:
    """The requests a request goal counts (prefer requests, or the days a re-plan keeps); None for
    the other goals."""
    return {"preferences": comp.prefer, "stability": comp.keep}.get(goal)


def _unnested_rules(comp: ComponentData) -> bool:
    """Has the part a rule its networks leave out or check only on a schedule (pairs, team days to
    choose, desks, rule 6)? Teams across cap groups are not counted: a restricted network states them."""
    return bool(comp.pairs or comp.offices or comp.data.max_consecutive_wfh is not None
                or any(t.open_weeks for t in comp.teams))


def _plain(comp: ComponentData) -> bool:
    """A part without the rules that break its network (pairs, team days to choose, desks, rule 6,
    teams across cap groups)."""
    if _unnested_rules(comp):
        return False
    group_of = {int(e): gi for gi, g in enumerate(comp.cap_groups) for e in g.members}
    return all(len({group_of.get(int(e)) for e in t.members}) <= 1 for t in comp.teams)


def _settled(comp: ComponentData, outcome: ComponentOutcome, floor: Fraction | None, objective) -> bool:
    """Kept within the fairness floor with every later goal proven there (or meeting every request
    within a smaller one): as good as proven (if the floor is the figure), and a second run could
    not do better."""
    if _kept_within(outcome, floor, objective):
        return True
    if floor is None or outcome.capped is None or outcome.capped > floor or outcome.grid is None:
        return False
    if not all(g in outcome.goals and outcome.goals[g].proven for g in objective[:objective.index("fairness")]):
        return False
    if _at_most_anyway(comp, outcome, objective):
        outcome.capped = floor
        return True
    return False


def _at_most_anyway(comp: ComponentData, outcome: ComponentOutcome, objective) -> bool:
    """Whether every goal after fairness already has the most it could have under any rules: every
    request met (so a larger deviation would not improve them)."""
    later = objective[objective.index("fairness") + 1:]
    return all(_requests(comp, goal) is not None and goal in outcome.goals
               and outcome.goals[goal].value == sum(w for *_, w in _requests(comp, goal)) for goal in later)


def network_bound(comp: ComponentData) -> Fraction | None:
    """A lower bound of the part's least deviation from its network alone, when goal wfh comes first
    and fairness second: the least deviation of the relaxed network's maximum flows (the network
    holds every rule but those it leaves out, so no schedule with as many WFH days is fairer), if
    its group totals are fixed. It bounds the part only if some schedule reaches that many WFH days:
    see _network_floor. Deterministic (no search, no clock)."""
    if list(comp.data.objective[:2]) != ["wfh", "fairness"] or not comp.fairness_groups:
        return None
    net = flow.build(comp)
    if net is None or not net.totals_fixed:
        return None
    fair = Deviation(comp)
    if not fair.groups:
        return None
    local = {int(e): i for i, e in enumerate(comp.members)}
    n = len(comp.members)

    def probe(limits):
        grid = net.within(*fair.employee_bounds(limits, net.max_flow_grid, local, n))
        return ("FEASIBLE", grid) if grid is not None else ("INFEASIBLE", None)

    z, _, _, proven = least_deviation(fair, net.max_flow_grid, local, probe,
                                      guess=fair.guess(net.max_flow_grid, local))
    return z if proven else None


def _network_floor(comps: list[ComponentData], todo: list[int], settings: Settings,
                   floor: Fraction | None) -> tuple[Fraction | None, int | None]:
    """The fairness floor raised by the parts' network bounds (network_bound), and the part that
    sets it (None if none does). A bound counts only when the part reaches its relaxed network's
    most WFH days with a schedule that keeps every rule (a restricted network's): then goal wfh's
    optimum is that maximum and the bound is the part's. The bounds are computed in processes;
    the result does not depend on their number. Without a floor yet (no plain part has a fairness
    bound, as when rule 6 holds everywhere), the networks' bounds may set the first one (measured
    on generated 60,000 with rule 6: 4.59, and its parts then took 0.01–0.8 s each where, needing
    their own optimum, 504 of 948 had not proven it in 120 s)."""
    if not todo or list(comps[todo[0]].data.objective[:2]) != ["wfh", "fairness"]:
        return floor, None
    workers = max(1, min(settings.workers, len(todo)))
    if workers == 1 or "fork" not in multiprocessing.get_all_start_methods():
        bounds = [network_bound(comps[i]) for i in todo]
    else:
        _SHARED["comps"] = comps
        try:
            with multiprocessing.get_context("fork").Pool(workers, initializer=_worker_signals) as pool:
                bounds = pool.map(_network_bound_shared, todo, chunksize=max(1, len(todo) // (8 * workers)))
        finally:
            _SHARED.clear()
    least = floor if floor is not None else Fraction(0)
    for z, i in sorted(((z, i) for z, i in zip(bounds, todo) if z is not None and z > least), reverse=True):
        net = flow.build(comps[i])
        if net.exact or next(flow.schedules_at_most(comps[i], net), None) is not None:
            return z, i
    return floor, None


def _network_bound_shared(i: int) -> Fraction | None:
    return network_bound(_SHARED["comps"][i])


def _fairness_floor(objective, outcomes) -> Fraction | None:
    """The largest of the parts' fairness bounds: the whole schedule's largest deviation is at least
    this (each part's least deviation is at least its bound). None without fairness or bounds."""
    if "fairness" not in objective:
        return None
    bounds = [o.goals["fairness"].bound for o in outcomes
              if "fairness" in o.goals and o.goals["fairness"].bound is not None]
    return max(bounds) if bounds else None


def _proven_before(outcome: ComponentOutcome, objective) -> dict | None:
    """The values of the goals before fairness, when the part proved every one of them (else None,
    and None without goal fairness)."""
    if "fairness" not in objective:
        return None
    before = objective[:objective.index("fairness")]
    goals = [outcome.goals.get(g) for g in before]
    if any(g is None or not g.proven for g in goals):
        return None
    return {g: outcome.goals[g].value for g in before}


def _proven_wfh(outcome: ComponentOutcome, objective) -> dict | None:
    """Goal wfh's value when it is the first goal and the part proved every goal before fairness
    (request goals are left to run again: their networks' costs carry them to the later goals). Not
    when a goal comes before wfh: that goal's run may leave a schedule with fewer WFH days."""
    before = _proven_before(outcome, objective)
    return {"wfh": before["wfh"]} if before and objective[0] == "wfh" else None


def _keep_bound(new: ComponentOutcome, old: ComponentOutcome, objective) -> None:
    """A second run of a part keeps the first run's fairness bound when it is higher (a run that
    stops within its target proves no bound of its own), if the goals before fairness have the same values."""
    a, b = new.goals.get("fairness"), old.goals.get("fairness")
    if a is None or b is None or b.bound is None or (a.bound is not None and a.bound >= b.bound):
        return
    before = objective[:objective.index("fairness")]
    if any(g not in new.goals or g not in old.goals or new.goals[g].value != old.goals[g].value for g in before):
        return
    new.goals["fairness"] = GoalOutcome(a.value, b.bound, a.value == b.bound)


def _target(outcome: ComponentOutcome, floor: Fraction | None) -> Fraction | None:
    """A part's fairness target in the second pass: the floor, unless the part's own bound is the
    floor (the part that sets it gains nothing, and probing its own bound first is its hardest probe)."""
    own = outcome.goals.get("fairness")
    if floor is None or (own is not None and own.bound is not None and own.bound >= floor):
        return None
    return floor


def _proven_worst(objective, outcomes) -> Fraction | None:
    """The whole schedule's largest deviation, when it is proven: a part proved it as its own least
    deviation and every other part is within it (their own least deviation need not be proven)."""
    if "fairness" not in objective or any("fairness" not in o.goals for o in outcomes):
        return None
    if any(_proven_before(o, objective) is None for o in outcomes):
        return None
    worst, _, proven = _largest_deviation([o.goals["fairness"] for o in outcomes])
    return worst if proven else None


def _largest_deviation(parts: list[GoalOutcome]) -> tuple[Fraction, Fraction, bool]:
    """The whole schedule's fairness figure from its parts': the largest deviation, the largest
    bound, and whether the figure is proven (a part proved it and it is the largest bound, so every
    other part is within it, proven or not)."""
    value = max((p.value for p in parts), default=Fraction(0))
    bound = max((p.bound for p in parts), default=Fraction(0))
    return value, bound, value == bound and any(p.proven and p.value == value for p in parts)


def _merged(data: ProblemData, comps: list[ComponentData], outcomes: list[ComponentOutcome]) -> np.ndarray:
    """The whole schedule of the parts' outcomes (-1 where a part has none)."""
    grid = np.full(data.present.shape, -1, dtype=np.int8)
    for comp, outcome in zip(comps, outcomes):
        if outcome.grid is not None:
            grid[comp.members] = outcome.grid
    return grid


def _offices_span(data: ProblemData, parts: list[np.ndarray]) -> bool:
    """Does an office have members in several parts (so its desks may link them)?"""
    part_of = np.empty(data.n_employees, dtype=np.int64)
    for k, p in enumerate(parts):
        part_of[p] = k
    return any(len(o.members) and len(np.unique(part_of[o.members])) > 1 for o in data.offices)


def _broken_offices(data: ProblemData, grid: np.ndarray) -> list:
    broken = []
    for o in data.offices:
        if len(o.members) and ((grid[o.members] == 0).sum(axis=0) > o.desks).any():
            broken.append(o)
    return broken


def _combine_goals(data: ProblemData, outcomes: list[ComponentOutcome]) -> list[GoalResult]:
    goals = []
    earlier_proven = True       # a goal's bound holds only among schedules optimal for the goals before it
    for goal in data.objective:
        parts = [o.goals.get(goal) for o in outcomes]
        known = [p for p in parts if p is not None]
        if len(known) < len(parts):       # a component ran out of time before this goal: no bound
            goals.append(GoalResult(goal, None, None, False))
            earlier_proven = False
            continue
        proven = earlier_proven and all(p.proven for p in known)
        if goal == "fairness":
            value, bound, largest_proven = _largest_deviation(known)
        else:
            scale = goal_scale(goal, data)
            value = sum(p.value for p in known) / scale
            bound = None if any(p.bound is None for p in known) else sum(p.bound for p in known) / scale
        bound = float(bound) if earlier_proven and bound is not None else None
        # later goals' bounds still need every part proven (or kept within the figure, below)
        figure_proven = proven or (goal == "fairness" and earlier_proven and largest_proven)
        goals.append(GoalResult(goal, float(value), bound, figure_proven))
        if goal == "fairness":
            # later goals were optimized within the proven figure by every part that was kept within it
            proven = proven or (figure_proven and all(p.proven or o.capped == value
                                                      for p, o in zip(parts, outcomes)))
        earlier_proven = proven
    return goals


def schedule_frame(data: ProblemData, grid: np.ndarray) -> pd.DataFrame:
    """The schedule as SPEC §4's ``nip,date,mode`` rows, sorted by nip then date."""
    nips = np.array([e.nip for e in data.instance.employees], dtype=object)
    order = np.argsort(nips, kind="stable")
    D = data.n_days
    modes = np.array(["WFO", "WFH", "LEAVE"], dtype=object)
    g = grid[order]
    codes = np.where(g < 0, 2, g).astype(np.int64).ravel()
    return pd.DataFrame({
        "nip": np.repeat(nips[order], D),
        "date": np.tile(np.array(data.days, dtype=object), len(order)),
        "mode": modes[codes],
    })


def _team_days(data: ProblemData, grid: np.ndarray) -> dict[str, list[str]]:
    """For teams with team days (rule 9): per ISO week, the first days all present members are WFO."""
    out = {}
    for team in data.teams:
        if not team.days_per_week:
            continue
        chosen = []
        for w in np.unique(data.weeks):
            candidates = team.week_candidates(data, int(w))
            need = min(team.days_per_week, len(candidates))
            together = [d for d in candidates if not (grid[team.members, d] == 1).any()]
            chosen += [data.days[d].isoformat() for d in together[:need]]
        out[team.team] = chosen
    return out


def _infeasible(data, comps, outcomes, t_start, build_seconds, time_limit: float) -> Result:
    """Why each component without a schedule has none: pre-checks, else a minimal set of clashing rules.

    The explanations share what is left of the time limit (each part at most EXPLAIN_MOST seconds,
    at least EXPLAIN_LEAST): past it, a part's clash is reported as found, maybe not minimal."""
    from .explain import explain

    end = t_start + time_limit
    infeasibility = []
    for comp, o in zip(comps, outcomes):
        if o.status == "INFEASIBLE":
            budget = min(EXPLAIN_MOST, max(EXPLAIN_LEAST, end - time.monotonic()))
            infeasibility += explain(data, comp, budget,
                                     first_clash=1 + max((f["clash"] for f in infeasibility), default=0))
    return Result("INFEASIBLE", None, solve_seconds=time.monotonic() - t_start, build_seconds=build_seconds,
                  infeasibility=infeasibility)
