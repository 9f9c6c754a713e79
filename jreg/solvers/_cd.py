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
    """Design given by ``Q = XᵀX`` ``(p, p)``, ``q = Xᵀy`` ``(p,)`` and ``yy = ‖y‖²``.

    ``gram_lo``, when set, is a float32 copy of ``Q`` that the epochs' rank-``B`` updates
    of ``Qw`` read instead of ``Q`` (see :func:`with_float32_gram`); everything that
    certifies (the gap, ``Qw`` recomputed from scratch, the blocks' own Gram matrices)
    reads ``Q``.
    """

    gram: jax.Array
    xty: jax.Array
    norms2: jax.Array
    yy: jax.Array
    gram_lo: jax.Array | None = None


class CDSettings(NamedTuple):
    """Static tuning of the kernels.

    Attributes:
      block: coordinates per block of an epoch; ``None`` (default): 4 for a Gram
        operator on CPU, else 8 (see :func:`block_size`).
      p0: smallest working-set size.
      anderson: epochs between Anderson extrapolations (``0`` or ``1``: off).
      inner_ratio: the inner loop stops at this fraction of the outer gap (at the
        tolerance itself when the working set holds every feature, or no feature
        outside it violates strict KKT).
      max_inner_rounds: Anderson rounds before ``R`` (or ``Qw``) is recomputed.
      predict: paths start each alpha from the linear extrapolation of the two previous
        solutions when that lowers the primal (else from the previous solution).
      float32_gram: whether the epochs of a float64 Gram problem update ``Qw`` from a
        float32 copy of ``Q`` (the gap is still certified in float64); ``None``
        (default): on CPU for problems of at least 256 features (see
        :func:`with_float32_gram`).
      full_sweep_max: Gram problems of at most this many features skip working sets:
        every epoch sweeps all features and recomputes ``Qw`` exactly (``0``: always
        working sets; at most 128, since the sweep is unrolled when the program is
        traced and its compile time grows with ``p²``).

    Examples:
      >>> import numpy as np
      >>> from jreg.solvers import CDSettings, enet_path_solve
      >>> rng = np.random.default_rng(0)
      >>> X, y = rng.standard_normal((50, 5)), rng.standard_normal(50)
      >>> settings = CDSettings(block=8, float32_gram=False)
      >>> res = enet_path_solve(X, y, np.array([0.1, 0.01]), tol=1e-10, settings=settings)
      >>> bool(np.all(res.converged))
      True
    """

    block: int | None = None
    p0: int = 10
    anderson: int = 5
    inner_ratio: float = 0.3
    max_inner_rounds: int = 20
    predict: bool = True
    float32_gram: bool | None = None
    full_sweep_max: int = 32


# the full sweep is unrolled at trace time (p² scalar operations in sub-blocks of 8)
_FULL_SWEEP_LIMIT = 128


def check_settings(settings: CDSettings) -> None:
    """Raise ``ValueError`` naming the field of ``settings`` that cannot work."""
    if not isinstance(settings, CDSettings):
        raise TypeError(f"settings must be a CDSettings, got {type(settings).__name__}.")
    for field in ("block", "p0", "max_inner_rounds"):
        value = getattr(settings, field)
        if field == "block" and value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"settings.{field} must be an int >= 1, got {value!r}.")
    if isinstance(settings.anderson, bool) or not isinstance(settings.anderson, int) or (
        settings.anderson < 0
    ):
        raise ValueError(f"settings.anderson must be an int >= 0, got {settings.anderson!r}.")
    sweep = settings.full_sweep_max
    if (isinstance(sweep, bool) or not isinstance(sweep, int)
            or not 0 <= sweep <= _FULL_SWEEP_LIMIT):
        raise ValueError(f"settings.full_sweep_max must be an int in [0, {_FULL_SWEEP_LIMIT}], "
                         f"got {sweep!r}.")
    if not 0.0 < settings.inner_ratio < 1.0:
        raise ValueError(f"settings.inner_ratio must be in (0, 1), got {settings.inner_ratio!r}.")
    if not (settings.float32_gram is None or isinstance(settings.float32_gram, bool)):
        raise ValueError(
            f"settings.float32_gram must be None, True or False, got {settings.float32_gram!r}."
        )


