"""Lesson 02, feature scaling: the explorer and the figures.

:class:`ScalingExplorer` (on the course's :class:`~nnlesson.viz.explorer.Explorer` base) fits
``alcohol ~ w1 proline + w2 hue`` by gradient descent at any learning rate, for each way of
scaling the two features: the contours of the loss over the two weights, drawn to the same scale
on both axes, with the descent path (one scene per scaling), and the loss's approach to its
minimum per step. :func:`explore_scaling`, :func:`snapshot_scaling`; static figures
:func:`figure_scaler_paths` (the four scalings side by side) and :func:`figure_before_after`
(two features before and after scaling).
"""
from __future__ import annotations

import math

import numpy as np

from nnlesson._validate import check_array, check_int
from nnlesson.course.lessons.feature_scaling.problem import (
    SCALER_LABELS,
    SCALERS,
    TOL,
    format_steps,
    wine_problem,
)
from nnlesson.viz.explorer import Choice, Explorer, Slider, log_ladder
from nnlesson.viz.panels import Curves
from nnlesson.viz.plotting import (
    PALETTE,
    describe,
    figure,
    label_axes,
    readable,
    series_style,
)

__all__ = [
    "SCALING_LRS",
    "ScalingExplorer",
    "explore_scaling",
    "snapshot_scaling",
    "figure_scaler_paths",
    "figure_before_after",
]

#: The learning rates of the explorer's slider: 1-2-5 per decade from 1e-7 to 20, plus the
#: rates the lesson names (raw features' limit 1.5e-6, standardized features' 0.8 and 0.9).
SCALING_LRS = log_ladder(1e-7, 20.0, "1-2-5", include=(1.5e-6, 0.8, 0.9))

#: Contour levels: the loss above its minimum, relative to where descent starts.
_LEVELS = np.logspace(-6, 2, 9)


def _box(problem, path_hint, aspect=1.0):
    """A plot window around the start (0, 0), the minimum and the early path of descent, whose
    width is ``aspect`` times its height in weight units: drawn to the same scale on both axes
    (only then does a narrow valley look narrow), it fills a panel of that shape."""
    pts = np.vstack([np.zeros(2), problem.w_star, path_hint])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    centre = (lo + hi) / 2
    half = 0.6 * max(float(np.max(hi - lo)), 1e-12)
    return ((centre[0] - half * max(aspect, 1.0), centre[0] + half * max(aspect, 1.0)),
            (centre[1] - half / min(aspect, 1.0), centre[1] + half / min(aspect, 1.0)))


def _contour_grid(problem, box, k=60):
    """``(GX, GY, R)``: the relative excess loss R on a grid that resolves even a very narrow
    valley.

    The grid is laid out along the eigenvectors of ``H`` around ``w*``, with coordinates spaced
    geometrically from the lowest contour level's distance out to the window's corners: a
    valley thousands of times narrower than long gets as many grid lines across as along.
    """
    (x0, x1), (y0, y1) = box
    corners = np.array([[x0, y0], [x0, y1], [x1, y0], [x1, y1]]) - problem.w_star
    V, lam = problem.eigenvectors, problem.eigenvalues
    gap0 = problem.excess(np.zeros(2))
    axes = []
    for i in range(2):
        far = float(np.max(np.abs(corners @ V[:, i]))) * 1.05
        near = min(math.sqrt(2 * 1e-7 * gap0 / lam[i]), far / 10)
        half = np.geomspace(near, far, k)
        axes.append(np.concatenate([-half[::-1], [0.0], half]))
    A, B = np.meshgrid(axes[0], axes[1])
    W = problem.w_star + A[..., None] * V[:, 0] + B[..., None] * V[:, 1]
    return W[..., 0], W[..., 1], problem.excess(W) / gap0


def _fmt_steps(steps):
    return "never" if steps is None else f"{format_steps(steps)} steps"


def _draw_problem(ax, problem, box):
    """Contours of ``problem``'s loss in ``box`` (same scale on both axes), the start (0, 0)
    and the minimum; returns these three artists."""
    GX, GY, R = _contour_grid(problem, box)
    contours = ax.contour(GX, GY, R, levels=_LEVELS, colors="#888888", linewidths=0.8)
    (start,) = ax.plot([0.0], [0.0], linestyle="none", marker="s", color=PALETTE[7],
                       markersize=8)
    (star,) = ax.plot([problem.w_star[0]], [problem.w_star[1]], linestyle="none", marker="*",
                      color=PALETTE[3], markersize=15)
    (x0, x1), (y0, y1) = box
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal", adjustable="box")  # the same scale on both axes
    return contours, start, star


