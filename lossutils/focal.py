r"""Sigmoid focal loss (RetinaNet), accurate where the model is confident.

For a logit :math:`z`, a target :math:`t \in [0, 1]`, :math:`\sigma = \sigma(z)`
and :math:`\bar\sigma = \sigma(-z) = 1 - \sigma`, torchvision's definition is

.. math::
    \ell = \alpha_t \, q^\gamma \, \mathrm{ce}, \qquad
    q = 1 - p_t = \sigma (1 - t) + \bar\sigma t, \qquad
    \mathrm{ce} = t \operatorname{softplus}(-z) + (1 - t) \operatorname{softplus}(z),

with :math:`p_t = \sigma t + (1 - \sigma)(1 - t)` and
:math:`\alpha_t = \alpha t + (1 - \alpha)(1 - t)` (:math:`\alpha_t = 1` when
:math:`\alpha < 0`). Differentiating, with :math:`\sigma' = \sigma\bar\sigma`,

.. math::
    \frac{\partial q}{\partial z} = \sigma\bar\sigma (1 - 2t), \qquad
    \frac{\partial\,\mathrm{ce}}{\partial z} = \sigma - t, \qquad
    \frac{\partial \ell}{\partial z}
        = \alpha_t \, q^\gamma \left(\gamma \, r \, \mathrm{ce} + (\sigma - t)\right),
    \quad r = \frac{\partial q / \partial z}{q}.

How nothing is lost (the direct formula loses every digit once
:math:`\sigma` rounds to 1):

* :math:`\sigma` and :math:`\bar\sigma` are each computed from
  :math:`e^{-|z|}`, never as ``1 - sigmoid``; with :math:`A = \sigma (1 - t)`
  and :math:`B = \bar\sigma t` (both :math:`\ge 0`), :math:`q = A + B` and
  :math:`\sigma - t = A - B`: a sum of non-negative terms, and a difference
  that is exact for :math:`t \in \{0, 1\}` (one of the two is zero);
* ce is a sum of non-negative terms, each softplus written as
  :math:`\max(x, 0) + \operatorname{log1p}(e^{-|x|})`;
* :math:`r = (\bar\sigma A - \sigma B) / q` lies in :math:`[-1, 1]` and
  :math:`q^{\gamma-1}` is never formed, so :math:`\gamma < 1` cannot produce
  :math:`0 \cdot \infty` when :math:`q` underflows. For :math:`t = 1`,
  :math:`r = -\sigma` and the gradient is
  :math:`-\alpha_t \bar\sigma^\gamma (\gamma\sigma\,\mathrm{ce} + \bar\sigma)`:
  two terms of one sign, so nothing cancels (likewise for :math:`t = 0`).

Where :math:`q` underflows to 0 (only for :math:`t \in \{0, 1\}`), :math:`r`
is taken as 0: it is bounded and multiplied by :math:`q^\gamma = 0` (or by
:math:`\gamma = 0`), so any bounded value gives the limit.
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["sigmoid_focal_loss"]

_REDUCTIONS = ("mean", "elementwise_mean", "sum", "none")

# float16 is computed in float32 (too few digits for exp and log1p), integers in float64.
_COMPUTE_DTYPE = {
    np.dtype(np.float16): np.dtype(np.float32),
    np.dtype(np.float32): np.dtype(np.float32),
    np.dtype(np.float64): np.dtype(np.float64),
}


def _real_scalar(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__}")
    return float(value)


def _check_parameters(alpha, gamma, reduction) -> tuple[float, float]:
    alpha = _real_scalar(alpha, "alpha")
    gamma = _real_scalar(gamma, "gamma")
    if not (np.isfinite(gamma) and gamma >= 0):
        raise ValueError(f"gamma must be finite and >= 0; got {gamma!r}")
    if not (np.isfinite(alpha) and alpha <= 1):
        raise ValueError(
            f"alpha must be finite and <= 1 (a negative alpha turns the balance off); got {alpha!r}"
        )
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f"reduction must be one of {', '.join(repr(r) for r in _REDUCTIONS)}; got {reduction!r}"
        )
    return alpha, gamma


def _check_inputs(logits, targets) -> tuple[NDArray, NDArray, np.dtype]:
    """Logits ``(N,)`` or ``(N, C)`` in their compute dtype, targets of exactly that shape."""
    z = np.asarray(logits)
    if z.dtype in _COMPUTE_DTYPE:
        out_dtype = z.dtype
        z = z.astype(_COMPUTE_DTYPE[z.dtype], copy=False)
    elif z.dtype.kind in "iu":
        out_dtype = np.dtype(np.float64)
        z = z.astype(np.float64)
    else:
        raise TypeError(
            "logits must be a real numeric array (float16, float32, float64 or integer); "
            f"got an array of dtype {z.dtype} and shape {z.shape}"
        )
    if z.ndim not in (1, 2):
        raise ValueError(f"logits must be 1-D (N,) or 2-D (N, C); got shape {z.shape}")
    if z.size == 0:
        raise ValueError(f"logits must hold at least one sample and one class; got {z.shape}")
    if np.isnan(z).any():
        where = tuple(int(i) for i in np.argwhere(np.isnan(z))[0])
        raise ValueError(f"logits contain NaN, first at index {where}")

    t = np.asarray(targets)
    if t.dtype.kind not in "biuf":
        raise TypeError(
            f"targets must be a numeric array; got an array of dtype {t.dtype} and shape {t.shape}"
        )
    if t.shape != z.shape:
        raise ValueError(
            f"targets must have the shape of the logits, {z.shape}; got shape {t.shape}"
            " (shapes are never broadcast: reshape the targets explicitly)"
        )
    # Checked before the cast to the logits' dtype, which could round 1 + 1e-9 to 1
    # or overflow 1e300 to inf.
    outside = np.isnan(t) | (t < 0) | (t > 1)
    if outside.any():
        where = tuple(int(i) for i in np.argwhere(outside)[0])
        if np.isnan(t[where]):
            raise ValueError(f"targets contain NaN, first at index {where}")
        raise ValueError(
            f"targets must be probabilities in [0, 1]; got {float(t[where])!r} at index {where}"
        )
    return z, t.astype(z.dtype, copy=False), out_dtype


def _times(weight: NDArray, value: NDArray) -> NDArray:
    """``weight * value`` with ``0 * inf`` taken as 0: a zero weight removes a term."""
    return np.where(weight == 0, 0.0, weight * value).astype(value.dtype, copy=False)


def _focal_elements(z: NDArray, t: NDArray, alpha: float, gamma: float):
    """Loss and gradient of every element (see the module docstring for the formulas)."""
    e = np.exp(-np.abs(z))  # in (0, 1]: underflows harmlessly, never overflows
    big = 1.0 / (1.0 + e)  # sigma(|z|), in [1/2, 1]
    small = e * big  # sigma(-|z|), in [0, 1/2]: keeps its digits when tiny
    positive = z >= 0
    sig = np.where(positive, big, small)  # sigma(z)
    sig_bar = np.where(positive, small, big)  # sigma(-z), never 1 - sigma(z)

    log1p_e = np.log1p(e)
    softplus = np.maximum(z, 0) + log1p_e  # log(1 + e^z) = -log(1 - sigma(z))
    softplus_neg = np.maximum(-z, 0) + log1p_e  # log(1 + e^-z) = -log sigma(z)
    one_minus_t = 1 - t
    ce = _times(t, softplus_neg) + _times(one_minus_t, softplus)  # each term >= 0

    a_part = sig * one_minus_t  # A
    b_part = sig_bar * t  # B
    q = a_part + b_part  # 1 - p_t, without the subtraction
    # r = (dq/dz) / q in [-1, 1]; q = 0 only when A = B = 0, where any bounded r is exact.
    r = np.where(q > 0, (sig_bar * a_part - sig * b_part) / q, 0.0)
    r_ce = _times(r, ce)  # r = 0 exactly where ce is infinite (z = +-inf): the limit is 0
    q_gamma = q**gamma  # 0**0 = 1: gamma = 0 is plain cross-entropy

    loss = q_gamma * ce
    grad = q_gamma * (gamma * r_ce + (a_part - b_part))
    if alpha >= 0:
        alpha_t = alpha * t + (1 - alpha) * one_minus_t
        loss = _times(alpha_t, loss)
        grad = _times(alpha_t, grad)
    return loss, grad


def sigmoid_focal_loss(
    logits: ArrayLike,
    targets: ArrayLike,
    *,
    alpha: float = 0.25,
    gamma: float = 2.0,
    reduction: str = "mean",
) -> tuple[np.floating | NDArray[np.floating], NDArray[np.floating]]:
    r"""Sigmoid focal loss of Lin et al. (2017) and its gradient, accurate for every logit.

    Each element contributes, exactly as ``torchvision.ops.sigmoid_focal_loss``
    defines it,

    .. math::
        \ell(z, t) = -\alpha_t (1 - p_t)^\gamma \log p_t
                   = \alpha_t \, (1 - p_t)^\gamma \,
                     \mathrm{BCEWithLogits}(z, t),

    with :math:`p = \sigma(z)`, :math:`p_t = p t + (1 - p)(1 - t)` and
    :math:`\alpha_t = \alpha t + (1 - \alpha)(1 - t)`. Its derivative is

    .. math::
        \frac{\partial \ell}{\partial z} = \alpha_t (1 - p_t)^{\gamma - 1}
        \left(\gamma \, p (1 - p)(1 - 2t) \, \mathrm{BCE} + (1 - p_t)(p - t)\right).

    Parameters
    ----------
    logits : array_like
        Shape ``(N,)`` (one binary prediction per sample) or ``(N, C)``.
    targets : array_like
        Same shape, values in :math:`[0, 1]` (soft targets allowed; bool and
        integer arrays accepted). Never broadcast.
    alpha : float, optional
        Weight of the positive class, :math:`\alpha \le 1`; a negative value
        turns the balance off (:math:`\alpha_t = 1`), as in torchvision.
    gamma : float, optional
        Focusing exponent, :math:`\gamma \ge 0`; :math:`\gamma = 0` gives the
        :math:`\alpha`-weighted binary cross-entropy.
    reduction : {"mean", "elementwise_mean", "sum", "none"}, optional
        ``"mean"`` (default, the book's convention, as in
        ``sigmoid_cross_entropy``): sum over classes, average over samples.
        ``"elementwise_mean"``: average over all elements (torchvision's
        ``"mean"``). ``"sum"``: total. ``"none"``: the per-sample losses
        (summed over classes), shape ``(N,)``.

    Returns
    -------
    loss : scalar or ndarray
        The reduced loss (shape ``(N,)`` for ``"none"``), in the dtype of the
        logits (float16 computed in float32; integers in float64).
    dlogits : ndarray
        The gradient of the reduced loss, shape and dtype of the logits; for
        ``"none"``, row ``i`` is :math:`\partial \ell_i / \partial z_i`.

    Raises
    ------
    TypeError
        Non-numeric logits or targets, or non-real ``alpha``/``gamma``.
    ValueError
        Wrong shapes, NaN, targets outside :math:`[0, 1]`, ``gamma < 0``,
        ``alpha > 1``, non-finite parameters, an unknown reduction.

    Notes
    -----
    :math:`1 - p_t` is computed as :math:`\sigma(z)(1 - t) + \sigma(-z) t`,
    never as a subtraction, and the gradient as a sum of terms that do not
    cancel for :math:`t \in \{0, 1\}` (see :mod:`lossutils.focal`). So a
    confident correct prediction keeps its tiny loss: for :math:`z = 40`,
    :math:`t = 1` the loss is :math:`1.9 \times 10^{-53}`, where the direct formula
    gives 0. Results do not depend on ``np.seterr`` and no finite input warns.
    Infinite logits give the limits (``+inf`` on a target of 1 costs 0).

    Examples
    --------
    >>> loss, grad = sigmoid_focal_loss([[0.0, 2.0]], [[1.0, 0.0]])
    >>> round(float(loss), 6)
    1.28088
    >>> grad
    array([[-0.0745717,  0.8075353]])

    Where the model is confident and right, the loss keeps its digits:

    >>> loss, _ = sigmoid_focal_loss([40.0], [1.0], reduction="none")
    >>> print(f"{loss[0]:.6e}")
    1.916912e-53
    """
    alpha, gamma = _check_parameters(alpha, gamma, reduction)
    z, t, out_dtype = _check_inputs(logits, targets)
    with np.errstate(all="ignore"):  # underflow is expected and harmless; limits are mended
        loss, grad = _focal_elements(z, t, alpha, gamma)
        n = z.shape[0]
        per_sample = loss.reshape(n, -1).sum(axis=1)
        if reduction == "none":
            total = per_sample
        else:
            total = per_sample.sum()
            divisor = {"mean": n, "elementwise_mean": z.size, "sum": 1}[reduction]
            if divisor != 1:
                total = total / divisor
                grad = grad / divisor
    if reduction == "none":
        return total.astype(out_dtype, copy=False), grad.astype(out_dtype, copy=False)
    return out_dtype.type(total), grad.astype(out_dtype, copy=False)
