"""Test configuration shared by every test module.

float64 is enabled for the whole session so that reference comparisons can be made to
1e-12; float32 behaviour is tested by passing float32 arrays explicitly.
"""

import jax

jax.config.update("jax_enable_x64", True)
