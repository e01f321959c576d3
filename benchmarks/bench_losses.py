"""Speed and memory of forward + backward, lossutils against its baselines, in one run.

For N = 4096 samples and C = 1000 classes, in float32 and float64, each
implementation computes the mean loss and its gradient with respect to the
logits. The script prints medians and, since a laptop or CI machine is noisy,
the ratios that matter: lossutils against the seed article's approach and
against PyTorch on one CPU thread (when ``torch`` is installed:
``pip install torch==2.13.0``). It also prints the peak extra memory of one
call, as a multiple of the size of the logits, with the returned gradient
counted (measured with tracemalloc, which sees NumPy's allocations; PyTorch's
are invisible to it, so its column says n/a).

Targets (issue 2): softmax CE at most 1.3x PyTorch's time, sigmoid CE at most
1.5x, both at least 2x faster than the seed-style code, peak memory at most 3x.
A second table times the options of issue 8 (class weights, ignored rows,
label smoothing, probability rows, ``pos_weight``) against the same options in
PyTorch, one thread (target: at most 1.5x).

With ``--block-sweep`` it instead times lossutils alone for several sizes of
the row blocks its layers work on (``lossutils.losses.BLOCK_BYTES``), relative
to the default of 1 MiB.

Run: ``python benchmarks/bench_losses.py [--repeats 15] [--n 4096] [--c 1000] [--block-sweep]
[--skip-options]``
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc

import numpy as np

import lossutils
import lossutils.losses
from lossutils.naive import seed_sigmoid_cross_entropy, seed_softmax_cross_entropy

try:
    import torch
except ImportError:  # the benchmark still runs, without the PyTorch column
    torch = None


# ---- the implementations: each returns (loss, gradient) --------------------


def lossutils_sigmoid(z, t):
    return lossutils.sigmoid_cross_entropy(z, t)


def lossutils_softmax(z, labels, onehot):
    return lossutils.softmax_cross_entropy(z, labels)


def seed_sigmoid(z, t):
    return seed_sigmoid_cross_entropy(z, t)


def seed_softmax(z, labels, onehot):
    return seed_softmax_cross_entropy(z, onehot)


def plain_sigmoid(z, t):
    """Stable, written the obvious way: softplus via logaddexp, no care for memory."""
    n = z.shape[0]
    loss = np.sum(np.logaddexp(0, z) - z * t) / n
    p = np.where(
        z >= 0, 1 / (1 + np.exp(-np.abs(z))), np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z)))
    )
    return loss, (p - t) / n


def plain_softmax(z, labels, onehot):
    """Stable, written the obvious way: max subtracted, log-softmax, p - t."""
    n = z.shape[0]
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_p[np.arange(n), labels].sum() / n
    return loss, (np.exp(log_p) - onehot) / n


def torch_sigmoid(z, t):
    x = torch.from_numpy(z).requires_grad_(True)
    loss = (
        torch.nn.functional.binary_cross_entropy_with_logits(
            x, torch.from_numpy(t), reduction="sum"
        )
        / z.shape[0]
    )
    loss.backward()
    return loss.item(), x.grad.numpy()


def torch_softmax(z, labels, onehot):
    x = torch.from_numpy(z).requires_grad_(True)
    loss = torch.nn.functional.cross_entropy(x, torch.from_numpy(labels))
    loss.backward()
    return loss.item(), x.grad.numpy()


# ---- the options of issue 8, each as (lossutils call, the same call in PyTorch) ----


def option_cases(rng, n, c, dtype):
    """Name -> (data, lossutils function, torch function) for each option set."""
    z = (3 * rng.standard_normal((n, c))).astype(dtype)
    labels = rng.integers(0, c, size=n)
    padded = labels.copy()
    padded[::10] = -100
    omega = rng.uniform(0.5, 2.0, size=c).astype(dtype)
    soft = rng.dirichlet(np.ones(c), size=n).astype(dtype)
    multi = (rng.random((n, c)) < 0.05).astype(dtype)
    pos = rng.uniform(1.0, 5.0, size=c).astype(dtype)
    F = torch.nn.functional if torch is not None else None

    def softmax_case(targets, **options):
        def ours(z):
            return lossutils.softmax_cross_entropy(z, targets, **options)

        def theirs(z):
            x = torch.from_numpy(z).requires_grad_(True)
            kwargs = {
                k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v
                for k, v in options.items()
            }
            loss = F.cross_entropy(x, torch.from_numpy(targets), **kwargs)
            loss.backward()
            return loss.item(), x.grad.numpy()

        return ours, theirs

    def sigmoid_case(**options):
        def ours(z):
            return lossutils.sigmoid_cross_entropy(z, multi, **options)

        def theirs(z):
            x = torch.from_numpy(z).requires_grad_(True)
            kwargs = {k: torch.from_numpy(v) for k, v in options.items()}
            loss = (
                F.binary_cross_entropy_with_logits(
                    x, torch.from_numpy(multi), reduction="sum", **kwargs
                )
                / z.shape[0]
            )
            loss.backward()
            return loss.item(), x.grad.numpy()

        return ours, theirs

    cases = {
        "softmax, class weights": softmax_case(labels, weight=omega),
        "softmax, ignore_index": softmax_case(padded, ignore_index=-100),
        "softmax, smoothing 0.1": softmax_case(labels, label_smoothing=0.1),
        "softmax, all three": softmax_case(
            padded, weight=omega, ignore_index=-100, label_smoothing=0.1
        ),
        "softmax, soft rows + w": softmax_case(soft, weight=omega, label_smoothing=0.1),
        "sigmoid, pos_weight": sigmoid_case(pos_weight=pos),
        "sigmoid, weight + pos": sigmoid_case(weight=omega, pos_weight=pos),
    }
    return z, cases


def options_table(n: int, c: int, repeats: int) -> None:
    """lossutils with each option set against PyTorch with the same options, one thread."""
    rng = np.random.default_rng(1)
    print(f"\noptions, forward + backward, N = {n}, C = {c}, median of {repeats} runs\n")
    header = (
        f"{'case':<26}{'dtype':<9}{'lossutils':>11}{'torch':>9}{'vs torch':>10}{'max|dgrad|':>12}"
    )
    print(header)
    print("-" * len(header))
    for dtype in (np.float32, np.float64):
        z, cases = option_cases(rng, n, c, dtype)
        for name, (ours, theirs) in cases.items():
            ms = median_ms({"ours": ours, "theirs": theirs}, (z,), repeats)
            diff = np.max(np.abs(ours(z)[1] - theirs(z)[1]))
            print(
                f"{name:<26}{np.dtype(dtype).name:<9}{ms['ours']:11.1f}{ms['theirs']:9.1f}"
                f"{ms['ours'] / ms['theirs']:9.2f}x{diff:12.1e}"
            )
    print("\n'vs torch' = lossutils time / torch time (lower is better; target at most 1.5x)")


# ---- measurement -----------------------------------------------------------


def median_ms(fns: dict, args: tuple, repeats: int) -> dict[str, float]:
    """Median wall time of each function; runs interleaved so drift hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for fn in fns.values():  # warm-up
        fn(*args)
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn(*args)
            times[name].append(time.perf_counter() - start)
    return {name: 1e3 * statistics.median(ts) for name, ts in times.items()}


