"""Mini-batches, train/validation splits and small synthetic data sets (lesson 03).

Vocabulary, as the course uses it:

- **batch size** ``b``: how many samples one gradient is averaged over;
- **iteration**: one update of the weights, computed on one batch;
- **epoch**: one pass over all ``n`` training samples, i.e. ``ceil(n / b)`` iterations when the
  last, smaller batch is kept, ``floor(n / b)`` when it is dropped (``drop_last=True``).

Batch gradient descent is ``b = n`` (one iteration per epoch), stochastic gradient descent is
``b = 1`` (``n`` iterations per epoch), mini-batch gradient descent is anything in between.

Every function that draws random numbers takes ``rng``: ``None`` (fresh randomness), an integer
seed, or a ``numpy.random.Generator``; the same seed gives the same result.
"""
from __future__ import annotations

import math

import numpy as np

from nnlesson._validate import check_array, check_bool, check_int, check_number, check_rng

__all__ = [
    "iterations_per_epoch",
    "minibatches",
    "train_val_split",
    "make_spirals",
    "make_ill_conditioned_regression",
]


def _check_xy(X, y):
    """Check that X has rows, holds only finite numbers, and that y (if given) has as many rows."""
    X = check_array("X", X, min_rows=1)
    if y is not None:
        y = check_array("y", y)
        if y.ndim == 0 or y.shape[0] != X.shape[0]:
            raise ValueError(
                f"X and y must have the same number of samples (rows), got X with shape "
                f"{X.shape} and y with shape {y.shape}"
            )
    return X, y


def _check_batch_size(batch_size, n_samples, drop_last):
    batch_size = check_int("batch_size", batch_size, low=1)
    if drop_last and batch_size > n_samples:
        # every batch would be partial, so nothing would be produced at all
        raise ValueError(
            f"batch_size must be <= the number of samples ({n_samples}) when drop_last=True, "
            f"got {batch_size}"
        )
    return batch_size


def iterations_per_epoch(n_samples, batch_size, drop_last=False):
    """Number of weight updates in one pass over ``n_samples`` samples.

    Formula: ``ceil(n_samples / batch_size)`` (the last, smaller batch is used), or
    ``floor(n_samples / batch_size)`` with ``drop_last=True`` (it is skipped).

    Example: 1000 samples, batch size 100 -> 10 iterations; batch size 300 -> 4 (the last
    batch has 100 samples), or 3 with ``drop_last=True``.
    """
    n_samples = check_int("n_samples", n_samples, low=1)
    drop_last = check_bool("drop_last", drop_last)
    batch_size = _check_batch_size(batch_size, n_samples, drop_last)
    if drop_last:
        return n_samples // batch_size
    return math.ceil(n_samples / batch_size)


