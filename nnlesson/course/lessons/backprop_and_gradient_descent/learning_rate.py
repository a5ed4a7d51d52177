"""Lesson 01, forward pass, backprop and gradient descent: the experiments (compute, draw, widget).

* **The learning rate.** Least squares without a bias, ``L(w) = mean((X w - y)^2)``, is exactly
  quadratic in ``w`` with Hessian ``H = 2 X^T X / N`` (:class:`Regression`). Plain gradient
  descent ``w <- w - lr dL/dw`` then moves the error ``e = w - w*`` along each eigenvector of
  ``H`` (curvature ``a``) by the factor ``1 - lr a`` per step, which gives the four regimes of
  :func:`lr_regime` and the thresholds of :func:`lr_thresholds`. :func:`gradient_descent` runs
  the update with the library's ``Linear`` layer, ``mse_loss`` and ``gd_update`` on a 1-D and a
  2-D problem (:func:`make_regression_1d`, :func:`make_regression_2d`);
  :class:`LearningRateExplorer`, :func:`explore_learning_rate`, :func:`snapshot_learning_rate`,
  :func:`figure_lr_regimes`.
* **Forward and backward, one number at a time.** A 2-2-1 network (``Linear``, an activation,
  ``Linear``, an output function, then the MSE) on one example: :func:`backprop_trace` records
  every value going forward and every gradient coming back, computed by the library's layers,
  and the weights after one update; :func:`backprop_steps` turns it into the 13 steps a student
  walks through; :class:`BackpropExplorer`, :func:`explore_backprop`, :func:`snapshot_backprop`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_array, check_choice, check_int, check_number, check_rng
from nnlesson.data import make_ill_conditioned_regression
from nnlesson.layers import Identity, Linear, ReLU, Sigmoid, Tanh
from nnlesson.losses import mse_loss
from nnlesson.optim import gd_update

__all__ = [
    "Regression",
    "make_regression_1d",
    "make_regression_2d",
    "REGIMES",
    "lr_regime",
    "lr_thresholds",
    "GDRun",
    "gradient_descent",
    "LearningRateExplorer",
    "explore_learning_rate",
    "snapshot_learning_rate",
    "figure_lr_regimes",
    "ACTIVATIONS",
    "OUTPUTS",
    "DEFAULT_NETWORK",
    "BackpropTrace",
    "backprop_trace",
    "Step",
    "backprop_steps",
    "N_STEPS",
    "BackpropExplorer",
    "explore_backprop",
    "snapshot_backprop",
]

#: A run stops as diverged when ``|w|`` passes this bound (or stops being finite).
DIVERGED_NORM = 1e6


# =============================================================================================
# Part 1: the learning rate on a quadratic loss
# =============================================================================================


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


@dataclass(frozen=True, eq=False)
class GDRun:
    """The weights gradient descent visited.

    Attributes:
        weights: (k + 1, D): the start, then ``w`` after each of the k steps taken.
        losses: (k + 1,): ``L`` at each of them.
        diverged_at: None, or the step (from 1) after which ``w`` was not finite or
            ``|w| > 1e6``; that point is not recorded, so ``k = diverged_at - 1``.
    """

    weights: np.ndarray
    losses: np.ndarray
    diverged_at: int | None = None

    @property
    def diverged(self):
        return self.diverged_at is not None


def gradient_descent(problem, lr, n_steps=50, w0=None):
    """Plain gradient descent on a :class:`Regression`, computed by the library's layers.

    ``w`` is the weight of ``Linear(D, 1, bias=False)`` (shape (D, 1)). Each step::

        pred, = Linear.forward(X)                  pred = X w
        L, dpred = mse_loss(pred, y)               dpred = 2 (pred - y) / N
        Linear.backward(dpred)                     w.grad = X^T dpred = dL/dw
        gd_update(w, w.grad, lr=lr)                w = w - lr dL/dw

    Args:
        problem: a :class:`Regression`. lr: learning rate >= 0. n_steps: >= 0.
        w0: (D,) starting weights; default ``w* - 2`` in every coordinate.

    Returns:
        :class:`GDRun`.
    """
    if not isinstance(problem, Regression):
        raise TypeError(f"problem must be a Regression, got {type(problem).__name__}")
    lr = check_number("lr", lr, low=0)
    n_steps = check_int("n_steps", n_steps, low=0)
    D = problem.dim
    w0 = problem.w_star - 2.0 if w0 is None else check_array("w0", w0, ndim=1, dtype=np.float64)
    if w0.shape != (D,):
        raise ValueError(f"w0 must have shape ({D},), got {w0.shape}")
    layer = Linear(D, 1, bias=False, input_grad=False)
    layer.W.value[:, 0] = w0
    weights, losses = [w0.copy()], []
    diverged_at = None
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, n_steps + 1):
            layer.zero_grad()
            loss, dpred = mse_loss(layer.forward(problem.X), problem.y)
            losses.append(loss)
            layer.backward(dpred)
            gd_update(layer.W.value, layer.W.grad, lr=lr, inplace=True)
            w = layer.W.value[:, 0]
            if not np.all(np.isfinite(w)) or np.linalg.norm(w) > DIVERGED_NORM:
                diverged_at = t
                break
            weights.append(w.copy())
    weights = np.array(weights)
    if diverged_at is None:
        losses.append(problem.loss(weights[-1]))
    return GDRun(weights=weights, losses=np.array(losses[:len(weights)]), diverged_at=diverged_at)


def _regime_text(lr, problem, n_steps):
    a = problem.curvatures
    regime = lr_regime(lr, a, n_steps)
    if a.size == 1:
        factors = f"error × |1 − lr·a| = {abs(1 - lr * a[0]):.2f} per step"
    else:
        factors = (f"steep: × {abs(1 - lr * a[-1]):.2f}, "
                   f"flat: × {abs(1 - lr * a[0]):.2f} per step")
    return f"{regime}\n{factors}"


class LearningRateExplorer:
    """Gradient descent on the 1-D and the 2-D problem at one learning rate; figure built once.

    Three panels: the 1-D loss curve with the visited points, the 2-D loss contours with the
    path, and ``L - L*`` per step for both (log scale). ``update(lr)`` reruns both descents
    (50 steps each, a few milliseconds) and changes the artists only. ``bake=True`` (the
    widget) paints the static parts once
    (:class:`~nnlesson.viz.plotting.Backdrop`).
    """

    def __init__(self, problem_1d=None, problem_2d=None, n_steps=50, bake=True):
        from nnlesson.viz.plotting import PALETTE, Backdrop, freeze_layout, label_axes, new_figure, series_style

        self.p1 = make_regression_1d() if problem_1d is None else problem_1d
        self.p2 = make_regression_2d() if problem_2d is None else problem_2d
        self.n_steps = check_int("n_steps", n_steps, low=1)
        fig, (ax1, ax2, ax3) = new_figure(3, 1, width=13.5, height=4.2)
        self.figure, self.axes = fig, (ax1, ax2, ax3)
        s0 = dict(series_style(0), markevery=1, markersize=4)
        s1 = dict(series_style(1), markevery=1, markersize=4)

        # 1-D: the parabola, drawn once
        w1 = self.p1.w_star[0]
        ws = np.linspace(w1 - 3.0, w1 + 3.0, 200)
        ax1.plot(ws, self.p1.loss(ws[:, None]), color="#999999", linewidth=1.0)
        ax1.plot([w1], [self.p1.min_loss], marker="*", color=PALETTE[7], markersize=12,
                 linestyle="none", label="minimum w*")
        (self.path1,) = ax1.plot([], [], linewidth=1.0, label="gradient descent", **s0)
        ax1.set_xlim(ws[0], ws[-1])
        ax1.set_ylim(0, float(self.p1.loss(np.array([ws[0]]))) * 1.05)
        label_axes(ax1, title="1-D: does each step land closer to the bottom?",
                   xlabel="weight w", ylabel="loss L(w)")
        ax1.legend(loc="upper center", bbox_to_anchor=(0.5, 0.8), fontsize=8)
        self.text1 = ax1.text(0.5, 0.97, "", transform=ax1.transAxes, fontsize=9, ha="center",
                              va="top")

        # 2-D: the contours, drawn once
        c = self.p2.w_star
        xs = np.linspace(c[0] - 3.0, c[0] + 3.0, 120)
        ys = np.linspace(c[1] - 3.0, c[1] + 3.0, 120)
        GX, GY = np.meshgrid(xs, ys)
        Z = self.p2.loss(np.stack([GX, GY], axis=-1)) - self.p2.min_loss
        ax2.contour(GX, GY, Z, levels=np.logspace(-1.5, 1.5, 8), colors="#999999",
                    linewidths=0.7)
        ax2.plot(*c, marker="*", color=PALETTE[7], markersize=12, linestyle="none",
                 label="minimum w*")
        (self.path2,) = ax2.plot([], [], linewidth=1.0, label="gradient descent", **s1)
        ax2.set_xlim(xs[0], xs[-1])
        ax2.set_ylim(ys[0], ys[-1])
        label_axes(ax2, title="2-D: the steep direction sets the limit",
                   xlabel="weight w1 (small feature)", ylabel="weight w2 (large feature)")
        ax2.legend(loc="upper right", fontsize=8)
        self.text2 = ax2.text(0.03, 0.03, "", transform=ax2.transAxes, fontsize=9,
                              va="bottom", bbox={"facecolor": "white", "alpha": 0.8,
                                                 "edgecolor": "none"})

        # loss per step
        steps = np.arange(self.n_steps + 1)
        (self.curve1,) = ax3.plot(steps, np.ones_like(steps, dtype=float),
                                  label=self.p1.name, **dict(s0, markevery=0.1))
        (self.curve2,) = ax3.plot(steps, np.ones_like(steps, dtype=float),
                                  label=self.p2.name, **dict(s1, markevery=0.1))
        ax3.set_yscale("log")
        ax3.set_xlim(0, self.n_steps)
        ax3.set_ylim(1e-10, 1e4)
        label_axes(ax3, title="a straight line down = converging; up = diverging",
                   xlabel="step t", ylabel="L(w_t) − L*  (log scale)")
        ax3.legend(loc="lower left", fontsize=8)
        self.text3 = ax3.text(0.97, 0.97, "", transform=ax3.transAxes, fontsize=9,
                              ha="right", va="top")

        self.update()
        freeze_layout(fig)
        self.background = None
        if bake:  # paint the axes, contours and labels once; redraws paint what moves
            self.background = Backdrop(fig, [
                self.path1, self.path2, self.curve1, self.curve2, self.text1, self.text2,
                self.text3])

    def compute(self, lr=0.1):
        """``(run_1d, run_2d)``: :class:`GDRun` of both problems at ``lr``."""
        return (gradient_descent(self.p1, lr, self.n_steps),
                gradient_descent(self.p2, lr, self.n_steps))

    def update(self, lr=0.1):
        run1, run2 = self.runs = self.compute(lr)
        n = self.n_steps
        self.path1.set_data(run1.weights[:, 0], run1.losses)
        self.path2.set_data(run2.weights[:, 0], run2.weights[:, 1])
        for curve, run, p in ((self.curve1, run1, self.p1), (self.curve2, run2, self.p2)):
            gap = np.full(n + 1, np.nan)
            k = len(run.losses)
            gap[:k] = np.clip(run.losses - p.min_loss, 1e-300, None)
            if run.diverged:  # draw the last step off the top of the plot
                gap[k] = 1e300
            curve.set_ydata(gap)
        self.text1.set_text(_regime_text(lr, self.p1, n))
        self.text2.set_text(_regime_text(lr, self.p2, n))
        self.text3.set_text(f"lr = {lr:.3g}")


def explore_learning_rate(lr=0.1, n_steps=50):
    """One learning-rate slider (log scale, 0.001 to 3) for the 1-D and the 2-D problem."""
    from nnlesson.viz.widgets import interactive_plot, lr_slider

    drawing = LearningRateExplorer(n_steps=n_steps)
    return interactive_plot(drawing.figure, drawing.update,
                            lr=lr_slider(lr, min_exp=-3, max_exp=0.5))


def snapshot_learning_rate(lr=0.1, n_steps=50):
    """The explorer's figure at one learning rate (a static Figure for slides)."""
    drawing = LearningRateExplorer(n_steps=n_steps, bake=False)
    drawing.update(lr=lr)
    return drawing.figure


