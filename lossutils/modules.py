r"""The smallest network API the book trains with: parameters, modules and three layers.

A :class:`Parameter` is an array with a gradient beside it. A :class:`Module`
finds its parameters by looking at its own attributes, the way ``micrograd``
and PyTorch do, so an optimiser can update "all the parameters of this model"
without listing them by hand. :class:`Linear`, :class:`ReLU` and
:class:`Sequential` are enough for a multilayer perceptron.

Every module is callable (``model(x)`` is ``model.forward(x)``) and has a
``backward(grad_out)`` that takes :math:`\partial L/\partial\,\text{output}`,
*adds* the gradients of its parameters to their ``.grad`` and returns
:math:`\partial L/\partial\,\text{input}`. There is no autograd: ``backward``
uses what the last ``forward`` kept, so call them in pairs, and call the
modules' ``backward`` in the reverse order of their ``forward``
(:class:`Sequential` does this for you).

Examples
--------
A training step on a small batch:

>>> import lossutils
>>> rng = np.random.default_rng(0)
>>> model = Sequential(Linear(4, 8, rng=rng), ReLU(), Linear(8, 3, rng=rng))
>>> x, y = rng.standard_normal((5, 4)), np.array([0, 2, 1, 1, 0])
>>> loss_fn = lossutils.SoftmaxCrossEntropy()
>>> loss = loss_fn.forward(model(x), y)
>>> grad_x = model.backward(loss_fn.backward())
>>> grad_x.shape, [p.grad.shape for p in model.parameters()]
((5, 4), [(4, 8), (8,), (8, 3), (3,)])
"""

from __future__ import annotations

import operator
from collections.abc import Iterator
from typing import Any, overload

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from ._floating import ignore_fp_errors

__all__ = ["Linear", "Module", "Parameter", "ReLU", "Sequential"]

_PARAMETER_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _parameter_dtype(dtype: DTypeLike, what: str) -> np.dtype:
    """``dtype`` as a NumPy dtype, which must be float32 or float64."""
    try:
        resolved = np.dtype(dtype)
    except TypeError as err:
        raise TypeError(f"{what} must be float32 or float64; got {dtype!r}") from err
    if resolved not in _PARAMETER_DTYPES:
        raise TypeError(f"{what} must be float32 or float64; got {resolved}")
    return resolved


def _positive_int(value: Any, name: str) -> int:
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


