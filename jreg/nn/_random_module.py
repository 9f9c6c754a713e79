"""What every random layer of ``jreg.nn`` shares: train/eval mode and where keys come from.

The mechanism is the one of :class:`flax.nnx.Dropout` (flax 0.12): a public
``deterministic`` attribute that ``model.train()`` / ``model.eval()`` set through
``Module.set_attributes`` and that ``nnx.view`` sets through ``set_view``; a private
stream forked from the ``rng_collection`` stream of the ``rngs`` given at construction;
and call-time overrides ``deterministic=``, ``rngs=`` (an ``nnx.Rngs``, an
``nnx.RngStream`` or a key) and ``key=`` (a key).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from .._checks import check_interval, is_concrete

RngsLike = nnx.Rngs | nnx.RngStream | jax.Array | None


def _stream_of(rngs: nnx.Rngs, rng_collection: str, owner: str) -> nnx.RngStream:
    try:
        return rngs[rng_collection]
    except KeyError:
        raise ValueError(
            f"rngs has no {rng_collection!r} stream and no 'default' stream, which "
            f"{owner} needs (rng_collection={rng_collection!r}); pass for example "
            f"nnx.Rngs(0) or nnx.Rngs(params=0, {rng_collection}=1), or choose another "
            "rng_collection."
        ) from None


def _as_key(key: Any, name: str) -> jax.Array:
    if not isinstance(key, jax.Array | np.ndarray):
        raise TypeError(
            f"{name} must be a JAX PRNG key (jax.random.key(seed)), got {type(key).__name__}."
        )
    if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        if key.ndim != 0:
            raise ValueError(
                f"{name} must be a single PRNG key, got a batch of keys with shape "
                f"{key.shape}; split it outside and use jax.vmap/nnx.vmap."
            )
        return key
    if key.dtype == jnp.uint32 and key.shape == (2,):
        return jax.random.wrap_key_data(key)
    raise TypeError(
        f"{name} must be a JAX PRNG key (jax.random.key(seed) or a raw uint32 key of "
        f"shape (2,)), got an array of dtype {key.dtype} and shape {key.shape}."
    )


def check_rate(rate: Any, name: str = "rate") -> None:
    """Check a drop probability: a number in ``[0, 1)`` (a traced value is not checked).

    ``rate=1`` is rejected for every layer: the rescaling by :math:`1/(1-p)` that keeps
    the mean is infinite there, so no layer has a useful output (Keras and Flax accept it
    and return zeros for plain dropout, inf/NaN for the Gaussian and alpha variants).
    """
    if isinstance(rate, bool) or not isinstance(rate, int | float | np.number | jax.Array):
        raise TypeError(f"{name} must be a number in [0, 1), got {type(rate).__name__}.")
    check_interval(rate, name, 0.0, 1.0, high_inclusive=False)


def check_floating(inputs: Any, name: str = "inputs") -> None:
    """Raise ``TypeError`` unless ``inputs`` is a floating-point array."""
    dtype = getattr(inputs, "dtype", None)
    if dtype is None or not jnp.issubdtype(dtype, jnp.floating):
        raise TypeError(
            f"{name} must be a floating-point array, got "
            f"{'dtype ' + str(dtype) if dtype is not None else type(inputs).__name__}."
        )


def check_ndim(inputs: jax.Array, ndim: int | Sequence[int], owner: str, layout: str) -> None:
    """Raise ``ValueError`` naming ``inputs`` unless it has the expected rank."""
    allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
    if inputs.ndim not in allowed:
        raise ValueError(
            f"inputs of {owner} must have rank {' or '.join(map(str, allowed))} "
            f"({layout}), got shape {inputs.shape} (rank {inputs.ndim})."
        )


def is_zero(value: Any) -> bool:
    """True when ``value`` is a concrete zero (a traced value is never known to be zero)."""
    return is_concrete(value) and bool(np.all(np.asarray(value) == 0))


class RandomModule(nnx.Module):
    """Base of the random layers: train/eval mode and the source of random keys.

    Subclasses call :meth:`_init_randomness` in ``__init__``; in ``__call__`` they call
    :meth:`_deterministic` and then :meth:`_next_key` only when they need randomness.
    """

    def _init_randomness(
        self,
        *,
        deterministic: bool | None,
        rng_collection: str,
        rngs: nnx.Rngs | nnx.RngStream | None,
    ) -> None:
        if not isinstance(rng_collection, str):
            raise TypeError(f"rng_collection must be a str, got {type(rng_collection).__name__}.")
        if deterministic is not None and not isinstance(deterministic, bool):
            raise TypeError(
                f"deterministic must be a bool or None, got {type(deterministic).__name__}."
            )
        self.deterministic = deterministic
        self.rng_collection = rng_collection
        owner = type(self).__name__
        if isinstance(rngs, nnx.Rngs):
            self.rngs = _stream_of(rngs, rng_collection, owner).fork()
        elif isinstance(rngs, nnx.RngStream):
            self.rngs = rngs.fork()
        elif rngs is None:
            self.rngs = nnx.data(None)
        else:
            raise TypeError(
                f"rngs must be an nnx.Rngs, an nnx.RngStream or None, got {type(rngs).__name__}."
            )

    def _deterministic(self, deterministic: bool | None) -> bool:
        if deterministic is None:
            deterministic = self.deterministic
        if deterministic is None:
            raise ValueError(
                f"deterministic is None both in the {type(self).__name__} constructor and in "
                "the call; pass deterministic=True/False to either, or call model.train() / "
                "model.eval()."
            )
        return bool(deterministic)

    def _next_key(self, rngs: RngsLike, key: jax.Array | None) -> jax.Array:
        owner = type(self).__name__
        if key is not None:
            if rngs is not None:
                raise ValueError("pass either key or rngs to the call, not both.")
            return _as_key(key, "key")
        source = rngs if rngs is not None else self.rngs
        if source is None:
            raise ValueError(
                f"{owner} is in train mode (deterministic=False) but has no random source: "
                f"pass rngs=nnx.Rngs(...) to the constructor, or rngs=/key= to the call, or "
                "switch to eval mode with model.eval() (or deterministic=True)."
            )
        if isinstance(source, nnx.Rngs):
            return _stream_of(source, self.rng_collection, owner)()
        if isinstance(source, nnx.RngStream):
            return source()
        if isinstance(source, jax.Array | np.ndarray):
            return _as_key(source, "rngs")
        raise TypeError(
            "rngs must be an nnx.Rngs, an nnx.RngStream or a PRNG key, got "
            f"{type(source).__name__}."
        )

    def set_view(self, deterministic: bool | None = None):
        """Hook used by ``nnx.view``: ``deterministic=True`` gives the eval-mode layer.

        Args:
          deterministic: if given, the new value of the ``deterministic`` attribute.
        """
        if deterministic is not None:
            self.deterministic = deterministic


class AugmentLayer(RandomModule):
    """Base of the augmentation layers: the shared call.

    Eval mode returns :meth:`_identity` of the input (the input itself unless a layer
    says otherwise, e.g. a crop); train mode draws one key and returns
    :meth:`_augment` of :meth:`_prepare` of the input.
    """

    def __call__(
        self,
        inputs: Any,
        *,
        deterministic: bool | None = None,
        rngs: RngsLike = None,
        key: jax.Array | None = None,
    ) -> jax.Array:
        """Augment ``inputs`` (train mode) or return them unchanged (eval mode).

        Args:
          inputs: the batch (see the class docstring for its layout).
          deterministic: overrides the attribute (``True`` = eval mode).
          rngs: an ``nnx.Rngs``, ``nnx.RngStream`` or key to draw from instead of the
            layer's own stream.
          key: an explicit PRNG key.

        Returns:
          The augmented batch.
        """
        if self._deterministic(deterministic):
            return self._identity(inputs)
        return self._augment(self._next_key(rngs, key), self._prepare(inputs))

    def _identity(self, inputs):
        return inputs

    def _prepare(self, inputs):
        return inputs

    def _augment(self, key, inputs):  # pragma: no cover - abstract
        raise NotImplementedError
