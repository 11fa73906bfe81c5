"""Loading an instance folder (SPEC §1): ``instance.yaml`` plus CSV or XLSX tables.

Every user mistake becomes an :class:`~models.errors.InputError` naming the file
and the YAML line and key, or the table's 1-based data row and column.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from pydantic import ValidationError

from .errors import InputError
from .instance import (WEEKDAYS, Category, Employee, Instance, Leave, Office, Pair, Phase, Request,
                       Rules, Team, check_places)

MAX_EMPLOYEES = 1_000_000
MAX_WINDOW_DAYS = 366
MAX_TABLE_ROWS = 5_000_000
MIN_YEAR, MAX_YEAR = 1900, 2999  # a window outside is a typo, and dates near year 1 or 9999 overflow

TABLES = ("employees", "teams", "leave", "requests", "offices", "pairs")
REQUIRED = {
    "employees": ("nip", "unit", "category"),
    "teams": ("team", "unit"),
    "leave": ("nip", "start", "end"),
    "requests": ("nip", "date", "mode"),
    "offices": ("office", "desks"),
    "pairs": ("nip_a", "nip_b"),
}
OPTIONAL = {
    "employees": ("team", "name", "domicile", "commute_km", "essential", "office"),
    "teams": ("min_onsite", "min_onsite_ratio", "team_days_per_week", "team_days"),
    "leave": ("type",),
    "requests": ("strength", "weight"),
    "offices": (),
    "pairs": ("rule",),
}
TOP_KEYS = {"name", "window", "workdays", "holidays", "extra_days_off", "categories", "phases",
            "cap_scope", "rules", "objective", "tables"}


# ---------------------------------------------------------------------------- YAML
def _node_line(root: yaml.Node | None, path: tuple) -> int | None:
    """The 1-based line of a key path in a composed YAML document (best effort)."""
    node = root
    line = None
    for part in path:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if str(k.value) == str(part):
                    line = k.start_mark.line + 1
                    node = v
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    if line is None and node is not None:
        line = node.start_mark.line + 1
    return line


MAX_YAML_NODES = 100_000  # after alias expansion; a real instance.yaml has a few hundred


class _SafeLoader(yaml.SafeLoader):
    """PyYAML's safe loader (no Python tags), where a value it cannot build is a YAML error at its line."""

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep=deep)
        except (yaml.YAMLError, RecursionError):
            raise
        except Exception as exc:  # e.g. 2023-02-30, `!!int abc`, an int of 5,000 digits
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {getattr(node, 'value', '')!r} as {node.tag.rsplit(':', 1)[-1]} ({exc})",
                node.start_mark) from None


