"""Softmax cross-entropy: multi-class classification, with PyTorch's options.

Every variant is one formula. Row ``i`` of the logits, ``z``, is scored against
a non-negative *weighted target* row ``wt`` (one entry per class: the target
times its class weight) with total ``wt_total = sum_j wt_j``::

    loss = sum_j wt_j * (-log softmax(z)_j)
         = sum_j wt_j (zmax - z_j) + wt_total * log1p(rest)   non-negative terms only
    grad = wt_total * softmax(z) - wt

where ``zmax = z[k]`` is the row maximum, ``exps = exp(z - zmax)`` (so
``exps[k] = 1``) and ``rest = sum of exps[j] for j != k``. The options only
change ``wt``:

* a label ``y``: ``wt = onehot(y)``; with class weights ``omega``: ``wt = omega[y] * onehot(y)``;
* ``ignore_index``: ``wt = 0`` for that row;
* probability rows ``t``: ``wt = t``, with class weights ``wt = omega * t``;
* label smoothing ``eps``: the target becomes ``(1 - eps) * target + eps / C`` (times
  ``omega`` with class weights), exactly as in ``torch.nn.functional.cross_entropy``.

``log1p(rest)`` keeps the digits of a tiny loss where ``log(sum(exps))`` would
round it to 0, and the gradient at ``k`` is computed as
``(sum_{j != k} wt_j - wt_k * rest) / (1 + rest)``, so it never forms
``p_k - 1`` with ``p_k`` close to 1. The exponent ``z - zmax`` is at most 0, so
``exp`` never overflows.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._floating import ignore_fp_errors
from ._validation import (
    check_fraction,
    check_ignore_index,
    check_labels,
    check_logits,
    check_probability_targets,
    check_reduction,
    check_row_sums,
    check_weights,
)
from .losses import Loss, row_blocks

__all__ = ["SoftmaxCrossEntropy", "softmax_cross_entropy"]


def _label_rows(z, labels, row_weight, kept, smoothing, class_weight, others, grad, divisor):
    """Losses of one block of rows with integer labels; the block's gradient goes into ``grad``.

    ``row_weight`` (shape ``(n_rows,)``, or ``None`` for ones) is the weight of each
    row's label, 0 for an ignored row; ``kept`` (``None`` for all) marks the
    rows not ignored, which label smoothing spreads over. ``class_weight`` and
    ``others`` (its sum over every class but ``j``) are ``None`` without class
    weights. ``grad`` doubles as the work buffer: it holds ``z - zmax``, then
    ``exps``, then the gradient divided by ``divisor`` (if not ``None``), so a
    block touches two arrays only. Returns ``(losses, zmax)``.
    """
    n_rows, c = z.shape
    idx = np.arange(n_rows)
    k = z.argmax(axis=1)
    zmax = z[idx, k]
    exps = grad
    np.subtract(z, zmax[:, None], out=exps)  # z - zmax <= 0
    nll = zmax - z[idx, labels]  # -log p_y, less its log1p(rest) part: >= 0
    if smoothing:
        # sum_j omega_j (zmax - z_j): every term >= 0, so nothing cancels
        spread = -(exps @ class_weight) if class_weight is not None else -exps.sum(axis=1)
    np.exp(exps, out=exps)
    exps[idx, k] = 0.0  # leave the maximum's own term, exactly 1, out of the sum
    rest = exps.sum(axis=1)
    exps[idx, k] = 1.0
    p_scale = 1.0 / (1.0 + rest)  # so that p = exps * p_scale
    log1p_rest = np.log1p(rest)
    nll += log1p_rest

    label_w = np.ones(n_rows, z.dtype) if row_weight is None else row_weight
    if not smoothing:
        # p_y - 1 for the true class: -rest * p_scale if it is the maximum (no 1 - p_k),
        # else p_y - 1 with p_y <= 1/2, where the subtraction loses nothing.
        p_y_minus_1 = np.where(labels == k, -rest * p_scale, exps[idx, labels] * p_scale - 1.0)
        factor = label_w if divisor is None else label_w / divisor
        np.multiply(exps, (factor * p_scale)[:, None], out=grad)
        grad[idx, labels] = factor * p_y_minus_1
        # An ignored row costs 0, even if its nll is inf.
        return np.where(label_w == 0, 0.0, label_w * nll), zmax

    # Label smoothing: wt_j = label_w [j = y] + spread_w omega_j, with spread_w = eps / C on
    # every kept row.
    label_w = (1.0 - smoothing) * label_w
    spread_w = np.full(n_rows, smoothing / c, z.dtype) if kept is None else (smoothing / c) * kept
    omega_total = c if class_weight is None else float(class_weight.sum())
    wt_total = label_w + spread_w * omega_total
    omega_k = 1.0 if class_weight is None else class_weight[k]
    others_k = c - 1 if class_weight is None else others[k]
    wt_k = spread_w * omega_k + np.where(labels == k, label_w, 0.0)
    wt_others = spread_w * others_k + np.where(labels == k, 0.0, label_w)
    np.multiply(exps, (wt_total * p_scale)[:, None], out=grad)  # wt_total * p
    if class_weight is None:
        grad -= spread_w[:, None]
    else:
        grad -= spread_w[:, None] * class_weight
    grad[idx, labels] -= label_w
    grad[idx, k] = (wt_others - wt_k * rest) * p_scale
    if divisor is not None:
        grad /= divisor
    losses = label_w * nll + spread_w * (spread + omega_total * log1p_rest)
    return np.where(wt_total == 0, 0.0, losses), zmax


def _dense_rows(z, wt, grad, divisor, *, with_infinities=False):
    """Losses of one block of rows against weighted targets ``wt`` (shape ``(n_rows, C)``).

    The gradient, divided by ``divisor`` (if not ``None``), goes into ``grad``
    (which is also the work buffer). With
    ``with_infinities``, a product ``wt_j * (zmax - z_j)`` with ``wt_j = 0`` and an
    infinite logit counts as its limit, 0. Returns ``(losses, zmax)``.
    """
    n_rows = z.shape[0]
    idx = np.arange(n_rows)
    k = z.argmax(axis=1)
    zmax = z[idx, k]
    exps = grad
    np.subtract(z, zmax[:, None], out=exps)  # z - zmax <= 0
    if with_infinities:
        terms = wt * exps
        terms[wt == 0] = 0.0  # a masked class (z = -inf) with no target weight costs nothing
        hinge = -terms.sum(axis=1)
    else:
        hinge = -np.vecdot(wt, exps)  # sum_j wt_j (zmax - z_j): every term >= 0
    not_k = np.ones(wt.shape, dtype=bool)
    not_k[idx, k] = False
    wt_others = wt.sum(axis=1, where=not_k)  # summed directly: no cancellation in wt_total - wt_k
    wt_k = wt[idx, k]
    wt_total = wt_others + wt_k
    np.exp(exps, out=exps)
    exps[idx, k] = 0.0
    rest = exps.sum(axis=1)
    exps[idx, k] = 1.0
    p_scale = 1.0 / (1.0 + rest)
    np.multiply(exps, (wt_total * p_scale)[:, None], out=grad)  # wt_total * p
    grad -= wt
    grad[idx, k] = (wt_others - wt_k * rest) * p_scale
    if divisor is not None:
        grad /= divisor
    return hinge + wt_total * np.log1p(rest), zmax


def _finite_limit(z: NDArray, row_numbers: NDArray) -> NDArray:
    """Logits with the same softmax as ``z`` in the limit, and a finite maximum.

    A row holding one ``+inf`` puts all its probability there: that entry
    becomes 0 and the others ``-inf``. Rows whose softmax has no limit (two
    ``+inf``, or every entry ``-inf``) are refused; ``row_numbers`` are the rows'
    places in the batch, for the message.
    """
    n_pos_inf = np.count_nonzero(np.isposinf(z), axis=1)
    if (n_pos_inf > 1).any():
        i = int(np.flatnonzero(n_pos_inf > 1)[0])
        raise ValueError(
            f"row {row_numbers[i]} of the logits holds {n_pos_inf[i]} entries equal to +inf: "
            "their softmax, and so the loss's gradient, is undefined"
        )
    limit = np.where(np.isposinf(z), 0.0, -np.inf).astype(z.dtype)
    z = np.where((n_pos_inf == 1)[:, None], limit, z)
    dead = np.flatnonzero(np.isneginf(z).all(axis=1))
    if dead.size:
        raise ValueError(
            f"every logit of {dead.size} row(s) is -inf (first: row {row_numbers[dead[0]]}), "
            "so their softmax is undefined"
        )
    return z


def _dense_targets(labels, row_weight, kept, smoothing, class_weight, c, dtype):
    """The weighted targets ``wt`` of rows with integer labels, a dense ``(n_rows, C)`` array."""
    n_rows = labels.shape[0]
    label_w = np.ones(n_rows, dtype) if row_weight is None else row_weight
    keep = np.ones(n_rows, dtype) if kept is None else kept
    omega = np.ones(c, dtype) if class_weight is None else class_weight
    wt = (smoothing / c) * keep[:, None] * omega
    wt[np.arange(n_rows), labels] += (1.0 - smoothing) * label_w
    return wt


@ignore_fp_errors
def softmax_cross_entropy(
    logits: ArrayLike,
    targets: ArrayLike,
    *,
    weight: ArrayLike | None = None,
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
    reduction: str = "mean",
) -> tuple[NDArray[np.floating], NDArray[np.floating]]:
    r"""Softmax cross-entropy and its gradient, with the options of PyTorch's ``cross_entropy``.

    For a row of logits :math:`z \in \mathbb R^C` and a target distribution
    :math:`t` (one-hot for a label :math:`y`),

    .. math::
        \ell(z, t) = -\sum_j t_j \log \operatorname{softmax}(z)_j
                   = \log \sum_j e^{z_j} - \sum_j t_j z_j,
        \qquad \frac{\partial \ell}{\partial z} = \operatorname{softmax}(z) - t .

    Parameters
    ----------
    logits : array_like, shape (N, C)
        Raw scores. Integers are computed in float64, float16 in float32.
    targets : array_like
        Integer labels of shape ``(N,)`` in ``[0, C)``, or probability rows of
        shape ``(N, C)`` (one-hot or soft), each summing to 1.
    weight : array_like, shape (C,), optional
        Class weights :math:`\omega_j \ge 0`. Row ``i`` with label :math:`y_i`
        counts :math:`\omega_{y_i}` times; with probability rows, target
        :math:`t_j` counts :math:`\omega_j` times.
    ignore_index : int, optional
        Rows whose label equals it contribute nothing (loss 0, gradient 0), and
        ``"mean"`` does not count them. It may lie outside ``[0, C)``, as
        PyTorch's default ``-100`` does. Only for integer labels.
    label_smoothing : float, optional
        :math:`\varepsilon \in [0, 1]`: the target becomes
        :math:`(1 - \varepsilon)\, t + \varepsilon / C`.
    reduction : {"mean", "sum", "none"}, optional
        ``"mean"`` (default) divides the sum of the per-row losses by the number
        of rows, or, with integer labels, by the total weight
        :math:`\sum_i \omega_{y_i}` of the rows not ignored (PyTorch's rule: the
        mean is a weighted average). ``"sum"``: the sum. ``"none"``: the
        per-row losses, shape ``(N,)``.

    Returns
    -------
    loss : ndarray
        A scalar for ``"mean"`` and ``"sum"``, shape ``(N,)`` for ``"none"``, in
        the dtype of the logits.
    dlogits : ndarray, shape (N, C)
        :math:`\partial L / \partial z` of the returned (reduced) loss; for
        ``"none"``, row ``i`` is :math:`\partial \ell_i / \partial z_i`.

    Raises
    ------
    ValueError
        For NaN in the logits, labels out of range, targets that are not
        probability rows, weights that are negative or of the wrong shape, a
        row whose softmax is undefined (two ``+inf``, or all ``-inf``), and a
        ``"mean"`` over nothing (every row ignored or of weight 0; PyTorch returns
        NaN there).
    TypeError
        For non-numeric logits or non-integer labels.

    Notes
    -----
    A ``-inf`` logit masks its class: with target weight 0 it adds no loss and
    gets no gradient (with label smoothing every class has target weight
    :math:`\varepsilon/C > 0`, so a masked class makes the loss infinite, as in
    PyTorch). A row with one ``+inf`` logit has the one-hot softmax, its limit.

    The loss is accurate to a few units of rounding relative to its own size,
    at every finite logit; the gradient too, within what the conditioning of
    :math:`p - t` allows (chapter 3).

    Examples
    --------
    >>> loss, dlogits = softmax_cross_entropy([[2.0, 1.0, 0.1]], [0])
    >>> round(float(loss), 4)
    0.417
    >>> dlogits
    array([[-0.34099886,  0.24243297,  0.09856589]])

    Class weights, an ignored row and label smoothing, as in PyTorch:

    >>> logits = [[2.0, 1.0, 0.1], [0.5, 2.5, -1.0], [0.0, 0.0, 0.0]]
    >>> loss, _ = softmax_cross_entropy(
    ...     logits, [0, 1, -100], weight=[1.0, 2.0, 1.0], ignore_index=-100, label_smoothing=0.1
    ... )
    >>> round(float(loss), 6)
    0.346803
    """
    z, out_dtype = check_logits(logits, ndims=(2,))
    n, c = z.shape
    reduction = check_reduction(reduction)
    smoothing = check_fraction(label_smoothing, "label_smoothing")
    ignore_index = check_ignore_index(ignore_index)
    class_weight = check_weights(weight, {(c,): "one weight per class"}, z.dtype, "weight")
    target_array = np.asarray(targets)
    if target_array.ndim == 1:
        labels = check_labels(target_array, n, c, ignore_index)
        losses, grad = _from_labels(z, labels, ignore_index, class_weight, smoothing, reduction)
    elif target_array.ndim == 2:
        if ignore_index is not None:
            raise ValueError(
                "ignore_index applies to integer labels; these targets are probability rows "
                f"of shape {target_array.shape}: leave out the rows to ignore instead"
            )
        t = check_probability_targets(target_array, z.shape, z.dtype)
        check_row_sums(t)
        divisor = n if reduction == "mean" else None
        losses, grad = _from_probabilities(z, t, class_weight, smoothing, divisor)
    else:
        raise ValueError(
            f"targets must be integer labels of shape (N,) = ({n},) or probability rows "
            f"of shape (N, C) = {z.shape}; got shape {target_array.shape}"
        )
    grad = grad.astype(out_dtype, copy=False)
    if reduction == "none":
        return losses.astype(out_dtype, copy=False), grad
    total = losses.sum()
    if reduction == "mean":
        total = total / _mean_divisor(
            labels if target_array.ndim == 1 else None, n, ignore_index, class_weight
        )
    return out_dtype.type(total), grad


def _row_weights(labels, ignore_index, class_weight, dtype):
    """The labels with ignored ones replaced by 0, each row's label weight, the kept rows.

    The weights are ``None`` where they would all be 1.
    """
    row_weight, kept = None, None
    if ignore_index is not None:
        is_kept = labels != ignore_index
        labels = np.where(is_kept, labels, 0)  # any valid index: the row's weight is 0
        kept = is_kept.astype(dtype)
        row_weight = kept
    if class_weight is not None:
        label_weight = class_weight[labels]
        row_weight = label_weight if row_weight is None else row_weight * label_weight
    return labels, row_weight, kept


def _mean_divisor(labels, n, ignore_index, class_weight) -> float:
    """What ``"mean"`` divides by: N, or with labels the total weight of the rows kept."""
    if labels is None:
        return n
    _, row_weight, _ = _row_weights(labels, ignore_index, class_weight, np.dtype(np.float64))
    divisor = n if row_weight is None else float(row_weight.sum())
    if divisor == 0:
        raise ValueError(
            "reduction='mean' over no rows: every label is ignore_index or has class "
            "weight 0 (PyTorch returns nan here); use reduction='sum' for such a batch"
        )
    return divisor


def _from_labels(z, labels, ignore_index, class_weight, smoothing, reduction):
    """Per-row losses and the gradient of the reduced loss, for integer labels."""
    n, c = z.shape
    divisor = None
    if reduction == "mean":
        divisor = z.dtype.type(_mean_divisor(labels, n, ignore_index, class_weight))
    labels, row_weight, kept = _row_weights(labels, ignore_index, class_weight, z.dtype)
    others = None
    if class_weight is not None and smoothing:
        # sum of the class weights but omega_j, from running sums on each side: no cancellation
        before = np.concatenate(([0.0], np.cumsum(class_weight)[:-1]))
        after = np.concatenate((np.cumsum(class_weight[::-1])[::-1][1:], [0.0]))
        others = (before + after).astype(z.dtype)

    def part(array, rows):
        return None if array is None else array[rows]

    grad = np.empty_like(z)
    losses = np.empty(n, dtype=z.dtype)
    zmax = np.empty(n, dtype=z.dtype)
    for rows in row_blocks(n, c, z.itemsize):
        losses[rows], zmax[rows] = _label_rows(
            z[rows],
            labels[rows],
            part(row_weight, rows),
            part(kept, rows),
            smoothing,
            class_weight,
            others,
            grad[rows],
            divisor,
        )

    def dense(rows):
        weights, keep = part(row_weight, rows), part(kept, rows)
        return _dense_targets(labels[rows], weights, keep, smoothing, class_weight, c, z.dtype)

    _mend_special_rows(z, losses, grad, zmax, dense, divisor)
    return losses, grad


def _from_probabilities(z, t, class_weight, smoothing, divisor):
    """Per-row losses and the gradient of the reduced loss, for probability rows."""
    n, c = z.shape

    def dense(rows):
        wt = t[rows]
        if smoothing:
            wt = (1.0 - smoothing) * wt + smoothing / c
        if class_weight is not None:
            wt = wt * class_weight
        return wt

    grad = np.empty_like(z)
    losses = np.empty(n, dtype=z.dtype)
    zmax = np.empty(n, dtype=z.dtype)
    for rows in row_blocks(n, c, z.itemsize):
        losses[rows], zmax[rows] = _dense_rows(z[rows], dense(rows), grad[rows], divisor)
    _mend_special_rows(z, losses, grad, zmax, dense, divisor)
    return losses, grad


def _mend_special_rows(z, losses, grad, zmax, dense_targets, divisor):
    """Refuse NaN logits; recompute the rows with infinite logits as their limits.

    A row needs it when its maximum is infinite, or when its loss came out NaN
    from ``0 * inf`` (a target weight of 0 on a ``-inf`` logit).
    """
    nan_rows = np.isnan(zmax)  # argmax finds a NaN first, so a NaN anywhere in a row shows here
    if nan_rows.any():
        i = int(np.flatnonzero(nan_rows)[0])
        j = int(np.flatnonzero(np.isnan(z[i]))[0])
        raise ValueError(f"logits contain NaN, first at index ({i}, {j})")
    bad = np.flatnonzero(~np.isfinite(zmax) | np.isnan(losses))
    if bad.size == 0:
        return
    grad_bad = np.empty((bad.size, z.shape[1]), dtype=z.dtype)
    losses[bad], _ = _dense_rows(
        _finite_limit(z[bad], bad), dense_targets(bad), grad_bad, divisor, with_infinities=True
    )
    grad[bad] = grad_bad


class SoftmaxCrossEntropy(Loss):
    r"""Softmax cross-entropy as a layer: ``forward`` returns the loss, ``backward`` its gradient.

    A thin wrapper over :func:`softmax_cross_entropy` (see it for the formula
    and every option); it keeps the gradient between the two calls.

    Parameters
    ----------
    weight, ignore_index, label_smoothing, reduction
        As in :func:`softmax_cross_entropy`.

    Notes
    -----
    ``backward()`` returns the gradient of the **most recent** ``forward``, once.
    A loop that evaluates the validation set between the two calls gets the
    validation gradient: call :func:`softmax_cross_entropy` directly, which
    returns ``(loss, dlogits)`` together, whenever the two could be separated.

    Examples
    --------
    >>> loss_fn = SoftmaxCrossEntropy()
    >>> loss = loss_fn(np.array([[2.0, 1.0, 0.1]]), np.array([0]))
    >>> round(float(loss), 4)
    0.417
    >>> loss_fn.backward()
    array([[-0.34099886,  0.24243297,  0.09856589]])
    """

    def __init__(
        self,
        *,
        weight: ArrayLike | None = None,
        ignore_index: int | None = None,
        label_smoothing: float = 0.0,
        reduction: str = "mean",
    ) -> None:
        super().__init__(
            softmax_cross_entropy,
            reduction=check_reduction(reduction),
            weight=weight,
            ignore_index=check_ignore_index(ignore_index),
            label_smoothing=check_fraction(label_smoothing, "label_smoothing"),
        )
