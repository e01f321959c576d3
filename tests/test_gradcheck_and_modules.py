"""The gradient-checking helpers and the small model API (Parameter, Module, Linear)."""

from __future__ import annotations

import numpy as np
import pytest

from lossutils import Linear, Module, Parameter, gradient_check, numerical_gradient


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
    with pytest.raises(ValueError, match=r"h must be positive; got 0"):
        numerical_gradient(lambda v: 0.0, np.zeros(3), h=0)


def test_linear_backward_matches_finite_differences():
    rng = np.random.default_rng(0)
    layer = Linear(3, 2, rng=rng)
    x = rng.standard_normal((4, 3))
    upstream = rng.standard_normal((4, 2))

    def objective_of_weight(w):
        return float(np.sum((x @ w + layer.bias.data) * upstream))

    layer.forward(x)
    grad_x = layer.backward(upstream)
    assert (
        gradient_check(objective_of_weight, layer.weight.data, layer.weight.grad).max_rel_error
        < 1e-8
    )
    np.testing.assert_allclose(layer.bias.grad, upstream.sum(axis=0))
    np.testing.assert_allclose(grad_x, upstream @ layer.weight.data.T)


def test_linear_refuses_bad_shapes_and_backward_before_forward():
    layer = Linear(3, 2)
    with pytest.raises(RuntimeError, match=r"before forward"):
        layer.backward(np.zeros((1, 2)))
    with pytest.raises(ValueError, match=r"shape \(N, 3\); got shape \(4, 2\)"):
        layer.forward(np.zeros((4, 2)))
    layer.forward(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"shape \(4, 2\); got shape \(4, 3\)"):
        layer.backward(np.zeros((4, 3)))


def test_module_finds_nested_parameters_once():
    class Net(Module):
        def __init__(self):
            self.first = Linear(2, 3)
            self.second = Linear(3, 1)
            self.shared = self.first.weight  # the same parameter twice
            self.blocks = [Linear(1, 1)]

    net = Net()
    params = net.parameters()
    assert len(params) == 6
    for p in params:
        p.grad += 1.0
    net.zero_grad()
    assert all(np.all(p.grad == 0) for p in params)
    assert repr(Parameter(np.zeros((2, 3)))) == "Parameter(shape=(2, 3))"
