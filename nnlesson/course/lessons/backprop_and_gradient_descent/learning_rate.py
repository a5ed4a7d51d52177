"""Lesson 01, the learning rate: plain gradient descent on a quadratic loss.

Least squares without a bias, ``L(w) = mean((X w - y)^2)``, is exactly quadratic in ``w`` with
Hessian ``H = 2 X^T X / N`` (:class:`Regression`). Plain gradient descent ``w <- w - lr dL/dw``
then moves the error ``e = w - w*`` along each eigenvector of ``H`` (curvature ``a``) by the
factor ``1 - lr a`` per step, which gives the four regimes of :func:`lr_regime` and the
thresholds of :func:`lr_thresholds`. :func:`gradient_descent` runs the update with the library's
``Linear`` layer, ``mse_loss`` and ``gd_update`` on a 1-D and a 2-D problem
(:func:`make_regression_1d`, :func:`make_regression_2d`); :class:`LearningRateExplorer` (on the course's
:class:`~nnlesson.viz.explorer.Explorer` base), :func:`explore_learning_rate`,
:func:`snapshot_learning_rate`, :func:`figure_lr_regimes`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_array, check_int, check_number, check_rng
from nnlesson.data import make_ill_conditioned_regression
from nnlesson.course.runner import run
from nnlesson.layers import Linear
from nnlesson.losses import mse_loss
from nnlesson.viz.explorer import Explorer, Slider, log_ladder
from nnlesson.viz.panels import Curves, PathsOnContours
from nnlesson.viz.plotting import PALETTE, describe, figure, label_axes, readable, series_style

__all__ = [
    "Regression",
    "make_regression_1d",
    "make_regression_2d",
    "REGIMES",
    "lr_regime",
    "lr_thresholds",
    "gradient_descent",
    "LR_LADDER",
    "LearningRateExplorer",
    "explore_learning_rate",
    "snapshot_learning_rate",
    "figure_lr_regimes",
]

@dataclass(frozen=True, eq=False)
class Regression:
    """A least-squares problem without bias: ``L(w) = mean((X w - y)^2)``.

    Attributes:
        X: (N, D) inputs. y: (N, 1) targets. name: a label for plots.

    The loss is the library's ``mse_loss(X @ w, y)`` and is exactly quadratic in ``w``::

        L(w)  = L* + (w - w*)^T H (w - w*) / 2
        dL/dw = H (w - w*),      H = 2 X^T X / N   (the Hessian, constant)

    where ``w*`` solves the normal equations ``X^T X w* = X^T y`` and ``L* = L(w*)``. The
    eigenvalues of ``H`` are the curvatures of the bowl along its axes.

    It is an objective of the course's runner (:func:`nnlesson.course.runner.run`):
    :meth:`value` and :meth:`grad`, the gradient computed by the library's layer, ``w`` being
    the weight of ``Linear(D, 1, bias=False)``::

        pred = Linear.forward(X)                   pred = X w
        L, dpred = mse_loss(pred, y)               dpred = 2 (pred - y) / N
        Linear.backward(dpred)                     W.grad = X^T dpred = dL/dw
    """

    X: np.ndarray
    y: np.ndarray
    name: str = "regression"

    def __post_init__(self):
        X = check_array("X", self.X, ndim=2, min_rows=1, dtype=np.float64)
        y = check_array("y", self.y, ndim=(1, 2), dtype=np.float64).reshape(-1, 1)
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"X and y must have the same number of rows, got {X.shape[0]} "
                             f"and {y.shape[0]}")
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "y", y)
        object.__setattr__(self, "_layer", Linear(X.shape[1], 1, bias=False, input_grad=False))

    @property
    def dim(self):
        """D, the number of weights."""
        return self.X.shape[1]

    @property
    def hessian(self):
        """``H = 2 X^T X / N``, (D, D)."""
        return 2.0 * self.X.T @ self.X / self.X.shape[0]

    @property
    def curvatures(self):
        """The eigenvalues of ``H``, ascending, (D,)."""
        return np.linalg.eigvalsh(self.hessian)

    @property
    def w_star(self):
        """The minimizer ``w*``, (D,)."""
        return np.linalg.solve(self.X.T @ self.X, self.X.T @ self.y).ravel()

    @property
    def min_loss(self):
        """``L* = L(w*)``."""
        return float(self.loss(self.w_star))

    def loss(self, w):
        """``L(w)`` for ``w`` of shape (D,) (a float) or (..., D) (an array of shape (...))."""
        w = check_array("w", w, dtype=np.float64)
        if w.ndim == 0 or w.shape[-1] != self.dim:
            raise ValueError(f"w must have shape (D,) or (..., D) with D = {self.dim}, "
                             f"got {w.shape}")
        residual = w @ self.X.T - self.y[:, 0]  # (..., N)
        out = np.mean(residual**2, axis=-1)
        return float(out) if w.ndim == 1 else out

    value = loss

    def grad(self, w):
        """``dL/dw`` at ``w`` (D,), by the library's ``Linear`` layer and ``mse_loss``."""
        w = check_array("w", w, ndim=1, dtype=np.float64)
        if w.shape != (self.dim,):
            raise ValueError(f"w must have shape ({self.dim},), got {w.shape}")
        return self.grad_point(w)

    def grad_point(self, w):
        """:meth:`grad` without checking ``w`` (the runner checked the start once)."""
        layer = self._layer
        layer.W.value[:, 0] = w
        layer.zero_grad()
        _, dpred = mse_loss(layer.forward(self.X), self.y)
        layer.backward(dpred)
        return layer.W.grad[:, 0].copy()


