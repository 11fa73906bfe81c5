"""solver/relax.py (``solve --relax``): the closest schedule, against a brute force.

The brute force enumerates every schedule keeping rules 1 and 2, keeps those that
keep the hard rules (caps and every family not relaxed), measures the shortfall of
the relaxed families in people-days (SPEC §2 written again), keeps the least, then
applies the goals in order. The solver's shortfall and goal values must be the same,
and its listed violations exactly the checker's.
"""
from __future__ import annotations

import dataclasses
import math
import os
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
import brute  # noqa: E402
from test_explain import clashing_instances, emp  # noqa: E402

from solver.check import check  # noqa: E402
from solver.relax import FAMILIES, parse_families, solve_relaxed  # noqa: E402
from solver.solve import solve  # noqa: E402

HARD = {"coverage": brute.rule_team_coverage, "requests": brute.rule_leave_essential_must,
        "weekly": brute.rule_min_wfo_week, "consecutive": brute.rule_max_consecutive, "desks": brute.rule_desks,
        "teamdays": brute.rule_team_days, "pairs": brute.rule_pairs}


def _weeks(t: brute.Tiny) -> list[list[int]]:
    weeks: dict = {}
    for d, day in enumerate(t.days):
        weeks.setdefault(day.isocalendar()[:2], []).append(d)
    return list(weeks.values())


def shortfall(t: brute.Tiny, wfh: np.ndarray, family: str) -> np.ndarray:
    """People-days by which a family is broken, per schedule."""
    inst = t.inst
    wfo = t.present[None] & ~wfh
    out = np.zeros(len(wfh), dtype=np.int64)
    if family == "coverage":
        for team in inst.teams:
            m = [i for i, e in enumerate(inst.employees) if e.team == team.team]
            for d in range(len(t.days)):
                p = int(t.present[m, d].sum())
                need = max(team.min_onsite, math.ceil(Fraction(team.min_onsite_ratio) * p))
                out += np.maximum(0, need - wfo[:, m, d].sum(axis=1))
    elif family == "requests":
        for (e, d), modes in t.must.items():
            for mode in modes:
                out += wfh[:, e, d] != (mode == "WFH")
    elif family == "weekly" and inst.rules.min_wfo_per_week:
        for days in _weeks(t):
            for e in range(len(t.nips)):
                need = min(inst.rules.min_wfo_per_week, int(t.present[e, days].sum()))
                out += np.maximum(0, need - wfo[:, e, days].sum(axis=1))
    elif family == "consecutive" and inst.rules.max_consecutive_wfh is not None:
        k = inst.rules.max_consecutive_wfh
        for e in range(len(t.nips)):
            own = np.flatnonzero(t.present[e])
            for s in range(len(own) - k):     # a run of L > k WFH days holds L − k windows of k + 1
                out += wfh[:, e, own[s:s + k + 1]].all(axis=1)
    elif family == "desks":
        for office in inst.offices:
            m = [i for i, e in enumerate(inst.employees) if e.office == office.office]
            if m:
                out += np.maximum(0, wfo[:, m, :].sum(axis=1) - office.desks).sum(axis=1)
    elif family == "teamdays":
        for team in inst.teams:
            if not team.team_days_per_week:
                continue
            m = [i for i, e in enumerate(inst.employees) if e.team == team.team]
            for days in _weeks(t):
                cand = [d for d in days if not team.team_days or t.days[d].weekday() in team.team_days]
                held = (~wfh[:, m, :][:, :, cand].any(axis=1)).sum(axis=1) if m else np.full(len(wfh), len(cand))
                out += np.maximum(0, min(team.team_days_per_week, len(cand)) - held)
    elif family == "pairs":
        idx = {n: i for i, n in enumerate(t.nips)}
        for pair in inst.pairs:
            a, b = idx[pair.nip_a], idx[pair.nip_b]
            both = t.present[a] & t.present[b]
            broken = (wfh[:, a] & wfh[:, b]) if pair.rule == "cover" else (wfh[:, a] != wfh[:, b])
            out += (broken & both).sum(axis=1)
    return out


