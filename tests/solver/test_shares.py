"""The search over shared-out team rooms (solver.shares) against the brute force.

Teams across cap groups break the network; :mod:`solver.shares` makes the fairness
checks and goal `preferences` exact again with a small master and flow cuts. Here the
solver is made to take that path wherever it applies (``SHARES_FIRST``), on random tiny
instances with such teams, and must reach the brute force's optimum of every goal.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
import brute  # noqa: E402
from test_optimality import MON, _load_trimmed, assert_solver_matches_brute, day, emp  # noqa: E402

import importlib  # noqa: E402

shares = importlib.import_module("solver.shares")
solve_module = importlib.import_module("solver.solve")   # the submodule: the package exports a function `solve`


@pytest.fixture
def shares_first(monkeypatch):
    """Force the path, and count the searches that ran on it."""
    used = []
    monkeypatch.setattr(solve_module, "SHARES_FIRST", True)
    original = shares.SharedRooms._solve

    def counted(self, limits, deadline, requests):
        used.append(bool(requests))
        return original(self, limits, deadline, requests)

    monkeypatch.setattr(shares.SharedRooms, "_solve", counted)
    return used


def test_preferences_with_a_cover_pair_across_teams(tmp_path, shares_first):
    # the pair crosses two teams, so the network leaves it out; the preferences search keeps it
    people = [emp("a1", category="a", team="T"), emp("a2", category="a", team="T"),
              emp("a3", category="a", team="S"), emp("a4", category="a", team="S"), emp("a5", category="a")]
    inst = brute.write_instance(tmp_path, people, window=(day(0), day(2)), categories={"a": "0.6"},
                                teams=[dict(team="T", unit="U", min_onsite=1), dict(team="S", unit="U", min_onsite=1)],
                                pairs=[dict(nip_a="a1", nip_b="a3", rule="cover")],
                                requests=[dict(nip="a1", date=day(0), mode="WFH"), dict(nip="a3", date=day(0), mode="WFH",
                                                                                   weight="2")],
                                objective=["wfh", "fairness", "preferences"])
    assert_solver_matches_brute(inst)
    assert True in shares_first


def test_mixed_team_fairness_and_preferences(tmp_path, shares_first):
    # one team across two cap groups, room 1 a day: who of a1/b1 goes home moves each group's total
    people = [emp("a1", category="a", team="T"), emp("a2", category="a"), emp("a3", category="a", team="T"),
              emp("b1", category="b", team="T"), emp("b2", category="b")]
    inst = brute.write_instance(tmp_path, people, window=(day(0), day(2)), categories={"a": "0.67", "b": "0.5"},
                                teams=[dict(team="T", unit="U", min_onsite=2)],
                                requests=[dict(nip="b1", date=day(1), mode="WFH"),
                                          dict(nip="a1", date="mon", mode="WFH", weight="2")],
                                objective=["wfh", "fairness", "preferences"])
    assert_solver_matches_brute(inst)
    assert True in shares_first and False in shares_first      # both searches ran on the path


@st.composite
def mixed_instances(draw):
    n_emp = draw(st.sampled_from([4, 5, 5, 6]))
    n_days = draw(st.sampled_from([2, 3, 4, 5]))
    work = [k for k in range(14) if (MON.toordinal() + k) % 7 not in (5, 6)][:n_days]
    # Monday 2023-09-04 is ordinal % 7 == 0: days 5, 6 are the weekend
    categories = {"a": draw(st.sampled_from(["0.5", "0.67", "0.75", "1"])),
                  "b": draw(st.sampled_from(["0.5", "0.67", "1"]))}
    teams = [dict(team="T", unit="U", min_onsite=draw(st.sampled_from([1, 2])),
                  min_onsite_ratio=draw(st.sampled_from(["", "0.5"])))]
    people = []
    for i in range(n_emp):
        cat = "a" if i % 2 == 0 else "b"
        people.append(emp(f"E{i}", category=cat, team="T" if i < 3 or draw(st.booleans()) else None))
    nips = [p["nip"] for p in people]
    leave = []
    for nip in nips:
        if draw(st.integers(0, 3)) == 0:
            k = draw(st.sampled_from(work))
            leave.append(dict(nip=nip, start=day(k), end=day(k)))
    requests = []
    for _ in range(draw(st.integers(0, 3))):
        requests.append(dict(nip=draw(st.sampled_from(nips)), date=day(draw(st.sampled_from(work))),
                             mode=draw(st.sampled_from(["WFH", "WFO"])), weight=draw(st.sampled_from(["1", "2.5"]))))
    pairs = []
    if draw(st.integers(0, 2)) == 0:         # a pair: the preferences search then keeps it day by day
        a, b = draw(st.lists(st.sampled_from(nips), min_size=2, max_size=2, unique=True))
        pairs.append(dict(nip_a=a, nip_b=b, rule=draw(st.sampled_from(["cover", "together"]))))
    rules = {"min_wfo_per_week": draw(st.none() | st.integers(1, 3))}
    objective = ["wfh", "fairness"] + (["preferences"] if draw(st.booleans()) else [])
    kwargs = dict(window=(day(work[0]), day(work[-1])), categories=categories, rules=rules, objective=objective,
                  teams=teams, leave=leave or None, requests=requests or None, pairs=pairs or None)
    trim = draw(st.permutations(range(n_emp * n_days)))
    return people, kwargs, trim


def _matches_brute(case, calls: list) -> list | None:
    """Solve a drawn case and hold it against the brute force: None if it has no schedule (and the
    solver says so), else what ``calls`` gained meanwhile."""
    people, kwargs, trim = case
    with tempfile.TemporaryDirectory() as tmp:
        inst = _load_trimmed(Path(tmp), people, kwargs, trim)
        opt = brute.optimum(inst)
        if not opt.feasible:
            assert solve_module.solve(inst, time_limit=30, workers=1, seed=0, check=False).status == "INFEASIBLE"
            return None
        before = len(calls)
        assert_solver_matches_brute(inst, opt=opt)
        return calls[before:]


@settings(max_examples=int(os.environ.get("GILIRAN_BRUTE_EXAMPLES", 40)), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(mixed_instances())
def test_random_mixed_teams_match_the_brute_force(shares_first, case):
    new = _matches_brute(case, shares_first)
    if new is None:
        event("infeasible")
        return
    event("on the shares path" if new else "settled before it")
    if case[1].get("pairs"):
        event("with a pair" + (", preferences on the path" if True in new else ""))


def test_the_random_cases_reach_the_path():
    """The strategy above is worth running only if many of its cases take the path."""
    hits = []

    @settings(max_examples=30, deadline=None, database=None)
    @given(mixed_instances())
    def run(case):
        people, kwargs, trim = case
        with tempfile.TemporaryDirectory() as tmp:
            inst = _load_trimmed(Path(tmp), people, kwargs, trim)
            if not brute.optimum(inst).feasible:
                return
            calls = []
            original = shares.SharedRooms._solve

            def counted(self, limits, deadline, requests):
                calls.append(1)
                return original(self, limits, deadline, requests)

            shares.SharedRooms._solve, solve_module.SHARES_FIRST = counted, True
            try:
                solve_module.solve(inst, time_limit=30, workers=1, seed=0, check=False)
            finally:
                shares.SharedRooms._solve, solve_module.SHARES_FIRST = original, False
            hits.append(bool(calls))

    run()
    assert sum(hits) >= 5, hits



@pytest.fixture
def stalled_master(monkeypatch):
    """The master's check before CP-SAT's turn (see ``_fair_by_shares``) gets no time, as one that
    goes on adding cuts would: the fairness search must still reach the optimum. Counts those checks."""
    import time

    monkeypatch.setattr(solve_module, "STALL_SHARE", 0.0)
    stalled = []
    original = shares.SharedRooms.check

    def check(self, limits, deadline):
        if deadline <= time.monotonic():
            stalled.append(limits)
        return original(self, limits, deadline)

    monkeypatch.setattr(shares.SharedRooms, "check", check)
    return stalled


@settings(max_examples=int(os.environ.get("GILIRAN_BRUTE_EXAMPLES", 40)), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(mixed_instances())
def test_a_stalled_first_check_still_reaches_the_brute_force(stalled_master, case):
    new = _matches_brute(case, stalled_master)
    event("infeasible" if new is None else "the first check gave up" if new else "not on the path")


def test_a_stalled_first_check_on_a_mixed_team(tmp_path, stalled_master):
    # the mixed team of test_mixed_team_fairness_and_preferences, without requests: its network's least
    # deviation first checked by CP-SAT's model (the master's check given no time)
    people = [emp("a1", category="a", team="T"), emp("a2", category="a"), emp("a3", category="a", team="T"),
              emp("b1", category="b", team="T"), emp("b2", category="b")]
    inst = brute.write_instance(tmp_path, people, window=(day(0), day(2)), categories={"a": "0.67", "b": "0.5"},
                                teams=[dict(team="T", unit="U", min_onsite=2)],
                                objective=["wfh", "fairness"])
    assert_solver_matches_brute(inst)
    assert stalled_master
