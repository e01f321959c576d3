"""The teaching round trip: build the nbgrader course from the book, hand in, autograde.

Proves what ``make assignment``, ``make grade`` and ``make feedback`` promise:

* well-behaved submissions: the instructor version scores full marks, an
  untouched student copy 0 on every graded cell without crashing the grader, a
  copy with every other solution filled in exactly those cells' points and 0
  for the others;
* misbehaving submissions, one student each (``MISBEHAVING``): an infinite loop,
  a syntax error, an edited and a deleted test cell, a notebook that is not valid
  JSON, a missing notebook, a solution that calls ``lossutils`` or SciPy for the
  answer, and one that reads the instructor's solution from the course directory
  and writes outside its folder (what nbgrader does not prevent);
* every other student is graded all the same, ``grades.csv`` has a row for every
  student and assignment with the failure recorded, and the feedback shows the
  score and the message without the hidden tests;
* the student copies hold no solution, hidden test or worked exercise solution,
  and read as plain Markdown with the numbers of the built reader's edition.

The graded chapters and cells are discovered from the notebooks; the misbehaving
submissions name the chapter and grade ids they break, in ``MISBEHAVING`` below.
Each cell may run ``CELL_TIMEOUT`` seconds here (``make grade`` allows 60).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytest.importorskip("nbgrader", reason="nbgrader is part of requirements.txt: run `make test`")

from nbgrader.api import Gradebook

from tools import course, handout, leaks, regions
from tools.wording import WEB_BOOK_ONLY

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENTS = [path.stem for path in course.graded_chapters()]
# Seconds per cell. The slowest cell of the graded chapters takes about 12 s on a quiet 2-core
# machine, and make test grades while the other lane builds and browses the book; each
# infinite loop below costs this long.
CELL_TIMEOUT = 30
# Seconds for the whole grading of one notebook (the slowest, chapter 7, takes ~40 s there).
NOTEBOOK_BUDGET = 300


def cells_by_grade_id(nb) -> dict[str, dict]:
    cells = [c for c in nb["cells"] if regions.nbgrader_meta(c)]
    return {regions.nbgrader_meta(c)["grade_id"]: c for c in cells}


def read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass
class Course:
    """The course directory of the round trip, and ways to make submissions for it."""

    root: Path

    def release(self, assignment: str) -> dict:
        return read(self.root / "release" / assignment / f"{assignment}.ipynb")

    def source(self, assignment: str) -> dict:
        return read(self.root / "source" / assignment / f"{assignment}.ipynb")

    def with_solutions(self, assignment: str, grade_ids=None) -> dict:
        """The student copy with the instructor's solutions filled in (all, or ``grade_ids``)."""
        nb = self.release(assignment)
        solutions = cells_by_grade_id(self.source(assignment))
        for cell in nb["cells"]:
            grade_id = regions.nbgrader_meta(cell).get("grade_id")
            if regions.is_solution_cell(cell) and (grade_ids is None or grade_id in grade_ids):
                cell["source"] = solutions[grade_id]["source"]
        return nb

    def submit(self, student: str, assignment: str, nb: dict | str, name: str = "") -> None:
        folder = self.root / "submitted" / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        text = nb if isinstance(nb, str) else json.dumps(nb, indent=1)
        (folder / (name or f"{assignment}.ipynb")).write_text(text, encoding="utf-8")


def set_source(nb: dict, grade_id: str, source: str) -> dict:
    for cell in nb["cells"]:
        if regions.nbgrader_meta(cell).get("grade_id") == grade_id:
            cell["source"] = source
            return nb
    raise KeyError(grade_id)


# -- the misbehaving submissions ---------------------------------------------------------------


@dataclass
class Case:
    """One misbehaving submission and what grading it must give."""

    assignment: str
    make: Callable[[Course], tuple[dict | str, str]]  # (notebook or raw text, file name)
    zero: tuple[str, ...] = ()  # test cells that must score 0; the others score full marks
    status: str = "graded"  # a piece of the status column
    graded: bool = True
    extra: dict = field(default_factory=dict)


def _loops_forever(c: Course):
    nb = c.with_solutions("01_sigmoid")
    code = "def binary_cross_entropy_grad(logits, targets):\n    while True:\n        pass\n"
    return set_source(nb, "binary_cross_entropy_grad", code), ""


