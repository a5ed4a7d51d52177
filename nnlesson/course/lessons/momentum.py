"""Lesson 04, momentum: the experiments (compute, draw, widget).

The stage is an ill-conditioned ravine, ``f(x, y) = (x^2 + kappa y^2) / 2``
(:class:`nnlesson.course.surfaces.Ravine` with ``a = 1``, ``b = kappa``): ``kappa`` times steeper
across the valley than along it. Plain gradient descent zig-zags across it; momentum lets the
"ball" build up speed along the valley floor, overshoot and settle.

Three forms of momentum, all from :mod:`nnlesson.optim`:

==============  ===========================================  ==================================
form            update (``g`` the gradient)                  library
==============  ===========================================  ==================================
``"ema"``       v = beta v + (1 - beta) g;  w = w - lr v     :class:`~nnlesson.optim.Momentum`
``"classical"`` v = mu v + g;  w = w - lr v                  :class:`~nnlesson.optim.SGD`
``"nesterov"``  v = mu v + g;  w = w - lr (g + mu v)         ``SGD(..., nesterov=True)``
``"gd"``        w = w - lr g                                 ``SGD`` without momentum
==============  ===========================================  ==================================

The slider called ``beta`` is ``beta`` of the EMA form and ``mu`` (PyTorch's ``momentum``) of
the other two. EMA with learning rate ``lr`` takes exactly the steps of the classical form with
learning rate ``lr * (1 - beta)`` (:func:`nnlesson.optim.ema_to_classical_lr`).

Pieces: :func:`momentum_path` (pure compute), :func:`steps_to_tolerance` and
:func:`tune_lr` (the numbers the lesson prints), :func:`heavy_ball_optimum` (the textbook
optimum on a quadratic), :class:`MomentumExplorer` / :func:`explore_momentum` (the widget),
:func:`snapshot_momentum`, :func:`figure_gd_zigzag`, :func:`figure_paths` (static figures) and
:func:`rule_path` (runs an exercise's update rule on the ravine).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_array, check_choice, check_int, check_number
from nnlesson.course.surfaces import OptimizerPath, Ravine, Surface, loss_grid, optimizer_path
from nnlesson.viz.plotting import Backdrop
from nnlesson.optim import SGD, Momentum

__all__ = [
    "FORMS",
    "FORM_LABELS",
    "KAPPAS",
    "DIVERGED_NORM",
    "ravine",
    "make_optimizer",
    "momentum_path",
    "steps_to_tolerance",
    "Tuning",
    "tune_lr",
    "heavy_ball_optimum",
    "rule_path",
    "MomentumExplorer",
    "explore_momentum",
    "snapshot_momentum",
    "figure_gd_zigzag",
    "figure_paths",
]

#: The momentum forms of the explorer's dropdown (plus ``"gd"``, no momentum).
FORMS = ("ema", "classical", "nesterov")
FORM_LABELS = {
    "gd": "plain gradient descent",
    "ema": "EMA (seeds): v = βv + (1−β)g",
    "classical": "PyTorch: v = μv + g",
    "nesterov": "Nesterov (PyTorch)",
}
#: Narrowness of the ravine offered by the explorer: kappa = b / a with a = 1.
KAPPAS = (10, 25, 100)
#: A run counts as diverged once ``||w||`` exceeds this (far outside the plotted window).
DIVERGED_NORM = 1e3

_LOSS_RANGE = (1e-10, 1e3)  # the explorer's fixed loss axis


def ravine(kappa=25):
    """The lesson's ravine ``f = (x^2 + kappa y^2) / 2``: ``Ravine(a=1, b=kappa)``."""
    kappa = check_number("kappa", kappa, low=1)
    return Ravine(a=1.0, b=kappa)


