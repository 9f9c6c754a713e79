"""Tests of jreg.nn model penalties, activity regularization and constraints."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from flax import nnx

import jreg
from jreg import nn as jnn
from jreg.penalties import L1, L2

TOL = {jnp.float32: 1e-6, jnp.float64: 1e-12}


class Net(nnx.Module):
    """Two linear layers, a conv, a layer norm and a batch statistic."""

    def __init__(self, rngs, dtype=jnp.float64):
        self.layers = nnx.List(
            [
                nnx.Linear(4, 5, param_dtype=dtype, rngs=rngs),
                nnx.Linear(5, 3, param_dtype=dtype, rngs=rngs),
            ]
        )
        self.conv = nnx.Conv(2, 3, (2, 2), param_dtype=dtype, rngs=rngs)
        self.norm = nnx.LayerNorm(5, dtype=dtype, param_dtype=dtype, rngs=rngs)
        self.stats = nnx.BatchStat(jnp.linspace(1.0, 2.0, 5, dtype=dtype))

    def __call__(self, x):
        return self.layers[1](jax.nn.relu(self.norm(self.layers[0](x))))


def make_net(dtype=jnp.float64, seed=0):
    net = Net(nnx.Rngs(seed), dtype)
    # non-zero biases and scales, so that excluding them is a real test
    for path, variable in nnx.to_flat_state(nnx.state(net, nnx.Param)):
        if path[-1] in ("bias", "scale"):
            variable[...] = variable[...] + 0.5
    return net


RULES = [
    ("^layers/0/kernel$", L1(0.01)),  # first layer: L1
    ("kernel$", L2(0.001)),  # every other kernel (layer 1, conv): L2
]  # biases, layer-norm scale and batch statistics: nothing


def by_hand(net):
    w0 = net.layers[0].kernel[...]
    w1 = net.layers[1].kernel[...]
    wc = net.conv.kernel[...]
    return 0.01 * jnp.sum(jnp.abs(w0)) + 0.001 * (jnp.sum(w1**2) + jnp.sum(wc**2))


# ---------------------------------------------------------------- PenaltySpec


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_penalty_equals_hand_computation(dtype):
    net = make_net(dtype)
    spec = jnn.PenaltySpec(RULES)
    value = spec(net)
    assert value.dtype == dtype
    np.testing.assert_allclose(value, by_hand(net), rtol=TOL[dtype])
    np.testing.assert_allclose(jnn.penalty(net, RULES), value, rtol=TOL[dtype])
    assert spec.assignments(net) == {  # the very penalty objects of RULES
        "layers/0/kernel": RULES[0][1],
        "layers/1/kernel": RULES[1][1],
        "conv/kernel": RULES[1][1],
    }
    # the same from a State (functional style) and from a pure pytree of arrays
    _, params, _ = nnx.split(net, nnx.Param, ...)
    np.testing.assert_allclose(spec(params), value, rtol=TOL[dtype])
    np.testing.assert_allclose(spec(nnx.as_pure(params)), value, rtol=TOL[dtype])


def test_excluded_parameters_contribute_nothing():
    net = make_net()
    spec = jnn.PenaltySpec(RULES)
    before = spec(net)
    grads = nnx.grad(spec)(net)
    for path, g in nnx.to_flat_state(grads):
        if path[-1] == "kernel":
            assert np.any(np.asarray(g[...]) != 0)
        else:  # biases, layer-norm scale: exactly zero gradient
            np.testing.assert_array_equal(g[...], np.zeros(g[...].shape))
    # changing excluded parameters and batch statistics changes nothing
    net.layers[0].bias[...] = net.layers[0].bias[...] * 100.0
    net.norm.scale[...] = net.norm.scale[...] - 7.0
    net.stats[...] = net.stats[...] + 3.0
    assert spec(net) == before
    # `...` selects every Param but never batch statistics (wrt=nnx.Param)
    everything = jnn.PenaltySpec({...: L2(1.0)})
    total = sum(jnp.sum(v[...] ** 2) for _, v in nnx.to_flat_state(nnx.state(net, nnx.Param)))
    np.testing.assert_allclose(everything(net), total, rtol=1e-12)
    # a rule mapping to None exempts what it matches from later rules
    exempt = jnn.PenaltySpec([("conv", None), ("kernel$", L2(0.001))])
    assert set(exempt.assignments(net)) == {"layers/0/kernel", "layers/1/kernel"}


def test_nnx_filters_as_selectors():
    net = make_net()
    kernels = jnn.PenaltySpec({"kernel$": L2(0.5)})(net)
    for selector in (
        nnx.PathContains("kernel"),
        nnx.All(nnx.Param, nnx.PathContains("kernel")),
        lambda path, variable: path[-1] == "kernel",
    ):
        np.testing.assert_allclose(jnn.PenaltySpec({selector: L2(0.5)})(net), kernels)
    only_stats = jnn.PenaltySpec({nnx.BatchStat: L2(1.0)}, wrt=nnx.BatchStat)
    np.testing.assert_allclose(only_stats(net), jnp.sum(net.stats[...] ** 2))
    assert float(jnn.PenaltySpec({"no such path": L2(1.0)})(net)) == 0.0


def test_callable_penalties_and_other_penalty_objects():
    net = make_net()
    w1 = net.layers[1].kernel[...]
    spec = jnn.PenaltySpec(
        [
            ("^layers/1/kernel$", lambda w: jnp.sum(w**4)),
            ("^layers/0/kernel$", jreg.penalties.GroupLasso(0.1)),
        ]
    )
    expected = jnp.sum(w1**4) + 0.1 * jnp.linalg.norm(net.layers[0].kernel[...])
    np.testing.assert_allclose(spec(net), expected, rtol=1e-12)


def test_penalty_inside_jit_and_grad_training_step():
    net = make_net()
    spec = jnn.PenaltySpec(RULES)
    x = jax.random.normal(jax.random.key(0), (8, 4))
    y = jax.random.normal(jax.random.key(1), (8, 3))

    @nnx.jit
    def loss_and_grads(net, x, y):
        def loss(net):
            return jnp.mean((net(x) - y) ** 2) + spec(net)

        return nnx.value_and_grad(loss)(net)

    def data_loss(net):
        return jnp.mean((net(x) - y) ** 2)

    value, grads = loss_and_grads(net, x, y)
    data_grads = nnx.grad(data_loss)(net)
    np.testing.assert_allclose(value, data_loss(net) + by_hand(net), rtol=1e-12)
    # gradient of the penalty: l1·sign(w0) and 2·l2·w for the L2 kernels
    np.testing.assert_allclose(
        grads.layers[0].kernel[...] - data_grads.layers[0].kernel[...],
        0.01 * jnp.sign(net.layers[0].kernel[...]),
        atol=1e-12,
    )
    np.testing.assert_allclose(
        grads.layers[1].kernel[...] - data_grads.layers[1].kernel[...],
        2 * 0.001 * net.layers[1].kernel[...],
        atol=1e-12,
    )
    np.testing.assert_allclose(
        grads.layers[1].bias[...], data_grads.layers[1].bias[...], rtol=1e-12
    )


def test_spec_is_a_pytree_of_strengths():
    net = make_net()
    params = nnx.as_pure(nnx.state(net, nnx.Param))
    spec = jnn.PenaltySpec({"kernel$": L2(0.1)})
    leaves, treedef = jax.tree.flatten(spec)
    assert leaves == [0.1]
    rebuilt = jax.tree.unflatten(treedef, [0.2])
    np.testing.assert_allclose(rebuilt(params), 2 * spec(params), rtol=1e-12)
    jitted = jax.jit(lambda spec, params: spec(params))
    np.testing.assert_allclose(jitted(spec, params), spec(params), rtol=1e-12)
    strengths = jnp.array([0.0, 0.1, 0.3])
    values = jax.vmap(lambda s: jnn.PenaltySpec({"kernel$": L2(s)})(params))(strengths)
    np.testing.assert_allclose(values, strengths / 0.1 * spec(params), rtol=1e-12)


def test_bad_rules():
    with pytest.raises(TypeError, match="rules must be a mapping"):
        jnn.PenaltySpec(L2(0.1))
    with pytest.raises(TypeError, match="rules must be a mapping"):
        jnn.PenaltySpec([("kernel", L2(0.1), "extra")])
    with pytest.raises(ValueError, match="selector of rule 0 .* not a valid regular expression"):
        jnn.PenaltySpec({"kernel(": L2(0.1)})
    with pytest.raises(TypeError, match="penalty of rule 0"):
        jnn.PenaltySpec({"kernel": 0.1})
    with pytest.raises(TypeError, match="selector of rule 0"):
        jnn.PenaltySpec({3.5: L2(0.1)})


# ---------------------------------------------------------------- activity


def test_activity_regularization_records_keras_value():
    x = jax.random.normal(jax.random.key(0), (6, 4))
    layer = jnn.ActivityRegularization(l1=0.1, l2=0.01)
    assert layer(x) is x  # identity
    expected = (0.1 * jnp.sum(jnp.abs(x)) + 0.01 * jnp.sum(x**2)) / 6  # Keras 3: / batch
    np.testing.assert_allclose(jnn.activity_loss(layer), expected, rtol=1e-12)
    layer(2 * x)  # each call overwrites the record
    np.testing.assert_allclose(
        jnn.activity_loss(layer), (0.2 * jnp.sum(jnp.abs(x)) + 0.04 * jnp.sum(x**2)) / 6
    )
    custom = jnn.ActivityRegularization(penalty=lambda a: jnp.max(jnp.abs(a)))
    custom(x)
    np.testing.assert_allclose(jnn.activity_loss(custom), jnp.max(jnp.abs(x)) / 6)
    traced = jnn.ActivityRegularization(penalty=L2(jnp.asarray(0.5)))
    nnx.jit(lambda m, x: m(x))(traced, x)
    np.testing.assert_allclose(jnn.activity_loss(traced), 0.5 * jnp.sum(x**2) / 6)
    assert float(jnn.activity_loss(nnx.Linear(2, 2, rngs=nnx.Rngs(0)))) == 0.0


def test_activity_loss_gradient_in_training_step():
    class Model(nnx.Module):
        def __init__(self, rngs):
            self.linear = nnx.Linear(3, 2, param_dtype=jnp.float64, rngs=rngs)
            self.act = jnn.ActivityRegularization(l2=0.05)
            self.out = nnx.Linear(2, 1, param_dtype=jnp.float64, rngs=rngs)
            self.act_out = jnn.ActivityRegularization(l1=0.02)

        def __call__(self, x):
            return self.act_out(self.out(self.act(self.linear(x))))

    model = Model(nnx.Rngs(0))
    x = jax.random.normal(jax.random.key(1), (5, 3))

    @nnx.jit
    def grads_of(model, x):
        def loss(model):
            model(x)
            return jnn.activity_loss(model)

        return nnx.value_and_grad(loss)(model)

    value, grads = grads_of(model, x)
    h = model.linear(x)
    out = model.out(h)
    np.testing.assert_allclose(
        value, 0.05 * jnp.sum(h**2) / 5 + 0.02 * jnp.sum(jnp.abs(out)) / 5, rtol=1e-12
    )
    # d/dW of 0.05 Σh²/N + 0.02 Σ|h W_out + b|/N with h = x W + b
    g_h = 2 * 0.05 * h / 5 + (0.02 * jnp.sign(out) / 5) @ model.out.kernel[...].T
    np.testing.assert_allclose(grads.linear.kernel[...], x.T @ g_h, rtol=1e-10)


def test_activity_regularization_bad_arguments():
    with pytest.raises(ValueError, match="either penalty or l1/l2"):
        jnn.ActivityRegularization(l1=0.1, penalty=L2(0.1))
    with pytest.raises(ValueError, match="l1 must be non-negative"):
        jnn.ActivityRegularization(l1=-0.1)
    with pytest.raises(TypeError, match="penalty must be"):
        jnn.ActivityRegularization(penalty=0.3)
    for bad in ("0", True, 1.0):
        with pytest.raises(TypeError, match="batch_axis must be an int or None"):
            jnn.ActivityRegularization(l1=0.1, batch_axis=bad)
    with pytest.raises(ValueError, match="batch_axis 2 is out of range"):
        jnn.ActivityRegularization(l1=0.1, batch_axis=2)(jnp.ones((3, 2)))


def keras_activity(h, l1, l2, n):
    """Keras 3's activity penalty of ``h`` for a batch of ``n`` examples."""
    return (l1 * jnp.sum(jnp.abs(h)) + l2 * jnp.sum(h**2)) / n


