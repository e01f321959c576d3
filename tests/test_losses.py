"""Behaviour of the loss layers: reductions, upstream gradients, limits, contract."""

from __future__ import annotations

import numpy as np
import pytest

import lossutils
from lossutils import SigmoidCrossEntropy, SoftmaxCrossEntropy, gradient_check


def hand_sigmoid_ce(z, t):
    """Per-sample sigmoid cross-entropy straight from the definition (fine for moderate z)."""
    p = 1 / (1 + np.exp(-z))
    return -(t * np.log(p) + (1 - t) * np.log(1 - p)).reshape(len(z), -1).sum(axis=1)


def hand_softmax_ce(z, t):
    """Per-sample softmax cross-entropy straight from the definition (fine for moderate z)."""
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    return -(t * np.log(p)).sum(axis=1)


@pytest.fixture
def batch():
    rng = np.random.default_rng(0)
    z = 2 * rng.standard_normal((5, 4))
    labels = rng.integers(0, 4, size=5)
    multi = (rng.random((5, 4)) < 0.4).astype(float)
    soft = rng.random((5, 4))
    soft /= soft.sum(axis=1, keepdims=True)
    return z, labels, multi, soft


# -- values and reductions ----------------------------------------------------


def test_sigmoid_reductions_agree_with_the_definition(batch):
    z, _, multi, _ = batch
    per_sample = hand_sigmoid_ce(z, multi)
    np.testing.assert_allclose(SigmoidCrossEntropy(reduction="none").forward(z, multi), per_sample)
    np.testing.assert_allclose(
        SigmoidCrossEntropy(reduction="sum").forward(z, multi), per_sample.sum()
    )
    np.testing.assert_allclose(SigmoidCrossEntropy().forward(z, multi), per_sample.mean())


def test_softmax_reductions_agree_with_the_definition(batch):
    z, labels, _, soft = batch
    onehot = lossutils.one_hot(labels, 4)
    for targets, t in ((labels, onehot), (onehot, onehot), (soft, soft)):
        per_sample = hand_softmax_ce(z, t)
        np.testing.assert_allclose(
            SoftmaxCrossEntropy(reduction="none").forward(z, targets), per_sample
        )
        np.testing.assert_allclose(
            SoftmaxCrossEntropy(reduction="sum").forward(z, targets), per_sample.sum()
        )
        np.testing.assert_allclose(SoftmaxCrossEntropy().forward(z, targets), per_sample.mean())


def test_one_dimensional_sigmoid_logits_are_independent_binary_predictions():
    z, t = np.array([-2.0, 0.5, 3.0]), np.array([0.0, 1.0, 1.0])
    loss_fn = SigmoidCrossEntropy(reduction="none")
    np.testing.assert_allclose(loss_fn.forward(z, t), hand_sigmoid_ce(z, t))
    grad = loss_fn.backward()
    assert grad.shape == (3,)
    np.testing.assert_allclose(grad, 1 / (1 + np.exp(-z)) - t)


def test_integer_logits_are_accepted_and_computed_in_float64():
    loss = SoftmaxCrossEntropy().forward([[1, 2, 3]], [2])
    assert isinstance(loss, np.float64)
    assert loss == pytest.approx(np.log(np.exp([1, 2, 3]).sum()) - 3)
    assert SigmoidCrossEntropy().forward([[1, -1]], [[1, 0]]) == pytest.approx(
        2 * np.log1p(np.exp(-1))
    )


def test_float32_in_float32_out(batch):
    z, labels, multi, _ = batch
    for loss_fn, targets in ((SigmoidCrossEntropy(), multi), (SoftmaxCrossEntropy(), labels)):
        loss = loss_fn.forward(z.astype(np.float32), targets)
        assert loss.dtype == np.float32 and loss_fn.backward().dtype == np.float32


# -- gradients -----------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_gradients_match_finite_differences(batch, reduction):
    z, labels, multi, soft = batch
    cases = [
        (SigmoidCrossEntropy, multi),
        (SigmoidCrossEntropy, soft),
        (SoftmaxCrossEntropy, labels),
        (SoftmaxCrossEntropy, lossutils.one_hot(labels, 4)),
        (SoftmaxCrossEntropy, soft),
    ]
    for loss_cls, targets in cases:
        loss_fn = loss_cls(reduction=reduction)
        loss_fn.forward(z, targets)
        analytic = loss_fn.backward()
        check = gradient_check(
            lambda v, cls=loss_cls, t=targets: cls(reduction=reduction).forward(v, t), z, analytic
        )
        assert check.max_rel_error < 1e-7, (loss_cls.__name__, str(check))


