r"""Element-wise dropout and noise layers with Keras names and meanings.

``Dropout``, ``SpatialDropout1D/2D/3D``, ``GaussianDropout``, ``GaussianNoise`` and
``AlphaDropout``. All are Flax NNX modules built like :class:`flax.nnx.Dropout`:
constructed in train mode (``deterministic=False``), random in train mode, the exact
identity in eval mode (``model.eval()``, ``deterministic=True`` or ``nnx.view``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import jax
import jax.numpy as jnp
from flax import nnx

from .._checks import check_finite, check_nonnegative
from ._random_module import (
    RandomModule,
    RngsLike,
    check_floating,
    check_ndim,
    check_rate,
)

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


# The computations are jitted kernels: an eager call is one compiled program instead of
# one per primitive (and rates are traced, so a new rate does not recompile); under an
# outer jit they are inlined.


@functools.partial(jax.jit, static_argnames=("shape", "scale"))
def masked(key, inputs, rate, *, shape: tuple[int, ...], scale: bool = True):
    """Keep each entry of a mask of ``shape`` w.p. ``1 - rate``; divide by it if ``scale``.

    ``rate`` must be < 1 (the layers reject ``rate >= 1`` at construction).
    """
    keep = 1.0 - rate
    mask = jax.random.bernoulli(key, p=keep, shape=shape)
    mask = jnp.broadcast_to(mask, inputs.shape)
    kept = inputs / keep if scale else inputs
    return jax.lax.select(mask, kept, jnp.zeros_like(inputs))


@functools.partial(jax.jit, static_argnames=("multiplicative",))
def _gaussian(key, inputs, stddev, *, multiplicative: bool):
    noise = jax.random.normal(key, inputs.shape, inputs.dtype)
    if multiplicative:
        return inputs * (1.0 + stddev * noise)
    return inputs + stddev * noise


@functools.partial(jax.jit, static_argnames=("shape",))
def _alpha_dropout(key, inputs, rate, *, shape: tuple[int, ...]):
    alpha_p = -_SELU_ALPHA * _SELU_SCALE
    a = ((1.0 - rate) * (1.0 + rate * alpha_p**2)) ** -0.5
    b = -a * alpha_p * rate
    keep = jax.random.bernoulli(key, p=1.0 - rate, shape=shape)
    keep = jnp.broadcast_to(keep, inputs.shape)
    dropped = jnp.full_like(inputs, alpha_p)
    return (a * jax.lax.select(keep, inputs, dropped) + b).astype(inputs.dtype)


def _noise_shape(
    shape: tuple[int, ...],
    broadcast_dims: Sequence[int],
    noise_shape: Sequence[int | None] | None,
) -> tuple[int, ...]:
    """The shape of the random mask: ``shape`` with broadcast axes set to 1."""
    ndim = len(shape)
    if noise_shape is not None:
        if len(noise_shape) != ndim:
            raise ValueError(
                f"noise_shape must have one entry per axis of inputs ({ndim}), got "
                f"{tuple(noise_shape)} for inputs of shape {shape}."
            )
        out = []
        for size, entry in zip(shape, noise_shape, strict=True):
            if entry is None or entry == size:
                out.append(size)
            elif entry == 1:
                out.append(1)
            else:
                raise ValueError(
                    f"noise_shape entries must be None, 1 or the size of the input axis; got "
                    f"{tuple(noise_shape)} for inputs of shape {shape}."
                )
        return tuple(out)
    out = list(shape)
    for dim in broadcast_dims:
        if not -ndim <= dim < ndim:
            raise ValueError(
                f"broadcast_dims entries must be axes of inputs (rank {ndim}), got "
                f"{tuple(broadcast_dims)}."
            )
        out[dim] = 1
    return tuple(out)


def _check_noise_options(broadcast_dims, noise_shape) -> tuple[tuple[int, ...], tuple | None]:
    broadcast_dims = tuple(broadcast_dims)
    if not all(isinstance(d, int) and not isinstance(d, bool) for d in broadcast_dims):
        raise TypeError(f"broadcast_dims must be a sequence of ints, got {broadcast_dims}.")
    if noise_shape is not None:
        if isinstance(noise_shape, str):
            raise TypeError(f"noise_shape must be a sequence of ints or None, got {noise_shape!r}.")
        noise_shape = tuple(noise_shape)
        for entry in noise_shape:
            if entry is not None and (
                not isinstance(entry, int) or isinstance(entry, bool) or entry < 1
            ):
                raise ValueError(
                    f"noise_shape entries must be positive ints or None, got {noise_shape}."
                )
        if broadcast_dims:
            raise ValueError("pass either broadcast_dims or noise_shape, not both.")
    return broadcast_dims, noise_shape


class Dropout(RandomModule):
    r"""Randomly zeroes inputs with probability ``rate`` and rescales the rest (Keras ``Dropout``).

    In train mode each entry is kept independently with probability :math:`1-p`
    (:math:`p` = ``rate``) and divided by :math:`1-p`,

    .. math::

        y = \frac{m \odot x}{1 - p}, \qquad m_i \sim \mathrm{Bernoulli}(1 - p),

    so that :math:`\mathbb{E}[y] = x`. In eval mode :math:`y = x` exactly. Axes listed
    in ``broadcast_dims`` (or set to 1 in ``noise_shape``) share one mask entry.
    With the same key the mask is the one of :class:`flax.nnx.Dropout`.

    ``rate=0`` is the identity. ``rate=1`` is rejected (Keras and Flax accept it and
    return zeros): the scale :math:`1/(1-p)` is infinite there, the output carries no
    information about the input and its gradient is zero, so it is almost surely a
    mistake (a keep probability passed as a drop probability, or a schedule overshooting).

    Args:
      rate: drop probability :math:`p \in [0, 1)` (not the keep probability).
      broadcast_dims: axes along which the mask is shared (Flax's argument).
      noise_shape: Keras' alternative to ``broadcast_dims``: one entry per input axis,
        ``1`` to share the mask along it, ``None`` (or the axis size) not to.
      deterministic: ``False`` (default, train mode) applies dropout; ``True`` is the
        identity. ``model.train()`` / ``model.eval()`` set it.
      rng_collection: name of the ``nnx.Rngs`` stream the masks come from.
      rngs: an ``nnx.Rngs`` (its ``rng_collection`` stream, or ``default``, is forked)
        or an ``nnx.RngStream``; may be omitted if every call gets ``rngs=`` or ``key=``.

    Raises:
      ValueError: ``rate`` outside ``[0, 1)``; ``rngs`` without the stream; both
        ``broadcast_dims`` and ``noise_shape``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> import jreg
      >>> layer = jreg.nn.Dropout(0.5, rngs=nnx.Rngs(dropout=0))
      >>> y = layer(jnp.ones((2, 8)))
      >>> sorted(set(y.ravel().tolist())) in ([0.0, 2.0], [2.0], [0.0])
      True
      >>> layer.eval()
      >>> print(layer(jnp.ones((1, 3))))
      [[1. 1. 1.]]
    """

    def __init__(
        self,
        rate: float,
        *,
        broadcast_dims: Sequence[int] = (),
        noise_shape: Sequence[int | None] | None = None,
        deterministic: bool | None = False,
        rng_collection: str = "dropout",
        rngs: nnx.Rngs | nnx.RngStream | None = None,
    ):
        check_rate(rate)
        self.rate = float(rate)
        self.broadcast_dims, self.noise_shape = _check_noise_options(broadcast_dims, noise_shape)
        self._init_randomness(deterministic=deterministic, rng_collection=rng_collection, rngs=rngs)

    def _mask_shape(self, inputs: jax.Array) -> tuple[int, ...]:
        return _noise_shape(inputs.shape, self.broadcast_dims, self.noise_shape)

    def __call__(
        self,
        inputs: jax.Array,
        *,
        deterministic: bool | None = None,
        rngs: RngsLike = None,
        key: jax.Array | None = None,
    ) -> jax.Array:
        """Apply dropout (train mode) or return ``inputs`` unchanged (eval mode).

        Args:
          inputs: floating-point array of any shape.
          deterministic: overrides the attribute for this call.
          rngs: overrides the constructor's source: an ``nnx.Rngs``, ``nnx.RngStream``
            or a PRNG key.
          key: an explicit PRNG key for this call (the jreg convention).

        Returns:
          An array with the shape and dtype of ``inputs``.
        """
        check_floating(inputs)
        if self._deterministic(deterministic) or self.rate == 0.0:
            return inputs
        shape = self._mask_shape(inputs)
        return masked(self._next_key(rngs, key), inputs, self.rate, shape=shape)


class _SpatialDropout(Dropout):
    _spatial_rank: int = 0

    def __init__(
        self,
        rate: float,
        *,
        data_format: str = "channels_last",
        deterministic: bool | None = False,
        rng_collection: str = "dropout",
        rngs: nnx.Rngs | nnx.RngStream | None = None,
    ):
        if data_format not in ("channels_last", "channels_first"):
            raise ValueError(
                f"data_format must be 'channels_last' or 'channels_first', got {data_format!r}."
            )
        super().__init__(
            rate, deterministic=deterministic, rng_collection=rng_collection, rngs=rngs
        )
        self.data_format = data_format

    def _mask_shape(self, inputs: jax.Array) -> tuple[int, ...]:
        ndim = self._spatial_rank + 2
        spatial = ", ".join(["D", "H", "W"][3 - self._spatial_rank :])
        layout = f"N, {spatial}, C" if self.data_format == "channels_last" else f"N, C, {spatial}"
        check_ndim(inputs, ndim, type(self).__name__, layout)
        if self.data_format == "channels_last":
            return (inputs.shape[0],) + (1,) * self._spatial_rank + (inputs.shape[-1],)
        return inputs.shape[:2] + (1,) * self._spatial_rank


class SpatialDropout1D(_SpatialDropout):
    r"""Drops whole channels of a sequence (Keras ``SpatialDropout1D``).

    For inputs of shape ``(N, T, C)`` (``data_format="channels_last"``, Keras' default)
    or ``(N, C, T)``, one Bernoulli(:math:`1-p`) draw per (example, channel) keeps or
    zeroes the whole channel; kept channels are divided by :math:`1-p`. Adjacent steps
    of a channel are strongly correlated, so element-wise dropout would barely
    regularize them (Tompson et al., 2015). Identity in eval mode; ``rate=1`` is rejected.

    Args:
      rate: drop probability :math:`p \in [0, 1)`.
      data_format: ``"channels_last"`` (default) or ``"channels_first"``.
      deterministic: see :class:`Dropout`.
      rng_collection: see :class:`Dropout`.
      rngs: see :class:`Dropout`.

    Raises:
      ValueError: ``rate`` outside ``[0, 1)``; ``inputs`` not of rank 3 (at call time).

    References:
      Tompson, Goroshin, Jain, LeCun, Bregler (2015). Efficient object localization
      using convolutional networks. CVPR.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> import jreg
      >>> layer = jreg.nn.SpatialDropout1D(0.5, rngs=nnx.Rngs(0))
      >>> y = layer(jnp.ones((4, 5, 3)))
      >>> bool(jnp.all(y.min(axis=1) == y.max(axis=1)))  # constant over time
      True
    """

    _spatial_rank = 1


class SpatialDropout2D(_SpatialDropout):
    r"""Drops whole feature maps of an image batch (Keras ``SpatialDropout2D``).

    Inputs ``(N, H, W, C)`` (``channels_last``, default) or ``(N, C, H, W)``: one
    Bernoulli(:math:`1-p`) draw per (example, channel); kept maps are divided by
    :math:`1-p`. Identity in eval mode; ``rate=1`` is rejected.

    Args:
      rate: drop probability :math:`p \in [0, 1)`.
      data_format: ``"channels_last"`` (default) or ``"channels_first"``.
      deterministic: see :class:`Dropout`.
      rng_collection: see :class:`Dropout`.
      rngs: see :class:`Dropout`.

    Raises:
      ValueError: ``rate`` outside ``[0, 1)``; ``inputs`` not of rank 4 (at call time).

    References:
      Tompson, Goroshin, Jain, LeCun, Bregler (2015). Efficient object localization
      using convolutional networks. CVPR.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> import jreg
      >>> layer = jreg.nn.SpatialDropout2D(0.5, rngs=nnx.Rngs(0))
      >>> y = layer(jnp.ones((4, 3, 3, 2)))
      >>> bool(jnp.all(y.min(axis=(1, 2)) == y.max(axis=(1, 2))))
      True
    """

    _spatial_rank = 2


class SpatialDropout3D(_SpatialDropout):
    r"""Drops whole channels of a volume batch (Keras ``SpatialDropout3D``).

    Inputs ``(N, D, H, W, C)`` (``channels_last``, default) or ``(N, C, D, H, W)``: one
    Bernoulli(:math:`1-p`) draw per (example, channel); kept channels are divided by
    :math:`1-p`. Identity in eval mode; ``rate=1`` is rejected.

    Args:
      rate: drop probability :math:`p \in [0, 1)`.
      data_format: ``"channels_last"`` (default) or ``"channels_first"``.
      deterministic: see :class:`Dropout`.
      rng_collection: see :class:`Dropout`.
      rngs: see :class:`Dropout`.

    Raises:
      ValueError: ``rate`` outside ``[0, 1)``; ``inputs`` not of rank 5 (at call time).

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> import jreg
      >>> layer = jreg.nn.SpatialDropout3D(0.5, rngs=nnx.Rngs(0))
      >>> y = layer(jnp.ones((2, 2, 2, 2, 3)))
      >>> bool(jnp.all(y.min(axis=(1, 2, 3)) == y.max(axis=(1, 2, 3))))
      True
    """

    _spatial_rank = 3


class GaussianDropout(RandomModule):
    r"""Multiplies inputs by Gaussian noise of mean 1 (Keras ``GaussianDropout``).

    .. math::

        y = x \odot \varepsilon, \qquad
        \varepsilon_i \sim \mathcal{N}\!\left(1, \tfrac{p}{1-p}\right)
        \text{ (variance } p/(1-p)\text{, standard deviation } \sqrt{p/(1-p)}\text{)},

    the Gaussian with the mean and variance of the multiplicative factor of
    :class:`Dropout` with rate :math:`p` (Srivastava et al., 2014, section 10). The
    mean is preserved, :math:`\mathbb{E}[y] = x`. Identity in eval mode.

    Args:
      rate: drop probability :math:`p \in [0, 1)`. ``rate=1`` is rejected: the noise
        variance :math:`p/(1-p)` would be infinite (Keras accepts it and then produces
        inf/NaN).
      deterministic: see :class:`Dropout`.
      rng_collection: see :class:`Dropout`.
      rngs: see :class:`Dropout`.

    Raises:
      ValueError: ``rate`` outside ``[0, 1)``.

    References:
      Srivastava, Hinton, Krizhevsky, Sutskever, Salakhutdinov (2014). Dropout: a simple
      way to prevent neural networks from overfitting. JMLR 15.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> import jreg
      >>> layer = jreg.nn.GaussianDropout(0.2, rngs=nnx.Rngs(0))
      >>> y = layer(jnp.ones((1000, 10)))
      >>> round(float(y.mean()), 1), round(float(y.var()), 2)  # mean 1, var 0.25
      (1.0, 0.25)
    """

    def __init__(
        self,
        rate: float,
        *,
        deterministic: bool | None = False,
        rng_collection: str = "dropout",
        rngs: nnx.Rngs | nnx.RngStream | None = None,
    ):
        check_rate(rate)
        self.rate = float(rate)
        self._init_randomness(deterministic=deterministic, rng_collection=rng_collection, rngs=rngs)

    def __call__(
        self,
        inputs: jax.Array,
        *,
        deterministic: bool | None = None,
        rngs: RngsLike = None,
        key: jax.Array | None = None,
    ) -> jax.Array:
        r"""Multiply by :math:`\mathcal{N}(1, p/(1-p))` noise in train mode; identity in eval.

        Args:
          inputs: floating-point array of any shape.
          deterministic: overrides the attribute for this call.
          rngs: overrides the constructor's source (``nnx.Rngs``, ``RngStream`` or key).
          key: an explicit PRNG key for this call.

        Returns:
          An array with the shape and dtype of ``inputs``.
        """
        check_floating(inputs)
        if self._deterministic(deterministic) or self.rate == 0.0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        return _gaussian(self._next_key(rngs, key), inputs, stddev, multiplicative=True)


class GaussianNoise(RandomModule):
    r"""Adds zero-mean Gaussian noise (Keras ``GaussianNoise``).

    .. math::

        y = x + \sigma\,\varepsilon, \qquad \varepsilon_i \sim \mathcal{N}(0, 1),

    with :math:`\sigma` = ``stddev``. Identity in eval mode.

    Args:
      stddev: standard deviation :math:`\sigma \ge 0` of the noise. Keras 3 also
        requires :math:`\sigma \le 1`; jreg accepts any finite non-negative value.
      deterministic: see :class:`Dropout`.
      rng_collection: see :class:`Dropout`.
      rngs: see :class:`Dropout`.

    Raises:
      ValueError: ``stddev`` negative, NaN or infinite.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> import jreg
      >>> layer = jreg.nn.GaussianNoise(0.5, rngs=nnx.Rngs(0))
      >>> y = layer(jnp.zeros((1000, 10)))
      >>> round(float(y.mean()), 1), round(float(y.std()), 1)
      (0.0, 0.5)
    """

    def __init__(
        self,
        stddev: float,
        *,
        deterministic: bool | None = False,
        rng_collection: str = "dropout",
        rngs: nnx.Rngs | nnx.RngStream | None = None,
    ):
        if isinstance(stddev, bool) or not isinstance(stddev, int | float):
            raise TypeError(f"stddev must be a number, got {type(stddev).__name__}.")
        check_finite(stddev, "stddev")
        check_nonnegative(stddev, "stddev")
        self.stddev = float(stddev)
        self._init_randomness(deterministic=deterministic, rng_collection=rng_collection, rngs=rngs)

    def __call__(
        self,
        inputs: jax.Array,
        *,
        deterministic: bool | None = None,
        rngs: RngsLike = None,
        key: jax.Array | None = None,
    ) -> jax.Array:
        r"""Add :math:`\mathcal{N}(0, \sigma^2)` noise in train mode; identity in eval.

        Args:
          inputs: floating-point array of any shape.
          deterministic: overrides the attribute for this call.
          rngs: overrides the constructor's source (``nnx.Rngs``, ``RngStream`` or key).
          key: an explicit PRNG key for this call.

        Returns:
          An array with the shape and dtype of ``inputs``.
        """
        check_floating(inputs)
        if self._deterministic(deterministic) or self.stddev == 0.0:
            return inputs
        key = self._next_key(rngs, key)
        return _gaussian(key, inputs, self.stddev, multiplicative=False)


class AlphaDropout(RandomModule):
    r"""Dropout that keeps the self-normalizing property of SELU (Keras ``AlphaDropout``).

    Dropped entries are set to SELU's negative saturation value
    :math:`\alpha' = -\lambda\alpha` instead of 0, then an affine map restores zero
    mean and unit variance (Klambauer et al., 2017, section "New dropout technique"):

    .. math::

        y = a\,\bigl(m \odot x + \alpha' (1 - m)\bigr) + b, \qquad
        m_i \sim \mathrm{Bernoulli}(1 - p),

        a = \bigl((1 - p)(1 + p\,\alpha'^2)\bigr)^{-1/2}, \qquad b = -a\,\alpha'\,p,

    with :math:`\alpha = 1.6732632423543772848`, :math:`\lambda = 1.0507009873554804934`
    (SELU's constants, so :math:`\alpha' \approx -1.7581`). For inputs of mean 0 and
    variance 1 the output has mean 0 and variance 1. Identity in eval mode.

    Args:
      rate: drop probability :math:`p \in [0, 1)`. ``rate=1`` is rejected (``a`` is
        infinite; Keras accepts it and produces inf/NaN).
      noise_shape: as in :class:`Dropout` (Keras' argument).
      deterministic: see :class:`Dropout`.
      rng_collection: see :class:`Dropout`.
      rngs: see :class:`Dropout`.

    Raises:
      ValueError: ``rate`` outside ``[0, 1)``.

    References:
      Klambauer, Unterthiner, Mayr, Hochreiter (2017). Self-normalizing neural
      networks. NeurIPS.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> from flax import nnx
      >>> import jreg
      >>> x = jax.random.normal(jax.random.key(1), (2000, 50))
      >>> y = jreg.nn.AlphaDropout(0.2, rngs=nnx.Rngs(0))(x)
      >>> round(float(y.mean()), 1), round(float(y.var()), 1)
      (0.0, 1.0)
    """

    def __init__(
        self,
        rate: float,
        *,
        noise_shape: Sequence[int | None] | None = None,
        deterministic: bool | None = False,
        rng_collection: str = "dropout",
        rngs: nnx.Rngs | nnx.RngStream | None = None,
    ):
        check_rate(rate)
        self.rate = float(rate)
        _, self.noise_shape = _check_noise_options((), noise_shape)
        self._init_randomness(deterministic=deterministic, rng_collection=rng_collection, rngs=rngs)

    def __call__(
        self,
        inputs: jax.Array,
        *,
        deterministic: bool | None = None,
        rngs: RngsLike = None,
        key: jax.Array | None = None,
    ) -> jax.Array:
        """Apply alpha dropout in train mode; identity in eval mode.

        Args:
          inputs: floating-point array of any shape (SELU activations).
          deterministic: overrides the attribute for this call.
          rngs: overrides the constructor's source (``nnx.Rngs``, ``RngStream`` or key).
          key: an explicit PRNG key for this call.

        Returns:
          An array with the shape and dtype of ``inputs``.
        """
        check_floating(inputs)
        if self._deterministic(deterministic) or self.rate == 0.0:
            return inputs
        shape = _noise_shape(inputs.shape, (), self.noise_shape)
        return _alpha_dropout(self._next_key(rngs, key), inputs, self.rate, shape=shape)
