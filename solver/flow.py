"""Rules 1–5 and 7 of one component as a network flow (see ../shared/MEASURED.md).

When every team's free cells on a day lie inside one cap group, a day's rules are
nested sums, and an employee's WFH days are a sum over days, so

    source → employee → employee-week → (cell) → team-day → group-day → sink

carries exactly the schedules of rules 1–5 and 7 (one unit of flow per WFH cell;
flows are integral). The maximum flow is the most WFH days; with it, each cap
group's total is fixed, so "max deviation ≤ z" is just bounds on each employee's
total: a feasibility question for a min-cost-flow solver, milliseconds each.

Rules 6, 8, 9 and 10 are not in the network: for a component that uses them the
flow is a relaxation, and its fairness optimum is a proven lower bound for CP-SAT.
"""
from __future__ import annotations

import numpy as np
from ortools.graph.python import max_flow, min_cost_flow

from .data import ComponentData

SOURCE, SINK = 0, 1


class Network:
    """The flow network of a component, or ``None`` from :func:`build` when rules are not nested."""

    def __init__(self):
        self.tails: list[int] = []
        self.heads: list[int] = []
        self.caps: list[int] = []
        self.n_nodes = 2

    def node(self) -> int:
        self.n_nodes += 1
        return self.n_nodes - 1

    def arc(self, tail: int, head: int, cap: int) -> int:
        self.tails.append(tail)
        self.heads.append(head)
        self.caps.append(cap)
        return len(self.tails) - 1


