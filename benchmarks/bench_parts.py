"""Solve each independent part of an instance alone, one after another, and print a table.

Shows which parts are hard and why: per part, its unit(s), size, what breaks the
network (teams across cap groups, pairs, team days to choose, offices, rule 6), the
status, the time and each goal's value and bound. Parts proven within ``--show`` seconds
are left out of the table (their count is printed).

    python benchmarks/bench_parts.py [INSTANCE] [--time-limit 20] [--show 1]
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import parser  # noqa: E402  (the benchmarks' shared options and fresh-process runs)


def main(argv=None) -> None:
    ap = parser(__doc__, 20.0, repeat=False)     # --time-limit: per part; --workers: unused (one at a time)
    ap.add_argument("--show", type=float, default=1.0, help="leave out parts proven within this many seconds")
    args = ap.parse_args(argv)

    import importlib

    from models import Instance
    from solver import flow
    from solver.data import compile_instance, components, split

    solve_module = importlib.import_module("solver.solve")
    inst = Instance.load(args.instance)
    data = compile_instance(inst, None, None, "last")
    comps = split(data, components(data, link_offices=False, extra_links=[]))
    settings = solve_module.Settings(args.time_limit, 1, args.seed, False, None)
    units = [e.unit for e in inst.employees]
    print(f"instance: {args.instance}  parts: {len(comps)}  time limit per part: {args.time_limit:g} s")
    print("| part | unit | employees | breaks the network | status | s | " + " | ".join(data.objective) + " |")
    print("|---|---|---|---|---|---|" + "---|" * len(data.objective))
    quick = 0
    for i, comp in enumerate(comps):
        net = flow.build(comp)
        why = []
        if net is not None and not net.exact:
            if net.mixed:
                why.append("teams across cap groups")
            if comp.pairs:
                why.append("pairs")
            if any(t.open_weeks for t in comp.teams):
                why.append("team days to choose")
            if comp.offices:
                why.append("desks")
            if data.max_consecutive_wfh is not None:
                why.append("rule 6")
        t0 = time.monotonic()
        out = solve_module.solve_component(comp, settings, (args.time_limit, time.monotonic() + args.time_limit))
        took = time.monotonic() - t0
        if out.status == "OPTIMAL" and took <= args.show:
            quick += 1
            continue
        cells = []
        for goal in data.objective:
            g = out.goals.get(goal)
            if g is None:
                cells.append("—")
                continue
            scale = 1 if goal == "fairness" else solve_module.goal_scale(goal, data)
            value = float(g.value) / scale
            bound = "—" if g.bound is None else f"{float(g.bound) / scale:.4g}"
            cells.append(f"{value:.4g} / {bound}")
        unit = ", ".join(sorted({units[int(e)] for e in comp.members}))
        print(f"| {i} | {unit} | {len(comp.members)} | {', '.join(why) or '—'} | {out.status} | {took:.1f} | "
              + " | ".join(cells) + " |", flush=True)
    print(f"({quick} more parts proven OPTIMAL within {args.show:g} s each)")


if __name__ == "__main__":
    main()
