"""Numerical gradients by central differences, and a check against an analytic gradient.

In the spirit of CS231n's ``gradient_check.py``: two small functions that every
chapter reuses to confirm that a derived gradient is right.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["GradientCheck", "gradient_check", "numerical_gradient"]


def numerical_gradient(
    f: Callable[[NDArray[np.float64]], float], x: ArrayLike, step: float = 1e-5
) -> NDArray[np.float64]:
    r"""Gradient of a scalar function by central differences.

    .. math::
        \frac{\partial f}{\partial x_i}
        \approx \frac{f(x + \delta e_i) - f(x - \delta e_i)}{2\delta}

    The error is :math:`O(\delta^2)` from truncation plus about
    :math:`2u |f| / \delta` from rounding (:math:`u` the unit roundoff);
    ``step = 1e-5`` balances the two for float64 functions of moderate size.

    Parameters
    ----------
    f : callable
        Takes a float64 array shaped like ``x`` and returns a scalar. It is
        called ``2 * x.size`` times with a perturbed copy of ``x`` (never ``x``
        itself).
    x : array_like
        Point at which to differentiate.
    step : float, optional
        The step :math:`\delta`.

    Returns
    -------
    ndarray of float64
        Same shape as ``x``.

    Examples
    --------
    >>> numerical_gradient(lambda v: float(np.sum(v**2)), np.array([1.0, -2.0]))
    array([ 2., -4.])
    """
    if not step > 0:
        raise ValueError(f"step must be positive; got {step!r}")
    point = np.array(x, dtype=np.float64)  # a private copy we may perturb
    grad = np.empty_like(point)
    for i in np.ndindex(point.shape):
        original = point[i]
        point[i] = original + step
        f_plus = float(f(point))
        point[i] = original - step
        f_minus = float(f(point))
        point[i] = original
        grad[i] = (f_plus - f_minus) / (2 * step)
    return grad


class GradientCheck(NamedTuple):
    """Result of :func:`gradient_check`: the worst element and its relative error.

    Attributes
    ----------
    max_rel_error : float
        The largest relative error over all elements.
    index : tuple of int
        Where it occurs.
    analytic, numerical : float
        The two gradients at that index.

    Examples
    --------
    >>> print(GradientCheck(2.5e-11, (0, 1), 0.25, 0.25000000001))
    max relative error 2.50e-11 at index (0, 1) (analytic 0.25, numerical 0.25)
    """

    max_rel_error: float
    index: tuple[int, ...]
    analytic: float
    numerical: float

    def __str__(self) -> str:
        return (
            f"max relative error {self.max_rel_error:.2e} at index {self.index} "
            f"(analytic {self.analytic:.8g}, numerical {self.numerical:.8g})"
        )


def gradient_check(
    f: Callable[[NDArray[np.float64]], float],
    x: ArrayLike,
    analytic: ArrayLike,
    step: float = 1e-5,
    floor: float = 1e-8,
) -> GradientCheck:
    r"""Compare an analytic gradient with central differences, element by element.

    .. math::
        \text{rel}_i = \frac{|a_i - n_i|}{\max(|a_i| + |n_i|, \text{floor})}

    For float64 code of moderate size a correct gradient typically gives a
    maximum below :math:`10^{-7}`; the rounding error of the differences grows
    with the size of ``f`` (a sum over many points) and where the true slope is
    tiny, so check a large sum point by point. A wrong gradient gives what its
    error gives: a wrong sign 1, a factor 2 about 0.33, a 0.01% error 5e-5.

    Parameters
    ----------
    f : callable
        Scalar function of an array shaped like ``x``.
    x : array_like
        Point of the check.
    analytic : array_like
        The gradient to check, same shape as ``x``.
    step : float, optional
        The step :math:`\delta` of :func:`numerical_gradient`.
    floor : float, optional
        Lower bound of the denominator, so two tiny values are not compared
        relatively.

    Returns
    -------
    GradientCheck
        ``max_rel_error``, its ``index`` and both values there.

    Examples
    --------
    >>> x = np.array([1.0, -2.0])
    >>> gradient_check(lambda v: float(np.sum(v**2)), x, 2 * x).max_rel_error < 1e-9
    True
    """
    a = np.asarray(analytic, dtype=np.float64)
    x = np.asarray(x)
    if a.shape != x.shape:
        raise ValueError(
            f"analytic gradient must have the shape of x, {x.shape}; got shape {a.shape}"
        )
    n = numerical_gradient(f, x, step)
    rel = np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), floor)
    if a.size == 0:
        return GradientCheck(0.0, (), 0.0, 0.0)
    i = np.unravel_index(np.argmax(rel), rel.shape)
    index = tuple(int(j) for j in i)
    return GradientCheck(float(rel[i]), index, float(a[i]), float(n[i]))
