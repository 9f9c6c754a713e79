"""Occlusion: erase rectangles (cutout, random erasing)."""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp

from jreg.augment._common import (
    as_image_batch,
    check_probability,
    check_size,
    check_value_range,
    factor_range,
    per_example,
    restore,
)


def box_mask(boxes: jax.Array, height: int, width: int) -> jax.Array:
    """Boolean ``(N, H, W, 1)`` masks of integer boxes ``(top, left, height, width)``.

    Rows ``top <= r < top + height`` and columns ``left <= c < left + width``; boxes may
    stick out of the image (the part outside is ignored).

    Args:
      boxes: integer ``(N, 4)`` boxes ``(top, left, box_height, box_width)``.
      height: image height ``H``.
      width: image width ``W``.

    Returns:
      ``(N, H, W, 1)`` booleans, true inside each box.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> print(augment.box_mask(jnp.array([[0, 1, 2, 5]]), 3, 3)[0, ..., 0].astype(int))
      [[0 1 1]
       [0 1 1]
       [0 0 0]]
    """
    boxes = jnp.asarray(boxes)
    top, left, box_h, box_w = (boxes[:, i, None, None] for i in range(4))
    rows = jnp.arange(height)[None, :, None]
    cols = jnp.arange(width)[None, None, :]
    inside = (rows >= top) & (rows < top + box_h) & (cols >= left) & (cols < left + box_w)
    return inside[..., None]


def _boxes(boxes: Any, n: int) -> jax.Array:
    boxes = jnp.asarray(boxes)
    if not jnp.issubdtype(boxes.dtype, jnp.integer):
        raise TypeError(f"boxes must hold integers (top, left, height, width); got {boxes.dtype}.")
    if boxes.shape == (4,):
        return jnp.broadcast_to(boxes, (n, 4))
    if boxes.shape != (n, 4):
        raise ValueError(
            f"boxes must have shape (4,) or ({n}, 4) (top, left, height, width); "
            f"got {tuple(boxes.shape)}."
        )
    return boxes


def erase(images: Any, boxes: Any, *, fill_value: Any = 0.0) -> jax.Array:
    """Replace the pixels inside each image's box by ``fill_value``. Any dtype.

    Args:
      images: ``(N, H, W, C)`` or ``(H, W, C)``.
      boxes: integer ``(N, 4)`` or ``(4,)`` boxes ``(top, left, height, width)``; the part
        of a box outside the image is ignored.
      fill_value: scalar, or an array broadcastable to the images (e.g. noise).

    Returns:
      Images with the boxes filled.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> out = augment.erase(jnp.ones((4, 4, 1)), jnp.array([1, 1, 2, 3]), fill_value=0.0)
      >>> print(out[..., 0])
      [[1. 1. 1. 1.]
       [1. 0. 0. 0.]
       [1. 0. 0. 0.]
       [1. 1. 1. 1.]]
    """
    batch, unbatched = as_image_batch(images, require_float=False)
    n, h, w, _ = batch.shape
    boxes = _boxes(boxes, n)
    fill = jnp.asarray(fill_value, batch.dtype)
    if unbatched and fill.ndim == 3:
        fill = fill[None]
    return restore(_erase(batch, boxes, fill), unbatched)


@jax.jit
def _erase(batch, boxes, fill):
    _, h, w, _ = batch.shape
    return jnp.where(box_mask(boxes, h, w), fill, batch)


def cutout(
    key: jax.Array, images: Any, size: int | tuple[int, int], *, fill_value: Any = 0.0
) -> jax.Array:
    r"""Cutout: fill a ``size`` square (or ``(height, width)`` box) at a random centre.

    The centre is uniform over the pixels, per image; the box is clipped at the borders
    (so it may be smaller than ``size`` near an edge), as in DeVries & Taylor (2017).

    Args:
      key: a JAX PRNG key.
      images: ``(N, H, W, C)`` or ``(H, W, C)``.
      size: side length, or ``(height, width)``, each at most the image's.
      fill_value: scalar fill (default 0).

    Returns:
      Images with one box filled each.

    References:
      DeVries & Taylor, "Improved regularization of convolutional neural networks with
      cutout", arXiv:1708.04552, 2017.

    Examples:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> out = augment.cutout(jax.random.key(0), jnp.ones((2, 8, 8, 1)), 3)
      >>> out.shape
      (2, 8, 8, 1)
    """
    batch, unbatched = as_image_batch(images, require_float=False)
    _, h, w, _ = batch.shape
    box_h, box_w = (size, size) if isinstance(size, (int,)) else tuple(size)
    check_size(box_h, "size", h, "the image height")
    check_size(box_w, "size", w, "the image width")
    out = _cutout(key, batch, jnp.asarray(fill_value, batch.dtype), box_h=box_h, box_w=box_w)
    return restore(out, unbatched)


