r"""Datafits: the smooth part ``F(Xw)`` of a penalized linear model.

A datafit is a small frozen object with

* ``value(y, xw, sample_weight)``: ``F``, normalised by the weight sum ``S``;
* ``gradient(y, xw, sample_weight)``: ``∂F/∂(xw)`` (multiply by ``Xᵀ`` for ``∇_w``);
* ``curvature``: a bound ``c`` on ``F``'s second derivative per sample (times
  ``s_i/S``), so that ``c·‖X‖₂²·max(s)/S`` is a Lipschitz constant of ``∇_w F``.

Only :class:`Quadratic` is implemented; logistic, Huber and Poisson fit the same
interface (value, gradient, curvature) and plug into :func:`jreg.solvers.fista`. Duality
gaps need the datafit's conjugate: :func:`jreg.solvers.fista` certifies the quadratic
datafit (the elastic-net gap); the coordinate-descent kernels are quadratic-specific
(exact coordinate minimisation on the residual or the Gram matrix).
"""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp


@dataclasses.dataclass(frozen=True)
class Quadratic:
    r"""Least squares, scikit-learn's scaling.

    $$
    F(Xw) = \frac{1}{2S}\sum_i s_i\,(y_i - x_i^\top w)^2, \qquad S = \sum_i s_i,
    $$

    (``s_i = 1``, ``S = n`` without sample weights), the datafit of ``Lasso`` and
    ``ElasticNet``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jreg.solvers import Quadratic
      >>> f = Quadratic()
      >>> y, xw = jnp.array([1.0, 2.0]), jnp.array([0.0, 2.0])
      >>> round(float(f.value(y, xw)), 4)
      0.25
      >>> print(f.gradient(y, xw))
      [-0.5  0. ]
    """

    curvature: float = 1.0

    @staticmethod
    def _weights(y, sample_weight):
        if sample_weight is None:
            return jnp.ones_like(y), y.shape[0]
        return sample_weight, jnp.sum(sample_weight)

    def value(self, y, xw, sample_weight=None):
        """``(1/2S) Σ s_i (y_i − xw_i)²``."""
        s, total = self._weights(y, sample_weight)
        r = y - xw
        return 0.5 * jnp.vdot(s * r, r) / total

    def gradient(self, y, xw, sample_weight=None):
        """``∂F/∂xw = s ∘ (xw − y) / S``."""
        s, total = self._weights(y, sample_weight)
        return s * (xw - y) / total
