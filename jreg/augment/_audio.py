r"""Audio augmentation on batches of waveforms and spectrograms.

Waveforms are ``(N, T)`` (mono) or ``(N, T, C)``; spectrograms are ``(N, T, F)``
(time frames × frequency bins). Signal power is the mean square over time (and
channels) of each example.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp

from jreg.augment._common import (
    check_float_array,
    check_size,
    factor_range,
    per_example,
    uniform,
)


def _waveforms(waveforms: Any) -> jax.Array:
    return check_float_array(waveforms, "waveforms", (2, 3))


def _expand(value: jax.Array, ndim: int) -> jax.Array:
    return value.reshape(value.shape + (1,) * (ndim - 1))


def adjust_gain(waveforms: Any, gain_db: Any) -> jax.Array:
    r"""Scale by a gain in decibels: :math:`x \cdot 10^{g/20}`.

    Args:
      waveforms: float ``(N, T)`` or ``(N, T, C)``.
      gain_db: :math:`g`, scalar or ``(N,)``.

    Returns:
      Scaled waveforms.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> print(augment.adjust_gain(jnp.ones((1, 2)), 20.0))
      [[10. 10.]]
    """
    x = _waveforms(waveforms)
    return _gain(x, gain_db)


@jax.jit
def _gain(x, gain_db):
    g = per_example(gain_db, x.shape[0], x.dtype, "gain_db")
    return x * _expand(10 ** (g / 20), x.ndim)


def random_gain(key: jax.Array, waveforms: Any, gain_db: Any = (-6.0, 6.0)) -> jax.Array:
    r"""Random :func:`adjust_gain` per example, :math:`g \sim U(a, b)` dB.

    Args:
      key: a JAX PRNG key.
      waveforms: float ``(N, T)`` or ``(N, T, C)``.
      gain_db: pair ``(a, b)`` or a number ``f`` meaning ``(-f, f)``.

    Returns:
      Scaled waveforms.

    Examples:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> augment.random_gain(jax.random.key(0), jnp.ones((3, 16))).shape
      (3, 16)
    """
    lower, upper = factor_range(gain_db, "gain_db")
    x = _waveforms(waveforms)
    return _random_gain(key, x, lower, upper)


@jax.jit
def _random_gain(key, x, lower, upper):
    return _gain(x, uniform(key, (x.shape[0],), lower, upper, x.dtype))


def time_shift(
    waveforms: Any, shift: Any, *, rollover: bool = True, fill_value: float = 0.0
) -> jax.Array:
    r"""Delay each waveform by ``shift`` samples (negative: advance).

    ``rollover=True`` rotates (the samples pushed out re-enter at the other end);
    otherwise the vacated samples are ``fill_value``.

    Args:
      waveforms: float ``(N, T)`` or ``(N, T, C)``.
      shift: integer samples, scalar or ``(N,)``.
      rollover: rotate instead of filling.
      fill_value: value of the vacated samples without rollover.

    Returns:
      Shifted waveforms.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> x = jnp.array([[1.0, 2.0, 3.0, 4.0]])
      >>> print(augment.time_shift(x, 1), augment.time_shift(x, -1, rollover=False))
      [[4. 1. 2. 3.]] [[2. 3. 4. 0.]]
    """
    x = _waveforms(waveforms)
    return _time_shift(x, shift, fill_value, rollover=rollover)


@functools.partial(jax.jit, static_argnames=("rollover",))
def _time_shift(x, shift, fill_value, *, rollover):
    n, t = x.shape[:2]
    shift = per_example(shift, n, jnp.int32, "shift")
    source = jnp.arange(t)[None, :] - shift[:, None]  # output sample s reads s - shift
    valid = (source >= 0) & (source < t)
    source = jnp.mod(source, t)
    extra = (1,) * (x.ndim - 2)  # channels
    source = source.reshape(source.shape + extra)
    out = jnp.take_along_axis(x, jnp.broadcast_to(source, x.shape), axis=1)
    if not rollover:
        valid = valid.reshape(valid.shape + extra)
        out = jnp.where(valid, out, jnp.asarray(fill_value, x.dtype))
    return out


def random_time_shift(
    key: jax.Array, waveforms: Any, max_shift: Any = 0.2, *, rollover: bool = True
) -> jax.Array:
    r"""Random :func:`time_shift` per example by :math:`\mathrm{round}(U(a, b)\,T)` samples.

    Args:
      key: a JAX PRNG key.
      waveforms: float ``(N, T)`` or ``(N, T, C)``.
      max_shift: fraction of the length: number ``f`` meaning ``(-f, f)``, or a pair,
        within ``[-1, 1]``.
      rollover: rotate instead of zero-filling.

    Returns:
      Shifted waveforms.

    Examples:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> augment.random_time_shift(jax.random.key(0), jnp.ones((3, 16))).shape
      (3, 16)
    """
    lower, upper = factor_range(max_shift, "max_shift", low=-1.0, high=1.0)
    x = _waveforms(waveforms)
    return _random_time_shift(key, x, lower, upper, rollover=rollover)


@functools.partial(jax.jit, static_argnames=("rollover",))
def _random_time_shift(key, x, lower, upper, *, rollover):
    n, t = x.shape[:2]
    shift = jnp.round(uniform(key, (n,), lower, upper, x.dtype) * t).astype(jnp.int32)
    return _time_shift(x, shift, 0.0, rollover=rollover)


def add_noise(waveforms: Any, noise: Any, snr_db: Any) -> jax.Array:
    r"""Add ``noise`` scaled to a signal-to-noise ratio of ``snr_db`` decibels.

    :math:`x + \sqrt{P_x / (P_n 10^{\mathrm{SNR}/10})}\; n` with :math:`P` the mean square
    per example, so that :math:`10\log_{10}(P_x / P_{\text{added}}) = \mathrm{SNR}`. A
    silent noise adds nothing.

    Args:
      waveforms: float ``(N, T)`` or ``(N, T, C)``.
      noise: same shape as ``waveforms``.
      snr_db: scalar or ``(N,)``.

    Returns:
      Noisy waveforms.

    Raises:
      ValueError: ``noise`` of another shape.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> x = jnp.ones((1, 4))
      >>> noise = jnp.array([[1.0, -1.0, 1.0, -1.0]])
      >>> print(augment.add_noise(x, noise, 20.0))
      [[1.1 0.9 1.1 0.9]]
    """
    x = _waveforms(waveforms)
    noise = jnp.asarray(noise, x.dtype)
    if noise.shape != x.shape:
        raise ValueError(
            f"noise must have the shape of waveforms {tuple(x.shape)}; got {tuple(noise.shape)}."
        )
    return _add_noise(x, noise, snr_db)


def _power(x):
    return jnp.mean(x**2, axis=tuple(range(1, x.ndim)))


@jax.jit
def _add_noise(x, noise, snr_db):
    snr = per_example(snr_db, x.shape[0], x.dtype, "snr_db")
    noise_power = _power(noise)
    scale = jnp.sqrt(
        _power(x) / (jnp.where(noise_power > 0, noise_power, 1) * 10 ** (snr / 10))
    )
    return x + _expand(jnp.where(noise_power > 0, scale, 0), x.ndim) * noise


def random_noise(key: jax.Array, waveforms: Any, snr_db: Any = (10.0, 30.0)) -> jax.Array:
    r"""Add white Gaussian noise at a random SNR :math:`\sim U(a, b)` dB per example.

    Args:
      key: a JAX PRNG key.
      waveforms: float ``(N, T)`` or ``(N, T, C)``.
      snr_db: pair ``(a, b)`` or a number (a fixed SNR).

    Returns:
      Noisy waveforms (see :func:`add_noise`).

    Examples:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> augment.random_noise(jax.random.key(0), jnp.ones((3, 16))).shape
      (3, 16)
    """
    if isinstance(snr_db, (tuple, list)):
        lower, upper = factor_range(snr_db, "snr_db")
    else:
        lower = upper = snr_db
    x = _waveforms(waveforms)
    return _random_noise(key, x, lower, upper)


@jax.jit
def _random_noise(key, x, lower, upper):
    key_snr, key_noise = jax.random.split(key)
    snr = uniform(key_snr, (x.shape[0],), lower, upper, x.dtype)
    return _add_noise(x, jax.random.normal(key_noise, x.shape, x.dtype), snr)


# ------------------------------------------------------------------ SpecAugment


def _spectrograms(spectrograms: Any) -> jax.Array:
    return check_float_array(spectrograms, "spectrograms", (3,))


def _band_mask(start, width, length):
    """``(N, length)`` mask of the union of bands ``[start, start + width)`` (``(N, M)``)."""
    positions = jnp.arange(length)[None, None, :]
    inside = (positions >= start[..., None]) & (positions < (start + width)[..., None])
    return jnp.any(inside, axis=1)


def _bands(value, n, name):
    value = jnp.asarray(value)
    if value.ndim == 0:
        value = jnp.broadcast_to(value, (n, 1))
    elif value.ndim == 1:
        value = value[:, None]
    if value.ndim != 2 or value.shape[0] != n:
        raise ValueError(
            f"{name} must be a scalar, (N,) or (N, num_masks) with N={n}; "
            f"got shape {tuple(value.shape)}."
        )
    return value.astype(jnp.int32)


def time_mask(
    spectrograms: Any, start: Any, width: Any, *, mask_value: float = 0.0
) -> jax.Array:
    """Set time frames ``start <= t < start + width`` to ``mask_value`` (SpecAugment).

    Args:
      spectrograms: float ``(N, T, F)``.
      start: integer first frame, scalar, ``(N,)`` or ``(N, M)`` for ``M`` masks.
      width: integer number of frames, same shapes.
      mask_value: the fill (0 for normalised log-mel features).

    Returns:
      Masked spectrograms.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> print(augment.time_mask(jnp.ones((1, 4, 2)), 1, 2)[0, :, 0])
      [1. 0. 0. 1.]
    """
    x = _spectrograms(spectrograms)
    n = x.shape[0]
    return _time_mask(x, _bands(start, n, "start"), _bands(width, n, "width"), mask_value)


@jax.jit
def _time_mask(x, start, width, mask_value):
    mask = _band_mask(start, width, x.shape[1])[:, :, None]
    return jnp.where(mask, jnp.asarray(mask_value, x.dtype), x)


def frequency_mask(
    spectrograms: Any, start: Any, width: Any, *, mask_value: float = 0.0
) -> jax.Array:
    """Set frequency bins ``start <= f < start + width`` to ``mask_value`` (SpecAugment).

    Args:
      spectrograms: float ``(N, T, F)``.
      start: integer first bin, scalar, ``(N,)`` or ``(N, M)`` for ``M`` masks.
      width: integer number of bins, same shapes.
      mask_value: the fill.

    Returns:
      Masked spectrograms.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> print(augment.frequency_mask(jnp.ones((1, 2, 4)), 2, 1)[0, 0])
      [1. 1. 0. 1.]
    """
    x = _spectrograms(spectrograms)
    n = x.shape[0]
    return _frequency_mask(x, _bands(start, n, "start"), _bands(width, n, "width"), mask_value)


@jax.jit
def _frequency_mask(x, start, width, mask_value):
    mask = _band_mask(start, width, x.shape[2])[:, None, :]
    return jnp.where(mask, jnp.asarray(mask_value, x.dtype), x)


def _random_bands(key, n, num_masks, max_width, length):
    key_w, key_s = jax.random.split(key)
    width = jax.random.randint(key_w, (n, num_masks), 0, max_width + 1)
    start = jnp.floor(
        jax.random.uniform(key_s, (n, num_masks)) * (length - width + 1)
    ).astype(jnp.int32)
    return start, width


def random_time_mask(
    key: jax.Array,
    spectrograms: Any,
    max_width: int,
    *,
    num_masks: int = 1,
    mask_value: float = 0.0,
) -> jax.Array:
    r"""SpecAugment time masking (Park et al., 2019): ``num_masks`` random bands of frames.

    Each band has width :math:`w \sim U\{0, \dots, W\}` (``W = max_width``) and start
    :math:`t_0 \sim U\{0, \dots, T - w\}`, independently per mask and example.

    Args:
      key: a JAX PRNG key.
      spectrograms: float ``(N, T, F)``.
      max_width: ``W <= T``.
      num_masks: number of bands per example.
      mask_value: the fill.

    Returns:
      Masked spectrograms.

    References:
      Park et al., "SpecAugment: A simple data augmentation method for automatic speech
      recognition", Interspeech 2019.

    Examples:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> augment.random_time_mask(jax.random.key(0), jnp.ones((2, 10, 4)), 3).shape
      (2, 10, 4)
    """
    x = _spectrograms(spectrograms)
    check_size(max_width, "max_width", x.shape[1], "the number of time frames")
    check_size(num_masks, "num_masks")
    return _random_mask(
        key, x, mask_value, axis=1, max_width=max_width, num_masks=num_masks
    )


def random_frequency_mask(
    key: jax.Array,
    spectrograms: Any,
    max_width: int,
    *,
    num_masks: int = 1,
    mask_value: float = 0.0,
) -> jax.Array:
    r"""SpecAugment frequency masking: ``num_masks`` random bands of frequency bins.

    Width :math:`w \sim U\{0, \dots, W\}`, start :math:`f_0 \sim U\{0, \dots, F - w\}`.

    Args:
      key: a JAX PRNG key.
      spectrograms: float ``(N, T, F)``.
      max_width: ``W <= F``.
      num_masks: number of bands per example.
      mask_value: the fill.

    Returns:
      Masked spectrograms.

    References:
      Park et al., "SpecAugment", Interspeech 2019.

    Examples:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> augment.random_frequency_mask(jax.random.key(0), jnp.ones((2, 10, 4)), 2).shape
      (2, 10, 4)
    """
    x = _spectrograms(spectrograms)
    check_size(max_width, "max_width", x.shape[2], "the number of frequency bins")
    check_size(num_masks, "num_masks")
    return _random_mask(
        key, x, mask_value, axis=2, max_width=max_width, num_masks=num_masks
    )


@functools.partial(jax.jit, static_argnames=("axis", "max_width", "num_masks"))
def _random_mask(key, x, mask_value, *, axis, max_width, num_masks):
    start, width = _random_bands(key, x.shape[0], num_masks, max_width, x.shape[axis])
    if axis == 1:
        return _time_mask(x, start, width, mask_value)
    return _frequency_mask(x, start, width, mask_value)
