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

import itertools

import numpy as np
from ortools.graph.python import max_flow, min_cost_flow

from .data import ComponentData

SOURCE, SINK = 0, 1


class Network:
    """The flow network of a component: its node count and its arcs in order (``tails``, ``heads``,
    ``caps``: int64 arrays). Arcs come in chunks (numpy arrays), joined once when read."""

    def __init__(self):
        self._chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.n_arcs = 0
        self.n_nodes = 2

    @property
    def tails(self) -> np.ndarray:
        return self._joined()[0]

    @property
    def heads(self) -> np.ndarray:
        return self._joined()[1]

    @property
    def caps(self) -> np.ndarray:
        return self._joined()[2]

    def _joined(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if len(self._chunks) != 1:
            empty = np.zeros(0, dtype=np.int64)
            self._chunks = [tuple(np.concatenate([c[i] for c in self._chunks]) if self._chunks else empty
                                  for i in range(3))]
        return self._chunks[0]

    def node(self) -> int:
        self.n_nodes += 1
        return self.n_nodes - 1

    def arcs(self, tails, heads, caps) -> np.ndarray:
        """Many arcs at once; their indices."""
        chunk = tuple(np.array(x, dtype=np.int64).reshape(-1) for x in (tails, heads, caps))
        self._chunks.append(chunk)
        start = self.n_arcs
        self.n_arcs += len(chunk[0])
        return np.arange(start, self.n_arcs, dtype=np.int64)

    def nodes(self, k: int) -> np.ndarray:
        """``k`` new nodes at once."""
        self.n_nodes += k
        return np.arange(self.n_nodes - k, self.n_nodes, dtype=np.int64)

    def arc(self, tail: int, head: int, cap: int) -> int:
        return int(self.arcs([tail], [head], [cap])[0])


class ComponentFlow:
    """A component's network, its maximum flow and the fairness checks on it."""

    def __init__(self, comp: ComponentData, net: Network, employee_arcs: np.ndarray, cell_arcs: np.ndarray,
                 cell_index: np.ndarray, constant_wfh: np.ndarray, exact: bool, totals_fixed: bool,
                 home: np.ndarray | None = None):
        self.comp = comp
        self.home = home                         # [employee, day]: WFH cells fixed besides must requests
        self.net = net
        self.employee_arcs = employee_arcs       # per local employee: source → employee arc
        self.cell_arcs = cell_arcs               # per free cell: its arc
        self.cell_index = cell_index             # per free cell: (local employee, day)
        self.constant_wfh = constant_wfh         # per local employee: WFH days fixed by must requests
        self.exact = exact                       # True when the component has no rule outside the network
        self.totals_fixed = totals_fixed         # True when every max flow gives each fairness group one total
        self._solve_max(np.array(net.tails, dtype=np.int32), np.array(net.heads, dtype=np.int32),
                        np.array(net.caps, dtype=np.int64))

    def closed(self, cells: np.ndarray) -> "ComponentFlow":
        """A copy of this network in which the cells of the [employee, day] mask ``cells`` stay WFO
        (their arcs carry nothing): the same as building it with them forbidden, when no team
        spans cap groups (their rooms' split depends on the cells)."""
        copy = object.__new__(ComponentFlow)
        copy.__dict__.update(self.__dict__)
        copy._solve_max(*self._closed_arrays(cells))
        return copy

    def most_closed(self, cells: np.ndarray) -> int:
        """The maximum flow of :meth:`closed` on ``cells`` (that max flow alone: no schedule, no
        min-cost flow built)."""
        return int(_max_flow(*self._closed_arrays(cells)).optimal_flow())

    def _closed_arrays(self, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The arcs with the cells of the [employee, day] mask ``cells`` at capacity 0."""
        tails, heads, caps = self._arrays
        caps = caps.copy()
        caps[self.cell_arcs[cells[self.cell_index[:, 0], self.cell_index[:, 1]]]] = 0
        return tails, heads, caps

    def closed_on(self, team_days: dict) -> "ComponentFlow | None":
        """:meth:`closed` on the team days ``{(team, week): days}`` (each team's members kept WFO on
        them); None when one falls on a cell this network keeps at home (a together pair's day)."""
        cells = np.zeros(self.max_flow_grid.shape, dtype=bool)
        for (ti, _), days in team_days.items():
            cells[np.ix_(self.team_rows[ti], days)] = True
        if self.home is not None and (cells & self.home).any():
            return None
        return self.closed(cells)

    def _solve_max(self, tails: np.ndarray, heads: np.ndarray, caps: np.ndarray) -> None:
        cell_arcs, employee_arcs = self.cell_arcs, self.employee_arcs
        self._arrays = (tails, heads, caps)
        mf = _max_flow(tails, heads, caps)
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
        if self.home is not None:
            grid[self.home] = 1
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

    def keeps_every_rule(self, grid: np.ndarray | None) -> bool:
        """Does this schedule of the network keep every rule? The network states rules 1–5, 7, 9, 10
        when nested; rules 6 and 8 (consecutive WFH, desks) are checked on the schedule itself."""
        if grid is None:
            return False
        if self.exact:
            return True
        if not getattr(self, "checkable", False):
            return False
        comp, data = self.comp, self.comp.data
        local = {int(e): i for i, e in enumerate(comp.members)}
        for office in comp.offices:
            rows = [local[int(e)] for e in office.members]
            if ((grid[rows] == 0).sum(axis=0) > office.desks).any():
                return False
        k = data.max_consecutive_wfh
        if k is not None:
            for row in grid:
                run = 0
                for mode in row[row >= 0]:
                    run = run + 1 if mode == 1 else 0
                    if run > k:
                        return False
        return True

    def _caps_of_employees(self) -> np.ndarray:
        return self._arrays[2][self.employee_arcs]


def _max_flow(tails: np.ndarray, heads: np.ndarray, caps: np.ndarray) -> max_flow.SimpleMaxFlow:
    """The arcs' maximum flow from SOURCE to SINK, solved."""
    mf = max_flow.SimpleMaxFlow()
    mf.add_arcs_with_capacity(tails, heads, caps)
    if mf.solve(SOURCE, SINK) != mf.OPTIMAL:
        raise RuntimeError("max flow failed")
    return mf


def build(comp: ComponentData, forbid: np.ndarray | None = None,
          split: dict[tuple[int, int], dict[int, int]] | None = None,
          home: np.ndarray | None = None) -> ComponentFlow | None:
    """The component's network, or None when fixed cells alone already break a rule (CP-SAT then says why).

    Rules the network cannot state make it a relaxation (``exact`` is False): a team
    across cap groups becomes "each part ≤ the team's room", a cover pair under two
    parents or a together pair is left out, and so are rules 6, 8 and open team days.
    ``forbid`` (cells kept at WFO), ``home`` (cells kept at WFH) and ``split`` (a team-day's room
    shared out among its cap groups) restrict it instead: its schedules then keep those rules.

    Nodes and arcs are numbered as if made one at a time: the source and sink, the employees
    (and their weeks), then day by day the group-days, the team-days (by team, then cap group)
    and the cover pairs' nodes; each day's arcs are its group-day → sink arcs, team-day →
    group-day arcs, pair arcs, then its cells (by employee). All of it is computed for every day
    at once; only the pairs (rule 10) are walked day by day.
    """
    data = comp.data
    members = comp.members
    n, D = len(members), data.n_days
    present = data.present[members]
    forced = data.forced[members]
    free = present & (forced == -1)
    if forbid is not None:
        free = free & ~forbid
    const = present & (forced == 1)
    if home is not None:
        home = home & free
        free = free & ~home
        const = const | home
    split = split or {}

    G, T = len(comp.cap_groups), len(comp.teams)
    group_entries, group_id, group_rows = _local_rows(members, [g.members for g in comp.cap_groups])
    team_entries, team_id, team_rows = _local_rows(members, [t.members for t in comp.teams])
    group_of = _last_of(n, group_entries, group_id)
    team_of = _last_of(n, team_entries, team_id)

    # each cap group's and team's room per day: what may go home besides the fixed WFH days
    group_room = (_stack([g.limit for g in comp.cap_groups], D) - _sums(const, group_entries, group_id, G)
                  ).astype(np.int64)
    team_need = _stack([t.need for t in comp.teams], D)
    team_rooms = (_stack([t.present for t in comp.teams], D) - team_need
                  - _sums(const, team_entries, team_id, T)).astype(np.int64)
    staffed = np.array([len(rows) > 0 for rows in team_rows], dtype=bool)
    team_room = {ti: team_rooms[ti] for ti in np.flatnonzero(staffed).tolist()}
    # a cell whose cap group or team has no room that day is an office day: leave it out
    if (group_room < 0).any():
        return None
    binding = (team_need > 0) & staffed[:, None]
    if (binding & (team_rooms < 0)).any():
        return None
    free &= _sums((group_room == 0)[group_id], np.arange(len(group_id)), group_entries, n) == 0
    free &= _sums((binding & (team_rooms == 0))[team_id], np.arange(len(team_id)), team_entries, n) == 0

    net = Network()
    employee_node = net.nodes(n)
    employee_arcs = net.arcs(np.full(n, SOURCE), employee_node, free.sum(axis=1))

    # rule 7 nests on the employee side: employee → employee-week → cell
    m = data.min_wfo_per_week
    week_room = None
    if m:
        weeks = np.unique(data.weeks)
        in_week = (data.weeks[:, None] == weeks[None, :]).astype(np.int64)      # [D, W]
        p = present.astype(np.int64) @ in_week
        week_room = p - np.minimum(m, p) - const.astype(np.int64) @ in_week     # [n, W]
        if (week_room < 0).any():
            return None
        W = len(weeks)
        week_node = net.nodes(n * W).reshape(n, W)
        net.arcs(np.repeat(employee_node, W), week_node.ravel(), week_room.ravel())
        week_of_day = np.searchsorted(weeks, data.weeks)
        tail_of = week_node[:, week_of_day]                                      # [n, D]
    else:
        tail_of = np.repeat(employee_node[:, None], D, axis=1)

    # rules 3 and 4, day by day: cell → team-day → group-day → sink. A team's part in one cap
    # group gets a team-day node on each day its team needs someone on site and the part has a
    # free cell; parts are ordered by team, then cap group. Within a day, nodes are numbered
    # locally: its G group-days, then its team-days, then its pair nodes.
    part_key, part_of_entry = np.unique(team_id * (G + 1) + group_of[team_entries] + 1, return_inverse=True)
    part_team, part_group = part_key // (G + 1), part_key % (G + 1) - 1
    part_free = _sums(free, team_entries, part_of_entry.reshape(-1), len(part_key))        # [part, day]
    touched = (part_free > 0) & (team_need[part_team] > 0)
    team_day, team_part = np.nonzero(touched.T)                  # the team-day nodes, day by day
    n_team = touched.sum(axis=0)
    team_local = G + np.arange(len(team_day)) - _starts(n_team)[team_day]
    part_node = np.full(touched.shape, -1, dtype=np.int64)
    part_node[team_part, team_day] = team_local

    # a free cell goes to its team's part's node that day, else straight to its cap group's
    cell_day, cell_row = np.nonzero(free.T)
    cell_head = group_of[cell_row] % G if G else np.full(len(cell_row), -1, dtype=np.int64)
    in_team = team_of[cell_row] >= 0
    own = np.searchsorted(part_key, team_of[cell_row] * (G + 1) + group_of[cell_row] + 1)[in_team]
    via = part_node[own, cell_day[in_team]]
    if G and (group_of[cell_row[in_team]] < 0).any():
        # a member in no cap group shares its team's node slot with the last cap group's part
        last = np.minimum(np.searchsorted(part_key, team_of[cell_row[in_team]] * (G + 1) + G), len(part_key) - 1)
        alt = part_node[last, cell_day[in_team]]
        use = (group_of[cell_row[in_team]] < 0) & (part_key[last] == team_of[cell_row[in_team]] * (G + 1) + G) \
            & (alt >= 0)
        via = np.where(use, alt, via)
    cell_head[in_team] = np.where(via >= 0, via, cell_head[in_team])
    cell_cap = np.ones(len(cell_row), dtype=np.int64)

    # a team's cells in two cap groups on one day: relaxed (mixed), unless split shares its room
    team_arc_cap = team_rooms[part_team[team_part], team_day]
    nested = True
    mixed: list[tuple[int, int, list[int]]] = []
    team_day_key = team_day * max(T, 1) + part_team[team_part]    # sorted: by day, then team
    first = np.flatnonzero(np.concatenate(([True], team_day_key[1:] != team_day_key[:-1])))[:len(team_day_key)]
    size = np.diff(first, append=len(team_day_key))
    for lo, k, d, ti in zip(first[size > 1].tolist(), size[size > 1].tolist(),
                            team_day[first[size > 1]].tolist(), part_team[team_part[first[size > 1]]].tolist()):
        if split.get((ti, d)) is None:
            # a team across cap groups is not nested; relax it to "each part ≤ the team's room"
            # (implied by the rule, so the network stays a relaxation)
            nested = False
            mixed.append((ti, d, part_group[team_part[lo:lo + k]].tolist()))
    share_slots: list[tuple[int, int, int, int]] = []        # (team, day, group, index among the team-days)
    if split:
        found = []
        for key, shares in split.items():
            ti, d = int(key[0]), int(key[1])
            if shares is not None and 0 <= ti < T and 0 <= d < D and binding[ti, d]:
                found.append((d, ti, shares))
        found.sort(key=lambda x: x[:2])
        for d, ti, shares in found:
            lo, hi = np.searchsorted(team_day_key, [d * max(T, 1) + ti, d * max(T, 1) + ti + 1]).tolist()
            room = int(team_rooms[ti, d])
            for j in range(lo, hi):
                gi = int(part_group[team_part[j]])
                team_arc_cap[j] = min(room, shares.get(gi, 0))
                if hi - lo > 1:
                    share_slots.append((ti, d, gi, j))

    # rule 10: a cover pair under one parent is a node of room 1 between its cells and that parent
    n_pair = np.zeros(D, dtype=np.int64)
    pair_day, pair_local, pair_head = [], [], []
    if comp.pairs:
        local = {int(e): i for i, e in enumerate(members)}
        head = np.full((n, D), -1, dtype=np.int64)
        head[cell_row, cell_day] = cell_head
        head_on, cap_on = head.T.tolist(), np.ones((D, n), dtype=np.int64).tolist()      # per day
        present_of, const_of, free_of = present.T.tolist(), const.T.tolist(), free.T.tolist()
        for d in range(D):
            head, cap, in_head, pres, fixed = head_on[d], cap_on[d], free_of[d], present_of[d], const_of[d]
            paired: set[int] = set()
            for a, b, rule in comp.pairs:
                ia, ib = local[a], local[b]
                if not (pres[ia] and pres[ib]):
                    continue
                if fixed[ia] and fixed[ib]:
                    if rule == "cover":
                        return None
                    continue
                if rule == "together" and not in_head[ia] and not in_head[ib]:
                    if fixed[ia] != fixed[ib]:
                        return None
                    continue
                if rule == "cover" and (fixed[ia] or fixed[ib]):
                    cap[ib if fixed[ia] else ia] = 0      # the partner of a fixed home day stays in
                    continue
                if rule == "cover" and (not in_head[ia] or not in_head[ib]):
                    continue                            # one of them is in the office anyway
                if rule == "cover" and head[ia] == head[ib] and ia not in paired and ib not in paired:
                    node = G + int(n_team[d]) + int(n_pair[d])
                    n_pair[d] += 1
                    pair_day.append(d)
                    pair_local.append(node)
                    pair_head.append(head[ia])
                    head[ia] = head[ib] = node
                    paired.update((ia, ib))
                else:
                    nested = False                      # together pairs and crossing pairs: relaxed
        cell_head = np.array(head_on, dtype=np.int64).reshape(D, n)[cell_day, cell_row]
        cell_cap = np.array(cap_on, dtype=np.int64).reshape(D, n)[cell_day, cell_row]
    pair_day = np.array(pair_day, dtype=np.int64)

    # number the days' nodes and arcs after the employees' (and weeks')
    n_cell = free.sum(axis=0)
    node_base = net.n_nodes + _starts(G + n_team + n_pair)
    net.nodes(int((G + n_team + n_pair).sum()))
    arc_base = net.n_arcs + _starts(G + n_team + n_pair + n_cell)

    def global_node(local_node, day):
        return np.where(local_node >= 0, node_base[day] + local_node, -1)

    n_arcs = int((G + n_team + n_pair + n_cell).sum())
    tails, heads, caps = (np.empty(n_arcs, dtype=np.int64) for _ in range(3))
    at = -net.n_arcs
    # rule 3: group-day → sink, room the cap less the fixed WFH days
    group_arcs = arc_base[:, None] + np.arange(G)                                  # [day, group]
    tails[group_arcs + at] = node_base[:, None] + np.arange(G)
    heads[group_arcs + at] = SINK
    caps[group_arcs + at] = group_room.T
    group_sink_arcs = list(zip(group_arcs.ravel().tolist(), np.tile(np.arange(G), D).tolist()))
    # rule 4: team-day → group-day, room the team's present less its need and fixed WFH days
    team_arcs = arc_base[team_day] + team_local
    tails[team_arcs + at] = node_base[team_day] + team_local
    heads[team_arcs + at] = node_base[team_day] + np.arange(G)[part_group[team_part]]
    caps[team_arcs + at] = team_arc_cap
    # rule 10: pair node → its parent, room 1
    pair_arcs = arc_base[pair_day] + np.array(pair_local, dtype=np.int64).reshape(-1)
    tails[pair_arcs + at] = node_base[pair_day] + np.array(pair_local, dtype=np.int64).reshape(-1)
    heads[pair_arcs + at] = global_node(np.array(pair_head, dtype=np.int64).reshape(-1), pair_day)
    caps[pair_arcs + at] = 1
    # the cells: employee (or employee-week) → its team-day, pair or group-day
    cell_arcs = arc_base[cell_day] + G + n_team[cell_day] + n_pair[cell_day] \
        + np.arange(len(cell_day)) - _starts(n_cell)[cell_day]
    tails[cell_arcs + at] = tail_of[cell_row, cell_day]
    heads[cell_arcs + at] = global_node(cell_head, cell_day)
    caps[cell_arcs + at] = cell_cap
    net.arcs(tails, heads, caps)
    cell_index = np.stack([cell_row, cell_day], axis=1)

    share_arcs: dict[tuple[int, int, int], int] = {}      # (team, day, group) → arc, for split team-days
    share_rooms: dict[tuple[int, int], int] = {}
    share_sizes: dict[tuple[int, int, int], int] = {}
    for ti, d, gi, j in share_slots:
        share_arcs[(ti, d, gi)] = int(team_arcs[j])
        share_rooms[(ti, d)] = int(team_rooms[ti, d])
        share_sizes[(ti, d, gi)] = int(part_free[team_part[j], d])

    # each fairness group's total is fixed at the maximum only if no cap group feeds two of them
    F = len(comp.fairness_groups)
    fair_entries, fair_id, _ = _local_rows(members, [g.members for g in comp.fairness_groups])
    fairness_of = _last_of(n, fair_entries, fair_id)
    busy = free.any(axis=1)[group_entries]
    fed = np.unique(group_id[busy] * (F + 1) + fairness_of[group_entries[busy]] + 1)
    totals_fixed = len(np.unique(fed // (F + 1))) == len(fed)

    open_team_days = forbid is None and any(t.open_weeks for t in comp.teams)
    exact = nested and data.max_consecutive_wfh is None and not comp.offices and not open_team_days
    checkable = nested and not open_team_days    # rules 6 and 8 can then be checked on a schedule
    flow = ComponentFlow(comp, net, employee_arcs, cell_arcs.astype(np.int64),
                         cell_index.astype(np.int64).reshape(-1, 2), const.sum(axis=1).astype(np.int64),
                         exact, totals_fixed, home)
    flow.mixed = mixed
    flow.nested = nested
    flow.share_arcs, flow.share_rooms, flow.share_sizes = share_arcs, share_rooms, share_sizes
    flow.group_sink_arcs = group_sink_arcs
    flow.checkable = checkable
    flow.team_rows = team_rows
    flow.team_of = team_of
    flow.group_of = group_of
    # the rooms as the network has them (solver.shares states the same rules on class counts)
    flow.team_room = team_room            # per team with members: per day, present − need − fixed WFH
    flow.group_room = group_room          # [cap group, day]: cap − fixed WFH
    flow.week_room = week_room            # [employee, week of data.weeks' unique ids] for rule 7, or None
    return flow


def _local_rows(members: np.ndarray, groups: list) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """The local rows of the groups' members (global indices into the sorted ``members``): all of
    them in group order, the group of each, and each group's."""
    sizes = [len(g) for g in groups]
    if not sum(sizes):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, [empty] * len(groups)
    ids = np.concatenate(groups).astype(np.int64, copy=False)
    rows = np.searchsorted(members, ids)
    if (members.take(rows, mode="clip") != ids).any() or (members[1:] <= members[:-1]).any():
        local = {int(e): i for i, e in enumerate(members)}       # not found (KeyError) or not sorted
        rows = np.array([local[int(e)] for e in ids], dtype=np.int64)
    ends = list(itertools.accumulate(sizes))
    return rows, np.repeat(np.arange(len(groups), dtype=np.int64), sizes), \
        [rows[e - k:e] for e, k in zip(ends, sizes)]


def _last_of(n: int, rows: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Per row: the last group (of ids) that lists it, or -1."""
    out = np.full(n, -1, dtype=np.int64)
    np.maximum.at(out, rows, ids)
    return out


def _sums(x: np.ndarray, rows: np.ndarray, ids: np.ndarray, k: int) -> np.ndarray:
    """[group, day]: per group of ids (0 … k-1), the sum of x's listed rows."""
    D = x.shape[1]
    flat = (ids[:, None] * D + np.arange(D)).reshape(-1)
    return np.bincount(flat, weights=x[rows].reshape(-1), minlength=k * D).astype(np.int64).reshape(k, D)


def _stack(arrays: list, D: int) -> np.ndarray:
    return np.array(arrays).reshape(len(arrays), D)


def _starts(counts: np.ndarray) -> np.ndarray:
    """Where each of consecutive blocks of these sizes starts."""
    return np.cumsum(counts) - counts


def team_days_of(comp: ComponentData, relaxed: ComponentFlow, grid: np.ndarray) -> dict[tuple[int, int], list[int]]:
    """Per (team, open week): the days its team is least at home in ``grid``, as many as it needs."""
    days = {}
    for ti, t in enumerate(comp.teams):
        rows = relaxed.team_rows[ti]
        for w in t.open_weeks:
            candidates = t.week_candidates(comp.data, w)
            need = min(t.days_per_week, len(candidates))
            if need:
                days[(ti, w)] = sorted(candidates, key=lambda d: ((grid[rows, d] == 1).sum(), d))[:need]
    return days


def restrict(comp: ComponentData, relaxed: ComponentFlow, grid: np.ndarray,
             share_out: str = "proportional", team_days: dict | None = None, runs: bool = True) -> ComponentFlow | None:
    """A network whose every schedule keeps the rules the relaxed one left out, shaped after a
    relaxed schedule ``grid``: each open week's team days are ``team_days`` (by default the days
    its team is least at home), a cover pair under two parents gives each day to the one at home in
    ``grid``, and a team across cap groups shares its room in proportion to ``grid``'s use. None
    when that cannot be done. Without ``runs``, rule 6 is left to a check of its schedules."""
    local = {int(e): i for i, e in enumerate(comp.members)}
    forbid = np.zeros(grid.shape, dtype=bool)
    if team_days is None:
        team_days = team_days_of(comp, relaxed, grid)
    for (ti, w), days in team_days.items():
        for d in days:
            forbid[relaxed.team_rows[ti], d] = True
    home = np.zeros(grid.shape, dtype=bool)
    for a, b, rule in comp.pairs:
        ia, ib = local[a], local[b]
        both = (grid[ia] >= 0) & (grid[ib] >= 0)
        if rule == "together":       # at home together where grid has them so, else in the office
            away = both & (grid[ia] == 1) & (grid[ib] == 1) & ~forbid[ia] & ~forbid[ib]
            home[ia, away] = home[ib, away] = True
            forbid[ia, both & ~away] = forbid[ib, both & ~away] = True
            continue
        forbid[ib, both & (grid[ia] == 1)] = True
        forbid[ia, both & (grid[ia] != 1)] = True
    if runs and comp.data.max_consecutive_wfh is not None:
        _break_runs(comp, grid, forbid, home, comp.data.max_consecutive_wfh)
    split = _split_rooms(comp, relaxed, grid, forbid, share_out, home)
    return build(comp, forbid=forbid, split=split, home=home)


def schedules_at_most(comp: ComponentData, relaxed: ComponentFlow):
    """The max-flow schedules of the networks restricted after the relaxed one's that reach its
    most WFH days and keep every rule (each then has goal wfh's optimum)."""
    most = relaxed.max_flow + int(relaxed.constant_wfh.sum())
    for restricted in restrictions(comp, relaxed, relaxed.max_flow_grid):
        grid = restricted.max_flow_grid
        if restricted.max_flow + int(restricted.constant_wfh.sum()) == most and restricted.keeps_every_rule(grid):
            yield grid


def _break_runs(comp: ComponentData, grid: np.ndarray, forbid: np.ndarray, home: np.ndarray, k: int) -> None:
    """Rule 6 as office days: keep at WFO (in ``forbid``) one cell of every k + 1 present days in a
    row that have no office day yet, so that no schedule of the network has a longer WFH run. Each
    is the window's last cell that ``grid`` has in the office (it stays a schedule of the network),
    else its last free one (the max flow then sends that day home elsewhere)."""
    data = comp.data
    present = data.present[comp.members]
    forced = data.forced[comp.members]
    office_days(grid, present, present & ((forced == 0) | forbid), present & (forced == -1) & ~home, k, forbid,
                lambda r, window: window[-1])


def office_days(grid: np.ndarray, present: np.ndarray, office: np.ndarray, movable: np.ndarray, k: int,
                forbid: np.ndarray, choose) -> bool:
    """Rule 6 as office days, row by row (leave days skipped, as in the rule): each k + 1 present days
    in a row with no ``office`` day (nor one kept before) keep one at the office, in ``forbid``: the
    last ``movable`` day ``grid`` has in the office, else ``choose(row, the window's movable days)``
    (a day, or None when none will do: then False). A window with no movable day is left (the
    schedule's check says so)."""
    for r in range(len(present)):
        days = np.flatnonzero(present[r])
        if len(days) <= k or _runs_ok(office[r, days], k):
            continue
        last = -1                      # where the last office day is, among the present days
        for j, d in enumerate(days):
            if office[r, d]:
                last = j
                continue
            if j - last <= k:
                continue
            window = [x for x in range(last + 1, j + 1) if movable[r, days[x]]]
            if not window:             # every day of it fixed at home: the schedule's check says so
                last = j
                continue
            at_office = [x for x in window if grid[r, days[x]] != 1]
            if at_office:
                last = at_office[-1]
            else:
                chosen = choose(r, [int(days[x]) for x in window])
                if chosen is None:
                    return False
                last = int(np.searchsorted(days, chosen))
            forbid[r, days[last]] = True
    return True


def _runs_ok(office: np.ndarray, k: int) -> bool:
    """No k + 1 days in a row without an office day."""
    gaps = np.diff(np.concatenate(([-1], np.flatnonzero(office), [len(office)])))
    return bool((gaps <= k + 1).all())


def restrictions(comp: ComponentData, relaxed: ComponentFlow, grid: np.ndarray, team_days: dict | None = None,
                 runs: bool = True):
    """The restricted networks shaped after ``grid``, one per way of sharing out the rooms of
    teams across cap groups (a single one when there are none)."""
    for share_out in ("proportional", "daily") if relaxed.mixed else ("proportional",):
        restricted = restrict(comp, relaxed, grid, share_out, team_days, runs)
        if restricted is not None:
            yield restricted


def _split_rooms(comp: ComponentData, relaxed: ComponentFlow, grid: np.ndarray,
                 forbid: np.ndarray, share_out: str, home: np.ndarray | None = None) -> dict[tuple[int, int], dict[int, int]]:
    """Share each cross-group team-day's room among its cap groups. Where ``grid`` keeps the
    team's room, keep its use and give the rest away; elsewhere share in proportion to ``grid``'s
    use ("proportional") or so that the day still sends home as many as it can, keeping as much
    of ``grid``'s use as possible ("daily": a small min-cost flow per day)."""
    data = comp.data
    members = comp.members
    present = data.present[members]
    forced = data.forced[members]
    home = np.zeros(forbid.shape, dtype=bool) if home is None else home
    free = present & (forced == -1) & ~forbid & ~home
    const = present & ((forced == 1) | home)
    at_home = grid == 1
    group_of = relaxed.group_of
    G = len(comp.cap_groups)
    by_day: dict[int, list] = {}
    for ti, d, touched in relaxed.mixed:
        by_day.setdefault(d, []).append((ti, touched))
    in_team = np.zeros(len(members), dtype=bool)
    for rows in relaxed.team_rows:
        in_team[rows] = True
    # the day-by-day counts, once: each group's fixed WFH days, each team's, and per (team, group) part
    # its free cells, its cells at home in grid and those of them free; each group's free cells outside teams
    group_const = np.array([const[group_of == gi].sum(axis=0) for gi in range(G)], dtype=np.int64).reshape(G, -1)
    loose_free = np.array([free[~in_team & (group_of == gi)].sum(axis=0) for gi in range(G)],
                          dtype=np.int64).reshape(G, -1)
    team_const, parts = {}, {}
    for ti, rows in enumerate(relaxed.team_rows):
        if not len(rows):
            continue
        team_const[ti] = const[rows].sum(axis=0)
        of = group_of[rows]
        parts[ti] = {int(gi): (free[rows[of == gi]].sum(axis=0), at_home[rows[of == gi]].sum(axis=0),
                               (at_home & free)[rows[of == gi]].sum(axis=0)) for gi in np.unique(of)}
    split = {}
    for d, mixed_teams in by_day.items():
        tails, heads, caps, costs = [], [], [], []
        group_node = {gi: 2 + gi for gi in range(G)}
        nxt = 2 + G
        for gi, g in enumerate(comp.cap_groups):
            tails.append(group_node[gi]); heads.append(1)
            caps.append(int(g.limit[d]) - int(group_const[gi, d])); costs.append(0)
        part_arcs = {}
        for ti, t in enumerate(comp.teams):
            if ti not in parts:
                continue
            team_node, nxt = nxt, nxt + 1
            binding = t.need[d] > 0
            room = int(t.present[d]) - int(t.need[d]) - int(team_const[ti][d]) if binding else len(relaxed.team_rows[ti])
            tails.append(0); heads.append(team_node); caps.append(max(room, 0)); costs.append(0)
            for gi, (size_, used_, _) in sorted(parts[ti].items()):
                size = int(size_[d])
                if not size:
                    continue
                used = int(used_[d])
                part_arcs[(ti, gi)] = (len(tails), len(tails) + 1)
                tails += [team_node, team_node]; heads += [group_node[gi]] * 2
                caps += [min(used, size), size - min(used, size)]; costs += [-1, 0]
        for gi in range(G):
            size = int(loose_free[gi, d])
            if size:
                tails.append(0); heads.append(group_node[gi]); caps.append(size); costs.append(0)
        if min(caps, default=0) < 0:          # (a day the fixed cells already break: not shared out)
            continue
        mcf = None
        if share_out == "daily":
            mcf = min_cost_flow.SimpleMinCostFlow()
            mcf.add_arcs_with_capacity_and_unit_cost(np.array(tails, dtype=np.int32), np.array(heads, dtype=np.int32),
                                                      np.array(caps, dtype=np.int64), np.array(costs, dtype=np.int64))
            total = sum(caps)
            mcf.set_node_supply(0, total)
            mcf.set_node_supply(1, -total)
            if mcf.solve_max_flow_with_min_cost() != mcf.OPTIMAL:
                continue
        for ti, touched in mixed_teams:
            t = comp.teams[ti]
            room = int(t.present[d]) - int(t.need[d]) - int(team_const[ti][d])
            of_team = parts.get(ti, {})
            used = {gi: int(of_team[gi][2][d]) if gi in of_team else 0 for gi in touched}
            if sum(used.values()) <= room:      # grid keeps this team-day: keep its use, share the rest
                shares = dict(used)
                spare = room - sum(used.values())
                size = {gi: int(of_team[gi][0][d]) if gi in of_team else 0 for gi in touched}
                while spare > 0:                 # the rest, one place at a time, to the part with most unused cells
                    gi = max(touched, key=lambda g: (size[g] - shares[g], -g))
                    if size[gi] <= shares[gi]:
                        break
                    shares[gi] += 1
                    spare -= 1
                split[(ti, d)] = shares
            elif share_out == "daily":
                split[(ti, d)] = {gi: int(mcf.flow(part_arcs[(ti, gi)][0]) + mcf.flow(part_arcs[(ti, gi)][1]))
                                  for gi in touched if (ti, gi) in part_arcs}
            elif sum(used.values()) == 0:          # fixed home days (a together pair's) took more than the room
                split[(ti, d)] = {gi: 0 for gi in touched}
            else:
                total = sum(used.values())
                shares = {gi: used[gi] * room // total for gi in touched}
                left = room - sum(shares.values())
                for gi in sorted(touched, key=lambda g: -(used[g] * room % total))[:left]:
                    shares[gi] += 1
                split[(ti, d)] = shares
    return split
