"""giliran at the scale of a province, against what an analyst would use instead.

For each size, a generated instance (rules 1–5 and 7: ``hybrid_rules=False``,
``min_wfo_per_week=2``; one unit per 75 employees) is solved by giliran ``--repeat``
times (median reported) and once by each peer of :mod:`peers`: a plain HiGHS MIP and
a plain CP-SAT model with the same time limit, and the hand rotation scored by the
checker. A variant at the largest size turns max consecutive WFH (rule 6) on.

Every run is a fresh process; its peak memory is the largest sum of the resident sets
of the run's process and its children (the solver's worker processes), sampled every
50 ms: an upper bound, as pages shared after a fork count in each process.

giliran's build time is shown two ways: summed over its processes (the main process's
compiling plus every part's network and model building, done in the worker
processes), and per process (the compiling plus the parts' building divided among
the workers: the share of the wall time a process spends building).

    python benchmarks/bench_scale.py [--sizes 1000,10000,60000] [--repeat 3] [--time-limit 120]

The table goes to stdout and to ``benchmarks/results/scale.md``.
"""
from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def _instance(folder: Path, employees: int, consecutive: int | None) -> Path:
    from models.generate import generate_instance

    return generate_instance(folder, employees=employees, units=max(1, round(employees / 75)), seed=1,
                             hybrid_rules=False, min_wfo_per_week=2, max_consecutive_wfh=consecutive)


# ------------------------------------------------------------------------------ runs in a child process
def _giliran(path: str, time_limit: float, workers: int) -> dict:
    from models import Instance
    from solver import solve

    t0 = time.perf_counter()
    inst = Instance.load(path)
    load = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = solve(inst, time_limit=time_limit, workers=workers)
    wall = time.perf_counter() - t0
    parts = res.details.get("part_build_seconds", 0.0)
    # building per process: the main process's compiling, and the parts' building shared by the workers
    per_process = res.build_seconds - parts + parts / max(1, min(workers, res.details.get("components") or 1))
    return {"wall": wall, "load": load, "build": res.build_seconds, "build_per_process": per_process,
            "status": res.status,
            "goals": {g.goal: (g.value, g.bound) for g in res.goals}, "components": res.details.get("components")}


def _peer(name: str, path: str, time_limit: float) -> dict:
    import peers
    from models import Instance

    inst = Instance.load(path)
    t0 = time.perf_counter()
    if name == "hand":
        score = peers.score_roster(inst, peers.hand_rotation(inst))
        return {"wall": time.perf_counter() - t0, "hand": score}
    r = peers.solve_highs(inst, time_limit) if name == "highs" else peers.solve_plain_cpsat(inst, time_limit)
    return {"wall": time.perf_counter() - t0, "build": r.build_seconds, "status": r.status,
            "goals": {g: (v["value"], v["bound"], v["status"], v["seconds"]) for g, v in r.goals.items()}}


def _child(target, args, queue) -> None:
    try:
        queue.put(("ok", target(*args)))
    except BaseException:      # noqa: BLE001 - reported in the table
        queue.put(("error", traceback.format_exc(limit=3)))


def measured(target, *args, timeout: float) -> dict:
    """Run ``target(*args)`` in a fresh process; add its peak memory (MB); kill it after ``timeout`` s."""
    import psutil

    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(target, args, queue))
    t0 = time.monotonic()
    proc.start()
    me = psutil.Process(proc.pid)
    peak = 0
    out = None
    while out is None:
        try:
            out = queue.get(timeout=0.05)
        except Exception:       # noqa: BLE001 - queue.Empty
            pass
        try:
            rss = me.memory_info().rss + sum(c.memory_info().rss for c in me.children(recursive=True))
            peak = max(peak, rss)
        except psutil.Error:
            pass
        if out is None and (not proc.is_alive() or time.monotonic() - t0 > timeout):
            if proc.is_alive():
                for c in me.children(recursive=True):
                    c.kill()
                proc.kill()
            out = ("error", f"killed after {time.monotonic() - t0:.0f} s" if proc.exitcode is None
                   or proc.exitcode < 0 else f"exit code {proc.exitcode}")
    proc.join()
    kind, value = out
    if kind == "error":
        return {"error": value.strip().splitlines()[-1], "peak_mb": peak / 2**20}
    value["peak_mb"] = peak / 2**20
    return value


# ------------------------------------------------------------------------------ the table
def _num(v, digits: int = 4) -> str:
    if v is None:
        return "—"
    v = float(v)
    return f"{v:,.0f}" if v.is_integer() else f"{v:.{digits}g}"


def _goals(goals: dict) -> str:
    return "; ".join(f"{g} {_num(v[0])} / {_num(v[1])}" for g, v in goals.items()) or "—"


def _solved_time(run: dict, optimum: dict) -> float | None:
    """Wall time if the run proved every goal of giliran's optimum with the same values, else None."""
    if run.get("status") != "OPTIMAL":
        return None
    for g, (value, _bound) in optimum.items():
        got = run["goals"].get(g)
        if got is None or got[0] is None or abs(got[0] - value) > 1e-6 * max(1.0, abs(value)):
            return None
    return run["wall"]


