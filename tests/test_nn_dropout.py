"""Tests of the jreg.nn dropout family: modes, keys, transforms, statistics, errors."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

import jreg
from jreg import nn as jnn

# name -> (constructor from rngs, input shape). Small shapes, and one shape shared by
# most layers: compilation dominates the run time, and XLA reuses what it compiled.
S = (6, 4, 4, 3)
CASES = {
    "Dropout": (lambda rngs: jnn.Dropout(0.5, rngs=rngs), S),
    "SpatialDropout1D": (lambda rngs: jnn.SpatialDropout1D(0.5, rngs=rngs), (6, 4, 3)),
    "SpatialDropout2D": (lambda rngs: jnn.SpatialDropout2D(0.5, rngs=rngs), S),
    "SpatialDropout3D": (lambda rngs: jnn.SpatialDropout3D(0.5, rngs=rngs), (3, 2, 2, 2, 3)),
    "GaussianDropout": (lambda rngs: jnn.GaussianDropout(0.3, rngs=rngs), S),
    "GaussianNoise": (lambda rngs: jnn.GaussianNoise(0.5, rngs=rngs), S),
    "AlphaDropout": (lambda rngs: jnn.AlphaDropout(0.3, rngs=rngs), S),
    "DropPath": (lambda rngs: jnn.DropPath(0.5, rngs=rngs), S),
    "DropBlock2D": (lambda rngs: jnn.DropBlock2D(0.3, 2, rngs=rngs), S),
    "DropConnect": (lambda rngs: jnn.DropConnect(3, 2, rate=0.5, rngs=rngs), S),
}
NAMES = list(CASES)
# SpatialDropout1D/3D share SpatialDropout2D's code (only the mask shape differs) and
# GaussianNoise shares GaussianDropout's (Gaussian noise of the input's shape): their
# transform tests beyond nnx.jit are marked slow to keep the default run short.
_SAME_CODE_AS_ANOTHER = ("SpatialDropout1D", "SpatialDropout3D", "GaussianNoise")
TRANSFORM_NAMES = [
    pytest.param(n, marks=pytest.mark.slow) if n in _SAME_CODE_AS_ANOTHER else n for n in NAMES
]


def make(name, seed=0, **rngs_kwargs):
    factory, shape = CASES[name]
    rngs = nnx.Rngs(seed, **rngs_kwargs)
    return factory(rngs), shape


def inputs(shape, dtype=jnp.float64, seed=1):
    return jax.random.normal(jax.random.key(seed), shape, dtype) + 2.0


def eval_reference(layer, x):
    """What the layer must compute in eval mode: the identity, or nnx.Linear's map."""
    if isinstance(layer, jnn.DropConnect):
        return x @ layer.kernel[...] + layer.bias[...]
    return x


def differ(a, b):
    return not np.array_equal(np.asarray(a), np.asarray(b))


# ---------------------------------------------------------------- modes and keys


@pytest.mark.parametrize("name", NAMES)
def test_train_random_eval_identity(name):
    dtype = jnp.float64  # float32: see test_jit_matches_eager and the statistics tests
    layer, shape = make(name)
    x = inputs(shape, dtype)
    assert layer.deterministic is False  # constructed in train mode, like nnx.Dropout
    y1, y2 = layer(x), layer(x)
    assert y1.shape == x.shape[:-1] + y1.shape[-1:] and y1.dtype == dtype
    assert differ(y1, y2)  # the stream advances
    layer.eval()
    assert layer.deterministic is True
    y = layer(x)
    if isinstance(layer, jnn.DropConnect):
        np.testing.assert_allclose(y, eval_reference(layer, x), rtol=1e-6)
    else:
        assert y is x  # exact identity: the input itself
    layer.train()
    assert differ(layer(x), eval_reference(layer, x))