def figure_lr_regimes(lrs=(0.02, 0.4, 0.9, 1.05), problem=None, n_steps=12):
    """The 1-D problem at four learning rates side by side, one regime each.

    The defaults, for the curvature ``a = 2`` of :func:`make_regression_1d`: too small
    (``0.02``), right (``0.4``), oscillating (``0.9``, between ``1/a`` and ``2/a``) and
    diverging (``1.05 > 2/a``).
    """
    from nnlesson.viz.plotting import PALETTE, label_axes, new_figure, series_style

    p = make_regression_1d() if problem is None else problem
    lrs = [check_number("lrs", v, low=0, low_open=True) for v in lrs]
    fig, axes = new_figure(len(lrs), 1, width=3.3 * len(lrs), height=3.2)
    axes = np.atleast_1d(axes)
    w1 = p.w_star[0]
    ws = np.linspace(w1 - 3.0, w1 + 3.0, 200)
    top = float(p.loss(np.array([ws[0]]))) * 1.05
    for i, (ax, lr) in enumerate(zip(axes, lrs)):
        run = gradient_descent(p, lr, n_steps)
        ax.plot(ws, p.loss(ws[:, None]), color="#999999", linewidth=1.0)
        ax.plot([w1], [p.min_loss], marker="*", color=PALETTE[7], markersize=11,
                linestyle="none")
        ax.plot(run.weights[:, 0], run.losses, linewidth=1.0,
                **dict(series_style(i), markevery=1, markersize=4))
        ax.set_xlim(ws[0], ws[-1])
        ax.set_ylim(0, top)
        regime = lr_regime(lr, p.curvatures, n_steps)
        label_axes(ax, title=f"lr = {lr:g}: {regime}", xlabel="weight w",
                   ylabel="loss L(w)" if i == 0 else "")
    return fig


