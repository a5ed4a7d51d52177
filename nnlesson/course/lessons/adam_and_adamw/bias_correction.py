"""Lesson 06, bias correction: Adam's first steps with and without it, measured.

For a constant gradient the moments start far too small (``m_1 = (1 - beta1) g``, ``v_1 =
(1 - beta2) g^2``), but the step divides one by the square root of the other, so without the
correction the first step is ``lr (1 - beta1) / sqrt(1 - beta2)``: about 3.16 lr with the
default betas, *larger* than ``lr``, and it keeps growing for a dozen steps. It is smaller than
``lr`` only when ``1 - beta1 < sqrt(1 - beta2)``. Next to it, the paths of Adam with and without
the correction on Beale's function.

Every step is made by the course's runner (:func:`nnlesson.course.runner.run`, rule
``"adam"`` with the library's teaching switch ``bias_correction``): PyTorch's conventions, step
counter from 1, ``eps`` outside the square root.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_int, check_number
from nnlesson.course.runner import run
from nnlesson.course.surfaces import SURFACES, check_surface
from nnlesson.viz.explorer import Explorer, Slider, linear_ladder, log_ladder
from nnlesson.viz.panels import Curves, PathsOnContours
from nnlesson.viz.plotting import PALETTE, describe, figure, readable

__all__ = [
    "EPS",
    "BETA1_LADDER",
    "BETA2_LADDER",
    "FirstSteps",
    "first_steps",
    "bias_correction_paths",
    "rule_path",
    "figure_paths",
    "BiasCorrectionExplorer",
    "explore_bias_correction",
    "snapshot_bias_correction",
]

#: Adam's epsilon throughout (PyTorch's default).
EPS = 1e-8
#: The explorer's beta1: 0 to 0.99 by 0.01 (0.9 is the default, 0.99 the lesson's question).
BETA1_LADDER = linear_ladder(0.0, 0.99, 0.01)
#: The explorer's beta2: the values the lesson names (0.99, 0.999 the default, 0.9999) and a
#: few between.
BETA2_LADDER = (0.9, 0.95, 0.99, 0.995, 0.999, 0.9995, 0.9999)
#: The explorer's learning rates: 1-2-3-5 per decade from 0.001 to 1 (0.01, 0.1, 0.3 named).
LR_LADDER = log_ladder(1e-3, 1.0, "1-2-3-5")


def _check_lr(lr):
    return check_number("lr", lr, low=0, low_open=True)


def _check_beta(name, beta):
    return check_number(name, beta, low=0, high=1, high_open=True)


def _adam(beta1, beta2, bias_correction):
    return {"beta1": beta1, "beta2": beta2, "eps": EPS, "bias_correction": bias_correction}


# --------------------------------------------------------------------------- first steps


class _Slope:
    """One weight on a slope: ``f(w) = g w``, gradient ``g`` everywhere (a steady gradient)."""

    def __init__(self, g):
        self.g = float(g)
        self.grad_point = lambda w: np.array([self.g])

    def value(self, w):
        return self.g * np.asarray(w)[..., 0]

    def grad(self, w):
        return np.array([self.g])


@dataclass(frozen=True, eq=False)
class FirstSteps:
    """Adam on one weight whose gradient is ``g`` at every step, with and without correction.

    Attributes (arrays of shape (n_steps,); index t - 1 holds step t):
        t: the step numbers 1 ... n_steps.
        m, v: the moments after step t (the same with or without correction: the correction
            changes the step, not the stored moments).
        step_corrected, step_uncorrected: ``|w_t - w_{t-1}|`` of the two runs.
        lr, g: the learning rate and the gradient used.
    """

    t: np.ndarray
    m: np.ndarray
    v: np.ndarray
    step_corrected: np.ndarray
    step_uncorrected: np.ndarray
    lr: float
    g: float

    @property
    def peak(self):
        """``(t, step / lr)`` of the largest uncorrected step."""
        k = int(np.argmax(self.step_uncorrected))
        return int(self.t[k]), float(self.step_uncorrected[k] / self.lr)


@functools.lru_cache(maxsize=256)
def _first_steps(n_steps, lr, beta1, beta2, g):
    slope = _Slope(g)
    steps, state = {}, None
    for bias_correction in (True, False):
        path = run(slope, "adam", lr=lr, hyperparameters=_adam(beta1, beta2, bias_correction),
                   start=np.zeros(1), n_steps=n_steps, record_state=True)
        if path.diverged:
            raise ValueError(f"lr * n_steps must keep the weight within the runner's bound: "
                             f"lr = {lr:g} and n_steps = {n_steps} moved it past 1e6")
        steps[bias_correction] = np.abs(np.diff(path.points[:, 0]))
        state = path.state
    arrays = (np.arange(1, n_steps + 1), state["m"][:, 0].copy(), state["v"][:, 0].copy(),
              steps[True], steps[False])
    for a in arrays:
        a.flags.writeable = False
    return FirstSteps(*arrays, lr=lr, g=g)


def first_steps(n_steps=60, lr=1e-3, beta1=0.9, beta2=0.999, g=1.0):
    """Measure Adam's first steps for a constant gradient, with and without bias correction.

    Equations (constant gradient ``g``, moments starting at 0, ``t`` from 1)::

        m_t = (1 - beta1^t) g              v_t = (1 - beta2^t) g^2
        with correction:     step_t = lr * m_hat / (sqrt(v_hat) + eps)  ~ lr
        without correction:  step_t = lr * m_t / (sqrt(v_t) + eps)
                                    ~ lr (1 - beta1^t) / sqrt(1 - beta2^t)

    The numbers returned are measured from runs of the library's Adam (the course's runner),
    not computed from these formulas (the tests compare the two).

    Args:
        n_steps: number of steps, in [1, 100000].
        lr: learning rate > 0. beta1, beta2: in [0, 1). g: the gradient, a finite number.

    Returns:
        :class:`FirstSteps` (cached: its arrays are read-only).
    """
    n_steps = check_int("n_steps", n_steps, low=1, high=100000)
    lr = _check_lr(lr)
    beta1 = _check_beta("beta1", beta1)
    beta2 = _check_beta("beta2", beta2)
    g = check_number("g", g)
    return _first_steps(n_steps, lr, beta1, beta2, g)


# --------------------------------------------------------------------------- paths on a surface


@functools.lru_cache(maxsize=256)
def _paths(surface, lr, beta1, beta2, n_steps):
    return {bc: run(surface, "adam", lr=lr, hyperparameters=_adam(beta1, beta2, bc),
                    n_steps=n_steps) for bc in (True, False)}


def bias_correction_paths(surface="beale", lr=0.1, beta1=0.9, beta2=0.999, n_steps=100):
    """Adam's path on ``surface`` from its default start, with and without bias correction.

    Both run on the course's runner (:func:`nnlesson.course.runner.run`, rule ``"adam"``,
    ``eps`` = :data:`EPS`); a run whose weights leave ``||w||_2 <= 1e6`` or stop being finite
    stops there as diverged (the runner's one divergence rule).

    Args:
        surface: a name of :data:`nnlesson.course.surfaces.SURFACES` or a Surface.
        lr, beta1, beta2: as :class:`nnlesson.optim.Adam` (``eps`` = :data:`EPS`).
        n_steps: number of steps, in [1, 10000].

    Returns:
        ``{True: OptimizerPath, False: OptimizerPath}`` keyed by ``bias_correction`` (cached).
    """
    surface = check_surface(surface)
    lr = _check_lr(lr)
    beta1 = _check_beta("beta1", beta1)
    beta2 = _check_beta("beta2", beta2)
    n_steps = check_int("n_steps", n_steps, low=1, high=10000)
    return _paths(surface, lr, beta1, beta2, n_steps)


def rule_path(update, rule="adam", *, surface="beale", lr=0.1, n_steps=100, **hyperparameters):
    """Run an exercise's update function on a surface with the course's runner.

    ``update`` has the positional interface of the library's rule (for ``"adam"`` and
    ``"adamw"``: ``update(w, g, m, v, t, lr=..., **hyperparameters) -> (w, m, v)``, t from
    1); ``m`` and ``v`` start at zero.

    Returns:
        :class:`nnlesson.course.runner.OptimizerPath`.
    """
    return run(check_surface(surface), rule, update=update, lr=lr,
               hyperparameters=hyperparameters, n_steps=n_steps)


def figure_paths(paths, surface="beale", *, title, alt=None):
    """Paths ``{label: points (k, 2)}`` on a surface's contours, with alt text."""
    surface = check_surface(surface)
    fig, ax = figure((560, 420))
    series = {label: {"label": label} for label in paths}
    contours = PathsOnContours(ax, {"surface": surface}, series, title=title,
                               levels=np.logspace(-1, 3.5, 14))
    contours.draw_scene("surface")
    for label, points in paths.items():
        contours.set(label, points)
    ax.legend(handles=[*contours.lines.values(), contours.minimum], loc="lower left",
              framealpha=0.9)
    readable(fig)
    if alt is None:
        alt = (f"Contour lines of {surface.name} with the minimum marked and the paths of "
               + ", ".join(paths) + " from the same start.")
    return describe(fig, alt)