class Parameter:
    """A trainable array and the gradient of the loss with respect to it.

    Parameters
    ----------
    data : array_like
        Initial value, copied. float32 and float64 data keep their dtype;
        integers and float16 become float64 unless ``dtype`` says otherwise.
        Must be finite.
    dtype : float32 or float64, optional
        The dtype to store, overriding the rule above.

    Attributes
    ----------
    data : ndarray
        The current value.
    grad : ndarray
        The accumulated gradient, same shape and dtype; backward passes *add*
        to it, :meth:`zero_grad` resets it.

    Raises
    ------
    TypeError
        If ``data`` is not real numbers, or ``dtype`` is not float32/float64.
    ValueError
        If ``data`` holds NaN or an infinity.

    Examples
    --------
    >>> w = Parameter([[1.0, -2.0]])
    >>> w.grad
    array([[0., 0.]])
    >>> Parameter(np.zeros(3, dtype=np.float32))
    Parameter(shape=(3,), dtype=float32)
    >>> Parameter([1, 2], dtype=np.float32).data
    array([1., 2.], dtype=float32)
    """

    def __init__(self, data: ArrayLike, *, dtype: DTypeLike | None = None) -> None:
        arr = np.asarray(data)
        if arr.dtype.kind not in "iuf":
            raise TypeError(
                "Parameter data must be real numbers (integer or floating); "
                f"got an array of dtype {arr.dtype}"
            )
        if dtype is not None:
            target = _parameter_dtype(dtype, "Parameter dtype")
        elif arr.dtype in _PARAMETER_DTYPES:
            target = arr.dtype
        else:  # integers, and float16 (too few digits to train in)
            target = np.dtype(np.float64)
        self.data: NDArray[np.floating] = np.array(arr, dtype=target)  # always a copy
        if not np.isfinite(self.data).all():
            bad = tuple(int(i) for i in np.argwhere(~np.isfinite(self.data))[0])
            raise ValueError(f"Parameter data must be finite; got {self.data[bad]} at index {bad}")
        self.grad: NDArray[np.floating] = np.zeros_like(self.data)

    def zero_grad(self) -> None:
        """Set the gradient to zero, in place."""
        self.grad.fill(0)

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class Module:
    """Base class for layers and models.

    Subclasses define ``forward`` and ``backward`` and store their
    :class:`Parameter` objects (or other modules, also inside lists and
    tuples) as attributes; :meth:`parameters` finds them.

    Examples
    --------
    >>> class Scale(Module):
    ...     def __init__(self):
    ...         self.factor = Parameter([2.0])
    ...
    ...     def forward(self, x):
    ...         return self.factor.data * x
    >>> scale = Scale()
    >>> scale(np.array([1.0, 3.0]))  # calling a module calls forward
    array([2., 6.])
    >>> scale.parameters()
    [Parameter(shape=(1,), dtype=float64)]
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Compute the output; subclasses define it."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def backward(self, grad_out: ArrayLike) -> NDArray[np.floating]:
        """Accumulate parameter gradients and return dL/dinput; subclasses define it."""
        raise NotImplementedError(f"{type(self).__name__} does not define backward()")

    def parameters(self) -> list[Parameter]:
        """Every parameter of this module and of the modules it holds, each once.

        The order is the order in which the attributes were assigned, depth
        first, so it is the same on every run.
        """
        seen: dict[int, Parameter] = {}
        for p in self._walk():
            seen.setdefault(id(p), p)
        return list(seen.values())

    def _walk(self) -> Iterator[Parameter]:
        for value in vars(self).values():
            items = value if isinstance(value, (list, tuple)) else (value,)
            for item in items:
                if isinstance(item, Parameter):
                    yield item
                elif isinstance(item, Module):
                    yield from item._walk()

    def zero_grad(self) -> None:
        """Reset the gradient of every parameter to zero."""
        for p in self.parameters():
            p.zero_grad()


def _check_grad_out(grad_out: ArrayLike, shape: tuple[int, ...], dtype: np.dtype, who: str):
    """``grad_out`` as an array of ``dtype``, which must be real numbers of exactly ``shape``."""
    g = np.asarray(grad_out)
    if g.dtype.kind not in "iuf":
        raise TypeError(
            f"{who}.backward expects grad_out of real numbers; got an array of dtype {g.dtype}"
        )
    if g.shape != shape:
        raise ValueError(
            f"{who}.backward expects grad_out of shape {shape}, the shape of the last "
            f"forward's output; got shape {g.shape}"
        )
    return g.astype(dtype, copy=False)


class Linear(Module):
    r"""An affine layer, :math:`z = x W + b`, with forward and backward.

    Parameters
    ----------
    in_features, out_features : int
        Sizes of the input and of the output (the logits, for a classifier).
    rng : numpy.random.Generator, optional
        Source of the initial weights. Without it a fresh
        ``np.random.default_rng()`` is used, so two layers never start equal
        (and runs differ); pass one for reproducible weights.
    dtype : float32 or float64, optional
        The dtype of the weights, of the gradients and of the output.

    Attributes
    ----------
    weight : Parameter
        Shape ``(in_features, out_features)``.
    bias : Parameter
        Shape ``(out_features,)``.

    Notes
    -----
    **Initialisation** is PyTorch's default for ``torch.nn.Linear``: every
    weight and every bias entry is drawn uniformly from
    :math:`[-1/\sqrt{\text{in\_features}},\ 1/\sqrt{\text{in\_features}}]`
    (weight first, then bias, from ``rng``).

    **Weight layout differs from PyTorch.** Here ``weight`` has shape
    ``(in_features, out_features)`` so that a batch of rows is mapped by
    ``x @ W + b``, the book's notation. ``torch.nn.Linear`` stores
    ``(out_features, in_features)`` and computes ``x @ W.T + b``. To copy a
    PyTorch layer ``tl`` into ours, transpose its weight::

        layer = Linear(tl.in_features, tl.out_features)
        layer.weight.data[...] = tl.weight.detach().numpy().T
        layer.bias.data[...] = tl.bias.detach().numpy()

    **dtypes**, as in PyTorch: an input must have the layer's dtype; integer
    inputs are converted, floating inputs of another dtype are refused
    rather than silently converted.

    Examples
    --------
    >>> layer = Linear(2, 3, rng=np.random.default_rng(0))
    >>> layer.weight.data.shape, layer.bias.data.shape
    ((2, 3), (3,))
    >>> bool(np.all(np.abs(layer.weight.data) <= 1 / np.sqrt(2)))
    True
    >>> x = np.array([[1.0, 2.0], [0.0, -1.0]])
    >>> z = layer(x)
    >>> np.allclose(z, x @ layer.weight.data + layer.bias.data)
    True
    >>> grad_x = layer.backward(np.ones((2, 3)))  # dL/dz = 1 everywhere
    >>> layer.bias.grad  # sum over the batch of dL/dz
    array([2., 2., 2.])
    >>> np.allclose(grad_x, np.ones((2, 3)) @ layer.weight.data.T)
    True
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        rng: np.random.Generator | None = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        self.in_features = _positive_int(in_features, "in_features")
        self.out_features = _positive_int(out_features, "out_features")
        resolved = _parameter_dtype(dtype, "Linear dtype")
        if rng is None:
            rng = np.random.default_rng()  # fresh OS entropy: no two layers alike
        elif not isinstance(rng, np.random.Generator):
            raise TypeError(
                "rng must be a numpy.random.Generator such as np.random.default_rng(0); "
                f"got {type(rng).__name__}"
            )
        bound = 1.0 / np.sqrt(self.in_features)
        weight = rng.uniform(-bound, bound, size=(self.in_features, self.out_features))
        bias = rng.uniform(-bound, bound, size=self.out_features)
        self.weight = Parameter(weight, dtype=resolved)
        self.bias = Parameter(bias, dtype=resolved)
        self._x: NDArray[np.floating] | None = None

    @property
    def dtype(self) -> np.dtype:
        """The dtype of the weights (and of inputs, outputs and gradients)."""
        return self.weight.data.dtype

    @ignore_fp_errors
    def forward(self, x: ArrayLike) -> NDArray[np.floating]:
        """Return ``x @ W + b`` for a batch ``x`` of shape ``(N, in_features)``.

        The input is kept for :meth:`backward`.
        """
        arr = np.asarray(x)
        if arr.dtype.kind in "iu":
            arr = arr.astype(self.dtype)
        elif arr.dtype.kind != "f":
            raise TypeError(
                f"Linear expects a real-valued input of dtype {self.dtype}; "
                f"got an array of dtype {arr.dtype}"
            )
        elif arr.dtype != self.dtype:
            # Refused, not converted, as PyTorch does: a silent cast would hide a float32
            # pipeline running in float64 (or a float64 input losing digits).
            other = (
                f", or create the layer with Linear(..., dtype=np.{arr.dtype})"
                if arr.dtype in _PARAMETER_DTYPES
                else ""
            )
            raise TypeError(
                f"Linear holds {self.dtype} weights but got an input of dtype {arr.dtype}: "
                f"cast the input with x.astype(np.{self.dtype}){other}"
            )
        if arr.ndim != 2 or arr.shape[1] != self.in_features:
            raise ValueError(
                f"Linear expects input of shape (N, {self.in_features}); got shape {arr.shape}"
            )
        self._x = arr
        return arr @ self.weight.data + self.bias.data

    @ignore_fp_errors
    def backward(self, grad_out: ArrayLike) -> NDArray[np.floating]:
        r"""Accumulate the parameter gradients and return :math:`\partial L/\partial x`.

        With :math:`g = \partial L/\partial z` of shape ``(N, out_features)``:
        ``weight.grad += x.T @ g``, ``bias.grad += g.sum(axis=0)``, and the
        return value is ``g @ W.T``, of shape ``(N, in_features)``. Calling it
        twice adds twice (gradient accumulation); ``zero_grad()`` resets.

        Raises
        ------
        RuntimeError
            If called before :meth:`forward`.
        TypeError, ValueError
            If ``grad_out`` is not real numbers of the output's shape.
        """
        if self._x is None:
            raise RuntimeError(
                "Linear.backward() called before forward(): call the layer on a batch first, "
                "then backward() with the gradient of the loss with respect to its output"
            )
        g = _check_grad_out(grad_out, (self._x.shape[0], self.out_features), self.dtype, "Linear")
        self.weight.grad += self._x.T @ g
        self.bias.grad += g.sum(axis=0)
        return g @ self.weight.data.T

    def __repr__(self) -> str:
        return (
            f"Linear(in_features={self.in_features}, out_features={self.out_features}, "
            f"dtype={self.dtype})"
        )


