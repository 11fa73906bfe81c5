"""giliran's command line (SPEC §5): parse, call the library, print, map outcomes to exit codes.

Exit codes: 0 done (a schedule, optimal, feasible or relaxed; a roster without
violations), 1 a checked roster breaks rules (or, a bug, the solver's schedule
failed the independent check), 2 bad input or usage, 3 infeasible, 4 no schedule
within the time limit.

``--lang``, ``--quiet`` and ``--verbose`` are accepted by the group
(``giliran --lang id solve``) and by every command (``giliran solve --lang id``);
the command's own wins.
"""
from __future__ import annotations

import importlib.metadata
import os
import platform
import shlex
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path
from types import SimpleNamespace

import click
from rich.console import Console
from rich.table import Table

EXIT_OK, EXIT_VIOLATIONS, EXIT_BAD_INPUT, EXIT_INFEASIBLE, EXIT_UNKNOWN = 0, 1, 2, 3, 4
STATUS_EXIT = {"OPTIMAL": EXIT_OK, "FEASIBLE": EXIT_OK, "RELAXED": EXIT_OK, "INFEASIBLE": EXIT_INFEASIBLE,
               "UNKNOWN": EXIT_UNKNOWN}
BUNDLED = Path("instances") / "jakarta-2023"
MAX_ROWS_SHOWN = 50

# Terminal phrases of the command line itself; report/i18n.py holds every other label.
_CLI_TEXT = {
    "more": ("... and {n} more", "... dan {n} lainnya"),
    "violations": ("Violations", "Pelanggaran"),
    "violations.total": ("Violations (all rules)", "Pelanggaran (semua aturan)"),
    "differing": ("Employee-days that differ", "Hari-orang yang berbeda"),
    "roster": ("Roster", "Jadwal"),
    "whatif": ("What-if variants", "Varian bagaimana-jika"),
    "binding_caps": ("Cap group-days at the cap", "Hari-kelompok pada batas"),
    "binding_team_days": ("Team-days at the minimum", "Hari-tim pada minimum"),
    "infeasibility": ("Why not", "Alasan"),
    "written": ("Written to {path}", "Ditulis ke {path}"),
    "generated": ("Instance written to {path}", "Instans ditulis ke {path}"),
    "variant": ("Variant {i}/{n} ({changes}): {status}", "Varian {i}/{n} ({changes}): {status}"),
}


def _t(key: str, lang: str, **values) -> str:
    from report import tr

    if key in _CLI_TEXT:
        text = _CLI_TEXT[key][lang == "id"]
        return text.format(**values) if values else text
    return tr(key, lang, **values)


# ---------------------------------------------------------------------------- common options
class Settings:
    """What every command reads: the language, and how much to print."""

    def __init__(self, lang: str = "en", quiet: bool = False, verbose: bool = False):
        self.lang, self.quiet, self.verbose = lang, quiet, verbose
        self.out = Console(highlight=False)
        if not self.out.is_terminal:  # a file or a pipe: no need to squeeze tables into 80 columns
            self.out = Console(highlight=False, width=160)
        self.err = Console(stderr=True, highlight=False)


def _common(command):
    """``--lang``, ``--quiet``, ``--verbose`` on a command, falling back to the group's."""
    command = click.option("--verbose", is_flag=True, default=None, help="Show the solver's search log.")(command)
    command = click.option("--quiet", "-q", is_flag=True, default=None, help="Print only results and errors.")(command)
    command = click.option("--lang", type=click.Choice(["en", "id"]), default=None,
                           help="Language of what a planner reads (default en).")(command)
    return command


def _search(command):
    """``--time-limit``, ``--workers``, ``--seed``: how :func:`solver.solve` searches (per variant for whatif)."""
    command = click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0),
                           help="The solver's random seed.")(command)
    command = click.option("--workers", type=click.IntRange(min=1), default=None,
                           help="Processes (default: all cores).")(command)
    command = click.option("--time-limit", default=60.0, show_default=True,
                           type=click.FloatRange(min=0, min_open=True),
                           help="Seconds for the search (whatif: per variant).")(command)
    return command


