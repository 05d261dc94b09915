"""materialize on sharded models, in real torch.distributed runs: 2 and 3 CPU
processes (gloo, 127.0.0.1) started here.  Each rank materialises the model
of tests/nets.py sharded with FSDP2 (fully_shard per block and at the root;
on a 1-D mesh, and as HSDP on a 2-D one), with tensor parallelism
(ColwiseParallel / RowwiseParallel), as a pipeline stage (some layers
deleted, names kept) and with its submodules registered in reverse order; the
full tensors (``full_tensor()``) must equal bit for bit those of the same
model materialised unsharded in this process.  Also: a seed that differs
across ranks raises on every rank (checked on the 2-D mesh), and a fill left
to torch's DTensor RNG warns."""

import os
import socket
import warnings

import pytest
import torch

dist = pytest.importorskip("torch.distributed")
if not dist.is_available() or not dist.is_gloo_available():
    pytest.skip("torch.distributed with gloo is not available", allow_module_level=True)

import torch.multiprocessing as mp  # noqa: E402

import nets  # noqa: E402
import weightinit as wi  # noqa: E402
from conftest import same_bits  # noqa: E402

SEED = 1234
KEPT = ("0", "2")  # the pipeline stage keeps layers 0 and 2 of 4
INITS = {"default": None, "user": nets.user_init}


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fsdp(model, mesh):
    from torch.distributed.fsdp import fully_shard

    for block in model.layers.values():
        fully_shard(block, mesh=mesh)
    fully_shard(model, mesh=mesh)
    return model


def _tp(model, mesh):
    from torch.distributed.tensor.parallel import ColwiseParallel, RowwiseParallel, parallelize_module

    plan = {"emb": RowwiseParallel(), "head": ColwiseParallel(),
            "layers.*.wq": ColwiseParallel(), "layers.*.wo": RowwiseParallel(),
            "layers.*.up": ColwiseParallel(), "layers.*.down": RowwiseParallel()}
    return parallelize_module(model, mesh, plan)


def _stage(model):
    for name in list(model.layers):
        if name not in KEPT:
            del model.layers[name]
    return model


def _torch_rng_init(m):
    """An init whose Linear weights are filled by torch's DTensor RNG (its
    Tensor.normal_, which weightinit leaves to torch on a DTensor)."""
    if isinstance(m, torch.nn.Linear):
        m.weight.normal_()
        if m.bias is not None:
            m.bias.zero_()
    else:
        nets.user_init(m)


def _worker(rank, world, port, out_dir):
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.tensor import DTensor

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), GLOO_SOCKET_IFNAME="lo")
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        mesh = init_device_mesh("cpu", (world,))
        hsdp = init_device_mesh("cpu", (1, world), mesh_dim_names=("replicate", "shard"))
        results = {}
        for init_name, init in INITS.items():
            cases = {"fsdp": _fsdp(nets.on_meta(), mesh),
                     "tp": _tp(nets.on_meta(), mesh),
                     "hsdp": _fsdp(nets.on_meta(), hsdp),  # a 2-D mesh: Replicate, Shard(0)
                     "stage": _fsdp(_stage(nets.on_meta()), mesh),
                     "reverse": _fsdp(nets.on_meta(reverse=True), mesh)}
            for case, model in cases.items():
                assert any(isinstance(p, DTensor) for p in model.parameters())
                if case == "hsdp":
                    assert all(p.device_mesh.ndim == 2 for p in model.parameters())
                wi.set_num_threads(1 + rank % 2)
                assert wi.materialize(model, seed=SEED, init=init) is model
                results[(init_name, case)] = nets.full_state(model)
        with warnings.catch_warnings(record=True) as caught:  # a fill weightinit leaves to torch
            warnings.simplefilter("always")
            wi.materialize(_fsdp(nets.on_meta(), mesh), seed=SEED, init=_torch_rng_init)
        results["warned"] = [str(w.message) for w in caught if "materialize()" in str(w.message)]
        try:  # a different seed on each rank: every rank must raise
            wi.materialize(_fsdp(nets.on_meta(), hsdp), seed=SEED + rank)
            results["mismatch"] = None
        except RuntimeError as e:
            results["mismatch"] = str(e)
        torch.save(results, os.path.join(out_dir, f"rank{rank}.pt"))
    finally:
        dist.destroy_process_group()


@pytest.fixture(scope="module", params=[2, 3], ids=["2 ranks", "3 ranks"])
def ranks(request, tmp_path_factory):
    """Every rank's results of one run with ``request.param`` processes."""
    world = request.param
    out = tmp_path_factory.mktemp(f"world{world}")
    mp.start_processes(_worker, args=(world, _free_port(), str(out)), nprocs=world, start_method="spawn")
    return [torch.load(out / f"rank{r}.pt") for r in range(world)]


@pytest.fixture(scope="module")
def unsharded():
    """name -> tensor of the model materialised whole in this process, per init."""
    return {name: nets.full_state(wi.materialize(nets.on_meta(), seed=SEED, init=init))
            for name, init in INITS.items()}


@pytest.mark.parametrize("init_name", list(INITS))
@pytest.mark.parametrize("case", ["fsdp", "hsdp", "tp", "stage", "reverse"])
def test_sharded_materialize_equals_unsharded(ranks, unsharded, case, init_name):
    ref = unsharded[init_name]
    for rank, results in enumerate(ranks):
        got = results[(init_name, case)]
        expected = set(ref) if case != "stage" else {
            n for n in ref if not n.startswith("layers.") or n.split(".")[1] in KEPT}
        assert set(got) == expected, (rank, case)
        for name, t in got.items():
            assert t.shape == ref[name].shape and same_bits(t, ref[name]), (rank, case, name)


def test_seed_mismatch_raises_on_every_rank(ranks):
    for rank, results in enumerate(ranks):
        message = results["mismatch"]
        assert message is not None, rank
        assert "seed differs across the device mesh" in message
        assert f"rank {rank} has {SEED + rank};" in message
        assert f"range from {SEED} to {SEED + len(ranks) - 1})" in message


def test_a_fill_left_to_torchs_dtensor_rng_warns_on_every_rank(ranks):
    for rank, results in enumerate(ranks):
        assert len(results["warned"]) == 1, rank
        assert "drew from torch's default generator" in results["warned"][0]