def make_optimizer(form, lr, beta=0.9):
    """A factory ``params -> optimizer`` for :func:`nnlesson.course.surfaces.optimizer_path`.

    Args:
        form: ``"gd"``, ``"ema"``, ``"classical"`` or ``"nesterov"`` (see the module docstring).
        lr: learning rate, >= 0.
        beta: momentum coefficient in [0, 1): ``beta`` of the EMA form, ``momentum`` (mu) of
            PyTorch's forms; ignored by ``"gd"``. Nesterov with ``beta = 0`` is plain GD.
    """
    check_choice("form", form, ("gd",) + FORMS)
    lr = check_number("lr", lr, low=0)
    beta = check_number("beta", beta, low=0, high=1, high_open=True)
    if form == "gd":
        return lambda params: SGD(params, lr=lr)
    if form == "ema":
        return lambda params: Momentum(params, lr=lr, beta=beta)
    if form == "classical":
        return lambda params: SGD(params, lr=lr, momentum=beta)
    return lambda params: SGD(params, lr=lr, momentum=beta, nesterov=beta > 0)


def _check_surface(surface):
    if surface is None:
        return ravine()
    if not isinstance(surface, Surface):
        raise TypeError(f"surface must be a Surface such as ravine(25), got {surface!r}")
    return surface


def momentum_path(form="ema", lr=0.3, beta=0.9, *, surface=None, start=None, n_steps=100):
    """Run one form of momentum on a surface (default: the ravine with kappa = 25).

    Returns:
        :class:`nnlesson.course.surfaces.OptimizerPath` with ``points`` (k + 1, 2) and ``values``
        (k + 1,); ``diverged_at`` is set once ``||w||`` exceeds :data:`DIVERGED_NORM`.
    """
    surface = _check_surface(surface)
    return optimizer_path(surface, make_optimizer(form, lr, beta), start=start,
                          n_steps=n_steps, max_norm=DIVERGED_NORM)


def steps_to_tolerance(path, tol=1e-6, min_value=0.0):
    """The first step from which the loss stays within ``tol`` of ``min_value`` to the end.

    Momentum's loss does not fall monotonically (the ball overshoots), so "reached" means:
    ``values[s] - min_value <= tol`` for every step ``s >= t`` of the run.

    Args:
        path: an :class:`~nnlesson.course.surfaces.OptimizerPath`.
        tol: tolerance on the loss above its minimum, > 0.
        min_value: the loss at the minimum (0 for the ravine).

    Returns:
        The step ``t`` (an int, 0 = already at the start), or None if the run diverged or
        ended above the tolerance.
    """
    if not isinstance(path, OptimizerPath):
        raise TypeError(f"path must be an OptimizerPath, got {type(path).__name__}")
    tol = check_number("tol", tol, low=0, low_open=True)
    min_value = check_number("min_value", min_value)
    if path.diverged:
        return None
    above = np.flatnonzero(path.values - min_value > tol)
    if len(above) == 0:
        return 0
    last = int(above[-1])
    return None if last == len(path.values) - 1 else last + 1


@dataclass(frozen=True)
class Tuning:
    """The result of :func:`tune_lr`.

    Attributes:
        form, beta: what was tuned.
        lr: the learning rate of the grid that reached the tolerance in the fewest steps
            (the smallest such rate on a tie), or None if none did.
        steps: its number of steps (None if none reached the tolerance).
        tol, n_steps: the tolerance and the length of each run.
    """

    form: str
    beta: float
    lr: float | None
    steps: int | None
    tol: float
    n_steps: int


