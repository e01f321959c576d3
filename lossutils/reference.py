"""The two losses in a few lines each: the code chapter 5 shows, and what the fast kernels match.

These are short, stable and correct: no overflow, no NaN for any finite logit,
the loss and the gradient of the same function. Their error is a few units of
rounding *relative to the largest term* (the loss or 1, whichever is larger);
what they do not do is keep every digit of a loss of 1e-40 or of a gradient
entry of 1e-18, which :func:`~lossutils.softmax_cross_entropy` and
:func:`~lossutils.sigmoid_cross_entropy` also do. Those digits are craft: in
chapter 5's test no weight changed because of them, and they move a parameter
only where it is at or near 0, by about 1e-18 (chapter 5 and the appendix
"Making it fast" say more). The test suite checks the fast versions against
these on ordinary inputs.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._floating import ignore_fp_errors
from ._validation import check_labels, check_logits, check_probability_targets

__all__ = ["sigmoid_cross_entropy_reference", "softmax_cross_entropy_reference"]


@ignore_fp_errors
def softmax_cross_entropy_reference(
    logits: ArrayLike, labels: ArrayLike
) -> tuple[float, NDArray[np.float64]]:
    r"""Mean softmax cross-entropy over the batch, and its gradient :math:`(p - t)/N`.

    .. math::
        L = \frac{1}{N}\sum_i \Bigl(\log \sum_j e^{z_{ij} - z_{\max,i}}
            - (z_{i y_i} - z_{\max,i})\Bigr)

    Parameters
    ----------
    logits : array_like, shape (N, C)
    labels : array_like of int, shape (N,)

    Returns
    -------
    loss : float
    dlogits : ndarray, shape (N, C)

    Examples
    --------
    >>> loss, dlogits = softmax_cross_entropy_reference([[2.0, 1.0, 0.1]], [0])
    >>> round(loss, 4)
    0.417
    """
    z, _ = check_logits(logits, ndims=(2,))
    z = z.astype(np.float64)
    n, c = z.shape
    y = check_labels(labels, n, c)
    rows = np.arange(n)
    shifted = z - z.max(axis=1, keepdims=True)  # <= 0, so exp cannot overflow
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[rows, y].mean()
    grad = np.exp(log_probs)  # the softmax p
    grad[rows, y] -= 1.0  # p - t, for one-hot t
    return float(loss), grad / n


@ignore_fp_errors
def sigmoid_cross_entropy_reference(
    logits: ArrayLike, targets: ArrayLike
) -> tuple[float, NDArray[np.float64]]:
    r"""Sigmoid cross-entropy summed over classes, averaged over samples, and its gradient.

    .. math::
        L = \frac{1}{N}\sum_{i,j} \Bigl(\max(z_{ij}, 0) - z_{ij} t_{ij}
            + \log\bigl(1 + e^{-|z_{ij}|}\bigr)\Bigr),
        \qquad \frac{\partial L}{\partial z} = \frac{\sigma(z) - t}{N}

    Parameters
    ----------
    logits : array_like, shape (N,) or (N, C)
    targets : array_like, probabilities in [0, 1] of the same shape

    Returns
    -------
    loss : float
    dlogits : ndarray, the shape of the logits

    Examples
    --------
    >>> loss, dlogits = sigmoid_cross_entropy_reference([[0.0, 2.0]], [[1.0, 0.0]])
    >>> round(loss, 4)
    2.8201
    """
    z, _ = check_logits(logits, ndims=(1, 2))
    z = z.astype(np.float64)
    t = check_probability_targets(targets, z.shape, np.dtype(np.float64))
    n = z.shape[0]
    exps = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    losses = np.maximum(z, 0) - z * t + np.log1p(exps)
    probs = np.where(z >= 0, 1.0, exps) / (1.0 + exps)  # the sigmoid, from exps alone
    return float(losses.sum() / n), (probs - t) / n
