"""Execute notebooks in place, top to bottom, so they are committed with fresh outputs.

Usage: python tools/execute_notebooks.py book/01_sigmoid.ipynb [more.ipynb ...]
(no arguments: every notebook under book/). Uses the current Python
environment's kernel, the same one nbval and the book build use.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def execute(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        record_timing=False,  # no timestamps in the committed metadata
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    nbformat.write(nb, path)
    print(f"executed {path}")


def main(argv: list[str]) -> None:
    paths = [Path(a) for a in argv] or sorted(Path("book").glob("*.ipynb"))
    for path in paths:
        execute(path)


if __name__ == "__main__":
    main(sys.argv[1:])
