"""The solver's OPTIMAL against a brute force that tries every schedule of tiny instances.

:mod:`brute` (next to this file) writes SPEC §2 and §3 again, independently of
``solver/``: every schedule of an instance with at most ~16 free employee-days is
enumerated, the ones keeping every rule are kept, and the goals are applied in
``objective`` order with exact arithmetic. The solver must say OPTIMAL, reach the
same value for every goal, and return a schedule that is itself one of those optima.
"""
from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
import brute  # noqa: E402

# the submodule, not the package attribute: a stale editable install can make `solver` a namespace package
from solver.solve import solve  # noqa: E402

MON = dt.date(2023, 9, 4)  # 2023-W36; 2023-09-11 starts W37


def day(k: int) -> str:
    """The date ``k`` calendar days after Monday 2023-09-04."""
    return (MON + dt.timedelta(days=k)).isoformat()


def emp(nip, unit="U", category="adm", **more) -> dict:
    return dict(nip=nip, unit=unit, category=category, **more)


def solve_tiny(inst):
    return solve(inst, time_limit=30, workers=1, seed=0, check=False)


def assert_solver_matches_brute(inst, *, opt=None):
    """OPTIMAL, every goal at the brute-force optimum, and a schedule among the optima."""
    opt = opt or brute.optimum(inst)
    assert opt.feasible, "the case is meant to be feasible"
    res = solve_tiny(inst)
    assert res.status == "OPTIMAL", (res.status, res.infeasibility)
    got = {g.goal: g.value for g in res.goals}
    for goal, best in opt.values.items():
        assert goal in got, f"no value for goal {goal}: {res.goals}"
        assert got[goal] == pytest.approx(float(best), rel=1e-12, abs=1e-9), \
            f"{goal}: solver {got[goal]}, brute force {best} ({float(best)})"
    assert res.schedule is not None
    assert brute.judge(opt, res.schedule) == []
    return opt, res


def assert_infeasible(inst):
    opt = brute.optimum(inst)
    assert not opt.feasible
    res = solve_tiny(inst)
    assert res.status == "INFEASIBLE"
    assert isinstance(res.infeasibility, list) and res.infeasibility
    return res


# ---------------------------------------------------------------------------- the brute force itself
def test_brute_force_counts_by_hand(tmp_path):
    """Two adm employees at cap 0.5 of three present (one essential): one at home a day at most."""
    inst = brute.write_instance(tmp_path, [emp("A"), emp("B"), emp("C", essential="true")],
                                window=(day(0), day(2)), objective=["wfh", "fairness"])
    opt = brute.optimum(inst)
    assert opt.n_schedules == 2 ** 6
    assert opt.n_feasible == 3 ** 3            # per day: nobody, A or B at home
    assert opt.values == {"wfh": 3, "fairness": Fraction(1, 2)}
    assert len(opt.optima) == 6                # 3 WFH days split 2 + 1


def test_brute_force_exact_caps_and_fairness(tmp_path):
    """floor(0.57 × 7) = 3 (not 3.99 → 3 by luck: 0.57 × 100 = 57); deviations are exact fractions."""
    people = [emp(n) for n in "ABCDEFG"]
    inst = brute.write_instance(tmp_path, people, categories={"adm": "0.57"}, window=(day(0), day(1)),
                                leave=[dict(nip=n, start=day(1), end=day(1)) for n in "DEFG"],
                                objective=["wfh", "fairness"])
    opt = brute.optimum(inst)
    # day 0: 7 present → 3 at home; day 1: 3 present → floor(1.71) = 1
    assert opt.values["wfh"] == 4
    # P_g = 7 + 3 = 10, W_g = 4, rate 2/5; best spread: A..C present twice (expect 4/5), D..G once (2/5)
    assert opt.values["fairness"] == Fraction(3, 5)