def bench(sizes: list[int], repeat: int, time_limit: float, workers: int, consecutive: int | None,
          peer_limit: int, folder: Path) -> list[str]:
    rows = []
    cases = [(n, None) for n in sizes]
    if consecutive:
        cases.append((max(sizes), consecutive))
    for n, k in cases:
        label = f"{n:,}" + (f" + max {k} consecutive WFH" if k else "")
        path = str(_instance(folder / f"n{n}-k{k}", n, k))
        print(f"# {label}: giliran × {repeat}", file=sys.stderr, flush=True)
        runs = [measured(_giliran, path, time_limit, workers, timeout=3 * time_limit + 300) for _ in range(repeat)]
        ok = [r for r in runs if "error" not in r]
        for r in runs:
            print(f"#   {r}", file=sys.stderr, flush=True)
        if not ok:
            rows.append([label, "giliran", "—", "—", "—", f"{max(r['peak_mb'] for r in runs):,.0f}",
                         runs[0]["error"], "—", "—"])
            continue
        med = lambda key: statistics.median(r[key] for r in ok)  # noqa: E731
        best = sorted(ok, key=lambda r: r["wall"])[len(ok) // 2]
        g_wall = med("wall")
        statuses = ", ".join(sorted({r["status"] for r in ok}))
        rows.append([label, f"giliran (median of {len(ok)}, {ok[0]['components']} components)", f"{g_wall:.1f}",
                     f"{med('build'):.1f} ({100 * med('build') / g_wall:.0f}%); per process "
                     f"{med('build_per_process'):.1f} ({100 * med('build_per_process') / g_wall:.0f}%)",
                     f"{med('load'):.1f}",
                     f"{statistics.median(r['peak_mb'] for r in ok):,.0f}", statuses, _goals(best["goals"]), "1"])
        g_time = _solved_time({**best, "wall": g_wall}, best["goals"]) if statuses == "OPTIMAL" else None
        for name, title in (("highs", "HiGHS MIP"), ("cpsat", "plain CP-SAT (2 workers)")):
            if n > peer_limit:
                rows.append([label, title, "not run: too large", "", "", "", "", "", ""])
                continue
            print(f"# {label}: {title}", file=sys.stderr, flush=True)
            r = measured(_peer, name, path, time_limit, timeout=2 * time_limit + 600)
            print(f"#   {r}", file=sys.stderr, flush=True)
            if "error" in r:
                rows.append([label, title, "—", "—", "—", f"{r['peak_mb']:,.0f}", r["error"], "—", "—"])
                continue
            p_time = _solved_time(r, best["goals"])
            if g_time and p_time:
                ratio = f"{p_time / g_time:.1f}× faster"
            elif g_time:
                ratio = f"≥ {r['wall'] / g_time:.1f}× (peer did not prove it in {time_limit:g} s)"
            else:
                ratio = "—"
            per_goal = "; ".join(f"{g} {_num(v[0])} / {_num(v[1])} {v[2]} {v[3]:.1f} s" for g, v in r["goals"].items())
            rows.append([label, title, f"{r['wall']:.1f}", f"{r['build']:.1f} ({100 * r['build'] / r['wall']:.0f}%)",
                         "", f"{r['peak_mb']:,.0f}", r["status"], per_goal or "—", ratio])
        if k is None:
            print(f"# {label}: hand rotation", file=sys.stderr, flush=True)
            r = measured(_peer, "hand", path, time_limit, timeout=1200)
            if "error" in r:
                rows.append([label, "hand rotation (checker)", "—", "", "", "", r["error"], "", ""])
            else:
                h = r["hand"]
                opt_wfh, opt_fair = best["goals"].get("wfh", (None,))[0], best["goals"].get("fairness", (None,))[0]
                rules = ", ".join(f"{k} {v:,}" for k, v in h["by_rule"].items())
                rows.append([label, "hand rotation (checker)", f"{r['wall']:.1f}", "", "", f"{r['peak_mb']:,.0f}",
                             f"{h['violations']:,} violations ({rules})",
                             f"wfh {h['wfh_days']:,}; fairness {_num(h['fairness'])}",
                             (f"wfh {h['wfh_days'] / opt_wfh:.2f}× giliran's" if opt_wfh else "")
                             + (f"; fairness {h['fairness'] / opt_fair:.1f}×" if opt_fair else "")])
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,60000", help="comma-separated employee counts")
    ap.add_argument("--repeat", type=int, default=3, help="giliran runs per size (the median is shown)")
    ap.add_argument("--time-limit", type=float, default=120.0, help="seconds, for giliran and each peer")
    ap.add_argument("--workers", type=int, default=2, help="giliran's worker processes")
    ap.add_argument("--consecutive", type=int, default=3,
                    help="max consecutive WFH of the variant at the largest size (0: no variant)")
    ap.add_argument("--peer-limit", type=int, default=60000, help="largest size the peers are run at")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "scale.md"))
    args = ap.parse_args(argv)
    sizes = [int(s.replace("_", "").replace(",", "")) for s in args.sizes.split(",") if s.strip()]

    with tempfile.TemporaryDirectory() as tmp:
        rows = bench(sizes, args.repeat, args.time_limit, args.workers, args.consecutive or None,
                     args.peer_limit, Path(tmp))
    head = ["employees", "solver", "wall s", "build s (share of wall): summed over processes; per process",
            "load s", "peak MB", "status",
            "goals: value / bound (peers: per goal, status, seconds)", "vs giliran"]
    lines = [f"sizes {args.sizes}, time limit {args.time_limit:g} s, giliran workers {args.workers}, "
             f"repeat {args.repeat}, generated with seed 1, one unit per 75 employees, rules 1–5 and 7",
             "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
