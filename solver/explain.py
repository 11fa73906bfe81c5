"""Why no schedule keeps every rule, in a planner's words (SPEC §2, last paragraph).

Two ways, cheapest first:

- :func:`precheck`: impossibilities read straight from the data (a team minimum above
  the team's size, must-WFH requests against the weekly office days, the cap or a cover
  pair, essential staff beyond an office's desks). They add to the ones
  :func:`solver.data.compile_instance` finds.
- :func:`explain`: a conflict core from CP-SAT. Every rule instance of a component (a
  cap on a group and day, a team's minimum on a day, a must request, an employee's
  weekly rule for a week, a window of the consecutive rule, a desk limit on a day, a
  team-day requirement in a week, a pair on a day) is switched on by an assumption
  literal; CP-SAT's sufficient assumptions are then shrunk by deletion to a minimal
  set: dropping any one member lets the rest hold.

Each finding is a dict: ``rule``, ``unit``, ``category``, ``team``, ``date``,
``employees`` (nips), ``needed`` and ``possible`` (what this rule asks, and what the
other rules of the set allow: ``needed > possible``), ``message``; ``week`` and
``office`` where they apply.
"""
from __future__ import annotations

import dataclasses
import time

import numpy as np
from ortools.sat.python import cp_model

from models import Instance

from .constraints import Guard, add_constraints
from .data import WFH, WFO, ComponentData, Conflict, ProblemData, compile_instance, components, split
from .variables import Variables

RULE_ORDER = ("essential", "cap", "coverage", "must", "consecutive", "weekly", "desks", "teamdays", "pairs")


# ---------------------------------------------------------------------------- the data with every rule as a rule
def rule2(data: ProblemData) -> np.ndarray:
    """[E, D] bool: present cells that rule 2 keeps on site (essential staff, a category capped at 0)."""
    inst = data.instance
    zero = {c: np.array([inst.cap(c, d) == 0 for d in data.days], dtype=bool) for c in inst.categories}
    out = np.zeros(data.present.shape, dtype=bool)
    for e, emp in enumerate(inst.employees):
        out[e] = True if emp.essential else zero[emp.category]
    return out & data.present


def must_days(data: ProblemData) -> dict[tuple[int, int], set[int]]:
    """Must requests (rule 5) per present employee-day: ``{(employee, day): {WFH or WFO, ...}}``."""
    inst = data.instance
    index = inst.employee_index
    day_index = {d: i for i, d in enumerate(data.days)}
    out: dict[tuple[int, int], set[int]] = {}
    for req in inst.requests:
        if req.strength != "must":
            continue
        e = index[req.nip]
        if req.date is not None:
            ds = [day_index[req.date]] if req.date in day_index else []
        else:
            ds = [i for i, d in enumerate(data.days) if d.weekday() == req.weekday]
        for d in ds:
            if data.present[e, d]:
                out.setdefault((e, d), set()).add(WFH if req.mode == "WFH" else WFO)
    return out


def released(data: ProblemData) -> ProblemData:
    """The data with must requests and fixed team days as rules rather than fixed cells.

    Rule 2 and the kept past of a re-plan stay fixed cells: they are never in question.
    """
    forced = data.forced.copy()
    essential = rule2(data)
    first_open = getattr(data, "replan_from", None) or 0
    loose = np.zeros(forced.shape, dtype=bool)
    for e, d in must_days(data):
        loose[e, d] = True
    teams = []
    for team in data.teams:
        if team.days_per_week:
            weeks = [w for w in range(len(data.week_labels)) if team.week_candidates(data, w)]
            for w in set(weeks) - set(team.open_weeks):
                for d in team.week_candidates(data, w):
                    loose[team.members, d] = True
            team = dataclasses.replace(team, open_weeks=tuple(weeks))
        teams.append(team)
    loose[:, :first_open] = False
    loose &= data.present
    forced[loose] = np.where(essential[loose], WFO, -1)
    return dataclasses.replace(data, forced=forced, teams=teams, conflicts=[])


