"""Geometric augmentation: flips, warps (through one fused resample), crops, resizing.

Deterministic ops take explicit per-example parameters (scalars or ``(N,)`` arrays);
random ops take ``key`` first and Keras' ``factor`` meanings, draw the parameters per
example and call the deterministic op (or :func:`affine_transform` with the sampled
matrices).
"""

from __future__ import annotations

import functools
import math
from typing import Any

import jax
import jax.numpy as jnp
from jax import lax

from jreg.augment._common import (
    FILL_MODES,
    INTERPOLATIONS,
    as_image_batch,
    check_choice,
    check_size,
    factor_range,
    per_example,
    restore,
)
from jreg.augment._warp import (
    affine_transform,
    batch_matrices,
    flip_matrix,
    perspective_matrix,
    rotation_matrix,
    shear_matrix,
    translation_matrix,
    zoom_matrix,
)

FLIP_MODES = ("horizontal", "vertical", "horizontal_and_vertical")

# --------------------------------------------------------------------------- flips


def flip_left_right(images: Any) -> jax.Array:
    """Mirror images left-right (reverse the width axis). Any dtype.

    Args:
      images: ``(N, H, W, C)`` or ``(H, W, C)``.

    Returns:
      ``images[..., ::-1, :]``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> print(augment.flip_left_right(jnp.arange(3).reshape(1, 3, 1))[..., 0])
      [[2 1 0]]
    """
    batch, unbatched = as_image_batch(images, require_float=False)
    return restore(batch[:, :, ::-1], unbatched)


def flip_up_down(images: Any) -> jax.Array:
    """Mirror images up-down (reverse the height axis). Any dtype.

    Args:
      images: ``(N, H, W, C)`` or ``(H, W, C)``.

    Returns:
      ``images[..., ::-1, :, :]``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> print(augment.flip_up_down(jnp.arange(3).reshape(3, 1, 1))[:, 0, 0])
      [2 1 0]
    """
    batch, unbatched = as_image_batch(images, require_float=False)
    return restore(batch[:, ::-1], unbatched)


def flip(images: Any, horizontal: Any = False, vertical: Any = False) -> jax.Array:
    """Flip each image left-right where ``horizontal`` and up-down where ``vertical``.

    Args:
      images: ``(N, H, W, C)`` or ``(H, W, C)``, any dtype.
      horizontal: bool, scalar or ``(N,)``.
      vertical: bool, scalar or ``(N,)``.

    Returns:
      The flipped images (exact, same dtype).

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> x = jnp.arange(4).reshape(2, 1, 2, 1)
      >>> print(augment.flip(x, horizontal=jnp.array([True, False]))[..., 0].tolist())
      [[[1, 0]], [[2, 3]]]
    """
    batch, unbatched = as_image_batch(images, require_float=False)
    return restore(_flip_impl(batch, horizontal, vertical), unbatched)


@jax.jit
def _flip_impl(batch, horizontal, vertical):
    n = batch.shape[0]
    horizontal = per_example(horizontal, n, bool, "horizontal")[:, None, None, None]
    vertical = per_example(vertical, n, bool, "vertical")[:, None, None, None]
    batch = jnp.where(horizontal, batch[:, :, ::-1], batch)
    return jnp.where(vertical, batch[:, ::-1], batch)


# ------------------------------------------------------------- deterministic warps



_BUILDERS = {
    "rotate": lambda h, w, angle: rotation_matrix(angle, h, w),
    "zoom": lambda h, w, zh, zw: zoom_matrix(zh, zw, h, w),
    "translate": lambda h, w, dh, dw: translation_matrix(dh, dw),
    "shear": lambda h, w, sx, sy: shear_matrix(sx, sy, h, w),
    "perspective": lambda h, w, start, end: perspective_matrix(start, end),
}


def _warp(images, kind, params, names, fill_mode, fill_value, interpolation):
    check_choice(fill_mode, "fill_mode", FILL_MODES)
    check_choice(interpolation, "interpolation", INTERPOLATIONS)
    batch, unbatched = as_image_batch(images)
    out = _warp_impl(
        batch,
        params,
        fill_value,
        kind=kind,
        names=names,
        fill_mode=fill_mode,
        interpolation=interpolation,
    )
    return restore(out, unbatched)


@functools.partial(
    jax.jit, static_argnames=("kind", "names", "fill_mode", "interpolation")
)
def _warp_impl(batch, params, fill_value, *, kind, names, fill_mode, interpolation):
    n, h, w, _ = batch.shape
    params = [jnp.asarray(p, batch.dtype) for p in params]
    matrix = batch_matrices(_BUILDERS[kind](h, w, *params), n, batch.dtype, names)
    return affine_transform(
        batch, matrix, fill_mode=fill_mode, fill_value=fill_value, interpolation=interpolation
    )


def rotate(
    images: Any,
    angle: Any,
    *,
    fill_mode: str = "reflect",
    fill_value: float = 0.0,
    interpolation: str = "bilinear",
) -> jax.Array:
    r"""Rotate images counter-clockwise by ``angle`` radians about their centre.

    Output pixel :math:`p` samples :math:`R(\theta)(p - c) + c` with
    :math:`c = ((W-1)/2, (H-1)/2)` (see :func:`rotation_matrix`); a quarter turn of a
    square image equals ``np.rot90`` exactly.

    Args:
      images: float ``(N, H, W, C)`` or ``(H, W, C)``.
      angle: radians, scalar or ``(N,)`` (one per image).
      fill_mode: ``"reflect"`` (default), ``"wrap"``, ``"constant"``, ``"nearest"`` or
        ``"mirror"``, as in :func:`affine_transform`.
      fill_value: value outside the image for ``fill_mode="constant"``.
      interpolation: ``"bilinear"`` (default) or ``"nearest"``.

    Returns:
      Rotated images, same shape and dtype.

    Examples:
      >>> import math
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> image = jnp.arange(4.0).reshape(2, 2, 1)
      >>> print(augment.rotate(image, math.pi / 2)[..., 0].round(4))
      [[1. 3.]
       [0. 2.]]
    """
    return _warp(
        images,
        "rotate",
        (angle,),
        "angle",
        fill_mode,
        fill_value,
        interpolation,
    )


