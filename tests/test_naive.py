"""The naive formulas and the seed-style baselines fail exactly as the book says they do."""

from __future__ import annotations

import numpy as np
import pytest

import lossutils


def test_naive_sigmoid_overflows_with_a_warning():
    with pytest.warns(RuntimeWarning, match="overflow"):
        assert lossutils.naive_sigmoid(np.array([-1000.0]))[0] == 0.0


def test_naive_softmax_gives_nan_for_large_logits():
    with pytest.warns(RuntimeWarning):
        p = lossutils.naive_softmax(np.array([1000.0, 1000.0]))
    assert np.all(np.isnan(p))


def test_seed_sigmoid_is_stable_and_right():
    x = np.array([-1000.0, -1.0, 0.0, 2.0, 1000.0])
    np.testing.assert_allclose(lossutils.seed_sigmoid(x), lossutils.sigmoid(x), rtol=1e-15)


def test_clipping_caps_the_loss_at_minus_log_eps_while_the_gradient_says_p_minus_t():
    z, t = np.array([[-100.0]]), np.array([[1.0]])
    loss, grad = lossutils.seed_sigmoid_cross_entropy(z, t)
    assert loss == pytest.approx(-np.log(1e-6))  # 13.8155..., the true loss is 100
    assert grad[0, 0] == pytest.approx(-1 + 1e-6)
    # the slope of the clipped loss is 0 there: loss and gradient disagree
    slope = lossutils.numerical_gradient(lambda v: lossutils.seed_sigmoid_cross_entropy(v, t)[0], z)
    assert slope[0, 0] == 0.0


def test_seed_softmax_cross_entropy_matches_the_stable_loss_away_from_the_clip():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((4, 3))
    labels = rng.integers(0, 3, size=4)
    loss, grad = lossutils.seed_softmax_cross_entropy(z, lossutils.one_hot(labels, 3))
    loss_fn = lossutils.SoftmaxCrossEntropy()
    assert loss == pytest.approx(loss_fn.forward(z, labels), rel=1e-12)
    np.testing.assert_allclose(grad, loss_fn.backward(), rtol=1e-12)


def test_seed_style_code_keeps_the_dtype():
    _, grad = lossutils.seed_sigmoid_cross_entropy(
        np.zeros((2, 2), np.float32), np.zeros((2, 2), np.float32)
    )
    assert grad.dtype == np.float32
