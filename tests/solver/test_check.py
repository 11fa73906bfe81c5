"""The independent checker: each rule of SPEC §2 broken once, a valid roster, and the §3 figures.

Working days (conftest): 0=09-04 Mon … 4=09-08 Fri (2023-W36), 5=09-11 Mon … 9=09-15 Fri (2023-W37).
"""
from __future__ import annotations

import datetime as dt
import time
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from solver.check import RULE_NAMES, CheckResult, Violation, check, figures


def day(d: int) -> dt.date:
    return dt.date(2023, 9, d)


def only(result: CheckResult, rule_name: str) -> Violation:
    """The one violation of the result, which must be of that rule."""
    assert [v.rule_name for v in result.violations] == [rule_name], [v.message for v in result.violations]
    return result.violations[0]


# ---------------------------------------------------------------------------- rule 1
def test_leave_day_worked_is_one_violation(make_instance, make_roster):
    inst = make_instance("nip,unit,category\nA,U,free", leave="nip,start,end\nA,2023-09-05,2023-09-05")
    assert check(inst, make_roster({"A": "HLHHHHHHHH"})).ok
    v = only(check(inst, make_roster({"A": "HOHHHHHHHH"})), "leave")
    assert (v.rule, v.date, v.employee, v.unit) == (1, day(5), "A", "U")


def test_leave_claimed_without_leave_is_one_violation(make_instance, make_roster):
    inst = make_instance("nip,unit,category\nA,U,free")
    v = only(check(inst, make_roster({"A": "HHHLHHHHHH"})), "leave")
    assert (v.date, v.employee) == (day(7), "A")
    assert "LEAVE" in v.message


def test_leave_running_past_the_window(make_instance, make_roster):
    inst = make_instance("nip,unit,category\nA,U,free", leave="nip,start,end\nA,2023-09-14,2023-09-30")
    assert check(inst, make_roster({"A": "HHHHHHHHLL"})).ok


# ---------------------------------------------------------------------------- rule 2
def test_essential_at_home_is_one_violation(make_instance, make_roster):
    inst = make_instance("nip,unit,category,essential\nA,U,free,true\nB,U,free,false")
    rows = {"A": "OOOOOOOOOO", "B": "HHHHHHHHHH"}
    assert check(inst, make_roster(rows)).ok
    v = only(check(inst, make_roster({"A": "OOHOOOOOOO", "B": "HHHHHHHHHH"})), "essential")
    assert (v.rule, v.date, v.employee, v.category) == (2, day(6), "A", "free")


def test_zero_cap_by_phase_forbids_wfh_that_day(make_instance, make_roster):
    inst = make_instance("nip,unit,category\nA,U,free",
                         config="phases:\n  - {name: summit, start: 2023-09-06, end: 2023-09-06, max_wfh: {free: 0}}\n")
    assert check(inst, make_roster({"A": "HHOHHHHHHH"})).ok
    result = check(inst, make_roster({"A": "HHHHHHHHHH"}))
    # WFH on a 0-cap day breaks rule 2 for the employee and rule 3 for the group
    assert result.counts()["essential"] == 1 and result.counts()["cap"] == 1
    assert len(result.violations) == 2
    assert {v.date for v in result.violations} == {day(6)}


# ---------------------------------------------------------------------------- rule 3
def test_cap_exceeded_is_one_violation(make_instance, make_roster):
    inst = make_instance("nip,unit,category\nA,U,adm\nB,U,adm\nC,U,adm\nD,V,adm")
    valid = {"A": "HOOHOOHOOH", "B": "OHOOHOOHOO", "C": "OOHOOHOOHO", "D": "OOOOOOOOOO"}
    assert check(inst, make_roster(valid)).ok
    broken = dict(valid, B="HHOOHOOHOO")  # A and B at home on 09-04: floor(0.5 × 3) = 1
    v = only(check(inst, make_roster(broken)), "cap")
    assert (v.rule, v.date, v.unit, v.category, v.team, v.employee) == (3, day(4), "U", "adm", None, None)
    assert (v.limit, v.actual) == (1, 2)


