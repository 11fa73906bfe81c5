"""The hard rules of SPEC §2 as CP-SAT constraints, one function per rule.

Every function takes the model, the component's data and its variables, and says
in its docstring which rule it ensures. ``add_constraints`` lists them in order.

Every function also takes an optional ``guard`` (see :class:`Guard`): without it the
rules are hard; with it each rule instance (a cap on a group and day, a team's minimum
on a day, ...) may be switched on by an assumption literal (:mod:`solver.explain`) or
given a slack that measures how far it is broken (:mod:`solver.relax`).
"""
from __future__ import annotations

import numpy as np
from ortools.sat.python import cp_model

from .data import WFH, ComponentData
from .variables import NO_LOWER, Variables, add_linear


class Guard:
    """What happens to one rule instance: ``guard(model, key, most, free, constant)`` returns
    ``None`` (the rule is hard) or ``(enforce, slack)``: the rule holds when the literal
    ``enforce`` is true (``None``: always), less ``slack`` (an integer variable up to ``most``,
    the most the instance can be broken by, or 0).

    ``key`` names the instance: ``(rule, ...)`` with rule one of cap, coverage, must,
    consecutive, weekly, desks, teamdays, pairs. ``free`` and ``constant`` are the sum the
    rule bounds (variables and the count of fixed cells at 1). A guard also lists the must
    requests, ``musts[(employee, day)] = {mode, ...}``, which are then not fixed cells.
    """

    musts: dict[tuple[int, int], set[int]] = {}

    def __call__(self, model, key: tuple, most: int, free: list, constant: int):
        return None


def _is_var(cell) -> bool:
    return not isinstance(cell, int)


def _split(cells: list) -> tuple[int, list]:
    """The fixed cells' sum and the free cells (one pass: the rules make millions of these at scale)."""
    constant, free = 0, []
    for c in cells:
        if isinstance(c, int):
            constant += c
        else:
            free.append(c)
    return constant, free


def _guarded(model, guard: Guard | None, key: tuple, most: int, free: list, constant: int, add) -> bool:
    """Add a rule instance the guard's way (``add(slack)`` returns the constraint); False if it is hard."""
    hook = guard(model, key, most, free, constant) if guard is not None else None
    if hook is None:
        return False
    enforce, slack = hook
    constraint = add(slack)
    if enforce is not None:
        constraint.OnlyEnforceIf(enforce)
    return True


def _at_most(model: cp_model.CpModel, cells: list, limit: int, guard: Guard | None = None, key: tuple = ()) -> None:
    """sum(cells) ≤ limit, skipped when it cannot bind."""
    constant, free = _split(cells)
    if constant + len(free) <= limit:
        return
    if guard is not None and _guarded(model, guard, key, constant + len(free) - limit, free, constant,
                                      lambda slack: model.Add(cp_model.LinearExpr.Sum(free) - slack <= limit - constant)):
        return
    if limit - constant < 0:
        model.AddBoolOr([])  # already broken by fixed cells: infeasible
        return
    if limit - constant == 0:
        for c in free:
            model.Add(c == 0)
        return
    model.Add(cp_model.LinearExpr.Sum(free) <= limit - constant)


def _at_least(model: cp_model.CpModel, cells: list, limit: int, guard: Guard | None = None, key: tuple = ()) -> None:
    """sum(cells) ≥ limit, skipped when it cannot bind."""
    constant, free = _split(cells)
    if constant >= limit:
        return
    if _guarded(model, guard, key, limit - constant, free, constant,
                lambda slack: model.Add(cp_model.LinearExpr.Sum(free) + slack >= limit - constant)):
        return
    if constant + len(free) < limit:
        model.AddBoolOr([])
        return
    model.Add(cp_model.LinearExpr.Sum(free) >= limit - constant)


def _at_most_each_day(model: cp_model.CpModel, wfh: Variables, rows: np.ndarray, limits: np.ndarray,
                      days: np.ndarray) -> None:
    """Hard ``sum(cells of rows on d) ≤ limits[d]`` for each of ``days``: what _at_most adds one by
    one (the same constraints, in the same order), with the sums that cannot bind found for all the
    days at once (measured on generated 10,000's hardest parts: their models 20% sooner)."""
    if not len(days):
        return
    sub = wfh.fixed[np.ix_(rows, days)]
    constant = (sub == 1).sum(axis=0)
    free = sub == 2
    room = np.asarray(limits, dtype=np.int64)[days] - constant
    for j in np.flatnonzero(free.sum(axis=0) > room).tolist():
        if room[j] < 0:
            model.AddBoolOr([])         # already broken by fixed cells: infeasible
        elif room[j] == 0:
            for c in wfh.array[rows[free[:, j]], days[j]].tolist():
                model.Add(c == 0)
        else:
            _sum_at_most(model, wfh.index[rows[free[:, j]], days[j]].tolist(), int(room[j]))


