"""Solving independent components on a Dask distributed cluster (``giliran solve --scheduler``).

The problem data is scattered once to every worker; each task carries only its
component's member indices and rebuilds the component there with
:func:`solver.data.split`, which gives the same :class:`~solver.data.ComponentData` as
the local path as long as every other member stays out of the part (offices shared
with other components are then left out, exactly as when all parts are split at once).

Deadlines from :func:`time.monotonic` mean nothing on another machine: they travel
as seconds left and become local deadlines again on the worker.

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


def solve_remote(data: "ProblemData", members: np.ndarray, settings: "Settings", seconds: float,
                 seconds_left: float, cap, known) -> "ComponentOutcome":
    """On a worker: rebuild one component from the scattered data and solve it."""
    from .data import split
    from .solve import solve_component

    (comp,) = split(data, [members])
    return solve_component(comp, settings, (seconds, time.monotonic() + seconds_left), cap, known)


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
        ``(index, (share_seconds, monotonic_deadline), fairness_cap, known)`` per component to solve.
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
        for index, (share, deadline), cap, known in order:
            future = client.submit(solve_remote, shared, comps[index].members, settings, share,
                                   max(0.0, deadline - now), cap, known,
                                   key=f"giliran-component-{index}-{id(jobs)}-{time.time_ns()}",
                                   retries=RETRIES, pure=False, priority=len(comps[index].members))
            futures[future] = index
        for future in as_completed(futures):
            index = futures[future]
            results[index] = future.result()
            if on_done:
                on_done(index, results[index])
    return results
