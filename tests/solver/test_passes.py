"""Which of two runs of one part the solver keeps (the first pass's or the second's)."""
from __future__ import annotations

import importlib
import os
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, example, given, settings

sys.path.insert(0, str(Path(__file__).parent))
import brute  # noqa: E402
from test_optimality import _load_trimmed, assert_solver_matches_brute, tiny_instances  # noqa: E402

solve_module = importlib.import_module("solver.solve")   # the submodule: the package exports a function `solve`
GoalOutcome, ComponentOutcome = solve_module.GoalOutcome, solve_module.ComponentOutcome
OBJECTIVE = ["wfh", "fairness", "preferences"]
GRID = np.zeros((1, 1), dtype=np.int8)


def outcome(status, **goals):
    return ComponentOutcome(status, GRID, {g: GoalOutcome(*v) for g, v in goals.items()})


def test_same_values_keep_the_run_that_proved_more():
    first = outcome("FEASIBLE", wfh=(1611, 1634, False), fairness=(Fraction(2), Fraction(0), False))
    second = outcome("FEASIBLE", wfh=(1611, 1611, True), fairness=(Fraction(2), Fraction(0), False))
    assert solve_module._better(second, first, OBJECTIVE)
    assert not solve_module._better(first, second, OBJECTIVE)


def test_better_values_win_whatever_is_proven():
    first = outcome("FEASIBLE", wfh=(1611, 1611, True), fairness=(Fraction(3), Fraction(1), False))
    second = outcome("FEASIBLE", wfh=(1611, 1611, True), fairness=(Fraction(2), Fraction(1), False))
    assert solve_module._better(second, first, OBJECTIVE)
    more_goals = outcome("FEASIBLE", wfh=(1611, 1611, True), fairness=(Fraction(3), Fraction(3), True),
                         preferences=(10, 12, False))
    assert solve_module._better(more_goals, first, OBJECTIVE)
    assert not solve_module._better(first, more_goals, OBJECTIVE)


def test_the_largest_deviation_is_proven_when_the_worst_part_is():
    from types import SimpleNamespace

    data = SimpleNamespace(objective=OBJECTIVE, weight_scale=1)
    worst = outcome("OPTIMAL", wfh=(10, 10, True), fairness=(Fraction(4), Fraction(4), True), preferences=(3, 3, True))
    open_below = outcome("FEASIBLE", wfh=(12, 12, True), fairness=(Fraction(2), Fraction(1), False))
    wfh, fairness, preferences = solve_module._combine_goals(data, [worst, open_below])
    assert (wfh.value, wfh.bound, wfh.proven) == (22, 22, True)
    assert (fairness.value, fairness.bound, fairness.proven) == (4, 4, True)
    assert not preferences.proven and preferences.bound is None     # a part did not reach it
    # the worst part unproven: the figure is not proven, whatever the others say
    unproven = outcome("FEASIBLE", wfh=(10, 10, True), fairness=(Fraction(4), Fraction(3), False))
    _, fairness, _ = solve_module._combine_goals(data, [unproven, open_below])
    assert not fairness.proven and fairness.bound == 3


def test_later_goals_are_proven_when_every_other_part_was_kept_within_the_figure():
    from types import SimpleNamespace

    data = SimpleNamespace(objective=OBJECTIVE, weight_scale=1)
    worst = outcome("OPTIMAL", wfh=(10, 10, True), fairness=(Fraction(4), Fraction(4), True), preferences=(3, 3, True))
    within = outcome("FEASIBLE", wfh=(12, 12, True), fairness=(Fraction(2), Fraction(1), False), preferences=(5, 5, True))
    within.capped = Fraction(4)             # its preferences were optimized within the largest deviation
    _, fairness, preferences = solve_module._combine_goals(data, [worst, within])
    assert fairness.proven and fairness.value == 4
    assert preferences.proven and (preferences.value, preferences.bound) == (8, 8)
    within.capped = None                     # optimized within its own, smaller deviation: not the optimum
    _, fairness, preferences = solve_module._combine_goals(data, [worst, within])
    assert fairness.proven and not preferences.proven
    within.capped = Fraction(3)              # within a floor below the figure: not the optimum either
    assert not solve_module._combine_goals(data, [worst, within])[2].proven


