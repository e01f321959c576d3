"""Sigmoid cross-entropy: binary and multi-label classification.

Per element, with logit ``z``, target ``t`` in [0, 1], ``e = exp(-|z|)`` and
``s = 1`` where ``z >= 0`` (else 0)::

    loss = z * (s - t) + log1p(e)           two non-negative terms: nothing cancels
    grad = (s - t) - copysign(q, z)         q = e / (1 + e) = sigmoid(-|z|)

``grad`` equals ``sigmoid(z) - t``, but is written with ``q``, the probability
of the *less* likely outcome, which is tiny when the model is sure and so keeps
its digits where ``sigmoid(z)`` would round to 1 and ``sigmoid(z) - 1`` to 0.
Only one ``exp`` per element, and it never overflows.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import check_logits, check_probability_targets, first_nan
from .losses import Loss, row_blocks

__all__ = ["SigmoidCrossEntropy"]

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


def _sigmoid_ce_rows(z, t, grad, u, scratch, mask, divisor):
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


def _loss_rows_with_infinities(z, t):
    """Per-row losses where a logit is infinite: ``inf * 0`` is taken as its limit, 0."""
    u = (z >= 0) - t
    with np.errstate(invalid="ignore"):
        hinge = np.where(u == 0, 0.0, z * u)
    return (hinge + np.log1p(np.exp(-np.abs(z)))).sum(axis=1)


class SigmoidCrossEntropy(Loss):
    r"""Sigmoid cross-entropy for binary and multi-label classification.

    For logits :math:`z` and targets :math:`t \in [0, 1]` of the same shape,
    each element contributes

    .. math::
        \ell(z, t) = -t \log \sigma(z) - (1 - t) \log (1 - \sigma(z))
                   = \max(z, 0) - z t + \log\left(1 + e^{-|z|}\right),

    and :math:`\partial \ell / \partial z = \sigma(z) - t`. A sample's loss is
    the sum over its classes; ``reduction="mean"`` averages over the batch.

    Parameters
    ----------
    reduction : {"mean", "sum", "none"}, optional
        See :class:`~lossutils.losses.Loss`.
    params : Module or iterable of Parameter, optional
        Parameters for weight decay.
    weight_decay : float, optional
        L2 penalty strength :math:`\lambda`.

    Notes
    -----
    Accurate to a few units of rounding for every finite logit, including a
    confident correct prediction whose loss is :math:`10^{-300}`. An infinite
    logit gives the limit: ``+inf`` on a target of 1 costs 0, ``-inf`` on a
    target of 1 costs ``inf``.

    Examples
    --------
    >>> loss_fn = SigmoidCrossEntropy()
    >>> loss = loss_fn.forward(np.array([[0.0, 2.0]]), np.array([[1.0, 0.0]]))
    >>> round(float(loss), 4)
    2.8201
    >>> loss_fn.backward()
    array([[-0.5       ,  0.88079708]])
    """

    def forward(self, logits: ArrayLike, targets: ArrayLike):
        """Return the loss of logits ``(N,)`` or ``(N, C)`` against targets of the same shape.

        1-D logits are N independent binary predictions. Returns a scalar for
        ``"mean"`` and ``"sum"``, shape ``(N,)`` for ``"none"``, in the dtype
        of the logits (float64 for integer logits).
        """
        z, out_dtype = check_logits(logits, ndims=(1, 2))
        t = check_probability_targets(targets, z.shape, z.dtype)
        n = z.shape[0]
        z2, t2 = z.reshape(n, -1), t.reshape(n, -1)  # 1-D: one class per sample
        grad = np.empty_like(z2)
        per_sample = np.empty(n, dtype=z.dtype)
        blocks = list(row_blocks(n, z2.shape[1], z.itemsize))
        u = np.empty_like(z2[blocks[0]])
        scratch = np.empty_like(u)
        mask = np.empty(u.shape, dtype=bool)
        divisor = self._divisor(n)
        with np.errstate(invalid="ignore"):  # inf * 0 for an infinite logit: mended below
            for rows in blocks:
                b = rows.stop - rows.start
                per_sample[rows] = _sigmoid_ce_rows(
                    z2[rows], t2[rows], grad[rows], u[:b], scratch[:b], mask[:b], divisor
                )
        bad = np.isnan(per_sample)
        if bad.any():
            nan_at = first_nan(z)
            if nan_at is not None:
                raise ValueError(f"logits contain NaN, first at index {nan_at}")
            per_sample[bad] = _loss_rows_with_infinities(z2[bad], t2[bad])
        return self._finish_forward(per_sample, grad, z.shape, out_dtype)
