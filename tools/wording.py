"""Wording that only fits the web book with solutions, and what students read instead.

Two mechanisms, for the chapter authors:

* **Whole cells.** A Markdown cell tagged ``reader-only`` appears only in the
  reader's edition of the web book (and in ``book/``); one tagged
  ``student-only`` appears only in the student edition and in the student
  copies handed out by ``make assignment``. Put the two versions of a passage
  side by side in two cells with these tags.
* **Phrases.** For a sentence inside a longer cell, add the sentence and its
  student version to ``STUDENT_WORDING`` below. Matching ignores line breaks and
  runs of spaces, so the table does not depend on how the cell is wrapped.

``tests/course/test_editions.py`` fails if a student copy still mentions "the
web book" showing "our solution", so a new sentence of that kind cannot slip
through unnoticed.
"""

from __future__ import annotations

import re

READER_ONLY_TAG = "reader-only"
STUDENT_ONLY_TAG = "student-only"

_YOUR_TURN = (
    "Fill in the cell below in your copy of the notebook (until you do, it raises "
    "`NotImplementedError`); the test cell after it checks your function and grades it."
)

# reader's wording -> student's wording
STUDENT_WORDING: dict[str, str] = {
    # The "Your turn" paragraphs of chapters 1 to 4.
    "In the web book the cell below holds our solution, hidden behind its toggle: try first, "
    "then compare. In the assignment version it is blank, and the test cell after it checks "
    "your function and grades it.": _YOUR_TURN,
    "In the web book the next cell holds our solution, folded away: try first, then compare. "
    "In the assignment it is blank, and the test cell after it checks and grades your "
    "function.": _YOUR_TURN,
}

# Sentences that must not survive in a student copy (the test checks every student copy).
WEB_BOOK_ONLY = re.compile(
    r"in the web book[^.]*\b(solution|toggle)|holds our solution|behind (its|a) toggle",
    re.IGNORECASE,
)


def _pattern(phrase: str) -> re.Pattern:
    words = phrase.split()
    return re.compile(r"\s+".join(re.escape(w) for w in words))


_PATTERNS = [(_pattern(reader), student) for reader, student in STUDENT_WORDING.items()]


def student_wording(markdown: str) -> str:
    """Replace every reader's phrase of ``STUDENT_WORDING`` by its student version."""
    for pattern, student in _PATTERNS:
        markdown = pattern.sub(lambda _m, s=student: s, markdown)
    return markdown
