"""Results that do not depend on ``np.seterr``.

NumPy reports floating-point events (overflow, underflow, invalid, divide)
according to a global setting that the *caller* controls: under
``np.seterr(all="raise")`` a harmless underflow, ``exp(-1000) == 0``, raises
``FloatingPointError``. The stable formulas of this package rely on such
events: ``exp`` of a very negative number underflows to 0 on purpose, and an
infinite logit goes through ``inf - inf`` before its limit is put in place.
So every public function runs with the events ignored and handles the special
values itself, explicitly: a NaN input is reported or propagated, an infinite
input gets its limit, and a finite input never produces a warning.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

import numpy as np

F = TypeVar("F", bound=Callable)


def ignore_fp_errors(function: F) -> F:
    """Run ``function`` under ``np.errstate(all="ignore")``, whatever ``np.seterr`` says.

    Examples
    --------
    >>> @ignore_fp_errors
    ... def tiny():
    ...     return np.exp(-1000.0)
    >>> with np.errstate(all="raise"):
    ...     float(tiny())
    0.0
    """

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with np.errstate(all="ignore"):
            return function(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