def zoom(
    images: Any,
    height_zoom: Any,
    width_zoom: Any = None,
    *,
    fill_mode: str = "reflect",
    fill_value: float = 0.0,
    interpolation: str = "bilinear",
) -> jax.Array:
    r"""Zoom images about their centre; a zoom ratio above 1 zooms OUT (Keras).

    Output pixel :math:`p` samples :math:`z \odot (p - c) + c` (:func:`zoom_matrix`):
    the output shows a region ``height_zoom`` times as tall and ``width_zoom`` times as
    wide as the image. Keras' ``RandomZoom(height_factor=f)`` draws ``height_zoom = 1 + f``.

    Args:
      images: float ``(N, H, W, C)`` or ``(H, W, C)``.
      height_zoom: vertical ratio ``> 0``, scalar or ``(N,)``.
      width_zoom: horizontal ratio, scalar or ``(N,)``; ``None`` (default) uses
        ``height_zoom`` (aspect ratio preserved).
      fill_mode: ``"reflect"`` (default), ``"wrap"``, ``"constant"``, ``"nearest"`` or
        ``"mirror"``, as in :func:`affine_transform`.
      fill_value: value outside the image for ``fill_mode="constant"``.
      interpolation: ``"bilinear"`` (default) or ``"nearest"``.

    Returns:
      Zoomed images, same shape and dtype.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> image = jnp.arange(5.0).reshape(1, 5, 1)
      >>> print(augment.zoom(image, 1.0, 0.5)[0, :, 0])
      [1.   1.5  2.   2.5  3.  ]
    """
    width_zoom = height_zoom if width_zoom is None else width_zoom
    return _warp(
        images,
        "zoom",
        (height_zoom, width_zoom),
        "height_zoom and width_zoom",
        fill_mode,
        fill_value,
        interpolation,
    )


def translate(
    images: Any,
    height_shift: Any,
    width_shift: Any,
    *,
    fill_mode: str = "reflect",
    fill_value: float = 0.0,
    interpolation: str = "bilinear",
) -> jax.Array:
    r"""Shift the content down by ``height_shift`` and right by ``width_shift`` pixels.

    Output pixel :math:`(x, y)` samples :math:`(x - d_w, y - d_h)`; shifts may be
    fractional (interpolated). Keras' ``RandomTranslation`` draws
    ``height_shift = f·H``.

    Args:
      images: float ``(N, H, W, C)`` or ``(H, W, C)``.
      height_shift: pixels, scalar or ``(N,)``.
      width_shift: pixels, scalar or ``(N,)``.
      fill_mode: ``"reflect"`` (default), ``"wrap"``, ``"constant"``, ``"nearest"`` or
        ``"mirror"``, as in :func:`affine_transform`.
      fill_value: value outside the image for ``fill_mode="constant"``.
      interpolation: ``"bilinear"`` (default) or ``"nearest"``.

    Returns:
      Translated images, same shape and dtype.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> image = jnp.arange(4.0).reshape(1, 4, 1)
      >>> print(augment.translate(image, 0, 1, fill_mode="constant")[0, :, 0])
      [0. 0. 1. 2.]
    """
    return _warp(
        images,
        "translate",
        (height_shift, width_shift),
        "height_shift and width_shift",
        fill_mode,
        fill_value,
        interpolation,
    )


def shear(
    images: Any,
    x_shear: Any,
    y_shear: Any = 0.0,
    *,
    fill_mode: str = "reflect",
    fill_value: float = 0.0,
    interpolation: str = "bilinear",
) -> jax.Array:
    r"""Shear images about their centre with Keras' shear factors.

    Output pixel :math:`p` samples :math:`S(p - c) + c`,
    :math:`S = \begin{pmatrix}1 & s_x\\ s_y & 1\end{pmatrix}` (:func:`shear_matrix`).

    Args:
      images: float ``(N, H, W, C)`` or ``(H, W, C)``.
      x_shear: horizontal shear ``s_x``, scalar or ``(N,)``.
      y_shear: vertical shear ``s_y``, scalar or ``(N,)``.
      fill_mode: ``"reflect"`` (default), ``"wrap"``, ``"constant"``, ``"nearest"`` or
        ``"mirror"``, as in :func:`affine_transform`.
      fill_value: value outside the image for ``fill_mode="constant"``.
      interpolation: ``"bilinear"`` (default) or ``"nearest"``.

    Returns:
      Sheared images, same shape and dtype.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> image = jnp.tile(jnp.arange(3.0), (3, 1))[..., None]
      >>> print(augment.shear(image, 1.0, fill_mode="nearest")[..., 0])
      [[0. 0. 1.]
       [0. 1. 2.]
       [1. 2. 2.]]
    """
    return _warp(
        images,
        "shear",
        (x_shear, y_shear),
        "x_shear and y_shear",
        fill_mode,
        fill_value,
        interpolation,
    )