def test_cap_counts_present_only_and_essential_staff(make_instance, make_roster):
    # 4 in the group, one essential; C on leave on 09-04: 3 present, floor(1.5) = 1 at home
    inst = make_instance("nip,unit,category,essential\nA,U,adm,\nB,U,adm,\nC,U,adm,\nE,U,adm,true",
                         leave="nip,start,end\nC,2023-09-04,2023-09-04")
    rows = {"A": "HOOOOOOOOO", "B": "HOOOOOOOOO", "C": "LOOOOOOOOO", "E": "OOOOOOOOOO"}
    v = only(check(inst, make_roster(rows)), "cap")
    assert (v.date, v.limit, v.actual) == (day(4), 1, 2)


def test_cap_phase_last_listing_wins(make_instance, make_roster):
    config = """\
    phases:
      - {name: wide, start: 2023-09-04, end: 2023-09-15, max_wfh: {adm: 0.75}}
      - {name: summit, start: 2023-09-06, end: 2023-09-06, max_wfh: {adm: 0.25}}
      - {name: other, start: 2023-09-06, end: 2023-09-06, max_wfh: {pub: 0.5}}
    """
    inst = make_instance("nip,unit,category\nA,U,adm\nB,U,adm\nC,U,adm\nD,U,adm", config=config)
    # 0.75 × 4 = 3 at home allowed on every day but 09-06, where 0.25 × 4 = 1
    rows = {"A": "HHHHHHHHHH", "B": "HHOHHHHHHH", "C": "HHOHHHHHHH", "D": "OOOOOOOOOO"}
    assert check(inst, make_roster(rows)).ok
    v = only(check(inst, make_roster(dict(rows, B="HHHHHHHHHH"))), "cap")
    assert (v.date, v.limit, v.actual) == (day(6), 1, 2)


def test_cap_is_exact_decimal(make_instance, make_roster):
    # floor(0.57 × 100) is 57; in binary floating point 0.57 * 100 = 56.999999999999993
    employees = "nip,unit,category\n" + "\n".join(f"E{k:03d},U,c" for k in range(100))
    inst = make_instance(employees, categories="categories:\n  c: {max_wfh: 0.57}\n")
    rows = {f"E{k:03d}": ("H" if k < 57 else "O") * 10 for k in range(100)}
    assert check(inst, make_roster(rows)).ok
    rows["E057"] = "H" + "O" * 9
    v = only(check(inst, make_roster(rows)), "cap")
    assert (v.date, v.limit, v.actual) == (day(4), 57, 58)


def test_cap_scope_team_and_all(make_instance, make_roster):
    employees = "nip,unit,category,team\nA,U,adm,T\nB,U,adm,T\nC,U,adm,\nD,U,adm,"
    teams = "team,unit\nT,U"
    rows = {"A": "HOOOOOOOOO", "B": "OOOOOOOOOO", "C": "HOOOOOOOOO", "D": "OOOOOOOOOO"}
    # by unit: 2 of 4 at home, floor(2) = 2: fine; by team: T has 1 of 2, the no-team group 1 of 2: fine
    for scope in ("unit", "team", "all"):
        inst = make_instance(employees, teams=teams, config=f"cap_scope: {scope}\n")
        assert check(inst, make_roster(rows)).ok, scope
    rows["B"] = "HOOOOOOOOO"  # 3 of 4 at home: over in unit and all; in team scope only T (2 of 2 > 1)
    inst = make_instance(employees, teams=teams, config="cap_scope: team\n")
    v = only(check(inst, make_roster(rows)), "cap")
    assert (v.team, v.unit, v.limit, v.actual) == ("T", "U", 1, 2)
    inst = make_instance(employees, teams=teams, config="cap_scope: all\n")
    v = only(check(inst, make_roster(rows)), "cap")
    assert (v.unit, v.team, v.category, v.limit, v.actual) == (None, None, "adm", 2, 3)


