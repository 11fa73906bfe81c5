"""An office shared by two units links them only once its desks are broken; the linked part must
still get time to be solved, or proven impossible, when the first round's parts use all of theirs."""
from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import brute  # noqa: E402

solve_module = importlib.import_module("solver.solve")


def test_parts_linked_by_an_office_get_time_after_a_first_round_that_used_all(tmp_path, monkeypatch):
    # two units of four share an office of four desks; the cap lets one of each unit's four home, so
    # six must be on site: each unit alone has a schedule, the two together have none
    people = [dict(nip=f"{u}{i}", unit=u, category="adm", office="O") for u in "AB" for i in range(4)]
    inst = brute.write_instance(tmp_path, people, window=("2023-09-04", "2023-09-05"), categories={"adm": "0.25"},
                                offices=[dict(office="O", desks=4)], objective=["wfh"])
    real = solve_module.solve_component
    rounds = []

    def hard_first_round(comp, settings, deadline, *args, **kwargs):
        out = real(comp, settings, deadline, *args, **kwargs)
        linked = any(len(o.members) == 8 for o in comp.offices)
        rounds.append(linked)
        if not linked:              # the first round's parts, as if hard: they run to the round's end
            time.sleep(max(0.0, deadline[1] - time.monotonic()))
        return out

    monkeypatch.setattr(solve_module, "solve_component", hard_first_round)
    res = solve_module.solve(inst, time_limit=4, workers=1, check=False)
    assert rounds[-1] is True and False in rounds          # a first round, then the linked part
    assert res.status == "INFEASIBLE", res.status            # not UNKNOWN: the linked part had time
    assert res.infeasibility[0]["rule"] == "desks"
    assert "caps let at most 2 of them work from home, so 6 need a desk" in res.infeasibility[0]["message"]


def test_the_time_kept_for_linked_parts_goes_to_the_open_parts_while_no_desks_break(tmp_path, monkeypatch):
    import dataclasses

    # the same two units and office, desks for all: no round of linked parts will be needed
    people = [dict(nip=f"{u}{i}", unit=u, category="adm", office="O") for u in "AB" for i in range(4)]
    inst = brute.write_instance(tmp_path, people, window=("2023-09-04", "2023-09-05"),
                                offices=[dict(office="O", desks=8)], objective=["wfh"])
    real_component, real_run_all = solve_module.solve_component, solve_module._run_all
    ends = []

    def open_part(*args, **kwargs):         # as if no run proved its part: each stays open
        return dataclasses.replace(real_component(*args, **kwargs), status="FEASIBLE", capped=None)

    def run_all(comps, jobs, settings, *args, **kwargs):
        ends.append(sorted({job[1][1] for job in jobs}))
        return real_run_all(comps, jobs, settings, *args, **kwargs)

    monkeypatch.setattr(solve_module, "solve_component", open_part)
    monkeypatch.setattr(solve_module, "_run_all", run_all)
    t0 = __import__("time").monotonic()
    res = solve_module.solve(inst, time_limit=6, workers=1, check=False)
    assert res.status == "FEASIBLE"
    # passes: the first (plain parts, the others), then two rounds for the parts still open; the last
    # round runs to the run's deadline, the earlier ones stop OFFICE_RESERVE of the time before it
    passes = [e for e in ends if e]
    assert len(passes) >= 3
    first_end, last_end = passes[0][0], passes[-1][0]
    assert all(len(e) == 1 for e in passes)
    assert last_end - first_end > 0.5 and last_end - t0 <= 6


def test_a_last_round_that_breaks_desks_is_dropped(tmp_path, monkeypatch):
    import dataclasses

    import numpy as np

    # two units of four, an office of six desks: the cap keeps three of each unit's four on site, so
    # the desks hold while each unit keeps its cap; a schedule with all eight on site breaks them
    people = [dict(nip=f"{u}{i}", unit=u, category="adm", office="O") for u in "AB" for i in range(4)]
    inst = brute.write_instance(tmp_path, people, window=("2023-09-04", "2023-09-05"), categories={"adm": "0.25"},
                                offices=[dict(office="O", desks=6)], objective=["wfh"])
    real = solve_module.solve_component
    limit = 6.0
    t0 = time.monotonic()
    reclaim_after = t0 + 0.93 * limit - 0.5 - 0.2     # the run's deadline, less a margin (earlier rounds end ~1 s sooner)
    sizes, faked = [], []

    def component(comp, settings, deadline, *args, **kwargs):
        out = real(comp, settings, deadline, *args, **kwargs)
        sizes.append(len(comp.members))
        if len(comp.members) == 8:             # the units linked (only if the round were kept)
            return out
        if deadline[1] < reclaim_after:        # as if no run proved its part: each stays open
            return dataclasses.replace(out, status="FEASIBLE", capped=None)
        # the last round, given the time kept for linked parts: a schedule that claims more but has
        # everyone on site, so the office's desks break
        faked.append(len(comp.members))
        grid = np.where(out.grid < 0, out.grid, 0).astype(out.grid.dtype)
        return dataclasses.replace(out, status="OPTIMAL", grid=grid,
                                   goals={"wfh": solve_module.GoalOutcome(10**6, 10**6, True)})

    monkeypatch.setattr(solve_module, "solve_component", component)
    res = solve_module.solve(inst, time_limit=limit, workers=1)      # checked: the desks hold
    assert faked, "the last round did not run"
    assert res.status == "FEASIBLE" and res.kpis["wfh_days"] == 4     # the round before: one of each unit home a day
    assert 8 not in sizes                  # the dropped round did not link the units into one part