def perspective_transform(
    images: Any,
    start_points: Any,
    end_points: Any,
    *,
    fill_mode: str = "constant",
    fill_value: float = 0.0,
    interpolation: str = "bilinear",
) -> jax.Array:
    r"""Warp images so that the input's ``start_points`` land on ``end_points``.

    The homography is :func:`perspective_matrix` (Keras' ``ops.image.perspective_transform``
    convention: points are ``(x, y)``; Keras fills with a constant, hence the default).

    Args:
      images: float ``(N, H, W, C)`` or ``(H, W, C)``.
      start_points: ``(4, 2)`` or ``(N, 4, 2)``.
      end_points: same shape as ``start_points``.
      fill_mode: as in :func:`affine_transform`; default ``"constant"``.
      fill_value: value outside the image for ``fill_mode="constant"``.
      interpolation: ``"bilinear"`` (default) or ``"nearest"``.

    Returns:
      Warped images, same shape and dtype.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> image = jnp.arange(4.0).reshape(1, 4, 1)
      >>> start = [[0.0, 0.0], [3.0, 0.0], [0.0, 1.0], [3.0, 1.0]]
      >>> end = [[1.0, 0.0], [4.0, 0.0], [1.0, 1.0], [4.0, 1.0]]
      >>> print(augment.perspective_transform(image, start, end)[0, :, 0].round(4))
      [0. 0. 1. 2.]
    """
    return _warp(
        images,
        "perspective",
        (start_points, end_points),
        "start_points and end_points",
        fill_mode,
        fill_value,
        interpolation,
    )


# --------------------------------------------------------------------------- crops


def crop(images: Any, top: Any, left: Any, height: int, width: int) -> jax.Array:
    """Cut the ``height × width`` window at ``(top, left)`` out of each image. Any dtype.

    Equals ``images[:, top:top + height, left:left + width]`` (per image when ``top`` /
    ``left`` are ``(N,)`` arrays). Offsets are clipped into the image as
    ``lax.dynamic_slice`` does.

    Args:
      images: ``(N, H, W, C)`` or ``(H, W, C)``.
      top: row offset, int scalar or ``(N,)``.
      left: column offset, int scalar or ``(N,)``.
      height: static output height ``<= H``.
      width: static output width ``<= W``.

    Returns:
      ``(N, height, width, C)`` (or ``(height, width, C)``).

    Raises:
      ValueError: ``height`` / ``width`` larger than the image or not positive.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> image = jnp.arange(16).reshape(4, 4, 1)
      >>> print(augment.crop(image, 1, 2, 2, 2)[..., 0])
      [[ 6  7]
       [10 11]]
    """
    batch, unbatched = as_image_batch(images, require_float=False)
    n, h, w, c = batch.shape
    check_size(height, "height", h, "the image height")
    check_size(width, "width", w, "the image width")
    return restore(_crop_impl(batch, top, left, height=height, width=width), unbatched)


@functools.partial(jax.jit, static_argnames=("height", "width"))
def _crop_impl(batch, top, left, *, height, width):
    n, _, _, c = batch.shape
    top = per_example(top, n, jnp.int32, "top")
    left = per_example(left, n, jnp.int32, "left")

    def one(image, t, s):
        return lax.dynamic_slice(image, (t, s, jnp.zeros_like(t)), (height, width, c))

    return jax.vmap(one)(batch, top, left)


def center_crop(images: Any, height: int, width: int) -> jax.Array:
    """Cut the central ``height × width`` window (offsets ``(H - height) // 2``, Keras).

    Args:
      images: ``(N, H, W, C)`` or ``(H, W, C)``, any dtype.
      height: output height ``<= H``.
      width: output width ``<= W``.

    Returns:
      ``(N, height, width, C)`` (or ``(height, width, C)``).

    Raises:
      ValueError: ``height`` / ``width`` larger than the image or not positive.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> print(augment.center_crop(jnp.arange(16).reshape(4, 4, 1), 2, 2)[..., 0])
      [[ 5  6]
       [ 9 10]]
    """
    batch, unbatched = as_image_batch(images, require_float=False)
    _, h, w, _ = batch.shape
    check_size(height, "height", h, "the image height")
    check_size(width, "width", w, "the image width")
    top, left = (h - height) // 2, (w - width) // 2
    return restore(batch[:, top : top + height, left : left + width], unbatched)


def resize(
    images: Any,
    height: int,
    width: int,
    *,
    interpolation: str = "bilinear",
    antialias: bool = False,
) -> jax.Array:
    """Resize images to ``height × width`` with ``jax.image.resize`` (half-pixel centres).

    Same sampling grid as Keras' ``Resizing`` on the JAX backend (``antialias=False`` by
    default, as there).

    Args:
      images: float ``(N, H, W, C)`` or ``(H, W, C)``.
      height: output height.
      width: output width.
      interpolation: ``"bilinear"`` or ``"nearest"``.
      antialias: low-pass filter when downsampling (``jax.image.resize``'s meaning).

    Returns:
      ``(N, height, width, C)`` (or ``(height, width, C)``), same dtype.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> print(augment.resize(jnp.array([[[0.0], [1.0]]]), 1, 4)[0, :, 0])
      [0.   0.25 0.75 1.  ]
    """
    check_choice(interpolation, "interpolation", ("nearest", "bilinear"))
    batch, unbatched = as_image_batch(images)
    n, _, _, c = batch.shape
    check_size(height, "height")
    check_size(width, "width")
    method = "linear" if interpolation == "bilinear" else "nearest"
    out = jax.image.resize(batch, (n, height, width, c), method=method, antialias=antialias)
    return restore(out.astype(batch.dtype), unbatched)


# ---------------------------------------------------------------- random sampling

# One uniform draw of shape (N, _NUM_DRAWS) feeds every component (a single threefry
# call compiles much faster than one per component); the columns are fixed so that each
# single random op uses exactly the numbers ``random_affine`` would.
_COLUMNS = {
    "flip": slice(0, 2),
    "rotation": 2,
    "shear": slice(3, 6),
    "zoom": slice(6, 8),
    "translation": slice(8, 10),
    "perspective": slice(10, 18),
}
_NUM_DRAWS = 18


def _draws(key: jax.Array, n: int, dtype: Any) -> jax.Array:
    # Drawn in float32 whatever the image dtype, so that the same key gives the same
    # parameters (and flips) for float32 and float64 images and for random_flip.
    return jax.random.uniform(key, (n, _NUM_DRAWS), dtype=jnp.float32).astype(dtype)


def _is_zero(factor: Any) -> bool:
    if factor is None:
        return True
    values = factor if isinstance(factor, (tuple, list)) else (factor,)
    try:
        return all(float(v) == 0.0 for v in values)
    except (TypeError, jax.errors.ConcretizationTypeError):
        return False


