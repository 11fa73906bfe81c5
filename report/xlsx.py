"""``schedule.xlsx``: the roster as a planner reads it (SPEC §4, issue 5).

Sheets: the roster (one row per employee, one column per working date, modes
in coloured fills), the daily caps per cap group, team cover, desks (with
offices), fairness per employee, the KPIs and the calendar. Written in
openpyxl's write-only mode with one named style per mode; the bulk rows go
through :mod:`report.xlsx_stream`, so thousands of employees take well under a
second.
"""
from __future__ import annotations

from copy import copy
from numbers import Number
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, NamedStyle, PatternFill
from openpyxl.utils import get_column_letter

from models import Instance
from models.result import Result

from .i18n import tr
from .tables import CODE_MODE, MISSING, ReportTables, normalize_schedule, safe_text
from .xlsx_stream import stream_sheet

MODE_FILL = {"WFH": "C6EFCE", "WFO": "BDD7EE", "LEAVE": "D9D9D9"}
HEADER_FILL = "F2F2F2"
PHASE_FILL = "FFD966"
BINDS_FILL = "FCE4D6"
AUTHOR = "giliran"


class _Styles:
    """Named styles registered once per workbook; cells copy a ready style array (cheap) instead of
    building a style each."""

    def __init__(self, wb: Workbook, ws):
        center = Alignment(horizontal="center")
        specs = {
            "giliran-header": NamedStyle("giliran-header", font=Font(bold=True),
                                         fill=PatternFill("solid", fgColor=HEADER_FILL)),
            "giliran-phase": NamedStyle("giliran-phase", font=Font(bold=True),
                                        fill=PatternFill("solid", fgColor=PHASE_FILL), alignment=center),
            "giliran-binds": NamedStyle("giliran-binds", fill=PatternFill("solid", fgColor=BINDS_FILL)),
            "giliran-decimal": NamedStyle("giliran-decimal", number_format="0.00"),
            "giliran-percent": NamedStyle("giliran-percent", number_format="0%"),
        }
        for mode, colour in MODE_FILL.items():
            specs[f"giliran-{mode}"] = NamedStyle(f"giliran-{mode}", fill=PatternFill("solid", fgColor=colour),
                                                  alignment=center)
        self._arrays = {}
        self._shared = {}
        for name, style in specs.items():
            wb.add_named_style(style)
            cell = WriteOnlyCell(ws)
            cell.style = name
            self._arrays[name.removeprefix("giliran-")] = cell._style

    def cell(self, ws, value, style: str, comment: str | None = None) -> WriteOnlyCell:
        c = WriteOnlyCell(ws, value=value)
        c._style = copy(self._arrays[style])
        if comment:
            c.comment = Comment(comment, AUTHOR, width=260, height=90)
        return c

    def shared(self, ws, value, style: str) -> WriteOnlyCell:
        """One styled cell to append many times (the roster's 100,000s of mode cells).

        Safe in write-only mode: each row is written out before the next is taken, so
        nothing keeps the object between uses.
        """
        key = (id(ws), value, style)
        if key not in self._shared:
            self._shared[key] = self.cell(ws, value, style)
        return self._shared[key]


def _sheet(wb: Workbook, title: str, widths: list[float]):
    ws = stream_sheet(wb, title[:31])
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    return ws


def _table(ws, styles: _Styles, header: list[str], rows, freeze: str = "A2") -> None:
    ws.freeze_panes = freeze
    ws.append([styles.cell(ws, h, "header") for h in header])
    n = ws.append_rows(rows)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{n + 1}"


def _pct(cap) -> str:
    return f"{float(cap) * 100:g}%"


def write_workbook(path, instance: Instance, result: Result, *, lang: str = "en",
                   tables: ReportTables | None = None) -> Path:
    """Write the planner's workbook for a result that has a schedule.

    Parameters
    ----------
    path
        Where to write ``schedule.xlsx``.
    instance, result
        The instance and a result whose ``schedule`` is not None.
    lang
        ``en`` or ``id`` for sheet names, headers and mode labels.
    tables
        Precomputed :class:`ReportTables` (shared with the HTML report), else computed here.
    """
    if tables is None:
        tables = ReportTables(instance, normalize_schedule(result.schedule))
    t = lambda key, **kw: tr(key, lang, **kw)
    wb = Workbook(write_only=True)
    first = stream_sheet(wb, t("sheet.roster"))
    styles = _Styles(wb, first)
    _roster(wb, first, styles, instance, result, tables, t)
    _daily(wb, styles, instance, tables, t)
    if instance.teams:
        _teams(wb, styles, tables, t)
    if instance.offices:
        _offices(wb, styles, tables, t)
    _fairness(wb, styles, tables, t)
    _kpis(wb, styles, result, t)
    _calendar(wb, styles, instance, tables, t)
    path = Path(path)
    wb.save(path)
    return path


