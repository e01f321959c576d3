"""Numerically stable sigmoid, softmax and their logarithms.

Every function here is safe for every finite input: no overflow, no NaN, no
warning, and the same result whatever ``np.seterr`` says. The two tricks that
make them so are the subject of chapter 3:

* exponentiate only non-positive numbers, so ``exp`` lands in (0, 1] and can
  underflow harmlessly but never overflow (``exp(-|x|)`` for the sigmoid,
  ``exp(x - max(x))`` for the softmax);
* never subtract two nearly equal numbers: ``log1p`` of a sum that leaves the
  largest term out keeps the digits of a tiny result.

Special values follow one convention, shared with the loss layers: **the limit
where there is one, NaN where there is none**.

* NaN: ``sigmoid`` and ``log_sigmoid`` give NaN for that element; ``softmax``,
  ``log_softmax`` and ``logsumexp`` give NaN for the whole row (as SciPy and
  PyTorch do), because every output of a row depends on every input.
* ``+inf`` and ``-inf``: ``sigmoid`` gives 1 and 0. A row with exactly one
  ``+inf`` has the softmax ``[0, ..., 1, ..., 0]``; its ``logsumexp`` is
  ``+inf``. A row with two or more ``+inf`` has no limiting softmax (it
  depends on how they grow), so ``softmax`` and ``log_softmax`` are NaN there;
  ``logsumexp`` is ``+inf``. A row that is all ``-inf`` has no softmax either
  (NaN), and its ``logsumexp`` is ``-inf``. A ``-inf`` entry beside finite
  ones is a masked class: probability 0, log-probability ``-inf``.

float16/32/64 inputs keep their dtype (float16 is computed in float32); integer
inputs are computed in float64.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._floating import ignore_fp_errors
from ._validation import as_float_array, check_label_range

__all__ = ["log_sigmoid", "log_softmax", "logsumexp", "one_hot", "sigmoid", "softmax"]


@ignore_fp_errors
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


@ignore_fp_errors
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


def _row_max(z: NDArray[np.floating]):
    """Index ``k`` and value ``zmax`` of one maximum per row (last axis), kept 2-D."""
    k = np.argmax(z, axis=-1)[..., None]  # a NaN counts as the maximum: zmax is then NaN
    return k, np.take_along_axis(z, k, axis=-1)


def _split_max(z: NDArray[np.floating]):
    """Shared core of the softmax family, along the last axis.

    Returns ``(k, zmax, shifted, e, rest, special)``: the index ``k`` and value
    ``zmax`` of one maximum per row, ``shifted = z - zmax`` (all <= 0),
    ``e = exp(shifted)`` with the entry at ``k`` set to 0, and ``rest = sum(e)``:
    the sum over every entry *but* ``k``. Then
    ``sum(exp(z)) = exp(zmax) * (1 + rest)``, and keeping the ``1`` apart is what
    lets ``log1p(rest)`` carry the digits of a tiny result.

    Rows whose maximum is not finite (a NaN, a ``+inf``, or every entry
    ``-inf``) are computed as rows of zeros, and ``special`` (a boolean column,
    or ``None`` when there are none) marks them: each caller puts in their
    limit by the convention in the module docstring.
    """
    k, zmax = _row_max(z)
    special = ~np.isfinite(zmax)
    if special.any():
        z = np.where(special, 0.0, z).astype(z.dtype, copy=False)
        zmax = np.where(special, 0.0, zmax).astype(z.dtype, copy=False)
    else:
        special = None
    shifted = z - zmax  # may overflow to -inf for entries far below zmax: exp gives 0, right
    e = np.exp(shifted)
    np.put_along_axis(e, k, 0.0, axis=-1)
    rest = e.sum(axis=-1, keepdims=True)
    return k, zmax, shifted, e, rest, special


def _limit_rows(z: NDArray[np.floating], special: NDArray[np.bool_]):
    """For the rows marked ``special``: which are NaN, which hold ``+inf``, how many ``+inf``."""
    row_max = np.max(z, axis=-1, keepdims=True)  # NaN if the row holds a NaN
    has_nan = np.isnan(row_max)
    n_pos_inf = np.count_nonzero(np.isposinf(z), axis=-1, keepdims=True)
    return special & has_nan, special & ~has_nan & (n_pos_inf > 0), n_pos_inf


def _along_last(x: ArrayLike, axis: int, name: str):
    z, out_dtype = as_float_array(x, name)
    if z.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension; got a scalar")
    z = np.moveaxis(z, axis, -1)
    if z.shape[-1] == 0:
        raise ValueError(f"{name} is empty along axis {axis}; got shape {np.shape(x)}")
    return z, out_dtype


@ignore_fp_errors
def logsumexp(x: ArrayLike, axis: int = -1, keepdims: bool = False) -> NDArray[np.floating]:
    r"""Log of the sum of exponentials, without overflow and without losing small terms.

    .. math::
        \operatorname{LSE}(x) = \log \sum_j e^{x_j}
        = x_{\max} + \log\Bigl(1 + \sum_{j \ne k} e^{x_j - x_{\max}}\Bigr),
        \quad x_{\max} = x_k = \max_j x_j

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
        The reduction, in the dtype of ``x``. A row holding NaN gives NaN, a row
        holding ``+inf`` gives ``+inf``, a row that is all ``-inf`` gives ``-inf``.

    Examples
    --------
    >>> logsumexp([1000.0, 1000.0])
    np.float64(1000.6931471805599)
    >>> logsumexp([[0.0, np.nan], [-np.inf, -np.inf]], axis=1)
    array([ nan, -inf])
    """
    z, out_dtype = _along_last(x, axis, "x")
    _, zmax, _, _, rest, special = _split_max(z)
    result = zmax + np.log1p(rest)
    if special is not None:
        nan_rows, _, _ = _limit_rows(z, special)
        row_max = np.max(np.where(special, z, 0.0), axis=-1, keepdims=True)
        # +inf rows give +inf, all -inf rows give -inf: the row maximum itself.
        result = np.where(special, row_max, result)
        result[nan_rows] = np.nan
    result = np.moveaxis(result, -1, axis) if keepdims else result[..., 0]
    return result.astype(out_dtype, copy=False)[()]


@ignore_fp_errors
def softmax(x: ArrayLike, axis: int = -1) -> NDArray[np.floating]:
    r"""Softmax along ``axis``, with the maximum subtracted first.

    .. math::
        \operatorname{softmax}(x)_j = \frac{e^{x_j}}{\sum_i e^{x_i}}
        = \frac{e^{x_j - x_{\max}}}{\sum_i e^{x_i - x_{\max}}}, \quad x_{\max} = \max_i x_i

    Parameters
    ----------
    x : array_like
        Real input with at least one dimension.
    axis : int, optional
        Axis along which the outputs sum to one (default: the last).

    Returns
    -------
    ndarray
        Non-negative values summing to 1 along ``axis``; same shape and dtype as
        ``x``. Special rows follow the module's convention: a row holding NaN
        is all NaN; a row with one ``+inf`` is one-hot there (the limit); a row
        with two ``+inf`` or with every entry ``-inf`` is all NaN (no limit).

    Examples
    --------
    >>> softmax([1000.0, 1000.0, -1000.0])
    array([0.5, 0.5, 0. ])
    >>> softmax([[np.inf, 0.0, 0.0], [1.0, np.nan, 3.0]])
    array([[ 1.,  0.,  0.],
           [nan, nan, nan]])
    """
    z, out_dtype = _along_last(x, axis, "x")
    k, _, _, e, rest, special = _split_max(z)
    np.put_along_axis(e, k, 1.0, axis=-1)  # the maximum's own term, exp(0)
    probs = e / (1.0 + rest)
    if special is not None:
        nan_rows, inf_rows, n_pos_inf = _limit_rows(z, special)
        one_hot_at_inf = np.isposinf(z).astype(probs.dtype)
        probs = np.where(inf_rows & (n_pos_inf == 1), one_hot_at_inf, probs)
        undefined = nan_rows | (inf_rows & (n_pos_inf > 1)) | (special & ~inf_rows)
        probs = np.where(undefined, np.nan, probs)
    return np.moveaxis(probs, -1, axis).astype(out_dtype, copy=False)


@ignore_fp_errors
def log_softmax(x: ArrayLike, axis: int = -1) -> NDArray[np.floating]:
    r"""Logarithm of the softmax, accurate even where the softmax rounds to 1 or 0.

    .. math::
        \log \operatorname{softmax}(x)_j
        = (x_j - x_{\max}) - \log\Bigl(1 + \sum_{i \ne k} e^{x_i - x_{\max}}\Bigr)

    Parameters
    ----------
    x : array_like
        Real input with at least one dimension.
    axis : int, optional
        Axis of the classes (default: the last).

    Returns
    -------
    ndarray
        Same shape and dtype as ``x``; every value is <= 0 or NaN. Special rows
        follow :func:`softmax`: one ``+inf`` gives 0 there and ``-inf``
        elsewhere; NaN, two ``+inf`` or an all ``-inf`` row give NaN.

    Examples
    --------
    >>> log_softmax([0.0, -100.0])
    array([-3.72007598e-44, -1.00000000e+02])
    >>> log_softmax([np.inf, 0.0])
    array([  0., -inf])
    """
    z, out_dtype = _along_last(x, axis, "x")
    _, _, shifted, _, rest, special = _split_max(z)
    result = shifted - np.log1p(rest)
    if special is not None:
        nan_rows, inf_rows, n_pos_inf = _limit_rows(z, special)
        limit = np.where(np.isposinf(z), 0.0, -np.inf)
        result = np.where(inf_rows & (n_pos_inf == 1), limit, result)
        undefined = nan_rows | (inf_rows & (n_pos_inf > 1)) | (special & ~inf_rows)
        result = np.where(undefined, np.nan, result)
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
