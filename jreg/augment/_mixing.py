"""Mixing augmentations that combine pairs of examples and their labels: MixUp, CutMix."""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp

from jreg._checks import check_positive, is_concrete
from jreg.augment._common import as_image_batch, per_example
from jreg.augment._occlusion import _boxes, box_mask


def _labels(labels: Any, n: int) -> jax.Array:
    if not hasattr(labels, "dtype"):
        labels = jnp.asarray(labels)
    if not jnp.issubdtype(labels.dtype, jnp.floating):
        raise TypeError(
            "labels must be floating (one-hot or soft labels, e.g. "
            f"jax.nn.one_hot(labels, num_classes)); got {labels.dtype}."
        )
    if labels.ndim < 1 or labels.shape[0] != n:
        raise ValueError(
            f"labels must have one row per image (leading dimension {n}); "
            f"got shape {tuple(labels.shape)}."
        )
    return jnp.asarray(labels)


def gamma_draws(key: jax.Array, alpha: Any, shape: tuple[int, ...], dtype: Any,
                unit: bool) -> jax.Array:
    """Gamma(alpha, 1) draws; ``unit=True`` (alpha known to be 1) uses Exp(1) = Gamma(1).

    ``jax.random.gamma`` compiles a rejection loop (seconds on CPU); the exponential
    needs none and has exactly the same distribution when alpha is 1.
    """
    if unit:
        return jax.random.exponential(key, shape, dtype)
    return jax.random.gamma(key, jnp.asarray(alpha, dtype), shape, dtype)


def is_unit(alpha: Any) -> bool:
    """True when ``alpha`` is a concrete 1 (static; decides the sampler at trace time)."""
    return is_concrete(alpha) and jnp.ndim(alpha) == 0 and float(alpha) == 1.0


def beta_symmetric(
    key: jax.Array, alpha: Any, n: int, dtype: Any, unit: bool = False
) -> jax.Array:
    """``n`` draws of Beta(alpha, alpha) as ``G1 / (G1 + G2)`` from ONE gamma call.

    (Each ``jax.random.gamma`` call compiles a rejection loop; one call instead of the two
    inside ``jax.random.beta`` halves the compile time. Same distribution.)
    """
    g = gamma_draws(key, alpha, (n, 2), dtype, unit)
    total = g[:, 0] + g[:, 1]
    return jnp.where(total > 0, g[:, 0] / jnp.where(total > 0, total, 1), 0.5)


def _batch(images: Any) -> jax.Array:
    batch, unbatched = as_image_batch(images)
    if unbatched:
        raise ValueError("images must be a batch (N, H, W, C): mixing pairs up examples.")
    return batch


def _partner(partner: Any, n: int) -> jax.Array:
    partner = jnp.asarray(partner)
    if partner.shape != (n,) or not jnp.issubdtype(partner.dtype, jnp.integer):
        raise ValueError(
            f"partner must be an integer array of shape ({n},) (index of the example mixed "
            f"into each one); got {partner.dtype} {tuple(partner.shape)}."
        )
    return partner


def _expand(weight: jax.Array, ndim: int) -> jax.Array:
    return weight.reshape(weight.shape + (1,) * (ndim - 1))


def mixup_pairs(
    images: Any, labels: Any, weight: Any, partner: Any
) -> tuple[jax.Array, jax.Array]:
    r"""Mix each example with a partner: :math:`\lambda x_i + (1 - \lambda) x_{p(i)}`.

    Labels are mixed with the same :math:`\lambda` (Zhang et al., 2018).

    Args:
      images: float ``(N, H, W, C)`` (any float array with a leading batch axis works).
      labels: float ``(N, ...)`` one-hot or soft labels.
      weight: :math:`\lambda`, scalar or ``(N,)``.
      partner: integer ``(N,)``, the index :math:`p(i)` mixed into example ``i``.

    Returns:
      ``(mixed_images, mixed_labels)``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> x = jnp.stack([jnp.zeros((1, 1, 1)), jnp.ones((1, 1, 1))])
      >>> y = jnp.eye(2)
      >>> xm, ym = augment.mixup_pairs(x, y, 0.75, jnp.array([1, 0]))
      >>> print(xm.ravel(), ym[0])
      [0.25 0.75] [0.75 0.25]
    """
    batch = _batch(images)
    n = batch.shape[0]
    labels = _labels(labels, n)
    return _mixup(batch, labels, weight, _partner(partner, n))


@jax.jit
def _mixup(batch, labels, weight, partner):
    n = batch.shape[0]
    lam = per_example(weight, n, batch.dtype, "weight")
    mixed = _expand(lam, batch.ndim) * batch + _expand(1 - lam, batch.ndim) * batch[partner]
    lam = lam.astype(labels.dtype)
    mixed_labels = (
        _expand(lam, labels.ndim) * labels + _expand(1 - lam, labels.ndim) * labels[partner]
    )
    return mixed, mixed_labels


def mixup(
    key: jax.Array, images: Any, labels: Any, *, alpha: float = 0.2
) -> tuple[jax.Array, jax.Array]:
    r"""MixUp: mix each example with a random partner, with Beta-distributed weights.

    One :math:`\lambda` per example and a random permutation of the batch as partners
    (Keras' ``MixUp``); see :func:`mixup_pairs`.

    Args:
      key: a JAX PRNG key.
      images: float ``(N, H, W, C)``.
      labels: float ``(N, ...)`` one-hot or soft labels.
      alpha: :math:`\alpha > 0` (Keras' default 0.2).

    Returns:
      ``(mixed_images, mixed_labels)``; each label row still sums to what it summed to.

    References:
      Zhang, Cisse, Dauphin & Lopez-Paz, "mixup: Beyond empirical risk minimization",
      ICLR 2018.

    Examples:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> x, y = jnp.ones((4, 2, 2, 3)), jax.nn.one_hot(jnp.arange(4), 4)
      >>> xm, ym = augment.mixup(jax.random.key(0), x, y)
      >>> print(ym.sum(axis=1).round(4))
      [1. 1. 1. 1.]
    """
    check_positive(alpha, "alpha")
    batch = _batch(images)
    labels = _labels(labels, batch.shape[0])
    return _random_mixup(key, batch, labels, alpha, unit=is_unit(alpha))


