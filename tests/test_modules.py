"""Parameter, Module, Linear, ReLU and Sequential.

References: finite differences through a whole network (gradients), numbers
worked out by hand (forward passes, ReLU at 0), and PyTorch where it is
installed (initialisation bounds, the weight-copying recipe, ReLU's
derivative at 0). The PyTorch tests skip, saying why, without it; `make test`
installs it.
"""

from __future__ import annotations

import numpy as np
import pytest

from lossutils import (
    Linear,
    Module,
    Parameter,
    ReLU,
    Sequential,
    SoftmaxCrossEntropy,
    gradient_check,
)


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip(
        "torch", reason="PyTorch is not installed; `pip install torch==2.13.0` enables this check"
    )


def mlp(rng, d=4, h=6, c=3, dtype=np.float64):
    return Sequential(
        Linear(d, h, rng=rng, dtype=dtype), ReLU(), Linear(h, c, rng=rng, dtype=dtype)
    )


# -- Parameter ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "dtype", "expected"),
    [
        (np.zeros(2, dtype=np.float32), None, np.float32),
        (np.zeros(2, dtype=np.float64), None, np.float64),
        (np.zeros(2, dtype=np.float16), None, np.float64),
        (np.zeros(2, dtype=np.int32), None, np.float64),
        ([1, 2], None, np.float64),
        ([1.0, 2.0], None, np.float64),
        (np.zeros(2, dtype=np.float64), np.float32, np.float32),
        (np.zeros(2, dtype=np.float16), np.float32, np.float32),
        ([1, 2], "float32", np.float32),
    ],
)
def test_parameter_dtype_rules(data, dtype, expected):
    p = Parameter(data, dtype=dtype)
    assert p.data.dtype == expected
    assert p.grad.dtype == expected and p.grad.shape == p.data.shape
    assert not p.grad.any()


def test_parameter_copies_its_data_and_zero_grad_resets():
    source = np.array([1.0, 2.0])
    p = Parameter(source)
    source[0] = 99.0
    assert p.data[0] == 1.0
    p.grad += 3.0
    p.zero_grad()
    np.testing.assert_array_equal(p.grad, [0.0, 0.0])
    assert repr(Parameter(np.zeros((2, 3)))) == "Parameter(shape=(2, 3), dtype=float64)"


# -- Module ------------------------------------------------------------------


def test_calling_a_module_calls_forward_with_every_argument():
    class Affine(Module):
        def forward(self, x, *, shift=0.0):
            return 2 * x + shift

    assert Affine()(3.0, shift=1.0) == 7.0


def test_the_base_module_says_what_is_missing():
    with pytest.raises(NotImplementedError, match=r"Module does not define forward\(\)"):
        Module()(np.zeros(2))
    with pytest.raises(NotImplementedError, match=r"Module does not define backward\(\)"):
        Module().backward(np.zeros(2))


def test_module_finds_nested_parameters_once_in_assignment_order():
    class Net(Module):
        def __init__(self):
            self.first = Linear(2, 3)
            self.second = Linear(3, 1)
            self.shared = self.first.weight  # the same parameter twice
            self.blocks = [Linear(1, 1)]

    net = Net()
    params = net.parameters()
    expected = [
        net.first.weight,
        net.first.bias,
        net.second.weight,
        net.second.bias,
        net.blocks[0].weight,
        net.blocks[0].bias,
    ]
    assert len(params) == 6 and all(p is q for p, q in zip(params, expected, strict=True))
    for p in params:
        p.grad += 1.0
    net.zero_grad()
    assert all(not p.grad.any() for p in params)


# -- Linear: initialisation ------------------------------------------------------------


