"""NNX audio and token augmentation layers: wiring to jreg.augment, modes, streams, jit."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from jreg import augment
from jreg.nn import (
    FrequencyMasking,
    RandomGain,
    RandomNoise,
    RandomTimeShift,
    RandomTokenReplacement,
    SpanMasking,
    TimeMasking,
    TokenDropout,
)


def _waveforms(n=4, t=16, seed=0, dtype=jnp.float64):
    return jnp.asarray(np.random.default_rng(seed).normal(size=(n, t)), dtype)


def _spectrograms(n=6, t=10, f=8, seed=0):
    return jnp.asarray(np.random.default_rng(seed).uniform(1, 2, size=(n, t, f)))


def _tokens():
    # right-padded sequences of different lengths, pad_id 0, mask_id 1
    return jnp.array([
        [5, 6, 7, 8, 9, 10, 0, 0],
        [11, 12, 13, 0, 0, 0, 0, 0],
        [14, 15, 16, 17, 18, 19, 20, 21],
        [5, 6, 7, 8, 9, 10, 0, 0],
    ])


def _cases():
    w, s, t = _waveforms(), _spectrograms(), _tokens()
    return [
        (RandomGain((-6.0, 6.0)), w, lambda k: augment.random_gain(k, w, (-6.0, 6.0))),
        (RandomTimeShift(0.3, rollover=False), w,
         lambda k: augment.random_time_shift(k, w, 0.3, rollover=False)),
        (RandomNoise((5.0, 15.0)), w, lambda k: augment.random_noise(k, w, (5.0, 15.0))),
        (TimeMasking(3, num_masks=2, mask_value=-1.0), s,
         lambda k: augment.random_time_mask(k, s, 3, num_masks=2, mask_value=-1.0)),
        # torchaudio's p caps the width at floor(p * T) = 2 frames here
        (TimeMasking(6, p=0.25), s, lambda k: augment.random_time_mask(k, s, 2)),
        (FrequencyMasking(4), s, lambda k: augment.random_frequency_mask(k, s, 4)),
        (TokenDropout(0.5, mask_id=1, pad_id=0), t,
         lambda k: augment.token_dropout(k, t, 0.5, mask_id=1, pad_id=0)),
        (RandomTokenReplacement(0.5, vocab_size=30, pad_id=0), t,
         lambda k: augment.random_token_replacement(k, t, 0.5, vocab_size=30, pad_id=0)),
        (SpanMasking(2, mask_id=1, num_spans=2, pad_id=0), t,
         lambda k: augment.random_span_mask(k, t, span_length=2, num_spans=2, mask_id=1,
                                            pad_id=0)),
    ]


def test_layers_call_the_augment_functions_and_eval_is_identity():
    key = jax.random.key(3)
    for layer, inputs, function in _cases():
        assert layer.deterministic is False  # constructed in train mode
        out = layer(inputs, key=key)
        np.testing.assert_array_equal(out, function(key), err_msg=type(layer).__name__)
        assert out.shape == inputs.shape and out.dtype == inputs.dtype
        assert not np.array_equal(out, inputs), type(layer).__name__
        assert layer(inputs, deterministic=True) is inputs  # eval mode: the identity


def test_per_example_independence_and_padding():
    key = jax.random.key(8)
    same_wave = jnp.broadcast_to(_waveforms(n=1), (6, 16))
    for layer in (RandomGain(6.0), RandomTimeShift(0.4), RandomNoise((5.0, 25.0))):
        out = np.asarray(layer(same_wave, key=key))
        assert len({row.tobytes() for row in out}) > 1, type(layer).__name__
    ones = jnp.ones((8, 10, 8))
    for layer in (TimeMasking(4), FrequencyMasking(4)):
        out = np.asarray(layer(ones, key=key))
        assert len({row.tobytes() for row in out}) > 1, type(layer).__name__
    same_tokens = jnp.broadcast_to(_tokens()[:1], (6, 8))
    for layer in (TokenDropout(0.5, 1, 0), RandomTokenReplacement(0.5, 30, 0),
                  SpanMasking(2, 1, pad_id=0)):
        out = np.asarray(layer(same_tokens, key=key))
        assert len({row.tobytes() for row in out}) > 1, type(layer).__name__
        np.testing.assert_array_equal(out[:, 6:], 0)  # padding never changes
        assert (out[:, :6] != 0).all()  # and never appears inside the text


def test_shared_masks_when_not_iid():
    ones = jnp.ones((5, 10, 8))
    key = jax.random.key(2)
    for layer in (TimeMasking(5, iid_masks=False, num_masks=2), FrequencyMasking(5, False)):
        out = np.asarray(layer(ones, key=key))
        np.testing.assert_array_equal(out, np.broadcast_to(out[:1], out.shape))
        draws = [np.asarray(layer(ones, key=jax.random.key(i))[0]) for i in range(6)]
        assert (np.stack(draws) == 0).any() and len({d.tobytes() for d in draws}) > 1


def test_streams_model_eval_and_nnx_jit():
    class Audio(nnx.Module):
        def __init__(self, rngs):
            self.gain = RandomGain(6.0, rngs=rngs)
            self.shift = RandomTimeShift(0.25, rngs=rngs)
            self.noise = RandomNoise(20.0, rngs=rngs)

        def __call__(self, x):
            return self.noise(self.shift(self.gain(x)))

    x = _waveforms(dtype=jnp.float32)
    eager, jitted_model = Audio(nnx.Rngs(augment=1, params=4)), Audio(nnx.Rngs(augment=1))
    run = nnx.jit(lambda model, x: model(x))
    first, second = run(jitted_model, x), run(jitted_model, x)
    assert first.dtype == jnp.float32
    assert not np.allclose(first, second)  # the streams advance under nnx.jit
    np.testing.assert_allclose(first, eager(x), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(second, eager(x), rtol=1e-5, atol=1e-5)
    jitted_model.eval()
    np.testing.assert_array_equal(run(jitted_model, x), x)

    tokens = _tokens()
    layer_a, layer_b = SpanMasking(2, 1, pad_id=0, rngs=nnx.Rngs(5)), SpanMasking(
        2, 1, pad_id=0, rngs=nnx.Rngs(5))
    np.testing.assert_array_equal(run(layer_a, tokens), layer_b(tokens))
    masking = TimeMasking(3, rngs=nnx.Rngs(0))
    assert run(masking, _spectrograms()).shape == (6, 10, 8)
    with pytest.raises(ValueError, match="rngs"):
        TokenDropout(0.1, 1)(tokens)


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="gain_db"):
        RandomGain((3.0, 1.0))
    with pytest.raises(ValueError, match="max_shift"):
        RandomTimeShift(1.5)
    with pytest.raises(TypeError, match="rollover"):
        RandomTimeShift(0.1, rollover=1)
    with pytest.raises(TypeError, match="snr_db"):
        RandomNoise("loud")
    with pytest.raises(ValueError, match="snr_db"):
        RandomNoise((30.0, 10.0))
    with pytest.raises(ValueError, match="time_mask_param"):
        TimeMasking(0)
    with pytest.raises(TypeError, match="freq_mask_param"):
        FrequencyMasking(2.5)
    with pytest.raises(TypeError, match="iid_masks"):
        TimeMasking(2, iid_masks=1)
    with pytest.raises(ValueError, match="num_masks"):
        FrequencyMasking(2, num_masks=0)
    with pytest.raises(ValueError, match="p"):
        TimeMasking(2, p=1.5)
    with pytest.raises(ValueError, match="rate"):
        TokenDropout(1.5, mask_id=1)
    with pytest.raises(ValueError, match="mask_id"):
        TokenDropout(0.1, mask_id=0, pad_id=0)
    with pytest.raises(TypeError, match="pad_id"):
        SpanMasking(2, mask_id=1, pad_id=0.5)
    with pytest.raises(ValueError, match="vocab_size"):
        RandomTokenReplacement(0.1, vocab_size=0)
    with pytest.raises(ValueError, match="span_length"):
        SpanMasking(0, mask_id=1)
    key = jax.random.key(0)
    with pytest.raises(ValueError, match="time_mask_param"):
        TimeMasking(12)(_spectrograms(), key=key)  # wider than the 10 frames
    with pytest.raises(ValueError, match="spectrograms"):
        FrequencyMasking(2)(jnp.ones((4, 8)), key=key)
    with pytest.raises(TypeError, match="waveforms"):
        RandomGain()(jnp.ones((2, 8), jnp.int32), key=key)
    with pytest.raises(TypeError, match="tokens"):
        TokenDropout(0.1, 1)(jnp.ones((2, 8)), key=key)


def test_masking_width_bounded_by_p_needs_no_short_param():
    """W = min(param, floor(p * T)): a long param is fine when p bounds the width."""
    x = _spectrograms(t=10)
    layer = TimeMasking(100, p=0.2, rngs=nnx.Rngs(augment=0))
    out = np.asarray(layer(x))
    masked = np.all(out == 0.0, axis=2)  # whole frames set to mask_value 0
    assert np.all(masked.sum(axis=1) <= 2)
    with pytest.raises(ValueError, match="time_mask_param=100"):
        TimeMasking(100, rngs=nnx.Rngs(augment=0))(x)
