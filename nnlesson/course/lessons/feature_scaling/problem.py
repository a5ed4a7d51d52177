"""Lesson 02, feature scaling: the experiments (compute, draw, widget).

**Scale vs no scale on real data.** UCI Wine measures proline in the hundreds (278 to 1680) and
hue around 1 (0.48 to 1.71). A linear model that predicts a wine's alcohol content from these
two features is fitted by gradient descent on the mean squared error; its loss surface over the
two weights is drawn as contours with the descent path on top, and the number of steps to
converge is counted, for each way of scaling the features (none, min-max, standardize,
mean-norm) and any learning rate.

The loss of a linear model is a quadratic function of the weights, so everything about gradient
descent on it can also be computed exactly (:class:`LeastSquares`): the curvature matrix
``H``, its eigenvalues, the largest stable learning rate ``2 / lambda_max``, the best constant
learning rate ``2 / (lambda_min + lambda_max)`` and the exact number of steps to converge,
even when that number is in the millions. The descent path itself is run by the course's one
loop, :func:`nnlesson.course.runner.run`.

Pieces: :data:`SCALERS`, :func:`make_scaler`, :func:`scale_split`, :class:`LeastSquares`,
:func:`least_squares`, :func:`wine_problem`, :func:`scaler_table`,
:class:`ScalingExplorer`, :func:`explore_scaling`, :func:`snapshot_scaling`,
:func:`figure_scaler_paths`; and for "fit on the training set only":
:func:`leakage_summary`, :func:`new_batch_demo`.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_array, check_choice, check_int, check_number
from nnlesson.course.runner import run
from nnlesson.viz.plotting import Backdrop
from nnlesson.scaling import MeanNormalizer, MinMaxScaler, StandardScaler

__all__ = [
    "SCALERS",
    "SCALER_LABELS",
    "make_scaler",
    "scale_split",
    "LeastSquares",
    "least_squares",
    "wine_problem",
    "ScalerRow",
    "scaler_table",
    "format_steps",
    "format_scaler_table",
    "figure_before_after",
    "ScalingExplorer",
    "explore_scaling",
    "snapshot_scaling",
    "figure_scaler_paths",
    "LeakageSummary",
    "leakage_summary",
    "NewBatchDemo",
    "new_batch_demo",
]

#: The scaler choices, in the order of the widget's dropdown.
SCALERS = ("none", "min-max", "standardize", "mean-norm")

#: How each choice is named in plots and tables.
SCALER_LABELS = {
    "none": "raw features",
    "min-max": "min-max to [0, 1]",
    "standardize": "standardized",
    "mean-norm": "mean-normalized",
}

#: Converged means: the loss above its minimum is at most TOL times what it was at the start.
TOL = 1e-6


def make_scaler(name):
    """A new, unfitted scaler of :mod:`nnlesson.scaling` for a choice of :data:`SCALERS`.

    ``"none"`` gives None (the features are used as they are).
    """
    check_choice("name", name, SCALERS)
    return {"none": None, "min-max": MinMaxScaler(), "standardize": StandardScaler(),
            "mean-norm": MeanNormalizer()}[name]


def scale_split(name, X_train, *others):
    """Fit the scaler ``name`` on ``X_train`` only and apply it to ``X_train`` and ``others``.

    Returns a tuple of scaled arrays, ``X_train`` first (the inputs as float64 copies for
    ``"none"``).
    """
    scaler = make_scaler(name)
    arrays = (X_train,) + others
    if scaler is None:
        return tuple(np.array(a, dtype=np.float64) for a in arrays)
    scaler.fit(X_train)
    return tuple(scaler.transform(a) for a in arrays)


# --------------------------------------------------------------------------- the quadratic


@dataclass(frozen=True, eq=False)
class LeastSquares:
    """Linear least squares fitted by gradient descent, analysed exactly.

    With the design matrix ``Z`` (n, p) (the scaled features, plus a column of ones when the
    model has a bias) and targets ``y`` (n,), the loss is the mean squared error
    (:func:`nnlesson.losses.mse_loss`)::

        L(w) = mean((Z w - y)^2) = L* + 1/2 (w - w*)^T H (w - w*)
        g(w) = dL/dw = (2 / n) Z^T (Z w - y) = H (w - w*)
        H    = (2 / n) Z^T Z                  (p, p), the curvature (Hessian) of L
        w*   = the solution of H w = (2 / n) Z^T y

    Plain gradient descent ``w <- w - lr g(w)`` multiplies the error ``w - w*`` along the
    eigenvector of eigenvalue ``lambda_i`` of ``H`` by ``1 - lr lambda_i`` at every step, so:

    - it converges only for ``lr < 2 / lambda_max`` (:attr:`max_stable_lr`);
    - the best constant rate is ``2 / (lambda_min + lambda_max)`` (:attr:`best_lr`), where the
      error shrinks by ``(kappa - 1) / (kappa + 1)`` per step, ``kappa = lambda_max / lambda_min``
      (:attr:`condition_number`);
    - so the number of steps grows in proportion to ``kappa``. Scaling the features changes
      ``H`` and therefore ``kappa``.

    Attributes:
        Z (n, p), y (n,), names (p names of the columns of Z), H (p, p), w_star (p,),
        loss_star (float), eigenvalues (p,) ascending, eigenvectors (p, p) as columns.
    """

    Z: np.ndarray
    y: np.ndarray
    names: tuple
    H: np.ndarray
    w_star: np.ndarray
    loss_star: float
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray

    @property
    def n_weights(self):
        return self.Z.shape[1]

    @property
    def condition_number(self):
        """``lambda_max / lambda_min`` of ``H``: how much narrower the valley is than long."""
        return float(self.eigenvalues[-1] / self.eigenvalues[0])

    @property
    def max_stable_lr(self):
        """Gradient descent diverges for ``lr > 2 / lambda_max`` (and stalls at equality)."""
        return float(2.0 / self.eigenvalues[-1])

    @property
    def best_lr(self):
        """The constant learning rate that converges fastest: ``2 / (lambda_min + lambda_max)``."""
        return float(2.0 / (self.eigenvalues[0] + self.eigenvalues[-1]))

    def _start(self, start):
        if start is None:
            return np.zeros(self.n_weights)
        start = check_array("start", start, ndim=1, dtype=np.float64)
        if start.shape != (self.n_weights,):
            raise ValueError(f"start must have shape ({self.n_weights},), one entry per weight, "
                             f"got {start.shape}")
        return start

    def loss(self, w):
        """L(w) for ``w`` of shape (p,) (a float) or (..., p) (an array of shape (...))."""
        d = np.asarray(w, dtype=np.float64) - self.w_star
        out = self.loss_star + 0.5 * np.einsum("...i,ij,...j->...", d, self.H, d)
        return float(out) if out.ndim == 0 else out

    def excess(self, w):
        """``L(w) - L*`` (computed without subtracting two nearly equal numbers)."""
        d = np.asarray(w, dtype=np.float64) - self.w_star
        out = 0.5 * np.einsum("...i,ij,...j->...", d, self.H, d)
        return float(out) if out.ndim == 0 else out

    value = loss

    def grad(self, w):
        """g(w) = H (w - w*), shape (p,)."""
        return self.H @ (np.asarray(w, dtype=np.float64) - self.w_star)

    grad_point = grad

    def steps_to_converge(self, lr, start=None, tol=TOL):
        """The exact number of gradient-descent steps until ``L - L* <= tol * (L(start) - L*)``.

        In the eigenbasis of ``H`` the excess loss after ``t`` steps is
        ``sum_i 1/2 lambda_i a_i^2 (1 - lr lambda_i)^(2 t)`` with ``a = V^T (start - w*)``; it
        never increases when every ``|1 - lr lambda_i| < 1``, so the first ``t`` below the
        threshold is found by doubling and then bisection, without running the steps.

        Returns:
            an int, or None when gradient descent never gets there (``lr >= 2 / lambda_max``
            along a direction the start is off the minimum, or ``lr == 0``).
        """
        lr = check_number("lr", lr, low=0)
        tol = check_number("tol", tol, low=0, high=1, low_open=True, high_open=True)
        a = self.eigenvectors.T @ (self._start(start) - self.w_star)
        terms = 0.5 * self.eigenvalues * a * a
        gap0 = terms.sum()
        if gap0 == 0.0:
            return 0
        active = terms > 1e-300
        terms, lam = terms[active], self.eigenvalues[active]
        rate = np.abs(1.0 - lr * lam)
        if np.any(rate >= 1.0):
            return None
        with np.errstate(divide="ignore"):
            log_rate = np.where(lr * lam < 1.0, np.log1p(-np.minimum(lr * lam, 1.0)),
                                np.log(rate))

        def gap(t):
            return float(np.sum(terms * np.exp(2.0 * t * log_rate)))

        target = tol * gap0  # < gap0 = gap(0): at least one step is needed
        hi = 1
        while gap(hi) > target:
            hi *= 2
        lo = hi // 2  # gap(lo) > target
        if lo == 0:
            return 1
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if gap(mid) > target:
                lo = mid
            else:
                hi = mid
        return hi

    def descend(self, lr, n_steps, start=None):
        """Run ``n_steps`` of gradient descent from ``start`` (zeros by default).

        Each step is ``w = w - lr g(w)``: the course's one loop,
        :func:`nnlesson.course.runner.run` with the rule ``"gd"``, which stops the run as
        diverged when ``w`` stops being finite or ``||w||_2 > 1e6``.

        Returns:
            :class:`nnlesson.course.runner.OptimizerPath` (``points``, ``values`` = the loss,
            ``diverged_at``); :meth:`relative_excess` turns its points into the convergence
            measure the lesson plots.
        """
        return run(self, "gd", lr=check_number("lr", lr, low=0),
                   n_steps=check_int("n_steps", n_steps, low=0), start=self._start(start))

    def relative_excess(self, points):
        """``(L(w_t) - L*) / (L(w_0) - L*)`` for the points of a path (k + 1, p): 1 at the
        start, 1e-6 means converged (each term computed without subtracting nearly equal
        numbers)."""
        excess = self.excess(points)
        return excess / excess[0]


def least_squares(Z, y, names=None, bias=False):
    """The :class:`LeastSquares` problem of fitting ``y`` (n,) from the columns of ``Z`` (n, p).

    With ``bias=True`` a column of ones is appended, so the last weight is the bias.
    """
    Z = check_array("Z", Z, ndim=2, dtype=np.float64, min_rows=1)
    y = check_array("y", y, ndim=1, dtype=np.float64)
    if y.shape[0] != Z.shape[0]:
        raise ValueError(f"Z and y must have the same number of rows, got {Z.shape} and {y.shape}")
    names = tuple(f"w{j + 1}" for j in range(Z.shape[1])) if names is None else tuple(names)
    if len(names) != Z.shape[1]:
        raise ValueError(f"names must have one entry per column of Z ({Z.shape[1]}), "
                         f"got {len(names)}")
    if bias:
        Z = np.column_stack([Z, np.ones(Z.shape[0])])
        names = names + ("bias",)
    n = Z.shape[0]
    H = (2.0 / n) * (Z.T @ Z)
    lam, V = np.linalg.eigh(H)
    if lam[0] <= 1e-12 * lam[-1]:
        raise ValueError("Z must have linearly independent columns (the loss has no single "
                         "minimum otherwise), e.g. no constant column together with a bias")
    w_star = np.linalg.solve(H, (2.0 / n) * (Z.T @ y))
    r = Z @ w_star - y
    return LeastSquares(Z=Z, y=y, names=names, H=H, w_star=w_star,
                        loss_star=float(np.mean(r * r)), eigenvalues=lam, eigenvectors=V)


@functools.lru_cache(maxsize=None)
def _wine():
    from nnlesson.datasets import load_wine

    return load_wine()


def wine_problem(scaler="standardize", features=("proline", "hue"), target="alcohol",
                 bias=False):
    """Predict one wine measurement from others, with the features scaled by ``scaler``.

    All 178 wines are the training set here (the scaler is fitted on them). Without a bias
    (the default, so the picture has exactly the two weights that gradient descent moves) the
    target is centred: ``y = target - mean(target)``; with ``bias=True`` it is left as it is.

    Args:
        scaler: one of :data:`SCALERS`.
        features: names of wine columns (see :func:`nnlesson.datasets.load_wine`); the
            string ``"all others"`` takes every column except ``target``.
        target: the column to predict.
        bias: add a bias weight (a column of ones).

    Returns:
        :class:`LeastSquares`.
    """
    check_choice("scaler", scaler, SCALERS)
    data = _wine()
    names = data.feature_names
    check_choice("target", target, names)
    if features == "all others":
        features = tuple(f for f in names if f != target)
    features = tuple(features)
    for f in features:
        check_choice("features", f, names)
    if target in features:
        raise ValueError(f"features must not contain the target {target!r}")
    X = data.X[:, [names.index(f) for f in features]]
    y = data.X[:, names.index(target)]
    (Z,) = scale_split(scaler, X)
    if not bias:
        y = y - y.mean()
    return least_squares(Z, y, names=tuple(f"w_{f}" for f in features), bias=bias)


# --------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class ScalerRow:
    """One row of :func:`scaler_table`."""

    scaler: str
    condition_number: float
    max_stable_lr: float
    best_lr: float
    steps_at_best_lr: int
    min_loss: float


def scaler_table(features=("proline", "hue"), target="alcohol", bias=False, tol=TOL):
    """For each scaler: condition number, largest stable and best learning rate, and the exact
    number of gradient-descent steps (from zero weights, at the best rate) to converge.
    """
    rows = []
    for name in SCALERS:
        p = wine_problem(name, features, target, bias)
        rows.append(ScalerRow(scaler=name, condition_number=p.condition_number,
                              max_stable_lr=p.max_stable_lr, best_lr=p.best_lr,
                              steps_at_best_lr=p.steps_to_converge(p.best_lr, tol=tol),
                              min_loss=p.loss_star))
    return rows


def format_steps(steps):
    """A step count for printing: exact below a million, else in millions to 3 digits (the
    exact count of a badly conditioned problem depends on rounding in its smallest
    eigenvalue)."""
    if steps is None:
        return "never"
    if steps >= 1_000_000:
        return f"{steps / 1e6:.3g} million"
    return f"{steps:,d}"


def format_scaler_table(rows):
    """The rows of :func:`scaler_table` as aligned text (numbers rounded for printing)."""
    lines = [f"{'scaling':<20}{'condition number':>17}{'largest stable lr':>19}"
             f"{'best lr':>9}{'steps at best lr':>18}{'min loss':>10}"]
    for r in rows:
        lines.append(f"{SCALER_LABELS[r.scaler]:<20}{r.condition_number:>17.3g}"
                     f"{r.max_stable_lr:>19.2g}{r.best_lr:>9.2g}"
                     f"{format_steps(r.steps_at_best_lr):>18}{r.min_loss:>10.4f}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- the figure


def _box(problem, path_hint):
    """A square plot window (same span on both axes) around the start (0, 0), the minimum and
    the early path of descent. Square, so that the axes can be drawn to the same scale: only
    then does a narrow valley look narrow."""
    pts = np.vstack([np.zeros(2), problem.w_star, path_hint])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    centre = (lo + hi) / 2
    half = 0.6 * max(float(np.max(hi - lo)), 1e-12)
    return (centre[0] - half, centre[0] + half), (centre[1] - half, centre[1] + half)


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


def _fmt_ratio(x):
    return f"{x:,.0f}" if x >= 10 else f"{x:.2g}"


def _fmt_steps(steps):
    return "never" if steps is None else f"{format_steps(steps)} steps"


class ScalingExplorer:
    """The scaling experiment's figure, built once; :meth:`update` changes artists only.

    Left: the loss over the two weights (contours of the relative excess loss, one set per
    scaler, computed once) with the gradient-descent path of ``n_steps`` steps. Right: the
    relative excess loss per step (log scale) for the chosen setting and, as a reference,
    standardized features at their best rate; the text gives the condition number, the largest
    stable rate and the exact number of steps to converge.

    With ``bake=True`` (the widget) everything that does not move with the learning rate
    (axes, ticks, labels, legends, contours, the reference curve) is painted once per scaler
    (:class:`~nnlesson.viz.plotting.Backdrop`), so a redraw paints only the path, the loss curve and the
    text. ``bake=False`` keeps an ordinary figure (snapshots).
    """

    def __init__(self, features=("proline", "hue"), target="alcohol", n_steps=200, bake=True):
        from nnlesson.viz.plotting import PALETTE, freeze_layout, label_axes, new_figure, series_style

        self.n_steps = check_int("n_steps", n_steps, low=1)
        self.features = tuple(features)
        self.problems = {s: wine_problem(s, self.features, target) for s in SCALERS}
        fig, (ax_w, ax_loss) = new_figure(2, 1, width=11.0, height=4.4)
        self.figure, self.axes = fig, (ax_w, ax_loss)

        # contours: one set per scaler, in the window the descent at the best rate explores
        self.boxes, self.contours = {}, {}
        levels = np.logspace(-6, 2, 9)
        for s, p in self.problems.items():
            hint = p.descend(min(p.best_lr, 0.95 * p.max_stable_lr), 30).points
            self.boxes[s] = _box(p, hint)
            GX, GY, R = _contour_grid(p, self.boxes[s])
            cs = ax_w.contour(GX, GY, R, levels=levels, colors="#888888", linewidths=0.7)
            cs.set_visible(False)
            self.contours[s] = cs
        s0 = series_style(0)
        (self.path_line,) = ax_w.plot([], [], color=s0["color"], linestyle="-", marker="o",
                                      markersize=3, linewidth=1.0, label="gradient descent")
        ax_w.plot([0.0], [0.0], linestyle="none", marker="s", color=PALETTE[7], markersize=6,
                  label="start (0, 0)")
        (self.min_star,) = ax_w.plot([], [], linestyle="none", marker="*", color=PALETTE[3],
                                     markersize=13, label="minimum w*")
        ax_w.legend(loc="upper right", fontsize=8)
        label_axes(ax_w, title="contours of the loss: round bowl or narrow valley?",
                   xlabel=f"weight of {self.features[0]}", ylabel=f"weight of {self.features[1]}")
        ax_w.set_aspect("equal", adjustable="box")  # same scale on both axes: the true shape

        steps = np.arange(self.n_steps + 1)
        ref = self.problems["standardize"]
        ref_path = ref.descend(ref.best_lr, self.n_steps)
        ref_y = np.full(self.n_steps + 1, np.nan)
        ref_y[:len(ref_path.points)] = np.maximum(ref.relative_excess(ref_path.points), 1e-18)
        s1 = dict(series_style(1), markevery=0.1, markersize=4)
        ax_loss.plot(steps, ref_y, label=f"standardized, best lr {ref.best_lr:.2g}", **s1)
        (self.loss_line,) = ax_loss.plot(steps, np.ones(self.n_steps + 1), label="your choice",
                                         **dict(s0, markevery=0.1, markersize=4))
        ax_loss.axhline(TOL, color="#555555", linestyle=":", linewidth=1.0)
        ax_loss.text(self.n_steps, TOL * 2, "converged", ha="right", va="bottom", fontsize=8,
                     color="#555555")
        ax_loss.set_yscale("log")
        ax_loss.set_ylim(1e-12, 1e8)
        ax_loss.set_xlim(0, self.n_steps)
        ax_loss.legend(loc="lower left", fontsize=8)
        label_axes(ax_loss, title="how fast does the loss reach its minimum?",
                   xlabel="gradient-descent step", ylabel="(L - L*) / (L at start - L*)")
        # what depends on the scaler only (painted into the background when baked) ...
        self.facts = ax_loss.text(0.98, 0.97, "", transform=ax_loss.transAxes, fontsize=8,
                                  ha="right", va="top", family="monospace",
                                  multialignment="left",
                                  bbox={"facecolor": "white", "alpha": 0.85,
                                        "edgecolor": "#cccccc"})
        # ... and what the learning rate changes: kept short, it is redrawn every time
        self.text = ax_loss.text(0.98, 0.74, "", transform=ax_loss.transAxes, fontsize=9,
                                 ha="right", va="top", color=s0["color"])
        self._dynamic = [self.path_line, self.loss_line, self.text]
        self._shown = None
        self.backdrop = None
        self.update()
        freeze_layout(fig)
        if bake:
            current = self._shown
            self.backdrop = Backdrop(fig, self._dynamic, scene=None)
            for scaler in (*SCALERS, current):  # paint every scaler's backdrop now
                self._shown = None
                self._show_scaler(scaler)

    def _prepare(self, scaler):
        """Show what depends on the scaler only: contours, window, minimum, facts."""
        p = self.problems[scaler]
        for s, cs in self.contours.items():
            cs.set_visible(s == scaler)
        self.min_star.set_data([p.w_star[0]], [p.w_star[1]])
        self.facts.set_text(
            f"{SCALER_LABELS[scaler]}\n"
            f"condition number  {p.condition_number:.3g}\n"
            f"valley {_fmt_ratio(math.sqrt(p.condition_number))} times longer than wide\n"
            f"largest stable lr {p.max_stable_lr:.3g}\n"
            f"best lr           {p.best_lr:.3g}")
        (x0, x1), (y0, y1) = self.boxes[scaler]
        self.axes[0].set_xlim(x0, x1)
        self.axes[0].set_ylim(y0, y1)

    def _show_scaler(self, scaler):
        """Switch to ``scaler``'s static parts (its painted backdrop when baked)."""
        if self._shown == scaler:
            return
        if self.backdrop is None:
            self._prepare(scaler)
        else:
            self.backdrop.show(scaler, lambda: self._prepare(scaler))
        self._shown = scaler

    def compute(self, scaler="none", lr=1e-6):
        """``(problem, path, steps_to_converge)`` for one setting."""
        check_choice("scaler", scaler, SCALERS)
        lr = check_number("lr", lr, low=0)
        p = self.problems[scaler]
        return p, p.descend(lr, self.n_steps), p.steps_to_converge(lr)

    def update(self, scaler="none", lr=1e-6):
        p, path, steps = self.compute(scaler, lr)
        self.problem, self.path, self.steps = p, path, steps
        self._show_scaler(scaler)
        self.path_line.set_data(path.points[:, 0], path.points[:, 1])
        y = np.full(self.n_steps + 1, np.nan)
        y[:len(path.points)] = np.maximum(p.relative_excess(path.points), 1e-18)
        self.loss_line.set_ydata(y)
        if path.diverged:
            outcome = f"diverges (step {path.diverged_at})"
        elif steps is None:  # not yet past the runner's bound, but the analysis knows
            outcome = ("diverges: the loss grows every step" if lr > p.max_stable_lr
                       else "never converges")
        else:
            outcome = f"converges in {_fmt_steps(steps)}"
        self.text.set_text(f"lr = {lr:.2g}: {outcome}")


