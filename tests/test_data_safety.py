"""Personal data and safe outputs (issue 7).

- ``--anonymize``: stable pseudonyms for NIPs and names in every output, the plan unchanged;
- the terminal names no one (NIPs only inside the reasons for infeasibility, pseudonyms with
  ``--anonymize``);
- input text that a spreadsheet would run as a formula is written as text;
- ``kill -9`` leaves the previous complete output or a whole new one;
- a schedule broken after the search is refused on every path that writes one.

The instance below has NIPs, names, units, teams and a category that start with ``=``,
``+``, ``-`` or ``@``, and NIPs and names found nowhere else, so that a search of the
outputs for them means something.
"""
from __future__ import annotations

import csv
import hashlib
import hmac
import importlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from cli import main
from models import Instance
from models.instance import Employee
from models.result import Result
from report.anonymize import Pseudonyms, anonymize, public_hash
from solver import ScheduleRejected, solve

ROOT = Path(__file__).resolve().parents[1]
FORMULA_START = ("=", "+", "-", "@")

YAML = """\
name: safety
window: {start: 2023-09-04, end: 2023-09-15}
holidays: []
categories:
  adm: {label: Administrasi, max_wfh: 0.5}
  "-pub": {label: "=Layanan", max_wfh: 0}
tables: {employees: employees.csv, teams: teams.csv, leave: leave.csv, requests: requests.csv, pairs: pairs.csv}
"""
EMPLOYEES = """\
nip,name,unit,team,category,domicile
=NIPQ+1,"=HYPERLINK(""http://x"",""Zyxwq"")",=Biro+Umum,-TimQ,adm,Jl. Kenari Qpwoei 7
-NIPW2,+Plokij Mnbvc,=Biro+Umum,-TimQ,adm,
@NIPE3,@Qazwsx Edcrfv,=Biro+Umum,-TimQ,adm,
+NIPR4,Tgbyhn Ujmik,=Biro+Umum,-TimQ,adm,
199001012023011005,Olpikuj Yhntgb,@Dinkes,+TimZ,-pub,
199001012023011006,Wsxedc Rfvtgb,@Dinkes,+TimZ,-pub,
"""
TEAMS = "team,unit,min_onsite\n-TimQ,=Biro+Umum,1\n+TimZ,@Dinkes,2\n"
LEAVE = "nip,start,end,type\n-NIPW2,2023-09-06,2023-09-07,sakit\n"
REQUESTS = "nip,date,mode,strength\n@NIPE3,mon,WFH,prefer\n"
CLASH = "nip,date,mode,strength\n=NIPQ+1,2023-09-05,WFH,must\n+NIPR4,2023-09-05,WFH,must\n"
PAIRS = "nip_a,nip_b,rule\n=NIPQ+1,+NIPR4,cover\n"

NIPS = ["=NIPQ+1", "-NIPW2", "@NIPE3", "+NIPR4", "199001012023011005", "199001012023011006"]
NAMES = ["Zyxwq", "Plokij Mnbvc", "Qazwsx Edcrfv", "Tgbyhn Ujmik", "Olpikuj Yhntgb", "Wsxedc Rfvtgb",
         "Kenari Qpwoei"]
PERSONAL = NIPS + NAMES
ZERO_CAP_NIP = "199001012023011005"           # category -pub: never at home (rule 2)
OUTPUTS = ["report.html", "report.json", "schedule.csv", "schedule.xlsx"]


