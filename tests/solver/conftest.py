"""Small hand-made instances for the checker's tests.

The window is two ISO weeks, 2023-09-04 (Mon) to 2023-09-15 (Fri): ten working days,
2023-W36 and 2023-W37. Categories: ``free`` (cap 1), ``adm`` (cap 0.5), ``pub`` (cap 0).
"""
from __future__ import annotations

import datetime as dt
import textwrap

import pandas as pd
import pytest

from models import Instance

DAYS = [dt.date(2023, 9, 4) + dt.timedelta(days=k) for k in range(12) if k % 7 < 5]
CODES = {"H": "WFH", "O": "WFO", "L": "LEAVE"}

BASE_YAML = """\
name: test
window: {start: 2023-09-04, end: 2023-09-15}
holidays: []
categories:
  free: {max_wfh: 1}
  adm: {max_wfh: 0.5}
  pub: {max_wfh: 0}
"""


@pytest.fixture
def make_instance(tmp_path):
    """Write an instance folder from CSV texts and load it: ``make_instance(employees=..., teams=..., config=...)``."""
    count = [0]

    def make(employees: str, *, config: str = "", categories: str | None = None, **tables: str) -> Instance:
        count[0] += 1
        folder = tmp_path / f"instance{count[0]}"
        folder.mkdir()
        text = BASE_YAML if categories is None else BASE_YAML.split("categories:")[0] + categories
        config = textwrap.dedent(config)
        if "window:" in config:  # the test's window replaces the default one
            text = "\n".join(line for line in text.splitlines() if not line.startswith("window:")) + "\n"
        (folder / "instance.yaml").write_text(text + config)
        (folder / "employees.csv").write_text(textwrap.dedent(employees).strip() + "\n")
        for name, csv in tables.items():
            (folder / f"{name}.csv").write_text(textwrap.dedent(csv).strip() + "\n")
        return Instance.load(folder)

    return make


def roster(rows: dict[str, str]) -> pd.DataFrame:
    """A roster from one string per employee, one letter per working day: H (WFH), O (WFO), L (LEAVE)."""
    records = []
    for nip, letters in rows.items():
        assert len(letters) == len(DAYS), nip
        records += [(nip, day, CODES[c]) for day, c in zip(DAYS, letters)]
    return pd.DataFrame(records, columns=["nip", "date", "mode"])


@pytest.fixture
def make_roster():
    """The :func:`roster` builder, as a fixture."""
    return roster
