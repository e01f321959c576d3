"""Find the text of solutions and hidden tests in a built site or a folder of notebooks.

A *secret* is a line of a region that some readers must not see, from the
instructor notebooks in ``book/``: a solution region, a hidden-test region, a
worked exercise solution (a cell tagged ``exercise-solution`` or an
``{admonition} Solution`` block), or a stand-in of ``tools/fallbacks.py``.

Lines are compared in a normal form that survives rendering: lower case, letters
and digits only. A code line rendered by Pygments into ``<span>``s, a Markdown
line whose ``$x$`` became ``\\(x\\)`` and whose ``**bold**`` became
``<strong>``, a line escaped into JSON: all keep the same normal form. A line
counts when its normal form has at least ``MIN_CHARS`` characters (shorter lines,
such as ``p = softmax(z)``, are too common to prove anything), and only when it
does not also occur in what the same readers may see (the book outside the
regions of the kinds searched for, with the outputs of ordinary code cells): a
line that a reader sees anyway proves nothing.

Every file of a site is searched: the pages, the notebooks offered for
download and ``_sources``, the search index, scripts and styles. The MathJax
files are instead compared byte for byte with the copy that
sphinx-mathjax-offline installs: identical files hold nothing of the book.
"""

from __future__ import annotations

import html
import importlib.metadata
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tools import regions
from tools.fallbacks import FALLBACKS

MIN_CHARS = 24
KINDS = ("solution", "hidden test", "exercise solution", "stand-in")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_TAG = re.compile(r"<[^>]*>")


def normalise(text: str) -> str:
    return _NOT_ALNUM.sub("", text.lower())


@dataclass(frozen=True)
class Secret:
    kind: str  # one of KINDS
    where: str  # notebook and grade id or cell number
    line: str  # the line as written

    @property
    def key(self) -> str:
        return normalise(self.line)


def _public_source(cell, kinds: set[str]) -> str:
    """What of a cell a reader may see when the regions of ``kinds`` are removed.

    The outputs of ordinary code cells count too (the numbers an exercise solution
    repeats, a listing of the package's code), but not those of graded cells.
    """
    if regions.is_exercise_solution(cell) and "exercise solution" in kinds:
        return ""
    source = cell.source
    if cell.cell_type == "markdown":
        if "exercise solution" in kinds:
            for block in regions.solution_admonitions(source):
                source = source.replace(block, "")
        return source
    if "solution" in kinds:
        for region in regions.solution_regions(source):
            source = source.replace(region, "")
    if "hidden test" in kinds:
        for region in regions.hidden_test_regions(source):
            source = source.replace(region, "")
    if not (regions.is_solution_cell(cell) or regions.is_test_cell(cell)):
        source += "\n" + "\n".join(_strings(cell.get("outputs", [])))
    return source


def _cell_secrets(cell, where: str) -> Iterator[Secret]:
    if regions.is_exercise_solution(cell):
        for line in cell.source.split("\n"):
            yield Secret("exercise solution", where, line)
        return
    if cell.cell_type == "markdown":
        for block in regions.solution_admonitions(cell.source):
            for line in block.split("\n"):
                yield Secret("exercise solution", where, line)
        return
    for region in regions.solution_regions(cell.source):
        for line in region.split("\n"):
            yield Secret("solution", where, line)
    for region in regions.hidden_test_regions(cell.source):
        for line in region.split("\n"):
            yield Secret("hidden test", where, line)


def book_secrets(book: Path = regions.BOOK, kinds: Iterable[str] = KINDS) -> list[Secret]:
    """The secrets of the instructor notebooks, of the given kinds, that prove a leak."""
    kinds = set(kinds)
    unknown = kinds - set(KINDS)
    if unknown:
        raise ValueError(f"kinds must be among {KINDS}; got {sorted(unknown)}")
    public, found = [], []
    for path in sorted(book.glob("*.ipynb")):
        for index, cell in enumerate(regions.read(path).cells):
            public.append(normalise(_public_source(cell, kinds)))
            grade_id = regions.nbgrader_meta(cell).get("grade_id")
            where = f"{path.name}, " + (f"cell {grade_id!r}" if grade_id else f"cell {index}")
            found.extend(s for s in _cell_secrets(cell, where) if s.kind in kinds)
    if "stand-in" in kinds:
        for grade_id, code in FALLBACKS.items():
            found.extend(
                Secret("stand-in", f"tools/fallbacks.py, {grade_id!r}", line)
                for line in code.split("\n")
            )
    public_text = "|".join(public)
    unique = {}
    for secret in found:
        key = secret.key
        if len(key) >= MIN_CHARS and key not in public_text:
            unique.setdefault(key, secret)
    return list(unique.values())


def _strings(value) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def file_text(path: Path) -> str | None:
    """The text a reader could get from one file (None for a binary file)."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if path.suffix == ".ipynb":
        try:
            return "\n".join(_strings(json.loads(text)))
        except json.JSONDecodeError:
            return text
    if path.suffix in (".html", ".htm", ".xml", ".svg"):
        return html.unescape(_TAG.sub(" ", text)) + "\n" + text
    return text


def _mathjax_copy() -> Path | None:
    try:
        dist = importlib.metadata.distribution("sphinx-mathjax-offline")
    except importlib.metadata.PackageNotFoundError:
        return None
    folder = Path(dist.locate_file("sphinx-mathjax-offline/static/mathjax"))
    return folder if folder.is_dir() else None


@dataclass(frozen=True)
class Leak:
    file: str
    secret: Secret

    def __str__(self) -> str:
        secret = self.secret
        return f"{self.file}: {secret.kind} line from {secret.where}: {secret.line!r}"


def find_leaks(folder: Path, secrets: list[Secret]) -> tuple[list[Leak], int]:
    """Every (file, secret) pair where the secret's line occurs; and how many files were read."""
    mathjax = _mathjax_copy()
    leaks, read = [], 0
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder)
        parts = relative.parts
        if mathjax is not None and parts[:2] == ("_static", "mathjax"):
            original = mathjax.joinpath(*parts[2:])
            if original.is_file() and original.read_bytes() == path.read_bytes():
                continue  # an unchanged copy of MathJax holds nothing of the book
        text = file_text(path)
        if text is None:
            continue
        read += 1
        haystack = normalise(text)
        leaks.extend(Leak(str(relative), s) for s in secrets if s.key in haystack)
    return leaks, read
