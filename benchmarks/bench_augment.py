"""Benchmark: the same per-example augmentation pipeline in jreg, augmax, dm-pix and Keras 3.

Pipeline (per image, independent random parameters): horizontal flip (p = ½), rotation
up to ±36° (Keras factor 0.1), zoom ±20 %, translation ±10 % of each side, contrast
factor in [0.8, 1.2], brightness delta ±0.2 (images in [0, 1]); bilinear, fill "constant"
(zeros outside the image, each out-of-image neighbour counting as 0 in the bilinear blend:
scipy's "grid-constant"). The fill mode is "constant" because augmax hard-codes it
(``map_coordinates(..., mode="constant")`` in its geometric chain); every library runs it.

Same work in every column: per-example parameters drawn inside the timed call, one jitted
call from key + float32 batch to float32 batch, output blocked on. Differences that each
library's API imposes (not chosen here): augmax's contrast is a pixel-wise curve about 0.5
(no per-image mean, no clipping), dm-pix's contrast and brightness do not clip to the value
range, and dm-pix flips in a separate pass before its single resample.

Implementations (each library's own API, jitted end to end):

* jreg: ``random_affine`` (flip + rotation + zoom + translation fused into ONE resample)
  then ``random_contrast`` and ``random_brightness`` on the batch; also "jreg unfused"
  (four separate random geometric ops, four resamples) to show what the fusion buys.
* augmax: ``augmax.Chain`` (which fuses its geometric ops too) vmapped over images;
  augmax has no random zoom / translation, so two small ``GeometricTransformation``
  subclasses written against its documented extension API supply them.
* dm-pix: ``random_flip_left_right``, one ``affine_transform`` with the composed
  rotation·zoom·translation matrix (dm-pix's best case), ``random_contrast``,
  ``random_brightness``, vmapped over images.
* Keras 3 (JAX backend): the six preprocessing layers, jitted through their stateless
  API (``get_random_transformation(seed=...)`` + ``transform_images``), and called
  eagerly as a ``keras.Sequential`` (how the layers are normally used).

Timing: compile time (``lower().compile()``) reported separately; then the median of
``--repeats`` timed calls (after one warm-up call) in ms per batch and images/second;
ratios are relative to jreg (``> 1`` means jreg is faster). Also reports jreg's compile
times of the fused pipeline and of the policies (RandAugment, TrivialAugment, AugMix).

Run (CPU):  python benchmarks/bench_augment.py --output results.md  (-> docs/benchmarks.md)
Run (GPU):  python benchmarks/bench_augment.py --device gpu --budget 420
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import time


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=("cpu", "gpu"), default="cpu")
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 224])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=7, help="timed calls per case (median)")
    parser.add_argument(
        "--budget", type=float, default=900.0,
        help="seconds; cases starting after this much time are skipped (reported as such)",
    )
    parser.add_argument(
        "--libraries", default="jreg,jreg-unfused,augmax,dm-pix,keras,keras-eager",
        help="comma-separated subset of jreg,jreg-unfused,augmax,dm-pix,keras,keras-eager",
    )
    parser.add_argument("--no-policies", action="store_true", help="skip policy compile times")
    parser.add_argument("--output", default=None, help="also write the markdown to this file")
    return parser.parse_args(argv)


ARGS = parse_args() if __name__ == "__main__" else None
if ARGS is not None:
    os.environ["JAX_PLATFORMS"] = "cuda" if ARGS.device == "gpu" else "cpu"
os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

ROTATION = 0.1  # fraction of a full turn (Keras): +-36 degrees
ZOOM = 0.2
TRANSLATION = 0.1
CONTRAST = 0.2
BRIGHTNESS = 0.2
VALUE_RANGE = (0.0, 1.0)
FILL_MODE = "constant"  # the only fill mode augmax's geometric chain offers


# --------------------------------------------------------------------- pipelines


def jreg_pipeline():
    from jreg import augment

    def pipeline(key, images):
        k_geo, k_contrast, k_bright = jax.random.split(key, 3)
        x = augment.random_affine(
            k_geo, images, flip="horizontal", rotation=ROTATION, zoom_height=ZOOM,
            translate_height=TRANSLATION, translate_width=TRANSLATION, fill_mode=FILL_MODE,
        )
        x = augment.random_contrast(k_contrast, x, CONTRAST, value_range=VALUE_RANGE)
        return augment.random_brightness(k_bright, x, BRIGHTNESS, value_range=VALUE_RANGE)

    return pipeline


def jreg_unfused_pipeline():
    from jreg import augment

    def pipeline(key, images):
        k = jax.random.split(key, 6)
        x = augment.random_flip(k[0], images, mode="horizontal")
        x = augment.random_rotation(k[1], x, ROTATION, fill_mode=FILL_MODE)
        x = augment.random_zoom(k[2], x, ZOOM, fill_mode=FILL_MODE)
        x = augment.random_translation(k[3], x, TRANSLATION, TRANSLATION, fill_mode=FILL_MODE)
        x = augment.random_contrast(k[4], x, CONTRAST, value_range=VALUE_RANGE)
        return augment.random_brightness(k[5], x, BRIGHTNESS, value_range=VALUE_RANGE)

    return pipeline


def augmax_pipeline():
    import augmax
    from augmax.geometric import GeometricTransformation

    class RandomZoom(GeometricTransformation):
        def transform_coordinates(self, rng, coordinates, invert=False):
            z = jax.random.uniform(rng, minval=1 - ZOOM, maxval=1 + ZOOM)
            z = 1 / z if invert else z
            coordinates.push_transform(jnp.array([[z, 0, 0], [0, z, 0], [0, 0, 1.0]]))

    class RandomTranslate(GeometricTransformation):
        def transform_coordinates(self, rng, coordinates, invert=False):
            h, w = coordinates.current_shape
            d = jax.random.uniform(rng, (2,), minval=-TRANSLATION, maxval=TRANSLATION)
            dy, dx = d[0] * h, d[1] * w
            if invert:
                dy, dx = -dy, -dx
            coordinates.push_transform(jnp.array([[1, 0, -dy], [0, 1, -dx], [0, 0, 1.0]]))

    chain = augmax.Chain(
        augmax.HorizontalFlip(p=0.5),
        augmax.Rotate((-360 * ROTATION, 360 * ROTATION)),
        RandomZoom(),
        RandomTranslate(),
        augmax.RandomContrast((-2 * CONTRAST, 2 * CONTRAST), p=1.0),
        augmax.RandomBrightness((-2 * BRIGHTNESS, 2 * BRIGHTNESS), p=1.0),
    )

    def pipeline(key, images):
        keys = jax.random.split(key, images.shape[0])
        return jax.vmap(chain)(keys, images)

    return pipeline


def dm_pix_pipeline():
    import dm_pix

    def one(key, image):
        k_flip, k_geo, k_contrast, k_bright = jax.random.split(key, 4)
        image = dm_pix.random_flip_left_right(k_flip, image)
        h, w = image.shape[:2]
        u = jax.random.uniform(k_geo, (4,), minval=-1.0, maxval=1.0)
        angle = u[0] * 2 * jnp.pi * ROTATION
        zoom = 1 + ZOOM * u[1]
        dy, dx = TRANSLATION * h * u[2], TRANSLATION * w * u[3]
        cos, sin = jnp.cos(angle), jnp.sin(angle)
        # (row, col) coordinates: input = A @ output + offset, about the centre
        a = zoom * jnp.array([[cos, -sin], [sin, cos]])
        centre = jnp.array([(h - 1) / 2, (w - 1) / 2])
        offset = centre - a @ centre - jnp.array([dy, dx])
        matrix = jnp.eye(3).at[:2, :2].set(a)
        image = dm_pix.affine_transform(
            image, matrix, offset=jnp.append(offset, 0.0), order=1, mode=FILL_MODE, cval=0.0
        )
        image = dm_pix.random_contrast(k_contrast, image, 1 - CONTRAST, 1 + CONTRAST)
        return dm_pix.random_brightness(k_bright, image, BRIGHTNESS)

    def pipeline(key, images):
        return jax.vmap(one)(jax.random.split(key, images.shape[0]), images)

    return pipeline


def _keras_layers():
    import keras

    return [
        keras.layers.RandomFlip("horizontal"),
        keras.layers.RandomRotation(ROTATION, fill_mode=FILL_MODE),
        keras.layers.RandomZoom(ZOOM, fill_mode=FILL_MODE),
        keras.layers.RandomTranslation(TRANSLATION, TRANSLATION, fill_mode=FILL_MODE),
        keras.layers.RandomContrast(CONTRAST, value_range=VALUE_RANGE),
        keras.layers.RandomBrightness(BRIGHTNESS, value_range=VALUE_RANGE),
    ]


def keras_pipeline():
    layers = _keras_layers()

    def pipeline(key, images):
        x = images
        for i, layer in enumerate(layers):
            seed = jax.random.key_data(jax.random.fold_in(key, i))
            transformation = layer.get_random_transformation(x, training=True, seed=seed)
            x = layer.transform_images(x, transformation, training=True)
        return x

    return pipeline


def keras_eager_pipeline():
    import keras

    model = keras.Sequential(_keras_layers())

    def pipeline(key, images):
        return model(images, training=True)

    return pipeline


PIPELINES = {
    "jreg": ("jreg (fused)", jreg_pipeline, True),
    "jreg-unfused": ("jreg (4 resamples)", jreg_unfused_pipeline, True),
    "augmax": ("augmax (vmap)", augmax_pipeline, True),
    "dm-pix": ("dm-pix (vmap)", dm_pix_pipeline, True),
    "keras": ("Keras 3 (jit, stateless)", keras_pipeline, True),
    "keras-eager": ("Keras 3 (eager Sequential)", keras_eager_pipeline, False),
}


# ------------------------------------------------------------------------ timing


def _block(x):
    return jax.block_until_ready(x)


def measure(build, jitted, images, key, repeats):
    pipeline = build()
    if jitted:
        start = time.perf_counter()
        compiled = jax.jit(pipeline).lower(key, images).compile()
        compile_s = time.perf_counter() - start
        run = compiled
    else:
        compile_s = float("nan")
        run = pipeline
    keys = jax.random.split(jax.random.key(1), repeats + 1)
    _block(run(keys[0], images))  # warm-up (eager: traces and caches the ops)
    times = []
    for k in keys[1:]:
        start = time.perf_counter()
        _block(run(k, images))
        times.append(time.perf_counter() - start)
    return compile_s, statistics.median(times)


def policy_compile_times(images):
    from jreg import augment

    cases = {
        "fused pipeline (above)": jreg_pipeline(),
        "rand_augment (num_ops=2)": lambda k, x: augment.rand_augment(
            k, x, value_range=VALUE_RANGE, num_ops=2),
        "trivial_augment": lambda k, x: augment.trivial_augment(k, x, value_range=VALUE_RANGE),
        "aug_mix (3 chains, depth 3)": lambda k, x: augment.aug_mix(
            k, x, value_range=VALUE_RANGE),
    }
    rows = []
    key = jax.random.key(0)
    for name, fun in cases.items():
        start = time.perf_counter()
        compiled = jax.jit(fun).lower(key, images).compile()
        compile_s = time.perf_counter() - start
        _block(compiled(key, images))
        start = time.perf_counter()
        _block(compiled(jax.random.key(1), images))
        rows.append((name, compile_s, time.perf_counter() - start))
    return rows


def _versions():
    import importlib.metadata as md

    out = {}
    for name in ("jax", "jaxlib", "jreg", "augmax", "dm-pix", "keras", "numpy"):
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main(args):
    started = time.perf_counter()
    device = jax.devices()[0]
    _block(jax.jit(lambda x: x + 1)(jnp.ones(3)))  # backend warm-up, not billed to anyone
    libraries = [name.strip() for name in args.libraries.split(",") if name.strip()]
    unknown = set(libraries) - set(PIPELINES)
    if unknown:
        raise SystemExit(f"unknown libraries: {sorted(unknown)}; choose from {list(PIPELINES)}")
    lines = [
        "# Augmentation benchmark",
        "",
        f"- date: {datetime.datetime.now().isoformat(timespec='seconds')}",
        f"- machine: {platform.platform()}, CPU {_cpu_model()}, {os.cpu_count()} cores",
        f"- device: {device.platform} ({device.device_kind})",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in _versions().items()),
        f"- pipeline: flip + rotation ±{360 * ROTATION:.0f}° + zoom ±{ZOOM:.0%} + "
        f"translation ±{TRANSLATION:.0%} + contrast ±{CONTRAST} + brightness ±{BRIGHTNESS}, "
        f"per-example parameters, batch {args.batch}, float32, bilinear, "
        f"fill '{FILL_MODE}' (zeros)",
        f"- timing: median of {args.repeats} calls after a warm-up; compile time separate; "
        "ratio = peer time / jreg time (> 1: jreg faster)",
        "",
    ]
    for size in args.sizes:
        images = jax.random.uniform(jax.random.key(0), (args.batch, size, size, 3), jnp.float32)
        results = {}
        for name in libraries:
            label, build, jitted = PIPELINES[name]
            if time.perf_counter() - started > args.budget:
                results[name] = None
                continue
            try:
                results[name] = measure(build, jitted, images, jax.random.key(0), args.repeats)
            except Exception as error:  # a peer failing must not hide the others
                results[name] = repr(error)[:80]
            print(f"{size}px {label}: {results[name]}", file=sys.stderr, flush=True)
        base = results.get("jreg")
        lines += [
            f"## {args.batch} × {size}×{size}×3",
            "",
            "| implementation | compile (s) | ms / batch | images / s | ratio vs jreg |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for name in libraries:
            label = PIPELINES[name][0]
            result = results[name]
            if result is None:
                lines.append(f"| {label} | skipped (time budget) | | | |")
                continue
            if isinstance(result, str):
                lines.append(f"| {label} | failed: {result} | | | |")
                continue
            compile_s, seconds = result
            ratio = (
                f"{seconds / base[1]:.2f}" if isinstance(base, tuple) and name != "jreg" else "1"
            )
            compile_text = "—" if np.isnan(compile_s) else f"{compile_s:.2f}"
            lines.append(
                f"| {label} | {compile_text} | {seconds * 1e3:.1f} | "
                f"{args.batch / seconds:,.0f} | {ratio} |"
            )
        lines.append("")
    if not args.no_policies and time.perf_counter() - started <= args.budget:
        size = args.sizes[0]
        images = jax.random.uniform(jax.random.key(0), (args.batch, size, size, 3), jnp.float32)
        lines += [
            f"## jreg compile times ({args.batch} × {size}×{size}×3)",
            "",
            "| function | compile (s) | ms / batch |",
            "| --- | ---: | ---: |",
        ]
        for name, compile_s, seconds in policy_compile_times(images):
            lines.append(f"| {name} | {compile_s:.2f} | {seconds * 1e3:.1f} |")
        lines.append("")
    lines.append(f"Total benchmark time: {time.perf_counter() - started:.0f} s.")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.output:
        with open(args.output, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main(ARGS)
