"""Each public function called the way users call it, type-checked by mypy
(tests/test_typing.py; never run).  Assignments to annotated names check the
return types; the ``# type: ignore[...]`` lines are calls that must stay
errors (mypy reports an ignore that is no longer needed).  A new public
function gets a call here: tests/test_typing.py checks that each name in
weightinit.__all__ appears as ``init.<name>``."""

import numpy as np
import torch
from torch import nn

import weightinit as init

conv = nn.Conv2d(3, 16, 3)
linear = nn.Linear(128, 256)
w: torch.Tensor = torch.empty(256, 128)
a: np.ndarray = np.empty((256, 128), np.float32)
g = torch.Generator().manual_seed(0)
wg: init.Generator = init.Generator(42)
ng = np.random.default_rng(1)

# torch.nn.init's functions: same arguments, the same object back
gain: float = init.calculate_gain("leaky_relu", 0.2)
gain = init.calculate_gain("relu")
w = init.uniform_(w, -0.1, 0.1, generator=g)
w = init.normal_(w, mean=0.0, std=0.02)
w = init.trunc_normal_(w, std=0.02, a=-0.04, b=0.04, generator=wg)
w = init.constant_(w, 0.3)
w = init.ones_(w)
w = init.zeros_(w)
init.xavier_uniform_(linear.weight, gain=init.calculate_gain("tanh"))
w = init.xavier_normal_(w, generator=ng)
init.kaiming_uniform_(conv.weight, a=5 ** 0.5)
init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu")
w = init.orthogonal_(w, gain=2.0)
w = init.sparse_(w, sparsity=0.1, std=0.01)
w = init.eye_(w)
conv_w: torch.Tensor = init.dirac_(conv.weight, groups=1)
fans: tuple[int, int] = init._calculate_fan_in_and_fan_out(w)
fan: int = init._calculate_correct_fan(w, "fan_in")

# the deprecated aliases take the same arguments
w = init.uniform(w, 0.0, 1.0)
w = init.normal(w, std=0.5)
w = init.constant(w, 1.0)
w = init.eye(w)
conv_w = init.dirac(conv.weight)
w = init.xavier_uniform(w)
w = init.xavier_normal(w)
w = init.kaiming_uniform(w, mode="fan_out")
w = init.kaiming_normal(w, nonlinearity="relu")
w = init.orthogonal(w)
w = init.sparse(w, 0.5)

# Keras/JAX/timm initialisers
w = init.variance_scaling_(w, 2.0, "fan_avg", "uniform", generator=g)
k: np.ndarray = np.empty((3, 3, 16, 32), np.float32)
k = init.lecun_normal_(k, in_axis=-2, out_axis=-1)
w = init.lecun_uniform_(w)
w = init.he_normal_(w)
w = init.he_uniform_(w, generator=wg)
w = init.glorot_normal_(w)
w = init.glorot_uniform_(w)
w = init.trunc_normal_tf_(w, std=0.02)
cw: torch.Tensor = init.delta_orthogonal_(torch.empty(32, 16, 3, 3))

# NumPy arrays and Blocks come back as themselves
a = init.normal_(a, std=0.02, generator=init.Generator(42))
a = init.kaiming_uniform_(a, generator=ng)
shard = init.block(torch.empty(1024, 1024), (4096, 1024), (1024, 0))
blk: init.Block = init.kaiming_normal_(shard)
blk = init.uniform_(init.Block(a, (512, 128), (256, 0)))

# whole models
init.patch()
patched_now: bool = init.is_patched()
init.unpatch()
with init.patched(tensor_methods=True):
    model = nn.Sequential(nn.Linear(8, 8), nn.LayerNorm(8))
record: init.InitRecord = init.init_model(model, "kaiming_normal", mode="fan_out", nonlinearity="relu")
entries: list[init.InitEntry] = record.entries
rule_names: list[str] = [layer for layer, _, _ in init.RULES]
with torch.device("meta"):
    big = nn.Sequential(nn.Linear(8, 8), nn.LayerNorm(8))
big = init.materialize(big, "cpu", seed=0)
forked: init.Generator = init.Generator(0).fork("0.weight")

# choosing and checking an init
x = torch.randn(16, 8)
report: init.Report = init.inspect(model, x)
layer_rows: list[init.LayerStats] = report.rows
stds: dict[str, float] = init.rule_stds(64, 64)
lsuv_record: init.LSUVRecord = init.lsuv_(model, x, tol=0.05)
lsuv_layers: list[init.LSUVLayer] = lsuv_record.rows
init.plot_depth({"torch": report}, "depth.png")

# seeding, kernel paths, threads
init.manual_seed(0)
seed: int = init.initial_seed()
seed = init.seed()
state: tuple[int, int] = init.default_generator.get_state()
init.default_generator.set_state(state)
path: str = init.isa()
paths: tuple[str, ...] = init.available_isas()
init.set_isa(paths[-1])
n: int = init.get_num_threads()
init.set_num_threads(n)

# what must stay an error
init.kaiming_uniform_(w, mode="fan_middle")  # type: ignore[arg-type]
init.calculate_gain("gelu")  # type: ignore[arg-type]
init.normal_([1.0, 2.0])  # type: ignore[type-var]
init.uniform_(w, generator=42)  # type: ignore[arg-type]
bad: np.ndarray = init.zeros_(w)  # type: ignore[arg-type]
