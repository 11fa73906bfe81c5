"""solver/distributed.py: the Dask path gives the local path's schedule and goals."""
from __future__ import annotations

import numpy as np
import pytest

from models import Instance
from models.generate import generate_instance
from solver import solve
from solver.data import compile_instance, components, split
from solver.distributed import component_of

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None,
                                  silence_logs=40) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def instance(tmp_path_factory) -> Instance:
    return Instance.load(generate_instance(tmp_path_factory.mktemp("dask"), employees=200, units=4, seed=1))


def _office_key(office):
    return office.office, office.desks, tuple(office.members)


def test_component_rebuilt_on_a_worker_is_the_local_one(tmp_path):
    # hybrid rules: offices shared by units are left out of both paths alike
    data = compile_instance(Instance.load(generate_instance(tmp_path, employees=400, units=6, seed=3)))
    parts = components(data, link_offices=False)
    assert len(parts) > 1
    for local, members in zip(split(data, parts), parts):
        remote = component_of(data, members)
        assert np.array_equal(local.members, remote.members)
        for name in ("cap_groups", "teams", "fairness_groups"):
            assert [id(x) for x in getattr(local, name)] == [id(x) for x in getattr(remote, name)], name
        assert [_office_key(o) for o in local.offices] == [_office_key(o) for o in remote.offices]
        assert local.pairs == remote.pairs and local.prefer == remote.prefer


def test_dask_gives_the_local_schedule(cluster, instance):
    local = solve(instance, time_limit=30, workers=1)
    events = []
    remote = solve(instance, time_limit=30, scheduler=cluster.scheduler_address, progress=events.append)
    assert local.status == remote.status == "OPTIMAL"
    assert remote.schedule.equals(local.schedule)
    assert [(g.goal, g.value, g.bound) for g in remote.goals] == [(g.goal, g.value, g.bound) for g in local.goals]
    # progress counts every component as its result arrives
    assert events and events[-1]["done"] == events[-1]["total"] == remote.details["components"]