def test_a_deviation_within_the_floor_is_as_good_as_the_floor():
    low = outcome("FEASIBLE", wfh=(10, 10, True), fairness=(Fraction(1), Fraction(0), False), preferences=(3, 3, True))
    loose = outcome("FEASIBLE", wfh=(10, 10, True), fairness=(Fraction(4), Fraction(0), False),
                    preferences=(5, 5, True))
    assert not solve_module._better(loose, low, OBJECTIVE)                  # alone, fairer wins
    assert solve_module._better(loose, low, OBJECTIVE, Fraction(4))         # within the floor, more preferences win
    assert not solve_module._better(loose, low, OBJECTIVE, Fraction(3))     # above the floor, fairer wins again


class _Dev:
    """A stand-in for solver.objectives' deviation: a grid's deviation is its one number."""

    def deviation(self, grid, local):
        return Fraction(int(grid))

    def limits_below(self, value):
        return [int(value) - 1]

    def limits_at_most(self, value):
        return [int(value)]


def test_least_deviation_probes_the_target_first_and_stops_within_it():
    probes = []

    def probe(limits):
        probes.append(limits[0])
        return ("FEASIBLE", limits[0]) if limits[0] >= 2 else ("INFEASIBLE", None)

    best, grid, bound, proven = solve_module.least_deviation(_Dev(), 9, {}, probe, target=Fraction(5))
    assert probes == [5] and best == 5 and not proven and bound == 0
    probes.clear()
    best, grid, bound, proven = solve_module.least_deviation(_Dev(), 9, {}, probe)
    assert best == 2 and proven and len(probes) > 1
    probes.clear()                                              # a target below the least: the search goes on
    best, grid, bound, proven = solve_module.least_deviation(_Dev(), 9, {}, probe, target=Fraction(1))
    assert probes[0] == 1 and best == 2 and proven


def test_least_deviation_stops_at_a_proven_least():
    probes = []

    def probe(limits):
        probes.append(limits[0])
        return ("FEASIBLE", limits[0]) if limits[0] >= 2 else ("INFEASIBLE", None)

    # a schedule at the proven least is optimal: nothing below it is probed
    best, grid, bound, proven = solve_module.least_deviation(_Dev(), 9, {}, probe, guess=Fraction(2),
                                                             least=Fraction(2))
    assert probes == [2] and best == 2 and bound == 2 and proven
    probes.clear()                      # out of time: the least is still the bound
    best, grid, bound, proven = solve_module.least_deviation(_Dev(), 9, {}, lambda limits: ("UNKNOWN", None),
                                                             guess=Fraction(2), least=Fraction(2))
    assert best == 9 and bound == 2 and not proven
    # within a target above it, the bound is the least
    best, grid, bound, proven = solve_module.least_deviation(_Dev(), 9, {}, probe, target=Fraction(5),
                                                             least=Fraction(2))
    assert best == 5 and bound == 2 and not proven


def test_a_part_with_a_target_optimizes_later_goals_within_it(tmp_path):
    # brute force: among wfh-optimal schedules within the target deviation, the most preferences met
    import time

    from solver.data import compile_instance, components, split

    people = [dict(nip=n, unit="U", category="adm") for n in "ABC"]
    prefer = [dict(nip="A", date=d, mode="WFH") for d in ("mon", "tue", "wed", "thu")]
    inst = brute.write_instance(tmp_path, people, window=("2023-09-04", "2023-09-07"), categories={"adm": "0.5"},
                                requests=prefer, objective=OBJECTIVE)
    t = brute.tiny(inst)
    wfh = brute.enumerate_all(t)
    wfh = wfh[brute.feasible(t, wfh)]
    most = brute.goal_scores(t, wfh, "wfh")[0]
    wfh = wfh[most == most.max()]
    dev, den, _ = brute.goal_scores(t, wfh, "fairness")
    levels = sorted(set(dev.tolist()))
    assert len(levels) >= 3
    comp = split(*(lambda d: (d, components(d)))(compile_instance(inst)))[0]
    for level in levels[:3]:
        target = Fraction(level, den)
        within = wfh[dev <= level]
        prefs = brute.goal_scores(t, within, "preferences")[0].max()
        got = solve_module.solve_component(comp, solve_module.Settings(), (30, time.monotonic() + 30), target=target)
        assert got.status == "OPTIMAL"
        assert got.capped == target
        assert got.goals["fairness"].value <= target
        assert got.goals["preferences"].value == prefs
    # a looser target lets A have more of the days A asks for
    assert brute.goal_scores(t, wfh[dev <= levels[2]], "preferences")[0].max() > \
        brute.goal_scores(t, wfh[dev <= levels[0]], "preferences")[0].max()