def _ignores_interrupts(c: Course):
    # nbgrader interrupts the cell at the time limit; this loop swallows the interrupt.
    nb = c.with_solutions("01_sigmoid")
    code = (
        "def binary_cross_entropy_grad(logits, targets):\n"
        "    while True:\n"
        "        try:\n"
        "            while True:\n"
        "                pass\n"
        "        except KeyboardInterrupt:\n"
        "            pass\n"
    )
    return set_source(nb, "binary_cross_entropy_grad", code), ""


def _syntax_error(c: Course):
    nb = c.with_solutions("01_sigmoid")
    code = "def binary_cross_entropy(logits, targets):\n    return (logits - targets.sum(\n"
    return set_source(nb, "binary_cross_entropy", code), ""


def _edits_a_test(c: Course):
    # A wrong answer, and a test cell rewritten to pass it: the original test must run.
    nb = c.with_solutions("01_sigmoid")
    wrong = "def binary_cross_entropy(logits, targets):\n    return 0.0\n"
    set_source(nb, "binary_cross_entropy", wrong)
    return set_source(nb, "test_binary_cross_entropy", 'print("all tests passed")\n'), ""


def _deletes_a_test(c: Course):
    # A right answer whose test cell is gone: full marks only if nbgrader restores and runs it.
    nb = c.with_solutions("01_sigmoid")
    nb["cells"] = [
        cell
        for cell in nb["cells"]
        if regions.nbgrader_meta(cell).get("grade_id") != "test_binary_cross_entropy_grad"
    ]
    return nb, ""