def _settings(lang, quiet, verbose) -> Settings:
    group = click.get_current_context().find_object(Settings) or Settings()
    return Settings(lang or group.lang, group.quiet if quiet is None else quiet,
                    group.verbose if verbose is None else verbose)


def _fail(message: str, code: int = EXIT_BAD_INPUT):
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _load(folder):
    from models import InputError, Instance

    try:
        return Instance.load(folder)
    except InputError as exc:
        _fail(str(exc))


def _pseudonyms(instance):
    from report.anonymize import Pseudonyms

    return Pseudonyms(instance)


def _bundled_instance() -> Path:
    here = Path(__file__).resolve().parent / BUNDLED
    return here if here.exists() else Path.cwd() / BUNDLED


def _run_info(instance, instance_path, *, seed, workers, time_limit) -> dict:
    import ortools

    context = click.get_current_context(silent=True)
    try:
        version = importlib.metadata.version("giliran")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    return {
        "giliran": version,
        "ortools": ortools.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "seed": seed,
        "workers": workers or os.cpu_count() or 1,
        "time_limit": time_limit,
        "instance": str(instance_path),
        "input_hash": instance.input_hash,
        "command": " ".join(shlex.quote(a) for a in ["giliran", *sys.argv[1:]]),
        "parameters": dict(sorted(context.params.items())) if context else {},   # every option, defaults too
    }


# ---------------------------------------------------------------------------- the group
@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--lang", type=click.Choice(["en", "id"]), default="en", help="Language of what a planner reads.")
@click.option("--quiet", "-q", is_flag=True, help="Print only results and errors.")
@click.option("--verbose", is_flag=True, help="Show the solver's search log.")
@click.version_option(package_name="giliran")
@click.pass_context
def main(ctx, lang, quiet, verbose):
    """giliran: plan who works from home and who from the office, under policy caps, proven optimal."""
    ctx.obj = Settings(lang, quiet, verbose)


# ---------------------------------------------------------------------------- solve
@main.command()
@click.argument("instance", required=False, type=click.Path(path_type=Path))
@click.option("-o", "--out", "out_dir", default="out", show_default=True, type=click.Path(path_type=Path),
              help="Output folder (written all at once, or not at all).")
@click.option("--previous", type=click.Path(path_type=Path), default=None,
              help="Re-plan: a schedule written before (schedule.csv); keep its days before --from.")
