"""Lesson 10: training with and without batch norm, for a grid of batch sizes and learning rates.

The same network, ``mlp([64, 64, 64, 10])``, trained on the digits with and without
:class:`~nnlesson.norm.BatchNorm` for 50 updates of plain SGD (all runs computed once, then the
explorer's sliders only pick): :func:`train_run`, :func:`batchnorm_training_grid`,
:func:`batchnorm_grid_table`.
"""
from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_bool, check_int, check_number, check_rng
from nnlesson.datasets import load_digits_split
from nnlesson.optim import SGD
from nnlesson.train import evaluate, fit, mlp

__all__ = ["BN_BATCH_SIZES", "BN_LRS", "HIDDEN", "TrainRun", "model", "train_run",
           "batchnorm_training_grid", "batchnorm_grid_table"]

#: Batch sizes and learning rates of the training experiment (the sliders' values: 1-3 per
#: decade from 0.01 to 3).
BN_BATCH_SIZES = (2, 8, 32, 64)
BN_LRS = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)

#: Hidden layer widths of the network of the training experiments.
HIDDEN = (64, 64)


@dataclass(frozen=True, eq=False)
class TrainRun:
    """One training run (see :func:`train_run`).

    Attributes:
        loss (updates,): the mini-batch loss of each update (NaN after a divergence).
        val_acc: validation accuracy at the end, in evaluation mode (NaN if diverged).
        diverged: True if the loss or a gradient became NaN/inf.
    """

    loss: np.ndarray
    val_acc: float
    diverged: bool


def model(batch_norm, seed, hidden=HIDDEN):
    """``mlp([64, *hidden, 10], batch_norm=...)`` with the weights of random seed ``seed``."""
    return mlp([64, *hidden, 10], batch_norm=batch_norm, rng=seed)


def train_run(batch_norm, lr, batch_size, *, updates=50, seed=0):
    """Train ``mlp([64, 64, 64, 10], batch_norm=...)`` on the digits for a fixed number of updates.

    Plain SGD (``nnlesson.optim.SGD(lr)``, no momentum) through :func:`nnlesson.train.fit`, on
    ``updates`` mini-batches of ``batch_size`` rows taken epoch after epoch from fresh
    permutations of the 1257 training digits (so every run takes the same number of steps,
    whatever its batch size). With ``batch_norm=True`` every hidden ``Linear`` is followed by a
    ``BatchNorm`` (PyTorch's defaults: momentum 0.1, eps 1e-5) and has no bias.

    Returns:
        :class:`TrainRun`; the validation accuracy is measured in evaluation mode (running
        statistics), as a deployed network would be.
    """
    batch_norm = check_bool("batch_norm", batch_norm)
    lr = check_number("lr", lr, low=0, low_open=True)
    batch_size = check_int("batch_size", batch_size, low=2)
    updates = check_int("updates", updates, low=1)
    seed = check_int("seed", seed, low=0)
    return _train_run(batch_norm, float(lr), batch_size, updates, seed)


@functools.lru_cache(maxsize=None)
def _train_run(batch_norm, lr, batch_size, updates, seed):
    X, X_val, y, y_val = load_digits_split()
    rng = check_rng(seed)
    need = updates * batch_size
    order = np.concatenate([rng.permutation(len(X)) for _ in range(need // len(X) + 1)])[:need]
    net = model(batch_norm, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a diverged run is part of the measurement
        history = fit(net, X[order], y[order], optimizer=SGD(net.parameters(), lr=lr),
                      epochs=1, batch_size=batch_size, shuffle=False)
    loss = np.full(updates, np.nan)
    if history.diverged:
        loss[:history.diverged_at] = history.loss[:history.diverged_at]
    else:
        loss[:] = history.loss
    loss.flags.writeable = False
    val_acc = math.nan if history.diverged else float(evaluate(net, X_val, y_val)[1])
    return TrainRun(loss=loss, val_acc=val_acc, diverged=history.diverged)


def batchnorm_training_grid(batch_sizes=BN_BATCH_SIZES, lrs=BN_LRS, updates=50):
    """Every :func:`train_run` of the grid, with and without batch norm.

    Returns ``{(batch_norm, batch_size, lr): TrainRun}``; the runs are cached, so the widget,
    the snapshot and the tables share them. Cost: ``2 * len(batch_sizes) * len(lrs)`` runs of
    ``updates`` updates.
    """
    return {(bn, int(bs), float(lr)): train_run(bn, lr, bs, updates=updates)
            for bn in (False, True) for bs in batch_sizes for lr in lrs}


def batchnorm_grid_table(grid, batch_sizes=BN_BATCH_SIZES):
    """Validation accuracy of the grid as text: a row per batch size and with/without batch
    norm, a column per learning rate ("div." where the run diverged)."""
    lrs = sorted({lr for (_, _, lr) in grid})
    lines = ["learning rate           " + "".join(f"{lr:>7g}" for lr in lrs)]
    for bs in batch_sizes:
        for bn in (False, True):
            runs = [grid[(bn, int(bs), lr)] for lr in lrs]
            cells = "".join(f"{'div.':>7}" if r.diverged else f"{r.val_acc:>7.2f}" for r in runs)
            lines.append(f"batch {bs:>2}, {'with BN   ' if bn else 'without BN'}{cells}")
    return "\n".join(lines)
