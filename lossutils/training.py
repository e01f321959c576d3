"""The two helpers every training loop writes by hand: accuracy and minibatches.

Examples
--------
One epoch over a shuffled data set, in batches of 4:

>>> rng = np.random.default_rng(0)
>>> sizes = [len(idx) for idx in minibatches(10, 4, rng=rng)]
>>> sizes
[4, 4, 2]
>>> accuracy(np.array([[2.0, 0.1], [0.3, 0.9], [1.0, -1.0]]), np.array([0, 1, 1]))
0.6666666666666666
"""

from __future__ import annotations

import operator
from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["accuracy", "minibatches"]


def _describe(arr: np.ndarray) -> str:
    return f"an array of dtype {arr.dtype} and shape {arr.shape}"


def accuracy(logits: ArrayLike, labels: ArrayLike) -> float:
    """The fraction of samples whose predicted class is the label.

    Parameters
    ----------
    logits : array_like
        Either ``(N, C)`` scores of a C-class model (softmax cross-entropy):
        the prediction is the class with the largest logit (the first one on
        a tie, as ``np.argmax``); or ``(N,)`` logits of a binary model
        (sigmoid cross-entropy): the prediction is 1 where the logit is
        positive, i.e. where the sigmoid exceeds 1/2, and 0 elsewhere
        (including at exactly 0). Infinities are fine; NaN is refused.
    labels : array_like of int or bool, shape (N,)
        The true classes, in ``[0, C)`` (in ``{0, 1}`` for 1-D logits).

    Returns
    -------
    float
        In ``[0, 1]``.

    Raises
    ------
    TypeError
        If the logits are not real numbers, or the labels are not integers
        (floats are refused even when they hold whole numbers).
    ValueError
        If a shape is wrong (nothing is broadcast), the batch is empty, a
        logit is NaN, or a label is out of range.

    Examples
    --------
    >>> logits = np.array([[2.0, 1.0, 0.1], [0.0, 3.0, 1.0], [1.0, 0.0, 5.0]])
    >>> accuracy(logits, np.array([0, 1, 1]))  # the last sample is predicted as class 2
    0.6666666666666666
    >>> accuracy(np.array([1.5, -0.2, 0.0, 3.0]), np.array([1, 0, 1, 1]))  # binary
    0.75
    """
    z = np.asarray(logits)
    if z.dtype.kind not in "iuf":
        raise TypeError(f"logits must be real numbers; got {_describe(z)}")
    if z.ndim not in (1, 2):
        raise ValueError(
            "logits must be 2-D (N, C) for C classes or 1-D (N,) for a binary problem; "
            f"got {z.ndim}-D with shape {z.shape}"
        )
    n = z.shape[0]
    if n == 0:
        raise ValueError(f"logits hold an empty batch (N = 0); got shape {z.shape}")
    if z.ndim == 2 and z.shape[1] == 0:
        raise ValueError(f"logits need at least one class (C >= 1); got shape {z.shape}")
    if z.dtype.kind == "f":
        nan_at = np.argwhere(np.isnan(z))
        if nan_at.size:
            where = tuple(int(i) for i in nan_at[0])
            raise ValueError(
                f"logits contain NaN, first at index {where if z.ndim == 2 else where[0]}: "
                "a NaN has no predicted class"
            )
    y = np.asarray(labels)
    if y.dtype.kind not in "biu":
        raise TypeError(
            f"labels must be integer class indices; got {_describe(y)}"
            + (" (cast whole-number floats with labels.astype(int))" if y.dtype.kind == "f" else "")
        )
    if y.shape != (n,):
        raise ValueError(f"labels must have shape (N,) = ({n},); got shape {y.shape}")
    num_classes = z.shape[1] if z.ndim == 2 else 2
    y = y.astype(np.int64)  # bool labels count as 0 and 1
    bad = np.flatnonzero((y < 0) | (y >= num_classes))
    if bad.size:
        i = int(bad[0])
        allowed = f"[0, {num_classes})" if z.ndim == 2 else "{0, 1} for 1-D (binary) logits"
        raise ValueError(f"labels must be in {allowed}; got {int(y[i])} at index {i}")
    predicted = np.argmax(z, axis=1) if z.ndim == 2 else (z > 0).astype(np.int64)
    return float(np.mean(predicted == y))


def _count(value: Any, name: str) -> int:
    """``value`` as a Python int >= 1 (NumPy integers welcome, bools and floats not)."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a positive int; got {value!r}")
    try:
        as_int = operator.index(value)
    except TypeError:
        raise TypeError(
            f"{name} must be a positive int; got {value!r} of type {type(value).__name__}"
        ) from None
    if as_int < 1:
        raise ValueError(f"{name} must be a positive int; got {as_int}")
    return as_int


def minibatches(
    n: int, batch_size: int, *, rng: np.random.Generator | None = None
) -> Iterator[NDArray[np.intp]]:
    """Index arrays that split ``range(n)`` into batches: one epoch.

    Every index in ``0 .. n-1`` appears in exactly one batch. Without ``rng``
    the batches are in order; with one, the order is ``rng.permutation(n)``
    (so a seeded generator gives the same epochs on every run, and each call
    draws a new order from it). The last batch is smaller when
    ``batch_size`` does not divide ``n``.

    Parameters
    ----------
    n : int
        The number of samples, >= 1.
    batch_size : int
        The size of every batch but possibly the last, >= 1 (may exceed ``n``:
        then there is one batch).
    rng : numpy.random.Generator, optional
        Shuffles the order.

    Yields
    ------
    ndarray of int
        Indices of one batch, to take rows with ``x[idx]``, ``y[idx]``.

    Raises
    ------
    TypeError, ValueError
        At the call (not at the first batch) if an argument is not a positive
        int or ``rng`` is not a Generator.

    Examples
    --------
    >>> [idx.tolist() for idx in minibatches(5, 2)]
    [[0, 1], [2, 3], [4]]
    >>> rng = np.random.default_rng(0)
    >>> batches = list(minibatches(5, 2, rng=rng))
    >>> sorted(np.concatenate(batches).tolist())
    [0, 1, 2, 3, 4]
    """
    n = _count(n, "n")
    batch_size = _count(batch_size, "batch_size")
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise TypeError(
            "rng must be a numpy.random.Generator such as np.random.default_rng(0); "
            f"got {type(rng).__name__}"
        )
    # The checks above run at the call; the generator below runs batch by batch.
    order = np.arange(n) if rng is None else rng.permutation(n)
    return (order[start : start + batch_size] for start in range(0, n, batch_size))
