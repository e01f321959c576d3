"""accuracy and minibatches: hand counts, coverage of every index, reproducible shuffles."""

from __future__ import annotations

import numpy as np
import pytest

from lossutils import accuracy, minibatches

# -- accuracy --------------------------------------------------------------------------


def test_accuracy_counted_by_hand_for_c_classes():
    logits = np.array(
        [
            [3.0, 1.0, 0.0],  # predicts 0, label 0: right
            [0.0, 2.0, 1.0],  # predicts 1, label 2: wrong
            [-1.0, -2.0, -0.5],  # predicts 2, label 2: right
            [5.0, 5.0, 1.0],  # tie: predicts the first, 0; label 1: wrong
            [0.0, np.inf, 1e300],  # predicts 1, label 1: right
        ]
    )
    assert accuracy(logits, np.array([0, 2, 2, 1, 1])) == 3 / 5
    assert accuracy(logits, np.array([0, 1, 2, 0, 1])) == 1.0
    assert accuracy(logits, np.array([1, 0, 0, 2, 0])) == 0.0


def test_accuracy_counted_by_hand_for_binary_logits():
    logits = np.array([2.0, -0.5, 0.0, -np.inf, 1e-300, -3.0])
    # predicted:        1     0     0 (at 0)  0       1       0
    labels = np.array([1, 0, 1, 0, 0, 1])  # right, right, wrong, right, wrong, wrong
    assert accuracy(logits, labels) == 3 / 6
    assert accuracy(logits, labels.astype(bool)) == 3 / 6
    assert accuracy(np.array([1, -1]), np.array([1, 0])) == 1.0  # integer logits


def test_accuracy_accepts_float32_and_returns_a_python_float():
    result = accuracy(np.array([[1.0, 0.0]], dtype=np.float32), np.array([0], dtype=np.uint8))
    assert type(result) is float and result == 1.0


# -- minibatches -----------------------------------------------------------------------


@pytest.mark.parametrize(("n", "batch_size"), [(10, 3), (12, 4), (5, 5), (3, 10), (1, 1), (7, 1)])
@pytest.mark.parametrize("shuffled", [False, True])
def test_minibatches_cover_every_index_exactly_once(n, batch_size, shuffled):
    rng = np.random.default_rng(0) if shuffled else None
    batches = list(minibatches(n, batch_size, rng=rng))
    sizes = [len(b) for b in batches]
    # ceil(n / batch_size) batches, all full but possibly the last.
    assert len(batches) == -(-n // batch_size)
    assert all(s == batch_size for s in sizes[:-1]) and 1 <= sizes[-1] <= batch_size
    joined = np.concatenate(batches)
    assert np.issubdtype(joined.dtype, np.integer)
    np.testing.assert_array_equal(np.sort(joined), np.arange(n))
    if not shuffled:
        np.testing.assert_array_equal(joined, np.arange(n))


def test_minibatches_shuffle_is_rng_permutation_and_reproducible():
    first = np.concatenate(list(minibatches(20, 6, rng=np.random.default_rng(7))))
    again = np.concatenate(list(minibatches(20, 6, rng=np.random.default_rng(7))))
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(first, np.random.default_rng(7).permutation(20))
    assert not np.array_equal(first, np.arange(20))
    # Two epochs from one generator get two different orders.
    rng = np.random.default_rng(7)
    epoch1 = np.concatenate(list(minibatches(20, 6, rng=rng)))
    epoch2 = np.concatenate(list(minibatches(20, 6, rng=rng)))
    assert not np.array_equal(epoch1, epoch2)


def test_minibatches_checks_its_arguments_at_the_call():
    with pytest.raises(ValueError, match="batch_size"):
        minibatches(10, 0)  # no next(): the error comes before the first batch


# -- bad input -------------------------------------------------------------------------

Z2 = np.array([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]])  # N = 2, C = 3