def block_size(op, settings: CDSettings) -> int:
    """Coordinates per block: ``settings.block``, else 4 for a :class:`GramOp` on CPU
    and 8 otherwise.

    With XLA compiling the epoch loops into single kernels on CPU
    (``jreg/_xla_flags.py``) a block step costs 0.25 µs, and smaller Gram blocks waste
    less on partly used blocks and rank-``B`` updates: blocks of 4 were faster than 8
    on 13 of 16 Gram-variant paths, by 6 % at the median (``benchmarks/ab_cd_settings.py``;
    3–14 % on most designs of up to 400 features, mixed on larger ones). The residual
    variant (wide designs) was 7–20 % slower with 4 in a first run, mixed in the
    script's, and keeps 8. On accelerators every block step is a chain of kernel
    launches, so they keep 8.
    """
    if settings.block is not None:
        return settings.block
    return 4 if isinstance(op, GramOp) and jax.default_backend() == "cpu" else 8


# smallest p for the float32 copy by default: below it Q (<= 512 KB in float64) stays in
# cache and the copy only costs a conversion
_FLOAT32_GRAM_MIN_FEATURES = 256


def with_float32_gram(op, settings: CDSettings):
    """``op`` with :attr:`GramOp.gram_lo` set when ``settings.float32_gram`` asks for it.

    Mixed precision, as in iterative refinement: each epoch's rank-``B`` updates of
    ``Qw`` stream rows of ``Q``, which for a large float64 ``Q`` is memory-bound, so
    they read a float32 copy (half the bytes) and accumulate in float64. The inner loop
    then sees ``Qw`` with an error of ~1e-7 times the coefficients' change since the last
    exact recomputation; the outer loop recomputes ``Qw`` from ``Q`` before any gap is
    accepted, so the certificate is exact, and the next outer iteration starts from the
    exact ``Qw``. Measured on a 2-core CPU (``benchmarks/ab_cd_settings.py --setting
    float32_gram=False,True --cd-only``; 100-alpha paths, the same epochs): coordinate
    descent 0.61-0.63x the time at p = 1500-2000, 0.8x at 1000, 0.85x at 400, 0.95x at
    300. At very tight tolerances it can take more epochs (tol 1e-10: 1-4 %;
    ``docs/design/solvers.md``).

    ``None`` (default) means: float64 ``Q`` of at least 256 features, on CPU (not
    measured on accelerators, whose epochs are bound by kernel launches).
    """
    if not isinstance(op, GramOp) or op.gram.dtype != jnp.float64:
        return op
    use = settings.float32_gram
    if use is None:
        use = (op.gram.shape[0] >= _FLOAT32_GRAM_MIN_FEATURES
               and jax.default_backend() == "cpu")
    return op._replace(gram_lo=op.gram.astype(jnp.float32) if use else None)


# Small products inside the solver loops: XLA's CPU runs a dot as a call of its own,
# which for short vectors costs more than the arithmetic; up to this length they are
# written as fused elementwise sums (Anderson's products: digits 1797×64 path 14 → 9 ms,
# diabetes 1.75 → 1.45 ms; past ~200 the fused sums were slower: 200×2000 0.52 → 0.70 s)
_FUSED_DOT_MAX = 128
# Anderson's K×K system is solved by unrolled elimination up to this K (LAPACK beyond)
_SMALL_SOLVE_MAX = 10


def residual_op(xt, y):
    """:class:`ResidualOp` for the design whose transpose is ``xt``."""
    return ResidualOp(xt, y, jnp.sum(xt * xt, axis=1), jnp.vdot(y, y))


def gram_op(gram, xty, yy):
    """:class:`GramOp` from ``Q = XᵀX``, ``q = Xᵀy`` and ``‖y‖²``."""
    return GramOp(gram, xty, jnp.diagonal(gram), yy)


def n_features(op):
    return op.norms2.shape[0]


def init_aux(op, w):
    """``R = y − Xw`` (residual op) or ``Qw`` (Gram op), exactly (never from ``gram_lo``)."""
    if isinstance(op, ResidualOp):
        # `v @ A`, not `A.T @ v`: XLA's CPU runs the latter as a transpose of A and a
        # product (10000x2000: 54 against 3.2 ms; docs/design/solvers.md)
        return op.y - w @ op.xt
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