def _not_json(c: Course):
    text = json.dumps(c.with_solutions("01_sigmoid"), indent=1)
    return text[: len(text) // 2], ""  # a notebook cut in the middle, as an interrupted upload


def _misnamed(c: Course):
    return c.with_solutions("01_sigmoid"), "01_sigmoid-Copy1.ipynb"


LOSSUTILS_ANSWER = (
    "def binary_cross_entropy(logits, targets):\n"
    "    return SigmoidCrossEntropy().forward(logits, targets)\n"
)
LOSSUTILS_MESSAGE = (
    "binary_cross_entropy uses SigmoidCrossEntropy from lossutils.sigmoid_ce: "
    "write it with NumPy yourself, that is the exercise"
)


def _uses_lossutils(c: Course):
    return set_source(c.with_solutions("01_sigmoid"), "binary_cross_entropy", LOSSUTILS_ANSWER), ""


SCIPY_ANSWER = (
    "from scipy.special import softmax as scipy_softmax\n\n\n"
    "def stable_softmax(logits):\n"
    "    return scipy_softmax(logits, axis=-1)\n"
)
SCIPY_MESSAGE = "stable_softmax uses scipy_softmax from scipy.special"


def _uses_scipy(c: Course):
    nb = c.with_solutions("03_overflow_underflow")
    return set_source(nb, "stable_softmax", SCIPY_ANSWER), ""


# What nbgrader does not prevent: the kernel runs with the grader's rights, in
# autograded/<student>/<assignment>/, three levels below the course directory.
SNEAKY_ANSWER = """\
import json
import pathlib

course_dir = pathlib.Path.cwd().parents[2]
(course_dir / "written_by_a_submission.txt").write_text("outside its folder")
source = course_dir / "source" / "01_sigmoid" / "01_sigmoid.ipynb"
for cell in json.loads(source.read_text())["cells"]:
    if cell["metadata"].get("nbgrader", {}).get("grade_id") == "binary_cross_entropy":
        exec("".join(cell["source"]))
"""


def _sneaky(c: Course):
    nb = c.with_solutions("01_sigmoid", grade_ids=["binary_cross_entropy_grad"])
    return set_source(nb, "binary_cross_entropy", SNEAKY_ANSWER), ""


MISBEHAVING = {
    "loops_forever": Case(
        "01_sigmoid", _loops_forever, zero=("test_binary_cross_entropy_grad",), status="interrupted"
    ),
    "ignores_interrupts": Case(
        "01_sigmoid",
        _ignores_interrupts,
        graded=False,
        # nbgrader gives up on the notebook (its kernel does not answer) and says why.
        status="not graded: nbgrader could not grade it: CellTimeoutError: ",
    ),
    "syntax_error": Case("01_sigmoid", _syntax_error, zero=("test_binary_cross_entropy",)),
    "edits_a_test": Case(
        "01_sigmoid",
        _edits_a_test,
        zero=("test_binary_cross_entropy",),
        status="test cell test_binary_cross_entropy edited by the student (the original was run)",
    ),
    "deletes_a_test": Case(
        "01_sigmoid",
        _deletes_a_test,
        status="test cell test_binary_cross_entropy_grad deleted by the student (restored and run)",
    ),
    "not_json": Case(
        "01_sigmoid",
        _not_json,
        graded=False,
        status="not graded: submitted/not_json/01_sigmoid/01_sigmoid.ipynb is not valid JSON",
    ),
    "misnamed": Case(
        "01_sigmoid",
        _misnamed,
        graded=False,
        status="not graded: submitted/misnamed/01_sigmoid/01_sigmoid.ipynb is missing "
        "(found: 01_sigmoid-Copy1.ipynb)",
    ),
    "uses_lossutils": Case(
        "01_sigmoid",
        _uses_lossutils,
        zero=("test_binary_cross_entropy",),
        extra={"message": LOSSUTILS_MESSAGE},
    ),
    "uses_scipy": Case(
        "03_overflow_underflow",
        _uses_scipy,
        zero=("test_stable_softmax",),
        extra={"message": SCIPY_MESSAGE},
    ),
    "sneaky": Case("01_sigmoid", _sneaky),  # full marks: see test_nbgrader_does_not_sandbox
}


@dataclass
class RoundTrip:
    course: Course
    points: dict[str, dict[str, float]]  # assignment -> solution grade id -> points
    grades_csv: Path
    rows: list
    messages: str  # what grading printed on stderr
    seconds: float


@pytest.fixture(scope="module")
def trip(tmp_path_factory) -> RoundTrip:
    """Build the course, hand in every kind of copy, autograde them all, once."""
    start = time.monotonic()
    c = Course(tmp_path_factory.mktemp("course"))
    assert course.build_assignments(c.root) == ASSIGNMENTS
    points = {}
    for name in ASSIGNMENTS:
        c.submit("instructor", name, c.source(name))
        c.submit("blank", name, c.release(name))
        cells = cells_by_grade_id(c.source(name))
        points[name] = {
            gid: cells[f"test_{gid}"]["metadata"]["nbgrader"]["points"]
            for gid, cell in cells.items()
            if regions.is_solution_cell(cell)
        }
        c.submit("every_other", name, c.with_solutions(name, grade_ids=every_other(points[name])))
    for student, case in MISBEHAVING.items():
        nb, file_name = case.make(c)
        c.submit(student, case.assignment, nb, file_name)
    messages = io.StringIO()
    with contextlib.redirect_stderr(messages):
        grades_csv, rows = course.grade_submissions(
            c.root, cell_timeout=CELL_TIMEOUT, budget=NOTEBOOK_BUDGET
        )
    seconds = time.monotonic() - start
    # Kept for whoever wants to look at a real grades.csv and at the time the trip took.
    shutil.copy(grades_csv, ROOT / "_build" / "round-trip-grades.csv")
    (ROOT / "_build" / "round-trip-time.txt").write_text(f"{seconds:.0f} s\n")
    return RoundTrip(c, points, grades_csv, rows, messages.getvalue(), seconds)


@pytest.fixture(scope="module")
def gradebook(trip):
    with Gradebook(f"sqlite:///{trip.course.root / 'gradebook.db'}") as gb:
        yield gb


@pytest.fixture(scope="module")
def grades(trip) -> dict[tuple[str, str], dict[str, str]]:
    with trip.grades_csv.open(encoding="utf-8") as handle:
        return {(r["student"], r["assignment"]): r for r in csv.DictReader(handle)}


# -- the student copies -----------------------------------------------------------------------


def test_student_copies_hold_no_solutions_and_no_hidden_tests(trip):
    for name in ASSIGNMENTS:
        text = (trip.course.root / "release" / name / f"{name}.ipynb").read_text("utf-8")
        for secret in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "exercise-solution"):
            assert secret not in text, f"release/{name} still contains {secret!r}"
        assert text.count("raise NotImplementedError()") == len(trip.points[name])
    secrets = leaks.book_secrets(kinds=("solution", "hidden test", "exercise solution"))
    found, read_files = leaks.find_leaks(trip.course.root / "release", secrets)
    assert read_files == len(ASSIGNMENTS)
    assert not found, "\n".join(str(leak) for leak in found[:20])


