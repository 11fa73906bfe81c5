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