def test_linear_is_reproducible_with_an_rng_and_different_without():
    a = Linear(3, 4, rng=np.random.default_rng(5))
    b = Linear(3, 4, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(a.bias.data, b.bias.data)
    c, d = Linear(3, 4), Linear(3, 4)
    assert not np.array_equal(c.weight.data, d.weight.data)
    assert not np.array_equal(c.bias.data, d.bias.data)


def test_linear_draws_weight_then_bias_uniformly_within_one_over_sqrt_in():
    # PyTorch's default: U(-1/sqrt(in), 1/sqrt(in)) for both, weight drawn first.
    bound = 1 / np.sqrt(16)
    layer = Linear(16, 500, rng=np.random.default_rng(0))
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(layer.weight.data, rng.uniform(-bound, bound, size=(16, 500)))
    np.testing.assert_array_equal(layer.bias.data, rng.uniform(-bound, bound, size=500))
    w = layer.weight.data
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    # The variance of U(-b, b) is b^2/3; 8000 draws estimate it within a few percent.
    assert np.var(w) == pytest.approx(bound**2 / 3, rel=0.05)


def test_linear_init_bounds_are_those_of_torch_nn_linear(torch):
    torch.manual_seed(0)
    theirs = torch.nn.Linear(16, 4000, dtype=torch.float64)
    ours = Linear(16, 4000, rng=np.random.default_rng(0))
    bound = 1 / np.sqrt(16)
    for t, o in [(theirs.weight, ours.weight.data), (theirs.bias, ours.bias.data)]:
        t_abs_max = float(t.detach().abs().max())
        o_abs_max = float(np.abs(o).max())
        assert t_abs_max <= bound and o_abs_max <= bound
        assert t_abs_max > 0.99 * bound and o_abs_max > 0.99 * bound


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_float32_and_float64_weights(dtype):
    layer = Linear(3, 2, rng=np.random.default_rng(0), dtype=dtype)
    assert layer.dtype == dtype
    for p in layer.parameters():
        assert p.data.dtype == dtype and p.grad.dtype == dtype


# -- Linear: forward and backward ------------------------------------------------------


def hand_layer():
    """A 2 -> 3 layer with weights chosen for hand arithmetic."""
    layer = Linear(2, 3, rng=np.random.default_rng(0))
    layer.weight.data[...] = [[1.0, 0.0, -1.0], [2.0, 1.0, 0.5]]
    layer.bias.data[...] = [0.5, -1.0, 0.0]
    return layer


def test_linear_forward_and_backward_by_hand():
    layer = hand_layer()
    x = np.array([[1.0, 2.0], [-1.0, 0.0]])
    # Row 0: [1 + 4, 0 + 2, -1 + 1] + b = [5.5, 1, 0]; row 1: [-1, 0, 1] + b = [-0.5, -1, 1].
    np.testing.assert_array_equal(layer(x), [[5.5, 1.0, 0.0], [-0.5, -1.0, 1.0]])
    g = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]])
    grad_x = layer.backward(g)
    # dL/dx = g W^T: row 0 = [1 - 2, 2 + 1] = [-1, 3]; row 1 = [1, 1 - 0.5] = [1, 0.5].
    np.testing.assert_array_equal(grad_x, [[-1.0, 3.0], [1.0, 0.5]])
    # dL/dW = x^T g: column i of x^T times g.
    np.testing.assert_array_equal(layer.weight.grad, [[1.0, -1.0, 3.0], [2.0, 0.0, 4.0]])
    np.testing.assert_array_equal(layer.bias.grad, [1.0, 1.0, 1.0])


def test_linear_casts_integer_input_to_its_dtype():
    layer = hand_layer()
    z = layer(np.array([[1, 2]]))
    assert z.dtype == np.float64
    np.testing.assert_array_equal(z, [[5.5, 1.0, 0.0]])
    layer32 = Linear(2, 3, rng=np.random.default_rng(0), dtype=np.float32)
    assert layer32(np.array([[1, 2]], dtype=np.int64)).dtype == np.float32


def test_the_docstring_recipe_copies_a_torch_linear_exactly(torch):
    torch.manual_seed(0)
    tl = torch.nn.Linear(3, 2, dtype=torch.float64)
    assert tuple(tl.weight.shape) == (2, 3)  # PyTorch's layout: (out, in)
    layer = Linear(tl.in_features, tl.out_features)
    layer.weight.data[...] = tl.weight.detach().numpy().T
    layer.bias.data[...] = tl.bias.detach().numpy()
    rng = np.random.default_rng(0)
    x, g = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    tx = torch.tensor(x, requires_grad=True)
    tz = tl(tx)
    tz.backward(torch.tensor(g))
    np.testing.assert_allclose(layer(x), tz.detach().numpy(), rtol=1e-14)
    np.testing.assert_allclose(layer.backward(g), tx.grad.numpy(), rtol=1e-14)
    np.testing.assert_allclose(layer.weight.grad, tl.weight.grad.numpy().T, rtol=1e-14)
    np.testing.assert_allclose(layer.bias.grad, tl.bias.grad.numpy(), rtol=1e-14)
    # PyTorch refuses a float32 input to float64 weights too (we raise TypeError).
    with pytest.raises(RuntimeError, match="dtype"):
        tl(torch.zeros((1, 3), dtype=torch.float32))