class ComponentFlow:
    """A component's network, its maximum flow and the fairness checks on it."""

    def __init__(self, comp: ComponentData, net: Network, employee_arcs: np.ndarray, cell_arcs: np.ndarray,
                 cell_index: np.ndarray, constant_wfh: np.ndarray, exact: bool, totals_fixed: bool):
        self.comp = comp
        self.net = net
        self.employee_arcs = employee_arcs       # per local employee: source → employee arc
        self.cell_arcs = cell_arcs               # per free cell: its arc
        self.cell_index = cell_index             # per free cell: (local employee, day)
        self.constant_wfh = constant_wfh         # per local employee: WFH days fixed by must requests
        self.exact = exact                       # True when the component has no rule outside the network
        self.totals_fixed = totals_fixed         # True when every max flow gives each fairness group one total
        tails = np.array(net.tails, dtype=np.int32)
        heads = np.array(net.heads, dtype=np.int32)
        caps = np.array(net.caps, dtype=np.int64)
        self._arrays = (tails, heads, caps)
        mf = max_flow.SimpleMaxFlow()
        mf.add_arcs_with_capacity(tails, heads, caps)
        if mf.solve(SOURCE, SINK) != mf.OPTIMAL:
            raise RuntimeError("max flow failed")
        self.max_flow = int(mf.optimal_flow())
        self.max_flow_grid = self._grid(mf.flows(cell_arcs))
        self.employee_max = np.asarray(mf.flows(employee_arcs), dtype=np.int64)
        self.mcf = min_cost_flow.SimpleMinCostFlow()
        self.mcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, np.zeros(len(tails), dtype=np.int64))

    def _grid(self, flows) -> np.ndarray:
        comp = self.comp
        data = comp.data
        present = data.present[comp.members]
        forced = data.forced[comp.members]
        grid = np.where(present, 0, -1).astype(np.int8)
        grid[present & (forced == 1)] = 1
        on = np.asarray(flows) > 0
        grid[self.cell_index[on, 0], self.cell_index[on, 1]] = 1
        return grid

    def within(self, lower: np.ndarray, upper: np.ndarray) -> np.ndarray | None:
        """A maximum flow whose employee totals (constants included) lie in [lower, upper], or None."""
        return self._bounded(self.mcf, lower, upper)

    def cheapest(self, cell_costs: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray | None:
        """Among the maximum flows within the bounds, one of least total cell cost (or None)."""
        tails, heads, caps = self._arrays
        costs = np.zeros(len(tails), dtype=np.int64)
        costs[self.cell_arcs] = cell_costs
        mcf = min_cost_flow.SimpleMinCostFlow()
        mcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
        return self._bounded(mcf, lower, upper)

    def _bounded(self, mcf, lower: np.ndarray, upper: np.ndarray) -> np.ndarray | None:
        lo = np.maximum(lower - self.constant_wfh, 0)
        hi = np.minimum(upper - self.constant_wfh, self._caps_of_employees())
        if (lo > hi).any() or lo.sum() > self.max_flow:
            return None
        mcf.set_arc_capacities(self.employee_arcs.astype(np.int32), (hi - lo).astype(np.int64))
        supplies = np.zeros(self.net.n_nodes, dtype=np.int64)
        supplies[SOURCE] = self.max_flow - int(lo.sum())
        supplies[SINK] = -self.max_flow
        heads = self._arrays[1][self.employee_arcs]
        np.add.at(supplies, heads, lo)
        mcf.set_nodes_supplies(np.arange(self.net.n_nodes, dtype=np.int32), supplies)
        if mcf.solve() != mcf.OPTIMAL:
            return None
        return self._grid(mcf.flows(self.cell_arcs))

    def _caps_of_employees(self) -> np.ndarray:
        return self._arrays[2][self.employee_arcs]


def build(comp: ComponentData) -> ComponentFlow | None:
    """The component's network (a relaxation when it cannot hold every rule), or None when
    fixed cells alone already break a rule (CP-SAT then says why)."""
    data = comp.data
    members = comp.members
    n, D = len(members), data.n_days
    present = data.present[members]
    forced = data.forced[members]
    free = present & (forced == -1)
    const = present & (forced == 1)
    local = {int(e): i for i, e in enumerate(members)}

    group_of = np.full(n, -1, dtype=np.int64)
    for gi, g in enumerate(comp.cap_groups):
        group_of[[local[int(e)] for e in g.members]] = gi
    team_of = np.full(n, -1, dtype=np.int64)
    for ti, t in enumerate(comp.teams):
        if len(t.members):
            team_of[[local[int(e)] for e in t.members]] = ti

    net = Network()
    employee_node = [net.node() for _ in range(n)]
    employee_arcs = np.array([net.arc(SOURCE, employee_node[i], int(free[i].sum())) for i in range(n)], dtype=np.int64)

    # rule 7 nests on the employee side: employee → employee-week → cell
    m = data.min_wfo_per_week
    tail_of_cell = {}
    for i in range(n):
        if m:
            for w in np.unique(data.weeks):
                days = np.flatnonzero(data.weeks == w)
                p = int(present[i, days].sum())
                room = p - min(m, p) - int(const[i, days].sum())
                if room < 0:
                    return None
                node = net.node()
                net.arc(employee_node[i], node, room)
                for d in days:
                    tail_of_cell[(i, int(d))] = node
        else:
            for d in range(D):
                tail_of_cell[(i, d)] = employee_node[i]

    # rules 3 and 4, day by day: cell → team-day → group-day → sink
    nested = True
    cell_arcs, cell_index = [], []
    for d in range(D):
        group_node = {}
        for gi, g in enumerate(comp.cap_groups):
            room = int(g.limit[d]) - int(const[[local[int(e)] for e in g.members], d].sum())
            if room < 0:
                return None
            group_node[gi] = net.node()
            net.arc(group_node[gi], SINK, room)
        team_node = {}
        for ti, t in enumerate(comp.teams):
            if t.need[d] <= 0 or not len(t.members):
                continue
            rows = [local[int(e)] for e in t.members]
            room = int(t.present[d]) - int(t.need[d]) - int(const[rows, d].sum())
            if room < 0:
                return None
            touched = sorted({int(group_of[r]) for r in rows if free[r, d]})
            if len(touched) > 1:
                # a team across cap groups is not nested; relax it to "each part ≤ the team's room"
                # (implied by the rule, so the network stays a relaxation)
                nested = False
            for gi in touched:
                team_node[(ti, gi)] = net.node()
                net.arc(team_node[(ti, gi)], group_node[gi], room)
        head = {int(i): team_node.get((int(team_of[i]), int(group_of[i])), group_node[int(group_of[i])])
                for i in np.flatnonzero(free[:, d])}
        cap = dict.fromkeys(head, 1)
        # rule 10: a cover pair under one parent is a node of room 1 between its cells and that parent
        paired: set[int] = set()
        for a, b, rule in comp.pairs:
            ia, ib = local[a], local[b]
            if not (present[ia, d] and present[ib, d]):
                continue
            if const[ia, d] and const[ib, d]:
                if rule == "cover":
                    return None
                continue
            if rule == "together" and not free[ia, d] and not free[ib, d]:
                if const[ia, d] != const[ib, d]:
                    return None
                continue
            if rule == "cover" and (const[ia, d] or const[ib, d]):
                cap[ib if const[ia, d] else ia] = 0      # the partner of a fixed home day stays in
                continue
            if rule == "cover" and ia in head and ib in head and head[ia] == head[ib] \
                    and ia not in paired and ib not in paired:
                node = net.node()
                net.arc(node, head[ia], 1)
                head[ia] = head[ib] = node
                paired.update((ia, ib))
            elif ia in head or ib in head:
                nested = False                          # together pairs and crossing pairs: relaxed
        for i, parent in head.items():
            cell_arcs.append(net.arc(tail_of_cell[(i, d)], parent, cap[i]))
            cell_index.append((i, d))

    # each fairness group's total is fixed at the maximum only if no cap group feeds two of them
    fairness_of = np.full(n, -1, dtype=np.int64)
    for fi, g in enumerate(comp.fairness_groups):
        fairness_of[[local[int(e)] for e in g.members]] = fi
    totals_fixed = all(len({int(fairness_of[local[int(e)]]) for e in g.members if free[local[int(e)]].any()}) <= 1
                       for g in comp.cap_groups)

    exact = (nested and data.max_consecutive_wfh is None and not comp.offices
             and not any(t.open_weeks for t in comp.teams))
    return ComponentFlow(comp, net, employee_arcs, np.array(cell_arcs, dtype=np.int64),
                         np.array(cell_index, dtype=np.int64).reshape(-1, 2), const.sum(axis=1).astype(np.int64),
                         exact, totals_fixed)
