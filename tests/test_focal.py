"""sigmoid_focal_loss: accuracy against mpmath, the direct formula's loss of digits, agreement
with torchvision's definition (written in torch below), finite differences, limits and bad input.

The accuracy bound, in units of the dtype's eps, is (4 + 2 gamma): a few roundings in
sigma, softplus and the products, plus gamma times the relative error of q = 1 - p_t
(about 2 eps) that the power q**gamma multiplies. For t in {0, 1} the gradient's terms share
one sign, so the bound is relative. For soft t the gradient has a zero in z (where the focusing
term balances sigma - t), and near it no method keeps relative accuracy: there the bound is
condition-aware, (4 + 2 gamma) eps times the sum of the magnitudes of the terms.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from lossutils import gradient_check, sigmoid, sigmoid_focal_loss
from tests.conftest import relative_error

DTYPES = [np.float64, np.float32]
REDUCTIONS = ["mean", "elementwise_mean", "sum", "none"]


# -- the 60-digit reference ---------------------------------------------------------------------


def exact_focal(z: float, t: float, alpha: float, gamma: float):
    """Loss, gradient and the gradient's term magnitude, at 60 digits.

    Written without cancellation, as mpmath's 60 digits cannot hold 1 - 1e-400:
    sigma(-z) is computed directly, q = sigma (1 - t) + sigma(-z) t, sigma - t = A - B.
    """
    z, t = mpmath.mpf(z), mpmath.mpf(t)
    sig, sig_bar = 1 / (1 + mpmath.exp(-z)), 1 / (1 + mpmath.exp(z))
    a_part, b_part = sig * (1 - t), sig_bar * t
    q = a_part + b_part
    ce = t * mpmath.log1p(mpmath.exp(-z)) + (1 - t) * mpmath.log1p(mpmath.exp(z))
    alpha_t = 1 if alpha < 0 else alpha * t + (1 - alpha) * (1 - t)
    loss = alpha_t * q**gamma * ce
    dq = sig * sig_bar * (1 - 2 * t)
    focusing = gamma * q ** (gamma - 1) * dq * ce if gamma > 0 else 0
    grad = alpha_t * (focusing + q**gamma * (a_part - b_part))
    # |focusing| + |A - B| at most: gamma ce q^(gamma-1) (sigma_bar A + sigma B) + q^gamma (A + B)
    magnitude = alpha_t * q**gamma * (gamma * ce * (sig_bar * a_part + sig * b_part) / q + q)
    return loss, grad, magnitude


def logit_grid(dtype) -> np.ndarray:
    """|z| up to 1e3: a linear part, a logarithmic part, and the points where naive code breaks."""
    positive = np.concatenate(
        [
            np.linspace(0, 30, 121),
            np.geomspace(1e-6, 1e3, 120),
            [17, 18, 36.7, 37, 40, 88.7, 104, 250, 709, 745, 800],
        ]
    )
    return np.unique(np.concatenate([-positive, positive]).astype(dtype))


def worst_errors(dtype, t_value, alpha, gamma):
    """Worst loss error and worst gradient error (relative, and condition-aware) in eps."""
    z = logit_grid(dtype)
    t = np.full_like(z, t_value)
    loss, grad = sigmoid_focal_loss(z, t, alpha=alpha, gamma=gamma, reduction="none")
    assert loss.dtype == dtype and grad.dtype == dtype
    worst = {"loss": (0.0, None), "grad": (0.0, None), "grad (condition-aware)": (0.0, None)}
    for zi, li, gi, ti in zip(z, loss, grad, t, strict=True):
        exact_loss, exact_grad, magnitude = exact_focal(float(zi), float(ti), alpha, gamma)
        errors = {
            "loss": relative_error(li, exact_loss, dtype),
            "grad": relative_error(gi, exact_grad, dtype),
            "grad (condition-aware)": relative_error(gi, exact_grad, dtype)
            * float(max(abs(exact_grad), mpmath.mpf(float(np.finfo(dtype).tiny))))
            / float(max(magnitude, mpmath.mpf(float(np.finfo(dtype).tiny)))),
        }
        for key, err in errors.items():
            if err > worst[key][0]:
                worst[key] = (err, float(zi))
    return worst


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("gamma", [2.0, 0.5, 0.0, 5.0])
@pytest.mark.parametrize("t_value", [0.0, 1.0])
def test_hard_targets_within_bound_of_mpmath(dtype, gamma, t_value):
    worst = worst_errors(dtype, t_value, 0.25, gamma)
    bound = 4 + 2 * gamma
    for key in ("loss", "grad"):
        err, where = worst[key]
        assert err <= bound, f"{key}: {err:.2f} eps > {bound} at z = {where!r}"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("gamma", [2.0, 0.5, 0.0])
@pytest.mark.parametrize(("t_value", "alpha"), [(0.3, 0.25), (0.99, -1.0), (0.5, 0.75)])
def test_soft_targets_within_condition_aware_bound(dtype, gamma, t_value, alpha):
    worst = worst_errors(dtype, t_value, alpha, gamma)
    bound = 4 + 2 * gamma
    for key in ("loss", "grad (condition-aware)"):
        err, where = worst[key]
        assert err <= bound, f"{key}: {err:.2f} eps > {bound} at z = {where!r}"


# -- where the direct formula fails --------------------------------------------------------------


def direct_focal(z, t, alpha, gamma):
    """The textbook formula, alpha_t (1 - p_t)^gamma ce, with a stable sigmoid and ce."""
    p = sigmoid(z)
    ce = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
    p_t = p * t + (1 - p) * (1 - t)
    return (alpha * t + (1 - alpha) * (1 - t)) * (1 - p_t) ** gamma * ce


# Confident and right, with an exact loss well inside the dtype's normal range.
CONFIDENT = {np.float64: [38.0, 60.0, 150.0, 230.0], np.float32: [18.0, 22.0, 26.0]}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("t_value", [1.0, 0.0])
def test_direct_formula_loses_every_digit_where_we_keep_them(dtype, t_value):
    sign = 1 if t_value == 1 else -1
    z = sign * np.array(CONFIDENT[dtype], dtype=dtype)
    t = np.full_like(z, t_value)
    ours, grad = sigmoid_focal_loss(z, t, reduction="none")
    with np.errstate(all="ignore"):
        direct = direct_focal(z, t, 0.25, 2.0)
    for zi, oi, gi, di in zip(z, ours, grad, direct, strict=True):
        exact_loss, exact_grad, _ = exact_focal(float(zi), t_value, 0.25, 2.0)
        assert exact_loss > np.finfo(dtype).tiny
        # sigma(z) rounds to 1 (or 1 - sigma to 1), so 1 - p_t = 0: relative error 1.
        assert di == 0 and relative_error(di, exact_loss, dtype) > 1e6
        assert relative_error(oi, exact_loss, dtype) <= 8
        assert relative_error(gi, exact_grad, dtype) <= 8


def torchvision_focal(torch, z, t, alpha, gamma):
    """torchvision.ops.sigmoid_focal_loss, elementwise (reduction="none"), as it is defined
    in torchvision/ops/focal_loss.py (torchvision cannot be installed beside torch 2.13.0)."""
    f = torch.nn.functional
    p = torch.sigmoid(z)
    ce_loss = f.binary_cross_entropy_with_logits(z, t, reduction="none")
    p_t = p * t + (1 - p) * (1 - t)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha >= 0:
        alpha_t = alpha * t + (1 - alpha) * (1 - t)
        loss = alpha_t * loss
    return loss


def test_torchvision_formula_loses_the_digits_too(torch):
    z = np.array([38.0, 60.0, -38.0, -60.0])
    t = np.array([1.0, 1.0, 0.0, 0.0])
    zt = torch.tensor(z, requires_grad=True)
    theirs = torchvision_focal(torch, zt, torch.tensor(t), 0.25, 2.0)
    theirs.sum().backward()
    ours, grad = sigmoid_focal_loss(z, t, reduction="none")
    for i in range(4):
        exact_loss, exact_grad, _ = exact_focal(z[i], t[i], 0.25, 2.0)
        assert theirs[i].item() == 0 and zt.grad[i].item() == 0  # exact: 1e-49 .. 1e-79
        assert relative_error(ours[i], exact_loss, np.float64) <= 8
        assert relative_error(grad[i], exact_grad, np.float64) <= 8


# -- agreement with torchvision's definition -------------------------------------------------------

PARAMETERS = [(0.25, 2.0), (-1.0, 2.0), (0.75, 0.5), (0.25, 0.0), (1.0, 1.5), (0.0, 3.0)]


def torch_reduced(torch, z, t, alpha, gamma, reduction):
    """Loss and gradient of our reductions built on torchvision's elementwise loss."""
    zt = torch.tensor(z, requires_grad=True)
    elementwise = torchvision_focal(torch, zt, torch.tensor(t), alpha, gamma)
    per_sample = elementwise.reshape(z.shape[0], -1).sum(dim=1)
    if reduction == "mean":
        loss = per_sample.mean()
    elif reduction == "elementwise_mean":
        loss = elementwise.mean()  # torchvision's reduction="mean"
    elif reduction == "sum":
        loss = elementwise.sum()
    else:
        loss = per_sample
    loss.sum().backward()  # for "none", row i of the gradient is d l_i / d z_i
    return loss.detach().numpy(), zt.grad.numpy()


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("alpha", "gamma"), PARAMETERS)
@pytest.mark.parametrize("kind", ["multi-label", "soft", "binary 1-D"])
def test_matches_torchvision_definition(torch, reduction, alpha, gamma, kind):
    rng = np.random.default_rng(0)
    shape = (13,) if kind == "binary 1-D" else (13, 5)
    z = 2.5 * rng.standard_normal(shape)  # |z| < 10: torch's direct formula still exact enough
    if kind == "soft":
        t = rng.random(shape)
    else:
        t = (rng.random(shape) < 0.3).astype(np.float64)
    loss, grad = sigmoid_focal_loss(z, t, alpha=alpha, gamma=gamma, reduction=reduction)
    ref_loss, ref_grad = torch_reduced(torch, z, t, alpha, gamma, reduction)
    assert np.shape(loss) == np.shape(ref_loss) and grad.shape == z.shape
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-12, atol=0)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-12, atol=1e-15 * np.abs(ref_grad).max())


