"""Where the time of bench_augment.py's jreg pipeline goes, op by op, with candidate
implementations of its two heavy parts: the resample and the per-channel contrast mean.

Each row is one jitted function on the benchmark's batch (flip + rotation + zoom +
translation, fill "constant", bilinear; contrast and brightness with Keras meanings),
timed as the median of ``--repeats`` blocked calls after a warm-up. Variants compute
the same values as jreg's implementation (checked here, max abs difference printed),
so a faster variant can replace it. jreg's resampler ends with an optimization barrier
off CPU (commit b5575b0); the "without the barrier" rows trace it without one, and the
other variants have none either. augmax and dm-pix rows use the same sizes for
reference (augmax's contrast is per pixel, without an image mean: different work).

    python benchmarks/profile_augment_ops.py --device gpu --sizes 64 224 --hlo-dir out/
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=("cpu", "gpu"), default="cpu")
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 224])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--hlo-dir", default=None,
                        help="write the optimized HLO of jreg's pipeline here")
    return parser.parse_args(argv)


ARGS = parse_args() if __name__ == "__main__" else None
if ARGS is not None:
    os.environ["JAX_PLATFORMS"] = "cuda" if ARGS.device == "gpu" else "cpu"

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_augment as B  # noqa: E402

from jreg import augment  # noqa: E402
from jreg.augment import _warp  # noqa: E402

HIGHEST = jax.lax.Precision.HIGHEST


# ------------------------------------------------------------------ resample variants


def _pad_constant(batch):
    return jnp.pad(batch, ((0, 0), (1, 1), (1, 1), (0, 0)))


def _corners(x, y):
    x0, y0 = jnp.floor(x), jnp.floor(y)
    return x0.astype(jnp.int32), y0.astype(jnp.int32), (x - x0)[..., None], (y - y0)[..., None]


def _blend(v00, v01, v10, v11, fx, fy):
    top = v00 + (v01 - v00) * fx
    bottom = v10 + (v11 - v10) * fx
    return top + (bottom - top) * fy


def resample_scalar(batch, x, y):
    """Per-value gathers: flat ``(N*H*W*C,)`` operand, one index per output value."""
    n, h, w, c = batch.shape
    padded = _pad_constant(batch)
    rows, cols = h + 2, w + 2
    flat = padded.reshape(-1)
    base = (jnp.arange(n, dtype=jnp.int32) * (rows * cols))[:, None, None]
    channels = jnp.arange(c, dtype=jnp.int32)
    x0, y0, fx, fy = _corners(x, y)

    def read(yi, xi):
        yi = jnp.clip(yi + 1, 0, rows - 1)
        xi = jnp.clip(xi + 1, 0, cols - 1)
        index = (base + yi * cols + xi)[..., None] * c + channels
        return flat.at[index].get(mode="promise_in_bounds")

    return _blend(read(y0, x0), read(y0, x0 + 1), read(y0 + 1, x0), read(y0 + 1, x0 + 1),
                  fx, fy)


def resample_planar(batch, x, y):
    """Channels-first planes: ``(N, C, H, W)`` operand, gathers per plane, back to NHWC."""
    n, h, w, c = batch.shape
    planes = jnp.transpose(_pad_constant(batch), (0, 3, 1, 2))  # (N, C, rows, cols)
    rows, cols = h + 2, w + 2
    flat = planes.reshape(-1)
    plane = (jnp.arange(n * c, dtype=jnp.int32) * (rows * cols)).reshape(n, c, 1, 1)
    x0, y0, fx, fy = _corners(x, y)
    fx, fy = fx[..., 0][:, None], fy[..., 0][:, None]

    def read(yi, xi):
        yi = jnp.clip(yi + 1, 0, rows - 1)
        xi = jnp.clip(xi + 1, 0, cols - 1)
        return flat.at[plane + (yi * cols + xi)[:, None]].get(mode="promise_in_bounds")

    out = _blend(read(y0, x0), read(y0, x0 + 1), read(y0 + 1, x0), read(y0 + 1, x0 + 1),
                 fx, fy)
    return jnp.transpose(out, (0, 2, 3, 1))


def resample_jreg(batch, x, y):
    return _warp.resample(batch, x, y, fill_mode="constant", fill_value=0.0,
                          interpolation="bilinear")


def resample_jreg_unfenced(batch, x, y):
    """jreg's resampler without its off-CPU optimization barrier (as before the fix)."""
    fence = _warp._materialize_off_cpu
    _warp._materialize_off_cpu = lambda v: v  # read while tracing, restored at once
    try:
        return resample_jreg(batch, x, y)
    finally:
        _warp._materialize_off_cpu = fence


RESAMPLERS = {"jreg (whole-pixel gathers)": resample_jreg,
              "jreg without the barrier": resample_jreg_unfenced,
              "per-value gathers": resample_scalar,
              "channels-first planes": resample_planar}


# ---------------------------------------------------------------------- means


def mean_jreg(batch):
    return jnp.mean(batch, axis=(1, 2), keepdims=True)


def mean_two_stage(batch):
    h, w = batch.shape[1:3]
    return (jnp.sum(jnp.sum(batch, axis=1), axis=1) / (h * w))[:, None, None, :]


def mean_dot(batch):
    n, h, w, c = batch.shape
    ones = jnp.full((h * w,), 1.0 / (h * w), batch.dtype)
    return jnp.einsum("npc,p->nc", batch.reshape(n, h * w, c), ones,
                      precision=HIGHEST)[:, None, None, :]


