"""Fuzzing the loader: every mutated instance loads or raises a located InputError, never anything else.

A valid tiny instance is mutated the ways exported HR spreadsheets and hand-edited
YAML go wrong: wrong types in cells, missing, extra and repeated columns, empty and
header-only files, BOMs, ``;`` separators, line endings, blank rows, Excel date
serials, huge numbers, NaN and infinities, unicode and right-to-left names, YAML
aliases, tags and alias bombs, and random bytes.

The number of examples per test is ``GILIRAN_FUZZ_EXAMPLES`` (default 150, which
keeps the whole file well under two minutes); the inputs tried are counted and
printed at the end of the run.
"""
from __future__ import annotations

import collections
import csv
import datetime as dt
import importlib.util
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import hypothesis
import openpyxl
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from models import InputError, load_instance

EXAMPLES = int(os.environ.get("GILIRAN_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=not os.environ.get("GILIRAN_FUZZ_EXAMPLES"),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])

TRIED: collections.Counter = collections.Counter()

CONFIG = {
    "name": "tiny",
    "window": {"start": dt.date(2023, 9, 4), "end": dt.date(2023, 9, 15)},
    "workdays": ["mon", "tue", "wed", "thu", "fri"],
    "holidays": [dt.date(2023, 9, 8)],
    "extra_days_off": [dt.date(2023, 9, 14)],
    "categories": {"adm": {"label": "Admin", "max_wfh": 0.5}, "pub": {"label": "Public", "max_wfh": 0.0}},
    "phases": [{"name": "peak", "start": dt.date(2023, 9, 6), "end": dt.date(2023, 9, 7),
                "max_wfh": {"adm": 0.75}}],
    "cap_scope": "unit",
    "rules": {"max_consecutive_wfh": 3, "min_wfo_per_week": 1},
    "objective": ["wfh", "fairness", "preferences"],
    "tables": {t: f"{t}.csv" for t in ("employees", "teams", "leave", "requests", "offices", "pairs")},
}
TABLES = {
    "employees": [["nip", "unit", "category", "team", "name", "domicile", "commute_km", "essential", "office"],
                  ["E1", "U1", "adm", "T1", "Ani", "Depok", "12.5", "false", "O1"],
                  ["E2", "U1", "adm", "T1", "Budi", "Bekasi", "30", "", "O1"],
                  ["E3", "U1", "pub", "", "Citra", "", "", "true", ""],
                  ["E4", "U2", "adm", "T2", "Dewi", "Bogor", "55", "no", "O1"]],
    "teams": [["team", "unit", "min_onsite", "min_onsite_ratio", "team_days_per_week", "team_days"],
              ["T1", "U1", "1", "0.5", "1", "wed"],
              ["T2", "U2", "0", "", "", ""]],
    "leave": [["nip", "start", "end", "type"], ["E1", "2023-09-05", "2023-09-06", "annual"]],
    "requests": [["nip", "date", "mode", "strength", "weight"],
                 ["E2", "2023-09-11", "WFH", "prefer", "2"], ["E4", "fri", "WFO", "must", ""]],
    "offices": [["office", "desks"], ["O1", "3"]],
    "pairs": [["nip_a", "nip_b", "rule"], ["E1", "E2", "cover"]],
}

# ---------------------------------------------------------------------------- values
NASTY_TEXT = [
    "", " ", "nan", "NaN", "-nan", "inf", "-inf", "Infinity", "sNaN", "1e308", "-1e308", "1e-400", "1e999999999",
    str(10**30), "9" * 5000, "0", "-1", "-0", "1.5", "0,57", "1,000", "1_000", "0x1A", "٣", "45159", "45159.5",
    "2023-02-30", "2023-09-05", "2023-09-05T00:00:00", "2023-09-05 13:45", "20230905", "05/09/2023", "9999-12-31",
    "0001-01-01", "mon", "Monday", "Senin", "sat", "monkey", "true", "ya", "WFH", "wfo", "LEAVE", "must",
    "prefer", "cover", "together", "adm", "pub", "U1", "U2", "T1", "T2", "E1", "E2", "E4", "O1",
    "\u202eRTL\u202c", "محمد عبد الله", "עברית", "名前", "🙂", "Zoë\u0301", "=cmd|' /C calc'!A0", "@SUM(1)",
    '"', '"quoted"', "a,b", "a;b", "line\nbreak", "cr\rcell", "tab\tcell", "\x00", "\ufeff", "\ufeffnip",
    "None", "null", "~", "NIP", " nip ", "nip", "unit", "category", "team", "date", "start", "end",
]
CELL = st.one_of(
    st.sampled_from(NASTY_TEXT),
    st.text(max_size=12),
    st.integers(min_value=-10**30, max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e308, -1e308, 5e-324, 45159, 45159.0, 45159.25]),
    st.dates(min_value=dt.date(1, 1, 2), max_value=dt.date(9999, 12, 30)),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(9999, 12, 30)),
    st.booleans(),
    st.none(),
)