def _sum_at_most(model: cp_model.CpModel, indices: list[int], most: int) -> None:
    """``model.Add(LinearExpr.Sum(variables) <= most)`` for these variable indices (add_linear)."""
    add_linear(model, indices, [1] * len(indices), NO_LOWER, most)


def leave(model, comp: ComponentData, wfh: Variables, guard: Guard | None = None) -> None:
    """Rule 1: an employee on leave has mode LEAVE; ensured by creating no cell on leave days."""


def essential(model, comp: ComponentData, wfh: Variables, guard: Guard | None = None) -> None:
    """Rule 2: essential staff and categories capped at 0 are WFO; ensured by fixing their cells to 0
    (``ProblemData.forced``)."""


def must_requests(model, comp: ComponentData, wfh: Variables, guard: Guard | None = None) -> None:
    """Rule 5: a must request fixes the mode of its days; ensured by fixing the cells
    (``ProblemData.forced``); contradictions are reported before the search. A guard's
    musts are constraints instead."""
    if guard is None:
        return
    for (e, d), modes in sorted(guard.musts.items()):
        if e not in wfh.local or wfh.cell(e, d) is None:
            continue
        for mode in sorted(modes):
            if mode == WFH:
                _at_least(model, [wfh.cell(e, d)], 1, guard, ("must", e, d, mode))
            else:
                _at_most(model, [wfh.cell(e, d)], 0, guard, ("must", e, d, mode))


def category_cap(model, comp: ComponentData, wfh: Variables, guard: Guard | None = None) -> None:
    """Rule 3: in every cap group and day, WFH ≤ floor(cap × present members)."""
    if guard is None:
        every_day = np.arange(comp.data.n_days)
        for group in comp.cap_groups:
            _at_most_each_day(model, wfh, wfh.rows(group.members), group.limit, every_day)
        return
    for group in comp.cap_groups:
        for d, limit in enumerate(group.limit):
            _at_most(model, wfh.cells(group.members, d), int(limit), guard, ("cap", group.key, d))


def team_coverage(model, comp: ComponentData, wfh: Variables, guard: Guard | None = None) -> None:
    """Rule 4: in every team and day, WFO ≥ max(min_onsite, ceil(ratio × present members))."""
    if guard is None:
        for team in comp.teams:
            need = np.asarray(team.need)
            _at_most_each_day(model, wfh, wfh.rows(team.members), np.asarray(team.present) - need,
                              np.flatnonzero(need > 0))
        return
    for team in comp.teams:
        for d, need in enumerate(team.need):
            if need > 0:
                _at_most(model, wfh.cells(team.members, d), int(team.present[d] - need), guard,
                         ("coverage", team.team, d))


def max_consecutive_wfh(model, comp: ComponentData, wfh: Variables, guard: Guard | None = None) -> None:
    """Rule 6: no more than k WFH in a row over an employee's present working days."""
    k = comp.data.max_consecutive_wfh
    if k is None:
        return
    # a window inside one ISO week is implied by rule 7 when that week lets at most k be at home
    # (hard rules only: an explanation names the window itself); measured on generated 60,000 with
    # max 3 consecutive WFH and 2 office days a week: 2 windows of every 5 go, and with the fast path
    # of _at_most and the windows that can bind found over each row at once, 300 parts' models take
    # 8.5 s instead of 13.9 s
    m = (comp.data.min_wfo_per_week or 0) if guard is None else 0
    if m:
        week_of = np.unique(comp.data.weeks, return_inverse=True)[1]
        present = wfh.present.astype(np.int64)
        per_week = present @ (week_of[:, None] == np.arange(week_of.max() + 1)[None, :])     # [n, W]
        few = per_week - np.minimum(m, per_week) <= k                                     # weeks rule 7 keeps ≤ k home
    for e in comp.members:
        i = wfh.local[int(e)]
        cells = wfh.days_of(int(e))
        days = np.flatnonzero(wfh.present[i])
        if len(days) <= k:
            continue
        # the windows that can bind, found over the row at once: none of its days fixed at the office,
        # and more than k of them free or fixed at home
        fixed = wfh.fixed[i, days]
        office = np.convolve(fixed == 0, np.ones(k + 1, dtype=np.int64), mode="valid")
        open_ = np.convolve(fixed != 0, np.ones(k + 1, dtype=np.int64), mode="valid")
        binds = (office == 0) & (open_ > k)
        if m:
            week = week_of[days]
            binds &= ~((week[:-k] == week[k:]) & few[i, week[:-k]])
        for start in np.flatnonzero(binds).tolist():
            window = cells[start:start + k + 1]
            key = ("consecutive", int(e), int(days[start]), int(days[start + k])) if guard is not None else ()
            _at_most(model, window, k, guard, key)


