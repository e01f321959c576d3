"""Small fixes to the HTML that Jupyter Book 1.x, its theme and Sphinx produce.

Each was found by the browser test (tests/browser/test_site.py):

* Jupyter Book reads the sources twice, and sphinx-thebe and
  sphinx-togglebutton add their inline scripts each time, so every page
  declared ``const THEBE_JS_URL`` twice: a JavaScript error. Duplicate scripts
  are dropped.
* The pydata theme's template expects a ``default_mode`` that sphinx-book-theme
  never sets, and its JavaScript reports the empty value as a console error.
  The book is light by default (its figures have white backgrounds); readers
  can still switch.
* MyST-NB's "show code" toggles carry ``aria-label="Toggle hidden content"``,
  which differs from their visible text (axe: label-content-name-mismatch);
  without the label, the visible text is the accessible name.
* docutils marks a bibliography ``role="list"`` but its entries are not list
  items (axe: aria-required-children); the role is dropped.
"""

from __future__ import annotations

_BODY_FIXES = [
    ('<summary aria-label="Toggle hidden content">', "<summary>"),
    ('<div role="list" class="citation-list">', '<div class="citation-list">'),
]


def _fix_page(app, pagename, templatename, context, doctree) -> None:
    seen = set()
    unique = []
    for script in context.get("script_files", []):
        key = (script.filename or "", tuple(sorted(script.attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique
    context["default_mode"] = "light"
    body = context.get("body", "")
    for old, new in _BODY_FIXES:
        body = body.replace(old, new)
    context["body"] = body


def setup(app):
    app.connect("html-page-context", _fix_page, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
