"""Lesson 00, the course map: the table of lessons and the loss landscape as a picture.

Two pieces:

* **The lesson list.** :func:`lesson_table` turns the registry :data:`nnlesson.course.LESSONS`
  into a Markdown table with a link to every lesson, exercise and solution notebook.
* **The landscape explorer.** A two-weight loss surface of :mod:`nnlesson.course.surfaces` drawn as
  contours, with the path plain gradient descent takes from a start point at a learning rate:
  :func:`gd_path` (pure compute), :class:`LandscapeExplorer` (on the course's
  :class:`~nnlesson.viz.explorer.Explorer` base), :func:`explore_landscape` (the widget) and
  :func:`snapshot_landscape` / :func:`figure_surface_gallery` (static figures).

ipywidgets cannot report a mouse drag on a picture, so the start point is moved with two
sliders, ``start x`` and ``start y``, one pair per surface (in that surface's window).

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
from nnlesson.viz.explorer import Choice, Explorer, Slider, linear_ladder, log_ladder
from nnlesson.viz.panels import Curves, PathsOnContours
from nnlesson.viz.plotting import PALETTE, describe, figure, readable, series_style

__all__ = [
    "GALLERY_LRS",
    "LANDSCAPE_LRS",
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


def _start_ladder(low, high, default):
    """Start positions for one axis of a surface's window: steps of 0.05 (0 exactly included),
    plus the surface's default start."""
    values = set(linear_ladder(low, high, 0.05))
    values.add(float(default))
    return tuple(sorted(values))


def _start_sliders():
    """Two sliders per surface (start x and y in that surface's window), each shown only while
    its surface is chosen, so every surface keeps its own start."""
    sliders = []
    for name, surface in SURFACES.items():
        for axis, (low, high), default in zip("xy", surface.bounds, surface.default_start):
            sliders.append(Slider(f"{name}_{axis}", f"start {axis}",
                                  _start_ladder(low, high, default), default=float(default),
                                  visible_when={"surface": name}))
    return tuple(sliders)


#: The learning rates of the explorer's slider: 1-2-3-5 per decade, plus the rates the lesson
#: names (the ravine's limit 2/25 = 0.08 and its neighbours, the gallery's rates).
LANDSCAPE_LRS = log_ladder(1e-4, 1.0, "1-2-3-5",
                           include=(0.07, 0.079, 0.08, 0.081, *GALLERY_LRS.values()))


class LandscapeExplorer(Explorer):
    """Gradient descent on a loss surface: the surface, the start point and the learning rate.

    Left: the surface's contours, its minimum (star) or saddle point (cross), the start and the
    path. Right: the loss at each step (above the minimum on a log axis; the saddle, which has
    no minimum, on a symmetric log axis). Each surface is a scene, painted once. ipywidgets
    cannot report a mouse drag on a picture, so the start point is moved with two sliders, one
    pair per surface (only the chosen surface's pair is shown).

    Args:
        n_steps: steps of gradient descent, >= 1.
    """

    controls = (
        Choice("surface", "surface", list(SURFACES), default="ravine"),
        Slider("lr", "learning rate", LANDSCAPE_LRS, default=0.05),
        *_start_sliders(),
    )
    columns = 2
    size = (880, 330)
    alt = ("Left: the contour lines of a two-weight loss surface with the path of gradient "
           "descent from the start point (a red dot) towards the minimum (a star) or the "
           "saddle point (a cross). Right: the loss at each step, on a log axis (a symmetric "
           "one for the saddle).")

    def __init__(self, n_steps=100):
        super().__init__()
        self.n_steps = check_int("n_steps", n_steps, low=1)

    def build(self, fig):
        ax_map, ax_loss = fig.subplots(1, 2)
        self.axes = (ax_map, ax_loss)
        levels = {name: _levels(s, loss_grid(s, n=120)[2]) for name, s in SURFACES.items()}
        self.map = PathsOnContours(ax_map, SURFACES, {"gd": {"label": "gradient descent"}},
                                   title=lambda name: f"{name}: where does the path go?",
                                   levels=lambda name: levels[name])
        # one decimal on every surface: the layout, fixed on the first surface, fits them all
        ax_map.yaxis.set_major_formatter("{x:.1f}")
        self.loss = Curves(ax_loss, np.arange(self.n_steps + 1),
                           {"gd": {"label": "gradient descent"}}, title="the loss at each step",
                           xlabel="step", ylabel="loss", ylim=(1e-10, 1.0), log=True,
                           legend=None)
        return self.map.artists + self.loss.artists

    def scene(self, surface):
        return surface

    def draw_scene(self, key):
        surface = SURFACES[key]
        self.map.draw_scene(key)
        marker = self.map.minimum
        if surface.minimum is None:  # the saddle: a cross at the saddle point
            marker.set_data([surface.saddle_point[0]], [surface.saddle_point[1]])
            marker.set_marker("X")
        else:
            marker.set_marker("*")
        marker.set_label("minimum" if surface.minimum is not None else "saddle point")
        # in the corner every surface leaves empty of paths
        self.axes[0].legend(handles=[self.map.start, self.map.lines["gd"], marker],
                            loc="lower right", framealpha=0.9)
        ax_loss = self.axes[1]
        low, high = self.loss.ylim = _loss_limits(surface)
        if surface.min_value is None:
            ax_loss.set_yscale("symlog", linthresh=1e-2)
            ax_loss.set_ylabel("loss (symmetric log axis)")
        else:
            ax_loss.set_yscale("log")
            ax_loss.set_ylabel("loss − minimum (log axis)")
        ax_loss.set_ylim(low, high)

    def compute(self, **values):
        """The path from the chosen surface's start (values checked by the base)."""
        surface = values["surface"]
        start = (values[f"{surface}_x"], values[f"{surface}_y"])
        return run(SURFACES[surface], "gd", lr=values["lr"], start=start, n_steps=self.n_steps)

    def update(self, result, surface, lr):
        self.map.set("gd", result.points)
        self.loss.set("gd", _plot_loss(SURFACES[surface], result.values))
        if result.diverged:
            return f"Diverged at step {result.diverged_at}: lr = {lr:g} is too large here"
        return f"After {len(result.points) - 1} steps the loss is {result.values[-1]:.3g}"


