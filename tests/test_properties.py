"""Property-based tests (hypothesis): identities that must hold for every input."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import lossutils


def logit_arrays(max_abs: float, min_rows: int = 1, max_rows: int = 6, max_cols: int = 6):
    shape = hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=max(max_rows, max_cols))
    return hnp.arrays(
        np.float64,
        shape,
        elements=st.floats(-max_abs, max_abs, allow_nan=False, allow_infinity=False),
    )


@st.composite
def logits_and_labels(draw, max_abs=1e6):
    z = draw(logit_arrays(max_abs))
    labels = draw(hnp.arrays(np.int64, z.shape[0], elements=st.integers(0, z.shape[1] - 1)))
    return z, labels


@st.composite
def logits_and_binary_targets(draw, max_abs=1e6):
    z = draw(logit_arrays(max_abs))
    t = draw(hnp.arrays(np.float64, z.shape, elements=st.sampled_from([0.0, 1.0])))
    return z, t


@given(logits_and_labels())
def test_softmax_ce_is_finite_and_non_negative_for_finite_input(case):
    z, labels = case
    loss_fn = lossutils.SoftmaxCrossEntropy(reduction="none")
    loss = loss_fn.forward(z, labels)
    grad = loss_fn.backward()
    assert np.all(np.isfinite(loss)) and np.all(loss >= 0)
    assert np.all(np.isfinite(grad))
    # each row of p - t sums to 0
    np.testing.assert_allclose(grad.sum(axis=1), 0, atol=1e-12)


@given(logits_and_binary_targets())
def test_sigmoid_ce_is_finite_and_non_negative_for_finite_input(case):
    z, t = case
    loss_fn = lossutils.SigmoidCrossEntropy(reduction="none")
    loss = loss_fn.forward(z, t)
    grad = loss_fn.backward()
    assert np.all(np.isfinite(loss)) and np.all(loss >= 0)
    assert np.all(np.isfinite(grad)) and np.all(np.abs(grad) <= 1)


def assert_gradient_check_passes(loss_cls, z, targets):
    """backward() of a mean loss agrees with central differences of its forward()."""
    loss_fn = loss_cls()
    loss_fn.forward(z, targets)
    check = lossutils.gradient_check(
        lambda v: loss_cls().forward(v, targets), z, loss_fn.backward(), floor=1e-4
    )
    assert check.max_rel_error < 1e-5, str(check)


@given(logits_and_labels(max_abs=20))
def test_softmax_ce_gradient_passes_a_gradient_check(case):
    assert_gradient_check_passes(lossutils.SoftmaxCrossEntropy, *case)


@given(logits_and_binary_targets(max_abs=20))
def test_sigmoid_ce_gradient_passes_a_gradient_check(case):
    assert_gradient_check_passes(lossutils.SigmoidCrossEntropy, *case)


@given(
    hnp.arrays(
        np.float64, hnp.array_shapes(max_dims=2, max_side=8), elements=st.floats(-1e300, 1e300)
    )
)
def test_sigmoid_of_minus_x_is_one_minus_sigmoid_of_x(x):
    # each side carries about one rounding of a number <= 1: allow two eps in all
    np.testing.assert_allclose(
        lossutils.sigmoid(-x), 1 - lossutils.sigmoid(x), rtol=0, atol=2 * np.finfo(float).eps
    )


@given(logit_arrays(1e300))
def test_softmax_rows_sum_to_one(z):
    p = lossutils.softmax(z)
    assert np.all(p >= 0)
    np.testing.assert_allclose(p.sum(axis=1), 1, rtol=0, atol=8 * np.finfo(float).eps * z.shape[1])


@given(logit_arrays(100), st.floats(-1e6, 1e6))
def test_softmax_is_shift_invariant(z, c):
    shifted = z + c
    moved = np.max(np.abs((shifted - c) - z))  # what rounding z + c cost, per logit
    p, p_shifted = lossutils.softmax(z), lossutils.softmax(shifted)
    assert np.all(np.abs(p_shifted - p) <= (np.expm1(2 * moved) + 1e-15) * (p + 1e-300) + 4e-16)
