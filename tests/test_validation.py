"""The strictness table of issue 2: every mistake gets a clear exception.

Each message must name what was expected and what was received; the regular
expressions below check both halves.
"""

from __future__ import annotations

import numpy as np
import pytest

from lossutils import (
    SigmoidCrossEntropy,
    SoftmaxCrossEntropy,
    sigmoid_cross_entropy,
    softmax_cross_entropy,
)

Z = np.array([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]])  # N = 2, C = 3
ONE_HOT = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])


def sig(logits, targets):
    return SigmoidCrossEntropy().forward(logits, targets)


def smx(logits, targets):
    return SoftmaxCrossEntropy().forward(logits, targets)


CASES = [
    # targets whose shape differs from the logits: never broadcast
    (
        "sigmoid (N,) targets for (N, 1) logits",
        sig,
        np.zeros((2, 1)),
        np.zeros(2),
        ValueError,
        r"shape of the logits, \(2, 1\); got shape \(2,\).*never broadcast",
    ),
    (
        "sigmoid (N, 1) targets for (N,) logits",
        sig,
        np.zeros(2),
        np.zeros((2, 1)),
        ValueError,
        r"shape of the logits, \(2,\); got shape \(2, 1\)",
    ),
    ("sigmoid transposed targets", sig, Z, ONE_HOT.T, ValueError, r"\(2, 3\); got shape \(3, 2\)"),
    (
        "softmax one-hot of the wrong width",
        smx,
        Z,
        np.eye(2),
        ValueError,
        r"shape of the logits, \(2, 3\); got shape \(2, 2\)",
    ),
    (
        "softmax labels (N, 1)",
        smx,
        Z,
        np.array([[0], [2]]),
        ValueError,
        r"shape of the logits, \(2, 3\); got shape \(2, 1\)",
    ),
    (
        "softmax labels of the wrong length",
        smx,
        Z,
        np.array([0, 1, 2]),
        ValueError,
        r"shape \(N,\) = \(2,\); got shape \(3,\)",
    ),
    (
        "softmax 3-D targets",
        smx,
        Z,
        np.zeros((2, 3, 1)),
        ValueError,
        r"labels of shape \(N,\) = \(2,\) or probability rows .*got shape \(2, 3, 1\)",
    ),
    # labels out of range, negative, or not integers
    (
        "label = C",
        smx,
        Z,
        np.array([0, 3]),
        ValueError,
        r"in \[0, 3\) for 3 classes; got 3 at index 1",
    ),
    (
        "negative label",
        smx,
        Z,
        np.array([-1, 0]),
        ValueError,
        r"in \[0, 3\) for 3 classes; got -1 at index 0",
    ),
    (
        "float labels",
        smx,
        Z,
        np.array([0.0, 2.0]),
        TypeError,
        r"integer class indices; got .*float64.*probability rows of shape \(N, C\)",
    ),
    (
        "bool labels",
        smx,
        Z,
        np.array([True, False]),
        TypeError,
        r"integer class indices; got .*bool",
    ),
    # probability targets outside [0, 1], rows not summing to 1
    (
        "sigmoid target 2",
        sig,
        Z,
        np.array([[0, 1, 2], [0, 0, 0]]),
        ValueError,
        r"probabilities in \[0, 1\]; got 2 at index \(0, 2\)",
    ),
    (
        "sigmoid target -0.5",
        sig,
        Z,
        np.array([[0, 1, 0], [0, -0.5, 0]]),
        ValueError,
        r"in \[0, 1\]; got -0.5 at index \(1, 1\)",
    ),
    (
        "softmax row sums to 0.9",
        smx,
        Z,
        np.array([[0.5, 0.4, 0.0], [0, 0, 1.0]]),
        ValueError,
        r"sum to 1 \(within 1e-06\); row 0 sums to 0.9",
    ),
    (
        "softmax multi-hot row",
        smx,
        Z,
        np.array([[1.0, 1.0, 0.0], [0, 0, 1.0]]),
        ValueError,
        r"row 0 sums to 2 ",
    ),
    # NaN in logits or targets, and where
    (
        "NaN logit, sigmoid",
        sig,
        np.array([[0.0, 1.0, 2.0], [3.0, np.nan, 4.0]]),
        ONE_HOT,
        ValueError,
        r"logits contain NaN, first at index \(1, 1\)",
    ),
    (
        "NaN logit, softmax",
        smx,
        np.array([[0.0, np.nan, 2.0], [3.0, 1.0, 4.0]]),
        [0, 1],
        ValueError,
        r"logits contain NaN, first at index \(0, 1\)",
    ),
    (
        "NaN target, sigmoid",
        sig,
        Z,
        np.array([[0.0, 1.0, 0.0], [np.nan, 0.0, 1.0]]),
        ValueError,
        r"targets contain NaN, first at index \(1, 0\)",
    ),
    (
        "NaN target, softmax",
        smx,
        Z,
        np.array([[1.0, 0.0, 0.0], [0.0, np.nan, 1.0]]),
        ValueError,
        r"targets contain NaN, first at index \(1, 1\)",
    ),
    # empty batch, wrong number of dimensions, non-numeric data
    (
        "empty batch, softmax",
        smx,
        np.zeros((0, 3)),
        np.zeros(0, dtype=int),
        ValueError,
        r"empty batch \(N = 0\); got shape \(0, 3\)",
    ),
    (
        "empty batch, sigmoid",
        sig,
        np.zeros(0),
        np.zeros(0),
        ValueError,
        r"empty batch \(N = 0\); got shape \(0,\)",
    ),
    (
        "no classes",
        smx,
        np.zeros((2, 0)),
        np.zeros(2, dtype=int),
        ValueError,
        r"at least one class \(C >= 1\); got shape \(2, 0\)",
    ),
    (
        "1-D softmax logits",
        smx,
        np.zeros(3),
        np.array([0]),
        ValueError,
        r"logits must be 2-D \(N, C\); got 1-D with shape \(3,\)",
    ),
    (
        "3-D softmax logits",
        smx,
        np.zeros((2, 3, 4)),
        np.array([0, 1]),
        ValueError,
        r"2-D \(N, C\); got 3-D with shape \(2, 3, 4\)",
    ),
    (
        "scalar sigmoid logit",
        sig,
        np.float64(1.0),
        np.float64(1.0),
        ValueError,
        r"1-D \(N,\) or 2-D \(N, C\); got 0-D",
    ),
    (
        "3-D sigmoid logits",
        sig,
        np.zeros((2, 3, 4)),
        np.zeros((2, 3, 4)),
        ValueError,
        r"1-D \(N,\) or 2-D \(N, C\); got 3-D with shape \(2, 3, 4\)",
    ),
    (
        "string logits",
        smx,
        np.array([["a", "b"]]),
        [0],
        TypeError,
        r"real numeric array .*got an array of dtype <U1 and shape \(1, 2\)",
    ),
    (
        "object logits",
        sig,
        np.array([[None, 1.0]], dtype=object),
        np.zeros((1, 2)),
        TypeError,
        r"real numeric array .*dtype object",
    ),
    ("complex logits", smx, Z + 1j, [0, 1], TypeError, r"real numeric array .*complex128"),
    ("bool logits", sig, Z > 0, ONE_HOT, TypeError, r"real numeric array .*dtype bool"),
    (
        "string targets",
        sig,
        Z,
        np.array([["1", "0", "0"], ["0", "0", "1"]]),
        TypeError,
        r"targets must be a numeric array; got .*<U1",
    ),
]


