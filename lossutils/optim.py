r"""Stochastic gradient descent, with the update of ``torch.optim.SGD``, and the L2 penalty.

Weight decay belongs to the optimiser, as in PyTorch: ``SGD(...,
weight_decay=lam)`` adds :math:`\lambda p` to each gradient when it takes a
step, so the penalty is counted once per step however many backward passes
filled ``.grad``, and a ``zero_grad()`` cannot drop it. The loss the model
reports is then the data loss alone; :func:`l2_penalty` gives
:math:`\frac{\lambda}{2}\sum_p \lVert p\rVert^2` for printing the penalised
objective, whose gradient the step uses.

Examples
--------
>>> import lossutils
>>> rng = np.random.default_rng(0)
>>> model = lossutils.Linear(3, 2, rng=rng)
>>> optimizer = SGD(model, lr=0.1, momentum=0.9, weight_decay=1e-4)
>>> x, y = rng.standard_normal((8, 3)), rng.integers(0, 2, size=8)
>>> losses = []
>>> for _ in range(20):
...     loss, dlogits = lossutils.softmax_cross_entropy(model(x), y)
...     _ = model.backward(dlogits)  # returns dL/dx, not needed here
...     optimizer.step()
...     optimizer.zero_grad()
...     losses.append(float(loss))
>>> losses[-1] < losses[0]
True
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._floating import ignore_fp_errors
from .modules import Module, Parameter

__all__ = ["SGD", "l2_penalty"]


def _collect_parameters(params: Module | Parameter | Iterable[Parameter]) -> list[Parameter]:
    """The parameters to optimise, as a list; refuses anything else, duplicates and nothing."""
    if isinstance(params, Module):
        collected = params.parameters()
    elif isinstance(params, Parameter):
        collected = [params]
    else:
        try:
            collected = list(params)
        except TypeError:
            raise TypeError(
                "params must be a Module or an iterable of Parameter objects; "
                f"got {type(params).__name__}"
            ) from None
        positions: dict[int, int] = {}
        for i, p in enumerate(collected):
            if not isinstance(p, Parameter):
                raise TypeError(
                    f"params must hold Parameter objects; got {type(p).__name__} at position {i}"
                )
            if id(p) in positions:
                raise ValueError(
                    f"params lists the same Parameter twice, at positions {positions[id(p)]} "
                    f"and {i}: it would be updated twice per step"
                )
            positions[id(p)] = i
    if not collected:
        raise ValueError("params is empty: there is nothing to optimise")
    return collected


def _nonnegative(value: Any, name: str) -> float:
    """``value`` as a Python float, finite and >= 0.

    A Python float, not a NumPy scalar: ``np.float64(lr) * float32_array``
    would compute in float64, where PyTorch stays in float32.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{name} must be a real number; got {value!r}")
    result = float(value)
    if not (math.isfinite(result) and result >= 0):
        raise ValueError(f"{name} must be finite and >= 0; got {result!r}")
    return result


