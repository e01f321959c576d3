"""NaN, infinities and ``np.seterr``: one documented convention, and results that never depend
on the caller's floating-point error settings.

The convention (lossutils/primitives.py): the limit where there is one, NaN where there is
none. Each expected value below is the mathematical limit, written by hand; SciPy and PyTorch
give NaN rows for NaN inputs too.
"""

from __future__ import annotations

import numpy as np
import pytest

import lossutils

inf, nan = np.inf, np.nan


@pytest.mark.parametrize(
    "row",
    [[1.0, nan, 3.0], [nan, 0.0], [nan], [inf, nan], [-inf, nan, -inf]],
    ids=["nan-in-middle", "nan-first", "only-nan", "inf-and-nan", "neg-inf-and-nan"],
)
def test_a_nan_makes_the_whole_row_nan(row):
    assert np.isnan(lossutils.softmax(row)).all()
    assert np.isnan(lossutils.log_softmax(row)).all()
    assert np.isnan(lossutils.logsumexp(row))


def test_a_nan_row_does_not_touch_the_other_rows():
    z = np.array([[1.0, nan, 3.0], [0.0, np.log(2.0), np.log(3.0)]])
    np.testing.assert_allclose(lossutils.softmax(z)[1], [1 / 6, 2 / 6, 3 / 6], rtol=1e-15)
    np.testing.assert_allclose(lossutils.logsumexp(z, axis=1)[1], np.log(6.0), rtol=1e-15)
    # along axis 0 the NaN is in column 1 only
    np.testing.assert_allclose(
        lossutils.softmax(z, axis=0)[:, 0], [np.e / (1 + np.e), 1 / (1 + np.e)], rtol=1e-15
    )
    assert np.isnan(lossutils.softmax(z, axis=0)[:, 1]).all()


def test_sigmoid_and_log_sigmoid_give_nan_only_for_the_nan_element():
    x = np.array([-1.0, nan, inf, -inf])
    s = lossutils.sigmoid(x)
    assert np.isnan(s[1]) and s[2] == 1.0 and s[3] == 0.0
    np.testing.assert_allclose(s[0], 1 / (1 + np.e), rtol=1e-15)
    ls = lossutils.log_sigmoid(x)
    assert np.isnan(ls[1]) and ls[2] == 0.0 and ls[3] == -inf


@pytest.mark.parametrize(
    ("row", "probs", "log_probs", "lse"),
    [
        ([inf, 0.0, 0.0], [1, 0, 0], [0, -inf, -inf], inf),  # one +inf: the limit is one-hot
        ([0.0, inf, -inf], [0, 1, 0], [-inf, 0, -inf], inf),
        ([inf, inf], [nan, nan], [nan, nan], inf),  # two +inf: no limiting softmax
        ([-inf, -inf], [nan, nan], [nan, nan], -inf),  # all -inf: 0/0, but the log of 0
        ([0.0, -inf], [1, 0], [0, -inf], 0.0),  # a masked class
        ([-inf, 2.0, 2.0], [0, 0.5, 0.5], [-inf, -np.log(2), -np.log(2)], 2 + np.log(2)),
    ],
)
def test_infinities_follow_the_limit_or_give_nan(row, probs, log_probs, lse):
    np.testing.assert_allclose(lossutils.softmax(row), probs, rtol=1e-15)
    np.testing.assert_allclose(lossutils.log_softmax(row), log_probs, rtol=1e-15)
    np.testing.assert_allclose(lossutils.logsumexp(row), lse, rtol=1e-15)


def test_log_softmax_is_never_positive():
    rows = np.array([[inf, 0.0], [1e308, -1e308], [0.0, -1e-300]])
    assert (lossutils.log_softmax(rows) <= 0).all()


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_finite_extremes_never_warn(dtype):
    # pytest turns every warning into an error (pyproject.toml): reaching the asserts is the test.
    big = np.finfo(dtype).max
    z = np.array([[big, -big, 0.0]], dtype=dtype)
    assert lossutils.softmax(z)[0, 0] == 1
    assert lossutils.log_softmax(z)[0, 1] == -inf  # the true -2 * max rounds to -inf
    assert lossutils.logsumexp(z)[0] == big


@pytest.fixture
def raise_on_every_floating_point_event():
    old = np.seterr(all="raise")
    yield
    np.seterr(**old)


EVERY_PRIMITIVE_CALL = {
    "sigmoid(-720)": lambda: lossutils.sigmoid(-720.0),
    "sigmoid(-800)": lambda: lossutils.sigmoid(np.array([-800.0, 800.0])),
    "log_sigmoid(-800)": lambda: lossutils.log_sigmoid(np.array([-800.0, 800.0, 1e300])),
    "softmax([0, -1000])": lambda: lossutils.softmax([0.0, -1000.0]),
    "softmax(overflowing shift)": lambda: lossutils.softmax([1e308, -1e308, 0.0]),
    "softmax(inf)": lambda: lossutils.softmax([[inf, 0.0], [nan, 1.0], [-inf, -inf]]),
    "log_softmax([0, -1000])": lambda: lossutils.log_softmax([0.0, -1000.0]),
    "log_softmax(inf)": lambda: lossutils.log_softmax([[inf, 0.0], [inf, inf]]),
    "logsumexp([0, -1e4])": lambda: lossutils.logsumexp([[0.0, -1e4], [-inf, -inf]], axis=1),
    "float32 softmax": lambda: lossutils.softmax(np.array([0.0, -200.0], dtype=np.float32)),
    "float16 sigmoid": lambda: lossutils.sigmoid(np.array([-30.0], dtype=np.float16)),
}