@pytest.mark.parametrize("loss_cls", [SigmoidCrossEntropy, SoftmaxCrossEntropy])
def test_backward_upstream_scales_each_row(batch, loss_cls):
    z, labels, multi, _ = batch
    targets = multi if loss_cls is SigmoidCrossEntropy else labels
    upstream = np.array([1.0, -2.0, 0.0, 0.5, 3.0])
    per_sample = loss_cls(reduction="none")
    per_sample.forward(z, targets)
    scaled = per_sample.backward(upstream)
    # d/dz of sum_i upstream_i * loss_i, by finite differences
    check = gradient_check(
        lambda v: float(upstream @ loss_cls(reduction="none").forward(v, targets)), z, scaled
    )
    assert check.max_rel_error < 1e-7, str(check)
    plain = loss_cls(reduction="none")
    plain.forward(z, targets)
    summed = loss_cls(reduction="sum")
    summed.forward(z, targets)
    np.testing.assert_allclose(plain.backward(), summed.backward())  # default upstream: ones


def test_mean_gradient_is_p_minus_t_over_n(batch):
    z, labels, _, _ = batch
    loss_fn = SoftmaxCrossEntropy()
    loss_fn.forward(z, labels)
    p = lossutils.softmax(z)
    np.testing.assert_allclose(
        loss_fn.backward(), (p - lossutils.one_hot(labels, 4)) / 5, rtol=1e-14, atol=1e-17
    )


# -- the forward/backward contract -------------------------------------------


@pytest.mark.parametrize("loss_cls", [SigmoidCrossEntropy, SoftmaxCrossEntropy])
def test_backward_needs_a_forward_each_time(loss_cls):
    loss_fn = loss_cls()
    with pytest.raises(RuntimeError, match=r"called before forward\(\)"):
        loss_fn.backward()
    targets = np.array([[1.0, 0.0]]) if loss_cls is SigmoidCrossEntropy else np.array([0])
    loss_fn.forward(np.array([[1.0, 2.0]]), targets)
    loss_fn.backward()
    with pytest.raises(RuntimeError, match=r"already called for the last forward\(\).*once"):
        loss_fn.backward()


def test_a_refused_upstream_leaves_the_gradient_available(batch):
    z, labels, _, _ = batch
    loss_fn = SoftmaxCrossEntropy(reduction="none")
    loss_fn.forward(z, labels)
    with pytest.raises(ValueError):
        loss_fn.backward(np.ones(3))
    assert loss_fn.backward(np.ones(5)).shape == (5, 4)


def test_upstream_is_only_for_reduction_none(batch):
    z, labels, _, _ = batch
    loss_fn = SoftmaxCrossEntropy(reduction="mean")
    loss_fn.forward(z, labels)
    with pytest.raises(ValueError, match=r"for reduction='none'.*reduction='mean'"):
        loss_fn.backward(np.ones(5))


@pytest.mark.parametrize(
    ("upstream", "error", "match"),
    [
        (np.ones(4), ValueError, r"shape \(N,\) = \(5,\); got shape \(4,\)"),
        (np.ones((5, 1)), ValueError, r"got shape \(5, 1\)"),
        (np.array([1.0, np.nan, 1, 1, 1]), ValueError, r"NaN or inf"),
        (np.array(["a"] * 5), TypeError, r"numeric array; got dtype <U1"),
    ],
)
def test_bad_upstream_is_refused(batch, upstream, error, match):
    z, labels, _, _ = batch
    loss_fn = SoftmaxCrossEntropy(reduction="none")
    loss_fn.forward(z, labels)
    with pytest.raises(error, match=match):
        loss_fn.backward(upstream)


def test_forward_does_not_modify_its_inputs(batch):
    z, labels, multi, soft = batch
    copies = [a.copy() for a in (z, labels, multi, soft)]
    SigmoidCrossEntropy().forward(z, multi)
    SoftmaxCrossEntropy().forward(z, labels)
    SoftmaxCrossEntropy().forward(z, soft)
    for original, copy in zip((z, labels, multi, soft), copies, strict=True):
        np.testing.assert_array_equal(original, copy)