def test_gamma_zero_is_alpha_weighted_bce(torch):
    rng = np.random.default_rng(1)
    z, t = 3 * rng.standard_normal((9, 4)), rng.random((9, 4))
    zt = torch.tensor(z, requires_grad=True)
    alpha_t = torch.tensor(0.3 * t + 0.7 * (1 - t))
    bce = torch.nn.functional.binary_cross_entropy_with_logits(
        zt, torch.tensor(t), weight=alpha_t, reduction="sum"
    )
    bce.backward()
    loss, grad = sigmoid_focal_loss(z, t, alpha=0.3, gamma=0.0, reduction="sum")
    assert loss == pytest.approx(bce.item(), rel=1e-13)
    np.testing.assert_allclose(grad, zt.grad.numpy(), rtol=1e-12, atol=1e-16)


# -- finite differences ---------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("gamma", [2.0, 0.5, 0.0])
@pytest.mark.parametrize("soft", [False, True])
def test_gradient_matches_finite_differences(reduction, gamma, soft):
    rng = np.random.default_rng(2)
    z = 2 * rng.standard_normal((6, 3))
    t = rng.random((6, 3)) if soft else (rng.random((6, 3)) < 0.5).astype(float)
    weights = rng.random(6) + 0.5  # for "none": check sum_i w_i l_i

    def objective(v):
        loss, _ = sigmoid_focal_loss(v, t, alpha=0.25, gamma=gamma, reduction=reduction)
        return float(np.sum(weights * loss)) if reduction == "none" else float(loss)

    _, grad = sigmoid_focal_loss(z, t, alpha=0.25, gamma=gamma, reduction=reduction)
    analytic = weights[:, None] * grad if reduction == "none" else grad
    # Central differences carry an absolute error of about eps |f| / h = 2e-11: elements
    # far below the largest are compared against a floor of 1e-4 of it.
    check = gradient_check(objective, z, analytic, floor=1e-4 * np.abs(analytic).max())
    assert check.max_rel_error < 1e-5, str(check)


