"""``report.html``: one self-contained page (SPEC §4): KPIs, goals, charts, problems.

Charts are drawn with matplotlib's Agg canvas (no pyplot, no global backend
switch) and embedded as base64 PNG, so the page opens offline and prints to A4.
"""
from __future__ import annotations

import base64
import datetime as dt
import html
import io
import json
from pathlib import Path

import numpy as np

from models import Instance
from models.result import Result

from .i18n import tr
from .tables import ReportTables, fmt_number, normalize_schedule, team_day_text, team_days_by_team

COLOURS = {"WFH": "#4caf50", "WFO": "#5b9bd5", "LEAVE": "#bdbdbd", "cap": "#c0392b", "phase": "#ffd966"}

CSS = """
body{font-family:"DejaVu Sans",Arial,Helvetica,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:1.6em;margin:0 0 4px}h2{font-size:1.2em;margin:28px 0 8px;border-bottom:1px solid #ccc}
.sub{color:#555;margin-bottom:16px}
.status{display:inline-block;padding:2px 10px;border-radius:4px;font-weight:bold;color:#fff}
.s-OPTIMAL,.s-OK{background:#2e7d32}.s-FEASIBLE{background:#558b2f}.s-RELAXED{background:#ef6c00}
.s-INFEASIBLE,.s-UNKNOWN,.s-VIOLATIONS{background:#c62828}
.kpis{display:flex;flex-wrap:wrap;gap:10px}
.kpi{border:1px solid #ddd;border-radius:6px;padding:8px 12px;min-width:150px}
.kpi .v{font-size:1.4em;font-weight:bold}.kpi .k{color:#555;font-size:.85em}
table{border-collapse:collapse;font-size:.85em;margin:6px 0}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f2f2f2}td.n{text-align:right}
img{max-width:100%;height:auto}
.note{color:#666;font-size:.85em}
table.team-days td:nth-child(-n+3),table.desks td{white-space:nowrap}
.bar{display:inline-block;width:60px;height:8px;background:#e0e0e0;vertical-align:middle}
.bar span{display:block;height:100%;background:#5b9bd5}
@page{size:A4;margin:12mm}
@media print{body{margin:0;max-width:none;font-size:10pt}
 h2{break-after:avoid}figure,img,.kpis,table{break-inside:avoid}img{max-width:100%}}
"""

MAX_TABLE_ROWS = 500
DPI = 90
CAP_LINE_STYLES = ("-", "--", ":", "-.")
KPI_ORDER = ("employees", "working_days", "wfh_days", "wfo_days", "leave_days", "wfh_rate",
             "fairness_max_dev_days", "preferences_met_weight", "commute_km_avoided")


def _e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _png(fig) -> str:
    # Margins are set by hand (see _margins): bbox_inches="tight" or a layout engine would draw each
    # figure twice, and the charts are most of the report's time.
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _title(ax, text: str, **kw) -> None:
    # y=1.0 is where matplotlib puts these titles anyway (nothing of the axes is drawn above them:
    # no top ticks, and counts stay far below the millions that would add a "1e6" offset text);
    # given, it skips measuring the axes' tick labels on each draw to find that out.
    ax.set_title(text, y=1.0, **kw)


def _margins(fig, *, left: float, right: float, top: float, bottom: float, **space) -> dict:
    """Gridspec margins from sizes in inches (label room around the axes), as figure fractions."""
    width, height = fig.get_size_inches()
    return dict(left=left / width, right=1 - right / width, top=1 - top / height, bottom=bottom / height, **space)


def _text_inches(texts, fontsize: float) -> float:
    """About how wide the longest text is when drawn (DejaVu Sans averages under 0.6 em a character)."""
    return max((len(x) for x in texts), default=0) * fontsize * 0.58 / 72


