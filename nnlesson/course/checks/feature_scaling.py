"""Checks for lesson 02, feature scaling: min-max scaling, standardization, mean normalization.

Each exercise is one function ``f(X_train, X, ...)``: learn the column statistics on
``X_train`` (n_samples, n_features), then apply them to ``X`` (any number of rows), as a
scaler's ``fit(X_train).transform(X)`` does. The references are the classes of
:mod:`nnlesson.scaling` (tested against scikit-learn): statistics per column (``axis=0``), the
population standard deviation (``ddof=0``), and a zero range or standard deviation (a constant
column) counted as 1.

Every training set in the cases has as many rows as columns and every ``X`` has as many rows
as ``X_train`` or one row, so that statistics taken over the wrong axis still run (they
broadcast) and can be recognised, instead of stopping at a shape error.
"""
from __future__ import annotations

import numpy as np

from nnlesson.course.checks._core import Case, Mistake, run_check
from nnlesson.scaling import MeanNormalizer, MinMaxScaler, StandardScaler

__all__ = ["check_min_max_scaling", "check_standardization", "check_mean_normalization"]


def _data(seed):
    """A 4 x 4 training set whose columns differ in scale by orders of magnitude, and four new
    samples drawn a little wider (some fall outside the training range)."""
    rng = np.random.default_rng(seed)
    scale = np.array([0.5, 3.0, 40.0, 700.0])
    offset = np.array([13.0, 2.0, 100.0, 750.0])
    X_train = offset + scale * rng.standard_normal((4, 4))
    X_new = offset + 1.5 * scale * rng.standard_normal((4, 4))
    return X_train, X_new


def _with_constant(seed):
    """Like :func:`_data`, with column 1 constant (2.5) in the training set; the new samples
    have other values there too."""
    X_train, X_new = _data(seed)
    X_train[:, 1] = 2.5
    X_new[:, 1] = [2.5, 3.0, 2.0, 2.5]
    return X_train, X_new


def _cases(extra=()):
    X_train, X_new = _data(20)
    C_train, C_new = _with_constant(21)
    return [
        Case("new samples scaled with the training statistics", (X_train, X_new)),
        Case("the training set itself", (X_train, X_train)),
        Case("a single new sample (one row)", (X_train, X_new[2:3])),
        Case("a constant feature (column 1) in the training set", (C_train, C_new)),
        *extra,
    ]


# --------------------------------------------------------------------------- shared mistakes


def _fit_mistakes(make_wrong, what):
    """Mistakes about where the statistics come from, for any scaler.

    ``make_wrong(source)`` builds a wrong implementation whose statistics are taken from
    ``source``: ``"X"`` (the data being scaled) or ``"both"`` (training and new data).
    """
    return [
        Mistake(
            "fitted on the data being scaled (the test set)",
            f"Your {what} come from X, the data you are scaling, not from X_train. Learn them "
            "on the training set only and apply the same numbers to every other set: fitted "
            "on the test data, the same raw value is turned into a different number, and a "
            "single new sample cannot be scaled at all.",
            make_wrong("X")),
        Mistake(
            "fitted on training and test data together",
            f"Your {what} were computed on X_train and X stacked together. That leaks the "
            "test data into training: its extremes and mean shape how the training data are "
            "scaled. Compute them on X_train alone.",
            make_wrong("both")),
    ]


def _axis_mistakes(wrong_axis_none, wrong_axis_rows, wrong_axis_rows_keepdims, what):
    return [
        Mistake(
            "statistics of the whole array",
            f"You computed the {what} of the whole array (no axis), so every column was "
            "scaled with the same numbers and a feature in the hundreds still dwarfs one "
            "around 1. Compute them per column: axis=0, one value per feature.",
            wrong_axis_none),
        Mistake(
            "statistics over the wrong axis",
            f"Your {what} were computed along axis=1, across the features of each sample. "
            "Scaling works per feature, down each column: use axis=0 (X_train.min(axis=0) has "
            "one entry per column).",
            wrong_axis_rows),
        Mistake(
            "statistics over the wrong axis",
            f"Your {what} were computed along axis=1 (keepdims=True), across the features of "
            "each sample. Scaling works per feature, down each column: use axis=0.",
            wrong_axis_rows_keepdims),
    ]


def _nonzero(scale):
    return np.where(scale == 0, 1.0, scale)