@click.option("--from", "replan_from", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Re-plan from this date (YYYY-MM-DD): earlier days stay as in --previous.")
@click.option("--stability", type=click.Choice(["first", "last"]), default="last", show_default=True,
              help="Re-plan: change as few later days as possible after the instance's goals, or before them.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Solve the independent parts on a Dask distributed cluster (tcp://host:port).")
@click.option("--anonymize", is_flag=True,
              help="Write and print stable pseudonyms (E-...) instead of NIPs and names, to share the outputs.")
@click.option("--relax", "relax", default=None, metavar="FAMILIES",
              help="Closest schedule when the rules cannot all hold: these rule families (comma-separated: "
                   "coverage, requests, weekly, consecutive, desks, teamdays, pairs) may be broken, as little "
                   "as possible; status RELAXED. Caps and essential services always hold.")
@click.option("--resume", is_flag=True,
              help="Pick up a run that was cut short: parts it finished (kept beside OUT) are not solved again.")
@_search
@_common
def solve(instance, out_dir, time_limit, workers, seed, lang, quiet, verbose, previous=None, replan_from=None,
          stability="last", scheduler=None, anonymize=False, relax=None, resume=False):
    """Solve INSTANCE (default: the bundled instances/jakarta-2023) and write OUT.

    Exit 0 with a schedule, 3 if no schedule keeps every rule, 4 if none was found
    within the time limit, 2 on bad input.
    """
    from report import OutputFolderError, SolveProgress, print_summary, write_outputs
    from report.writer import _check_replaceable
    from solver import ScheduleRejected
    from solver import solve as solve_instance

    s = _settings(lang, quiet, verbose)
    path = instance if instance is not None else _bundled_instance()
    inst = _load(path)
    try:
        _check_replaceable(Path(out_dir).absolute())  # before a long search, not after
    except OutputFolderError as exc:
        _fail(str(exc))
    if (previous is None) != (replan_from is None):
        _fail("re-planning needs both --previous SCHEDULE and --from DATE")
    previous_schedule = _read_roster(previous, inst) if previous is not None else None
    extra = {}
    if relax is not None:
        from solver.relax import parse_families

        try:
            extra["relax"] = parse_families(relax)
        except ValueError as exc:
            _fail(f"--relax: {exc}")
        if not extra["relax"]:
            _fail("--relax: name at least one rule family")
    # finished parts are kept beside OUT while the run lasts, so that --resume can pick them up
    checkpoint = Path(out_dir).absolute().parent / f".{Path(out_dir).absolute().name}.resume"
    if not resume and checkpoint.exists():
        shutil.rmtree(checkpoint, ignore_errors=True)
    if not extra.get("relax"):
        extra.update(checkpoint=checkpoint, resume=resume)
    try:
        with SolveProgress(lang=s.lang, quiet=s.quiet, console=s.err) as progress:
            result = solve_instance(inst, time_limit=time_limit, workers=workers, seed=seed, log=s.verbose,
                                    progress=progress, previous=previous_schedule,
                                    replan_from=replan_from.date() if replan_from else None,
                                    stability=stability, scheduler=scheduler, **extra)
    except ScheduleRejected as exc:
        shutil.rmtree(checkpoint, ignore_errors=True)
        reason = _pseudonyms(inst).text(str(exc)) if anonymize else exc
        _fail(f"the solver's schedule failed the independent check (a bug; nothing written): {reason}",
              EXIT_VIOLATIONS)
    # the schedule is final: a Ctrl-C from here on would lose it, so it waits until the files are written
    interrupt = signal.signal(signal.SIGINT, signal.SIG_IGN) if threading.current_thread() is threading.main_thread() \
        else None
    try:
        if anonymize:
            from report.anonymize import anonymize as pseudonymize

            inst, result = pseudonymize(inst, result)
        info = _run_info(inst, path, seed=seed, workers=workers, time_limit=time_limit)
        formats = ("json",) if result.status == "UNKNOWN" else ("csv", "json", "xlsx", "html")
        write_outputs(out_dir, inst, result, lang=s.lang, run_info=info, formats=formats)
    except OutputFolderError as exc:
        _fail(str(exc))
    finally:
        if interrupt is not None:
            signal.signal(signal.SIGINT, interrupt)
    if result.status != "UNKNOWN" and not result.details.get("interrupted"):
        shutil.rmtree(checkpoint, ignore_errors=True)
    if not s.quiet:
        print_summary(result, lang=s.lang, console=s.out)
    if result.infeasibility:
        s.out.print(_infeasibility_table(result.infeasibility, s.lang))
    if result.status == "RELAXED" and result.violations and not s.quiet:
        s.out.print(_violation_table([SimpleNamespace(**v) for v in result.violations], s.lang))
    replan = result.details.get("replan")
    if replan and not s.quiet:
        s.out.print(f"re-planned from {replan['from']}: {replan['days_changed']} later employee-days changed, "
                    f"{len(replan['employees_affected'])} employees affected (listed in report.json)", markup=False)
    if not s.quiet:
        s.out.print(_t("written", s.lang, path=out_dir), markup=False)
    sys.exit(STATUS_EXIT.get(result.status, EXIT_VIOLATIONS))


def _infeasibility_table(entries: list[dict], lang: str) -> Table:
    """The clashing rules (``Result.infeasibility``): one row each, with the sentence that explains it."""
    table = Table(title=_t("title.infeasibility", lang), header_style="bold", show_lines=True)
    for key in ("col.rule", "col.date", "col.unit", "col.team", "col.needed", "col.possible", "col.message"):
        table.add_column(_t(key, lang), justify="right" if key in ("col.needed", "col.possible") else "left")
    text = lambda v: "" if v is None else str(v)
    for e in entries[:MAX_ROWS_SHOWN]:
        rule = e.get("rule")
        label = _t(f"rule.{rule}", lang)
        table.add_row(rule if label == f"rule.{rule}" else label, text(e.get("date") or e.get("week")),
                      text(e.get("unit")), text(e.get("team") or e.get("office")), text(e.get("needed")),
                      text(e.get("possible")), text(e.get("message")))
    if len(entries) > MAX_ROWS_SHOWN:
        table.caption = _t("more", lang, n=len(entries) - MAX_ROWS_SHOWN)
    return table


# ---------------------------------------------------------------------------- check
def _violation_table(violations, lang: str) -> Table:
    table = Table(title=_t("title.violations", lang), header_style="bold")
    for key in ("col.rule", "col.date", "col.unit", "col.category", "col.team", "col.employee", "col.limit",
                "col.actual"):
        table.add_column(_t(key, lang), justify="right" if key in ("col.limit", "col.actual") else "left")
    text = lambda v: "" if v is None else str(v)
    for v in violations[:MAX_ROWS_SHOWN]:
        table.add_row(_t(f"rule.{v.rule_name}", lang), text(v.date or v.week), text(v.unit), text(v.category),
                      text(v.team or v.office), text(v.employee), text(v.limit), text(v.actual))
    if len(violations) > MAX_ROWS_SHOWN:
        table.caption = _t("more", lang, n=len(violations) - MAX_ROWS_SHOWN)
    return table


def _write_atomic(path: Path, write) -> None:
    """Write a file by ``write(tmp_path)`` then one rename: the file is whole or absent."""
    path = Path(path).absolute()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_roster(path, inst):
    from models import InputError
    from models.roster import read_roster

    try:
        return read_roster(path, inst)
    except InputError as exc:
        _fail(str(exc))


@main.command()
@click.argument("instance", type=click.Path(path_type=Path))
@click.argument("roster", type=click.Path(path_type=Path))
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Write violations, counts and figures.")
@click.option("--xlsx", "xlsx_path", type=click.Path(path_type=Path), help="Write the roster's workbook.")
@click.option("--anonymize", is_flag=True, help="Write and print stable pseudonyms instead of NIPs and names.")
@_common
def check(instance, roster, json_path, xlsx_path, lang, quiet, verbose, anonymize=False):
    """Check ROSTER (long nip,date,mode or a grid; CSV or XLSX) against every rule of INSTANCE.

    Exit 0 if it keeps every rule, 1 if it breaks some, 2 on bad input.
    """
    from models.result import Result
    from report import print_summary
    from report.writer import _plain, dump_json
    from report.xlsx import write_workbook
    from solver.check import check as check_roster

    s = _settings(lang, quiet, verbose)
    inst = _load(instance)
    table = _read_roster(roster, inst)
    if anonymize:
        pseudonyms = _pseudonyms(inst)
        inst, table = pseudonyms.instance(inst), pseudonyms.roster(table)
    result = check_roster(inst, table)
    if json_path is not None:
        content = dump_json(_plain({"violations": [v.as_dict() for v in result.violations],
                                    "counts": result.counts(), "figures": result.figures}))
        _write_atomic(json_path, lambda p: p.write_text(content, encoding="utf-8"))
    if xlsx_path is not None:
        checked = Result("OK" if result.ok else "VIOLATIONS", table, kpis=dict(result.figures),
                         violations=[v.as_dict() for v in result.violations])
        _write_atomic(xlsx_path, lambda p: write_workbook(p, inst, checked, lang=s.lang))
    if result.violations:
        s.out.print(_violation_table(result.violations, s.lang))
    if not s.quiet:
        print_summary(result, lang=s.lang, console=s.out)
    sys.exit(EXIT_OK if result.ok else EXIT_VIOLATIONS)


# ---------------------------------------------------------------------------- compare
def _labels(paths) -> list[str]:
    """Roster file names, made unique with their folder where two share a name."""
    names = [p.name for p in paths]
    return [str(p) if names.count(p.name) > 1 else p.name for p in paths]


@main.command()
@click.argument("instance", type=click.Path(path_type=Path))
@click.argument("rosters", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--csv", "csv_path", type=click.Path(path_type=Path),
              help="Write one row per roster: figures, violations per rule, days differing from each other.")
@_common
def compare(instance, rosters, csv_path, lang, quiet, verbose):
    """The figures and violation counts of several ROSTERS side by side, and how much they differ."""
    from report.tables import fmt_number
    from solver.whatif import compare_rosters

    s = _settings(lang, quiet, verbose)
    inst = _load(instance)
    labels = _labels(rosters)
    if len(set(labels)) < len(labels):
        _fail("a roster is named twice")
    figures, pairs = compare_rosters(inst, {label: _read_roster(p, inst) for label, p in zip(labels, rosters)})

    table = Table(title=_t("title.summary", s.lang), header_style="bold")
    table.add_column(_t("col.indicator", s.lang))
    for label in labels:
        table.add_column(label, justify="right")
    for column in figures.columns:
        if column.startswith("violations."):
            name = _t(f"rule.{column.split('.', 1)[1]}", s.lang)
        elif column == "violations":
            name = _t("violations.total", s.lang)
        else:
            name = _t(f"kpi.{column}", s.lang)
        table.add_row(name, *(fmt_number(figures.at[label, column]) for label in labels))
    s.out.print(table)
    if len(pairs):
        diff = Table(title=_t("differing", s.lang), header_style="bold")
        diff.add_column(_t("roster", s.lang))
        diff.add_column(_t("roster", s.lang))
        diff.add_column(_t("col.count", s.lang), justify="right")
        for a, b, n in pairs.itertuples(index=False):
            diff.add_row(a, b, str(n))
        s.out.print(diff)
    if csv_path is not None:
        out = figures.copy()
        for label in labels:
            out[f"days_differing.{label}"] = [0 if other == label else int(pairs.loc[
                ((pairs.a == label) & (pairs.b == other)) | ((pairs.a == other) & (pairs.b == label)),
                "days_differing"].iloc[0]) for other in out.index]
        from report.writer import write_table_csv

        _write_atomic(csv_path, lambda p: write_table_csv(p, out, index=True))
    sys.exit(EXIT_OK)


# ---------------------------------------------------------------------------- generate
@main.command()
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--employees", required=True, type=click.IntRange(min=1), help="How many employees.")
@click.option("--units", required=True, type=click.IntRange(min=1), help="How many units (agencies).")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0),
              help="Random seed: the same arguments give the same files.")