@pytest.mark.parametrize("name", NAMES)
def test_reproducible_and_overrides(name):
    layer_a, shape = make(name, seed=3)
    layer_b, _ = make(name, seed=3)
    x = inputs(shape)
    np.testing.assert_array_equal(layer_a(x), layer_b(x))  # same seed, same output
    key = jax.random.key(7)
    y_key = layer_a(x, key=key)
    np.testing.assert_array_equal(y_key, layer_b(x, rngs=key))  # rngs= also takes a key
    np.testing.assert_array_equal(y_key, layer_a(x, key=key))  # explicit keys do not advance
    assert differ(y_key, layer_a(x, key=jax.random.key(8)))
    np.testing.assert_array_equal(
        layer_a(x, rngs=nnx.Rngs(dropout=5)), layer_b(x, rngs=nnx.Rngs(dropout=5))
    )
    # call-time deterministic overrides the attribute, both ways
    np.testing.assert_allclose(layer_a(x, deterministic=True), eval_reference(layer_a, x))
    layer_a.eval()
    assert differ(layer_a(x, deterministic=False), eval_reference(layer_a, x))
    # nnx.view gives an eval-mode view without touching the original
    layer_b.train()
    view = nnx.view(layer_b, deterministic=True)
    np.testing.assert_allclose(view(x), eval_reference(layer_b, x))
    assert layer_b.deterministic is False


def test_model_train_eval_switches_every_layer():
    class Model(nnx.Module):
        def __init__(self, rngs):
            self.layers = nnx.List([CASES[n][0](rngs) for n in NAMES])
            self.flax_dropout = nnx.Dropout(0.5, rngs=rngs)

    model = Model(nnx.Rngs(0))
    model.eval()
    assert all(layer.deterministic for layer in model.layers)
    assert model.flax_dropout.deterministic
    model.train()
    assert not any(layer.deterministic for layer in model.layers)
    view = nnx.view(model, deterministic=True)
    assert all(layer.deterministic for layer in view.layers)
    assert not any(layer.deterministic for layer in model.layers)


def test_dropout_matches_flax_dropout():
    x = inputs((5, 4, 3))
    for kwargs in ({}, {"broadcast_dims": (1,)}):
        ours = jnn.Dropout(0.3, rngs=nnx.Rngs(11), **kwargs)
        theirs = nnx.Dropout(0.3, rngs=nnx.Rngs(11), **kwargs)
        for _ in range(2):  # the same masks; values equal up to the rounding of 1/(1-p)
            a, b = ours(x), theirs(x)
            np.testing.assert_array_equal(a == 0, b == 0)
            np.testing.assert_allclose(a, b, rtol=1e-15)


def test_other_stream_and_rng_stream():
    x = inputs((4, 6))
    layer = jnn.Dropout(0.5, rng_collection="noise", rngs=nnx.Rngs(params=0, noise=1))
    same = jnn.Dropout(0.5, rngs=nnx.Rngs(params=0, noise=1)["noise"])
    np.testing.assert_array_equal(layer(x), same(x))


# ---------------------------------------------------------------- errors


RATE_LAYERS = {
    "Dropout": lambda rate: jnn.Dropout(rate),
    "SpatialDropout1D": lambda rate: jnn.SpatialDropout1D(rate),
    "SpatialDropout2D": lambda rate: jnn.SpatialDropout2D(rate),
    "SpatialDropout3D": lambda rate: jnn.SpatialDropout3D(rate),
    "GaussianDropout": lambda rate: jnn.GaussianDropout(rate),
    "AlphaDropout": lambda rate: jnn.AlphaDropout(rate),
    "DropPath": lambda rate: jnn.DropPath(rate),
    "DropBlock2D": lambda rate: jnn.DropBlock2D(rate, 3),
    "DropConnect": lambda rate: jnn.DropConnect(2, 2, rate=rate, rngs=nnx.Rngs(0)),
}


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5, float("nan"), float("inf")])
@pytest.mark.parametrize("name", sorted(RATE_LAYERS))
def test_bad_rate(name, rate):
    # [0, 1) for every layer: at rate=1 the scale 1/(1-rate) is infinite
    with pytest.raises(ValueError, match=r"rate must lie in \[0.0, 1.0\)"):
        RATE_LAYERS[name](rate)