def tune_lr(form="ema", beta=0.9, *, surface=None, tol=1e-6, lrs=None, n_steps=300):
    """Try every learning rate of a grid; keep the one that reaches ``tol`` in the fewest steps.

    Each candidate runs :func:`momentum_path` for ``n_steps`` steps and is scored with
    :func:`steps_to_tolerance`. To save time, a rate is first run only as long as the best
    count so far: if its loss is not within ``tol`` by then, it cannot do better.

    Args:
        form, beta: see :func:`make_optimizer`.
        surface: default the ravine with kappa = 25.
        tol: tolerance on the loss above its minimum.
        lrs: the grid (default ``10 ** linspace(-3, 0.5, 71)``: twenty per decade).
        n_steps: length of each run (the step budget).

    Returns:
        :class:`Tuning`.
    """
    surface = _check_surface(surface)
    tol = check_number("tol", tol, low=0, low_open=True)
    n_steps = check_int("n_steps", n_steps, low=1)
    lrs = np.logspace(-3, 0.5, 71) if lrs is None else check_array("lrs", lrs, ndim=1)
    min_value = surface.min_value or 0.0
    best_lr, best_steps = None, None
    for lr in sorted((float(x) for x in lrs), reverse=True):
        if best_steps is not None:
            probe = momentum_path(form, lr, beta, surface=surface, n_steps=best_steps)
            if probe.diverged or probe.values[-1] - min_value > tol:
                continue
        steps = steps_to_tolerance(
            momentum_path(form, lr, beta, surface=surface, n_steps=n_steps), tol, min_value)
        if steps is not None and (best_steps is None or steps <= best_steps):
            best_lr, best_steps = lr, steps
    return Tuning(form=form, beta=float(beta), lr=best_lr, steps=best_steps, tol=tol,
                  n_steps=n_steps)


def heavy_ball_optimum(surface=None):
    """The best constant hyperparameters on a quadratic ravine, from the textbook analysis.

    For ``f = (a x^2 + b y^2) / 2`` with ``kappa = max(a, b) / min(a, b)``, ``L = max(a, b)``,
    ``m = min(a, b)`` (Polyak's heavy-ball analysis)::

        plain GD:   lr = 2 / (L + m),                  error shrinks by (kappa - 1) / (kappa + 1)
        momentum:   mu = ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))^2,
                    lr_classical = 4 / (sqrt(L) + sqrt(m))^2,   lr_ema = lr_classical / (1 - mu),
                    error shrinks by sqrt(mu) = (sqrt(kappa) - 1) / (sqrt(kappa) + 1)

    per step (asymptotically). Returns a dict with keys ``kappa``, ``gd_lr``, ``gd_rate``,
    ``beta``, ``lr_classical``, ``lr_ema``, ``rate``.
    """
    surface = _check_surface(surface)
    if not isinstance(surface, Ravine):
        raise TypeError(f"surface must be a Ravine, got {surface!r}")
    L, m = max(surface.a, surface.b), min(surface.a, surface.b)
    kappa = L / m
    root = math.sqrt(kappa)
    beta = ((root - 1) / (root + 1)) ** 2
    lr_classical = 4 / (math.sqrt(L) + math.sqrt(m)) ** 2
    return {
        "kappa": kappa,
        "gd_lr": 2 / (L + m),
        "gd_rate": (kappa - 1) / (kappa + 1),
        "beta": beta,
        "lr_classical": lr_classical,
        "lr_ema": lr_classical / (1 - beta),
        "rate": (root - 1) / (root + 1),
    }


def rule_path(update, state=None, *, surface=None, start=None, n_steps=100, **hyperparameters):
    """Run an update rule written in the library's interface on a surface.

    Each step is ``w, state = update(w, surface.grad(w), state, **hyperparameters)``, so an
    exercise's ``momentum_update(w, g, v, lr=..., beta=...)`` (with ``state = zeros``) or
    ``sgd_momentum_update(w, g, buf, lr=..., momentum=...)`` (with ``state = None``) can be
    watched rolling down the ravine.

    Returns:
        :class:`nnlesson.course.surfaces.OptimizerPath` (stops as diverged once ``||w||`` exceeds
        :data:`DIVERGED_NORM` or is not finite).
    """
    if not callable(update):
        raise TypeError(f"update must be a function (w, g, state, ...) -> (w, state), "
                        f"got {update!r}")
    surface = _check_surface(surface)
    n_steps = check_int("n_steps", n_steps, low=0)
    w = np.array(surface.default_start if start is None else start, dtype=np.float64)
    points = [w.copy()]
    diverged_at = None
    for t in range(1, n_steps + 1):
        w, state = update(w, surface.grad(w), state, **hyperparameters)
        w = np.asarray(w, dtype=np.float64)
        if not np.all(np.isfinite(w)) or np.linalg.norm(w) > DIVERGED_NORM:
            diverged_at = t
            break
        points.append(w.copy())
    points = np.array(points)
    return OptimizerPath(points=points, values=surface.value(points), diverged_at=diverged_at)