def peak_memory_ratio(fn, args: tuple, logits: np.ndarray) -> float:
    """Peak bytes NumPy allocates during one call, over the size of the logits."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    result = fn(*args)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del result
    return peak / logits.nbytes


def max_difference(results: dict) -> str:
    """Largest disagreement in loss and gradient against lossutils, as a sanity check."""
    ref_loss, ref_grad = results["lossutils"]
    parts = []
    for name, (loss, grad) in results.items():
        if name != "lossutils":
            parts.append(
                f"{name}: |dloss| {abs(float(loss) - float(ref_loss)):.1e}, "
                f"max|dgrad| {np.max(np.abs(grad - ref_grad)):.1e}"
            )
    return "; ".join(parts)


def block_sweep(n: int, c: int, repeats: int) -> None:
    """lossutils forward + backward for several block sizes, relative to the default."""
    default = lossutils.losses.BLOCK_BYTES
    sizes = [1 << k for k in (16, 18, 20, 22, 24, 28)]
    rng = np.random.default_rng(0)
    print(f"lossutils forward + backward, N = {n}, C = {c}: time / time with 1 MiB blocks\n")
    print(f"{'loss':<12}{'dtype':<9}" + "".join(f"{s // 1024:>9} KiB" for s in sizes))
    for kind in ("softmax", "sigmoid"):
        for dtype in (np.float32, np.float64):
            z = (3 * rng.standard_normal((n, c))).astype(dtype)
            if kind == "softmax":
                data, fn = (z, rng.integers(0, c, size=n), None), lossutils_softmax
            else:
                data, fn = (z, (rng.random((n, c)) < 0.05).astype(dtype)), lossutils_sigmoid
            times = {}
            for _ in range(repeats):  # interleave the sizes so drift hits all alike
                for size in sizes:
                    lossutils.losses.BLOCK_BYTES = size
                    start = time.perf_counter()
                    fn(*data)
                    times.setdefault(size, []).append(time.perf_counter() - start)
            lossutils.losses.BLOCK_BYTES = default
            base = statistics.median(times[1 << 20])
            ratios = "".join(f"{statistics.median(times[s]) / base:12.2f}x" for s in sizes)
            print(f"{kind + ' CE':<12}{np.dtype(dtype).name:<9}{ratios}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4096)
    parser.add_argument("--c", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--block-sweep", action="store_true")
    parser.add_argument("--skip-options", action="store_true", help="no table of the options")
    args = parser.parse_args()
    if args.block_sweep:
        block_sweep(args.n, args.c, args.repeats)
        return

    if torch is not None:
        torch.set_num_threads(1)
    print(f"numpy {np.__version__}, torch {torch.__version__ if torch else 'not installed'}")
    print(f"forward + backward, N = {args.n}, C = {args.c}, median of {args.repeats} runs\n")

    rng = np.random.default_rng(0)
    header = (
        f"{'loss':<12}{'dtype':<9}{'lossutils':>11}{'seed-style':>12}{'plain':>9}{'torch':>9}"
        f"{'vs seed':>10}{'vs torch':>10}{'memory':>9}{'seed mem':>10}"
    )
    print(header)
    print("-" * len(header))
    notes = []
    for kind in ("softmax", "sigmoid"):
        for dtype in (np.float32, np.float64):
            z = (3 * rng.standard_normal((args.n, args.c))).astype(dtype)
            if kind == "softmax":
                labels = rng.integers(0, args.c, size=args.n)
                onehot = lossutils.one_hot(labels, args.c).astype(dtype)
                data = (z, labels, onehot)
                fns = {"lossutils": lossutils_softmax, "seed": seed_softmax, "plain": plain_softmax}
                if torch is not None:
                    fns["torch"] = torch_softmax
            else:
                t = (rng.random((args.n, args.c)) < 0.05).astype(dtype)
                data = (z, t)
                fns = {"lossutils": lossutils_sigmoid, "seed": seed_sigmoid, "plain": plain_sigmoid}
                if torch is not None:
                    fns["torch"] = torch_sigmoid
            ms = median_ms(fns, data, args.repeats)
            mem = peak_memory_ratio(fns["lossutils"], data, z)
            seed_mem = peak_memory_ratio(fns["seed"], data, z)
            torch_ms = f"{ms['torch']:9.1f}" if "torch" in ms else f"{'n/a':>9}"
            vs_torch = f"{ms['lossutils'] / ms['torch']:9.2f}x" if "torch" in ms else f"{'n/a':>10}"
            print(
                f"{kind + ' CE':<12}{np.dtype(dtype).name:<9}{ms['lossutils']:11.1f}"
                f"{ms['seed']:12.1f}{ms['plain']:9.1f}{torch_ms}"
                f"{ms['lossutils'] / ms['seed']:9.2f}x{vs_torch}{mem:8.2f}x{seed_mem:9.2f}x"
            )
            results = {name: fn(*data) for name, fn in fns.items()}
            notes.append(f"{kind} {np.dtype(dtype).name}: {max_difference(results)}")
    print(
        "\ntimes in ms; 'vs seed' = lossutils time / seed-style time (lower is better); "
        "'vs torch' = lossutils time / torch time (lower is better);\n"
        "memory = peak extra bytes of one lossutils call / bytes of the logits "
        "(gradient included)."
    )
    print("\nagreement with lossutils (the seed's clipping shows up as a loss difference):")
    for note in notes:
        print("  " + note)
    if torch is not None and not args.skip_options:
        options_table(args.n, args.c, args.repeats)


if __name__ == "__main__":
    main()
