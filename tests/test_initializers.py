"""weightinit.initializers against Keras 3 (installed, torch backend): the same
classes, signatures, defaults, configs and identifiers; Keras's fan rule
(against keras's own compute_fans) and the formulas of its VarianceScaling
(bit for bit against weightinit's plain fills with those parameters); the same
laws as Keras's own samples (two-sample KS); Keras's seeding semantics; its
errors; the deterministic initializers value for value."""

import inspect
import math
import os

os.environ["KERAS_BACKEND"] = "torch"  # before keras is imported anywhere in this process

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import scipy.stats as st  # noqa: E402
from keras.src.initializers import ALL_OBJECTS_DICT as KERAS_OBJECTS  # noqa: E402
from keras.src.initializers.random_initializers import compute_fans as keras_compute_fans  # noqa: E402

import weightinit as wi  # noqa: E402
from conftest import outcome, same_bits  # noqa: E402
from weightinit import initializers as I  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # Keras's own
P_MIN = 1e-4
NOT_PROVIDED = {"STFT", "STFTInitializer", "stft"}
CLASSES = [c.__name__ for c in I.ALL_OBJECTS]
RANDOM = ["RandomNormal", "RandomUniform", "TruncatedNormal", "VarianceScaling", "GlorotUniform",
          "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform", "LecunNormal", "Orthogonal"]
# constructor arguments for each class (seed added for the random ones)
ARGS = {"Constant": {"value": 2.5}, "Identity": {"gain": 3.0}, "RandomNormal": {"mean": 0.5, "stddev": 2.0},
        "RandomUniform": {"minval": -0.3, "maxval": 0.7}, "TruncatedNormal": {"mean": 0.1, "stddev": 0.3},
        "VarianceScaling": {"scale": 0.5, "mode": "fan_avg", "distribution": "uniform"},
        "Orthogonal": {"gain": 2.0}}


def np_of(x):
    return keras.ops.convert_to_numpy(x)


def make(module, name, seed=None):
    kwargs = dict(ARGS.get(name, {}))
    if name in RANDOM:
        kwargs["seed"] = seed
    return getattr(module, name)(**kwargs)


# ------------------------------------------------------------------ the API

def test_identifiers_are_keras():
    assert set(I.ALL_OBJECTS_DICT) == set(KERAS_OBJECTS) - NOT_PROVIDED
    for key, cls in I.ALL_OBJECTS_DICT.items():
        assert cls.__name__ == KERAS_OBJECTS[key].__name__, key
        assert type(I.get(key)) is cls if cls is not I.Initializer else True


@pytest.mark.parametrize("name", CLASSES)
def test_signatures_and_defaults_are_keras(name):
    ours = inspect.signature(getattr(I, name).__init__).parameters
    theirs = inspect.signature(getattr(keras.initializers, name).__init__).parameters
    assert list(ours) == list(theirs)
    for p, q in zip(ours.values(), theirs.values()):
        assert p.kind == q.kind and type(p.default) is type(q.default) and p.default == q.default, p.name
    assert getattr(I, name).__doc__ and name in I.__all__


@pytest.mark.parametrize("name", CLASSES[1:])
def test_configs_are_keras(name):
    ours, theirs = make(I, name, seed=7), make(keras.initializers, name, seed=7)
    expected = theirs.get_config()
    if name == "Identity":  # Keras's Identity has no get_config: its clone() loses the gain; ours keeps it
        assert expected == {}
        expected = {"gain": 3.0}
    assert ours.get_config() == expected
    assert list(ours.get_config()) == list(expected)
    back = type(ours).from_config(ours.get_config())
    assert back.get_config() == ours.get_config()
    again = I.get(I.serialize(ours))
    assert type(again) is type(ours) and again.get_config() == ours.get_config()
    assert same_bits(back((6, 5)), ours((6, 5))) and same_bits(ours.clone()((6, 5)), ours((6, 5)))


def test_get_and_errors_like_keras():
    assert I.get(None) is None
    f = lambda shape, dtype=None: np.ones(shape)  # noqa: E731
    assert I.get(f) is f
    assert type(I.get(I.HeUniform)) is I.HeUniform
    arr = np.arange(6.0).reshape(2, 3)
    assert np.array_equal(I.get(arr)((2, 3), "float32"), np_of(keras.initializers.get(arr)((2, 3), "float32")))
    for bad in ["nope", 5, {"class_name": "Nope", "config": {}}]:
        assert outcome(I.get, bad) == outcome(keras.initializers.get, bad)
    exc, _ = outcome(I.get, "stft")
    assert exc[0] is ValueError and "STFT" in exc[1]


