"""Loading instances (SPEC §1): each user mistake names its file and row and column, or its YAML line and key."""
from __future__ import annotations

import datetime as dt
import textwrap
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

import models.load
from models import InputError, Instance, load_instance, read_table

ROOT = Path(__file__).resolve().parents[2]

YAML = """\
name: tiny
window: {start: 2023-09-04, end: 2023-09-15}
holidays: [2023-09-08]
categories:
  adm: {label: Admin, max_wfh: 0.57}
  pub: {label: Public, max_wfh: 0}
phases:
  - {name: peak, start: 2023-09-06, end: 2023-09-07, max_wfh: {adm: 0.75}}
"""
TABLES = {
    "employees": "nip,unit,category,team,commute_km,office\nE1,U1,adm,T1,12.5,O1\nE2,U1,adm,T1,30,O1\nE3,U2,pub,,,\n",
    "teams": "team,unit,min_onsite,team_days_per_week\nT1,U1,1,1\n",
    "leave": "nip,start,end\nE1,2023-09-05,2023-09-06\n",
    "requests": "nip,date,mode,strength\nE2,2023-09-11,WFH,prefer\nE3,fri,WFO,must\n",
    "offices": "office,desks\nO1,3\n",
    "pairs": "nip_a,nip_b,rule\nE1,E2,cover\n",
}