def test_single_term_l1l2_costs_one_pass():
    """``ActivityRegularization(l1=...)`` (an ``L1L2`` with ``l2=0``) computes no
    ``0·Σx²``: the same program as ``L1``, as Keras skips a zero term."""
    x = jnp.ones((3, 2))
    pairs = ((jreg.penalties.L1L2(l1=0.2), L1(0.2)), (jreg.penalties.L1L2(l2=0.3), L2(0.3)))
    for one_term, alone in pairs:
        assert str(jax.make_jaxpr(one_term.value)(x)) == str(jax.make_jaxpr(alone.value)(x))
    both = jreg.penalties.L1L2(0.2, 0.3)
    np.testing.assert_allclose(both.value(x), 0.2 * 6 + 0.3 * 6, rtol=1e-12)
    # a traced (or device-array) zero strength is not known to be zero: both terms
    traced = jax.jit(lambda l2: jreg.penalties.L1L2(0.2, l2).value(x))(0.0)
    np.testing.assert_allclose(traced, 0.2 * 6, rtol=1e-12)


def test_activity_regularization_batch_axis():
    x = jax.random.normal(jax.random.key(2), (4, 3, 2))  # time-major: (T, N, F)
    layer = jnn.ActivityRegularization(l1=0.1, l2=0.01, batch_axis=1)
    layer(x)
    np.testing.assert_allclose(jnn.activity_loss(layer), keras_activity(x, 0.1, 0.01, 3))
    single = jnn.ActivityRegularization(l1=0.1, l2=0.01, batch_axis=None)
    single(x[0, 0])  # one example: not divided
    np.testing.assert_allclose(jnn.activity_loss(single), keras_activity(x[0, 0], 0.1, 0.01, 1))


