"""Exact searches for parts whose network is broken only by teams across cap groups (and pairs).

A team whose free members lie in two cap groups is not nested in either, so the
network of :mod:`solver.flow` only relaxes it ("each part ≤ the team's room").
Once each such team-day's room is shared out among its cap groups (``s[t, d, g]``),
the network is exact again. So a fairness check ("is there a schedule at the most
WFH days with every group's deviation within its limit?") becomes a search:

* a small CP-SAT model (the *master*) counts each class of employees (same team, same
  cap group) per day under the day's rooms, rule 7 per class and week, and each
  employee's bounds for the limit (the group totals are unknowns too, since `wfh` does
  not fix them here); its counts give the shares;
* a max flow shares the counts out to the employees (Hoffman's circulation theorem: a
  flow within the bounds exists iff every node set Y has
  ``Σ upper(out of Y) ≥ Σ lower(into Y)``);
* if it fails, the minimum cut gives a set Y that breaks the condition; written with
  the master's unknowns, the condition is a linear inequality (a *cut*) that every
  feasible schedule meets and the proposed one does not. The master gets it and
  proposes again.

The master runs out of answers exactly when no schedule meets the check, so an empty
master is a proof (combinatorial Benders decomposition). Goal `preferences` is the same
search with an objective, the requesting employees (and, with ``pairs``, the employees
of pairs, rule 10 stated in the master) kept day by day in the master.
"""
from __future__ import annotations

import dataclasses
import math
import time

import numpy as np
from ortools.graph.python import max_flow
from ortools.sat.python import cp_model

from . import flow as flow_module
from .data import ComponentData
from .flow import SINK, SOURCE, ComponentFlow


def applies(relaxed: ComponentFlow | None) -> bool:
    """Can this component's checks be made exact by sharing out the rooms of teams across cap groups?"""
    return relaxed is not None and bool(relaxed.mixed) and not relaxed.exact


FIXED, EMPLOYEE, SHARE, TOTAL, BACK, CELL = range(6)


