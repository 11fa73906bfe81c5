"""HiGHS' MIP on the CP-SAT model (solver.lp): its optimum against CP-SAT's and the brute force.

Parts whose teams span cap groups ask HiGHS for a request goal's optimum when CP-SAT's
short searches at the bound give no answer. Here those searches are made to give none, so
every such part takes the path, and the result must still be the brute force's optimum.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from ortools.sat.python import cp_model

sys.path.insert(0, str(Path(__file__).parent))
import brute  # noqa: E402
from test_optimality import assert_solver_matches_brute, day, emp  # noqa: E402
from test_shares import _matches_brute, mixed_instances  # noqa: E402

import importlib  # noqa: E402

lp = importlib.import_module("solver.lp")
solve_module = importlib.import_module("solver.solve")


def _knapsack(capacities=(7, 9), seed=3):
    """Two knapsack rows over 12 Booleans, a bounded integer tied to them: every constraint linear."""
    import random
    rng = random.Random(seed)
    m = cp_model.CpModel()
    x = [m.NewBoolVar(f"x{i}") for i in range(12)]
    for cap in capacities:
        m.Add(sum(rng.randint(1, 5) * v for v in x) <= cap)
    total = m.NewIntVar(0, 12, "total")
    m.Add(total == sum(x))
    m.Add(total >= 2)
    weights = [rng.randint(-2, 6) for _ in x]
    return m, x, weights


@pytest.mark.parametrize("seed", range(6))
def test_best_reaches_cp_sat_optimum_and_keeps_every_constraint(seed):
    m, x, weights = _knapsack(seed=seed)
    status, values, bound = lp.best(m, x, weights, seconds=10)
    assert status == "OPTIMAL"
    _assert_cp_sat_optimum(m, x, weights, values, bound)


def _assert_cp_sat_optimum(m, variables, weights, values, bound):
    """``bound`` is CP-SAT's optimum of Σ weights × variables, ``values`` reach it and keep every
    constraint of the model."""
    reference = m.clone()
    reference.Maximize(sum(w * v for w, v in zip(weights, variables)))
    solver = cp_model.CpSolver()
    solver.parameters.linearization_level = 2    # the cuts prove a part's sums far sooner (as solver.solve sets)
    solver.parameters.max_time_in_seconds = 120
    solver.parameters.num_workers = 1
    assert solver.Solve(reference) == cp_model.OPTIMAL
    assert bound == int(solver.ObjectiveValue())
    assert sum(w * int(values[v.Index()]) for w, v in zip(weights, variables)) == bound
    check = m.clone()
    for v in variables:
        check.Add(v == int(values[v.Index()]))
    assert cp_model.CpSolver().Solve(check) in (cp_model.OPTIMAL, cp_model.FEASIBLE)


@pytest.mark.parametrize("seed", range(6))
def test_best_from_a_start_reaches_the_same_optimum(seed):
    # a start that keeps the model (any schedule CP-SAT finds), one that does not (every variable
    # at its upper bound), and one of the wrong length: the optimum is CP-SAT's each time
    m, x, weights = _knapsack(seed=seed)
    solver = cp_model.CpSolver()
    assert solver.Solve(m) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    feasible = np.array(solver.ResponseProto().solution, dtype=np.int64)
    assert lp.keeps(m, feasible)
    broken = np.array([v.domain[len(v.domain) - 1] for v in m.Proto().variables], dtype=np.int64)
    assert not lp.keeps(m, broken)
    for start in (feasible, broken, feasible[:-1]):
        status, values, bound = lp.best(m, x, weights, seconds=10, start=start)
        assert status == "OPTIMAL"
        _assert_cp_sat_optimum(m, x, weights, values, bound)


def test_best_says_infeasible_and_leaves_other_models_alone():
    m, x, weights = _knapsack()
    m.Add(sum(x) >= 13)
    assert lp.best(m, x, weights, seconds=10)[0] == "INFEASIBLE"
    m, x, weights = _knapsack()
    m.AddBoolOr([x[0], x[1]])            # not a linear constraint: not asked
    assert lp.best(m, x, weights, seconds=10) == ("UNKNOWN", None, None)
    m, x, weights = _knapsack()
    assert lp.best(m, [x[0].Not()], [1], seconds=10) == ("UNKNOWN", None, None)


def test_constraints_added_after_a_call_count_and_domains_are_read_each_time():
    # the rows are kept on the model between calls: a constraint added later must still bind, a
    # variable's domain changed in place (fairness limits) must be read again, and a domain with
    # holes gives its last value as the upper bound
    m = cp_model.CpModel()
    x = m.NewIntVarFromDomain(cp_model.Domain.FromIntervals([[0, 1], [3, 9]]), "x")
    y = m.NewIntVar(0, 5, "y")
    m.Add(x + y <= 12)
    assert lp.best(m, [x, y], [1, 1], seconds=10)[2] == 12
    m.Add(y <= 1)
    status, values, bound = lp.best(m, [x, y], [1, 1], seconds=10)
    assert (status, bound) == ("OPTIMAL", 10) and values[x.Index()] == 9
    m.Proto().variables[x.Index()].domain[3] = 4          # as Fairness.limit does
    assert lp.best(m, [x, y], [1, 1], seconds=10)[2] == 5
    b = m.NewBoolVar("b")
    m.Add(y == 0).OnlyEnforceIf(b)                         # enforced: from now on not asked
    assert lp.best(m, [x, y], [1, 1], seconds=10) == ("UNKNOWN", None, None)


def test_highs_prints_nothing_on_standard_output():
    """HiGHS' banner would land in the CLI's output (and in piped CSV)."""
    code = "from solver import lp; lp._highs(); lp._highs(); print('done')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parents[2])
    assert out.stdout == "done\n"


@pytest.fixture
def mip_path(monkeypatch):
    """CP-SAT's searches at a request goal's bound give no answer and no restricted network's
    schedule is at hand, so the goal goes to HiGHS; record what HiGHS answered."""
    answers = []
    monkeypatch.setattr(solve_module._Search, "_probe", lambda self, constraint, seconds, plain_later=False: "UNKNOWN")
    monkeypatch.setattr(solve_module._Search, "_restricted_best", lambda self, *args, **kwargs: None)
    original = lp.best

    def recorded(*args, **kwargs):
        out = original(*args, **kwargs)
        answers.append(out[0])
        return out

    monkeypatch.setattr(lp, "best", recorded)
    return answers


def test_mixed_team_preferences_by_highs(tmp_path, mip_path):
    # one team across two cap groups, room 1 a day: requests pull b1 and a1 home on the same days
    people = [emp("a1", category="a", team="T"), emp("a2", category="a"), emp("a3", category="a", team="T"),
              emp("b1", category="b", team="T"), emp("b2", category="b")]
    inst = brute.write_instance(tmp_path, people, window=(day(0), day(2)), categories={"a": "0.67", "b": "0.5"},
                                teams=[dict(team="T", unit="U", min_onsite=2)],
                                requests=[dict(nip="b1", date=day(1), mode="WFH"),
                                          dict(nip="a1", date=day(1), mode="WFH", weight="2"),
                                          dict(nip="a3", date=day(0), mode="WFO")],
                                objective=["wfh", "fairness", "preferences"])
    assert_solver_matches_brute(inst)
    assert "OPTIMAL" in mip_path


@settings(max_examples=int(os.environ.get("GILIRAN_BRUTE_EXAMPLES", 40)), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(mixed_instances())
def test_random_mixed_teams_by_highs_match_the_brute_force(mip_path, case):
    new = _matches_brute(case, mip_path)
    if new is None:
        event("infeasible")
        return
    event("HiGHS answered: " + ", ".join(sorted(set(new))) if new else "settled before it")


def test_a_stalled_first_check_goes_to_highs(tmp_path, monkeypatch):
    """The fairness check the master stalls on (given no time) is HiGHS' first: a check on the model
    (no goal to maximize); the search must still reach the brute force's optimum."""
    monkeypatch.setattr(solve_module, "STALL_SHARE", 0.0)
    asked = []
    original = lp.best

    def recorded(model, variables, weights, seconds, seed=0):
        out = original(model, variables, weights, seconds, seed)
        asked.append((len(variables), out[0]))
        return out

    monkeypatch.setattr(lp, "best", recorded)
    people = [emp("a1", category="a", team="T"), emp("a2", category="a"), emp("a3", category="a", team="T"),
              emp("b1", category="b", team="T"), emp("b2", category="b")]
    inst = brute.write_instance(tmp_path, people, window=(day(0), day(2)), categories={"a": "0.67", "b": "0.5"},
                                teams=[dict(team="T", unit="U", min_onsite=2)], objective=["wfh", "fairness"])
    assert_solver_matches_brute(inst)
    assert asked and all(n == 0 and status in ("OPTIMAL", "INFEASIBLE") for n, status in asked), asked