def test_activity_regularization_per_example_vmap():
    """Model broadcast, batch mapped: with ``axis_name`` the record is the mean over the
    mapped axis, i.e. Keras' value for the whole batch; gradients flow through it."""
    l1, l2 = 0.1, 0.01

    def make(batch_axis):
        return nnx.Sequential(
            nnx.Linear(3, 4, param_dtype=jnp.float64, rngs=nnx.Rngs(0)),
            jnn.ActivityRegularization(l1=l1, l2=l2, batch_axis=batch_axis, axis_name="batch"),
        )

    xs = jax.random.normal(jax.random.key(3), (6, 3))

    @nnx.jit(static_argnums=2)
    def value_and_grad(model, xs, per_example):
        def loss(model):
            apply = nnx.vmap(lambda m, x: m(x), in_axes=(None, 0), axis_name="batch")
            # one example per call, or 3 micro-batches of 2 examples
            ys = apply(model, xs if per_example else xs.reshape(3, 2, 3))
            return 0.0 * jnp.sum(ys) + jnn.activity_loss(model)

        return nnx.value_and_grad(loss)(model)

    def by_hand(kernel, bias):
        return keras_activity(xs @ kernel + bias, l1, l2, len(xs))

    for batch_axis, per_example in ((None, True), (0, False)):
        model = make(batch_axis)
        value, grads = value_and_grad(model, xs, per_example)
        kernel, bias = model.layers[0].kernel[...], model.layers[0].bias[...]
        np.testing.assert_allclose(value, by_hand(kernel, bias), rtol=1e-12)
        np.testing.assert_allclose(jnn.activity_loss(model), value, rtol=1e-12)  # unbatched
        g_kernel, g_bias = jax.grad(by_hand, argnums=(0, 1))(kernel, bias)
        np.testing.assert_allclose(grads.layers[0].kernel[...], g_kernel, rtol=1e-10)
        np.testing.assert_allclose(grads.layers[0].bias[...], g_bias, rtol=1e-10)