def test_reductions_are_consistent():
    rng = np.random.default_rng(3)
    z, t = rng.standard_normal((5, 4)), rng.random((5, 4))
    per_sample, g_none = sigmoid_focal_loss(z, t, reduction="none")
    total, g_sum = sigmoid_focal_loss(z, t, reduction="sum")
    mean, g_mean = sigmoid_focal_loss(z, t, reduction="mean")
    element_mean, g_element = sigmoid_focal_loss(z, t, reduction="elementwise_mean")
    assert per_sample.shape == (5,)
    assert total == pytest.approx(per_sample.sum(), rel=1e-15)
    assert mean == pytest.approx(total / 5, rel=1e-15)
    assert element_mean == pytest.approx(total / 20, rel=1e-15)
    np.testing.assert_allclose(g_sum, g_none, rtol=1e-15)
    np.testing.assert_allclose(g_mean, g_none / 5, rtol=1e-15)
    np.testing.assert_allclose(g_element, g_none / 20, rtol=1e-15)


# -- floating-point state, limits, dtypes ---------------------------------------------------------


def test_no_warning_or_error_whatever_seterr_says():
    z = np.array([-1e308, -1e3, -800.0, -40.0, 0.0, 40.0, 800.0, 1e3, 1e308])
    for t in (np.ones_like(z), np.zeros_like(z), np.full_like(z, 0.3)):
        for gamma in (0.0, 0.5, 2.0):
            expected = sigmoid_focal_loss(z, t, gamma=gamma, reduction="none")
            with np.errstate(all="raise"):
                got = sigmoid_focal_loss(z, t, gamma=gamma, reduction="none")
            for a, b in zip(got, expected, strict=True):
                np.testing.assert_array_equal(a, b)
                assert np.isfinite(a).all()