def _sample_flips(u, mode):
    horizontal = (u[:, 0] < 0.5) & (mode in ("horizontal", "horizontal_and_vertical"))
    vertical = (u[:, 1] < 0.5) & (mode in ("vertical", "horizontal_and_vertical"))
    return horizontal, vertical


def _scaled(u, lower, upper):
    lower = jnp.asarray(lower, u.dtype)
    upper = jnp.asarray(upper, u.dtype)
    return lower + (upper - lower) * u


def random_affine_matrix(
    key: jax.Array,
    batch_size: int,
    height: int,
    width: int,
    *,
    flip: str | None = None,
    rotation: Any = 0.0,
    zoom_height: Any = 0.0,
    zoom_width: Any = None,
    translate_height: Any = 0.0,
    translate_width: Any = 0.0,
    shear_x: Any = 0.0,
    shear_y: Any = 0.0,
    perspective: Any = 0.0,
    dtype: Any = None,
) -> jax.Array:
    r"""Draw one composed transform matrix per image: flip, rotate, shear, zoom, translate.

    Every argument keeps the meaning of the Keras layer it comes from, and each
    component is drawn independently per image from its own sub-key of ``key``:

    * ``flip``: ``RandomFlip(mode)`` — ``None``, ``"horizontal"``, ``"vertical"`` or
      ``"horizontal_and_vertical"``; each allowed flip happens with probability ½.
    * ``rotation``: ``RandomRotation(factor)`` — angle :math:`2\pi\,U(a, b)` with
      ``(a, b) = (-f, f)`` for a number ``f`` (fraction of a full turn; positive is
      counter-clockwise).
    * ``zoom_height`` / ``zoom_width``: ``RandomZoom(height_factor, width_factor)`` —
      ratio :math:`1 + U(a, b)`, positive zooms out; ``zoom_width=None`` reuses the
      height draw (aspect ratio preserved). Needs ``a > -1``.
    * ``translate_height`` / ``translate_width``: ``RandomTranslation`` — shift
      :math:`U(a, b)·H` (resp. ``·W``) pixels, within ``[-1, 1]``.
    * ``shear_x`` / ``shear_y``: ``RandomShear(x_factor, y_factor)`` — magnitude
      :math:`U(a, b)` in ``[0, 1]`` ranges (a number ``f`` means ``(-f, f)``), with one
      random sign per image shared by both axes, as Keras does; about the centre.
    * ``perspective``: scale ``s`` in ``[0, 1]`` of :func:`random_perspective` — each
      image corner moves by :math:`U(-s/2, s/2)` times the image size in each axis.

    The composed matrix ``F @ R @ S @ Z @ T @ P`` applies the operations in that order
    (flip first). One :func:`affine_transform` with it replaces six resamplings.

    Args:
      key: a JAX PRNG key.
      batch_size: number of matrices ``N``.
      height: image height ``H``.
      width: image width ``W``.
      flip: flip mode or ``None``.
      rotation: rotation factor.
      zoom_height: vertical zoom factor.
      zoom_width: horizontal zoom factor or ``None``.
      translate_height: vertical translation factor.
      translate_width: horizontal translation factor.
      shear_x: horizontal shear factor.
      shear_y: vertical shear factor.
      perspective: perspective scale.
      dtype: float dtype of the matrices (default: JAX's default float).

    Returns:
      ``(N, 3, 3)`` matrices for :func:`affine_transform`.

    Raises:
      ValueError: factors outside their ranges or a bad ``flip`` mode.

    Examples:
      >>> import jax
      >>> from jreg import augment
      >>> m = augment.random_affine_matrix(jax.random.key(0), 8, 32, 32, rotation=0.1)
      >>> m.shape
      (8, 3, 3)
    """
    dtype = jnp.dtype(jnp.result_type(float) if dtype is None else dtype)
    spec = _affine_spec(
        flip=flip,
        rotation=rotation,
        zoom_height=zoom_height,
        zoom_width=zoom_width,
        translate_height=translate_height,
        translate_width=translate_width,
        shear_x=shear_x,
        shear_y=shear_y,
        perspective=perspective,
    )
    flip_mode, ranges = spec
    return _random_affine_matrix_impl(
        key, ranges, n=batch_size, height=height, width=width, flip=flip_mode, dtype=dtype
    )


def _affine_spec(
    *,
    flip,
    rotation,
    zoom_height,
    zoom_width,
    translate_height,
    translate_width,
    shear_x,
    shear_y,
    perspective,
):
    """Validate the factors; return the static flip mode and every component's range.

    Every component is always present (a zero range is the identity), so that all
    geometric ops with the same flip mode, shapes and fill settings share one
    compilation; the range values are traced.
    """
    if flip is not None:
        check_choice(flip, "flip", FLIP_MODES)
    zero = (0.0, 0.0)
    rotation = zero if rotation is None else factor_range(rotation, "rotation")
    shear = (
        zero if shear_x is None else factor_range(shear_x, "shear_x", low=-1.0, high=1.0),
        zero if shear_y is None else factor_range(shear_y, "shear_y", low=-1.0, high=1.0),
    )
    zh = zero if zoom_height is None else factor_range(
        zoom_height, "zoom_height", low=-1.0, low_inclusive=False
    )
    if zoom_width is None:
        zoom = (zh, zh, True)
    else:
        zoom = (zh, factor_range(zoom_width, "zoom_width", low=-1.0, low_inclusive=False), False)
    translation = (
        zero
        if translate_height is None
        else factor_range(translate_height, "translate_height", low=-1.0, high=1.0),
        zero
        if translate_width is None
        else factor_range(translate_width, "translate_width", low=-1.0, high=1.0),
    )
    if isinstance(perspective, (tuple, list)):
        raise ValueError(f"perspective (scale) must be one number in [0, 1]; got {perspective!r}.")
    perspective = 0.0 if perspective is None else perspective
    factor_range(perspective, "scale", single="zero", low=0.0, high=1.0)
    ranges = {
        "rotation": rotation,
        "shear": shear,
        "zoom": zoom,
        "translation": translation,
        "perspective": (-0.5 * perspective, 0.5 * perspective),
    }
    return flip, ranges


