"""Feature scaling (lesson 02): min-max scaling, standardization, mean normalization.

When one feature is measured in thousands and another in tenths, the loss surface is a long,
narrow valley: one learning rate is too big for one direction and too small for the other.
Scaling puts every feature (column of ``X``, shape ``(n_samples, n_features)``) on a similar
range. Three scalers, each with the formula written once as a pure function:

==================  ==================================================  ====================
class               formula (per column)                                function
==================  ==================================================  ====================
``MinMaxScaler``    x' = low + (x - min) * (high - low) / (max - min)   :func:`min_max_scale`
``StandardScaler``  x' = (x - mean) / std                               :func:`standardize`
``MeanNormalizer``  x' = (x - mean) / (max - min)                       :func:`mean_normalize`
==================  ==================================================  ====================

The classes follow scikit-learn: ``fit(X)`` learns the statistics of the columns and returns
the scaler; learned attributes end in ``_``; ``transform(X)`` applies them; calling
``transform`` before ``fit`` is an error; ``inverse_transform`` undoes the scaling.

**Fit on the training set only.** The statistics are part of the model: learn them from the
training data, then apply the *same* numbers to the validation and test data::

    scaler = StandardScaler().fit(X_train)
    X_train_s = scaler.transform(X_train)
    X_val_s = scaler.transform(X_val)  # uses the training mean and std, not the validation's

Fitting on all the data before splitting leaks information about the validation set into
training; fitting separately on each split scales the same raw value to different numbers.

**Constant columns.** A column whose values are all equal (max == min) has no spread to divide
by. Its scale is set to 1, as scikit-learn does, so nothing is divided by zero: the column is
shifted (to ``low`` for min-max, to about 0 for the other two) but not stretched.

All statistics and outputs are float64.
"""
from __future__ import annotations

import numbers

import numpy as np

from nnlesson._validate import check_array

__all__ = [
    "NotFittedError",
    "min_max_scale",
    "min_max_unscale",
    "standardize",
    "unstandardize",
    "mean_normalize",
    "mean_unnormalize",
    "MinMaxScaler",
    "StandardScaler",
    "MeanNormalizer",
]


class NotFittedError(RuntimeError):
    """Raised when ``transform`` or ``inverse_transform`` is called before ``fit``."""


# ---------------------------------------------------------------------------------------------
# The formulas, written once. The classes, the lesson and the exercise checks all call these.
# ---------------------------------------------------------------------------------------------

def _nonzero(scale):
    """``scale`` with every exact zero replaced by 1, so dividing by it is always safe."""
    scale = np.asarray(scale, dtype=np.float64)
    return np.where(scale == 0.0, 1.0, scale)


def _check_feature_range(feature_range):
    """Return ``(low, high)`` as floats; raise unless they are finite numbers with low < high."""
    want = "a pair (low, high) of finite numbers with low < high"
    if not isinstance(feature_range, (tuple, list)) or len(feature_range) != 2:
        raise ValueError(f"feature_range must be {want}, got {feature_range!r}")
    low, high = feature_range
    for v in (low, high):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not np.isfinite(v):
            raise ValueError(f"feature_range must be {want}, got {feature_range!r}")
    if not low < high:
        raise ValueError(f"feature_range must be {want}, got {feature_range!r}")
    return float(low), float(high)


def _as_row(name, value, n_features):
    """Check a per-column statistic: a finite 1-D array with one entry per column."""
    arr = check_array(name, value, ndim=1, dtype=np.float64)
    if arr.shape[0] != n_features:
        raise ValueError(
            f"{name} must have one entry per column of X ({n_features}), got shape {arr.shape}"
        )
    return arr


def _as_matrix(name, X):
    return check_array(name, X, ndim=2, dtype=np.float64)


def min_max_scale(X, data_min, data_max, feature_range=(0.0, 1.0)):
    """Min-max scaling of each column into ``feature_range = (low, high)``.

    Formula, per column j::

        X'[:, j] = low + (X[:, j] - data_min[j]) * (high - low) / (data_max[j] - data_min[j])

    A column with ``data_max[j] == data_min[j]`` is divided by 1 instead of 0.

    Args:
        X: array (n_samples, n_features).
        data_min, data_max: arrays (n_features,), the column minima and maxima of the
            *training* data.
        feature_range: (low, high) with low < high; (0, 1) by default.

    Returns:
        new float64 array (n_samples, n_features); the inputs are not changed.
    """
    X = _as_matrix("X", X)
    data_min = _as_row("data_min", data_min, X.shape[1])
    data_max = _as_row("data_max", data_max, X.shape[1])
    low, high = _check_feature_range(feature_range)
    data_range = _nonzero(data_max - data_min)
    return low + (X - data_min) * (high - low) / data_range