def primal_value(op, w, aux, a, b):
    """``½‖R‖² + a‖w‖₁ + ½b‖w‖²`` from ``aux`` (``R`` or ``Qw``)."""
    return 0.5 * (r_norm2(op, aux, w) + b * jnp.vdot(w, w)) + a * jnp.sum(jnp.abs(w))


def as_traced(dtype, a, b, tol, max_iter):
    """The strengths and the gap tolerance in ``dtype``, ``max_iter`` as int32."""
    return (jnp.asarray(a, dtype), jnp.asarray(b, dtype), jnp.asarray(tol, dtype),
            jnp.asarray(max_iter, jnp.int32))


_SUB = 8  # XLA fuses up to 8 scalar recursions / stacked slices well (see below)


def _rows(mat, idx):
    """``mat[idx]`` as ``len(idx)`` dynamic slices (measured faster than a gather on CPU).

    Past 8 indices XLA split the stacked slices into one kernel per index (16 kernels for
    a block of 16): entries of a vector are then gathered, rows stacked 8 at a time.
    """
    if idx.shape[0] > _SUB:
        if mat.ndim == 1:
            return mat[idx]
        return jnp.concatenate([_rows(mat, idx[s:s + _SUB]) for s in range(0, idx.shape[0], _SUB)])
    return jnp.stack([jax.lax.dynamic_index_in_dim(mat, i, 0, keepdims=False) for i in idx])


def _scatter_add(vec, idx, values):
    """``vec.at[idx].add(values)`` as sequential dynamic updates (duplicates allowed)."""
    for k in range(idx.shape[0]):
        i = idx[k]
        old = jax.lax.dynamic_index_in_dim(vec, i, 0, keepdims=False)
        vec = jax.lax.dynamic_update_index_in_dim(vec, old + values[k], i, 0)
    return vec


def _block_rows(op, idx):
    """Rows ``Xᵀ[idx]`` (residual op) or ``Q[idx]`` (Gram op) of one block."""
    return _rows(op.xt if isinstance(op, ResidualOp) else op.gram, idx)


def _block_update(op, aux, rows, dw):
    if isinstance(op, ResidualOp):
        return aux - dw @ rows
    return aux + dw @ rows


def _update_if_moved(op, aux, idx, rows, dw, exact=False):
    """Rank-``B`` update of ``R`` (or ``Qw``), skipped when no coordinate moved.

    ``rows`` may be None (Gram op): they are then read only when needed. A Gram op reads
    its float32 copy ``gram_lo`` when it has one, unless ``exact``.
    """

    def update(aux):
        if isinstance(op, GramOp):
            # Σ_k dw_k·Q[idx_k] as one elementwise expression: XLA fuses the row slices
            # into a single pass over Qw instead of materialising the B rows first
            # (2x faster epochs at p=2000; the same form was slower for the residual op)
            mat = op.gram if exact or op.gram_lo is None else op.gram_lo
            total = aux
            for k in range(idx.shape[0]):
                row = jax.lax.dynamic_index_in_dim(mat, idx[k], 0, keepdims=False)
                total = total + dw[k] * row.astype(aux.dtype)
            return total
        return _block_update(op, aux, _rows(op.xt, idx) if rows is None else rows, dw)

    return jax.lax.cond(jnp.any(dw != 0), update, lambda aux: aux, aux)


def _soft(tmp, a, positive):
    if positive:
        return jnp.maximum(tmp - a, 0.0)
    return jnp.sign(tmp) * jnp.maximum(jnp.abs(tmp) - a, 0.0)


def _block_cd(w_b, corr, gram_b, valid, a, b, positive):
    """Exact cyclic CD over one block, on its Gram matrix.

    Written as a scalar recursion (``corr_i`` corrected by the earlier deltas of the
    block) rather than vector updates: XLA then fuses the whole block into very few
    kernels, which is what makes small blocks cheap on CPU. Past 8 coordinates the
    recursion is split into sub-blocks of 8, each corrected by the earlier ones' deltas
    (XLA split one recursion of 16 into 21 kernels: 0.72 µs against 0.2 µs).
    """
    size = w_b.shape[0]
    if size > _SUB:
        out, deltas = [], []
        for s in range(0, size, _SUB):
            e = min(s + _SUB, size)
            c = corr[s:e]
            for t, d in zip(range(0, s, _SUB), deltas, strict=True):
                c = c - jnp.sum(gram_b[s:e, t:t + _SUB] * d[None, :], axis=1)
            new = _block_cd(w_b[s:e], c, gram_b[s:e, s:e], valid[s:e], a, b, positive)
            deltas.append(new - w_b[s:e])
            out.append(new)
        return jnp.concatenate(out)
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
    grams: jax.Array  # (n_blocks_max, block, block) Gram matrix of each block
    full: jax.Array  # bool: the set holds every feature that can be non-zero


