"""Input checks and batching helpers shared by every augmentation op.

Every error names the argument it is about. Checks look only at concrete values; under
``jax.jit`` traced parameters pass unchecked (see :mod:`jreg._checks`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jreg._checks import is_concrete

FILL_MODES = ("reflect", "wrap", "constant", "nearest", "mirror")
INTERPOLATIONS = ("nearest", "bilinear")


def as_image_batch(
    images: Any, *, name: str = "images", require_float: bool = True
) -> tuple[jax.Array, bool]:
    """Return ``(batch, unbatched)`` with ``batch`` of shape ``(N, H, W, C)``.

    A single image ``(H, W, C)`` becomes a batch of one and ``unbatched`` is True.
    """
    if not hasattr(images, "shape") or not hasattr(images, "dtype"):
        images = np.asarray(images)
    if images.ndim not in (3, 4):
        raise ValueError(
            f"{name} must have rank 4 (N, H, W, C) or rank 3 (H, W, C); "
            f"got shape {tuple(images.shape)}."
        )
    if require_float and not jnp.issubdtype(images.dtype, jnp.floating):
        raise TypeError(
            f"{name} must have a floating dtype (convert with images.astype(jnp.float32)); "
            f"got {images.dtype}."
        )
    images = jnp.asarray(images)
    if images.ndim == 3:
        return images[None], True
    return images, False


def restore(batch: jax.Array, unbatched: bool) -> jax.Array:
    """Undo :func:`as_image_batch`."""
    return batch[0] if unbatched else batch


def check_float_array(value: Any, name: str, ndim: Sequence[int]) -> jax.Array:
    """Check the rank and floating dtype of a non-image array (audio, labels)."""
    if not hasattr(value, "shape") or not hasattr(value, "dtype"):
        value = np.asarray(value)
    if value.ndim not in tuple(ndim):
        ranks = " or ".join(str(r) for r in ndim)
        raise ValueError(f"{name} must have rank {ranks}; got shape {tuple(value.shape)}.")
    if not jnp.issubdtype(value.dtype, jnp.floating):
        raise TypeError(f"{name} must have a floating dtype; got {value.dtype}.")
    return jnp.asarray(value)


def per_example(value: Any, batch_size: int, dtype: Any, name: str) -> jax.Array:
    """Broadcast a scalar or a ``(N,)`` array of per-example parameters to shape ``(N,)``."""
    value = jnp.asarray(value, dtype=dtype)
    if value.ndim == 0:
        return jnp.broadcast_to(value, (batch_size,))
    if value.shape != (batch_size,):
        raise ValueError(
            f"{name} must be a scalar or have shape ({batch_size},) (one value per "
            f"image); got shape {tuple(value.shape)}."
        )
    return value


def check_choice(value: Any, name: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}; got {value!r}.")
    return value


def check_value_range(value_range: Any, name: str = "value_range") -> tuple[float, float]:
    """Return ``(low, high)`` for a two-number ``value_range`` with ``low < high``."""
    try:
        low, high = value_range
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a pair (low, high), e.g. (0, 255) or (0, 1); got {value_range!r}."
        ) from None
    if is_concrete((low, high)):
        low_f, high_f = float(low), float(high)
        if not (np.isfinite(low_f) and np.isfinite(high_f) and low_f < high_f):
            raise ValueError(
                f"{name} must be a finite pair (low, high) with low < high; got {value_range!r}."
            )
        # Python floats: (0, 255) and (0.0, 255.0) then share one compilation.
        return low_f, high_f
    return low, high


def factor_range(
    factor: Any,
    name: str,
    *,
    single: str = "symmetric",
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
) -> tuple[Any, Any]:
    """Turn a Keras ``factor`` (a number or a pair) into ``(lower, upper)``.

    ``single="symmetric"``: a number ``f >= 0`` means ``(-f, f)``; ``single="zero"``:
    ``(0, f)``; ``single="one-sided"``: ``(1 - f, 1 + f)``. A pair is ``(lower, upper)``
    with ``lower <= upper``. Both ends must lie within ``[low, high]`` when given.
    """
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            raise ValueError(f"{name} must be a number or a pair (lower, upper); got {factor!r}.")
        lower, upper = factor
        if is_concrete((lower, upper)) and not float(lower) <= float(upper):
            raise ValueError(f"{name} must be a pair with lower <= upper; got {factor!r}.")
    else:
        if np.ndim(factor) != 0:
            raise ValueError(f"{name} must be a number or a pair (lower, upper); got {factor!r}.")
        if is_concrete(factor) and not float(factor) >= 0:
            raise ValueError(
                f"{name} must be non-negative when given as one number (use a pair "
                f"(lower, upper) for an asymmetric range); got {factor!r}."
            )
        if single == "symmetric":
            lower, upper = -factor, factor
        elif single == "zero":
            lower, upper = 0.0 * factor, factor
        else:
            raise ValueError(f"unknown single={single!r}")
    if is_concrete((lower, upper)):
        lo_ok = low is None or (float(lower) >= low if low_inclusive else float(lower) > low)
        hi_ok = high is None or float(upper) <= high
        if not (lo_ok and hi_ok):
            left = "[" if low_inclusive else "("
            bounds = f"{left}{'-inf' if low is None else low}, {'inf' if high is None else high}]"
            raise ValueError(
                f"{name} must lie in {bounds}; got the range ({float(lower)!r}, {float(upper)!r})."
            )
    return lower, upper


def check_probability(value: Any, name: str) -> None:
    for leaf in jax.tree.leaves(value):
        if is_concrete(leaf):
            arr = np.asarray(leaf)
            if not np.all((arr >= 0) & (arr <= 1)):
                raise ValueError(f"{name} must lie in [0, 1]; got {leaf!r}.")


def check_size(value: Any, name: str, maximum: int | None = None, what: str = "") -> int:
    """Check a static positive integer size (crop height, kernel size, ...)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be a Python int (a static size); got {value!r}.")
    if value < 1:
        raise ValueError(f"{name} must be at least 1; got {value}.")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name}={value} is larger than {what} ({maximum}).")
    return int(value)


def uniform(key: jax.Array, shape: tuple[int, ...], lower: Any, upper: Any, dtype: Any):
    """``U(lower, upper)`` draws of the given shape and dtype (``lower == upper`` allowed)."""
    u = jax.random.uniform(key, shape, dtype=dtype)
    lower = jnp.asarray(lower, dtype)
    upper = jnp.asarray(upper, dtype)
    return lower + (upper - lower) * u


def bernoulli(key: jax.Array, probability: Any, shape: tuple[int, ...]) -> jax.Array:
    return jax.random.uniform(key, shape) < probability