# --------------------------------------------------------------------------- min-max


def _min_max_ref(X_train, X, feature_range=(0.0, 1.0)):
    return MinMaxScaler(feature_range).fit(X_train).transform(X)


def _min_max(source="train", axis=0, keepdims=False, guard=True, subtract_min=True,
             use_range=True, stretch=True, divide_by="range"):
    """A min-max implementation with the given mistakes switched on."""
    def scale(X_train, X, feature_range=(0.0, 1.0)):
        low, high = feature_range
        src = {"train": X_train, "X": X, "both": np.vstack([X_train, X])}[source]
        lo = src.min(axis=axis, keepdims=keepdims)
        hi = src.max(axis=axis, keepdims=keepdims)
        denom = hi if divide_by == "max" else hi - lo
        if guard:
            denom = _nonzero(denom)
        shifted = X - lo if subtract_min else X
        with np.errstate(all="ignore"):
            unit = shifted / denom
        if not use_range:
            return unit
        return low + unit * ((high - low) if stretch else high)
    return scale


def check_min_max_scaling(student_fn):
    """Check ``min_max_scaling(X_train, X, feature_range=(0, 1))``.

    ``X' = low + (X - min) * (high - low) / (max - min)`` with ``min`` and ``max`` the column
    minima and maxima of ``X_train``; a constant column (max == min) is divided by 1.
    """
    X_train, X_new = _data(22)
    cases = _cases([
        Case("feature_range (-1, 1)", (X_train, X_new), {"feature_range": (-1.0, 1.0)}),
        Case("feature_range (2, 5)", (X_train, X_train[:1]), {"feature_range": (2.0, 5.0)}),
    ])
    mistakes = [
        *_axis_mistakes(_min_max(axis=None), _min_max(axis=1), _min_max(axis=1, keepdims=True),
                        "minimum and maximum"),
        *_fit_mistakes(lambda src: _min_max(source=src), "minimum and maximum"),
        Mistake(
            "division by zero for a constant feature",
            "A constant feature (max == min) gave NaN or inf: you divided by max - min = 0. "
            "Where the range is 0, divide by 1 instead, e.g. "
            "np.where(data_range == 0, 1.0, data_range), as scikit-learn does.",
            _min_max(guard=False)),
        Mistake(
            "feature_range ignored",
            "The values always land in [0, 1], whatever feature_range says. Stretch and shift "
            "them: low + (X - min) * (high - low) / (max - min).",
            _min_max(use_range=False)),
        Mistake(
            "multiplied by high instead of (high - low)",
            "With feature_range (low, high) the width of the interval is high - low: you "
            "multiplied by high, which is right only when low = 0. Use "
            "low + (X - min) * (high - low) / (max - min).",
            _min_max(stretch=False)),
        Mistake(
            "minimum not subtracted",
            "You divided X by max - min without subtracting the minimum first, so the values "
            "do not start at low. Shift, then divide: (X - min) / (max - min).",
            _min_max(subtract_min=False)),
        Mistake(
            "divided by the maximum",
            "You divided by the maximum instead of the range max - min. The smallest training "
            "value must map to low and the largest to high: divide by (max - min).",
            _min_max(divide_by="max")),
    ]
    return run_check("check_min_max_scaling", student_fn, cases, _min_max_ref, mistakes)


# --------------------------------------------------------------------------- standardization


def _standard_ref(X_train, X):
    return StandardScaler().fit(X_train).transform(X)


def _standard(source="train", axis=0, keepdims=False, ddof=0, guard=True, center=True,
              divide_by="std"):
    def scale(X_train, X):
        src = {"train": X_train, "X": X, "both": np.vstack([X_train, X])}[source]
        mean = src.mean(axis=axis, keepdims=keepdims)
        std = src.std(axis=axis, ddof=ddof, keepdims=keepdims)
        denom = std ** 2 if divide_by == "var" else std
        if guard:
            denom = _nonzero(denom)
        with np.errstate(all="ignore"):
            return ((X - mean) if center else X) / denom
    return scale