def stacked(make, size):
    """``size`` independently initialized copies of ``make(rngs)``, stacked on axis 0."""

    @nnx.split_rngs(splits=size)
    @nnx.vmap(in_axes=(0,), out_axes=0)
    def build(rngs):
        return make(rngs)

    return build(nnx.Rngs(0))


def test_activity_regularization_ensemble_vmap_sums_members():
    """Variables mapped (an ensemble): each member records its own value; they add up."""
    ensemble = stacked(
        lambda rngs: nnx.Sequential(
            nnx.Linear(3, 2, param_dtype=jnp.float64, rngs=rngs),
            jnn.ActivityRegularization(l2=0.05),
        ),
        size=3,
    )
    x = jax.random.normal(jax.random.key(4), (5, 3))
    nnx.vmap(lambda m, x: m(x), in_axes=(0, None))(ensemble, x)
    kernels, biases = ensemble.layers[0].kernel[...], ensemble.layers[0].bias[...]
    assert ensemble.layers[1].activity_loss[...].shape == (3,)  # one record per member
    expected = sum(keras_activity(x @ kernels[m] + biases[m], 0.0, 0.05, 5) for m in range(3))
    np.testing.assert_allclose(jnn.activity_loss(ensemble), expected, rtol=1e-12)


def test_activity_regularization_scan_over_layers_and_time():
    # scan over a stack of layers: one record per layer, summed
    blocks = stacked(
        lambda rngs: nnx.Sequential(
            nnx.Linear(4, 4, param_dtype=jnp.float64, rngs=rngs),
            jnn.ActivityRegularization(l1=0.02, l2=0.01),
        ),
        size=3,
    )
    x = jax.random.normal(jax.random.key(5), (2, 4))

    @nnx.scan(in_axes=(nnx.Carry, 0), out_axes=nnx.Carry)
    def through(h, block):
        return block(h)

    def by_hand(kernels, biases):
        h, total = x, 0.0
        for layer in range(3):
            h = h @ kernels[layer] + biases[layer]
            total = total + keras_activity(h, 0.02, 0.01, 2)
        return total

    loss = lambda blocks: jnp.sum(0.0 * through(x, blocks)) + jnn.activity_loss(blocks)
    value, grads = nnx.jit(nnx.value_and_grad(loss))(blocks)
    kernels, biases = blocks.layers[0].kernel[...], blocks.layers[0].bias[...]
    np.testing.assert_allclose(value, by_hand(kernels, biases), rtol=1e-12)
    np.testing.assert_allclose(
        grads.layers[0].kernel[...], jax.grad(by_hand)(kernels, biases), rtol=1e-10
    )

    # scan over time with the layer in the carry: each step overwrites the record, so
    # return it from every step to sum over time
    layer = jnn.ActivityRegularization(l2=0.1)
    xs = jax.random.normal(jax.random.key(6), (4, 2, 3))  # (T, N, F)

    @nnx.scan(in_axes=(nnx.Carry, 0), out_axes=(nnx.Carry, 0))
    def over_time(layer, x_t):
        layer(x_t)
        return layer, jnn.activity_loss(layer)

    _, per_step = over_time(layer, xs)
    expected = [keras_activity(xs[t], 0.0, 0.1, 2) for t in range(4)]
    np.testing.assert_allclose(per_step, expected, rtol=1e-12)
    np.testing.assert_allclose(jnn.activity_loss(layer), expected[-1], rtol=1e-12)  # last step