def test_many_blocks_give_the_same_result_as_one(monkeypatch):
    """The row-block loop is an optimisation only: tiny blocks change nothing."""
    rng = np.random.default_rng(2)
    z = 3 * rng.standard_normal((37, 5))
    labels = rng.integers(0, 5, size=37)
    multi = (rng.random((37, 5)) < 0.3).astype(float)
    results = []
    for block_bytes in (1 << 20, 48):  # 48 bytes: one row per block
        monkeypatch.setattr(lossutils.losses, "BLOCK_BYTES", block_bytes)
        sig, smx = SigmoidCrossEntropy(reduction="none"), SoftmaxCrossEntropy(reduction="none")
        results.append(
            (sig.forward(z, multi), sig.backward(), smx.forward(z, labels), smx.backward())
        )
    for one, many in zip(*results, strict=True):
        np.testing.assert_array_equal(one, many)


# -- infinite logits --------------------------------------------------------------


def test_masked_softmax_classes_cost_nothing():
    z = np.array([[2.0, -np.inf, 0.5], [-np.inf, 1.0, 1.0]])
    for targets in (np.array([0, 2]), np.array([[1.0, 0, 0], [0, 0, 1.0]])):
        loss_fn = SoftmaxCrossEntropy(reduction="none")
        loss = loss_fn.forward(z, targets)
        grad = loss_fn.backward()
        expected = SoftmaxCrossEntropy(reduction="none").forward(
            np.array([[2.0, 0.5], [1.0, 1.0]]), np.array([0, 1])
        )
        np.testing.assert_allclose(loss, expected)
        assert grad[0, 1] == 0 and grad[1, 0] == 0
        assert np.all(np.isfinite(grad))


def test_infinite_softmax_logits_give_their_limits():
    loss_fn = SoftmaxCrossEntropy(reduction="none")
    loss = loss_fn.forward(
        np.array([[np.inf, 0.0, 1.0], [np.inf, 0.0, 1.0], [-np.inf, 0, 0]]), np.array([0, 1, 0])
    )
    grad = loss_fn.backward()
    np.testing.assert_array_equal(loss, [0.0, np.inf, np.inf])
    np.testing.assert_array_equal(grad[0], [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(grad[1], [1.0, -1.0, 0.0])
    assert not np.any(np.isnan(grad))


def test_softmax_row_of_all_minus_infinity_is_refused():
    with pytest.raises(ValueError, match=r"every logit of 1 row\(s\) is -inf \(first: row 1\)"):
        SoftmaxCrossEntropy().forward(np.array([[0.0, 1.0], [-np.inf, -np.inf]]), [0, 1])


def test_infinite_sigmoid_logits_give_their_limits():
    z = np.array([np.inf, np.inf, -np.inf, -np.inf])
    t = np.array([1.0, 0.0, 1.0, 0.0])
    loss_fn = SigmoidCrossEntropy(reduction="none")
    loss = loss_fn.forward(z, t)
    np.testing.assert_array_equal(loss, [0.0, np.inf, np.inf, 0.0])
    np.testing.assert_array_equal(loss_fn.backward(), [0.0, 1.0, -1.0, 0.0])


# -- shift invariance -----------------------------------------------------------


@pytest.mark.parametrize("shift", [1.0, 1e3, 123456.789, 1e6])
def test_shift_changes_softmax_ce_only_by_the_rounding_of_the_shifted_inputs(shift):
    rng = np.random.default_rng(4)
    z = 5 * rng.standard_normal((8, 6))
    labels = rng.integers(0, 6, size=8)
    shifted = z + shift
    # How far rounding moved each logit: (z + c) - c - z is computed exactly (Sterbenz).
    moved = np.max(np.abs((shifted - shift) - z), axis=1)
    eps = np.finfo(np.float64).eps
    base, moved_fn = SoftmaxCrossEntropy(reduction="none"), SoftmaxCrossEntropy(reduction="none")
    loss, loss_shifted = base.forward(z, labels), moved_fn.forward(shifted, labels)
    grad, grad_shifted = base.backward(), moved_fn.backward()
    # The loss is 2-Lipschitz in the max-norm of the logits; the softmax moves by at most
    # e^{2 delta} - 1 relatively. Add a few eps for the two computations' own rounding.
    assert np.all(np.abs(loss_shifted - loss) <= 2 * moved + 16 * eps * (1 + loss))
    p = lossutils.softmax(z)
    bound = (np.expm1(2 * moved)[:, None] + 16 * eps) * (p + 1)
    assert np.all(np.abs(grad_shifted - grad) <= bound)