def _check_nodes(root: yaml.Node) -> None:
    """Refuse recursive aliases, keys given twice and alias bombs before building any Python value."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        if id(node) in open_nodes:
            raise yaml.composer.ComposerError(None, None, "an alias refers to a node that contains it",
                                              node.start_mark)
        open_nodes.add(id(node))
        total = 1
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                    if key.value in seen:
                        raise yaml.composer.ComposerError(None, None, f"key {key.value!r} is given twice",
                                                          key.start_mark)
                    seen.add(key.value)
                total += size(key) + size(value)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(size(item) for item in node.value)
        open_nodes.discard(id(node))
        sizes[id(node)] = total
        if total > MAX_YAML_NODES:
            raise yaml.composer.ComposerError(
                None, None, f"the document expands to more than {MAX_YAML_NODES} values (aliases used too often)",
                node.start_mark)
        return total

    size(root)


class _Yaml:
    def __init__(self, path: Path):
        self.file = path.name
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise InputError("instance.yaml not found", file=str(path)) from None
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read: {getattr(exc, 'strerror', None) or exc}", file=self.file) from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError("not UTF-8 text; save it as UTF-8", file=self.file,
                             line=raw[:exc.start].count(b"\n") + 1) from None
        loader = None
        try:
            loader = _SafeLoader(text)  # checks the characters first: a NUL is an error here
            self.root = loader.get_single_node()
            if self.root is not None:
                _check_nodes(self.root)
            self.data = loader.construct_document(self.root) if self.root is not None else None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or str(exc)
            if mark is not None:
                line = mark.line + 1
            elif isinstance(exc, yaml.reader.ReaderError):  # a character YAML does not allow
                line = text[:exc.position].count("\n") + 1
            else:
                line = None
            raise InputError(f"malformed YAML: {problem}", file=self.file, line=line) from None
        except RecursionError:
            raise InputError("malformed YAML: nested too deeply", file=self.file) from None
        finally:
            if loader is not None:
                loader.dispose()
        if self.data is None:
            self.data = {}
        if not isinstance(self.data, dict):
            raise InputError("expected a mapping of keys (name, window, categories, ...)", file=self.file, line=1)

    def error(self, message: str, *path) -> InputError:
        key = ".".join(str(p) for p in path) if path else None
        return InputError(message, file=self.file, line=_node_line(self.root, path), key=key)

    def scalar_text(self, *path) -> str | None:
        """The text of a scalar as written (``NO`` stays ``NO``, where YAML 1.1 reads false)."""
        node = self.root
        for part in path:
            if not isinstance(node, yaml.MappingNode):
                return None
            node = next((v for k, v in node.value if str(k.value) == str(part)), None)
        return node.value if isinstance(node, yaml.ScalarNode) else None


def _yaml_date(y: _Yaml, value: Any, *path) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise y.error(f"expected a date like 2023-08-21, got {value!r}", *path) from None


_WEEKDAY_NAMES = {name: i for i, names in enumerate(zip(
    WEEKDAYS,
    ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
    ("senin", "selasa", "rabu", "kamis", "jumat", "sabtu", "minggu"))) for name in names}


def _weekday(value) -> int:
    """0 = Monday, from ``mon``, ``monday`` or the Indonesian ``senin`` (any case)."""
    v = str(value).strip().lower().replace("'", "")
    if v not in _WEEKDAY_NAMES:
        raise ValueError(f"expected a weekday (mon, tue, ... sun), got {value!r}")
    return _WEEKDAY_NAMES[v]


def _pydantic_message(exc: ValidationError) -> tuple[tuple, str]:
    err = exc.errors()[0]
    msg = err.get("msg", "invalid value")
    msg = re.sub(r"^Value error, ", "", msg)
    return tuple(err.get("loc", ())), msg


def _config(y: _Yaml) -> dict:
    d = y.data
    unknown = sorted(set(map(str, d)) - TOP_KEYS)
    if unknown:
        raise y.error(f"unknown key (known: {', '.join(sorted(TOP_KEYS))})", unknown[0])
    out: dict[str, Any] = {"name": str(d.get("name") or "instance")}

    window = d.get("window")
    if not isinstance(window, dict) or "start" not in window or "end" not in window:
        raise y.error("window must be a mapping with start and end dates", "window")
    out["window_start"] = _yaml_date(y, window["start"], "window", "start")
    out["window_end"] = _yaml_date(y, window["end"], "window", "end")
    if out["window_end"] < out["window_start"]:
        raise y.error("window ends before it starts", "window", "end")
    if (out["window_end"] - out["window_start"]).days + 1 > MAX_WINDOW_DAYS:
        raise y.error(f"window is longer than {MAX_WINDOW_DAYS} days; plan a year at most at once", "window")
    for k in ("start", "end"):
        if not (MIN_YEAR <= out[f"window_{k}"].year <= MAX_YEAR):
            raise y.error(f"the window must lie between the years {MIN_YEAR} and {MAX_YEAR}", "window", k)

    workdays = d.get("workdays", ["mon", "tue", "wed", "thu", "fri"])
    if not isinstance(workdays, list) or not workdays:
        raise y.error("workdays must be a list of weekdays like [mon, tue, wed, thu, fri]", "workdays")
    try:
        out["workdays"] = tuple(sorted({_weekday(w) for w in workdays}))
    except ValueError as exc:
        raise y.error(str(exc), "workdays") from None

    hol = d.get("holidays")
    if hol is None:
        pass
    elif isinstance(hol, dict):
        extra = set(map(str, hol)) - {"country", "subdiv"}
        if extra:
            raise y.error("holidays takes country (and subdiv)", "holidays", sorted(extra)[0])
        country = hol.get("country")
        # YAML 1.1 reads the code NO (Norway) as false: take the text as written
        country = str(y.scalar_text("holidays", "country") if isinstance(country, bool) else country or "").strip()
        subdiv = hol.get("subdiv")
        if isinstance(subdiv, bool):
            subdiv = y.scalar_text("holidays", "subdiv")
        if country:
            import holidays

            if country.upper() not in holidays.list_supported_countries():
                raise y.error(f"unknown country code {country!r} for the holidays package", "holidays", "country")
            out["holiday_country"] = country.upper()
            if subdiv is not None:
                out["holiday_subdivision"] = str(subdiv)
                try:
                    holidays.country_holidays(country.upper(), subdiv=str(subdiv), years=out["window_start"].year)
                except Exception as exc:  # the package raises NotImplementedError for an unknown subdivision
                    raise y.error(f"unknown subdivision {subdiv!r} of {country.upper()} ({exc})",
                                  "holidays", "subdiv") from None
        elif subdiv is not None:
            raise y.error("subdiv needs a country", "holidays", "subdiv")
    elif isinstance(hol, list):
        out["holiday_dates"] = tuple(_yaml_date(y, v, "holidays", i) for i, v in enumerate(hol))
    else:
        raise y.error("holidays must be {country: XX} or a list of dates", "holidays")

    extra = d.get("extra_days_off") or []
    if not isinstance(extra, list):
        raise y.error("extra_days_off must be a list of dates", "extra_days_off")
    out["extra_days_off"] = tuple(_yaml_date(y, v, "extra_days_off", i) for i, v in enumerate(extra))

    cats = d.get("categories")
    if not isinstance(cats, dict) or not cats:
        raise y.error("categories must map each category id to {label, max_wfh}", "categories")
    categories = {}
    for cid, c in cats.items():
        if not isinstance(c, dict):
            raise y.error("expected {label: ..., max_wfh: ...}", "categories", cid)
        try:
            categories[str(cid)] = Category(label=str(c.get("label", "") or ""), max_wfh=c.get("max_wfh"))
        except ValidationError as exc:
            loc, msg = _pydantic_message(exc)
            raise y.error(msg, "categories", cid, *loc[:1]) from None
        extra = set(map(str, c)) - {"label", "max_wfh"}
        if extra:
            raise y.error("unknown key (a category has label and max_wfh)", "categories", cid, sorted(extra)[0])
    out["categories"] = categories

    phases = d.get("phases") or []
    if not isinstance(phases, list):
        raise y.error("phases must be a list", "phases")
    parsed = []
    names = set()
    for i, p in enumerate(phases):
        if not isinstance(p, dict):
            raise y.error("a phase is {name, start, end, max_wfh: {category: cap}}", "phases", i)
        extra = set(map(str, p)) - {"name", "start", "end", "max_wfh"}
        if extra:
            raise y.error("unknown key (a phase has name, start, end, max_wfh)", "phases", i, sorted(extra)[0])
        for k in ("start", "end"):
            if k not in p:
                raise y.error(f"phase needs {k}", "phases", i)
        caps = p.get("max_wfh") or {}
        if not isinstance(caps, dict):
            raise y.error("max_wfh must map categories to caps", "phases", i, "max_wfh")
        for cid in caps:
            if str(cid) not in categories:
                raise y.error(f"unknown category {cid!r}", "phases", i, "max_wfh", cid)
        name = str(p.get("name") or f"phase-{i + 1}")
        if name in names:
            raise y.error(f"phase name {name!r} used twice", "phases", i, "name")
        names.add(name)
        try:
            parsed.append(Phase(name=name, start=_yaml_date(y, p["start"], "phases", i, "start"),
                                end=_yaml_date(y, p["end"], "phases", i, "end"),
                                max_wfh={str(k): v for k, v in caps.items()}))
        except ValidationError as exc:
            loc, msg = _pydantic_message(exc)
            raise y.error(msg, "phases", i, *loc[:2]) from None
    out["phases"] = tuple(parsed)

    scope = d.get("cap_scope", "unit")
    if scope not in ("unit", "team", "all"):
        raise y.error(f"cap_scope must be unit, team or all, got {scope!r}", "cap_scope")
    out["cap_scope"] = scope

    rules = d.get("rules") or {}
    if not isinstance(rules, dict):
        raise y.error("rules must be a mapping", "rules")
    extra = set(map(str, rules)) - {"max_consecutive_wfh", "min_wfo_per_week"}
    if extra:
        raise y.error("unknown rule (known: max_consecutive_wfh, min_wfo_per_week)", "rules", sorted(extra)[0])
    for k, v in rules.items():
        if v is not None and (isinstance(v, bool) or not isinstance(v, int)):
            raise y.error(f"expected a whole number or null, got {v!r}", "rules", k)
    try:
        out["rules"] = Rules(**rules)
    except ValidationError as exc:
        loc, msg = _pydantic_message(exc)
        raise y.error(msg, "rules", *loc[:1]) from None

    objective = d.get("objective", ["wfh", "fairness", "preferences"])
    if not isinstance(objective, list):
        raise y.error("objective must be a list of goals", "objective")
    for i, g in enumerate(objective):
        if g not in ("wfh", "wfh_km", "fairness", "preferences"):
            raise y.error(f"unknown goal {g!r} (known: wfh, wfh_km, fairness, preferences)", "objective", i)
    if len(set(objective)) != len(objective):
        raise y.error("a goal is listed twice", "objective")
    if "wfh" in objective and "wfh_km" in objective:
        raise y.error("use wfh or wfh_km, not both", "objective")
    out["objective"] = tuple(objective)
    return out


# ---------------------------------------------------------------------------- tables
def read_table(path: Path, label: str | None = None) -> pd.DataFrame:
    """Read a CSV or XLSX table as strings (blank cells are empty strings, blank rows are dropped).

    CSV may carry a BOM and use ``,``, ``;`` or tabs; XLSX is read from its first sheet.
    Column names are stripped and lower-cased; a name given twice is an error.
    """
    return read_table_rows(path, label)[0]


def read_table_rows(path: Path, label: str | None = None) -> tuple[pd.DataFrame, list[int]]:
    """:func:`read_table`, with the 1-based data row of each row kept as the file numbers it.

    Blank rows are dropped but still counted, so row numbers match what the planner sees
    (data row 1 is the line after the header).
    """
    path = Path(path)
    label = label or path.name
    if not _is_file(path):
        raise InputError("file not found" if not _exists(path) else "not a file", file=label)
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            # header=None: pandas would rename a repeated header to nip.1 and hide the mistake
            raw = pd.read_excel(path, sheet_name=0, header=None, dtype=object, engine="openpyxl")
            _refuse_rounded_numbers(raw, label)
            raw = raw.map(_cell_text)
        else:
            text = path.read_bytes().decode("utf-8-sig")
            raw = pd.read_csv(io.StringIO(text), sep=_separator(text), header=None, dtype=str,
                              keep_default_na=False, skip_blank_lines=False, skipinitialspace=True)
    except InputError:
        raise
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text; save the table as CSV UTF-8 or XLSX", file=label) from None
    except pd.errors.EmptyDataError:
        raise InputError("the file is empty; it needs at least a header row", file=label) from None
    except pd.errors.ParserError as exc:
        m = re.search(r"line (\d+)", str(exc))
        row = int(m.group(1)) - 1 if m else None
        raise InputError(f"cannot parse the table: {str(exc).strip()}", file=label, row=row) from None
    except Exception as exc:  # openpyxl and zip errors come in many types
        raise InputError(f"cannot read the table: {exc}", file=label) from None
    if raw.shape[0] == 0:
        raise InputError("the file is empty; it needs at least a header row", file=label)
    raw = raw.fillna("").astype(str).apply(lambda s: s.str.strip())
    cols = [c.lstrip("\ufeff").strip().lower() for c in raw.iloc[0]]
    seen = set()
    for c in cols:
        if c in seen and c != "":
            raise InputError(f"column '{c}' appears twice in the header", file=label, row=0, column=c)
        seen.add(c)
    body = raw.iloc[1:]
    if len(body) > MAX_TABLE_ROWS:
        raise InputError(f"the table has {len(body)} rows, more than the {MAX_TABLE_ROWS} giliran accepts",
                         file=label)
    filled = (body != "").any(axis=1).to_numpy()
    rows = [i + 1 for i in range(len(body)) if filled[i]]
    df = body[filled].reset_index(drop=True)
    df.columns = cols
    return df, rows


def _separator(text: str) -> str:
    """``;`` or a tab when the header uses it more than commas (spreadsheets in many locales write ``;``)."""
    first = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]
    return max((",", ";", "\t"), key=first.count) if first else ","


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):  # a NUL byte or an over-long name
        return False


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _refuse_rounded_numbers(raw: pd.DataFrame, label: str) -> None:
    """A spreadsheet keeps 15 digits of a number: an 18-digit NIP typed as a number is already wrong."""
    def too_long(v) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) >= 2**53

    found = raw.map(too_long).to_numpy().nonzero()
    if len(found[0]):
        r, c = int(found[0][0]), int(found[1][0])
        header = _cell_text(raw.iat[0, c]).strip().lower() if r else None
        raise InputError(f"the number {raw.iat[r, c]} has more digits than a spreadsheet keeps exactly; "
                         "format the column as text and type the value again", file=label, row=r,
                         column=header or None)


def _cell_text(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, (dt.datetime, pd.Timestamp)):
        if v.hour == v.minute == v.second == 0:
            return v.date().isoformat()
        return v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


class _Table:
    """A table being turned into models, with errors that name file, row and column."""

    def __init__(self, name: str, path: Path, label: str):
        self.name = name
        self.label = label
        self.df, self.row_numbers = read_table_rows(path, label)
        missing = [c for c in REQUIRED[name] if c not in self.df.columns]
        if missing:
            raise InputError(f"missing required column '{missing[0]}' (needs {', '.join(REQUIRED[name])})",
                             file=label, row=0, column=missing[0])

    def error(self, row: int, column: str | None, message: str) -> InputError:
        return InputError(message, file=self.label, row=row, column=column)

    def rows(self):
        cols = [c for c in REQUIRED[self.name] + OPTIONAL[self.name] if c in self.df.columns]
        records = self.df[cols].to_dict("records") if len(self.df) else []
        yield from zip(self.row_numbers, records)

    def build(self, model, row: int, fields: dict):
        try:
            return model(**fields)
        except ValidationError as exc:
            loc, msg = _pydantic_message(exc)
            raise self.error(row, str(loc[0]) if loc else None, msg) from None


def _parse_date(t: _Table, row: int, col: str, v: str) -> dt.date:
    s = v.strip()
    # a date, or a spreadsheet's date-time at midnight or any time of that day
    m = re.fullmatch(r"(\d{4}-\d{2}-\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?", s)
    try:
        return dt.date.fromisoformat(m.group(1) if m else s)
    except ValueError:
        pass
    hint = " (a spreadsheet's day number? format the column as a date)" if re.fullmatch(r"\d{5}(\.\d+)?", s) else ""
    raise t.error(row, col, f"expected a date like 2023-08-21, got {v!r}{hint}")


def _parse_int(t: _Table, row: int, col: str, v: str, default=None):
    if v == "":
        return default
    try:
        d = Decimal(v)
    except InvalidOperation:
        d = None
    # no context arithmetic before the size check: 1e999999999 would overflow the decimal context
    if d is None or not d.is_finite() or d != d.to_integral_value():
        raise t.error(row, col, f"expected a whole number, got {v!r}")
    if d.copy_abs() > 10**9:
        raise t.error(row, col, f"number too large: {v}")
    return int(d)


def _parse_decimal(t: _Table, row: int, col: str, v: str, default=None):
    if v == "":
        return default
    try:
        d = Decimal(v.replace(",", ".") if v.count(",") == 1 and "." not in v else v)
    except InvalidOperation:
        raise t.error(row, col, f"expected a number, got {v!r}") from None
    if not d.is_finite() or d.copy_abs() > 10**9:
        raise t.error(row, col, f"expected a reasonable number, got {v!r}")
    try:
        check_places(d)
    except ValueError as exc:
        raise t.error(row, col, str(exc)) from None
    return d


_TRUE = {"true", "1", "yes", "y", "ya", "t", "x"}
_FALSE = {"false", "0", "no", "n", "tidak", "f", ""}


def _parse_bool(t: _Table, row: int, col: str, v: str) -> bool:
    s = v.strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise t.error(row, col, f"expected true or false, got {v!r}")


def _text(v: str) -> str | None:
    return v if v != "" else None


def _required_text(t: _Table, row: int, col: str, v: str) -> str:
    if v == "":
        raise t.error(row, col, f"{col} is empty")
    return v


_SHORTENED_NUMBER = re.compile(r"[+-]?\d(?:[.,]\d+)?[eE]\+?\d+")


def _nip(t: _Table, row: int, col: str, v: str) -> str:
    """A NIP as text; 1.98001E+17 is what a spreadsheet made of an 18-digit NIP stored as a number."""
    nip = _required_text(t, row, col, v)
    if _SHORTENED_NUMBER.fullmatch(nip):
        raise t.error(row, col, f"nip {nip!r} looks like a long number a spreadsheet shortened; "
                                "format the column as text and type the NIPs again")
    return nip


# ---------------------------------------------------------------------------- the loader
def load_instance(folder: str | Path) -> Instance:
    """Load and validate an instance folder.

    Parameters
    ----------
    folder
        A folder with ``instance.yaml`` (or the YAML file itself).

    Raises
    ------
    InputError
        On any user mistake, naming the file and the row and column or key.
    """
    folder = Path(folder)
    if not _exists(folder):
        raise InputError("instance folder not found", file=str(folder))
    yaml_path = folder if _is_file(folder) else folder / "instance.yaml"
    folder = yaml_path.parent
    y = _Yaml(yaml_path)
    cfg = _config(y)
    digest = hashlib.sha256(yaml_path.read_bytes())

    tables_cfg = y.data.get("tables") or {}
    if not isinstance(tables_cfg, dict):
        raise y.error("tables must map table names to files", "tables")
    for k in tables_cfg:
        if k not in TABLES:
            raise y.error(f"unknown table (known: {', '.join(TABLES)})", "tables", k)
    paths: dict[str, tuple[Path, str]] = {}
    for name in TABLES:
        rel = tables_cfg.get(name)
        if rel is None:
            for ext in (".csv", ".xlsx"):
                if (folder / f"{name}{ext}").exists():
                    rel = f"{name}{ext}"
                    break
        if rel is None:
            if name == "employees":
                raise y.error("the employees table is required (tables: {employees: employees.csv})", "tables")
            continue
        if not isinstance(rel, str) or not rel.strip():
            raise y.error(f"expected a file name like {name}.csv, got {rel!r}", "tables", name)
        p = folder / rel
        if not _is_file(p):
            raise y.error(f"file {rel} not found" if not _exists(p) else f"{rel} is not a file", "tables", name)
        try:
            content = p.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror or exc}", file=rel) from None
        paths[name] = (p, rel)
        digest.update(name.encode())
        digest.update(content)

    window = (cfg["window_start"], cfg["window_end"])
    categories = cfg["categories"]
    loaded: dict[str, Any] = {}

    # teams first: employees refer to them
    teams: dict[str, Team] = {}
    if "teams" in paths:
        t = _Table("teams", *paths["teams"])
        for row, r in t.rows():
            tid = _required_text(t, row, "team", r["team"])
            if tid in teams:
                raise t.error(row, "team", f"team {tid!r} is listed twice")
            days: tuple[int, ...] = ()
            if r.get("team_days", ""):
                try:
                    days = tuple(sorted({_weekday(x) for x in re.split(r"[;, ]+", r["team_days"]) if x}))
                except ValueError as exc:
                    raise t.error(row, "team_days", str(exc)) from None
            teams[tid] = t.build(Team, row, dict(
                team=tid, unit=_required_text(t, row, "unit", r["unit"]),
                min_onsite=_parse_int(t, row, "min_onsite", r.get("min_onsite", ""), 0),
                min_onsite_ratio=_parse_decimal(t, row, "min_onsite_ratio", r.get("min_onsite_ratio", ""), Decimal(0)),
                team_days_per_week=_parse_int(t, row, "team_days_per_week", r.get("team_days_per_week", ""), None),
                team_days=days))
            if days and teams[tid].team_days_per_week is None:
                teams[tid] = teams[tid].model_copy(update={"team_days_per_week": len(days)})
            tm = teams[tid]
            if days and len(days) < (tm.team_days_per_week or 0):
                raise t.error(row, "team_days", f"lists {len(days)} weekdays but team_days_per_week is {tm.team_days_per_week}")
    loaded["teams"] = tuple(teams.values())

    offices: dict[str, Office] = {}
    if "offices" in paths:
        t = _Table("offices", *paths["offices"])
        for row, r in t.rows():
            oid = _required_text(t, row, "office", r["office"])
            if oid in offices:
                raise t.error(row, "office", f"office {oid!r} is listed twice")
            desks = _parse_int(t, row, "desks", r["desks"], None)
            if desks is None:
                raise t.error(row, "desks", "desks is empty")
            offices[oid] = t.build(Office, row, dict(office=oid, desks=desks))
    loaded["offices"] = tuple(offices.values())

    t = _Table("employees", *paths["employees"])
    if len(t.df) > MAX_EMPLOYEES:
        raise InputError(f"{len(t.df)} employees, more than the {MAX_EMPLOYEES} giliran plans at once; "
                         "split the instance (by unit, for example)", file=t.label)
    employees: list[Employee] = []
    nips: dict[str, int] = {}
    for row, r in t.rows():
        nip = _nip(t, row, "nip", r["nip"])
        if nip in nips:
            raise t.error(row, "nip", f"nip {nip!r} is also on row {nips[nip]}")
        nips[nip] = row
        unit = _required_text(t, row, "unit", r["unit"])
        cat = _required_text(t, row, "category", r["category"])
        if cat not in categories:
            raise t.error(row, "category", f"unknown category {cat!r} (instance.yaml has: {', '.join(categories)})")
        team = _text(r.get("team", ""))
        if team is not None:
            if team not in teams:
                raise t.error(row, "team", f"team {team!r} is not in the teams table")
            if teams[team].unit != unit:
                raise t.error(row, "team", f"team {team!r} belongs to unit {teams[team].unit!r}, not {unit!r}")
        office = _text(r.get("office", ""))
        if office is not None and office not in offices:
            raise t.error(row, "office", f"office {office!r} is not in the offices table")
        employees.append(t.build(Employee, row, dict(
            nip=nip, unit=unit, category=cat, team=team, name=_text(r.get("name", "")),
            domicile=_text(r.get("domicile", "")),
            commute_km=_parse_decimal(t, row, "commute_km", r.get("commute_km", ""), Decimal(0)),
            essential=_parse_bool(t, row, "essential", r.get("essential", "")),
            office=office)))
    if not employees:
        raise InputError("the employees table has no rows", file=t.label, row=1)
    loaded["employees"] = tuple(employees)

    leave: list[Leave] = []
    if "leave" in paths:
        t = _Table("leave", *paths["leave"])
        for row, r in t.rows():
            nip = _nip(t, row, "nip", r["nip"])
            if nip not in nips:
                raise t.error(row, "nip", f"nip {nip!r} is not in the employees table")
            start = _parse_date(t, row, "start", r["start"])
            end = _parse_date(t, row, "end", r["end"])
            if end < start:
                raise t.error(row, "end", f"leave ends ({end}) before it starts ({start})")
            leave.append(Leave(nip=nip, start=start, end=end, type=_text(r.get("type", ""))))
    loaded["leave"] = tuple(leave)

    requests: list[Request] = []
    if "requests" in paths:
        t = _Table("requests", *paths["requests"])
        for row, r in t.rows():
            nip = _nip(t, row, "nip", r["nip"])
            if nip not in nips:
                raise t.error(row, "nip", f"nip {nip!r} is not in the employees table")
            raw_date = _required_text(t, row, "date", r["date"])
            day = weekday = None
            if raw_date.strip().lower().replace("'", "") in _WEEKDAY_NAMES:
                weekday = _weekday(raw_date)
            else:
                day = _parse_date(t, row, "date", raw_date)
                if not (window[0] <= day <= window[1]):
                    raise t.error(row, "date", f"{day} is outside the window {window[0]}..{window[1]}")
            mode = r["mode"].strip().upper()
            if mode not in ("WFH", "WFO"):
                raise t.error(row, "mode", f"mode must be WFH or WFO, got {r['mode']!r}")
            strength = (r.get("strength", "") or "prefer").strip().lower()
            if strength not in ("must", "prefer"):
                raise t.error(row, "strength", f"strength must be must or prefer, got {r.get('strength')!r}")
            weight = _parse_decimal(t, row, "weight", r.get("weight", ""), Decimal(1))
            requests.append(t.build(Request, row, dict(nip=nip, date=day, weekday=weekday, mode=mode,
                                                       strength=strength, weight=weight)))
    loaded["requests"] = tuple(requests)

    pairs: list[Pair] = []
    if "pairs" in paths:
        t = _Table("pairs", *paths["pairs"])
        for row, r in t.rows():
            a = _nip(t, row, "nip_a", r["nip_a"])
            b = _nip(t, row, "nip_b", r["nip_b"])
            for col, nip in (("nip_a", a), ("nip_b", b)):
                if nip not in nips:
                    raise t.error(row, col, f"nip {nip!r} is not in the employees table")
            if a == b:
                raise t.error(row, "nip_b", "an employee cannot be paired with themself")
            rule = (r.get("rule", "") or "cover").strip().lower()
            if rule not in ("cover", "together"):
                raise t.error(row, "rule", f"rule must be cover or together, got {r.get('rule')!r}")
            pairs.append(Pair(nip_a=a, nip_b=b, rule=rule))
    loaded["pairs"] = tuple(pairs)

    try:
        return Instance(**cfg, **loaded, input_hash="sha256:" + digest.hexdigest())
    except ValidationError as exc:
        loc, msg = _pydantic_message(exc)
        raise InputError(msg, file=y.file, key=".".join(map(str, loc)) or None) from None
