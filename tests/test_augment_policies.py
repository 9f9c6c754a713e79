"""Policies: per-example op choice (one branch per example), op semantics, randomness."""

import jax
import numpy as np
import pytest

from jreg import augment

VR = (0.0, 255.0)


def _images(n=12, h=8, w=8, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, size=(n, h, w, 3))


def test_each_example_runs_one_branch():
    """The op choice is a real conditional inside a loop over examples, not a select."""
    x = _images(n=4)
    jaxpr = jax.make_jaxpr(
        lambda k: augment.rand_augment(k, x, value_range=VR, num_ops=2)
    )(jax.random.key(0))
    text = str(jaxpr)
    assert "cond[" in text  # lax.switch: only the drawn branch runs
    assert "scan[" in text or "while[" in text  # lax.map / lax.scan over the examples


def test_single_op_policies_equal_the_op():
    x = _images()
    key = jax.random.key(1)
    out = augment.rand_augment(key, x, value_range=VR, ops=("identity",))
    np.testing.assert_array_equal(out, x)
    out = augment.rand_augment(key, x, value_range=VR, num_ops=1, ops=("equalize",))
    np.testing.assert_allclose(out, augment.equalize(x, value_range=VR), atol=1e-12)
    out = augment.trivial_augment(key, x, value_range=VR, ops=("auto_contrast",))
    np.testing.assert_allclose(out, augment.autocontrast(x, value_range=VR), atol=1e-12)
    # fixed magnitude 1 (the paper's M = max): rotations of exactly +-30 degrees
    out = np.asarray(augment.rand_augment(key, x, value_range=VR, num_ops=1, factor=(1.0, 1.0),
                                          ops=("rotate",)))
    plus = np.asarray(augment.rotate(x, np.deg2rad(30.0)))
    minus = np.asarray(augment.rotate(x, -np.deg2rad(30.0)))
    signs = []
    for i in range(len(x)):
        if np.allclose(out[i], plus[i], atol=1e-9):
            signs.append(1)
        else:
            np.testing.assert_allclose(out[i], minus[i], atol=1e-9)
            signs.append(-1)
    assert set(signs) == {-1, 1}


def test_per_example_choice_and_reproducibility():
    x = _images(n=16)
    key = jax.random.key(2)
    out = np.asarray(augment.rand_augment(key, x, value_range=VR, num_ops=1,
                                          ops=("identity", "equalize")))
    eq = np.asarray(augment.equalize(x, value_range=VR))
    same = np.array([np.array_equal(out[i], x[i]) for i in range(16)])
    equalized = np.array([np.allclose(out[i], eq[i], atol=1e-12) for i in range(16)])
    assert np.all(same | equalized) and same.any() and equalized.any()
    np.testing.assert_array_equal(
        out, augment.rand_augment(key, x, value_range=VR, num_ops=1, ops=("identity", "equalize"))
    )
    full = np.asarray(augment.rand_augment(key, x, value_range=VR))
    assert full.shape == x.shape and np.all((full >= 0) & (full <= 255))
    assert len({full[i].tobytes() for i in range(16)}) == 16


def test_trivial_augment_and_aug_mix_ranges():
    x = _images(n=8) / 255
    key = jax.random.key(3)
    out = np.asarray(augment.trivial_augment(key, x, value_range=(0, 1)))
    assert np.all((out >= 0) & (out <= 1))
    unchanged = [np.array_equal(out[i], x[i]) for i in range(8)]
    assert not all(unchanged)
    kwargs = dict(value_range=(0, 1), num_chains=2, chain_depth=2, all_ops=False)
    out = np.asarray(augment.aug_mix(key, x, **kwargs))
    assert out.shape == x.shape and np.all((out >= 0) & (out <= 1))
    assert not np.allclose(out, x)
    np.testing.assert_array_equal(out, augment.aug_mix(key, x, **kwargs))


def test_vmap_over_keys_matches_loop():
    x = _images(n=3)
    keys = jax.random.split(jax.random.key(4), 3)

    def op(k, image):
        return augment.rand_augment(k, image, value_range=VR, num_ops=1,
                                    ops=("identity", "solarize", "translate_x"))

    looped = np.stack([op(keys[i], x[i]) for i in range(3)])
    np.testing.assert_allclose(jax.vmap(op)(keys, x), looped, atol=1e-9)


def test_bad_input_errors_name_the_argument():
    x = _images(n=2)
    key = jax.random.key(0)
    with pytest.raises(ValueError, match="ops"):
        augment.rand_augment(key, x, value_range=VR, ops=("rotate", "teleport"))
    with pytest.raises(ValueError, match="factor"):
        augment.rand_augment(key, x, value_range=VR, factor=1.5)
    with pytest.raises(ValueError, match="num_ops"):
        augment.rand_augment(key, x, value_range=VR, num_ops=0)
    with pytest.raises(ValueError, match="value_range"):
        augment.trivial_augment(key, x, value_range=(1, 1))
    with pytest.raises(ValueError, match="alpha"):
        augment.aug_mix(key, x, value_range=VR, alpha=-1.0)
    with pytest.raises(TypeError, match="images"):
        augment.aug_mix(key, x.astype(np.uint8), value_range=VR)
    with pytest.raises(ValueError, match="fill_mode"):
        augment.rand_augment(key, x, value_range=VR, fill_mode="edge")
