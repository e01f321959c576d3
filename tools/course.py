"""Turn the book's chapters into an nbgrader course, and grade what students hand in.

The chapter notebooks are the nbgrader source: their graded work sits in
solution regions (``### BEGIN SOLUTION`` / ``### END SOLUTION``) in cells that
carry nbgrader metadata, each followed by a locked test cell worth points.

Usage (from the repository root; ``make assignment``, ``make grade`` and
``make feedback`` call these)::

    python tools/course.py assignment [--course _build/course] [--book-url URL]
    python tools/course.py grade      [--course _build/course] [--cell-timeout 60]
    python tools/course.py feedback   [--course _build/course]

``assignment`` writes the course: ``nbgrader_config.py``, ``source/<chapter>/``
and, through ``nbgrader generate_assignment``, ``release/<chapter>/`` (the
student copies: no solution code, no hidden tests, no worked exercise
solutions, the book's MyST markup rewritten as plain Markdown with the numbers
of the built reader's edition: ``tools/handout.py``).

``grade`` autogrades every submission in ``submitted/<student>/<chapter>/`` and
writes ``grades.csv``: student, assignment, score, max score,
status. A submission that cannot be graded (a notebook missing or not valid
JSON, nbgrader failing) is reported by name and recorded in ``status``; the
others are graded all the same. Each cell may run ``--cell-timeout`` seconds
(then it is interrupted and its test scores 0). Test cells that a student
edited or deleted are restored by nbgrader before it runs them; ``status``
says which.

``feedback`` writes nbgrader's HTML report for every graded submission to
``feedback/<student>/<chapter>/<chapter>.html``, without the hidden tests.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import yaml

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools import handout, regions
from tools.wording import READER_ONLY_TAG, STUDENT_ONLY_TAG, student_wording

ROOT = regions.ROOT
BOOK = regions.BOOK
DEFAULT_COURSE = ROOT / "_build" / "course"
COURSE_ID = "cross-entropy-from-scratch"
# Seconds one cell may run while grading: the slowest cell of the graded chapters takes
# about 12 s on a 2-core machine, so a minute leaves room for slow machines and catches
# infinite loops.
CELL_TIMEOUT = 60
# The whole autograde of one notebook may take this many cell limits per code cell, plus two
# minutes; past it the grader is killed (a kernel that ignores interrupts), and the row says so.
PER_CELL_BUDGET_FACTOR = 2
GRADES_COLUMNS = ["student", "assignment", "score", "max_score", "status"]

# nbgrader's own configuration, written into the course directory so that an
# instructor can run any nbgrader command there by hand.
CONFIG = f'''"""nbgrader configuration of the course built from the book (tools/course.py)."""

import os

from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file
c.CourseDirectory.course_id = "{COURSE_ID}"
root = os.path.dirname(os.path.abspath(__file__))  # this directory, wherever it is run from
c.CourseDirectory.root = root
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(root, "gradebook.db")

# A cell that runs longer than this many seconds is interrupted and its test scores 0
# (tools/course.py grade --cell-timeout overrides it).
c.Execute.timeout = {CELL_TIMEOUT}
# A test cell the student deleted is put back (from the gradebook) and run.
c.OverwriteCells.add_missing_cells = True

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


class HideHiddenTests(NbGraderPreprocessor):
    """Feedback without the hidden tests (nbgrader 0.9 shows them: its issues 917, 1363).

    The hidden regions are cut from the test cells, and an error in a test cell is
    reduced to its last line, the message: a traceback quotes the lines it ran through.
    """

    def preprocess_cell(self, cell, resources, index):
        meta = cell.metadata.get("nbgrader", {{}})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            cell, resources = ClearHiddenTests().preprocess_cell(cell, resources, index)
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error" and output.get("traceback"):
                    output["traceback"] = output["traceback"][-1:]
        return cell, resources


c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    HideHiddenTests,
]
'''


def graded_chapters() -> list[Path]:
    """The chapter notebooks that hold at least one graded (test) cell."""
    return regions.graded_chapters(BOOK)


def _environment() -> dict[str, str]:
    # nbgrader runs alembic (its database migrations) as a command: put this
    # environment's scripts first on PATH even when it is not activated.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return {**os.environ, "PATH": path}


@dataclass
class Run:
    returncode: int
    output: str
    stopped: str | None = None  # the student whose grading ran over its budget, if any


# nbgrader logs this line as it starts running one submission.
_AUTOGRADING = re.compile(r"Autograding .*[/\\]autograded[/\\]([^/\\]+)[/\\]")


def run_watched(command: list[str], cwd: Path, budget: float | None = None) -> Run:
    """Run a command; kill it if one submission takes longer than ``budget`` seconds.

    The clock restarts at every "Autograding .../autograded/<student>/..." line, so that
    one run can grade many submissions and still stop at the first one that hangs in a
    way nbgrader does not catch itself. The command gets its own process group
    and the kill reaches all of it; a kernel notices its parent is gone and exits.
    """
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    current = {"student": None, "since": time.monotonic()}

    def read() -> None:
        for line in process.stdout:
            lines.append(line)
            match = _AUTOGRADING.search(line)
            if match:
                current["student"], current["since"] = match[1], time.monotonic()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    stopped = None
    while True:
        try:
            process.wait(timeout=0.5)
            break
        except subprocess.TimeoutExpired:
            if budget is not None and time.monotonic() - current["since"] > budget:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                stopped = current["student"] or "?"
                break
    reader.join(timeout=10)
    process.stdout.close()
    return Run(process.returncode, "".join(lines), stopped)


def run_nbgrader(course: Path, *args: str, budget: float | None = None) -> Run:
    """Run one nbgrader command in the course directory (see ``run_watched``)."""
    result = run_watched([sys.executable, "-m", "nbgrader", *args], course, budget)
    # nbgrader only logs a broken config file and goes on with its defaults: treat it as fatal.
    if "Exception while loading config file" in result.output and not result.returncode:
        result.returncode = 1
    return result


def nbgrader(course: Path, *args: str) -> None:
    """Run one nbgrader command in the course directory; stop on failure."""
    result = run_nbgrader(course, *args)
    if result.returncode != 0:
        raise SystemExit(
            f"nbgrader {' '.join(args)} failed (exit {result.returncode}):\n{result.output}"
        )


def book_url_from_config() -> str | None:
    """The published book's address: ``html.baseurl`` in ``_config.yml``, if set."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    return ((config.get("html") or {}).get("baseurl") or "").strip() or None