# YAML values written as raw text in place of a key's value
YAML_SNIPPETS = [
    "", "~", "null", "[]", "{}", "[[[[[[[[]]]]]]]]", "'text'", "yes", "NO", "off", "0", "-1", "0.57", "1.5", "1e308",
    "1.0e+999", "-.inf", ".nan", str(10**30), "9" * 5000, "0x1F", "0o17", "0b101", "190:20:30", "45159",
    "2023-02-30", "2023-13-01", "2023-09-05 25:00:00", "2023-09-05", "20230905", "9999-12-31", "0001-01-01",
    "!!python/object/apply:os.system ['echo pwned']", "!!python/name:os.system", "!!python/tuple [1, 2]",
    "!!binary 'not base64!'", "!!int abc", "!!float abc", "!!timestamp abc", "!!bool maybe", "!!set {a, b}",
    "!!omap [a, b]", "!!str", "!!map [1]", "!mytag x", "*undefined", "&a [*a]", "&a {k: *a}", "{a: 1, a: 2}",
    "[a, b", "{a: 1", "'unterminated", '"bad \\q escape"', "- a\n- b", "\t", "\x07", "@reserved", "`tick",
    "? [a, b]\n: c", "{[a]: 1}", "{? {a: 1}: b}", "{<<: {start: 2023-09-04}, end: 2023-09-15}",
    "[" * 2000 + "]" * 2000, "{start: 2023-09-04, end: 2023-09-15}", "[mon, tue, wed, thu, fri]",
    "{adm: {max_wfh: 2}}", "{adm: {max_wfh: -0.1}}", "{adm: {max_wfh: 0.57}}", "{country: ID}",
    "{country: ID, subdiv: ZZ}", "{country: NO}", "{country: XX}", "[wfh, wfh]", "[wfh_km, wfh]",
    "{max_consecutive_wfh: 0}", "{max_consecutive_wfh: 10000000000000000000000}", "{min_wfo_per_week: 8}",
    "{employees: nowhere.csv}", "{employees: ''}", "{employees: .}", "{employees: [a]}", "{employees: x\0y}",
    "{employees: " + "a" * 5000 + ".csv}", "{employees: instance.yaml}", "{bogus: x.csv}",
    "[{name: p, start: 2023-09-07, end: 2023-09-06}]", "[{name: p, start: 2023-09-05}]", "[1, 2]",
    "[{start: 2023-09-05, end: 2023-09-06, max_wfh: {zzz: 0.5}}]",
]
BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)) \
    + "name: *i\n"
WHOLE_YAML = [
    "", "\n", "# only a comment\n", "- a\n- b\n", "42\n", "null\n", '"text"\n', "!!python/object/apply:os.system ['echo pwned']\n",
    "---\na: 1\n---\nb: 2\n", BILLION_LAUGHS, "name: &a [*a]\n", "[" * 5000 + "]" * 5000 + "\n",
    "{" * 5000 + "\n", "\ufeff\ufeffname: x\n", "name: x\r\nwindow: {start: 2023-09-04, end: 2023-09-15}\r",
    "name: x\x00\n", "%YAML 1.1\n%YAML 1.1\n---\na: 1\n", "&x a: 1\n", "*x\n",
]


# ---------------------------------------------------------------------------- building a folder
@dataclass
class Target:
    """Where the mutation was, to check that an error in that file says where."""
    file: str
    row: int | None = None       # logical 1-based data row of a cell mutation (0 = header)
    kind: str = "cell"


def event(what: str) -> None:
    """A hypothesis event (shown by ``--hypothesis-show-statistics``), also outside a hypothesis test."""
    try:
        hypothesis.event(what)
    except hypothesis.errors.InvalidArgument:
        pass


def _csv_text(rows, sep: str, newlines: list[str]) -> str:
    out = io.StringIO()
    for i, row in enumerate(rows):
        w = csv.writer(out, delimiter=sep, lineterminator=newlines[i % len(newlines)])
        w.writerow(["" if c is None else c.isoformat() if isinstance(c, (dt.date, dt.datetime)) else c
                    for c in row])
    return out.getvalue()


