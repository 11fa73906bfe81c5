"""Issue 8's cost: the bundled instance solved with its hybrid rules (desks, team days, pairs) and without.

"Without" is a temporary copy of the instance with no ``offices`` or ``pairs`` table,
the ``team_days_per_week`` and ``team_days`` columns of ``teams`` emptied and the
``office`` column dropped from ``employees``; everything else is the same. Each
variant is solved ``--repeat`` times, each run in a fresh process (see bench_core.py),
and the table gives wall time, status and each goal's value and bound, with the
medians and the ratio of the median wall times (target: at most 2, both OPTIMAL).

    python benchmarks/bench_hybrid_rules.py [INSTANCE] [--repeat 3] [--time-limit 60] [--workers 2]
"""
from __future__ import annotations

import csv
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import parser  # noqa: E402
from bench_core import _fmt, run  # noqa: E402  (one way to time a solve: a fresh process per run)

HYBRID_TABLES = ("offices", "pairs")
TEAM_DAY_COLUMNS = ("team_days_per_week", "team_days")


def _rewrite_csv(path: Path, drop: tuple[str, ...] = (), empty: tuple[str, ...] = ()) -> None:
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
        header = [c for c in (rows[0].keys() if rows else []) if c not in drop]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if k in empty else v) for k, v in row.items() if k in header})


def without_hybrid_rules(instance: Path, folder: Path) -> Path:
    """A copy of ``instance`` in ``folder`` with rules 8-10 of SPEC §2 switched off."""
    target = folder / (instance.name + "-no-hybrid")
    shutil.copytree(instance, target)
    config = yaml.safe_load((target / "instance.yaml").read_text(encoding="utf-8"))
    tables = config.get("tables") or {}
    for name in HYBRID_TABLES:
        file = tables.pop(name, None)
        if file:
            (target / file).unlink(missing_ok=True)
    (target / "instance.yaml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True),
                                          encoding="utf-8")
    for name, kwargs in (("employees", {"drop": ("office",)}), ("teams", {"empty": TEAM_DAY_COLUMNS})):
        file = tables.get(name)
        if file and file.endswith(".csv") and (target / file).exists():
            _rewrite_csv(target / file, **kwargs)
    return target


def main(argv=None) -> int:
    args = parser(__doc__, 60.0).parse_args(argv)

    instance = Path(args.instance).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        variants = {"with rules 8-10": instance, "without": without_hybrid_rules(instance, Path(tmp))}
        runs = {name: [run(str(path), args.time_limit, args.workers, args.seed) for _ in range(args.repeat)]
                for name, path in variants.items()}

    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "not a git checkout"
    goals = list(runs["with rules 8-10"][0]["goals"])
    head = ["variant", "run", "wall s", "status"] + [f"{g} (value / bound)" for g in goals]
    print(f"instance: {instance.name}  commit: {commit}  workers: {args.workers}  "
          f"time limit: {args.time_limit:g} s  repeat: {args.repeat}")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    medians = {}
    for name, rs in runs.items():
        for i, r in enumerate(rs, 1):
            print("| " + " | ".join([name, str(i), f"{r['wall']:.2f}", r["status"]]
                                    + [f"{_fmt(r['goals'].get(g, (None,) * 3)[0])} / "
                                       f"{_fmt(r['goals'].get(g, (None,) * 3)[1])}" for g in goals]) + " |")
        medians[name] = statistics.median(r["wall"] for r in rs)
        print("| " + " | ".join([name, "median", f"**{medians[name]:.2f}**",
                                 ", ".join(sorted({r["status"] for r in rs}))] + [""] * len(goals)) + " |")
    ratio = medians["with rules 8-10"] / medians["without"]
    all_optimal = all(r["status"] == "OPTIMAL" for rs in runs.values() for r in rs)
    print(f"ratio with / without (median wall): {ratio:.2f}  (target <= 2 and both OPTIMAL: "
          f"{'met' if ratio <= 2 and all_optimal else 'NOT met'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
