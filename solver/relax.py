"""The closest schedule when the rules cannot all hold (``giliran solve --relax FAMILIES``).

The listed rule families become soft: each rule instance gets a slack that measures
how far it is broken, in people-days (a team's members missing on site, a must request
not met, office days missing in a week, WFH days beyond the consecutive limit, people
over an office's desks, team days missing in a week, a pair broken on a day). The
search first minimizes the total shortfall, keeps it, then optimizes the instance's
goals in order (SPEC §3) as :mod:`solver.solve` does. Caps (rule 3) and essential
services (rule 2) are never relaxed.

The schedule is re-checked by the independent checker: its violations are the
result's, and every one of them must be in a relaxed family.
"""
from __future__ import annotations

import math
import time
from fractions import Fraction

import numpy as np
from ortools.sat.python import cp_model

from models import Instance
from models.result import Result

from .constraints import Guard, add_constraints
from .data import ComponentData, ProblemData, compile_instance, components, split
from .explain import explain, must_days, released, released_component
from .objectives import Fairness, goal_expression
from .solve import ComponentOutcome, GoalOutcome, ScheduleRejected, _combine_goals, least_deviation, schedule_frame
from .variables import Variables

# family (as ``--relax`` names it) -> the rule (as the model builder and the checker name it)
FAMILIES = {"coverage": "coverage", "requests": "must", "weekly": "weekly", "consecutive": "consecutive",
            "desks": "desks", "teamdays": "teamdays", "pairs": "pairs"}
NEVER = ("caps", "cap", "essential", "leave")
# the rules a conflict found while compiling is about: relaxing any of them resolves it
_CONFLICT_RULES = {"coverage": {"coverage"}, "must": {"must"}, "essential": {"must"}, "teamdays": {"must", "teamdays"}}


def parse_families(families) -> tuple[str, ...]:
    """Validate family names (a comma-separated string or a sequence); raises ValueError naming the bad one."""
    if isinstance(families, str):
        families = [f for f in families.split(",")]
    out = []
    for f in (f.strip().lower() for f in families):
        if not f:
            continue
        if f in NEVER:
            raise ValueError(f"rule family {f!r} is never relaxed (caps and essential services always hold)")
        if f not in FAMILIES:
            raise ValueError(f"unknown rule family {f!r}; choose from {', '.join(FAMILIES)}")
        if f not in out:
            out.append(f)
    return tuple(out)


class Slack(Guard):
    """Gives every instance of a relaxed rule a slack variable (the shortfall); the others stay hard."""

    def __init__(self, musts, rules: set[str]):
        self.musts = musts
        self.rules = rules
        self.slack: dict[tuple, cp_model.IntVar] = {}

    def __call__(self, model, key, most, free, constant):
        if key[0] not in self.rules:
            return None
        var = model.NewIntVar(0, max(0, int(most)), f"short_{len(self.slack)}")
        self.slack[key] = var
        return None, var


