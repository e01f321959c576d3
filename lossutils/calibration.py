r"""Calibration: does a model's confidence match how often it is right?

A classifier's **confidence** on a sample is its largest predicted probability,
and its prediction the class that gets it. Group the samples into ``n_bins`` bins of
equal width by confidence (with 10 bins: (0, 0.1], (0.1, 0.2], ..., (0.9, 1]);
in each bin compare the mean confidence with the accuracy. A calibrated model
is right on 80 % of the samples to which it gives about 0.8. The **expected
calibration error** (Guo et al. 2017) is the mean gap, weighted by how many
samples each bin holds:

.. math::
    \mathrm{ECE} = \sum_{\text{bins}} \frac{n_\text{bin}}{N}
        \left| \mathrm{accuracy}_\text{bin} - \mathrm{confidence}_\text{bin} \right| .

A sample whose confidence falls exactly on a bin edge goes into the lower bin,
as in the usual ``lower < confidence <= upper`` loop.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import check_labels, check_positive_int

__all__ = ["CalibrationBins", "calibration_bins", "expected_calibration_error"]


class CalibrationBins(NamedTuple):
    """Result of :func:`calibration_bins`, one entry per bin.

    Attributes
    ----------
    edges : ndarray, shape (n_bins + 1,)
        The bin edges, from 0 to 1.
    confidence : ndarray, shape (n_bins,)
        Mean confidence of the samples in each bin (NaN for an empty bin).
    accuracy : ndarray, shape (n_bins,)
        Fraction of them predicted correctly (NaN for an empty bin).
    count : ndarray of int, shape (n_bins,)
        How many samples each bin holds.
    """

    edges: NDArray[np.float64]
    confidence: NDArray[np.float64]
    accuracy: NDArray[np.float64]
    count: NDArray[np.int64]


def _check_probs(probs) -> NDArray[np.float64]:
    """Rows of probabilities, shape (N, C), each summing to 1: as float64."""
    p = np.asarray(probs)
    if p.dtype.kind not in "iuf":
        raise TypeError(
            f"probs must be a real numeric array; got an array of dtype {p.dtype} "
            f"and shape {p.shape}"
        )
    if p.ndim != 2 or p.shape[0] == 0 or p.shape[1] == 0:
        raise ValueError(
            f"probs must have shape (N, C) with N >= 1 and C >= 1 (one row of class "
            f"probabilities per sample); got shape {p.shape}"
        )
    tolerance = 1e-6 if p.dtype == np.float64 else 1e-3
    p = p.astype(np.float64)
    outside = ~((p >= 0) & (p <= 1))  # also catches NaN
    if outside.any():
        where = tuple(int(i) for i in np.argwhere(outside)[0])
        raise ValueError(f"probs must lie in [0, 1]; got {p[where]!r} at index {where}")
    sums = p.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1) > tolerance)
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"each row of probs must sum to 1 (within {tolerance:g}); row {i} sums to "
            f"{sums[i]:.10g}: pass softmax(logits), not the logits"
        )
    return p


def calibration_bins(probs: ArrayLike, labels: ArrayLike, *, n_bins: int = 15) -> CalibrationBins:
    """Mean confidence, accuracy and size of each confidence bin: a reliability diagram's data.

    Parameters
    ----------
    probs : array_like, shape (N, C)
        Predicted probabilities, each row summing to 1 (``softmax(logits)``).
    labels : array_like of int, shape (N,)
        The true classes, in ``[0, C)``.
    n_bins : int, optional
        Number of bins of equal width on ``[0, 1]``; 15 as in Guo et al. (2017).

    Returns
    -------
    CalibrationBins
        ``edges``, and per bin ``confidence``, ``accuracy`` (NaN where a bin is
        empty) and ``count``.

    Raises
    ------
    TypeError, ValueError
        For probabilities that are not real rows in ``[0, 1]`` summing to 1,
        labels that are not integers in range, or a bad ``n_bins``.

    Examples
    --------
    Two samples at confidence 0.9, one right and one wrong; one at 0.6, right:

    >>> probs = [[0.9, 0.1], [0.1, 0.9], [0.6, 0.4]]
    >>> bins = calibration_bins(probs, [0, 0, 0], n_bins=2)
    >>> bins.count.tolist(), bins.accuracy.tolist()
    ([0, 3], [nan, 0.6666666666666666])
    """
    n_bins = check_positive_int(n_bins, "n_bins")
    p = _check_probs(probs)
    y = check_labels(labels, *p.shape)
    confidence = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # bin b holds edges[b] < confidence <= edges[b + 1]; confidence > 0 for rows summing to 1
    index = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, n_bins - 1)
    count = np.bincount(index, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):  # empty bins: 0 / 0 = NaN, on purpose
        mean_confidence = np.bincount(index, weights=confidence, minlength=n_bins) / count
        accuracy = np.bincount(index, weights=correct, minlength=n_bins) / count
    return CalibrationBins(edges, mean_confidence, accuracy, count.astype(np.int64))


def expected_calibration_error(probs: ArrayLike, labels: ArrayLike, *, n_bins: int = 15) -> float:
    r"""Expected calibration error (ECE) of predicted probabilities, in ``[0, 1]``.

    :math:`\sum_\text{bins} (n_\text{bin}/N)\,|\text{accuracy} - \text{confidence}|`
    over the bins of :func:`calibration_bins` (empty bins contribute nothing).
    0 means that within each bin the model is right exactly as often as it claims.

    Parameters
    ----------
    probs : array_like, shape (N, C)
        Predicted probabilities, each row summing to 1.
    labels : array_like of int, shape (N,)
        The true classes.
    n_bins : int, optional
        Number of bins of equal width (15, as in Guo et al. 2017).

    Returns
    -------
    float

    Raises
    ------
    TypeError, ValueError
        As :func:`calibration_bins`.

    Notes
    -----
    The ECE of a finite sample is itself an estimate: with a few hundred
    samples and a model that is rarely wrong, differences of a few thousandths
    are within its sampling noise.

    Examples
    --------
    A model that always says 0.9 and is right on 3 of 4 samples is 0.15 too sure:

    >>> probs = [[0.9, 0.1]] * 4
    >>> round(expected_calibration_error(probs, [0, 0, 0, 1]), 12)
    0.15
    """
    bins = calibration_bins(probs, labels, n_bins=n_bins)
    filled = bins.count > 0
    gaps = np.abs(bins.accuracy[filled] - bins.confidence[filled])
    return float(np.sum(bins.count[filled] * gaps) / bins.count.sum())
