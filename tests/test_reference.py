"""The short reference versions (chapter 5) and the fast kernels agree.

The reference versions are checked against hand-derived values here; the fast
kernels are then checked against them on ordinary and on extreme inputs, where
the two may differ only at the scale of the rounding of the largest term.
"""

from __future__ import annotations

import numpy as np
import pytest

import lossutils
from lossutils.reference import sigmoid_cross_entropy_reference, softmax_cross_entropy_reference


def test_softmax_reference_matches_a_hand_computation():
    # z = [0, log 2, log 3]: p = [1, 2, 3] / 6 exactly; label 2: loss log 2.
    z = np.array([[0.0, np.log(2.0), np.log(3.0)]])
    loss, grad = softmax_cross_entropy_reference(z, [2])
    assert loss == pytest.approx(np.log(2.0), rel=1e-15)
    np.testing.assert_allclose(grad, [[1 / 6, 2 / 6, -1 / 2]], rtol=1e-15)


def test_sigmoid_reference_matches_a_hand_computation():
    # z = log 3: sigma = 3/4; t = 1: loss log(4/3); t = 0: loss log 4.
    z = np.array([[np.log(3.0), np.log(3.0)]])
    loss, grad = sigmoid_cross_entropy_reference(z, [[1.0, 0.0]])
    assert loss == pytest.approx(np.log(4 / 3) + np.log(4.0), rel=1e-15)
    np.testing.assert_allclose(grad, [[-1 / 4, 3 / 4]], rtol=1e-15)


@pytest.mark.parametrize("scale", [0.1, 3.0, 30.0])
def test_fast_softmax_matches_the_reference_on_ordinary_inputs(scale):
    rng = np.random.default_rng(0)
    z = scale * rng.standard_normal((64, 10))
    y = rng.integers(0, 10, size=64)
    ref_loss, ref_grad = softmax_cross_entropy_reference(z, y)
    loss, grad = lossutils.softmax_cross_entropy(z, y)
    assert loss == pytest.approx(ref_loss, rel=1e-13)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-12, atol=1e-16)


@pytest.mark.parametrize("scale", [0.1, 3.0, 30.0])
def test_fast_sigmoid_matches_the_reference_on_ordinary_inputs(scale):
    rng = np.random.default_rng(1)
    z = scale * rng.standard_normal((64, 10))
    t = (rng.random((64, 10)) < 0.3).astype(float)
    ref_loss, ref_grad = sigmoid_cross_entropy_reference(z, t)
    loss, grad = lossutils.sigmoid_cross_entropy(z, t)
    assert loss == pytest.approx(ref_loss, rel=1e-13)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-12, atol=1e-16)


def test_both_agree_at_extreme_logits_at_the_scale_of_the_largest_term():
    z = np.array([[1e4, -1e4, 0.0], [40.0, 0.0, 0.0], [0.0, 40.0, 0.0], [-800.0, 800.0, 0.0]])
    y = np.array([0, 0, 0, 2])
    ref_loss, ref_grad = softmax_cross_entropy_reference(z, y)
    loss, grad = lossutils.softmax_cross_entropy(z, y)
    assert np.isfinite(ref_loss) and np.isfinite(ref_grad).all()
    assert abs(loss - ref_loss) <= 4 * np.finfo(float).eps * max(1.0, abs(loss))
    np.testing.assert_allclose(grad, ref_grad, rtol=0, atol=4 * np.finfo(float).eps)
    t = (np.arange(12).reshape(4, 3) % 2).astype(float)
    ref_loss, ref_grad = sigmoid_cross_entropy_reference(z, t)
    loss, grad = lossutils.sigmoid_cross_entropy(z, t)
    assert abs(loss - ref_loss) <= 4 * np.finfo(float).eps * max(1.0, abs(loss))
    np.testing.assert_allclose(grad, ref_grad, rtol=0, atol=4 * np.finfo(float).eps)


def test_what_the_reference_leaves_to_the_fast_kernel():
    """At z = [40, 0, 0] the loss is 8.5e-18: the reference rounds it to 0, the kernel keeps it."""
    z = np.array([[40.0, 0.0, 0.0]])
    ref_loss, ref_grad = softmax_cross_entropy_reference(z, [0])
    loss, grad = lossutils.softmax_cross_entropy(z, [0])
    assert ref_loss == 0.0 and ref_grad[0, 0] == 0.0
    assert loss == pytest.approx(np.log1p(2 * np.exp(-40.0)), rel=1e-15)
    assert grad[0, 0] < 0
