"""SGD and l2_penalty: steps worked out by hand, and 50 training steps against torch.optim.SGD.

The hand-worked steps use dyadic numbers (0.5, 0.25, ...), so every value is
exact in binary and the assertions are equalities. The PyTorch comparison
trains the same Linear -> ReLU -> Linear network in both libraries from the
same weights on the same batches; it skips, saying why, without PyTorch
(`make test` installs it).
"""

from __future__ import annotations

import numpy as np
import pytest

from lossutils import (
    SGD,
    Linear,
    Parameter,
    ReLU,
    Sequential,
    SoftmaxCrossEntropy,
    l2_penalty,
    minibatches,
)


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip(
        "torch", reason="PyTorch is not installed; `pip install torch==2.13.0` enables this check"
    )


def two_steps(**options):
    """p = 2 with gradient 1 at both steps, lr = 0.5; return p after each step."""
    p = Parameter([2.0])
    optimizer = SGD([p], lr=0.5, **options)
    seen = []
    for _ in range(2):
        p.grad[:] = 1.0
        optimizer.step()
        optimizer.zero_grad()
        seen.append(float(p.data[0]))
    return seen


# Worked by hand from torch.optim.SGD's documented algorithm (dampening 0):
#   g = grad + wd * p;  buf = g (first step) else momentum * buf + g
#   g = g + momentum * buf (nesterov) else buf;  p = p - lr * g
HAND_STEPS = [
    # plain: p = 2 - 0.5, then 1.5 - 0.5
    ({}, [1.5, 1.0]),
    # weight decay 0.25: g = 1 + 0.5 = 1.5 -> p = 1.25; g = 1 + 0.3125 -> p = 1.25 - 0.65625
    ({"weight_decay": 0.25}, [1.25, 0.59375]),
    # momentum 0.5: buf = 1 -> p = 1.5; buf = 0.5 + 1 = 1.5 -> p = 1.5 - 0.75
    ({"momentum": 0.5}, [1.5, 0.75]),
    # nesterov: buf = 1, g = 1 + 0.5 = 1.5 -> p = 1.25; buf = 1.5, g = 1 + 0.75 -> p = 0.375
    ({"momentum": 0.5, "nesterov": True}, [1.25, 0.375]),
    # momentum + decay: g = 1.5, buf = 1.5 -> p = 1.25; g = 1.3125, buf = 0.75 + 1.3125
    # = 2.0625 -> p = 1.25 - 1.03125
    ({"momentum": 0.5, "weight_decay": 0.25}, [1.25, 0.21875]),
    # nesterov + decay: g = 1.5, buf = 1.5, g = 1.5 + 0.75 = 2.25 -> p = 0.875;
    # g = 1 + 0.21875 = 1.21875, buf = 0.75 + 1.21875 = 1.96875,
    # g = 1.21875 + 0.984375 = 2.203125 -> p = 0.875 - 1.1015625
    ({"momentum": 0.5, "weight_decay": 0.25, "nesterov": True}, [0.875, -0.2265625]),
]


@pytest.mark.parametrize(("options", "expected"), HAND_STEPS, ids=[str(o) for o, _ in HAND_STEPS])
def test_two_steps_by_hand(options, expected):
    assert two_steps(**options) == expected


def test_the_momentum_buffer_survives_zero_grad():
    # After zero_grad the gradient is 0, but the buffer still carries the first step:
    # p = 0 - 1 = -1, then buf = 0.5 * 1 + 0 -> p = -1.5. (A buffer aliasing p.grad
    # would be zeroed and leave p at -1.)
    p = Parameter([0.0])
    optimizer = SGD([p], lr=1.0, momentum=0.5)
    p.grad[:] = 1.0
    optimizer.step()
    optimizer.zero_grad()
    optimizer.step()
    assert p.data[0] == -1.5


def test_weight_decay_is_added_once_per_step_under_gradient_accumulation():
    # Two micro-batch backward passes fill .grad with g1 + g2; the step adds wd * p once.
    p = Parameter([2.0])
    optimizer = SGD([p], lr=0.5, weight_decay=0.25)
    p.grad += 1.0
    p.grad += 3.0
    optimizer.step()
    assert p.data[0] == 2.0 - 0.5 * (4.0 + 0.25 * 2.0)


def test_zero_grad_and_lr_zero():
    model = Sequential(Linear(2, 3, rng=np.random.default_rng(0)), ReLU(), Linear(3, 1))
    before = [p.data.copy() for p in model.parameters()]
    optimizer = SGD(model, lr=0.0, momentum=0.9)
    for p in model.parameters():
        p.grad += 1.0
    optimizer.step()
    for p, old in zip(model.parameters(), before, strict=True):
        np.testing.assert_array_equal(p.data, old)
    optimizer.zero_grad()
    assert all(not p.grad.any() for p in model.parameters())


