"""report/xlsx.py: the planner's workbook read back with openpyxl."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest

from report import write_outputs
from report.i18n import tr
from report.xlsx import MODE_FILL, PHASE_FILL


@pytest.fixture
def written(instance, result_for, tmp_path):
    out = tmp_path / "out"
    write_outputs(out, instance, result_for(instance), run_info={}, formats=("csv", "xlsx"))
    return out


def _fill(cell) -> str:
    return cell.fill.fgColor.rgb[-6:]


def test_sheets(written):
    wb = openpyxl.load_workbook(written / "schedule.xlsx")
    assert wb.sheetnames == ["Roster", "Daily caps", "Team cover", "Fairness", "KPIs", "Calendar"]


def test_roster_matches_schedule_csv(instance, written):
    wb = openpyxl.load_workbook(written / "schedule.xlsx")
    ws = wb["Roster"]
    header = [c.value for c in ws[1]]
    assert header[:6] == ["NIP", "Name", "Unit", "Team", "Category", "Team days"]
    assert header[6:] == [d.isoformat() for d in instance.working_days]
    assert ws.max_row == 1 + len(instance.employees)
    assert ws.freeze_panes == "G2"
    assert ws.auto_filter.ref.startswith("A1:")
    csv = pd.read_csv(written / "schedule.csv", dtype=str)
    expected = {(r.nip, r.date): r.mode for r in csv.itertuples()}
    seen = 0
    for row in ws.iter_rows(min_row=2):
        nip = row[0].value
        for col, cell in enumerate(row[6:]):
            mode = expected[(nip, header[6 + col])]
            assert cell.value == mode
            assert _fill(cell) == MODE_FILL[mode]
            seen += 1
    assert seen == len(csv)


def test_phase_and_holiday_marked(instance, written):
    ws = openpyxl.load_workbook(written / "schedule.xlsx")["Roster"]
    by_date = {c.value: c for c in ws[1][6:]}
    assert _fill(by_date["2023-09-05"]) == PHASE_FILL
    assert "puncak-ktt" in by_date["2023-09-05"].comment.text
    assert _fill(by_date["2023-09-04"]) != PHASE_FILL
    assert "2023-09-08" in by_date["2023-09-11"].comment.text


def test_formula_like_name_stays_text(written):
    wb = openpyxl.load_workbook(written / "schedule.xlsx")
    ws = wb["Roster"]
    names = {r[0].value: r[1] for r in ws.iter_rows(min_row=2)}
    assert names["1002"].data_type == "s"
    assert names["1002"].value == "'=HYPERLINK(\"x\")"
    assert names["2001"].value == "'+Dedi"
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_daily_caps_are_exact(instance, written):
    ws = openpyxl.load_workbook(written / "schedule.xlsx")["Daily caps"]
    rows = {(r[0], r[1], r[2].date() if isinstance(r[2], dt.datetime) else r[2]): r
            for r in ws.iter_rows(min_row=2, values_only=True)}
    # Biro-Umum administrasi: 4 people (one essential) on 2023-09-04, cap 0.5 -> 2; on the summit 0.75 -> 3.
    unit, cat = "Biro-Umum", "administrasi"
    assert rows[(unit, cat, dt.date(2023, 9, 4))][4:7] == (4, 0.5, 2)
    assert rows[(unit, cat, dt.date(2023, 9, 5))][6] == 3
    # 1004 on leave on 2023-09-11: 3 present -> floor(1.5) = 1
    assert rows[(unit, cat, dt.date(2023, 9, 11))][4:7] == (3, 0.5, 1)
    assert rows[("Dinkes", "layanan_masyarakat", dt.date(2023, 9, 5))][6] == 0


def test_fairness_sheet(instance, written):
    ws = openpyxl.load_workbook(written / "schedule.xlsx")["Fairness"]
    rows = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert "1003" not in rows and "2001" not in rows   # essential; category cap 0
    assert set(rows) == {"1001", "1002", "1004", "2002"}
    # Biro-Umum administrasi counted: 1001 (9 present), 1002 (9), 1004 (7)
    total_wfh = sum(rows[n][6] for n in ("1001", "1002", "1004"))
    for n in ("1001", "1002", "1004"):
        fair = total_wfh / 25 * rows[n][5]
        assert rows[n][7] == pytest.approx(fair)
        assert rows[n][8] == pytest.approx(abs(rows[n][6] - fair))
    assert rows["2002"][8] == pytest.approx(0)


def test_indonesian_labels(instance, result_for, tmp_path):
    write_outputs(tmp_path / "out", instance, result_for(instance), lang="id", run_info={}, formats=("xlsx",))
    wb = openpyxl.load_workbook(tmp_path / "out" / "schedule.xlsx")
    assert wb.sheetnames[0] == tr("sheet.roster", "id") == "Jadwal"
    assert "Keadilan" in wb.sheetnames
    ws = wb["Jadwal"]
    assert [c.value for c in ws[1]][:3] == ["NIP", "Nama", "Unit kerja"]
    values = {c.value for row in ws.iter_rows(min_row=2, min_col=7) for c in row}
    assert "CUTI" in values and "LEAVE" not in values
