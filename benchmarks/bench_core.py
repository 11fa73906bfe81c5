"""Solve an instance (the bundled one by default) several times and print a table.

Each run is a fresh process, so its peak memory (max RSS) is its own. Columns: wall
time, model-build time (compiling the data, building networks and CP-SAT models),
peak memory, status and each goal's value and bound.

    python benchmarks/bench_core.py [INSTANCE] [--repeat 3] [--time-limit 60] [--workers 2]
"""
from __future__ import annotations

import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import fresh, parser  # noqa: E402  (the benchmarks' shared options and fresh-process runs)


def _one_run(instance: str, time_limit: float, workers: int, seed: int) -> dict:
    from models import Instance
    from solver import solve

    inst = Instance.load(instance)
    t0 = time.perf_counter()
    res = solve(inst, time_limit=time_limit, workers=workers, seed=seed)
    wall = time.perf_counter() - t0
    peak_kb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return {"wall": wall, "build": res.build_seconds, "peak_mb": peak_kb / 1024, "status": res.status,
            "goals": {g.goal: (g.value, g.bound, g.proven) for g in res.goals},
            "components": res.details.get("components")}


def run(instance: str, time_limit: float, workers: int, seed: int) -> dict:
    """One solve in a fresh process, so its peak memory is its own."""
    return fresh(_one_run, instance, time_limit, workers, seed)


def _fmt(v) -> str:
    if v is None:
        return "—"
    return f"{v:.4g}" if isinstance(v, float) and not float(v).is_integer() else f"{v:g}"


def main(argv=None) -> int:
    args = parser(__doc__, 60.0).parse_args(argv)

    runs = [run(args.instance, args.time_limit, args.workers, args.seed) for _ in range(args.repeat)]
    goals = list(runs[0]["goals"])
    head = ["run", "wall s", "build s", "build %", "peak MB", "status"] + [f"{g} (value / bound)" for g in goals]
    rows = []
    for i, r in enumerate(runs, 1):
        rows.append([str(i), f"{r['wall']:.2f}", f"{r['build']:.2f}", f"{100 * r['build'] / r['wall']:.0f}",
                     f"{r['peak_mb']:.0f}", r["status"]]
                    + [f"{_fmt(r['goals'][g][0])} / {_fmt(r['goals'][g][1])}" for g in goals])
    med = lambda key: statistics.median(r[key] for r in runs)  # noqa: E731
    rows.append(["median", f"{med('wall'):.2f}", f"{med('build'):.2f}", f"{100 * med('build') / med('wall'):.0f}",
                 f"{med('peak_mb'):.0f}", ", ".join(sorted({r['status'] for r in runs}))] + [""] * len(goals))
    print(f"instance: {args.instance}  workers: {args.workers}  time limit: {args.time_limit:g} s  "
          f"components: {runs[0]['components']}")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