def test_sgd_updates_in_place_and_takes_a_module_or_a_generator():
    layer = Linear(2, 2, rng=np.random.default_rng(0))
    weight_array = layer.weight.data
    assert SGD(layer, lr=0.1).params == [layer.weight, layer.bias]
    assert SGD(iter(layer.parameters()), lr=0.1).params == [layer.weight, layer.bias]
    optimizer = SGD(layer, lr=0.1)
    layer.weight.grad += 1.0
    optimizer.step()
    assert layer.weight.data is weight_array  # the layer's array was updated, not replaced


def test_float32_parameters_stay_float32_through_every_option():
    p = Parameter(np.array([1.0, -2.0], dtype=np.float32))
    optimizer = SGD([p], lr=0.1, momentum=0.9, weight_decay=1e-3, nesterov=True)
    for _ in range(3):
        p.grad[:] = np.array([0.5, 0.25], dtype=np.float32)
        optimizer.step()
    assert p.data.dtype == np.float32 and p.grad.dtype == np.float32
    assert optimizer._buffers[0].dtype == np.float32


def test_l2_penalty_by_hand():
    # 0.5 * 0.1 * (9 + 16 + 1) = 1.3
    params = [Parameter([3.0, 4.0]), Parameter([[1.0]])]
    assert l2_penalty(params, 0.1) == pytest.approx(1.3, rel=1e-15)
    assert l2_penalty(params, 0) == 0.0
    layer = Linear(2, 2, rng=np.random.default_rng(0))
    expected = 0.5 * 0.01 * (np.sum(layer.weight.data**2) + np.sum(layer.bias.data**2))
    assert l2_penalty(layer, 0.01) == pytest.approx(expected, rel=1e-14)


def test_l2_penalty_of_float32_is_summed_in_float64():
    # 2**24 + 1 is not a float32, so a float32 sum of 2**24 ones and one 1 would
    # stop at 2**24; the float64 sum is exact.
    p = Parameter(np.ones(2**24 + 1, dtype=np.float32))
    assert l2_penalty([p], 2.0) == 2**24 + 1


# -- against torch.optim.SGD -----------------------------------------------------------

TORCH_CASES = [
    ("plain", {}),
    ("momentum", {"momentum": 0.9}),
    ("nesterov", {"momentum": 0.9, "nesterov": True}),
    ("weight_decay", {"weight_decay": 0.05}),
    ("momentum_and_weight_decay", {"momentum": 0.9, "weight_decay": 0.05}),
    ("nesterov_and_weight_decay", {"momentum": 0.9, "weight_decay": 0.05, "nesterov": True}),
]
STEPS = 50


def train_both(torch, options, dtype=np.float64):
    """Train the same network in lossutils and in PyTorch; return both, with the losses."""
    rng = np.random.default_rng(0)
    n, d, h, c = 96, 5, 16, 4
    x = rng.standard_normal((n, d))
    y = np.argmax(x @ rng.standard_normal((d, c)), axis=1)  # a learnable rule
    ours = Sequential(
        Linear(d, h, rng=rng, dtype=dtype), ReLU(), Linear(h, c, rng=rng, dtype=dtype)
    )
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    theirs = torch.nn.Sequential(
        torch.nn.Linear(d, h, dtype=tdtype), torch.nn.ReLU(), torch.nn.Linear(h, c, dtype=tdtype)
    )
    with torch.no_grad():  # the recipe of Linear's docstring: transpose the weight
        for ours_layer, their_layer in [(ours[0], theirs[0]), (ours[2], theirs[2])]:
            their_layer.weight.copy_(torch.from_numpy(ours_layer.weight.data.T.copy()))
            their_layer.bias.copy_(torch.from_numpy(ours_layer.bias.data))

    lr = 0.1
    optimizer = SGD(ours, lr, **options)
    torch_optimizer = torch.optim.SGD(theirs.parameters(), lr=lr, **options)
    loss_fn = SoftmaxCrossEntropy()
    batches = []
    batch_rng = np.random.default_rng(1)
    while len(batches) < STEPS:
        batches.extend(minibatches(n, 16, rng=batch_rng))
    our_losses, their_losses = [], []
    xs = x.astype(dtype)
    for idx in batches[:STEPS]:
        our_losses.append(float(loss_fn.forward(ours(xs[idx]), y[idx])))
        ours.backward(loss_fn.backward())
        optimizer.step()
        optimizer.zero_grad()

        loss = torch.nn.functional.cross_entropy(
            theirs(torch.from_numpy(xs[idx])), torch.from_numpy(y[idx])
        )
        torch_optimizer.zero_grad()
        loss.backward()
        torch_optimizer.step()
        their_losses.append(loss.item())
    return ours, theirs, our_losses, their_losses