class ScalingExplorer(Explorer):
    """Gradient descent on the wine problem, for each scaling and any learning rate.

    Left: the contours of the loss over the two weights (drawn to the same scale on both axes),
    the start (0, 0), the minimum and the path of ``n_steps`` steps; each scaling is a scene,
    painted once, titled with its condition number. Right: how far the loss is from its minimum
    at each step, relative to the start, for the chosen setting and, as a reference,
    standardized features at their best rate. The line under the plots gives the exact number
    of steps to converge (computed, not run) and the scaling's largest stable and best rates.

    Args:
        features, target: the wine columns of the problem (see
            :func:`~nnlesson.course.lessons.feature_scaling.wine_problem`). n_steps: >= 1.
    """

    controls = (
        Choice("scaler", "scaling", [(SCALER_LABELS[s], s) for s in SCALERS], default="none"),
        Slider("lr", "learning rate", SCALING_LRS, default=1e-6),
    )
    size = (880, 440)
    alt = ("Left: the contour lines of the loss over the two weights, drawn to the same scale "
           "on both axes (a long narrow valley or a round bowl), with the start (a square), "
           "the minimum (a star) and the path of gradient descent. Right: the loss above its "
           "minimum at each step, relative to the start, on a log axis, for this setting and "
           "for standardized features at their best learning rate (dotted).")

    def __init__(self, features=("proline", "hue"), target="alcohol", n_steps=200):
        super().__init__()
        self.n_steps = check_int("n_steps", n_steps, low=1)
        self.features = tuple(features)
        self.problems = {s: wine_problem(s, self.features, target) for s in SCALERS}

    def build(self, fig):
        ax_w, ax_loss = self.axes = fig.subplots(1, 2)
        self.boxes, self.static = {}, {}
        for s, p in self.problems.items():  # one set of contours per scaling, shown by scene
            hint = p.descend(min(p.best_lr, 0.95 * p.max_stable_lr), 30).points
            self.boxes[s] = _box(p, hint, aspect=1.3)
            self.static[s] = _draw_problem(ax_w, p, self.boxes[s])
        s0 = series_style(0)
        (self.path_line,) = ax_w.plot([], [], color=s0["color"], linestyle="-", marker="o",
                                      markersize=4, linewidth=1.2)
        ax_w.set_xlabel(f"weight of {self.features[0]}")
        ax_w.set_ylabel(f"weight of {self.features[1]}")

        ref = self.problems["standardize"]
        self.loss = Curves(
            ax_loss, np.arange(self.n_steps + 1),
            {"reference": {"label": f"standardized, best lr {ref.best_lr:.2g}",
                           "color": "#777777", "linestyle": ":", "marker": ""},
             "choice": {"label": "this setting", **s0}},
            title="how fast does the loss reach its minimum?", xlabel="gradient-descent step",
            ylabel="(L − L*) / (L at start − L*)", ylim=(1e-12, 1e8), log=True,
            legend="below")
        self.loss.set("reference", np.maximum(
            ref.relative_excess(ref.descend(ref.best_lr, self.n_steps).points), 1e-18))
        ax_loss.axhline(TOL, color="#555555", linestyle="--", linewidth=1.0)
        ax_loss.text(self.n_steps, TOL * 3, "converged", ha="right", va="bottom",
                     color="#555555")
        return [self.path_line, self.loss.lines["choice"]]

    def scene(self, scaler):
        return scaler

    def draw_scene(self, key):
        ax_w = self.axes[0]
        for s, artists in self.static.items():
            for artist in artists:
                artist.set_visible(s == key)
        (x0, x1), (y0, y1) = self.boxes[key]
        ax_w.set_xlim(x0, x1)
        ax_w.set_ylim(y0, y1)
        p = self.problems[key]
        ax_w.set_title(f"{SCALER_LABELS[key]}: κ = {p.condition_number:.3g}")

    def compute(self, scaler, lr):
        """``(path, steps_to_converge)`` for one setting (values checked by the base)."""
        p = self.problems[scaler]
        return p.descend(lr, self.n_steps), p.steps_to_converge(lr)

    def update(self, result, scaler, lr):
        path, steps = result
        p = self.problems[scaler]
        self.path_line.set_data(path.points[:, 0], path.points[:, 1])
        self.loss.set("choice", np.maximum(p.relative_excess(path.points), 1e-18))
        if path.diverged:
            outcome = f"diverges (step {path.diverged_at})"
        elif steps is None:  # not yet past the runner's bound, but the analysis knows
            outcome = ("diverges: the loss grows every step" if lr > p.max_stable_lr
                       else "never converges")
        else:
            outcome = f"converges in {_fmt_steps(steps)}"
        return (f"lr = {lr:.2g}: {outcome}. {SCALER_LABELS[scaler].capitalize()}: stable "
                f"below lr {p.max_stable_lr:.2g}, best lr {p.best_lr:.2g}")


