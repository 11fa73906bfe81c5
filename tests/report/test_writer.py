"""report/writer.py: schedule.csv, report.json, atomic replacement of the output folder."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest

import report.writer as writer
import report.xlsx
from report import build_report, safe_text, write_outputs
from report.writer import OutputFolderError

RUN = {"giliran": "0.1.0", "seed": 7, "workers": 8, "input_hash": "abc", "command": "giliran solve"}


def _leftovers(parent, name="out"):
    return [p.name for p in parent.iterdir() if p.name.startswith(f".{name}.")]


def test_writes_all_four_files(instance, result_for, tmp_path):
    out = tmp_path / "out"
    paths = write_outputs(out, instance, result_for(instance), run_info=RUN)
    assert sorted(p.name for p in paths) == ["report.html", "report.json", "schedule.csv", "schedule.xlsx"]
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)
    assert not _leftovers(tmp_path)


def test_schedule_csv_sorted_with_iso_dates(instance, result_for, schedule_for, tmp_path):
    shuffled = schedule_for(instance).sample(frac=1, random_state=1)
    write_outputs(tmp_path / "out", instance, result_for(instance, shuffled), run_info=RUN, formats=("csv",))
    text = (tmp_path / "out" / "schedule.csv").read_text()
    assert text.splitlines()[0] == "nip,date,mode"
    df = pd.read_csv(tmp_path / "out" / "schedule.csv", dtype=str)
    assert len(df) == len(instance.employees) * len(instance.working_days)
    assert list(df.itertuples(index=False)) == sorted(df.itertuples(index=False))
    assert df["date"].iloc[0] == "2023-09-04"


def test_report_json_content_and_determinism(instance, result_for, tmp_path):
    result = result_for(instance)
    write_outputs(tmp_path / "a", instance, result, run_info=RUN, formats=("json",))
    write_outputs(tmp_path / "b", instance, result, run_info=RUN, formats=("json",))
    a = (tmp_path / "a" / "report.json").read_bytes()
    assert a == (tmp_path / "b" / "report.json").read_bytes()
    report = json.loads(a)
    assert report["status"] == "OPTIMAL"
    assert report["objective"]["fairness"] == {"value": 0.5, "bound": 0.25, "proven": False, "gap": 0.25}
    assert report["kpis"] == result.kpis
    assert report["run"] == RUN
    assert report["infeasibility"] == [] and report["violations"] == []
    assert report["details"]["team_days"]["T1"][0] == "2023-09-05"
    assert list(report) == sorted(report)


def test_infeasible_writes_only_json_and_html(instance, result_for, tmp_path):
    result = result_for(instance, status="INFEASIBLE")
    paths = write_outputs(tmp_path / "out", instance, result, run_info=RUN)
    assert sorted(p.name for p in paths) == ["report.html", "report.json"]
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["infeasibility"][0]["needed"] == 4
    page = (tmp_path / "out" / "report.html").read_text()
    assert "only 3 members are present" in page


def test_safe_text_neutralizes_formulas():
    for text in ("=1+1", "+62811", "-5", "@SUM(A1)", "\tx", "\rx"):
        assert safe_text(text) == "'" + text
    assert safe_text("Ani") == "Ani"
    assert safe_text("a\x01b") == "ab"
    assert safe_text(5) == 5


def test_formula_like_nip_is_neutralized_in_csv(instance, result_for, tmp_path):
    schedule = pd.DataFrame({"nip": ["=cmd"], "date": [instance.working_days[0]], "mode": ["WFO"]})
    write_outputs(tmp_path / "out", instance, result_for(instance, schedule), formats=("csv",), run_info={})
    assert (tmp_path / "out" / "schedule.csv").read_text().splitlines()[1] == "'=cmd,2023-09-04,WFO"


def test_failure_leaves_previous_output_intact(instance, result_for, tmp_path, monkeypatch):
    out = tmp_path / "out"
    write_outputs(out, instance, result_for(instance), run_info=RUN)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(report.xlsx, "write_workbook", boom)
    changed = result_for(instance, status="FEASIBLE")
    with pytest.raises(RuntimeError, match="disk on fire"):
        write_outputs(out, instance, changed, run_info={"seed": 99})
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not _leftovers(tmp_path)


def test_failure_without_previous_output_leaves_nothing(instance, result_for, tmp_path, monkeypatch):
    monkeypatch.setattr(report.xlsx, "write_workbook", lambda *a, **k: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        write_outputs(tmp_path / "out", instance, result_for(instance), run_info=RUN)
    assert not (tmp_path / "out").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny"]


def test_failed_swap_restores_previous_output(instance, result_for, tmp_path, monkeypatch):
    out = tmp_path / "out"
    write_outputs(out, instance, result_for(instance), run_info=RUN, formats=("json",))
    before = (out / "report.json").read_bytes()
    monkeypatch.setattr(writer, "_exchange", lambda a, b: False)  # the two-rename fallback
    real_rename = writer.os.rename

    def rename(src, dst):
        if ".tmp-" in str(src):
            raise OSError("crash between the renames")
        return real_rename(src, dst)

    monkeypatch.setattr(writer.os, "rename", rename)
    with pytest.raises(OSError):
        write_outputs(out, instance, result_for(instance, status="FEASIBLE"), run_info={}, formats=("json",))
    monkeypatch.undo()
    assert (out / "report.json").read_bytes() == before
    assert not _leftovers(tmp_path)


def test_replaces_previous_output_by_fallback_renames(instance, result_for, tmp_path, monkeypatch):
    out = tmp_path / "out"
    write_outputs(out, instance, result_for(instance), run_info=RUN)
    monkeypatch.setattr(writer, "_exchange", lambda a, b: False)
    write_outputs(out, instance, result_for(instance, status="INFEASIBLE"), run_info=RUN)
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.json"]
    assert json.loads((out / "report.json").read_text())["status"] == "INFEASIBLE"
    assert not _leftovers(tmp_path)


def test_refuses_folder_with_foreign_files(instance, result_for, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "thesis.docx").write_text("precious")
    with pytest.raises(OutputFolderError, match="thesis.docx"):
        write_outputs(out, instance, result_for(instance), run_info=RUN)
    assert (out / "thesis.docx").read_text() == "precious"
    assert not _leftovers(tmp_path)


def test_build_report_is_json_ready(instance, result_for):
    report = build_report(instance, result_for(instance), RUN)
    json.dumps(report, allow_nan=False)
    assert report["solve_seconds"] == 0.5


@pytest.mark.skipif(os.name != "posix", reason="stale folders are found by process id on POSIX only")
def test_a_killed_run_s_staging_folder_is_removed_by_the_next_write(instance, result_for, tmp_path):
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait()                                   # a process id no longer running
    stale = tmp_path / f".out.tmp-{done.pid}-x1"  # as a run killed while writing leaves it
    stale.mkdir()
    (stale / "schedule.csv").write_text("nip,date,mode\n")
    old = tmp_path / f".out.old-{done.pid}-x2"
    old.mkdir()
    live = tmp_path / f".out.tmp-{os.getpid()}-x3"  # a run still writing: left alone
    live.mkdir()
    other = tmp_path / f".other.tmp-{done.pid}-x4"  # another output folder's: not ours to judge now
    other.mkdir()
    write_outputs(tmp_path / "out", instance, result_for(instance), run_info=RUN, formats=("json",))
    assert sorted(_leftovers(tmp_path)) == [live.name]
    assert other.exists()
