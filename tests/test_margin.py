"""AMSoftmaxLoss and ArcFaceLoss: finite differences, a PyTorch autograd implementation, the
ArcFace branch selection by hand, accuracy near alignment against mpmath, and bad input."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

from lossutils import (
    AMSoftmaxLoss,
    ArcFaceLoss,
    Module,
    am_softmax_logits,
    arcface_logits,
    gradient_check,
)

ARC_THRESHOLD = math.cos(math.pi - 0.5)  # cos(pi - m) for m = 0.5: -0.8776


def make_layer(kind: str, in_features: int, num_classes: int, rng, **kwargs):
    if kind == "am":
        return AMSoftmaxLoss(in_features, num_classes, rng=rng, **kwargs)
    return ArcFaceLoss(in_features, num_classes, easy_margin=kind == "arc-easy", rng=rng, **kwargs)


def data_on_both_sides(layer, n: int, rng):
    """Features and labels: half near their class centre, a quarter near the opposite
    direction (theta_y + m > pi for ArcFace), a quarter at random; rescaled at random."""
    d, c = layer.weight.data.shape
    labels = rng.integers(0, c, size=n)
    centres = (layer.weight.data / np.linalg.norm(layer.weight.data, axis=0))[:, labels].T
    sign = np.where(np.arange(n) % 4 == 1, -1.0, 1.0)[:, None]
    x = sign * centres + 0.15 * rng.standard_normal((n, d))
    x[np.arange(n) % 4 == 3] = rng.standard_normal((n // 4, d))
    return x * rng.uniform(0.2, 5.0, size=(n, 1)), labels


def target_cosines(layer, x, labels):
    _, cos = layer.logits(x, labels)
    return cos[np.arange(len(labels)), labels]


# -- finite differences ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["am", "arc", "arc-easy"])
@pytest.mark.parametrize("scale", [4.0, 30.0])
def test_gradients_match_finite_differences(kind, scale):
    rng = np.random.default_rng(0)
    layer = make_layer(kind, 4, 5, rng, scale=scale, margin=0.5)
    x, labels = data_on_both_sides(layer, 12, rng)
    c_y = target_cosines(layer, x, labels)
    # Both sides of each branch switch, none within reach of a finite-difference step.
    switch = 0.0 if kind == "arc-easy" else ARC_THRESHOLD
    if kind != "am":
        assert (c_y < switch).any() and (c_y > switch).any()
        assert np.abs(c_y - switch).min() > 1e-3

    loss = layer.forward(x, labels)
    dx = layer.backward()
    dw = layer.weight.grad.copy()
    assert np.isfinite(loss) and dx.shape == x.shape and dw.shape == (4, 5)

    def loss_of_x(v):
        return float(layer.forward(v, labels))

    weight = layer.weight.data.copy()

    def loss_of_weight(v):
        layer.weight.data = v
        try:
            return float(layer.forward(x, labels))
        finally:
            layer.weight.data = weight

    for name, f, point, analytic in (
        ("x", loss_of_x, x, dx),
        ("weight", loss_of_weight, weight, dw),
    ):
        # eps |L| / h is about 1e-11 absolute: elements below 1e-4 of the largest get that floor.
        check = gradient_check(f, point, analytic, floor=1e-4 * np.abs(analytic).max())
        assert check.max_rel_error < 1e-6, f"{name}: {check}"


def test_weight_grad_accumulates_and_backward_is_once_per_forward():
    rng = np.random.default_rng(1)
    layer = ArcFaceLoss(3, 4, scale=8.0, rng=rng)
    x, labels = rng.standard_normal((5, 3)), rng.integers(0, 4, size=5)
    layer.forward(x, labels)
    dx1 = layer.backward()
    once = layer.weight.grad.copy()
    with pytest.raises(RuntimeError, match=r"already called for the last forward\(\)"):
        layer.backward()
    layer.forward(x, labels)
    dx2 = layer.backward()
    np.testing.assert_array_equal(dx1, dx2)
    np.testing.assert_allclose(layer.weight.grad, 2 * once, rtol=1e-15)
    layer.zero_grad()
    assert not layer.weight.grad.any()


@pytest.mark.parametrize("kind", ["am", "arc"])
def test_scale_of_x_and_of_the_centres_does_not_matter(kind):
    # The loss depends on directions only, so dL/dx is orthogonal to x and shrinks as 1/|x|.
    rng = np.random.default_rng(2)
    layer = make_layer(kind, 3, 4, rng)
    x, labels = rng.standard_normal((6, 3)), rng.integers(0, 4, size=6)
    loss = layer.forward(x, labels)
    dx = layer.backward()
    np.testing.assert_allclose(np.sum(dx * x, axis=1), 0.0, atol=1e-13)
    # Norms far beyond where squaring overflows (1e300) or underflows (1e-300).
    for factor in (7.0, 1e300, 1e-300):
        assert layer.forward(factor * x, labels) == pytest.approx(loss, rel=1e-13)
        np.testing.assert_allclose(
            layer.backward(), dx / factor, rtol=1e-11, atol=1e-15 * np.abs(dx / factor).max()
        )
    layer.weight.data = layer.weight.data * np.array([0.5, 2.0, 30.0, 1e-3])
    assert layer.forward(x, labels) == pytest.approx(loss, rel=1e-12)


def test_zero_margin_gives_the_same_normalised_softmax():
    rng = np.random.default_rng(3)
    am = AMSoftmaxLoss(3, 4, scale=10.0, margin=0.0, rng=np.random.default_rng(9))
    arc = ArcFaceLoss(3, 4, scale=10.0, margin=0.0, rng=np.random.default_rng(9))
    x, labels = rng.standard_normal((6, 3)), rng.integers(0, 4, size=6)
    assert am.forward(x, labels) == pytest.approx(arc.forward(x, labels), rel=1e-14)
    np.testing.assert_allclose(am.backward(), arc.backward(), rtol=1e-12, atol=1e-16)
    np.testing.assert_allclose(am.weight.grad, arc.weight.grad, rtol=1e-12, atol=1e-16)


# -- PyTorch, with autograd ------------------------------------------------------------------------


def torch_margin_loss(torch, x, weight, labels, kind, scale, margin):
    """The same loss written with F.normalize, F.linear and cross_entropy; autograd does the rest.
    ArcFace's target logit as in insightface's losses.py (sqrt(1 - cos^2), th, mm)."""
    f = torch.nn.functional
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(weight, requires_grad=True)
    cos = f.linear(f.normalize(xt, dim=1), f.normalize(wt, dim=0).T)  # PyTorch's (out, in)
    y = torch.tensor(labels)
    if kind == "am":
        phi = cos - margin
    else:
        sine = torch.sqrt((1.0 - cos**2).clamp(0, 1))
        phi = cos * math.cos(margin) - sine * math.sin(margin)
        if kind == "arc-easy":
            phi = torch.where(cos > 0, phi, cos)
        else:
            th, mm = math.cos(math.pi - margin), math.sin(math.pi - margin) * margin
            phi = torch.where(cos > th, phi, cos - mm)
    one_hot = f.one_hot(y, weight.shape[1]).to(cos.dtype)
    logits = scale * (one_hot * phi + (1 - one_hot) * cos)
    loss = f.cross_entropy(logits, y)
    loss.backward()
    return loss.item(), xt.grad.numpy(), wt.grad.numpy()


@pytest.mark.parametrize("kind", ["am", "arc", "arc-easy"])
def test_matches_pytorch_autograd(torch, kind):
    rng = np.random.default_rng(4)
    layer = make_layer(kind, 6, 9, rng)  # default scale and margin
    x, labels = data_on_both_sides(layer, 64, rng)
    c_y = target_cosines(layer, x, labels)
    if kind == "arc":
        assert (c_y <= ARC_THRESHOLD).sum() >= 5 and (c_y > ARC_THRESHOLD).sum() >= 5
    if kind == "arc-easy":
        assert (c_y <= 0).sum() >= 5 and (c_y > 0).sum() >= 5
    loss = layer.forward(x, labels)
    dx = layer.backward()
    ref_loss, ref_dx, ref_dw = torch_margin_loss(
        torch, x, layer.weight.data, labels, kind, layer.scale, layer.margin
    )
    assert loss == pytest.approx(ref_loss, rel=1e-12)
    np.testing.assert_allclose(dx, ref_dx, rtol=1e-10, atol=1e-14 * np.abs(ref_dx).max())
    np.testing.assert_allclose(
        layer.weight.grad, ref_dw, rtol=1e-10, atol=1e-14 * np.abs(ref_dw).max()
    )


# -- the ArcFace target logit, by hand -------------------------------------------------------------


def at_angle(theta: float, norm: float = 2.5) -> np.ndarray:
    """A 2-D feature at angle theta from the first class centre, (1, 0)."""
    return norm * np.array([[math.cos(theta), math.sin(theta)]])


def arc_layer(scale: float, margin: float, easy_margin: bool = False) -> ArcFaceLoss:
    layer = ArcFaceLoss(2, 2, scale=scale, margin=margin, easy_margin=easy_margin)
    layer.weight.data = np.array([[3.0, 0.0], [0.0, 0.5]])  # centres (1, 0) and (0, 1)
    return layer


@pytest.mark.parametrize(
    ("theta", "expected_phi"),
    [
        # theta + m <= pi: cos(theta + m), evaluated from theta itself.
        (0.3, math.cos(0.8)),
        (2.0, math.cos(2.5)),
        (math.pi - 0.5 - 0.01, math.cos(math.pi - 0.01)),
        # theta + m > pi: insightface's fallback cos(theta) - m sin(m).
        (math.pi - 0.5 + 0.01, math.cos(math.pi - 0.49) - 0.5 * math.sin(0.5)),
        (2.9, math.cos(2.9) - 0.5 * math.sin(0.5)),
        (math.pi, -1.0 - 0.5 * math.sin(0.5)),
    ],
)
def test_arcface_branch_selection_by_hand(theta, expected_phi):
    layer = arc_layer(scale=3.0, margin=0.5)
    logits, cos = layer.logits(at_angle(theta), np.array([0]))
    assert cos[0, 0] == pytest.approx(math.cos(theta), abs=1e-15)
    assert logits[0, 0] == pytest.approx(3.0 * expected_phi, rel=1e-13, abs=1e-14)
    assert logits[0, 1] == pytest.approx(3.0 * math.cos(math.pi / 2 - theta), abs=1e-14)
    from_cos = arcface_logits(np.clip(cos, -1, 1), [0], scale=3.0, margin=0.5)
    assert from_cos[0, 0] == pytest.approx(3.0 * expected_phi, rel=1e-12, abs=1e-12)


def test_arcface_threshold_jump_and_easy_margin_by_hand():
    m = 0.5
    th = math.cos(math.pi - m)
    below, above = np.nextafter(th, -2), np.nextafter(th, 2)
    z = arcface_logits([[below, 0.0], [th, 0.0], [above, 0.0]], [0, 0, 0], scale=1.0, margin=m)
    # At and below the threshold the fallback, just above cos(pi) = -1: a jump of
    # cos m + m sin m - 1 = 0.117.
    assert z[0, 0] == pytest.approx(below - m * math.sin(m), rel=1e-15)
    assert z[1, 0] == pytest.approx(th - m * math.sin(m), rel=1e-15)
    assert z[2, 0] == pytest.approx(-1.0, abs=1e-7)
    # easy_margin: cos(theta + m) for cos theta > 0, cos theta itself otherwise.
    easy = arc_layer(scale=2.0, margin=m, easy_margin=True)
    for theta, expected in ((1.4, math.cos(1.9)), (1.7, math.cos(1.7)), (2.9, math.cos(2.9))):
        logits, _ = easy.logits(at_angle(theta), np.array([0]))
        assert logits[0, 0] == pytest.approx(2.0 * expected, rel=1e-13)


def test_am_softmax_target_logit_by_hand():
    layer = AMSoftmaxLoss(2, 2, scale=5.0, margin=0.35)
    layer.weight.data = np.array([[3.0, 0.0], [0.0, 0.5]])
    logits, _ = layer.logits(at_angle(1.0), np.array([0]))
    np.testing.assert_allclose(logits, [[5.0 * (math.cos(1.0) - 0.35), 5.0 * math.sin(1.0)]])
    np.testing.assert_allclose(
        am_softmax_logits([[0.5, -0.25]], [1], scale=4.0, margin=0.1), [[2.0, -1.4]]
    )


# -- near alignment: the 1/sin(theta) in phi'(cos) -------------------------------------------------


def mp_arcface_loss(x_rows, w_cols, labels, scale, margin):
    """Mean ArcFace loss at 60 digits through the angle itself (acos), main branch only."""
    total = 0
    for xi, yi in zip(x_rows, labels, strict=True):
        x_norm = mpmath.sqrt(mpmath.fsum(v * v for v in xi))
        logits = []
        for j, wj in enumerate(w_cols):
            w_norm = mpmath.sqrt(mpmath.fsum(v * v for v in wj))
            c = mpmath.fsum(a * b for a, b in zip(xi, wj, strict=True)) / (x_norm * w_norm)
            if j == yi:
                assert mpmath.acos(c) + margin < mpmath.pi
                c = mpmath.cos(mpmath.acos(c) + margin)
            logits.append(scale * c)
        top = max(logits)
        total += top + mpmath.log(mpmath.fsum(mpmath.exp(v - top) for v in logits)) - logits[yi]
    return total / len(labels)


def mp_gradients(x, weight, labels, scale, margin):
    """Central differences at 60 digits with h = 1e-20: truncation and rounding both < 1e-30."""
    h = mpmath.mpf("1e-20")
    x_rows = [[mpmath.mpf(float(v)) for v in row] for row in x]
    w_cols = [[mpmath.mpf(float(v)) for v in col] for col in weight.T]
    grads = []
    for array in (x_rows, w_cols):
        g = np.zeros((len(array), len(array[0])))
        for i, row in enumerate(array):
            for k, original in enumerate(row):
                row[k] = original + h
                up = mp_arcface_loss(x_rows, w_cols, labels, scale, margin)
                row[k] = original - h
                down = mp_arcface_loss(x_rows, w_cols, labels, scale, margin)
                row[k] = original
                g[i, k] = float((up - down) / (2 * h))
        grads.append(g)
    return grads[0], grads[1].T


def near_alignment(theta: float):
    """One feature at angle theta from its class centre, in 3-D, with two other classes."""
    rng = np.random.default_rng(5)
    weight = rng.standard_normal((3, 3))
    centre = weight[:, 0] / np.linalg.norm(weight[:, 0])
    away = np.cross(centre, weight[:, 1])
    away /= np.linalg.norm(away)
    x = 1.7 * (math.cos(theta) * centre + math.sin(theta) * away)[None, :]
    layer = ArcFaceLoss(3, 3, scale=16.0, margin=0.5)
    layer.weight.data = weight
    return layer, x, np.array([0])


def max_relative(a, b):
    return float(np.abs(a - b).max() / np.abs(b).max())


@pytest.mark.parametrize("theta", [1e-1, 1e-3, 1e-5, 1e-7])
def test_arcface_gradient_near_alignment_against_mpmath(theta):
    # phi'(cos) = cos m + sin m cos / sin(theta) grows as 1/theta; the gradient in x stays
    # bounded, but its direction moves by O(1) when x moves by theta, so rounding the inputs
    # alone costs about eps/theta: the bound is 10 eps/theta (relative to the largest entry).
    layer, x, labels = near_alignment(theta)
    layer.forward(x, labels)
    dx = layer.backward()
    ref_dx, ref_dw = mp_gradients(x, layer.weight.data, labels, 16.0, 0.5)
    bound = 10 * np.finfo(np.float64).eps / theta
    assert max_relative(dx, ref_dx) <= bound
    assert max_relative(layer.weight.grad, ref_dw) <= bound


def test_sqrt_one_minus_cos_squared_loses_more_near_alignment(torch):
    # The textbook route, sin(theta) = sqrt(1 - cos^2) and phi'(cos) formed as such (PyTorch
    # autograd through insightface's formula), loses about eps/theta^2: 1e-4 at theta = 1e-6.
    layer, x, labels = near_alignment(1e-6)
    layer.forward(x, labels)
    dx = layer.backward()
    ref_dx, _ = mp_gradients(x, layer.weight.data, labels, 16.0, 0.5)
    _, torch_dx, _ = torch_margin_loss(torch, x, layer.weight.data, labels, "arc", 16.0, 0.5)
    assert max_relative(torch_dx, ref_dx) > 1e-6
    assert max_relative(dx, ref_dx) < 1e-9


@pytest.mark.parametrize("easy_margin", [False, True])
def test_exact_alignment_gives_finite_gradients_without_warnings(easy_margin):
    # theta = 0: the ArcFace logit has a kink there (phi ~ cos m - theta sin m); the layer
    # takes the unit vector along the kink as 0 and returns finite numbers, whatever seterr says.
    layer = ArcFaceLoss(3, 2, scale=64.0, margin=0.5, easy_margin=easy_margin)
    layer.weight.data = np.array([[1.0, 0.0], [2.0, 1.0], [-1.0, 0.0]])
    x = np.array([[2.0, 4.0, -2.0], [-3.0, -6.0, 3.0]])  # along centre 0, and opposite to it
    with np.errstate(all="raise"):
        loss = layer.forward(x, np.array([0, 0]))
        dx = layer.backward()
    assert np.isfinite(loss) and np.isfinite(dx).all() and np.isfinite(layer.weight.grad).all()


def test_large_scale_does_not_warn_or_raise():
    rng = np.random.default_rng(6)
    layer = AMSoftmaxLoss(3, 4, scale=1e3, rng=rng)
    x, labels = rng.standard_normal((5, 3)), rng.integers(0, 4, size=5)
    expected = layer.forward(x, labels), layer.backward()
    with np.errstate(all="raise"):  # exp(-2000) underflows inside the softmax: harmless
        got = layer.forward(x, labels), layer.backward()
    assert got[0] == expected[0]
    np.testing.assert_array_equal(got[1], expected[1])


# -- construction ----------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [AMSoftmaxLoss, ArcFaceLoss])
def test_construction(cls):
    a = cls(4, 3, rng=np.random.default_rng(7))
    b = cls(4, 3, rng=np.random.default_rng(7))
    assert isinstance(a, Module) and a.parameters() == [a.weight]
    assert a.weight.data.shape == (4, 3) and not a.weight.grad.any()
    np.testing.assert_array_equal(a.weight.data, b.weight.data)  # reproducible with an rng
    assert not np.array_equal(cls(4, 3).weight.data, cls(4, 3).weight.data)  # fresh without
    assert 0.2 < a.weight.data.std() * 2 < 2  # N(0, 1/in_features): std 0.5


# -- bad input -------------------------------------------------------------------------------------

X = np.array([[1.0, 0.0], [0.0, 2.0]])
Y = np.array([0, 2])

CONSTRUCTOR = [
    (
        "in_features 0",
        AMSoftmaxLoss,
        (0, 3),
        {},
        ValueError,
        r"in_features must be a positive int; got 0",
    ),
    (
        "in_features float",
        ArcFaceLoss,
        (2.0, 3),
        {},
        TypeError,
        r"in_features must be a positive int; got 2.0 of type float",
    ),
    (
        "num_classes bool",
        AMSoftmaxLoss,
        (2, True),
        {},
        TypeError,
        r"num_classes must be a positive int; got True",
    ),
    ("scale 0", AMSoftmaxLoss, (2, 3), {"scale": 0.0}, ValueError, r"scale must be .*> 0; got 0"),
    ("scale nan", ArcFaceLoss, (2, 3), {"scale": np.nan}, ValueError, r"scale .*; got nan"),
    ("scale inf", ArcFaceLoss, (2, 3), {"scale": np.inf}, ValueError, r"scale .*; got inf"),
    ("scale str", ArcFaceLoss, (2, 3), {"scale": "30"}, TypeError, r"scale must be a real"),
    ("AM margin < 0", AMSoftmaxLoss, (2, 3), {"margin": -0.1}, ValueError, r">= 0; got -0.1"),
    ("AM margin inf", AMSoftmaxLoss, (2, 3), {"margin": np.inf}, ValueError, r"got inf"),
    ("Arc margin pi/2", ArcFaceLoss, (2, 3), {"margin": math.pi / 2}, ValueError, r"\[0, pi/2\)"),
    ("Arc margin < 0", ArcFaceLoss, (2, 3), {"margin": -0.5}, ValueError, r"\[0, pi/2\)"),
    ("Arc margin nan", ArcFaceLoss, (2, 3), {"margin": np.nan}, ValueError, r"got nan"),
    ("easy_margin 1", ArcFaceLoss, (2, 3), {"easy_margin": 1}, TypeError, r"True or False"),
    ("rng seed", AMSoftmaxLoss, (2, 3), {"rng": 0}, TypeError, r"rng must be a numpy.random.Gen"),
]


@pytest.mark.parametrize(
    ("cls", "args", "kwargs", "error", "message"),
    [case[1:] for case in CONSTRUCTOR],
    ids=[case[0] for case in CONSTRUCTOR],
)
def test_bad_construction_is_refused_clearly(cls, args, kwargs, error, message):
    with pytest.raises(error, match=message):
        cls(*args, **kwargs)


FORWARD = [
    (
        "x 1-D",
        np.ones(2),
        Y,
        ValueError,
        r"x must have shape \(N, in_features\) = \(N, 2\).*\(2,\)",
    ),
    ("x too wide", np.ones((2, 3)), Y, ValueError, r"= \(N, 2\) with N >= 1; got \(2, 3\)"),
    ("x empty", np.ones((0, 2)), Y[:0], ValueError, r"N >= 1; got \(0, 2\)"),
    (
        "x NaN",
        np.array([[1.0, np.nan], [1.0, 1.0]]),
        Y,
        ValueError,
        r"finite; got nan at index \(0, 1\)",
    ),
    (
        "x inf",
        np.array([[1.0, 1.0], [np.inf, 1.0]]),
        Y,
        ValueError,
        r"finite; got inf at index \(1, 0\)",
    ),
    ("x zero row", np.array([[1.0, 1.0], [0.0, 0.0]]), Y, ValueError, r"row 1 of x has norm 0"),
    ("x strings", np.array([["a", "b"]]), Y[:1], TypeError, r"x must be a real numeric array"),
    ("labels float", X, np.array([0.0, 2.0]), TypeError, r"labels must be integer class indices"),
    ("labels (N, 1)", X, Y[:, None], ValueError, r"labels must have shape \(N,\) = \(2,\)"),
    ("labels too big", X, np.array([0, 3]), ValueError, r"in \[0, 3\) .*got 3 at index 1"),
    ("labels negative", X, np.array([-1, 0]), ValueError, r"got -1 at index 0"),
]


@pytest.mark.parametrize("cls", [AMSoftmaxLoss, ArcFaceLoss])
@pytest.mark.parametrize(
    ("x", "labels", "error", "message"),
    [case[1:] for case in FORWARD],
    ids=[case[0] for case in FORWARD],
)
def test_bad_forward_input_is_refused_clearly(cls, x, labels, error, message):
    layer = cls(2, 3, rng=np.random.default_rng(0))
    with pytest.raises(error, match=message):
        layer.forward(x, labels)
    with pytest.raises(error, match=message):
        layer.logits(x, labels)


@pytest.mark.parametrize("cls", [AMSoftmaxLoss, ArcFaceLoss])
def test_bad_weight_and_backward_order(cls):
    layer = cls(2, 3, rng=np.random.default_rng(0))
    with pytest.raises(RuntimeError, match=r"backward\(\) called before forward\(\)"):
        layer.backward()
    layer.weight.data[:, 1] = 0.0
    with pytest.raises(ValueError, match=r"column 1 of weight has norm 0"):
        layer.forward(X, Y)
    layer.weight.data[0, 1] = np.nan
    with pytest.raises(ValueError, match=r"weight contains NaN or inf"):
        layer.forward(X, Y)
    with pytest.raises(ValueError, match=r"scale \* \(1 \+ margin\) must be finite"):
        cls(2, 3, scale=1e308, margin=1.0)


@pytest.mark.parametrize(
    ("function", "cos", "labels", "error", "message"),
    [
        (am_softmax_logits, [[0.5, 1.5]], [0], ValueError, r"in \[-1, 1\]; row 0 holds 1.5"),
        (arcface_logits, [[0.5, np.nan]], [0], ValueError, r"cos must be finite; got nan"),
        (arcface_logits, [0.5, 0.2], [0], ValueError, r"cos must have shape \(N, C\)"),
        (arcface_logits, [[0.5, 0.2]], [2], ValueError, r"labels must be in \[0, 2\)"),
        (am_softmax_logits, [[0.5, 0.2]], [[0]], ValueError, r"labels must have shape \(N,\)"),
    ],
)
def test_bad_cosines_are_refused_clearly(function, cos, labels, error, message):
    with pytest.raises(error, match=message):
        function(cos, labels)
