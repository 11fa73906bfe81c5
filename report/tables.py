"""The figures the planner-facing outputs show, computed once from a schedule.

The Excel workbook and the HTML report read the same tables from here: the
roster grid, at-home counts per cap group and day against the cap (SPEC §2 rule
3), team cover against the minimum (rule 4), desks (rule 8) and each employee's
WFH days against the fair share (SPEC §3, §7.4). Counts are exact: caps are
Decimals, fair shares Fractions.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from fractions import Fraction
from functools import cached_property

import numpy as np
import pandas as pd

from models import Instance

WFO, WFH, LEAVE, MISSING = 0, 1, 2, -1
MODE_CODE = {"WFO": WFO, "WFH": WFH, "LEAVE": LEAVE}
CODE_MODE = {WFO: "WFO", WFH: "WFH", LEAVE: "LEAVE"}

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def safe_text(value):
    """Text from the input as a spreadsheet must show it: never run as a formula.

    A text starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a
    leading ``'``; control characters that XML cannot hold are dropped. Other
    values pass unchanged.
    """
    if not isinstance(value, str):
        return value
    value = _CONTROL.sub("", value)
    if value.startswith(_FORMULA_START):
        return "'" + value
    return value


def normalize_schedule(schedule: pd.DataFrame) -> pd.DataFrame:
    """``nip`` (str), ``date`` (datetime.date), ``mode``, sorted by nip then date."""
    df = schedule[["nip", "date", "mode"]].copy()
    df["nip"] = df["nip"].astype(str)
    if not (len(df) and isinstance(df["date"].iloc[0], dt.date) and not isinstance(df["date"].iloc[0], dt.datetime)):
        df["date"] = pd.to_datetime(df["date"]).dt.date
    df["mode"] = df["mode"].astype(str).str.upper()
    return df.sort_values(["nip", "date"], kind="stable").reset_index(drop=True)


def exact_floor(cap: Decimal, people: int) -> int:
    """``floor(cap × people)`` computed exactly (SPEC §2 rule 3)."""
    return int((cap * people).to_integral_value(rounding=ROUND_FLOOR))


def exact_ceil(ratio: Decimal, people: int) -> int:
    return int((ratio * people).to_integral_value(rounding=ROUND_CEILING))


def team_days_by_team(details: dict) -> dict[str, list[dt.date]]:
    """``details['team_days']`` with its dates parsed (they may arrive as ISO strings)."""
    out = {}
    for team, days in (details or {}).get("team_days", {}).items():
        out[str(team)] = sorted(d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d)[:10]) for d in days)
    return out


def team_day_text(days: list[dt.date], t) -> tuple[str, str]:
    """How a planner announces a team's days: (the weekdays, the dates).

    The weekdays read ``Wed`` when the team always meets on one weekday, else each
    weekday with how many weeks it is used (``Mon 2, Wed 5``); the dates read
    ``Wed 23/08, Wed 30/08, …``. ``t`` is the translator of :func:`report.i18n.tr`.
    """
    counts: dict[int, int] = {}
    for d in days:
        counts[d.weekday()] = counts.get(d.weekday(), 0) + 1
    if len(counts) == 1:
        weekdays = t(f"weekday.{next(iter(counts))}")
    else:
        weekdays = ", ".join(f"{t(f'weekday.{w}')} {n}" for w, n in sorted(counts.items()))
    dates = ", ".join(f"{t(f'weekday.{d.weekday()}')} {d.strftime('%d/%m')}" for d in days)
    return weekdays, dates


def _lookup(mapping: dict, keys: pd.Series) -> np.ndarray:
    """``mapping[key]`` for each key (the values are ints ≥ 0), -1 where a key is not in ``mapping``.

    One hash lookup per row in pandas, not a Python call per row.
    """
    values = np.fromiter(mapping.values(), dtype=np.int64, count=len(mapping))
    position = pd.Index(list(mapping)).get_indexer(keys)
    return np.where(position >= 0, values[position], -1)


@dataclass
class CapRow:
    """One cap group (scope × category) and its daily figures."""

    unit: str
    team: str | None
    category: str
    at_home: np.ndarray
    present: np.ndarray
    cap_share: list[Decimal]
    cap: np.ndarray


@dataclass
class ReportTables:
    """The schedule as a grid over the instance's employees and working days, and what follows from it."""

    instance: Instance
    schedule: pd.DataFrame
    days: list[dt.date] = field(init=False)
    grid: np.ndarray = field(init=False)   # employees × days, codes WFO/WFH/LEAVE/MISSING

    def __post_init__(self):
        inst = self.instance
        self.days = list(inst.working_days)
        self.grid = np.full((len(inst.employees), len(self.days)), MISSING, dtype=np.int8)
        df = self.schedule
        rows = _lookup(inst.employee_index, df["nip"])
        cols = _lookup({d: j for j, d in enumerate(self.days)}, df["date"])
        codes = _lookup(MODE_CODE, df["mode"])
        ok = (rows >= 0) & (cols >= 0) & (codes >= 0)
        self.grid[rows[ok], cols[ok]] = codes[ok]

    # ------------------------------------------------------------------ helpers
    def _members(self, key) -> dict:
        groups: dict = {}
        for i, e in enumerate(self.instance.employees):
            groups.setdefault(key(e), []).append(i)
        return {k: np.array(v, dtype=np.int64) for k, v in groups.items()}

    def _count(self, members: np.ndarray, code: int) -> np.ndarray:
        return (self.grid[members] == code).sum(axis=0)

    def _present(self, members: np.ndarray) -> np.ndarray:
        sub = self.grid[members]
        return ((sub != LEAVE) & (sub != MISSING)).sum(axis=0)

    @cached_property
    def caps(self) -> dict[str, list[Decimal]]:
        """Each category's cap on each working day."""
        return {c: [self.instance.cap(c, d) for d in self.days] for c in self.instance.categories}

    # ------------------------------------------------------------------ rule 3
    @cached_property
    def cap_rows(self) -> list[CapRow]:
        """At home, present and the cap in people for every cap group and day (SPEC §2 rule 3, §7.2-3)."""
        scope = self.instance.cap_scope
        if scope == "unit":
            key = lambda e: (e.unit, None, e.category)
        elif scope == "team":
            key = lambda e: ((None if e.team else e.unit), e.team, e.category)
        else:
            key = lambda e: (None, None, e.category)
        team_unit = {t.team: t.unit for t in self.instance.teams}
        out = []
        for (unit, team, category), members in sorted(self._members(key).items(), key=lambda kv: tuple(str(x) for x in kv[0])):
            present = self._present(members)
            shares = self.caps[category]
            cap = np.array([exact_floor(s, int(p)) for s, p in zip(shares, present)], dtype=np.int64)
            out.append(CapRow(unit if unit is not None else team_unit.get(team, ""), team, category,
                              self._count(members, WFH), present, shares, cap))
        return out

    @cached_property
    def unit_category_share(self) -> tuple[list[tuple[str, str]], np.ndarray]:
        """At-home share per unit × category and day (NaN with nobody present), whatever the cap scope."""
        groups = self._members(lambda e: (e.unit, e.category))
        labels = sorted(groups)
        share = np.full((len(labels), len(self.days)), np.nan)
        for r, k in enumerate(labels):
            present = self._present(groups[k])
            wfh = self._count(groups[k], WFH)
            with np.errstate(invalid="ignore", divide="ignore"):
                share[r] = np.where(present > 0, wfh / np.maximum(present, 1), np.nan)
        return labels, share

    # ------------------------------------------------------------------ rule 4
    @cached_property
    def team_rows(self) -> list[tuple[str, str, np.ndarray, np.ndarray, np.ndarray]]:
        """(team, unit, on site, present, minimum) per team and day (SPEC §2 rule 4)."""
        members = self._members(lambda e: e.team)
        out = []
        for t in sorted(self.instance.teams, key=lambda t: t.team):
            m = members.get(t.team, np.array([], dtype=np.int64))
            present = self._present(m) if len(m) else np.zeros(len(self.days), dtype=np.int64)
            onsite = self._count(m, WFO) if len(m) else np.zeros(len(self.days), dtype=np.int64)
            minimum = np.array([max(t.min_onsite, exact_ceil(t.min_onsite_ratio, int(p))) for p in present])
            out.append((t.team, t.unit, onsite, present, minimum))
        return out

    # ------------------------------------------------------------------ rule 8
    @cached_property
    def office_rows(self) -> list[tuple[str, np.ndarray, int]]:
        """(office, WFO employees, desks) per office and day (SPEC §2 rule 8)."""
        members = self._members(lambda e: e.office)
        out = []
        for o in sorted(self.instance.offices, key=lambda o: o.office):
            m = members.get(o.office)
            onsite = self._count(m, WFO) if m is not None else np.zeros(len(self.days), dtype=np.int64)
            out.append((o.office, onsite, o.desks))
        return out

    # ------------------------------------------------------------------ fairness
    @cached_property
    def fairness(self) -> pd.DataFrame:
        """Per employee who may take WFH: present days, WFH days, fair share and deviation (SPEC §3, §7.4).

        The fair share is r_g × p_e with r_g the WFH rate of the employee's unit × category
        over the counted employees only.
        """
        inst = self.instance
        may_wfh_category = {c: any(x > 0 for x in caps) for c, caps in self.caps.items()}
        present = ((self.grid != LEAVE) & (self.grid != MISSING)).sum(axis=1)
        wfh = (self.grid == WFH).sum(axis=1)
        counted = [i for i, e in enumerate(inst.employees) if not e.essential and may_wfh_category.get(e.category)]
        totals: dict[tuple[str, str], list[int]] = {}
        for i in counted:
            e = inst.employees[i]
            t = totals.setdefault((e.unit, e.category), [0, 0])
            t[0] += int(wfh[i])
            t[1] += int(present[i])
        rows = []
        for i in counted:
            e = inst.employees[i]
            w_g, p_g = totals[(e.unit, e.category)]
            rate = Fraction(w_g, p_g) if p_g else Fraction(0)
            fair = rate * int(present[i])
            rows.append((e.nip, e.name or "", e.unit, e.team or "", e.category, int(present[i]), int(wfh[i]),
                         float(fair), float(abs(int(wfh[i]) - fair))))
        return pd.DataFrame(rows, columns=["nip", "name", "unit", "team", "category", "present_days", "wfh_days",
                                           "fair_share", "deviation"])

    # ------------------------------------------------------------------ calendar
    @cached_property
    def phase_of_day(self) -> list[str | None]:
        """The name of the last phase covering each working day (SPEC §7.1), or None."""
        out = []
        for d in self.days:
            name = None
            for p in self.instance.phases:
                if p.start <= d <= p.end:
                    name = p.name
            out.append(name)
        return out

    @cached_property
    def days_off_before(self) -> list[list[dt.date]]:
        """For each working day, the weekday days off (holidays, extra days off) since the previous working day."""
        inst = self.instance
        out = []
        prev = inst.window_start - dt.timedelta(days=1)
        for d in self.days:
            gap = [prev + dt.timedelta(days=k) for k in range(1, (d - prev).days)]
            out.append([x for x in gap if x in inst.days_off and x.weekday() in inst.workdays])
            prev = d
        return out

    def holiday_names(self) -> dict[dt.date, str]:
        """Days off in the window with a name where the holidays package knows one."""
        inst = self.instance
        names: dict[dt.date, str] = {}
        if inst.holiday_country:
            try:
                import holidays

                years = range(inst.window_start.year, inst.window_end.year + 1)
                names.update(holidays.country_holidays(inst.holiday_country, subdiv=inst.holiday_subdivision,
                                                       years=years))
            except Exception:  # names are decoration; the dates come from the instance
                pass
        return {d: names.get(d, "") for d in sorted(inst.days_off)
                if inst.window_start <= d <= inst.window_end and d.weekday() in inst.workdays}


def fmt_number(value) -> str:
    """A KPI as the report shows it: integers whole, other numbers with at most 4 decimals."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    try:
        f = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(f):
        return "–"
    if f.is_integer():
        return str(int(f))
    return f"{f:.4f}".rstrip("0").rstrip(".")
