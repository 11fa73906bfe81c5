"""Writing a solve's outputs (SPEC §4) into a folder, all files or none.

Everything is built in a hidden temporary folder next to the output folder (same
filesystem) and then swapped in by renames, so a crash at any point leaves
either the previous complete output or none, never a mix.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import datetime as dt
import json
import math
import os
import re
import shutil
import tempfile
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from models import Instance
from models.result import Result

from .tables import normalize_schedule, safe_text

FORMATS = ("csv", "json", "xlsx", "html")
OUTPUT_FILES = {"csv": "schedule.csv", "json": "report.json", "xlsx": "schedule.xlsx", "html": "report.html"}


class OutputFolderError(Exception):
    """The output folder cannot be replaced: it holds files giliran did not write."""


# ---------------------------------------------------------------------------- report.json
def _plain(value: Any) -> Any:
    """A JSON-ready copy: dates as ISO text, Decimals and numpy numbers as numbers, NaN as null."""
    if isinstance(value, dict):
        return {str(k.isoformat() if isinstance(k, dt.date) else k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_plain(v) for v in value), key=str)
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
        return value.isoformat()
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, Fraction):
        return float(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "as_dict"):
        return _plain(value.as_dict())
    return str(value)


def build_report(instance: Instance, result: Result, run_info: dict | None = None) -> dict:
    """The content of ``report.json`` (SPEC §4), JSON-ready.

    Parameters
    ----------
    instance
        The solved instance.
    result
        What the solver (or a check) returned.
    run_info
        What reproduces the run (versions, seed, workers, time limit, parameters,
        input hash, command); stored as ``run``.
    """
    objective = {}
    for goal, figures in result.objective.items():
        objective[goal] = {k: figures.get(k) for k in ("value", "bound", "proven", "gap")}
    report = {
        "instance": instance.name,
        "status": result.status,
        "objective": objective,
        "solve_seconds": result.solve_seconds,
        "build_seconds": result.build_seconds,
        "kpis": dict(result.kpis),
        "infeasibility": list(result.infeasibility),
        "violations": list(result.violations),
        "details": dict(result.details),
        "run": dict(run_info or {}),
    }
    return _plain(report)


def dump_json(report: dict) -> str:
    """``report.json``'s text: sorted keys, so the same run gives the same bytes."""
    return json.dumps(report, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# ---------------------------------------------------------------------------- schedule.csv
def write_schedule_csv(path: Path, schedule: pd.DataFrame) -> None:
    """``nip,date,mode``, one row per employee and working day, sorted by nip then date, dates ISO."""
    _write_normalized_csv(path, normalize_schedule(schedule))


def _write_normalized_csv(path: Path, df: pd.DataFrame) -> None:
    # Each NIP and date is converted once (a few thousand values, not one per row).
    nips, dates = df["nip"], df["date"]
    out = pd.DataFrame({
        "nip": nips.map({nip: safe_text(nip) for nip in nips.unique()}),
        "date": dates.map({day: dt.date.isoformat(day) for day in dates.unique()}),
        "mode": df["mode"],
    })
    out.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def write_table_csv(path: Path, table: pd.DataFrame, *, index: bool = False) -> None:
    """A table as CSV whose text cells (headers and index too) a spreadsheet shows as text, never runs."""
    out = table.copy()
    out.columns = [safe_text(c) for c in out.columns]
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]):
            out[column] = out[column].map(safe_text)
    if index:
        out.index = out.index.map(safe_text).rename(safe_text(out.index.name))
    out.to_csv(path, index=index, lineterminator="\n", encoding="utf-8")


# ---------------------------------------------------------------------------- atomic folder swap
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux renameat2); False where the system cannot."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    rc = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return rc == 0


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _check_replaceable(out_dir: Path) -> None:
    if out_dir.is_symlink() or (out_dir.exists() and not out_dir.is_dir()):
        raise OutputFolderError(f"{out_dir} exists and is not a folder")
    if out_dir.is_dir():
        foreign = sorted(p.name for p in out_dir.iterdir() if p.name not in OUTPUT_FILES.values())
        if foreign:
            raise OutputFolderError(
                f"{out_dir} holds files giliran did not write ({', '.join(foreign[:5])}); "
                "choose an empty or new output folder")