def _sort_key(x):
    """Unsigned integers ordered as the floats ``x`` (``-0.0`` counted as ``+0.0``)."""
    x = jnp.where(x == 0, jnp.zeros((), x.dtype), x)
    bits = jax.lax.bitcast_convert_type(x, _UINT[x.dtype.itemsize])
    sign = jnp.asarray(1, bits.dtype) << (8 * x.dtype.itemsize - 1)
    return jnp.where((bits & sign) != 0, ~bits, bits | sign)


_UINT = {4: jnp.uint32, 8: jnp.uint64}


def _smallest(values, m):
    """Mask of the ``m`` smallest ``values`` (ties: lowest index first) — the first ``m``
    entries of a stable ``argsort``, without sorting.

    XLA's CPU sort calls a comparator per comparison (~0.25 ms for 2000 floats, twice per
    outer iteration: 30 % of a tall path's descent). Here the ``m``-th smallest value is
    found exactly by bisection on its bit pattern (one vectorised count per bit).
    """
    keys = _sort_key(values)
    top = jnp.asarray(jnp.iinfo(keys.dtype).max, keys.dtype)
    # NaNs last (after +inf, in index order), as argsort puts them, whatever their sign bit
    keys = jnp.where(jnp.isnan(values), top, keys)
    m = jnp.asarray(m, jnp.int32)

    def body(_, bounds):
        lo, hi = bounds
        mid = lo + (hi - lo) // 2
        enough = jnp.sum(keys <= mid, dtype=jnp.int32) >= m
        return jnp.where(enough, lo, mid + 1), jnp.where(enough, mid, hi)

    bounds = (jnp.zeros((), keys.dtype), top)
    threshold = jax.lax.fori_loop(0, 8 * values.dtype.itemsize, body, bounds)[0]
    below = keys < threshold
    ties = keys == threshold
    room = m - jnp.sum(below, dtype=jnp.int32)
    return (m > 0) & (below | (ties & (jnp.cumsum(ties, dtype=jnp.int32) <= room)))