def released_component(rdata: ProblemData, comp: ComponentData) -> ComponentData:
    """The component over the released data (its teams with every week's team days open)."""
    teams = {t.team: t for t in rdata.teams}
    return dataclasses.replace(comp, data=rdata, teams=[teams[t.team] for t in comp.teams])


class Assumptions(Guard):
    """Guards every rule instance with an assumption literal; remembers what each one bounds."""

    def __init__(self, musts: dict[tuple[int, int], set[int]]):
        self.musts = musts
        self.literal: dict[tuple, cp_model.IntVar] = {}
        self.terms: dict[tuple, tuple[list, int]] = {}

    def __call__(self, model, key, most, free, constant):
        literal = model.NewBoolVar(f"rule_{len(self.literal)}")
        self.literal[key] = literal
        self.terms[key] = (free, constant)
        return literal, 0


# ---------------------------------------------------------------------------- pre-checks
def precheck(data: ProblemData, members=None) -> list[Conflict]:
    """Impossibilities read from the data alone, beyond those of ``compile_instance``.

    With ``members`` (employee indices), only those that concern them.
    """
    inst = data.instance
    emps = inst.employees
    nip = [e.nip for e in emps]
    mine = np.zeros(data.n_employees, dtype=bool)
    mine[np.arange(data.n_employees) if members is None else np.asarray(members, dtype=np.int64)] = True
    musts = must_days(data)
    home = np.zeros(data.present.shape, dtype=bool)
    office = np.zeros(data.present.shape, dtype=bool)
    for (e, d), modes in musts.items():
        home[e, d] = WFH in modes
        office[e, d] = WFO in modes
    on_site = rule2(data) | office
    out: list[Conflict] = []

    for team in data.teams:
        minimum = inst.teams[[t.team for t in inst.teams].index(team.team)].min_onsite
        n = len(team.members)
        if n and minimum > n and mine[team.members].any():
            out.append(Conflict("coverage", f"team {team.team} needs {minimum} on site every working day but has only "
                                f"{n} members", unit=team.unit, team=team.team, employees=[nip[m] for m in team.members],
                                needed=minimum, possible=n))

    for group in data.cap_groups:
        if not mine[group.members].any():
            continue
        asked = home[group.members].sum(axis=0)
        for d in np.flatnonzero(asked > group.limit):
            who = [nip[m] for m in group.members if home[m, d]]
            out.append(Conflict("cap", f"{len(who)} employees of {_where(group.key)} must work from home on "
                                f"{data.days[d]}; the cap of {group.category} lets {int(group.limit[d])} of "
                                f"{int(group.present[d])} present do so", date=data.days[d],
                                unit=_unit(group.key, emps, group.members), category=group.category,
                                team=_team(group.key), employees=who, needed=len(who), possible=int(group.limit[d])))

    m = data.min_wfo_per_week
    if m:
        for e in np.flatnonzero(mine & home.any(axis=1)):
            for w, label in enumerate(data.week_labels):
                days = np.flatnonzero((data.weeks == w) & data.present[e])
                need, can = min(m, len(days)), len(days) - int(home[e, days].sum())
                if can < need:
                    emp = emps[e]
                    out.append(Conflict("weekly", f"employee {emp.nip} must work from home on {len(days) - can} of "
                                        f"{len(days)} present days in week {label}, but must be on site at least "
                                        f"{need} days that week", unit=emp.unit, category=emp.category, team=emp.team,
                                        employees=[emp.nip], needed=need, possible=can))

    for o in data.offices:
        if not len(o.members) or not mine[o.members].any():
            continue
        fixed = on_site[o.members].sum(axis=0)
        for d in np.flatnonzero(fixed > o.desks):
            who = [nip[x] for x in o.members if on_site[x, d]]
            out.append(Conflict("desks", f"office {o.office} has {o.desks} desks; on {data.days[d]} {len(who)} of its "
                                "staff must be on site (essential or by request)", date=data.days[d],
                                employees=who, needed=len(who), possible=o.desks))
        if not (fixed > o.desks).any():
            out += _desks_against_caps(data, o, on_site, nip)

    for a, b, rule in data.pairs:
        if not (mine[a] or mine[b]):
            continue
        both = data.present[a] & data.present[b]
        if rule == "cover":
            clash = both & home[a] & home[b]
            what = "cover each other but both must work from home"
        else:
            clash = both & ((home[a] & on_site[b]) | (on_site[a] & home[b]))
            what = "work together but one must work from home and the other on site"
        for d in np.flatnonzero(clash):
            out.append(Conflict("pairs", f"{nip[a]} and {nip[b]} {what} on {data.days[d]}", date=data.days[d],
                                unit=emps[a].unit, employees=[nip[a], nip[b]]))
    return out