@click.option("--no-hybrid-rules", is_flag=True, help="No offices (desks), pairs or team days.")
@click.option("--max-consecutive-wfh", type=click.IntRange(min=1), default=None,
              help="Rule 6 in instance.yaml (default off).")
@click.option("--min-wfo-per-week", type=click.IntRange(min=0, max=7), default=2, show_default=True,
              help="Rule 7 in instance.yaml.")
@_common
def generate(out, employees, units, seed, no_hybrid_rules, max_consecutive_wfh, min_wfo_per_week,
             lang, quiet, verbose):
    """Write a synthetic instance shaped like Jakarta's civil service into OUT (for benchmarks and trials)."""
    from models.generate import generate_instance

    s = _settings(lang, quiet, verbose)
    try:
        path = generate_instance(out, employees, units, seed, hybrid_rules=not no_hybrid_rules,
                                 max_consecutive_wfh=max_consecutive_wfh, min_wfo_per_week=min_wfo_per_week)
    except ValueError as exc:
        _fail(str(exc))
    if not s.quiet:
        s.out.print(_t("generated", s.lang, path=path), markup=False)
    sys.exit(EXIT_OK)


# ---------------------------------------------------------------------------- whatif
@main.command()
@click.argument("instance", type=click.Path(path_type=Path))
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE",
              help="A change every variant gets, e.g. categories.administrasi.max_wfh=0.6 (repeatable).")
