"""Full float32 precision for the programs of the solvers and estimators."""

from __future__ import annotations

import functools

import jax


def full_precision(fun):
    """``fun`` traced with float32 matrix products at full precision.

    On GPUs and TPUs JAX's default float32 matmul runs in reduced precision (TF32 on
    NVIDIA GPUs since Ampere: a 10-bit mantissa, relative errors near 1e-3), far from
    what a solver certified to a duality gap of 1e-4 or 1e-6 needs. Wrapping the
    function that ``jax.jit`` traces makes every product traced inside it ``HIGHEST``
    (the context is read at trace time, so this holds under an enclosing ``jit`` too);
    on CPU and in float64 nothing changes.
    """

    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        with jax.default_matmul_precision("highest"):
            return fun(*args, **kwargs)

    return wrapped