# ---------------------------------------------------------------------------- conflict cores
class _Core:
    """One component's guarded model and the feasibility questions asked of it."""

    def __init__(self, data: ProblemData, comp: ComponentData, seed: int = 0):
        rdata = released(data)
        self.data = data
        self.comp = released_component(rdata, comp)
        members = set(int(e) for e in comp.members)
        self.model = cp_model.CpModel()
        self.cells = Variables(self.model, self.comp)
        self.guard = Assumptions({k: v for k, v in must_days(data).items() if k[0] in members})
        add_constraints(self.model, self.comp, self.cells, self.guard)
        self.keys = list(self.guard.literal)
        self.solver = cp_model.CpSolver()
        p = self.solver.parameters
        p.num_workers = 1           # one worker gives the sufficient assumptions, deterministically
        p.random_seed = seed

    def infeasible(self, keys, deadline: float) -> tuple[bool | None, list]:
        """Do these rule instances clash? (True, a subset that clashes), (False, []) or (None, []) on time out."""
        self.model.ClearAssumptions()
        self.model.AddAssumptions([self.guard.literal[k] for k in keys])
        self.solver.parameters.max_time_in_seconds = max(0.01, deadline - time.monotonic())
        status = self.solver.Solve(self.model)
        if status == cp_model.INFEASIBLE:
            core = set(self.solver.SufficientAssumptionsForInfeasibility())
            return True, [k for k in keys if self.guard.literal[k].Index() in core]
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return False, []
        return None, []

    def bound(self, key, others, maximize: bool, deadline: float) -> int | None:
        """The least (or most) the sum bounded by ``key`` can be while ``others`` hold."""
        free, constant = self.guard.terms[key]
        if not free:
            return constant
        self.model.ClearAssumptions()
        self.model.AddAssumptions([self.guard.literal[k] for k in others])
        expr = cp_model.LinearExpr.Sum(free)
        self.model.Maximize(expr) if maximize else self.model.Minimize(expr)
        self.solver.parameters.max_time_in_seconds = max(0.01, deadline - time.monotonic())
        status = self.solver.Solve(self.model)
        self.model.ClearObjective()
        if status == cp_model.OPTIMAL:
            return int(round(self.solver.ObjectiveValue())) + constant
        return None


def shrink(core: _Core, keys: list, deadline: float) -> tuple[list, bool]:
    """Deletion: drop each member in turn, keep it out when the rest still clash. Returns (set, minimal)."""
    keys = list(keys)
    i = 0
    while i < len(keys):
        if time.monotonic() > deadline:
            return keys, False
        trial = keys[:i] + keys[i + 1:]
        clash, subset = core.infeasible(trial, deadline)
        if clash is None:
            return keys, False
        if clash:
            keep = set(subset)
            keys = [k for k in trial if k in keep]    # CP-SAT's own core of the rest may be smaller still
        else:
            i += 1
    return keys, True


