"""The XLA CPU setting jreg makes before JAX starts (private).

XLA's CPU runtime runs a ``while`` loop as a sequence of small kernels ("thunks"), about
60–80 ns of dispatch each, unless the loop is small enough to be compiled into a single
kernel: the ``xla_cpu_small_while_loop_byte_threshold`` backend option, 1024 bytes by
default. jreg's coordinate-descent epochs are such loops (a block step is a dozen
kernels, 0.6–0.9 µs of dispatch for a few hundred flops), and raising the threshold to
16 MiB made them 3× faster per block step and whole paths up to 1.6× faster on CPU
(``docs/benchmarks.md``).

The option is a map entry of XLA's ``DebugOptions``, which ``jax.jit``'s
``compiler_options`` cannot set, so it goes through the ``XLA_FLAGS`` environment
variable, which XLA reads once, when JAX starts its first backend. ``import jreg``
therefore adds it to ``XLA_FLAGS`` unless

* the variable sets the threshold already (the user's value is kept), or
* ``JREG_XLA_FLAGS=0`` is set in the environment (jreg leaves ``XLA_FLAGS`` alone).

If JAX has already run a computation when jreg is imported, the flag has no effect in
that process. It changes how XLA emits small CPU loops, not what they compute (results
equal up to floating-point rounding); accelerators ignore it.
"""

from __future__ import annotations

import os

LOOP_KEY = "xla_cpu_small_while_loop_byte_threshold"
LOOP_BYTES = 1 << 24
_EXTRA = "--xla_backend_extra_options="
_OFF = ("0", "false", "no", "off")


def with_cpu_loop_flag(flags: str, nbytes: int = LOOP_BYTES) -> str:
    """``flags`` (an ``XLA_FLAGS`` value) with XLA's small-loop threshold set to ``nbytes``.

    The entry is appended as a flag of its own: XLA adds the entries of every
    ``--xla_backend_extra_options`` flag to one map, so the user's flags are left as
    they are (quoting included). Flags that set the threshold already are returned
    unchanged.
    """
    if LOOP_KEY in flags:
        return flags
    flag = f"{_EXTRA}{LOOP_KEY}={int(nbytes)}"
    return f"{flags} {flag}" if flags.strip() else flag


def configure(environ=None) -> None:
    """Add the small-loop threshold to ``environ["XLA_FLAGS"]`` (``os.environ`` by
    default) unless ``JREG_XLA_FLAGS`` is ``0``/``false``/``no``/``off``."""
    environ = os.environ if environ is None else environ
    if environ.get("JREG_XLA_FLAGS", "").strip().lower() in _OFF:
        return
    environ["XLA_FLAGS"] = with_cpu_loop_flag(environ.get("XLA_FLAGS", ""))
