"""The textbook formulas and the seed article's approach, kept for comparison.

Nothing here is for real use. ``naive_sigmoid`` and ``naive_softmax`` are the
formulas as first written, and they overflow on purpose (chapter 3 shows where).
The ``seed_*`` functions re-implement, in this project's own code, what the
article the book grew from does: a masked sigmoid, probabilities clipped to
``[eps, 1 - eps]`` before the log, one-hot targets, and ``(p - t) / N`` as the
gradient. They are the baseline of the benchmarks and the subject of the
clipping figure in chapter 3: the loss saturates at ``-log(eps)`` while the
gradient keeps reporting ``p - t``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "naive_sigmoid",
    "naive_softmax",
    "seed_sigmoid",
    "seed_sigmoid_cross_entropy",
    "seed_softmax",
    "seed_softmax_cross_entropy",
]


def _as_float(x: ArrayLike) -> NDArray[np.floating]:
    """``x`` as an array, floats kept in their dtype, anything else in float64."""
    arr = np.asarray(x)
    return arr if arr.dtype.kind == "f" else arr.astype(np.float64)


def naive_sigmoid(x: ArrayLike) -> NDArray[np.floating]:
    r"""The textbook sigmoid :math:`1 / (1 + e^{-x})`, unstable on purpose.

    ``np.exp(-x)`` overflows to ``inf`` (with a ``RuntimeWarning``) once
    ``-x > 709.78`` in float64 or ``-x > 88.72`` in float32. The result is
    still right there (``1 / inf = 0``), but the warning, and the ``nan``
    that the same trick gives in softmax, are what chapter 3 is about.

    Examples
    --------
    >>> naive_sigmoid(np.array([0.0, 2.0]))
    array([0.5       , 0.88079708])
    """
    x = _as_float(x)
    return 1.0 / (1.0 + np.exp(-x))


def naive_softmax(x: ArrayLike, axis: int = -1) -> NDArray[np.floating]:
    r"""The textbook softmax :math:`e^{x_j} / \sum_i e^{x_i}`, unstable on purpose.

    Any logit above 709.78 (float64) makes ``exp`` overflow to ``inf`` and the
    row becomes ``inf / inf = nan``; a row whose logits are all below -745
    underflows to ``0 / 0 = nan``.

    Examples
    --------
    >>> naive_softmax(np.array([1.0, 2.0, 3.0]))
    array([0.09003057, 0.24472847, 0.66524096])
    """
    e = np.exp(_as_float(x))
    return e / e.sum(axis=axis, keepdims=True)


def seed_sigmoid(x: ArrayLike) -> NDArray[np.floating]:
    r"""The seed's masked sigmoid: two formulas, chosen per element by a boolean mask.

    For ``x < 0`` it uses :math:`e^{x} / (1 + e^{x})`, for ``x >= 0`` it uses
    :math:`1 / (1 + e^{-x})`, so neither ``exp`` overflows. (The seed's own
    listing lost the comparison operator of the mask; ``<`` is the one its
    text describes.) Correct, but the fancy indexing copies data four times.

    Examples
    --------
    >>> seed_sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    array([0. , 0.5, 1. ])
    """
    x = _as_float(x).copy()  # the seed works on a copy too
    negative = x < 0
    positive = ~negative
    x[negative] = np.exp(x[negative]) / (1 + np.exp(x[negative]))
    x[positive] = 1 / (1 + np.exp(-x[positive]))
    return x


def seed_softmax(x: ArrayLike) -> NDArray[np.floating]:
    r"""The seed's softmax over the rows of a 2-D array: maximum subtracted, then normalised.

    .. math:: \operatorname{softmax}(x)_{ij} = \frac{e^{x_{ij} - m_i}}{\sum_k e^{x_{ik} - m_i}},
        \quad m_i = \max_k x_{ik}

    Examples
    --------
    >>> seed_softmax(np.array([[1000.0, 1000.0]]))
    array([[0.5, 0.5]])
    """
    x = _as_float(x)
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def seed_sigmoid_cross_entropy(
    logits: ArrayLike, targets: ArrayLike, eps: float = 1e-6
) -> tuple[float, NDArray[np.floating]]:
    r"""The seed's sigmoid cross-entropy: clipped probabilities, summed, divided by N.

    .. math::
        L = -\frac{1}{N} \sum_{i,j} \bigl[t_{ij} \log \hat p_{ij}
            + (1 - t_{ij}) \log (1 - \hat p_{ij})\bigr],
        \quad \hat p = \operatorname{clip}(\sigma(z), \epsilon, 1 - \epsilon)

    Returns the loss and the gradient the seed returns, :math:`(\hat p - t)/N`.
    Every per-element loss is capped at :math:`-\log \epsilon \approx 13.8`,
    yet the gradient still uses the clipped probability: loss and gradient
    disagree wherever clipping is active.

    Examples
    --------
    >>> loss, grad = seed_sigmoid_cross_entropy(np.array([[-100.0]]), np.array([[1.0]]))
    >>> round(float(loss), 4), grad
    (13.8155, array([[-0.999999]]))
    """
    p = np.clip(seed_sigmoid(logits), eps, 1 - eps)
    t = np.asarray(targets, dtype=p.dtype)
    n = p.shape[0]
    loss = -np.sum(t * np.log(p) + (1 - t) * np.log(1 - p)) / n
    return loss, (p - t) / n


def seed_softmax_cross_entropy(
    logits: ArrayLike, targets: ArrayLike, eps: float = 1e-6
) -> tuple[float, NDArray[np.floating]]:
    r"""The seed's softmax cross-entropy: clipped probabilities, one-hot targets.

    .. math::
        L = -\frac{1}{N} \sum_{i,j} t_{ij} \log \hat p_{ij},
        \quad \hat p = \operatorname{clip}(\operatorname{softmax}(z), \epsilon, 1 - \epsilon)

    Returns the loss and the gradient :math:`(\hat p - t)/N`.

    Examples
    --------
    >>> loss, grad = seed_softmax_cross_entropy(np.array([[0.0, 50.0]]), np.array([[1.0, 0.0]]))
    >>> round(float(loss), 4)
    13.8155
    """
    p = np.clip(seed_softmax(logits), eps, 1 - eps)
    t = np.asarray(targets, dtype=p.dtype)
    n = p.shape[0]
    loss = -np.sum(t * np.log(p)) / n
    return loss, (p - t) / n
