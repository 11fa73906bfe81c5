"""What the planner sees in the terminal: a summary table after ``solve`` and ``check``,
and a live progress line on stderr while solving."""
from __future__ import annotations

import sys
import threading
import time

from rich.console import Console
from rich.table import Table

from .i18n import tr
from .tables import fmt_number


def _is_check(obj) -> bool:
    return hasattr(obj, "figures") and hasattr(obj, "violations") and not hasattr(obj, "goals")


def print_summary(result_or_check, lang: str = "en", console: Console | None = None) -> None:
    """Print status, goals (value, bound, gap) and KPIs of a :class:`Result`, or the
    violation counts and figures of a ``CheckResult``, as rich tables."""
    console = console or Console()
    t = lambda key, **kw: tr(key, lang, **kw)
    obj = result_or_check
    if _is_check(obj):
        status = "OK" if obj.ok else "VIOLATIONS"
        figures = obj.figures
        counts = obj.counts() if hasattr(obj, "counts") else {}
    else:
        status = obj.status
        figures = dict(obj.kpis)
        counts = {}
    colour = {"OPTIMAL": "green", "FEASIBLE": "green", "OK": "green", "RELAXED": "yellow"}.get(status, "red")
    table = Table(title=t("title.summary"), show_header=True, header_style="bold")
    table.add_column(t("col.indicator"))
    table.add_column(t("col.value"), justify="right")
    table.add_row(t("status"), f"[{colour}]{t('status.' + status)}[/{colour}]")
    for key, value in figures.items():
        table.add_row(t(f"kpi.{key}"), fmt_number(value))
    if not _is_check(obj):
        table.add_row(t("kpi.solve_seconds"), f"{obj.solve_seconds:.2f}")
        table.add_row(t("kpi.build_seconds"), f"{obj.build_seconds:.2f}")
    console.print(table)
    if not _is_check(obj) and obj.goals:
        goals = Table(title=t("title.objective"), header_style="bold")
        for key in ("col.goal", "col.value", "col.bound", "col.gap", "col.proven"):
            goals.add_column(t(key), justify="left" if key == "col.goal" else "right")
        for g in obj.goals:
            goals.add_row(t(f"goal.{g.goal}"), fmt_number(g.value), fmt_number(g.bound), fmt_number(g.gap),
                          t("yes") if g.proven else t("no"))
        console.print(goals)
    if any(counts.values()):
        rules = Table(title=t("title.violation_counts"), header_style="bold")
        rules.add_column(t("col.rule"))
        rules.add_column(t("col.count"), justify="right")
        for rule, n in counts.items():
            if n:
                rules.add_row(t(f"rule.{rule}"), str(n))
        console.print(rules)


class SolveProgress:
    """Live progress of a solve on stderr: current goal, best value, bound, elapsed time.

    Use as a context manager and pass the object as the solver's progress callback;
    it draws only when stderr is a terminal and ``quiet`` is false, and is safe to
    call from CP-SAT's solution-callback thread.

    Examples
    --------
    >>> with SolveProgress(lang="en") as progress:      # doctest: +SKIP
    ...     result = solve(instance, progress=progress)
    """

    def __init__(self, lang: str = "en", quiet: bool = False, console: Console | None = None,
                 enabled: bool | None = None):
        self.lang = lang
        self.console = console or Console(stderr=True)
        if enabled is None:
            enabled = not quiet and sys.stderr.isatty() and self.console.is_terminal
        self.enabled = enabled and not quiet
        self._status = None
        self._lock = threading.Lock()
        self.last: tuple[str, float, float, float] | dict | None = None
        self.text = ""                   # the line shown last (or that would be, off a terminal)

    def __enter__(self) -> "SolveProgress":
        if self.enabled:
            self._status = self.console.status(tr("progress.starting", self.lang), spinner="dots")
            self._status.start()
        self._started = time.monotonic()
        return self

    def __call__(self, goal=None, value: float | None = None, bound: float | None = None,
                 elapsed: float = 0.0) -> None:
        """Show a new best solution: ``(goal, value, bound, elapsed)``; or, from a decomposed solve,
        one dict: ``{"done": k, "total": n, "elapsed": s}`` as parts finish, or with ``part``,
        ``goal``, ``value`` and ``bound`` as a part's search improves (see :func:`solver.solve`)."""
        if isinstance(goal, dict) and "goal" in goal:
            event = goal
            text = tr("progress.part_goal", self.lang, goal=tr(f"goal.{event['goal']}", self.lang),
                      part=event.get("part", 0), done=event.get("done", 0), total=event.get("total", 0),
                      value=fmt_number(event.get("value")), bound=fmt_number(event.get("bound")),
                      elapsed=float(event.get("elapsed", 0.0)))
            last = event
        elif isinstance(goal, dict):
            parts = goal
            text = tr("progress.parts", self.lang, done=parts.get("done", 0), total=parts.get("total", 0),
                      elapsed=float(parts.get("elapsed", 0.0)))
            last = parts
        else:
            text = tr("progress.solving", self.lang, goal=tr(f"goal.{goal}", self.lang), value=fmt_number(value),
                      bound=fmt_number(bound), elapsed=elapsed)
            last = (goal, value, bound, elapsed)
        with self._lock:
            self.last, self.text = last, text
            if self._status is not None:
                self._status.update(text)

    def __exit__(self, *exc) -> None:
        with self._lock:
            if self._status is not None:
                self._status.stop()
                self._status = None
