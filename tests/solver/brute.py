"""A brute force for tiny instances: every schedule enumerated, SPEC §2 and §3 written again.

Independent of ``solver/``: it reads only the :class:`models.Instance` fields and
re-derives everything else (calendar lookups, phases, groups) from SPEC.md. All
arithmetic is exact: caps, ratios, km and weights become integers over a common
denominator; fairness is compared as exact fractions.

Schedules are boolean arrays ``wfh[schedule, employee, day]`` over the working
days; a cell is WFO when present and not WFH, LEAVE when not present.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from models import Instance

MAX_FREE = 18


# ---------------------------------------------------------------------------- instance writer
def write_instance(folder, employees: list[dict], *, window=("2023-09-04", "2023-09-08"),
                   categories: dict | None = None, phases: list[dict] | None = None,
                   cap_scope: str | None = None, rules: dict | None = None, objective: list | None = None,
                   extra_days_off: list | None = None, holidays: list | None = None,
                   teams: list[dict] | None = None, leave: list[dict] | None = None,
                   requests: list[dict] | None = None, offices: list[dict] | None = None,
                   pairs: list[dict] | None = None) -> Instance:
    """Write ``instance.yaml`` and CSV tables into ``folder`` and load them.

    Tables are lists of row dicts (a missing key or ``None`` is an empty cell);
    categories map an id to its cap (a string or number) or to ``{max_wfh: ...}``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    categories = categories or {"adm": "0.5"}
    cfg: dict = {
        "name": "brute",
        "window": {"start": str(window[0]), "end": str(window[1])},
        "holidays": [str(d) for d in (holidays or [])],
        "extra_days_off": [str(d) for d in (extra_days_off or [])],
        "categories": {c: ({"max_wfh": str(v["max_wfh"])} if isinstance(v, dict) else {"max_wfh": str(v)})
                       for c, v in categories.items()},
    }
    if phases:
        cfg["phases"] = [{"name": p["name"], "start": str(p["start"]), "end": str(p["end"]),
                          "max_wfh": {k: str(v) for k, v in p["max_wfh"].items()}} for p in phases]
    if cap_scope:
        cfg["cap_scope"] = cap_scope
    if rules:
        cfg["rules"] = dict(rules)
    if objective is not None:
        cfg["objective"] = list(objective)
    tables = {"employees": employees, "teams": teams, "leave": leave, "requests": requests,
              "offices": offices, "pairs": pairs}
    cfg["tables"] = {}
    for name, rows in tables.items():
        if rows is None:
            continue
        cfg["tables"][name] = f"{name}.csv"
        columns: list[str] = []
        for r in rows:
            columns += [k for k in r if k not in columns]
        df = pd.DataFrame([{k: ("" if r.get(k) is None else str(r[k])) for k in columns} for r in rows],
                          columns=columns or ["x"])
        df.to_csv(folder / f"{name}.csv", index=False)
    (folder / "instance.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return Instance.load(folder)


# ---------------------------------------------------------------------------- the calendar and data
@dataclass
class Tiny:
    """The instance as arrays over employees × working days."""

    inst: Instance
    days: list[dt.date]
    nips: list[str]
    present: np.ndarray                  # [E, D] bool
    cap: list[dict[str, Fraction]]       # per day: category -> cap
    no_wfh: np.ndarray                   # [E, D] bool: rule 2 (essential or cap 0)
    must: dict[tuple[int, int], set]     # (e, d) -> {"WFH", "WFO"}
    pref_wfh: dict[tuple[int, int], Fraction] = field(default_factory=dict)
    pref_wfo: dict[tuple[int, int], Fraction] = field(default_factory=dict)


def _working_days(inst: Instance) -> list[dt.date]:
    off = set(inst.holiday_dates) | set(inst.extra_days_off)
    assert inst.holiday_country is None, "the brute force takes explicit holiday lists only"
    out, d = [], inst.window_start
    while d <= inst.window_end:
        if d.weekday() in inst.workdays and d not in off:
            out.append(d)
        d += dt.timedelta(days=1)
    return out


def _cap(inst: Instance, category: str, day: dt.date) -> Fraction:
    value = inst.categories[category].max_wfh
    for phase in inst.phases:  # the last phase listing the category wins (§7.1)
        if phase.start <= day <= phase.end and category in phase.max_wfh:
            value = phase.max_wfh[category]
    return Fraction(value)


def tiny(inst: Instance) -> Tiny:
    days = _working_days(inst)
    assert days == list(inst.working_days)
    emps = inst.employees
    nips = [e.nip for e in emps]
    idx = {n: i for i, n in enumerate(nips)}
    E, D = len(emps), len(days)
    present = np.ones((E, D), dtype=bool)
    for lv in inst.leave:
        for d, day in enumerate(days):
            if lv.start <= day <= lv.end:
                present[idx[lv.nip], d] = False
    cap = [{c: _cap(inst, c, day) for c in inst.categories} for day in days]
    no_wfh = np.array([[e.essential or cap[d][e.category] == 0 for d in range(D)] for e in emps],
                      dtype=bool).reshape(E, D)
    t = Tiny(inst, days, nips, present, cap, no_wfh, {})
    for r in inst.requests:
        e = idx[r.nip]
        for d, day in enumerate(days):
            if not present[e, d]:
                continue
            if (r.date is not None and r.date == day) or (r.weekday is not None and r.weekday == day.weekday()):
                if r.strength == "must":
                    t.must.setdefault((e, d), set()).add(r.mode)
                else:
                    book = t.pref_wfh if r.mode == "WFH" else t.pref_wfo
                    book[(e, d)] = book.get((e, d), Fraction(0)) + Fraction(r.weight)
    return t


def forced(t: Tiny) -> tuple[np.ndarray, np.ndarray, bool]:
    """Cells fixed by rules 1, 2 and 5: (fixed [E,D], value_is_wfh [E,D], contradiction)."""
    fixed = ~t.present | t.no_wfh
    value = np.zeros_like(fixed)
    bad = False
    for (e, d), modes in t.must.items():
        if len(modes) > 1 or ("WFH" in modes and t.no_wfh[e, d]):
            bad = True
        fixed[e, d] = True
        value[e, d] = "WFH" in modes
    return fixed, value, bad


def free_cells(inst: Instance) -> int:
    fixed, _, _ = forced(tiny(inst))
    return int((~fixed).sum())


def enumerate_all(t: Tiny) -> np.ndarray:
    """Every schedule keeping rules 1, 2 and 5: ``wfh[N, E, D]``."""
    fixed, value, bad = forced(t)
    E, D = t.present.shape
    if bad:
        return np.zeros((0, E, D), dtype=bool)
    fe, fd = np.nonzero(~fixed)
    n = len(fe)
    assert n <= MAX_FREE, f"{n} free cells is too many for the brute force"
    bits = ((np.arange(2 ** n, dtype=np.int64)[:, None] >> np.arange(n)) & 1).astype(bool)
    wfh = np.broadcast_to(value & t.present, (2 ** n, E, D)).copy()
    wfh[:, fe, fd] = bits
    return wfh


# ---------------------------------------------------------------------------- SPEC §2 as array ops
def _members(t: Tiny, pred) -> np.ndarray:
    return np.array([i for i, e in enumerate(t.inst.employees) if pred(e)], dtype=np.int64)


def rule_leave_essential_must(t: Tiny, wfh: np.ndarray) -> np.ndarray:
    """Rules 1, 2, 5 (for schedules not built by :func:`enumerate_all`)."""
    ok = ~(wfh & ~t.present).any(axis=(1, 2))                    # 1: no WFH on leave days
    ok &= ~(wfh & t.no_wfh).any(axis=(1, 2))                     # 2
    for (e, d), modes in t.must.items():                         # 5
        for m in modes:
            ok &= wfh[:, e, d] == (m == "WFH")
    return ok


def rule_caps(t: Tiny, wfh: np.ndarray) -> np.ndarray:
    """Rule 3: per cap group and day, WFH ≤ floor(cap × present members) (essential staff included)."""
    inst = t.inst
    ok = np.ones(len(wfh), dtype=bool)

    def key(e):
        if inst.cap_scope == "unit":
            return ("unit", e.unit, e.category)
        if inst.cap_scope == "all":
            return ("all", e.category)
        return (("team", e.team) if e.team else ("unit", e.unit), e.category)

    groups: dict = {}
    for i, e in enumerate(inst.employees):
        groups.setdefault(key(e), []).append(i)
    for k, members in groups.items():
        cat = inst.employees[members[0]].category
        for d in range(len(t.days)):
            limit = math.floor(t.cap[d][cat] * int(t.present[members, d].sum()))
            ok &= wfh[:, members, d].sum(axis=1) <= limit
    return ok


def _team_members(t: Tiny, team: str) -> np.ndarray:
    return _members(t, lambda e: e.team == team)


def rule_team_coverage(t: Tiny, wfh: np.ndarray) -> np.ndarray:
    """Rule 4: WFO members ≥ max(min_onsite, ceil(ratio × present members))."""
    ok = np.ones(len(wfh), dtype=bool)
    for team in t.inst.teams:
        m = _team_members(t, team.team)
        for d in range(len(t.days)):
            p = int(t.present[m, d].sum()) if len(m) else 0
            need = max(team.min_onsite, math.ceil(Fraction(team.min_onsite_ratio) * p))
            wfo = (t.present[m, d][None, :] & ~wfh[:, m, d]).sum(axis=1) if len(m) else np.zeros(len(wfh))
            ok &= wfo >= need
    return ok


def rule_max_consecutive(t: Tiny, wfh: np.ndarray) -> np.ndarray:
    """Rule 6: over an employee's present working days in order, no run of more than k WFH."""
    k = t.inst.rules.max_consecutive_wfh
    ok = np.ones(len(wfh), dtype=bool)
    if k is None:
        return ok
    for e in range(len(t.nips)):
        pd_ = np.flatnonzero(t.present[e])
        for s in range(len(pd_) - k):
            ok &= ~wfh[:, e, pd_[s:s + k + 1]].all(axis=1)
    return ok


def _weeks(t: Tiny) -> dict:
    weeks: dict = {}
    for d, day in enumerate(t.days):
        weeks.setdefault(day.isocalendar()[:2], []).append(d)
    return weeks


def rule_min_wfo_week(t: Tiny, wfh: np.ndarray) -> np.ndarray:
    """Rule 7: per ISO week, WFO days ≥ min(m, present working days that week)."""
    m = t.inst.rules.min_wfo_per_week
    ok = np.ones(len(wfh), dtype=bool)
    if m is None:
        return ok
    for days in _weeks(t).values():
        for e in range(len(t.nips)):
            p = t.present[e, days]
            wfo = (p[None, :] & ~wfh[:, e, days]).sum(axis=1)
            ok &= wfo >= min(m, int(p.sum()))
    return ok


def rule_desks(t: Tiny, wfh: np.ndarray) -> np.ndarray:
    """Rule 8: WFO employees of an office ≤ its desks."""
    ok = np.ones(len(wfh), dtype=bool)
    for office in t.inst.offices:
        m = _members(t, lambda e: e.office == office.office)
        if not len(m):
            continue
        wfo = t.present[None, m, :] & ~wfh[:, m, :]
        ok &= (wfo.sum(axis=1) <= office.desks).all(axis=1)
    return ok


def rule_team_days(t: Tiny, wfh: np.ndarray) -> np.ndarray:
    """Rule 9: per ISO week, ≥ min(k, W) (listed-weekday) days with every present member WFO."""
    ok = np.ones(len(wfh), dtype=bool)
    for team in t.inst.teams:
        k = team.team_days_per_week
        if not k:
            continue
        m = _team_members(t, team.team)
        for days in _weeks(t).values():
            cand = [d for d in days if not team.team_days or t.days[d].weekday() in team.team_days]
            if not cand:
                continue
            if len(m):
                all_in = ~(wfh[:, m, :][:, :, cand]).any(axis=1)  # nobody WFH (leave: never WFH)
                hits = all_in.sum(axis=1)
            else:
                hits = np.full(len(wfh), len(cand))
            ok &= hits >= min(k, len(cand))
    return ok


def rule_pairs(t: Tiny, wfh: np.ndarray) -> np.ndarray:
    """Rule 10: cover = never both WFH when both present; together = same mode when both present."""
    ok = np.ones(len(wfh), dtype=bool)
    idx = {n: i for i, n in enumerate(t.nips)}
    for pair in t.inst.pairs:
        a, b = idx[pair.nip_a], idx[pair.nip_b]
        both = t.present[a] & t.present[b]
        if pair.rule == "cover":
            ok &= ~(wfh[:, a, :] & wfh[:, b, :] & both).any(axis=1)
        else:
            ok &= ~((wfh[:, a, :] != wfh[:, b, :]) & both).any(axis=1)
    return ok


RULES = (rule_leave_essential_must, rule_caps, rule_team_coverage, rule_max_consecutive,
         rule_min_wfo_week, rule_desks, rule_team_days, rule_pairs)


def feasible(t: Tiny, wfh: np.ndarray) -> np.ndarray:
    ok = np.ones(len(wfh), dtype=bool)
    for rule in RULES:
        if not ok.any():
            break
        ok &= rule(t, wfh)
    return ok


# ---------------------------------------------------------------------------- SPEC §3 exactly
def _common(values) -> int:
    return math.lcm(1, *[Fraction(v).denominator for v in values])


def goal_scores(t: Tiny, wfh: np.ndarray, goal: str) -> tuple[np.ndarray, int, bool]:
    """Integer numerators (one per schedule), their common denominator, and whether larger is better."""
    present = t.present[None]
    wfo = present & ~wfh
    if goal == "wfh":
        return wfh.sum(axis=(1, 2)).astype(np.int64), 1, True
    if goal == "wfh_km":
        km = [2 * Fraction(e.commute_km) for e in t.inst.employees]
        den = _common(km)
        per = np.array([int(k * den) for k in km], dtype=np.int64)
        return (wfh.sum(axis=2).astype(np.int64) * per[None]).sum(axis=1), den, True
    if goal == "preferences":
        den = _common(list(t.pref_wfh.values()) + list(t.pref_wfo.values()))
        score = np.zeros(len(wfh), dtype=np.int64)
        for (e, d), w in t.pref_wfh.items():
            score += wfh[:, e, d].astype(np.int64) * int(w * den)
        for (e, d), w in t.pref_wfo.items():
            score += wfo[:, e, d].astype(np.int64) * int(w * den)
        return score, den, True
    if goal == "fairness":
        return (*_fairness(t, wfh), False)
    raise ValueError(goal)


def _fairness(t: Tiny, wfh: np.ndarray) -> tuple[np.ndarray, int]:
    """Max over unit × category groups of max_e |W_e − p_e·W_g/P_g|, as numerators over lcm(P_g)."""
    counted: dict = {}
    for i, e in enumerate(t.inst.employees):
        if not e.essential and any(t.cap[d][e.category] > 0 for d in range(len(t.days))):
            counted.setdefault((e.unit, e.category), []).append(i)
    p = t.present.sum(axis=1).astype(np.int64)
    groups = [(m, int(p[m].sum())) for m in counted.values()]
    groups = [(m, P) for m, P in groups if P > 0]
    den = math.lcm(1, *[P for _, P in groups])
    best = np.zeros(len(wfh), dtype=np.int64)
    for m, P in groups:
        W_e = wfh[:, m, :].sum(axis=2).astype(np.int64)            # [N, |g|]
        W_g = W_e.sum(axis=1, keepdims=True)
        dev = np.abs(W_e * P - p[m][None, :] * W_g) * (den // P)  # dev_e × den
        best = np.maximum(best, dev.max(axis=1))
    return best, den


# ---------------------------------------------------------------------------- the lexicographic optimum
@dataclass
class Optimum:
    tiny: Tiny
    n_schedules: int                      # schedules keeping rules 1, 2, 5
    n_feasible: int
    values: dict[str, Fraction]           # goal -> optimal value (lexicographic)
    optima: np.ndarray                    # wfh[K, E, D] of every lexicographic optimum

    @property
    def feasible(self) -> bool:
        return self.n_feasible > 0


def optimum(inst: Instance) -> Optimum:
    """Enumerate every schedule, keep the feasible ones, and narrow goal by goal in objective order."""
    t = tiny(inst)
    wfh = enumerate_all(t)
    n = len(wfh)
    wfh = wfh[feasible(t, wfh)]
    n_feasible = len(wfh)
    values: dict[str, Fraction] = {}
    if n_feasible:
        for goal in inst.objective:
            num, den, maximize = goal_scores(t, wfh, goal)
            best = num.max() if maximize else num.min()
            values[goal] = Fraction(int(best), den)
            wfh = wfh[num == best]
    return Optimum(t, n, n_feasible, values, wfh)


def schedule_to_wfh(t: Tiny, schedule: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """A solver schedule as ``wfh[E, D]``, with any shape problems (rows, leave) as messages."""
    problems = []
    E, D = t.present.shape
    wfh = np.zeros((E, D), dtype=bool)
    seen = np.zeros((E, D), dtype=np.int64)
    idx = {n: i for i, n in enumerate(t.nips)}
    day_idx = {d: i for i, d in enumerate(t.days)}
    for nip, date, mode in schedule[["nip", "date", "mode"]].itertuples(index=False):
        if isinstance(date, pd.Timestamp):
            date = date.date()
        e, d = idx.get(str(nip)), day_idx.get(date)
        if e is None or d is None:
            problems.append(f"row for unknown employee/day {nip} {date}")
            continue
        seen[e, d] += 1
        if (mode == "LEAVE") != (not t.present[e, d]):
            problems.append(f"{nip} {date}: {mode} but present={t.present[e, d]}")
        wfh[e, d] = mode == "WFH"
    if (seen != 1).any():
        problems.append(f"cells without exactly one row: {np.argwhere(seen != 1).tolist()}")
    return wfh, problems


def judge(opt: Optimum, schedule: pd.DataFrame) -> list[str]:
    """Why a schedule is not among the brute force's lexicographic optima (empty when it is)."""
    t = opt.tiny
    wfh, problems = schedule_to_wfh(t, schedule)
    batch = wfh[None]
    for rule in RULES:
        if not rule(t, batch)[0]:
            problems.append(f"breaks {rule.__name__}")
    for goal, best in opt.values.items():
        num, den, _ = goal_scores(t, batch, goal)
        got = Fraction(int(num[0]), den)
        if got != best:
            problems.append(f"{goal} = {got} in the schedule, optimum {best}")
    return problems
