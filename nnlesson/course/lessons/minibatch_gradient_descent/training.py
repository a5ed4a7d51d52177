"""Lesson 03's training runs: mini-batch gradient descent on the wine regression, and the table
that compares batch sizes.

Every run starts from zero weights and is one call of the course's runner
(:func:`nnlesson.course.runner.run`: the library's gradient-descent rule, one divergence rule),
fed the gradients of batches drawn by :func:`nnlesson.data.minibatches`. Two views of the same run: per update
(the loss of the mini-batch each update was computed on, next to the loss on all the data at
the same weights: the gap is the noise small batches add) and per epoch (every epoch processes
the same samples whatever the batch size, but small batches make many more updates of them).
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_array, check_bool, check_int, check_number
from nnlesson.course.lessons.minibatch_gradient_descent.data import _wine_arrays, batch_plan
from nnlesson.course.runner import OptimizerPath, run
from nnlesson.data import iterations_per_epoch, minibatches

__all__ = [
    "EPOCHS",
    "MinibatchRun",
    "train_minibatch",
    "wine_run",
    "BatchSizeRow",
    "batch_size_table",
    "format_batch_size_table",
]

#: Epochs of every run of the experiment.
EPOCHS = 10


# --------------------------------------------------------------------------- one run


@dataclass(frozen=True, eq=False)
class MinibatchRun:
    """One training run of :func:`train_minibatch`: the runner's path and the batches it used.

    Attributes:
        batch_size, lr, epochs, shuffle, n_samples: what was run.
        iterations_per_epoch: updates per epoch, ``ceil(n_samples / batch_size)``.
        path: the :class:`~nnlesson.course.runner.OptimizerPath` of the weights (13 of them):
            ``path.values`` is the loss on all the samples at the start and after each kept
            update; ``path.diverged_at`` follows the runner's one divergence rule.
        batch_sizes: (T,) the size of the mini-batch of each update made (T updates).
        batch_loss: (T,) the loss of that mini-batch, at the weights before the update.
    """

    batch_size: int
    lr: float
    epochs: int
    shuffle: bool
    n_samples: int
    iterations_per_epoch: int
    path: OptimizerPath
    batch_sizes: np.ndarray
    batch_loss: np.ndarray

    @property
    def full_loss(self):
        """The loss on all the samples: at the start, then after each kept update."""
        return self.path.values

    @property
    def diverged_at(self):
        """None, or the update (from 1) whose weights left the runner's ball (or were not
        finite); the run stopped there."""
        return self.path.diverged_at

    @property
    def diverged(self):
        return self.path.diverged

    @property
    def updates(self):
        """Number of updates made (the diverging one included)."""
        return len(self.batch_loss)

    @property
    def samples_processed(self):
        """How many samples the gradients were computed on, in all (``epochs * n`` if complete)."""
        return int(self.batch_sizes.sum())

    @property
    def epoch_loss(self):
        """(epochs + 1,): the loss on all the samples at the start and after each epoch (NaN
        for epochs not completed)."""
        out = np.full(self.epochs + 1, np.nan)
        ends = np.arange(self.epochs + 1) * self.iterations_per_epoch
        done = ends < len(self.full_loss)
        out[done] = self.full_loss[ends[done]]
        return out

    @property
    def final_loss(self):
        """The loss on all the samples after the last epoch (NaN if the run diverged)."""
        return float(self.epoch_loss[-1])

    @property
    def noise(self):
        """How far the mini-batch loss strays from the loss on all the samples, relative to it:
        ``sqrt(mean(((batch_loss - full_loss) / full_loss)^2))`` over the updates, both at the
        same weights. 0 for batch gradient descent."""
        full = self.full_loss[: self.updates]
        return float(np.sqrt(np.mean(((self.batch_loss - full) / full) ** 2)))


class _LeastSquares:
    """The objective the runner measures: the mean squared error on all the rows,
    ``L(w) = 1/n ||Z w - y||^2`` (``value`` also takes a stack of weights)."""

    def __init__(self, Z, y):
        self.Z, self.y = Z, y

    def value(self, w):
        r = np.asarray(w) @ self.Z.T - self.y
        return np.mean(r * r, axis=-1)

    def grad(self, w):
        return (2.0 / len(self.y)) * (self.Z.T @ (self.Z @ w - self.y))


def train_minibatch(Z, y, batch_size, lr, epochs=EPOCHS, shuffle=True, seed=0):
    """Mini-batch gradient descent on linear least squares, starting from zero weights.

    The model is ``y_hat = Z w`` and the loss of a mini-batch of m rows ``Z_b, y_b`` is the
    average (as :func:`nnlesson.losses.mse_loss`); every update is the library's plain
    gradient-descent rule, run by :func:`nnlesson.course.runner.run` with the mini-batch's
    gradient. One epoch draws its batches from :func:`nnlesson.data.minibatches` with
    ``rng = np.random.default_rng(seed)`` (a fresh order at every epoch, or the order of the
    rows every time with ``shuffle=False``); the last, smaller batch is kept.

    Equations::

        L_b(w) = 1/m sum (Z_b w - y_b)^2
        g_b    = (2 / m) Z_b^T (Z_b w - y_b)
        w      = w - lr g_b

    Args:
        Z: (n, p) inputs (include a column of ones for a bias). y: (n,) targets.
        batch_size: 1 .. anything (``>= n`` is batch gradient descent).
        lr: learning rate >= 0. epochs: >= 1. shuffle: True or False. seed: int >= 0.

    Returns:
        :class:`MinibatchRun`.
    """
    Z = check_array("Z", Z, ndim=2, dtype=np.float64, min_rows=1)
    y = check_array("y", y, ndim=1, dtype=np.float64)
    if y.shape[0] != Z.shape[0]:
        raise ValueError(f"Z and y must have the same number of rows, got {Z.shape} and {y.shape}")
    batch_size = check_int("batch_size", batch_size, low=1)
    lr = check_number("lr", lr, low=0)
    epochs = check_int("epochs", epochs, low=1)
    shuffle = check_bool("shuffle", shuffle)
    seed = check_int("seed", seed, low=0)
    rng = np.random.default_rng(seed)
    n = Z.shape[0]
    rows = np.arange(n)
    batches = [idx for _ in range(epochs)
               for idx, _ in minibatches(rows, None, batch_size, shuffle=shuffle, rng=rng)]
    parts = [(Z[idx], y[idx], 2.0 / len(idx)) for idx in batches]

    def batch_grad(w, i):
        Zb, yb, scale = parts[i]
        return scale * (Zb.T @ (Zb @ w - yb))

    path = run(_LeastSquares(Z, y), "gd", lr=lr, n_steps=len(batches), start=np.zeros(Z.shape[1]),
               batch_grad=batch_grad)
    made = path.n_updates
    batch_loss = np.array([float(np.mean((Zb @ w - yb) ** 2))
                           for (Zb, yb, _), w in zip(parts[:made], path.points)])
    return MinibatchRun(batch_size=batch_size, lr=lr, epochs=epochs, shuffle=shuffle, n_samples=n,
                        iterations_per_epoch=iterations_per_epoch(n, batch_size), path=path,
                        batch_sizes=np.array([len(b) for b in batches[:made]], dtype=np.int64),
                        batch_loss=batch_loss)


@functools.lru_cache(maxsize=512)
def _wine_run(batch_size, lr, shuffle, epochs, seed):
    Z, y, _ = _wine_arrays()
    return train_minibatch(Z, y, batch_size, lr, epochs=epochs, shuffle=shuffle, seed=seed)


def wine_run(batch_size, lr, shuffle=True, epochs=EPOCHS, seed=0):
    """:func:`train_minibatch` on :func:`wine_regression`, cached (runs are deterministic)."""
    return _wine_run(check_int("batch_size", batch_size, low=1), check_number("lr", lr, low=0),
                     check_bool("shuffle", shuffle), check_int("epochs", epochs, low=1),
                     check_int("seed", seed, low=0))


# --------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class BatchSizeRow:
    """One row of :func:`batch_size_table`."""

    batch_size: int
    iterations_per_epoch: int
    last_batch: int
    updates: int
    samples_processed: int
    noise: float
    final_loss: float


def batch_size_table(batch_sizes=(1, 4, 16, 64, 178), lr=0.01, shuffle=True, epochs=EPOCHS,
                     seed=0):
    """For each batch size: updates per epoch, the size of the last batch, updates and samples
    in all, the noise of the mini-batch loss and the loss after ``epochs`` epochs."""
    rows = []
    for b in batch_sizes:
        run = wine_run(b, lr, shuffle, epochs, seed)
        plan = batch_plan(run.n_samples, b)
        rows.append(BatchSizeRow(batch_size=b, iterations_per_epoch=run.iterations_per_epoch,
                                 last_batch=plan[-1], updates=run.updates,
                                 samples_processed=run.samples_processed, noise=run.noise,
                                 final_loss=run.final_loss))
    return rows


def format_batch_size_table(rows):
    """The rows of :func:`batch_size_table` as aligned text (numbers rounded for printing)."""
    lines = [f"{'batch size':>10}{'updates/epoch':>15}{'last batch':>12}{'updates':>9}"
             f"{'samples':>9}{'noise':>8}{'loss after':>12}"]
    for r in rows:
        loss = "diverged" if not math.isfinite(r.final_loss) else f"{r.final_loss:.3f}"
        lines.append(f"{r.batch_size:>10d}{r.iterations_per_epoch:>15d}{r.last_batch:>12d}"
                     f"{r.updates:>9,d}{r.samples_processed:>9,d}{r.noise:>8.2f}{loss:>12}")
    return "\n".join(lines)