def min_max_unscale(X_scaled, data_min, data_max, feature_range=(0.0, 1.0)):
    """Undo :func:`min_max_scale`.

    ``X = data_min + (X' - low) * (data_max - data_min) / (high - low)``.

    Shapes as in :func:`min_max_scale`. For a constant column the range is taken as 1, so the
    round trip returns the original values.
    """
    X_scaled = _as_matrix("X_scaled", X_scaled)
    data_min = _as_row("data_min", data_min, X_scaled.shape[1])
    data_max = _as_row("data_max", data_max, X_scaled.shape[1])
    low, high = _check_feature_range(feature_range)
    data_range = _nonzero(data_max - data_min)
    return data_min + (X_scaled - low) * data_range / (high - low)


def standardize(X, mean, std):
    """Standardization (z-score) of each column: ``X' = (X - mean) / std``.

    ``std`` is the population standard deviation of the training column (``ddof=0``,
    as scikit-learn's ``StandardScaler``): ``std = sqrt(mean((X - mean)**2))``. Where
    ``std == 0`` the column is divided by 1 instead.

    Args:
        X: array (n_samples, n_features).
        mean, std: arrays (n_features,) learned on the training data.

    Returns:
        new float64 array (n_samples, n_features) with, on the training data, column means 0
        and standard deviations 1.
    """
    X = _as_matrix("X", X)
    mean = _as_row("mean", mean, X.shape[1])
    std = _as_row("std", std, X.shape[1])
    return (X - mean) / _nonzero(std)


def unstandardize(X_scaled, mean, std):
    """Undo :func:`standardize`: ``X = X' * std + mean`` (a zero ``std`` counts as 1)."""
    X_scaled = _as_matrix("X_scaled", X_scaled)
    mean = _as_row("mean", mean, X_scaled.shape[1])
    std = _as_row("std", std, X_scaled.shape[1])
    return X_scaled * _nonzero(std) + mean


def mean_normalize(X, mean, data_min, data_max):
    """Mean normalization of each column: ``X' = (X - mean) / (data_max - data_min)``.

    The values end up centred on 0, inside [-1, 1] on the training data (lesson 02's "mean
    normalization"). A constant column is divided by 1 instead of 0, so its training values
    become ``X - mean``, which is 0 up to rounding.

    Args:
        X: array (n_samples, n_features).
        mean, data_min, data_max: arrays (n_features,) learned on the training data.

    Returns:
        new float64 array (n_samples, n_features).
    """
    X = _as_matrix("X", X)
    mean = _as_row("mean", mean, X.shape[1])
    data_min = _as_row("data_min", data_min, X.shape[1])
    data_max = _as_row("data_max", data_max, X.shape[1])
    return (X - mean) / _nonzero(data_max - data_min)


def mean_unnormalize(X_scaled, mean, data_min, data_max):
    """Undo :func:`mean_normalize`: ``X = X' * (data_max - data_min) + mean``."""
    X_scaled = _as_matrix("X_scaled", X_scaled)
    mean = _as_row("mean", mean, X_scaled.shape[1])
    data_min = _as_row("data_min", data_min, X_scaled.shape[1])
    data_max = _as_row("data_max", data_max, X_scaled.shape[1])
    return X_scaled * _nonzero(data_max - data_min) + mean


# ---------------------------------------------------------------------------------------------
# The scikit-learn style classes.
# ---------------------------------------------------------------------------------------------

def _column_means(X):
    """Column means of ``X``; a constant column's mean is its value exactly.

    Summing n copies of 0.1 and dividing by n can give 0.10000000000000002, which would leave
    a residue of about 1e-17 instead of 0 after centring.
    """
    constant = X.max(axis=0) == X.min(axis=0)
    return np.where(constant, X[0], X.mean(axis=0))


