"""Rewrite the book's MyST markup into plain Markdown for the student copies.

The chapters are written in MyST for Jupyter Book: ``{eq}`label```,
``{numref}`label```, ``{cite}`key```, ``(label)=`` targets, ``$$ ... $$ (label)``
numbered equations, ``:::{admonition}`` blocks, and links to other chapters'
notebooks. A student who opens a handed-out copy in a plain Jupyter sees that
markup raw, and the other chapters are not in the handout. ``make assignment``
therefore rewrites the Markdown of the student copies with what the web book
shows, read from the built reader's edition (``_build/html``), so that the
numbers are exactly those of the site:

* ``{eq}`eq-sig-bce``` -> ``(1.6)``, and the equation itself gets ``\\tag{1.6}``;
* ``{numref}`fig-sig-curve``` -> ``Fig. 1.1`` (``{numref}`Figure %s <x>``` ->
  ``Figure 1.1``), and a caption line ``**Fig. 1.1.** ...`` is added under the
  figure's code cell;
* ``{ref}`text <label>``` -> ``text`` (the section title without text);
* ``{cite}`key``` -> ``Goodfellow et al. (2016)``, with a *References* cell at the
  end of the notebook that lists the works cited in full;
* ``(label)=`` lines are removed; directives become block quotes with a bold
  title; ``{glue}`` roles become the value the page shows;
* a link or ``{doc}`` to another chapter names it in words (``chapter 3, *Overflow
  and underflow*``) and, when the published book's address is known
  (``--book-url``, or ``html.baseurl`` in ``_config.yml``), links to its page.
"""

from __future__ import annotations

import copy
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from docutils.nodes import make_id

from tools import regions

ROOT = regions.ROOT
READER_SITE = ROOT / "_build" / "html"