def make_regression_1d(n=40, slope=1.5, noise=0.3, seed=0):
    """One weight: ``y = slope x + noise``, with ``x`` rescaled so that ``mean(x^2) = 1``.

    The curvature of ``L(w) = mean((w x - y)^2)`` is then exactly ``a = 2 mean(x^2) = 2``, so
    the thresholds of :func:`lr_thresholds` are round numbers: oscillation above ``1/a = 0.5``,
    divergence above ``2/a = 1``.
    """
    n = check_int("n", n, low=2)
    slope = check_number("slope", slope)
    noise = check_number("noise", noise, low=0)
    rng = check_rng(seed)
    x = rng.standard_normal(n)
    x /= np.sqrt(np.mean(x**2))
    y = slope * x + noise * rng.standard_normal(n)
    return Regression(x[:, None], y, name="1-D: one weight")


def make_regression_2d(n=40, condition=2.0, noise=0.3, seed=0):
    """Two weights whose features differ in scale by ``condition``.

    The data come from :func:`nnlesson.data.make_ill_conditioned_regression`; the curvatures
    differ by about ``condition^2`` (4 by default), so one learning rate is large for one
    direction and small for the other.
    """
    X, y = make_ill_conditioned_regression(check_int("n", n, low=2), 2,
                                           condition=condition, noise=noise, rng=seed)
    return Regression(X, y, name="2-D: two weights")


#: The four behaviours of gradient descent on a quadratic.
REGIMES = ("too small", "right", "oscillating", "diverging")


def _curvatures(curvature):
    a = np.atleast_1d(check_array("curvature", curvature, dtype=np.float64)).ravel()
    if a.size == 0 or np.any(a <= 0):
        raise ValueError(f"curvature must be one or more numbers > 0, got {a.tolist()}")
    return float(a.min()), float(a.max())


