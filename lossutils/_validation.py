"""Input checks shared by the primitives and the loss layers.

Each check raises ``TypeError`` (the wrong kind of data) or ``ValueError`` (the
right kind, but the wrong shape or values) with a message that says what was
expected and what was received. None of them lets NumPy broadcasting turn a
mistake into a plausible-looking number.
"""

from __future__ import annotations

import numpy as np

# The dtype a computation runs in, for each floating-point dtype we accept.
# float16 has too few digits for exp and log1p to be useful, so it is computed
# in float32 and the result is rounded back to float16.
_COMPUTE_DTYPE = {
    np.dtype(np.float16): np.dtype(np.float32),
    np.dtype(np.float32): np.dtype(np.float32),
    np.dtype(np.float64): np.dtype(np.float64),
}


def _describe(arr: np.ndarray) -> str:
    return f"an array of dtype {arr.dtype} and shape {arr.shape}"


def as_float_array(x, name: str) -> tuple[np.ndarray, np.dtype]:
    """Return ``x`` as an array in its compute dtype, and the dtype to return.

    float16/32/64 keep their dtype (float16 is computed in float32); integers
    are computed and returned in float64, because a beginner writes
    ``[[1, 2, 3]]``. Everything else is refused with a ``TypeError``.
    """
    arr = np.asarray(x)
    if arr.dtype in _COMPUTE_DTYPE:
        compute = _COMPUTE_DTYPE[arr.dtype]
        return arr.astype(compute, copy=False), arr.dtype
    if arr.dtype.kind in "iu":
        return arr.astype(np.float64), np.dtype(np.float64)
    raise TypeError(
        f"{name} must be a real numeric array (float16, float32, float64 or integer); "
        f"got {_describe(arr)}"
    )


def check_logits(logits, *, ndims: tuple[int, ...]) -> tuple[np.ndarray, np.dtype]:
    """Validate logits: numeric, ``ndim`` in ``ndims``, a non-empty batch and class axis."""
    z, out_dtype = as_float_array(logits, "logits")
    if z.ndim not in ndims:
        wanted = " or ".join({1: "1-D (N,)", 2: "2-D (N, C)"}.get(n, f"{n}-D") for n in ndims)
        raise ValueError(f"logits must be {wanted}; got {z.ndim}-D with shape {z.shape}")
    if z.shape[0] == 0:
        raise ValueError(f"logits hold an empty batch (N = 0); got shape {z.shape}")
    if z.ndim == 2 and z.shape[1] == 0:
        raise ValueError(f"logits need at least one class (C >= 1); got shape {z.shape}")
    return z, out_dtype


def check_probability_targets(targets, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """Validate targets of exactly ``shape`` with values in [0, 1]; return them in ``dtype``.

    bool and integer arrays (one-hot rows written as ``[[0, 1, 0]]``) are accepted.
    """
    arr = np.asarray(targets)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"targets must be a numeric array; got {_describe(arr)}")
    if arr.shape != shape:
        raise ValueError(
            f"targets must have the shape of the logits, {shape}; got shape {arr.shape}"
            " (shapes are never broadcast: reshape the targets explicitly)"
        )
    t = arr.astype(dtype, copy=False)
    low, high = t.min(), t.max()
    if not (low >= 0 and high <= 1):  # also true when a NaN made low or high NaN
        nan_at = first_nan(t)
        if nan_at is not None:
            raise ValueError(f"targets contain NaN, first at index {nan_at}")
        bad = np.argwhere((t < 0) | (t > 1))[0]
        raise ValueError(
            "targets must be probabilities in [0, 1]; got "
            f"{float(t[tuple(bad)]):g} at index {tuple(int(i) for i in bad)}"
        )
    return t


def check_row_sums(t: np.ndarray) -> None:
    """Each row of probability targets must sum to 1 (to rounding)."""
    tolerance = 1e-6 if t.dtype == np.float64 else 1e-3
    sums = t.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1) > tolerance)
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            "each row of probability targets must sum to 1 "
            f"(within {tolerance:g}); row {i} sums to {float(sums[i]):.10g}"
            f" ({bad.size} such row{'s' if bad.size > 1 else ''})"
        )


