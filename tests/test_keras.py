"""weightinit.keras inside real Keras 3 models (torch backend): layers built
with weightinit's initializers hold exactly weightinit.initializers' values,
in float32, float16 and bfloat16; Keras serialisation round trips; seeds as in
Keras (SeedGenerator, keras.utils.set_random_seed); a clear ImportError
without Keras."""

import os
import subprocess
import sys

os.environ["KERAS_BACKEND"] = "torch"  # before keras is imported anywhere in this process

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import weightinit as wi  # noqa: E402
import weightinit.keras as wk  # noqa: E402
from conftest import same_bits  # noqa: E402
from weightinit import initializers as I  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


def np_of(x):
    return keras.ops.convert_to_numpy(x)


def test_classes_are_keras_initializers():
    assert keras.backend.backend() == "torch"
    for name in I.__all__:
        cls = getattr(I, name)
        if isinstance(cls, type) and issubclass(cls, I.Initializer):
            ours = getattr(wk, name)
            assert issubclass(ours, keras.initializers.Initializer) and issubclass(ours, cls)
    assert type(wk.get("he_uniform")) is wk.HeUniform
    assert type(wk.get({"class_name": "GlorotNormal", "config": {"seed": 1}})) is wk.GlorotNormal


def test_dense_model_kernel_is_weightinits():
    model = keras.Sequential([
        keras.Input((16,)),
        keras.layers.Dense(64, activation="relu", kernel_initializer=wk.HeUniform(seed=0)),
        keras.layers.Dense(8, kernel_initializer=wk.GlorotNormal(seed=1), bias_initializer=wk.Constant(0.5)),
    ])
    y = model(np.ones((4, 16), np.float32))
    assert tuple(y.shape) == (4, 8) and bool(torch.isfinite(y).all())
    d1, d2 = model.layers
    assert same_bits(np_of(d1.kernel), I.HeUniform(seed=0)((16, 64)))
    assert same_bits(np_of(d2.kernel), I.GlorotNormal(seed=1)((64, 8)))
    assert not np_of(d1.bias).any() and (np_of(d2.bias) == 0.5).all()
    # and the function form with Keras's layout: he_uniform_ with in_axis=-2, out_axis=-1
    ref = wi.he_uniform_(np.empty((16, 64), np.float32), wi.Generator(0), in_axis=-2, out_axis=-1)
    assert same_bits(np_of(d1.kernel), ref)
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((8, 16), np.float32), np.zeros((8, 8), np.float32), epochs=1, verbose=0)


def test_conv_and_orthogonal_kernels():
    model = keras.Sequential([
        keras.Input((10, 10, 3)),
        keras.layers.Conv2D(12, 3, kernel_initializer=wk.LecunNormal(seed=4)),
        keras.layers.Flatten(),
        keras.layers.Dense(5, kernel_initializer=wk.Orthogonal(gain=2.0, seed=5)),
    ])
    model(np.ones((2, 10, 10, 3), np.float32))
    conv, _, dense = model.layers
    k = np_of(conv.kernel)
    assert k.shape == (3, 3, 3, 12) and same_bits(k, I.LecunNormal(seed=4)((3, 3, 3, 12)))
    sigma = (1 / 27) ** 0.5 / 0.87962566103423978  # Keras's fans: fan_in = 3 * 3 * 3
    assert np.abs(k).max() <= 2 * sigma
    w = np_of(dense.kernel)
    assert np.allclose(w.T @ w, 4 * np.eye(5), atol=1e-4)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float64"])
def test_layer_dtypes(dtype):
    layer = keras.layers.Dense(32, dtype=dtype, kernel_initializer=wk.HeUniform(seed=2))
    layer.build((None, 24))
    kernel = layer.kernel.value
    assert str(kernel.dtype) == f"torch.{dtype}"
    f32 = torch.from_numpy(I.HeUniform(seed=2)((24, 32)))
    if dtype == "float64":
        assert same_bits(kernel, torch.from_numpy(I.HeUniform(seed=2)((24, 32), "float64")))
    else:  # the contract: 16-bit values are the float32 values rounded to nearest even
        assert same_bits(kernel, f32.to(getattr(torch, dtype)))


def test_serialisation_round_trip(tmp_path):
    layer = keras.layers.Dense(6, kernel_initializer=wk.HeNormal(seed=3))
    config = keras.layers.serialize(layer)
    assert config["config"]["kernel_initializer"]["registered_name"] == "weightinit>HeNormal"
    again = keras.layers.deserialize(config)
    assert type(again.kernel_initializer) is wk.HeNormal
    assert again.kernel_initializer.get_config() == layer.kernel_initializer.get_config()
    model = keras.Sequential([keras.Input((4,)), layer])
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded.layers[0].kernel_initializer) is wk.HeNormal
    assert np.array_equal(np_of(loaded.layers[0].kernel), np_of(layer.kernel))


def test_seeds_as_keras():
    gen = wk.HeNormal(seed=keras.random.SeedGenerator(7))
    a, b = np_of(gen((5, 4))), np_of(gen((5, 4)))
    assert not np.array_equal(a, b)
    again = wk.HeNormal(seed=keras.random.SeedGenerator(7))
    assert np.array_equal(np_of(again((5, 4))), a) and np.array_equal(np_of(again((5, 4))), b)
    keras.utils.set_random_seed(3)
    u = wk.GlorotUniform()
    assert np.array_equal(np_of(u((5, 4))), np_of(u((5, 4))))  # unseeded: one seed, drawn at construction
    keras.utils.set_random_seed(3)
    assert np.array_equal(np_of(wk.GlorotUniform()((5, 4))), np_of(u((5, 4))))
    assert not np.array_equal(np_of(wk.GlorotUniform()((5, 4))), np_of(u((5, 4))))
    layer = keras.layers.Dense(3, kernel_initializer=wk.HeNormal(seed=keras.random.SeedGenerator(7)))
    again = keras.layers.deserialize(keras.layers.serialize(layer))
    again.build((None, 5))
    # the SeedGenerator's seed survives, from its start: the first values of the same fill
    assert np.array_equal(np_of(again.kernel).ravel(), a.ravel()[:15])
    g = wi.Generator(9)
    w = wk.RandomUniform(seed=g)
    assert not np.array_equal(np_of(w((3,))), np_of(w((3,))))


def test_import_error_without_keras():
    code = ("import sys; sys.modules['keras'] = None\n"
            "try:\n    import weightinit.keras\nexcept ImportError as e:\n    print(e)\n"
            "import weightinit, weightinit.initializers\nassert 'keras' not in sys.modules or sys.modules['keras'] is None")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert "weightinit.keras needs Keras 3" in out and "weightinit.initializers" in out