def lr_thresholds(curvature, n_steps=50, tol=1e-3):
    """Where the regimes of gradient descent change, for curvatures ``a_min .. a_max``.

    Derivation: with ``e_t = w_t - w*`` along an eigenvector of curvature ``a`` the gradient is
    ``a e_t``, so one step gives ``e_(t+1) = e_t - lr a e_t = (1 - lr a) e_t`` and
    ``e_t = (1 - lr a)^t e_0``. It shrinks iff ``|1 - lr a| < 1``, i.e. ``0 < lr < 2 / a``; it
    keeps its sign iff ``1 - lr a >= 0``, i.e. ``lr <= 1 / a``. After ``n_steps`` the error is
    below ``tol`` times the start iff ``(1 - lr a)^n_steps <= tol``.

    Returns a dict:
        ``too_small_below``: ``(1 - tol^(1 / n_steps)) / a_min`` (the flattest direction has
        not shrunk ``1/tol`` times after ``n_steps``);
        ``oscillates_above``: ``1 / a_max``; ``diverges_above``: ``2 / a_max``;
        ``one_step``: ``1 / a_max`` (1-D: the minimum in one step);
        ``best``: ``2 / (a_min + a_max)`` (the fastest worst direction).
    """
    a_min, a_max = _curvatures(curvature)
    n_steps = check_int("n_steps", n_steps, low=1)
    tol = check_number("tol", tol, low=0, high=1, low_open=True, high_open=True)
    return {
        "too_small_below": (1.0 - tol ** (1.0 / n_steps)) / a_min,
        "oscillates_above": 1.0 / a_max,
        "diverges_above": 2.0 / a_max,
        "one_step": 1.0 / a_max,
        "best": 2.0 / (a_min + a_max),
    }


def lr_regime(lr, curvature, n_steps=50, tol=1e-3):
    """Which of :data:`REGIMES` plain gradient descent is in (see :func:`lr_thresholds`).

    ``curvature`` is one curvature ``a`` or the curvatures of all directions. In order:

    - ``"diverging"``: ``lr >= 2 / a_max`` (the steepest direction grows, or at exactly
      ``2 / a_max`` bounces forever);
    - ``"too small"``: ``(1 - lr a_min)^n_steps > tol`` (the flattest direction is still far
      after ``n_steps``);
    - ``"oscillating"``: ``lr > 1 / a_max`` (converges, but jumps across the valley each step);
    - ``"right"``: otherwise.
    """
    lr = check_number("lr", lr, low=0)
    th = lr_thresholds(curvature, n_steps, tol)
    if lr >= th["diverges_above"]:
        return "diverging"
    if lr <= th["too_small_below"]:
        return "too small"
    if lr > th["oscillates_above"]:
        return "oscillating"
    return "right"


def gradient_descent(problem, lr, n_steps=50, w0=None):
    """Plain gradient descent ``w <- w - lr dL/dw`` on a :class:`Regression`.

    The course's one loop, :func:`nnlesson.course.runner.run` with the rule ``"gd"``
    (:func:`nnlesson.optim.gd_update`), on the problem's gradient (computed by the library's
    ``Linear`` layer and ``mse_loss``, see :class:`Regression`). It stops as diverged when
    ``w`` stops being finite or ``||w||_2 > 1e6``.

    Args:
        problem: a :class:`Regression`. lr: learning rate >= 0. n_steps: >= 0.
        w0: (D,) starting weights; default ``w* - 2`` in every coordinate.

    Returns:
        :class:`nnlesson.course.runner.OptimizerPath`: ``points`` (k + 1, D), ``values``
        (k + 1,) the loss at each, ``diverged_at``.
    """
    if not isinstance(problem, Regression):
        raise TypeError(f"problem must be a Regression, got {type(problem).__name__}")
    D = problem.dim
    w0 = problem.w_star - 2.0 if w0 is None else check_array("w0", w0, ndim=1, dtype=np.float64)
    if w0.shape != (D,):
        raise ValueError(f"w0 must have shape ({D},), got {w0.shape}")
    return run(problem, "gd", lr=lr, n_steps=check_int("n_steps", n_steps, low=0), start=w0)


def _regime_text(lr, problem, n_steps):
    # the signed factor 1 - lr a: a negative one is what makes the error change side
    a = problem.curvatures
    regime = lr_regime(lr, a, n_steps)
    if a.size == 1:
        return f"{regime} (error × {1 - lr * a[0]:.2f} per step)"
    return (f"{regime} (steep direction × {1 - lr * a[-1]:.2f}, "
            f"flat × {1 - lr * a[0]:.2f} per step)")


