"""Softmax cross-entropy: multi-class classification.

Per row of logits ``z`` with maximum ``m = z[k]``, ``e = exp(z - m)`` (so
``e[k] = 1``) and ``rest = sum of e[j] for j != k``::

    loss = sum_j t_j (m - z_j) + log1p(rest)      two non-negative terms
    p    = e / (1 + rest)                         the softmax
    grad = p - t, except at k:  ((1 - t_k) - t_k * rest) / (1 + rest)

``log1p(rest)`` keeps the digits of a tiny loss where ``log(sum(e))`` would
round it to 0, and the formula at ``k`` never computes ``p_k - 1`` with
``p_k`` close to 1. The exponent ``z - m`` is at most 0, so ``exp`` never
overflows.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import (
    check_labels,
    check_logits,
    check_probability_targets,
    check_row_sums,
    first_nan,
)
from .losses import Loss, row_blocks

__all__ = ["SoftmaxCrossEntropy"]


def _softmax_ce_rows(z, labels, t, grad, divisor, *, with_infinities=False):
    """Loss of each row of one block, and the block's gradient written into ``grad``.

    Exactly one of ``labels`` (shape ``(b,)``) and ``t`` (shape ``(b, C)``) is
    given. ``grad`` doubles as the work buffer: it holds ``z - m``, then
    ``e = exp(z - m)``, then the gradient, so a block touches two arrays only.
    """
    idx = np.arange(z.shape[0])
    k = z.argmax(axis=1)
    m = z[idx, k]
    e = grad
    np.subtract(z, m[:, None], out=e)  # z - m <= 0
    if labels is not None:
        hinge = m - z[idx, labels]
    elif with_infinities:
        terms = t * e
        terms[t == 0] = 0.0  # a masked class (z = -inf) with t = 0 costs nothing
        hinge = -terms.sum(axis=1)
    else:
        hinge = -np.vecdot(t, e)  # sum_j t_j (m - z_j): every term >= 0
    np.exp(e, out=e)
    e[idx, k] = 0.0  # leave the maximum's own term, exactly 1, out of the sum
    rest = e.sum(axis=1)
    e[idx, k] = 1.0
    r = 1.0 / (1.0 + rest)  # so that p = e * r

    if labels is not None:
        # p_y - 1 for the true class: -rest * r if it is the maximum (no 1 - p_k),
        # else p_y - 1 with p_y <= 1/2, where the subtraction loses nothing.
        p_y_minus_1 = np.where(labels == k, -rest * r, e[idx, labels] * r - 1.0)
        factor = r if divisor is None else r / divisor
        np.multiply(e, factor[:, None], out=grad)  # p, scaled
        grad[idx, labels] = p_y_minus_1 if divisor is None else p_y_minus_1 / divisor
    else:
        np.multiply(e, r[:, None], out=grad)  # p
        grad -= t
        t_k = t[idx, k]
        grad[idx, k] = ((1.0 - t_k) - t_k * rest) * r
        if divisor is not None:
            grad /= divisor
    return hinge + np.log1p(rest)


def _finite_limit(z: NDArray, row_numbers: NDArray) -> NDArray:
    """Logits with the same softmax as ``z`` in the limit, and a finite maximum.

    A row holding ``+inf`` puts all its probability, shared equally, on its
    ``+inf`` entries: they become 0 and the others ``-inf``. ``row_numbers``
    are the rows' places in the batch, for the error message.
    """
    positive_inf = np.isposinf(z)
    limit = np.where(positive_inf, 0.0, -np.inf).astype(z.dtype)
    z = np.where(positive_inf.any(axis=1, keepdims=True), limit, z)
    dead = np.flatnonzero(np.isneginf(z).all(axis=1))
    if dead.size:
        raise ValueError(
            f"every logit of {dead.size} row(s) is -inf (first: row {row_numbers[dead[0]]}), "
            "so their softmax is undefined"
        )
    return z


class SoftmaxCrossEntropy(Loss):
    r"""Softmax cross-entropy for multi-class classification.

    For a row of logits :math:`z \in \mathbb R^C` and a target distribution
    :math:`t` (one-hot for a hard label :math:`y`),

    .. math::
        \ell(z, t) = -\sum_j t_j \log \operatorname{softmax}(z)_j
                   = \log \sum_j e^{z_j} - \sum_j t_j z_j,

    and :math:`\partial \ell / \partial z = \operatorname{softmax}(z) - t`.
    ``reduction="mean"`` averages over the batch, so the gradient is
    :math:`(p - t)/N`.

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
    Targets are integer labels of shape ``(N,)`` or probability rows of shape
    ``(N, C)`` (one-hot or soft) that each sum to 1. A ``-inf`` logit masks its
    class: with target 0 it adds no loss and gets no gradient.

    Examples
    --------
    >>> loss_fn = SoftmaxCrossEntropy()
    >>> loss = loss_fn.forward(np.array([[2.0, 1.0, 0.1]]), np.array([0]))
    >>> round(float(loss), 4)
    0.417
    >>> loss_fn.backward()
    array([[-0.34099886,  0.24243297,  0.09856589]])
    """

    def forward(self, logits: ArrayLike, targets: ArrayLike):
        """Return the loss of logits ``(N, C)`` against labels ``(N,)`` or probability rows.

        Returns a scalar for ``"mean"`` and ``"sum"``, shape ``(N,)`` for
        ``"none"``, in the dtype of the logits (float64 for integer logits).
        """
        z, out_dtype = check_logits(logits, ndims=(2,))
        n, c = z.shape
        labels, t = None, None
        target_array = np.asarray(targets)
        if target_array.ndim == 1:
            labels = check_labels(target_array, n, c)
        elif target_array.ndim == 2:
            t = check_probability_targets(target_array, z.shape, z.dtype)
            check_row_sums(t)
        else:
            raise ValueError(
                f"targets must be integer labels of shape (N,) = ({n},) or probability rows "
                f"of shape (N, C) = {z.shape}; got shape {target_array.shape}"
            )

        grad = np.empty_like(z)
        per_sample = np.empty(n, dtype=z.dtype)
        divisor = self._divisor(n)
        with np.errstate(invalid="ignore"):  # inf - inf, 0 * inf: mended below
            for rows in row_blocks(n, c, z.itemsize):
                per_sample[rows] = _softmax_ce_rows(
                    z[rows],
                    None if labels is None else labels[rows],
                    None if t is None else t[rows],
                    grad[rows],
                    divisor,
                )
        bad = np.flatnonzero(np.isnan(per_sample))
        if bad.size:
            nan_at = first_nan(z)
            if nan_at is not None:
                raise ValueError(f"logits contain NaN, first at index {nan_at}")
            grad_bad = np.empty((bad.size, c), dtype=z.dtype)
            with np.errstate(invalid="ignore"):
                per_sample[bad] = _softmax_ce_rows(
                    _finite_limit(z[bad], bad),
                    None if labels is None else labels[bad],
                    None if t is None else t[bad],
                    grad_bad,
                    divisor,
                    with_infinities=True,
                )
            grad[bad] = grad_bad
        return self._finish_forward(per_sample, grad, z.shape, out_dtype)
