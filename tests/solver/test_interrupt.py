"""Interrupted runs (issue 7): Ctrl-C keeps the best schedule so far; a run cut short resumes."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from models import Instance
from models.generate import generate_instance

ROOT = Path(__file__).resolve().parents[2]
solve_module = sys.modules.get("solver.solve") or __import__("solver.solve", fromlist=["solve"])


def test_ctrl_c_writes_the_best_schedule_so_far(tmp_path):
    out = tmp_path / "out"
    # the bundled instance takes a few seconds: Ctrl-C lands in the middle (or, on a fast machine, while
    # the files are written, which it then waits for)
    proc = subprocess.Popen([sys.executable, "-c", "from cli import main; main()", "solve", "-o", str(out),
                             "--time-limit", "120", "--workers", "2", "--quiet"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(3)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=90)
    assert time.monotonic() - t0 < 60, "the search did not stop soon after Ctrl-C"
    assert b"Traceback" not in stderr
    report = json.loads((out / "report.json").read_text())
    if proc.returncode == 4:                          # no schedule yet: allowed, but then none is written
        assert report["status"] == "UNKNOWN" and not (out / "schedule.csv").exists()
    else:
        assert proc.returncode == 0, stderr.decode()
        assert report["status"] in ("FEASIBLE", "OPTIMAL")
        assert (out / "schedule.csv").exists() and (out / "schedule.xlsx").exists()


def test_resume_skips_finished_parts(tmp_path, monkeypatch):
    folder = generate_instance(tmp_path / "inst", employees=300, units=6, seed=3, hybrid_rules=False)
    inst = Instance.load(folder)
    checkpoint = tmp_path / "ckpt"
    first = solve_module.solve(inst, time_limit=60, workers=1, checkpoint=checkpoint)
    assert first.status == "OPTIMAL"
    assert len(list(checkpoint.glob("*.pickle"))) == first.details["components"]

    calls = []
    real = solve_module.solve_component
    monkeypatch.setattr(solve_module, "solve_component", lambda *a, **k: calls.append(1) or real(*a, **k))
    again = solve_module.solve(inst, time_limit=60, workers=1, checkpoint=checkpoint, resume=True)
    assert calls == [] or len(calls) < first.details["components"]
    assert again.schedule.equals(first.schedule)
    assert again.status == "OPTIMAL"

    # without resume, everything is solved again
    calls.clear()
    solve_module.solve(inst, time_limit=60, workers=1, checkpoint=checkpoint, resume=False)
    assert len(calls) >= first.details["components"]


@pytest.mark.parametrize("hybrid", [False, True])
def test_out_of_time_before_any_search_still_gives_a_schedule_with_rule_6(tmp_path, monkeypatch, hybrid):
    # every CP-SAT search runs out of time before it finds a schedule: a restricted network's max
    # flow, its WFH runs cut to rule 6's length and checked against the model, is what remains
    folder = generate_instance(tmp_path / "inst", employees=120, units=3, seed=5, hybrid_rules=hybrid,
                               max_consecutive_wfh=2)
    inst = Instance.load(folder)
    monkeypatch.setattr(solve_module._Search, "run", lambda self, *args, **kwargs: "UNKNOWN")
    monkeypatch.setattr(solve_module.lp, "best", lambda *args, **kwargs: ("UNKNOWN", None, None))  # HiGHS too
    res = solve_module.solve(inst, time_limit=30, workers=1)      # solve's checker: ScheduleRejected if broken
    assert res.status == "FEASIBLE"
    assert (res.schedule["mode"] == "WFH").sum() > 0


def test_highs_answers_when_every_cp_sat_search_runs_out_of_time(tmp_path, monkeypatch):
    # rule 6 breaks the network: with CP-SAT out of time, HiGHS' MIP on the same model still proves
    # every goal, and its schedules pass the model's check and solve's independent checker
    folder = generate_instance(tmp_path / "inst", employees=120, units=3, seed=5, hybrid_rules=False,
                               max_consecutive_wfh=2)
    inst = Instance.load(folder)
    honest = solve_module.solve(inst, time_limit=60, workers=1)
    monkeypatch.setattr(solve_module._Search, "run", lambda self, *args, **kwargs: "UNKNOWN")
    res = solve_module.solve(inst, time_limit=60, workers=1)
    assert honest.status == "OPTIMAL" and res.status == "OPTIMAL"
    assert [(g.goal, g.value, g.proven) for g in res.goals] == [(g.goal, g.value, g.proven) for g in honest.goals]


def test_cut_runs_leaves_no_run_longer_than_the_limit_and_keeps_fixed_cells():
    grid = np.array([[1, 1, 1, 1, 1, -1, 1, 1],
                     [1, 1, 1, 0, 1, 1, 1, 1]], dtype=np.int8)
    forced = np.full(grid.shape, -1, dtype=np.int8)
    forced[1, 2] = 1                                   # a must-WFH day cannot be the one cut: the day before is
    cut = solve_module._cut_runs(grid, forced, 2)
    assert cut.tolist() == [[1, 1, 0, 1, 1, -1, 0, 1],   # the leave day neither counts nor breaks the run
                            [1, 0, 1, 0, 1, 1, 0, 1]]
    assert grid[0, 2] == 1                              # the input is not changed


@pytest.mark.parametrize("seed", range(20))
def test_cut_runs_keeps_rule_6_around_must_wfh_days(seed):
    """Random rows with leave and must-WFH days (never k + 1 of them in a row): no run of present
    days is longer than k after the cut, and only free WFH cells changed (to WFO)."""
    rng = np.random.default_rng(seed)
    k = int(rng.integers(1, 4))
    grid = rng.choice(np.array([1, 1, 1, 0, -1], dtype=np.int8), size=(6, 30))
    forced = np.where((grid == 1) & (rng.random(grid.shape) < 0.3), 1, -1).astype(np.int8)
    for row, fixed in zip(grid, forced):          # at most k fixed WFH days in a row
        present = np.flatnonzero(row >= 0)
        streak = 0
        for d in present:
            streak = streak + 1 if fixed[d] == 1 else 0
            if streak > k:
                fixed[d], streak = -1, 0
    cut = solve_module._cut_runs(grid, forced, k)
    changed = cut != grid
    assert ((grid[changed] == 1) & (cut[changed] == 0) & (forced[changed] < 0)).all()
    for row in cut:
        run = 0
        for v in row[row >= 0]:
            run = run + 1 if v == 1 else 0
            assert run <= k