@functools.partial(jax.jit, static_argnames=("box_h", "box_w"))
def _cutout(key, batch, fill, *, box_h, box_w):
    n, h, w, _ = batch.shape
    key_y, key_x = jax.random.split(key)
    cy = jax.random.randint(key_y, (n,), 0, h)
    cx = jax.random.randint(key_x, (n,), 0, w)
    top = cy - box_h // 2
    left = cx - box_w // 2
    boxes = jnp.stack([top, left, jnp.full_like(top, box_h), jnp.full_like(top, box_w)], -1)
    return _erase(batch, boxes, fill)


def random_erasing(
    key: jax.Array,
    images: Any,
    *,
    probability: Any = 0.5,
    scale: tuple[float, float] = (0.02, 0.33),
    ratio: tuple[float, float] = (0.3, 3.3),
    fill_value: Any = None,
    value_range: tuple[float, float] | None = None,
) -> jax.Array:
    r"""Random erasing (Zhong et al., 2020): with probability ``p`` erase a random box.

    Per image: erase with probability ``probability``; box area :math:`U(s_0, s_1)·HW`,
    aspect ratio :math:`h/w` log-uniform in ``ratio``; sides rounded and clipped to the
    image (instead of the paper's rejection loop); position uniform with the box inside
    the image. ``fill_value=None`` fills with independent uniform noise over
    ``value_range`` (the paper's random values); otherwise with the constant.

    Args:
      key: a JAX PRNG key.
      images: float ``(N, H, W, C)`` or ``(H, W, C)``.
      probability: in ``[0, 1]``, scalar or ``(N,)`` (Keras' ``factor``).
      scale: area fraction range, ``0 < s_0 <= s_1 <= 1``.
      ratio: aspect-ratio range, ``0 < r_0 <= r_1``.
      fill_value: constant, or ``None`` for uniform noise.
      value_range: ``(lo, hi)``, needed when ``fill_value`` is ``None``.

    Returns:
      Images, some with an erased box.

    References:
      Zhong, Zheng, Kang, Li & Yang, "Random erasing data augmentation", AAAI 2020.

    Examples:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> out = augment.random_erasing(jax.random.key(0), jnp.ones((2, 8, 8, 3)),
      ...                              probability=1.0, fill_value=0.0)
      >>> bool((out == 0).any(axis=(1, 2, 3)).all())
      True
    """
    check_probability(probability, "probability")
    for name, value in (("scale", scale), ("ratio", ratio)):
        if not isinstance(value, (tuple, list)):
            raise ValueError(f"{name} must be a pair (lower, upper); got {value!r}.")
    scale = factor_range(tuple(scale), "scale", low=0.0, high=1.0, low_inclusive=False)
    ratio = factor_range(tuple(ratio), "ratio", low=0.0, low_inclusive=False)
    batch, unbatched = as_image_batch(images)
    if fill_value is None:
        if value_range is None:
            raise ValueError(
                "value_range is required when fill_value is None (noise is drawn over it)."
            )
        lo, hi = check_value_range(value_range)
        noise_range = (lo, hi)
        fill_value = 0.0
    else:
        noise_range = None
    out = _random_erasing(key, batch, probability, scale, ratio, fill_value, noise_range)
    return restore(out, unbatched)


@jax.jit
def _random_erasing(key, batch, probability, scale, ratio, fill_value, noise_range):
    n, h, w, _ = batch.shape
    dtype = batch.dtype
    key_apply, key_box, key_noise = jax.random.split(key, 3)
    u = jax.random.uniform(key_box, (n, 4), dtype=dtype)
    area = (scale[0] + (scale[1] - scale[0]) * u[:, 0]) * (h * w)
    log_ratio = jnp.log(ratio[0]) + (jnp.log(ratio[1]) - jnp.log(ratio[0])) * u[:, 1]
    aspect = jnp.exp(log_ratio)
    box_h = jnp.clip(jnp.round(jnp.sqrt(area * aspect)), 1, h).astype(jnp.int32)
    box_w = jnp.clip(jnp.round(jnp.sqrt(area / aspect)), 1, w).astype(jnp.int32)
    top = jnp.floor(u[:, 2] * (h - box_h + 1)).astype(jnp.int32)
    left = jnp.floor(u[:, 3] * (w - box_w + 1)).astype(jnp.int32)
    probability = per_example(probability, n, dtype, "probability")
    apply = jax.random.uniform(key_apply, (n,), dtype) < probability
    box_h = jnp.where(apply, box_h, 0)
    boxes = jnp.stack([top, left, box_h, box_w], axis=-1)
    if noise_range is None:
        fill = jnp.asarray(fill_value, dtype)
    else:
        lo, hi = noise_range
        fill = jax.random.uniform(key_noise, batch.shape, dtype, lo, hi)
    return _erase(batch, boxes, fill)