def _date_ticks(ax, days: list[dt.date], axis: str = "x") -> None:
    step = max(1, len(days) // 22)
    idx = list(range(0, len(days), step))
    labels = [days[i].strftime("%d/%m") for i in idx]
    if axis == "x":
        ax.set_xticks(idx)
        ax.set_xticklabels(labels, rotation=90, fontsize=7)


def _phase_spans(ax, tables: ReportTables) -> None:
    """Shade the runs of working days that fall in a phase."""
    j = 0
    phases = tables.phase_of_day
    while j < len(phases):
        if phases[j]:
            k = j
            while k + 1 < len(phases) and phases[k + 1] == phases[j]:
                k += 1
            ax.axvspan(j - 0.5, k + 0.5, color=COLOURS["phase"], alpha=0.35, lw=0, zorder=0)
            j = k + 1
        else:
            j += 1


def heatmap_chart(instance: Instance, tables: ReportTables, lang: str) -> str:
    """At-home share per unit × category and date, the caps above it, phase dates shaded."""
    from matplotlib.figure import Figure

    labels, share = tables.unit_category_share
    may_wfh = {c for c, caps in tables.caps.items() if any(x > 0 for x in caps)}
    keep = [r for r, (_, cat) in enumerate(labels) if cat in may_wfh]
    labels = [labels[r] for r in keep]
    share = share[keep] if keep else np.zeros((0, len(tables.days)))
    rows = max(len(labels), 1)
    height = min(2.2 + 0.17 * rows, 40)
    fontsize = 6 if len(labels) > 40 else 7
    names = [f"{u} · {c}" for u, c in labels] if len(labels) <= 150 else []
    fig = Figure(figsize=(11, height + 1.6))
    grid = fig.add_gridspec(2, 2, height_ratios=[1.4, height], width_ratios=[40, 1], hspace=0.06, wspace=0.02,
                            **_margins(fig, left=0.4 + _text_inches(names, fontsize), right=0.55, top=0.55,
                                       bottom=0.75))
    ax_cap = fig.add_subplot(grid[0, 0])
    ax = fig.add_subplot(grid[1, 0], sharex=ax_cap)
    ax_bar = fig.add_subplot(grid[1, 1])
    x = np.arange(len(tables.days))
    # Categories often share a cap: distinct line styles keep each one visible.
    for k, (cat, caps) in enumerate(tables.caps.items()):
        ax_cap.step(x, [float(c) for c in caps], where="mid", label=cat, lw=1.6,
                    ls=CAP_LINE_STYLES[k % len(CAP_LINE_STYLES)])
    _phase_spans(ax_cap, tables)
    ax_cap.set_ylim(-0.05, 1.05)
    ax_cap.set_ylabel(tr("title.caps", lang), fontsize=7)
    ax_cap.legend(fontsize=7, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=len(tables.caps),
                  frameon=False, borderaxespad=0.2)
    ax_cap.tick_params(labelbottom=False, labelsize=7)
    _title(ax_cap, tr("title.heatmap", lang), fontsize=11, loc="left")
    image = ax.imshow(np.ma.masked_invalid(share), aspect="auto", cmap="YlOrRd", vmin=0, vmax=1,
                      interpolation="nearest")
    if instance.cap_scope == "unit":
        # A dot where the group's at-home count has reached its cap.
        index = {(g.unit, g.category): g for g in tables.cap_rows}
        ys, xs = [], []
        for r, key in enumerate(labels):
            g = index.get(key)
            if g is not None:
                hit = np.nonzero((g.at_home >= g.cap) & (g.cap > 0))[0]
                ys.extend([r] * len(hit))
                xs.extend(hit.tolist())
        if xs:
            ax.scatter(xs, ys, s=4, c="#222", marker="o", linewidths=0)
    for j, phase in enumerate(tables.phase_of_day):
        if phase and (j == 0 or tables.phase_of_day[j - 1] != phase):
            ax.axvline(j - 0.5, color="#7f6000", lw=1.2)
        if phase and (j == len(tables.days) - 1 or tables.phase_of_day[j + 1] != phase):
            ax.axvline(j + 0.5, color="#7f6000", lw=1.2)
    if names:
        ax.set_yticks(range(len(labels)))
        ax.set_yticklabels(names, fontsize=fontsize)
    else:
        ax.set_yticks([])
    _date_ticks(ax, tables.days)
    ax.set_xlabel(tr("axis.date", lang), fontsize=8)
    fig.colorbar(image, cax=ax_bar).set_label(tr("axis.share", lang), fontsize=8)
    ax_bar.tick_params(labelsize=7)
    return _png(fig)


def daily_chart(tables: ReportTables, lang: str) -> str:
    """Employees at home, in the office and on leave per day, and how many the caps allow at home."""
    from matplotlib.figure import Figure

    from .tables import LEAVE, WFH, WFO

    x = np.arange(len(tables.days))
    wfh = (tables.grid == WFH).sum(axis=0)
    wfo = (tables.grid == WFO).sum(axis=0)
    leave = (tables.grid == LEAVE).sum(axis=0)
    allowed = np.zeros(len(tables.days), dtype=np.int64)
    for g in tables.cap_rows:
        allowed += g.cap
    fig = Figure(figsize=(11, 3.6))
    fig.subplots_adjust(**_margins(fig, left=0.65, right=0.75 + _text_inches(
        [tr(k, lang) for k in ("legend.cap_total", "legend.wfh")], 7), top=0.35, bottom=0.7))
    ax = fig.add_subplot()
    _phase_spans(ax, tables)
    ax.bar(x, wfh, color=COLOURS["WFH"], label=tr("legend.wfh", lang), width=0.8)
    ax.bar(x, wfo, bottom=wfh, color=COLOURS["WFO"], label=tr("legend.wfo", lang), width=0.8)
    ax.bar(x, leave, bottom=wfh + wfo, color=COLOURS["LEAVE"], label=tr("legend.leave", lang), width=0.8)
    ax.step(x, allowed, where="mid", color=COLOURS["cap"], lw=2, label=tr("legend.cap_total", lang))
    ax.set_ylabel(tr("axis.people", lang), fontsize=8)
    _title(ax, tr("title.daily", lang), fontsize=11)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.tick_params(labelsize=7)
    ax.set_xlim(-0.6, len(x) - 0.4)
    _date_ticks(ax, tables.days)
    return _png(fig)


def fairness_chart(tables: ReportTables, lang: str) -> str | None:
    """WFH days per employee against the fair share, and the distribution of the deviation."""
    from matplotlib.figure import Figure

    df = tables.fairness
    if df.empty:
        return None
    fig = Figure(figsize=(11, 3.8))
    ax, ax_hist = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2], **_margins(
        fig, left=0.6, right=0.15, top=0.35, bottom=0.5, wspace=0.2)})
    top = float(max(df["fair_share"].max(), df["wfh_days"].max(), 1))
    ax.plot([0, top], [0, top], color=COLOURS["cap"], lw=1, label=tr("legend.fair", lang))
    ax.scatter(df["fair_share"], df["wfh_days"], s=8, alpha=0.35, color=COLOURS["WFH"], linewidths=0)
    ax.set_xlabel(tr("axis.fair_share", lang), fontsize=8)
    ax.set_ylabel(tr("axis.wfh_days", lang), fontsize=8)
    _title(ax, tr("title.fairness", lang), fontsize=10)
    ax.legend(fontsize=7, loc="upper left")
    ax.tick_params(labelsize=7)
    ax_hist.hist(df["deviation"], bins=20, color=COLOURS["WFO"])
    ax_hist.set_xlabel(tr("axis.deviation", lang), fontsize=8)
    ax_hist.set_ylabel(tr("axis.people", lang), fontsize=8)
    _title(ax_hist, tr("title.deviation", lang), fontsize=10)
    ax_hist.tick_params(labelsize=7)
    return _png(fig)