@functools.partial(jax.jit, static_argnames=("unit",))
def _random_mixup(key, batch, labels, alpha, *, unit):
    n = batch.shape[0]
    key_weight, key_perm = jax.random.split(key)
    weight = beta_symmetric(key_weight, alpha, n, batch.dtype, unit)
    partner = jax.random.permutation(key_perm, n)
    return _mixup(batch, labels, weight, partner)


def cutmix_pairs(
    images: Any, labels: Any, boxes: Any, partner: Any
) -> tuple[jax.Array, jax.Array]:
    r"""Paste each partner's box into each example; mix labels by the pasted area.

    Inside box ``i`` the pixels come from example ``partner[i]``; the label becomes
    :math:`\lambda y_i + (1 - \lambda) y_{p(i)}` with :math:`\lambda` the fraction of
    example ``i``'s pixels kept, counted exactly (boxes are clipped to the image).

    Args:
      images: float ``(N, H, W, C)``.
      labels: float ``(N, ...)``.
      boxes: integer ``(N, 4)`` or ``(4,)``: ``(top, left, height, width)``.
      partner: integer ``(N,)``.

    Returns:
      ``(mixed_images, mixed_labels)``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> x = jnp.stack([jnp.zeros((2, 2, 1)), jnp.ones((2, 2, 1))])
      >>> xm, ym = augment.cutmix_pairs(x, jnp.eye(2), jnp.array([0, 0, 1, 2]),
      ...                               jnp.array([1, 0]))
      >>> print(xm[0, ..., 0], ym[0])
      [[1. 1.]
       [0. 0.]] [0.5 0.5]
    """
    batch = _batch(images)
    n = batch.shape[0]
    labels = _labels(labels, n)
    return _cutmix(batch, labels, _boxes(boxes, n), _partner(partner, n))


@jax.jit
def _cutmix(batch, labels, boxes, partner):
    _, h, w, _ = batch.shape
    inside = box_mask(boxes, h, w)
    mixed = jnp.where(inside, batch[partner], batch)
    kept = 1 - jnp.sum(inside, axis=(1, 2, 3)) / (h * w)
    kept = kept.astype(labels.dtype)
    mixed_labels = (
        _expand(kept, labels.ndim) * labels + _expand(1 - kept, labels.ndim) * labels[partner]
    )
    return mixed, mixed_labels


def cutmix(
    key: jax.Array, images: Any, labels: Any, *, alpha: Any = 1.0
) -> tuple[jax.Array, jax.Array]:
    r"""CutMix (Yun et al., 2019): paste a random box of a random partner into each example.

    Per example: :math:`\lambda \sim \mathrm{Beta}(\alpha, \alpha)`, box sides
    :math:`\lfloor H\sqrt{1-\lambda}\rfloor \times \lfloor W\sqrt{1-\lambda}\rfloor`, centre
    uniform over the pixels, box clipped to the image; partners are a random
    permutation; labels are mixed by the exact kept area (:func:`cutmix_pairs`).

    Args:
      key: a JAX PRNG key.
      images: float ``(N, H, W, C)``.
      labels: float ``(N, ...)``.
      alpha: :math:`\alpha > 0` (1 gives uniform :math:`\lambda`).

    Returns:
      ``(mixed_images, mixed_labels)``.

    References:
      Yun, Han, Oh, Chun, Choe & Yoo, "CutMix: Regularization strategy to train strong
      classifiers with localizable features", ICCV 2019.

    Examples:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> x, y = jnp.ones((4, 8, 8, 3)), jax.nn.one_hot(jnp.arange(4), 4)
      >>> xm, ym = augment.cutmix(jax.random.key(0), x, y)
      >>> print(ym.sum(axis=1).round(4))
      [1. 1. 1. 1.]
    """
    check_positive(alpha, "alpha")
    batch = _batch(images)
    labels = _labels(labels, batch.shape[0])
    return _random_cutmix(key, batch, labels, alpha, unit=is_unit(alpha))


@functools.partial(jax.jit, static_argnames=("unit",))
def _random_cutmix(key, batch, labels, alpha, *, unit):
    n, h, w, _ = batch.shape
    key_weight, key_perm, key_y, key_x = jax.random.split(key, 4)
    lam = beta_symmetric(key_weight, alpha, n, batch.dtype, unit)
    cut = jnp.sqrt(1 - lam)
    box_h = jnp.floor(h * cut).astype(jnp.int32)
    box_w = jnp.floor(w * cut).astype(jnp.int32)
    cy = jax.random.randint(key_y, (n,), 0, h)
    cx = jax.random.randint(key_x, (n,), 0, w)
    top = jnp.clip(cy - box_h // 2, 0, h)
    left = jnp.clip(cx - box_w // 2, 0, w)
    bottom = jnp.clip(cy + (box_h - box_h // 2), 0, h)
    right = jnp.clip(cx + (box_w - box_w // 2), 0, w)
    boxes = jnp.stack([top, left, bottom - top, right - left], axis=-1)
    partner = jax.random.permutation(key_perm, n)
    return _cutmix(batch, labels, boxes, partner)
