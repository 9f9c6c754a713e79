r"""Proximal operators and projections over pytrees, one convention.

Every function returns, leaf by leaf,

.. math::

    \operatorname{prox}_{s\,g}(x) = \operatorname*{argmin}_y\;
    \tfrac{1}{2}\|x - y\|_2^2 + s\,g(y),

with ``s = scaling`` (default 1.0); projections are the prox of an indicator. See
``docs/prox.md`` for the table of operators and their closed forms.
"""

from jreg.prox._projections import projection_box as projection_box
from jreg.prox._projections import projection_l1_ball as projection_l1_ball
from jreg.prox._projections import projection_l2_ball as projection_l2_ball
from jreg.prox._projections import projection_linf_ball as projection_linf_ball
from jreg.prox._projections import projection_non_negative as projection_non_negative
from jreg.prox._projections import projection_simplex as projection_simplex
from jreg.prox._separable import elastic_net as elastic_net
from jreg.prox._separable import l1 as l1
from jreg.prox._separable import mcp as mcp
from jreg.prox._separable import scad as scad
from jreg.prox._separable import squared_l2 as squared_l2

__all__ = [
    "elastic_net",
    "l1",
    "mcp",
    "projection_box",
    "projection_l1_ball",
    "projection_l2_ball",
    "projection_linf_ball",
    "projection_non_negative",
    "projection_simplex",
    "scad",
    "squared_l2",
]