def test_bad_rate_types_and_call_time_rate():
    with pytest.raises(TypeError, match="rate"):
        jnn.Dropout("0.5")
    with pytest.raises(TypeError, match="rate"):
        jnn.DropPath(True)
    layer = jnn.DropBlock2D(0.1, 3, rngs=nnx.Rngs(0))
    x = jnp.ones((1, 4, 4, 1))
    for rate in (1.0, 2.0, -0.5, jnp.asarray(1.0)):
        with pytest.raises(ValueError, match=r"rate must lie in \[0.0, 1.0\)"):
            layer(x, rate=rate)
    # just below 1 is accepted and finite
    assert bool(jnp.all(jnp.isfinite(layer(x, rate=0.999))))


def test_drop_block_traced_rate_one_is_zeros_not_nan():
    # A traced call-time rate cannot be checked; rate >= 1 then drops everything.
    layer = jnn.DropBlock2D(0.1, 2, rngs=nnx.Rngs(0))
    x = inputs((2, 4, 4, 3))
    y = jax.jit(lambda x, r: layer(x, rate=r, key=jax.random.key(0)))(x, 1.0)
    np.testing.assert_array_equal(y, np.zeros(x.shape))


@pytest.mark.parametrize(
    "layer, shape",
    [
        (jnn.SpatialDropout1D(0.5), (4, 5)),
        (jnn.SpatialDropout2D(0.5), (4, 5, 3)),
        (jnn.SpatialDropout2D(0.5, data_format="channels_first"), (2, 4, 5, 3, 1)),
        (jnn.SpatialDropout3D(0.5), (4, 5, 3, 2)),
        (jnn.DropBlock2D(0.5, 3), (4, 5, 3)),
    ],
)
def test_wrong_rank(layer, shape):
    with pytest.raises(ValueError, match="inputs .* must have rank"):
        layer(jnp.ones(shape), key=jax.random.key(0))


def test_missing_rng_stream():
    with pytest.raises(ValueError, match="rngs has no 'dropout' stream"):
        jnn.Dropout(0.5, rngs=nnx.Rngs(params=0))
    with pytest.raises(ValueError, match="rngs has no 'dropout' stream"):
        jnn.DropConnect(2, 2, rate=0.5, rngs=nnx.Rngs(params=0))
    layer = jnn.GaussianNoise(0.1)  # no rngs: fine in eval mode, an error in train mode
    x = jnp.ones((2, 3))
    assert layer(x, deterministic=True) is x
    with pytest.raises(ValueError, match="no random source: pass rngs="):
        layer(x)
    with pytest.raises(ValueError, match="rngs has no 'dropout' stream"):
        layer(x, rngs=nnx.Rngs(params=0))
    with pytest.raises(TypeError, match="rngs must be"):
        jnn.Dropout(0.5, rngs=0)


def test_other_bad_arguments():
    x = jnp.ones((2, 3))
    key = jax.random.key(0)
    layer = jnn.Dropout(0.5, rngs=nnx.Rngs(0))
    with pytest.raises(ValueError, match="either key or rngs"):
        layer(x, key=key, rngs=nnx.Rngs(1))
    with pytest.raises(ValueError, match="key must be a single PRNG key"):
        layer(x, key=jax.random.split(key, 2))
    with pytest.raises(TypeError, match="key must be a JAX PRNG key"):
        layer(x, key=3)
    with pytest.raises(TypeError, match="inputs must be a floating-point array"):
        layer(jnp.ones((2, 3), jnp.int32))
    with pytest.raises(ValueError, match="either broadcast_dims or noise_shape"):
        jnn.Dropout(0.5, broadcast_dims=(0,), noise_shape=(1, None))
    with pytest.raises(ValueError, match="noise_shape must have one entry per axis"):
        jnn.Dropout(0.5, noise_shape=(1, None, None))(x, key=key)
    with pytest.raises(ValueError, match="noise_shape entries must be None, 1 or"):
        jnn.Dropout(0.5, noise_shape=(2, 2))(jnp.ones((3, 3)), key=key)
    with pytest.raises(ValueError, match="broadcast_dims entries must be axes"):
        jnn.Dropout(0.5, broadcast_dims=(2,))(x, key=key)
    with pytest.raises(ValueError, match="stddev must be non-negative"):
        jnn.GaussianNoise(-1.0)
    with pytest.raises(ValueError, match="stddev must be finite"):
        jnn.GaussianNoise(float("inf"))
    with pytest.raises(ValueError, match="block_size must be a positive int"):
        jnn.DropBlock2D(0.1, 0)
    with pytest.raises(ValueError, match="data_format"):
        jnn.SpatialDropout2D(0.1, data_format="NHWC")
    with pytest.raises(ValueError, match="deterministic is None"):
        jnn.Dropout(0.5, deterministic=None, rngs=nnx.Rngs(0))(x)
    with pytest.raises(ValueError, match="per_example=True must have rank >= 2"):
        jnn.DropConnect(3, 2, rate=0.5, rngs=nnx.Rngs(0))(jnp.ones(3))


