"""Lesson 00, the course map: the table of lessons and the loss landscape as a picture.

Two pieces:

* **The lesson list.** :func:`lesson_table` turns the registry :data:`nnlesson.course.LESSONS`
  into a Markdown table with a link to every lesson, exercise and solution notebook.
* **The landscape explorer.** A two-weight loss surface of :mod:`nnlesson.course.surfaces` drawn as
  contours, with the path plain gradient descent takes from a start point at a learning rate:
  :func:`gd_path` (pure compute), :class:`LandscapeExplorer` (the figure, built once),
  :func:`explore_landscape` (sliders) and :func:`snapshot_landscape` /
  :func:`figure_surface_gallery` (static figures for slides).

ipywidgets cannot report a mouse drag on a picture, so the start point is moved with two
sliders, ``start x`` and ``start y``, whose ranges follow the chosen surface.

Gradient descent here is the library's rule ``gd``, ``w = w - lr * g`` (lesson 01), run by the
course's one loop, :func:`nnlesson.course.runner.run` (which also decides when a run has
diverged: ``||w||_2 > 1e6``).
"""
from __future__ import annotations

import math

import numpy as np

from nnlesson._validate import check_array, check_choice, check_int, check_number
from nnlesson.course import LESSONS
from nnlesson.course.runner import run
from nnlesson.course.surfaces import SURFACES, Surface, loss_grid
from nnlesson.viz.plotting import Backdrop

__all__ = [
    "GALLERY_LRS",
    "lesson_table",
    "gd_path",
    "LandscapeExplorer",
    "explore_landscape",
    "snapshot_landscape",
    "figure_surface_gallery",
]

#: A learning rate per surface at which 100 steps of gradient descent show its character.
GALLERY_LRS = {"bowl": 0.1, "ravine": 0.07, "rosenbrock": 0.002, "beale": 0.01, "saddle": 0.03}

# --------------------------------------------------------------------------- the lesson list