def test_gamma_below_one_where_one_minus_p_t_underflows():
    # 1 - p_t = sigma(-800) underflows to 0; (1 - p_t)^(gamma - 1) would be inf, times 0.
    loss, grad = sigmoid_focal_loss([800.0, -800.0], [1.0, 0.0], gamma=0.5, reduction="none")
    np.testing.assert_array_equal(loss, [0.0, 0.0])
    np.testing.assert_array_equal(grad, [-0.0, 0.0])


def test_infinite_logits_give_the_limits():
    inf = np.inf
    z = np.array([inf, -inf, inf, -inf, inf, -inf])
    t = np.array([1.0, 1.0, 0.0, 0.0, 0.3, 0.3])
    alpha, gamma = 0.25, 2.0
    loss, grad = sigmoid_focal_loss(z, t, alpha=alpha, gamma=gamma, reduction="none")
    # Right and certain: 0, no gradient. Wrong and certain: inf, with gradient -alpha_t
    # (t = 1) or +alpha_t (t = 0): the focusing factor tends to 1 and sigma - t to -1 or 1,
    # and gamma r ce to 0 (r ~ e^-|z| beats ce ~ |z|). A soft target at z = inf:
    # alpha_t (1 - t)^gamma (1 - t); at z = -inf: -alpha_t t^gamma t.
    np.testing.assert_array_equal(loss, [0.0, inf, inf, 0.0, inf, inf])
    a_soft = alpha * 0.3 + (1 - alpha) * 0.7
    expected_grad = [
        0.0,
        -alpha,
        1 - alpha,
        0.0,
        a_soft * 0.7**gamma * 0.7,
        -a_soft * 0.3**gamma * 0.3,
    ]
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-15, atol=0)
    # alpha = 1 gives the negatives weight 0: no loss even at an infinite logit.
    loss, grad = sigmoid_focal_loss([inf], [0.0], alpha=1.0, reduction="none")
    assert loss[0] == 0 and grad[0] == 0


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int64])
def test_dtypes(dtype):
    z = np.array([[-3, 0, 2], [1, -1, 4]], dtype=dtype)
    t = np.array([[0, 1, 1], [1, 0, 0]])
    loss, grad = sigmoid_focal_loss(z, t)
    expected = np.float64 if dtype == np.int64 else dtype
    assert loss.dtype == expected and grad.dtype == expected
    if dtype == np.float16:  # computed in float32, rounded once
        loss32, grad32 = sigmoid_focal_loss(z.astype(np.float32), t)
        assert loss == loss32.astype(np.float16)
        np.testing.assert_array_equal(grad, grad32.astype(np.float16))


