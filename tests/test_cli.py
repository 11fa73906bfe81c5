"""The command line through Click's test runner (SPEC §5): exit codes, atomic outputs, what is printed.

Instances are tiny (a handful of employees, one or two weeks) and written into
``tmp_path``, so every solve takes well under a second.
"""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import solver
from cli import main
from models.result import Result

YAML = """\
name: tiny
window: {start: 2023-09-04, end: 2023-09-15}
holidays: []
categories:
  adm: {label: Administrasi, max_wfh: 0.5}
  pub: {label: Layanan masyarakat, max_wfh: 0}
"""

EMPLOYEES = """\
nip,name,unit,team,category,commute_km
e1,Ani,U1,T1,adm,10
e2,Budi,U1,T1,adm,12.5
e3,Citra,U1,T1,adm,3
e4,Dewi,U1,T1,adm,7
e5,Eko,U2,T2,pub,20
e6,Fajar,U2,T2,pub,5
"""

TEAMS = """\
team,unit,min_onsite,min_onsite_ratio
T1,U1,1,
T2,U2,2,
"""

LEAVE = """\
nip,start,end,type
e2,2023-09-06,2023-09-07,cuti
"""


def write_instance(folder: Path, *, yaml: str = YAML, employees: str = EMPLOYEES, teams: str = TEAMS,
                   leave: str = LEAVE) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "instance.yaml").write_text(textwrap.dedent(yaml))
    for name, text in (("employees", employees), ("teams", teams), ("leave", leave)):
        (folder / f"{name}.csv").write_text(textwrap.dedent(text))
    return folder


def run(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def instance(tmp_path) -> Path:
    return write_instance(tmp_path / "instance")


@pytest.fixture
def solved(tmp_path, instance) -> Path:
    """The tiny instance solved into ``tmp_path/out``."""
    out = tmp_path / "out"
    result = run("solve", instance, "-o", out, "--time-limit", 20, "--workers", 1)
    assert result.exit_code == 0, result.output
    return out


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


# ---------------------------------------------------------------------------- solve
def test_solve_optimal_writes_every_output(tmp_path, solved, instance):
    assert listing(solved) == ["report.html", "report.json", "schedule.csv", "schedule.xlsx"]
    report = json.loads((solved / "report.json").read_text())
    assert report["status"] == "OPTIMAL"
    assert report["infeasibility"] == []
    run_info = report["run"]
    for key in ("giliran", "ortools", "python", "platform", "seed", "workers", "time_limit", "instance",
                "input_hash", "command"):
        assert key in run_info, key
    assert run_info["input_hash"].startswith("sha256:")
    assert run_info["seed"] == 0 and run_info["workers"] == 1 and run_info["time_limit"] == 20
    schedule = pd.read_csv(solved / "schedule.csv")
    assert list(schedule.columns) == ["nip", "date", "mode"]
    assert len(schedule) == 6 * 10
    # adm: 4 people capped at 50 % (and one on leave on two days); pub: never at home
    assert report["kpis"]["wfh_days"] == 8 * 2 + 2 * 1
    assert set(schedule.loc[schedule.nip.isin(["e5", "e6"]), "mode"]) == {"WFO"}


def test_solve_is_reproducible(tmp_path, solved, instance):
    again = tmp_path / "again"
    assert run("solve", instance, "-o", again, "--workers", 1).exit_code == 0
    assert (again / "schedule.csv").read_bytes() == (solved / "schedule.csv").read_bytes()


def test_solve_prints_summary_in_the_chosen_language(tmp_path, instance):
    english = run("solve", instance, "-o", tmp_path / "en")
    indonesian = run("solve", instance, "-o", tmp_path / "id", "--lang", "id")
    from_group = run("--lang", "id", "solve", instance, "-o", tmp_path / "id2")
    assert "WFH employee-days" in english.output
    assert "Hari-orang WFH" in indonesian.output and "WFH employee-days" not in indonesian.output
    assert "Hari-orang WFH" in from_group.output
    quiet = run("solve", instance, "-o", tmp_path / "q", "--quiet")
    assert quiet.exit_code == 0 and quiet.output.strip() == ""


def test_solve_infeasible_exits_3_with_the_reason(tmp_path):
    teams = "team,unit,min_onsite\nT1,U1,5\nT2,U2,2\n"   # T1 has 4 members
    folder = write_instance(tmp_path / "instance", teams=teams)
    out = tmp_path / "out"
    result = run("solve", folder, "-o", out)
    assert result.exit_code == 3, result.output
    assert listing(out) == ["report.html", "report.json"]
    report = json.loads((out / "report.json").read_text())
    assert report["status"] == "INFEASIBLE" and report["infeasibility"]
    for entry in report["infeasibility"]:
        assert entry["message"] in result.output.replace("\n", " ") or entry["message"][:40] in result.output
    assert "T1" in result.output


def test_solve_unknown_exits_4_with_report_json_only(tmp_path, instance, monkeypatch):
    # The solver finds a schedule for any tiny instance at once, so "no schedule within the
    # limit" is simulated here: this tests the command's mapping of UNKNOWN, not the solver.
    monkeypatch.setattr(solver, "solve", lambda inst, **kw: Result("UNKNOWN", None, solve_seconds=0.01))
    out = tmp_path / "out"
    result = run("solve", instance, "-o", out, "--time-limit", 0.01)
    assert result.exit_code == 4, result.output
    assert listing(out) == ["report.json"]
    assert json.loads((out / "report.json").read_text())["status"] == "UNKNOWN"


def test_rejected_schedule_exits_1_and_writes_nothing(tmp_path, instance, monkeypatch):
    def rejected(inst, **kw):
        raise solver.ScheduleRejected("rule 3 broken")

    monkeypatch.setattr(solver, "solve", rejected)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["solve", str(instance), "-o", str(out)])
    assert result.exit_code == 1
    assert "rule 3 broken" in result.output and "Traceback" not in result.output
    assert not out.exists()


