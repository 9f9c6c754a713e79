"""Keras meanings: fill modes, matrices and layer draws against Keras 3 on the JAX backend.

Slow (importing Keras takes seconds); run with ``pytest -m slow tests/test_augment_keras.py``.
"""

import math
import os

import numpy as np
import pytest

from jreg import augment

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def keras():
    if os.environ.get("KERAS_BACKEND", "jax") != "jax":
        pytest.skip("Keras is configured for another backend in this process")
    os.environ["KERAS_BACKEND"] = "jax"
    return pytest.importorskip("keras")


def _images(n=2, h=7, w=9, c=2, seed=0):
    return np.random.default_rng(seed).normal(size=(n, h, w, c)).astype(np.float32)


def _flat(matrix):
    m = np.asarray(matrix, np.float64)
    return (m / m[..., 2:3, 2:3]).reshape(m.shape[:-2] + (9,))[..., :8]


@pytest.mark.parametrize("fill_mode", ["reflect", "wrap", "constant", "nearest"])
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_affine_transform_equals_keras_ops(keras, fill_mode, interpolation):
    x = _images()
    rng = np.random.default_rng(1)
    m = np.tile(np.eye(3), (2, 1, 1))
    m[:, :2, :2] += rng.normal(scale=0.3, size=(2, 2, 2))
    m[:, :2, 2] = rng.normal(scale=2.0, size=(2, 2))
    ours = augment.affine_transform(x, m.astype(np.float32), fill_mode=fill_mode,
                                    fill_value=0.5, interpolation=interpolation)
    theirs = keras.ops.image.affine_transform(
        x, _flat(m).astype(np.float32), interpolation=interpolation, fill_mode=fill_mode,
        fill_value=0.5,
    )
    np.testing.assert_allclose(ours, np.asarray(theirs), atol=1e-4)


def test_layer_matrices_equal_keras_draws(keras):
    x = _images(n=16, h=8, w=10)
    seed = 7
    # rotation: Keras draws degrees and builds its matrix about the centre
    layer = keras.layers.RandomRotation(0.2)
    t = layer.get_random_transformation(x, training=True, seed=seed)
    angles = np.deg2rad(np.asarray(t["angle"], np.float64))
    np.testing.assert_allclose(_flat(augment.rotation_matrix(angles, 8, 10)),
                               np.asarray(t["rotation_matrix"]), atol=1e-5)
    assert np.all(np.abs(angles) <= 0.2 * 2 * math.pi + 1e-6)
    # zoom: ratio 1 + U(-f, f) about the centre, > 1 zooms out
    layer = keras.layers.RandomZoom(0.3, (-0.2, 0.1))
    t = layer.get_random_transformation(x, training=True, seed=seed)
    zh = np.asarray(t["height_zoom"])[:, 0]
    zw = np.asarray(t["width_zoom"])[:, 0]
    keras_matrix = np.asarray(layer._get_zoom_matrix(np.stack([zw, zh], 1), 8, 10))
    np.testing.assert_allclose(_flat(augment.zoom_matrix(zh, zw, 8, 10)), keras_matrix,
                               atol=1e-6)
    # translation: fractions of the size, positive moves the content down / right
    layer = keras.layers.RandomTranslation(0.2, 0.3)
    t = layer.get_random_transformation(x, training=True, seed=seed)
    shifts = np.asarray(t["translations"])  # (dx, dy) in pixels
    keras_matrix = np.asarray(layer._get_translation_matrix(shifts))
    np.testing.assert_allclose(
        _flat(augment.translation_matrix(shifts[:, 1], shifts[:, 0])), keras_matrix, atol=1e-6
    )
    # the warps with those matrices give Keras' images
    ours = augment.translate(x, shifts[:, 1], shifts[:, 0])
    theirs = layer.transform_images(x, t, training=True)
    np.testing.assert_allclose(ours, np.asarray(theirs), atol=1e-4)


def test_photometric_meanings_equal_keras(keras):
    x = np.random.default_rng(2).uniform(0, 255, size=(4, 5, 6, 3)).astype(np.float32)
    seed = 3
    layer = keras.layers.RandomBrightness(0.3)
    t = layer.get_random_transformation(x, training=True, seed=seed)
    delta = np.asarray(t["rgb_delta"])[:, 0, 0, 0] / 255
    np.testing.assert_allclose(augment.adjust_brightness(x, delta, value_range=(0, 255)),
                               np.asarray(layer.transform_images(x, t)), atol=1e-3)
    layer = keras.layers.RandomContrast(0.3)
    t = layer.get_random_transformation(x, training=True, seed=seed)
    factor = np.asarray(t["contrast_factor"])[:, 0, 0, 0]
    np.testing.assert_allclose(augment.adjust_contrast(x, factor, value_range=(0, 255)),
                               np.asarray(layer.transform_images(x, t)), atol=1e-3)
    gray = np.asarray(keras.ops.image.rgb_to_grayscale(x))
    np.testing.assert_allclose(augment.grayscale(x)[..., :1], gray, atol=1e-3)
    flipped = keras.layers.RandomFlip("horizontal").transform_images(
        x, {"flips": np.ones((4, 1, 1, 1), bool)}, training=True
    )
    np.testing.assert_array_equal(augment.flip_left_right(x), np.asarray(flipped))