def _xlsx_cell(c):
    if isinstance(c, str):
        return ILLEGAL_CHARACTERS_RE.sub("", c)
    return c


def write_table(path: Path, rows, *, fmt: str, sep: str, bom: bool, newlines: list[str]) -> None:
    if fmt == "xlsx":
        wb = openpyxl.Workbook()
        ws = wb.active
        for row in rows:
            ws.append([_xlsx_cell(c) for c in row])
        wb.save(path)
    else:
        text = _csv_text(rows, sep, newlines)
        path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8", "surrogatepass"))


def yaml_text(config: dict) -> str:
    return yaml.safe_dump(config, sort_keys=False, allow_unicode=True, default_flow_style=None)


def write_instance(folder: Path, config: dict, tables: dict, encodings: dict) -> None:
    config = dict(config, tables=dict(config["tables"]))
    for name, rows in tables.items():
        enc = encodings.get(name, {})
        fmt = enc.get("fmt", "csv")
        file = f"{name}.{fmt}"
        if name in config["tables"]:
            config["tables"][name] = file
        write_table(folder / file, rows, fmt=fmt, sep=enc.get("sep", ","), bom=enc.get("bom", False),
                    newlines=enc.get("newlines", ["\n"]))
    (folder / "instance.yaml").write_text(yaml_text(config), encoding="utf-8")


WHOLE_FILE_MESSAGES = ("empty", "cannot read", "not UTF-8", "cannot parse", "not found", "not a file", "more than")


def assert_loads_or_input_error(folder: Path, target: Target | None = None, *, test: str) -> str:
    """Load; return 'ok' or 'InputError'. Any other exception fails the test."""
    TRIED[test] += 1
    try:
        inst = load_instance(folder)
    except InputError as exc:
        text = str(exc)
        assert exc.file, f"error names no file: {text}"
        assert text.startswith(exc.file), text
        assert "Traceback" not in text
        if exc.file == "instance.yaml" and exc.row is None:
            assert exc.line is not None or exc.key or "nested too deeply" in text, \
                f"a YAML error without line or key: {text}"
        elif exc.row is None:
            assert any(m in exc.message for m in WHOLE_FILE_MESSAGES), f"a table error without a row: {text}"
        if target is not None and target.kind == "cell" and exc.file == target.file and target.row:
            assert exc.row is not None, f"a cell mistake reported without its row: {text}"
        event(f"InputError in {Path(exc.file).stem}")
        TRIED["input errors"] += 1
        return "InputError"
    except Exception:
        TRIED["crashes"] += 1
        raise
    # what the solver and checker compute first from a loaded instance must not crash either
    for day in inst.working_days:
        for category in inst.categories:
            assert 0 <= inst.cap(category, day) <= 1
    assert inst.employees
    event("loaded")
    TRIED["loaded"] += 1
    return "ok"


@pytest.fixture(scope="module", autouse=True)
def fuzz_summary(request):
    """Print how many inputs were tried, so a run says how much it fuzzed."""
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    inputs = sum(v for k, v in TRIED.items() if k.startswith("test_"))
    exits = ", ".join(f"{k} {v}" for k, v in sorted(TRIED.items()) if k.startswith("cli exit"))
    line = (f"giliran input fuzz: {inputs} inputs tried, {TRIED['loaded']} loaded, "
            f"{TRIED['input errors']} clear input errors, {TRIED['crashes']} crashes "
            f"({', '.join(f'{k} {v}' for k, v in sorted(TRIED.items()) if k.startswith('test_'))}"
            + (f"; {exits}" if exits else "") + ")")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None and inputs:
        with capture.global_and_fixture_disabled():
            reporter.write_line("")
            reporter.write_line(line)


def base_tables():
    return {name: [list(r) for r in rows] for name, rows in TABLES.items()}


def test_the_base_instance_loads(tmp_path):
    write_instance(tmp_path, CONFIG, base_tables(), {})
    assert assert_loads_or_input_error(tmp_path, test="test_base") == "ok"


# ---------------------------------------------------------------------------- tables
ENCODING = st.fixed_dictionaries({
    "fmt": st.sampled_from(["csv", "csv", "csv", "xlsx"]),
    "sep": st.sampled_from([",", ";"]),
    "bom": st.booleans(),
    "newlines": st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=1, max_size=3),
})


