"""weightinit: torch.nn.init, filled in place by a C core.

``import weightinit as init`` where you had ``import torch.nn.init as init``:
the same functions, signatures, errors and warnings, on torch CPU tensors of
every float dtype, NumPy arrays and DLPack objects.  Each element's value is a
pure function of (seed, stream, its index in the full logical tensor), so a
seed fixes the result bit for bit whatever the memory layout, block
decomposition or kernel path.

Importing weightinit does not import torch.
"""

import importlib as _importlib
import typing as _typing_module

from ._api import (
    _calculate_correct_fan,
    _calculate_fan_in_and_fan_out,
    calculate_gain,
    constant_,
    kaiming_normal_,
    kaiming_uniform_,
    normal_,
    ones_,
    trunc_normal_,
    uniform_,
    xavier_normal_,
    xavier_uniform_,
    zeros_,
)
from ._catalogue import (
    delta_orthogonal_,
    glorot_normal_,
    glorot_uniform_,
    he_normal_,
    he_uniform_,
    lecun_normal_,
    lecun_uniform_,
    trunc_normal_tf_,
    variance_scaling_,
)
from ._core import available_isas, get_num_threads, isa, set_isa, set_num_threads
from ._random import Generator, default_generator, initial_seed, manual_seed, seed
from ._structured import (
    constant,
    dirac,
    dirac_,
    eye,
    eye_,
    kaiming_normal,
    kaiming_uniform,
    normal,
    orthogonal,
    orthogonal_,
    sparse,
    sparse_,
    uniform,
    xavier_normal,
    xavier_uniform,
)
from ._target import Block, block

# The model-level tools load on first use (PEP 562): a fill needs none of
# them, and together they are most of the package's import time.
_LAZY = {
    "_materialize": ("materialize",),
    "_model": ("RULES", "InitEntry", "InitRecord", "init_model"),
    "_patch": ("is_patched", "patch", "patched", "unpatch"),
    "_inspect": ("LayerStats", "Report", "inspect", "plot_depth", "rule_stds"),
    "_lsuv": ("LSUVLayer", "LSUVRecord", "lsuv_"),
}
_LAZY_NAME = {name: module for module, names in _LAZY.items() for name in names}

if _typing_module.TYPE_CHECKING:
    from ._inspect import LayerStats, Report, inspect, plot_depth, rule_stds
    from ._lsuv import LSUVLayer, LSUVRecord, lsuv_
    from ._materialize import materialize
    from ._model import RULES, InitEntry, InitRecord, init_model
    from ._patch import is_patched, patch, patched, unpatch
else:  # (a type checker sees the imports above, and no __getattr__ that would hide a misspelt name)
    def __getattr__(name):
        module = _LAZY_NAME.get(name)
        if module is None:
            raise AttributeError(f"module 'weightinit' has no attribute {name!r}")
        value = getattr(_importlib.import_module(f".{module}", __name__), name)
        globals()[name] = value
        return value

    def __dir__():
        return sorted(set(globals()) | set(_LAZY_NAME))

__version__ = "0.1.0"

__all__ = [
    "calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
    "orthogonal_", "sparse_", "eye_", "dirac_",
    "uniform", "normal", "constant", "eye", "dirac", "xavier_uniform", "xavier_normal",
    "kaiming_uniform", "kaiming_normal", "orthogonal", "sparse",
    "variance_scaling_", "lecun_normal_", "lecun_uniform_", "he_normal_", "he_uniform_",
    "glorot_normal_", "glorot_uniform_", "trunc_normal_tf_", "delta_orthogonal_",
    "Generator", "default_generator", "manual_seed", "initial_seed", "seed",
    "patch", "unpatch", "patched", "is_patched", "init_model", "InitRecord", "InitEntry", "RULES",
    "materialize",
    "Block", "block", "isa", "set_isa", "available_isas", "get_num_threads", "set_num_threads",
    "inspect", "Report", "LayerStats", "rule_stds", "plot_depth", "lsuv_", "LSUVRecord", "LSUVLayer",
]
