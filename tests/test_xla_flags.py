"""The XLA CPU flag that ``import jreg`` adds (jreg/_xla_flags.py)."""

import json
import os
import subprocess
import sys

import pytest

from jreg._xla_flags import LOOP_BYTES, LOOP_KEY, configure, with_cpu_loop_flag

ENTRY = f"{LOOP_KEY}={LOOP_BYTES}"
FLAG = f"--xla_backend_extra_options={ENTRY}"


@pytest.mark.parametrize("flags, expected", [
    ("", FLAG),
    ("  ", FLAG),
    ("--xla_force_host_platform_device_count=2",
     f"--xla_force_host_platform_device_count=2 {FLAG}"),
    # a flag of its own (XLA merges repeated extra-options flags into one map): the
    # user's flags, quotes and spacing included, are left as they are
    ('--xla_backend_extra_options="xla_foo=1"  --xla_dump_to=/tmp/d',
     f'--xla_backend_extra_options="xla_foo=1"  --xla_dump_to=/tmp/d {FLAG}'),
    # the key inside a path is not a setting of it
    (f"--xla_dump_to=/tmp/{LOOP_KEY}", f"--xla_dump_to=/tmp/{LOOP_KEY} {FLAG}"),
])
def test_flag_added_once(flags, expected):
    assert with_cpu_loop_flag(flags) == expected
    assert with_cpu_loop_flag(expected) == expected  # idempotent


@pytest.mark.parametrize("flags", [
    f"--xla_backend_extra_options={LOOP_KEY}=0",
    f'--xla_backend_extra_options="xla_foo=1,{LOOP_KEY}=2048"',
    f"--xla_backend_extra_options='{LOOP_KEY}=2048' --xla_dump_to=/tmp/d",
])
def test_users_threshold_kept(flags):
    assert with_cpu_loop_flag(flags) == flags
    env = {"XLA_FLAGS": flags}
    assert configure(env) is False and env["XLA_FLAGS"] == flags


@pytest.mark.parametrize("off", ["0", "false", "OFF", " no "])
def test_opt_out_leaves_environment_alone(off):
    env = {"JREG_XLA_FLAGS": off}
    assert configure(env) is False
    assert "XLA_FLAGS" not in env
    env = {"JREG_XLA_FLAGS": off, "XLA_FLAGS": "--xla_dump_to=/tmp/d"}
    configure(env)
    assert env["XLA_FLAGS"] == "--xla_dump_to=/tmp/d"


def test_configure_sets_the_environment(monkeypatch):
    # this process has started JAX: pretend it has not, as at a first `import jreg`
    monkeypatch.setattr("jreg._xla_flags._backends_started", lambda: False)
    env = {"XLA_FLAGS": "--xla_dump_to=/tmp/d"}
    assert configure(env) is True
    assert env["XLA_FLAGS"] == f"--xla_dump_to=/tmp/d {FLAG}"
    env = {"JREG_XLA_FLAGS": "1"}
    assert configure(env) is True and env["XLA_FLAGS"] == FLAG


def test_too_late_once_jax_has_started():
    import jax.numpy as jnp

    jnp.zeros(1).block_until_ready()  # a backend runs in this process now
    env = {"XLA_FLAGS": "--xla_dump_to=/tmp/d"}
    assert configure(env) is False
    assert env["XLA_FLAGS"] == "--xla_dump_to=/tmp/d"  # nothing for child processes


_PROBE = """
import json, os
import jreg
import jax, jax.numpy as jnp
from jax._src import xla_bridge
started = xla_bridge.backends_are_initialized()
loop = lambda x: jax.lax.fori_loop(0, 10, lambda i, c: c * 0.999 + jnp.roll(c, 1) * 1e-3, x)
text = jax.jit(loop).lower(jnp.ones(4096)).compile().as_text()
print(json.dumps({"flags": os.environ.get("XLA_FLAGS"), "started_by_import": started,
                  "one_kernel": " call(" in text}))
"""


def _fresh_import(env_extra):
    """``import jreg`` in a new interpreter, then compile a small CPU loop: the
    resulting XLA_FLAGS, whether importing jreg had started a JAX backend (XLA reads its
    flags when the first one starts), and whether XLA outlined the loop into one call
    (what the threshold enables)."""
    env = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", "JREG_XLA_FLAGS")}
    env.update(env_extra, JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_import_sets_a_flag_xla_uses():
    res = _fresh_import({"XLA_FLAGS": "--xla_force_host_platform_device_count=1"})
    assert res["flags"] == f"--xla_force_host_platform_device_count=1 {FLAG}"
    assert not res["started_by_import"]
    assert res["one_kernel"]
    res = _fresh_import({"JREG_XLA_FLAGS": "0"})
    assert res["flags"] is None
    assert not res["one_kernel"]  # XLA's default: the same loop is not outlined
