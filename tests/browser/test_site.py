"""The built web book, opened page by page in headless Chromium, as a reader sees it.

Both editions are tested: the reader's (``make book``, ``_build/html``) and the
student edition (``make book-student``, ``_build/student/html``). For every
page of each: no console errors, no failed request and no
request leaving the machine; every equation rendered by MathJax; every image
loaded and described by alt text; every internal link and anchor resolves; no
critical or serious axe-core violation; no sideways scrolling at 390 px (the
same page, narrowed). The search page must find "softmax", and screenshots of
two chapters go to ``_build/screenshots/<edition>-...`` (the reader's edition
at 1280 and 390 px, the student edition at 1280 px).

Needs: the built sites (``make book book-student``), Debian's ``chromium`` at
``/usr/bin/chromium``, the ``playwright`` Python package (driver only: the
browser is Debian's, never downloaded) and ``axe-core`` from npm
(``npm ci --prefix tests/browser``). Locally, whatever is missing makes the
tests skip and say why; under CI (``CI=true``) it is a failure.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITES = {
    "reader": (ROOT / "_build" / "html", "make book"),
    "student": (ROOT / "_build" / "student" / "html", "make book-student"),
}
SCREENSHOTS = ROOT / "_build" / "screenshots"
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() == "true"
# Flags that keep Chromium from calling home (this machine has no network but the registries).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
RAW_TEX = ("$$", "\\frac", "\\sigma", "\\operatorname", "\\begin{")
PAGES_WITH_SCREENSHOTS = {
    "introduction": "book/00_introduction.html",
    "derivative": "book/04_softmax_ce_derivative.html",
}


def _missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the browser test must run in CI)")
    pytest.skip(reason)


def _pages(site: Path) -> list[str]:
    if not site.is_dir():
        return []
    return sorted(
        str(p.relative_to(site))
        for p in site.rglob("*.html")
        if "_static" not in p.parts and "_sources" not in p.parts
    )


# (edition, page) for every page of every built site; index.html where a site is missing,
# so that the test says the site is missing instead of collecting nothing.
PAGES = [
    pytest.param(edition, path, id=f"{edition}:{path}")
    for edition, (site, _) in SITES.items()
    for path in (_pages(site) or ["index.html"])
]


class _Anchors(HTMLParser):
    """Every id and name attribute of one HTML file: the anchors links may point to."""

    def __init__(self) -> None:
        super().__init__()
        self.anchors: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key in ("id", "name") and value:
                self.anchors.add(value)


@functools.cache
def _anchors_of(site: Path, relative_path: str) -> frozenset[str]:
    parser = _Anchors()
    parser.feed((site / relative_path).read_text(encoding="utf-8"))
    return frozenset(parser.anchors)


@pytest.fixture(scope="module")
def serve() -> Iterator:
    """A function that serves one edition's site on localhost (once) and returns its URL."""
    servers = {}

    def url_of(edition: str) -> str:
        if edition not in servers:
            site, command = SITES[edition]
            if not (site / "index.html").is_file():
                _missing(f"no built site at {site}: run `{command}` first")
            handler = functools.partial(_QuietHandler, directory=str(site))
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            servers[edition] = server
        return f"http://127.0.0.1:{servers[edition].server_address[1]}/"

    yield url_of
    for server in servers.values():
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # the request log would clutter the test output
        pass


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).is_file() and not shutil.which(CHROMIUM):
        _missing(f"Chromium not found at {CHROMIUM} (Debian: apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed (pip install playwright)")
    if not AXE.is_file():
        _missing(f"axe-core not found at {AXE} (npm ci --prefix tests/browser)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class PageVisit:
    """A page opened in a fresh context that records every problem the reader would meet."""

    def __init__(self, browser, base_url: str, path: str, width: int = 1280) -> None:
        self.base_url = base_url
        self.problems: list[str] = []
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.context.route("**/*", self._only_local)
        self.page = self.context.new_page()
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        self.page.on("requestfailed", self._on_failed)
        self.page.on("response", self._on_response)
        self.page.goto(base_url + path, wait_until="load")
        if path.startswith("search.html") or path == "index.html":
            # The search page rewrites its URL; index.html redirects to the introduction.
            self.page.wait_for_load_state("networkidle")
        self.page.evaluate(
            "() => (window.MathJax && MathJax.startup && MathJax.startup.promise)"
            " ? MathJax.startup.promise.then(() => true) : true"
        )

    def _only_local(self, route) -> None:
        if route.request.url.startswith(self.base_url) or route.request.url.startswith("data:"):
            route.continue_()
        else:
            self.problems.append(f"external request: {route.request.url}")
            route.abort()

    def _on_console(self, message) -> None:
        if message.type == "error":
            self.problems.append(f"console error: {message.text}")

    def _on_failed(self, request) -> None:
        if request.url.startswith(self.base_url):
            self.problems.append(f"failed request: {request.url} ({request.failure})")

    def _on_response(self, response) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser, serve):
    visits: list[PageVisit] = []

    def open_page(edition: str, path: str, width: int = 1280) -> PageVisit:
        v = PageVisit(browser, serve(edition), path, width)
        visits.append(v)
        return v

    yield open_page
    for v in visits:
        v.close()