#: The learning rates of the explorer's slider: 1-2-5 per decade from 0.001 to 2, plus the
#: rates the lesson names (its four regimes, and both sides of the 2-D limit 0.265).
LR_LADDER = log_ladder(1e-3, 2.0, "1-2-5", include=(0.02, 0.26, 0.27, 0.3, 0.4, 0.9, 1.05))


class LearningRateExplorer(Explorer):
    """Gradient descent on the 1-D and the 2-D problem at one learning rate.

    Top left: the 1-D loss (a parabola) with the weights visited; top right: the 2-D loss's
    contours with the path (the shared :class:`~nnlesson.viz.panels.PathsOnContours`); bottom:
    ``L - L*`` per step for both, on a log axis (the shared
    :class:`~nnlesson.viz.panels.Curves`). The line under the plots names each regime and the
    factor by which each step multiplies the error.

    Args:
        problem_1d, problem_2d: :class:`Regression` problems (default
            :func:`make_regression_1d`, :func:`make_regression_2d`). n_steps: >= 1.
    """

    controls = (Slider("lr", "learning rate", LR_LADDER, default=0.1),)
    size = (880, 480)
    alt = ("Top left: the loss of a one-weight problem, a parabola, with the weights gradient "
           "descent visits on it, from the left towards the minimum (a star). Top right: the "
           "contour lines of a two-weight loss with the path of gradient descent. Bottom: the "
           "loss above its minimum at every step for both problems, on a log axis (circles: "
           "one weight, squares: two weights).")

    def __init__(self, problem_1d=None, problem_2d=None, n_steps=50):
        super().__init__()
        self.p1 = make_regression_1d() if problem_1d is None else problem_1d
        self.p2 = make_regression_2d() if problem_2d is None else problem_2d
        self.n_steps = check_int("n_steps", n_steps, low=1)

    def build(self, fig):
        axes = fig.subplot_mosaic([["one", "two"], ["loss", "loss"]])
        ax1, ax2, ax3 = axes["one"], axes["two"], axes["loss"]
        one = dict(series_style(0), markevery=1, markersize=5, linewidth=1.2)
        two = dict(series_style(1), markevery=1, markersize=5, linewidth=1.2)

        # 1-D: the parabola
        w1 = self.p1.w_star[0]
        ws = np.linspace(w1 - 3.0, w1 + 3.0, 200)
        ax1.plot(ws, self.p1.loss(ws[:, None]), color="#999999", linewidth=1.0)
        ax1.plot([w1], [self.p1.min_loss], marker="*", color=PALETTE[7], markersize=14,
                 linestyle="none")
        (self.path1,) = ax1.plot([], [], **one)
        ax1.set_xlim(ws[0], ws[-1])
        ax1.set_ylim(0, float(self.p1.loss(np.array([ws[0]]))) * 1.05)
        label_axes(ax1, title="1-D: does each step land lower?", xlabel="weight w",
                   ylabel="loss L(w)")

        # 2-D: the contours
        self.map = PathsOnContours(
            ax2, {"2-D": _Window(self.p2)}, {"gd": dict(two, label="gradient descent")},
            title="2-D: the steep direction sets the limit",
            levels=lambda key: self.p2.min_loss + np.logspace(-1.5, 1.5, 8),
            xlabel="weight w1 (small feature)", ylabel="weight w2 (large feature)")
        self.map.draw_scene("2-D")

        # the loss per step
        self.loss = Curves(ax3, np.arange(self.n_steps + 1),
                           {"1-D": dict(one, label=self.p1.name, markevery=0.1),
                            "2-D": dict(two, label=self.p2.name, markevery=0.1)},
                           title="loss above its minimum: a straight line down = converging, "
                                 "up = diverging",
                           xlabel="step t", ylabel="L(w_t) − L*", ylim=(1e-10, 1e4), log=True,
                           legend=None)
        return [self.path1, *self.map.artists, *self.loss.artists]

    def compute(self, lr):
        """``(run_1d, run_2d)``: the paths (``OptimizerPath``) of both problems at ``lr``."""
        return (gradient_descent(self.p1, lr, self.n_steps),
                gradient_descent(self.p2, lr, self.n_steps))

    def update(self, result, lr):
        run1, run2 = result
        self.path1.set_data(run1.points[:, 0], run1.values)
        self.map.set("gd", run2.points)
        for name, run, p in (("1-D", run1, self.p1), ("2-D", run2, self.p2)):
            gap = np.clip(run.values - p.min_loss, 1e-300, None)
            if run.diverged:  # the step that left the bounds: off the top of the plot
                gap = np.append(gap, np.inf)
            self.loss.set(name, gap)
        return (f"1-D: {_regime_text(lr, self.p1, self.n_steps)}; "
                f"2-D: {_regime_text(lr, self.p2, self.n_steps)}")


