"""What a solve returns: status, schedule, each goal's value and bound, and the figures."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

STATUSES = ("OPTIMAL", "FEASIBLE", "RELAXED", "INFEASIBLE", "UNKNOWN")


@dataclass
class GoalResult:
    """One goal of SPEC §3: its value in the schedule, the best proven bound, and whether it is proven."""

    goal: str
    value: float | None
    bound: float | None
    proven: bool

    @property
    def gap(self) -> float | None:
        if self.value is None or self.bound is None:
            return None
        return abs(self.bound - self.value)

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "bound": self.bound, "proven": self.proven, "gap": self.gap}


@dataclass
class Result:
    """The answer of :func:`solver.solve`.

    ``schedule`` is a DataFrame ``nip, date, mode`` (one row per employee and working
    day, sorted by nip then date), or ``None`` when no schedule was found.
    """

    status: str
    schedule: pd.DataFrame | None
    goals: list[GoalResult] = field(default_factory=list)
    kpis: dict[str, Any] = field(default_factory=dict)
    solve_seconds: float = 0.0
    build_seconds: float = 0.0
    infeasibility: list[dict[str, Any]] = field(default_factory=list)
    violations: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def objective(self) -> dict[str, dict[str, Any]]:
        return {g.goal: g.as_dict() for g in self.goals}
