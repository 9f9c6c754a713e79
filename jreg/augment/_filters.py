"""Small spatial filters: sharpness (PIL's 3×3 smoothing) and Gaussian blur."""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp

from jreg._checks import check_nonnegative
from jreg.augment._common import (
    as_image_batch,
    check_size,
    check_value_range,
    factor_range,
    per_example,
    restore,
    uniform,
)


def _smooth3x3(batch):
    """PIL's SMOOTH filter ([[1,1,1],[1,5,1],[1,1,1]] / 13) inside, border pixels kept."""
    _, h, w, _ = batch.shape
    if h < 3 or w < 3:
        return batch
    total = 4 * batch[:, 1:-1, 1:-1]
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            total = total + batch[:, dy : h - 2 + dy, dx : w - 2 + dx]
    return batch.at[:, 1:-1, 1:-1].set(total / 13)


@jax.jit
def _sharpness(batch, factor, lo, hi):
    factor = per_example(factor, batch.shape[0], batch.dtype, "factor")[:, None, None, None]
    degenerate = _smooth3x3(batch)
    return jnp.clip(degenerate + factor * (batch - degenerate), lo, hi)


def adjust_sharpness(
    images: Any, factor: Any, *, value_range: tuple[float, float]
) -> jax.Array:
    r"""Blend with a smoothed image: :math:`\mathrm{clip}(s + f(x - s))` (PIL's ``Sharpness``).

    :math:`s` is the image filtered by
    :math:`\frac{1}{13}\begin{pmatrix}1&1&1\\1&5&1\\1&1&1\end{pmatrix}` with the
    one-pixel border left unfiltered (PIL and torchvision). ``factor = 0`` gives the
    smoothed image, ``1`` the identity, ``2`` a sharpened one.

    Args:
      images: float ``(N, H, W, C)`` or ``(H, W, C)``.
      factor: ``f >= 0``, scalar or ``(N,)``.
      value_range: ``(lo, hi)``; the result is clipped to it.

    Returns:
      Adjusted images.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> x = jnp.zeros((3, 3, 1)).at[1, 1, 0].set(13.0)
      >>> print(augment.adjust_sharpness(x, 0.0, value_range=(0, 255))[..., 0])
      [[0. 0. 0.]
       [0. 5. 0.]
       [0. 0. 0.]]
    """
    lo, hi = check_value_range(value_range)
    batch, unbatched = as_image_batch(images)
    return restore(_sharpness(batch, factor, lo, hi), unbatched)


def gaussian_kernel(sigma: Any, *, kernel_size: int) -> jax.Array:
    r"""Normalised 1-D Gaussian weights :math:`w_k \propto e^{-k^2 / (2\sigma^2)}`.

    For :math:`k = -r, \dots, r`, ``r = kernel_size // 2``.

    Args:
      sigma: :math:`\sigma > 0`, scalar or ``(N,)``.
      kernel_size: odd static size.

    Returns:
      ``(kernel_size,)`` or ``(N, kernel_size)`` weights summing to 1.

    Examples:
      >>> from jreg import augment
      >>> print(augment.gaussian_kernel(1.0, kernel_size=3).round(4))
      [0.2741 0.4519 0.2741]
    """
    radius = kernel_size // 2
    sigma = jnp.asarray(sigma)
    dtype = sigma.dtype if jnp.issubdtype(sigma.dtype, jnp.floating) else jnp.result_type(float)
    sigma = jnp.maximum(sigma.astype(dtype), jnp.finfo(dtype).tiny ** 0.25)[..., None]
    k = jnp.arange(-radius, radius + 1, dtype=dtype)
    weights = jnp.exp(-(k**2) / (2 * sigma**2))
    return weights / jnp.sum(weights, axis=-1, keepdims=True)


@functools.partial(jax.jit, static_argnames=("kernel_size",))
def _blur(batch, sigma, *, kernel_size):
    n, h, w, _ = batch.shape
    radius = kernel_size // 2
    sigma = per_example(sigma, n, batch.dtype, "sigma")
    weights = gaussian_kernel(sigma, kernel_size=kernel_size)
    weights = weights.astype(batch.dtype)
    # scipy.ndimage 'reflect' = numpy 'symmetric': (d c b a | a b c d | d c b a)
    padded = jnp.pad(batch, ((0, 0), (radius, radius), (0, 0), (0, 0)), mode="symmetric")
    out = sum(
        weights[:, k, None, None, None] * padded[:, k : k + h] for k in range(kernel_size)
    )
    padded = jnp.pad(out, ((0, 0), (0, 0), (radius, radius), (0, 0)), mode="symmetric")
    return sum(
        weights[:, k, None, None, None] * padded[:, :, k : k + w] for k in range(kernel_size)
    )


