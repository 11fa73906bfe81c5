"""The hard rules of SPEC §2 as CP-SAT constraints, one function per rule.

Every function takes the model, the component's data and its variables, and says
in its docstring which rule it ensures. ``add_constraints`` lists them in order.
"""
from __future__ import annotations

import numpy as np
from ortools.sat.python import cp_model

from .data import ComponentData
from .variables import Variables


def _is_var(cell) -> bool:
    return not isinstance(cell, int)


def _at_most(model: cp_model.CpModel, cells: list, limit: int) -> None:
    """sum(cells) ≤ limit, skipped when it cannot bind."""
    constant = sum(c for c in cells if not _is_var(c))
    free = [c for c in cells if _is_var(c)]
    if constant + len(free) <= limit:
        return
    if limit - constant < 0:
        model.AddBoolOr([])  # already broken by fixed cells: infeasible
        return
    if limit - constant == 0:
        for c in free:
            model.Add(c == 0)
        return
    model.Add(sum(free) <= limit - constant)


def _at_least(model: cp_model.CpModel, cells: list, limit: int) -> None:
    """sum(cells) ≥ limit, skipped when it cannot bind."""
    constant = sum(c for c in cells if not _is_var(c))
    free = [c for c in cells if _is_var(c)]
    if constant >= limit:
        return
    if constant + len(free) < limit:
        model.AddBoolOr([])
        return
    model.Add(sum(free) >= limit - constant)


def leave(model, comp: ComponentData, wfh: Variables) -> None:
    """Rule 1: an employee on leave has mode LEAVE; ensured by creating no cell on leave days."""


def essential(model, comp: ComponentData, wfh: Variables) -> None:
    """Rule 2: essential staff and categories capped at 0 are WFO; ensured by fixing their cells to 0
    (``ProblemData.forced``)."""


def must_requests(model, comp: ComponentData, wfh: Variables) -> None:
    """Rule 5: a must request fixes the mode of its days; ensured by fixing the cells
    (``ProblemData.forced``); contradictions are reported before the search."""


def category_cap(model, comp: ComponentData, wfh: Variables) -> None:
    """Rule 3: in every cap group and day, WFH ≤ floor(cap × present members)."""
    for group in comp.cap_groups:
        for d, limit in enumerate(group.limit):
            _at_most(model, wfh.cells(group.members, d), int(limit))


def team_coverage(model, comp: ComponentData, wfh: Variables) -> None:
    """Rule 4: in every team and day, WFO ≥ max(min_onsite, ceil(ratio × present members))."""
    for team in comp.teams:
        for d, need in enumerate(team.need):
            if need > 0:
                _at_most(model, wfh.cells(team.members, d), int(team.present[d] - need))


def max_consecutive_wfh(model, comp: ComponentData, wfh: Variables) -> None:
    """Rule 6: no more than k WFH in a row over an employee's present working days."""
    k = comp.data.max_consecutive_wfh
    if k is None:
        return
    for e in comp.members:
        cells = wfh.days_of(int(e))
        for start in range(len(cells) - k):
            window = cells[start:start + k + 1]
            if any(c == 0 for c in window if not _is_var(c)):
                continue
            _at_most(model, window, k)


def min_wfo_per_week(model, comp: ComponentData, wfh: Variables) -> None:
    """Rule 7: in every ISO week, WFO days ≥ min(m, present working days that week)."""
    m = comp.data.min_wfo_per_week
    if not m:
        return
    weeks = comp.data.weeks
    for e in comp.members:
        row = wfh.grid[wfh.local[int(e)]]
        for w in np.unique(weeks):
            cells = [row[d] for d in np.flatnonzero(weeks == w) if row[d] is not None]
            _at_most(model, cells, len(cells) - min(m, len(cells)))


def desks(model, comp: ComponentData, wfh: Variables) -> None:
    """Rule 8: in every office and day, WFO ≤ desks (so WFH ≥ present − desks)."""
    for office in comp.offices:
        for d in range(comp.data.n_days):
            cells = wfh.cells(office.members, d)
            _at_least(model, cells, len(cells) - office.desks)


def team_days(model, comp: ComponentData, wfh: Variables) -> dict:
    """Rule 9: a team with k team days a week has min(k, W) days each ISO week on which all
    its present members are WFO (W: the week's working days on its candidate weekdays).

    Returns the team-day Booleans, ``{(team, day): var}``, to read the chosen days back.
    """
    chosen = {}
    data = comp.data
    for team in comp.teams:
        for w in team.open_weeks:   # the other weeks' team days are fixed cells (ProblemData.forced)
            candidates = team.week_candidates(data, w)
            need = min(team.days_per_week, len(candidates))
            if need == 0:
                continue
            flags = []
            for d in candidates:
                flag = model.NewBoolVar(f"teamday_{team.team}_{d}")
                for c in wfh.cells(team.members, int(d)):
                    if _is_var(c):
                        model.AddImplication(flag, c.Not())
                    elif c == 1:
                        model.Add(flag == 0)
                chosen[(team.team, int(d))] = flag
                flags.append(flag)
            model.Add(sum(flags) >= need)
    return chosen


def pairs(model, comp: ComponentData, wfh: Variables) -> None:
    """Rule 10: a cover pair is never both WFH, a together pair has the same mode, when both are present."""
    for a, b, rule in comp.pairs:
        for d in range(comp.data.n_days):
            ca, cb = wfh.cell(a, d), wfh.cell(b, d)
            if ca is None or cb is None:
                continue
            if rule == "cover":
                _at_most(model, [ca, cb], 1)
            elif _is_var(ca) or _is_var(cb):
                model.Add(ca == cb)
            elif ca != cb:
                model.AddBoolOr([])


def add_constraints(model, comp: ComponentData, wfh: Variables) -> dict:
    """Add every rule of SPEC §2, in order. Returns the team-day Booleans (rule 9)."""
    leave(model, comp, wfh)
    essential(model, comp, wfh)
    category_cap(model, comp, wfh)
    team_coverage(model, comp, wfh)
    must_requests(model, comp, wfh)
    max_consecutive_wfh(model, comp, wfh)
    min_wfo_per_week(model, comp, wfh)
    desks(model, comp, wfh)
    chosen = team_days(model, comp, wfh)
    pairs(model, comp, wfh)
    return chosen
