"""Sigmoid cross-entropy: binary and multi-label classification, with PyTorch's options.

Per element, with logit ``z``, target ``t`` in [0, 1] and ``e = exp(-|z|)``::

    loss = pos_weight * t * softplus(-z) + (1 - t) * softplus(z)
    grad = (1 - t) * sigmoid(z) - pos_weight * t * sigmoid(-z)

with ``softplus(z) = log(1 + e^z) = max(z, 0) + log1p(e)``: two non-negative
terms, so nothing cancels, and ``exp`` only ever sees ``-|z| <= 0``. A
per-class or per-element ``weight`` multiplies both. Without options the plain
kernel below is used; it writes the same two formulas (``pos_weight = 1``) as::

    loss = z * (s - t) + log1p(e)           s = 1 where z >= 0, else 0
    grad = (s - t) - copysign(q, z)         q = e / (1 + e) = sigmoid(-|z|)

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


def _plain_rows(z, t, grad, u, scratch, mask, divisor):
    """Loss of each row of one block, and the block's gradient written into ``grad``.

    ``u``, ``scratch`` and ``mask`` are block-sized work buffers.
    """
    np.signbit(z, out=mask)
    np.logical_not(mask, out=mask)  # s: z >= 0, decided by the sign bit, as copysign does
    np.abs(z, out=grad)
    np.negative(grad, out=grad)
    np.exp(grad, out=grad)  # e = exp(-|z|) in (0, 1]: never overflows
    np.log1p(grad, out=scratch)  # log(1 + e) > 0
    loss = scratch.sum(axis=1)
    np.copyto(u, mask)
    u -= t  # u = s - t: exact when t is 0 or 1
    loss += np.vecdot(z, u)  # z * u >= 0 everywhere: the hinge part of the loss
    np.add(grad, 1.0, out=scratch)
    np.divide(grad, scratch, out=grad)  # q = e / (1 + e)
    _copysign_in_place(grad, z, scratch)
    np.subtract(u, grad, out=grad)  # sigmoid(z) - t
    if divisor is not None:
        grad /= divisor
    return loss


def _weighted_rows(z, t, weight, pos_weight, grad, divisor, *, with_infinities=False):
    """Per-row losses with ``weight`` and ``pos_weight`` (either may be ``None``).

    With ``with_infinities``, a term whose coefficient is 0 counts as 0 even
    where its softplus is infinite (``0 * inf`` is taken as its limit).
    """
    e = np.exp(-np.abs(z))
    log1p_e = np.log1p(e)
    sig_abs = 1.0 / (1.0 + e)  # sigmoid(|z|), in [1/2, 1]
    sig_neg_abs = e * sig_abs  # sigmoid(-|z|), in [0, 1/2]
    positive = z >= 0
    softplus_pos = np.maximum(z, 0) + log1p_e  # softplus(z) = -log(1 - sigmoid(z))
    softplus_neg = np.maximum(-z, 0) + log1p_e  # softplus(-z) = -log sigmoid(z)
    a = t if pos_weight is None else pos_weight * t  # weight of the "yes" term
    b = 1.0 - t  # weight of the "no" term
    if with_infinities:
        loss = np.where(a == 0, 0.0, a * softplus_neg) + np.where(b == 0, 0.0, b * softplus_pos)
    else:
        loss = a * softplus_neg + b * softplus_pos
    sig = np.where(positive, sig_abs, sig_neg_abs)  # sigmoid(z)
    sig_minus = np.where(positive, sig_neg_abs, sig_abs)  # sigmoid(-z) = 1 - sigmoid(z)
    np.subtract(b * sig, a * sig_minus, out=grad)
    if weight is not None:
        loss *= weight
        grad *= weight
    if divisor is not None:
        grad /= divisor
    return loss.sum(axis=1)


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
    if weight is None and pos_weight is None:
        _plain_loss(z2, t2, grad, losses, divisor)
    else:
        for rows in row_blocks(n, c, z.itemsize):
            w = None if weight is None else weight[rows] if weight.shape[0] == n else weight
            losses[rows] = _weighted_rows(z2[rows], t2[rows], w, pos_weight, grad[rows], divisor)

    bad = np.flatnonzero(np.isnan(losses))
    if bad.size:  # a NaN logit, or inf * 0 for an infinite logit: mend the rows, or refuse
        nan_at = np.argwhere(np.isnan(z))
        if nan_at.size:
            raise ValueError(f"logits contain NaN, first at index {tuple(map(int, nan_at[0]))}")
        w = None if weight is None else weight[bad] if weight.shape[0] == n else weight
        grad_bad = np.empty((bad.size, c), z.dtype)
        losses[bad] = _weighted_rows(
            z2[bad], t2[bad], w, pos_weight, grad_bad, divisor, with_infinities=True
        )
        grad[bad] = grad_bad

    grad = grad.reshape(z.shape).astype(out_dtype, copy=False)
    if reduction == "none":
        return losses.astype(out_dtype, copy=False), grad
    total = losses.sum()
    if divisor is not None:
        total = total / divisor
    return out_dtype.type(total), grad


def _plain_loss(z, t, grad, losses, divisor) -> None:
    """The plain kernel over blocks of rows, with block-sized work buffers."""
    n, c = z.shape
    blocks = list(row_blocks(n, c, z.itemsize))
    u = np.empty_like(z[blocks[0]])
    scratch = np.empty_like(u)
    mask = np.empty(u.shape, dtype=bool)
    for rows in blocks:
        b = rows.stop - rows.start
        losses[rows] = _plain_rows(
            z[rows], t[rows], grad[rows], u[:b], scratch[:b], mask[:b], divisor
        )


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