def explain(data: ProblemData, comp: ComponentData, time_limit: float = 10.0, seed: int = 0,
            checks: bool = True, relaxed: frozenset[str] = frozenset(), first_clash: int = 1) -> list[dict]:
    """A minimal set of clashing rule instances of an infeasible component, each as a finding.

    Parameters
    ----------
    data, comp
        The compiled instance and the component that has no schedule.
    time_limit
        Seconds for the whole explanation; past it the set found so far is reported
        (clashing, maybe not minimal: each finding then has ``minimal: False``).
    checks
        Report the pre-checks' findings for the component instead, when there are any.
    relaxed
        Rules left out (those ``--relax`` made soft: coverage, must, weekly, ...).
    first_clash
        The number of the first clash: findings carry ``clash``, the same for the members
        of one minimal set (a pre-check finding is a clash by itself).

    Returns
    -------
    list of dict
        The findings, ordered by date and rule; empty if the rules do hold together.
    """
    if checks and not relaxed:
        found = precheck(data, comp.members)
        if found:
            return _numbered([[c.as_dict()] for c in found], first_clash)
    deadline = time.monotonic() + time_limit
    core = _Core(data, comp, seed)
    core.keys = [k for k in core.keys if k[0] not in relaxed]
    findings: list[list[dict]] = []   # one list per clash
    remaining = core.keys
    while True:   # one minimal set per independent clash: each set found is set aside, the rest asked again
        clash, keys = core.infeasible(remaining, deadline)
        if clash is None and not findings:
            units = ", ".join(_units(data, comp.members))
            return [{"clash": first_clash, "rule": "unknown", "unit": units, "category": None, "team": None, "date": None, "employees": [],
                     "needed": None, "possible": None, "minimal": False,
                     "message": f"the rules cannot all hold for unit(s) {units}; no smaller reason was found "
                                f"within {time_limit:g} s"}]
        if not clash:
            break
        if not keys:   # the fixed cells alone clash (only a re-plan's kept past can do that)
            findings.append([{"rule": "unknown", "unit": ", ".join(_units(data, comp.members)), "category": None,
                              "team": None, "date": None, "employees": [], "needed": None, "possible": None,
                              "message": "the days kept from the previous schedule break the rules by themselves"}])
            break
        keys, minimal = shrink(core, keys, deadline)
        found = []
        for key in keys:
            finding = _describe(core, key, [k for k in keys if k != key], deadline if minimal else 0.0)
            if not minimal:
                finding["minimal"] = False
            found.append(finding)
        findings.append(sorted(found, key=_order))
        blamed = set(keys)
        remaining = [k for k in remaining if k not in blamed]
    return _numbered(sorted(findings, key=lambda c: _order(c[0])), first_clash)


def _numbered(clashes: list[list[dict]], first: int) -> list[dict]:
    return [dict(f, clash=first + k) for k, clash in enumerate(clashes) for f in clash]


def _order(finding: dict) -> tuple:
    return finding["date"] or finding.get("week") or "", RULE_ORDER.index(finding["rule"]) if finding["rule"] in RULE_ORDER else 0


def diagnose(instance: Instance, time_limit: float = 10.0, seed: int = 0, checks: bool = True) -> list[dict]:
    """Why an instance has no schedule, without searching for a good one.

    With ``checks``, the compile-time conflicts and the pre-checks come first; then each
    component without a schedule (parts linked by shared offices last, as the search
    does) is explained by a minimal core. Empty when the rules do hold together.
    """
    deadline = time.monotonic() + time_limit
    data = compile_instance(instance)
    if checks and data.conflicts:
        return _numbered([[c.as_dict()] for c in data.conflicts], 1)
    if checks:
        found = precheck(data)
        if found:
            return _numbered([[c.as_dict()] for c in found], 1)
    out: list[dict] = []
    alone = set()
    for link in (False, True):
        parts = components(data, link_offices=link)
        comps = [c for p, c in zip(parts, split(data, parts)) if p.tobytes() not in alone]
        alone = {p.tobytes() for p in parts}    # linked, only the parts that shared offices joined are new
        for comp in comps:
            if has_schedule(comp, deadline, seed) is False:
                out += explain(data, comp, max(0.5, deadline - time.monotonic()), seed, checks=False,
                               first_clash=1 + max((f["clash"] for f in out), default=0))
        if out:
            break
    return out