@functools.partial(jax.jit, static_argnames=("n", "height", "width", "flip", "dtype"))
def _random_affine_matrix_impl(key, ranges, *, n, height, width, flip, dtype):
    u = _draws(key, n, dtype)
    # flip
    horizontal, vertical = _sample_flips(u[:, _COLUMNS["flip"]], flip)
    out = flip_matrix(horizontal, vertical, height, width).astype(dtype)
    # rotation
    turns = _scaled(u[:, _COLUMNS["rotation"]], *ranges["rotation"])
    out = out @ rotation_matrix(2 * math.pi * turns, height, width).astype(dtype)
    # shear, with one random sign shared by both axes (Keras)
    (lo_x, hi_x), (lo_y, hi_y) = ranges["shear"]
    us = u[:, _COLUMNS["shear"]]
    sign = jnp.where(us[:, 0] < 0.5, -1.0, 1.0).astype(dtype)
    sx = sign * _scaled(us[:, 1], lo_x, hi_x)
    sy = sign * _scaled(us[:, 2], lo_y, hi_y)
    out = out @ shear_matrix(sx, sy, height, width).astype(dtype)
    # zoom
    zh_range, zw_range, same = ranges["zoom"]
    uz = u[:, _COLUMNS["zoom"]]
    zh = 1 + _scaled(uz[:, 0], *zh_range)
    zw = jnp.where(same, zh, 1 + _scaled(uz[:, 1], *zw_range))
    out = out @ zoom_matrix(zh, zw, height, width).astype(dtype)
    # translation
    (lo_h, hi_h), (lo_w, hi_w) = ranges["translation"]
    ut = u[:, _COLUMNS["translation"]]
    dh = _scaled(ut[:, 0], lo_h, hi_h) * height
    dw = _scaled(ut[:, 1], lo_w, hi_w) * width
    out = out @ translation_matrix(dh, dw).astype(dtype)
    # perspective (selected away exactly when its range is zero)
    lo, hi = ranges["perspective"]
    corners = jnp.asarray(
        [[0, 0], [width - 1, 0], [0, height - 1], [width - 1, height - 1]], dtype
    )
    size = jnp.asarray([max(width - 1, 1), max(height - 1, 1)], dtype)
    up = u[:, _COLUMNS["perspective"]].reshape(n, 4, 2)
    shift = _scaled(up, lo, hi) * size
    start = jnp.broadcast_to(corners, (n, 4, 2))
    warp = perspective_matrix(start, start + shift).astype(dtype)
    warp = jnp.where(jnp.asarray(hi - lo) > 0, warp, jnp.eye(3, dtype=dtype))
    return out @ warp


def random_affine(
    key: jax.Array,
    images: Any,
    *,
    flip: str | None = None,
    rotation: Any = 0.0,
    zoom_height: Any = 0.0,
    zoom_width: Any = None,
    translate_height: Any = 0.0,
    translate_width: Any = 0.0,
    shear_x: Any = 0.0,
    shear_y: Any = 0.0,
    perspective: Any = 0.0,
    fill_mode: str = "reflect",
    fill_value: float = 0.0,
    interpolation: str = "bilinear",
) -> jax.Array:
    r"""Random flip + rotation + shear + zoom + translation (+ perspective), ONE resample.

    Draws :func:`random_affine_matrix` per image and applies :func:`affine_transform`
    once: the same output as the chain of single random ops up to interpolation (which
    the chain would do up to five times, blurring the image each time). With the same
    ``key``, ``random_affine(key, x, rotation=f)`` equals ``random_rotation(key, x, f)``,
    and likewise for each other component alone.

    Args:
      key: a JAX PRNG key.
      images: float ``(N, H, W, C)`` or ``(H, W, C)``.
      flip: ``None``, ``"horizontal"``, ``"vertical"`` or ``"horizontal_and_vertical"``.
      rotation: Keras ``RandomRotation.factor`` (fraction of a full turn).
      zoom_height: Keras ``RandomZoom.height_factor`` (positive zooms out).
      zoom_width: Keras ``RandomZoom.width_factor`` (``None``: keep the aspect ratio).
      translate_height: Keras ``RandomTranslation.height_factor`` (fraction of ``H``).
      translate_width: Keras ``RandomTranslation.width_factor`` (fraction of ``W``).
      shear_x: Keras ``RandomShear.x_factor``.
      shear_y: Keras ``RandomShear.y_factor``.
      perspective: :func:`random_perspective` ``scale``.
      fill_mode: ``"reflect"`` (default, as Keras' layers), ``"wrap"``, ``"constant"``,
        ``"nearest"`` or ``"mirror"``.
      fill_value: value outside the image for ``fill_mode="constant"``.
      interpolation: ``"bilinear"`` (default) or ``"nearest"``.

    Returns:
      Augmented images, same shape and dtype.

    Raises:
      ValueError: factors out of range, bad modes, bad rank. TypeError: integer images.

    Examples:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> images = jnp.ones((4, 16, 16, 3))
      >>> out = augment.random_affine(
      ...     jax.random.key(0), images, flip="horizontal", rotation=0.1, zoom_height=0.2,
      ...     translate_height=0.1, translate_width=0.1)
      >>> out.shape, bool(jnp.allclose(out, 1.0))
      ((4, 16, 16, 3), True)
    """
    check_choice(fill_mode, "fill_mode", FILL_MODES)
    check_choice(interpolation, "interpolation", INTERPOLATIONS)
    batch, unbatched = as_image_batch(images)
    flip_mode, ranges = _affine_spec(
        flip=flip,
        rotation=rotation,
        zoom_height=zoom_height,
        zoom_width=zoom_width,
        translate_height=translate_height,
        translate_width=translate_width,
        shear_x=shear_x,
        shear_y=shear_y,
        perspective=perspective,
    )
    out = _random_affine_impl(
        key,
        batch,
        ranges,
        fill_value,
        flip=flip_mode,
        fill_mode=fill_mode,
        interpolation=interpolation,
    )
    return restore(out, unbatched)