def explore_scaling(n_steps=200, **values):
    """The scaling explorer's widget (controls: ``scaler``, ``lr``; see
    :class:`ScalingExplorer`)."""
    return ScalingExplorer(n_steps=n_steps).explore(**values)


def snapshot_scaling(n_steps=200, **values):
    """The scaling explorer's figure for one setting, with its alt text (a static Figure)."""
    return ScalingExplorer(n_steps=n_steps).snapshot(**values)


def figure_scaler_paths(n_steps=60, features=("proline", "hue"), target="alcohol"):
    """The four scalings on a 2 x 2 grid, each descending at its own best learning rate.

    Each panel shows the contours of the loss over the two weights and ``n_steps`` steps of
    gradient descent; its title gives the condition number and the exact steps to converge.
    """
    fig, axes = figure((880, 600), 2, 2)
    summary = []
    for ax, s in zip(axes.ravel(), SCALERS):
        p = wine_problem(s, features, target)
        path = p.descend(p.best_lr, n_steps)
        _draw_problem(ax, p, _box(p, path.points[:30], aspect=1.7))
        ax.plot(path.points[:, 0], path.points[:, 1], color=series_style(0)["color"],
                marker="o", markersize=4, linewidth=1.2)
        steps = _fmt_steps(p.steps_to_converge(p.best_lr))
        summary.append(f"{SCALER_LABELS[s]}, condition number {p.condition_number:.3g}, "
                       f"{steps} at the best rate {p.best_lr:.2g}")
        label_axes(ax, title=f"{SCALER_LABELS[s]}: κ = {p.condition_number:.3g}\n"
                             f"best lr {p.best_lr:.2g}: {steps}",
                   xlabel=f"weight of {features[0]}", ylabel=f"weight of {features[1]}")
    alt = ("The loss over the two weights as contour lines, drawn to the same scale on both "
           "axes, with the path of gradient descent from the start (a square) towards the "
           "minimum (a star), for each scaling at its own best learning rate: raw features "
           "make a valley so narrow it looks like a line, standardized ones a round bowl. "
           + "; ".join(summary) + ".")
    return describe(readable(fig), alt)


def figure_before_after(X, X_scaled, names=("proline", "hue"), title="scaled"):
    """Two features before and after scaling, each panel drawn to the same scale on both axes.

    ``X`` and ``X_scaled``: (n, 2) arrays. Raw wine features are a flat streak (proline spans
    hundreds, hue about 1); scaled ones a cloud of similar width and height.
    """
    X = check_array("X", X, ndim=2, dtype=np.float64)
    X_scaled = check_array("X_scaled", X_scaled, ndim=2, dtype=np.float64)
    fig, axes = figure((880, 400), 2, 1)
    for i, (ax, data, what) in enumerate(zip(axes, (X, X_scaled), ("raw", title))):
        st = series_style(i)
        ax.plot(data[:, 0], data[:, 1], linestyle="none", marker=st["marker"], color=st["color"],
                markersize=5, alpha=0.7)
        ax.set_aspect("equal", adjustable="datalim")
        label_axes(ax, title=f"{what}: the same units on both axes", xlabel=names[0],
                   ylabel=names[1])
    spans = [np.ptp(d, axis=0) for d in (X, X_scaled)]
    alt = (f"Each wine as a point of {names[0]} against {names[1]}, drawn to the same scale on "
           f"both axes. Raw, {names[0]} spans {spans[0][0]:.3g} and {names[1]} {spans[0][1]:.3g}: "
           f"a flat streak. {title.capitalize()}, they span {spans[1][0]:.3g} and "
           f"{spans[1][1]:.3g}: a cloud about as wide as it is tall.")
    return describe(readable(fig), alt)
