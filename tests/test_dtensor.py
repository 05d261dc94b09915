"""DTensors sharded with Shard/Replicate placements: every rank fills its
shard with exactly the values of the unsharded fill (two gloo processes on
this machine)."""

import socket

import pytest
import torch

dist = pytest.importorskip("torch.distributed")
if not dist.is_available() or not dist.is_gloo_available():
    pytest.skip("torch.distributed with gloo is not available", allow_module_level=True)

import torch.multiprocessing as mp  # noqa: E402

CASES = [("normal_", {"std": 0.02}), ("kaiming_uniform_", {"a": 5 ** 0.5}),
         ("trunc_normal_", {"std": 0.5, "a": -0.4, "b": 0.9}), ("xavier_normal_", {}),
         ("uniform_", {"a": -1.0, "b": 1.0}), ("he_normal_", {}), ("trunc_normal_tf_", {"std": 0.5}),
         ("variance_scaling_", {"mode": "fan_geo_avg", "distribution": "uniform"}), ("delta_orthogonal_", {})]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank, world, port, results):
    import os

    import weightinit as wi
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.tensor import Replicate, Shard, distribute_tensor

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        mesh = init_device_mesh("cpu", (world,))
        out = {}
        for name, kwargs in CASES:
            for label, placements, shape in [("rows", [Shard(0)], (7, 6)), ("cols", [Shard(1)], (4, 10)),
                                             ("replicated", [Replicate()], (5, 3)),
                                             ("conv", [Shard(0)], (6, 4, 3, 3)),
                                             ("conv-cols", [Shard(3)], (6, 4, 3, 3))]:
                if name == "delta_orthogonal_" and len(shape) < 3:
                    continue
                torch.manual_seed(11)
                full = getattr(wi, name)(torch.empty(shape), **kwargs)
                d = distribute_tensor(torch.zeros(shape), mesh, placements)
                torch.manual_seed(11)
                v0 = d._local_tensor._version
                assert getattr(wi, name)(d, **kwargs) is d
                out[(name, label)] = (torch.equal(d.full_tensor(), full), d._local_tensor._version - v0)
        results[rank] = out
    finally:
        dist.destroy_process_group()


def test_sharded_fill_equals_unsharded_fill():
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager:
        results = manager.dict()
        mp.start_processes(_worker, args=(2, _free_port(), results), nprocs=2, start_method="spawn")
        results = dict(results)
    for rank in (0, 1):
        for key, (equal, bumps) in results[rank].items():
            assert equal, (rank, key)
            assert bumps == 1, (rank, key)
