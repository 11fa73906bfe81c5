"""What the benchmark scripts share: their common options and a run in a fresh process."""
from __future__ import annotations

import argparse
import multiprocessing
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = str(ROOT / "instances" / "jakarta-2023")


def parser(doc: str, time_limit: float, *, repeat: bool = True) -> argparse.ArgumentParser:
    """INSTANCE (default: the bundled one), --repeat, --time-limit, --workers, --seed."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("instance", nargs="?", default=BUNDLED)
    if repeat:
        ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--time-limit", type=float, default=time_limit)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    return ap


def _child(target, args, queue) -> None:
    queue.put(target(*args))


def fresh(target, *args):
    """``target(*args)`` in a fresh process (nothing cached, memory its own); its return value."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(target, args, queue))
    proc.start()
    out = queue.get()
    proc.join()
    return out
