"""lossutils against its own first release (0.1.0): did 0.2 make the plain losses slower?

The layers of 0.1.0 are taken from the commit that released it (``git archive``,
into a temporary directory), the current ones from this checkout. Both run
forward + backward on the same logits in one process, interleaved by
``bench_losses.median_ms`` so that drift of the machine hits both alike.

Run: ``python benchmarks/bench_vs_v01.py [--n 4096] [--c 1000] [--repeats 15]``
(needs git and the repository's history).
"""

from __future__ import annotations

import argparse
import functools
import importlib
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from bench_losses import median_ms

ROOT = Path(__file__).resolve().parents[1]
V01_COMMIT = "30af92f"  # lossutils 0.1.0, the first edition


def load_lossutils(path: Path):
    """Import the ``lossutils`` found under ``path``, as a module of its own.

    The package imports nothing inside its functions, so a version loaded
    earlier keeps working after the next one replaces it in ``sys.modules``.
    """
    for name in [m for m in sys.modules if m == "lossutils" or m.startswith("lossutils.")]:
        del sys.modules[name]
    sys.path.insert(0, str(path))
    try:
        return importlib.import_module("lossutils")
    finally:
        sys.path.remove(str(path))


def step(layer_class, logits, target):
    """One forward and backward pass of a fresh layer."""
    layer = layer_class()
    layer.forward(logits, target)
    return layer.backward()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4096)
    parser.add_argument("--c", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", V01_COMMIT, "lossutils"],
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        old = load_lossutils(Path(tmp))
    new = load_lossutils(ROOT)
    versions = (old.__version__, new.__version__)

    print(
        f"numpy {np.__version__}; forward + backward, N = {args.n}, C = {args.c}, "
        f"median of {args.repeats} interleaved runs"
    )
    print(f"{'loss':12s}{'dtype':9s}{versions[0]:>10s}{versions[1]:>10s}{'ratio':>9s}")
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        logits = (3 * rng.standard_normal((args.n, args.c))).astype(dtype)
        targets = {
            "softmax CE": rng.integers(0, args.c, args.n),
            "sigmoid CE": (rng.random((args.n, args.c)) < 0.5).astype(dtype),
        }
        for loss, layer_name in (
            ("softmax CE", "SoftmaxCrossEntropy"),
            ("sigmoid CE", "SigmoidCrossEntropy"),
        ):
            runs = {
                module.__version__: functools.partial(
                    step, getattr(module, layer_name), logits, targets[loss]
                )
                for module in (old, new)
            }
            times = median_ms(runs, (), args.repeats)
            before, after = (times[v] for v in versions)
            print(
                f"{loss:12s}{np.dtype(dtype).name:9s}{before:10.1f}{after:10.1f}"
                f"{after / before:8.2f}x"
            )
    print(
        f"times in ms; ratio = {versions[1]} time / {versions[0]} time "
        "(the issue allows no regression past 1.10x)"
    )


if __name__ == "__main__":
    main()
