r"""Coordinate-descent kernels for the elastic net with working sets (private).

The kernels minimise, in scikit-learn's unnormalised ``cd_fast`` units,

$$
P(w) = \tfrac12\|y - Xw\|_2^2 + a\|w\|_1 + \tfrac{b}{2}\|w\|_2^2
       \quad(\text{s.t. } w \ge 0 \text{ if positive}),
$$

and stop on the certified duality gap of :mod:`jreg.solvers._gap`.

Structure (celer / skglm): an *outer* loop computes ``XᵀR`` for all features, the gap and
a priority per feature, and picks a working set (the support plus the best-ranked
features, ``k = max(p0, 2·nnz)``); an *inner* loop runs coordinate-descent epochs on the
working set until the working-set gap is below ``inner_ratio`` times the outer gap.
Working sets are index arrays of static length with a dynamic count, so shapes never
change. Epochs sweep the working set in blocks of ``block`` coordinates: one gather, one
``X_Bᵀ R`` product, exact sequential updates inside the block on the block's Gram
matrix (the same iterates as plain cyclic CD) and one rank-``block`` residual update —
this amortises XLA's per-iteration loop cost.

Two operators provide the linear algebra: :class:`ResidualOp` keeps ``R = y − Xw`` (and
``Xᵀ`` as rows), :class:`GramOp` keeps ``Qw`` with ``Q = XᵀX``, ``q = Xᵀy`` (scikit-learn's
``precompute``).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from jreg.solvers._gap import enet_gap_from_stats


class ResidualOp(NamedTuple):
    """Design given as rows of ``Xᵀ`` (shape ``(p, n)``) and the target ``y``."""

    xt: jax.Array
    y: jax.Array
    norms2: jax.Array
    yy: jax.Array


class GramOp(NamedTuple):
    """Design given by ``Q = XᵀX`` ``(p, p)``, ``q = Xᵀy`` ``(p,)`` and ``yy = ‖y‖²``."""

    gram: jax.Array
    xty: jax.Array
    norms2: jax.Array
    yy: jax.Array


class CDSettings(NamedTuple):
    """Static tuning of the kernels."""

    block: int = 8
    p0: int = 10
    anderson: int = 5
    inner_ratio: float = 0.3


def residual_op(xt, y):
    """:class:`ResidualOp` for the design whose transpose is ``xt``."""
    return ResidualOp(xt, y, jnp.sum(xt * xt, axis=1), jnp.vdot(y, y))


def gram_op(gram, xty, yy):
    """:class:`GramOp` from ``Q = XᵀX``, ``q = Xᵀy`` and ``‖y‖²``."""
    return GramOp(gram, xty, jnp.diagonal(gram), yy)


def n_features(op):
    return op.norms2.shape[0]


def init_aux(op, w):
    """``R = y − Xw`` (residual op) or ``Qw`` (Gram op)."""
    if isinstance(op, ResidualOp):
        return op.y - op.xt.T @ w
    return op.gram @ w


def full_corr(op, aux):
    """``XᵀR`` for every feature."""
    if isinstance(op, ResidualOp):
        return op.xt @ aux
    return op.xty - aux


def r_norm2(op, aux, w):
    """``‖R‖²`` (for the Gram op ``‖y‖² + wᵀQw − 2qᵀw``)."""
    if isinstance(op, ResidualOp):
        return jnp.vdot(aux, aux)
    return op.yy + jnp.vdot(w, aux) - 2.0 * jnp.vdot(op.xty, w)


def _block_gram(op, idx, grams, i):
    if isinstance(op, ResidualOp):
        return grams[i]
    return op.gram[idx[:, None], idx[None, :]]


def _block_corr(op, aux, idx):
    if isinstance(op, ResidualOp):
        return op.xt[idx] @ aux
    return op.xty[idx] - aux[idx]


def _block_update(op, aux, idx, dw):
    if isinstance(op, ResidualOp):
        return aux - dw @ op.xt[idx]
    return aux + dw @ op.gram[idx]


def _soft(tmp, a, positive):
    if positive:
        return jnp.maximum(tmp - a, 0.0)
    return jnp.sign(tmp) * jnp.maximum(jnp.abs(tmp) - a, 0.0)


def _block_cd(w_b, corr, gram_b, valid, a, b, positive):
    """Exact cyclic CD over one block, on its Gram matrix.

    Written as a scalar recursion (``corr_i`` corrected by the earlier deltas of the
    block) rather than vector updates: XLA then fuses the whole block into very few
    kernels, which is what makes small blocks cheap on CPU.
    """
    deltas = []
    for i in range(w_b.shape[0]):
        c = corr[i]
        for j in range(i):
            c = c - gram_b[i, j] * deltas[j]
        gii = gram_b[i, i]
        wi = w_b[i]
        tmp = c + gii * wi
        denom = jnp.where(gii > 0, gii + b, 1.0)
        new = jnp.where(gii > 0, _soft(tmp, a, positive) / denom, 0.0)
        new = jnp.where(valid[i], new, wi)
        deltas.append(new - wi)
    return w_b + jnp.stack(deltas)


class _WorkingSet(NamedTuple):
    idx: jax.Array  # (n_blocks_max, block) int
    valid: jax.Array  # (n_blocks_max, block) bool
    mask: jax.Array  # (p,) bool
    n_blocks: jax.Array  # int
    grams: jax.Array  # (n_blocks_max, block, block) for the residual op, else dummy


def _select_working_set(op, corr, w, a, b, positive, settings, active=True):
    p = n_features(op)
    block = settings.block
    n_blocks_max = -(-p // block)
    xta = corr - b * w
    stat = xta if positive else jnp.abs(xta)
    radius = jnp.maximum(a, jnp.max(stat))
    scale = jnp.sqrt(op.norms2 + b)
    candidate = op.norms2 > 0
    prio = (radius - stat) / jnp.where(candidate, scale, 1.0)
    prio = jnp.where(candidate, prio, jnp.inf)
    support = w != 0
    prio = jnp.where(support, -jnp.inf, prio)
    n_cand = jnp.sum(candidate | support)
    nnz = jnp.sum(support)
    k = jnp.minimum(jnp.maximum(settings.p0, 2 * nnz), n_cand)
    k = jnp.where(a > 0, k, n_cand)
    order = jnp.argsort(prio)
    positions = jnp.arange(p)
    chosen = jnp.sort(jnp.where(positions < k, order, p))
    chosen = jnp.concatenate([chosen, jnp.full(n_blocks_max * block - p, p, chosen.dtype)])
    valid = chosen < p
    idx = jnp.where(valid, chosen, 0)
    mask = jnp.zeros(p, bool).at[idx].max(valid)
    idx = idx.reshape(n_blocks_max, block)
    valid = valid.reshape(n_blocks_max, block)
    n_blocks = jnp.where(active, (k + block - 1) // block, 0)
    if isinstance(op, ResidualOp):

        def one(i, grams):
            rows = op.xt[idx[i]]
            return grams.at[i].set(rows @ rows.T)

        grams = jnp.zeros((n_blocks_max, block, block), op.xt.dtype)
        grams = jax.lax.fori_loop(0, n_blocks, one, grams)
    else:
        grams = jnp.zeros((1, 1, 1), op.gram.dtype)
    return _WorkingSet(idx, valid, mask, n_blocks, grams)


def _epoch(op, ws, w, aux, a, b, positive):
    def body(i, carry):
        w, aux = carry
        idx = ws.idx[i]
        valid = ws.valid[i]
        w_b = w[idx]
        corr = _block_corr(op, aux, idx)
        gram_b = _block_gram(op, idx, ws.grams, i)
        w_new = _block_cd(w_b, corr, gram_b, valid, a, b, positive)
        dw = jnp.where(valid, w_new - w_b, 0.0)
        return w.at[idx].add(dw), _block_update(op, aux, idx, dw)

    return jax.lax.fori_loop(0, ws.n_blocks, body, (w, aux))


def _working_set_corr(op, ws, aux):
    """``XᵀR`` on the working set (zeros elsewhere)."""
    if isinstance(op, GramOp):
        return jnp.where(ws.mask, op.xty - aux, 0.0)

    def body(i, out):
        idx = ws.idx[i]
        c = op.xt[idx] @ aux
        return out.at[idx].add(jnp.where(ws.valid[i], c, 0.0))

    return jax.lax.fori_loop(0, ws.n_blocks, body, jnp.zeros_like(op.norms2))


class SolveState(NamedTuple):
    w: jax.Array
    aux: jax.Array
    gap: jax.Array
    n_iter: jax.Array
    corr: jax.Array


def _primal(op, aux, w, a, b):
    rn2 = r_norm2(op, aux, w)
    return 0.5 * (rn2 + b * jnp.vdot(w, w)) + a * jnp.sum(jnp.abs(w))


def _anderson(op, ws_w, ws_aux, a, b, positive):
    """Anderson extrapolation of the last ``K + 1`` iterates (skglm's rule).

    ``ws_w`` is ``(K + 1, p)``, ``ws_aux`` ``(K + 1, m)``; since ``aux`` is affine in
    ``w`` the extrapolated ``aux`` is the same combination. Returns the extrapolated
    pair when it is finite, feasible and lowers the primal, else the last iterate.
    """
    diffs = jnp.diff(ws_w, axis=0)
    k = diffs.shape[0]
    gram = diffs @ diffs.T
    z = jnp.linalg.solve(gram, jnp.ones(k, ws_w.dtype))
    c = z / jnp.sum(z)
    w_acc = c @ ws_w[1:]
    aux_acc = c @ ws_aux[1:]
    w_last, aux_last = ws_w[-1], ws_aux[-1]
    ok = jnp.all(jnp.isfinite(c))
    if positive:
        ok = ok & jnp.all(w_acc >= 0)
    ok = ok & (_primal(op, aux_acc, w_acc, a, b) < _primal(op, aux_last, w_last, a, b))
    return jnp.where(ok, w_acc, w_last), jnp.where(ok, aux_acc, aux_last)


def solve(op, w, aux, a, b, tol, max_iter, *, positive, settings=None):
    """Minimise ``P`` from ``(w, aux)`` until ``gap ≤ tol`` or ``max_iter`` epochs.

    Args:
      op: :class:`ResidualOp` or :class:`GramOp`.
      w: initial coefficients ``(p,)``.
      aux: ``init_aux(op, w)``.
      a, b: unnormalised L1 and L2 strengths (traced scalars).
      tol: absolute gap tolerance (unnormalised).
      max_iter: maximum number of epochs (traced integer).
      positive: static flag.
      settings: static :class:`CDSettings`.

    Returns:
      :class:`SolveState` at exit: ``gap`` is the certified gap at the returned ``w``.
    """
    settings = CDSettings() if settings is None else settings
    dtype = w.dtype
    a = jnp.asarray(a, dtype)
    b = jnp.asarray(b, dtype)
    tol = jnp.asarray(tol, dtype)
    max_iter = jnp.asarray(max_iter, jnp.int32)
    gram_mode = isinstance(op, GramOp)
    n_acc = settings.anderson

    def gap_of(corr, w, aux, mask=None):
        rn2 = r_norm2(op, aux, w)
        return enet_gap_from_stats(corr, w, rn2, a, b, positive=positive, mask=mask)[0]

    corr0 = full_corr(op, aux)
    state = SolveState(w, aux, gap_of(corr0, w, aux), jnp.zeros((), jnp.int32), corr0)

    def outer_cond(s):
        return (s.gap > tol) & (s.n_iter < max_iter)

    def outer_body(s):
        # Under vmap a finished lane still executes this body (masked): `active` stops its
        # nested loops at once instead of letting them run to max_iter.
        active = outer_cond(s)
        ws = _select_working_set(op, s.corr, s.w, a, b, positive, settings, active)
        inner_tol = settings.inner_ratio * s.gap

        def inner_cond(c):
            w, aux, n_iter, ws_gap, done = c
            return active & (ws_gap > inner_tol) & (n_iter < max_iter) & ~done

        def inner_body(c):
            w, aux, n_iter, _, _ = c
            n_ep = jnp.minimum(n_acc, max_iter - n_iter)
            hist_w = jnp.zeros((n_acc + 1,) + w.shape, dtype).at[0].set(w)
            hist_aux = jnp.zeros((n_acc + 1,) + aux.shape, dtype).at[0].set(aux)

            def one_epoch(i, carry):
                w, aux, hist_w, hist_aux = carry
                w, aux = _epoch(op, ws, w, aux, a, b, positive)
                return w, aux, hist_w.at[i + 1].set(w), hist_aux.at[i + 1].set(aux)

            w, aux, hist_w, hist_aux = jax.lax.fori_loop(
                0, n_ep, one_epoch, (w, aux, hist_w, hist_aux)
            )
            if n_acc > 1:
                w, aux = jax.lax.cond(
                    n_ep == n_acc,
                    lambda: _anderson(op, hist_w, hist_aux, a, b, positive),
                    lambda: (w, aux),
                )
            corr_ws = _working_set_corr(op, ws, aux)
            ws_gap = gap_of(corr_ws, w, aux, mask=ws.mask)
            done = jnp.zeros((), bool)
            if gram_mode:
                done = gap_of(op.xty - aux, w, aux) <= tol
            return w, aux, n_iter + n_ep, ws_gap, done

        init = (s.w, s.aux, s.n_iter, jnp.asarray(jnp.inf, dtype), jnp.zeros((), bool))
        w, aux, n_iter, _, _ = jax.lax.while_loop(inner_cond, inner_body, init)
        # the certificate uses a freshly computed R (or Qw): no drift from the updates
        aux = init_aux(op, w)
        corr = full_corr(op, aux)
        return SolveState(w, aux, gap_of(corr, w, aux), n_iter, corr)

    return jax.lax.while_loop(outer_cond, outer_body, state)
