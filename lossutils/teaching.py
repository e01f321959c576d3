"""Checks for the graded exercises: plain-words feedback, and "is this your own code?".

The chapters' graded test cells (nbgrader) call these, so that a student who
runs the tests while working reads what is wrong in a sentence, not a bare
``AssertionError``. :func:`check_own_work` makes sure a function is written in
the notebook and does not simply call the finished versions in ``lossutils``
(or SciPy, or PyTorch): importing the answer earns no points.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable, Iterable

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["check_close", "check_no_warnings", "check_own_work"]

FORBIDDEN_MODULES = ("lossutils", "scipy", "torch", "jax", "tensorflow", "sklearn")


def _referenced_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _referenced_names(const)
    return names


def _module_of(obj) -> str:
    if isinstance(obj, types.ModuleType):
        return obj.__name__
    return getattr(obj, "__module__", None) or ""


def check_own_work(
    function: Callable,
    allow: Iterable[str] = (),
    forbidden: Iterable[str] = FORBIDDEN_MODULES,
) -> None:
    """Raise ``AssertionError`` unless ``function`` is the student's own code.

    It must be a plain function defined in the notebook, and none of the global
    names it uses may come from ``lossutils`` or another library that already
    implements the answer, except the names in ``allow`` (what earlier
    chapters built, such as ``sigmoid`` when the exercise is the loss). NumPy
    is of course allowed.

    Examples
    --------
    >>> import lossutils
    >>> check_own_work(lossutils.sigmoid)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    AssertionError: sigmoid must be written in this notebook, not imported (it comes from ...)
    """
    name = getattr(function, "__name__", repr(function))
    if not isinstance(function, types.FunctionType):
        raise AssertionError(f"{name} must be a function defined with def in this notebook")
    if function.__module__ != "__main__":
        raise AssertionError(
            f"{name} must be written in this notebook, not imported "
            f"(it comes from {function.__module__})"
        )
    forbidden = tuple(forbidden)
    names = _referenced_names(function.__code__) - set(allow)
    for used in sorted(names):
        if "." in used and used.split(".")[0] in forbidden:  # `from scipy.special import ...`
            raise AssertionError(
                f"{name} imports {used} inside the function: write it with NumPy yourself, "
                "that is the exercise"
            )
        if used in forbidden and used not in function.__globals__:  # `import lossutils` inside
            raise AssertionError(
                f"{name} imports {used}: write it with NumPy yourself, that is the exercise"
            )
        obj = function.__globals__.get(used)
        module = _module_of(obj) or _defining_module(obj, forbidden)
        if module.split(".")[0] in forbidden:
            raise AssertionError(
                f"{name} uses {used} from {module}: write it with NumPy yourself, "
                "that is the exercise"
            )


def _defining_module(obj, forbidden: tuple[str, ...]) -> str:
    """The loaded forbidden module that holds ``obj``, for objects that do not say.

    NumPy ufuncs such as ``scipy.special.expit`` have no ``__module__``: look
    them up by identity in every loaded module of a forbidden package.
    """
    if obj is None or isinstance(obj, (int, float, str, bool)):
        return ""
    for module_name, module in list(sys.modules.items()):
        if module is None or module_name.split(".")[0] not in forbidden:
            continue
        if any(value is obj for value in vars(module).values()):
            return module_name
    return ""


def check_close(
    actual: ArrayLike, expected: ArrayLike, what: str, *, rtol: float = 1e-12, atol: float = 0.0
) -> None:
    """Raise ``AssertionError`` with a plain message unless ``actual`` matches ``expected``.

    Shapes must agree exactly (no broadcasting), values must be finite where the
    expected ones are, and agree within ``rtol`` and ``atol``.

    Examples
    --------
    >>> check_close([1.0, 2.0], [1.0, 2.5], "my_function([0, 1])")
    Traceback (most recent call last):
    ...
    AssertionError: my_function([0, 1]) is wrong at index (1,): expected 2.5, got 2
    """
    got = np.asarray(actual)
    want = np.asarray(expected)
    if got.shape != want.shape:
        raise AssertionError(f"{what} should have shape {want.shape}; got shape {got.shape}")
    if got.dtype.kind not in "iuf":
        raise AssertionError(f"{what} should hold real numbers; got dtype {got.dtype}")
    bad_nan = np.isnan(got) & ~np.isnan(want)
    if bad_nan.any():
        index = tuple(int(i) for i in np.argwhere(bad_nan)[0])
        raise AssertionError(f"{what} is nan at index {index}: an overflow or 0/0 somewhere?")
    with np.errstate(invalid="ignore"):
        ok = np.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    if not ok.all():
        index = tuple(int(i) for i in np.argwhere(~ok)[0])
        raise AssertionError(
            f"{what} is wrong at index {index}: expected {float(want[index]):.10g}, "
            f"got {float(got[index]):.10g}"
        )


def check_no_warnings(function: Callable, *args, what: str | None = None):
    """Call ``function(*args)`` with floating-point warnings turned into errors; return its result.

    Examples
    --------
    >>> check_no_warnings(np.exp, 1000.0, what="np.exp(1000.0)")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    AssertionError: np.exp(1000.0) raised a floating-point warning (overflow ...): ...
    """
    what = what or f"{getattr(function, '__name__', 'the function')}{args!r}"
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        try:
            return function(*args)
        except FloatingPointError as error:
            raise AssertionError(
                f"{what} raised a floating-point warning ({error}): "
                "something overflowed or divided 0 by 0"
            ) from None
