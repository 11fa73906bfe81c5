"""What-if runs: change an instance by dotted keys, solve the variants, tabulate their figures.

A planner asks "what if the summit cap were 80%?" or "what if every team needed
three on site?". :func:`apply_changes` turns such a question into a changed,
re-validated :class:`~models.Instance`; :func:`run_variants` solves a list of
them with :func:`solver.solve` and returns one row per variant; and
:func:`compare_rosters` puts several rosters (manual, optimal, a what-if) side by
side with the independent checker.

The keys a variant may change (SPEC §1 names):

============================================  ==========================================
key                                           value
============================================  ==========================================
``categories.<id>.max_wfh``                   a cap, 0..1
``phases.<name>.max_wfh.<category>``          a cap, 0..1 (``null`` drops it from the phase)
``phases.<name>.start``, ``.end``             an ISO date
``rules.max_consecutive_wfh``                 a whole number, or ``null`` (off)
``rules.min_wfo_per_week``                    a whole number, or ``null`` (off)
``teams.<id>.min_onsite``                     a whole number
``teams.<id>.min_onsite_ratio``               a share, 0..1
``teams.<id>.team_days_per_week``             a whole number, or ``null``
``offices.<id>.desks``                        a whole number
``cap_scope``                                 ``unit``, ``team`` or ``all``
``objective``                                 goals, most important first: ``wfh,fairness``
============================================  ==========================================
"""
from __future__ import annotations

import os
import re
import shutil
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import pandas as pd
from pydantic import ValidationError

from models import InputError, Instance
from models.result import Result

from .check import check
from .solve import solve

KEYS = ("categories.<id>.max_wfh", "phases.<name>.max_wfh.<category>", "phases.<name>.start",
        "phases.<name>.end", "rules.max_consecutive_wfh", "rules.min_wfo_per_week", "teams.<id>.min_onsite",
        "teams.<id>.min_onsite_ratio", "teams.<id>.team_days_per_week", "offices.<id>.desks", "cap_scope",
        "objective")
FIGURES = ("wfh_days", "fairness_max_dev_days", "preferences_met_weight", "commute_km_avoided",
           "binding_caps", "binding_team_days")
_NULL = {"", "null", "none", "~"}


# ---------------------------------------------------------------------------- changing an instance
def apply_changes(instance: Instance, changes: Mapping[str, Any]) -> Instance:
    """A copy of ``instance`` with the dotted keys changed, validated like a loaded instance.

    Parameters
    ----------
    instance
        The instance to start from; it is not modified.
    changes
        ``{key: value}`` in order; see the module's table of keys. Values may be
        text as typed on the command line (``"0.6"``, ``"null"``, ``"2023-09-05"``,
        ``"wfh,fairness"``) or Python values (Decimal, int, date, list, None).

    Returns
    -------
    Instance
        A new instance; derived lookups (working days, caps) are recomputed.

    Raises
    ------
    InputError
        With ``key`` set, for an unknown key, an unknown id in it, or a bad value.
    """
    if not changes:
        return instance
    data = instance.model_dump()
    for key, value in changes.items():
        _change(data, instance, str(key), value)
        try:
            Instance.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise InputError(re.sub(r"^Value error, ", "", err.get("msg", "invalid value")), key=key) from None
    return Instance.model_validate(data)


def _known(ids: Iterable[str]) -> str:
    ids = list(ids)
    shown = ", ".join(ids[:10]) + (f", ... ({len(ids)} in all)" if len(ids) > 10 else "")
    return f" (known: {shown})" if ids else " (the instance has none)"