# =============================================================================================
# Part 2: one forward and one backward pass through a 2-2-1 network
# =============================================================================================


#: Hidden activations and their derivatives, as the step texts write them.
ACTIVATIONS = {
    "sigmoid": (Sigmoid, "σ", "σ'(z) = σ(z)(1 − σ(z))"),
    "tanh": (Tanh, "tanh", "tanh'(z) = 1 − tanh(z)²"),
    "relu": (ReLU, "relu", "relu'(z) = 1 if z > 0 else 0"),
}

#: Output functions: identity (regression) and sigmoid (a probability).
OUTPUTS = {
    "identity": (Identity, "identity", "f'(z) = 1"),
    "sigmoid": (Sigmoid, "σ", "σ'(z) = ŷ(1 − ŷ)"),
}

#: The example and starting weights of the tiny network (chosen by hand, easy to follow).
DEFAULT_NETWORK = {
    "x": (1.0, 0.5),
    "target": 1.0,
    "W1": ((0.6, -0.4), (0.2, 0.8)),
    "b1": (0.1, -0.2),
    "W2": ((0.9,), (-0.5,)),
    "b2": (0.3,),
}


@dataclass(frozen=True, eq=False)
class BackpropTrace:
    """Every number of one forward pass, one backward pass and one update of a 2-2-1 network.

    Shapes follow the library (a batch of one row): x (1, 2), W1 (2, 2), b1 (2,), z1 and h
    (1, 2), W2 (2, 1), b2 (1,), z2 and y_hat (1, 1). ``d<name>`` is ``dL/d<name>``::

        z1 = x W1 + b1          h = act(z1)          z2 = h W2 + b2       y_hat = f(z2)
        L = (y_hat - target)^2                       (mse_loss of one number)
        dy_hat = 2 (y_hat - target)                  dz2 = dy_hat f'(z2)
        dW2 = h^T dz2     db2 = dz2                  dh  = dz2 W2^T
        dz1 = dh act'(z1)                            dW1 = x^T dz1     db1 = dz1
        dx  = dz1 W1^T
        act_prime = act'(z1) (1, 2),  out_prime = f'(z2) (1, 1)   (for the step texts)
        p_new = p - lr dp  for p in (W1, b1, W2, b2);   loss_new = L at the new weights
    """

    activation: str
    output: str
    lr: float
    x: np.ndarray
    target: float
    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray
    z1: np.ndarray
    h: np.ndarray
    z2: np.ndarray
    y_hat: np.ndarray
    loss: float
    dy_hat: np.ndarray
    dz2: np.ndarray
    dW2: np.ndarray
    db2: np.ndarray
    dh: np.ndarray
    dz1: np.ndarray
    dW1: np.ndarray
    db1: np.ndarray
    dx: np.ndarray
    act_prime: np.ndarray
    out_prime: np.ndarray
    W1_new: np.ndarray
    b1_new: np.ndarray
    W2_new: np.ndarray
    b2_new: np.ndarray
    loss_new: float