def _desks_against_caps(data: ProblemData, office, on_site: np.ndarray, nip: list[str]) -> list[Conflict]:
    """An office's days on which more of its present staff must be on site than it has desks, because the
    caps let too few of them work from home (each cap group lets at most its limit of them home)."""
    group_of = np.full(data.n_employees, -1, dtype=np.int64)
    for gi, g in enumerate(data.cap_groups):
        group_of[g.members] = gi
    out = []
    members = np.asarray(office.members, dtype=np.int64)
    for d in range(data.n_days):
        here = members[data.present[members, d]]
        if len(here) <= office.desks:
            continue
        free = here[~on_site[here, d]]
        groups, counts = np.unique(group_of[free], return_counts=True)
        home = sum(int(n) if gi < 0 else min(int(n), int(data.cap_groups[gi].limit[d])) for gi, n in zip(groups, counts))
        if len(here) - home > office.desks:
            out.append(Conflict("desks", f"office {office.office} has {office.desks} desks; on {data.days[d]} "
                                f"{len(here)} of its staff are present and the caps let at most {home} of them work "
                                f"from home, so {len(here) - home} need a desk", date=data.days[d],
                                employees=[nip[x] for x in here], needed=len(here) - home, possible=office.desks))
    return out


def has_schedule(comp: ComponentData, deadline: float, seed: int = 0) -> bool | None:
    """Does the component keep every rule (hard, as the search builds it)? None on time out."""
    model = cp_model.CpModel()
    add_constraints(model, comp, Variables(model, comp))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    solver.parameters.max_time_in_seconds = max(0.01, deadline - time.monotonic())
    status = solver.Solve(model)
    if status == cp_model.INFEASIBLE:
        return False
    return True if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None


# ---------------------------------------------------------------------------- findings in words
def _where(group_key) -> str:
    scope = group_key[0]
    if scope == "all":
        return "the whole organisation"
    if scope.startswith("team:"):
        return f"team {scope[5:]}"
    if scope.startswith("unit:"):
        return f"unit {scope[5:]}"
    return f"unit {scope}"


def _unit(group_key, emps, members) -> str | None:
    return emps[int(members[0])].unit if group_key[0] != "all" and len(members) else None


def _team(group_key) -> str | None:
    return group_key[0][5:] if group_key[0].startswith("team:") else None


def _units(data: ProblemData, members) -> list[str]:
    return sorted({data.units[data.unit_of[int(e)]] for e in members})