def max_weight_difference(ours, theirs):
    pairs = [
        (ours[0].weight.data, theirs[0].weight.detach().numpy().T),
        (ours[0].bias.data, theirs[0].bias.detach().numpy()),
        (ours[2].weight.data, theirs[2].weight.detach().numpy().T),
        (ours[2].bias.data, theirs[2].bias.detach().numpy()),
    ]
    return max(float(np.max(np.abs(a - b))) for a, b in pairs)


@pytest.mark.parametrize("options", [o for _, o in TORCH_CASES], ids=[i for i, _ in TORCH_CASES])
def test_fifty_steps_agree_with_torch_optim_sgd_in_float64(torch, options):
    ours, theirs, our_losses, their_losses = train_both(torch, options)
    assert max_weight_difference(ours, theirs) < 1e-12
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-12)
    # It did train (the comparison is not vacuous): the last ten batch losses average well
    # below the first.
    assert np.mean(our_losses[-10:]) < 0.8 * our_losses[0]


@pytest.mark.parametrize("options", [o for _, o in TORCH_CASES], ids=[i for i, _ in TORCH_CASES])
def test_fifty_steps_agree_with_torch_optim_sgd_in_float32(torch, options):
    ours, theirs, our_losses, their_losses = train_both(torch, options, dtype=np.float32)
    assert all(p.data.dtype == np.float32 for p in ours.parameters())
    assert max_weight_difference(ours, theirs) < 1e-5
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-5)


# -- bad input -------------------------------------------------------------------------


def _params():
    return [Parameter([1.0])]


def _step_after_grad_replaced():
    p = Parameter([1.0, 2.0])
    optimizer = SGD([p], lr=0.1)
    p.grad = np.array(1.0)  # would broadcast
    optimizer.step()


_shared = Parameter([1.0])

BAD_INPUTS = [
    (
        "lr negative",
        lambda: SGD(_params(), lr=-0.1),
        ValueError,
        r"lr must be finite and >= 0; got -0.1",
    ),
    ("lr NaN", lambda: SGD(_params(), lr=float("nan")), ValueError, r"lr must be finite .*got nan"),
    ("lr inf", lambda: SGD(_params(), lr=np.inf), ValueError, r"lr must be finite .*got inf"),
    (
        "lr string",
        lambda: SGD(_params(), lr="0.1"),
        TypeError,
        r"lr must be a real number; got '0.1'",
    ),
    ("lr bool", lambda: SGD(_params(), lr=True), TypeError, r"lr must be a real number; got True"),
    (
        "momentum negative",
        lambda: SGD(_params(), lr=0.1, momentum=-0.5),
        ValueError,
        r"momentum must be finite and >= 0; got -0.5",
    ),
    (
        "weight_decay NaN",
        lambda: SGD(_params(), lr=0.1, weight_decay=np.nan),
        ValueError,
        r"weight_decay must be finite and >= 0; got nan",
    ),
    (
        "nesterov without momentum",
        lambda: SGD(_params(), lr=0.1, nesterov=True),
        ValueError,
        r"nesterov=True needs momentum > 0; got momentum=0.0",
    ),
    (
        "nesterov string",
        lambda: SGD(_params(), lr=0.1, momentum=0.9, nesterov="yes"),
        TypeError,
        r"nesterov must be True or False; got 'yes'",
    ),
    ("params empty", lambda: SGD([], lr=0.1), ValueError, r"params is empty"),
    (
        "params of arrays",
        lambda: SGD([Parameter([1.0]), np.zeros(2)], lr=0.1),
        TypeError,
        r"params must hold Parameter objects; got ndarray at position 1",
    ),
    (
        "params a number",
        lambda: SGD(3, lr=0.1),
        TypeError,
        r"params must be a Module or an iterable of Parameter objects; got int",
    ),
    (
        "params repeated",
        lambda: SGD([_shared, Parameter([2.0]), _shared], lr=0.1),
        ValueError,
        r"the same Parameter twice, at positions 0 and 2: it would be updated twice",
    ),
    (
        "grad replaced by a scalar",
        _step_after_grad_replaced,
        ValueError,
        r"parameter 0 has data of shape \(2,\) but grad of shape \(\); they must match",
    ),
    (
        "l2_penalty negative",
        lambda: l2_penalty(_params(), -1.0),
        ValueError,
        r"weight_decay must be finite and >= 0; got -1.0",
    ),
    (
        "l2_penalty of arrays",
        lambda: l2_penalty([np.ones(2)], 0.1),
        TypeError,
        r"params must hold Parameter objects; got ndarray at position 0",
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