def test_gradients_accumulate_over_backward_calls():
    rng = np.random.default_rng(1)
    layer = Linear(3, 2, rng=rng)
    x1, x2 = rng.standard_normal((4, 3)), rng.standard_normal((5, 3))
    g1, g2 = rng.standard_normal((4, 2)), rng.standard_normal((5, 2))
    layer(x1)
    layer.backward(g1)
    layer(x2)
    layer.backward(g2)
    np.testing.assert_allclose(layer.weight.grad, x1.T @ g1 + x2.T @ g2, rtol=1e-14)
    np.testing.assert_allclose(layer.bias.grad, g1.sum(axis=0) + g2.sum(axis=0), rtol=1e-14)
    # The same backward twice adds the same gradient twice.
    layer.zero_grad()
    layer(x1)
    layer.backward(g1)
    once = layer.weight.grad.copy()
    layer.backward(g1)
    np.testing.assert_array_equal(layer.weight.grad, 2 * once)


# -- ReLU ------------------------------------------------------------------------------


def test_relu_by_hand_with_derivative_zero_at_zero():
    relu = ReLU()
    x = np.array([[-2.0, 0.0, 3.0], [0.5, -0.0, -1e-300]])
    np.testing.assert_array_equal(relu(x), [[0.0, 0.0, 3.0], [0.5, 0.0, 0.0]])
    np.testing.assert_array_equal(
        relu.backward(np.full((2, 3), 7.0)), [[0.0, 0.0, 7.0], [7.0, 0.0, 0.0]]
    )


def test_relu_keeps_nan_and_dtype():
    relu = ReLU()
    out = relu(np.array([np.nan, -1.0, 1.0], dtype=np.float32))
    assert out.dtype == np.float32 and np.isnan(out[0])
    assert relu.backward(np.ones(3, dtype=np.float32)).dtype == np.float32
    assert ReLU()(np.array([-1, 2])).dtype == np.float64


def test_relu_derivative_matches_torch_at_zero_and_elsewhere(torch):
    x = np.array([[-1.5, 0.0, 2.0, -0.0, 1e-300]])
    upstream = np.array([[1.0, 2.0, 3.0, 4.0, 5.0]])
    tx = torch.tensor(x, requires_grad=True)
    (torch.relu(tx) * torch.tensor(upstream)).sum().backward()
    relu = ReLU()
    np.testing.assert_array_equal(relu(x), torch.relu(torch.tensor(x)).numpy())
    np.testing.assert_array_equal(relu.backward(upstream), tx.grad.numpy())


# -- Sequential ------------------------------------------------------------------------


def test_sequential_container_protocol():
    rng = np.random.default_rng(0)
    first, relu, last = Linear(2, 4, rng=rng), ReLU(), Linear(4, 3, rng=rng)
    model = Sequential(first, relu, last)
    assert len(model) == 3
    assert model[0] is first and model[-1] is last
    assert list(model) == [first, relu, last]
    head = model[:2]
    assert isinstance(head, Sequential) and list(head) == [first, relu]
    assert model.parameters() == [first.weight, first.bias, last.weight, last.bias]
    assert repr(model) == (
        "Sequential(Linear(in_features=2, out_features=4, dtype=float64), ReLU(), "
        "Linear(in_features=4, out_features=3, dtype=float64))"
    )


