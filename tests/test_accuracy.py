"""Accuracy of both losses and their gradients against mpmath at 60 digits.

The bounds are those of issue 2: sigmoid cross-entropy within 4 eps per
element, softmax cross-entropy within (8 + 2 max|z|) eps per sample and per
gradient element, in float64 and float32 (in that dtype's eps), including the
"confident and right" regime where the loss is 1e-40 or 1e-300.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

import lossutils
from tests.conftest import relative_error

DTYPES = [np.float64, np.float32]


def sigmoid_grid(dtype) -> np.ndarray:
    """A dense grid over [-1e4, 1e4]: linear, logarithmic down to the smallest
    normal number, and the points where naive code breaks."""
    tiny = float(np.finfo(dtype).tiny)
    positive = np.concatenate(
        [
            np.linspace(0, 1e4, 2001),
            np.geomspace(tiny, 1e4, 1500),
            [1e-300, 1e-30, 1e-8, 0.5, 1, 17, 36.7, 37, 88.7, 89, 103.9, 104],
            [709.78, 710, 744.4, 745, 745.2, 800, 1e3, 9999.5],
        ]
    )
    positive = positive[positive <= 1e4]
    grid = np.concatenate([-positive, positive]).astype(dtype)
    return np.unique(grid)


def exact_sigmoid_ce(z: float, t: int) -> tuple[mpmath.mpf, mpmath.mpf]:
    """Exact loss and gradient for a hard label: softplus(-z) or softplus(z), and sigma(z) - t
    written without cancellation."""
    z = mpmath.mpf(z)
    if t == 1:
        return mpmath.log1p(mpmath.exp(-z)), -1 / (1 + mpmath.exp(z))
    return mpmath.log1p(mpmath.exp(z)), 1 / (1 + mpmath.exp(-z))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("label", [0, 1])
def test_sigmoid_ce_within_4_eps_everywhere(dtype, label):
    z = sigmoid_grid(dtype)
    t = np.full_like(z, label)
    per_element = lossutils.SigmoidCrossEntropy(reduction="none")
    loss = per_element.forward(z, t)
    grad = per_element.backward()
    mean = lossutils.SigmoidCrossEntropy(reduction="mean")
    mean.forward(z, t)
    grad_mean = mean.backward()
    assert loss.dtype == dtype and grad.dtype == dtype and grad_mean.dtype == dtype

    worst = {"loss": (0.0, None), "grad": (0.0, None), "grad (mean)": (0.0, None)}
    for i, zi in enumerate(z):
        exact_loss, exact_grad = exact_sigmoid_ce(float(zi), label)
        for key, computed, exact in (
            ("loss", loss[i], exact_loss),
            ("grad", grad[i], exact_grad),
            ("grad (mean)", grad_mean[i], exact_grad / len(z)),
        ):
            err = relative_error(computed, exact, dtype)
            if err > worst[key][0]:
                worst[key] = (err, float(zi))
    for key, (err, where) in worst.items():
        assert err <= 4, f"{key}: {err:.2f} eps at z = {where!r}"


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_ce_keeps_digits_of_tiny_losses(dtype):
    # Confident and right: the loss is about exp(-z), as small as 1e-40 or 1e-300.
    z = np.array([92.1, 690.8] if dtype == np.float64 else [92.1], dtype=dtype)
    loss_fn = lossutils.SigmoidCrossEntropy(reduction="none")
    loss = loss_fn.forward(z, np.ones_like(z))
    grad = loss_fn.backward()
    for zi, li, gi in zip(z, loss, grad, strict=True):
        exact_loss, exact_grad = exact_sigmoid_ce(float(zi), 1)
        assert 0 < li < 1e-39
        assert relative_error(li, exact_loss, dtype) <= 4
        assert relative_error(gi, exact_grad, dtype) <= 4


def exact_softmax_ce_row(z_row, y: int) -> tuple[mpmath.mpf, list[mpmath.mpf]]:
    """Exact loss and gradient of one row with label y, written without cancellation:
    loss = log1p(sum_{j != y} e^{z_j - z_y}),  p_y - 1 = -S / (1 + S)."""
    z = [mpmath.mpf(float(v)) for v in z_row]
    others = [mpmath.exp(zj - z[y]) for j, zj in enumerate(z) if j != y]
    s = mpmath.fsum(others)
    loss = mpmath.log1p(s)
    grad = [mpmath.exp(zj - z[y]) / (1 + s) for zj in z]
    grad[y] = -s / (1 + s)
    return loss, grad


def softmax_cases(dtype) -> tuple[np.ndarray, np.ndarray]:
    """Rows at many scales, including confident right and wrong rows and ties."""
    rng = np.random.default_rng(0)
    rows, labels = [], []
    for scale in (1e-3, 1, 10, 100, 1e3, 1e4):
        for _ in range(40):
            row = scale * rng.standard_normal(5)
            rows.append(row)
            labels.append(int(rng.integers(5)))
    special = [
        ([100.0, 8.0, 0.0, -5.0, 1.0], 0),  # loss ~ e^-92: about 1e-40
        ([700.0, 9.0, -1.0, 0.0, 3.0], 0),  # loss ~ e^-691: about 1e-300
        ([1e4, -1e4, 0.0, 5e3, 1.0], 0),  # the max term alone
        ([1e4, -1e4, 0.0, 5e3, 1.0], 1),  # confidently wrong: loss 2e4
        ([3.0, 3.0, 3.0, 3.0, 3.0], 2),  # all tied
        ([-1e4, -1e4 + 1, -1e4, -1e4, -1e4], 1),
        ([0.0, 0.0, -800.0, -800.0, 40.0], 0),
    ]
    for row, y in special:
        rows.append(np.array(row))
        labels.append(y)
    z = np.array(rows).astype(dtype)
    if dtype == np.float32:  # keep float32 rows within float32's range of exp ratios
        z = z[np.abs(z).max(axis=1) <= 1e4]
    return z, np.array(labels[: len(z)])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("target_kind", ["labels", "one-hot"])
def test_softmax_ce_within_bound_everywhere(dtype, target_kind):
    z, labels = softmax_cases(dtype)
    n, c = z.shape
    targets = labels if target_kind == "labels" else lossutils.one_hot(labels, c).astype(dtype)
    per_sample = lossutils.SoftmaxCrossEntropy(reduction="none")
    loss = per_sample.forward(z, targets)
    per_sample.backward()
    mean = lossutils.SoftmaxCrossEntropy(reduction="mean")
    mean.forward(z, targets)
    grad = mean.backward()
    assert loss.dtype == dtype and grad.dtype == dtype

    for i in range(n):
        bound = 8 + 2 * float(np.max(np.abs(z[i])))
        exact_loss, exact_grad = exact_softmax_ce_row(z[i], int(labels[i]))
        err = relative_error(loss[i], exact_loss, dtype)
        assert err <= bound, f"row {i} loss: {err:.1f} eps > {bound:.0f}; z = {z[i]}"
        for j in range(c):
            err = relative_error(grad[i, j], exact_grad[j] / n, dtype)
            assert err <= bound, f"row {i} grad[{j}]: {err:.1f} eps > {bound:.0f}; z = {z[i]}"


def test_softmax_ce_keeps_a_loss_of_1e_minus_40():
    z = np.array([[100.0, 8.0, 0.0]])
    loss_fn = lossutils.SoftmaxCrossEntropy(reduction="none")
    loss = loss_fn.forward(z, np.array([0]))
    exact, _ = exact_softmax_ce_row(z[0], 0)
    assert 1e-41 < loss[0] < 1e-39  # logsumexp(z) - z_y would give exactly 0 here
    assert relative_error(loss[0], exact, np.float64) <= 8


@pytest.mark.parametrize("loss_cls", [lossutils.SigmoidCrossEntropy, lossutils.SoftmaxCrossEntropy])
def test_float16_is_computed_in_float32_and_returned_as_float16(loss_cls):
    rng = np.random.default_rng(1)
    z16 = (4 * rng.standard_normal((6, 4))).astype(np.float16)
    if loss_cls is lossutils.SigmoidCrossEntropy:
        targets = (rng.random((6, 4)) < 0.5).astype(np.float16)
    else:
        targets = rng.integers(0, 4, size=6)
    f16, f32 = loss_cls(reduction="none"), loss_cls(reduction="none")
    loss16, loss32 = f16.forward(z16, targets), f32.forward(z16.astype(np.float32), targets)
    grad16, grad32 = f16.backward(), f32.backward()
    assert loss16.dtype == np.float16 and grad16.dtype == np.float16
    np.testing.assert_array_equal(loss16, loss32.astype(np.float16))
    np.testing.assert_array_equal(grad16, grad32.astype(np.float16))


# -- the options (issue 8): class weights, ignored rows, label smoothing, pos_weight --------


def exact_softmax_ce_weighted(z_row, q) -> tuple[mpmath.mpf, list[mpmath.mpf]]:
    """Exact loss sum_j q_j (LSE(z) - z_j) and gradient Q p_j - q_j, for target weights q.

    Written without cancellation, so that 60 digits are plenty even for a loss of 1e-300:
    with S_j = sum_{i != j} e^{z_i - z_j}, LSE(z) - z_j = log1p(S_j), and
    Q p_j - q_j = (sum_{i != j} q_i - q_j S_j) / (1 + S_j).
    """
    z = [mpmath.mpf(float(v)) for v in z_row]
    q = [mpmath.mpf(float(v)) for v in q]
    c = len(z)
    s = [mpmath.fsum(mpmath.exp(z[i] - z[j]) for i in range(c) if i != j) for j in range(c)]
    loss = mpmath.fsum(q[j] * mpmath.log1p(s[j]) for j in range(c) if q[j] != 0)
    grad = [
        (mpmath.fsum(q[i] for i in range(c) if i != j) - q[j] * s[j]) / (1 + s[j])
        for j in range(c)
    ]
    return loss, grad


def mixed_error(computed: float, exact: mpmath.mpf, scale: mpmath.mpf, dtype) -> float:
    """|computed - exact| in units of eps * max(|exact|, scale).

    For a gradient entry Q p_j - q_j, scale = Q p_j + q_j: the size of the two terms.
    Where they nearly cancel, no algorithm can do better than the rounding of its
    inputs allows (chapter 3: the condition number), and the error is judged at
    the scale of the terms; elsewhere scale <= |exact| * 2 and this is a relative error.
    """
    info = np.finfo(dtype)
    denominator = max(abs(exact), scale, mpmath.mpf(float(info.tiny)))
    return float(abs(mpmath.mpf(float(computed)) - exact) / denominator) / float(info.eps)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", ["class weights", "ignored rows", "smoothing", "probabilities"])
def test_softmax_ce_options_within_bound_everywhere(dtype, case):
    z, labels = softmax_cases(dtype)
    n, c = z.shape
    rng = np.random.default_rng(7)
    omega = rng.uniform(0.25, 4.0, size=c).astype(dtype)
    options, targets = {}, labels
    q = np.eye(c)[labels]
    if case == "class weights":
        options["weight"] = omega
        q = q * omega
    elif case == "ignored rows":
        targets = labels.copy()
        targets[::7] = -100
        options["ignore_index"] = -100
        q[::7] = 0.0
    elif case == "smoothing":
        options.update(weight=omega, label_smoothing=0.1)
        q = (0.9 * q + 0.1 / c) * omega
    else:
        targets = rng.dirichlet(np.ones(c), size=n).astype(dtype)
        targets[::5] = np.eye(c)[labels[::5]]
        options.update(weight=omega, label_smoothing=0.05)
        q = (0.95 * targets.astype(np.float64) + 0.05 / c) * omega
    loss, grad = lossutils.softmax_cross_entropy(z, targets, reduction="none", **options)
    assert loss.dtype == dtype and grad.dtype == dtype
    for i in range(n):
        bound = 8 + 2 * float(np.max(np.abs(z[i])))
        exact_loss, exact_grad = exact_softmax_ce_weighted(z[i], q[i])
        err = relative_error(loss[i], exact_loss, dtype)
        assert err <= bound, f"row {i} loss: {err:.1f} eps > {bound:.0f}; z = {z[i]}"
        for j in range(c):
            q_ij = mpmath.mpf(float(q[i, j]))
            scale = exact_grad[j] + 2 * q_ij  # Q p_j + q_j, the size of the two terms
            err = mixed_error(grad[i, j], exact_grad[j], scale, dtype)
            assert err <= bound, f"row {i} grad[{j}]: {err:.1f} eps > {bound:.0f}; z = {z[i]}"


def test_weighted_softmax_ce_keeps_a_loss_of_1e_minus_40():
    loss, grad = lossutils.softmax_cross_entropy(
        [[100.0, 8.0, 0.0]], [0], weight=[3.0, 1.0, 1.0], reduction="sum"
    )
    exact_loss, exact_grad = exact_softmax_ce_weighted([100.0, 8.0, 0.0], [3.0, 0.0, 0.0])
    assert relative_error(loss, exact_loss, np.float64) <= 8
    for j in range(3):
        assert relative_error(grad[0, j], exact_grad[j], np.float64) <= 8


def exact_sigmoid_ce_weighted(z: float, t: float, pos_weight: float):
    """Exact pos_weight * t * softplus(-z) + (1 - t) * softplus(z), and its derivative."""
    z, t, pw = mpmath.mpf(z), mpmath.mpf(t), mpmath.mpf(pos_weight)
    softplus_neg, softplus_pos = mpmath.log1p(mpmath.exp(-z)), mpmath.log1p(mpmath.exp(z))
    sig, sig_minus = 1 / (1 + mpmath.exp(-z)), 1 / (1 + mpmath.exp(z))
    terms = (pw * t * sig_minus, (1 - t) * sig)
    return pw * t * softplus_neg + (1 - t) * softplus_pos, terms[1] - terms[0], sum(terms)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("label", [0.0, 1.0, 0.3])
def test_sigmoid_ce_with_pos_weight_within_4_eps_everywhere(dtype, label):
    z = sigmoid_grid(dtype)[::3]
    t = np.full_like(z, label)
    weight = np.full_like(z, 1.5)
    loss, grad = lossutils.sigmoid_cross_entropy(
        z, t, pos_weight=2.5, weight=weight, reduction="none"
    )
    for i, zi in enumerate(z):
        exact_loss, exact_grad, scale = exact_sigmoid_ce_weighted(float(zi), float(t[i]), 2.5)
        err = relative_error(loss[i], 1.5 * exact_loss, dtype)
        assert err <= 4, f"loss: {err:.2f} eps at z = {zi!r}"
        err = mixed_error(grad[i], 1.5 * exact_grad, 1.5 * scale, dtype)
        assert err <= 4, f"grad: {err:.2f} eps at z = {zi!r}"