def _rows_table(rows: list[dict], columns: list[tuple[str, str]], lang: str) -> str:
    """A table of dicts, at most MAX_TABLE_ROWS rows shown."""
    out = ["<table><tr>" + "".join(f"<th>{_e(tr(label, lang))}</th>" for _, label in columns) + "</tr>"]
    for row in rows[:MAX_TABLE_ROWS]:
        cells = []
        for key, _ in columns:
            v = row.get(key)
            if isinstance(v, (list, tuple)):
                v = ", ".join(map(str, v))
            cells.append(f"<td>{_e(v)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    if len(rows) > MAX_TABLE_ROWS:
        out.append(f"<p class='note'>… {len(rows) - MAX_TABLE_ROWS} more (report.json)</p>")
    return "\n".join(out)


def desks_section(instance: Instance, tables: ReportTables, t) -> str:
    """Per office: desks, staff, the most on site in a day (and when), the mean, days with every desk taken."""
    staff: dict[str, int] = {}
    for e in instance.employees:
        if e.office:
            staff[e.office] = staff.get(e.office, 0) + 1
    heads = ("col.office", "col.desks", "col.staff", "col.peak_onsite", "col.peak_date", "col.mean_onsite",
             "col.days_full")
    out = [f"<h2>{_e(t('title.desks'))}</h2><table class='desks'><tr>"
           + "".join(f"<th>{_e(t(h))}</th>" for h in heads) + "</tr>"]
    for office, onsite, desks in tables.office_rows:
        peak = int(onsite.max()) if len(onsite) else 0
        when = tables.days[int(onsite.argmax())].strftime("%d/%m") if len(onsite) else ""
        full = int((onsite >= desks).sum())
        use = min(peak / desks, 1.0) if desks else 0.0
        bar = (f"<span class='bar'><span style='width:{use * 100:.0f}%'></span></span>")
        out.append(f"<tr data-office='{_e(office)}' data-desks='{desks}' data-peak='{peak}'>"
                   f"<td>{_e(office)}</td><td class='n'>{desks}</td><td class='n'>{staff.get(office, 0)}</td>"
                   f"<td class='n'>{peak} {bar} {use * 100:.0f}%</td><td>{_e(when)}</td>"
                   f"<td class='n'>{float(onsite.mean()) if len(onsite) else 0:.1f}</td>"
                   f"<td class='n'>{full}</td></tr>")
    out.append("</table>")
    return "\n".join(out)


def team_days_section(instance: Instance, team_days: dict[str, list[dt.date]], t) -> str:
    """A line per team with its team days (SPEC §2 rule 9), as a planner announces them."""
    unit_of = {tm.team: tm.unit for tm in instance.teams}
    out = [f"<h2>{_e(t('title.team_days'))}</h2><table class='team-days'><tr>"
           + "".join(f"<th>{_e(t(h))}</th>" for h in ("col.team", "col.unit", "col.weekdays", "col.team_days"))
           + "</tr>"]
    for team, days in sorted(team_days.items())[:MAX_TABLE_ROWS]:
        weekdays, dates = team_day_text(days, t)
        out.append(f"<tr data-team='{_e(team)}'><td>{_e(team)}</td><td>{_e(unit_of.get(team, ''))}</td>"
                   f"<td>{_e(weekdays)}</td><td>{_e(dates)}</td></tr>")
    out.append("</table>")
    if len(team_days) > MAX_TABLE_ROWS:
        out.append(f"<p class='note'>… {len(team_days) - MAX_TABLE_ROWS} more (report.json)</p>")
    return "\n".join(out)


def render_html(instance: Instance, result: Result, report: dict, *, lang: str = "en",
                tables: ReportTables | None = None) -> str:
    """The page's HTML text; KPI numbers are taken from ``report`` (the content of report.json)."""
    if tables is None and result.schedule is not None:
        tables = ReportTables(instance, normalize_schedule(result.schedule))
    t = lambda key, **kw: tr(key, lang, **kw)
    status = report["status"]
    parts = [
        "<!DOCTYPE html>",
        f"<html lang='{_e(lang)}'><head><meta charset='utf-8'>",
        f"<title>{_e(t('title.report'))} – {_e(instance.name)}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>{_e(t('title.report'))}: {_e(instance.name)}</h1>",
        f"<div class='sub'>{_e(instance.window_start.isoformat())} – {_e(instance.window_end.isoformat())} · "
        f"{_e(t('status'))}: <span class='status s-{_e(status)}' data-status='{_e(status)}'>"
        f"{_e(t('status.' + status))}</span></div>",
        f"<h2>{_e(t('title.kpis'))}</h2><div class='kpis'>",
    ]
    kpis = report.get("kpis", {})
    for key in [k for k in KPI_ORDER if k in kpis] + sorted(set(kpis) - set(KPI_ORDER)):
        value = report["kpis"][key]
        parts.append(f"<div class='kpi' data-kpi='{_e(key)}' data-value='{_e(json.dumps(value))}'>"
                     f"<div class='v'>{_e(fmt_number(value))}</div><div class='k'>{_e(t('kpi.' + key))}</div></div>")
    for key in ("solve_seconds", "build_seconds"):
        value = report.get(key)
        parts.append(f"<div class='kpi' data-kpi='{key}' data-value='{_e(json.dumps(value))}'>"
                     f"<div class='v'>{_e(fmt_number(round(value or 0, 2)))}</div>"
                     f"<div class='k'>{_e(t('kpi.' + key))}</div></div>")
    parts.append("</div>")

    if report.get("objective"):
        parts.append(f"<h2>{_e(t('title.objective'))}</h2><table><tr>" + "".join(
            f"<th>{_e(t(k))}</th>" for k in ("col.goal", "col.value", "col.bound", "col.gap", "col.proven")) + "</tr>")
        for goal, g in report["objective"].items():
            parts.append(f"<tr data-goal='{_e(goal)}'><td>{_e(t('goal.' + goal))}</td>"
                         f"<td class='n'>{_e(fmt_number(g.get('value')))}</td>"
                         f"<td class='n'>{_e(fmt_number(g.get('bound')))}</td>"
                         f"<td class='n'>{_e(fmt_number(g.get('gap')))}</td>"
                         f"<td>{_e(t('yes') if g.get('proven') else t('no'))}</td></tr>")
        parts.append("</table>")

    if report.get("infeasibility"):
        parts.append(f"<h2>{_e(t('title.infeasibility'))}</h2>")
        parts.append(_rows_table(report["infeasibility"], [
            ("rule", "col.rule"), ("message", "col.message"), ("unit", "col.unit"), ("team", "col.team"),
            ("date", "col.date"), ("employees", "col.employees"), ("needed", "col.needed"),
            ("possible", "col.possible")], lang))
    if report.get("violations"):
        parts.append(f"<h2>{_e(t('title.violations'))}</h2>")
        parts.append(_rows_table(report["violations"], [
            ("rule", "col.rule"), ("rule_name", "col.rule"), ("date", "col.date"), ("week", "col.week"),
            ("unit", "col.unit"), ("team", "col.team"), ("employee", "col.employee"), ("limit", "col.limit"),
            ("actual", "col.actual"), ("message", "col.message")], lang))

    if tables is not None:
        parts.append(f"<h2>{_e(t('title.heatmap'))}</h2>")
        parts.append(f"<figure><img alt='{_e(t('title.heatmap'))}' src='{heatmap_chart(instance, tables, lang)}'>"
                     f"<figcaption class='note'>{_e(t('note.heatmap_hidden'))}</figcaption></figure>")
        parts.append(f"<h2>{_e(t('title.daily'))}</h2>")
        parts.append(f"<figure><img alt='{_e(t('title.daily'))}' src='{daily_chart(tables, lang)}'></figure>")
        fair = fairness_chart(tables, lang)
        if fair:
            parts.append(f"<h2>{_e(t('title.fairness'))}</h2>")
            parts.append(f"<figure><img alt='{_e(t('title.fairness'))}' src='{fair}'></figure>")
    else:
        parts.append(f"<p class='note'>{_e(t('note.no_schedule'))}</p>")

    if tables is not None and instance.offices:
        parts.append(desks_section(instance, tables, t))
    team_days = team_days_by_team(result.details)
    if team_days:
        parts.append(team_days_section(instance, team_days, t))

    run = report.get("run") or {}
    if run:
        parts.append(f"<h2>{_e(t('title.run'))}</h2><table>")
        for key in sorted(run):
            value = run[key]
            text = json.dumps(value, sort_keys=True, ensure_ascii=False) if isinstance(value, (dict, list)) else value
            parts.append(f"<tr><th>{_e(key)}</th><td>{_e(text)}</td></tr>")
        parts.append("</table>")
    parts.append(f"<p class='note'>{_e(t('note.generated'))}</p></body></html>")
    return "\n".join(parts)


def write_html(path, instance: Instance, result: Result, report: dict, *, lang: str = "en",
               tables: ReportTables | None = None) -> Path:
    """Write ``report.html`` (see :func:`render_html`)."""
    path = Path(path)
    path.write_text(render_html(instance, result, report, lang=lang, tables=tables), encoding="utf-8")
    return path
