"""The independent checker: a roster against the rules of SPEC §2, and its §3 figures.

It is the project's safety net, so it shares no logic with the CP-SAT model
builder: it reads only the instance's data (phases are resolved here again, not
through ``Instance.cap``) and counts in plain numpy/pandas over a dense
employee × working-day matrix of modes.

Presence in rules 2–10 and in the figures is read from the roster itself
(``WFH`` or ``WFO``); rule 1 alone compares the roster's ``LEAVE`` with the
leave table, so one wrong leave day is one violation rather than a cascade.
Violations are counted as SPEC §7.9 says.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Iterator

import numpy as np
import pandas as pd

from models.instance import Instance

RULE_NAMES = {0: "roster", 1: "leave", 2: "essential", 3: "cap", 4: "coverage", 5: "must",
              6: "consecutive", 7: "weekly", 8: "desks", 9: "teamdays", 10: "pairs"}

MISSING, WFH, WFO, LEAVE, BAD = 0, 1, 2, 3, 4
_CODE = {"WFH": WFH, "WFO": WFO, "LEAVE": LEAVE, "CUTI": LEAVE}
_MODE = {WFH: "WFH", WFO: "WFO", LEAVE: "LEAVE"}
_INT64_SAFE = 2**62


@dataclass(slots=True)
class Violation:
    """One broken rule, with where it is broken and a sentence a planner understands."""

    rule: int
    rule_name: str
    date: dt.date | None
    unit: str | None
    category: str | None
    team: str | None
    employee: str | None  # a nip, 'a+b' for a pair, None for a group rule
    limit: int | None
    actual: int | None
    message: str
    office: str | None = None
    week: str | None = None  # ISO week, e.g. "2023-W36"

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["date"] = self.date.isoformat() if self.date else None
        return d


@dataclass
class CheckResult:
    """What :func:`check` finds: the violations and the roster's §3 figures."""

    violations: list[Violation] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.violations

    def counts(self) -> dict[str, int]:
        """Violations per rule name, every rule listed (0 when kept)."""
        out = {name: 0 for name in RULE_NAMES.values()}
        for v in self.violations:
            out[v.rule_name] += 1
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "counts": self.counts(), "figures": self.figures,
                "violations": [v.as_dict() for v in self.violations]}


def check(instance: Instance, roster: pd.DataFrame) -> CheckResult:
    """Check a roster against every rule of SPEC §2 and compute its §3 figures.

    Parameters
    ----------
    instance
        The instance the roster is for.
    roster
        A DataFrame with columns ``nip``, ``date`` and ``mode`` (as :func:`models.roster.read_roster`
        returns, or a solver's schedule).

    Returns
    -------
    CheckResult
        Violations in rule order (rule 0, ``roster``, for structural problems: a missing
        employee-day, a mode on a non-working day, an unknown nip, a repeated or unreadable row).
    """
    grid = _Grid(instance, roster)
    violations = list(grid.structure)
    for rule in (_leave, _essential, _cap, _coverage, _must, _consecutive, _weekly, _desks, _teamdays, _pairs):
        violations.extend(rule(grid))
    return CheckResult(violations=violations, figures=_figures(grid))


def figures(instance: Instance, roster: pd.DataFrame) -> dict[str, Any]:
    """The SPEC §3/§4 figures of a roster (the ``kpis`` of ``report.json``, plus ``wfh_km``)."""
    return _figures(_Grid(instance, roster))