def _roster(wb, ws, styles, instance, result, tables: ReportTables, t) -> None:
    """One row per employee, one column per working date; phase dates marked, days off noted."""
    from .tables import team_day_text, team_days_by_team

    team_days = team_days_by_team(result.details)
    # The weekday when a team always meets on one, else its dates: what a planner announces.
    team_text = {}
    for team, days in team_days.items():
        weekdays, dates = team_day_text(days, t)
        team_text[team] = weekdays if len({d.weekday() for d in days}) == 1 else dates
    fixed = [t("col.nip"), t("col.name"), t("col.unit"), t("col.team"), t("col.category")]
    widths = [20, 28, 22, 18, 20]
    if team_days:
        fixed.append(t("col.team_days"))
        widths.append(min(60, max([16] + [len(v) for v in team_text.values()])))
    ws.freeze_panes = f"{get_column_letter(len(fixed) + 1)}2"
    for i, w in enumerate(widths + [11] * len(tables.days), start=1):
        ws.column_dimensions[get_column_letter(i)].width = w

    phase_note = {}
    for p in instance.phases:
        caps = ", ".join(f"{c} {_pct(v)}" for c, v in p.max_wfh.items())
        phase_note[p.name] = t("note.phase", name=p.name, caps=caps)
    holiday_names = tables.holiday_names()
    header = [styles.cell(ws, h, "header") for h in fixed]
    for day, phase, off in zip(tables.days, tables.phase_of_day, tables.days_off_before):
        notes = []
        if phase:
            notes.append(phase_note[phase])
        if off:
            notes.append(t("note.after_day_off", days=", ".join(
                f"{d.isoformat()} {holiday_names.get(d, '')}".strip() for d in off)))
        header.append(styles.cell(ws, day.isoformat(), "phase" if phase else "header", "\n".join(notes) or None))
    ws.append(header)

    mode_cell = {code: styles.shared(ws, t(f"mode.{mode}"), mode) for code, mode in CODE_MODE.items()}
    mode_cell[MISSING] = None

    def rows():
        for i, e in enumerate(instance.employees):
            row = [safe_text(e.nip), safe_text(e.name or ""), safe_text(e.unit), safe_text(e.team or ""),
                   safe_text(e.category)]
            if team_days:
                row.append(team_text.get(e.team or "", ""))
            row.extend(mode_cell[code] for code in tables.grid[i].tolist())
            yield row
    ws.append_rows(rows())
    ws.auto_filter.ref = f"A1:{get_column_letter(len(fixed) + len(tables.days))}{len(instance.employees) + 1}"


def _daily(wb, styles, instance, tables: ReportTables, t) -> None:
    """Per cap group and date: at home, present, the cap in people and whether it is reached (rule 3)."""
    team_scope = instance.cap_scope == "team"
    header = [t("col.unit")] + ([t("col.team")] if team_scope else []) + [
        t("col.category"), t("col.date"), t("col.at_home"), t("col.present"), t("col.cap_share"),
        t("col.cap"), t("col.binds")]
    ws = _sheet(wb, t("sheet.daily"), [22] + ([18] if team_scope else []) + [20, 12, 14, 12, 12, 12, 14])
    yes, no, everyone = t("yes"), t("no"), t("all")

    def rows():
        for g in tables.cap_rows:
            unit = safe_text(g.unit) if instance.cap_scope != "all" else everyone
            lead = [unit] + ([safe_text(g.team) if g.team else t("no_team")] if team_scope else [])
            lead.append(safe_text(g.category))
            for j, day in enumerate(tables.days):
                at_home, cap = int(g.at_home[j]), int(g.cap[j])
                binds = at_home >= cap
                yield lead + [day, at_home, int(g.present[j]), styles.cell(ws, float(g.cap_share[j]), "percent"),
                              cap, styles.cell(ws, yes, "binds") if binds else no]
    _table(ws, styles, header, rows())