def write_instance(folder: Path, requests: str = REQUESTS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    files = {"instance.yaml": YAML, "employees.csv": EMPLOYEES, "teams.csv": TEAMS, "leave.csv": LEAVE,
             "requests.csv": requests, "pairs.csv": PAIRS}
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


@pytest.fixture
def folder(tmp_path) -> Path:
    return write_instance(tmp_path / "instance")


@pytest.fixture
def clash(tmp_path) -> Path:
    """The instance made infeasible: the two of a cover pair must both be at home on 2023-09-05."""
    return write_instance(tmp_path / "clash", requests=CLASH)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def giliran(*args, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """The command line in its own process: what a planner's terminal shows, CP-SAT's log included."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "cli", *map(str, args)], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def workbook_cells(path: Path):
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        yield ws.title
        for row in ws.iter_rows():
            yield from row


def output_text(out: Path) -> str:
    """Everything a reader of the output folder sees, as one text (the workbook's cells included)."""
    parts = [(out / name).read_text(encoding="utf-8") for name in OUTPUTS if name.endswith((".csv", ".json", ".html"))
             if (out / name).exists()]
    if (out / "schedule.xlsx").exists():
        parts += [c if isinstance(c, str) else str(c.value) for c in workbook_cells(out / "schedule.xlsx")]
    return "\n".join(parts)


def leaked(text: str, secrets=PERSONAL) -> list[str]:
    return [s for s in secrets if s in text]


# ---------------------------------------------------------------------------- pseudonyms
def test_pseudonym_is_e_and_10_hex_of_hmac_keyed_by_the_input_hash(folder):
    inst = Instance.load(folder)
    p = Pseudonyms(inst)
    expected = "E-" + hmac.new(inst.input_hash.encode(), b"=NIPQ+1", hashlib.sha256).hexdigest()[:10]
    assert p.nip("=NIPQ+1") == expected
    assert Pseudonyms(Instance.load(folder)).mapping == p.mapping               # stable for the same input
    assert len(set(p.mapping.values())) == len(NIPS)
    (folder / "leave.csv").write_text("nip,start,end\n-NIPW2,2023-09-06,2023-09-08\n")
    other = Pseudonyms(Instance.load(folder))                                   # another input, other names
    assert not set(other.mapping.values()) & set(p.mapping.values())


def test_pseudonyms_get_longer_rather_than_collide(monkeypatch, folder):
    import report.anonymize as module

    monkeypatch.setattr(module, "DIGITS", 1)            # 40 NIPs in 16 one-digit names must collide
    inst = Instance.load(folder)
    inst = inst.model_copy(update={"employees": tuple(Employee(nip=f"n{i}", unit="U", category="adm")
                                                      for i in range(40))})
    p = Pseudonyms(inst)
    assert len(set(p.mapping.values())) == 40
    assert p.digits > 1 and all(len(v) == 2 + p.digits for v in p.mapping.values())


def test_text_replaces_whole_nips_only(folder):
    inst = Instance.load(folder)
    inst = inst.model_copy(update={"employees": tuple(Employee(nip=n, unit="U", category="adm")
                                                      for n in ("e1", "e10", "=A+1", "Budi S", "7"))})
    p = Pseudonyms(inst)
    e1, e10, formula, spaced, seven = (p.nip(n) for n in ("e1", "e10", "=A+1", "Budi S", "7"))
    assert p.text("employee e1 and e10 (e1), e1.") == f"employee {e1} and {e10} ({e1}), {e1}."
    assert p.text("=A+1 and e10 cover each other") == f"{formula} and {e10} cover each other"
    assert p.text("e1+=A+1") == f"{e1}+{formula}"                 # the checker's name of a pair
    assert p.text("employee Budi S must be on site") == f"employee {spaced} must be on site"
    assert p.text("team e1x needs 2 on site on 2023-09-05") == "team e1x needs 2 on site on 2023-09-05"
    assert p.text("employee 7 is WFH") == f"employee {seven} is WFH"


def test_anonymize_changes_labels_not_the_plan(folder):
    inst = Instance.load(folder)
    result = solve(inst, time_limit=20, workers=1)
    shared, renamed = anonymize(inst, result)
    p = Pseudonyms(inst)
    back = {v: k for k, v in p.mapping.items()}
    plan = renamed.schedule.assign(nip=renamed.schedule["nip"].map(back))
    key = ["nip", "date"]
    pd.testing.assert_frame_equal(plan.sort_values(key).reset_index(drop=True),
                                  result.schedule.sort_values(key).reset_index(drop=True))
    assert list(renamed.schedule["nip"]) == sorted(renamed.schedule["nip"])   # sorted by the new nips
    assert renamed.kpis == result.kpis and renamed.objective == result.objective
    assert [e.nip for e in shared.employees] == [p.nip(n) for n in NIPS]
    assert [e.name for e in shared.employees] == [p.nip(n) for n in NIPS]
    assert all(e.domicile is None for e in shared.employees)
    assert [lv.nip for lv in shared.leave] == [p.nip("-NIPW2")] and shared.leave[0].type is None
    assert [r.nip for r in shared.requests] == [p.nip("@NIPE3")]
    assert (shared.pairs[0].nip_a, shared.pairs[0].nip_b) == (p.nip("=NIPQ+1"), p.nip("+NIPR4"))
    assert shared.input_hash == public_hash(inst.input_hash) != inst.input_hash
    assert not leaked(shared.model_dump_json()) and not leaked(renamed.schedule.to_csv())
    assert [e.nip for e in inst.employees] == NIPS                              # the original is untouched


def test_anonymize_reaches_messages_employee_lists_and_replanning(folder):
    inst = Instance.load(folder)
    p = Pseudonyms(inst)
    result = Result("RELAXED", None,
                    infeasibility=[{"rule": "pairs", "employees": ["=NIPQ+1", "+NIPR4"],
                                    "message": "=NIPQ+1 and +NIPR4 cover each other but both must work from home"}],
                    violations=[{"rule": 10, "employee": "=NIPQ+1++NIPR4", "message": "employee -NIPW2 is WFH"}],
                    details={"replan": {"from": "2023-09-11", "employees_affected": ["-NIPW2", "@NIPE3"]}})
    _, renamed = anonymize(inst, result)
    text = json.dumps([renamed.infeasibility, renamed.violations, renamed.details])
    assert not leaked(text)
    assert renamed.infeasibility[0]["employees"] == [p.nip("=NIPQ+1"), p.nip("+NIPR4")]
    assert renamed.infeasibility[0]["message"].startswith(f"{p.nip('=NIPQ+1')} and {p.nip('+NIPR4')} cover")
    assert renamed.violations[0]["employee"] == f"{p.nip('=NIPQ+1')}+{p.nip('+NIPR4')}"
    assert renamed.details["replan"]["employees_affected"] == [p.nip("-NIPW2"), p.nip("@NIPE3")]


# ---------------------------------------------------------------------------- --anonymize on the command line
def test_solve_anonymize_names_no_one_in_any_output_or_log(tmp_path, folder):
    done = run("solve", folder, "-o", tmp_path / "out", "--workers", 1, "--anonymize")
    assert done.exit_code == 0, done.output
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == OUTPUTS
    assert not leaked(output_text(out)) and not leaked(done.output)
    p = Pseudonyms(Instance.load(folder))
    schedule = pd.read_csv(out / "schedule.csv", dtype=str)
    assert set(schedule["nip"]) == set(p.mapping.values())
    report = json.loads((out / "report.json").read_text())
    assert report["run"]["input_hash"] == public_hash(Instance.load(folder).input_hash)


def test_solve_anonymize_of_an_infeasible_instance_uses_pseudonyms_in_the_reasons(tmp_path, clash):
    plain = run("solve", clash, "-o", tmp_path / "plain", "--workers", 1)
    hidden = run("solve", clash, "-o", tmp_path / "hidden", "--workers", 1, "--anonymize")
    assert plain.exit_code == hidden.exit_code == 3
    assert "=NIPQ+1" in plain.output                       # the reason names who, for the planner
    p = Pseudonyms(Instance.load(clash))
    assert not leaked(hidden.output) and p.nip("=NIPQ+1") in hidden.output
    report = json.loads((tmp_path / "hidden" / "report.json").read_text())
    assert report["infeasibility"] and report["infeasibility"][0]["employees"] == [p.nip("=NIPQ+1"),
                                                                                  p.nip("+NIPR4")]
    assert not leaked(output_text(tmp_path / "hidden"))


def test_check_anonymize(tmp_path, folder):
    assert run("solve", folder, "-o", tmp_path / "out", "--workers", 1).exit_code == 0
    roster = pd.read_csv(tmp_path / "out" / "schedule.csv", dtype=str, keep_default_na=False)
    roster.loc[(roster.nip == ZERO_CAP_NIP) & (roster.date == "2023-09-04"), "mode"] = "WFH"
    roster.to_csv(tmp_path / "broken.csv", index=False)
    done = run("check", folder, tmp_path / "broken.csv", "--anonymize", "--json", tmp_path / "check.json",
               "--xlsx", tmp_path / "check.xlsx")
    assert done.exit_code == 1
    p = Pseudonyms(Instance.load(folder))
    found = json.loads((tmp_path / "check.json").read_text())
    assert {v["employee"] for v in found["violations"]} - {None} == {p.nip(ZERO_CAP_NIP)}
    assert p.nip(ZERO_CAP_NIP) in done.output
    text = done.output + (tmp_path / "check.json").read_text()
    text += "\n".join(c if isinstance(c, str) else str(c.value) for c in workbook_cells(tmp_path / "check.xlsx"))
    assert not leaked(text)


# ---------------------------------------------------------------------------- the terminal
def test_the_terminal_names_no_one(tmp_path, folder):
    """solve (with CP-SAT's log), check and compare print figures, never a NIP or a name."""
    solved = giliran("solve", folder, "-o", tmp_path / "out", "--workers", 1, "--verbose", cwd=tmp_path)
    assert solved.returncode == 0, solved.stderr
    checked = run("check", folder, tmp_path / "out" / "schedule.csv")
    compared = run("compare", folder, tmp_path / "out" / "schedule.csv", tmp_path / "out" / "schedule.xlsx")
    assert checked.exit_code == 0 and compared.exit_code == 0
    assert not leaked(solved.stdout + solved.stderr + checked.output + compared.output)


# ---------------------------------------------------------------------------- formulas
def assert_no_formula(cells, where: str):
    for value in cells:
        if isinstance(value, str):
            assert not value.startswith(FORMULA_START), f"{where}: {value!r} would run as a formula"


def assert_workbook_has_no_formula(path: Path):
    for cell in workbook_cells(path):
        if isinstance(cell, str):           # a sheet title
            continue
        assert cell.data_type != "f", f"{path.name}!{cell.coordinate} is a formula: {cell.value!r}"
        assert_no_formula([cell.value], f"{path.name}!{cell.coordinate}")


def csv_cells(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as fh:
        return [cell for row in csv.reader(fh) for cell in row]


def test_formula_text_is_written_as_text_in_csv_and_xlsx(tmp_path, folder):
    out = tmp_path / "out"
    assert run("solve", folder, "-o", out, "--workers", 1).exit_code == 0
    cells = csv_cells(out / "schedule.csv")
    assert_no_formula(cells, "schedule.csv")
    assert {"'=NIPQ+1", "'-NIPW2", "'@NIPE3", "'+NIPR4", ZERO_CAP_NIP} <= set(cells)
    assert_workbook_has_no_formula(out / "schedule.xlsx")
    roster = openpyxl.load_workbook(out / "schedule.xlsx").worksheets[0]
    texts = {c.value for row in roster.iter_rows() for c in row if c.data_type == "s"}
    assert {"'=NIPQ+1", "'=HYPERLINK(\"http://x\",\"Zyxwq\")", "'+Plokij Mnbvc", "'=Biro+Umum", "'-TimQ",
            "'-pub"} <= texts
    # what giliran writes, giliran reads back as the same NIPs
    assert run("check", folder, out / "schedule.csv").exit_code == 0
    assert run("check", folder, out / "schedule.xlsx").exit_code == 0


def test_formula_text_in_check_compare_and_whatif_outputs(tmp_path, folder, clash):
    out = tmp_path / "out"
    assert run("solve", folder, "-o", out, "--workers", 1).exit_code == 0
    roster = pd.read_csv(out / "schedule.csv", dtype=str, keep_default_na=False)
    roster.loc[(roster.nip == "'=NIPQ+1") & (roster["mode"] == "WFO"), "mode"] = "WFH"   # breaks the pair rule
    roster.to_csv(tmp_path / "=cmd.csv", index=False)

    checked = run("check", folder, tmp_path / "=cmd.csv", "--json", tmp_path / "check.json",
                  "--xlsx", tmp_path / "check.xlsx")
    assert checked.exit_code == 1
    found = json.loads((tmp_path / "check.json").read_text())        # JSON holds the exact text
    assert "=NIPQ+1++NIPR4" in {v["employee"] for v in found["violations"]}
    assert_workbook_has_no_formula(tmp_path / "check.xlsx")

    assert run("compare", folder, tmp_path / "=cmd.csv", out / "schedule.csv",
               "--csv", tmp_path / "compare.csv").exit_code == 0
    cells = csv_cells(tmp_path / "compare.csv")
    assert_no_formula(cells, "compare.csv")
    assert "'=cmd.csv" in cells

    whatif = run("whatif", clash, "--baseline", "-o", tmp_path / "whatif", "--workers", 1)
    assert whatif.exit_code == 0, whatif.output
    cells = csv_cells(tmp_path / "whatif" / "whatif.csv")
    assert_no_formula(cells, "whatif.csv")
    assert any(c.startswith("'=NIPQ+1 and +NIPR4") for c in cells)


# ---------------------------------------------------------------------------- kill -9
def snapshot(out: Path) -> dict[str, bytes] | None:
    if not out.exists():
        return None
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def assert_complete(out: Path) -> None:
    """All four files, each whole: the schedule has every employee-day, the rest parse."""
    assert sorted(p.name for p in out.iterdir()) == OUTPUTS
    report = json.loads((out / "report.json").read_text())
    schedule = pd.read_csv(out / "schedule.csv", dtype=str)
    assert list(schedule.columns) == ["nip", "date", "mode"]
    assert len(schedule) == report["kpis"]["employees"] * report["kpis"]["working_days"]
    openpyxl.load_workbook(out / "schedule.xlsx", read_only=True).close()
    assert (out / "report.html").read_text().rstrip().endswith("</html>")


def test_kill_9_leaves_the_previous_output_or_a_whole_new_one(tmp_path, folder):
    from models.generate import generate_instance

    big = generate_instance(tmp_path / "big", 300, 4, 3, hybrid_rules=False)
    out = tmp_path / "out"
    assert run("solve", folder, "-o", out, "--workers", 1).exit_code == 0     # the previous output
    before = snapshot(out)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-m", "cli", "solve", str(big), "-o", str(out), "--workers", "2", "-q"]
    outcomes = []
    # after a fixed time (starting, solving), and once the output is being written (a staging folder exists)
    for moment in (0.5, 1.5, 3.0, ("writing", 0.0), ("writing", 0.5)):
        staging_before = set(tmp_path.glob(".out.tmp-*"))
        proc = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            if isinstance(moment, tuple):
                deadline = time.monotonic() + 60
                while not (set(tmp_path.glob(".out.tmp-*")) - staging_before) and proc.poll() is None:
                    assert time.monotonic() < deadline, "the run never started writing"
                    time.sleep(0.005)
                time.sleep(moment[1])
            else:
                time.sleep(moment)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            try:                        # the search's worker processes, orphaned by kill -9
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        now = snapshot(out)
        if now != before:
            assert_complete(out)        # not the previous output: then a whole new one
            before = now
            outcomes.append("new")
        else:
            outcomes.append("previous")
    # killed as it starts writing (the staging folder just made): the output is still the previous one
    assert outcomes[3] == "previous", outcomes
    # leftovers of killed runs (staging folders) do not stop or change the next run
    proc = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        _, stderr = proc.communicate(timeout=120)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert proc.returncode == 0, stderr
    assert_complete(out)
    assert sorted(p.name for p in out.iterdir()) == OUTPUTS
    report = json.loads((out / "report.json").read_text())
    assert report["kpis"]["employees"] == 300 and report["status"] == "OPTIMAL"


# ---------------------------------------------------------------------------- a broken schedule is refused
def _corrupting(original):
    """``schedule_frame`` that, after the search, sends an employee of a zero-cap category home (rule 2)."""
    def schedule_frame(data, grid):
        schedule = original(data, grid)
        cell = schedule.index[(schedule["nip"] == ZERO_CAP_NIP) & (schedule["mode"] == "WFO")][0]
        schedule.loc[cell, "mode"] = "WFH"
        return schedule

    return schedule_frame


@pytest.fixture
def corrupted(monkeypatch):
    """Every module that assembles a schedule from the solver's grid now flips one cell."""
    for name in ("solver.solve", "solver.relax"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if hasattr(module, "schedule_frame"):
            monkeypatch.setattr(module, "schedule_frame", _corrupting(module.schedule_frame))


def test_solve_refuses_a_corrupted_schedule(folder, corrupted):
    with pytest.raises(ScheduleRejected, match="rule 2"):
        solve(Instance.load(folder), time_limit=20, workers=1)


@pytest.mark.parametrize("path", ["plain", "parallel", "replan", "relax", "whatif"])
def test_cli_refuses_a_corrupted_schedule_and_writes_nothing(tmp_path, folder, monkeypatch, path):
    previous = tmp_path / "previous"
    assert run("solve", folder, "-o", previous, "--workers", 1).exit_code == 0
    kept = snapshot(previous)
    for name in ("solver.solve", "solver.relax"):
        module = importlib.import_module(name)
        monkeypatch.setattr(module, "schedule_frame", _corrupting(module.schedule_frame))
    out = tmp_path / "out"
    args = {
        "plain": ["solve", folder, "-o", out, "--workers", 1],
        "parallel": ["solve", folder, "-o", out, "--workers", 2],
        "replan": ["solve", folder, "-o", out, "--previous", previous / "schedule.csv", "--from", "2023-09-11"],
        "relax": ["solve", folder, "-o", out, "--relax", "coverage,requests"],
        "whatif": ["whatif", folder, "--baseline", "-o", out, "--workers", 1],
    }[path]
    done = run(*args)
    assert done.exit_code == 1, done.output
    assert not out.exists()
    assert snapshot(previous) == kept
    assert not list(tmp_path.glob(".out*"))                       # no staging folder left behind either
    if path != "whatif":                                          # nor is a previous output replaced
        again = run(*[previous if a == out else a for a in args])
        assert again.exit_code == 1 and snapshot(previous) == kept


def test_whatif_anonymize(tmp_path, clash):
    done = run("whatif", clash, "--baseline", "--set", "categories.adm.max_wfh=0.6", "-o", tmp_path / "whatif",
               "--workers", 1, "--anonymize")
    assert done.exit_code == 0, done.output
    p = Pseudonyms(Instance.load(clash))
    assert not leaked(done.output) and p.nip("=NIPQ+1") in done.output
    text = (tmp_path / "whatif" / "whatif.csv").read_text()
    for variant in sorted(p for p in (tmp_path / "whatif").iterdir() if p.is_dir()):
        text += output_text(variant)
        report = json.loads((variant / "report.json").read_text())
        assert report["run"]["input_hash"] == public_hash(Instance.load(clash).input_hash)
    assert not leaked(text) and p.nip("+NIPR4") in text