@functools.partial(jax.jit, static_argnames=("flip", "fill_mode", "interpolation"))
def _random_affine_impl(key, batch, ranges, fill_value, *, flip, fill_mode, interpolation):
    n, h, w, _ = batch.shape
    matrix = _random_affine_matrix_impl(
        key, ranges, n=n, height=h, width=w, flip=flip, dtype=batch.dtype
    )
    return affine_transform(
        batch, matrix, fill_mode=fill_mode, fill_value=fill_value, interpolation=interpolation
    )


def random_flip(key: jax.Array, images: Any, *, mode: str = "horizontal") -> jax.Array:
    """Flip each image with probability ½ per allowed direction (Keras ``RandomFlip``).

    Exact (no resampling) and for any dtype. Uses the same draws as
    ``random_affine(key, images, flip=mode)``.

    Args:
      key: a JAX PRNG key.
      images: ``(N, H, W, C)`` or ``(H, W, C)``.
      mode: ``"horizontal"`` (left-right, default), ``"vertical"`` (up-down) or
        ``"horizontal_and_vertical"`` (independent draws).

    Returns:
      Flipped images, same shape and dtype.

    Examples:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> out = augment.random_flip(jax.random.key(0), jnp.zeros((8, 4, 4, 3)))
      >>> out.shape
      (8, 4, 4, 3)
    """
    check_choice(mode, "mode", FLIP_MODES)
    batch, unbatched = as_image_batch(images, require_float=False)
    return restore(_random_flip_impl(key, batch, mode=mode), unbatched)


@functools.partial(jax.jit, static_argnames=("mode",))
def _random_flip_impl(key, batch, *, mode):
    u = _draws(key, batch.shape[0], jnp.float32)
    horizontal, vertical = _sample_flips(u[:, _COLUMNS["flip"]], mode)
    return _flip_impl(batch, horizontal, vertical)


def random_rotation(
    key: jax.Array,
    images: Any,
    factor: Any,
    *,
    fill_mode: str = "reflect",
    fill_value: float = 0.0,
    interpolation: str = "bilinear",
) -> jax.Array:
    r"""Rotate each image by its own random angle (Keras ``RandomRotation``).

    The angle is :math:`2\pi\,U(a, b)` radians, counter-clockwise for positive values,
    with ``(a, b) = (-factor, factor)`` for a number or ``factor`` itself for a pair
    (fractions of a full turn: ``factor=0.1`` rotates by up to ±36°).

    Args:
      key: a JAX PRNG key.
      images: float ``(N, H, W, C)`` or ``(H, W, C)``.
      factor: ``f >= 0`` or a pair ``(lower, upper)``.
      fill_mode: ``"reflect"`` (default, as Keras' layers), ``"wrap"``, ``"constant"``,
        ``"nearest"`` or ``"mirror"``.
      fill_value: value outside the image for ``fill_mode="constant"``.
      interpolation: ``"bilinear"`` (default) or ``"nearest"``.

    Returns:
      Rotated images, same shape and dtype.

    Examples:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> out = augment.random_rotation(jax.random.key(0), jnp.ones((2, 8, 8, 1)), 0.25)
      >>> print(out.sum(axis=(1, 2, 3)))
      [64. 64.]
    """
    return random_affine(
        key,
        images,
        rotation=factor,
        fill_mode=fill_mode,
        fill_value=fill_value,
        interpolation=interpolation,
    )


def random_zoom(
    key: jax.Array,
    images: Any,
    height_factor: Any,
    width_factor: Any = None,
    *,
    fill_mode: str = "reflect",
    fill_value: float = 0.0,
    interpolation: str = "bilinear",
) -> jax.Array:
    r"""Zoom each image by its own random ratios (Keras ``RandomZoom``).

    Ratio :math:`1 + U(a, b)` per axis; positive factors zoom OUT, negative zoom in;
    ``(a, b) = (-f, f)`` for a number. ``width_factor=None`` reuses the vertical ratio
    (aspect ratio preserved). Needs ``a > -1``.

    Args:
      key: a JAX PRNG key.
      images: float ``(N, H, W, C)`` or ``(H, W, C)``.
      height_factor: number or pair, vertical.
      width_factor: number, pair or ``None``.
      fill_mode: ``"reflect"`` (default, as Keras' layers), ``"wrap"``, ``"constant"``,
        ``"nearest"`` or ``"mirror"``.
      fill_value: value outside the image for ``fill_mode="constant"``.
      interpolation: ``"bilinear"`` (default) or ``"nearest"``.

    Returns:
      Zoomed images, same shape and dtype.

    Examples:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> augment.random_zoom(jax.random.key(0), jnp.ones((2, 8, 8, 1)), 0.2).shape
      (2, 8, 8, 1)
    """
    return random_affine(
        key,
        images,
        zoom_height=height_factor,
        zoom_width=width_factor,
        fill_mode=fill_mode,
        fill_value=fill_value,
        interpolation=interpolation,
    )