# ---------------------------------------------------------------------------- one goal at a time
def test_wfh_with_essential_and_zero_cap_category(tmp_path):
    inst = brute.write_instance(
        tmp_path, [emp("A"), emp("B"), emp("C", essential="true"), emp("D", category="pub"), emp("E", unit="V")],
        categories={"adm": "0.5", "pub": "0"}, objective=["wfh"])
    opt, _ = assert_solver_matches_brute(inst)
    assert opt.values["wfh"] == 5 + 0  # U×adm: floor(1.5) = 1 a day; V×adm: floor(0.5) = 0


def test_wfh_km_decimal_commutes_two_units_and_cover_pair(tmp_path):
    people = [emp("A", commute_km="12.5"), emp("B", commute_km="7.25"), emp("C"),
              emp("D", unit="V", category="free", commute_km="3.3"),
              emp("E", unit="V", category="free", commute_km="40.1")]
    inst = brute.write_instance(tmp_path, people, categories={"adm": "0.5", "free": "1"},
                                window=(day(0), day(2)), pairs=[dict(nip_a="D", nip_b="E", rule="cover")],
                                objective=["wfh_km", "fairness"])
    opt, _ = assert_solver_matches_brute(inst)
    assert opt.values["wfh_km"] == 3 * 2 * Fraction("12.5") + 3 * 2 * Fraction("40.1")


def test_wfh_km_then_fairness_trades_km(tmp_path):
    """Fairness first costs km: A (far) cannot take every home day."""
    people = [emp("A", commute_km="30.7"), emp("B", commute_km="1.1"), emp("C", commute_km="0.05", essential="true")]
    inst = brute.write_instance(tmp_path, people, window=(day(0), day(3)), objective=["fairness", "wfh_km"])
    opt, _ = assert_solver_matches_brute(inst)
    assert opt.values["fairness"] == 0


def test_fairness_first_then_wfh_with_leave_and_odd_cap(tmp_path):
    people = [emp("A"), emp("B"), emp("C"), emp("D", category="free")]
    inst = brute.write_instance(tmp_path, people, categories={"adm": "0.57", "free": "0.75"},
                                window=(day(0), day(3)),
                                leave=[dict(nip="A", start=day(2), end=day(9)), dict(nip="C", start=day(0), end=day(0))],
                                objective=["fairness", "wfh"])
    assert_solver_matches_brute(inst)


def test_fairness_alone_with_team_mixing_categories(tmp_path):
    people = [emp("A", team="T"), emp("B", team="T"), emp("C", category="free", team="T"),
              emp("D", category="free", team="T")]
    inst = brute.write_instance(tmp_path, people, categories={"adm": "1", "free": "0.5"},
                                window=(day(0), day(3)), teams=[dict(team="T", unit="U", min_onsite=2)],
                                objective=["fairness"])
    assert_solver_matches_brute(inst)


def test_fairness_counts_who_may_be_home_on_some_working_day(tmp_path):
    """§7.4: D counts (pub's cap is above 0 on Wednesday) though on leave then; G never present: dev 0."""
    people = [emp("A"), emp("B"), emp("G"), emp("D", category="pub"), emp("E", category="pub"), emp("F", category="pub"),
              emp("H", category="pub", essential="true")]
    inst = brute.write_instance(tmp_path, people, categories={"adm": "0.5", "pub": "0"}, window=(day(0), day(4)),
                                phases=[dict(name="mid", start=day(2), end=day(2), max_wfh={"pub": "0.5"})],
                                leave=[dict(nip="D", start=day(2), end=day(2)), dict(nip="G", start=day(0), end=day(6))],
                                objective=["wfh", "fairness"])
    opt, _ = assert_solver_matches_brute(inst)
    # adm: floor(0.5 × 2) = 1 a day, 5 days split 3 + 2 → dev 1/2; pub on Wednesday: floor(0.5 × 3) = 1 for E or F,
    # P = 4 + 5 + 5 = 14 (H essential, not counted), dev = 1 − 5/14 = 9/14
    assert opt.values == {"wfh": 6, "fairness": Fraction(9, 14)}


