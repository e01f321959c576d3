"""The gradient-checking helpers (the modules they check are tested in test_modules.py)."""

from __future__ import annotations

import numpy as np
import pytest

from lossutils import gradient_check, numerical_gradient


def test_numerical_gradient_of_a_known_function():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    grad = numerical_gradient(lambda v: float(np.sum(v**3)), x)
    np.testing.assert_allclose(grad, 3 * x**2, rtol=1e-8)  # central differences: O(h^2)


def test_numerical_gradient_never_modifies_its_argument():
    x = np.array([1.0, 2.0])
    seen = []
    numerical_gradient(lambda v: seen.append(v is x) or float(v.sum()), x)
    assert not any(seen)
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_gradient_check_finds_a_wrong_gradient_and_where():
    x = np.array([1.0, -2.0, 0.5])
    good = gradient_check(lambda v: float(np.sum(v**2)), x, 2 * x)
    assert good.max_rel_error < 1e-9
    wrong = 2 * x
    wrong[1] = 0.0
    bad = gradient_check(lambda v: float(np.sum(v**2)), x, wrong)
    assert bad.max_rel_error == pytest.approx(1.0) and bad.index == (1,)
    assert "at index (1,)" in str(bad)


def test_gradient_check_refuses_mismatched_shapes():
    with pytest.raises(ValueError, match=r"shape of x, \(3,\); got shape \(2,\)"):
        gradient_check(lambda v: 0.0, np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match=r"step must be positive; got 0"):
        numerical_gradient(lambda v: 0.0, np.zeros(3), step=0)