# --------------------------------------------------------------------------- the explorer


def _ending(path):
    if path.diverged:
        return f"diverged at {path.diverged_at}"
    return f"{path.values[-1]:.1e}"


_FIRST = {
    "m": {"label": "m_t (stored)"},
    "root_v": {"label": "√v_t (stored)"},
    "uncorrected": {"label": "step ÷ lr, no correction"},
    "corrected": {"label": "step ÷ lr, corrected", "color": PALETTE[3], "marker": "D"},
}
_PATHS = {
    True: {"label": "path with correction", "color": PALETTE[3], "marker": "D",
           "linestyle": "-"},
    False: {"label": "path without correction", "color": PALETTE[2], "marker": "^", "linestyle": "-."},
}


class BiasCorrectionExplorer(Explorer):
    """Adam's first steps and its path on Beale, with and without bias correction.

    Left (log axes, constant gradient g = 1): ``m_t``, ``sqrt(v_t)`` and the uncorrected step
    divided by ``lr`` (they start tiny, tiny and *large*), and the corrected step / lr (1
    throughout). Right: the two paths on Beale's function. Under the plots: the first and the
    largest uncorrected step, and where each path ends.

    Args:
        n_first: steps of the left panel, >= 2. n_steps: steps of the paths, >= 1.
    """

    controls = (
        Slider("lr", "learning rate", LR_LADDER, default=0.1),
        Slider("beta1", "β1 (first moment)", BETA1_LADDER, default=0.9),
        Slider("beta2", "β2 (second moment)", BETA2_LADDER, default=0.999),
    )
    size = (880, 450)
    columns = 2
    precompute = ("lr", "beta1", "beta2")  # about 15 ms per setting: the neighbours in advance
    alt = ("Left, on log axes for a gradient of 1 at every step: the stored moments m_t and "
           "the square root of v_t, which start small and grow, the uncorrected step divided "
           "by the learning rate, and the corrected step divided by the learning rate, which "
           "stays at 1. Right: contour lines of Beale's function with Adam's path from the "
           "same start with and without bias correction.")

    def __init__(self, n_first=60, n_steps=80):
        super().__init__()
        self.n_first = check_int("n_first", n_first, low=2, high=10000)
        self.n_steps = check_int("n_steps", n_steps, low=1, high=10000)

    def build(self, fig):
        import matplotlib.ticker as mticker

        ax_first, ax_map = fig.subplots(1, 2)
        self.first = Curves(ax_first, np.arange(1, self.n_first + 1), _FIRST, log=True,
                            ylim=(1e-3, 300), title="g = 1 at every step",
                            xlabel="step t (log axis)", ylabel="value (log axis)",
                            legend=None)
        ax_first.set_xscale("log")
        ax_first.axhline(1.0, color="#555555", linewidth=0.8, linestyle=":")
        ax_first.yaxis.set_major_locator(mticker.FixedLocator([1e-3, 1e-2, 0.1, 1, 10, 100]))
        ax_first.yaxis.set_major_formatter(mticker.FixedFormatter(
            ["0.001", "0.01", "0.1", "1", "10", "100"]))
        ax_first.yaxis.set_minor_locator(mticker.NullLocator())
        ax_first.xaxis.set_major_formatter(mticker.FormatStrFormatter("%d"))
        beale = SURFACES["beale"]
        self.map = PathsOnContours(ax_map, {"beale": beale}, _PATHS,
                                   title="Adam on Beale's function",
                                   levels=np.logspace(-1, 3.5, 14))
        self.map.draw_scene("beale")
        # every corner of both panels holds data for some setting: the key sits above them
        handles = [*self.first.lines.values(), self.map.lines[True], self.map.lines[False]]
        fig.legend(handles=handles, loc="outside upper center", ncols=3, frameon=False)
        return self.first.artists + self.map.artists

    def compute(self, lr, beta1, beta2):
        """``(FirstSteps, {bias_correction: OptimizerPath})`` (values checked by the base)."""
        return (_first_steps(self.n_first, 1e-3, beta1, beta2, 1.0),
                _paths(SURFACES["beale"], lr, beta1, beta2, self.n_steps))

    def update(self, result):
        fs, paths = result
        self.first.set("m", fs.m / fs.g)
        self.first.set("root_v", np.sqrt(fs.v) / abs(fs.g))
        self.first.set("uncorrected", fs.step_uncorrected / fs.lr)
        self.first.set("corrected", fs.step_corrected / fs.lr)
        for bc, path in paths.items():
            self.map.set(bc, path.points)
        t_peak, peak = fs.peak
        return (f"No correction: step 1 = {fs.step_uncorrected[0] / fs.lr:.2f} lr, largest "
                f"{peak:.2f} lr (t = {t_peak}) · Beale, step {self.n_steps}: with "
                f"{_ending(paths[True])}, without {_ending(paths[False])}")


def explore_bias_correction(n_first=60, n_steps=80, **values):
    """The bias-correction explorer's widget (controls ``lr``, ``beta1``, ``beta2``; see
    :class:`BiasCorrectionExplorer`)."""
    return BiasCorrectionExplorer(n_first, n_steps).explore(**values)


def snapshot_bias_correction(n_first=60, n_steps=80, **values):
    """The bias-correction explorer's figure for one setting, with its alt text."""
    return BiasCorrectionExplorer(n_first, n_steps).snapshot(**values)
