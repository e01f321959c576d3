"""Plotting helpers shared by the chapters (the only module that imports matplotlib).

Import it explicitly, ``from lossutils import plotting``; ``import lossutils``
alone never loads matplotlib. Every helper returns the ``Axes`` it drew on, so
a chapter can add to the figure before ``plt.show()``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from numpy.typing import ArrayLike

__all__ = ["heatmap", "plot_curves", "shade_band", "use_book_style"]

# A colour-blind-safe cycle (Okabe and Ito), used for every curve in the book.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]


def use_book_style() -> None:
    """Set the figure style of the book: size, fonts, grid, colours, fixed DPI.

    Call it once at the top of a chapter. The settings are plain
    ``matplotlib.rcParams``, so a figure looks the same on every machine.

    Examples
    --------
    >>> use_book_style()
    >>> mpl.rcParams["figure.dpi"]
    100.0
    """
    mpl.rcParams.update(
        {
            "figure.figsize": (6.4, 3.6),
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "font.size": 10,
            "axes.titlesize": 11,
            "axes.labelsize": 10,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.prop_cycle": mpl.cycler(color=PALETTE),
            "legend.frameon": False,
            "lines.linewidth": 2.0,
        }
    )


def plot_curves(
    x: ArrayLike,
    curves: Mapping[str, ArrayLike],
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    ax: plt.Axes | None = None,
    logy: bool = False,
    styles: Mapping[str, str] | None = None,
) -> plt.Axes:
    """Plot several curves over the same ``x``, with a legend, a title and labelled axes.

    Parameters
    ----------
    x : array_like
        Shared horizontal coordinates.
    curves : mapping of str to array_like
        Legend label to y values.
    title, xlabel, ylabel : str
        Required: every figure in the book has all three.
    ax : matplotlib Axes, optional
        Where to draw; a new figure by default.
    logy : bool, optional
        Logarithmic vertical axis.
    styles : mapping of str to str, optional
        Matplotlib format strings (``"--"``, ``":"``) by label.

    Examples
    --------
    >>> x = np.linspace(-5, 5, 11)
    >>> ax = plot_curves(x, {"x^2": x**2}, title="A parabola", xlabel="x", ylabel="y")
    >>> ax.get_title()
    'A parabola'
    >>> plt.close(ax.figure)
    """
    if ax is None:
        _, ax = plt.subplots()
    styles = styles or {}
    for label, y in curves.items():
        ax.plot(x, y, styles.get(label, "-"), label=label)
    if logy:
        ax.set_yscale("log")
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.legend()
    return ax


def shade_band(
    ax: plt.Axes, start: float, stop: float, *, label: str | None = None, color: str = "0.85"
) -> plt.Axes:
    """Shade the vertical band ``start <= x <= stop`` (a saturated region, say).

    Examples
    --------
    >>> fig, ax = plt.subplots()
    >>> _ = shade_band(ax, 9.2, 10.0, label="saturated")
    >>> plt.close(fig)
    """
    ax.axvspan(start, stop, color=color, alpha=0.6, label=label, zorder=0)
    return ax


def heatmap(
    matrix: ArrayLike,
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    xticklabels: Sequence[str] | None = None,
    yticklabels: Sequence[str] | None = None,
    fmt: str = "{:.3f}",
    ax: plt.Axes | None = None,
    cmap: str = "RdBu_r",
) -> plt.Axes:
    """Draw a matrix as coloured cells with its values written in, centred on zero.

    The colour scale is symmetric about 0, so positive and negative entries
    (the diagonal and off-diagonal of a softmax Jacobian, say) read at a glance.

    Examples
    --------
    >>> ax = heatmap(np.eye(2), title="Identity", xlabel="column", ylabel="row")
    >>> len(ax.texts)
    4
    >>> plt.close(ax.figure)
    """
    m = np.asarray(matrix, dtype=float)
    if ax is None:
        _, ax = plt.subplots(figsize=(4.2, 3.6))
    limit = float(np.max(np.abs(m))) or 1.0
    image = ax.imshow(m, cmap=cmap, vmin=-limit, vmax=limit)
    for (i, j), value in np.ndenumerate(m):
        shade = "white" if abs(value) > 0.6 * limit else "black"
        ax.text(j, i, fmt.format(value), ha="center", va="center", color=shade)
    ax.set_xticks(range(m.shape[1]), xticklabels or [str(j) for j in range(m.shape[1])])
    ax.set_yticks(range(m.shape[0]), yticklabels or [str(i) for i in range(m.shape[0])])
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.grid(False)
    ax.figure.colorbar(image, ax=ax, shrink=0.8)
    return ax