def _set_message(exc):
    """A Keras message whose set literal is printed in hash order: (text, set)."""
    text, _, rest = exc[1].partition("{")
    return exc[0], text, set(x.strip(" '") for x in rest.rstrip("}").split(","))


@pytest.mark.parametrize("kwargs", [dict(scale=0), dict(scale=-1.5), dict(mode="FAN_IN"),
                                    dict(mode="fan_geo_avg"), dict(distribution="Gauss")])
def test_variance_scaling_errors_are_keras(kwargs):
    ours = outcome(I.VarianceScaling, **kwargs)[0]
    theirs = outcome(keras.initializers.VarianceScaling, **kwargs)[0]
    assert ours is not None
    if "scale" in kwargs:
        assert ours == theirs
    else:
        assert _set_message(ours) == _set_message(theirs)


def test_other_errors_are_keras():
    for cls, shape in [("Identity", (2, 2, 2)), ("Identity", (3,)), ("Orthogonal", (4,)), ("Orthogonal", ())]:
        assert outcome(getattr(I, cls)(), shape) == outcome(getattr(keras.initializers, cls)(), shape)
    exc = outcome(I.RandomNormal, seed="x")[0]
    assert exc[0] is ValueError and "seed=x" in exc[1]
    assert outcome(keras.initializers.RandomNormal, seed="x")[0][0] is ValueError


# ------------------------------------------------------------------ fans and formulas