def explore_scaling(scaler="none", lr=1e-6, n_steps=200):
    """The widget: a dropdown for the scaler, the learning rate on a log slider (1e-7 to 30)."""
    from nnlesson.viz.widgets import choice, interactive_plot, lr_slider

    drawing = ScalingExplorer(n_steps=n_steps)
    return interactive_plot(
        drawing.figure, drawing.update,
        scaler=choice([(SCALER_LABELS[s], s) for s in SCALERS], scaler, description="scaling"),
        lr=lr_slider(lr, min_exp=-7, max_exp=1.5, description="learning rate"),
    )


def snapshot_scaling(scaler="none", lr=1e-6, n_steps=200):
    """The explorer's figure for one setting (a static Figure for slides and readers)."""
    drawing = ScalingExplorer(n_steps=n_steps, bake=False)
    drawing.update(scaler=scaler, lr=lr)
    return drawing.figure


def figure_scaler_paths(n_steps=60, features=("proline", "hue"), target="alcohol"):
    """The four scalings side by side, each descending at its own best learning rate.

    Each panel shows the contours of the loss over the two weights and ``n_steps`` steps of
    gradient descent; its title gives the condition number and the exact steps to converge.
    """
    from nnlesson.viz.plotting import PALETTE, label_axes, new_figure, series_style

    fig, axes = new_figure(4, 1, width=14.0, height=3.8)
    for ax, s in zip(axes, SCALERS):
        p = wine_problem(s, features, target)
        path = p.descend(p.best_lr, n_steps)
        box = (x0, x1), (y0, y1) = _box(p, path.points[:30])
        GX, GY, R = _contour_grid(p, box)
        ax.contour(GX, GY, R, levels=np.logspace(-6, 2, 9), colors="#888888", linewidths=0.7)
        st = series_style(0)
        ax.plot(path.points[:, 0], path.points[:, 1], color=st["color"], marker="o",
                markersize=3, linewidth=1.0)
        ax.plot([0], [0], linestyle="none", marker="s", color=PALETTE[7], markersize=6)
        ax.plot([p.w_star[0]], [p.w_star[1]], linestyle="none", marker="*", color=PALETTE[3],
                markersize=13)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect("equal", adjustable="box")
        steps = p.steps_to_converge(p.best_lr)
        label_axes(ax, title=f"{SCALER_LABELS[s]}: κ = {p.condition_number:.3g}\n"
                             f"best lr {p.best_lr:.2g}: {_fmt_steps(steps)}",
                   xlabel=f"weight of {features[0]}",
                   ylabel=f"weight of {features[1]}" if s == "none" else "")
    return fig