def explore_landscape(n_steps=100, **values):
    """The landscape explorer's widget (controls: ``surface``, ``lr``, and per surface
    ``<surface>_x``, ``<surface>_y`` for the start; see :class:`LandscapeExplorer`)."""
    return LandscapeExplorer(n_steps).explore(**values)


def snapshot_landscape(n_steps=100, **values):
    """The landscape explorer's figure for one setting, with its alt text (a static Figure)."""
    return LandscapeExplorer(n_steps).snapshot(**values)


def figure_surface_gallery(lrs=None, n_steps=100):
    """Every surface of the course with a gradient-descent path, on a 2 x 3 grid (the last
    cell says what the markers mean).

    ``lrs`` maps surface names to learning rates (default :data:`GALLERY_LRS`).
    """
    lrs = dict(GALLERY_LRS if lrs is None else lrs)
    fig, axes = figure((880, 560), 3, 2)
    axes = axes.ravel()
    for ax, (name, surface) in zip(axes, SURFACES.items()):
        X, Y, Z = loss_grid(surface, n=120)
        ax.contour(X, Y, Z, levels=_levels(surface, Z), colors="#9a9a9a", linewidths=0.7)
        path = gd_path(surface, lrs[name], n_steps=n_steps)
        style = series_style(0)
        ax.plot(path.points[:, 0], path.points[:, 1], color=style["color"], marker="o",
                markersize=3, linewidth=1.2, markevery=max(1, len(path.points) // 30))
        ax.plot(*path.points[0], marker="o", color=PALETTE[3], markersize=9)
        special = surface.minimum if surface.minimum is not None else surface.saddle_point
        ax.plot(*special, marker="*" if surface.minimum is not None else "X",
                color=PALETTE[7], markersize=14, linestyle="none")
        (bx0, bx1), (by0, by1) = surface.bounds
        ax.set_xlim(bx0, bx1)
        ax.set_ylim(by0, by1)
        ax.set_title(f"{name}, lr = {lrs[name]:g}")
    key = axes[-1]
    key.set_axis_off()
    for y, (marker, colour, text) in zip((0.8, 0.6, 0.4, 0.2), (
            ("o", PALETTE[3], "the start"),
            ("o", series_style(0)["color"], f"{n_steps} steps of GD"),
            ("*", PALETTE[7], "the minimum"), ("X", PALETTE[7], "a saddle point"))):
        key.plot([0.1], [y], marker=marker, color=colour, markersize=12, linestyle="none")
        key.text(0.22, y, text, va="center")
    key.set_xlim(0, 1)
    key.set_ylim(0, 1)
    alt = (f"Five loss surfaces as contour lines, each with {n_steps} steps of gradient descent "
           "from a red start point: the bowl goes straight to its minimum; the ravine zig-zags "
           "across its narrow valley; Rosenbrock reaches its curved valley and crawls along "
           "it; Beale moves slowly over a plateau; on the saddle the path slides away from "
           "the saddle point. " + ", ".join(f"{n} at lr {v:g}" for n, v in lrs.items()) + ".")
    return describe(readable(fig), alt)
