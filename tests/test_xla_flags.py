"""The XLA CPU flag that ``import jreg`` adds (jreg/_xla_flags.py)."""

import os
import subprocess
import sys

import pytest

from jreg import _xla_flags
from jreg._xla_flags import LOOP_BYTES, LOOP_KEY, configure, with_cpu_loop_flag

ENTRY = f"{LOOP_KEY}={LOOP_BYTES}"


@pytest.mark.parametrize("flags, expected", [
    ("", f"--xla_backend_extra_options={ENTRY}"),
    ("  ", f"--xla_backend_extra_options={ENTRY}"),
    ("--xla_force_host_platform_device_count=2",
     f"--xla_force_host_platform_device_count=2 --xla_backend_extra_options={ENTRY}"),
    # a flag of its own (XLA merges repeated extra-options flags into one map): the
    # user's flags, quotes included, are left as they are
    ('--xla_backend_extra_options="a=1"  --xla_dump_to=/tmp/d',
     f'--xla_backend_extra_options="a=1"  --xla_dump_to=/tmp/d '
     f"--xla_backend_extra_options={ENTRY}"),
])
def test_flag_added_once(flags, expected):
    assert with_cpu_loop_flag(flags) == expected
    assert with_cpu_loop_flag(expected) == expected  # idempotent


def test_users_threshold_kept():
    flags = f"--xla_backend_extra_options={LOOP_KEY}=0"
    assert with_cpu_loop_flag(flags) == flags


@pytest.mark.parametrize("off", ["0", "false", "OFF", " no "])
def test_opt_out_leaves_environment_alone(off):
    env = {"JREG_XLA_FLAGS": off}
    configure(env)
    assert "XLA_FLAGS" not in env
    env = {"JREG_XLA_FLAGS": off, "XLA_FLAGS": "--xla_dump_to=/tmp/d"}
    configure(env)
    assert env["XLA_FLAGS"] == "--xla_dump_to=/tmp/d"


def test_configure_sets_the_environment():
    env = {"XLA_FLAGS": "--xla_dump_to=/tmp/d"}
    configure(env)
    assert env["XLA_FLAGS"] == f"--xla_dump_to=/tmp/d --xla_backend_extra_options={ENTRY}"
    env = {"JREG_XLA_FLAGS": "1"}
    configure(env)
    assert env["XLA_FLAGS"] == f"--xla_backend_extra_options={ENTRY}"


def _fresh_import(env_extra):
    """``import jreg`` in a new interpreter: its XLA_FLAGS, and whether a JAX backend had
    started (XLA reads the flags when the first backend starts, so jreg's import must not
    start one)."""
    code = (
        "import os, jreg\n"
        "from jax._src import xla_bridge\n"
        "print(repr(os.environ.get('XLA_FLAGS')))\n"
        "print(bool(getattr(xla_bridge, '_backends', {})))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", "JREG_XLA_FLAGS")}
    env.update(env_extra)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout.split("\n")
    return eval(out[0]), out[1] == "True"  # noqa: S307 (repr of a str or None)


def test_import_adds_flag_before_jax_starts():
    flags, started = _fresh_import({"XLA_FLAGS": "--xla_force_host_platform_device_count=1"})
    assert flags == f"--xla_force_host_platform_device_count=1 --xla_backend_extra_options={ENTRY}"
    assert not started
    flags, _ = _fresh_import({"JREG_XLA_FLAGS": "0"})
    assert flags is None


def test_module_docstring_states_the_values():
    assert "16 MiB" in _xla_flags.__doc__ and LOOP_BYTES == 16 * 2**20
