"""Reading a roster (a schedule written by a planner, by giliran, or by another tool).

A roster is CSV (UTF-8, BOM ok, ``,`` or ``;``) or XLSX (first sheet), either

- long: columns ``nip, date, mode``, one row per employee and day, or
- a grid: one row per employee with a ``nip`` column and one column per date
  (header an ISO date or an Excel date cell); other columns (name, unit, ...)
  are ignored.

Modes are WFH, WFO and LEAVE, in any case; CUTI reads as LEAVE (SPEC §7.10).
A blank grid cell gives nothing. Whether a date is a working day is for the
checker to judge, not for reading: a mode under a weekend column is read and
then reported by :func:`solver.check.check`.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError
from .instance import Instance
from .load import read_table_rows

MODE_SPELLINGS = {"WFH": "WFH", "WFO": "WFO", "LEAVE": "LEAVE", "CUTI": "LEAVE"}
ROSTER_COLUMNS = ("nip", "date", "mode")

_ISO_HEADER = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[ t]00:00:00)?$")


def read_roster(path: str | Path, instance: Instance) -> pd.DataFrame:
    """Read a roster file in long or grid form.

    Parameters
    ----------
    path
        A ``.csv`` or ``.xlsx`` file.
    instance
        The instance the roster is for: its employees are the known ``nip`` values.

    Returns
    -------
    pandas.DataFrame
        Columns ``nip`` (str), ``date`` (:class:`datetime.date`) and ``mode``
        (``WFH``, ``WFO`` or ``LEAVE``), sorted by nip then date.

    Raises
    ------
    InputError
        Naming the file, the 1-based data row and the column: an unknown mode, a
        bad date or date header, no ``nip`` column, an unknown nip, or a nip and
        date given twice.
    """
    path = Path(path)
    label = path.name
    table, file_rows = read_table_rows(path, label)      # blank lines dropped, still counted
    file_rows = np.asarray(file_rows, dtype=np.int64)
    if "nip" not in table.columns:
        raise InputError("missing required column 'nip'", file=label, row=0, column="nip")
    known = {e.nip for e in instance.employees}
    date_columns = _date_columns(table, label)
    if "date" in table.columns and "mode" in table.columns and not date_columns:
        roster = _read_long(table, label, known, file_rows)
    elif date_columns:
        roster = _read_grid(table, date_columns, label, known, file_rows)
    else:
        raise InputError("expected columns nip, date, mode (long form) or one column per date (grid form)",
                         file=label, row=0)
    roster = roster.sort_values(["nip", "date"], kind="stable").reset_index(drop=True)
    return roster[list(ROSTER_COLUMNS)]


# ---------------------------------------------------------------------------- forms
def _read_long(table: pd.DataFrame, label: str, known: set[str], rows: np.ndarray) -> pd.DataFrame:
    nip = _unquoted(table["nip"].to_numpy(dtype=object), known)
    _known_nips(nip, rows, label, known)
    dates = _parse_dates(table["date"].to_numpy(dtype=object), rows, label)
    modes = _parse_modes(table["mode"].to_numpy(dtype=object), rows, label, ["mode"] * len(table),
                         blank_ok=False)
    roster = pd.DataFrame({"nip": nip, "date": dates, "mode": modes, "_row": rows})
    dup = roster.duplicated(["nip", "date"], keep="first").to_numpy()
    if dup.any():
        i = int(np.argmax(dup))
        first = roster[(roster["nip"] == nip[i]) & (roster["date"] == dates[i])]["_row"].iloc[0]
        raise InputError(f"nip {nip[i]!r} has a second mode for {dates[i]} (first on row {first})",
                         file=label, row=int(rows[i]), column="date")
    return roster


def _read_grid(table: pd.DataFrame, date_columns: dict[str, dt.date], label: str, known: set[str],
               rows: np.ndarray) -> pd.DataFrame:
    headers = list(date_columns)
    cells = table[headers].to_numpy(dtype=object)
    nip = _unquoted(table["nip"].to_numpy(dtype=object), known)
    filled = (cells != "").any(axis=1)
    # a wholly blank line (e.g. a spreadsheet's trailing row) is nothing, not an error
    blank_line = ~filled & (nip == "")
    cells, nip, rows = cells[~blank_line], nip[~blank_line], rows[~blank_line]
    _known_nips(nip, rows, label, known)
    dup = pd.Series(nip).duplicated().to_numpy()
    if dup.any():
        i = int(np.argmax(dup))
        first = rows[int(np.argmax(nip == nip[i]))]
        raise InputError(f"nip {nip[i]!r} has a second row (first on row {first})", file=label,
                         row=int(rows[i]), column="nip")
    flat = cells.ravel()
    cell_rows = np.repeat(rows, len(headers))
    cell_columns = np.tile(np.array([_header_label(h, date_columns[h]) for h in headers], dtype=object), len(nip))
    modes = _parse_modes(flat, cell_rows, label, cell_columns, blank_ok=True)
    given = modes != ""
    day_of_column = np.array([date_columns[h] for h in headers], dtype=object)
    return pd.DataFrame({"nip": np.repeat(nip, len(headers))[given],
                         "date": np.tile(day_of_column, len(nip))[given],
                         "mode": modes[given]})


# ---------------------------------------------------------------------------- cells
def _date_columns(table: pd.DataFrame, label: str) -> dict[str, dt.date]:
    """The grid's date columns, header -> date; a header that starts like a date but is not one is an error."""
    found: dict[str, dt.date] = {}
    seen: dict[dt.date, str] = {}
    for header in table.columns:
        text = str(header).strip().lower()
        if not text[:1].isdigit():
            continue
        match = _ISO_HEADER.match(text)
        day = None
        if match:
            try:
                day = dt.date.fromisoformat(match.group(1))
            except ValueError:
                day = None
        if day is None:
            raise InputError(f"column header {header!r} is not a date like 2023-08-21", file=label, row=0,
                             column=str(header))
        if day in seen:
            raise InputError(f"date {day} has two columns", file=label, row=0, column=str(header))
        seen[day] = header
        found[header] = day
    return found


