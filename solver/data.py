"""The instance compiled into plain arrays for the model builder (no parsing, no validation).

Everything here is derived data: who is present on which day, what each cap group
may send home, what each team needs on site, which cells rule 2 or a must request
fixes. The independent checker (:mod:`solver.check`) does not use this module.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
from dataclasses import dataclass, field, fields, is_dataclass, replace
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from fractions import Fraction

import numpy as np

from models import Instance

WFH, WFO = 1, 0


@functools.lru_cache(maxsize=4096)        # (the same cap and ratio over many groups, teams and days)
def floor_product(fraction: Decimal, count: int) -> int:
    """``floor(fraction × count)`` computed exactly (SPEC §2.3)."""
    return int((fraction * count).to_integral_value(rounding=ROUND_FLOOR))


@functools.lru_cache(maxsize=4096)
def ceil_product(fraction: Decimal, count: int) -> int:
    """``ceil(fraction × count)`` computed exactly (SPEC §7.2)."""
    return int((fraction * count).to_integral_value(rounding=ROUND_CEILING))


def integer_scale(values) -> int:
    """The power of ten that makes every decimal value an integer (at most 10^4)."""
    places = 0
    for v in values:
        exp = Decimal(v).normalize().as_tuple().exponent
        if isinstance(exp, int) and exp < 0:
            places = max(places, -exp)
    return 10 ** min(places, 4)


@dataclass
class CapGroup:
    """Employees whose WFH count is capped together on each day (rule 3)."""

    key: tuple[str, ...]          # (scope id, category)
    category: str
    members: np.ndarray           # employee indices
    limit: np.ndarray             # per day: floor(cap × present members)
    present: np.ndarray           # per day: present members


@dataclass
class TeamData:
    """A team and what it needs on site each day (rule 4) and its team days (rule 9)."""

    team: str
    unit: str
    members: np.ndarray
    need: np.ndarray              # per day: max(min_onsite, ceil(ratio × present))
    present: np.ndarray
    days_per_week: int = 0
    candidate_weekdays: tuple[int, ...] = ()
    open_weeks: tuple[int, ...] = ()      # weeks whose team days the solver must choose (others are fixed)

    def week_candidates(self, data: "ProblemData", week: int) -> list[int]:
        """The days of an ISO week that may be team days (rule 9)."""
        return [int(d) for d in np.flatnonzero(data.weeks == week)
                if data.days[d].weekday() in self.candidate_weekdays]


@dataclass
class OfficeData:
    office: str
    desks: int
    members: np.ndarray


@dataclass
class FairnessGroup:
    """Unit × category: WFH days are shared in proportion to present days (SPEC §3)."""

    key: tuple[str, str]
    members: np.ndarray           # eligible employees only (SPEC §7.4)
    present_days: np.ndarray      # p_e, aligned with members
    total_present: int            # P_g


@dataclass
class Conflict:
    """A contradiction found while compiling (SPEC §7.6, §7.7): the instance is infeasible."""

    rule: str
    message: str
    date: dt.date | None = None
    unit: str | None = None
    category: str | None = None
    team: str | None = None
    employees: list[str] = field(default_factory=list)
    needed: int | None = None
    possible: int | None = None

    def as_dict(self) -> dict:
        return {"rule": self.rule, "message": self.message, "date": self.date.isoformat() if self.date else None,
                "unit": self.unit, "category": self.category, "team": self.team, "employees": self.employees,
                "needed": self.needed, "possible": self.possible}


@dataclass
class ProblemData:
    instance: Instance
    days: tuple[dt.date, ...]
    weeks: np.ndarray                     # per day: ISO week id (int, ordinal within window)
    week_labels: list[str]
    present: np.ndarray                   # [E, D] bool
    forced: np.ndarray                    # [E, D] int8: -1 free, 0 WFO, 1 WFH (rule 2, must requests)
    cap_groups: list[CapGroup]
    teams: list[TeamData]
    offices: list[OfficeData]
    fairness_groups: list[FairnessGroup]
    pairs: list[tuple[int, int, str]]
    prefer: list[tuple[int, int, int, int]]   # (employee, day, mode, weight × weight_scale)
    weight_scale: int
    km: np.ndarray                            # per employee: 2 × commute_km × km_scale (int)
    km_scale: int
    unit_of: np.ndarray                       # per employee: unit index
    units: list[str]
    conflicts: list[Conflict] = field(default_factory=list)
    max_consecutive_wfh: int | None = None
    min_wfo_per_week: int | None = None
    objective: tuple[str, ...] = ()
    keep: list[tuple[int, int, int, int]] = field(default_factory=list)   # re-planning: (employee, day, mode, 1)
    replan_from: int | None = None                                         # first re-planned day

    @property
    def n_employees(self) -> int:
        return self.present.shape[0]

    @property
    def n_days(self) -> int:
        return len(self.days)


def compile_instance(inst: Instance, previous=None, replan_from: dt.date | None = None,
                     stability: str = "last") -> ProblemData:
    """Compile a validated instance into the arrays the model builder reads.

    With ``previous`` (a schedule: nip, date, mode) and ``replan_from``, the days before
    ``replan_from`` are fixed as they were, and the goal ``stability`` (keep as many later
    employee-days as they were) comes after the instance's goals, or first with
    ``stability="first"``.
    """
    days = inst.working_days
    D = len(days)
    E = len(inst.employees)
    day_index = {d: i for i, d in enumerate(days)}
    index = inst.employee_index

    iso = [d.isocalendar() for d in days]
    week_keys = sorted({(y, w) for y, w, _ in iso})
    week_id = {k: i for i, k in enumerate(week_keys)}
    weeks = np.array([week_id[(y, w)] for y, w, _ in iso], dtype=np.int64)
    week_labels = [f"{y}-W{w:02d}" for y, w in week_keys]

    # rule 1: presence
    present = np.ones((E, D), dtype=bool)
    if days:
        ords = np.array([d.toordinal() for d in days])
        for lv in inst.leave:
            lo = np.searchsorted(ords, lv.start.toordinal(), side="left")
            hi = np.searchsorted(ords, lv.end.toordinal(), side="right")
            present[index[lv.nip], lo:hi] = False

    categories = sorted(inst.categories)
    cap_by_cat = {c: [inst.cap(c, d) for d in days] for c in categories}
    zero_cap = {c: np.array([v == 0 for v in cap_by_cat[c]], dtype=bool) for c in categories}

    # rule 2 and rule 5: cells that cannot choose
    forced = np.full((E, D), -1, dtype=np.int8)
    conflicts: list[Conflict] = []
    for e, emp in enumerate(inst.employees):
        if emp.essential:
            forced[e, :] = WFO
        else:
            forced[e, zero_cap[emp.category]] = WFO
    must: dict[tuple[int, int], int] = {}
    prefer: list[tuple[int, int, int, Decimal]] = []
    for req in inst.requests:
        e = index[req.nip]
        if req.date is not None:
            ds = [day_index[req.date]] if req.date in day_index else []
        else:
            ds = [i for i, d in enumerate(days) if d.weekday() == req.weekday]
        mode = WFH if req.mode == "WFH" else WFO
        for d in ds:
            if not present[e, d]:
                continue  # SPEC §7.5, §7.6: leave days don't count
            if req.strength == "prefer":
                prefer.append((e, d, mode, req.weight))
                continue
            if must.get((e, d), mode) != mode:
                emp = inst.employees[e]
                conflicts.append(Conflict(
                    "must", f"employee {req.nip} has both a must-WFH and a must-WFO request on {days[d]}",
                    date=days[d], unit=emp.unit, category=emp.category, team=emp.team, employees=[req.nip]))
            must[(e, d)] = mode
    for (e, d), mode in must.items():
        if mode == WFH and forced[e, d] == WFO:
            emp = inst.employees[e]
            why = "is essential" if emp.essential else f"is in category {emp.category}, whose cap on that day is 0"
            conflicts.append(Conflict(
                "essential", f"employee {emp.nip} must work from home on {days[d]} but {why}",
                date=days[d], unit=emp.unit, category=emp.category, team=emp.team, employees=[emp.nip]))
            continue
        forced[e, d] = mode
    forced[~present] = -1

    # rule 3: cap groups
    units = sorted({emp.unit for emp in inst.employees})
    unit_id = {u: i for i, u in enumerate(units)}
    unit_of = np.array([unit_id[emp.unit] for emp in inst.employees], dtype=np.int64)
    group_members: dict[tuple[str, ...], list[int]] = {}
    for e, emp in enumerate(inst.employees):
        if inst.cap_scope == "unit":
            key = (emp.unit, emp.category)
        elif inst.cap_scope == "team":
            key = (f"team:{emp.team}" if emp.team else f"unit:{emp.unit}", emp.category)
        else:
            key = ("all", emp.category)
        group_members.setdefault(key, []).append(e)
    cap_groups = []
    for key in sorted(group_members):
        members = np.array(group_members[key], dtype=np.int64)
        cat = key[-1]
        pres = present[members].sum(axis=0)
        limit = np.array([floor_product(cap_by_cat[cat][d], int(pres[d])) for d in range(D)], dtype=np.int64)
        cap_groups.append(CapGroup(key, cat, members, limit, pres))

    # rule 4 and 9: teams
    team_members: dict[str, list[int]] = {t.team: [] for t in inst.teams}
    for e, emp in enumerate(inst.employees):
        if emp.team:
            team_members[emp.team].append(e)
    teams = []
    for t in inst.teams:
        members = np.array(team_members[t.team], dtype=np.int64)
        pres = present[members].sum(axis=0) if len(members) else np.zeros(D, dtype=np.int64)
        need = np.array([max(t.min_onsite, ceil_product(t.min_onsite_ratio, int(pres[d]))) for d in range(D)],
                        dtype=np.int64)
        team = TeamData(t.team, t.unit, members, need, pres, t.team_days_per_week or 0,
                        t.team_days or tuple(range(7)))
        teams.append(team)
        if team.days_per_week:
            # rule 9: in a week with no more candidate days than team days, every candidate is one
            open_weeks = []
            for w in range(len(week_keys)):
                candidates = [d for d in np.flatnonzero(weeks == w) if days[d].weekday() in team.candidate_weekdays]
                if len(candidates) > team.days_per_week:
                    open_weeks.append(w)
                    continue
                for d in candidates:
                    for e in members:
                        if present[e, d] and forced[e, d] == WFH:
                            emp = inst.employees[e]
                            conflicts.append(Conflict(
                                "teamdays", f"employee {emp.nip} must work from home on {days[d]}, "
                                f"a team day of team {t.team} (all members on site)",
                                date=days[d], unit=t.unit, category=emp.category, team=t.team, employees=[emp.nip]))
                        elif present[e, d]:
                            forced[e, d] = WFO
            team.open_weeks = tuple(open_weeks)
        for d in np.flatnonzero(need > pres):
            on_leave = len(members) - int(pres[d])
            conflicts.append(Conflict(
                "coverage",
                f"team {t.team} needs {int(need[d])} on site on {days[d]}; only {int(pres[d])} "
                f"{'member is' if int(pres[d]) == 1 else 'members are'} present"
                + (f" ({on_leave} on leave)" if on_leave else ""),
                date=days[d], unit=t.unit, team=t.team, needed=int(need[d]), possible=int(pres[d]),
                employees=[inst.employees[m].nip for m in members if present[m, d]]))

    offices = []
    office_members: dict[str, list[int]] = {o.office: [] for o in inst.offices}
    for e, emp in enumerate(inst.employees):
        if emp.office:
            office_members[emp.office].append(e)
    for o in inst.offices:
        offices.append(OfficeData(o.office, o.desks, np.array(office_members[o.office], dtype=np.int64)))

    # fairness groups (SPEC §3, §7.4)
    may_wfh_cat = {c: not bool(zero_cap[c].all()) if D else False for c in categories}
    fair_members: dict[tuple[str, str], list[int]] = {}
    for e, emp in enumerate(inst.employees):
        if not emp.essential and may_wfh_cat[emp.category]:
            fair_members.setdefault((emp.unit, emp.category), []).append(e)
    fairness_groups = []
    for key in sorted(fair_members):
        members = np.array(fair_members[key], dtype=np.int64)
        p = present[members].sum(axis=1).astype(np.int64)
        fairness_groups.append(FairnessGroup(key, members, p, int(p.sum())))

    pairs = [(index[p.nip_a], index[p.nip_b], p.rule) for p in inst.pairs]

    objective = tuple(inst.objective)
    keep: list[tuple[int, int, int, int]] = []
    first_open = None
    if previous is not None and replan_from is not None:
        first_open = int(np.searchsorted(np.array([d.toordinal() for d in days]), replan_from.toordinal()))
        code = {"WFH": WFH, "WFO": WFO, "LEAVE": -1}
        for nip, day, mode in zip(*(list(previous[c]) for c in ("nip", "date", "mode"))):
            e, d = index.get(str(nip)), day_index.get(day)
            if e is None or d is None or mode not in code:
                continue
            m = code[mode]
            emp = inst.employees[e]
            if d >= first_open:
                if present[e, d] and m >= 0:
                    keep.append((e, d, m, 1))
                continue
            if (m < 0) == bool(present[e, d]):
                conflicts.append(Conflict(
                    "previous", f"the previous schedule has employee {emp.nip} {'on leave' if m < 0 else mode} on "
                    f"{days[d]}, before {replan_from}, but the instance has them "
                    f"{'present' if present[e, d] else 'on leave'}; past days are kept as they were",
                    date=days[d], unit=emp.unit, category=emp.category, team=emp.team, employees=[emp.nip]))
                continue
            if m < 0:
                continue
            if forced[e, d] >= 0 and forced[e, d] != m:
                conflicts.append(Conflict(
                    "previous", f"the previous schedule has employee {emp.nip} {mode} on {days[d]}, before "
                    f"{replan_from}, but the rules now require {'WFH' if forced[e, d] == WFH else 'WFO'}",
                    date=days[d], unit=emp.unit, category=emp.category, team=emp.team, employees=[emp.nip]))
                continue
            forced[e, d] = m
        objective = ("stability",) + objective if stability == "first" else objective + ("stability",)

    weight_scale = integer_scale([w for *_, w in prefer])
    prefer_int = [(e, d, m, int(w * weight_scale)) for e, d, m, w in prefer]
    km_scale = integer_scale([emp.commute_km for emp in inst.employees])
    km = np.array([int(2 * emp.commute_km * km_scale) for emp in inst.employees], dtype=np.int64)

    return ProblemData(
        instance=inst, days=days, weeks=weeks, week_labels=week_labels, present=present, forced=forced,
        cap_groups=cap_groups, teams=teams, offices=offices, fairness_groups=fairness_groups, pairs=pairs,
        prefer=prefer_int, weight_scale=weight_scale, km=km, km_scale=km_scale, unit_of=unit_of, units=units,
        conflicts=conflicts, max_consecutive_wfh=inst.rules.max_consecutive_wfh,
        min_wfo_per_week=inst.rules.min_wfo_per_week, objective=objective, keep=keep, replan_from=first_open,
    )


def without_idle_caps(data: ProblemData) -> ProblemData:
    """The same problem with every cap that the teams' minimums already keep (rule 4) stated as no cap.

    On a day, a cap group can have at home at most, per team, the fewer of its members who may
    take WFH and the team's present members beyond its need (and its members without a team
    who may take WFH). A cap at or above that cannot bind; its limit becomes the number who
    may take WFH, which states nothing. The schedules allowed are the same, but what-if
    variants that differ only in such caps become the same parts (:func:`fingerprint`), so a
    part solved in one is reused in the others. Not for explanations or relaxations: those
    read the caps as the instance gives them.
    """
    may = data.present & (data.forced != WFO)
    team_of = np.full(len(data.instance.employees), -1, dtype=np.int64)
    for ti, t in enumerate(data.teams):
        team_of[t.members] = ti
    groups = []
    for g in data.cap_groups:
        most = np.zeros(len(data.days), dtype=np.int64)
        for ti in np.unique(team_of[g.members]):
            rows = g.members[team_of[g.members] == ti]
            n = may[rows].sum(axis=0)
            if ti >= 0:
                t = data.teams[ti]
                n = np.minimum(n, np.maximum(t.present - t.need, 0))
            most += n
        anyone = may[g.members].sum(axis=0)
        groups.append(replace(g, limit=np.where(g.limit >= most, anyone, g.limit)))
    return replace(data, cap_groups=groups)


class _UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, a: int) -> int:
        while self.parent[a] != a:
            self.parent[a] = self.parent[self.parent[a]]
            a = self.parent[a]
        return a

    def union_all(self, members) -> None:
        members = list(members)
        if not members:
            return
        root = self.find(int(members[0]))
        for m in members[1:]:
            r = self.find(int(m))
            if r != root:
                self.parent[r] = root


def components(data: ProblemData, *, link_offices: bool = True, extra_links=()) -> list[np.ndarray]:
    """Split the employees into parts that no rule links (cap groups, teams, fairness groups, pairs, offices).

    Returns the parts as sorted employee-index arrays, ordered by their first employee,
    so the split does not depend on anything but the instance.
    """
    uf = _UnionFind(data.n_employees)
    for g in data.cap_groups:
        uf.union_all(g.members)
    for t in data.teams:
        uf.union_all(t.members)
    for g in data.fairness_groups:
        uf.union_all(g.members)
    for a, b, _ in data.pairs:
        uf.union_all((a, b))
    if link_offices:
        for o in data.offices:
            uf.union_all(o.members)
    for link in extra_links:
        uf.union_all(link)
    parts: dict[int, list[int]] = {}
    for e in range(data.n_employees):
        parts.setdefault(uf.find(e), []).append(e)
    return sorted((np.array(p, dtype=np.int64) for p in parts.values()), key=lambda p: int(p[0]))


@dataclass
class ComponentData:
    """The part of the data that one independent component's model needs."""

    data: ProblemData
    members: np.ndarray                  # global employee indices, sorted
    cap_groups: list[CapGroup]
    teams: list[TeamData]
    offices: list[OfficeData]
    fairness_groups: list[FairnessGroup]
    pairs: list[tuple[int, int, str]]
    prefer: list[tuple[int, int, int, int]]
    keep: list[tuple[int, int, int, int]] = field(default_factory=list)