@pytest.mark.parametrize("name", sorted(EVERY_PRIMITIVE_CALL))
def test_results_do_not_depend_on_seterr(name, raise_on_every_floating_point_event):
    call = EVERY_PRIMITIVE_CALL[name]
    strict = call()
    with np.errstate(all="ignore"):
        relaxed = call()
    np.testing.assert_array_equal(strict, relaxed)


# -- the losses follow the same convention ---------------------------------------------


@pytest.mark.parametrize(
    ("row", "label"),
    [
        ([inf, 0.0, 0.0], 0),  # the limit: certain and right, loss 0
        ([inf, 0.0, 0.0], 1),  # certain and wrong: loss inf
        ([0.0, -inf, 1.0], 2),  # a masked class
        ([0.0, -inf, 1.0], 1),  # the label is masked: loss inf
        ([1e308, -1e308, 0.0], 0),  # finite, with an overflowing shift
    ],
)
def test_the_softmax_loss_agrees_with_the_primitives_at_infinities(row, label):
    loss, grad = lossutils.softmax_cross_entropy([row], [label], reduction="sum")
    np.testing.assert_allclose(loss, -lossutils.log_softmax(row)[label], rtol=1e-15)
    np.testing.assert_allclose(grad[0], lossutils.softmax(row) - np.eye(3)[label], rtol=1e-15)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ([inf, inf, 0.0], r"row 0 of the logits holds 2 entries equal to \+inf"),
        ([-inf, -inf, -inf], r"every logit of 1 row\(s\) is -inf"),
        ([1.0, nan, 0.0], r"logits contain NaN, first at index \(0, 1\)"),
    ],
)
def test_the_softmax_loss_refuses_rows_without_a_softmax(row, message):
    with pytest.raises(ValueError, match=message):
        lossutils.softmax_cross_entropy([row], [0])


def test_a_nan_in_an_ignored_row_is_still_refused():
    with pytest.raises(ValueError, match=r"logits contain NaN, first at index \(1, 0\)"):
        lossutils.softmax_cross_entropy([[0.0, 1.0], [nan, 0.0]], [0, -100], ignore_index=-100)


def test_the_sigmoid_loss_takes_the_limit_at_infinities():
    z = np.array([[inf, -inf, inf, -inf]])
    t = np.array([[1.0, 0.0, 0.0, 1.0]])
    losses, grad = lossutils.sigmoid_cross_entropy(z, t, reduction="none")
    assert losses[0] == inf  # the last two are certain and wrong
    np.testing.assert_array_equal(grad, lossutils.sigmoid(z) - t)
    right, _ = lossutils.sigmoid_cross_entropy(z[:, :2], t[:, :2], pos_weight=3.0)
    assert right == 0.0  # certain and right, whatever the weights
    with pytest.raises(ValueError, match=r"logits contain NaN, first at index \(0, 1\)"):
        lossutils.sigmoid_cross_entropy([[0.0, nan]], [[1.0, 0.0]], weight=[1.0, 0.0])


def _train_one_step():
    rng = np.random.default_rng(0)
    model = lossutils.Sequential(lossutils.Linear(2, 3, rng=rng), lossutils.ReLU())
    model[0].weight.data[...] = 1e-300  # every product underflows
    x = np.full((2, 2), 1e-300)
    logits = model(x)
    _, dlogits = lossutils.softmax_cross_entropy(logits, [0, 2], label_smoothing=0.1)
    model.backward(dlogits)
    optimizer = lossutils.SGD(model, lr=1e-300, momentum=0.9, weight_decay=1e-3)
    optimizer.step()
    return np.concatenate(
        [p.data.ravel() for p in model.parameters()]
        + [[lossutils.l2_penalty(model, 1e-300)], logits.ravel()]
    )


EVERY_LOSS_AND_MODULE_CALL = {
    "softmax_cross_entropy": lambda: lossutils.softmax_cross_entropy(
        [[0.0, -1000.0], [1e308, -1e308]], [0, 0], weight=[1.0, 2.0], label_smoothing=0.1
    ),
    "softmax_cross_entropy(probabilities)": lambda: lossutils.softmax_cross_entropy(
        [[0.0, -1000.0]], [[1.0, 0.0]]
    ),
    "sigmoid_cross_entropy": lambda: lossutils.sigmoid_cross_entropy(
        [[-800.0, 800.0, -720.0]], [[0.0, 1.0, 0.0]]
    ),
    "sigmoid_cross_entropy(pos_weight)": lambda: lossutils.sigmoid_cross_entropy(
        [[-800.0, 800.0]], [[0.0, 1.0]], pos_weight=2.0, weight=[1.0, 1e-300]
    ),
    "a training step": _train_one_step,
}


@pytest.mark.parametrize("name", sorted(EVERY_LOSS_AND_MODULE_CALL))
def test_losses_and_modules_do_not_depend_on_seterr(name, raise_on_every_floating_point_event):
    call = EVERY_LOSS_AND_MODULE_CALL[name]
    strict = call()
    with np.errstate(all="ignore"):
        relaxed = call()
    if isinstance(strict, tuple):  # (loss, dlogits)
        for a, b in zip(strict, relaxed, strict=True):
            np.testing.assert_array_equal(a, b)
    else:
        np.testing.assert_array_equal(strict, relaxed)
