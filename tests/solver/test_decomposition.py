"""solver/solve.py's decomposition: components solved apart give the whole instance's optimum,
and the number of worker processes does not change the schedule."""
from __future__ import annotations

import importlib

import numpy as np
import pytest

from models import Instance
from models.generate import generate_instance
from solver import solve

solve_module = importlib.import_module("solver.solve")


def _goals(result) -> dict[str, float]:
    assert all(g.proven for g in result.goals)
    return {g.goal: g.value for g in result.goals}


@pytest.mark.parametrize(("employees", "units", "seed", "hybrid", "consecutive"), [
    (24, 3, 0, False, None),
    (24, 3, 0, True, None),
    (36, 3, 1, True, None),
    (48, 2, 2, False, 3),
    (48, 3, 2, True, None),
    (60, 3, 3, False, None),
])
def test_decomposed_and_whole_give_the_same_goals(tmp_path, monkeypatch, employees, units, seed, hybrid, consecutive):
    inst = Instance.load(generate_instance(tmp_path, employees=employees, units=units, seed=seed,
                                           hybrid_rules=hybrid, max_consecutive_wfh=consecutive))
    decomposed = solve(inst, time_limit=20, workers=1)
    assert decomposed.details["components"] > 1
    # the whole instance as one component: every employee in a single part
    monkeypatch.setattr(solve_module, "components", lambda data, **_: [np.arange(data.n_employees)])
    whole = solve(inst, time_limit=20, workers=1)
    assert whole.details["components"] == 1
    assert decomposed.status == whole.status == "OPTIMAL"
    assert _goals(decomposed) == pytest.approx(_goals(whole))


def test_workers_do_not_change_the_schedule(tmp_path):
    # small units, so that every part is proven well within the limit: a part cut short by the
    # clock could end anywhere, and then only its proven figures would have to agree
    inst = Instance.load(generate_instance(tmp_path, employees=300, units=40, seed=2))
    inst = inst.model_copy(update={"objective": ["wfh", "fairness"]})
    one = solve(inst, time_limit=60, workers=1)
    two = solve(inst, time_limit=60, workers=2)
    assert one.status == two.status == "OPTIMAL", [(g.goal, g.value, g.bound) for g in one.goals + two.goals]
    assert one.schedule.to_csv(index=False) == two.schedule.to_csv(index=False)


def test_live_progress_reports_each_goal_from_the_component_processes(tmp_path):
    """The progress callback hears each part's goals (value and bound) from the worker processes."""
    inst = Instance.load(generate_instance(tmp_path, employees=120, units=4, seed=3))
    events = []
    res = solve(inst, time_limit=60, workers=2, progress=events.append)
    goals = [e for e in events if "goal" in e]
    assert {e["goal"] for e in goals} == set(inst.objective)
    assert all(e["value"] is not None and 1 <= e["part"] <= e["total"] for e in goals)
    finished = [e for e in events if "goal" not in e]
    assert finished and finished[-1]["done"] == finished[-1]["total"]
    # a part's last word on wfh is its share of the instance's value
    last = {}
    for e in goals:
        if e["goal"] == "wfh":
            last[e["part"]] = e["value"]
    if res.status == "OPTIMAL":
        assert sum(last.values()) == pytest.approx(next(g.value for g in res.goals if g.goal == "wfh"))
