"""No answer key in the published sites: every file of each built edition, searched.

The student edition (``make book-student``) must hold no line of a solution, a
hidden test, a worked exercise solution or a stand-in of ``tools/fallbacks.py``;
the reader's edition (``make book``) no line of a hidden test. Lines are those
of the instructor notebooks in ``book/``, in the normal form of
``tools/leaks.py`` (lower case, letters and digits, at least 24 of them, and not
also part of what the same readers may see anyway).

The search covers every file of the site: the pages, the downloadable
notebooks and ``_sources``, the search index. The first tests show that the
search finds what it looks for, so that a pass means something.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tools import leaks, regions

ROOT = Path(__file__).resolve().parents[2]
SITES = {
    "student": (ROOT / "_build" / "student" / "html", leaks.KINDS, "make book-student"),
    "reader": (ROOT / "_build" / "html", ("hidden test",), "make book"),
}
IN_CI = os.environ.get("CI", "").lower() == "true"


def test_there_are_secrets_of_every_kind():
    found = {s.kind for s in leaks.book_secrets()}
    assert found == set(leaks.KINDS)


def test_the_search_finds_every_secret_in_the_instructor_notebooks():
    # book/ holds every solution, hidden test and worked solution: all must be found there.
    secrets = leaks.book_secrets(kinds=("solution", "hidden test", "exercise solution"))
    found, _ = leaks.find_leaks(regions.BOOK, secrets)
    assert {leak.secret for leak in found} == set(secrets)


def test_the_search_sees_through_html_markup(tmp_path):
    secret = next(s for s in leaks.book_secrets(kinds=("solution",)) if "(" in s.line)
    # Roughly what Pygments makes of a code line: every token in its own span, entities.
    words = secret.line.strip().replace("(", " &#40; ").replace(">", "&gt;").split()
    page = "".join(f'<span class="n">{w}</span> ' for w in words)
    (tmp_path / "page.html").write_text(f"<html><body><pre>{page}</pre></body></html>")
    found, read = leaks.find_leaks(tmp_path, [secret])
    assert read == 1
    assert [leak.file for leak in found] == ["page.html"]


@pytest.mark.parametrize("edition", sorted(SITES))
def test_the_built_site_holds_no_secret(edition):
    site, kinds, command = SITES[edition]
    if not (site / "index.html").is_file():
        message = f"no built site at {site}: run `{command}` first"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    secrets = leaks.book_secrets(kinds=kinds)
    found, read = leaks.find_leaks(site, secrets)
    assert read > 20, f"only {read} files read in {site}"
    assert not found, f"{len(found)} leaks in the {edition} site:\n  " + "\n  ".join(
        str(leak) for leak in found[:30]
    )
