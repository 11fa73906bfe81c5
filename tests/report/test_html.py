"""report/html.py: one self-contained page whose numbers are report.json's."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from report import write_outputs

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


@pytest.fixture
def out(instance, result_for, tmp_path):
    folder = tmp_path / "out"
    write_outputs(folder, instance, result_for(instance), run_info={"seed": 1}, formats=("json", "html"))
    return folder


def test_self_contained(out):
    page = (out / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert len(re.findall(r"src='data:image/png;base64,", page)) == 3
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert "<script" not in page.lower()
    assert "@page" in page and "A4" in page


def test_kpis_equal_report_json(out):
    report = json.loads((out / "report.json").read_text())
    page = (out / "report.html").read_text()
    shown = {k: json.loads(v.replace("&quot;", '"'))
             for k, v in re.findall(r"data-kpi='([^']+)' data-value='([^']*)'", page)}
    for key, value in report["kpis"].items():
        assert shown[key] == value
    visible = dict(re.findall(r"data-kpi='([^']+)'[^>]*><div class='v'>([^<]*)</div>", page))
    assert float(visible["wfh_rate"]) == pytest.approx(report["kpis"]["wfh_rate"], abs=1e-4)
    assert int(visible["wfh_days"]) == report["kpis"]["wfh_days"]
    assert shown["solve_seconds"] == report["solve_seconds"]


def test_input_text_is_escaped(instance, result_for, tmp_path):
    result = result_for(instance, status="INFEASIBLE")
    result.infeasibility[0]["message"] = "<img src=x onerror=alert(1)>"
    write_outputs(tmp_path / "o", instance, result, run_info={}, formats=("html",))
    page = (tmp_path / "o" / "report.html").read_text()
    assert "<img src=x" not in page and "&lt;img src=x" in page


def test_indonesian_labels(instance, result_for, tmp_path):
    write_outputs(tmp_path / "o", instance, result_for(instance), lang="id", run_info={}, formats=("html",))
    page = (tmp_path / "o" / "report.html").read_text()
    assert "<html lang='id'>" in page
    assert "Angka utama" in page and "Hari-orang WFH" in page
    assert "Key figures" not in page


def test_team_days_and_status_shown(out):
    page = (out / "report.html").read_text()
    assert "data-status='OPTIMAL'" in page
    assert "Team days" in page and "05/09" in page


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed")
def test_renders_in_headless_chromium(out, tmp_path):
    shot = tmp_path / "shot.png"
    profile = tmp_path / "profile"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={profile}", f"--screenshot={shot}", "--window-size=1280,2000",
           (out / "report.html").as_uri()]
    subprocess.run(cmd, capture_output=True, timeout=60, check=False)
    assert shot.exists() and shot.stat().st_size > 10_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