# ---------------------------------------------------------------- constraints


def column_norms(w, axis):
    return np.sqrt(np.sum(np.asarray(w) ** 2, axis=axis))


def big_step(model, tx_last, dtype):
    """One SGD step (lr 1, large gradients) with ``tx_last`` at the end of the chain."""
    x = jnp.full((4, 4), 3.0, dtype)
    optimizer = nnx.Optimizer(model, optax.chain(optax.sgd(1.0), tx_last), wrt=nnx.Param)
    grads = nnx.grad(
        lambda m: -jnp.sum(m(x)) - jnp.sum(m.conv.kernel[...]) + 100 * jnp.sum(m.norm.scale[...])
    )(model)
    optimizer.update(model, grads)
    return model


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_constraints_hold_exactly_after_a_step(dtype):
    free = big_step(make_net(dtype), optax.identity(), dtype)
    tol = TOL[dtype]

    net = make_net(dtype)
    rules = [
        ("^layers/0/kernel$", jnn.MaxNorm(2.5)),
        ("^layers/1/kernel$", jnn.UnitNorm()),
        ("^conv/kernel$", jnn.MinMaxNorm(0.5, 0.8, axis=(0, 1, 2))),
        ("^norm/scale$", jnn.NonNeg()),
    ]
    constrained = big_step(net, jnn.constraints(net, rules), dtype)

    unconstrained_norms = column_norms(free.layers[0].kernel[...], 0)
    assert np.any(unconstrained_norms > 2.5) and np.any(unconstrained_norms < 2.5)
    norms = column_norms(constrained.layers[0].kernel[...], 0)
    assert np.all(norms <= 2.5 * (1 + tol))
    big = unconstrained_norms > 2.5
    np.testing.assert_allclose(norms[big], 2.5, rtol=tol)  # projected onto the sphere
    np.testing.assert_array_equal(  # columns inside the ball are untouched
        constrained.layers[0].kernel[...][:, ~big], free.layers[0].kernel[...][:, ~big]
    )
    np.testing.assert_allclose(column_norms(constrained.layers[1].kernel[...], 0), 1.0, rtol=tol)
    conv_norms = column_norms(constrained.conv.kernel[...], (0, 1, 2))
    assert np.all(conv_norms >= 0.5 * (1 - tol)) and np.all(conv_norms <= 0.8 * (1 + tol))
    assert np.any(free.norm.scale[...] < 0) and np.all(constrained.norm.scale[...] >= 0)
    # unselected parameters get exactly the unconstrained update
    for path in (("layers", 0, "bias"), ("layers", 1, "bias"), ("norm", "bias")):
        a, b = constrained, free
        for part in path:
            a, b = (
                (a[part], b[part])
                if isinstance(part, int)
                else (
                    getattr(a, part),
                    getattr(b, part),
                )
            )
        np.testing.assert_array_equal(a[...], b[...])
    assert constrained.layers[0].kernel[...].dtype == dtype


