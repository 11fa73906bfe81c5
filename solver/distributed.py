"""Solving independent components on a Dask distributed cluster (``giliran solve --scheduler``).

The problem data is scattered once to every worker; each task carries only its
component's member indices and rebuilds the component there with
:func:`solver.data.split`, over two parts: the component and everyone else. That gives
the same :class:`~solver.data.ComponentData` as the local split into all components:
groups, teams and pairs never cross a component, and an office shared with another
component is left out in both (it is linked later, see :mod:`solver.solve`).

Deadlines from :func:`time.monotonic` mean nothing on another machine: they travel
as seconds left at submission, and the worker takes off the time the task waited in
the queue (from wall clocks, so only that estimate depends on synchronized clocks).

Dask stays optional: it is imported here only, when a scheduler is asked for.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Callable

import numpy as np

if TYPE_CHECKING:
    from .data import ComponentData, ProblemData
    from .solve import ComponentOutcome, Settings

RETRIES = 2     # a lost worker's component is resubmitted this many times


def _missing_dask() -> RuntimeError:
    return RuntimeError("solving on a Dask cluster needs dask.distributed: pip install 'giliran[dask]'")


def component_of(data: "ProblemData", members: np.ndarray) -> "ComponentData":
    """The component made of ``members`` (a whole part of :func:`solver.data.components`)."""
    from .data import split

    rest = np.setdiff1d(np.arange(data.n_employees, dtype=np.int64), members, assume_unique=True)
    return split(data, [members, rest] if len(rest) else [members])[0]


def solve_remote(data: "ProblemData", members: np.ndarray, settings: "Settings", seconds: float,
                 seconds_left: float, sent_at: float, cap, known, start=None, target=None) -> "ComponentOutcome":
    """On a worker: rebuild one component from the scattered data and solve it."""
    from .solve import solve_component

    waited = min(max(0.0, time.time() - sent_at), seconds_left)
    return solve_component(component_of(data, members), settings,
                           (seconds, time.monotonic() + seconds_left - waited), cap, known, start, target)


def run_on_dask(address: str, comps: list["ComponentData"], jobs: list[tuple], settings: "Settings",
                on_done: Callable[[int, "ComponentOutcome"], None] | None = None) -> dict[int, "ComponentOutcome"]:
    """Solve the listed components on the workers of the Dask scheduler at ``address``.

    Parameters
    ----------
    address
        The scheduler, e.g. ``tcp://10.0.0.5:8786``.
    comps
        Every component of the instance (they share one :class:`~solver.data.ProblemData`).
    jobs
        ``(index, (share_seconds, monotonic_deadline), fairness_cap, known, start, target)`` per component to solve.
    settings
        The search settings; ``settings.workers`` is ignored (the cluster decides).
    on_done
        Called with ``(index, outcome)`` as each component's result arrives.

    Returns
    -------
    dict
        The outcome of every job, by component index.
    """
    try:
        from distributed import Client, as_completed
    except ImportError as exc:       # pragma: no cover - depends on the environment
        raise _missing_dask() from exc
    if not jobs:
        return {}
    data = comps[0].data
    results: dict[int, ComponentOutcome] = {}
    with Client(address) as client:
        shared = client.scatter(data, broadcast=True)
        # biggest first, so the long ones do not start last
        order = sorted(jobs, key=lambda j: -len(comps[j[0]].members))
        futures = {}
        now = time.monotonic()
        for index, (share, deadline), cap, known, start, target in order:
            future = client.submit(solve_remote, shared, comps[index].members, settings, share,
                                   max(0.0, deadline - now), time.time(), cap, known, start, target,
                                   retries=RETRIES, pure=False, priority=len(comps[index].members))
            futures[future] = index
        for future in as_completed(futures):
            index = futures[future]
            results[index] = future.result()
            if on_done:
                on_done(index, results[index])
    return results