# ---------------------------------------------------------------------------- bad input: exit 2, nothing written
@pytest.mark.parametrize("broken, where", [
    ({"employees": "nip,unit,team\ne1,U1,T1\n"}, ["employees.csv", "category"]),
    ({"employees": EMPLOYEES.replace("e3,Citra,U1,T1,adm,3", "e3,Citra,U1,T1,adm,far")},
     ["employees.csv", "row 3", "commute_km"]),
    ({"yaml": YAML.replace("max_wfh: 0.5}", "max_wfh: 0.5")}, ["instance.yaml", "line"]),
    ({"yaml": YAML.replace("max_wfh: 0.5", "max_wfh: 1.5")}, ["instance.yaml", "categories.adm.max_wfh"]),
])
def test_bad_input_exits_2_naming_the_place_and_writes_nothing(tmp_path, broken, where):
    folder = write_instance(tmp_path / "instance", **broken)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["solve", str(folder), "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.output.startswith("error: ")
    for text in where:
        assert text in result.output, (text, result.output)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["instance"]


def test_a_failing_run_keeps_the_previous_output(tmp_path, solved):
    before = {p: p.read_bytes() for p in solved.iterdir()}
    folder = write_instance(tmp_path / "broken", employees="nip,unit\ne1,U1\n")
    assert run("solve", folder, "-o", solved).exit_code == 2
    assert {p: p.read_bytes() for p in solved.iterdir()} == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_output_folder_with_foreign_files_is_refused_before_solving(tmp_path, instance):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    result = run("solve", instance, "-o", out)
    assert result.exit_code == 2 and "notes.txt" in result.output
    assert listing(out) == ["notes.txt"]


def test_usage_errors_exit_2(tmp_path, instance):
    assert run("solve", instance, "--time-limit", "soon").exit_code == 2
    assert run("solve", instance, "--workers", 0).exit_code == 2
    assert run("frobnicate").exit_code == 2
    assert run("check", instance).exit_code == 2          # ROSTER missing
    assert run("solve", tmp_path / "nowhere", "-o", tmp_path / "out").exit_code == 2
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------- check
def test_check_of_the_solved_schedule_exits_0(tmp_path, solved, instance):
    result = run("check", instance, solved / "schedule.csv", "--json", tmp_path / "check.json")
    assert result.exit_code == 0, result.output
    content = json.loads((tmp_path / "check.json").read_text())
    assert content["violations"] == [] and not any(content["counts"].values())
    report = json.loads((solved / "report.json").read_text())
    for key in ("wfh_days", "wfo_days", "leave_days", "fairness_max_dev_days", "commute_km_avoided"):
        assert content["figures"][key] == pytest.approx(report["kpis"][key]), key


def test_check_of_a_broken_roster_exits_1_and_lists_violations(tmp_path, solved, instance):
    roster = pd.read_csv(solved / "schedule.csv")
    roster.loc[roster.nip == "e5", "mode"] = "WFH"                      # rule 2 on 10 days, rule 4 too
    roster.loc[(roster.nip == "e2") & (roster.date == "2023-09-06"), "mode"] = "WFO"   # rule 1 once
    broken = tmp_path / "broken.csv"
    roster.to_csv(broken, index=False)
    result = run("check", instance, broken, "--json", tmp_path / "check.json", "--xlsx", tmp_path / "check.xlsx")
    assert result.exit_code == 1, result.output
    content = json.loads((tmp_path / "check.json").read_text())
    assert set(content) == {"violations", "counts", "figures"}
    assert content["counts"]["essential"] == 10 and content["counts"]["leave"] == 1
    assert content["counts"]["coverage"] == 10
    first = content["violations"][0]
    for key in ("rule", "date", "unit", "category", "team", "employee", "limit", "actual", "message"):
        assert key in first
    assert "e5" in result.output and "2023-09-04" in result.output
    assert (tmp_path / "check.xlsx").stat().st_size > 0


def test_check_shows_the_first_50_violations(tmp_path, solved, instance):
    roster = pd.read_csv(solved / "schedule.csv")
    roster["mode"] = roster["mode"].replace({"WFO": "WFH"})
    broken = tmp_path / "broken.csv"
    roster.to_csv(broken, index=False)
    result = run("check", instance, broken, "--json", tmp_path / "all.json")
    total = len(json.loads((tmp_path / "all.json").read_text())["violations"])
    assert total > 50
    assert f"... and {total - 50} more" in result.output


def test_check_with_a_bad_roster_exits_2(tmp_path, instance):
    bad = tmp_path / "bad.csv"
    bad.write_text("nip,date,mode\ne1,2023-09-04,MAYBE\n")
    result = run("check", instance, bad, "--json", tmp_path / "check.json")
    assert result.exit_code == 2 and "bad.csv" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "check.json").exists()