def test_preferences_decimal_weights_then_wfh_then_fairness(tmp_path):
    people = [emp("A"), emp("B"), emp("C"), emp("D", unit="V", category="free")]
    requests = [dict(nip="A", date="mon", mode="WFH", weight="0.3"),
                dict(nip="B", date=day(0), mode="WFH", weight="1.25"),
                dict(nip="C", date=day(1), mode="WFO", strength="prefer", weight="2.5"),
                dict(nip="C", date="tue", mode="WFH", weight="0.75"),
                dict(nip="A", date=day(3), mode="WFH", weight="0.1"),
                dict(nip="D", date="wed", mode="WFO", weight="0.4")]
    inst = brute.write_instance(tmp_path, people, categories={"adm": "0.67", "free": "1"}, window=(day(0), day(3)),
                                requests=requests, objective=["preferences", "wfh", "fairness"])
    opt, _ = assert_solver_matches_brute(inst)
    assert opt.values["preferences"] == Fraction("0.3") + Fraction("1.25") + Fraction("2.5") + Fraction("0.1") \
        + Fraction("0.4")


def test_weekday_preference_counts_once_per_working_day(tmp_path):
    """A `mon` request over two Mondays, one a day off, one on leave; extra day off in between."""
    inst = brute.write_instance(
        tmp_path, [emp("A", category="free"), emp("B", category="free")], categories={"free": "0.5"},
        window=(day(0), day(15)), extra_days_off=[day(7), day(3), day(9), day(10), day(11)],
        holidays=[day(8), day(14), day(12)],
        leave=[dict(nip="A", start=day(15), end=day(15))],
        requests=[dict(nip="A", date="mon", mode="WFH", weight="1.5"), dict(nip="B", date="tue", mode="WFH", weight=2)],
        objective=["preferences", "fairness", "wfh"])
    assert len(inst.working_days) == 5  # 09-04, 09-05, 09-06, 09-08, 09-18 (A on leave)
    opt, _ = assert_solver_matches_brute(inst)
    assert opt.values["preferences"] == Fraction("1.5") + 2


# ---------------------------------------------------------------------------- optional rules
def test_max_consecutive_wfh_skips_leave_and_days_off(tmp_path):
    people = [emp("A", category="free"), emp("B", category="free"), emp("C", category="free")]
    inst = brute.write_instance(tmp_path, people, categories={"free": "1"}, window=(day(0), day(7)),
                                extra_days_off=[day(2)], rules={"max_consecutive_wfh": 2},
                                leave=[dict(nip="A", start=day(1), end=day(1))],
                                objective=["wfh", "fairness"])
    opt, _ = assert_solver_matches_brute(inst)
    # 5 working days (Mon, Tue, Thu, Fri, next Mon): A has 4 present → 3 WFH at most; B, C 5 → 4
    assert opt.values["wfh"] == 3 + 4 + 4


def test_min_wfo_per_week_across_two_iso_weeks(tmp_path):
    people = [emp("A", category="free"), emp("B", category="free"), emp("C", category="free", unit="V")]
    inst = brute.write_instance(tmp_path, people, categories={"free": "1"}, window=(day(2), day(8)),
                                rules={"min_wfo_per_week": 2}, leave=[dict(nip="B", start=day(7), end=day(7))],
                                objective=["wfh", "fairness"])
    opt, _ = assert_solver_matches_brute(inst)
    # W36: Wed Thu Fri → 1 WFH each; W37: Mon Tue → 0 (B: only Tue present → 0)
    assert opt.values["wfh"] == 3


def test_desks_against_team_minimum_and_preferences(tmp_path):
    people = [emp("A", category="free", team="T", office="O"), emp("B", category="free", team="T", office="O"),
              emp("C", category="free", office="O"), emp("D", category="free", office="P", unit="V")]
    inst = brute.write_instance(tmp_path, people, categories={"free": "1"}, window=(day(0), day(3)),
                                offices=[dict(office="O", desks=1), dict(office="P", desks=0)],
                                teams=[dict(team="T", unit="U", min_onsite=1)],
                                requests=[dict(nip="C", date=day(1), mode="WFO", weight="0.5")],
                                objective=["wfh", "preferences"])
    opt, _ = assert_solver_matches_brute(inst)
    assert opt.values == {"wfh": 12, "preferences": 0}


