"""The resampler: one batched gather for any per-example projective transform.

Matrices act on homogeneous pixel coordinates ``(x, y, 1)`` with ``x`` the column and
``y`` the row (pixel centres at integers) and map an OUTPUT pixel to the INPUT location
it samples, as Keras' ``ops.image.affine_transform`` and TF's ``ImageProjectiveTransform``
do. Applying op ``A`` then op ``B`` is therefore the single matrix ``A @ B``.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp

from jreg.augment._common import (
    FILL_MODES,
    INTERPOLATIONS,
    as_image_batch,
    check_choice,
    check_size,
    restore,
)


def _as_matrices(matrix: Any, batch_size: int, dtype: Any) -> jax.Array:
    """``(3, 3)``, ``(N, 3, 3)``, Keras' ``(8,)`` or ``(N, 8)`` -> ``(N, 3, 3)``."""
    matrix = jnp.asarray(matrix, dtype=dtype)
    if matrix.shape[-1:] == (8,) and matrix.ndim in (1, 2):
        ones = jnp.ones(matrix.shape[:-1] + (1,), dtype)
        matrix = jnp.concatenate([matrix, ones], axis=-1).reshape(matrix.shape[:-1] + (3, 3))
    if matrix.shape[-2:] != (3, 3) or matrix.ndim not in (2, 3):
        raise ValueError(
            "matrix must have shape (3, 3) or (N, 3, 3) (or Keras' flat (8,) / (N, 8)); "
            f"got shape {tuple(matrix.shape)}."
        )
    if matrix.ndim == 2:
        return jnp.broadcast_to(matrix, (batch_size, 3, 3))
    if matrix.shape[0] != batch_size:
        raise ValueError(
            f"matrix has {matrix.shape[0]} transforms for a batch of {batch_size} images; "
            "pass one (3, 3) matrix or one per image."
        )
    return matrix


def _fix_index(index: jax.Array, size: int, fill_mode: str) -> jax.Array:
    """Map integer indices outside ``[0, size)`` back inside, per ``fill_mode``."""
    if fill_mode == "wrap":
        return jnp.mod(index, size)
    if fill_mode == "reflect":  # d c b a | a b c d | d c b a
        index = jnp.mod(index, 2 * size)
        return jnp.where(index >= size, 2 * size - 1 - index, index)
    if fill_mode == "mirror":  # d c b | a b c d | c b a
        if size == 1:
            return jnp.zeros_like(index)
        index = jnp.mod(index, 2 * size - 2)
        return jnp.where(index >= size, 2 * size - 2 - index, index)
    # nearest, and constant (on an image padded with a border of the fill value)
    return jnp.clip(index, 0, size - 1)


def resample(
    batch: jax.Array,
    x: jax.Array,
    y: jax.Array,
    *,
    fill_mode: str,
    fill_value: Any,
    interpolation: str,
) -> jax.Array:
    """Sample ``batch`` (N, H, W, C) at real coordinates ``x``, ``y`` of shape (N, H', W').

    Each neighbour (1 for nearest, 4 for bilinear) of every output pixel of the whole
    batch is read with one gather of whole pixels (all channels) from the flattened
    ``(N*H*W, C)`` batch, then the neighbours are blended by two linear interpolations.

    ``fill_mode="constant"`` pads each image with a one-pixel border of ``fill_value``
    and clamps the integer indices into the padded image: every neighbour outside the
    image then reads the border, exactly the "outside counts as ``fill_value``" rule,
    without masking the four gathered values (which cost a select per neighbour and kept
    XLA's CPU backend from fusing the gathers: 2-3x slower than the other modes).
    """
    n, h, w, c = batch.shape
    border = 1 if fill_mode == "constant" else 0  # integer index shift, coordinates untouched
    if border:
        fill = jnp.asarray(fill_value, batch.dtype)
        batch = jnp.pad(batch, ((0, 0), (1, 1), (1, 1), (0, 0)), constant_values=fill)
    rows, cols = h + 2 * border, w + 2 * border
    flat = batch.reshape(n * rows * cols, c)
    base = (jnp.arange(n, dtype=jnp.int32) * (rows * cols))[:, None, None]

    def read(yi, xi):
        yi = _fix_index(yi + border, rows, fill_mode)
        xi = _fix_index(xi + border, cols, fill_mode)
        return flat.at[base + yi * cols + xi].get(mode="promise_in_bounds")

    if interpolation == "nearest":
        # floor(x + 1/2): scipy.ndimage's rounding for order 0.
        out = read(jnp.floor(y + 0.5).astype(jnp.int32), jnp.floor(x + 0.5).astype(jnp.int32))
        return _materialize_off_cpu(out)
    x0 = jnp.floor(x)
    y0 = jnp.floor(y)
    fx = (x - x0)[..., None]
    fy = (y - y0)[..., None]
    x0 = x0.astype(jnp.int32)
    y0 = y0.astype(jnp.int32)
    v00, v01 = read(y0, x0), read(y0, x0 + 1)
    v10, v11 = read(y0 + 1, x0), read(y0 + 1, x0 + 1)
    top = v00 + (v01 - v00) * fx
    bottom = v10 + (v11 - v10) * fx
    return _materialize_off_cpu(top + (bottom - top) * fy)


