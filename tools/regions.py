"""What in a chapter notebook is graded, and the regions that some readers must not see.

The chapters are nbgrader source notebooks. A *solution cell* (nbgrader
``solution: true``) holds the code a student writes between ``### BEGIN
SOLUTION`` and ``### END SOLUTION``; a *test cell* (``grade: true``) checks it,
with part of the checks between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN
TESTS``. Worked solutions of the ordinary exercises are cells tagged
``exercise-solution`` and ``{admonition} Solution ...`` blocks in Markdown.

Everything here is discovered from that metadata, so a new chapter with graded
cells needs no change to the tools (except one entry per graded function in
``tools/fallbacks.py``). The stub that replaces a solution and the removal of
hidden tests are nbgrader's own preprocessors, so the student edition of the
web book shows exactly what ``nbgrader generate_assignment`` hands out.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"

SOLUTION_BEGIN, SOLUTION_END = "BEGIN SOLUTION", "END SOLUTION"
HIDDEN_BEGIN, HIDDEN_END = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
EXERCISE_SOLUTION_TAG = "exercise-solution"

# A MyST admonition whose title starts with "Solution", fenced with colons or backticks:
#   :::{admonition} Solution to exercise 1        ```{admonition} Solution
#   :class: dropdown                              ...
#   ...                                           ```
#   :::
_SOLUTION_ADMONITION = re.compile(
    r"^(?P<fence>:{3,}|`{3,})[ \t]*\{admonition\}[ \t]+Solution\b.*?^(?P=fence)[ \t]*$\n?",
    re.MULTILINE | re.DOTALL,
)


def nbgrader_meta(cell) -> dict:
    """The cell's nbgrader metadata ({} for an ordinary cell)."""
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_solution_cell(cell) -> bool:
    return bool(nbgrader_meta(cell).get("solution"))


def is_test_cell(cell) -> bool:
    """A graded cell that is not itself a solution: a locked test cell."""
    meta = nbgrader_meta(cell)
    return bool(meta.get("grade")) and not meta.get("solution")


def tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def is_exercise_solution(cell) -> bool:
    return EXERCISE_SOLUTION_TAG in tags(cell)


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def graded_chapters(book: Path = BOOK) -> list[Path]:
    """The chapter notebooks that hold at least one graded test cell, in file order."""
    chapters = []
    for path in sorted(book.glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        if any(is_test_cell(c) for c in cells):
            chapters.append(path)
    return chapters


def solution_cells(nb) -> Iterator[tuple[int, dict]]:
    for index, cell in enumerate(nb.cells):
        if is_solution_cell(cell):
            yield index, cell


def _region_lines(source: str, begin: str, end: str) -> list[list[str]]:
    """The lines of every region delimited by lines containing ``begin`` and ``end``."""
    regions, current = [], None
    for line in source.split("\n"):
        if begin in line:
            if current is not None:
                raise ValueError(f"nested {begin!r} in:\n{source}")
            current = [line]
        elif end in line:
            if current is None:
                raise ValueError(f"{end!r} without {begin!r} in:\n{source}")
            current.append(line)
            regions.append(current)
            current = None
        elif current is not None:
            current.append(line)
    if current is not None:
        raise ValueError(f"{begin!r} without {end!r} in:\n{source}")
    return regions


def solution_regions(source: str) -> list[str]:
    """Each ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region, markers included."""
    return ["\n".join(r) for r in _region_lines(source, SOLUTION_BEGIN, SOLUTION_END)]


def hidden_test_regions(source: str) -> list[str]:
    """Each ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` region, markers included."""
    return ["\n".join(r) for r in _region_lines(source, HIDDEN_BEGIN, HIDDEN_END)]


def solution_admonitions(markdown: str) -> list[str]:
    """The ``{admonition} Solution ...`` blocks of a Markdown cell."""
    return [m.group(0) for m in _SOLUTION_ADMONITION.finditer(markdown)]


def remove_solution_admonitions(markdown: str) -> str:
    return _SOLUTION_ADMONITION.sub("", markdown)


def without_hidden_tests(cell) -> dict:
    """A copy of a test cell with its hidden-test regions removed (nbgrader's ClearHiddenTests)."""
    from nbgrader.preprocessors import ClearHiddenTests

    new = copy.deepcopy(cell)
    if is_test_cell(new):
        new, _ = ClearHiddenTests().preprocess_cell(new, {}, 0)
    elif new.get("cell_type") == "code" and hidden_test_regions(new.get("source", "")):
        raise ValueError(
            "hidden tests outside a graded test cell (add nbgrader metadata "
            f"grade: true):\n{new['source']}"
        )
    return new


def stubbed(cell) -> dict:
    """A copy of a solution cell as students get it: nbgrader's ClearSolutions stub.

    The solution region becomes ``# YOUR CODE HERE`` and ``raise
    NotImplementedError()`` at the region's indentation; what lies outside the
    region (the signature, the docstring: the contract) stays.
    """
    from nbgrader.preprocessors import ClearSolutions

    new = copy.deepcopy(cell)
    new, _ = ClearSolutions().preprocess_cell(new, {"language": "python"}, 0)
    return new