def min_wfo_per_week(model, comp: ComponentData, wfh: Variables, guard: Guard | None = None) -> None:
    """Rule 7: in every ISO week, WFO days ≥ min(m, present working days that week)."""
    m = comp.data.min_wfo_per_week
    if not m:
        return
    weeks = comp.data.weeks
    week_days = [(int(w), np.flatnonzero(weeks == w).tolist()) for w in np.unique(weeks)]
    if guard is None:
        # the weeks that can bind found for every row at once (the same constraints, in the same
        # order, as _at_most adds them one by one below)
        in_week = np.stack([weeks == w for w, _ in week_days], axis=1).astype(np.int64)    # [D, W]
        present = (wfh.fixed >= 0).astype(np.int64) @ in_week
        constant = (wfh.fixed == 1).astype(np.int64) @ in_week
        free = (wfh.fixed == 2).astype(np.int64) @ in_week
        room = present - np.minimum(m, present) - constant
        rows: dict[int, list[int]] = {}
        for i, w in zip(*np.nonzero(free > room)):
            days = week_days[w][1]
            if i not in rows:
                rows[i] = wfh.index[i].tolist()
            indices = [k for k in rows[i][days[0]:days[-1] + 1] if k >= 0]      # (a week's days are in a row)
            if room[i, w] < 0:
                model.AddBoolOr([])
            elif room[i, w] == 0:
                for c in wfh.array[i, days].tolist():
                    if _is_var(c) and c is not None:
                        model.Add(c == 0)
            else:
                _sum_at_most(model, indices, int(room[i, w]))
        return
    for e in comp.members:
        row = wfh.grid[wfh.local[int(e)]]
        for w, days in week_days:
            cells = [row[d] for d in days if row[d] is not None]
            _at_most(model, cells, len(cells) - min(m, len(cells)), guard, ("weekly", int(e), w))


def desks(model, comp: ComponentData, wfh: Variables, guard: Guard | None = None) -> None:
    """Rule 8: in every office and day, WFO ≤ desks (so WFH ≥ present − desks)."""
    for office in comp.offices:
        for d in range(comp.data.n_days):
            cells = wfh.cells(office.members, d)
            _at_least(model, cells, len(cells) - office.desks, guard, ("desks", office.office, d))


def team_days(model, comp: ComponentData, wfh: Variables, guard: Guard | None = None) -> dict:
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
                cells = wfh.cells(team.members, int(d))
                for c in cells:
                    if _is_var(c):
                        model.Add(flag + c <= 1)     # flag → c off, as a linear row (HiGHS reads only those)
                    elif c == 1:
                        model.Add(flag == 0)
                free = [c for c in cells if _is_var(c)]
                room = min(len(free), int(team.present[d] - team.need[d]))
                if guard is None and 0 < room:
                    # implied by the above with rule 4, but it gives the LP a far tighter bound: the
                    # team's WFH that day is at most its free places times (1 − flag)
                    model.Add(cp_model.LinearExpr.Sum(free) + room * flag <= room)
                chosen[(team.team, int(d))] = flag
                flags.append(flag)
            if not _guarded(model, guard, ("teamdays", team.team, int(w)), need, flags, 0,
                            lambda slack: model.Add(cp_model.LinearExpr.Sum(flags) + slack >= need)):
                model.Add(sum(flags) >= need)
    return chosen


def pairs(model, comp: ComponentData, wfh: Variables, guard: Guard | None = None) -> None:
    """Rule 10: a cover pair is never both WFH, a together pair has the same mode, when both are present."""
    for a, b, rule in comp.pairs:
        for d in range(comp.data.n_days):
            ca, cb = wfh.cell(a, d), wfh.cell(b, d)
            if ca is None or cb is None:
                continue
            key = ("pairs", a, b, d)
            if rule == "cover":
                _at_most(model, [ca, cb], 1, guard, key)
            elif guard is not None and (_is_var(ca) or _is_var(cb) or ca != cb):
                free = [c for c in (ca, cb) if _is_var(c)]
                hook = guard(model, key, 1, free, sum(c for c in (ca, cb) if not _is_var(c)))
                if hook is None:
                    model.Add(ca == cb) if free else model.AddBoolOr([])
                    continue
                enforce, slack = hook   # |ca − cb| ≤ slack
                for difference in (ca - cb, cb - ca):
                    constraint = model.Add(difference <= slack)
                    if enforce is not None:
                        constraint.OnlyEnforceIf(enforce)
            elif _is_var(ca) or _is_var(cb):
                model.Add(ca == cb)
            elif ca != cb:
                model.AddBoolOr([])


def add_constraints(model, comp: ComponentData, wfh: Variables, guard: Guard | None = None) -> dict:
    """Add every rule of SPEC §2, in order. Returns the team-day Booleans (rule 9).

    Without ``guard`` every rule is hard; see :class:`Guard` for what one changes.
    """
    leave(model, comp, wfh, guard)
    essential(model, comp, wfh, guard)
    category_cap(model, comp, wfh, guard)
    team_coverage(model, comp, wfh, guard)
    must_requests(model, comp, wfh, guard)
    max_consecutive_wfh(model, comp, wfh, guard)
    min_wfo_per_week(model, comp, wfh, guard)
    desks(model, comp, wfh, guard)
    chosen = team_days(model, comp, wfh, guard)
    pairs(model, comp, wfh, guard)
    return chosen
