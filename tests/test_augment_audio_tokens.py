"""Audio (gain, shift, noise at an SNR, SpecAugment) and token augmentation."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jreg import augment


def _waves(n=4, t=32, c=None, seed=0):
    shape = (n, t) if c is None else (n, t, c)
    return np.random.default_rng(seed).normal(size=shape)


def _power(x):
    return np.mean(x**2, axis=tuple(range(1, x.ndim)))


def test_gain_and_time_shift():
    x = _waves(c=2)
    gains = np.array([-6.0, 0.0, 3.0, 20.0])
    np.testing.assert_allclose(
        augment.adjust_gain(x, gains), x * 10 ** (gains[:, None, None] / 20), rtol=1e-12
    )
    out = np.asarray(augment.random_gain(jax.random.key(0), x, (-3.0, 3.0)))
    db = 20 * np.log10(out[:, 0, 0] / x[:, 0, 0])
    assert np.all(np.abs(db) <= 3 + 1e-9) and len(np.unique(db.round(8))) == 4
    shifts = np.array([0, 3, -5, 31])
    out = np.asarray(augment.time_shift(x, shifts))
    for i, s in enumerate(shifts):
        np.testing.assert_array_equal(out[i], np.roll(x[i], s, axis=0))
    out = np.asarray(augment.time_shift(x[..., 0], shifts, rollover=False, fill_value=9.0))
    np.testing.assert_array_equal(out[1, :3], 9.0)
    np.testing.assert_array_equal(out[1, 3:], x[1, :-3, 0])
    np.testing.assert_array_equal(out[2, -5:], 9.0)
    out = np.asarray(augment.random_time_shift(jax.random.key(1), x[..., 0], 0.25))
    for i in range(4):
        found = [s for s in range(-8, 9) if np.array_equal(out[i], np.roll(x[i, :, 0], s))]
        assert len(found) == 1


def test_noise_reaches_the_requested_snr():
    x = _waves()
    noise = _waves(seed=5)
    snr = np.array([0.0, 10.0, 20.0, -3.0])
    out = np.asarray(augment.add_noise(x, noise, snr))
    achieved = 10 * np.log10(_power(x) / _power(out - x))
    np.testing.assert_allclose(achieved, snr, atol=1e-9)
    np.testing.assert_array_equal(augment.add_noise(x, np.zeros_like(x), 10.0), x)
    out = np.asarray(augment.random_noise(jax.random.key(2), x, (5.0, 15.0)))
    achieved = 10 * np.log10(_power(x) / _power(out - x))
    assert np.all((achieved >= 5 - 1e-9) & (achieved <= 15 + 1e-9))
    assert len(np.unique(achieved.round(6))) == 4


def test_spectrogram_masks():
    s = np.random.default_rng(3).normal(size=(3, 10, 8))
    out = np.asarray(augment.time_mask(s, np.array([0, 4, 9]), np.array([2, 3, 5]), mask_value=-1))
    expected = s.copy()
    expected[0, 0:2] = -1
    expected[1, 4:7] = -1
    expected[2, 9:] = -1
    np.testing.assert_array_equal(out, expected)
    out = np.asarray(augment.frequency_mask(s, np.array([[1, 5]] * 3), 2))
    expected = s.copy()
    expected[:, :, 1:3] = 0
    expected[:, :, 5:7] = 0
    np.testing.assert_array_equal(out, expected)
    key = jax.random.key(4)
    spec = np.ones((16, 20, 12))
    out = np.asarray(augment.random_time_mask(key, spec, 5, num_masks=1))
    widths = (out[:, :, 0] == 0).sum(axis=1)
    assert widths.max() <= 5 and len(np.unique(widths)) > 1
    for img in out:
        frames = np.nonzero(img[:, 0] == 0)[0]
        if len(frames):
            assert frames.max() - frames.min() + 1 == len(frames)  # one contiguous band
            assert np.all(img[frames] == 0)
    out = np.asarray(augment.random_frequency_mask(key, spec, 4, num_masks=2))
    assert ((out[:, 0, :] == 0).sum(axis=1) <= 8).all()
    np.testing.assert_array_equal(out[:, 0], out[:, 7])  # the same bins for every frame


def test_tokens_masking_replacement_spans():
    tokens = np.array([[5, 6, 7, 8, 9, 0, 0], [11, 12, 13, 0, 0, 0, 0], [3, 4, 5, 6, 7, 8, 9]])
    pad = tokens == 0
    key = jax.random.key(0)
    out = np.asarray(augment.token_dropout(key, tokens, 1.0, mask_id=1, pad_id=0))
    np.testing.assert_array_equal(out, np.where(pad, 0, 1))
    np.testing.assert_array_equal(augment.token_dropout(key, tokens, 0.0, mask_id=1, pad_id=0),
                                  tokens)
    big = np.tile(np.arange(2, 102), (20, 1))
    out = np.asarray(augment.token_dropout(key, big, 0.3, mask_id=1))
    assert 0.25 < np.mean(out == 1) < 0.35
    out = np.asarray(augment.random_token_replacement(key, tokens, 1.0, vocab_size=4, pad_id=0))
    np.testing.assert_array_equal(out[pad], 0)
    assert set(np.unique(out[~pad]).tolist()) <= {1, 2, 3}
    assert len(np.unique(out[~pad])) == 3
    # a pad id outside the vocabulary: every id of the vocabulary can still be drawn
    many = np.full((40, 10), 7)
    out = np.asarray(augment.random_token_replacement(key, many, 1.0, vocab_size=5, pad_id=5))
    assert set(np.unique(out).tolist()) == {0, 1, 2, 3, 4}
    out = np.asarray(augment.span_mask(tokens, np.array([3, 1, 0]), 3, mask_id=1, pad_id=0))
    expected = tokens.copy()
    expected[0, 3:5] = 1
    expected[1, 1:3] = 1
    expected[2, 0:3] = 1
    np.testing.assert_array_equal(out, expected)
    out = np.asarray(augment.random_span_mask(key, np.tile(tokens, (5, 1)), span_length=2,
                                              num_spans=1, mask_id=1, pad_id=0))
    np.testing.assert_array_equal(out[np.tile(pad, (5, 1))], 0)
    masked = out == 1
    assert np.all(masked.sum(axis=1) == 2)  # each span lies inside the text
    starts = masked.argmax(axis=1)
    np.testing.assert_array_equal(masked[np.arange(15), starts + 1], True)
    assert len(np.unique(starts)) > 2


def test_jit_vmap_and_gradients():
    x = _waves(n=3)
    keys = jax.random.split(jax.random.key(9), 3)

    def op(k, w):
        return augment.random_noise(k, w[None], 10.0)[0]

    looped = np.stack([op(keys[i], x[i]) for i in range(3)])
    np.testing.assert_allclose(jax.vmap(op)(keys, x), looped, atol=1e-12)
    np.testing.assert_allclose(jax.jit(jax.vmap(op))(keys, x), looped, atol=1e-12)
    g = jax.grad(lambda d: jnp.sum(augment.adjust_gain(x, d)))(2.0)
    np.testing.assert_allclose(g, np.sum(x) * 10 ** 0.1 * np.log(10) / 20, rtol=1e-10)


def test_bad_input_errors_name_the_argument():
    key = jax.random.key(0)
    with pytest.raises(ValueError, match="waveforms"):
        augment.adjust_gain(np.ones(5), 1.0)
    with pytest.raises(TypeError, match="waveforms"):
        augment.random_gain(key, np.ones((2, 5), int))
    with pytest.raises(ValueError, match="noise"):
        augment.add_noise(np.ones((2, 5)), np.ones((2, 4)), 10.0)
    with pytest.raises(ValueError, match="max_shift"):
        augment.random_time_shift(key, np.ones((2, 5)), 1.5)
    with pytest.raises(ValueError, match="max_width"):
        augment.random_time_mask(key, np.ones((2, 5, 3)), 6)
    with pytest.raises(ValueError, match="spectrograms"):
        augment.random_frequency_mask(key, np.ones((5, 3)), 1)
    with pytest.raises(TypeError, match="tokens"):
        augment.token_dropout(key, np.ones((2, 3)), 0.1, mask_id=1)
    with pytest.raises(ValueError, match="rate"):
        augment.token_dropout(key, np.ones((2, 3), int), 1.1, mask_id=1)
    with pytest.raises(ValueError, match="span_length"):
        augment.random_span_mask(key, np.ones((2, 3), int), span_length=4, mask_id=1)
