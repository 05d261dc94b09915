"""What jax.nn.initializers (installed, pinned) computes, in a subprocess.

JAX starts thread pools once it has computed anything, and other tests in the
pytest process fork (os.fork after threads can deadlock the child), so JAX
never runs in that process: ``jax_reference(requests)`` runs this file with
the requests on stdin and returns, per request, ("ok", value) or ("error",
(exception type, message)).  A request is (kind, args, kwargs):

* ("compute_fans", (shape, in_axis, out_axis, batch_axis), {}): JAX's private
  _compute_fans, the fan rule of every variance-scaling initializer;
* ("init", (name, shape), kwargs): ``jax.nn.initializers.<name>(**kwargs)``
  called with ``jax.random.key(0)``, shape and float32, as a NumPy array.
"""

import builtins
import pickle
import subprocess
import sys


def _run(requests):
    import jax
    import jax.numpy as jnp
    import numpy as np
    from jax._src.nn import initializers as src

    jax.config.update("jax_disable_jit", True)  # a few small draws: faster op by op than compiled
    out = []
    for kind, args, kwargs in requests:
        try:
            if kind == "compute_fans":
                value = tuple(src._compute_fans(*args))
            else:
                name, shape = args
                value = np.asarray(getattr(jax.nn.initializers, name)(**kwargs)(jax.random.key(0), shape,
                                                                               jnp.float32))
            out.append(("ok", value))
        except Exception as e:  # noqa: BLE001 - the exception is the reference
            out.append(("error", (type(e).__name__, str(e))))
    return out


def jax_reference(requests):
    proc = subprocess.run([sys.executable, __file__], input=pickle.dumps(list(requests)), capture_output=True,
                          check=True)
    results = pickle.loads(proc.stdout)
    return [(status, (getattr(builtins, value[0], value[0]), value[1]) if status == "error" else value)
            for status, value in results]


if __name__ == "__main__":
    sys.stdout.buffer.write(pickle.dumps(_run(pickle.loads(sys.stdin.buffer.read()))))