def test_sequential_forward_and_backward_chain_the_layers_by_hand():
    rng = np.random.default_rng(2)
    model = mlp(rng)
    x = rng.standard_normal((5, 4))
    first, _, last = model
    w1, b1, w2, b2 = (p.data for p in model.parameters())
    pre = x @ w1 + b1
    np.testing.assert_allclose(model(x), np.maximum(pre, 0) @ w2 + b2, rtol=1e-14)
    g = rng.standard_normal((5, 3))
    grad_x = model.backward(g)
    np.testing.assert_allclose(grad_x, ((g @ w2.T) * (pre > 0)) @ w1.T, rtol=1e-14)
    np.testing.assert_allclose(last.weight.grad, np.maximum(pre, 0).T @ g, rtol=1e-14)
    np.testing.assert_allclose(first.bias.grad, ((g @ w2.T) * (pre > 0)).sum(0), rtol=1e-14)


# -- finite differences through a network and its loss -------------------------------


def test_network_and_loss_gradients_match_finite_differences():
    rng = np.random.default_rng(3)
    model = mlp(rng, d=4, h=6, c=3)
    x = rng.standard_normal((7, 4))
    labels = rng.integers(0, 3, size=7)
    # The check is only honest away from ReLU's kink: no hidden pre-activation may be
    # within reach of the finite-difference step (h = 1e-5 moves it by far less than 1e-3).
    pre = x @ model[0].weight.data + model[0].bias.data
    assert np.abs(pre).min() > 1e-3

    loss_fn = SoftmaxCrossEntropy()
    loss_fn.forward(model(x), labels)
    grad_x = model.backward(loss_fn.backward())

    def loss_at(param=None, value=None, inputs=x):
        saved = None if param is None else param.data
        if param is not None:
            param.data = value
        try:
            return float(SoftmaxCrossEntropy().forward(model(inputs), labels))
        finally:
            if param is not None:
                param.data = saved

    for name, param in zip(["W1", "b1", "W2", "b2"], model.parameters(), strict=True):
        check = gradient_check(lambda v, p=param: loss_at(p, v), param.data, param.grad)
        assert check.max_rel_error < 1e-7, f"{name}: {check}"
    check = gradient_check(lambda v: loss_at(inputs=v), x, grad_x)
    assert check.max_rel_error < 1e-7, f"input: {check}"


# -- float32 end to end ----------------------------------------------------------------


def test_float32_stays_float32_through_forward_loss_backward():
    rng = np.random.default_rng(4)
    model = mlp(rng, dtype=np.float32)
    x = rng.standard_normal((6, 4)).astype(np.float32)
    labels = rng.integers(0, 3, size=6)
    loss_fn = SoftmaxCrossEntropy()
    logits = model(x)
    loss = loss_fn.forward(logits, labels)
    dlogits = loss_fn.backward()
    grad_x = model.backward(dlogits)
    for name, arr in [("logits", logits), ("loss", loss), ("dlogits", dlogits), ("dx", grad_x)]:
        assert arr.dtype == np.float32, name
    for p in model.parameters():
        assert p.data.dtype == np.float32 and p.grad.dtype == np.float32


# -- bad input: every message names what was expected and what was received -------------


def _linear_after_forward():
    layer = Linear(3, 2, rng=np.random.default_rng(0))
    layer(np.zeros((4, 3)))
    return layer


def _relu_after_forward():
    relu = ReLU()
    relu(np.zeros((2, 3)))
    return relu