def test_apply_constraints_after_the_step_equals_the_optax_chain():
    """Keras' order (step, then project each variable) gives the chain's result."""
    rules = [
        ("^layers/1", None),  # exempt, even though "kernel$" below matches it
        ("^layers/0/kernel$", jnn.MaxNorm(2.5)),
        ("^conv/kernel$", jnn.MinMaxNorm(0.5, 0.8, axis=(0, 1, 2))),
        ("^norm/scale$", jnn.NonNeg()),
        ("kernel$", jnn.UnitNorm()),
    ]
    free_net = make_net()
    chained_net = make_net()
    chained = big_step(chained_net, jnn.constraints(chained_net, rules), jnp.float64)
    after = big_step(free_net, optax.identity(), jnp.float64)
    before = nnx.as_pure(nnx.state(after, nnx.Param))
    jnn.apply_constraints(after, rules)
    got = nnx.as_pure(nnx.state(after, nnx.Param))
    want = nnx.as_pure(nnx.state(chained, nnx.Param))
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14), got, want)
    # the exempt layer and unselected biases keep the plain step's values
    np.testing.assert_array_equal(got["layers"][1]["kernel"], before["layers"][1]["kernel"])
    np.testing.assert_array_equal(got["layers"][0]["bias"], before["layers"][0]["bias"])
    assert np.any(np.asarray(before["norm"]["scale"]) < 0)
    assert np.all(np.asarray(got["norm"]["scale"]) >= 0)
    with pytest.raises(TypeError, match="model must be an nnx.Module"):
        jnn.apply_constraints(before, rules)

    class OnlyTransform:  # `constraints` accepts anything with .transform(mask)
        def transform(self, mask=None):
            return jreg.transforms.non_neg(mask=mask)

    stepped = big_step(make_net(), optax.identity(), jnp.float64)
    assert np.any(np.asarray(stepped.norm.scale[...]) < 0)
    jnn.apply_constraints(stepped, {"^norm/scale$": OnlyTransform()})
    assert np.all(np.asarray(stepped.norm.scale[...]) >= 0)
    with pytest.raises(TypeError, match="constraint of rule 0"):
        jnn.apply_constraints(after, {"kernel": L2(0.1)})


def test_constraint_objects_match_keras_formulas():
    w = jax.random.normal(jax.random.key(0), (3, 4)) * jnp.array([0.1, 1.0, 3.0, 0.0])
    norms = np.linalg.norm(np.asarray(w), axis=0, keepdims=True)
    safe = np.where(norms > 0, norms, 1.0)
    np.testing.assert_allclose(
        jnn.MaxNorm(2.0)(w), np.asarray(w) * np.minimum(norms, 2.0) / safe, rtol=1e-12
    )
    np.testing.assert_allclose(jnn.UnitNorm()(w), np.asarray(w) / safe, rtol=1e-12)
    np.testing.assert_array_equal(jnn.NonNeg()(w), np.maximum(np.asarray(w), 0))
    desired = 0.5 * np.clip(norms, 0.5, 1.5) + 0.5 * norms
    np.testing.assert_allclose(
        jnn.MinMaxNorm(0.5, 1.5, rate=0.5)(w), np.asarray(w) * desired / safe, rtol=1e-12
    )
    np.testing.assert_allclose(  # axis=1: norms of rows
        jnn.UnitNorm(axis=1)(w)[:2], np.asarray(w)[:2] / np.linalg.norm(w[:2], axis=1)[:, None]
    )
    assert jnn.MaxNorm() == jnn.MaxNorm(2.0, axis=0)  # Keras defaults