def _change(data: dict, instance: Instance, key: str, value: Any) -> None:
    """Set one dotted key in ``data`` (a ``model_dump`` of ``instance``)."""
    head, _, rest = key.partition(".")
    if head == "categories":
        cid, _, field = rest.rpartition(".")
        if field != "max_wfh" or not cid:
            raise InputError("a category's cap is categories.<id>.max_wfh", key=key)
        if cid not in data["categories"]:
            raise InputError(f"unknown category {cid!r}{_known(data['categories'])}", key=key)
        data["categories"][cid]["max_wfh"] = _decimal(value, key)
    elif head == "phases":
        phases = data["phases"] = [dict(p) for p in data["phases"]]
        by_name = {p["name"]: p for p in phases}
        if ".max_wfh." in rest:
            name, _, cid = rest.rpartition(".max_wfh.")
            field = "max_wfh"
        else:
            name, _, field = rest.rpartition(".")
        if field not in ("max_wfh", "start", "end") or not name:
            raise InputError("a phase key is phases.<name>.max_wfh.<category>, phases.<name>.start or "
                             "phases.<name>.end", key=key)
        if name not in by_name:
            raise InputError(f"unknown phase {name!r}{_known(by_name)}", key=key)
        phase = by_name[name]
        if field == "max_wfh":
            if cid not in data["categories"]:
                raise InputError(f"unknown category {cid!r}{_known(data['categories'])}", key=key)
            caps = dict(phase["max_wfh"])
            if _is_null(value):
                caps.pop(cid, None)
            else:
                caps[cid] = _decimal(value, key)
            phase["max_wfh"] = caps
        else:
            phase[field] = value.strip() if isinstance(value, str) else value  # pydantic reads ISO dates
    elif head == "rules":
        if rest not in ("max_consecutive_wfh", "min_wfo_per_week"):
            raise InputError("known rules: rules.max_consecutive_wfh, rules.min_wfo_per_week", key=key)
        data["rules"] = {**data["rules"], rest: None if _is_null(value) else _whole(value, key)}
    elif head == "teams":
        tid, _, field = rest.rpartition(".")
        if field not in ("min_onsite", "min_onsite_ratio", "team_days_per_week") or not tid:
            raise InputError("a team key is teams.<id>.min_onsite, .min_onsite_ratio or .team_days_per_week",
                             key=key)
        teams = data["teams"] = [dict(t) for t in data["teams"]]
        team = next((t for t in teams if t["team"] == tid), None)
        if team is None:
            raise InputError(f"unknown team {tid!r}{_known(t['team'] for t in teams)}", key=key)
        if field == "min_onsite_ratio":
            team[field] = _decimal(value, key)
        elif field == "team_days_per_week" and _is_null(value):
            if team["team_days"]:
                raise InputError(f"team {tid!r} lists team_days; it needs team_days_per_week", key=key)
            team[field] = None
        else:
            team[field] = _whole(value, key)
        if field == "team_days_per_week" and team["team_days"] and len(team["team_days"]) < (team[field] or 0):
            raise InputError(f"team {tid!r} lists {len(team['team_days'])} team_days, fewer than {team[field]}",
                             key=key)
    elif head == "offices":
        oid, _, field = rest.rpartition(".")
        if field != "desks" or not oid:
            raise InputError("an office key is offices.<id>.desks", key=key)
        offices = data["offices"] = [dict(o) for o in data["offices"]]
        office = next((o for o in offices if o["office"] == oid), None)
        if office is None:
            raise InputError(f"unknown office {oid!r}{_known(o['office'] for o in offices)}", key=key)
        office["desks"] = _whole(value, key)
    elif head == "cap_scope" and not rest:
        data["cap_scope"] = str(value).strip()
    elif head == "objective" and not rest:
        goals = value.split(",") if isinstance(value, str) else list(value)
        data["objective"] = tuple(str(g).strip() for g in goals if str(g).strip())
    else:
        raise InputError("unknown key (known: " + ", ".join(KEYS) + ")", key=key)


def _is_null(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in _NULL)


def _decimal(value: Any, key: str) -> Decimal:
    """A cap or ratio, exact: the float 0.55 becomes Decimal('0.55'), not its binary expansion."""
    if isinstance(value, bool) or _is_null(value):
        raise InputError(f"expected a number, got {value!r}", key=key)
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise InputError(f"expected a number, got {value!r}", key=key) from None
    if not number.is_finite():
        raise InputError(f"expected a finite number, got {value!r}", key=key)
    return number


def _whole(value: Any, key: str) -> int:
    number = _decimal(value, key)
    if number != number.to_integral_value():
        raise InputError(f"expected a whole number, got {value!r}", key=key)
    return int(number)