def test_team_days_chosen_by_the_solver(tmp_path):
    people = [emp("A", category="free", team="T"), emp("B", category="free", team="T"),
              emp("C", category="free", team="T"), emp("D", category="free")]
    inst = brute.write_instance(tmp_path, people, categories={"free": "1"}, window=(day(3), day(8)),
                                teams=[dict(team="T", unit="U", team_days_per_week=2)],
                                leave=[dict(nip="C", start=day(7), end=day(7))],
                                requests=[dict(nip="A", date=day(4), mode="WFH", weight=3)],
                                objective=["preferences", "wfh"])
    opt, _ = assert_solver_matches_brute(inst)
    # W36 has Thu, Fri: both must be team days; W37 Mon, Tue: both too. A's wish can't be met
    assert opt.values == {"preferences": 0, "wfh": 4}


def test_team_days_on_listed_weekdays(tmp_path):
    people = [emp("A", category="free", team="T"), emp("B", category="free", team="T"),
              emp("C", category="adm", team="T")]
    inst = brute.write_instance(tmp_path, people, categories={"free": "1", "adm": "1"}, window=(day(0), day(4)),
                                teams=[dict(team="T", unit="U", team_days="wed fri", team_days_per_week=1)],
                                leave=[dict(nip="B", start=day(2), end=day(2))],
                                requests=[dict(nip="A", date="fri", mode="WFH", weight="0.5"),
                                          dict(nip="C", date="wed", mode="WFH", weight="0.25")],
                                objective=["wfh", "preferences", "fairness"])
    opt, _ = assert_solver_matches_brute(inst)
    assert opt.values["wfh"] == 14 - 3 + 1  # 14 present cells, one listed day all in (Fri: 3; Wed: 2)


def test_team_days_with_the_team_all_on_leave_that_day(tmp_path):
    people = [emp("A", category="free", team="T"), emp("B", category="free", team="T")]
    inst = brute.write_instance(tmp_path, people, categories={"free": "1"}, window=(day(0), day(3)),
                                teams=[dict(team="T", unit="U", team_days_per_week=1)],
                                leave=[dict(nip="A", start=day(1), end=day(1)), dict(nip="B", start=day(1), end=day(1))],
                                objective=["wfh"])
    opt, _ = assert_solver_matches_brute(inst)
    assert opt.values["wfh"] == 6  # the empty Tuesday is the team day


def test_cover_and_together_pairs(tmp_path):
    people = [emp("A", category="free"), emp("B", category="free"), emp("C", category="free", unit="V"),
              emp("D", category="free", unit="V", commute_km="9.5")]
    inst = brute.write_instance(tmp_path, people, categories={"free": "0.5"}, window=(day(0), day(3)),
                                pairs=[dict(nip_a="A", nip_b="B", rule="cover"), dict(nip_a="C", nip_b="D", rule="together")],
                                leave=[dict(nip="B", start=day(2), end=day(2)), dict(nip="C", start=day(3), end=day(3))],
                                objective=["wfh", "fairness"])
    opt, _ = assert_solver_matches_brute(inst)
    # U: cap 1 a day (0 on Wed: floor(0.5)); V: together → both or none, cap 1 → none unless alone (Thu: D alone, floor 0.5 = 0)
    assert opt.values["wfh"] == 3


def test_cap_scope_team_with_unteamed_staff(tmp_path):
    people = [emp("A", team="T"), emp("B", team="T"), emp("C", team="T", category="free"),
              emp("D"), emp("E"), emp("F", team="S", category="free")]
    inst = brute.write_instance(tmp_path, people, categories={"adm": "0.5", "free": "0.5"}, cap_scope="team",
                                window=(day(0), day(2)), teams=[dict(team="T", unit="U", min_onsite_ratio="0.34"),
                                                                dict(team="S", unit="U")],
                                objective=["wfh", "fairness"])
    opt, _ = assert_solver_matches_brute(inst)
    # T×adm: 1 a day, T×free: 0, unteamed U×adm (D, E): 1 a day, S×free: 0; team T needs ceil(1.02) = 2 in
    assert opt.values["wfh"] == 6