def figure_before_after(X, X_scaled, names=("proline", "hue"), title="scaled"):
    """Two features before and after scaling, each panel drawn to the same scale on both axes.

    ``X`` and ``X_scaled``: (n, 2) arrays. Raw wine features are a flat streak (proline spans
    hundreds, hue about 1); scaled ones a cloud of similar width and height.
    """
    from nnlesson.viz.plotting import label_axes, new_figure, series_style

    X = check_array("X", X, ndim=2, dtype=np.float64)
    X_scaled = check_array("X_scaled", X_scaled, ndim=2, dtype=np.float64)
    fig, axes = new_figure(2, 1, width=10.0, height=4.0)
    for i, (ax, data, what) in enumerate(zip(axes, (X, X_scaled), ("raw", title))):
        st = series_style(i)
        ax.plot(data[:, 0], data[:, 1], linestyle="none", marker=st["marker"], color=st["color"],
                markersize=4, alpha=0.7)
        ax.set_aspect("equal", adjustable="datalim")
        label_axes(ax, title=f"{what}: the same units on both axes", xlabel=names[0],
                   ylabel=names[1])
    return fig


# --------------------------------------------------------------------------- fit on train only


@dataclass(frozen=True)
class LeakageSummary:
    """What :func:`leakage_summary` measured (min-max scaling of the wine test split).

    Attributes:
        n_train, n_test: sizes of the split.
        test_min_fit_train, test_max_fit_train: the smallest and largest scaled test value
            when the scaler is fitted on the training part only (can fall outside [0, 1]).
        outside_fit_train: how many scaled test values fall outside [0, 1] then.
        test_min_fit_all, test_max_fit_all: the same when fitted on all the data (train + test).
        outside_fit_all: how many test values fall outside [0, 1] then (0: the test set's
            extremes were used to scale the training data: a leak).
        changed_train_values: how many training values change when the test part is added to
            the data the scaler is fitted on.
    """

    n_train: int
    n_test: int
    test_min_fit_train: float
    test_max_fit_train: float
    outside_fit_train: int
    test_min_fit_all: float
    test_max_fit_all: float
    outside_fit_all: int
    changed_train_values: int


