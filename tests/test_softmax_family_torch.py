"""The PyTorch column of chapter 7's table: masks, temperature and distillation.

The options ``weight``, ``ignore_index`` and ``label_smoothing`` are compared in
tests/test_torch_options.py, the focal loss in tests/test_focal.py and the margin
losses in tests/test_margin.py. Here: logits set to ``-inf`` (and its edge cases),
the two gradients of a temperature, and the distillation loss written with
``F.kl_div``, each against PyTorch 2.13's autograd.
"""

from __future__ import annotations

import numpy as np
import pytest

import lossutils
from tests.conftest import import_torch

torch = import_torch()
F = torch.nn.functional


def masked_batch():
    rng = np.random.default_rng(0)
    z = rng.normal(0.0, 2.0, size=(6, 5))
    allowed = rng.random((6, 5)) < 0.6
    labels = np.array([int(np.flatnonzero(row)[0]) if row.any() else 0 for row in allowed])
    allowed[np.arange(6), labels] = True  # every label is allowed
    return np.where(allowed, z, -np.inf), labels, allowed


def test_masked_logits_match_pytorch_and_get_no_gradient():
    z, labels, allowed = masked_batch()
    assert (~allowed).sum() >= 5
    zt = torch.tensor(z, requires_grad=True)
    theirs = F.cross_entropy(zt, torch.tensor(labels))
    theirs.backward()
    loss, grad = lossutils.softmax_cross_entropy(z, labels)
    assert loss == pytest.approx(theirs.item(), rel=1e-13)
    np.testing.assert_allclose(grad, zt.grad.numpy(), rtol=1e-12, atol=1e-16)
    assert np.all(grad[~allowed] == 0.0) and np.all(zt.grad.numpy()[~allowed] == 0.0)


def test_a_masked_label_or_label_smoothing_with_a_mask_is_infinite_in_both():
    z = np.array([[1.0, -np.inf, 0.5]])
    for kwargs, labels in (({}, [1]), ({"label_smoothing": 0.1}, [0])):
        theirs = F.cross_entropy(torch.tensor(z), torch.tensor(labels), **kwargs).item()
        ours = lossutils.softmax_cross_entropy(z, np.array(labels), **kwargs)[0]
        assert theirs == np.inf and ours == np.inf


def test_a_row_with_every_class_masked_is_nan_in_pytorch_and_refused_here():
    z = np.full((1, 3), -np.inf)
    assert np.isnan(F.cross_entropy(torch.tensor(z), torch.tensor([0])).item())
    with pytest.raises(ValueError, match="every logit of 1 row"):
        lossutils.softmax_cross_entropy(z, np.array([0]))


@pytest.mark.parametrize("temperature", [0.3, 1.0, 2.5])
def test_both_temperature_gradients_match_autograd(temperature):
    rng = np.random.default_rng(1)
    z = rng.normal(0.0, 3.0, size=(7, 4))
    labels = rng.integers(0, 4, size=7)
    zt = torch.tensor(z, requires_grad=True)
    tt = torch.tensor(temperature, dtype=torch.float64, requires_grad=True)
    F.cross_entropy(zt / tt, torch.tensor(labels)).backward()
    p = lossutils.softmax(z / temperature)
    n = len(labels)
    dz = (p - lossutils.one_hot(labels, 4)) / temperature / n  # chapter 7, (p - t) / T
    rows = np.arange(n)
    dtemp = np.mean(z[rows, labels] - np.sum(p * z, axis=1)) / temperature**2
    np.testing.assert_allclose(dz, zt.grad.numpy(), rtol=1e-12, atol=1e-16)
    assert dtemp == pytest.approx(tt.grad.item(), rel=1e-12)


@pytest.mark.parametrize("temperature", [1.0, 4.0, 20.0])
def test_distillation_with_kl_div_has_the_gradient_of_the_soft_cross_entropy(temperature):
    rng = np.random.default_rng(2)
    student = rng.normal(0.0, 3.0, size=(5, 6))
    teacher = rng.normal(0.0, 3.0, size=(5, 6))
    soft = lossutils.softmax(teacher / temperature)
    st = torch.tensor(student, requires_grad=True)
    kl = F.kl_div(
        F.log_softmax(st / temperature, dim=1),
        torch.tensor(soft),
        reduction="batchmean",
    )
    (kl * temperature**2).backward()
    loss, g = lossutils.softmax_cross_entropy(student / temperature, soft)
    ours = temperature**2 * g / temperature  # chain rule through z / T, times T^2
    expected = temperature * (lossutils.softmax(student / temperature) - soft) / 5
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-16)
    np.testing.assert_allclose(ours, st.grad.numpy(), rtol=1e-10, atol=1e-15)
    # The losses differ by T^2 times the mean entropy of the soft targets, a constant.
    entropy = -np.sum(soft * np.log(soft)) / 5
    assert temperature**2 * (loss - entropy) == pytest.approx(temperature**2 * kl.item(), rel=1e-10)
