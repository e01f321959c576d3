"""The README's training loop runs as printed and does what its comment says."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks(section: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    body = text.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", body, flags=re.S)


def test_the_training_loop_of_using_lossutils_reaches_the_accuracy_it_claims():
    (loop,) = python_blocks("Using `lossutils`")
    assert "about 1.0 after 10 epochs" in loop
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(loop, str(README), "exec"), {})
    assert float(printed.getvalue()) >= 0.99