class _Window:
    """A 2-D :class:`Regression` as the contour panel sees it: a window of ±3 around w*."""

    def __init__(self, problem):
        c = problem.w_star
        self.bounds = ((c[0] - 3.0, c[0] + 3.0), (c[1] - 3.0, c[1] + 3.0))
        self.minimum = tuple(c)
        self.min_value = problem.min_loss
        self.value = problem.loss


def explore_learning_rate(n_steps=50, **values):
    """The learning-rate explorer's widget (control: ``lr``; see :class:`LearningRateExplorer`)."""
    return LearningRateExplorer(n_steps=n_steps).explore(**values)


def snapshot_learning_rate(n_steps=50, **values):
    """The learning-rate explorer's figure at one setting, with its alt text (a static Figure)."""
    return LearningRateExplorer(n_steps=n_steps).snapshot(**values)


def figure_lr_regimes(lrs=(0.02, 0.4, 0.9, 1.05), problem=None, n_steps=12):
    """The 1-D problem at four learning rates side by side, one regime each.

    The defaults, for the curvature ``a = 2`` of :func:`make_regression_1d`: too small
    (``0.02``), right (``0.4``), oscillating (``0.9``, between ``1/a`` and ``2/a``) and
    diverging (``1.05 > 2/a``).
    """
    p = make_regression_1d() if problem is None else problem
    lrs = [check_number("lrs", v, low=0, low_open=True) for v in lrs]
    fig, axes = figure((880, 300), len(lrs), 1, sharey=True)
    axes = np.atleast_1d(axes)
    w1 = p.w_star[0]
    ws = np.linspace(w1 - 3.0, w1 + 3.0, 200)
    top = float(p.loss(np.array([ws[0]]))) * 1.05
    regimes = []
    for i, (ax, lr) in enumerate(zip(axes, lrs)):
        run = gradient_descent(p, lr, n_steps)
        ax.plot(ws, p.loss(ws[:, None]), color="#999999", linewidth=1.0)
        ax.plot([w1], [p.min_loss], marker="*", color=PALETTE[7], markersize=12,
                linestyle="none")
        ax.plot(run.points[:, 0], run.values, linewidth=1.2,
                **dict(series_style(i), markevery=1, markersize=5))
        ax.set_xlim(ws[0], ws[-1])
        ax.set_ylim(0, top)
        regime = lr_regime(lr, p.curvatures, n_steps)
        regimes.append(f"lr = {lr:g}: {regime}")
        label_axes(ax, title=f"lr = {lr:g}: {regime}", xlabel="weight w",
                   ylabel="loss L(w)" if i == 0 else "")
    alt = (f"Four copies of the one-weight loss, a parabola, each with {n_steps} steps of "
           "gradient descent from the left: " + "; ".join(regimes) + ". Too small creeps "
           "down one side, right reaches the bottom, oscillating jumps from side to side "
           "while closing in, diverging jumps farther out each step.")
    return describe(readable(fig), alt)