def check_labels(labels, n: int, num_classes: int, ignore_index: int | None = None) -> np.ndarray:
    """Validate integer class labels of shape ``(n,)`` with values in ``[0, num_classes)``.

    Labels equal to ``ignore_index`` may lie outside the range (PyTorch's default
    for it is -100); every other label may not.
    """
    y = np.asarray(labels)
    if y.dtype.kind not in "iu":
        hint = (
            " (for one-hot or soft targets pass probability rows of shape (N, C))"
            if y.dtype.kind == "f"
            else ""
        )
        raise TypeError(f"labels must be integer class indices; got {_describe(y)}{hint}")
    if y.shape != (n,):
        raise ValueError(f"labels must have shape (N,) = ({n},); got shape {y.shape}")
    if ignore_index is None:
        check_label_range(y, num_classes)
    else:
        bad = (y != ignore_index) & ((y < 0) | (y >= num_classes))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"labels must be in [0, {num_classes}) for {num_classes} classes, or equal "
                f"ignore_index = {ignore_index}; got {int(y[i])} at index {i}"
            )
    return y


def check_ignore_index(ignore_index) -> int | None:
    """``None`` (ignore nothing) or an int."""
    if ignore_index is None:
        return None
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, (int, np.integer)):
        raise TypeError(f"ignore_index must be an int or None; got {type(ignore_index).__name__}")
    return int(ignore_index)


def check_fraction(value, name: str) -> float:
    """A real number in [0, 1], such as ``label_smoothing``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number in [0, 1]; got {type(value).__name__}")
    value = float(value)
    if not 0.0 <= value <= 1.0:  # also refuses NaN
        raise ValueError(f"{name} must be in [0, 1]; got {value!r}")
    return value


def check_weights(weight, shapes: dict[tuple[int, ...], str], dtype: np.dtype, name: str):
    """Non-negative finite weights whose shape is one of ``shapes`` (shape -> description).

    Returns the weights in ``dtype`` (``None`` stays ``None``). The allowed shapes
    are listed in the message: a weight is never broadcast from another shape.
    """
    if weight is None:
        return None
    w = np.asarray(weight)
    if w.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real numeric array; got {_describe(w)}")
    if w.shape not in shapes:
        wanted = " or ".join(f"{shape} ({what})" for shape, what in shapes.items())
        raise ValueError(
            f"{name} must have shape {wanted}; got shape {w.shape} "
            "(weights are never broadcast: reshape them explicitly)"
        )
    w = w.astype(dtype)
    if not np.isfinite(w).all() or (w < 0).any():
        bad = tuple(int(i) for i in np.argwhere(~(np.isfinite(w) & (w >= 0)))[0])
        raise ValueError(
            f"{name} must be finite and >= 0; got {float(w[bad])!r} at index "
            f"{bad[0] if len(bad) == 1 else bad}"
        )
    return w


def check_label_range(y: np.ndarray, num_classes: int) -> None:
    """Every label must lie in ``[0, num_classes)``; report the first that does not."""
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        bad = np.argwhere((y < 0) | (y >= num_classes))[0]
        where = tuple(int(i) for i in bad)
        raise ValueError(
            f"labels must be in [0, {num_classes}) for {num_classes} classes; "
            f"got {int(y[where])} at index {where[0] if len(where) == 1 else where}"
        )


def first_nan(arr: np.ndarray) -> tuple[int, ...] | None:
    """Index of the first NaN in ``arr``, or ``None``."""
    hits = np.argwhere(np.isnan(arr))
    return tuple(int(i) for i in hits[0]) if hits.size else None


def check_reduction(reduction: str, allowed: tuple[str, ...] = ("mean", "sum", "none")) -> str:
    """``reduction`` must be one of ``allowed``."""
    if reduction not in allowed:
        names = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"reduction must be one of {names}; got {reduction!r}")
    return reduction