# ---------------------------------------------------------------------------- rule 4
def test_team_coverage_short_is_one_violation(make_instance, make_roster):
    inst = make_instance("nip,unit,category,team\nA,U,free,T\nB,U,free,T\nC,U,free,T\nD,U,free,T",
                         teams="team,unit,min_onsite,min_onsite_ratio\nT,U,1,0.5")
    # 4 present need max(1, ceil(2)) = 2 on site; with D on leave 3 present need ceil(1.5) = 2
    rows = {"A": "OOOOOOOOOO", "B": "OOOOOOOOOO", "C": "HHHHHHHHHH", "D": "HHHHHHHHHH"}
    assert check(inst, make_roster(rows)).ok
    inst = make_instance("nip,unit,category,team\nA,U,free,T\nB,U,free,T\nC,U,free,T\nD,U,free,T",
                         teams="team,unit,min_onsite,min_onsite_ratio\nT,U,1,0.5",
                         leave="nip,start,end\nD,2023-09-05,2023-09-05")
    rows = {"A": "OOOOOOOOOO", "B": "OHOOOOOOOO", "C": "HHHHHHHHHH", "D": "HLHHHHHHHH"}
    v = only(check(inst, make_roster(rows)), "coverage")
    assert (v.rule, v.date, v.team, v.unit, v.limit, v.actual) == (4, day(5), "T", "U", 2, 1)
    assert v.message == "team T needs 2 on site on 2023-09-05; 1 are WFO (1 on leave)"


# ---------------------------------------------------------------------------- rule 5
def test_must_request_broken_is_one_violation(make_instance, make_roster):
    requests = """\
    nip,date,mode,strength
    A,2023-09-05,WFO,must
    A,fri,WFH,must
    A,2023-09-06,WFH,must
    A,2023-09-07,WFH,prefer
    """
    inst = make_instance("nip,unit,category\nA,U,free", requests=requests,
                         leave="nip,start,end\nA,2023-09-06,2023-09-06")
    assert check(inst, make_roster({"A": "OOLOHOOOOH"})).ok  # the must on a leave day is ignored
    v = only(check(inst, make_roster({"A": "OOLOHOOOOO"})), "must")  # Friday 09-15 is WFO
    assert (v.rule, v.date, v.employee) == (5, day(15), "A")


def test_conflicting_musts_are_one_violation_per_day(make_instance, make_roster):
    requests = "nip,date,mode,strength\nA,2023-09-05,WFO,must\nA,2023-09-05,WFH,must\nA,tue,WFH,must"
    inst = make_instance("nip,unit,category\nA,U,free", requests=requests)
    result = check(inst, make_roster({"A": "OHOOOOHOOO"}))
    assert [(v.rule_name, v.date) for v in result.violations] == [("must", day(5))]


# ---------------------------------------------------------------------------- rule 6
def test_long_wfh_run_is_one_violation(make_instance, make_roster):
    inst = make_instance("nip,unit,category\nA,U,free\nB,U,free",
                         config="rules: {max_consecutive_wfh: 2}\n",
                         leave="nip,start,end\nA,2023-09-11,2023-09-11")
    # A: H H O H H (weekend) L H O ... : the leave day and the weekend are skipped, so 09-07, 09-08, 09-12 is a run of 3
    rows = {"A": "HHOHHLHOOO", "B": "HHOHHOHHOH"}
    v = only(check(inst, make_roster(rows)), "consecutive")
    assert (v.rule, v.employee, v.date, v.limit, v.actual) == (6, "A", day(7), 2, 3)
    assert "2023-09-12" in v.message


# ---------------------------------------------------------------------------- rule 7
def test_too_few_office_days_in_a_week_is_one_violation(make_instance, make_roster):
    inst = make_instance("nip,unit,category\nA,U,free\nB,U,free",
                         config="rules: {min_wfo_per_week: 2}\n",
                         leave="nip,start,end\nB,2023-09-11,2023-09-14")
    # B is present one day in W37, so needs only min(2, 1) = 1 office day there
    rows = {"A": "OOHHHOOHHH", "B": "OOHHHLLLLO"}
    assert check(inst, make_roster(rows)).ok
    v = only(check(inst, make_roster(dict(rows, A="OOHHHOHHHH"))), "weekly")
    assert (v.rule, v.employee, v.week, v.date, v.limit, v.actual) == (7, "A", "2023-W37", None, 2, 1)