def split(data: ProblemData, parts: list[np.ndarray]) -> list[ComponentData]:
    """Distribute the groups, teams, offices, pairs and requests over the parts."""
    part_of = np.full(data.n_employees, -1, dtype=np.int64)
    for i, p in enumerate(parts):
        part_of[p] = i

    def by_part(items, first_member):
        out: list[list] = [[] for _ in parts]
        for item in items:
            m = first_member(item)
            if m is not None and part_of[m] >= 0:      # parts need not cover every employee
                out[part_of[m]].append(item)
        return out

    first = lambda members: int(members[0]) if len(members) else None  # noqa: E731
    cap_groups = by_part(data.cap_groups, lambda g: first(g.members))
    teams = by_part(data.teams, lambda t: first(t.members))
    fairness = by_part(data.fairness_groups, lambda g: first(g.members))
    pairs = by_part(data.pairs, lambda p: p[0])
    prefer = by_part(data.prefer, lambda r: r[0])
    keep = by_part(data.keep, lambda r: r[0])
    offices: list[list[OfficeData]] = [[] for _ in parts]
    for o in data.offices:
        if not len(o.members):
            continue
        owners = np.unique(part_of[o.members])
        if len(owners) == 1 and owners[0] >= 0:
            offices[owners[0]].append(o)
        else:  # an office shared by parts is checked after the parts are solved (see solver.solve)
            for i in owners[owners >= 0]:
                sub = o.members[part_of[o.members] == i]
                offices[i].append(OfficeData(o.office, -1, sub))
    return [ComponentData(data, p, cap_groups[i], teams[i], [o for o in offices[i] if o.desks >= 0],
                          fairness[i], pairs[i], prefer[i], keep[i]) for i, p in enumerate(parts)]


