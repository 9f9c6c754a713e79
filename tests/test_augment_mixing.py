"""Occlusion (erase, cutout, random erasing) and mixing (MixUp, CutMix)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jreg import augment


def _constant_images(n=6, h=8, w=8, c=2):
    """Image i is filled with the value i + 1, so every pixel names its source."""
    return np.broadcast_to(np.arange(1.0, n + 1)[:, None, None, None], (n, h, w, c)).copy()


def _box_of(mask):
    rows = np.nonzero(mask.any(axis=1))[0]
    cols = np.nonzero(mask.any(axis=0))[0]
    return rows, cols


def test_erase_equals_slice_assignment():
    x = np.random.default_rng(0).normal(size=(2, 6, 7, 3))
    boxes = np.array([[1, 2, 3, 4], [4, 5, 5, 5]])  # the second sticks out
    out = np.asarray(augment.erase(x, boxes, fill_value=-1.0))
    expected = x.copy()
    expected[0, 1:4, 2:6] = -1.0
    expected[1, 4:, 5:] = -1.0
    np.testing.assert_array_equal(out, expected)
    ints = np.arange(16).reshape(4, 4, 1)
    out = augment.erase(ints, np.array([0, 0, 2, 2]), fill_value=0)
    np.testing.assert_array_equal(out[:2, :2], 0)


def test_cutout_boxes():
    x = np.ones((16, 9, 9, 1))
    out = np.asarray(augment.cutout(jax.random.key(0), x, 3, fill_value=0.0))
    centres = set()
    for img in out[..., 0]:
        hole = img == 0
        rows, cols = _box_of(hole)
        assert 1 <= len(rows) <= 3 and 1 <= len(cols) <= 3
        assert hole.sum() == len(rows) * len(cols)  # one rectangle
        centres.add((rows.mean(), cols.mean()))
    assert len(centres) > 4


def test_random_erasing_boxes_and_fills():
    n, h, w = 32, 16, 16
    x = np.full((n, h, w, 3), 0.5)
    key = jax.random.key(1)
    out = np.asarray(augment.random_erasing(key, x, probability=1.0, scale=(0.1, 0.3),
                                            ratio=(0.5, 2.0), fill_value=0.0))
    for img in out:
        hole = img[..., 0] == 0
        rows, cols = _box_of(hole)
        assert hole.sum() == len(rows) * len(cols)
        area = hole.sum() / (h * w)
        assert 0.1 * 0.7 <= area <= 0.3 * 1.3  # sides are rounded to whole pixels
        assert 0.5 / 1.5 <= len(rows) / len(cols) <= 2.0 * 1.5
    out = np.asarray(augment.random_erasing(key, x, probability=0.0, fill_value=0.0))
    np.testing.assert_array_equal(out, x)
    out = np.asarray(augment.random_erasing(key, x, probability=0.5, value_range=(2.0, 3.0)))
    changed = (out != 0.5).any(axis=(1, 2, 3))
    assert 5 < changed.sum() < 27
    noise = out[out != 0.5]
    assert noise.min() >= 2.0 and noise.max() <= 3.0 and np.std(noise) > 0.1


def test_mixup_pairs_and_mixup():
    x = _constant_images()
    y = np.eye(6)
    partner = np.array([1, 0, 3, 2, 5, 4])
    weight = np.linspace(0.1, 0.9, 6)
    xm, ym = augment.mixup_pairs(x, y, weight, partner)
    w4 = weight[:, None, None, None]
    np.testing.assert_allclose(xm, w4 * x + (1 - w4) * x[partner], atol=1e-12)
    np.testing.assert_allclose(ym, weight[:, None] * y + (1 - weight[:, None]) * y[partner])
    xm, ym = augment.mixup(jax.random.key(0), x, y, alpha=0.4)
    xm, ym = np.asarray(xm), np.asarray(ym)
    np.testing.assert_allclose(ym.sum(axis=1), 1.0, atol=1e-12)
    # the image equals the label-weighted average of the sources (values 1..6)
    np.testing.assert_allclose(xm[:, 0, 0, 0], ym @ np.arange(1.0, 7), atol=1e-12)
    lam = ym[np.arange(6), np.arange(6)]
    assert len(np.unique(lam.round(8))) > 1 and np.all((lam >= 0) & (lam <= 1))
    again = augment.mixup(jax.random.key(0), x, y, alpha=0.4)
    np.testing.assert_array_equal(again[0], xm)


def test_cutmix_pairs_and_cutmix_area_matches_labels():
    x = _constant_images(n=8, h=10, w=12)
    y = np.eye(8)
    boxes = np.array([[2, 3, 4, 5]] * 8)
    partner = np.roll(np.arange(8), 1)
    xm, ym = augment.cutmix_pairs(x, y, boxes, partner)
    expected = x.copy()
    expected[:, 2:6, 3:8] = x[partner][:, 2:6, 3:8]
    np.testing.assert_array_equal(xm, expected)
    kept = 1 - 20 / 120
    np.testing.assert_allclose(ym, kept * y + (1 - kept) * y[partner])
    xm, ym = augment.cutmix(jax.random.key(3), x, y, alpha=1.0)
    xm, ym = np.asarray(xm), np.asarray(ym)
    for i in range(8):
        from_self = np.mean(xm[i, ..., 0] == i + 1)
        if ym[i, i] < 1:  # a partner other than itself
            np.testing.assert_allclose(ym[i, i], from_self, atol=1e-12)
            rows, cols = _box_of(xm[i, ..., 0] != i + 1)
            assert (xm[i, ..., 0] != i + 1).sum() == len(rows) * len(cols)
    np.testing.assert_allclose(ym.sum(axis=1), 1.0, atol=1e-12)


def test_mixing_gradients_and_jit():
    x = np.random.default_rng(1).normal(size=(3, 4, 4, 1))
    y = np.eye(3)
    partner = np.array([2, 0, 1])

    def loss(w):
        xm, ym = augment.mixup_pairs(x, y, w, partner)
        return jnp.sum(xm**2) + jnp.sum(ym**2)

    g = jax.grad(loss)(0.3)
    eps = 1e-6
    np.testing.assert_allclose(g, (loss(0.3 + eps) - loss(0.3 - eps)) / (2 * eps), rtol=1e-6)
    out = jax.jit(lambda k: augment.cutmix(k, x, y))(jax.random.key(0))
    np.testing.assert_array_equal(out[0], augment.cutmix(jax.random.key(0), x, y)[0])


def test_bad_input_errors_name_the_argument():
    x = np.ones((4, 6, 6, 3))
    y = np.eye(4)
    key = jax.random.key(0)
    with pytest.raises(TypeError, match="labels"):
        augment.mixup(key, x, np.arange(4))
    with pytest.raises(ValueError, match="labels"):
        augment.cutmix(key, x, np.eye(3))
    with pytest.raises(ValueError, match="images"):
        augment.mixup(key, x[0], y)
    with pytest.raises(ValueError, match="alpha"):
        augment.mixup(key, x, y, alpha=0.0)
    with pytest.raises(ValueError, match="partner"):
        augment.mixup_pairs(x, y, 0.5, np.array([0, 1]))
    with pytest.raises(ValueError, match="boxes"):
        augment.erase(x, np.zeros((4, 3), int))
    with pytest.raises(TypeError, match="boxes"):
        augment.erase(x, np.zeros(4))
    with pytest.raises(ValueError, match="size"):
        augment.cutout(key, x, 7)
    with pytest.raises(ValueError, match="probability"):
        augment.random_erasing(key, x, probability=2.0, fill_value=0.0)
    with pytest.raises(ValueError, match="value_range"):
        augment.random_erasing(key, x)
    with pytest.raises(ValueError, match="scale"):
        augment.random_erasing(key, x, scale=(0.5, 0.2), fill_value=0.0)
