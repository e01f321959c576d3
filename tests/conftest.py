"""Shared test settings and the high-precision reference helpers."""

from __future__ import annotations

import mpmath
import numpy as np
from hypothesis import settings

# Deterministic property tests: the same examples on every run and in CI.
settings.register_profile("book", max_examples=60, deadline=None, derandomize=True)
settings.load_profile("book")

mpmath.mp.dps = 60  # the reference: 60 significant digits, far beyond float64's 16


def relative_error(computed: float, exact: mpmath.mpf, dtype) -> float:
    """|computed - exact| / max(|exact|, tiny), in units of the dtype's machine epsilon.

    The denominator is floored at the smallest normal number: below it, results
    are subnormal and carry fewer digits, so their error is judged in absolute
    terms (the spacing of subnormals), as an ulp count would.
    """
    info = np.finfo(dtype)
    scale = max(abs(exact), mpmath.mpf(float(info.tiny)))
    return float(abs(mpmath.mpf(float(computed)) - exact) / scale) / float(info.eps)


def import_torch():
    """PyTorch, the reference for the options the package mirrors.

    `make unit` installs it (requirements-test.txt). Run by hand without it, the
    comparisons skip and say how to get it; under CI they fail instead.
    """
    import importlib
    import os

    import pytest

    try:
        return importlib.import_module("torch")
    except ImportError:
        reason = "PyTorch is not installed: `make unit` installs it (pip install torch==2.13.0)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason} (CI=true: the PyTorch comparisons must run)")
        pytest.skip(reason)