# Text a reader sees, without code (which may legitimately show TeX) and without MathJax's
# own output.
VISIBLE_PROSE = """() => {
  const clone = document.querySelector('main, article, body').cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, mjx-container, .highlight, .MathJax')
       .forEach(e => e.remove());
  return clone.innerText;
}"""

UNRENDERED_MATH = """() => Array.from(document.querySelectorAll('div.math, span.math'))
  .filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.slice(0, 60))"""

BROKEN_IMAGES = """() => Array.from(document.images)
  .filter(img => !(img.complete && img.naturalWidth > 0)).map(img => img.src)"""

IMAGES_WITHOUT_ALT = """() => Array.from(document.querySelectorAll('article img, main img'))
  .filter(img => !(img.getAttribute('alt') || '').trim()).map(img => img.src)"""

LINKS = """() => Array.from(document.querySelectorAll('a[href]')).map(a => a.href)"""

SIDEWAYS_OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width + 1) return [];
  const allowed = 'pre, .highlight, table, .table-wrapper, .output, mjx-container, .math';
  return Array.from(document.querySelectorAll('body *'))
    .filter(e => e.getBoundingClientRect().right > width + 1 && !e.closest(allowed))
    .slice(0, 8).map(e => e.tagName.toLowerCase() + '.' + (e.className || ''));
}"""


@pytest.mark.parametrize(("edition", "path"), PAGES)
def test_page_works_offline_and_renders(visit, edition, path):
    site = SITES[edition][0]
    v = visit(edition, path)
    page = v.page
    problems = list(v.problems)

    prose = page.evaluate(VISIBLE_PROSE)
    problems += [f"raw TeX in the visible text: {tex!r}" for tex in RAW_TEX if tex in prose]
    problems += [f"equation not rendered by MathJax: {m!r}" for m in page.evaluate(UNRENDERED_MATH)]
    problems += [f"image not loaded: {src}" for src in page.evaluate(BROKEN_IMAGES)]
    problems += [f"image without alt text: {src}" for src in page.evaluate(IMAGES_WITHOUT_ALT)]

    for href in page.evaluate(LINKS):
        if not href.startswith(v.base_url):
            continue  # links to other sites are not followed (no network here)
        parts = urlsplit(href)
        target = unquote(parts.path)[1:] or "index.html"
        if target.endswith("/"):
            target += "index.html"
        if not (site / target).is_file():
            problems.append(f"broken link: {href}")
        elif parts.fragment and target.endswith(".html"):
            if unquote(parts.fragment) not in _anchors_of(site, target):
                problems.append(f"broken anchor: {href}")

    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    for violation in result["violations"]:
        if violation["impact"] in ("critical", "serious"):
            targets = [n["target"] for n in violation["nodes"][:3]]
            problems.append(
                f"axe {violation['impact']}: {violation['id']} ({violation['help']}) at {targets}"
            )

    # The same page on a phone: the layout reflows when the viewport narrows, so one load
    # serves both widths.
    page.set_viewport_size({"width": 390, "height": 900})
    overflowing = page.evaluate(SIDEWAYS_OVERFLOW)
    if overflowing:
        problems.append(f"scrolls sideways at 390 px because of {overflowing}")

    assert not problems, f"{edition}:{path}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("edition", sorted(SITES))
def test_search_finds_softmax(visit, edition):
    page = visit(edition, "search.html?q=softmax").page
    results = page.locator("#search-results li, ul.search li")
    results.first.wait_for(timeout=20_000)
    assert results.count() > 0
    assert re.search(
        r"softmax", page.locator("#search-results, .search").first.inner_text(), re.IGNORECASE
    )


# Both widths of the reader's edition; the student edition at the desktop width, where the
# graded cells' stubs show (it is laid out by the same theme).
SCREENSHOT_CASES = [
    ("reader", name, width) for name in sorted(PAGES_WITH_SCREENSHOTS) for width in (1280, 390)
] + [("student", name, 1280) for name in sorted(PAGES_WITH_SCREENSHOTS)]


@pytest.mark.parametrize(("edition", "name", "width"), SCREENSHOT_CASES)
def test_screenshot(visit, edition, name, width):
    path = PAGES_WITH_SCREENSHOTS[name]
    site = SITES[edition][0]
    if (site / "index.html").is_file() and not (site / path).is_file():
        pytest.fail(f"{path} is missing from the built site {site}")
    page = visit(edition, path, width=width).page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    out = SCREENSHOTS / f"{edition}-{name}-{width}px.png"
    page.screenshot(path=str(out), full_page=True)
    assert out.stat().st_size > 10_000