# ------------------------------------------------------------------ the linear relaxation (lp.relaxed)
def _three_pairs():
    """x + y ≤ 1, y + z ≤ 1, x + z ≤ 1 over Booleans: max x + y + z is 1, its relaxation's 1.5 at
    the fractional vertex (½, ½, ½)."""
    m = cp_model.CpModel()
    x = [m.NewBoolVar(f"x{i}") for i in range(3)]
    for i in range(3):
        m.Add(x[i] + x[(i + 1) % 3] <= 1)
    return m, x


def test_relaxed_takes_an_integral_vertex_as_the_optimum():
    # a transportation problem (totally unimodular): the relaxation's vertex is integral
    m = cp_model.CpModel()
    x = [[m.NewBoolVar(f"x{i}{j}") for j in range(3)] for i in range(3)]
    for i in range(3):
        m.Add(sum(x[i]) <= 1 + i % 2)
        m.Add(sum(x[j][i] for j in range(3)) <= 1)
    flat = [v for row in x for v in row]
    weights = [3, 1, 2, 2, 5, 1, 4, 2, 3]
    status, values, bound = lp.relaxed(m, flat, weights, seconds=10)
    assert status == "OPTIMAL"
    _assert_cp_sat_optimum(m, flat, weights, values, bound)


def test_relaxed_gives_a_fractional_vertex_as_a_bound_only():
    m, x = _three_pairs()
    assert lp.relaxed(m, x, [1, 1, 1], seconds=10) == ("UNKNOWN", None, 1)     # floor(1.5)
    m.Add(sum(x) >= 2)
    assert lp.relaxed(m, x, [1, 1, 1], seconds=10)[0] == "INFEASIBLE"            # 2 > 1.5: no relaxed point
    m, x = _three_pairs()
    m.AddBoolOr([x[0], x[1]])                                                     # not linear: not asked
    assert lp.relaxed(m, x, [1, 1, 1], seconds=10) == ("UNKNOWN", None, None)


