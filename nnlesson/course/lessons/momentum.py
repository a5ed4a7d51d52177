"""Lesson 04, momentum: the experiments (compute, draw, widget).

The stage is an ill-conditioned ravine, ``f(x, y) = (x^2 + kappa y^2) / 2``
(:class:`nnlesson.course.surfaces.Ravine` with ``a = 1``, ``b = kappa``): ``kappa`` times steeper
across the valley than along it. Plain gradient descent zig-zags across it; momentum lets the
"ball" build up speed along the valley floor, overshoot and settle.

Three forms of momentum, each a rule of :mod:`nnlesson.optim` run by
:func:`nnlesson.course.runner.run` (the same steps as the optimizer class):

==============  ===========================================  ==================================
form            update (``g`` the gradient)                  rule (class)
==============  ===========================================  ==================================
``"ema"``       v = beta v + (1 - beta) g;  w = w - lr v     ``momentum_update`` (``Momentum``)
``"classical"`` v = mu v + g;  w = w - lr v                  ``sgd_update`` (``SGD``)
``"nesterov"``  v = mu v + g;  w = w - lr (g + mu v)         ``sgd_update(..., nesterov=True)``
``"gd"``        w = w - lr g                                 ``gd_update`` (``SGD``, no momentum)
==============  ===========================================  ==================================

The slider called ``beta`` is ``beta`` of the EMA form and ``mu`` (PyTorch's ``momentum``) of
the other two. EMA with learning rate ``lr`` takes exactly the steps of the classical form with
learning rate ``lr * (1 - beta)`` (:func:`nnlesson.optim.ema_to_classical_lr`).

Pieces: :func:`momentum_path` (pure compute), :func:`steps_to_tolerance` and
:func:`tune_lr` (the numbers the lesson prints), :func:`heavy_ball_optimum` (the textbook
optimum on a quadratic, Polyak 1964), :func:`noisy_race` (momentum with noisy gradients),
:class:`MomentumExplorer` (the live experiment; :func:`explore_momentum` and
:func:`snapshot_momentum` are its widget and its static figure), :func:`figure_gd_zigzag`,
:func:`figure_paths` (static figures) and :func:`rule_path` (runs an exercise's update rule on
the ravine).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_array, check_choice, check_int, check_number
from nnlesson.course.runner import DIVERGED_NORM, OptimizerPath, run
from nnlesson.course.surfaces import Ravine, check_surface
from nnlesson.viz.explorer import Choice, Explorer, Slider, linear_ladder, log_ladder
from nnlesson.viz.panels import Curves, PathsOnContours
from nnlesson.viz.plotting import PALETTE, describe, figure, readable

__all__ = [
    "FORMS",
    "FORM_LABELS",
    "KAPPAS",
    "DIVERGED_NORM",
    "ravine",
    "momentum_path",
    "steps_to_tolerance",
    "Tuning",
    "tune_lr",
    "heavy_ball_optimum",
    "rule_path",
    "NoisyRace",
    "noisy_race",
    "LR_LADDER",
    "BETA_LADDER",
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
    "ema": "EMA: v = βv + (1−β)g",
    "classical": "PyTorch: v = μv + g",
    "nesterov": "Nesterov (PyTorch form)",
}
#: Narrowness of the ravine offered by the explorer: kappa = b / a with a = 1.
KAPPAS = (10, 25, 100)
#: The explorer's learning rates: 1-2-3-5 per decade from 0.001 to 1, plus the rates the
#: lesson asks for (0.06 and PyTorch's equivalent 0.006).
LR_LADDER = log_ladder(1e-3, 1.0, "1-2-3-5", include=(0.06, 0.006))
#: The explorer's momentum coefficients: 0, 0.01, ..., 0.99 (0.44 and 0.67 are the textbook
#: optima of the two ravines).
BETA_LADDER = linear_ladder(0.0, 0.99, 0.01)

_LOSS_RANGE = (1e-10, 1e3)  # the loss axis of the explorer and of figure_paths


def ravine(kappa=25):
    """The lesson's ravine ``f = (x^2 + kappa y^2) / 2``: ``Ravine(a=1, b=kappa)``."""
    kappa = check_number("kappa", kappa, low=1)
    return Ravine(a=1.0, b=kappa)


def _check_surface(surface):
    return ravine() if surface is None else check_surface(surface)


def _rule(form, beta):
    """The library rule of a form and its hyperparameters (see the module docstring)."""
    if form == "gd":
        return "gd", {}
    if form == "ema":
        return "momentum", {"beta": beta}
    return "sgd", {"momentum": beta, "nesterov": form == "nesterov" and beta > 0}