def _tiny_network(W1, b1, W2, b2, activation, output):
    lin1 = Linear(2, 2)
    lin1.W.value[...] = W1
    lin1.b.value[...] = b1
    lin2 = Linear(2, 1)
    lin2.W.value[...] = W2
    lin2.b.value[...] = b2
    return lin1, ACTIVATIONS[activation][0](), lin2, OUTPUTS[output][0]()


def _param(name, value, shape):
    arr = check_array(name, value, dtype=np.float64)
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
    return arr.copy()


def backprop_trace(x=None, target=None, W1=None, b1=None, W2=None, b2=None, *,
                   activation="sigmoid", output="sigmoid", lr=0.5):
    """One forward pass, one backward pass and one gradient-descent step of a 2-2-1 network.

    The network is ``Linear(2, 2) -> activation -> Linear(2, 1) -> output function`` with the
    MSE ``L = (y_hat - target)^2`` on one example. Every number comes from the library's
    layers (``forward`` keeps the intermediate values, ``backward`` returns ``dL/d input`` and
    adds ``dL/d parameter`` into ``.grad``) and ``gd_update``. Defaults: :data:`DEFAULT_NETWORK`.

    Args:
        x: (2,) input. target: the number to predict. W1 (2, 2), b1 (2,), W2 (2, 1), b2 (1,).
        activation: ``"sigmoid"``, ``"tanh"`` or ``"relu"``.
        output: ``"identity"`` or ``"sigmoid"``.
        lr: learning rate of the update, >= 0.

    Returns:
        :class:`BackpropTrace` (all arrays are float64 copies).
    """
    d = DEFAULT_NETWORK
    check_choice("activation", activation, tuple(ACTIVATIONS))
    check_choice("output", output, tuple(OUTPUTS))
    lr = check_number("lr", lr, low=0)
    x = _param("x", d["x"] if x is None else x, (2,)).reshape(1, 2)
    target = check_number("target", d["target"] if target is None else target)
    W1 = _param("W1", d["W1"] if W1 is None else W1, (2, 2))
    b1 = _param("b1", d["b1"] if b1 is None else b1, (2,))
    W2 = _param("W2", d["W2"] if W2 is None else W2, (2, 1))
    b2 = _param("b2", d["b2"] if b2 is None else b2, (1,))

    lin1, act, lin2, out = _tiny_network(W1, b1, W2, b2, activation, output)
    z1 = lin1.forward(x)
    h = act.forward(z1)
    z2 = lin2.forward(h)
    y_hat = out.forward(z2)
    loss, dy_hat = mse_loss(y_hat, np.array([[target]]))
    dz2 = out.backward(dy_hat)
    dh = lin2.backward(dz2)
    dz1 = act.backward(dh)
    dx = lin1.backward(dz1)
    # the local derivatives, for the step texts: backward of a ones gradient
    act_prime = act.backward(np.ones_like(z1))
    out_prime = out.backward(np.ones_like(z2))
    grads = {"W1": lin1.W.grad.copy(), "b1": lin1.b.grad.copy(),
             "W2": lin2.W.grad.copy(), "b2": lin2.b.grad.copy()}
    new = {}
    for name, p in (("W1", lin1.W), ("b1", lin1.b), ("W2", lin2.W), ("b2", lin2.b)):
        new[name] = gd_update(p.value, p.grad, lr=lr)
    lin1n, actn, lin2n, outn = _tiny_network(new["W1"], new["b1"], new["W2"], new["b2"],
                                             activation, output)
    y_new = outn.forward(lin2n.forward(actn.forward(lin1n.forward(x))))
    loss_new, _ = mse_loss(y_new, np.array([[target]]))
    return BackpropTrace(
        activation=activation, output=output, lr=lr, x=x, target=target, W1=W1, b1=b1, W2=W2,
        b2=b2, z1=z1, h=h, z2=z2, y_hat=y_hat, loss=loss, dy_hat=dy_hat, dz2=dz2,
        dW2=grads["W2"], db2=grads["b2"], dh=dh, dz1=dz1, dW1=grads["W1"], db1=grads["b1"],
        dx=dx, act_prime=act_prime, out_prime=out_prime, W1_new=new["W1"], b1_new=new["b1"],
        W2_new=new["W2"], b2_new=new["b2"],
        loss_new=loss_new)


