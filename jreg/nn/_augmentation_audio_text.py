r"""Audio and token augmentation layers, as Flax NNX modules.

They wrap the audio and token functions of :mod:`jreg.augment` exactly as the image
layers of ``_augmentation.py`` wrap the image ones: constructed in train mode
(``deterministic=False``), keys from a stream forked at construction from
``rngs['augment']`` (``rng_collection``; ``'default'`` when missing), call-time
``deterministic=``, ``rngs=`` or ``key=`` overrides, and the exact identity in eval mode
(``model.eval()``). Inputs keep their dtype: waveforms and spectrograms must be floating
(``TypeError`` naming them otherwise), tokens integer.

Names follow torchaudio where it has the layer (``TimeMasking``, ``FrequencyMasking``),
with torchaudio's parameter names; layouts are jreg's: waveforms ``(N, T)`` or
``(N, T, C)``, spectrograms ``(N, T, F)`` (time first; torchaudio's are
``(..., F, T)``), tokens ``(N, L)``.
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
from flax import nnx

from jreg import augment
from jreg._checks import check_interval
from jreg.augment._audio import _random_bands, _spectrograms
from jreg.augment._common import check_probability, check_size, factor_range
from jreg.augment._tokens import check_replacement

from ._random_module import AugmentLayer


def _check_id(value: Any, name: str, optional: bool = False) -> None:
    if optional and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be a Python int (a token id); got {value!r}.")
    if value < 0:
        raise ValueError(f"{name} must be non-negative; got {value}.")


def _check_mask_and_pad(mask_id: Any, pad_id: Any) -> None:
    _check_id(mask_id, "mask_id")
    _check_id(pad_id, "pad_id", optional=True)
    if pad_id is not None and mask_id == pad_id:
        raise ValueError(f"mask_id must differ from pad_id; both are {mask_id}.")


# --------------------------------------------------------------------------- audio


class RandomGain(AugmentLayer):
    r"""Scale each waveform by a random gain :math:`g \sim U(a, b)` dB: :math:`x\,10^{g/20}`.

    See ``augment.random_gain``.

    Args:
      gain_db: pair ``(a, b)`` or a number ``f`` meaning ``(-f, f)``; default
        ``(-6.0, 6.0)``.
      deterministic: ``True`` builds the layer in eval mode.
      rng_collection: the ``nnx.Rngs`` stream to fork, default ``'augment'``.
      rngs: an ``nnx.Rngs`` or ``nnx.RngStream``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from jreg.nn import RandomGain
      >>> layer = RandomGain((20.0, 20.0), rngs=nnx.Rngs(0))
      >>> print(layer(jnp.ones((2, 3))))
      [[10. 10. 10.]
       [10. 10. 10.]]
    """

    def __init__(
        self,
        gain_db: Any = (-6.0, 6.0),
        *,
        deterministic: bool | None = False,
        rng_collection: str = "augment",
        rngs: nnx.Rngs | nnx.RngStream | None = None,
    ):
        factor_range(gain_db, "gain_db")
        self.gain_db = gain_db
        self._init_randomness(deterministic=deterministic, rng_collection=rng_collection, rngs=rngs)

    def _augment(self, key, inputs):
        return augment.random_gain(key, inputs, self.gain_db)


class RandomTimeShift(AugmentLayer):
    r"""Shift each waveform in time by :math:`\mathrm{round}(U(a, b)\,T)` samples.

    Positive shifts delay. ``rollover=True`` rotates the samples pushed out back in at the
    other end; otherwise the vacated samples are zero. See ``augment.random_time_shift``.

    Args:
      max_shift: fraction of the length: a number ``f`` meaning ``(-f, f)``, or a pair,
        within ``[-1, 1]``; default 0.2.
      rollover: rotate (default) instead of zero-filling.
      deterministic: ``True`` builds the layer in eval mode.
      rng_collection: the ``nnx.Rngs`` stream to fork, default ``'augment'``.
      rngs: an ``nnx.Rngs`` or ``nnx.RngStream``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from jreg.nn import RandomTimeShift
      >>> layer = RandomTimeShift((0.25, 0.25), rollover=False, rngs=nnx.Rngs(0))
      >>> print(layer(jnp.array([[1.0, 2.0, 3.0, 4.0]])))
      [[0. 1. 2. 3.]]
    """

    def __init__(
        self,
        max_shift: Any = 0.2,
        rollover: bool = True,
        *,
        deterministic: bool | None = False,
        rng_collection: str = "augment",
        rngs: nnx.Rngs | nnx.RngStream | None = None,
    ):
        factor_range(max_shift, "max_shift", low=-1.0, high=1.0)
        if not isinstance(rollover, bool):
            raise TypeError(f"rollover must be a bool; got {type(rollover).__name__}.")
        self.max_shift = max_shift
        self.rollover = rollover
        self._init_randomness(deterministic=deterministic, rng_collection=rng_collection, rngs=rngs)

    def _augment(self, key, inputs):
        return augment.random_time_shift(key, inputs, self.max_shift, rollover=self.rollover)


class RandomNoise(AugmentLayer):
    r"""Add white Gaussian noise at a random signal-to-noise ratio :math:`\sim U(a, b)` dB.

    The added noise :math:`\sigma n` (:math:`n` standard normal) is scaled so that
    :math:`10\log_{10}(P_x / P_{\sigma n}) = \mathrm{SNR}` exactly, :math:`P` the mean
    square of each example; a silent waveform stays silent. See ``augment.random_noise``.

    Args:
      snr_db: pair ``(a, b)`` or a number (a fixed SNR); default ``(10.0, 30.0)``.
      deterministic: ``True`` builds the layer in eval mode.
      rng_collection: the ``nnx.Rngs`` stream to fork, default ``'augment'``.
      rngs: an ``nnx.Rngs`` or ``nnx.RngStream``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from jreg.nn import RandomNoise
      >>> x = jnp.ones((2, 64))
      >>> noisy = RandomNoise(20.0, rngs=nnx.Rngs(0))(x)
      >>> snr = 10 * jnp.log10(jnp.mean(x**2, 1) / jnp.mean((noisy - x) ** 2, 1))
      >>> print(snr.round(3))
      [20. 20.]
    """

    def __init__(
        self,
        snr_db: Any = (10.0, 30.0),
        *,
        deterministic: bool | None = False,
        rng_collection: str = "augment",
        rngs: nnx.Rngs | nnx.RngStream | None = None,
    ):
        if isinstance(snr_db, (tuple, list)):
            factor_range(snr_db, "snr_db")
            snr_db = tuple(snr_db)
        elif isinstance(snr_db, bool) or not isinstance(snr_db, (int, float)):
            raise TypeError(f"snr_db must be a number or a pair (a, b); got {snr_db!r}.")
        self.snr_db = snr_db
        self._init_randomness(deterministic=deterministic, rng_collection=rng_collection, rngs=rngs)

    def _augment(self, key, inputs):
        return augment.random_noise(key, inputs, self.snr_db)


class _Masking(AugmentLayer):
    """SpecAugment masks along one axis of ``(N, T, F)`` spectrograms."""

    _axis = 1
    _param = "time_mask_param"

    def _init_masking(self, mask_param, iid_masks, num_masks, mask_value, p):
        check_size(mask_param, self._param)
        if not isinstance(iid_masks, bool):
            raise TypeError(f"iid_masks must be a bool; got {type(iid_masks).__name__}.")
        check_size(num_masks, "num_masks")
        check_interval(p, "p", 0.0, 1.0)
        self.mask_param = mask_param
        self.iid_masks = iid_masks
        self.num_masks = num_masks
        self.mask_value = mask_value
        self.p = p

    def _max_width(self, length):
        # with p < 1 the bound floor(p * length) always fits the input; with p = 1 a
        # mask_param longer than the input is a mistake, not something to clip silently
        if self.mask_param > length and self.p >= 1.0:
            what = "time frames" if self._axis == 1 else "frequency bins"
            raise ValueError(
                f"{self._param}={self.mask_param} is larger than the number of {what} "
                f"({length})."
            )
        return min(self.mask_param, int(self.p * length))

    def _augment(self, key, inputs):
        x = _spectrograms(inputs)
        length = x.shape[self._axis]
        max_width = self._max_width(length)
        function = augment.random_time_mask if self._axis == 1 else augment.random_frequency_mask
        if max_width == 0:  # p * length < 1: no frame may be masked
            return x
        if self.iid_masks:
            return function(
                key, x, max_width, num_masks=self.num_masks, mask_value=self.mask_value
            )
        # one set of bands for the whole batch (torchaudio's default)
        start, width = _random_bands(key, 1, self.num_masks, max_width, length)
        shape = (x.shape[0], self.num_masks)
        start, width = jnp.broadcast_to(start, shape), jnp.broadcast_to(width, shape)
        deterministic = augment.time_mask if self._axis == 1 else augment.frequency_mask
        return deterministic(x, start, width, mask_value=self.mask_value)


class TimeMasking(_Masking):
    r"""SpecAugment time masking (torchaudio ``TimeMasking``) of ``(N, T, F)`` spectrograms.

    ``num_masks`` bands of frames per example, each of width
    :math:`w \sim U\{0, \dots, W\}` and start :math:`t_0 \sim U\{0, \dots, T - w\}`, with
    :math:`W = \min(\texttt{time\_mask\_param}, \lfloor p\,T \rfloor)` (torchaudio's ``p``:
    the largest fraction of the frames one mask may cover). The integer width is the
    SpecAugment paper's draw; torchaudio draws a real width in ``[0, W)`` and floors the
    band's ends, which makes widths ``0`` and ``W`` slightly rarer. With
    ``iid_masks=True`` (jreg's default; torchaudio's is ``False``) every example gets its
    own bands (``augment.random_time_mask``); with ``False`` one draw is shared by the
    whole batch. Layout ``(N, T, F)`` (torchaudio: ``(..., F, T)``).

    Args:
      time_mask_param: :math:`W`, the largest mask width in frames (static int).
      iid_masks: independent masks per example (default ``True``).
      num_masks: bands per example (SpecAugment's :math:`m_T`), default 1.
      mask_value: the fill, default 0.
      p: in ``[0, 1]``, default 1.
      deterministic: ``True`` builds the layer in eval mode.
      rng_collection: the ``nnx.Rngs`` stream to fork, default ``'augment'``.
      rngs: an ``nnx.Rngs`` or ``nnx.RngStream``.

    References:
      Park et al., "SpecAugment: A simple data augmentation method for automatic speech
      recognition", Interspeech 2019.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from jreg.nn import TimeMasking
      >>> layer = TimeMasking(3, num_masks=2, rngs=nnx.Rngs(0))
      >>> out = layer(jnp.ones((4, 10, 5)))
      >>> out.shape, bool((layer(out, deterministic=True) == out).all())
      ((4, 10, 5), True)
    """

    _axis = 1
    _param = "time_mask_param"

    def __init__(
        self,
        time_mask_param: int,
        iid_masks: bool = True,
        num_masks: int = 1,
        mask_value: float = 0.0,
        p: float = 1.0,
        *,
        deterministic: bool | None = False,
        rng_collection: str = "augment",
        rngs: nnx.Rngs | nnx.RngStream | None = None,
    ):
        self._init_masking(time_mask_param, iid_masks, num_masks, mask_value, p)
        self.time_mask_param = time_mask_param
        self._init_randomness(deterministic=deterministic, rng_collection=rng_collection, rngs=rngs)


class FrequencyMasking(_Masking):
    r"""SpecAugment frequency masking (torchaudio ``FrequencyMasking``), ``(N, T, F)``.

    ``num_masks`` bands of bins per example, width :math:`w \sim U\{0, \dots, W\}`
    (:math:`W` = ``freq_mask_param``), start :math:`f_0 \sim U\{0, \dots, F - w\}`
    (``augment.random_frequency_mask``; torchaudio draws a real width in ``[0, W)``).
    ``iid_masks=True`` (jreg's default; torchaudio's is ``False``) gives every example
    its own bands; ``False`` shares one draw across the batch.

    Args:
      freq_mask_param: :math:`W`, the largest mask width in bins (static int).
      iid_masks: independent masks per example (default ``True``).
      num_masks: bands per example (SpecAugment's :math:`m_F`), default 1.
      mask_value: the fill, default 0.
      deterministic: ``True`` builds the layer in eval mode.
      rng_collection: the ``nnx.Rngs`` stream to fork, default ``'augment'``.
      rngs: an ``nnx.Rngs`` or ``nnx.RngStream``.

    References:
      Park et al., "SpecAugment", Interspeech 2019.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from jreg.nn import FrequencyMasking
      >>> layer = FrequencyMasking(2, rngs=nnx.Rngs(0))
      >>> layer(jnp.ones((4, 10, 5))).shape
      (4, 10, 5)
    """

    _axis = 2
    _param = "freq_mask_param"

    def __init__(
        self,
        freq_mask_param: int,
        iid_masks: bool = True,
        num_masks: int = 1,
        mask_value: float = 0.0,
        *,
        deterministic: bool | None = False,
        rng_collection: str = "augment",
        rngs: nnx.Rngs | nnx.RngStream | None = None,
    ):
        self._init_masking(freq_mask_param, iid_masks, num_masks, mask_value, 1.0)
        self.freq_mask_param = freq_mask_param
        self._init_randomness(deterministic=deterministic, rng_collection=rng_collection, rngs=rngs)


# -------------------------------------------------------------------------- tokens


class TokenDropout(AugmentLayer):
    """Replace each non-padding token by ``mask_id`` with probability ``rate``.

    Token-level dropout to a ``[MASK]`` id (BERT-style masking without the 80/10/10
    split); positions holding ``pad_id`` never change. See ``augment.token_dropout``.

    Args:
      rate: probability in ``[0, 1]``.
      mask_id: the replacement id.
      pad_id: padding id, never replaced (``None``: no padding).
      deterministic: ``True`` builds the layer in eval mode.
      rng_collection: the ``nnx.Rngs`` stream to fork, default ``'augment'``.
      rngs: an ``nnx.Rngs`` or ``nnx.RngStream``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from jreg.nn import TokenDropout
      >>> layer = TokenDropout(1.0, mask_id=1, pad_id=0, rngs=nnx.Rngs(0))
      >>> print(layer(jnp.array([[5, 6, 7, 0, 0]])))
      [[1 1 1 0 0]]
    """

    def __init__(
        self,
        rate: float,
        mask_id: int,
        pad_id: int | None = None,
        *,
        deterministic: bool | None = False,
        rng_collection: str = "augment",
        rngs: nnx.Rngs | nnx.RngStream | None = None,
    ):
        check_probability(rate, "rate")
        _check_mask_and_pad(mask_id, pad_id)
        self.rate = rate
        self.mask_id = mask_id
        self.pad_id = pad_id
        self._init_randomness(deterministic=deterministic, rng_collection=rng_collection, rngs=rngs)

    def _augment(self, key, inputs):
        return augment.token_dropout(
            key, inputs, self.rate, mask_id=self.mask_id, pad_id=self.pad_id
        )


class RandomTokenReplacement(AugmentLayer):
    """Replace each non-padding token with probability ``rate`` by a uniform random id.

    Replacement ids are uniform over ``[0, vocab_size)`` without ``pad_id``, so padding
    never appears inside a sequence and padding positions never change. See
    ``augment.random_token_replacement``.

    Args:
      rate: probability in ``[0, 1]``.
      vocab_size: number of ids.
      pad_id: padding id, never replaced and never drawn (``None``: no padding).
      deterministic: ``True`` builds the layer in eval mode.
      rng_collection: the ``nnx.Rngs`` stream to fork, default ``'augment'``.
      rngs: an ``nnx.Rngs`` or ``nnx.RngStream``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from jreg.nn import RandomTokenReplacement
      >>> layer = RandomTokenReplacement(1.0, vocab_size=10, pad_id=0, rngs=nnx.Rngs(0))
      >>> out = layer(jnp.array([[5, 6, 7, 0, 0]]))
      >>> out[0, 3:].tolist(), bool((out[0, :3] > 0).all())
      ([0, 0], True)
    """

    def __init__(
        self,
        rate: float,
        vocab_size: int,
        pad_id: int | None = None,
        *,
        deterministic: bool | None = False,
        rng_collection: str = "augment",
        rngs: nnx.Rngs | nnx.RngStream | None = None,
    ):
        _check_id(pad_id, "pad_id", optional=True)
        check_replacement(rate, vocab_size, pad_id)
        self.rate = rate
        self.vocab_size = vocab_size
        self.pad_id = pad_id
        self._init_randomness(deterministic=deterministic, rng_collection=rng_collection, rngs=rngs)

    def _augment(self, key, inputs):
        return augment.random_token_replacement(
            key, inputs, self.rate, vocab_size=self.vocab_size, pad_id=self.pad_id
        )


class SpanMasking(AugmentLayer):
    r"""Mask ``num_spans`` random spans of ``span_length`` tokens per sequence.

    Starts are uniform over :math:`\{0, \dots, \max(n_i - \ell, 0)\}`, :math:`n_i` the
    number of non-padding tokens of sequence ``i`` (right padding keeps the spans inside
    the text); padding is never replaced. Spans may overlap (SpanBERT-style masking with
    a fixed span length). See ``augment.random_span_mask``.

    Args:
      span_length: :math:`\ell`, static int.
      mask_id: the replacement id.
      num_spans: spans per sequence, default 1.
      pad_id: padding id, never replaced (``None``: no padding).
      deterministic: ``True`` builds the layer in eval mode.
      rng_collection: the ``nnx.Rngs`` stream to fork, default ``'augment'``.
      rngs: an ``nnx.Rngs`` or ``nnx.RngStream``.

    References:
      Joshi et al., "SpanBERT: Improving pre-training by representing and predicting
      spans", TACL 2020.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from jreg.nn import SpanMasking
      >>> layer = SpanMasking(2, mask_id=1, pad_id=0, rngs=nnx.Rngs(0))
      >>> out = layer(jnp.array([[5, 6, 7, 8, 0, 0]]))
      >>> int((out == 1).sum()), out[0, 4:].tolist()
      (2, [0, 0])
    """

    def __init__(
        self,
        span_length: int,
        mask_id: int,
        num_spans: int = 1,
        pad_id: int | None = None,
        *,
        deterministic: bool | None = False,
        rng_collection: str = "augment",
        rngs: nnx.Rngs | nnx.RngStream | None = None,
    ):
        check_size(span_length, "span_length")
        check_size(num_spans, "num_spans")
        _check_mask_and_pad(mask_id, pad_id)
        self.span_length = span_length
        self.num_spans = num_spans
        self.mask_id = mask_id
        self.pad_id = pad_id
        self._init_randomness(deterministic=deterministic, rng_collection=rng_collection, rngs=rngs)

    def _augment(self, key, inputs):
        return augment.random_span_mask(
            key,
            inputs,
            span_length=self.span_length,
            num_spans=self.num_spans,
            mask_id=self.mask_id,
            pad_id=self.pad_id,
        )