def _teams(wb, styles, tables: ReportTables, t) -> None:
    """Per team and date: on site against the minimum (rule 4)."""
    ws = _sheet(wb, t("sheet.teams"), [20, 22, 12, 14, 12, 16])
    header = [t("col.team"), t("col.unit"), t("col.date"), t("col.onsite"), t("col.present"), t("col.minimum")]

    def rows():
        for team, unit, onsite, present, minimum in tables.team_rows:
            for j, day in enumerate(tables.days):
                yield [safe_text(team), safe_text(unit), day, int(onsite[j]), int(present[j]), int(minimum[j])]
    _table(ws, styles, header, rows())


def _offices(wb, styles, tables: ReportTables, t) -> None:
    """Per office and date: employees in the office against its desks (rule 8)."""
    ws = _sheet(wb, t("sheet.offices"), [38, 12, 14, 10, 12, 18])
    header = [t("col.office"), t("col.date"), t("col.onsite"), t("col.desks"), t("col.desk_use"),
              t("col.desks_full")]
    yes, no = t("yes"), t("no")

    def rows():
        for office, onsite, desks in tables.office_rows:
            for j, day in enumerate(tables.days):
                used = int(onsite[j])
                yield [safe_text(office), day, used, desks,
                       styles.cell(ws, used / desks if desks else 0.0, "percent"),
                       styles.cell(ws, yes, "binds") if used >= desks else no]
    _table(ws, styles, header, rows())


def _fairness(wb, styles, tables: ReportTables, t) -> None:
    """Per employee who may take WFH: present days, WFH days, fair share, deviation (SPEC §3)."""
    ws = _sheet(wb, t("sheet.fairness"), [20, 28, 22, 18, 20, 12, 12, 20, 16])
    header = [t("col.nip"), t("col.name"), t("col.unit"), t("col.team"), t("col.category"),
              t("col.present_days"), t("col.wfh_days"), t("col.fair_share"), t("col.deviation")]

    def rows():
        for r in tables.fairness.itertuples(index=False):
            yield [safe_text(r.nip), safe_text(r.name), safe_text(r.unit), safe_text(r.team), safe_text(r.category),
                   r.present_days, r.wfh_days, styles.cell(ws, r.fair_share, "decimal"),
                   styles.cell(ws, r.deviation, "decimal")]
    _table(ws, styles, header, rows(), freeze="C2")


def _kpis(wb, styles, result: Result, t) -> None:
    """Status, each goal's value and bound, the KPIs and timings."""
    ws = _sheet(wb, t("sheet.kpis"), [38, 18, 14, 12, 16])
    ws.append([styles.cell(ws, t("status"), "header"), safe_text(t(f"status.{result.status}"))])
    ws.append([])
    ws.append([styles.cell(ws, h, "header") for h in
               (t("col.goal"), t("col.value"), t("col.bound"), t("col.gap"), t("col.proven"))])
    for g in result.goals:
        ws.append([t(f"goal.{g.goal}"), g.value, g.bound, g.gap, t("yes") if g.proven else t("no")])
    ws.append([])
    ws.append([styles.cell(ws, t("col.indicator"), "header"), styles.cell(ws, t("col.value"), "header")])
    for key, value in result.kpis.items():
        if isinstance(value, Number) and not isinstance(value, (int, float)):
            value = float(value)  # Decimal or Fraction from the checker
        ws.append([t(f"kpi.{key}"), value if isinstance(value, (int, float)) else str(value)])
    ws.append([t("kpi.solve_seconds"), round(result.solve_seconds, 3)])
    ws.append([t("kpi.build_seconds"), round(result.build_seconds, 3)])


def _calendar(wb, styles, instance: Instance, tables: ReportTables, t) -> None:
    """The phases with their caps and the days off inside the window."""
    ws = _sheet(wb, t("sheet.calendar"), [24, 12, 12, 50])
    ws.append([styles.cell(ws, h, "header") for h in (t("col.phase"), t("col.start"), t("col.end"), t("col.cap_share"))])
    for p in instance.phases:
        ws.append([safe_text(p.name), p.start, p.end, ", ".join(f"{c} {_pct(v)}" for c, v in p.max_wfh.items())])
    ws.append([])
    ws.append([styles.cell(ws, h, "header") for h in (t("col.day_off"), t("col.name"))])
    for day, name in tables.holiday_names().items():
        ws.append([day, safe_text(name)])
