"""Issue 8 in the outputs: desks per office against capacity, and each team's team days, in the workbook and report."""
from __future__ import annotations

import datetime as dt
import re

import openpyxl
import pytest

from models import Instance
from report import write_outputs
from report.i18n import tr

YAML = """name: hybrid
window: {start: 2023-09-04, end: 2023-09-15}
holidays: [2023-09-08]
categories:
  administrasi: {label: Administrasi, max_wfh: 0.50}
  layanan_masyarakat: {label: Layanan masyarakat, max_wfh: 0.0}
tables: {employees: employees.csv, teams: teams.csv, offices: offices.csv}
"""
EMPLOYEES = """nip,name,unit,team,category,essential,office
1001,Ani,Biro-Umum,T1,administrasi,false,Balai Kota Blok G
1002,Bayu,Biro-Umum,T1,administrasi,false,Balai Kota Blok G
1003,Budi,Biro-Umum,T1,administrasi,true,Balai Kota Blok G
1004,Citra,Biro-Umum,,administrasi,false,=Gedung DPRD
2001,Dedi,Dinkes,,layanan_masyarakat,false,
2002,Eka,Dinkes,T2,administrasi,false,=Gedung DPRD
"""
OFFICES = "office,desks\nBalai Kota Blok G,3\n=Gedung DPRD,1\n"
TEAMS = "team,unit,min_onsite,team_days_per_week,team_days\nT1,Biro-Umum,1,1,tue\nT2,Dinkes,0,1,\n"


@pytest.fixture
def hybrid(tmp_path) -> Instance:
    folder = tmp_path / "hybrid"
    folder.mkdir()
    (folder / "instance.yaml").write_text(YAML)
    (folder / "employees.csv").write_text(EMPLOYEES)
    (folder / "teams.csv").write_text(TEAMS)
    (folder / "offices.csv").write_text(OFFICES)
    return Instance.load(folder)


@pytest.fixture
def result(hybrid, result_for):
    """The conftest's hand-made schedule, with team days as the solver reports them (dates or ISO text)."""
    inst = hybrid
    result = result_for(inst)
    tuesdays = [d for d in inst.working_days if d.weekday() == 1]
    chosen = [dt.date(2023, 9, 4), dt.date(2023, 9, 13)]   # a Monday, then a Wednesday: the solver's choice
    result.details = {"team_days": {"T1": tuesdays, "T2": [d.isoformat() for d in chosen]}}
    return result


@pytest.fixture
def written(hybrid, result, tmp_path):
    out = tmp_path / "out"
    write_outputs(out, hybrid, result, run_info={}, formats=("csv", "json", "xlsx", "html"))
    return out


def _on_site(inst: Instance, schedule, office: str, day: dt.date) -> int:
    members = {e.nip for e in inst.employees if e.office == office}
    return int(((schedule["date"] == day) & (schedule["mode"] == "WFO") & schedule["nip"].isin(members)).sum())


def test_desks_sheet_per_office_and_day_against_desks(hybrid, result, written):
    wb = openpyxl.load_workbook(written / "schedule.xlsx")
    ws = wb[tr("sheet.offices")]
    header = [c.value for c in ws[1]]
    assert header == ["Office", "Date", "On site (WFO)", "Desks", "Desk use", "All desks taken"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(hybrid.offices) * len(hybrid.working_days)
    schedule = result.schedule
    desks = {o.office: o.desks for o in hybrid.offices}
    for office, day, on_site, cap, use, full in rows:
        day = day.date() if isinstance(day, dt.datetime) else day
        name = office.removeprefix("'")
        assert on_site == _on_site(hybrid, schedule, name, day)
        assert cap == desks[name]
        assert use == pytest.approx(on_site / cap)
        assert full == (tr("yes") if on_site >= cap else tr("no"))
    assert {r[0] for r in rows} == {"Balai Kota Blok G", "'=Gedung DPRD"}   # formula-like text stays text


def test_roster_has_team_day_column(hybrid, written):
    ws = openpyxl.load_workbook(written / "schedule.xlsx")[tr("sheet.roster")]
    header = [c.value for c in ws[1]]
    col = header.index(tr("col.team_days"))
    by_nip = {r[0]: r[col] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert by_nip["1001"] == "Tue"                       # always Tuesday: the weekday is enough
    assert by_nip["2002"] == "Mon 04/09, Wed 13/09"      # days that move: the dates
    assert by_nip["2001"] in (None, "")                  # no team


def test_report_line_per_team_and_desks(hybrid, result, written):
    page = (written / "report.html").read_text()
    lines = dict(re.findall(r"<tr data-team='([^']+)'>(.*?)</tr>", page))
    assert set(lines) == {"T1", "T2"}
    assert "<td>Biro-Umum</td><td>Tue</td>" in lines["T1"] and "Tue 05/09, Tue 12/09" in lines["T1"]
    assert "Mon 04/09, Wed 13/09" in lines["T2"] and "Mon 1, Wed 1" in lines["T2"]
    schedule = result.schedule
    offices = {o: (int(d), int(p)) for o, d, p in
               re.findall(r"data-office='([^']+)' data-desks='(\d+)' data-peak='(\d+)'", page)}
    assert set(offices) == {"Balai Kota Blok G", "=Gedung DPRD"}
    for o in hybrid.offices:
        peak = max(_on_site(hybrid, schedule, o.office, d) for d in hybrid.working_days)
        assert offices[o.office] == (o.desks, peak)


def test_indonesian_team_days_and_desks(hybrid, result, tmp_path):
    write_outputs(tmp_path / "o", hybrid, result, lang="id", run_info={}, formats=("xlsx", "html"))
    page = (tmp_path / "o" / "report.html").read_text()
    assert "Meja per kantor" in page and "Hari tim" in page and "Sen 04/09, Rab 13/09" in page
    wb = openpyxl.load_workbook(tmp_path / "o" / "schedule.xlsx")
    assert "Meja kantor" in wb.sheetnames
    ws = wb["Jadwal"]
    col = [c.value for c in ws[1]].index("Hari tim")
    assert {r[0]: r[col] for r in ws.iter_rows(min_row=2, values_only=True)}["1001"] == "Sel"