def test_weekly_partial_week_at_the_edge(make_instance, make_roster):
    # the window starts on a Thursday: W36 has two working days in it
    inst = make_instance("nip,unit,category\nA,U,free",
                         config="window: {start: 2023-09-07, end: 2023-09-15}\nrules: {min_wfo_per_week: 3}\n")
    mode = ["WFH", "WFH", "WFO", "WFO", "WFO", "WFH", "WFH"]
    rows = pd.DataFrame({"nip": "A", "date": list(inst.working_days), "mode": mode})
    v = only(check(inst, rows), "weekly")
    assert (v.week, v.limit, v.actual) == ("2023-W36", 2, 0)


# ---------------------------------------------------------------------------- rule 8
def test_desks_overbooked_is_one_violation(make_instance, make_roster):
    inst = make_instance("nip,unit,category,office\nA,U,free,K\nB,U,free,K\nC,U,free,",
                         offices="office,desks\nK,1")
    rows = {"A": "OHOHOHOHOH", "B": "HOHOHOHOHO", "C": "OOOOOOOOOO"}
    assert check(inst, make_roster(rows)).ok
    v = only(check(inst, make_roster(dict(rows, B="HOHOHOHOOO"))), "desks")
    assert (v.rule, v.office, v.date, v.limit, v.actual) == (8, "K", day(14), 1, 2)


# ---------------------------------------------------------------------------- rule 9
def test_missing_team_day_is_one_violation(make_instance, make_roster):
    inst = make_instance("nip,unit,category,team\nA,U,free,T\nB,U,free,T",
                         teams="team,unit,team_days_per_week\nT,U,1",
                         leave="nip,start,end\nB,2023-09-12,2023-09-12")
    rows = {"A": "HOHHHHHHHH", "B": "HOOHHHLHHH"}  # W36: 09-05 together; W37: never
    v = only(check(inst, make_roster(rows)), "teamdays")
    assert (v.rule, v.team, v.unit, v.week, v.limit, v.actual) == (9, "T", "U", "2023-W37", 1, 0)
    # 09-12: A at the office and B on leave: all present members are WFO
    assert check(inst, make_roster(dict(rows, A="HOHHHHOHHH"))).ok


def test_team_days_on_listed_weekdays_only(make_instance, make_roster):
    inst = make_instance("nip,unit,category,team\nA,U,free,T\nB,U,free,T",
                         teams="team,unit,team_days_per_week,team_days\nT,U,1,wed")
    rows = {"A": "HHOHHHHOHH", "B": "HHOHHHHOHH"}
    assert check(inst, make_roster(rows)).ok
    rows = {"A": "OHOHHOHHHH", "B": "OHOHHOHHHH"}  # W37 together only on Monday, not a listed day
    v = only(check(inst, make_roster(rows)), "teamdays")
    assert (v.week, v.limit, v.actual) == ("2023-W37", 1, 0)


def test_team_days_capped_by_days_in_week(make_instance, make_roster):
    # 3 team days a week but the window has only 2 working days in W36
    inst = make_instance("nip,unit,category,team\nA,U,free,T",
                         teams="team,unit,team_days_per_week\nT,U,3",
                         config="window: {start: 2023-09-07, end: 2023-09-13}\n")
    rows = pd.DataFrame({"nip": "A", "date": list(inst.working_days), "mode": ["WFO"] * 5})
    assert check(inst, rows).ok
    rows.loc[1, "mode"] = "WFH"
    v = only(check(inst, rows), "teamdays")
    assert (v.week, v.limit, v.actual) == ("2023-W36", 2, 1)


# ---------------------------------------------------------------------------- rule 10
def test_cover_pair_both_home_is_one_violation(make_instance, make_roster):
    inst = make_instance("nip,unit,category\nA,U,free\nB,U,free", pairs="nip_a,nip_b\nA,B",
                         leave="nip,start,end\nB,2023-09-04,2023-09-04")
    rows = {"A": "HOHOHOHOHO", "B": "LHOHOHOHOH"}  # 09-04: A at home, B on leave: fine
    assert check(inst, make_roster(rows)).ok
    v = only(check(inst, make_roster(dict(rows, B="LHHHOHOHOH"))), "pairs")
    assert (v.rule, v.employee, v.date) == (10, "A+B", day(6))


