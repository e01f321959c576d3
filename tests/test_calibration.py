"""calibration_bins and expected_calibration_error: hand counts, the definition as a loop,
edge placement, a calibrated model simulated, and bad input refused clearly."""

from __future__ import annotations

import numpy as np
import pytest

from lossutils import calibration_bins, expected_calibration_error


def two_class(confidences, predicted):
    """Rows [c, 1 - c] or [1 - c, c] so that the given class gets confidence c >= 1/2."""
    c = np.asarray(confidences, dtype=np.float64)
    rows = np.stack([c, 1 - c], axis=1)
    flip = np.asarray(predicted) == 1
    rows[flip] = rows[flip][:, ::-1]
    return rows


def ece_by_loop(probs, labels, n_bins):
    """Guo et al.'s definition, written as the usual loop over bins (lower < conf <= upper)."""
    probs = np.asarray(probs, dtype=np.float64)
    conf, pred = probs.max(axis=1), probs.argmax(axis=1)
    total = 0.0
    for b in range(n_bins):
        lower, upper = b / n_bins, (b + 1) / n_bins
        inside = (conf > lower) & (conf <= upper)
        if inside.any():
            gap = abs(np.mean(pred[inside] == labels[inside]) - np.mean(conf[inside]))
            total += inside.mean() * gap
    return total


def test_counted_by_hand():
    # Confidences 0.95, 0.95, 0.85, 0.65, 0.55 with 5 bins of width 0.2:
    # bin (0.8, 1]: 0.95 right, 0.95 wrong, 0.85 right -> accuracy 2/3, confidence 0.9166...
    # bin (0.4, 0.6]: 0.55 wrong -> accuracy 0, confidence 0.55
    # bin (0.6, 0.8]: 0.65 right -> accuracy 1, confidence 0.65
    probs = two_class([0.95, 0.95, 0.85, 0.65, 0.55], [0, 1, 0, 1, 0])
    labels = np.array([0, 0, 0, 1, 1])
    bins = calibration_bins(probs, labels, n_bins=5)
    np.testing.assert_array_equal(bins.count, [0, 0, 1, 1, 3])
    np.testing.assert_allclose(bins.accuracy[2:], [0.0, 1.0, 2 / 3], rtol=1e-15)
    np.testing.assert_allclose(bins.confidence[2:], [0.55, 0.65, 2.75 / 3], rtol=1e-15)
    assert np.isnan(bins.accuracy[:2]).all() and np.isnan(bins.confidence[:2]).all()
    np.testing.assert_allclose(bins.edges, [0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
    expected = (1 / 5) * 0.55 + (1 / 5) * 0.35 + (3 / 5) * abs(2 / 3 - 2.75 / 3)
    assert expected_calibration_error(probs, labels, n_bins=5) == pytest.approx(expected, 1e-14)


def test_one_bin_is_the_gap_between_mean_confidence_and_accuracy():
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(4), size=50)
    labels = rng.integers(0, 4, size=50)
    gap = abs(np.mean(probs.argmax(axis=1) == labels) - probs.max(axis=1).mean())
    assert expected_calibration_error(probs, labels, n_bins=1) == pytest.approx(gap, 1e-14)


@pytest.mark.parametrize("n_bins", [1, 2, 10, 15, 40])
def test_matches_the_definition_written_as_a_loop(n_bins):
    rng = np.random.default_rng(n_bins)
    logits = 3 * rng.standard_normal((300, 6))
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = rng.integers(0, 6, size=300)
    assert expected_calibration_error(probs, labels, n_bins=n_bins) == pytest.approx(
        ece_by_loop(probs, labels, n_bins), rel=1e-12, abs=1e-15
    )


def test_a_confidence_on_a_bin_edge_goes_into_the_lower_bin():
    # 0.6, 0.8 and 1.0 are edges of the 5 bins; 0.6 is stored as 0.59999999999999998.
    probs = two_class([0.6, 0.8, 1.0, 0.5], [0, 0, 0, 0])
    bins = calibration_bins(probs, np.zeros(4, dtype=int), n_bins=5)
    np.testing.assert_array_equal(bins.count, [0, 0, 2, 1, 1])  # 0.5 and 0.6 in (0.4, 0.6]


def test_permuting_the_samples_changes_nothing():
    rng = np.random.default_rng(1)
    probs = rng.dirichlet(np.full(3, 0.3), size=80)
    labels = rng.integers(0, 3, size=80)
    order = rng.permutation(80)
    assert expected_calibration_error(probs, labels) == expected_calibration_error(
        probs[order], labels[order]
    )


def test_a_calibrated_model_has_an_ece_near_zero_and_an_overconfident_one_does_not():
    # Simulate a calibrated model: the label is drawn from the predicted distribution itself.
    rng = np.random.default_rng(2)
    probs = rng.dirichlet(np.full(5, 0.5), size=20_000)
    labels = np.array([rng.choice(5, p=row) for row in probs])
    assert expected_calibration_error(probs, labels) < 0.01
    # The same labels, judged against sharpened probabilities (temperature 1/3): overconfident.
    sharp = probs**3 / np.sum(probs**3, axis=1, keepdims=True)
    bins = calibration_bins(sharp, labels)
    filled = bins.count > 0
    assert np.all(bins.accuracy[filled][-3:] < bins.confidence[filled][-3:])
    assert expected_calibration_error(sharp, labels) > 0.05


def test_always_right_and_fully_sure_is_zero_and_accepts_float32():
    probs = np.eye(2, dtype=np.float32)[[0, 1, 1]]
    assert expected_calibration_error(probs, np.array([0, 1, 1])) == 0.0


@pytest.mark.parametrize(
    ("probs", "labels", "kwargs", "error", "message"),
    [
        ([[0.5, 0.5]], [0], {"n_bins": 0}, ValueError, r"n_bins must be a positive int; got 0"),
        ([[0.5, 0.5]], [0], {"n_bins": 2.0}, TypeError, r"n_bins must be a positive int.*float"),
        ([[0.5, 0.5]], [0], {"n_bins": True}, TypeError, r"n_bins must be a positive int"),
        ([0.5, 0.5], [0], {}, ValueError, r"shape \(N, C\).*got shape \(2,\)"),
        (np.zeros((0, 3)), [], {}, ValueError, r"N >= 1 and C >= 1.*\(0, 3\)"),
        ([["a", "b"]], [0], {}, TypeError, r"real numeric array; got an array of dtype <U1"),
        ([[2.0, -1.0]], [0], {}, ValueError, r"in \[0, 1\]; got .*2\.0.* at index \(0, 0\)"),
        ([[np.nan, 1.0]], [0], {}, ValueError, r"in \[0, 1\]; got .*nan"),
        ([[0.3, 0.3]], [0], {}, ValueError, r"sum to 1.*row 0 sums to 0\.6.*not the logits"),
        ([[0.5, 0.5]], [0.0], {}, TypeError, r"integer class indices; got .*float64"),
        ([[0.5, 0.5]], [0, 1], {}, ValueError, r"shape \(N,\) = \(1,\); got shape \(2,\)"),
        ([[0.5, 0.5]], [2], {}, ValueError, r"in \[0, 2\).*got 2 at index 0"),
    ],
)
def test_bad_input_is_refused_clearly(probs, labels, kwargs, error, message):
    with pytest.raises(error, match=message):
        expected_calibration_error(probs, labels, **kwargs)
    with pytest.raises(error, match=message):
        calibration_bins(probs, labels, **kwargs)