class ReLU(Module):
    r"""The rectifier, :math:`\max(x, 0)`, element by element.

    The derivative is taken as 0 at :math:`x = 0`, as PyTorch does. A NaN
    input stays NaN in the output (it is not rectified to 0).

    Examples
    --------
    >>> relu = ReLU()
    >>> relu(np.array([[-1.0, 0.0, 2.0]]))
    array([[0., 0., 2.]])
    >>> relu.backward(np.array([[5.0, 5.0, 5.0]]))
    array([[0., 0., 5.]])
    """

    def __init__(self) -> None:
        self._mask: NDArray[np.bool_] | None = None
        self._dtype = np.dtype(np.float64)

    def forward(self, x: ArrayLike) -> NDArray[np.floating]:
        """Return ``max(x, 0)``; floating inputs keep their dtype, integers become float64."""
        arr = np.asarray(x)
        if arr.dtype.kind in "iu":
            arr = arr.astype(np.float64)
        elif arr.dtype.kind != "f":
            raise TypeError(f"ReLU expects real numbers; got an array of dtype {arr.dtype}")
        self._mask = arr > 0
        self._dtype = arr.dtype
        return np.maximum(arr, 0)  # np.maximum propagates NaN, where(x > 0, x, 0) would not

    def backward(self, grad_out: ArrayLike) -> NDArray[np.floating]:
        """Return ``grad_out`` where the last input was positive, 0 elsewhere."""
        if self._mask is None:
            raise RuntimeError(
                "ReLU.backward() called before forward(): call the layer on a batch first"
            )
        g = _check_grad_out(grad_out, self._mask.shape, self._dtype, "ReLU")
        return np.where(self._mask, g, 0).astype(self._dtype, copy=False)

    def __repr__(self) -> str:
        return "ReLU()"