BAD_INPUTS = [
    ("Parameter of strings", lambda: Parameter(["a"]), TypeError, r"real numbers .*got .*<U1"),
    ("Parameter of complex", lambda: Parameter([1j]), TypeError, r"real numbers .*complex128"),
    (
        "Parameter float16 dtype",
        lambda: Parameter([1.0], dtype=np.float16),
        TypeError,
        r"float32 or float64; got float16",
    ),
    (
        "Parameter with NaN",
        lambda: Parameter([1.0, np.nan]),
        ValueError,
        r"must be finite; got nan at index \(1,\)",
    ),
    (
        "Parameter with inf",
        lambda: Parameter([[np.inf]]),
        ValueError,
        r"must be finite; got inf at index \(0, 0\)",
    ),
    (
        "in_features 0",
        lambda: Linear(0, 2),
        ValueError,
        r"in_features must be a positive int; got 0",
    ),
    (
        "out_features negative",
        lambda: Linear(2, -1),
        ValueError,
        r"out_features must be a positive int; got -1",
    ),
    (
        "in_features float",
        lambda: Linear(2.0, 3),
        TypeError,
        r"in_features must be a positive int; got 2.0 of type float",
    ),
    (
        "out_features bool",
        lambda: Linear(2, True),
        TypeError,
        r"out_features must be a positive int; got True",
    ),
    (
        "Linear int dtype",
        lambda: Linear(2, 3, dtype=np.int64),
        TypeError,
        r"Linear dtype must be float32 or float64; got int64",
    ),
    (
        "Linear seed instead of rng",
        lambda: Linear(2, 3, rng=0),
        TypeError,
        r"rng must be a numpy.random.Generator .*default_rng\(0\); got int",
    ),
    (
        "Linear input width",
        lambda: Linear(3, 2)(np.zeros((4, 2))),
        ValueError,
        r"input of shape \(N, 3\); got shape \(4, 2\)",
    ),
    (
        "Linear 1-D input",
        lambda: Linear(3, 2)(np.zeros(3)),
        ValueError,
        r"input of shape \(N, 3\); got shape \(3,\)",
    ),
    (
        "Linear float32 input to float64 layer",
        lambda: Linear(3, 2)(np.zeros((1, 3), dtype=np.float32)),
        TypeError,
        r"float64 weights but got an input of dtype float32: cast the input with "
        r"x\.astype\(np\.float64\), or create the layer with Linear\(\.\.\., "
        r"dtype=np\.float32\)",
    ),
    (
        "Linear float64 input to float32 layer",
        lambda: Linear(3, 2, dtype=np.float32)(np.zeros((1, 3))),
        TypeError,
        r"float32 weights but got an input of dtype float64: .*x\.astype\(np\.float32\)",
    ),
    (
        "Linear float16 input",
        lambda: Linear(3, 2, dtype=np.float32)(np.zeros((1, 3), dtype=np.float16)),
        TypeError,
        r"float32 weights but got an input of dtype float16: cast the input with "
        r"x\.astype\(np\.float32\)$",
    ),
    (
        "Linear bool input",
        lambda: Linear(3, 2)(np.zeros((1, 3), dtype=bool)),
        TypeError,
        r"real-valued input of dtype float64; got an array of dtype bool",
    ),
    (
        "Linear backward before forward",
        lambda: Linear(3, 2).backward(np.zeros((1, 2))),
        RuntimeError,
        r"Linear\.backward\(\) called before forward\(\)",
    ),
    (
        "Linear grad_out shape",
        lambda: _linear_after_forward().backward(np.zeros((4, 3))),
        ValueError,
        r"grad_out of shape \(4, 2\), the shape of the last forward's output; "
        r"got shape \(4, 3\)",
    ),
    (
        "Linear grad_out broadcastable row",
        lambda: _linear_after_forward().backward(np.zeros(2)),
        ValueError,
        r"grad_out of shape \(4, 2\).*got shape \(2,\)",
    ),
    (
        "Linear grad_out strings",
        lambda: _linear_after_forward().backward(np.full((4, 2), "a")),
        TypeError,
        r"grad_out of real numbers; got an array of dtype <U1",
    ),
    (
        "ReLU backward before forward",
        lambda: ReLU().backward(np.zeros(2)),
        RuntimeError,
        r"ReLU\.backward\(\) called before forward\(\)",
    ),
    (
        "ReLU grad_out shape",
        lambda: _relu_after_forward().backward(np.zeros(3)),
        ValueError,
        r"grad_out of shape \(2, 3\).*got shape \(3,\)",
    ),
    (
        "ReLU complex input",
        lambda: ReLU()(np.zeros(2, dtype=complex)),
        TypeError,
        r"ReLU expects real numbers; got an array of dtype complex128",
    ),
    (
        "Sequential of a function",
        lambda: Sequential(Linear(2, 2), np.tanh),
        TypeError,
        r"Sequential takes Module objects; got ufunc at position 1",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [case[1:] for case in BAD_INPUTS],
    ids=[case[0] for case in BAD_INPUTS],
)
def test_bad_input_is_refused_with_a_clear_message(call, error, message):
    with pytest.raises(error, match=message):
        call()
