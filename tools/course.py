"""Turn the book's chapters into an nbgrader course, and grade what students hand in.

The chapter notebooks are the nbgrader source: their graded work sits in
solution regions (``### BEGIN SOLUTION`` / ``### END SOLUTION``) in cells that
carry nbgrader metadata, each followed by a locked test cell worth points.

Usage (from the repository root; ``make assignment`` and ``make grade`` call these)::

    python tools/course.py assignment [--course _build/course]
    python tools/course.py grade      [--course _build/course]

``assignment`` writes the course: ``nbgrader_config.py``, ``source/<chapter>/``
(the instructor versions) and, through ``nbgrader generate_assignment``,
``release/<chapter>/`` (the student copies: no solution code, no hidden tests,
no worked exercise solutions). ``grade`` autogrades every submission found in
``submitted/<student>/<chapter>/`` and writes ``grades.csv`` with one row per
student and assignment: student, assignment, score, max score.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
DEFAULT_COURSE = ROOT / "_build" / "course"
COURSE_ID = "cross-entropy-from-scratch"

# nbgrader's own configuration, written into the course directory so that an
# instructor can run any nbgrader command there by hand.
CONFIG = f'''"""nbgrader configuration of the course built from the book (tools/course.py)."""

import os

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file
c.CourseDirectory.course_id = "{COURSE_ID}"
root = os.path.dirname(os.path.abspath(__file__))  # this directory, wherever it is run from
c.CourseDirectory.root = root
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(root, "gradebook.db")
c.ExecutePreprocessor.timeout = 120

# nbgrader 0.9's own steps, in its order, then one more: the worked solutions of the
# end-of-chapter exercises (cells tagged "exercise-solution") are for the web book only.
c.GenerateAssignment.preprocessors = [
    "nbgrader.preprocessors.IncludeHeaderFooter",
    "nbgrader.preprocessors.InstantiateTests",
    "nbgrader.preprocessors.LockCells",
    "nbgrader.preprocessors.ClearSolutions",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.CheckCellMetadata",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.SaveCells",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.ClearMarkScheme",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.CheckCellMetadata",
    "nbconvert.preprocessors.TagRemovePreprocessor",
]
c.TagRemovePreprocessor.remove_cell_tags = ["exercise-solution"]
c.TagRemovePreprocessor.enabled = True
'''


def graded_chapters() -> list[Path]:
    """The chapter notebooks that hold at least one graded (test) cell."""
    chapters = []
    for path in sorted(BOOK.glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        if any(c.get("metadata", {}).get("nbgrader", {}).get("grade") for c in cells):
            chapters.append(path)
    return chapters


def nbgrader(course: Path, *args: str) -> None:
    """Run one nbgrader command in the course directory; stop on failure."""
    command = [sys.executable, "-m", "nbgrader", *args]
    # nbgrader runs alembic (its database migrations) as a command: put this
    # environment's scripts first on PATH even when it is not activated.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(command, cwd=course, capture_output=True, text=True, env=env)
    # nbgrader only logs a broken config file and goes on with its defaults: treat it as fatal.
    if result.returncode != 0 or "Exception while loading config file" in result.stderr:
        raise SystemExit(
            f"nbgrader {' '.join(args)} failed (exit {result.returncode}):\n"
            f"{result.stdout}\n{result.stderr}"
        )


def build_assignments(course: Path = DEFAULT_COURSE) -> list[str]:
    """Write the course directory and generate the student copies; return the assignment names."""
    course.mkdir(parents=True, exist_ok=True)
    (course / "nbgrader_config.py").write_text(CONFIG, encoding="utf-8")
    names = []
    for chapter in graded_chapters():
        name = chapter.stem
        source = course / "source" / name
        if source.exists():
            shutil.rmtree(source)
        source.mkdir(parents=True)
        shutil.copy2(chapter, source / chapter.name)
        nbgrader(course, "generate_assignment", name, "--force")
        names.append(name)
    return names


def grade_submissions(course: Path = DEFAULT_COURSE) -> Path:
    """Autograde every submission under ``submitted/`` and write ``grades.csv``."""
    submitted = course / "submitted"
    pairs = sorted(
        (student.name, assignment.name)
        for student in submitted.glob("*")
        if student.is_dir()
        for assignment in student.glob("*")
        if assignment.is_dir()
    )
    for student, assignment in pairs:
        nbgrader(course, "autograde", assignment, "--student", student, "--force")
    return write_grades(course, pairs)


def write_grades(course: Path, pairs: list[tuple[str, str]]) -> Path:
    """One row per (student, assignment) from the gradebook: score and max score."""
    from nbgrader.api import Gradebook

    out = course / "grades.csv"
    with (
        Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook,
        out.open("w", newline="", encoding="utf-8") as handle,
    ):
        writer = csv.writer(handle)
        writer.writerow(["student", "assignment", "score", "max_score"])
        for student, assignment in pairs:
            submission = gradebook.find_submission(assignment, student)
            writer.writerow(
                [student, assignment, f"{submission.score:g}", f"{submission.max_score:g}"]
            )
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["assignment", "grade"])
    parser.add_argument("--course", type=Path, default=DEFAULT_COURSE)
    args = parser.parse_args(argv)
    course = args.course.resolve()
    if args.command == "assignment":
        names = build_assignments(course)
        print(f"student copies of {len(names)} assignments in {course / 'release'}:")
        for name in names:
            print(f"  release/{name}/")
    else:
        grades = grade_submissions(course)
        print(f"grades written to {grades}")
        print(grades.read_text(encoding="utf-8"), end="")


if __name__ == "__main__":
    main()
