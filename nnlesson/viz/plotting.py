"""Plot helpers shared by every lesson: palette, figure creation, PNG rendering.

matplotlib is imported inside the functions, so ``import nnlesson`` stays light. Figures are
created with ``matplotlib.figure.Figure`` (no pyplot state), kept by the experiment, and updated
by changing their artists; ``png_bytes`` renders one for an ``ipywidgets.Image`` or ``show``.

Colours are the Okabe-Ito palette, which stays distinguishable with the common forms of colour
blindness; series also differ in line style and marker, so colour is never the only cue.
"""
from __future__ import annotations

import functools
import io

import numpy as np

__all__ = ["PALETTE", "LINESTYLES", "MARKERS", "series_style", "new_figure", "freeze_layout", "label_axes",
           "png_bytes", "show", "trailing_mean", "nearest_on_log_grid", "Backdrop", "stamp_text"]

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
    y = np.asarray(y, dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.array([y[max(0, i - k + 1):i + 1].mean() for i in range(len(y))])


def nearest_on_log_grid(grid, value):
    """The grid value closest to ``value`` on a log scale (a slider snapping to precomputed runs)."""
    import math

    grid = np.asarray(grid, dtype=float)
    return float(grid[np.argmin(np.abs(np.log(grid) - math.log(value)))])


class Backdrop:
    """Paint the parts of a kept figure that a slider does not change once; redraw only what moves.

    Axes, ticks, labels, titles, legends and contours stay the same when a slider moves, yet Agg
    re-renders all of them at every draw (text is most of the cost). A backdrop renders the
    figure once without the ``dynamic`` artists, keeps that picture, hides every other artist of
    the axes, and draws the picture behind the dynamic artists from then on: a redraw becomes
    about three times cheaper.

    ``Backdrop(fig, dynamic)`` paints one picture straight away. A figure with several static
    states (a dropdown that switches the surface, its contours and the axis limits) has one
    picture per *scene*: ``show(scene, prepare)`` runs ``prepare()`` with the static artists
    visible again (set limits, show this scene's contours, retitle), then paints that scene the
    first time and reuses its picture afterwards. While a scene is shown, the axes' limits must
    not change. The figure must be drawn at its own size and dpi (``png_bytes`` does).
    """

    def __init__(self, fig, dynamic, *, scene="static"):
        from matplotlib.artist import Artist

        self.figure = fig
        self.dynamic = list(dynamic)
        self.scene = None
        self._pictures = {}
        self._hidden = []
        backdrop = self

        class Picture(Artist):
            def draw(self, renderer):
                if self.get_visible() and backdrop.scene is not None:
                    gc = renderer.new_gc()
                    renderer.draw_image(gc, 0, 0, backdrop._pictures[backdrop.scene])
                    gc.restore()

        self.artist = Picture()
        self.artist.set_zorder(-10)
        fig.add_artist(self.artist)
        if scene is not None:
            self.show(scene)

    def show(self, scene, prepare=None):
        """Make ``scene`` the picture behind the dynamic artists, painting it if it is new."""
        if scene == self.scene:
            return self
        for artist in self._hidden:
            artist.set_visible(True)
        self._hidden = []
        if prepare is not None:
            prepare()
        if scene not in self._pictures:
            was_visible = [a.get_visible() for a in self.dynamic]
            for artist in self.dynamic:
                artist.set_visible(False)
            self.artist.set_visible(False)
            self.figure.canvas.draw()
            # Agg's draw_image wants the bottom row first
            self._pictures[scene] = np.asarray(self.figure.canvas.buffer_rgba())[::-1].copy()
            for artist, was in zip(self.dynamic, was_visible):
                artist.set_visible(was)
            self.artist.set_visible(True)
        keep = {id(a) for a in self.dynamic}
        for ax in self.figure.axes:
            for child in ax.get_children():
                if id(child) not in keep and child.get_visible():
                    child.set_visible(False)
                    self._hidden.append(child)
        self.scene = scene
        return self


@functools.lru_cache(maxsize=1)
def _stamp_text_class():
    """:class:`matplotlib.text.Text` that rasterizes each distinct string once, then pastes it.

    matplotlib 3.11 lays out and renders text glyph by glyph in Python (about half a
    millisecond per string plus 0.05 ms per glyph); the walk-through shows some 600 glyphs,
    most of them the same as one step before. A ``StampText`` keeps the pixels of every
    (string, colour, position) it has drawn and pastes them with ``draw_image`` next time, so
    a slider move pays only for the texts that changed.
    """
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.text import Text

    class StampText(Text):
        _scratch = {}  # (width, height, dpi) -> a spare renderer to draw one text on

        def draw(self, renderer):
            if not self.get_visible() or not self.get_text() or not isinstance(renderer,
                                                                               RendererAgg):
                return super().draw(renderer)
            x, y = self.get_transform().transform(self.get_unitless_position())
            key = (self.get_text(), self.get_color(), round(x, 2), round(y, 2))
            stamps = self.__dict__.setdefault("_stamps", {})
            if key not in stamps:
                stamps[key] = self._render(renderer)
            x0, y0, rgba = stamps[key]
            gc = renderer.new_gc()
            renderer.draw_image(gc, x0, y0, rgba)
            gc.restore()

        def _render(self, renderer):
            size = (int(renderer.width), int(renderer.height), renderer.dpi)
            scratch = self._scratch.get(size)
            if scratch is None:
                scratch = self._scratch[size] = RendererAgg(*size)
            scratch.clear()
            super().draw(scratch)
            pixels = np.asarray(scratch.buffer_rgba())  # top row first
            ink = pixels[..., 3] > 0  # where the text (and its box) was drawn
            rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
            if rows.size == 0:  # nothing visible (e.g. outside the figure)
                return 0, 0, np.zeros((1, 1, 4), dtype=np.uint8)
            crop = pixels[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
            # draw_image takes the bottom-left corner and wants the bottom row first
            return int(cols[0]), int(size[1] - 1 - rows[-1]), crop[::-1].copy()

    return StampText


def stamp_text(ax, x, y, text, **kwargs):
    """``ax.text`` (data coordinates) whose artist rasterizes each distinct string once.

    For figures that show many texts that change a few at a time (see :func:`_stamp_text_class`).
    """
    artist = _stamp_text_class()(x, y, text, **kwargs)
    ax.add_artist(artist)
    return artist