def student_source(chapter: Path, index: handout.BookIndex, book_url: str | None):
    """The chapter as nbgrader's source for the students' copies.

    Solutions and hidden tests stay (nbgrader removes them from the copies and keeps
    them in its gradebook); the Markdown reads right without Jupyter Book, in the
    students' wording, without worked exercise solutions.
    """
    nb = regions.read(chapter)
    reader = nbformat.from_dict(nb)
    reader.cells = [c for c in nb.cells if STUDENT_ONLY_TAG not in regions.tags(c)]
    student = nbformat.from_dict(nb)
    student.cells = []
    for cell in nb.cells:
        cell_tags = regions.tags(cell)
        if READER_ONLY_TAG in cell_tags or regions.EXERCISE_SOLUTION_TAG in cell_tags:
            continue
        cell = nbformat.from_dict(cell)
        if cell.cell_type == "markdown":
            cell.source = student_wording(regions.remove_solution_admonitions(cell.source))
        if regions.is_solution_cell(cell):  # the blank must show, wherever it is opened
            kept = [t for t in regions.tags(cell) if not t.startswith(("hide-", "remove-"))]
            cell.metadata["tags"] = kept
            if not kept:
                del cell.metadata["tags"]
        student.cells.append(cell)
    doc = f"book/{chapter.stem}"
    return handout.plain_notebook(reader, doc, index, book_url, student_nb=student)


