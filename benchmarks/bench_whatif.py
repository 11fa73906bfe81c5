"""Issue 6's speed targets: a what-if sweep and a re-plan of an instance (the bundled one by default).

Runs, each ``--repeat`` times in a fresh process, with the same time limit and workers:

- **one solve**: :func:`solver.solve` of the instance as it is;
- **sweep**: by default ten values of ``phases.puncak-ktt.max_wfh.administrasi`` (0.50:0.95:0.05) solved as
  ``giliran whatif INSTANCE --sweep ... -o OUT`` solves them: :func:`solver.whatif.run_variants`
  with an output folder, variants one after another, each solve with ``--workers`` processes,
  parts proven in one variant reused in the next; timed is ``run_variants`` (solves, outputs,
  chart), not loading the instance;
- **re-plan**: the one solve's schedule, then five ``administrasi`` employees given a new leave
  day on 2023-09-11, re-planned from 2023-09-04 (``giliran solve --previous OUT/schedule.csv
  --from 2023-09-04``); timed is the re-plan alone, in the same process as its first solve;
  then the same re-plan with ``--stability first`` (fewest changes before the other goals).

Targets (issue 6, on a 2-core machine): the sweep in ≤ 3× one solve; the re-plan in ≤ its
first solve. The ratio column divides each run's median by the one solve's median.

A last line gives the sweep's floor: the seconds its parts' searches took, summed over
processes (``details["part_seconds"]``), spread over the workers with no time lost. A sweep
whose variants are each searched as a separate solve searches them (so that its rows and
schedules are the same) cannot take less, whatever writes its files.

With ``--alternatives``, two more ways to run the same sweep, for comparison (not targets):
the sweep without reusing parts, and two variants at a time in two processes with one worker
each (no reuse: parts cannot be shared between the processes).

Reproduce (on the 2-core machine; other work running at the same time inflates the times):

    python benchmarks/bench_whatif.py --repeat 3 --time-limit 20 --workers 2 [--alternatives]
"""
from __future__ import annotations

import collections
import datetime as dt
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import fresh, parser  # noqa: E402  (the benchmarks' shared options and fresh-process runs)

SWEEP = "phases.puncak-ktt.max_wfh.administrasi=0.50:0.95:0.05"
NEW_LEAVE = dt.date(2023, 9, 11)
REPLAN_FROM = dt.date(2023, 9, 4)
ON_LEAVE = 5          # employees given the new leave day


# the notes column: a run's figures (medians over the repeats), in this order and format
NOTES = (("solving", "solving {:.0f} s"), ("rest", "outputs and figures {:.0f} s"),
         ("work", "parts' searches {:.1f} s"), ("reused", "parts reused {:.0f}"),
         ("parts", "of {:.0f}"), ("wfh", "wfh days {:,.0f}"), ("fairness", "fairness {:.2f}"),
         ("changed", "days changed {:.0f}"))


def _note(measured: list[dict]) -> str:
    out = []
    for key, text in NOTES:
        values = [r["figures"][key] for r in measured if key in r["figures"]]
        if values:
            out.append(text.format(statistics.median(values)))
    return "; ".join(out).replace("; of ", " of ")


def _statuses(statuses) -> str:
    counts = collections.Counter(statuses)
    return ", ".join(f"{n} {s}" if n > 1 else s for s, n in sorted(counts.items()))


# ------------------------------------------------------------------------------ the runs (in a child)
def _solve_and_replan(instance: str, time_limit: float, workers: int, seed: int) -> dict:
    from models import Instance
    from models.instance import Leave
    from solver import solve

    inst = Instance.load(instance)
    t0 = time.perf_counter()
    first = solve(inst, time_limit=time_limit, workers=workers, seed=seed)
    first_wall = time.perf_counter() - t0

    present = {e.nip for e in inst.employees}
    for lv in inst.leave:
        if lv.start <= NEW_LEAVE <= lv.end:
            present.discard(lv.nip)
    chosen = sorted(e.nip for e in inst.employees
                    if e.category == "administrasi" and not e.essential and e.nip in present)[:ON_LEAVE]
    changed = inst.model_copy(update={"leave": inst.leave + tuple(
        Leave(nip=nip, start=NEW_LEAVE, end=NEW_LEAVE, type="cuti") for nip in chosen)})
    out = {"solve": {"wall": first_wall, "statuses": [first.status], "figures": _kpis(first)}}
    for stability in ("last", "first"):
        t0 = time.perf_counter()
        again = solve(changed, time_limit=time_limit, workers=workers, seed=seed, previous=first.schedule,
                      replan_from=REPLAN_FROM, stability=stability)
        wall = time.perf_counter() - t0
        changed_days = again.details.get("replan", {}).get("days_changed", float("nan"))
        out[f"re-plan:{stability}"] = {"wall": wall, "statuses": [again.status],
                                       "figures": {**_kpis(again), "changed": changed_days}}
    return out


def _kpis(result) -> dict:
    if result.schedule is None:
        return {}
    return {"wfh": float(result.kpis["wfh_days"]), "fairness": float(result.kpis["fairness_max_dev_days"]),
            "work": float(result.details.get("part_seconds", float("nan")))}


