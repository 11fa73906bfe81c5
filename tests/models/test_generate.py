"""Tests of the synthetic-instance generator (models/generate.py) and the bundled instance."""
from __future__ import annotations

import filecmp
import math
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from models import Instance
from models.generate import _generate, generate_instance

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "instances" / "jakarta-2023"
FILES = ("instance.yaml", "employees.csv", "teams.csv", "leave.csv", "requests.csv", "offices.csv", "pairs.csv")


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    return generate_instance(tmp_path_factory.mktemp("small"), 50, 4, seed=1)


@pytest.fixture(scope="module")
def medium(tmp_path_factory) -> tuple[Path, object]:
    return _generate(tmp_path_factory.mktemp("medium"), 2000, 30, seed=5)


@pytest.fixture(scope="module")
def medium_instance(medium) -> Instance:
    return Instance.load(medium[0])


@pytest.fixture(scope="module")
def bundled() -> Instance:
    return Instance.load(BUNDLED)


def _leave_days(inst: Instance) -> dict[str, set]:
    days = set(inst.working_days)
    out: dict[str, set] = defaultdict(set)
    for spell in inst.leave:
        out[spell.nip] |= {d for d in days if spell.start <= d <= spell.end}
    return out


def _present(inst: Instance) -> dict:
    """present[(nip, day)] for every employee and working day."""
    leave = _leave_days(inst)
    return {(e.nip, d): d not in leave[e.nip] for e in inst.employees for d in inst.working_days}


# ---------------------------------------------------------------------------- determinism
def test_same_seed_gives_identical_files(tmp_path):
    a = generate_instance(tmp_path / "a", 300, 8, seed=42)
    b = generate_instance(tmp_path / "b", 300, 8, seed=42)
    for name in FILES:
        assert filecmp.cmp(a / name, b / name, shallow=False), name


def test_different_seed_gives_different_files(tmp_path):
    a = generate_instance(tmp_path / "a", 300, 8, seed=42)
    b = generate_instance(tmp_path / "b", 300, 8, seed=43)
    assert (a / "employees.csv").read_bytes() != (b / "employees.csv").read_bytes()
    assert (a / "leave.csv").read_bytes() != (b / "leave.csv").read_bytes()


def test_bundled_instance_is_reproducible(tmp_path):
    out = generate_instance(tmp_path / "j", 3000, 40, seed=2023, name="jakarta-2023")
    for name in FILES:
        assert filecmp.cmp(out / name, BUNDLED / name, shallow=False), name


def test_without_hybrid_rules_no_offices_or_pairs(tmp_path):
    out = generate_instance(tmp_path / "plain", 200, 5, seed=3, hybrid_rules=True)
    generate_instance(out, 200, 5, seed=3, hybrid_rules=False, min_wfo_per_week=None)
    assert not (out / "offices.csv").exists() and not (out / "pairs.csv").exists()
    inst = Instance.load(out)
    assert inst.offices == () and inst.pairs == ()
    assert inst.rules.min_wfo_per_week is None


def test_too_few_employees_per_unit(tmp_path):
    with pytest.raises(ValueError):
        generate_instance(tmp_path, 20, 5, seed=1)


# ---------------------------------------------------------------------------- shape
def test_small_instance_loads(small):
    inst = Instance.load(small)
    assert len(inst.employees) == 50
    assert len({e.unit for e in inst.employees}) == 4
    assert inst.rules.min_wfo_per_week == 2 and inst.rules.max_consecutive_wfh is None


def test_medium_instance_shape(medium_instance):
    inst = medium_instance
    assert len(inst.employees) == 2000
    assert len({e.unit for e in inst.employees}) == 30
    assert len(inst.working_days) == 44
    assert {c for c in inst.categories} == {"administrasi", "dukungan_pimpinan", "layanan_masyarakat"}
    nips = [e.nip for e in inst.employees]
    assert len(set(nips)) == len(nips)
    assert all(len(n) == 18 and n.isdigit() for n in nips)
    sizes = Counter(e.team for e in inst.employees)
    assert set(sizes) == {t.team for t in inst.teams}
    assert all(5 <= s <= 20 for s in sizes.values())
    assert all(2 <= e.commute_km <= 60 for e in inst.employees)
    assert any(e.essential and e.category != "layanan_masyarakat" for e in inst.employees)
    mixed = defaultdict(set)
    for e in inst.employees:
        mixed[e.team].add(e.category)
    assert any(len(c) > 1 for c in mixed.values())