@st.composite
def table_mutation(draw, tables):
    """Change one table the ways exported spreadsheets go wrong; return the Target."""
    name = draw(st.sampled_from(sorted(n for n in tables if tables[n] and tables[n][0])))
    rows = tables[name]
    kind = draw(st.sampled_from(["cell", "cell", "cell", "row", "drop_column", "add_column", "dup_header",
                                 "header_only", "empty", "blank_rows", "dup_row", "ragged"]))
    width = len(rows[0])
    if kind == "cell":
        r = draw(st.integers(0, len(rows) - 1))
        c = draw(st.integers(0, len(rows[r]) - 1)) if rows[r] else 0
        if not rows[r]:
            rows[r].append("")
        event(f"cell {name}.{rows[0][c]}" if r else f"header {name}")
        rows[r][c] = draw(CELL)
        return Target(name, row=r)
    if kind == "row":
        r = draw(st.integers(1, len(rows) - 1)) if len(rows) > 1 else 0
        rows[r] = draw(st.lists(CELL, min_size=width, max_size=width))
        return Target(name, row=r)
    if kind == "drop_column":
        c = draw(st.integers(0, width - 1))
        for row in rows:
            if c < len(row):
                del row[c]
    elif kind == "add_column":
        header = draw(st.one_of(st.sampled_from(["extra", "", "note", "NIP", "Unnamed: 3"]), st.text(max_size=8)))
        rows[0].append(header)
        for row in rows[1:]:
            row.append(draw(CELL))
    elif kind == "dup_header":
        a, b = draw(st.integers(0, width - 1)), draw(st.integers(0, width - 1))
        rows[0][b] = rows[0][a].upper() if draw(st.booleans()) else rows[0][a]
    elif kind == "header_only":
        del rows[1:]
    elif kind == "empty":
        rows.clear()
    elif kind == "blank_rows":
        for _ in range(draw(st.integers(1, 3))):
            rows.insert(draw(st.integers(1, len(rows))), [""] * draw(st.integers(0, width)))
    elif kind == "dup_row" and len(rows) > 1:
        rows.append(list(rows[draw(st.integers(1, len(rows) - 1))]))
    elif kind == "ragged" and len(rows) > 1:
        r = draw(st.integers(1, len(rows) - 1))
        rows[r] = rows[r][:draw(st.integers(0, width))] + draw(st.lists(CELL, max_size=2))
    event(f"{kind} {name}")
    return Target(name, kind=kind)


@FUZZ
@given(data=st.data())
def test_mutated_tables_load_or_say_where(data):
    tables = base_tables()
    targets = [data.draw(table_mutation(tables)) for _ in range(data.draw(st.integers(1, 3)))]
    encodings = {name: data.draw(ENCODING) for name in tables}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_instance(folder, CONFIG, tables, encodings)
        target = targets[0] if len(targets) == 1 else None
        if target is not None:
            target.file = f"{target.file}.{encodings[target.file]['fmt']}"
        assert_loads_or_input_error(folder, target, test="test_tables")


@FUZZ
@given(column=st.sampled_from(["commute_km", "essential", "unit", "category"]),
       bad_row=st.integers(1, 4), blanks=st.lists(st.integers(1, 5), max_size=3), enc=ENCODING)
def test_error_row_is_the_row_the_planner_sees(column, bad_row, blanks, enc):
    """Blank rows, BOMs, separators, line endings and XLSX do not shift the reported row."""
    tables = base_tables()
    rows = tables["employees"]
    c = rows[0].index(column)
    rows[bad_row][c] = {"commute_km": "about 5", "essential": "perhaps", "unit": "", "category": "zzz"}[column]
    bad = rows[bad_row]
    for position in sorted(blanks, reverse=True):
        rows.insert(min(position, len(rows)), [""] * len(rows[0]))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_instance(folder, CONFIG, tables, {"employees": enc})
        TRIED["test_rows"] += 1
        with pytest.raises(InputError) as err:
            load_instance(folder)
    assert err.value.file == f"employees.{enc['fmt']}"
    assert err.value.row == next(i for i, r in enumerate(rows) if r is bad)
    assert err.value.column == column


# ---------------------------------------------------------------------------- YAML
def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, prefix + (i,))


CONFIG_PATHS = [p for p in _paths(CONFIG) if p and p[0] != "tables"] + [("tables",), ("tables", "employees")]


def _set(config, path, value):
    node = config
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