MEANS = {"jreg (mean over H, W)": mean_jreg, "sum over H then W": mean_two_stage,
         "dot with ones": mean_dot}


# ------------------------------------------------------------------ pipelines


def _matrices(key, n, h, w):
    return augment.random_affine_matrix(
        key, n, h, w, flip="horizontal", rotation=B.ROTATION, zoom_height=B.ZOOM,
        translate_height=B.TRANSLATION, translate_width=B.TRANSLATION,
    )


def geometry(resampler):
    def run(key, images):
        n, h, w, _ = images.shape
        x, y = _warp.source_coordinates(_matrices(key, n, h, w), h, w)
        return resampler(images, x, y)

    return run


def contrast(mean):
    lo, hi = B.VALUE_RANGE

    def run(key, images):
        f = jax.random.uniform(key, (images.shape[0], 1, 1, 1), images.dtype,
                               1 - B.CONTRAST, 1 + B.CONTRAST)
        m = mean(images)
        return jnp.clip(m + f * (images - m), lo, hi)

    return run


def pipeline(resampler, mean):
    geo, con = geometry(resampler), contrast(mean)

    def run(key, images):
        k_geo, k_con, k_bright = jax.random.split(key, 3)
        x = con(k_con, geo(k_geo, images))
        return augment.random_brightness(k_bright, x, B.BRIGHTNESS, value_range=B.VALUE_RANGE)

    return run


def cases():
    out = {"jreg pipeline (bench_augment)": B.jreg_pipeline()}
    for name, r in RESAMPLERS.items():
        out[f"geometry: {name}"] = geometry(r)
    out["geometry: jreg random_affine, fill 'nearest'"] = lambda k, im: augment.random_affine(
        k, im, flip="horizontal", rotation=B.ROTATION, zoom_height=B.ZOOM,
        translate_height=B.TRANSLATION, translate_width=B.TRANSLATION, fill_mode="nearest")
    for name, m in MEANS.items():
        out[f"contrast: {name}"] = contrast(m)
    out["brightness (jreg)"] = lambda k, im: augment.random_brightness(
        k, im, B.BRIGHTNESS, value_range=B.VALUE_RANGE)
    for rname, r in RESAMPLERS.items():
        for mname, m in MEANS.items():
            out[f"pipeline: {rname} + {mname}"] = pipeline(r, m)
    return out


def peer_cases():
    out = {}
    try:
        import augmax

        geo = augmax.Chain(augmax.HorizontalFlip(p=0.5),
                           augmax.Rotate((-360 * B.ROTATION, 360 * B.ROTATION)))
        out["augmax: flip + rotate only (vmap)"] = lambda k, im: jax.vmap(geo)(
            jax.random.split(k, im.shape[0]), im)
        out["augmax: full chain (vmap)"] = B.augmax_pipeline()
    except ImportError:
        pass
    try:
        import dm_pix

        out["dm-pix: random_contrast (vmap)"] = lambda k, im: jax.vmap(
            lambda kk, x: dm_pix.random_contrast(kk, x, 1 - B.CONTRAST, 1 + B.CONTRAST))(
            jax.random.split(k, im.shape[0]), im)
        out["dm-pix: full (vmap)"] = B.dm_pix_pipeline()
    except ImportError:
        pass
    return out


def time_case(fn, key, images, repeats):
    start = time.perf_counter()
    compiled = jax.jit(fn).lower(key, images).compile()
    compile_s = time.perf_counter() - start
    jax.block_until_ready(compiled(key, images))
    times = []
    for k in jax.random.split(jax.random.key(7), repeats):
        start = time.perf_counter()
        jax.block_until_ready(compiled(k, images))
        times.append(time.perf_counter() - start)
    return compile_s, statistics.median(times), compiled


def main(args):
    print(f"# augmentation ops, {jax.devices()[0].device_kind}, jax {jax.__version__}, "
          f"batch {args.batch}, median of {args.repeats}\n")
    key = jax.random.key(0)
    for size in args.sizes:
        images = jax.random.uniform(jax.random.key(1), (args.batch, size, size, 3), jnp.float32)
        print(f"## {args.batch} × {size}×{size}×3\n")
        print("| case | compile (s) | ms / batch | max abs diff vs jreg |")
        print("| --- | ---: | ---: | ---: |")
        reference = {}
        for name, fn in {**cases(), **peer_cases()}.items():
            try:
                compile_s, seconds, compiled = time_case(fn, key, images, args.repeats)
            except Exception as exc:  # noqa: BLE001 - report and go on
                print(f"| {name} | — | — | error: {type(exc).__name__}: {str(exc)[:80]} |")
                continue
            out = compiled(key, images)
            group = name.split(":")[0]
            diff = ""
            if group in ("geometry", "contrast", "pipeline") or name.startswith("jreg"):
                ref_name = {"geometry": "geometry", "contrast": "contrast"}.get(group, "pipe")
                if ref_name not in reference:
                    reference[ref_name] = out
                else:
                    diff = f"{float(jnp.max(jnp.abs(out - reference[ref_name]))):.1e}"
            print(f"| {name} | {compile_s:.2f} | {seconds * 1e3:.3f} | {diff} |", flush=True)
            if args.hlo_dir and name == "jreg pipeline (bench_augment)":
                os.makedirs(args.hlo_dir, exist_ok=True)
                with open(os.path.join(args.hlo_dir, f"jreg_pipeline_{size}.hlo.txt"), "w") as f:
                    f.write(compiled.as_text())
        print()


if __name__ == "__main__":
    main(ARGS)