# ---------------------------------------------------------------- transforms


@pytest.mark.parametrize("name", NAMES)
def test_jit_matches_eager(name):
    eager, shape = make(name, seed=4)
    jitted, _ = make(name, seed=4)
    x = inputs(shape, jnp.float32)  # float32 end to end
    step = nnx.jit(lambda layer, x: layer(x))
    for _ in range(2):  # the stream state advances inside nnx.jit as it does eagerly
        y = step(jitted, x)
        assert y.dtype == jnp.float32
        np.testing.assert_allclose(y, eager(x), rtol=1e-6, atol=1e-6)
    jitted.eval()
    np.testing.assert_allclose(step(jitted, x), eval_reference(jitted, x), rtol=1e-6)


@pytest.mark.parametrize("name", TRANSFORM_NAMES)
def test_vmap_split_rngs_gives_independent_masks(name):
    """nnx.vmap with the layer's stream split: every member draws its own noise."""
    layer, shape = make(name)
    axes = nnx.StateAxes({nnx.RngState: 0, ...: None})

    @nnx.split_rngs(splits=3)
    @nnx.vmap(in_axes=(axes, 0))
    def apply(layer, x):
        return layer(x)

    x = inputs(shape)
    ys = apply(layer, jnp.broadcast_to(x, (3, *x.shape)))
    assert ys.shape[0] == 3 and differ(ys[0], ys[1]) and differ(ys[1], ys[2])
    assert layer.rngs.key.shape == ()  # split_rngs restores the stream afterwards
    # (explicit keys under plain JAX transforms: see test_explicit_keys_under_jax_vmap and
    # the jax.lax.scan part of test_scan_over_time)


@pytest.mark.parametrize("name", ["Dropout", "DropBlock2D", "DropConnect"])
def test_explicit_keys_under_jax_vmap(name):
    layer, shape = make(name)
    x = inputs(shape)
    keys = jax.random.split(jax.random.key(0), 3)
    ys = jax.vmap(lambda k, x: layer(x, key=k))(keys, jnp.broadcast_to(x, (3, *x.shape)))
    np.testing.assert_allclose(ys[1], layer(x, key=keys[1]), rtol=1e-12)
    assert differ(ys[0], ys[1])


@pytest.mark.parametrize(
    "name", ["Dropout", "GaussianDropout", "GaussianNoise", "AlphaDropout", "DropPath"]
)
def test_vmap_over_examples(name):
    """Layers applied per example under nnx.vmap: keys differ per example."""
    layer, _ = make(name)
    axes = nnx.StateAxes({nnx.RngState: 0, ...: None})

    @nnx.split_rngs(splits=S[0])
    @nnx.vmap(in_axes=(axes, 0))
    def per_example(layer, x):
        return layer(x)

    ys = per_example(layer, inputs(S))  # each call sees one example of shape S[1:]
    assert ys.shape == S
    assert len({tuple(np.asarray(row).ravel().tolist()) for row in ys}) == S[0]


