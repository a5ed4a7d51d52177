"""Lesson 03's training runs: mini-batch gradient descent on the wine regression, and the table
that compares batch sizes.

Every run starts from zero weights and makes its updates with :func:`nnlesson.optim.gd_update`
on batches drawn by :func:`nnlesson.data.minibatches`. Two views of the same run: per update
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
from nnlesson.course.lessons.minibatch_gradient_descent.data import _sq_loss, _wine_arrays, batch_plan
from nnlesson.data import iterations_per_epoch, minibatches
from nnlesson.optim import gd_update

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

#: A run counts as diverged once the loss on all the data exceeds this.
DIVERGED = 1e6


# --------------------------------------------------------------------------- one run


@dataclass(frozen=True, eq=False)
class MinibatchRun:
    """One training run of :func:`train_minibatch`.

    Attributes:
        batch_size, lr, epochs, shuffle, n_samples: what was run.
        iterations_per_epoch: updates per epoch, ``ceil(n_samples / batch_size)``.
        batch_sizes: (T,) the size of the mini-batch of each update (T updates in all).
        batch_loss: (T,) the loss of that mini-batch, at the weights before the update.
        full_loss: (T + 1,) the loss on all the samples: at the start, then after each update.
        diverged_at: None, or the update (from 0) after which the loss on all the samples
            exceeded 1e6 or was not finite; the arrays stop there.
    """

    batch_size: int
    lr: float
    epochs: int
    shuffle: bool
    n_samples: int
    iterations_per_epoch: int
    batch_sizes: np.ndarray
    batch_loss: np.ndarray
    full_loss: np.ndarray
    diverged_at: int | None

    @property
    def diverged(self):
        return self.diverged_at is not None

    @property
    def updates(self):
        """Number of updates made."""
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


def train_minibatch(Z, y, batch_size, lr, epochs=EPOCHS, shuffle=True, seed=0):
    """Mini-batch gradient descent on linear least squares, starting from zero weights.

    The model is ``y_hat = Z w`` and the loss of a mini-batch of m rows ``Z_b, y_b`` is the
    average ``L_b(w) = 1/m sum (Z_b w - y_b)^2`` (as :func:`nnlesson.losses.mse_loss`);
    its gradient is ``g_b = (2 / m) Z_b^T (Z_b w - y_b)``. One epoch is::

        for Z_b, y_b in minibatches(Z, y, batch_size, shuffle=shuffle, rng=rng):
            w = gd_update(w, g_b(w), lr=lr)

    with a fresh order from ``rng = np.random.default_rng(seed)`` at every epoch (or the order
    of the rows every time with ``shuffle=False``); the last, smaller batch is kept.

    Args:
        Z: (n, p) inputs (include a column of ones for a bias). y: (n,) targets.
        batch_size: 1 .. anything (``>= n`` is batch gradient descent).
        lr: learning rate >= 0. epochs: >= 1. shuffle: True or False. seed: int.

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
    w = np.zeros(Z.shape[1])
    sizes, batch_loss, full_loss = [], [], [_sq_loss(Z, y, w)]
    diverged_at = None
    for _ in range(epochs):
        for Zb, yb in minibatches(Z, y, batch_size, shuffle=shuffle, rng=rng):
            m = len(yb)
            r = Zb @ w - yb
            batch_loss.append(float(r @ r) / m)
            w = gd_update(w, (2.0 / m) * (Zb.T @ r), lr=lr, inplace=True)
            sizes.append(m)
            full_loss.append(_sq_loss(Z, y, w))
            if not full_loss[-1] <= DIVERGED:  # also catches NaN
                diverged_at = len(batch_loss) - 1
                break
        if diverged_at is not None:
            break
    return MinibatchRun(batch_size=batch_size, lr=lr, epochs=epochs, shuffle=shuffle, n_samples=n,
                        iterations_per_epoch=iterations_per_epoch(n, batch_size),
                        batch_sizes=np.array(sizes, dtype=np.int64),
                        batch_loss=np.array(batch_loss), full_loss=np.array(full_loss),
                        diverged_at=diverged_at)


@functools.lru_cache(maxsize=512)
def _wine_run(batch_size, lr, shuffle, epochs, seed):
    Z, y, _ = _wine_arrays()
    return train_minibatch(Z, y, batch_size, lr, epochs=epochs, shuffle=shuffle, seed=seed)


def wine_run(batch_size, lr, shuffle=True, epochs=EPOCHS, seed=0):
    """:func:`train_minibatch` on :func:`wine_regression`, cached (runs are deterministic)."""
    return _wine_run(check_int("batch_size", batch_size, low=1), check_number("lr", lr, low=0),
                     check_bool("shuffle", shuffle), check_int("epochs", epochs, low=1),
                     check_int("seed", seed, low=0))


def min_loss():
    """The lowest loss the linear model can reach on the wine data (least squares)."""
    Z, y, _ = _wine_arrays()
    w = np.linalg.lstsq(Z, y, rcond=None)[0]
    return _sq_loss(Z, y, w)


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
