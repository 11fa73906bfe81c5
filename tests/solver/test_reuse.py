"""Parts reused across solves (what-if variants): solver/data.py's ``fingerprint`` and solve's ``reuse``.

A part is reused only when its content is the same and it was proven OPTIMAL, so a
solve that reuses parts gives the schedule a fresh solve gives.
"""
from __future__ import annotations

import dataclasses
import importlib
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings

from models import Instance
from models.generate import generate_instance
from solver import solve
from solver.data import FINGERPRINT_FIELDS, ComponentData, ProblemData, compile_instance, components, fingerprint, split
from solver.whatif import apply_changes

sys.path.insert(0, str(Path(__file__).parent))
from test_optimality import _load_trimmed, tiny_instances  # noqa: E402
from test_optimality import emp as brute_emp  # noqa: E402

solve_module = importlib.import_module("solver.solve")
SUMMIT = "phases.puncak-ktt.max_wfh.administrasi"


@pytest.fixture(scope="module")
def instance(tmp_path_factory) -> Instance:
    # 25 units, each its own part, all proven within a few seconds; some without `administrasi`
    return Instance.load(generate_instance(tmp_path_factory.mktemp("reuse"), employees=150, units=25, seed=2))


def _parts(inst: Instance) -> list[ComponentData]:
    data = compile_instance(inst)
    return split(data, components(data, link_offices=False))


def _goals(result) -> dict:
    return {g.goal: (g.value, g.bound, g.proven) for g in result.goals}


def test_every_field_of_the_problem_is_fingerprinted_or_left_out_on_purpose():
    named = [name for names in FINGERPRINT_FIELDS.values() for name in names]
    assert sorted(named) == sorted(f.name for f in dataclasses.fields(ProblemData)), \
        "a new ProblemData field: add it to FINGERPRINT_FIELDS (fingerprinted unless no part's solve reads it)"
    own = {f.name for f in dataclasses.fields(ComponentData)} - {"data", "members"}
    assert set(FINGERPRINT_FIELDS["per_part"]) == own


def test_a_cap_change_changes_the_fingerprints_of_the_parts_it_touches_only(instance):
    before, after = _parts(instance), _parts(apply_changes(instance, {SUMMIT: "0.9"}))
    assert [list(p.members) for p in before] == [list(p.members) for p in after]
    touched = []
    for a, b in zip(before, after):
        limits_differ = any(not np.array_equal(ga.limit, gb.limit) for ga, gb in zip(a.cap_groups, b.cap_groups))
        assert (fingerprint(a) != fingerprint(b)) == limits_differ
        if limits_differ:
            assert "administrasi" in {g.category for g in a.cap_groups}
        touched.append(limits_differ)
    assert any(touched) and not all(touched)
    # the same instance compiled again gives the same fingerprints
    assert [fingerprint(p) for p in before] == [fingerprint(p) for p in _parts(instance)]


def test_a_team_change_changes_its_own_part_only(instance):
    team = instance.teams[0]
    before = _parts(instance)
    # more than its members: every day's need changes (an infeasible team, but compiled all the same)
    after = _parts(apply_changes(instance, {f"teams.{team.team}.min_onsite": 999}))
    changed = [fingerprint(a) != fingerprint(b) for a, b in zip(before, after)]
    owner = [team.team in {t.team for t in p.teams} for p in before]
    assert changed == owner and sum(owner) == 1


@pytest.mark.parametrize("changes", [{"rules.min_wfo_per_week": 3}, {"objective": "wfh,fairness"}])
def test_a_rule_or_goal_change_changes_every_part(instance, changes):
    before, after = _parts(instance), _parts(apply_changes(instance, changes))
    assert all(fingerprint(a) != fingerprint(b) for a, b in zip(before, after))