def check_standardization(student_fn):
    """Check ``standardization(X_train, X)``: ``X' = (X - mean) / std`` per column of X_train.

    ``std`` is the population standard deviation (``ddof=0``, numpy's default and
    scikit-learn's choice); a column whose std is 0 is divided by 1.
    """
    mistakes = [
        Mistake(
            "ddof=1 (sample standard deviation)",
            "You divided by the sample standard deviation (ddof=1, the n - 1 version, as "
            "pandas' .std() or torch.std() give by default). Feature scaling uses the "
            "population one, ddof=0: np.std(X_train, axis=0), as scikit-learn's "
            "StandardScaler does. The difference is small but real: on 4 samples it is a "
            "factor sqrt(3/4).",
            _standard(ddof=1)),
        Mistake(
            "mean not subtracted",
            "You divided by the standard deviation but did not subtract the mean first, so "
            "the columns are not centred on 0. Standardization is (X - mean) / std.",
            _standard(center=False)),
        Mistake(
            "divided by the variance",
            "You divided by the variance (std squared). Divide by the standard deviation, "
            "its square root: np.std(X_train, axis=0), or np.sqrt of the variance.",
            _standard(divide_by="var")),
        *_axis_mistakes(_standard(axis=None), _standard(axis=1),
                        _standard(axis=1, keepdims=True), "mean and standard deviation"),
        *_fit_mistakes(lambda src: _standard(source=src), "mean and standard deviation"),
        Mistake(
            "division by zero for a constant feature",
            "A constant feature (std == 0) gave NaN or inf: you divided by a standard "
            "deviation of 0. Where std is 0, divide by 1 instead, e.g. "
            "np.where(std == 0, 1.0, std), as scikit-learn does.",
            _standard(guard=False)),
    ]
    return run_check("check_standardization", student_fn, _cases(), _standard_ref, mistakes)


# --------------------------------------------------------------------------- mean normalization


def _mean_norm_ref(X_train, X):
    return MeanNormalizer().fit(X_train).transform(X)


def _mean_norm(source="train", axis=0, keepdims=False, guard=True, center="mean",
               divide_by="range"):
    def scale(X_train, X):
        src = {"train": X_train, "X": X, "both": np.vstack([X_train, X])}[source]
        mean = src.mean(axis=axis, keepdims=keepdims)
        lo = src.min(axis=axis, keepdims=keepdims)
        hi = src.max(axis=axis, keepdims=keepdims)
        denom = {"range": hi - lo, "std": src.std(axis=axis, keepdims=keepdims),
                 "max": hi}[divide_by]
        if guard:
            denom = _nonzero(denom)
        shift = {"mean": mean, "min": lo, "none": 0.0}[center]
        with np.errstate(all="ignore"):
            return (X - shift) / denom
    return scale


def check_mean_normalization(student_fn):
    """Check ``mean_normalization(X_train, X)``: ``X' = (X - mean) / (max - min)`` per column.

    Mean, minimum and maximum are those of the columns of X_train; a constant column
    (max == min) is divided by 1.
    """
    mistakes = [
        Mistake(
            "divided by the standard deviation",
            "You divided by the standard deviation: that is standardization. Mean "
            "normalization divides by the range of the training column, max - min.",
            _mean_norm(divide_by="std")),
        Mistake(
            "subtracted the minimum instead of the mean",
            "You subtracted the minimum: that is min-max scaling, whose values start at 0. "
            "Mean normalization subtracts the mean, so the values are centred on 0.",
            _mean_norm(center="min")),
        Mistake(
            "mean not subtracted",
            "You divided by the range but did not subtract the mean, so the columns are not "
            "centred on 0. Mean normalization is (X - mean) / (max - min).",
            _mean_norm(center="none")),
        Mistake(
            "divided by the maximum",
            "You divided by the maximum instead of the range max - min.",
            _mean_norm(divide_by="max")),
        *_axis_mistakes(_mean_norm(axis=None), _mean_norm(axis=1),
                        _mean_norm(axis=1, keepdims=True), "mean, minimum and maximum"),
        *_fit_mistakes(lambda src: _mean_norm(source=src), "mean, minimum and maximum"),
        Mistake(
            "division by zero for a constant feature",
            "A constant feature (max == min) gave NaN or inf: you divided by a range of 0. "
            "Where the range is 0, divide by 1 instead, e.g. "
            "np.where(data_range == 0, 1.0, data_range).",
            _mean_norm(guard=False)),
    ]
    return run_check("check_mean_normalization", student_fn, _cases(), _mean_norm_ref, mistakes)