class _Scaler:
    """Shared plumbing: input checks, the fitted check, fit_transform.

    Subclasses implement ``_fit(X)`` (set the learned attributes), ``_transform(X)`` and
    ``_inverse(X)``.
    """

    n_features_in_: int

    def fit(self, X):
        """Learn the column statistics of ``X`` (n_samples, n_features); returns ``self``."""
        X = check_array("X", X, ndim=2, dtype=np.float64, min_rows=1)
        self._fit(X)
        self.n_features_in_ = X.shape[1]
        self.n_samples_seen_ = X.shape[0]
        return self

    def transform(self, X):
        """Scale ``X`` (n_samples, n_features) with the statistics learned by ``fit``."""
        return self._transform(self._check_input("X", X))

    def fit_transform(self, X):
        """``fit(X)`` then ``transform(X)``, for the training data."""
        return self.fit(X).transform(X)

    def inverse_transform(self, X_scaled):
        """Map scaled values back to the original units."""
        return self._inverse(self._check_input("X_scaled", X_scaled))

    def _check_input(self, name, X):
        if not hasattr(self, "n_features_in_"):
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet: call fit(X_train) first"
            )
        X = check_array(name, X, ndim=2, dtype=np.float64)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"{name} must have {self.n_features_in_} feature column(s), as the data passed "
                f"to fit, got shape {X.shape}"
            )
        return X

    def __repr__(self):
        return f"{type(self).__name__}()"


class MinMaxScaler(_Scaler):
    """Scale each column into ``feature_range = (low, high)``, (0, 1) by default.

    ``x' = low + (x - data_min_) * (high - low) / data_range_`` (see :func:`min_max_scale`).
    Values outside the training range land outside ``(low, high)``; they are not clipped.

    Learned attributes (arrays of shape (n_features,) unless said otherwise):
        data_min_, data_max_: column minima and maxima of the training data.
        data_range_: ``data_max_ - data_min_`` (0 for a constant column).
        scale_: ``(high - low) / data_range_``, with a zero range counted as 1.
        min_: ``low - data_min_ * scale_``, so that ``x' = x * scale_ + min_`` (scikit-learn's
            form of the same formula).
        n_features_in_, n_samples_seen_: ints.
    """

    def __init__(self, feature_range=(0.0, 1.0)):
        self.feature_range = _check_feature_range(feature_range)

    def _fit(self, X):
        low, high = self.feature_range
        self.data_min_ = X.min(axis=0)
        self.data_max_ = X.max(axis=0)
        self.data_range_ = self.data_max_ - self.data_min_
        self.scale_ = (high - low) / _nonzero(self.data_range_)
        self.min_ = low - self.data_min_ * self.scale_

    def _transform(self, X):
        return min_max_scale(X, self.data_min_, self.data_max_, self.feature_range)

    def _inverse(self, X):
        return min_max_unscale(X, self.data_min_, self.data_max_, self.feature_range)

    def __repr__(self):
        return f"MinMaxScaler(feature_range={self.feature_range})"


class StandardScaler(_Scaler):
    """Standardize each column to mean 0 and standard deviation 1 (z-score).

    ``x' = (x - mean_) / scale_`` (see :func:`standardize`). The standard deviation is the
    population one, ``ddof=0``, as in scikit-learn: ``var_ = mean((x - mean_)**2)``.

    Learned attributes (arrays of shape (n_features,)):
        mean_: column means of the training data.
        var_: column variances (ddof=0).
        scale_: ``sqrt(var_)``, set to 1 for a constant column (all values equal), where
            rounding in the mean could otherwise leave a tiny non-zero std to divide by.
        n_features_in_, n_samples_seen_: ints.
    """

    def _fit(self, X):
        self.mean_ = _column_means(X)
        self.var_ = ((X - self.mean_) ** 2).mean(axis=0)
        constant = X.max(axis=0) == X.min(axis=0)
        self.scale_ = np.where(constant, 1.0, np.sqrt(self.var_))

    def _transform(self, X):
        return standardize(X, self.mean_, self.scale_)

    def _inverse(self, X):
        return unstandardize(X, self.mean_, self.scale_)


class MeanNormalizer(_Scaler):
    """Mean normalization: ``x' = (x - mean_) / (data_max_ - data_min_)``.

    Centres each column on 0 and divides by its range, so the training values lie in [-1, 1]
    (see :func:`mean_normalize`). A constant column is divided by 1: its training values map
    to 0.

    Learned attributes (arrays of shape (n_features,)):
        mean_, data_min_, data_max_: column means, minima and maxima of the training data.
        data_range_: ``data_max_ - data_min_`` (0 for a constant column).
        n_features_in_, n_samples_seen_: ints.
    """

    def _fit(self, X):
        self.mean_ = _column_means(X)
        self.data_min_ = X.min(axis=0)
        self.data_max_ = X.max(axis=0)
        self.data_range_ = self.data_max_ - self.data_min_

    def _transform(self, X):
        return mean_normalize(X, self.mean_, self.data_min_, self.data_max_)

    def _inverse(self, X):
        return mean_unnormalize(X, self.mean_, self.data_min_, self.data_max_)
