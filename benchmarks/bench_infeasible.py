"""Explain infeasible variants of the bundled instance and print the times (issue 4: ≤ 10 s wall each).

Variants (written to a temporary folder: the instance copied, leave rows appended):
- ``leave-1``: leave in one team on one day brings the team down to its minimum while
  one remaining member has a must-WFH request that day: a clash only the solver sees
  (team minimum × must request), explained by a minimal conflict core;
- ``leave-10``: ten such clashes spread over the window;
- ``short-1``: leave brings a team below its minimum (found before any search).

Each is explained by :func:`solver.explain.diagnose` (compile, pre-checks, then one
guarded CP-SAT model per component, cores shrunk to minimal sets).

    python benchmarks/bench_infeasible.py [INSTANCE] [--time-limit 10]
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _clashes(instance, count: int, must: bool) -> list[dict]:
    """``count`` clashes on distinct teams and dates spread over the window.

    Each puts members of one team on leave for one day so that exactly the team's
    minimum stays present; with ``must``, one of those left has a must-WFH request that
    day (added when the instance has none), so the team misses its minimum by one: a
    clash only the solver sees. Without ``must``, one more is on leave: the team is
    short (found while compiling).
    """
    from solver.data import compile_instance
    from solver.explain import rule2

    data = compile_instance(instance)
    office_day = rule2(data)
    minimum = {t.team: t.min_onsite for t in instance.teams}
    teams = [t for t in data.teams if minimum[t.team] >= 2 and not t.days_per_week
             and len(t.members) > minimum[t.team]]
    teams = teams[:: max(1, len(teams) // (3 * count))]
    dates = np.linspace(0, len(data.days) - 1, count).round().astype(int)
    picked, used = [], set()
    for d in dates:
        for t in teams:
            if t.team in used or int(t.need[d]) != minimum[t.team]:
                continue
            present = [int(m) for m in t.members if data.present[m, d]]
            free = [m for m in present if not office_day[m, d] and data.forced[m, d] < 0]
            if len(present) < minimum[t.team] + 1 or not free:
                continue
            requester = free[0]
            others = [m for m in present if m != requester]
            away = others[minimum[t.team] - 1:] if must else others[minimum[t.team] - 2:]
            picked.append({"team": t.team, "date": data.days[d].isoformat(),
                           "leave": [instance.employees[m].nip for m in away],
                           "must_wfh": instance.employees[requester].nip if must else None})
            used.add(t.team)
            break
    return picked


def _variant(source: Path, folder: Path, clashes: list[dict]) -> Path:
    """The instance copied with the clashes' leave rows (and must-WFH requests) appended."""
    shutil.copytree(source, folder)
    leave = pd.read_csv(folder / "leave.csv", dtype=str)
    rows = [{"nip": nip, "start": c["date"], "end": c["date"], "type": "benchmark"} for c in clashes for nip in c["leave"]]
    pd.concat([leave, pd.DataFrame(rows)], ignore_index=True).to_csv(folder / "leave.csv", index=False)
    musts = [{"nip": c["must_wfh"], "date": c["date"], "mode": "WFH", "strength": "must", "weight": "1"}
             for c in clashes if c["must_wfh"]]
    if musts:
        requests = pd.read_csv(folder / "requests.csv", dtype=str)
        pd.concat([requests, pd.DataFrame(musts)], ignore_index=True).to_csv(folder / "requests.csv", index=False)
    return folder


def main() -> None:
    from models import Instance
    from solver.explain import diagnose

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instance", nargs="?", default=str(ROOT / "instances" / "jakarta-2023"))
    parser.add_argument("--time-limit", type=float, default=10.0)
    args = parser.parse_args()
    source = Path(args.instance)
    base = Instance.load(source)
    variants = (("leave-1", _clashes(base, 1, must=True)), ("leave-10", _clashes(base, 10, must=True)),
                ("short-1", _clashes(base, 1, must=False)), ("short-10", _clashes(base, 10, must=False)))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, clashes in variants:
            inst = Instance.load(_variant(source, Path(tmp) / name, clashes))
            print(f"\n## {name}: {len(clashes)} clash(es) planted", flush=True)
            for c in clashes:
                print(f"   planted: team {c['team']} on {c['date']}, {len(c['leave'])} on leave"
                      + (f", {c['must_wfh']} must work from home" if c["must_wfh"] else ""))
            # as giliran explains it (compile-time conflicts and pre-checks first), then by cores alone
            for how, checks in (("giliran", True), ("cores", False)):
                t0 = time.perf_counter()
                findings = diagnose(inst, time_limit=args.time_limit, checks=checks)
                wall = time.perf_counter() - t0
                minimal = all(f.get("minimal", True) for f in findings)
                rows.append((name, how, len(clashes), wall, len(findings), minimal))
                print(f"   {how} ({wall:.2f} s):", flush=True)
                for f in findings:
                    print(f"   - [{f['rule']}] {f['message']}")
    print("\n| variant | explained by | clashes | wall s | findings | minimal | ≤ 10 s |")
    print("| --- | --- | ---: | ---: | ---: | --- | --- |")
    for name, how, n, wall, k, minimal in rows:
        print(f"| {name} | {how} | {n} | {wall:.2f} | {k} | {'yes' if minimal else 'no'} | "
              f"{'yes' if wall <= 10 else 'NO'} |")


if __name__ == "__main__":
    main()