def minibatches(X, y, batch_size, shuffle=True, rng=None, drop_last=False):
    """One epoch of mini-batches: yields ``(X_batch, y_batch)`` pairs.

    Each call is one epoch: every sample appears in exactly one batch (with ``drop_last=True``,
    the ``n % batch_size`` samples of the last partial batch are left out). With ``shuffle=True``
    the order is a fresh random permutation drawn from ``rng``; call ``minibatches`` again for
    the next epoch and it draws a new one. The number of batches is
    :func:`iterations_per_epoch`.

    Args:
        X: array (n_samples, ...), one sample per row (images of shape (n, 8, 8) work too).
        y: array (n_samples, ...) or None (then each ``y_batch`` is None).
        batch_size: int >= 1. A ``batch_size`` larger than ``n_samples`` gives one batch with
            all the samples (batch gradient descent), unless ``drop_last=True``, which is an
            error because no batch would be produced.
        shuffle: draw a random order (True) or keep the order of the rows (False).
        rng: None, an integer seed or a ``numpy.random.Generator``.
        drop_last: skip the last batch if it has fewer than ``batch_size`` samples.

    Returns:
        a generator of ``(X_batch, y_batch)``; ``X_batch`` has shape (b, ...) with b =
        ``batch_size`` except possibly the last one. The batches are copies.

    The arguments are checked when ``minibatches`` is called, not when the first batch is
    requested, so a mistake shows up on the line that made it.
    """
    X, y = _check_xy(X, y)
    n = X.shape[0]
    shuffle = check_bool("shuffle", shuffle)
    drop_last = check_bool("drop_last", drop_last)
    batch_size = _check_batch_size(batch_size, n, drop_last)
    rng = check_rng(rng)
    order = rng.permutation(n) if shuffle else np.arange(n)
    stop = (n // batch_size) * batch_size if drop_last else n
    return _batches(X, y, order, batch_size, stop)


def _batches(X, y, order, batch_size, stop):
    for start in range(0, stop, batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], (None if y is None else y[idx])


def _stratified_val_indices(y, n_val, rng):
    """Pick ``n_val`` rows so that each class has (about) its share ``n_val * n_c / n``.

    Each class gets ``floor`` of its exact share; the rows still missing go to the classes
    with the largest fractional parts (largest-remainder rounding), so the total is exact.
    """
    classes, y_idx, counts = np.unique(y, return_inverse=True, return_counts=True)
    if counts.min() < 2:
        raise ValueError(
            f"stratify=True needs at least 2 samples of every class in y, got a class "
            f"({classes[counts.argmin()]!r}) with {counts.min()}"
        )
    exact = n_val * counts / counts.sum()
    take = np.floor(exact).astype(int)
    by_remainder = np.argsort(-(exact - take), kind="stable")
    take[by_remainder[: n_val - take.sum()]] += 1
    take = np.minimum(take, counts - 1)  # leave every class at least one training sample
    picked = [rng.permutation(np.flatnonzero(y_idx == c))[:k] for c, k in enumerate(take)]
    return np.concatenate(picked)


def train_val_split(X, y, val_fraction=0.2, rng=None, stratify=False):
    """Split the rows of ``X`` (and ``y``) into a training part and a validation part.

    The validation part has ``ceil(val_fraction * n)`` rows (as scikit-learn's
    ``train_test_split``), chosen at random; both parts are in random order. With
    ``stratify=True`` (classification labels ``y``), each class is split in the same
    proportion, so the class balance of both parts matches that of ``y``.

    Args:
        X: array (n_samples, ...).
        y: array (n_samples, ...) or None.
        val_fraction: fraction of the rows for validation, in (0, 1).
        rng: None, an integer seed or a ``numpy.random.Generator``.
        stratify: keep the class proportions of ``y`` in both parts.

    Returns:
        ``(X_train, X_val, y_train, y_val)``, the same order as scikit-learn; the ``y`` parts
        are None when ``y`` is None.
    """
    X, y = _check_xy(X, y)
    val_fraction = check_number("val_fraction", val_fraction, low=0, high=1, low_open=True,
                                high_open=True)
    stratify = check_bool("stratify", stratify)
    rng = check_rng(rng)
    n = X.shape[0]
    n_val = math.ceil(val_fraction * n)
    if n_val >= n:
        raise ValueError(
            f"val_fraction must leave at least one training sample: with {n} samples, "
            f"val_fraction={val_fraction} puts all {n_val} in validation"
        )
    if stratify:
        if y is None:
            raise ValueError("y must be given (class labels) when stratify=True, got None")
        val_idx = rng.permutation(_stratified_val_indices(y, n_val, rng))
    else:
        val_idx = rng.permutation(n)[:n_val]
    is_val = np.zeros(n, dtype=bool)
    is_val[val_idx] = True
    train_idx = rng.permutation(np.flatnonzero(~is_val))
    if y is None:
        return X[train_idx], X[val_idx], None, None
    return X[train_idx], X[val_idx], y[train_idx], y[val_idx]


def make_spirals(n_per_class=100, n_classes=3, noise=0.2, rng=None):
    """Interleaved spiral arms, one per class: a small 2-D problem no straight line separates.

    For class ``k`` and ``r`` going evenly from 0 to 1 along the arm::

        theta = 2 pi k / n_classes + 4 r + noise * N(0, 1)
        x = (r cos(theta), r sin(theta))

    so every arm starts at the origin and turns by 4 radians; ``noise`` (in radians) blurs the
    arms into each other.

    Returns:
        ``(X, y)``: X float64 of shape (n_per_class * n_classes, 2), y int64 labels
        ``0 .. n_classes - 1`` of shape (n_per_class * n_classes,), grouped by class.
    """
    n_per_class = check_int("n_per_class", n_per_class, low=1)
    n_classes = check_int("n_classes", n_classes, low=2)
    noise = check_number("noise", noise, low=0)
    rng = check_rng(rng)
    r = np.linspace(0.0, 1.0, n_per_class)
    X = np.empty((n_per_class * n_classes, 2))
    y = np.repeat(np.arange(n_classes, dtype=np.int64), n_per_class)
    for k in range(n_classes):
        theta = 2 * np.pi * k / n_classes + 4.0 * r + noise * rng.standard_normal(n_per_class)
        rows = slice(k * n_per_class, (k + 1) * n_per_class)
        X[rows, 0] = r * np.cos(theta)
        X[rows, 1] = r * np.sin(theta)
    return X, y


def make_ill_conditioned_regression(n_samples, n_features=2, condition=100.0, noise=0.1,
                                    rng=None):
    """Linear regression data whose features have very different scales.

    Feature ``j`` is ``s_j * z_j`` with ``z_j ~ N(0, 1)`` and scales ``s_j`` spaced
    geometrically from 1 to ``condition`` (so ``condition`` is the ratio of the largest to the
    smallest feature scale). The target gives every *standardized* feature the same weight::

        y = sum_j z_j + noise * N(0, 1) = X @ w_true + noise * N(0, 1),   w_true_j = 1 / s_j

    For the mean squared error the curvature along weight ``j`` is about ``s_j**2``, so the loss
    surface is a ravine with condition number about ``condition**2``: a learning rate small
    enough for the steep direction crawls along the flat one. Standardizing the features
    (:class:`nnlesson.scaling.StandardScaler`) removes the problem.

    Returns:
        ``(X, y)``: X float64 (n_samples, n_features), y float64 (n_samples,).
    """
    n_samples = check_int("n_samples", n_samples, low=1)
    n_features = check_int("n_features", n_features, low=2)
    condition = check_number("condition", condition, low=1)
    noise = check_number("noise", noise, low=0)
    rng = check_rng(rng)
    scales = condition ** (np.arange(n_features) / (n_features - 1))
    Z = rng.standard_normal((n_samples, n_features))
    y = Z.sum(axis=1) + noise * rng.standard_normal(n_samples)
    return Z * scales, y