def test_within_the_floor_the_part_s_own_proof_does_not_count():
    own = outcome("OPTIMAL", wfh=(10, 10, True), fairness=(Fraction(1), Fraction(1), True), preferences=(3, 3, True))
    within = outcome("FEASIBLE", wfh=(10, 10, True), fairness=(Fraction(2), Fraction(0), False),
                     preferences=(3, 3, True))
    assert solve_module._better(within, own, OBJECTIVE, Fraction(4))
    assert not solve_module._better(within, own, OBJECTIVE)


# found by CI: goal preferences before wfh; a second pass that held wfh at the first pass's value kept
# the schedule preferences' run left, with fewer WFH days
PREFERENCES_BEFORE_WFH = ([{'nip': 'E0', 'unit': 'U', 'category': 'a', 'team': None, 'essential': 'true', 'commute_km': '', 'office': None}, {'nip': 'E1', 'unit': 'U', 'category': 'a', 'team': None, 'essential': 'false', 'commute_km': '', 'office': None}, {'nip': 'E2', 'unit': 'U', 'category': 'b', 'team': None, 'essential': 'true', 'commute_km': '', 'office': None}, {'nip': 'E3', 'unit': 'U', 'category': 'b', 'team': None, 'essential': 'false', 'commute_km': '', 'office': None}], {'window': ('2023-09-04', '2023-09-05'), 'extra_days_off': [], 'categories': {'a': '0.25', 'b': '0.5'}, 'phases': None, 'cap_scope': 'unit', 'rules': {'max_consecutive_wfh': None, 'min_wfo_per_week': None}, 'objective': ['preferences', 'wfh', 'fairness'], 'teams': [{'team': 'TU', 'unit': 'U', 'min_onsite': 0, 'min_onsite_ratio': '', 'team_days_per_week': None, 'team_days': None}], 'leave': None, 'requests': [{'nip': 'E0', 'date': '2023-09-04', 'mode': 'WFH', 'strength': 'prefer', 'weight': '1'}, {'nip': 'E0', 'date': '2023-09-04', 'mode': 'WFH', 'strength': 'prefer', 'weight': '1'}, {'nip': 'E0', 'date': '2023-09-04', 'mode': 'WFH', 'strength': 'prefer', 'weight': '1'}, {'nip': 'E1', 'date': '2023-09-04', 'mode': 'WFH', 'strength': 'prefer', 'weight': '1'}], 'pairs': [{'nip_a': 'E0', 'nip_b': 'E2', 'rule': 'cover'}], 'offices': None}, [0, 1, 2, 3, 4, 5, 6, 7])