# ---------------------------------------------------------------------------- compare
def test_compare_two_rosters(tmp_path, solved, instance):
    roster = pd.read_csv(solved / "schedule.csv")
    flipped = roster.copy()
    at = flipped.index[(flipped.nip == "e1")][:3]
    flipped.loc[at, "mode"] = flipped.loc[at, "mode"].map({"WFH": "WFO", "WFO": "WFH"})
    manual = tmp_path / "manual.csv"
    flipped.to_csv(manual, index=False)
    result = run("compare", instance, solved / "schedule.csv", manual, "--csv", tmp_path / "compare.csv")
    assert result.exit_code == 0, result.output
    assert "schedule.csv" in result.output and "manual.csv" in result.output
    table = pd.read_csv(tmp_path / "compare.csv", index_col="roster")
    assert table.loc["schedule.csv", "violations"] == 0
    assert table.loc["schedule.csv", "days_differing.manual.csv"] == 3
    assert table.loc["manual.csv", "days_differing.schedule.csv"] == 3
    assert table.loc["manual.csv", "wfh_days"] == table.loc["schedule.csv", "wfh_days"] + (
        (flipped["mode"] == "WFH").sum() - (roster["mode"] == "WFH").sum())


# ---------------------------------------------------------------------------- generate
def test_generate_same_seed_same_files(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for folder, seed in ((a, 7), (b, 7), (c, 8)):
        result = run("generate", folder, "--employees", 40, "--units", 3, "--seed", seed)
        assert result.exit_code == 0, result.output
    files = listing(a)
    assert "instance.yaml" in files and "employees.csv" in files
    assert files == listing(b)
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)
    assert (a / "employees.csv").read_bytes() != (c / "employees.csv").read_bytes()
    lean = tmp_path / "lean"
    assert run("generate", lean, "--employees", 40, "--units", 3, "--no-hybrid-rules",
               "--max-consecutive-wfh", 3, "--min-wfo-per-week", 1).exit_code == 0
    assert not (lean / "offices.csv").exists()
    assert run("generate", tmp_path / "tiny", "--employees", 4, "--units", 3).exit_code == 2