def test_together_pair_apart_is_one_violation(make_instance, make_roster):
    inst = make_instance("nip,unit,category\nA,U,free\nB,U,free", pairs="nip_a,nip_b,rule\nA,B,together")
    rows = {"A": "HOHOHOHOHO", "B": "HOHOHOHOHO"}
    assert check(inst, make_roster(rows)).ok
    v = only(check(inst, make_roster(dict(rows, B="HOHOHOHOHH"))), "pairs")
    assert (v.employee, v.date) == ("A+B", day(15))


# ---------------------------------------------------------------------------- rule 0 and a valid roster
def test_roster_structure(make_instance, make_roster):
    inst = make_instance("nip,unit,category\nA,U,free\nB,U,free")
    rows = make_roster({"A": "HHHHHHHHHH", "B": "OOOOOOOOOO"})
    rows = rows[~((rows["nip"] == "B") & (rows["date"] == day(5)))]
    extra = pd.DataFrame([("A", day(9), "WFO"), ("Z", day(4), "WFH"), ("A", day(4), "WFO")],
                         columns=["nip", "date", "mode"])
    result = check(inst, pd.concat([rows, extra], ignore_index=True))
    assert result.counts()["roster"] == 4
    assert {(v.employee, v.date) for v in result.violations} == {("B", day(5)), ("A", day(9)), ("Z", None),
                                                                  ("A", day(4))}
    assert all(v.rule == 0 for v in result.violations)


def test_valid_roster_with_every_rule(make_instance, make_roster):
    employees = """\
    nip,unit,category,team,essential,office,commute_km
    A,U,adm,T,,K,10
    B,U,adm,T,,K,5
    C,U,adm,T,true,K,
    D,U,pub,,,K,3
    """
    inst = make_instance(
        employees, teams="team,unit,min_onsite,min_onsite_ratio,team_days_per_week\nT,U,1,0.3,1",
        offices="office,desks\nK,4", pairs="nip_a,nip_b\nA,B",
        requests="nip,date,mode,strength\nA,mon,WFO,must",
        leave="nip,start,end\nB,2023-09-15,2023-09-15",
        config="rules: {max_consecutive_wfh: 2, min_wfo_per_week: 2}\n")
    rows = {"A": "OOHOHOHOHO", "B": "OHOHOOOHOL", "C": "OOOOOOOOOO", "D": "OOOOOOOOOO"}
    result = check(inst, make_roster(rows))
    assert result.ok, [v.message for v in result.violations]
    assert result.counts() == {name: 0 for name in RULE_NAMES.values()}
    # a roster from strings and dates read back from CSV text checks the same
    text = make_roster(rows).assign(date=lambda t: t["date"].map(dt.date.isoformat))
    assert check(inst, text).ok


def test_violation_as_dict(make_instance, make_roster):
    inst = make_instance("nip,unit,category,essential\nA,U,free,true")
    v = only(check(inst, make_roster({"A": "HOOOOOOOOO"})), "essential")
    d = v.as_dict()
    assert d["date"] == "2023-09-04" and d["rule"] == 2 and d["employee"] == "A"
    assert set(d) == {"rule", "rule_name", "date", "unit", "category", "team", "employee", "limit", "actual",
                      "message", "office", "week"}


