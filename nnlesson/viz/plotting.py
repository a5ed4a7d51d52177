"""Plot helpers shared by every lesson: palette, figure creation, PNG rendering, alt text.

matplotlib is imported inside the functions, so ``import nnlesson`` stays light. Figures are
created with ``matplotlib.figure.Figure`` (no pyplot state), kept by the experiment, and updated
by changing their artists; ``png_bytes`` renders one for an ``ipywidgets.Image`` or ``show``.

**Sizes.** :func:`figure` makes a figure in pixels, at the size it is shown (one PNG pixel is
one CSS pixel: nothing is stretched), with text of at least :data:`TEXT_PX` pixels, which a
projector at 1280x720 still shows legibly. :func:`new_figure` (inches at 80 dpi, small text)
is the older helper, kept until every lesson is ported.

**Alt text.** Every figure a student or a deck sees says what it shows:
``show(fig, alt="...")``, or the function that made the figure attaches its description with
:func:`describe` and ``show(fig)`` finds it. The picture is displayed as an HTML ``<img
alt=...>`` next to the PNG (the only form that keeps the alt text in JupyterLab and in
nbconvert's HTML and slides).

Colours are the Okabe-Ito palette, which stays distinguishable with the common forms of colour
blindness; series also differ in line style and marker, so colour is never the only cue.
"""
from __future__ import annotations

import functools
import io
import math

import numpy as np

__all__ = ["PALETTE", "LINESTYLES", "MARKERS", "PX_PER_INCH", "TEXT_PX", "TITLE_PX", "FONT_PX_KEY",
           "series_style", "figure", "empty_figure", "text_style", "new_figure", "freeze_layout",
           "label_axes", "readable", "smallest_text_px", "describe", "alt_text", "png_bytes",
           "image_bundle", "figure_size", "show", "trailing_mean", "nearest_on_log_grid",
           "Backdrop", "stamp_text"]

# Okabe & Ito (2008), "Color Universal Design".
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 3)), (0, (8, 3)))
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")

DPI = 80  # the older new_figure(): small PNGs, small text
#: Resolution of :func:`figure`: a size in pixels divided by this is the size in inches.
PX_PER_INCH = 100
#: The smallest text in a figure, in pixels at the size the figure is shown (a projector showing
#: 1280x720 needs about 14 px); titles are a little larger.
TEXT_PX = 14
TITLE_PX = 16


def series_style(i):
    """Colour, line style and marker for the i-th series (cycling), as keyword arguments."""
    k = i % len(PALETTE)
    return {"color": PALETTE[k], "linestyle": LINESTYLES[k], "marker": MARKERS[k], "markevery": 0.1}


def _pt(px, dpi=PX_PER_INCH):
    """A font size in points that is ``px`` pixels tall at ``dpi``."""
    return px * 72.0 / dpi


def figure(size=(880, 380), ncols=1, nrows=1, **subplot_kw):
    """A figure drawn at the size it is shown, with text a projector can show, and its axes.

    Args:
        size: ``(width, height)`` in pixels: the PNG's size and the size it is displayed at.
            An explorer (figure and controls) fits a 1366x768 screen with JupyterLab's file
            browser open when the figure is at most 900 pixels wide.
        ncols, nrows: a grid of axes (laid out by matplotlib's constrained layout).
        subplot_kw: passed to each Axes (e.g. ``projection``).

    Returns:
        ``(fig, axes)``: ``axes`` is one Axes when ``ncols == nrows == 1``, else an array. The
        figure is not attached to pyplot (notebooks never show it twice). Tick labels are
        :data:`TEXT_PX` pixels; :func:`label_axes` writes titles of :data:`TITLE_PX`;
        :func:`readable` raises any smaller text before the figure is shown.
    """
    import matplotlib

    fig = empty_figure(size)
    with matplotlib.rc_context(text_style()):
        axes = fig.subplots(nrows, ncols, squeeze=True, subplot_kw=subplot_kw or None)
    for ax in np.ravel(axes):
        ax.tick_params(labelsize=_pt(TEXT_PX))
    return fig, axes


