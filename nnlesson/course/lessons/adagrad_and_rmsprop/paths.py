"""Lesson 05: plain gradient descent, AdaGrad and RMSProp side by side on a 2-D surface.

The three methods start from the same point of a ravine or of Beale's function with one shared
learning rate (and RMSProp's decay rate ``beta``); next to the paths, each weight's own
learning rate ``lr / (sqrt(s) + eps)`` over the steps. Every run is one call of the course's
runner (:func:`nnlesson.course.runner.run`) with the library's rule, PyTorch's conventions:
``eps`` outside the square root, AdaGrad's accumulator and RMSProp's average starting at 0, no
bias correction, and the decay rate this course calls ``beta`` passed as PyTorch's ``alpha``.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_array, check_int, check_number
from nnlesson.course.runner import OptimizerPath, run
from nnlesson.course.surfaces import SURFACES, check_surface
from nnlesson.viz.explorer import Choice, Explorer, Slider, linear_ladder, log_ladder
from nnlesson.viz.panels import Curves, PathsOnContours
from nnlesson.viz.plotting import describe, figure, readable, series_style

__all__ = [
    "METHODS",
    "SURFACE_NAMES",
    "ADAGRAD_EPS",
    "RMSPROP_EPS",
    "LR_LADDER",
    "BETA_LADDER",
    "AdaptiveRun",
    "adaptive_paths",
    "AdaptivePathsExplorer",
    "explore_adaptive_paths",
    "snapshot_adaptive_paths",
    "figure_paths",
]

#: The optimizers compared, in the order of the plots.
METHODS = ("SGD", "AdaGrad", "RMSProp")
#: The surfaces of the explorer (keys of :data:`nnlesson.course.surfaces.SURFACES`).
SURFACE_NAMES = ("ravine", "beale")
#: PyTorch's defaults: ``torch.optim.Adagrad(eps=1e-10)``, ``torch.optim.RMSprop(eps=1e-8)``.
ADAGRAD_EPS = 1e-10
RMSPROP_EPS = 1e-8
#: The explorer's learning rates: 1-2-3-5 per decade from 0.001 to 1, and 0.07 (just below
#: gradient descent's limit 0.08 on the ravine), the rates the lesson names.
LR_LADDER = log_ladder(1e-3, 1.0, "1-2-3-5", include=(0.07,))
#: RMSProp's decay rates on the slider: 0, 0.01, ..., 0.99, and 0.999 (Adam's beta2).
BETA_LADDER = linear_ladder(0.0, 0.99, 0.01) + (0.999,)

_EPS = {"AdaGrad": ADAGRAD_EPS, "RMSProp": RMSPROP_EPS}


@dataclass(frozen=True, eq=False)
class AdaptiveRun:
    """One optimizer's run on a surface: the runner's path and the learning rate each weight got.

    Attributes:
        method: ``"SGD"``, ``"AdaGrad"`` or ``"RMSProp"``.
        path: the :class:`~nnlesson.course.runner.OptimizerPath` (k + 1 points for k kept
            updates; the runner's one divergence rule).
        effective_lr: (k, 2), the learning rate each weight actually got at step t (row t-1):
            ``lr`` for SGD, ``lr / (sqrt(s_t) + eps)`` for AdaGrad and RMSProp, where ``s_t``
            is the accumulator *after* step t's gradient was added (the one the step divides by).
    """

    method: str
    path: OptimizerPath
    effective_lr: np.ndarray

    @property
    def points(self):
        """(k + 1, 2): the start and ``w`` after each kept step."""
        return self.path.points

    @property
    def values(self):
        """(k + 1,): the loss at each point."""
        return self.path.values

    @property
    def diverged_at(self):
        """None, or the step t (from 1) whose result left the runner's ball (or was not finite)."""
        return self.path.diverged_at

    @property
    def diverged(self):
        return self.path.diverged

    @property
    def final_value(self):
        """The loss at the last point reached."""
        return float(self.values[-1])

    def status(self):
        """A short text: the final loss (below 1e-10 is "< 1e-10"), or where it diverged."""
        if self.diverged:
            return f"diverged (step {self.diverged_at})"
        if self.final_value < 1e-10:
            return "loss < 1e-10"
        return f"loss {self.final_value:.1e}"


def _run(method, surface, lr, beta, n_steps, start):
    """One method on ``surface`` (arguments already checked)."""
    if method == "SGD":
        path = run(surface, "gd", lr=lr, n_steps=n_steps, start=start)
        return AdaptiveRun(method, path, np.full((len(path.points) - 1, 2), lr))
    if method == "AdaGrad":
        path = run(surface, "adagrad", lr=lr, hyperparameters={"eps": ADAGRAD_EPS},
                   n_steps=n_steps, start=start, record_state=True)
        state = path.state["state_sum"]
    else:
        path = run(surface, "rmsprop", lr=lr, hyperparameters={"alpha": beta, "eps": RMSPROP_EPS},
                   n_steps=n_steps, start=start, record_state=True)
        state = path.state["square_avg"]
    kept = len(path.points) - 1
    return AdaptiveRun(method, path, lr / (np.sqrt(state[:kept]) + _EPS[method]))


@functools.lru_cache(maxsize=1024)
def _cached_run(method, surface, lr, beta, n_steps, start):
    return _run(method, surface, lr, beta, n_steps, np.array(start, dtype=np.float64))


def _paths(surface, lr, beta, n_steps, start):
    # SGD and AdaGrad do not depend on beta: cached without it, so a beta slider reruns
    # RMSProp only.
    return {m: _cached_run(m, surface, lr, beta if m == "RMSProp" else 0.0, n_steps, start)
            for m in METHODS}


def adaptive_paths(surface="ravine", lr=0.1, beta=0.9, n_steps=150, start=None):
    """SGD, AdaGrad and RMSProp on ``surface`` from the same start with the same ``lr``.

    Equations (``g`` is the surface's gradient at ``w``; one line per method)::

        SGD:      w = w - lr * g
        AdaGrad:  s = s + g * g;                         w = w - lr * g / (sqrt(s) + eps)
        RMSProp:  s = beta * s + (1 - beta) * g * g;     w = w - lr * g / (sqrt(s) + eps)

    ``s`` starts at zero; ``eps`` is PyTorch's default (:data:`ADAGRAD_EPS`,
    :data:`RMSPROP_EPS`).

    Args:
        surface: ``"ravine"``, ``"beale"`` or any :class:`~nnlesson.course.surfaces.Surface`.
        lr: learning rate shared by the three methods, > 0.
        beta: RMSProp's decay rate in [0, 1) (PyTorch's ``alpha``).
        n_steps: number of steps, an integer in [1, 10000].
        start: (x, y); the surface's ``default_start`` if None.

    Returns:
        dict ``{method: AdaptiveRun}`` in the order of :data:`METHODS`. Results are cached (the
        arrays are read-only).
    """
    surface = check_surface(surface, SURFACE_NAMES)
    lr = check_number("lr", lr, low=0, low_open=True)
    beta = check_number("beta", beta, low=0, high=1, high_open=True)
    n_steps = check_int("n_steps", n_steps, low=1, high=10000)
    start = check_array("start", surface.default_start if start is None else start, ndim=1,
                        dtype=np.float64)
    if start.shape != (2,):
        raise ValueError(f"start must be a point (x, y) of shape (2,), got shape {start.shape}")
    return _paths(surface, lr, beta, n_steps, tuple(float(v) for v in start))


# --------------------------------------------------------------------------- the explorer

_CONTOUR_LEVELS = {  # log-spaced: the loss spans orders of magnitude
    "ravine": np.logspace(-1, 2.3, 12),
    "beale": np.logspace(-1, 3.5, 14),
}
_LR_YLIM = (1e-4, 1e3)


def _method_styles():
    """Colour and marker per method (as on the map), line style per weight (x solid, y dashed)."""
    series = {}
    for i, method in enumerate(METHODS):
        style = series_style(i)
        for weight, linestyle in (("x", "-"), ("y", "--")):
            series[f"{method} {weight}"] = {
                "label": f"{method}, weight {weight}", "color": style["color"],
                "marker": style["marker"], "linestyle": linestyle,
                "fillstyle": "full" if weight == "x" else "none"}
    return series


class AdaptivePathsExplorer(Explorer):
    """The three paths on the surface's contours, and each weight's learning rate per step."""

    controls = (
        Choice("surface", "surface", [("ravine (x² + 25 y²) / 2", "ravine"),
                                      ("Beale's function", "beale")], default="ravine"),
        Slider("lr", "learning rate", LR_LADDER, default=0.1),
        Slider("beta", "RMSProp decay rate β", BETA_LADDER, default=0.9),
    )
    size = (880, 400)
    alt = ("Left: contour lines of the surface with three paths from the same start, plain "
           "gradient descent (SGD), AdaGrad and RMSProp, each ending in a large marker, and the "
           "minimum as a star. Right: the learning rate each weight actually gets at every step, "
           "on a log axis, one colour per method as on the left, weight x solid and weight y "
           "dashed.")
    precompute = ("lr", "beta")

    def __init__(self, n_steps=150):
        super().__init__()
        self.n_steps = check_int("n_steps", n_steps, low=1, high=10000)

    def build(self, fig):
        ax_map, ax_lr = fig.subplots(1, 2)
        paths = {}
        for i, method in enumerate(METHODS):
            paths[method] = {"label": method}
            if method == "SGD":  # a diverging SGD zig-zags over everything: thin, below
                paths[method].update(linewidth=0.8, alpha=0.6)
        self.map = PathsOnContours(
            ax_map, {name: SURFACES[name] for name in SURFACE_NAMES}, paths,
            title=lambda key: "which path reaches the minimum ★?",
            levels=lambda key: _CONTOUR_LEVELS[key])
        ax_map.legend(handles=[self.map.lines[m] for m in METHODS], loc="upper right",
                      framealpha=0.9)
        self.rates = Curves(ax_lr, np.arange(1, self.n_steps + 1), _method_styles(), log=True,
                            ylim=_LR_YLIM, title="each weight's rate: x solid, y dashed",
                            xlabel="step t", ylabel="lr / (√s + ε), log axis", legend=None)
        return self.map.artists + self.rates.artists

    def scene(self, surface):
        return surface

    def draw_scene(self, key):
        self.map.draw_scene(key)

    def compute(self, surface, lr, beta):
        """The three runs (values checked by the base)."""
        start = tuple(float(v) for v in SURFACES[surface].default_start)
        return _paths(SURFACES[surface], lr, beta, self.n_steps, start)

    def update(self, result):
        for method in METHODS:
            run_ = result[method]
            self.map.set(method, run_.points)
            for k, weight in enumerate("xy"):
                self.rates.set(f"{method} {weight}", run_.effective_lr[:, k])
        return "; ".join(f"{method}: {result[method].status()}" for method in METHODS)


def explore_adaptive_paths(n_steps=150, **values):
    """The widget (controls ``surface``, ``lr``, ``beta``; see :class:`AdaptivePathsExplorer`)."""
    return AdaptivePathsExplorer(n_steps).explore(**values)


def snapshot_adaptive_paths(n_steps=150, **values):
    """The explorer's figure for one setting, with its alt text (a static Figure)."""
    return AdaptivePathsExplorer(n_steps).snapshot(**values)


def figure_paths(paths, surface="ravine", title="your paths", alt=None):
    """Paths given as arrays of points on the contours of ``surface`` (a static Figure).

    Args:
        paths: ``{label: array (k, 2)}``, e.g. the points an exercise's update rule visited.
        surface: ``"ravine"``, ``"beale"`` or a Surface. title: what to look at.
        alt: what the figure shows (default: the labels and the surface).
    """
    surf = check_surface(surface, SURFACE_NAMES)
    name = surf.name if surf.name in _CONTOUR_LEVELS else None
    fig, ax = figure((600, 440))
    series = {label: {"label": label} for label in paths}
    contours = PathsOnContours(ax, {"surface": surf}, series, title=title,
                               levels=None if name is None else _CONTOUR_LEVELS[name])
    contours.draw_scene("surface")
    for label, points in paths.items():
        contours.set(label, check_array(f"paths[{label!r}]", points, ndim=2, dtype=np.float64))
    ax.legend(loc="upper right", framealpha=0.9)
    readable(fig)
    return describe(fig, alt or (f"Contour lines of the {surf.name} with the paths of "
                                 f"{', '.join(paths)}, each ending in a large marker; the "
                                 f"minimum is a star."))