class _Relaxed:
    """One component's model with slacks, solved goal by goal."""

    def __init__(self, data: ProblemData, comp: ComponentData, rules: set[str], seed: int, deadline: float):
        self.data, self.comp, self.deadline = data, comp, deadline
        self.model = cp_model.CpModel()
        self.cells = Variables(self.model, comp)
        members = set(int(e) for e in comp.members)
        self.guard = Slack({k: v for k, v in must_days(data).items() if k[0] in members}, rules)
        add_constraints(self.model, comp, self.cells, self.guard)
        self.fairness = None
        if "fairness" in data.instance.objective and comp.fairness_groups:
            self.fairness = Fairness(self.model, comp, self.cells)
        self.solver = cp_model.CpSolver()
        p = self.solver.parameters
        p.num_workers = 1
        p.linearization_level = 2
        p.random_seed = seed
        self.solution: np.ndarray | None = None
        self.outcome = ComponentOutcome("OPTIMAL")
        self.shortfall: dict[str, int] = {}

    def run(self) -> str:
        left = self.deadline - time.monotonic()
        if left <= 0:
            return "UNKNOWN"
        self.solver.parameters.max_time_in_seconds = left
        if self.solution is not None:
            self.cells.hint(self.model, self.solution)
        status = {cp_model.OPTIMAL: "OPTIMAL", cp_model.FEASIBLE: "FEASIBLE",
                  cp_model.INFEASIBLE: "INFEASIBLE"}.get(self.solver.Solve(self.model), "UNKNOWN")
        if status in ("OPTIMAL", "FEASIBLE"):
            self.solution = self.cells.values(self.solver)
            shortfall: dict[str, int] = {}
            for key, var in self.guard.slack.items():
                shortfall[key[0]] = shortfall.get(key[0], 0) + int(self.solver.Value(var))
            self.shortfall = shortfall     # of the schedule kept (each later run is at least as good)
        return status

    def _optimize(self, variables, weights, constant, maximize: bool) -> tuple[str, GoalOutcome | None]:
        """Optimize a weighted sum, then keep it at the value reached."""
        if not variables:
            status = "OPTIMAL" if self.solution is not None else self.run()
            if status not in ("OPTIMAL", "FEASIBLE"):
                return status, None
            return "OPTIMAL", GoalOutcome(constant, constant, True)
        expr = cp_model.LinearExpr.WeightedSum(variables, weights)
        self.model.Maximize(expr) if maximize else self.model.Minimize(expr)
        status = self.run()
        self.model.ClearObjective()
        if status not in ("OPTIMAL", "FEASIBLE"):
            return status, None
        value = int(round(self.solver.ObjectiveValue()))
        bound = self.solver.BestObjectiveBound()
        bound = int(math.floor(bound + 1e-6)) if maximize else int(math.ceil(bound - 1e-6))
        self.model.Add(expr >= value) if maximize else self.model.Add(expr <= value)
        return status, GoalOutcome(value + constant, bound + constant, status == "OPTIMAL")

    def least_shortfall(self) -> str:
        keys = list(self.guard.slack)
        status, result = self._optimize([self.guard.slack[k] for k in keys], [1] * len(keys), 0, maximize=False)
        if result is None:
            self.outcome.status = status if status == "INFEASIBLE" else "UNKNOWN"
            return self.outcome.status
        self.outcome.goals["shortfall"] = result
        if not result.proven:
            self.outcome.status = "FEASIBLE"
        return status

    def goal(self, goal: str, cap: Fraction | None = None) -> bool:
        """Optimize one goal of SPEC §3 and keep it; with ``cap``, fairness only keeps within it."""
        if goal == "fairness":
            status, result = self._fairness(cap)
        else:
            status, result = self._optimize(*goal_expression(goal, self.comp, self.cells), maximize=True)
        if result is None:
            self.outcome.status = "FEASIBLE" if self.solution is not None else "UNKNOWN"
            return False
        if cap is None or goal != "fairness":
            self.outcome.goals[goal] = result
        if status != "OPTIMAL" or not result.proven:
            self.outcome.status = "FEASIBLE"
        return True

    def _fairness(self, cap: Fraction | None) -> tuple[str, GoalOutcome | None]:
        fair = self.fairness
        if fair is None or not fair.groups:
            return "OPTIMAL", GoalOutcome(Fraction(0), Fraction(0), True)
        local = self.cells.local
        if cap is not None:
            fair.limit(fair.limits_at_most(cap))
            return "OPTIMAL", GoalOutcome(cap, cap, True)

        def probe(limits):
            fair.limit(limits)
            status = self.run()
            return status, (self.solution if status in ("OPTIMAL", "FEASIBLE") else None)

        best, grid, bound, proven = least_deviation(fair, self.solution, local, probe,
                                                    guess=fair.guess(self.solution, local))
        self.solution = grid
        fair.limit(fair.limits_at_most(best))
        return ("OPTIMAL" if proven else "FEASIBLE"), GoalOutcome(best, bound, proven)