# -- bad input -------------------------------------------------------------------------------------

Z = np.array([[0.5, -1.0], [2.0, 0.0]])
T = np.array([[1.0, 0.0], [0.0, 1.0]])

BAD = [
    ("gamma < 0", Z, T, {"gamma": -0.5}, ValueError, r"gamma must be finite and >= 0; got -0.5"),
    ("gamma nan", Z, T, {"gamma": np.nan}, ValueError, r"gamma must be finite .*got nan"),
    ("gamma inf", Z, T, {"gamma": np.inf}, ValueError, r"gamma must be finite .*got inf"),
    ("gamma str", Z, T, {"gamma": "2"}, TypeError, r"gamma must be a real number; got str"),
    ("alpha > 1", Z, T, {"alpha": 1.5}, ValueError, r"alpha must be finite and <= 1.*got 1.5"),
    ("alpha nan", Z, T, {"alpha": np.nan}, ValueError, r"alpha must be finite .*got nan"),
    ("alpha -inf", Z, T, {"alpha": -np.inf}, ValueError, r"alpha must be finite .*got -inf"),
    ("alpha bool", Z, T, {"alpha": True}, TypeError, r"alpha must be a real number; got bool"),
    (
        "reduction",
        Z,
        T,
        {"reduction": "avg"},
        ValueError,
        r"reduction must be one of 'mean', 'elementwise_mean', 'sum', 'none'; got 'avg'",
    ),
    ("3-D logits", np.zeros((2, 2, 2)), np.zeros((2, 2, 2)), {}, ValueError, r"got shape"),
    ("empty", np.zeros((0, 3)), np.zeros((0, 3)), {}, ValueError, r"at least one sample"),
    ("string logits", np.array(["a"]), np.zeros(1), {}, TypeError, r"logits must be a real"),
    (
        "NaN logit",
        np.array([0.0, np.nan]),
        np.zeros(2),
        {},
        ValueError,
        r"NaN, first at index \(1,\)",
    ),
    ("NaN target", Z, np.array([[1.0, 0.0], [np.nan, 1.0]]), {}, ValueError, r"targets .*NaN"),
    ("target > 1", Z, 2 * T, {}, ValueError, r"in \[0, 1\]; got 2.0 at index \(0, 0\)"),
    ("target < 0", Z, -T, {}, ValueError, r"in \[0, 1\]; got -1.0 at index \(0, 0\)"),
    (
        "target 1e300 for float32",
        Z.astype(np.float32),
        np.array([[1e300, 0.0], [0.0, 1.0]]),
        {},
        ValueError,
        r"in \[0, 1\]; got 1e\+300 at index \(0, 0\)",
    ),
    (
        "target 1 + 1e-9 for float32",
        Z.astype(np.float32),
        np.array([[1.0, 0.0], [0.0, 1 + 1e-9]]),
        {},
        ValueError,
        r"in \[0, 1\]; got 1.000000001 at index \(1, 1\)",
    ),
    ("transposed", np.zeros((2, 3)), np.zeros((3, 2)), {}, ValueError, r"\(2, 3\); got .*\(3, 2\)"),
    ("(N,) for (N, 1)", np.zeros((2, 1)), np.zeros(2), {}, ValueError, r"never broadcast"),
    ("string targets", Z, np.array([["a", "b"], ["c", "d"]]), {}, TypeError, r"targets must be"),
]


@pytest.mark.parametrize(
    ("logits", "targets", "kwargs", "error", "message"),
    [case[1:] for case in BAD],
    ids=[case[0] for case in BAD],
)
def test_bad_input_is_refused_clearly(logits, targets, kwargs, error, message):
    with pytest.raises(error, match=message):
        sigmoid_focal_loss(logits, targets, **kwargs)
    with np.errstate(all="raise"), pytest.raises(error, match=message):  # no FloatingPointError
        sigmoid_focal_loss(logits, targets, **kwargs)
