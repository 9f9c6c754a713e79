"""NNX augmentation layers: wiring to jreg.augment, train/eval modes, streams, fusion, training."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from flax import nnx

from jreg import augment
from jreg.nn import (
    AugmentationPipeline,
    AugMix,
    AutoContrast,
    CutMix,
    Equalization,
    MixUp,
    RandAugment,
    RandomBrightness,
    RandomContrast,
    RandomCrop,
    RandomErasing,
    RandomFlip,
    RandomGrayscale,
    RandomResizedCrop,
    RandomRotation,
    RandomShear,
    RandomTranslation,
    RandomZoom,
)

VR = (0.0, 255.0)


def _images(n=4, h=8, w=8, c=3, seed=0):
    return jnp.asarray(np.random.default_rng(seed).uniform(0, 255, size=(n, h, w, c)))


def test_layers_call_the_augment_functions():
    x = _images()
    key = jax.random.key(3)
    rngs = nnx.Rngs(0)
    cases = [
        (RandomFlip("horizontal", rngs=rngs), augment.random_flip(key, x, mode="horizontal")),
        (RandomRotation(0.1, rngs=rngs), augment.random_rotation(key, x, 0.1)),
        (RandomZoom(0.2, (-0.1, 0.1), rngs=rngs), augment.random_zoom(key, x, 0.2, (-0.1, 0.1))),
        (RandomTranslation(0.1, 0.2, rngs=rngs), augment.random_translation(key, x, 0.1, 0.2)),
        (RandomShear(0.2, 0.1, rngs=rngs), augment.random_shear(key, x, 0.2, 0.1)),
        (RandomCrop(5, 6, rngs=rngs), augment.random_crop(key, x, 5, 6)),
        (RandomBrightness(0.2, rngs=rngs), augment.random_brightness(key, x, 0.2, value_range=VR)),
        (RandomContrast(0.3, value_range=(0, 300), rngs=rngs),
         augment.random_contrast(key, x, 0.3, value_range=(0, 300))),
        (RandomGrayscale(0.5, rngs=rngs), augment.random_grayscale(key, x, 0.5)),
        (RandomErasing(0.7, fill_value=0.0, rngs=rngs),
         augment.random_erasing(key, x, probability=0.7, fill_value=0.0)),
        (RandAugment(num_ops=1, ops=("identity", "equalize"), rngs=rngs),
         augment.rand_augment(key, x, value_range=VR, num_ops=1, ops=("identity", "equalize"))),
    ]
    for layer, expected in cases:
        assert layer.deterministic is False  # constructed in train mode, as nnx.Dropout
        np.testing.assert_array_equal(layer(x, key=key), expected)


def test_eval_mode_is_identity_and_crops_center():
    x = _images()

    class Model(nnx.Module):
        def __init__(self, rngs):
            self.flip = RandomFlip(rngs=rngs)
            self.rotate = RandomRotation(0.2, rngs=rngs)
            self.contrast = RandomContrast(0.5, rngs=rngs)
            self.crop = RandomCrop(4, 6, rngs=rngs)

        def __call__(self, x):
            return self.crop(self.contrast(self.rotate(self.flip(x))))

    model = Model(nnx.Rngs(0))
    train_out = model(x)
    assert not np.allclose(train_out, augment.center_crop(x, 4, 6))
    model.eval()
    assert model.flip.deterministic is True
    np.testing.assert_array_equal(model(x), augment.center_crop(x, 4, 6))
    model.train()
    assert not np.allclose(model(x), augment.center_crop(x, 4, 6))
    view = nnx.view(model, deterministic=True)
    np.testing.assert_array_equal(view(x), augment.center_crop(x, 4, 6))
    np.testing.assert_array_equal(model.rotate(x, deterministic=True), x)
    mix = MixUp(rngs=nnx.Rngs(0))
    labels = jax.nn.one_hot(jnp.arange(4), 4)
    out, out_labels = mix(x, labels, deterministic=True)
    np.testing.assert_array_equal(out, x)
    np.testing.assert_array_equal(out_labels, labels)


def test_streams_advance_and_are_reproducible():
    x = _images()
    layer = RandomRotation(0.2, rngs=nnx.Rngs(augment=1, params=5))
    first, second = layer(x), layer(x)
    assert not np.allclose(first, second)  # the stream advances between calls
    again = RandomRotation(0.2, rngs=nnx.Rngs(augment=1, params=7))
    np.testing.assert_array_equal(again(x), first)  # only the 'augment' stream matters
    other = RandomRotation(0.2, rngs=nnx.Rngs(augment=2))
    assert not np.allclose(other(x), first)
    fallback = RandomRotation(0.2, rngs=nnx.Rngs(1))  # no 'augment' stream: 'default'
    assert fallback(x).shape == x.shape
    custom = RandomRotation(0.2, rng_collection="geometry", rngs=nnx.Rngs(geometry=1))
    assert custom(x).shape == x.shape


@pytest.mark.slow
def test_pipeline_equals_sequential_layers_on_exact_transforms():
    x = _images(n=3, c=2)

    def make():
        rngs = nnx.Rngs(4)
        return [
            RandomFlip("horizontal_and_vertical", rngs=rngs),
            RandomRotation((0.25, 0.25), interpolation="nearest", rngs=rngs),
            RandomTranslation((0.25, 0.25), (-0.125, -0.125), interpolation="nearest",
                              fill_mode="wrap", rngs=rngs),
        ]

    pipeline = AugmentationPipeline(make())
    assert pipeline.num_resamples == 2  # fill settings differ: flip + rotate | translate
    sequential = make()
    out = x
    for layer in sequential:
        out = layer(out)
    # quarter turns and whole-pixel shifts are exact, so fusing changes nothing there
    np.testing.assert_allclose(pipeline(x), out, atol=1e-9)


def test_pipeline_fuses_geometric_layers():
    x = _images()
    rngs = nnx.Rngs(1)
    layers = [RandomFlip("horizontal", rngs=rngs), RandomRotation(0.1, rngs=rngs),
              RandomZoom(0.2, rngs=rngs), RandomTranslation(0.1, 0.1, rngs=rngs)]
    fused = AugmentationPipeline(layers)
    assert fused.num_resamples == 1
    key = jax.random.key(9)
    matrix = layers[0].sample_matrix(jax.random.fold_in(key, 0), 4, 8, 8, x.dtype)
    for i, layer in enumerate(layers[1:], start=1):
        matrix = matrix @ layer.sample_matrix(jax.random.fold_in(key, i), 4, 8, 8, x.dtype)
    np.testing.assert_allclose(fused(x, rngs=key), augment.affine_transform(x, matrix),
                               atol=1e-9)
    np.testing.assert_array_equal(fused(x, deterministic=True), x)
    with pytest.raises(TypeError, match="layers"):
        AugmentationPipeline([RandomFlip(rngs=rngs), MixUp(rngs=rngs)])


def test_mixing_layers():
    x = _images(n=6)
    labels = jax.nn.one_hot(jnp.arange(6), 6)
    key = jax.random.key(2)
    xm, ym = MixUp(alpha=1.0, rngs=nnx.Rngs(0))(x, labels, key=key)
    ref = augment.mixup(key, x, labels, alpha=1.0)
    np.testing.assert_array_equal(xm, ref[0])
    np.testing.assert_array_equal(ym, ref[1])
    xm, ym = CutMix(rngs=nnx.Rngs(0))(x, labels)
    np.testing.assert_allclose(jnp.sum(ym, axis=1), 1.0, atol=1e-12)


@pytest.mark.slow
@pytest.mark.ci
def test_layers_inside_a_model_trained_under_nnx_jit():
    """Augmentation layers (fused pipeline + policy + MixUp) in an NNX model under nnx.jit."""
    rng = np.random.default_rng(0)
    n, classes = 32, 3
    labels = rng.integers(0, classes, n)
    images = np.zeros((n, 8, 8, 3), np.float32)
    for i, label in enumerate(labels):  # a bright square whose row band gives the class
        images[i, 2 * label + 1 : 2 * label + 3, 2:6] = 200.0
    images += rng.uniform(0, 30, images.shape).astype(np.float32)
    x = jnp.asarray(images)
    y = jax.nn.one_hot(jnp.asarray(labels), classes)

    class Classifier(nnx.Module):
        def __init__(self, rngs):
            self.augment = AugmentationPipeline([
                RandomFlip("horizontal", rngs=rngs),
                RandomTranslation(0.0, 0.1, rngs=rngs),
                RandomBrightness(0.1, rngs=rngs),
            ])
            self.policy = AugMix(num_chains=1, chain_depth=1, all_ops=False, rngs=rngs)
            self.linear = nnx.Linear(8 * 8 * 3, classes, rngs=rngs)

        def __call__(self, images):
            images = self.policy(self.augment(images)) / 255.0
            return self.linear(images.reshape(images.shape[0], -1))

    model = Classifier(nnx.Rngs(params=0, augment=1))
    mixup = MixUp(alpha=1.0, rngs=nnx.Rngs(augment=2))
    optimizer = nnx.Optimizer(model, optax.adam(0.05), wrt=nnx.Param)

    @nnx.jit
    def step(model, optimizer, mixup, images, targets):
        images, targets = mixup(images, targets)

        def loss_fn(model):
            logits = model(images)
            return optax.softmax_cross_entropy(logits, targets).mean()

        loss, grads = nnx.value_and_grad(loss_fn)(model)
        optimizer.update(model, grads)
        return loss

    losses = [float(step(model, optimizer, mixup, x, y)) for _ in range(30)]
    assert np.isfinite(losses).all() and losses[-1] < losses[0]
    model.eval()
    first = model(x)
    np.testing.assert_array_equal(model(x), first)  # eval mode is deterministic
    accuracy = float(jnp.mean(jnp.argmax(first, -1) == jnp.asarray(labels)))
    assert accuracy > 0.8


def test_bad_arguments_name_the_argument():
    rngs = nnx.Rngs(0)
    with pytest.raises(ValueError, match="factor"):
        RandomRotation(-0.1, rngs=rngs)
    with pytest.raises(ValueError, match="height_factor"):
        RandomZoom(-1.5, rngs=rngs)
    with pytest.raises(ValueError, match="width_factor"):
        RandomTranslation(0.1, 2.0, rngs=rngs)
    with pytest.raises(ValueError, match="fill_mode"):
        RandomRotation(0.1, fill_mode="edge", rngs=rngs)
    with pytest.raises(ValueError, match="factor"):
        RandomContrast(1.5, rngs=rngs)
    with pytest.raises(ValueError, match="value_range"):
        RandomBrightness(0.1, value_range=(5, 5), rngs=rngs)
    with pytest.raises(ValueError, match="mode"):
        RandomFlip("diagonal", rngs=rngs)
    with pytest.raises(ValueError, match="rngs"):
        RandomRotation(0.1)(jnp.ones((1, 4, 4, 1)))
    with pytest.raises(ValueError, match="height"):
        RandomCrop(9, 4, rngs=rngs)(jnp.ones((1, 8, 8, 1)))


# ------------------------------------------------------------- RandomResizedCrop


def test_resized_crop_layer_wraps_the_function_and_eval_crops_the_centre():
    x = _images(n=4, h=8, w=8, c=2)
    key = jax.random.key(5)
    layer = RandomResizedCrop(4, 2, scale=(0.3, 0.9), rngs=nnx.Rngs(0))
    out = layer(x, key=key)
    np.testing.assert_array_equal(
        out, augment.random_resized_crop(key, x, 4, 2, scale=(0.3, 0.9))
    )
    same = jnp.broadcast_to(x[:1], x.shape)
    boxes = np.asarray(layer(same, key=key))
    assert len({b.tobytes() for b in boxes}) == 4  # independent boxes per example
    # eval: largest centred box of aspect 2/4 (8 x 4 here, an integer box), resized
    expected = augment.resize(augment.center_crop(x, 8, 4), 4, 2)
    np.testing.assert_allclose(layer(x, deterministic=True), expected, atol=1e-12)
    np.testing.assert_allclose(layer(x[0], deterministic=True), expected[0], atol=1e-12)
    square = RandomResizedCrop(6, 6, deterministic=True)  # same aspect: a plain resize
    np.testing.assert_allclose(square(x), augment.resize(x, 6, 6), atol=1e-12)
    ints = jnp.asarray(np.asarray(x), jnp.int32)
    assert jnp.issubdtype(square(ints).dtype, jnp.floating)
    x32 = x.astype(jnp.float32)
    assert layer(x32).dtype == jnp.float32 and layer(x32, deterministic=True).dtype == jnp.float32


def test_resized_crop_fused_equals_unfused():
    """Flip + whole-pixel translation + a downsampling crop: exact, so fused == unfused."""
    x = _images(n=3, h=8, w=8, c=2, seed=1)

    def make():
        rngs = nnx.Rngs(3)
        return [
            RandomFlip("horizontal_and_vertical", rngs=rngs),
            RandomTranslation((0.25, 0.25), (-0.125, -0.125), fill_mode="nearest", rngs=rngs),
            RandomResizedCrop(4, 4, scale=(0.5, 1.0), rngs=rngs),
        ]

    pipeline = AugmentationPipeline(make())
    assert pipeline.num_resamples == 1
    key = jax.random.key(11)
    out = x
    for i, layer in enumerate(make()):
        out = layer(out, key=jax.random.fold_in(key, i))
    fused = pipeline(x, rngs=key)
    assert fused.shape == (3, 4, 4, 2)
    np.testing.assert_allclose(fused, out, atol=1e-9)
    # eval mode: only the crop acts (centred crop + resize)
    np.testing.assert_allclose(
        pipeline(x, deterministic=True), augment.resize(x, 4, 4), atol=1e-12
    )


def test_resized_crop_fuses_as_one_coordinate_transform():
    x = _images(n=2, h=8, w=8, c=1, seed=2)
    key = jax.random.key(4)
    # default fill "reflect" fuses with the crop; the crop changes the size mid-run
    rotation, crop = RandomRotation(0.1, rngs=nnx.Rngs(0)), RandomResizedCrop(5, 6)
    zoom = RandomZoom(0.2, rngs=nnx.Rngs(1))
    pipeline = AugmentationPipeline([rotation, crop, zoom])
    assert pipeline.num_resamples == 1
    k = [jax.random.fold_in(key, i) for i in range(3)]
    matrix = (
        rotation.sample_matrix(k[0], 2, 8, 8, x.dtype)
        @ crop.sample_matrix(k[1], 2, 8, 8, x.dtype)
        @ zoom.sample_matrix(k[2], 2, 5, 6, x.dtype)
    )
    expected = augment.affine_transform(x, matrix, output_shape=(5, 6))
    np.testing.assert_allclose(pipeline(x, rngs=key), expected, atol=1e-12)
    constant = RandomTranslation(0.1, 0.1, fill_mode="constant", rngs=nnx.Rngs(2))
    assert AugmentationPipeline([crop, constant]).num_resamples == 2  # fills conflict
    eval_out = pipeline(x, deterministic=True)  # only the crop is not the identity
    np.testing.assert_array_equal(eval_out, crop(x, deterministic=True))


def test_resized_crop_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="scale"):
        RandomResizedCrop(4, 4, scale=(0.9, 0.2))
    with pytest.raises(ValueError, match="scale"):
        RandomResizedCrop(4, 4, scale=0.5)
    with pytest.raises(ValueError, match="ratio"):
        RandomResizedCrop(4, 4, ratio=(0.0, 1.0))
    with pytest.raises(ValueError, match="height"):
        RandomResizedCrop(0, 4)
    with pytest.raises(TypeError, match="width"):
        RandomResizedCrop(4, 2.5)
    with pytest.raises(ValueError, match="interpolation"):
        RandomResizedCrop(4, 4, interpolation="cubic")


# ------------------------------------------------------ Equalization, AutoContrast


def test_equalization_and_autocontrast_apply_in_both_modes():
    x = jnp.round(_images(n=2, h=6, w=6, c=3, seed=4) * 0.3 + 20)  # a narrow histogram

    class Model(nnx.Module):
        def __init__(self):
            self.equalize = Equalization()
            self.stretch = AutoContrast(value_range=(0, 255))

        def __call__(self, x):
            return self.stretch(self.equalize(x))

    model = Model()
    expected = augment.autocontrast(augment.equalize(x, value_range=VR), value_range=VR)
    np.testing.assert_array_equal(model(x), expected)
    assert not np.allclose(expected, x)
    model.eval()  # not random: the same transform at inference, as Keras documents
    np.testing.assert_array_equal(model(x), expected)
    np.testing.assert_array_equal(
        Equalization(value_range=(0, 1), bins=16)(x / 255),
        augment.equalize(x / 255, value_range=(0, 1), bins=16),
    )
    pipeline = AugmentationPipeline([RandomFlip(rngs=nnx.Rngs(0)), AutoContrast()])
    np.testing.assert_array_equal(
        pipeline(x, deterministic=True), augment.autocontrast(x, value_range=VR)
    )
    jitted = nnx.jit(lambda m, x: m(x))
    np.testing.assert_allclose(jitted(model, x), expected, atol=1e-9)
    with pytest.raises(ValueError, match="value_range"):
        AutoContrast(value_range=(1, 1))
    with pytest.raises(ValueError, match="bins"):
        Equalization(bins=1)
    with pytest.raises(TypeError, match="bins"):
        Equalization(bins=2.5)


def test_new_image_layers_under_nnx_jit():
    x = _images(n=2, h=8, w=8, c=1, seed=6).astype(jnp.float32)
    twin_a = RandomResizedCrop(4, 4, rngs=nnx.Rngs(7))
    twin_b = RandomResizedCrop(4, 4, rngs=nnx.Rngs(7))
    jitted = nnx.jit(lambda layer, x: layer(x))
    first, second = jitted(twin_a, x), jitted(twin_a, x)
    assert not np.allclose(first, second)  # the stream advances under nnx.jit
    np.testing.assert_allclose(first, twin_b(x), atol=1e-5)
    np.testing.assert_allclose(second, twin_b(x), atol=1e-5)
