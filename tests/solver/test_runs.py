"""Rule 6 (max consecutive WFH) in the restricted network: office days that break every longer run
(solver.flow._break_runs), so that the network's schedules keep the rule."""
from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import brute  # noqa: E402
from test_optimality import day, emp  # noqa: E402

from models.generate import generate_instance  # noqa: E402
from models import Instance  # noqa: E402
from solver import flow  # noqa: E402
from solver.data import compile_instance, components, split, without_idle_caps  # noqa: E402


def _longest_run(row: np.ndarray) -> int:
    """The longest WFH run over the present days (leave does not break a run, as in rule 6)."""
    best = run = 0
    for mode in row[row >= 0]:
        run = run + 1 if mode == 1 else 0
        best = max(best, run)
    return best


def test_a_restricted_network_breaks_every_run_longer_than_rule_6(tmp_path):
    # two who may both be home every day of two weeks, at most 2 WFH days in a row, no rule 7: the
    # relaxed network sends them home every day; the restricted one keeps every third day at the
    # office, which is the most rule 6 allows (7 of 10 days each)
    people = [emp("A", category="free"), emp("B", category="free")]
    inst = brute.write_instance(tmp_path, people, categories={"free": "1"}, window=(day(0), day(11)),
                                rules={"max_consecutive_wfh": 2, "min_wfo_per_week": 0}, objective=["wfh"])
    data = compile_instance(inst)
    (comp,) = split(data, components(data, link_offices=False, extra_links=[]))
    relaxed = flow.build(comp)
    assert relaxed.max_flow + int(relaxed.constant_wfh.sum()) == 20
    assert not relaxed.keeps_every_rule(relaxed.max_flow_grid)
    restricted = flow.restrict(comp, relaxed, relaxed.max_flow_grid)
    grid = restricted.max_flow_grid
    assert restricted.keeps_every_rule(grid)
    assert [_longest_run(row) for row in grid] == [2, 2]
    assert restricted.max_flow + int(restricted.constant_wfh.sum()) == 14


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_schedule_of_a_restricted_network_keeps_rule_6_and_the_shape_stays_one(tmp_path, seed):
    # generated parts with rule 6 on: the restricted network's max flow and its random-cost
    # min-cost schedules keep rule 6; and restricted after a schedule that keeps rule 6, the network
    # still holds that schedule, so its max flow never falls below it
    folder = generate_instance(tmp_path / "inst", employees=200, units=4, seed=seed, hybrid_rules=False,
                               max_consecutive_wfh=3)
    data = without_idle_caps(compile_instance(Instance.load(folder)))
    comps = split(data, components(data, link_offices=False, extra_links=[]))
    rng = np.random.default_rng(seed)
    checked = 0
    for comp in comps:
        relaxed = flow.build(comp)
        if relaxed is None or relaxed.mixed:
            continue
        k = comp.data.max_consecutive_wfh
        restricted = flow.restrict(comp, relaxed, relaxed.max_flow_grid)
        assert restricted is not None
        shape = restricted.max_flow_grid
        assert max(_longest_run(row) for row in shape) <= k
        n = len(comp.members)
        costs = rng.integers(-5, 6, size=len(restricted.cell_arcs)).astype(np.int64)
        cheapest = restricted.cheapest(costs, np.zeros(n, dtype=np.int64), np.full(n, 10 ** 6, dtype=np.int64))
        assert cheapest is not None and max(_longest_run(row) for row in cheapest) <= k
        again = flow.restrict(comp, relaxed, shape)
        assert again.max_flow >= restricted.max_flow
        assert max(_longest_run(row) for row in again.max_flow_grid) <= k
        checked += 1
    assert checked >= 2


@pytest.mark.parametrize("weekly", [None, 0, 1, 3])
def test_rule_6_with_and_without_weekly_office_days_matches_the_brute_force(tmp_path, weekly):
    # windows inside one ISO week are left out of the model where rule 7 already keeps that week's
    # home days at k or fewer; without rule 7 (None or 0) every window stays
    from test_optimality import assert_solver_matches_brute

    people = [emp("A", category="free"), emp("B", category="free"), emp("C", category="free", team="T")]
    inst = brute.write_instance(tmp_path, people, categories={"free": "0.67"}, window=(day(2), day(9)),
                                teams=[dict(team="T", unit="U", min_onsite=0)],
                                rules={"max_consecutive_wfh": 2, "min_wfo_per_week": weekly},
                                leave=[dict(nip="B", start=day(8), end=day(8))],
                                objective=["wfh", "fairness"])
    assert_solver_matches_brute(inst)