def closest(inst, families):
    """(least total shortfall, {goal: value}) by brute force, or None when the hard rules clash."""
    t = brute.tiny(inst)
    wfh = brute.enumerate_all(dataclasses.replace(t, must={}))
    ok = brute.rule_caps(t, wfh)
    for family, rule in HARD.items():
        if family not in families:
            ok &= rule(t, wfh)
    wfh = wfh[ok]
    if not len(wfh):
        return None
    total = sum(shortfall(t, wfh, f) for f in families)
    least = int(total.min())
    wfh = wfh[total == least]
    values = {}
    for goal in inst.objective:
        num, den, maximize = brute.goal_scores(t, wfh, goal)
        best = num.max() if maximize else num.min()
        values[goal] = Fraction(int(best), den)
        wfh = wfh[num == best]
    return least, values


def test_family_names():
    assert parse_families("coverage, Requests,coverage") == ("coverage", "requests")
    with pytest.raises(ValueError, match="never relaxed"):
        parse_families("caps")
    with pytest.raises(ValueError, match="unknown rule family 'desk'"):
        parse_families(["desk"])


def test_team_short_by_leave_and_a_must(tmp_path):
    people = [emp(f"E{i}", team="T") for i in range(4)]
    inst = brute.write_instance(tmp_path, people, teams=[dict(team="T", unit="U", min_onsite=3)],
                                leave=[dict(nip="E0", start="2023-09-05", end="2023-09-05"),
                                       dict(nip="E3", start="2023-09-05", end="2023-09-05")],
                                requests=[dict(nip="E1", date="2023-09-05", mode="WFH", strength="must")])
    res = solve(inst, time_limit=20, workers=1, relax=("coverage",))
    assert res.status == "RELAXED"
    # E1 home as asked, E2 alone on site: the team misses 2 that day, and nothing else
    assert res.details["shortfall"] == {"coverage": 2, "total": 2}
    assert [(v["rule_name"], v["date"], v["team"], v["limit"], v["actual"]) for v in res.violations] == \
        [("coverage", "2023-09-05", "T", 3, 1)]
    assert res.violations == [v.as_dict() for v in check(inst, res.schedule).violations]
    # the must request relaxed too: breaking it costs 1 and still leaves the team 1 short, so no gain
    res = solve(inst, time_limit=20, workers=1, relax=("coverage", "requests"))
    assert res.details["shortfall"]["total"] == 2


def test_hard_rules_that_clash_are_explained(tmp_path):
    people = [emp(f"E{i}", team="T", office="O") for i in range(3)]
    inst = brute.write_instance(tmp_path, people, window=("2023-09-04", "2023-09-04"),
                                teams=[dict(team="T", unit="U", min_onsite=3)], offices=[dict(office="O", desks=2)],
                                requests=[dict(nip="E0", date="2023-09-04", mode="WFO", strength="must")])
    res = solve_relaxed(inst, ["requests"], time_limit=20)
    assert res.status == "INFEASIBLE"
    assert {f["rule"] for f in res.infeasibility} == {"coverage", "desks"}   # the must request is soft here
    assert solve_relaxed(inst, ["desks"], time_limit=20).details["shortfall"] == {"desks": 1, "total": 1}


@settings(max_examples=int(os.environ.get("GILIRAN_RELAX_EXAMPLES", 40)), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clashing_instances(), st.lists(st.sampled_from(sorted(FAMILIES)), min_size=1, max_size=4, unique=True))
def test_least_shortfall_and_goals_match_the_brute_force(case, families):
    people, kwargs = case
    with tempfile.TemporaryDirectory() as tmp:
        inst = brute.write_instance(Path(tmp), people, **kwargs)
        best = closest(inst, families)
        res = solve_relaxed(inst, families, time_limit=20)
        if best is None:
            assert res.status == "INFEASIBLE" and res.infeasibility
            return
        least, values = best
        assert res.status == "RELAXED"
        assert res.details["shortfall"]["total"] == least
        got = {g.goal: g.value for g in res.goals}
        for goal, value in values.items():
            assert got[goal] == pytest.approx(float(value), abs=1e-9), (goal, got, values)
        listed = [v.as_dict() for v in check(inst, res.schedule).violations]
        assert res.violations == listed
        assert {v["rule_name"] for v in listed} <= {FAMILIES[f] for f in families}
        # the schedule's own shortfall, measured by the brute force, is the least
        t = brute.tiny(inst)
        grid = np.zeros((1, len(t.nips), len(t.days)), dtype=bool)
        for nip, day, mode in res.schedule.itertuples(index=False):
            grid[0, t.nips.index(nip), t.days.index(day)] = mode == "WFH"
        assert sum(int(shortfall(t, grid, f)[0]) for f in families) == least