def _select_working_set(op, corr, w, a, b, positive, settings, active=True):
    p = n_features(op)
    block = block_size(op, settings)
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
    # support first, then the other chosen features, each group in index order: blocks
    # past the support mostly stay at zero and skip their row updates
    picked = _smallest(jnp.where(support, jnp.inf, prio), k - nnz)
    mask = support | picked
    pos = jnp.where(support, jnp.cumsum(support) - 1, nnz + jnp.cumsum(picked) - 1)
    length = n_blocks_max * block
    chosen = jnp.full(length, p, pos.dtype).at[jnp.where(mask, pos, length)].set(
        jnp.arange(p, dtype=pos.dtype), mode="drop")
    valid = chosen < p
    idx = jnp.where(valid, chosen, 0)
    idx = idx.reshape(n_blocks_max, block)
    valid = valid.reshape(n_blocks_max, block)
    n_blocks = jnp.where(active, (k + block - 1) // block, 0)
    if isinstance(op, ResidualOp):

        def one(i, grams):
            rows = _rows(op.xt, idx[i])
            return grams.at[i].set(rows @ rows.T)

        grams = jnp.zeros((n_blocks_max, block, block), op.xt.dtype)
        grams = jax.lax.fori_loop(0, n_blocks, one, grams)
    else:
        grams = op.gram[idx[:, :, None], idx[:, None, :]]
    return _WorkingSet(idx, valid, mask, n_blocks, grams, k >= n_cand)


def _epoch(op, ws, w_ws, aux, a, b, positive):
    """One CD epoch over the working set; ``w_ws`` is compact (block-major, padded)."""
    block = ws.idx.shape[1]

    def body(i, carry):
        w_ws, aux = carry
        idx = ws.idx[i]
        valid = ws.valid[i]
        w_b = jax.lax.dynamic_slice_in_dim(w_ws, i * block, block)
        gram_b = ws.grams[i]
        if isinstance(op, ResidualOp):
            rows = _rows(op.xt, idx)
            corr = rows @ aux
        else:  # only B entries of q and Qw are read here; rows of Q only to update
            rows = None
            corr = _rows(op.xty, idx) - _rows(aux, idx)
        w_new = _block_cd(w_b, corr, gram_b, valid, a, b, positive)
        dw = jnp.where(valid, w_new - w_b, 0.0)
        w_ws = jax.lax.dynamic_update_slice_in_dim(w_ws, w_b + dw, i * block, 0)
        return w_ws, _update_if_moved(op, aux, idx, rows, dw)

    return jax.lax.fori_loop(0, ws.n_blocks, body, (w_ws, aux))


def _working_set_corr(op, ws, aux):
    """``XᵀR`` on the working set, compact like ``w_ws`` (zeros on padding)."""
    flat_idx = ws.idx.reshape(-1)
    flat_valid = ws.valid.reshape(-1)
    if isinstance(op, GramOp):
        return jnp.where(flat_valid, op.xty[flat_idx] - aux[flat_idx], 0.0)
    block = ws.idx.shape[1]

    def body(i, out):
        c = _rows(op.xt, ws.idx[i]) @ aux
        return jax.lax.dynamic_update_slice_in_dim(out, jnp.where(ws.valid[i], c, 0.0),
                                                   i * block, 0)

    return jax.lax.fori_loop(0, ws.n_blocks, body, jnp.zeros(flat_idx.shape, aux.dtype))


def _ws_r_norm2(op, ws, aux, w_ws):
    """``‖R‖²`` from the compact working-set coefficients (zero outside the set)."""
    if isinstance(op, ResidualOp):
        return jnp.vdot(aux, aux)
    flat_idx = ws.idx.reshape(-1)
    qw = jnp.where(ws.valid.reshape(-1), aux[flat_idx], 0.0)
    q = jnp.where(ws.valid.reshape(-1), op.xty[flat_idx], 0.0)
    return op.yy + jnp.vdot(w_ws, qw) - 2.0 * jnp.vdot(q, w_ws)


class SolveState(NamedTuple):
    w: jax.Array
    aux: jax.Array
    gap: jax.Array
    n_iter: jax.Array
    corr: jax.Array


def _primal(op, ws, aux, w_ws, a, b):
    rn2 = _ws_r_norm2(op, ws, aux, w_ws)
    return 0.5 * (rn2 + b * jnp.vdot(w_ws, w_ws)) + a * jnp.sum(jnp.abs(w_ws))


def _aux_delta(op, ws, aux, dw_ws, exact=False):
    """``aux`` after the compact coefficient change ``dw_ws`` (blocks with no change
    are skipped): the residual of an Anderson candidate, without extrapolating it."""
    block = ws.idx.shape[1]

    def body(i, aux):
        d = jnp.where(ws.valid[i], jax.lax.dynamic_slice_in_dim(dw_ws, i * block, block), 0.0)
        return _update_if_moved(op, aux, ws.idx[i], None, d, exact)

    return jax.lax.fori_loop(0, ws.n_blocks, body, aux)


def _solve_small(mat, rhs):
    """``mat⁻¹ rhs`` for a small symmetric positive (semi-)definite ``mat``, by Gaussian
    elimination without pivoting written out entry by entry.

    ``jnp.linalg.solve`` is a LAPACK call, which XLA's CPU cannot fuse into the loop
    around it; this is a few dozen scalar operations it fuses. Without pivoting it is
    less accurate than LAPACK on nearly singular matrices: an exactly singular ``mat``
    gives non-finite entries, a nearly singular one finite but poor ones. Anderson's
    caller rejects both (non-finite weights, or a candidate that does not lower the
    primal), so a bad solve costs one extrapolation, never a worse iterate.
    """
    k = mat.shape[0]
    m = [[mat[i, j] for j in range(k)] for i in range(k)]
    r = [rhs[i] for i in range(k)]
    for col in range(k):
        for i in range(col + 1, k):
            f = m[i][col] / m[col][col]
            for j in range(col + 1, k):
                m[i][j] = m[i][j] - f * m[col][j]
            r[i] = r[i] - f * r[col]
    x = [None] * k
    for i in reversed(range(k)):
        t = r[i]
        for j in range(i + 1, k):
            t = t - m[i][j] * x[j]
        x[i] = t / m[i][i]
    return jnp.stack(x)


def _combine(c, rows):
    """``c @ rows``; for short rows as an elementwise sum, which XLA fuses into the loop
    around it (a dot is a call of its own on CPU)."""
    if rows.shape[1] > _FUSED_DOT_MAX:
        return c @ rows
    return jnp.sum(c[:, None] * rows, axis=0)


def _anderson_weights(hist):
    """Anderson's affine weights ``c`` (``Σc = 1``) for the iterates ``hist`` ``(K + 1, m)``:
    ``c ∝ (DDᵀ)⁻¹1`` with ``D`` their successive differences (non-finite when ``DDᵀ`` is
    singular)."""
    dtype = hist.dtype
    diffs = jnp.diff(hist, axis=0)
    k = diffs.shape[0]
    if diffs.shape[1] > _FUSED_DOT_MAX:
        gram = diffs @ diffs.T
    else:
        gram = jnp.sum(diffs[:, None, :] * diffs[None, :, :], axis=2)
    gram = gram + jnp.finfo(dtype).tiny * jnp.eye(k, dtype=dtype)
    ones = jnp.ones(k, dtype)
    z = _solve_small(gram, ones) if k <= _SMALL_SOLVE_MAX else jnp.linalg.solve(gram, ones)
    return z / jnp.sum(z)


def _anderson(op, ws, hist_w, hist_aux, a, b, positive):
    """Anderson extrapolation of the last ``K + 1`` iterates (skglm's rule).

    ``hist_w`` is ``(K + 1, m)`` (compact working-set coefficients). The extrapolated
    point's residual (or ``Qw``) is computed from the coefficient change — not
    extrapolated, which loses ``‖c‖₁·eps`` relative accuracy and made float32 runs
    drift — and the point is accepted only if it is finite, feasible and lowers the
    primal. With a float32 copy of ``Q`` (float64 problem, :func:`with_float32_gram`)
    ``Qw`` is extrapolated instead: that error, ``‖c‖₁·1e-16``, is below the copy's own,
    and it saves a pass over the rows of ``Q`` every ``K`` epochs (tall path: 0.65x →
    0.59x).
    """
    c = _anderson_weights(hist_w)
    w_last, aux_last = hist_w[-1], hist_aux[-1]
    ok = jnp.all(jnp.isfinite(c))
    w_acc = jnp.where(ok, _combine(c, hist_w[1:]), w_last)
    if isinstance(op, GramOp) and op.gram_lo is not None:
        aux_acc = jnp.where(ok, _combine(c, hist_aux[1:]), aux_last)
    else:
        aux_acc = _aux_delta(op, ws, aux_last, w_acc - w_last)
    if positive:
        ok = ok & jnp.all(w_acc >= 0)
    ok = ok & (_primal(op, ws, aux_acc, w_acc, a, b) < _primal(op, ws, aux_last, w_last, a, b))
    return jnp.where(ok, w_acc, w_last), jnp.where(ok, aux_acc, aux_last)


def _solve_full_sweep(op, w, a, b, tol, max_iter, positive, n_acc, full_gap):
    """:func:`solve` for a Gram problem of few features: every epoch sweeps all of them.

    Working sets do not pay off when ``p`` is this small: each epoch is one exact cyclic
    sweep over every coordinate, written as a single block recursion on ``Q``
    (:func:`_block_cd`), after which ``Qw`` is recomputed exactly (``p²`` multiply-adds,
    fused), so the gap checked after every epoch is already the certified one. Anderson
    extrapolation every ``n_acc`` epochs, kept when it lowers the primal.
    """
    p = n_features(op)
    dtype = w.dtype
    valid = jnp.ones(p, bool)

    def exact_aux(w):
        return jnp.sum(op.gram * w[None, :], axis=1)

    def gap_of(w, aux):
        corr = full_corr(op, aux)
        return corr, full_gap(corr, w, aux)

    aux = exact_aux(w)
    corr, gap = gap_of(w, aux)
    hist = jnp.zeros((n_acc + 1, p), dtype).at[0].set(w)

    def cond(c):
        s, _, _ = c
        return (s.gap > tol) & (s.n_iter < max_iter)

    def body(c):
        s, hist, k = c
        w = _block_cd(s.w, s.corr, op.gram, valid, a, b, positive)
        aux = exact_aux(w)
        if n_acc > 1:
            k = k + 1
            hist = hist.at[k].set(w)

            def extrapolate(w, aux):
                coef = _anderson_weights(hist)
                w_acc = _combine(coef, hist[1:])
                aux_acc = exact_aux(w_acc)
                ok = jnp.all(jnp.isfinite(w_acc))
                if positive:
                    ok = ok & jnp.all(w_acc >= 0)
                ok = ok & (primal_value(op, w_acc, aux_acc, a, b) < primal_value(op, w, aux, a, b))
                return jnp.where(ok, w_acc, w), jnp.where(ok, aux_acc, aux)

            w, aux = jax.lax.cond(k == n_acc, extrapolate, lambda w, aux: (w, aux), w, aux)
            hist = jnp.where(k == n_acc, hist.at[0].set(w), hist)
            k = jnp.where(k == n_acc, 0, k)
        corr, gap = gap_of(w, aux)
        return SolveState(w, aux, gap, s.n_iter + 1, corr), hist, k

    state = SolveState(w, aux, gap, jnp.zeros((), jnp.int32), corr)
    return jax.lax.while_loop(cond, body, (state, hist, jnp.zeros((), jnp.int32)))[0]


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
      :class:`SolveState` at exit: ``gap`` is the certified gap at the returned ``w``,
      computed from a freshly recomputed residual (or ``Qw``).
    """
    settings = CDSettings() if settings is None else settings
    check_settings(settings)
    dtype = w.dtype
    a, b, tol, max_iter = as_traced(dtype, a, b, tol, max_iter)
    n_acc = max(settings.anderson, 1)  # epochs per round (Anderson only when > 1)
    p = n_features(op)

    def full_gap(corr, w, aux):
        return enet_gap_from_stats(corr, w, r_norm2(op, aux, w), a, b, positive=positive)[0]

    if isinstance(op, GramOp) and p <= settings.full_sweep_max:
        return _solve_full_sweep(op, w, a, b, tol, max_iter, positive, n_acc, full_gap)

    corr0 = full_corr(op, aux)
    gap0 = full_gap(corr0, w, aux)

    # A start that already looks converged exits without an iteration: certify it with a
    # freshly computed R (or Qw), since ``aux`` may be extrapolated (path predictor) or
    # carried over from the previous alpha with incremental drift.
    def fresh0(_):
        aux_f = init_aux(op, w)
        corr_f = full_corr(op, aux_f)
        return aux_f, corr_f, full_gap(corr_f, w, aux_f)

    aux, corr0, gap0 = jax.lax.cond(
        gap0 <= tol, fresh0, lambda _: (aux, corr0, gap0), None
    )
    state = SolveState(w, aux, gap0, jnp.zeros((), jnp.int32), corr0)

    def outer_cond(s):
        return (s.gap > tol) & (s.n_iter < max_iter)

    def outer_body(s):
        # Under vmap a finished lane still executes this body (masked): `active` stops its
        # nested loops at once instead of letting them run to max_iter.
        active = outer_cond(s)
        ws = _select_working_set(op, s.corr, s.w, a, b, positive, settings, active)
        flat_idx = ws.idx.reshape(-1)
        flat_valid = ws.valid.reshape(-1)
        # The inner loop goes straight to `tol` when the set is most likely right: it
        # holds every candidate (its gap is then the full gap), or no feature outside it
        # violates its optimality condition now. Another outer iteration would only pick
        # the same set again (2000x200 path: 304 -> 69 outer iterations).
        xta = s.corr - b * s.w
        kkt_outside = jnp.all(ws.mask | ((xta if positive else jnp.abs(xta)) < a))
        inner_tol = jnp.where(ws.full | kkt_outside, tol, settings.inner_ratio * s.gap)

        def ws_gap(w_ws, aux):
            corr_ws = _working_set_corr(op, ws, aux)
            rn2 = _ws_r_norm2(op, ws, aux, w_ws)
            return enet_gap_from_stats(corr_ws, w_ws, rn2, a, b, positive=positive,
                                       mask=flat_valid)[0]

        # at most `max_inner_rounds` rounds before the outer loop recomputes R (or Qw)
        # from scratch: bounds the drift of the incremental updates (float32)
        round_limit = jnp.minimum(max_iter, s.n_iter + settings.max_inner_rounds * n_acc)

        def inner_cond(c):
            _, _, n_iter, gap_ws = c
            return active & (gap_ws > inner_tol) & (n_iter < round_limit)

        gram_mode = isinstance(op, GramOp)

        def inner_body(c):
            w_ws, aux, n_iter, gap_ws = c
            n_ep = jnp.minimum(n_acc, round_limit - n_iter)
            hist_w = jnp.zeros((n_acc + 1,) + w_ws.shape, dtype).at[0].set(w_ws)
            hist_aux = jnp.zeros((n_acc + 1,) + aux.shape, dtype).at[0].set(aux)

            # Gram variant: the working-set gap costs O(k), so it is checked after every
            # epoch (easy warm-started problems stop after 1-2 epochs, not a full round);
            # residual variant: it costs half an epoch, so once per round.
            def epoch_cond(carry):
                i, _, _, _, _, g = carry
                return (i < n_ep) & ((g > inner_tol) if gram_mode else True)

            def epoch_body(carry):
                i, w_ws, aux, hist_w, hist_aux, g = carry
                w_ws, aux = _epoch(op, ws, w_ws, aux, a, b, positive)
                if gram_mode:
                    g = ws_gap(w_ws, aux)
                return i + 1, w_ws, aux, hist_w.at[i + 1].set(w_ws), hist_aux.at[i + 1].set(aux), g

            done, w_ws, aux, hist_w, hist_aux, gap_ws = jax.lax.while_loop(
                epoch_cond, epoch_body, (0, w_ws, aux, hist_w, hist_aux, gap_ws)
            )
            if n_acc > 1:
                w_ws, aux = jax.lax.cond(
                    done == n_acc,
                    lambda: _anderson(op, ws, hist_w, hist_aux, a, b, positive),
                    lambda: (w_ws, aux),
                )
            return w_ws, aux, n_iter + done, ws_gap(w_ws, aux)

        w_ws = jnp.where(flat_valid, s.w[flat_idx], 0.0)
        init = (w_ws, s.aux, s.n_iter, jnp.asarray(jnp.inf, dtype))
        w_ws, aux, n_iter, _ = jax.lax.while_loop(inner_cond, inner_body, init)
        # the working set holds the whole support: scatter back
        w = jnp.zeros(p, dtype).at[flat_idx].add(jnp.where(flat_valid, w_ws, 0.0))
        w = jnp.where(active, w, s.w)
        aux = jnp.where(active, aux, s.aux)
        corr = full_corr(op, aux)
        gap = full_gap(corr, w, aux)

        # Certify with a freshly computed R (or Qw), so that no drift of the incremental
        # updates enters the gap: whenever the gap looks converged, and in float32 (where
        # drift is larger) at every outer iteration.
        # Gram variant: Qw = Σ_j w_j Q[j] over the blocks of the working set that hold
        # non-zeros (the support lies in it), not a dense p×p product (7 % of a tall
        # path), unless more than half the features are non-zero: a dense product reads
        # its rows twice as fast (p = 2000: 0.38 against 0.8 ms for every row)
        def fresh(_):
            if isinstance(op, GramOp):
                aux = jax.lax.cond(
                    2 * jnp.sum(w != 0) > p,
                    lambda: op.gram @ w,
                    lambda: _aux_delta(op, ws, jnp.zeros_like(s.aux), w_ws, exact=True),
                )
            else:
                aux = init_aux(op, w)
            corr = full_corr(op, aux)
            return aux, corr, full_gap(corr, w, aux)

        recompute = (gap <= tol) | (jnp.finfo(dtype).bits < 64)
        aux, corr, gap = jax.lax.cond(recompute & active, fresh, lambda _: (aux, corr, gap), None)
        return SolveState(w, aux, gap, n_iter, corr)

    return jax.lax.while_loop(outer_cond, outer_body, state)