def momentum_path(form="ema", lr=0.3, beta=0.9, *, surface=None, start=None, n_steps=100):
    """Run one form of momentum on a surface (default: the ravine with kappa = 25).

    Args:
        form: ``"gd"``, ``"ema"``, ``"classical"`` or ``"nesterov"`` (see the module docstring).
        lr: learning rate, >= 0.
        beta: momentum coefficient in [0, 1): ``beta`` of the EMA form, ``momentum`` (mu) of
            PyTorch's forms; ignored by ``"gd"``. Nesterov with ``beta = 0`` is plain GD.

    Returns:
        :class:`nnlesson.course.runner.OptimizerPath` (:func:`nnlesson.course.runner.run`:
        ``diverged_at`` is set once ``||w||`` exceeds its ``DIVERGED_NORM``).
    """
    check_choice("form", form, ("gd",) + FORMS)
    beta = check_number("beta", beta, low=0, high=1, high_open=True)
    rule, hyperparameters = _rule(form, beta)
    return run(_check_surface(surface), rule, lr=lr, hyperparameters=hyperparameters,
               start=start, n_steps=n_steps)


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
    """The result of :func:`tune_lr`: for ``form`` and ``beta``, the learning rate ``lr`` of
    the grid that reached ``tol`` in the fewest ``steps`` (the smallest such rate on a tie;
    both None if none did within ``n_steps``)."""

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
        form, beta: see :func:`momentum_path`.
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
    """Run an exercise's update rule on a surface (default: the ravine with kappa = 25).

    ``update`` has the library's interface: ``momentum_update(w, g, v, lr=..., beta=...)``
    when ``state`` is zeros (the EMA form's velocity starts at 0), or
    ``sgd_update(w, g, buf, lr=..., momentum=...)`` when ``state`` is None (PyTorch's buffer
    is created by the first step); it returns ``(w, state)``. ``hyperparameters`` (``lr``
    included) are passed to it at every step.

    Returns:
        :class:`nnlesson.course.runner.OptimizerPath` (:func:`nnlesson.course.runner.run`).
    """
    if not callable(update):
        raise TypeError(f"update must be a function (w, g, state, lr=..., ...) -> (w, state), "
                        f"got {update!r}")
    hyperparameters = dict(hyperparameters)
    lr = hyperparameters.pop("lr", None)
    return run(_check_surface(surface), "sgd" if state is None else "momentum", update=update,
               lr=lr, hyperparameters=hyperparameters, start=start, n_steps=n_steps)


# --------------------------------------------------------------------------- noisy gradients


@dataclass(frozen=True, eq=False)
class NoisyRace:
    """The result of :func:`noisy_race`: ``settled[i, j, k]`` is the mean loss over the last
    half of the steps and over the random seeds for ``kappas[i]``, ``betas[j]``, ``lrs[k]``
    (inf if the run diverged); ``sigma``, ``n_steps``, ``n_seeds`` as given."""

    kappas: tuple
    betas: tuple
    lrs: tuple
    sigma: float
    n_steps: int
    n_seeds: int
    settled: np.ndarray

    def at(self, kappa, beta, lr):
        """The settled loss of one setting."""
        return float(self.settled[self.kappas.index(kappa), self.betas.index(beta),
                                  self.lrs.index(lr)])

    def best(self, kappa, beta):
        """``(lr, settled loss)``: the learning rate that settles lowest for this ``beta``."""
        row = self.settled[self.kappas.index(kappa), self.betas.index(beta)]
        return self.lrs[int(np.argmin(row))], float(np.min(row))

    def table(self):
        """Each beta at its best learning rate, a pair of columns per ravine."""
        lines = [" " * 24 + "".join(f"kappa {k}: best lr, loss".rjust(28) for k in self.kappas)]
        for beta in self.betas:
            name = "plain GD" if beta == 0 else f"EMA momentum, beta {beta:g}"
            cells = "".join(f"{lr:>17g}{level:>11.3g}"
                            for lr, level in (self.best(k, beta) for k in self.kappas))
            lines.append(name.ljust(24) + cells)
        return "\n".join(lines)


class _Copies:
    """``n`` copies of the ravine side by side, ``w = (x_1, y_1, ..., x_n, y_n)``: one run of the
    runner moves all of them; the value is their mean loss."""

    def __init__(self, kappa, n):
        self.curvature = np.tile([1.0, float(kappa)], n)
        self.default_start = np.tile(Ravine().default_start, n)
        self.n = n

    def value(self, w):
        return 0.5 * (self.curvature * np.asarray(w) ** 2).sum(axis=-1) / self.n