BAD_INPUTS = [
    (
        "labels (N, 1)",
        lambda: accuracy(Z2, np.array([[0], [2]])),
        ValueError,
        r"labels must have shape \(N,\) = \(2,\); got shape \(2, 1\)",
    ),
    (
        "labels too short",
        lambda: accuracy(Z2, np.array([0])),
        ValueError,
        r"labels must have shape \(N,\) = \(2,\); got shape \(1,\)",
    ),
    (
        "one-hot labels",
        lambda: accuracy(Z2, np.eye(3)[[0, 2]].astype(int)),
        ValueError,
        r"shape \(N,\) = \(2,\); got shape \(2, 3\)",
    ),
    (
        "float labels",
        lambda: accuracy(Z2, np.array([0.0, 2.0])),
        TypeError,
        r"labels must be integer class indices; got an array of dtype float64 .*labels\.astype",
    ),
    (
        "label = C",
        lambda: accuracy(Z2, np.array([0, 3])),
        ValueError,
        r"labels must be in \[0, 3\); got 3 at index 1",
    ),
    (
        "negative label",
        lambda: accuracy(Z2, np.array([-1, 0])),
        ValueError,
        r"labels must be in \[0, 3\); got -1 at index 0",
    ),
    (
        "binary label 2",
        lambda: accuracy(np.array([0.5, -0.5]), np.array([1, 2])),
        ValueError,
        r"labels must be in \{0, 1\} for 1-D \(binary\) logits; got 2 at index 1",
    ),
    (
        "NaN logit",
        lambda: accuracy(np.array([[0.0, 1.0], [np.nan, 0.0]]), np.array([0, 1])),
        ValueError,
        r"logits contain NaN, first at index \(1, 0\)",
    ),
    (
        "NaN binary logit",
        lambda: accuracy(np.array([0.0, np.nan]), np.array([0, 1])),
        ValueError,
        r"logits contain NaN, first at index 1:",
    ),
    (
        "3-D logits",
        lambda: accuracy(np.zeros((2, 3, 1)), np.array([0, 1])),
        ValueError,
        r"logits must be 2-D \(N, C\) .* or 1-D \(N,\) .*; got 3-D with shape \(2, 3, 1\)",
    ),
    (
        "scalar logit",
        lambda: accuracy(np.float64(1.0), np.array([1])),
        ValueError,
        r"got 0-D with shape \(\)",
    ),
    (
        "empty batch",
        lambda: accuracy(np.zeros((0, 3)), np.array([], dtype=int)),
        ValueError,
        r"empty batch \(N = 0\); got shape \(0, 3\)",
    ),
    (
        "no classes",
        lambda: accuracy(np.zeros((2, 0)), np.array([0, 0])),
        ValueError,
        r"at least one class \(C >= 1\); got shape \(2, 0\)",
    ),
    (
        "string logits",
        lambda: accuracy(np.array([["a", "b"]]), np.array([0])),
        TypeError,
        r"logits must be real numbers; got an array of dtype <U1 and shape \(1, 2\)",
    ),
    ("n zero", lambda: minibatches(0, 2), ValueError, r"n must be a positive int; got 0"),
    (
        "n float",
        lambda: minibatches(10.0, 2),
        TypeError,
        r"n must be a positive int; got 10.0 of type float",
    ),
    (
        "batch_size negative",
        lambda: minibatches(10, -2),
        ValueError,
        r"batch_size must be a positive int; got -2",
    ),
    (
        "batch_size bool",
        lambda: minibatches(10, True),
        TypeError,
        r"batch_size must be a positive int; got True",
    ),
    (
        "seed instead of rng",
        lambda: minibatches(10, 2, rng=42),
        TypeError,
        r"rng must be a numpy.random.Generator such as np.random.default_rng\(0\); got int",
    ),
    (
        "legacy RandomState",
        lambda: minibatches(10, 2, rng=np.random.RandomState(0)),
        TypeError,
        r"numpy.random.Generator .*; got RandomState",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [case[1:] for case in BAD_INPUTS],
    ids=[case[0] for case in BAD_INPUTS],
)
def test_bad_input_is_refused_with_a_clear_message(call, error, message):
    with pytest.raises(error, match=message):
        call()