def empty_figure(size):
    """A figure of ``size = (width, height)`` pixels without axes (see :func:`figure`)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from nnlesson._validate import check_int

    if not isinstance(size, (tuple, list)) or len(size) != 2:
        raise ValueError(f"size must be (width, height) in pixels, got {size!r}")
    width = check_int("size[0] (width in pixels)", size[0], low=50, high=4000)
    height = check_int("size[1] (height in pixels)", size[1], low=50, high=4000)
    fig = Figure(figsize=(width / PX_PER_INCH, height / PX_PER_INCH), dpi=PX_PER_INCH,
                 layout="constrained")
    FigureCanvasAgg(fig)
    fig._nnlesson_readable = True  # readable() applies before it is shown
    return fig


def text_style():
    """matplotlib settings (``rc_context``) that make new text :data:`TEXT_PX` pixels."""
    text = _pt(TEXT_PX)
    return {"font.size": text, "axes.titlesize": _pt(TITLE_PX), "axes.labelsize": text,
            "xtick.labelsize": text, "ytick.labelsize": text, "legend.fontsize": text,
            "legend.title_fontsize": text, "figure.titlesize": _pt(TITLE_PX)}


def _texts(fig):
    """The visible, non-empty texts of a figure (titles, labels, tick labels, legends, notes)."""
    from matplotlib.text import Text

    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def readable(fig, min_px=TEXT_PX, *, draw=True):
    """Raise every text of ``fig`` smaller than ``min_px`` pixels to ``min_px``; return ``fig``.

    A figure from :func:`figure` passes through this before it is shown (:func:`show`, the
    explorers), so that a ``fontsize=8`` left in a lesson cannot make a label unreadable on a
    projector. Tick labels created later (new limits) get the size too. ``draw=False`` skips
    the draw that first creates the tick labels (when the caller draws right after).
    """
    if draw:
        fig.canvas.draw()  # creates the tick labels, so that they are raised as well
    floor = min_px * 72.0 / fig.dpi
    for text in _texts(fig):
        if text.get_fontsize() < floor - 1e-9:
            text.set_fontsize(floor)
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for which in ("major", "minor"):
                ticks = axis.get_major_ticks() if which == "major" else axis.get_minor_ticks()
                if ticks and ticks[0].label1.get_fontsize() < floor - 1e-9:
                    axis.set_tick_params(which=which, labelsize=floor)
    return fig


def smallest_text_px(fig):
    """The smallest font size among the figure's visible texts, in pixels at natural size."""
    fig.canvas.draw()
    sizes = [t.get_fontsize() * fig.dpi / 72.0 for t in _texts(fig)]
    return min(sizes) if sizes else math.inf


def new_figure(ncols=1, nrows=1, *, width=6.4, height=4.0, **subplot_kw):
    """A figure not attached to pyplot (so notebooks never show it twice) and its axes.

    The older helper (inches at 80 dpi, text about 9 px): new code uses :func:`figure`.
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
    readable_figure = getattr(ax.figure, "_nnlesson_readable", False)
    ax.set_title(title, fontsize=_pt(TITLE_PX) if readable_figure else 10)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


#: The PNG text chunk in which :func:`png_bytes` records the smallest font size drawn, in pixels
#: of the PNG (the slide builder keeps a figure large enough for it to stay legible).
FONT_PX_KEY = "nnlesson-min-font-px"


def png_bytes(fig):
    """Render a figure to PNG bytes: an Agg draw, then a fast PNG encoding (no timestamps).

    The PNG records its smallest font size in pixels (text chunk :data:`FONT_PX_KEY`): that of
    the visible texts, or, for a figure whose static texts a :class:`Backdrop` painted once, the
    size :func:`smallest_text_px` measured before (``fig._nnlesson_min_font_px``).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image, PngImagePlugin

    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    smallest = getattr(fig, "_nnlesson_min_font_px", None)
    if smallest is None:
        sizes = [t.get_fontsize() * fig.dpi / 72.0 for t in _texts(fig)]
        smallest = min(sizes) if sizes else None
    info = PngImagePlugin.PngInfo()
    if smallest is not None:
        info.add_text(FONT_PX_KEY, f"{smallest:.2f}")
    buf = io.BytesIO()
    # compress_level=1: a quarter faster than the default and only slightly larger
    Image.fromarray(np.asarray(canvas.buffer_rgba())).save(buf, format="png", compress_level=1,
                                                           pnginfo=info)
    return buf.getvalue()