def _wine_split(seed):
    from nnlesson.data import train_val_split

    d = _wine()
    return train_val_split(d.X, d.y, val_fraction=0.3, rng=seed, stratify=True)


def leakage_summary(seed=0):
    """Min-max scaling fitted on the training part only vs on all the data (a leak)."""
    X_train, X_test, _, _ = _wine_split(seed)
    good = MinMaxScaler().fit(X_train)
    leaky = MinMaxScaler().fit(np.vstack([X_train, X_test]))
    t_good, t_leak = good.transform(X_test), leaky.transform(X_test)
    return LeakageSummary(
        n_train=len(X_train), n_test=len(X_test),
        test_min_fit_train=float(t_good.min()), test_max_fit_train=float(t_good.max()),
        outside_fit_train=int(np.sum((t_good < 0) | (t_good > 1))),
        test_min_fit_all=float(t_leak.min()), test_max_fit_all=float(t_leak.max()),
        outside_fit_all=int(np.sum((t_leak < -1e-12) | (t_leak > 1 + 1e-12))),
        changed_train_values=int(np.sum(~np.isclose(good.transform(X_train),
                                                    leaky.transform(X_train), rtol=0,
                                                    atol=1e-12))),
    )


@dataclass(frozen=True)
class NewBatchDemo:
    """What :func:`new_batch_demo` measured.

    Attributes:
        n_batch: number of wines in the new batch (all of one cultivar).
        cultivar: their label.
        accuracy_train_stats: accuracy on the batch scaled with the training statistics.
        accuracy_batch_stats: accuracy on the batch scaled with its own statistics.
        test_accuracy: accuracy on the whole test part (training statistics).
    """

    n_batch: int
    cultivar: int
    accuracy_train_stats: float
    accuracy_batch_stats: float
    test_accuracy: float