def gaussian_blur(images: Any, sigma: Any, *, kernel_size: int = 3) -> jax.Array:
    r"""Separable Gaussian blur with per-image :math:`\sigma` and a static kernel size.

    Rows then columns are filtered with :func:`gaussian_kernel`; outside the image the
    input is reflected ``(d c b a | a b c d | d c b a)``, so the result equals
    ``scipy.ndimage.gaussian_filter(..., mode="reflect", truncate=r / sigma)`` per
    channel with ``r = kernel_size // 2``.

    Args:
      images: float ``(N, H, W, C)`` or ``(H, W, C)``.
      sigma: standard deviation in pixels, scalar or ``(N,)``.
      kernel_size: odd, ``<= 2·min(H, W) + 1`` (Keras' default 3).

    Returns:
      Blurred images.

    Raises:
      ValueError: even or too large ``kernel_size``, negative ``sigma``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> x = jnp.zeros((1, 5, 1)).at[0, 2, 0].set(1.0)
      >>> print(augment.gaussian_blur(x, 1.0)[0, :, 0].round(4))
      [0.     0.2741 0.4519 0.2741 0.    ]
    """
    batch, unbatched = as_image_batch(images)
    _, h, w, _ = batch.shape
    _check_kernel_size(kernel_size, h, w)
    check_nonnegative(sigma, "sigma")
    return restore(_blur(batch, sigma, kernel_size=kernel_size), unbatched)


def _check_kernel_size(kernel_size, h, w):
    check_size(kernel_size, "kernel_size", 2 * min(h, w) + 1, "2 * min(height, width) + 1")
    if kernel_size % 2 != 1:
        raise ValueError(f"kernel_size must be odd; got {kernel_size}.")


def random_sharpness(
    key: jax.Array, images: Any, factor: Any, *, value_range: tuple[float, float]
) -> jax.Array:
    r"""Random :func:`adjust_sharpness` per image (Keras ``RandomSharpness``).

    Draw :math:`s \sim U(a, b)` (``(0, f)`` for a number, within ``[0, 1]``) and use the
    sharpness factor :math:`2s`: ``s = 0`` smoothed, ``0.5`` identity, ``1`` sharpened.

    Args:
      key: a JAX PRNG key.
      images: float ``(N, H, W, C)`` or ``(H, W, C)``.
      factor: number or pair in ``[0, 1]``.
      value_range: ``(lo, hi)``.

    Returns:
      Adjusted images.

    Examples:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> augment.random_sharpness(jax.random.key(0), jnp.ones((2, 4, 4, 3)), 0.5,
      ...                          value_range=(0, 1)).shape
      (2, 4, 4, 3)
    """
    lower, upper = factor_range(factor, "factor", single="zero", low=0.0, high=1.0)
    lo, hi = check_value_range(value_range)
    batch, unbatched = as_image_batch(images)
    return restore(_random_sharpness(key, batch, lower, upper, lo, hi), unbatched)


@jax.jit
def _random_sharpness(key, batch, lower, upper, lo, hi):
    s = uniform(key, (batch.shape[0],), lower, upper, batch.dtype)
    return _sharpness(batch, 2 * s, lo, hi)


def random_gaussian_blur(
    key: jax.Array, images: Any, sigma: Any = (0.1, 2.0), *, kernel_size: int = 3
) -> jax.Array:
    r"""Blur each image with its own :math:`\sigma \sim U(a, b)` (``(0, s)`` for a number).

    Args:
      key: a JAX PRNG key.
      images: float ``(N, H, W, C)`` or ``(H, W, C)``.
      sigma: number or pair ``(a, b)`` with ``0 <= a <= b``.
      kernel_size: odd static size (default 3, as Keras' ``RandomGaussianBlur``).

    Returns:
      Blurred images.

    Examples:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> augment.random_gaussian_blur(jax.random.key(0), jnp.ones((2, 4, 4, 3))).shape
      (2, 4, 4, 3)
    """
    lower, upper = factor_range(sigma, "sigma", single="zero", low=0.0)
    batch, unbatched = as_image_batch(images)
    _, h, w, _ = batch.shape
    _check_kernel_size(kernel_size, h, w)
    return restore(
        _random_blur(key, batch, lower, upper, kernel_size=kernel_size), unbatched
    )


@functools.partial(jax.jit, static_argnames=("kernel_size",))
def _random_blur(key, batch, lower, upper, *, kernel_size):
    sigma = uniform(key, (batch.shape[0],), lower, upper, batch.dtype)
    return _blur(batch, sigma, kernel_size=kernel_size)