def solve_relaxed(instance: Instance, families, time_limit: float = 60.0, workers: int | None = None,
                  seed: int = 0) -> Result:
    """The closest schedule: least total shortfall of the relaxed families, then the usual goals.

    Parameters
    ----------
    instance
        The validated instance.
    families
        Rule families to relax: any of coverage, requests, weekly, consecutive, desks,
        teamdays, pairs (a sequence or a comma-separated string).
    time_limit, workers, seed
        As for :func:`solver.solve` (components are solved one after the other here).

    Returns
    -------
    Result
        Status ``RELAXED`` with the schedule, the checker's violations and figures, and
        ``details["shortfall"]`` (per rule, and ``total``); ``INFEASIBLE`` with the
        explanation when the rules that stay hard clash; ``UNKNOWN`` without a schedule
        in time.
    """
    from .check import check as check_roster

    rules = {FAMILIES[f] for f in parse_families(families)}
    t_start = time.monotonic()
    deadline = t_start + time_limit
    data = compile_instance(instance)
    hard = [c for c in data.conflicts if not (_CONFLICT_RULES.get(c.rule, set()) & rules)]
    if hard:
        return Result("INFEASIBLE", None, solve_seconds=time.monotonic() - t_start,
                      infeasibility=[dict(c.as_dict(), clash=k + 1) for k, c in enumerate(hard)])
    rdata = released(data)
    build_seconds = time.monotonic() - t_start
    objective = tuple(instance.objective)
    after_fairness = objective[objective.index("fairness") + 1:] if "fairness" in objective else ()
    before = objective[:len(objective) - len(after_fairness)]

    links: list[np.ndarray] = []
    while True:
        # offices shared by parts are linked only when the merged schedule breaks them (as solver.solve does)
        parts = components(rdata, link_offices=False, extra_links=links)
        comps = [released_component(rdata, c) for c in split(rdata, parts)]
        searches = []
        for k, comp in enumerate(comps):
            # a fair share of the time for the shortfall and the goals up to fairness; the rest after it
            share = (deadline - time.monotonic()) * (0.7 if after_fairness else 1.0) / (len(comps) - k)
            search = _Relaxed(data, comp, rules, seed, time.monotonic() + share)
            status = search.least_shortfall()
            if status == "UNKNOWN":            # no schedule in its share: let it take what is left
                search.deadline = deadline
                search.outcome.status = "OPTIMAL"
                status = search.least_shortfall()
            if status == "INFEASIBLE":
                findings = explain(data, comp, relaxed=frozenset(rules),
                                   time_limit=max(1.0, deadline - time.monotonic()), seed=seed)
                return Result("INFEASIBLE", None, solve_seconds=time.monotonic() - t_start,
                              build_seconds=build_seconds, infeasibility=findings)
            if search.solution is None:
                return Result("UNKNOWN", None, solve_seconds=time.monotonic() - t_start, build_seconds=build_seconds)
            for goal in before:
                if not search.goal(goal):
                    break
            searches.append(search)
        worst = max((s.outcome.goals["fairness"].value for s in searches if "fairness" in s.outcome.goals),
                    default=Fraction(0))
        for k, search in enumerate(searches):
            search.deadline = time.monotonic() + (deadline - time.monotonic()) / (len(searches) - k)
            if after_fairness and len(search.outcome.goals) == len(before) + 1:
                search.goal("fairness", cap=worst)
                for goal in after_fairness:
                    if not search.goal(goal):
                        break
        grid = np.full(data.present.shape, -1, dtype=np.int8)
        for comp, search in zip(comps, searches):
            grid[comp.members] = search.solution
        broken = [o for o in data.offices if len(o.members) and not _within_one(o, parts)
                  and ((grid[o.members] == 0).sum(axis=0) > o.desks).any()]
        if not broken:
            break
        links.extend(o.members for o in broken)

    outcomes = [s.outcome for s in searches]
    for o in outcomes:
        o.goals.pop("shortfall", None)
    goals = _combine_goals(data, outcomes)
    schedule = schedule_frame(data, grid)
    checked = check_roster(instance, schedule)
    allowed = rules
    wrong = [v for v in checked.violations if v.rule_name not in allowed]
    if wrong:
        raise ScheduleRejected(f"the relaxed schedule breaks rule {wrong[0].rule} ({wrong[0].rule_name}), which "
                               f"was not relaxed: {wrong[0].message}; this is a bug, nothing was written")
    shortfall = {rule: sum(s.shortfall.get(rule, 0) for s in searches) for rule in sorted(rules)}
    if "coverage" in rules:   # a team without members is in no part: all its minimum is missing
        shortfall["coverage"] += sum(int(t.need.sum()) for t in data.teams if not len(t.members))
    shortfall["total"] = sum(shortfall.values())
    figure = {"wfh": "wfh_days", "wfh_km": "commute_km_avoided", "fairness": "fairness_max_dev_days",
              "preferences": "preferences_met_weight"}
    for g in goals:
        if g.goal in figure:
            g.value = float(checked.figures[figure[g.goal]])
    proven = all(o.status == "OPTIMAL" for o in outcomes) and all(g.proven for g in goals)
    return Result("RELAXED", schedule, goals=goals, kpis=checked.figures, solve_seconds=time.monotonic() - t_start,
                  build_seconds=build_seconds, violations=[v.as_dict() for v in checked.violations],
                  details={"relaxed": sorted(f for f, r in FAMILIES.items() if r in rules), "shortfall": shortfall,
                           "proven": proven, "components": len(parts)})


def _within_one(office, parts) -> bool:
    """Is the office inside one part (its desk rule already in that part's model)?"""
    for p in parts:
        inside = np.isin(office.members, p)
        if inside.any():
            return bool(inside.all())
    return True