def _sweep(instance: str, time_limit: float, workers: int, seed: int, sweep: str, mode: str) -> dict:
    import pandas as pd

    import solver.whatif as whatif
    from models import Instance

    inst = Instance.load(instance)
    key, values = whatif.sweep_values(sweep)
    variants = [{key: v} for v in values]
    seen = []
    real_solve = whatif.solve

    def counted(*args, reuse=None, **kwargs):       # counts the parts each variant takes from `reuse`
        result = real_solve(*args, reuse=None if mode == "no reuse" else reuse, **kwargs)
        seen.append((result.details.get("reused", 0), result.details.get("components", 0),
                     result.details.get("part_seconds", 0.0)))
        return result

    whatif.solve = counted
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        if mode == "parallel":
            ctx = multiprocessing.get_context("fork")
            with ctx.Pool(2) as pool:
                tables = pool.starmap(_one_variant, [(inst, v, time_limit, seed, f"{tmp}/{i:02d}", key)
                                                     for i, v in enumerate(variants)])
            table = pd.concat(tables)
        else:
            table = whatif.run_variants(inst, variants, time_limit=time_limit, workers=workers, seed=seed,
                                        out_dir=Path(tmp) / "whatif", sweep=key)
        wall = time.perf_counter() - t0
    solving = float(table["solve_seconds"].sum())
    # WFH days summed over the variants, the fairness figure's mean: what the schedules reach
    figures = {"solving": solving, "wfh": float(table["wfh_days"].sum()),
               "fairness": float(table["fairness_max_dev_days"].mean())}
    if mode != "parallel":          # in parallel, the solves' seconds overlap
        figures["rest"] = wall - solving
    if seen:
        figures.update(reused=sum(r for r, _, _ in seen), parts=sum(n for _, n, _ in seen),
                       work=sum(w for _, _, w in seen))
    return {"wall": wall, "statuses": list(table["status"]), "figures": figures}


def _one_variant(inst, changes, time_limit, seed, out_dir, key):
    from solver.whatif import run_variants

    return run_variants(inst, [changes], time_limit=time_limit, workers=1, seed=seed, out_dir=out_dir, sweep=key)


# ------------------------------------------------------------------------------ the table
def main(argv=None) -> int:
    ap = parser(__doc__, 20.0)
    ap.add_argument("--sweep", default=SWEEP, help="KEY=START:STOP:STEP, as giliran whatif --sweep")
    ap.add_argument("--alternatives", action="store_true",
                    help="also the sweep without reuse, and two variants at a time with one worker each")
    args = ap.parse_args(argv)
    common = (args.instance, args.time_limit, args.workers, args.seed)

    runs: dict[str, list[dict]] = collections.defaultdict(list)
    modes = ["reuse"] + (["no reuse", "parallel"] if args.alternatives else [])
    for k in range(args.repeat):
        solved = fresh(_solve_and_replan, *common)
        done = [("one solve", solved["solve"])]
        done += [(f"sweep:{mode}", fresh(_sweep, *common, args.sweep, mode)) for mode in modes]
        done += [(name, solved[name]) for name in ("re-plan:last", "re-plan:first")]
        for name, run in done:
            runs[name].append(run)
            print(f"  repeat {k + 1}: {name}: {run['wall']:.1f} s, {_statuses(run['statuses'])}, "
                  f"{_note([run])}", file=sys.stderr, flush=True)

    n = len(runs["sweep:reuse"][0]["statuses"])
    labels = {"one solve": ("one solve", None),
              "sweep:reuse": (f"sweep of {n}, as `giliran whatif` (parts reused)", 3.0),
              "sweep:no reuse": (f"sweep of {n}, no reuse (alternative)", None),
              "sweep:parallel": (f"sweep of {n}, 2 variants at a time × 1 worker (alternative)", None),
              "re-plan:last": ("re-plan (5 new leave days, from 2023-09-04)", 1.0),
              "re-plan:first": ("re-plan as above, `--stability first`", 1.0)}
    base = statistics.median(r["wall"] for r in runs["one solve"])
    print(f"instance: {args.instance}  workers: {args.workers}  time limit: {args.time_limit:g} s  "
          f"repeat: {args.repeat}  sweep: {args.sweep}")
    head = ["run", "wall s (median)", "ratio to one solve", "status(es)", "target", "met?", "each run s", "notes"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for name, measured in runs.items():
        label, target = labels[name]
        wall = statistics.median(r["wall"] for r in measured)
        ratio = wall / base
        statuses = _statuses(s for r in measured for s in r["statuses"])
        goal = "—" if target is None else f"≤ {target:g}×"
        met = "—" if target is None else ("yes" if ratio <= target else "**no**")
        walls = " / ".join(f"{r['wall']:.1f}" for r in measured)
        print(f"| {label} | {wall:.1f} | {ratio:.2f} | {statuses} | {goal} | {met} | {walls} | {_note(measured)} |")
    print("(status(es): over all repeats; notes: medians over the repeats; a sweep's wfh days are summed over "
          "its variants and its fairness is their mean; parts' searches: their seconds summed over processes)")
    # the least a sweep can take while each variant's parts are searched as a separate solve searches
    # them (so its schedule is the same): their seconds spread over every worker, no time lost
    work = statistics.median(r["figures"]["work"] for r in runs["sweep:reuse"])
    print(f"floor of the sweep with each variant searched as its own solve: {work:.1f} s of parts' searches / "
          f"{args.workers} workers = {work / args.workers:.1f} s = {work / args.workers / base:.2f}× one solve, "
          "before any file is written")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
