"""Reading rosters: long and grid form, CSV and XLSX, CUTI, and located errors."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from models import InputError, Instance
from models.roster import read_roster

MON, TUE, WED, THU, FRI, SAT = (dt.date(2023, 9, d) for d in (4, 5, 6, 7, 8, 9))


@pytest.fixture
def inst(tmp_path):
    folder = tmp_path / "instance"
    folder.mkdir()
    (folder / "instance.yaml").write_text(
        "window: {start: 2023-09-04, end: 2023-09-09}\nholidays: []\ncategories: {adm: {max_wfh: 0.5}}\n")
    (folder / "employees.csv").write_text("nip,unit,category\n001,U,adm\n002,U,adm\n")
    return Instance.load(folder)


def write(tmp_path, name: str, text: str, encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def as_tuples(df):
    return [tuple(r) for r in df.itertuples(index=False)]


def test_long_csv(tmp_path, inst):
    path = write(tmp_path, "r.csv", "nip,date,mode\n002,2023-09-04,wfo\n001,2023-09-05,Cuti\n001,2023-09-04, WFH \n")
    roster = read_roster(path, inst)
    assert list(roster.columns) == ["nip", "date", "mode"]
    assert as_tuples(roster) == [("001", MON, "WFH"), ("001", TUE, "LEAVE"), ("002", MON, "WFO")]
    assert isinstance(roster["date"].iloc[0], dt.date)


def test_long_csv_semicolon_with_bom(tmp_path, inst):
    path = write(tmp_path, "r.csv", "nip;date;mode\n001;2023-09-04;LEAVE\n", encoding="utf-8-sig")
    assert as_tuples(read_roster(path, inst)) == [("001", MON, "LEAVE")]


def test_grid_csv_ignores_other_columns_and_blank_cells(tmp_path, inst):
    text = ("nip,name,unit,2023-09-04,2023-09-05,2023-09-06,2023-09-07,2023-09-08,2023-09-09\n"
            "001,Ani,U,WFH,wfo,CUTI,WFO,,\n"
            "002,Budi,U,WFO,WFO,WFO,WFH,LEAVE,\n")
    roster = read_roster(write(tmp_path, "g.csv", text), inst)
    assert as_tuples(roster) == [
        ("001", MON, "WFH"), ("001", TUE, "WFO"), ("001", WED, "LEAVE"), ("001", THU, "WFO"),
        ("002", MON, "WFO"), ("002", TUE, "WFO"), ("002", WED, "WFO"), ("002", THU, "WFH"), ("002", FRI, "LEAVE")]


def test_grid_mode_on_a_weekend_is_read_then_reported_by_check(tmp_path, inst):
    from solver.check import check

    text = ("nip,2023-09-04,2023-09-05,2023-09-06,2023-09-07,2023-09-08,2023-09-09\n"
            "001,WFO,WFO,WFO,WFO,WFO,WFO\n002,WFO,WFO,WFO,WFO,WFO,\n")
    roster = read_roster(write(tmp_path, "g.csv", text), inst)
    assert ("001", SAT, "WFO") in as_tuples(roster)
    result = check(inst, roster)
    assert [(v.rule_name, v.employee, v.date) for v in result.violations] == [("roster", "001", SAT)]


def test_grid_xlsx_with_date_cells(tmp_path, inst):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["NIP", "Nama", dt.datetime(2023, 9, 4), dt.datetime(2023, 9, 5), "2023-09-06"])
    sheet.append(["001", "Ani", "WFH", "cuti", None])
    sheet.append(["002", "Budi", "WFO", "WFO", "wfh"])
    path = tmp_path / "g.xlsx"
    book.save(path)
    assert as_tuples(read_roster(path, inst)) == [("001", MON, "WFH"), ("001", TUE, "LEAVE"), ("002", MON, "WFO"),
                                                 ("002", TUE, "WFO"), ("002", WED, "WFH")]


def test_long_xlsx_with_date_cells(tmp_path, inst):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["nip", "date", "mode"])
    sheet.append(["001", dt.datetime(2023, 9, 5), "WFO"])
    sheet.append(["002", "2023-09-04", "Leave"])
    path = tmp_path / "r.xlsx"
    book.save(path)
    assert as_tuples(read_roster(path, inst)) == [("001", TUE, "WFO"), ("002", MON, "LEAVE")]


@pytest.mark.parametrize("name, text, row, column, words", [
    ("r.csv", "nip,date,mode\n001,2023-09-04,WFO\n001,2023-09-05,OFFICE\n", 2, "mode", "OFFICE"),
    ("r.csv", "nip,date,mode\n001,2023-09-04,\n", 1, "mode", "empty"),
    ("r.csv", "nip,date,mode\n001,04/09/2023,WFO\n", 1, "date", "04/09/2023"),
    ("r.csv", "nip,date,mode\n001,2023-09-04,WFO\n009,2023-09-04,WFO\n", 2, "nip", "009"),
    ("r.csv", "nip,date,mode\n001,2023-09-04,WFO\n002,2023-09-04,WFO\n001,2023-09-04,WFH\n", 3, "date",
     "first on row 1"),
    ("r.csv", "employee,date,mode\n001,2023-09-04,WFO\n", 0, "nip", "nip"),
    ("g.csv", "nip,2023-09-04,2023-09-05\n001,WFO,WFO\n002,WFO,home\n", 2, "2023-09-05", "home"),
    ("g.csv", "nip,2023-09-04,2023-13-01\n001,WFO,WFO\n", 0, "2023-13-01", "not a date"),
    ("g.csv", "nip,2023-09-04,4/9/2023\n001,WFO,WFO\n", 0, "4/9/2023", "not a date"),
    ("g.csv", "nip,2023-09-04\n001,WFO\n001,WFH\n", 2, "nip", "first on row 1"),
    ("g.csv", "nip,2023-09-04\n001,WFO\n,WFH\n", 2, "nip", "empty"),
    ("g.csv", "nip,name\n001,Ani\n", 0, None, "one column per date"),
    # a blank line is still a row of the file: the rows named are the planner's
    ("r.csv", "nip,date,mode\n001,2023-09-04,WFO\n\n001,2023-09-05,OFFICE\n", 3, "mode", "OFFICE"),
    ("r.csv", "nip,date,mode\n\n001,2023-09-04,WFO\n001,2023-09-04,WFH\n", 3, "date", "first on row 2"),
    ("g.csv", "nip,2023-09-04\n\n001,WFO\n\n002,home\n", 4, "2023-09-04", "home"),
])
def test_bad_rosters_name_file_row_and_column(tmp_path, inst, name, text, row, column, words):
    with pytest.raises(InputError) as caught:
        read_roster(write(tmp_path, name, text), inst)
    err = caught.value
    assert (err.file, err.row, err.column) == (name, row, column), str(err)
    assert words in str(err)


def test_grid_xlsx_bad_cell_names_the_date_column(tmp_path, inst):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["nip", dt.datetime(2023, 9, 4), dt.datetime(2023, 9, 5)])
    sheet.append(["001", "WFO", "X"])
    path = tmp_path / "g.xlsx"
    book.save(path)
    with pytest.raises(InputError) as caught:
        read_roster(path, inst)
    assert (caught.value.file, caught.value.row, caught.value.column) == ("g.xlsx", 1, "2023-09-05")