# ---------------------------------------------------------------------------- whatif
@pytest.mark.parametrize("setting, named", [
    ("categories.nope.max_wfh=0.5", "categories.nope.max_wfh"),
    ("colour=blue", "colour"),
    ("categories.adm.max_wfh=1.5", "categories.adm.max_wfh"),
    ("rules.min_wfo_per_week=two", "rules.min_wfo_per_week"),
    ("teams.T9.min_onsite=2", "teams.T9.min_onsite"),
])
def test_whatif_unknown_key_or_bad_value_exits_2_naming_the_key(tmp_path, instance, setting, named):
    out = tmp_path / "whatif"
    result = CliRunner().invoke(main, ["whatif", str(instance), "--set", setting, "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert f"key '{named}'" in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_whatif_bad_sweep_exits_2(tmp_path, instance):
    result = run("whatif", instance, "--sweep", "categories.adm.max_wfh=0.5:0.7", "-o", tmp_path / "w")
    assert result.exit_code == 2 and "categories.adm.max_wfh" in result.output


def test_whatif_sweep_rows_equal_separate_solves(tmp_path, instance):
    out = tmp_path / "whatif"
    result = run("whatif", instance, "--sweep", "categories.adm.max_wfh=0.25:0.75:0.25",
                 "--set", "teams.T1.min_onsite=2", "-o", out, "--workers", 1)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "whatif.csv")
    assert list(table["categories.adm.max_wfh"]) == [0.25, 0.5, 0.75]
    assert (out / "whatif.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for _, row in table.iterrows():
        # the same variant written by hand as its own instance folder, solved by `giliran solve`
        cap = row["categories.adm.max_wfh"]
        folder = write_instance(tmp_path / f"by-hand-{cap}", yaml=YAML.replace("max_wfh: 0.5", f"max_wfh: {cap}"),
                                teams=TEAMS.replace("T1,U1,1,", "T1,U1,2,"))
        single = tmp_path / f"single-{cap}"
        assert run("solve", folder, "-o", single, "--workers", 1).exit_code == 0
        report = json.loads((single / "report.json").read_text())
        assert row["status"] == report["status"]
        for key in ("wfh_days", "fairness_max_dev_days", "preferences_met_weight", "commute_km_avoided"):
            assert row[key] == pytest.approx(report["kpis"][key]), (cap, key)
        variant = out / row["folder"]
        assert (variant / "schedule.csv").read_bytes() == (single / "schedule.csv").read_bytes()


def test_whatif_infeasible_variant_is_a_row(tmp_path, instance):
    out = tmp_path / "whatif"
    result = run("whatif", instance, "--sweep", "teams.T1.min_onsite=2:4:1", "-o", out)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "whatif.csv")
    assert list(table["status"]) == ["OPTIMAL", "OPTIMAL", "INFEASIBLE"]
    assert "T1" in table["infeasibility"].iloc[2]
    assert pd.isna(table["wfh_days"].iloc[2])
    assert sorted(p.name for p in (out / table["folder"].iloc[2]).iterdir()) == ["report.html", "report.json"]