@click.option("--sweep", metavar="KEY=START:STOP:STEP", help="One variant per value, STOP included.")
@click.option("--baseline", is_flag=True, help="Also solve the instance unchanged, as the first row.")
@click.option("-o", "--out", "out_dir", default="whatif", show_default=True, type=click.Path(path_type=Path),
              help="Output folder: whatif.csv, whatif.png (with --sweep) and a folder per variant.")
@click.option("--anonymize", is_flag=True, help="Write and print stable pseudonyms instead of NIPs and names.")
@_search
@_common
def whatif(instance, settings, sweep, baseline, out_dir, time_limit, workers, seed, lang, quiet, verbose,
           anonymize=False):
    """Solve variants of INSTANCE changed by --set and --sweep, and tabulate their figures.

    Keys: categories.<id>.max_wfh, phases.<name>.max_wfh.<category>, phases.<name>.start|end,
    rules.max_consecutive_wfh, rules.min_wfo_per_week, teams.<id>.min_onsite|min_onsite_ratio|
    team_days_per_week, offices.<id>.desks, cap_scope, objective. An unknown key or a bad value
    exits 2 naming the key; an infeasible variant is a row with its reason.
    """
    import pandas as pd

    from models import InputError
    from report import OutputFolderError
    from report.tables import fmt_number
    from solver import ScheduleRejected
    from solver.whatif import FIGURES, check_whatif_folder, parse_setting, run_variants, sweep_values

    s = _settings(lang, quiet, verbose)
    inst = _load(instance)
    try:
        common = dict(parse_setting(text) for text in settings)
        sweep_key = None
        variants = [common]
        if sweep:
            sweep_key, values = sweep_values(sweep)
            variants = [{**common, sweep_key: value} for value in values]
        if baseline:
            variants.insert(0, {})
        check_whatif_folder(out_dir)
        def for_each(i, row):
            changes = ", ".join(f"{k}={v}" for k, v in variants[i].items()) or "baseline"
            s.err.print(_t("variant", s.lang, i=i + 1, n=len(variants), changes=changes, status=row["status"]),
                        markup=False, soft_wrap=True)
        table = run_variants(inst, variants, time_limit=time_limit, workers=workers, seed=seed, out_dir=out_dir,
                             sweep=sweep_key, lang=s.lang, log=s.verbose, on_variant=None if s.quiet else for_each, anonymize=anonymize,
                             run_info=_run_info(inst, instance, seed=seed, workers=workers, time_limit=time_limit))
    except (InputError, OutputFolderError) as exc:
        _fail(str(exc))
    except ScheduleRejected as exc:
        _fail(f"the solver's schedule failed the independent check (a bug; nothing written): {exc}",
              EXIT_VIOLATIONS)

    shown = Table(title=_t("whatif", s.lang), header_style="bold")
    figures = [*FIGURES, "solve_seconds"]
    keys = [c for c in table.columns if c not in (*figures, "status", "infeasibility", "folder")]
    for k in keys:
        shown.add_column(k)
    shown.add_column(_t("status", s.lang))
    for f in figures:
        shown.add_column(_t(f if f.startswith("binding") else f"kpi.{f}", s.lang), justify="right")
    for _, row in table.iterrows():
        shown.add_row(*("" if pd.isna(row[k]) else str(row[k]) for k in keys), _t(f"status.{row['status']}", s.lang),
                      *("-" if pd.isna(row[f]) else fmt_number(row[f]) for f in figures))
    s.out.print(shown)
    for _, row in table.iterrows():
        if row["infeasibility"]:
            s.out.print(f"- {row.get('folder', '')}: {row['infeasibility']}", markup=False)
    if not s.quiet:
        s.out.print(_t("written", s.lang, path=out_dir), markup=False)
    sys.exit(EXIT_OK)


if __name__ == "__main__":
    main()
