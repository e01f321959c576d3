"""What the two loss layers share: the forward/backward contract over a functional loss.

Each loss is written once, as a function that returns the loss and its
gradient together, ``(loss, dlogits)``:
:func:`~lossutils.softmax_cross_entropy` and
:func:`~lossutils.sigmoid_cross_entropy`. The layers
:class:`~lossutils.SoftmaxCrossEntropy` and :class:`~lossutils.SigmoidCrossEntropy`
are thin wrappers that keep the gradient between two calls, for code written
in the layer style of the seed article and of PyTorch:

* ``forward(logits, targets)`` (or calling the layer) returns the loss and
  keeps its gradient;
* ``backward(upstream=None)`` hands that gradient over, scaled by ``upstream``
  for ``reduction="none"``. It may be called once per ``forward`` (as in
  PyTorch): the array it returns is yours.

Weight decay is not the loss's business here: the optimiser owns it
(:class:`~lossutils.SGD`), as in PyTorch. Chapter 5 explains why the seed's
loss-side weight decay was a trap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["Loss"]

# Bytes per block of rows. Small enough that the buffers a block touches stay
# in the CPU's caches from one ufunc to the next, large enough that Python's
# per-call overhead (a few microseconds per ufunc) stays a few percent of the
# work. Measured, not derived: for N = 4096, C = 1000 on the machines the book
# was built on, 1 MiB was the fastest size or within about 15% of the fastest
# for both losses and dtypes, among sizes from 64 KiB to 256 MiB, and single
# ratios moved by up to a third between runs (the appendix "Making it fast"
# shows two sweeps): `python benchmarks/bench_losses.py --block-sweep`.
BLOCK_BYTES = 1 << 20


def row_blocks(n_rows: int, n_cols: int, itemsize: int) -> Iterator[slice]:
    """Consecutive slices of rows, each holding about ``BLOCK_BYTES`` of data."""
    step = max(1, BLOCK_BYTES // (n_cols * itemsize))
    for start in range(0, n_rows, step):
        yield slice(start, min(start + step, n_rows))


class Loss:
    r"""Base class of the loss layers: a functional loss and the gradient kept for ``backward``.

    Parameters
    ----------
    function : callable
        ``function(logits, targets, **options) -> (loss, dlogits)``.
    **options
        Keyword options passed to ``function`` on every call, ``reduction``
        among them.

    Examples
    --------
    >>> from lossutils import SoftmaxCrossEntropy
    >>> loss_fn = SoftmaxCrossEntropy(reduction="sum")
    >>> loss_fn.reduction
    'sum'
    """

    def __init__(self, function: Callable, **options) -> None:
        self._function = function
        self._options = options
        self.reduction: str = options["reduction"]
        self._grad: NDArray | None = None
        self._handed_over = False  # backward() already returned the last gradient

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{key}={value!r}"
            for key, value in self._options.items()
            if value is not None and not (key == "label_smoothing" and value == 0.0)
        )
        return f"{type(self).__name__}({shown})"

    def forward(self, logits: ArrayLike, targets: ArrayLike):
        """Return the loss, and keep its gradient for :meth:`backward`.

        See the layer's functional form for the shapes and the options.
        """
        loss, self._grad = self._function(logits, targets, **self._options)
        self._handed_over = False
        return loss

    __call__ = forward

    def backward(self, upstream: ArrayLike | None = None) -> NDArray[np.floating]:
        r"""Return :math:`\partial L/\partial z` of the most recent ``forward``, once.

        Parameters
        ----------
        upstream : array_like, optional
            Only for ``reduction="none"``: :math:`\partial J/\partial \ell_i`
            for each sample, shape ``(N,)``; it scales row ``i`` of the
            gradient. Default: ones.

        Returns
        -------
        ndarray
            The gradient, with the shape and dtype of the logits.

        Raises
        ------
        RuntimeError
            If there was no ``forward`` since the last ``backward``.

        Notes
        -----
        The gradient belongs to the **most recent** ``forward``: a
        ``forward`` on validation data between the training ``forward`` and
        ``backward`` replaces it. The functional form, which returns
        ``(loss, dlogits)`` together, cannot be misused that way.
        """
        if self._grad is None:
            name = type(self).__name__
            if self._handed_over:
                raise RuntimeError(
                    f"{name}.backward() was already called for the last forward(): it hands "
                    "the gradient over once. Call forward() again for a new gradient."
                )
            raise RuntimeError(
                f"{name}.backward() called before forward(): call forward(logits, targets) first"
            )
        grad = self._grad
        if upstream is not None:
            if self.reduction != "none":
                raise ValueError(
                    "backward(upstream) is for reduction='none'; this loss uses "
                    f"reduction={self.reduction!r}, so call backward() without arguments"
                )
            scale = _check_upstream(upstream, grad.shape[0]).astype(grad.dtype, copy=False)
            grad *= scale.reshape((-1,) + (1,) * (grad.ndim - 1))
        self._grad, self._handed_over = None, True
        return grad


def _check_upstream(upstream: ArrayLike, n: int) -> NDArray:
    u = np.asarray(upstream)
    if u.dtype.kind not in "iuf":
        raise TypeError(f"upstream must be a numeric array; got dtype {u.dtype}")
    if u.shape != (n,):
        raise ValueError(f"upstream must have shape (N,) = ({n},); got shape {u.shape}")
    if not np.isfinite(u).all():
        raise ValueError("upstream contains NaN or inf")
    return u