def random_translation(
    key: jax.Array,
    images: Any,
    height_factor: Any,
    width_factor: Any,
    *,
    fill_mode: str = "reflect",
    fill_value: float = 0.0,
    interpolation: str = "bilinear",
) -> jax.Array:
    r"""Shift each image by its own random offsets (Keras ``RandomTranslation``).

    Shifts :math:`U(a, b)·H` pixels down and :math:`U(c, d)·W` right (negative: up/left);
    a number ``f`` means ``(-f, f)``; factors lie in ``[-1, 1]``.

    Args:
      key: a JAX PRNG key.
      images: float ``(N, H, W, C)`` or ``(H, W, C)``.
      height_factor: number or pair, fraction of the height.
      width_factor: number or pair, fraction of the width.
      fill_mode: ``"reflect"`` (default, as Keras' layers), ``"wrap"``, ``"constant"``,
        ``"nearest"`` or ``"mirror"``.
      fill_value: value outside the image for ``fill_mode="constant"``.
      interpolation: ``"bilinear"`` (default) or ``"nearest"``.

    Returns:
      Translated images, same shape and dtype.

    Examples:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> augment.random_translation(jax.random.key(0), jnp.ones((2, 8, 8, 1)), 0.1, 0.1).shape
      (2, 8, 8, 1)
    """
    return random_affine(
        key,
        images,
        translate_height=height_factor,
        translate_width=width_factor,
        fill_mode=fill_mode,
        fill_value=fill_value,
        interpolation=interpolation,
    )


def random_shear(
    key: jax.Array,
    images: Any,
    x_factor: Any = 0.0,
    y_factor: Any = 0.0,
    *,
    fill_mode: str = "reflect",
    fill_value: float = 0.0,
    interpolation: str = "bilinear",
) -> jax.Array:
    r"""Shear each image by its own random factors (Keras ``RandomShear``), about the centre.

    Magnitudes :math:`U(a, b)` per axis (``(-f, f)`` for a number; ranges within
    ``[0, 1]`` for pairs as Keras requires, ``[-1, 1]`` accepted), times one random
    sign per image shared by both axes (Keras' draw).

    Args:
      key: a JAX PRNG key.
      images: float ``(N, H, W, C)`` or ``(H, W, C)``.
      x_factor: number or pair, horizontal.
      y_factor: number or pair, vertical.
      fill_mode: ``"reflect"`` (default, as Keras' layers), ``"wrap"``, ``"constant"``,
        ``"nearest"`` or ``"mirror"``.
      fill_value: value outside the image for ``fill_mode="constant"``.
      interpolation: ``"bilinear"`` (default) or ``"nearest"``.

    Returns:
      Sheared images, same shape and dtype.

    Examples:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> augment.random_shear(jax.random.key(0), jnp.ones((2, 8, 8, 1)), 0.3).shape
      (2, 8, 8, 1)
    """
    return random_affine(
        key,
        images,
        shear_x=x_factor,
        shear_y=y_factor,
        fill_mode=fill_mode,
        fill_value=fill_value,
        interpolation=interpolation,
    )


def random_perspective(
    key: jax.Array,
    images: Any,
    scale: float = 0.5,
    *,
    fill_mode: str = "constant",
    fill_value: float = 0.0,
    interpolation: str = "bilinear",
) -> jax.Array:
    r"""Random perspective distortion: each image corner moves by up to ``scale/2`` of the size.

    Corner :math:`(x_i, y_i)` goes to :math:`(x_i + u (W-1), y_i + v (H-1))` with
    :math:`u, v \sim U(-s/2, s/2)` independent per corner and image, and the image is
    warped by the homography (:func:`perspective_matrix`). Keras' ``RandomPerspective``
    scales the displacement by the corner coordinate itself, which leaves the top-left
    corner fixed; here all four corners move.

    Args:
      key: a JAX PRNG key.
      images: float ``(N, H, W, C)`` or ``(H, W, C)``.
      scale: ``s`` in ``[0, 1]``.
      fill_mode: as in :func:`affine_transform`; default ``"constant"`` (Keras).
      fill_value: value outside the image for ``fill_mode="constant"``.
      interpolation: ``"bilinear"`` (default) or ``"nearest"``.

    Returns:
      Warped images, same shape and dtype.

    Examples:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> augment.random_perspective(jax.random.key(0), jnp.ones((2, 8, 8, 1)), 0.2).shape
      (2, 8, 8, 1)
    """
    return random_affine(
        key,
        images,
        perspective=scale,
        fill_mode=fill_mode,
        fill_value=fill_value,
        interpolation=interpolation,
    )


def random_crop(key: jax.Array, images: Any, height: int, width: int) -> jax.Array:
    """Crop a random ``height × width`` window from each image (Keras ``RandomCrop``).

    Offsets are uniform integers, ``top`` in ``[0, H - height]`` and ``left`` in
    ``[0, W - width]``, drawn per image; the crop is an exact slice (any dtype).

    Args:
      key: a JAX PRNG key.
      images: ``(N, H, W, C)`` or ``(H, W, C)``.
      height: static crop height ``<= H``.
      width: static crop width ``<= W``.

    Returns:
      ``(N, height, width, C)`` (or ``(height, width, C)``).

    Raises:
      ValueError: crop larger than the image.

    Examples:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> augment.random_crop(jax.random.key(0), jnp.zeros((4, 8, 8, 3)), 5, 6).shape
      (4, 5, 6, 3)
    """
    batch, unbatched = as_image_batch(images, require_float=False)
    n, h, w, _ = batch.shape
    check_size(height, "height", h, "the image height")
    check_size(width, "width", w, "the image width")
    return restore(_random_crop_impl(key, batch, height=height, width=width), unbatched)


@functools.partial(jax.jit, static_argnames=("height", "width"))
def _random_crop_impl(key, batch, *, height, width):
    n, h, w, _ = batch.shape
    key_top, key_left = jax.random.split(key)
    top = jax.random.randint(key_top, (n,), 0, h - height + 1)
    left = jax.random.randint(key_left, (n,), 0, w - width + 1)
    return _crop_impl(batch, top, left, height=height, width=width)


