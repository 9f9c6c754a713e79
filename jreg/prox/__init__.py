r"""Proximal operators and projections over pytrees, one convention.

Every function returns, leaf by leaf,

$$
\operatorname{prox}_{s\,g}(x) = \operatorname*{argmin}_y\;
\tfrac{1}{2}\|x - y\|_2^2 + s\,g(y),
$$

with ``s = scaling`` (default 1.0); projections are the prox of an indicator. See
``docs/prox.md`` for the table of operators and their closed forms.
"""

from jreg.prox._group import group_lasso as group_lasso
from jreg.prox._group import l2_norm as l2_norm
from jreg.prox._group import linf_norm as linf_norm
from jreg.prox._group import sparse_group_lasso as sparse_group_lasso
from jreg.prox._matrix import nuclear_norm as nuclear_norm
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
from jreg.prox._tv import total_variation_1d as total_variation_1d

__all__ = [
    "elastic_net",
    "group_lasso",
    "l1",
    "l2_norm",
    "linf_norm",
    "mcp",
    "nuclear_norm",
    "projection_box",
    "projection_l1_ball",
    "projection_l2_ball",
    "projection_linf_ball",
    "projection_non_negative",
    "projection_simplex",
    "scad",
    "sparse_group_lasso",
    "squared_l2",
    "total_variation_1d",
]