def _header_label(header: str, day: dt.date) -> str:
    return day.isoformat() if str(header) != day.isoformat() else str(header)


def _parse_dates(values: np.ndarray, rows: np.ndarray, label: str) -> np.ndarray:
    codes, uniques = pd.factorize(values)
    parsed = np.empty(len(uniques), dtype=object)
    for k, text in enumerate(uniques):
        match = _ISO_HEADER.match(str(text).strip().lower())
        try:
            parsed[k] = dt.date.fromisoformat(match.group(1)) if match else None
        except ValueError:
            parsed[k] = None
        if parsed[k] is None:
            i = int(np.argmax(codes == k))
            raise InputError(f"expected a date like 2023-08-21, got {text!r}", file=label, row=int(rows[i]),
                             column="date")
    return parsed[codes]


def _parse_modes(values: np.ndarray, rows: np.ndarray, label: str, columns, blank_ok: bool) -> np.ndarray:
    """Cells to WFH, WFO or LEAVE ('' for a blank cell where blanks are allowed)."""
    codes, uniques = pd.factorize(values)
    spelled = np.empty(len(uniques), dtype=object)
    for k, text in enumerate(uniques):
        key = str(text).strip().upper()
        if key == "" and blank_ok:
            spelled[k] = ""
        elif key in MODE_SPELLINGS:
            spelled[k] = MODE_SPELLINGS[key]
        else:
            i = int(np.argmax(codes == k))
            what = "mode is empty" if key == "" else f"mode must be WFH, WFO or LEAVE (or CUTI), got {text!r}"
            raise InputError(what, file=label, row=int(rows[i]), column=str(columns[i]))
    return spelled[codes] if len(values) else np.array([], dtype=object)


def _unquoted(nip: np.ndarray, known: set[str]) -> np.ndarray:
    """NIPs as the employees table has them: giliran's schedule.csv writes ``'=1`` for a NIP ``=1``
    (so that a spreadsheet shows text, not a formula), and reading takes the ``'`` off again."""
    quoted = {v: v[1:] for v in pd.unique(nip) if v not in known and v.startswith("'") and v[1:] in known}
    if not quoted:
        return nip
    return np.array([quoted.get(v, v) for v in nip], dtype=object)


def _known_nips(nip: np.ndarray, rows: np.ndarray, label: str, known: set[str]) -> None:
    """Every nip is non-blank and one of the instance's employees."""
    for value in pd.unique(nip):
        if value not in known:
            i = int(np.argmax(nip == value))
            what = "nip is empty" if value == "" else f"nip {value!r} is not in the employees table"
            raise InputError(what, file=label, row=int(rows[i]), column="nip")