class Sequential(Module):
    """Modules applied one after the other.

    ``forward`` feeds each module's output to the next; ``backward`` runs
    the modules' ``backward`` in reverse order and returns the gradient with
    respect to the first module's input.

    Parameters
    ----------
    *modules : Module
        The layers, in the order of the forward pass.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> model = Sequential(Linear(2, 4, rng=rng), ReLU(), Linear(4, 3, rng=rng))
    >>> len(model), model[1]
    (3, ReLU())
    >>> model(np.ones((5, 2))).shape
    (5, 3)
    >>> model.backward(np.ones((5, 3))).shape
    (5, 2)
    >>> [p.data.shape for p in model.parameters()]
    [(2, 4), (4,), (4, 3), (3,)]
    """

    def __init__(self, *modules: Module) -> None:
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(
                    f"Sequential takes Module objects; got {type(m).__name__} at position {i}"
                )
        self.layers: tuple[Module, ...] = modules

    def forward(self, x: ArrayLike) -> Any:
        """Apply every module in order."""
        for m in self.layers:
            x = m(x)
        return x

    def backward(self, grad_out: ArrayLike) -> Any:
        """Back-propagate through every module in reverse order; return dL/dinput."""
        for m in reversed(self.layers):
            grad_out = m.backward(grad_out)
        return grad_out

    def __len__(self) -> int:
        return len(self.layers)

    @overload
    def __getitem__(self, index: int) -> Module: ...
    @overload
    def __getitem__(self, index: slice) -> Sequential: ...
    def __getitem__(self, index: int | slice) -> Module | Sequential:
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def __repr__(self) -> str:
        return f"Sequential({', '.join(repr(m) for m in self.layers)})"
