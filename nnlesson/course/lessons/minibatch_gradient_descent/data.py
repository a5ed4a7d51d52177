"""Lesson 03's data and batch arithmetic: the wine regression, batches per epoch, what an epoch
costs, and the unshuffled slicing loop.

A linear model predicts a wine's alcohol content from its twelve other measurements (UCI Wine,
standardized, a last column of ones for the bias). The file is sorted by cultivar, which is
what makes shuffling matter.
"""
from __future__ import annotations

import functools

import numpy as np

from nnlesson._validate import check_int
from nnlesson.data import iterations_per_epoch

__all__ = ["wine_regression", "batch_plan", "unshuffled_batches", "epoch_cost", "min_loss"]


@functools.lru_cache(maxsize=None)
def _wine_arrays():
    from nnlesson.datasets import load_wine
    from nnlesson.scaling import StandardScaler

    d = load_wine()
    k = d.feature_names.index("alcohol")
    X = StandardScaler().fit_transform(np.delete(d.X, k, axis=1))
    y = StandardScaler().fit_transform(d.X[:, [k]])[:, 0]
    Z = np.column_stack([X, np.ones(len(X))])  # the last weight is the bias
    for a in (Z, y, d.y):
        a.flags.writeable = False
    return Z, y, d.y


def wine_regression():
    """The lesson's data, in the order of the file (sorted by cultivar).

    Returns:
        ``(Z, y, cultivar)``: Z float64 (178, 13), the twelve wine measurements other than
        alcohol, standardized, and a last column of ones (for the bias); y float64 (178,), the
        alcohol content, standardized; cultivar int64 (178,) in {0, 1, 2}, 59 + 71 + 48 wines
        in that order. Fresh copies.
    """
    return tuple(a.copy() for a in _wine_arrays())


def batch_plan(n_samples, batch_size, drop_last=False):
    """The sizes of the batches of one epoch, e.g. ``batch_plan(178, 32) == [32] * 5 + [18]``.

    Args:
        n_samples: samples in the data set, an integer >= 1.
        batch_size: an integer >= 1.
        drop_last: leave out the last, smaller batch.

    Returns:
        list of int: their number is :func:`nnlesson.data.iterations_per_epoch`; they add up to
        ``n_samples`` (to ``n_samples - n_samples % batch_size`` with ``drop_last=True``).
    """
    ipe = iterations_per_epoch(n_samples, batch_size, drop_last=drop_last)
    full, rest = divmod(n_samples, batch_size)
    sizes = [batch_size] * min(full, ipe)
    if len(sizes) < ipe:
        sizes.append(rest)
    return sizes


def unshuffled_batches(data, batch_size):
    """The batches of the slicing loop a popular tutorial writes, exactly as written there::

        for i in range(0, len(data), batch_size):
            batch = data[i:i + batch_size]

    Args:
        data: anything that can be sliced (a list, an array).
        batch_size: an integer >= 1.

    Returns:
        The list of batches. It keeps the last, smaller batch (slicing past the end is
        allowed), but it never shuffles: every epoch sees the same batches in the same order.
    """
    batch_size = check_int("batch_size", batch_size, low=1)
    return [data[i:i + batch_size] for i in range(0, len(data), batch_size)]


def epoch_cost(n_samples, n_weights, batch_size):
    """What one epoch of mini-batch training of a linear model costs.

    Floating-point operations of one update on a batch of m rows and p weights: the
    prediction ``Z_b w`` (2 m p), the residual (m), the loss (2 m), the gradient
    ``(2 / m) Z_b^T r`` (2 m p + p) and the update ``w - lr g`` (2 p). Summed over an epoch:

    Equations::

        shared     = 4 n p + 3 n          (the same for every batch size)
        per_update = 3 p
        flops      = shared + updates * per_update

    (Wall time grows with the updates much faster than that: every update has a fixed cost, a
    turn of the Python loop or a kernel launch on a GPU, that flops do not count.)

    Args:
        n_samples: n, an integer >= 1. n_weights: p, an integer >= 1.
        batch_size: an integer >= 1.

    Returns:
        ``(updates, samples, flops)`` of one epoch.
    """
    n_samples = check_int("n_samples", n_samples, low=1)
    n_weights = check_int("n_weights", n_weights, low=1)
    updates = iterations_per_epoch(n_samples, batch_size)
    flops = 4 * n_samples * n_weights + 3 * n_samples + updates * 3 * n_weights
    return updates, n_samples, flops


def _sq_loss(Z, y, w):
    """The mean squared error ``1/m sum_i (z_i . w - y_i)^2`` of the rows of ``Z``."""
    r = Z @ w - y
    return float(r @ r) / len(y)


def min_loss():
    """The lowest loss the linear model can reach on the wine data (least squares)."""
    Z, y, _ = _wine_arrays()
    w = np.linalg.lstsq(Z, y, rcond=None)[0]
    return _sq_loss(Z, y, w)