# How `fingerprint` reads each field of ProblemData. "rows": per employee, the part's members'
# rows; "shared": the same for every part; "per_part": split among the parts, each part's own share
# is a field of ComponentData; "left_out": not read by a part's solve (the instance's facts about an
# employee reach it only through the rows, and the nips are added; conflicts stop a run before it).
FINGERPRINT_FIELDS = {
    "rows": ("present", "forced", "km", "unit_of"),
    "shared": ("days", "weeks", "objective", "max_consecutive_wfh", "min_wfo_per_week", "weight_scale",
               "km_scale", "replan_from"),
    "per_part": ("cap_groups", "teams", "offices", "fairness_groups", "pairs", "prefer", "keep"),
    "left_out": ("instance", "units", "week_labels", "conflicts"),
}


def fingerprint(comp: ComponentData) -> bytes:
    """A digest of everything a part's solve depends on.

    Two parts with the same fingerprint are the same question to the solver: the same
    employees (indices and nips), their presence and fixed cells, cap groups' limits,
    teams' needs and team days, offices, pairs, fairness groups, prefer and keep
    requests, and the problem's days, rules, goals and scales. What-if variants use it
    to reuse a part proven in an earlier variant (see :func:`solver.solve`).
    """
    data = comp.data
    members = comp.members
    digest = hashlib.blake2b(digest_size=20)
    _feed(digest, [data.instance.employees[int(e)].nip for e in members])
    for name in FINGERPRINT_FIELDS["rows"]:
        _feed(digest, (name, getattr(data, name)[members]))
    for name in FINGERPRINT_FIELDS["shared"]:
        _feed(digest, (name, getattr(data, name)))
    for f in fields(comp):
        if f.name != "data":
            _feed(digest, (f.name, getattr(comp, f.name)))
    return digest.digest()


def _feed(digest, value) -> None:
    """Write a value into a hash so that different values never read the same (type, size, content)."""
    if isinstance(value, np.ndarray) and value.dtype.hasobject:
        _feed(digest, value.tolist())
    elif isinstance(value, np.ndarray):
        digest.update(b"A%s%s;" % (value.dtype.str.encode(), repr(value.shape).encode()))
        digest.update(np.ascontiguousarray(value).tobytes())
    elif is_dataclass(value) and not isinstance(value, type):
        digest.update(b"C%s;" % type(value).__name__.encode())
        for f in fields(value):
            _feed(digest, (f.name, getattr(value, f.name)))
    elif isinstance(value, (list, tuple)):
        digest.update(b"L%d;" % len(value))
        for item in value:
            _feed(digest, item)
    elif value is None or isinstance(value, (bool, int, np.generic, str, Decimal, Fraction, dt.date)):
        text = repr(value.item() if isinstance(value, np.generic) else value).encode()
        digest.update(b"S%d;" % len(text) + text)
    else:
        raise TypeError(f"fingerprint: no encoding for {type(value).__name__}")
