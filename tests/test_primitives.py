"""The stable primitives: values against mpmath and SciPy's test values, dtypes, no warnings.

pytest runs with warnings turned into errors (pyproject.toml), so every test
here also proves that no RuntimeWarning was raised.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

import lossutils
from tests.conftest import relative_error

EXTREMES = np.array(
    [
        -1e300,
        -1e4,
        -1000.0,
        -745.2,
        -710.0,
        -37.0,
        -1e-300,
        0.0,
        1e-300,
        37.0,
        710.0,
        745.2,
        1000.0,
        1e4,
        1e300,
    ]
)


def extremes(dtype) -> np.ndarray:
    """EXTREMES that the dtype can hold (float32 and float16 overflow on 1e300)."""
    return EXTREMES[np.abs(EXTREMES) <= np.finfo(dtype).max].astype(dtype)


class TestLogSigmoidAgainstSciPyVectors:
    """The float64 values of SciPy's ``TestLogExpit`` (scipy/special/tests/test_logit.py),
    computed there with mpmath at 100 digits, reproduced at rtol 1e-15."""

    def test_large_negative_is_exactly_x(self):
        x = np.array([-10000.0, -750.0, -500.0, -35.0])
        np.testing.assert_array_equal(lossutils.log_sigmoid(x), x)

    def test_large_positive_is_zero(self):
        x = np.array([750.0, 1000.0, 10000.0])
        np.testing.assert_array_equal(lossutils.log_sigmoid(x), np.zeros(3))

    def test_basic_float64(self):
        x = np.array(
            [-32, -20, -10, -3, -1, -0.1, -1e-9, 0, 1e-9, 0.1, 1, 10, 100, 500, 710, 725, 735]
        )
        expected = [
            -32.000000000000014,
            -20.000000002061153,
            -10.000045398899218,
            -3.048587351573742,
            -1.3132616875182228,
            -0.7443966600735709,
            -0.6931471810599453,
            -0.6931471805599453,
            -0.6931471800599454,
            -0.6443966600735709,
            -0.3132616875182228,
            -4.539889921686465e-05,
            -3.720075976020836e-44,
            -7.124576406741286e-218,
            -4.47628622567513e-309,
            -1.36930634e-315,
            -6.217e-320,
        ]
        np.testing.assert_allclose(lossutils.log_sigmoid(x), expected, rtol=1e-15)

    def test_basic_float32(self):
        x = np.array(
            [-32, -20, -10, -3, -1, -0.1, -1e-9, 0, 1e-9, 0.1, 1, 10, 100], dtype=np.float32
        )
        expected = np.array(
            [
                -32.0,
                -20.0,
                -10.000046,
                -3.0485873,
                -1.3132616,
                -0.7443967,
                -0.6931472,
                -0.6931472,
                -0.6931472,
                -0.64439666,
                -0.3132617,
                -4.5398898e-05,
                -3.8e-44,
            ],
            dtype=np.float32,
        )
        got = lossutils.log_sigmoid(x)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, expected, rtol=5e-7)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_and_log_sigmoid_match_mpmath(dtype):
    x = np.concatenate([extremes(dtype), np.linspace(-50, 50, 201).astype(dtype)])
    sig, log_sig = lossutils.sigmoid(x), lossutils.log_sigmoid(x)
    for xi, s, ls in zip(x, sig, log_sig, strict=True):
        v = mpmath.mpf(float(xi))
        assert relative_error(s, 1 / (1 + mpmath.exp(-v)), dtype) <= 4, xi
        assert relative_error(ls, -mpmath.log1p(mpmath.exp(-v)), dtype) <= 4, xi


def test_sigmoid_symmetry_holds_exactly_where_it_can():
    x = np.linspace(-30, 30, 601)
    np.testing.assert_allclose(lossutils.sigmoid(-x), 1 - lossutils.sigmoid(x), atol=2e-16)


def test_softmax_family_matches_mpmath():
    rng = np.random.default_rng(3)
    rows = [rng.standard_normal(4) * s for s in (1, 30, 300, 3000)]
    rows += [np.array([1000.0, 1000.0, -1000.0, 0.0]), np.array([0.0, -100.0, -200.0, -745.0])]
    for row in rows:
        z = [mpmath.mpf(float(v)) for v in row]
        lse = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in z))
        bound = 8 + 2 * float(np.max(np.abs(row)))
        assert relative_error(lossutils.logsumexp(row), lse, np.float64) <= bound
        for j, (p, lp) in enumerate(
            zip(lossutils.softmax(row), lossutils.log_softmax(row), strict=True)
        ):
            # log softmax_j = -log1p(sum_{i != j} e^{z_i - z_j}): no cancellation in the reference
            exact_lp = -mpmath.log1p(
                mpmath.fsum(mpmath.exp(v - z[j]) for i, v in enumerate(z) if i != j)
            )
            assert relative_error(p, mpmath.exp(exact_lp), np.float64) <= bound
            assert relative_error(lp, exact_lp, np.float64) <= bound


def test_log_softmax_keeps_digits_where_log_of_softmax_cannot():
    got = lossutils.log_softmax(np.array([0.0, -100.0]))[0]
    exact = -mpmath.log1p(mpmath.exp(-100))
    assert got != 0.0 and relative_error(got, exact, np.float64) <= 2
    assert np.log(lossutils.softmax(np.array([0.0, -100.0]))[0]) == 0.0  # the naive way


def test_softmax_axis_and_logsumexp_keepdims():
    x = np.arange(12.0).reshape(3, 4)
    np.testing.assert_allclose(lossutils.softmax(x, axis=0).sum(axis=0), np.ones(4))
    np.testing.assert_allclose(lossutils.softmax(x, axis=0), lossutils.softmax(x.T).T)
    assert lossutils.logsumexp(x, axis=0, keepdims=True).shape == (1, 4)
    assert lossutils.logsumexp(x, axis=1).shape == (3,)
    np.testing.assert_allclose(lossutils.logsumexp(x, axis=1), np.log(np.exp(x).sum(axis=1)))


def test_logsumexp_of_all_minus_infinity_is_minus_infinity():
    assert lossutils.logsumexp(np.array([-np.inf, -np.inf])) == -np.inf
    assert lossutils.logsumexp(np.array([-np.inf, 0.0])) == 0.0


@pytest.mark.parametrize(
    "fn", [lossutils.sigmoid, lossutils.log_sigmoid, lossutils.softmax, lossutils.log_softmax]
)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_dtype_is_preserved_and_extremes_stay_finite(fn, dtype):
    out = fn(extremes(dtype))
    assert out.dtype == dtype
    assert np.all(np.isfinite(out))


def test_integer_input_is_computed_in_float64():
    assert lossutils.sigmoid([0, 1]).dtype == np.float64
    np.testing.assert_allclose(lossutils.softmax([[1, 2, 3]]).sum(), 1.0)
    assert lossutils.logsumexp([0, 0]) == pytest.approx(np.log(2))


def test_scalar_in_scalar_out():
    assert np.ndim(lossutils.sigmoid(0.0)) == 0
    assert lossutils.sigmoid(0.0) == 0.5


def test_one_hot():
    np.testing.assert_array_equal(lossutils.one_hot([2, 0], 3), [[0, 0, 1], [1, 0, 0]])
    assert lossutils.one_hot(np.array([[1], [0]]), 2).shape == (2, 1, 2)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: lossutils.sigmoid(["a"]), TypeError, r"real numeric array .* got .*dtype <U1"),
        (lambda: lossutils.sigmoid([1 + 2j]), TypeError, r"got .*complex128"),
        (lambda: lossutils.sigmoid([True]), TypeError, r"got .*bool"),
        (lambda: lossutils.softmax(3.0), ValueError, r"at least one dimension; got a scalar"),
        (lambda: lossutils.softmax(np.zeros((2, 0))), ValueError, r"empty along axis -1"),
        (lambda: lossutils.one_hot([0.0, 1.0], 2), TypeError, r"integer class indices; .*float64"),
        (lambda: lossutils.one_hot([0, 3], 3), ValueError, r"in \[0, 3\).* got 3 at index 1"),
        (lambda: lossutils.one_hot([-1], 3), ValueError, r"got -1 at index 0"),
        (lambda: lossutils.one_hot([0], 0), ValueError, r"at least 1; got 0"),
    ],
)
def test_primitives_refuse_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