def test_student_copies_read_as_plain_markdown(trip):
    for name in ASSIGNMENTS:
        nb = trip.course.release(name)
        for cell in nb["cells"]:
            if cell["cell_type"] == "markdown":
                text = "".join(cell["source"])
                assert not handout.raw_myst(text), (name, handout.raw_myst(text), text[:300])
                assert not WEB_BOOK_ONLY.search(text), (name, text[:300])


def _first_equation_reference(chapter: Path) -> str:
    for cell in regions.read(chapter).cells:
        if cell.cell_type == "markdown":
            match = re.search(r"\{eq\}`([^`<>]+)`", cell.source)
            if match:
                return match[1]
    raise AssertionError(f"no {{eq}} reference in {chapter}")


def test_an_equation_reference_has_the_number_the_web_book_shows(trip):
    name = ASSIGNMENTS[0]
    label = _first_equation_reference(ROOT / "book" / f"{name}.ipynb")
    page = (ROOT / "_build" / "html" / "book" / f"{name}.html").read_text(encoding="utf-8")
    # Read straight from the page's HTML, independently of tools/handout.py.
    number = re.search(
        rf'id="equation-{re.escape(label)}".*?<span class="eqno">\(([\d.]+)\)', page, re.DOTALL
    )[1]
    text = json.dumps(trip.course.release(name))
    assert f"\\\\tag{{{number}}}" in text  # the equation itself, JSON-escaped
    assert f"({number})" in text.replace(f"\\\\tag{{{number}}}", "")  # and a reference to it
    figure = re.search(r'<span class="caption-number">(Fig\. [\d.]+) </span>', page)
    if figure:
        assert f"**{figure[1]}.**" in text  # the caption under the figure's cell


# -- well-behaved submissions -----------------------------------------------------------------


def test_there_are_at_least_six_graded_cells_with_a_sensible_total(trip):
    assert len(ASSIGNMENTS) >= 4
    points = [p for per_assignment in trip.points.values() for p in per_assignment.values()]
    assert len(points) >= 6
    assert 15 <= sum(points) <= 60


def test_instructor_version_scores_full_marks(gradebook):
    for name in ASSIGNMENTS:
        submission = gradebook.find_submission(name, "instructor")
        assert submission.max_score > 0
        assert submission.score == submission.max_score, name


def test_untouched_copy_scores_zero_on_every_graded_cell(trip, gradebook):
    for name in ASSIGNMENTS:
        for gid in trip.points[name]:
            assert gradebook.find_grade(f"test_{gid}", name, name, "blank").score == 0, gid


def every_other(points: dict[str, float]) -> list[str]:
    """The first, third, fifth... graded function of a chapter, in the chapter's order."""
    return list(points)[::2]


def test_filled_solutions_score_exactly_their_points_and_the_others_zero(trip, gradebook):
    # One copy per chapter with every other solution filled in: each graded cell is scored
    # on its own, so a filled cell gets its points and its unfilled neighbours get 0.
    for name in ASSIGNMENTS:
        filled = every_other(trip.points[name])
        for gid, points in trip.points[name].items():
            grade = gradebook.find_grade(f"test_{gid}", name, name, "every_other")
            assert grade.score == (points if gid in filled else 0), (name, gid, grade.score)
        submission = gradebook.find_submission(name, "every_other")
        assert submission.score == sum(trip.points[name][gid] for gid in filled), name


# -- misbehaving submissions ------------------------------------------------------------------


@pytest.mark.parametrize("student", sorted(MISBEHAVING))
def test_misbehaving_submission_is_graded_as_described(student, trip, gradebook, grades):
    case = MISBEHAVING[student]
    row = grades[(student, case.assignment)]
    assert case.status in row["status"], row
    if not case.graded:
        assert row["score"] == ""
        assert row["max_score"] == f"{sum(trip.points[case.assignment].values()):g}"
        # The terminal says it too, with the student's name and the reason.
        assert f"{student}, {case.assignment}: NOT GRADED: {case.status[12:]}" in trip.messages
        return
    expected = 0.0
    for gid, points in trip.points[case.assignment].items():
        grade = gradebook.find_grade(f"test_{gid}", case.assignment, case.assignment, student)
        want = 0 if f"test_{gid}" in case.zero else points
        assert grade.score == want, (gid, grade.score, want)
        expected += want
    assert row["score"] == f"{expected:g}"
    if "message" in case.extra:
        autograded = trip.course.root / "autograded" / student / case.assignment
        assert case.extra["message"] in (autograded / f"{case.assignment}.ipynb").read_text()