# --------------------------------------------------------------------------- drawing


def _contour_levels(surface):
    X, Y, Z = loss_grid(surface, n=120)
    return X, Y, Z, np.logspace(-2, math.log10(float(Z.max())), 12)


def _steps_text(path, tol):
    if path.diverged:
        return "diverged"
    steps = steps_to_tolerance(path, tol)
    return "not yet" if steps is None else f"{steps} steps"


class MomentumExplorer:
    """The explorer's figure, built once; :meth:`update` changes its artists only.

    Left: the ravine's contours, the path of the chosen momentum form (solid) and of plain
    gradient descent at the same learning rate (dashed). Right: the loss above its minimum at
    each step (log axis), for both. Each ravine's contours, axes and titles are painted once,
    when the explorer is built (:class:`~nnlesson.viz.plotting.Backdrop`, with
    ``bake=True``).
    """

    def __init__(self, n_steps=200, tol=1e-6, bake=True):
        from nnlesson.viz.plotting import PALETTE, freeze_layout, label_axes, new_figure, series_style

        self.n_steps = check_int("n_steps", n_steps, low=1)
        self.tol = check_number("tol", tol, low=0, low_open=True)
        self._label_axes = label_axes
        fig, (ax_map, ax_loss) = new_figure(2, 1, width=11.0, height=4.3)
        self.figure = fig
        self.axes = (ax_map, ax_loss)
        self._contours = {}
        self._kappa = None
        mom = dict(series_style(0), markersize=3)
        gd = dict(series_style(1), markersize=3)
        self._gd_style = gd
        (self.gd_line,) = ax_map.plot([], [], color=gd["color"], linestyle="--", linewidth=1.0,
                                      marker=gd["marker"], markersize=3, alpha=0.8,
                                      label="plain GD, same lr")
        (self.mom_line,) = ax_map.plot([], [], color=mom["color"], linestyle="-",
                                       linewidth=1.4, marker=mom["marker"], markersize=3,
                                       label="momentum (the chosen form)")
        (self.end_point,) = ax_map.plot([], [], color=mom["color"], marker="s", markersize=7,
                                        linestyle="none")
        ax_map.plot([], [], marker="o", color=PALETTE[3], markersize=9, linestyle="none",
                    label="start")
        ax_map.plot([0.0], [0.0], marker="*", color=PALETTE[7], markersize=14,
                    linestyle="none", label="minimum")
        (self.start_point,) = ax_map.plot([], [], marker="o", color=PALETTE[3], markersize=9,
                                          linestyle="none")
        ax_map.legend(loc="upper right", fontsize=8, framealpha=0.9)
        steps = np.arange(self.n_steps + 1)
        nan = np.ones(self.n_steps + 1)  # placeholder (markevery needs finite data)
        (self.gd_loss,) = ax_loss.plot(steps, nan, label="plain GD, same lr",
                                       **dict(gd, markevery=0.1, markersize=4))
        (self.mom_loss,) = ax_loss.plot(steps, nan, label="momentum",
                                        **dict(mom, markevery=0.1, markersize=4))
        ax_loss.axhline(self.tol, color="#777777", linewidth=0.8, linestyle=":")
        ax_loss.set_yscale("log")
        ax_loss.set_xlim(0, self.n_steps)
        ax_loss.set_ylim(*_LOSS_RANGE)
        label_axes(ax_loss, title="loss − minimum per step (log): which curve drops faster?",
                   xlabel="step", ylabel="loss − minimum (log axis)")
        ax_loss.legend(loc="upper right", fontsize=8, framealpha=0.9)
        self.loss_text = ax_loss.text(0.02, 0.03, "", transform=ax_loss.transAxes, fontsize=8,
                                      va="bottom", linespacing=1.4,
                                      bbox={"facecolor": "white", "alpha": 0.85,
                                            "edgecolor": "none"})
        self._prepare(KAPPAS[1])
        freeze_layout(fig)
        ax_map.set_position([0.065, 0.12, 0.405, 0.8])
        ax_loss.set_position([0.58, 0.12, 0.405, 0.8])
        dynamic = [self.gd_line, self.mom_line, self.end_point, self.start_point,
                   self.gd_loss, self.mom_loss, self.loss_text]
        self.background = Backdrop(fig, dynamic, scene=None) if bake else None
        if bake:  # paint every ravine now, so that switching later is instant
            for kappa in KAPPAS:
                self._show_kappa(kappa)
        self.update()

    def _prepare(self, kappa):
        surface = ravine(kappa)
        ax_map = self.axes[0]
        if kappa not in self._contours:
            X, Y, Z, levels = _contour_levels(surface)
            self._contours[kappa] = ax_map.contour(X, Y, Z, levels=levels, colors="#9a9a9a",
                                                   linewidths=0.7, zorder=1)
        for key, contour in self._contours.items():
            contour.set_visible(key == kappa)
        (x0, x1), (y0, y1) = surface.bounds
        ax_map.set_xlim(x0, x1)
        ax_map.set_ylim(y0, y1)
        self._label_axes(
            ax_map, title=f"ravine (x² + {kappa:g} y²) / 2: the ball rolls, overshoots, settles",
            xlabel="weight x (along the valley)", ylabel="weight y (across)")

    def _show_kappa(self, kappa):
        if kappa == self._kappa:
            return
        if self.background is None:
            self._prepare(kappa)
        else:
            self.background.show(kappa, lambda: self._prepare(kappa))
        self._kappa = kappa

    def compute(self, form="ema", lr=0.06, beta=0.9, kappa=25):
        """The momentum path and the plain-GD path at the same ``lr`` (pure)."""
        surface = ravine(kappa)
        mom = momentum_path(form, lr, beta, surface=surface, n_steps=self.n_steps)
        gd = momentum_path("gd", lr, surface=surface, n_steps=self.n_steps)
        return mom, gd

    def update(self, form="ema", lr=0.06, beta=0.9, kappa=25):
        check_choice("form", form, FORMS)
        check_choice("kappa", kappa, KAPPAS)
        self._show_kappa(kappa)
        mom, gd = self.compute(form, lr, beta, kappa)
        self.paths = {"momentum": mom, "gd": gd}
        for line, loss, path in ((self.mom_line, self.mom_loss, mom),
                                 (self.gd_line, self.gd_loss, gd)):
            pts = path.points
            line.set_data(pts[:, 0], pts[:, 1])
            line.set_markevery(max(1, len(pts) // 30))
            y = np.full(self.n_steps + 1, np.nan)
            y[:len(path.values)] = np.maximum(path.values, 1e-300)
            loss.set_ydata(y)
        self.end_point.set_data([mom.points[-1, 0]], [mom.points[-1, 1]])
        self.start_point.set_data([mom.points[0, 0]], [mom.points[0, 1]])
        self.loss_text.set_text(f"to {self.tol:.0e}: momentum {_steps_text(mom, self.tol)}, "
                                f"GD {_steps_text(gd, self.tol)}")


def explore_momentum(form="ema", lr=0.06, beta=0.9, kappa=25, n_steps=200):
    """The momentum explorer: form, learning rate (log), momentum β, ravine narrowness κ."""
    from nnlesson.viz.widgets import beta_slider, choice, interactive_plot, lr_slider

    check_choice("form", form, FORMS)
    check_choice("kappa", kappa, KAPPAS)
    drawing = MomentumExplorer(n_steps=n_steps)
    demo = interactive_plot(
        drawing.figure, drawing.update,
        form=choice([(FORM_LABELS[f], f) for f in FORMS], form, description="form"),
        lr=lr_slider(lr, min_exp=-3, max_exp=0),
        beta=beta_slider(beta, min=0.0, max=0.99, step=0.01),
        kappa=choice([(f"κ = {k}", k) for k in KAPPAS], kappa,
                     description="ravine narrowness"),
    )
    demo.drawing = drawing
    return demo


def snapshot_momentum(form="ema", lr=0.06, beta=0.9, kappa=25, n_steps=200):
    """The explorer's figure for one setting (a static Figure for slides)."""
    drawing = MomentumExplorer(n_steps=n_steps, bake=False)
    drawing.update(form=form, lr=lr, beta=beta, kappa=kappa)
    return drawing.figure


def figure_paths(paths, *, surface=None, title="", n_steps=None):
    """Several paths on the ravine's contours (left) and their losses per step (right).

    Args:
        paths: dict ``label -> OptimizerPath`` (at most 8; drawn in the palette's order).
        surface: the surface they ran on (default the ravine with kappa = 25).
        title: the left panel's title (say what to look at).
    """
    from nnlesson.viz.plotting import PALETTE, label_axes, new_figure, series_style

    surface = _check_surface(surface)
    fig, (ax_map, ax_loss) = new_figure(2, 1, width=11.0, height=4.3)
    X, Y, Z = loss_grid(surface, n=120)
    levels = np.logspace(-2, math.log10(float(Z.max())), 12)
    if surface.min_value is None:
        levels = 14
    ax_map.contour(X, Y, Z, levels=levels, colors="#9a9a9a", linewidths=0.7)
    longest = 1
    for i, (label, path) in enumerate(paths.items()):
        style = dict(series_style(i), markersize=3)
        width = 2.2 if i == 0 else 1.2
        pts = path.points
        ax_map.plot(pts[:, 0], pts[:, 1], label=label, linewidth=width,
                    **dict(style, markevery=max(1, len(pts) // 25)))
        values = np.maximum(path.values - (surface.min_value or 0.0), 1e-300)
        ax_loss.plot(np.arange(len(values)), values, label=label, linewidth=width,
                     **dict(style, markevery=0.1))
        longest = max(longest, len(values) - 1)
    first = next(iter(paths.values())).points[0]
    ax_map.plot(*first, marker="o", color=PALETTE[3], markersize=9, linestyle="none")
    if surface.minimum is not None:
        ax_map.plot(*surface.minimum, marker="*", color=PALETTE[7], markersize=14,
                    linestyle="none")
    (x0, x1), (y0, y1) = surface.bounds
    ax_map.set_xlim(x0, x1)
    ax_map.set_ylim(y0, y1)
    label_axes(ax_map, title=title or "paths on the loss contours", xlabel="weight x",
               ylabel="weight y")
    ax_map.legend(loc="upper right", fontsize=8, framealpha=0.9)
    ax_loss.set_yscale("log")
    ax_loss.set_xlim(0, longest if n_steps is None else n_steps)
    ax_loss.set_ylim(*_LOSS_RANGE)
    label_axes(ax_loss, title="loss − minimum per step (log)", xlabel="step",
               ylabel="loss − minimum (log axis)")
    ax_loss.legend(loc="upper right", fontsize=8, framealpha=0.9)
    return fig


def figure_gd_zigzag(lrs=(0.01, 0.07), kappa=25, n_steps=60):
    """Plain gradient descent in the ravine: a small rate crawls, a large one zig-zags."""
    surface = ravine(kappa)
    paths = {f"plain GD, lr = {lr:g}": momentum_path("gd", lr, surface=surface,
                                                    n_steps=n_steps) for lr in lrs}
    return figure_paths(paths, surface=surface,
                        title="gradient descent: crawl along the valley or zig-zag across it")