def build_assignments(
    course: Path = DEFAULT_COURSE,
    site: Path = handout.READER_SITE,
    book_url: str | None = None,
) -> list[str]:
    """Write the course directory and generate the student copies; return the assignment names."""
    index = handout.BookIndex.from_site(site)
    book_url = book_url or book_url_from_config()
    course.mkdir(parents=True, exist_ok=True)
    (course / "nbgrader_config.py").write_text(CONFIG, encoding="utf-8")
    names = []
    for chapter in graded_chapters():
        name = chapter.stem
        source = course / "source" / name
        if source.exists():
            shutil.rmtree(source)
        source.mkdir(parents=True)
        nbformat.write(student_source(chapter, index, book_url), source / chapter.name)
        nbgrader(course, "generate_assignment", name, "--force")
        names.append(name)
    return names


# -- grading ----------------------------------------------------------------------------------


@dataclass
class Row:
    student: str
    assignment: str
    score: str = ""
    max_score: str = ""
    problems: list[str] = field(default_factory=list)  # why it was not graded
    notes: list[str] = field(default_factory=list)  # graded, but worth knowing

    @property
    def status(self) -> str:
        if self.problems:
            return "not graded: " + "; ".join(self.problems)
        return "; ".join(["graded", *self.notes])

    def as_dict(self) -> dict[str, str]:
        return {
            "student": self.student,
            "assignment": self.assignment,
            "score": self.score,
            "max_score": self.max_score,
            "status": self.status,
        }


def _release_notebooks(course: Path, assignment: str) -> list[Path]:
    return sorted((course / "release" / assignment).glob("*.ipynb"))


def _read_submission(path: Path, shown: str) -> tuple[nbformat.NotebookNode | None, str | None]:
    """The submitted notebook, or why it cannot be graded."""
    try:
        content = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        return None, f"{shown} is not text (not UTF-8)"
    except json.JSONDecodeError as error:
        return None, f"{shown} is not valid JSON (line {error.lineno}, column {error.colno})"
    try:
        nb = nbformat.reads(json.dumps(content), as_version=4)
        nbformat.validate(nb)
    except nbformat.ValidationError as error:
        return None, f"{shown} is not a valid notebook ({error.message})"
    except Exception as error:  # nbformat's own errors: an old or unknown format
        return None, f"{shown} is not a notebook nbgrader can read ({type(error).__name__})"
    return nb, None


def _test_cell_changes(submitted, released) -> list[str]:
    """Which locked test cells the student edited or deleted (nbgrader's checksums)."""
    from nbgrader.utils import compute_checksum

    ours = {
        regions.nbgrader_meta(c)["grade_id"]: c for c in submitted.cells if regions.nbgrader_meta(c)
    }
    notes = []
    for cell in released.cells:
        if not regions.is_test_cell(cell):
            continue
        grade_id = regions.nbgrader_meta(cell)["grade_id"]
        theirs = ours.get(grade_id)
        if theirs is None:
            notes.append(f"test cell {grade_id} deleted by the student (restored and run)")
        elif compute_checksum(theirs) != compute_checksum(cell):
            notes.append(f"test cell {grade_id} edited by the student (the original was run)")
    return notes


def check_submission(course: Path, student: str, assignment: str) -> Row:
    """What can be known about one submission before grading it."""
    row = Row(student, assignment)
    folder = course / "submitted" / student / assignment
    if not folder.is_dir():
        row.problems.append("nothing submitted")
        return row
    found = sorted(p.name for p in folder.glob("*.ipynb"))
    for released in _release_notebooks(course, assignment):
        shown = f"submitted/{student}/{assignment}/{released.name}"
        path = folder / released.name
        if not path.is_file():
            row.problems.append(f"{shown} is missing (found: {', '.join(found) or 'no notebook'})")
            continue
        nb, problem = _read_submission(path, shown)
        if problem:
            row.problems.append(problem)
            continue
        row.notes.extend(_test_cell_changes(nb, regions.read(released)))
    return row


def _cell_count(course: Path, assignment: str) -> int:
    return sum(
        sum(c.cell_type == "code" for c in regions.read(p).cells)
        for p in _release_notebooks(course, assignment)
    )