@pytest.mark.parametrize(
    ("call", "logits", "targets", "error", "match"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_mistakes_raise_a_clear_error(call, logits, targets, error, match):
    with pytest.raises(error, match=match):
        call(logits, targets)


def test_bad_reduction_is_refused():
    with pytest.raises(ValueError, match=r"one of 'mean', 'sum', 'none'; got 'average'"):
        SoftmaxCrossEntropy(reduction="average")


def test_boolean_and_integer_targets_are_accepted_where_they_are_probabilities():
    # A beginner writes one-hot rows as integers; multi-label targets often come as bools.
    assert np.isfinite(smx(Z, ONE_HOT.astype(int)))
    assert np.isfinite(sig(Z, ONE_HOT.astype(bool)))


# -- the options of the functional losses (issue 8) -----------------------------------

LABELS = np.array([0, 2])


def smx_with(**options):
    return lambda: softmax_cross_entropy(Z, options.pop("targets", LABELS), **options)


def sig_with(**options):
    return lambda: sigmoid_cross_entropy(Z, ONE_HOT, **options)


OPTION_CASES = [
    (
        "class weights of the wrong length",
        smx_with(weight=[1.0, 2.0]),
        ValueError,
        r"weight must have shape \(3,\) \(one weight per class\); got shape \(2,\).*never",
    ),
    (
        "negative class weight",
        smx_with(weight=[1.0, -2.0, 1.0]),
        ValueError,
        r"weight must be finite and >= 0; got -2.0 at index 1",
    ),
    (
        "NaN class weight",
        smx_with(weight=[1.0, np.nan, 1.0]),
        ValueError,
        r"weight must be finite and >= 0; got nan at index 1",
    ),
    (
        "string class weights",
        smx_with(weight=["a", "b", "c"]),
        TypeError,
        r"weight must be a real numeric array; got an array of dtype <U1",
    ),
    (
        "ignore_index as a float",
        smx_with(ignore_index=-100.0),
        TypeError,
        r"ignore_index must be an int or None; got float",
    ),
    (
        "ignore_index with probability rows",
        smx_with(targets=ONE_HOT, ignore_index=-100),
        ValueError,
        r"ignore_index applies to integer labels; these targets are probability rows of shape",
    ),
    (
        "a label out of range that is not ignore_index",
        smx_with(targets=np.array([-100, 3]), ignore_index=-100),
        ValueError,
        r"labels must be in \[0, 3\) for 3 classes, or equal ignore_index = -100; got 3 at index 1",
    ),
    (
        "label_smoothing above 1",
        smx_with(label_smoothing=1.5),
        ValueError,
        r"label_smoothing must be in \[0, 1\]; got 1.5",
    ),
    (
        "label_smoothing NaN",
        smx_with(label_smoothing=np.nan),
        ValueError,
        r"label_smoothing must be in \[0, 1\]; got nan",
    ),
    (
        "label_smoothing as a string",
        smx_with(label_smoothing="0.1"),
        TypeError,
        r"label_smoothing must be a real number in \[0, 1\]; got str",
    ),
    (
        "PyTorch's mean name on the softmax loss",
        smx_with(reduction="elementwise_mean"),
        ValueError,
        r"reduction must be one of 'mean', 'sum', 'none'; got 'elementwise_mean'",
    ),
    (
        "a mean over no rows",
        smx_with(targets=np.array([-1, -1]), ignore_index=-1),
        ValueError,
        r"reduction='mean' over no rows: every label is ignore_index or has class weight 0",
    ),
    (
        "sigmoid weight of a length that is neither C nor the logits' shape",
        sig_with(weight=[1.0, 2.0]),
        ValueError,
        r"weight must have shape \(3,\) \(one per class\) or \(2, 3\) \(one per element\)"
        r"; got shape \(2,\)",
    ),
    (
        "sigmoid weight of one column, to be broadcast",
        sig_with(weight=np.ones((2, 1))),
        ValueError,
        r"got shape \(2, 1\) \(weights are never broadcast",
    ),
    (
        "pos_weight of the wrong length",
        sig_with(pos_weight=[1.0, 2.0]),
        ValueError,
        r"pos_weight must have shape \(\) \(a scalar\) or \(3,\) \(one per class\); got shape",
    ),
    (
        "negative pos_weight",
        sig_with(pos_weight=-1.0),
        ValueError,
        r"pos_weight must be finite and >= 0; got -1.0",
    ),
    (
        "an unknown sigmoid reduction",
        sig_with(reduction="batchmean"),
        ValueError,
        r"one of 'mean', 'elementwise_mean', 'sum', 'none'; got 'batchmean'",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [case[1:] for case in OPTION_CASES],
    ids=[case[0] for case in OPTION_CASES],
)
def test_bad_options_raise_a_clear_error(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_layers_check_their_options_when_built():
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\]; got -0.1"):
        SoftmaxCrossEntropy(label_smoothing=-0.1)
    with pytest.raises(TypeError, match=r"ignore_index must be an int or None; got str"):
        SoftmaxCrossEntropy(ignore_index="pad")
    with pytest.raises(ValueError, match=r"got 'elementwise_mean'"):
        SoftmaxCrossEntropy(reduction="elementwise_mean")
    assert SigmoidCrossEntropy(reduction="elementwise_mean").reduction == "elementwise_mean"