def lesson_table(lessons=LESSONS, *, link_from="notebooks"):
    """A Markdown table of the lessons, each linked to its notebooks.

    Args:
        lessons: :class:`nnlesson.course.Lesson` entries (default: the whole course).
        link_from: the folder of the notebook that shows the table; links are relative to it
            (``"notebooks"``: ``04_momentum.ipynb``, ``../exercises/04_momentum.ipynb``), or
            ``"."`` for links from the repository root.

    Returns:
        The table as a string: columns ``#``, ``lesson``, ``exercises``, ``library``. Lesson 00
        has no exercises (its cell says so).
    """
    link_from = check_choice("link_from", link_from, ("notebooks", "."))
    lessons = tuple(lessons)

    def href(path):
        if link_from == ".":
            return path
        folder, name = path.split("/", 1)
        return name if folder == "notebooks" else f"../{path}"

    lines = ["| # | lesson | exercises | library |", "|---|---|---|---|"]
    for item in lessons:
        if item.number == 0:
            exercises = "—"
        else:
            exercises = (f"[exercises]({href(item.exercise)}) · "
                         f"[solutions]({href(item.solution)})")
        modules = ", ".join(f"`{m}`" for m in item.modules)
        lines.append(f"| {item.number:02d} | [{item.title}]({href(item.notebook)}) | "
                     f"{exercises} | {modules} |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- compute


def _surface(surface):
    if isinstance(surface, Surface):
        return surface
    return SURFACES[check_choice("surface", surface, tuple(SURFACES))]


def gd_path(surface="ravine", lr=0.05, start=None, n_steps=100):
    """Plain gradient descent ``w = w - lr * g`` on a surface of :data:`SURFACES`.

    Args:
        surface: a name of :data:`nnlesson.course.surfaces.SURFACES` or a ``Surface``.
        lr: learning rate, > 0.
        start: (x, y); the surface's ``default_start`` if None.
        n_steps: number of steps, an integer >= 0.

    Returns:
        :class:`nnlesson.course.runner.OptimizerPath`: ``points`` (k + 1, 2) and ``values``
        (k + 1,), with ``diverged_at`` set when the runner's divergence rule stopped the run.
    """
    surface = _surface(surface)
    lr = check_number("lr", lr, low=0, low_open=True)
    n_steps = check_int("n_steps", n_steps, low=0)
    if start is not None:
        start = check_array("start", start, ndim=1, dtype=np.float64)
        if start.shape != (2,):
            raise ValueError(f"start must be a point (x, y) of shape (2,), got shape "
                             f"{start.shape}")
    return run(surface, "gd", lr=lr, start=start, n_steps=n_steps)


def _levels(surface, Z):
    """Contour levels: log-spaced above the minimum, linear for the saddle (no minimum)."""
    if surface.min_value is None:
        top = float(np.percentile(np.abs(Z), 95))
        return np.linspace(-top, top, 17)
    excess = Z - surface.min_value
    low = max(float(np.percentile(excess, 0.5)), 1e-3)
    high = float(np.percentile(excess, 90))
    return surface.min_value + np.logspace(math.log10(low), math.log10(high), 14)


def _plot_loss(surface, values):
    """What the loss panel shows: f - f_min (log axis), or f itself for the saddle."""
    if surface.min_value is None:
        return values
    return np.maximum(values - surface.min_value, 1e-16)


# --------------------------------------------------------------------------- the explorer


def _loss_limits(surface):
    """Fixed y-limits of the loss panel for a surface (fixed, so the background can be kept)."""
    X, Y, Z = loss_grid(surface, n=120)
    if surface.min_value is None:
        top = float(np.max(np.abs(Z)))
        return (-3 * top, 3 * top)
    return (1e-10, 10 * float(np.max(Z - surface.min_value)))


class LandscapeExplorer:
    """The explorer's figure, built once; :meth:`update` changes its artists only.

    Left: contours of the surface, its minimum (star) or saddle point (cross), the start and
    the path of gradient descent. Right: the loss at each step (above the minimum, log axis; the
    saddle, which has no minimum, on a symmetric log axis). Each surface's contours, axes and
    titles are painted once, when the explorer is built (:class:`~nnlesson.viz.plotting.Backdrop`, with
    ``bake=True``); a slider or the dropdown then only redraws the path and the loss curve.
    """

    def __init__(self, n_steps=100, bake=True):
        from nnlesson.viz.plotting import PALETTE, freeze_layout, label_axes, new_figure, series_style

        self.n_steps = check_int("n_steps", n_steps, low=1)
        self._label_axes = label_axes
        fig, (ax_map, ax_loss) = new_figure(2, 1, width=11.0, height=4.3)
        self.figure = fig
        self.axes = (ax_map, ax_loss)
        self._contours = {}
        self._surface_name = None
        style = series_style(0)
        (self.path_line,) = ax_map.plot([], [], color=style["color"], linestyle="-",
                                        marker="o", markersize=3, linewidth=1.2,
                                        label="gradient descent")
        (self.start_point,) = ax_map.plot([], [], marker="o", color=PALETTE[3], markersize=9,
                                          linestyle="none", label="start")
        (self.end_point,) = ax_map.plot([], [], marker="s", color=style["color"], markersize=7,
                                        linestyle="none", label="last step")
        (self.target,) = ax_map.plot([], [], marker="*", color=PALETTE[7], markersize=14,
                                     linestyle="none", label="minimum")
        loss_style = dict(series_style(0), markevery=0.1, markersize=4)
        (self.loss_line,) = ax_loss.plot([], [], **loss_style)
        ax_loss.set_xlim(0, self.n_steps)
        self.loss_text = ax_loss.text(0.02, 0.04, "", transform=ax_loss.transAxes, fontsize=9,
                                      va="bottom",
                                      bbox={"facecolor": "white", "alpha": 0.85,
                                            "edgecolor": "none"})
        label_axes(ax_loss, title="the loss at each step: does it go down, and how fast?",
                   xlabel="step", ylabel="loss")
        self._prepare("ravine")
        freeze_layout(fig)
        # Fixed margins that fit every surface's tick labels (the layout is not redone later).
        ax_map.set_position([0.065, 0.12, 0.405, 0.8])
        ax_loss.set_position([0.58, 0.12, 0.405, 0.8])
        dynamic = [self.path_line, self.start_point, self.end_point, self.loss_line,
                   self.loss_text]
        self.background = Backdrop(fig, dynamic, scene=None) if bake else None
        if bake:  # paint every surface now, so that switching surfaces later is instant
            for name in SURFACES:
                self._show_surface(name)
        self.update()

    def _prepare(self, name):
        """Set up the static parts for surface ``name``: contours, limits, scales, titles."""
        surface = SURFACES[name]
        ax_map, ax_loss = self.axes
        if name not in self._contours:
            X, Y, Z = loss_grid(surface, n=120)
            self._contours[name] = ax_map.contour(X, Y, Z, levels=_levels(surface, Z),
                                                  colors="#9a9a9a", linewidths=0.7, zorder=1)
        for key, contour in self._contours.items():
            contour.set_visible(key == name)
        (x0, x1), (y0, y1) = surface.bounds
        ax_map.set_xlim(x0, x1)
        ax_map.set_ylim(y0, y1)
        special = surface.minimum if surface.minimum is not None else surface.saddle_point
        self.target.set_data([special[0]], [special[1]])
        self.target.set_marker("*" if surface.minimum is not None else "X")
        self.target.set_label("minimum" if surface.minimum is not None else "saddle point")
        ax_map.legend(loc="upper right", fontsize=8, framealpha=0.9)
        self._label_axes(ax_map, title=f"{name}: {surface.formula} — where does the path go?",
                         xlabel="weight x", ylabel="weight y")
        if surface.min_value is None:
            ax_loss.set_yscale("symlog", linthresh=1e-2)
            ax_loss.set_ylabel("loss f(x, y) (symmetric log axis)")
        else:
            ax_loss.set_yscale("log")
            ax_loss.set_ylabel("loss − minimum (log axis)")
        ax_loss.set_ylim(*_loss_limits(surface))

    def _show_surface(self, name):
        if name == self._surface_name:
            return
        if self.background is None:
            self._prepare(name)
        else:
            self.background.show(name, lambda: self._prepare(name))
        self._surface_name = name

    def compute(self, surface="ravine", start_x=None, start_y=None, lr=0.05):
        """The gradient-descent path for these settings (see :func:`gd_path`)."""
        s = _surface(surface)
        sx = s.default_start[0] if start_x is None else start_x
        sy = s.default_start[1] if start_y is None else start_y
        return gd_path(s, lr, start=(sx, sy), n_steps=self.n_steps)

    def update(self, surface="ravine", start_x=None, start_y=None, lr=0.05):
        check_choice("surface", surface, tuple(SURFACES))
        self._show_surface(surface)
        s = SURFACES[surface]
        path = self.compute(surface, start_x, start_y, lr)
        self.path = path
        pts = path.points
        self.path_line.set_data(pts[:, 0], pts[:, 1])
        self.path_line.set_markevery(max(1, len(pts) // 40))
        self.start_point.set_data([pts[0, 0]], [pts[0, 1]])
        self.end_point.set_data([pts[-1, 0]], [pts[-1, 1]])
        loss = _plot_loss(s, path.values)
        self.loss_line.set_data(np.arange(len(loss)), loss)
        if path.diverged:
            text = f"diverged at step {path.diverged_at}: lr = {lr:.3g} is too large here"
        else:
            text = f"after {len(pts) - 1} steps: loss = {path.values[-1]:.3g}"
        self.loss_text.set_text(text)


def _adjust_start_sliders(dropdown, sx, sy):
    """When the surface changes, give the start sliders its bounds and default start."""

    def on_change(change):
        surface = SURFACES[change["new"]]
        for slider, (low, high), value in zip((sx, sy), surface.bounds, surface.default_start):
            with slider.hold_trait_notifications():
                slider.min, slider.max = min(low, slider.min), max(high, slider.max)
                slider.value = value
                slider.min, slider.max = low, high

    dropdown.observe(on_change, names="value")


def explore_landscape(surface="ravine", lr=0.05, start=None, n_steps=100):
    """The landscape explorer: surface dropdown, start point (two sliders), learning rate (log).

    The start point is set with two sliders (``start x``, ``start y``): a plain ipywidgets
    image cannot be dragged. Changing the surface moves the start sliders to that surface's
    range and default start. Each path has ``n_steps`` steps.
    """
    from nnlesson.viz.widgets import choice, float_slider, interactive_plot, lr_slider

    check_choice("surface", surface, tuple(SURFACES))
    s = SURFACES[surface]
    start = s.default_start if start is None else start
    (x0, x1), (y0, y1) = s.bounds
    drawing = LandscapeExplorer(n_steps=n_steps)
    dropdown = choice(list(SURFACES), surface, description="surface")
    sx = float_slider(float(start[0]), min=x0, max=x1, step=0.05, description="start x")
    sy = float_slider(float(start[1]), min=y0, max=y1, step=0.05, description="start y")
    _adjust_start_sliders(dropdown, sx, sy)  # registered first: runs before the redraw
    demo = interactive_plot(
        drawing.figure, drawing.update,
        surface=dropdown, start_x=sx, start_y=sy,
        lr=lr_slider(lr, min_exp=-4, max_exp=0),
    )
    demo.drawing = drawing
    return demo


def snapshot_landscape(surface="ravine", lr=0.05, start=None, n_steps=100):
    """The explorer's figure for one setting (a static Figure for slides)."""
    check_choice("surface", surface, tuple(SURFACES))
    start = SURFACES[surface].default_start if start is None else start
    drawing = LandscapeExplorer(n_steps=n_steps, bake=False)
    drawing.update(surface=surface, start_x=start[0], start_y=start[1], lr=lr)
    return drawing.figure


def figure_surface_gallery(lrs=None, n_steps=100):
    """Every surface of the library with a gradient-descent path, side by side.

    ``lrs`` maps surface names to learning rates (default :data:`GALLERY_LRS`).
    """
    from nnlesson.viz.plotting import PALETTE, label_axes, new_figure, series_style

    lrs = dict(GALLERY_LRS if lrs is None else lrs)
    fig, axes = new_figure(len(SURFACES), 1, width=15.0, height=3.4)
    for i, (ax, (name, surface)) in enumerate(zip(axes, SURFACES.items())):
        X, Y, Z = loss_grid(surface, n=120)
        ax.contour(X, Y, Z, levels=_levels(surface, Z), colors="#9a9a9a", linewidths=0.6)
        path = gd_path(surface, lrs[name], n_steps=n_steps)
        style = series_style(0)
        ax.plot(path.points[:, 0], path.points[:, 1], color=style["color"], marker="o",
                markersize=2.5, linewidth=1.0, markevery=max(1, len(path.points) // 30))
        ax.plot(*path.points[0], marker="o", color=PALETTE[3], markersize=7)
        special = surface.minimum if surface.minimum is not None else surface.saddle_point
        ax.plot(*special, marker="*" if surface.minimum is not None else "X",
                color=PALETTE[7], markersize=11, linestyle="none")
        (bx0, bx1), (by0, by1) = surface.bounds
        ax.set_xlim(bx0, bx1)
        ax.set_ylim(by0, by1)
        label_axes(ax, title=f"{name} (lr = {lrs[name]:g})", xlabel="weight x",
                   ylabel="weight y" if i == 0 else "")
    fig.suptitle("five loss surfaces, 100 steps of gradient descent from the red dot; "
                 "star: minimum, cross: saddle point", fontsize=10)
    return fig