def _materialize_off_cpu(out: jax.Array) -> jax.Array:
    """Keep XLA's GPU/TPU backends from fusing the gathers into what follows.

    A following reduction (the per-channel mean of ``adjust_contrast``, a loss) otherwise
    absorbs the resample into a multi-output reduction fusion, whose tiling suits the
    reduction, not the gathers: on an H200 the benchmark pipeline (128 × 224×224×3) took
    3.4 ms fused that way against 0.75 ms for its parts run separately
    (``benchmarks/profile_augment_ops.py``). An optimization barrier makes the warped
    batch one written array (one extra pass over it). XLA's CPU backend fuses well here
    and is left as it is.
    """
    return jax.lax.platform_dependent(
        out, cpu=lambda v: v, default=jax.lax.optimization_barrier
    )


def affine_transform(
    images: Any,
    matrix: Any,
    *,
    fill_mode: str = "reflect",
    fill_value: float = 0.0,
    interpolation: str = "bilinear",
    output_shape: tuple[int, int] | None = None,
) -> jax.Array:
    r"""Resample images through per-example projective (affine) coordinate transforms.

    Output pixel :math:`(x, y)` (``x`` the column, ``y`` the row, pixel centres at
    integers) takes the input value at

    .. math::

       \begin{pmatrix} x' \\ y' \end{pmatrix} =
       \frac{1}{m_{20} x + m_{21} y + m_{22}}
       \begin{pmatrix} m_{00} x + m_{01} y + m_{02} \\ m_{10} x + m_{11} y + m_{12}
       \end{pmatrix},

    i.e. ``matrix`` maps output coordinates to input coordinates (Keras' and TF's
    convention; an affine matrix has last row ``(0, 0, 1)``). Composing op ``A`` then op
    ``B`` is ``affine_transform(images, A @ B)``. Each neighbour of all output pixels of
    the whole batch is read with one gather (no per-image or per-pixel loop).

    Fill modes (Keras on the JAX backend, identical to ``jax.scipy.ndimage``):

    * ``"reflect"``: ``(d c b a | a b c d | d c b a)`` — scipy ``mode="reflect"``;
    * ``"wrap"``: ``(a b c d | a b c d | a b c d)`` — scipy ``mode="grid-wrap"``;
    * ``"constant"``: ``(k k k k | a b c d | k k k k)`` with ``k = fill_value``, neighbours
      outside the image count as ``k`` in the interpolation — scipy ``"grid-constant"``;
    * ``"nearest"``: ``(a a a a | a b c d | d d d d)`` — scipy ``"nearest"``;
    * ``"mirror"``: ``(d c b | a b c d | c b a)`` — scipy ``"mirror"``.

    ``interpolation="nearest"`` takes the pixel at ``floor(x' + 1/2)`` (scipy order 0);
    ``"bilinear"`` weights the 4 neighbours (scipy order 1).

    Args:
      images: float images ``(N, H, W, C)`` or one image ``(H, W, C)``.
      matrix: ``(3, 3)`` for the whole batch or ``(N, 3, 3)`` per image; Keras' flat
        8-vectors ``(8,)`` / ``(N, 8)`` (``a0 a1 a2 b0 b1 b2 c0 c1``) are accepted too.
      fill_mode: one of ``"reflect"``, ``"wrap"``, ``"constant"``, ``"nearest"``,
        ``"mirror"``.
      fill_value: value outside the image for ``fill_mode="constant"``.
      interpolation: ``"nearest"`` or ``"bilinear"``.
      output_shape: ``(height, width)`` of the output; default the input's.

    Returns:
      The transformed images, shape ``(N, H', W', C)`` (or ``(H', W', C)``), input dtype.

    Raises:
      ValueError: bad rank of ``images``, shape of ``matrix``, ``fill_mode``,
        ``interpolation`` or ``output_shape``.
      TypeError: ``images`` not floating.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> image = jnp.arange(9.0).reshape(3, 3, 1)
      >>> shift_right = jnp.array([[1.0, 0, -1], [0, 1, 0], [0, 0, 1]])
      >>> print(augment.affine_transform(image, shift_right, fill_mode="constant")[..., 0])
      [[0. 0. 1.]
       [0. 3. 4.]
       [0. 6. 7.]]
    """
    check_choice(fill_mode, "fill_mode", FILL_MODES)
    check_choice(interpolation, "interpolation", INTERPOLATIONS)
    batch, unbatched = as_image_batch(images)
    n, h, w, _ = batch.shape
    if output_shape is None:
        output_shape = (h, w)
    else:
        try:
            out_h, out_w = output_shape
        except (TypeError, ValueError):
            raise ValueError(
                f"output_shape must be a pair (height, width); got {output_shape!r}."
            ) from None
        output_shape = (
            check_size(out_h, "output_shape[0]"),
            check_size(out_w, "output_shape[1]"),
        )
    out = _affine_impl(
        batch,
        matrix,
        fill_value,
        fill_mode=fill_mode,
        interpolation=interpolation,
        output_shape=output_shape,
    )
    return restore(out, unbatched)