def random_resized_crop_matrix(
    key: jax.Array,
    batch_size: int,
    height: int,
    width: int,
    output_height: int,
    output_width: int,
    *,
    scale: tuple[float, float] = (0.08, 1.0),
    ratio: tuple[float, float] = (3 / 4, 4 / 3),
    dtype: Any = None,
) -> jax.Array:
    r"""Matrices of :func:`random_resized_crop` (crop box drawn per image, then resize).

    Box area :math:`U(s_0, s_1)·HW`, aspect ratio :math:`w/h = \exp U(\log r_0, \log r_1)`,
    both sides clipped to the image, position uniform inside the image. The output pixel
    :math:`x_o` samples :math:`x_0 + (x_o + ½)\,w / W_o - ½` (half-pixel centres, as
    resizing the crop would).

    Args:
      key: a JAX PRNG key.
      batch_size: ``N``.
      height: input height ``H``.
      width: input width ``W``.
      output_height: ``H_o``.
      output_width: ``W_o``.
      scale: area fraction range, ``0 < s_0 <= s_1 <= 1``.
      ratio: aspect-ratio range, ``0 < r_0 <= r_1``.
      dtype: float dtype of the matrices.

    Returns:
      ``(N, 3, 3)``, for ``affine_transform(..., output_shape=(H_o, W_o))``.

    Examples:
      >>> import jax
      >>> from jreg import augment
      >>> m = augment.random_resized_crop_matrix(jax.random.key(0), 2, 8, 8, 8, 8,
      ...                                        scale=(1.0, 1.0), ratio=(1.0, 1.0))
      >>> print(m[0].round(4) + 0.0)
      [[1. 0. 0.]
       [0. 1. 0.]
       [0. 0. 1.]]
    """
    dtype = jnp.dtype(jnp.result_type(float) if dtype is None else dtype)
    scale, ratio = _crop_box_ranges(scale, ratio)
    return _rrc_matrix_impl(
        key,
        scale,
        ratio,
        n=batch_size,
        height=height,
        width=width,
        output_height=output_height,
        output_width=output_width,
        dtype=dtype,
    )


def _crop_box_ranges(scale, ratio):
    for name, value in (("scale", scale), ("ratio", ratio)):
        if not isinstance(value, (tuple, list)):
            raise ValueError(f"{name} must be a pair (lower, upper); got {value!r}.")
    scale = factor_range(tuple(scale), "scale", low=0.0, high=1.0, low_inclusive=False)
    ratio = factor_range(tuple(ratio), "ratio", low=0.0, low_inclusive=False)
    return scale, ratio


@functools.partial(
    jax.jit, static_argnames=("n", "height", "width", "output_height", "output_width", "dtype")
)
def _rrc_matrix_impl(key, scale, ratio, *, n, height, width, output_height, output_width, dtype):
    (lo_s, hi_s), (lo_r, hi_r) = scale, ratio
    u = jax.random.uniform(key, (n, 4), dtype=jnp.float32).astype(dtype)
    area = _scaled(u[:, 0], lo_s, hi_s) * (height * width)
    log_ratio = _scaled(u[:, 1], jnp.log(lo_r), jnp.log(hi_r))
    aspect = jnp.exp(log_ratio)
    box_w = jnp.clip(jnp.sqrt(area * aspect), 1.0, width)
    box_h = jnp.clip(jnp.sqrt(area / aspect), 1.0, height)
    y0 = u[:, 2] * (height - box_h)
    x0 = u[:, 3] * (width - box_w)
    sx = box_w / output_width
    sy = box_h / output_height
    zeros, ones = jnp.zeros_like(sx), jnp.ones_like(sx)
    rows = [sx, zeros, x0 + 0.5 * sx - 0.5, zeros, sy, y0 + 0.5 * sy - 0.5, zeros, zeros, ones]
    return jnp.stack(rows, axis=-1).reshape(n, 3, 3)


def random_resized_crop(
    key: jax.Array,
    images: Any,
    height: int,
    width: int,
    *,
    scale: tuple[float, float] = (0.08, 1.0),
    ratio: tuple[float, float] = (3 / 4, 4 / 3),
    interpolation: str = "bilinear",
) -> jax.Array:
    r"""Crop a random box (random area and aspect ratio) and resize it to ``height × width``.

    The Inception-style crop of torchvision's ``RandomResizedCrop`` (Szegedy et al.,
    2015) drawn per image without rejection sampling (sides clipped to the image instead;
    see :func:`random_resized_crop_matrix`), done as one resample.

    Args:
      key: a JAX PRNG key.
      images: float ``(N, H, W, C)`` or ``(H, W, C)``.
      height: output height.
      width: output width.
      scale: area fraction range, default ``(0.08, 1.0)``.
      ratio: aspect-ratio (width / height) range, default ``(3/4, 4/3)``.
      interpolation: ``"bilinear"`` (default) or ``"nearest"``.

    Returns:
      ``(N, height, width, C)`` (or ``(height, width, C)``).

    References:
      Szegedy et al., "Going deeper with convolutions", CVPR 2015.

    Examples:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> augment.random_resized_crop(jax.random.key(0), jnp.ones((2, 16, 16, 3)), 8, 8).shape
      (2, 8, 8, 3)
    """
    batch, unbatched = as_image_batch(images)
    n, h, w, _ = batch.shape
    check_size(height, "height")
    check_size(width, "width")
    check_choice(interpolation, "interpolation", INTERPOLATIONS)
    scale, ratio = _crop_box_ranges(scale, ratio)
    out = _rrc_impl(
        key, batch, scale, ratio, height=height, width=width, interpolation=interpolation
    )
    return restore(out, unbatched)


@functools.partial(jax.jit, static_argnames=("height", "width", "interpolation"))
def _rrc_impl(key, batch, scale, ratio, *, height, width, interpolation):
    n, h, w, _ = batch.shape
    matrix = _rrc_matrix_impl(
        key,
        scale,
        ratio,
        n=n,
        height=h,
        width=w,
        output_height=height,
        output_width=width,
        dtype=batch.dtype,
    )
    return affine_transform(
        batch,
        matrix,
        fill_mode="nearest",
        interpolation=interpolation,
        output_shape=(height, width),
    )