# ---------------------------------------------------------------------------- the roster as a matrix
class _Grid:
    """The roster as an employee × working-day matrix of mode codes, and the instance's lookups."""

    def __init__(self, inst: Instance, roster: pd.DataFrame):
        self.inst = inst
        self.days = tuple(inst.working_days)
        self.employees = inst.employees
        self.nips = [e.nip for e in self.employees]
        self.emp_index = {nip: i for i, nip in enumerate(self.nips)}
        self.day_index = {d: i for i, d in enumerate(self.days)}
        E, D = len(self.employees), len(self.days)
        self.mode = np.zeros((E, D), dtype=np.int8)
        self.structure: list[Violation] = []
        self._read(roster)
        self.wfh = self.mode == WFH
        self.wfo = self.mode == WFO
        self.on_leave_in_roster = self.mode == LEAVE
        self.present = self.wfh | self.wfo

        self.unit = [e.unit for e in self.employees]
        self.category = [e.category for e in self.employees]
        self.team = [e.team for e in self.employees]
        self.category_ids = list(inst.categories)
        category_pos = {c: k for k, c in enumerate(self.category_ids)}
        self.emp_category = np.array([category_pos[c] for c in self.category], dtype=np.int64)
        self.essential = np.array([e.essential for e in self.employees], dtype=bool)
        self.caps = self._caps()

        weeks = [f"{d.isocalendar().year}-W{d.isocalendar().week:02d}" for d in self.days]
        self.week_labels = list(dict.fromkeys(weeks))
        week_pos = {w: k for k, w in enumerate(self.week_labels)}
        self.day_week = np.array([week_pos[w] for w in weeks], dtype=np.int64)
        self.week_of_day = np.zeros((D, len(self.week_labels)), dtype=np.int64)
        self.week_of_day[np.arange(D), self.day_week] = 1

    # --------------------------------------------------------------- reading
    def _read(self, roster: pd.DataFrame) -> None:
        """Fill the mode matrix; what does not fit in it becomes a rule-0 violation."""
        missing_cols = [c for c in ("nip", "date", "mode") if c not in roster.columns]
        if missing_cols:
            raise ValueError(f"roster lacks column(s) {', '.join(missing_cols)}")
        D = len(self.days)
        nip_codes, nip_uniques = pd.factorize(roster["nip"].astype(str).to_numpy(dtype=object))
        date_codes, date_uniques = pd.factorize(roster["date"].to_numpy(dtype=object))
        mode_codes, mode_uniques = pd.factorize(roster["mode"].to_numpy(dtype=object), use_na_sentinel=False)

        emp_of = np.array([self.emp_index.get(n, -1) for n in nip_uniques], dtype=np.int64)
        dates = [_as_date(v) for v in date_uniques]
        day_of = np.array([self.day_index.get(d, -1) if d else -1 for d in dates], dtype=np.int64)
        code_of = np.array([_mode_code(v) for v in mode_uniques], dtype=np.int8)
        row_emp = emp_of[nip_codes] if len(roster) else np.zeros(0, dtype=np.int64)
        row_day = day_of[date_codes] if len(roster) else np.zeros(0, dtype=np.int64)
        row_code = code_of[mode_codes] if len(roster) else np.zeros(0, dtype=np.int8)
        given = row_code != MISSING  # a blank mode is no row at all

        rows_per_nip = np.bincount(nip_codes[given], minlength=len(nip_uniques)) if len(roster) else []
        for nip, k, n in zip(nip_uniques, emp_of.tolist(), list(rows_per_nip)):
            if k < 0 and n:
                self.structure.append(_roster_violation(
                    None, nip, f"nip {nip} is not an employee of the instance ({n} roster rows)"))
        known = given & (row_emp >= 0)
        bad_date = known & np.isin(date_codes, [k for k, d in enumerate(dates) if d is None])
        for i in np.flatnonzero(bad_date):
            self.structure.append(_roster_violation(
                None, self.nips[row_emp[i]], f"employee {self.nips[row_emp[i]]} has a row whose date "
                f"{date_uniques[date_codes[i]]!r} is not a date"))
        off_day = known & ~bad_date & (row_day < 0)
        if off_day.any():
            pairs = pd.DataFrame({"e": row_emp[off_day], "d": date_codes[off_day]}).drop_duplicates()
            for e, d in pairs.itertuples(index=False):
                day = dates[d]
                self.structure.append(_roster_violation(
                    day, self.nips[e], f"employee {self.nips[e]} has a mode on {day}, which is not a working "
                    "day of the window (a schedule gives nothing on other days)", self.employees[e]))

        on_grid = known & (row_day >= 0)
        cell = row_emp[on_grid] * D + row_day[on_grid]
        codes = row_code[on_grid]
        if len(cell) and np.bincount(cell).max() <= 1:    # one row a cell (a solver's roster): no sort needed
            self.mode.flat[cell] = codes
            cells, repeats = cell, np.ones(len(cell), dtype=np.int64)
        else:                                        # a cell's first row counts; the others are reported
            cells, first, repeats = np.unique(cell, return_index=True, return_counts=True)
            self.mode.flat[cells] = codes[first]
        for c, n in zip(cells[repeats > 1], repeats[repeats > 1]):
            e, d = divmod(int(c), D)
            self.structure.append(_roster_violation(
                self.days[d], self.nips[e], f"employee {self.nips[e]} has {int(n)} rows "
                f"for {self.days[d]}; a schedule gives one mode per day", self.employees[e]))
        bad_mode = np.flatnonzero(on_grid)[codes == BAD]
        for i in bad_mode:
            e, d = row_emp[i], row_day[i]
            self.structure.append(_roster_violation(
                self.days[d], self.nips[e], f"employee {self.nips[e]} has mode "
                f"{roster['mode'].iloc[i]!r} on {self.days[d]}; expected WFH, WFO or LEAVE", self.employees[e]))
        for e, d in self.employee_day(self.mode == MISSING):
            self.structure.append(_roster_violation(
                self.days[d], self.nips[e], f"employee {self.nips[e]} has no mode on {self.days[d]}, a working "
                "day", self.employees[e]))

    # --------------------------------------------------------------- lookups
    def _caps(self) -> list[list[Decimal]]:
        """caps[category][day]: the last phase in the file listing the category wins, else the default (SPEC §7.1)."""
        table = []
        for cid in self.category_ids:
            row = []
            for day in self.days:
                listing = [p for p in self.inst.phases if p.start <= day <= p.end and cid in p.max_wfh]
                row.append(listing[-1].max_wfh[cid] if listing else self.inst.categories[cid].max_wfh)
            table.append(row)
        return table

    def group_sum(self, labels: np.ndarray, n_groups: int, matrix: np.ndarray) -> np.ndarray:
        """Per group (rows of ``labels``, -1 = none) and day, the sum of ``matrix`` over members."""
        out = np.zeros((n_groups, matrix.shape[1]), dtype=np.int64)
        member = labels >= 0
        if member.any() and matrix.shape[1]:
            sums = pd.DataFrame(matrix[member].astype(np.int64)).groupby(labels[member]).sum()
            out[sums.index.to_numpy()] = sums.to_numpy()
        return out

    def employee_day(self, mask: np.ndarray) -> Iterator[tuple[int, int]]:
        emp, day = np.nonzero(mask)
        return zip(emp.tolist(), day.tolist())


