"""Cross-check of the plain losses against PyTorch on ordinary inputs."""

from __future__ import annotations

import numpy as np
import pytest

import lossutils
from tests.conftest import import_torch

torch = import_torch()


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    z = 3 * rng.standard_normal((16, 7))
    return z, rng.integers(0, 7, size=16), (rng.random((16, 7)) < 0.3).astype(float)


def torch_loss_and_grad(fn, z, targets):
    x = torch.tensor(z, requires_grad=True)
    loss = fn(x, torch.as_tensor(targets))
    loss.backward()
    return loss.item(), x.grad.numpy()


def test_sigmoid_ce_matches_binary_cross_entropy_with_logits(data):
    z, _, multi = data
    loss, grad = torch_loss_and_grad(
        lambda x, t: (
            torch.nn.functional.binary_cross_entropy_with_logits(x, t, reduction="sum") / x.shape[0]
        ),
        z,
        multi,
    )
    loss_fn = lossutils.SigmoidCrossEntropy()
    assert loss_fn.forward(z, multi) == pytest.approx(loss, rel=1e-13)
    np.testing.assert_allclose(loss_fn.backward(), grad, rtol=1e-12, atol=1e-17)


def test_softmax_ce_matches_cross_entropy(data):
    z, labels, _ = data
    loss, grad = torch_loss_and_grad(torch.nn.functional.cross_entropy, z, labels)
    loss_fn = lossutils.SoftmaxCrossEntropy()
    assert loss_fn.forward(z, labels) == pytest.approx(loss, rel=1e-13)
    np.testing.assert_allclose(loss_fn.backward(), grad, rtol=1e-12, atol=1e-17)
