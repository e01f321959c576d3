"""The loss options mean exactly what they mean in PyTorch 2.13.

``weight``, ``ignore_index``, ``label_smoothing`` (with labels and with probability rows) of
``torch.nn.functional.cross_entropy``, and ``weight``, ``pos_weight`` of
``binary_cross_entropy_with_logits``, including how each ``"mean"`` divides. Every case
compares the loss and the gradient PyTorch's autograd gives for it, on random logits and on
extreme ones. At the extremes PyTorch rounds tiny losses and gradients to 0 while we keep
their digits (tests/test_accuracy.py): there the comparison is absolute, at the scale of
the terms, and the last test shows the difference.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import lossutils
from tests.conftest import import_torch

torch = import_torch()
F = torch.nn.functional

N, C = 12, 5


def random_logits(rng, scale, dtype=np.float64):
    z = scale * rng.standard_normal((N, C))
    if scale >= 100:  # the extreme cases: confident rows, ties and a masked class
        z[0] = [scale, 0.0, 0.0, -scale, 1.0]
        z[1] = [40.0, 0.0, 0.0, 0.0, 0.0]
        z[2] = [3.0, 3.0, -3.0, 3.0, 0.0]
    return z.astype(dtype)


def torch_loss_and_grad(function, z, *args, reduction, **kwargs):
    """PyTorch's loss and d(loss)/dz; for reduction='none' the gradient of the sum."""
    x = torch.tensor(z, requires_grad=True)
    loss = function(x, *args, reduction=reduction, **kwargs)
    (loss.sum() if reduction == "none" else loss).backward()
    return loss.detach().numpy(), x.grad.numpy()


def assert_close(ours, theirs, dtype, scale):
    """Agreement to the dtype's precision, in absolute terms at the scale of the terms."""
    rtol = 1e-12 if dtype == np.float64 else 2e-5
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=rtol * scale)


SOFTMAX_OPTIONS = list(
    itertools.product(
        [None, "random"],  # weight
        [None, -100, 2],  # ignore_index: padding, and a real class ignored
        [0.0, 0.1, 1.0],  # label_smoothing
        ["mean", "sum", "none"],
    )
)


@pytest.mark.parametrize("scale", [3.0, 1000.0])
@pytest.mark.parametrize(("weight", "ignore_index", "smoothing", "reduction"), SOFTMAX_OPTIONS)
def test_cross_entropy_with_labels_matches_pytorch(
    scale, weight, ignore_index, smoothing, reduction
):
    rng = np.random.default_rng(0)
    z = random_logits(rng, scale)
    labels = rng.integers(0, C, size=N)
    labels[:3] = [0, 1, 0]
    if ignore_index is not None:
        labels[[4, 7]] = ignore_index  # two rows of padding (or of the ignored class)
    w = rng.uniform(0.2, 3.0, size=C) if weight == "random" else None
    kwargs = {"label_smoothing": smoothing}
    if ignore_index is not None:
        kwargs["ignore_index"] = ignore_index
    theirs = torch_loss_and_grad(
        F.cross_entropy,
        z,
        torch.tensor(labels),
        reduction=reduction,
        weight=None if w is None else torch.tensor(w),
        **kwargs,
    )
    ours = lossutils.softmax_cross_entropy(z, labels, weight=w, reduction=reduction, **kwargs)
    loss_scale = 1.0 if scale < 100 else 10 * scale
    assert_close(ours[0], theirs[0], np.float64, loss_scale)
    assert_close(ours[1], theirs[1], np.float64, 1.0)


@pytest.mark.parametrize("scale", [3.0, 1000.0])
@pytest.mark.parametrize(
    ("weight", "smoothing", "reduction"),
    list(itertools.product([None, "random"], [0.0, 0.2], ["mean", "sum", "none"])),
)
def test_cross_entropy_with_probability_rows_matches_pytorch(scale, weight, smoothing, reduction):
    rng = np.random.default_rng(1)
    z = random_logits(rng, scale)
    t = rng.dirichlet(np.ones(C), size=N)
    t[0] = [1.0, 0.0, 0.0, 0.0, 0.0]
    w = rng.uniform(0.2, 3.0, size=C) if weight == "random" else None
    theirs = torch_loss_and_grad(
        F.cross_entropy,
        z,
        torch.tensor(t),
        reduction=reduction,
        weight=None if w is None else torch.tensor(w),
        label_smoothing=smoothing,
    )
    ours = lossutils.softmax_cross_entropy(
        z, t, weight=w, label_smoothing=smoothing, reduction=reduction
    )
    loss_scale = 1.0 if scale < 100 else 10 * scale
    assert_close(ours[0], theirs[0], np.float64, loss_scale)
    assert_close(ours[1], theirs[1], np.float64, 1.0)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_float32_matches_pytorch(reduction):
    rng = np.random.default_rng(2)
    z = random_logits(rng, 4.0, np.float32)
    labels = rng.integers(0, C, size=N)
    labels[5] = -100
    w = rng.uniform(0.2, 3.0, size=C).astype(np.float32)
    theirs = torch_loss_and_grad(
        F.cross_entropy,
        z,
        torch.tensor(labels),
        reduction=reduction,
        weight=torch.tensor(w),
        ignore_index=-100,
        label_smoothing=0.1,
    )
    loss, grad = lossutils.softmax_cross_entropy(
        z, labels, weight=w, ignore_index=-100, label_smoothing=0.1, reduction=reduction
    )
    assert loss.dtype == np.float32 and grad.dtype == np.float32
    assert_close(loss, theirs[0], np.float32, 1.0)
    assert_close(grad, theirs[1], np.float32, 1.0)