def test_every_other_student_is_graded(trip, grades):
    students = {"instructor", "blank", "every_other"}
    for student in students:
        for name in ASSIGNMENTS:
            row = grades[(student, name)]
            submitted = (trip.course.root / "submitted" / student / name).is_dir()
            assert row["status"].startswith("graded" if submitted else "not graded"), row


def test_grades_csv_has_a_row_per_student_and_assignment(trip, grades):
    students = {p.name for p in (trip.course.root / "submitted").iterdir()}
    assert set(grades) == {(s, a) for s in students for a in ASSIGNMENTS}
    first = next(iter(grades.values()))
    assert list(first) == course.GRADES_COLUMNS
    for name in ASSIGNMENTS:
        total = sum(trip.points[name].values())
        assert grades[("instructor", name)]["score"] == f"{total:g}"
        assert grades[("blank", name)]["score"] == "0"
        assert grades[("blank", name)]["max_score"] == f"{total:g}"
    assert grades[("blank", ASSIGNMENTS[0])]["status"] == "graded"


def test_the_teaching_page_shows_rows_of_a_real_grades_csv(trip):
    page = regions.read(ROOT / "book" / "teaching.ipynb")
    text = "\n".join(c.source for c in page.cells if c.cell_type == "markdown")
    excerpt = re.search(r"```text\n(student,assignment,score,max_score,status\n.*?)```", text, re.S)

    # Where a broken notebook stops being JSON depends on the chapter's length: compare the
    # rows with the line and column of the JSON error left out.
    def rows(text: str) -> list[str]:
        return [re.sub(r"line \d+, column \d+", "line L, column C", r) for r in text.splitlines()]

    lines = rows(excerpt[1].strip())
    real = rows(trip.grades_csv.read_text(encoding="utf-8"))
    assert len(lines) > 5
    assert [line for line in lines if line not in real] == []


def test_nbgrader_does_not_sandbox_submissions(trip, gradebook):
    # What the teaching page warns about: a submission can write outside its folder and
    # read the instructor's solution from source/, and nbgrader gives it full marks.
    assert (trip.course.root / "written_by_a_submission.txt").read_text() == "outside its folder"
    submission = gradebook.find_submission("01_sigmoid", "sneaky")
    assert submission.score == submission.max_score


# -- feedback ---------------------------------------------------------------------------------


def test_feedback_shows_the_score_and_the_message_without_hidden_tests(trip, gradebook):
    written = course.generate_feedback(trip.course.root)
    graded = [r for r in trip.rows if not r.problems]
    assert len(written) == len(graded)
    page = trip.course.root / "feedback" / "uses_lossutils" / "01_sigmoid" / "01_sigmoid.html"
    assert page in written
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8")))
    score = gradebook.find_submission("01_sigmoid", "uses_lossutils")
    assert f"(Score: {score.score:.1f} / {score.max_score:.1f})" in text
    grade = gradebook.find_grade(
        "test_binary_cross_entropy", "01_sigmoid", "01_sigmoid", "uses_lossutils"
    )
    assert f"Grade cell: test_binary_cross_entropy Score: {grade.score:.1f} / " in text
    assert "AssertionError" in text
    assert LOSSUTILS_MESSAGE in text
    hidden = leaks.book_secrets(kinds=("hidden test",))
    found, _ = leaks.find_leaks(page.parent, hidden)
    assert not found, "\n".join(str(leak) for leak in found)


# -- students ---------------------------------------------------------------------------------


def test_students_can_validate_their_copy(trip):
    name = ASSIGNMENTS[0]

    def validate(notebook: Path) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "nbgrader", "validate", str(notebook)],
            cwd=trip.course.root,
            capture_output=True,
            text=True,
        )
        return result.stdout + result.stderr

    done = validate(trip.course.root / "submitted" / "instructor" / name / f"{name}.ipynb")
    assert "Success! Your notebook passes all the tests." in done
    blank = validate(trip.course.root / "release" / name / f"{name}.ipynb")
    assert "NotImplementedError" in blank
