"""Lesson 02, feature scaling: the scalers and the exact analysis of gradient descent.

**Scale vs no scale on real data.** UCI Wine measures proline in the hundreds (278 to 1680) and
hue around 1 (0.48 to 1.71). A linear model that predicts a wine's alcohol content from such
features is fitted by gradient descent on the mean squared error, for each way of scaling the
features (none, min-max, standardize, mean-norm).

The loss of a linear model is a quadratic function of the weights, so everything about gradient
descent on it can be computed exactly (:class:`LeastSquares`): the curvature matrix ``H``, its
eigenvalues, the largest stable learning rate ``2 / lambda_max``, the best constant learning
rate ``2 / (lambda_min + lambda_max)`` and the exact number of steps to converge, even when that
number is in the millions. The descent path itself is run by the course's one loop,
:func:`nnlesson.course.runner.run`.

Pieces: :data:`SCALERS`, :func:`make_scaler`, :func:`scale_split`, :class:`LeastSquares`,
:func:`least_squares`, :func:`wine_problem`, :func:`scaler_table`, :func:`format_steps`,
:func:`format_scaler_table`.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_array, check_choice, check_int, check_number
from nnlesson.course.runner import run
from nnlesson.scaling import MeanNormalizer, MinMaxScaler, StandardScaler

__all__ = [
    "SCALERS",
    "SCALER_LABELS",
    "TOL",
    "make_scaler",
    "scale_split",
    "LeastSquares",
    "least_squares",
    "wine_problem",
    "ScalerRow",
    "scaler_table",
    "format_steps",
    "format_scaler_table",
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
