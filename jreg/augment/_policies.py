r"""Augmentation policies: RandAugment, TrivialAugment, AugMix.

Each example picks its own ops. The choice is made with ``lax.switch`` inside
``lax.map`` over the batch, so every example runs exactly the branch it drew (no
"compute every op and select"), and each branch is compiled once; the five geometric
ops share one branch (one resampler, with the op's 3×3 matrix chosen per example). All
random draws (op indices, magnitudes, signs, mixing weights) are made up front from
``key``.

Op table (magnitude :math:`m \in [0, 1]`, random sign :math:`s = \pm 1` for the signed
ops; "standard" scales are RandAugment's, "wide" TrivialAugment's):

=============  ===========================================  =========  ========
op             parameter                                    standard   wide
=============  ===========================================  =========  ========
identity       —
auto_contrast  :func:`autocontrast`
equalize       :func:`equalize`
rotate         angle :math:`s\,m\,A` degrees                A = 30     A = 135
solarize       threshold :math:`hi - m\,(hi - lo)`
color          :func:`adjust_color` factor :math:`1 + s\,m\,E`  E = 0.9    E = 0.99
posterize      bits :math:`8 - \mathrm{round}(m\,B)`          B = 4      B = 6
contrast       :func:`adjust_contrast` factor :math:`1 + s\,m\,E`
brightness     :math:`lo + (x - lo)(1 + s\,m\,E)` (PIL's)
sharpness      :func:`adjust_sharpness` factor :math:`1 + s\,m\,E`
shear_x/y      shear :math:`s\,m\,S` about the centre        S = 0.3    S = 0.99
translate_x/y  :math:`s\,m\,T` of the width / height         T = 0.45   T = 0.45
=============  ===========================================  =========  ========
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
from jax import lax

from jreg._checks import check_positive
from jreg.augment._color import _autocontrast, _color, _contrast, _equalize, _posterize, _solarize
from jreg.augment._common import (
    FILL_MODES,
    INTERPOLATIONS,
    as_image_batch,
    check_choice,
    check_size,
    check_value_range,
    factor_range,
    restore,
)
from jreg.augment._filters import _sharpness
from jreg.augment._mixing import gamma_draws, is_unit
from jreg.augment._warp import _affine_impl, rotation_matrix, shear_matrix, translation_matrix

RAND_AUGMENT_OPS = (
    "identity",
    "auto_contrast",
    "equalize",
    "rotate",
    "solarize",
    "color",
    "posterize",
    "contrast",
    "brightness",
    "sharpness",
    "shear_x",
    "shear_y",
    "translate_x",
    "translate_y",
)
AUG_MIX_OPS = (
    "auto_contrast",
    "equalize",
    "posterize",
    "rotate",
    "solarize",
    "shear_x",
    "shear_y",
    "translate_x",
    "translate_y",
)
AUG_MIX_ALL_OPS = AUG_MIX_OPS + ("color", "contrast", "brightness", "sharpness")

_SCALES = {
    "standard": dict(rotate=30.0, enhance=0.9, posterize=4.0, shear=0.3, translate=0.45),
    "wide": dict(rotate=135.0, enhance=0.99, posterize=6.0, shear=0.99, translate=0.45),
}


_GEOMETRIC = ("rotate", "shear_x", "shear_y", "translate_x", "translate_y")


class _Policy:
    """The op table of one policy call, compiled as few branches as possible.

    The geometric ops share ONE branch (a resample with a per-example 3x3 matrix built
    from the op, magnitude and sign), so the resampler is compiled once; every other op
    has its own branch. ``apply(x, op, m, s)`` runs exactly one branch (``lax.switch``).
    """

    def __init__(self, ops, scales, lo, hi, fill_value, fill_mode, interpolation, h, w, c):
        scale = _SCALES[scales]
        self.h, self.w = h, w
        self.scale = scale

        def one(fun):
            return lambda image, *args: fun(image[None], *args)[0]

        def enhance(m, s):
            return 1 + s * m * scale["enhance"]

        pointwise = {
            "identity": lambda x, m, s: x,
            "auto_contrast": lambda x, m, s: one(_autocontrast)(x, lo, hi),
            "equalize": lambda x, m, s: one(_equalize)(x, lo, hi),
            "solarize": lambda x, m, s: one(_solarize)(x, hi - m * (hi - lo), 0.0, lo, hi),
            "color": (
                (lambda x, m, s: one(_color)(x, enhance(m, s), lo, hi))
                if c == 3
                else (lambda x, m, s: x)
            ),
            "posterize": lambda x, m, s: one(_posterize)(
                x, 8 - jnp.round(m * scale["posterize"]).astype(jnp.int32), lo, hi
            ),
            "contrast": lambda x, m, s: one(_contrast)(x, enhance(m, s), lo, hi),
            "brightness": lambda x, m, s: jnp.clip(lo + (x - lo) * enhance(m, s), lo, hi),
            "sharpness": lambda x, m, s: one(_sharpness)(x, enhance(m, s), lo, hi),
        }

        def warp(x, matrix):
            return _affine_impl(
                x[None],
                matrix[None],
                fill_value,
                fill_mode=fill_mode,
                interpolation=interpolation,
                output_shape=(h, w),
            )[0]

        names = [op for op in ops if op not in _GEOMETRIC]
        self.geometric = [op for op in ops if op in _GEOMETRIC]
        branches = [
            (lambda fun: lambda x, m, s, matrix: fun(x, m, s))(pointwise[op]) for op in names
        ]
        if self.geometric:
            branches.append(lambda x, m, s, matrix: warp(x, matrix.astype(x.dtype)))
        self.branches = branches
        # op index -> branch index, and -> index among the geometric ops (-1: none)
        self.branch_of = jnp.asarray(
            [names.index(op) if op in names else len(names) for op in ops], jnp.int32
        )
        self.geometric_of = jnp.asarray(
            [self.geometric.index(op) if op in _GEOMETRIC else -1 for op in ops], jnp.int32
        )

    def _matrix(self, index, m, s):
        if not self.geometric:
            return jnp.eye(3, dtype=m.dtype)
        h, w, scale = self.h, self.w, self.scale
        amount = s * m
        builders = {
            "rotate": lambda: rotation_matrix(amount * math.radians(scale["rotate"]), h, w),
            "shear_x": lambda: shear_matrix(amount * scale["shear"], 0.0, h, w),
            "shear_y": lambda: shear_matrix(0.0, amount * scale["shear"], h, w),
            "translate_x": lambda: translation_matrix(0.0, amount * scale["translate"] * w),
            "translate_y": lambda: translation_matrix(amount * scale["translate"] * h, 0.0),
        }
        candidates = jnp.stack([builders[op]().astype(m.dtype) for op in self.geometric])
        return candidates[jnp.maximum(self.geometric_of[index], 0)]

    def apply(self, x, index, m, s):
        return lax.switch(self.branch_of[index], self.branches, x, m, s, self._matrix(index, m, s))


def _check_ops(ops: Any, default: Sequence[str], name: str = "ops") -> tuple[str, ...]:
    if ops is None:
        return tuple(default)
    ops = tuple(ops)
    if not ops:
        raise ValueError(f"{name} must name at least one op.")
    for op in ops:
        check_choice(op, name, RAND_AUGMENT_OPS)
    return ops


def _check_common(value_range, fill_mode, interpolation):
    check_choice(fill_mode, "fill_mode", FILL_MODES)
    check_choice(interpolation, "interpolation", INTERPOLATIONS)
    return check_value_range(value_range)


def _apply_ops(batch, op_index, magnitude, sign, policy):
    """Run, per example, the ops ``op_index[:, k]`` in sequence, each by one switch."""

    def per_example(args):
        image, indices, mags, signs = args

        def step(x, op):
            index, m, s = op
            return policy.apply(x, index, m, s), None

        out, _ = lax.scan(step, image, (indices, mags, signs))
        return out

    return lax.map(per_example, (batch, op_index, magnitude, sign))


def rand_augment(
    key: jax.Array,
    images: Any,
    *,
    value_range: tuple[float, float],
    num_ops: int = 2,
    factor: Any = 0.5,
    ops: Sequence[str] | None = None,
    fill_mode: str = "reflect",
    fill_value: float = 0.0,
    interpolation: str = "bilinear",
) -> jax.Array:
    r"""RandAugment (Cubuk et al., 2020): ``num_ops`` random ops per image, in sequence.

    For each image and each of the ``num_ops`` steps: an op uniform over ``ops`` (default
    the 14 of the paper, see the module table), a magnitude :math:`m \sim U(a, b)` from
    ``factor`` (Keras' ``RandAugment``: a number ``f`` means ``(0, f)``; a pair ``(M, M)``
    is the paper's fixed magnitude ``M``), and a random sign for the signed ops.

    Args:
      key: a JAX PRNG key.
      images: float ``(N, H, W, C)`` or ``(H, W, C)`` (the ``color`` op needs ``C = 3``
        and is the identity otherwise).
      value_range: ``(lo, hi)`` of the pixel values.
      num_ops: ops per image.
      factor: magnitude range within ``[0, 1]``.
      ops: names from :data:`RAND_AUGMENT_OPS` to draw from.
      fill_mode: for the geometric ops (Keras' default ``"reflect"``).
      fill_value: fill for ``fill_mode="constant"``.
      interpolation: ``"bilinear"`` or ``"nearest"``.

    Returns:
      Augmented images.

    References:
      Cubuk, Zoph, Shlens & Le, "RandAugment: Practical automated data augmentation with
      a reduced search space", NeurIPS 2020.

    Examples:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> x = jax.random.uniform(jax.random.key(1), (16, 8, 8, 3)) * 255
      >>> augment.rand_augment(jax.random.key(0), x, value_range=(0, 255)).shape
      (16, 8, 8, 3)
    """
    lo, hi = _check_common(value_range, fill_mode, interpolation)
    ops = _check_ops(ops, RAND_AUGMENT_OPS)
    check_size(num_ops, "num_ops")
    m_range = factor_range(factor, "factor", single="zero", low=0.0, high=1.0)
    batch, unbatched = as_image_batch(images)
    out = _rand_augment(
        key, batch, lo, hi, m_range, fill_value,
        ops=ops, num_ops=num_ops, scales="standard", fill_mode=fill_mode,
        interpolation=interpolation,
    )
    return restore(out, unbatched)


@functools.partial(
    jax.jit, static_argnames=("ops", "num_ops", "scales", "fill_mode", "interpolation")
)
def _rand_augment(key, batch, lo, hi, m_range, fill_value, *, ops, num_ops, scales,
                  fill_mode, interpolation):
    n, h, w, c = batch.shape
    dtype = batch.dtype
    key_op, key_m, key_s = jax.random.split(key, 3)
    op_index = jax.random.randint(key_op, (n, num_ops), 0, len(ops))
    magnitude = m_range[0] + (m_range[1] - m_range[0]) * jax.random.uniform(
        key_m, (n, num_ops), dtype
    )
    sign = jnp.where(jax.random.uniform(key_s, (n, num_ops)) < 0.5, -1.0, 1.0).astype(dtype)
    policy = _Policy(ops, scales, lo, hi, fill_value, fill_mode, interpolation, h, w, c)
    return _apply_ops(batch, op_index, magnitude, sign, policy)


def trivial_augment(
    key: jax.Array,
    images: Any,
    *,
    value_range: tuple[float, float],
    ops: Sequence[str] | None = None,
    fill_mode: str = "reflect",
    fill_value: float = 0.0,
    interpolation: str = "bilinear",
) -> jax.Array:
    r"""TrivialAugment-Wide (Müller & Hutter, 2021): one op per image, magnitude ``U(0, 1)``.

    Each image draws one op uniformly from ``ops`` (default the 14 RandAugment ops) and a
    magnitude uniform in ``[0, 1]`` on the "wide" scales of the module table.

    Args:
      key: a JAX PRNG key.
      images: float ``(N, H, W, C)`` or ``(H, W, C)``.
      value_range: ``(lo, hi)``.
      ops: names from :data:`RAND_AUGMENT_OPS`.
      fill_mode: for the geometric ops.
      fill_value: fill for ``fill_mode="constant"``.
      interpolation: ``"bilinear"`` or ``"nearest"``.

    Returns:
      Augmented images.

    References:
      Müller & Hutter, "TrivialAugment: Tuning-free yet state-of-the-art data
      augmentation", ICCV 2021.

    Examples:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> x = jax.random.uniform(jax.random.key(1), (8, 8, 8, 3))
      >>> augment.trivial_augment(jax.random.key(0), x, value_range=(0, 1)).shape
      (8, 8, 8, 3)
    """
    lo, hi = _check_common(value_range, fill_mode, interpolation)
    ops = _check_ops(ops, RAND_AUGMENT_OPS)
    batch, unbatched = as_image_batch(images)
    out = _rand_augment(
        key, batch, lo, hi, (0.0, 1.0), fill_value,
        ops=ops, num_ops=1, scales="wide", fill_mode=fill_mode, interpolation=interpolation,
    )
    return restore(out, unbatched)


def aug_mix(
    key: jax.Array,
    images: Any,
    *,
    value_range: tuple[float, float],
    num_chains: int = 3,
    chain_depth: int = 3,
    factor: Any = 0.3,
    alpha: float = 1.0,
    all_ops: bool = True,
    fill_mode: str = "reflect",
    fill_value: float = 0.0,
    interpolation: str = "bilinear",
) -> jax.Array:
    r"""AugMix (Hendrycks et al., 2020): a convex mix of random op chains and the image.

    Per image: chain weights :math:`w \sim \mathrm{Dir}(\alpha, \dots, \alpha)`, a skip
    weight :math:`b \sim \mathrm{Beta}(\alpha, \alpha)`, and ``num_chains`` chains whose
    depth is uniform in ``{1, ..., chain_depth}``; each chain step is an op uniform over
    the AugMix ops (:data:`AUG_MIX_ALL_OPS` with ``all_ops``, Keras' default, else
    :data:`AUG_MIX_OPS`) with magnitude :math:`U(a, b)` from ``factor`` (``(0, f)`` for a
    number). Output :math:`b\,x + (1 - b)\sum_i w_i\,\mathrm{chain}_i(x)`.

    Args:
      key: a JAX PRNG key.
      images: float ``(N, H, W, C)`` or ``(H, W, C)``.
      value_range: ``(lo, hi)``.
      num_chains: number of chains.
      chain_depth: maximal chain length.
      factor: magnitude range within ``[0, 1]``.
      alpha: Dirichlet / Beta parameter.
      all_ops: include the colour ops (colour, contrast, brightness, sharpness).
      fill_mode: for the geometric ops.
      fill_value: fill for ``fill_mode="constant"``.
      interpolation: ``"bilinear"`` or ``"nearest"``.

    Returns:
      Augmented images.

    References:
      Hendrycks, Mu, Cubuk, Zoph, Gilmer & Lakshminarayanan, "AugMix: A simple data
      processing method to improve robustness and uncertainty", ICLR 2020.

    Examples:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> x = jax.random.uniform(jax.random.key(1), (8, 8, 8, 3))
      >>> out = augment.aug_mix(jax.random.key(0), x, value_range=(0, 1), num_chains=2,
      ...                       chain_depth=2, all_ops=False)
      >>> bool((out >= 0).all() and (out <= 1).all())
      True
    """
    lo, hi = _check_common(value_range, fill_mode, interpolation)
    check_size(num_chains, "num_chains")
    check_size(chain_depth, "chain_depth")
    check_positive(alpha, "alpha")
    m_range = factor_range(factor, "factor", single="zero", low=0.0, high=1.0)
    ops = ("identity",) + (AUG_MIX_ALL_OPS if all_ops else AUG_MIX_OPS)
    batch, unbatched = as_image_batch(images)
    out = _aug_mix(
        key, batch, lo, hi, m_range, alpha, fill_value,
        ops=ops, num_chains=num_chains, chain_depth=chain_depth, fill_mode=fill_mode,
        interpolation=interpolation, unit_alpha=is_unit(alpha),
    )
    return restore(out, unbatched)


@functools.partial(
    jax.jit,
    static_argnames=(
        "ops", "num_chains", "chain_depth", "fill_mode", "interpolation", "unit_alpha"
    ),
)
def _aug_mix(key, batch, lo, hi, m_range, alpha, fill_value, *, ops, num_chains,
             chain_depth, fill_mode, interpolation, unit_alpha):
    n, h, w, c = batch.shape
    dtype = batch.dtype
    keys = jax.random.split(key, 5)
    shape = (n, num_chains, chain_depth)
    op_index = jax.random.randint(keys[0], shape, 1, len(ops))  # 0 is the identity
    depth = jax.random.randint(keys[1], (n, num_chains, 1), 1, chain_depth + 1)
    op_index = jnp.where(jnp.arange(chain_depth) < depth, op_index, 0)
    magnitude = m_range[0] + (m_range[1] - m_range[0]) * jax.random.uniform(keys[2], shape, dtype)
    sign = jnp.where(jax.random.uniform(keys[3], shape) < 0.5, -1.0, 1.0).astype(dtype)
    # Dirichlet weights and the Beta skip weight from one gamma call (compiles once).
    g = gamma_draws(keys[4], alpha, (n, num_chains + 2), dtype, unit_alpha)
    weights = g[:, :num_chains] / jnp.sum(g[:, :num_chains], axis=1, keepdims=True)
    skip = g[:, num_chains] / (g[:, num_chains] + g[:, num_chains + 1])
    policy = _Policy(ops, "standard", lo, hi, fill_value, fill_mode, interpolation, h, w, c)

    def per_example(args):
        image, indices, mags, signs, chain_weights, b = args

        def chain(mix, chain_args):
            idx, m, s, weight = chain_args

            def step(x, op):
                index, mm, ss = op
                return policy.apply(x, index, mm, ss), None

            out, _ = lax.scan(step, image, (idx, m, s))
            return mix + weight * out, None

        mixed, _ = lax.scan(chain, jnp.zeros_like(image), (indices, mags, signs, chain_weights))
        return b * image + (1 - b) * mixed

    return lax.map(per_example, (batch, op_index, magnitude, sign, weights, skip))