@pytest.mark.parametrize("name", TRANSFORM_NAMES)
def test_scan_over_layers(name):
    """Flax issue 4589: a stack built with nnx.split_rngs + nnx.vmap, scanned over layers."""
    factory, shape = CASES[name]

    @nnx.split_rngs(splits=3)
    @nnx.vmap(axis_size=3)
    def stack(rngs):
        return factory(rngs)

    layers = stack(nnx.Rngs(0))
    x = inputs(shape)
    chained = name != "DropConnect"  # (DropConnect changes the feature size: no carry)

    # one scan: chain the layers (the carry) and apply each layer to the same probe input
    @nnx.scan(in_axes=(nnx.Carry, 0), out_axes=(nnx.Carry, 0))
    def chain(h, layer):
        return (layer(h) if chained else h), layer(x)

    z, probes = chain(x, layers)
    assert z.shape == x.shape
    assert differ(probes[0], probes[1]) and differ(probes[1], probes[2])  # a stream per layer
    np.testing.assert_array_equal(layers.rngs.count[...], [1 + chained] * 3)  # streams advanced


@pytest.mark.parametrize("name", TRANSFORM_NAMES)
def test_scan_over_time(name):
    """Flax issue 4151: dropout inside a scan over time steps."""
    layer, shape = make(name)
    xs = jnp.broadcast_to(inputs(shape), (3, *shape))

    # nnx.scan with the layer in the carry: its stream advances at each step.
    @nnx.scan(in_axes=(nnx.Carry, 0), out_axes=(nnx.Carry, 0))
    def steps(layer, x):
        return layer, layer(x)

    _, ys = steps(layer, xs)
    assert differ(ys[0], ys[1]) and differ(ys[1], ys[2])
    assert int(layer.rngs.count[...]) == 3  # the stream advanced once per step


@pytest.mark.parametrize("name", ["Dropout", "DropBlock2D", "DropConnect"])
def test_explicit_keys_under_jax_lax_scan(name):
    """Plain jax.lax.scan (Flax issue 4151's setting) with explicit keys: no NNX state is
    touched, so no TraceContextError, and each step gets its own key."""
    layer, shape = make(name)
    xs = jnp.broadcast_to(inputs(shape), (3, *shape))
    keys = jax.random.split(jax.random.key(0), 3)

    def body(carry, key_x):
        key, x = key_x
        return carry, layer(x, key=key)

    _, ys = jax.lax.scan(body, None, (keys, xs))
    np.testing.assert_allclose(ys[2], layer(xs[2], key=keys[2]), rtol=1e-12)
    assert differ(ys[0], ys[1])


@pytest.mark.parametrize("name", TRANSFORM_NAMES)
def test_gradients_flow_and_remat(name):
    layer, shape = make(name)
    x = inputs(shape)
    key = jax.random.key(3)
    weights = jax.random.normal(jax.random.key(4), layer(x, key=key).shape)
    d = jax.random.normal(jax.random.key(5), x.shape)

    @nnx.jit  # one compilation for the three computations
    def check(layer, x, d):
        objective = lambda layer, x: jnp.vdot(weights, layer(x, key=key))
        grad = jax.grad(lambda x: objective(layer, x))(x)  # plain jax.grad
        # nnx.remat inside nnx.grad: the rematerialized forward pass redraws the same noise
        g_remat = nnx.grad(nnx.remat(objective), argnums=1)(layer, x)
        return grad, g_remat, objective(layer, x + d) - objective(layer, x)

    grad, g_remat, difference = check(layer, x, d)
    # Given the key every layer is affine in x, so <grad, d> = f(x + d) - f(x) exactly.
    np.testing.assert_allclose(jnp.vdot(grad, d), difference, rtol=1e-9, atol=1e-9)
    assert np.all(np.isfinite(grad)) and np.any(grad != 0)
    np.testing.assert_allclose(g_remat, grad, rtol=1e-12)