def _budget(course: Path, assignment: str, cell_timeout: int) -> int:
    """Seconds the autograde of one submission may take before it is killed."""
    return PER_CELL_BUDGET_FACTOR * cell_timeout * _cell_count(course, assignment) + 120


def _graded_since(course: Path, row: Row, start: float) -> bool:
    """Whether nbgrader wrote every autograded notebook of ``row`` after ``start``.

    nbgrader deletes the autograded folder of a submission it failed to grade.
    """
    folder = course / "autograded" / row.student / row.assignment
    notebooks = _release_notebooks(course, row.assignment)
    return bool(notebooks) and all(
        (folder / nb.name).is_file() and (folder / nb.name).stat().st_mtime >= start
        for nb in notebooks
    )


def _timeout_notes(output: str, cell_timeout: int) -> dict[str, str]:
    """Which students' notebooks had a cell interrupted, from nbgrader's log."""
    notes, student = {}, None
    for line in output.splitlines():
        match = _AUTOGRADING.search(line)
        if match:
            student = match[1]
        elif "Timeout waiting for execute reply" in line and student is not None:
            notes[student] = f"a cell ran over the {cell_timeout} s limit and was interrupted"
    return notes


_EXCEPTION = re.compile(r"^(?:[\w.]+\.)?(\w+(?:Error|Exception)): (.+)$")


def _reason(output: str) -> str:
    """The last exception nbgrader reports, in one line (or its last log line)."""
    for line in reversed(output.splitlines()):
        match = _EXCEPTION.match(line.strip())
        if match:
            return f"{match[1]}: {' '.join(match[2].split())[:200]}"
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no output"


def _autograde_args(assignment: str, cell_timeout: int) -> list[str]:
    return ["autograde", assignment, "--force", f"--Execute.timeout={cell_timeout}"]


def grade_one(course: Path, row: Row, cell_timeout: int, budget: float) -> None:
    """Autograde one checked submission on its own; record why if it cannot be graded."""
    start = time.time()
    args = [*_autograde_args(row.assignment, cell_timeout), "--student", row.student]
    result = run_nbgrader(course, *args, budget=budget)
    if result.stopped:
        row.problems.append(f"grading took over {budget:g} s and was stopped")
    elif result.returncode != 0 or not _graded_since(course, row, start):
        row.problems.append(f"nbgrader could not grade it: {_reason(result.output)}")
    elif row.student in (notes := _timeout_notes(result.output, cell_timeout)):
        row.notes.append(notes[row.student])


def grade_assignment(
    course: Path, assignment: str, rows: list[Row], cell_timeout: int, budget: float
) -> None:
    """Autograde the checked submissions of one assignment, as few nbgrader runs as it takes.

    One run for all of them saves nbgrader's start-up time per submission. nbgrader
    goes on past a submission it cannot grade; those are then graded one by one, so
    that each row says why. A run stopped because a submission hung is started again
    for the submissions it had not reached.
    """
    pending = list(rows)
    while pending:
        students = {row.student for row in pending}
        others = sorted(p.name for p in (course / "submitted").iterdir() if p.name not in students)
        args = _autograde_args(assignment, cell_timeout)
        if others:
            args.append("--CourseDirectory.student_id_exclude=" + ",".join(others))
        start = time.time()
        result = run_nbgrader(course, *args, budget=budget)
        notes = _timeout_notes(result.output, cell_timeout)
        hung = result.stopped in students  # else it hung outside any one submission
        unreached = []
        for row in pending:
            if row.student == result.stopped:
                row.problems.append(f"grading took over {budget:g} s and was stopped")
            elif _graded_since(course, row, start):
                if row.student in notes:
                    row.notes.append(notes[row.student])
            elif hung:
                unreached.append(row)  # not reached before the stop: another run
            else:
                grade_one(course, row, cell_timeout, budget)
        pending = unreached  # each run removes the submission that hung: this ends