def describe(fig, alt):
    """Attach alt text to ``fig`` (what the plot shows, for a reader who cannot see it).

    A function that makes a figure describes it, so that ``show(fig)`` needs no ``alt``. Say
    what is plotted and what to notice ("Left: the paths of plain gradient descent at
    learning rates 0.01 and 0.07 on the ravine's contours: the first crawls, the second
    zig-zags; right: their loss per step"), not "a figure". Returns ``fig``.
    """
    fig._nnlesson_alt = _check_alt(alt)
    return fig


def alt_text(fig):
    """The alt text attached with :func:`describe`, or None."""
    return getattr(fig, "_nnlesson_alt", None)


def _check_alt(alt):
    if not isinstance(alt, str) or len(alt.strip()) < 10:
        raise ValueError("alt must be a sentence saying what the plot shows (at least 10 "
                         f"characters), got {alt!r}")
    return " ".join(alt.split())


def image_bundle(png, alt, *, size=None, html_before=""):
    """A display bundle that shows a PNG with alt text everywhere.

    ``{"text/html": '<img src="data:image/png;base64,..." alt="...">', "image/png": ...,
    "text/plain": alt}``: JupyterLab (trusted or not) and nbconvert show the HTML, whose
    ``<img>`` keeps the alt text (they ignore alt text given any other way); a frontend without
    HTML shows the PNG, a text-only one the description.

    Args:
        png: PNG bytes. alt: what the picture shows.
        size: ``(width, height)`` in pixels: the picture is shown at this size (never
            stretched; narrower when the page is narrower).
        html_before: HTML placed before the picture (e.g. a notice).
    """
    import base64
    import html

    alt = _check_alt(alt)
    data = base64.b64encode(png).decode("ascii")
    dims = "" if size is None else f' width="{int(size[0])}" height="{int(size[1])}"'
    img = (f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt, quote=True)}"'
           f'{dims} style="max-width:100%;height:auto">')
    return {"text/html": html_before + img, "image/png": data, "text/plain": alt}


def figure_size(fig):
    """``(width, height)`` of the figure's PNG in pixels."""
    width, height = fig.get_size_inches() * fig.dpi
    return int(round(width)), int(round(height))


def show(fig, alt=None):
    """Display a figure in a notebook with alt text, at the size it was made.

    Args:
        fig: a matplotlib Figure.
        alt: what the plot shows; default the text the figure's function attached
            (:func:`describe`).

    The output is :func:`image_bundle`'s HTML + PNG + text. A figure without any alt text is
    shown as a bare PNG, the way every figure was shown before alt text existed; the lessons
    that still do so are listed in ``tests/test_plotting.py`` until they are ported.
    """
    from IPython.display import Image, display

    alt = alt_text(fig) if alt is None else alt
    if alt is None:
        display(Image(data=png_bytes(fig), format="png"))
        return
    alt = _check_alt(alt)
    if getattr(fig, "_nnlesson_readable", False):
        readable(fig)
    display(image_bundle(png_bytes(fig), alt, size=figure_size(fig)), raw=True)


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
    the axes (and the figure's own texts and legends), and draws the picture behind the dynamic
    artists from then on: a redraw becomes about three times cheaper.

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
        keep = {id(a) for a in self.dynamic} | {id(self.artist)}
        figure_level = [*self.figure.texts, *self.figure.legends, *self.figure.artists]
        for child in [c for ax in self.figure.axes for c in ax.get_children()] + figure_level:
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
