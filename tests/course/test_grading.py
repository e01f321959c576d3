"""The parts of ``make grade`` that need no nbgrader run: the watchdog and the checks.

The round trip (``test_round_trip.py``) grades real submissions; these tests
pin down the pieces it relies on, with a stand-in process and hand-made files.
"""

from __future__ import annotations

import json
import sys
import time

import nbformat

from tools import course


def _fake_grader(script: str) -> list[str]:
    return [sys.executable, "-c", script]


def test_the_watchdog_stops_a_submission_that_hangs_and_names_it(tmp_path):
    script = (
        "import time\n"
        "print('Autograding /c/autograded/ada/01_sigmoid/01_sigmoid.ipynb', flush=True)\n"
        "print('Autograding /c/autograded/bob/01_sigmoid/01_sigmoid.ipynb', flush=True)\n"
        "time.sleep(60)\n"
    )
    start = time.monotonic()
    result = course.run_watched(_fake_grader(script), tmp_path, budget=1.0)
    assert time.monotonic() - start < 10
    assert result.stopped == "bob"
    assert result.returncode != 0


def test_the_watchdog_clock_restarts_with_each_submission(tmp_path):
    # Three submissions of 0.6 s each: 1.8 s in all, but none over the 1 s budget.
    lines = "".join(
        f"print('Autograding /c/autograded/s{i}/a/a.ipynb', flush=True); time.sleep(0.6)\n"
        for i in range(3)
    )
    result = course.run_watched(_fake_grader("import time\n" + lines), tmp_path, budget=1.0)
    assert result.stopped is None
    assert result.returncode == 0
    assert result.output.count("Autograding") == 3


def test_a_cell_over_the_limit_is_noted_for_its_student():
    log = (
        "[AutogradeApp | INFO] Autograding /c/autograded/ada/01_sigmoid/01_sigmoid.ipynb\n"
        "[AutogradeApp | INFO] Autograding /c/autograded/bob/01_sigmoid/01_sigmoid.ipynb\n"
        "[AutogradeApp | ERROR] Timeout waiting for execute reply (5s).\n"
        "[AutogradeApp | INFO] Autograding /c/autograded/cy/01_sigmoid/01_sigmoid.ipynb\n"
    )
    notes = course._timeout_notes(log, 5)
    assert notes == {"bob": "a cell ran over the 5 s limit and was interrupted"}


def test_an_unreadable_submission_says_where_and_why(tmp_path):
    cut = tmp_path / "cut.ipynb"
    cut.write_text('{"cells": [\n  {"cell_type": "code",\n')
    _, problem = course._read_submission(cut, "submitted/ada/a/cut.ipynb")
    assert problem == "submitted/ada/a/cut.ipynb is not valid JSON (line 3, column 1)"

    not_a_notebook = tmp_path / "list.ipynb"
    not_a_notebook.write_text(json.dumps({"cells": "none", "nbformat": 4, "nbformat_minor": 5}))
    _, problem = course._read_submission(not_a_notebook, "x.ipynb")
    assert problem.startswith("x.ipynb is not a valid notebook") or problem.startswith(
        "x.ipynb is not a notebook nbgrader can read"
    )

    good = tmp_path / "good.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), good)
    nb, problem = course._read_submission(good, "good.ipynb")
    assert problem is None and nb.cells == []


def test_edited_and_deleted_test_cells_are_named():
    def test_cell(grade_id, source):
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["nbgrader"] = {
            "grade": True,
            "grade_id": grade_id,
            "locked": True,
            "points": 1,
            "solution": False,
        }
        return cell

    released = nbformat.v4.new_notebook()
    released.cells = [test_cell("test_a", "assert f(1) == 1"), test_cell("test_b", "assert g()")]
    submitted = nbformat.v4.new_notebook()
    submitted.cells = [test_cell("test_a", "pass")]
    assert course._test_cell_changes(submitted, released) == [
        "test cell test_a edited by the student (the original was run)",
        "test cell test_b deleted by the student (restored and run)",
    ]
    assert course._test_cell_changes(released, released) == []
