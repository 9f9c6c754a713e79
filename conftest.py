"""Root conftest: doctests in jreg/ and docs/ run with the same settings as tests/."""

import jax

jax.config.update("jax_enable_x64", True)
