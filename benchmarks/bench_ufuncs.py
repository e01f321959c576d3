"""The NumPy operations the loss layers rely on, timed against one np.exp pass.

The layers' design rests on a few measurements: which ufuncs are cheap, which
are not, and what to use instead. This script prints each as a multiple of the
time of one ``np.exp`` pass over the same array, for a block of rows the size
the layers use (1 MiB) and for the whole N x C array, in float32 and float64.

What the layers do because of these numbers:

* ``np.copysign`` -> two integer ufuncs on the sign bit (``_copysign_in_place``);
* ``np.where`` with a random mask -> arithmetic with a 0/1 array;
* ``np.greater_equal`` into a bool array, then ``np.copyto`` into floats, for the
  step function (``np.heaviside`` is far slower);
* blocks of rows, so the chain of ufuncs on one block stays in the CPU cache.

Run: ``python benchmarks/bench_ufuncs.py [--n 4096] [--c 1000]``
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def median_seconds(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def operations(z, t, out, mask):
    uint = np.uint32 if z.dtype == np.float32 else np.uint64
    sign_bit = uint(1) << uint(8 * z.itemsize - 1)
    q = np.exp(-np.abs(z))
    return {
        "np.exp": lambda: np.exp(z, out=out),
        "np.log1p": lambda: np.log1p(q, out=out),
        "np.add (array, scalar)": lambda: np.add(q, 1.0, out=out),
        "np.subtract (array, array)": lambda: np.subtract(z, t, out=out),
        "np.divide (array, array)": lambda: np.divide(q, t + 1.0, out=out),
        "np.abs": lambda: np.abs(z, out=out),
        "np.copysign (array, array)": lambda: np.copysign(q, z, out=out),
        "sign bit: bitwise_and + bitwise_or": lambda: (
            np.bitwise_and(z.view(uint), sign_bit, out=out.view(uint)),
            np.bitwise_or(q.view(uint), out.view(uint), out=out.view(uint)),
        ),
        "np.where (random mask)": lambda: np.where(mask, z, t),
        "np.heaviside": lambda: np.heaviside(z, 1.0, out=out),
        "greater_equal -> bool, copyto float": lambda: (
            np.greater_equal(z, 0, out=mask),
            np.copyto(out, mask),
        ),
        "np.maximum (array, 0)": lambda: np.maximum(z, 0, out=out),
        "sum over rows": lambda: z.sum(axis=1),
        "argmax over rows": lambda: z.argmax(axis=1),
        "subtract a column (z - zmax[:, None])": lambda: np.subtract(z, z[:, :1], out=out),
        "np.vecdot over rows": lambda: np.vecdot(z, t),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4096)
    parser.add_argument("--c", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    print(f"numpy {np.__version__}; times relative to one np.exp pass over the same array\n")
    for dtype in (np.float32, np.float64):
        block_rows = max(1, (1 << 20) // (args.c * np.dtype(dtype).itemsize))
        header = f"{np.dtype(dtype).name:<38}{'block of ' + str(block_rows) + ' rows':>18}"
        print(header + f"{'whole ' + str(args.n) + ' x ' + str(args.c):>18}")
        results = {}
        for label, rows in (("block", block_rows), ("whole", args.n)):
            z = (3 * rng.standard_normal((rows, args.c))).astype(dtype)
            t = (rng.random((rows, args.c)) < 0.05).astype(dtype)
            out, mask = np.empty_like(z), z > 0
            ops = operations(z, t, out, mask)
            base = median_seconds(ops["np.exp"], args.repeats)
            for name, fn in ops.items():
                results.setdefault(name, {})[label] = median_seconds(fn, args.repeats) / base
        for name, ratios in results.items():
            print(f"  {name:<36}{ratios['block']:17.2f}x{ratios['whole']:17.2f}x")
        print()


if __name__ == "__main__":
    main()