@dataclass(frozen=True)
class Step:
    """One step of the walk-through.

    Attributes:
        title: what happens, in words. formula: the equation with this trace's numbers.
        phase: ``"forward"``, ``"backward"`` or ``"update"``.
        nodes: names of the nodes this step computes (``"x1"``, ``"h2"``, ``"y"``, ``"L"``).
        edges: names of the weights it uses or whose gradient it computes (``"W1_12"`` is
            ``W1[0, 1]``, from input 1 to hidden unit 2; ``"W2_1"`` is ``W2[0, 0]``).
    """

    title: str
    formula: str
    phase: str
    nodes: tuple = ()
    edges: tuple = ()


_EDGES1 = ("W1_11", "W1_12", "W1_21", "W1_22")
_EDGES2 = ("W2_1", "W2_2")


def _f(v):
    text = f"{float(v):.3f}"
    return "0.000" if text == "-0.000" else text  # a ReLU's zero gradient is not "-0"


def backprop_steps(trace):
    """The 13 steps of a :class:`BackpropTrace`: 6 forward, 6 backward, 1 update."""
    t = trace
    act, act_sym, act_deriv = ACTIVATIONS[t.activation]
    _, out_sym, out_deriv = OUTPUTS[t.output]
    x, z1, h, z2, y = t.x[0], t.z1[0], t.h[0], t.z2[0, 0], t.y_hat[0, 0]
    W1, b1, W2, b2 = t.W1, t.b1, t.W2[:, 0], t.b2[0]
    act_prime, out_prime = t.act_prime[0], t.out_prime[0, 0]
    steps = [
        Step("the input arrives", f"x = ({_f(x[0])}, {_f(x[1])}),  target y = {_f(t.target)}",
             "forward", ("x1", "x2")),
        Step("hidden layer, linear part: z1 = x W1 + b1",
             f"z1_1 = {_f(x[0])}·{_f(W1[0, 0])} + {_f(x[1])}·{_f(W1[1, 0])} + {_f(b1[0])} = "
             f"{_f(z1[0])};   z1_2 = {_f(x[0])}·{_f(W1[0, 1])} + {_f(x[1])}·{_f(W1[1, 1])}"
             f" + {_f(b1[1])} = {_f(z1[1])}", "forward", ("h1", "h2"), _EDGES1),
        Step(f"hidden activation: h = {act_sym}(z1)",
             f"h_1 = {act_sym}({_f(z1[0])}) = {_f(h[0])};   "
             f"h_2 = {act_sym}({_f(z1[1])}) = {_f(h[1])}", "forward", ("h1", "h2")),
        Step("output layer, linear part: z2 = h W2 + b2",
             f"z2 = {_f(h[0])}·{_f(W2[0])} + {_f(h[1])}·{_f(W2[1])} + {_f(b2)} = {_f(z2)}",
             "forward", ("y",), _EDGES2),
        Step(f"output function: ŷ = {out_sym}(z2)", f"ŷ = {out_sym}({_f(z2)}) = {_f(y)}",
             "forward", ("y",)),
        Step("loss: L = (ŷ − y)²", f"L = ({_f(y)} − {_f(t.target)})² = {t.loss:.4f}",
             "forward", ("L",)),
        Step("backward starts at the loss: ∂L/∂ŷ = 2(ŷ − y)",
             f"∂L/∂ŷ = 2·({_f(y)} − {_f(t.target)}) = {_f(t.dy_hat[0, 0])}", "backward",
             ("L", "y")),
        Step("through the output function: ∂L/∂z2 = ∂L/∂ŷ · f'(z2)",
             f"{out_deriv} = {_f(out_prime)};   ∂L/∂z2 = {_f(t.dy_hat[0, 0])}·{_f(out_prime)}"
             f" = {_f(t.dz2[0, 0])}", "backward", ("y",)),
        Step("output layer's weights: ∂L/∂W2 = hᵀ ∂L/∂z2,  ∂L/∂b2 = ∂L/∂z2",
             f"∂L/∂W2 = ({_f(h[0])}·{_f(t.dz2[0, 0])}, {_f(h[1])}·{_f(t.dz2[0, 0])}) = "
             f"({_f(t.dW2[0, 0])}, {_f(t.dW2[1, 0])});   ∂L/∂b2 = {_f(t.db2[0])}",
             "backward", ("y",), _EDGES2),
        Step("back to the hidden units: ∂L/∂h = ∂L/∂z2 W2ᵀ",
             f"∂L/∂h_1 = {_f(t.dz2[0, 0])}·{_f(W2[0])} = {_f(t.dh[0, 0])};   "
             f"∂L/∂h_2 = {_f(t.dz2[0, 0])}·{_f(W2[1])} = {_f(t.dh[0, 1])}", "backward",
             ("h1", "h2"), _EDGES2),
        Step(f"through the activation: ∂L/∂z1 = ∂L/∂h · {act_sym}'(z1)",
             f"{act_deriv}:  ∂L/∂z1 = ({_f(t.dh[0, 0])}·{_f(act_prime[0])}, "
             f"{_f(t.dh[0, 1])}·{_f(act_prime[1])}) = ({_f(t.dz1[0, 0])}, {_f(t.dz1[0, 1])})",
             "backward", ("h1", "h2")),
        Step("first layer's weights: ∂L/∂W1 = xᵀ ∂L/∂z1,  ∂L/∂b1 = ∂L/∂z1",
             f"∂L/∂W1 = [[{_f(t.dW1[0, 0])}, {_f(t.dW1[0, 1])}], [{_f(t.dW1[1, 0])}, "
             f"{_f(t.dW1[1, 1])}]];   ∂L/∂b1 = ({_f(t.db1[0])}, {_f(t.db1[1])})",
             "backward", ("x1", "x2", "h1", "h2"), _EDGES1),
        Step("update every weight: w ← w − lr·∂L/∂w",
             f"W1 ← [[{_f(t.W1_new[0, 0])}, {_f(t.W1_new[0, 1])}], [{_f(t.W1_new[1, 0])}, "
             f"{_f(t.W1_new[1, 1])}]],  b1 ← ({_f(t.b1_new[0])}, {_f(t.b1_new[1])});  "
             f"W2 ← ({_f(t.W2_new[0, 0])}, {_f(t.W2_new[1, 0])}),  b2 ← {_f(t.b2_new[0])};  "
             f"with lr = {t.lr:.3g}: W2_1 = {_f(W2[0])} − {t.lr:.3g}·({_f(t.dW2[0, 0])}) = "
             f"{_f(t.W2_new[0, 0])};  loss {t.loss:.4f} → {t.loss_new:.4f}", "update",
             ("h1", "h2", "y", "L"), _EDGES1 + _EDGES2),
    ]
    return steps