def parse_setting(text: str) -> tuple[str, str]:
    """``"KEY=VALUE"`` as typed after ``--set``."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise InputError(f"expected KEY=VALUE, got {text!r}", key=key.strip() or None)
    return key.strip(), value.strip()


def sweep_values(text: str) -> tuple[str, list[Decimal]]:
    """``"KEY=START:STOP:STEP"`` as typed after ``--sweep``: the key and its values, STOP included.

    Computed in decimals, so ``0.5:0.7:0.1`` gives exactly 0.5, 0.6 and 0.7.
    """
    key, value = parse_setting(text)
    parts = value.split(":")
    if len(parts) != 3:
        raise InputError(f"a sweep is KEY=START:STOP:STEP, got {text!r}", key=key)
    start, stop, step = (_decimal(p, key) for p in parts)
    if step <= 0:
        raise InputError("the sweep's STEP must be above 0", key=key)
    if stop < start:
        raise InputError("the sweep's STOP must not be below its START", key=key)
    count = int((stop - start) / step) + 1
    if count > 1000:
        raise InputError(f"the sweep has {count} values; at most 1000", key=key)
    return key, [start + k * step for k in range(count)]


# ---------------------------------------------------------------------------- the figures of a variant
def binding_caps(instance: Instance, schedule: pd.DataFrame) -> int:
    """Cap group-days (SPEC §2 rule 3) with someone present where WFH equals ``floor(cap × present)``."""
    from report.tables import ReportTables, normalize_schedule

    tables = ReportTables(instance, normalize_schedule(schedule))
    return int(sum(((g.at_home == g.cap) & (g.present > 0)).sum() for g in tables.cap_rows))


def binding_teams(instance: Instance, schedule: pd.DataFrame) -> pd.DataFrame:
    """Team-days (SPEC §2 rule 4) where exactly the minimum is on site (minimum above 0): ``team, unit, date``."""
    from report.tables import ReportTables, normalize_schedule

    tables = ReportTables(instance, normalize_schedule(schedule))
    rows = [(team, unit, tables.days[j])
            for team, unit, onsite, _present, minimum in tables.team_rows
            for j in np.flatnonzero((onsite == minimum) & (minimum > 0))]
    return pd.DataFrame(rows, columns=["team", "unit", "date"])


def _row(instance: Instance, result: Result) -> dict[str, Any]:
    row: dict[str, Any] = {"status": result.status}
    for name in FIGURES[:4]:
        row[name] = result.kpis.get(name, np.nan) if result.schedule is not None else np.nan
    if result.schedule is not None:
        row["binding_caps"] = binding_caps(instance, result.schedule)
        row["binding_team_days"] = len(binding_teams(instance, result.schedule))
    else:
        row["binding_caps"] = row["binding_team_days"] = np.nan
    row["solve_seconds"] = round(result.solve_seconds, 3)
    row["infeasibility"] = " | ".join(str(c.get("message", "")) for c in result.infeasibility)
    return row


def _setting(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value))
    return value


def variant_name(index: int, changes: Mapping[str, Any]) -> str:
    """The folder of a variant: its 1-based number and its settings, safe as a file name."""
    text = "_".join(f"{k}={_setting(v)}" for k, v in changes.items()) or "baseline"
    return f"{index + 1:02d}-" + re.sub(r"[^A-Za-z0-9._=-]+", "_", text)[:80]


# ---------------------------------------------------------------------------- running variants
def run_variants(instance: Instance, variants: list[Mapping[str, Any]], *, time_limit: float = 60.0,
                 workers: int | None = None, seed: int = 0, out_dir=None, sweep: str | None = None,
                 lang: str = "en", run_info: dict | None = None, log: bool = False,
                 progress: Callable | None = None,
                 on_variant: Callable[[int, dict], None] | None = None, anonymize: bool = False) -> pd.DataFrame:
    """Solve each variant of an instance and tabulate its figures.

    Every variant is checked (:func:`apply_changes`) before any is solved, so a bad
    key fails at once. Variants are solved one after another, each by
    :func:`solver.solve` with ``workers`` (which parallelizes inside), sharing one
    ``reuse`` dict: a part proven in one variant and the same in a later one (a cap
    change leaves the parts without that category as they were) is not solved again.

    Parameters
    ----------
    instance
        The instance the variants change.
    variants
        One ``{key: value}`` per variant (``{}`` is the instance as it is).
    time_limit, workers, seed, log, progress
        As for :func:`solver.solve`, per variant.
    out_dir
        If given, each variant's outputs (SPEC §4) go to their own folder inside it,
        with ``whatif.csv`` (the table) and, with ``sweep``, ``whatif.png``; the
        folder is written atomically (all or nothing).
    sweep
        The swept key: the chart plots the figures against it.
    lang
        Labels of the reports and the chart.
    run_info
        What reproduces the run, stored in each variant's ``report.json`` with its changes.
    on_variant
        Called with ``(index, row)`` as each variant is done.
    anonymize
        Pseudonyms instead of NIPs and names in the rows and outputs (:mod:`report.anonymize`).

    Returns
    -------
    pandas.DataFrame
        One row per variant: a column per changed key, ``status``, ``wfh_days``,
        ``fairness_max_dev_days``, ``preferences_met_weight``, ``commute_km_avoided``,
        ``binding_caps`` (cap group-days at their cap), ``binding_team_days`` (team-days
        at their minimum), ``solve_seconds``, ``infeasibility`` (the reason, if any)
        and, with ``out_dir``, ``folder``. A variant without a schedule has NaN figures.

    Raises
    ------
    InputError
        For an unknown key or a bad value (naming the key), before anything is solved.
    report.OutputFolderError
        If ``out_dir`` holds files that a what-if run did not write.
    """
    instances = [apply_changes(instance, v) for v in variants]
    keys: list[str] = []
    for v in variants:
        keys += [k for k in v if k not in keys]
    staging = _staging(out_dir) if out_dir is not None else None
    try:
        rows = []
        reuse: dict = {}
        writes: list[tuple] = []        # variants' outputs to write, a batch of `workers` at a time
        for i, (changes, inst) in enumerate(zip(variants, instances)):
            result = solve(inst, time_limit=time_limit, workers=workers, seed=seed, log=log, progress=progress,
                           reuse=reuse)
            if anonymize:
                from report.anonymize import anonymize as pseudonymize

                inst, result = pseudonymize(inst, result)
            row = {k: _setting(changes.get(k)) if k in changes else None for k in keys}
            row.update(_row(inst, result))
            if staging is not None:
                row["folder"] = variant_name(i, changes)
                info = {**(run_info or {}), "changes": {k: _setting(v) for k, v in changes.items()}}
                if anonymize:
                    info["input_hash"] = inst.input_hash      # the public one: the real one keys the pseudonyms
                formats = ("json",) if result.status == "UNKNOWN" else ("csv", "json", "xlsx", "html")
                writes.append((staging / row["folder"], inst, result, dict(lang=lang, run_info=info, formats=formats)))
                if len(writes) >= (workers or os.cpu_count() or 1):    # not every variant's schedule in memory
                    _write_all(writes, workers)
                    writes.clear()
            rows.append(row)
            if on_variant:
                on_variant(i, row)
        table = pd.DataFrame(rows)
        if staging is not None:
            _write_all(writes, workers)
            from report.writer import write_table_csv

            write_table_csv(staging / "whatif.csv", table)
            if sweep is not None:
                plot_sweep(staging / "whatif.png", table, sweep, lang=lang)
            from report.writer import _swap_in  # the report's atomic folder swap, shared

            _swap_in(staging, Path(out_dir).absolute())
    except BaseException:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        raise
    return table


_WRITES: list[tuple] = []


def _write_one(k: int) -> None:
    from report import write_outputs

    folder, inst, result, options = _WRITES[k]
    write_outputs(folder, inst, result, **options)


def _write_all(writes: list[tuple], workers: int | None) -> None:
    """Write the variants' outputs, in ``workers`` processes where the machine forks (writing a
    variant's workbook and charts is Python's work, about a second for the bundled instance)."""
    import importlib
    import multiprocessing

    workers = min(workers or os.cpu_count() or 1, len(writes))
    _WRITES[:] = writes
    try:
        if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
            for k in range(len(writes)):
                _write_one(k)
            return
        # what every writer imports, imported once here: the forked writers share it (each batch's
        # would import matplotlib and openpyxl again, about half a second)
        for name in ("matplotlib.figure", "matplotlib.backends.backend_agg", "report.html", "report.xlsx"):
            importlib.import_module(name)
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            pool.map(_write_one, range(len(writes)), chunksize=1)
    finally:
        _WRITES.clear()


def check_whatif_folder(out_dir) -> None:
    """Refuse an output folder that holds anything but a previous what-if run's files.

    Raises
    ------
    report.OutputFolderError
    """
    from report import OutputFolderError

    out = Path(out_dir)
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise OutputFolderError(f"{out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / "whatif.csv").exists():
        raise OutputFolderError(f"{out} holds files giliran's what-if did not write; "
                                "choose an empty or new output folder")


def _staging(out_dir) -> Path:
    out = Path(out_dir).absolute()
    check_whatif_folder(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    from report.writer import staging_folder

    return staging_folder(out)


def plot_sweep(path, table: pd.DataFrame, key: str, *, lang: str = "en") -> Path:
    """A PNG of each figure against the swept value; variants without a schedule are marked ×."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from report import tr

    labels = {"binding_caps": ("Cap group-days at the cap", "Hari-kelompok pada batas"),
              "binding_team_days": ("Team-days at the minimum", "Hari-tim pada minimum")}
    x = pd.to_numeric(table[key], errors="coerce").to_numpy(dtype=float)
    solved = table["status"].isin(["OPTIMAL", "FEASIBLE", "RELAXED"]).to_numpy()
    fig = Figure(figsize=(11, 6.5), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 3).ravel()
    for ax, name in zip(axes, FIGURES):
        y = pd.to_numeric(table[name], errors="coerce").to_numpy(dtype=float)
        ax.plot(x[solved], y[solved], marker="o", color="#1f6fb2")
        for xv in x[~solved]:
            ax.axvline(xv, color="#c0392b", linestyle=":", linewidth=1)
            ax.plot([xv], [np.nanmin(y) if np.isfinite(y).any() else 0], marker="x", color="#c0392b")
        title = labels[name][lang == "id"] if name in labels else tr(f"kpi.{name}", lang)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(key, fontsize=8)
        ax.grid(alpha=0.3)
    fig.suptitle(f"giliran what-if: {key}", fontsize=12)
    fig.savefig(path, format="png", dpi=100, metadata={"Software": None})
    return Path(path)