def test_remat_with_the_layer_stream():
    """nnx.remat inside nnx.grad with the layer's own stream: one draw, state updated."""
    layer = jnn.Dropout(0.5, rngs=nnx.Rngs(0))
    twin = jnn.Dropout(0.5, rngs=nnx.Rngs(0))
    x = inputs((4, 6))
    loss = lambda layer, x: jnp.sum(layer(x) ** 2)
    g_remat = nnx.grad(nnx.remat(loss), argnums=1)(layer, x)
    g_plain = nnx.grad(loss, argnums=1)(twin, x)
    np.testing.assert_allclose(g_remat, g_plain, rtol=1e-12)
    assert int(layer.rngs.count[...]) == int(twin.rngs.count[...]) == 1


def test_drop_connect_parameter_gradients():
    layer = jnn.DropConnect(4, 3, rate=0.5, per_example=False, rngs=nnx.Rngs(0))
    x = inputs((5, 4))
    key = jax.random.key(1)
    grads = nnx.grad(lambda m: jnp.sum(m(x, key=key)))(layer)
    # d/dW sum(x (M∘W)/keep) = (Σ_n x_n)ᵀ 1 ∘ M / keep; zero exactly where dropped
    dropped = layer(jnp.eye(4), key=key) - layer.bias[...]
    expected = jnp.outer(x.sum(0), jnp.ones(3)) * (dropped != 0) / 0.5
    np.testing.assert_allclose(grads.kernel[...], expected, rtol=1e-6)
    np.testing.assert_allclose(grads.bias[...], np.full(3, 5.0))


# ---------------------------------------------------------------- statistics


def within(value, expected, std, n_sigma=5.0):
    assert abs(float(value) - expected) <= n_sigma * std, (float(value), expected, std)


