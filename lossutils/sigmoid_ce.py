"""Sigmoid cross-entropy: binary and multi-label classification, with PyTorch's options.

Per element, with logit ``z`` and target ``t`` in [0, 1]::

    loss = pos_weight * t * softplus(-z) + (1 - t) * softplus(z)
    grad = (1 - t) * sigmoid(z) - pos_weight * t * sigmoid(-z)

with ``softplus(z) = log(1 + exp(z)) = max(z, 0) + log1p(exp(-|z|))``: two
non-negative terms, so nothing cancels, and ``exp`` only ever sees
``-|z| <= 0``. A per-class or per-element ``weight`` multiplies both. Without
options the plain kernel below is used; it writes the same two formulas
(``pos_weight = 1``) with ``nonneg = [z >= 0]`` (1 where z >= 0, else 0) as::

    loss = z * (nonneg - t) + log1p(exp(-|z|))
    grad = (nonneg - t) - copysign(q, z)          q = sigmoid(-|z|)

``grad`` equals ``sigmoid(z) - t``, but is written with ``q``, the probability
of the *less* likely outcome, which is tiny when the model is sure and so keeps
its digits where ``sigmoid(z)`` would round to 1 and ``sigmoid(z) - 1`` to 0.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._floating import ignore_fp_errors
from ._validation import check_logits, check_probability_targets, check_reduction, check_weights
from .losses import Loss, row_blocks

__all__ = ["SigmoidCrossEntropy", "sigmoid_cross_entropy"]

REDUCTIONS = ("mean", "elementwise_mean", "sum", "none")

_UNSIGNED = {np.dtype(np.float32): np.uint32, np.dtype(np.float64): np.uint64}


def _copysign_in_place(magnitude: NDArray, sign_source: NDArray, scratch: NDArray) -> None:
    """``magnitude = copysign(magnitude, sign_source)``, for ``magnitude >= 0``.

    Done by or-ing in the IEEE sign bit of ``sign_source``: on the machine
    this was written on, ``np.copysign`` took 1.5 (float64) to 3 (float32)
    times as long as these two integer ufuncs together
    (``benchmarks/bench_ufuncs.py`` prints the ratios).
    """
    uint = _UNSIGNED[magnitude.dtype]
    sign_bit = uint(1) << uint(8 * magnitude.itemsize - 1)
    scratch_bits = scratch.view(uint)
    np.bitwise_and(sign_source.view(uint), sign_bit, out=scratch_bits)
    np.bitwise_or(magnitude.view(uint), scratch_bits, out=magnitude.view(uint))


def _plain_rows(z, t, grad, hinge_factor, scratch, nonneg, divisor):
    """Loss of each row of one block, and the block's gradient written into ``grad``.

    ``hinge_factor``, ``scratch`` and ``nonneg`` are block-sized work buffers.
    """
    np.signbit(z, out=nonneg)
    np.logical_not(nonneg, out=nonneg)  # [z >= 0], decided by the sign bit, as copysign does
    np.abs(z, out=grad)
    np.negative(grad, out=grad)
    np.exp(grad, out=grad)  # exp(-|z|) in (0, 1]: never overflows
    np.log1p(grad, out=scratch)  # log(1 + exp(-|z|)) > 0
    loss = scratch.sum(axis=1)
    np.copyto(hinge_factor, nonneg)
    hinge_factor -= t  # [z >= 0] - t: exact when t is 0 or 1
    loss += np.vecdot(z, hinge_factor)  # >= 0 everywhere: the hinge part of the loss
    np.add(grad, 1.0, out=scratch)
    np.divide(grad, scratch, out=grad)  # q = sigmoid(-|z|)
    _copysign_in_place(grad, z, scratch)
    np.subtract(hinge_factor, grad, out=grad)  # sigmoid(z) - t
    if divisor is not None:
        grad /= divisor
    return loss


def _weighted_rows(z, t, weight, pos_weight, grad, buffers, divisor, *, with_infinities=False):
    """Per-row losses with ``weight`` and ``pos_weight`` (either may be ``None``).

    The same two formulas as the plain kernel, with
    ``log_weight = 1 + (pos_weight - 1) t`` (the weight of ``log1p(exp(-|z|))``,
    which both softplus terms share) and, writing ``nonneg`` for ``[z >= 0]``,
    ``hinge_factor = (1 - t) nonneg - pos_weight t (1 - nonneg)
    = 1 - t - (1 - nonneg) log_weight``::

        loss = z * hinge_factor + log_weight * log1p(exp(-|z|))     both terms >= 0
        grad = hinge_factor - log_weight * copysign(q, z)
             = (1 - t) sigmoid(z) - pos_weight t sigmoid(-z)

    ``buffers`` are three block-sized work arrays and log_weight boolean nonneg. With
    ``with_infinities``, ``z * hinge_factor`` with ``hinge_factor = 0`` counts as its
    limit, 0, where
    ``z`` is infinite (certain and right costs nothing).
    """
    log_term, hinge_factor, log_weight, nonneg = buffers
    np.signbit(z, out=nonneg)
    np.logical_not(nonneg, out=nonneg)  # [z >= 0]
    np.abs(z, out=grad)
    np.negative(grad, out=grad)
    np.exp(grad, out=grad)  # exp(-|z|) in (0, 1]
    np.log1p(grad, out=log_term)
    np.add(grad, 1.0, out=hinge_factor)
    np.divide(grad, hinge_factor, out=grad)  # q = sigmoid(-|z|) = sigmoid(-|z|)
    _copysign_in_place(grad, z, hinge_factor)
    if pos_weight is None:
        log_weight.fill(1.0)
    else:
        np.multiply(t, pos_weight - 1.0, out=log_weight)
        log_weight += 1.0
    log_term *= log_weight
    np.copyto(hinge_factor, nonneg)
    hinge_factor -= 1.0
    hinge_factor *= log_weight
    hinge_factor += 1.0
    hinge_factor -= t  # 1 - t - (1 - nonneg) log_weight
    grad *= log_weight
    np.subtract(hinge_factor, grad, out=grad)
    np.multiply(
        z, hinge_factor, out=log_weight
    )  # the hinge part, >= 0 (log_weight is no longer needed)
    if with_infinities:
        log_weight[hinge_factor == 0] = 0.0
    log_term += log_weight
    if weight is not None:
        log_term *= weight
        grad *= weight
    if divisor is not None:
        grad /= divisor
    return log_term.sum(axis=1)


@ignore_fp_errors
def sigmoid_cross_entropy(
    logits: ArrayLike,
    targets: ArrayLike,
    *,
    weight: ArrayLike | None = None,
    pos_weight: ArrayLike | float | None = None,
    reduction: str = "mean",
) -> tuple[NDArray[np.floating], NDArray[np.floating]]:
    r"""Sigmoid cross-entropy and its gradient, with the options of PyTorch's
    ``binary_cross_entropy_with_logits``.

    For logits :math:`z` and targets :math:`t \in [0, 1]` of the same shape,
    each element contributes

    .. math::
        \ell(z, t) = -\omega \left[\, \pi\, t \log \sigma(z) + (1 - t) \log (1 - \sigma(z))\right],
        \qquad \frac{\partial \ell}{\partial z}
            = \omega \left[(1 - t)\,\sigma(z) - \pi\, t\, \sigma(-z)\right],

    with weight :math:`\omega` (``weight``, default 1) and positive-class
    weight :math:`\pi` (``pos_weight``, default 1); with both 1 the gradient is
    :math:`\sigma(z) - t`.

    Parameters
    ----------
    logits : array_like, shape (N,) or (N, C)
        Raw scores: N independent binary predictions, or N samples with C
        labels each (multi-label). Integers are computed in float64, float16
        in float32.
    targets : array_like
        Probabilities in [0, 1] with the shape of the logits (0/1 for hard
        labels; bool and integer arrays are accepted).
    weight : array_like, optional
        :math:`\omega \ge 0`: shape ``(C,)`` (one per class, 2-D logits) or the
        shape of the logits (one per element). Never broadcast otherwise.
    pos_weight : float or array_like, optional
        :math:`\pi \ge 0`, the weight of the positive term: a scalar, or shape
        ``(C,)`` for 2-D logits. :math:`\pi > 1` raises recall, as in PyTorch.
    reduction : {"mean", "elementwise_mean", "sum", "none"}, optional
        ``"mean"`` (default, the seed's and the book's convention): each
        sample's loss is the **sum over its classes**, averaged over the N
        samples. ``"elementwise_mean"``: the average over all N x C elements,
        which is what PyTorch calls ``"mean"``. ``"sum"``: the sum.
        ``"none"``: the per-sample losses (summed over classes), shape ``(N,)``.

    Returns
    -------
    loss : ndarray
        A scalar, or shape ``(N,)`` for ``"none"``, in the dtype of the logits.
    dlogits : ndarray
        :math:`\partial L / \partial z` of the returned (reduced) loss, with the
        shape of the logits; for ``"none"``, row ``i`` is
        :math:`\partial \ell_i / \partial z_i`.

    Raises
    ------
    ValueError
        For NaN in the logits or targets, targets outside [0, 1] or of another
        shape, weights that are negative, NaN or of another shape.
    TypeError
        For non-numeric logits or targets.

    Notes
    -----
    Accurate to a few units of rounding for every finite logit, including a
    confident correct prediction whose loss is :math:`10^{-300}`. An infinite
    logit gives the limit: ``+inf`` on a target of 1 costs 0, ``-inf`` on a
    target of 1 costs ``inf``.

    Examples
    --------
    >>> loss, dlogits = sigmoid_cross_entropy([[0.0, 2.0]], [[1.0, 0.0]])
    >>> round(float(loss), 4)
    2.8201
    >>> dlogits
    array([[-0.5       ,  0.88079708]])

    PyTorch's mean is over the N x C elements:

    >>> loss, _ = sigmoid_cross_entropy([[0.0, 2.0]], [[1.0, 0.0]], reduction="elementwise_mean")
    >>> round(float(loss), 4)
    1.41
    """
    z, out_dtype = check_logits(logits, ndims=(1, 2))
    reduction = check_reduction(reduction, REDUCTIONS)
    t = check_probability_targets(targets, z.shape, z.dtype)
    n = z.shape[0]
    c = 1 if z.ndim == 1 else z.shape[1]
    weight_shapes = {z.shape: "one per element"}
    if z.ndim == 2:
        weight_shapes = {(c,): "one per class", **weight_shapes}
    weight = check_weights(weight, weight_shapes, z.dtype, "weight")
    pos_shapes = {(): "a scalar", (c,): "one per class"} if z.ndim == 2 else {(): "a scalar"}
    pos_weight = check_weights(pos_weight, pos_shapes, z.dtype, "pos_weight")

    z2, t2 = z.reshape(n, c), t.reshape(n, c)  # 1-D: one class per sample
    if weight is not None:
        weight = weight.reshape(-1, c)  # (1, C) per class, or (N, C) per element
    divisor = {"mean": n, "elementwise_mean": n * c}.get(reduction)
    divisor = None if divisor is None else z.dtype.type(divisor)
    grad = np.empty_like(z2)
    losses = np.empty(n, dtype=z.dtype)
    blocks = list(row_blocks(n, c, z.itemsize))
    buffers = _buffers(z2[blocks[0]])
    for rows in blocks:
        b = rows.stop - rows.start
        block_buffers = [buffer[:b] for buffer in buffers]
        if weight is None and pos_weight is None:
            losses[rows] = _plain_rows(z2[rows], t2[rows], grad[rows], *block_buffers[1:], divisor)
        else:
            w = None if weight is None else weight[rows] if weight.shape[0] == n else weight
            losses[rows] = _weighted_rows(
                z2[rows], t2[rows], w, pos_weight, grad[rows], block_buffers, divisor
            )

    bad = np.flatnonzero(np.isnan(losses))
    if bad.size:  # a NaN logit, or inf * 0 for an infinite logit: refuse, or mend the rows
        nan_at = np.argwhere(np.isnan(z))
        if nan_at.size:
            raise ValueError(f"logits contain NaN, first at index {tuple(map(int, nan_at[0]))}")
        w = None if weight is None else weight[bad] if weight.shape[0] == n else weight
        grad_bad = np.empty((bad.size, c), z.dtype)
        losses[bad] = _weighted_rows(
            z2[bad],
            t2[bad],
            w,
            pos_weight,
            grad_bad,
            _buffers(grad_bad),
            divisor,
            with_infinities=True,
        )
        grad[bad] = grad_bad

    grad = grad.reshape(z.shape).astype(out_dtype, copy=False)
    if reduction == "none":
        return losses.astype(out_dtype, copy=False), grad
    total = losses.sum()
    if divisor is not None:
        total = total / divisor
    return out_dtype.type(total), grad


def _buffers(like: NDArray) -> list[NDArray]:
    """Three block-sized work arrays shaped like ``like`` and a boolean mask."""
    return [
        np.empty_like(like),
        np.empty_like(like),
        np.empty_like(like),
        np.empty(like.shape, bool),
    ]


class SigmoidCrossEntropy(Loss):
    r"""Sigmoid cross-entropy as a layer: ``forward`` returns the loss, ``backward`` its gradient.

    A thin wrapper over :func:`sigmoid_cross_entropy` (see it for the formula,
    the options and the reductions); it keeps the gradient between the two
    calls.

    Parameters
    ----------
    weight, pos_weight, reduction
        As in :func:`sigmoid_cross_entropy`. The default ``reduction="mean"``
        sums over classes and averages over samples; PyTorch's ``"mean"`` is
        ``reduction="elementwise_mean"`` here.

    Notes
    -----
    ``backward()`` returns the gradient of the **most recent** ``forward``, once.
    A loop that evaluates the validation set between the two calls gets the
    validation gradient: call :func:`sigmoid_cross_entropy` directly, which
    returns ``(loss, dlogits)`` together, whenever the two could be separated.

    Examples
    --------
    >>> loss_fn = SigmoidCrossEntropy()
    >>> loss = loss_fn(np.array([[0.0, 2.0]]), np.array([[1.0, 0.0]]))
    >>> round(float(loss), 4)
    2.8201
    >>> loss_fn.backward()
    array([[-0.5       ,  0.88079708]])
    """

    def __init__(
        self,
        *,
        weight: ArrayLike | None = None,
        pos_weight: ArrayLike | float | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(
            sigmoid_cross_entropy,
            reduction=check_reduction(reduction, REDUCTIONS),
            weight=weight,
            pos_weight=pos_weight,
        )
