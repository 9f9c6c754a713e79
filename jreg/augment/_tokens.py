"""Token-sequence augmentation: masking, random replacement, span masking.

Tokens are integer arrays ``(N, L)``. Positions holding ``pad_id`` are never changed.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp

from jreg.augment._common import check_probability, check_size


def _tokens(tokens: Any) -> jax.Array:
    if not hasattr(tokens, "dtype"):
        tokens = jnp.asarray(tokens)
    if tokens.ndim != 2:
        raise ValueError(f"tokens must have shape (N, L); got {tuple(tokens.shape)}.")
    if not jnp.issubdtype(tokens.dtype, jnp.integer):
        raise TypeError(f"tokens must hold integer ids; got {tokens.dtype}.")
    return jnp.asarray(tokens)


def _not_pad(tokens, pad_id):
    if pad_id is None:
        return jnp.ones(tokens.shape, bool)
    return tokens != pad_id


def mask_tokens(tokens: Any, mask: Any, *, mask_id: int, pad_id: int | None = None) -> jax.Array:
    """Replace the tokens selected by ``mask`` with ``mask_id``, leaving padding alone.

    Args:
      tokens: integer ``(N, L)``.
      mask: boolean, broadcastable to ``tokens``.
      mask_id: the replacement id (e.g. ``[MASK]``).
      pad_id: padding id, never replaced (``None``: no padding).

    Returns:
      ``where(mask & (tokens != pad_id), mask_id, tokens)``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> t = jnp.array([[5, 6, 7, 0]])
      >>> print(augment.mask_tokens(t, jnp.array([[1, 0, 1, 1]], bool), mask_id=1, pad_id=0))
      [[1 6 1 0]]
    """
    tokens = _tokens(tokens)
    mask = jnp.asarray(mask, bool)
    return jnp.where(mask & _not_pad(tokens, pad_id), jnp.asarray(mask_id, tokens.dtype), tokens)


def token_dropout(
    key: jax.Array, tokens: Any, rate: float, *, mask_id: int, pad_id: int | None = None
) -> jax.Array:
    """Replace each non-padding token by ``mask_id`` with probability ``rate``.

    Args:
      key: a JAX PRNG key.
      tokens: integer ``(N, L)``.
      rate: probability in ``[0, 1]``.
      mask_id: replacement id.
      pad_id: padding id, never replaced.

    Returns:
      Tokens with some ids replaced by ``mask_id``.

    Examples:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> t = jnp.array([[5, 6, 7, 0, 0]])
      >>> print(augment.token_dropout(jax.random.key(0), t, 1.0, mask_id=1, pad_id=0))
      [[1 1 1 0 0]]
    """
    check_probability(rate, "rate")
    tokens = _tokens(tokens)
    return _token_dropout(key, tokens, rate, mask_id, pad_id=pad_id)


@functools.partial(jax.jit, static_argnames=("pad_id",))
def _token_dropout(key, tokens, rate, mask_id, *, pad_id):
    drop = jax.random.uniform(key, tokens.shape) < rate
    keep = ~(drop & _not_pad(tokens, pad_id))
    return jnp.where(keep, tokens, jnp.asarray(mask_id, tokens.dtype))


def check_replacement(rate: Any, vocab_size: Any, pad_id: Any) -> None:
    """The argument checks of :func:`random_token_replacement` (shared with its layer)."""
    check_probability(rate, "rate")
    check_size(vocab_size, "vocab_size")
    if pad_id is not None and pad_id < vocab_size and vocab_size < 2:
        raise ValueError("vocab_size must be at least 2 when pad_id is excluded from draws.")


def random_token_replacement(
    key: jax.Array,
    tokens: Any,
    rate: float,
    *,
    vocab_size: int,
    pad_id: int | None = None,
) -> jax.Array:
    """Replace each non-padding token with probability ``rate`` by a uniform random id.

    Replacement ids are uniform over ``[0, vocab_size)`` without ``pad_id`` (so no padding
    appears inside a sequence).

    Args:
      key: a JAX PRNG key.
      tokens: integer ``(N, L)``.
      rate: probability in ``[0, 1]``.
      vocab_size: number of ids.
      pad_id: padding id, never replaced and never drawn.

    Returns:
      Tokens with some ids replaced.

    Examples:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> t = jnp.array([[5, 6, 7, 0, 0]])
      >>> out = augment.random_token_replacement(jax.random.key(0), t, 1.0, vocab_size=10,
      ...                                        pad_id=0)
      >>> print(out[0, 3:], bool((out[0, :3] > 0).all()))
      [0 0] True
    """
    check_replacement(rate, vocab_size, pad_id)
    tokens = _tokens(tokens)
    return _replace(key, tokens, rate, vocab_size=vocab_size, pad_id=pad_id)


@functools.partial(jax.jit, static_argnames=("vocab_size", "pad_id"))
def _replace(key, tokens, rate, *, vocab_size, pad_id):
    key_where, key_id = jax.random.split(key)
    replace = (jax.random.uniform(key_where, tokens.shape) < rate) & _not_pad(tokens, pad_id)
    if pad_id is None or pad_id >= vocab_size:  # pad_id cannot be drawn anyway
        ids = jax.random.randint(key_id, tokens.shape, 0, vocab_size)
    else:  # uniform over the ids other than pad_id
        ids = jax.random.randint(key_id, tokens.shape, 0, vocab_size - 1)
        ids = jnp.where(ids >= pad_id, ids + 1, ids)
    return jnp.where(replace, ids.astype(tokens.dtype), tokens)


def span_mask(
    tokens: Any,
    starts: Any,
    span_length: int,
    *,
    mask_id: int,
    pad_id: int | None = None,
) -> jax.Array:
    """Mask the spans ``[start, start + span_length)`` of each sequence (padding kept).

    Args:
      tokens: integer ``(N, L)``.
      starts: integer ``(N,)`` or ``(N, S)`` span starts.
      span_length: static span length.
      mask_id: replacement id.
      pad_id: padding id, never replaced.

    Returns:
      Masked tokens.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> t = jnp.array([[5, 6, 7, 8, 0]])
      >>> print(augment.span_mask(t, jnp.array([2]), 3, mask_id=1, pad_id=0))
      [[5 6 1 1 0]]
    """
    tokens = _tokens(tokens)
    check_size(span_length, "span_length")
    starts = jnp.asarray(starts)
    if starts.ndim == 1:
        starts = starts[:, None]
    if starts.ndim != 2 or starts.shape[0] != tokens.shape[0]:
        raise ValueError(
            f"starts must have shape (N,) or (N, S) with N={tokens.shape[0]}; "
            f"got {tuple(starts.shape)}."
        )
    positions = jnp.arange(tokens.shape[1])[None, None, :]
    inside = (positions >= starts[..., None]) & (positions < starts[..., None] + span_length)
    return mask_tokens(tokens, jnp.any(inside, axis=1), mask_id=mask_id, pad_id=pad_id)


def random_span_mask(
    key: jax.Array,
    tokens: Any,
    *,
    span_length: int,
    num_spans: int = 1,
    mask_id: int,
    pad_id: int | None = None,
) -> jax.Array:
    r"""Mask ``num_spans`` random spans of ``span_length`` tokens per sequence.

    Starts are uniform over :math:`\{0, \dots, \max(n_i - \ell, 0)\}` with :math:`n_i` the
    number of non-padding tokens of sequence ``i`` (right padding keeps the spans inside
    the text); padding is never replaced wherever it is.

    Args:
      key: a JAX PRNG key.
      tokens: integer ``(N, L)``.
      span_length: :math:`\ell`, static.
      num_spans: spans per sequence (they may overlap).
      mask_id: replacement id.
      pad_id: padding id.

    Returns:
      Masked tokens.

    Examples:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> from jreg import augment
      >>> t = jnp.array([[5, 6, 7, 8, 0, 0]])
      >>> out = augment.random_span_mask(jax.random.key(0), t, span_length=2, mask_id=1,
      ...                                pad_id=0)
      >>> int((out == 1).sum()), out[0, 4:].tolist()
      (2, [0, 0])
    """
    tokens = _tokens(tokens)
    check_size(span_length, "span_length", tokens.shape[1], "the sequence length")
    check_size(num_spans, "num_spans")
    return _random_span(
        key, tokens, mask_id, span_length=span_length, num_spans=num_spans, pad_id=pad_id
    )


@functools.partial(jax.jit, static_argnames=("span_length", "num_spans", "pad_id"))
def _random_span(key, tokens, mask_id, *, span_length, num_spans, pad_id):
    n = tokens.shape[0]
    length = jnp.sum(_not_pad(tokens, pad_id), axis=1)
    room = jnp.maximum(length - span_length, 0) + 1
    u = jax.random.uniform(key, (n, num_spans))
    starts = jnp.floor(u * room[:, None]).astype(jnp.int32)
    return span_mask(tokens, starts, span_length, mask_id=mask_id, pad_id=pad_id)