def _as_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value).date()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def _mode_code(value) -> int:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return MISSING
    text = str(value).strip().upper()
    if text == "":
        return MISSING
    return _CODE.get(text, BAD)


def _roster_violation(day, employee, message, emp=None) -> Violation:
    return Violation(0, "roster", day, emp.unit if emp else None, emp.category if emp else None,
                     emp.team if emp else None, employee, None, None, message)


def _employee_violation(g: _Grid, rule: int, e: int, d: int | None, message: str, *, limit=None, actual=None,
                        week=None) -> Violation:
    emp = g.employees[e]
    return Violation(rule, RULE_NAMES[rule], g.days[d] if d is not None else None, emp.unit, emp.category, emp.team,
                     emp.nip, limit, actual, message, week=week)


# ---------------------------------------------------------------------------- exact arithmetic
def _ratio_parts(values) -> tuple[np.ndarray, np.ndarray]:
    """Numerators and denominators of exact decimals (0.57 -> 57/100)."""
    fractions = [Fraction(v) for v in values]
    return (np.array([f.numerator for f in fractions], dtype=object),
            np.array([f.denominator for f in fractions], dtype=object))


def _floor_times(num: np.ndarray, den: np.ndarray, count: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """floor(num/den × count), exact: integers only, never a binary float.

    ``num`` and ``den`` broadcast against ``count``; with ``rows`` they are first indexed by it
    (one row of ratios per kind, e.g. per category, shared by many groups).
    """
    top = max(abs(int(x)) for x in np.ravel(num)) if num.size else 0
    bottom = max(int(x) for x in np.ravel(den)) if den.size else 1
    largest = int(count.max()) if count.size else 0
    if (top + bottom) * (largest + 1) < _INT64_SAFE:
        num, den = num.astype(np.int64), den.astype(np.int64)
        if rows is not None:
            num, den = num[rows], den[rows]
        return (num * count) // den
    if rows is not None:
        num, den = num[rows], den[rows]
    return np.array((num * count.astype(object)) // den, dtype=np.int64)


def _ceil_times(num: np.ndarray, den: np.ndarray, count: np.ndarray) -> np.ndarray:
    """ceil(num/den × count), exact."""
    return -_floor_times(-num, den, count)


def _percent(cap: Decimal) -> str:
    text = f"{(cap * 100).normalize():f}"
    return f"{text}%"


# ---------------------------------------------------------------------------- the rules of SPEC §2
def _leave(g: _Grid) -> Iterator[Violation]:
    """Rule 1: mode is LEAVE exactly on the employee's leave days."""
    on_leave = _leave_matrix(g)
    given = (g.mode != MISSING) & (g.mode != BAD)
    for e, d in g.employee_day(given & on_leave & ~g.on_leave_in_roster):
        yield _employee_violation(g, 1, e, d, f"employee {g.nips[e]} is on leave on {g.days[d]} but the roster "
                                  f"says {_MODE[int(g.mode[e, d])]}")
    for e, d in g.employee_day(given & ~on_leave & g.on_leave_in_roster):
        yield _employee_violation(g, 1, e, d, f"employee {g.nips[e]} has no leave on {g.days[d]} but the roster "
                                  "says LEAVE")


def _leave_matrix(g: _Grid) -> np.ndarray:
    """Employee × day: on leave according to the leave table (overlapping leave is fine)."""
    E, D = g.mode.shape
    if not g.inst.leave or not D:
        return np.zeros((E, D), dtype=bool)
    day_numbers = np.array([d.toordinal() for d in g.days], dtype=np.int64)
    emp = np.array([g.emp_index[lv.nip] for lv in g.inst.leave], dtype=np.int64)
    first = np.searchsorted(day_numbers, [lv.start.toordinal() for lv in g.inst.leave], side="left")
    after = np.searchsorted(day_numbers, [lv.end.toordinal() for lv in g.inst.leave], side="right")
    edges = np.zeros((E, D + 1), dtype=np.int64)
    np.add.at(edges, (emp, first), 1)
    np.add.at(edges, (emp, after), -1)
    return np.cumsum(edges, axis=1)[:, :D] > 0


def _essential(g: _Grid) -> Iterator[Violation]:
    """Rule 2: essential staff, and everyone of a category capped at 0 that day, are WFO when present."""
    zero_cap = np.array([[cap == 0 for cap in row] for row in g.caps], dtype=bool).reshape(len(g.caps), len(g.days))
    must_be_on_site = g.essential[:, None] | zero_cap[g.emp_category]
    for e, d in g.employee_day(must_be_on_site & g.wfh):
        if g.essential[e]:
            why = f"employee {g.nips[e]} is essential and must be WFO when present"
        else:
            why = f"employee {g.nips[e]} is of category {g.category[e]}, whose WFH cap that day is 0"
        yield _employee_violation(g, 2, e, d, f"{why}; the roster says WFH on {g.days[d]}")


def _cap_groups(g: _Grid) -> tuple[np.ndarray, list[tuple[str | None, str | None, str, str]]]:
    """Each employee's cap group (SPEC §2.3, §7.3) and, per group, (unit, team, category, description)."""
    scope = g.inst.cap_scope
    keys, info = [], {}
    for unit, team, cat in zip(g.unit, g.team, g.category):
        if scope == "all":
            key, what = ("all", cat), (None, None, cat, f"category {cat}")
        elif scope == "team" and team is not None:
            key, what = ("team", team, cat), (unit, team, cat, f"team {team} (unit {unit}), category {cat}")
        elif scope == "team":
            key, what = ("unit", unit, cat), (unit, None, cat, f"unit {unit} staff without a team, category {cat}")
        else:
            key, what = ("unit", unit, cat), (unit, None, cat, f"unit {unit}, category {cat}")
        keys.append(key)
        info.setdefault(key, what)
    index = {key: k for k, key in enumerate(info)}
    return np.array([index[k] for k in keys], dtype=np.int64), list(info.values())


def _cap(g: _Grid) -> Iterator[Violation]:
    """Rule 3: per cap group and day, WFH ≤ floor(cap × present members), essential staff counted present."""
    labels, groups = _cap_groups(g)
    if not groups or not g.days:
        return
    at_home = g.group_sum(labels, len(groups), g.wfh)
    present = g.group_sum(labels, len(groups), g.present)
    category_pos = {c: k for k, c in enumerate(g.category_ids)}
    group_category = np.array([category_pos[cat] for _, _, cat, _ in groups], dtype=np.int64)
    num, den = _ratio_parts([cap for row in g.caps for cap in row])
    num = num.reshape(len(g.caps), len(g.days))
    den = den.reshape(len(g.caps), len(g.days))
    limit = _floor_times(num, den, present, rows=group_category)
    percent = [[_percent(cap) for cap in row] for row in g.caps]
    over_group, over_day = np.nonzero(at_home > limit)
    for k, d, n, p, m in zip(over_group.tolist(), over_day.tolist(), at_home[over_group, over_day].tolist(),
                             present[over_group, over_day].tolist(), limit[over_group, over_day].tolist()):
        unit, team, cat, where = groups[k]
        yield Violation(3, "cap", g.days[d], unit, cat, team, None, m, n,
                        f"{where}: {n} of {p} present are WFH on {g.days[d]}; the cap of "
                        f"{percent[group_category[k]][d]} allows at most {m}")


def _team_labels(g: _Grid) -> np.ndarray:
    pos = {t.team: k for k, t in enumerate(g.inst.teams)}
    return np.array([pos[t] if t is not None else -1 for t in g.team], dtype=np.int64)


def _coverage(g: _Grid) -> Iterator[Violation]:
    """Rule 4: per team and day, WFO members ≥ max(min_onsite, ceil(min_onsite_ratio × present members))."""
    teams = g.inst.teams
    if not teams or not g.days:
        return
    labels = _team_labels(g)
    on_site = g.group_sum(labels, len(teams), g.wfo)
    present = g.group_sum(labels, len(teams), g.present)
    away = g.group_sum(labels, len(teams), g.on_leave_in_roster)
    num, den = _ratio_parts([t.min_onsite_ratio for t in teams])
    need = _ceil_times(num[:, None], den[:, None], present)
    need = np.maximum(need, np.array([t.min_onsite for t in teams], dtype=np.int64)[:, None])
    for k, d in zip(*np.nonzero(on_site < need)):
        team = teams[k]
        yield Violation(4, "coverage", g.days[d], team.unit, None, team.team, None, int(need[k, d]),
                        int(on_site[k, d]), f"team {team.team} needs {need[k, d]} on site on {g.days[d]}; "
                        f"{on_site[k, d]} are WFO ({away[k, d]} on leave)")


def _request_days(g: _Grid, strength: str) -> pd.DataFrame:
    """Requests of one strength as one row per working day they cover: employee, day, mode, weight."""
    rows = [(g.emp_index[r.nip], r.date, r.weekday, _CODE[r.mode], r.weight)
            for r in g.inst.requests if r.strength == strength]
    columns = ["employee", "day", "mode", "weight"]
    if not rows or not g.days:
        return pd.DataFrame(columns=columns)
    requests = pd.DataFrame(rows, columns=["employee", "date", "weekday", "mode", "weight"])
    calendar = pd.DataFrame({"day": np.arange(len(g.days)), "date": list(g.days),
                             "weekday": [d.weekday() for d in g.days]})
    dated = requests[requests["date"].notna()].drop(columns="weekday").merge(calendar.drop(columns="weekday"),
                                                                          on="date")
    weekly = requests[requests["date"].isna()].drop(columns="date").merge(calendar.drop(columns="date"),
                                                                        on="weekday")
    return pd.concat([dated[columns], weekly[columns]], ignore_index=True)


def _must(g: _Grid) -> Iterator[Violation]:
    """Rule 5: a must request fixes the mode on its days, unless on leave."""
    musts = _request_days(g, "must")
    if musts.empty:
        return
    e = musts["employee"].to_numpy(dtype=np.int64)
    d = musts["day"].to_numpy(dtype=np.int64)
    wanted = musts["mode"].to_numpy(dtype=np.int8)
    broken = g.present[e, d] & (g.mode[e, d] != wanted)
    seen = set()
    for i in np.flatnonzero(broken):
        key = (int(e[i]), int(d[i]))
        if key in seen:  # one violation per employee and day, however many musts it breaks
            continue
        seen.add(key)
        yield _employee_violation(g, 5, key[0], key[1], f"employee {g.nips[key[0]]} must be "
                                  f"{_MODE[int(wanted[i])]} on {g.days[key[1]]}; the roster says "
                                  f"{_MODE[int(g.mode[key])]}")


def _consecutive(g: _Grid) -> Iterator[Violation]:
    """Rule 6: no run of more than max_consecutive_wfh WFH days over the employee's present working days."""
    limit = g.inst.rules.max_consecutive_wfh
    if limit is None:
        return
    # the present cells in employee-then-day order: leave and days off drop out, so they neither break nor extend
    emp, day = np.nonzero(g.present)
    if not len(emp):
        return
    home = g.wfh[emp, day]
    starts = np.r_[True, (emp[1:] != emp[:-1]) | (home[1:] != home[:-1])]
    run_start = np.flatnonzero(starts)
    run_end = np.r_[run_start[1:], len(emp)] - 1
    length = run_end - run_start + 1
    too_long = home[run_start] & (length > limit)
    for e, first, last, n in zip(emp[run_start[too_long]].tolist(), day[run_start[too_long]].tolist(),
                                 day[run_end[too_long]].tolist(), length[too_long].tolist()):
        yield _employee_violation(g, 6, e, first, f"employee {g.nips[e]} is WFH {n} working days in a row, from "
                                  f"{g.days[first]} to {g.days[last]}; at most {limit} allowed", limit=limit, actual=n)


def _weekly(g: _Grid) -> Iterator[Violation]:
    """Rule 7: per ISO week, WFO days ≥ min(min_wfo_per_week, present working days that week)."""
    minimum = g.inst.rules.min_wfo_per_week
    if not minimum or not g.days:
        return
    on_site = g.wfo.astype(np.int64) @ g.week_of_day
    present = g.present.astype(np.int64) @ g.week_of_day
    need = np.minimum(minimum, present)
    emp, week_pos = np.nonzero(on_site < need)
    for e, w, m, p, n in zip(emp.tolist(), week_pos.tolist(), need[emp, week_pos].tolist(),
                             present[emp, week_pos].tolist(), on_site[emp, week_pos].tolist()):
        week = g.week_labels[w]
        yield _employee_violation(g, 7, e, None, f"employee {g.nips[e]} needs {m} WFO days in week {week} "
                                  f"({p} present); the roster has {n}", limit=m, actual=n, week=week)


def _desks(g: _Grid) -> Iterator[Violation]:
    """Rule 8: per office and day, WFO employees of that office ≤ its desks."""
    offices = g.inst.offices
    if not offices or not g.days:
        return
    pos = {o.office: k for k, o in enumerate(offices)}
    labels = np.array([pos[e.office] if e.office is not None else -1 for e in g.employees], dtype=np.int64)
    on_site = g.group_sum(labels, len(offices), g.wfo)
    desks = np.array([o.desks for o in offices], dtype=np.int64)[:, None]
    for k, d in zip(*np.nonzero(on_site > desks)):
        office = offices[k]
        yield Violation(8, "desks", g.days[d], None, None, None, None, office.desks, int(on_site[k, d]),
                        f"office {office.office} has {office.desks} desks but {on_site[k, d]} of its employees "
                        f"are WFO on {g.days[d]}", office=office.office)


def _teamdays(g: _Grid) -> Iterator[Violation]:
    """Rule 9: per team and ISO week, at least min(k, candidate days) days with all present members WFO.

    Candidate days are the week's working days, or only those on the team's listed weekdays.
    A day with no member present counts as a team day.
    """
    teams = g.inst.teams
    if not teams or not g.days:
        return
    labels = _team_labels(g)
    together = g.group_sum(labels, len(teams), g.wfh) == 0
    weekday = np.array([d.weekday() for d in g.days])
    for k, team in enumerate(teams):
        per_week = team.team_days_per_week or 0
        if per_week <= 0:
            continue
        candidate = np.isin(weekday, team.team_days) if team.team_days else np.ones(len(g.days), dtype=bool)
        available = candidate.astype(np.int64) @ g.week_of_day
        held = (candidate & together[k]).astype(np.int64) @ g.week_of_day
        need = np.minimum(per_week, available)
        for w in np.flatnonzero(held < need):
            week = g.week_labels[w]
            yield Violation(9, "teamdays", None, team.unit, None, team.team, None, int(need[w]), int(held[w]),
                            f"team {team.team} needs {need[w]} team days (all present members WFO) in week {week}; "
                            f"the roster has {held[w]}", week=week)


def _pairs(g: _Grid) -> Iterator[Violation]:
    """Rule 10: cover pairs are never both WFH on a day both are present; together pairs share their mode."""
    for pair in g.inst.pairs:
        a, b = g.emp_index[pair.nip_a], g.emp_index[pair.nip_b]
        both = g.present[a] & g.present[b]
        if pair.rule == "cover":
            broken = both & g.wfh[a] & g.wfh[b]
        else:
            broken = both & (g.mode[a] != g.mode[b])
        emp = g.employees[a]
        for d in np.flatnonzero(broken):
            if pair.rule == "cover":
                what = f"{pair.nip_a} and {pair.nip_b} cover each other but are both WFH on {g.days[d]}"
            else:
                what = (f"{pair.nip_a} and {pair.nip_b} work together but on {g.days[d]} one is "
                        f"{_MODE[int(g.mode[a, d])]} and the other {_MODE[int(g.mode[b, d])]}")
            yield Violation(10, "pairs", g.days[d], emp.unit, None, None, f"{pair.nip_a}+{pair.nip_b}", None, None,
                            what)


# ---------------------------------------------------------------------------- the figures of SPEC §3
def _figures(g: _Grid) -> dict[str, Any]:
    wfh_days = int(g.wfh.sum())
    wfo_days = int(g.wfo.sum())
    present_days = wfh_days + wfo_days
    km = float(_commute_km_avoided(g))
    return {
        "employees": len(g.employees),
        "working_days": len(g.days),
        "wfh_days": wfh_days,
        "wfo_days": wfo_days,
        "leave_days": int(g.on_leave_in_roster.sum()),
        "wfh_rate": wfh_days / present_days if present_days else 0.0,
        "fairness_max_dev_days": float(_fairness_max_dev(g)),
        "preferences_met_weight": float(_preferences_met(g)),
        "commute_km_avoided": km,
        "wfh_km": km,
    }


def _fairness_max_dev(g: _Grid) -> Fraction:
    """SPEC §3, §7.4: max over unit × category groups of |W_e − r_g p_e|, over employees who may take WFH."""
    may_wfh = np.array([any(cap > 0 for cap in row) for row in g.caps], dtype=bool)
    counted = ~g.essential & may_wfh[g.emp_category]
    if not counted.any():
        return Fraction(0)
    at_home = g.wfh[counted].sum(axis=1).astype(np.int64)
    present = g.present[counted].sum(axis=1).astype(np.int64)
    groups = pd.DataFrame({"unit": np.array(g.unit, dtype=object)[counted],
                           "category": np.array(g.category, dtype=object)[counted],
                           "at_home": at_home, "present": present})
    groups["W_g"] = groups.groupby(["unit", "category"])["at_home"].transform("sum")
    groups["P_g"] = groups.groupby(["unit", "category"])["present"].transform("sum")
    groups = groups[groups["P_g"] > 0]
    if groups.empty:
        return Fraction(0)
    # |W_e − (W_g / P_g) p_e| = |W_e P_g − W_g p_e| / P_g, in integers
    groups["scaled"] = (groups["at_home"] * groups["P_g"] - groups["W_g"] * groups["present"]).abs()
    worst = groups.groupby(["unit", "category"]).agg(scaled=("scaled", "max"), P_g=("P_g", "first"))
    return max(Fraction(int(s), int(p)) for s, p in zip(worst["scaled"], worst["P_g"]))


def _preferences_met(g: _Grid) -> Decimal:
    """SPEC §7.5: the weight of prefer requests met, a weekday request earning on each matching day."""
    prefers = _request_days(g, "prefer")
    if prefers.empty:
        return Decimal(0)
    e = prefers["employee"].to_numpy(dtype=np.int64)
    d = prefers["day"].to_numpy(dtype=np.int64)
    met = prefers[g.mode[e, d] == prefers["mode"].to_numpy(dtype=np.int8)]
    return sum((Decimal(w) * n for w, n in met.groupby("weight").size().items()), Decimal(0))


def _commute_km_avoided(g: _Grid) -> Decimal:
    """Sum over WFH days of 2 × commute_km (a blank commute is 0 km)."""
    days_home = g.wfh.sum(axis=1)
    return sum((2 * e.commute_km * int(n) for e, n in zip(g.employees, days_home) if n), Decimal(0))
