"""Build the two editions of the web book from the chapter notebooks in ``book/``.

* **reader** (``make book``, ``_build/html``): for self-study. Everything in
  ``book/`` except the hidden tests of the graded cells: worked solutions stay,
  behind their toggles.
* **student** (``make book-student``, ``_build/student/html``): for a class while
  the assignment runs. Every graded function is the stub students get from
  nbgrader (its signature and docstring, then ``raise NotImplementedError()``),
  followed by the visible part of its test, which shows that error; no solution
  code, no hidden test, no worked exercise solution (cells tagged
  ``exercise-solution``, ``{admonition} Solution`` blocks); the wording of
  ``tools/wording.py``. Later cells that need a graded function's result get a
  stand-in from ``tools/fallbacks.py`` in a hidden cell, which is also deleted
  from the notebooks the site offers for download.

Each edition is written as a copy of the book's sources (``_config.yml``,
``_toc.yml``, ``book/`` with ``_ext``, ``_static``, ``_templates`` and
``references.bib``) to ``_build/src/<edition>/`` and built there with
``jupyter-book build -W -n --keep-going``: only the transformed copy ever
reaches Sphinx, so nothing removed can surface in a page, a download, the
search index or ``_sources``. ``book/`` itself is never changed, and nbval keeps
testing it as the instructor version.

Usage (from the repository root)::

    python tools/editions.py build reader|student
    python tools/editions.py prepare reader|student [--dest DIR]   # the sources only
"""

from __future__ import annotations

import argparse
import copy
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools import regions
from tools.fallbacks import MissingFallback, fallback_code
from tools.wording import READER_ONLY_TAG, STUDENT_ONLY_TAG, student_wording

ROOT = regions.ROOT
BOOK = regions.BOOK
EDITIONS = ("reader", "student")
NAMES = {"reader": "reader's edition", "student": "student edition"}
SITES = {"reader": ROOT / "_build" / "html", "student": ROOT / "_build" / "student" / "html"}
SOURCES = ROOT / "_build" / "src"
FALLBACK_TAG = "student-fallback"
STUDENT_TITLE_SUFFIX = " (student edition)"
_SHOWN_TAGS = {"hide-input", "hide-cell", "hide-output", "remove-input", "remove-cell"}


def _without_tags(cell, unwanted) -> None:
    kept = [t for t in regions.tags(cell) if t not in unwanted]
    if kept:
        cell.metadata["tags"] = kept
    else:
        cell.metadata.pop("tags", None)


def _add_tag(cell, tag: str) -> None:
    if tag not in regions.tags(cell):
        cell.metadata["tags"] = [*regions.tags(cell), tag]


def reader_notebook(nb):
    """The reader's edition of one notebook: hidden tests and student-only cells removed."""
    nb = copy.deepcopy(nb)
    nb.cells = [
        regions.without_hidden_tests(cell)
        for cell in nb.cells
        if STUDENT_ONLY_TAG not in regions.tags(cell)
    ]
    return nb


def _fallback_cell(grade_id: str, where: str):
    cell = nbformat.v4.new_code_cell(fallback_code(grade_id, where))
    cell.metadata["tags"] = ["remove-cell", FALLBACK_TAG]
    return cell


def student_notebook(nb, where: str = "notebook"):
    """The student edition of one notebook (see the module docstring)."""
    nb = copy.deepcopy(nb)
    cells, pending = [], []
    for cell in nb.cells:
        cell_tags = regions.tags(cell)
        if regions.EXERCISE_SOLUTION_TAG in cell_tags or READER_ONLY_TAG in cell_tags:
            continue
        if cell.cell_type == "markdown":
            if regions.is_solution_cell(cell):
                cell = regions.stubbed(cell)
            source = regions.remove_solution_admonitions(cell.source)
            cell.source = student_wording(source)
        elif cell.cell_type == "code":
            graded = regions.is_solution_cell(cell) or regions.is_test_cell(cell)
            if pending and not graded:
                # The stand-ins go after the test cells, so that the tests run on the stubs.
                cells.extend(pending)
                pending = []
            if regions.is_solution_cell(cell):
                grade_id = regions.nbgrader_meta(cell)["grade_id"]
                pending.append(_fallback_cell(grade_id, f"{where}, cell {grade_id!r}"))
                cell = regions.stubbed(cell)
                _without_tags(cell, _SHOWN_TAGS)  # the stub is what students must see
            elif regions.is_test_cell(cell):
                cell = regions.without_hidden_tests(cell)
                _add_tag(cell, "raises-exception")  # the stub's NotImplementedError, on purpose
            cell.outputs = []
            cell.execution_count = None
        cells.append(cell)
    cells.extend(pending)
    nb.cells = cells
    return nb


def _copy_book(dest: Path) -> None:
    shutil.copy2(ROOT / "_config.yml", dest / "_config.yml")
    shutil.copy2(ROOT / "_toc.yml", dest / "_toc.yml")
    shutil.copytree(
        BOOK,
        dest / "book",
        ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints", "__pycache__"),
    )


def prepare(edition: str, dest: Path | None = None, book: Path = BOOK) -> Path:
    """Write the sources of one edition to ``dest`` (default ``_build/src/<edition>``)."""
    if edition not in EDITIONS:
        raise ValueError(f"edition must be one of {EDITIONS}; got {edition!r}")
    dest = (dest or SOURCES / edition).resolve()
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    _copy_book(dest)
    for path in sorted(book.glob("*.ipynb")):
        nb = regions.read(path)
        where = f"book/{path.name}"
        nb = reader_notebook(nb) if edition == "reader" else student_notebook(nb, where)
        nbformat.write(nb, dest / "book" / path.name)
    if edition == "student":
        config_path = dest / "_config.yml"
        config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
        config["title"] = config.get("title", "") + STUDENT_TITLE_SUFFIX
        config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return dest


def strip_fallback_cells(site: Path) -> int:
    """Delete the stand-in cells from every notebook of a built site; return how many."""
    removed = 0
    for path in site.rglob("*.ipynb"):
        nb = regions.read(path)
        kept = [c for c in nb.cells if FALLBACK_TAG not in regions.tags(c)]
        if len(kept) != len(nb.cells):
            removed += len(nb.cells) - len(kept)
            nb.cells = kept
            nbformat.write(nb, path)
    return removed


def build(edition: str) -> Path:
    """Prepare and build one edition; return the directory of its site."""
    source = prepare(edition)
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    command = [str(jupyter_book), "build", str(source), "-W", "-n", "--keep-going"]
    print(f"building the {NAMES[edition]} from {source.relative_to(ROOT)}/", flush=True)
    result = subprocess.run(command, cwd=ROOT)
    if result.returncode != 0:
        raise SystemExit(f"the {NAMES[edition]} did not build (exit {result.returncode})")
    built = source / "_build" / "html"
    if edition == "student":
        strip_fallback_cells(built)
    site = SITES[edition]
    if site.exists():
        shutil.rmtree(site)
    site.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(built), str(site))
    return site


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["build", "prepare"])
    parser.add_argument("edition", choices=EDITIONS)
    parser.add_argument("--dest", type=Path, help="prepare: where to write the sources")
    args = parser.parse_args(argv)
    try:
        if args.command == "prepare":
            print(prepare(args.edition, args.dest))
            return
        site = build(args.edition)
    except MissingFallback as missing:
        raise SystemExit(f"make book-student: {missing}") from None
        print(f"The {NAMES[args.edition]} is at {site / 'index.html'}")


if __name__ == "__main__":
    main()