@settings(max_examples=int(os.environ.get("GILIRAN_BRUTE_EXAMPLES", 40)) // 2, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(tiny_instances())
@example(case=PREFERENCES_BEFORE_WFH)
def test_a_second_pass_within_the_floor_reaches_the_brute_force_optimum(case):
    """The part of the first employee is cut short in the first pass (its fairness unproven, later goals
    not reached): the second pass, with the other parts' largest bound as its target, must still end at
    the lexicographic optimum of the whole instance."""
    people, kwargs, trim = case
    real = solve_module.solve_component

    def cut_short(comp, settings, deadline, cap=None, known=None, start=None, target=None, report=None):
        out = real(comp, settings, deadline, cap, known, start, target, report=report)
        objective = comp.data.objective
        first_pass = cap is None and target is None and start is None
        if first_pass and 0 in comp.members and out.status == "OPTIMAL" and "fairness" in objective:
            fair = out.goals["fairness"]
            out.goals = {g: out.goals[g] for g in objective[:objective.index("fairness")]}
            out.goals["fairness"] = GoalOutcome(fair.value, Fraction(0), fair.value == 0)
            out.status = "FEASIBLE"
            event("first pass cut short")
        return out

    with tempfile.TemporaryDirectory() as tmp:
        inst = _load_trimmed(Path(tmp), people, kwargs, trim)
        opt = brute.optimum(inst)
        if not opt.feasible:
            return
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(solve_module, "solve_component", cut_short)
            assert_solver_matches_brute(inst, opt=opt)


def test_the_part_that_sets_the_floor_gets_no_target():
    sets = outcome("FEASIBLE", wfh=(10, 10, True), fairness=(Fraction(4), Fraction(3), False))
    below = outcome("FEASIBLE", wfh=(10, 10, True), fairness=(Fraction(5), Fraction(1), False))
    assert solve_module._target(sets, Fraction(3)) is None
    assert solve_module._target(below, Fraction(3)) == 3
    assert solve_module._target(outcome("FEASIBLE", wfh=(10, 12, False)), Fraction(3)) == 3   # fairness not reached
    assert solve_module._target(below, None) is None


def test_a_second_run_keeps_the_first_run_s_fairness_bound():
    first = outcome("FEASIBLE", wfh=(10, 10, True), fairness=(Fraction(4), Fraction(4), True))
    within = outcome("FEASIBLE", wfh=(10, 10, True), fairness=(Fraction(4), Fraction(0), False), preferences=(3, 3, True))
    solve_module._keep_bound(within, first, OBJECTIVE)
    assert within.goals["fairness"] == GoalOutcome(Fraction(4), Fraction(4), True)
    # other wfh values: the first run's bound held among other schedules, so it is not taken
    other = outcome("FEASIBLE", wfh=(9, 10, False), fairness=(Fraction(4), Fraction(0), False))
    solve_module._keep_bound(other, first, OBJECTIVE)
    assert other.goals["fairness"].bound == 0


@settings(max_examples=int(os.environ.get("GILIRAN_BRUTE_EXAMPLES", 40)), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(tiny_instances())
def test_a_network_floor_never_exceeds_the_brute_force_fairness(case):
    """The floor the parts' networks give before they are solved (_network_floor) is a lower bound
    of the whole schedule's least deviation, among the schedules with the most WFH days."""
    from solver.data import compile_instance, components, split, without_idle_caps

    people, kwargs, trim = case
    kwargs = dict(kwargs, objective=["wfh", "fairness"])
    with tempfile.TemporaryDirectory() as tmp:
        inst = _load_trimmed(Path(tmp), people, kwargs, trim)
        opt = brute.optimum(inst)
        if not opt.feasible:
            return
        data = without_idle_caps(compile_instance(inst))
        comps = split(data, components(data, link_offices=False, extra_links=[]))
        floor, setter = solve_module._network_floor(comps, list(range(len(comps))), solve_module.Settings(workers=1),
                                                    Fraction(-1))
        event("a part's network sets the floor" if setter is not None else "no network bound counts")
        assert floor <= opt.values["fairness"]
        if setter is not None:
            assert floor == solve_module.network_bound(comps[setter])
        # without a floor yet (no plain part gave one): the same part's bound, else still none
        assert solve_module._network_floor(comps, list(range(len(comps))), solve_module.Settings(workers=1),
                                           None) == ((floor, setter) if setter is not None and floor > 0 else (None, None))


@pytest.mark.parametrize("consecutive", [None, 3])
def test_the_network_floor_changes_no_goal_value(tmp_path, monkeypatch, consecutive):
    # generated parts, some with teams across cap groups: solved with and without the floor the
    # networks give before the parts start, the same goal values, each proven; with rule 6 every
    # part breaks its network, so no plain part gives a floor first and the networks set it
    from models import Instance
    from models.generate import generate_instance

    inst = Instance.load(generate_instance(tmp_path / "inst", employees=600, units=8, seed=1, hybrid_rules=False,
                                           max_consecutive_wfh=consecutive))
    floors = []
    real = solve_module._network_floor
    monkeypatch.setattr(solve_module, "_network_floor", lambda *a: floors.append(real(*a)) or floors[-1])
    with_floor = solve_module.solve(inst, time_limit=60, workers=1)
    monkeypatch.setattr(solve_module, "_network_floor", lambda comps, todo, settings, floor: (floor, None))
    without = solve_module.solve(inst, time_limit=60, workers=1)
    assert with_floor.status == without.status == "OPTIMAL"
    assert [(g.goal, g.value) for g in with_floor.goals] == [(g.goal, g.value) for g in without.goals]
    assert floors and floors[0][1] is not None          # a network did raise the floor here
