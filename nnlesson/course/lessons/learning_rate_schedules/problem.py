"""Lesson 07, the explorer's problem: mini-batch SGD on a two-weight linear regression.

Mini-batches make the gradient noisy, so a constant rate leaves the weights jittering around the
minimum at a distance that grows with the rate; a rate that decays lets them settle. The whole
loss surface fits in one contour plot. Training runs on the course's runner
(:func:`nnlesson.course.runner.run`, rule ``"gd"`` with ``schedule=`` and ``batch_grad=``), so
it returns the runner's :class:`~nnlesson.course.runner.OptimizerPath` and diverges by the
runner's one rule.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_int, check_number, check_rng
from nnlesson.course.runner import OptimizerPath, run
from nnlesson.schedules import ReduceLROnPlateau

__all__ = [
    "Problem",
    "make_problem",
    "train_with_schedule",
    "epoch_excess",
    "final_excess",
    "val_losses",
]


@dataclass(frozen=True, eq=False)
class Problem:
    """A two-weight linear regression ``y ~ X @ w`` trained with mini-batch SGD.

    The loss is the mean squared error of :func:`nnlesson.losses.mse_loss`. For a linear model
    its gradient on the rows ``b`` of one mini-batch is a small linear map of ``w``::

        L_b(w) = mean_b (X_b w - y_b)^2
        g_b(w) = (2 / B) X_b^T (X_b w - y_b) = A_b w - c_b,
        A_b = (2 / B) X_b^T X_b   (2, 2),        c_b = (2 / B) X_b^T y_b   (2,)

    so ``A`` and ``c`` are computed once for every mini-batch of every epoch (the shuffling is
    fixed by the random seed) and a training step costs one 2x2 product. The full training
    loss is ``L(w) = L(w*) + (w - w*)^T H (w - w*)`` with ``H = X^T X / n``.

    A Problem is an objective of the course's runner: ``value(w)`` is the training loss (also
    for a stack of points), ``default_start`` is ``start``, and :meth:`batch_grad` is the
    mini-batch gradient of update ``i`` (counting from 0 over all epochs).

    Attributes:
        X (n, 2), y (n,): training data; X_val, y_val: validation data.
        batch_size, epochs, steps_per_epoch: the training budget.
        order (epochs, steps_per_epoch, batch_size): the rows of each mini-batch.
        A (epochs, steps_per_epoch, 2, 2), c (epochs, steps_per_epoch, 2): the batch maps.
        w_star (2,): the least-squares solution; loss_star: L(w_star); H (2, 2).
        start (2,): where training starts.
    """

    X: np.ndarray
    y: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    batch_size: int
    epochs: int
    steps_per_epoch: int
    order: np.ndarray
    A: np.ndarray
    c: np.ndarray
    w_star: np.ndarray
    loss_star: float
    H: np.ndarray
    start: np.ndarray

    @property
    def total_steps(self):
        return self.epochs * self.steps_per_epoch

    @property
    def default_start(self):
        return self.start

    def loss(self, w):
        """Training MSE at ``w`` of shape (2,) or (..., 2) (returns a float or shape (...))."""
        w = np.asarray(w, dtype=np.float64)
        d = w - self.w_star
        out = self.loss_star + np.einsum("...i,ij,...j->...", d, self.H, d)
        return float(out) if out.ndim == 0 else out

    def value(self, w):
        """The training loss (the runner's objective), for one point or a stack of points."""
        return self.loss(w)

    def batch_grad(self, w, i):
        """The gradient on the mini-batch of update ``i`` (from 0): ``A_i w - c_i``."""
        e, k = divmod(i, self.steps_per_epoch)
        return self.A[e, k] @ w - self.c[e, k]

    def val_loss(self, w):
        """Validation MSE at ``w`` of shape (2,)."""
        r = self.X_val @ w - self.y_val
        return float(np.mean(r * r))


def make_problem(n_train=160, n_val=80, batch_size=8, epochs=20, scales=(1.0, 0.5), noise=0.5,
                 w_true=(1.0, -1.0), start=(-2.0, 2.5), seed=0):
    """The explorer's regression problem (see :class:`Problem`), fully determined by ``seed``.

    ``X[:, j] = scales[j] * N(0, 1)``, ``y = X @ w_true + noise * N(0, 1)``; the mini-batches
    of each epoch are a fresh permutation of the rows, cut into ``n_train // batch_size``
    batches (the remainder is dropped so every batch has the same size).
    """
    n_train = check_int("n_train", n_train, low=2)
    n_val = check_int("n_val", n_val, low=1)
    batch_size = check_int("batch_size", batch_size, low=1, high=n_train)
    epochs = check_int("epochs", epochs, low=1)
    noise = check_number("noise", noise, low=0)
    rng = check_rng(seed)
    scales = np.asarray(scales, dtype=np.float64)
    w_true = np.asarray(w_true, dtype=np.float64)
    X_all = rng.standard_normal((n_train + n_val, 2)) * scales
    y_all = X_all @ w_true + noise * rng.standard_normal(n_train + n_val)
    X, y, X_val, y_val = X_all[:n_train], y_all[:n_train], X_all[n_train:], y_all[n_train:]
    ipe = n_train // batch_size
    order = np.stack([rng.permutation(n_train)[: ipe * batch_size] for _ in range(epochs)])
    order = order.reshape(epochs, ipe, batch_size)
    Xb, yb = X[order], y[order]
    A = (2.0 / batch_size) * np.einsum("ekbi,ekbj->ekij", Xb, Xb)
    c = (2.0 / batch_size) * np.einsum("ekbi,ekb->eki", Xb, yb)
    w_star = np.linalg.solve(X.T @ X, X.T @ y)
    r = X @ w_star - y
    return Problem(X=X, y=y, X_val=X_val, y_val=y_val, batch_size=batch_size, epochs=epochs,
                   steps_per_epoch=ipe, order=order, A=A, c=c, w_star=w_star,
                   loss_star=float(np.mean(r * r)),
                   H=X.T @ X / n_train, start=np.asarray(start, dtype=np.float64))


def _check_problem(problem):
    if not isinstance(problem, Problem):
        raise TypeError(f"problem must be a Problem from make_problem(), got {problem!r}")
    return problem


def _plateau_run(problem, plateau):
    """One runner call per epoch at the plateau's current rate, stepped with the validation
    loss after each epoch (the one passed in is copied, not changed)."""
    plateau = copy.deepcopy(plateau)
    plateau.reset()
    ipe = problem.steps_per_epoch
    w = problem.start
    points, lrs, grads = [w[None, :]], [], []
    diverged_at = None
    for e in range(problem.epochs):
        part = run(problem, "gd", lr=plateau.lr, start=w, n_steps=ipe,
                   batch_grad=lambda w, i, e=e: problem.batch_grad(w, e * ipe + i))
        points.append(part.points[1:])
        lrs.append(part.lrs)
        grads.append(part.grads)
        if part.diverged:
            diverged_at = e * ipe + part.diverged_at
            break
        w = part.points[-1]
        plateau.step(problem.val_loss(w))
    points = np.concatenate(points)
    grads = np.concatenate(grads)
    return OptimizerPath(points=points, values=problem.loss(points), diverged_at=diverged_at,
                         lrs=np.concatenate(lrs), grads=grads, clipped_grads=grads,
                         grad_norms=np.sqrt(np.einsum("ij,ij->i", grads, grads)))


def train_with_schedule(problem, schedule):
    """Mini-batch SGD on ``problem`` with the learning rate of update ``t`` from ``schedule``.

    Each update is plain SGD, ``w = w - lr_t g_b(w)`` (rule ``"gd"`` of the course's runner,
    with the problem's mini-batch gradients). ``schedule`` is a number (a constant rate), a
    callable ``t -> lr`` (a schedule of :mod:`nnlesson.schedules`; its rates are computed and
    checked once), or a :class:`~nnlesson.schedules.ReduceLROnPlateau`, which is copied, reset
    and stepped once per epoch with the validation loss (the one passed in is not changed).
    The run stops where it diverges (the runner's rule: ``||w||_2 > 1e6`` or not finite).

    Returns:
        :class:`~nnlesson.course.runner.OptimizerPath`: ``points`` (the weights), ``values``
        (the training loss), ``lrs`` (the rate of each update), ``diverged_at``.
    """
    problem = _check_problem(problem)
    if isinstance(schedule, ReduceLROnPlateau):
        return _plateau_run(problem, schedule)
    common = dict(n_steps=problem.total_steps, batch_grad=problem.batch_grad)
    if isinstance(schedule, (int, float)) and not isinstance(schedule, bool):
        return run(problem, "gd", lr=schedule, **common)
    if not callable(schedule):
        raise TypeError(f"schedule must be a number (a constant rate), a callable t -> lr or "
                        f"a ReduceLROnPlateau, got {schedule!r}")
    return run(problem, "gd", schedule=schedule, **common)


def _padded(problem, path):
    """The path's points, NaN after a divergence: shape (total_steps + 1, 2)."""
    points = np.full((problem.total_steps + 1, 2), np.nan)
    points[:len(path.points)] = path.points
    return points


def epoch_excess(problem, path):
    """(epochs + 1,): the training loss above its minimum at the start, then its mean over
    each epoch's updates (NaN from a divergence on)."""
    excess = problem.loss(_padded(problem, path)) - problem.loss_star
    per_epoch = excess[1:].reshape(problem.epochs, -1).mean(axis=1)
    return np.concatenate([excess[:1], per_epoch])


def final_excess(problem, path):
    """The mean excess loss over the last epoch: the level training settled at (NaN if the run
    diverged)."""
    return float(epoch_excess(problem, path)[-1])


def val_losses(problem, path):
    """(epochs,): the validation loss after each epoch (NaN after a divergence)."""
    ends = _padded(problem, path)[problem.steps_per_epoch::problem.steps_per_epoch]
    return np.array([problem.val_loss(w) if np.all(np.isfinite(w)) else np.nan for w in ends])