def _describe(core: _Core, key: tuple, others: list, deadline: float) -> dict:
    """One rule instance of a clash as a finding, with what the other rules of the clash allow."""
    data, comp = core.data, core.comp
    inst = data.instance
    emps = inst.employees
    nip = [e.nip for e in emps]
    rule = key[0]
    f = {"rule": rule, "unit": None, "category": None, "team": None, "date": None, "employees": [],
         "needed": None, "possible": None, "message": ""}

    def bound(maximize):
        return core.bound(key, others, maximize, deadline) if deadline > time.monotonic() else None

    if rule == "cap":
        group = next(g for g in comp.cap_groups if g.key == key[1])
        d = key[2]
        limit, present = int(group.limit[d]), int(group.present[d])
        home = bound(False)
        f.update(unit=_unit(group.key, emps, group.members), category=group.category, team=_team(group.key),
                 date=data.days[d], employees=[nip[m] for m in group.members if data.present[m, d]],
                 needed=home, possible=limit)
        f["message"] = (f"the cap of {group.category} in {_where(group.key)} on {data.days[d]} lets {limit} of "
                        f"{present} present work from home"
                        + (f", but the other rules send at least {home} home" if home is not None and home > limit
                           else ""))
    elif rule == "coverage":
        team = next(t for t in comp.teams if t.team == key[1])
        d = key[2]
        need, present = int(team.need[d]), int(team.present[d])
        away = len(team.members) - present
        home = bound(False)
        can = present - home if home is not None else None
        f.update(unit=team.unit, team=team.team, date=data.days[d], needed=need, possible=can,
                 employees=[nip[m] for m in team.members if data.present[m, d]])
        leave = f" ({away} on leave)" if away else ""
        if can is None or can >= present:
            f["message"] = (f"team {team.team} needs {need} on site on {data.days[d]}; only {present} "
                            f"{'member is' if present == 1 else 'members are'} present{leave}")
        else:
            f["message"] = (f"team {team.team} needs {need} on site on {data.days[d]}; of its {present} present "
                            f"members{leave} the other rules let at most {can} be on site")
    elif rule == "must":
        _, e, d, mode = key
        emp = emps[e]
        f.update(unit=emp.unit, category=emp.category, team=emp.team, date=data.days[d], employees=[emp.nip],
                 mode="WFH" if mode == WFH else "WFO")
        f["message"] = f"employee {emp.nip} must {'work from home' if mode == WFH else 'be on site'} on {data.days[d]}"
        if mode == WFH and data.forced[e, d] == WFO and rule2(data)[e, d]:
            f["message"] += (" but is essential" if emp.essential
                             else f" but the cap of {emp.category} that day is 0")
    elif rule == "weekly":
        _, e, w = key
        emp = emps[e]
        days = np.flatnonzero((data.weeks == w) & data.present[e])
        need = min(data.min_wfo_per_week, len(days))
        home = bound(False)
        can = len(days) - home if home is not None else None
        f.update(unit=emp.unit, category=emp.category, team=emp.team, employees=[emp.nip], needed=need,
                 possible=can, week=data.week_labels[w])
        f["message"] = (f"employee {emp.nip} must be on site at least {need} of {len(days)} present days in week "
                        f"{data.week_labels[w]}" + (f"; the other rules let at most {can}" if can is not None and can < need
                                                   else ""))
    elif rule == "consecutive":
        _, e, first, last = key
        emp = emps[e]
        k = data.max_consecutive_wfh
        home = bound(False)
        f.update(unit=emp.unit, category=emp.category, team=emp.team, date=data.days[first], employees=[emp.nip],
                 needed=home, possible=k, until=data.days[last].isoformat())
        f["message"] = (f"employee {emp.nip} may work from home at most {k} working days in a row, but the other "
                        f"rules send them home on {home if home is not None else 'all'} of the {k + 1} present "
                        f"days from {data.days[first]} to {data.days[last]}")
    elif rule == "desks":
        office = next(o for o in comp.offices if o.office == key[1])
        d = key[2]
        present = int(data.present[office.members, d].sum())
        home = bound(True)
        need = present - home if home is not None else None
        f.update(date=data.days[d], employees=[nip[m] for m in office.members if data.present[m, d]], needed=need,
                 possible=office.desks, office=office.office)
        f["message"] = (f"office {office.office} has {office.desks} desks; on {data.days[d]} the rules need "
                        + (f"{need} people on site there" if need is not None else "more people on site there"))
    elif rule == "teamdays":
        team = next(t for t in comp.teams if t.team == key[1])
        w = key[2]
        need = min(team.days_per_week, len(team.week_candidates(data, w)))
        can = bound(True)
        f.update(unit=team.unit, team=team.team, employees=[nip[m] for m in team.members], needed=need,
                 possible=can, week=data.week_labels[w])
        f["message"] = (f"team {team.team} needs {need} team days (all present members on site) in week "
                        f"{data.week_labels[w]}" + (f"; the other rules allow {can}" if can is not None else ""))
    elif rule == "pairs":
        _, a, b, d = key
        kind = next(r for x, y, r in comp.pairs if (x, y) == (a, b))
        f.update(unit=emps[a].unit, date=data.days[d], employees=[nip[a], nip[b]])
        f["message"] = (f"{nip[a]} and {nip[b]} cover each other and may not both work from home on {data.days[d]}"
                        if kind == "cover" else
                        f"{nip[a]} and {nip[b]} work together and must have the same mode on {data.days[d]}")
    if f["date"] is not None:
        f["date"] = f["date"].isoformat()
    return f
