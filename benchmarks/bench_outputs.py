"""Time the planner-facing outputs (issue 5): ``report.write_outputs`` on a solved instance.

Solves the instance (the bundled one by default) once, then writes each format on its
own and all four together, ``--repeat`` times, and prints a table of wall seconds per
run, the median, and the median CPU seconds of this process (steadier than wall time
on a busy machine). Each single-format write computes the shared report tables itself;
the "all" row is what ``giliran solve`` spends after the solve (target: at most 5 s).

    python benchmarks/bench_outputs.py [INSTANCE] [--repeat 3] [--time-limit 30] [--workers 2] [--lang en]
        [--result-cache FILE]

``OPENPYXL_LXML=False`` in the environment measures openpyxl without lxml.
``--result-cache FILE`` keeps the solve's Result in a pickle, so a second run times the
outputs without solving again.
"""
from __future__ import annotations

import pickle
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import parser  # noqa: E402  (the benchmarks' shared options and fresh-process runs)

FORMATS = ("csv", "json", "xlsx", "html")


def solved(instance, args):
    """The Result of solving ``instance``, from ``--result-cache`` when it is there."""
    cache = Path(args.result_cache) if args.result_cache else None
    if cache and cache.exists():
        with open(cache, "rb") as fh:
            return pickle.load(fh), None
    from solver import solve

    t0 = time.perf_counter()
    result = solve(instance, time_limit=args.time_limit, workers=args.workers, seed=args.seed)
    wall = time.perf_counter() - t0
    if cache:
        with open(cache, "wb") as fh:
            pickle.dump(result, fh)
    return result, wall


def time_write(instance, result, formats, lang: str) -> tuple[float, float]:
    """(wall, CPU) seconds of one ``write_outputs`` call."""
    from report import write_outputs

    with tempfile.TemporaryDirectory() as tmp:
        t0, c0 = time.perf_counter(), time.process_time()
        write_outputs(Path(tmp) / "out", instance, result, lang=lang, run_info={"benchmark": True},
                      formats=formats)
        return time.perf_counter() - t0, time.process_time() - c0


def main(argv=None) -> int:
    ap = parser(__doc__, 30.0)
    ap.add_argument("--lang", default="en", choices=("en", "id"))
    ap.add_argument("--result-cache", default=None)
    args = ap.parse_args(argv)

    from models import Instance

    instance = Instance.load(args.instance)
    result, solve_wall = solved(instance, args)
    if result.schedule is None:
        print(f"no schedule ({result.status}); nothing to time", file=sys.stderr)
        return 1

    rows = {name: [] for name in (*FORMATS, "all")}
    time_write(instance, result, ("html",), args.lang)     # imports (matplotlib) once, as a solve would
    for _ in range(args.repeat):
        for fmt in FORMATS:
            rows[fmt].append(time_write(instance, result, (fmt,), args.lang))
        rows["all"].append(time_write(instance, result, FORMATS, args.lang))

    import openpyxl
    from openpyxl.xml import LXML

    # openpyxl serializes with lxml when it is installed, unless OPENPYXL_LXML=False (to measure without).
    lxml_note = "lxml " + __import__("lxml").__version__ if LXML else "without lxml"
    solve_note = f"solve {solve_wall:.1f} s, " if solve_wall is not None else "solve from cache, "
    print(f"instance: {instance.name}  employees: {len(instance.employees)}  working days: "
          f"{len(instance.working_days)}  status: {result.status}  ({solve_note}lang {args.lang}, "
          f"openpyxl {openpyxl.__version__}, {lxml_note})")
    head = ["format"] + [f"run {i} s" for i in range(1, args.repeat + 1)] + ["median s", "median CPU s"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for name, times in rows.items():
        label = "all four (write_outputs)" if name == "all" else name
        wall = statistics.median(w for w, _ in times)
        cpu = statistics.median(c for _, c in times)
        cells = [f"{w:.2f}" for w, _ in times] + ([f"**{wall:.2f}**", f"**{cpu:.2f}**"] if name == "all"
                                                  else [f"{wall:.2f}", f"{cpu:.2f}"])
        print("| " + " | ".join([label] + cells) + " |")
    total = statistics.median(w for w, _ in rows["all"])
    print(f"outputs beyond the solve: {total:.2f} s (target 5 s: {'met' if total <= 5 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