_ROLE = re.compile(r"\{(?P<role>[a-zA-Z][\w:-]*)\}`(?P<body>[^`]*)`")
_EXPLICIT = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.DOTALL)
_LABEL_LINE = re.compile(r"^\([\w.:-]+\)=[ \t]*\n?", re.MULTILINE)
_DISPLAY_MATH = re.compile(r"\$\$(?P<body>.+?)\$\$[ \t]*\((?P<label>[\w.:-]+)\)", re.DOTALL)
_DIRECTIVE = re.compile(
    r"^(?P<fence>:{3,}|`{3,})[ \t]*\{(?P<name>[\w:-]+)\}[ \t]*(?P<args>[^\n]*)\n"
    r"(?P<body>.*?)^(?P=fence)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
_OPTION = re.compile(r"^:[\w-]+:.*$\n?", re.MULTILINE)
_LINK = re.compile(r"(?<!!)\[(?P<text>[^\]]+)\]\((?P<target>[^)\s]+)\)")
_GLUE_ROLES = ("glue", "glue:", "glue:any", "glue:text", "glue:md")


def _text(element) -> str:
    """An element's visible text, without the "#" of Sphinx's header links."""
    element = copy.copy(element)
    for link in element.find_all("a", class_="headerlink"):
        link.decompose()
    return " ".join(element.get_text().split())


@dataclass
class Document:
    number: str  # "3" for chapter 3, "" for an unnumbered page
    title: str  # "Overflow and underflow"

    def in_words(self) -> str:
        return f"chapter {self.number}, *{self.title}*" if self.number else f"*{self.title}*"


@dataclass
class BookIndex:
    """What the reader's edition shows for each label, read from its HTML."""

    documents: dict[str, Document] = field(default_factory=dict)  # "book/01_sigmoid"
    equations: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (doc, "1.4")
    figures: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (doc, "1.1")
    figure_words: dict[str, str] = field(default_factory=dict)  # id -> "Fig. 1.1"
    sections: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (doc, title)
    citations: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # doc -> cites
    glued: dict[str, list[str]] = field(default_factory=dict)  # doc -> glued values in order

    @classmethod
    def from_site(cls, site: Path = READER_SITE) -> BookIndex:
        from bs4 import BeautifulSoup

        if not (site / "index.html").is_file():
            raise SystemExit(
                f"no built reader's edition at {site}: run `make book` first (the student "
                "copies take their equation and figure numbers from it)"
            )
        index = cls()
        for page in sorted((site / "book").glob("*.html")):
            doc = f"book/{page.stem}"
            soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
            article = soup.find("article") or soup
            heading = article.find("h1")
            number = heading.find("span", class_="section-number") if heading else None
            title = _text(heading) if heading else page.stem
            if number is not None:
                title = title.removeprefix(_text(number)).strip()
            index.documents[doc] = Document(
                _text(number).rstrip(".") if number is not None else "", title
            )
            for math in article.select("div.math[id^=equation-]"):
                eqno = math.find("span", class_="eqno")
                if eqno is not None:
                    index.equations[math["id"]] = (doc, _text(eqno).strip("()"))
            for figure in article.select("figure[id]"):
                caption_number = figure.find("span", class_="caption-number")
                if caption_number is not None:
                    words = _text(caption_number)
                    index.figure_words[figure["id"]] = words
                    index.figures[figure["id"]] = (doc, words.split()[-1])
            for target in article.select("[id]"):
                section = target if target.name == "section" else target.find_parent("section")
                heading = section.find(re.compile("^h[1-6]$")) if section else None
                if heading is not None and target["id"] not in index.sections:
                    index.sections[target["id"]] = (doc, _heading_title(heading))
            index.citations[doc] = [
                (_text(a), a.get("title", ""))
                for span in article.select("span.bibtex-citation")
                for a in span.find_all("a")
            ]
            index.glued[doc] = [
                _text(e) for e in article.select(".pasted-text, .pasted-inline, .pasted-math")
            ]
        return index


def _heading_title(heading) -> str:
    number = heading.find("span", class_="section-number")
    title = _text(heading)
    return title.removeprefix(_text(number)).strip() if number is not None else title


def _cite_words(short: str) -> str:
    """ "Goodfellow et al., 2016" (the web book's label) -> "Goodfellow et al. (2016)"."""
    match = re.match(r"^(?P<who>.+?),?\s+(?P<year>\d{4}[a-z]?)$", short)
    return f"{match['who']} ({match['year']})" if match else short


@dataclass
class Handout:
    """Rewrites the Markdown of one chapter (``doc``, e.g. ``book/01_sigmoid``)."""

    index: BookIndex
    doc: str
    book_url: str | None = None
    cited: dict[str, str] = field(default_factory=dict)  # key -> full reference
    _cite_keys: dict[str, tuple[str, str]] = field(default_factory=dict)
    _glue_values: dict[str, str] = field(default_factory=dict)  # "{glue:text}`x:.3f`" -> shown
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.doc not in self.index.documents:
            raise SystemExit(f"{self.doc} is not a page of the built reader's edition")
        if self.book_url:
            self.book_url = self.book_url.rstrip("/") + "/"

    # -- references -------------------------------------------------------------------------

    def _url(self, doc: str, anchor: str = "") -> str | None:
        if not self.book_url:
            return None
        return f"{self.book_url}{doc}.html" + (f"#{anchor}" if anchor else "")

    def _elsewhere(self, text: str, doc: str, anchor: str = "") -> str:
        """A reference to another page: its words, a link to the published book if known.

        The page is named in words unless the text already does: "chapter 2" gets the
        title, "Overflow and underflow" is left as it is.
        """
        document = self.index.documents[doc]
        after = ""
        if document.title.lower() not in text.lower():
            named = document.number and re.search(rf"\bchapter {document.number}\b", text, re.I)
            after = f" (*{document.title}*)" if named else f" ({document.in_words()})"
        url = self._url(doc, anchor)
        return (f"[{text}]({url})" if url else text) + after

    def _link_target(self, target: str) -> tuple[str, str] | None:
        """``03_overflow_underflow.ipynb#x`` -> (``book/03_overflow_underflow``, ``x``)."""
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            return None
        path, _, anchor = target.partition("#")
        stem = Path(path).with_suffix("").name
        doc = f"book/{stem}"
        return (doc, anchor) if doc in self.index.documents else None

    def _role(self, match: re.Match) -> str:
        role, body = match["role"], match["body"]
        explicit = _EXPLICIT.match(body)
        text, target = (explicit["text"], explicit["target"]) if explicit else (None, body)
        if role == "eq":
            doc, number = self._lookup(self.index.equations, "equation-" + make_id(target), role)
            if number is None:
                return match[0]
            shown = f"({number})"
            return shown if doc == self.doc else self._elsewhere(shown, doc)
        if role == "numref":
            key = make_id(target)
            doc, number = self._lookup(self.index.figures, key, role)
            if number is None:
                return match[0]
            shown = text.replace("%s", number) if text else self.index.figure_words[key]
            return shown if doc == self.doc else self._elsewhere(shown, doc)
        if role == "ref":
            doc, title = self._lookup(self.index.sections, make_id(target), role)
            if title is None:
                return match[0]
            shown = text or title
            return shown if doc == self.doc else self._elsewhere(shown, doc, make_id(target))
        if role == "doc":
            doc = f"book/{Path(target).with_suffix('').name}"
            if doc not in self.index.documents:
                self.problems.append(f"{{doc}}`{body}`: no such page in the built book")
                return match[0]
            return self._elsewhere(text or self.index.documents[doc].title, doc)
        if role.startswith("cite"):
            return self._cite(body)
        if role in _GLUE_ROLES or role.startswith("glue:"):
            if match[0] not in self._glue_values:
                self.problems.append(f"{match[0]}: not matched to the built page")
                return body
            return self._glue_values[match[0]]
        if role == "math":
            return f"${body}$"
        # Any other role: its text, without the markup.
        print(f"{self.doc}: the role {{{role}}} is shown as its text", file=sys.stderr)
        return text or body

    def _lookup(self, table: dict, key: str, role: str):
        if key not in table:
            self.problems.append(f"{{{role}}}: {key!r} is not in the built reader's edition")
            return None, None
        return table[key]

    def _cite(self, body: str) -> str:
        keys = [k.strip() for k in body.split(",") if k.strip()]
        shown = []
        for key in keys:
            if key not in self._cite_keys:
                self.problems.append(f"{{cite}}`{key}`: not matched to the built page")
                shown.append(key)
                continue
            short, full = self._cite_keys[key]
            self.cited[key] = full
            shown.append(_cite_words(short))
        return "; ".join(shown)

    def pair_with_page(self, markdown_cells: list[str]) -> None:
        """Pair the chapter's ``{cite}`` keys and ``{glue}`` roles with what its page shows.

        The page shows them in the order of the source, without their keys, so
        ``markdown_cells`` must be the chapter's Markdown exactly as the reader's
        edition renders it. Afterwards each key (each glue role) has its text, and any
        subset of the cells can be rewritten in any order.
        """
        roles = [m for source in markdown_cells for m in _ROLE.finditer(source)]
        keys = [
            key.strip()
            for m in roles
            if m["role"].startswith("cite")
            for key in m["body"].split(",")
            if key.strip()
        ]
        shown = self.index.citations.get(self.doc, [])
        if len(keys) != len(shown):
            self.problems.append(
                f"{len(keys)} cited keys in the source but {len(shown)} citations in the page"
            )
        else:
            for key, cite in zip(keys, shown, strict=True):
                self._cite_keys.setdefault(key, cite)
        glued = [m[0] for m in roles if m["role"] in _GLUE_ROLES or m["role"].startswith("glue:")]
        values = self.index.glued.get(self.doc, [])
        if len(glued) != len(values):
            self.problems.append(
                f"{len(glued)} glue roles in the source but {len(values)} glued values in the page"
            )
        else:
            for role, value in zip(glued, values, strict=True):
                self._glue_values.setdefault(role, value)

    # -- Markdown ---------------------------------------------------------------------------

    def _equation(self, match: re.Match) -> str:
        _, number = self._lookup(self.index.equations, "equation-" + make_id(match["label"]), "eq")
        body = match["body"].rstrip()
        if number is None:
            return f"$${body}\n$$"
        return f"$${body}\n\\tag{{{number}}}\n$$"

    def _directive(self, match: re.Match) -> str:
        name, args = match["name"], match["args"].strip()
        if name == "math":  # a display equation, numbered when it has a :label:
            label = re.search(r"^:label:[ \t]*(\S+)", match["body"], re.MULTILINE)
            body = _OPTION.sub("", match["body"]).strip("\n")
            if label is None:
                return f"$$\n{body}\n$$"
            _, number = self._lookup(self.index.equations, "equation-" + make_id(label[1]), "eq")
            return f"$$\n{body}\n\\tag{{{number}}}\n$$" if number else f"$$\n{body}\n$$"
        title = args or name.replace("-", " ").capitalize()
        body = self.markdown(_OPTION.sub("", match["body"]).strip("\n"))
        quoted = "\n".join(f"> {line}" if line else ">" for line in body.split("\n"))
        return f"> **{title}**\n>\n{quoted}"

    def _link(self, match: re.Match) -> str:
        found = self._link_target(match["target"])
        if found is None:
            return match[0]
        doc, anchor = found
        if doc == self.doc:
            return match["text"]
        return self._elsewhere(match["text"], doc, anchor)

    def markdown(self, source: str) -> str:
        """The plain-Markdown version of one Markdown cell."""
        source = _DIRECTIVE.sub(self._directive, source)
        source = _LABEL_LINE.sub("", source)
        source = _DISPLAY_MATH.sub(self._equation, source)
        source = _ROLE.sub(self._role, source)
        return _LINK.sub(self._link, source)

    def caption_cell(self, cell) -> dict | None:
        """A caption under a figure's code cell, numbered as in the web book."""
        figure = cell.get("metadata", {}).get("mystnb", {}).get("figure", {})
        name = figure.get("name")
        if not name or make_id(name) not in self.index.figure_words:
            return None
        words = self.index.figure_words[make_id(name)]
        caption = self.markdown(figure.get("caption", "")).strip()
        return nbformat.v4.new_markdown_cell(f"**{words}.** {caption}")

    def references_cell(self) -> dict | None:
        if not self.cited:
            return None
        lines = ["## References", ""]
        lines += [f"- {full}" for _, full in sorted(self.cited.items(), key=lambda kv: kv[1])]
        if self.book_url:
            lines += ["", f"All the works the book cites: {self._url('book/references')}."]
        return nbformat.v4.new_markdown_cell("\n".join(lines))


def plain_notebook(
    reader_nb, doc: str, index: BookIndex, book_url: str | None = None, student_nb=None
):
    """A copy of a chapter notebook whose Markdown reads right in any Jupyter.

    ``reader_nb`` is the chapter as the reader's edition shows it: its Markdown is
    paired with the built page (citations, glued values). ``student_nb`` (default:
    the same notebook) is the one rewritten, typically the chapter with the cells
    and blocks that students must not see already removed.
    """
    handout = Handout(index, doc, book_url)
    handout.pair_with_page([c.source for c in reader_nb.cells if c.cell_type == "markdown"])
    nb = copy.deepcopy(reader_nb if student_nb is None else student_nb)
    cells = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = handout.markdown(cell.source)
        cells.append(cell)
        if cell.cell_type == "code":
            caption = handout.caption_cell(cell)
            if caption is not None:
                cells.append(caption)
    references = handout.references_cell()
    if references is not None:
        cells.append(references)
    nb.cells = cells
    if handout.problems:
        raise SystemExit(
            f"{doc}: the student copy cannot take these from the built reader's edition "
            f"(rebuild it with `make book`):\n  " + "\n  ".join(handout.problems)
        )
    return nb


RAW_MYST = re.compile(
    r"\{(eq|numref|ref|cite|cite:[a-z]+|doc|glue[:\w]*)\}`|^\([\w.:-]+\)=|\$\$[ \t]*\([\w.:-]+\)"
    r"|^(:{3,}|`{3,})[ \t]*\{",
    re.MULTILINE,
)


def raw_myst(markdown: str) -> list[str]:
    """The pieces of MyST markup left in a Markdown text (none in a student copy)."""
    return [m.group(0) for m in RAW_MYST.finditer(markdown)]
