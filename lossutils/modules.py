"""The smallest model API the loss layers need: parameters, modules, a linear layer.

A :class:`Parameter` is an array with a gradient beside it. A :class:`Module`
finds its parameters by looking at its own attributes, the way
``micrograd`` and PyTorch do, so weight decay can be applied to "all the
parameters of this model" without listing them by hand.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["Linear", "Module", "Parameter"]


class Parameter:
    """A trainable array and the gradient of the loss with respect to it.

    Parameters
    ----------
    data : array_like
        Initial value; stored as a float64 array (a copy).

    Attributes
    ----------
    data : ndarray
        The current value.
    grad : ndarray
        The accumulated gradient, same shape; backward passes *add* to it,
        :meth:`zero_grad` resets it.

    Examples
    --------
    >>> w = Parameter([[1.0, -2.0]])
    >>> w.grad
    array([[0., 0.]])
    """

    def __init__(self, data: ArrayLike) -> None:
        self.data = np.array(data, dtype=np.float64)
        self.grad = np.zeros_like(self.data)

    def zero_grad(self) -> None:
        """Set the gradient to zero, in place."""
        self.grad.fill(0.0)

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape})"


class Module:
    """Base class for anything that owns parameters.

    Subclasses store :class:`Parameter` objects (or other modules) as
    attributes; :meth:`parameters` finds them.

    Examples
    --------
    >>> class Scale(Module):
    ...     def __init__(self):
    ...         self.factor = Parameter([2.0])
    >>> Scale().parameters()
    [Parameter(shape=(1,))]
    """

    def parameters(self) -> list[Parameter]:
        """Every parameter of this module and of the modules it holds, each once."""
        seen: dict[int, Parameter] = {}
        for p in self._walk():
            seen.setdefault(id(p), p)
        return list(seen.values())

    def _walk(self) -> Iterator[Parameter]:
        for value in vars(self).values():
            if isinstance(value, Parameter):
                yield value
            elif isinstance(value, Module):
                yield from value._walk()
            elif isinstance(value, (list, tuple)):
                for item in value:
                    if isinstance(item, Parameter):
                        yield item
                    elif isinstance(item, Module):
                        yield from item._walk()

    def zero_grad(self) -> None:
        """Reset the gradient of every parameter to zero."""
        for p in self.parameters():
            p.zero_grad()


class Linear(Module):
    r"""An affine layer, :math:`z = x W + b`, with forward and backward.

    Parameters
    ----------
    in_features, out_features : int
        Sizes of the input and of the output (the logits, for a classifier).
    rng : numpy.random.Generator, optional
        Source of the initial weights, drawn from
        :math:`\mathcal N(0, 1/\text{in\_features})`; the bias starts at zero.

    Examples
    --------
    >>> layer = Linear(2, 3, rng=np.random.default_rng(0))
    >>> layer.forward(np.ones((4, 2))).shape
    (4, 3)
    """

    def __init__(
        self, in_features: int, out_features: int, *, rng: np.random.Generator | None = None
    ) -> None:
        rng = np.random.default_rng(0) if rng is None else rng
        scale = 1.0 / np.sqrt(in_features)
        self.weight = Parameter(rng.normal(0.0, scale, size=(in_features, out_features)))
        self.bias = Parameter(np.zeros(out_features))
        self._x: NDArray[np.float64] | None = None

    def forward(self, x: ArrayLike) -> NDArray[np.float64]:
        """Return ``x @ W + b`` for a batch ``x`` of shape ``(N, in_features)``."""
        x = np.asarray(x, dtype=np.float64)
        in_features = self.weight.data.shape[0]
        if x.ndim != 2 or x.shape[1] != in_features:
            raise ValueError(
                f"Linear expects input of shape (N, {in_features}); got shape {x.shape}"
            )
        self._x = x
        return x @ self.weight.data + self.bias.data

    def backward(self, grad_out: ArrayLike) -> NDArray[np.float64]:
        r"""Accumulate :math:`\partial L/\partial W = x^\top g` and
        :math:`\partial L/\partial b = \sum_i g_i`; return :math:`g W^\top`."""
        if self._x is None:
            raise RuntimeError("backward() called before forward()")
        g = np.asarray(grad_out, dtype=np.float64)
        expected = (self._x.shape[0], self.weight.data.shape[1])
        if g.shape != expected:
            raise ValueError(f"grad_out must have shape {expected}; got shape {g.shape}")
        self.weight.grad += self._x.T @ g
        self.bias.grad += g.sum(axis=0)
        return g @ self.weight.data.T
