"""The notebook transformations behind the two editions and the student copies.

Fast checks, without a build: what ``tools/editions.py`` makes of every chapter
for the reader's and the student edition, the stand-in registry, the wording
table, and the plain-Markdown rewriting of ``tools/handout.py`` on a small book
index written by hand. The built sites are checked by ``tests/browser``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tools import editions, handout, regions
from tools.fallbacks import FALLBACKS, MissingFallback, fallback_code
from tools.wording import STUDENT_WORDING, WEB_BOOK_ONLY, student_wording

CHAPTERS = sorted(regions.BOOK.glob("*.ipynb"))
GRADED = regions.graded_chapters()


def _notebook(*cells):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python"}
    nb.cells = list(cells)
    return nb


def _solution(grade_id: str, body: str, contract: str = ""):
    source = f"def {grade_id}(x):\n{contract}    ### BEGIN SOLUTION\n{body}    ### END SOLUTION"
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": False, "grade_id": grade_id, "solution": True}
    cell.metadata["tags"] = ["hide-input"]
    return cell


def _test(grade_id: str, visible: str, hidden: str):
    source = f"{visible}\n### BEGIN HIDDEN TESTS\n{hidden}\n### END HIDDEN TESTS\n"
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": f"test_{grade_id}", "points": 1}
    return cell


def _tagged(cell, *tags):
    cell.metadata["tags"] = list(tags)
    return cell


# -- the stand-in registry --------------------------------------------------------------------


def test_every_graded_function_of_the_book_has_a_stand_in():
    missing = [
        f"{path.name}: {regions.nbgrader_meta(cell)['grade_id']}"
        for path in GRADED
        for _, cell in regions.solution_cells(regions.read(path))
        if cell.cell_type == "code" and regions.nbgrader_meta(cell)["grade_id"] not in FALLBACKS
    ]
    assert not missing, "add them to FALLBACKS in tools/fallbacks.py: " + ", ".join(missing)


@pytest.mark.parametrize("grade_id", sorted(FALLBACKS))
def test_each_stand_in_binds_its_name_to_a_function(grade_id):
    namespace: dict = {}
    exec(fallback_code(grade_id, "test"), namespace)
    assert callable(namespace[grade_id])


def test_a_graded_function_without_stand_in_stops_the_build_with_its_name():
    nb = _notebook(_solution("brand_new_loss", "    return x\n"), _test("brand_new_loss", "", ""))
    with pytest.raises(MissingFallback) as caught:
        editions.student_notebook(nb, where="book/08_new.ipynb")
    message = str(caught.value)
    assert "book/08_new.ipynb" in message
    assert "'brand_new_loss'" in message
    assert "tools/fallbacks.py" in message


# -- the student edition ----------------------------------------------------------------------


def test_student_edition_of_a_small_notebook():
    nb = _notebook(
        nbformat.v4.new_markdown_cell(
            "Intro.\n\n:::{admonition} Solution\n:class: dropdown\nThe answer is 42.\n:::\n\nAfter."
        ),
        _solution("square", "    return x * x\n", '    """Return x squared."""\n'),
        _test("square", "assert square(2) == 4", "assert square(3) == 9"),
        nbformat.v4.new_markdown_cell("Uses it:"),
        nbformat.v4.new_code_cell("print(square(5))"),
        _tagged(nbformat.v4.new_code_cell("worked = 1"), "hide-cell", "exercise-solution"),
        _tagged(nbformat.v4.new_markdown_cell("only on the web"), "reader-only"),
        _tagged(nbformat.v4.new_markdown_cell("only for students"), "student-only"),
    )
    FALLBACKS["square"] = "def square(x):\n    return x**2\n"
    try:
        student = editions.student_notebook(nb)
    finally:
        del FALLBACKS["square"]
    sources = [c.source for c in student.cells]
    assert sources[0] == "Intro.\n\n\nAfter."
    assert sources[1] == (
        'def square(x):\n    """Return x squared."""\n'
        "    # YOUR CODE HERE\n    raise NotImplementedError()"
    )
    assert "tags" not in student.cells[1].metadata  # the stub is not hidden
    assert "assert square(2) == 4" in sources[2] and "square(3)" not in sources[2]
    assert "raises-exception" in regions.tags(student.cells[2])
    # the stand-in comes after the test (which must meet the stub) and before the first user
    assert sources[3] == "Uses it:"
    assert regions.tags(student.cells[4]) == ["remove-cell", editions.FALLBACK_TAG]
    assert sources[4].endswith("def square(x):\n    return x**2\n")
    assert sources[5] == "print(square(5))"
    assert sources[6:] == ["only for students"]
    assert all(not c.get("outputs") for c in student.cells if c.cell_type == "code")


def test_reader_edition_of_a_small_notebook():
    nb = _notebook(
        _solution("square", "    return x * x\n"),
        _test("square", "assert square(2) == 4", "assert square(3) == 9"),
        _tagged(nbformat.v4.new_markdown_cell("only on the web"), "reader-only"),
        _tagged(nbformat.v4.new_markdown_cell("only for students"), "student-only"),
    )
    reader = editions.reader_notebook(nb)
    assert reader.cells[0].source == nb.cells[0].source  # the worked solution stays
    assert reader.cells[1].source.strip() == "assert square(2) == 4"
    assert [c.source for c in reader.cells[2:]] == ["only on the web"]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_student_edition_of_each_chapter(path):
    book = regions.read(path)
    student = editions.student_notebook(book, where=path.name)
    text = "\n".join(
        c.source for c in student.cells if editions.FALLBACK_TAG not in regions.tags(c)
    )
    code = "\n".join(c.source for c in student.cells if c.cell_type == "code")
    assert regions.SOLUTION_BEGIN not in code and regions.HIDDEN_BEGIN not in code
    assert not regions.solution_admonitions(text)
    assert not any(regions.is_exercise_solution(c) for c in student.cells)
    assert not WEB_BOOK_ONLY.search(text)
    stubs = [c for c in student.cells if regions.is_solution_cell(c) and c.cell_type == "code"]
    originals = [c for _, c in regions.solution_cells(book) if c.cell_type == "code"]
    assert len(stubs) == len(originals)
    for stub, original in zip(stubs, originals, strict=True):
        assert "raise NotImplementedError()" in stub.source
        # the contract: every line before the solution region is kept
        contract = original.source.split(regions.SOLUTION_BEGIN)[0].rsplit("\n", 1)[0]
        assert stub.source.startswith(contract)
        assert not set(regions.tags(stub)) & {"hide-input", "hide-cell", "remove-input"}


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_reader_edition_of_each_chapter(path):
    book = regions.read(path)
    reader = editions.reader_notebook(book)
    assert not any(
        regions.hidden_test_regions(c.source) for c in reader.cells if c.cell_type == "code"
    )
    solutions = [
        r for c in book.cells if c.cell_type == "code" for r in regions.solution_regions(c.source)
    ]
    kept = [
        r for c in reader.cells if c.cell_type == "code" for r in regions.solution_regions(c.source)
    ]
    assert kept == solutions


def test_prepare_writes_a_buildable_copy(tmp_path):
    dest = editions.prepare("student", tmp_path / "student")
    assert (dest / "_config.yml").read_text().count("(student edition)") == 1
    for name in ("_toc.yml", "book/references.bib", "book/_ext/book_fixes.py"):
        assert (dest / name).is_file(), name
    assert sorted(p.name for p in (dest / "book").glob("*.ipynb")) == [p.name for p in CHAPTERS]


def test_fallback_cells_are_stripped_from_a_built_site(tmp_path):
    nb = _notebook(
        nbformat.v4.new_code_cell("x = 1"),
        _tagged(nbformat.v4.new_code_cell("secret = 2"), "remove-cell", editions.FALLBACK_TAG),
    )
    (tmp_path / "_sources").mkdir()
    nbformat.write(nb, tmp_path / "_sources" / "page.ipynb")
    assert editions.strip_fallback_cells(tmp_path) == 1
    assert [c.source for c in regions.read(tmp_path / "_sources" / "page.ipynb").cells] == ["x = 1"]


# -- wording and solution blocks --------------------------------------------------------------


def test_every_wording_entry_matches_across_line_breaks():
    for reader, student in STUDENT_WORDING.items():
        words = reader.split()
        wrapped = " ".join(words[:5]) + "\n" + "  ".join(words[5:])
        assert student_wording(f"Before. {wrapped} After.") == f"Before. {student} After."


def test_only_solution_admonitions_are_removed():
    text = (
        "A\n```{admonition} Solution to exercise 2\nx\n```\n"
        "B\n::::{admonition} Implementation detail\n:class: dropdown\ny\n::::\nC"
    )
    assert regions.solution_admonitions(text) == [
        "```{admonition} Solution to exercise 2\nx\n```\n"
    ]
    assert regions.remove_solution_admonitions(text).startswith("A\nB\n::::{admonition} Impl")


# -- plain Markdown for the student copies ----------------------------------------------------


@pytest.fixture
def index() -> handout.BookIndex:
    return handout.BookIndex(
        documents={
            "book/01_sigmoid": handout.Document("1", "The sigmoid"),
            "book/03_overflow_underflow": handout.Document("3", "Overflow and underflow"),
        },
        equations={
            "equation-eq-a": ("book/01_sigmoid", "1.6"),
            "equation-eq-b": ("book/03_overflow_underflow", "3.2"),
        },
        figures={"fig-a": ("book/01_sigmoid", "1.2")},
        figure_words={"fig-a": "Fig. 1.2"},
        sections={"sec-a": ("book/01_sigmoid", "Saturation and learning")},
        citations={
            "book/01_sigmoid": [("Blanchard et al., 2021", "P. Blanchard and others. 2021.")]
        },
    )


def test_handout_rewrites_every_kind_of_markup(index):
    h = handout.Handout(index, "book/01_sigmoid")
    h.pair_with_page(["{cite}`blanchard2021`"])
    source = (
        "(sec-a)=\n## Title\n\n$$\nx = 1\n$$ (eq-a)\n\nBy {eq}`eq-a` and {eq}`eq-b`, "
        "{numref}`fig-a`, {numref}`Figure %s <fig-a>`, {ref}`sec-a`, {ref}`here <sec-a>`, "
        "{cite}`blanchard2021`, [chapter 3](03_overflow_underflow.ipynb), "
        "{doc}`03_overflow_underflow`.\n\n:::{note}\n:class: tip\nMind {eq}`eq-a`.\n:::"
    )
    assert h.markdown(source) == (
        "## Title\n\n$$\nx = 1\n\\tag{1.6}\n$$\n\nBy (1.6) and (3.2) (chapter 3, *Overflow "
        "and underflow*), Fig. 1.2, Figure 1.2, Saturation and learning, here, "
        "Blanchard et al. (2021), chapter 3 (*Overflow and underflow*), "
        "Overflow and underflow.\n\n> **Note**\n>\n> Mind (1.6)."
    )
    assert not h.problems
    assert handout.raw_myst(h.markdown(source)) == []
    assert h.references_cell().source == "## References\n\n- P. Blanchard and others. 2021."


def test_handout_numbers_a_math_directive(index):
    h = handout.Handout(index, "book/01_sigmoid")
    text = h.markdown("```{math}\n:label: eq-a\ny = 2\n```\n\n:::{math}\nz = 3\n:::")
    assert text == "$$\ny = 2\n\\tag{1.6}\n$$\n\n$$\nz = 3\n$$"


def test_handout_links_other_chapters_to_the_published_book(index):
    h = handout.Handout(index, "book/01_sigmoid", book_url="https://example.org/xent")
    text = h.markdown("See [Overflow and underflow](03_overflow_underflow.ipynb#sec-x).")
    assert (
        text
        == "See [Overflow and underflow](https://example.org/xent/book/03_overflow_underflow.html#sec-x)."
    )


def test_handout_reports_what_the_built_book_does_not_have(index):
    h = handout.Handout(index, "book/01_sigmoid")
    h.markdown("{eq}`eq-missing` and {numref}`fig-missing`")
    assert len(h.problems) == 2 and "eq-missing" in h.problems[0]


def test_raw_myst_finds_what_a_plain_jupyter_would_show_raw():
    for raw in (
        "{eq}`x`",
        "{numref}`f`",
        "{cite}`k`",
        "(label)=\n",
        "$$ x $$ (eq-x)",
        ":::{note}\n",
    ):
        assert handout.raw_myst(raw), raw
    assert handout.raw_myst("plain $x$ and `code`") == []


# -- JupyterLab ------------------------------------------------------------------------------


def test_jupyterlab_renders_myst():
    jupyter = Path(sys.executable).with_name("jupyter")
    listed = subprocess.run(
        [str(jupyter), "labextension", "list"], capture_output=True, text=True, check=True
    )
    text = re.sub(r"\x1b\[[0-9;]*m", "", listed.stdout + listed.stderr)
    assert re.search(r"jupyterlab-myst v[\d.]+ enabled OK", text), text
    assert "is not compatible" not in text