def test_cap_scope_all_across_units(tmp_path):
    people = [emp("A"), emp("B", unit="V"), emp("C", unit="W"), emp("D", unit="W", essential="true")]
    inst = brute.write_instance(tmp_path, people, categories={"adm": "0.5"}, cap_scope="all",
                                window=(day(0), day(3)), objective=["wfh", "fairness"])
    opt, _ = assert_solver_matches_brute(inst)
    assert opt.values["wfh"] == 8
    # fairness groups stay unit × category: each unit's lone non-essential has dev 0
    assert opt.values["fairness"] == 0


def test_phases_change_caps_last_listed_wins(tmp_path):
    people = [emp("A"), emp("B"), emp("C"), emp("D", category="pub")]
    phases = [dict(name="ktt", start=day(1), end=day(3), max_wfh={"adm": "0.75", "pub": "0.5"}),
              dict(name="tutup", start=day(2), end=day(2), max_wfh={"adm": "0"})]
    inst = brute.write_instance(tmp_path, people, categories={"adm": "0.34", "pub": "0"}, phases=phases,
                                window=(day(0), day(4)), objective=["wfh", "fairness"])
    opt, _ = assert_solver_matches_brute(inst)
    # adm: 1, 2, 0, 2, 1; pub: 0, 0, 0, 0, 0 (alone: floor(0.5) = 0)
    assert opt.values["wfh"] == 6


def test_must_requests_fix_modes(tmp_path):
    people = [emp("A", category="free", team="T"), emp("B", category="free", team="T"), emp("C", category="free", team="T")]
    requests = [dict(nip="A", date=day(0), mode="WFH", strength="must"),
                dict(nip="B", date="tue", mode="WFO", strength="must"),
                dict(nip="C", date=day(2), mode="WFH", strength="must"),  # on leave: ignored
                dict(nip="C", date=day(5), mode="WFO", strength="must"),  # a Saturday: applies to nothing
                dict(nip="A", date=day(0), mode="WFO", weight=5)]         # a preference against a must
    inst = brute.write_instance(tmp_path, people, categories={"free": "0.67"}, window=(day(0), day(5)),
                                teams=[dict(team="T", unit="U", min_onsite=1)],
                                leave=[dict(nip="C", start=day(2), end=day(3))], requests=requests,
                                rules={"max_consecutive_wfh": 1}, objective=["preferences", "fairness", "wfh"])
    assert_solver_matches_brute(inst)


def test_three_units_mixed_rules_and_every_goal(tmp_path):
    people = [emp("A", team="T", commute_km="10.5"), emp("B", team="T", category="free", commute_km="2"),
              emp("C", team="T", commute_km="0.25"),
              emp("D", unit="V", category="free", team="S"), emp("E", unit="V", team="S", commute_km="5"),
              emp("F", unit="W", category="free", commute_km="8.75")]
    inst = brute.write_instance(
        tmp_path, people, categories={"adm": "0.5", "free": "0.75"}, window=(day(0), day(2)),
        teams=[dict(team="T", unit="U", min_onsite=1, min_onsite_ratio="0.5"),
               dict(team="S", unit="V", min_onsite_ratio="0.25", team_days_per_week=1)],
        requests=[dict(nip="F", date="wed", mode="WFO", weight="1.5"), dict(nip="A", date=day(1), mode="WFH", weight="0.2")],
        rules={"min_wfo_per_week": 1}, objective=["preferences", "wfh_km", "fairness"])
    assert_solver_matches_brute(inst)