def torch_sigmoid_ce(x, t, *, reduction, weight=None, pos_weight=None):
    """Our reductions written with PyTorch's: 'mean' sums over classes and averages over N."""
    kwargs = {"weight": weight, "pos_weight": pos_weight}
    if reduction == "elementwise_mean":
        return F.binary_cross_entropy_with_logits(x, t, reduction="mean", **kwargs)
    elementwise = F.binary_cross_entropy_with_logits(x, t, reduction="none", **kwargs)
    per_sample = elementwise.sum(dim=1) if elementwise.ndim == 2 else elementwise
    if reduction == "none":
        return per_sample
    return per_sample.sum() / (x.shape[0] if reduction == "mean" else 1)


SIGMOID_OPTIONS = list(
    itertools.product(
        [None, "class", "element"],  # weight
        [None, "scalar", "class"],  # pos_weight
        ["mean", "elementwise_mean", "sum", "none"],
    )
)


@pytest.mark.parametrize("scale", [3.0, 1000.0])
@pytest.mark.parametrize(("weight", "pos_weight", "reduction"), SIGMOID_OPTIONS)
def test_sigmoid_cross_entropy_matches_pytorch(scale, weight, pos_weight, reduction):
    rng = np.random.default_rng(3)
    z = random_logits(rng, scale)
    t = (rng.random((N, C)) < 0.4).astype(float)
    t[3] = rng.random(C)  # one row of soft targets
    w = {"class": rng.uniform(0.2, 3, C), "element": rng.uniform(0, 3, (N, C))}.get(weight)
    pw = {"scalar": 2.5, "class": rng.uniform(0.5, 4, C)}.get(pos_weight)
    theirs = torch_loss_and_grad(
        torch_sigmoid_ce,
        z,
        torch.tensor(t),
        reduction=reduction,
        weight=None if w is None else torch.tensor(w),
        pos_weight=None if pw is None else torch.tensor(pw),
    )
    ours = lossutils.sigmoid_cross_entropy(z, t, weight=w, pos_weight=pw, reduction=reduction)
    loss_scale = 1.0 if scale < 100 else 10 * C * scale
    assert_close(ours[0], theirs[0], np.float64, loss_scale)
    assert_close(ours[1], theirs[1], np.float64, 1.0)


def test_sigmoid_one_dimensional_logits_match_pytorch():
    rng = np.random.default_rng(4)
    z, t = 5 * rng.standard_normal(20), (rng.random(20) < 0.5).astype(float)
    for reduction in ("mean", "elementwise_mean", "sum", "none"):
        theirs = torch_loss_and_grad(
            torch_sigmoid_ce, z, torch.tensor(t), reduction=reduction, pos_weight=torch.tensor(3.0)
        )
        ours = lossutils.sigmoid_cross_entropy(z, t, pos_weight=3.0, reduction=reduction)
        assert_close(ours[0], theirs[0], np.float64, 1.0)
        assert_close(ours[1], theirs[1], np.float64, 1.0)


def test_the_layers_take_the_same_options_as_the_functions():
    rng = np.random.default_rng(5)
    z = random_logits(rng, 3.0)
    labels = rng.integers(0, C, size=N)
    options = {"weight": rng.uniform(0.5, 2, C), "ignore_index": 1, "label_smoothing": 0.05}
    layer = lossutils.SoftmaxCrossEntropy(**options)
    loss, grad = lossutils.softmax_cross_entropy(z, labels, **options)
    assert layer(z, labels) == loss
    np.testing.assert_array_equal(layer.backward(), grad)
    t = (rng.random((N, C)) < 0.5).astype(float)
    options = {"weight": rng.uniform(0.5, 2, C), "pos_weight": 2.0, "reduction": "sum"}
    layer = lossutils.SigmoidCrossEntropy(**options)
    loss, grad = lossutils.sigmoid_cross_entropy(z, t, **options)
    assert layer(z, t) == loss
    np.testing.assert_array_equal(layer.backward(), grad)


def test_where_pytorch_rounds_to_zero_we_keep_the_digits():
    """At z = [40, 0, 0] with label 0 the loss is log(1 + 2 e^-40) = 8.5e-18 (times the class
    weight); PyTorch's cross_entropy returns 0.0 for it and a 0.0 gradient for the label."""
    z = np.array([[40.0, 0.0, 0.0]])
    exact = np.log1p(2 * np.exp(-40.0))  # log1p of a tiny number: accurate in float64
    for weight in (None, np.array([2.0, 1.0, 1.0])):
        w = 1.0 if weight is None else weight[0]
        theirs_loss, theirs_grad = torch_loss_and_grad(
            F.cross_entropy,
            z,
            torch.tensor([0]),
            reduction="sum",
            weight=None if weight is None else torch.tensor(weight),
        )
        assert theirs_loss == 0.0 and theirs_grad[0, 0] == 0.0
        loss, grad = lossutils.softmax_cross_entropy(z, [0], weight=weight, reduction="sum")
        assert loss == pytest.approx(w * exact, rel=1e-15)
        assert grad[0, 0] == pytest.approx(-w * 2 * np.exp(-40.0) / (1 + 2 * np.exp(-40.0)))
