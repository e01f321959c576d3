"""Numerically stable sigmoid, softmax and their logarithms.

Every function here is safe for every finite input: no overflow, no NaN, no
warning. The two tricks that make them so are the subject of chapter 3:

* exponentiate only non-positive numbers, so ``exp`` lands in (0, 1] and can
  underflow harmlessly but never overflow (``exp(-|x|)`` for the sigmoid,
  ``exp(x - max(x))`` for the softmax);
* never subtract two nearly equal numbers: ``log1p`` of a sum that leaves the
  largest term out keeps the digits of a tiny result.

float16/32/64 inputs keep their dtype (float16 is computed in float32); integer
inputs are computed in float64.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import as_float_array, check_label_range

__all__ = ["log_sigmoid", "log_softmax", "logsumexp", "one_hot", "sigmoid", "softmax"]


def sigmoid(x: ArrayLike) -> NDArray[np.floating]:
    r"""Logistic sigmoid, computed without overflow.

    .. math:: \sigma(x) = \frac{1}{1 + e^{-x}} = \frac{e^{x}}{1 + e^{x}}

    The first form is used for ``x >= 0`` and the second for ``x < 0``; both
    are written with :math:`e^{-|x|} \le 1`, so only one ``exp`` is needed and
    it never overflows.

    Parameters
    ----------
    x : array_like
        Real input of any shape.

    Returns
    -------
    ndarray
        :math:`\sigma(x)`, same shape and dtype as ``x`` (float64 for integers).

    Examples
    --------
    >>> sigmoid([-1000.0, 0.0, 1000.0])
    array([0. , 0.5, 1. ])
    """
    z, out_dtype = as_float_array(x, "x")
    e = np.exp(-np.abs(z))  # in (0, 1]: underflows to 0 far out, never overflows
    r = 1.0 / (1.0 + e)
    return np.where(z >= 0, r, e * r).astype(out_dtype, copy=False)[()]


def log_sigmoid(x: ArrayLike) -> NDArray[np.floating]:
    r"""Logarithm of the sigmoid, accurate for every finite input.

    .. math:: \log \sigma(x) = \min(x, 0) - \log\left(1 + e^{-|x|}\right)

    Both terms are non-positive, so nothing cancels: ``log_sigmoid(40.0)`` is
    :math:`-4.25 \times 10^{-18}`, not the ``0.0`` that ``log(sigmoid(40.0))``
    gives.

    Parameters
    ----------
    x : array_like
        Real input of any shape.

    Returns
    -------
    ndarray
        :math:`\log\sigma(x)`, same shape and dtype as ``x``.

    Examples
    --------
    >>> log_sigmoid([-1000.0, 0.0, 40.0])
    array([-1.00000000e+03, -6.93147181e-01, -4.24835426e-18])
    """
    z, out_dtype = as_float_array(x, "x")
    result = np.minimum(z, 0) - np.log1p(np.exp(-np.abs(z)))
    return result.astype(out_dtype, copy=False)[()]


def _split_max(z: NDArray[np.floating]):
    """Shared core of the softmax family, along the last axis.

    Returns ``(k, m, shifted, e, rest)``: the index ``k`` and value ``m`` of
    one maximum per row, ``shifted = z - m`` (all <= 0), ``e = exp(shifted)``
    with the entry at ``k`` set to 0, and ``rest = sum(e)``: the sum over every
    entry *but* ``k``. Then
    ``sum(exp(z)) = exp(m) * (1 + rest)``, and keeping the ``1`` apart is what
    lets ``log1p(rest)`` carry the digits of a tiny result.
    """
    k = np.argmax(z, axis=-1)[..., None]
    m = np.take_along_axis(z, k, axis=-1)
    # A row whose maximum is infinite has no finite shift; shifting by 0 there
    # gives the right limits (-inf rows stay -inf, +inf entries stay +inf).
    shift = np.where(np.isfinite(m), m, 0)
    with np.errstate(invalid="ignore"):
        shifted = z - shift
    e = np.exp(shifted)
    np.put_along_axis(e, k, 0.0, axis=-1)
    rest = e.sum(axis=-1, keepdims=True)
    return k, m, shifted, e, rest


def _along_last(x: ArrayLike, axis: int, name: str):
    z, out_dtype = as_float_array(x, name)
    if z.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension; got a scalar")
    z = np.moveaxis(z, axis, -1)
    if z.shape[-1] == 0:
        raise ValueError(f"{name} is empty along axis {axis}; got shape {np.shape(x)}")
    return z, out_dtype


def logsumexp(x: ArrayLike, axis: int = -1, keepdims: bool = False) -> NDArray[np.floating]:
    r"""Log of the sum of exponentials, without overflow and without losing small terms.

    .. math::
        \operatorname{LSE}(x) = \log \sum_j e^{x_j}
        = m + \log\Bigl(1 + \sum_{j \ne k} e^{x_j - m}\Bigr),
        \quad m = x_k = \max_j x_j

    Parameters
    ----------
    x : array_like
        Real input with at least one dimension.
    axis : int, optional
        Axis to reduce (default: the last).
    keepdims : bool, optional
        Keep the reduced axis with length one.

    Returns
    -------
    ndarray or scalar
        The reduction, in the dtype of ``x``. A row that is all ``-inf`` gives ``-inf``.

    Examples
    --------
    >>> logsumexp([1000.0, 1000.0])
    np.float64(1000.6931471805599)
    """
    z, out_dtype = _along_last(x, axis, "x")
    _, m, _, _, rest = _split_max(z)
    result = m + np.log1p(rest)
    result = np.moveaxis(result, -1, axis) if keepdims else result[..., 0]
    return result.astype(out_dtype, copy=False)[()]


def softmax(x: ArrayLike, axis: int = -1) -> NDArray[np.floating]:
    r"""Softmax along ``axis``, with the maximum subtracted first.

    .. math::
        \operatorname{softmax}(x)_j = \frac{e^{x_j}}{\sum_i e^{x_i}}
        = \frac{e^{x_j - m}}{\sum_i e^{x_i - m}}, \quad m = \max_i x_i

    Parameters
    ----------
    x : array_like
        Real input with at least one dimension.
    axis : int, optional
        Axis along which the outputs sum to one (default: the last).

    Returns
    -------
    ndarray
        Non-negative values summing to 1 along ``axis``; same shape and dtype as ``x``.

    Examples
    --------
    >>> softmax([1000.0, 1000.0, -1000.0])
    array([0.5, 0.5, 0. ])
    """
    z, out_dtype = _along_last(x, axis, "x")
    k, _, _, e, rest = _split_max(z)
    np.put_along_axis(e, k, 1.0, axis=-1)  # the maximum's own term, exp(0)
    probs = e / (1.0 + rest)
    return np.moveaxis(probs, -1, axis).astype(out_dtype, copy=False)


def log_softmax(x: ArrayLike, axis: int = -1) -> NDArray[np.floating]:
    r"""Logarithm of the softmax, accurate even where the softmax rounds to 1 or 0.

    .. math::
        \log \operatorname{softmax}(x)_j
        = (x_j - m) - \log\Bigl(1 + \sum_{i \ne k} e^{x_i - m}\Bigr)

    Parameters
    ----------
    x : array_like
        Real input with at least one dimension.
    axis : int, optional
        Axis of the classes (default: the last).

    Returns
    -------
    ndarray
        Same shape and dtype as ``x``; every value is <= 0.

    Examples
    --------
    >>> log_softmax([0.0, -100.0])
    array([-3.72007598e-44, -1.00000000e+02])
    """
    z, out_dtype = _along_last(x, axis, "x")
    _, _, shifted, _, rest = _split_max(z)
    result = shifted - np.log1p(rest)
    return np.moveaxis(result, -1, axis).astype(out_dtype, copy=False)


def one_hot(labels: ArrayLike, num_classes: int) -> NDArray[np.float64]:
    r"""One-hot rows for integer class labels.

    .. math:: t_{ij} = [\, y_i = j \,]

    Parameters
    ----------
    labels : array_like of int
        Class indices in ``[0, num_classes)``, any shape.
    num_classes : int
        Number of classes ``C``.

    Returns
    -------
    ndarray of float64
        Shape ``labels.shape + (num_classes,)``.

    Examples
    --------
    >>> one_hot([2, 0], 3)
    array([[0., 0., 1.],
           [1., 0., 0.]])
    """
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
        raise TypeError(f"num_classes must be an int; got {type(num_classes).__name__}")
    if num_classes < 1:
        raise ValueError(f"num_classes must be at least 1; got {num_classes}")
    y = np.asarray(labels)
    if y.dtype.kind not in "iu":
        raise TypeError(f"labels must be integer class indices; got an array of dtype {y.dtype}")
    check_label_range(y, num_classes)
    return (y[..., None] == np.arange(num_classes)).astype(np.float64)
