"""Request goals (preferences, stability) searched at their upper bound, and the restricted network
with team days moved to meet more requests (solver.solve._Search._reach, _restricted_best)."""
from __future__ import annotations

import importlib
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, event, given, settings

sys.path.insert(0, str(Path(__file__).parent))
import brute  # noqa: E402
from test_optimality import _load_trimmed, assert_solver_matches_brute, day, emp, tiny_instances  # noqa: E402

from solver import flow  # noqa: E402
from solver.data import compile_instance, components, split  # noqa: E402

solve_module = importlib.import_module("solver.solve")   # the submodule: the package exports a function `solve`


def _no_quick_searches(monkeypatch):
    """The short CP-SAT searches of _reach find nothing, so the restricted network has to."""
    monkeypatch.setattr(solve_module, "REACH_QUICK", 0.0)


def _spy_restricted(monkeypatch) -> list:
    """Record (requests met by the schedule before, by the one _restricted_best returns, bound)."""
    calls = []
    original = solve_module._Search._restricted_best

    def spy(self, requests, bound, **kwargs):
        before = self._preferences_met(self.solution, requests) if self.solution is not None else None
        grid = original(self, requests, bound, **kwargs)
        calls.append((before, None if grid is None else self._preferences_met(grid, requests), bound))
        return grid

    monkeypatch.setattr(solve_module._Search, "_restricted_best", spy)
    return calls


def _team_day_instance(folder):
    """Three in a team with one team day a week to choose and a WFH wish on four of the five days:
    the only team day that leaves every wish met is Friday."""
    people = [emp("A", category="free", team="T"), emp("B", category="free", team="T"),
              emp("C", category="free", team="T")]
    return brute.write_instance(
        folder, people, categories={"free": "0.67"}, window=(day(0), day(4)),
        teams=[dict(team="T", unit="U", min_onsite=1, team_days_per_week=1)],
        requests=[dict(nip="A", date=day(0), mode="WFH", weight=1), dict(nip="B", date=day(1), mode="WFH", weight=1),
                  dict(nip="C", date=day(2), mode="WFH", weight=1), dict(nip="A", date=day(3), mode="WFH", weight=2)],
        objective=["wfh", "fairness", "preferences"])


def test_team_days_are_moved_onto_the_day_nobody_asked_off(tmp_path, monkeypatch):
    _no_quick_searches(monkeypatch)
    calls = _spy_restricted(monkeypatch)
    opt, res = assert_solver_matches_brute(_team_day_instance(tmp_path))
    assert opt.values["preferences"] == 5                      # every wish met: the team day is Friday
    assert res.details["team_days"]["T"] == [day(4)]
    assert calls and calls[-1][1] == calls[-1][2] == 5           # the network met the bound itself


def test_moves_and_swaps_go_round_from_the_last_place():
    team_days = {(0, 0): [1], (1, 0): [2], (0, 1): [6]}
    blocked = {(0, 0): {0: 0, 1: 3, 2: 1}, (1, 0): {1: 0, 2: 2}, (0, 1): {5: 0, 6: 0}}
    moves = list(solve_module._team_day_moves(team_days, blocked))
    keys = sorted(team_days)
    singles = [(keys[w], t) for w, t in moves if sum(t[k] != team_days[k] for k in t) == 1]
    swaps = [t for _, t in moves if sum(t[k] != team_days[k] for k in t) == 2]
    # every other candidate day of every (team, week), the least blocked first
    assert [t[(0, 0)] for k, t in singles if k == (0, 0)] == [[0], [2]]
    assert [t[(1, 0)] for k, t in singles if k == (1, 0)] == [[1]]
    assert [t[(0, 1)] for k, t in singles if k == (0, 1)] == [[5]]
    # teams 0 and 1 of week 0 trade their days (each a candidate of the other); week 1 has one team
    assert swaps == [{(0, 0): [2], (1, 0): [1], (0, 1): [6]}]
    # from place 2 on, the first move changes the (team, week) at place 2
    place, first = next(solve_module._team_day_moves(team_days, blocked, 2))
    assert place == 2 and first[keys[2]] != team_days[keys[2]]