class SGD:
    r"""Stochastic gradient descent with momentum, Nesterov momentum and weight decay.

    Each :meth:`step` applies, to every parameter :math:`p` with gradient
    :math:`g`, exactly the update of ``torch.optim.SGD`` (with its default
    ``dampening=0``), in the same order of operations:

    .. math::
        g &\leftarrow g + \lambda p \\
        b &\leftarrow g \text{ at the first step, then } \mu b + g \\
        g &\leftarrow g + \mu b \text{ (Nesterov) or } b \text{ (otherwise)} \\
        p &\leftarrow p - \eta g

    (without momentum, :math:`\mu = 0`, the middle lines are skipped).

    Parameters
    ----------
    params : Module or iterable of Parameter
        What to optimise: a model, or a list such as ``model.parameters()``.
    lr : float
        The learning rate :math:`\eta \ge 0`.
    momentum : float, optional
        :math:`\mu \ge 0`; 0 is plain SGD.
    weight_decay : float, optional
        :math:`\lambda \ge 0`, the coefficient of the L2 penalty
        :math:`\frac{\lambda}{2}\lVert p\rVert^2` whose gradient :math:`\lambda p`
        the step adds (see :func:`l2_penalty`).
    nesterov : bool, optional
        Nesterov momentum; needs ``momentum > 0``.

    Raises
    ------
    TypeError
        If ``params`` holds something other than Parameter objects, or a
        hyperparameter is not a number.
    ValueError
        If ``params`` is empty or repeats a Parameter, if a hyperparameter is
        negative or not finite, or if ``nesterov`` is asked for without momentum.

    Examples
    --------
    >>> w = Parameter([1.0, -2.0])
    >>> optimizer = SGD([w], lr=0.5)
    >>> w.grad[:] = [0.2, 0.4]
    >>> optimizer.step()
    >>> w.data
    array([ 0.9, -2.2])
    >>> optimizer.zero_grad()
    >>> w.grad
    array([0., 0.])

    With momentum the second step also moves along the first gradient:

    >>> w = Parameter([0.0])
    >>> optimizer = SGD([w], lr=1.0, momentum=0.5)
    >>> for _ in range(2):
    ...     w.grad[:] = 1.0
    ...     optimizer.step()
    >>> w.data  # -1, then -(0.5 * 1 + 1)
    array([-2.5])
    """

    def __init__(
        self,
        params: Module | Iterable[Parameter],
        lr: float,
        *,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        self.params = _collect_parameters(params)
        self.lr = _nonnegative(lr, "lr")
        self.momentum = _nonnegative(momentum, "momentum")
        self.weight_decay = _nonnegative(weight_decay, "weight_decay")
        if not isinstance(nesterov, (bool, np.bool_)):
            raise TypeError(f"nesterov must be True or False; got {nesterov!r}")
        if nesterov and self.momentum == 0:
            raise ValueError(
                "nesterov=True needs momentum > 0; got momentum=0.0 "
                "(Nesterov momentum without momentum is plain SGD)"
            )
        self.nesterov = bool(nesterov)
        # One momentum buffer per parameter, created at the first step (PyTorch's
        # state["momentum_buffer"]).
        self._buffers: list[NDArray[np.floating] | None] = [None] * len(self.params)

    @ignore_fp_errors
    def step(self) -> None:
        """Update every parameter in place from its ``.grad``.

        Raises
        ------
        ValueError
            If a parameter's ``.grad`` no longer has the shape of its ``.data``
            (it was replaced by hand): it would be broadcast.
        """
        for i, param in enumerate(self.params):
            if param.grad.shape != param.data.shape:
                raise ValueError(
                    f"parameter {i} has data of shape {param.data.shape} but grad of shape "
                    f"{param.grad.shape}; they must match"
                )
            update = param.grad
            # The order below is torch.optim.SGD's (_single_tensor_sgd), step by step.
            if self.weight_decay != 0:
                update = update + self.weight_decay * param.data
            if self.momentum != 0:
                buf = self._buffers[i]
                if buf is None:
                    buf = self._buffers[i] = np.array(update, copy=True)  # never alias param.grad
                else:
                    buf *= self.momentum
                    buf += update
                update = update + self.momentum * buf if self.nesterov else buf
            param.data -= self.lr * update

    def zero_grad(self) -> None:
        """Set the gradient of every parameter to zero."""
        for p in self.params:
            p.zero_grad()

    def __repr__(self) -> str:
        return (
            f"SGD({len(self.params)} parameters, lr={self.lr}, momentum={self.momentum}, "
            f"weight_decay={self.weight_decay}, nesterov={self.nesterov})"
        )


@ignore_fp_errors
def l2_penalty(params: Module | Iterable[Parameter], weight_decay: float) -> float:
    r"""The L2 penalty :math:`\frac{\lambda}{2}\sum_p \sum_k p_k^2` of some parameters.

    ``SGD(..., weight_decay=lam)`` follows the gradient of the data loss plus
    this penalty; add it to the data loss to print the objective that is
    being minimised. It is summed in float64 whatever the parameters' dtype.

    Parameters
    ----------
    params : Module or iterable of Parameter
        The parameters the optimiser decays (all of them, for ``SGD(model, ...)``).
    weight_decay : float
        :math:`\lambda \ge 0`.

    Returns
    -------
    float

    Examples
    --------
    >>> l2_penalty([Parameter([3.0, 4.0]), Parameter([[1.0]])], weight_decay=0.1)
    1.3
    """
    collected = _collect_parameters(params)
    lam = _nonnegative(weight_decay, "weight_decay")
    squares = math.fsum(float(np.sum(np.square(p.data, dtype=np.float64))) for p in collected)
    return 0.5 * lam * squares
