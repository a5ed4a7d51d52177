"""Plot helpers shared by every lesson: palette, figure creation, PNG rendering.

matplotlib is imported inside the functions, so ``import nnlesson`` stays light. Figures are
created with ``matplotlib.figure.Figure`` (no pyplot state), kept by the experiment, and updated
by changing their artists; ``png_bytes`` renders one for an ``ipywidgets.Image`` or ``show``.

Colours are the Okabe-Ito palette, which stays distinguishable with the common forms of colour
blindness; series also differ in line style and marker, so colour is never the only cue.
"""
from __future__ import annotations

import io

__all__ = ["PALETTE", "LINESTYLES", "MARKERS", "series_style", "new_figure", "freeze_layout", "label_axes",
           "png_bytes", "show", "trailing_mean", "nearest_on_log_grid"]

# Okabe & Ito (2008), "Color Universal Design".
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 3)), (0, (8, 3)))
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")

DPI = 80  # small PNGs: a slider redraw re-encodes the whole figure


def series_style(i):
    """Colour, line style and marker for the i-th series (cycling), as keyword arguments."""
    k = i % len(PALETTE)
    return {"color": PALETTE[k], "linestyle": LINESTYLES[k], "marker": MARKERS[k], "markevery": 0.1}


def new_figure(ncols=1, nrows=1, *, width=6.4, height=4.0, **subplot_kw):
    """A figure not attached to pyplot (so notebooks never show it twice) and its axes.

    Returns ``(fig, axes)``; ``axes`` is a single Axes when ``ncols == nrows == 1``.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=True, subplot_kw=subplot_kw or None)
    return fig, axes


def freeze_layout(fig):
    """Lay the figure out once and keep that layout: redraws then skip the layout pass.

    Call it after the figure's artists exist and before the first slider update; it saves
    about a third of every redraw.
    """
    fig.canvas.draw()
    fig.set_layout_engine("none")


def label_axes(ax, *, title, xlabel, ylabel):
    """Every plot says what to look at (title) and what its axes are."""
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


def png_bytes(fig):
    """Render a figure to PNG bytes: an Agg draw, then a fast PNG encoding (no timestamps)."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    buf = io.BytesIO()
    # compress_level=1: a quarter faster than the default and only slightly larger
    Image.fromarray(np.asarray(canvas.buffer_rgba())).save(buf, format="png", compress_level=1)
    return buf.getvalue()


def show(fig):
    """Display a figure in a notebook as a static PNG (used for slides and snapshots)."""
    from IPython.display import Image, display

    display(Image(data=png_bytes(fig), format="png"))


def trailing_mean(y, k=5):
    """Mean over the last ``k`` values (fewer at the start), for smoothing a loss curve.

    Each window is averaged on its own (not with a running sum, which loses everything to
    rounding after a loss of 1e30 on the way to diverging); NaN stays NaN.
    """
    import numpy as np

    y = np.asarray(y, dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.array([y[max(0, i - k + 1):i + 1].mean() for i in range(len(y))])


def nearest_on_log_grid(grid, value):
    """The grid value closest to ``value`` on a log scale (a slider snapping to precomputed runs)."""
    import math

    import numpy as np

    grid = np.asarray(grid, dtype=float)
    return float(grid[np.argmin(np.abs(np.log(grid) - math.log(value)))])