def test_a_restricted_network_keeps_a_together_pair_at_home_together(tmp_path):
    people = [emp("A", category="free"), emp("B", category="free"), emp("C", category="free")]
    inst = brute.write_instance(tmp_path, people, categories={"free": "0.67"}, window=(day(0), day(4)),
                                pairs=[dict(nip_a="A", nip_b="B", rule="together")], objective=["wfh"])
    data = compile_instance(inst)
    (comp,) = split(data, components(data, link_offices=False, extra_links=[]))
    relaxed = flow.build(comp)
    grid = np.array([[1, 1, 0, 0, 1], [1, 1, 0, 0, 1], [0, 0, 1, 1, 0]], dtype=np.int8)  # 2 of 3 home each day
    restricted = flow.restrict(comp, relaxed, grid)
    assert restricted is not None and restricted.keeps_every_rule(restricted.max_flow_grid)
    # the pair's three days at home together are kept (they used to be office days): as many WFH days
    assert restricted.max_flow + int(restricted.constant_wfh.sum()) == int((grid == 1).sum()) == 8
    out = restricted.max_flow_grid
    assert (out[0] == out[1]).all() and (out[0, [0, 1, 4]] == 1).all()


@settings(max_examples=int(os.environ.get("GILIRAN_BRUTE_EXAMPLES", 40)), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(tiny_instances())
def test_random_tiny_instances_through_the_restricted_network(monkeypatch, case):
    """With the short searches finding nothing, request goals are met by the restricted network
    (with team days moved) or by the longer searches: still the brute-force optimum."""
    people, kwargs, trim = case
    kwargs = dict(kwargs, objective=list(kwargs["objective"]) + (
        ["preferences"] if "preferences" not in kwargs["objective"] else []))
    with tempfile.TemporaryDirectory() as tmp:
        inst = _load_trimmed(Path(tmp), people, kwargs, trim)
        opt = brute.optimum(inst)
        if not opt.feasible:
            return
        with monkeypatch.context() as patch:
            _no_quick_searches(patch)
            calls = _spy_restricted(patch)
            assert_solver_matches_brute(inst, opt=opt)
        met = [c for c in calls if c[1] is not None]
        event("restricted network used" if met else "not used")
        if any(c[1] == c[2] for c in met):
            event("it met the bound")


def _search(inst, seconds=10.0):
    data = compile_instance(inst)
    (comp,) = split(data, components(data, link_offices=False, extra_links=[]))
    settings = solve_module.Settings(seconds, 1, 0, False, None)
    return solve_module._Search(comp, settings, time.monotonic() + seconds)


def test_allows_tells_a_schedule_that_keeps_the_rules_from_one_that_breaks_them(tmp_path):
    """allows() fixes every cell through the hint: a schedule over the cap or with the team day
    missing is refused, a schedule that keeps every rule is allowed."""
    inst = _team_day_instance(tmp_path)          # 3 in team T (1 on site), cap 0.67: at most 2 home a day
    search = _search(inst)
    ok = np.array([[1, 1, 0, 1, 0], [1, 0, 1, 1, 0], [0, 1, 1, 0, 0]], dtype=np.int8)   # Friday the team day
    assert search.allows(ok)
    over_cap = ok.copy()
    over_cap[2, 0] = 1                            # three home on Monday
    assert not search.allows(over_cap)
    no_team_day = ok.copy()
    no_team_day[0, 4] = 1                         # nobody's day left with the whole team on site
    no_team_day[2, 3] = 0
    assert not search.allows(no_team_day)
    leave_mismatch = ok.copy()
    leave_mismatch[0, 0] = -1                     # on leave where the instance has them present
    assert not search.allows(leave_mismatch)


def test_the_team_days_are_moved_toward_the_most_wfh_days(tmp_path):
    """_most_by_team_days: the relaxed network (no team day) has 10 WFH days, which no schedule
    with a team day reaches; the best one found with the team's day closed (the brute force's 8)
    is kept as the search's first guess, and not claimed as the most."""
    inst = _team_day_instance(tmp_path)
    opt = brute.optimum(inst)
    search = _search(inst)
    net = search.flow
    most = net.max_flow + int(net.constant_wfh.sum())
    assert most == 10 and opt.values["wfh"] == 8
    assert search._most_by_team_days(net, most) is None
    assert int((search.solution == 1).sum()) == 8 and search.allows(search.solution)
    # told the most is 8, it returns that schedule
    assert int((search._most_by_team_days(net, 8) == 1).sum()) == 8
