"""A tiny instance and a hand-made schedule for the report tests."""
from __future__ import annotations

import pandas as pd
import pytest

from models import Instance
from models.result import GoalResult, Result

YAML = """name: tiny
window: {start: 2023-09-04, end: 2023-09-15}
holidays: [2023-09-08]
categories:
  administrasi: {label: Administrasi, max_wfh: 0.50}
  layanan_masyarakat: {label: Layanan masyarakat, max_wfh: 0.0}
phases:
  - {name: puncak-ktt, start: 2023-09-05, end: 2023-09-07, max_wfh: {administrasi: 0.75}}
tables: {employees: employees.csv, teams: teams.csv, leave: leave.csv}
"""

EMPLOYEES = """nip,name,unit,team,category,essential
1001,Ani,Biro-Umum,T1,administrasi,false
1002,"=HYPERLINK(""x"")",Biro-Umum,T1,administrasi,false
1003,Budi,Biro-Umum,T1,administrasi,true
1004,Citra,Biro-Umum,,administrasi,false
2001,+Dedi,Dinkes,,layanan_masyarakat,false
2002,Eka,Dinkes,,administrasi,false
"""

TEAMS = "team,unit,min_onsite\nT1,Biro-Umum,1\n"
LEAVE = "nip,start,end\n1004,2023-09-11,2023-09-12\n"


@pytest.fixture
def instance(tmp_path) -> Instance:
    folder = tmp_path / "tiny"
    folder.mkdir()
    (folder / "instance.yaml").write_text(YAML)
    (folder / "employees.csv").write_text(EMPLOYEES)
    (folder / "teams.csv").write_text(TEAMS)
    (folder / "leave.csv").write_text(LEAVE)
    return Instance.load(folder)


def make_schedule(inst: Instance) -> pd.DataFrame:
    """LEAVE on leave, WFO for essential staff and zero caps, else alternate WFH and WFO."""
    leave = {(lv.nip, d) for lv in inst.leave for d in inst.working_days if lv.start <= d <= lv.end}
    rows = []
    for i, e in enumerate(inst.employees):
        for j, d in enumerate(inst.working_days):
            if (e.nip, d) in leave:
                mode = "LEAVE"
            elif e.essential or inst.cap(e.category, d) == 0:
                mode = "WFO"
            else:
                mode = "WFH" if (i + j) % 2 == 0 else "WFO"
            rows.append((e.nip, d, mode))
    return pd.DataFrame(rows, columns=["nip", "date", "mode"])


def make_result(inst: Instance, schedule: pd.DataFrame | None = None, status: str = "OPTIMAL") -> Result:
    if schedule is None and status in ("OPTIMAL", "FEASIBLE"):
        schedule = make_schedule(inst)
    kpis = {"employees": len(inst.employees), "working_days": len(inst.working_days)}
    if schedule is not None:
        counts = schedule["mode"].value_counts()
        wfh, wfo, leave = (int(counts.get(m, 0)) for m in ("WFH", "WFO", "LEAVE"))
        kpis.update(wfh_days=wfh, wfo_days=wfo, leave_days=leave, wfh_rate=wfh / (wfh + wfo),
                    fairness_max_dev_days=0.5, preferences_met_weight=0, commute_km_avoided=0.0)
    goals = [GoalResult("wfh", kpis.get("wfh_days"), kpis.get("wfh_days"), True),
             GoalResult("fairness", 0.5, 0.25, False)] if schedule is not None else []
    infeasibility = [] if schedule is not None else [
        {"rule": 4, "message": "team T1 needs 4 on site on 2023-09-05, only 3 members are present",
         "team": "T1", "unit": "Biro-Umum", "date": "2023-09-05", "employees": ["1001", "1002", "1003"],
         "needed": 4, "possible": 3}]
    return Result(status=status, schedule=schedule, goals=goals, kpis=kpis, solve_seconds=0.5, build_seconds=0.1,
                  infeasibility=infeasibility,
                  details={"team_days": {"T1": [d for d in inst.working_days if d.weekday() == 1]}}
                  if schedule is not None else {})


@pytest.fixture
def result_for():
    """``result_for(instance, schedule=None, status="OPTIMAL")``: a hand-made Result."""
    return make_result


@pytest.fixture
def schedule_for():
    return make_schedule