@functools.partial(jax.jit, static_argnames=("fill_mode", "interpolation", "output_shape"))
def _affine_impl(batch, matrix, fill_value, *, fill_mode, interpolation, output_shape):
    m = _as_matrices(matrix, batch.shape[0], batch.dtype)
    x, y = source_coordinates(m, *output_shape)
    return resample(
        batch, x, y, fill_mode=fill_mode, fill_value=fill_value, interpolation=interpolation
    )


def source_coordinates(m: jax.Array, height: int, width: int) -> tuple[jax.Array, jax.Array]:
    """Input coordinates ``(x', y')``, each ``(N, height, width)``, for matrices ``(N, 3, 3)``."""
    dtype = m.dtype
    xs = jnp.arange(width, dtype=dtype)[None, None, :]
    ys = jnp.arange(height, dtype=dtype)[None, :, None]

    def row(i):
        return m[:, i, 0, None, None] * xs + m[:, i, 1, None, None] * ys + m[:, i, 2, None, None]

    denominator = row(2)
    return row(0) / denominator, row(1) / denominator


def _center(size: int, dtype: Any) -> jax.Array:
    return jnp.asarray((size - 1) / 2, dtype)


def _stack_matrix(rows: list[list[Any]], dtype: Any) -> jax.Array:
    entries = [jnp.asarray(e, dtype) for r in rows for e in r]
    shape = jnp.broadcast_shapes(*(e.shape for e in entries))
    entries = [jnp.broadcast_to(e, shape) for e in entries]
    return jnp.stack(entries, axis=-1).reshape(shape + (3, 3))