# ---------------------------------------------------------------------------- infeasible
def test_team_needing_more_than_present_is_infeasible(tmp_path):
    inst = brute.write_instance(tmp_path, [emp("A", team="T"), emp("B", team="T")], window=(day(0), day(2)),
                                teams=[dict(team="T", unit="U", min_onsite=2)],
                                leave=[dict(nip="B", start=day(1), end=day(1))])
    assert_infeasible(inst)


def test_must_wfh_for_essential_is_infeasible(tmp_path):
    inst = brute.write_instance(tmp_path, [emp("A", essential="true"), emp("B")], window=(day(0), day(2)),
                                requests=[dict(nip="A", date=day(1), mode="WFH", strength="must")])
    assert_infeasible(inst)


def test_must_wfh_and_must_wfo_on_one_day_is_infeasible(tmp_path):
    inst = brute.write_instance(tmp_path, [emp("A", category="free"), emp("B")], categories={"adm": "0.5", "free": "1"},
                                window=(day(0), day(2)),
                                requests=[dict(nip="A", date=day(1), mode="WFH", strength="must"),
                                          dict(nip="A", date="tue", mode="WFO", strength="must")])
    assert_infeasible(inst)


# ---------------------------------------------------------------------------- random tiny instances
CAPS = ("0", "0.25", "0.5", "0.57", "0.75", "1")


@st.composite
def tiny_instances(draw):
    """Keyword arguments of :func:`brute.write_instance` for a random tiny instance, and a trim order."""
    n_emp = draw(st.sampled_from([2, 3, 4, 4, 5, 5]))
    n_days = draw(st.sampled_from([2, 3, 4, 4, 5, 5]))
    start = draw(st.integers(0, 4))
    off = draw(st.none() | st.integers(0, n_days))  # which weekday from the start is an extra day off
    weekdays, k = [], start
    while len(weekdays) < n_days + 1:
        if (MON + dt.timedelta(days=k)).weekday() < 5:
            weekdays.append(k)
        k += 1
    days_off = [] if off is None else [weekdays[off]]
    work = [k for k in weekdays if k not in days_off][:n_days]
    window = (day(start), day(work[-1]))
    days_off = [d for d in days_off if d <= work[-1]]

    n_units = draw(st.sampled_from([1, 1, 2]))
    units = ["U", "V"][:n_units]
    categories = {"a": draw(st.sampled_from(CAPS[1:])), "b": draw(st.sampled_from(CAPS))}
    teams = []
    for u in units:
        if draw(st.booleans()):
            listed = draw(st.none() | st.lists(st.sampled_from(["mon", "tue", "wed", "thu", "fri"]), min_size=1,
                                               max_size=2, unique=True))
            per_week = draw(st.sampled_from([None, None, 0, 1, 2]))
            if listed is not None and per_week is not None:
                per_week = min(per_week, len(listed))
            teams.append(dict(team=f"T{u}", unit=u, min_onsite=draw(st.sampled_from([0, 0, 0, 1, 2])),
                              min_onsite_ratio=draw(st.sampled_from(["", "0.25", "0.5", "0.34"])),
                              team_days_per_week=per_week,
                              team_days=None if listed is None else " ".join(listed)))
    team_of = {t["unit"]: t["team"] for t in teams}
    use_office = draw(st.booleans())
    people = []
    for i in range(n_emp):
        u = draw(st.sampled_from(units))
        people.append(dict(
            nip=f"E{i}", unit=u, category=draw(st.sampled_from(["a", "a", "b"])),
            team=team_of[u] if u in team_of and draw(st.booleans()) else None,
            essential="true" if draw(st.integers(0, 9)) == 0 else "false",
            commute_km=draw(st.sampled_from(["", "0", "1.5", "7.25", "12"])),
            office=("O" if draw(st.booleans()) else None) if use_office else None))
    nips = [p["nip"] for p in people]
    leave = []
    for nip in nips:
        if draw(st.integers(0, 3)) == 0:
            a = draw(st.integers(0, len(work) - 1))
            b = draw(st.integers(a, len(work) - 1))
            leave.append(dict(nip=nip, start=day(work[a]), end=day(work[b])))
    requests = []
    for _ in range(draw(st.integers(0, 4))):
        when = draw(st.one_of(st.sampled_from([day(k) for k in work]),
                              st.sampled_from(["mon", "tue", "wed", "thu", "fri"])))
        requests.append(dict(nip=draw(st.sampled_from(nips)), date=when, mode=draw(st.sampled_from(["WFH", "WFO"])),
                             strength="must" if draw(st.integers(0, 4)) == 0 else "prefer",
                             weight=draw(st.sampled_from(["1", "0.5", "2.25", "3"]))))
    pairs = []
    if draw(st.booleans()):
        a, b = draw(st.lists(st.sampled_from(nips), min_size=2, max_size=2, unique=True))
        pairs.append(dict(nip_a=a, nip_b=b, rule=draw(st.sampled_from(["cover", "together"]))))
    rules = {"max_consecutive_wfh": draw(st.none() | st.integers(1, 2)),
             "min_wfo_per_week": draw(st.none() | st.integers(1, 3))}
    phases = []
    if draw(st.booleans()):
        a = draw(st.integers(0, len(work) - 1))
        b = draw(st.integers(a, len(work) - 1))
        phases.append(dict(name="p", start=day(work[a]), end=day(work[b]),
                           max_wfh={draw(st.sampled_from(["a", "b"])): draw(st.sampled_from(CAPS))}))
    first = draw(st.sampled_from(["wfh", "wfh_km"]))
    order = draw(st.permutations([first, "fairness", "preferences"]))
    objective = list(order[:draw(st.integers(1, 3))])
    kwargs = dict(window=window, extra_days_off=[day(k) for k in days_off], categories=categories, phases=phases or None,
                  cap_scope=draw(st.sampled_from(["unit", "team", "all"])), rules=rules, objective=objective,
                  teams=teams or None, leave=leave or None, requests=requests or None, pairs=pairs or None,
                  offices=[dict(office="O", desks=draw(st.integers(0, 4)))] if use_office else None)
    trim = draw(st.permutations(range(n_emp * n_days)))
    return people, kwargs, trim