class SharedRooms:
    """The exact network with shares (and cap-group totals) as unknowns, and fairness checks on it."""

    def __init__(self, comp: ComponentData, relaxed: ComponentFlow, grid: np.ndarray, wfh_flow: int,
                 groups, seed: int = 0, requests=(), pairs: bool = False):
        """``wfh_flow``: the WFH days every schedule must reach, less the fixed ones (the goal `wfh`'s
        optimum); ``groups``: the fairness groups (:class:`objectives.Deviation`'s); ``requests``:
        (employee, day, mode, weight) whose employees the master keeps day by day (for :meth:`best`);
        ``pairs``: keep the employees of pairs (rule 10) day by day too, the rule stated in the master."""
        self.pairs = list(comp.pairs) if pairs else []
        self.requests = list(requests)
        self.comp = comp
        self.seed = seed
        self.F = int(wfh_flow)
        self.ok = False
        forbid = np.zeros(grid.shape, dtype=bool)
        split = flow_module._split_rooms(comp, relaxed, grid, forbid, "proportional")
        for ti, d, touched in relaxed.mixed:            # every mixed team-day gets a share arc
            split.setdefault((ti, d), {gi: 0 for gi in touched})
        net = flow_module.build(dataclasses.replace(comp, pairs=[]) if self.pairs else comp, split=split)
        if net is None or not net.exact or not (net.share_arcs or self.pairs):
            return
        self.net = net
        local = self._local = {int(e): i for i, e in enumerate(comp.members)}
        n = len(comp.members)
        # each cap group with free members must feed one fairness group: its total is then a sum of flows
        fair_of = np.full(n, -1, dtype=np.int64)
        for fi, g in enumerate(groups):
            fair_of[[local[int(e)] for e in g.members]] = fi
        free_rows = np.zeros(n, dtype=bool)
        free_rows[net.cell_index[:, 0]] = True
        self.feeds = {}
        for gi, g in enumerate(comp.cap_groups):
            rows = np.array([local[int(e)] for e in g.members], dtype=np.int64)
            fed = {int(fair_of[r]) for r in rows if free_rows[r]}
            if len(fed) > 1 or (fed and -1 in fed):
                return
            self.feeds[gi] = fed.pop() if fed else None
        self.groups = groups
        self.fair_of = fair_of
        self.keys = sorted(net.share_arcs)
        self.rooms = net.share_rooms
        self.sizes = np.array([net.share_sizes[k] for k in self.keys], dtype=np.int64)
        tails, heads, caps = (a.astype(np.int64) for a in net._arrays)
        heads = heads.copy()
        n_nodes = net.net.n_nodes
        kind = np.full(len(tails), FIXED, dtype=np.int64)
        index = np.zeros(len(tails), dtype=np.int64)
        kind[net.employee_arcs] = EMPLOYEE
        index[net.employee_arcs] = np.arange(n)
        for k, key in enumerate(self.keys):
            kind[net.share_arcs[key]] = SHARE
            index[net.share_arcs[key]] = k
        # group-day → group total → sink, the total a master unknown
        n_caps = len(comp.cap_groups)
        total_node = np.arange(n_nodes, n_nodes + n_caps)
        self.total_most = np.zeros(n_caps, dtype=np.int64)
        for arc, gi in net.group_sink_arcs:
            heads[arc] = total_node[gi]
            self.total_most[gi] += max(int(caps[arc]), 0)
        n_nodes += n_caps
        extra_t = list(total_node) + [SINK]
        extra_h = [SINK] * n_caps + [SOURCE]
        self.tails = np.concatenate([tails, extra_t]).astype(np.int64)
        self.heads = np.concatenate([heads, extra_h]).astype(np.int64)
        self.caps = np.concatenate([caps, np.zeros(n_caps + 1, dtype=np.int64)])
        self.kind = np.concatenate([kind, [TOTAL] * n_caps, [BACK]])
        self.index = np.concatenate([index, np.arange(n_caps), [0]])
        self.n_nodes = n_nodes
        self.cap_e = caps[net.employee_arcs]
        self.const_e = net.constant_wfh.astype(np.int64)
        self.cuts: list = []
        self.seen: set = set()
        self.values = None          # the master's last answer: shares, then group totals (its next hint)
        self._classes()
        # the cells of employees kept day by day are fixed by the master: arcs of kind CELL
        self.solo_cells = []
        for k, (i, d) in enumerate(net.cell_index):
            c = int(self.class_of[i])
            if self.class_key[c][2] >= 0:
                arc = net.cell_arcs[k]
                self.kind[arc] = CELL
                self.index[arc] = len(self.solo_cells)
                self.solo_cells.append((c, int(d)))
        self.ok = True

    def _classes(self) -> None:
        """The master's aggregate: employees of one team and cap group (a class) counted per day, under
        the rooms the network has (rules 3, 4 and 7)."""
        comp, data, net = self.comp, self.comp.data, self.net
        n, D = len(comp.members), data.n_days
        local = self._local
        solo = {local[int(e)] for e, *_ in self.requests}
        solo |= {local[int(a)] for a, _, _ in self.pairs} | {local[int(b)] for _, b, _ in self.pairs}
        key = [(t, g, i if i in solo else -1) for i, (t, g) in enumerate(zip(net.team_of.tolist(), net.group_of.tolist()))]
        names = sorted(set(key))
        where = {k: c for c, k in enumerate(names)}
        self.class_of = np.array([where[k] for k in key], dtype=np.int64)
        self.class_key = names
        free = np.zeros((n, D), dtype=bool)
        free[net.cell_index[:, 0], net.cell_index[:, 1]] = True
        self.free = free
        C = len(names)
        self.class_day_free = np.zeros((C, D), dtype=np.int64)
        np.add.at(self.class_day_free, self.class_of, free.astype(np.int64))
        self.classes_of_team: dict[int, list[int]] = {}
        self.classes_of_group: dict[int, list[int]] = {}
        for c, (ti, gi, _) in enumerate(names):
            if ti >= 0:
                self.classes_of_team.setdefault(ti, []).append(c)
            self.classes_of_group.setdefault(gi, []).append(c)
        self.share_classes = [[c for c in self.classes_of_group[gi] if names[c][0] == ti] for ti, d, gi in self.keys]
        # rule 7 per class and week: at most the members' free cells, and their rooms, that week
        weeks = np.unique(data.weeks)
        self.week_days = [np.flatnonzero(data.weeks == w) for w in weeks]
        cells = free.astype(np.int64) @ (data.weeks[:, None] == weeks[None, :]).astype(np.int64)   # [n, W]
        if net.week_room is not None:
            cells = np.minimum(cells, net.week_room)
        self.class_week_room = np.zeros((C, len(weeks)), dtype=np.int64)
        np.add.at(self.class_week_room, self.class_of, np.maximum(cells, 0))

    # ---------------------------------------------------------------- the flow side
    def _flow(self, shares, totals, lo, hi, cells):
        """A schedule for the master's answer, or the node set Y of a violated Hoffman condition."""
        kind, index = self.kind, self.index
        lower = np.zeros(len(kind), dtype=np.int64)
        upper = self.caps.copy()
        e = kind == EMPLOYEE
        lower[e], upper[e] = lo[index[e]], hi[index[e]]
        s = kind == SHARE
        upper[s] = shares[index[s]]
        t = kind == TOTAL
        lower[t] = upper[t] = totals[index[t]]
        b = kind == BACK
        lower[b] = upper[b] = self.F
        k = kind == CELL
        lower[k] = upper[k] = cells[index[k]]
        star, end = self.n_nodes, self.n_nodes + 1
        excess = np.zeros(self.n_nodes, dtype=np.int64)
        np.add.at(excess, self.heads, lower)
        deficit = np.zeros(self.n_nodes, dtype=np.int64)
        np.add.at(deficit, self.tails, lower)
        give, take = np.flatnonzero(excess), np.flatnonzero(deficit)
        keep = upper > lower
        tt = np.concatenate([self.tails[keep], np.full(len(give), star), take])
        hh = np.concatenate([self.heads[keep], give, np.full(len(take), end)])
        cc = np.concatenate([(upper - lower)[keep], excess[give], deficit[take]])
        mf = max_flow.SimpleMaxFlow()
        arcs = mf.add_arcs_with_capacity(tt.astype(np.int32), hh.astype(np.int32), cc.astype(np.int64))
        if mf.solve(star, end) != mf.OPTIMAL:
            raise RuntimeError("max flow failed")
        if int(mf.optimal_flow()) == int(lower.sum()):
            flows = np.zeros(len(kind), dtype=np.int64)
            flows[keep] = np.asarray(mf.flows(arcs[:int(keep.sum())]), dtype=np.int64)
            flows += lower
            return self.net._grid(flows[self.net.cell_arcs]), None
        side = np.zeros(self.n_nodes + 2, dtype=bool)
        side[np.asarray(mf.get_source_side_min_cut(), dtype=np.int64)] = True
        return None, side[:self.n_nodes]

    def _cut_of(self, Y: np.ndarray):
        """Hoffman's condition for Y: Σ upper(out of Y) − Σ lower(into Y) ≥ 0, by kind of arc."""
        out = Y[self.tails] & ~Y[self.heads]
        inn = ~Y[self.tails] & Y[self.heads]
        kind, index = self.kind, self.index
        const = int(self.caps[out & (kind == FIXED)].sum())
        const += self.F * (int((out & (kind == BACK)).sum()) - int((inn & (kind == BACK)).sum()))
        pick = lambda mask, k: tuple(int(i) for i in index[mask & (kind == k)])   # noqa: E731
        return (const, pick(out, EMPLOYEE), pick(inn, EMPLOYEE), pick(out, SHARE), pick(out, TOTAL), pick(inn, TOTAL),
                pick(out, CELL), pick(inn, CELL))

    # ---------------------------------------------------------------- the master
    def _master(self, limits):
        m = cp_model.CpModel()
        hi_share = np.minimum(self.sizes, [self.rooms[(k[0], k[1])] for k in self.keys])
        s = [m.NewIntVar(0, int(u), f"s{i}") for i, u in enumerate(hi_share)]
        T = [m.NewIntVar(0, int(u), f"T{g}") for g, u in enumerate(self.total_most)]
        m.Add(sum(T) == self.F)
        n = len(self.cap_e)
        lo: list = [0] * n
        hi: list = [int(c) for c in self.cap_e]
        big = 10**9
        for fi, (g, M) in enumerate(zip(self.groups, limits)):
            P = int(g.total_present)
            M = int(min(M, P * max(int(g.present_days.max()), 1)))    # beyond this the limit says nothing
            rows = np.flatnonzero(self.fair_of == fi)
            free_W = sum(T[gi] for gi, f in self.feeds.items() if f == fi)
            W = free_W + int(self.const_e[rows].sum())
            local_p = dict(zip((self.local_of(e) for e in g.members), (int(p) for p in g.present_days)))
            for r in rows:
                p = local_p[int(r)]
                if p == 0:
                    continue
                up = m.NewIntVar(-big, big, "")
                m.Add(P * up <= p * W + M)
                m.Add(P * up >= p * W + M - P + 1)
                down = m.NewIntVar(-big, big, "")
                m.Add(P * down >= p * W - M)
                m.Add(P * down <= p * W - M + P - 1)
                c = int(self.const_e[r])
                h = m.NewIntVar(0, int(self.cap_e[r]), "")
                m.AddMinEquality(h, [up - c, int(self.cap_e[r])])
                lw = m.NewIntVar(0, int(self.cap_e[r]), "")
                m.AddMaxEquality(lw, [down - c, 0])
                m.Add(down - c <= int(self.cap_e[r]))     # lo' ≤ cap
                m.Add(up - c >= 0)                         # hi' ≥ 0
                m.Add(lw <= h)
                lo[r], hi[r] = lw, h
            # implied, but it lets the master refute a limit at once (measured: 0.4 s instead of 7 s)
            m.Add(sum(lo[r] for r in rows) <= free_W)
            m.Add(sum(hi[r] for r in rows) >= free_W)
        # the aggregate: class-day counts y, each employee's free WFH days x_e, linked per class
        C, D = self.class_day_free.shape
        y = [[m.NewIntVar(0, int(self.class_day_free[c, d]), "") for d in range(D)] for c in range(C)]
        x = [m.NewIntVar(0, int(self.cap_e[i]), "") for i in range(n)]
        for i in range(n):
            m.Add(x[i] >= lo[i])
            m.Add(x[i] <= hi[i])
        for c in range(C):
            m.Add(sum(y[c]) == sum(x[i] for i in np.flatnonzero(self.class_of == c)))
        for c in range(C):
            for w, days in enumerate(self.week_days):
                m.Add(sum(y[c][d] for d in days) <= int(self.class_week_room[c, w]))
        net = self.net
        for ti, room in net.team_room.items():
            needs = self.comp.teams[ti].need
            for d in np.flatnonzero(needs > 0):
                m.Add(sum(y[c][d] for c in self.classes_of_team.get(ti, [])) <= max(int(room[d]), 0))
        for gi, cs in self.classes_of_group.items():
            for d in range(D):
                m.Add(sum(y[c][d] for c in cs) <= max(int(net.group_room[gi, d]), 0))
            m.Add(sum(y[c][d] for c in cs for d in range(D)) == T[gi])
        for gi in range(len(T)):
            if gi not in self.classes_of_group:
                m.Add(T[gi] == 0)
        for k, (ti, d, gi) in enumerate(self.keys):       # shares: the classes' count on that day
            m.Add(s[k] == sum(y[c][d] for c in self.share_classes[k]))
        cells = [y[c][d] for c, d in self.solo_cells]
        self._pairs(m, y)
        vars_ = (s, T, lo, hi, cells, y)
        for cut in self.cuts:
            self._add(m, vars_, cut)
        return m, vars_

    def _pairs(self, m, y) -> None:
        """Rule 10 on the pairs' cells: cover, never both at home; together, the same mode."""
        data = self.comp.data
        present = data.present[self.comp.members]
        forced = data.forced[self.comp.members]
        for a, b, rule in self.pairs:
            ia, ib = self.local_of(a), self.local_of(b)
            for d in np.flatnonzero(present[ia] & present[ib]):
                mode = [y[int(self.class_of[i])][d] if self.free[i, d] else int(forced[i, d] == 1) for i in (ia, ib)]
                if rule == "cover":
                    m.Add(mode[0] + mode[1] <= 1)
                else:
                    m.Add(mode[0] == mode[1])

    def local_of(self, e) -> int:
        return self._local[int(e)]

    @staticmethod
    def _add(m, vars_, cut) -> None:
        s, T, lo, hi, cells, _ = vars_
        const, e_out, e_in, s_out, t_out, t_in, c_out, c_in = cut
        m.Add(const + sum(hi[i] for i in e_out) - sum(lo[i] for i in e_in) + sum(s[i] for i in s_out)
              + sum(T[i] for i in t_out) - sum(T[i] for i in t_in)
              + sum(cells[i] for i in c_out) - sum(cells[i] for i in c_in) >= 0)

    def check(self, limits, deadline: float) -> tuple[str, np.ndarray | None]:
        """Is there a schedule at the most WFH days with every fairness group's M_g ≤ its limit?

        Returns ("FEASIBLE", grid), ("INFEASIBLE", None) (proven) or ("UNKNOWN", None).
        """
        status, grid, _ = self._solve(limits, deadline, None)
        return ("FEASIBLE" if status == "OPTIMAL" else status), grid

    def best(self, limits, deadline: float) -> tuple[str, np.ndarray | None, int | None]:
        """The most weight of ``requests`` met (on free cells) within the limits: (status, grid, bound).

        "OPTIMAL" when proven; "FEASIBLE" with the master's bound when the time ran out after
        a schedule was found; else "UNKNOWN" or "INFEASIBLE" with no grid.
        """
        return self._solve(limits, deadline, self.requests)

    def _solve(self, limits, deadline: float, requests):
        m, vars_ = self._master(limits)
        s, T, lo, hi, cells, y = vars_
        if requests:
            local = self.local_of
            position = {cell: k for k, cell in enumerate(self.solo_cells)}
            terms = []
            for e, d, mode, w in requests:
                i = local(e)
                k = position.get((int(self.class_of[i]), int(d)))
                if k is not None:
                    terms.append(int(w) * (cells[k] if mode == 1 else 1 - cells[k]))
            m.Maximize(sum(terms))
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = self.seed
        found = None
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            solver.parameters.max_time_in_seconds = left
            if self.values is not None and len(self.values) == len(s) + len(T):
                m.ClearHints()
                for v, val in zip(s + T, self.values):
                    m.AddHint(v, int(val))
            status = solver.Solve(m)
            if status == cp_model.INFEASIBLE:
                return "INFEASIBLE", None, None
            if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                break
            bound = int(math.floor(solver.BestObjectiveBound() + 1e-6)) if requests else None
            value = lambda x: int(solver.Value(x)) if not isinstance(x, int) else x   # noqa: E731
            shares = np.array([value(x) for x in s], dtype=np.int64)
            totals = np.array([value(x) for x in T], dtype=np.int64)
            self.values = list(shares) + list(totals)
            grid, Y = self._flow(shares, totals, np.array([value(x) for x in lo], dtype=np.int64),
                                 np.array([value(x) for x in hi], dtype=np.int64),
                                 np.array([value(x) for x in cells], dtype=np.int64))
            if grid is not None:
                if status == cp_model.OPTIMAL or not requests:
                    return "OPTIMAL", grid, bound
                found = (grid, bound)       # out of time in the master: a schedule, not proven best
                break
            cut = self._cut_of(Y)
            if cut in self.seen:        # cannot happen (the answer meets every cut so far); stay safe
                break
            self.seen.add(cut)
            self.cuts.append(cut)
            self._add(m, vars_, cut)
        if found is not None:
            return "FEASIBLE", found[0], found[1]
        return "UNKNOWN", None, None