def noisy_race(kappas=(25, 100), betas=(0.0, 0.5, 0.9, 0.99), lrs=None, *, sigma=1.0,
               n_steps=400, n_seeds=20, seed=0):
    """EMA momentum on the ravine when every gradient is noisy, as a mini-batch's is.

    Each step sees ``g = grad f(w) + sigma * xi``, ``xi ~ N(0, I)`` drawn afresh, and takes
    ``momentum_update(w, g, v, lr=lr, beta=beta)`` (``beta = 0``: plain gradient descent).
    ``n_seeds`` runs per setting from the ravine's start, with noise from
    ``default_rng(seed)`` (the same noise for every setting). A run has "settled" at the mean
    loss over the last half of its steps: what a fixed budget of noisy steps achieves.

    Args:
        kappas: ravine narrownesses. betas: momentum coefficients in [0, 1).
        lrs: learning rates (default the explorer's :data:`LR_LADDER` from 0.002 to 0.5).
        sigma: noise standard deviation per coordinate. n_steps, n_seeds: budget and runs.

    Returns:
        :class:`NoisyRace`.
    """
    lrs = tuple(v for v in LR_LADDER if 0.002 <= v <= 0.5) if lrs is None else tuple(lrs)
    sigma = check_number("sigma", sigma, low=0)
    n_steps = check_int("n_steps", n_steps, low=2)
    n_seeds = check_int("n_seeds", n_seeds, low=1)
    noise = sigma * np.random.default_rng(seed).standard_normal((n_steps, 2 * n_seeds))
    settled = np.empty((len(kappas), len(betas), len(lrs)))
    for i, kappa in enumerate(kappas):
        copies = _Copies(check_number("kappas[i]", kappa, low=1), n_seeds)
        grad = lambda w, t: copies.curvature * w + noise[t]  # noqa: E731 - one line per step
        for j, beta in enumerate(betas):
            for k, lr in enumerate(lrs):
                path = run(copies, "momentum", lr=lr, hyperparameters={"beta": beta},
                           n_steps=n_steps, batch_grad=grad)
                settled[i, j, k] = (np.inf if path.diverged
                                    else float(np.mean(path.values[n_steps // 2 + 1:])))
    return NoisyRace(tuple(kappas), tuple(betas), lrs, sigma, n_steps, n_seeds, settled)


# --------------------------------------------------------------------------- the explorer


def _steps_text(path, tol):
    if path.diverged:
        return f"diverged at step {path.diverged_at}"
    steps = steps_to_tolerance(path, tol)
    return f"not within {len(path.values) - 1} steps" if steps is None else f"after {steps} steps"


# momentum in the palette's first colour, plain GD in its second, drawn under momentum
_GD_STYLE = {"label": "plain GD, same lr", "color": PALETTE[1], "marker": "s", "linestyle": "--",
             "linewidth": 1.2}
_MOMENTUM_STYLE = {"label": "momentum", "color": PALETTE[0], "marker": "o", "linestyle": "-",
                   "linewidth": 1.8}


class MomentumExplorer(Explorer):
    """The momentum explorer: form, learning rate, β and the ravine's narrowness κ (the plots:
    :attr:`alt`; under them, when each run gets below the tolerance for good).

    Args:
        n_steps: steps of each run, >= 1. tol: the tolerance, > 0.
    """

    controls = (
        Choice("form", "form", [(FORM_LABELS[f], f) for f in FORMS], default="ema"),
        Slider("lr", "learning rate", LR_LADDER, default=0.06),
        Slider("beta", "momentum β (μ)", BETA_LADDER, default=0.9),
        Choice("kappa", "ravine narrowness", [(f"κ = {k}", k) for k in KAPPAS], default=25),
    )
    size = (880, 390)
    alt = ("Left: contour lines of the ravine with two paths from the same start towards the "
           "minimum in the centre, momentum (solid line) and plain gradient descent at the "
           "same learning rate (dashed). Right: the loss of each run above the minimum at "
           "every step, on a log axis, with the tolerance 1e-6 dotted.")

    def __init__(self, n_steps=200, tol=1e-6):
        super().__init__()
        self.n_steps = check_int("n_steps", n_steps, low=1)
        self.tol = check_number("tol", tol, low=0, low_open=True)

    def build(self, fig):
        ax_map, ax_loss = fig.subplots(1, 2)
        paths = {"gd": _GD_STYLE, "momentum": _MOMENTUM_STYLE}
        self.map = PathsOnContours(
            ax_map, {k: ravine(k) for k in KAPPAS}, paths,
            title=lambda k: f"paths in the ravine (x² + {k}y²) / 2",
            xlabel="weight x (along the valley)", ylabel="weight y (across)")
        handles = [self.map.lines["momentum"], self.map.lines["gd"], self.map.start,
                   self.map.minimum]
        ax_map.legend(handles=handles, loc="upper right", framealpha=0.9)
        self.loss = Curves(ax_loss, np.arange(self.n_steps + 1), paths, log=True,
                           ylim=_LOSS_RANGE, title="which loss drops faster?", xlabel="step",
                           ylabel="loss − minimum (log axis)", legend=None)
        ax_loss.axhline(self.tol, color="#777777", linewidth=1, linestyle=":")
        return self.map.artists + self.loss.artists

    def scene(self, kappa):
        return kappa

    def draw_scene(self, key):
        self.map.draw_scene(key)

    def compute(self, form, lr, beta, kappa):
        """The momentum path and the plain-GD path at the same ``lr`` (values checked by the
        base: straight to the runner)."""
        rule, hyperparameters = _rule(form, beta)
        surface = ravine(kappa)
        return (run(surface, rule, lr=lr, hyperparameters=hyperparameters, n_steps=self.n_steps),
                run(surface, "gd", lr=lr, n_steps=self.n_steps))

    def update(self, result):
        mom, gd = result
        for name, path in (("momentum", mom), ("gd", gd)):
            self.map.set(name, path.points)
            self.loss.set(name, path.values)
        tol = f"{self.tol:.0e}".replace("e-0", "e-")  # 1e-6, as the lesson writes it
        return (f"Loss below {tol} for good: momentum {_steps_text(mom, self.tol)}, "
                f"plain GD {_steps_text(gd, self.tol)}")


def explore_momentum(*, n_steps=200, **values):
    """The momentum explorer's widget (controls: ``form``, ``lr``, ``beta``, ``kappa``; see
    :class:`MomentumExplorer`)."""
    return MomentumExplorer(n_steps).explore(**values)


def snapshot_momentum(*, n_steps=200, **values):
    """The momentum explorer's figure for one setting, with its alt text (a static Figure)."""
    return MomentumExplorer(n_steps).snapshot(**values)


# --------------------------------------------------------------------------- static figures


def figure_paths(paths, *, surface=None, title="", n_steps=None, alt=None):
    """Several paths on the ravine's contours (left) and their losses per step (right).

    Args:
        paths: dict ``label -> OptimizerPath`` (at most 8; drawn in the palette's order).
        surface: the surface they ran on (default the ravine with kappa = 25).
        title: the left panel's title (say what to look at).
        n_steps: the loss panel's last step (default the longest path).
        alt: what the figure shows, attached for :func:`nnlesson.viz.plotting.show`.
    """
    surface = _check_surface(surface)
    fig, (ax_map, ax_loss) = figure((880, 380), 2, 1)
    series = {label: {"label": label, "linewidth": 2.2 if i == 0 else 1.2}
              for i, label in enumerate(paths)}
    contours = PathsOnContours(ax_map, {"surface": surface}, series,
                               title=title or "paths on the loss contours")
    contours.draw_scene("surface")
    longest = max(len(p.values) for p in paths.values()) - 1
    loss = Curves(ax_loss, np.arange((longest if n_steps is None else n_steps) + 1), series,
                  log=True, ylim=_LOSS_RANGE, title="loss − minimum per step (log)",
                  xlabel="step", ylabel="loss − minimum (log axis)", legend=None)
    for label, path in paths.items():
        contours.set(label, path.points)
        loss.set(label, path.values - (surface.min_value or 0.0))
    ax_map.legend(loc="upper right", framealpha=0.9)
    readable(fig)
    return fig if alt is None else describe(fig, alt)


def figure_gd_zigzag(lrs=(0.01, 0.07), kappa=25, n_steps=60):
    """Plain gradient descent in the ravine: a small rate crawls, a large one zig-zags."""
    surface = ravine(kappa)
    paths = {f"plain GD, lr = {lr:g}": momentum_path("gd", lr, surface=surface,
                                                    n_steps=n_steps) for lr in lrs}
    alt = (f"Left: the paths of plain gradient descent at learning rates "
           f"{' and '.join(f'{lr:g}' for lr in lrs)} on the contour lines of the ravine "
           f"(x² + {kappa:g}y²) / 2, {n_steps} steps from the same start: the small rate "
           "crawls along the valley, the large one zig-zags across it. Right: the loss of "
           "each run above the minimum at every step, on a log axis.")
    return figure_paths(paths, surface=surface, alt=alt,
                        title="crawl along the valley or zig-zag across it")
