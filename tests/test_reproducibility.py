"""The same instance, seed and workers give the same answer (issue 7), and report.json says how to get it again.

Each run is a separate process with its own hash seed, as two runs on a planner's
laptop would be: set and dict orders that depend on string hashing would show here.
"""
from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import textwrap
from pathlib import Path

import ortools
import pytest

from models import Instance
from models.generate import generate_instance

ROOT = Path(__file__).resolve().parents[1]
TIMING = ("solve_seconds", "build_seconds", "part_seconds", "part_build_seconds", "seconds", "elapsed")

TINY = {
    "instance.yaml": """\
        name: tiny
        window: {start: 2023-09-04, end: 2023-09-15}
        holidays: []
        categories:
          adm: {label: Administrasi, max_wfh: 0.5}
          pub: {label: Layanan masyarakat, max_wfh: 0}
        rules: {max_consecutive_wfh: 2}
        tables: {employees: employees.csv, teams: teams.csv, leave: leave.csv, requests: requests.csv}
        """,
    "employees.csv": """\
        nip,name,unit,team,category,commute_km
        e1,Ani,U1,T1,adm,10
        e2,Budi,U1,T1,adm,12.5
        e3,Citra,U1,T1,adm,3
        e4,Dewi,U1,T1,adm,7
        e5,Eko,U2,T2,pub,20
        e6,Fajar,U2,T2,pub,5
        e7,Gita,U2,T3,adm,9
        e8,Hadi,U2,T3,adm,4
        """,
    "teams.csv": "team,unit,min_onsite\nT1,U1,1\nT2,U2,2\nT3,U2,1\n",
    "leave.csv": "nip,start,end\ne2,2023-09-06,2023-09-07\n",
    "requests.csv": "nip,date,mode,weight\ne3,fri,WFH,2\ne7,2023-09-12,WFH,1\n",
}


def giliran(*args, cwd: Path, hash_seed: int) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONHASHSEED": str(hash_seed),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "cli", *map(str, args)], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=180)


def without_timings(value):
    """report.json's content less the wall-clock figures, which differ run to run."""
    if isinstance(value, dict):
        return {k: without_timings(v) for k, v in value.items() if k not in TIMING}
    if isinstance(value, list):
        return [without_timings(v) for v in value]
    return value


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("tiny") / "instance"
    folder.mkdir()
    for name, text in TINY.items():
        (folder / name).write_text(textwrap.dedent(text))
    return folder


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Path:
    """300 employees in 4 agencies; solved to proven optimality in about a second."""
    return generate_instance(tmp_path_factory.mktemp("big") / "instance", 300, 4, 3, hybrid_rules=False)


def two_runs(tmp_path: Path, instance: Path, *options) -> tuple[Path, Path]:
    """The same command twice, in two folders (so the command line is the same), with other hash seeds."""
    outs = []
    for i, hash_seed in enumerate((1, 2)):
        cwd = tmp_path / f"run{i}"
        cwd.mkdir()
        done = giliran("solve", instance.absolute(), "-o", "out", *options, cwd=cwd, hash_seed=hash_seed)
        assert done.returncode == 0, done.stderr
        outs.append(cwd / "out")
    return outs[0], outs[1]


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory, tiny) -> tuple[Path, Path]:
    return two_runs(tmp_path_factory.mktemp("tiny_runs"), tiny, "--workers", 1, "--seed", 5, "--time-limit", 30)


@pytest.fixture(scope="module")
def big_runs(tmp_path_factory, big) -> tuple[Path, Path]:
    return two_runs(tmp_path_factory.mktemp("big_runs"), big, "--workers", 2)


@pytest.mark.parametrize("runs", ["tiny_runs", "big_runs"])
def test_same_instance_seed_and_workers_give_the_same_answer(request, runs):
    first, second = request.getfixturevalue(runs)
    assert (first / "schedule.csv").read_bytes() == (second / "schedule.csv").read_bytes()
    reports = [json.loads((out / "report.json").read_text()) for out in (first, second)]
    assert reports[0]["status"] == "OPTIMAL"
    assert without_timings(reports[0]) == without_timings(reports[1])


def test_report_records_what_reproduces_the_run(tiny, tiny_runs):
    run = json.loads((tiny_runs[0] / "report.json").read_text())["run"]
    assert run["giliran"] == importlib.metadata.version("giliran")
    assert run["ortools"] == ortools.__version__
    assert run["python"] == platform.python_version()
    assert (run["seed"], run["workers"], run["time_limit"]) == (5, 1, 30)
    assert run["input_hash"] == Instance.load(tiny).input_hash
    assert run["input_hash"].startswith("sha256:") and len(run["input_hash"]) == len("sha256:") + 64
    parameters = run["parameters"]
    assert (parameters["seed"], parameters["workers"], parameters["time_limit"]) == (5, 1, 30)
    assert {"previous", "replan_from", "stability", "relax", "anonymize"} <= set(parameters)
    assert run["command"].startswith("giliran solve ")


def test_input_hash_follows_every_input_file(tmp_path, tiny):
    before = Instance.load(tiny).input_hash
    assert Instance.load(tiny).input_hash == before
    edits = {"instance.yaml": ("name: tiny", "name: tiny2"), "employees.csv": ("Ani", "Anis"),
             "teams.csv": ("T1,U1,1", "T1,U1,0"), "leave.csv": ("09-07", "09-08"), "requests.csv": ("WFH,2", "WFH,3")}
    for name, (old, new) in edits.items():
        copy = tmp_path / name.replace(".", "_")
        copy.mkdir()
        for other, text in TINY.items():
            text = textwrap.dedent(text)
            (copy / other).write_text(text.replace(old, new, 1) if other == name else text)
        assert Instance.load(copy).input_hash != before, f"{name} changed, the hash did not"