@pytest.mark.parametrize("rate", [0.1, 0.5])
def test_dropout_statistics(rate):
    n = 40_000
    layer = jnn.Dropout(rate, rngs=nnx.Rngs(0))
    y = layer(jnp.ones((200, n // 200), jnp.float32))
    assert y.dtype == jnp.float32
    within(jnp.mean(y == 0), rate, np.sqrt(rate * (1 - rate) / n))
    within(jnp.mean(y), 1.0, np.sqrt(rate / (1 - rate) / n))  # E[y] = x
    values = np.unique(np.asarray(y))
    assert len(values) == 2 and values[0] == 0
    np.testing.assert_allclose(values[1], 1 / (1 - rate), rtol=1e-6)


def test_dropout_noise_shape_shares_the_mask():
    x = jnp.ones((6, 5, 4))
    for layer in (
        jnn.Dropout(0.5, noise_shape=(None, 1, None), rngs=nnx.Rngs(0)),
        jnn.Dropout(0.5, broadcast_dims=(-2,), rngs=nnx.Rngs(0)),
    ):
        y = layer(x)
        np.testing.assert_array_equal(y, jnp.broadcast_to(y[:, :1], y.shape))
        assert 0 < float(jnp.mean(y == 0)) < 1


@pytest.mark.parametrize(
    "cls, shape, channel_axis",
    [
        (jnn.SpatialDropout1D, (50, 7, 8), -1),
        (jnn.SpatialDropout2D, (50, 3, 4, 8), -1),
        (jnn.SpatialDropout3D, (50, 2, 3, 2, 8), -1),
    ],
)
def test_spatial_dropout_drops_whole_channels(cls, shape, channel_axis):
    rate = 0.3
    for data_format in ("channels_last", "channels_first"):
        layer = cls(rate, data_format=data_format, rngs=nnx.Rngs(0))
        if data_format == "channels_first":
            shape = (shape[0], shape[-1], *shape[1:-1])
        y = layer(jnp.ones(shape))
        spatial = (
            tuple(range(1, len(shape) - 1))
            if data_format == "channels_last"
            else (tuple(range(2, len(shape))))
        )
        lo, hi = jnp.min(y, axis=spatial), jnp.max(y, axis=spatial)
        np.testing.assert_array_equal(lo, hi)  # each (example, channel) kept or dropped whole
        n_channels = lo.size
        within(jnp.mean(lo == 0), rate, np.sqrt(rate * (1 - rate) / n_channels))
        np.testing.assert_allclose(jnp.max(y), 1 / (1 - rate))
        assert differ(lo[0], lo[1])  # per-example masks


def test_gaussian_dropout_and_noise_statistics():
    n, rate, stddev = 40_000, 0.3, 0.7
    y = jnn.GaussianDropout(rate, rngs=nnx.Rngs(0))(jnp.ones((n,)))
    var = rate / (1 - rate)
    within(jnp.mean(y), 1.0, np.sqrt(var / n))
    within(jnp.var(y), var, var * np.sqrt(2 / n))
    y = jnn.GaussianNoise(stddev, rngs=nnx.Rngs(0))(jnp.full((n,), 3.0))
    within(jnp.mean(y), 3.0, stddev / np.sqrt(n))
    within(jnp.std(y), stddev, stddev / np.sqrt(2 * n))


@pytest.mark.parametrize("rate", [0.05, 0.3])
def test_alpha_dropout_keeps_zero_mean_unit_variance(rate):
    n = 60_000
    x = jax.random.normal(jax.random.key(0), (n,))
    y = jnn.AlphaDropout(rate, rngs=nnx.Rngs(1))(x)
    # mean/var of y are those of x (0 and 1) up to sampling error of ~ 1/sqrt(n)
    within(jnp.mean(y), 0.0, 1 / np.sqrt(n))
    within(jnp.var(y), 1.0, np.sqrt(3 / n))
    # dropped entries all take the same value a·α' + b
    alpha_p = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946
    a = ((1 - rate) * (1 + rate * alpha_p**2)) ** -0.5
    dropped_value = a * alpha_p - a * alpha_p * rate
    within(jnp.mean(jnp.isclose(y, dropped_value, rtol=1e-12)), rate, np.sqrt(rate / n))


def test_alpha_dropout_on_selu_network_stays_normalized():
    """A deep SELU MLP with AlphaDropout keeps activations near mean 0, variance 1."""
    width, depth = 256, 8
    x = jax.random.normal(jax.random.key(0), (512, width))
    keys = jax.random.split(jax.random.key(1), depth)
    layer = jnn.AlphaDropout(0.1, rngs=nnx.Rngs(2))
    for key in keys:
        w = jax.random.normal(key, (width, width)) / np.sqrt(width)  # LeCun normal
        x = layer(jax.nn.selu(x @ w))
    assert abs(float(jnp.mean(x))) < 0.1 and abs(float(jnp.var(x)) - 1) < 0.15


def test_drop_path_statistics():
    rate, n = 0.25, 4000
    y = jnn.DropPath(rate, rngs=nnx.Rngs(0))(jnp.ones((n, 3, 2)))
    per_example = y.reshape(n, -1)
    np.testing.assert_array_equal(per_example.min(1), per_example.max(1))  # whole examples
    within(jnp.mean(per_example[:, 0] == 0), rate, np.sqrt(rate * (1 - rate) / n))
    within(jnp.mean(y), 1.0, np.sqrt(rate / (1 - rate) / n))
    unscaled = jnn.DropPath(rate, scale_by_keep=False, rngs=nnx.Rngs(0))(jnp.ones((n, 3, 2)))
    np.testing.assert_allclose(unscaled, y * (1 - rate))


def _cover_counts(size, block):
    """Number of valid block corners whose block covers each position, along one axis."""
    starts = np.arange(size - block + 1)
    return np.array([np.sum((starts <= i) & (i < starts + block)) for i in range(size)])


@pytest.mark.parametrize("block, hw", [(3, (12, 10)), (20, (5, 7))])
def test_drop_block_probability_per_position(block, hw):
    """P(position dropped) = 1 − (1 − γ)^(number of valid blocks covering it), exactly."""
    rate, n, c = 0.2, 400, 4
    h, w = hw
    layer = jnn.DropBlock2D(rate, block, rngs=nnx.Rngs(0))
    y = layer(jnp.ones((n, h, w, c)))
    s = min(block, h, w)
    gamma = min(rate / s**2 * h * w / ((h - s + 1) * (w - s + 1)), 1.0)
    covers = np.outer(_cover_counts(h, s), _cover_counts(w, s))
    expected = 1 - (1 - gamma) ** covers
    observed = np.mean(np.asarray(y) == 0, axis=(0, 3))
    std = np.sqrt(expected * (1 - expected) / (n * c)) + 1e-12
    assert np.all(np.abs(observed - expected) <= 5 * std + 1e-9)
    # each example is normalized by its kept fraction: its sum is preserved exactly
    np.testing.assert_allclose(jnp.sum(y, axis=(1, 2, 3)), h * w * c, rtol=1e-12)


def test_drop_block_drops_contiguous_blocks():
    s = 3
    y = jnn.DropBlock2D(0.15, s, rngs=nnx.Rngs(0))(jnp.ones((20, 11, 11, 2)))
    dropped = np.asarray(y == 0, dtype=float)
    # morphological opening with the s×s square: a union of s×s squares is unchanged
    full = jax.lax.reduce_window(dropped, 1.0, jax.lax.min, (1, s, s, 1), (1,) * 4, "VALID")
    pad = ((0, 0), (s - 1, s - 1), (s - 1, s - 1), (0, 0))
    opened = jax.lax.reduce_window(full, 0.0, jax.lax.max, (1, s, s, 1), (1,) * 4, pad)
    np.testing.assert_array_equal(opened, dropped)
    assert 0 < dropped.mean() < 0.5
    assert differ(dropped[..., 0], dropped[..., 1])  # separate masks per channel


def test_drop_block_channels_first_and_scheduled_rate():
    layer = jnn.DropBlock2D(0.1, 2, data_format="channels_first", rngs=nnx.Rngs(0))
    x = jnp.ones((8, 2, 9, 9))
    key = jax.random.key(3)
    y_first = layer(x, key=key)
    layer_last = jnn.DropBlock2D(0.1, 2, rngs=nnx.Rngs(0))
    y_last = layer_last(jnp.moveaxis(x, 1, -1), key=key)
    np.testing.assert_array_equal(jnp.moveaxis(y_first, 1, -1), y_last)

    traces = []

    @nnx.jit
    def apply(layer, x, rate):
        traces.append(None)
        return layer(x, rate=rate)

    fractions = [float(jnp.mean(apply(layer, x, jnp.asarray(r)) == 0)) for r in (0.0, 0.1, 0.4)]
    assert len(traces) == 1  # a traced rate does not recompile
    assert fractions[0] == 0.0 and fractions[1] < fractions[2]


def test_drop_connect_masks():
    rate = 0.5
    shared = jnn.DropConnect(30, 20, rate=rate, per_example=False, rngs=nnx.Rngs(0))
    kernel, bias = shared.kernel[...], shared.bias[...]
    w = shared(jnp.eye(30)) - bias  # the dropped, rescaled kernel
    kept = np.asarray(w != 0)
    within(1 - kept.mean(), rate, np.sqrt(rate * (1 - rate) / kept.size))
    np.testing.assert_allclose(np.asarray(w)[kept], np.asarray(kernel)[kept] / (1 - rate))
    # per-example masks: identical examples get different outputs; shared masks do not
    per_example = jnn.DropConnect(30, 20, rate=rate, rngs=nnx.Rngs(0))
    x = jnp.ones((2, 30))
    y = per_example(x)
    assert differ(y[0], y[1])
    y = shared(x)
    np.testing.assert_array_equal(y[0], y[1])
    # the mean over many keys approaches nnx.Linear's output
    keys = jax.random.split(jax.random.key(0), 1000)
    mean = jnp.mean(jax.vmap(lambda k: shared(x[:1], key=k))(keys), axis=0)
    np.testing.assert_allclose(mean, x[:1] @ kernel + bias, atol=0.15)


def test_public_surface():
    for name in NAMES:
        base = name.split("-")[0]
        assert base in jnn.__all__ and hasattr(jreg.nn, base)