@FUZZ
@given(data=st.data())
def test_mutated_yaml_loads_or_says_where(data):
    import copy

    config = copy.deepcopy(CONFIG)
    how = data.draw(st.sampled_from(["snippet", "snippet", "value", "new_key", "delete", "whole"]))
    path = data.draw(st.sampled_from(CONFIG_PATHS))
    event(f"yaml {how}")
    if how == "whole":
        text = data.draw(st.sampled_from(WHOLE_YAML))
    else:
        if how == "value":
            _set(config, path, data.draw(CELL))
        elif how == "new_key":
            parent = config
            for part in path[:-1]:
                parent = parent[part]
            if isinstance(parent, dict):
                parent[data.draw(st.one_of(st.sampled_from(["bogus", "Name", "max_wfh", "label"]), st.text(max_size=6)))] = 1
        elif how == "delete":
            parent = config
            for part in path[:-1]:
                parent = parent[part]
            del parent[path[-1]]
        else:
            _set(config, path, "@@RAW@@")
        text = yaml_text(config)
        if how == "snippet":
            snippet = data.draw(st.sampled_from(YAML_SNIPPETS))
            text = text.replace("'@@RAW@@'", snippet)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, rows in TABLES.items():
            write_table(folder / f"{name}.csv", rows, fmt="csv", sep=",", bom=False, newlines=["\n"])
        (folder / "instance.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
        assert_loads_or_input_error(folder, Target("instance.yaml", kind="yaml"), test="test_yaml")
        assert not (folder / "pwned").exists()


def test_yaml_python_tags_are_never_run(tmp_path):
    for name, rows in TABLES.items():
        write_table(tmp_path / f"{name}.csv", rows, fmt="csv", sep=",", bom=False, newlines=["\n"])
    marker = tmp_path / "pwned"
    (tmp_path / "instance.yaml").write_text(
        yaml_text(CONFIG) + f"extra: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(InputError) as err:
        load_instance(tmp_path)
    assert err.value.file == "instance.yaml" and err.value.line
    assert not marker.exists()


def test_alias_bomb_is_refused_quickly(tmp_path):
    import time

    (tmp_path / "instance.yaml").write_text(BILLION_LAUGHS)
    started = time.perf_counter()
    with pytest.raises(InputError, match="aliases") as err:
        load_instance(tmp_path)
    assert time.perf_counter() - started < 2
    assert err.value.line is not None


# ---------------------------------------------------------------------------- random bytes
@FUZZ
@given(which=st.sampled_from(["instance.yaml"] + [f"{t}.csv" for t in TABLES]),
       content=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(lambda s: s.encode("utf-8", "surrogatepass"))),
       keep_prefix=st.integers(0, 400))
def test_random_bytes_load_or_say_where(which, content, keep_prefix):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_instance(folder, CONFIG, base_tables(), {})
        original = (folder / which).read_bytes()
        # sometimes keep the start of the real file, so the damage is deeper in
        (folder / which).write_bytes(original[:keep_prefix] + content)
        assert_loads_or_input_error(folder, test="test_bytes")


# ---------------------------------------------------------------------------- the command line
HAS_CLI = importlib.util.find_spec("cli") is not None


@pytest.mark.skipif(not HAS_CLI, reason="cli.py does not exist yet")
@settings(max_examples=max(10, EXAMPLES // 10), deadline=None, derandomize=not os.environ.get("GILIRAN_FUZZ_EXAMPLES"),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_cli_solve_never_prints_a_traceback(data):
    from click.testing import CliRunner

    from cli import main

    tables = base_tables()
    if data.draw(st.booleans()):
        data.draw(table_mutation(tables))
    config = dict(CONFIG)
    if data.draw(st.booleans()):
        config = dict(config, rules={"max_consecutive_wfh": data.draw(st.sampled_from([None, 1, 10**30])),
                                     "min_wfo_per_week": data.draw(st.sampled_from([None, 0, 5, 7]))})
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "inst"
        folder.mkdir()
        write_instance(folder, config, tables, {name: data.draw(ENCODING) for name in tables})
        TRIED["test_cli"] += 1
        result = CliRunner().invoke(main, ["solve", str(folder), "-o", str(Path(tmp) / "out"), "--time-limit", "5"])
        output = result.output
        crashed = ("Traceback" in output or result.exit_code not in (0, 2, 3, 4)
                   or (result.exception is not None and not isinstance(result.exception, SystemExit)))
        TRIED["crashes"] += crashed
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        assert "Traceback" not in output
        assert result.exit_code in (0, 2, 3, 4), (result.exit_code, output)
        event(f"exit {result.exit_code}")
        TRIED[f"cli exit {result.exit_code}"] += 1