def _dtype(*values: Any) -> Any:
    values = [v if hasattr(v, "dtype") else jnp.asarray(v) for v in values]
    dtype = jnp.result_type(*values, float)
    return dtype if jnp.issubdtype(dtype, jnp.floating) else jnp.result_type(float)


def rotation_matrix(angle: Any, height: int, width: int) -> jax.Array:
    r"""Matrix of a counter-clockwise rotation by ``angle`` radians about the image centre.

    With centre :math:`c = ((W-1)/2, (H-1)/2)` the output pixel :math:`p` samples
    :math:`R(\theta)(p - c) + c`, :math:`R(\theta) = \begin{pmatrix}\cos\theta &
    -\sin\theta\\ \sin\theta & \cos\theta\end{pmatrix}` (Keras' rotation matrix): on the
    screen (rows pointing down) the content turns counter-clockwise for ``angle > 0``.

    Args:
      angle: radians, a scalar or ``(N,)``.
      height: image height ``H``.
      width: image width ``W``.

    Returns:
      ``(3, 3)`` or ``(N, 3, 3)``.

    Examples:
      >>> from jreg import augment
      >>> import math
      >>> print(augment.rotation_matrix(math.pi / 2, 3, 3).round(6) + 0.0)
      [[ 0. -1.  2.]
       [ 1.  0.  0.]
       [ 0.  0.  1.]]
    """
    dtype = _dtype(angle)
    angle = jnp.asarray(angle, dtype)
    cos, sin = jnp.cos(angle), jnp.sin(angle)
    cx, cy = _center(width, dtype), _center(height, dtype)
    return _stack_matrix(
        [
            [cos, -sin, cx - cos * cx + sin * cy],
            [sin, cos, cy - sin * cx - cos * cy],
            [0, 0, 1],
        ],
        dtype,
    )


def zoom_matrix(height_zoom: Any, width_zoom: Any, height: int, width: int) -> jax.Array:
    r"""Matrix of a zoom about the image centre; a zoom above 1 zooms OUT (Keras).

    The output pixel :math:`p` samples :math:`z \odot (p - c) + c` with
    :math:`z = (z_w, z_h)` and centre :math:`c = ((W-1)/2, (H-1)/2)`: the output shows a
    region ``width_zoom`` times as wide and ``height_zoom`` times as tall as the image.

    Args:
      height_zoom: vertical ratio ``z_h > 0``, scalar or ``(N,)``.
      width_zoom: horizontal ratio ``z_w > 0``, scalar or ``(N,)``.
      height: image height ``H``.
      width: image width ``W``.

    Returns:
      ``(3, 3)`` or ``(N, 3, 3)``.

    Examples:
      >>> from jreg import augment
      >>> print(augment.zoom_matrix(2.0, 2.0, 3, 3))
      [[ 2.  0. -1.]
       [ 0.  2. -1.]
       [ 0.  0.  1.]]
    """
    dtype = _dtype(height_zoom, width_zoom)
    zh = jnp.asarray(height_zoom, dtype)
    zw = jnp.asarray(width_zoom, dtype)
    cx, cy = _center(width, dtype), _center(height, dtype)
    return _stack_matrix([[zw, 0, cx * (1 - zw)], [0, zh, cy * (1 - zh)], [0, 0, 1]], dtype)


def translation_matrix(height_shift: Any, width_shift: Any) -> jax.Array:
    r"""Matrix moving the content down by ``height_shift`` and right by ``width_shift`` pixels.

    The output pixel :math:`(x, y)` samples :math:`(x - d_w, y - d_h)`.

    Args:
      height_shift: pixels, positive moves the content down; scalar or ``(N,)``.
      width_shift: pixels, positive moves the content right; scalar or ``(N,)``.

    Returns:
      ``(3, 3)`` or ``(N, 3, 3)``.

    Examples:
      >>> from jreg import augment
      >>> print(augment.translation_matrix(1.0, 2.0))
      [[ 1.  0. -2.]
       [ 0.  1. -1.]
       [ 0.  0.  1.]]
    """
    dtype = _dtype(height_shift, width_shift)
    return _stack_matrix([[1, 0, -jnp.asarray(width_shift, dtype)],
                          [0, 1, -jnp.asarray(height_shift, dtype)], [0, 0, 1]], dtype)