def staging_folder(out_dir: Path, kind: str = "tmp") -> Path:
    """A new hidden folder beside ``out_dir`` (``.OUT.tmp-PID-…``), after removing those that a
    process no longer running left behind (killed while writing, e.g. by ``kill -9``)."""
    out_dir = Path(out_dir).absolute()
    _remove_stale(out_dir)
    return Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.{kind}-{os.getpid()}-", dir=out_dir.parent))


def _remove_stale(out_dir: Path) -> None:
    if os.name != "posix":           # os.kill(pid, 0) asks whether a process runs only on POSIX
        return
    pattern = re.compile(re.escape(f".{out_dir.name}.") + r"(?:tmp|old)-(\d+)-")
    try:
        siblings = list(out_dir.parent.iterdir())
    except OSError:
        return
    for path in siblings:
        m = pattern.match(path.name)
        if m and path.is_dir() and not path.is_symlink() and not _running(int(m.group(1))):
            shutil.rmtree(path, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def _swap_in(staging: Path, out_dir: Path) -> None:
    """Put the complete ``staging`` folder at ``out_dir``, replacing a previous output folder."""
    parent = out_dir.parent
    if not out_dir.exists():
        os.rename(staging, out_dir)
        _fsync_dir(parent)
        return
    if _exchange(staging, out_dir):
        shutil.rmtree(staging, ignore_errors=True)   # now holds the previous output
        _fsync_dir(parent)
        return
    previous = staging_folder(out_dir, "old")
    os.rmdir(previous)
    os.rename(out_dir, previous)
    try:
        os.rename(staging, out_dir)
    except BaseException:
        os.rename(previous, out_dir)
        raise
    shutil.rmtree(previous, ignore_errors=True)
    _fsync_dir(parent)


def write_outputs(out_dir, instance: Instance, result: Result, *, lang: str = "en",
                  run_info: dict | None = None, formats: Iterable[str] = FORMATS) -> list[Path]:
    """Write ``schedule.csv``, ``report.json``, ``schedule.xlsx`` and ``report.html`` into ``out_dir``, atomically.

    Without a schedule (infeasible, unknown) only ``report.json`` and ``report.html``
    are written. A previous output folder is replaced only once the new one is
    complete; on any error it is left as it was and no temporary folder remains.

    Parameters
    ----------
    out_dir
        The output folder; created if missing. An existing folder may hold only
        giliran's output files (else :class:`OutputFolderError`).
    instance, result
        What was solved and the answer.
    lang
        ``en`` or ``id`` for the workbook and report labels.
    run_info
        What reproduces the run, stored as ``run`` in ``report.json``.
    formats
        A subset of ``("csv", "json", "xlsx", "html")``.

    Returns
    -------
    list[Path]
        The files written, inside ``out_dir``.
    """
    out_dir = Path(out_dir).absolute()
    wanted = set(formats)
    if wanted - set(FORMATS):
        raise ValueError(f"unknown output format {sorted(wanted - set(FORMATS))[0]!r}")
    formats = [f for f in FORMATS if f in wanted]
    if result.schedule is None:
        formats = [f for f in formats if f in ("json", "html")]
    _check_replaceable(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)

    staging = staging_folder(out_dir)
    try:
        report = build_report(instance, result, run_info)
        names = []
        schedule = tables = None
        if result.schedule is not None and ({"csv", "xlsx", "html"} & set(formats)):
            schedule = normalize_schedule(result.schedule)
        if schedule is not None and ({"xlsx", "html"} & set(formats)):
            from .tables import ReportTables

            tables = ReportTables(instance, schedule)
        for fmt in formats:
            path = staging / OUTPUT_FILES[fmt]
            if fmt == "csv":
                _write_normalized_csv(path, schedule)
            elif fmt == "json":
                path.write_text(dump_json(report), encoding="utf-8")
            elif fmt == "xlsx":
                from .xlsx import write_workbook

                write_workbook(path, instance, result, lang=lang, tables=tables)
            elif fmt == "html":
                from .html import write_html

                write_html(path, instance, result, report, lang=lang, tables=tables)
            names.append(OUTPUT_FILES[fmt])
        for name in names:
            with open(staging / name, "rb") as fh:
                os.fsync(fh.fileno())
        os.chmod(staging, 0o755)  # mkdtemp makes it private; an output folder is an ordinary one
        _check_replaceable(out_dir)
        _swap_in(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [out_dir / n for n in names]