def test_a_reused_part_gives_the_schedule_of_a_fresh_solve(instance):
    reuse: dict = {}
    first = solve(apply_changes(instance, {SUMMIT: "0.6"}), time_limit=60, workers=1, reuse=reuse)
    assert first.status == "OPTIMAL" and first.details["reused"] == 0
    assert len(reuse) == first.details["components"]
    # proven, or (parts with pairs, team days, desks or teams across cap groups) kept within the floor
    # of the plain parts with every other goal proven, stored under that floor
    for key, o in reuse.items():
        assert o.status == "OPTIMAL" or (len(key) == 4 and o.capped == key[3] and all(
            g.proven for name, g in o.goals.items() if name != "fairness")), (key[1:], o.status, o.capped)

    variant = apply_changes(instance, {SUMMIT: "0.9"})
    again = solve(variant, time_limit=60, workers=1, reuse=reuse)
    fresh = solve(variant, time_limit=60, workers=1)
    assert 0 < again.details["reused"] < again.details["components"]
    assert again.status == fresh.status == "OPTIMAL"
    assert again.schedule.to_csv(index=False) == fresh.schedule.to_csv(index=False)
    assert _goals(again) == _goals(fresh)

    # the first variant once more: every part from `reuse`, as it was (a run changes only its own copies)
    repeat = solve(apply_changes(instance, {SUMMIT: "0.6"}), time_limit=60, workers=1, reuse=reuse)
    assert repeat.details["reused"] == repeat.details["components"]
    assert repeat.schedule.to_csv(index=False) == first.schedule.to_csv(index=False)
    assert _goals(repeat) == _goals(first)


def test_an_unproven_part_is_not_kept(instance, monkeypatch):
    real = solve_module.solve_component

    def unproven(*args, **kwargs):
        return dataclasses.replace(real(*args, **kwargs), status="FEASIBLE", capped=None)

    monkeypatch.setattr(solve_module, "solve_component", unproven)
    reuse: dict = {}
    result = solve(instance, time_limit=10, workers=1, reuse=reuse)
    assert result.status == "FEASIBLE"
    # nothing is kept as a proven part (content, seed, goals); a first pass's run may be kept under
    # the floor it ran within, as the second pass's start, and a second solve taking it proves nothing more
    assert all(len(key) > 3 for key in reuse)
    again = solve(instance, time_limit=10, workers=1, reuse=reuse)
    assert again.status == "FEASIBLE"


# ---------------------------------------------------------------------------- caps the teams keep anyway
def test_caps_the_teams_keep_anyway_become_the_same_part(tmp_path):
    """Three in a team that needs two on site: at most one is home, so a cap of 0.34, 0.67 or 1 of the
    three says nothing and the three variants are one part; a cap of 0 is kept."""
    import brute
    from solver.data import without_idle_caps

    people = [brute_emp(n, team="T") for n in "ABC"]
    parts = {}
    for cap in ("0", "0.34", "0.67", "1"):
        inst = brute.write_instance(tmp_path / cap, people, categories={"adm": cap},
                                    teams=[dict(team="T", unit="U", min_onsite=2)], objective=["wfh"])
        data = without_idle_caps(compile_instance(inst))
        (part,) = split(data, components(data, link_offices=False))
        parts[cap] = part
    assert len({fingerprint(parts[c]) for c in ("0.34", "0.67", "1")}) == 1
    assert fingerprint(parts["0"]) != fingerprint(parts["1"])
    assert all((g.limit == 3).all() for g in parts["0.34"].cap_groups)       # no cap: all three may be home


@settings(max_examples=int(os.environ.get("GILIRAN_BRUTE_EXAMPLES", 40)), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(tiny_instances())
def test_a_cap_is_dropped_only_when_no_schedule_of_the_rules_reaches_it(case):
    """Brute force: the schedules that keep every rule are those that keep the other rules and the caps
    of ``without_idle_caps`` (a cap it changed stated nothing)."""
    import brute
    from solver.data import without_idle_caps

    people, kwargs, trim = case
    with tempfile.TemporaryDirectory() as tmp:
        inst = _load_trimmed(Path(tmp), people, kwargs, trim)
        t = brute.tiny(inst)
        wfh = brute.enumerate_all(t)
        stated = compile_instance(inst)
        if stated.conflicts:
            return
        dropped = without_idle_caps(stated)
        ok = np.ones(len(wfh), dtype=bool)
        for rule in brute.RULES:
            if rule is not brute.rule_caps:
                ok &= rule(t, wfh)
        for g in dropped.cap_groups:
            ok &= (wfh[:, g.members, :].sum(axis=1) <= g.limit).all(axis=1)
        assert (ok == brute.feasible(t, wfh)).all()
        changed = any((a.limit != b.limit).any() for a, b in zip(stated.cap_groups, dropped.cap_groups))
        event("a cap dropped" if changed else "none dropped")
