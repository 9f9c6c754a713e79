"""Training-step cost of jreg.nn dropout, penalties and constraints.

Compares one jitted training step (forward, loss, backward, Adam update) of an MLP with

* ``flax.nnx.Dropout`` (the reference) and ``jreg.nn.Dropout`` (target ratio <= 1.1);
* ``jreg.nn.Dropout`` plus an L2 penalty on every kernel through ``jreg.nn.PenaltySpec``
  in the loss (also as a hand-written callable, which must compile to the same step,
  and as a gradient-only transform), plus ``jreg.nn.constraints`` (``MaxNorm``) last in
  the optimizer chain (also with ``MaxNorm`` called on the kernels after the update),
  and plus both (target: < 2 % of the step time each);
* other jreg layers of the family, for information.

The step is the NNX functional pattern (``nnx.split`` outside, ``nnx.merge`` inside one
``jax.jit``), so the timings are of the compiled program, not of Python overhead.
Compile time is measured separately (``lower().compile()``). Each variant is timed in
``--repeats`` rounds of ``--steps`` steps, rounds interleaved across variants so that
machine noise hits them alike; the median round is reported.

The "paired" column is the median over rounds of each round's time divided by the
``jreg.nn.Dropout`` time of the same round: on a shared machine it is steadier than the
ratio of the medians. ``--clock cpu`` times process CPU time instead of wall time.

Usage::

    python benchmarks/bench_dropout.py            # full
    python benchmarks/bench_dropout.py --quick    # smaller model, fewer rounds
    python benchmarks/bench_dropout.py --batch 1024 --clock cpu --only L2,MaxNorm
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import time
from collections.abc import Callable

import flax
import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

import jreg


class MLP(nnx.Module):
    def __init__(self, width: int, depth: int, make_dropout: Callable, *, rngs: nnx.Rngs):
        sizes = [width] * (depth + 1)
        self.hidden = nnx.List(
            [nnx.Linear(a, b, rngs=rngs) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
        )
        self.dropout = nnx.List([make_dropout(rngs) for _ in range(depth)])
        self.out = nnx.Linear(width, 10, rngs=rngs)

    def __call__(self, x):
        for linear, dropout in zip(self.hidden, self.dropout, strict=True):
            x = jax.nn.relu(linear(x))
            if dropout is not None:
                x = dropout(x)
        return self.out(x)


def _identity(rngs):
    return None


def _l2_factored(w):
    """Keras L2(1e-4) written with the strength outside the sum, ``1e-4 · Σw²``."""
    return 1e-4 * jnp.sum(w * w)


VARIANTS = {
    # name: (dropout factory, penalty in loss, constraint in chain); the penalty is
    # True (L2(1e-4) through PenaltySpec), a callable (through PenaltySpec) or
    # "gradient" (jreg.transforms.add_penalty_gradient in the chain: no value computed)
    "no dropout": (_identity, False, False),
    "nnx.Dropout": (lambda rngs: nnx.Dropout(0.5, rngs=rngs), False, False),
    "jreg.nn.Dropout": (lambda rngs: jreg.nn.Dropout(0.5, rngs=rngs), False, False),
    "jreg Dropout + L2 penalty": (lambda rngs: jreg.nn.Dropout(0.5, rngs=rngs), True, False),
    "jreg Dropout + L2 as 1e-4·Σw² (callable)": (
        lambda rngs: jreg.nn.Dropout(0.5, rngs=rngs),
        _l2_factored,
        False,
    ),
    "jreg Dropout + L2 gradient only (add_penalty_gradient)": (
        lambda rngs: jreg.nn.Dropout(0.5, rngs=rngs),
        "gradient",
        False,
    ),
    "jreg Dropout + MaxNorm": (lambda rngs: jreg.nn.Dropout(0.5, rngs=rngs), False, True),
    "jreg Dropout + L2 + MaxNorm": (lambda rngs: jreg.nn.Dropout(0.5, rngs=rngs), True, True),
    "jreg Dropout + MaxNorm called on the kernels after the update": (
        lambda rngs: jreg.nn.Dropout(0.5, rngs=rngs),
        False,
        "after",
    ),
    "jreg.nn.GaussianDropout": (lambda rngs: jreg.nn.GaussianDropout(0.5, rngs=rngs), False, False),
    "jreg.nn.AlphaDropout": (lambda rngs: jreg.nn.AlphaDropout(0.1, rngs=rngs), False, False),
    "jreg.nn.DropPath": (lambda rngs: jreg.nn.DropPath(0.2, rngs=rngs), False, False),
}


def build(name, width, depth, batch):
    make_dropout, with_penalty, with_constraint = VARIANTS[name]
    model = MLP(width, depth, make_dropout, rngs=nnx.Rngs(params=0, dropout=1))
    chain = [optax.adam(1e-3)]
    if with_penalty == "gradient":
        mask = jreg.nn.param_mask(model, "kernel$")
        chain.insert(0, jreg.transforms.add_penalty_gradient(jreg.penalties.L2(1e-4), mask=mask))
    if callable(with_constraint):  # a factory model -> optax transformation
        chain.append(with_constraint(model))
    elif with_constraint is True:
        chain.append(jreg.nn.constraints(model, {"kernel$": jreg.nn.MaxNorm(3.0)}))
    optimizer = nnx.Optimizer(model, optax.chain(*chain), wrt=nnx.Param)
    if with_penalty is True:
        spec = jreg.nn.PenaltySpec({"kernel$": jreg.penalties.L2(1e-4)})
    elif callable(with_penalty):
        spec = jreg.nn.PenaltySpec({"kernel$": with_penalty})
    else:
        spec = jreg.nn.PenaltySpec({})
    graphdef, state = nnx.split((model, optimizer))

    def step(state, x, y):
        model, optimizer = nnx.merge(graphdef, state)

        def loss_fn(model):
            logits = model(x)
            return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean() + spec(model)

        loss, grads = nnx.value_and_grad(loss_fn)(model)
        optimizer.update(model, grads)
        if with_constraint == "after":  # Keras' way: project the new weights in place
            jreg.nn.apply_constraints(model, {"kernel$": jreg.nn.MaxNorm(3.0)})
        return nnx.state((model, optimizer)), loss

    x = jax.random.normal(jax.random.key(0), (batch, width), jnp.float32)
    y = jax.random.randint(jax.random.key(1), (batch,), 0, 10)
    start = time.perf_counter()
    lowered = jax.jit(step, donate_argnums=0).lower(state, x, y)
    compiled = lowered.compile()
    compile_time = time.perf_counter() - start
    return compiled, state, x, y, compile_time, canonical_hlo(compiled.as_text())


def entry_kernels(text: str) -> int:
    """Number of fusions, copies and custom calls in the entry computation: the kernels
    (passes over memory, launches on a GPU) the step runs, leaving dots apart."""
    entry = text[text.index("ENTRY") :]
    return len(re.findall(r"= \S+ (?:fusion|copy|custom-call)\(", entry))


def canonical_hlo(text: str) -> str:
    """Optimized HLO without metadata, with names numbered by first appearance."""
    lines = []
    for line in text.splitlines():
        if not (line.startswith(("%", "ENTRY", "}")) or line.startswith("  ")):
            continue  # module header, stack-frame tables
        line = re.sub(r",?\s*metadata=\{[^}]*\}", "", line)
        lines.append(re.sub(r",?\s*stack_frame_id=\d+", "", line))
    names: dict[str, str] = {}
    pattern = r"%?[A-Za-z_][\w\-]*\.\d+|%[\w\-.]+"
    rename = lambda match: names.setdefault(match.group(0), f"v{len(names)}")
    return re.sub(pattern, rename, "\n".join(lines))


def time_rounds(variants, steps, repeats, clock=time.perf_counter):
    """Median seconds per step of each variant; rounds interleaved across variants.

    ``clock=time.process_time`` measures the CPU time of all the process's threads
    instead of wall time: on a shared CPU it does not count the time other processes
    hold the cores (it still counts their cache and memory-bandwidth interference).
    """
    rounds = {name: [] for name in variants}
    for _ in range(repeats):
        for name, entry in variants.items():
            compiled, state, x, y = entry["compiled"], entry["state"], entry["x"], entry["y"]
            start = clock()
            for _ in range(steps):
                state, loss = compiled(state, x, y)
            jax.block_until_ready((state, loss))
            rounds[name].append((clock() - start) / steps)
            entry["state"] = state
    return {name: float(np.median(r)) for name, r in rounds.items()}, rounds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--width", type=int, default=None)
    parser.add_argument("--depth", type=int, default=3)
    parser.add_argument("--batch", type=int, default=None)
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument(
        "--only",
        default=None,
        help="comma-separated substrings: run only matching variants (nnx.Dropout and "
        "jreg.nn.Dropout always run, as references)",
    )
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall time (default) or CPU time of the process (CPU backend on a shared machine)",
    )
    args = parser.parse_args(argv)
    names = [
        name
        for name in VARIANTS
        if args.only is None
        or name in ("nnx.Dropout", "jreg.nn.Dropout")
        or any(part in name for part in args.only.split(","))
    ]
    width = args.width or (256 if args.quick else 1024)
    batch = args.batch or (128 if args.quick else 256)
    steps = args.steps or (10 if args.quick else 20)
    repeats = args.repeats or (5 if args.quick else 9)

    variants = {}
    for name in names:
        compiled, state, x, y, compile_time, text = build(name, width, args.depth, batch)
        compiled(state, x, y)  # warm-up (state is donated: rebuild below)
        _, state, x, y, _, _ = build(name, width, args.depth, batch)
        kernels = entry_kernels(compiled.as_text())
        variants[name] = dict(
            compiled=compiled,
            state=state,
            x=x,
            y=y,
            compile=compile_time,
            text=text,
            kernels=kernels,
        )
    clock = time.perf_counter if args.clock == "wall" else time.process_time
    load_before = os.getloadavg()
    medians, rounds = time_rounds(variants, steps, repeats, clock)
    load_after = os.getloadavg()
    same_program = variants["jreg.nn.Dropout"]["text"] == variants["nnx.Dropout"]["text"]

    device = jax.devices()[0]
    print("## jreg.nn dropout, penalty and constraint cost per training step\n")
    print(
        f"- date: {datetime.date.today().isoformat()}; machine: {platform.machine()}, "
        f"{os.cpu_count()} CPUs, {platform.system()}; device: {device.device_kind} "
        f"({jax.default_backend()})"
    )
    print(
        f"- versions: jreg {jreg.__version__}, jax {jax.__version__}, flax {flax.__version__}, "
        f"optax {optax.__version__}, numpy {np.__version__}, Python {platform.python_version()}"
    )
    print(
        f"- step: MLP {width} -> {' -> '.join([str(width)] * args.depth)} -> 10, ReLU, dropout "
        f"after each hidden layer, batch {batch}, float32, softmax cross-entropy, Adam; "
        f"median of {repeats} interleaved rounds of {steps} steps; "
        f"{'wall' if args.clock == 'wall' else 'process CPU'} time"
    )
    print(
        "- load average (1, 5, 15 min) before timing: "
        + ", ".join(f"{v:.2f}" for v in load_before)
        + "; after: "
        + ", ".join(f"{v:.2f}" for v in load_after)
        + "\n"
    )
    reference = medians["nnx.Dropout"]
    jreg_dropout = medians["jreg.nn.Dropout"]
    print(
        "| variant | compile (s) | step, median (ms) | step, best round (ms) "
        "| median vs nnx.Dropout | median vs jreg.nn.Dropout "
        "| paired vs jreg.nn.Dropout, median [quartiles] | HLO kernels (vs jreg.nn.Dropout) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    base_kernels = variants["jreg.nn.Dropout"]["kernels"]
    for name, entry in variants.items():
        step = medians[name]
        # per-round ratio to jreg.nn.Dropout timed in the same round: slow drifts of the
        # machine's load cancel, which the ratio of the two medians does not do
        paired = 100 * (np.array(rounds[name]) / np.array(rounds["jreg.nn.Dropout"]) - 1)
        low, middle, high = np.percentile(paired, [25, 50, 75])
        print(
            f"| {name} | {entry['compile']:.2f} | {1e3 * step:.3f} | "
            f"{1e3 * min(rounds[name]):.3f} | {step / reference:.3f} "
            f"| {100 * (step / jreg_dropout - 1):+.1f} % "
            f"| {middle:+.1f} % [{low:+.1f}, {high:+.1f}] "
            f"| {entry['kernels']} ({entry['kernels'] - base_kernels:+d}) |"
        )
    print(
        "\nthe compiled training step (optimized HLO, up to names and metadata) with "
        "jreg.nn.Dropout is "
        + ("IDENTICAL to" if same_program else "different from")
        + " the one with nnx.Dropout"
    )
    penalty, by_hand = "jreg Dropout + L2 penalty", "jreg Dropout + L2 as 1e-4·Σw² (callable)"
    if penalty in variants and by_hand in variants:
        same = variants[penalty]["text"] == variants[by_hand]["text"]
        print(
            "the compiled step with L2(1e-4) through PenaltySpec is "
            + ("IDENTICAL to" if same else "different from")
            + " the one with the hand-written 1e-4·Σw²"
        )
    spread = {n: (np.max(r) - np.min(r)) / np.median(r) for n, r in rounds.items()}
    print(
        f"\nround-to-round spread (max − min) / median: "
        f"{min(spread.values()):.0%} to {max(spread.values()):.0%}"
    )


if __name__ == "__main__":
    main()
