"""Regularizing a small MLP on scikit-learn's digits with jreg.nn: dropout, L2, both.

Trains the same MLP (64 -> 256 -> 256 -> 10, ReLU) on a small training split of the
8x8 digits with Adam, under several regularization configurations and several seeds,
then prints a markdown table of train/test accuracy and generalization gap and saves the
learning curves to ``docs/images/digits_learning_curves.png``.

Every seed of a configuration is trained at once: the whole training run (epochs,
minibatches, evaluation) is one ``jax.lax.scan`` inside ``jax.jit``, ``jax.vmap``-ed over
the seeds. The NNX model and optimizer go through ``nnx.split``/``nnx.merge``, so the
dropout streams advance inside the scan like any other state.

Usage::

    python examples/train_digits.py            # 5 seeds, 150 epochs (a few minutes)
    python examples/train_digits.py --quick    # 2 seeds, 40 epochs (about 30 s)
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import jreg

HERE = os.path.dirname(os.path.abspath(__file__))
IMAGE = os.path.join(HERE, "..", "docs", "images", "digits_learning_curves.png")


@dataclass(frozen=True)
class Config:
    name: str
    dropout: float = 0.0  # rate of the jreg.nn.Dropout after each hidden layer
    l2: float = 0.0  # Keras L2 strength on every kernel (l2 * sum w^2, no 1/2)
    augment: bool = False  # use the augmentation hook below


CONFIGS = [
    Config("none"),
    Config("dropout", dropout=0.5),
    Config("L2", l2=1e-4),
    Config("dropout + L2", dropout=0.5, l2=1e-4),
    Config("augmentation", augment=True),
    Config("all", dropout=0.5, l2=1e-4, augment=True),
]


# ---------------------------------------------------------------------------------------
# Augmentation: small random rotations, zooms and shifts of the 8x8 digits (background 0,
# so the fill is constant 0), fused by AugmentationPipeline into one resample per image.
# Identity in eval mode, like dropout.
def make_augmentation(rngs: nnx.Rngs) -> nnx.Module | None:
    fill = dict(fill_mode="constant", fill_value=0.0)
    return jreg.nn.AugmentationPipeline(
        [
            jreg.nn.RandomRotation(0.03, **fill, rngs=rngs),  # ±0.03 turn ≈ ±11°
            jreg.nn.RandomZoom(0.1, **fill, rngs=rngs),
            jreg.nn.RandomTranslation(0.1, 0.1, **fill, rngs=rngs),
        ]
    )


# ---------------------------------------------------------------------------------------


class MLP(nnx.Module):
    def __init__(self, config: Config, *, rngs: nnx.Rngs):
        self.augment = make_augmentation(rngs) if config.augment else None
        self.hidden = nnx.List([nnx.Linear(64, 256, rngs=rngs), nnx.Linear(256, 256, rngs=rngs)])
        self.dropout = nnx.List([jreg.nn.Dropout(config.dropout, rngs=rngs) for _ in range(2)])
        self.out = nnx.Linear(256, 10, rngs=rngs)

    def __call__(self, images):
        if self.augment is not None:
            images = self.augment(images)
        x = images.reshape(images.shape[0], -1)
        for linear, dropout in zip(self.hidden, self.dropout, strict=True):
            x = dropout(jax.nn.relu(linear(x)))
        return self.out(x)


def load_data(seed: int = 0, train_size: int = 300):
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[..., None]  # (N, 8, 8, 1)
    x_train, x_test, y_train, y_test = train_test_split(
        images, digits.target, train_size=train_size, stratify=digits.target, random_state=seed
    )
    return tuple(jnp.asarray(a) for a in (x_train, y_train, x_test, y_test))


def make_run(config: Config, data, *, epochs: int, batch_size: int, learning_rate: float):
    """A function ``seed -> learning curves`` that trains one model from scratch."""
    x_train, y_train, x_test, y_test = data
    n_batches = x_train.shape[0] // batch_size
    penalty = jreg.nn.PenaltySpec({"kernel$": jreg.penalties.L2(config.l2)} if config.l2 else {})

    def accuracy(model, x, y):
        model = nnx.view(model, deterministic=True)  # eval mode: dropout is the identity
        return jnp.mean(jnp.argmax(model(x), axis=-1) == y)

    def run(key):
        init_key, dropout_key, augment_key, data_key = jax.random.split(key, 4)
        rngs = nnx.Rngs(params=init_key, dropout=dropout_key, augment=augment_key)
        model = MLP(config, rngs=rngs)
        optimizer = nnx.Optimizer(model, optax.adam(learning_rate), wrt=nnx.Param)
        graphdef, state = nnx.split((model, optimizer))

        def step(state, batch):
            model, optimizer = nnx.merge(graphdef, state)
            x, y = x_train[batch], y_train[batch]

            def loss_fn(model):
                logits = model(x)
                data_loss = optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
                return data_loss + penalty(model)

            loss, grads = nnx.value_and_grad(loss_fn)(model)
            optimizer.update(model, grads)
            return nnx.state((model, optimizer)), loss

        def epoch(state, key):
            order = jax.random.permutation(key, x_train.shape[0])
            batches = order[: n_batches * batch_size].reshape(n_batches, batch_size)
            state, losses = jax.lax.scan(step, state, batches)
            model, _ = nnx.merge(graphdef, state)
            curves = (
                jnp.mean(losses),
                accuracy(model, x_train, y_train),
                accuracy(model, x_test, y_test),
            )
            return state, curves

        _, curves = jax.lax.scan(epoch, state, jax.random.split(data_key, epochs))
        return curves  # (loss, train accuracy, test accuracy), each of shape (epochs,)

    return run


def plot(results, path, epochs):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    epoch = np.arange(1, epochs + 1)
    for name, (_, train, test) in results.items():
        for ax, values in ((axes[0], test), (axes[1], train - test)):
            mean = values.mean(0)
            (line,) = ax.plot(epoch, 100 * mean, label=name)
            ax.fill_between(
                epoch, 100 * values.min(0), 100 * values.max(0), color=line.get_color(), alpha=0.15
            )
    axes[0].set(xlabel="epoch", ylabel="test accuracy (%)", title="Test accuracy")
    axes[1].set(xlabel="epoch", ylabel="train - test (points)", title="Generalization gap")
    low = min(np.percentile(test.mean(0), 10) for _, _, test in results.values())
    axes[0].set_ylim(100 * low, 100)
    for ax in axes:
        ax.grid(alpha=0.3)
    axes[0].legend(loc="lower right")
    fig.suptitle("MLP on digits (300 training images), mean and min-max over seeds")
    fig.tight_layout()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fig.savefig(path, dpi=110)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 seeds, 40 epochs")
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--output", default=IMAGE, help="learning-curve PNG path")
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args(argv)
    seeds = args.seeds or (2 if args.quick else 5)
    epochs = args.epochs or (40 if args.quick else 150)

    data = load_data()
    keys = jax.random.split(jax.random.key(0), seeds)
    results, rows = {}, []
    start = time.perf_counter()
    for config in CONFIGS:
        run = make_run(config, data, epochs=epochs, batch_size=30, learning_rate=1e-3)
        loss, train, test = jax.block_until_ready(jax.jit(jax.vmap(run))(keys))
        train, test = np.asarray(train), np.asarray(test)
        results[config.name] = (np.asarray(loss), train, test)
        final_train, final_test = train[:, -1], test[:, -1]
        gap = final_train - final_test
        rows.append(
            f"| {config.name} | {100 * final_train.mean():.1f} ± {100 * final_train.std():.1f}"
            f" | {100 * final_test.mean():.1f} ± {100 * final_test.std():.1f}"
            f" | {100 * gap.mean():.1f} ± {100 * gap.std():.1f} |"
        )
    elapsed = time.perf_counter() - start

    print(
        f"MLP 64-256-256-10 on digits: {data[0].shape[0]} train / {data[2].shape[0]} test "
        f"images, Adam 1e-3, batch 30, {epochs} epochs, {seeds} seeds (mean ± std, %)\n"
    )
    print("| configuration | train accuracy | test accuracy | gap (train − test) |")
    print("| --- | --- | --- | --- |")
    print("\n".join(rows))
    print(
        f"\n{elapsed:.0f} s on {platform.machine()} ({os.cpu_count()} CPUs), "
        f"jax {jax.__version__}, backend {jax.default_backend()}"
    )
    if not args.no_plot:
        plot(results, args.output, epochs)
        print(f"learning curves saved to {os.path.relpath(args.output)}")


if __name__ == "__main__":
    main()