@settings(max_examples=int(os.environ.get("GILIRAN_BRUTE_EXAMPLES", 40)), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(mixed_instances())
def test_random_mixed_teams_with_goal_wfh_by_the_relaxation_match_the_brute_force(monkeypatch, case):
    """No restricted network's schedule reaches the relaxed maximum, so goal wfh goes to the linear
    relaxation first (CP-SAT when its vertex is fractional): the result is still the brute force's."""
    answers = []
    original = lp.relaxed

    def recorded(*args, **kwargs):
        out = original(*args, **kwargs)
        answers.append(out[0])
        return out

    with monkeypatch.context() as patch:
        patch.setattr(solve_module._Search, "_most_at_hand", lambda self, net, most: None)
        patch.setattr(lp, "relaxed", recorded)
        new = _matches_brute(case, answers)
    if new is None:
        event("infeasible")
        return
    event("relaxation answered: " + ", ".join(sorted(set(new))) if new else "settled before it")


# ------------------------------------------------------------------ lp.keeps: HiGHS' values checked exactly
def _cp_sat_allows(m: cp_model.CpModel, values) -> bool:
    check = m.clone()
    for k in range(len(check.Proto().variables)):
        check.Add(check.GetIntVarFromProtoIndex(k) == int(values[k]))
    return cp_model.CpSolver().Solve(check) in (cp_model.OPTIMAL, cp_model.FEASIBLE)


@pytest.mark.parametrize("seed", range(40))
def test_keeps_agrees_with_cp_sat_on_random_assignments(seed):
    # (6 of these 40 assignments keep the model, 34 break it)
    import random
    rng = random.Random(seed)
    m = cp_model.CpModel()
    x = [m.NewBoolVar(f"x{i}") for i in range(6)]
    y = m.NewIntVarFromDomain(cp_model.Domain.FromIntervals([[0, 2], [5, 7]]), "y")    # a hole
    for _ in range(4):
        coeffs = [rng.randint(-3, 4) for _ in x]
        lo, hi = rng.randint(-4, 2), rng.randint(0, 6)
        m.AddLinearConstraint(sum(c * v for c, v in zip(coeffs, x)) + rng.randint(0, 2) * y, lo, hi + 8)
    m.Add(sum(x) <= y)
    values = np.array([rng.randint(0, 1) for _ in x] + [rng.randint(0, 8)], dtype=np.int64)
    assert lp.keeps(m, values) == _cp_sat_allows(m, values)


def test_keeps_refuses_what_it_cannot_read():
    m, x = _three_pairs()
    assert lp.keeps(m, np.array([1, 0, 0]))
    assert not lp.keeps(m, np.array([1, 1, 0]))               # x0 + x1 ≤ 1 broken
    assert not lp.keeps(m, np.array([1, 0]))                  # not one value a variable
    m.AddBoolOr([x[0], x[1]])                                 # not linear: nothing is taken
    assert not lp.keeps(m, np.array([1, 0, 0]))


def test_team_days_are_linear_rows_so_highs_reaches_cp_sat_s_optimum(tmp_path):
    # rule 9 is stated by linear rows only (flag + cell ≤ 1, not an implication): HiGHS reads the
    # model of a part with team days to choose, and its goal wfh optimum is CP-SAT's
    from models import Instance
    from models.generate import generate_instance
    from solver.data import compile_instance, components, split, without_idle_caps
    from solver.objectives import goal_expression

    inst = Instance.load(generate_instance(tmp_path / "inst", employees=600, units=8, seed=1))
    data = without_idle_caps(compile_instance(inst))
    checked = 0
    for comp in split(data, components(data, link_offices=False, extra_links=[])):
        if not any(t.open_weeks for t in comp.teams) or len(comp.members) > 12:   # (CP-SAT's proof is slow above)
            continue
        search = solve_module._Search(comp, solve_module.Settings(workers=1), deadline=float("inf"))
        model = search.model
        assert lp._rows(model, model.Proto()) is not None
        variables, weights, _ = goal_expression("wfh", comp, search.cells)
        status, values, bound = lp.best(model, variables, weights, seconds=30)
        assert status == "OPTIMAL"
        _assert_cp_sat_optimum(model, variables, weights, values, bound)
        checked += 1
    assert checked >= 1


def test_a_request_goal_keeps_the_least_proven_bound(tmp_path):
    # _bounded keeps the least bound it is told (each one proven), for the goal's outcome should
    # its last search run out of time
    from models import Instance
    from models.generate import generate_instance
    from solver.data import compile_instance, components, split, without_idle_caps

    inst = Instance.load(generate_instance(tmp_path / "inst", employees=60, units=1, seed=2))
    data = without_idle_caps(compile_instance(inst))
    (comp,) = split(data, components(data, link_offices=False, extra_links=[]))[:1]
    search = solve_module._Search(comp, solve_module.Settings(workers=1), deadline=float("inf"))
    assert search._bounded("preferences", 12) == 12
    assert search._bounded("preferences", 15) == 12
    assert search._bounded("preferences", 9) == 9
    assert search.bounds == {"preferences": 9}
