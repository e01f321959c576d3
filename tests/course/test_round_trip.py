"""The teaching round trip: build the nbgrader course from the book, hand in, autograde.

Proves what issue 4 asks of `make assignment` and `make grade`: the instructor
version (the chapters themselves) scores full marks; an untouched student copy
scores 0 on every graded cell without crashing the grader; a copy with exactly
one solution filled in scores exactly that cell's points; the student copies
hold no solution code, no hidden tests and no worked exercise solutions; and
grades.csv has one row per student and assignment.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("nbgrader", reason="nbgrader is part of requirements.txt: run `make test`")

from nbgrader.api import Gradebook

from tools import course

ASSIGNMENTS = [
    "01_sigmoid",
    "02_softmax",
    "03_overflow_underflow",
    "04_softmax_ce_derivative",
    "06_losses_at_work",
    "07_softmax_family",
]


def cells_by_grade_id(notebook: Path) -> dict[str, dict]:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return {c["metadata"]["nbgrader"]["grade_id"]: c for c in cells if "nbgrader" in c["metadata"]}


def fill_one_solution(release: Path, source: Path, grade_id: str, out: Path) -> None:
    """The student copy with exactly one solution cell replaced by the instructor's."""
    nb = json.loads(release.read_text(encoding="utf-8"))
    solution = cells_by_grade_id(source)[grade_id]
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == grade_id:
            cell["source"] = solution["source"]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(nb, indent=1), encoding="utf-8")


def submit(course_dir: Path, student: str, assignment: str, notebook: Path) -> None:
    target = course_dir / "submitted" / student / assignment
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(notebook, target / f"{assignment}.ipynb")


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory):
    """Build the course, hand in every kind of copy, autograde them all, once."""
    course_dir = tmp_path_factory.mktemp("course")
    assert course.build_assignments(course_dir) == ASSIGNMENTS
    solutions = {}
    for name in ASSIGNMENTS:
        source = course_dir / "source" / name / f"{name}.ipynb"
        release = course_dir / "release" / name / f"{name}.ipynb"
        submit(course_dir, "instructor", name, source)
        submit(course_dir, "blank", name, release)
        cells = cells_by_grade_id(source)
        solutions[name] = {
            gid: cells[f"test_{gid}"]["metadata"]["nbgrader"]["points"]
            for gid, c in cells.items()
            if c["metadata"]["nbgrader"]["solution"]
        }
        for gid in solutions[name]:
            copy = course_dir / "scratch" / f"{name}-{gid}.ipynb"
            fill_one_solution(release, source, gid, copy)
            submit(course_dir, f"only_{gid}", name, copy)
    grades_csv = course.grade_submissions(course_dir)
    return course_dir, solutions, grades_csv


def test_student_copies_hold_no_solutions_and_no_hidden_tests(graded_course):
    course_dir, solutions, _ = graded_course
    for name in ASSIGNMENTS:
        text = (course_dir / "release" / name / f"{name}.ipynb").read_text(encoding="utf-8")
        for secret in (
            "BEGIN SOLUTION",
            "BEGIN HIDDEN TESTS",
            "exercise-solution",
            "{admonition} Solution",
        ):
            assert secret not in text, f"release/{name} still contains {secret!r}"
        assert text.count("raise NotImplementedError()") == len(solutions[name])


def test_there_are_at_least_six_graded_cells_with_a_sensible_total(graded_course):
    _, solutions, _ = graded_course
    points = [p for per_assignment in solutions.values() for p in per_assignment.values()]
    assert len(points) >= 6
    assert 15 <= sum(points) <= 40


def test_instructor_version_scores_full_marks(graded_course):
    course_dir, _, _ = graded_course
    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}") as gradebook:
        for name in ASSIGNMENTS:
            submission = gradebook.find_submission(name, "instructor")
            assert submission.max_score > 0
            assert submission.score == submission.max_score, name


def test_untouched_copy_scores_zero_on_every_graded_cell(graded_course):
    course_dir, solutions, _ = graded_course
    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}") as gradebook:
        for name in ASSIGNMENTS:
            for gid in solutions[name]:
                grade = gradebook.find_grade(f"test_{gid}", name, name, "blank")
                assert grade.score == 0, (name, gid)


def test_one_filled_solution_scores_exactly_its_points(graded_course):
    course_dir, solutions, _ = graded_course
    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}") as gradebook:
        for name in ASSIGNMENTS:
            for gid, points in solutions[name].items():
                submission = gradebook.find_submission(name, f"only_{gid}")
                assert submission.score == points, (name, gid, submission.score, points)


def test_grades_csv_has_a_row_per_student_and_assignment(graded_course):
    _, solutions, grades_csv = graded_course
    with grades_csv.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert set(rows[0]) == {"student", "assignment", "score", "max_score"}
    by_key = {(r["student"], r["assignment"]): r for r in rows}
    for name in ASSIGNMENTS:
        total = sum(solutions[name].values())
        assert by_key[("instructor", name)]["score"] == f"{total:g}"
        assert by_key[("blank", name)]["score"] == "0"
        assert by_key[("blank", name)]["max_score"] == f"{total:g}"


def test_students_can_validate_their_copy(graded_course):
    course_dir, _, _ = graded_course
    name = ASSIGNMENTS[0]

    def validate(notebook: Path) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "nbgrader", "validate", str(notebook)],
            cwd=course_dir,
            capture_output=True,
            text=True,
        )
        return result.stdout + result.stderr

    done = validate(course_dir / "submitted" / "instructor" / name / f"{name}.ipynb")
    assert "Success! Your notebook passes all the tests." in done
    blank = validate(course_dir / "release" / name / f"{name}.ipynb")
    assert "NotImplementedError" in blank
