"""solver/explain.py: why no schedule exists, against hand-built clashes and a brute force.

Hand-built instances have one known minimal clash: the report must name exactly it
(rule, team, date, numbers). The property test draws tiny instances, keeps the
infeasible ones, and checks with a brute force (every schedule enumerated, each rule
instance written again from SPEC §2) that every reported set clashes by itself and
that dropping any one member lets the rest hold.
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
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
import brute  # noqa: E402

from solver.data import compile_instance, components, split  # noqa: E402
from solver.explain import diagnose, explain, precheck  # noqa: E402
from solver.solve import solve  # noqa: E402


def emp(nip, unit="U", category="adm", **more) -> dict:
    return dict(nip=nip, unit=unit, category=category, **more)


def solve_tiny(inst):
    return solve(inst, time_limit=20, workers=1, seed=0, check=False)


def clash(findings) -> set[tuple]:
    return {(f["rule"], f.get("team"), f["date"], f.get("needed"), f.get("possible")) for f in findings}


# ---------------------------------------------------------------------------- hand-built clashes
def test_team_minimum_against_a_must_wfh_request(tmp_path):
    people = [emp(f"E{i}", team="T") for i in range(4)]
    inst = brute.write_instance(tmp_path, people, teams=[dict(team="T", unit="U", min_onsite=3)],
                                leave=[dict(nip="E0", start="2023-09-05", end="2023-09-05")],
                                requests=[dict(nip="E1", date="2023-09-05", mode="WFH", strength="must")])
    res = solve_tiny(inst)
    assert res.status == "INFEASIBLE"
    assert clash(res.infeasibility) == {("coverage", "T", "2023-09-05", 3, 2), ("must", "T", "2023-09-05", None, None)}
    cover = next(f for f in res.infeasibility if f["rule"] == "coverage")
    assert cover["message"] == ("team T needs 3 on site on 2023-09-05; of its 3 present members (1 on leave) "
                                "the other rules let at most 2 be on site")
    assert sorted(cover["employees"]) == ["E1", "E2", "E3"]
    must = next(f for f in res.infeasibility if f["rule"] == "must")
    assert must["employees"] == ["E1"] and must["mode"] == "WFH"


def test_the_explanation_shares_the_time_limit(tmp_path, monkeypatch):
    # the clash above, solved with a 2 s limit: its explanation gets what is left of those 2 s
    # (at least EXPLAIN_LEAST), not EXPLAIN_MOST; with a long limit, EXPLAIN_MOST
    import importlib

    solve_module = importlib.import_module("solver.solve")
    from solver import explain as explain_module

    people = [emp(f"E{i}", team="T") for i in range(4)]
    inst = brute.write_instance(tmp_path, people, teams=[dict(team="T", unit="U", min_onsite=3)],
                                leave=[dict(nip="E0", start="2023-09-05", end="2023-09-05")],
                                requests=[dict(nip="E1", date="2023-09-05", mode="WFH", strength="must")])
    budgets = []
    original = explain_module.explain

    def recorded(data, comp, time_limit=10.0, *args, **kwargs):
        budgets.append(time_limit)
        return original(data, comp, time_limit, *args, **kwargs)

    monkeypatch.setattr(explain_module, "explain", recorded)
    res = solve(inst, time_limit=2, workers=1, seed=0, check=False)
    assert res.status == "INFEASIBLE" and len(budgets) == 1
    assert solve_module.EXPLAIN_LEAST <= budgets[0] <= 2
    budgets.clear()
    assert solve(inst, time_limit=600, workers=1, seed=0, check=False).status == "INFEASIBLE"
    assert budgets == [solve_module.EXPLAIN_MOST]


def test_desks_against_team_minimum_one_clash_per_day(tmp_path):
    people = [emp(f"E{i}", team="T", office="O") for i in range(3)]
    inst = brute.write_instance(tmp_path, people, window=("2023-09-04", "2023-09-06"),
                                teams=[dict(team="T", unit="U", min_onsite=3)], offices=[dict(office="O", desks=2)])
    res = solve_tiny(inst)
    assert res.status == "INFEASIBLE"
    days = ["2023-09-04", "2023-09-05", "2023-09-06"]
    assert clash(res.infeasibility) == ({("coverage", "T", d, 3, 2) for d in days}
                                        | {("desks", None, d, 3, 2) for d in days})
    desk = next(f for f in res.infeasibility if f["rule"] == "desks")
    assert desk["message"] == "office O has 2 desks; on 2023-09-04 the rules need 3 people on site there"
    assert [f["rule"] for f in res.infeasibility] == ["coverage", "desks"] * 3   # one clash after the other


def test_together_pair_carries_a_must_into_a_team(tmp_path):
    people = [emp("A"), emp("B", team="T"), emp("C", team="T"), emp("D")]
    inst = brute.write_instance(tmp_path, people, categories={"adm": "1"},
                                window=("2023-09-04", "2023-09-05"), teams=[dict(team="T", unit="U", min_onsite=2)],
                                requests=[dict(nip="A", date="2023-09-05", mode="WFH", strength="must")],
                                pairs=[dict(nip_a="A", nip_b="B", rule="together")])
    res = solve_tiny(inst)
    assert res.status == "INFEASIBLE"
    assert clash(res.infeasibility) == {("coverage", "T", "2023-09-05", 2, 1), ("must", None, "2023-09-05", None, None),
                                        ("pairs", None, "2023-09-05", None, None)}


def test_consecutive_limit_against_must_requests(tmp_path):
    requests = [dict(nip="E0", date=d, mode="WFH", strength="must") for d in ("2023-09-04", "2023-09-05", "2023-09-06")]
    inst = brute.write_instance(tmp_path, [emp("E0"), emp("E1")], categories={"adm": "1"},
                                rules={"max_consecutive_wfh": 2}, requests=requests)
    res = solve_tiny(inst)
    assert res.status == "INFEASIBLE"
    rules = sorted(f["rule"] for f in res.infeasibility)
    assert rules == ["consecutive", "must", "must", "must"]
    run = next(f for f in res.infeasibility if f["rule"] == "consecutive")
    assert (run["date"], run["until"], run["needed"], run["possible"]) == ("2023-09-04", "2023-09-06", 3, 2)


def test_team_days_against_must_requests(tmp_path):
    people = [emp(f"E{i}", team="T") for i in range(5)]
    requests = [dict(nip=f"E{i}", date=f"2023-09-0{4 + i}", mode="WFH", strength="must") for i in range(5)]
    inst = brute.write_instance(tmp_path, people, categories={"adm": "1"},
                                teams=[dict(team="T", unit="U", team_days_per_week=1)], requests=requests)
    res = solve_tiny(inst)
    assert res.status == "INFEASIBLE"
    days = next(f for f in res.infeasibility if f["rule"] == "teamdays")
    assert (days["team"], days["week"], days["needed"], days["possible"]) == ("T", "2023-W36", 1, 0)
    assert sorted(f["rule"] for f in res.infeasibility) == ["must"] * 5 + ["teamdays"]


def test_cap_against_desks(tmp_path):
    people = [emp(f"E{i}", office="O") for i in range(4)]
    inst = brute.write_instance(tmp_path, people, window=("2023-09-04", "2023-09-04"), offices=[dict(office="O", desks=1)])
    res = solve_tiny(inst)
    assert res.status == "INFEASIBLE"
    # read from the data before any search: the caps let 2 of the office's 4 home, 2 need a desk
    (desks,) = res.infeasibility
    assert (desks["rule"], desks["date"], desks["needed"], desks["possible"]) == ("desks", "2023-09-04", 2, 1)
    assert desks["message"] == ("office O has 1 desks; on 2023-09-04 4 of its staff are present and the caps let "
                                "at most 2 of them work from home, so 2 need a desk")
    # the search's own explanation, without the pre-checks: the same clash as a minimal set of rule instances
    found = diagnose(inst, checks=False)
    assert clash(found) == {("cap", None, "2023-09-04", 3, 2), ("desks", None, "2023-09-04", 2, 1)}
    cap = next(f for f in found if f["rule"] == "cap")
    assert cap["message"] == ("the cap of adm in unit U on 2023-09-04 lets 2 of 4 present work from home, "
                              "but the other rules send at least 3 home")


# ---------------------------------------------------------------------------- pre-checks
def test_prechecks(tmp_path):
    people = [emp("H", team="T"), emp("D", team="T"), emp("P1", category="pub", office="O"),
              emp("P2", category="pub", office="O")]
    inst = brute.write_instance(
        tmp_path, people, categories={"adm": "0.5", "pub": "0"}, rules={"min_wfo_per_week": 2},
        teams=[dict(team="T", unit="U", min_onsite=0)], offices=[dict(office="O", desks=1)],
        requests=[dict(nip="H", date=d, mode="WFH", strength="must") for d in ("mon", "tue", "wed", "thu")]
        + [dict(nip="D", date="2023-09-04", mode="WFH", strength="must")],
        pairs=[dict(nip_a="H", nip_b="D", rule="cover")])
    data = compile_instance(inst)
    assert not data.conflicts
    found = {(c.rule, c.date.isoformat() if c.date else None, c.needed, c.possible) for c in precheck(data)}
    assert ("weekly", None, 2, 1) in found
    assert ("cap", "2023-09-04", 2, 1) in found              # H and D must be home, the cap lets 1 of 2
    assert ("pairs", "2023-09-04", None, None) in found      # a cover pair both at home
    assert ("desks", "2023-09-04", 2, 1) in found            # two essential (cap 0) staff, one desk
    res = solve_tiny(inst)
    assert res.status == "INFEASIBLE" and {f["rule"] for f in res.infeasibility} >= {"weekly", "cap", "pairs", "desks"}


def test_feasible_component_has_nothing_to_explain(tmp_path):
    inst = brute.write_instance(tmp_path, [emp("E0"), emp("E1")])
    data = compile_instance(inst)
    assert explain(data, split(data, components(data))[0]) == []
    assert diagnose(inst) == []


# ---------------------------------------------------------------------------- brute force over rule instances
def _need(team, present: int) -> int:
    return max(team.min_onsite, math.ceil(Fraction(team.min_onsite_ratio) * present))


def _cap_members(t: brute.Tiny, finding) -> list[int]:
    emps = t.inst.employees
    scope = t.inst.cap_scope
    members = []
    for i, e in enumerate(emps):
        if e.category != finding["category"]:
            continue
        if scope == "all" or (scope == "unit" and e.unit == finding["unit"]) or \
                (scope == "team" and (e.team == finding["team"] if finding["team"] else (not e.team and e.unit == finding["unit"]))):
            members.append(i)
    return members


def holds(t: brute.Tiny, wfh: np.ndarray, finding: dict) -> np.ndarray:
    """Per schedule, does the one rule instance a finding names hold? (SPEC §2, written again)"""
    inst, rule = t.inst, finding["rule"]
    idx = {n: i for i, n in enumerate(t.nips)}
    day = {d.isoformat(): k for k, d in enumerate(t.days)}
    present = t.present[None]
    wfo = present & ~wfh
    if rule == "coverage":
        team = next(x for x in inst.teams if x.team == finding["team"])
        m = [i for i, e in enumerate(inst.employees) if e.team == team.team]
        d = day[finding["date"]]
        need = _need(team, int(t.present[m, d].sum()))
        return wfo[:, m, d].sum(axis=1) >= need
    if rule == "cap":
        m, d = _cap_members(t, finding), day[finding["date"]]
        limit = math.floor(t.cap[d][finding["category"]] * int(t.present[m, d].sum()))
        return wfh[:, m, d].sum(axis=1) <= limit
    if rule == "must":
        e, d = idx[finding["employees"][0]], day[finding["date"]]
        return wfh[:, e, d] == (finding["mode"] == "WFH")
    if rule == "weekly":
        e = idx[finding["employees"][0]]
        days = [k for k, d in enumerate(t.days) if f"{d.isocalendar()[0]}-W{d.isocalendar()[1]:02d}" == finding["week"]]
        p = int(t.present[e, days].sum())
        return wfo[:, e, days].sum(axis=1) >= min(inst.rules.min_wfo_per_week, p)
    if rule == "consecutive":
        e, k = idx[finding["employees"][0]], inst.rules.max_consecutive_wfh
        own = list(np.flatnonzero(t.present[e]))
        start = own.index(day[finding["date"]])
        window = own[start:start + k + 1]
        return ~wfh[:, e, window].all(axis=1)
    if rule == "desks":
        office = next(o for o in inst.offices if o.office == finding["office"])
        m = [i for i, e in enumerate(inst.employees) if e.office == office.office]
        return wfo[:, m, day[finding["date"]]].sum(axis=1) <= office.desks
    if rule == "teamdays":
        team = next(x for x in inst.teams if x.team == finding["team"])
        m = [i for i, e in enumerate(inst.employees) if e.team == team.team]
        cand = [k for k, d in enumerate(t.days) if f"{d.isocalendar()[0]}-W{d.isocalendar()[1]:02d}" == finding["week"]
                and (not team.team_days or d.weekday() in team.team_days)]
        held = (~wfh[:, m, :][:, :, cand].any(axis=1)).sum(axis=1) if m else np.full(len(wfh), len(cand))
        return held >= min(team.team_days_per_week, len(cand))
    if rule == "pairs":
        a, b = (idx[n] for n in finding["employees"])
        d = day[finding["date"]]
        kind = next(p.rule for p in inst.pairs if (p.nip_a, p.nip_b) == tuple(finding["employees"]))
        if kind == "cover":
            return ~(wfh[:, a, d] & wfh[:, b, d])
        return wfh[:, a, d] == wfh[:, b, d]
    raise AssertionError(f"no brute force for rule {rule}")


def schedules(inst) -> tuple[brute.Tiny, np.ndarray]:
    """Every schedule keeping rules 1 and 2 (must requests are rule instances here, not fixed cells)."""
    t = dataclasses.replace(brute.tiny(inst), must={})
    return brute.tiny(inst), brute.enumerate_all(t)


def satisfiable(t, wfh, findings) -> bool:
    ok = np.ones(len(wfh), dtype=bool)
    for f in findings:
        ok &= holds(t, wfh, f)
    return bool(ok.any())


@st.composite
def clashing_instances(draw):
    """Tiny instances, most of them infeasible: tight teams, must requests, few desks, pairs, weekly rules."""
    n_emp = draw(st.integers(2, 4))
    n_days = draw(st.integers(1, 4))
    nips = [f"E{i}" for i in range(n_emp)]
    categories = {"a": draw(st.sampled_from(["0.5", "1", "0.34"])), "b": "0"}
    people = [emp(n, category=draw(st.sampled_from(["a", "a", "a", "b"])), team=draw(st.sampled_from(["T", "T", None])),
                  office=draw(st.sampled_from(["O", None]))) for n in nips]
    days = [f"2023-09-{4 + k:02d}" for k in range(n_days)]
    teams = [dict(team="T", unit="U", min_onsite=draw(st.integers(0, 3)),
                  team_days_per_week=draw(st.sampled_from([None, None, 1])))]
    requests = [dict(nip=draw(st.sampled_from(nips)), date=draw(st.sampled_from(days)),
                     mode=draw(st.sampled_from(["WFH", "WFH", "WFO"])), strength="must")
                for _ in range(draw(st.integers(0, 4)))]
    leave = [dict(nip=draw(st.sampled_from(nips)), start=d, end=d) for d in draw(st.lists(st.sampled_from(days), max_size=2))]
    pairs = []
    if draw(st.booleans()):
        a, b = draw(st.lists(st.sampled_from(nips), min_size=2, max_size=2, unique=True))
        pairs.append(dict(nip_a=a, nip_b=b, rule=draw(st.sampled_from(["cover", "together"]))))
    rules = {"max_consecutive_wfh": draw(st.none() | st.integers(1, 2)),
             "min_wfo_per_week": draw(st.none() | st.integers(1, 2))}
    return people, dict(window=(days[0], days[-1]), categories=categories, teams=teams, requests=requests or None,
                        leave=leave or None, pairs=pairs or None, rules=rules,
                        cap_scope=draw(st.sampled_from(["unit", "team", "all"])),
                        offices=[dict(office="O", desks=draw(st.integers(0, 2)))])


@settings(max_examples=int(os.environ.get("GILIRAN_EXPLAIN_EXAMPLES", 60)), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(clashing_instances())
def test_reported_sets_are_minimal_clashes(case):
    people, kwargs = case
    with tempfile.TemporaryDirectory() as tmp:
        inst = brute.write_instance(Path(tmp), people, **kwargs)
        assume(not compile_instance(inst).conflicts)       # those are explained while compiling
        t, wfh = schedules(inst)
        assume(not brute.feasible(brute.tiny(inst), brute.enumerate_all(brute.tiny(inst))).any())
        findings = diagnose(inst, checks=False)
        assert findings and all(f.get("minimal", True) for f in findings)
        assert not satisfiable(t, wfh, findings)
        clashes: dict[int, list[dict]] = {}
        for f in findings:
            clashes.setdefault(f["clash"], []).append(f)
        for members in clashes.values():     # each clash by itself, and less any one member
            assert not satisfiable(t, wfh, members), members
            for k in range(len(members)):
                assert satisfiable(t, wfh, members[:k] + members[k + 1:]), (members[k], members)


@settings(max_examples=int(os.environ.get("GILIRAN_EXPLAIN_EXAMPLES", 60)), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(clashing_instances())
def test_a_pre_check_finding_means_no_schedule(case):
    """The pre-checks read impossibilities from the data (desks against the caps among them): when
    one fires, the brute force finds no schedule at all."""
    people, kwargs = case
    with tempfile.TemporaryDirectory() as tmp:
        inst = brute.write_instance(Path(tmp), people, **kwargs)
        data = compile_instance(inst)
        assume(not data.conflicts)
        found = precheck(data)
        assume(found)
        assert not brute.feasible(brute.tiny(inst), brute.enumerate_all(brute.tiny(inst))).any(), found