def new_batch_demo(seed=0, cultivar=2, epochs=60, lr=0.1, batch_size=16):
    """Why the scaler must not be re-fitted on the data you predict on.

    A softmax-regression classifier (:class:`nnlesson.layers.Linear` trained with
    :func:`nnlesson.train.fit`, SGD) learns the three cultivars from standardized training
    wines. A batch of new wines, all of one cultivar (the test wines of ``cultivar``), is then
    scaled two ways: with the training mean and std (right), and with the batch's own (wrong:
    every batch is then centred on 0, so what set it apart is erased).
    """
    from nnlesson.layers import Linear
    from nnlesson.optim import SGD
    from nnlesson.train import evaluate, fit

    X_train, X_test, y_train, y_test = _wine_split(seed)
    scaler = StandardScaler().fit(X_train)
    model = Linear(X_train.shape[1], 3, rng=seed)
    fit(model, scaler.transform(X_train), y_train, optimizer=SGD(model.parameters(), lr=lr),
        epochs=epochs, batch_size=batch_size, rng=seed)
    batch = X_test[y_test == cultivar]
    labels = y_test[y_test == cultivar]
    _, acc_right = evaluate(model, scaler.transform(batch), labels)
    _, acc_wrong = evaluate(model, StandardScaler().fit_transform(batch), labels)
    _, acc_test = evaluate(model, scaler.transform(X_test), y_test)
    return NewBatchDemo(n_batch=len(batch), cultivar=cultivar, accuracy_train_stats=acc_right,
                        accuracy_batch_stats=acc_wrong, test_accuracy=acc_test)
