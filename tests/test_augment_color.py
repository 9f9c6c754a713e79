"""Photometric augmentation: closed forms, PIL/colorsys/scipy references, randomness, errors."""

import colorsys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.ndimage as ndi
from PIL import Image, ImageOps

from jreg import augment

VR = (0.0, 255.0)


def _images(n=3, h=5, w=6, c=3, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).uniform(0, 255, size=(n, h, w, c)).astype(dtype)


def _uint8(n=2, h=6, w=7, c=3, seed=1):
    return np.random.default_rng(seed).integers(0, 256, size=(n, h, w, c), dtype=np.uint8)


# ---------------------------------------------------------------- closed forms


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pointwise_closed_forms(dtype):
    x = _images(dtype=dtype)
    tol = dict(rtol=1e-5, atol=1e-3) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-9)
    delta = np.array([-0.3, 0.1, 0.5], dtype)
    out = augment.adjust_brightness(x, delta, value_range=VR)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, np.clip(x + delta[:, None, None, None] * 255, 0, 255), **tol)
    factor = np.array([0.0, 0.5, 1.7], dtype)
    mean = x.mean(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(
        augment.adjust_contrast(x, factor, value_range=VR),
        np.clip(mean + factor[:, None, None, None] * (x - mean), 0, 255),
        **tol,
    )
    gamma = np.array([0.5, 1.0, 2.2], dtype)
    np.testing.assert_allclose(
        augment.adjust_gamma(x, gamma, gain=0.9, value_range=VR),
        255 * np.clip(0.9 * (x / 255) ** gamma[:, None, None, None], 0, 1),
        **tol,
    )
    np.testing.assert_allclose(augment.invert(x, value_range=VR), 255 - x, **tol)
    y = x / 255.0 * 2 - 1  # value range (-1, 1)
    np.testing.assert_allclose(
        augment.solarize(y, 0.25, addition=0.1, value_range=(-1, 1)),
        np.where(np.clip(y + 0.2, -1, 1) < 0.25, np.clip(y + 0.2, -1, 1),
                 -np.clip(y + 0.2, -1, 1)),
        **tol,
    )
    gray = x @ np.array([0.2989, 0.5870, 0.1140])
    np.testing.assert_allclose(augment.grayscale(x), np.repeat(gray[..., None], 3, -1), **tol)
    f = np.array([0.0, 0.4, 1.5], dtype)[:, None, None, None]
    np.testing.assert_allclose(
        augment.adjust_color(x, f[:, 0, 0, 0], value_range=VR),
        np.clip(gray[..., None] + f * (x - gray[..., None]), 0, 255),
        **tol,
    )
    lo, hi = x.min(axis=(1, 2), keepdims=True), x.max(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(
        augment.autocontrast(x, value_range=VR), (x - lo) / (hi - lo) * 255, **tol
    )
    flat = np.broadcast_to(x[:, :1, :1], x.shape)
    np.testing.assert_allclose(augment.autocontrast(flat, value_range=VR), flat, **tol)


def test_saturation_and_hue_equal_colorsys():
    x = _images(n=2, h=3, w=4, seed=2) / 255.0
    x[0, 0, 0] = [0.3, 0.3, 0.3]  # gray pixel
    x[0, 0, 1] = [0.0, 0.0, 0.0]  # black pixel
    factors = np.array([0.3, 2.5])
    deltas = np.array([0.2, -0.45])
    sat = np.asarray(augment.adjust_saturation(x * 2 - 1, factors, value_range=(-1, 1)))
    hue = np.asarray(augment.adjust_hue(x, deltas, value_range=(0, 1)))
    for i in range(2):
        for p in np.ndindex(3, 4):
            h, s, v = colorsys.rgb_to_hsv(*x[i][p])
            expected = colorsys.hsv_to_rgb(h, min(s * factors[i], 1.0), v)
            np.testing.assert_allclose((sat[i][p] + 1) / 2, expected, atol=1e-12)
            expected = colorsys.hsv_to_rgb((h + deltas[i]) % 1.0, s, v)
            np.testing.assert_allclose(hue[i][p], expected, atol=1e-12)
    hsv = augment.rgb_to_hsv(x)
    np.testing.assert_allclose(augment.hsv_to_rgb(hsv), x, atol=1e-12)


def test_histogram_ops_equal_pil():
    images = _uint8()
    as_float = images.astype(np.float64)
    eq = np.asarray(augment.equalize(as_float, value_range=VR))
    post = np.asarray(augment.posterize(as_float, np.array([3, 6]), value_range=VR))
    sol = np.asarray(augment.solarize(as_float, 100.0, value_range=VR))
    # same levels in another value range
    eq01 = np.asarray(augment.equalize(as_float / 255, value_range=(0, 1)))
    for i in range(images.shape[0]):
        pil = Image.fromarray(images[i])
        np.testing.assert_array_equal(eq[i], np.asarray(ImageOps.equalize(pil)))
        np.testing.assert_allclose(eq01[i] * 255, np.asarray(ImageOps.equalize(pil)), atol=1e-9)
        bits = [3, 6][i]
        np.testing.assert_array_equal(post[i], np.asarray(ImageOps.posterize(pil, bits)))
        np.testing.assert_array_equal(sol[i], np.asarray(ImageOps.solarize(pil, 100)))
    # a skewed histogram exercises the step / rounding of the level map
    skewed = np.minimum(images, 40).astype(np.float64)
    skewed[0, 0, 0] = 255.0
    out = np.asarray(augment.equalize(skewed, value_range=VR))
    for i in range(2):
        ref = ImageOps.equalize(Image.fromarray(skewed[i].astype(np.uint8)))
        np.testing.assert_array_equal(out[i], np.asarray(ref))


def test_sharpness_and_blur_references():
    x = _images(n=2, h=6, w=7, c=2, seed=3)
    kernel = np.array([[1, 1, 1], [1, 5, 1], [1, 1, 1]]) / 13.0
    factors = np.array([0.0, 1.8])
    out = np.asarray(augment.adjust_sharpness(x, factors, value_range=VR))
    for i in range(2):
        smooth = x[i].copy()
        for c in range(2):
            full = ndi.correlate(x[i, :, :, c], kernel, mode="constant")
            smooth[1:-1, 1:-1, c] = full[1:-1, 1:-1]
        expected = np.clip(smooth + factors[i] * (x[i] - smooth), 0, 255)
        np.testing.assert_allclose(out[i], expected, atol=1e-10)
    sigmas = np.array([0.7, 1.6])
    blurred = np.asarray(augment.gaussian_blur(x, sigmas, kernel_size=5))
    for i in range(2):
        ref = ndi.gaussian_filter(x[i], sigma=(sigmas[i], sigmas[i], 0), mode="reflect",
                                  truncate=2 / sigmas[i])
        np.testing.assert_allclose(blurred[i], ref, atol=1e-10)


# ----------------------------------------------------------------- randomness


def test_random_parameters_in_ranges_and_per_example():
    n = 64
    x = np.broadcast_to(_images(n=1, h=4, w=4, seed=4), (n, 4, 4, 3)) * 0.5 + 60
    key = jax.random.key(0)
    out = np.asarray(augment.random_brightness(key, x, 0.1, value_range=VR))
    delta = (out - x)[:, 0, 0, 0] / 255
    np.testing.assert_allclose(out - x, np.broadcast_to(delta[:, None, None, None] * 255,
                                                        x.shape), atol=1e-9)
    assert delta.min() >= -0.1 - 1e-12 and delta.max() <= 0.1 + 1e-12
    assert len(np.unique(delta.round(8))) == n
    np.testing.assert_array_equal(out, augment.random_brightness(key, x, 0.1, value_range=VR))
    out = np.asarray(augment.random_contrast(key, x, (0.2, 0.3), value_range=VR))
    mean = x.mean(axis=(1, 2), keepdims=True)
    c = ((out - mean) / (x - mean))[:, 1, 2, 0]
    assert c.min() >= 0.8 - 1e-9 and c.max() <= 1.3 + 1e-9 and c.max() - c.min() > 0.3
    out = np.asarray(augment.random_posterize(key, x, (2, 4), value_range=VR))
    for img in out:
        bits = [b for b in (2, 3, 4) if np.all(img % 2 ** (8 - b) == 0)]
        assert 4 in bits  # every output keeps at most 4 bits
    levels = {min(b for b in range(1, 9) if np.all(img % 2 ** (8 - b) == 0)) for img in out}
    assert levels <= {2, 3, 4} and len(levels) > 1
    out = np.asarray(augment.random_grayscale(key, x, 0.5))
    is_gray = np.all(np.ptp(out, axis=-1) < 1e-9, axis=(1, 2))
    assert 10 < is_gray.sum() < 54
    np.testing.assert_array_equal(out[~is_gray], x[~is_gray])
    out = np.asarray(augment.random_invert(key, x, 0.0, value_range=VR))
    np.testing.assert_array_equal(out, x)
    out = np.asarray(augment.random_gamma(key, x, (0.5, 2.0), value_range=VR))
    gamma = np.log(out / 255) / np.log(x / 255)
    assert gamma.min() >= 0.5 - 1e-9 and gamma.max() <= 2.0 + 1e-9
    out = np.asarray(augment.random_saturation(key, x, (0.5, 0.5), value_range=VR))
    np.testing.assert_allclose(out, x, atol=1e-4)  # s = 0.5 is the identity (Keras)
    out = np.asarray(augment.random_hue(key, x / 255, 0.0, value_range=(0, 1)))
    np.testing.assert_allclose(out, x / 255, atol=1e-12)
    out = np.asarray(augment.random_sharpness(key, x, (0.5, 0.5), value_range=VR))
    np.testing.assert_allclose(out, x, atol=1e-9)  # s = 0.5 is the identity (Keras)
    blurred = augment.random_gaussian_blur(key, x, (0.5, 1.5))
    assert not np.allclose(blurred[0], blurred[1])


def test_plain_jit_vmap_agree_and_float32():
    x = _images(n=3, dtype=np.float32)
    factor = np.array([0.5, 1.0, 1.5], np.float32)

    def op(images, f):
        return augment.adjust_saturation(images, f, value_range=VR)

    plain = op(x, factor)
    assert plain.dtype == jnp.float32
    np.testing.assert_allclose(jax.jit(op)(x, factor), plain, rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(jax.vmap(op)(x, factor), plain, rtol=1e-5, atol=1e-3)
    keys = jax.random.split(jax.random.key(1), 3)

    def rop(k, image):
        return augment.random_contrast(k, image, 0.5, value_range=VR)

    looped = np.stack([rop(keys[i], x[i]) for i in range(3)])
    np.testing.assert_allclose(jax.vmap(rop)(keys, x), looped, rtol=1e-5, atol=1e-3)


def test_gradients_flow():
    x = _images(n=1, h=4, w=4, seed=5)[0] / 255

    @jax.jit
    def loss(params, image):
        f, d = params
        out = augment.adjust_contrast(image, f, value_range=(-10, 10))
        out = augment.adjust_hue(out, d, value_range=(0, 1))
        out = augment.adjust_saturation(out, f, value_range=(0, 1))
        out = augment.gaussian_blur(out, f)
        return jnp.sum(out**2)

    params = (0.8, 0.1)
    grads, g_image = jax.grad(loss, argnums=(0, 1))(params, x)
    eps = 1e-6
    for i in range(2):
        up = list(params)
        down = list(params)
        up[i] += eps
        down[i] -= eps
        fd = (loss(tuple(up), x) - loss(tuple(down), x)) / (2 * eps)
        np.testing.assert_allclose(grads[i], fd, rtol=1e-5)
    assert np.all(np.isfinite(g_image))


# --------------------------------------------------------------------- errors


def test_bad_input_errors_name_the_argument():
    x = _images(n=2, h=4, w=4)
    key = jax.random.key(0)
    with pytest.raises(TypeError, match="value_range"):
        augment.adjust_brightness(x, 0.1)  # value_range is required
    with pytest.raises(ValueError, match="value_range"):
        augment.adjust_contrast(x, 1.0, value_range=(1, 0))
    with pytest.raises(TypeError, match="images"):
        augment.invert(x.astype(np.uint8), value_range=VR)
    with pytest.raises(ValueError, match="images"):
        augment.adjust_hue(x[..., :2], 0.1, value_range=VR)
    with pytest.raises(ValueError, match="factor"):
        augment.random_brightness(key, x, 1.5, value_range=VR)
    with pytest.raises(ValueError, match="factor"):
        augment.random_contrast(key, x, (0.2, 1.5), value_range=VR)
    with pytest.raises(ValueError, match="factor"):
        augment.random_saturation(key, x, -0.1, value_range=VR)
    with pytest.raises(ValueError, match="bits"):
        augment.posterize(x, 9, value_range=VR)
    with pytest.raises(ValueError, match="kernel_size"):
        augment.gaussian_blur(x, 1.0, kernel_size=4)
    with pytest.raises(ValueError, match="probability"):
        augment.random_grayscale(key, x, 1.5)
    with pytest.raises(ValueError, match="delta"):
        augment.adjust_brightness(x, np.zeros(3), value_range=VR)


def _equalize_reference(plane, bins):
    """PIL's equalisation rule on ``bins`` levels, for one channel of integer levels."""
    top_level = bins - 1
    hist = np.bincount(plane.ravel(), minlength=bins)
    present = np.nonzero(hist)[0]
    step = (plane.size - hist[present[-1]]) // top_level
    if step == 0:
        return plane
    before = np.concatenate([[0], np.cumsum(hist)[:-1]])
    lut = np.minimum((step // 2 + before) // step, top_level)
    return lut[plane]


def test_equalize_on_fewer_bins_follows_the_same_rule():
    rng = np.random.default_rng(7)
    bins = 16
    levels = np.minimum(rng.geometric(0.3, size=(2, 9, 7, 2)) - 1, bins - 1)  # skewed
    x = levels / (bins - 1)  # exactly on the 16 levels of (0, 1)
    out = np.asarray(augment.equalize(x, value_range=(0, 1), bins=bins))
    for i in range(2):
        for c in range(2):
            ref = _equalize_reference(levels[i, ..., c], bins) / (bins - 1)
            np.testing.assert_allclose(out[i, ..., c], ref, atol=1e-12)
    assert not np.allclose(out, x)
    with pytest.raises(ValueError, match="bins"):
        augment.equalize(x, value_range=(0, 1), bins=1)
