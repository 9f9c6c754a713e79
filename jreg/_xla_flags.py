"""The XLA CPU setting jreg makes before JAX starts (private).

XLA's CPU runtime runs a ``while`` loop as a sequence of small kernels ("thunks"), each
with a fixed dispatch cost, unless the loop is small enough to be compiled into a single
kernel: the ``xla_cpu_small_while_loop_byte_threshold`` backend option, 1024 bytes by
default. jreg's coordinate-descent epochs are such loops (a block step is a dozen
kernels, 0.6–0.9 µs for a few hundred flops), and raising the threshold to 16 MiB made
a block step 3× faster and whole paths 1.1–1.9× faster on CPU (``docs/benchmarks.md``).

The option is a map entry of XLA's ``DebugOptions``, which ``jax.jit``'s
``compiler_options`` cannot set, so it goes through the ``XLA_FLAGS`` environment
variable, which XLA reads once, when JAX starts its first backend. ``import jreg``
therefore adds it to ``XLA_FLAGS`` unless

* the variable sets the threshold already (the user's value is kept),
* ``JREG_XLA_FLAGS`` is ``0``, ``false``, ``no`` or ``off`` (any other value, or none,
  leaves the flag on), or
* JAX has started a backend already (any computation, ``jax.devices()``, ...): the flag
  could no longer take effect in this process, so the environment is left as it is.

It changes how XLA emits small loops on CPU, not the problems they solve (rounding
differences can change epoch counts, and coefficients within the certified tolerance);
it is an option of XLA's CPU backend, not measured on accelerators.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import MutableMapping

LOOP_KEY = "xla_cpu_small_while_loop_byte_threshold"
LOOP_BYTES = 1 << 24
_EXTRA = "--xla_backend_extra_options="
_OFF = ("0", "false", "no", "off")
# the key as an extra-options entry (after '=', ',' or a quote), not inside a path
_SETS_KEY = re.compile(rf"(?:^|[\s,=\"']){LOOP_KEY}(?:[=,\"'\s]|$)")


def with_cpu_loop_flag(flags: str, nbytes: int = LOOP_BYTES) -> str:
    """Add XLA's small-loop threshold to an ``XLA_FLAGS`` value.

    The entry is appended as a flag of its own: XLA adds the entries of every
    ``--xla_backend_extra_options`` flag to one map, so the user's flags are left as
    they are (quoting included).

    Args:
      flags: the current ``XLA_FLAGS`` value (may be empty).
      nbytes: the threshold in bytes.

    Returns:
      ``flags`` with the threshold appended, or ``flags`` unchanged if it sets the
      threshold already.
    """
    if _SETS_KEY.search(flags):
        return flags
    flag = f"{_EXTRA}{LOOP_KEY}={int(nbytes)}"
    return f"{flags} {flag}" if flags.strip() else flag


def _backends_started() -> bool:
    """Whether JAX has started a backend (XLA has then read its flags already)."""
    if "jax" not in sys.modules:
        return False
    try:
        from jax._src import xla_bridge

        return bool(xla_bridge.backends_are_initialized())
    except (ImportError, AttributeError):  # a private API: assume not started
        return False


def configure(environ: MutableMapping[str, str] | None = None) -> bool:
    """Add the small-loop threshold to ``XLA_FLAGS`` where it can still take effect.

    Args:
      environ: the environment to edit (``os.environ`` by default).

    Returns:
      Whether ``XLA_FLAGS`` now holds the threshold jreg set; ``False`` when the user
      opted out (``JREG_XLA_FLAGS=0``), set a threshold of their own, or JAX had
      started a backend already.
    """
    environ = os.environ if environ is None else environ
    if environ.get("JREG_XLA_FLAGS", "").strip().lower() in _OFF or _backends_started():
        return False
    flags = environ.get("XLA_FLAGS", "")
    updated = with_cpu_loop_flag(flags)
    environ["XLA_FLAGS"] = updated
    return updated != flags