@pytest.mark.parametrize("seed", [1, 2])
def test_office_days_for_rule_6_reach_the_relaxed_best_with_a_schedule_that_keeps_every_rule(tmp_path, seed):
    # generated parts with rule 6 on, random request costs: where _runs_kept gives one of the relaxed best's cost,
    # the model allows it (every rule), no run is longer than k, it has the relaxed network's most
    # WFH days and the relaxed best schedule's cost (so no schedule does better); and it gives one
    # for most nested parts with sparse costs
    solve_module = importlib.import_module("solver.solve")   # the submodule (the package exports a function)

    folder = generate_instance(tmp_path / "inst", employees=300, units=5, seed=seed, hybrid_rules=False,
                               max_consecutive_wfh=3)
    data = without_idle_caps(compile_instance(Instance.load(folder)))
    comps = split(data, components(data, link_offices=False, extra_links=[]))
    rng = np.random.default_rng(seed)
    tried = found = 0
    for comp in comps:
        search = solve_module._Search(comp, solve_module.Settings(workers=1), deadline=float("inf"))
        net = search.flow
        if net is None or not net.nested:
            continue
        n = len(comp.members)
        bounds = (np.zeros(n, dtype=np.int64), np.full(n, 10 ** 6, dtype=np.int64))
        for _ in range(3):
            # sparse, as requests are: a few cells wanted at home (−), a few at the office (+)
            costs = rng.choice([-2, -1, 0, 1], size=len(net.cell_arcs), p=[0.02, 0.03, 0.92, 0.03]).astype(np.int64)
            best = net.cheapest(costs, *bounds)
            tried += 1
            grid = search._runs_kept(net, costs, best, bounds)
            if grid is not None and solve_module._cost(costs, net, grid) != solve_module._cost(costs, net, best):
                grid = None
            if grid is None:
                continue
            found += 1
            rows, days = net.cell_index[:, 0], net.cell_index[:, 1]
            assert max(_longest_run(row) for row in grid) <= comp.data.max_consecutive_wfh
            assert int((grid == 1).sum()) == int((best == 1).sum())
            assert int(costs[grid[rows, days] == 1].sum()) == int(costs[best[rows, days] == 1].sum())
            assert search.allows(grid)
    assert tried >= 6 and found >= tried // 2, (found, tried)


def test_office_days_leave_no_window_without_one(tmp_path):
    # every k + 1 present days in a row keep an office day (fixed, or one _office_days keeps), so
    # every schedule of the closed network keeps rule 6; a window at home throughout gets one
    solve_module = importlib.import_module("solver.solve")   # the submodule (the package exports a function)

    folder = generate_instance(tmp_path / "inst", employees=200, units=4, seed=5, hybrid_rules=False,
                               max_consecutive_wfh=2)
    data = without_idle_caps(compile_instance(Instance.load(folder)))
    comps = split(data, components(data, link_offices=False, extra_links=[]))
    checked = 0
    for comp in comps:
        net = flow.build(comp)
        if net is None or not net.nested:
            continue
        k = comp.data.max_consecutive_wfh
        grid = net.max_flow_grid
        movable = np.zeros(grid.shape, dtype=bool)
        movable[net.cell_index[:, 0], net.cell_index[:, 1]] = True
        forbid = solve_module._office_days(comp, grid, movable, np.zeros(grid.shape, dtype=bool),
                                           np.zeros(grid.shape, dtype=np.int64), k,
                                           lambda cells: True)
        assert forbid is not None and not (forbid & ~movable).any()
        present = comp.data.present[comp.members]
        forced = comp.data.forced[comp.members]
        office = present & ((forced == 0) | ((forced < 0) & ~movable) | forbid)
        for r in range(len(comp.members)):
            at = office[r, present[r]]
            fixed_home = (forced[r, present[r]] == 1)
            run = 0
            for o, h in zip(at, fixed_home):
                run = 0 if o else run + 1
                assert run <= k or h, (r, run)
        n = len(comp.members)
        costs = np.random.default_rng(0).integers(-5, 6, size=len(net.cell_arcs)).astype(np.int64)
        cheapest = net.closed(forbid).cheapest(costs, np.zeros(n, dtype=np.int64), np.full(n, 10 ** 6, dtype=np.int64))
        assert cheapest is not None and max(_longest_run(row) for row in cheapest) <= k
        checked += 1
    assert checked >= 2


def test_rule_6_best_of_a_network_restricted_but_for_rule_6_keeps_every_rule(tmp_path, monkeypatch):
    # generated parts with rule 6 and teams across cap groups: every schedule _runs_best gives
    # (HiGHS' start, or the optimum at the bound) keeps rule 6 and the model, has the schedule at
    # hand's WFH days (the search keeps it only when it meets more requests)
    solve_module = importlib.import_module("solver.solve")
    folder = generate_instance(tmp_path / "inst", employees=450, units=5, seed=4, hybrid_rules=False,
                               max_consecutive_wfh=3)
    inst = Instance.load(folder)
    given = []
    real = solve_module._Search._runs_best

    def spy(self, requests):
        before = self.solution.copy()
        out = real(self, requests)
        if out is not None:
            assert max(_longest_run(row) for row in out) <= self.comp.data.max_consecutive_wfh
            assert int((out == 1).sum()) == int((before == 1).sum())
            assert self.allows(out)
            given.append((self._preferences_met(out, requests), self._preferences_met(before, requests)))
        return out

    monkeypatch.setattr(solve_module._Search, "_runs_best", spy)
    result = solve_module.solve(inst, time_limit=60, workers=1)
    assert result.status in ("OPTIMAL", "FEASIBLE") and result.schedule is not None
    assert given, "no part took the path"
