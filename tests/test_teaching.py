"""The helpers of the graded exercises: own-work detection and plain-words messages."""

from __future__ import annotations

import numpy as np
import pytest

import lossutils
from lossutils.teaching import check_close, check_no_warnings, check_own_work


def notebook_function(source: str, **names):
    """Define a function as a notebook cell would: in a namespace called __main__."""
    namespace = {"__name__": "__main__", "np": np, **names}
    exec(source, namespace)
    return next(v for k, v in namespace.items() if callable(v) and k not in names and k != "np")


def test_own_numpy_code_passes():
    own = notebook_function("def stable(x):\n    return 1 / (1 + np.exp(-np.abs(x)))")
    check_own_work(own)


@pytest.mark.parametrize(
    ("source", "names", "message"),
    [
        (
            "def f(x):\n    return lossutils.sigmoid(x)",
            {"lossutils": lossutils},
            r"f uses lossutils from lossutils",
        ),
        (
            "def f(x):\n    return sigmoid(x)",
            {"sigmoid": lossutils.sigmoid},
            r"f uses sigmoid from lossutils.primitives",
        ),
        (
            "def f(x):\n    def inner(v):\n        return softmax(v)\n    return inner(x)",
            {"softmax": lossutils.softmax},
            r"f uses softmax from lossutils",
        ),
    ],
)
def test_calling_the_finished_version_fails(source, names, message):
    with pytest.raises(AssertionError, match=message):
        check_own_work(notebook_function(source, **names))


def test_allowed_names_may_come_from_lossutils():
    own = notebook_function(
        "def bce(z, t):\n    p = sigmoid(z)\n    return -np.mean(t * np.log(p))",
        sigmoid=lossutils.sigmoid,
    )
    check_own_work(own, allow=["sigmoid"])
    with pytest.raises(AssertionError, match=r"bce uses sigmoid"):
        check_own_work(own)


def test_an_imported_function_fails():
    with pytest.raises(AssertionError, match=r"written in this notebook, not imported"):
        check_own_work(lossutils.softmax)
    with pytest.raises(AssertionError, match=r"defined with def"):
        check_own_work(np.exp)


def test_check_close_messages():
    check_close([1.0, 2.0], [1.0, 2.0 + 1e-15], "f(x)")
    with pytest.raises(
        AssertionError, match=r"f\(x\) should have shape \(2,\); got shape \(2, 1\)"
    ):
        check_close(np.zeros((2, 1)), np.zeros(2), "f(x)")
    with pytest.raises(AssertionError, match=r"is nan at index \(1,\)"):
        check_close([0.0, np.nan], [0.0, 1.0], "f(x)")
    with pytest.raises(AssertionError, match=r"wrong at index \(0,\): expected 1, got 1.5"):
        check_close([1.5], [1.0], "f(x)")


def test_check_no_warnings():
    assert check_no_warnings(np.exp, 1.0) == pytest.approx(np.e)
    with pytest.raises(AssertionError, match=r"overflow"):
        check_no_warnings(np.exp, 1000.0)


def test_answers_taken_from_scipy_or_imported_inside_the_function_are_refused():
    scipy_special = pytest.importorskip("scipy.special")
    expit = scipy_special.expit  # a ufunc: it has no __module__ to give it away
    own = notebook_function("def f(x):\n    return expit(x)", expit=expit)
    with pytest.raises(AssertionError, match=r"f uses expit from scipy\.special"):
        check_own_work(own)
    inside = notebook_function(
        "def g(x):\n    from scipy.special import expit\n    return expit(x)"
    )
    with pytest.raises(AssertionError, match=r"g imports scipy\.special inside the function"):
        check_own_work(inside)
    bare = notebook_function("def h(x):\n    import lossutils\n    return lossutils.sigmoid(x)")
    with pytest.raises(AssertionError, match=r"h imports lossutils"):
        check_own_work(bare)
    allowed = notebook_function("def k(x):\n    return np.exp(x) / (1 + np.exp(x))")
    check_own_work(allowed)