def test_param_mask_with_optax_and_jreg_transforms():
    net = make_net()
    mask = jnn.param_mask(net, "kernel$")
    flat = {p: m for p, m in nnx.to_flat_state(mask)}
    assert flat[("layers", 0, "kernel")] and flat[("conv", "kernel")]
    assert not flat[("layers", 0, "bias")] and not flat[("norm", "scale")]
    assert jax.tree.structure(mask) == jax.tree.structure(nnx.as_pure(nnx.state(net, nnx.Param)))
    # decoupled penalty gradient on the kernels == the penalty added to the loss (SGD)
    x = jax.random.normal(jax.random.key(0), (6, 4))
    loss = lambda m: jnp.sum(m(x) ** 2)
    a, b = make_net(), make_net()
    tx = optax.chain(
        jreg.transforms.add_penalty_gradient(L2(0.01), mask=jnn.param_mask(a, "kernel$")),
        optax.sgd(0.1),
    )
    opt_a = nnx.Optimizer(a, tx, wrt=nnx.Param)
    opt_a.update(a, nnx.grad(loss)(a))
    opt_b = nnx.Optimizer(b, optax.sgd(0.1), wrt=nnx.Param)
    spec = jnn.PenaltySpec({"kernel$": L2(0.01)})
    opt_b.update(b, nnx.grad(lambda m: loss(m) + spec(m))(b))
    for (_, va), (_, vb) in zip(
        nnx.to_flat_state(nnx.state(a, nnx.Param)),
        nnx.to_flat_state(nnx.state(b, nnx.Param)),
        strict=True,
    ):
        np.testing.assert_allclose(va[...], vb[...], rtol=1e-12)
    # a mask from a filter works on the pure parameters with plain optax too
    params = nnx.as_pure(nnx.state(net, nnx.Param))
    tx = jreg.transforms.non_neg(mask=jnn.param_mask(net, nnx.PathContains("bias")))
    updates, _ = tx.update(
        jax.tree.map(lambda p: -10 * jnp.ones_like(p), params), tx.init(params), params
    )
    new = optax.apply_updates(params, updates)
    assert np.all(np.asarray(new["layers"][0]["bias"]) == 0)
    np.testing.assert_allclose(  # unmasked: the incoming update passes through
        new["layers"][0]["kernel"], params["layers"][0]["kernel"] - 10, rtol=1e-12
    )


def test_constraints_first_match_and_errors():
    net = make_net()
    tx = jnn.constraints(net, [("conv", None), ("kernel$", jnn.NonNeg())])
    params = nnx.as_pure(nnx.state(net, nnx.Param))
    updates, _ = tx.update(jax.tree.map(jnp.zeros_like, params), tx.init(params), params)
    new = optax.apply_updates(params, updates)
    assert np.all(np.asarray(new["layers"][0]["kernel"]) >= 0)
    np.testing.assert_array_equal(new["conv"]["kernel"], params["conv"]["kernel"])  # exempt
    with pytest.raises(TypeError, match="constraint of rule 0"):
        jnn.constraints(net, {"kernel": L2(0.1)})
    with pytest.raises(ValueError, match="max_value must be non-negative"):
        jnn.MaxNorm(-1.0)
    with pytest.raises(ValueError, match="min_value must not exceed max_value"):
        jnn.MinMaxNorm(2.0, 1.0)
    with pytest.raises(TypeError, match="axis must be"):
        jnn.UnitNorm(axis="0")


@pytest.mark.slow
def test_digits_example_runs(capsys):
    """examples/train_digits.py end to end (tiny: 1 seed, 3 epochs, no plot)."""
    import pathlib
    import sys

    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "examples"))
    try:
        import train_digits
    finally:
        sys.path.pop(0)
    train_digits.main(["--seeds", "1", "--epochs", "3", "--no-plot"])
    out = capsys.readouterr().out
    assert "| none |" in out and "| dropout + L2 |" in out
