"""Gallery of jreg.augment on scikit-learn's sample photos.

Every row is one op applied to a batch of four photos with ONE key: each photo gets its
own random parameters. Writes ``docs/images/augment_gallery.png``.

Run: ``python examples/augment_gallery.py [--output PATH]``
"""

from __future__ import annotations

import argparse
from pathlib import Path

import jax
import jax.numpy as jnp
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.datasets import load_sample_images  # noqa: E402

from jreg import augment  # noqa: E402

VR = (0.0, 255.0)


def photos(height: int = 144, width: int = 216) -> jax.Array:
    """The two sample photos (china, flower), twice each, resized: (4, H, W, 3) float32."""
    images = jnp.asarray(load_sample_images().images, jnp.float32)
    images = augment.resize(images, height, width, antialias=True)
    return jnp.concatenate([images, images[::-1]], axis=0)


def rows(key: jax.Array, x: jax.Array) -> list[tuple[str, jax.Array]]:
    keys = iter(jax.random.split(key, 32))
    labels = jax.nn.one_hot(jnp.arange(4), 4)
    return [
        ("original", x),
        ("random_flip", augment.random_flip(next(keys), x, mode="horizontal_and_vertical")),
        ("random_rotation(0.1)", augment.random_rotation(next(keys), x, 0.1)),
        ("random_zoom(0.3)", augment.random_zoom(next(keys), x, 0.3)),
        ("random_translation(0.2)", augment.random_translation(next(keys), x, 0.2, 0.2,
                                                                    fill_mode="wrap")),
        ("random_shear(0.3)", augment.random_shear(next(keys), x, 0.3, fill_mode="constant")),
        ("random_perspective(0.4)", augment.random_perspective(next(keys), x, 0.4)),
        ("random_affine (fused)", augment.random_affine(
            next(keys), x, flip="horizontal", rotation=0.08, zoom_height=0.2,
            translate_height=0.1, translate_width=0.1, shear_x=0.1)),
        ("random_resized_crop", augment.resize(
            augment.random_resized_crop(next(keys), x, 96, 144), 144, 216)),
        ("random_brightness(0.3)", augment.random_brightness(next(keys), x, 0.3, value_range=VR)),
        ("random_contrast(0.6)", augment.random_contrast(next(keys), x, 0.6, value_range=VR)),
        ("random_saturation(1.0)", augment.random_saturation(next(keys), x, 1.0,
                                                             value_range=VR)),
        ("random_hue(0.5)", augment.random_hue(next(keys), x, 0.5, value_range=VR)),
        ("random_solarize", augment.random_solarize(next(keys), x, (0.4, 0.9), value_range=VR)),
        ("random_posterize((1, 3))", augment.random_posterize(next(keys), x, (1, 3),
                                                              value_range=VR)),
        ("equalize / autocontrast", jnp.concatenate([
            augment.equalize(x[:2], value_range=VR), augment.autocontrast(x[2:], value_range=VR)
        ])),
        ("random_gaussian_blur", augment.random_gaussian_blur(next(keys), x, (1.0, 4.0),
                                                              kernel_size=13)),
        ("random_erasing", augment.random_erasing(next(keys), x, probability=1.0,
                                                  value_range=VR)),
        ("rand_augment", augment.rand_augment(next(keys), x, value_range=VR, factor=(0.8, 0.8))),
        ("trivial_augment", augment.trivial_augment(next(keys), x, value_range=VR)),
        ("aug_mix", augment.aug_mix(next(keys), x, value_range=VR, factor=0.6)),
        ("mixup(alpha=1)", augment.mixup(next(keys), x, labels, alpha=1.0)[0]),
        ("cutmix", augment.cutmix(next(keys), x, labels)[0]),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parents[1] / "docs" / "images" / "augment_gallery.png"
    parser.add_argument("--output", type=Path, default=default)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    grid = rows(jax.random.key(args.seed), photos())
    fig, axes = plt.subplots(len(grid), 4, figsize=(4 * 1.5 + 1.7, len(grid) * 1.03))
    fig.subplots_adjust(left=1.7 / (4 * 1.5 + 1.7), right=0.995, top=1 - 0.3 / (len(grid) * 1.03),
                        bottom=0.003, wspace=0.03, hspace=0.05)
    for r, (name, images) in enumerate(grid):
        images = jnp.clip(images, 0, 255) / 255.0
        for c in range(4):
            ax = axes[r, c]
            ax.imshow(images[c])
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=8)
    fig.suptitle("jreg.augment: one key per row, independent parameters per photo", fontsize=9,
                 y=1 - 0.08 / (len(grid) * 1.03))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.output, dpi=72)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