def shear_matrix(x_shear: Any, y_shear: Any, height: int, width: int) -> jax.Array:
    r"""Matrix of a shear about the image centre (Keras' shear factors).

    The output pixel :math:`p` samples :math:`S (p - c) + c` with
    :math:`S = \begin{pmatrix} 1 & s_x \\ s_y & 1 \end{pmatrix}` (Keras' ``RandomShear``
    matrix) and :math:`c = ((W-1)/2, (H-1)/2)`: a row at distance ``d`` below the centre
    moves left by ``s_x·d`` pixels. Keras shears about the top-left corner; shearing
    about the centre keeps the image centred (the two differ by a translation).

    Args:
      x_shear: horizontal shear ``s_x``, scalar or ``(N,)``.
      y_shear: vertical shear ``s_y``, scalar or ``(N,)``.
      height: image height ``H``.
      width: image width ``W``.

    Returns:
      ``(3, 3)`` or ``(N, 3, 3)``.

    Examples:
      >>> from jreg import augment
      >>> print(augment.shear_matrix(0.5, 0.0, 3, 3))
      [[ 1.   0.5 -0.5]
       [ 0.   1.   0. ]
       [ 0.   0.   1. ]]
    """
    dtype = _dtype(x_shear, y_shear)
    sx = jnp.asarray(x_shear, dtype)
    sy = jnp.asarray(y_shear, dtype)
    cx, cy = _center(width, dtype), _center(height, dtype)
    return _stack_matrix([[1, sx, -sx * cy], [sy, 1, -sy * cx], [0, 0, 1]], dtype)


def flip_matrix(horizontal: Any, vertical: Any, height: int, width: int) -> jax.Array:
    r"""Matrix of an optional left-right and/or up-down flip.

    ``x' = W - 1 - x`` where ``horizontal`` is true, ``y' = H - 1 - y`` where ``vertical``
    is true (exact at integer coordinates, so nearest and bilinear give the exact flip).

    Args:
      horizontal: bool, scalar or ``(N,)``.
      vertical: bool, scalar or ``(N,)``.
      height: image height ``H``.
      width: image width ``W``.

    Returns:
      ``(3, 3)`` or ``(N, 3, 3)`` (float).

    Examples:
      >>> from jreg import augment
      >>> print(augment.flip_matrix(True, False, 2, 5))
      [[-1.  0.  4.]
       [ 0.  1.  0.]
       [ 0.  0.  1.]]
    """
    dtype = jnp.result_type(float)
    sx = jnp.where(jnp.asarray(horizontal), -1.0, 1.0).astype(dtype)
    sy = jnp.where(jnp.asarray(vertical), -1.0, 1.0).astype(dtype)
    return _stack_matrix(
        [[sx, 0, (1 - sx) * (width - 1) / 2], [0, sy, (1 - sy) * (height - 1) / 2], [0, 0, 1]],
        dtype,
    )