#: Number of steps in the walk-through.
N_STEPS = 13


class BackpropExplorer:
    """The 2-2-1 network drawn as a graph; :meth:`update` reveals the values of the steps so far.

    Values going forward are written above the nodes and on the weights in blue; gradients
    coming back, written ``∂L/∂...``, below them in vermillion; the current step's nodes and
    weights are drawn thick and the step's formula, with its numbers, sits under the graph.

    The texts are ``StampText`` artists (:func:`nnlesson.viz.plotting.stamp_text`): each distinct string is
    rasterized once. With ``bake=True`` (the widget) the static parts are painted once and the
    13 steps of the default settings are rendered in the constructor (about half a second), so
    walking through them is instant; other settings render their new texts on first sight.
    """

    _POS = {"x1": (0.08, 0.72), "x2": (0.08, 0.30), "h1": (0.42, 0.72), "h2": (0.42, 0.30),
            "y": (0.72, 0.51), "L": (0.93, 0.51)}

    def __init__(self, activation="sigmoid", output="sigmoid", bake=True):
        from nnlesson.viz.plotting import PALETTE, Backdrop, freeze_layout, new_figure, stamp_text

        self.activation = check_choice("activation", activation, tuple(ACTIVATIONS))
        self.output = check_choice("output", output, tuple(OUTPUTS))
        self.fwd_colour, self.bwd_colour = PALETTE[0], PALETTE[3]
        fig, ax = new_figure(width=11.0, height=5.4)
        self.figure, self.ax = fig, ax
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_axis_off()
        # a plain text, not the axes title (which matplotlib moves above everything it sees)
        self.title = stamp_text(ax, 0.0, 1.0, "", fontsize=11, ha="left", va="top")
        P = self._POS

        # edges: a line per weight, plus the output -> loss edge
        self.edge_lines, self.edge_text = {}, {}
        pairs = {"W1_11": ("x1", "h1"), "W1_12": ("x1", "h2"), "W1_21": ("x2", "h1"),
                 "W1_22": ("x2", "h2"), "W2_1": ("h1", "y"), "W2_2": ("h2", "y")}
        for name, (a, b) in pairs.items():
            (line,) = ax.plot([P[a][0], P[b][0]], [P[a][1], P[b][1]], color="#bbbbbb",
                              linewidth=1.2, zorder=1)
            self.edge_lines[name] = line
            # labels a quarter of the way along, so crossing edges do not collide
            frac = 0.28 if name.startswith("W1") else 0.45
            ex = P[a][0] + frac * (P[b][0] - P[a][0])
            ey = P[a][1] + frac * (P[b][1] - P[a][1])
            self.edge_text[name] = stamp_text(ax, ex, ey, "", fontsize=8, ha="center", va="center",
                                           zorder=4, bbox={"facecolor": "white",
                                                           "edgecolor": "none", "pad": 1})
        (self.loss_edge,) = ax.plot([P["y"][0], P["L"][0]], [P["y"][1], P["L"][1]],
                                    color="#bbbbbb", linewidth=1.2, zorder=1)

        # nodes
        labels = {"x1": "x₁", "x2": "x₂", "h1": "h₁", "h2": "h₂", "y": "ŷ", "L": "L"}
        self.node_marks, self.node_labels, self.value_text, self.grad_text = {}, {}, {}, {}
        for name, (px, py) in P.items():
            (mark,) = ax.plot([px], [py], marker="s" if name == "L" else "o", markersize=30,
                              markerfacecolor="white", markeredgecolor="#555555",
                              markeredgewidth=1.2, linestyle="none", zorder=3)
            self.node_marks[name] = mark
            self.node_labels[name] = stamp_text(ax, px, py, labels[name], fontsize=12, ha="center",
                                             va="center", zorder=5)
            self.value_text[name] = stamp_text(ax, px, py + 0.085, "", fontsize=8.5, ha="center",
                                            va="bottom", color=self.fwd_colour, zorder=5)
            self.grad_text[name] = stamp_text(ax, px, py - 0.085, "", fontsize=8.5, ha="center",
                                           va="top", color=self.bwd_colour, zorder=5)
        # each bias on the side of its node that no edge crosses
        where = {"h1": (0.04, 0.04, "bottom"), "h2": (0.04, -0.04, "top"),
                 "y": (0.04, 0.035, "bottom")}
        self.bias_text = {n: stamp_text(ax, P[n][0] + dx, P[n][1] + dy, "", fontsize=7.5,
                                     color="#555555", ha="left", va=va)
                          for n, (dx, dy, va) in where.items()}
        self.formula = stamp_text(ax, 0.0, 0.03, "", fontsize=10, ha="left", va="bottom",
                               family="monospace", wrap=False)
        ax.text(1.0, 0.92, "blue: values going forward\nvermillion ∂L/∂…: gradients coming "
                "back", fontsize=8, ha="right", va="top", color="#333333")
        self.update()
        freeze_layout(fig)
        self.background = None
        if bake:  # the legend and the loss edge never change
            self.background = Backdrop(fig, self._dynamic())
            for k in range(N_STEPS):  # render every step's texts once, for the first walk
                self.update(step=k)
                fig.canvas.draw()
            self.update()

    def _dynamic(self):
        # the node names sit on the (opaque) node markers, so they are drawn with them
        return [self.title, self.formula, *self.edge_lines.values(), *self.edge_text.values(),
                *self.node_marks.values(), *self.node_labels.values(),
                *self.value_text.values(), *self.grad_text.values(), *self.bias_text.values()]

    def compute(self, step=0, lr=0.5, activation=None, output=None):
        """``(trace, steps)`` for these settings (microseconds of work); ``None`` means the
        explorer's own activation or output function."""
        trace = backprop_trace(activation=activation or self.activation,
                               output=output or self.output, lr=lr)
        return trace, backprop_steps(trace)

    def update(self, step=0, lr=0.5, activation=None, output=None):
        step = check_int("step", step, low=0, high=N_STEPS - 1)
        t, steps = self.trace, self.steps = self.compute(step, lr, activation, output)
        current = steps[step]
        updated = step == N_STEPS - 1

        # forward values above the nodes
        values = {
            "x1": [(0, f"x₁ = {_f(t.x[0, 0])}")], "x2": [(0, f"x₂ = {_f(t.x[0, 1])}")],
            "h1": [(1, f"z = {_f(t.z1[0, 0])}"), (2, f"h = {_f(t.h[0, 0])}")],
            "h2": [(1, f"z = {_f(t.z1[0, 1])}"), (2, f"h = {_f(t.h[0, 1])}")],
            "y": [(3, f"z = {_f(t.z2[0, 0])}"), (4, f"ŷ = {_f(t.y_hat[0, 0])}")],
            "L": [(0, f"y = {_f(t.target)}"), (5, f"L = {t.loss:.4f}")],
        }
        if updated:
            values["L"].append((12, f"after: {t.loss_new:.4f}"))
        for name, items in values.items():
            self.value_text[name].set_text("\n".join(s for k, s in items if k <= step))

        # gradients below the nodes
        grads = {
            "x1": [(11, f"∂L/∂x₁ = {_f(t.dx[0, 0])}")],
            "x2": [(11, f"∂L/∂x₂ = {_f(t.dx[0, 1])}")],
            "h1": [(9, f"∂L/∂h = {_f(t.dh[0, 0])}"), (10, f"∂L/∂z = {_f(t.dz1[0, 0])}")],
            "h2": [(9, f"∂L/∂h = {_f(t.dh[0, 1])}"), (10, f"∂L/∂z = {_f(t.dz1[0, 1])}")],
            "y": [(6, f"∂L/∂ŷ = {_f(t.dy_hat[0, 0])}"), (7, f"∂L/∂z = {_f(t.dz2[0, 0])}")],
            "L": [(6, "∂L/∂L = 1")],
        }
        for name, items in grads.items():
            self.grad_text[name].set_text("\n".join(s for k, s in items if k <= step))

        # weights (and, once computed, their gradients) on the edges
        W = {"W1_11": (t.W1[0, 0], t.dW1[0, 0]), "W1_12": (t.W1[0, 1], t.dW1[0, 1]),
             "W1_21": (t.W1[1, 0], t.dW1[1, 0]), "W1_22": (t.W1[1, 1], t.dW1[1, 1]),
             "W2_1": (t.W2[0, 0], t.dW2[0, 0]), "W2_2": (t.W2[1, 0], t.dW2[1, 0])}
        # the update step keeps the weights and gradients on the graph: only the formula and
        # the new loss depend on the learning rate
        for name, (w, g) in W.items():
            grad_step = 11 if name.startswith("W1") else 8
            text = f"w = {_f(w)}"
            if step >= grad_step:
                text += f"\n∂L/∂w = {_f(g)}"
            self.edge_text[name].set_text(text)
            self.edge_text[name].set_color(self.bwd_colour if step >= grad_step else "#222222")
        biases = {"h1": (t.b1[0], t.db1[0], 11), "h2": (t.b1[1], t.db1[1], 11),
                  "y": (t.b2[0], t.db2[0], 8)}
        for name, (b, g, grad_step) in biases.items():
            text = f"b = {_f(b)}"
            if step >= grad_step:
                text += f", ∂L/∂b = {_f(g)}"
            self.bias_text[name].set_text(text)

        # highlight the current step
        colour = self.fwd_colour if current.phase == "forward" else self.bwd_colour
        for name, line in self.edge_lines.items():
            on = name in current.edges
            line.set_color(colour if on else "#bbbbbb")
            line.set_linewidth(3.0 if on else 1.2)
            line.set_linestyle("-" if current.phase == "forward" or not on else "--")
        for name, mark in self.node_marks.items():
            on = name in current.nodes
            mark.set_markeredgecolor(colour if on else "#555555")
            mark.set_markeredgewidth(3.0 if on else 1.2)
        phase = {"forward": "forward pass", "backward": "backward pass (chain rule)",
                 "update": "gradient-descent update"}[current.phase]
        self.title.set_text(f"step {step} of {N_STEPS - 1} · {phase}: {current.title}")
        self.formula.set_text(_wrap(current.formula, 110))