@pytest.fixture
def folder(tmp_path):
    """Write an instance: ``folder(yaml=..., employees=...)``; a table given as None is left out.

    Other employees than the default leave out the default tables that name nips.
    """

    def write(yaml: str = YAML, **tables: str | None) -> Path:
        (tmp_path / "instance.yaml").write_text(textwrap.dedent(yaml), encoding="utf-8")
        defaults = dict(TABLES)
        if "employees" in tables:
            defaults = {k: v for k, v in defaults.items() if k in ("teams", "offices")}
        for name, text in {**defaults, **tables}.items():
            if text is not None:
                (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
        return tmp_path

    return write


def error(path) -> InputError:
    with pytest.raises(InputError) as err:
        load_instance(path)
    assert str(err.value).startswith(err.value.file)
    return err.value


def assert_at(exc: InputError, file: str, row: int, column: str) -> None:
    assert (exc.file, exc.row, exc.column) == (file, row, column), str(exc)


def assert_key(exc: InputError, key: str, line: int) -> None:
    assert (exc.file, exc.key, exc.line) == ("instance.yaml", key, line), str(exc)


# ---------------------------------------------------------------------------- the valid tiny instance
def test_tiny_instance_loads(folder):
    inst = Instance.load(folder())
    assert [e.nip for e in inst.employees] == ["E1", "E2", "E3"]
    assert inst.employees[0].commute_km == Decimal("12.5")
    assert inst.team_by_id["T1"].team_days_per_week == 1
    assert inst.leave[0].start == dt.date(2023, 9, 5)
    assert inst.pairs[0].rule == "cover"
    assert inst.input_hash.startswith("sha256:")


# ---------------------------------------------------------------------------- mistakes in tables
def test_duplicate_nip(folder):
    exc = error(folder(employees="nip,unit,category\nE1,U1,adm\nE2,U1,adm\nE1,U2,pub\n"))
    assert_at(exc, "employees.csv", 3, "nip")
    assert "row 1" in exc.message


def test_unknown_category(folder):
    exc = error(folder(employees="nip,unit,category\nE1,U1,adm\nE2,U1,dukungan\n"))
    assert_at(exc, "employees.csv", 2, "category")
    assert "dukungan" in exc.message


def test_team_in_another_unit(folder):
    exc = error(folder(employees="nip,unit,category,team\nE1,U1,adm,T1\nE2,U2,adm,T1\n"))
    assert_at(exc, "employees.csv", 2, "team")
    assert "U1" in exc.message and "U2" in exc.message


def test_team_not_in_teams_table(folder):
    assert_at(error(folder(employees="nip,unit,category,team\nE1,U1,adm,T9\n")), "employees.csv", 1, "team")


def test_leave_ending_before_it_starts(folder):
    exc = error(folder(leave="nip,start,end\nE1,2023-09-05,2023-09-06\nE2,2023-09-12,2023-09-11\n"))
    assert_at(exc, "leave.csv", 2, "end")


def test_request_dated_outside_the_window(folder):
    exc = error(folder(requests="nip,date,mode\nE1,2023-09-05,WFH\nE2,2023-10-02,WFO\n"))
    assert_at(exc, "requests.csv", 2, "date")
    assert "outside the window" in exc.message


def test_request_for_an_unknown_nip(folder):
    assert_at(error(folder(requests="nip,date,mode\nE7,2023-09-05,WFH\n")), "requests.csv", 1, "nip")


def test_request_mode_must_be_wfh_or_wfo(folder):
    assert_at(error(folder(requests="nip,date,mode\nE1,2023-09-05,LEAVE\n")), "requests.csv", 1, "mode")


def test_missing_required_column(folder):
    exc = error(folder(employees="nip,unit\nE1,U1\n"))
    assert_at(exc, "employees.csv", 0, "category")


@pytest.mark.parametrize("table, text, column", [
    ("employees", "nip,unit,category,commute_km\nE1,U1,adm,12\nE2,U1,adm,far\n", "commute_km"),
    ("teams", "team,unit,min_onsite\nT1,U1,two\n", "min_onsite"),
    ("teams", "team,unit,min_onsite_ratio\nT1,U1,half\n", "min_onsite_ratio"),
    ("offices", "office,desks\nO1,3.5\n", "desks"),
    ("requests", "nip,date,mode,weight\nE1,2023-09-05,WFH,heavy\n", "weight"),
])
def test_non_number_where_a_number_belongs(folder, table, text, column):
    exc = error(folder(**{table: text}))
    assert_at(exc, f"{table}.csv", text.count("\n") - 1, column)


@pytest.mark.parametrize("value", ["nan", "sNaN", "inf", "-Infinity", "1e308", "1e999999999", str(10**30),
                                   "0.1234567891"])
def test_nan_infinite_and_huge_numbers_are_refused(folder, value):
    exc = error(folder(employees=f"nip,unit,category,commute_km\nE1,U1,adm,{value}\n"))
    assert_at(exc, "employees.csv", 1, "commute_km")


@pytest.mark.parametrize("value", ["1e999999999", "sNaN", "2.5", "1e-999999999"])
def test_whole_numbers_refuse_huge_and_fractional_values(folder, value):
    assert_at(error(folder(teams=f"team,unit,min_onsite\nT1,U1,{value}\n")), "teams.csv", 1, "min_onsite")


def test_unknown_office(folder):
    exc = error(folder(employees="nip,unit,category,office\nE1,U1,adm,O1\nE2,U1,adm,Gedung-Z\n"))
    assert_at(exc, "employees.csv", 2, "office")


def test_negative_desks(folder):
    assert_at(error(folder(offices="office,desks\nO1,3\nO2,-1\n")), "offices.csv", 2, "desks")


def test_team_days_per_week_above_five(folder):
    assert_at(error(folder(teams="team,unit,team_days_per_week\nT1,U1,6\n")), "teams.csv", 1, "team_days_per_week")


def test_pair_with_self(folder):
    assert_at(error(folder(pairs="nip_a,nip_b\nE1,E2\nE3,E3\n")), "pairs.csv", 2, "nip_b")


@pytest.mark.parametrize("text, column", [("nip_a,nip_b\nE9,E2\n", "nip_a"), ("nip_a,nip_b\nE1,E9\n", "nip_b")])
def test_unknown_nip_in_pairs(folder, text, column):
    assert_at(error(folder(pairs=text)), "pairs.csv", 1, column)


def test_duplicate_header_is_refused_not_renamed(folder):
    # pandas would quietly call the second one "nip.1"
    exc = error(folder(employees="nip,unit,category,NIP\nE1,U1,adm,E9\n"))
    assert_at(exc, "employees.csv", 0, "nip")


def test_blank_rows_still_count_in_row_numbers(folder):
    exc = error(folder(employees="nip,unit,category\nE1,U1,adm\n\n,,\nE2,U1,zzz\n"))
    assert_at(exc, "employees.csv", 4, "category")


def test_excel_day_number_in_a_date_cell_gets_a_hint(folder):
    exc = error(folder(leave="nip,start,end\nE1,45174,2023-09-06\n"))
    assert_at(exc, "leave.csv", 1, "start")
    assert "format the column as a date" in exc.message


def test_an_empty_table_and_a_header_only_table(folder):
    assert error(folder(teams="")).file == "teams.csv"
    exc = error(folder(employees="nip,unit,category\n"))
    assert exc.file == "employees.csv" and "no rows" in exc.message


def test_a_table_that_is_not_utf8(folder, tmp_path):
    path = folder()
    (path / "employees.csv").write_bytes("nip,unit,category\nE1,Dinas Kesehatan \xe9,adm\n".encode("latin-1"))
    exc = error(path)
    assert exc.file == "employees.csv" and "UTF-8" in exc.message


# ---------------------------------------------------------------------------- mistakes in instance.yaml
def test_malformed_yaml_names_the_line(folder):
    exc = error(folder(yaml=YAML.replace("  pub: {label: Public, max_wfh: 0}", "  pub: {label: Public, max_wfh: 0")))
    assert exc.file == "instance.yaml" and exc.line in (6, 7)
    assert "malformed YAML" in exc.message


def test_unknown_yaml_key(folder):
    assert_key(error(folder(yaml=YAML + "cap_scop: team\n")), "cap_scop", 9)


def test_unknown_key_in_a_category(folder):
    assert_key(error(folder(yaml=YAML.replace("max_wfh: 0}", "max_wfh: 0, min_wfh: 0}"))),
               "categories.pub.min_wfh", 6)


def test_bad_date_in_yaml(folder):
    assert_key(error(folder(yaml=YAML.replace("start: 2023-09-04", "start: 4 Sep 2023"))), "window.start", 2)


def test_impossible_date_in_yaml_names_the_line(folder):
    # YAML reads 2023-02-30 as a timestamp and fails building it: a located error, not a ValueError
    exc = error(folder(yaml=YAML.replace("holidays: [2023-09-08]", "holidays: [2023-02-30]")))
    assert exc.file == "instance.yaml" and exc.line == 3


def test_window_ending_before_it_starts(folder):
    assert_key(error(folder(yaml=YAML.replace("end: 2023-09-15", "end: 2023-09-01"))), "window.end", 2)


@pytest.mark.parametrize("cap", ["1.5", "-0.1", "'half'", ".nan", "1e-999999999", "0.3333333333333333"])
def test_cap_outside_0_to_1(folder, cap):
    assert_key(error(folder(yaml=YAML.replace("max_wfh: 0.57", f"max_wfh: {cap}"))), "categories.adm.max_wfh", 5)


def test_phase_cap_outside_0_to_1(folder):
    exc = error(folder(yaml=YAML.replace("{adm: 0.75}", "{adm: 1.75}")))
    assert exc.file == "instance.yaml" and exc.key.startswith("phases.0.max_wfh") and exc.line == 8


def test_phase_for_an_unknown_category(folder):
    assert_key(error(folder(yaml=YAML.replace("{adm: 0.75}", "{admin: 0.75}"))), "phases.0.max_wfh.admin", 8)


def test_unknown_table(folder):
    exc = error(folder(yaml=YAML + "tables: {employees: employees.csv, staff: staff.csv}\n"))
    assert_key(exc, "tables.staff", 9)


def test_missing_employees_table(folder):
    exc = error(folder(yaml=YAML + "tables: {teams: teams.csv}\n", employees=None))
    assert_key(exc, "tables", 9)


def test_table_file_not_found(folder):
    assert_key(error(folder(yaml=YAML + "tables: {employees: pegawai.csv}\n")), "tables.employees", 9)


def test_a_key_given_twice(folder):
    exc = error(folder(yaml=YAML + "name: again\n"))
    assert exc.file == "instance.yaml" and exc.line == 9 and "twice" in exc.message


@pytest.mark.parametrize("text", ["- a\n- b\n", "42\n", "'just text'\n"])
def test_yaml_top_level_must_be_a_mapping(folder, text):
    exc = error(folder(yaml=text))
    assert exc.file == "instance.yaml" and exc.line == 1


def test_unknown_holiday_subdivision(folder):
    exc = error(folder(yaml=YAML.replace("holidays: [2023-09-08]", "holidays: {country: ID, subdiv: ZZ}")))
    assert_key(exc, "holidays.subdiv", 3)


def test_norway_is_not_false(folder):
    # YAML 1.1 reads NO as false; the planner meant the country
    inst = load_instance(folder(yaml=YAML.replace("holidays: [2023-09-08]", "holidays: {country: NO}")))
    assert inst.holiday_country == "NO"


def test_weekday_names_are_exact(folder):
    exc = error(folder(yaml=YAML + "workdays: [mon, tue, wednesday, thu, monkey]\n"))
    assert_key(exc, "workdays", 9)


# ---------------------------------------------------------------------------- size guards
def test_window_over_a_year(folder):
    exc = error(folder(yaml=YAML.replace("end: 2023-09-15", "end: 2024-09-15")))
    assert_key(exc, "window", 2)
    assert "366" in exc.message


def test_window_of_366_days_is_allowed(folder):
    inst = load_instance(folder(yaml=YAML.replace("start: 2023-09-04, end: 2023-09-15",
                                                  "start: 2024-01-01, end: 2024-12-31"), requests=None))
    assert len(inst.working_days) == 262  # 2024's weekdays; the listed holiday is in 2023


def test_window_far_in_the_past_or_future(folder):
    exc = error(folder(yaml=YAML.replace("start: 2023-09-04, end: 2023-09-15", "start: 9999-12-01, end: 9999-12-31")))
    assert exc.key.startswith("window") and exc.line == 2


def test_too_many_employees(folder, monkeypatch):
    monkeypatch.setattr(models.load, "MAX_EMPLOYEES", 2)
    exc = error(folder())
    assert exc.file == "employees.csv" and "more than the 2" in exc.message


# ---------------------------------------------------------------------------- formats that must load
def write_xlsx(path: Path, rows) -> None:
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(path)


def test_xlsx_tables(folder):
    path = folder(yaml=YAML + "tables: {employees: employees.xlsx, leave: leave.xlsx}\n",
                  employees=None, leave=None, requests=None, pairs=None)
    write_xlsx(path / "employees.xlsx", [["NIP", "Unit", "Category", "commute_km", "essential"],
                                         ["198001012005011001", "U1", "adm", 12.5, True],
                                         ["E2", "U1", "pub", 7, None], [None, None, None, None, None],
                                         ["E3", "U2", "adm", None, False]])
    write_xlsx(path / "leave.xlsx", [["nip", "start", "end"],
                                     ["E2", dt.datetime(2023, 9, 5), dt.date(2023, 9, 6)]])
    inst = load_instance(path)
    assert [e.nip for e in inst.employees] == ["198001012005011001", "E2", "E3"]
    assert inst.employees[0].commute_km == Decimal("12.5") and inst.employees[0].essential
    assert inst.leave[0].start == dt.date(2023, 9, 5) and inst.leave[0].end == dt.date(2023, 9, 6)


def test_an_18_digit_nip_stored_as_a_number_is_refused(folder):
    # a spreadsheet keeps 15 digits: 198001012005011001 comes back as 198001012005011008
    path = folder(yaml=YAML + "tables: {employees: employees.xlsx}\n", employees=None, leave=None,
                  requests=None, pairs=None)
    write_xlsx(path / "employees.xlsx", [["nip", "unit", "category"], ["E1", "U1", "adm"],
                                         [198001012005011001, "U1", "adm"]])
    exc = error(path)
    assert_at(exc, "employees.xlsx", 2, "nip")
    assert "format the column as text" in exc.message


def test_a_nip_a_spreadsheet_shortened_is_refused(folder):
    exc = error(folder(employees="nip,unit,category\nE1,U1,adm\n1.98001E+17,U1,adm\n"))
    assert_at(exc, "employees.csv", 2, "nip")


def test_xlsx_error_names_the_sheet_row(folder):
    path = folder(yaml=YAML + "tables: {employees: employees.xlsx}\n", employees=None, leave=None,
                  requests=None, pairs=None)
    write_xlsx(path / "employees.xlsx", [["nip", "unit", "category"], ["E1", "U1", "adm"], ["E2", "U1", "zzz"]])
    assert_at(error(path), "employees.xlsx", 2, "category")


def test_semicolon_csv_with_decimal_comma(folder):
    inst = load_instance(folder(employees="nip;unit;category;commute_km\nE1;U1;adm;12,5\nE2;U1;pub;3\n"))
    assert [e.commute_km for e in inst.employees] == [Decimal("12.5"), Decimal(3)]


def test_bom_and_crlf(folder):
    path = folder()
    (path / "employees.csv").write_bytes("\ufeffnip,unit,category\r\nE1,U1,adm\r\nE2,U1,pub\r\nE3,U2,pub\r\n".encode())
    (path / "instance.yaml").write_bytes(("\ufeff" + YAML).encode())
    inst = load_instance(path)
    assert [e.nip for e in inst.employees] == ["E1", "E2", "E3"]


def test_unicode_and_right_to_left_names(folder):
    inst = load_instance(folder(employees="nip,unit,category,name\nE1,U1,adm,محمد عبد الله\nE2,U1,adm,Zoë 名前\n"))
    assert inst.employees[0].name == "محمد عبد الله"


def test_holidays_as_a_list_of_dates(folder):
    inst = load_instance(folder())
    assert dt.date(2023, 9, 8) not in inst.working_days
    assert len(inst.working_days) == 9


def test_weekday_request(folder):
    inst = load_instance(folder(requests="nip,date,mode,strength\nE3,fri,WFO,must\nE1,Senin,WFH,\n"))
    fri, mon = inst.requests
    assert (fri.weekday, fri.date, fri.strength) == (4, None, "must")
    assert (mon.weekday, mon.strength, mon.weight) == (0, "prefer", Decimal(1))


def test_exact_decimal_caps(folder):
    inst = load_instance(folder())
    assert inst.cap("adm", dt.date(2023, 9, 4)) == Decimal("0.57")
    assert isinstance(inst.cap("adm", dt.date(2023, 9, 4)), Decimal)
    assert inst.cap("adm", dt.date(2023, 9, 6)) == Decimal("0.75")
    assert inst.cap("pub", dt.date(2023, 9, 6)) == Decimal(0)
    assert inst.cap("adm", dt.date(2023, 9, 4)) * 100 == 57


def test_the_bundled_instance_has_44_working_days():
    inst = Instance.load(ROOT / "instances" / "jakarta-2023")
    assert len(inst.working_days) == 44
    assert dt.date(2023, 9, 28) not in inst.working_days
    assert inst.working_days[0] == dt.date(2023, 8, 21) and inst.working_days[-1] == dt.date(2023, 10, 20)
    assert inst.cap("administrasi", dt.date(2023, 9, 5)) == Decimal("0.75")


def test_read_table_strings_and_blank_cells(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("A , b\n 1 ,\n\n2,x\n")
    df = read_table(path)
    assert list(df.columns) == ["a", "b"]
    assert df.to_dict("records") == [{"a": "1", "b": ""}, {"a": "2", "b": "x"}]


def test_instance_folder_not_found(tmp_path):
    exc = error(tmp_path / "nowhere")
    assert "not found" in exc.message
