r"""Structured dropout: whole examples (``DropPath``), blocks (``DropBlock2D``), weights
(``DropConnect``).

Same train/eval mechanism and key sources as :class:`jreg.nn.Dropout`.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
from flax import nnx
from flax.nnx.nn.linear import default_bias_init, default_kernel_init

from ._dropout import masked
from ._random_module import (
    RandomModule,
    RngsLike,
    check_floating,
    check_ndim,
    check_rate,
    is_zero,
)


class DropPath(RandomModule):
    r"""Stochastic depth: drops whole examples of a residual branch (Huang et al., 2016).

    For inputs of shape ``(N, ...)`` one Bernoulli(:math:`1-p`) draw per example keeps or
    zeroes the whole example; kept examples are divided by :math:`1-p` (timm's
    ``drop_path`` with ``scale_by_keep=True``):

    .. math::

        y_n = \frac{m_n}{1-p}\, x_n, \qquad m_n \sim \mathrm{Bernoulli}(1 - p).

    Use it on the branch of a residual block, ``x + drop_path(block(x))``, so that a
    dropped example skips the block. Identity in eval mode; ``rate=1`` is rejected
    (the scale :math:`1/(1-p)` would be infinite).
    Under ``nnx.vmap`` over examples (inputs without the batch axis) the whole input is
    the example.

    Args:
      rate: drop probability :math:`p \in [0, 1)` of each example.
      scale_by_keep: divide kept examples by :math:`1-p` (default, keeps the mean);
        ``False`` leaves them unscaled (the original paper's training rule, which then
        scales by :math:`1-p` at test time; jreg's eval mode is always the identity).
      deterministic: see :class:`jreg.nn.Dropout`.
      rng_collection: see :class:`jreg.nn.Dropout`.
      rngs: see :class:`jreg.nn.Dropout`.

    Raises:
      ValueError: ``rate`` outside ``[0, 1)``.

    References:
      Huang, Sun, Liu, Sedra, Weinberger (2016). Deep networks with stochastic depth.
      ECCV.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> import jreg
      >>> layer = jreg.nn.DropPath(0.5, rngs=nnx.Rngs(0))
      >>> y = layer(jnp.ones((6, 2, 3)))
      >>> bool(jnp.all(y.min(axis=(1, 2)) == y.max(axis=(1, 2))))  # whole examples
      True
    """

    def __init__(
        self,
        rate: float,
        *,
        scale_by_keep: bool = True,
        deterministic: bool | None = False,
        rng_collection: str = "dropout",
        rngs: nnx.Rngs | nnx.RngStream | None = None,
    ):
        check_rate(rate)
        self.rate = float(rate)
        self.scale_by_keep = bool(scale_by_keep)
        self._init_randomness(deterministic=deterministic, rng_collection=rng_collection, rngs=rngs)

    def __call__(
        self,
        inputs: jax.Array,
        *,
        deterministic: bool | None = None,
        rngs: RngsLike = None,
        key: jax.Array | None = None,
    ) -> jax.Array:
        """Drop whole examples in train mode; identity in eval mode.

        Args:
          inputs: floating-point array ``(N, ...)``; axis 0 indexes the examples.
          deterministic: overrides the attribute for this call.
          rngs: overrides the constructor's source (``nnx.Rngs``, ``RngStream`` or key).
          key: an explicit PRNG key for this call.

        Returns:
          An array with the shape and dtype of ``inputs``.
        """
        check_floating(inputs)
        if self._deterministic(deterministic) or self.rate == 0.0:
            return inputs
        shape = inputs.shape[:1] + (1,) * max(inputs.ndim - 1, 0)
        key = self._next_key(rngs, key)
        return masked(key, inputs, self.rate, shape=shape, scale=self.scale_by_keep)


@functools.partial(jax.jit, static_argnames=("size", "channels_first"))
def _drop_block(key, inputs, rate, *, size: int, channels_first: bool):
    if channels_first:
        n, c, h, w = inputs.shape
    else:
        n, h, w, c = inputs.shape
    size = min(size, h, w)
    valid_h, valid_w = h - size + 1, w - size + 1
    gamma = jnp.clip(rate / size**2 * (h * w) / (valid_h * valid_w), 0.0, 1.0)
    # The mask is drawn in the channels-last layout for both data formats, so that the
    # same key gives the same (transposed) mask.
    corners = jax.random.bernoulli(key, p=gamma, shape=(n, valid_h, valid_w, c))
    pad = ((0, 0), (size - 1, size - 1), (size - 1, size - 1), (0, 0))
    dropped = jax.lax.reduce_window(
        corners.astype(inputs.dtype),
        jnp.zeros((), inputs.dtype),
        jax.lax.max,
        (1, size, size, 1),
        (1, 1, 1, 1),
        pad,
    )
    keep = jnp.where(rate >= 1, 0, 1 - dropped)  # an unchecked traced rate >= 1 drops all
    kept = jnp.sum(keep, axis=(1, 2, 3), keepdims=True)
    scale = jnp.where(kept > 0, (h * w * c) / jnp.maximum(kept, 1), 0)
    if channels_first:
        keep = jnp.moveaxis(keep, -1, 1)
    return inputs * (keep * scale).astype(inputs.dtype)


class DropBlock2D(RandomModule):
    r"""Drops contiguous square blocks of feature maps (Ghiasi et al., 2018).

    For inputs ``(N, H, W, C)`` (``channels_last``) or ``(N, C, H, W)`` and block size
    :math:`s` (clipped to :math:`\min(H, W)`), block corners are drawn independently
    per example and channel, with probability

    .. math::

        \gamma = \frac{p}{s^2}\,\frac{H\,W}{(H - s + 1)(W - s + 1)}

    at each of the :math:`(H-s+1)(W-s+1)` positions where a whole block fits (clipped to
    1). Every :math:`s \times s` block with a drawn corner is zeroed (mask :math:`M`),
    and each example is rescaled by the inverse of its kept fraction,

    .. math::

        y_n = x_n \odot M_n \,\frac{|M_n|}{\sum M_n}
        \qquad (|M_n| = H W C;\ y_n = 0 \text{ if every entry is dropped}),

    so the expected number of dropped entries is about :math:`p\,HWC` (less where
    blocks overlap). Identity in eval mode. ``rate=1`` is rejected, as in
    :class:`jreg.nn.Dropout`: nothing would be kept and no rescaling is finite.

    The rate can change at every call (``layer(x, rate=schedule(step))``, a traced
    scalar under ``jit`` is fine and does not recompile) for the linear warm-up the
    paper recommends; the constructor's ``rate`` is the default. A concrete call-time
    rate is checked like the constructor's; a traced one cannot be, and a traced value
    :math:`\ge 1` drops everything (zeros) rather than producing inf/NaN.

    Args:
      rate: drop probability :math:`p \in [0, 1)`.
      block_size: side :math:`s \ge 1` of the square blocks (7 in the paper's ResNet-50).
      data_format: ``"channels_last"`` (default) or ``"channels_first"``.
      deterministic: see :class:`jreg.nn.Dropout`.
      rng_collection: see :class:`jreg.nn.Dropout`.
      rngs: see :class:`jreg.nn.Dropout`.

    Raises:
      ValueError: ``rate`` outside ``[0, 1)`` (constructor, or a concrete call-time
        ``rate``); ``block_size`` not a positive int;
        ``inputs`` not of rank 4 (at call time).

    References:
      Ghiasi, Lin, Le (2018). DropBlock: a regularization method for convolutional
      networks. NeurIPS.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> import jreg
      >>> layer = jreg.nn.DropBlock2D(0.2, block_size=3, rngs=nnx.Rngs(0))
      >>> y = layer(jnp.ones((2, 8, 8, 1)))
      >>> y.shape
      (2, 8, 8, 1)
      >>> layer(jnp.ones((1, 8, 8, 1)), rate=0.0).tolist() == jnp.ones((1, 8, 8, 1)).tolist()
      True
    """

    def __init__(
        self,
        rate: float,
        block_size: int,
        *,
        data_format: str = "channels_last",
        deterministic: bool | None = False,
        rng_collection: str = "dropout",
        rngs: nnx.Rngs | nnx.RngStream | None = None,
    ):
        check_rate(rate)
        if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 1:
            raise ValueError(f"block_size must be a positive int, got {block_size!r}.")
        if data_format not in ("channels_last", "channels_first"):
            raise ValueError(
                f"data_format must be 'channels_last' or 'channels_first', got {data_format!r}."
            )
        self.rate = float(rate)
        self.block_size = block_size
        self.data_format = data_format
        self._init_randomness(deterministic=deterministic, rng_collection=rng_collection, rngs=rngs)

    def __call__(
        self,
        inputs: jax.Array,
        *,
        rate: Any = None,
        deterministic: bool | None = None,
        rngs: RngsLike = None,
        key: jax.Array | None = None,
    ) -> jax.Array:
        """Drop blocks in train mode; identity in eval mode.

        Args:
          inputs: floating-point array of rank 4.
          rate: drop probability in ``[0, 1)`` for this call (a Python float or a scalar
            array, traced or not; checked when concrete); defaults to the constructor's
            ``rate``.
          deterministic: overrides the attribute for this call.
          rngs: overrides the constructor's source (``nnx.Rngs``, ``RngStream`` or key).
          key: an explicit PRNG key for this call.

        Returns:
          An array with the shape and dtype of ``inputs``.
        """
        check_floating(inputs)
        layout = "N, H, W, C" if self.data_format == "channels_last" else "N, C, H, W"
        check_ndim(inputs, 4, "DropBlock2D", layout)
        if rate is None:
            rate = self.rate
        else:
            check_rate(rate)
            if jnp.ndim(rate) != 0:
                raise ValueError(f"rate must be a scalar, got shape {jnp.shape(rate)}.")
        if self._deterministic(deterministic) or is_zero(rate):
            return inputs
        key = self._next_key(rngs, key)
        channels_first = self.data_format == "channels_first"
        return _drop_block(key, inputs, rate, size=self.block_size, channels_first=channels_first)


@functools.partial(jax.jit, static_argnames=("per_example", "precision"))
def _drop_connect(key, inputs, kernel, bias, rate, *, per_example: bool, precision: Any):
    """``rate`` must be < 1 (the layer rejects ``rate >= 1`` at construction)."""
    mask_shape = ((inputs.shape[0],) if per_example else ()) + kernel.shape
    keep = 1.0 - rate
    mask = jax.random.bernoulli(key, p=keep, shape=mask_shape)
    scaled = jnp.broadcast_to(kernel / keep, mask_shape).astype(kernel.dtype)
    dropped = jax.lax.select(mask, scaled, jnp.zeros_like(scaled))
    if per_example:
        y = jnp.einsum("n...i,nio->n...o", inputs, dropped, precision=precision)
    else:
        y = jax.lax.dot_general(
            inputs, dropped, (((inputs.ndim - 1,), (0,)), ((), ())), precision=precision
        )
    if bias is not None:
        y = y + jnp.reshape(bias, (1,) * (y.ndim - 1) + (-1,))
    return y


class DropConnect(nnx.Linear, RandomModule):
    r"""A linear layer whose weights are randomly dropped at each forward (Wan et al., 2013).

    In train mode each kernel entry is kept with probability :math:`1-p` and divided by
    :math:`1-p` ("inverted" DropConnect, so the expected kernel is the kernel):

    .. math::

        y = x\,\frac{M \odot W}{1-p} + b, \qquad M_{ij} \sim \mathrm{Bernoulli}(1-p).

    With ``per_example=True`` (default, as in the paper) every example ``x[n]`` gets
    its own mask :math:`M_n`, which costs ``N * in_features * out_features`` random bits
    and memory; ``per_example=False`` draws one mask per call, shared by the batch. The
    bias is not dropped. In eval mode the layer is exactly :class:`flax.nnx.Linear`
    (the paper's Gaussian moment matching at inference is not implemented). The
    parameters are ``kernel`` ``(in_features, out_features)`` and ``bias``, as in
    ``nnx.Linear`` (of which this is a subclass), so penalties and constraints select
    them the same way.

    Args:
      in_features: size of the last input axis.
      out_features: size of the output.
      rate: drop probability :math:`p \in [0, 1)` of each weight (``1`` is rejected: the
        scale :math:`1/(1-p)` would be infinite).
      per_example: one mask per example (axis 0 of the inputs) or one per call.
      use_bias: add a bias.
      dtype: computation dtype (as in ``nnx.Linear``).
      param_dtype: parameter dtype.
      precision: matmul precision.
      kernel_init: kernel initializer (``nnx.Linear``'s default, LeCun normal).
      bias_init: bias initializer (zeros).
      deterministic: see :class:`jreg.nn.Dropout`.
      rng_collection: see :class:`jreg.nn.Dropout`.
      rngs: ``nnx.Rngs`` giving the ``params`` keys and the ``rng_collection`` stream.

    Raises:
      ValueError: ``rate`` outside ``[0, 1)``; ``rngs`` without the needed stream;
        ``inputs`` of rank < 2 with ``per_example=True`` (at call time).

    References:
      Wan, Zeiler, Zhang, LeCun, Fergus (2013). Regularization of neural networks using
      DropConnect. ICML.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> import jreg
      >>> layer = jreg.nn.DropConnect(3, 2, rate=0.5, rngs=nnx.Rngs(0))
      >>> layer(jnp.ones((4, 3))).shape
      (4, 2)
      >>> layer.eval()
      >>> linear = nnx.Linear(3, 2, rngs=nnx.Rngs(0))
      >>> bool(jnp.all(layer(jnp.ones((4, 3))) == linear(jnp.ones((4, 3)))))
      True
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        rate: float,
        per_example: bool = True,
        use_bias: bool = True,
        dtype: Any = None,
        param_dtype: Any = jnp.float32,
        precision: Any = None,
        kernel_init: Any = default_kernel_init,
        bias_init: Any = default_bias_init,
        deterministic: bool | None = False,
        rng_collection: str = "dropout",
        rngs: nnx.Rngs,
    ):
        check_rate(rate)
        if not isinstance(rngs, nnx.Rngs):
            raise TypeError(
                f"rngs must be an nnx.Rngs (for the parameters and the masks), got "
                f"{type(rngs).__name__}."
            )
        super().__init__(
            in_features,
            out_features,
            use_bias=use_bias,
            dtype=dtype,
            param_dtype=param_dtype,
            precision=precision,
            kernel_init=kernel_init,
            bias_init=bias_init,
            rngs=rngs,
        )
        self.rate = float(rate)
        self.per_example = bool(per_example)
        self._init_randomness(deterministic=deterministic, rng_collection=rng_collection, rngs=rngs)

    def __call__(
        self,
        inputs: jax.Array,
        *,
        deterministic: bool | None = None,
        rngs: RngsLike = None,
        key: jax.Array | None = None,
    ) -> jax.Array:
        """Linear map with dropped weights (train mode) or ``nnx.Linear`` (eval mode).

        Args:
          inputs: floating-point array ``(..., in_features)``; with ``per_example=True``
            of shape ``(N, ..., in_features)``.
          deterministic: overrides the attribute for this call.
          rngs: overrides the constructor's source (``nnx.Rngs``, ``RngStream`` or key).
          key: an explicit PRNG key for this call.

        Returns:
          An array ``(..., out_features)``.
        """
        check_floating(inputs)
        if self._deterministic(deterministic) or self.rate == 0.0:
            return super().__call__(inputs)
        if self.per_example and inputs.ndim < 2:
            raise ValueError(
                "inputs of DropConnect with per_example=True must have rank >= 2 "
                f"(N, ..., in_features), got shape {inputs.shape}; use per_example=False."
            )
        kernel = self.kernel[...]
        bias = self.bias[...] if self.bias is not None else None
        inputs, kernel, bias = self.promote_dtype((inputs, kernel, bias), dtype=self.dtype)
        return _drop_connect(
            self._next_key(rngs, key),
            inputs,
            kernel,
            bias,
            self.rate,
            per_example=self.per_example,
            precision=self.precision,
        )