def _wrap(text, width):
    """Break a long formula at its ';' separators so it fits under the graph."""
    if len(text) <= width:
        return text
    return "\n".join(part.strip() for part in text.split(";"))


def explore_backprop(step=0, lr=0.5, activation="sigmoid", output="sigmoid"):
    """A step slider through the forward and backward pass and the update's learning rate (log
    slider), for one hidden activation (``"sigmoid"``, ``"tanh"``, ``"relu"``) and output
    function (``"sigmoid"``, ``"identity"``): call it again to compare them. (They are not
    dropdowns because every number on the graph changes with them, and drawing 600 new
    glyphs takes longer than a slider move should.)"""
    from nnlesson.viz.widgets import int_slider, interactive_plot, lr_slider

    drawing = BackpropExplorer(activation, output)
    return interactive_plot(
        drawing.figure, drawing.update,
        step=int_slider(step, min=0, max=N_STEPS - 1, description="step"),
        lr=lr_slider(lr, min_exp=-2, max_exp=1, description="learning rate (update)"),
    )


def snapshot_backprop(step=N_STEPS - 2, lr=0.5, activation="sigmoid", output="sigmoid"):
    """The network after a given step (default: the whole backward pass), as a static Figure."""
    drawing = BackpropExplorer(activation, output, bake=False)
    drawing.update(step=step, lr=lr)
    return drawing.figure

