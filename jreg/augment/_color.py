r"""Photometric augmentation: pointwise, colour-space and histogram ops.

Every op works on float images in an explicit ``value_range = (lo, hi)``; where a
formula is written for normalised values it uses :math:`x_n = (x - lo) / (hi - lo)`.
Per-example parameters are scalars or ``(N,)`` arrays. The random ops use Keras'
meaning of ``factor`` for the layer of the same name.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp

from jreg._checks import check_interval
from jreg.augment._common import (
    as_image_batch,
    check_probability,
    check_size,
    check_value_range,
    factor_range,
    per_example,
    restore,
    uniform,
)

# ITU-R BT.601 luma weights, as Keras' and TF's rgb_to_grayscale.
GRAY_WEIGHTS = (0.2989, 0.5870, 0.1140)


def _rgb_batch(images: Any) -> tuple[jax.Array, bool]:
    batch, unbatched = as_image_batch(images)
    if batch.shape[-1] != 3:
        raise ValueError(
            f"images must have 3 (RGB) channels for this op; got {batch.shape[-1]}."
        )
    return batch, unbatched


def _param(value, batch, name):
    return per_example(value, batch.shape[0], batch.dtype, name)[:, None, None, None]


def _normalise(batch, lo, hi):
    return (batch - lo) / (hi - lo)


def _denormalise(xn, lo, hi):
    return lo + xn * (hi - lo)


# ------------------------------------------------------------------ colour spaces


def rgb_to_hsv(images: Any) -> jax.Array:
    r"""Convert RGB in ``[0, 1]`` to HSV in ``[0, 1]`` (hue as a fraction of a turn).

    :math:`V = \max(r, g, b)`, :math:`S = (V - \min)/V` (0 where :math:`V = 0`), and the
    hue of Python's :func:`colorsys.rgb_to_hsv`.

    Args:
      images: float ``(..., 3)``.

    Returns:
      ``(..., 3)`` with channels ``(h, s, v)``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> print(augment.rgb_to_hsv(jnp.array([0.0, 0.5, 1.0])).round(4))
      [0.5833 1.     1.    ]
    """
    rgb = jnp.asarray(images)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    v = jnp.max(rgb, axis=-1)
    delta = v - jnp.min(rgb, axis=-1)
    safe_v = jnp.where(v > 0, v, 1)
    safe_delta = jnp.where(delta > 0, delta, 1)
    s = jnp.where(v > 0, delta / safe_v, 0)
    h = jnp.where(
        r == v,
        (g - b) / safe_delta,
        jnp.where(g == v, 2 + (b - r) / safe_delta, 4 + (r - g) / safe_delta),
    )
    h = jnp.where(delta > 0, jnp.mod(h / 6, 1.0), 0)
    return jnp.stack([h, s, v], axis=-1)


def hsv_to_rgb(images: Any) -> jax.Array:
    r"""Convert HSV in ``[0, 1]`` back to RGB (inverse of :func:`rgb_to_hsv`).

    Channel :math:`n \in \{5, 3, 1\}` (r, g, b) is
    :math:`V - VS\,\max(0, \min(k, 4 - k, 1))` with :math:`k = (n + 6h) \bmod 6`.

    Args:
      images: float ``(..., 3)`` with channels ``(h, s, v)``.

    Returns:
      ``(..., 3)`` RGB.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> print(augment.hsv_to_rgb(jnp.array([0.5833333, 1.0, 1.0])).round(4))
      [0.  0.5 1. ]
    """
    hsv = jnp.asarray(images)
    h, s, v = hsv[..., 0], hsv[..., 1], hsv[..., 2]

    def channel(n):
        k = jnp.mod(n + 6 * h, 6)
        return v - v * s * jnp.clip(jnp.minimum(k, 4 - k), 0, 1)

    return jnp.stack([channel(5), channel(3), channel(1)], axis=-1)


def _gray(batch):
    weights = jnp.asarray(GRAY_WEIGHTS, batch.dtype)
    return jnp.sum(batch * weights, axis=-1, keepdims=True)


def grayscale(images: Any) -> jax.Array:
    r"""Replace RGB by its luma, kept as 3 equal channels (shape unchanged).

    :math:`Y = 0.2989 R + 0.5870 G + 0.1140 B` (Keras' and TF's weights).

    Args:
      images: float ``(N, H, W, 3)`` or ``(H, W, 3)``.

    Returns:
      Gray images with 3 identical channels.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> print(augment.grayscale(jnp.array([[[1.0, 0.0, 0.0]]])).round(4))
      [[[0.2989 0.2989 0.2989]]]
    """
    batch, unbatched = _rgb_batch(images)
    return restore(jnp.broadcast_to(_gray(batch), batch.shape), unbatched)


# ------------------------------------------------------------------ deterministic


@jax.jit
def _brightness(batch, delta, lo, hi):
    return jnp.clip(batch + _param(delta, batch, "delta") * (hi - lo), lo, hi)


def adjust_brightness(images: Any, delta: Any, *, value_range: tuple[float, float]) -> jax.Array:
    r"""Add ``delta`` times the value range and clip: :math:`\mathrm{clip}(x + \delta(hi - lo))`.

    Keras' ``RandomBrightness`` meaning: ``delta = -1`` makes the image black (``lo``),
    ``+1`` white (``hi``).

    Args:
      images: float ``(N, H, W, C)`` or ``(H, W, C)``.
      delta: fraction of the value range, scalar or ``(N,)``.
      value_range: ``(lo, hi)`` of the pixel values.

    Returns:
      Adjusted images, clipped to ``value_range``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> x = jnp.array([[[0.0], [100.0], [250.0]]])
      >>> print(augment.adjust_brightness(x, 0.1, value_range=(0, 255))[0, :, 0])
      [ 25.5 125.5 255. ]
    """
    lo, hi = check_value_range(value_range)
    batch, unbatched = as_image_batch(images)
    return restore(_brightness(batch, delta, lo, hi), unbatched)


@jax.jit
def _contrast(batch, factor, lo, hi):
    mean = jnp.mean(batch, axis=(1, 2), keepdims=True)
    return jnp.clip(mean + _param(factor, batch, "factor") * (batch - mean), lo, hi)


def adjust_contrast(images: Any, factor: Any, *, value_range: tuple[float, float]) -> jax.Array:
    r"""Scale deviations from each channel's mean: :math:`\mathrm{clip}(m + f\,(x - m))`.

    :math:`m` is the mean of the channel over the image (Keras' ``RandomContrast``);
    ``factor = 1`` is the identity, ``0`` a flat image.

    Args:
      images: float ``(N, H, W, C)`` or ``(H, W, C)``.
      factor: contrast factor ``f >= 0``, scalar or ``(N,)``.
      value_range: ``(lo, hi)``; the result is clipped to it.

    Returns:
      Adjusted images.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> x = jnp.array([[[0.2], [0.4], [0.6]]])
      >>> print(augment.adjust_contrast(x, 2.0, value_range=(0, 1))[0, :, 0].round(4))
      [0.  0.4 0.8]
    """
    lo, hi = check_value_range(value_range)
    batch, unbatched = as_image_batch(images)
    return restore(_contrast(batch, factor, lo, hi), unbatched)


@jax.jit
def _saturation(batch, factor, lo, hi):
    xn = _normalise(batch, lo, hi)
    v = jnp.max(xn, axis=-1, keepdims=True)
    spread = v - jnp.min(xn, axis=-1, keepdims=True)
    factor = _param(factor, batch, "factor")
    # S' = min(f S, 1) with S = spread / V; the channels keep their place between the
    # new minimum and V (hue and value unchanged): x' = V - (V - x) S'/S.
    ratio = jnp.where(factor * spread <= v, factor, v / jnp.where(spread > 0, spread, 1))
    out = v - (v - xn) * ratio
    return _denormalise(jnp.clip(out, 0, 1), lo, hi)


def adjust_saturation(
    images: Any, factor: Any, *, value_range: tuple[float, float]
) -> jax.Array:
    r"""Multiply the HSV saturation by ``factor`` (clipped to 1), keeping hue and value.

    Same result as converting to HSV, :math:`S \leftarrow \min(fS, 1)`, and back (TF's
    and dm-pix's ``adjust_saturation``), computed in closed form: with
    :math:`V = \max_c x_n`, :math:`S = (V - \min_c x_n)/V`,
    :math:`x_n' = V - (V - x_n)\min(f, 1/S)`.

    Args:
      images: float RGB ``(N, H, W, 3)`` or ``(H, W, 3)``.
      factor: ``f >= 0`` (0 gives gray), scalar or ``(N,)``.
      value_range: ``(lo, hi)``.

    Returns:
      Adjusted images.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> x = jnp.array([[[1.0, 0.5, 0.5]]])
      >>> print(augment.adjust_saturation(x, 0.5, value_range=(0, 1)).round(4))
      [[[1.   0.75 0.75]]]
    """
    lo, hi = check_value_range(value_range)
    batch, unbatched = _rgb_batch(images)
    return restore(_saturation(batch, factor, lo, hi), unbatched)


@jax.jit
def _hue(batch, delta, lo, hi):
    hsv = rgb_to_hsv(jnp.clip(_normalise(batch, lo, hi), 0, 1))
    h = jnp.mod(hsv[..., 0:1] + _param(delta, batch, "delta"), 1.0)
    rgb = hsv_to_rgb(jnp.concatenate([h, hsv[..., 1:]], axis=-1))
    return _denormalise(rgb, lo, hi)


def adjust_hue(images: Any, delta: Any, *, value_range: tuple[float, float]) -> jax.Array:
    r"""Rotate the hue by ``delta`` turns: :math:`h \leftarrow (h + \delta) \bmod 1` in HSV.

    Args:
      images: float RGB ``(N, H, W, 3)`` or ``(H, W, 3)``.
      delta: fraction of a full turn, scalar or ``(N,)`` (``1/3`` maps red to green).
      value_range: ``(lo, hi)``.

    Returns:
      Adjusted images.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> red = jnp.array([[[255.0, 0.0, 0.0]]])
      >>> print(augment.adjust_hue(red, 1 / 3, value_range=(0, 255)).round(3))
      [[[  0. 255.   0.]]]
    """
    lo, hi = check_value_range(value_range)
    batch, unbatched = _rgb_batch(images)
    return restore(_hue(batch, delta, lo, hi), unbatched)


@jax.jit
def _color(batch, factor, lo, hi):
    gray = _gray(batch)
    return jnp.clip(gray + _param(factor, batch, "factor") * (batch - gray), lo, hi)


def adjust_color(images: Any, factor: Any, *, value_range: tuple[float, float]) -> jax.Array:
    r"""Blend with the grayscale image: :math:`\mathrm{clip}(Y + f(x - Y))` (PIL's ``Color``).

    ``factor = 0`` gives :func:`grayscale`, ``1`` the identity, ``> 1`` more colour.
    This is the "Color" op of RandAugment and Keras' ``RandomColorDegeneration``.

    Args:
      images: float RGB ``(N, H, W, 3)`` or ``(H, W, 3)``.
      factor: ``f >= 0``, scalar or ``(N,)``.
      value_range: ``(lo, hi)``; the result is clipped to it.

    Returns:
      Adjusted images.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> x = jnp.array([[[1.0, 0.0, 0.0]]])
      >>> print(augment.adjust_color(x, 0.5, value_range=(0, 1)).round(4))
      [[[0.6494 0.1494 0.1494]]]
    """
    lo, hi = check_value_range(value_range)
    batch, unbatched = _rgb_batch(images)
    return restore(_color(batch, factor, lo, hi), unbatched)


@jax.jit
def _gamma(batch, gamma, gain, lo, hi):
    xn = jnp.clip(_normalise(batch, lo, hi), 0, 1)
    out = _param(gain, batch, "gain") * xn ** _param(gamma, batch, "gamma")
    return _denormalise(jnp.clip(out, 0, 1), lo, hi)


def adjust_gamma(
    images: Any, gamma: Any, *, gain: Any = 1.0, value_range: tuple[float, float]
) -> jax.Array:
    r"""Gamma correction :math:`lo + (hi - lo)\,\mathrm{clip}(g\,x_n^{\gamma}, 0, 1)`.

    Args:
      images: float ``(N, H, W, C)`` or ``(H, W, C)``.
      gamma: :math:`\gamma > 0`, scalar or ``(N,)`` (``< 1`` brightens).
      gain: :math:`g`, scalar or ``(N,)``, default 1.
      value_range: ``(lo, hi)``.

    Returns:
      Adjusted images.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> x = jnp.array([[[0.25], [1.0]]])
      >>> print(augment.adjust_gamma(x, 0.5, value_range=(0, 1))[0, :, 0])
      [0.5 1. ]
    """
    lo, hi = check_value_range(value_range)
    batch, unbatched = as_image_batch(images)
    return restore(_gamma(batch, gamma, gain, lo, hi), unbatched)


@jax.jit
def _invert(batch, lo, hi):
    return lo + hi - batch


def invert(images: Any, *, value_range: tuple[float, float]) -> jax.Array:
    r"""Negative image :math:`lo + hi - x`.

    Args:
      images: float ``(N, H, W, C)`` or ``(H, W, C)``.
      value_range: ``(lo, hi)``.

    Returns:
      Inverted images.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> print(augment.invert(jnp.array([[[0.0], [55.0]]]), value_range=(0, 255))[0, :, 0])
      [255. 200.]
    """
    lo, hi = check_value_range(value_range)
    batch, unbatched = as_image_batch(images)
    return restore(_invert(batch, lo, hi), unbatched)


@jax.jit
def _solarize(batch, threshold, addition, lo, hi):
    shifted = jnp.clip(batch + _param(addition, batch, "addition") * (hi - lo), lo, hi)
    return jnp.where(shifted < _param(threshold, batch, "threshold"), shifted, lo + hi - shifted)


def solarize(
    images: Any,
    threshold: Any,
    *,
    addition: Any = 0.0,
    value_range: tuple[float, float],
) -> jax.Array:
    r"""Invert the pixels at or above ``threshold``: :math:`y < t\ ?\ y : lo + hi - y`.

    With :math:`y = \mathrm{clip}(x + a(hi - lo))` (``addition`` :math:`a`, default 0;
    Keras' ``Solarization`` adds before thresholding). ``threshold`` is in pixel units
    (PIL's ``ImageOps.solarize``).

    Args:
      images: float ``(N, H, W, C)`` or ``(H, W, C)``.
      threshold: :math:`t`, scalar or ``(N,)``.
      addition: fraction of the value range added first, scalar or ``(N,)``.
      value_range: ``(lo, hi)``.

    Returns:
      Solarized images.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> x = jnp.array([[[10.0], [128.0], [200.0]]])
      >>> print(augment.solarize(x, 128.0, value_range=(0, 255))[0, :, 0])
      [ 10. 127.  55.]
    """
    lo, hi = check_value_range(value_range)
    batch, unbatched = as_image_batch(images)
    return restore(_solarize(batch, threshold, addition, lo, hi), unbatched)


def _levels(batch, lo, hi):
    """Nearest of the 256 levels of ``value_range``, as float integers 0..255."""
    return jnp.round(jnp.clip(_normalise(batch, lo, hi), 0, 1) * 255)


@jax.jit
def _posterize(batch, bits, lo, hi):
    step = 2.0 ** (8 - per_example(bits, batch.shape[0], jnp.int32, "bits").astype(batch.dtype))
    step = step[:, None, None, None]
    levels = jnp.floor(_levels(batch, lo, hi) / step) * step
    return _denormalise(levels / 255, lo, hi)


def posterize(images: Any, bits: Any, *, value_range: tuple[float, float]) -> jax.Array:
    r"""Keep the ``bits`` most significant bits of each 8-bit level.

    With :math:`v = \mathrm{round}(255\,x_n)` and :math:`s = 2^{8 - b}`:
    :math:`lo + (hi - lo)\,s\lfloor v / s\rfloor / 255` (PIL's ``ImageOps.posterize`` on
    the 8-bit levels of ``value_range``).

    Args:
      images: float ``(N, H, W, C)`` or ``(H, W, C)``.
      bits: integer :math:`b` in ``[1, 8]``, scalar or ``(N,)``.
      value_range: ``(lo, hi)``.

    Returns:
      Posterized images.

    Raises:
      ValueError: ``bits`` outside ``[1, 8]``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> x = jnp.array([[[13.0], [200.0], [255.0]]])
      >>> print(augment.posterize(x, 2, value_range=(0, 255))[0, :, 0])
      [  0. 192. 192.]
    """
    lo, hi = check_value_range(value_range)
    check_interval(bits, "bits", 1, 8)
    batch, unbatched = as_image_batch(images)
    return restore(_posterize(batch, bits, lo, hi), unbatched)


@functools.partial(jax.jit, static_argnames=("bins",))
def _equalize(batch, lo, hi, bins=256):
    n, h, w, c = batch.shape
    top_level = bins - 1
    xn = jnp.clip(_normalise(batch, lo, hi), 0, 1)
    levels = jnp.round(xn * top_level).astype(jnp.int32)  # (N, H, W, C)
    planes = jnp.moveaxis(levels, -1, 1).reshape(n * c, h * w)
    index = planes + bins * jnp.arange(n * c, dtype=jnp.int32)[:, None]
    hist = jnp.zeros((n * c * bins,), jnp.int32).at[index.ravel()].add(1).reshape(n * c, bins)
    top = top_level - jnp.argmax(hist[:, ::-1] > 0, axis=1)  # largest level present
    count_top = jnp.take_along_axis(hist, top[:, None], axis=1)[:, 0]
    step = (h * w - count_top) // top_level
    safe_step = jnp.maximum(step, 1)[:, None]
    before = jnp.cumsum(hist, axis=1) - hist  # pixels strictly below each level
    lut = jnp.minimum((safe_step // 2 + before) // safe_step, top_level)
    lut = jnp.where(step[:, None] > 0, lut, jnp.arange(bins, dtype=jnp.int32))
    mapped = jnp.take_along_axis(lut, planes, axis=1)
    mapped = jnp.moveaxis(mapped.reshape(n, c, h, w), 1, -1)
    return _denormalise(mapped.astype(batch.dtype) / top_level, lo, hi)


def equalize(images: Any, *, value_range: tuple[float, float], bins: int = 256) -> jax.Array:
    r"""Histogram equalisation of each channel (PIL's ``ImageOps.equalize``).

    On the :math:`B` = ``bins`` levels :math:`v = \mathrm{round}((B-1)\,x_n)` of
    ``value_range`` (:math:`x_n` the value scaled to ``[0, 1]``) with histogram
    :math:`n_v`: :math:`\text{step} = \lfloor (\sum_v n_v - n_{v_{\max}}) / (B-1)
    \rfloor` (without the topmost level present) and the level map
    :math:`v \mapsto \min(B-1, \lfloor (\lfloor \text{step}/2 \rfloor + \sum_{u<v} n_u) /
    \text{step} \rfloor)`; identity when ``step == 0``. With ``bins=256`` this is PIL's
    8-bit algorithm exactly.

    Args:
      images: float ``(N, H, W, C)`` or ``(H, W, C)``.
      value_range: ``(lo, hi)``.
      bins: number of levels :math:`B \ge 2` (static), default 256.

    Returns:
      Equalised images (on the ``bins`` levels of ``value_range``).

    Raises:
      ValueError: ``bins`` below 2.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> x = jnp.repeat(jnp.array([0.0, 1.0, 2.0, 3.0]), 128).reshape(1, 512, 1)
      >>> print(jnp.unique(augment.equalize(x, value_range=(0, 255))))
      [  0. 128. 255.]
    """
    lo, hi = check_value_range(value_range)
    check_size(bins, "bins")
    if bins < 2:
        raise ValueError(f"bins must be at least 2; got {bins}.")
    batch, unbatched = as_image_batch(images)
    return restore(_equalize(batch, lo, hi, bins=bins), unbatched)


@jax.jit
def _autocontrast(batch, lo, hi):
    low = jnp.min(batch, axis=(1, 2), keepdims=True)
    high = jnp.max(batch, axis=(1, 2), keepdims=True)
    span = high - low
    stretched = lo + (batch - low) * ((hi - lo) / jnp.where(span > 0, span, 1))
    return jnp.where(span > 0, jnp.clip(stretched, lo, hi), batch)


def autocontrast(images: Any, *, value_range: tuple[float, float]) -> jax.Array:
    r"""Stretch each channel to the full range: :math:`lo + (x - m)(hi - lo)/(M - m)`.

    :math:`m, M` are the channel's minimum and maximum over the image; constant channels
    are left unchanged (PIL's ``ImageOps.autocontrast`` with ``cutoff=0``, Keras'
    ``AutoContrast``).

    Args:
      images: float ``(N, H, W, C)`` or ``(H, W, C)``.
      value_range: ``(lo, hi)``.

    Returns:
      Stretched images.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> x = jnp.array([[[0.25], [0.5], [0.75]]])
      >>> print(augment.autocontrast(x, value_range=(0, 1))[0, :, 0])
      [0.  0.5 1. ]
    """
    lo, hi = check_value_range(value_range)
    batch, unbatched = as_image_batch(images)
    return restore(_autocontrast(batch, lo, hi), unbatched)


# ------------------------------------------------------------------------- random


def _draw(key, batch, lower, upper):
    return uniform(key, (batch.shape[0],), lower, upper, batch.dtype)


def random_brightness(
    key: jax.Array, images: Any, factor: Any, *, value_range: tuple[float, float]
) -> jax.Array:
    r"""Random :func:`adjust_brightness` per image (Keras ``RandomBrightness``).

    :math:`\delta \sim U(a, b)`, ``(a, b) = (-f, f)`` for a number, within ``[-1, 1]``.

    Args:
      key: a JAX PRNG key.
      images: float ``(N, H, W, C)`` or ``(H, W, C)``.
      factor: number ``f`` in ``[0, 1]`` or pair ``(a, b)``.
      value_range: ``(lo, hi)``.

    Returns:
      Adjusted images.

    Examples:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> out = augment.random_brightness(jax.random.key(0), jnp.full((2, 4, 4, 3), 0.5), 0.2,
      ...                                 value_range=(0, 1))
      >>> bool(jnp.all((out >= 0.3) & (out <= 0.7)))
      True
    """
    lower, upper = factor_range(factor, "factor", low=-1.0, high=1.0)
    lo, hi = check_value_range(value_range)
    batch, unbatched = as_image_batch(images)
    return restore(_random_brightness(key, batch, lower, upper, lo, hi), unbatched)


@jax.jit
def _random_brightness(key, batch, lower, upper, lo, hi):
    return _brightness(batch, _draw(key, batch, lower, upper), lo, hi)


def random_contrast(
    key: jax.Array, images: Any, factor: Any, *, value_range: tuple[float, float]
) -> jax.Array:
    r"""Random :func:`adjust_contrast` per image (Keras ``RandomContrast``).

    Contrast factor :math:`U(1 - a, 1 + b)` with ``(a, b) = (f, f)`` for a number ``f``
    and ``factor`` itself for a pair, each in ``[0, 1]`` — the range Keras documents
    (its implementation draws from ``[1, 1 + f]`` for a number).

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
      >>> augment.random_contrast(jax.random.key(0), jnp.ones((2, 4, 4, 3)), 0.5,
      ...                         value_range=(0, 255)).shape
      (2, 4, 4, 3)
    """
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            raise ValueError(f"factor must be a number or a pair; got {factor!r}.")
        a, b = factor
        check_interval(a, "factor", 0.0, 1.0)
        check_interval(b, "factor", 0.0, 1.0)
    else:
        factor_range(factor, "factor", single="zero", low=0.0, high=1.0)
        a = b = factor
    lo, hi = check_value_range(value_range)
    batch, unbatched = as_image_batch(images)
    return restore(_random_contrast(key, batch, 1.0 - a, 1.0 + b, lo, hi), unbatched)


@jax.jit
def _random_contrast(key, batch, lower, upper, lo, hi):
    return _contrast(batch, _draw(key, batch, lower, upper), lo, hi)


_EPSILON = 1e-7  # Keras' backend epsilon, used by RandomSaturation


def random_saturation(
    key: jax.Array, images: Any, factor: Any, *, value_range: tuple[float, float]
) -> jax.Array:
    r"""Random :func:`adjust_saturation` per image (Keras ``RandomSaturation``).

    Draw :math:`s \sim U(a, b)` (``(0, f)`` for a number, within ``[0, 1]``) and multiply
    the saturation by :math:`s / (1 - s + 10^{-7})`: ``s = 0`` gives gray, ``s = 0.5``
    the identity, ``s = 1`` full saturation.

    Args:
      key: a JAX PRNG key.
      images: float RGB ``(N, H, W, 3)`` or ``(H, W, 3)``.
      factor: number or pair in ``[0, 1]``.
      value_range: ``(lo, hi)``.

    Returns:
      Adjusted images.

    Examples:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> augment.random_saturation(jax.random.key(0), jnp.ones((2, 4, 4, 3)), (0.4, 0.6),
      ...                           value_range=(0, 1)).shape
      (2, 4, 4, 3)
    """
    lower, upper = factor_range(factor, "factor", single="zero", low=0.0, high=1.0)
    lo, hi = check_value_range(value_range)
    batch, unbatched = _rgb_batch(images)
    return restore(_random_saturation(key, batch, lower, upper, lo, hi), unbatched)


@jax.jit
def _random_saturation(key, batch, lower, upper, lo, hi):
    s = _draw(key, batch, lower, upper)
    return _saturation(batch, s / (1 - s + _EPSILON), lo, hi)


def random_hue(
    key: jax.Array, images: Any, factor: Any, *, value_range: tuple[float, float]
) -> jax.Array:
    r"""Random :func:`adjust_hue` per image (Keras ``RandomHue``).

    Hue shift :math:`\pm\,U(a, b)/2` turns with a random sign (``(0, f)`` for a number,
    within ``[0, 1]``): ``factor=1`` shifts by up to half a turn either way.

    Args:
      key: a JAX PRNG key.
      images: float RGB ``(N, H, W, 3)`` or ``(H, W, 3)``.
      factor: number or pair in ``[0, 1]``.
      value_range: ``(lo, hi)``.

    Returns:
      Adjusted images.

    Examples:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> augment.random_hue(jax.random.key(0), jnp.ones((2, 4, 4, 3)), 0.2,
      ...                    value_range=(0, 1)).shape
      (2, 4, 4, 3)
    """
    lower, upper = factor_range(factor, "factor", single="zero", low=0.0, high=1.0)
    lo, hi = check_value_range(value_range)
    batch, unbatched = _rgb_batch(images)
    return restore(_random_hue(key, batch, lower, upper, lo, hi), unbatched)


@jax.jit
def _random_hue(key, batch, lower, upper, lo, hi):
    key_sign, key_value = jax.random.split(key)
    sign = jnp.where(jax.random.uniform(key_sign, (batch.shape[0],)) < 0.5, -1.0, 1.0)
    delta = sign.astype(batch.dtype) * 0.5 * _draw(key_value, batch, lower, upper)
    return _hue(batch, delta, lo, hi)


def random_grayscale(key: jax.Array, images: Any, probability: Any = 0.5) -> jax.Array:
    """Make each image gray (:func:`grayscale`) with probability ``probability``.

    Keras ``RandomGrayscale(factor)``, ``factor`` being this probability.

    Args:
      key: a JAX PRNG key.
      images: float RGB ``(N, H, W, 3)`` or ``(H, W, 3)``.
      probability: in ``[0, 1]``, scalar or ``(N,)``.

    Returns:
      Images, some gray.

    Examples:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> x = jnp.array([[[1.0, 0.0, 0.0]]])
      >>> print(augment.random_grayscale(jax.random.key(0), x, 1.0).round(4))
      [[[0.2989 0.2989 0.2989]]]
    """
    check_probability(probability, "probability")
    batch, unbatched = _rgb_batch(images)
    return restore(_random_grayscale(key, batch, probability), unbatched)


@jax.jit
def _random_grayscale(key, batch, probability):
    probability = per_example(probability, batch.shape[0], batch.dtype, "probability")
    apply = jax.random.uniform(key, (batch.shape[0],), batch.dtype) < probability
    return jnp.where(apply[:, None, None, None], _gray(batch), batch)


def random_gamma(
    key: jax.Array, images: Any, factor: Any, *, value_range: tuple[float, float]
) -> jax.Array:
    r"""Random :func:`adjust_gamma` per image, log-uniform :math:`\gamma`.

    :math:`\log\gamma \sim U(\log a, \log b)`; a number ``f >= 0`` means
    ``(a, b) = (1/(1+f), 1+f)``, a pair ``0 < a <= b`` is the range itself.

    Args:
      key: a JAX PRNG key.
      images: float ``(N, H, W, C)`` or ``(H, W, C)``.
      factor: number or pair.
      value_range: ``(lo, hi)``.

    Returns:
      Adjusted images.

    Examples:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> augment.random_gamma(jax.random.key(0), jnp.ones((2, 4, 4, 1)), 0.5,
      ...                      value_range=(0, 1)).shape
      (2, 4, 4, 1)
    """
    if isinstance(factor, (tuple, list)):
        a, b = factor_range(factor, "factor", low=0.0, low_inclusive=False)
    else:
        factor_range(factor, "factor", single="zero", low=0.0)
        a, b = 1.0 / (1.0 + factor), 1.0 + factor
    lo, hi = check_value_range(value_range)
    batch, unbatched = as_image_batch(images)
    return restore(_random_gamma(key, batch, a, b, lo, hi), unbatched)


@jax.jit
def _random_gamma(key, batch, a, b, lo, hi):
    log_gamma = _draw(key, batch, jnp.log(a), jnp.log(b))
    return _gamma(batch, jnp.exp(log_gamma), 1.0, lo, hi)


def random_solarize(
    key: jax.Array,
    images: Any,
    threshold_factor: Any,
    *,
    addition_factor: Any = 0.0,
    value_range: tuple[float, float],
) -> jax.Array:
    r"""Random :func:`solarize` per image (Keras ``Solarization``).

    Threshold :math:`lo + U(a, b)(hi - lo)` and addition :math:`U(c, d)` (fraction of
    the range), ``(0, f)`` for numbers, all within ``[0, 1]``.

    Args:
      key: a JAX PRNG key.
      images: float ``(N, H, W, C)`` or ``(H, W, C)``.
      threshold_factor: number or pair.
      addition_factor: number or pair, default 0.
      value_range: ``(lo, hi)``.

    Returns:
      Solarized images.

    Examples:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> augment.random_solarize(jax.random.key(0), jnp.ones((2, 4, 4, 1)), (0.5, 1.0),
      ...                         value_range=(0, 1)).shape
      (2, 4, 4, 1)
    """
    t = factor_range(threshold_factor, "threshold_factor", single="zero", low=0.0, high=1.0)
    a = factor_range(addition_factor, "addition_factor", single="zero", low=0.0, high=1.0)
    lo, hi = check_value_range(value_range)
    batch, unbatched = as_image_batch(images)
    return restore(_random_solarize(key, batch, t, a, lo, hi), unbatched)


@jax.jit
def _random_solarize(key, batch, t, a, lo, hi):
    key_t, key_a = jax.random.split(key)
    threshold = lo + _draw(key_t, batch, *t) * (hi - lo)
    return _solarize(batch, threshold, _draw(key_a, batch, *a), lo, hi)


def random_posterize(
    key: jax.Array, images: Any, factor: Any, *, value_range: tuple[float, float]
) -> jax.Array:
    r"""Random :func:`posterize` per image (Keras ``RandomPosterization``).

    Bits uniform over the integers of ``[a, b]`` (``(1, f)`` for a number), within
    ``[1, 8]``; Keras excludes ``b`` itself.

    Args:
      key: a JAX PRNG key.
      images: float ``(N, H, W, C)`` or ``(H, W, C)``.
      factor: integer or pair of integers in ``[1, 8]``.
      value_range: ``(lo, hi)``.

    Returns:
      Posterized images.

    Examples:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> augment.random_posterize(jax.random.key(0), jnp.ones((2, 4, 4, 3)), (4, 8),
      ...                          value_range=(0, 1)).shape
      (2, 4, 4, 3)
    """
    if isinstance(factor, (tuple, list)):
        a, b = factor_range(factor, "factor", low=1, high=8)
    else:
        factor_range(factor, "factor", single="zero", low=0, high=8)
        a, b = 1, factor
        factor_range((a, b), "factor", low=1, high=8)
    lo, hi = check_value_range(value_range)
    batch, unbatched = as_image_batch(images)
    return restore(_random_posterize(key, batch, int(a), int(b), lo, hi), unbatched)


@jax.jit
def _random_posterize(key, batch, a, b, lo, hi):
    bits = jax.random.randint(key, (batch.shape[0],), a, b + 1)
    return _posterize(batch, bits, lo, hi)


def random_invert(
    key: jax.Array, images: Any, probability: Any = 0.5, *, value_range: tuple[float, float]
) -> jax.Array:
    """Apply :func:`invert` to each image with probability ``probability`` (Keras ``RandomInvert``).

    Args:
      key: a JAX PRNG key.
      images: float ``(N, H, W, C)`` or ``(H, W, C)``.
      probability: in ``[0, 1]``, scalar or ``(N,)``.
      value_range: ``(lo, hi)``.

    Returns:
      Images, some inverted.

    Examples:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> out = augment.random_invert(jax.random.key(0), jnp.zeros((1, 1, 1, 1)), 1.0,
      ...                             value_range=(0, 1))
      >>> print(out.ravel())
      [1.]
    """
    check_probability(probability, "probability")
    lo, hi = check_value_range(value_range)
    batch, unbatched = as_image_batch(images)
    return restore(_random_invert(key, batch, probability, lo, hi), unbatched)


@jax.jit
def _random_invert(key, batch, probability, lo, hi):
    probability = per_example(probability, batch.shape[0], batch.dtype, "probability")
    apply = jax.random.uniform(key, (batch.shape[0],), batch.dtype) < probability
    return jnp.where(apply[:, None, None, None], lo + hi - batch, batch)


def random_color_degeneration(
    key: jax.Array, images: Any, factor: Any, *, value_range: tuple[float, float]
) -> jax.Array:
    r"""Random :func:`adjust_color` per image (Keras ``RandomColorDegeneration``).

    Blend factor :math:`U(a, b)` (``(0, f)`` for a number, within ``[0, 1]``): 0 is
    gray, 1 the original.

    Args:
      key: a JAX PRNG key.
      images: float RGB ``(N, H, W, 3)`` or ``(H, W, 3)``.
      factor: number or pair in ``[0, 1]``.
      value_range: ``(lo, hi)``.

    Returns:
      Adjusted images.

    Examples:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> augment.random_color_degeneration(jax.random.key(0), jnp.ones((2, 4, 4, 3)), 0.5,
      ...                                   value_range=(0, 1)).shape
      (2, 4, 4, 3)
    """
    lower, upper = factor_range(factor, "factor", single="zero", low=0.0, high=1.0)
    lo, hi = check_value_range(value_range)
    batch, unbatched = _rgb_batch(images)
    return restore(_random_color(key, batch, lower, upper, lo, hi), unbatched)


@jax.jit
def _random_color(key, batch, lower, upper, lo, hi):
    return _color(batch, _draw(key, batch, lower, upper), lo, hi)