def grade_submissions(
    course: Path = DEFAULT_COURSE,
    cell_timeout: int = CELL_TIMEOUT,
    budget: float | None = None,
) -> tuple[Path, list[Row]]:
    """Autograde every submission under ``submitted/`` and write ``grades.csv``.

    Rows: every student (a folder in ``submitted/``) times every assignment that at
    least one student handed in. ``budget``: seconds the grading of one notebook may
    take in all (default: ``PER_CELL_BUDGET_FACTOR`` times the cell limit per code cell,
    plus two minutes).
    """
    from nbgrader.api import Gradebook, MissingEntry

    submitted = course / "submitted"
    students = sorted(p.name for p in submitted.glob("*") if p.is_dir())
    assignments = sorted(
        {a.name for s in students for a in (submitted / s).glob("*") if a.is_dir()}
    )
    rows = [check_submission(course, s, a) for s in students for a in assignments]
    for assignment in assignments:
        ready = [r for r in rows if r.assignment == assignment and not r.problems]
        limit = budget or _budget(course, assignment, cell_timeout)
        grade_assignment(course, assignment, ready, cell_timeout, limit)
    for row in rows:
        for problem in row.problems:
            print(f"{row.student}, {row.assignment}: NOT GRADED: {problem}", file=sys.stderr)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for row in rows:
            try:
                row.max_score = f"{gradebook.find_assignment(row.assignment).max_score:g}"
            except MissingEntry:
                row.problems.append(f"no assignment {row.assignment} in the gradebook")
                continue
            if not row.problems:
                submission = gradebook.find_submission(row.assignment, row.student)
                row.score = f"{submission.score:g}"
    out = course / "grades.csv"
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=GRADES_COLUMNS)
        writer.writeheader()
        writer.writerows(row.as_dict() for row in rows)
    return out, rows


def generate_feedback(course: Path = DEFAULT_COURSE) -> list[Path]:
    """nbgrader's HTML feedback for every autograded submission; return the files written.

    One nbgrader run per assignment; if a run fails, its students are done one by one,
    so that one broken submission costs only its own report.
    """
    autograded = course / "autograded"
    folders = sorted(p for p in autograded.glob("*/*") if p.is_dir())
    written = []
    for assignment in sorted({f.name for f in folders}):
        students = [f.parent.name for f in folders if f.name == assignment]
        batch = run_nbgrader(course, "generate_feedback", assignment, "--force")
        for student in students:
            if batch.returncode != 0:
                one = run_nbgrader(
                    course, "generate_feedback", assignment, "--student", student, "--force"
                )
                if one.returncode != 0:
                    print(
                        f"{student}, {assignment}: no feedback "
                        f"(nbgrader generate_feedback failed):\n{one.output}",
                        file=sys.stderr,
                    )
                    continue
            written.extend(sorted((course / "feedback" / student / assignment).glob("*.html")))
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["assignment", "grade", "feedback"])
    parser.add_argument("--course", type=Path, default=DEFAULT_COURSE)
    parser.add_argument(
        "--book-url",
        default=os.environ.get("BOOK_URL") or None,
        help="assignment: the published book's address, for links to other chapters",
    )
    parser.add_argument(
        "--cell-timeout",
        type=int,
        default=int(os.environ.get("CELL_TIMEOUT", CELL_TIMEOUT)),
        help=f"grade: seconds one cell may run (default {CELL_TIMEOUT})",
    )
    args = parser.parse_args(argv)
    course = args.course.resolve()
    if args.command == "assignment":
        names = build_assignments(course, book_url=args.book_url)
        print(f"student copies of {len(names)} assignments in {course / 'release'}:")
        for name in names:
            print(f"  release/{name}/")
    elif args.command == "grade":
        grades, rows = grade_submissions(course, args.cell_timeout)
        print(f"grades written to {grades}")
        print(grades.read_text(encoding="utf-8"), end="")
        failed = sum(bool(r.problems) for r in rows)
        if failed:
            print(f"{failed} of {len(rows)} submissions not graded: see the status column")
    else:
        written = generate_feedback(course)
        print(f"{len(written)} feedback files in {course / 'feedback'}")


if __name__ == "__main__":
    main()