MAX_FREE_RANDOM = 16


def _load_trimmed(folder: Path, people, kwargs, trim):
    """Load the instance, first putting cells on leave (in ``trim`` order) until ≤ 16 are free."""
    inst = brute.write_instance(folder / "raw", people, **kwargs)
    t = brute.tiny(inst)
    fixed, _, _ = brute.forced(t)
    excess = int((~fixed).sum()) - MAX_FREE_RANDOM
    if excess <= 0:
        return inst
    E, D = fixed.shape
    cells = [(c // D, c % D) for c in trim if not fixed[c // D, c % D]][:excess]
    extra = [dict(nip=t.nips[e], start=t.days[d].isoformat(), end=t.days[d].isoformat()) for e, d in cells]
    kwargs = dict(kwargs, leave=(kwargs["leave"] or []) + extra)
    inst = brute.write_instance(folder / "trimmed", people, **kwargs)
    assert brute.free_cells(inst) <= MAX_FREE_RANDOM
    return inst


@settings(max_examples=int(os.environ.get("GILIRAN_BRUTE_EXAMPLES", 40)), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(tiny_instances())
def test_random_tiny_instances_match_the_brute_force(case):
    people, kwargs, trim = case
    with tempfile.TemporaryDirectory() as tmp:
        inst = _load_trimmed(Path(tmp), people, kwargs, trim)
        opt = brute.optimum(inst)
        event("feasible" if opt.feasible else "infeasible")
        event(f"free cells {brute.free_cells(inst) // 4 * 4}+")
        if opt.feasible:
            event(f"feasible schedules: {min(opt.n_feasible, 10)}{'+' if opt.n_feasible >= 10 else ''}")
        if not opt.feasible:
            res = solve_tiny(inst)
            assert res.status == "INFEASIBLE", (res.status, res.goals)
            assert res.infeasibility
        else:
            assert_solver_matches_brute(inst, opt=opt)
