"""lossutils against its own first release (0.1.0): did 0.2 make the plain losses slower?

The layers of 0.1.0 are taken from the commit that released it (``git archive``,
into a temporary directory), the current ones from this checkout; both run
forward + backward on the same logits, one after the other, in one process.

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
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
V01_COMMIT = "30af92f"  # lossutils 0.1.0, the first edition


def load_lossutils(path: Path):
    """Import the ``lossutils`` found under ``path``, forgetting any other one."""
    for name in [m for m in sys.modules if m == "lossutils" or m.startswith("lossutils.")]:
        del sys.modules[name]
    sys.path.insert(0, str(path))
    try:
        return importlib.import_module("lossutils")
    finally:
        sys.path.remove(str(path))


def median_ms(run, repeats: int) -> float:
    run()  # warm-up: first-touch page faults and caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return float(np.median(times)) * 1e3


def step(layer_class, logits, target):
    """One forward and backward pass of a fresh layer."""
    layer = layer_class()
    layer.forward(logits, target)
    return layer.backward()


def time_layers(lossutils, n: int, c: int, repeats: int) -> dict[tuple[str, str], float]:
    rng = np.random.default_rng(0)
    times = {}
    for dtype in (np.float32, np.float64):
        logits = (3 * rng.standard_normal((n, c))).astype(dtype)
        targets = (rng.random((n, c)) < 0.5).astype(dtype)
        labels = rng.integers(0, c, n)

        name = np.dtype(dtype).name
        softmax = functools.partial(step, lossutils.SoftmaxCrossEntropy, logits, labels)
        sigmoid = functools.partial(step, lossutils.SigmoidCrossEntropy, logits, targets)
        times["softmax CE", name] = median_ms(softmax, repeats)
        times["sigmoid CE", name] = median_ms(sigmoid, repeats)
    return times


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
        old_version = old.__version__
        before = time_layers(old, args.n, args.c, args.repeats)
    new = load_lossutils(ROOT)
    after = time_layers(new, args.n, args.c, args.repeats)

    print(
        f"numpy {np.__version__}; forward + backward, N = {args.n}, C = {args.c}, "
        f"median of {args.repeats} runs"
    )
    print(f"{'loss':12s}{'dtype':9s}{old_version:>10s}{new.__version__:>10s}{'ratio':>9s}")
    for key in before:
        print(
            f"{key[0]:12s}{key[1]:9s}{before[key]:10.1f}{after[key]:10.1f}"
            f"{after[key] / before[key]:8.2f}x"
        )
    print(
        f"times in ms; ratio = {new.__version__} time / {old_version} time "
        "(the issue allows no regression past 1.10x)"
    )


if __name__ == "__main__":
    main()