def test_leave_share(medium_instance):
    inst = medium_instance
    days = sum(len(s) for s in _leave_days(inst).values())
    share = days / (len(inst.employees) * len(inst.working_days))
    assert 0.02 <= share <= 0.04


# ---------------------------------------------------------------------------- feasibility
def _necessary_conditions(inst: Instance) -> None:
    """Obvious necessary conditions of SPEC §2 (not a proof of feasibility)."""
    present = _present(inst)
    members = defaultdict(list)
    for e in inst.employees:
        members[e.team].append(e)
    musts = defaultdict(set)
    for r in inst.requests:
        if r.strength == "must":
            for d in inst.working_days:
                if r.date == d or r.weekday == d.weekday():
                    musts[(r.nip, d)].add(r.mode)
    assert all(len(modes) == 1 for modes in musts.values()), "WFH and WFO musts on one day"
    must_home = {k for k, modes in musts.items() if modes == {"WFH"} and present[k]}
    emp = {e.nip: e for e in inst.employees}
    for nip, d in must_home:
        e = emp[nip]
        assert not e.essential and inst.cap(e.category, d) > 0, f"must WFH that rule 2 forbids: {nip} {d}"
    for t in inst.teams:
        for d in inst.working_days:
            here = [e for e in members[t.team] if present[(e.nip, d)]]
            need = max(t.min_onsite, math.ceil(t.min_onsite_ratio * len(here)))
            free = [e for e in here if (e.nip, d) not in must_home]
            assert len(free) >= need, f"team {t.team} needs {need} on {d}, {len(free)} can come"
    if inst.offices:
        by_office = defaultdict(list)
        for e in inst.employees:
            by_office[e.office].append(e)
        staff = sum(len(v) for v in by_office.values())
        assert 0.6 * staff <= sum(o.desks for o in inst.offices) <= staff
        for o in inst.offices:
            for d in inst.working_days:
                forced = sum(1 for e in by_office[o.office] if present[(e.nip, d)]
                             and (e.essential or inst.cap(e.category, d) == 0
                                  or musts.get((e.nip, d)) == {"WFO"}))
                assert forced <= o.desks, f"{o.office} has {o.desks} desks, {forced} must come on {d}"


def test_medium_necessary_conditions(medium_instance):
    _necessary_conditions(medium_instance)


def test_bundled_necessary_conditions(bundled):
    _necessary_conditions(bundled)


@pytest.mark.parametrize("kwargs", [{}, {"max_consecutive_wfh": 1, "min_wfo_per_week": 3},
                                    {"hybrid_rules": False, "min_wfo_per_week": None}])
def test_witness_keeps_every_rule(tmp_path, kwargs):
    """The schedule the generator builds alongside keeps every rule of SPEC §2: the instance is feasible."""
    check = pytest.importorskip("solver.check").check
    out, witness = _generate(tmp_path, 600, 12, seed=8, **kwargs)
    result = check(Instance.load(out), witness)
    assert result.ok, result.violations[:5]


# ---------------------------------------------------------------------------- the bundled instance
def test_bundled_instance(bundled):
    assert bundled.name == "jakarta-2023"
    assert len(bundled.working_days) == 44
    assert 2900 <= len(bundled.employees) <= 3100
    assert 35 <= len({e.unit for e in bundled.employees}) <= 45
    assert bundled.offices and any(p.rule == "cover" for p in bundled.pairs)
    assert any(t.team_days_per_week for t in bundled.teams)
    assert any(t.team_days for t in bundled.teams)
    assert bundled.rules.min_wfo_per_week == 2 and bundled.rules.max_consecutive_wfh is None