def perspective_matrix(start_points: Any, end_points: Any) -> jax.Array:
    r"""Projective matrix moving the four ``start_points`` to the four ``end_points``.

    The homography :math:`M` (normalised to :math:`m_{22} = 1`) that maps each end point
    to its start point, in closed form (unit square to each quadrilateral, Heckbert 1989,
    composed with an adjugate; no linear solve). The output pixel at ``end_points[i]``
    shows the input at ``start_points[i]`` (Keras' ``ops.image.perspective_transform``
    convention).

    Args:
      start_points: ``(4, 2)`` or ``(N, 4, 2)`` points ``(x, y)`` in the input.
      end_points: where those points go in the output, ``(4, 2)`` or ``(N, 4, 2)``
        (one of the two may be shared by the batch).

    Returns:
      ``(3, 3)`` or ``(N, 3, 3)``.

    Raises:
      ValueError: shapes other than ``(4, 2)`` / ``(N, 4, 2)`` or different shapes.

    Examples:
      >>> from jreg import augment
      >>> square = [[0.0, 0.0], [3.0, 0.0], [0.0, 3.0], [3.0, 3.0]]
      >>> print(augment.perspective_matrix(square, square).round(6) + 0.0)
      [[1. 0. 0.]
       [0. 1. 0.]
       [0. 0. 1.]]
    """
    dtype = _dtype(start_points, end_points)
    start = jnp.asarray(start_points, dtype)
    end = jnp.asarray(end_points, dtype)
    for name, value in (("start_points", start), ("end_points", end)):
        if value.shape[-2:] != (4, 2) or value.ndim not in (2, 3):
            raise ValueError(
                f"{name} must have shape (4, 2) or (N, 4, 2); got {tuple(value.shape)}."
            )
    if start.ndim == end.ndim == 3 and start.shape[0] != end.shape[0]:
        raise ValueError(
            "start_points and end_points must hold the same number of quadrilaterals; got "
            f"shapes {tuple(start.shape)} and {tuple(end.shape)}."
        )
    start, end = jnp.broadcast_arrays(start, end)
    matrix = _square_to_quad(start) @ _adjugate(_square_to_quad(end))
    return matrix / matrix[..., 2:3, 2:3]


def _square_to_quad(points: jax.Array) -> jax.Array:
    """Homography taking the unit square's corners (0,0), (1,0), (0,1), (1,1) to ``points``.

    Closed form of Heckbert (1989), "Fundamentals of texture mapping", sec. 2.2.3.
    """
    x0, y0 = points[..., 0, 0], points[..., 0, 1]
    x1, y1 = points[..., 1, 0], points[..., 1, 1]
    x3, y3 = points[..., 2, 0], points[..., 2, 1]  # image of (0, 1)
    x2, y2 = points[..., 3, 0], points[..., 3, 1]  # image of (1, 1)
    sum_x = x0 - x1 + x2 - x3
    sum_y = y0 - y1 + y2 - y3
    dx1, dx2, dy1, dy2 = x1 - x2, x3 - x2, y1 - y2, y3 - y2
    den = dx1 * dy2 - dx2 * dy1
    g = (sum_x * dy2 - dx2 * sum_y) / den
    h = (dx1 * sum_y - sum_x * dy1) / den
    rows = [
        x1 - x0 + g * x1, x3 - x0 + h * x3, x0,
        y1 - y0 + g * y1, y3 - y0 + h * y3, y0,
        g, h, jnp.ones_like(g),
    ]
    return jnp.stack(rows, axis=-1).reshape(points.shape[:-2] + (3, 3))


def _adjugate(m: jax.Array) -> jax.Array:
    """Adjugate of 3x3 matrices (the inverse up to a scale, which a homography ignores)."""
    def c(i, j):
        r = [k for k in range(3) if k != i]
        s = [k for k in range(3) if k != j]
        minor = m[..., r[0], s[0]] * m[..., r[1], s[1]] - m[..., r[0], s[1]] * m[..., r[1], s[0]]
        return minor if (i + j) % 2 == 0 else -minor

    entries = [c(j, i) for i in range(3) for j in range(3)]
    return jnp.stack(entries, axis=-1).reshape(m.shape)


def identity_matrices(batch_size: int, dtype: Any) -> jax.Array:
    return jnp.broadcast_to(jnp.eye(3, dtype=dtype), (batch_size, 3, 3))


def batch_matrices(matrix: jax.Array, batch_size: int, dtype: Any, name: str) -> jax.Array:
    """Broadcast a builder's ``(3, 3)`` or ``(N, 3, 3)`` output to ``(N, 3, 3)``."""
    matrix = jnp.asarray(matrix, dtype)
    if matrix.ndim == 2:
        return jnp.broadcast_to(matrix, (batch_size, 3, 3))
    if matrix.shape[0] != batch_size:
        raise ValueError(
            f"{name} must be a scalar or have shape ({batch_size},) (one value per image); "
            f"got {matrix.shape[0]} values."
        )
    return matrix

