"""What the two loss layers share: reduction, weight decay, the forward/backward contract.

The layers themselves live in :mod:`lossutils.sigmoid_ce` and
:mod:`lossutils.softmax_ce`. Both follow one contract:

* ``forward(logits, targets)`` returns the loss. While each block of rows is
  still in the CPU cache it also computes that block's gradient, so the data
  are read from memory once; the gradient is kept for ``backward``.
* ``backward(upstream=None)`` hands that gradient over, scaled by
  ``upstream`` for ``reduction="none"``, and applies weight decay. It may be
  called once per ``forward`` (as in PyTorch): the array it returns is yours.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import check_reduction
from .modules import Module, Parameter

__all__ = ["Loss"]

# Bytes per block of rows. Small enough that the buffers a block touches stay
# in the CPU's caches from one ufunc to the next, large enough that Python's
# per-call overhead (a few microseconds per ufunc) stays a few percent of the
# work. For N = 4096, C = 1000, 1 MiB was the fastest size or within 5% of it for both
# losses and dtypes, among sizes from 64 KiB to 256 MiB (the slowest took up to 3.7
# times as long): `python benchmarks/bench_losses.py --block-sweep`.
BLOCK_BYTES = 1 << 20


def row_blocks(n_rows: int, n_cols: int, itemsize: int) -> Iterator[slice]:
    """Consecutive slices of rows, each holding about ``BLOCK_BYTES`` of data."""
    step = max(1, BLOCK_BYTES // (n_cols * itemsize))
    for start in range(0, n_rows, step):
        yield slice(start, min(start + step, n_rows))


class Loss:
    r"""Base class of the loss layers: reduction, weight decay and the cached gradient.

    Parameters
    ----------
    reduction : {"mean", "sum", "none"}
        ``"mean"`` (default): the per-sample losses (each summed over classes)
        averaged over the batch, as in the seed article. ``"sum"``: their sum.
        ``"none"``: the per-sample losses, shape ``(N,)``; ``backward`` then
        takes the upstream gradient :math:`\partial J/\partial \ell_i`, shape ``(N,)``.
    params : Module or iterable of Parameter, optional
        The parameters that weight decay penalises.
    weight_decay : float, optional
        :math:`\lambda \ge 0`. The loss gains
        :math:`\frac{\lambda}{2} \sum_p \lVert p \rVert^2` and ``backward`` adds
        :math:`\lambda p` to each ``p.grad``. Needs a scalar reduction.

    Examples
    --------
    >>> from lossutils import Linear, SoftmaxCrossEntropy
    >>> model = Linear(2, 3)
    >>> loss_fn = SoftmaxCrossEntropy(params=[model.weight], weight_decay=1e-2)
    >>> loss_fn.decay_loss() > 0
    True
    """

    def __init__(
        self,
        reduction: str = "mean",
        *,
        params: Module | Iterable[Parameter] | None = None,
        weight_decay: float = 0.0,
    ) -> None:
        self.reduction = check_reduction(reduction)
        self.params = _collect_parameters(params)
        weight_decay = float(weight_decay)
        if not (np.isfinite(weight_decay) and weight_decay >= 0):
            raise ValueError(f"weight_decay must be finite and >= 0; got {weight_decay!r}")
        if weight_decay > 0 and not self.params:
            raise ValueError("weight_decay > 0 needs params: the parameters to penalise")
        if weight_decay > 0 and reduction == "none":
            raise ValueError(
                "weight decay adds one penalty to a scalar loss; "
                "use reduction='mean' or 'sum', not 'none'"
            )
        self.weight_decay = weight_decay
        self._grad: NDArray | None = None
        self._handed_over = False  # backward() already returned the last gradient
        self._grad_shape: tuple[int, ...] = ()
        self._out_dtype = np.dtype(np.float64)

    # -- weight decay ------------------------------------------------------

    def decay_loss(self) -> float:
        r"""The weight-decay penalty :math:`\frac{\lambda}{2}\sum_p \lVert p\rVert^2`."""
        return 0.5 * self.weight_decay * sum(float(np.vdot(p.data, p.data)) for p in self.params)

    def decay_backward(self) -> None:
        r"""Add the penalty's gradient, :math:`\lambda p`, to each ``p.grad``."""
        if self.weight_decay:
            for p in self.params:
                p.grad += self.weight_decay * p.data

    # -- helpers for the subclasses -----------------------------------------

    def _divisor(self, n: int) -> int | None:
        """What ``forward`` divides the gradient by: N for ``"mean"``, nothing otherwise."""
        return n if self.reduction == "mean" else None

    def _finish_forward(self, per_sample: NDArray, grad: NDArray, shape, out_dtype):
        """Keep the gradient for ``backward`` and reduce the per-sample losses."""
        self._grad, self._grad_shape, self._out_dtype = grad, shape, out_dtype
        self._handed_over = False
        if self.reduction == "none":
            return per_sample.astype(out_dtype, copy=False)
        total = per_sample.sum()
        if self.reduction == "mean":
            total = total / per_sample.shape[0]
        if self.weight_decay:
            total = total + self.decay_loss()
        return out_dtype.type(total)

    def backward(self, upstream: ArrayLike | None = None) -> NDArray[np.floating]:
        r"""Return :math:`\partial L/\partial z`, with the shape and dtype of the logits.

        Parameters
        ----------
        upstream : array_like, optional
            Only for ``reduction="none"``: :math:`\partial J/\partial \ell_i`
            for each sample, shape ``(N,)``; it scales row ``i`` of the
            gradient. Default: ones.

        Returns
        -------
        ndarray
            The gradient computed by the last ``forward``. Weight decay, if
            any, is added to ``params`` as a side effect.

        Raises
        ------
        RuntimeError
            If there was no ``forward`` since the last ``backward``.
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
        n = self._grad.shape[0]
        scale = None
        if upstream is not None:
            if self.reduction != "none":
                raise ValueError(
                    "backward(upstream) is for reduction='none'; this loss uses "
                    f"reduction={self.reduction!r}, so call backward() without arguments"
                )
            scale = _check_upstream(upstream, n).astype(self._grad.dtype, copy=False)
        grad, self._grad, self._handed_over = self._grad, None, True
        if scale is not None:
            grad *= scale[:, None]
        self.decay_backward()
        return grad.reshape(self._grad_shape).astype(self._out_dtype, copy=False)


def _check_upstream(upstream: ArrayLike, n: int) -> NDArray:
    u = np.asarray(upstream)
    if u.dtype.kind not in "iuf":
        raise TypeError(f"upstream must be a numeric array; got dtype {u.dtype}")
    if u.shape != (n,):
        raise ValueError(f"upstream must have shape (N,) = ({n},); got shape {u.shape}")
    if not np.isfinite(u).all():
        raise ValueError("upstream contains NaN or inf")
    return u


def _collect_parameters(params) -> list[Parameter]:
    if params is None:
        return []
    if isinstance(params, Module):
        return params.parameters()
    if isinstance(params, Parameter):
        return [params]
    collected = list(params)
    for p in collected:
        if not isinstance(p, Parameter):
            raise TypeError(f"params must hold Parameter objects; got {type(p).__name__}")
    return collected
