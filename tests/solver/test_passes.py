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