# ---------------------------------------------------------------------------- comparing rosters
def compare_rosters(instance: Instance, rosters: Mapping[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Several rosters of one instance side by side, by the independent checker.

    Parameters
    ----------
    instance
        The instance the rosters are for.
    rosters
        ``{label: roster}``, each roster ``nip, date, mode`` (as :func:`models.roster.read_roster` gives).

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        The figures: one row per roster (index: its label) with the SPEC §3 figures,
        ``violations`` (their total) and ``violations.<rule>`` per rule of §2. The
        differences: one row per pair of rosters, ``a, b, days_differing`` (employee-days
        whose mode differs or that only one roster gives).
    """
    figures = {}
    for label, roster in rosters.items():
        result = check(instance, roster)
        row = {k: (float(v) if not isinstance(v, int) else v) for k, v in result.figures.items()}
        row["violations"] = len(result.violations)
        row.update({f"violations.{name}": n for name, n in result.counts().items()})
        figures[label] = row
    table = pd.DataFrame.from_dict(figures, orient="index")
    table.index.name = "roster"
    labels = list(rosters)
    keyed = {label: _keyed(rosters[label]) for label in labels}
    pairs = []
    for i, a in enumerate(labels):
        for b in labels[i + 1:]:
            both = keyed[a].merge(keyed[b], how="outer", left_index=True, right_index=True, suffixes=("_a", "_b"))
            pairs.append((a, b, int((both["mode_a"] != both["mode_b"]).sum())))
    return table, pd.DataFrame(pairs, columns=["a", "b", "days_differing"])


def _keyed(roster: pd.DataFrame) -> pd.DataFrame:
    """A roster indexed by (nip, ISO date), one mode each (the first where repeated)."""
    df = pd.DataFrame({"nip": roster["nip"].astype(str),
                       "date": pd.to_datetime(roster["date"]).dt.strftime("%Y-%m-%d"),
                       "mode": roster["mode"].astype(str).str.upper().replace({"CUTI": "LEAVE"})})
    return df.drop_duplicates(["nip", "date"]).set_index(["nip", "date"])
