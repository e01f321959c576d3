r"""Margin-based softmax losses for metric learning: AM-Softmax (CosFace) and ArcFace.

Both normalise the features :math:`x_i` (rows of ``x``) and the class centres
:math:`w_j` (columns of ``weight``), so that the logits depend on angles only:

.. math::
    \cos\theta_{ij} = \hat x_i \cdot \hat w_j, \qquad
    \hat x_i = \frac{x_i}{\lVert x_i \rVert}, \quad \hat w_j = \frac{w_j}{\lVert w_j \rVert},

then give every class the logit :math:`s \cos\theta_{ij}` except the target
class :math:`y_i`, which gets :math:`s\,\varphi(\cos\theta_{i y_i})`, a smaller
number, and average the softmax cross-entropy over the batch:

* AM-Softmax / CosFace (Wang et al. 2018): :math:`\varphi(c) = c - m`;
* ArcFace (Deng et al. 2019): :math:`\varphi(c) = \cos(\theta + m)
  = c \cos m - \sin\theta \sin m` while :math:`\theta + m < \pi`, that is
  :math:`c > \cos(\pi - m)`; from there on, where :math:`\cos(\theta + m)` would
  rise again, insightface's fallback :math:`\varphi(c) = c - m \sin m`. With
  ``easy_margin`` the margin applies only where :math:`c > 0`
  (:math:`\varphi(c) = c` elsewhere).

The backward pass, by the chain rule through each step:

1. softmax cross-entropy: :math:`g_{ij} = \partial L / \partial z_{ij}`
   (:math:`(p_{ij} - [j = y_i]) / N`);
2. the logits: :math:`\partial L / \partial \cos\theta_{ij} = s\, g_{ij}`, times
   :math:`\varphi'(c)` for the target class;
3. the cosines, :math:`C = \hat X \hat W`: :math:`\partial L / \partial \hat X = G \hat W^\top`,
   :math:`\partial L / \partial \hat W = \hat X^\top G`;
4. each normalisation :math:`u = v / \lVert v \rVert`:
   :math:`\partial L / \partial v = (I - u u^\top)\, (\partial L / \partial u) / \lVert v \rVert`,
   the component along :math:`u` removed (scaling :math:`v` does not change :math:`u`).

For ArcFace's main branch, with :math:`\sin\theta = \sqrt{1 - c^2}`,

.. math::
    \varphi'(c) = \cos m + \sin m \, \frac{c}{\sin\theta}
    \qquad \Bigl(= \frac{\sin(\theta + m)}{\sin\theta}\Bigr),

which grows without bound as :math:`c \to 1`. The gradient with respect to
:math:`x` stays bounded all the same (near :math:`\theta = 0`,
:math:`\varphi \approx \cos m - \theta \sin m`: a finite slope in the angle),
because step 4 multiplies by the part of :math:`\hat w_y`
orthogonal to :math:`\hat x`, :math:`p = \hat w_y - c \hat x`, of norm
:math:`\sin\theta`. So this module never divides by :math:`\sin\theta`: the
bounded part :math:`\cos m` goes through steps 3 and 4 with the other classes,
and the rest is added after step 4 as
:math:`s\, g_{iy} \sin m \; c \; p / \lVert p \rVert` (and likewise for
:math:`w_y`). :math:`\sin\theta` itself is :math:`\lVert p \rVert`, which keeps its
digits when :math:`\theta` is small, unlike :math:`\sqrt{1 - c^2}`. At exact
alignment (:math:`p = 0`), where the ArcFace logit has a kink and no gradient,
the unit vector is taken as 0 (an element of its generalised gradient): no
input gives NaN.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import check_labels, check_positive_int
from .modules import Module, Parameter
from .softmax_ce import softmax_cross_entropy

__all__ = ["AMSoftmaxLoss", "ArcFaceLoss", "am_softmax_logits", "arcface_logits"]


# -- checks --------------------------------------------------------------------------------


def _real(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__}")
    return float(value)


def _check_scale(scale) -> float:
    scale = _real(scale, "scale")
    if not (np.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be finite and > 0; got {scale!r}")
    return scale


def _check_margin(margin, *, upper: float | None) -> float:
    margin = _real(margin, "margin")
    if upper is None:
        if not (np.isfinite(margin) and margin >= 0):
            raise ValueError(f"margin must be finite and >= 0; got {margin!r}")
    elif not (0 <= margin < upper):
        raise ValueError(f"margin must be in [0, pi/2) (radians); got {margin!r}")
    return margin


def _check_logit_range(scale: float, margin: float) -> None:
    """Every logit lies in [-s (1 + m), s]: make sure that range is finite."""
    if not np.isfinite(scale * (1 + margin)):
        raise ValueError(
            f"scale * (1 + margin) must be finite so that every logit is; "
            f"got scale = {scale!r}, margin = {margin!r}"
        )


def _check_easy_margin(easy_margin) -> bool:
    if not isinstance(easy_margin, (bool, np.bool_)):
        raise TypeError(f"easy_margin must be True or False; got {type(easy_margin).__name__}")
    return bool(easy_margin)


def _check_finite_matrix(a, name: str, dtype, shape_text: str, columns: int | None):
    """A 2-D real array with ``columns`` columns (any number if None), all finite."""
    arr = np.asarray(a)
    if arr.dtype.kind not in "iuf":
        raise TypeError(
            f"{name} must be a real numeric array; got an array of dtype {arr.dtype} "
            f"and shape {arr.shape}"
        )
    if arr.ndim != 2 or arr.shape[0] == 0 or (columns is not None and arr.shape[1] != columns):
        raise ValueError(f"{name} must have shape {shape_text} with N >= 1; got {arr.shape}")
    arr = arr.astype(dtype, copy=False)
    bad = ~np.isfinite(arr)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{name} must be finite; got {float(arr[where])} at index {where}")
    return arr


def _check_cos(cos, labels):
    c = _check_finite_matrix(cos, "cos", np.float64, "(N, C)", None)
    outside = np.flatnonzero(np.abs(c).max(axis=1) > 1)
    if outside.size:
        i = int(outside[0])
        raise ValueError(
            f"cos must hold cosines in [-1, 1]; row {i} holds {float(np.abs(c[i]).max()):.17g}"
            " (clip cosines computed with rounding error)"
        )
    return c, check_labels(labels, c.shape[0], c.shape[1])


# -- the target logit ------------------------------------------------------------------------


def _arcface_target(c, sin_theta, margin: float, easy_margin: bool):
    r"""ArcFace's :math:`\varphi(c)` and its derivative, split as ``slope + kink / sin(theta)``.

    Returns ``(phi, slope, kink)``: on the main branch
    :math:`\varphi' = \cos m + (\sin m \, c) / \sin\theta`, so ``slope = cos m``
    and ``kink = sin m * c``; on the fallback branches ``slope = 1``, ``kink = 0``.
    """
    cos_m, sin_m = math.cos(margin), math.sin(margin)
    if easy_margin:
        main = c > 0
        fallback = c
    else:
        # theta + m < pi  <=>  c > cos(pi - m); the constants as insightface computes them.
        main = c > math.cos(math.pi - margin)
        fallback = c - math.sin(math.pi - margin) * margin  # c - m sin m
    phi = np.where(main, c * cos_m - sin_theta * sin_m, fallback)
    slope = np.where(main, cos_m, 1.0)
    kink = np.where(main, sin_m * c, 0.0)
    return phi, slope, kink


def _with_target(cos, labels, target, scale: float):
    """``scale * cos`` with the target entries replaced by ``scale * target``."""
    z = scale * cos
    z[np.arange(cos.shape[0]), labels] = scale * target
    return z


def am_softmax_logits(
    cos: ArrayLike, labels: ArrayLike, scale: float = 30.0, margin: float = 0.35
) -> NDArray[np.float64]:
    r"""AM-Softmax / CosFace logits from cosines.

    The target class gets :math:`s(\cos\theta_y - m)`, every other class
    :math:`s\cos\theta_j`.

    Parameters
    ----------
    cos : array_like
        Cosines :math:`\cos\theta_{ij} \in [-1, 1]`, shape ``(N, C)``.
    labels : array_like of int
        Target classes, shape ``(N,)``.
    scale, margin : float, optional
        :math:`s > 0` and :math:`m \ge 0`.

    Returns
    -------
    ndarray of float64
        The logits, shape ``(N, C)``.

    Examples
    --------
    >>> am_softmax_logits([[0.9, 0.1]], [0], scale=10.0, margin=0.35)
    array([[5.5, 1. ]])
    """
    scale, margin = _check_scale(scale), _check_margin(margin, upper=None)
    _check_logit_range(scale, margin)
    c, y = _check_cos(cos, labels)
    return _with_target(c, y, c[np.arange(c.shape[0]), y] - margin, scale)


def arcface_logits(
    cos: ArrayLike,
    labels: ArrayLike,
    scale: float = 64.0,
    margin: float = 0.5,
    easy_margin: bool = False,
) -> NDArray[np.float64]:
    r"""ArcFace logits from cosines.

    The target class gets :math:`s\,\varphi(\cos\theta_y)`, every other class
    :math:`s\cos\theta_j`, with :math:`\varphi(\cos\theta) = \cos(\theta + m)`
    as long as :math:`\theta + m \le \pi`:

    .. math::
        \varphi(c) = \begin{cases}
            c \cos m - \sqrt{1 - c^2}\, \sin m & c > \cos(\pi - m)
                \quad (\theta + m < \pi) \\
            c - m \sin m & \text{otherwise (insightface's fallback)}
        \end{cases}

    With ``easy_margin``: the first line where :math:`c > 0`, and
    :math:`\varphi(c) = c` elsewhere. Note the jump at the threshold: the
    first line gives :math:`-1` there, the fallback :math:`-\cos m - m \sin m`.

    Parameters
    ----------
    cos : array_like
        Cosines in :math:`[-1, 1]`, shape ``(N, C)``.
    labels : array_like of int
        Target classes, shape ``(N,)``.
    scale : float, optional
        :math:`s > 0`.
    margin : float, optional
        :math:`m \in [0, \pi/2)`, in radians.
    easy_margin : bool, optional
        Apply the margin only where :math:`\cos\theta_y > 0`.

    Returns
    -------
    ndarray of float64
        The logits, shape ``(N, C)``.

    Notes
    -----
    From a cosine alone :math:`\sin\theta` is computed as
    :math:`\sqrt{(1 - c)(1 + c)}`; :class:`ArcFaceLoss` computes it from the
    vectors instead, which is more accurate for small angles.

    Examples
    --------
    >>> import math
    >>> z = arcface_logits([[math.cos(1.0), 0.0]], [0], scale=2.0, margin=0.5)
    >>> bool(np.isclose(z[0, 0], 2 * math.cos(1.5)))
    True
    >>> arcface_logits([[-0.95, 0.0]], [0], scale=1.0, margin=0.5)  # theta + m > pi
    array([[-1.18971277,  0.        ]])
    """
    scale = _check_scale(scale)
    margin = _check_margin(margin, upper=math.pi / 2)
    _check_logit_range(scale, margin)
    easy_margin = _check_easy_margin(easy_margin)
    c, y = _check_cos(cos, labels)
    c_y = c[np.arange(c.shape[0]), y]
    sin_theta = np.sqrt((1 - c_y) * (1 + c_y))  # (1 - c) is exact for c >= 1/2
    phi, _, _ = _arcface_target(c_y, sin_theta, margin, easy_margin)
    return _with_target(c, y, phi, scale)


# -- the layers ---------------------------------------------------------------------------------


def _normalise(v: NDArray, axis: int, name: str, what: str):
    """``(v / ||v||, ||v||)`` along ``axis``, without overflow or underflow in the norm.

    Each vector is divided by its largest magnitude first, so squaring neither
    overflows (``1e200``) nor underflows (``1e-200``). A zero vector has no
    direction: ValueError.
    """
    biggest = np.abs(v).max(axis=axis, keepdims=True)
    zero = np.flatnonzero(biggest == 0)
    if zero.size:
        raise ValueError(
            f"{what} {int(zero[0])} of {name} has norm 0, so it has no direction to normalise"
            f" ({zero.size} such {what}{'s' if zero.size > 1 else ''})"
        )
    scaled = v / biggest
    length = np.sqrt(np.sum(scaled * scaled, axis=axis, keepdims=True))
    return scaled / length, biggest * length


class _MarginSoftmaxLoss(Module):
    """What AM-Softmax and ArcFace share: normalisations, cosines, cross-entropy, backward.

    A subclass defines ``_target(c, sin_theta) -> (phi, slope, kink)``: the target
    cosine's margin function and its derivative ``slope + kink / sin(theta)``.
    """

    def __init__(
        self,
        in_features: int,
        num_classes: int,
        *,
        scale: float,
        rng: np.random.Generator | None,
    ) -> None:
        in_features = check_positive_int(in_features, "in_features")
        num_classes = check_positive_int(num_classes, "num_classes")
        if rng is None:
            rng = np.random.default_rng()  # fresh entropy: two layers differ
        elif not isinstance(rng, np.random.Generator):
            raise TypeError(
                f"rng must be a numpy.random.Generator or None; got {type(rng).__name__}"
            )
        self.scale = _check_scale(scale)
        # As a Linear layer of the same shape: N(0, 1/in_features). Only directions matter.
        self.weight = Parameter(
            rng.normal(0.0, 1.0 / math.sqrt(in_features), size=(in_features, num_classes))
        )
        self._saved: dict | None = None
        self._handed_over = False

    def _target(self, c: NDArray, sin_theta: NDArray):
        raise NotImplementedError

    def _compute(self, x: ArrayLike, labels: ArrayLike) -> dict:
        """Everything from the inputs to the logits, kept for ``backward``."""
        w = self.weight.data
        in_features, num_classes = w.shape
        dtype = w.dtype
        x = _check_finite_matrix(
            x, "x", dtype, f"(N, in_features) = (N, {in_features})", in_features
        )
        y = check_labels(labels, x.shape[0], num_classes)
        if not np.isfinite(w).all():
            raise ValueError("weight contains NaN or inf: the training has diverged")
        with np.errstate(all="ignore"):
            x_hat, x_norm = _normalise(x, 1, "x", "row")
            w_hat, w_norm = _normalise(w, 0, "weight", "column")
            cos = x_hat @ w_hat
            rows = np.arange(x.shape[0])
            c_y = cos[rows, y]
            w_y = w_hat[:, y].T  # (N, D): the target centre of each sample
            p = w_y - c_y[:, None] * x_hat  # part of w_y orthogonal to x_hat
            sin_theta = np.sqrt(np.sum(p * p, axis=1))  # = sin(theta_y), accurate near 0
            phi, slope, kink = self._target(c_y, sin_theta)
            z = _with_target(cos, y, phi, self.scale)  # finite: checked at construction
        return {
            "x_hat": x_hat,
            "x_norm": x_norm,
            "w_hat": w_hat,
            "w_norm": w_norm,
            "labels": y,
            "cos": cos,
            "c_y": c_y,
            "w_y": w_y,
            "p": p,
            "sin_theta": sin_theta,
            "slope": slope,
            "kink": kink,
            "logits": z,
        }

    def logits(self, x: ArrayLike, labels: ArrayLike) -> tuple[NDArray, NDArray]:
        r"""The margin logits and the cosines for ``x`` and ``labels``; nothing is kept.

        Returns
        -------
        logits, cos : ndarray
            Both of shape ``(N, num_classes)``: ``logits`` are what the softmax
            cross-entropy sees, ``cos`` the cosines :math:`\hat x_i \cdot \hat w_j`.

        Examples
        --------
        >>> loss_fn = ArcFaceLoss(2, 2, scale=4.0, margin=0.5)
        >>> loss_fn.weight.data = np.array([[1.0, 0.0], [0.0, 1.0]])
        >>> logits, cos = loss_fn.logits(np.array([[1.0, 1.0]]), np.array([0]))
        >>> cos.round(6)
        array([[0.707107, 0.707107]])
        >>> bool(np.isclose(logits[0, 0], 4.0 * np.cos(np.pi / 4 + 0.5)))
        True
        """
        saved = self._compute(x, labels)
        return saved["logits"], saved["cos"]

    def forward(self, x: ArrayLike, labels: ArrayLike):
        """Mean softmax cross-entropy of the margin logits of ``x`` ``(N, in_features)``.

        Keeps what :meth:`backward` needs, replacing anything kept before.
        """
        saved = self._compute(x, labels)
        loss, saved["dlogits"] = softmax_cross_entropy(saved["logits"], saved["labels"])
        self._saved, self._handed_over = saved, False
        return loss

    def backward(self) -> NDArray:
        r"""Return the gradient of the last loss with respect to ``x``; add the weight's.

        Returns :math:`\partial L/\partial x`, shape of ``x``, and adds
        :math:`\partial L/\partial W` to ``weight.grad``. May be called once per
        :meth:`forward` (a second call would add the weight gradient twice).

        Raises
        ------
        RuntimeError
            If there was no ``forward`` since the last ``backward``.
        """
        if self._saved is None:
            name = type(self).__name__
            if self._handed_over:
                raise RuntimeError(
                    f"{name}.backward() was already called for the last forward(); "
                    "call forward() again for a new gradient"
                )
            raise RuntimeError(
                f"{name}.backward() called before forward(): call forward(x, labels) first"
            )
        s, self._saved, self._handed_over = self._saved, None, True
        y = s["labels"]
        rows = np.arange(y.size)
        with np.errstate(all="ignore"):
            # dL/dcos divided by the scale s: every entry is at most 1 in size, so nothing
            # below overflows; s and the norms are applied last, to finite numbers.
            g = s["dlogits"].copy()
            g_target = g[rows, y].copy()
            g[rows, y] = g_target * s["slope"]  # the bounded part of phi'(c)

            # Steps 3 and 4: through the cosines and the two normalisations.
            x_hat, w_hat = s["x_hat"], s["w_hat"]
            dx_hat = g @ w_hat.T
            dx = dx_hat - x_hat * np.sum(x_hat * dx_hat, axis=1, keepdims=True)
            dw_hat = x_hat.T @ g
            dw = dw_hat - w_hat * np.sum(w_hat * dw_hat, axis=0, keepdims=True)

            # ArcFace's kink / sin(theta) part, after the projection: along the unit
            # vectors p / |p| and q / |q| (|p| = |q| = sin theta), so nothing is divided
            # by a vanishing sin(theta).
            h = g_target * s["kink"]
            if np.any(h != 0):
                dx += h[:, None] * _unit_or_zero(s["p"], s["sin_theta"])
                q = x_hat - s["c_y"][:, None] * s["w_y"]
                q_unit = _unit_or_zero(q, np.sqrt(np.sum(q * q, axis=1)))
                np.add.at(dw.T, y, h[:, None] * q_unit)
            # Finite times finite, then divided by a positive norm: at worst inf, never NaN.
            dx = (self.scale * dx) / s["x_norm"]
            dw = (self.scale * dw) / s["w_norm"]
        self.weight.grad += dw
        return dx


def _unit_or_zero(v: NDArray, length: NDArray) -> NDArray:
    """Rows of ``v`` divided by ``length``; a zero row stays zero (no direction: no 0/0)."""
    safe = np.where(length > 0, length, 1.0)
    return np.where((length > 0)[:, None], v / safe[:, None], 0.0)


class AMSoftmaxLoss(_MarginSoftmaxLoss):
    r"""AM-Softmax / CosFace loss: cosine logits with an additive cosine margin.

    .. math::
        L = -\frac1N \sum_i \log
            \frac{e^{s(\cos\theta_{i y_i} - m)}}
                 {e^{s(\cos\theta_{i y_i} - m)} + \sum_{j \ne y_i} e^{s \cos\theta_{ij}}},
        \qquad \cos\theta_{ij} = \frac{x_i \cdot w_j}{\lVert x_i\rVert\,\lVert w_j\rVert}.

    Parameters
    ----------
    in_features : int
        Dimension :math:`D` of the features.
    num_classes : int
        Number of classes :math:`C`.
    scale : float, optional
        :math:`s > 0`, the inverse temperature of the cosine logits.
    margin : float, optional
        :math:`m \ge 0`, subtracted from the target cosine.
    rng : numpy.random.Generator, optional
        Source of the initial weights, :math:`\mathcal N(0, 1/D)` as for a
        linear layer; without it, fresh entropy (two layers differ).

    Attributes
    ----------
    weight : Parameter
        Shape ``(in_features, num_classes)``; column :math:`j` is the centre of
        class :math:`j` (only its direction matters).

    Notes
    -----
    ``forward(x, labels)`` returns the mean loss; ``backward()`` returns
    :math:`\partial L/\partial x` and adds :math:`\partial L/\partial W` to
    ``weight.grad``; the derivation is in :mod:`lossutils.margin`.

    Examples
    --------
    >>> loss_fn = AMSoftmaxLoss(2, 3, scale=10.0, margin=0.2, rng=np.random.default_rng(0))
    >>> x = np.array([[1.0, 0.5], [-0.3, 2.0]])
    >>> loss = loss_fn(x, np.array([0, 2]))
    >>> dx = loss_fn.backward()
    >>> dx.shape, loss_fn.weight.grad.shape
    ((2, 2), (2, 3))
    >>> logits, cos = loss_fn.logits(x, np.array([0, 2]))
    >>> bool(np.isclose(logits[0, 0], 10.0 * (cos[0, 0] - 0.2)))
    True
    """

    def __init__(
        self,
        in_features: int,
        num_classes: int,
        *,
        scale: float = 30.0,
        margin: float = 0.35,
        rng: np.random.Generator | None = None,
    ) -> None:
        super().__init__(in_features, num_classes, scale=scale, rng=rng)
        self.margin = _check_margin(margin, upper=None)
        _check_logit_range(self.scale, self.margin)

    def _target(self, c, sin_theta):
        return c - self.margin, np.ones_like(c), np.zeros_like(c)


class ArcFaceLoss(_MarginSoftmaxLoss):
    r"""ArcFace loss: cosine logits with an additive angular margin.

    The target logit is :math:`s\,\varphi(\cos\theta_{iy_i})` and the others
    :math:`s\cos\theta_{ij}`, with :math:`\varphi(c) = \cos(\theta + m)` where
    :math:`\theta + m \le \pi` and insightface's fallback :math:`c - m \sin m`
    beyond (see :func:`arcface_logits`); the loss is the mean softmax
    cross-entropy.

    Parameters
    ----------
    in_features : int
        Dimension :math:`D` of the features.
    num_classes : int
        Number of classes :math:`C`.
    scale : float, optional
        :math:`s > 0`.
    margin : float, optional
        :math:`m \in [0, \pi/2)`, added to the target angle (radians).
    easy_margin : bool, optional
        Apply the margin only where :math:`\cos\theta_y > 0`
        (:math:`\varphi(c) = c` elsewhere).
    rng : numpy.random.Generator, optional
        Source of the initial weights, :math:`\mathcal N(0, 1/D)`; without it,
        fresh entropy.

    Attributes
    ----------
    weight : Parameter
        Shape ``(in_features, num_classes)``; column :math:`j` is the centre of
        class :math:`j`.

    Notes
    -----
    On the main branch :math:`\varphi'(c) = \cos m + \sin m \; c / \sin\theta`,
    unbounded as :math:`\theta \to 0`; the backward pass never forms it (see
    :mod:`lossutils.margin`), so the gradient stays finite and accurate near
    :math:`\theta = 0`. At :math:`\theta = 0` exactly (``x`` parallel to its
    class centre) the loss has a kink and no gradient; ``backward`` then
    returns a subgradient, with the true class's part of the pull set to 0.

    Examples
    --------
    >>> loss_fn = ArcFaceLoss(3, 4, scale=16.0, margin=0.5, rng=np.random.default_rng(0))
    >>> x = np.random.default_rng(1).normal(size=(5, 3))
    >>> loss = loss_fn(x, np.array([0, 1, 2, 3, 0]))
    >>> bool(loss > 0)
    True
    >>> loss_fn.backward().shape
    (5, 3)
    """

    def __init__(
        self,
        in_features: int,
        num_classes: int,
        *,
        scale: float = 64.0,
        margin: float = 0.5,
        easy_margin: bool = False,
        rng: np.random.Generator | None = None,
    ) -> None:
        super().__init__(in_features, num_classes, scale=scale, rng=rng)
        self.margin = _check_margin(margin, upper=math.pi / 2)
        _check_logit_range(self.scale, self.margin)
        self.easy_margin = _check_easy_margin(easy_margin)

    def _target(self, c, sin_theta):
        return _arcface_target(c, sin_theta, self.margin, self.easy_margin)