SHAPES = [(), (7,), (5, 6), (3, 5, 6), (3, 2, 5, 6), (2, 3, 2, 5, 6), (0, 4), (1, 1)]
AXES = [(None, None), ([0], [1]), ([-2, 0], [-1]), ([0], None)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("axes", AXES)
def test_fans_are_keras(shape, axes):
    if axes[0] is not None and len(shape) < 2:
        return
    assert I.compute_fans(shape, *axes) == keras_compute_fans(shape, *axes)


def keras_formula(name, shape, seed, kw):
    """What Keras's VarianceScaling.__call__ computes, as weightinit's plain fill."""
    scale, mode, distribution = {
        "GlorotUniform": (1.0, "fan_avg", "uniform"), "GlorotNormal": (1.0, "fan_avg", "truncated_normal"),
        "LecunUniform": (1.0, "fan_in", "uniform"), "LecunNormal": (1.0, "fan_in", "truncated_normal"),
        "HeUniform": (2.0, "fan_in", "uniform"), "HeNormal": (2.0, "fan_in", "truncated_normal"),
        "VarianceScaling": (kw.get("scale", 1.0), kw.get("mode", "fan_in"),
                            kw.get("distribution", "truncated_normal"))}[name]
    fan_in, fan_out = keras_compute_fans(shape, kw.get("input_axes"), kw.get("output_axes"))
    if mode == "fan_in":
        scale /= max(1.0, fan_in)
    elif mode == "fan_out":
        scale /= max(1.0, fan_out)
    else:
        scale /= max(1.0, (fan_in + fan_out) / 2.0)
    out = np.empty(shape, np.float32)
    g = wi.Generator(seed)
    if distribution.lower() in ("truncated_normal", "normal"):
        stddev = math.sqrt(scale) / 0.87962566103423978
        return wi.trunc_normal_(out, 0.0, stddev, -2 * stddev, 2 * stddev, generator=g)
    if distribution == "untruncated_normal":
        return wi.normal_(out, 0.0, math.sqrt(scale), generator=g)
    limit = math.sqrt(3.0 * scale)
    return wi.uniform_(out, -limit, limit, generator=g)


VS_CASES = [("GlorotUniform", {}), ("GlorotNormal", {}), ("LecunUniform", {}), ("LecunNormal", {}),
            ("HeUniform", {}), ("HeNormal", {}), ("HeNormal", dict(input_axes=[0, 1], output_axes=[3])),
            ("VarianceScaling", dict(scale=0.3, mode="fan_out", distribution="untruncated_normal")),
            ("VarianceScaling", dict(scale=3.0, mode="fan_avg", distribution="normal")),
            ("VarianceScaling", dict(scale=0.5, mode="fan_in", distribution="uniform"))]


@pytest.mark.parametrize("name,kw", VS_CASES)
@pytest.mark.parametrize("shape", [s for s in SHAPES if 0 not in s])
def test_variance_scaling_is_kerass_formula(name, kw, shape):
    if "input_axes" in kw and len(shape) < 4:
        return
    ours = getattr(I, name)(seed=11, **kw)(shape)
    assert ours.dtype == np.float32 and ours.shape == shape
    assert same_bits(ours, keras_formula(name, shape, 11, kw))


@pytest.mark.parametrize("name", ["RandomNormal", "RandomUniform", "TruncatedNormal", "GlorotUniform", "GlorotNormal",
                                  "HeUniform", "HeNormal", "LecunUniform", "LecunNormal", "VarianceScaling"])
@pytest.mark.parametrize("shape", [(3, 3, 40, 64), (320, 200)])
def test_same_law_as_kerass_own_samples(name, shape):
    ours = make(I, name, seed=1)(shape).ravel()
    theirs = np_of(make(keras.initializers, name, seed=1)(shape)).ravel()
    assert st.ks_2samp(ours, theirs).pvalue > P_MIN
    if name in ("TruncatedNormal", "GlorotNormal", "HeNormal", "LecunNormal"):
        assert np.abs(ours - ours.mean()).max() <= np.abs(theirs - theirs.mean()).max() * 1.01


def test_truncated_normal_bounds():
    x = I.TruncatedNormal(mean=1.0, stddev=0.5, seed=0)((200, 200), "float64")
    assert x.min() >= 0.0 and x.max() <= 2.0 and x.min() < 0.01 and x.max() > 1.99


@pytest.mark.parametrize("shape", [(8, 8), (5, 12), (12, 5), (3, 3, 4, 6), (2, 3, 7, 4)])
def test_orthogonal_is_kerass_shape_rule(shape):
    x = I.Orthogonal(gain=1.5, seed=3)(shape, "float64")
    m = x.reshape(-1, shape[-1])
    rows, cols = m.shape
    gram = m.T @ m if rows >= cols else m @ m.T
    assert np.allclose(gram, 2.25 * np.eye(min(rows, cols)), atol=1e-10)
    k = np_of(keras.initializers.Orthogonal(gain=1.5, seed=3)(shape, "float64")).reshape(-1, shape[-1])
    kgram = k.T @ k if rows >= cols else k @ k.T
    assert np.allclose(kgram, gram, atol=1e-6)


@pytest.mark.parametrize("name", ["Zeros", "Ones", "Constant", "Identity"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int32"])
def test_deterministic_values_are_kerass(name, dtype):
    shape = (3, 4)
    ours = make(I, name)(shape, dtype)
    theirs = np_of(make(keras.initializers, name)(shape, dtype))
    if name == "Identity" and dtype == "int32":
        theirs = theirs.astype(np.int32)  # Keras returns gain * eye: float
    assert ours.dtype == np.dtype(dtype) and np.array_equal(ours, theirs)


# ------------------------------------------------------------------ seeds

@pytest.mark.parametrize("name", RANDOM)
def test_seeding_semantics_are_kerass(name):
    shape = (6, 5)
    # int: the same values on every call
    a = make(I, name, seed=3)
    assert same_bits(a(shape), a(shape))
    assert same_bits(a(shape), make(I, name, seed=3)(shape))
    assert not np.array_equal(a(shape), make(I, name, seed=4)(shape))
    k = make(keras.initializers, name, seed=3)
    assert np.array_equal(np_of(k(shape)), np_of(k(shape)))
    # None: a seed drawn once; the same values on every call, another object differs;
    # weightinit.manual_seed fixes the draw
    wi.manual_seed(5)
    u = make(I, name)
    assert same_bits(u(shape), u(shape)) and not np.array_equal(u(shape), make(I, name)(shape))
    wi.manual_seed(5)
    assert same_bits(make(I, name)(shape), u(shape))
    ku = make(keras.initializers, name)
    assert np.array_equal(np_of(ku(shape)), np_of(ku(shape)))  # Keras's own behaviour, mirrored
    # a weightinit.Generator: fresh values on every call, reproducibly
    g = make(I, name, seed=wi.Generator(8))
    first, second = g(shape), g(shape)
    assert not np.array_equal(first, second)
    h = make(I, name, seed=wi.Generator(8))
    assert same_bits(h(shape), first) and same_bits(h(shape), second)
    assert I.get(I.serialize(g)).get_config() == g.get_config()


def test_values_follow_the_contract():
    """An int seed gives the values of weightinit's function with Generator(seed),
    in any dtype: float16 is the float32 fill rounded."""
    x = I.HeUniform(seed=2)((40, 30), "float32")
    y = wi.variance_scaling_(np.empty((40, 30), np.float32), 2.0, "fan_in", "uniform", wi.Generator(2),
                             in_axis=-2, out_axis=-1)
    assert same_bits(x, y)
    assert same_bits(I.HeUniform(seed=2)((40, 30), "float16"), x.astype(np.float16))


def test_import_needs_neither_torch_nor_keras():
    import subprocess
    import sys
    code = ("import sys, weightinit.initializers as I; I.HeNormal(seed=0)((3, 3)); "
            "assert 'torch' not in sys.modules and 'keras' not in sys.modules, sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True)
