"""Which of two runs of one part the solver keeps (the first pass's or the second's)."""
from __future__ import annotations

import importlib
from fractions import Fraction

import numpy as np

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