# ---------------------------------------------------------------------------- figures
def test_figures_by_hand(make_instance, make_roster):
    employees = """\
    nip,unit,category,essential,commute_km
    A,U,adm,,10
    B,U,adm,,2.5
    D,U,adm,,
    C,U,adm,true,50
    P,U,pub,,7
    """
    requests = """\
    nip,date,mode,strength,weight
    A,2023-09-04,WFH,prefer,2
    A,mon,WFH,,1
    B,2023-09-05,WFO,prefer,3
    D,2023-09-11,WFO,prefer,4
    A,2023-09-06,WFH,must,
    """
    inst = make_instance(employees, requests=requests, leave="nip,start,end\nD,2023-09-11,2023-09-15")
    rows = {"A": "HHHHOOOOOO",  # 10 present, 4 WFH
            "B": "HHOOOOOOOO",  # 10 present, 2 WFH
            "D": "OOOOOLLLLL",  # 5 present, 0 WFH
            "C": "OOOOOOOOOO",  # essential: not in fairness
            "P": "OOOOOOOOOO"}  # cap 0 every day: not in fairness
    got = figures(inst, make_roster(rows))
    # group U×adm: W = 6, P = 25, r = 6/25; devs |4 − 2.4| = 1.6, |2 − 2.4| = 0.4, |0 − 1.2| = 1.2
    assert got["fairness_max_dev_days"] == pytest.approx(1.6, abs=1e-12)
    assert (got["employees"], got["working_days"]) == (5, 10)
    assert (got["wfh_days"], got["wfo_days"], got["leave_days"]) == (6, 39, 5)
    assert got["wfh_rate"] == pytest.approx(6 / 45)
    # A 09-04 (2) + A on Monday 09-04 (1; 09-11 is WFO) ; B 09-05 is WFH; D 09-11 is leave
    assert got["preferences_met_weight"] == pytest.approx(3.0)
    # A: 4 × 2 × 10 + B: 2 × 2 × 2.5
    assert got["commute_km_avoided"] == pytest.approx(90.0) and got["wfh_km"] == got["commute_km_avoided"]
    assert set(got) == {"employees", "working_days", "wfh_days", "wfo_days", "leave_days", "wfh_rate",
                        "fairness_max_dev_days", "preferences_met_weight", "commute_km_avoided", "wfh_km"}
    assert check(inst, make_roster(rows)).figures == got


def test_fairness_groups_are_unit_by_category(make_instance, make_roster):
    inst = make_instance("nip,unit,category\nA,U,free\nB,U,free\nC,V,free\nD,V,adm")
    # U: 4 and 2 WFH of 10: r = 3/10, devs 1; V×free alone: dev 0; V×adm alone: dev 0
    rows = {"A": "HHHHOOOOOO", "B": "HHOOOOOOOO", "C": "HHHHHHHHHO", "D": "OOOOOOOOOO"}
    assert figures(inst, make_roster(rows))["fairness_max_dev_days"] == pytest.approx(1.0)


def test_fairness_exact_thirds(make_instance, make_roster):
    inst = make_instance("nip,unit,category\nA,U,free\nB,U,free\nC,U,free")
    # W = 1 of P = 30: r = 1/30; dev_A = 1 − 10/30 = 2/3 exactly
    rows = {"A": "HOOOOOOOOO", "B": "OOOOOOOOOO", "C": "OOOOOOOOOO"}
    assert figures(inst, make_roster(rows))["fairness_max_dev_days"] == float(Fraction(2, 3))


# ---------------------------------------------------------------------------- size
def test_large_roster_is_fast(make_instance):
    n = 20_000
    employees = "nip,unit,category,team\n" + "\n".join(f"E{k},U{(k // 10) % 50},adm,T{k // 10}" for k in range(n))
    teams = "team,unit,min_onsite,team_days_per_week\n" + "\n".join(
        f"T{t},U{t % 50},1,1" for t in range(n // 10))
    inst = make_instance(employees, teams=teams, config="rules: {max_consecutive_wfh: 3, min_wfo_per_week: 1}\n")
    days = list(inst.working_days)
    rng = np.random.default_rng(0)
    mode = np.where(rng.random(n * len(days)) < 0.5, "WFH", "WFO")
    roster = pd.DataFrame({"nip": np.repeat([e.nip for e in inst.employees], len(days)),
                           "date": np.tile(np.array(days, dtype=object), n), "mode": mode})
    start = time.perf_counter()
    result = check(inst, roster)
    assert time.perf_counter() - start < 5
    assert result.counts()["roster"] == 0 and result.figures["wfh_days"] == int((mode == "WFH").sum())
